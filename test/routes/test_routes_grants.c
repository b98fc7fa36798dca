/* test_routes_grants.c: grants added by hand (POST /v1/grants) and their fairness checks. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every test runs on a fresh database seeded by setup(), in UTC:
 *
 *	phase ph: from 2026-03-01, 10 days, package 8 B200 (8 units)
 *	pools b1 and b2: 16 B200 each; h1: 16 H100 (weight 0.5); small: 4 B200
 *	upstage: 8 cards of b1 = 8 units, [03-01, 03-11)
 *	half:    4 cards of b1 = 4 units, [03-01, 03-11), short by an override
 */
static struct fx F;
static char upstage_grant[32];

#define RELEASE_BODY "{\"at\":\"2026-03-05T00:00:00Z\",\"reason\":\"b1 node failure\"," \
	"\"override\":{\"reason\":\"moving upstage to b2\"}}"

static void
pool(const char *id, const char *model, int cards)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"%s\",\"cards\":%d}", id, model, cards);
	fx_must(&F, "POST", "/v1/pools", body, 201);
}

static void
setup(void)
{
	struct response rs;

	fx_open(&F);
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}",
	    201);
	fx_must(&F, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201);
	pool("b1", "B200", 16);
	pool("b2", "B200", 16);
	pool("h1", "H100", 16);
	pool("small", "B200", 4);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"upstage\",\"name\":\"Upstage\","
	    "\"lead_org\":\"Upstage\"}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"half\",\"name\":\"Half\","
	    "\"lead_org\":\"Half Org\"}", 201);
	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"upstage\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}]}");
	ck_assert_int_eq(rs.status, 201);
	snprintf(upstage_grant, sizeof(upstage_grant), "%s",
	    fx_str(json_array_get(fx_at(rs.json, "grants"), 0), "id"));
	response_clear(&rs);
	fx_must(&F, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"half\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":4}],\"override\":{\"reason\":\"half\"}}", 201);
}

static void
teardown(void)
{
	fx_close(&F);
}

static void
release_upstage(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/v1/grants/%s/release", upstage_grant);
	fx_must(&F, "POST", path, RELEASE_BODY, 200);
}

static struct response
add_grant(const char *team, const char *pool_id, int cards, const char *start,
    const char *end, const char *override)
{
	char body[600], ov[200] = "";

	if (override)
		snprintf(ov, sizeof(ov), ",\"override\":{\"reason\":\"%s\"}", override);
	snprintf(body, sizeof(body), "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"%s\"},"
	    "\"pool\":\"%s\",\"cards\":%d,\"start\":\"%s\",\"end\":\"%s\"%s}", team, pool_id,
	    cards, start, end, ov);
	return fx_post(&F, "/v1/grants", body);
}

#define T(d, h) "2026-03-" #d "T" #h ":00:00Z"

