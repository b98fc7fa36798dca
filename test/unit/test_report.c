/* test_report.c: quota and fairness arithmetic: hour splits, figures, breaks, Jain, digest, CSV. */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "report.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define H INT64_C(3600)
#define D INT64_C(86400)
/* 768 B200: the package of the programme, in milli-units. */
#define U INT64_C(768000)
/* 2026-01-01T00:00:00+09:00 (2025-12-31T15:00:00Z): the phase start. */
#define T0 INT64_C(1767193200)

START_TEST(hour_floor)
{
	ck_assert_int_eq(report_hour_floor(0), 0);
	ck_assert_int_eq(report_hour_floor(3599), 0);
	ck_assert_int_eq(report_hour_floor(3600), 3600);
	ck_assert_int_eq(report_hour_floor(-1), -3600);
	ck_assert_int_eq(report_hour_floor(-3600), -3600);
	ck_assert_int_eq(report_hour_floor(-3601), -7200);
	ck_assert_int_eq(report_hour_floor(T0 + 1800), T0);
}
END_TEST

static const struct {
	const char *what;
	int64_t from, to, total;
	size_t n;
	struct { int64_t hour, share; } want[4];
} splits[] = {
	{ "inside one hour", T0 + 60, T0 + 120, 500, 1, { { T0, 500 } } },
	{ "one whole hour", T0, T0 + H, 3600 * 768, 1, { { T0, 3600 * 768 } } },
	{ "half and half", T0 + 1800, T0 + 5400, 1000, 2, { { T0, 500 }, { T0 + H, 500 } } },
	/* 7 over 3 equal parts: floors at 2.33, 4.67, 7 -> 2, 2, 3. */
	{ "remainders go where the floor steps", T0, T0 + 3 * H, 7, 3,
	  { { T0, 2 }, { T0 + H, 2 }, { T0 + 2 * H, 3 } } },
	/* 10 s in hour 0, 3600 in hour 1, 20 in hour 2: 3630 s, 363 GPU-s. */
	{ "uneven pieces", T0 + H - 10, T0 + 2 * H + 20, 363, 3,
	  { { T0, 1 }, { T0 + H, 360 }, { T0 + 2 * H, 2 } } },
	{ "nothing used", T0, T0 + 2 * H, 0, 2, { { T0, 0 }, { T0 + H, 0 } } },
	{ "before 1970", -5400, -1800, 3600, 2, { { -7200, 1800 }, { -3600, 1800 } } },
};

START_TEST(split_table)
{
	struct report_split s;
	struct report_piece p;
	size_t n = 0;

	report_split_init(&s, splits[_i].from, splits[_i].to, splits[_i].total);
	while (report_split_next(&s, &p)) {
		ck_assert_msg(n < splits[_i].n, "%s: too many pieces", splits[_i].what);
		ck_assert_msg(p.hour == splits[_i].want[n].hour && p.share ==
		    splits[_i].want[n].share, "%s: piece %zu is (%lld, %lld)", splits[_i].what, n,
		    (long long)p.hour, (long long)p.share);
		n++;
	}
	ck_assert_msg(n == splits[_i].n, "%s: %zu pieces", splits[_i].what, n);
}
END_TEST

/*
 * Random samples against the exact rational split: the pieces tile the
 * interval, sum to the total, and each is within one GPU-second of its
 * proportional share.
 */
START_TEST(split_random)
{
	unsigned seed = (unsigned)time(NULL);
	struct report_split s;
	struct report_piece p;

	srandom(seed);
	/* Most samples are short, as meters send them; every tenth spans up to 31 days. */
	for (int k = 0; k < 5000; k++) {
		int64_t from = T0 + random() % (10 * D);
		int64_t len = 1 + random() % (k % 10 == 0 ? 31 * D : 3 * H);
		int64_t cards = 1 + random() % 100000;
		int64_t total = ((int64_t)random() << 31 | random()) % (cards * len + 1);
		int64_t sum = 0, at = from;

		report_split_init(&s, from, from + len, total);
		while (report_split_next(&s, &p)) {
			__int128 exact = (__int128)total * (p.to - p.from);
			__int128 diff = (__int128)p.share * len - exact;

			ck_assert_msg(p.from == at && p.to > p.from && p.hour == report_hour_floor(
			    p.from) && p.to <= p.hour + H, "seed %u: piece out of place", seed);
			ck_assert_msg(diff > -(__int128)len && diff < (__int128)len,
			    "seed %u: share %lld of %lld over %lld s is off", seed,
			    (long long)p.share, (long long)total, (long long)len);
			sum += p.share;
			at = p.to;
		}
		ck_assert_msg(at == from + len && sum == total, "seed %u: sum %lld of %lld", seed,
		    (long long)sum, (long long)total);
	}
}
END_TEST

