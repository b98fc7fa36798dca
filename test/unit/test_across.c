/* test_across.c: fairness between teams on the same day of their own windows, by brute force. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "across.h"
#include "brute.h"
#include "report.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
/* The tolerance: one unit-hour in mus. */
#define TOL INT64_C(3600000)
/* The hand cases' package: 768 units, a phase of 181 days. */
#define UNITS INT64_C(768000)
#define PERIOD_DAYS 181
/* The yardstick: one day of the package, in mus, and the whole period. */
#define DAY (UNITS * 86400)
#define P181 (PERIOD_DAYS * DAY)
#define YARD UNITS, PERIOD_DAYS

/* Verdicts as { period_ok, period_gap_days, delivery_ok, gap_day, gap }. */
#define OK { true, 0, true, 0, 0 }
#define GAP(day, g) { true, 0, false, (day), (g) }
#define PERIOD(g) { false, (g), true, 0, 0 }
/* A team of 181 days that has reached 3 days, every one on the yardstick. */
#define EQ3 { DAY, 2 * DAY, 3 * DAY }
#define EQ5 { DAY, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY }
#define TEAM3 { false, 181, 3, EQ3, P181 }
/* A team of 181 days that has reached day 1, with x on it. */
#define ONE(x) { false, 181, 1, { (x) }, P181 }

struct hteam {
	bool ended;
	int64_t days;
	size_t reached;
	int64_t del[6];
	int64_t proj;
};

/*
 * Hand-made cases, their every expected figure worked out from the header:
 * the yardstick is k DAY on day k and P181 for the projection (YARD), unless
 * a case names its own units (milli-units) and period.  Jain's index and the
 * deviation over x at the common day: where x is not all equal, the figure
 * was computed by hand (tiny spreads: the index rounds to 1, the deviation
 * is 100 x max |x - mean| / mean).
 */
