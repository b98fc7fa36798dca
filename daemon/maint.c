/* maint.c: online backup with SQLite's backup API, restore, the database lock. */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "db.h"
#include "err.h"
#include "maint.h"
#include "migrations.h"

int
maint_lock(const char *db_path, const char *who)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s.lock", db_path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "grantd: %s: cannot open %s: %s\n", who, path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		fprintf(stderr, "grantd: %s: %s is in use by a running grantd\n", who, db_path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Copies src into dst page by page; the source stays usable meanwhile. */
static int
copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc;

	if (b == NULL)
		return sqlite3_errcode(dst);
	/*
	 * Steps of 256 pages let the daemon's writer commit between them; a
	 * step that sees the source change restarts the copy, so the result is
	 * one consistent snapshot.
	 */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(5);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
maint_backup(const char *db_path, const char *file)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc;

	if (db_path == NULL) {
		fprintf(stderr, "grantd: backup needs --db PATH FILE\n");
		return 2;
	}
	if (access(file, F_OK) == 0) {
		fprintf(stderr, "grantd: backup: %s exists; not overwriting it\n", file);
		return 1;
	}
	rc = sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(file, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(src, 5000);
		rc = copy_db(dst, src);
	}
	if (rc != SQLITE_OK)
		fprintf(stderr, "grantd: backup of %s to %s failed: %s\n", db_path, file,
		    sqlite3_errstr(rc));
	sqlite3_close(src);
	sqlite3_close(dst);
	if (rc != SQLITE_OK) {
		unlink(file);
		return 1;
	}
	printf("backed up %s to %s\n", db_path, file);
	return 0;
}

/* A restore source must be an intact database of a schema this grantd knows. */
static int
check_source(sqlite3 *src, const char *file)
{
	sqlite3_stmt *st;
	int ok = 0, ver = -1;

	if (sqlite3_prepare_v2(src, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK) {
		ok = sqlite3_step(st) == SQLITE_ROW &&
		    strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
		sqlite3_finalize(st);
	}
	if (!ok) {
		fprintf(stderr, "grantd: restore: %s is not an intact SQLite database\n", file);
		return -1;
	}
	if (sqlite3_prepare_v2(src, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			ver = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (ver < 1 || ver > migrations[migrations_count - 1].version) {
		fprintf(stderr, "grantd: restore: %s has schema version %d; this grantd "
		    "knows 1..%d\n", file, ver, migrations[migrations_count - 1].version);
		return -1;
	}
	return 0;
}

int
maint_restore(const char *db_path, const char *file)
{
	sqlite3 *src = NULL;
	struct db *dst = NULL;
	char err[GD_ERRBUF];
	int lock, rc;

	if (db_path == NULL) {
		fprintf(stderr, "grantd: restore needs --db PATH FILE\n");
		return 2;
	}
	if ((lock = maint_lock(db_path, "restore")) < 0)
		return 1;
	rc = sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK || check_source(src, file) < 0) {
		if (rc != SQLITE_OK)
			fprintf(stderr, "grantd: restore: cannot open %s: %s\n", file,
			    sqlite3_errstr(rc));
		sqlite3_close(src);
		close(lock);
		return 1;
	}
	if (db_open(db_path, DB_WRITER, 5000, &dst, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: restore: %s\n", err);
		sqlite3_close(src);
		close(lock);
		return 1;
	}
	rc = copy_db(db_handle(dst), src);
	sqlite3_close(src);
	if (rc == SQLITE_OK && db_migrate(dst, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: restore: %s\n", err);
		rc = SQLITE_ERROR;
	} else if (rc != SQLITE_OK) {
		fprintf(stderr, "grantd: restore into %s failed: %s\n", db_path, sqlite3_errstr(rc));
	}
	db_close(dst);
	close(lock);
	if (rc != SQLITE_OK)
		return 1;
	printf("restored %s from %s\n", db_path, file);
	return 0;
}
