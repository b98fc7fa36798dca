/* db.h: one SQLite connection with its cached statements and migrations. */
#ifndef GRANTD_DB_H
#define GRANTD_DB_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A struct db owns one sqlite3 connection and every statement prepared on
 * it.  Statements are prepared once, keyed by the address of their SQL text
 * (always a string literal), and kept for the life of the connection.
 *
 * Callers must sqlite3_reset() a statement when done with it (db_done()),
 * so that a reader never pins an old WAL snapshot.
 */
struct db;

enum db_mode {
	DB_WRITER,	/* creates and migrates the file; the only writer */
	DB_READER,	/* read-only, sees the last committed state */
};

int db_open(const char *path, enum db_mode mode, int busy_ms, struct db **out,
    char *err, size_t errlen);
void db_close(struct db *db);
sqlite3 *db_handle(struct db *db);
const char *db_errmsg(struct db *db);

/* Applies schema migrations; refuses a database newer than this binary. */
int db_migrate(struct db *db, char *err, size_t errlen);
int db_schema_version(struct db *db);

/* Returns the cached statement for sql, reset and unbound; NULL on error. */
sqlite3_stmt *db_prep(struct db *db, const char *sql);

/*
 * Binds arguments by a format string: 't' text (const char *, NULL binds
 * NULL), 'i' int64_t, 'n' int64_t bound as NULL when negative.
 */
int db_bind(sqlite3_stmt *st, const char *fmt, ...);

/*
 * Prepares (cached), binds, steps to completion and resets.  Returns 0, or
 * GD_EEXIST on a UNIQUE/PRIMARY KEY violation, GD_ECONFLICT on another
 * constraint, GD_EIO on anything else (the message is in db_errmsg()).
 */
int db_run(struct db *db, const char *sql, const char *fmt, ...);

/* Runs sql once without caching (PRAGMA, a migration's script ...). */
int db_exec(struct db *db, const char *sql);

/*
 * Transactions and savepoints: the one way grantd opens and ends them.
 * Their statements are cached like any other, as the writer runs them per
 * request.  Each returns 0 or a GD_* code (the message in db_errmsg()).
 */
enum db_begin_mode {
	DB_DEFERRED,	/* BEGIN: a read snapshot, upgraded at the first write */
	DB_IMMEDIATE,	/* BEGIN IMMEDIATE: takes the write lock now */
};
int db_begin(struct db *db, enum db_begin_mode mode);
int db_commit(struct db *db);
int db_rollback(struct db *db);
/* Whether a transaction is open (false too when SQLite rolled it back by itself). */
bool db_in_transaction(struct db *db);

/*
 * A savepoint inside the open transaction (or one of its own).  name is an
 * SQL identifier the code chooses, never input: at most DB_SAVEPOINT_NAME
 * characters, and at most DB_SAVEPOINTS different names per connection.
 * db_rollback_to undoes everything since the savepoint and leaves it open:
 * a db_release must still end it.
 */
#define DB_SAVEPOINT_NAME 31
#define DB_SAVEPOINTS 16
int db_savepoint(struct db *db, const char *name);
int db_release(struct db *db, const char *name);
int db_rollback_to(struct db *db, const char *name);

/*
 * Ends a savepoint by the outcome rc of the work done in it: kept (RELEASE)
 * when rc is 0, else undone and released.  A RELEASE that fails undoes it
 * too.  Returns 0 when the work was kept, else rc or the RELEASE's error.
 */
int db_savepoint_end(struct db *db, const char *name, int rc);

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

/* Runs a one-value query ("SELECT count(*) ..."); -1 on error. */
int64_t db_int(struct db *db, const char *sql, const char *fmt, ...);

/*
 * The watch on a writer's files.  A database deleted, moved or replaced
 * under a running daemon keeps working through the open file, so commits
 * would succeed on a file nobody will ever open again.  db_watch_arm()
 * records the device and inode of the database and of its -wal, under the
 * full path SQLite opened; db_watch() then says whether that path still
 * names the same files, not empty, and whether the database may still be
 * written (a file with no write permission bit counts as read-only, for
 * root too).  The verdict is re-made at every call: a file that comes back
 * (renamed back, permissions restored) is accepted again.
 *
 * db_watch returns 0 while all is well (and on a connection never armed),
 * GD_EIO otherwise; the reason is kept for db_watch_reason() (NULL while
 * all is well).  *changed tells whether this call changed the verdict or
 * its reason, so that the caller logs each change once.
 */
int db_watch_arm(struct db *db, char *err, size_t errlen);
int db_watch(struct db *db, bool *changed);
const char *db_watch_reason(const struct db *db);

#endif