/* Figures: the facts as the daemon gathers them, and what comes out. */
static const struct {
	const char *what;
	struct report_facts in;
	int64_t at;
	int64_t entitled, delivered, owed, util_ppm, days, elapsed, left;
} figures[] = {
	{ "before the window opens",
	  { T0, T0 + 181 * D, -1, U, 0, 0, 0, 0, 0 }, T0 - D,
	  0, 0, 0, 0, 181, 0, 181 },
	{ "ten and a half days in, fully used",
	  { T0, T0 + 181 * D, -1, U, U * (10 * D + 12 * H), 0, 0, 0, U * (10 * D + 12 * H) },
	  T0 + 10 * D + 12 * H,
	  U * (10 * D + 12 * H), U * (10 * D + 12 * H), 0, 1000000, 181, 10, 171 },
	/* Motif: chosen on 2026-02-02, the same 181 days shifted by 32. */
	{ "late team, one day in, a quarter used",
	  { T0 + 32 * D, T0 + 213 * D, -1, U, U * D, 0, 0, 0, U * D / 4 }, T0 + 33 * D,
	  U * D, U * D, 0, 250000, 181, 1, 180 },
	/* 512 B200 of its pool out for two days: 512 units x 48 h lost. */
	{ "outage on its pool, not yet compensated",
	  { T0, T0 + 181 * D, -1, U, U * 20 * D, 512000 * 2 * D, 512000 * 2 * D, 0, 0 },
	  T0 + 20 * D,
	  U * 20 * D, U * 20 * D - 512000 * 2 * D, 512000 * 2 * D, 0, 181, 20, 161 },
	/* 512 units x 48 h come back as the package's 768 units x 32 h after the window. */
	{ "compensated after the window",
	  { T0, T0 + 181 * D, -1, U, U * 181 * D + U * 32 * H, 512000 * 2 * D,
	    512000 * 2 * D, U * 32 * H, 0 }, T0 + 300 * D,
	  U * 181 * D, U * 181 * D, 0, 0, 181, 181, 0 },
	{ "make-up still running: delivered short, owed 0",
	  { T0, T0 + 181 * D, -1, U, U * 181 * D + U * 8 * H, 512000 * 2 * D,
	    512000 * 2 * D, U * 32 * H, 0 }, T0 + 181 * D + 8 * H,
	  U * 181 * D, U * 181 * D - U * 24 * H, 0, 0, 181, 181, 0 },
	/* SKT: eliminated effective 2026-04-01 (day 90); nothing counts after. */
	{ "eliminated: counted up to ended_at",
	  { T0, T0 + 181 * D, T0 + 90 * D, U, U * 90 * D, 0, 0, 0, U * 45 * D }, T0 + 100 * D,
	  U * 90 * D, U * 90 * D, 0, 500000, 181, 90, 0 },
	{ "eliminated before its window opened",
	  { T0 + 32 * D, T0 + 213 * D, T0 + 32 * D, U, 0, 0, 0, 0, 0 }, T0 + 40 * D,
	  0, 0, 0, 0, 181, 0, 0 },
	{ "nothing delivered: utilization 0, not a division by zero",
	  { T0, T0 + 181 * D, -1, U, U * D, U * D, U * D, 0, 5000 }, T0 + D,
	  U * D, 0, U * D, 0, 181, 1, 180 },
	{ "overuse shows above 1",
	  { T0, T0 + 181 * D, -1, U, U * D, 0, 0, 0, 3 * U * D / 2 }, T0 + D,
	  U * D, U * D, 0, 1500000, 181, 1, 180 },
	{ "a third rounds to the nearest millionth",
	  { T0, T0 + 181 * D, -1, U, 3, 0, 0, 0, 1 }, T0 + D,
	  U * D, 3, 0, 333333, 181, 1, 180 },
	{ "the last second of the window",
	  { T0, T0 + 181 * D, -1, U, 0, 0, 0, 0, 0 }, T0 + 181 * D - 1,
	  U * (181 * D - 1), 0, 0, 0, 181, 180, 1 },
};

