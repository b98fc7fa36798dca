/* nodes.h: the GPU nodes of pools: the team each serves, set by an operator, and last-seen. */
#ifndef GRANTD_NODES_H
#define GRANTD_NODES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * As catalog.h: on the caller's connection, a change in the caller's open
 * transaction, audited by the caller; 0 or a GD_* code, a refusal's
 * one-line detail in err (left empty for storage or memory); objects in
 * the API shape (store_nodes.h), owned by the caller.
 */

/*
 * Assigns node of pool to team (NULL: to none), with the reason.  GD_ENOENT
 * (with err) when the pool or the team does not exist.  *before is the
 * node as it was (NULL when new), *out as it is now; *changed is false when
 * the node already had that team and reason (nothing was written, and there
 * is nothing to audit).
 */
int nodes_assign(struct db *db, const char *pool, const char *node, const char *team,
    const char *reason, int64_t now, json_t **before, json_t **out, bool *changed, char *err,
    size_t errlen);

/* One node: GD_ENOENT when the pool has no such node. */
int nodes_get(struct db *db, const char *pool, const char *node, json_t **out);

/* A pool's nodes by id (after: a node id, NULL from the first); GD_ENOENT (with err): no pool. */
int nodes_list(struct db *db, const char *pool, const char *after, int64_t limit,
    json_t **items, char **next, char *err, size_t errlen);

#endif
