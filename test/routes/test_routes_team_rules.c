/* test_routes_team_rules.c: fairness across teams: dates, one enrollment a team, extensions. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "timers.h"

/*
 * The rules of the amendment "Fairness across teams" (api-v1.md) and of
 * domain.md's "Fairness, precisely" (rule 2), seen through the routes:
 *
 *	1. the default not_before is the later of starts_on and today's local
 *	   date; an explicit one before today needs an override (equal_period);
 *	2. a team holds one enrollment of a programme at a time, and one that
 *	   was eliminated or withdrew is not enrolled again, without an
 *	   override (one_enrollment); advancing to a later stage needs none;
 *	3. a grant added by hand before the local day of the enrollment needs
 *	   an override (equal_period);
 *	4. each team has its own evaluation date: a late team's is as many
 *	   days later as its window (evaluation_date);
 *	5. extend gives the days to every enrollment neither eliminated nor
 *	   withdrawn, a completed one after its window, all or none; the
 *	   report compares those days as the days of its period after the
 *	   window, and a reminder moves with the evaluation date;
 *	6. compensate keeps to the evaluation date too.
 *
 * Every test starts from a fresh database made by setup(): programmes p and
 * q, both in Asia/Seoul (UTC+9), and teams alpha, beta, gamma and delta.
 * Each test adds its pools and phases.  A local date D in Seoul begins at
 * D-1T15:00:00Z.  FX_NOW, 2026-03-01T00:00:00Z, is 2026-03-01 09:00 KST.
 */
static struct fx F;

#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)

static void
setup(void)
{
	fx_open(&F);
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"Asia/Seoul\"}", 201);
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"q\",\"name\":\"Q\","
	    "\"timezone\":\"Asia/Seoul\"}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"alpha\",\"name\":\"Alpha\","
	    "\"lead_org\":\"Alpha Org\"}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"beta\",\"name\":\"Beta\","
	    "\"lead_org\":\"Beta Org\"}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"gamma\",\"name\":\"Gamma\","
	    "\"lead_org\":\"Gamma Org\"}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"delta\",\"name\":\"Delta\","
	    "\"lead_org\":\"Delta Org\"}", 201);
}

static void
teardown(void)
{
	fx_close(&F);
}

static char *
dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

static void
pool(const char *id, int cards)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":%d}", id, cards);
	fx_must(&F, "POST", "/v1/pools", body, 201);
}

/* A phase of 8 B200 cards (8 units); eval: its evaluation_on, or NULL. */
static void
phase(const char *program, const char *id, const char *starts_on, int days, const char *eval)
{
	char body[400], path[64], ev[64] = "";

	if (eval)
		snprintf(ev, sizeof(ev), ",\"evaluation_on\":\"%s\"", eval);
	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Phase %s\",\"starts_on\":\"%s\","
	    "\"period_days\":%d%s,\"package\":{\"card_model\":\"B200\",\"cards\":8,"
	    "\"voucher_krw\":1000000}}", id, id, starts_on, days, ev);
	snprintf(path, sizeof(path), "/v1/programs/%s/phases", program);
	fx_must(&F, "POST", path, body, 201);
}

/* A request by the admin at the instant now (0: FX_NOW). */
static struct response
req_at(const char *method, const char *path, const char *body, int64_t now)
{
	struct fx_rq in = { .method = method, .path = path, .token = F.admin, .body = body,
		.now = now };

	return fx_call(&F, &in);
}

/* POST /v1/phases/{ph}/enrollments {"team": team<more>} at now; more is JSON members or "". */
static struct response
enroll(const char *ph, const char *team, const char *more, int64_t now)
{
	char path[96], body[600];

	snprintf(path, sizeof(path), "/v1/phases/%s/enrollments", ph);
	snprintf(body, sizeof(body), "{\"team\":\"%s\"%s%s}", team, more[0] ? "," : "", more);
	return req_at("POST", path, body, now);
}

/* The same, which must answer status; returns the reply for more checks. */
static struct response
enroll_ok(const char *ph, const char *team, const char *more, int64_t now, int status)
{
	struct response rs = enroll(ph, team, more, now);
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == status, "enroll %s in %s (%s): %d %s", team, ph, more,
	    rs.status, d);
	free(d);
	return rs;
}

static struct response
add_grant(const char *ph, const char *team, const char *pool_id, int cards, const char *start,
    const char *end, const char *override, int64_t now)
{
	char body[600], ov[200] = "";

	if (override)
		snprintf(ov, sizeof(ov), ",\"override\":{\"reason\":\"%s\"}", override);
	snprintf(body, sizeof(body), "{\"enrollment\":{\"phase\":\"%s\",\"team\":\"%s\"},"
	    "\"pool\":\"%s\",\"cards\":%d,\"start\":\"%s\",\"end\":\"%s\"%s}", ph, team, pool_id,
	    cards, start, end, ov);
	return req_at("POST", "/v1/grants", body, now);
}

static void
outage(const char *pool_id, const char *from, const char *to, int cards)
{
	char body[200], path[64];

	snprintf(path, sizeof(path), "/v1/pools/%s/outages", pool_id);
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":%d,"
	    "\"reason\":\"maintenance\"}", from, to, cards);
	fx_must(&F, "POST", path, body, 201);
}

/* The items of a list route (a GET by the admin); caller decrefs. */
static json_t *
items(const char *path)
{
	struct response rs = fx_get(&F, path);
	json_t *it;

	ck_assert_msg(rs.status == 200, "GET %s: %d", path, rs.status);
	it = json_incref(fx_at(rs.json, "items"));
	ck_assert_ptr_nonnull(it);
	response_clear(&rs);
	return it;
}

/* The items of a list route as compact JSON text; caller frees. */
static char *
items_dump(const char *path)
{
	json_t *it = items(path);
	char *s = dump(it);

	json_decref(it);
	return s;
}

static size_t
nitems(const char *path)
{
	json_t *it = items(path);
	size_t n = json_array_size(it);

	json_decref(it);
	return n;
}

/* The first column of the first row as text, on the reader; caller frees. */
static char *
qtext(const char *sql)
{
	sqlite3_stmt *st;
	char *s = NULL;

	ck_assert_msg(sqlite3_prepare_v2(db_handle(F.app.r), sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db_handle(F.app.r)));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s ? s : strdup("");
}

/*
 * Everything a refused request could have written: grants, enrollments
 * (state, window, extra days), phases (period, extensions), overrides,
 * ledger transfers and the audit trail's length, plus what the routes
 * show of every enrollment and grant.  Equal fingerprints: nothing changed.
 */
static char *
fingerprint(void)
{
	char *sql = qtext("SELECT coalesce((SELECT group_concat(r, ';') FROM (SELECT id || ':' || "
	    "enrollment || ':' || pool || ':' || cards || ':' || start || ':' || end || ':' || "
	    "planned_end || ':' || kind || ':' || cancelled AS r FROM grants ORDER BY id)), '') || "
	    "'|' || coalesce((SELECT group_concat(r, ';') FROM (SELECT id || ':' || state || ':' "
	    "|| window_start || ':' || window_end || ':' || extra_days AS r FROM enrollments "
	    "ORDER BY id)), '') || '|' || coalesce((SELECT group_concat(r, ';') FROM (SELECT id "
	    "|| ':' || period_days || ':' || extended_days AS r FROM phases ORDER BY id)), '') || "
	    "'|' || (SELECT count(*) FROM overrides) || '|' || (SELECT count(*) FROM "
	    "ledger_transfers) || '|' || (SELECT count(*) FROM audit)");
	char *gs = items_dump("/v1/grants?limit=1000"), *out;
	size_t len = strlen(sql) + strlen(gs) + 2;

	out = malloc(len);
	ck_assert_ptr_nonnull(out);
	snprintf(out, len, "%s|%s", sql, gs);
	free(sql);
	free(gs);
	return out;
}

