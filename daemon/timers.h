/* timers.h: time-based transitions: grants starting and ending, holds expiring, windows ending. */
#ifndef GRANTD_TIMERS_H
#define GRANTD_TIMERS_H

#include <stdint.h>
#include <uv.h>

struct app;
struct db;

/*
 * Applies, in time order, every transition due at or before now: a grant
 * starting or ending (audited), a hold expiring (voided by the ledger), an
 * enrollment's window ending (state completed, voucher closed), an
 * evaluation date arriving (audited as a reminder), and the idle scan;
 * then the hold.expiring notices due ([events]
 * hold_expiring_notice_minutes; vouchers_notice_expiring).  Runs in the
 * caller's open transaction.  *applied counts transitions and notices.
 */
int timers_apply_due(struct app *app, struct db *db, int64_t now, int *applied);

/*
 * A transition (kind and target as audited, due_at its instant, 0 for one
 * that recurs such as an idle check) failed and was rolled back alone:
 * counts it, and the first time logs it at error level and audits it as
 * timer.failed (schema/008 keeps it until it succeeds).  *failed counts
 * the tries; the caller adds them to app->metrics.timer_failures.  0, or the error of
 * writing that down.  timers_succeeded forgets an earlier failure.
 */
int timers_failed(struct db *db, int *failed, const char *kind, const char *target, int64_t due_at,
    int64_t now, const char *why);
int timers_succeeded(struct db *db, const char *kind, const char *target, int64_t due_at);

/* A GD_* code in words for a log line: SQLite's message for storage errors. */
const char *timers_errtext(struct db *db, int rc);

/*
 * The instant of the next transition or notice (possibly one due already),
 * or -1 when none is known.
 */
int64_t timers_next_due(struct app *app, struct db *db);

/*
 * The loop's side: one uv_timer armed for the nearest transition and at
 * most a minute away (so a jump of the wall clock is noticed), re-armed
 * after every commit.
 */
int timers_start(struct app *app, uv_loop_t *loop);
void timers_rearm(struct app *app);
void timers_close(struct app *app);

#endif
