/* cmd_report.c: grantctl commands for usage, quota, fairness, the audit trail, health and completion. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grantctl.h"

/* The largest usage batch read: the server's own max_body_bytes cannot exceed it. */
#define MAX_USAGE_BYTES ((size_t)64 * 1024 * 1024)

/* Reads all of f, at most max bytes; NULL (errno set) on error or when larger. */
static char *
read_all(FILE *f, size_t max, size_t *len)
{
	size_t n = 0, cap = 65536;
	char *buf = malloc(cap), *nb;

	while (buf != NULL) {
		n += fread(buf + n, 1, cap - n, f);
		if (ferror(f)) {
			free(buf);
			return NULL;
		}
		if (n < cap)
			break;
		if (cap >= max) {
			free(buf);
			errno = EFBIG;
			return NULL;
		}
		if ((nb = realloc(buf, cap * 2)) == NULL)
			free(buf);
		buf = nb;
		cap *= 2;
	}
	*len = n;
	return buf;
}

int
cmd_usage_post(struct ctl *c, char **a)
{
	json_error_t jerr;
	struct reply r;
	json_t *body;
	char *path, *text;
	size_t len = 0;
	FILE *f;
	int rc;

	f = strcmp(a[0], "-") == 0 ? stdin : fopen(a[0], "r");
	if (f == NULL) {
		fprintf(stderr, "grantctl: %s: %s\n", a[0], strerror(errno));
		return EXIT_OTHER;
	}
	text = read_all(f, MAX_USAGE_BYTES, &len);
	if (text == NULL)
		fprintf(stderr, "grantctl: %s: %s\n", a[0], errno == EFBIG ?
		    "larger than 64 MiB; send it in batches" : strerror(errno));
	if (f != stdin)
		fclose(f);
	if (text == NULL)
		return EXIT_OTHER;
	body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	free(text);
	if (body == NULL) {
		fprintf(stderr, "grantctl: %s:%d:%d: %s\n", a[0], jerr.line, jerr.column,
		    jerr.text);
		return EXIT_OTHER;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		fprintf(stderr, "grantctl: %s: expected a JSON object {\"batch_id\", "
		    "\"samples\": [...]}\n", a[0]);
		return EXIT_OTHER;
	}
	path = path_fmt("/v1/usage");
	rc = api(c, "POST", path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json)
		print_raw(c, &r);
	else if (rc == 0)
		fprintf(c->out, "accepted %lld samples, %lld flagged\n",
		    (long long)json_integer_value(json_object_get(r.json, "accepted")),
		    (long long)json_integer_value(json_object_get(r.json, "flagged")));
	reply_free(&r);
	return rc;
}

/*
 * "measured" of a quota or a fairness row (what the team's nodes measured,
 * docs/api-notes.md, Nodes and agents), for the tables: busy and
 * utilization-weighted GPU-seconds as shares of the GPU-seconds that were
 * measured (never of "used": samples without measurements count there
 * alone), energy in kWh as well as joules.  NULL when nothing was measured.
 */
static json_t *
measured_view(const json_t *obj)
{
	const json_t *m = json_object_get(obj, "measured");
	json_int_t secs = json_integer_value(json_object_get(m, "gpu_seconds"));
	json_t *v;

	if (!json_is_object(m))
		return NULL;
	v = json_deep_copy(m);
	json_object_set(v, "team", json_object_get(obj, "team"));
	if (secs > 0) {
		json_object_set_new(v, "busy_share", json_real((double)json_integer_value(
		    json_object_get(m, "busy_gpu_seconds")) / (double)secs));
		json_object_set_new(v, "util_share", json_real((double)json_integer_value(
		    json_object_get(m, "util_weighted_gpu_seconds")) / (double)secs));
	}
	if (json_is_integer(json_object_get(m, "energy_j")))
		json_object_set_new(v, "energy_kwh", json_real((double)json_integer_value(
		    json_object_get(m, "energy_j")) / 3.6e6));
	return v;
}

/* "busy gpu-seconds:  300,000 (83.3 % of measured)": a figure and its share, if any. */
static void
kv_share(struct ctl *c, struct table *t, const char *title, const json_t *v, const char *path,
    const char *share)
{
	char num[64], pct[32], text[128];

	fmt_value(c, v, path, F_NUM, num, sizeof(num));
	if (jpath(v, share) != NULL)
		snprintf(text, sizeof(text), "%s (%s of measured)", num, fmt_value(c, v, share,
		    F_RATIO, pct, sizeof(pct)));
	else
		snprintf(text, sizeof(text), "%s", num);
	kv_add(t, title, text);
}

