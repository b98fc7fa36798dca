/* store_backup.h: whole-database copies and the checks of a file before it is restored. */
#ifndef GRANTD_STORE_BACKUP_H
#define GRANTD_STORE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>

struct db;

/*
 * Whole-file copies and checks, for backup and restore.  store_backup_file
 * copies the database at src_path into file (which exists; links are not
 * followed) with SQLite's online backup, in steps that let a running
 * writer commit between them; store_backup_copy does the same between two
 * open connections.  Both: 0, or -1 with SQLite's message in err.
 */
int store_backup_file(const char *src_path, const char *file, char *err, size_t errlen);
int store_backup_copy(struct db *dst, struct db *src, char *err, size_t errlen);

/* Nothing a file defines (views, triggers, defaults) may call risky functions. */
void store_distrust_schema(struct db *db);
/* Whether PRAGMA integrity_check says "ok". */
bool store_intact(struct db *db);
/*
 * Compares db's schema, object by object, with the one migrations 1..ver
 * make in a fresh in-memory database.  0 when they are the same.  When the
 * reference cannot be made (a migration this binary lacks, out of memory),
 * *made is false and err says why; otherwise GD_ECONFLICT (the difference)
 * or GD_EIO (db unreadable), described in err.
 */
int store_schema_compare(struct db *db, int ver, bool *made, char *err, size_t errlen);
/* Whether db has a table of this name: 1, 0, or GD_EIO. */
int store_has_table(struct db *db, const char *name);

#endif
