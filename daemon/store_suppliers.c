/* store_suppliers.c: SQL for suppliers and a team's organisations (their related parties). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_suppliers.h"

/* Lead and members: routes_catalog.c accepts at most 200 members, plus the lead. */
#define MAX_TEAM_ORGS 201

#define SUPPLIER_SQL "SELECT s.id, s.name, s.org, s.created_at, a.name FROM suppliers s " \
	"LEFT JOIN ledger_accounts a ON a.supplier = s.id "

static json_t *
supplier_row(sqlite3_stmt *st)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:s}", "id", db_text(st, 0), "name",
	    db_text(st, 1), "org", db_text(st, 2), "created_at",
	    jv_instant(sqlite3_column_int64(st, 3)), "account", db_text(st, 4));
}

int
store_supplier_insert(struct db *db, const struct supplier_in *s, int64_t now)
{
	return db_run(db, "INSERT INTO suppliers (id, name, org, created_at) VALUES (?, ?, ?, ?)",
	    "ttti", s->id, s->name, s->org, now);
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
store_supplier_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next)
{
	return db_page(db, SUPPLIER_SQL "WHERE s.id > ? ORDER BY s.id LIMIT ?", supplier_row,
	    db_cursor_text, limit, items, next, "ti", after ? after : "", limit + 1);
}

int
store_team_orgs(struct db *db, const char *team, char ***orgs, size_t *n)
{
	/* UNION ALL: a repeated name is harmless, and UNION would build a temporary index. */
	sqlite3_stmt *st = db_prep(db, "SELECT lead_org FROM teams WHERE id = ?1 "
	    "UNION ALL SELECT org FROM team_members WHERE team = ?1");
	char names[MAX_TEAM_ORGS][NAME_MAX_LEN + 1];
	size_t cnt = 0, bytes = 0;
	char **v, *p;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", team);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < MAX_TEAM_ORGS) {
		snprintf(names[cnt], sizeof(names[cnt]), "%s", db_text(st, 0));
		bytes += strlen(names[cnt]) + 1;
		cnt++;
	}
	db_done(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return db_rc(rc);
	if (rc == SQLITE_ROW)
		return GD_ERANGE;	/* more organisations than a team can have */
	if ((v = malloc(cnt * sizeof(*v) + bytes + 1)) == NULL)
		return GD_ENOMEM;
	p = (char *)(v + cnt);
	for (size_t i = 0; i < cnt; i++) {
		size_t len = strlen(names[i]) + 1;

		memcpy(p, names[i], len);
		v[i] = p;
		p += len;
	}
	*orgs = v;
	*n = cnt;
	return 0;
}
