/* test_placement.c: earliest-fit placement and split checks against tables and a brute force. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "civil.h"
#include "err.h"
#include "placement.h"
#include "timeline.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SEOUL (9 * 3600)
/* 2026-03-01 00:00 in Seoul, and offsets from it. */
#define D0 (BRUTE_T0 - SEOUL)
#define DAY(x) ((int64_t)(x) * CIVIL_DAY)
#define HOUR(x) ((int64_t)(x) * 3600)

/* A pool as the tables describe it: times are offsets from D0. */
struct pool_spec {
	const char *id;
	int64_t weight, base;
	struct { int64_t from, to, cards; } grant[3], outage[2];
};

static void
make_pools(const struct pool_spec *spec, size_t n, struct placement_pool *pools)
{
	for (size_t p = 0; p < n; p++) {
		struct timeline_grant g[3];
		struct timeline_outage o[2];
		size_t ng = 0, no = 0;

		for (size_t i = 0; i < 3 && spec[p].grant[i].cards > 0; i++, ng++)
			g[i] = (struct timeline_grant){ (int64_t)(p * 10 + i),
			    D0 + spec[p].grant[i].from, D0 + spec[p].grant[i].to,
			    spec[p].grant[i].cards };
		for (size_t i = 0; i < 2 && spec[p].outage[i].cards > 0; i++, no++)
			o[i] = (struct timeline_outage){ D0 + spec[p].outage[i].from,
			    D0 + spec[p].outage[i].to, spec[p].outage[i].cards };
		pools[p].id = spec[p].id;
		pools[p].weight_milli = spec[p].weight;
		pools[p].hint = NULL;
		ck_assert_int_eq(timeline_build(spec[p].base, o, no, g, ng, &pools[p].tl), 0);
	}
}

static void
free_pools(struct placement_pool *pools, size_t n)
{
	for (size_t p = 0; p < n; p++)
		timeline_free(pools[p].tl);
}

