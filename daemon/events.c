/* events.c: the change feed: which audited changes are events, whom each concerns, its copies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "events.h"
#include "request.h"
#include "store_enrollments.h"
#include "store_events.h"
#include "store_grants.h"
#include "store_vouchers.h"
#include "vouchers.h"

/*
 * The audit actions that are events, and the name each has in the feed.
 * own: the audit detail is the one team's own figures (its hold, its grant,
 * its utilisation), so the team's copy may carry it; otherwise a team's
 * copy carries ids alone, since the detail may hold other teams' figures
 * (an outage's losses, an evaluation's results, an extension's make-ups).
 * Actions not here (tokens, organisations, suppliers, nodes, card models,
 * memberships, a failed timer) are configuration or credentials, not news.
 */
static const struct {
	const char *action, *type;
	bool own;
} types[] = {
	{ "outage.create", "outage.recorded", false },
	{ "outage.update", "outage.corrected", false },
	{ "outage.cancel", "outage.cancelled", false },
	{ "enrollment.create", "enrollment.created", true },
	{ "enrollment.complete", "enrollment.completed", true },
	{ "enrollment.eliminate", "team.eliminated", false },
	{ "enrollment.withdraw", "team.withdrawn", false },
	{ "enrollment.evaluation", "evaluation.due", true },
	{ "grant.create", "grant.placed", true },
	{ "grant.release", "grant.released", true },
	{ "grant.start", "grant.started", true },
	{ "grant.end", "grant.ended", true },
	{ "phase.extend", "phase.extended", false },
	{ "phase.compensate", "makeup.scheduled", false },
	{ "evaluation.record", "evaluation.recorded", false },
	{ "voucher.hold.create", "hold.created", true },
	{ "voucher.hold.settle", "hold.settled", true },
	{ "voucher.hold.void", "hold.voided", true },
	{ "voucher.hold.expire", "hold.expired", true },
	{ "voucher.refund", "refund.issued", true },
	{ "voucher.close", "voucher.closed", true },
	{ "usage.idle", "idle.flagged", true },
	{ "usage.idle_cleared", "idle.cleared", true },
	{ "usage.ingest", "usage.flagged", false },
	{ "program.create", "program.created", false },
	{ "phase.create", "phase.created", false },
	{ "team.create", "team.created", false },
	{ "pool.create", "pool.created", false },
	{ "webhook.disable", "webhook.disabled", false },
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

static int
lookup(const char *action)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (strcmp(types[i].action, action) == 0)
			return (int)i;
	return -1;
}

const char *
events_type_of(const char *action, const json_t *detail)
{
	int i = lookup(action);

	if (i < 0)
		return NULL;
	/* A batch of usage is news only when some of it was flagged. */
	if (strcmp(action, "usage.ingest") == 0 &&
	    json_integer_value(json_object_get(detail, "flagged")) <= 0)
		return NULL;
	return types[i].type;
}

/* Copies the segment of s before the next '/' (or the end) into out; the rest after it. */
static const char *
segment(const char *s, char *out, size_t len)
{
	size_t n = strcspn(s, "/");

	if (n >= len)
		n = len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	return s[n] == '/' ? s + n + 1 : s + n;
}

static int
add_team(json_t *teams, const char *team)
{
	return json_array_append_new(teams, json_string(team)) == 0 ? 0 : GD_ENOMEM;
}

/*
 * The teams an event concerns, from its audit target, and the ids a team's
 * copy names (into ids).  An unknown shape concerns no team: admins and
 * auditors still see it.
 */
