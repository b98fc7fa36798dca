/* test_routes_pools.c: outages through dispatch(): room in the pool, and the losses they report. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every test runs on a fresh database seeded by setup(), in UTC:
 *
 *	phase ph: from 2026-03-01, 10 days, package 1 B200 (1 unit)
 *	pool small: 4 B200; s1 holds 1 card of it, [03-01, 03-11)
 *	pool b4:    4 B200; t1 and t2 hold 1 card each, [03-01, 03-11)
 */
static struct fx F;

#define T(d, h) "2026-03-" #d "T" #h ":00:00Z"

static void
pool(const char *id, int cards)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":%d}", id, cards);
	fx_must(&F, "POST", "/v1/pools", body, 201);
}

static void
enroll(const char *team, const char *pool_id)
{
	char body[300];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"%s\",\"lead_org\":\"%s org\"}",
	    team, team, team);
	fx_must(&F, "POST", "/v1/teams", body, 201);
	snprintf(body, sizeof(body), "{\"team\":\"%s\",\"grants\":[{\"pool\":\"%s\","
	    "\"cards\":1}]}", team, pool_id);
	fx_must(&F, "POST", "/v1/phases/ph/enrollments", body, 201);
}

static void
setup(void)
{
	fx_open(&F);
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}",
	    201);
	fx_must(&F, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":1,\"voucher_krw\":1000000}}", 201);
	pool("small", 4);
	pool("b4", 4);
	enroll("s1", "small");
	enroll("t1", "b4");
	enroll("t2", "b4");
}

static void
teardown(void)
{
	fx_close(&F);
}

static struct response
outage(const char *pool_id, const char *from, const char *to, int cards)
{
	char path[64], body[300];

	snprintf(path, sizeof(path), "/v1/pools/%s/outages", pool_id);
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":%d,"
	    "\"reason\":\"node failure\"}", from, to, cards);
	return fx_post(&F, path, body);
}

/* A team's lost unit-hours in an outage reply's losses (0 when absent); checks the phase. */
static double
lost_of(const struct response *rs, const char *team)
{
	json_t *l;
	size_t i;

	json_array_foreach(json_object_get(rs->json, "losses"), i, l)
		if (strcmp(fx_str(l, "team"), team) == 0) {
			ck_assert_str_eq(fx_str(l, "phase"), "ph");
			return json_number_value(json_object_get(l, "lost_unit_hours"));
		}
	return 0;
}

static void
created(const struct response *rs, const char *what)
{
	char *d = rs->json ? json_dumps(rs->json, JSON_COMPACT) : NULL;

	ck_assert_msg(rs->status == 201, "%s: %d %s", what, rs->status, d ? d : "");
	free(d);
}

/*
 * Outages that would take more cards out of service than the pool has, at
 * some instant of their interval, beside small's 3 + 1 cards already out on
 * 03-02 00:00-10:00 (4 of 4).
 */
static const struct {
	const char *what;
	const char *from, *to;
	int cards;
	const char *detail;	/* NULL: it fits */
	const char *at;
	int out;
	double lost;		/* s1's loss when it fits */
} overflows[] = {
	{ "the same interval again", T(02, 00), T(02, 10), 1,
	    "outages already take 4 of the 4 cards of pool 'small' out of service at "
	    "2026-03-02 09:00 KST (2026-03-02T00:00:00Z); 1 more would exceed the pool's size", T(02, 00), 4, 0 },
	{ "starting inside it", T(02, 05), T(03, 00), 2,
	    "outages already take 4 of the 4 cards of pool 'small' out of service at "
	    "2026-03-02 14:00 KST (2026-03-02T05:00:00Z); 2 more would exceed the pool's size", T(02, 05), 4, 0 },
	{ "starting before it: the first instant that overflows", T(01, 20), T(02, 02), 1,
	    "outages already take 4 of the 4 cards of pool 'small' out of service at "
	    "2026-03-02 09:00 KST (2026-03-02T00:00:00Z); 1 more would exceed the pool's size", T(02, 00), 4, 0 },
	{ "ending where it starts", T(01, 00), T(02, 00), 4, NULL, NULL, 0, 24.0 },
	{ "starting where it ends", T(02, 10), T(02, 20), 4, NULL, NULL, 0, 10.0 },
};

