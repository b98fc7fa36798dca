/* store_nodes.c: SQL for the GPU nodes of pools: their team and when they were last heard from. */
#include <stdio.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_nodes.h"

#define NODE_SQL "SELECT node, pool, team, reason, assigned_at, updated_at, last_seen_at, " \
	"last_batch FROM nodes "

static json_t *
text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
	    json_string(db_text(st, col));
}

static json_t *
instant_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
	    jv_instant(sqlite3_column_int64(st, col));
}

static json_t *
node_row(sqlite3_stmt *st)
{
	return json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "pool", db_text(st, 1),
	    "node", db_text(st, 0), "team", text_or_null(st, 2), "reason", db_text(st, 3),
	    "assigned_at", jv_instant(sqlite3_column_int64(st, 4)),
	    "updated_at", jv_instant(sqlite3_column_int64(st, 5)),
	    "last_seen_at", instant_or_null(st, 6), "last_batch", text_or_null(st, 7));
}

int
store_node_get(struct db *db, const char *pool, const char *node, json_t **out)
{
	return db_get_json(db, NODE_SQL "WHERE pool = ? AND node = ?", node_row, out, "tt", pool,
	    node);
}

int
store_node_list(struct db *db, const char *pool, const char *after, int64_t limit,
    json_t **items, char **next)
{
	/* Column 0, the cursor, is the node id. */
	return db_page(db, NODE_SQL "WHERE pool = ? AND node > ? ORDER BY node LIMIT ?", node_row,
	    db_cursor_text, limit, items, next, "tti", pool, after ? after : "", limit + 1);
}

int
store_node_assign(struct db *db, const char *pool, const char *node, const char *team,
    const char *reason, int64_t now)
{
	/* Every expression of the UPDATE reads the row as it was. */
	return db_run(db, "INSERT INTO nodes (pool, node, team, assigned_at, reason, updated_at) "
	    "VALUES (?1, ?2, ?3, ?5, ?4, ?5) ON CONFLICT (pool, node) DO UPDATE SET "
	    "assigned_at = CASE WHEN team IS excluded.team THEN assigned_at ELSE "
	    "excluded.assigned_at END, team = excluded.team, reason = excluded.reason, "
	    "updated_at = excluded.updated_at", "tttti", pool, node, team, reason, now);
}

int
store_node_seen(struct db *db, const char *pool, const char *node, const char *batch_id,
    int64_t now)
{
	return db_run(db, "INSERT INTO nodes (pool, node, team, assigned_at, reason, updated_at, "
	    "last_seen_at, last_batch) VALUES (?1, ?2, NULL, ?3, 'first seen', ?3, ?3, ?4) "
	    "ON CONFLICT (pool, node) DO UPDATE SET last_seen_at = excluded.last_seen_at, "
	    "last_batch = excluded.last_batch", "ttit", pool, node, now, batch_id);
}
