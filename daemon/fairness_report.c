/* fairness_report.c: the fairness report of a phase (JSON; lib/report writes the CSV). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "across.h"
#include "calendar.h"
#include "civil.h"
#include "err.h"
#include "fairness_report.h"
#include "figures.h"
#include "jsonv.h"
#include "report.h"
#include "store_audit.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_evaluations.h"
#include "store_grants.h"
#include "store_overrides.h"
#include "store_reports.h"
#include "store_usage.h"
#include "team_rules.h"

/* One sentence per figure, in the report itself, so a reader needs no manual. */
static json_t *
definitions_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "unit_hours", "cards x card model weight (B200 1, H100 0.5) x hours",
	    "counted", "[window start, min(at, window end, ended_at))",
	    "entitled_unit_hours", "package units x the counted part of the window",
	    "granted_unit_hours", "units of the team's grants between its window start and "
	    "at, make-up grants after the window included",
	    "lost_unit_hours", "what outages took from the team's grants before at, shared "
	    "among a pool's grants in proportion to their cards",
	    "delivered_unit_hours", "granted - lost",
	    "owed_unit_hours", "max(0, losses - make-up grants), all time, losses less the "
	    "lost cards the team reported using (in each hour, beyond_service up to that "
	    "hour's loss)",
	    "surplus_unit_hours", "max(0, make-up grants - losses), all time, losses counted "
	    "as for owed: what a loss corrected or cancelled after its make-up left over",
	    "used_unit_hours", "metered usage in the UTC hours that begin before at",
	    "flagged_unit_hours", "of used, as things stand: the whole usage of each UTC hour "
	    "beyond the cards in service, and in other hours the usage of samples flagged "
	    "above_grant when accepted",
	    "beyond_service_unit_hours", "of used, as things stand: in each UTC hour before at, "
	    "usage less the team's granted cards that the outages as they stand left in "
	    "service, when positive",
	    "utilization", "used / delivered (0 when nothing was delivered)",
	    "measured", "what the team's nodes measured in the UTC hours that begin before at: "
	    "the GPU-seconds of the samples that carried measurements, their busy and "
	    "utilization-weighted GPU-seconds and their energy in joules; absent when nothing "
	    "was measured",
	    "delivered_share", "delivered / entitled, for reading only: fairness compares "
	    "teams with each other, not each with its own entitlement",
	    "days", "the team's period: its window's days plus extension days it was given "
	    "after its window",
	    "equal_period", "every team not eliminated or withdrawn has the phase's days "
	    "(extensions included), and no window starts on a local date before the day its "
	    "enrollment was made",
	    "equal_resource", "granted units equal the package units at every instant of "
	    "the window (to ended_at when cut short) and of the extension days given after it "
	    "(make-ups aside), and the voucher budget equals the package's; an overridden "
	    "break still counts as a break",
	    "equal_delivery", "on every day k of the teams' own periods reached so far (the "
	    "window, then the extension days given after it: day w + j of a completed team "
	    "whose window has w days is the j-th of those), the "
	    "teams' delivered unit-hours by the end of their day k (make-ups credited, up to "
	    "the losses, for what they delivered before at) are within one unit-hour of each "
	    "other and of the package fully delivered, and so are their projections to the "
	    "end of their periods; and nothing is owed, nor waits for a make-up scheduled "
	    "after at. Eliminated and withdrawn teams are compared up to their end",
	    "common_day", "the fewest days reached among the teams compared (not eliminated "
	    "or withdrawn, window begun); Jain's index and max_deviation_pct are taken over "
	    "their delivered unit-hours by the end of that day of each one's own window",
	    "audit_seq", "the last audit entry the report reflects: ?as_of=SEQ gives back a "
	    "report produced then, with the same digest",
	    "digest", "sha256 of the report without generated_at, digest, checkpoint and "
	    "signature, jansson JSON_COMPACT|JSON_SORT_KEYS|JSON_ENSURE_ASCII, reals as %.15g");
}

