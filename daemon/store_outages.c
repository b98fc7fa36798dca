/* store_outages.c: SQL for outages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_outages.h"
#include "vec.h"

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
	json_t *o;

	snprintf(id, sizeof(id), "out_%lld", (long long)sqlite3_column_int64(st, 0));
	o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:s, s:o, s:s}", "id", id, "pool",
	    db_text(st, 1), "from", jv_instant(sqlite3_column_int64(st, 2)), "to",
	    jv_instant(sqlite3_column_int64(st, 3)), "cards",
	    (json_int_t)sqlite3_column_int64(st, 4), "reason", db_text(st, 5), "created_at",
	    jv_instant(sqlite3_column_int64(st, 6)), "state",
	    sqlite3_column_type(st, 8) == SQLITE_NULL ? "recorded" : "cancelled");
	if (o && sqlite3_column_type(st, 7) != SQLITE_NULL)
		json_object_set_new(o, "updated_at", jv_instant(sqlite3_column_int64(st, 7)));
	if (o && sqlite3_column_type(st, 8) != SQLITE_NULL) {
		json_object_set_new(o, "cancelled_at", jv_instant(sqlite3_column_int64(st, 8)));
		json_object_set_new(o, "cancel_reason", json_string(db_text(st, 9)));
	}
	return o;
}

#define OUTAGE_SQL "SELECT id, pool, from_t, to_t, cards, reason, created_at, updated_at, " \
	"cancelled_at, cancel_reason FROM outages "

int
store_outage_row(struct db *db, int64_t id, struct outage_row *o)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id, pool, from_t, to_t, cards, cancelled_at "
	    "FROM outages WHERE id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st);
		return db_step_rc(rc);
	}
	o->id = sqlite3_column_int64(st, 0);
	snprintf(o->pool, sizeof(o->pool), "%s", db_text(st, 1));
	o->from = sqlite3_column_int64(st, 2);
	o->to = sqlite3_column_int64(st, 3);
	o->cards = sqlite3_column_int64(st, 4);
	o->cancelled_at = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 5);
	db_done(st);
	return 0;
}

int
store_outage_update(struct db *db, int64_t id, int64_t from, int64_t to, int64_t cards,
    int64_t now)
{
	return db_run(db, "UPDATE outages SET from_t = ?, to_t = ?, cards = ?, updated_at = ? "
	    "WHERE id = ? AND cancelled_at IS NULL", "iiiii", from, to, cards, now, id);
}

int
store_outage_cancel(struct db *db, int64_t id, const char *reason, int64_t now)
{
	return db_run(db, "UPDATE outages SET cancelled_at = ?, cancel_reason = ? "
	    "WHERE id = ? AND cancelled_at IS NULL", "iti", now, reason, id);
}

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

int
store_outages_of(struct db *db, const char *pool, int64_t except, struct timeline_outage **out,
    size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT from_t, to_t, cards FROM outages WHERE pool = ? "
	    "AND cancelled_at IS NULL AND id != ?");
	struct timeline_outage *o = NULL, one;
	size_t no = 0, co = 0;
	int rc = 0;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "ti", pool, except);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		one = (struct timeline_outage){ sqlite3_column_int64(st, 0),
			sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2) };
		rc = vec_push(&o, &no, &co, &one, sizeof(one));
	}
	db_done(st);
	if (rc < 0) {
		free(o);
		return rc;
	}
	*out = o;
	*n = no;
	return 0;
}
