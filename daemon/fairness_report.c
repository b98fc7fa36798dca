/* fairness_report.c: the fairness report of a phase (JSON; lib/report writes the CSV). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "civil.h"
#include "err.h"
#include "fairness_report.h"
#include "figures.h"
#include "jsonv.h"
#include "report.h"
#include "store_grants.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_overrides.h"
#include "store_usage.h"

/* One sentence per figure, in the report itself, so a reader needs no manual. */
static json_t *
definitions_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "unit_hours", "cards x card model weight (B200 1, H100 0.5) x hours",
	    "counted", "[window start, min(at, window end, ended_at))",
	    "entitled_unit_hours", "package units x the counted part of the window",
	    "granted_unit_hours", "units of the team's grants between its window start and "
	    "at, make-up grants after the window included",
	    "lost_unit_hours", "what outages took from the team's grants before at, shared "
	    "among a pool's grants in proportion to their cards",
	    "delivered_unit_hours", "granted - lost",
	    "owed_unit_hours", "max(0, all losses - all make-up grants), all time",
	    "used_unit_hours", "metered usage in the UTC hours that begin before at",
	    "utilization", "used / delivered (0 when nothing was delivered)",
	    "delivered_share", "delivered / entitled; Jain's index and the deviation are "
	    "taken over it for the teams neither eliminated nor withdrawn",
	    "equal_resource", "granted units equal the package units at every instant of "
	    "the window (to ended_at when cut short) and the voucher budget equals the "
	    "package's; an overridden break still counts as a break",
	    "digest", "sha256 of the report without generated_at and digest, jansson "
	    "JSON_COMPACT|JSON_SORT_KEYS|JSON_ENSURE_ASCII, reals as %.15g");
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

/* One row of the report; fills r for the summary. */
static int
fairness_row(struct db *db, const struct calendar *cal, const struct phase_info *pi,
    int64_t id, int64_t at, json_t *teams, struct report_row *r)
{
	struct figures v = { 0 };
	struct ledger_account acc;
	struct report_break *br = NULL;
	size_t nbr = 0;
	int64_t since, avail, e, share_ppm = 0;
	bool ended, eq_period;
	json_t *ovr = NULL, *row;
	int rc;

	if ((rc = store_enrollment_by_id(db, id, &v.e)) < 0)
		return rc;
	ended = v.e.ended_at >= 0;
	e = ended && v.e.ended_at < v.e.end ? v.e.ended_at : v.e.end;
	if ((rc = figures_load(db, cal, pi, at, &v, false)) < 0 ||
	    (rc = report_resource_breaks(v.rg, v.ng, v.e.start, e, pi->units_milli, &br,
	    &nbr)) < 0 ||
	    (rc = store_usage_idle_get(db, id, at, &since)) < 0 ||
	    (rc = figures_voucher(db, id, &acc, &avail)) < 0 ||
	    (rc = store_override_list(db, pi->id, v.e.team, &ovr)) < 0)
		goto out;
	eq_period = v.e.end - v.e.start == pi->period_days * CIVIL_DAY;
	*r = (struct report_row){ .ended = ended, .window_len = v.e.end - v.e.start,
		.entitled = v.fig.entitled, .delivered = v.fig.delivered, .owed = v.fig.owed,
		.resource_ok = nbr == 0 && acc.budget == pi->voucher_krw };
	if (v.fig.entitled > 0)
		share_ppm = (int64_t)(((__int128)v.fig.delivered * 1000000 + v.fig.entitled / 2) /
		    v.fig.entitled);
	row = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, "
	    "s:o, s:b, s:b, s:o, s:I, s:I, s:I, s:O}",
	    "team", v.e.team, "state", enrollment_state_name(v.e.state), "window", figures_window_json(&v, pi, false),
	    "units", jv_milli(pi->units_milli),
	    "entitled_unit_hours", jv_unit_hours(v.fig.entitled),
	    "granted_unit_hours", jv_unit_hours(v.fig.granted),
	    "lost_unit_hours", jv_unit_hours(v.fig.lost),
	    "delivered_unit_hours", jv_unit_hours(v.fig.delivered),
	    "owed_unit_hours", jv_unit_hours(v.fig.owed),
	    "used_unit_hours", jv_unit_hours(v.fig.used),
	    "utilization", jv_ratio(v.fig.utilization_ppm),
	    "delivered_share", jv_ratio(share_ppm),
	    "in_index", !ended && v.fig.entitled > 0,
	    "idle", figures_idle_json(since),
	    "equal_period", ended || eq_period,
	    "equal_resource", r->resource_ok,
	    "resource_breaks", breaks_json(br, nbr),
	    "voucher_budget_krw", (json_int_t)acc.budget,
	    "voucher_settled_krw", (json_int_t)acc.settled,
	    "voucher_refunded_krw", (json_int_t)acc.refunded,
	    "overrides", ovr);
	if (row == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if (ended)
		json_object_set_new(row, "ended_at", jv_instant(v.e.ended_at));
	json_array_append_new(teams, row);
out:
	json_decref(ovr);
	free(br);
	figures_free(&v);
	return rc;
}

