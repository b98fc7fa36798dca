/* maint.h: offline maintenance: backup, restore, and the database lock. */
#ifndef GRANTD_MAINT_H
#define GRANTD_MAINT_H

/*
 * A running grantd holds an exclusive flock(2) on "DB.lock" beside its
 * database; restore takes the same lock, so it can never overwrite a
 * database under a running daemon, and two daemons never share one file.
 * Returns the lock's fd, or -1 with a message on stderr.
 */
int maint_lock(const char *db_path, const char *who);

/* Subcommands: each returns the process exit status. */
int maint_backup(const char *db_path, const char *file);
int maint_restore(const char *db_path, const char *file);

#endif