/*
 * A 409 fairness_violation whose violations are exactly the rules listed
 * (in order, NULL-terminated in rules[]), each detail holding the matching
 * substring of needles[] (NULL: not checked).
 */
static void
check_violations(const struct response *rs, const char *const *rules,
    const char *const *needles)
{
	json_t *v = fx_at(rs->json, "violations");
	char *d = dump(rs->json);
	size_t n = 0;

	ck_assert_msg(rs->status == 409, "status %d: %s", rs->status, d);
	ck_assert_msg(strcmp(fx_code(rs), "fairness_violation") == 0, "code %s: %s",
	    fx_code(rs), d);
	while (rules[n])
		n++;
	ck_assert_msg(json_array_size(v) == n, "%zu violations, want %zu: %s",
	    json_array_size(v), n, d);
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(v, i);

		ck_assert_msg(strcmp(fx_str(x, "rule"), rules[i]) == 0, "violation %zu is %s, "
		    "want %s: %s", i, fx_str(x, "rule"), rules[i], d);
		ck_assert_msg(needles[i] == NULL || strstr(fx_str(x, "detail"), needles[i]),
		    "violation %zu's detail \"%s\" lacks \"%s\"", i, fx_str(x, "detail"),
		    needles[i]);
	}
	/* The problem's own detail is the first violation's. */
	ck_assert_msg(strstr(fx_detail(rs), fx_str(json_array_get(v, 0), "detail")) != NULL,
	    "detail \"%s\"", fx_detail(rs));
	free(d);
}

/* One violation of rule, its detail holding each of up to three substrings. */
static void
check_one(const struct response *rs, const char *rule, const char *a, const char *b,
    const char *c)
{
	const char *rules[] = { rule, NULL };
	const char *needles[] = { a };
	const char *detail = fx_str(json_array_get(fx_at(rs->json, "violations"), 0), "detail");

	check_violations(rs, rules, needles);
	ck_assert_msg(b == NULL || strstr(detail, b), "detail \"%s\" lacks \"%s\"", detail, b);
	ck_assert_msg(c == NULL || strstr(detail, c), "detail \"%s\" lacks \"%s\"", detail, c);
}

/* The request refused as check_one says, and nothing changed. */
#define REFUSED(call, rule, a, b, c) do {					\
	char *before_ = fingerprint(), *after_;				\
	struct response rs_ = (call);						\
									\
	check_one(&rs_, rule, a, b, c);					\
	after_ = fingerprint();						\
	ck_assert_msg(strcmp(before_, after_) == 0, "refused but changed: %s -> %s", \
	    before_, after_);						\
	free(before_);							\
	free(after_);							\
	response_clear(&rs_);						\
} while (0)

/* The number of overrides of rule listed in the phase's fairness report (all, or team's row). */
static size_t
report_overrides(const char *ph, const char *team, const char *rule, const char *reason)
{
	char path[96];
	struct response rs;
	json_t *list = NULL, *row, *o;
	size_t i, n = 0;

	snprintf(path, sizeof(path), "/v1/phases/%s/fairness", ph);
	rs = fx_get(&F, path);
	ck_assert_int_eq(rs.status, 200);
	if (team == NULL) {
		list = fx_at(rs.json, "overrides");
	} else {
		json_array_foreach(fx_at(rs.json, "teams"), i, row)
			if (strcmp(fx_str(row, "team"), team) == 0)
				list = fx_at(row, "overrides");
	}
	ck_assert_ptr_nonnull(list);
	json_array_foreach(list, i, o)
		if (strcmp(fx_str(o, "rule"), rule) == 0 &&
		    (reason == NULL || strcmp(fx_str(o, "reason"), reason) == 0))
			n++;
	response_clear(&rs);
	return n;
}

/* ------------------------------------------------------------ 1. not_before */

/*
 * ph starts on 2026-02-01, four weeks before now.  Now is 2026-03-01T16:00Z:
 * still March 1st in UTC, but already 2026-03-02 01:00 in Seoul.
 */
#define NOW_LOCAL_02 (FX_NOW + 16 * HOUR)

START_TEST(default_not_before_is_today)
{
	struct response rs;
	char *d;

	pool("b1", 32);
	phase("p", "ph", "2026-02-01", 10, NULL);
	rs = enroll_ok("ph", "alpha", "", NOW_LOCAL_02, 201);
	d = dump(rs.json);
	/* Today in Seoul, not the phase's start and not the UTC date. */
	ck_assert_msg(strcmp(fx_str(rs.json, "window.start"), "2026-03-01T15:00:00Z") == 0, "%s",
	    d);
	ck_assert_str_eq(fx_str(rs.json, "window.start_date"), "2026-03-02");
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-11T15:00:00Z");
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "window.days")), 10);
	ck_assert_ptr_null(fx_at(rs.json, "overridden"));
	free(d);
	response_clear(&rs);
	/* A dry run says the same. */
	rs = enroll_ok("ph", "beta", "\"dry_run\":true", NOW_LOCAL_02, 200);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-03-01T15:00:00Z");
	response_clear(&rs);
	/* A phase that starts after today still starts on its starts_on. */
	phase("p", "later", "2026-04-01", 10, NULL);
	rs = enroll_ok("later", "gamma", "", NOW_LOCAL_02, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start_date"), "2026-04-01");
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-03-31T15:00:00Z");
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "overrides"), 0);
}
END_TEST

START_TEST(explicit_not_before_in_the_past)
{
	struct response rs;
	json_t *v;

	pool("b1", 32);
	phase("p", "ph", "2026-02-01", 10, NULL);
	/* Refused: days that already passed; nothing is stored. */
	REFUSED(enroll("ph", "alpha", "\"not_before\":\"2026-02-10\"", NOW_LOCAL_02),
	    "equal_period", "team 'alpha'", "2026-02-10", "2026-03-02");
	ck_assert_uint_eq(nitems("/v1/phases/ph/enrollments"), 0);
	ck_assert_uint_eq(nitems("/v1/grants?phase=ph"), 0);
	/* Yesterday (local) is in the past too; today is not. */
	REFUSED(enroll("ph", "alpha", "\"not_before\":\"2026-03-01\"", NOW_LOCAL_02),
	    "equal_period", "2026-03-01", "2026-03-02", NULL);
	rs = enroll_ok("ph", "beta", "\"not_before\":\"2026-03-02\"", NOW_LOCAL_02, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-03-01T15:00:00Z");
	ck_assert_ptr_null(fx_at(rs.json, "overridden"));
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "overrides"), 0);

	/* With an override it is applied, and the override is reported. */
	rs = enroll_ok("ph", "alpha", "\"not_before\":\"2026-02-10\","
	    "\"override\":{\"reason\":\"chosen on 02-10, told late\"}", NOW_LOCAL_02, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-02-09T15:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "window.start_date"), "2026-02-10");
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "window.days")), 10);
	v = fx_at(rs.json, "overridden");
	ck_assert_uint_eq(json_array_size(v), 1);
	ck_assert_str_eq(fx_str(json_array_get(v, 0), "rule"), "equal_period");
	response_clear(&rs);
	ck_assert_uint_eq(nitems("/v1/phases/ph/enrollments"), 2);
	ck_assert_uint_eq(report_overrides("ph", NULL, "equal_period",
	    "chosen on 02-10, told late"), 1);
	ck_assert_uint_eq(report_overrides("ph", "alpha", "equal_period",
	    "chosen on 02-10, told late"), 1);
	ck_assert_uint_eq(report_overrides("ph", "beta", "equal_period", NULL), 0);
	ck_assert_str_eq(fx_audit_last(&F).action, "enrollment.create");
	fx_audit_verify(&F);
}
END_TEST

