/* store_audit.c: SQL for the audit trail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_audit.h"

static json_t *
audit_row(struct db *db, sqlite3_stmt *st)
{
	json_t *o, *d = NULL;

	(void)db;
	o = json_pack("{s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:s?, s:s, s:s}",
	    "seq", (json_int_t)sqlite3_column_int64(st, 0),
	    "at", jv_instant(sqlite3_column_int64(st, 1)),
	    "actor", db_text(st, 3), "actor_id", db_text(st, 2),
	    "action", db_text(st, 4), "target", db_text(st, 5),
	    "request_id", db_text(st, 6), "reason", (const char *)sqlite3_column_text(st, 7),
	    "prev_hash", db_text(st, 9), "hash", db_text(st, 10));
	if (o && sqlite3_column_type(st, 8) != SQLITE_NULL &&
	    (d = json_loads(db_text(st, 8), 0, NULL)) != NULL)
		json_object_set_new(o, "detail", d);
	if (o && json_object_get(o, "reason") == NULL)
		json_object_set_new(o, "reason", json_null());
	return o;
}

int
store_audit_list(struct db *db, int64_t after, int64_t limit, json_t **items, char **next)
{
	char cur[24];

	snprintf(cur, sizeof(cur), "%lld", (long long)after);
	/* The cursor is a number; CAST keeps the comparison numeric. */
	return db_list_rows(db, "SELECT seq, at, actor_id, actor_name, action, target, request_id, "
	    "reason, detail, prev_hash, hash FROM audit WHERE seq > CAST(?1 AS INTEGER) "
	    "AND ?3 IS NULL ORDER BY seq LIMIT ?2", cur, limit, NULL, audit_row, items, next);
}

int
store_audit_last(struct db *db, int64_t *seq, char *hash, size_t hashlen)
{
	static const char sql[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	sqlite3_stmt *st;
	int rc = GD_ENOENT;

	if ((st = db_prep(db, sql)) == NULL)
		return GD_EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(hash, hashlen, "%s", db_text(st, 1));
		rc = 0;
	}
	db_done(st);
	return rc;
}

int
store_audit_hash(struct db *db, int64_t seq, char *hash, size_t hashlen)
{
	return db_get_text(db, "SELECT hash FROM audit WHERE seq = ?", hash, hashlen, "i", seq);
}

int
store_audit_insert(struct db *db, const struct audit_entry *e)
{
	static const char sql[] = "INSERT INTO audit (seq, at, actor_id, actor_name, "
	    "action, target, request_id, reason, detail, prev_hash, hash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

	return db_run(db, sql, "iittttttttt", e->seq, e->at, e->actor_id, e->actor_name,
	    e->action, e->target, e->request_id, e->reason, e->detail, e->prev_hash, e->hash);
}

int
store_audit_each(struct db *db, int (*fn)(void *arg, const struct audit_entry *e), void *arg)
{
	static const char sql[] = "SELECT seq, at, actor_id, actor_name, action, target, "
	    "request_id, reason, detail, prev_hash, hash FROM audit ORDER BY seq";
	struct audit_entry e;
	sqlite3_stmt *st;
	int rc = 0, step;

	if ((st = db_prep(db, sql)) == NULL)
		return GD_EIO;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		e = (struct audit_entry){
			.seq = sqlite3_column_int64(st, 0), .at = sqlite3_column_int64(st, 1),
			.actor_id = db_text(st, 2), .actor_name = db_text(st, 3),
			.action = db_text(st, 4), .target = db_text(st, 5),
			.request_id = db_text(st, 6),
			.reason = (const char *)sqlite3_column_text(st, 7),
			.detail = (const char *)sqlite3_column_text(st, 8),
			.prev_hash = db_text(st, 9), .hash = db_text(st, 10),
		};
		if ((rc = fn(arg, &e)) != 0)
			break;
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = GD_EIO;
	db_done(st);
	return rc;
}

int64_t
store_audit_count(struct db *db)
{
	/*
	 * Entries are numbered from 1 with no gap and never deleted (schema/001's
	 * triggers), so the last number is the count, and costs no scan.
	 */
	return db_int(db, "SELECT coalesce(max(seq), 0) FROM audit", NULL);
}
