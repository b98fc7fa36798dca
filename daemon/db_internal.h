/*
 * db_internal.h: struct db, shared by db.c (connections, statements,
 * transactions), db_hooks.c (its hooks) and db_watch.c (the watch on its
 * files); nothing else includes it.
 */
#ifndef GRANTD_DB_INTERNAL_H
#define GRANTD_DB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "db_sql.h"

/*
 * Open addressing on the SQL text's address.  512 slots is several times
 * the number of distinct statements grantd has, so probes stay short; a
 * full table is a programming error and reported as such.
 */
#define DB_STMT_SLOTS 512

/* What db_watch_arm() saw; `reason` is empty while the files are the ones armed. */
struct db_watch {
	bool armed;
	char path[4096];
	dev_t dev, wal_dev;
	ino_t ino, wal_ino;
	char reason[4096 + 128];
	int64_t checked_ms;	/* CLOCK_MONOTONIC of the last verdict */
};

/* A savepoint's three statements, prepared at first use. */
enum sp_op { SP_BEGIN, SP_RELEASE, SP_ROLLBACK_TO, SP_NOPS };

struct db {
	sqlite3 *h;
	struct db_watch watch;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[DB_STMT_SLOTS];
	struct {
		char name[DB_SAVEPOINT_NAME + 1];
		sqlite3_stmt *st[SP_NOPS];
	} sp[DB_SAVEPOINTS];
	uint64_t undos;		/* rollbacks and ROLLBACK TOs so far (db_undos) */
	void *aux;		/* owned through aux_free (db_set_aux) */
	void (*aux_free)(void *);
	db_rowchange_fn *on_row;	/* db_watch_rows */
	db_commit_fn *on_commit;
	void *watch_arg;
};

/* db_hooks.c: sets the hooks every connection has (the rollback count), at open. */
void db_hooks_attach(struct db *db);

#endif