START_TEST(figures_table)
{
	struct report_figures f;

	ck_assert_int_eq(report_figures(&figures[_i].in, figures[_i].at, &f), 0);
	ck_assert_msg(f.entitled == figures[_i].entitled, "%s: entitled %lld",
	    figures[_i].what, (long long)f.entitled);
	ck_assert_msg(f.delivered == figures[_i].delivered, "%s: delivered %lld",
	    figures[_i].what, (long long)f.delivered);
	ck_assert_msg(f.owed == figures[_i].owed, "%s: owed %lld", figures[_i].what,
	    (long long)f.owed);
	ck_assert_msg(f.utilization_ppm == figures[_i].util_ppm, "%s: utilization %lld",
	    figures[_i].what, (long long)f.utilization_ppm);
	ck_assert_msg(f.days == figures[_i].days && f.days_elapsed == figures[_i].elapsed &&
	    f.days_left == figures[_i].left, "%s: days %lld/%lld/%lld", figures[_i].what,
	    (long long)f.days, (long long)f.days_elapsed, (long long)f.days_left);
	ck_assert_int_eq(f.lost, figures[_i].in.lost);
	ck_assert_int_eq(f.used, figures[_i].in.used);
}
END_TEST

START_TEST(figures_overflow)
{
	struct report_facts in = { 0, INT64_C(1) << 40, -1, INT64_C(1) << 40, 0, 0, 0, 0, 0 };
	struct report_figures f;

	ck_assert_int_eq(report_figures(&in, INT64_C(1) << 40, &f), GD_ERANGE);
	in = (struct report_facts){ 0, D, -1, U, INT64_MIN, 1, 0, 0, 0 };
	ck_assert_int_eq(report_figures(&in, D, &f), GD_ERANGE);
}
END_TEST

START_TEST(granted_sum)
{
	const struct report_grant g[] = {
		{ T0, T0 + 181 * D, 512000, false },		/* 512 B200 */
		{ T0, T0 + 181 * D, 256000, false },		/* 512 H100 */
		{ T0 + 181 * D, T0 + 182 * D, U, true },	/* a make-up day */
	};
	int64_t mus;

	ck_assert_int_eq(report_granted(g, 3, T0, T0 + 10 * D, &mus), 0);
	ck_assert_int_eq(mus, U * 10 * D);
	ck_assert_int_eq(report_granted(g, 3, T0, T0 + 181 * D + 12 * H, &mus), 0);
	ck_assert_int_eq(mus, U * 181 * D + U * 12 * H);
	ck_assert_int_eq(report_granted(g, 3, T0 - D, T0, &mus), 0);
	ck_assert_int_eq(mus, 0);
	ck_assert_int_eq(report_granted(g, 0, T0, T0 + D, &mus), 0);
	ck_assert_int_eq(mus, 0);
	ck_assert_int_eq(report_overlap(0, 10, 5, 20), 5);
	ck_assert_int_eq(report_overlap(0, 10, 10, 20), 0);
	ck_assert_int_eq(report_overlap(5, 6, 0, 20), 1);
}
END_TEST

/*
 * Owed: all losses less every make-up, whole, at its pool's weight.  Each
 * case is also run through report_figures, which must agree.
 */