static int
audience(struct db *db, const char *target, json_t *teams, json_t *ids)
{
	char kind[32], a[ID_MAX + 1], b[32], c[ID_MAX + 1], team[ID_MAX + 1];
	const char *rest;
	json_t *arr = NULL;
	int64_t id;
	int rc = 0;

	rest = segment(target, kind, sizeof(kind));
	if (strcmp(kind, "phase") == 0) {
		rest = segment(rest, a, sizeof(a));
		rest = segment(rest, b, sizeof(b));
		segment(rest, c, sizeof(c));
		json_object_set_new(ids, "phase", json_string(a));
		if (strcmp(b, "enrollment") == 0) {
			json_object_set_new(ids, "team", json_string(c));
			return add_team(teams, c);
		}
		if (strcmp(b, "evaluation") == 0)
			json_object_set_new(ids, "evaluation", json_string(c));
		rc = store_event_phase_teams(db, a, &arr);
	} else if (strcmp(kind, "pool") == 0) {
		rest = segment(rest, a, sizeof(a));
		rest = segment(rest, b, sizeof(b));
		segment(rest, c, sizeof(c));
		json_object_set_new(ids, "pool", json_string(a));
		if (strcmp(b, "outage") != 0)
			return 0;
		id = strtoll(c, NULL, 10);
		json_object_set_new(ids, "outage", json_integer(id));
		rc = store_event_outage_teams(db, id, &arr);
	} else if (strcmp(kind, "grant") == 0) {
		struct grant g;
		struct enrollment e;

		segment(rest, a, sizeof(a));
		json_object_set_new(ids, "grant", json_string(a));
		if (grant_id_parse(a, &id) != 0 || store_grant_get(db, id, &g) < 0 ||
		    store_enrollment_by_id(db, g.enrollment, &e) < 0)
			return 0;
		json_object_set_new(ids, "pool", json_string(g.pool));
		json_object_set_new(ids, "phase", json_string(e.phase));
		return add_team(teams, e.team);
	} else if (strcmp(kind, "hold") == 0 || strcmp(kind, "settlement") == 0) {
		struct ledger_hold h;

		segment(rest, a, sizeof(a));
		json_object_set_new(ids, kind, json_string(a));
		if (kind[0] == 'h') {
			if (vid_parse(VID_HOLD, a, &id) != 0)
				return 0;
		} else {
			if (vid_parse(VID_SETTLEMENT, a, &h.id) != 0 ||
			    vouchers_hold_by_settlement(db, h.id, &h) < 0)
				return 0;
			id = h.id;
		}
		if (vouchers_hold_team(db, id, team) < 0)
			return 0;
		return add_team(teams, team);
	} else if (strcmp(kind, "team") == 0) {
		segment(rest, a, sizeof(a));
		json_object_set_new(ids, "team", json_string(a));
		return add_team(teams, a);
	}
	if (rc < 0)
		return rc;
	if (arr) {
		rc = json_array_extend(teams, arr) == 0 ? 0 : GD_ENOMEM;
		json_decref(arr);
	}
	return rc;
}

static char *
dump(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

/*
 * The whole copy: the ids with the audit entry's detail under "detail".
 * Keys are sorted and "detail" sorts before every id's name, so the text
 * is "{"detail":" DETAIL, then the ids' members: what dumping the object
 * would give, without copying the detail to dump it again.
 */
static char *
full_text(const char *ids, const char *detail)
{
	size_t n;
	char *s;

	if (detail == NULL)
		return strdup(ids);
	n = strlen(ids) + strlen(detail) + sizeof("{\"detail\":,");
	if ((s = malloc(n)) != NULL)
		snprintf(s, n, "{\"detail\":%s%s%s", detail, strcmp(ids, "{}") == 0 ? "}" : ",",
		    strcmp(ids, "{}") == 0 ? "" : ids + 1);
	return s;
}

int
events_from_audit(struct db *db, int64_t audit_seq, int64_t at, const char *action,
    const char *target, const json_t *detail, const char *detail_text)
{
	const char *type = events_type_of(action, detail);
	json_t *teams = NULL, *ids = NULL, *t;
	char *idtext = NULL, *full = NULL;
	int64_t seq;
	size_t i;
	bool own;
	int rc = GD_ENOMEM;

	if (type == NULL)
		return 0;
	if ((teams = json_array()) == NULL || (ids = json_object()) == NULL)
		goto out;
	if ((rc = audience(db, target, teams, ids)) < 0)
		goto out;
	rc = GD_ENOMEM;
	/* Admins and auditors see the audit entry's detail, which they can read anyway. */
	if ((idtext = dump(ids)) == NULL || (full = full_text(idtext, detail_text)) == NULL)
		goto out;
	if ((rc = store_event_insert(db, type, at, target, audit_seq, full, &seq)) < 0)
		goto out;
	/* The team's own copy: the full one where the detail is its alone, else the ids. */
	own = types[lookup(action)].own && json_array_size(teams) == 1;
	json_array_foreach(teams, i, t)
		if ((rc = store_event_team(db, seq, json_string_value(t), own ? full : idtext)) < 0)
			goto out;
	rc = 0;
out:
	free(full);
	free(idtext);
	json_decref(ids);
	json_decref(teams);
	return rc;
}

int
events_page(struct db *db, int64_t after, const char *type, const char *team, bool own,
    int64_t limit, json_t **items, char **next)
{
	return store_event_list(db, after, type, team, own, limit, items, next);
}

int
events_newest(struct db *db, int64_t *seq)
{
	return store_event_newest(db, seq);
}

int
events_prune(struct db *db, int64_t before)
{
	return store_event_purge(db, before);
}

int
events_notice(struct db *db, const char *type, int64_t at, const char *resource,
    const char *team, const json_t *payload)
{
	char *s = json_dumps(payload, JSON_COMPACT | JSON_SORT_KEYS);
	int64_t seq;
	int rc;

	if (s == NULL)
		return GD_ENOMEM;
	rc = store_event_insert(db, type, at, resource, -1, s, &seq);
	/* A notice carries its team's own figures alone: the team's copy is the same. */
	if (rc == 0 && team != NULL)
		rc = store_event_team(db, seq, team, s);
	free(s);
	return rc;
}