/* The quota's measured lines, when its nodes measured anything. */
static void
add_measured(struct ctl *c, struct table *t, const json_t *quota)
{
	json_t *v = measured_view(quota);
	char j[64], kwh[64], text[160];

	if (v == NULL)
		return;
	kv_add(t, "measured gpu-seconds", fmt_value(c, v, "gpu_seconds", F_NUM, j, sizeof(j)));
	kv_share(c, t, "busy gpu-seconds", v, "busy_gpu_seconds", "busy_share");
	kv_share(c, t, "util-weighted gpu-seconds", v, "util_weighted_gpu_seconds",
	    "util_share");
	snprintf(text, sizeof(text), "%s J (%s kWh)", fmt_value(c, v, "energy_j", F_NUM, j,
	    sizeof(j)), fmt_value(c, v, "energy_kwh", F_NUM, kwh, sizeof(kwh)));
	kv_add(t, "energy", text);
	json_decref(v);
}

int
cmd_quota(struct ctl *c, char **a)
{
	static const struct col fields[] = {
		{ "team", "team", F_STR }, { "phase", "phase", F_STR }, { "state", "state", F_STR },
		{ "at", "at", F_TIME }, { "window start", "window.start", F_DAY },
		{ "window end", "window.end", F_DAY }, { "days", "window.days", F_INT },
		{ "days elapsed", "window.days_elapsed", F_NUM },
		{ "days left", "window.days_left", F_NUM }, { "units", "units", F_NUM },
		{ "entitled unit-h", "unit_hours.entitled", F_NUM },
		{ "delivered unit-h", "unit_hours.delivered", F_NUM },
		{ "lost unit-h", "unit_hours.lost", F_NUM },
		{ "owed unit-h", "unit_hours.owed", F_NUM },
		{ "used unit-h", "unit_hours.used", F_NUM },
		{ "utilization", "unit_hours.utilization", F_RATIO },
		/* The measured lines come here (add_measured), then the rest. */
		{ "idle", "idle.flagged", F_BOOL }, { "idle since", "idle.since", F_TIME },
		{ "voucher budget", "voucher.budget_krw", F_KRW },
		{ "voucher held", "voucher.held_krw", F_KRW },
		{ "voucher settled", "voucher.settled_krw", F_KRW },
		{ "voucher available", "voucher.available_krw", F_KRW },
	};
	static const struct col grant_cols[] = {
		{ "GRANT", "id", F_STR }, { "POOL", "pool", F_STR }, { "MODEL", "card_model", F_STR },
		{ "CARDS", "cards", F_INT }, { "START", "start", F_TIME }, { "END", "end", F_TIME },
	};
	char at[64], when[64];
	char *path = path_fmt("/v1/teams/%s/quota", a[0]);
	const json_t *grants;
	struct table *t;
	struct reply r;
	size_t i;
	int rc;

	zone_for_phase(c, c->opt[O_PHASE]);
	if (c->opt[O_AT] && instant_arg(c, c->opt[O_AT], at, sizeof(at)) != 0) {
		free(path);
		return usage_error("--at must be a date (YYYY-MM-DD) or an RFC 3339 instant");
	}
	path_query(&path, "phase", c->opt[O_PHASE]);
	path_query(&path, "at", c->opt[O_AT] ? at : NULL);
	rc = api(c, "GET", path, NULL, &r);
	free(path);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		zone_from(c, r.json);
		t = kv_new();
		for (i = 0; i < NCOLS(fields) && strcmp(fields[i].path, "idle.flagged") != 0; i++)
			;
		kv_fields(c, t, r.json, fields, i);
		add_measured(c, t, r.json);
		kv_fields(c, t, r.json, fields + i, NCOLS(fields) - i);
		table_print(t, c->out);
		table_free(t);
		/* The grants active at "at": the table stays, empty or not, so it is seen. */
		grants = json_object_get(r.json, "grants");
		fputc('\n', c->out);
		print_rows(c, grants, grant_cols, NCOLS(grant_cols));
		if (json_array_size(grants) == 0)
			fprintf(c->out, "none active at %s\n", fmt_value(c, r.json, "at", F_TIME,
			    when, sizeof(when)));
	}
	reply_free(&r);
	return rc;
}