static json_t *
breaks_json(const struct report_break *br, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "from",
		    jv_instant(br[i].from), "to", jv_instant(br[i].to), "units",
		    jv_milli(br[i].units_milli)));
	return a;
}

/* What one team's row and the comparison are made of. */
struct team {
	struct figures v;
	struct report_break *br;
	size_t nbr;
	struct ledger_account acc;
	int64_t since;			/* idle since, -1 */
	json_t *ovr;
	bool ended, early, vouchers_only;	/* vouchers_only: never any grant */
	struct report_span *sp;		/* its period: the window, then days after it */
	size_t nsp;
	struct report_grant *held;	/* its grants but the make-ups, which are credited */
	size_t nheld;
	int64_t *delivered;		/* by day of its period (lib/across.h) */
	int64_t pending;		/* mus lost before at that make-ups deliver after it */
	int64_t made_up_by;		/* when they have, -1 when pending is 0 */
	struct across_team cmp;
};

static void
team_free(struct team *t)
{
	figures_free(&t->v);
	free(t->br);
	free(t->sp);
	free(t->held);
	free(t->delivered);
	json_decref(t->ovr);
}

/*
 * What t is owed at `at` for losses before it that its make-ups, already
 * granted, deliver only after it (t->pending), and the instant by which
 * they will have (t->made_up_by).  paid_now: what make-ups delivered
 * before at.
 */
static int
pending_makeup(struct team *t, int64_t paid_now)
{
	const struct report_facts *f = &t->v.facts;
	int64_t lost = f->lost - (t->v.beyond < f->lost ? t->v.beyond : f->lost);
	int64_t due = lost < f->compensation_total ? lost : f->compensation_total;
	int rc;

	t->pending = due > paid_now ? due - paid_now : 0;
	t->made_up_by = -1;
	if (t->pending == 0)
		return 0;
	rc = report_compensation_reaches(t->v.rg, t->v.ng, due, &t->made_up_by);
	/* due is at most every make-up: they reach it. */
	return rc == GD_ENOENT ? GD_EIO : rc;
}

/*
 * The team's period, day by day (lib/report.h): its window, up to its end
 * when it ended early, then the extension days it was given after the
 * window (kind extension, as planned: a release does not shorten the
 * period, it leaves the team short there).  The grants it holds over them
 * are all but the make-ups, which are credited against the losses
 * instead: a make-up lies after the window, and may meet the extension
 * days.
 */
static int
period_load(struct team *t)
{
	const struct enrollment *e = &t->v.e;
	const struct grant *gs = t->v.gs;
	size_t ng = t->v.ng;

	if ((t->sp = calloc(ng + 1, sizeof(*t->sp))) == NULL ||
	    (ng && (t->held = calloc(ng, sizeof(*t->held))) == NULL))
		return GD_ENOMEM;
	t->sp[t->nsp++] = (struct report_span){ e->start, t->ended && e->ended_at < e->end ?
		e->ended_at : e->end };
	for (size_t k = 0; k < ng; k++) {
		int64_t to = gs[k].planned_end > gs[k].end ? gs[k].planned_end : gs[k].end;

		if (!t->v.rg[k].compensation)
			t->held[t->nheld++] = t->v.rg[k];
		if (gs[k].kind != GRANT_EXTENSION || gs[k].start < e->end)
			continue;
		if (t->ended && to > e->ended_at)
			to = e->ended_at;
		t->sp[t->nsp++] = (struct report_span){ gs[k].start, to };
	}
	report_period_merge(t->sp, &t->nsp);
	return 0;
}

/*
 * Delivered by the end of each day k of the period reached by `at`
 * (lib/across.h): granted - lost in the first k days of the period, with
 * what make-ups delivered before `at` credited up to the losses.  A
 * make-up granted but scheduled after `at` pays nothing yet: until it
 * runs, the team is short (the owner's decision, issue 14's audit).
 */
