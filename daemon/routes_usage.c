/* routes_usage.c: usage ingest, quota status and the fairness report over HTTP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "report.h"
#include "router.h"
#include "routes.h"
#include "usage.h"

static void
usage_post(struct request *rq, struct response *rs)
{
	struct usage_batch_result res;
	struct usage_refusal ref;
	char target[200];
	json_t *body, *detail;
	int rc;

	if ((body = req_json(rq, rs)) == NULL)
		return;
	rc = usage_ingest(rq->db, rq->who, body, rq->now, rq->app ? &rq->app->cfg.usage : NULL,
	    &res, &ref);
	json_decref(body);
	if (rc == GD_EINVAL || rc == GD_EFORBIDDEN) {
		resp_problem(rs, ref.status, ref.code, "%s", ref.detail);
		if (ref.sample >= 0)
			json_object_set_new(rs->json, "sample", json_integer(ref.sample));
		if (ref.reason)
			json_object_set_new(rs->json, "reason", json_string(ref.reason));
		if (ref.retry_after > 0) {
			rs->retry_after = ref.retry_after;
			json_object_set_new(rs->json, "retry_after", json_integer(ref.retry_after));
		}
		return;
	}
	if (rc < 0) {
		resp_store_error(rs, rc);
		return;
	}
	if (!res.replayed) {
		snprintf(target, sizeof(target), "usage/%s/%s", rq->who->id, res.batch_id);
		detail = json_pack("{s:s, s:I, s:I, s:I}", "batch_id", res.batch_id, "samples",
		    (json_int_t)res.accepted, "flagged", (json_int_t)res.flagged, "gpu_seconds",
		    (json_int_t)res.gpu_seconds);
		rc = audit_request(rq, "usage.ingest", target, NULL, detail);
		json_decref(detail);
		if (rc < 0) {
			resp_store_error(rs, rc);
			return;
		}
	}
	/* A replay answers exactly as the first time did. */
	resp_json(rs, 202, json_pack("{s:s, s:I, s:I}", "batch_id", res.batch_id, "accepted",
	    (json_int_t)res.accepted, "flagged", (json_int_t)res.flagged));
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
	rc = usage_quota_text(rq->db, rq->app, team, phase, at, &text, &len, err, sizeof(err));
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
	json_t *rep = NULL;
	char *csv = NULL;
	size_t len = 0;
	int64_t at;
	int rc;

	if (!check_id_param(rs, phase, "phase") || !at_param(rq, rs, &at))
		return;
	if (format && strcmp(format, "json") != 0 && strcmp(format, "csv") != 0) {
		resp_problem(rs, 400, "bad_request", "format must be json or csv");
		return;
	}
	rc = usage_fairness(rq->db, phase, at, rq->now, &rep);
	if (rc == GD_ENOENT) {
		resp_problem(rs, 404, "not_found", "phase '%s' does not exist", phase);
		return;
	}
	if (rc < 0) {
		resp_store_error(rs, rc);
		return;
	}
	if (format == NULL || strcmp(format, "json") == 0) {
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

const struct route routes_usage[] = {
	{ "POST", "/v1/usage", ROLE_AGENT, ROUTE_WRITE, usage_post },
	{ "GET", "/v1/teams/{team}/quota", ROLE_AUDITOR | ROLE_TEAM, 0, quota },
	{ "GET", "/v1/phases/{phase}/fairness", ROLE_AUDITOR, 0, fairness },
	{ NULL, NULL, 0, 0, NULL },
};
