/* routes_nodes.c: the GPU nodes of a pool: their team, set by an operator, and last-seen. */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "err.h"
#include "jsonv.h"
#include "nodes.h"
#include "router.h"
#include "request.h"

/* The path's pool and node; false (answered 404) when either cannot be an id. */
static bool
node_params(struct request *rq, struct response *rs)
{
	if (!check_id_param(rs, rq->params[0], "pool"))
		return false;
	if (jv_valid_node(rq->params[1]))
		return true;
	resp_problem(rs, 404, "not_found", "node id in the path must match "
	    "[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
	return false;
}

static void
node_not_found(struct response *rs, const char *pool, const char *node)
{
	resp_problem(rs, 404, "not_found", "pool '%s' has no node '%s'", pool, node);
}

/*
 * PUT /v1/pools/{pool}/nodes/{node} {"team": TEAM|null, "reason"}: which
 * team the node serves from now on (null: none), as its agent learns it.
 * "team" must be given, null included, so that a forgotten field never
 * takes a node away from its team.
 */
static void
node_put(struct request *rq, struct response *rs)
{
	const char *pool = rq->params[0], *node = rq->params[1], *team = NULL, *reason = NULL;
	const struct jv_field f[] = {
		{ "team", JV_ID, JV_NULLABLE, 0, 0, &team, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	json_t *body, *before = NULL, *obj = NULL, *detail;
	char target[160], err[GD_ERRBUF];
	bool changed;
	int rc;

	if (!node_params(rq, rs) || (body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (json_object_get(body, "team") == NULL) {
		resp_problem(rs, 400, "bad_request", "missing required field team (a team id, or "
		    "null for none)");
		goto out;
	}
	if ((rc = nodes_assign(rq->db, pool, node, team, reason, rq->now, &before, &obj, &changed,
	    err, sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	if (changed) {
		snprintf(target, sizeof(target), "pool/%s/node/%s", pool, node);
		detail = json_pack("{s:O?, s:O}", "before", before, "after", obj);
		rc = detail ? audit_request(rq, "node.assign", target, reason, detail) : GD_ENOMEM;
		json_decref(detail);
		if (rc < 0) {
			resp_store_error(rs, rc);
			goto out;
		}
	}
	resp_json(rs, 200, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(before);
	json_decref(body);
}

/*
 * GET /v1/pools/{pool}/nodes/{node}: admins and auditors read any node; an
 * agent token its own pool's, and only its own node when it is bound to one.
 */
static void
node_get(struct request *rq, struct response *rs)
{
	const char *pool = rq->params[0], *node = rq->params[1];
	json_t *obj = NULL;
	int rc;

	if (!node_params(rq, rs))
		return;
	if (rq->who->role == ROLE_AGENT) {
		if (strcmp(rq->who->pool, pool) != 0) {
			resp_problem(rs, 403, "forbidden", "this agent token is for pool '%s', not "
			    "'%s'", rq->who->pool, pool);
			return;
		}
		if (rq->who->node[0] && strcmp(rq->who->node, node) != 0) {
			resp_problem(rs, 403, "forbidden", "this agent token is for node '%s' of pool "
			    "'%s' only", rq->who->node, pool);
			return;
		}
	}
	if ((rc = nodes_get(rq->db, pool, node, &obj)) == GD_ENOENT)
		node_not_found(rs, pool, node);
	else if (rc < 0)
		resp_store_error(rs, rc);
	else
		resp_json(rs, 200, obj);
}

static void
node_list(struct request *rq, struct response *rs)
{
	json_t *items = NULL;
	const char *after;
	char *next = NULL, err[GD_ERRBUF];
	int64_t limit;
	int rc;

	if (!check_id_param(rs, rq->params[0], "pool") ||
	    !req_list_params(rq, rs, &limit, &after))
		return;
	if (after && !jv_valid_node(after)) {
		resp_problem(rs, 400, "bad_request", "after must be a node id such as gpu-01");
		return;
	}
	rc = nodes_list(rq->db, rq->params[0], after, limit, &items, &next, err, sizeof(err));
	if (rc < 0 && err[0] != '\0')
		resp_error(rs, rc, err);
	else
		resp_list(rs, rc, &items, &next);
}

const struct route routes_nodes[] = {
	{ "PUT", "/v1/pools/{pool}/nodes/{node}", 0, ROUTE_WRITE, node_put },
	{ "GET", "/v1/pools/{pool}/nodes/{node}", ROLE_AUDITOR | ROLE_AGENT, 0, node_get },
	{ "GET", "/v1/pools/{pool}/nodes", ROLE_AUDITOR, 0, node_list },
	{ NULL, NULL, 0, 0, NULL },
};
