/* store_enrollments.c: SQL for enrollments. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_grants.h"
#include "vec.h"

#define ENR_COLS "id, phase, team, state, window_start, window_end, ended_at, created_at, " \
	"extra_days "
#define ENR_SQL "SELECT " ENR_COLS "FROM enrollments "

/* 0, or GD_EIO for a state the schema does not allow (a corrupt row). */
static int
enrollment_row(sqlite3_stmt *st, struct enrollment *e)
{
	e->id = sqlite3_column_int64(st, 0);
	snprintf(e->phase, sizeof(e->phase), "%s", db_text(st, 1));
	snprintf(e->team, sizeof(e->team), "%s", db_text(st, 2));
	if (enrollment_state_parse(db_text(st, 3), &e->state) < 0)
		return GD_EIO;
	e->start = sqlite3_column_int64(st, 4);
	e->end = sqlite3_column_int64(st, 5);
	e->ended_at = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 6);
	e->created_at = sqlite3_column_int64(st, 7);
	e->extra_days = sqlite3_column_int64(st, 8);
	return 0;
}

int
store_enrollment_get(struct db *db, const char *phase, const char *team, struct enrollment *e)
{
	sqlite3_stmt *st = db_prep(db, ENR_SQL "WHERE phase = ? AND team = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tt", phase, team);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = enrollment_row(st, e);
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_enrollment_by_id(struct db *db, int64_t id, struct enrollment *e)
{
	sqlite3_stmt *st = db_prep(db, ENR_SQL "WHERE id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = enrollment_row(st, e);
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_enrollment_insert(struct db *db, const char *phase, const char *team, int64_t start,
    int64_t end, int64_t now, int64_t *id)
{
	int rc = db_run(db, "INSERT INTO enrollments (phase, team, state, window_start, "
	    "window_end, created_at) VALUES (?, ?, 'active', ?, ?, ?)", "ttiii", phase, team,
	    start, end, now);

	if (rc == 0)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return rc;
}

int
store_enrollment_set_state(struct db *db, int64_t id, enum enrollment_state state,
    int64_t ended_at)
{
	return db_run(db, "UPDATE enrollments SET state = ?, ended_at = ? WHERE id = ?", "tni",
	    enrollment_state_name(state), ended_at, id);
}

int
store_enrollment_set_end(struct db *db, int64_t id, int64_t end)
{
	return db_run(db, "UPDATE enrollments SET window_end = ? WHERE id = ?", "ii", end, id);
}

int
store_enrollment_add_extra_days(struct db *db, int64_t id, int64_t days)
{
	return db_run(db, "UPDATE enrollments SET extra_days = extra_days + ? WHERE id = ?", "ii",
	    days, id);
}

int
store_enrollments_of_team(struct db *db, const char *program, const char *team,
    struct enrollment **v, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT " ENR_COLS "FROM enrollments WHERE team = ? AND "
	    "phase IN (SELECT id FROM phases WHERE program = ?) ORDER BY window_start, id");
	struct enrollment e, *out = NULL;
	size_t cnt = 0, cap = 0;
	int rc = 0, s;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tt", team, program);
	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
		if ((rc = enrollment_row(st, &e)) == 0)
			rc = vec_push(&out, &cnt, &cap, &e, sizeof(e));
	if (rc == 0 && s != SQLITE_DONE)
		rc = GD_EIO;
	db_done(st);
	if (rc < 0) {
		free(out);
		return rc;
	}
	*v = out;
	*n = cnt;
	return 0;
}

int
store_enrollment_ids(struct db *db, const char *phase, bool active_only, int64_t **ids,
    size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id FROM enrollments WHERE phase = ? "
	    "AND (? = 0 OR state = 'active') ORDER BY team");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "ti", phase, (int64_t)active_only);
	return db_ints(st, ids, n);
}

int
store_enrollment_ids_live(struct db *db, const char *phase, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id FROM enrollments WHERE phase = ? "
	    "AND state IN ('active', 'completed') ORDER BY team");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", phase);
	return db_ints(st, ids, n);
}

