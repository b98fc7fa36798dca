/* routes_grants.c: grants added, listed and released by hand. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "calendar.h"
#include "civil.h"
#include "err.h"
#include "fairness.h"
#include "jsonv.h"
#include "money.h"
#include "router.h"
#include "routes.h"
#include "store_grants.h"
#include "units.h"


static json_t *
grant_audit_detail(json_t *body, int64_t id)
{
	char buf[32];
	json_t *d = json_deep_copy(body);

	grant_id_format(id, buf);
	json_object_set_new(d, "grant", json_string(buf));
	return d;
}

/* Milli-unit-seconds outages took from an enrollment, and make-ups it has had. */
static int
owed_of(struct db *db, const struct calendar *cal, int64_t enrollment, int64_t *owed)
{
	struct enr_loss *lost = NULL;
	struct grant *gs = NULL;
	size_t nl = 0, ng = 0;
	int64_t comp = 0, l, v;
	ssize_t p;
	int rc = 0;

	if ((rc = calendar_losses(db, cal, civil_min_instant(), civil_max_instant(), &lost,
	    &nl)) < 0)
		return rc;
	l = calendar_loss_of(lost, nl, enrollment);
	free(lost);
	if ((rc = store_grants_of(db, enrollment, &gs, &ng)) < 0)
		return rc;
	/* cards x weight <= 10^12; the duration can still carry it past int64. */
	for (size_t i = 0; rc == 0 && i < ng; i++)
		if (strcmp(gs[i].kind, "compensation") == 0 &&
		    (p = calendar_find(cal, gs[i].pool)) >= 0 &&
		    (!money_mul(gs[i].cards * cal->pools[p].weight_milli,
		    gs[i].end - gs[i].start, &v) || !money_add(comp, v, &comp)))
			rc = GD_ERANGE;
	free(gs);
	if (rc == 0)
		*owed = l > comp ? l - comp : 0;
	return rc;
}

/* An enrollment's live grants as the fairness rules see them; *fg malloc'd, pointing into gs. */
static int
fairness_grants(const struct calendar *cal, const struct grant *gs, size_t n,
    struct fairness_grant **fg)
{
	ssize_t q;

	*fg = NULL;
	if (n > 0 && (*fg = calloc(n, sizeof(**fg))) == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		/* A grant's pool is a foreign key: the calendar has every pool. */
		if ((q = calendar_find(cal, gs[i].pool)) < 0) {
			free(*fg);
			*fg = NULL;
			return GD_EIO;
		}
		(*fg)[i] = (struct fairness_grant){ gs[i].pool, cal->pools[q].weight_milli,
		    gs[i].cards, gs[i].start, gs[i].end,
		    strcmp(gs[i].kind, "compensation") == 0, false };
	}
	return 0;
}

/* The violation for the first stretch where the new units pass the package. */
static json_t *
excess_violation(const struct enrollment *e, const struct cal_pool *cp, int64_t cards,
    int64_t add, int64_t package, const struct fairness_gap *over, size_t n)
{
	char s[CIVIL_INSTANT_LEN], t[CIVIL_INSTANT_LEN], more[48] = "";
	char held[UNITS_LEN], added[UNITS_LEN], total[UNITS_LEN], pkg[UNITS_LEN];
	int64_t sum;

	civil_format_instant(over->from, s);
	civil_format_instant(over->to, t);
	units_format(over->units_milli, held);
	units_format(add, added);
	units_format(money_add(over->units_milli, add, &sum) ? sum : INT64_MAX, total);
	units_format(package, pkg);
	if (n > 1)
		snprintf(more, sizeof(more), " (and %zu more stretches)", n - 1);
	return violation("equal_resource", "team '%s' holds %s units in [%s, %s); %lld %s "
	    "cards add %s, making %s, above the phase's package of %s units%s", e->team, held,
	    s, t, (long long)cards, cp->card_model, added, total, pkg, more);
}