/* ------------------------------------------------- 2. one enrollment a team */

/*
 * s1 and s2 are stages of programme p: s1 from 2026-03-01 for 10 days, s2
 * from 2026-03-05.  alpha is enrolled in s1 at FX_NOW: its window,
 * [03-01, 03-11) local, is running.
 */
static void
stages(void)
{
	struct response rs;

	pool("b1", 64);
	phase("p", "s1", "2026-03-01", 10, NULL);
	phase("p", "s2", "2026-03-05", 10, NULL);
	rs = enroll_ok("s1", "alpha", "", 0, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-02-28T15:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-10T15:00:00Z");
	response_clear(&rs);
}

START_TEST(one_enrollment_at_a_time)
{
	struct response rs;

	stages();
	/* s2 by default from its starts_on, 03-05: inside alpha's s1 window. */
	REFUSED(enroll("s2", "alpha", "", 0), "one_enrollment", "phase 's1'", "team 'alpha'",
	    "may start at 2026-03-11 00:00 KST");
	/* Any overlap at all, even one day. */
	REFUSED(enroll("s2", "alpha", "\"not_before\":\"2026-03-10\"", 0), "one_enrollment",
	    "phase 's1'", NULL, NULL);
	ck_assert_uint_eq(nitems("/v1/phases/s2/enrollments"), 0);
	ck_assert_uint_eq(nitems("/v1/grants?team=alpha"), 1);
	/* From the end of the s1 window on: advancing needs no override. */
	rs = enroll_ok("s2", "alpha", "\"not_before\":\"2026-03-11\"", 0, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-03-10T15:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "state"), "active");
	ck_assert_ptr_null(fx_at(rs.json, "overridden"));
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "overrides"), 0);
	ck_assert_uint_eq(nitems("/v1/grants?team=alpha"), 2);
}
END_TEST

START_TEST(one_enrollment_overlap_overridden)
{
	struct response rs;
	json_t *v;

	stages();
	rs = enroll_ok("s2", "alpha", "\"override\":{\"reason\":\"both stages at once\"}", 0,
	    201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-03-04T15:00:00Z");
	v = fx_at(rs.json, "overridden");
	ck_assert_uint_eq(json_array_size(v), 1);
	ck_assert_str_eq(fx_str(json_array_get(v, 0), "rule"), "one_enrollment");
	response_clear(&rs);
	ck_assert_uint_eq(report_overrides("s2", "alpha", "one_enrollment",
	    "both stages at once"), 1);
}
END_TEST

START_TEST(eliminated_not_enrolled_again)
{
	struct response rs;
	json_t *v;

	stages();
	fx_must(&F, "POST", "/v1/phases/s1/enrollments", "{\"team\":\"beta\"}", 201);
	fx_must(&F, "POST", "/v1/phases/s1/enrollments/beta/eliminate",
	    "{\"effective_on\":\"2026-03-05\",\"reason\":\"ranked last\"}", 200);
	/* After the window it would have had, and after the elimination: still refused. */
	REFUSED(enroll("s2", "beta", "\"not_before\":\"2026-03-11\"", 0), "one_enrollment",
	    "team 'beta'", "eliminated", "phase 's1'");
	/* Also from the day it left s1. */
	REFUSED(enroll("s2", "beta", "", 0), "one_enrollment", "eliminated", NULL, NULL);
	ck_assert_uint_eq(nitems("/v1/phases/s2/enrollments"), 0);
	/* A team that withdrew likewise. */
	fx_must(&F, "POST", "/v1/phases/s1/enrollments", "{\"team\":\"gamma\"}", 201);
	fx_must(&F, "POST", "/v1/phases/s1/enrollments/gamma/withdraw",
	    "{\"effective_on\":\"2026-03-03\",\"reason\":\"left\"}", 200);
	REFUSED(enroll("s2", "gamma", "\"not_before\":\"2026-03-11\"", 0), "one_enrollment",
	    "team 'gamma'", "withdrawn", NULL);
	/* With an override it is enrolled. */
	rs = enroll_ok("s2", "beta", "\"not_before\":\"2026-03-11\","
	    "\"override\":{\"reason\":\"appeal upheld\"}", 0, 201);
	v = fx_at(rs.json, "overridden");
	ck_assert_uint_eq(json_array_size(v), 1);
	ck_assert_str_eq(fx_str(json_array_get(v, 0), "rule"), "one_enrollment");
	response_clear(&rs);
	ck_assert_uint_eq(nitems("/v1/phases/s2/enrollments"), 1);
	ck_assert_uint_eq(report_overrides("s2", "beta", "one_enrollment", "appeal upheld"), 1);
}
END_TEST

START_TEST(other_programme_not_affected)
{
	struct response rs;

	stages();
	phase("q", "q1", "2026-03-01", 10, NULL);
	/* alpha's running s1 enrollment is of programme p: q1 overlaps it, and that is fine. */
	rs = enroll_ok("q1", "alpha", "", 0, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-02-28T15:00:00Z");
	ck_assert_ptr_null(fx_at(rs.json, "overridden"));
	response_clear(&rs);
	/* A team eliminated in p may be enrolled in q. */
	fx_must(&F, "POST", "/v1/phases/s1/enrollments", "{\"team\":\"beta\"}", 201);
	fx_must(&F, "POST", "/v1/phases/s1/enrollments/beta/eliminate",
	    "{\"effective_on\":\"2026-03-05\",\"reason\":\"ranked last\"}", 200);
	rs = enroll_ok("q1", "beta", "", 0, 201);
	ck_assert_ptr_null(fx_at(rs.json, "overridden"));
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "overrides"), 0);
	/* But within q, one at a time still holds. */
	phase("q", "q2", "2026-03-05", 10, NULL);
	REFUSED(enroll("q2", "alpha", "", 0), "one_enrollment", "phase 'q1'", NULL, NULL);
}
END_TEST

/* --------------------------------------- 3. grant before the enrollment's day */

START_TEST(grant_before_enrollment_day)
{
	struct response rs;

	pool("b1", 32);
	phase("p", "ph", "2026-02-20", 20, NULL);
	/*
	 * alpha, enrolled at FX_NOW (2026-03-01 local) from 02-20 by an
	 * override, holds 4 of its 8 cards (a short split, overridden too):
	 * window [02-20, 03-12) local.
	 */
	rs = enroll_ok("ph", "alpha", "\"not_before\":\"2026-02-20\",\"grants\":[{\"pool\":\"b1\","
	    "\"cards\":4}],\"override\":{\"reason\":\"late paperwork, half a team\"}", 0, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-02-19T15:00:00Z");
	ck_assert_uint_eq(json_array_size(fx_at(rs.json, "overridden")), 2);
	response_clear(&rs);
	ck_assert_uint_eq(nitems("/v1/grants?team=alpha"), 1);

	/* 4 cards more from 02-25 local: inside the window, before the day of enrollment. */
	REFUSED(add_grant("ph", "alpha", "b1", 4, "2026-02-24T15:00:00Z", "2026-02-28T15:00:00Z",
	    NULL, 0), "equal_period", "team 'alpha'", "before the day", "2026-02-24T15:00:00Z");
	/* Up to the day itself also starts before it. */
	REFUSED(add_grant("ph", "alpha", "b1", 4, "2026-02-28T14:00:00Z", "2026-03-05T00:00:00Z",
	    NULL, 0), "equal_period", "before the day", NULL, NULL);
	ck_assert_uint_eq(nitems("/v1/grants?team=alpha"), 1);

	/* From the local day of enrollment on, the top-up needs no override. */
	rs = add_grant("ph", "alpha", "b1", 4, "2026-02-28T15:00:00Z", "2026-03-05T00:00:00Z",
	    NULL, 0);
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "kind"), "manual");
	response_clear(&rs);

	/* With an override the earlier days are granted too. */
	rs = add_grant("ph", "alpha", "b1", 4, "2026-02-24T15:00:00Z", "2026-02-28T15:00:00Z",
	    "back-dated top-up", 0);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_str_eq(fx_str(rs.json, "start"), "2026-02-24T15:00:00Z");
	response_clear(&rs);
	ck_assert_uint_eq(nitems("/v1/grants?team=alpha"), 3);
	ck_assert_uint_eq(report_overrides("ph", "alpha", "equal_period", "back-dated top-up"),
	    1);
	ck_assert_str_eq(fx_audit_last(&F).action, "grant.create");
}
END_TEST