static const struct {
	const char *what;
	struct pool_spec pool[4];
	size_t npools;
	int64_t units, period_days, not_before, horizon_days;
	int rc;
	int64_t start;			/* offset from D0 */
	struct { const char *pool; int64_t cards; } share[3];
	size_t nshares;
} finds[] = {
	{ "one pool fits at once", { { "skt", 1000, 1000, {{0}}, {{0}} } }, 1,
	    768000, 30, 0, 1096, 0, 0, { { "skt", 768 } }, 1 },
	{ "fewest pools", { { "a", 1000, 500, {{0}}, {{0}} }, { "b", 1000, 300, {{0}}, {{0}} },
	    { "c", 1000, 800, {{0}}, {{0}} } }, 3,
	    768000, 30, 0, 1096, 0, 0, { { "c", 768 } }, 1 },
	{ "two pools, roomiest filled first", { { "c", 1000, 300, {{0}}, {{0}} },
	    { "b", 1000, 400, {{0}}, {{0}} }, { "a", 1000, 500, {{0}}, {{0}} } }, 3,
	    768000, 30, 0, 1096, 0, 0, { { "a", 500 }, { "b", 268 } }, 2 },
	{ "equal free: id decides", { { "nhn", 1000, 800, {{0}}, {{0}} },
	    { "kakao", 1000, 800, {{0}}, {{0}} } }, 2,
	    768000, 30, 0, 1096, 0, 0, { { "kakao", 768 } }, 1 },
	{ "512 B200 + 1024 H100 hold 768 units", { { "b200", 1000, 512, {{0}}, {{0}} },
	    { "h100", 500, 1024, {{0}}, {{0}} } }, 2,
	    768000, 30, 0, 1096, 0, 0, { { "h100", 1024 }, { "b200", 256 } }, 2 },
	{ "mixed weights: only some splits are exact", { { "x", 1500, 10, {{0}}, {{0}} },
	    { "y", 1000, 10, {{0}}, {{0}} } }, 2,
	    5500, 1, 0, 1096, 0, 0, { { "x", 3 }, { "y", 1 } }, 2 },
	{ "single model preferred by count", { { "b200", 1000, 600, {{0}}, {{0}} },
	    { "h100", 500, 2000, {{0}}, {{0}} } }, 2,
	    768000, 30, 0, 1096, 0, 0, { { "h100", 1536 } }, 1 },
	{ "no exact split ever", { { "x", 1500, 100, {{0}}, {{0}} } }, 1,
	    1000, 1, 0, 1096, GD_ENOCAPACITY, 0, {{0}}, 0 },
	{ "larger than every pool together", { { "a", 1000, 100, {{0}}, {{0}} } }, 1,
	    768000, 30, 0, 1096, GD_ENOCAPACITY, 0, {{0}}, 0 },
	{ "no pools", {{0}}, 0, 768000, 30, 0, 1096, GD_ENOCAPACITY, 0, {{0}}, 0 },
	{ "waits for a grant to end", { { "a", 1000, 1000,
	    { { DAY(0), DAY(10), 500 } }, {{0}} } }, 1,
	    768000, 30, 0, 1096, 0, DAY(10), { { "a", 768 } }, 1 },
	{ "outage ends mid-day: next midnight", { { "a", 1000, 1000, {{0}},
	    { { DAY(0), DAY(5) + HOUR(3), 300 } } } }, 1,
	    768000, 30, 0, 1096, 0, DAY(6), { { "a", 768 } }, 1 },
	{ "gap between grants too short", { { "a", 1000, 1000,
	    { { DAY(0), DAY(10), 500 }, { DAY(20), DAY(40), 500 } }, {{0}} } }, 1,
	    768000, 30, 0, 1096, 0, DAY(40), { { "a", 768 } }, 1 },
	{ "grant inside every early window", { { "a", 1000, 1000,
	    { { DAY(20), DAY(21), 300 } }, {{0}} } }, 1,
	    768000, 30, 0, 1096, 0, DAY(21), { { "a", 768 } }, 1 },
	{ "not_before mid-day", { { "a", 1000, 1000, {{0}}, {{0}} } }, 1,
	    768000, 30, DAY(2) + HOUR(1), 1096, 0, DAY(3), { { "a", 768 } }, 1 },
	{ "beyond the horizon: earliest_start", { { "a", 1000, 1000,
	    { { DAY(0), DAY(1200), 300 } }, {{0}} } }, 1,
	    768000, 30, 0, 1096, GD_ENOCAPACITY, DAY(1200), { { "a", 768 } }, 1 },
	{ "one pool busy, the other free later", { { "a", 1000, 800,
	    { { DAY(0), DAY(50), 100 } }, {{0}} }, { "b", 1000, 800,
	    { { DAY(0), DAY(40), 100 } }, {{0}} } }, 2,
	    768000, 30, 0, 1096, 0, 0, { { "a", 700 }, { "b", 68 } }, 2 },
};

START_TEST(find)
{
	struct placement_pool pools[4];
	size_t n = finds[_i].npools;
	struct placement_request req = { finds[_i].units, DAY(finds[_i].period_days),
	    D0 + finds[_i].not_before, SEOUL, D0 + DAY(finds[_i].horizon_days) };
	struct placement res;
	int rc;

	make_pools(finds[_i].pool, n, pools);
	rc = placement_find(pools, n, &req, &res);
	ck_assert_msg(rc == finds[_i].rc, "%s: rc %d", finds[_i].what, rc);
	ck_assert_msg(res.nshares == finds[_i].nshares, "%s: %zu shares", finds[_i].what,
	    res.nshares);
	if (res.nshares > 0) {
		ck_assert_msg(res.start == D0 + finds[_i].start, "%s: start %+lld s",
		    finds[_i].what, (long long)(res.start - D0));
		ck_assert_int_eq(res.end, res.start + req.period);
	}
	for (size_t k = 0; k < res.nshares; k++)
		ck_assert_msg(strcmp(pools[res.shares[k].pool].id, finds[_i].share[k].pool) == 0 &&
		    res.shares[k].cards == finds[_i].share[k].cards, "%s: share %zu is %s %lld",
		    finds[_i].what, k, pools[res.shares[k].pool].id,
		    (long long)res.shares[k].cards);
	placement_release(&res);
	free_pools(pools, n);
}
END_TEST

