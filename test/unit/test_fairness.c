/* test_fairness.c: the fairness rules on the programme's situations; gaps and excess by brute force. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "civil.h"
#include "err.h"
#include "fairness.h"
#include "timeline.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
/* Local midnights in Seoul from 2026-03-01 on: D(0) is 2026-02-28T15:00:00Z. */
#define D(x) (BRUTE_T0 - 9 * 3600 + (int64_t)(x) * CIVIL_DAY)
#define VOUCHER INT64_C(10000000000)
#define PACKAGE 768000

/* Details name instants in the programme's zone, UTC beside them. */
static const struct civil_zone ZONE = { 9 * 3600, "KST" };

/* 768 B200 for the given days, on pool skt. */
#define B200(from, to) { "skt", 1000, 768, D(from), D(to), false, false }

struct spec {
	const char *team;
	enum fairness_state state;
	int64_t start, end, eff;	/* days */
	int64_t voucher;
	struct fairness_grant g[3];
	size_t ng;
	int64_t lost, comp;
	unsigned ovr;
};

static const struct {
	const char *what;
	int64_t period;			/* days */
	int64_t skt_busy;		/* cards another phase holds on skt over days 0..30 */
	struct spec e[3];
	size_t n;
	int64_t at;			/* day */
	int code;
	struct { const char *rule, *detail; } v[3];
	size_t nv;
} cases[] = {
	{ "a late team shifted, not shortened", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER, { B200(0, 30) }, 1, 0, 0, 0 },
	      { "motif", FAIRNESS_ACTIVE, 10, 40, 0, VOUCHER, { B200(10, 40) }, 1, 0, 0, 0 } },
	    2, 5, 0, {{0}}, 0 },
	{ "512 B200 + 512 H100 equal 768 B200", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER,
	      { { "skt", 1000, 512, D(0), D(30), false, false },
	        { "nhn", 500, 512, D(0), D(30), false, false } }, 2, 0, 0, 0 } },
	    1, 5, 0, {{0}}, 0 },
	{ "a shortened window", 30, 0,
	    { { "motif", FAIRNESS_ACTIVE, 10, 39, 0, VOUCHER, { B200(10, 39) }, 1, 0, 0, 0 } },
	    1, 5, GD_EFAIRNESS,
	    { { "equal_period", "team motif: window [2026-03-11 00:00 KST (2026-03-10T15:00:00Z), "
	      "2026-04-09 00:00 KST (2026-04-08T15:00:00Z)) lasts 29 days, the period 30 days" } },
	    1 },
	{ "an extension that missed one team", 40, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 40, 0, VOUCHER, { B200(0, 40) }, 1, 0, 0, 0 },
	      { "b", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER, { B200(0, 30) }, 1, 0, 0, 0 } },
	    2, 5, GD_EFAIRNESS,
	    { { "equal_period", "team b: window [2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-03-31 00:00 KST (2026-03-30T15:00:00Z)) lasts 30 days, the period 40 days" } },
	    1 },
	{ "a completed team is held to the period", 30, 0,
	    { { "a", FAIRNESS_COMPLETED, 0, 29, 0, VOUCHER, { B200(0, 29) }, 1, 0, 0, 0 } },
	    1, 40, GD_EFAIRNESS,
	    { { "equal_period", "team a: window [2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-03-30 00:00 KST (2026-03-29T15:00:00Z)) lasts 29 days, the period 30 days" } },
	    1 },
	{ "fewer units for a stretch", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER,
	      { B200(0, 10), { "skt", 1000, 700, D(10), D(30), false, false } }, 2, 0, 0, 0 } },
	    1, 5, GD_EFAIRNESS,
	    { { "equal_resource", "team a holds 700.000 units instead of 768.000 in "
	      "[2026-03-11 00:00 KST (2026-03-10T15:00:00Z), "
	      "2026-03-31 00:00 KST (2026-03-30T15:00:00Z))" } }, 1 },
	{ "late start and early end", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER, { B200(1, 29) }, 1, 0, 0, 0 } },
	    1, 5, GD_EFAIRNESS,
	    { { "equal_resource", "team a holds 0.000 units instead of 768.000 in "
	      "[2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-03-02 00:00 KST (2026-03-01T15:00:00Z)) and 1 more stretches" } }, 1 },
	{ "a grant past the window", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER, { B200(0, 31) }, 1, 0, 0, 0 } },
	    1, 5, GD_EFAIRNESS,
	    { { "equal_resource", "team a: 768 cards of pool skt over "
	      "[2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-04-01 00:00 KST (2026-03-31T15:00:00Z)) reach outside "
	      "[2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-03-31 00:00 KST (2026-03-30T15:00:00Z))" } },
	    1 },
	{ "eliminated: checked up to the effective date", 30, 0,
	    { { "a", FAIRNESS_ELIMINATED, 0, 30, 15, 4000000000, { B200(0, 15) }, 1, 9, 0, 0 } },
	    1, 40, 0, {{0}}, 0 },
	{ "withdrawn but still holding cards", 30, 0,
	    { { "a", FAIRNESS_WITHDRAWN, 0, 30, 15, 0, { B200(0, 20) }, 1, 0, 0, 0 } },
	    1, 40, GD_EFAIRNESS,
	    { { "equal_resource", "team a: 768 cards of pool skt over "
	      "[2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-03-21 00:00 KST (2026-03-20T15:00:00Z)) reach outside "
	      "[2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-03-16 00:00 KST (2026-03-15T15:00:00Z))" } },
	    1 },
	{ "a smaller voucher", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, 9000000000, { B200(0, 30) }, 1, 0, 0, 0 } },
	    1, 5, GD_EFAIRNESS,
	    { { "equal_resource", "team a: voucher budget 9,000,000,000 KRW, the package "
	      "10,000,000,000 KRW" } }, 1 },
	{ "a debt after the window", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER, { B200(0, 30) }, 1, 7200000, 0, 0 } },
	    1, 31, GD_EFAIRNESS,
	    { { "equal_delivery", "team a is owed 2.000 unit-hours (7200000 milli-unit-seconds) "
	      "after its window ended at 2026-03-31 00:00 KST (2026-03-30T15:00:00Z)" } }, 1 },
	{ "a debt during the window is not late", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER, { B200(0, 30) }, 1, 7200000, 0, 0 } },
	    1, 20, 0, {{0}}, 0 },
	{ "a make-up that rounds up pays the debt", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER,
	      { B200(0, 30), { "skt", 1000, 768, D(30), D(30) + 3600, true, false } }, 2,
	      7200, INT64_C(768000) * 3600, 0 } },
	    1, 31, 0, {{0}}, 0 },
	{ "an override hides what it excuses", 30, 0,
	    { { "a", FAIRNESS_ACTIVE, 0, 29, 0, 1, { B200(0, 29) }, 1, 7200000, 0,
	      FAIRNESS_OVERRIDE_PERIOD | FAIRNESS_OVERRIDE_RESOURCE |
	      FAIRNESS_OVERRIDE_DELIVERY } },
	    1, 40, 0, {{0}}, 0 },
	{ "an added grant over capacity", 30, 500,
	    { { "motif", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER,
	      { { "skt", 1000, 768, D(0), D(30), false, true } }, 1, 0, 0, 0 } },
	    1, 5, GD_ECAPACITY,
	    { { "capacity", "pool skt has 500 cards free at 2026-03-01 00:00 KST "
	      "(2026-02-28T15:00:00Z), 768 asked (team motif)" } }, 1 },
	{ "capacity and fairness at once", 30, 500,
	    { { "motif", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER,
	      { { "skt", 1000, 700, D(0), D(30), false, true } }, 1, 0, 0, 0 } },
	    1, 5, GD_ECAPACITY,
	    { { "capacity", "pool skt has 500 cards free at 2026-03-01 00:00 KST "
	      "(2026-02-28T15:00:00Z), 700 asked (team motif)" },
	      { "equal_resource", "team motif holds 700.000 units instead of 768.000 in "
	      "[2026-03-01 00:00 KST (2026-02-28T15:00:00Z), "
	      "2026-03-31 00:00 KST (2026-03-30T15:00:00Z))" } }, 2 },
	{ "an existing grant is not re-checked", 30, 500,
	    { { "a", FAIRNESS_ACTIVE, 0, 30, 0, VOUCHER, { B200(0, 30) }, 1, 0, 0, 0 } },
	    1, 5, 0, {{0}}, 0 },
};

