/* store_events.c: SQL for the change feed (schema/016_events.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_events.h"

void
event_id_format(int64_t seq, char buf[EVENT_ID_LEN])
{
	snprintf(buf, EVENT_ID_LEN, "ev_%016llx", (unsigned long long)seq);
}

int
store_event_insert(struct db *db, const char *type, int64_t at, const char *resource,
    int64_t audit_seq, const char *payload, int64_t *seq)
{
	char id[EVENT_ID_LEN];
	int64_t n = db_int(db, "SELECT coalesce(max(seq), 0) FROM events", "");
	int rc;

	if (n < 0)
		return GD_EIO;
	event_id_format(n + 1, id);
	rc = db_run(db, "INSERT INTO events (seq, id, type, at, resource, audit_seq, payload) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?)", "ittitnt", n + 1, id, type, at, resource, audit_seq,
	    payload);
	if (rc == 0)
		*seq = n + 1;
	return rc;
}

int
store_event_newest(struct db *db, int64_t *seq)
{
	sqlite3_stmt *st = db_prep(db, "SELECT coalesce(max(seq), 0) FROM events");
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_event_checkpoint_head(struct db *db, char *head, size_t len)
{
	return db_get_text(db, "SELECT json_extract(payload, '$.head') FROM events "
	    "WHERE type = 'checkpoint.signed' ORDER BY seq DESC LIMIT 1", head, len, "");
}

int
store_event_team(struct db *db, int64_t seq, const char *team, const char *payload)
{
	return db_run(db, "INSERT OR IGNORE INTO event_teams (seq, team, payload) "
	    "VALUES (?, ?, ?)", "itt", seq, team, payload);
}

/* Columns: seq, id, type, at, resource, teams (a JSON array), payload. */
static json_t *
event_row(sqlite3_stmt *st)
{
	char id[EVENT_ID_LEN];
	json_t *o, *teams, *payload;

	event_id_format(sqlite3_column_int64(st, 0), id);
	teams = json_loads(db_text(st, 5), 0, NULL);
	payload = json_loads(db_text(st, 6), 0, NULL);
	o = json_pack("{s:I, s:s, s:s, s:o, s:s, s:o?, s:o?}",
	    "seq", (json_int_t)sqlite3_column_int64(st, 0), "id", id, "type", db_text(st, 2),
	    "at", jv_instant(sqlite3_column_int64(st, 3)), "resource", db_text(st, 4),
	    "teams", teams ? teams : json_array(), "payload", payload ? payload : json_object());
	return o;
}

static void
event_cursor(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	snprintf(cursor, DB_CURSOR_LEN, "%lld", (long long)sqlite3_column_int64(st, 0));
}

int
store_event_list(struct db *db, int64_t after, const char *type, const char *team,
    bool own, int64_t limit, json_t **items, char **next)
{
	/* A team reads through event_teams alone: its name, its copy. */
	if (team && own)
		return db_page(db, "SELECT e.seq, e.id, e.type, e.at, e.resource, "
		    "json_array(t.team), t.payload FROM event_teams t JOIN events e ON e.seq = t.seq "
		    "WHERE t.team = ?1 AND t.seq > ?2 AND (?3 IS NULL OR e.type = ?3) "
		    "ORDER BY t.seq LIMIT ?4", event_row, event_cursor, limit, items, next, "titi",
		    team, after, type, limit + 1);
	return db_page(db, "SELECT e.seq, e.id, e.type, e.at, e.resource, "
	    "(SELECT json_group_array(team) FROM (SELECT team FROM event_teams "
	    "WHERE seq = e.seq ORDER BY team)), e.payload FROM events e "
	    "WHERE e.seq > ?1 AND (?2 IS NULL OR e.type = ?2) AND (?3 IS NULL OR EXISTS "
	    "(SELECT 1 FROM event_teams t WHERE t.seq = e.seq AND t.team = ?3)) "
	    "ORDER BY e.seq LIMIT ?4", event_row, event_cursor, limit, items, next, "itti",
	    after, type, team, limit + 1);
}

int
store_event_purge(struct db *db, int64_t before)
{
	int rc = db_run(db, "DELETE FROM event_teams WHERE seq IN (SELECT seq FROM events "
	    "WHERE at < ?1 AND seq < (SELECT max(seq) FROM events))", "i", before);

	if (rc == 0)
		rc = db_run(db, "DELETE FROM events WHERE at < ?1 AND "
		    "seq < (SELECT max(seq) FROM events)", "i", before);
	return rc;
}

static int
teams_json(struct db *db, const char *sql, const char *fmt, const char *s, int64_t i,
    json_t **out)
{
	char buf[16384];
	int rc;

	rc = fmt[0] == 't' ? db_get_text(db, sql, buf, sizeof(buf), fmt, s) :
	    db_get_text(db, sql, buf, sizeof(buf), fmt, i);
	if (rc == GD_ENOENT) {
		snprintf(buf, sizeof(buf), "[]");
		rc = 0;
	}
	if (rc < 0)
		return rc;
	if ((*out = json_loads(buf, 0, NULL)) == NULL || !json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return GD_ENOMEM;
	}
	return 0;
}

int
store_event_outage_teams(struct db *db, int64_t outage, json_t **out)
{
	return teams_json(db, "SELECT json_group_array(team) FROM (SELECT DISTINCT e.team "
	    "FROM outages o JOIN grants g ON g.pool = o.pool AND g.cancelled = 0 "
	    "AND g.start < o.to_t AND g.end > o.from_t JOIN enrollments e ON e.id = g.enrollment "
	    "WHERE o.id = ? ORDER BY e.team)", "i", NULL, outage, out);
}

int
store_event_phase_teams(struct db *db, const char *phase, json_t **out)
{
	return teams_json(db, "SELECT json_group_array(team) FROM (SELECT DISTINCT team "
	    "FROM enrollments WHERE phase = ? ORDER BY team)", "t", phase, 0, out);
}