int
cmd_fairness(struct ctl *c, char **a)
{
	static const struct col team_cols[] = {
		{ "TEAM", "team", F_STR }, { "STATE", "state", F_STR },
		{ "START", "window.start", F_DAY }, { "END", "window.end", F_DAY },
		{ "DAYS", "days", F_INT }, { "UNITS", "units", F_NUM },
		{ "ENTITLED", "entitled_unit_hours", F_NUM },
		{ "DELIVERED", "delivered_unit_hours", F_NUM }, { "LOST", "lost_unit_hours", F_NUM },
		{ "USED", "used_unit_hours", F_NUM }, { "UTIL", "utilization", F_RATIO },
		{ "BUDGET", "voucher_budget_krw", F_KRW },
		{ "SETTLED", "voucher_settled_krw", F_KRW }, { "OVERRIDES", "overrides", F_COUNT },
	};
	static const struct col summary[] = {
		{ "equal period", "summary.equal_period", F_BOOL },
		{ "equal resource", "summary.equal_resource", F_BOOL },
		{ "equal delivery", "summary.equal_delivery", F_BOOL },
		{ "Jain index (delivered)", "summary.jain_index_delivered", F_NUM },
		{ "max deviation", "summary.max_deviation_pct", F_PCT },
		{ "common day", "summary.common_day", F_INT },
		{ "audit seq", "audit_seq", F_INT },
		{ "generated", "generated_at", F_TIME }, { "digest", "digest", F_STR },
	};
	static const struct col break_cols[] = {
		{ "TEAM", "team", F_STR }, { "RULE", "rule", F_STR }, { "DETAIL", "detail", F_STR },
	};
	/* What each team's nodes measured: shown only when some node measured something. */
	static const struct col measured_cols[] = {
		{ "TEAM", "team", F_STR }, { "MEASURED GPU-S", "gpu_seconds", F_NUM },
		{ "BUSY GPU-S", "busy_gpu_seconds", F_NUM }, { "BUSY", "busy_share", F_RATIO },
		{ "UTIL-WEIGHTED GPU-S", "util_weighted_gpu_seconds", F_NUM },
		{ "UTIL", "util_share", F_RATIO }, { "ENERGY J", "energy_j", F_NUM },
		{ "ENERGY kWh", "energy_kwh", F_NUM },
	};
	static const struct col override_cols[] = {
		{ "TEAM", "team", F_STR }, { "RULE", "rule", F_STR }, { "REASON", "reason", F_STR },
		{ "AT", "at", F_TIME },
	};
	const json_t *teams, *t, *o;
	json_t *all;
	struct reply r;
	char *path = path_fmt("/v1/phases/%s/fairness", a[0]), at[64];
	size_t i, j;
	int64_t seq;
	int rc;

	zone_for_phase(c, a[0]);
	if (c->opt[O_AT] && instant_arg(c, c->opt[O_AT], at, sizeof(at)) != 0) {
		free(path);
		return usage_error("--at must be a date (YYYY-MM-DD) or an RFC 3339 instant");
	}
	if (c->opt[O_AS_OF] && int_arg(c->opt[O_AS_OF], 0, INT64_MAX, &seq) != 0) {
		free(path);
		return usage_error("--as-of must be an audit sequence number");
	}
	if (c->opt[O_CSV])
		path_query(&path, "format", "csv");
	path_query(&path, "at", c->opt[O_AT] ? at : NULL);
	path_query(&path, "as_of", c->opt[O_AS_OF]);
	rc = api(c, "GET", path, NULL, &r);
	free(path);
	if (rc == 0 && (c->opt[O_CSV] || c->json)) {
		print_raw(c, &r);
	} else if (rc == 0) {
		/* The report names its zone; a server that does not, its phase does. */
		zone_from(c, r.json);
		zone_for_phase(c, a[0]);
		teams = json_object_get(r.json, "teams");
		print_rows(c, teams, team_cols, NCOLS(team_cols));
		all = json_array();
		json_array_foreach(teams, i, t) {
			json_t *m = measured_view(t);

			if (m != NULL)
				json_array_append_new(all, m);
		}
		if (json_array_size(all) > 0) {
			fputc('\n', c->out);
			print_rows(c, all, measured_cols, NCOLS(measured_cols));
		}
		json_decref(all);
		fputc('\n', c->out);
		print_fields(c, r.json, summary, NCOLS(summary));
		/* Every exception is listed, with its reason: nothing is silently unequal. */
		all = json_array();
		json_array_foreach(teams, i, t) {
			json_array_foreach(json_object_get(t, "overrides"), j, o) {
				json_t *x = json_deep_copy(o);

				if (!json_object_get(x, "team"))
					json_object_set(x, "team", json_object_get(t, "team"));
				json_array_append_new(all, x);
			}
		}
		if (json_array_size(all) > 0) {
			fputc('\n', c->out);
			print_rows(c, all, override_cols, NCOLS(override_cols));
		}
		json_decref(all);
		/* Which team breaks which rule, and by how much. */
		all = json_array();
		json_array_foreach(teams, i, t) {
			json_array_foreach(json_object_get(t, "breaks"), j, o) {
				json_t *x = json_deep_copy(o);

				json_object_set(x, "team", json_object_get(t, "team"));
				json_array_append_new(all, x);
			}
		}
		if (json_array_size(all) > 0) {
			fputc('\n', c->out);
			print_rows(c, all, break_cols, NCOLS(break_cols));
		}
		json_decref(all);
	}
	reply_free(&r);
	return rc;
}

