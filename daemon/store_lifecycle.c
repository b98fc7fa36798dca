/* store_lifecycle.c: finding the time-based transitions that are due. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db_sql.h"
#include "err.h"
#include "enrollment.h"
#include "store_lifecycle.h"
#include "vec.h"

static int
push(struct due **v, size_t *n, size_t *cap, struct due d)
{
	return vec_push(v, n, cap, &d, sizeof(d));
}

/*
 * Each team's evaluation date (lib/enrollment.h), a local midnight of its
 * programme's zone, from a row of EVAL_SQL.
 */
#define EVAL_SQL "SELECT e.id, e.window_start, p.evaluation_on, p.starts_on, " \
	"p.extended_days, g.timezone, e.phase FROM enrollments e " \
	"JOIN phases p ON p.id = e.phase JOIN programs g ON g.id = p.program " \
	"WHERE e.evaluation_noted = 0 AND p.evaluation_on IS NOT NULL " \
	"AND e.state IN ('active', 'completed')"

/*
 * The earliest evaluation of each phase, in EVAL_SQL's columns (the first
 * unused): a team's evaluation day grows with its window's start, so the
 * earliest start not yet noted gives the phase's next one (schema/019).
 */
#define EVAL_NEXT_SQL "SELECT 0, (SELECT min(e.window_start) FROM enrollments e " \
	"WHERE e.phase = p.id AND e.evaluation_noted = 0 " \
	"AND e.state IN ('active', 'completed')) AS ws, p.evaluation_on, p.starts_on, " \
	"p.extended_days, g.timezone, p.id FROM phases p " \
	"JOIN programs g ON g.id = p.program WHERE p.evaluation_on IS NOT NULL"

/* Vouchers of ended enrollments still open: each closes at its ended_at. */
#define CLOSE_SQL "SELECT e.id, e.ended_at FROM enrollments e " \
	"JOIN ledger_accounts a ON a.enrollment = e.id " \
	"WHERE e.state IN ('eliminated', 'withdrawn') AND a.closed = 0 "

static int64_t
evaluation_at(sqlite3_stmt *st)
{
	int32_t off = 0;
	int64_t day;

	civil_tz_offset(db_text(st, 5), &off);
	day = enrollment_evaluation_day(sqlite3_column_int64(st, 2),
	    sqlite3_column_int64(st, 3), civil_local_day(sqlite3_column_int64(st, 1), off),
	    sqlite3_column_int64(st, 4));
	return civil_local_midnight(day, off);
}