START_TEST(find_bad_requests)
{
	struct placement_pool pools[1], two[2];
	static const struct pool_spec spec = { "a", 1000, 10, {{0}}, {{0}} };
	struct placement_request req = { 1000, DAY(1), D0, SEOUL, D0 };
	struct placement res;

	make_pools(&spec, 1, pools);
	req.units_milli = 0;
	ck_assert_int_eq(placement_find(pools, 1, &req, &res), GD_EINVAL);
	req.units_milli = 1000;
	req.period = 0;
	ck_assert_int_eq(placement_find(pools, 1, &req, &res), GD_EINVAL);
	req.period = DAY(1);
	pools[0].weight_milli = 0;
	ck_assert_int_eq(placement_find(pools, 1, &req, &res), GD_EINVAL);
	pools[0].weight_milli = PLACEMENT_MAX_WEIGHT + 1;
	ck_assert_int_eq(placement_find(pools, 1, &req, &res), GD_ERANGE);
	/* One weight needs no table: a huge package is simply too large for the pool. */
	pools[0].weight_milli = 999;
	req.units_milli = INT64_C(1) << 40;
	ck_assert_int_eq(placement_find(pools, 1, &req, &res), GD_ENOCAPACITY);
	ck_assert_uint_eq(res.nshares, 0);
	req.units_milli = INT64_MAX;
	ck_assert_int_eq(placement_find(pools, 1, &req, &res), GD_ENOCAPACITY);
	/* Weights with no common factor and a huge package: the table is refused. */
	two[0] = pools[0];
	two[1] = pools[0];
	two[1].weight_milli = 1000;
	req.units_milli = INT64_C(1) << 40;
	ck_assert_int_eq(placement_find(two, 2, &req, &res), GD_ERANGE);
	req.units_milli = INT64_MAX;
	ck_assert_int_eq(placement_find(two, 2, &req, &res), GD_ERANGE);
	req.units_milli = 1000;
	req.not_before = INT64_MIN;
	ck_assert_int_eq(placement_find(pools, 1, &req, &res), GD_ERANGE);
	free_pools(pools, 1);
}
END_TEST