START_TEST(overflow_refused)
{
	struct response rs;
	char before[FX_FP_LEN], after[FX_FP_LEN];
	int64_t nout;

	rs = outage("small", T(02, 00), T(02, 10), 3);
	created(&rs, "3 cards");
	/* 1 card stays in service for s1's 1 card: nothing is lost yet. */
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "losses")), 0);
	response_clear(&rs);
	rs = outage("small", T(02, 00), T(02, 10), 1);
	created(&rs, "1 more card");
	ck_assert(lost_of(&rs, "s1") == 10.0);
	response_clear(&rs);

	nout = fx_count(&F, "outages");
	fx_fingerprint(&F, before);
	rs = outage("small", overflows[_i].from, overflows[_i].to, overflows[_i].cards);
	if (overflows[_i].detail == NULL) {
		created(&rs, overflows[_i].what);
		ck_assert_int_eq(json_array_size(json_object_get(rs.json, "losses")), 1);
		ck_assert(lost_of(&rs, "s1") == overflows[_i].lost);
		ck_assert_int_eq(fx_count(&F, "outages"), nout + 1);
		response_clear(&rs);
		return;
	}
	ck_assert_msg(rs.status == 400, "%s: %d", overflows[_i].what, rs.status);
	ck_assert_str_eq(fx_code(&rs), "bad_request");
	ck_assert_str_eq(fx_detail(&rs), overflows[_i].detail);
	ck_assert_str_eq(fx_str(rs.json, "at"), overflows[_i].at);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "cards_out")),
	    overflows[_i].out);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "pool_cards")), 4);
	response_clear(&rs);
	/* Nothing stored: no outage, no audit entry. */
	fx_fingerprint(&F, after);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(fx_count(&F, "outages"), nout);
	rs = fx_get(&F, "/v1/pools/small/outages");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), nout);
	response_clear(&rs);
	fx_audit_verify(&F);
}
END_TEST

/* One outage alone larger than the pool keeps its own message. */
START_TEST(larger_than_pool)
{
	struct response rs = outage("small", T(02, 00), T(02, 10), 5);

	ck_assert_int_eq(rs.status, 400);
	ck_assert_str_eq(fx_detail(&rs), "cards (5) exceeds the pool's 4 cards");
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "outages"), 0);
}
END_TEST

/*
 * Two overlapping outages on b4 (4 cards, t1 and t2 holding 1 each), both
 * within the pool's size.  The first, 3 cards on 03-02 00:00-10:00, leaves
 * 1 card for 2 granted: 1 x 10 h lost, 5 h each.  The second, 1 card on
 * 05:00-15:00, takes the last card over 05:00-10:00 (1 x 5 h more, 2.5 h
 * each) and nothing granted after 10:00, where 3 cards are free.  It must
 * report only that: the 1 x 5 h the first outage already took on
 * 05:00-10:00 is not counted again.  Quota and fairness, which recompute
 * from the timeline, sum to exactly what the two replies reported.
 */
