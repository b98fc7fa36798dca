/* nodes.c: the GPU nodes of pools, through store_nodes: assignments checked, last-seen read. */
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "nodes.h"
#include "store_catalog.h"
#include "store_nodes.h"
#include "store_pools.h"

/* GD_ENOENT (with err) unless the pool exists. */
static int
pool_check(struct db *db, const char *pool, char *err, size_t errlen)
{
	int rc = store_pool_exists(db, pool);

	if (rc < 0)
		return rc;
	if (rc == 0) {
		snprintf(err, errlen, "pool '%s' does not exist", pool);
		return GD_ENOENT;
	}
	return 0;
}

/* Whether the node as stored (o) has this team (NULL: none) and reason. */
static bool
same_assignment(const json_t *o, const char *team, const char *reason)
{
	const char *had = json_string_value(json_object_get(o, "team"));

	return (had == NULL) == (team == NULL) && (had == NULL || strcmp(had, team) == 0) &&
	    strcmp(json_string_value(json_object_get(o, "reason")), reason) == 0;
}

int
nodes_assign(struct db *db, const char *pool, const char *node, const char *team,
    const char *reason, int64_t now, json_t **before, json_t **out, bool *changed, char *err,
    size_t errlen)
{
	json_t *was = NULL;
	int rc;

	err[0] = '\0';
	*changed = false;
	if ((rc = pool_check(db, pool, err, errlen)) < 0)
		return rc;
	if (team && (rc = store_team_exists(db, team)) != 1) {
		if (rc < 0)
			return rc;
		snprintf(err, errlen, "team '%s' does not exist", team);
		return GD_ENOENT;
	}
	if ((rc = store_node_get(db, pool, node, &was)) < 0 && rc != GD_ENOENT)
		return rc;
	/* The same assignment again: PUT is idempotent, and there is no change to record. */
	if (was && same_assignment(was, team, reason)) {
		*before = json_incref(was);
		*out = was;
		return 0;
	}
	if ((rc = store_node_assign(db, pool, node, team, reason, now)) < 0 ||
	    (rc = store_node_get(db, pool, node, out)) < 0) {
		json_decref(was);
		return rc;
	}
	*before = was;
	*changed = true;
	return 0;
}

int
nodes_get(struct db *db, const char *pool, const char *node, json_t **out)
{
	return store_node_get(db, pool, node, out);
}

int
nodes_list(struct db *db, const char *pool, const char *after, int64_t limit,
    json_t **items, char **next, char *err, size_t errlen)
{
	int rc;

	err[0] = '\0';
	if ((rc = pool_check(db, pool, err, errlen)) < 0)
		return rc;
	return store_node_list(db, pool, after, limit, items, next);
}
