/* routes_orgs.c: organisations and team membership over time (issue 16). */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "orgs.h"
#include "request.h"
#include "router.h"

#define ROLE_MAX_LEN 64

/*
 *  - organisations: created and changed by the admin; read by every reader
 *    including teams (names are not secrets, and a team checks how a
 *    supplier is matched).  A spelling given where an organisation is meant
 *    (a team's lead and members, a supplier's org) finds it by id, name or
 *    alias once normalised (lib/orgname.h), and the answer says which.
 *  - team members: added and removed by the admin with a date and a reason;
 *    related-party checks use the membership at the hold's time.
 */

/* Each item of a JSON array is a name (JV_STR rules): false with err otherwise. */
static bool
valid_names(const json_t *a, const char *field, char *err, size_t errlen)
{
	size_t i;
	json_t *s;

	if (a == NULL)
		return true;
	if (json_array_size(a) > ORG_MAX_ALIASES) {
		snprintf(err, errlen, "%s holds at most %d names", field, ORG_MAX_ALIASES);
		return false;
	}
	json_array_foreach(a, i, s) {
		if (!json_is_string(s) || !jv_valid_text(json_string_value(s), NAME_MAX_LEN,
		    false)) {
			snprintf(err, errlen, "%s[%zu] must be a name of 1 to %d bytes of text "
			    "without control characters", field, i, NAME_MAX_LEN);
			return false;
		}
	}
	return true;
}

