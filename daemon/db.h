/* db.h: a database connection as the daemon sees it: open, migrate, transactions, the watch. */
#ifndef GRANTD_DB_H
#define GRANTD_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A struct db owns one SQLite connection and every statement prepared on
 * it; it is opaque here, and this header names no SQLite type.  Statements
 * and SQL text belong to the store files, through db_sql.h.
 */
struct db;

enum db_mode {
	DB_WRITER,	/* creates and migrates the file; the only writer */
	DB_READER,	/* read-only, sees the last committed state */
};

int db_open(const char *path, enum db_mode mode, int busy_ms, struct db **out,
    char *err, size_t errlen);
void db_close(struct db *db);
const char *db_errmsg(struct db *db);

/* Applies schema migrations; refuses a database newer than this binary. */
int db_migrate(struct db *db, char *err, size_t errlen);
int db_schema_version(struct db *db);

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
 * How many times changes may have been undone on this connection
 * (ROLLBACK, the implicit rollback after an error, ROLLBACK TO): a module
 * that mirrors rows (db_watch_rows) reads them again when it moved.
 */
uint64_t db_undos(const struct db *db);

/* PRAGMA data_version: changes when another connection commits; < 0 on error. */
int64_t db_data_version(struct db *db);

/*
 * Row changes of rowid tables made on this connection (SQLite's update
 * hook, statements and triggers alike), and the moment before each COMMIT
 * (its commit hook: the commit may still fail, and then the rollback is
 * counted by db_undos).  For a module that mirrors tables in memory
 * (calendar.c).  The callbacks must not use the connection.  NULLs stop it.
 * Not reported by SQLite, so not to be used on mirrored tables: WITHOUT
 * ROWID tables, a DELETE with no WHERE (the truncate optimisation), rows
 * that INSERT OR REPLACE deletes.
 */
enum db_row_op { DB_ROW_INSERT, DB_ROW_UPDATE, DB_ROW_DELETE };
typedef void db_rowchange_fn(void *arg, const char *table, enum db_row_op op, int64_t rowid);
typedef void db_commit_fn(void *arg);
void db_watch_rows(struct db *db, db_rowchange_fn *row, db_commit_fn *commit, void *arg);

/*
 * One object the connection keeps for a module (the kept calendar),
 * freed by aux_free when replaced or at db_close.
 */
void *db_aux(const struct db *db);
void db_set_aux(struct db *db, void *aux, void (*aux_free)(void *));

/*
 * Ends a savepoint by the outcome rc of the work done in it: kept (RELEASE)
 * when rc is 0, else undone and released.  A RELEASE that fails undoes it
 * too.  Returns 0 when the work was kept, else rc or the RELEASE's error.
 */
int db_savepoint_end(struct db *db, const char *name, int rc);

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
/* Milliseconds since db_watch last judged the file (0 on a connection never armed). */
int64_t db_watch_age_ms(const struct db *db);

#endif