START_TEST(rules)
{
	static const struct fairness_phase ph0 = { 0, PACKAGE, VOUCHER };
	struct fairness_phase ph = ph0;
	struct fairness_enrollment e[3];
	struct fairness_pool pools[2];
	struct timeline *skt, *nhn;
	struct timeline_grant busy = { 1, D(0), D(30), cases[_i].skt_busy };
	struct fairness_report r;

	ph.period = cases[_i].period * CIVIL_DAY;
	ck_assert_int_eq(timeline_build(1000, NULL, 0, &busy, busy.cards > 0, &skt), 0);
	ck_assert_int_eq(timeline_build(1024, NULL, 0, NULL, 0, &nhn), 0);
	pools[0] = (struct fairness_pool){ "skt", skt };
	pools[1] = (struct fairness_pool){ "nhn", nhn };
	for (size_t i = 0; i < cases[_i].n; i++) {
		const struct spec *s = &cases[_i].e[i];

		e[i] = (struct fairness_enrollment){ s->team, s->state, D(s->start), D(s->end),
		    D(s->eff), s->voucher, s->g, s->ng, s->lost, s->comp, s->ovr };
	}
	ck_assert_int_eq(fairness_check(&ph, e, cases[_i].n, pools, 2, D(cases[_i].at), &ZONE,
	    &r), 0);
	ck_assert_msg(r.n == cases[_i].nv, "%s: %zu violations", cases[_i].what, r.n);
	for (size_t k = 0; k < r.n; k++)
		ck_assert_msg(strcmp(r.items[k].rule, cases[_i].v[k].rule) == 0 &&
		    strcmp(r.items[k].detail, cases[_i].v[k].detail) == 0, "%s: %s: %s",
		    cases[_i].what, r.items[k].rule, r.items[k].detail);
	ck_assert_int_eq(fairness_report_code(&r), cases[_i].code);
	fairness_report_free(&r);
	timeline_free(skt);
	timeline_free(nhn);
}
END_TEST

