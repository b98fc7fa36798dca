/* test_account.c: the agent's arithmetic: busy and util-weighted time, energy, periods, backoff. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "brute.h"

#define US	1000000LL
#define T0	INT64_C(1772409600)	/* 2026-03-02T00:00:00Z, a multiple of 60 */

/* ---- acct_samples ---- */

static const struct {
	const char *what;
	struct util_sample s[6];
	size_t n;
	int64_t prev, lo, hi;
	int64_t busy, util;
} sample_cases[] = {
	{ .what = "no samples: nothing", .n = 0, .prev = 0, .lo = 0, .hi = 100 * US },
	{ .what = "one busy sample stands for the time since prev",
	  .s = { { 10 * US, 100 } }, .n = 1, .prev = 0, .lo = 0, .hi = 100 * US,
	  .busy = 10 * US, .util = 10 * US },
	{ .what = "a sleeping process reads 0 %: not busy",
	  .s = { { 1 * US, 0 }, { 2 * US, 0 }, { 3 * US, 0 } }, .n = 3, .prev = 0, .lo = 0,
	  .hi = 10 * US },
	{ .what = "busy is any kernel, util-weighted the share",
	  .s = { { 1 * US, 0 }, { 2 * US, 100 }, { 3 * US, 50 }, { 4 * US, 0 } }, .n = 4,
	  .prev = 0, .lo = 0, .hi = 10 * US, .busy = 2 * US, .util = 3 * US / 2 },
	{ .what = "clipped below at lo",
	  .s = { { 4 * US, 100 } }, .n = 1, .prev = 0, .lo = 3 * US, .hi = 10 * US,
	  .busy = 1 * US, .util = 1 * US },
	{ .what = "clipped above at hi",
	  .s = { { 4 * US, 100 }, { 8 * US, 100 } }, .n = 2, .prev = 2 * US, .lo = 0,
	  .hi = 6 * US, .busy = 4 * US, .util = 4 * US },
	{ .what = "samples seen before (at or before prev) are not counted twice",
	  .s = { { 1 * US, 100 }, { 2 * US, 100 }, { 3 * US, 100 } }, .n = 3, .prev = 2 * US,
	  .lo = 0, .hi = 10 * US, .busy = 1 * US, .util = 1 * US },
	{ .what = "a reading above 100 % counts as 100 %",
	  .s = { { 2 * US, 250 } }, .n = 1, .prev = 1 * US, .lo = 0, .hi = 10 * US,
	  .busy = 1 * US, .util = 1 * US },
	{ .what = "a repeated timestamp counts once",
	  .s = { { 2 * US, 100 }, { 2 * US, 100 }, { 3 * US, 0 } }, .n = 3, .prev = 1 * US,
	  .lo = 0, .hi = 10 * US, .busy = 1 * US, .util = 1 * US },
};

START_TEST(samples_table)
{
	int64_t busy, util;

	acct_samples(sample_cases[_i].s, sample_cases[_i].n, sample_cases[_i].prev,
	    sample_cases[_i].lo, sample_cases[_i].hi, &busy, &util);
	ck_assert_msg(busy == sample_cases[_i].busy && util == sample_cases[_i].util,
	    "%s: busy %lld util %lld, want %lld %lld", sample_cases[_i].what, (long long)busy,
	    (long long)util, (long long)sample_cases[_i].busy, (long long)sample_cases[_i].util);
}
END_TEST

/* Against a microsecond-by-microsecond walk over a short stretch. */
START_TEST(samples_random)
{
	uint64_t seed = brute_seed() + 1, st = seed;
	struct util_sample s[20];
	static unsigned val[20001];

	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)brute_range(&st, 0, 20);
		int64_t prev = brute_range(&st, 0, 2000), lo = brute_range(&st, 0, 20000);
		int64_t hi = brute_range(&st, lo, 20000), busy, util, b = 0, u100 = 0, t;

		for (size_t i = 0; i < n; i++) {
			s[i].ts_us = brute_range(&st, 0, 20000);
			s[i].util = (unsigned)brute_range(&st, 0, 3) * 40;
		}
		acct_sort_samples(s, n);
		/* The reference: each microsecond t in (prev, last] takes the first sample at or after it. */
		for (t = 0; t <= 20000; t++)
			val[t] = 1000;		/* no sample stands for t */
		for (t = prev + 1; t <= 20000; t++) {
			for (size_t i = 0; i < n; i++) {
				if (s[i].ts_us >= t && s[i].ts_us > prev) {
					val[t] = s[i].util > 100 ? 100 : s[i].util;
					break;
				}
			}
		}
		for (t = lo + 1; t <= hi; t++) {
			if (val[t] == 1000)
				continue;
			b += val[t] > 0;
			u100 += val[t];
		}
		acct_samples(s, n, prev, lo, hi, &busy, &util);
		BRUTE_CHECK(busy == b, "seed %llu round %d: busy %lld, the walk says %lld",
		    (unsigned long long)seed, round, (long long)busy, (long long)b);
		/* Each sample rounds its own share down: off by less than one per sample. */
		BRUTE_CHECK(util <= u100 / 100 && util >= u100 / 100 - (int64_t)n,
		    "seed %llu round %d: util %lld, the walk says %lld/100",
		    (unsigned long long)seed, round, (long long)util, (long long)u100);
	}
}
END_TEST

