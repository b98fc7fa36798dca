/* store_usage.c: SQL for metered usage: batches, hourly aggregates, flags and idle marks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "store_grants.h"
#include "store_outages.h"
#include "store_pools.h"
#include "store_usage.h"
#include "timeline.h"
#include "units.h"
#include "vec.h"

/* Runs a statement that yields one integer; GD_ENOENT when it yields no row. */
static int
one_int(sqlite3_stmt *st, int64_t *out)
{
	int rc;

	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_usage_batch_get(struct db *db, const char *token_id, const char *batch_id,
    const char *digest, int64_t *samples, int64_t *flagged)
{
	sqlite3_stmt *st = db_prep(db, "SELECT samples, flagged, coalesce(digest, '') "
	    "FROM usage_batches WHERE token_id = ? AND batch_id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tt", token_id, batch_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*samples = sqlite3_column_int64(st, 0);
		*flagged = sqlite3_column_int64(st, 1);
		/* No digest: stored before 006, taken as the same batch, as it was. */
		rc = db_text(st, 2)[0] == '\0' || strcmp(db_text(st, 2), digest) == 0 ? 0 :
		    GD_ECONFLICT;
		db_done(st);
		return rc;
	}
	db_done(st);
	if ((rc = db_step_rc(rc)) != GD_ENOENT)
		return rc;
	/*
	 * Another token's batch of that name: the same samples are the same
	 * batch; other samples are a second batch under a name already taken.
	 * Batches from before 006 (no digest) cannot be compared and do not
	 * count, as they did not then.
	 */
	if ((st = db_prep(db, "SELECT samples, flagged, digest = ?2 FROM usage_batches "
	    "WHERE batch_id = ?1 AND digest IS NOT NULL ORDER BY digest = ?2 DESC, id "
	    "LIMIT 1")) == NULL)
		return GD_EIO;
	db_bind(st, "tt", batch_id, digest);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*samples = sqlite3_column_int64(st, 0);
		*flagged = sqlite3_column_int64(st, 1);
		rc = sqlite3_column_int(st, 2) ? 0 : GD_ECONFLICT;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_usage_batch_insert(struct db *db, const char *token_id, const char *batch_id,
    const char *digest, int64_t samples, int64_t flagged, int64_t gpu_seconds, int64_t now,
    int64_t *id)
{
	int rc = db_run(db, "INSERT INTO usage_batches (token_id, batch_id, digest, samples, "
	    "flagged, gpu_seconds, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)", "tttiiii",
	    token_id, batch_id, digest, samples, flagged, gpu_seconds, now);

	if (rc == 0)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return rc;
}

/*
 * The upserts add in SQL, where an integer overflow silently becomes a
 * REAL: the WHERE of each DO UPDATE refuses a sum past INT64_MAX instead,
 * and a row that was neither inserted nor updated is GD_ERANGE.
 */
static int
one_change(struct db *db, int rc)
{
	if (rc == 0 && sqlite3_changes(db_handle(db)) == 0)
		rc = GD_ERANGE;
	return rc;
}

int
store_usage_hour_add(struct db *db, int64_t enrollment, const char *pool, const char *team,
    int64_t hour, int64_t gpu_seconds, int64_t flagged_seconds, const struct usage_measured *m)
{
	static const struct usage_measured none = { 0, 0, 0, 0 };

	if (m == NULL)
		m = &none;
	return one_change(db, db_run(db, "INSERT INTO usage_hourly (enrollment, pool, team, "
	    "hour, gpu_seconds, flagged_seconds, measured_seconds, busy_seconds, util_seconds, "
	    "energy_j) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
	    "ON CONFLICT (pool, team, hour, coalesce(enrollment, 0)) DO UPDATE SET "
	    "gpu_seconds = gpu_seconds + excluded.gpu_seconds, "
	    "flagged_seconds = flagged_seconds + excluded.flagged_seconds, "
	    "measured_seconds = measured_seconds + excluded.measured_seconds, "
	    "busy_seconds = busy_seconds + excluded.busy_seconds, "
	    "util_seconds = util_seconds + excluded.util_seconds, "
	    "energy_j = energy_j + excluded.energy_j "
	    "WHERE gpu_seconds <= 9223372036854775807 - ?5 "
	    "AND flagged_seconds <= 9223372036854775807 - ?6 "
	    "AND measured_seconds <= 9223372036854775807 - ?7 "
	    "AND busy_seconds <= 9223372036854775807 - ?8 "
	    "AND util_seconds <= 9223372036854775807 - ?9 "
	    "AND energy_j <= 9223372036854775807 - ?10", "nttiiiiiii",
	    enrollment > 0 ? enrollment : -1, pool, team, hour, gpu_seconds, flagged_seconds,
	    m->seconds, m->busy, m->util, m->energy));
}

int
store_usage_total_add(struct db *db, int64_t enrollment, const char *pool, int64_t gpu_seconds)
{
	return one_change(db, db_run(db, "INSERT INTO usage_totals (enrollment, pool, "
	    "gpu_seconds) VALUES (?1, ?2, ?3) ON CONFLICT (enrollment, pool) DO UPDATE SET "
	    "gpu_seconds = gpu_seconds + excluded.gpu_seconds "
	    "WHERE gpu_seconds <= 9223372036854775807 - ?3", "iti", enrollment, pool,
	    gpu_seconds));
}

int
store_usage_flag_insert(struct db *db, int64_t batch, int64_t idx, const char *pool,
    const char *team, int64_t from, int64_t to, int64_t gpu_seconds, int64_t granted,
    const char *reason)
{
	return db_run(db, "INSERT INTO usage_flags (batch, idx, pool, team, from_t, to_t, "
	    "gpu_seconds, granted, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "iittiiiit",
	    batch, idx, pool, team, from, to, gpu_seconds, granted, reason);
}

int
store_usage_pool(struct db *db, const char *pool, int64_t *cards, int64_t *weight_milli)
{
	struct cal_pool p;
	int rc;

	if ((rc = store_pool_facts(db, pool, &p)) < 0)
		return rc;
	*cards = p.cards;
	*weight_milli = p.weight_milli;
	return 0;
}

int
store_usage_cal_pool(struct db *db, const char *pool, struct cal_pool *out)
{
	return store_pool_facts(db, pool, out);
}

int
store_usage_pool_has_outage(struct db *db, const char *pool)
{
	sqlite3_stmt *st = db_prep(db, "SELECT 1 FROM outages WHERE pool = ? "
	    "AND cancelled_at IS NULL LIMIT 1");
	int64_t one;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", pool);
	rc = one_int(st, &one);
	return rc == 0 ? 1 : rc == GD_ENOENT ? 0 : rc;
}

int
store_usage_timeline(struct db *db, const char *pool, int64_t base, struct timeline **tl)
{
	struct timeline_outage *o = NULL;
	struct timeline_grant *g = NULL;
	size_t n_o = 0, n_g = 0;
	int rc;

	if ((rc = store_outages_of(db, pool, 0, &o, &n_o)) < 0)
		return rc;
	rc = store_grant_spans(db, pool, &g, &n_g);
	if (rc == 0)
		rc = timeline_build(base, o, n_o, g, n_g, tl);
	free(o);
	free(g);
	return rc;
}

int
store_usage_team_exists(struct db *db, const char *team)
{
	sqlite3_stmt *st = db_prep(db, "SELECT 1 FROM teams WHERE id = ?");
	int64_t one;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", team);
	rc = one_int(st, &one);
	return rc == 0 ? 1 : rc == GD_ENOENT ? 0 : rc;
}

int
store_usage_team_grants(struct db *db, const char *team, const char *pool,
    struct usage_grant **gs, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT g.enrollment, g.cards, g.start, g.end, g.id "
	    "FROM grants g "
	    "JOIN enrollments e ON e.id = g.enrollment WHERE e.team = ? AND g.pool = ? "
	    "AND g.cancelled = 0 ORDER BY g.start, g.id");
	struct usage_grant *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tt", team, pool);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vec_reserve(&v, &cap, cnt + 1, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[cnt++] = (struct usage_grant){ sqlite3_column_int64(st, 0),
			sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
			sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4) };
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_rc(rc);
	}
	*gs = v;
	*n = cnt;
	return 0;
}