static int
day_series(const struct calendar *cal, struct team *t, int64_t at)
{
	struct report_span *piece;
	int64_t g, l, one, paid, made;
	size_t reached, np;
	int rc;

	/*
	 * Losses are paid by what make-ups delivered so far, or were never
	 * losses where the team used the cards.
	 */
	if ((rc = report_compensation_before(t->v.rg, t->v.ng, at, &made)) < 0 ||
	    (rc = pending_makeup(t, made)) < 0)
		return rc;
	if (__builtin_add_overflow(made, t->v.beyond, &paid))
		paid = INT64_MAX;
	reached = (size_t)(report_period_elapsed(t->sp, t->nsp, at) / CIVIL_DAY);
	if (reached && (t->delivered = calloc(reached, sizeof(*t->delivered))) == NULL)
		return GD_ENOMEM;
	/* A prefix has a piece in each span at most. */
	if ((piece = calloc(t->nsp ? t->nsp : 1, sizeof(*piece))) == NULL)
		return GD_ENOMEM;
	for (size_t k = 1; rc == 0 && k <= reached; k++) {
		np = report_period_prefix(t->sp, t->nsp, (int64_t)k * CIVIL_DAY, piece);
		g = l = 0;
		for (size_t i = 0; rc == 0 && i < np; i++) {
			if ((rc = report_granted(t->held, t->nheld, piece[i].from, piece[i].to,
			    &one)) == 0 && __builtin_add_overflow(g, one, &g))
				rc = GD_ERANGE;
			if (rc == 0 && (rc = figures_losses(cal, &t->v, piece[i].from, piece[i].to,
			    &one)) == 0 && __builtin_add_overflow(l, one, &l))
				rc = GD_ERANGE;
		}
		if (rc == 0)
			t->delivered[k - 1] = g - l + (l < paid ? l : paid);
	}
	free(piece);
	t->cmp.reached = reached;
	t->cmp.delivered = t->delivered;
	return rc;
}

/* Loads one enrollment's figures and what the comparison needs. */
static int
team_load(struct db *db, const struct calendar *cal, const struct phase_info *pi, int64_t id,
    int64_t at, struct team *t)
{
	struct enrollment *e = &t->v.e;
	int64_t avail, all, ever;
	int rc;

	if ((rc = store_enrollment_by_id(db, id, e)) < 0)
		return rc;
	t->ended = e->ended_at >= 0;
	if ((rc = figures_load(db, cal, pi, at, &t->v, false)) < 0 ||
	    (rc = period_load(t)) < 0 ||
	    (rc = report_period_breaks(t->held, t->nheld, t->sp, t->nsp, pi->units_milli,
	    &t->br, &t->nbr)) < 0 ||
	    (rc = store_usage_idle_get(db, id, at, &t->since)) < 0 ||
	    (rc = figures_voucher(db, id, &t->acc, &avail)) < 0 ||
	    (rc = store_override_list(db, pi->id, e->team, &t->ovr)) < 0 ||
	    (rc = day_series(cal, t, at)) < 0 ||
	    (rc = report_granted(t->v.rg, t->v.ng, civil_min_instant(), civil_max_instant(),
	    &all)) < 0 || (rc = store_grants_ever(db, id, &ever)) < 0)
		return rc;
	/* Never given a card (a team with its grants taken away is compared: it got nothing). */
	t->vouchers_only = ever == 0;
	t->early = e->start < civil_local_midnight(civil_local_day(e->created_at, pi->tz_off),
	    pi->tz_off);
	t->cmp.ended = t->ended;
	t->cmp.days = (e->end - e->start) / CIVIL_DAY + e->extra_days;
	t->cmp.projected = all - t->v.facts.lost_total;
	return 0;
}

/* What make-ups gave beyond every loss, all time (0 when they gave no more). */
static int64_t
surplus(const struct team *t)
{
	int64_t d = t->v.facts.compensation_total - t->v.facts.lost_total;

	return d > 0 ? d : 0;
}

/* A break of a rule, for the row: {"rule", "detail", ...}. */
static void
add_break(json_t *arr, json_t *o)
{
	if (o)
		json_array_append_new(arr, o);
}