/* ---- energy and batch ids ---- */

START_TEST(energy_deltas)
{
	bool back;

	ck_assert_uint_eq(acct_energy_delta(1000, 4500, &back), 3500);
	ck_assert(!back);
	ck_assert_uint_eq(acct_energy_delta(4500, 4500, &back), 0);
	ck_assert(!back);
	/* A reset: counted from the new value, and said. */
	ck_assert_uint_eq(acct_energy_delta(900000, 1200, &back), 1200);
	ck_assert(back);
	/* A wrap of the 64-bit counter: the same rule. */
	ck_assert_uint_eq(acct_energy_delta(UINT64_MAX - 5, 10, &back), 10);
	ck_assert(back);
}
END_TEST

START_TEST(batch_ids)
{
	char id[80], small[10];

	ck_assert_int_eq(acct_batch_id("gpu-01.site", T0, id, sizeof(id)), 0);
	ck_assert_str_eq(id, "gpu-01.site-1772409600");
	ck_assert_int_eq(acct_batch_id("gpu-01", T0, small, sizeof(small)), -1);
}
END_TEST

/* ---- periods ---- */

/* One GPU at util% for [since, now), a sample a second, power watts. */
static void
add_steady(struct acct *a, int64_t since, int64_t now, unsigned util, unsigned watts,
    int64_t floor)
{
	struct util_sample s[200];
	struct acct_span sp = { .since = since, .now = now, .floor_us = floor * US,
		.prev_ts = since * US, .s = s, .have_samples = true, .have_energy = true,
		.energy_mj = (uint64_t)watts * 1000 * (uint64_t)(now - since) };

	for (int64_t t = since + 1; t <= now; t++)
		s[sp.n++] = (struct util_sample){ t * US, util };
	ck_assert_int_eq(acct_add(a, &sp), 0);
}

START_TEST(period_of_two_gpus)
{
	struct acct a;
	struct acct_sample out[ACCT_MAXWIN];

	acct_init(&a, 60, T0);
	for (int64_t t = T0; t < T0 + 60; t += 10) {
		add_steady(&a, t, t + 10, 100, 500, T0);
		add_steady(&a, t, t + 10, 25, 200, T0);
	}
	ck_assert_uint_eq(acct_close(&a, T0 + 59, out, ACCT_MAXWIN), 0);
	ck_assert_uint_eq(acct_close(&a, T0 + 60, out, ACCT_MAXWIN), 1);
	ck_assert_int_eq(out[0].from, T0);
	ck_assert_int_eq(out[0].to, T0 + 60);
	ck_assert_int_eq(out[0].gpu_seconds, 120);
	ck_assert_int_eq(out[0].busy_gpu_seconds, 120);
	ck_assert_int_eq(out[0].util_weighted_gpu_seconds, 60 + 15);
	ck_assert(out[0].has_energy);
	ck_assert_int_eq(out[0].energy_j, 60 * 700);
	ck_assert_int_eq(acct_open_start(&a), T0 + 60);
}
END_TEST

START_TEST(span_split_at_period_end)
{
	struct acct a;
	struct acct_sample out[ACCT_MAXWIN];

	acct_init(&a, 60, T0);
	add_steady(&a, T0 + 50, T0 + 70, 100, 100, T0 + 50);
	ck_assert_uint_eq(acct_close(&a, T0 + 70, out, ACCT_MAXWIN), 1);
	ck_assert_int_eq(out[0].from, T0 + 50);
	ck_assert_int_eq(out[0].to, T0 + 60);
	ck_assert_int_eq(out[0].gpu_seconds, 10);
	ck_assert_int_eq(out[0].busy_gpu_seconds, 10);
	ck_assert_int_eq(out[0].energy_j, 1000);
	ck_assert_int_eq(acct_flush(&a, &out[1]), true);
	ck_assert_int_eq(out[1].from, T0 + 60);
	ck_assert_int_eq(out[1].to, T0 + 70);
	ck_assert_int_eq(out[1].busy_gpu_seconds, 10);
	ck_assert_int_eq(out[1].energy_j, 1000);
	ck_assert_int_eq(acct_flush(&a, &out[1]), false);
}
END_TEST