/* ------------------------------------------------------ 4. evaluation dates */

/*
 * ev: from 2026-03-01, 10 days, evaluated on 2026-03-15.  alpha on pool b1
 * from 03-01 (window [03-01, 03-11) local, evaluation 03-15), beta on pool
 * b2 from 03-04 (window [03-04, 03-14), evaluation 03-18: three days later).
 * An outage takes all 8 cards of each for a day inside its window, so each
 * team is owed 8 x 24 = 192 unit-hours: a make-up of 8 cards for 24 hours
 * breaks no rule but, perhaps, the evaluation date.
 */
static void
evaluation_world(void)
{
	struct response rs;

	pool("b1", 8);
	pool("b2", 8);
	phase("p", "ev", "2026-03-01", 10, "2026-03-15");
	rs = enroll_ok("ev", "alpha", "\"grants\":[{\"pool\":\"b1\",\"cards\":8}]", 0, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-10T15:00:00Z");
	response_clear(&rs);
	rs = enroll_ok("ev", "beta", "\"not_before\":\"2026-03-04\",\"grants\":[{\"pool\":\"b2\","
	    "\"cards\":8}]", 0, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-03-03T15:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-13T15:00:00Z");
	response_clear(&rs);
	outage("b1", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 8);
	outage("b2", "2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z", 8);
}

START_TEST(makeup_by_hand_and_evaluation_date)
{
	struct response rs;

	evaluation_world();
	/* alpha: a make-up from 03-14 12:00 to 03-15 12:00 local runs past 03-15. */
	REFUSED(add_grant("ev", "alpha", "b1", 8, "2026-03-14T03:00:00Z", "2026-03-15T03:00:00Z",
	    NULL, 0), "evaluation_date", "team 'alpha'", "evaluation date 2026-03-15", NULL);
	/* beta's date is three days later: the same hours are fine for it. */
	rs = add_grant("ev", "beta", "b2", 8, "2026-03-14T03:00:00Z", "2026-03-15T03:00:00Z", NULL,
	    0);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_str_eq(fx_str(rs.json, "kind"), "compensation");
	response_clear(&rs);
	/* alpha's make-up ending at its evaluation date, 03-15 00:00 local, is fine. */
	rs = add_grant("ev", "alpha", "b1", 8, "2026-03-13T15:00:00Z", "2026-03-14T15:00:00Z", NULL,
	    0);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_str_eq(fx_str(rs.json, "kind"), "compensation");
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "overrides"), 0);
}
END_TEST

START_TEST(late_team_evaluated_later)
{
	struct response rs;

	evaluation_world();
	/* beta: one hour past 03-18 00:00 local, its own date. */
	REFUSED(add_grant("ev", "beta", "b2", 8, "2026-03-16T16:00:00Z", "2026-03-17T16:00:00Z",
	    NULL, 0), "evaluation_date", "team 'beta'", "evaluation date 2026-03-18", NULL);
	/* alpha, whose date is 03-15, cannot have those days at all. */
	REFUSED(add_grant("ev", "alpha", "b1", 8, "2026-03-16T15:00:00Z", "2026-03-17T15:00:00Z",
	    NULL, 0), "evaluation_date", "team 'alpha'", "evaluation date 2026-03-15", NULL);
	/* beta up to 03-18 00:00 local: three days after alpha's date, and fine. */
	rs = add_grant("ev", "beta", "b2", 8, "2026-03-16T15:00:00Z", "2026-03-17T15:00:00Z", NULL,
	    0);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);
	/* Overridden, alpha's late make-up is granted and reported. */
	rs = add_grant("ev", "alpha", "b1", 8, "2026-03-16T15:00:00Z", "2026-03-17T15:00:00Z",
	    "evaluation panel agreed", 0);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);
	ck_assert_uint_eq(report_overrides("ev", "alpha", "evaluation_date",
	    "evaluation panel agreed"), 1);
	ck_assert_uint_eq(report_overrides("ev", "beta", "evaluation_date", NULL), 0);
}
END_TEST

/* -------------------------------------------------------------- 5. extend */

/*
 * x: from 2026-03-01, 10 days, on pool b1 of `cards` B200.  alpha from
 * 03-01 (window [03-01, 03-11) local), beta from 03-06 ([03-06, 03-16)),
 * gamma from 03-01 and eliminated on 03-05.  The clock then moves to
 * LATER, 2026-03-12 09:00 local: alpha's window is over, and the timers
 * complete it.
 */
#define LATER (FX_NOW + 11 * DAY)

static void
extend_world(int cards)
{
	struct response rs;

	pool("b1", cards);
	phase("p", "x", "2026-03-01", 10, NULL);
	fx_must(&F, "POST", "/v1/phases/x/enrollments", "{\"team\":\"alpha\"}", 201);
	fx_must(&F, "POST", "/v1/phases/x/enrollments", "{\"team\":\"gamma\"}", 201);
	fx_must(&F, "POST", "/v1/phases/x/enrollments/gamma/eliminate",
	    "{\"effective_on\":\"2026-03-05\",\"reason\":\"ranked last\"}", 200);
	fx_must(&F, "POST", "/v1/phases/x/enrollments", "{\"team\":\"beta\","
	    "\"not_before\":\"2026-03-06\"}", 201);
	fx_run_timers(&F, LATER);
	rs = fx_get(&F, "/v1/phases/x/enrollments/alpha");
	ck_assert_str_eq(fx_str(rs.json, "state"), "completed");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/x/enrollments/beta");
	ck_assert_str_eq(fx_str(rs.json, "state"), "active");
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-15T15:00:00Z");
	response_clear(&rs);
}

/* The item of team in an extend reply's "extended", or NULL. */
static json_t *
extended_of(const struct response *rs, const char *team)
{
	json_t *x;
	size_t i;

	json_array_foreach(fx_at(rs->json, "extended"), i, x)
		if (strcmp(fx_str(x, "team"), team) == 0)
			return x;
	return NULL;
}

/* How many of team's grants in phase x are of kind. */
static size_t
grants_of_kind(const char *team, const char *kind, json_t **last)
{
	char path[96];
	json_t *it, *g;
	size_t i, n = 0;

	snprintf(path, sizeof(path), "/v1/grants?phase=x&team=%s", team);
	it = items(path);
	json_array_foreach(it, i, g) {
		if (strcmp(fx_str(g, "kind"), kind) != 0)
			continue;
		n++;
		if (last) {
			json_decref(*last);
			*last = json_deep_copy(g);
		}
	}
	json_decref(it);
	return n;
}