int
fairness_report_build(struct db *db, const char *phase, int64_t at, int64_t now, json_t **out,
    char *err, size_t errlen)
{
	struct calendar cal = { 0 };
	struct phase_info pi;
	struct report_row *rows = NULL;
	struct report_summary sum;
	int64_t *ids = NULL;
	size_t n = 0;
	char digest[REPORT_DIGEST_LEN];
	json_t *teams = json_array(), *all = NULL, *o = NULL;
	int rc;

	err[0] = '\0';
	if (teams == NULL)
		return GD_ENOMEM;
	if ((rc = store_phase_info(db, phase, &pi)) < 0 ||
	    (rc = store_enrollment_ids(db, phase, false, &ids, &n)) < 0 ||
	    (rc = calendar_load(db, &cal)) < 0)
		goto out;
	if (n && (rows = calloc(n, sizeof(*rows))) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = fairness_row(db, &cal, &pi, ids[i], at, teams, &rows[i]);
	if (rc < 0 || (rc = report_summarise(rows, n, pi.period_days * CIVIL_DAY, &sum)) < 0 ||
	    (rc = store_override_list(db, phase, NULL, &all)) < 0)
		goto out;
	o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:{s:s, s:I, s:o, s:I}, s:O, "
	    "s:{s:b, s:b, s:b, s:o, s:o, s:I}, s:O, s:o}",
	    "phase", pi.id, "timezone", pi.tz, "generated_at", jv_instant(now), "at",
	    jv_instant(at),
	    "period_days", (json_int_t)pi.period_days,
	    "package", "card_model", pi.card_model, "cards", (json_int_t)pi.cards,
	    "units", jv_milli(pi.units_milli), "voucher_krw", (json_int_t)pi.voucher_krw,
	    "teams", teams,
	    "summary", "equal_period", sum.equal_period, "equal_resource", sum.equal_resource,
	    "equal_delivery", sum.equal_delivery,
	    "jain_index_delivered", json_real((double)sum.jain_micro / 1e6),
	    "max_deviation_pct", json_real((double)sum.max_deviation_milli / 1e3),
	    "teams_in_index", (json_int_t)sum.counted,
	    "overrides", all, "definitions", definitions_json());
	if (o == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if ((rc = report_digest(o, digest)) < 0)
		goto out;
	json_object_set_new(o, "digest", json_string(digest));
	*out = o;
	o = NULL;
out:
	if (rc == GD_ENOENT)
		snprintf(err, errlen, "phase '%s' does not exist", phase);
	json_decref(o);
	json_decref(all);
	json_decref(teams);
	free(rows);
	free(ids);
	calendar_free(&cal);
	return rc;
}