START_TEST(bad_input)
{
	static const struct fairness_phase ph = { 30 * CIVIL_DAY, PACKAGE, VOUCHER };
	struct fairness_grant g = { "nowhere", 1000, 768, D(0), D(30), false, true };
	struct fairness_enrollment e = { "a", FAIRNESS_ACTIVE, D(0), D(30), D(0), VOUCHER, &g, 1,
	    0, 0, 0 };
	struct fairness_report r;
	struct fairness_phase bad = ph;

	ck_assert_int_eq(fairness_check(&ph, &e, 1, NULL, 0, D(0), &ZONE, &r), GD_ENOENT);
	g.added = false;
	g.cards = 0;
	ck_assert_int_eq(fairness_check(&ph, &e, 1, NULL, 0, D(0), &ZONE, &r), GD_EINVAL);
	g.cards = 768;
	e.lost = -1;
	ck_assert_int_eq(fairness_check(&ph, &e, 1, NULL, 0, D(0), &ZONE, &r), GD_EINVAL);
	e.lost = 0;
	e.state = (enum fairness_state)7;
	ck_assert_int_eq(fairness_check(&ph, &e, 1, NULL, 0, D(0), &ZONE, &r), GD_EINVAL);
	e.state = FAIRNESS_ACTIVE;
	bad.period = 0;
	ck_assert_int_eq(fairness_check(&bad, &e, 1, NULL, 0, D(0), &ZONE, &r), GD_EINVAL);
	ck_assert_int_eq(fairness_check(&ph, &e, 1, NULL, 0, D(0), &ZONE, &r), 0);
	ck_assert_int_eq(r.n, 0);
	ck_assert_int_eq(fairness_report_code(&r), 0);
	fairness_report_free(&r);
	fairness_report_free(NULL);
}
END_TEST