#define W_END (T0 + 181 * D)
static const struct {
	const char *what;
	struct report_grant g[3];
	size_t n;
	int64_t lost_total, owed;
} oweds[] = {
	{ "nothing lost, nothing owed", { { T0, W_END, U, false } }, 1, 0, 0 },
	{ "512 units x 48 h lost, nothing paid", { { T0, W_END, U, false } }, 1,
	  512000 * 2 * D, 512000 * 2 * D },
	{ "paid in part: 768 units x 16 h of 32", { { T0, W_END, U, false },
	  { W_END, W_END + 16 * H, U, true } }, 2, 512000 * 2 * D, U * 16 * H },
	{ "paid in full", { { T0, W_END, U, false }, { W_END, W_END + 32 * H, U, true } }, 2,
	  512000 * 2 * D, 0 },
	/* A make-up rounds up to whole card-hours (lib/outage.h): never below 0. */
	{ "paid over by the rounding", { { W_END, W_END + 33 * H, U, true } }, 1,
	  512000 * 2 * D, 0 },
	{ "two make-ups add up", { { W_END, W_END + 8 * H, U, true },
	  { W_END + 8 * H, W_END + 16 * H, U, true } }, 2, U * 20 * H, U * 4 * H },
	/* Only make-ups pay: a grant by hand inside the window is not one. */
	{ "a manual grant pays nothing", { { T0, T0 + 32 * H, U, false } }, 1, U * 32 * H,
	  U * 32 * H },
	{ "an H100 make-up pays at half weight", { { W_END, W_END + 32 * H, U / 2, true } }, 1,
	  U * 32 * H, U * 16 * H },
	/*
	 * A make-up that an outage hit: the loss on it is in lost_total, and
	 * the make-up still counts whole, so the new loss is owed again.
	 */
	{ "a make-up hit by an outage is owed again", { { W_END, W_END + 32 * H, U, true } }, 1,
	  U * 32 * H + U * 2 * H, U * 2 * H },
	/* A make-up released early counts as long as it ran (its cut end). */
	{ "a make-up released early", { { W_END, W_END + 10 * H, U, true } }, 1, U * 32 * H,
	  U * 22 * H },
};

START_TEST(owed_table)
{
	struct report_facts in = { T0, W_END, -1, U, 0, 0, oweds[_i].lost_total, 0, 0 };
	struct report_figures f;
	int64_t owed = -1;

	ck_assert_int_eq(report_owed(oweds[_i].g, oweds[_i].n, oweds[_i].lost_total, &owed), 0);
	ck_assert_msg(owed == oweds[_i].owed, "%s: owed %lld, want %lld", oweds[_i].what,
	    (long long)owed, (long long)oweds[_i].owed);
	ck_assert_int_eq(report_compensation(oweds[_i].g, oweds[_i].n,
	    &in.compensation_total), 0);
	ck_assert_int_eq(report_figures(&in, W_END + 400 * D, &f), 0);
	ck_assert_msg(f.owed == owed, "%s: the report's owed %lld", oweds[_i].what,
	    (long long)f.owed);
}
END_TEST

/*
 * What make-ups delivered before at, and when they reach a target, against
 * a second-by-second count over small random grants (some not make-ups).
 */
START_TEST(compensation_by_instant)
{
	unsigned seed = (unsigned)time(NULL);
	struct report_grant g[6];

	srandom(seed);
	for (int trial = 0; trial < 2000; trial++) {
		size_t n = (size_t)(random() % 6);
		int64_t at = random() % 120 - 10, want = 0, got = -1, target, when = -1, first = -1;
		int rc;

		for (size_t i = 0; i < n; i++) {
			g[i].start = random() % 100;
			g[i].end = g[i].start + random() % 20;
			g[i].units_milli = 1 + random() % 3000;
			g[i].compensation = random() % 4 != 0;
		}
		for (size_t i = 0; i < n; i++)
			for (int64_t t = g[i].start; g[i].compensation && t < g[i].end; t++)
				want += t < at ? g[i].units_milli : 0;
		ck_assert_int_eq(report_compensation_before(g, n, at, &got), 0);
		ck_assert_msg(got == want, "seed %u trial %d: before %lld: %lld, want %lld", seed,
		    trial, (long long)at, (long long)got, (long long)want);
		/* A target up to a little over everything the make-ups give. */
		ck_assert_int_eq(report_compensation_before(g, n, 200, &want), 0);
		target = 1 + random() % (want + 2000);
		for (int64_t t = -10; t <= 200 && first < 0; t++) {
			ck_assert_int_eq(report_compensation_before(g, n, t, &got), 0);
			if (got >= target)
				first = t;
		}
		rc = report_compensation_reaches(g, n, target, &when);
		ck_assert_msg(first < 0 ? rc == GD_ENOENT : rc == 0 && when == first,
		    "seed %u trial %d: target %lld reached at %lld (rc %d), want %lld", seed,
		    trial, (long long)target, (long long)when, rc, (long long)first);
	}
}
END_TEST