static const struct {
	const char *what;
	size_t n;
	struct hteam t[4];
	struct across_verdict want[4];
	bool period, delivery;
	int64_t common;
	size_t counted;
	int64_t jain, dev;
	int64_t units, period_days;	/* the yardstick: struct across_ref's, less tol */
} hands[] = {
	{ "no team at all", 0, { { 0 } }, { OK }, true, true, 0, 0, 1000000, 0, YARD },
	{ "three teams on the yardstick", 3, { TEAM3, TEAM3, TEAM3 }, { OK, OK, OK },
	  true, true, 3, 3, 1000000, 0, YARD },
	{ "one team short by two unit-hours on day 2", 3,
	  { TEAM3, { false, 181, 3, { DAY, 2 * DAY - 2 * TOL, 3 * DAY }, P181 }, TEAM3 },
	  { OK, GAP(2, -2 * TOL), OK }, true, false, 3, 3, 1000000, 0, YARD },
	/* Short by TOL + 1 on day 3: 100 x (2/3)(TOL + 1) / (3 DAY - (TOL + 1)/3) % = 1.2 milli. */
	{ "short by one unit-hour and one mus", 3,
	  { TEAM3, { false, 181, 3, { DAY, 2 * DAY, 3 * DAY - TOL - 1 }, P181 }, TEAM3 },
	  { OK, GAP(3, -TOL - 1), OK }, true, false, 3, 3, 1000000, 1, YARD },
	{ "short by exactly one unit-hour is equal", 3,
	  { TEAM3, { false, 181, 3, { DAY, 2 * DAY - TOL, 3 * DAY }, P181 }, TEAM3 },
	  { OK, OK, OK }, true, true, 3, 3, 1000000, 0, YARD },
	{ "a surplus on day 1", 3,
	  { TEAM3, TEAM3, { false, 181, 3, { DAY + 2 * TOL, 2 * DAY, 3 * DAY }, P181 } },
	  { OK, OK, GAP(1, 2 * TOL) }, true, false, 3, 3, 1000000, 0, YARD },
	/*
	 * Days 1, 2, 3 and the projection short by 2, 5, 3 and 4 TOL: day 2 is
	 * named.  Deviation 100 x 2 TOL / (3 DAY - TOL) % = 3.6 milli.
	 */
	{ "the day of the largest distance is named", 3,
	  { { false, 181, 3, { DAY - 2 * TOL, 2 * DAY - 5 * TOL, 3 * DAY - 3 * TOL },
	      P181 - 4 * TOL }, TEAM3, TEAM3 },
	  { GAP(2, -5 * TOL), OK, OK }, true, false, 3, 3, 1000000, 4, YARD },
	{ "the projection is the largest distance", 3,
	  { { false, 181, 3, { DAY - 2 * TOL, 2 * DAY, 3 * DAY }, P181 - 3 * TOL }, TEAM3, TEAM3 },
	  { GAP(0, -3 * TOL), OK, OK }, true, false, 3, 3, 1000000, 0, YARD },
	/* Short by 2 TOL on days 1 and 3 and the projection: the first, day 1, is named. */
	{ "a tie between days: the first is named", 3,
	  { { false, 181, 3, { DAY - 2 * TOL, 2 * DAY - TOL, 3 * DAY + 2 * TOL },
	      P181 - 2 * TOL }, TEAM3, TEAM3 },
	  { GAP(1, -2 * TOL), OK, OK }, true, false, 3, 3, 1000000, 2, YARD },
	/* Ten days lost and not made up: every day so far on the yardstick. */
	{ "projections unequal while every day is equal", 3,
	  { { false, 181, 3, EQ3, P181 - 10 * DAY }, TEAM3, TEAM3 },
	  { GAP(0, -10 * DAY), OK, OK }, true, false, 3, 3, 1000000, 0, YARD },
	/* Its day 2 is compared with the others' day 2 and 2 DAY, not with their day 5. */
	{ "a late team, equal on its own days", 3,
	  { { false, 181, 5, EQ5, P181 }, { false, 181, 5, EQ5, P181 },
	    { false, 181, 2, { DAY, 2 * DAY }, P181 } },
	  { OK, OK, OK }, true, true, 2, 3, 1000000, 0, YARD },
	{ "a late team short on one of its days", 3,
	  { { false, 181, 5, EQ5, P181 }, { false, 181, 2, { DAY - 2 * TOL, 2 * DAY }, P181 },
	    { false, 181, 5, EQ5, P181 } },
	  { OK, GAP(1, -2 * TOL), OK }, true, false, 2, 3, 1000000, 0, YARD },
	/* Eliminated after day 2 with a 60-day period and its projection. */
	{ "an ended team: its days only, no period, projection or index", 3,
	  { { false, 181, 5, EQ5, P181 }, { false, 181, 5, EQ5, P181 },
	    { true, 60, 2, { DAY, 2 * DAY }, 60 * DAY } },
	  { OK, OK, OK }, true, true, 5, 2, 1000000, 0, YARD },
	{ "an ended team short before its end", 3,
	  { { false, 181, 5, EQ5, P181 }, { true, 60, 2, { DAY, 2 * DAY - 2 * TOL }, 60 * DAY },
	    { false, 181, 5, EQ5, P181 } },
	  { OK, GAP(2, -2 * TOL), OK }, true, false, 5, 2, 1000000, 0, YARD },
	{ "every team ended", 2,
	  { { true, 30, 3, EQ3, 30 * DAY }, { true, 90, 3, EQ3, 90 * DAY } },
	  { OK, OK }, true, true, 0, 0, 1000000, 0, YARD },
	/* Reached 0: its window has not begun; its projection still counts. */
	{ "a team whose window has not begun", 2,
	  { TEAM3, { false, 181, 0, { 0 }, P181 } },
	  { OK, OK }, true, true, 3, 1, 1000000, 0, YARD },
	{ "a team whose window has not begun, its projection short", 2,
	  { TEAM3, { false, 181, 0, { 0 }, P181 - 2 * TOL } },
	  { OK, GAP(0, -2 * TOL) }, true, false, 3, 1, 1000000, 0, YARD },
	/* Two extension days, its projection on the yardstick all the same (a loss). */
	{ "one team with more days breaks the period", 3,
	  { TEAM3, TEAM3, { false, 183, 3, EQ3, P181 } },
	  { OK, OK, PERIOD(2) }, false, true, 3, 3, 1000000, 0, YARD },
	{ "period: one team at period + 3 among four", 4,
	  { TEAM3, TEAM3, { false, 184, 3, EQ3, P181 }, TEAM3 },
	  { OK, OK, PERIOD(3), OK }, false, true, 3, 4, 1000000, 0, YARD },
	/* Each against the phase's 181 days, not against the median 182. */
	{ "period: every team against the phase's days", 4,
	  { { false, 180, 3, EQ3, P181 }, { false, 182, 3, EQ3, P181 },
	    { false, 182, 3, EQ3, P181 }, { false, 184, 3, EQ3, P181 } },
	  { PERIOD(-1), PERIOD(1), PERIOD(1), PERIOD(3) }, false, true, 3, 4, 1000000, 0, YARD },
	{ "period: the same days for all, not the phase's", 2,
	  { { false, 182, 3, EQ3, P181 }, { false, 182, 3, EQ3, P181 } },
	  { PERIOD(1), PERIOD(1) }, false, true, 3, 2, 1000000, 0, YARD },
	{ "an ended team's days do not break the period", 3,
	  { TEAM3, { true, 183, 3, EQ3, P181 }, TEAM3 },
	  { OK, OK, OK }, true, true, 3, 2, 1000000, 0, YARD },
	/* Its days and projection both far off the period's, ended: nothing. */
	{ "an ended team with other days is ignored", 3,
	  { TEAM3, TEAM3, { true, 30, 3, EQ3, 30 * DAY } },
	  { OK, OK, OK }, true, true, 3, 2, 1000000, 0, YARD },
	/*
	 * The first on the yardstick, the second 1.5 TOL above it: only the
	 * second.  Deviation 100 x 0.75 TOL / (DAY + 0.75 TOL) % = 4.1 milli.
	 */
	{ "two teams 1.5 unit-hours apart: only the one off the yardstick", 2,
	  { ONE(DAY), ONE(DAY + 3 * TOL / 2) },
	  { OK, GAP(1, 3 * TOL / 2) }, true, false, 1, 2, 1000000, 4, YARD },
	/* Deviation 100 x TOL / 2 / (DAY + TOL / 2) % = 2.7 milli. */
	{ "a spread of exactly one unit-hour, each within it, is equal", 3,
	  { ONE(DAY), ONE(DAY + TOL), ONE(DAY + TOL / 2) },
	  { OK, OK, OK }, true, true, 1, 3, 1000000, 3, YARD },
	{ "one mus past a unit-hour above the yardstick", 2,
	  { ONE(DAY), ONE(DAY + TOL + 1) },
	  { OK, GAP(1, TOL + 1) }, true, false, 1, 2, 1000000, 3, YARD },
	/* 0, 0.4 and 1.2 TOL off: deviation 100 x (2/3) TOL / (DAY + 0.53 TOL) % = 3.6 milli. */
	{ "only the teams farther than a unit-hour from the yardstick", 3,
	  { ONE(DAY), ONE(DAY + 1440000), ONE(DAY + 4320000) },
	  { OK, OK, GAP(1, 4320000) }, true, false, 1, 3, 1000000, 4, YARD },
	/* Beside one 2 TOL above, one exactly TOL below is within.  Deviation 8.1 milli. */
	{ "exactly one unit-hour off, beside one farther: not named", 2,
	  { ONE(DAY - TOL), ONE(DAY + 2 * TOL) },
	  { OK, GAP(1, 2 * TOL) }, true, false, 1, 2, 1000000, 8, YARD },
	/* A spread of 1.5 TOL, none farther than TOL: the one at TOL.  Deviation 4.1 milli. */
	{ "the farthest exactly one unit-hour off is named", 2,
	  { ONE(DAY - TOL), ONE(DAY + TOL / 2) },
	  { GAP(1, -TOL), OK }, true, false, 1, 2, 1000000, 4, YARD },
	/*
	 * Two served, two short by 2 TOL: under a median all four lay TOL
	 * from it.  Deviation 100 x TOL / (DAY - TOL) % = 5.4 milli.
	 */
	{ "two short teams among four: only the two short ones", 4,
	  { ONE(DAY), ONE(DAY - 2 * TOL), ONE(DAY), ONE(DAY - 2 * TOL) },
	  { OK, GAP(1, -2 * TOL), OK, GAP(1, -2 * TOL) }, true, false, 1, 4, 1000000, 5, YARD },
	/* 0.6 TOL above in the projection: within TOL, beside one 96 unit-hours short. */
	{ "a make-up rounded up is not named beside the one that lost", 3,
	  { { false, 181, 3, EQ3, P181 + 2160000 }, { false, 181, 3, EQ3, P181 - 96 * TOL },
	    TEAM3 },
	  { OK, GAP(0, -96 * TOL), OK }, true, false, 3, 3, 1000000, 0, YARD },
	/* A spread of 0 on every day, but 2 TOL short of the yardstick on each. */
	{ "every team equally short: all named though the spread is 0", 3,
	  { { false, 181, 3, { DAY - 2 * TOL, 2 * DAY - 2 * TOL, 3 * DAY - 2 * TOL },
	      P181 - 2 * TOL },
	    { false, 181, 3, { DAY - 2 * TOL, 2 * DAY - 2 * TOL, 3 * DAY - 2 * TOL },
	      P181 - 2 * TOL },
	    { false, 181, 3, { DAY - 2 * TOL, 2 * DAY - 2 * TOL, 3 * DAY - 2 * TOL },
	      P181 - 2 * TOL } },
	  { GAP(1, -2 * TOL), GAP(1, -2 * TOL), GAP(1, -2 * TOL) }, true, false, 3, 3,
	  1000000, 0, YARD },
	{ "a lone team short of the yardstick", 1,
	  { { false, 181, 1, { DAY - TOL - 1 }, P181 } },
	  { GAP(1, -TOL - 1) }, true, false, 1, 1, 1000000, 0, YARD },
	/* 0.9 TOL = 3240000 on either side: a spread of 1.8 TOL.  Deviation 4.9 milli. */
	{ "0.9 unit-hour on either side: both, the farthest", 2,
	  { ONE(DAY - 3240000), ONE(DAY + 3240000) },
	  { GAP(1, -3240000), GAP(1, 3240000) }, true, false, 1, 2, 1000000, 5, YARD },
	/* -0.9 and +0.8 TOL: only the farther.  Deviation 100 x 3120000 / (DAY - 120000) %. */
	{ "0.9 below and 0.8 above: only the farthest", 3,
	  { ONE(DAY - 3240000), ONE(DAY + 2880000), ONE(DAY) },
	  { GAP(1, -3240000), OK, OK }, true, false, 1, 3, 1000000, 5, YARD },
	/* x = (DAY, 3 DAY): Jain 16 / 20, deviation 50 %. */
	{ "two teams far apart: Jain 0.8, deviation 50 %", 2,
	  { ONE(DAY), ONE(3 * DAY) },
	  { OK, GAP(1, 2 * DAY) }, true, false, 1, 2, 800000, 50000, YARD },
	/*
	 * 10^12 units: the yardstick is 8.64e19 mus on day 1 and 1.56e22 for
	 * the projection, beyond int64_t; gaps clamped.  The projection's is
	 * the largest distance.
	 */
	{ "a gap beyond int64_t is clamped", 2,
	  { { false, 181, 1, { INT64_MAX }, INT64_MAX }, { false, 181, 1, { INT64_MAX }, 0 } },
	  { GAP(0, INT64_MIN), GAP(0, INT64_MIN) }, true, false, 1, 2, 1000000, 0,
	  INT64_C(1000000000000000), PERIOD_DAYS },
};