START_TEST(losses_not_double_reported)
{
	struct response rs;
	json_t *row = NULL;
	size_t i;

	rs = outage("b4", T(02, 00), T(02, 10), 3);
	created(&rs, "first");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "losses")), 2);
	ck_assert(lost_of(&rs, "t1") == 5.0);
	ck_assert(lost_of(&rs, "t2") == 5.0);
	response_clear(&rs);

	rs = outage("b4", T(02, 05), T(02, 15), 1);
	created(&rs, "second");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "losses")), 2);
	ck_assert(lost_of(&rs, "t1") == 2.5);
	ck_assert(lost_of(&rs, "t2") == 2.5);
	response_clear(&rs);

	/* A third that leaves the 2 granted cards in service reports nothing. */
	rs = outage("b4", T(02, 10), T(02, 15), 1);
	created(&rs, "third");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "losses")), 0);
	response_clear(&rs);

	rs = fx_get(&F, "/v1/teams/t1/quota?phase=ph&at=2026-03-05T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	/* The quota is written as text (usage.c); parse it to walk it. */
	if (rs.json == NULL && rs.text != NULL)
		rs.json = json_loads(rs.text, 0, NULL);
	ck_assert(json_number_value(fx_at(rs.json, "unit_hours.lost")) == 7.5);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-05T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	json_array_foreach(fx_at(rs.json, "teams"), i, row)
		if (strcmp(fx_str(row, "team"), "t2") == 0)
			break;
	ck_assert_str_eq(fx_str(row, "team"), "t2");
	ck_assert(json_number_value(fx_at(row, "lost_unit_hours")) == 7.5);
	response_clear(&rs);

	/* The timeline agrees: 05:00-10:00 nothing in service, 2 granted impaired. */
	rs = fx_get(&F, "/v1/pools/b4/timeline?from=2026-03-02T05:00:00Z&"
	    "to=2026-03-02T10:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	row = json_array_get(fx_at(rs.json, "segments"), 0);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "segments")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "capacity")), 0);
	ck_assert_int_eq(json_integer_value(json_object_get(row, "impaired")), 2);
	response_clear(&rs);
}
END_TEST

/*
 * The outage list pages like every list: in time order (not creation
 * order), each outage exactly once at any page size, a cursor that is not
 * an outage id is 400, a limit out of range is 400.
 */
START_TEST(outage_list_pages)
{
	static const char *const order[] = { T(02, 00), T(03, 00), T(04, 00), T(05, 00) };
	static const char *const made[] = { T(04, 00), T(02, 00), T(05, 00), T(03, 00) };
	char path[128], *cur = NULL;
	struct response rs;

	for (size_t i = 0; i < NELEMS(made); i++) {
		rs = outage("b4", made[i], T(06, 00), 1);
		ck_assert_int_eq(rs.status, 201);
		response_clear(&rs);
	}
	for (int lim = 1; lim <= 5; lim++) {
		size_t seen = 0;

		free(cur);
		cur = NULL;
		do {
			json_t *items, *it;
			size_t i;

			snprintf(path, sizeof(path), "/v1/pools/b4/outages?limit=%d%s%s", lim,
			    cur ? "&after=" : "", cur ? cur : "");
			rs = fx_get(&F, path);
			ck_assert_int_eq(rs.status, 200);
			items = fx_at(rs.json, "items");
			ck_assert_uint_le(json_array_size(items), (size_t)lim);
			json_array_foreach(items, i, it) {
				ck_assert_uint_lt(seen, NELEMS(order));
				ck_assert_str_eq(fx_str(it, "from"), order[seen]);
				seen++;
			}
			free(cur);
			cur = json_is_string(fx_at(rs.json, "next")) ?
			    strdup(fx_str(rs.json, "next")) : NULL;
			response_clear(&rs);
		} while (cur != NULL);
		ck_assert_uint_eq(seen, NELEMS(order));
	}
	rs = fx_get(&F, "/v1/pools/b4/outages?after=out_x");
	ck_assert_int_eq(rs.status, 400);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/pools/b4/outages?limit=0");
	ck_assert_int_eq(rs.status, 400);
	response_clear(&rs);
}
END_TEST

/*
 * Many pools (more than the 254 the scheduler once searched): every one is
 * searched, so a big pool late in the list is found, and the team lands on
 * it alone rather than on a crowd of small ones.
 */
START_TEST(many_pools_big_one_last)
{
	char id[16];
	struct response rs;

	for (int i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "p%03d", i);
		pool(id, 10);
	}
	pool("zzz-big", 1000);
	fx_must(&F, "POST", "/v1/programs/p/phases", "{\"id\":\"big\",\"name\":\"Big\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":"
	    "\"B200\",\"cards\":768,\"voucher_krw\":1000}}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"wide\",\"name\":\"Wide\","
	    "\"lead_org\":\"Wide org\"}", 201);
	rs = fx_post(&F, "/v1/phases/big/enrollments", "{\"team\":\"wide\"}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "grants")), 1);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "grants"), 0), "pool"), "zzz-big");
	response_clear(&rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_pools");
	TCase *tc = tcase_create("outages");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, overflow_refused, 0, (int)NELEMS(overflows));
	tcase_add_test(tc, larger_than_pool);
	tcase_add_test(tc, losses_not_double_reported);
	tcase_add_test(tc, outage_list_pages);
	tcase_add_test(tc, many_pools_big_one_last);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
