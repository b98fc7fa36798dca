/* phase_summary.c: a phase's redacted summary, cut from its fairness report. */
#include <stdbool.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "fairness_report.h"
#include "phase_summary.h"

/* The members of a report's window that the summary keeps. */
static const char *const window_keys[] = { "start", "end", "days", "start_date", "end_date" };

/* One team's row: only what the summary may show; NULL when out of memory. */
static json_t *
summary_row(const json_t *row)
{
	json_t *win = json_object_get(row, "window"), *ended = json_object_get(row, "ended_at");
	json_t *w = json_object(), *o;

	if (w == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(window_keys) / sizeof(window_keys[0]); i++) {
		json_t *v = json_object_get(win, window_keys[i]);

		if (v && json_object_set(w, window_keys[i], v) < 0) {
			json_decref(w);
			return NULL;
		}
	}
	o = json_pack("{s:O, s:O, s:o, s:O}", "team", json_object_get(row, "team"),
	    "state", json_object_get(row, "state"), "window", w,
	    "delivered_unit_hours", json_object_get(row, "delivered_unit_hours"));
	if (o && ended && json_object_set(o, "ended_at", ended) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int
summary_of(const json_t *rep, json_t **out)
{
	const json_t *teams = json_object_get(rep, "teams");
	json_t *rows = json_array(), *row, *o;
	size_t i;

	if (rows == NULL)
		return GD_ENOMEM;
	json_array_foreach(teams, i, row) {
		if ((o = summary_row(row)) == NULL || json_array_append_new(rows, o) < 0) {
			json_decref(rows);
			return GD_ENOMEM;
		}
	}
	*out = json_pack("{s:O, s:O, s:O, s:O, s:o}", "phase", json_object_get(rep, "phase"),
	    "timezone", json_object_get(rep, "timezone"), "at", json_object_get(rep, "at"),
	    "period_days", json_object_get(rep, "period_days"), "teams", rows);
	return *out ? 0 : GD_ENOMEM;
}

int
phase_summary_json(struct db *db, const char *phase, int64_t at, json_t **out, char *err,
    size_t errlen)
{
	/* Read, not kept: a summary is no report of record (fairness_report.h). */
	struct fairness_query q = { .phase = phase, .at = at, .has_at = true, .as_of = -1,
		.keep = false };
	json_t *rep = NULL;
	bool began = false;
	int rc;

	if (!db_in_transaction(db)) {
		if (db_begin(db, DB_DEFERRED) < 0)
			return GD_EIO;
		began = true;
	}
	rc = fairness_report_build(db, &q, at, &rep, err, errlen);
	if (began)
		db_commit(db);
	if (rc < 0)
		return rc;
	rc = summary_of(rep, out);
	json_decref(rep);
	return rc;
}
