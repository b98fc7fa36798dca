/* store_enrollments.h: SQL for enrollments. */
#ifndef GRANTD_STORE_ENROLLMENTS_H
#define GRANTD_STORE_ENROLLMENTS_H

#include <jansson.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "enrollment.h"
#include "request.h"

struct db;

/* An enrollment row as plain data. */
struct enrollment {
	int64_t id;
	char phase[ID_MAX + 1], team[ID_MAX + 1];
	enum enrollment_state state;
	int64_t start, end;	/* the window */
	int64_t ended_at;	/* -1 unless eliminated or withdrawn */
	int64_t created_at;	/* when it was made */
	int64_t extra_days;	/* extension days given after the window (schema/009) */
};

int store_enrollment_get(struct db *db, const char *phase, const char *team,
    struct enrollment *e);
int store_enrollment_by_id(struct db *db, int64_t id, struct enrollment *e);
int store_enrollment_insert(struct db *db, const char *phase, const char *team,
    int64_t start, int64_t end, int64_t now, int64_t *id);
int store_enrollment_set_state(struct db *db, int64_t id, enum enrollment_state state,
    int64_t ended_at);
int store_enrollment_set_end(struct db *db, int64_t id, int64_t end);
int store_enrollment_add_extra_days(struct db *db, int64_t id, int64_t days);
/*
 * Every enrollment of team in the phases of program, by window start; *v
 * malloc'd (NULL when there is none).
 */
int store_enrollments_of_team(struct db *db, const char *program, const char *team,
    struct enrollment **v, size_t *n);
/* Ids of a phase's enrollments in team order; *ids malloc'd. */
int store_enrollment_ids(struct db *db, const char *phase, bool active_only, int64_t **ids,
    size_t *n);
/* Ids of a phase's enrollments neither eliminated nor withdrawn, in team order. */
int store_enrollment_ids_live(struct db *db, const char *phase, int64_t **ids, size_t *n);
/* The API shape: team, phase, state, window, units, grants, voucher. */
int store_enrollment_json(struct db *db, int64_t id, json_t **out);
int store_enrollment_list(struct db *db, const char *phase, const char *team,
    const char *after, int64_t limit, json_t **items, char **next);

/* Calls fn with each enrollment state and how many are in it (for /metrics). */
int store_enrollment_counts(struct db *db, void (*fn)(void *arg, const char *state,
    int64_t n), void *arg);

#endif
