/* cmd_org.c: grantctl commands for organisations and the teams they are members of over time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grantctl.h"

/*
 * An organisation's registration number comes as its ten digits; people
 * read and type it as 123-45-67890, so that is how a table shows it.
 */
static void
org_fix(json_t *o)
{
	const char *b = jstr(o, "brn");
	char text[16];

	if (strlen(b) != 10 || strspn(b, "0123456789") != 10)
		return;
	snprintf(text, sizeof(text), "%.3s-%.2s-%.5s", b, b + 3, b + 5);
	json_object_set_new(o, "brn", json_string(text));
}

static const struct col org_fields[] = {
	{ "id", "id", F_STR }, { "name (ko)", "name_ko", F_STR },
	{ "name (en)", "name_en", F_STR }, { "aliases", "aliases", F_STR },
	{ "brn", "brn", F_STR }, { "suppliers", "suppliers", F_STR },
	{ "created", "created_at", F_TIME }, { "updated", "updated_at", F_TIME },
};

/* The teams an organisation is or was in: a lead is a member too, from the team's start. */
static const struct col org_team_cols[] = {
	{ "TEAM", "team", F_STR }, { "ROLE", "role", F_STR }, { "LEAD", "lead", F_BOOL },
	{ "SINCE", "since", F_TIME }, { "UNTIL", "until", F_TIME },
};

/* An organisation: its names and number, then the teams it is in. */
static void
print_org(struct ctl *c, json_t *o)
{
	const json_t *teams = json_object_get(o, "teams");

	org_fix(o);
	print_fields(c, o, org_fields, NCOLS(org_fields));
	if (json_array_size(teams) > 0) {
		fputc('\n', c->out);
		print_rows(c, teams, org_team_cols, NCOLS(org_team_cols));
	}
}

/* Sends a request whose reply is an organisation, and shows it; before (or NULL) comes first. */
static int
send_org(struct ctl *c, const char *method, char *path, json_t *body, const char *before)
{
	struct reply r;
	int rc = api(c, method, path, body, &r);

	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		if (before != NULL)
			fprintf(c->out, "%s\n", before);
		print_org(c, r.json);
	}
	reply_free(&r);
	return rc;
}

/* The names of --alias or of NAME... as a JSON array. */
static json_t *
name_array(const char *const *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

void
print_resolved(struct ctl *c, const char *what, const json_t *answer)
{
	const char *by = jstr(answer, "matched_by");

	if (!json_is_object(answer))
		return;
	/*
	 * Which organisation a spelling became is the one thing a reader must
	 * check after a create: a near miss makes a second organisation, and a
	 * related-party check then compares the wrong two.
	 */
	if (what != NULL)
		fprintf(c->out, "%s ", what);
	fprintf(c->out, "'%s' -> organisation %s (", jstr(answer, "given"),
	    jstr(answer, "organisation"));
	if (*by)
		fprintf(c->out, "matched by %s)\n", by);
	else if (json_is_true(json_object_get(answer, "created")))
		fprintf(c->out, "new organisation)\n");
	else
		fprintf(c->out, "matched)\n");
}

int
cmd_org_create(struct ctl *c, char **a)
{
	json_t *body = json_pack("{s:s}", "id", a[0]);

	jset_str(body, "name_ko", c->opt[O_KO]);
	jset_str(body, "name_en", c->opt[O_EN]);
	jset_str(body, "brn", c->opt[O_BRN]);
	if (c->naliases > 0)
		json_object_set_new(body, "aliases", name_array(c->aliases, c->naliases));
	return send_org(c, "POST", path_fmt("/v1/organisations"), body, NULL);
}

int
cmd_org_show(struct ctl *c, char **a)
{
	return send_org(c, "GET", path_fmt("/v1/organisations/%s", a[0]), NULL, NULL);
}

int
cmd_org_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "ID", "id", F_STR }, { "NAME (KO)", "name_ko", F_STR },
		{ "NAME (EN)", "name_en", F_STR }, { "ALIASES", "aliases", F_STR },
		{ "BRN", "brn", F_STR },
	};
	char *path = path_fmt("/v1/organisations");

	(void)a;
	path_query(&path, "q", c->opt[O_SEARCH]);
	return run_list_fix(c, path, cols, NCOLS(cols), org_fix);
}

