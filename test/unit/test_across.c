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
/* One day of a 768-unit package, in mus. */
#define DAY (INT64_C(768000) * 86400)
#define P181 (181 * DAY)

/* Verdicts as { period_ok, period_gap_days, delivery_ok, gap_day, gap }. */
#define OK { true, 0, true, 0, 0 }
#define GAP(day, g) { true, 0, false, (day), (g) }
#define PERIOD(g) { false, (g), true, 0, 0 }
/* A team of 181 days that has reached 3 days, every one of them equal. */
#define EQ3 { DAY, 2 * DAY, 3 * DAY }
#define EQ5 { DAY, 2 * DAY, 3 * DAY, 4 * DAY, 5 * DAY }
#define TEAM3 { false, 181, 3, EQ3, P181 }

struct hteam {
	bool ended;
	int64_t days;
	size_t reached;
	int64_t del[6];
	int64_t proj;
};

/*
 * Hand-made cases, their every expected figure worked out from the header.
 * Jain's index and the deviation over x at the common day: where x is not
 * all equal, the figure was computed by hand (tiny spreads: the index
 * rounds to 1, the deviation is 100 x max |x - mean| / mean).
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
} hands[] = {
	{ "no team at all", 0, { { 0 } }, { OK }, true, true, 0, 0, 1000000, 0 },
	{ "three equal teams", 3, { TEAM3, TEAM3, TEAM3 }, { OK, OK, OK },
	  true, true, 3, 3, 1000000, 0 },
	/* Median 2 DAY (the two others); it lies 2 TOL below. */
	{ "one team short by two unit-hours on day 2", 3,
	  { TEAM3, { false, 181, 3, { DAY, 2 * DAY - 2 * TOL, 3 * DAY }, P181 }, TEAM3 },
	  { OK, GAP(2, -2 * TOL), OK }, true, false, 3, 3, 1000000, 0 },
	/* Short by TOL + 1 on day 3: 100 x (2/3)(TOL + 1) / (3 DAY - (TOL + 1)/3) % = 1.2 milli. */
	{ "short by one unit-hour and one mus", 3,
	  { TEAM3, { false, 181, 3, { DAY, 2 * DAY, 3 * DAY - TOL - 1 }, P181 }, TEAM3 },
	  { OK, GAP(3, -TOL - 1), OK }, true, false, 3, 3, 1000000, 1 },
	{ "short by exactly one unit-hour is equal", 3,
	  { TEAM3, { false, 181, 3, { DAY, 2 * DAY - TOL, 3 * DAY }, P181 }, TEAM3 },
	  { OK, OK, OK }, true, true, 3, 3, 1000000, 0 },
	{ "a surplus on day 1", 3,
	  { TEAM3, TEAM3, { false, 181, 3, { DAY + 2 * TOL, 2 * DAY, 3 * DAY }, P181 } },
	  { OK, OK, GAP(1, 2 * TOL) }, true, false, 3, 3, 1000000, 0 },
	/* Days 1, 2, 3 and the projection short by 2, 5, 3 and 4 TOL: day 2 is named. */
	{ "the day of the largest distance is named", 3,
	  { { false, 181, 3, { DAY - 2 * TOL, 2 * DAY - 5 * TOL, 3 * DAY - 3 * TOL },
	      P181 - 4 * TOL }, TEAM3, TEAM3 },
	  { GAP(2, -5 * TOL), OK, OK }, true, false, 3, 3, 1000000, 4 },
	{ "the projection is the largest distance", 3,
	  { { false, 181, 3, { DAY - 2 * TOL, 2 * DAY, 3 * DAY }, P181 - 3 * TOL }, TEAM3, TEAM3 },
	  { GAP(0, -3 * TOL), OK, OK }, true, false, 3, 3, 1000000, 0 },
	/* Ten days lost and not made up: every day so far equal. */
	{ "projections unequal while every day is equal", 3,
	  { { false, 181, 3, EQ3, P181 - 10 * DAY }, TEAM3, TEAM3 },
	  { GAP(0, -10 * DAY), OK, OK }, true, false, 3, 3, 1000000, 0 },
	/* Its day 2 is compared with the others' day 2, not with their day 5. */
	{ "a late team, equal on its own days", 3,
	  { { false, 181, 5, EQ5, P181 }, { false, 181, 5, EQ5, P181 },
	    { false, 181, 2, { DAY, 2 * DAY }, P181 } },
	  { OK, OK, OK }, true, true, 2, 3, 1000000, 0 },
	{ "a late team short on one of its days", 3,
	  { { false, 181, 5, EQ5, P181 }, { false, 181, 2, { DAY - 2 * TOL, 2 * DAY }, P181 },
	    { false, 181, 5, EQ5, P181 } },
	  { OK, GAP(1, -2 * TOL), OK }, true, false, 2, 3, 1000000, 0 },
	/* Eliminated after day 2 with a 60-day period and its projection. */
	{ "an ended team: its days only, no period, projection or index", 3,
	  { { false, 181, 5, EQ5, P181 }, { false, 181, 5, EQ5, P181 },
	    { true, 60, 2, { DAY, 2 * DAY }, 60 * DAY } },
	  { OK, OK, OK }, true, true, 5, 2, 1000000, 0 },
	{ "an ended team short before its end", 3,
	  { { false, 181, 5, EQ5, P181 }, { true, 60, 2, { DAY, 2 * DAY - 2 * TOL }, 60 * DAY },
	    { false, 181, 5, EQ5, P181 } },
	  { OK, GAP(2, -2 * TOL), OK }, true, false, 5, 2, 1000000, 0 },
	{ "every team ended", 2,
	  { { true, 30, 3, EQ3, 30 * DAY }, { true, 90, 3, EQ3, 90 * DAY } },
	  { OK, OK }, true, true, 0, 0, 1000000, 0 },
	/* Reached 0: its window has not begun; its projection still counts. */
	{ "a team whose window has not begun", 2,
	  { TEAM3, { false, 181, 0, { 0 }, P181 } },
	  { OK, OK }, true, true, 3, 1, 1000000, 0 },
	/* Two extension days, its projection equal all the same (a loss). */
	{ "one team with more days breaks the period", 3,
	  { TEAM3, TEAM3, { false, 183, 3, EQ3, P181 } },
	  { OK, OK, PERIOD(2) }, false, true, 3, 3, 1000000, 0 },
	/* Median (182 + 182) / 2: the teams at the median keep period_ok. */
	{ "period, even count", 4,
	  { { false, 180, 3, EQ3, P181 }, { false, 182, 3, EQ3, P181 },
	    { false, 182, 3, EQ3, P181 }, { false, 184, 3, EQ3, P181 } },
	  { PERIOD(-2), OK, OK, PERIOD(2) }, false, true, 3, 4, 1000000, 0 },
	{ "an ended team's days do not break the period", 3,
	  { TEAM3, { true, 183, 3, EQ3, P181 }, TEAM3 },
	  { OK, OK, OK }, true, true, 3, 2, 1000000, 0 },
	/* Median DAY + 0.75 TOL: both lie 0.75 TOL from it, more than TOL / 2. */
	{ "two teams 1.5 unit-hours apart: both", 2,
	  { { false, 181, 1, { DAY }, P181 }, { false, 181, 1, { DAY + 3 * TOL / 2 }, P181 } },
	  { GAP(1, -3 * TOL / 4), GAP(1, 3 * TOL / 4) }, true, false, 1, 2, 1000000, 4 },
	{ "a spread of exactly one unit-hour is equal", 3,
	  { { false, 181, 1, { DAY }, P181 }, { false, 181, 1, { DAY + TOL }, P181 },
	    { false, 181, 1, { DAY + TOL / 2 }, P181 } },
	  { OK, OK, OK }, true, true, 1, 3, 1000000, 3 },
	/* Median DAY + (TOL + 1) / 2: gaps of 1800000.5 mus, rounded toward 0. */
	{ "one mus past a unit-hour: both, half a mus rounded toward 0", 2,
	  { { false, 181, 1, { DAY }, P181 }, { false, 181, 1, { DAY + TOL + 1 }, P181 } },
	  { GAP(1, -TOL / 2), GAP(1, TOL / 2) }, true, false, 1, 2, 1000000, 3 },
	/* Median DAY + 0.4 TOL: the first team is 0.4 TOL from it, within TOL / 2. */
	{ "only the teams farther than half a unit-hour from the median", 3,
	  { { false, 181, 1, { DAY }, P181 }, { false, 181, 1, { DAY + 1440000 }, P181 },
	    { false, 181, 1, { DAY + 4320000 }, P181 } },
	  { OK, OK, GAP(1, 2880000) }, true, false, 1, 3, 1000000, 4 },
	/* x = (DAY, 3 DAY): Jain 16 / 20, deviation 50 %. */
	{ "two teams far apart: Jain 0.8, deviation 50 %", 2,
	  { { false, 181, 1, { DAY }, P181 }, { false, 181, 1, { 3 * DAY }, P181 } },
	  { GAP(1, -DAY), GAP(1, DAY) }, true, false, 1, 2, 800000, 50000 },
};