int
store_usage_budget_get(struct db *db, const char *token_id, int64_t *flagged, int64_t *tat_us)
{
	sqlite3_stmt *st = db_prep(db, "SELECT flagged, tat_us FROM usage_token_budget "
	    "WHERE token_id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", token_id);
	*flagged = *tat_us = 0;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*flagged = sqlite3_column_int64(st, 0);
		*tat_us = sqlite3_column_int64(st, 1);
		rc = SQLITE_DONE;
	}
	db_done(st);
	return rc == SQLITE_DONE ? 0 : db_rc(rc);
}

int
store_usage_budget_put(struct db *db, const char *token_id, int64_t flagged, int64_t tat_us)
{
	return db_run(db, "INSERT INTO usage_token_budget (token_id, flagged, tat_us) "
	    "VALUES (?, ?, ?) ON CONFLICT (token_id) DO UPDATE SET flagged = excluded.flagged, "
	    "tat_us = excluded.tat_us", "tii", token_id, flagged, tat_us);
}

/*
 * Sums gpu_seconds x weight_milli over the rows st yields (two integer
 * columns) in C, wide: SQLite's sum() over the products would turn an
 * overflowing product into a REAL (read back capped at INT64_MAX) and an
 * overflowing sum into an error, and neither says which.
 */
