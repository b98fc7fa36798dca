/* routes_events.c: the change feed, GET /v1/events, and its stream, GET /v1/events/stream. */
#include <string.h>

#include "app.h"
#include "err.h"
#include "events.h"
#include "events_stream.h"
#include "jsonv.h"
#include "router.h"
#include "request.h"

/* A type filter: the shape of the feed's names (lower case, dots, underscores). */
static bool
type_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz._") == n;
}

/*
 * The filters the feed and its stream share, checked alike: ?type= and
 * ?team=.  Admins and auditors read every event with the full payload; a
 * team reads the events about it alone, each with its own copy (never
 * another team's figures), and asking for another team's is 403 as on
 * every list.  False when rs holds the refusal.
 */
static bool
feed_filters(struct request *rq, struct response *rs, const char **type, const char **team,
    bool *own)
{
	*type = req_query(rq, "type");
	*team = req_query(rq, "team");
	*own = false;
	if (*type && !type_ok(*type)) {
		resp_problem(rs, 400, "bad_request", "type must be an event type such as "
		    "outage.recorded");
		return false;
	}
	if (*team && !jv_valid_id(*team)) {
		resp_problem(rs, 400, "bad_request", "team must be a team id "
		    "([a-z0-9][a-z0-9-]{0,62})");
		return false;
	}
	if (rq->who->role == ROLE_TEAM) {
		if (*team && !req_team_allowed(rq, rs, *team))
			return false;
		*team = rq->who->team;
		*own = true;
	}
	return true;
}

static void
event_list(struct request *rq, struct response *rs)
{
	const char *l = req_query(rq, "limit"), *a = req_query(rq, "after");
	const char *type, *team;
	int64_t limit = 100, after = 0;
	json_t *items = NULL;
	char *next = NULL;
	bool own;

	if (l && !parse_int(l, 1, 1000, &limit)) {
		resp_problem(rs, 400, "bad_request", "limit must be an integer from 1 to 1000");
		return;
	}
	if (a && !parse_int(a, 0, INT64_MAX, &after)) {
		resp_problem(rs, 400, "bad_request", "after must be an event seq (an integer >= 0)");
		return;
	}
	if (!feed_filters(rq, rs, &type, &team, &own))
		return;
	resp_list(rs, events_page(rq->db, after, type, team, own, limit, &items, &next), &items,
	    &next);
}

/*
 * The feed as Server-Sent Events, from the events after Last-Event-ID (the
 * header, as EventSource sends it on reconnecting, which http.c hands over
 * as a query parameter of that name) or else ?after= (default 0, the
 * whole feed; `now`, the newest event so far).  Everything a client can be refused is decided here; the
 * 200 carries the stream's start, which http_stream.c turns into the stream
 * (events_stream.h).
 */
static void
event_stream(struct request *rq, struct response *rs)
{
	const char *a = req_query(rq, "Last-Event-ID"), *what = "Last-Event-ID";
	const char *type, *team;
	char err[GD_ERRBUF];
	int64_t after = 0;
	json_t *start;
	bool own;
	int rc;

	if (a == NULL) {
		a = req_query(rq, "after");
		what = "after";
	}
	/* ?after=now: only what happens from here on (a dashboard that just read its view). */
	if (a && strcmp(what, "after") == 0 && strcmp(a, "now") == 0) {
		if (events_newest(rq->db, &after) < 0) {
			resp_problem(rs, 503, "unavailable", "cannot read the feed's newest event");
			return;
		}
	} else if (a && !parse_int(a, 0, INT64_MAX, &after)) {
		resp_problem(rs, 400, "bad_request", "%s must be an event seq (an integer >= 0, "
		    "as each event's id: line carries)%s", what, strcmp(what, "after") == 0 ?
		    " or now" : "");
		return;
	}
	if (!feed_filters(rq, rs, &type, &team, &own))
		return;
	if (rq->app == NULL || rq->app->stopping) {
		resp_problem(rs, 503, "unavailable", "grantd is shutting down; resume with "
		    "Last-Event-ID once it is back");
		return;
	}
	rc = events_stream_admit(rq->app, rq->who->id, err, sizeof(err));
	if (rc == GD_ECAPACITY) {
		resp_problem(rs, 429, "rate_limited", "%s", err);
		rs->retry_after = EVENTS_STREAM_RETRY_S;
		return;
	}
	if (rc < 0) {
		resp_problem(rs, 503, "unavailable", "%s", err);
		return;
	}
	if ((start = events_stream_start(after, type, team, own)) == NULL) {
		resp_problem(rs, 500, "internal", "out of memory");
		return;
	}
	resp_json(rs, 200, start);
	rs->content_type = EVENTS_STREAM_TYPE;
}

const struct route routes_events[] = {
	{ "GET", "/v1/events", ROLE_AUDITOR | ROLE_TEAM, 0, event_list },
	{ "GET", "/v1/events/stream", ROLE_AUDITOR | ROLE_TEAM, 0, event_stream },
	{ NULL, NULL, 0, 0, NULL },
};
