/* routes_catalog.c: card models, programmes, phases and teams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "catalog.h"
#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "router.h"
#include "request.h"
#include "units.h"

#define MAX_MEMBERS 200
/* lib/units.h says why these limits make every unit-time figure fit. */
#define MAX_CARDS UNITS_MAX_CARDS
#define MAX_PERIOD_DAYS UNITS_MAX_PERIOD_DAYS

/* Finishes a change: audit it, then reply with the stored resource. */
static void
created(const struct request *rq, struct response *rs, int status, const char *action,
    const char *target, const json_t *detail, int rc_get, json_t *obj)
{
	int rc;

	if (rc_get < 0) {
		resp_store_error(rs, rc_get);
		return;
	}
	if ((rc = audit_request(rq, action, target, NULL, detail)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		return;
	}
	resp_json(rs, status, obj);
}

static void
card_model_put(struct request *rq, struct response *rs)
{
	const char *id = rq->params[0];
	int64_t milli;
	const struct jv_field f[] = {
		{ "weight", JV_MILLI, JV_REQUIRED, 0, UNITS_MAX_WEIGHT, &milli, NULL },
	};
	char target[96], err[GD_ERRBUF];
	json_t *body, *obj = NULL;
	bool changed;
	int rc;

	if (!jv_valid_model(id)) {
		resp_problem(rs, 400, "bad_request",
		    "card model id must match [A-Za-z0-9][A-Za-z0-9-]{0,62}");
		return;
	}
	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	rc = catalog_card_model_put(rq->db, id, milli, &changed, &obj, err, sizeof(err));
	if (!changed) {
		resp_get(rs, rc, &obj, "card model", id);
	} else if (rc < 0 && err[0] != '\0') {
		resp_error(rs, rc, err);
	} else {
		snprintf(target, sizeof(target), "card-model/%s", id);
		created(rq, rs, 200, "card_model.put", target, body, rc, obj);
	}
	json_decref(body);
}

static void
card_model_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;
	int rc;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	rc = catalog_card_model_list(rq->db, after, limit, &items, &next);
	resp_list(rs, rc, &items, &next);
}

static void
card_model_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;

	resp_get(rs, catalog_card_model_get(rq->db, rq->params[0], &obj), &obj, "card model",
	    rq->params[0]);
}

static void
program_create(struct request *rq, struct response *rs)
{
	struct program_in p = { 0 };
	const struct jv_field f[] = {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, &p.id, NULL },
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &p.name, NULL },
		{ "timezone", JV_STR, 0, 0, 64, &p.timezone, NULL },
	};
	char target[96];
	int32_t off;
	json_t *body, *want, *obj = NULL;
	bool existed;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (p.timezone == NULL)
		p.timezone = rq->app->cfg.programme.timezone;
	if (civil_tz_offset(p.timezone, &off) < 0) {
		resp_problem(rs, 400, "bad_request", "timezone '%s' is not supported: use a "
		    "fixed-offset zone such as Asia/Seoul, UTC or +09:00", p.timezone);
		json_decref(body);
		return;
	}
	rc = catalog_program_create(rq->db, &p, rq->now, &existed, &obj);
	if (existed) {
		want = json_pack("{s:s, s:s}", "name", p.name, "timezone", p.timezone);
		resp_exists(rs, obj, want, "program", p.id);
		json_decref(want);
	} else {
		snprintf(target, sizeof(target), "program/%s", p.id);
		created(rq, rs, 201, "program.create", target, body, rc, obj);
	}
	json_decref(body);
}

static void
program_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, catalog_program_list(rq->db, after, limit, &items, &next), &items, &next);
}

static void
program_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;

	if (check_id_param(rs, rq->params[0], "program"))
		resp_get(rs, catalog_program_get(rq->db, rq->params[0], &obj), &obj, "program",
		    rq->params[0]);
}

