/* test_routes_summary.c: a phase's redacted summary (GET /v1/phases/{phase}/summary) and its switch. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_case.h"

/*
 * Phase ps of p1 (Asia/Seoul): 4 B200 cards for 10 days from 2026-03-10,
 * so pool-a's 8 hold two teams at once; t1 from the phase's start, t2 late
 * (not before 2026-03-12).  At 2026-03-13 00:00 KST t1 has had three days
 * of 4 units, t2 one.
 */
#define PS_BODY PHASE("ps", "\"2026-03-10\"", "10", PKG("\"B200\"", "4", "1000000"))
#define AT "2026-03-12T15:00:00Z"

static void
seed(void)
{
	fx_must(&F, "POST", "/v1/programs/p1/phases", PS_BODY, 201);
	fx_must(&F, "POST", "/v1/phases/ps/enrollments", "{\"team\":\"t1\"}", 201);
	fx_must(&F, "POST", "/v1/phases/ps/enrollments",
	    "{\"team\":\"t2\",\"not_before\":\"2026-03-12\"}", 201);
}

static json_t *
get_ok(const char *path, const char *token)
{
	struct response rs = fx_req(&F, "GET", path, token, NULL);
	char *d = dump(rs.json);
	json_t *o;

	ck_assert_msg(rs.status == 200, "GET %s: %d %s", path, rs.status, d);
	free(d);
	o = json_incref(rs.json);
	response_clear(&rs);
	return o;
}

/* Every team's window in the zone's dates, its state and delivered, and nothing else. */
START_TEST(windows_and_delivered)
{
	static const char *const secret[] = { "krw", "voucher", "used", "entitled", "lost",
		"owed", "flagged", "overrides", "breaks", "utilization", "measured", "idle",
		"digest", "summary" };
	json_t *o, *teams, *rep, *row;
	char *d;
	size_t i;

	seed();
	o = get_ok("/v1/phases/ps/summary?at=" AT, F.admin);
	d = dump(o);
	ck_assert_str_eq(fx_str(o, "phase"), "ps");
	ck_assert_str_eq(fx_str(o, "timezone"), "Asia/Seoul");
	ck_assert_str_eq(fx_str(o, "at"), AT);
	ck_assert_int_eq(json_integer_value(fx_at(o, "period_days")), 10);
	teams = json_object_get(o, "teams");
	ck_assert_uint_eq(json_array_size(teams), 2);
	row = json_array_get(teams, 0);
	ck_assert_str_eq(fx_str(row, "team"), "t1");
	ck_assert_str_eq(fx_str(row, "state"), "active");
	ck_assert_str_eq(fx_str(row, "window.start_date"), "2026-03-10");
	ck_assert_str_eq(fx_str(row, "window.end_date"), "2026-03-20");
	ck_assert_str_eq(fx_str(row, "window.start"), "2026-03-09T15:00:00Z");
	ck_assert_int_eq(json_integer_value(fx_at(row, "window.days")), 10);
	ck_assert_msg(json_number_value(fx_at(row, "delivered_unit_hours")) == 288.0, "%s", d);
	row = json_array_get(teams, 1);
	ck_assert_str_eq(fx_str(row, "team"), "t2");
	ck_assert_str_eq(fx_str(row, "window.start_date"), "2026-03-12");
	ck_assert_str_eq(fx_str(row, "window.end_date"), "2026-03-22");
	ck_assert_int_eq(json_integer_value(fx_at(row, "window.days")), 10);
	ck_assert_msg(json_number_value(fx_at(row, "delivered_unit_hours")) == 96.0, "%s", d);
	for (i = 0; i < NELEMS(secret); i++)
		ck_assert_msg(strstr(d, secret[i]) == NULL, "the summary shows %s: %s", secret[i], d);
	/* The same figures as the fairness report's, at the same instant. */
	rep = get_ok("/v1/phases/ps/fairness?at=" AT, F.admin);
	json_array_foreach(json_object_get(rep, "teams"), i, row) {
		json_t *s = json_array_get(teams, i);

		ck_assert_str_eq(fx_str(s, "team"), fx_str(row, "team"));
		ck_assert(json_equal(fx_at(s, "delivered_unit_hours"),
		    fx_at(row, "delivered_unit_hours")));
		ck_assert_str_eq(fx_str(s, "window.end"), fx_str(row, "window.end"));
	}
	free(d);
	json_decref(rep);
	json_decref(o);
}
END_TEST

/* A plain read: nothing kept, nothing audited. */
START_TEST(nothing_written)
{
	char before[FX_FP_LEN], after[FX_FP_LEN];
	int64_t audit;
	json_t *o;

	seed();
	audit = fx_audit_count(&F);
	fx_fingerprint(&F, before);
	o = get_ok("/v1/phases/ps/summary", auditor);
	fx_fingerprint(&F, after);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(fx_audit_count(&F), audit);
	json_decref(o);
}
END_TEST

/* Off (the default), a team token is told why; on, it reads every team's row. */
START_TEST(team_switch)
{
	struct response rs;
	json_t *o;

	seed();
	ck_assert(!F.app.cfg.programme.team_phase_summary);
	rs = fx_req(&F, "GET", "/v1/phases/ps/summary", team1, NULL);
	ck_assert_int_eq(rs.status, 403);
	ck_assert_str_eq(fx_code(&rs), "forbidden");
	ck_assert_msg(strstr(fx_detail(&rs), "programme.team_phase_summary is off") != NULL,
	    "%s", fx_detail(&rs));
	response_clear(&rs);
	F.app.cfg.programme.team_phase_summary = true;
	o = get_ok("/v1/phases/ps/summary?at=" AT, team1);
	ck_assert_uint_eq(json_array_size(json_object_get(o, "teams")), 2);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(o, "teams"), 1), "team"), "t2");
	json_decref(o);
	/* An agent never. */
	rs = fx_req(&F, "GET", "/v1/phases/ps/summary", agent, NULL);
	ck_assert_int_eq(rs.status, 403);
	response_clear(&rs);
}
END_TEST

static const struct refusal refusals[] = {
	BAD("summary: at not an instant", "GET", "/v1/phases/ph1/summary?at=2026-03-01", NULL,
	    "at"),
	{ "summary: a malformed phase", "GET", "/v1/phases/Bad_Id!/summary", NULL, 404,
	    "not_found", "phase id", NULL, NULL },
	{ "summary: no such phase", "GET", "/v1/phases/nope/summary", NULL, 404, "not_found",
	    "nope", NULL, NULL },
};

START_TEST(refused)
{
	check_refused(&refusals[_i]);
}
END_TEST

static const struct authcase authcases[] = {
	{ "auditor reads the summary", W_AUDITOR, NULL, "GET", "/v1/phases/ph1/summary", NULL,
	    200 },
	{ "team, switch off", W_TEAM1, NULL, "GET", "/v1/phases/ph1/summary", NULL, 403 },
	{ "agent", W_AGENT, NULL, "GET", "/v1/phases/ph1/summary", NULL, 403 },
	{ "no token", W_NONE, NULL, "GET", "/v1/phases/ph1/summary", NULL, 401 },
};

START_TEST(auth)
{
	check_auth(&authcases[_i]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_summary");
	TCase *tc = world_tcase(s, "summary");

	tcase_add_test(tc, windows_and_delivered);
	tcase_add_test(tc, nothing_written);
	tcase_add_test(tc, team_switch);
	tcase_add_loop_test(tc, refused, 0, NELEMS(refusals));
	tcase_add_loop_test(tc, auth, 0, NELEMS(authcases));
	return world_run(s);
}
