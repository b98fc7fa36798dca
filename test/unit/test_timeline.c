/* test_timeline.c: the pool capacity calendar against tables and a per-hour brute force. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "brute.h"
#include "civil.h"
#include "err.h"
#include "timeline.h"

#define H(x) (BRUTE_T0 + (int64_t)(x) * 3600)
#define N(a) (sizeof(a) / sizeof((a)[0]))

START_TEST(epoch)
{
	ck_assert_int_eq(civil_days_from_ymd(2026, 3, 1) * CIVIL_DAY, BRUTE_T0);
}
END_TEST

static const struct {
	const char *what;
	int64_t base;
	struct timeline_outage out[4];
	size_t nout;
	struct timeline_grant gr[4];
	size_t ngr;
	int64_t a, b;
	struct timeline_segment seg[6];
	size_t nseg;
	int64_t free_min;
} steps[] = {
	{ "empty pool", 10, {{0}}, 0, {{0}}, 0, H(0), H(5),
	    { { H(0), H(5), 10, 0, 0, 10 } }, 1, 10 },
	{ "one grant", 10, {{0}}, 0, { { 1, H(1), H(3), 4 } }, 1, H(0), H(5),
	    { { H(0), H(1), 10, 0, 0, 10 }, { H(1), H(3), 10, 4, 0, 6 },
	      { H(3), H(5), 10, 0, 0, 10 } }, 3, 6 },
	{ "adjacent equal grants merge", 10, {{0}}, 0,
	    { { 1, H(1), H(2), 4 }, { 2, H(2), H(3), 4 } }, 2, H(0), H(5),
	    { { H(0), H(1), 10, 0, 0, 10 }, { H(1), H(3), 10, 4, 0, 6 },
	      { H(3), H(5), 10, 0, 0, 10 } }, 3, 6 },
	{ "outage impairs grants", 10, { { H(1), H(2), 5 } }, 1, { { 1, H(0), H(4), 8 } }, 1,
	    H(0), H(4),
	    { { H(0), H(1), 10, 8, 0, 2 }, { H(1), H(2), 5, 5, 3, 0 },
	      { H(2), H(4), 10, 8, 0, 2 } }, 3, 0 },
	{ "outages beyond base floor capacity at zero", 4,
	    { { H(1), H(3), 3 }, { H(2), H(4), 3 } }, 2, {{0}}, 0, H(0), H(5),
	    { { H(0), H(1), 4, 0, 0, 4 }, { H(1), H(2), 1, 0, 0, 1 }, { H(2), H(3), 0, 0, 0, 0 },
	      { H(3), H(4), 1, 0, 0, 1 }, { H(4), H(5), 4, 0, 0, 4 } }, 5, 0 },
	{ "query inside one interval", 10, {{0}}, 0, { { 1, H(0), H(10), 3 } }, 1,
	    H(2) + 1800, H(3), { { H(2) + 1800, H(3), 10, 3, 0, 7 } }, 1, 7 },
	{ "query after every item", 10, {{0}}, 0, { { 1, H(0), H(1), 3 } }, 1, H(5), H(6),
	    { { H(5), H(6), 10, 0, 0, 10 } }, 1, 10 },
	{ "query before every item", 10, {{0}}, 0, { { 1, H(3), H(4), 3 } }, 1, H(0), H(2),
	    { { H(0), H(2), 10, 0, 0, 10 } }, 1, 10 },
	{ "same free, other capacity: no merge", 10, { { H(1), H(2), 2 } }, 1,
	    { { 1, H(2), H(3), 2 } }, 1, H(1), H(3),
	    { { H(1), H(2), 8, 0, 0, 8 }, { H(2), H(3), 10, 2, 0, 8 } }, 2, 8 },
	{ "outage and release at one instant", 6, { { H(2), H(4), 6 } }, 1,
	    { { 1, H(0), H(2), 6 } }, 1, H(0), H(4),
	    { { H(0), H(2), 6, 6, 0, 0 }, { H(2), H(4), 0, 0, 0, 0 } }, 2, 0 },
};

START_TEST(step_function)
{
	struct timeline *tl = NULL;
	struct timeline_segment *seg = NULL;
	size_t n = 0;

	ck_assert_int_eq(timeline_build(steps[_i].base, steps[_i].out, steps[_i].nout,
	    steps[_i].gr, steps[_i].ngr, &tl), 0);
	ck_assert_int_eq(timeline_segments(tl, steps[_i].a, steps[_i].b, &seg, &n), 0);
	ck_assert_msg(n == steps[_i].nseg, "%s: %zu segments", steps[_i].what, n);
	for (size_t k = 0; k < n; k++) {
		const struct timeline_segment *e = &steps[_i].seg[k];

		ck_assert_msg(seg[k].from == e->from && seg[k].to == e->to &&
		    seg[k].capacity == e->capacity && seg[k].allocated == e->allocated &&
		    seg[k].impaired == e->impaired && seg[k].free == e->free,
		    "%s: segment %zu is [%lld, %lld) %lld/%lld/%lld/%lld", steps[_i].what, k,
		    (long long)(seg[k].from - BRUTE_T0), (long long)(seg[k].to - BRUTE_T0),
		    (long long)seg[k].capacity, (long long)seg[k].allocated,
		    (long long)seg[k].impaired, (long long)seg[k].free);
	}
	ck_assert_msg(timeline_free_min(tl, steps[_i].a, steps[_i].b) == steps[_i].free_min,
	    "%s: free_min", steps[_i].what);
	free(seg);
	timeline_free(tl);
}
END_TEST

static const struct {
	const char *what;
	int64_t base;
	struct timeline_outage out[2];
	size_t nout;
	struct timeline_grant gr[3];
	size_t ngr;
	int rc;
} builds[] = {
	{ "empty interval", 10, {{0}}, 0, { { 1, H(1), H(1), 1 } }, 1, GD_EINVAL },
	{ "reversed interval", 10, { { H(2), H(1), 1 } }, 1, {{0}}, 0, GD_EINVAL },
	{ "zero cards", 10, {{0}}, 0, { { 1, H(0), H(1), 0 } }, 1, GD_EINVAL },
	{ "negative base", -1, {{0}}, 0, {{0}}, 0, GD_EINVAL },
	{ "base too large", TIMELINE_MAX_CARDS + 1, {{0}}, 0, {{0}}, 0, GD_ERANGE },
	{ "cards too large", 10, {{0}}, 0, { { 1, H(0), H(1), TIMELINE_MAX_CARDS + 1 } }, 1,
	    GD_ERANGE },
	{ "before year 1", 10, { { INT64_MIN, H(1), 1 } }, 1, {{0}}, 0, GD_ERANGE },
	{ "duplicate grant id", 10, {{0}}, 0,
	    { { 7, H(0), H(1), 1 }, { 8, H(0), H(1), 1 }, { 7, H(2), H(3), 1 } }, 3, GD_EEXIST },
	{ "grants may exceed capacity", 1, {{0}}, 0,
	    { { 1, H(0), H(1), 5 }, { 2, H(0), H(1), 5 } }, 2, 0 },
};

START_TEST(build_checks)
{
	struct timeline *tl = NULL;
	int rc = timeline_build(builds[_i].base, builds[_i].out, builds[_i].nout, builds[_i].gr,
	    builds[_i].ngr, &tl);

	ck_assert_msg(rc == builds[_i].rc, "%s: rc %d", builds[_i].what, rc);
	timeline_free(tl);
}
END_TEST

/* Pool of 10 with 6 granted over [0, 4) and 2 cards out over [2, 3). */
static const struct {
	const char *what;
	struct timeline_grant add[3];
	size_t n;
	int rc;
	struct timeline_breach b;
} adds[] = {
	{ "fits", { { 9, H(0), H(1), 4 } }, 1, 0, { 0, 0, 0 } },
	{ "outage in the way", { { 9, H(0), H(4), 4 } }, 1, GD_ECAPACITY, { H(2), 2, 4 } },
	{ "two new grants together", { { 9, H(0), H(2), 3 }, { 10, H(1), H(2), 2 } }, 2,
	    GD_ECAPACITY, { H(1), 4, 5 } },
	{ "after the outage", { { 9, H(3), H(5), 4 } }, 1, 0, { 0, 0, 0 } },
	{ "beyond base", { { 9, H(6), H(7), 11 } }, 1, GD_ECAPACITY, { H(6), 10, 11 } },
	{ "mid-hour start", { { 9, H(1) + 60, H(4), 3 } }, 1, GD_ECAPACITY, { H(2), 2, 3 } },
	{ "new grants end where others start", { { 9, H(-2), H(0), 10 }, { 10, H(4), H(6), 10 } },
	    2, 0, { 0, 0, 0 } },
	{ "bad interval", { { 9, H(1), H(0), 1 } }, 1, GD_EINVAL, { 0, 0, 0 } },
};

