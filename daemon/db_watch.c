/* db_watch.c: the watch on a writer's files: still the database and -wal it opened, writable. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db_internal.h"
#include "db_sql.h"
#include "err.h"

int
db_watch_arm(struct db *db, char *err, size_t errlen)
{
	struct db_watch *w = &db->watch;
	const char *path = sqlite3_db_filename(db->h, "main");
	char wal[sizeof(w->path) + 8];
	struct stat sb, wb;

	if (path == NULL || path[0] == '\0')
		return 0;	/* in memory or temporary: nothing to watch */
	if (strlen(path) >= sizeof(w->path)) {
		snprintf(err, errlen, "database path too long to watch");
		return GD_EINVAL;
	}
	/*
	 * A read makes SQLite open the -wal (a WAL database's readers need
	 * it), so that it exists to be recorded.
	 */
	if (db_schema_version(db) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, db_errmsg(db));
		return GD_EIO;
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(path, &sb) < 0 || stat(wal, &wb) < 0) {
		snprintf(err, errlen, "cannot watch %s: %s", path, strerror(errno));
		return GD_EIO;
	}
	memcpy(w->path, path, strlen(path) + 1);
	w->dev = sb.st_dev;
	w->ino = sb.st_ino;
	w->wal_dev = wb.st_dev;
	w->wal_ino = wb.st_ino;
	w->reason[0] = '\0';
	w->armed = true;
	return 0;
}

/* Writes into why what is wrong with the armed files; leaves it empty when nothing is. */
static void
watch_verdict(struct db *db, char *why, size_t len)
{
	struct db_watch *w = &db->watch;
	char wal[sizeof(w->path) + 8];
	struct stat sb;
	int moved = 0;

	snprintf(wal, sizeof(wal), "%s-wal", w->path);
	if (stat(w->path, &sb) < 0)
		snprintf(why, len, "database file %s is gone (%s): deleted or moved", w->path,
		    strerror(errno));
	else if (sb.st_dev != w->dev || sb.st_ino != w->ino)
		snprintf(why, len, "database file %s was replaced by another file", w->path);
	else if (sb.st_size == 0)
		snprintf(why, len, "database file %s was emptied", w->path);
	else if ((sb.st_mode & 0222) == 0 || access(w->path, W_OK) < 0)
		snprintf(why, len, "database file %s is not writable", w->path);
	else if (stat(wal, &sb) < 0)
		snprintf(why, len, "write-ahead log %s is gone (%s): deleted or moved", wal,
		    strerror(errno));
	else if (sb.st_dev != w->wal_dev || sb.st_ino != w->wal_ino)
		snprintf(why, len, "write-ahead log %s was replaced by another file", wal);
	/* SQLite's own view, by the file it opened (resolved symbolic links included). */
	else if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_HAS_MOVED, &moved) ==
	    SQLITE_OK && moved)
		snprintf(why, len, "database file %s is no longer the file grantd opened",
		    w->path);
	else
		why[0] = '\0';
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
db_watch_age_ms(const struct db *db)
{
	return db->watch.armed ? monotonic_ms() - db->watch.checked_ms : 0;
}

int
db_watch(struct db *db, bool *changed)
{
	struct db_watch *w = &db->watch;
	char why[sizeof(w->reason)];

	if (!w->armed) {
		if (changed)
			*changed = false;
		return 0;
	}
	watch_verdict(db, why, sizeof(why));
	w->checked_ms = monotonic_ms();
	if (changed)
		*changed = strcmp(why, w->reason) != 0;
	memcpy(w->reason, why, strlen(why) + 1);
	return why[0] ? GD_EIO : 0;
}

const char *
db_watch_reason(const struct db *db)
{
	return db->watch.armed && db->watch.reason[0] ? db->watch.reason : NULL;
}
