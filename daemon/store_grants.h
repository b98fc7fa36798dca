/* store_grants.h: SQL for pools, outages, enrollments, grants and overrides. */
#ifndef GRANTD_STORE_GRANTS_H
#define GRANTD_STORE_GRANTS_H

#include <jansson.h>
#include <stdint.h>

#include "request.h"

struct db;

struct pool_in {
	const char *id, *provider, *site, *card_model;
	int64_t cards;
};
int store_pool_insert(struct db *db, const struct pool_in *p, int64_t now);
int store_pool_get(struct db *db, const char *id, json_t **out);
int store_pool_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);

struct outage_in {
	const char *pool, *reason;
	int64_t from, to, cards;
};
int store_outage_insert(struct db *db, const struct outage_in *o, int64_t now, int64_t *id);
int store_outage_get(struct db *db, int64_t id, json_t **out);
/* A pool's outages in time order; after is the id of the last one seen (0: from the start). */
int store_outage_list(struct db *db, const char *pool, int64_t after, int64_t limit,
    json_t **items, char **next);

/* An enrollment row as plain data. */
struct enrollment {
	int64_t id;
	char phase[ID_MAX + 1], team[ID_MAX + 1], state[16];
	int64_t start, end;	/* the window */
	int64_t ended_at;	/* -1 unless eliminated or withdrawn */
};

/* The phase facts placement and fairness need. */
struct phase_info {
	char id[ID_MAX + 1], program[ID_MAX + 1], card_model[64], tz[64];
	int32_t tz_off;
	int64_t starts_on, period_days, evaluation_on;
	int64_t cards, weight_milli, units_milli, voucher_krw;
	int64_t start;		/* local midnight of starts_on, UTC */
};
int store_phase_info(struct db *db, const char *phase, struct phase_info *pi);

int store_enrollment_get(struct db *db, const char *phase, const char *team,
    struct enrollment *e);
int store_enrollment_by_id(struct db *db, int64_t id, struct enrollment *e);
int store_enrollment_insert(struct db *db, const char *phase, const char *team,
    int64_t start, int64_t end, int64_t now, int64_t *id);
int store_enrollment_set_state(struct db *db, int64_t id, const char *state, int64_t ended_at);
int store_enrollment_set_end(struct db *db, int64_t id, int64_t end);
/* Ids of a phase's enrollments in team order; *ids malloc'd. */
int store_enrollment_ids(struct db *db, const char *phase, bool active_only, int64_t **ids,
    size_t *n);
/* The API shape: team, phase, state, window, units, grants, voucher. */
int store_enrollment_json(struct db *db, int64_t id, json_t **out);
int store_enrollment_list(struct db *db, const char *phase, const char *team,
    const char *after, int64_t limit, json_t **items, char **next);

/* A grant row as plain data. */
struct grant {
	int64_t id, enrollment, cards, start, end, planned_end;
	char pool[ID_MAX + 1], kind[16];
	bool cancelled;
};
int store_grant_insert(struct db *db, int64_t enrollment, const char *pool, int64_t cards,
    int64_t start, int64_t end, const char *kind, int64_t now, int64_t *id);
int store_grant_get(struct db *db, int64_t id, struct grant *g);
int store_grant_json(struct db *db, int64_t id, json_t **out);
/* Ends the grant at t (t > start), or cancels it (t <= start). */
int store_grant_cut(struct db *db, int64_t id, int64_t t);
int store_grant_set_end(struct db *db, int64_t id, int64_t end);
/* Moves the grant by `by` seconds: start, end and planned_end alike (the caller checks range). */
int store_grant_shift(struct db *db, int64_t id, int64_t by);
/* Live (not cancelled) grants of an enrollment; *gs malloc'd. */
int store_grants_of(struct db *db, int64_t enrollment, struct grant **gs, size_t *n);

struct grant_filter {
	const char *team, *pool, *phase;
	int64_t at;		/* -1: any time */
};
int store_grant_list(struct db *db, const struct grant_filter *f, int64_t after,
    int64_t limit, json_t **items, char **next);

/* "gr_123" <-> 123. */
void grant_id_format(int64_t id, char buf[32]);
int grant_id_parse(const char *s, int64_t *id);

int store_override_insert(struct db *db, const char *phase, const char *team,
    const char *rule, const char *detail, const char *reason, const char *action,
    const char *request_id, int64_t now);
int store_override_list(struct db *db, const char *phase, const char *team, json_t **items);

#endif
