/* routes_events.c: the change feed, GET /v1/events. */
#include <string.h>

#include "err.h"
#include "events.h"
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
 * Admins and auditors read every event with the full payload; a team reads
 * the events about it alone, each with its own copy (never another team's
 * figures), and asking for another team's is 403 as on every list.
 */
static void
event_list(struct request *rq, struct response *rs)
{
	const char *l = req_query(rq, "limit"), *a = req_query(rq, "after");
	const char *type = req_query(rq, "type"), *team = req_query(rq, "team");
	int64_t limit = 100, after = 0;
	json_t *items = NULL;
	char *next = NULL;
	bool own = false;

	if (l && !parse_int(l, 1, 1000, &limit)) {
		resp_problem(rs, 400, "bad_request", "limit must be an integer from 1 to 1000");
		return;
	}
	if (a && !parse_int(a, 0, INT64_MAX, &after)) {
		resp_problem(rs, 400, "bad_request", "after must be an event seq (an integer >= 0)");
		return;
	}
	if (type && !type_ok(type)) {
		resp_problem(rs, 400, "bad_request", "type must be an event type such as "
		    "outage.recorded");
		return;
	}
	if (team && !jv_valid_id(team)) {
		resp_problem(rs, 400, "bad_request", "team must be a team id "
		    "([a-z0-9][a-z0-9-]{0,62})");
		return;
	}
	if (rq->who->role == ROLE_TEAM) {
		if (team && !req_team_allowed(rq, rs, team))
			return;
		team = rq->who->team;
		own = true;
	}
	resp_list(rs, events_page(rq->db, after, type, team, own, limit, &items, &next), &items,
	    &next);
}

const struct route routes_events[] = {
	{ "GET", "/v1/events", ROLE_AUDITOR | ROLE_TEAM, 0, event_list },
	{ NULL, NULL, 0, 0, NULL },
};