static const struct {
	const char *what;
	bool release;		/* upstage's b1 grant is released at 03-05 first */
	const char *team, *pool;
	int cards;
	const char *start, *end;
	const char *override;	/* a reason, or none */
	int status;
	const char *code;	/* the problem's code; NULL when 201 */
	const char *rule;	/* the only violation's rule, for fairness_violation */
	const char *detail;	/* its detail, exactly */
} cases[] = {
	{ "a replacement after an early release", true, "upstage", "b2", 8, T(05, 00),
	    T(11, 00), NULL, 201, NULL, NULL, NULL },
	{ "a replacement on H100 after an early release", true, "upstage", "h1", 16, T(05, 00),
	    T(11, 00), NULL, 201, NULL, NULL, NULL },
	{ "a replacement for part of the released time", true, "upstage", "b2", 8, T(06, 00),
	    T(08, 00), NULL, 201, NULL, NULL, NULL },
	{ "a replacement that overlaps the kept day", true, "upstage", "b2", 8, T(04, 00),
	    T(11, 00), NULL, 409, "fairness_violation", "equal_resource",
	    "team 'upstage' holds 8.000 units in [2026-03-04 00:00 UTC (2026-03-04T00:00:00Z), "
	    "2026-03-05 00:00 UTC (2026-03-05T00:00:00Z)); "
	    "8 B200 cards add 8.000, making 16.000, above the phase's package of 8.000 units" },
	{ "a second package without a release", false, "upstage", "b2", 8, T(05, 00),
	    T(11, 00), NULL, 409, "fairness_violation", "equal_resource",
	    "team 'upstage' holds 8.000 units in [2026-03-05 00:00 UTC (2026-03-05T00:00:00Z), "
	    "2026-03-11 00:00 UTC (2026-03-11T00:00:00Z)); "
	    "8 B200 cards add 8.000, making 16.000, above the phase's package of 8.000 units" },
	{ "one card more than a release freed", true, "upstage", "b2", 9, T(05, 00), T(11, 00),
	    NULL, 409, "fairness_violation", "equal_resource",
	    "team 'upstage' holds 0.000 units in [2026-03-05 00:00 UTC (2026-03-05T00:00:00Z), "
	    "2026-03-11 00:00 UTC (2026-03-11T00:00:00Z)); "
	    "9 B200 cards add 9.000, making 9.000, above the phase's package of 8.000 units" },
	{ "a top-up to exactly the package", false, "half", "b2", 4, T(01, 00), T(11, 00),
	    NULL, 201, NULL, NULL, NULL },
	{ "a top-up with H100 for part of the window", false, "half", "h1", 8, T(03, 12),
	    T(06, 00), NULL, 201, NULL, NULL, NULL },
	{ "one unit over the package", false, "half", "b2", 5, T(01, 00), T(11, 00), NULL, 409,
	    "fairness_violation", "equal_resource",
	    "team 'half' holds 4.000 units in [2026-03-01 00:00 UTC (2026-03-01T00:00:00Z), "
	    "2026-03-11 00:00 UTC (2026-03-11T00:00:00Z)); "
	    "5 B200 cards add 5.000, making 9.000, above the phase's package of 8.000 units" },
	{ "one unit over the package, overridden", false, "half", "b2", 5, T(01, 00),
	    T(11, 00), "hackathon week", 201, NULL, "equal_resource",
	    "team 'half' holds 4.000 units in [2026-03-01 00:00 UTC (2026-03-01T00:00:00Z), "
	    "2026-03-11 00:00 UTC (2026-03-11T00:00:00Z)); "
	    "5 B200 cards add 5.000, making 9.000, above the phase's package of 8.000 units" },
	{ "a top-up reaching past the window", false, "half", "b2", 4, T(01, 00), T(12, 00),
	    NULL, 409, "fairness_violation", "equal_resource",
	    "a grant of 4 B200 cards reaches past the window of team 'half', which ends at "
	    "2026-03-11 00:00 UTC (2026-03-11T00:00:00Z); end it there (a grant after the window is judged by what "
	    "the team is owed)" },
	{ "capacity is judged before fairness", false, "upstage", "small", 8, T(05, 00),
	    T(11, 00), NULL, 409, "capacity_exceeded", NULL, NULL },
	{ "capacity cannot be overridden", false, "upstage", "small", 8, T(05, 00), T(11, 00),
	    "no", 409, "capacity_exceeded", NULL, NULL },
	/* Outside the window the rules are those of before: owed time, the period. */
	{ "after the window, nothing owed", false, "upstage", "b2", 8, T(11, 00), T(12, 00),
	    NULL, 409, "fairness_violation", "equal_delivery",
	    "a grant after the window of team 'upstage' delivers 192.000 unit-hours; the team "
	    "is owed 0.000" },
	{ "before the window", false, "upstage", "b2", 8, "2026-02-27T00:00:00Z", T(01, 00),
	    NULL, 409, "fairness_violation", "equal_period",
	    "a grant starting before the window of team 'upstage' lengthens its period" },
};

static char *
dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

