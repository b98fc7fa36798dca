/* idle.c: idle detection, run by the timers: flags and clears enrollments, with audit entries. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "app.h"
#include "audit.h"
#include "calendar.h"
#include "civil.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "figures.h"
#include "idle.h"
#include "jsonv.h"
#include "log.h"
#include "report.h"
#include "store_catalog.h"
#include "store_grants.h"
#include "store_enrollments.h"
#include "store_usage.h"
#include "timers.h"

/* Judges one active enrollment; *changed grows when its flag changes. */
static int
idle_one(struct db *db, const struct config_programme *cp, const struct calendar *cal,
    const struct enr_loss *lost, size_t nlost, int64_t id, int64_t from, int64_t to,
    int64_t now, int *changed)
{
	struct figures v = { 0 };
	struct report_grant *rg = NULL;
	int64_t granted = 0, delivered, used = 0, since, ppm;
	char target[160], reason[256], when[APP_WHEN_LEN];
	struct phase_info pi;
	json_t *detail = NULL;
	bool idle;
	ssize_t p;
	int rc;

	if ((rc = store_enrollment_by_id(db, id, &v.e)) < 0 ||
	    (rc = store_usage_idle_get(db, id, INT64_MAX, &since)) < 0)
		return rc;
	/* Not judged before a whole trailing window of its own has passed. */
	if (v.e.start > from)
		return 0;
	if ((rc = store_grants_of(db, id, &v.gs, &v.ng)) < 0)
		return rc;
	if (v.ng && (rg = calloc(v.ng, sizeof(*rg))) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < v.ng; k++) {
		if ((p = calendar_find(cal, v.gs[k].pool)) < 0) {
			rc = GD_EIO;
			goto out;
		}
		rg[k] = (struct report_grant){ v.gs[k].start, v.gs[k].end,
			v.gs[k].cards * cal->pools[p].weight_milli, false };
	}
	if ((rc = report_granted(rg, v.ng, from, to, &granted)) < 0 ||
	    (rc = store_usage_used_between(db, id, from, to, &used)) < 0)
		goto out;
	delivered = granted - calendar_loss_of(lost, nlost, id);
	if (delivered <= 0)
		goto out;
	ppm = (int64_t)(((__int128)used * 1000000 + delivered / 2) / delivered);
	idle = (__int128)used * 100 < (__int128)cp->idle_threshold_pct * delivered;
	if (idle == (since >= 0))
		goto out;
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", v.e.phase, v.e.team);
	/* In the zone of the enrollment's programme, which the reader works in. */
	if ((rc = store_phase_info(db, v.e.phase, &pi)) < 0)
		goto out;
	app_format_when_in(to, pi.tz, pi.tz_off, when);
	snprintf(reason, sizeof(reason), "utilization %.1f %% over the %d hours before %s, %s "
	    "the %d %% threshold", (double)ppm / 1e4, cp->idle_window_hours, when,
	    idle ? "under" : "back at or above", cp->idle_threshold_pct);
	detail = json_pack("{s:o, s:o, s:o, s:o, s:o, s:i, s:i}", "from", jv_instant(from),
	    "to", jv_instant(to), "used_unit_hours", jv_unit_hours(used),
	    "delivered_unit_hours", jv_unit_hours(delivered), "utilization", jv_ratio(ppm),
	    "threshold_pct", cp->idle_threshold_pct, "window_hours", cp->idle_window_hours);
	if (idle)
		rc = store_usage_idle_set(db, id, now, ppm);
	else
		rc = store_usage_idle_clear(db, id, now);
	if (rc == 0)
		rc = audit_append(db, &audit_system, "timer", now, idle ? "usage.idle" :
		    "usage.idle_cleared", target, reason, detail);
	if (rc == 0) {
		(*changed)++;
		log_notice("%s: %s", target, reason);
	}
out:
	json_decref(detail);
	free(rg);
	figures_free(&v);
	return rc;
}