/* The zone is the caller's: another offset and label, with seconds shown when not zero. */
START_TEST(zone_of_caller)
{
	static const struct fairness_phase ph = { 30 * CIVIL_DAY, PACKAGE, VOUCHER };
	static const struct civil_zone nepal = { 5 * 3600 + 45 * 60, "UTC+05:45" };
	struct fairness_grant g = B200(0, 30);
	struct fairness_enrollment e = { "a", FAIRNESS_ACTIVE, D(0), D(30) + 30, D(0), VOUCHER,
	    &g, 1, 0, 0, FAIRNESS_OVERRIDE_RESOURCE };
	struct fairness_report r;

	ck_assert_int_eq(fairness_check(&ph, &e, 1, NULL, 0, D(0), &nepal, &r), 0);
	ck_assert_int_eq(r.n, 1);
	ck_assert_str_eq(r.items[0].detail, "team a: window [2026-02-28 20:45 UTC+05:45 "
	    "(2026-02-28T15:00:00Z), 2026-03-30 20:45:30 UTC+05:45 (2026-03-30T15:00:30Z)) "
	    "lasts 2592030 s, the period 30 days");
	fairness_report_free(&r);
}
END_TEST

/* Units per hour of the checked range against fairness_unit_gaps. */
START_TEST(gaps_against_brute)
{
	uint64_t seed = brute_seed(), rs = seed;
	static int64_t units[BRUTE_HOURS];
	long found = 0;

	for (int trial = 0; trial < 1000; trial++) {
		static const struct fairness_phase ph0 = { 0, 0, 0 };
		struct fairness_phase ph = ph0;
		struct fairness_grant g[6];
		int ng = (int)brute_range(&rs, 0, 6);
		int64_t ws = brute_range(&rs, 0, 100), we = ws + brute_range(&rs, 1, 200);
		int64_t hs = ws, he = we;
		struct fairness_enrollment e = { "a", (enum fairness_state)brute_range(&rs, 0, 3),
		    brute_at(ws), brute_at(we), brute_at(brute_range(&rs, 0, 320)), 0, g,
		    (size_t)ng, 0, 0, 0 };
		struct fairness_gap *gaps;
		size_t n, k = 0;

		ph.units_milli = 500 * brute_range(&rs, 0, 6);
		ph.period = brute_at(we) - brute_at(ws);
		memset(units, 0, sizeof(units));
		for (int i = 0; i < ng; i++) {
			int64_t h0 = brute_range(&rs, 0, 300), h1 = brute_range(&rs, h0 + 1, 320);

			g[i] = (struct fairness_grant){ "p", 500 * brute_range(&rs, 1, 3),
			    brute_range(&rs, 1, 3), brute_at(h0), brute_at(h1),
			    brute_range(&rs, 0, 4) == 0, false };
			if (!g[i].makeup)
				brute_add(units, h0, h1, g[i].cards * g[i].weight_milli);
		}
		if (e.state == FAIRNESS_ELIMINATED || e.state == FAIRNESS_WITHDRAWN) {
			int64_t eh = (e.effective_end - BRUTE_T0) / 3600;

			he = eh < he ? eh : he;
		}
		ck_assert_int_eq(fairness_unit_gaps(&ph, &e, &gaps, &n), 0);
		for (size_t i = 0; i < n; i++) {
			BRUTE_CHECK(gaps[i].from < gaps[i].to && (i == 0 ||
			    gaps[i].from > gaps[i - 1].to || gaps[i].units_milli !=
			    gaps[i - 1].units_milli), "seed %llu trial %d: gap %zu shape",
			    (unsigned long long)seed, trial, i);
		}
		/* Every hour of the range is in a gap exactly when its units are wrong. */
		for (int64_t h = hs; h < he; h++) {
			while (k < n && gaps[k].to <= brute_at(h))
				k++;
			bool in = k < n && gaps[k].from <= brute_at(h);

			BRUTE_CHECK(in == (units[h] != ph.units_milli) &&
			    (!in || gaps[k].units_milli == units[h]),
			    "seed %llu trial %d: hour %lld units %lld", (unsigned long long)seed,
			    trial, (long long)h, (long long)units[h]);
			found += in;
		}
		BRUTE_CHECK(n == 0 ||
		    (gaps[0].from >= brute_at(hs) && gaps[n - 1].to <= brute_at(he)),
		    "seed %llu trial %d: gaps outside the range", (unsigned long long)seed, trial);
		free(gaps);
	}
	ck_assert(found > 1000);
}
END_TEST

