/* store_webhooks.c: SQL for webhooks (schema/017_webhooks.sql). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_events.h"
#include "store_webhooks.h"

int
store_webhook_insert(struct db *db, const char *url, const char *types, const char *team,
    const char *secret, const char *by, int64_t now, char id[WEBHOOK_ID_LEN])
{
	int64_t n = db_int(db, "SELECT coalesce(max(CAST(substr(id, 4) AS INTEGER)), 0) "
	    "FROM webhooks", "");
	int64_t last = db_int(db, "SELECT coalesce(max(seq), 0) FROM events", "");
	char buf[WEBHOOK_ID_LEN];
	int rc;

	if (n < 0 || last < 0)
		return GD_EIO;
	snprintf(buf, sizeof(buf), "wh_%lld", (long long)(n + 1));
	rc = db_run(db, "INSERT INTO webhooks (id, url, types, team, secret, created_at, "
	    "created_by, delivered_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", "tttttiti", buf, url,
	    types, team, secret, now, by, last);
	if (rc == 0)
		memcpy(id, buf, sizeof(buf));
	return rc;
}

#define WEBHOOK_SQL "SELECT id, url, types, team, created_at, created_by, delivered_seq, " \
	"failing_since, attempts, next_at, disabled_at FROM webhooks "

static json_t *
opt_instant(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
	    jv_instant(sqlite3_column_int64(st, col));
}

static json_t *
webhook_row(sqlite3_stmt *st)
{
	json_t *types = json_loads(db_text(st, 2), 0, NULL);

	return json_pack("{s:s, s:s, s:o, s:s?, s:o, s:s, s:I, s:o, s:I, s:o, s:b}",
	    "id", db_text(st, 0), "url", db_text(st, 1), "types", types ? types : json_array(),
	    "team", (const char *)sqlite3_column_text(st, 3), "created_at",
	    jv_instant(sqlite3_column_int64(st, 4)), "created_by", db_text(st, 5),
	    "delivered_seq", (json_int_t)sqlite3_column_int64(st, 6), "failing_since",
	    opt_instant(st, 7), "attempts", (json_int_t)sqlite3_column_int64(st, 8),
	    "disabled_at", opt_instant(st, 10), "enabled",
	    sqlite3_column_type(st, 10) == SQLITE_NULL);
}

static json_t *
webhook_row_team(sqlite3_stmt *st)
{
	json_t *o = webhook_row(st);

	if (o && json_object_get(o, "team") == NULL)
		json_object_set_new(o, "team", json_null());
	return o;
}

int
store_webhook_json(struct db *db, const char *id, json_t **out)
{
	return db_get_json(db, WEBHOOK_SQL "WHERE id = ? AND deleted_at IS NULL",
	    webhook_row_team, out, "t", id);
}

int
store_webhook_team(struct db *db, const char *id, char team[64])
{
	return db_get_text(db, "SELECT coalesce(team, '') FROM webhooks WHERE id = ? AND "
	    "deleted_at IS NULL", team, 64, "t", id);
}

static void
id_cursor(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	snprintf(cursor, DB_CURSOR_LEN, "%s", db_text(st, 0));
}

int
store_webhook_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next)
{
	int64_t a = after && strncmp(after, "wh_", 3) == 0 ? strtoll(after + 3, NULL, 10) : 0;

	return db_page(db, WEBHOOK_SQL "WHERE deleted_at IS NULL AND "
	    "CAST(substr(id, 4) AS INTEGER) > ?1 AND (?2 IS NULL OR team = ?2) "
	    "ORDER BY CAST(substr(id, 4) AS INTEGER) LIMIT ?3", webhook_row_team, id_cursor,
	    limit, items, next, "iti", a, team, limit + 1);
}

int
store_webhook_delete(struct db *db, const char *id, int64_t now)
{
	return db_run(db, "UPDATE webhooks SET deleted_at = ? WHERE id = ?", "it", now, id);
}

int
store_webhook_test(struct db *db, const char *id, int64_t now)
{
	return db_run(db, "UPDATE webhooks SET test_at = ?, next_at = 0 WHERE id = ?", "it",
	    now, id);
}

int
store_webhooks_due(struct db *db, int64_t now, struct webhook **out, size_t *n)
{
	static const char sql[] = "SELECT id, url, coalesce(team, ''), secret, delivered_seq, "
	    "coalesce(failing_since, 0), attempts, next_at, coalesce(test_at, 0) FROM webhooks "
	    "WHERE deleted_at IS NULL AND disabled_at IS NULL AND next_at <= ? ORDER BY id";
	sqlite3_stmt *st = db_prep(db, sql);
	struct webhook *v = NULL, *nv;
	size_t k = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", now);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((nv = realloc(v, (k + 1) * sizeof(*v))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		v = nv;
		memset(&v[k], 0, sizeof(v[k]));
		snprintf(v[k].id, sizeof(v[k].id), "%s", db_text(st, 0));
		snprintf(v[k].url, sizeof(v[k].url), "%s", db_text(st, 1));
		snprintf(v[k].team, sizeof(v[k].team), "%s", db_text(st, 2));
		snprintf(v[k].secret, sizeof(v[k].secret), "%s", db_text(st, 3));
		v[k].delivered_seq = sqlite3_column_int64(st, 4);
		v[k].failing_since = sqlite3_column_int64(st, 5);
		v[k].attempts = sqlite3_column_int64(st, 6);
		v[k].next_at = sqlite3_column_int64(st, 7);
		v[k].test_at = sqlite3_column_int64(st, 8);
		k++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_rc(rc);
	}
	*out = v;
	*n = k;
	return 0;
}

static json_t *
event_json(sqlite3_stmt *st)
{
	char id[EVENT_ID_LEN];
	json_t *teams = json_loads(db_text(st, 5), 0, NULL);
	json_t *payload = json_loads(db_text(st, 6), 0, NULL);

	event_id_format(sqlite3_column_int64(st, 0), id);
	return json_pack("{s:I, s:s, s:s, s:o, s:s, s:o, s:o}",
	    "seq", (json_int_t)sqlite3_column_int64(st, 0), "id", id, "type", db_text(st, 2),
	    "at", jv_instant(sqlite3_column_int64(st, 3)), "resource", db_text(st, 4),
	    "teams", teams ? teams : json_array(), "payload", payload ? payload : json_object());
}

int
store_webhook_next_event(struct db *db, const struct webhook *w, int64_t after,
    json_t **event)
{
	if (w->team[0] != '\0')
		return db_get_json(db, "SELECT e.seq, e.id, e.type, e.at, e.resource, "
		    "json_array(t.team), t.payload FROM event_teams t JOIN events e ON e.seq = t.seq "
		    "JOIN webhooks w ON w.id = ?1 WHERE t.team = ?2 AND t.seq > ?3 AND EXISTS "
		    "(SELECT 1 FROM json_each(w.types) WHERE value IN ('*', e.type)) "
		    "ORDER BY t.seq LIMIT 1", event_json, event, "tti", w->id, w->team, after);
	return db_get_json(db, "SELECT e.seq, e.id, e.type, e.at, e.resource, "
	    "(SELECT json_group_array(team) FROM (SELECT team FROM event_teams "
	    "WHERE seq = e.seq ORDER BY team)), e.payload FROM events e JOIN webhooks w "
	    "ON w.id = ?1 WHERE e.seq > ?2 AND EXISTS "
	    "(SELECT 1 FROM json_each(w.types) WHERE value IN ('*', e.type)) "
	    "ORDER BY e.seq LIMIT 1", event_json, event, "ti", w->id, after);
}

int
store_webhook_attempt(struct db *db, const char *id, int64_t event_seq,
    const char *event_id, const char *type, int64_t at, long status, const char *error,
    bool ok, int64_t ms)
{
	return db_run(db, "INSERT INTO webhook_deliveries (webhook, event_seq, event_id, type, "
	    "at, status, error, ok, ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "tnttintii", id,
	    event_seq, event_id, type, at, (int64_t)(status > 0 ? status : -1), error,
	    (int64_t)ok, ms);
}

int
store_webhook_delivered(struct db *db, const char *id, int64_t seq)
{
	return db_run(db, "UPDATE webhooks SET delivered_seq = max(delivered_seq, ?), "
	    "failing_since = NULL, attempts = 0, next_at = 0 WHERE id = ?", "it", seq, id);
}

int
store_webhook_passed(struct db *db, const char *id, int64_t seq)
{
	return db_run(db, "UPDATE webhooks SET delivered_seq = ?2 WHERE id = ?1 AND "
	    "delivered_seq < ?2 AND failing_since IS NULL", "ti", id, seq);
}

int
store_webhook_tested(struct db *db, const char *id)
{
	return db_run(db, "UPDATE webhooks SET test_at = NULL WHERE id = ?", "t", id);
}

int
store_webhook_failed(struct db *db, const char *id, int64_t now, int64_t next_at)
{
	return db_run(db, "UPDATE webhooks SET failing_since = coalesce(failing_since, ?), "
	    "attempts = attempts + 1, next_at = ? WHERE id = ?", "iit", now, next_at, id);
}

int
store_webhook_disable(struct db *db, const char *id, int64_t now)
{
	return db_run(db, "UPDATE webhooks SET disabled_at = ? WHERE id = ?", "it", now, id);
}

static json_t *
delivery_row(sqlite3_stmt *st)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:o, s:b, s:I}",
	    "id", (json_int_t)sqlite3_column_int64(st, 0), "event_id", db_text(st, 1),
	    "type", db_text(st, 2), "at", jv_instant(sqlite3_column_int64(st, 3)),
	    "ok", sqlite3_column_int64(st, 6) != 0, "ms", (json_int_t)sqlite3_column_int64(st, 7));

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "status", sqlite3_column_type(st, 4) == SQLITE_NULL ?
	    json_null() : json_integer(sqlite3_column_int64(st, 4)));
	json_object_set_new(o, "error", sqlite3_column_type(st, 5) == SQLITE_NULL ?
	    json_null() : json_string(db_text(st, 5)));
	return o;
}

static void
int_cursor(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	snprintf(cursor, DB_CURSOR_LEN, "%lld", (long long)sqlite3_column_int64(st, 0));
}

int
store_webhook_deliveries(struct db *db, const char *id, int64_t after, int64_t limit,
    json_t **items, char **next)
{
	return db_page(db, "SELECT id, event_id, type, at, status, error, ok, ms "
	    "FROM webhook_deliveries WHERE webhook = ? AND id > ? ORDER BY id LIMIT ?",
	    delivery_row, int_cursor, limit, items, next, "tii", id, after, limit + 1);
}

/*
 * One pass over what is owed: each enabled webhook's events after its
 * cursor (the events' primary key) that it takes, by type and, for a
 * team's, by that team's copy (event_teams' key).  The cursor passes over
 * the events a webhook does not take (webhooks_send.c), so the range read
 * is what is really owed.
 */
int
store_webhook_queue(struct db *db, int64_t *depth, int64_t *oldest_at)
{
	sqlite3_stmt *st = db_prep(db, "SELECT count(*), coalesce(min(e.at), 0) FROM webhooks w "
	    "JOIN events e ON e.seq > w.delivered_seq WHERE w.deleted_at IS NULL AND "
	    "w.disabled_at IS NULL AND EXISTS (SELECT 1 FROM json_each(w.types) "
	    "WHERE value IN ('*', e.type)) AND (w.team IS NULL OR EXISTS (SELECT 1 "
	    "FROM event_teams t WHERE t.team = w.team AND t.seq = e.seq))");
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*depth = sqlite3_column_int64(st, 0);
		*oldest_at = sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = db_rc(rc);
	}
	db_done(st);
	return rc;
}