/* Clears the flag of an enrollment that is no longer active. */
static int
idle_close(struct db *db, int64_t id, int64_t now, int *changed)
{
	struct enrollment e;
	char target[160];
	json_t *detail;
	int rc;

	if ((rc = store_enrollment_by_id(db, id, &e)) < 0)
		return rc;
	if (e.state == ENROLLMENT_ACTIVE)
		return 0;
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", e.phase, e.team);
	detail = json_pack("{s:s}", "state", enrollment_state_name(e.state));
	if ((rc = store_usage_idle_clear(db, id, now)) == 0)
		rc = audit_append(db, &audit_system, "timer", now, "usage.idle_cleared", target,
		    "the enrollment is no longer active", detail);
	json_decref(detail);
	if (rc == 0)
		(*changed)++;
	return rc;
}

/*
 * Runs one enrollment's check in a savepoint of its own: one that fails
 * (an overflow, a bad row) is rolled back alone and noted by the timers
 * (logged, counted, audited once); the others are still judged.  An error
 * comes back only when the savepoint itself cannot be used.
 */
struct idle_tally {
	int changed, failed;
};

static int
idle_alone(struct db *db, const struct config_programme *cp, const struct calendar *cal,
    const struct enr_loss *lost, size_t nlost, int64_t id, bool open_flag, int64_t from,
    int64_t to, int64_t now, struct idle_tally *t)
{
	char target[64], why[GD_ERRBUF];
	int rc, n = 0;

	snprintf(target, sizeof(target), "enrollment/%lld", (long long)id);
	if (db_savepoint(db, "usage_idle_one") < 0)
		return GD_EIO;
	if (open_flag)
		rc = idle_close(db, id, now, &n);
	else
		rc = idle_one(db, cp, cal, lost, nlost, id, from, to, now, &n);
	if (rc == 0) {
		if (db_release(db, "usage_idle_one") < 0)
			return GD_EIO;
		t->changed += n;
		return timers_succeeded(db, "usage.idle", target, 0);
	}
	snprintf(why, sizeof(why), "%s", timers_errtext(db, rc));
	if (db_rollback_to(db, "usage_idle_one") < 0 ||
	    db_release(db, "usage_idle_one") < 0)
		return GD_EIO;
	return timers_failed(db, &t->failed, "usage.idle", target, 0, now, why);
}

int
idle_scan(struct db *db, const struct config_programme *cp, int64_t now, int *changed,
    int *failed)
{
	struct calendar cal = { 0 };
	struct enr_loss *lost = NULL;
	int64_t *ids = NULL, *open = NULL, to, from;
	size_t n = 0, nopen = 0, nlost = 0;
	struct idle_tally t = { 0, 0 };
	int rc;

	to = report_hour_floor(now);
	from = to - (int64_t)cp->idle_window_hours * REPORT_HOUR;
	if (db_savepoint(db, "usage_idle") < 0)
		return GD_EIO;
	if ((rc = store_usage_active_enrollments(db, &ids, &n)) < 0 ||
	    (rc = store_usage_idle_open(db, &open, &nopen)) < 0 ||
	    (rc = calendar_load(db, &cal)) < 0 ||
	    (rc = calendar_losses(db, &cal, from, to, &lost, &nlost)) < 0) {
		/* What every check needs: the scan as a whole fails, once. */
		char why[GD_ERRBUF];

		snprintf(why, sizeof(why), "%s", timers_errtext(db, rc));
		if (db_rollback_to(db, "usage_idle") == 0)
			rc = timers_failed(db, &t.failed, "usage.idle", "scan", 0, now, why);
		goto out;
	}
	if ((rc = timers_succeeded(db, "usage.idle", "scan", 0)) < 0)
		goto out;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = idle_alone(db, cp, &cal, lost, nlost, ids[i], false, from, to, now, &t);
	for (size_t i = 0; i < nopen && rc == 0; i++)
		rc = idle_alone(db, cp, &cal, lost, nlost, open[i], true, from, to, now, &t);
out:
	if (rc < 0) {
		db_rollback_to(db, "usage_idle");
		db_release(db, "usage_idle");
	} else if (db_release(db, "usage_idle") < 0) {
		db_rollback_to(db, "usage_idle");
		db_release(db, "usage_idle");
		rc = GD_EIO;
	}
	if (rc == 0)
		*changed = t.changed;
	*failed = t.failed;
	free(lost);
	free(ids);
	free(open);
	calendar_free(&cal);
	return rc;
}
