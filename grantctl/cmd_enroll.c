/* cmd_enroll.c: grantctl commands for enrollments, their lifecycle, and grants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "grantctl.h"

static const struct col grant_rows[] = {
	{ "GRANT", "id", F_STR }, { "POOL", "pool", F_STR }, { "MODEL", "card_model", F_STR },
	{ "CARDS", "cards", F_INT }, { "UNITS", "units", F_NUM }, { "START", "start", F_TIME },
	{ "END", "end", F_TIME },
};

static const struct col enrollment_cols[] = {
	{ "TEAM", "team", F_STR }, { "STATE", "state", F_STR },
	{ "START", "window.start", F_DAY }, { "END", "window.end", F_DAY },
	{ "DAYS", "window.days", F_INT }, { "UNITS", "units", F_NUM },
	{ "GRANTS", "grants", F_COUNT }, { "VOUCHER", "voucher.budget_krw", F_KRW },
};

static const struct col grant_fields[] = {
	{ "id", "id", F_STR }, { "phase", "phase", F_STR }, { "team", "team", F_STR },
	{ "pool", "pool", F_STR }, { "card model", "card_model", F_STR },
	{ "cards", "cards", F_INT }, { "units", "units", F_NUM }, { "start", "start", F_TIME },
	{ "end", "end", F_TIME }, { "planned end", "planned_end", F_TIME },
	{ "kind", "kind", F_STR },
};

/*
 * The day placement was asked to start on: the reply's "not_before" when it
 * has one, else --not-before, else the phase's first day.  Writes an RFC 3339
 * instant into buf, or returns -1 when none is known.
 */
static int
asked_start(struct ctl *c, const json_t *e, char *buf, size_t n)
{
	const char *nb = jstr(e, "not_before");
	struct reply r;
	char *path;
	int rc = -1;

	if (*nb == '\0' && c->opt[O_NOT_BEFORE])
		nb = c->opt[O_NOT_BEFORE];
	if (*nb != '\0')
		return instant_arg(c, nb, buf, n);
	path = path_fmt("/v1/phases/%s", jstr(e, "phase"));
	if (api_quiet(c, "GET", path, &r) == 0 && *jstr(r.json, "starts_on"))
		rc = instant_arg(c, jstr(r.json, "starts_on"), buf, n);
	reply_free(&r);
	free(path);
	return rc;
}

/*
 * Why the start found is later than the one asked for: the reply's
 * "delays", [{"pool", "free_cards", "until"}], one line each.
 */
static void
print_delays(struct ctl *c, const json_t *e)
{
	const json_t *delays = json_object_get(e, "delays"), *d;
	char start[64], asked[64], at[64], line[300];
	size_t i, n = json_array_size(delays);

	if (n == 0)
		return;
	fprintf(c->out, "starts %s", fmt_value(c, e, "window.start", F_TIME, start,
	    sizeof(start)));
	if (asked_start(c, e, at, sizeof(at)) == 0)
		fprintf(c->out, ", not %s", fmt_instant(c, at, false, asked, sizeof(asked)));
	fputs(n == 1 ? ": " : ":\n", c->out);
	json_array_foreach(delays, i, d)
		fprintf(c->out, "%s%s\n", n > 1 ? "  " : "", fmt_delay(c, d, line, sizeof(line)));
}

/* An enrollment (or a dry run's preview of one): its facts, why it starts late, its grants. */
static void
print_enrollment(struct ctl *c, const json_t *e)
{
	static const struct col head[] = {
		{ "team", "team", F_STR }, { "phase", "phase", F_STR },
		{ "dry run", "dry_run", F_BOOL }, { "state", "state", F_STR },
	};
	static const struct col tail[] = {
		{ "ended", "ended_at", F_TIME }, { "units", "units", F_NUM },
		{ "voucher", "voucher.budget_krw", F_KRW },
	};
	char s[32], e2[32], line[128];
	struct table *t = kv_new();

	zone_from(c, e);
	kv_fields(c, t, e, head, NCOLS(head));
	/* The window is [start, end): END is the first day after it. */
	snprintf(line, sizeof(line), "%s to %s (%lld days)",
	    fmt_value(c, e, "window.start", F_DAY, s, sizeof(s)),
	    fmt_value(c, e, "window.end", F_DAY, e2, sizeof(e2)),
	    (long long)json_integer_value(jpath(e, "window.days")));
	kv_add(t, "window", line);
	kv_fields(c, t, e, tail, NCOLS(tail));
	table_print(t, c->out);
	table_free(t);
	print_delays(c, e);
	if (json_array_size(json_object_get(e, "grants")) > 0) {
		fputc('\n', c->out);
		print_rows(c, json_object_get(e, "grants"), grant_rows, NCOLS(grant_rows));
	}
}

