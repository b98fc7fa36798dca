/* grants.c: grants by hand: the three fairness rules of an addition, release, and what is owed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "app.h"
#include "calendar.h"
#include "civil.h"
#include "err.h"
#include "fairness.h"
#include "figures.h"
#include "grants.h"
#include "money.h"
#include "report.h"
#include "store_enrollments.h"
#include "store_grants.h"
#include "store_catalog.h"
#include "store_pools.h"
#include "store_overrides.h"
#include "team_rules.h"
#include "units.h"

json_t *
grants_violation(const char *rule, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "rule", rule, "detail", buf);
}

/*
 * Called only once the change is otherwise complete, inside its savepoint,
 * so that an override is recorded exactly when the change it allowed is.
 */
int
grants_record_overrides(struct db *db, const char *phase, const char *team,
    const json_t *violations, const char *reason, const char *action,
    const char *request_id, int64_t now)
{
	json_t *v;
	size_t i;
	int rc = 0;

	json_array_foreach(violations, i, v) {
		const char *who = json_string_value(json_object_get(v, "team"));

		/* A violation that names its team (a phase-wide change) is that team's. */
		rc = store_override_insert(db, phase, who ? who : team,
		    json_string_value(json_object_get(v, "rule")),
		    json_string_value(json_object_get(v, "detail")), reason, action, request_id,
		    now);
		if (rc < 0)
			break;
	}
	return rc;
}

/* A refusal for breaking rules: the violations go to the caller, the first detail to err. */
static int
refuse(json_t *viol, json_t **violations, char *err, size_t errlen)
{
	const char *d = json_string_value(json_object_get(json_array_get(viol, 0), "detail"));

	snprintf(err, errlen, "%s", d ? d : "fairness rule broken");
	*violations = viol;
	return GD_EFAIRNESS;
}

int
grants_owed(struct db *db, const struct calendar *cal, int64_t enrollment, int64_t lost,
    int64_t *owed)
{
	struct grant *gs = NULL;
	struct report_grant *rg = NULL;
	size_t n = 0;
	ssize_t p;
	int rc;

	if ((rc = figures_owed_losses(db, cal, enrollment, &lost)) < 0 ||
	    (rc = store_grants_of(db, enrollment, &gs, &n)) < 0)
		return rc;
	if (n > 0 && (rg = calloc(n, sizeof(*rg))) == NULL)
		rc = GD_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		/* A grant's pool is a foreign key: the calendar has every pool. */
		if ((p = calendar_find(cal, gs[i].pool)) < 0)
			rc = GD_EIO;
		else
			rg[i] = (struct report_grant){ gs[i].start, gs[i].end,
				gs[i].cards * cal->pools[p].weight_milli,
				gs[i].kind == GRANT_COMPENSATION };
	}
	if (rc == 0)
		rc = report_owed(rg, n, lost, owed);
	free(rg);
	free(gs);
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
		    gs[i].kind == GRANT_COMPENSATION, false };
	}
	return 0;
}