START_TEST(extend_completed_and_active)
{
	struct response rs;
	json_t *a, *b, *g = NULL;
	char *d, *gamma_before, *gamma_after, path[96];
	int64_t start, end;

	extend_world(32);
	gamma_before = items_dump("/v1/grants?phase=x&team=gamma");
	rs = req_at("POST", "/v1/phases/x/extend", "{\"days\":3,\"reason\":\"late hardware\"}",
	    LATER);
	d = dump(rs.json);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, d);
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "days")), 3);
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "period_days")), 13);
	/* Both teams not eliminated, and only they. */
	ck_assert_msg(json_array_size(fx_at(rs.json, "extended")) == 2, "%s", d);
	ck_assert_ptr_null(extended_of(&rs, "gamma"));
	/* alpha, completed: the days after its window, from tomorrow (03-13 local). */
	ck_assert_ptr_nonnull(a = extended_of(&rs, "alpha"));
	ck_assert_str_eq(fx_str(a, "how"), "after_window");
	ck_assert_str_eq(fx_str(a, "state"), "completed");
	ck_assert_str_eq(fx_str(a, "after_window.start"), "2026-03-12T15:00:00Z");
	ck_assert_str_eq(fx_str(a, "after_window.end"), "2026-03-15T15:00:00Z");
	ck_assert(civil_parse_instant(fx_str(a, "after_window.start"), &start) == 0);
	ck_assert(civil_parse_instant(fx_str(a, "after_window.end"), &end) == 0);
	ck_assert_int_eq(end - start, 3 * DAY);
	/* beta, active: its window is three days longer. */
	ck_assert_ptr_nonnull(b = extended_of(&rs, "beta"));
	ck_assert_str_eq(fx_str(b, "how"), "window");
	ck_assert_ptr_null(fx_at(b, "after_window"));
	free(d);
	response_clear(&rs);

	/* alpha's new grant is of kind extension, its 8 cards over the days given. */
	ck_assert_uint_eq(grants_of_kind("alpha", "extension", &g), 1);
	ck_assert_int_eq(json_integer_value(fx_at(g, "cards")), 8);
	ck_assert_str_eq(fx_str(g, "start"), "2026-03-12T15:00:00Z");
	ck_assert_str_eq(fx_str(g, "end"), "2026-03-15T15:00:00Z");
	/* Its days are its period: releasing one of them needs an override, as in a window. */
	snprintf(path, sizeof(path), "/v1/grants/%s/release", fx_str(g, "id"));
	rs = req_at("POST", path, "{\"at\":\"2026-03-14T15:00:00Z\",\"reason\":\"cards back\"}",
	    LATER);
	d = dump(rs.json);
	ck_assert_msg(rs.status == 409 && strstr(d, "equal_resource") != NULL &&
	    strstr(d, "extension days after its window") != NULL, "%d %s", rs.status, d);
	free(d);
	response_clear(&rs);
	json_decref(g);
	g = NULL;
	ck_assert_uint_eq(grants_of_kind("alpha", "extension", &g), 1);
	ck_assert_str_eq(fx_str(g, "end"), "2026-03-15T15:00:00Z");
	json_decref(g);
	/* Its window stays what it was; beta's grew. */
	rs = fx_get(&F, "/v1/phases/x/enrollments/alpha");
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-10T15:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "state"), "completed");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/x/enrollments/beta");
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-18T15:00:00Z");
	response_clear(&rs);
	ck_assert_uint_eq(grants_of_kind("beta", "extension", NULL), 0);
	/* The eliminated team gets nothing. */
	ck_assert_uint_eq(grants_of_kind("gamma", "extension", NULL), 0);
	gamma_after = items_dump("/v1/grants?phase=x&team=gamma");
	ck_assert_str_eq(gamma_after, gamma_before);
	free(gamma_before);
	free(gamma_after);
	ck_assert_str_eq(fx_audit_last(&F).action, "phase.extend");
	fx_audit_verify(&F);
}
END_TEST

START_TEST(extend_after_window_does_not_fit)
{
	struct response rs;
	char *before, *after;

	/*
	 * b1 has 16 cards.  delta, enrolled at LATER, holds 8 of them from
	 * 03-12 local; with beta's 8, b1 is full over [03-12, 03-16), where
	 * alpha's days would go.
	 */
	extend_world(16);
	rs = enroll_ok("x", "delta", "", LATER, 201);
	ck_assert_str_eq(fx_str(rs.json, "window.start"), "2026-03-11T15:00:00Z");
	response_clear(&rs);
	before = fingerprint();
	rs = req_at("POST", "/v1/phases/x/extend", "{\"days\":3,\"reason\":\"late hardware\"}",
	    LATER);
	ck_assert_msg(rs.status == 409, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_str_eq(fx_code(&rs), "capacity_exceeded");
	ck_assert_msg(strstr(fx_detail(&rs), "pool b1") != NULL, "%s", fx_detail(&rs));
	ck_assert_msg(strstr(fx_detail(&rs), "nothing was extended") != NULL, "%s",
	    fx_detail(&rs));
	response_clear(&rs);
	/* All or none: beta's and delta's windows did not grow either. */
	after = fingerprint();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	rs = fx_get(&F, "/v1/phases/x/enrollments/beta");
	ck_assert_str_eq(fx_str(rs.json, "window.end"), "2026-03-15T15:00:00Z");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/x");
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "period_days")), 10);
	response_clear(&rs);
	ck_assert_uint_eq(grants_of_kind("alpha", "extension", NULL), 0);
}
END_TEST

/*
 * A completed team none of whose grants reached the end of its window
 * (alpha's released on 03-08 local, overridden) would get no extension
 * grant: counting the days would make its period look equal.  The
 * extension is refused naming alpha, nothing changed; overridden, alpha
 * gets neither days nor their count, and the report names it with the
 * override.
 */
START_TEST(extend_completed_without_cards_at_its_end)
{
	struct response rs;
	json_t *it, *a, *row = NULL, *x;
	char path[64], gid[32];
	size_t i;

	pool("b1", 32);
	phase("p", "x", "2026-03-01", 10, NULL);
	fx_must(&F, "POST", "/v1/phases/x/enrollments", "{\"team\":\"alpha\"}", 201);
	fx_must(&F, "POST", "/v1/phases/x/enrollments", "{\"team\":\"beta\","
	    "\"not_before\":\"2026-03-06\"}", 201);
	it = items("/v1/grants?phase=x&team=alpha");
	ck_assert_uint_eq(json_array_size(it), 1);
	snprintf(gid, sizeof(gid), "%s", fx_str(json_array_get(it, 0), "id"));
	json_decref(it);
	snprintf(path, sizeof(path), "/v1/grants/%s/release", gid);
	rs = req_at("POST", path, "{\"at\":\"2026-03-07T15:00:00Z\",\"reason\":\"team asked\","
	    "\"override\":{\"reason\":\"released at the team's request\"}}", FX_NOW + 6 * DAY);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);
	fx_run_timers(&F, LATER);
	rs = fx_get(&F, "/v1/phases/x/enrollments/alpha");
	ck_assert_str_eq(fx_str(rs.json, "state"), "completed");
	response_clear(&rs);

	REFUSED(req_at("POST", "/v1/phases/x/extend", "{\"days\":3,\"reason\":\"late hardware\"}",
	    LATER), "equal_period", "team 'alpha' (completed) holds no grant that reaches the "
	    "end of its window", "none of the 3 days of the extension", NULL);
	ck_assert_uint_eq(grants_of_kind("alpha", "extension", NULL), 0);

	rs = req_at("POST", "/v1/phases/x/extend", "{\"days\":3,\"reason\":\"late hardware\","
	    "\"override\":{\"reason\":\"alpha gave its cards back\"}}", LATER);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_ptr_nonnull(a = extended_of(&rs, "alpha"));
	ck_assert_str_eq(fx_str(a, "how"), "none");
	ck_assert_ptr_null(fx_at(a, "after_window"));
	ck_assert_str_eq(fx_str(extended_of(&rs, "beta"), "how"), "window");
	response_clear(&rs);
	ck_assert_uint_eq(grants_of_kind("alpha", "extension", NULL), 0);
	ck_assert_int_eq(fx_qint(&F, "SELECT extra_days FROM enrollments WHERE team = ?1 AND "
	    "phase = ?2", "alpha", "x"), 0);
	/* The report: alpha's 10 days are not the phase's 13, and the override is there. */
	rs = fx_get(&F, "/v1/phases/x/fairness");
	ck_assert_int_eq(rs.status, 200);
	json_array_foreach(fx_at(rs.json, "teams"), i, x)
		if (strcmp(fx_str(x, "team"), "alpha") == 0)
			row = x;
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(json_integer_value(fx_at(row, "days")), 10);
	ck_assert(json_is_false(fx_at(row, "equal_period")));
	ck_assert(json_is_false(fx_at(rs.json, "summary.equal_period")));
	response_clear(&rs);
	ck_assert_uint_eq(report_overrides("x", "alpha", "equal_period",
	    "alpha gave its cards back"), 1);
	fx_audit_verify(&F);
}
END_TEST

