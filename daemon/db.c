/*
 * db.c: SQLite connections: pragmas, the statement cache, transactions, migrations.
 * The change and rollback hooks are in db_hooks.c, the watch on the files in db_watch.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "db_internal.h"
#include "db_sql.h"
#include "err.h"
#include "migrations.h"
#include "store_orgs.h"
#include "vec.h"

int
db_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return GD_EEXIST;
		return GD_ECONFLICT;
	case SQLITE_NOMEM:
		return GD_ENOMEM;
	default:
		return GD_EIO;
	}
}

int
db_step_rc(int rc)
{
	return rc == SQLITE_DONE ? GD_ENOENT : db_rc(rc);
}

static int
set_pragmas(struct db *db, enum db_mode mode, int busy_ms)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA busy_timeout = %d", busy_ms);
	if (db_exec(db, sql) < 0 || db_exec(db, "PRAGMA foreign_keys = ON") < 0)
		return GD_EIO;
	if (mode == DB_READER)
		return db_exec(db, "PRAGMA query_only = ON");
	/*
	 * WAL lets the reader connection see the last commit while the writer
	 * works; synchronous=FULL makes a returned COMMIT survive power loss,
	 * which is what a 2xx reply promises.
	 */
	if (db_exec(db, "PRAGMA journal_mode = WAL") < 0 ||
	    db_exec(db, "PRAGMA synchronous = FULL") < 0)
		return GD_EIO;
	/*
	 * Every change of a batch runs in a savepoint of its own, and SQLite
	 * keeps a savepoint's undo pages in a statement journal: a temporary
	 * file by default, written with pwrite(2) by every change past 64 KiB,
	 * a quarter of a durable hold's CPU.  In memory it is bounded by the
	 * batch (commit.c), and it is never needed after a crash: a
	 * transaction not committed is simply not in the WAL.
	 */
	return db_exec(db, "PRAGMA temp_store = MEMORY");
}

int
db_open(const char *path, enum db_mode mode, int busy_ms, struct db **out,
    char *err, size_t errlen)
{
	struct db *db;
	struct stat sb;
	int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
	int rc;

	flags |= mode == DB_WRITER ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE :
	    SQLITE_OPEN_READONLY;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return GD_ENOMEM;
	}
	rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open database %s: %s", path,
		    db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		db_close(db);
		return GD_EIO;
	}
	/*
	 * A write-protected file opens read-only without complaint: refuse it
	 * here.  Root opens a file of mode 0444 for writing all the same; the
	 * watch counts it as read-only (db_watch), so it is refused here too.
	 */
	if (mode == DB_WRITER && (sqlite3_db_readonly(db->h, "main") == 1 ||
	    (stat(path, &sb) == 0 && (sb.st_mode & 0222) == 0))) {
		snprintf(err, errlen, "database %s is read-only; grantd needs to write it", path);
		db_close(db);
		return GD_EIO;
	}
	db_hooks_attach(db);
	if (set_pragmas(db, mode, busy_ms) < 0) {
		snprintf(err, errlen, "cannot set up database %s: %s", path,
		    sqlite3_errmsg(db->h));
		db_close(db);
		return GD_EIO;
	}
	*out = db;
	return 0;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->aux_free)
		db->aux_free(db->aux);
	for (int i = 0; i < DB_STMT_SLOTS; i++)
		sqlite3_finalize(db->cache[i].st);
	for (int i = 0; i < DB_SAVEPOINTS; i++)
		for (int k = 0; k < SP_NOPS; k++)
			sqlite3_finalize(db->sp[i].st[k]);
	sqlite3_close(db->h);
	free(db);
}

sqlite3 *
db_handle(struct db *db)
{
	return db->h;
}

const char *
db_errmsg(struct db *db)
{
	return sqlite3_errmsg(db->h);
}

int
db_exec(struct db *db, const char *sql)
{
	return db_rc(sqlite3_exec(db->h, sql, NULL, NULL, NULL));
}

int
db_begin(struct db *db, enum db_begin_mode mode)
{
	return db_run(db, mode == DB_IMMEDIATE ? "BEGIN IMMEDIATE" : "BEGIN", NULL);
}

