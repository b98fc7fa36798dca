/* cmd_backup.c: `grantd backup` and `grantd restore`: an online copy out, a proven one back. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "keys.h"
#include "maint.h"

/* Whether path still names the inode made. */
static bool
same_file(const char *path, const struct stat *made)
{
	struct stat now;

	return lstat(path, &now) == 0 && now.st_dev == made->st_dev &&
	    now.st_ino == made->st_ino;
}

/*
 * The backup's file is made here, not by SQLite: O_CREAT | O_EXCL refuses
 * an existing file and any symbolic link, dangling ones included (SQLite
 * would follow a link and create its target), and the copy gets mode 0600,
 * for it holds the token hashes and the whole ledger.  SQLite then opens it
 * without following links and without creating (maint_backup_copy), and
 * the inode it wrote is checked to be the one made here.
 */
int
cmd_backup(const char *db_path, const char *file, char *err, size_t errlen)
{
	char why[GD_ERRBUF];
	struct stat made;
	int fd, rc;

	err[0] = '\0';
	if (db_path == NULL) {
		snprintf(err, errlen, "backup needs --db PATH FILE");
		return 2;
	}
	if ((fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0) {
		if (errno == EEXIST)
			snprintf(err, errlen, "backup: %s exists (a file or a symbolic link); "
			    "not writing to it", file);
		else
			snprintf(err, errlen, "backup: cannot create %s: %s", file,
			    strerror(errno));
		return 1;
	}
	rc = fstat(fd, &made);
	/* Closed before SQLite opens it: closing any fd of a file drops SQLite's locks on it. */
	close(fd);
	if (rc < 0) {
		snprintf(err, errlen, "backup: %s: %s", file, strerror(errno));
		unlink(file);
		return 1;
	}
	if (maint_backup_copy(db_path, file, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "backup of %s to %s failed: %s", db_path, file, why);
		/* Only the file made here is removed; one swapped in meanwhile is not ours. */
		if (same_file(file, &made))
			unlink(file);
		return 1;
	}
	if (!same_file(file, &made)) {
		/* Someone swapped the file while it was written: that one is not ours to remove. */
		snprintf(err, errlen, "backup: %s was replaced while it was written", file);
		return 1;
	}
	return 0;
}

/*
 * A restore takes the trail back to the backup's end, on purpose: the
 * checkpoints published since would call it cut short.  They are moved
 * aside, kept (FILE.before-restore-SECONDS), not deleted, and err says so
 * for the operator; the daemon starts a new file on its next start.
 */
static void
set_checkpoints_aside(const char *db_path, char *note, size_t notelen)
{
	struct key_paths p;
	char aside[KEYS_PATH_MAX + 64];

	keys_paths(db_path, &p);
	snprintf(aside, sizeof(aside), "%s.before-restore-%lld", p.checkpoints,
	    (long long)time(NULL));
	if (rename(p.checkpoints, aside) == 0)
		snprintf(note, notelen, "the checkpoints published before the restore are kept "
		    "in %s", aside);
}

int
cmd_restore(const char *db_path, const char *file, char *err, size_t errlen)
{
	struct db *src = NULL, *dst = NULL;
	char why[GD_ERRBUF];
	int lock, rc;

	err[0] = '\0';
	if (db_path == NULL) {
		snprintf(err, errlen, "restore needs --db PATH FILE");
		return 2;
	}
	if ((lock = maint_lock(db_path, "restore", err, errlen)) < 0)
		return 1;
	if (db_open(file, DB_READER, 5000, &src, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "restore: %s", why);
		close(lock);
		return 1;
	}
	/* Proven first: the database at db_path is not touched by a backup that fails. */
	if (maint_verify_source(src, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "restore: %s refused, nothing was changed: %s", file, why);
		db_close(src);
		close(lock);
		return 1;
	}
	if (db_open(db_path, DB_WRITER, 5000, &dst, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "restore: %s", why);
		db_close(src);
		close(lock);
		return 1;
	}
	rc = maint_copy(dst, src, why, sizeof(why));
	db_close(src);
	if (rc < 0)
		snprintf(err, errlen, "restore into %s failed: %s", db_path, why);
	else if ((rc = db_migrate(dst, why, sizeof(why))) < 0)
		snprintf(err, errlen, "restore: %s", why);
	db_close(dst);
	if (rc == 0)
		set_checkpoints_aside(db_path, err, errlen);
	close(lock);
	return rc < 0 ? 1 : 0;
}