/*
 * The organisation a spelling names, as the server finds it where an
 * organisation is meant: 0 with *org (the organisation with "matched_by",
 * to be freed), EXIT_NOTFOUND when none answers to it (nothing printed), or
 * the exit status of a failed request.  r is the reply, to be freed.
 */
static int
lookup_org(struct ctl *c, const char *name, struct reply *r, json_t **org)
{
	char *path = path_fmt("/v1/organisations");
	int rc;

	*org = NULL;
	path_query(&path, "name", name);
	rc = api(c, "GET", path, NULL, r);
	free(path);
	if (rc != 0)
		return rc;
	if ((*org = json_array_get(json_object_get(r->json, "items"), 0)) == NULL)
		return EXIT_NOTFOUND;
	json_incref(*org);
	return 0;
}

int
cmd_org_find(struct ctl *c, char **a)
{
	struct reply r;
	json_t *org, *answer;
	int rc = lookup_org(c, a[0], &r, &org);

	if (rc == EXIT_NOTFOUND) {
		if (c->json)
			print_raw(c, &r);
		fprintf(stderr, "grantctl: no organisation answers to '%s'\n", a[0]);
		/* The question was answered: "no" is a result, as grep's 1, not a 404. */
		rc = EXIT_OTHER;
	} else if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		answer = json_pack("{s:s, s:O}", "given", a[0], "organisation",
		    json_object_get(org, "id"));
		json_object_set(answer, "matched_by", json_object_get(org, "matched_by"));
		print_resolved(c, NULL, answer);
		json_decref(answer);
		print_org(c, org);
	}
	json_decref(org);
	reply_free(&r);
	return rc;
}

int
cmd_org_alias(struct ctl *c, char **a)
{
	int n = 0;
	json_t *body;

	while (a[1 + n] != NULL)
		n++;
	body = json_pack("{s:o}", "add_aliases", name_array((const char *const *)a + 1, n));
	jset_str(body, "reason", c->opt[O_REASON]);
	return send_org(c, "PATCH", path_fmt("/v1/organisations/%s", a[0]), body, NULL);
}

int
cmd_org_rename(struct ctl *c, char **a)
{
	json_t *body;

	if (c->opt[O_KO] == NULL && c->opt[O_EN] == NULL)
		return usage_error("give --ko NAME, --en NAME or both; usage: grantctl org rename "
		    "ID [--ko NAME] [--en NAME] --reason TEXT");
	body = json_pack("{s:s}", "reason", c->opt[O_REASON]);
	jset_str(body, "name_ko", c->opt[O_KO]);
	jset_str(body, "name_en", c->opt[O_EN]);
	return send_org(c, "PATCH", path_fmt("/v1/organisations/%s", a[0]), body, NULL);
}

int
cmd_org_merge(struct ctl *c, char **a)
{
	char line[200];

	snprintf(line, sizeof(line), "organisation %s merged into %s", a[1], a[0]);
	return send_org(c, "POST", path_fmt("/v1/organisations/%s/merge", a[0]),
	    json_pack("{s:s, s:s}", "from", a[1], "reason", c->opt[O_REASON]), line);
}

/* Team membership over time. */

/* Members as a team lists them: org is the text given, organisation the id it became. */
static const struct col member_cols[] = {
	{ "ORG", "org", F_STR }, { "ORGANISATION", "organisation", F_STR },
	{ "ROLE", "role", F_STR }, { "SINCE", "since", F_TIME },
};

static const struct col former_cols[] = {
	{ "ORG", "org", F_STR }, { "ORGANISATION", "organisation", F_STR },
	{ "ROLE", "role", F_STR }, { "SINCE", "since", F_TIME }, { "UNTIL", "until", F_TIME },
	{ "REASON", "removed_reason", F_STR },
};

void
print_team_orgs(struct ctl *c, const json_t *team)
{
	const json_t *m = json_object_get(team, "members");
	const json_t *f = json_object_get(team, "former_members");
	const json_t *res = json_object_get(team, "resolved"), *v;
	size_t i;

	if (json_array_size(m) > 0) {
		fputc('\n', c->out);
		print_rows(c, m, member_cols, NCOLS(member_cols));
	}
	/* Kept apart: a related-party check of an old hold still counts them. */
	if (json_array_size(f) > 0) {
		fprintf(c->out, "\nformer members:\n");
		print_rows(c, f, former_cols, NCOLS(former_cols));
	}
	/* A create's answers: the lead's first, then each member's in the order given. */
	if (json_array_size(res) > 0)
		fputc('\n', c->out);
	json_array_foreach(res, i, v)
		print_resolved(c, i == 0 ? "lead" : "member", v);
}