START_TEST(owed_overflow)
{
	const struct report_grant g[] = {
		{ 0, INT64_C(1) << 40, INT64_C(1) << 30, true },
		{ 0, 1, INT64_MAX, true },
		{ 0, 1, 1, true },
	};
	int64_t owed = 7;

	ck_assert_int_eq(report_owed(g, 1, 0, &owed), GD_ERANGE);
	ck_assert_int_eq(report_owed(g + 1, 2, 0, &owed), GD_ERANGE);
	ck_assert_int_eq(owed, 7);
	ck_assert_int_eq(report_owed(g + 1, 1, INT64_MAX, &owed), 0);
	ck_assert_int_eq(owed, 0);
	ck_assert_int_eq(report_owed(NULL, 0, 5, &owed), 0);
	ck_assert_int_eq(owed, 5);
}
END_TEST

/* Equal resource: where granted units differ from the package within a window. */
static const struct {
	const char *what;
	struct report_grant g[4];
	size_t ng;
	int64_t from, to;
	size_t nb;
	struct report_break want[3];
} breaks[] = {
	{ "one pool for the whole window", { { T0, T0 + 181 * D, U, false } }, 1,
	  T0, T0 + 181 * D, 0, { { 0, 0, 0 } } },
	{ "512 B200 + 512 H100 is the package", { { T0, T0 + 181 * D, 512000, false },
	  { T0, T0 + 181 * D, 256000, false } }, 2, T0, T0 + 181 * D, 0, { { 0, 0, 0 } } },
	{ "moved between pools at midday, no gap", { { T0, T0 + 90 * D, U, false },
	  { T0 + 90 * D, T0 + 181 * D, U, false } }, 2, T0, T0 + 181 * D, 0, { { 0, 0, 0 } } },
	{ "starts a day late", { { T0 + D, T0 + 181 * D, U, false } }, 1, T0, T0 + 181 * D, 1,
	  { { T0, T0 + D, 0 } } },
	{ "released early", { { T0, T0 + 100 * D, U, false } }, 1, T0, T0 + 181 * D, 1,
	  { { T0 + 100 * D, T0 + 181 * D, 0 } } },
	{ "an overridden extra grant for ten days",
	  { { T0, T0 + 181 * D, U, false }, { T0 + 10 * D, T0 + 20 * D, 128000, false } }, 2,
	  T0, T0 + 181 * D, 1, { { T0 + 10 * D, T0 + 20 * D, U + 128000 } } },
	{ "a short split with a gap, then too much",
	  { { T0, T0 + 5 * D, 512000, false }, { T0 + 5 * D, T0 + 6 * D, U, false },
	    { T0 + 6 * D, T0 + 181 * D, U, false }, { T0 + 6 * D, T0 + 7 * D, 1000, false } },
	  4, T0, T0 + 181 * D, 2, { { T0, T0 + 5 * D, 512000 }, { T0 + 6 * D, T0 + 7 * D,
	  U + 1000 } } },
	{ "make-up after the window is outside it",
	  { { T0, T0 + 181 * D, U, false }, { T0 + 181 * D, T0 + 183 * D, U, true } }, 2,
	  T0, T0 + 181 * D, 0, { { 0, 0, 0 } } },
	{ "eliminated: checked up to ended_at", { { T0, T0 + 90 * D, U, false } }, 1,
	  T0, T0 + 90 * D, 0, { { 0, 0, 0 } } },
	{ "no grants at all", { { 0, 0, 0, false } }, 0, T0, T0 + D, 1, { { T0, T0 + D, 0 } } },
	{ "empty window", { { T0, T0 + D, U, false } }, 1, T0, T0, 0, { { 0, 0, 0 } } },
};

