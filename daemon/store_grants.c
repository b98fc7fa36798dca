/* store_grants.c: SQL for grants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_grants.h"
#include "vec.h"

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

/* 0, or GD_EIO for a kind the schema does not allow (a corrupt row). */
static int
grant_struct(sqlite3_stmt *st, struct grant *g)
{
	g->id = sqlite3_column_int64(st, 0);
	g->enrollment = sqlite3_column_int64(st, 1);
	snprintf(g->pool, sizeof(g->pool), "%s", db_text(st, 2));
	g->cards = sqlite3_column_int64(st, 3);
	g->start = sqlite3_column_int64(st, 4);
	g->end = sqlite3_column_int64(st, 5);
	g->planned_end = sqlite3_column_int64(st, 6);
	g->cancelled = sqlite3_column_int(st, 8) != 0;
	return grant_kind_parse(db_text(st, 7), &g->kind) < 0 ? GD_EIO : 0;
}

int
store_grant_insert(struct db *db, int64_t enrollment, const char *pool, int64_t cards,
    int64_t start, int64_t end, enum grant_kind kind, int64_t now, int64_t *id)
{
	int rc = db_run(db, "INSERT INTO grants (enrollment, pool, cards, start, end, planned_end, "
	    "kind, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "itiiiiti", enrollment, pool,
	    cards, start, end, end, grant_kind_name(kind), now);

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
		rc = grant_struct(st, g);
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
store_grant_json_of(struct db *db, int64_t enrollment, json_t *arr)
{
	sqlite3_stmt *st = db_prep(db, GRANT_SQL "WHERE g.enrollment = ? AND g.cancelled = 0 "
	    "ORDER BY g.start, g.pool, g.id");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", enrollment);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, grant_row(st));
	db_done(st);
	return 0;
}

int
store_grants_of(struct db *db, int64_t enrollment, struct grant **gs, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, GRANT_SQL "WHERE g.enrollment = ? AND g.cancelled = 0 "
	    "ORDER BY g.start, g.id");
	struct grant *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", enrollment);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vec_reserve(&v, &cap, cnt + 1, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (grant_struct(st, &v[cnt++]) < 0) {
			db_done(st);
			free(v);
			return GD_EIO;
		}
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

int
store_grant_spans(struct db *db, const char *pool, struct timeline_grant **out, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id, start, end, cards FROM grants "
	    "WHERE pool = ? AND cancelled = 0");
	struct timeline_grant *g = NULL, one;
	size_t ng = 0, cg = 0;
	int rc = 0;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", pool);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		one = (struct timeline_grant){ sqlite3_column_int64(st, 0),
			sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
			sqlite3_column_int64(st, 3) };
		rc = vec_push(&g, &ng, &cg, &one, sizeof(one));
	}
	db_done(st);
	if (rc < 0) {
		free(g);
		return rc;
	}
	*out = g;
	*n = ng;
	return 0;
}

int
store_grant_row(struct db *db, int64_t id, struct grant_row *out)
{
	sqlite3_stmt *st = db_prep(db, "SELECT pool, start, end, cards, enrollment, "
	    "cancelled FROM grants WHERE id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(out->pool, sizeof(out->pool), "%s", db_text(st, 0));
		out->span = (struct timeline_grant){ id, sqlite3_column_int64(st, 1),
			sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3) };
		out->enrollment = sqlite3_column_int64(st, 4);
		out->live = sqlite3_column_int64(st, 5) == 0;
	}
	db_done(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GD_ENOENT : GD_EIO;
}

int
store_grant_owners(struct db *db, struct grant_owner **out, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id, enrollment FROM grants WHERE cancelled = 0");
	struct grant_owner *own = NULL, one;
	size_t nown = 0, cown = 0;
	int rc = 0;

	if (st == NULL)
		return GD_EIO;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		one = (struct grant_owner){ sqlite3_column_int64(st, 0),
			sqlite3_column_int64(st, 1) };
		rc = vec_push(&own, &nown, &cown, &one, sizeof(one));
	}
	db_done(st);
	if (rc < 0) {
		free(own);
		return rc;
	}
	*out = own;
	*n = nown;
	return 0;
}

int
store_grants_ever(struct db *db, int64_t enrollment, int64_t *n)
{
	int64_t c = db_int(db, "SELECT count(*) FROM grants WHERE enrollment = ?", "i", enrollment);

	if (c < 0)
		return GD_EIO;
	*n = c;
	return 0;
}
