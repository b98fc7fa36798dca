/* store_catalog.h: SQL for the catalogue: card models, programmes, phases, teams. */
#ifndef GRANTD_STORE_CATALOG_H
#define GRANTD_STORE_CATALOG_H

#include <jansson.h>
#include <stdint.h>
#include <stddef.h>
#include "request.h"

struct db;

/*
 * Getters return 0 and a new JSON object in the API's shape (the caller
 * owns it), GD_ENOENT when there is no such row, or GD_EIO.  Lists write a
 * new array of at most limit items after the cursor `after` (an id) and the
 * cursor of the next page (a malloc'd string, NULL on the last page).
 */
int store_card_model_get(struct db *db, const char *id, json_t **out);
int store_card_model_weight(struct db *db, const char *id, int64_t *milli);
int store_card_model_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);
int store_card_model_put(struct db *db, const char *id, int64_t milli);
/* Whether a pool or phase uses the model (its weight then cannot change). */
int store_card_model_in_use(struct db *db, const char *id);

struct program_in {
	const char *id, *name, *timezone;
};
int store_program_get(struct db *db, const char *id, json_t **out);
int store_program_tz(struct db *db, const char *id, char tz[64]);
int store_program_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);
int store_program_insert(struct db *db, const struct program_in *p, int64_t now);

struct phase_in {
	const char *id, *program, *name, *card_model;
	int64_t starts_on, period_days, evaluation_on;	/* evaluation_on < 0: none */
	int64_t cards, voucher_krw;
};
int store_phase_get(struct db *db, const char *id, json_t **out);
int store_phase_list(struct db *db, const char *program, const char *after, int64_t limit,
    json_t **items, char **next);
int store_phase_insert(struct db *db, const struct phase_in *p, int64_t now);
int store_phase_extend(struct db *db, const char *id, int64_t days);

struct member_in {
	const char *org, *role;
};
struct team_in {
	const char *id, *name, *lead_org;
	const struct member_in *members;
	size_t nmembers;
};
int store_team_get(struct db *db, const char *id, json_t **out);
int store_team_list(struct db *db, const char *only, const char *after, int64_t limit,
    json_t **items, char **next);
/* The team's row; its lead and members are memberships (store_orgs.h). */
int store_team_insert(struct db *db, const struct team_in *t, int64_t now);

/* Whether the team, or the phase, exists: 1, 0, or GD_EIO. */
int store_team_exists(struct db *db, const char *id);
int store_phase_exists(struct db *db, const char *id);

/* The phase facts placement and fairness need. */
struct phase_info {
	char id[ID_MAX + 1], program[ID_MAX + 1], card_model[64], tz[64];
	int32_t tz_off;
	int64_t starts_on, period_days, evaluation_on;
	int64_t cards, weight_milli, units_milli, voucher_krw;
	int64_t start;		/* local midnight of starts_on, UTC */
	int64_t extended_days;	/* extensions in all (period_days includes them) */
};
int store_phase_info(struct db *db, const char *phase, struct phase_info *pi);

#endif