/* A grant on pool p of cards x weight over days [from, to). */
#define G(w, cards, from, to) { "p", w, cards, D(from), D(to), false, false }

/* fairness_excess on a 30-day window from D(0) with the 768-unit package. */
static const struct {
	const char *what;
	enum fairness_state state;
	int64_t eff;			/* day: effective_end when eliminated */
	struct fairness_grant g[3];
	size_t ng;
	int64_t from, to;		/* the addition, days */
	int64_t add;			/* milli-units */
	struct fairness_gap want[2];
	size_t nwant;
} excess[] = {
	{ "a replacement after an early release", FAIRNESS_ACTIVE, 0,
	    { G(1000, 768, 0, 10) }, 1, 10, 30, PACKAGE, {{0}}, 0 },
	{ "a replacement on another card model", FAIRNESS_ACTIVE, 0,
	    { G(1000, 768, 0, 10) }, 1, 10, 30, 1536 * 500, {{0}}, 0 },
	{ "a top-up to exactly the package", FAIRNESS_ACTIVE, 0,
	    { G(1000, 384, 0, 30) }, 1, 0, 30, 384000, {{0}}, 0 },
	{ "512 H100 topped up with 512 B200", FAIRNESS_ACTIVE, 0,
	    { G(500, 512, 0, 30) }, 1, 0, 30, 512000, {{0}}, 0 },
	{ "one unit over", FAIRNESS_ACTIVE, 0,
	    { G(1000, 384, 0, 30) }, 1, 0, 30, 385000,
	    { { D(0), D(30), 384000 } }, 1 },
	{ "one milli-unit over", FAIRNESS_ACTIVE, 0,
	    { G(1000, 384, 0, 30) }, 1, 0, 30, 384001,
	    { { D(0), D(30), 384000 } }, 1 },
	{ "a full team gets nothing more, across two grants", FAIRNESS_ACTIVE, 0,
	    { G(1000, 768, 0, 10), G(1000, 768, 10, 30) }, 2, 5, 15, 1000,
	    { { D(5), D(15), PACKAGE } }, 1 },
	{ "only the short stretch has room", FAIRNESS_ACTIVE, 0,
	    { G(1000, 768, 0, 10), G(1000, 384, 10, 20), G(1000, 768, 20, 30) }, 3, 0, 30,
	    384000, { { D(0), D(10), PACKAGE }, { D(20), D(30), PACKAGE } }, 2 },
	{ "clipped to the window", FAIRNESS_ACTIVE, 0,
	    { G(1000, 768, 0, 30) }, 1, -5, 40, 1000, { { D(0), D(30), PACKAGE } }, 1 },
	{ "entirely after the window: not judged here", FAIRNESS_ACTIVE, 0,
	    { G(1000, 768, 0, 30) }, 1, 30, 40, PACKAGE, {{0}}, 0 },
	{ "entirely before the window: not judged here", FAIRNESS_ACTIVE, 0,
	    { G(1000, 768, 0, 30) }, 1, -10, 0, PACKAGE, {{0}}, 0 },
	{ "make-ups do not count", FAIRNESS_ACTIVE, 0,
	    { { "p", 1000, 768, D(0), D(30), true, false } }, 1, 0, 30, PACKAGE, {{0}}, 0 },
	{ "a team already above the package", FAIRNESS_ACTIVE, 0,
	    { G(1000, 800, 0, 30) }, 1, 10, 20, 1000, { { D(10), D(20), 800000 } }, 1 },
	{ "eliminated: judged up to the effective date", FAIRNESS_ELIMINATED, 15,
	    { G(1000, 768, 0, 15) }, 1, 10, 30, 1000, { { D(10), D(15), PACKAGE } }, 1 },
	{ "no grants at all", FAIRNESS_ACTIVE, 0,
	    {{0}}, 0, 0, 30, PACKAGE + 1, { { D(0), D(30), 0 } }, 1 },
};

