/* store_grants.c: SQL for pools, outages, enrollments, grants and overrides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db.h"
#include "err.h"
#include "jsonv.h"
#include "store_grants.h"

/* Pools. */

static json_t *
pool_row(sqlite3_stmt *st)
{
	int64_t cards = sqlite3_column_int64(st, 4), w = sqlite3_column_int64(st, 6);

	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "id", db_text(st, 0),
	    "provider", db_text(st, 1), "site", db_text(st, 2), "card_model", db_text(st, 3),
	    "cards", (json_int_t)cards, "weight", jv_milli(w), "units", jv_milli(cards * w),
	    "created_at", jv_instant(sqlite3_column_int64(st, 5)));
}

#define POOL_SQL "SELECT p.id, p.provider, p.site, p.card_model, p.cards, p.created_at, " \
	"m.weight_milli FROM pools p JOIN card_models m ON m.id = p.card_model "

int
store_pool_insert(struct db *db, const struct pool_in *p, int64_t now)
{
	return db_run(db, "INSERT INTO pools (id, provider, site, card_model, cards, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?)", "ttttii", p->id, p->provider, p->site, p->card_model,
	    p->cards, now);
}

int
store_pool_get(struct db *db, const char *id, json_t **out)
{
	return db_get_json(db, POOL_SQL "WHERE p.id = ?", pool_row, out, "t", id);
}

int
store_pool_list(struct db *db, const char *after, int64_t limit, json_t **items, char **next)
{
	return db_page(db, POOL_SQL "WHERE p.id > ? ORDER BY p.id LIMIT ?", pool_row,
	    db_cursor_text, limit, items, next, "ti", after ? after : "", limit + 1);
}

/* Outages. */

int
store_outage_insert(struct db *db, const struct outage_in *o, int64_t now, int64_t *id)
{
	int rc = db_run(db, "INSERT INTO outages (pool, from_t, to_t, cards, reason, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?)", "tiiiti", o->pool, o->from, o->to, o->cards, o->reason, now);

	if (rc == 0)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return rc;
}

static json_t *
outage_row(sqlite3_stmt *st)
{
	char id[32];

	snprintf(id, sizeof(id), "out_%lld", (long long)sqlite3_column_int64(st, 0));
	return json_pack("{s:s, s:s, s:o, s:o, s:I, s:s, s:o}", "id", id, "pool",
	    db_text(st, 1), "from", jv_instant(sqlite3_column_int64(st, 2)), "to",
	    jv_instant(sqlite3_column_int64(st, 3)), "cards",
	    (json_int_t)sqlite3_column_int64(st, 4), "reason", db_text(st, 5), "created_at",
	    jv_instant(sqlite3_column_int64(st, 6)));
}

#define OUTAGE_SQL "SELECT id, pool, from_t, to_t, cards, reason, created_at FROM outages "

int
store_outage_get(struct db *db, int64_t id, json_t **out)
{
	return db_get_json(db, OUTAGE_SQL "WHERE id = ?", outage_row, out, "i", id);
}

static void
outage_cursor(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	snprintf(cursor, DB_CURSOR_LEN, "out_%lld", (long long)sqlite3_column_int64(st, 0));
}

int
store_outage_list(struct db *db, const char *pool, int64_t after, int64_t limit,
    json_t **items, char **next)
{
	/* In time order; a page goes on after the outage named by the cursor. */
	return db_page(db, OUTAGE_SQL "WHERE pool = ?1 AND (?2 = 0 OR "
	    "(from_t, id) > (SELECT from_t, id FROM outages WHERE id = ?2)) "
	    "ORDER BY from_t, id LIMIT ?3", outage_row, outage_cursor, limit, items, next,
	    "tii", pool, after, limit + 1);
}

/* Phases, as placement sees them. */

int
store_phase_info(struct db *db, const char *phase, struct phase_info *pi)
{
	sqlite3_stmt *st = db_prep(db, "SELECT p.id, p.program, p.card_model, g.timezone, "
	    "p.starts_on, p.period_days, p.evaluation_on, p.cards, m.weight_milli, p.voucher_krw "
	    "FROM phases p JOIN programs g ON g.id = p.program "
	    "JOIN card_models m ON m.id = p.card_model WHERE p.id = ?");
	struct phase_info r = { 0 };
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", phase);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st);
		return db_step_rc(rc);
	}
	snprintf(r.id, sizeof(r.id), "%s", db_text(st, 0));
	snprintf(r.program, sizeof(r.program), "%s", db_text(st, 1));
	snprintf(r.card_model, sizeof(r.card_model), "%s", db_text(st, 2));
	snprintf(r.tz, sizeof(r.tz), "%s", db_text(st, 3));
	r.starts_on = sqlite3_column_int64(st, 4);
	r.period_days = sqlite3_column_int64(st, 5);
	r.evaluation_on = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 6);
	r.cards = sqlite3_column_int64(st, 7);
	r.weight_milli = sqlite3_column_int64(st, 8);
	r.voucher_krw = sqlite3_column_int64(st, 9);
	db_done(st);
	r.units_milli = r.cards * r.weight_milli;
	if (civil_tz_offset(r.tz, &r.tz_off) < 0)
		return GD_EIO;
	r.start = civil_local_midnight(r.starts_on, r.tz_off);
	*pi = r;
	return 0;
}