int
db_commit(struct db *db)
{
	return db_run(db, "COMMIT", NULL);
}

int
db_rollback(struct db *db)
{
	return db_run(db, "ROLLBACK", NULL);
}

bool
db_in_transaction(struct db *db)
{
	return sqlite3_get_autocommit(db->h) == 0;
}

/* Runs one savepoint statement, cached by the savepoint's name. */
static int
sp_run(struct db *db, const char *name, enum sp_op op)
{
	static const char *const verb[SP_NOPS] = { "SAVEPOINT", "RELEASE", "ROLLBACK TO" };
	char sql[sizeof(db->sp[0].name) + 16];
	sqlite3_stmt **st = NULL;
	int rc;

	if (strlen(name) > DB_SAVEPOINT_NAME)
		return GD_EINVAL;
	for (int i = 0; i < DB_SAVEPOINTS && st == NULL; i++) {
		if (db->sp[i].name[0] == '\0')
			memcpy(db->sp[i].name, name, strlen(name) + 1);
		if (strcmp(db->sp[i].name, name) == 0)
			st = &db->sp[i].st[op];
	}
	if (st == NULL)
		return GD_EINVAL;	/* more names than DB_SAVEPOINTS: a programming error */
	if (*st == NULL) {
		snprintf(sql, sizeof(sql), "%s %s", verb[op], name);
		if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
		    SQLITE_OK)
			return db_rc(sqlite3_extended_errcode(db->h));
	}
	/* SQLite's rollback hook does not see ROLLBACK TO: counted here, tried or not. */
	if (op == SP_ROLLBACK_TO)
		db->undos++;
	while ((rc = sqlite3_step(*st)) == SQLITE_ROW)
		;
	rc = rc == SQLITE_DONE ? 0 : db_rc(sqlite3_extended_errcode(db->h));
	sqlite3_reset(*st);
	return rc;
}

void *
db_aux(const struct db *db)
{
	return db->aux;
}

void
db_set_aux(struct db *db, void *aux, void (*aux_free)(void *))
{
	if (db->aux_free && db->aux != aux)
		db->aux_free(db->aux);
	db->aux = aux;
	db->aux_free = aux_free;
}

int
db_savepoint(struct db *db, const char *name)
{
	return sp_run(db, name, SP_BEGIN);
}

int
db_release(struct db *db, const char *name)
{
	return sp_run(db, name, SP_RELEASE);
}

int
db_rollback_to(struct db *db, const char *name)
{
	return sp_run(db, name, SP_ROLLBACK_TO);
}

int
db_savepoint_end(struct db *db, const char *name, int rc)
{
	if (rc == 0 && (rc = db_release(db, name)) == 0)
		return 0;
	db_rollback_to(db, name);
	db_release(db, name);
	return rc;
}

sqlite3_stmt *
db_prep(struct db *db, const char *sql)
{
	size_t i = ((uintptr_t)sql >> 3) % DB_STMT_SLOTS;

	for (size_t n = 0; n < DB_STMT_SLOTS; n++, i = (i + 1) % DB_STMT_SLOTS) {
		if (db->cache[i].sql == sql) {
			sqlite3_reset(db->cache[i].st);
			sqlite3_clear_bindings(db->cache[i].st);
			return db->cache[i].st;
		}
		if (db->cache[i].sql == NULL) {
			if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
			    &db->cache[i].st, NULL) != SQLITE_OK)
				return NULL;
			db->cache[i].sql = sql;
			return db->cache[i].st;
		}
	}
	return NULL;
}

static int
bind_va(sqlite3_stmt *st, const char *fmt, va_list ap)
{
	const char *s;
	int rc = SQLITE_OK;

	for (int i = 1; fmt && *fmt && rc == SQLITE_OK; fmt++, i++) {
		switch (*fmt) {
		case 't':
			s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) :
			    sqlite3_bind_null(st, i);
			break;
		case 'i':
			rc = sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'n':	/* int64_t, NULL when negative ("not set") */
			{
				int64_t v = va_arg(ap, int64_t);

				rc = v < 0 ? sqlite3_bind_null(st, i) :
				    sqlite3_bind_int64(st, i, v);
			}
			break;
		default:
			return GD_EINVAL;
		}
	}
	return rc == SQLITE_OK ? 0 : db_rc(rc);
}