static int
wide_sum(sqlite3_stmt *st, units_wide *out)
{
	units_wide sum = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
			/* A REAL here was written by an old grantd whose sum overflowed. */
			db_done(st);
			return GD_ERANGE;
		}
		sum += (units_wide)sqlite3_column_int64(st, 0) * sqlite3_column_int64(st, 1);
	}
	db_done(st);
	if (rc != SQLITE_DONE)
		return db_rc(rc);
	*out = sum;
	return 0;
}

int
store_usage_used_wide(struct db *db, int64_t enrollment, units_wide *mus)
{
	sqlite3_stmt *st = db_prep(db, "SELECT t.gpu_seconds, m.weight_milli "
	    "FROM usage_totals t JOIN pools p ON p.id = t.pool "
	    "JOIN card_models m ON m.id = p.card_model WHERE t.enrollment = ?");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", enrollment);
	return wide_sum(st, mus);
}

int
store_usage_used(struct db *db, int64_t enrollment, int64_t at, int64_t *mus)
{
	sqlite3_stmt *st;
	units_wide all, later;
	int rc;

	if ((rc = store_usage_used_wide(db, enrollment, &all)) < 0)
		return rc;
	if ((st = db_prep(db, "SELECT u.gpu_seconds, m.weight_milli FROM usage_hourly u "
	    "JOIN pools p ON p.id = u.pool JOIN card_models m ON m.id = p.card_model "
	    "WHERE u.enrollment = ? AND u.hour >= ?")) == NULL)
		return GD_EIO;
	db_bind(st, "ii", enrollment, at);
	if ((rc = wide_sum(st, &later)) < 0)
		return rc;
	return units_narrow(all - later, mus);
}

int
store_usage_measured(struct db *db, int64_t enrollment, int64_t at, struct usage_measured *out)
{
	sqlite3_stmt *st = db_prep(db, "SELECT measured_seconds, busy_seconds, util_seconds, "
	    "energy_j FROM usage_hourly WHERE enrollment = ? AND hour < ? AND "
	    "(measured_seconds > 0 OR busy_seconds > 0 OR util_seconds > 0 OR energy_j > 0)");
	units_wide sum[4] = { 0, 0, 0, 0 };
	int64_t v[4];
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "ii", enrollment, at);
	/* Summed wide, as the usage is: each row fits, months of them may not. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		for (int k = 0; k < 4; k++)
			sum[k] += sqlite3_column_int64(st, k);
	db_done(st);
	if (rc != SQLITE_DONE)
		return db_rc(rc);
	for (int k = 0; k < 4; k++)
		if ((rc = units_narrow(sum[k], &v[k])) < 0)
			return rc;
	*out = (struct usage_measured){ v[0], v[1], v[2], v[3] };
	return 0;
}

/*
 * Reads rows of three integers into *v, an array of a struct of three
 * int64_t (struct usage_hour, struct usage_span) of `size` bytes.
 */
static int
rows_of_three(sqlite3_stmt *st, void *v, size_t *n, size_t size)
{
	void *out = NULL;
	int64_t one[3];
	size_t cnt = 0, cap = 0;
	int rc = 0, s;

	while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < 3; i++)
			one[i] = sqlite3_column_int64(st, i);
		rc = vec_push(&out, &cnt, &cap, one, size);
	}
	if (rc == 0 && s != SQLITE_DONE)
		rc = GD_EIO;
	db_done(st);
	if (rc < 0) {
		free(out);
		return rc;
	}
	*(void **)v = out;
	*n = cnt;
	return 0;
}
_Static_assert(sizeof(struct usage_hour) == 3 * sizeof(int64_t), "three integers");
_Static_assert(sizeof(struct usage_span) == 3 * sizeof(int64_t), "three integers");

int
store_usage_hours_of(struct db *db, int64_t enrollment, const char *pool, int64_t from,
    int64_t to, struct usage_hour **v, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT hour, gpu_seconds, flagged_seconds "
	    "FROM usage_hourly WHERE enrollment = ? AND pool = ? AND hour >= ? AND hour < ? "
	    "ORDER BY hour");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "itii", enrollment, pool, from, to);
	return rows_of_three(st, v, n, sizeof(**v));
}

int
store_usage_flagged_hours_of(struct db *db, int64_t enrollment, const char *pool,
    struct usage_hour **v, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT hour, gpu_seconds, flagged_seconds "
	    "FROM usage_hourly WHERE enrollment = ? AND pool = ? AND flagged_seconds > 0 "
	    "ORDER BY hour");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "it", enrollment, pool);
	return rows_of_three(st, v, n, sizeof(**v));
}