/* Sends and shows an enrollment-shaped reply; other shapes as plain fields. */
static int
send_enrollment(struct ctl *c, const char *method, char *path, json_t *body)
{
	struct reply r;
	int rc = api(c, method, path, body, &r);

	free(path);
	json_decref(body);
	if (rc == 0 && c->json)
		print_raw(c, &r);
	else if (rc == 0 && json_is_object(json_object_get(r.json, "window")))
		print_enrollment(c, r.json);
	else if (rc == 0)
		print_scalars(c, r.json);
	reply_free(&r);
	return rc;
}

/* "a,b,c" -> ["a","b","c"]; NULL for an empty element. */
static json_t *
split_list(const char *s)
{
	json_t *arr = json_array();
	const char *p = s;

	for (;;) {
		size_t n = strcspn(p, ",");

		if (n == 0) {
			json_decref(arr);
			return NULL;
		}
		json_array_append_new(arr, json_stringn(p, n));
		if (p[n] == '\0')
			return arr;
		p += n + 1;
	}
}

/* "pool=cards,..." -> [{"pool", "cards"}...]; NULL when malformed. */
static json_t *
split_grants(const char *s)
{
	json_t *names = split_list(s), *arr = json_array(), *v;
	size_t i;

	if (names == NULL) {
		json_decref(arr);
		return NULL;
	}
	json_array_foreach(names, i, v) {
		const char *x = json_string_value(v), *eq = strrchr(x, '=');
		int64_t cards;

		if (eq == NULL || eq == x || int_arg(eq + 1, 1, INT64_MAX, &cards) != 0) {
			json_decref(arr);
			arr = NULL;
			break;
		}
		json_array_append_new(arr, json_pack("{s:s%, s:I}", "pool", x, (size_t)(eq - x),
		    "cards", (json_int_t)cards));
	}
	json_decref(names);
	return arr;
}

int
cmd_enroll(struct ctl *c, char **a)
{
	json_t *body = json_pack("{s:s}", "team", a[1]), *v;

	if (c->opt[O_POOLS]) {
		if ((v = split_list(c->opt[O_POOLS])) == NULL) {
			json_decref(body);
			return usage_error("--pools must be POOL[,POOL...]");
		}
		json_object_set_new(body, "pools", v);
	}
	if (c->opt[O_SPLIT]) {
		if ((v = split_grants(c->opt[O_SPLIT])) == NULL) {
			json_decref(body);
			return usage_error("--split must be POOL=CARDS[,POOL=CARDS...], e.g. "
			    "kakao=512,nhn=512");
		}
		json_object_set_new(body, "grants", v);
	}
	jset_str(body, "not_before", c->opt[O_NOT_BEFORE]);
	if (c->opt[O_DRY_RUN])
		json_object_set_new(body, "dry_run", json_true());
	if (c->opt[O_OVERRIDE])
		json_object_set_new(body, "override", override_json(c));
	/* A refusal's "earliest start" is shown in the programme's zone too. */
	if (!c->json)
		zone_for_phase(c, a[0]);
	return send_enrollment(c, "POST", path_fmt("/v1/phases/%s/enrollments", a[0]), body);
}

int
cmd_enrollment_list(struct ctl *c, char **a)
{
	zone_for_phase(c, a[0]);
	return run_list(c, path_fmt("/v1/phases/%s/enrollments", a[0]), enrollment_cols,
	    NCOLS(enrollment_cols));
}