/* The report row of team (the test fails when there is none). */
static json_t *
report_row(json_t *rep, const char *team)
{
	json_t *x;
	size_t i;

	json_array_foreach(fx_at(rep, "teams"), i, x)
		if (strcmp(fx_str(x, "team"), team) == 0)
			return x;
	ck_abort_msg("no row of %s", team);
	return NULL;
}

/* The row's break of rule, the first, or NULL. */
static json_t *
row_break(json_t *row, const char *rule)
{
	json_t *b;
	size_t i;

	json_array_foreach(fx_at(row, "breaks"), i, b)
		if (strcmp(fx_str(b, "rule"), rule) == 0)
			return b;
	return NULL;
}

/*
 * The report walks each team's period day by day: its window, then the
 * extension days it was given after it, wherever they fell.  rx: from
 * 03-01, 10 days, 8 cards a team on pools of their own: alpha (b1) and
 * gamma (b3) from 03-01, beta (b2) from 03-06.  At LATER (03-12 local)
 * alpha's and gamma's windows are over and the phase is extended by 5
 * days: they get 03-13 to 03-18 after their windows, beta's window runs to
 * 03-21.  gamma gives back its last extension day (03-17).  On 03-22 every
 * team has reached day 15 of its period, and gamma is short on day 15
 * alone; then an outage on b1 on 03-15 takes a day of alpha's extension:
 * alpha is short from day 13 of its period, the third of its extension
 * days, not only in its projection.
 */
#define RX_AT "/v1/phases/rx/fairness?at=2026-03-22T00:00:00Z"

START_TEST(report_extension_days)
{
	struct response rs;
	json_t *g, *row, *b;
	char path[96] = "", *d;
	const char *team;
	size_t i;

	pool("b1", 8);
	pool("b2", 8);
	pool("b3", 8);
	phase("p", "rx", "2026-03-01", 10, NULL);
	fx_must(&F, "POST", "/v1/phases/rx/enrollments", "{\"team\":\"alpha\",\"grants\":"
	    "[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_must(&F, "POST", "/v1/phases/rx/enrollments", "{\"team\":\"gamma\",\"grants\":"
	    "[{\"pool\":\"b3\",\"cards\":8}]}", 201);
	fx_must(&F, "POST", "/v1/phases/rx/enrollments", "{\"team\":\"beta\",\"grants\":"
	    "[{\"pool\":\"b2\",\"cards\":8}],\"not_before\":\"2026-03-06\"}", 201);
	fx_run_timers(&F, LATER);
	rs = req_at("POST", "/v1/phases/rx/extend", "{\"days\":5,\"reason\":\"late hardware\"}",
	    LATER);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_str_eq(fx_str(extended_of(&rs, "alpha"), "after_window.start"),
	    "2026-03-12T15:00:00Z");
	ck_assert_str_eq(fx_str(extended_of(&rs, "gamma"), "after_window.end"),
	    "2026-03-17T15:00:00Z");
	response_clear(&rs);
	/*
	 * gamma's extension grant given back from 03-17 00:00 local, its last
	 * day: a day of its period, so only with an override.
	 */
	g = items("/v1/grants?phase=rx&team=gamma");
	json_array_foreach(g, i, b)
		if (strcmp(fx_str(b, "kind"), "extension") == 0)
			snprintf(path, sizeof(path), "/v1/grants/%s/release", fx_str(b, "id"));
	json_decref(g);
	ck_assert_msg(path[0], "gamma has no extension grant");
	rs = req_at("POST", path, "{\"at\":\"2026-03-16T15:00:00Z\",\"reason\":\"gave it "
	    "back\"}", LATER);
	ck_assert_msg(rs.status == 409, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);
	rs = req_at("POST", path, "{\"at\":\"2026-03-16T15:00:00Z\",\"reason\":\"gave it "
	    "back\",\"override\":{\"reason\":\"the team asked\"}}", LATER);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);

	rs = fx_get(&F, RX_AT);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	d = dump(fx_at(rs.json, "summary"));
	ck_assert_msg(json_integer_value(fx_at(rs.json, "summary.common_day")) == 15, "%s", d);
	free(d);
	json_array_foreach(fx_at(rs.json, "teams"), i, row) {
		team = fx_str(row, "team");
		d = dump(fx_at(row, "breaks"));
		ck_assert_msg(json_integer_value(fx_at(row, "reached_days")) == 15 &&
		    json_integer_value(fx_at(row, "days")) == 15, "%s: reached %lld, days %lld",
		    team, (long long)json_integer_value(fx_at(row, "reached_days")),
		    (long long)json_integer_value(fx_at(row, "days")));
		ck_assert_msg(strcmp(team, "gamma") == 0 || json_array_size(fx_at(row, "breaks")) ==
		    0, "%s: %s", team, d);
		free(d);
	}
	/* gamma: the day it gave back is a break of both rules, on day 15 of its period. */
	row = report_row(rs.json, "gamma");
	d = dump(row);
	ck_assert_msg(json_is_false(fx_at(row, "equal_resource")) &&
	    json_array_size(fx_at(row, "resource_breaks")) == 1, "%s", d);
	b = json_array_get(fx_at(row, "resource_breaks"), 0);
	ck_assert_str_eq(fx_str(b, "from"), "2026-03-16T15:00:00Z");
	ck_assert_str_eq(fx_str(b, "to"), "2026-03-17T15:00:00Z");
	ck_assert(json_number_value(fx_at(b, "units")) == 0);
	ck_assert_ptr_nonnull(b = row_break(row, "equal_delivery"));
	ck_assert_msg(json_integer_value(fx_at(b, "day")) == 15 &&
	    json_number_value(fx_at(b, "gap_unit_hours")) == -192, "%s", d);
	ck_assert_str_eq(fx_str(b, "detail"), "by the end of day 15 of its period (day 5 of the "
	    "extension days after its window), 192.000 unit-hours below the package fully "
	    "delivered by then");
	/* And the override that allowed it is in its row. */
	ck_assert_msg(json_array_size(fx_at(row, "overrides")) == 1 &&
	    strstr(d, "the team asked") != NULL, "%s", d);
	free(d);
	response_clear(&rs);

	/* An outage on b1 for 03-15 local, the third of alpha's extension days. */
	outage("b1", "2026-03-14T15:00:00Z", "2026-03-15T15:00:00Z", 8);
	rs = fx_get(&F, RX_AT);
	ck_assert(json_is_false(fx_at(rs.json, "summary.equal_delivery")));
	row = report_row(rs.json, "alpha");
	d = dump(fx_at(row, "breaks"));
	ck_assert_ptr_nonnull(b = row_break(row, "equal_delivery"));
	ck_assert_msg(json_integer_value(fx_at(b, "day")) == 13 &&
	    json_number_value(fx_at(b, "gap_unit_hours")) == -192, "%s", d);
	ck_assert(json_is_true(fx_at(row, "equal_resource")));
	ck_assert(json_is_true(fx_at(report_row(rs.json, "beta"), "equal_delivery")));
	free(d);
	response_clear(&rs);
}
END_TEST

