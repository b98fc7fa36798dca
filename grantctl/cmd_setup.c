/* cmd_setup.c: grantctl commands for tokens, the catalogue, teams, pools, outages and nodes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grantctl.h"

/* Tokens. */

static const struct col token_cols[] = {
	{ "ID", "id", F_STR }, { "NAME", "name", F_STR }, { "ROLE", "role", F_STR },
	{ "TEAM", "team", F_STR }, { "POOL", "pool", F_STR }, { "NODE", "node", F_STR },
	{ "STATE", "state", F_STR },
	{ "CREATED", "created_at", F_TIME }, { "REVOKED", "revoked_at", F_TIME },
	{ "EXPIRES", "expires_at", F_TIME }, { "LAST USED", "last_used_at", F_TIME },
	{ "OLD SECRET UNTIL", "previous_valid_until", F_TIME },
};

/* One token's "title: value" lines (create, rotate, show); the secret only when given. */
static const struct col token_fields[] = {
	{ "id", "id", F_STR }, { "name", "name", F_STR }, { "role", "role", F_STR },
	{ "team", "team", F_STR }, { "pool", "pool", F_STR }, { "node", "node", F_STR },
	{ "state", "state", F_STR },
	{ "created", "created_at", F_TIME }, { "expires", "expires_at", F_TIME },
	{ "last used", "last_used_at", F_TIME }, { "revoked", "revoked_at", F_TIME },
	{ "rotated", "rotated_at", F_TIME },
	{ "old secret until", "previous_valid_until", F_TIME }, { "token", "token", F_STR },
};

/* The server's limits (docs/api-notes.md, Tokens that end), checked before anything is sent. */
#define TTL_MAX (INT64_C(3660) * 86400)
#define GRACE_MAX (INT64_C(30) * 86400)

/*
 * A duration as grantd token create takes it: "90d", "12h", "30m", "45s"
 * or a bare number of seconds, from lo to hi seconds: 0, or -1.
 */
static int
duration_arg(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char num[32];
	size_t n = strlen(s);
	int64_t unit = 1, v;

	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'd': unit = 86400; break;
	case 'h': unit = 3600; break;
	case 'm': unit = 60; break;
	case 's': unit = 1; break;
	default: unit = 0; break;
	}
	if (unit != 0)
		num[n - 1] = '\0';
	else
		unit = 1;
	if (int_arg(num, 0, hi / unit, &v) != 0 || v * unit < lo)
		return -1;
	*out = v * unit;
	return 0;
}

/*
 * The token's end from --ttl (counted from this machine's clock, which
 * should agree with the server's) or --expires: into body as "expires_at".
 */
static int
token_end(struct ctl *c, json_t *body)
{
	char at[64];
	int64_t ttl;

	if (c->opt[O_TTL] && c->opt[O_EXPIRES])
		return usage_error("give --ttl or --expires, not both");
	if (c->opt[O_TTL]) {
		if (duration_arg(c->opt[O_TTL], 1, TTL_MAX, &ttl) != 0)
			return usage_error("--ttl must be a duration such as 90d, 12h, 30m or 3600 "
			    "(seconds), from 1 second to 3660 days");
		civil_format_instant((int64_t)time(NULL) + ttl, at);
		jset_str(body, "expires_at", at);
	} else if (c->opt[O_EXPIRES]) {
		if (instant_arg(c, c->opt[O_EXPIRES], at, sizeof(at)) != 0)
			return usage_error("--expires must be a date (YYYY-MM-DD) or an RFC 3339 "
			    "instant");
		jset_str(body, "expires_at", at);
	}
	return 0;
}

const char *
token_state(const json_t *t)
{
	const json_t *rv = json_object_get(t, "revoked_at");

	/*
	 * grantd says "revoked_at" today; a "state" ("expired" once tokens can
	 * expire) is the server's word and wins, and a "revoked": true is read
	 * too, so that no dead token ever shows as live.
	 */
	if (json_is_string(json_object_get(t, "state")) && *jstr(t, "state"))
		return jstr(t, "state");
	if ((rv != NULL && !json_is_null(rv)) || json_is_true(json_object_get(t, "revoked")))
		return "revoked";
	return "live";
}

/* The table's STATE column; "--json" prints the server's objects untouched. */
static void
token_fix(json_t *t)
{
	json_object_set_new(t, "state", json_string(token_state(t)));
}