int
cmd_enrollment_show(struct ctl *c, char **a)
{
	return send_enrollment(c, "GET", path_fmt("/v1/phases/%s/enrollments/%s", a[0], a[1]),
	    NULL);
}

static int
end_enrollment(struct ctl *c, char **a, const char *how)
{
	json_t *body = json_pack("{s:s, s:s}", "effective_on", c->opt[O_ON], "reason",
	    c->opt[O_REASON]);

	return send_enrollment(c, "POST", path_fmt("/v1/phases/%s/enrollments/%s/%s", a[0], a[1],
	    how), body);
}

int
cmd_eliminate(struct ctl *c, char **a)
{
	return end_enrollment(c, a, "eliminate");
}

int
cmd_withdraw(struct ctl *c, char **a)
{
	return end_enrollment(c, a, "withdraw");
}

static const struct col extended_cols[] = {
	{ "TEAM", "team", F_STR }, { "STATE", "state", F_STR }, { "HOW", "how", F_STR },
	{ "WINDOW END", "window_end", F_TIME }, { "AFTER FROM", "after_window.start", F_TIME },
	{ "AFTER TO", "after_window.end", F_TIME },
};

int
cmd_extend(struct ctl *c, char **a)
{
	struct reply r;
	int64_t days;
	json_t *body;
	char *path;
	int rc;

	if (int_arg(c->opt[O_DAYS], 1, 100000, &days) != 0)
		return usage_error("--days must be a whole number of days");
	body = json_pack("{s:I, s:s, s:o*}", "days", (json_int_t)days, "reason", c->opt[O_REASON],
	    "override", override_json(c));
	path = path_fmt("/v1/phases/%s/extend", a[0]);
	rc = api(c, "POST", path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		zone_for_phase(c, a[0]);
		fprintf(c->out, "phase %s extended by %lld days; period now %lld days\n\n", a[0],
		    (long long)days, (long long)json_integer_value(json_object_get(r.json,
		    "period_days")));
		print_rows(c, json_object_get(r.json, "enrollments"), enrollment_cols,
		    NCOLS(enrollment_cols));
		/* Every team gets the days: in its window, or after it when it had ended. */
		fputc('\n', c->out);
		print_rows(c, json_object_get(r.json, "extended"), extended_cols,
		    NCOLS(extended_cols));
	}
	reply_free(&r);
	return rc;
}

int
cmd_compensate(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "TEAM", "team", F_STR }, { "OWED UNIT-H", "owed_unit_hours", F_NUM },
		{ "GRANT", "grant.id", F_STR }, { "POOL", "grant.pool", F_STR },
		{ "MODEL", "grant.card_model", F_STR }, { "CARDS", "grant.cards", F_INT },
		{ "START", "grant.start", F_TIME }, { "END", "grant.end", F_TIME },
	};
	json_t *body = json_pack("{s:b, s:o*}", "dry_run", c->opt[O_DRY_RUN] != NULL, "override",
	    override_json(c));
	const json_t *items;
	struct reply r;
	char *path = path_fmt("/v1/phases/%s/compensate", a[0]);
	int rc = api(c, "POST", path, body, &r);

	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		zone_for_phase(c, a[0]);
		items = json_object_get(r.json, "compensations");
		if (c->opt[O_DRY_RUN])
			fprintf(c->out, "dry run: nothing was stored\n");
		if (json_array_size(items) == 0)
			fprintf(c->out, "no make-up grants needed\n");
		else
			print_rows(c, items, cols, NCOLS(cols));
	}
	reply_free(&r);
	return rc;
}

/* Grants. */

int
cmd_grant_add(struct ctl *c, char **a)
{
	char start[64], end[64];
	int64_t cards;
	json_t *body;

	zone_for_phase(c, a[0]);
	if (instant_arg(c, c->opt[O_START], start, sizeof(start)) != 0 ||
	    instant_arg(c, c->opt[O_END], end, sizeof(end)) != 0)
		return usage_error("--start and --end must be dates (YYYY-MM-DD) or RFC 3339 "
		    "instants");
	if (int_arg(c->opt[O_CARDS], 1, INT64_MAX, &cards) != 0)
		return usage_error("--cards must be a whole number");
	body = json_pack("{s:{s:s, s:s}, s:s, s:I, s:s, s:s, s:o*}", "enrollment", "phase", a[0],
	    "team", a[1], "pool", c->opt[O_POOL], "cards", (json_int_t)cards, "start", start,
	    "end", end, "override", override_json(c));
	return run_show(c, "POST", path_fmt("/v1/grants"), body, grant_fields,
	    NCOLS(grant_fields));
}

