/* routes_grants.c: grants added, listed and released by hand. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "civil.h"
#include "err.h"
#include "grants.h"
#include "jsonv.h"
#include "router.h"
#include "request.h"
#include "units.h"

static json_t *
grant_audit_detail(json_t *body, int64_t id)
{
	char buf[32];
	json_t *d = json_deep_copy(body);

	grants_id_format(id, buf);
	json_object_set_new(d, "grant", json_string(buf));
	return d;
}

static void
grant_create(struct request *rq, struct response *rs)
{
	struct grant_new in = { 0 };
	json_t *body, *enr = NULL, *ov = NULL, *obj = NULL, *viol = NULL, *d;
	const struct jv_field f[] = {
		{ "enrollment", JV_OBJECT, JV_REQUIRED, 0, 0, &enr, NULL },
		{ "pool", JV_ID, JV_REQUIRED, 0, 0, &in.pool, NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, UNITS_MAX_CARDS, &in.cards, NULL },
		{ "start", JV_INSTANT, JV_REQUIRED, 0, 0, &in.start, NULL },
		{ "end", JV_INSTANT, JV_REQUIRED, 0, 0, &in.end, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &ov, NULL },
	};
	const struct jv_field ef[] = {
		{ "phase", JV_ID, JV_REQUIRED, 0, 0, &in.phase, NULL },
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &in.team, NULL },
	};
	char err[GRANTS_ERRLEN], target[64];
	int64_t id;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	/* GD_ERRBUF: the decoder's details are cut where every route's are. */
	if (jv_decode(enr, ef, NFIELDS(ef), "enrollment.", err, GD_ERRBUF) < 0) {
		resp_problem(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	if (!req_override(rq, rs, ov, &in.override))
		goto out;
	if (in.end <= in.start) {
		resp_problem(rs, 400, "bad_request", "end must be after start");
		goto out;
	}
	/* As long as a window at most (lib/units.h: its unit-time then fits). */
	if (in.end - in.start > (int64_t)UNITS_MAX_PERIOD_DAYS * CIVIL_DAY) {
		resp_problem(rs, 400, "bad_request", "a grant lasts at most %d days",
		    UNITS_MAX_PERIOD_DAYS);
		goto out;
	}
	in.start_text = json_string_value(json_object_get(body, "start"));
	in.end_text = json_string_value(json_object_get(body, "end"));
	in.grace_days = rq->app->cfg.programme.compensation_grace_days;
	if ((rc = grants_add(rq->db, &in, rq->request_id, rq->now, &id, &obj, &viol, err,
	    sizeof(err))) < 0) {
		resp_refusal(rs, rc, err, viol);
		goto out;
	}
	memcpy(target, "grant/", 6);
	grants_id_format(id, target + 6);
	d = grant_audit_detail(body, id);
	rc = audit_request(rq, "grant.create", target, in.override, d);
	json_decref(d);
	if (rc < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
out:
	json_decref(body);
}

static bool
parse_grant_id(struct response *rs, const char *s, int64_t *id)
{
	if (grants_id_parse(s, id) == 0)
		return true;
	resp_problem(rs, 404, "not_found", "grant ids look like gr_123");
	return false;
}

static void
grant_release(struct request *rq, struct response *rs)
{
	const char *reason = NULL, *ovr = NULL;
	int64_t at, id;
	json_t *body, *ov = NULL, *obj = NULL, *viol = NULL;
	const struct jv_field f[] = {
		{ "at", JV_INSTANT, JV_REQUIRED, 0, 0, &at, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &ov, NULL },
	};
	char target[40], err[GRANTS_ERRLEN];
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!parse_grant_id(rs, rq->params[0], &id) || !req_override(rq, rs, ov, &ovr))
		goto out;
	if ((rc = grants_release(rq->db, id, rq->params[0], at, ovr, rq->request_id, rq->now,
	    &obj, &viol, err, sizeof(err))) < 0) {
		resp_refusal(rs, rc, err, viol);
		goto out;
	}
	snprintf(target, sizeof(target), "grant/%s", rq->params[0]);
	if ((rc = audit_request(rq, "grant.release", target, reason, body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
out:
	json_decref(body);
}

static void
grant_list(struct request *rq, struct response *rs)
{
	struct grants_query q = { req_query(rq, "team"), req_query(rq, "pool"),
		req_query(rq, "phase"), -1, 0, 100 };
	const char *at = req_query(rq, "at"), *after = req_query(rq, "after");
	const char *l = req_query(rq, "limit");
	json_t *items = NULL;
	char *next = NULL;

	if (l && !parse_int(l, 1, 1000, &q.limit)) {
		resp_problem(rs, 400, "bad_request", "limit must be an integer from 1 to 1000");
		return;
	}
	if (after && grants_id_parse(after, &q.after) < 0) {
		resp_problem(rs, 400, "bad_request", "after must be a grant id from a previous page");
		return;
	}
	if (at && civil_parse_instant(at, &q.at) < 0) {
		resp_problem(rs, 400, "bad_request", "at must be an RFC 3339 instant");
		return;
	}
	if (rq->who->role == ROLE_TEAM) {
		if (q.team && !req_team_allowed(rq, rs, q.team))
			return;
		q.team = rq->who->team;
	}
	resp_list(rs, grants_list(rq->db, &q, &items, &next), &items, &next);
}

static void
grant_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;
	int64_t id;
	int rc;

	if (!parse_grant_id(rs, rq->params[0], &id))
		return;
	rc = grants_get(rq->db, id, &obj);
	if (rc == 0 && !req_team_allowed(rq, rs, json_string_value(json_object_get(obj, "team")))) {
		json_decref(obj);
		return;
	}
	resp_get(rs, rc, &obj, "grant", rq->params[0]);
}

const struct route routes_grants[] = {
	{ "POST", "/v1/grants", 0, ROUTE_WRITE, grant_create },
	{ "GET", "/v1/grants", ROLE_AUDITOR | ROLE_TEAM, 0, grant_list },
	{ "GET", "/v1/grants/{id}", ROLE_AUDITOR | ROLE_TEAM, 0, grant_get },
	{ "POST", "/v1/grants/{id}/release", 0, ROUTE_WRITE, grant_release },
	{ NULL, NULL, 0, 0, NULL },
};
