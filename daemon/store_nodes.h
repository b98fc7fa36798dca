/* store_nodes.h: SQL for the GPU nodes of pools: their team and when they were last heard from. */
#ifndef GRANTD_STORE_NODES_H
#define GRANTD_STORE_NODES_H

#include <jansson.h>
#include <stdint.h>

struct db;

/*
 * Conventions as in store.h: 0 or a negative GD_* code, GD_ENOENT when a
 * row is missing; writes run in the caller's transaction.  A node in the
 * API shape: {"pool", "node", "team" (null: none), "reason", "assigned_at",
 * "updated_at", "last_seen_at" and "last_batch" (null: never seen)}.
 */
int store_node_get(struct db *db, const char *pool, const char *node, json_t **out);
/* A pool's nodes by node id, after the cursor `after` (NULL: from the first). */
int store_node_list(struct db *db, const char *pool, const char *after, int64_t limit,
    json_t **items, char **next);

/*
 * Sets the node's team (NULL: none) and reason, adding the node when new;
 * assigned_at becomes now when the team changes (or the node is new),
 * updated_at always.
 */
int store_node_assign(struct db *db, const char *pool, const char *node, const char *team,
    const char *reason, int64_t now);

/*
 * The node sent the accepted batch batch_id at now: last_seen_at and
 * last_batch, the node added with no team and reason "first seen" when new.
 */
int store_node_seen(struct db *db, const char *pool, const char *node, const char *batch_id,
    int64_t now);

#endif
