/* timers.c: applying time-based transitions in time order, and the loop timer that drives them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "civil.h"
#include "commit.h"
#include "db.h"
#include "err.h"
#include "idle.h"
#include "log.h"
#include "store_enrollments.h"
#include "store_grants.h"
#include "store_lifecycle.h"
#include "timers.h"
#include "vouchers.h"

/* A jump of the wall clock is noticed within this long. */
#define TICK_MAX_MS (60 * 1000)
#define TEST_CLOCK_TICK_MS 100

static int
cmp_due(const void *a, const void *b)
{
	const struct due *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return (x->ref > y->ref) - (x->ref < y->ref);
}

static json_t *
due_detail(int64_t at)
{
	char buf[CIVIL_INSTANT_LEN];

	civil_format_instant(at, buf);
	return json_pack("{s:s}", "due_at", buf);
}

/* The kind and target a transition is audited under; target holds 160 bytes. */
static const char *
due_name(struct db *db, const struct due *d, char *target, size_t len)
{
	char gid[32];
	struct enrollment e;

	switch (d->kind) {
	case DUE_GRANT_START:
	case DUE_GRANT_END:
		grant_id_format(d->ref, gid);
		snprintf(target, len, "grant/%s", gid);
		return d->kind == DUE_GRANT_START ? "grant.start" : "grant.end";
	case DUE_WINDOW_END:
		if (store_enrollment_by_id(db, d->ref, &e) == 0)
			snprintf(target, len, "phase/%s/enrollment/%s", e.phase, e.team);
		else
			snprintf(target, len, "enrollment/%lld", (long long)d->ref);
		return "enrollment.complete";
	case DUE_EVALUATION:
	case DUE_VOUCHER_CLOSE:
		if (store_enrollment_by_id(db, d->ref, &e) == 0)
			snprintf(target, len, "phase/%s/enrollment/%s", e.phase, e.team);
		else
			snprintf(target, len, "enrollment/%lld", (long long)d->ref);
		return d->kind == DUE_EVALUATION ? "enrollment.evaluation" : "voucher.close";
	}
	snprintf(target, len, "?");
	return "?";
}

static int
apply_one(struct db *db, const struct due *d, int64_t now, char *why, size_t whylen)
{
	char target[160], gid[32], err[GD_ERRBUF] = "";
	struct enrollment e;
	json_t *detail = due_detail(d->at);
	int rc = 0;

	switch (d->kind) {
	case DUE_GRANT_START:
	case DUE_GRANT_END:
		grant_id_format(d->ref, gid);
		snprintf(target, sizeof(target), "grant/%s", gid);
		rc = store_grant_noted(db, d->ref, d->kind == DUE_GRANT_START ? 1 : 2);
		if (rc == 0)
			rc = audit_append(db, &audit_system, "timer", now,
			    d->kind == DUE_GRANT_START ? "grant.start" : "grant.end", target, NULL,
			    detail);
		break;
	case DUE_WINDOW_END:
		if ((rc = store_enrollment_by_id(db, d->ref, &e)) < 0 ||
		    e.state != ENROLLMENT_ACTIVE)
			break;
		snprintf(target, sizeof(target), "phase/%s/enrollment/%s", e.phase, e.team);
		rc = store_enrollment_set_state(db, e.id, ENROLLMENT_COMPLETED, -1);
		if (rc == 0) {
			rc = vouchers_close(db, e.id, now, err, sizeof(err));
			/* An enrollment from before vouchers existed has none to close. */
			if (rc == GD_ENOENT || rc == GD_ESTATE)
				rc = 0;
		}
		if (rc == 0)
			rc = audit_append(db, &audit_system, "timer", now, "enrollment.complete",
			    target, "the window ended", detail);
		if (rc == 0)
			log_notice("enrollment of team %s in phase %s completed", e.team, e.phase);
		break;
	case DUE_EVALUATION:
		/* Each team's own date (lib/enrollment.h), noted once. */
		if ((rc = store_enrollment_by_id(db, d->ref, &e)) < 0)
			break;
		snprintf(target, sizeof(target), "phase/%s/enrollment/%s", e.phase, e.team);
		rc = store_evaluation_noted(db, d->ref);
		if (rc == 0)
			rc = audit_append(db, &audit_system, "timer", now, "enrollment.evaluation",
			    target, "the team's evaluation date is reached", detail);
		if (rc == 0)
			log_notice("phase %s: the evaluation date of team %s is reached", e.phase,
			    e.team);
		break;
	case DUE_VOUCHER_CLOSE:
		/* The effective date of an elimination or withdrawal has come. */
		if ((rc = store_enrollment_by_id(db, d->ref, &e)) < 0)
			break;
		snprintf(target, sizeof(target), "phase/%s/enrollment/%s", e.phase, e.team);
		if ((rc = vouchers_close(db, e.id, now, err, sizeof(err))) == 0)
			rc = audit_append(db, &audit_system, "timer", now, "voucher.close", target,
			    "the enrollment's effective end date came", detail);
		if (rc == 0)
			log_notice("phase %s: the voucher of team %s closed on its effective date",
			    e.phase, e.team);
		break;
	}
	if (rc < 0)
		snprintf(why, whylen, "%s", err[0] ? err : timers_errtext(db, rc));
	json_decref(detail);
	return rc;
}

