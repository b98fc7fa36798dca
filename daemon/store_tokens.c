/* store_tokens.c: SQL for bearer tokens (their hashes, never their secrets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_tokens.h"

/*
 * Columns of the API shape; ?3 is now, for the state and whether the
 * secret a rotation replaced still works.
 */
#define TOKEN_COLS "id, name, role, team, pool, created_at, revoked_at, expires_at, " \
	"last_used_at, rotated_at, CASE WHEN prev_until > ?3 THEN min(prev_until, " \
	"coalesce(expires_at, prev_until)) END, " \
	"CASE WHEN revoked_at IS NOT NULL THEN 'revoked' WHEN expires_at <= ?3 THEN " \
	"'expired' ELSE 'live' END, node"

static void
instant_if(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
	if (o && sqlite3_column_type(st, col) != SQLITE_NULL)
		json_object_set_new(o, key, jv_instant(sqlite3_column_int64(st, col)));
}

static json_t *
token_row(sqlite3_stmt *st)
{
	json_t *o;

	o = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", db_text(st, 0), "name", db_text(st, 1),
	    "role", db_text(st, 2), "state", db_text(st, 11), "created_at",
	    jv_instant(sqlite3_column_int64(st, 5)));
	if (o && sqlite3_column_type(st, 3) != SQLITE_NULL)
		json_object_set_new(o, "team", json_string(db_text(st, 3)));
	if (o && sqlite3_column_type(st, 4) != SQLITE_NULL)
		json_object_set_new(o, "pool", json_string(db_text(st, 4)));
	if (o && sqlite3_column_type(st, 12) != SQLITE_NULL)
		json_object_set_new(o, "node", json_string(db_text(st, 12)));
	instant_if(o, "revoked_at", st, 6);
	instant_if(o, "expires_at", st, 7);
	instant_if(o, "last_used_at", st, 8);
	instant_if(o, "rotated_at", st, 9);
	instant_if(o, "previous_valid_until", st, 10);
	return o;
}

int
store_token_list(struct db *db, const char *after, int64_t limit, int64_t now,
    json_t **items, char **next)
{
	return db_page(db, "SELECT " TOKEN_COLS " FROM tokens WHERE id > ?1 ORDER BY id "
	    "LIMIT ?2", token_row, db_cursor_text, limit, items, next, "tii", after ? after : "",
	    limit + 1, now);
}

int
store_token_get(struct db *db, const char *id, int64_t now, json_t **out)
{
	/* ?2 is not used: now is ?3, as in the list. */
	return db_get_json(db, "SELECT " TOKEN_COLS " FROM tokens WHERE id = ?1", token_row, out,
	    "tni", id, (int64_t)-1, now);
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
	static const char sql[] = "INSERT INTO tokens (id, name, role, team, pool, node, hash, "
	    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";

	return db_run(db, sql, "tttttttin", t->id, t->name, t->role, t->team, t->pool, t->node,
	    t->hash, now, t->expires_at);
}

static int64_t
int_or(sqlite3_stmt *st, int col, int64_t none)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? none : sqlite3_column_int64(st, col);
}

int
store_token_by_hash(struct db *db, const char *hash, struct token_found *out)
{
	/* Two lookups by index: the current secret, else one a rotation replaced. */
	static const char sql[] = "SELECT id, name, role, team, pool, revoked_at, expires_at, "
	    "NULL, node FROM tokens WHERE hash = ?1 UNION ALL SELECT id, name, role, team, pool, "
	    "revoked_at, expires_at, prev_until, node FROM tokens WHERE prev_hash = ?1 LIMIT 1";
	sqlite3_stmt *st;
	int rc = GD_ENOENT;

	if ((st = db_prep(db, sql)) == NULL || db_bind(st, "t", hash) < 0)
		return GD_EIO;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(out->id, sizeof(out->id), "%s", db_text(st, 0));
		snprintf(out->name, sizeof(out->name), "%s", db_text(st, 1));
		snprintf(out->role, sizeof(out->role), "%s", db_text(st, 2));
		snprintf(out->team, sizeof(out->team), "%s", db_text(st, 3));
		snprintf(out->pool, sizeof(out->pool), "%s", db_text(st, 4));
		snprintf(out->node, sizeof(out->node), "%s", db_text(st, 8));
		out->revoked_at = int_or(st, 5, -1);
		out->expires_at = int_or(st, 6, -1);
		out->prev_until = int_or(st, 7, -1);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? GD_ENOENT : GD_EIO;
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

int
store_token_rotate(struct db *db, const char *id, const char *hash, int64_t now,
    int64_t prev_until, int64_t expires_at)
{
	int rc = db_run(db, "UPDATE tokens SET prev_hash = hash, prev_until = ?3, hash = ?2, "
	    "rotated_at = ?4, expires_at = CASE ?5 WHEN -1 THEN expires_at WHEN -2 THEN NULL "
	    "ELSE ?5 END WHERE id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR "
	    "expires_at > ?4)", "ttiii", id, hash, prev_until, now, expires_at);

	if (rc == 0 && sqlite3_changes(db_handle(db)) == 0)
		return GD_ENOENT;
	return rc;
}

int
store_token_used(struct db *db, const char *id, int64_t at)
{
	return db_run(db, "UPDATE tokens SET last_used_at = ?2 WHERE id = ?1 AND "
	    "(last_used_at IS NULL OR last_used_at < ?2)", "ti", id, at);
}