/* Enrollments. */

#define ENR_SQL "SELECT id, phase, team, state, window_start, window_end, ended_at " \
	"FROM enrollments "

static void
enrollment_row(sqlite3_stmt *st, struct enrollment *e)
{
	e->id = sqlite3_column_int64(st, 0);
	snprintf(e->phase, sizeof(e->phase), "%s", db_text(st, 1));
	snprintf(e->team, sizeof(e->team), "%s", db_text(st, 2));
	snprintf(e->state, sizeof(e->state), "%s", db_text(st, 3));
	e->start = sqlite3_column_int64(st, 4);
	e->end = sqlite3_column_int64(st, 5);
	e->ended_at = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 6);
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
		enrollment_row(st, e);
		rc = 0;
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
		enrollment_row(st, e);
		rc = 0;
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
store_enrollment_set_state(struct db *db, int64_t id, const char *state, int64_t ended_at)
{
	return db_run(db, "UPDATE enrollments SET state = ?, ended_at = ? WHERE id = ?", "tni",
	    state, ended_at, id);
}

int
store_enrollment_set_end(struct db *db, int64_t id, int64_t end)
{
	return db_run(db, "UPDATE enrollments SET window_end = ? WHERE id = ?", "ii", end, id);
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

void
grant_id_format(int64_t id, char buf[32])
{
	snprintf(buf, 32, "gr_%lld", (long long)id);
}

int
grant_id_parse(const char *s, int64_t *id)
{
	int64_t v = 0;

	if (strncmp(s, "gr_", 3) != 0 || s[3] == '\0' || strlen(s) > 21)
		return GD_EINVAL;
	for (s += 3; *s; s++) {
		if (*s < '0' || *s > '9')
			return GD_EINVAL;
		v = v * 10 + (*s - '0');
	}
	*id = v;
	return 0;
}

#define GRANT_SQL "SELECT g.id, g.enrollment, g.pool, g.cards, g.start, g.end, g.planned_end, " \
	"g.kind, g.cancelled, p.card_model, e.phase, e.team, m.weight_milli FROM grants g " \
	"JOIN pools p ON p.id = g.pool JOIN card_models m ON m.id = p.card_model " \
	"JOIN enrollments e ON e.id = g.enrollment "

static json_t *
grant_row(sqlite3_stmt *st)
{
	char id[32];
	json_t *o;

	grant_id_format(sqlite3_column_int64(st, 0), id);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:s}", "id", id,
	    "phase", db_text(st, 10), "team", db_text(st, 11), "pool", db_text(st, 2),
	    "card_model", db_text(st, 9), "cards", (json_int_t)sqlite3_column_int64(st, 3),
	    "units", jv_milli(sqlite3_column_int64(st, 3) * sqlite3_column_int64(st, 12)),
	    "start", jv_instant(sqlite3_column_int64(st, 4)),
	    "end", jv_instant(sqlite3_column_int64(st, 5)), "kind", db_text(st, 7));
	if (o && sqlite3_column_int64(st, 6) != sqlite3_column_int64(st, 5))
		json_object_set_new(o, "planned_end", jv_instant(sqlite3_column_int64(st, 6)));
	if (o && sqlite3_column_int(st, 8))
		json_object_set_new(o, "cancelled", json_true());
	return o;
}

static void
grant_struct(sqlite3_stmt *st, struct grant *g)
{
	g->id = sqlite3_column_int64(st, 0);
	g->enrollment = sqlite3_column_int64(st, 1);
	snprintf(g->pool, sizeof(g->pool), "%s", db_text(st, 2));
	g->cards = sqlite3_column_int64(st, 3);
	g->start = sqlite3_column_int64(st, 4);
	g->end = sqlite3_column_int64(st, 5);
	g->planned_end = sqlite3_column_int64(st, 6);
	snprintf(g->kind, sizeof(g->kind), "%s", db_text(st, 7));
	g->cancelled = sqlite3_column_int(st, 8) != 0;
}