START_TEST(excess_cases)
{
	static const struct fairness_phase ph = { 30 * CIVIL_DAY, PACKAGE, VOUCHER };
	struct fairness_enrollment e = { "a", excess[_i].state, D(0), D(30), D(excess[_i].eff),
	    VOUCHER, excess[_i].g, excess[_i].ng, 0, 0, 0 };
	struct fairness_gap *over;
	size_t n;

	ck_assert_int_eq(fairness_excess(&ph, &e, D(excess[_i].from), D(excess[_i].to),
	    excess[_i].add, &over, &n), 0);
	ck_assert_msg(n == excess[_i].nwant, "%s: %zu stretches", excess[_i].what, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(over[k].from == excess[_i].want[k].from &&
		    over[k].to == excess[_i].want[k].to &&
		    over[k].units_milli == excess[_i].want[k].units_milli,
		    "%s: stretch %zu [%lld, %lld) %lld", excess[_i].what, k,
		    (long long)over[k].from, (long long)over[k].to, (long long)over[k].units_milli);
	free(over);
}
END_TEST

START_TEST(excess_bad_input)
{
	static const struct fairness_phase ph = { 30 * CIVIL_DAY, PACKAGE, VOUCHER };
	struct fairness_phase bad = ph;
	struct fairness_grant g = G(1000, 768, 0, 30);
	struct fairness_enrollment e = { "a", FAIRNESS_ACTIVE, D(0), D(30), D(0), VOUCHER, &g, 1,
	    0, 0, 0 };
	struct fairness_gap *over;
	size_t n;

	ck_assert_int_eq(fairness_excess(&ph, &e, D(0), D(1), -1, &over, &n), GD_EINVAL);
	ck_assert_int_eq(fairness_excess(&ph, &e, D(1), D(1), 0, &over, &n), GD_EINVAL);
	ck_assert_int_eq(fairness_excess(&ph, &e, D(2), D(1), 0, &over, &n), GD_EINVAL);
	ck_assert_int_eq(fairness_excess(&ph, &e, civil_min_instant() - 1, D(1), 0, &over, &n),
	    GD_ERANGE);
	bad.units_milli = -1;
	ck_assert_int_eq(fairness_excess(&bad, &e, D(0), D(1), 0, &over, &n), GD_EINVAL);
	g.cards = 0;
	ck_assert_int_eq(fairness_excess(&ph, &e, D(0), D(1), 0, &over, &n), GD_EINVAL);
	g.cards = INT64_MAX;
	ck_assert_int_eq(fairness_excess(&ph, &e, D(0), D(1), 0, &over, &n), GD_ERANGE);
}
END_TEST

/* Units per hour against fairness_excess: over exactly where held + add > package. */
START_TEST(excess_against_brute)
{
	uint64_t seed = brute_seed(), rs = seed;
	static int64_t units[BRUTE_HOURS];
	long found = 0, clear = 0;

	for (int trial = 0; trial < 1000; trial++) {
		static const struct fairness_phase ph0 = { 0, 0, 0 };
		struct fairness_phase ph = ph0;
		struct fairness_grant g[6];
		int ng = (int)brute_range(&rs, 0, 6);
		int64_t ws = brute_range(&rs, 0, 100), we = ws + brute_range(&rs, 1, 200);
		int64_t f0 = brute_range(&rs, 0, 300), f1 = brute_range(&rs, f0 + 1, 320);
		/* Off by one milli-unit now and then, to catch a misplaced bound. */
		int64_t add = 500 * brute_range(&rs, 0, 4) + brute_range(&rs, 0, 2) - 1;
		int64_t hs = ws, he = we;
		struct fairness_enrollment e = { "a", (enum fairness_state)brute_range(&rs, 0, 3),
		    brute_at(ws), brute_at(we), brute_at(brute_range(&rs, 0, 320)), 0, g,
		    (size_t)ng, 0, 0, 0 };
		struct fairness_gap *over;
		size_t n, k = 0;

		add = add < 0 ? 0 : add;
		ph.units_milli = 500 * brute_range(&rs, 0, 6);
		ph.period = brute_at(we) - brute_at(ws);
		memset(units, 0, sizeof(units));
		for (int i = 0; i < ng; i++) {
			int64_t h0 = brute_range(&rs, 0, 300), h1 = brute_range(&rs, h0 + 1, 320);

			g[i] = (struct fairness_grant){ "p", 500 * brute_range(&rs, 1, 3),
			    brute_range(&rs, 1, 3), brute_at(h0), brute_at(h1),
			    brute_range(&rs, 0, 4) == 0, false };
			if (!g[i].makeup)
				brute_add(units, h0, h1, g[i].cards * g[i].weight_milli);
		}
		if (e.state == FAIRNESS_ELIMINATED || e.state == FAIRNESS_WITHDRAWN) {
			int64_t eh = (e.effective_end - BRUTE_T0) / 3600;

			he = eh < he ? eh : he;
		}
		hs = f0 > hs ? f0 : hs;
		he = f1 < he ? f1 : he;
		ck_assert_int_eq(fairness_excess(&ph, &e, brute_at(f0), brute_at(f1), add, &over,
		    &n), 0);
		for (size_t i = 0; i < n; i++)
			BRUTE_CHECK(over[i].from < over[i].to && (i == 0 ||
			    over[i].from > over[i - 1].to || over[i].units_milli !=
			    over[i - 1].units_milli), "seed %llu trial %d: stretch %zu shape",
			    (unsigned long long)seed, trial, i);
		for (int64_t h = hs; h < he; h++) {
			while (k < n && over[k].to <= brute_at(h))
				k++;
			bool in = k < n && over[k].from <= brute_at(h);

			BRUTE_CHECK(in == (units[h] + add > ph.units_milli) &&
			    (!in || over[k].units_milli == units[h]),
			    "seed %llu trial %d: hour %lld units %lld add %lld",
			    (unsigned long long)seed, trial, (long long)h, (long long)units[h],
			    (long long)add);
			found += in;
			clear += !in;
		}
		BRUTE_CHECK(n == 0 || (hs < he && over[0].from >= brute_at(hs) &&
		    over[n - 1].to <= brute_at(he)), "seed %llu trial %d: stretches outside the "
		    "range", (unsigned long long)seed, trial);
		free(over);
	}
	ck_assert(found > 1000 && clear > 1000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fairness");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, rules, 0, N(cases));
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, zone_of_caller);
	tcase_add_test(tc, gaps_against_brute);
	tcase_add_loop_test(tc, excess_cases, 0, N(excess));
	tcase_add_test(tc, excess_bad_input);
	tcase_add_test(tc, excess_against_brute);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
