/* placement.c: earliest-fit search of a package over pools, and checks of explicit splits. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "placement.h"
#include "units.h"

/* "No way to reach this sum" in the table; real counts stay below it. */
#define UNREACHABLE UINT16_MAX

/* A pool with free cards over the window being tried. */
struct ranked {
	size_t pool;
	const char *id;
	int64_t free;		/* free cards over the window: the ranking key */
	int64_t usable;		/* free, capped where more could never be used */
	int64_t step;		/* weight / g: units per card, in table steps */
};

/*
 * What is known of one pool while the start moves forward: at most `ub`
 * cards free for every window starting before `until` (timeline_short_until
 * says why), exact for the window it was computed on.
 */
struct bound {
	int64_t ub, until;
};

/* How one candidate window went (solve). */
enum { TRY_FIT = 1, TRY_BOUNDED = 2, TRY_NO = 3 };

/* Scratch for one search, reused for every candidate day. */
struct search {
	const struct placement_pool *pools;
	size_t npools;
	int64_t g;		/* gcd of the units and every weight */
	int64_t steps;		/* units / g */
	bool uniform;		/* every pool has the same weight */
	uint16_t *table;	/* (rows + 1) x (steps + 1), grown as needed */
	size_t rows;
	int64_t *deque;		/* steps + 1 */
	struct ranked *rank;	/* npools */
	struct bound *bd;	/* npools */
	size_t *heap;		/* every pool, a min-heap by bd[].until */
	int64_t reach;		/* what the bounds sum to, in table steps */
};

static int64_t
gcd64(int64_t a, int64_t b)
{
	while (b != 0) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* Rank order: more free cards first, then id, then index. */
static int
cmp_rank(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	int c;

	if (x->free != y->free)
		return x->free > y->free ? -1 : 1;
	if ((c = strcmp(x->id, y->id)) != 0)
		return c;
	return (x->pool > y->pool) - (x->pool < y->pool);
}

/*
 * One row of the table.  next[s] is the fewest pools among the later ones
 * that reach exactly s steps; cur[s] also allows this pool with 1..cards
 * cards of `step` steps each:
 *
 *	cur[s] = min(next[s], 1 + min over c in 1..cards of next[s - c * step])
 *
 * Along each residue class mod step this is a sliding-window minimum over
 * the previous `cards` entries, kept in a monotone deque: O(steps) per row.
 */
static void
table_row(const uint16_t *next, uint16_t *cur, int64_t steps, int64_t step, int64_t cards,
    int64_t *deque)
{
	for (int64_t r = 0; r < step && r <= steps; r++) {
		size_t head = 0, tail = 0;

		for (int64_t j = 0, s = r; s <= steps; j++, s += step) {
			uint16_t best = next[s];

			while (head < tail && deque[head] < j - cards)
				head++;
			if (head < tail) {
				uint16_t w = next[r + deque[head] * step];

				if (w != UNREACHABLE && w + 1 < best)
					best = (uint16_t)(w + 1);
			}
			cur[s] = best;
			while (head < tail && next[r + deque[tail - 1] * step] >= next[s])
				tail--;
			deque[tail++] = j;
		}
	}
}

/*
 * Every pool of one weight: any pool can give any number of cards up to
 * what it has free, so the fewest pools are the roomiest ones, and the walk
 * below (most cards on the first-ranked pool, then the next) gives each of
 * them all it can until the last takes the rest.  The same answer as the
 * table, without it.
 */
static int
solve_uniform(struct search *sr, size_t k, struct placement_share *shares, size_t *nshares)
{
	int64_t step = sr->rank[0].step, rest = sr->steps / step, c;

	if (sr->steps % step != 0)
		return TRY_NO;
	*nshares = 0;
	for (size_t i = 0; i < k && rest > 0; i++) {
		c = sr->rank[i].usable < rest ? sr->rank[i].usable : rest;
		shares[(*nshares)++] = (struct placement_share){ sr->rank[i].pool, c };
		rest -= c;
	}
	return rest == 0 ? TRY_FIT : TRY_NO;
}

static int
solve_table(struct search *sr, size_t k, struct placement_share *shares, size_t *nshares)
{
	int64_t steps = sr->steps, rest;
	size_t width = (size_t)steps + 1;
	uint16_t *t;

	if (k + 1 > sr->rows) {
		if ((t = realloc(sr->table, (k + 1) * width * sizeof(*t))) == NULL)
			return GD_ENOMEM;
		sr->table = t;
		sr->rows = k + 1;
	}
	t = sr->table;
	/* Row i: the fewest of pools i..k-1 (in rank order) reaching each sum. */
	for (size_t s = 0; s < width; s++)
		t[k * width + s] = UNREACHABLE;
	t[k * width] = 0;
	for (size_t i = k; i-- > 0;)
		table_row(t + (i + 1) * width, t + i * width, steps, sr->rank[i].step,
		    sr->rank[i].usable, sr->deque);
	if (t[steps] == UNREACHABLE)
		return TRY_NO;

	/* Walk in rank order, giving each pool the most cards that keep the optimum. */
	*nshares = 0;
	rest = steps;
	for (size_t i = 0; i < k && rest > 0; i++) {
		const struct ranked *x = &sr->rank[i];
		const uint16_t *next = t + (i + 1) * width;
		uint16_t need = t[i * width + rest];
		int64_t c = x->usable < rest / x->step ? x->usable : rest / x->step;

		for (; c > 0; c--)
			if (next[rest - c * x->step] != UNREACHABLE &&
			    next[rest - c * x->step] + 1 == need)
				break;
		if (c == 0)
			continue;
		shares[(*nshares)++] = (struct placement_share){ x->pool, c };
		rest -= c * x->step;
	}
	return TRY_FIT;
}

/* Cards of pool p that a split can use, in table steps. */
static int64_t
usable_steps(const struct search *sr, size_t p, int64_t free)
{
	int64_t step = sr->pools[p].weight_milli / sr->g;

	if (step > sr->steps)
		return 0;
	return (free < sr->steps / step ? free : sr->steps / step) * step;
}

/* Restores the heap below slot i after its pool's until grew. */
static void
heap_down(struct search *sr, size_t i)
{
	size_t n = sr->npools, c, p = sr->heap[i];

	for (; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && sr->bd[sr->heap[c + 1]].until < sr->bd[sr->heap[c]].until)
			c++;
		if (sr->bd[sr->heap[c]].until >= sr->bd[p].until)
			break;
		sr->heap[i] = sr->heap[c];
	}
	sr->heap[i] = p;
}