START_TEST(hand_table)
{
	struct across_team t[4] = { { 0 } };
	struct across_verdict v[4];
	struct across_summary s;
	struct across_ref ref = { hands[_i].units, hands[_i].period_days, TOL };
	const char *what = hands[_i].what;

	for (size_t i = 0; i < hands[_i].n; i++)
		t[i] = (struct across_team){ hands[_i].t[i].ended, hands[_i].t[i].days,
		    hands[_i].t[i].reached, hands[_i].t[i].reached ? hands[_i].t[i].del : NULL,
		    hands[_i].t[i].proj };
	ck_assert_int_eq(across_judge(t, hands[_i].n, &ref, v, &s), 0);
	for (size_t i = 0; i < hands[_i].n; i++) {
		const struct across_verdict *w = &hands[_i].want[i];

		ck_assert_msg(v[i].period_ok == w->period_ok &&
		    v[i].period_gap_days == w->period_gap_days, "%s: team %zu: period %d %lld",
		    what, i, v[i].period_ok, (long long)v[i].period_gap_days);
		ck_assert_msg(v[i].delivery_ok == w->delivery_ok && v[i].gap_day == w->gap_day &&
		    v[i].gap == w->gap, "%s: team %zu: delivery %d day %lld gap %lld", what, i,
		    v[i].delivery_ok, (long long)v[i].gap_day, (long long)v[i].gap);
	}
	ck_assert_msg(s.equal_period == hands[_i].period && s.equal_delivery ==
	    hands[_i].delivery, "%s: equal period %d delivery %d", what, s.equal_period,
	    s.equal_delivery);
	ck_assert_msg(s.common_day == hands[_i].common && s.counted == hands[_i].counted,
	    "%s: common day %lld counted %zu", what, (long long)s.common_day, s.counted);
	ck_assert_msg(s.jain_micro == hands[_i].jain && s.max_deviation_milli == hands[_i].dev,
	    "%s: jain %lld deviation %lld", what, (long long)s.jain_micro,
	    (long long)s.max_deviation_milli);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Random instances against a reference written from the header alone. */

#define RTEAMS 8
#define RDAYS 40
#define RINSTANCES 5000
/*
 * The comparisons, in the order a tie keeps the first: c < RDAYS is day
 * c + 1, c == RDAYS the projection.
 */
#define NCMP (RDAYS + 1)

struct inst {
	uint64_t seed;
	int idx;
	struct across_ref ref;
	size_t n;
	struct across_team t[RTEAMS];
	int64_t *del[RTEAMS];
};

static void
dump_instance(const struct inst *in)
{
	fprintf(stderr, "test_across: seed %llu instance %d: units %lld period %lld tol %lld, "
	    "%zu teams\n", (unsigned long long)in->seed, in->idx,
	    (long long)in->ref.units_milli, (long long)in->ref.period_days,
	    (long long)in->ref.tol, in->n);
	for (size_t i = 0; i < in->n; i++) {
		fprintf(stderr, "  team %zu: ended %d days %lld reached %zu projected %lld\n   ", i,
		    in->t[i].ended, (long long)in->t[i].days, in->t[i].reached,
		    (long long)in->t[i].projected);
		for (size_t k = 0; k < in->t[i].reached; k++)
			fprintf(stderr, " %lld", (long long)in->t[i].delivered[k]);
		fprintf(stderr, "\n");
	}
}

/* Every message names the seed and the instance; the instance goes to stderr. */
#define RCHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		dump_instance(in);					\
		ck_abort_msg("seed %llu instance %d: " fmt,		\
		    (unsigned long long)in->seed, in->idx, __VA_ARGS__);	\
	}								\
} while (0)