START_TEST(carries_and_bounds)
{
	struct acct a;
	struct acct_sample out[ACCT_MAXWIN];
	struct util_sample s[2] = { { 0, 100 }, { 0, 100 } };
	struct acct_span sp;
	int64_t busy = 0;

	/* 0.4 s busy in each of three periods: 0, 0, then the 1.2 s carried make 1. */
	acct_init(&a, 60, T0);
	for (int k = 0; k < 3; k++) {
		int64_t p = T0 + 60 * k;

		s[0].ts_us = (p + 30) * US;
		memset(&sp, 0, sizeof(sp));
		sp.since = p;
		sp.now = p + 60;
		sp.floor_us = p * US;
		sp.prev_ts = (p + 30) * US - 400000;
		sp.s = s;
		sp.n = 1;
		sp.have_samples = true;
		ck_assert_int_eq(acct_add(&a, &sp), 0);
		ck_assert_uint_eq(acct_close(&a, p + 60, out, ACCT_MAXWIN), 1);
		ck_assert(!out[0].has_energy);
		busy += out[0].busy_gpu_seconds;
		ck_assert_int_eq(out[0].busy_gpu_seconds, k == 2 ? 1 : 0);
	}
	ck_assert_int_eq(busy, 1);
	/* Energy above 5 kW per GPU-second is cut to grantd's bound. */
	acct_init(&a, 60, T0);
	add_steady(&a, T0, T0 + 60, 100, 9000, T0);
	ck_assert_uint_eq(acct_close(&a, T0 + 60, out, ACCT_MAXWIN), 1);
	ck_assert_int_eq(out[0].energy_j, 60 * 5000);
	/* Outside the windows: refused. */
	memset(&sp, 0, sizeof(sp));
	sp.since = T0 - 10;
	sp.now = T0 + 70;
	ck_assert_int_eq(acct_add(&a, &sp), -1);
}
END_TEST

START_TEST(snapshot_fallback_and_long_jump)
{
	struct acct a;
	struct acct_sample out[ACCT_MAXWIN];
	struct acct_span sp = { .since = T0, .now = T0 + 60, .floor_us = T0 * US,
		.have_samples = false, .util_snapshot = 40 };

	acct_init(&a, 60, T0);
	ck_assert_int_eq(acct_add(&a, &sp), 0);
	ck_assert_uint_eq(acct_close(&a, T0 + 60, out, ACCT_MAXWIN), 1);
	ck_assert_int_eq(out[0].busy_gpu_seconds, 60);
	ck_assert_int_eq(out[0].util_weighted_gpu_seconds, 24);
	/* A year later: nothing to close, the open period is today's. */
	ck_assert_uint_eq(acct_close(&a, T0 + 365 * 86400 + 5, out, ACCT_MAXWIN), 0);
	ck_assert_int_eq(acct_open_start(&a), T0 + 365 * 86400);
}
END_TEST

/*
 * Random readings of GPUs with random utilization each second, spans of
 * random length crossing period ends: over all closed periods, GPU-,
 * busy and util-weighted seconds and joules add up to the truth, less what
 * is still carried (under one unit each).
 */