static void
org_create(struct request *rq, struct response *rs)
{
	const char *aliases[ORG_MAX_ALIASES];
	struct org_in o = { .aliases = aliases };
	json_t *body, *arr = NULL, *obj = NULL, *want, *s;
	const struct jv_field f[] = {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, &o.id, NULL },
		{ "name_ko", JV_STR, JV_NULLABLE, 0, NAME_MAX_LEN, &o.name_ko, NULL },
		{ "name_en", JV_STR, JV_NULLABLE, 0, NAME_MAX_LEN, &o.name_en, NULL },
		{ "aliases", JV_ARRAY, 0, 0, ORG_MAX_ALIASES, &arr, NULL },
		{ "brn", JV_STR, JV_NULLABLE, 0, 16, &o.brn, NULL },
	};
	char err[GD_ERRBUF], target[96];
	bool existed;
	size_t i;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!valid_names(arr, "aliases", err, sizeof(err))) {
		resp_problem(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	json_array_foreach(arr, i, s)
		aliases[o.naliases++] = json_string_value(s);
	rc = orgs_create(rq->db, &o, rq->now, &existed, &obj, err, sizeof(err));
	if (existed) {
		want = json_pack("{s:o, s:o}", "name_ko", o.name_ko ? json_string(o.name_ko) :
		    json_null(), "name_en", o.name_en ? json_string(o.name_en) : json_null());
		resp_exists(rs, obj, want, "organisation", o.id);
		json_decref(want);
		goto out;
	}
	if (rc < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "organisation/%s", o.id);
	if ((rc = audit_request(rq, "organisation.create", target, NULL, body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
out:
	json_decref(body);
}

/*
 * GET /v1/organisations: ?q= keeps those whose id or a name contains the
 * key of q; ?name= is the one organisation a spelling names (a list of at
 * most one, with matched_by), as a team's or supplier's org would find it.
 */
static void
org_list(struct request *rq, struct response *rs)
{
	const char *q = req_query(rq, "q"), *name = req_query(rq, "name"), *after;
	json_t *items = NULL, *obj = NULL;
	char err[GD_ERRBUF] = "", *next = NULL;
	int64_t limit;
	int rc;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	if ((q && !jv_valid_text(q, NAME_MAX_LEN, false)) ||
	    (name && !jv_valid_text(name, NAME_MAX_LEN, false))) {
		resp_problem(rs, 400, "bad_request", "%s must be 1 to %d bytes of text without "
		    "control characters", q && !jv_valid_text(q, NAME_MAX_LEN, false) ? "q" :
		    "name", NAME_MAX_LEN);
		return;
	}
	if (q && name) {
		resp_problem(rs, 400, "bad_request", "give q (a search) or name (a lookup), not "
		    "both");
		return;
	}
	if (name == NULL) {
		rc = orgs_list(rq->db, q, after, limit, &items, &next, err, sizeof(err));
		if (rc < 0 && err[0] != '\0')
			resp_failure(rs, rc, err);
		else
			resp_list(rs, rc, &items, &next);
		return;
	}
	rc = orgs_lookup(rq->db, name, &obj, err, sizeof(err));
	if (rc == GD_ENOENT) {
		rc = 0;
		items = json_array();
	} else if (rc == 0) {
		items = json_array();
		json_array_append_new(items, obj);
	}
	if (rc < 0 && err[0] != '\0')
		resp_failure(rs, rc, err);
	else
		resp_list(rs, rc, &items, &next);
}

/* A team token sees its own team among an organisation's teams, never another's. */
static void
only_own_team(const struct request *rq, json_t *org)
{
	json_t *teams = json_object_get(org, "teams"), *t;
	size_t i;

	if (rq->who == NULL || rq->who->role != ROLE_TEAM || teams == NULL)
		return;
	for (i = json_array_size(teams); i-- > 0;) {
		t = json_array_get(teams, i);
		if (strcmp(json_string_value(json_object_get(t, "team")), rq->who->team) != 0)
			json_array_remove(teams, i);
	}
}

static void
org_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;
	int rc;

	if (!check_id_param(rs, rq->params[0], "organisation"))
		return;
	if ((rc = orgs_get(rq->db, rq->params[0], &obj)) == 0)
		only_own_team(rq, obj);
	resp_get(rs, rc, &obj, "organisation", rq->params[0]);
}

/* PATCH /v1/organisations/{id}: names, aliases, the registration number; audited with both states. */
static void
org_update(struct request *rq, struct response *rs)
{
	struct org_patch p = { 0 };
	json_t *aliases = NULL, *add = NULL;
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "name_ko", JV_STR, 0, 0, NAME_MAX_LEN, &p.name_ko, NULL },
		{ "name_en", JV_STR, 0, 0, NAME_MAX_LEN, &p.name_en, NULL },
		{ "aliases", JV_ARRAY, 0, 0, ORG_MAX_ALIASES, &aliases, NULL },
		{ "add_aliases", JV_ARRAY, 0, 0, ORG_MAX_ALIASES, &add, NULL },
		{ "brn", JV_STR, 0, 0, 16, &p.brn, NULL },
		{ "reason", JV_TEXT, 0, 0, REASON_MAX_LEN, &reason, NULL },
	};
	json_t *body, *before = NULL, *after = NULL, *detail;
	char err[GD_ERRBUF] = "", target[96];
	int rc;

	if (!check_id_param(rs, rq->params[0], "organisation") ||
	    (body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!valid_names(aliases, "aliases", err, sizeof(err)) ||
	    !valid_names(add, "add_aliases", err, sizeof(err))) {
		resp_problem(rs, 400, "bad_request", "%s", err);
		goto out;
	}
	if (aliases && add) {
		resp_problem(rs, 400, "bad_request", "give aliases (the whole list) or add_aliases, "
		    "not both");
		goto out;
	}
	if (!p.name_ko && !p.name_en && !p.brn && !aliases && !add) {
		resp_problem(rs, 400, "bad_request", "nothing to change: give name_ko, name_en, "
		    "aliases, add_aliases or brn");
		goto out;
	}
	p.aliases = aliases;
	p.add_aliases = add;
	if ((rc = orgs_update(rq->db, rq->params[0], &p, rq->now, &before, &after, err,
	    sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "organisation/%s", rq->params[0]);
	detail = json_pack("{s:O, s:O}", "before", before, "after", after);
	rc = audit_request(rq, "organisation.update", target, reason, detail);
	json_decref(detail);
	if (rc < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, after);
	after = NULL;
out:
	json_decref(before);
	json_decref(after);
	json_decref(body);
}

/* POST /v1/organisations/{id}/merge {"from", "reason"}: two records of one organisation become one. */
static void
org_merge(struct request *rq, struct response *rs)
{
	const char *from = NULL, *reason = NULL;
	const struct jv_field f[] = {
		{ "from", JV_ID, JV_REQUIRED, 0, 0, &from, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	json_t *body, *bf = NULL, *bi = NULL, *after = NULL, *detail;
	char err[GD_ERRBUF] = "", target[96];
	int rc;

	if (!check_id_param(rs, rq->params[0], "organisation") ||
	    (body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if ((rc = orgs_merge(rq->db, rq->params[0], from, rq->now, &bf, &bi, &after, err,
	    sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "organisation/%s", rq->params[0]);
	detail = json_pack("{s:s, s:O, s:O, s:O}", "from", from, "before_from", bf,
	    "before", bi, "after", after);
	rc = audit_request(rq, "organisation.merge", target, reason, detail);
	json_decref(detail);
	if (rc < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, after);
	after = NULL;
out:
	json_decref(bf);
	json_decref(bi);
	json_decref(after);
	json_decref(body);
}

/*
 * The instant of a membership change: "at" (an instant), "on" (a date in
 * the time zone of the team's programme), or -1 for now.  False with a
 * reply sent when both are given or the zone cannot be read.
 */
static bool
change_instant(struct request *rq, struct response *rs, const char *team, bool has_on,
    int64_t on, bool has_at, int64_t at, int64_t *out)
{
	char tz[64];
	int32_t off;
	int rc;

	*out = -1;
	if (has_on && has_at) {
		resp_problem(rs, 400, "bad_request", "give on (a date) or at (an instant), not "
		    "both");
		return false;
	}
	if (has_at)
		*out = at;
	if (!has_on)
		return true;
	if ((rc = orgs_team_timezone(rq->db, team, tz, sizeof(tz))) < 0 ||
	    civil_tz_offset(tz, &off) < 0) {
		resp_store_error(rs, rc < 0 ? rc : GD_EIO);
		return false;
	}
	*out = civil_local_midnight(on, off);
	return true;
}

static void
member_add(struct request *rq, struct response *rs)
{
	const char *team = rq->params[0], *org = NULL, *role = "member", *reason = NULL;
	bool has_on = false, has_at = false;
	int64_t on = 0, at = 0, since;
	const struct jv_field f[] = {
		{ "org", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &org, NULL },
		{ "role", JV_STR, 0, 0, ROLE_MAX_LEN, &role, NULL },
		{ "on", JV_DATE, 0, 0, 0, &on, &has_on },
		{ "at", JV_INSTANT, 0, 0, 0, &at, &has_at },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	json_t *body, *obj = NULL;
	char err[GD_ERRBUF] = "", target[160];
	int rc;

	if (!check_id_param(rs, team, "team") ||
	    (body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!change_instant(rq, rs, team, has_on, on, has_at, at, &since))
		goto out;
	if ((rc = orgs_member_add(rq->db, team, org, role, since, reason, rq->now, &obj, err,
	    sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "team/%s/member/%s", team,
	    json_string_value(json_object_get(obj, "organisation")));
	if ((rc = audit_request(rq, "team.member_add", target, reason, obj)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
out:
	json_decref(body);
}

/* DELETE /v1/teams/{team}/members/{organisation} {"reason", "on"?|"at"?}: the membership ends. */
static void
member_remove(struct request *rq, struct response *rs)
{
	const char *team = rq->params[0], *org = rq->params[1], *reason = NULL;
	bool has_on = false, has_at = false;
	int64_t on = 0, at = 0, until;
	const struct jv_field f[] = {
		{ "on", JV_DATE, 0, 0, 0, &on, &has_on },
		{ "at", JV_INSTANT, 0, 0, 0, &at, &has_at },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	json_t *body, *obj = NULL;
	char err[GD_ERRBUF] = "", target[160];
	int rc;

	if (!check_id_param(rs, team, "team") || !check_id_param(rs, org, "organisation") ||
	    (body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!change_instant(rq, rs, team, has_on, on, has_at, at, &until))
		goto out;
	if ((rc = orgs_member_remove(rq->db, team, org, until, reason, rq->now, &obj, err,
	    sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "team/%s/member/%s", team, org);
	if ((rc = audit_request(rq, "team.member_remove", target, reason, obj)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
out:
	json_decref(body);
}

const struct route routes_orgs[] = {
	{ "POST", "/v1/organisations", 0, ROUTE_WRITE, org_create },
	{ "GET", "/v1/organisations", ROLE_AUDITOR | ROLE_TEAM, 0, org_list },
	{ "GET", "/v1/organisations/{organisation}", ROLE_AUDITOR | ROLE_TEAM, 0, org_get },
	{ "PATCH", "/v1/organisations/{organisation}", 0, ROUTE_WRITE, org_update },
	{ "POST", "/v1/organisations/{organisation}/merge", 0, ROUTE_WRITE, org_merge },
	{ "POST", "/v1/teams/{team}/members", 0, ROUTE_WRITE, member_add },
	{ "DELETE", "/v1/teams/{team}/members/{organisation}", 0, ROUTE_WRITE, member_remove },
	{ NULL, NULL, 0, 0, NULL },
};