static __int128
abs128(__int128 x)
{
	return x < 0 ? -x : x;
}

/* x saturated to int64_t. */
static int64_t
sat64(__int128 x)
{
	return x > INT64_MAX ? INT64_MAX : x < INT64_MIN ? INT64_MIN : (int64_t)x;
}

/*
 * A perturbation from the yardstick, its boundaries often: 0, tol / 2,
 * 0.9 tol, tol and their neighbours, either sign.
 */
static int64_t
pert(uint64_t *rs, int64_t tol)
{
	int64_t h = tol / 2, a;

	switch (brute_range(rs, 0, 12)) {
	case 0: case 1: case 2: return 0;
	case 3: a = h; break;
	case 4: a = h + 1; break;
	case 5: a = tol; break;
	case 6: a = tol + 1; break;
	case 7: a = tol > 0 ? tol - 1 : 1; break;
	case 8: a = brute_range(rs, 0, 2 * tol + 2); break;
	case 9: a = brute_range(rs, 0, h + 1); break;
	case 10: a = h > 0 ? h - 1 : 0; break;
	case 11: a = tol - tol / 10; break;
	default: a = brute_range(rs, 0, 20 * tol + 20); break;
	}
	return brute_range(rs, 0, 1) ? a : -a;
}

/*
 * Delivered values around the yardstick k units days, projections around
 * period units days: a shared offset (every team equally off), a drift per
 * team from one of its days on, and noise per day.  One instance in 40 has
 * a package so large that the yardstick passes int64_t (the values
 * saturate, the gaps clamp).
 */