const char *
timers_errtext(struct db *db, int rc)
{
	switch (rc) {
	case GD_ERANGE:
		return "a figure is beyond what grantd can count (overflow)";
	case GD_ENOMEM:
		return "out of memory";
	default:
		return db_errmsg(db);
	}
}

int
timers_failed(struct db *db, int *failed, const char *kind, const char *target, int64_t due_at,
    int64_t now, const char *why)
{
	char when[CIVIL_INSTANT_LEN], reason[GD_ERRBUF + 64];
	json_t *detail;
	bool first;
	int rc;

	(*failed)++;
	if ((rc = store_timer_failure_note(db, kind, target, due_at, now, why, &first)) < 0)
		return rc;
	if (!first) {
		log_debug("%s %s failed again: %s", kind, target, why);
		return 0;
	}
	civil_format_instant(due_at, when);
	log_error("%s %s failed and was rolled back alone (the other transitions proceed; "
	    "retried on every tick, audited once): %s", kind, target, why);
	snprintf(reason, sizeof(reason), "%s failed: %s", kind, why);
	detail = due_at > 0 ? json_pack("{s:s, s:s, s:s}", "transition", kind, "due_at", when,
	    "error", why) : json_pack("{s:s, s:s}", "transition", kind, "error", why);
	rc = audit_append(db, &audit_system, "timer", now, "timer.failed", target, reason,
	    detail);
	json_decref(detail);
	return rc;
}

int
timers_succeeded(struct db *db, const char *kind, const char *target, int64_t due_at)
{
	return store_timer_failure_clear(db, kind, target, due_at);
}

/*
 * Runs one transition in a savepoint of its own: a failure rolls back that
 * transition alone and is noted (timers_failed); 0 then, so that the rest
 * proceed.  An error is returned only when the savepoint itself cannot be
 * used, i.e. the transaction is gone and nothing else could proceed either.
 */
static int
run_one(struct db *db, const struct due *d, int64_t now, int *applied, int *failed)
{
	char target[160], why[GD_ERRBUF] = "";
	const char *kind;
	int rc;

	if (db_savepoint(db, "timer_one") < 0)
		return GD_EIO;
	rc = apply_one(db, d, now, why, sizeof(why));
	kind = due_name(db, d, target, sizeof(target));
	if (rc == 0) {
		if (db_release(db, "timer_one") < 0)
			return GD_EIO;
		(*applied)++;
		return timers_succeeded(db, kind, target, d->at);
	}
	if (db_rollback_to(db, "timer_one") < 0 || db_release(db, "timer_one") < 0)
		return GD_EIO;
	return timers_failed(db, failed, kind, target, d->at, now, why);
}

/*
 * Holds due by upto expire in a savepoint of their own too, each hold in
 * one of its own (vouchers.c takes them and notes a hold that fails).  What
 * is noted here is a failure of the round as a whole (reading the due).
 */
static int
expire_holds(struct db *db, int64_t upto, int64_t now, int64_t *total, int *failed)
{
	int64_t expired = 0, next = -1;
	int rc = vouchers_expire_due(db, upto, now, &expired, &next, failed);

	if (rc == 0) {
		*total += expired;
		return timers_succeeded(db, "voucher.hold.expire", "holds", 0);
	}
	if (db_in_transaction(db))
		return timers_failed(db, failed, "voucher.hold.expire", "holds", 0, now,
		    timers_errtext(db, rc));
	return rc;
}

/* The notice lead, in seconds; 0 when notices are off. */
static int64_t
notice_within(const struct app *app)
{
	return (int64_t)app->cfg.events.hold_expiring_notice_minutes * 60;
}

/*
 * The hold.expiring notices due, after the expiries: a hold whose expiry
 * has passed is expired, never told it is about to be.  A savepoint of
 * their own, as expire_holds.
 */
static int
notice_holds(struct app *app, struct db *db, int64_t now, int64_t *total, int *failed)
{
	int64_t made = 0;
	int rc;

	if (notice_within(app) == 0)
		return 0;
	rc = vouchers_notice_expiring(db, notice_within(app), now, &made, failed);
	if (rc == 0) {
		*total += made;
		return timers_succeeded(db, "hold.expiring", "holds", 0);
	}
	if (db_in_transaction(db))
		return timers_failed(db, failed, "hold.expiring", "holds", 0, now,
		    timers_errtext(db, rc));
	return rc;
}

