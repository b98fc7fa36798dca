/* routes_webhooks.c: webhooks: register, list, delete, test, and their deliveries. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "err.h"
#include "jsonv.h"
#include "router.h"
#include "request.h"
#include "webhooks.h"

/*
 * POST /v1/webhooks {"url", "types", "team"?}: an admin registers for every
 * event (or, with team, one team's copies); a team for its own alone.  The
 * secret is in this reply only: an Idempotency-Key's stored copy keeps it
 * sealed (ROUTE_SECRET), so a replay by this process shows it again and
 * one after a restart cannot.
 */
static void
webhook_create(struct request *rq, struct response *rs)
{
	const char *url = NULL, *team = NULL;
	json_t *types = NULL, *body, *obj = NULL, *detail = NULL;
	const struct jv_field f[] = {
		{ "url", JV_STR, JV_REQUIRED, 0, WEBHOOK_URL_MAX, &url, NULL },
		{ "types", JV_ARRAY, JV_REQUIRED, 0, 64, &types, NULL },
		{ "team", JV_ID, JV_NULLABLE, 0, 0, &team, NULL },
	};
	char err[GD_ERRBUF], target[WEBHOOK_ID_LEN + 16];
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (rq->who->role == ROLE_TEAM) {
		if (team && !req_team_allowed(rq, rs, team))
			goto out;
		team = rq->who->team;
	}
	if ((rc = webhooks_create(rq->db, url, types, team, rq->app->cfg.webhooks.allow_http,
	    rq->who->id, rq->now, &obj, err, sizeof(err))) < 0) {
		if (rc == GD_ECONFLICT)
			resp_problem(rs, 404, "not_found", "no team '%s'", team);
		else
			resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "webhook/%s", json_string_value(json_object_get(obj,
	    "id")));
	/* The audit keeps the request, never the secret. */
	if ((rc = audit_request(rq, "webhook.create", target, NULL, body)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(detail);
	json_decref(body);
}

/* A webhook the caller may see: a team its own only (404 for another's, as if none). */
static bool
load(struct request *rq, struct response *rs, char team[64])
{
	const char *id = rq->params[0];

	if (strlen(id) >= WEBHOOK_ID_LEN || webhooks_team(rq->db, id, team) < 0 ||
	    (rq->who->role == ROLE_TEAM && strcmp(team, rq->who->team) != 0)) {
		resp_problem(rs, 404, "not_found", "no webhook '%.40s'", id);
		return false;
	}
	return true;
}

static void
webhook_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, webhooks_list(rq->db, rq->who->role == ROLE_TEAM ? rq->who->team : NULL,
	    after, limit, &items, &next), &items, &next);
}

static void
webhook_get(struct request *rq, struct response *rs)
{
	char team[64];
	json_t *obj = NULL;
	int rc;

	if (!load(rq, rs, team))
		return;
	if ((rc = webhooks_get(rq->db, rq->params[0], &obj)) < 0)
		resp_store_error(rs, rc);
	else
		resp_json(rs, 200, obj);
}

static void
webhook_delete(struct request *rq, struct response *rs)
{
	char team[64], target[WEBHOOK_ID_LEN + 16];
	int rc;

	if (!load(rq, rs, team))
		return;
	snprintf(target, sizeof(target), "webhook/%s", rq->params[0]);
	if ((rc = webhooks_delete(rq->db, rq->params[0], rq->now)) < 0 ||
	    (rc = audit_request(rq, "webhook.delete", target, NULL, NULL)) < 0) {
		resp_store_error(rs, rc);
		return;
	}
	resp_json(rs, 204, NULL);
}

/* POST /v1/webhooks/{id}/test: a webhook.test event for it alone, sent soon. */
static void
webhook_test(struct request *rq, struct response *rs)
{
	char team[64], target[WEBHOOK_ID_LEN + 16];
	json_t *obj = NULL;
	int rc;

	if (!load(rq, rs, team))
		return;
	snprintf(target, sizeof(target), "webhook/%s", rq->params[0]);
	if ((rc = webhooks_test(rq->db, rq->params[0], rq->now)) < 0 ||
	    (rc = audit_request(rq, "webhook.test", target, NULL, NULL)) < 0 ||
	    (rc = webhooks_get(rq->db, rq->params[0], &obj)) < 0) {
		resp_store_error(rs, rc);
		return;
	}
	resp_json(rs, 202, obj);
}

static void
webhook_deliveries(struct request *rq, struct response *rs)
{
	const char *l = req_query(rq, "limit"), *a = req_query(rq, "after");
	int64_t limit = 100, after = 0;
	json_t *items = NULL;
	char *next = NULL, team[64];

	if (l && !parse_int(l, 1, 1000, &limit)) {
		resp_problem(rs, 400, "bad_request", "limit must be an integer from 1 to 1000");
		return;
	}
	if (a && !parse_int(a, 0, INT64_MAX, &after)) {
		resp_problem(rs, 400, "bad_request", "after must be a delivery id (an integer >= 0)");
		return;
	}
	if (!load(rq, rs, team))
		return;
	resp_list(rs, webhooks_deliveries(rq->db, rq->params[0], after, limit, &items, &next),
	    &items, &next);
}

const struct route routes_webhooks[] = {
	{ "POST", "/v1/webhooks", ROLE_TEAM, ROUTE_WRITE | ROUTE_SECRET, webhook_create },
	{ "GET", "/v1/webhooks", ROLE_AUDITOR | ROLE_TEAM, 0, webhook_list },
	{ "GET", "/v1/webhooks/{id}", ROLE_AUDITOR | ROLE_TEAM, 0, webhook_get },
	{ "DELETE", "/v1/webhooks/{id}", ROLE_TEAM, ROUTE_WRITE, webhook_delete },
	{ "POST", "/v1/webhooks/{id}/test", ROLE_TEAM, ROUTE_WRITE, webhook_test },
	{ "GET", "/v1/webhooks/{id}/deliveries", ROLE_AUDITOR | ROLE_TEAM, 0, webhook_deliveries },
	{ NULL, NULL, 0, 0, NULL },
};
