/* idle.h: idle detection, run by the timers: flags and clears enrollments, with audit entries. */
#ifndef GRANTD_IDLE_H
#define GRANTD_IDLE_H

#include <stdint.h>

struct config_programme;
struct db;

/*
 * Idle detection, called by the timers (at every UTC hour and at start-up
 * is enough: usage is kept per hour).  For each active enrollment, over the
 * trailing cp->idle_window_hours whole UTC hours before now:
 *
 *	utilization = used / delivered	(delivered = granted - lost there)
 *
 * below cp->idle_threshold_pct flags the enrollment (since now); at or
 * above it, or once the enrollment is no longer active, the flag is
 * cleared.  An enrollment whose window began less than a trailing window
 * ago, or that had nothing delivered in it, is not judged (an open flag
 * stays).  Each change writes an audit entry (actor audit_system, request
 * id "timer": "usage.idle" / "usage.idle_cleared").  Runs in a savepoint of
 * its own: inside the group-commit batch (after commit_begin) or alone (it
 * then commits by itself).  Each enrollment is checked in a savepoint of
 * its own: one whose check fails is rolled back alone and reported through
 * timers_failed() (logged, counted, audited once), and the rest are still
 * judged.  *changed counts the flags set or cleared, *failed the checks
 * that failed (for /metrics).
 */
int idle_scan(struct db *db, const struct config_programme *cp, int64_t now, int *changed,
    int *failed);

#endif