int
store_enrollment_json(struct db *db, int64_t id, json_t **out)
{
	sqlite3_stmt *st;
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
	if ((st = db_prep(db, GRANT_SQL "WHERE g.enrollment = ? AND g.cancelled = 0 "
	    "ORDER BY g.start, g.pool, g.id")) == NULL) {
		json_decref(grants);
		return GD_EIO;
	}
	db_bind(st, "i", id);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(grants, grant_row(st));
	db_done(st);
	civil_format_date(civil_local_day(e.start, pi.tz_off), sd);
	civil_format_date(civil_local_day(e.end, pi.tz_off), ed);
	o = json_pack("{s:s, s:s, s:s, s:{s:o, s:o, s:I, s:s, s:s}, s:o, s:o, s:{s:I}}",
	    "team", e.team, "phase", e.phase, "state", e.state,
	    "window", "start", jv_instant(e.start), "end", jv_instant(e.end),
	    "days", (json_int_t)((e.end - e.start) / CIVIL_DAY), "start_date", sd, "end_date", ed,
	    "units", jv_milli(pi.units_milli), "grants", grants,
	    "voucher", "budget_krw", (json_int_t)pi.voucher_krw);
	if (o == NULL)
		return GD_ENOMEM;
	if (e.ended_at >= 0)
		json_object_set_new(o, "ended_at", jv_instant(e.ended_at));
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

/* Grants. */

int
store_grant_insert(struct db *db, int64_t enrollment, const char *pool, int64_t cards,
    int64_t start, int64_t end, const char *kind, int64_t now, int64_t *id)
{
	int rc = db_run(db, "INSERT INTO grants (enrollment, pool, cards, start, end, planned_end, "
	    "kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "itiiiiti", enrollment, pool,
	    cards, start, end, end, kind, now);

	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return rc;
}

int
store_grant_get(struct db *db, int64_t id, struct grant *g)
{
	sqlite3_stmt *st = db_prep(db, GRANT_SQL "WHERE g.id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		grant_struct(st, g);
		rc = 0;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_grant_json(struct db *db, int64_t id, json_t **out)
{
	return db_get_json(db, GRANT_SQL "WHERE g.id = ?", grant_row, out, "i", id);
}

int
store_grant_cut(struct db *db, int64_t id, int64_t t)
{
	return db_run(db, "UPDATE grants SET cancelled = (start >= ?1), "
	    "end = CASE WHEN start >= ?1 THEN end ELSE min(end, ?1) END WHERE id = ?2", "ii", t, id);
}

int
store_grant_set_end(struct db *db, int64_t id, int64_t end)
{
	return db_run(db, "UPDATE grants SET end = ?, planned_end = max(planned_end, ?) "
	    "WHERE id = ?", "iii", end, end, id);
}

int
store_grant_shift(struct db *db, int64_t id, int64_t by)
{
	return db_run(db, "UPDATE grants SET start = start + ?1, end = end + ?1, "
	    "planned_end = planned_end + ?1 WHERE id = ?2", "ii", by, id);
}

int
store_grants_of(struct db *db, int64_t enrollment, struct grant **gs, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, GRANT_SQL "WHERE g.enrollment = ? AND g.cancelled = 0 "
	    "ORDER BY g.start, g.id");
	struct grant *v = NULL, *nv;
	size_t cnt = 0, cap = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", enrollment);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = nv;
		}
		grant_struct(st, &v[cnt++]);
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

static void
grant_cursor(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	grant_id_format(sqlite3_column_int64(st, 0), cursor);
}

int
store_grant_list(struct db *db, const struct grant_filter *f, int64_t after, int64_t limit,
    json_t **items, char **next)
{
	return db_page(db, GRANT_SQL "WHERE g.cancelled = 0 AND g.id > ?1 "
	    "AND (?2 IS NULL OR e.team = ?2) AND (?3 IS NULL OR g.pool = ?3) "
	    "AND (?4 IS NULL OR e.phase = ?4) AND (?5 IS NULL OR (g.start <= ?5 AND g.end > ?5)) "
	    "ORDER BY g.id LIMIT ?6", grant_row, grant_cursor, limit, items, next, "itttni",
	    after, f->team, f->pool, f->phase, f->at, limit + 1);
}

/* Overrides. */

int
store_override_insert(struct db *db, const char *phase, const char *team, const char *rule,
    const char *detail, const char *reason, const char *action, const char *request_id,
    int64_t now)
{
	return db_run(db, "INSERT INTO overrides (phase, team, rule, detail, reason, action, "
	    "request_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ttttttti", phase, team, rule,
	    detail, reason, action, request_id, now);
}

int
store_override_list(struct db *db, const char *phase, const char *team, json_t **items)
{
	sqlite3_stmt *st = db_prep(db, "SELECT team, rule, detail, reason, action, request_id, at "
	    "FROM overrides WHERE phase = ? AND (?2 IS NULL OR team = ?2) ORDER BY id");
	json_t *arr = json_array();

	if (st == NULL) {
		json_decref(arr);
		return GD_EIO;
	}
	db_bind(st, "tt", phase, team);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s, s:o}",
		    "team", sqlite3_column_type(st, 0) == SQLITE_NULL ? NULL : db_text(st, 0),
		    "rule", db_text(st, 1), "detail", db_text(st, 2), "reason", db_text(st, 3),
		    "action", db_text(st, 4), "request_id", db_text(st, 5),
		    "at", jv_instant(sqlite3_column_int64(st, 6))));
	db_done(st);
	*items = arr;
	return 0;
}