int
cmd_token_create(struct ctl *c, char **a)
{
	json_t *body = json_pack("{s:s, s:s}", "name", c->opt[O_NAME], "role", c->opt[O_ROLE]);
	int rc;

	(void)a;
	jset_str(body, "team", c->opt[O_TEAM]);
	jset_str(body, "pool", c->opt[O_POOL]);
	/* An agent token bound to one node of its pool; the server says which roles may. */
	jset_str(body, "node", c->opt[O_NODE]);
	if ((rc = token_end(c, body)) != 0) {
		json_decref(body);
		return rc;
	}
	rc = run_show(c, "POST", path_fmt("/v1/tokens"), body, token_fields,
	    NCOLS(token_fields));
	if (rc == 0 && !c->json)
		fprintf(stderr, "grantctl: the token is shown only this once; store it now\n");
	return rc;
}

int
cmd_token_list(struct ctl *c, char **a)
{
	(void)a;
	return run_list_fix(c, path_fmt("/v1/tokens"), token_cols, NCOLS(token_cols), token_fix);
}

/*
 * grantd has no GET /v1/tokens/{id}: the token is looked for in the list,
 * page by page (the list holds revoked and expired tokens too).
 */
int
cmd_token_show(struct ctl *c, char **a)
{
	struct reply r;
	json_t *item, *found = NULL;
	char *path, *after = NULL;
	size_t i;
	int rc;

	do {
		path = path_fmt("/v1/tokens?limit=1000");
		path_query(&path, "after", after);
		free(after);
		after = NULL;
		rc = api(c, "GET", path, NULL, &r);
		free(path);
		if (rc == 0) {
			json_array_foreach(json_object_get(r.json, "items"), i, item)
				if (found == NULL && strcmp(jstr(item, "id"), a[0]) == 0)
					found = json_incref(item);
			if (found == NULL && json_is_string(json_object_get(r.json, "next")))
				after = strdup(jstr(r.json, "next"));
		}
		reply_free(&r);
	} while (rc == 0 && found == NULL && after != NULL);
	free(after);
	if (rc != 0)
		return rc;
	if (found == NULL) {
		fprintf(stderr, "grantctl: no token '%s' (grantctl token list shows them all)\n",
		    a[0]);
		return EXIT_NOTFOUND;
	}
	if (c->json) {
		char *text = json_dumps(found, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		fprintf(c->out, "%s\n", text ? text : "null");
		free(text);
	} else {
		print_fields(c, found, token_fields, NCOLS(token_fields));
	}
	json_decref(found);
	return 0;
}

/*
 * A new secret for the token, shown once; the old one keeps working for
 * the grace (the server's default is a day) so that every holder can be
 * given the new one before it stops.
 */
int
cmd_token_rotate(struct ctl *c, char **a)
{
	json_t *body = json_object();
	struct reply r;
	struct table *t;
	char *path, until[64];
	int64_t grace;
	int rc;

	if (c->opt[O_GRACE]) {
		if (duration_arg(c->opt[O_GRACE], 0, GRACE_MAX, &grace) != 0) {
			json_decref(body);
			return usage_error("--grace must be a duration such as 1d, 12h, 30m or "
			    "3600 (seconds), from 0 to 30 days");
		}
		json_object_set_new(body, "grace_seconds", json_integer(grace));
	}
	if ((rc = token_end(c, body)) != 0) {
		json_decref(body);
		return rc;
	}
	path = path_fmt("/v1/tokens/%s/rotate", a[0]);
	rc = api(c, "POST", path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		/*
		 * token_fields ends with the old secret's end and the secret:
		 * when there is no grace (--grace 0) that line says so, not "-".
		 */
		t = kv_new();
		kv_fields(c, t, r.json, token_fields, NCOLS(token_fields) - 2);
		if (jpath(r.json, "previous_valid_until") == NULL)
			kv_add(t, "old secret until", "stopped at the rotation");
		kv_fields(c, t, r.json, token_fields + NCOLS(token_fields) - 2, 2);
		table_print(t, c->out);
		table_free(t);
		fprintf(stderr, "grantctl: the new secret is shown only this once; store it now\n");
		if (jpath(r.json, "previous_valid_until") != NULL)
			fprintf(stderr, "grantctl: the old secret keeps working until %s; give "
			    "every holder the new one before then\n", fmt_value(c, r.json,
			    "previous_valid_until", F_TIME, until, sizeof(until)));
		else
			fprintf(stderr, "grantctl: the old secret no longer works\n");
	}
	reply_free(&r);
	return rc;
}

int
cmd_token_revoke(struct ctl *c, char **a)
{
	struct reply r;
	char *path = path_fmt("/v1/tokens/%s", a[0]);
	int rc = api(c, "DELETE", path, NULL, &r);

	if (rc == 0 && c->json)
		print_raw(c, &r);
	else if (rc == 0)
		fprintf(c->out, "token %s revoked\n", a[0]);
	reply_free(&r);
	free(path);
	return rc;
}

/* Card models. */

static const struct col model_cols[] = {
	{ "MODEL", "id", F_STR }, { "WEIGHT", "weight", F_NUM },
};

int
cmd_card_model_list(struct ctl *c, char **a)
{
	(void)a;
	return run_list(c, path_fmt("/v1/card-models"), model_cols, NCOLS(model_cols));
}

int
cmd_card_model_set(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "model", "id", F_STR }, { "weight", "weight", F_NUM },
	};
	char *end;
	double w = strtod(a[1], &end);

	/* The server checks the range and the three decimals; this only keeps text out. */
	if (end == a[1] || *end != '\0' || !(w > 0))
		return usage_error("WEIGHT must be a number above 0, e.g. 0.5");
	return run_show(c, "PUT", path_fmt("/v1/card-models/%s", a[0]),
	    json_pack("{s:f}", "weight", w), cols, NCOLS(cols));
}

