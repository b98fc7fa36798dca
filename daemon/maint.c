/* maint.c: the database's files: the lock, creation, the watch, backup and restore. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
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
#include "keys.h"
#include "log.h"
#include "maint.h"
#include "store_orgs.h"
#include "migrations.h"
#include "store_backup.h"
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

/*
 * The files grantd writes beside a database whatever it is called (keys.c,
 * checkpoints.c), matched as a name's start so that their temporary and
 * set-aside copies (".new", ".before-restore-SECONDS") count too.
 */
static const char *const beside[] = { "grantd-signing.key", "grantd-signing.pub",
	"grantd-checkpoints.jsonl" };

/*
 * Whether name, an entry of the database's directory, is a file grantd
 * wrote there for a database: one of the database's own (base + a suffix
 * of leftovers[]: lock included only when made before this start), one of
 * beside[], or anything grantd set aside (".orphan-").  Other files (a
 * configuration, a test's clock) say nothing of a database.
 */
static bool
left_by_grantd(const char *name, const char *base, bool had_lock)
{
	size_t blen = strlen(base);

	if (strncmp(name, base, blen) == 0) {
		for (size_t i = 0; i < sizeof(leftovers) / sizeof(leftovers[0]); i++)
			if (strcmp(name + blen, leftovers[i]) == 0)
				return i > 0 || had_lock;
	}
	for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++)
		if (strncmp(name, beside[i], strlen(beside[i])) == 0)
			return true;
	return strstr(name, ".orphan-") != NULL;
}

/*
 * The names in the database's directory that grantd wrote there, as a list
 * for a message ("a, b and 3 more"): 0 with *count (0: none), or -1 with
 * the reason in err when the directory cannot be read.
 */
static int
scan_beside(const char *db_path, bool had_lock, char *found, size_t foundlen, size_t *count,
    const char *who, char *err, size_t errlen)
{
	char dir[4200], base[4200];
	const char *slash = strrchr(db_path, '/');
	struct dirent *e;
	size_t n = 0, listed = 0, len = 0;
	DIR *d;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		snprintf(base, sizeof(base), "%s", db_path);
	} else {
		snprintf(dir, sizeof(dir), "%.*s", slash == db_path ? 1 : (int)(slash - db_path),
		    db_path);
		snprintf(base, sizeof(base), "%s", slash + 1);
	}
	found[0] = '\0';
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT) {
			*count = 0;	/* a directory not made yet: SQLite's open says so */
			return 0;
		}
		snprintf(err, errlen, "%s: cannot read %s to see what an earlier database left "
		    "there: %s", who, dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (!left_by_grantd(e->d_name, base, had_lock))
			continue;
		/* Room kept for " and N more". */
		if (listed == n && len + strlen(e->d_name) + 2 < foundlen - 32) {
			len += (size_t)snprintf(found + len, foundlen - len, "%s%s",
			    n ? ", " : "", e->d_name);
			listed++;
		}
		n++;
	}
	closedir(d);
	if (n > listed)
		snprintf(found + len, foundlen - len, " and %zu more", n - listed);
	*count = n;
	return 0;
}

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

/* Renames path to "PATH.orphan-SECONDS" (its name in aside): 0, or -1 with err. */
static int
set_aside(const char *path, char *aside, size_t asidelen, const char *who, char *err,
    size_t errlen)
{
	snprintf(aside, asidelen, "%s.orphan-%lld", path, (long long)time(NULL));
	if (rename(path, aside) == 0)
		return 0;
	snprintf(err, errlen, "%s: cannot move %s aside: %s", who, path, strerror(errno));
	return -1;
}