/* Pools b200 (512 cards, 100 out from day 4 09:00 UTC to day 6) and h100 (1024 cards). */
static const struct {
	const char *what;
	struct placement_split split[3];
	size_t n;
	int rc;
	const char *detail;
} splits[] = {
	{ "400 B200 + 736 H100", { { "b200", 400 }, { "h100", 736 } }, 2, 0, NULL },
	{ "unknown pool", { { "b200", 400 }, { "nope", 1 } }, 2, GD_ENOENT, "unknown pool nope" },
	{ "listed twice", { { "h100", 2 }, { "h100", 2 } }, 2, GD_EINVAL,
	    "pool h100 is listed twice" },
	{ "zero cards", { { "h100", 0 } }, 1, GD_EINVAL, "pool h100: cards must be 1 to 1000000" },
	{ "outage in the window", { { "b200", 512 }, { "h100", 512 } }, 2, GD_ECAPACITY,
	    "pool b200 has 412 cards free at 2026-03-05 18:00 KST (2026-03-05T09:00:00Z), "
	    "512 asked" },
	{ "units short", { { "b200", 400 }, { "h100", 480 } }, 2, GD_EFAIRNESS,
	    "the split holds 640.000 units, the package 768.000" },
	{ "capacity wins over units", { { "h100", 1025 } }, 1, GD_ECAPACITY,
	    "pool h100 has 1024 cards free at 2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	    "1025 asked" },
	{ "empty split", {{0}}, 0, GD_EFAIRNESS,
	    "the split holds 0.000 units, the package 768.000" },
};

START_TEST(check_split)
{
	static const struct pool_spec spec[] = {
		{ "b200", 1000, 512, {{0}}, { { DAY(4) + HOUR(18), DAY(6), 100 } } },
		{ "h100", 500, 1024, {{0}}, {{0}} },
	};
	/* The instant of a breach is named in the programme's zone, UTC beside it. */
	static const struct civil_zone zone = { SEOUL, "KST" };
	struct placement_pool pools[2];
	char detail[GD_ERRBUF] = "";
	int rc;

	make_pools(spec, 2, pools);
	rc = placement_check_split(pools, 2, splits[_i].split, splits[_i].n, 768000, D0,
	    D0 + DAY(30), &zone, detail, sizeof(detail));
	ck_assert_msg(rc == splits[_i].rc, "%s: rc %d (%s)", splits[_i].what, rc, detail);
	if (splits[_i].detail != NULL)
		ck_assert_str_eq(detail, splits[_i].detail);
	free_pools(pools, 2);
}
END_TEST

/* ---- the brute force ---- */

#define RPOOLS 4
#define RCARDS 8

struct brute_case {
	int npools;
	const char *id[RPOOLS];
	int64_t weight[RPOOLS];
	struct brute_pool bp[RPOOLS];
};

/* The best split of units over free cards f[] by the documented rule, or 0 pools. */
static int
brute_best(const struct brute_case *bc, const int64_t *f, int64_t units, int64_t *best)
{
	int order[RPOOLS], n = bc->npools, best_count = RPOOLS + 1;
	int64_t c[RPOOLS] = { 0 };

	/* Rank: more free first, then id, then index. */
	for (int i = 0; i < n; i++)
		order[i] = i;
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0; j--) {
			int x = order[j], y = order[j - 1];
			int cmp = f[x] != f[y] ? (f[x] > f[y] ? -1 : 1) :
			    strcmp(bc->id[x], bc->id[y]);

			if (cmp > 0 || (cmp == 0 && x > y))
				break;
			order[j] = y;
			order[j - 1] = x;
		}
	/* Every vector of cards, in mixed radix. */
	for (;;) {
		int64_t sum = 0;
		int count = 0;

		for (int i = 0; i < n; i++) {
			sum += c[i] * bc->weight[i];
			count += c[i] > 0;
		}
		if (sum == units) {
			bool better = count < best_count;

			for (int k = 0; k < n && count == best_count; k++) {
				int p = order[k];

				if (c[p] != best[p]) {
					better = c[p] > best[p];
					break;
				}
			}
			if (better) {
				best_count = count;
				memcpy(best, c, sizeof(c));
			}
		}
		int i = 0;

		while (i < n && c[i] == f[i])
			c[i++] = 0;
		if (i == n)
			break;
		c[i]++;
	}
	return best_count > RPOOLS ? 0 : best_count;
}

static int64_t
hour_of(int64_t t)
{
	int64_t d = t - BRUTE_T0;

	return d >= 0 ? d / 3600 : -((-d + 3599) / 3600);
}

/* The random trial's pools, as the brute force sees them. */
static struct brute_case bc;

/*
 * placement_delays against the hours themselves: for each share, the hours
 * in [first, start) where its pool had fewer free cards than the share; the
 * last one's end is `until`, the fewest free cards there `free_cards`.  A
 * placement later than the first midnight always names at least one pool.
 */
static void
check_delays(const struct placement_pool *pools, const struct placement *res, int64_t first,
    uint64_t seed, int trial)
{
	struct placement_delay d[RPOOLS];
	size_t nd = placement_delays(pools, res, first, d), k2 = 0;

	for (size_t k = 0; k < res->nshares; k++) {
		size_t p = res->shares[k].pool;
		int64_t least = INT64_MAX, last = INT64_MIN;

		for (int64_t h = hour_of(first); h < hour_of(res->start); h++) {
			int64_t sl = brute_slack(&bc.bp[p], h);

			if (sl < res->shares[k].cards) {
				last = h;
				if (sl < least)
					least = sl;
			}
		}
		if (last == INT64_MIN)
			continue;
		BRUTE_CHECK(k2 < nd && d[k2].pool == p && d[k2].until == brute_at(last + 1) &&
		    d[k2].free_cards == (least > 0 ? least : 0),
		    "seed %llu trial %d: delay of pool %s: got %s until %lld free %lld, brute "
		    "until %lld free %lld", (unsigned long long)seed, trial, pools[p].id,
		    k2 < nd ? pools[d[k2].pool].id : "none",
		    k2 < nd ? (long long)(d[k2].until - BRUTE_T0) : -1LL,
		    k2 < nd ? (long long)d[k2].free_cards : -1LL,
		    (long long)(brute_at(last + 1) - BRUTE_T0), (long long)least);
		k2++;
	}
	BRUTE_CHECK(k2 == nd && (res->start == first) == (nd == 0),
	    "seed %llu trial %d: %zu delays, brute %zu, start %lld first %lld",
	    (unsigned long long)seed, trial, nd, k2, (long long)(res->start - BRUTE_T0),
	    (long long)(first - BRUTE_T0));
}