/*
 * The days a completed team gets after its window are its enrollment too:
 * they may not run into its enrollment of the next stage.  s1 as in
 * stages(); alpha also holds s2 from 03-14 local, and at LATER (03-12
 * local) its s1 window is over.  Its days after the window start tomorrow,
 * 03-13: one fits before s2, three do not.
 */
START_TEST(extend_into_next_stage)
{
	struct response rs;
	json_t *a;

	pool("b1", 64);
	phase("p", "s1", "2026-03-01", 10, NULL);
	phase("p", "s2", "2026-03-11", 10, NULL);
	fx_must(&F, "POST", "/v1/phases/s1/enrollments", "{\"team\":\"alpha\"}", 201);
	fx_must(&F, "POST", "/v1/phases/s2/enrollments", "{\"team\":\"alpha\","
	    "\"not_before\":\"2026-03-14\"}", 201);
	fx_run_timers(&F, LATER);
	REFUSED(req_at("POST", "/v1/phases/s1/extend", "{\"days\":3,\"reason\":\"late\"}",
	    LATER), "one_enrollment", "team 'alpha'", "phase 's2'", NULL);
	ck_assert_uint_eq(nitems("/v1/grants?phase=s1&team=alpha"), 1);
	/* One day fits before s2. */
	rs = req_at("POST", "/v1/phases/s1/extend", "{\"days\":1,\"reason\":\"late\"}", LATER);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_ptr_nonnull(a = json_array_get(fx_at(rs.json, "extended"), 0));
	ck_assert_str_eq(fx_str(a, "how"), "after_window");
	ck_assert_str_eq(fx_str(a, "after_window.start"), "2026-03-12T15:00:00Z");
	ck_assert_str_eq(fx_str(a, "after_window.end"), "2026-03-13T15:00:00Z");
	response_clear(&rs);
	/* Two more would run into s2: only with an override, which is reported. */
	REFUSED(req_at("POST", "/v1/phases/s1/extend", "{\"days\":2,\"reason\":\"late\"}",
	    LATER), "one_enrollment", "team 'alpha'", "phase 's2'", NULL);
	rs = req_at("POST", "/v1/phases/s1/extend", "{\"days\":2,\"reason\":\"late\","
	    "\"override\":{\"reason\":\"stages overlap by a day\"}}", LATER);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "extended"), 0),
	    "after_window.start"), "2026-03-13T15:00:00Z");
	response_clear(&rs);
	ck_assert_uint_eq(report_overrides("s1", NULL, "one_enrollment",
	    "stages overlap by a day"), 1);
}
END_TEST

/*
 * The reminders of each team's evaluation date (the timers' audit entry
 * enrollment.evaluation, the event evaluation.due; schema 009): phase er
 * from 2026-03-01, 10 days, evaluated on 03-15 local.  alpha from 03-01
 * (its date 03-15), beta from 03-04 (03-18).  At LATER (03-12 09:00 local)
 * the phase is extended by 2 days: the dates move to 03-17 and 03-20.
 * Each reminder comes once, on its team's moved date, and a restart (the
 * database reopened) does not bring it back.
 */
static long long
reminders(const char *team)
{
	char target[96];
	long long a, e;

	snprintf(target, sizeof(target), "phase/er/enrollment/%s", team);
	a = fx_qint(&F, "SELECT count(*) FROM audit WHERE action = 'enrollment.evaluation' AND "
	    "target = ?1", target, NULL);
	e = fx_qint(&F, "SELECT count(*) FROM events WHERE type = 'evaluation.due' AND "
	    "resource = ?1", target, NULL);
	ck_assert_msg(a == e, "%s: %lld enrollment.evaluation audit entries, %lld "
	    "evaluation.due events", team, a, e);
	return a;
}

/* 00:00 local (UTC+9) of 2026-03-DD. */
#define LOCAL_MIDNIGHT(dd) (FX_NOW - 9 * HOUR + ((dd) - 1) * DAY)

START_TEST(evaluation_reminders)
{
	struct response rs;
	struct fx old;

	pool("b1", 16);
	phase("p", "er", "2026-03-01", 10, "2026-03-15");
	fx_must(&F, "POST", "/v1/phases/er/enrollments", "{\"team\":\"alpha\"}", 201);
	fx_must(&F, "POST", "/v1/phases/er/enrollments", "{\"team\":\"beta\","
	    "\"not_before\":\"2026-03-04\"}", 201);
	rs = fx_get(&F, "/v1/phases/er/enrollments/beta");
	ck_assert_str_eq(fx_str(rs.json, "evaluation_on"), "2026-03-18");
	response_clear(&rs);
	fx_run_timers(&F, LATER);
	ck_assert_int_eq(reminders("alpha"), 0);
	rs = req_at("POST", "/v1/phases/er/extend", "{\"days\":2,\"reason\":\"late hardware\"}",
	    LATER);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/er/enrollments/alpha");
	ck_assert_str_eq(fx_str(rs.json, "evaluation_on"), "2026-03-17");
	response_clear(&rs);

	/* alpha's old date, 03-15, and the second before its new one: nothing. */
	fx_run_timers(&F, LOCAL_MIDNIGHT(15));
	fx_run_timers(&F, LOCAL_MIDNIGHT(17) - 1);
	ck_assert_int_eq(reminders("alpha"), 0);
	ck_assert_int_eq(reminders("beta"), 0);
	/* alpha's new date: alpha's alone, from the timers. */
	fx_run_timers(&F, LOCAL_MIDNIGHT(17));
	ck_assert_int_eq(reminders("alpha"), 1);
	ck_assert_int_eq(reminders("beta"), 0);
	ck_assert_str_eq(fx_audit_last(&F).action, "enrollment.evaluation");
	ck_assert_str_eq(fx_audit_last(&F).target, "phase/er/enrollment/alpha");
	ck_assert_str_eq(fx_audit_last(&F).actor_id, "system");
	fx_run_timers(&F, LOCAL_MIDNIGHT(18));
	ck_assert_int_eq(reminders("alpha"), 1);

	/* A restart: the same database opened again; the reminder is not repeated. */
	fx_template_save(&F);
	old = F;
	fx_clone(&F, &old);
	fx_template_drop(&old);
	fx_run_timers(&F, LOCAL_MIDNIGHT(18));
	ck_assert_int_eq(reminders("alpha"), 1);
	ck_assert_int_eq(reminders("beta"), 0);
	/* beta's old date passed without one; its new date brings it, once. */
	fx_run_timers(&F, LOCAL_MIDNIGHT(20) - 1);
	ck_assert_int_eq(reminders("beta"), 0);
	fx_run_timers(&F, LOCAL_MIDNIGHT(20));
	fx_run_timers(&F, LOCAL_MIDNIGHT(25));
	ck_assert_int_eq(reminders("alpha"), 1);
	ck_assert_int_eq(reminders("beta"), 1);
	fx_audit_verify(&F);
}
END_TEST