static void
heapify(struct search *sr)
{
	for (size_t i = sr->npools / 2; i-- > 0;)
		heap_down(sr, i);
}

/* A span of the hint that bounds windows of `period` or more from a, or NULL. */
static const struct placement_hint_span *
hint_find(const struct placement_hint *h, int64_t a, int64_t period)
{
	const struct placement_hint_span *best = NULL;

	for (unsigned i = 0; h != NULL && h->valid && i < h->n; i++) {
		const struct placement_hint_span *x = &h->span[i];

		if (x->period <= period && x->from <= a && a < x->until &&
		    (best == NULL || x->until > best->until))
			best = x;
	}
	return best;
}

static void
hint_add(struct placement_hint *h, const struct placement_hint_span *x)
{
	if (h == NULL)
		return;
	if (!h->valid)
		*h = (struct placement_hint){ .valid = true };
	h->span[h->next] = *x;
	h->next = (h->next + 1) % PLACEMENT_HINT_SPANS;
	if (h->n < PLACEMENT_HINT_SPANS)
		h->n++;
}

/*
 * A bound of pool p's free cards over [a, b) that lasts for later windows:
 * from the pool's hint when an earlier search learnt one and `exact` is
 * false, else the exact free cards, asked of the timeline and added to the
 * hint.
 */
static void
refresh(struct search *sr, size_t p, int64_t a, int64_t b, bool exact)
{
	const struct timeline *tl = sr->pools[p].tl;
	struct placement_hint *h = sr->pools[p].hint;
	const struct placement_hint_span *k = exact ? NULL : hint_find(h, a, b - a);
	struct bound *x = &sr->bd[p];

	sr->reach -= usable_steps(sr, p, x->ub);
	if (k != NULL) {
		*x = (struct bound){ k->ub, k->until };
	} else {
		/* The min is reached somewhere in [a, b): slack <= ub there, maybe long after. */
		x->ub = timeline_free_until(tl, a, b, &x->until);
		hint_add(h, &(struct placement_hint_span){ a, x->until, b - a, x->ub });
	}
	sr->reach += usable_steps(sr, p, x->ub);
}

/*
 * Tries the window [a, b); on TRY_FIT writes the split to shares.  The
 * bounds first: when even they cannot reach the package (TRY_BOUNDED), no
 * exact query is made, and they hold every window up to the earliest
 * `until`.  TRY_NO: the exact search found no split; GD_ENOMEM.
 */