START_TEST(check_add)
{
	static const struct timeline_outage o = { H(2), H(3), 2 };
	static const struct timeline_grant g = { 1, H(0), H(4), 6 };
	struct timeline *tl;
	struct timeline_breach b = { 0, 0, 0 };
	int rc;

	ck_assert_int_eq(timeline_build(10, &o, 1, &g, 1, &tl), 0);
	rc = timeline_check_add(tl, adds[_i].add, adds[_i].n, &b);
	ck_assert_msg(rc == adds[_i].rc, "%s: rc %d", adds[_i].what, rc);
	if (rc == GD_ECAPACITY)
		ck_assert_msg(b.at == adds[_i].b.at && b.free == adds[_i].b.free &&
		    b.asked == adds[_i].b.asked, "%s: breach at %+lld free %lld asked %lld",
		    adds[_i].what, (long long)(b.at - BRUTE_T0), (long long)b.free,
		    (long long)b.asked);
	timeline_free(tl);
}
END_TEST

START_TEST(incremental)
{
	struct timeline *tl;
	struct timeline_grant a = { 1, H(0), H(4), 3 }, b = { 2, H(0), H(4), 2 };
	struct timeline_grant c = { 3, H(1), H(2), 1 }, dup = { 1, H(5), H(6), 1 };
	struct timeline_outage o = { H(3), H(5), 9 };
	const struct timeline_grant *all;
	int64_t next = 0, at = 0, slack = 0;
	size_t n;

	ck_assert_int_eq(timeline_build(10, NULL, 0, &a, 1, &tl), 0);
	/* Known boundaries: a tree update.  New boundaries: a rebuild. */
	ck_assert_int_eq(timeline_add_grant(tl, &b), 0);
	ck_assert_int_eq(timeline_free_min(tl, H(0), H(4)), 5);
	ck_assert_int_eq(timeline_add_grant(tl, &c), 0);
	ck_assert_int_eq(timeline_free_min(tl, H(0), H(4)), 4);
	ck_assert_int_eq(timeline_add_grant(tl, &dup), GD_EEXIST);
	all = timeline_grants(tl, &n);
	ck_assert_int_eq(n, 3);
	(void)all;
	ck_assert_int_eq(timeline_remove_grant(tl, 1), 0);
	ck_assert_int_eq(timeline_remove_grant(tl, 1), GD_ENOENT);
	ck_assert_int_eq(timeline_free_min(tl, H(0), H(4)), 7);
	ck_assert_int_eq(timeline_add_outage(tl, &o), 0);
	ck_assert_int_eq(timeline_free_min(tl, H(0), H(4)), 0);
	ck_assert(timeline_first_short(tl, H(0), H(6), 2, &at, &slack));
	ck_assert_int_eq(at, H(3));
	ck_assert_int_eq(slack, -1);
	ck_assert(!timeline_first_short(tl, H(5), H(9), 10, &at, &slack));
	ck_assert(timeline_first_short(tl, H(5), H(9), 11, &at, &slack));
	ck_assert_int_eq(at, H(5));
	ck_assert(timeline_next_change(tl, H(1), &next));
	ck_assert_int_eq(next, H(2));
	ck_assert(timeline_next_change(tl, H(-100), &next));
	ck_assert_int_eq(next, H(0));
	ck_assert(!timeline_next_change(tl, H(5), &next));
	ck_assert_int_eq(timeline_base(tl), 10);
	timeline_free(tl);
}
END_TEST