int
store_enrollment_json(struct db *db, int64_t id, json_t **out)
{
	struct enrollment e;
	struct phase_info pi;
	char sd[CIVIL_DATE_LEN], ed[CIVIL_DATE_LEN];
	json_t *o, *grants = json_array();
	int rc;

	if ((rc = store_enrollment_by_id(db, id, &e)) < 0 ||
	    (rc = store_phase_info(db, e.phase, &pi)) < 0) {
		json_decref(grants);
		return rc;
	}
	if ((rc = store_grant_json_of(db, id, grants)) < 0) {
		json_decref(grants);
		return rc;
	}
	civil_format_date(civil_local_day(e.start, pi.tz_off), sd);
	civil_format_date(civil_local_day(e.end, pi.tz_off), ed);
	o = json_pack("{s:s, s:s, s:s, s:{s:o, s:o, s:I, s:s, s:s}, s:o, s:o, s:{s:I}}",
	    "team", e.team, "phase", e.phase, "state", enrollment_state_name(e.state),
	    "window", "start", jv_instant(e.start), "end", jv_instant(e.end),
	    "days", (json_int_t)((e.end - e.start) / CIVIL_DAY), "start_date", sd, "end_date", ed,
	    "units", jv_milli(pi.units_milli), "grants", grants,
	    "voucher", "budget_krw", (json_int_t)pi.voucher_krw);
	if (o == NULL)
		return GD_ENOMEM;
	if (e.ended_at >= 0)
		json_object_set_new(o, "ended_at", jv_instant(e.ended_at));
	if (e.extra_days > 0)
		json_object_set_new(o, "extra_days", json_integer(e.extra_days));
	if (pi.evaluation_on >= 0) {
		civil_format_date(enrollment_evaluation_day(pi.evaluation_on, pi.starts_on,
		    civil_local_day(e.start, pi.tz_off), pi.extended_days), sd);
		json_object_set_new(o, "evaluation_on", json_string(sd));
	}
	*out = o;
	return 0;
}

int
store_enrollment_list(struct db *db, const char *phase, const char *team, const char *after,
    int64_t limit, json_t **items, char **next)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id, team FROM enrollments WHERE phase = ? "
	    "AND (?2 IS NULL OR team = ?2) AND team > ?3 ORDER BY team LIMIT ?4");
	int64_t *ids = NULL, n = 0;
	char last[ID_MAX + 1] = "";
	json_t *arr, *o;
	int rc = 0;

	if (st == NULL)
		return GD_EIO;
	/* Collect first: building each item runs other statements. */
	if ((ids = malloc((size_t)(limit + 1) * sizeof(*ids))) == NULL)
		return GD_ENOMEM;
	db_bind(st, "ttti", phase, team, after ? after : "", limit + 1);
	*next = NULL;
	while (sqlite3_step(st) == SQLITE_ROW) {
		if (n == limit) {
			*next = strdup(last);
			break;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
		snprintf(last, sizeof(last), "%s", db_text(st, 1));
	}
	db_done(st);
	arr = json_array();
	for (int64_t i = 0; i < n && rc == 0; i++) {
		if ((rc = store_enrollment_json(db, ids[i], &o)) == 0)
			json_array_append_new(arr, o);
	}
	free(ids);
	if (rc < 0) {
		json_decref(arr);
		free(*next);
		return rc;
	}
	*items = arr;
	return 0;
}

int
store_enrollment_counts(struct db *db, void (*fn)(void *arg, const char *state, int64_t n),
    void *arg)
{
	/* Kept by triggers (schema/020), not counted afresh. */
	sqlite3_stmt *st = db_prep(db, "SELECT state, n FROM enrollment_counts WHERE n > 0 "
	    "ORDER BY state");

	if (st == NULL)
		return GD_EIO;
	while (sqlite3_step(st) == SQLITE_ROW)
		fn(arg, db_text(st, 0), sqlite3_column_int64(st, 1));
	db_done(st);
	return 0;
}
