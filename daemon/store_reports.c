/* store_reports.c: SQL for the fairness reports kept as they were produced (schema/009). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "store_reports.h"

int
store_report_keep(struct db *db, const char *phase, const struct kept_report *r)
{
	return db_run(db, "INSERT OR IGNORE INTO fairness_reports (phase, audit_seq, at, digest, "
	    "generated_at, body) VALUES (?, ?, ?, ?, ?, ?)", "tiitit", phase, r->audit_seq, r->at,
	    r->digest, r->generated_at, r->body);
}

int
store_report_kept(struct db *db, const char *phase, int64_t audit_seq, int64_t at,
    struct kept_report *r)
{
	sqlite3_stmt *st = db_prep(db, "SELECT at, digest, generated_at, body FROM "
	    "fairness_reports WHERE phase = ?1 AND audit_seq = ?2 AND (?3 < 0 OR at = ?3) "
	    "ORDER BY generated_at DESC, at DESC LIMIT 1");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tii", phase, audit_seq, at);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st);
		return db_step_rc(rc);
	}
	r->audit_seq = audit_seq;
	r->at = sqlite3_column_int64(st, 0);
	snprintf(r->digest, sizeof(r->digest), "%s", db_text(st, 1));
	r->generated_at = sqlite3_column_int64(st, 2);
	r->body = strdup(db_text(st, 3));
	db_done(st);
	return r->body ? 0 : GD_ENOMEM;
}

int
store_report_purge(struct db *db, int64_t before)
{
	return db_run(db, "DELETE FROM fairness_reports WHERE generated_at < ?", "i", before);
}
