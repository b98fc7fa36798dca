/* db_sql.h: statements on a struct db, for the store files (store_*.c) and db.c (db_*.c) only. */
#ifndef GRANTD_DB_SQL_H
#define GRANTD_DB_SQL_H

#include <jansson.h>
#include <sqlite3.h>

#include "db.h"

/*
 * Statements are prepared once, keyed by the address of their SQL text
 * (always a string literal), and kept for the life of the connection.
 * Callers must sqlite3_reset() a statement when done with it (db_done()),
 * so that a reader never pins an old WAL snapshot.
 */

sqlite3 *db_handle(struct db *db);

/*
 * Prepares (cached), binds by fmt as db_bind, steps to completion and
 * resets.  Returns 0, or GD_EEXIST on a UNIQUE/PRIMARY KEY violation,
 * GD_ECONFLICT on another constraint, GD_EIO on anything else (the message
 * is in db_errmsg()).
 */
int db_run(struct db *db, const char *sql, const char *fmt, ...);

/* Runs a one-value query ("SELECT count(*) ..."); -1 on error. */
int64_t db_int(struct db *db, const char *sql, const char *fmt, ...);

/* Returns the cached statement for sql, reset and unbound; NULL on error. */
sqlite3_stmt *db_prep(struct db *db, const char *sql);

/*
 * Binds arguments by a format string: 't' text (const char *, NULL binds
 * NULL), 'i' int64_t, 'n' int64_t bound as NULL when negative.
 */
int db_bind(sqlite3_stmt *st, const char *fmt, ...);

/* Runs sql once without caching (PRAGMA, a migration's script ...). */
int db_exec(struct db *db, const char *sql);

/* Maps an sqlite3 result code to a GD_* code. */
int db_rc(int rc);

/* The result of stepping a one-row query: GD_ENOENT for no row, else db_rc(). */
int db_step_rc(int rc);

/*
 * Runs a one-row query (cached, bound by fmt as db_bind) and builds *out
 * from the row with fn.  0, GD_ENOENT when there is no row, GD_ENOMEM when
 * fn returns NULL, or GD_EIO.
 */
typedef json_t *db_row_fn(sqlite3_stmt *st);
int db_get_json(struct db *db, const char *sql, db_row_fn *fn, json_t **out,
    const char *fmt, ...);

/*
 * The first column of a one-row query as text (NULL reads ""), cut to
 * len - 1 bytes: 0, GD_ENOENT when there is no row, or GD_EIO.
 */
int db_get_text(struct db *db, const char *sql, char *out, size_t len, const char *fmt, ...);

/*
 * One page of a list.  sql (cached, bound by fmt as db_bind) must end in a
 * LIMIT bound to one more than limit: each of the first `limit` rows is
 * built with fn into *items; a row past them means a next page, and *next
 * (malloc'd, else NULL) is then the cursor of the last row shown, as
 * cursor wrote it.  0, GD_ENOMEM, or GD_EIO.
 */
#define DB_CURSOR_LEN 128
typedef void db_cursor_fn(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN]);
int db_page(struct db *db, const char *sql, db_row_fn *fn, db_cursor_fn *cursor,
    int64_t limit, json_t **items, char **next, const char *fmt, ...);

/*
 * A list by text id: sql's ?1 is the cursor ('' for the first page), ?2 the
 * limit plus one (to learn whether a next page exists) and ?3 an optional
 * filter.  Rows are built with row, which may run other statements on db;
 * the cursor of the next page is column 0 of the last row shown.  0,
 * GD_ENOMEM or GD_EIO.
 */
typedef json_t *db_row_db_fn(struct db *db, sqlite3_stmt *st);
int db_list_rows(struct db *db, const char *sql, const char *after, int64_t limit,
    const char *filter, db_row_db_fn *row, json_t **items, char **next);
/* A single row by one text id, built with row: 0, GD_ENOENT, GD_ENOMEM or GD_EIO. */
int db_get_row(struct db *db, const char *sql, const char *id, db_row_db_fn *row,
    json_t **out);

/* A cursor that is the text of column 0 (an id). */
void db_cursor_text(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN]);

/*
 * Steps a bound statement to the end, collecting column 0 as integers into
 * a malloc'd array (NULL when empty), and resets it.  0 or a GD_* code.
 */
int db_ints(sqlite3_stmt *st, int64_t **ids, size_t *n);

/* Resets a statement from db_prep(); safe on NULL. */
void db_done(sqlite3_stmt *st);

/* Column text as a C string ("" for NULL). */
const char *db_text(sqlite3_stmt *st, int col);

#endif
