/* maint.c: the database's files: the lock, creation, the watch, backup and restore. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "maint.h"
#include "migrations.h"
#include "vouchers.h"

int
maint_lock(const char *db_path, const char *who, char *err, size_t errlen)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s.lock", db_path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: cannot open %s: %s", who, path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "%s: %s is in use by a running grantd", who, db_path);
		close(fd);
		return -1;
	}
	return fd;
}

bool
maint_db_present(const char *db_path)
{
	struct stat sb;

	return stat(db_path, &sb) == 0 && sb.st_size > 0;
}

/* The files a database leaves beside it, in the order they are reported. */
static const char *const leftovers[] = { ".lock", "-wal", "-journal", "-shm" };

/* One line of notes; one too long for what is left is cut short, still ended. */
static void
note(struct maint_notes *notes, const char *fmt, ...)
{
	size_t room = sizeof(notes->text) - notes->len;
	va_list ap;
	int n;

	if (room < 2)
		return;
	va_start(ap, fmt);
	n = vsnprintf(notes->text + notes->len, room - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	notes->len += (size_t)n < room - 1 ? (size_t)n : room - 2;
	notes->text[notes->len++] = '\n';
	notes->text[notes->len] = '\0';
}

int
maint_prepare(const char *db_path, bool init, const char *who, struct maint_notes *notes,
    char *err, size_t errlen)
{
	char path[4200], found[512] = "", aside[4300];
	bool had_lock;
	size_t n = 0;
	struct stat sb;
	int fd;

	notes->len = 0;
	notes->text[0] = '\0';
	/* The lock file is a leftover only if it was there before this start made it. */
	snprintf(path, sizeof(path), "%s.lock", db_path);
	had_lock = lstat(path, &sb) == 0;
	if ((fd = maint_lock(db_path, who, err, errlen)) < 0)
		return -1;
	if (maint_db_present(db_path)) {
		if (!init)
			return fd;
		snprintf(err, errlen, "%s: --init makes a new database, and %s exists; "
		    "run without --init to use it", who, db_path);
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db_path, leftovers[i]);
		if (i == 0 ? had_lock : lstat(path, &sb) == 0)
			n += (size_t)snprintf(found + n, sizeof(found) - n, "%s%s",
			    n ? ", " : "", leftovers[i]);
		if (n >= sizeof(found))
			n = sizeof(found) - 1;
	}
	if (n == 0)
		return fd;	/* nothing was here: a first start */
	if (!init) {
		snprintf(err, errlen, "%s: database %s is missing, but its %s %s there: "
		    "it was deleted or moved.  Put it back or restore a backup (grantd "
		    "restore --db %s FILE); to start over with an empty database, pass "
		    "--init", who, db_path, found, strchr(found, ',') ? "are" : "is",
		    db_path);
		close(fd);
		return -1;
	}
	/* SQLite would replay an old -wal or -journal into the new file: move them aside. */
	for (size_t i = 1; i < sizeof(leftovers) / sizeof(leftovers[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", db_path, leftovers[i]);
		if (lstat(path, &sb) < 0)
			continue;
		if (strcmp(leftovers[i], "-shm") == 0) {
			if (unlink(path) == 0)
				continue;
			snprintf(err, errlen, "%s: cannot remove %s: %s", who, path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		snprintf(aside, sizeof(aside), "%s.orphan-%lld", path, (long long)time(NULL));
		if (rename(path, aside) < 0) {
			snprintf(err, errlen, "%s: cannot move %s aside: %s", who, path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		note(notes, "%s: moved %s, left by the old database, to %s", who, path, aside);
	}
	note(notes, "%s: creating a new, empty database %s (--init)", who, db_path);
	return fd;
}

int
maint_open_writer(const char *path, int busy_ms, struct db **out, char *err, size_t errlen)
{
	char why[GD_ERRBUF];
	struct db *db;

	if (db_open(path, DB_WRITER, busy_ms, &db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	if (db_migrate(db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		db_close(db);
		return -1;
	}
	*out = db;
	return 0;
}

int
maint_watch(struct app *app)
{
	const char *why;
	bool changed;
	int rc;

	if (app->w == NULL)
		return 0;
	rc = db_watch(app->w, &changed);
	if (!changed)
		return rc;
	if ((why = db_watch_reason(app->w)) != NULL) {
		log_error("%s; every change is refused (503) until it is back", why);
		sd_notifyf(0, "STATUS=degraded: %s", why);
	} else {
		log_notice("the database file is back as it was opened; changes are accepted "
		    "again");
		sd_notify(0, "STATUS=database file back; accepting changes");
	}
	return rc;
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

/*
 * SQLite opens the file without following links and without creating it:
 * the caller made it (see cmd_backup.c).
 */
int
maint_backup_copy(const char *db_path, const char *file, char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc;

	rc = sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_open_v2(file, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
		    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(src, 5000);
		rc = copy_db(dst, src);
	}
	sqlite3_close(src);
	sqlite3_close(dst);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

int
maint_copy(struct db *dst, struct db *src, char *err, size_t errlen)
{
	int rc = copy_db(db_handle(dst), db_handle(src));

	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* Runs a one-row, one-text-column statement on a raw connection; "" when it gives nothing. */
static void
query_text(sqlite3 *h, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/*
 * The schema that migrations 1..ver make, in a new in-memory database.
 * Every version up to ver must be among the migrations built in.
 */
static int
reference_schema(int ver, sqlite3 **out, char *err, size_t errlen)
{
	sqlite3 *ref = NULL;
	int have = 0;

	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot make the reference schema: %s",
		    ref ? sqlite3_errmsg(ref) : "out of memory");
		sqlite3_close(ref);
		return GD_ENOMEM;
	}
	for (int i = 0; i < migrations_count && migrations[i].version <= ver; i++) {
		if (migrations[i].version != have + 1) {
			snprintf(err, errlen, "this grantd lacks migration %d", have + 1);
			sqlite3_close(ref);
			return GD_ESTATE;
		}
		if (sqlite3_exec(ref, migrations[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
			snprintf(err, errlen, "migration %s: %s", migrations[i].name,
			    sqlite3_errmsg(ref));
			sqlite3_close(ref);
			return GD_EIO;
		}
		have = migrations[i].version;
	}
	if (have != ver) {
		snprintf(err, errlen, "this grantd lacks migration %d", have + 1);
		sqlite3_close(ref);
		return GD_ESTATE;
	}
	*out = ref;
	return 0;
}

/*
 * Every table, index, trigger and view of src must be the one the
 * migrations made, word for word, and nothing else may be there: a dropped
 * or rewritten trigger (the audit trail's and the ledger's immutability),
 * a missing index or an extra object is refused.  Names are one namespace
 * in SQLite, so both lists are walked in name order.  sqlite_stat tables
 * (ANALYZE) are statistics, not schema.
 */
static int
compare_schema(sqlite3 *src, sqlite3 *ref, char *err, size_t errlen)
{
	static const char sql[] = "SELECT name, type, tbl_name, coalesce(sql, '') FROM "
	    "sqlite_master WHERE name NOT LIKE 'sqlite\\_stat%' ESCAPE '\\' ORDER BY name";
	sqlite3_stmt *a = NULL, *b = NULL;
	int ra, rb, c, rc = 0;

	if (sqlite3_prepare_v2(src, sql, -1, &a, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ref, sql, -1, &b, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot read the schema: %s", sqlite3_errmsg(a ? ref : src));
		sqlite3_finalize(a);
		return GD_EIO;
	}
	ra = sqlite3_step(a);
	rb = sqlite3_step(b);
	while (rc == 0 && (ra == SQLITE_ROW || rb == SQLITE_ROW)) {
		if (ra != SQLITE_ROW)
			c = 1;
		else if (rb != SQLITE_ROW)
			c = -1;
		else
			c = strcmp(db_text(a, 0), db_text(b, 0));
		if (c > 0) {
			snprintf(err, errlen, "the %s %s is missing", db_text(b, 1), db_text(b, 0));
			rc = GD_ECONFLICT;
		} else if (c < 0) {
			snprintf(err, errlen, "it has a %s %s that grantd's migrations do not make",
			    db_text(a, 1), db_text(a, 0));
			rc = GD_ECONFLICT;
		} else if (strcmp(db_text(a, 1), db_text(b, 1)) != 0 ||
		    strcmp(db_text(a, 2), db_text(b, 2)) != 0 ||
		    strcmp(db_text(a, 3), db_text(b, 3)) != 0) {
			snprintf(err, errlen, "the %s %s differs from the one grantd's migrations "
			    "make", db_text(b, 1), db_text(b, 0));
			rc = GD_ECONFLICT;
		} else {
			ra = sqlite3_step(a);
			rb = sqlite3_step(b);
		}
	}
	if (rc == 0 && (ra != SQLITE_DONE || rb != SQLITE_DONE)) {
		snprintf(err, errlen, "cannot read the schema: %s", sqlite3_errmsg(src));
		rc = GD_EIO;
	}
	sqlite3_finalize(a);
	sqlite3_finalize(b);
	return rc;
}

/* The schema is checked before any of grantd's own queries run on the file. */
int
maint_verify_source(struct db *src, char *err, size_t errlen)
{
	sqlite3 *h = db_handle(src), *ref = NULL;
	char text[64], head[AUDIT_HASH_HEX], why[GD_ERRBUF];
	int64_t n, na, nt;
	int ver, rc;

	/* Nothing the file defines (views, triggers, defaults) may call risky functions. */
	sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	query_text(h, "PRAGMA integrity_check", text, sizeof(text));
	if (strcmp(text, "ok") != 0) {
		snprintf(err, errlen, "it is not an intact SQLite database");
		return GD_EIO;
	}
	ver = db_schema_version(src);
	if (ver < 1 || ver > migrations[migrations_count - 1].version) {
		snprintf(err, errlen, "it has schema version %d; this grantd knows 1..%d", ver,
		    migrations[migrations_count - 1].version);
		return GD_ESTATE;
	}
	if ((rc = reference_schema(ver, &ref, err, errlen)) < 0)
		return rc;
	rc = compare_schema(h, ref, why, sizeof(why));
	sqlite3_close(ref);
	if (rc < 0) {
		snprintf(err, errlen, "its schema is not what migrations 1..%d make: %.180s", ver,
		    why);
		return rc;
	}
	if ((rc = audit_verify(src, &n, head, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "its audit trail is broken: %.200s", why);
		return rc;
	}
	/* The ledger came with migration 3: an older schema has none to verify. */
	if (db_int(src, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	    "name = 'ledger_transfers'", NULL) == 1 &&
	    (rc = vouchers_verify(src, &na, &nt, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "its ledger is broken: %.200s", why);
		return rc;
	}
	return 0;
}
