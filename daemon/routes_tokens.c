/* routes_tokens.c: creating, listing and revoking API tokens. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "err.h"
#include "jsonv.h"
#include "router.h"
#include "request.h"
#include "tokens.h"

/*
 * A token's end, when one is given, is later than now and at most ten
 * years ahead (as --ttl): a date before 1970 would otherwise read as none.
 */
static bool
end_ok(const struct request *rq, struct response *rs, int64_t expires_at)
{
	if (expires_at > rq->now && expires_at - rq->now <= TOKEN_TTL_MAX)
		return true;
	resp_problem(rs, 400, "bad_request", "expires_at must be later than now and at most "
	    "3660 days ahead");
	return false;
}

static void
token_post(struct request *rq, struct response *rs)
{
	const char *name = NULL, *rolename = NULL, *team = NULL, *pool = NULL, *node = NULL;
	int64_t expires_at = -1;
	bool has_end = false;
	const struct jv_field f[] = {
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &name, NULL },
		{ "role", JV_STR, JV_REQUIRED, 0, 16, &rolename, NULL },
		{ "team", JV_ID, JV_NULLABLE, 0, 0, &team, NULL },
		{ "pool", JV_ID, JV_NULLABLE, 0, 0, &pool, NULL },
		{ "node", JV_NODE, JV_NULLABLE, 0, 0, &node, NULL },
		{ "expires_at", JV_INSTANT, JV_NULLABLE, 0, 0, &expires_at, &has_end },
	};
	char id[TOKEN_ID_LEN + 1], secret[TOKEN_SECRET_LEN + 1], target[64];
	char err[GD_ERRBUF];
	json_t *body, *obj = NULL;
	enum role role;
	int rc;

	if ((body = req_decode(rq, rs, f, sizeof(f) / sizeof(f[0]))) == NULL)
		return;
	if (role_from_name(rolename, &role) < 0) {
		resp_problem(rs, 400, "bad_request",
		    "role must be one of admin, auditor, team, agent");
		goto out;
	}
	if ((role == ROLE_TEAM) != (team != NULL)) {
		resp_problem(rs, 400, "bad_request", role == ROLE_TEAM ?
		    "a team token needs \"team\"" : "\"team\" is only for role team");
		goto out;
	}
	if ((role == ROLE_AGENT) != (pool != NULL)) {
		resp_problem(rs, 400, "bad_request", role == ROLE_AGENT ?
		    "an agent token needs \"pool\"" : "\"pool\" is only for role agent");
		goto out;
	}
	if (node && role != ROLE_AGENT) {
		resp_problem(rs, 400, "bad_request", "\"node\" is only for role agent");
		goto out;
	}
	if (has_end && !end_ok(rq, rs, expires_at))
		goto out;
	if ((rc = tokens_create(rq->db, name, role, team, pool, node, rq->now, expires_at, id,
	    secret, &obj, err, sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "token/%s", id);
	if ((rc = audit_request(rq, "token.create", target, NULL, body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	json_object_set_new(obj, "token", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	resp_json(rs, 201, obj);
out:
	json_decref(body);
}

static void
token_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, tokens_list(rq->db, after, limit, rq->now, &items, &next), &items, &next);
}

static void
token_delete(struct request *rq, struct response *rs)
{
	char target[64];
	int rc;

	token_cache_hold(&rq->app->tokens);
	if (strlen(rq->params[0]) > TOKEN_ID_LEN ||
	    (rc = tokens_revoke(rq->db, rq->params[0], rq->now)) == GD_ENOENT) {
		resp_problem(rs, 404, "not_found", "no active token '%.40s'", rq->params[0]);
		return;
	}
	snprintf(target, sizeof(target), "token/%s", rq->params[0]);
	if (rc < 0 || (rc = audit_request(rq, "token.revoke", target, NULL, NULL)) < 0) {
		resp_store_error(rs, rc);
		return;
	}
	resp_json(rs, 204, NULL);
}

/*
 * POST /v1/tokens/{id}/rotate {"grace_seconds"?, "expires_at"?}: a new
 * secret, shown once; the old one keeps working for the grace (default a
 * day, at most 30), so that the holders of a shared token (a pool's agents)
 * can be given the new one without a gap.  A second rotation ends the
 * grace of the first.
 */
static void
token_rotate_route(struct request *rq, struct response *rs)
{
	int64_t grace = TOKEN_GRACE_DEFAULT, expires_at = -1;
	bool has_end = false;
	const struct jv_field f[] = {
		{ "grace_seconds", JV_INT, 0, 0, TOKEN_GRACE_MAX, &grace, NULL },
		{ "expires_at", JV_INSTANT, JV_NULLABLE, 0, 0, &expires_at, &has_end },
	};
	char secret[TOKEN_SECRET_LEN + 1], target[64], err[GD_ERRBUF];
	json_t *body, *obj = NULL;
	int rc;

	if (strlen(rq->params[0]) > TOKEN_ID_LEN) {
		resp_problem(rs, 404, "not_found", "no live token '%.40s'", rq->params[0]);
		return;
	}
	if ((body = req_decode_opt(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (has_end && !end_ok(rq, rs, expires_at)) {
		json_decref(body);
		return;
	}
	if (!has_end)
		expires_at = -1;	/* kept as it is */
	/* The old secret's cached principal must learn its new end. */
	token_cache_hold(&rq->app->tokens);
	if ((rc = tokens_rotate(rq->db, rq->params[0], rq->now, grace, expires_at, secret, &obj,
	    err, sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "token/%s", rq->params[0]);
	if ((rc = audit_request(rq, "token.rotate", target, NULL, body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	json_object_set_new(obj, "token", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	resp_json(rs, 200, obj);
out:
	json_decref(body);
}

const struct route routes_tokens[] = {
	{ "POST", "/v1/tokens", 0, ROUTE_WRITE | ROUTE_SECRET, token_post },
	{ "GET", "/v1/tokens", ROLE_AUDITOR, 0, token_list },
	{ "DELETE", "/v1/tokens/{id}", 0, ROUTE_WRITE, token_delete },
	{ "POST", "/v1/tokens/{id}/rotate", 0, ROUTE_WRITE | ROUTE_SECRET, token_rotate_route },
	{ NULL, NULL, 0, 0, NULL },
};