static int
solve(struct search *sr, int64_t a, int64_t b, struct placement_share *shares, size_t *nshares)
{
	const struct placement_pool *pools = sr->pools;
	int64_t reach = 0;
	size_t k = 0;

	/* The bounds that lapsed by a, earliest first: exact again, and good for longer. */
	while (sr->npools > 0 && sr->bd[sr->heap[0]].until <= a) {
		refresh(sr, sr->heap[0], a, b, false);
		heap_down(sr, 0);
	}
	if (sr->reach < sr->steps)
		return TRY_BOUNDED;
	/* The bounds allow it: exact free cards for every pool that may have some. */
	for (size_t p = 0; p < sr->npools; p++) {
		struct ranked x;

		if (sr->bd[p].ub == 0)
			continue;
		refresh(sr, p, a, b, true);
		x = (struct ranked){ p, pools[p].id, sr->bd[p].ub, 0,
		    pools[p].weight_milli / sr->g };
		if (x.free == 0 || x.step > sr->steps)
			continue;
		/* More than steps / step cards can never be used; the cap bounds the sums. */
		x.usable = usable_steps(sr, p, x.free) / x.step;
		reach += x.usable * x.step;
		sr->rank[k++] = x;
	}
	heapify(sr);
	/* Exact now, and valid from a: as good as bounds for the caller's jump. */
	if (reach < sr->steps)
		return TRY_BOUNDED;
	qsort(sr->rank, k, sizeof(*sr->rank), cmp_rank);
	return sr->uniform ? solve_uniform(sr, k, shares, nshares) :
	    solve_table(sr, k, shares, nshares);
}

/* The first local midnight at or after t. */
static int64_t
first_day(int64_t t, int32_t off)
{
	int64_t d = civil_local_day(t, off);

	return civil_local_midnight(d, off) < t ? d + 1 : d;
}

/*
 * The first start worth trying after the window at `start` failed as `how`
 * says, or false: none.
 */
static bool
next_start(const struct search *sr, int how, int64_t start, int64_t last, int32_t off,
    int64_t *day)
{
	int64_t until = INT64_MAX, x;

	/* Nothing changes after the last boundary of every pool: nothing later fits. */
	if (start >= last)
		return false;
	if (how == TRY_BOUNDED) {
		/* Every window starting before the earliest bound lapses is held back by them. */
		if (sr->npools > 0)
			until = sr->bd[sr->heap[0]].until;
	} else {
		/* The first midnight after a boundary of some pool (placement.h). */
		for (size_t p = 0; p < sr->npools; p++)
			if (timeline_next_change(sr->pools[p].tl, start, &x) && x < until)
				until = x;
	}
	if (until == INT64_MAX)
		return false;
	*day = first_day(until, off);
	return true;
}

int
placement_find(const struct placement_pool *pools, size_t npools,
    const struct placement_request *req, struct placement *out)
{
	struct search sr = { .pools = pools, .npools = npools, .g = req->units_milli,
		.uniform = true };
	struct placement_share *shares = NULL;
	size_t nshares = 0;
	int64_t day, start, end, last = INT64_MIN, x;
	bool found = false;
	int rc = 0, how;

	*out = (struct placement){ 0, 0, 0, NULL };
	if (req->units_milli <= 0 || req->period <= 0 || npools > PLACEMENT_MAX_POOLS)
		return GD_EINVAL;
	if (req->not_before < civil_min_instant() || req->not_before > civil_max_instant())
		return GD_ERANGE;
	for (size_t p = 0; p < npools; p++) {
		if (pools[p].weight_milli <= 0 || pools[p].tl == NULL || pools[p].id == NULL)
			return GD_EINVAL;
		if (pools[p].weight_milli > PLACEMENT_MAX_WEIGHT)
			return GD_ERANGE;
		sr.g = gcd64(sr.g, pools[p].weight_milli);
		if (pools[p].weight_milli != pools[0].weight_milli)
			sr.uniform = false;
		if (timeline_last_change(pools[p].tl, &x) && x > last)
			last = x;
	}
	sr.steps = req->units_milli / sr.g;
	/* (npools + 1) x (steps + 1) table entries fit PLACEMENT_MAX_TABLE bytes, no overflow. */
	if (!sr.uniform && sr.steps > PLACEMENT_MAX_TABLE / (int64_t)sizeof(uint16_t) /
	    (int64_t)(npools + 1) - 1)
		return GD_ERANGE;
	if (!sr.uniform)
		sr.deque = malloc(((size_t)sr.steps + 1) * sizeof(*sr.deque));
	sr.rank = malloc((npools ? npools : 1) * sizeof(*sr.rank));
	sr.bd = calloc(npools ? npools : 1, sizeof(*sr.bd));
	sr.heap = malloc((npools ? npools : 1) * sizeof(*sr.heap));
	shares = malloc((npools ? npools : 1) * sizeof(*shares));
	if ((!sr.uniform && sr.deque == NULL) || sr.rank == NULL || sr.bd == NULL ||
	    sr.heap == NULL || shares == NULL) {
		rc = GD_ENOMEM;
		goto done;
	}
	day = first_day(req->not_before, req->zone_offset);
	/* No bound yet: every pool is asked on the first day (or its hint is). */
	for (size_t p = 0; p < npools; p++) {
		sr.bd[p] = (struct bound){ 0, INT64_MIN };
		sr.heap[p] = p;
	}
	for (;;) {
		start = civil_local_midnight(day, req->zone_offset);
		if (__builtin_add_overflow(start, req->period, &end) || end > civil_max_instant())
			break;
		if ((how = solve(&sr, start, end, shares, &nshares)) == TRY_FIT) {
			found = true;
			break;
		}
		if (how < 0) {
			rc = how;
			goto done;
		}
		if (!next_start(&sr, how, start, last, req->zone_offset, &day))
			break;
	}
	if (!found) {
		rc = GD_ENOCAPACITY;
		goto done;
	}
	*out = (struct placement){ start, end, nshares, shares };
	shares = NULL;
	rc = start <= req->horizon ? 0 : GD_ENOCAPACITY;
done:
	free(shares);
	free(sr.table);
	free(sr.deque);
	free(sr.rank);
	free(sr.bd);
	free(sr.heap);
	return rc;
}