START_TEST(breaks_table)
{
	struct report_break *b = NULL;
	size_t n = 0;

	ck_assert_int_eq(report_resource_breaks(breaks[_i].g, breaks[_i].ng, breaks[_i].from,
	    breaks[_i].to, U, &b, &n), 0);
	ck_assert_msg(n == breaks[_i].nb, "%s: %zu breaks", breaks[_i].what, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(b[k].from == breaks[_i].want[k].from && b[k].to ==
		    breaks[_i].want[k].to && b[k].units_milli == breaks[_i].want[k].units_milli,
		    "%s: break %zu is [%lld, %lld) %lld", breaks[_i].what, k,
		    (long long)b[k].from, (long long)b[k].to, (long long)b[k].units_milli);
	free(b);
}
END_TEST


/*
 * A period of spans (a window, then days after it), against a second-by-
 * second count over small random spans and grants: the merged spans hold
 * the same seconds, in order, apart; elapsed counts the seconds before at;
 * a prefix is the first len seconds in time order; the breaks are the
 * seconds of the period where the grants do not sum to the package.
 */
#define PT_LO (-10)
#define PT_HI 160

/* Units granted at second t. */
static int64_t
units_at(const struct report_grant *g, size_t n, int64_t t)
{
	int64_t u = 0;

	for (size_t i = 0; i < n; i++)
		u += g[i].start <= t && t < g[i].end ? g[i].units_milli : 0;
	return u;
}

static bool
in_spans(const struct report_span *sp, size_t n, int64_t t)
{
	for (size_t i = 0; i < n; i++)
		if (sp[i].from <= t && t < sp[i].to)
			return true;
	return false;
}

START_TEST(period_by_second)
{
	unsigned seed = (unsigned)time(NULL);
	struct report_span raw[5], sp[5], pre[5];
	struct report_grant g[5];
	struct report_break *b;
	size_t n, m, np, ng, nb;

	srandom(seed);
	for (int trial = 0; trial < 3000; trial++) {
		int64_t at = PT_LO + random() % (PT_HI - PT_LO), len, want = 0, taken = 0;

		n = (size_t)(random() % 5);
		for (size_t i = 0; i < n; i++) {
			raw[i].from = random() % 140;
			raw[i].to = raw[i].from + random() % 25 - 3;
			sp[i] = raw[i];
		}
		m = n;
		report_period_merge(sp, &m);
		for (size_t i = 0; i < m; i++)
			ck_assert_msg(sp[i].from < sp[i].to && (i == 0 || sp[i - 1].to < sp[i].from),
			    "seed %u trial %d: merged span %zu [%lld, %lld) out of order", seed,
			    trial, i, (long long)sp[i].from, (long long)sp[i].to);
		for (int64_t t = PT_LO; t < PT_HI; t++) {
			bool was = false;

			for (size_t i = 0; i < n; i++)
				was |= raw[i].from <= t && t < raw[i].to;
			ck_assert_msg(in_spans(sp, m, t) == was, "seed %u trial %d: second %lld",
			    seed, trial, (long long)t);
			want += was && t < at;
		}
		ck_assert_msg(report_period_elapsed(sp, m, at) == want, "seed %u trial %d: "
		    "elapsed before %lld: %lld, want %lld", seed, trial, (long long)at,
		    (long long)report_period_elapsed(sp, m, at), (long long)want);

		/* The prefix: the first len seconds of the union, walked in time order. */
		len = random() % 120;
		np = report_period_prefix(sp, m, len, pre);
		ck_assert_msg(np <= m, "seed %u trial %d: %zu pieces of %zu spans", seed, trial,
		    np, m);
		for (size_t i = 0; i < np; i++)
			ck_assert_msg(pre[i].from == sp[i].from && pre[i].to > pre[i].from &&
			    pre[i].to <= sp[i].to, "seed %u trial %d: piece %zu", seed, trial, i);
		for (int64_t t = PT_LO; t < PT_HI; t++) {
			bool want_in = in_spans(sp, m, t) && taken < len;

			taken += in_spans(sp, m, t);
			ck_assert_msg(in_spans(pre, np, t) == want_in, "seed %u trial %d: prefix of "
			    "%lld s, second %lld", seed, trial, (long long)len, (long long)t);
		}

		/* The breaks: every second of the period where the units are not the package. */
		ng = (size_t)(random() % 5);
		for (size_t i = 0; i < ng; i++) {
			g[i].start = random() % 150 - 5;
			g[i].end = g[i].start + random() % 40;
			g[i].units_milli = random() % 2 ? 1000 : 500;
			g[i].compensation = false;
		}
		ck_assert_int_eq(report_period_breaks(g, ng, sp, m, 1000, &b, &nb), 0);
		for (size_t i = 0; i < nb; i++)
			ck_assert_msg(b[i].from < b[i].to && (i == 0 || b[i - 1].to <= b[i].from),
			    "seed %u trial %d: break %zu out of order", seed, trial, i);
		for (int64_t t = PT_LO; t < PT_HI; t++) {
			int64_t u = units_at(g, ng, t), got = -1;

			for (size_t i = 0; i < nb; i++)
				if (b[i].from <= t && t < b[i].to)
					got = b[i].units_milli;
			if (in_spans(sp, m, t) && u != 1000)
				ck_assert_msg(got == u, "seed %u trial %d: second %lld has %lld units, "
				    "break says %lld", seed, trial, (long long)t, (long long)u,
				    (long long)got);
			else
				ck_assert_msg(got == -1, "seed %u trial %d: second %lld in a break",
				    seed, trial, (long long)t);
		}
		free(b);
	}
}
END_TEST

START_TEST(jain_bounds)
{
	const double one[] = { 3.0 }, two[] = { 1.0, 3.0 };

	ck_assert(report_jain(NULL, 0) == 1.0);
	ck_assert(report_jain(one, 1) == 1.0);
	ck_assert(report_jain(two, 2) == 16.0 / 20.0);
	ck_assert(report_max_deviation_pct(two, 2) == 50.0);
	ck_assert(report_max_deviation_pct(NULL, 0) == 0.0);
}
END_TEST

START_TEST(canonical_digest)
{
	json_t *r = json_pack("{s:s, s:s, s:s, s:f, s:f, s:I, s:[{s:s, s:f}], s:s}",
	    "phase", "stage-2", "generated_at", "2026-03-01T00:00:00Z", "digest", "sha256:old",
	    "jain", 0.999978, "hours", 92160.0, "krw", (json_int_t)10000000000,
	    "teams", "team", "motif", "lost", 24576.125, "note", "\xed\x95\x9c/\"");
	const char *want = "{\"hours\":92160.0,\"jain\":0.999978,\"krw\":10000000000,"
	    "\"note\":\"\\uD55C/\\\"\",\"phase\":\"stage-2\",\"teams\":[{\"lost\":24576.125,"
	    "\"team\":\"motif\"}]}";
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65], digest[REPORT_DIGEST_LEN], *s;

	ck_assert_ptr_nonnull(r);
	s = report_canonical(r);
	ck_assert_str_eq(s, want);
	free(s);
	/* The members left out do not change it, and the input is untouched. */
	ck_assert_ptr_nonnull(json_object_get(r, "generated_at"));
	ck_assert_int_eq(report_digest(r, digest), 0);
	crypto_hash_sha256(h, (const unsigned char *)want, strlen(want));
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	ck_assert(strncmp(digest, "sha256:", 7) == 0);
	ck_assert_str_eq(digest + 7, hex);
	json_object_set_new(r, "generated_at", json_string("2027-01-01T00:00:00Z"));
	json_object_set_new(r, "digest", json_string(digest));
	ck_assert_int_eq(report_digest(r, digest), 0);
	ck_assert_str_eq(digest + 7, hex);
	/* Any figure changes it. */
	json_object_set_new(r, "jain", json_real(0.999977));
	ck_assert_int_eq(report_digest(r, digest), 0);
	ck_assert_str_ne(digest + 7, hex);
	json_decref(r);
}
END_TEST