void
team_fix(json_t *team)
{
	const char *id = jstr(team, "lead_organisation");
	char text[400];

	/* "Motif Technologies (organisation motif-technologies)": the spelling and what it is. */
	if (*id == '\0')
		return;
	snprintf(text, sizeof(text), "%s (organisation %s)", jstr(team, "lead_org"), id);
	json_object_set_new(team, "lead_org", json_string(text));
}

static const struct col membership_fields[] = {
	{ "team", "team", F_STR }, { "organisation", "organisation", F_STR },
	{ "given as", "org", F_STR }, { "role", "role", F_STR }, { "since", "since", F_TIME },
	{ "until", "until", F_TIME }, { "why added", "added_reason", F_STR },
	{ "why removed", "removed_reason", F_STR },
};

/* The instant of a membership change: "on" (a date in the team's zone) or "at", into body. */
static int
change_when(struct ctl *c, json_t *body)
{
	char at[64];

	if (c->opt[O_ON] && c->opt[O_AT])
		return usage_error("give --on DATE or --at TIME, not both");
	/* The server reads a date in the zone of the team's programme: it is sent as it is. */
	jset_str(body, "on", c->opt[O_ON]);
	if (c->opt[O_AT]) {
		if (instant_arg(c, c->opt[O_AT], at, sizeof(at)) != 0)
			return usage_error("--at must be a date (YYYY-MM-DD) or an RFC 3339 "
			    "instant");
		jset_str(body, "at", at);
	}
	return 0;
}

/* Sends a membership change and shows the membership; before (or NULL) comes first. */
static int
send_membership(struct ctl *c, const char *method, char *path, json_t *body,
    const char *before)
{
	struct reply r;
	int rc = api(c, method, path, body, &r);

	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		if (before != NULL)
			fprintf(c->out, "%s\n", before);
		print_resolved(c, NULL, json_object_get(r.json, "resolved"));
		print_fields(c, r.json, membership_fields, NCOLS(membership_fields));
	}
	reply_free(&r);
	return rc;
}

int
cmd_team_member_add(struct ctl *c, char **a)
{
	json_t *body = json_pack("{s:s, s:s}", "org", a[1], "reason", c->opt[O_REASON]);
	int rc;

	jset_str(body, "role", c->opt[O_ROLE]);
	if ((rc = change_when(c, body)) != 0) {
		json_decref(body);
		return rc;
	}
	return send_membership(c, "POST", path_fmt("/v1/teams/%s/members", a[0]), body, NULL);
}

/* Whether s has the shape of an id, [a-z0-9][a-z0-9-]{0,62}, as a path segment must. */
static bool
id_shaped(const char *s)
{
	size_t n = strlen(s);

	return n >= 1 && n <= 63 && s[0] != '-' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

int
cmd_team_member_remove(struct ctl *c, char **a)
{
	json_t *body = json_pack("{s:s}", "reason", c->opt[O_REASON]), *org = NULL;
	char line[400] = "", id[64];
	struct reply r;
	int rc;

	if ((rc = change_when(c, body)) != 0) {
		json_decref(body);
		return rc;
	}
	snprintf(id, sizeof(id), "%s", a[1]);
	/*
	 * The path names the organisation by id, and the server also finds a
	 * name whose normalised form is an id ("kaist").  Any other spelling
	 * ("Seoul National University") is looked up first, as member add
	 * would find it.
	 */
	if (!id_shaped(a[1])) {
		rc = lookup_org(c, a[1], &r, &org);
		if (rc == 0)
			snprintf(id, sizeof(id), "%s", jstr(org, "id"));
		if (rc == 0 && !c->json)
			snprintf(line, sizeof(line), "'%s' -> organisation %s (matched by %s)",
			    a[1], id, jstr(org, "matched_by"));
		if (rc == EXIT_NOTFOUND)
			fprintf(stderr, "grantctl: no organisation answers to '%s', so none is a "
			    "member of team '%s'\n", a[1], a[0]);
		json_decref(org);
		reply_free(&r);
		if (rc != 0) {
			json_decref(body);
			return rc;
		}
	}
	return send_membership(c, "DELETE", path_fmt("/v1/teams/%s/members/%s", a[0], id), body,
	    *line ? line : NULL);
}