void
placement_release(struct placement *p)
{
	if (p == NULL)
		return;
	free(p->shares);
	*p = (struct placement){ 0, 0, 0, NULL };
}

static const struct placement_pool *
find_pool(const struct placement_pool *pools, size_t npools, const char *id)
{
	for (size_t p = 0; p < npools; p++)
		if (strcmp(pools[p].id, id) == 0)
			return &pools[p];
	return NULL;
}

int
placement_check_split(const struct placement_pool *pools, size_t npools,
    const struct placement_split *split, size_t n, int64_t units_milli, int64_t start,
    int64_t end, const struct civil_zone *zone, char *detail, size_t len)
{
	char at[CIVIL_WHEN_LEN], have[UNITS_LEN], want[UNITS_LEN];
	int64_t sum = 0, t, slack, u;

	if (start >= end) {
		snprintf(detail, len, "the window is empty");
		return GD_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if (find_pool(pools, npools, split[i].pool) == NULL) {
			snprintf(detail, len, "unknown pool %s", split[i].pool);
			return GD_ENOENT;
		}
		if (split[i].cards <= 0 || split[i].cards > TIMELINE_MAX_CARDS) {
			snprintf(detail, len, "pool %s: cards must be 1 to %lld", split[i].pool,
			    (long long)TIMELINE_MAX_CARDS);
			return GD_EINVAL;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(split[i].pool, split[j].pool) == 0) {
				snprintf(detail, len, "pool %s is listed twice", split[i].pool);
				return GD_EINVAL;
			}
	}
	for (size_t i = 0; i < n; i++) {
		const struct placement_pool *p = find_pool(pools, npools, split[i].pool);

		if (timeline_first_short(p->tl, start, end, split[i].cards, &t, &slack)) {
			civil_format_when(t, zone, at);
			snprintf(detail, len, "pool %s has %lld cards free at %s, %lld asked",
			    p->id, (long long)(slack > 0 ? slack : 0), at,
			    (long long)split[i].cards);
			return GD_ECAPACITY;
		}
		/* Cards and weights are bounded, so neither this nor the sum can overflow. */
		u = split[i].cards * p->weight_milli;
		sum += u;
	}
	if (sum != units_milli) {
		units_format(sum, have);
		units_format(units_milli, want);
		snprintf(detail, len, "the split holds %s units, the package %s", have, want);
		return GD_EFAIRNESS;
	}
	return 0;
}

size_t
placement_delays(const struct placement_pool *pools, const struct placement *pl,
    int64_t not_before, struct placement_delay *out)
{
	size_t n = 0;
	int64_t until;

	if (pl->start <= not_before)
		return 0;
	for (size_t i = 0; i < pl->nshares; i++) {
		const struct timeline *tl = pools[pl->shares[i].pool].tl;

		/*
		 * From pl->start on the share fits, so the last stretch too short
		 * for it ends by then; two lookups, however many stretches.
		 */
		if (!timeline_short_until(tl, not_before, pl->start, pl->shares[i].cards, &until))
			continue;
		out[n].pool = pl->shares[i].pool;
		out[n].free_cards = timeline_free_min(tl, not_before, pl->start);
		out[n].until = until < pl->start ? until : pl->start;
		n++;
	}
	return n;
}
