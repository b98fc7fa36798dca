/* store_evaluations.h: SQL for evaluations and their per-team results (schema/011). */
#ifndef GRANTD_STORE_EVALUATIONS_H
#define GRANTD_STORE_EVALUATIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

int store_evaluation_insert(struct db *db, const char *phase, int64_t held_on,
    int64_t effective_on, const char *reason, int64_t now, int64_t *id);

struct evaluation_result {
	const char *team, *decision, *note;	/* note NULL: none */
	int64_t score_milli;			/* -1: none */
	bool enrolled;
	const char *applied;
};
int store_evaluation_result_insert(struct db *db, int64_t evaluation, int64_t idx,
    const struct evaluation_result *r);

/* The API shape of one evaluation, with its results in the order given. */
int store_evaluation_json(struct db *db, int64_t id, json_t **out);
/*
 * A phase's evaluations held on or before the local day held_by (INT64_MAX:
 * all), by date, each in the API shape; *items a new array.
 */
int store_evaluations_of(struct db *db, const char *phase, int64_t held_by, json_t **items);

#endif
