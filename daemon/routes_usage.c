/* routes_usage.c: usage ingest, quota status, the fairness report and the phase summary over HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "checkpoints.h"
#include "civil.h"
#include "err.h"
#include "fairness_report.h"
#include "ingest.h"
#include "jsonv.h"
#include "phase_summary.h"
#include "quota.h"
#include "report.h"
#include "router.h"
#include "request.h"

/*
 * A refused batch: the code's status (resp_error), or 429 rate_limited
 * with Retry-After for the rate limit, and the refusal's own fields.
 */
static void
usage_refused(struct response *rs, int rc, const char *err, json_t *fields)
{
	static const char *const keys[] = { "sample", "reason", "retry_after" };
	json_t *ra = json_object_get(fields, "retry_after");

	if (ra) {
		resp_problem(rs, 429, "rate_limited", "%s", err);
		rs->retry_after = json_integer_value(ra);
	} else
		resp_error(rs, rc, err);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(fields, keys[i]);

		if (v)
			json_object_set(rs->json, keys[i], v);
	}
}

static void
usage_post(struct request *rq, struct response *rs)
{
	struct ingest_result res = { .overlaps = NULL };
	char target[200], err[GD_ERRBUF];
	json_t *body, *detail, *fields = NULL;
	int rc;

	if ((body = req_json(rq, rs)) == NULL)
		return;
	rc = ingest_batch(rq->db, rq->who->id, rq->who->role == ROLE_AGENT ? rq->who->pool : NULL,
	    rq->who->role == ROLE_AGENT && rq->who->node[0] ? rq->who->node : NULL, body, rq->now, rq->app ? &rq->app->cfg.usage : NULL, &res, err, sizeof(err),
	    &fields);
	json_decref(body);
	if ((rc == GD_EINVAL || rc == GD_EFORBIDDEN || rc == GD_ECONFLICT) && err[0]) {
		usage_refused(rs, rc, err, fields);
		json_decref(fields);
		return;
	}
	json_decref(fields);
	if (rc < 0) {
		resp_store_error(rs, rc);
		return;
	}
	if (!res.replayed) {
		snprintf(target, sizeof(target), "usage/%s/%s", rq->who->id, res.batch_id);
		detail = json_pack("{s:s, s:I, s:I, s:I}", "batch_id", res.batch_id, "samples",
		    (json_int_t)res.accepted, "flagged", (json_int_t)res.flagged, "gpu_seconds",
		    (json_int_t)res.gpu_seconds);
		/* Which overlapping samples were flagged: kept in the audit trail too. */
		if (detail && json_array_size(res.overlaps) > 0)
			json_object_set(detail, "overlaps", res.overlaps);
		rc = audit_request(rq, "usage.ingest", target, NULL, detail);
		json_decref(detail);
		if (rc < 0) {
			json_decref(res.overlaps);
			resp_store_error(rs, rc);
			return;
		}
	}
	/*
	 * A replay answers the counts the first answer gave; which overlapping
	 * samples were flagged is said once, in the first answer and its audit
	 * entry.
	 */
	body = json_pack("{s:s, s:I, s:I}", "batch_id", res.batch_id, "accepted",
	    (json_int_t)res.accepted, "flagged", (json_int_t)res.flagged);
	if (body && json_array_size(res.overlaps) > 0)
		json_object_set(body, "overlaps", res.overlaps);
	json_decref(res.overlaps);
	resp_json(rs, 202, body);
}

/* ?at= (an RFC 3339 instant, default now); false with rs filled when bad. */
static bool
at_param(const struct request *rq, struct response *rs, int64_t *at)
{
	const char *s = req_query(rq, "at");

	*at = rq->now;
	if (s && civil_parse_instant(s, at) < 0) {
		resp_problem(rs, 400, "bad_request", "at must be an RFC 3339 instant such as "
		    "2026-03-01T00:00:00Z");
		return false;
	}
	return true;
}