static void
phase_create(struct request *rq, struct response *rs)
{
	struct phase_in p = { .evaluation_on = -1 };
	json_t *body, *pkg = NULL, *want, *obj = NULL;
	const char *starts = NULL, *eval = NULL;
	bool has_eval = false;
	const struct jv_field f[] = {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, &p.id, NULL },
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &p.name, NULL },
		{ "starts_on", JV_DATE, JV_REQUIRED, 0, 0, &p.starts_on, NULL },
		{ "period_days", JV_INT, JV_REQUIRED, 1, MAX_PERIOD_DAYS, &p.period_days, NULL },
		{ "evaluation_on", JV_DATE, JV_NULLABLE, 0, 0, &p.evaluation_on, &has_eval },
		{ "package", JV_OBJECT, JV_REQUIRED, 0, 0, &pkg, NULL },
	};
	const struct jv_field pf[] = {
		{ "card_model", JV_MODEL, JV_REQUIRED, 0, 0, &p.card_model, NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, MAX_CARDS, &p.cards, NULL },
		{ "voucher_krw", JV_MONEY, JV_REQUIRED, 0, 0, &p.voucher_krw, NULL },
	};
	char err[GD_ERRBUF], target[96];
	bool existed;
	int rc;

	if (!check_id_param(rs, rq->params[0], "program"))
		return;
	p.program = rq->params[0];
	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (jv_decode(pkg, pf, NFIELDS(pf), "package.", err, sizeof(err)) < 0) {
		resp_problem(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	if (!has_eval)
		p.evaluation_on = -1;
	if (has_eval && p.evaluation_on < p.starts_on) {
		resp_problem(rs, 400, "bad_request", "evaluation_on must not be before starts_on");
		goto out;
	}
	if (p.starts_on + p.period_days > civil_days_from_ymd(CIVIL_MAX_YEAR, 12, 31)) {
		resp_problem(rs, 400, "bad_request", "the phase would end after year 9999");
		goto out;
	}
	rc = catalog_phase_create(rq->db, &p, rq->now, &existed, &obj, err, sizeof(err));
	if (existed) {
		starts = json_string_value(json_object_get(body, "starts_on"));
		eval = has_eval ? json_string_value(json_object_get(body, "evaluation_on")) : NULL;
		want = json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:I, s:I}}", "program", p.program,
		    "name", p.name, "starts_on", starts, "period_days", (json_int_t)p.period_days,
		    "package", "card_model", p.card_model, "cards", (json_int_t)p.cards,
		    "voucher_krw", (json_int_t)p.voucher_krw);
		if (want && eval)
			json_object_set_new(want, "evaluation_on", json_string(eval));
		resp_exists(rs, obj, want, "phase", p.id);
		json_decref(want);
	} else if (rc < 0 && err[0] != '\0') {
		resp_error(rs, rc, err);
	} else {
		snprintf(target, sizeof(target), "phase/%s", p.id);
		created(rq, rs, 201, "phase.create", target, body, rc, obj);
	}
out:
	json_decref(body);
}

static void
phase_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL, err[GD_ERRBUF];
	int rc;

	if (!check_id_param(rs, rq->params[0], "program") ||
	    !req_list_params(rq, rs, &limit, &after))
		return;
	rc = catalog_phase_list(rq->db, rq->params[0], after, limit, &items, &next, err,
	    sizeof(err));
	if (rc < 0 && err[0] != '\0')
		resp_error(rs, rc, err);
	else
		resp_list(rs, rc, &items, &next);
}

static void
phase_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;

	if (check_id_param(rs, rq->params[0], "phase"))
		resp_get(rs, catalog_phase_get(rq->db, rq->params[0], &obj), &obj, "phase",
		    rq->params[0]);
}

