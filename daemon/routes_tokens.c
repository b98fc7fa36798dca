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

static void
token_post(struct request *rq, struct response *rs)
{
	const char *name = NULL, *rolename = NULL, *team = NULL, *pool = NULL;
	const struct jv_field f[] = {
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &name, NULL },
		{ "role", JV_STR, JV_REQUIRED, 0, 16, &rolename, NULL },
		{ "team", JV_ID, JV_NULLABLE, 0, 0, &team, NULL },
		{ "pool", JV_ID, JV_NULLABLE, 0, 0, &pool, NULL },
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
	if ((rc = tokens_create(rq->db, name, role, team, pool, rq->now, id, secret, &obj, err,
	    sizeof(err))) < 0) {
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
	resp_list(rs, tokens_list(rq->db, after, limit, &items, &next), &items, &next);
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

const struct route routes_tokens[] = {
	{ "POST", "/v1/tokens", 0, ROUTE_WRITE | ROUTE_SECRET, token_post },
	{ "GET", "/v1/tokens", ROLE_AUDITOR, 0, token_list },
	{ "DELETE", "/v1/tokens/{id}", 0, ROUTE_WRITE, token_delete },
	{ NULL, NULL, 0, 0, NULL },
};