/* Programmes. */

static const struct col program_cols[] = {
	{ "ID", "id", F_STR }, { "NAME", "name", F_STR }, { "TIMEZONE", "timezone", F_STR },
	{ "CREATED", "created_at", F_TIME },
};

static const struct col program_fields[] = {
	{ "id", "id", F_STR }, { "name", "name", F_STR }, { "timezone", "timezone", F_STR },
	{ "created", "created_at", F_TIME },
};

int
cmd_program_create(struct ctl *c, char **a)
{
	json_t *body = json_pack("{s:s, s:s}", "id", a[0], "name", c->opt[O_NAME]);

	jset_str(body, "timezone", c->opt[O_TIMEZONE]);
	return run_show(c, "POST", path_fmt("/v1/programs"), body, program_fields,
	    NCOLS(program_fields));
}

int
cmd_program_list(struct ctl *c, char **a)
{
	(void)a;
	return run_list(c, path_fmt("/v1/programs"), program_cols, NCOLS(program_cols));
}

int
cmd_program_show(struct ctl *c, char **a)
{
	return run_show(c, "GET", path_fmt("/v1/programs/%s", a[0]), NULL, program_fields,
	    NCOLS(program_fields));
}

/* Phases. */

static const struct col phase_cols[] = {
	{ "ID", "id", F_STR }, { "PROGRAM", "program", F_STR }, { "NAME", "name", F_STR },
	{ "STARTS", "starts_on", F_STR }, { "ENDS", "ends_on", F_STR },
	{ "DAYS", "period_days", F_INT }, { "MODEL", "package.card_model", F_STR },
	{ "CARDS", "package.cards", F_INT }, { "UNITS", "package.units", F_NUM },
	{ "VOUCHER", "package.voucher_krw", F_KRW },
};

static const struct col phase_fields[] = {
	{ "id", "id", F_STR }, { "program", "program", F_STR }, { "name", "name", F_STR },
	{ "starts on", "starts_on", F_STR }, { "period days", "period_days", F_INT },
	{ "ends on", "ends_on", F_STR }, { "evaluation on", "evaluation_on", F_STR },
	{ "card model", "package.card_model", F_STR }, { "cards", "package.cards", F_INT },
	{ "units", "package.units", F_NUM }, { "voucher", "package.voucher_krw", F_KRW },
	{ "created", "created_at", F_TIME },
};

int
cmd_phase_create(struct ctl *c, char **a)
{
	int64_t days, cards, krw;
	json_t *body;

	if (int_arg(c->opt[O_PERIOD_DAYS], 1, 100000, &days) != 0)
		return usage_error("--period-days must be a whole number of days");
	if (int_arg(c->opt[O_CARDS], 1, INT64_MAX, &cards) != 0)
		return usage_error("--cards must be a whole number");
	if (int_arg(c->opt[O_VOUCHER], 0, INT64_MAX, &krw) != 0)
		return usage_error("--voucher must be whole won, e.g. 10000000000 or "
		    "10,000,000,000");
	body = json_pack("{s:s, s:s, s:s, s:I, s:{s:s, s:I, s:I}}", "id", a[1], "name",
	    c->opt[O_NAME], "starts_on", c->opt[O_STARTS_ON], "period_days", (json_int_t)days,
	    "package", "card_model", c->opt[O_CARD_MODEL], "cards", (json_int_t)cards,
	    "voucher_krw", (json_int_t)krw);
	jset_str(body, "evaluation_on", c->opt[O_EVALUATION_ON]);
	return run_show(c, "POST", path_fmt("/v1/programs/%s/phases", a[0]), body, phase_fields,
	    NCOLS(phase_fields));
}