static int
decode_members(json_t *arr, struct member_in *m, char *err, size_t errlen)
{
	char where[48];
	json_t *v;
	size_t i, j;

	json_array_foreach(arr, i, v) {
		const struct jv_field f[] = {
			{ "org", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &m[i].org, NULL },
			{ "role", JV_STR, JV_REQUIRED, 0, 64, &m[i].role, NULL },
		};

		snprintf(where, sizeof(where), "members[%zu].", i);
		if (!json_is_object(v)) {
			snprintf(err, errlen, "members[%zu] must be an object", i);
			return GD_EINVAL;
		}
		if (jv_decode(v, f, NFIELDS(f), where, err, errlen) < 0)
			return GD_EINVAL;
		for (j = 0; j < i; j++) {
			if (strcmp(m[j].org, m[i].org) == 0) {
				snprintf(err, errlen, "members[%zu].org '%s' is listed twice", i,
				    m[i].org);
				return GD_EINVAL;
			}
		}
	}
	return 0;
}

static void
team_create(struct request *rq, struct response *rs)
{
	struct member_in members[MAX_MEMBERS];
	struct team_in t = { .members = members };
	json_t *body, *marr = NULL, *want, *obj = NULL;
	const struct jv_field f[] = {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, &t.id, NULL },
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &t.name, NULL },
		{ "lead_org", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &t.lead_org, NULL },
		{ "members", JV_ARRAY, 0, 0, MAX_MEMBERS, &marr, NULL },
	};
	char err[GD_ERRBUF], target[96];
	bool existed;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (marr && decode_members(marr, members, err, sizeof(err)) < 0) {
		resp_problem(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	t.nmembers = marr ? json_array_size(marr) : 0;
	rc = catalog_team_create(rq->db, &t, rq->now, &existed, &obj, err, sizeof(err));
	if (rc < 0 && err[0] != '\0') {
		resp_failure(rs, rc, err);
	} else if (existed) {
		want = json_pack("{s:s, s:s, s:o}", "name", t.name, "lead_org", t.lead_org,
		    "members", marr ? json_incref(marr) : json_array());
		resp_exists(rs, obj, want, "team", t.id);
		json_decref(want);
	} else {
		snprintf(target, sizeof(target), "team/%s", t.id);
		created(rq, rs, 201, "team.create", target, body, rc, obj);
	}
out:
	json_decref(body);
}

static void
team_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;
	const char *only = rq->who->role == ROLE_TEAM ? rq->who->team : NULL;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, catalog_team_list(rq->db, only, after, limit, &items, &next), &items, &next);
}

static void
team_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;

	if (!check_id_param(rs, rq->params[0], "team") ||
	    !req_team_allowed(rq, rs, rq->params[0]))
		return;
	resp_get(rs, catalog_team_get(rq->db, rq->params[0], &obj), &obj, "team", rq->params[0]);
}

const struct route routes_catalog[] = {
	{ "PUT", "/v1/card-models/{model}", 0, ROUTE_WRITE, card_model_put },
	{ "GET", "/v1/card-models", ROLE_AUDITOR | ROLE_TEAM | ROLE_AGENT, 0, card_model_list },
	{ "GET", "/v1/card-models/{model}", ROLE_AUDITOR | ROLE_TEAM | ROLE_AGENT, 0,
	    card_model_get },
	{ "POST", "/v1/programs", 0, ROUTE_WRITE, program_create },
	{ "GET", "/v1/programs", ROLE_AUDITOR | ROLE_TEAM, 0, program_list },
	{ "GET", "/v1/programs/{program}", ROLE_AUDITOR | ROLE_TEAM, 0, program_get },
	{ "POST", "/v1/programs/{program}/phases", 0, ROUTE_WRITE, phase_create },
	{ "GET", "/v1/programs/{program}/phases", ROLE_AUDITOR | ROLE_TEAM, 0, phase_list },
	{ "GET", "/v1/phases/{phase}", ROLE_AUDITOR | ROLE_TEAM, 0, phase_get },
	{ "POST", "/v1/teams", 0, ROUTE_WRITE, team_create },
	{ "GET", "/v1/teams", ROLE_AUDITOR | ROLE_TEAM, 0, team_list },
	{ "GET", "/v1/teams/{team}", ROLE_AUDITOR | ROLE_TEAM, 0, team_get },
	{ NULL, NULL, 0, 0, NULL },
};