START_TEST(periods_random)
{
	uint64_t seed = brute_seed() + 2, st = seed;
	struct acct_sample out[ACCT_MAXWIN];
	static struct util_sample s[400];

	for (int round = 0; round < 50; round++) {
		int64_t period = 60 * brute_range(&st, 1, 3), t = T0, end;
		int64_t want_gpu = 0, want_busy = 0, want_util = 0, want_e = 0;
		int64_t got_gpu = 0, got_busy = 0, got_util = 0, got_e = 0;
		struct acct a;

		acct_init(&a, period, t);
		end = T0 + 3600;
		while (t < end) {
			int64_t len = brute_range(&st, 1, period), now = t + len;
			struct acct_span sp = { .since = t, .now = now, .floor_us = T0 * US,
				.prev_ts = t * US, .s = s, .have_samples = true,
				.have_energy = true };

			for (int64_t x = t + 1; x <= now; x++) {
				unsigned u = (unsigned)brute_range(&st, 0, 4) * 25;

				s[sp.n++] = (struct util_sample){ x * US, u };
				want_busy += u > 0;
				want_util += u;
			}
			sp.energy_mj = (uint64_t)brute_range(&st, 0, 700000) * (uint64_t)len;
			want_e += (int64_t)sp.energy_mj;
			want_gpu += len;
			BRUTE_CHECK(acct_add(&a, &sp) == 0, "seed %llu: span refused",
			    (unsigned long long)seed);
			t = now;
			for (size_t k = 0, n = acct_close(&a, t, out, ACCT_MAXWIN); k < n; k++) {
				BRUTE_CHECK(out[k].busy_gpu_seconds <= out[k].gpu_seconds &&
				    out[k].util_weighted_gpu_seconds <= out[k].gpu_seconds,
				    "seed %llu: a period above its GPU-seconds",
				    (unsigned long long)seed);
				got_gpu += out[k].gpu_seconds;
				got_busy += out[k].busy_gpu_seconds;
				got_util += out[k].util_weighted_gpu_seconds;
				got_e += out[k].energy_j;
			}
		}
		if (acct_flush(&a, &out[0])) {
			got_gpu += out[0].gpu_seconds;
			got_busy += out[0].busy_gpu_seconds;
			got_util += out[0].util_weighted_gpu_seconds;
			got_e += out[0].energy_j;
		}
		BRUTE_CHECK(got_gpu == want_gpu && got_busy == want_busy &&
		    got_util == want_util / 100 && got_e == want_e / 1000,
		    "seed %llu round %d: got %lld %lld %lld %lld, want %lld %lld %lld %lld",
		    (unsigned long long)seed, round, (long long)got_gpu, (long long)got_busy,
		    (long long)got_util, (long long)got_e, (long long)want_gpu,
		    (long long)want_busy, (long long)(want_util / 100), (long long)(want_e / 1000));
	}
}
END_TEST

/* ---- what grantd's answer means, and the wait before the next try ---- */

static const struct {
	long status;
	enum post_verdict v;
} verdicts[] = {
	{ 202, POST_OK }, { 200, POST_OK }, { 0, POST_RETRY }, { 429, POST_RETRY },
	{ 500, POST_RETRY }, { 503, POST_RETRY }, { 302, POST_RETRY }, { 400, POST_DEAD },
	{ 401, POST_RETRY }, { 403, POST_DEAD }, { 404, POST_DEAD }, { 409, POST_DEAD },
	{ 413, POST_DEAD }, { 422, POST_DEAD },
};

START_TEST(classify)
{
	ck_assert_msg(post_classify(verdicts[_i].status) == verdicts[_i].v, "HTTP %ld",
	    verdicts[_i].status);
}
END_TEST

START_TEST(backoff_doubles_with_jitter)
{
	uint64_t st = brute_seed() + 3;
	int64_t lo = 500, hi = 1000;

	for (unsigned attempt = 1; attempt <= 12; attempt++) {
		for (int k = 0; k < 200; k++) {
			int64_t w = backoff_ms(attempt, (uint32_t)brute_next(&st), 0);

			BRUTE_CHECK(w >= lo && w <= hi, "attempt %u: %lld ms, want %lld..%lld",
			    attempt, (long long)w, (long long)lo, (long long)hi);
		}
		if (hi < 300000) {
			lo *= 2;
			hi *= 2;
		}
		if (hi > 300000) {
			lo = 150000;
			hi = 300000;
		}
	}
	/* The extremes of the jitter, and Retry-After, honoured up to an hour. */
	ck_assert_int_eq(backoff_ms(1, 0, 0), 500);
	ck_assert_int_eq(backoff_ms(1, 500, 0), 1000);
	ck_assert_int_eq(backoff_ms(1, 0, 30), 30000);
	ck_assert_int_eq(backoff_ms(9, 0, 30), 128000);
	ck_assert_int_eq(backoff_ms(1, 0, 999999), 3600000);
	ck_assert_int_eq(backoff_ms(4000000000u, 0, 0), 150000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent-account");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, samples_table, 0, sizeof(sample_cases) / sizeof(sample_cases[0]));
	tcase_add_test(tc, samples_random);
	tcase_add_test(tc, energy_deltas);
	tcase_add_test(tc, batch_ids);
	tcase_add_test(tc, period_of_two_gpus);
	tcase_add_test(tc, span_split_at_period_end);
	tcase_add_test(tc, carries_and_bounds);
	tcase_add_test(tc, snapshot_fallback_and_long_jump);
	tcase_add_test(tc, periods_random);
	tcase_add_loop_test(tc, classify, 0, sizeof(verdicts) / sizeof(verdicts[0]));
	tcase_add_test(tc, backoff_doubles_with_jitter);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