/* A start later than asked says which pool held it back, with how much and until when. */
START_TEST(placement_explains_delay)
{
	struct response rs;
	json_t *d;

	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"late\",\"name\":\"Late\","
	    "\"lead_org\":\"Late Org\"}", 201);
	/* Any pool: b2 is free at once, so nothing to explain. */
	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"late\",\"dry_run\":true}");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_ptr_null(json_object_get(rs.json, "delays"));
	response_clear(&rs);
	/* Only b1: 4 of its 16 cards are free until the others' windows end. */
	for (int dry = 1; dry >= 0; dry--) {
		rs = fx_post(&F, "/v1/phases/ph/enrollments", dry ?
		    "{\"team\":\"late\",\"pools\":[\"b1\"],\"dry_run\":true}" :
		    "{\"team\":\"late\",\"pools\":[\"b1\"]}");
		ck_assert_int_eq(rs.status, dry ? 200 : 201);
		ck_assert_str_eq(fx_str(fx_at(rs.json, "window"), "start"), "2026-03-11T00:00:00Z");
		d = json_object_get(rs.json, "delays");
		ck_assert_int_eq(json_array_size(d), 1);
		ck_assert_str_eq(fx_str(json_array_get(d, 0), "pool"), "b1");
		ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(d, 0),
		    "free_cards")), 4);
		ck_assert_str_eq(fx_str(json_array_get(d, 0), "until"), "2026-03-11T00:00:00Z");
		response_clear(&rs);
	}
}
END_TEST

START_TEST(create)
{
	struct response rs;
	json_t *v;
	int64_t grants;
	char *d;

	if (cases[_i].release)
		release_upstage();
	grants = fx_count(&F, "grants");
	rs = add_grant(cases[_i].team, cases[_i].pool, cases[_i].cards, cases[_i].start,
	    cases[_i].end, cases[_i].override);
	d = dump(rs.json);
	ck_assert_msg(rs.status == cases[_i].status, "%s: %d %s", cases[_i].what, rs.status, d);
	if (cases[_i].code) {
		ck_assert_msg(strcmp(fx_code(&rs), cases[_i].code) == 0, "%s: %s", cases[_i].what,
		    d);
		ck_assert_int_eq(fx_count(&F, "grants"), grants);
	} else {
		ck_assert_str_eq(fx_str(rs.json, "kind"), "manual");
		ck_assert_str_eq(fx_str(rs.json, "team"), cases[_i].team);
		ck_assert_int_eq(fx_count(&F, "grants"), grants + 1);
	}
	if (cases[_i].status == 409 && cases[_i].rule) {
		v = fx_at(rs.json, "violations");
		ck_assert_msg(json_array_size(v) == 1, "%s: %s", cases[_i].what, d);
		ck_assert_str_eq(fx_str(json_array_get(v, 0), "rule"), cases[_i].rule);
		ck_assert_str_eq(fx_str(json_array_get(v, 0), "detail"), cases[_i].detail);
		ck_assert_str_eq(fx_detail(&rs), cases[_i].detail);
	}
	/* An override is recorded only where a rule was broken, with its detail. */
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM overrides WHERE action = "
	    "'grant.create'", NULL, NULL), cases[_i].status == 201 && cases[_i].rule);
	if (cases[_i].status == 201 && cases[_i].rule)
		ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM overrides WHERE action = "
		    "'grant.create' AND rule = 'equal_resource' AND team = 'half' AND "
		    "reason = ?1 AND detail = ?2", cases[_i].override, cases[_i].detail), 1);
	free(d);
	response_clear(&rs);
}
END_TEST

/*
 * A fairness violation names its instants in the programme's zone, with UTC
 * beside them: in Seoul, a second package for the team's 6th day.
 */