/*
 * A reminder that already came is given again when an extension moves the
 * date: the date that was noted is no longer the team's date.  Phase er, as
 * above: alpha's reminder comes on 03-15, after its window (03-01 to
 * 03-11); on 03-15 the phase is extended by 2 days, so alpha gets 03-16 to
 * 03-18 after its window and its date moves to 03-17 (the days run past it:
 * an override).  The reminder comes again on 03-17, once, and not before;
 * beta's, not yet given, comes on its moved date, 03-20.  A second
 * extension after the moved date has passed gives it at once.
 */
START_TEST(evaluation_reminder_moved_after_it_came)
{
	struct response rs;
	struct fx old;

	pool("b1", 16);
	phase("p", "er", "2026-03-01", 10, "2026-03-15");
	fx_must(&F, "POST", "/v1/phases/er/enrollments", "{\"team\":\"alpha\"}", 201);
	fx_must(&F, "POST", "/v1/phases/er/enrollments", "{\"team\":\"beta\","
	    "\"not_before\":\"2026-03-04\"}", 201);
	fx_run_timers(&F, LOCAL_MIDNIGHT(15));
	ck_assert_int_eq(reminders("alpha"), 1);
	ck_assert_int_eq(reminders("beta"), 0);

	rs = req_at("POST", "/v1/phases/er/extend", "{\"days\":2,\"reason\":\"late hardware\","
	    "\"override\":{\"reason\":\"the panel meets later\"}}", LOCAL_MIDNIGHT(15) + HOUR);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/er/enrollments/alpha");
	ck_assert_str_eq(fx_str(rs.json, "evaluation_on"), "2026-03-17");
	response_clear(&rs);

	/* Nothing until the moved date; then alpha's, once, a restart included. */
	fx_run_timers(&F, LOCAL_MIDNIGHT(17) - 1);
	ck_assert_int_eq(reminders("alpha"), 1);
	fx_run_timers(&F, LOCAL_MIDNIGHT(17));
	ck_assert_int_eq(reminders("alpha"), 2);
	ck_assert_str_eq(fx_audit_last(&F).target, "phase/er/enrollment/alpha");
	fx_template_save(&F);
	old = F;
	fx_clone(&F, &old);
	fx_template_drop(&old);
	fx_run_timers(&F, LOCAL_MIDNIGHT(19));
	ck_assert_int_eq(reminders("alpha"), 2);
	ck_assert_int_eq(reminders("beta"), 0);
	fx_run_timers(&F, LOCAL_MIDNIGHT(20));
	ck_assert_int_eq(reminders("alpha"), 2);
	ck_assert_int_eq(reminders("beta"), 1);

	/*
	 * On 03-25, one more day: alpha's date is 03-18 and beta's 03-21, both
	 * passed.  Each is reminded at once, on the first tick.
	 */
	rs = req_at("POST", "/v1/phases/er/extend", "{\"days\":1,\"reason\":\"one more\","
	    "\"override\":{\"reason\":\"the panel meets later\"}}", LOCAL_MIDNIGHT(25));
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	response_clear(&rs);
	fx_run_timers(&F, LOCAL_MIDNIGHT(25) + 1);
	ck_assert_int_eq(reminders("alpha"), 3);
	ck_assert_int_eq(reminders("beta"), 2);
	fx_run_timers(&F, LOCAL_MIDNIGHT(30));
	ck_assert_int_eq(reminders("alpha"), 3);
	ck_assert_int_eq(reminders("beta"), 2);
	fx_audit_verify(&F);
}
END_TEST

/* ---------------------------------------------------------- 6. compensate */

/*
 * c: from 2026-03-01, 10 days, evaluated on 2026-03-11, the day the window
 * ends: no make-up can fit before it.  c2 is the same phase of programme
 * q, evaluated on 2026-03-13: a day's make-up fits.  alpha holds all 8
 * cards of b1 in c, beta all of b2 in c2; an outage takes a day of each.
 */
START_TEST(compensate_evaluation_date)
{
	struct response rs;
	json_t *c;
	size_t i;

	pool("b1", 8);
	pool("b2", 8);
	phase("p", "c", "2026-03-01", 10, "2026-03-11");
	phase("q", "c2", "2026-03-01", 10, "2026-03-13");
	fx_must(&F, "POST", "/v1/phases/c/enrollments", "{\"team\":\"alpha\",\"grants\":"
	    "[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_must(&F, "POST", "/v1/phases/c2/enrollments", "{\"team\":\"beta\",\"grants\":"
	    "[{\"pool\":\"b2\",\"cards\":8}]}", 201);
	outage("b1", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 8);
	outage("b2", "2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 8);

	REFUSED(req_at("POST", "/v1/phases/c/compensate", "{}", 0), "evaluation_date",
	    "team 'alpha'", "evaluation date 2026-03-11", "a make-up");
	/* A dry run is judged the same. */
	REFUSED(req_at("POST", "/v1/phases/c/compensate", "{\"dry_run\":true}", 0),
	    "evaluation_date", "team 'alpha'", NULL, NULL);
	ck_assert_uint_eq(nitems("/v1/grants?phase=c"), 1);

	/* With an override the make-ups are made, and the override reported. */
	rs = req_at("POST", "/v1/phases/c/compensate",
	    "{\"override\":{\"reason\":\"evaluation can wait a day\"}}", 0);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_uint_ge(json_array_size(fx_at(rs.json, "compensations")), 1);
	json_array_foreach(fx_at(rs.json, "compensations"), i, c) {
		ck_assert_str_eq(fx_str(c, "team"), "alpha");
		ck_assert_str_eq(fx_str(c, "grant.start"), "2026-03-10T15:00:00Z");
	}
	response_clear(&rs);
	ck_assert_uint_gt(nitems("/v1/grants?phase=c"), 1);
	ck_assert_uint_eq(report_overrides("c", NULL, "evaluation_date",
	    "evaluation can wait a day"), 1);

	/* Where the make-up ends by the date, no override is needed. */
	rs = req_at("POST", "/v1/phases/c2/compensate", "{}", 0);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, fx_detail(&rs));
	ck_assert_uint_ge(json_array_size(fx_at(rs.json, "compensations")), 1);
	response_clear(&rs);
	ck_assert_uint_eq(report_overrides("c2", NULL, "evaluation_date", NULL), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_team_rules");
	TCase *tc = tcase_create("team_rules");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, default_not_before_is_today);
	tcase_add_test(tc, explicit_not_before_in_the_past);
	tcase_add_test(tc, one_enrollment_at_a_time);
	tcase_add_test(tc, one_enrollment_overlap_overridden);
	tcase_add_test(tc, eliminated_not_enrolled_again);
	tcase_add_test(tc, other_programme_not_affected);
	tcase_add_test(tc, grant_before_enrollment_day);
	tcase_add_test(tc, makeup_by_hand_and_evaluation_date);
	tcase_add_test(tc, late_team_evaluated_later);
	tcase_add_test(tc, extend_completed_and_active);
	tcase_add_test(tc, extend_after_window_does_not_fit);
	tcase_add_test(tc, extend_completed_without_cards_at_its_end);
	tcase_add_test(tc, extend_into_next_stage);
	tcase_add_test(tc, report_extension_days);
	tcase_add_test(tc, evaluation_reminders);
	tcase_add_test(tc, evaluation_reminder_moved_after_it_came);
	tcase_add_test(tc, compensate_evaluation_date);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
