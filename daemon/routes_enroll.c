/* routes_enroll.c: the enrollment routes: create, list, get, end, extend, compensate. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "enroll.h"
#include "evaluations.h"
#include "err.h"
#include "jsonv.h"
#include "placement.h"
#include "router.h"
#include "request.h"

/* The phase of the path; false: rs is filled (404). */
static bool
load_phase(const struct request *rq, struct response *rs, struct phase_info *pi)
{
	char err[ENROLL_ERRLEN];
	int rc;

	if (!check_id_param(rs, rq->params[0], "phase"))
		return false;
	if ((rc = enroll_phase_load(rq->db, rq->params[0], pi, err, sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		return false;
	}
	return true;
}

/* Adds a refusal's own fields to its problem, in their order. */
static void
add_fields(struct response *rs, json_t *fields)
{
	const char *k;
	json_t *v;

	json_object_foreach(fields, k, v)
		json_object_set(rs->json, k, v);
	json_decref(fields);
}

static void
enroll(struct request *rq, struct response *rs)
{
	struct enroll_new in = { 0 };
	json_t *pools = NULL, *grants = NULL, *override = NULL;
	const struct jv_field f[] = {
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &in.team, NULL },
		{ "not_before", JV_DATE, JV_NULLABLE, 0, 0, &in.not_before, &in.has_not_before },
		{ "dry_run", JV_BOOL, JV_NULLABLE, 0, 0, &in.dry_run, NULL },
		{ "pools", JV_ARRAY, JV_NULLABLE, 0, PLACEMENT_MAX_POOLS, &pools, NULL },
		{ "grants", JV_ARRAY, JV_NULLABLE, 0, ENROLL_MAX_SPLIT, &grants, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &override, NULL },
	};
	struct phase_info pi;
	json_t *body, *obj = NULL, *viol = NULL, *fields = NULL;
	char target[160], err[ENROLL_ERRLEN];
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!load_phase(rq, rs, &pi) || !req_override(rq, rs, override, &in.override))
		goto out;
	in.pools = pools;
	in.grants = grants;
	if ((rc = enroll_create(rq->db, &pi, &in, rq->request_id, rq->now, &obj, &viol, &fields,
	    err, sizeof(err))) < 0) {
		resp_refusal(rs, rc, err, viol);
		add_fields(rs, fields);
		goto out;
	}
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", pi.id, in.team);
	if (!in.dry_run && (rc = audit_request(rq, "enrollment.create", target, in.override,
	    body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	/* A what-if answers 200: nothing was created. */
	if (in.dry_run)
		resp_json(rs, 200, obj);
	else
		resp_json(rs, 201, obj);
out:
	json_decref(body);
}

static void
enrollment_list(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;
	const char *team = rq->who->role == ROLE_TEAM ? rq->who->team : NULL;

	if (!load_phase(rq, rs, &pi) || !req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, enroll_list(rq->db, &pi, team, after, limit, &items, &next), &items,
	    &next);
}

static void
enrollment_get(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	char err[ENROLL_ERRLEN];
	json_t *obj = NULL;
	int rc;

	if (!load_phase(rq, rs, &pi) || !req_team_allowed(rq, rs, rq->params[1]) ||
	    !check_id_param(rs, rq->params[1], "team"))
		return;
	if ((rc = enroll_get(rq->db, &pi, rq->params[1], &obj, err, sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		return;
	}
	resp_json(rs, 200, obj);
}

static void
end_enrollment(struct request *rq, struct response *rs, enum enroll_end how,
    const char *action)
{
	struct phase_info pi;
	int64_t day;
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "effective_on", JV_DATE, JV_REQUIRED, 0, 0, &day, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	char target[160], err[ENROLL_ERRLEN];
	json_t *body, *obj = NULL;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!load_phase(rq, rs, &pi) || !check_id_param(rs, rq->params[1], "team"))
		goto out;
	if ((rc = enroll_end(rq->db, &pi, rq->params[1], how, day, rq->now, &obj, err,
	    sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", pi.id, rq->params[1]);
	if ((rc = audit_request(rq, action, target, reason, body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
out:
	json_decref(body);
}

static void
eliminate(struct request *rq, struct response *rs)
{
	end_enrollment(rq, rs, ENROLL_ELIMINATED, "enrollment.eliminate");
}

static void
withdraw(struct request *rq, struct response *rs)
{
	end_enrollment(rq, rs, ENROLL_WITHDRAWN, "enrollment.withdraw");
}

/* The audit entry of an extension keeps the request and where each make-up went. */
static void
extend(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	struct enroll_fix fx = { .request_id = rq->request_id };
	int64_t days;
	const char *reason = NULL;
	json_t *override = NULL;
	const struct jv_field f[] = {
		{ "days", JV_INT, JV_REQUIRED, 1, ENROLL_MAX_EXTEND_DAYS, &days, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &override, NULL },
	};
	char target[96], err[ENROLL_ERRLEN];
	json_t *body, *obj = NULL, *detail = NULL, *viol = NULL;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!load_phase(rq, rs, &pi) || !req_override(rq, rs, override, &fx.override))
		goto out;
	if ((rc = enroll_extend(rq->db, &pi, &fx, days, rq->now, &obj, &viol, err,
	    sizeof(err))) < 0) {
		resp_refusal(rs, rc, err, viol);
		goto out;
	}
	snprintf(target, sizeof(target), "phase/%s", pi.id);
	if ((detail = json_deep_copy(body)) == NULL ||
	    json_object_set(detail, "moved", json_object_get(obj, "moved")) < 0)
		rc = GD_ENOMEM;
	else
		rc = audit_request(rq, "phase.extend", target, reason, detail);
	if (rc < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
out:
	json_decref(detail);
	json_decref(body);
}

static void
compensate(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	struct enroll_fix fx = { .request_id = rq->request_id,
		.grace_days = rq->app->cfg.programme.compensation_grace_days };
	bool dry = false;
	json_t *override = NULL;
	const struct jv_field f[] = {
		{ "dry_run", JV_BOOL, JV_NULLABLE, 0, 0, &dry, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &override, NULL },
	};
	char target[96], err[ENROLL_ERRLEN];
	json_t *body, *items = NULL, *viol = NULL;
	int rc;

	if ((body = req_decode_opt(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!load_phase(rq, rs, &pi) || !req_override(rq, rs, override, &fx.override))
		goto out;
	fx.dry_run = dry;
	if ((rc = enroll_compensate(rq->db, &pi, &fx, rq->now, &items, &viol, err,
	    sizeof(err))) < 0) {
		resp_refusal(rs, rc, err, viol);
		goto out;
	}
	snprintf(target, sizeof(target), "phase/%s", pi.id);
	if (!dry && json_array_size(items) > 0 && (rc = audit_request(rq, "phase.compensate",
	    target, fx.override, items)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, json_pack("{s:s, s:b, s:O}", "phase", pi.id, "dry_run", dry,
	    "compensations", items));
out:
	json_decref(items);
	json_decref(body);
}

/*
 * POST /v1/phases/{phase}/evaluations: an evaluation recorded (issue 16),
 * audited as evaluation.record; each team it eliminates is audited as an
 * elimination too, with the evaluation as its reason.
 */
static void
evaluation_record(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	struct evaluation_in in = { .effective_on = -1 };
	json_t *results = NULL;
	bool has_eff = false;
	const struct jv_field f[] = {
		{ "held_on", JV_DATE, JV_REQUIRED, 0, 0, &in.held_on, NULL },
		{ "effective_on", JV_DATE, JV_NULLABLE, 0, 0, &in.effective_on, &has_eff },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &in.reason, NULL },
		{ "results", JV_ARRAY, JV_REQUIRED, 0, EVALUATION_MAX_RESULTS, &results, NULL },
	};
	char target[160], why[REASON_MAX_LEN + 64], err[GD_ERRBUF];
	json_t *body, *obj = NULL, *elim = NULL, *t;
	size_t i;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!load_phase(rq, rs, &pi))
		goto out;
	if (!has_eff || json_is_null(json_object_get(body, "effective_on")))
		in.effective_on = in.held_on;
	in.results = results;
	if ((rc = evaluations_record(rq->db, &pi, &in, rq->now, &obj, &elim, err,
	    sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "phase/%s/evaluation/%s", pi.id,
	    json_string_value(json_object_get(obj, "id")) + 3);
	rc = audit_request(rq, "evaluation.record", target, in.reason, body);
	snprintf(why, sizeof(why), "evaluation %s: %s",
	    json_string_value(json_object_get(obj, "id")), in.reason);
	json_array_foreach(elim, i, t) {
		if (rc < 0)
			break;
		snprintf(target, sizeof(target), "phase/%s/enrollment/%s", pi.id,
		    json_string_value(t));
		rc = audit_request(rq, "enrollment.eliminate", target, why, NULL);
	}
	if (rc < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(elim);
	json_decref(body);
}

static void
evaluation_list(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	json_t *items = NULL;
	int rc;

	if (!load_phase(rq, rs, &pi))
		return;
	if ((rc = evaluations_list(rq->db, &pi, &items)) < 0) {
		resp_store_error(rs, rc);
		return;
	}
	resp_json(rs, 200, json_pack("{s:o}", "items", items));
}

const struct route routes_enroll[] = {
	{ "POST", "/v1/phases/{phase}/enrollments", 0, ROUTE_WRITE, enroll },
	{ "GET", "/v1/phases/{phase}/enrollments", ROLE_AUDITOR | ROLE_TEAM, 0, enrollment_list },
	{ "GET", "/v1/phases/{phase}/enrollments/{team}", ROLE_AUDITOR | ROLE_TEAM, 0,
	    enrollment_get },
	{ "POST", "/v1/phases/{phase}/enrollments/{team}/eliminate", 0, ROUTE_WRITE, eliminate },
	{ "POST", "/v1/phases/{phase}/enrollments/{team}/withdraw", 0, ROUTE_WRITE, withdraw },
	{ "POST", "/v1/phases/{phase}/extend", 0, ROUTE_WRITE, extend },
	{ "POST", "/v1/phases/{phase}/compensate", 0, ROUTE_WRITE, compensate },
	{ "POST", "/v1/phases/{phase}/evaluations", 0, ROUTE_WRITE, evaluation_record },
	{ "GET", "/v1/phases/{phase}/evaluations", ROLE_AUDITOR, 0, evaluation_list },
	{ NULL, NULL, 0, 0, NULL },
};