static void
generate(uint64_t *rs, struct inst *in)
{
	static const int64_t tols[] = { TOL, TOL, TOL, TOL, TOL + 1, 7, 0 };
	static const int64_t units[] = { 768000, 768000, 512000, 1000, 1 };
	static const int64_t periods[] = { 30, 181, 181, 365 };
	static const int64_t offsets[] = { 0, 0, -1, 1, 3, -30 };
	bool huge = brute_range(rs, 0, 39) == 0;
	int daysmode = (int)brute_range(rs, 0, 2), rmode = (int)brute_range(rs, 0, 2);
	size_t r0 = (size_t)brute_range(rs, 0, RDAYS);
	/* Per instance: how often a day is perturbed (per 60), a team drifts, a team ends. */
	int64_t noise = (int64_t[]){ 0, 1, 10 }[brute_range(rs, 0, 2)];
	int64_t drift = brute_range(rs, 0, 1) ? 20 : 0;
	int64_t ends = brute_range(rs, 0, 1) ? 20 : 0;
	int64_t tol, shared;
	__int128 per_day;

	in->ref.units_milli = huge ? INT64_C(100000000000000) + brute_range(rs, 0, 1000) :
	    units[brute_range(rs, 0, (int64_t)NELEMS(units) - 1)];
	in->ref.period_days = periods[brute_range(rs, 0, (int64_t)NELEMS(periods) - 1)];
	in->ref.tol = tol = tols[brute_range(rs, 0, (int64_t)NELEMS(tols) - 1)];
	per_day = (__int128)in->ref.units_milli * 86400;
	shared = brute_range(rs, 0, 3) ? 0 : pert(rs, tol);
	in->n = (size_t)brute_range(rs, 1, RTEAMS);
	for (size_t i = 0; i < in->n; i++) {
		struct across_team *t = &in->t[i];
		int64_t d = brute_range(rs, 0, 59) < drift ? pert(rs, tol) : 0;
		int64_t from = brute_range(rs, 1, RDAYS);
		int64_t off = offsets[brute_range(rs, 0, (int64_t)NELEMS(offsets) - 1)];

		t->ended = brute_range(rs, 0, 99) < ends;
		if (daysmode == 0)
			t->days = in->ref.period_days;
		else if (daysmode == 1)
			t->days = in->ref.period_days + off;
		else
			t->days = in->ref.period_days + (brute_range(rs, 0, 5) ? 0 : off);
		if (rmode == 0)
			t->reached = r0;
		else if (rmode == 1)
			t->reached = (size_t)brute_range(rs, 0, RDAYS);
		else
			t->reached = brute_range(rs, 0, 3) ? r0 : (size_t)brute_range(rs, 0,
			    (int64_t)r0);
		/* Exactly reached values (NULL for none), so ASan sees a read past them. */
		in->del[i] = t->reached ? malloc(t->reached * sizeof(int64_t)) : NULL;
		ck_assert(t->reached == 0 || in->del[i] != NULL);
		for (size_t k = 1; k <= t->reached; k++) {
			__int128 x = per_day * (int64_t)k + shared + ((int64_t)k >= from ? d : 0);

			if (brute_range(rs, 0, 59) < noise)
				x += pert(rs, tol);
			in->del[i][k - 1] = sat64(x);
		}
		t->delivered = in->del[i];
		t->projected = sat64(per_day * in->ref.period_days + shared +
		    (brute_range(rs, 0, 1) ? d : 0) +
		    (brute_range(rs, 0, 59) < 3 * noise ? pert(rs, tol) : 0));
	}
}

