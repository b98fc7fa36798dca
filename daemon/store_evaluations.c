/* store_evaluations.c: SQL for evaluations and their per-team results (schema/011). */
#include <stdio.h>
#include <stdlib.h>

#include "civil.h"
#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_evaluations.h"

int
store_evaluation_insert(struct db *db, const char *phase, int64_t held_on, int64_t effective_on,
    const char *reason, int64_t now, int64_t *id)
{
	int rc = db_run(db, "INSERT INTO evaluations (phase, held_on, effective_on, reason, "
	    "created_at) VALUES (?, ?, ?, ?, ?)", "tiiti", phase, held_on, effective_on, reason,
	    now);

	if (rc == 0)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return rc;
}

int
store_evaluation_result_insert(struct db *db, int64_t evaluation, int64_t idx,
    const struct evaluation_result *r)
{
	return db_run(db, "INSERT INTO evaluation_results (evaluation, idx, team, decision, "
	    "score_milli, note, enrolled, applied) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "iittntit",
	    evaluation, idx, r->team, r->decision, r->score_milli, r->note,
	    (int64_t)r->enrolled, r->applied);
}

static json_t *
date_json(int64_t day)
{
	char d[CIVIL_DATE_LEN];

	civil_format_date(day, d);
	return json_string(d);
}

/* The results of evaluation id, in order. */
static json_t *
results_json(struct db *db, int64_t id)
{
	sqlite3_stmt *st = db_prep(db, "SELECT team, decision, score_milli, note, enrolled, "
	    "applied FROM evaluation_results WHERE evaluation = ? ORDER BY idx");
	json_t *arr = json_array(), *o;

	if (st == NULL || arr == NULL) {
		json_decref(arr);
		return NULL;
	}
	db_bind(st, "i", id);
	while (sqlite3_step(st) == SQLITE_ROW) {
		o = json_pack("{s:s, s:s, s:b, s:s}", "team", db_text(st, 0), "decision",
		    db_text(st, 1), "enrolled", sqlite3_column_int(st, 4) != 0, "applied",
		    db_text(st, 5));
		if (o && sqlite3_column_type(st, 2) != SQLITE_NULL)
			json_object_set_new(o, "score", jv_milli(sqlite3_column_int64(st, 2)));
		if (o && sqlite3_column_type(st, 3) != SQLITE_NULL)
			json_object_set_new(o, "note", json_string(db_text(st, 3)));
		if (o == NULL || json_array_append_new(arr, o) < 0) {
			db_done(st);
			json_decref(arr);
			return NULL;
		}
	}
	db_done(st);
	return arr;
}

int
store_evaluation_json(struct db *db, int64_t id, json_t **out)
{
	sqlite3_stmt *st = db_prep(db, "SELECT phase, held_on, effective_on, reason, created_at "
	    "FROM evaluations WHERE id = ?");
	char eid[32];
	json_t *o;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st);
		return db_step_rc(rc);
	}
	snprintf(eid, sizeof(eid), "ev_%lld", (long long)id);
	o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:o}", "id", eid, "phase", db_text(st, 0),
	    "held_on", date_json(sqlite3_column_int64(st, 1)), "effective_on",
	    date_json(sqlite3_column_int64(st, 2)), "reason", db_text(st, 3), "created_at",
	    jv_instant(sqlite3_column_int64(st, 4)));
	db_done(st);
	if (o == NULL)
		return GD_ENOMEM;
	json_object_set_new(o, "results", results_json(db, id));
	*out = o;
	return 0;
}

int
store_evaluations_of(struct db *db, const char *phase, int64_t held_by, json_t **items)
{
	int64_t *ids = NULL;
	size_t n = 0;
	json_t *arr, *o;
	int rc;
	sqlite3_stmt *st = db_prep(db, "SELECT id FROM evaluations WHERE phase = ? "
	    "AND held_on <= ? ORDER BY held_on, id");

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "ti", phase, held_by);
	if ((rc = db_ints(st, &ids, &n)) < 0)
		return rc;
	if ((arr = json_array()) == NULL)
		rc = GD_ENOMEM;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = store_evaluation_json(db, ids[i], &o)) == 0)
			json_array_append_new(arr, o);
	free(ids);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*items = arr;
	return 0;
}