int
maint_prepare(const char *db_path, bool init, const char *who, struct maint_notes *notes,
    char *err, size_t errlen)
{
	char path[4200], found[512], aside[4300];
	struct key_paths kp;
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
	/*
	 * No database: a first start only where grantd has written nothing
	 * beside it yet.  Its lock or log files, the signing key, the published
	 * checkpoints, a file set aside: a database was here, and a new empty
	 * one would hide its loss.
	 */
	if (scan_beside(db_path, had_lock, found, sizeof(found), &n, who, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	if (n == 0)
		return fd;	/* nothing of grantd's was here: a first start */
	if (!init) {
		snprintf(err, errlen, "%s: database %s is missing, but grantd's files from an "
		    "earlier database are beside it (%s): it was deleted or moved.  Put it "
		    "back or restore a backup (grantd restore --db %s FILE); to start over "
		    "with an empty database, pass --init (the signing key is kept)", who,
		    db_path, found, db_path);
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
		if (set_aside(path, aside, sizeof(aside), who, err, errlen) < 0) {
			close(fd);
			return -1;
		}
		note(notes, "%s: moved %s, left by the old database, to %s", who, path, aside);
	}
	/*
	 * The old trail's checkpoints would contradict the new one's (as after
	 * a restore, cmd_backup.c): kept aside, and the new trail starts a new
	 * file.  The signing key stays: its public half may have been handed out.
	 */
	keys_paths(db_path, &kp);
	if (lstat(kp.checkpoints, &sb) == 0) {
		if (set_aside(kp.checkpoints, aside, sizeof(aside), who, err, errlen) < 0) {
			close(fd);
			return -1;
		}
		note(notes, "%s: moved %s, the old database's checkpoints, to %s", who,
		    kp.checkpoints, aside);
	}
	note(notes, "%s: creating a new, empty database %s (--init)", who, db_path);
	return fd;
}

static void
log_note(const char *note, void *arg)
{
	(void)arg;
	log_info("migration 012_organisations: %s", note);
}

int
maint_open_writer(const char *path, int busy_ms, struct db **out, char *err, size_t errlen)
{
	char why[GD_ERRBUF];
	struct db *db;
	int before;

	if (db_open(path, DB_WRITER, busy_ms, &db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	before = db_schema_version(db);
	if (db_migrate(db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		db_close(db);
		return -1;
	}
	/* What migration 12 made of the names it found, for whoever reads the log. */
	if (before >= 0 && before < 12 && db_schema_version(db) >= 12)
		store_migration_notes(db, 12, log_note, NULL);
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

int
maint_watch_recent(struct app *app)
{
	if (app->w != NULL && db_watch_reason(app->w) == NULL &&
	    db_watch_age_ms(app->w) < MAINT_WATCH_FRESH_MS)
		return 0;
	return maint_watch(app);
}

/*
 * SQLite opens the file without following links and without creating it:
 * the caller made it (see cmd_backup.c).
 */
int
maint_backup_copy(const char *db_path, const char *file, char *err, size_t errlen)
{
	return store_backup_file(db_path, file, err, errlen);
}

int
maint_copy(struct db *dst, struct db *src, char *err, size_t errlen)
{
	return store_backup_copy(dst, src, err, errlen);
}

/* The schema is checked before any of grantd's own queries run on the file. */
int
maint_verify_source(struct db *src, char *err, size_t errlen)
{
	char head[AUDIT_HASH_HEX], why[GD_ERRBUF];
	int64_t n, na, nt;
	int ver, rc;
	bool made;

	/* Nothing the file defines (views, triggers, defaults) may call risky functions. */
	store_distrust_schema(src);
	if (!store_intact(src)) {
		snprintf(err, errlen, "it is not an intact SQLite database");
		return GD_EIO;
	}
	ver = db_schema_version(src);
	if (ver < 1 || ver > migrations[migrations_count - 1].version) {
		snprintf(err, errlen, "it has schema version %d; this grantd knows 1..%d", ver,
		    migrations[migrations_count - 1].version);
		return GD_ESTATE;
	}
	if ((rc = store_schema_compare(src, ver, &made, why, sizeof(why))) < 0 && !made) {
		snprintf(err, errlen, "%s", why);
		return rc;
	}
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
	if (store_has_table(src, "ledger_transfers") == 1 &&
	    (rc = vouchers_verify(src, &na, &nt, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "its ledger is broken: %.200s", why);
		return rc;
	}
	return 0;
}