static void
release(struct inst *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->del[i]);
}

struct ref {
	bool equal_period, equal_delivery;
	struct across_verdict v[RTEAMS];
	int nworst[RTEAMS];		/* comparisons at a flagged team's largest distance */
	/* Per comparison: unequal, its spread and largest distance from the yardstick. */
	bool unequal[NCMP];
	__int128 spread[NCMP], far[NCMP];
	/* Per team and comparison: in the set, flagged, value - yardstick. */
	bool in[RTEAMS][NCMP], flagged[RTEAMS][NCMP];
	__int128 d[RTEAMS][NCMP];
	int64_t common;
	size_t counted;
	double x[RTEAMS];
};

static void
reference(const struct inst *in, struct ref *r)
{
	const __int128 per_day = (__int128)in->ref.units_milli * 86400, tol = in->ref.tol;

	memset(r, 0, sizeof(*r));
	r->equal_period = r->equal_delivery = true;
	for (size_t i = 0; i < in->n; i++) {
		r->v[i].period_ok = r->v[i].delivery_ok = true;
		/* The period: every team not ended has the phase's days. */
		if (!in->t[i].ended && in->t[i].days != in->ref.period_days) {
			r->equal_period = false;
			r->v[i].period_ok = false;
			r->v[i].period_gap_days = in->t[i].days - in->ref.period_days;
		}
	}
	/* Delivery: each set against its yardstick. */
	for (size_t c = 0; c < NCMP; c++) {
		__int128 y = per_day * (c < RDAYS ? (__int128)c + 1 : in->ref.period_days);
		__int128 lo = 0, hi = 0, far = 0;
		size_t m = 0;

		for (size_t i = 0; i < in->n; i++) {
			const struct across_team *t = &in->t[i];
			__int128 x;

			if (c < RDAYS ? t->reached < c + 1 : t->ended)
				continue;
			x = c < RDAYS ? t->delivered[c] : t->projected;
			r->in[i][c] = true;
			r->d[i][c] = x - y;
			if (m == 0 || x < lo)
				lo = x;
			if (m == 0 || x > hi)
				hi = x;
			if (abs128(x - y) > far)
				far = abs128(x - y);
			m++;
		}
		r->spread[c] = hi - lo;
		r->far[c] = far;
		if (m == 0 || (hi - lo <= tol && far <= tol))
			continue;
		r->unequal[c] = true;
		r->equal_delivery = false;
		/* Farther than tol; or, none being, at the largest distance. */
		for (size_t i = 0; i < in->n; i++)
			r->flagged[i][c] = r->in[i][c] && (abs128(r->d[i][c]) > tol ||
			    (far <= tol && abs128(r->d[i][c]) == far));
	}
	/* A flagged team's row: its largest distance, the first comparison on a tie. */
	for (size_t i = 0; i < in->n; i++) {
		size_t best = NCMP;

		for (size_t c = 0; c < NCMP; c++) {
			if (!r->flagged[i][c])
				continue;
			if (best == NCMP || abs128(r->d[i][c]) > abs128(r->d[i][best])) {
				best = c;
				r->nworst[i] = 1;
			} else if (abs128(r->d[i][c]) == abs128(r->d[i][best])) {
				r->nworst[i]++;
			}
		}
		if (best == NCMP)
			continue;
		r->v[i].delivery_ok = false;
		r->v[i].gap_day = best < RDAYS ? (int64_t)best + 1 : 0;
		r->v[i].gap = sat64(r->d[i][best]);
	}
	for (size_t i = 0; i < in->n; i++)
		if (!in->t[i].ended && in->t[i].reached > 0 &&
		    (r->common == 0 || (int64_t)in->t[i].reached < r->common))
			r->common = (int64_t)in->t[i].reached;
	if (r->common > 0)
		for (size_t i = 0; i < in->n; i++)
			if (!in->t[i].ended && in->t[i].reached > 0)
				r->x[r->counted++] = (double)in->t[i].delivered[r->common - 1];
}

