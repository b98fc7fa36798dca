/* router.h: the route table, matching and dispatch of one request. */
#ifndef GRANTD_ROUTER_H
#define GRANTD_ROUTER_H

#include <stdbool.h>

#include "request.h"

typedef void route_fn(struct request *rq, struct response *rs);

#define ROUTE_WRITE 0x1		/* runs in the group-commit transaction */
#define ROUTE_PUBLIC 0x2	/* no token needed */
#define ROUTE_SECRET 0x4	/* the reply holds a secret: replays omit it */
#define ROUTE_METRICS 0x8	/* public unless server.metrics_require_auth */
/*
 * A read that keeps a record of what it answered (the fairness report):
 * it runs in the group-commit transaction like a change and its reply
 * waits for the commit, but it is not a change to the client -- no
 * Idempotency-Key, and nothing to replay.
 */
#define ROUTE_KEEPS 0x10

/*
 * One entry: method and pattern ("/v1/teams/{team}": a {name} matches one
 * path segment), the roles allowed besides admin, flags and the handler.
 * Each routes_*.c file exports a table ended by an entry with method NULL.
 */
struct route {
	const char *method;
	const char *pattern;
	unsigned roles;
	unsigned flags;
	route_fn *fn;
};

extern const struct route routes_service[];
extern const struct route routes_tokens[];
extern const struct route routes_catalog[];
extern const struct route routes_orgs[];
extern const struct route routes_audit[];
extern const struct route routes_pools[];
extern const struct route routes_nodes[];
extern const struct route routes_enroll[];
extern const struct route routes_grants[];
extern const struct route routes_metrics[];
extern const struct route routes_vouchers[];
extern const struct route routes_usage[];
extern const struct route routes_events[];
extern const struct route routes_webhooks[];

/* Every table, in match order; ends with NULL. */
extern const struct route *const route_tables[];

/*
 * Matches method and path.  Path parameters are copied into buf (split in
 * place) and pointed to from rq->params.  Returns the route, or NULL with
 * *path_known set when the path exists for another method (405).
 */
const struct route *router_match(const char *method, const char *path,
    struct request *rq, char *buf, size_t buflen, bool *path_known);

/*
 * The whole life of one request short of the socket: routing, auth,
 * idempotency, the handler and its savepoint.  auth is the Authorization
 * header (may be NULL).  Returns true when the response may be sent only
 * after the group commit (the caller waits for commit_flush's callback, and
 * answers 503 instead if the batch failed): every change that reached the
 * batch, whatever its status, and any request refused because its token was
 * revoked in the open batch.  False: send rs now (reads, and refusals
 * decided from committed state alone).
 */
bool dispatch(struct request *rq, const char *auth, struct principal *who,
    struct response *rs);

#endif