int
db_bind(sqlite3_stmt *st, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bind_va(st, fmt, ap);
	va_end(ap);
	return rc;
}

int
db_run(struct db *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = db_prep(db, sql);
	va_list ap;
	int rc;

	if (st == NULL)
		return GD_EIO;
	va_start(ap, fmt);
	rc = bind_va(st, fmt, ap);
	va_end(ap);
	if (rc == 0) {
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			;
		rc = rc == SQLITE_DONE ? 0 : db_rc(sqlite3_extended_errcode(db->h));
	}
	sqlite3_reset(st);
	return rc;
}

int
db_get_json(struct db *db, const char *sql, db_row_fn *fn, json_t **out, const char *fmt, ...)
{
	sqlite3_stmt *st = db_prep(db, sql);
	va_list ap;
	int rc;

	if (st == NULL)
		return GD_EIO;
	va_start(ap, fmt);
	rc = bind_va(st, fmt, ap);
	va_end(ap);
	if (rc == 0) {
		int step = sqlite3_step(st);

		if (step == SQLITE_ROW) {
			*out = fn(st);
			rc = *out ? 0 : GD_ENOMEM;
		} else {
			rc = db_step_rc(step);
		}
	}
	sqlite3_reset(st);
	return rc;
}

int
db_get_text(struct db *db, const char *sql, char *out, size_t len, const char *fmt, ...)
{
	sqlite3_stmt *st = db_prep(db, sql);
	va_list ap;
	int rc;

	if (st == NULL)
		return GD_EIO;
	va_start(ap, fmt);
	rc = bind_va(st, fmt, ap);
	va_end(ap);
	if (rc == 0) {
		int step = sqlite3_step(st);

		if (step == SQLITE_ROW) {
			snprintf(out, len, "%s", db_text(st, 0));
			rc = 0;
		} else {
			rc = db_step_rc(step);
		}
	}
	sqlite3_reset(st);
	return rc;
}

