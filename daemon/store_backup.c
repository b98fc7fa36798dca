/* store_backup.c: whole-database copies (SQLite online backup); checks of a file to restore. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "migrations.h"
#include "store_backup.h"

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

int
store_backup_file(const char *src_path, const char *file, char *err, size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	int rc;

	rc = sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL);
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
store_backup_copy(struct db *dst, struct db *src, char *err, size_t errlen)
{
	int rc = copy_db(db_handle(dst), db_handle(src));

	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

void
store_distrust_schema(struct db *db)
{
	sqlite3_db_config(db_handle(db), SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	sqlite3_db_config(db_handle(db), SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
}

bool
store_intact(struct db *db)
{
	char text[64];

	query_text(db_handle(db), "PRAGMA integrity_check", text, sizeof(text));
	return strcmp(text, "ok") == 0;
}

int
store_schema_compare(struct db *src, int ver, bool *made, char *err, size_t errlen)
{
	sqlite3 *ref = NULL;
	int rc;

	*made = false;
	if ((rc = reference_schema(ver, &ref, err, errlen)) < 0)
		return rc;
	*made = true;
	rc = compare_schema(db_handle(src), ref, err, errlen);
	sqlite3_close(ref);
	return rc;
}

int
store_has_table(struct db *db, const char *name)
{
	int64_t n = db_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
	    "name = ?", "t", name);

	return n < 0 ? GD_EIO : n > 0;
}
