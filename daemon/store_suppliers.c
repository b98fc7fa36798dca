/* store_suppliers.c: SQL for suppliers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_suppliers.h"

#define SUPPLIER_SQL "SELECT s.id, s.name, s.org, s.created_at, a.name, s.organisation " \
	"FROM suppliers s " \
	"LEFT JOIN ledger_accounts a ON a.supplier = s.id "

static json_t *
supplier_row(sqlite3_stmt *st)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "id", db_text(st, 0), "name",
	    db_text(st, 1), "org", db_text(st, 2), "organisation", db_text(st, 5), "created_at",
	    jv_instant(sqlite3_column_int64(st, 3)), "account", db_text(st, 4));
}

int
store_supplier_insert(struct db *db, const struct supplier_in *s, int64_t now)
{
	return db_run(db, "INSERT INTO suppliers (id, name, org, organisation, created_at) "
	    "VALUES (?, ?, ?, ?, ?)", "tttti", s->id, s->name, s->org, s->organisation, now);
}

int
store_supplier_get(struct db *db, const char *id, json_t **out)
{
	sqlite3_stmt *st = db_prep(db, SUPPLIER_SQL "WHERE s.id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = supplier_row(st);
		rc = *out ? 0 : GD_ENOMEM;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_supplier_org(struct db *db, const char *id, char org[NAME_MAX_LEN + 1])
{
	return db_get_text(db, "SELECT org FROM suppliers WHERE id = ?", org, NAME_MAX_LEN + 1,
	    "t", id);
}

int
store_supplier_organisation(struct db *db, const char *id, char org[ID_MAX + 1])
{
	return db_get_text(db, "SELECT organisation FROM suppliers WHERE id = ?", org,
	    ID_MAX + 1, "t", id);
}

int
store_supplier_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next)
{
	return db_page(db, SUPPLIER_SQL "WHERE s.id > ? ORDER BY s.id LIMIT ?", supplier_row,
	    db_cursor_text, limit, items, next, "ti", after ? after : "", limit + 1);
}