static json_t *
team_breaks(const struct phase_info *pi, const struct team *t, const struct across_verdict *v)
{
	char d[CIVIL_DATE_LEN], c[CIVIL_DATE_LEN], when[CIVIL_INSTANT_LEN], text[256];
	json_t *a = json_array();
	double gap = (double)v->gap / 3.6e6;
	int64_t wdays = (t->v.e.end - t->v.e.start) / CIVIL_DAY;

	if (a == NULL)
		return NULL;
	if (!v->period_ok)
		add_break(a, json_pack("{s:s, s:s, s:I}", "rule", "equal_period", "detail",
		    v->period_gap_days > 0 ? "more days than the phase's period" :
		    "fewer days than the phase's period", "days_gap",
		    (json_int_t)v->period_gap_days));
	if (t->early) {
		civil_format_date(civil_local_day(t->v.e.start, pi->tz_off), d);
		civil_format_date(civil_local_day(t->v.e.created_at, pi->tz_off), c);
		snprintf(text, sizeof(text), "its window starts on %s, before %s, the day it was "
		    "enrolled", d, c);
		add_break(a, json_pack("{s:s, s:s}", "rule", "equal_period", "detail", text));
	}
	if (t->nbr > 0)
		add_break(a, json_pack("{s:s, s:s}", "rule", "equal_resource", "detail",
		    "its granted units differ from the package (see resource_breaks)"));
	if (t->acc.budget != pi->voucher_krw) {
		snprintf(text, sizeof(text), "its voucher budget is %lld KRW, the package's %lld",
		    (long long)t->acc.budget, (long long)pi->voucher_krw);
		add_break(a, json_pack("{s:s, s:s}", "rule", "equal_resource", "detail", text));
	}
	if (!v->delivery_ok) {
		if (v->gap_day > wdays)
			snprintf(text, sizeof(text), "by the end of day %lld of its period (day %lld "
			    "of the extension days after its window), %.3f unit-hours %s the package "
			    "fully delivered by then", (long long)v->gap_day,
			    (long long)(v->gap_day - wdays), gap < 0 ? -gap : gap, gap < 0 ?
			    "below" : "above");
		else if (v->gap_day > 0)
			snprintf(text, sizeof(text), "by the end of day %lld of its window, %.3f "
			    "unit-hours %s the package fully delivered by then",
			    (long long)v->gap_day, gap < 0 ? -gap : gap, gap < 0 ? "below" :
			    "above");
		else
			snprintf(text, sizeof(text), "projected to the end of its period, %.3f "
			    "unit-hours %s the package over the phase's period", gap < 0 ? -gap : gap,
			    gap < 0 ? "below" : "above");
		add_break(a, json_pack("{s:s, s:s, s:I, s:o}", "rule", "equal_delivery", "detail",
		    text, "day", (json_int_t)v->gap_day, "gap_unit_hours", jv_unit_hours(v->gap)));
	}
	if (surplus(t) > REPORT_MUS_PER_UNIT_HOUR) {
		snprintf(text, sizeof(text), "make-ups gave %.3f unit-hours more than it is owed "
		    "(a loss corrected or cancelled after it was made up, or a make-up above "
		    "what was owed)",
		    (double)surplus(t) / 3.6e6);
		add_break(a, json_pack("{s:s, s:s, s:o}", "rule", "equal_delivery", "detail", text,
		    "surplus_unit_hours", jv_unit_hours(surplus(t))));
	}
	if (t->pending > REPORT_MUS_PER_UNIT_HOUR) {
		civil_format_instant(t->made_up_by, when);
		snprintf(text, sizeof(text), "owed %.3f unit-hours for losses before at that "
		    "its make-up grants, scheduled after at, deliver by %s",
		    (double)t->pending / 3.6e6, when);
		add_break(a, json_pack("{s:s, s:s, s:o, s:o}", "rule", "equal_delivery", "detail",
		    text, "pending_unit_hours", jv_unit_hours(t->pending), "made_up_by",
		    jv_instant(t->made_up_by)));
	}
	if (!t->ended && t->v.fig.owed > 0) {
		snprintf(text, sizeof(text), "owed %.3f unit-hours that no make-up pays yet",
		    (double)t->v.fig.owed / 3.6e6);
		add_break(a, json_pack("{s:s, s:s, s:o}", "rule", "equal_delivery", "detail", text,
		    "owed_unit_hours", jv_unit_hours(t->v.fig.owed)));
	}
	return a;
}