START_TEST(violation_in_programme_zone)
{
	struct response rs;
	json_t *v;
	char *s;

	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"k\",\"name\":\"K\","
	    "\"timezone\":\"Asia/Seoul\"}", 201);
	fx_must(&F, "POST", "/v1/programs/k/phases", "{\"id\":\"kph\",\"name\":\"Seoul\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":"
	    "\"B200\",\"cards\":8,\"voucher_krw\":1000000}}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"seoul\",\"name\":\"Seoul\","
	    "\"lead_org\":\"Seoul Org\"}", 201);
	fx_must(&F, "POST", "/v1/phases/kph/enrollments", "{\"team\":\"seoul\","
	    "\"grants\":[{\"pool\":\"b2\",\"cards\":8}]}", 201);
	rs = fx_post(&F, "/v1/grants", "{\"enrollment\":{\"phase\":\"kph\",\"team\":\"seoul\"},"
	    "\"pool\":\"b2\",\"cards\":8,\"start\":\"2026-03-05T15:00:00Z\","
	    "\"end\":\"2026-03-06T15:00:00Z\"}");
	s = dump(rs.json);
	v = fx_at(rs.json, "violations");
	ck_assert_msg(rs.status == 409 && json_array_size(v) == 1, "%s", s);
	ck_assert_str_eq(fx_str(json_array_get(v, 0), "rule"), "equal_resource");
	ck_assert_str_eq(fx_str(json_array_get(v, 0), "detail"), "team 'seoul' holds 8.000 "
	    "units in [2026-03-06 00:00 KST (2026-03-05T15:00:00Z), 2026-03-07 00:00 KST "
	    "(2026-03-06T15:00:00Z)); 8 B200 cards add 8.000, making 16.000, above the phase's "
	    "package of 8.000 units");
	free(s);
	response_clear(&rs);
}
END_TEST

/* The contract audit's case, end to end: the report sees no break once replaced. */
START_TEST(replacement_restores_equality)
{
	struct response rs;
	json_t *row = NULL, *teams;
	size_t i;

	release_upstage();
	rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-12T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	teams = fx_at(rs.json, "teams");
	json_array_foreach(teams, i, row)
		if (strcmp(fx_str(row, "team"), "upstage") == 0)
			break;
	ck_assert_ptr_nonnull(row);
	ck_assert(json_is_false(fx_at(row, "equal_resource")));
	ck_assert_int_eq(json_array_size(fx_at(row, "resource_breaks")), 1);
	response_clear(&rs);

	rs = add_grant("upstage", "b2", 8, T(05, 00), T(11, 00), NULL);
	ck_assert_int_eq(rs.status, 201);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-12T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	teams = fx_at(rs.json, "teams");
	row = NULL;
	json_array_foreach(teams, i, row)
		if (strcmp(fx_str(row, "team"), "upstage") == 0)
			break;
	ck_assert_ptr_nonnull(row);
	ck_assert(json_is_true(fx_at(row, "equal_resource")));
	ck_assert_int_eq(json_array_size(fx_at(row, "resource_breaks")), 0);
	response_clear(&rs);

	/* Full again: one more card anywhere in the window is refused. */
	rs = add_grant("upstage", "b1", 1, T(10, 23), T(11, 00), NULL);
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_code(&rs), "fairness_violation");
	response_clear(&rs);
}
END_TEST