START_TEST(csv_quoting)
{
	static const struct {
		const char *in, *out;
	} f[] = {
		{ "motif", "motif" },
		{ "a,b", "\"a,b\"" },
		{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "two\r\nlines", "\"two\r\nlines\"" },
		{ "", "" },
	};
	struct report_buf b = { NULL, 0, 0 };

	for (size_t i = 0; i < NELEMS(f); i++) {
		b.len = 0;
		ck_assert_int_eq(report_csv_field(&b, f[i].in), 0);
		ck_assert_str_eq(b.len ? b.p : "", f[i].out);
	}
	free(b.p);
}
END_TEST

START_TEST(csv_report)
{
	json_t *r = json_pack("{s:s, s:s, s:[{s:s, s:s, s:{s:s, s:s, s:i}, s:i, s:f, s:f, s:f, "
	    "s:f, s:f, s:f, s:f, s:f, s:{s:b, s:s}, s:b, s:I, s:I, s:[{s:s}], s:i, s:i, s:i, s:s, "
	    "s:s, s:f, s:b, s:b, s:[{s:s}, {s:s}]}]}",
	    "phase", "stage-2", "timezone", "Asia/Seoul", "teams", "team", "motif", "state",
	    "active", "window",
	    "start", "2026-02-01T15:00:00Z", "end", "2026-08-01T15:00:00Z", "days", 181,
	    "units", 768, "entitled_unit_hours", 18432.0, "granted_unit_hours", 18432.0,
	    "lost_unit_hours", 1024.5, "delivered_unit_hours", 17407.5, "owed_unit_hours", 1024.5,
	    "used_unit_hours", 0.0, "beyond_service_unit_hours", 1.5, "utilization", 0.25,
	    "idle", "flagged", 1, "since", "2026-03-04T01:30:00Z",
	    "equal_resource", 0, "voucher_budget_krw", (json_int_t)10000000000,
	    "voucher_settled_krw", (json_int_t)0, "overrides", "rule", "equal_resource",
	    "days", 183, "extra_days", 2, "reached_days", 60, "enrolled_on", "2026-02-01",
	    "evaluation_on", "2026-07-17", "projected_unit_hours", 18944.0, "equal_period", 1,
	    "equal_delivery", 0, "breaks", "rule", "equal_resource", "rule", "equal_delivery");
	const char *want =
	    "team,state,window_start,window_start_local,window_end,window_end_local,window_days,"
	    "days,extra_days,reached_days,enrolled_on,evaluation_on,"
	    "ended_at,ended_at_local,units,entitled_unit_hours,"
	    "granted_unit_hours,lost_unit_hours,delivered_unit_hours,owed_unit_hours,"
	    "projected_unit_hours,"
	    "used_unit_hours,flagged_unit_hours,beyond_service_unit_hours,utilization,idle,idle_since,"
	    "idle_since_local,equal_period,"
	    "equal_resource,equal_delivery,breaks,voucher_budget_krw,voucher_settled_krw,"
	    "overrides,measured_gpu_seconds,measured_busy_gpu_seconds,"
	    "measured_util_weighted_gpu_seconds,measured_energy_j\r\n"
	    "motif,active,2026-02-01T15:00:00Z,2026-02-02T00:00:00+09:00,2026-08-01T15:00:00Z,"
	    "2026-08-02T00:00:00+09:00,181,183,2,60,2026-02-01,2026-07-17,,,768,18432,18432,1024.5,"
	    "17407.5,1024.5,18944,0,,1.5,0.25,true,2026-03-04T01:30:00Z,2026-03-04T10:30:00+09:00,"
	    "true,false,false,equal_resource;equal_delivery,10000000000,0,equal_resource,,,,\r\n";
	char *csv = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(report_csv(r, &csv, &len), 0);
	ck_assert_str_eq(csv, want);
	ck_assert_uint_eq(len, strlen(want));
	free(csv);
	json_decref(r);
	r = json_pack("{s:s}", "phase", "x");
	ck_assert_int_eq(report_csv(r, &csv, &len), GD_EINVAL);
	json_decref(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	if (sodium_init() < 0)
		return EXIT_FAILURE;
	tcase_add_test(tc, hour_floor);
	tcase_add_loop_test(tc, split_table, 0, (int)NELEMS(splits));
	tcase_add_test(tc, split_random);
	tcase_add_loop_test(tc, figures_table, 0, (int)NELEMS(figures));
	tcase_add_test(tc, figures_overflow);
	tcase_add_test(tc, granted_sum);
	tcase_add_loop_test(tc, owed_table, 0, (int)NELEMS(oweds));
	tcase_add_test(tc, owed_overflow);
	tcase_add_test(tc, compensation_by_instant);
	tcase_add_loop_test(tc, breaks_table, 0, (int)NELEMS(breaks));
	tcase_add_test(tc, period_by_second);
	tcase_add_test(tc, jain_bounds);
	tcase_add_test(tc, canonical_digest);
	tcase_add_test(tc, csv_quoting);
	tcase_add_test(tc, csv_report);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