static bool
same(int ra, const struct placement *a, int rb, const struct placement *b)
{
	if (ra != rb || a->start != b->start || a->nshares != b->nshares)
		return false;
	for (size_t i = 0; i < a->nshares; i++)
		if (a->shares[i].pool != b->shares[i].pool || a->shares[i].cards != b->shares[i].cards)
			return false;
	return true;
}

/*
 * Searches that start from what earlier ones left in the pools' hints (later
 * starts, longer periods, and earlier ones the hints must not serve) answer
 * as searches from nothing do.
 */
static void
check_hints(struct placement_pool *pools, size_t n, const struct placement_request *req,
    uint64_t *rs, uint64_t seed, int trial)
{
	struct placement_hint hints[RPOOLS];
	struct placement a, b;
	int ra, rb;

	memset(hints, 0, sizeof(hints));
	for (int v = 0; v < 6; v++) {
		struct placement_request q = *req;

		q.not_before += HOUR(24 * brute_range(rs, -2, 6));
		q.period += HOUR(24 * brute_range(rs, -1, 3));
		if (q.period < HOUR(24))
			q.period = HOUR(24);
		for (size_t p = 0; p < n; p++)
			pools[p].hint = NULL;
		ra = placement_find(pools, n, &q, &a);
		for (size_t p = 0; p < n; p++)
			pools[p].hint = &hints[p];
		rb = placement_find(pools, n, &q, &b);
		BRUTE_CHECK(same(ra, &a, rb, &b), "seed %llu trial %d: with hints %d start %lld "
		    "%zu shares, without %d start %lld %zu shares", (unsigned long long)seed, trial,
		    rb, (long long)(b.start - BRUTE_T0), b.nshares, ra,
		    (long long)(a.start - BRUTE_T0), a.nshares);
		placement_release(&a);
		placement_release(&b);
	}
	for (size_t p = 0; p < n; p++)
		pools[p].hint = NULL;
}