/* A cancelled grant (released at or before its start) holds nothing. */
START_TEST(cancelled_grant_frees_its_units)
{
	char path[64], target[64];
	struct response rs;

	snprintf(path, sizeof(path), "/v1/grants/%s/release", upstage_grant);
	fx_must(&F, "POST", path, "{\"at\":\"2026-03-01T00:00:00Z\",\"reason\":\"never used\","
	    "\"override\":{\"reason\":\"moving\"}}", 200);
	ck_assert_str_eq(fx_audit_last(&F).action, "grant.release");
	snprintf(target, sizeof(target), "grant/%s", upstage_grant);
	ck_assert_str_eq(fx_audit_last(&F).target, target);
	/* Released again: it exists, but there is nothing left to release. */
	rs = fx_post(&F, path, "{\"at\":\"2026-03-01T00:00:00Z\",\"reason\":\"again\"}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_code(&rs), "invalid_state");
	response_clear(&rs);
	rs = add_grant("upstage", "b2", 8, T(01, 00), T(11, 00), NULL);
	ck_assert_int_eq(rs.status, 201);
	response_clear(&rs);
	ck_assert_str_eq(fx_audit_last(&F).action, "grant.create");
	ck_assert_int_eq(strncmp(fx_audit_last(&F).target, "grant/gr_", 9), 0);
}
END_TEST

/*
 * A grant added by hand after the window is a make-up, and pays down what
 * the team is owed like one from compensate: two halves of the debt pass,
 * a third grant finds nothing owed.
 */
START_TEST(manual_makeups_pay_the_debt)
{
	struct response rs;
	json_t *row = NULL;
	size_t i;

	/* All of b1 for a day: upstage loses 8 cards x 24 h = 192 unit-hours. */
	fx_must(&F, "POST", "/v1/pools/b1/outages", "{\"from\":\"" T(02, 00) "\",\"to\":\""
	    T(03, 00) "\",\"cards\":16,\"reason\":\"power\"}", 201);
	rs = add_grant("upstage", "b2", 8, T(11, 00), T(11, 12), NULL);
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "kind"), "compensation");
	response_clear(&rs);
	rs = add_grant("upstage", "b2", 8, T(11, 12), T(12, 00), NULL);
	ck_assert_int_eq(rs.status, 201);
	response_clear(&rs);
	rs = add_grant("upstage", "b2", 1, T(12, 00), T(12, 01), NULL);
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "violations"), 0), "rule"),
	    "equal_delivery");
	response_clear(&rs);
	/* The report agrees: nothing owed, and compensate has nothing to add. */
	rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-13T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	json_array_foreach(fx_at(rs.json, "teams"), i, row)
		if (strcmp(fx_str(row, "team"), "upstage") == 0)
			break;
	ck_assert_ptr_nonnull(row);
	ck_assert(json_number_value(fx_at(row, "owed_unit_hours")) == 0.0);
	ck_assert(json_number_value(fx_at(row, "lost_unit_hours")) == 192.0);
	response_clear(&rs);
}
END_TEST

/*
 * An eliminated team was owed its package until it left: releasing its
 * cards before then breaks equal_resource like any other release, and the
 * override that allows it is listed in the report.
 */
START_TEST(release_before_elimination)
{
	char path[64];
	struct response rs;
	json_t *row = NULL;
	size_t i;

	fx_must(&F, "POST", "/v1/phases/ph/enrollments/upstage/eliminate",
	    "{\"effective_on\":\"2026-03-08\",\"reason\":\"ranked last\"}", 200);
	snprintf(path, sizeof(path), "/v1/grants/%s/release", upstage_grant);
	rs = fx_post(&F, path, "{\"at\":\"2026-03-05T00:00:00Z\",\"reason\":\"early\"}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "violations"), 0), "rule"),
	    "equal_resource");
	response_clear(&rs);
	fx_must(&F, "POST", path, "{\"at\":\"2026-03-05T00:00:00Z\",\"reason\":\"early\","
	    "\"override\":{\"reason\":\"hardware returned early\"}}", 200);
	rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-12T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	json_array_foreach(fx_at(rs.json, "teams"), i, row)
		if (strcmp(fx_str(row, "team"), "upstage") == 0)
			break;
	ck_assert_ptr_nonnull(row);
	ck_assert_int_eq(json_array_size(fx_at(row, "overrides")), 1);
	response_clear(&rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_grants");
	TCase *tc = tcase_create("grants");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, create, 0, (int)NELEMS(cases));
	tcase_add_test(tc, violation_in_programme_zone);
	tcase_add_test(tc, replacement_restores_equality);
	tcase_add_test(tc, cancelled_grant_frees_its_units);
	tcase_add_test(tc, manual_makeups_pay_the_debt);
	tcase_add_test(tc, release_before_elimination);
	tcase_add_test(tc, placement_explains_delay);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