/* Whether a row's breaks hold one of rule. */
static bool
breaks_rule(const json_t *breaks, const char *rule)
{
	size_t i;
	json_t *b;

	json_array_foreach(breaks, i, b)
		if (strcmp(json_string_value(json_object_get(b, "rule")), rule) == 0)
			return true;
	return false;
}

/* One row of the report. */
static json_t *
team_row(const struct phase_info *pi, const struct team *t, const struct across_verdict *v)
{
	const struct figures *f = &t->v;
	int64_t share_ppm = 0, eval = team_evaluation_day(pi, f->e.start);
	char enrolled[CIVIL_DATE_LEN], ev[CIVIL_DATE_LEN];
	json_t *row, *m, *br = team_breaks(pi, t, v);

	if (br == NULL)
		return NULL;
	if (f->fig.entitled > 0)
		share_ppm = (int64_t)(((__int128)f->fig.delivered * 1000000 + f->fig.entitled / 2) /
		    f->fig.entitled);
	civil_format_date(civil_local_day(f->e.created_at, pi->tz_off), enrolled);
	row = json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, "
	    "s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:b, s:b, s:b, s:o, s:I, s:I, s:I, s:O, "
	    "s:O}",
	    "team", f->e.team, "state", enrollment_state_name(f->e.state),
	    "window", figures_window_json(f, pi, false),
	    "days", (json_int_t)t->cmp.days, "extra_days", (json_int_t)f->e.extra_days,
	    "reached_days", (json_int_t)t->cmp.reached, "enrolled_on", enrolled,
	    "units", jv_milli(pi->units_milli),
	    "entitled_unit_hours", jv_unit_hours(f->fig.entitled),
	    "granted_unit_hours", jv_unit_hours(f->fig.granted),
	    "lost_unit_hours", jv_unit_hours(f->fig.lost),
	    "delivered_unit_hours", jv_unit_hours(f->fig.delivered),
	    "owed_unit_hours", jv_unit_hours(f->fig.owed),
	    "surplus_unit_hours", jv_unit_hours(surplus(t)),
	    "used_unit_hours", jv_unit_hours(f->fig.used),
	    "flagged_unit_hours", jv_unit_hours(f->flagged),
	    "beyond_service_unit_hours", jv_unit_hours(f->beyond_service),
	    "projected_unit_hours", jv_unit_hours(t->cmp.projected),
	    "utilization", jv_ratio(f->fig.utilization_ppm),
	    "delivered_share", jv_ratio(share_ppm),
	    "in_index", !t->ended && t->cmp.reached > 0,
	    "idle", figures_idle_json(t->since),
	    "equal_period", !breaks_rule(br, "equal_period"),
	    "equal_resource", !breaks_rule(br, "equal_resource"),
	    "equal_delivery", !breaks_rule(br, "equal_delivery"),
	    "resource_breaks", breaks_json(t->br, t->nbr),
	    "voucher_budget_krw", (json_int_t)t->acc.budget,
	    "voucher_settled_krw", (json_int_t)t->acc.settled,
	    "voucher_refunded_krw", (json_int_t)t->acc.refunded,
	    "overrides", t->ovr, "breaks", br);
	json_decref(br);
	if (row && (m = figures_measured_json(&f->measured)) != NULL)
		json_object_set_new(row, "measured", m);
	if (row && t->ended)
		json_object_set_new(row, "ended_at", jv_instant(f->e.ended_at));
	if (row && eval >= 0) {
		civil_format_date(eval, ev);
		json_object_set_new(row, "evaluation_on", json_string(ev));
	}
	return row;
}

