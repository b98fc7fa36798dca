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

/* A 409 fairness_violation listing violations ({"rule", "detail"}; stolen). */
void resp_violations(struct response *rs, json_t *violations);

/*
 * A service's failure (daemon/grants.h, enroll.h): a code with a detail in
 * err as resp_error; one without (storage, memory) as resp_store_error.
 * resp_refusal adds GD_EFAIRNESS with violations (stolen), as
 * resp_violations, for the services that return them.
 */
void resp_failure(struct response *rs, int rc, const char *err);
void resp_refusal(struct response *rs, int rc, const char *err, json_t *violations);

#endif