START_TEST(hand_table)
{
	struct across_team t[4] = { { 0 } };
	struct across_verdict v[4];
	struct across_summary s;
	const char *what = hands[_i].what;

	for (size_t i = 0; i < hands[_i].n; i++)
		t[i] = (struct across_team){ hands[_i].t[i].ended, hands[_i].t[i].days,
		    hands[_i].t[i].reached, hands[_i].t[i].reached ? hands[_i].t[i].del : NULL,
		    hands[_i].t[i].proj };
	ck_assert_int_eq(across_judge(t, hands[_i].n, TOL, v, &s), 0);
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

struct inst {
	uint64_t seed;
	int idx;
	int64_t tol;
	size_t n;
	struct across_team t[RTEAMS];
	int64_t *del[RTEAMS];
};

static void
dump_instance(const struct inst *in)
{
	fprintf(stderr, "test_across: seed %llu instance %d: tol %lld, %zu teams\n",
	    (unsigned long long)in->seed, in->idx, (long long)in->tol, in->n);
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

/* A perturbation around tol, its boundaries often: 0, tol / 2, tol and their neighbours. */
static int64_t
pert(uint64_t *rs, int64_t tol)
{
	int64_t h = tol / 2, a;

	switch (brute_range(rs, 0, 11)) {
	case 0: case 1: case 2: return 0;
	case 3: a = h; break;
	case 4: a = h + 1; break;
	case 5: a = tol; break;
	case 6: a = tol + 1; break;
	case 7: a = tol > 0 ? tol - 1 : 1; break;
	case 8: a = brute_range(rs, 0, 2 * tol + 2); break;
	case 9: a = brute_range(rs, 0, h + 1); break;
	case 10: a = h > 0 ? h - 1 : 0; break;
	default: a = brute_range(rs, 0, 20 * tol + 20); break;
	}
	return brute_range(rs, 0, 1) ? a : -a;
}

static void
generate(uint64_t *rs, struct inst *in)
{
	static const int64_t tols[] = { TOL, TOL, TOL, TOL, TOL + 1, 7, 0 };
	static const int64_t units[] = { 768000, 512000, 1000 };
	static const int64_t dayset[] = { 180, 181, 182, 183, 190 };
	int64_t base = units[brute_range(rs, 0, 2)] * 86400;
	int daysmode = (int)brute_range(rs, 0, 2), rmode = (int)brute_range(rs, 0, 2);
	int64_t days0 = dayset[brute_range(rs, 0, 4)];
	size_t r0 = (size_t)brute_range(rs, 0, RDAYS);
	/* Per instance: how often a day is perturbed (per 60), a team drifts, a team ends. */
	int64_t noise = (int64_t[]){ 0, 1, 10 }[brute_range(rs, 0, 2)];
	int64_t drift = brute_range(rs, 0, 1) ? 20 : 0;
	int64_t ends = brute_range(rs, 0, 1) ? 20 : 0;

	in->tol = tols[brute_range(rs, 0, (int64_t)NELEMS(tols) - 1)];
	in->n = (size_t)brute_range(rs, 1, RTEAMS);
	for (size_t i = 0; i < in->n; i++) {
		struct across_team *t = &in->t[i];
		int64_t d = brute_range(rs, 0, 59) < drift ? pert(rs, in->tol) : 0;
		int64_t from = brute_range(rs, 1, RDAYS);

		t->ended = brute_range(rs, 0, 99) < ends;
		if (daysmode == 0)
			t->days = days0;
		else if (daysmode == 1)
			t->days = dayset[brute_range(rs, 0, 4)];
		else
			t->days = brute_range(rs, 0, 5) ? days0 : dayset[brute_range(rs, 0, 4)];
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
			int64_t x = (int64_t)k * base + ((int64_t)k >= from ? d : 0);

			if (brute_range(rs, 0, 59) < noise)
				x += pert(rs, in->tol);
			in->del[i][k - 1] = x;
		}
		t->delivered = in->del[i];
		t->projected = 181 * base + (brute_range(rs, 0, 1) ? d : 0) +
		    (brute_range(rs, 0, 59) < 3 * noise ? pert(rs, in->tol) : 0);
	}
}

static void
release(struct inst *in)
{
	for (size_t i = 0; i < in->n; i++)
		free(in->del[i]);
}

static __int128
abs128(__int128 x)
{
	return x < 0 ? -x : x;
}

/* Twice the median of v[0..m), m >= 1, by insertion sort. */
static __int128
ref_median2(const int64_t *v, size_t m)
{
	int64_t s[RTEAMS];

	for (size_t i = 0; i < m; i++) {
		size_t j = i;

		while (j > 0 && s[j - 1] > v[i]) {
			s[j] = s[j - 1];
			j--;
		}
		s[j] = v[i];
	}
	return m % 2 ? 2 * (__int128)s[m / 2] : (__int128)s[m / 2 - 1] + s[m / 2];
}

struct ref {
	bool equal_period, equal_delivery;
	__int128 pdiff2[RTEAMS];	/* 2 days - 2 median, 0 for a team not judged */
	/* Per team and day (0: the projection): in the set, blamed, 2 value - 2 median. */
	bool blamed[RTEAMS][RDAYS + 1];
	__int128 d2[RTEAMS][RDAYS + 1];
	int64_t common;
	size_t counted;
	double x[RTEAMS];
};

/* One set, day k (0: the projections of the teams not ended). */
static void
ref_set(const struct inst *in, size_t k, struct ref *r)
{
	int64_t val[RTEAMS], lo = INT64_MAX, hi = INT64_MIN;
	size_t who[RTEAMS], m = 0;
	__int128 med2;

	for (size_t i = 0; i < in->n; i++) {
		const struct across_team *t = &in->t[i];

		if (k == 0 ? t->ended : t->reached < k)
			continue;
		who[m] = i;
		val[m] = k == 0 ? t->projected : t->delivered[k - 1];
		if (val[m] < lo)
			lo = val[m];
		if (val[m] > hi)
			hi = val[m];
		m++;
	}
	if (m < 2 || (__int128)hi - lo <= in->tol)
		return;
	r->equal_delivery = false;
	med2 = ref_median2(val, m);
	for (size_t j = 0; j < m; j++) {
		__int128 d2 = 2 * (__int128)val[j] - med2;

		r->d2[who[j]][k] = d2;
		/* Farther than tol / 2 from the median. */
		r->blamed[who[j]][k] = abs128(d2) > in->tol;
	}
}

static void
reference(const struct inst *in, struct ref *r)
{
	int64_t days[RTEAMS];
	size_t m = 0;
	bool same = true;

	memset(r, 0, sizeof(*r));
	r->equal_period = r->equal_delivery = true;
	for (size_t i = 0; i < in->n; i++)
		if (!in->t[i].ended) {
			days[m] = in->t[i].days;
			if (days[m] != days[0])
				same = false;
			m++;
		}
	if (!same) {
		__int128 med2 = ref_median2(days, m);

		r->equal_period = false;
		for (size_t i = 0; i < in->n; i++)
			if (!in->t[i].ended)
				r->pdiff2[i] = 2 * (__int128)in->t[i].days - med2;
	}
	for (size_t k = 0; k <= RDAYS; k++)
		ref_set(in, k, r);
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
	long unequal_delivery, unequal_period, ties, fence, exact_spread, ended_blamed;
	long odd_gaps, projection_named, no_common;
};

static void
check_instance(const struct inst *in, const struct across_verdict *v,
    const struct across_summary *s, struct stats *st)
{
	struct ref r;
	bool any_bad_delivery = false, any_bad_period = false;

	reference(in, &r);
	for (size_t i = 0; i < in->n; i++) {
		const struct across_team *t = &in->t[i];
		__int128 worst = 0, p = r.pdiff2[i];
		int nworst = 0;

		/*
		 * The period: days - median, exact where whole.  The header does not say
		 * how a half day (an even count) rounds: either way, but never to 0.
		 */
		if (p == 0) {
			RCHECK(v[i].period_ok && v[i].period_gap_days == 0,
			    "team %zu: period %d gap %lld, reference ok", i, v[i].period_ok,
			    (long long)v[i].period_gap_days);
		} else {
			__int128 off = 2 * (__int128)v[i].period_gap_days - p;

			RCHECK(!v[i].period_ok && off >= -1 && off <= 1 &&
			    v[i].period_gap_days != 0 && (v[i].period_gap_days > 0) == (p > 0),
			    "team %zu: period %d gap %lld, reference twice the gap %lld", i,
			    v[i].period_ok, (long long)v[i].period_gap_days, (long long)p);
		}
		/*
		 * Delivery: blamed on some day, the row names a day of the largest
		 * distance; on a tie the header does not say which, so any of them.
		 */
		for (size_t k = 0; k <= RDAYS; k++)
			if (r.blamed[i][k] && abs128(r.d2[i][k]) >= worst) {
				nworst = abs128(r.d2[i][k]) > worst ? 1 : nworst + 1;
				worst = abs128(r.d2[i][k]);
			}
		if (nworst == 0) {
			RCHECK(v[i].delivery_ok && v[i].gap_day == 0 && v[i].gap == 0,
			    "team %zu: delivery %d day %lld gap %lld, reference ok", i,
			    v[i].delivery_ok, (long long)v[i].gap_day, (long long)v[i].gap);
		} else {
			int64_t day = v[i].gap_day;
			__int128 d2 = day >= 0 && day <= RDAYS ? r.d2[i][day] : 0;
			/* Half of d2, rounded toward 0. */
			int64_t want = (int64_t)(d2 < 0 ? -(-d2 / 2) : d2 / 2);

			RCHECK(!v[i].delivery_ok && day >= 0 && day <= RDAYS && r.blamed[i][day] &&
			    abs128(d2) == worst && v[i].gap == want,
			    "team %zu: delivery %d day %lld gap %lld; reference: largest twice "
			    "the distance %lld, on %d days", i, v[i].delivery_ok, (long long)day,
			    (long long)v[i].gap, (long long)worst, nworst);
			st->ties += nworst > 1;
			st->projection_named += day == 0;
			st->ended_blamed += t->ended;
			if (worst % 2 && (__int128)v[i].gap * 2 != r.d2[i][day])
				st->odd_gaps++;
		}
		for (size_t k = 0; k <= RDAYS; k++)
			if (r.d2[i][k] != 0 && abs128(r.d2[i][k]) == in->tol)
				st->fence++;
		/* The invariants, from the output alone. */
		if (!v[i].delivery_ok)
			any_bad_delivery = true;
		if (!t->ended && !v[i].period_ok)
			any_bad_period = true;
		RCHECK(!t->ended || (v[i].period_ok && v[i].period_gap_days == 0),
		    "team %zu: ended, period %d gap %lld", i, v[i].period_ok,
		    (long long)v[i].period_gap_days);
		RCHECK(v[i].delivery_ok || (v[i].gap_day <= (int64_t)t->reached &&
		    (v[i].gap_day > 0 || !t->ended)), "team %zu: gap day %lld of %zu reached", i,
		    (long long)v[i].gap_day, t->reached);
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
	for (size_t k = 0; k <= RDAYS; k++) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		size_t m = 0;

		for (size_t i = 0; i < in->n; i++) {
			int64_t x;

			if (k == 0 ? in->t[i].ended : in->t[i].reached < k)
				continue;
			x = k == 0 ? in->t[i].projected : in->t[i].delivered[k - 1];
			lo = x < lo ? x : lo;
			hi = x > hi ? x : hi;
			m++;
		}
		st->exact_spread += m >= 2 && hi - lo == in->tol && in->tol > 0;
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
		rc = across_judge(in->t, in->n, in->tol, v, &s);
		RCHECK(rc == 0, "rc %d", rc);
		check_instance(in, v, &s, &st);
		free(v);
		release(in);
	}
	/* The generator must exercise both outcomes and the boundaries. */
	ck_assert_msg(st.unequal_delivery > RINSTANCES / 5 &&
	    st.unequal_delivery < RINSTANCES * 4 / 5 && st.unequal_period > RINSTANCES / 5 &&
	    st.unequal_period < RINSTANCES * 4 / 5 && st.ties > 100 && st.fence > 100 &&
	    st.exact_spread > 100 && st.ended_blamed > 100 && st.odd_gaps > 10 &&
	    st.projection_named > 100 && st.no_common > 50,
	    "seed %llu: unequal delivery %ld period %ld, ties %ld, at tol/2 %ld, spread tol "
	    "%ld, ended blamed %ld, odd gaps %ld, projection named %ld, no common day %ld",
	    (unsigned long long)seed, st.unequal_delivery, st.unequal_period, st.ties, st.fence,
	    st.exact_spread, st.ended_blamed, st.odd_gaps, st.projection_named, st.no_common);
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