int
store_due(struct db *db, int64_t now, struct due **out, size_t *n)
{
	struct due *v = NULL;
	size_t cnt = 0, cap = 0;
	sqlite3_stmt *st;
	int rc = 0;

	st = db_prep(db, "SELECT id, start, end, noted FROM grants WHERE noted < 2 "
	    "AND cancelled = 0 AND start <= ?");
	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", now);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);

		if (sqlite3_column_int(st, 3) == 0)
			rc = push(&v, &cnt, &cap, (struct due){ sqlite3_column_int64(st, 1),
			    DUE_GRANT_START, id, "" });
		if (rc == 0 && sqlite3_column_int64(st, 2) <= now)
			rc = push(&v, &cnt, &cap, (struct due){ sqlite3_column_int64(st, 2),
			    DUE_GRANT_END, id, "" });
	}
	db_done(st);
	st = db_prep(db, "SELECT id, window_end FROM enrollments WHERE state = 'active' "
	    "AND window_end <= ?");
	if (rc == 0 && st == NULL)
		rc = GD_EIO;
	if (rc == 0) {
		db_bind(st, "i", now);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
			rc = push(&v, &cnt, &cap, (struct due){ sqlite3_column_int64(st, 1),
			    DUE_WINDOW_END, sqlite3_column_int64(st, 0), "" });
		db_done(st);
	}
	st = db_prep(db, CLOSE_SQL "AND e.ended_at <= ?");
	if (rc == 0 && st == NULL)
		rc = GD_EIO;
	if (rc == 0) {
		db_bind(st, "i", now);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
			rc = push(&v, &cnt, &cap, (struct due){ sqlite3_column_int64(st, 1),
			    DUE_VOUCHER_CLOSE, sqlite3_column_int64(st, 0), "" });
		db_done(st);
	}
	st = db_prep(db, EVAL_SQL);
	if (rc == 0 && st == NULL)
		rc = GD_EIO;
	if (rc == 0) {
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			struct due d = { evaluation_at(st), DUE_EVALUATION,
			    sqlite3_column_int64(st, 0), "" };

			if (d.at > now)
				continue;
			snprintf(d.phase, sizeof(d.phase), "%s", db_text(st, 6));
			rc = push(&v, &cnt, &cap, d);
		}
		db_done(st);
	}
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int64_t
store_next_due(struct db *db)
{
	int64_t best = -1, t;
	sqlite3_stmt *st;

	/*
	 * The same sets as store_due, at any time: one already due comes out
	 * first.  Asked after every commit, so each is answered from an index
	 * (schema/019), not by reading every grant or enrollment.
	 */
#define TAKE(x) do { t = (x); if (t >= 0 && (best < 0 || t < best)) best = t; } while (0)
	TAKE(db_int(db, "SELECT coalesce(min(start), -1) FROM grants WHERE noted = 0 "
	    "AND cancelled = 0", NULL));
	TAKE(db_int(db, "SELECT coalesce(min(end), -1) FROM grants WHERE noted < 2 "
	    "AND cancelled = 0", NULL));
	TAKE(db_int(db, "SELECT coalesce(min(window_end), -1) FROM enrollments "
	    "WHERE state = 'active'", NULL));
	TAKE(db_int(db, "SELECT coalesce(min(expires_at), -1) FROM ledger_holds "
	    "WHERE state = 'pending'", NULL));
	TAKE(db_int(db, "SELECT coalesce(min(e.ended_at), -1) FROM enrollments e "
	    "JOIN ledger_accounts a ON a.enrollment = e.id "
	    "WHERE e.state IN ('eliminated', 'withdrawn') AND a.closed = 0", NULL));
	st = db_prep(db, EVAL_NEXT_SQL);
	if (st != NULL) {
		while (sqlite3_step(st) == SQLITE_ROW)
			if (sqlite3_column_type(st, 1) != SQLITE_NULL)
				TAKE(evaluation_at(st));
		db_done(st);
	}
#undef TAKE
	return best;
}

int
store_grant_noted(struct db *db, int64_t grant, int noted)
{
	return db_run(db, "UPDATE grants SET noted = ? WHERE id = ? AND noted < ?", "iii",
	    (int64_t)noted, grant, (int64_t)noted);
}

int
store_evaluation_noted(struct db *db, int64_t enrollment)
{
	return db_run(db, "UPDATE enrollments SET evaluation_noted = 1 WHERE id = ?", "i",
	    enrollment);
}

int
store_timer_failure_note(struct db *db, const char *kind, const char *target, int64_t due_at,
    int64_t now, const char *error, bool *first)
{
	int rc = db_run(db, "UPDATE timer_failures SET last_at = ?, tries = tries + 1, "
	    "error = ? WHERE kind = ? AND target = ? AND due_at = ?", "ittti", now, error, kind,
	    target, due_at);

	if (rc < 0)
		return rc;
	*first = sqlite3_changes(db_handle(db)) == 0;
	if (!*first)
		return 0;
	return db_run(db, "INSERT INTO timer_failures (kind, target, due_at, first_at, last_at, "
	    "tries, error) VALUES (?, ?, ?, ?, ?, 1, ?)", "ttiiit", kind, target, due_at, now, now,
	    error);
}

int
store_timer_failure_clear(struct db *db, const char *kind, const char *target, int64_t due_at)
{
	return db_run(db, "DELETE FROM timer_failures WHERE kind = ? AND target = ? AND "
	    "due_at = ?", "tti", kind, target, due_at);
}