/* The violation for the first stretch where the new units pass the package. */
static json_t *
excess_violation(const struct enrollment *e, const struct phase_info *pi,
    const struct cal_pool *cp, int64_t cards, int64_t add, const struct fairness_gap *over,
    size_t n)
{
	char s[APP_WHEN_LEN], t[APP_WHEN_LEN], more[48] = "";
	char held[UNITS_LEN], added[UNITS_LEN], total[UNITS_LEN], pkg[UNITS_LEN];
	int64_t sum;

	app_format_when_in(over->from, pi->tz, pi->tz_off, s);
	app_format_when_in(over->to, pi->tz, pi->tz_off, t);
	units_format(over->units_milli, held);
	units_format(add, added);
	units_format(money_add(over->units_milli, add, &sum) ? sum : INT64_MAX, total);
	units_format(pi->units_milli, pkg);
	if (n > 1)
		snprintf(more, sizeof(more), " (and %zu more stretches)", n - 1);
	return grants_violation("equal_resource", "team '%s' holds %s units in [%s, %s); %lld %s "
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
    const struct phase_info *pi, ssize_t p, int64_t cards, int64_t start, int64_t end,
    json_t *viol)
{
	struct fairness_phase ph;
	struct fairness_enrollment fe;
	struct fairness_grant *fg = NULL;
	struct fairness_gap *over = NULL;
	struct grant *gs = NULL;
	size_t ng = 0, no = 0;
	/* cards <= 10^6 and a weight <= 1000 units (10^6 milli): at most 10^12. */
	int64_t add = cards * cal->pools[p].weight_milli;
	int rc;

	if ((rc = store_grants_of(db, e->id, &gs, &ng)) < 0 ||
	    (rc = fairness_grants(cal, gs, ng, &fg)) < 0)
		goto out;
	ph = (struct fairness_phase){ pi->period_days * CIVIL_DAY, pi->units_milli,
	    pi->voucher_krw };
	fe = (struct fairness_enrollment){ e->team, FAIRNESS_ACTIVE, e->start, e->end, e->end,
	    pi->voucher_krw, fg, ng, 0, 0, 0 };
	if ((rc = fairness_excess(&ph, &fe, start, end, add, &over, &no)) < 0)
		goto out;
	if (no > 0)
		json_array_append_new(viol, excess_violation(e, pi, &cal->pools[p], cards, add,
		    over, no));
out:
	free(over);
	free(fg);
	free(gs);
	return rc;
}

/*
 * The fairness rules of a new grant (see grants.h), each broken one
 * appended to viol.  0 or a storage code.
 */
static int
add_violations(struct db *db, const struct calendar *cal, const struct enrollment *e,
    const struct phase_info *pi, ssize_t p, const struct grant_new *in, int64_t mus,
    json_t *viol)
{
	struct enr_loss *lost = NULL;
	char when[APP_WHEN_LEN];
	int64_t owed = 0, l;
	size_t nl = 0;
	int rc;

	if (in->start < e->end && in->end > e->start && (rc = check_resource(db, cal, e, pi, p,
	    in->cards, in->start, in->end, viol)) < 0)
		return rc;
	if (in->start < e->end && in->end > e->end) {
		app_format_when_in(e->end, pi->tz, pi->tz_off, when);
		json_array_append_new(viol, grants_violation("equal_resource", "a grant of %lld %s "
		    "cards reaches past the window of team '%s', which ends at %s; end it there (a "
		    "grant after the window is judged by what the team is owed)",
		    (long long)in->cards, cal->pools[p].card_model, in->team, when));
	}
	if (in->start < e->start)
		json_array_append_new(viol, grants_violation("equal_period", "a grant starting "
		    "before the window of team '%s' lengthens its period", in->team));
	if (in->start >= e->start && in->start < civil_local_midnight(civil_local_day(
	    e->created_at, pi->tz_off), pi->tz_off)) {
		app_format_when_in(e->created_at, pi->tz, pi->tz_off, when);
		json_array_append_new(viol, grants_violation("equal_period", "a grant starting "
		    "at %s is before the day team '%s' was enrolled (%s): time that already "
		    "passed is not a period given", in->start_text, in->team, when));
	}
	if (in->end > e->end)
		team_evaluation_check(pi, e, in->end, "a grant", viol);
	if ((rc = team_rules_check(db, pi, in->team, e->id, in->start, in->end, false,
	    viol)) < 0)
		return rc;
	if (in->start >= e->end) {
		if ((rc = calendar_losses(db, cal, civil_min_instant(), civil_max_instant(), &lost,
		    &nl)) < 0)
			return rc;
		l = calendar_loss_of(lost, nl, e->id);
		free(lost);
		if ((rc = grants_owed(db, cal, e->id, l, &owed)) < 0)
			return rc;
		if (mus > owed)
			json_array_append_new(viol, grants_violation("equal_delivery", "a grant "
			    "after the window of team '%s' delivers %.3f unit-hours; the team is "
			    "owed %.3f", in->team, (double)mus / 3.6e6, (double)owed / 3.6e6));
	}
	return 0;
}

int
grants_add(struct db *db, const struct grant_new *in, const char *request_id, int64_t now,
    int64_t *id, json_t **out, json_t **violations, char *err, size_t errlen)
{
	struct calendar cal = { 0 };
	struct phase_info pi;
	struct enrollment e;
	struct timeline_breach br;
	struct timeline_grant tg;
	char when[APP_WHEN_LEN];
	json_t *viol = NULL;
	int64_t mus, gid;
	ssize_t p;
	int rc;

	err[0] = '\0';
	*violations = NULL;
	if ((rc = store_enrollment_get(db, in->phase, in->team, &e)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "team '%s' is not enrolled in phase '%s'", in->team,
			    in->phase);
		return rc;
	}
	/*
	 * A completed team is still served after its window, within the grace
	 * period: a make-up for what an outage learnt late took from it.
	 */
	if (e.state == ENROLLMENT_COMPLETED && in->start < e.end) {
		snprintf(err, errlen, "the window of team '%s' is over (completed): only a "
		    "make-up after it can be added", in->team);
		return GD_ESTATE;
	}
	if (e.state == ENROLLMENT_COMPLETED && now > e.end + in->grace_days * CIVIL_DAY) {
		snprintf(err, errlen, "the window of team '%s' ended more than %lld days ago "
		    "(programme.compensation_grace_days)", in->team, (long long)in->grace_days);
		return GD_ESTATE;
	}
	if (e.state != ENROLLMENT_ACTIVE && e.state != ENROLLMENT_COMPLETED) {
		snprintf(err, errlen, "enrollment of team '%s' is %s", in->team,
		    enrollment_state_name(e.state));
		return GD_ESTATE;
	}
	/* The phase of an enrollment is a foreign key: only storage can fail here. */
	if ((rc = store_phase_info(db, e.phase, &pi)) < 0 || (rc = calendar_load(db, &cal)) < 0)
		goto out;
	if ((p = calendar_find(&cal, in->pool)) < 0) {
		snprintf(err, errlen, "pool '%s' does not exist", in->pool);
		rc = GD_ENOENT;
		goto out;
	}
	/* Capacity first: it can never be overridden. */
	tg = (struct timeline_grant){ 0, in->start, in->end, in->cards };
	rc = timeline_check_add(cal.pp[p].tl, &tg, 1, &br);
	if (rc == GD_ECAPACITY) {
		app_format_when_in(br.at, pi.tz, pi.tz_off, when);
		snprintf(err, errlen, "pool %s has %lld free cards at %s; the grant asks for %lld",
		    in->pool, (long long)br.free, when, (long long)in->cards);
		goto out;
	}
	if (rc < 0) {
		snprintf(err, errlen, "the grant's interval or cards are out of range");
		goto out;
	}
	if (!money_mul(in->cards * cal.pools[p].weight_milli, in->end - in->start, &mus)) {
		snprintf(err, errlen, "a grant of %lld cards from %s to %s is more unit-hours than "
		    "grantd can count", (long long)in->cards, in->start_text, in->end_text);
		rc = GD_EINVAL;
		goto out;
	}
	viol = json_array();
	if ((rc = add_violations(db, &cal, &e, &pi, p, in, mus, viol)) < 0)
		goto out;
	if (json_array_size(viol) > 0 && in->override == NULL) {
		rc = refuse(viol, violations, err, errlen);
		viol = NULL;
		goto out;
	}
	/* One after the window is a make-up by hand: it pays down what is owed. */
	if ((rc = store_grant_insert(db, e.id, in->pool, in->cards, in->start, in->end,
	    in->start >= e.end ? GRANT_COMPENSATION : GRANT_MANUAL, now, &gid)) < 0 ||
	    (json_array_size(viol) > 0 && (rc = grants_record_overrides(db, in->phase, in->team,
	    viol, in->override, "grant.create", request_id, now)) < 0) ||
	    (rc = store_grant_json(db, gid, out)) < 0)
		goto out;
	*id = gid;
out:
	calendar_free(&cal);
	json_decref(viol);
	return rc;
}

int
grants_release(struct db *db, int64_t id, const char *name, int64_t at, const char *override,
    const char *request_id, int64_t now, json_t **out, json_t **violations, char *err,
    size_t errlen)
{
	struct grant g;
	struct enrollment e;
	int64_t from, to;
	json_t *viol;
	int rc;

	err[0] = '\0';
	*violations = NULL;
	if ((rc = store_grant_get(db, id, &g)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "grant '%s' does not exist", name);
		return rc;
	}
	if (g.cancelled) {
		snprintf(err, errlen, "grant %s was cancelled (released at or before its start, or "
		    "its enrollment ended first): there is nothing to release", name);
		return GD_ESTATE;
	}
	if (at >= g.end) {
		snprintf(err, errlen, "at is not before the grant's end");
		return GD_EINVAL;
	}
	if ((rc = store_enrollment_by_id(db, g.enrollment, &e)) < 0)
		return rc;
	/*
	 * Taking cards out of a window leaves the team short of its package
	 * there: the window up to its end, or up to the day the team left (an
	 * eliminated team was owed its package until then, and the report
	 * judges it so).  An extension grant holds a completed team's extra
	 * days after its window, which are its period too: all of it counts.
	 */
	from = at > g.start ? at : g.start;
	to = g.kind == GRANT_EXTENSION || g.end < e.end ? g.end : e.end;
	if (e.ended_at >= 0 && e.ended_at < to)
		to = e.ended_at;
	viol = json_array();
	if (g.kind != GRANT_COMPENSATION && from < to && to > e.start)
		json_array_append_new(viol, grants_violation("equal_resource", "releasing %s at "
		    "this instant leaves team '%s' %lld cards of pool %s short inside its %s",
		    name, e.team, (long long)g.cards, g.pool, g.kind == GRANT_EXTENSION ?
		    "period (the extension days after its window)" : "window"));
	if (json_array_size(viol) > 0 && override == NULL)
		return refuse(viol, violations, err, errlen);
	if ((rc = store_grant_cut(db, id, at)) == 0 &&
	    (json_array_size(viol) == 0 || (rc = grants_record_overrides(db, e.phase, e.team,
	    viol, override, "grant.release", request_id, now)) == 0))
		rc = store_grant_json(db, id, out);
	json_decref(viol);
	return rc;
}

int
grants_get(struct db *db, int64_t id, json_t **out)
{
	return store_grant_json(db, id, out);
}

int
grants_list(struct db *db, const struct grants_query *q, json_t **items, char **next)
{
	struct grant_filter gf = { q->team, q->pool, q->phase, q->at };

	return store_grant_list(db, &gf, q->after, q->limit, items, next);
}

int
grants_id_parse(const char *s, int64_t *id)
{
	return grant_id_parse(s, id) == 0 ? 0 : GD_EINVAL;
}

void
grants_id_format(int64_t id, char buf[32])
{
	grant_id_format(id, buf);
}