static void
quota(struct request *rq, struct response *rs)
{
	const char *team = rq->params[0], *phase = req_query(rq, "phase");
	char err[GD_ERRBUF] = "", *text = NULL;
	size_t len = 0;
	int64_t at;
	int rc;

	if (!check_id_param(rs, team, "team") || !req_team_allowed(rq, rs, team))
		return;
	if (phase && !jv_valid_id(phase)) {
		resp_problem(rs, 400, "bad_request", "phase must match [a-z0-9][a-z0-9-]{0,62}");
		return;
	}
	if (!at_param(rq, rs, &at))
		return;
	rc = quota_text(rq->app ? &rq->app->quota : NULL, rq->app ? rq->app->w : NULL, rq->db,
	    team, phase, at, RESP_JSON_FLAGS, &text, &len, err, sizeof(err));
	if (rc == 0) {
		/* Already JSON, as the transport would have written it. */
		response_clear(rs);
		rs->status = 200;
		rs->text = text;
		rs->text_len = len;
		rs->content_type = "application/json";
	} else if ((rc == GD_ENOENT || rc == GD_EINVAL) && err[0])
		resp_error(rs, rc, err);
	else
		resp_store_error(rs, rc);
}

static void
fairness(struct request *rq, struct response *rs)
{
	const char *phase = rq->params[0], *format = req_query(rq, "format");
	const char *as_of = req_query(rq, "as_of");
	struct fairness_query q = { .phase = phase, .as_of = -1, .keep = true,
		.has_at = req_query(rq, "at") != NULL };
	json_t *rep = NULL;
	char *csv = NULL, err[GD_ERRBUF];
	size_t len = 0;
	int rc;

	if (!check_id_param(rs, phase, "phase") || !at_param(rq, rs, &q.at))
		return;
	if (as_of && !parse_int(as_of, 0, INT64_MAX, &q.as_of)) {
		resp_problem(rs, 400, "bad_request", "as_of must be an audit sequence number "
		    "(a whole number, 0 or more)");
		return;
	}
	if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		resp_problem(rs, 400, "bad_request", "format must be json or csv");
		return;
	}
	rc = fairness_report_build(rq->db, &q, rq->now, &rep, err, sizeof(err));
	if (rc == GD_ENOENT) {
		resp_error(rs, rc, err);
		return;
	}
	if (rc < 0) {
		resp_store_error(rs, rc);
		return;
	}
	if (format == NULL || strcmp(format, "json") == 0) {
		/* Signed as served: the checkpoint it reflects, and the whole of it. */
		if ((rc = checkpoints_sign_report(rq->app, rq->db, rep, rq->now)) < 0) {
			json_decref(rep);
			resp_store_error(rs, rc);
			return;
		}
		resp_json(rs, 200, rep);
		return;
	}
	rc = report_csv(rep, &csv, &len);
	json_decref(rep);
	if (rc < 0) {
		resp_store_error(rs, rc);
		return;
	}
	response_clear(rs);
	rs->status = 200;
	rs->text = csv;
	rs->text_len = len;
	rs->content_type = "text/csv; charset=utf-8; header=present";
}

/*
 * Every team's window, state and delivered unit-hours (phase_summary.h):
 * admins and auditors always, a team token only when the programme's
 * configuration lets teams see each other's (programme.team_phase_summary).
 */
static void
summary(struct request *rq, struct response *rs)
{
	const char *phase = rq->params[0];
	char err[GD_ERRBUF] = "";
	json_t *o = NULL;
	int64_t at;
	int rc;

	if (rq->who->role == ROLE_TEAM && !(rq->app && rq->app->cfg.programme.team_phase_summary)) {
		resp_problem(rs, 403, "forbidden", "team tokens may not read the phase summary: "
		    "programme.team_phase_summary is off in grantd.conf");
		return;
	}
	if (!check_id_param(rs, phase, "phase") || !at_param(rq, rs, &at))
		return;
	rc = phase_summary_json(rq->db, phase, at, &o, err, sizeof(err));
	if (rc == GD_ENOENT && err[0])
		resp_error(rs, rc, err);
	else if (rc < 0)
		resp_store_error(rs, rc);
	else
		resp_json(rs, 200, o);
}

const struct route routes_usage[] = {
	{ "POST", "/v1/usage", ROLE_AGENT, ROUTE_WRITE, usage_post },
	{ "GET", "/v1/teams/{team}/quota", ROLE_AUDITOR | ROLE_TEAM, 0, quota },
	/* A write: each report is kept, so that ?as_of gives it back (fairness_report.h). */
	{ "GET", "/v1/phases/{phase}/fairness", ROLE_AUDITOR, ROUTE_KEEPS, fairness },
	/* A team only where programme.team_phase_summary is on (summary()). */
	{ "GET", "/v1/phases/{phase}/summary", ROLE_AUDITOR | ROLE_TEAM, 0, summary },
	{ NULL, NULL, 0, 0, NULL },
};
