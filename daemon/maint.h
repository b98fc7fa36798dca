/* maint.h: the database's files: the lock, creation, the watch, backup and restore. */
#ifndef GRANTD_MAINT_H
#define GRANTD_MAINT_H

#include <stdbool.h>

struct app;

/*
 * A running grantd holds an exclusive flock(2) on "DB.lock" beside its
 * database; restore takes the same lock, so it can never overwrite a
 * database under a running daemon, and two daemons never share one file.
 * Returns the lock's fd, or -1 with a message on stderr.
 */
int maint_lock(const char *db_path, const char *who);

/* Whether a database is at db_path: a file that is not empty. */
bool maint_db_present(const char *db_path);

/*
 * Takes the lock (as maint_lock) before a writer opens db_path, and makes
 * sure a missing database is not silently created anew.  When db_path is
 * missing or empty but the files a database leaves beside it are there
 * (its -wal, -shm or -journal, or the .lock that every start creates and
 * nothing removes), the database was deleted or moved: a new empty one
 * would hide the loss, so this refuses unless init.  init asks for a new
 * database: it is refused where one is present, and the leftovers SQLite
 * would read into the new file (-wal, -journal) are renamed aside
 * (".orphan-SECONDS") and -shm removed.  Returns the lock's fd, or -1 with
 * a message on stderr.
 */
int maint_prepare(const char *db_path, bool init, const char *who);

/*
 * The running daemon's check of its database file (db_watch on the
 * writer), on a timer, before every COMMIT and for GET /v1/health: 0, or
 * GD_EIO when the file was deleted, replaced or made unwritable, and then
 * nothing may be committed.  Each change of the verdict is logged once and
 * reported to systemd as STATUS.
 */
int maint_watch(struct app *app);

/* Subcommands: each returns the process exit status. */
int maint_backup(const char *db_path, const char *file);
int maint_restore(const char *db_path, const char *file);

#endif
