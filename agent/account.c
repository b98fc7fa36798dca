/* account.c: NVML readings into busy, util-weighted and energy usage per reported period. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define US	1000000LL

static int
sample_cmp(const void *a, const void *b)
{
	const struct util_sample *x = a, *y = b;

	return (x->ts_us > y->ts_us) - (x->ts_us < y->ts_us);
}

/* NVML returns its buffer oldest first, but nothing in nvml.h promises it. */
void
acct_sort_samples(struct util_sample *s, size_t n)
{
	if (n > 1)
		qsort(s, n, sizeof(*s), sample_cmp);
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

void
acct_samples(const struct util_sample *s, size_t n, int64_t prev_ts, int64_t lo_us,
    int64_t hi_us, int64_t *busy_us, int64_t *util_us)
{
	int64_t prev = prev_ts, busy = 0, util = 0;

	for (size_t i = 0; i < n; i++) {
		int64_t a, b;
		unsigned v = s[i].util > 100 ? 100 : s[i].util;

		if (s[i].ts_us <= prev)
			continue;
		a = max64(prev, lo_us);
		b = min64(s[i].ts_us, hi_us);
		prev = s[i].ts_us;
		if (b <= a)
			continue;
		if (v > 0)
			busy += b - a;
		util += (b - a) * (int64_t)v / 100;
	}
	*busy_us = busy;
	*util_us = util;
}

uint64_t
acct_energy_delta(uint64_t prev, uint64_t cur, bool *backwards)
{
	*backwards = cur < prev;
	return cur < prev ? cur : cur - prev;
}

int
acct_batch_id(const char *node, int64_t from, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s-%lld", node, (long long)from);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* The multiple of period at or before t (t may be negative in a test, never in life). */
static int64_t
align(int64_t t, int64_t period)
{
	int64_t r = t % period;

	return r < 0 ? t - r - period : t - r;
}

void
acct_init(struct acct *a, int64_t period, int64_t now)
{
	assert(period > 0);
	memset(a, 0, sizeof(*a));
	a->period = period;
	a->start = align(now, period);
}

int64_t
acct_open_start(const struct acct *a)
{
	return a->start;
}

static void
window_span(struct acct_window *w, int64_t from, int64_t to)
{
	if (w->from == w->to) {
		w->from = from;
		w->to = to;
		return;
	}
	w->from = min64(w->from, from);
	w->to = max64(w->to, to);
}

/*
 * A span that crosses a period's end is split there: GPU time and the
 * samples exactly (each sample has its time), energy in proportion to
 * time (NVML's counter is read only at the span's ends).  Sample time
 * before the span's first window (the part of a sample period that ended
 * after the last reading of the closed period) counts in that first
 * window, where it was seen, rather than being lost.
 */
int
acct_add(struct acct *a, const struct acct_span *g)
{
	int64_t len = g->now - g->since, e_left, t_left;
	int first = -1;

	if (len <= 0)
		return 0;
	if (g->since < a->start || g->now > a->start + ACCT_MAXWIN * a->period)
		return -1;
	e_left = g->have_energy ? (int64_t)g->energy_mj : 0;
	t_left = len;
	for (int k = 0; k < ACCT_MAXWIN; k++) {
		struct acct_window *w = &a->w[k];
		int64_t ws = a->start + k * a->period, we = ws + a->period;
		int64_t from = max64(g->since, ws), to = min64(g->now, we), piece, lo, hi;
		int64_t busy, util;

		if (to <= from)
			continue;
		piece = to - from;
		if (first < 0)
			first = k;
		window_span(w, from, to);
		w->gpu_us += piece * US;
		lo = first == k ? g->floor_us : max64(g->floor_us, ws * US);
		hi = to == g->now ? g->now * US : we * US;
		if (g->have_samples) {
			acct_samples(g->s, g->n, g->prev_ts, lo, hi, &busy, &util);
		} else {
			unsigned u = g->util_snapshot > 100 ? 100 : g->util_snapshot;

			busy = u > 0 ? piece * US : 0;
			util = piece * US * (int64_t)u / 100;
		}
		w->busy_us += busy;
		w->util_us += util;
		if (!g->have_energy) {
			w->energy_missing = true;
		} else {
			/* The last piece takes what is left, so the pieces add up. */
			int64_t e = t_left == piece ? e_left : (int64_t)((__int128)e_left * piece /
			    t_left);

			w->energy_mj += e;
			e_left -= e;
		}
		t_left -= piece;
	}
	return 0;
}

/* Whole units of a window, with the carries; bounded as grantd bounds them. */
static void
finish(struct acct *a, const struct acct_window *w, struct acct_sample *o)
{
	int64_t v;

	memset(o, 0, sizeof(*o));
	o->from = w->from;
	o->to = w->to;
	o->gpu_seconds = w->gpu_us / US;
	v = w->busy_us + a->busy_carry;
	o->busy_gpu_seconds = v / US;
	a->busy_carry = v % US;
	if (o->busy_gpu_seconds >= o->gpu_seconds) {
		o->busy_gpu_seconds = o->gpu_seconds;
		a->busy_carry = 0;
	}
	v = w->util_us + a->util_carry;
	o->util_weighted_gpu_seconds = v / US;
	a->util_carry = v % US;
	if (o->util_weighted_gpu_seconds >= o->gpu_seconds) {
		o->util_weighted_gpu_seconds = o->gpu_seconds;
		a->util_carry = 0;
	}
	o->has_energy = !w->energy_missing;
	if (o->has_energy) {
		v = w->energy_mj + a->energy_carry;
		o->energy_j = v / 1000;
		a->energy_carry = v % 1000;
		if (o->energy_j > o->gpu_seconds * ACCT_MAX_WATTS) {
			o->energy_j = o->gpu_seconds * ACCT_MAX_WATTS;
			a->energy_carry = 0;
		}
	}
}

size_t
acct_close(struct acct *a, int64_t now, struct acct_sample *out, size_t max)
{
	size_t n = 0;

	for (int k = 0; k < ACCT_MAXWIN && a->start + a->period <= now; k++) {
		if (a->w[0].to > a->w[0].from && n < max)
			finish(a, &a->w[0], &out[n++]);
		memmove(&a->w[0], &a->w[1], sizeof(a->w[0]) * (ACCT_MAXWIN - 1));
		memset(&a->w[ACCT_MAXWIN - 1], 0, sizeof(a->w[0]));
		a->start += a->period;
	}
	/* Past the windows every period is empty: no need to walk a long jump. */
	if (a->start + a->period <= now)
		a->start = align(now, a->period);
	return n;
}

bool
acct_flush(struct acct *a, struct acct_sample *out)
{
	if (a->w[0].to <= a->w[0].from)
		return false;
	finish(a, &a->w[0], out);
	memset(&a->w[0], 0, sizeof(a->w[0]));
	return true;
}
