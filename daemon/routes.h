/* routes.h: helpers shared by the routes_*.c files. */
#ifndef GRANTD_ROUTES_H
#define GRANTD_ROUTES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "request.h"

/*
 * Every key of want equals the same key of have (objects compared the same
 * way, recursively; other values with json_equal).  have may hold more.
 */
bool json_subset(const json_t *want, const json_t *have);

/*
 * A create whose id exists: 200 with the existing resource when the request
 * describes it the same, else 409 already_exists.  Steals have.
 */
void resp_exists(struct response *rs, json_t *have, const json_t *want, const char *what,
    const char *id);

/*
 * A list reply from a store list call's results (or its error).  The
 * results are passed by address so that a call written as
 * resp_list(rs, store_x_list(..., &items, &next), &items, &next) reads
 * them after the store call has written them.
 */
void resp_list(struct response *rs, int rc, json_t **items, char **next);

/* A get reply: 200 with *obj, 404 naming what and id, or the storage error. */
void resp_get(struct response *rs, int rc, json_t **obj, const char *what, const char *id);

/* Answers 400 unless s is a valid client-chosen id; names the parameter. */
bool check_id_param(struct response *rs, const char *s, const char *what);

/* Unit-hours (a JSON real, three decimals) from milli-unit-seconds. */
json_t *unit_hours_json(int64_t mus);

/* Fairness violations: {"rule", "detail"}; a 409 listing them (stolen). */
json_t *violation(const char *rule, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void resp_violations(struct response *rs, json_t *violations);

/* Stores each overridden violation with the admin's reason. */
int record_overrides(const struct request *rq, const char *phase, const char *team,
    json_t *violations, const char *reason, const char *action);

#endif