/* Counts of what the instances exercised. */
struct stats {
	long unequal_delivery, unequal_period, ties, fence, over, exact_spread, farthest, pair;
	long spared, flat, ended_blamed, projection_named, clamped, no_common;
};

static void
check_instance(const struct inst *in, const struct across_verdict *v,
    const struct across_summary *s, struct stats *st)
{
	struct ref r;
	bool any_bad_delivery = false, any_bad_period = false;
	const __int128 tol = in->ref.tol;

	reference(in, &r);
	for (size_t i = 0; i < in->n; i++) {
		const struct across_team *t = &in->t[i];
		const struct across_verdict *w = &r.v[i];

		RCHECK(v[i].period_ok == w->period_ok && v[i].period_gap_days == w->period_gap_days,
		    "team %zu: period %d gap %lld, reference %d %lld", i, v[i].period_ok,
		    (long long)v[i].period_gap_days, w->period_ok, (long long)w->period_gap_days);
		RCHECK(v[i].delivery_ok == w->delivery_ok && v[i].gap_day == w->gap_day &&
		    v[i].gap == w->gap, "team %zu: delivery %d day %lld gap %lld, reference %d "
		    "%lld %lld (on %d comparisons at that distance)", i, v[i].delivery_ok,
		    (long long)v[i].gap_day, (long long)v[i].gap, w->delivery_ok,
		    (long long)w->gap_day, (long long)w->gap, r.nworst[i]);
		/* The invariants, from the output alone. */
		if (!v[i].delivery_ok)
			any_bad_delivery = true;
		if (!t->ended && !v[i].period_ok)
			any_bad_period = true;
		RCHECK(!t->ended || (v[i].period_ok && v[i].period_gap_days == 0),
		    "team %zu: ended, period %d gap %lld", i, v[i].period_ok,
		    (long long)v[i].period_gap_days);
		RCHECK(v[i].delivery_ok || (v[i].gap_day <= (int64_t)t->reached &&
		    (v[i].gap_day > 0 || !t->ended) && v[i].gap != 0),
		    "team %zu: gap day %lld of %zu reached, gap %lld", i, (long long)v[i].gap_day,
		    t->reached, (long long)v[i].gap);
		RCHECK(!v[i].delivery_ok || (v[i].gap_day == 0 && v[i].gap == 0),
		    "team %zu: delivery ok, gap day %lld gap %lld", i, (long long)v[i].gap_day,
		    (long long)v[i].gap);
		if (!w->delivery_ok) {
			__int128 dd = r.d[i][w->gap_day ? w->gap_day - 1 : RDAYS];

			st->ties += r.nworst[i] > 1;
			st->projection_named += w->gap_day == 0;
			st->ended_blamed += t->ended;
			st->clamped += dd != (__int128)w->gap;
		}
		for (size_t c = 0; c < NCMP; c++) {
			if (!r.in[i][c])
				continue;
			st->fence += tol > 0 && abs128(r.d[i][c]) == tol;
			st->over += abs128(r.d[i][c]) == tol + 1;
			st->spared += r.unequal[c] && !r.flagged[i][c] && r.d[i][c] != 0;
		}
	}
	RCHECK(s->equal_delivery == !any_bad_delivery && s->equal_period == !any_bad_period,
	    "equal delivery %d period %d, a team breaking them: %d %d", s->equal_delivery,
	    s->equal_period, any_bad_delivery, any_bad_period);
	RCHECK(s->equal_delivery == r.equal_delivery && s->equal_period == r.equal_period,
	    "equal delivery %d period %d, reference %d %d", s->equal_delivery, s->equal_period,
	    r.equal_delivery, r.equal_period);
	RCHECK(s->common_day == r.common && s->counted == r.counted,
	    "common day %lld counted %zu, reference %lld %zu", (long long)s->common_day,
	    s->counted, (long long)r.common, r.counted);
	{
		/* The same formulas (lib/report.c, tested there) over the reference's x. */
		long long jain = llround(report_jain(r.x, r.counted) * 1e6);
		long long dev = llround(report_max_deviation_pct(r.x, r.counted) * 1e3);
		/* And once more in long double, within one in the last place kept. */
		long double sum = 0, sum2 = 0, mean, far = 0, lj = 1, ld = 0;

		for (size_t i = 0; i < r.counted; i++) {
			sum += r.x[i];
			sum2 += (long double)r.x[i] * r.x[i];
		}
		if (r.counted > 0 && sum2 != 0)
			lj = sum * sum / (r.counted * sum2);
		if (r.counted > 0 && sum != 0) {
			mean = sum / r.counted;
			for (size_t i = 0; i < r.counted; i++)
				if (fabsl(r.x[i] - mean) > far)
					far = fabsl(r.x[i] - mean);
			ld = 100 * far / mean;
		}
		RCHECK(s->jain_micro == jain && s->max_deviation_milli == dev,
		    "jain %lld deviation %lld, reference %lld %lld", (long long)s->jain_micro,
		    (long long)s->max_deviation_milli, jain, dev);
		RCHECK(fabsl(lj * 1e6L - s->jain_micro) <= 1 &&
		    fabsl(ld * 1e3L - s->max_deviation_milli) <= 1,
		    "jain %lld deviation %lld, long double %.3Lf %.3Lf", (long long)s->jain_micro,
		    (long long)s->max_deviation_milli, lj * 1e6L, ld * 1e3L);
	}
	st->unequal_delivery += !s->equal_delivery;
	st->unequal_period += !s->equal_period;
	st->no_common += s->common_day == 0;
	/*
	 * Per set: a spread of exactly tol; unequal with none farther than tol
	 * (and several at that distance); unequal with a spread of 0, the
	 * values not saturated.
	 */
	for (size_t c = 0; c < NCMP; c++) {
		size_t m = 0, nflagged = 0;

		for (size_t i = 0; i < in->n; i++) {
			m += r.in[i][c];
			nflagged += r.flagged[i][c];
		}
		st->exact_spread += m >= 2 && tol > 0 && r.spread[c] == tol;
		st->farthest += r.unequal[c] && r.far[c] <= tol;
		st->pair += r.unequal[c] && r.far[c] <= tol && nflagged >= 2;
		st->flat += m >= 2 && r.unequal[c] && r.spread[c] == 0 &&
		    r.far[c] <= 100 * tol + 100;
	}
}