/*
 * Adds an equal_resource violation to viol when cards of pool p over
 * [start, end) would lift the team above the package units at an instant
 * of its window: there, the units of its live grants (as released or cut
 * short, make-ups excluded) plus the new ones may be at most the package.
 * Topping a team up to its package, or replacing cards released early, is
 * therefore fine.
 */
static int
check_resource(struct db *db, const struct calendar *cal, const struct enrollment *e,
    ssize_t p, int64_t cards, int64_t start, int64_t end, json_t *viol)
{
	struct phase_info pi;
	struct fairness_phase ph;
	struct fairness_enrollment fe;
	struct fairness_grant *fg = NULL;
	struct fairness_gap *over = NULL;
	struct grant *gs = NULL;
	size_t ng = 0, no = 0;
	/* cards <= 10^6 and a weight <= 1000 units (10^6 milli): at most 10^12. */
	int64_t add = cards * cal->pools[p].weight_milli;
	int rc;

	if ((rc = store_phase_info(db, e->phase, &pi)) < 0 ||
	    (rc = store_grants_of(db, e->id, &gs, &ng)) < 0 ||
	    (rc = fairness_grants(cal, gs, ng, &fg)) < 0)
		goto out;
	ph = (struct fairness_phase){ pi.period_days * CIVIL_DAY, pi.units_milli,
	    pi.voucher_krw };
	fe = (struct fairness_enrollment){ e->team, FAIRNESS_ACTIVE, e->start, e->end, e->end,
	    pi.voucher_krw, fg, ng, 0, 0, 0 };
	if ((rc = fairness_excess(&ph, &fe, start, end, add, &over, &no)) < 0)
		goto out;
	if (no > 0)
		json_array_append_new(viol, excess_violation(e, &cal->pools[p], cards, add,
		    pi.units_milli, over, no));
out:
	free(over);
	free(fg);
	free(gs);
	return rc;
}

/* An instant for a detail, in the zone of the enrollment's programme. */
static void
phase_when(const struct request *rq, const struct enrollment *e, int64_t t, char *buf)
{
	struct phase_info pi;

	if (store_phase_info(rq->db, e->phase, &pi) == 0)
		format_when(t, pi.tz, pi.tz_off, buf);
	else
		app_format_when(rq->app, t, buf);
}

