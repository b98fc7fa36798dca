/* store_overrides.c: SQL for overrides: fairness rules an admin set aside, with the reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_overrides.h"

int
store_override_insert(struct db *db, const char *phase, const char *team, const char *rule,
    const char *detail, const char *reason, const char *action, const char *request_id,
    int64_t now)
{
	return db_run(db, "INSERT INTO overrides (phase, team, rule, detail, reason, action, "
	    "request_id, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "ttttttti", phase, team, rule,
	    detail, reason, action, request_id, now);
}

int
store_override_list(struct db *db, const char *phase, const char *team, json_t **items)
{
	sqlite3_stmt *st = db_prep(db, "SELECT team, rule, detail, reason, action, request_id, at "
	    "FROM overrides WHERE phase = ? AND (?2 IS NULL OR team = ?2) ORDER BY id");
	json_t *arr = json_array();

	if (st == NULL) {
		json_decref(arr);
		return GD_EIO;
	}
	db_bind(st, "tt", phase, team);
	while (sqlite3_step(st) == SQLITE_ROW)
		json_array_append_new(arr, json_pack("{s:s?, s:s, s:s, s:s, s:s, s:s, s:o}",
		    "team", sqlite3_column_type(st, 0) == SQLITE_NULL ? NULL : db_text(st, 0),
		    "rule", db_text(st, 1), "detail", db_text(st, 2), "reason", db_text(st, 3),
		    "action", db_text(st, 4), "request_id", db_text(st, 5),
		    "at", jv_instant(sqlite3_column_int64(st, 6))));
	db_done(st);
	*items = arr;
	return 0;
}