/* A random instant near hour h: mostly on the hour, sometimes inside it. */
static int64_t
rand_instant(uint64_t *rs, int64_t h)
{
	return H(h) + (brute_range(rs, 0, 3) == 0 ? brute_range(rs, 1, 3599) : 0);
}

/* Hours whose cells meet [a, b): floor(a) .. ceil(b) - 1. */
static int64_t
hour_floor(int64_t t)
{
	int64_t d = t - BRUTE_T0;

	return d >= 0 ? d / 3600 : -((-d + 3599) / 3600);
}

static int64_t
hour_ceil(int64_t t)
{
	return -hour_floor(-(t - BRUTE_T0) + BRUTE_T0);
}

/* Fails with the seed, the operation and the condition. */
#define SEEDED(cond) BRUTE_CHECK(cond, "seed %llu op %ld: %s", (unsigned long long)seed, ops, \
    #cond)

START_TEST(random_against_brute)
{
	uint64_t seed = brute_seed(), rs = seed;
	static struct brute_pool bp;
	long ops = 0;

	for (int trial = 0; trial < 60; trial++) {
		struct timeline *tl;
		int64_t span = brute_range(&rs, 24, BRUTE_HOURS);
		int64_t next_id = 1;

		brute_init(&bp, brute_range(&rs, 0, 20));
		ck_assert_int_eq(timeline_build(bp.base, NULL, 0, NULL, 0, &tl), 0);
		for (int op = 0; op < 100; op++, ops++) {
			int kind = (int)brute_range(&rs, 0, 9);
			int64_t h0 = brute_range(&rs, 0, span - 1);
			int64_t h1 = brute_range(&rs, h0 + 1, span);
			int64_t cards = brute_range(&rs, 1, 8);

			if (kind == 0) {
				struct timeline_outage o = { H(h0), H(h1), cards };

				ck_assert_int_eq(timeline_add_outage(tl, &o), 0);
				brute_add(bp.lost, h0, h1, cards);
			} else if (kind <= 4) {
				struct timeline_grant g = { next_id++, H(h0), H(h1), cards };
				struct timeline_breach b;
				int64_t bad = -1;
				int rc;

				for (int64_t h = h0; h < h1 && bad < 0; h++)
					if (brute_slack(&bp, h) < cards)
						bad = h;
				rc = timeline_check_add(tl, &g, 1, &b);
				BRUTE_CHECK(rc == (bad < 0 ? 0 : GD_ECAPACITY),
				    "seed %llu op %ld: check_add rc %d", (unsigned long long)seed,
				    ops, rc);
				if (rc != 0) {
					BRUTE_CHECK(b.at == H(bad) && b.asked == cards &&
					    b.free == (brute_slack(&bp, bad) > 0 ?
					    brute_slack(&bp, bad) : 0),
					    "seed %llu op %ld: breach", (unsigned long long)seed,
					    ops);
					continue;
				}
				ck_assert_int_eq(timeline_add_grant(tl, &g), 0);
				brute_add(bp.granted, h0, h1, cards);
				/* What check_add admitted never exceeds capacity. */
				for (int64_t h = h0; h < h1; h++)
					BRUTE_CHECK(brute_slack(&bp, h) >= 0,
					    "seed %llu op %ld: over capacity at hour %lld",
					    (unsigned long long)seed, ops, (long long)h);
			} else if (kind == 5) {
				size_t n;
				const struct timeline_grant *gs = timeline_grants(tl, &n);

				if (n == 0)
					continue;
				struct timeline_grant g = gs[brute_range(&rs, 0, (int64_t)n - 1)];

				ck_assert_int_eq(timeline_remove_grant(tl, g.id), 0);
				brute_add(bp.granted, hour_floor(g.from), hour_floor(g.to),
				    -g.cards);
			} else {
				int64_t a = rand_instant(&rs, h0 - 3);
				int64_t b = rand_instant(&rs, h1 + 3);
				int64_t ha = hour_floor(a), hb = hour_ceil(b);
				int64_t want = brute_free_min(&bp, ha, hb), at, slack, next;
				struct timeline_segment *seg;
				size_t n;

				if (a >= b)
					continue;
				BRUTE_CHECK(timeline_free_min(tl, a, b) == want,
				    "seed %llu op %ld: free_min %lld, brute %lld",
				    (unsigned long long)seed, ops,
				    (long long)timeline_free_min(tl, a, b), (long long)want);

				/* first_short: the first hour below `cards`, clipped to a. */
				int64_t bad = 0;
				bool short_found = false;

				for (int64_t h = ha; h < hb && !short_found; h++)
					if (brute_slack(&bp, h) < cards) {
						bad = h;
						short_found = true;
					}
				bool got = timeline_first_short(tl, a, b, cards, &at, &slack);

				BRUTE_CHECK(got == short_found, "seed %llu op %ld: first_short",
				    (unsigned long long)seed, ops);
				if (got)
					BRUTE_CHECK(at == (H(bad) > a ? H(bad) : a) &&
					    slack == brute_slack(&bp, bad),
					    "seed %llu op %ld: first_short at %+lld s slack %lld, "
					    "brute hour %lld slack %lld", (unsigned long long)seed,
					    ops, (long long)(at - BRUTE_T0), (long long)slack,
					    (long long)bad, (long long)brute_slack(&bp, bad));

				/*
				 * short_until: the last hour below `cards`, and the
				 * stretch below it from there on, past b, to the first
				 * hour that is not (none past the model: for ever).
				 */
				int64_t last = 0, until, end;

				for (int64_t h = ha; h < hb; h++)
					if (brute_slack(&bp, h) < cards)
						last = h;
				for (end = last + 1; end <= BRUTE_HOURS &&
				    brute_slack(&bp, end) < cards; end++)
					;
				got = timeline_short_until(tl, a, b, cards, &until);
				BRUTE_CHECK(got == short_found && (!got || until ==
				    (end > BRUTE_HOURS ? INT64_MAX : H(end))),
				    "seed %llu op %ld: short_until %d until %+lld s, brute %d hour "
				    "%lld to %lld", (unsigned long long)seed, ops, got,
				    (long long)(until - BRUTE_T0), short_found, (long long)last,
				    (long long)end);

				/* free_until: both at once, the stretch for the minimum plus one. */
				int64_t u1 = 0, u2 = 0, f = timeline_free_until(tl, a, b, &u2);

				BRUTE_CHECK(f == want && timeline_short_until(tl, a, b, f + 1, &u1) &&
				    u1 == u2, "seed %llu op %ld: free_until %lld until %+lld s, "
				    "brute %lld, short_until %+lld s", (unsigned long long)seed, ops,
				    (long long)f, (long long)(u2 - BRUTE_T0), (long long)want,
				    (long long)(u1 - BRUTE_T0));

				/* segments: no gaps, no equal neighbours, brute values. */
				ck_assert_int_eq(timeline_segments(tl, a, b, &seg, &n), 0);
				SEEDED(n > 0 && seg[0].from == a && seg[n - 1].to == b);
				for (size_t k = 0; k < n; k++) {
					SEEDED(seg[k].from < seg[k].to);
					if (k > 0) {
						SEEDED(seg[k].from == seg[k - 1].to);
						SEEDED(seg[k].capacity != seg[k - 1].capacity ||
						    seg[k].allocated != seg[k - 1].allocated ||
						    seg[k].impaired != seg[k - 1].impaired);
					}
					for (int64_t h = hour_floor(seg[k].from);
					    h < hour_ceil(seg[k].to); h++) {
						int64_t c = brute_capacity(&bp, h);
						int64_t g = brute_granted(&bp, h);
						int64_t al = g < c ? g : c;

						BRUTE_CHECK(seg[k].capacity == c &&
						    seg[k].allocated == al &&
						    seg[k].impaired == g - al &&
						    seg[k].free == c - al,
						    "seed %llu op %ld: segment %zu hour %lld",
						    (unsigned long long)seed, ops, k, (long long)h);
					}
				}
				free(seg);

				/* next_change: nothing changes strictly between a and it. */
				if (timeline_next_change(tl, a, &next)) {
					SEEDED(next > a);
					for (int64_t h = ha + 1; H(h) < next; h++)
						BRUTE_CHECK(brute_slack(&bp, h) ==
						    brute_slack(&bp, h - 1), "seed %llu op %ld: "
						    "change before next_change",
						    (unsigned long long)seed, ops);
				} else {
					for (int64_t h = ha; h < BRUTE_HOURS; h++)
						SEEDED(brute_slack(&bp, h) == bp.base);
				}
			}
		}
		timeline_free(tl);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("timeline");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, epoch);
	tcase_add_loop_test(tc, step_function, 0, N(steps));
	tcase_add_loop_test(tc, build_checks, 0, N(builds));
	tcase_add_loop_test(tc, check_add, 0, N(adds));
	tcase_add_test(tc, incremental);
	tcase_add_test(tc, random_against_brute);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