int
cmd_phase_show(struct ctl *c, char **a)
{
	zone_for_phase(c, a[0]);
	return run_show(c, "GET", path_fmt("/v1/phases/%s", a[0]), NULL, phase_fields,
	    NCOLS(phase_fields));
}

int
cmd_phase_list(struct ctl *c, char **a)
{
	return run_list(c, path_fmt("/v1/programs/%s/phases", a[0]), phase_cols,
	    NCOLS(phase_cols));
}

/* Teams. */

static const struct col team_cols[] = {
	{ "ID", "id", F_STR }, { "NAME", "name", F_STR }, { "LEAD", "lead_org", F_STR },
	{ "MEMBERS", "members", F_COUNT },
};

static const struct col team_fields[] = {
	{ "id", "id", F_STR }, { "name", "name", F_STR }, { "lead org", "lead_org", F_STR },
	{ "created", "created_at", F_TIME },
};

static int
show_team(struct ctl *c, const char *method, char *path, json_t *body)
{
	struct reply r;
	int rc = api(c, method, path, body, &r);

	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		team_fix(r.json);
		print_fields(c, r.json, team_fields, NCOLS(team_fields));
		print_team_orgs(c, r.json);
	}
	reply_free(&r);
	return rc;
}

int
cmd_team_create(struct ctl *c, char **a)
{
	json_t *body = json_pack("{s:s, s:s, s:s}", "id", a[0], "name", c->opt[O_NAME],
	    "lead_org", c->opt[O_LEAD_ORG]);
	json_t *members = json_array();

	for (int i = 0; i < c->nmembers; i++) {
		const char *m = c->members[i], *eq = strrchr(m, '=');

		if (eq == NULL || eq == m || eq[1] == '\0') {
			json_decref(body);
			json_decref(members);
			return usage_error("--member must be ORG=ROLE, e.g. 'KAIST=university'");
		}
		json_array_append_new(members, json_pack("{s:s%, s:s}", "org", m, (size_t)(eq - m),
		    "role", eq + 1));
	}
	if (c->nmembers > 0)
		json_object_set_new(body, "members", members);
	else
		json_decref(members);
	return show_team(c, "POST", path_fmt("/v1/teams"), body);
}

int
cmd_team_list(struct ctl *c, char **a)
{
	(void)a;
	return run_list(c, path_fmt("/v1/teams"), team_cols, NCOLS(team_cols));
}

int
cmd_team_show(struct ctl *c, char **a)
{
	return show_team(c, "GET", path_fmt("/v1/teams/%s", a[0]), NULL);
}

/* Pools and outages. */

static const struct col pool_cols[] = {
	{ "ID", "id", F_STR }, { "PROVIDER", "provider", F_STR }, { "SITE", "site", F_STR },
	{ "MODEL", "card_model", F_STR }, { "CARDS", "cards", F_INT }, { "UNITS", "units", F_NUM },
};

static const struct col pool_fields[] = {
	{ "id", "id", F_STR }, { "provider", "provider", F_STR }, { "site", "site", F_STR },
	{ "card model", "card_model", F_STR }, { "cards", "cards", F_INT },
	{ "weight", "weight", F_NUM }, { "units", "units", F_NUM },
	{ "created", "created_at", F_TIME },
};

int
cmd_pool_create(struct ctl *c, char **a)
{
	int64_t cards;

	if (int_arg(c->opt[O_CARDS], 1, INT64_MAX, &cards) != 0)
		return usage_error("--cards must be a whole number");
	return run_show(c, "POST", path_fmt("/v1/pools"), json_pack("{s:s, s:s, s:s, s:s, s:I}",
	    "id", a[0], "provider", c->opt[O_PROVIDER], "site", c->opt[O_SITE], "card_model",
	    c->opt[O_CARD_MODEL], "cards", (json_int_t)cards), pool_fields, NCOLS(pool_fields));
}

