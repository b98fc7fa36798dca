/* fuzz_placement.c: libFuzzer target for capacity timelines and placement (lib/timeline.c, lib/placement.c). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "fuzz.h"
#include "placement.h"
#include "timeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The fuzz bytes build 1..4 pools (cards, weight, outages, grants) on a
 * 64-day stretch from 2026-01-01, change their timelines with a few
 * add_grant / remove_grant / add_outage calls, and ask for a package.
 *
 * Every pool keeps a plain list of its items beside its timeline, and a
 * brute force over that list is the oracle:
 *  - timeline: free_min, first_short, next_change, segments and check_add
 *    agree with slack computed at every boundary from the list;
 *  - placement_find: the answer starts at a local midnight >= not_before,
 *    lasts the period, sums to exactly the package, each share fits its
 *    pool (timeline_free_min and timeline_check_add both say so), no
 *    earlier day fits (tried day by day, not only at boundaries), the
 *    split uses the fewest pools, and among those it is the one placement.h
 *    promises (most cards on the roomiest pool first); "no start" is
 *    checked day by day past the last boundary; 0 exactly when start <=
 *    horizon;
 *  - placement_check_split: the code a straightforward reading of its
 *    contract gives, in its order.
 */
#define T0 INT64_C(1767225600)	/* 2026-01-01T00:00:00Z */
#define DAY CIVIL_DAY
#define MAXITEMS 24
#define MAXPOOLS 4

struct mpool {
	const char *id;
	int64_t base, w;
	struct timeline_outage out[MAXITEMS];
	size_t nout;
	struct timeline_grant gr[MAXITEMS];
	size_t ngr;
	struct timeline *tl;
};

static struct mpool pools[MAXPOOLS];
static size_t npools;

/* Somewhere in the 64 days, on a day boundary three times in four. */
static int64_t
pick_instant(struct fuzz_in *in)
{
	int64_t t = T0 + (int64_t)(fuzz_u8(in) % 64) * DAY;
	uint8_t b = fuzz_u8(in);

	if (b % 4 == 0)
		t += (int64_t)(b >> 2) % 24 * 3600;
	return t;
}

static int64_t
pick_length(struct fuzz_in *in)
{
	uint8_t b = fuzz_u8(in);

	return b & 0x80 ? (int64_t)(1 + b % 48) * 3600 : (int64_t)(1 + b % 20) * DAY;
}

/* ---- brute force over the item lists ---------------------------------- */

static int64_t
bf_capacity(const struct mpool *p, int64_t t)
{
	int64_t lost = 0;

	for (size_t i = 0; i < p->nout; i++)
		if (p->out[i].from <= t && t < p->out[i].to)
			lost += p->out[i].cards;
	return p->base - lost > 0 ? p->base - lost : 0;
}

static int64_t
bf_granted(const struct mpool *p, int64_t t)
{
	int64_t g = 0;

	for (size_t i = 0; i < p->ngr; i++)
		if (p->gr[i].from <= t && t < p->gr[i].to)
			g += p->gr[i].cards;
	return g;
}