START_TEST(random_against_reference)
{
	uint64_t seed = brute_seed(), rs = seed;
	struct stats st = { 0 };

	for (int idx = 0; idx < RINSTANCES; idx++) {
		struct inst inst = { .seed = seed, .idx = idx }, *in = &inst;
		struct across_verdict *v;
		struct across_summary s;
		int rc;

		generate(&rs, in);
		v = malloc(in->n * sizeof(*v));
		ck_assert(v != NULL);
		rc = across_judge(in->t, in->n, &in->ref, v, &s);
		RCHECK(rc == 0, "rc %d", rc);
		check_instance(in, v, &s, &st);
		free(v);
		release(in);
	}
	/* The generator must exercise both outcomes and the boundaries. */
	ck_assert_msg(st.unequal_delivery > RINSTANCES / 5 &&
	    st.unequal_delivery < RINSTANCES * 4 / 5 && st.unequal_period > RINSTANCES / 5 &&
	    st.unequal_period < RINSTANCES * 4 / 5 && st.ties > 100 && st.fence > 100 &&
	    st.over > 100 && st.exact_spread > 100 && st.farthest > 100 && st.pair > 50 &&
	    st.spared > 100 && st.flat > 100 && st.ended_blamed > 100 &&
	    st.projection_named > 100 && st.clamped > 10 && st.no_common > 50,
	    "seed %llu: unequal delivery %ld period %ld, ties %ld, at tol %ld, at tol + 1 %ld, "
	    "spread tol %ld, farthest %ld (several %ld), spared %ld, flat %ld, ended blamed %ld, "
	    "projection named %ld, clamped %ld, no common day %ld", (unsigned long long)seed,
	    st.unequal_delivery, st.unequal_period, st.ties, st.fence, st.over, st.exact_spread,
	    st.farthest, st.pair, st.spared, st.flat, st.ended_blamed, st.projection_named,
	    st.clamped, st.no_common);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("across");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, hand_table, 0, (int)NELEMS(hands));
	tcase_add_test(tc, random_against_reference);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