int
cmd_pool_list(struct ctl *c, char **a)
{
	(void)a;
	return run_list(c, path_fmt("/v1/pools"), pool_cols, NCOLS(pool_cols));
}

int
cmd_pool_show(struct ctl *c, char **a)
{
	return run_show(c, "GET", path_fmt("/v1/pools/%s", a[0]), NULL, pool_fields,
	    NCOLS(pool_fields));
}

int
cmd_pool_timeline(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "FROM", "from", F_TIME }, { "TO", "to", F_TIME },
		{ "CAPACITY", "capacity", F_INT }, { "ALLOCATED", "allocated", F_INT },
		{ "IMPAIRED", "impaired", F_INT }, { "FREE", "free", F_INT },
	};
	char from[64], to[64];
	char *path = path_fmt("/v1/pools/%s/timeline", a[0]);
	struct reply r;
	int rc;

	if (c->opt[O_FROM] && instant_arg(c, c->opt[O_FROM], from, sizeof(from)) != 0) {
		free(path);
		return usage_error("--from must be a date (YYYY-MM-DD) or an RFC 3339 instant");
	}
	if (c->opt[O_TO] && instant_arg(c, c->opt[O_TO], to, sizeof(to)) != 0) {
		free(path);
		return usage_error("--to must be a date (YYYY-MM-DD) or an RFC 3339 instant");
	}
	path_query(&path, "from", c->opt[O_FROM] ? from : NULL);
	path_query(&path, "to", c->opt[O_TO] ? to : NULL);
	rc = api(c, "GET", path, NULL, &r);
	free(path);
	if (rc == 0 && c->json)
		print_raw(c, &r);
	else if (rc == 0)
		print_rows(c, json_object_get(r.json, "segments"), cols, NCOLS(cols));
	reply_free(&r);
	return rc;
}

static const struct col outage_cols[] = {
	{ "ID", "id", F_STR }, { "FROM", "from", F_TIME }, { "TO", "to", F_TIME },
	{ "CARDS", "cards", F_INT }, { "REASON", "reason", F_STR },
};

int
cmd_outage_create(struct ctl *c, char **a)
{
	static const struct col fields[] = {
		{ "id", "id", F_STR }, { "pool", "pool", F_STR }, { "from", "from", F_TIME },
		{ "to", "to", F_TIME }, { "cards", "cards", F_INT }, { "reason", "reason", F_STR },
	};
	static const struct col loss_cols[] = {
		{ "GRANT", "grant", F_STR }, { "TEAM", "team", F_STR }, { "PHASE", "phase", F_STR },
		{ "LOST UNIT-H", "lost_unit_hours", F_NUM },
	};
	char from[64], to[64];
	int64_t cards;
	json_t *body;
	struct reply r;
	char *path;
	int rc;

	if (instant_arg(c, c->opt[O_FROM], from, sizeof(from)) != 0 ||
	    instant_arg(c, c->opt[O_TO], to, sizeof(to)) != 0)
		return usage_error("--from and --to must be dates (YYYY-MM-DD) or RFC 3339 "
		    "instants");
	if (int_arg(c->opt[O_CARDS], 1, INT64_MAX, &cards) != 0)
		return usage_error("--cards must be a whole number");
	body = json_pack("{s:s, s:s, s:I, s:s}", "from", from, "to", to, "cards",
	    (json_int_t)cards, "reason", c->opt[O_REASON]);
	path = path_fmt("/v1/pools/%s/outages", a[0]);
	rc = api(c, "POST", path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		/* The first loss names a phase, and so the zone of the programme hit. */
		zone_from(c, json_array_get(json_object_get(r.json, "losses"), 0));
		print_fields(c, r.json, fields, NCOLS(fields));
		if (json_array_size(json_object_get(r.json, "losses")) > 0) {
			fputc('\n', c->out);
			print_rows(c, json_object_get(r.json, "losses"), loss_cols,
			    NCOLS(loss_cols));
		}
	}
	reply_free(&r);
	return rc;
}

int
cmd_outage_list(struct ctl *c, char **a)
{
	return run_list(c, path_fmt("/v1/pools/%s/outages", a[0]), outage_cols,
	    NCOLS(outage_cols));
}

/* Nodes: the GPU hosts of a pool, the team each serves, and when each was last heard from. */

/*
 * How long ago an instant was by this machine's clock (which should agree
 * with the server's): "45s ago", "12m ago", "3h 05m ago", "2d 04h ago";
 * "just now" within a minute either way, "Nm ahead of this clock" beyond.
 */