int
cmd_audit_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "SEQ", "seq", F_INT }, { "AT", "at", F_TIME }, { "ACTOR", "actor", F_STR },
		{ "ACTION", "action", F_STR }, { "TARGET", "target", F_STR },
		{ "REASON", "reason", F_STR },
	};

	(void)a;
	return run_list(c, path_fmt("/v1/audit"), cols, NCOLS(cols));
}

/* A 200 whose "ok" is false is a failure: exit 1 with the server's error. */
static int
verify(struct ctl *c, const char *path, const char *what)
{
	struct reply r;
	char *p = path_fmt(path);
	int rc = api(c, "GET", p, NULL, &r);

	free(p);
	if (rc == 0 && c->json)
		print_raw(c, &r);
	if (rc == 0 && !json_is_true(json_object_get(r.json, "ok"))) {
		fprintf(stderr, "grantctl: %s does not verify: %s\n", what, jstr(r.json, "error"));
		rc = EXIT_OTHER;
	} else if (rc == 0 && !c->json) {
		fprintf(c->out, "%s OK: %lld entries, head %s\n", what,
		    (long long)json_integer_value(json_object_get(r.json, "entries")),
		    jstr(r.json, "head"));
	}
	reply_free(&r);
	return rc;
}

int
cmd_audit_verify(struct ctl *c, char **a)
{
	(void)a;
	return verify(c, "/v1/audit/verify", "audit chain");
}

int
cmd_health(struct ctl *c, char **a)
{
	struct reply r;
	char *path = path_fmt("/v1/health");
	int rc = api(c, "GET", path, NULL, &r);

	(void)a;
	free(path);
	if (rc == 0 && c->json)
		print_raw(c, &r);
	else if (rc == 0)
		fprintf(c->out, "%s: %s (grantd %s)\n", c->url, jstr(r.json, "status"),
		    jstr(r.json, "version"));
	reply_free(&r);
	return rc;
}

/* Whether a list item is offered: tokens only while live. */
static bool
complete_live(const json_t *item)
{
	return strcmp(token_state(item), "live") == 0;
}

/* Prints the ids of one list, one a line; silent on any failure. */
static void
complete_ids(struct ctl *c, char *path, const char *key, bool (*want)(const json_t *))
{
	const json_t *v;
	struct reply r;
	size_t i;

	/* The largest page the server gives: completion sees every id it can. */
	path_query(&path, "limit", "1000");
	if (api_quiet(c, "GET", path, &r) == 0)
		json_array_foreach(json_object_get(r.json, "items"), i, v)
			if (json_is_string(json_object_get(v, key)) && (want == NULL || want(v)))
				fprintf(c->out, "%s\n", jstr(v, key));
	reply_free(&r);
	free(path);
}

int
cmd_complete(struct ctl *c, char **a)
{
	static const struct {
		const char *kind, *path, *key;
		bool (*want)(const json_t *);
	} kinds[] = {
		{ "teams", "/v1/teams", "id", NULL }, { "pools", "/v1/pools", "id", NULL },
		{ "programs", "/v1/programs", "id", NULL },
		{ "suppliers", "/v1/suppliers", "id", NULL },
		{ "card-models", "/v1/card-models", "id", NULL },
		{ "tokens", "/v1/tokens", "id", complete_live },
		{ "grants", "/v1/grants", "id", NULL }, { "holds", "/v1/vouchers/holds", "id", NULL },
	};
	const json_t *v;
	struct reply r;
	size_t i;

	/* Completion must never hang a shell for long. */
	if (c->timeout_s > 3)
		c->timeout_s = 3;
	/* The nodes of one pool: "__complete nodes POOL". */
	if (strcmp(a[0], "nodes") == 0) {
		if (a[1] != NULL)
			complete_ids(c, path_fmt("/v1/pools/%s/nodes", a[1]), "node", NULL);
		return 0;
	}
	if (a[1] != NULL)
		return EXIT_USAGE;
	if (strcmp(a[0], "phases") == 0) {
		char *path = path_fmt("/v1/programs?limit=1000");

		if (api_quiet(c, "GET", path, &r) == 0)
			json_array_foreach(json_object_get(r.json, "items"), i, v)
				complete_ids(c, path_fmt("/v1/programs/%s/phases", jstr(v, "id")),
				    "id", NULL);
		reply_free(&r);
		free(path);
		return 0;
	}
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (strcmp(a[0], kinds[i].kind) == 0) {
			complete_ids(c, path_fmt(kinds[i].path), kinds[i].key, kinds[i].want);
			return 0;
		}
	}
	return EXIT_USAGE;
}
