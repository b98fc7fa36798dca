/* db_hooks.c: a connection's change and rollback hooks, for modules that mirror rows in memory. */
#include <string.h>

#include "db_internal.h"
#include "db_sql.h"

/* SQLite's rollback hook: explicit ROLLBACK and the implicit ones after an error. */
static void
count_rollback(void *arg)
{
	((struct db *)arg)->undos++;
}

void
db_hooks_attach(struct db *db)
{
	sqlite3_rollback_hook(db->h, count_rollback, db);
}

uint64_t
db_undos(const struct db *db)
{
	return db->undos;
}

int64_t
db_data_version(struct db *db)
{
	return db_int(db, "PRAGMA data_version", NULL);
}

static void
row_hook(void *arg, int op, const char *dbname, const char *table, sqlite3_int64 rowid)
{
	struct db *db = arg;

	if (strcmp(dbname, "main") == 0)
		db->on_row(db->watch_arg, table, op == SQLITE_INSERT ? DB_ROW_INSERT :
		    op == SQLITE_DELETE ? DB_ROW_DELETE : DB_ROW_UPDATE, rowid);
}

static int
commit_hook(void *arg)
{
	struct db *db = arg;

	db->on_commit(db->watch_arg);
	return 0;	/* never veto the commit */
}

void
db_watch_rows(struct db *db, db_rowchange_fn *row, db_commit_fn *commit, void *arg)
{
	db->on_row = row;
	db->on_commit = commit;
	db->watch_arg = arg;
	sqlite3_update_hook(db->h, row ? row_hook : NULL, row ? db : NULL);
	sqlite3_commit_hook(db->h, commit ? commit_hook : NULL, commit ? db : NULL);
}