int
timers_apply_due(struct app *app, struct db *db, int64_t now, int *applied)
{
	struct due *d = NULL;
	size_t n = 0;
	int64_t total = 0;
	int rc, changed = 0, done = 0, failed = 0, idle_failed = 0;

	if ((rc = store_due(db, now, &d, &n)) < 0)
		return rc;
	if (n > 1)
		qsort(d, n, sizeof(*d), cmp_due);
	/*
	 * Holds expire in the same time order: before each transition, every
	 * hold due by its instant goes first, so a window that ends voids only
	 * holds that were still pending at that moment.  Each transition, each
	 * hold's expiry or notice and each enrollment's idle check runs alone: one
	 * that fails is logged, counted, audited once and retried on the next
	 * tick, and never keeps the others from happening.
	 */
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if ((rc = expire_holds(db, d[i].at, now, &total, &failed)) < 0)
			break;
		rc = run_one(db, &d[i], now, &done, &failed);
	}
	if (rc == 0)
		rc = expire_holds(db, now, now, &total, &failed);
	if (rc == 0)
		rc = notice_holds(app, db, now, &total, &failed);
	if (rc == 0 && (rc = idle_scan(db, &app->cfg.programme, now, &changed,
	    &idle_failed)) == 0)
		total += changed;
	/* Counted even when the tick as a whole failed: each try counts. */
	app->metrics.timer_failures += (uint64_t)failed + (uint64_t)idle_failed;
	free(d);
	if (rc == 0)
		*applied = done + (int)total;
	return rc;
}

int64_t
timers_next_due(struct app *app, struct db *db)
{
	int64_t next = store_next_due(db), notice = -1;

	/* Asked after every commit: one indexed query (schema/018). */
	if (notice_within(app) > 0 &&
	    vouchers_next_notice(db, notice_within(app), app_now(app), &notice) == 0 &&
	    notice >= 0 && (next < 0 || notice < next))
		next = notice;
	return next;
}

/*
 * The loop's side of the timers, owned by app->timers from timers_start
 * until the tick's close callback frees it.
 */
struct timers {
	struct app *app;
	uv_timer_t tick;
	bool on;
	/*
	 * A tick armed for a transition already due (at 0 ms) that then
	 * applied nothing, or failed, must not spin: the next such tick waits
	 * TICK_MAX_MS.
	 */
	bool for_due, backoff;
};

static void
on_tick(uv_timer_t *h)
{
	struct timers *t = h->data;
	struct app *app = t->app;
	int64_t now = app_now(app);
	int applied = 0;

	if (app->stopping)
		return;
	/*
	 * Its own savepoint: a failed transition leaves nothing half-applied.
	 * Without a batch there is no commit to re-arm the timer after: do it
	 * here, backing off, or time-based changes would stop until a write.
	 */
	if (commit_begin(app) < 0 || db_savepoint(app->w, "timer") < 0) {
		t->backoff = true;
		timers_rearm(app);
		return;
	}
	if (timers_apply_due(app, app->w, now, &applied) < 0) {
		t->backoff = true;
		if (!commit_intact(app))
			return;
		db_rollback_to(app->w, "timer");
		log_error("time-based transitions failed; retrying within a minute");
	} else {
		t->backoff = t->for_due && applied == 0;
		if (applied > 0)
			log_info("applied %d time-based transition(s)", applied);
	}
	db_release(app->w, "timer");
	/*
	 * The batch commits in the check phase and timers_rearm runs after it,
	 * on the committed state.  Re-arming here would read the reader's view,
	 * where what was just applied still looks due.
	 */
}

void
timers_rearm(struct app *app)
{
	struct timers *t = app->timers;
	int64_t now, next;
	uint64_t ms = TICK_MAX_MS;

	if (t == NULL || !t->on || app->stopping)
		return;
	/*
	 * Under a test clock (a file a test rewrites) time can jump at any
	 * moment: look often, so a jump is applied as promptly as a due time.
	 */
	if (app->clock_file)
		ms = TEST_CLOCK_TICK_MS;
	now = app_now(app);
	next = timers_next_due(app, app->r);
	t->for_due = false;
	if (next >= 0 && next <= now) {
		/* Due already (made in the past, or the clock moved): apply it now. */
		t->for_due = true;
		if (!t->backoff)
			ms = 0;
	} else if (next > now && (uint64_t)(next - now) * 1000 < ms) {
		ms = (uint64_t)(next - now) * 1000;
	}
	/*
	 * Rearmed after every commit: never push back a tick that is sooner,
	 * or a steady stream of writes would keep the minute's check (clock
	 * jumps, idle scan) from ever running.
	 */
	if (uv_is_active((uv_handle_t *)&t->tick) && uv_timer_get_due_in(&t->tick) <= ms)
		return;
	uv_timer_start(&t->tick, on_tick, ms, 0);
}

int
timers_start(struct app *app, uv_loop_t *loop)
{
	struct timers *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return GD_ENOMEM;
	t->app = app;
	uv_timer_init(loop, &t->tick);
	t->tick.data = t;
	t->on = true;
	app->timers = t;
	timers_rearm(app);
	return 0;
}

static void
on_tick_closed(uv_handle_t *h)
{
	struct timers *t = h->data;

	if (t->app->timers == t)
		t->app->timers = NULL;
	free(t);
}

void
timers_close(struct app *app)
{
	struct timers *t = app->timers;

	if (t == NULL || !t->on)
		return;
	t->on = false;
	uv_close((uv_handle_t *)&t->tick, on_tick_closed);
}