/* The summary: each rule, the teams that break it, the index at the common day. */
static json_t *
summary_json(const json_t *teams, const struct across_summary *s)
{
	static const char *const rules[] = { "equal_period", "equal_resource", "equal_delivery" };
	json_t *o = json_object(), *unequal = json_object(), *row;
	size_t i;

	for (size_t r = 0; o && unequal && r < 3; r++) {
		json_t *names = json_array();

		json_array_foreach(teams, i, row)
			if (!json_is_true(json_object_get(row, rules[r])))
				json_array_append(names, json_object_get(row, "team"));
		json_object_set_new(o, rules[r], json_boolean(json_array_size(names) == 0));
		json_object_set_new(unequal, rules[r], names);
	}
	if (o == NULL || unequal == NULL) {
		json_decref(o);
		json_decref(unequal);
		return NULL;
	}
	json_object_set_new(o, "unequal", unequal);
	json_object_set_new(o, "jain_index_delivered", json_real((double)s->jain_micro / 1e6));
	json_object_set_new(o, "max_deviation_pct",
	    json_real((double)s->max_deviation_milli / 1e3));
	json_object_set_new(o, "teams_in_index", json_integer((json_int_t)s->counted));
	json_object_set_new(o, "common_day", json_integer(s->common_day));
	return o;
}

/* Judges the loaded teams and writes the rows: the compared ones in teams, the rest apart. */
static int
judge(const struct phase_info *pi, struct team *ts, size_t n, json_t *teams, json_t *apart,
    json_t **summary)
{
	struct across_team *cmp = calloc(n ? n : 1, sizeof(*cmp));
	struct across_verdict *v = calloc(n ? n : 1, sizeof(*v));
	struct across_summary s;
	struct across_ref ref = { pi->units_milli, pi->period_days, REPORT_MUS_PER_UNIT_HOUR };
	size_t m = 0;
	int rc = 0;

	if (cmp == NULL || v == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (!ts[i].vouchers_only)
			cmp[m++] = ts[i].cmp;
	if ((rc = across_judge(cmp, m, &ref, v, &s)) < 0)
		goto out;
	m = 0;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		json_t *row;

		if (ts[i].vouchers_only) {
			json_array_append_new(apart, json_pack("{s:s, s:s, s:I, s:I, s:O}", "team",
			    ts[i].v.e.team, "state", enrollment_state_name(ts[i].v.e.state),
			    "voucher_budget_krw", (json_int_t)ts[i].acc.budget,
			    "voucher_settled_krw", (json_int_t)ts[i].acc.settled,
			    "overrides", ts[i].ovr));
			continue;
		}
		if ((row = team_row(pi, &ts[i], &v[m++])) == NULL)
			rc = GD_ENOMEM;
		else
			json_array_append_new(teams, row);
	}
	if (rc == 0 && (*summary = summary_json(teams, &s)) == NULL)
		rc = GD_ENOMEM;
out:
	free(cmp);
	free(v);
	return rc;
}

