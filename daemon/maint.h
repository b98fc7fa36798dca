/* maint.h: the database's files: the lock, creation, the watch, backup and restore. */
#ifndef GRANTD_MAINT_H
#define GRANTD_MAINT_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct db;

/*
 * None of these prints: a failure is a one-line message in err (which may
 * name two paths: MAINT_ERRBUF bytes hold any), for the caller to say.
 */
#define MAINT_ERRBUF 8704

/*
 * A running grantd holds an exclusive flock(2) on "DB.lock" beside its
 * database; restore takes the same lock, so it can never overwrite a
 * database under a running daemon, and two daemons never share one file.
 * Returns the lock's fd, or -1 with the reason in err.
 */
int maint_lock(const char *db_path, const char *who, char *err, size_t errlen);

/* Whether a database is at db_path: a file that is not empty. */
bool maint_db_present(const char *db_path);

/*
 * Takes the lock (as maint_lock) before a writer opens db_path, and makes
 * sure a missing database is not silently created anew.  When db_path is
 * missing or empty but its directory holds anything grantd writes there
 * (the database's -wal, -shm or -journal, the .lock that every start
 * creates and nothing removes, grantd-signing.key or .pub,
 * grantd-checkpoints.jsonl, a file set aside as ".orphan-"), the database
 * was deleted or moved: a new empty one would hide the loss, so this
 * refuses unless init, naming what it found.  Files that are not grantd's
 * (a configuration beside it) do not count.  init asks for a new
 * database: it is refused where one is present, the leftovers SQLite
 * would read into the new file (-wal, -journal) and the old trail's
 * checkpoints are renamed aside (".orphan-SECONDS"), -shm removed, and the
 * signing key kept.  Returns the lock's fd, or -1 with the reason in err.  Either way notes holds what was done on the way
 * (files moved aside, a new database begun), one line each, for the caller
 * to say before err: a failure may come after some files were moved.
 */
#define MAINT_NOTES_LEN (4 * MAINT_ERRBUF)
struct maint_notes {
	char text[MAINT_NOTES_LEN];	/* lines, each ended by '\n' */
	size_t len;
};
int maint_prepare(const char *db_path, bool init, const char *who, struct maint_notes *notes,
    char *err, size_t errlen);

/*
 * Opens the writer connection of the database at path and migrates it.
 * 0 with *out set, or -1 with the reason in err ("PATH: why" when the
 * migration failed).
 */
int maint_open_writer(const char *path, int busy_ms, struct db **out, char *err,
    size_t errlen);

/*
 * The running daemon's check of its database file (db_watch on the
 * writer), on a timer, before every COMMIT and for GET /v1/health: 0, or
 * GD_EIO when the file was deleted, replaced or made unwritable, and then
 * nothing may be committed.  Each change of the verdict is logged once and
 * reported to systemd as STATUS.
 */
int maint_watch(struct app *app);

/*
 * For backup and restore (daemon/cmd_backup.c), the parts that speak
 * SQLite.  maint_backup_copy copies the database at db_path into file, an
 * empty file the caller made (opened without following links, never
 * created here): 0, or -1 with SQLite's reason in err.
 */
int maint_backup_copy(const char *db_path, const char *file, char *err, size_t errlen);

/*
 * A restore source must prove itself before anything is replaced: an
 * intact SQLite file, a schema version this grantd knows, the schema the
 * migrations make and nothing else, an audit chain that verifies, and a
 * ledger whose balances and holds agree with its journal.  0, or a GD_*
 * code with what failed in err.
 */
int maint_verify_source(struct db *src, char *err, size_t errlen);

/* Copies src over dst, page by page: 0, or -1 with SQLite's reason in err. */
int maint_copy(struct db *dst, struct db *src, char *err, size_t errlen);

/*
 * maint_watch for GET /v1/health: a verdict of "all well" younger than
 * MAINT_WATCH_FRESH_MS is reused, so that a probe at thousands of requests
 * a second does not stat the files each time; a degraded one is always
 * judged again, so recovery shows at once.  Changes never use this: each
 * COMMIT is preceded by a full check.
 */
#define MAINT_WATCH_FRESH_MS 100
int maint_watch_recent(struct app *app);

#endif