static int64_t
bf_slack(const struct mpool *p, int64_t t)
{
	return bf_capacity(p, t) - bf_granted(p, t);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Sorted distinct boundaries of the pool's current items, plus extra[]. */
static size_t
bf_points(const struct mpool *p, const int64_t *extra, size_t nextra, int64_t *pt)
{
	size_t n = 0, k = 0;

	for (size_t i = 0; i < p->nout; i++) {
		pt[n++] = p->out[i].from;
		pt[n++] = p->out[i].to;
	}
	for (size_t i = 0; i < p->ngr; i++) {
		pt[n++] = p->gr[i].from;
		pt[n++] = p->gr[i].to;
	}
	for (size_t i = 0; i < nextra; i++)
		pt[n++] = extra[i];
	qsort(pt, n, sizeof(*pt), cmp64);
	for (size_t i = 0; i < n; i++)
		if (k == 0 || pt[k - 1] != pt[i])
			pt[k++] = pt[i];
	return k;
}

static int64_t
bf_free_min(const struct mpool *p, int64_t a, int64_t b)
{
	int64_t pt[4 * MAXITEMS + 8], m = bf_slack(p, a);
	size_t n = bf_points(p, NULL, 0, pt);

	for (size_t i = 0; i < n; i++)
		if (pt[i] > a && pt[i] < b && bf_slack(p, pt[i]) < m)
			m = bf_slack(p, pt[i]);
	return m > 0 ? m : 0;
}

static bool
bf_first_short(const struct mpool *p, int64_t a, int64_t b, int64_t cards, int64_t *at,
    int64_t *slack)
{
	int64_t pt[4 * MAXITEMS + 8];
	size_t n = bf_points(p, &a, 1, pt);

	for (size_t i = 0; i < n; i++)
		if (pt[i] >= a && pt[i] < b && bf_slack(p, pt[i]) < cards) {
			*at = pt[i];
			*slack = bf_slack(p, pt[i]);
			return true;
		}
	return false;
}

/* ---- timeline checks --------------------------------------------------- */

static void
check_window(const struct mpool *p, int64_t a, int64_t b, int64_t cards)
{
	struct timeline_segment *s = NULL;
	int64_t at, slack, bat = 0, bslack = 0, want;
	size_t n = 0;
	bool got, exp;

	want = bf_free_min(p, a, b);
	FUZZ_CHECK(timeline_free_min(p->tl, a, b) == want, "%s free_min [%lld, %lld) = %lld, "
	    "brute force %lld", p->id, (long long)a, (long long)b,
	    (long long)timeline_free_min(p->tl, a, b), (long long)want);

	got = timeline_first_short(p->tl, a, b, cards, &at, &slack);
	exp = bf_first_short(p, a, b, cards, &bat, &bslack);
	FUZZ_CHECK(got == exp && (!got || (at == bat && slack == bslack)),
	    "%s first_short [%lld, %lld) %lld cards: %d at %lld slack %lld, brute force %d at "
	    "%lld slack %lld", p->id, (long long)a, (long long)b, (long long)cards, got,
	    (long long)at, (long long)slack, exp, (long long)bat, (long long)bslack);

	FUZZ_CHECK(timeline_segments(p->tl, a, b, &s, &n) == 0, "segments");
	FUZZ_CHECK(n > 0 && s[0].from == a && s[n - 1].to == b, "%s segments do not cover "
	    "[%lld, %lld)", p->id, (long long)a, (long long)b);
	for (size_t i = 0; i < n; i++) {
		int64_t cap = bf_capacity(p, s[i].from), gr = bf_granted(p, s[i].from);
		int64_t alloc = gr < cap ? gr : cap;

		FUZZ_CHECK(s[i].from < s[i].to, "empty segment");
		FUZZ_CHECK(i == 0 || s[i].from == s[i - 1].to, "gap between segments");
		FUZZ_CHECK(i == 0 || s[i].capacity != s[i - 1].capacity ||
		    s[i].allocated != s[i - 1].allocated || s[i].impaired != s[i - 1].impaired,
		    "%s: two equal neighbours at %lld", p->id, (long long)s[i].from);
		FUZZ_CHECK(s[i].capacity == cap && s[i].allocated == alloc &&
		    s[i].impaired == gr - alloc && s[i].free == cap - alloc,
		    "%s segment at %lld: %lld/%lld/%lld/%lld, brute force %lld/%lld/%lld/%lld",
		    p->id, (long long)s[i].from, (long long)s[i].capacity,
		    (long long)s[i].allocated, (long long)s[i].impaired, (long long)s[i].free,
		    (long long)cap, (long long)alloc, (long long)(gr - alloc),
		    (long long)(cap - alloc));
		/* Constant inside: no real boundary changes it. */
		int64_t pt[4 * MAXITEMS + 8];
		size_t np = bf_points(p, NULL, 0, pt);

		for (size_t k = 0; k < np; k++)
			if (pt[k] > s[i].from && pt[k] < s[i].to)
				FUZZ_CHECK(bf_capacity(p, pt[k]) == cap && bf_granted(p, pt[k]) == gr,
				    "%s: segment [%lld, %lld) changes at %lld", p->id,
				    (long long)s[i].from, (long long)s[i].to, (long long)pt[k]);
	}
	free(s);
}

static void
check_next_change(const struct mpool *p, int64_t t)
{
	int64_t pt[4 * MAXITEMS + 8], next = 0, real = INT64_MAX;
	size_t n = bf_points(p, NULL, 0, pt);
	bool got = timeline_next_change(p->tl, t, &next);

	for (size_t i = 0; i < n; i++)
		if (pt[i] > t && pt[i] < real)
			real = pt[i];
	/* Removed grants may leave boundaries behind: next may come early, never late. */
	if (got)
		FUZZ_CHECK(next > t && next <= real, "%s next_change(%lld) = %lld, first real %lld",
		    p->id, (long long)t, (long long)next, (long long)real);
	else
		FUZZ_CHECK(real == INT64_MAX, "%s next_change(%lld) none, but %lld", p->id,
		    (long long)t, (long long)real);
}

static void
check_add(const struct mpool *p, const struct timeline_grant *g, size_t n)
{
	struct timeline_breach br = { 0, 0, 0 };
	int64_t extra[16], pt[4 * MAXITEMS + 24];
	size_t np, ne = 0;
	int rc = timeline_check_add(p->tl, g, n, &br);
	bool breach = false;
	int64_t bat = 0, bfree = 0, basked = 0;

	for (size_t i = 0; i < n; i++) {
		extra[ne++] = g[i].from;
		extra[ne++] = g[i].to;
	}
	np = bf_points(p, extra, ne, pt);
	for (size_t k = 0; k < np && !breach; k++) {
		int64_t asked = 0;

		for (size_t i = 0; i < n; i++)
			if (g[i].from <= pt[k] && pt[k] < g[i].to)
				asked += g[i].cards;
		if (asked > 0 && bf_slack(p, pt[k]) < asked) {
			breach = true;
			bat = pt[k];
			bfree = bf_slack(p, pt[k]) > 0 ? bf_slack(p, pt[k]) : 0;
			basked = asked;
		}
	}
	FUZZ_CHECK(rc == (breach ? GD_ECAPACITY : 0), "%s check_add of %zu grants: %d, brute "
	    "force %s", p->id, n, rc, breach ? "breach" : "fits");
	if (breach)
		FUZZ_CHECK(br.at == bat && br.free == bfree && br.asked == basked,
		    "%s breach at %lld free %lld asked %lld, brute force %lld %lld %lld", p->id,
		    (long long)br.at, (long long)br.free, (long long)br.asked, (long long)bat,
		    (long long)bfree, (long long)basked);
}

/* ---- placement reference ------------------------------------------------ */

static int64_t
gcd(int64_t a, int64_t b)
{
	while (b != 0) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int64_t
first_midnight(int64_t t, int32_t off)
{
	int64_t d = civil_local_day(t, off);

	return civil_local_midnight(d, off) < t ? d + 1 : d;
}

/* The fewest pools that hold exactly units with these free cards, or -1. */
static int
ref_fewest_free(int64_t units, const int64_t *free, int64_t g)
{
	static uint8_t dp[2][64 * 1024 + 1];
	int64_t steps = units / g;
	int cur = 0;

	memset(dp[cur], 0xff, (size_t)steps + 1);
	dp[cur][0] = 0;
	for (size_t p = 0; p < npools; p++) {
		int64_t step = pools[p].w / g;
		int nx = !cur;

		memcpy(dp[nx], dp[cur], (size_t)steps + 1);
		for (int64_t c = 1; c <= free[p] && c * step <= steps; c++)
			for (int64_t s = c * step; s <= steps; s++)
				if (dp[cur][s - c * step] != 0xff && dp[cur][s - c * step] + 1 < dp[nx][s])
					dp[nx][s] = (uint8_t)(dp[cur][s - c * step] + 1);
		cur = nx;
	}
	return dp[cur][steps] == 0xff ? -1 : dp[cur][steps];
}

/*
 * The same over [a, b).  Windows a day apart mostly see the same free cards,
 * so answers are remembered per vector of free cards (for one search).
 */
static struct memo {
	int64_t free[MAXPOOLS];
	int answer;
	bool used;
} memo[256];

static void
memo_reset(void)
{
	memset(memo, 0, sizeof(memo));
}

static int
ref_fewest(int64_t units, int64_t a, int64_t b, int64_t g)
{
	int64_t free[MAXPOOLS] = { 0 };
	uint64_t hash = 1469598103934665603u;
	struct memo *m;

	for (size_t p = 0; p < npools; p++) {
		free[p] = bf_free_min(&pools[p], a, b);
		hash = (hash ^ (uint64_t)free[p]) * 1099511628211u;
	}
	m = &memo[hash % 256];
	if (m->used && memcmp(m->free, free, sizeof(free)) == 0)
		return m->answer;
	m->used = true;
	memcpy(m->free, free, sizeof(free));
	m->answer = ref_fewest_free(units, free, g);
	return m->answer;
}

struct rk {
	size_t pool;
	int64_t free;
};

static int
rk_cmp(const void *x, const void *y)
{
	const struct rk *a = x, *b = y;
	int c;

	if (a->free != b->free)
		return a->free > b->free ? -1 : 1;
	if ((c = strcmp(pools[a->pool].id, pools[b->pool].id)) != 0)
		return c;
	return (a->pool > b->pool) - (a->pool < b->pool);
}

/*
 * The split placement.h promises at [a, b), by enumeration: the fewest pools,
 * then the most cards on the first-ranked pool, then the second, ...
 */
struct search {
	struct rk r[MAXPOOLS];
	int64_t lim[MAXPOOLS], c[MAXPOOLS], best[MAXPOOLS];
	size_t k;
	int bestn;
};

static void
dfs(struct search *S, size_t i, int64_t rem, int used)
{
	if (i == S->k) {
		bool better = used < S->bestn;

		if (rem != 0)
			return;
		for (size_t j = 0; j < S->k && used == S->bestn && !better; j++)
			if (S->c[j] != S->best[j]) {
				better = S->c[j] > S->best[j];
				break;
			}
		if (better) {
			S->bestn = used;
			memcpy(S->best, S->c, sizeof(S->best));
		}
		return;
	}
	for (int64_t c = 0; c <= S->lim[i] && c * pools[S->r[i].pool].w <= rem; c++) {
		S->c[i] = c;
		dfs(S, i + 1, rem - c * pools[S->r[i].pool].w, used + (c > 0));
	}
	S->c[i] = 0;
}

static size_t
ref_split(int64_t units, int64_t a, int64_t b, struct placement_share *out)
{
	struct search S = { .bestn = 99 };
	size_t n = 0;

	for (size_t p = 0; p < npools; p++) {
		int64_t f = bf_free_min(&pools[p], a, b);

		if (f > 0 && pools[p].w <= units)
			S.r[S.k++] = (struct rk){ p, f };
	}
	qsort(S.r, S.k, sizeof(S.r[0]), rk_cmp);
	for (size_t i = 0; i < S.k; i++)
		S.lim[i] = S.r[i].free < units / pools[S.r[i].pool].w ? S.r[i].free :
		    units / pools[S.r[i].pool].w;
	dfs(&S, 0, units, 0);
	for (size_t i = 0; i < S.k; i++)
		if (S.best[i] > 0)
			out[n++] = (struct placement_share){ S.r[i].pool, S.best[i] };
	return n;
}

static void
check_placement(struct fuzz_in *in)
{
	static const int32_t zones[] = { 0, 9 * 3600, -5 * 3600, 5 * 3600 + 1800, 14 * 3600,
		-12 * 3600 };
	struct placement_pool pp[MAXPOOLS];
	struct placement_request rq;
	struct placement out;
	struct placement_share want[MAXPOOLS];
	int64_t g, last = T0, day, d0;
	uint8_t b;
	int rc;

	for (size_t p = 0; p < npools; p++)
		pp[p] = (struct placement_pool){ pools[p].id, pools[p].w, pools[p].tl, NULL };
	b = fuzz_u8(in);
	if (b % 5 == 0)
		rq.units_milli = 1 + fuzz_u16(in) % 2000;	/* odd units: g may be 1 */
	else
		rq.units_milli = (int64_t)(1 + b % 48) * 250;
	rq.period = (int64_t)(1 + fuzz_u8(in) % 14) * DAY;
	if (fuzz_u8(in) % 4 == 0)
		rq.period += (int64_t)fuzz_u8(in) * 60;
	rq.zone_offset = zones[fuzz_pick(in, sizeof(zones) / sizeof(zones[0]))];
	rq.not_before = T0 - 3 * DAY + (int64_t)(fuzz_u8(in) % 72) * DAY;
	if (fuzz_u8(in) % 4 == 0)
		rq.not_before += fuzz_u16(in) % DAY;
	rq.horizon = rq.not_before + (int64_t)(fuzz_u8(in) % 80) * DAY;

	g = rq.units_milli;
	for (size_t p = 0; p < npools; p++)
		g = gcd(g, pools[p].w);

	memo_reset();
	rc = placement_find(pp, npools, &rq, &out);
	FUZZ_CHECK(rc == 0 || rc == GD_ENOCAPACITY, "placement_find returned %d", rc);

	d0 = first_midnight(rq.not_before, rq.zone_offset);
	if (rc == 0 || out.nshares > 0) {
		int64_t sum = 0, sday = civil_local_day(out.start, rq.zone_offset);
		int fewest;
		size_t nw;

		FUZZ_CHECK(civil_local_midnight(sday, rq.zone_offset) == out.start,
		    "start %lld is not a local midnight", (long long)out.start);
		FUZZ_CHECK(out.start >= rq.not_before && out.end == out.start + rq.period,
		    "window [%lld, %lld) for not_before %lld period %lld", (long long)out.start,
		    (long long)out.end, (long long)rq.not_before, (long long)rq.period);
		FUZZ_CHECK((rc == 0) == (out.start <= rq.horizon), "rc %d with start %lld horizon "
		    "%lld", rc, (long long)out.start, (long long)rq.horizon);
		for (size_t i = 0; i < out.nshares; i++) {
			const struct placement_share *s = &out.shares[i];
			struct timeline_grant tg = { 999999, out.start, out.end, s->cards };

			FUZZ_CHECK(s->pool < npools && s->cards > 0, "share %zu", i);
			for (size_t j = 0; j < i; j++)
				FUZZ_CHECK(out.shares[j].pool != s->pool, "pool %zu twice", s->pool);
			FUZZ_CHECK(s->cards <= timeline_free_min(pools[s->pool].tl, out.start, out.end),
			    "share of %lld cards on %s, free_min %lld", (long long)s->cards,
			    pools[s->pool].id,
			    (long long)timeline_free_min(pools[s->pool].tl, out.start, out.end));
			FUZZ_CHECK(timeline_check_add(pools[s->pool].tl, &tg, 1, NULL) == 0,
			    "share of %lld cards on %s breaks capacity", (long long)s->cards,
			    pools[s->pool].id);
			check_add(&pools[s->pool], &tg, 1);
			sum += s->cards * pools[s->pool].w;
		}
		FUZZ_CHECK(sum == rq.units_milli, "split holds %lld milli-units of %lld",
		    (long long)sum, (long long)rq.units_milli);
		/* No earlier day fits. */
		for (day = d0; day < sday; day++) {
			int64_t a = civil_local_midnight(day, rq.zone_offset);

			FUZZ_CHECK(ref_fewest(rq.units_milli, a, a + rq.period, g) < 0,
			    "day %lld fits, but placement chose %lld", (long long)a,
			    (long long)out.start);
		}
		fewest = ref_fewest(rq.units_milli, out.start, out.end, g);
		FUZZ_CHECK(fewest == (int)out.nshares, "%zu pools used, %d would do",
		    out.nshares, fewest);
		nw = ref_split(rq.units_milli, out.start, out.end, want);
		FUZZ_CHECK(nw == out.nshares, "split of %zu pools, reference %zu", out.nshares, nw);
		for (size_t i = 0; i < nw; i++)
			FUZZ_CHECK(want[i].pool == out.shares[i].pool &&
			    want[i].cards == out.shares[i].cards,
			    "share %zu is %lld on %s, reference %lld on %s", i,
			    (long long)out.shares[i].cards, pools[out.shares[i].pool].id,
			    (long long)want[i].cards, pools[want[i].pool].id);
	} else {
		/* Never: no day up to one past the last boundary fits. */
		for (size_t p = 0; p < npools; p++) {
			for (size_t i = 0; i < pools[p].nout; i++)
				if (pools[p].out[i].to > last)
					last = pools[p].out[i].to;
			for (size_t i = 0; i < pools[p].ngr; i++)
				if (pools[p].gr[i].to > last)
					last = pools[p].gr[i].to;
		}
		for (day = d0; day <= first_midnight(last, rq.zone_offset); day++) {
			int64_t a = civil_local_midnight(day, rq.zone_offset);

			FUZZ_CHECK(ref_fewest(rq.units_milli, a, a + rq.period, g) < 0,
			    "no start found, but day %lld fits", (long long)a);
		}
	}
	placement_release(&out);
}

static void
check_split(struct fuzz_in *in)
{
	static const char *const unknown = "nowhere";
	struct placement_pool pp[MAXPOOLS];
	struct placement_split sp[3];
	size_t n = 1 + fuzz_u8(in) % 3;
	int64_t a = pick_instant(in), b = a + pick_length(in) - (fuzz_u8(in) == 0 ? 40 * DAY : 0);
	int64_t units = (int64_t)(1 + fuzz_u8(in) % 48) * 250, sum = 0;
	static const struct civil_zone zone = { 9 * 3600, "KST" };
	char detail[256] = "";
	int rc, want = 0;

	for (size_t p = 0; p < npools; p++)
		pp[p] = (struct placement_pool){ pools[p].id, pools[p].w, pools[p].tl, NULL };
	for (size_t i = 0; i < n; i++) {
		uint8_t x = fuzz_u8(in);

		sp[i].pool = x % 8 < npools ? pools[x % 8].id : unknown;
		sp[i].cards = (int64_t)(fuzz_u8(in) % 22) - 1;
	}
	rc = placement_check_split(pp, npools, sp, n, units, a, b, &zone, detail, sizeof(detail));
	if (a >= b)
		want = GD_EINVAL;
	for (size_t i = 0; i < n && want == 0; i++) {
		if (sp[i].pool == unknown)
			want = GD_ENOENT;
		else if (sp[i].cards <= 0)
			want = GD_EINVAL;
		for (size_t j = 0; j < i && want == 0; j++)
			if (sp[j].pool == sp[i].pool)
				want = GD_EINVAL;
	}
	for (size_t i = 0; i < n && want == 0; i++) {
		size_t p;

		for (p = 0; pools[p].id != sp[i].pool; p++)
			;
		if (bf_free_min(&pools[p], a, b) < sp[i].cards ||
		    bf_first_short(&pools[p], a, b, sp[i].cards, &(int64_t){ 0 }, &(int64_t){ 0 }))
			want = GD_ECAPACITY;
		sum += sp[i].cards * pools[p].w;
	}
	if (want == 0 && sum != units)
		want = GD_EFAIRNESS;
	FUZZ_CHECK(rc == want, "check_split returned %d (%s), expected %d", rc, detail, want);
	FUZZ_CHECK(rc == 0 || detail[0] != '\0', "check_split %d without a detail", rc);
}

static void
teardown(void)
{
	for (size_t p = 0; p < npools; p++)
		timeline_free(pools[p].tl);
	npools = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const ids[] = { "pool-c", "pool-a", "pool-d", "pool-b" };
	/* Weights with a small common factor, and now and then one (333) that makes it 1. */
	static const int64_t weights[] = { 1000, 500, 250, 750, 1500, 1000, 500, 1000, 500, 250,
		2000, 1000, 500, 1250, 1000, 333 };
	struct fuzz_in in = { data, size };
	int64_t next_id = 1;
	unsigned nops;

	npools = 1 + fuzz_u8(&in) % MAXPOOLS;
	for (size_t p = 0; p < npools; p++) {
		struct mpool *m = &pools[p];

		memset(m, 0, sizeof(*m));
		m->id = ids[p];
		m->base = fuzz_u8(&in) % 17;
		m->w = weights[fuzz_u8(&in) % 16];
		m->nout = fuzz_u8(&in) % 4;
		m->ngr = fuzz_u8(&in) % 5;
		for (size_t i = 0; i < m->nout; i++) {
			m->out[i].from = pick_instant(&in);
			m->out[i].to = m->out[i].from + pick_length(&in);
			m->out[i].cards = 1 + fuzz_u8(&in) % 16;
		}
		for (size_t i = 0; i < m->ngr; i++) {
			m->gr[i].id = next_id++;
			m->gr[i].from = pick_instant(&in);
			m->gr[i].to = m->gr[i].from + pick_length(&in);
			m->gr[i].cards = 1 + fuzz_u8(&in) % 16;
		}
		int rc = timeline_build(m->base, m->out, m->nout, m->gr, m->ngr, &m->tl);

		FUZZ_CHECK(rc == 0, "timeline_build: %d", rc);
	}

	/* Changes, mirrored in the lists. */
	nops = fuzz_u8(&in) % 8;
	for (unsigned k = 0; k < nops; k++) {
		struct mpool *m = &pools[fuzz_u8(&in) % npools];
		uint8_t op = fuzz_u8(&in) % 4;
		int rc;

		if (op == 0 && m->nout < MAXITEMS) {
			struct timeline_outage o = { pick_instant(&in), 0, 1 + fuzz_u8(&in) % 16 };

			o.to = o.from + pick_length(&in);
			rc = timeline_add_outage(m->tl, &o);
			FUZZ_CHECK(rc == 0, "add_outage: %d", rc);
			m->out[m->nout++] = o;
		} else if (op == 1 && m->ngr < MAXITEMS) {
			bool dup = m->ngr > 0 && fuzz_u8(&in) % 8 == 0;
			struct timeline_grant g = { dup ? m->gr[0].id : next_id++, pick_instant(&in), 0,
				1 + fuzz_u8(&in) % 16 };

			/* Often on existing boundaries: the fast path without a rebuild. */
			if (m->ngr > 0 && fuzz_u8(&in) % 2 == 0) {
				const struct timeline_grant *o = &m->gr[fuzz_u8(&in) % m->ngr];

				g.from = o->from;
				g.to = o->to;
			} else {
				g.to = g.from + pick_length(&in);
			}
			rc = timeline_add_grant(m->tl, &g);
			FUZZ_CHECK(rc == (dup ? GD_EEXIST : 0), "add_grant: %d", rc);
			if (!dup)
				m->gr[m->ngr++] = g;
		} else if (op == 2) {
			size_t i = m->ngr ? fuzz_u8(&in) % (m->ngr + 1) : 0;
			int64_t id = i < m->ngr ? m->gr[i].id : 424242;

			rc = timeline_remove_grant(m->tl, id);
			FUZZ_CHECK(rc == (i < m->ngr ? 0 : GD_ENOENT), "remove_grant: %d", rc);
			if (i < m->ngr)
				m->gr[i] = m->gr[--m->ngr];
		} else {
			/* A bad item is refused and changes nothing. */
			struct timeline_grant g = { next_id++, pick_instant(&in), 0, 1 };

			g.to = g.from - (int64_t)(fuzz_u8(&in) % 2);
			FUZZ_CHECK(timeline_add_grant(m->tl, &g) == GD_EINVAL, "empty grant accepted");
		}
	}

	/* The timelines against the brute force, over a few windows. */
	for (size_t p = 0; p < npools; p++) {
		int64_t a = pick_instant(&in) - DAY, b = a + pick_length(&in) + fuzz_u8(&in) % 3 * 20 * DAY;
		struct timeline_grant g[3];
		size_t ng = fuzz_u8(&in) % 4;

		check_window(&pools[p], a, b, fuzz_u8(&in) % 20);
		check_window(&pools[p], T0 - 30 * DAY, T0 + 120 * DAY, 1 + fuzz_u8(&in) % 20);
		check_next_change(&pools[p], a);
		check_next_change(&pools[p], b);
		for (size_t i = 0; i < ng; i++) {
			g[i] = (struct timeline_grant){ 0, pick_instant(&in), 0, 1 + fuzz_u8(&in) % 12 };
			g[i].to = g[i].from + pick_length(&in);
		}
		check_add(&pools[p], g, ng);
	}

	check_placement(&in);
	check_split(&in);
	teardown();
	return 0;
}