int
cmd_grant_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "GRANT", "id", F_STR }, { "PHASE", "phase", F_STR }, { "TEAM", "team", F_STR },
		{ "POOL", "pool", F_STR }, { "MODEL", "card_model", F_STR },
		{ "CARDS", "cards", F_INT }, { "START", "start", F_TIME }, { "END", "end", F_TIME },
		{ "KIND", "kind", F_STR },
	};
	char at[64];
	char *path = path_fmt("/v1/grants");

	(void)a;
	zone_for_phase(c, c->opt[O_PHASE]);
	if (c->opt[O_AT] && instant_arg(c, c->opt[O_AT], at, sizeof(at)) != 0) {
		free(path);
		return usage_error("--at must be a date (YYYY-MM-DD) or an RFC 3339 instant");
	}
	path_query(&path, "team", c->opt[O_TEAM]);
	path_query(&path, "pool", c->opt[O_POOL]);
	path_query(&path, "phase", c->opt[O_PHASE]);
	path_query(&path, "at", c->opt[O_AT] ? at : NULL);
	return run_list(c, path, cols, NCOLS(cols));
}

int
cmd_grant_show(struct ctl *c, char **a)
{
	return run_show(c, "GET", path_fmt("/v1/grants/%s", a[0]), NULL, grant_fields,
	    NCOLS(grant_fields));
}

int
cmd_grant_release(struct ctl *c, char **a)
{
	char at[64];
	int64_t t;
	json_t *body;

	/* A date means midnight in the grant's programme: find the programme first. */
	if (civil_parse_instant(c->opt[O_AT], &t) != 0 && !c->tz_fixed) {
		struct reply r;
		char *path = path_fmt("/v1/grants/%s", a[0]);

		if (api_quiet(c, "GET", path, &r) == 0)
			zone_for_phase(c, jstr(r.json, "phase"));
		reply_free(&r);
		free(path);
	}
	if (instant_arg(c, c->opt[O_AT], at, sizeof(at)) != 0)
		return usage_error("--at must be a date (YYYY-MM-DD) or an RFC 3339 instant");
	body = json_pack("{s:s, s:s, s:o*}", "at", at, "reason", c->opt[O_REASON], "override",
	    override_json(c));
	return run_show(c, "POST", path_fmt("/v1/grants/%s/release", a[0]), body, grant_fields,
	    NCOLS(grant_fields));
}

/*
 * One row per team judged: the evaluation's id, dates and reason, then the
 * result.  ENROLLED "no" is an applicant never enrolled in the phase (one
 * not selected, or chosen before it enrolled), which APPLIED "none" alone
 * does not tell from an enrolled team that advanced.
 */
static const struct col evaluation_cols[] = {
	{ "EVALUATION", "id", F_STR }, { "HELD ON", "held_on", F_STR },
	{ "EFFECTIVE ON", "effective_on", F_STR }, { "TEAM", "team", F_STR },
	{ "ENROLLED", "enrolled", F_BOOL }, { "DECISION", "decision", F_STR },
	{ "SCORE", "score", F_NUM }, { "APPLIED", "applied", F_STR },
	{ "NOTE", "note", F_STR }, { "REASON", "reason", F_STR },
};

/* The rows of evaluation_cols: each result with its evaluation's fields. */
static json_t *
evaluation_rows(const json_t *evals)
{
	json_t *rows = json_array(), *e, *r, *x;
	size_t i, j;

	json_array_foreach(evals, i, e) {
		json_array_foreach(json_object_get(e, "results"), j, r) {
			x = json_deep_copy(r);
			json_object_set(x, "id", json_object_get(e, "id"));
			json_object_set(x, "held_on", json_object_get(e, "held_on"));
			json_object_set(x, "effective_on", json_object_get(e, "effective_on"));
			json_object_set(x, "reason", json_object_get(e, "reason"));
			json_array_append_new(rows, x);
		}
	}
	return rows;
}