START_TEST(random_against_brute)
{
	static const char *names[RPOOLS] = { "d", "b", "c", "a" };
	static const int64_t weights[] = { 500, 1000, 1500 };
	static const int32_t zones[] = { 0, SEOUL, -5 * 3600 };
	uint64_t seed = brute_seed(), rs = seed;
	long founds = 0, nevers = 0;

	for (int trial = 0; trial < 400; trial++) {
		struct placement_pool pools[RPOOLS];
		int32_t zone = zones[brute_range(&rs, 0, 2)];
		int64_t period_h = 24 * brute_range(&rs, 1, 5);
		int64_t units = 500 * brute_range(&rs, 1, 24);
		int64_t nb = brute_at(brute_range(&rs, -30, 240));
		struct placement_request req = { units, HOUR(period_h), nb, zone, INT64_MAX };
		struct placement res;
		int64_t f[RPOOLS], best[RPOOLS], day, first;
		int rc, count = 0;

		bc.npools = (int)brute_range(&rs, 1, RPOOLS);
		for (int p = 0; p < bc.npools; p++) {
			struct timeline_grant g[6];
			struct timeline_outage o[3];
			int ng = (int)brute_range(&rs, 0, 6), no = (int)brute_range(&rs, 0, 3);

			bc.id[p] = names[p];
			bc.weight[p] = weights[brute_range(&rs, 0, 2)];
			brute_init(&bc.bp[p], brute_range(&rs, 0, RCARDS));
			for (int i = 0; i < ng; i++) {
				int64_t h0 = brute_range(&rs, 0, 400);
				int64_t h1 = brute_range(&rs, h0 + 1, 420);

				g[i] = (struct timeline_grant){ i, brute_at(h0), brute_at(h1),
				    brute_range(&rs, 1, 4) };
				brute_add(bc.bp[p].granted, h0, h1, g[i].cards);
			}
			for (int i = 0; i < no; i++) {
				int64_t h0 = brute_range(&rs, 0, 400);
				int64_t h1 = brute_range(&rs, h0 + 1, 420);

				o[i] = (struct timeline_outage){ brute_at(h0), brute_at(h1),
				    brute_range(&rs, 1, 4) };
				brute_add(bc.bp[p].lost, h0, h1, o[i].cards);
			}
			pools[p] = (struct placement_pool){ bc.id[p], bc.weight[p], NULL, NULL };
			ck_assert_int_eq(timeline_build(bc.bp[p].base, o, (size_t)no, g, (size_t)ng,
			    &pools[p].tl), 0);
		}
		rc = placement_find(pools, (size_t)bc.npools, &req, &res);

		/* Brute force: every day from the first midnight at or after not_before. */
		day = civil_local_day(nb, zone);
		if (civil_local_midnight(day, zone) < nb)
			day++;
		first = civil_local_midnight(day, zone);
		for (;; day++) {
			int64_t h0 = hour_of(civil_local_midnight(day, zone));

			for (int p = 0; p < bc.npools; p++) {
				f[p] = brute_free_min(&bc.bp[p], h0, h0 + period_h);
				if (f[p] > RCARDS)
					f[p] = RCARDS;
			}
			if ((count = brute_best(&bc, f, units, best)) > 0)
				break;
			/* Past every event the pools never change again. */
			if (h0 > BRUTE_HOURS)
				break;
		}
		if (count == 0) {
			BRUTE_CHECK(rc == GD_ENOCAPACITY && res.nshares == 0,
			    "seed %llu trial %d: rc %d, brute finds nothing",
			    (unsigned long long)seed, trial, rc);
			nevers++;
		} else {
			int64_t start = civil_local_midnight(day, zone), sum = 0;

			BRUTE_CHECK(rc == 0 && res.start == start && (int)res.nshares == count,
			    "seed %llu trial %d: rc %d start %lld shares %zu; brute %lld, %d pools",
			    (unsigned long long)seed, trial, rc, (long long)(res.start - BRUTE_T0),
			    res.nshares, (long long)(start - BRUTE_T0), count);
			for (size_t k = 0; k < res.nshares; k++) {
				size_t p = res.shares[k].pool;
				int64_t h0 = hour_of(res.start);

				BRUTE_CHECK(res.shares[k].cards == best[p] &&
				    res.shares[k].cards <=
				    brute_free_min(&bc.bp[p], h0, h0 + period_h),
				    "seed %llu trial %d: pool %s gets %lld, brute %lld",
				    (unsigned long long)seed, trial, bc.id[p],
				    (long long)res.shares[k].cards, (long long)best[p]);
				sum += res.shares[k].cards * bc.weight[p];
			}
			BRUTE_CHECK(sum == units, "seed %llu trial %d: units",
			    (unsigned long long)seed, trial);
			check_delays(pools, &res, first, seed, trial);
			founds++;
		}
		check_hints(pools, (size_t)bc.npools, &req, &rs, seed, trial);
		placement_release(&res);
		free_pools(pools, (size_t)bc.npools);
	}
	/* The generator must exercise both outcomes. */
	ck_assert(founds > 100 && nevers > 5);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("placement");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, find, 0, N(finds));
	tcase_add_test(tc, find_bad_requests);
	tcase_add_loop_test(tc, check_split, 0, N(splits));
	tcase_add_test(tc, random_against_brute);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
