/* placement.c: earliest-fit search of a package over pools, and checks of explicit splits. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "placement.h"
#include "units.h"

/* "No way to reach this sum" in the table; real counts stay below it (<= 254 pools). */
#define UNREACHABLE 255

/* A pool with free cards over the window being tried. */
struct ranked {
	size_t pool;
	int64_t free;		/* free cards over the window: the ranking key */
	int64_t usable;		/* free, capped where more could never be used */
	int64_t step;		/* weight / g: units per card, in table steps */
};

/* Scratch for one search, reused for every candidate day. */
struct search {
	const struct placement_pool *pools;
	size_t npools;
	int64_t g;		/* gcd of the units and every weight */
	int64_t steps;		/* units / g */
	uint8_t *table;		/* (npools + 1) rows of steps + 1 */
	int64_t *deque;		/* steps + 1 */
	struct ranked *rank;	/* npools */
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
static bool
ranks_before(const struct placement_pool *pools, const struct ranked *x, const struct ranked *y)
{
	int c;

	if (x->free != y->free)
		return x->free > y->free;
	if ((c = strcmp(pools[x->pool].id, pools[y->pool].id)) != 0)
		return c < 0;
	return x->pool < y->pool;
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
table_row(const uint8_t *next, uint8_t *cur, int64_t steps, int64_t step, int64_t cards,
    int64_t *deque)
{
	for (int64_t r = 0; r < step && r <= steps; r++) {
		size_t head = 0, tail = 0;

		for (int64_t j = 0, s = r; s <= steps; j++, s += step) {
			uint8_t best = next[s];

			while (head < tail && deque[head] < j - cards)
				head++;
			if (head < tail) {
				uint8_t w = next[r + deque[head] * step];

				if (w != UNREACHABLE && w + 1 < best)
					best = (uint8_t)(w + 1);
			}
			cur[s] = best;
			while (head < tail && next[r + deque[tail - 1] * step] >= next[s])
				tail--;
			deque[tail++] = j;
		}
	}
}

/* Tries the window [a, b); on success writes the split to shares. */
static bool
solve(struct search *sr, int64_t a, int64_t b, struct placement_share *shares, size_t *nshares)
{
	const struct placement_pool *pools = sr->pools;
	int64_t steps = sr->steps, reach = 0, rest;
	size_t k = 0, width = (size_t)steps + 1;
	uint8_t *t = sr->table;

	for (size_t p = 0; p < sr->npools; p++) {
		struct ranked x = { p, timeline_free_min(pools[p].tl, a, b), 0,
		    pools[p].weight_milli / sr->g };

		if (x.free == 0 || x.step > steps)
			continue;
		/* More than steps / step cards can never be used; the cap bounds the sums. */
		x.usable = x.free < steps / x.step ? x.free : steps / x.step;
		reach += x.usable * x.step;
		/* Insertion sort: a few pools, and the order must be total. */
		size_t i = k++;

		for (; i > 0 && ranks_before(pools, &x, &sr->rank[i - 1]); i--)
			sr->rank[i] = sr->rank[i - 1];
		sr->rank[i] = x;
	}
	if (reach < steps)
		return false;

	/* Row i: the fewest of pools i..k-1 (in rank order) reaching each sum. */
	memset(t + k * width, UNREACHABLE, width);
	t[k * width] = 0;
	for (size_t i = k; i-- > 0;)
		table_row(t + (i + 1) * width, t + i * width, steps, sr->rank[i].step,
		    sr->rank[i].usable, sr->deque);
	if (t[steps] == UNREACHABLE)
		return false;

	/* Walk in rank order, giving each pool the most cards that keep the optimum. */
	*nshares = 0;
	rest = steps;
	for (size_t i = 0; i < k && rest > 0; i++) {
		const struct ranked *x = &sr->rank[i];
		const uint8_t *next = t + (i + 1) * width;
		uint8_t need = t[i * width + rest];
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
	return true;
}

/* The first local midnight at or after t. */
static int64_t
first_day(int64_t t, int32_t off)
{
	int64_t d = civil_local_day(t, off);

	return civil_local_midnight(d, off) < t ? d + 1 : d;
}

int
placement_find(const struct placement_pool *pools, size_t npools,
    const struct placement_request *req, struct placement *out)
{
	struct search sr = { .pools = pools, .npools = npools, .g = req->units_milli };
	struct placement_share *shares = NULL;
	size_t nshares = 0;
	int64_t day, start, end, next = 0;
	bool found = false;
	int rc = 0;

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
	}
	sr.steps = req->units_milli / sr.g;
	/* (npools + 1) x (steps + 1) <= PLACEMENT_MAX_TABLE, written so nothing overflows. */
	if (sr.steps > PLACEMENT_MAX_TABLE / (int64_t)(npools + 1) - 1)
		return GD_ERANGE;
	sr.table = malloc((npools + 1) * ((size_t)sr.steps + 1));
	sr.deque = malloc(((size_t)sr.steps + 1) * sizeof(*sr.deque));
	sr.rank = malloc((npools ? npools : 1) * sizeof(*sr.rank));
	shares = malloc((npools ? npools : 1) * sizeof(*shares));
	if (sr.table == NULL || sr.deque == NULL || sr.rank == NULL || shares == NULL) {
		rc = GD_ENOMEM;
		goto done;
	}

	day = first_day(req->not_before, req->zone_offset);
	for (;;) {
		start = civil_local_midnight(day, req->zone_offset);
		if (__builtin_add_overflow(start, req->period, &end) || end > civil_max_instant())
			break;
		if (solve(&sr, start, end, shares, &nshares)) {
			found = true;
			break;
		}
		/* The next day where some pool's free cards may have changed (see placement.h). */
		bool any = false;

		for (size_t p = 0; p < npools; p++) {
			int64_t x;

			if (timeline_next_change(pools[p].tl, start, &x) && (!any || x < next)) {
				next = x;
				any = true;
			}
		}
		if (!any)
			break;
		day = first_day(next, req->zone_offset);
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
    int64_t end, char *detail, size_t len)
{
	char at[CIVIL_INSTANT_LEN], have[UNITS_LEN], want[UNITS_LEN];
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
			civil_format_instant(t, at);
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

	if (pl->start <= not_before)
		return 0;
	for (size_t i = 0; i < pl->nshares; i++) {
		const struct timeline *tl = pools[pl->shares[i].pool].tl;
		int64_t a = not_before, at, slack, next, least = INT64_MAX, until = 0;

		while (a < pl->start &&
		    timeline_first_short(tl, a, pl->start, pl->shares[i].cards, &at, &slack)) {
			if (slack < least)
				least = slack;
			if (!timeline_next_change(tl, at, &next) || next > pl->start)
				next = pl->start;
			until = a = next;
		}
		if (least == INT64_MAX)
			continue;
		out[n].pool = pl->shares[i].pool;
		out[n].free_cards = least > 0 ? least : 0;
		out[n].until = until;
		n++;
	}
	return n;
}