int
db_page(struct db *db, const char *sql, db_row_fn *fn, db_cursor_fn *cursor, int64_t limit,
    json_t **items, char **next, const char *fmt, ...)
{
	sqlite3_stmt *st = db_prep(db, sql);
	char last[DB_CURSOR_LEN] = "", *cur = NULL;
	json_t *arr, *o;
	int64_t n = 0;
	va_list ap;
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((arr = json_array()) == NULL)
		return GD_ENOMEM;
	va_start(ap, fmt);
	rc = bind_va(st, fmt, ap);
	va_end(ap);
	if (rc != 0) {
		json_decref(arr);
		sqlite3_reset(st);
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* A row past the limit means a next page, which starts after `last`. */
		if (n++ == limit) {
			if ((cur = strdup(last)) == NULL)
				rc = SQLITE_NOMEM;
			break;
		}
		if ((o = fn(st)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		cursor(st, last);
		json_array_append_new(arr, o);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(arr);
		free(cur);
		return db_rc(rc);
	}
	*items = arr;
	*next = cur;
	return 0;
}

/*
 * Runs a list query whose ?1 is the cursor ('' for the first page), ?2 the
 * limit plus one (to learn whether a next page exists) and ?3 an optional
 * filter.  The cursor of the next page is column 0 of the last row shown.
 */
int
db_list_rows(struct db *db, const char *sql, const char *after, int64_t limit,
    const char *filter, db_row_db_fn *row, json_t **items, char **next)
{
	sqlite3_stmt *st = db_prep(db, sql);
	char last[256] = "";
	json_t *arr, *o;
	char *cur = NULL;
	int64_t n = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((arr = json_array()) == NULL)
		return GD_ENOMEM;
	db_bind(st, "tit", after ? after : "", limit + 1, filter);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* A row past the limit means a next page, which starts after `last`. */
		if (n++ == limit) {
			if ((cur = strdup(last)) == NULL)
				rc = SQLITE_NOMEM;
			break;
		}
		if ((o = row(db, st)) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		snprintf(last, sizeof(last), "%s", db_text(st, 0));
		json_array_append_new(arr, o);
	}
	db_done(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		json_decref(arr);
		free(cur);
		return db_rc(rc);
	}
	*items = arr;
	*next = cur;
	return 0;
}

/* Runs a single-row query bound to one id and builds its JSON. */
int
db_get_row(struct db *db, const char *sql, const char *id, db_row_db_fn *row, json_t **out)
{
	sqlite3_stmt *st = db_prep(db, sql);
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = row(db, st);
		rc = *out ? 0 : GD_ENOMEM;
	} else {
		rc = rc == SQLITE_DONE ? GD_ENOENT : db_rc(rc);
	}
	db_done(st);
	return rc;
}

void
db_cursor_text(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	snprintf(cursor, DB_CURSOR_LEN, "%s", db_text(st, 0));
}

int64_t
db_int(struct db *db, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = db_prep(db, sql);
	int64_t v = -1;
	va_list ap;
	int rc;

	if (st == NULL)
		return -1;
	va_start(ap, fmt);
	rc = bind_va(st, fmt, ap);
	va_end(ap);
	if (rc == 0 && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

int
db_ints(sqlite3_stmt *st, int64_t **ids, size_t *n)
{
	int64_t *v = NULL, one;
	size_t cnt = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		one = sqlite3_column_int64(st, 0);
		if (vec_push(&v, &cnt, &cap, &one, sizeof(one)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_rc(rc);
	}
	*ids = v;
	*n = cnt;
	return 0;
}

void
db_done(sqlite3_stmt *st)
{
	if (st != NULL)
		sqlite3_reset(st);
}

const char *
db_text(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? (const char *)s : "";
}

int
db_schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = -1;

	if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Steps of a migration that SQL cannot take alone (a name's key needs
 * libutf8proc): each runs after its version's script, in its transaction.
 */
static const struct {
	int version;
	int (*fn)(struct db *db, char *err, size_t errlen);
} migration_steps[] = {
	{ 12, store_orgs_migrate },
};

static int
migration_step(struct db *db, int version, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(migration_steps) / sizeof(migration_steps[0]); i++)
		if (migration_steps[i].version == version)
			return migration_steps[i].fn(db, err, errlen);
	return 0;
}

/*
 * Each migration runs in its own transaction together with the bump of
 * user_version, so a crash leaves the database at a version boundary.
 */
int
db_migrate(struct db *db, char *err, size_t errlen)
{
	int have = db_schema_version(db);
	int latest = migrations_count ? migrations[migrations_count - 1].version : 0;
	char sql[64];

	if (have < 0) {
		snprintf(err, errlen, "cannot read schema version: %s", db_errmsg(db));
		return GD_EIO;
	}
	if (have > latest) {
		snprintf(err, errlen, "database schema version %d is newer than this "
		    "grantd understands (%d); run a newer grantd or restore a backup",
		    have, latest);
		return GD_ESTATE;
	}
	for (int i = 0; i < migrations_count; i++) {
		if (migrations[i].version <= have)
			continue;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", migrations[i].version);
		if (db_begin(db, DB_IMMEDIATE) < 0) {
			snprintf(err, errlen, "migration %s: %s", migrations[i].name, db_errmsg(db));
			return GD_EIO;
		}
		if (db_exec(db, migrations[i].sql) < 0 || db_exec(db, sql) < 0) {
			snprintf(err, errlen, "migration %s failed: %s", migrations[i].name,
			    db_errmsg(db));
			db_rollback(db);
			return GD_EIO;
		}
		if (migration_step(db, migrations[i].version, err, errlen) < 0) {
			db_rollback(db);
			return GD_EIO;
		}
		if (db_commit(db) < 0) {
			snprintf(err, errlen, "migration %s: commit failed: %s",
			    migrations[i].name, db_errmsg(db));
			db_rollback(db);
			return GD_EIO;
		}
	}
	return 0;
}
