/* store_tokens.c: SQL for bearer tokens (their hashes, never their secrets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_tokens.h"

static json_t *
token_row(struct db *db, sqlite3_stmt *st)
{
	json_t *o;

	(void)db;
	o = json_pack("{s:s, s:s, s:s, s:o}", "id", db_text(st, 0), "name", db_text(st, 1),
	    "role", db_text(st, 2), "created_at", jv_instant(sqlite3_column_int64(st, 5)));
	if (o && sqlite3_column_type(st, 3) != SQLITE_NULL)
		json_object_set_new(o, "team", json_string(db_text(st, 3)));
	if (o && sqlite3_column_type(st, 4) != SQLITE_NULL)
		json_object_set_new(o, "pool", json_string(db_text(st, 4)));
	if (o && sqlite3_column_type(st, 6) != SQLITE_NULL)
		json_object_set_new(o, "revoked_at", jv_instant(sqlite3_column_int64(st, 6)));
	return o;
}

int
store_token_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next)
{
	return db_list_rows(db, "SELECT id, name, role, team, pool, created_at, revoked_at "
	    "FROM tokens WHERE id > ?1 AND ?3 IS NULL ORDER BY id LIMIT ?2", after, limit, NULL,
	    token_row, items, next);
}

int
store_token_get(struct db *db, const char *id, json_t **out)
{
	return db_get_row(db, "SELECT id, name, role, team, pool, created_at, revoked_at "
	    "FROM tokens WHERE id = ?", id, token_row, out);
}

int
store_token_revoke(struct db *db, const char *id, int64_t now)
{
	int rc = db_run(db, "UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
	    "it", now, id);

	if (rc == 0 && sqlite3_changes(db_handle(db)) == 0)
		return GD_ENOENT;
	return rc;
}

int
store_token_insert(struct db *db, const struct token_row *t, int64_t now)
{
	static const char sql[] = "INSERT INTO tokens (id, name, role, team, pool, hash, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";

	return db_run(db, sql, "tttttti", t->id, t->name, t->role, t->team, t->pool, t->hash,
	    now);
}

int
store_token_by_hash(struct db *db, const char *hash, struct token_found *out)
{
	static const char sql[] = "SELECT id, name, role, team, pool FROM tokens "
	    "WHERE hash = ? AND revoked_at IS NULL";
	sqlite3_stmt *st;
	int rc = GD_ENOENT;

	if ((st = db_prep(db, sql)) == NULL || db_bind(st, "t", hash) < 0)
		return GD_EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out->id, sizeof(out->id), "%s", db_text(st, 0));
		snprintf(out->name, sizeof(out->name), "%s", db_text(st, 1));
		snprintf(out->role, sizeof(out->role), "%s", db_text(st, 2));
		snprintf(out->team, sizeof(out->team), "%s", db_text(st, 3));
		snprintf(out->pool, sizeof(out->pool), "%s", db_text(st, 4));
		rc = 0;
	}
	db_done(st);
	return rc;
}

int
store_token_live(struct db *db, const char *id)
{
	static const char sql[] = "SELECT 1 FROM tokens WHERE id = ? AND revoked_at IS NULL";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_prep(db, sql)) == NULL || db_bind(st, "t", id) < 0)
		return GD_EIO;
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GD_ENOENT : GD_EIO;
	db_done(st);
	return rc;
}