static void
grant_create(struct request *rq, struct response *rs)
{
	const char *phase = NULL, *team = NULL, *pool = NULL, *reason = NULL;
	int64_t cards, start, end, owed = 0, mus, id;
	json_t *body, *enr = NULL, *ov = NULL, *obj = NULL, *viol = json_array(), *d;
	const struct jv_field f[] = {
		{ "enrollment", JV_OBJECT, JV_REQUIRED, 0, 0, &enr, NULL },
		{ "pool", JV_ID, JV_REQUIRED, 0, 0, &pool, NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, UNITS_MAX_CARDS, &cards, NULL },
		{ "start", JV_INSTANT, JV_REQUIRED, 0, 0, &start, NULL },
		{ "end", JV_INSTANT, JV_REQUIRED, 0, 0, &end, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &ov, NULL },
	};
	const struct jv_field ef[] = {
		{ "phase", JV_ID, JV_REQUIRED, 0, 0, &phase, NULL },
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &team, NULL },
	};
	struct calendar cal = { 0 };
	struct enrollment e;
	struct timeline_breach br;
	struct timeline_grant tg;
	char err[GD_ERRBUF], when[APP_WHEN_LEN], target[64];
	ssize_t p;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		goto out;
	if (jv_decode(enr, ef, NFIELDS(ef), "enrollment.", err, sizeof(err)) < 0) {
		resp_problem(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	if (!req_override(rq, rs, ov, &reason))
		goto out;
	if (end <= start) {
		resp_problem(rs, 400, "bad_request", "end must be after start");
		goto out;
	}
	/* As long as a window at most (lib/units.h: its unit-time then fits). */
	if (end - start > (int64_t)UNITS_MAX_PERIOD_DAYS * CIVIL_DAY) {
		resp_problem(rs, 400, "bad_request", "a grant lasts at most %d days",
		    UNITS_MAX_PERIOD_DAYS);
		goto out;
	}
	if ((rc = store_enrollment_get(rq->db, phase, team, &e)) < 0) {
		if (rc == GD_ENOENT)
			resp_problem(rs, 404, "not_found", "team '%s' is not enrolled in phase '%s'",
			    team, phase);
		else
			resp_store_error(rs, rc);
		goto out;
	}
	if (strcmp(e.state, "active") != 0) {
		resp_problem(rs, 409, "invalid_state", "enrollment of team '%s' is %s", team, e.state);
		goto out;
	}
	if ((rc = calendar_load(rq->db, &cal)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	if ((p = calendar_find(&cal, pool)) < 0) {
		resp_problem(rs, 404, "not_found", "pool '%s' does not exist", pool);
		goto out;
	}
	/* Capacity first: it can never be overridden. */
	tg = (struct timeline_grant){ 0, start, end, cards };
	rc = timeline_check_add(cal.pp[p].tl, &tg, 1, &br);
	if (rc == GD_ECAPACITY) {
		phase_when(rq, &e, br.at, when);
		resp_problem(rs, 409, "capacity_exceeded", "pool %s has %lld free cards at %s; "
		    "the grant asks for %lld", pool, (long long)br.free, when, (long long)cards);
		goto out;
	}
	if (rc < 0) {
		resp_error(rs, rc, "the grant's interval or cards are out of range");
		goto out;
	}
	if (!money_mul(cards * cal.pools[p].weight_milli, end - start, &mus)) {
		resp_problem(rs, 400, "bad_request", "a grant of %lld cards from %s to %s is more "
		    "unit-hours than grantd can count", (long long)cards, json_string_value(
		    json_object_get(body, "start")), json_string_value(json_object_get(body, "end")));
		goto out;
	}
	if (start < e.end && end > e.start &&
	    (rc = check_resource(rq->db, &cal, &e, p, cards, start, end, viol)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	if (start < e.end && end > e.end) {
		phase_when(rq, &e, e.end, when);
		json_array_append_new(viol, violation("equal_resource", "a grant of %lld %s cards "
		    "reaches past the window of team '%s', which ends at %s; end it there (a grant "
		    "after the window is judged by what the team is owed)", (long long)cards,
		    cal.pools[p].card_model, team, when));
	}
	if (start < e.start)
		json_array_append_new(viol, violation("equal_period", "a grant starting before the "
		    "window of team '%s' lengthens its period", team));
	if (start >= e.end) {
		if ((rc = owed_of(rq->db, &cal, e.id, &owed)) < 0) {
			resp_store_error(rs, rc);
			goto out;
		}
		if (mus > owed)
			json_array_append_new(viol, violation("equal_delivery", "a grant after the "
			    "window of team '%s' delivers %.3f unit-hours; the team is owed %.3f",
			    team, (double)mus / 3.6e6, (double)owed / 3.6e6));
	}
	if (json_array_size(viol) > 0 && reason == NULL) {
		resp_violations(rs, viol);
		viol = NULL;
		goto out;
	}
	/* One after the window is a make-up by hand: it pays down what is owed. */
	if ((rc = store_grant_insert(rq->db, e.id, pool, cards, start, end,
	    start >= e.end ? "compensation" : "manual", rq->now, &id)) < 0 ||
	    (json_array_size(viol) > 0 && (rc = record_overrides(rq, phase, team, viol, reason,
	    "grant.create")) < 0)) {
		resp_store_error(rs, rc);
		goto out;
	}
	memcpy(target, "grant/", 6);
	grant_id_format(id, target + 6);
	d = grant_audit_detail(body, id);
	rc = audit_request(rq, "grant.create", target, reason, d);
	json_decref(d);
	if (rc < 0 || (rc = store_grant_json(rq->db, id, &obj)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
out:
	calendar_free(&cal);
	json_decref(viol);
	json_decref(body);
}

static bool
parse_grant_id(struct response *rs, const char *s, int64_t *id)
{
	if (grant_id_parse(s, id) == 0)
		return true;
	resp_problem(rs, 404, "not_found", "grant ids look like gr_123");
	return false;
}

static void
grant_release(struct request *rq, struct response *rs)
{
	const char *reason = NULL;
	int64_t at, id, from, to;
	json_t *body, *ov = NULL, *obj = NULL, *viol = json_array();
	const struct jv_field f[] = {
		{ "at", JV_INSTANT, JV_REQUIRED, 0, 0, &at, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &ov, NULL },
	};
	const char *ovr = NULL;
	struct grant g;
	struct enrollment e;
	char target[40];
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		goto out;
	if (!parse_grant_id(rs, rq->params[0], &id) || !req_override(rq, rs, ov, &ovr))
		goto out;
	if ((rc = store_grant_get(rq->db, id, &g)) < 0) {
		resp_get(rs, rc, NULL, "grant", rq->params[0]);
		goto out;
	}
	if (g.cancelled) {
		resp_problem(rs, 409, "invalid_state", "grant %s was cancelled (released at or "
		    "before its start, or its enrollment ended first): there is nothing to release",
		    rq->params[0]);
		goto out;
	}
	if (at >= g.end) {
		resp_problem(rs, 400, "bad_request", "at is not before the grant's end");
		goto out;
	}
	if ((rc = store_enrollment_by_id(rq->db, g.enrollment, &e)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	/*
	 * Taking cards out of a window leaves the team short of its package
	 * there: the window up to its end, or up to the day the team left (an
	 * eliminated team was owed its package until then, and the report
	 * judges it so).
	 */
	from = at > g.start ? at : g.start;
	to = g.end < e.end ? g.end : e.end;
	if (e.ended_at >= 0 && e.ended_at < to)
		to = e.ended_at;
	if (strcmp(g.kind, "compensation") != 0 && from < to && to > e.start)
		json_array_append_new(viol, violation("equal_resource", "releasing %s at this "
		    "instant leaves team '%s' %lld cards of pool %s short inside its window",
		    rq->params[0], e.team, (long long)g.cards, g.pool));
	if (json_array_size(viol) > 0 && ovr == NULL) {
		resp_violations(rs, viol);
		viol = NULL;
		goto out;
	}
	snprintf(target, sizeof(target), "grant/%s", rq->params[0]);
	if ((rc = store_grant_cut(rq->db, id, at)) < 0 ||
	    (json_array_size(viol) > 0 && (rc = record_overrides(rq, e.phase, e.team, viol, ovr,
	    "grant.release")) < 0) ||
	    (rc = audit_request(rq, "grant.release", target, reason, body)) < 0 ||
	    (rc = store_grant_json(rq->db, id, &obj)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
out:
	json_decref(viol);
	json_decref(body);
}

static void
grant_list(struct request *rq, struct response *rs)
{
	struct grant_filter gf = { req_query(rq, "team"), req_query(rq, "pool"),
		req_query(rq, "phase"), -1 };
	const char *at = req_query(rq, "at"), *after = req_query(rq, "after");
	const char *l = req_query(rq, "limit");
	int64_t limit = 100, aid = 0;
	json_t *items = NULL;
	char *next = NULL;

	if (l && !parse_int(l, 1, 1000, &limit)) {
		resp_problem(rs, 400, "bad_request", "limit must be an integer from 1 to 1000");
		return;
	}
	if (after && grant_id_parse(after, &aid) < 0) {
		resp_problem(rs, 400, "bad_request", "after must be a grant id from a previous page");
		return;
	}
	if (at && civil_parse_instant(at, &gf.at) < 0) {
		resp_problem(rs, 400, "bad_request", "at must be an RFC 3339 instant");
		return;
	}
	if (rq->who->role == ROLE_TEAM) {
		if (gf.team && !req_team_allowed(rq, rs, gf.team))
			return;
		gf.team = rq->who->team;
	}
	resp_list(rs, store_grant_list(rq->db, &gf, aid, limit, &items, &next), &items, &next);
}

static void
grant_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;
	int64_t id;
	int rc;

	if (!parse_grant_id(rs, rq->params[0], &id))
		return;
	rc = store_grant_json(rq->db, id, &obj);
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