static const char *
fmt_ago(const char *rfc3339, char *buf, size_t n)
{
	int64_t t, d;

	if (civil_parse_instant(rfc3339, &t) != 0) {
		snprintf(buf, n, "?");
		return buf;
	}
	d = (int64_t)time(NULL) - t;
	if (d < -59)
		snprintf(buf, n, "%lldm ahead of this clock", (long long)(-d / 60));
	else if (d < 60)
		snprintf(buf, n, "just now");
	else if (d < 3600)
		snprintf(buf, n, "%lldm ago", (long long)(d / 60));
	else if (d < 86400)
		snprintf(buf, n, "%lldh %02lldm ago", (long long)(d / 3600),
		    (long long)(d % 3600 / 60));
	else
		snprintf(buf, n, "%lldd %02lldh ago", (long long)(d / 86400),
		    (long long)(d % 86400 / 3600));
	return buf;
}

/*
 * Sets "last_seen" of a node to what a reader wants: "2026-03-02 09:00 KST
 * (3h 05m ago)", or "never" when no batch of it was accepted.  Only for
 * the tables: --json prints the server's objects untouched.
 */
static void
node_fix(struct ctl *c, json_t *node)
{
	char when[64], ago[48], text[128];
	const char *seen = json_string_value(json_object_get(node, "last_seen_at"));

	if (seen == NULL) {
		json_object_set_new(node, "last_seen", json_string("never"));
		return;
	}
	snprintf(text, sizeof(text), "%s (%s)", fmt_instant(c, seen, false, when, sizeof(when)),
	    fmt_ago(seen, ago, sizeof(ago)));
	json_object_set_new(node, "last_seen", json_string(text));
}

static const struct col node_cols[] = {
	{ "NODE", "node", F_STR }, { "TEAM", "team", F_STR },
	{ "ASSIGNED", "assigned_at", F_TIME }, { "LAST SEEN", "last_seen", F_STR },
	{ "LAST BATCH", "last_batch", F_STR },
};

static const struct col node_fields[] = {
	{ "pool", "pool", F_STR }, { "node", "node", F_STR }, { "team", "team", F_STR },
	{ "reason", "reason", F_STR }, { "assigned", "assigned_at", F_TIME },
	{ "updated", "updated_at", F_TIME }, { "last seen", "last_seen", F_STR },
	{ "last batch", "last_batch", F_STR },
};

static int
show_node(struct ctl *c, const char *method, char *path, json_t *body)
{
	struct reply r;
	int rc = api(c, method, path, body, &r);

	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		node_fix(c, r.json);
		print_fields(c, r.json, node_fields, NCOLS(node_fields));
	}
	reply_free(&r);
	return rc;
}

/*
 * Which team the node serves from now on; --none: none.  The server wants
 * "team" always, null included, so that no forgotten option takes a node
 * from its team: one of the two must be given.
 */
int
cmd_node_assign(struct ctl *c, char **a)
{
	json_t *body;

	if ((c->opt[O_TEAM] != NULL) == (c->opt[O_NONE] != NULL))
		return usage_error("give --team TEAM or --none (the node serves no team), one of "
		    "them; usage: grantctl node assign POOL NODE --team TEAM|--none --reason TEXT");
	body = json_pack("{s:o, s:s}", "team", c->opt[O_TEAM] ? json_string(c->opt[O_TEAM]) :
	    json_null(), "reason", c->opt[O_REASON]);
	return show_node(c, "PUT", path_fmt("/v1/pools/%s/nodes/%s", a[0], a[1]), body);
}

int
cmd_node_show(struct ctl *c, char **a)
{
	return show_node(c, "GET", path_fmt("/v1/pools/%s/nodes/%s", a[0], a[1]), NULL);
}

int
cmd_node_list(struct ctl *c, char **a)
{
	char *path = path_fmt("/v1/pools/%s/nodes", a[0]);
	struct reply r;
	json_t *item;
	size_t i;
	int rc;

	path_query(&path, "limit", c->opt[O_LIMIT]);
	path_query(&path, "after", c->opt[O_AFTER]);
	rc = api(c, "GET", path, NULL, &r);
	free(path);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		json_array_foreach(json_object_get(r.json, "items"), i, item)
			node_fix(c, item);
		print_list(c, r.json, node_cols, NCOLS(node_cols));
	}
	reply_free(&r);
	return rc;
}