/* Each --note TEAM=TEXT onto the result of TEAM; EXIT_USAGE for one no --result judges. */
static int
evaluation_notes(const struct ctl *c, json_t *results)
{
	for (int i = 0; i < c->nnotes; i++) {
		const char *s = c->notes[i], *eq = strchr(s, '=');
		json_t *one = NULL, *r;
		size_t k;

		if (eq == NULL || eq == s || eq[1] == '\0')
			return usage_error("--note must be TEAM=TEXT, e.g. 'trillion-labs=not "
			    "chosen in the repechage'");
		json_array_foreach(results, k, r) {
			const char *team = json_string_value(json_object_get(r, "team"));

			if (strlen(team) == (size_t)(eq - s) && strncmp(team, s, (size_t)(eq - s)) == 0)
				one = r;
		}
		if (one == NULL)
			return usage_error("--note '%.*s': no --result judges that team", (int)(eq - s),
			    s);
		if (json_object_get(one, "note") != NULL)
			return usage_error("--note '%.*s' given twice", (int)(eq - s), s);
		if (json_object_set_new(one, "note", json_string(eq + 1)) != 0)
			return usage_error("--note '%.*s': the text must be UTF-8", (int)(eq - s), s);
	}
	return 0;
}

int
cmd_evaluation_record(struct ctl *c, char **a)
{
	json_t *results = json_array(), *body, *one;
	struct reply r;
	char *path;
	int rc;

	for (int i = 0; i < c->nresults; i++) {
		const char *s = c->results[i], *eq = strchr(s, '='), *colon;
		char decision[16];
		size_t dl;

		colon = eq ? strchr(eq + 1, ':') : NULL;
		dl = eq ? (colon ? (size_t)(colon - eq - 1) : strlen(eq + 1)) : 0;
		if (eq == NULL || eq == s || dl == 0 || dl >= sizeof(decision)) {
			json_decref(results);
			return usage_error("--result must be TEAM=advance|eliminate[:SCORE], e.g. "
			    "'motif=advance:91.5'");
		}
		memcpy(decision, eq + 1, dl);
		decision[dl] = '\0';
		one = json_pack("{s:s%, s:s}", "team", s, (size_t)(eq - s), "decision", decision);
		if (colon) {
			char *end;
			double v = strtod(colon + 1, &end);

			if (*end != '\0' || end == colon + 1) {
				json_decref(one);
				json_decref(results);
				return usage_error("--result's SCORE must be a number");
			}
			json_object_set_new(one, "score", json_real(v));
		}
		json_array_append_new(results, one);
	}
	if ((rc = evaluation_notes(c, results)) != 0) {
		json_decref(results);
		return rc;
	}
	body = json_pack("{s:s, s:s, s:o}", "held_on", c->opt[O_ON], "reason", c->opt[O_REASON],
	    "results", results);
	jset_str(body, "effective_on", c->opt[O_EFFECTIVE_ON]);
	path = path_fmt("/v1/phases/%s/evaluations", a[0]);
	rc = api(c, "POST", path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		json_t *one_eval = json_pack("[O]", r.json), *rows = evaluation_rows(one_eval);

		print_rows(c, rows, evaluation_cols, NCOLS(evaluation_cols));
		json_decref(rows);
		json_decref(one_eval);
	}
	reply_free(&r);
	return rc;
}

int
cmd_evaluation_list(struct ctl *c, char **a)
{
	struct reply r;
	char *path = path_fmt("/v1/phases/%s/evaluations", a[0]);
	int rc = api(c, "GET", path, NULL, &r);

	free(path);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		json_t *rows = evaluation_rows(json_object_get(r.json, "items"));

		print_rows(c, rows, evaluation_cols, NCOLS(evaluation_cols));
		json_decref(rows);
	}
	reply_free(&r);
	return rc;
}