int
store_usage_above_grant_of(struct db *db, const char *team, const char *pool,
    struct usage_span **v, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT from_t, to_t, gpu_seconds FROM usage_flags "
	    "WHERE team = ? AND pool = ? AND reason = 'above_grant' ORDER BY from_t");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tt", team, pool);
	return rows_of_three(st, v, n, sizeof(**v));
}

int
store_usage_hour_sum(struct db *db, const char *pool, const char *team, int64_t hour,
    int64_t *gpu_seconds)
{
	sqlite3_stmt *st = db_prep(db, "SELECT gpu_seconds FROM usage_hourly "
	    "WHERE pool = ? AND team = ? AND hour = ?");
	int64_t sum = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tti", pool, team, hour);
	/* One row per enrollment (and one of no grant), each at most INT64_MAX. */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (__builtin_add_overflow(sum, sqlite3_column_int64(st, 0), &sum))
			sum = INT64_MAX;
	db_done(st);
	if (rc != SQLITE_DONE)
		return db_rc(rc);
	*gpu_seconds = sum;
	return 0;
}

int
store_usage_used_between(struct db *db, int64_t enrollment, int64_t from, int64_t to,
    int64_t *mus)
{
	sqlite3_stmt *st = db_prep(db, "SELECT u.gpu_seconds, m.weight_milli "
	    "FROM usage_hourly u JOIN pools p ON p.id = u.pool "
	    "JOIN card_models m ON m.id = p.card_model "
	    "WHERE u.enrollment = ? AND u.hour >= ? AND u.hour < ?");
	units_wide sum;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "iii", enrollment, from, to);
	if ((rc = wide_sum(st, &sum)) < 0)
		return rc;
	return units_narrow(sum, mus);
}

int
store_usage_team_phases(struct db *db, const char *team, char (**phases)[ID_MAX + 1],
    size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT phase FROM enrollments WHERE team = ? "
	    "ORDER BY phase");
	char (*v)[ID_MAX + 1] = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", team);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vec_reserve(&v, &cap, cnt + 1, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		snprintf(v[cnt++], ID_MAX + 1, "%s", db_text(st, 0));
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_rc(rc);
	}
	*phases = v;
	*n = cnt;
	return 0;
}

int
store_usage_idle_get(struct db *db, int64_t enrollment, int64_t at, int64_t *since)
{
	/*
	 * As of `at`: a flag raised at that very instant is not yet part of
	 * it (the scan that raised it ran then, on figures up to then), so a
	 * report for an instant reads the same whether or not the scan has run.
	 */
	sqlite3_stmt *st = db_prep(db, "SELECT since FROM usage_idle WHERE enrollment = ?1 "
	    "AND since < ?2 AND (cleared_at IS NULL OR cleared_at >= ?2) "
	    "ORDER BY since DESC LIMIT 1");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "ii", enrollment, at);
	rc = one_int(st, since);
	if (rc == GD_ENOENT) {
		*since = -1;
		rc = 0;
	}
	return rc;
}

int
store_usage_idle_set(struct db *db, int64_t enrollment, int64_t since, int64_t utilization_ppm)
{
	return db_run(db, "INSERT INTO usage_idle (enrollment, since, utilization_ppm) "
	    "VALUES (?, ?, ?)", "iii", enrollment, since, utilization_ppm);
}

int
store_usage_idle_clear(struct db *db, int64_t enrollment, int64_t at)
{
	return db_run(db, "UPDATE usage_idle SET cleared_at = max(?, since) "
	    "WHERE enrollment = ? AND cleared_at IS NULL", "ii", at, enrollment);
}

int
store_usage_idle_open(struct db *db, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT enrollment FROM usage_idle "
	    "WHERE cleared_at IS NULL ORDER BY enrollment");

	return st ? db_ints(st, ids, n) : GD_EIO;
}

int
store_usage_active_enrollments(struct db *db, int64_t **ids, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id FROM enrollments WHERE state = 'active' "
	    "ORDER BY id");

	return st ? db_ints(st, ids, n) : GD_EIO;
}

int
store_usage_state_version(struct db *db, struct db *writer, int64_t *v, bool *storable)
{
	sqlite3_stmt *st;
	int rc;

	if (writer && writer != db) {
		sqlite3 *w = db_handle(writer);

		*v = 2 * (int64_t)sqlite3_total_changes64(w);
		*storable = sqlite3_get_autocommit(w) != 0;
		return 0;
	}
	*storable = true;
	if ((st = db_prep(db, "PRAGMA data_version")) == NULL)
		return GD_EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = 2 * sqlite3_column_int64(st, 0) + 1;
	db_done(st);
	return rc == SQLITE_ROW ? 0 : GD_EIO;
}

const char *
store_usage_db_file(struct db *db)
{
	const char *f = sqlite3_db_filename(db_handle(db), "main");

	return f ? f : "";
}