/* Builds the report of the phase at `at` from the database as it stands. */
static int
build(struct db *db, const struct phase_info *pi, int64_t at, int64_t seq, json_t **out)
{
	struct calendar cal = { 0 };
	struct team *ts = NULL;
	int64_t *ids = NULL;
	size_t n = 0;
	json_t *teams = json_array(), *apart = json_array(), *all = NULL, *summary = NULL;
	json_t *evals = NULL;
	int rc;

	if (teams == NULL || apart == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if ((rc = store_enrollment_ids(db, pi->id, false, &ids, &n)) < 0 ||
	    (rc = calendar_load(db, &cal)) < 0)
		goto out;
	if (n && (ts = calloc(n, sizeof(*ts))) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = team_load(db, &cal, pi, ids[i], at, &ts[i]);
	/* Only the evaluations held on or before at's local day, as the figures stop at `at`. */
	if (rc < 0 || (rc = judge(pi, ts, n, teams, apart, &summary)) < 0 ||
	    (rc = store_override_list(db, pi->id, NULL, &all)) < 0 ||
	    (rc = store_evaluations_of(db, pi->id, civil_local_day(at, pi->tz_off), &evals)) < 0)
		goto out;
	if ((*out = json_pack("{s:s, s:s, s:o, s:I, s:I, s:{s:s, s:I, s:o, s:I}, s:O, s:O, "
	    "s:O, s:O, s:O, s:o}",
	    "phase", pi->id, "timezone", pi->tz, "at", jv_instant(at),
	    "audit_seq", (json_int_t)seq, "period_days", (json_int_t)pi->period_days,
	    "package", "card_model", pi->card_model, "cards", (json_int_t)pi->cards,
	    "units", jv_milli(pi->units_milli), "voucher_krw", (json_int_t)pi->voucher_krw,
	    "teams", teams, "vouchers_only", apart, "summary", summary,
	    "overrides", all, "evaluations", evals, "definitions", definitions_json())) == NULL)
		rc = GD_ENOMEM;
out:
	for (size_t i = 0; ts && i < n; i++)
		team_free(&ts[i]);
	free(ts);
	free(ids);
	json_decref(summary);
	json_decref(evals);
	json_decref(all);
	json_decref(teams);
	json_decref(apart);
	calendar_free(&cal);
	return rc;
}

/* Sets generated_at and the digest, and keeps the report (once per phase, sequence, at). */
static int
seal_and_keep(struct db *db, bool keep, const char *phase, json_t *o, int64_t seq,
    int64_t at, int64_t now)
{
	struct kept_report k = { .audit_seq = seq, .at = at, .generated_at = now };
	int rc;

	/* One canonical text for both: a 500-team report is large, and dumping it costly. */
	if ((k.body = report_canonical(o)) == NULL)
		return GD_ENOMEM;
	report_digest_of(k.body, k.digest);
	rc = keep ? store_report_keep(db, phase, &k) : 0;
	free(k.body);
	json_object_set_new(o, "generated_at", jv_instant(now));
	json_object_set_new(o, "digest", json_string(k.digest));
	return rc;
}

/* A kept report as it was: its canonical body, generated_at and digest. */
static int
kept_json(const struct kept_report *k, json_t **out)
{
	json_error_t je;
	json_t *o = json_loads(k->body, 0, &je);

	if (o == NULL)
		return GD_EIO;
	json_object_set_new(o, "generated_at", jv_instant(k->generated_at));
	json_object_set_new(o, "digest", json_string(k->digest));
	*out = o;
	return 0;
}

int
fairness_report_build(struct db *db, const struct fairness_query *q, int64_t now,
    json_t **out, char *err, size_t errlen)
{
	struct phase_info pi;
	struct kept_report k = { 0 };
	char hash[80];
	int64_t seq = 0;
	json_t *o = NULL;
	int rc;

	err[0] = '\0';
	if ((rc = store_phase_info(db, q->phase, &pi)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "phase '%s' does not exist", q->phase);
		return rc;
	}
	if ((rc = store_audit_last(db, &seq, hash, sizeof(hash))) < 0 && rc != GD_ENOENT)
		return rc;
	if (rc == GD_ENOENT)
		seq = 0;
	if (q->as_of >= 0 && q->as_of != seq) {
		if (q->as_of > seq) {
			snprintf(err, errlen, "audit sequence %lld is beyond the newest entry, %lld",
			    (long long)q->as_of, (long long)seq);
			return GD_ENOENT;
		}
		rc = store_report_kept(db, pi.id, q->as_of, q->has_at ? q->at : -1, &k);
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "no fairness report of phase '%s' was produced at "
			    "audit sequence %lld%s; reports are kept as they are produced", pi.id,
			    (long long)q->as_of, q->has_at ? " for that at" : "");
		if (rc == 0)
			rc = kept_json(&k, out);
		free(k.body);
		return rc;
	}
	if ((rc = build(db, &pi, q->at, seq, &o)) < 0 ||
	    (rc = seal_and_keep(db, q->keep, pi.id, o, seq, q->at, now)) < 0) {
		json_decref(o);
		return rc;
	}
	*out = o;
	return 0;
}
