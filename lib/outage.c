/* outage.c: what outages take from grants, shared exactly, and make-up grants that pay it back. */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "outage.h"

/* A grant starting (or ending) at t. */
struct edge {
	int64_t t;
	size_t grant;
	bool start;
};

/* A grant's part of one stretch, before the leftover is handed out. */
struct part {
	size_t grant;
	int64_t id;
	__int128 rem;		/* total x cards mod granted: the tie-breaker */
};

static int
cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/* Largest remainder first; equal remainders to the smaller id. */
static int
cmp_part(const void *a, const void *b)
{
	const struct part *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int
cmp_loss(const void *a, const void *b)
{
	const struct outage_loss *x = a, *y = b;

	return (x->grant_id > y->grant_id) - (x->grant_id < y->grant_id);
}

/* The grants active in the sweep: a dense array and each grant's place in it. */
struct active {
	size_t *idx;
	size_t *pos;
	size_t n;
};

static void
apply_edges(const struct edge *e, size_t ne, size_t *k, int64_t x, struct active *act)
{
	for (; *k < ne && e[*k].t <= x; (*k)++) {
		size_t g = e[*k].grant;

		if (e[*k].start) {
			act->pos[g] = act->n;
			act->idx[act->n++] = g;
		} else {
			size_t last = act->idx[--act->n];

			act->idx[act->pos[g]] = last;
			act->pos[last] = act->pos[g];
		}
	}
}

/*
 * The cards a segment's loss is counted on: its impaired cards, or with
 * extra > 0 what extra more cards out of service would add to them.
 * Capacity is floored at 0, so after the extra cards it is max(0, capacity
 * - extra); the result is >= 0 since that is <= capacity.
 */
static int64_t
lost_cards(const struct timeline_segment *seg, int64_t extra)
{
	int64_t granted = seg->allocated + seg->impaired, cap;

	if (extra == 0)
		return seg->impaired;
	cap = seg->capacity > extra ? seg->capacity - extra : 0;
	return (granted > cap ? granted - cap : 0) - seg->impaired;
}

/* Shares cards x weight x len of a stretch of seg among the active grants (see outage.h). */
static int
share_stretch(const struct timeline_grant *gr, const struct active *act, struct part *parts,
    const struct timeline_segment *seg, int64_t cards, int64_t weight, int64_t len,
    int64_t *lost)
{
	int64_t total, granted = 0, given = 0;

	if (__builtin_mul_overflow(cards, weight, &total) ||
	    __builtin_mul_overflow(total, len, &total))
		return GD_ERANGE;
	for (size_t j = 0; j < act->n; j++)
		granted += gr[act->idx[j]].cards;
	/* The sweep and the timeline agree on what is granted here. */
	assert(granted == seg->allocated + seg->impaired && granted > 0);
	for (size_t j = 0; j < act->n; j++) {
		size_t g = act->idx[j];
		/* total x cards can pass int64_t; the quotient cannot, as it is <= total. */
		__int128 num = (__int128)total * gr[g].cards;
		int64_t q = (int64_t)(num / granted);

		parts[j] = (struct part){ g, gr[g].id, num % granted };
		given += q;
		if (__builtin_add_overflow(lost[g], q, &lost[g]))
			return GD_ERANGE;
	}
	/* Fewer than act->n units are left, since each floor dropped less than one. */
	qsort(parts, act->n, sizeof(*parts), cmp_part);
	for (int64_t j = 0; j < total - given; j++)
		if (__builtin_add_overflow(lost[parts[j].grant], 1, &lost[parts[j].grant]))
			return GD_ERANGE;
	return 0;
}

/*
 * outage_share_loss (extra 0) and outage_added_loss (extra: the new
 * outage's cards, over its own interval [from, to)).
 */
static int
share_loss(const struct timeline *tl, int64_t weight_milli, int64_t from, int64_t to,
    int64_t extra, struct outage_loss **out, size_t *n)
{
	const struct timeline_grant *gr;
	struct timeline_segment *seg = NULL;
	struct outage_loss *res = NULL;
	struct edge *edges = NULL;
	struct part *parts = NULL;
	struct active act = { NULL, NULL, 0 };
	int64_t *lost = NULL;
	size_t ng, nseg = 0, k = 0, nres = 0;
	int rc = GD_ENOMEM;

	if (weight_milli <= 0 || from >= to)
		return GD_EINVAL;
	gr = timeline_grants(tl, &ng);
	if (ng == 0) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	if (timeline_segments(tl, from, to, &seg, &nseg) != 0 ||
	    (edges = malloc(2 * ng * sizeof(*edges))) == NULL ||
	    (parts = malloc(ng * sizeof(*parts))) == NULL ||
	    (lost = calloc(ng, sizeof(*lost))) == NULL ||
	    (act.idx = malloc(ng * sizeof(*act.idx))) == NULL ||
	    (act.pos = malloc(ng * sizeof(*act.pos))) == NULL)
		goto done;
	for (size_t g = 0; g < ng; g++) {
		edges[2 * g] = (struct edge){ gr[g].from, g, true };
		edges[2 * g + 1] = (struct edge){ gr[g].to, g, false };
	}
	qsort(edges, 2 * ng, sizeof(*edges), cmp_edge);

	/*
	 * Segments have constant capacity and granted; the grants active inside
	 * one can still change (one ends as another of equal cards starts), so
	 * impaired segments are cut again at grant edges.
	 */
	for (size_t s = 0; s < nseg; s++) {
		int64_t x = seg[s].from, y, cards = lost_cards(&seg[s], extra);

		if (cards == 0)
			continue;
		apply_edges(edges, 2 * ng, &k, x, &act);
		for (; x < seg[s].to; x = y) {
			y = k < 2 * ng && edges[k].t < seg[s].to ? edges[k].t : seg[s].to;
			rc = share_stretch(gr, &act, parts, &seg[s], cards, weight_milli, y - x,
			    lost);
			if (rc != 0)
				goto done;
			apply_edges(edges, 2 * ng, &k, y, &act);
		}
	}

	rc = GD_ENOMEM;
	if ((res = malloc(ng * sizeof(*res))) == NULL)
		goto done;
	for (size_t g = 0; g < ng; g++)
		if (lost[g] > 0)
			res[nres++] = (struct outage_loss){ gr[g].id, lost[g] };
	qsort(res, nres, sizeof(*res), cmp_loss);
	*out = res;
	*n = nres;
	res = NULL;
	rc = 0;
done:
	free(res);
	free(seg);
	free(edges);
	free(parts);
	free(lost);
	free(act.idx);
	free(act.pos);
	return rc;
}

int
outage_share_loss(const struct timeline *tl, int64_t weight_milli, int64_t from,
    int64_t to, struct outage_loss **out, size_t *n)
{
	return share_loss(tl, weight_milli, from, to, 0, out, n);
}

int
outage_added_loss(const struct timeline *tl, int64_t weight_milli,
    const struct timeline_outage *o, struct outage_loss **out, size_t *n)
{
	if (o->cards < 1)
		return GD_EINVAL;
	return share_loss(tl, weight_milli, o->from, o->to, o->cards, out, n);
}

/* A change of the cards out of service at t, within the new outage's interval. */
struct step {
	int64_t t;
	int64_t delta;
};

static int
cmp_step(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

int
outage_check_room(int64_t base, const struct timeline_outage *outages, size_t n,
    const struct timeline_outage *o, struct outage_overflow *ov)
{
	struct step *st;
	int64_t out = 0;
	size_t ns = 0, i = 0;
	int rc = 0;

	if (o->from >= o->to || o->cards < 1 || base < 0)
		return GD_EINVAL;
	/* Two steps per outage at most, and one at o->from so that instant is checked. */
	if ((st = malloc((2 * n + 1) * sizeof(*st))) == NULL)
		return GD_ENOMEM;
	st[ns++] = (struct step){ o->from, 0 };
	for (size_t k = 0; k < n; k++) {
		const struct timeline_outage *x = &outages[k];

		if (x->to <= o->from || x->from >= o->to)
			continue;
		st[ns++] = (struct step){ x->from > o->from ? x->from : o->from, x->cards };
		if (x->to < o->to)
			st[ns++] = (struct step){ x->to, -x->cards };
	}
	qsort(st, ns, sizeof(*st), cmp_step);
	/* Out of service is constant between steps: check once after each instant's steps. */
	while (i < ns) {
		int64_t t = st[i].t;

		for (; i < ns && st[i].t == t; i++)
			out += st[i].delta;
		if (out > base - o->cards) {
			if (ov != NULL)
				*ov = (struct outage_overflow){ t, out };
			rc = GD_ECAPACITY;
			break;
		}
	}
	free(st);
	return rc;
}

static int64_t
ceil_div(int64_t a, int64_t b)
{
	return a / b + (a % b != 0);
}

/*
 * A make-up's shape on one pool (see outage.h): cards + 1 over the first
 * `extra` seconds, then `cards` until `len`; extra < len.
 */
struct shape {
	int64_t cards;
	int64_t len, extra;
	int64_t surplus;	/* milli-unit-seconds delivered beyond owed, < one card-hour */
};

/*
 * Sizes the make-up of d on a pool of weight w and base cards, both > 0.
 * False when its length passes int64_t (far beyond the civil range).
 */
static bool
size_makeup(const struct outage_debt *d, int64_t w, int64_t base, struct shape *sh)
{
	/* w <= PLACEMENT_MAX_WEIGHT, so a card-hour is at most 3.6 x 10^9. */
	int64_t grain = w * OUTAGE_MAKEUP_STEP, k = ceil_div(d->owed, grain);
	int64_t most = ceil_div(d->units_milli, w), hours, cards;

	if (most > base)
		most = base;
	hours = ceil_div(k, most);
	cards = k / hours;
	/* cards x hours <= k, and extra < hours, so only the lengths can overflow. */
	if (__builtin_mul_overflow(hours, OUTAGE_MAKEUP_STEP, &sh->len))
		return false;
	sh->cards = cards;
	sh->extra = (k - cards * hours) * OUTAGE_MAKEUP_STEP;
	/* k x grain - owed, written so that k x grain (up to owed + grain) cannot overflow. */
	sh->surplus = (grain - d->owed % grain) % grain;
	return true;
}

/*
 * The earliest start >= t at which the shape fits.  A failed try at t is
 * short at some instant x, so every start up to x fails as well (the shape
 * never grows with time, so such a start asks at least as much at x), and
 * the next candidate is the first boundary after x.  False only when the
 * make-up would leave the civil range.
 */
static bool
earliest(const struct timeline *tl, int64_t t, const struct shape *sh, int64_t *start)
{
	int64_t at, slack;

	for (;;) {
		if (t > civil_max_instant() - sh->len)
			return false;
		if ((sh->extra == 0 ||
		    !timeline_first_short(tl, t, t + sh->extra, sh->cards + 1, &at, &slack)) &&
		    !timeline_first_short(tl, t + sh->extra, t + sh->len, sh->cards, &at,
		    &slack)) {
			*start = t;
			return true;
		}
		/* Past the last boundary all of base is free, at least what the shape asks. */
		if (!timeline_next_change(tl, at, &t))
			return false;
	}
}

/* A pool's make-up for the debt being placed, and what it overpays. */
struct candidate {
	struct outage_makeup m;
	int64_t surplus;
};

/* Earliest start, then earliest end, then smaller surplus, then smaller id. */
static bool
before(const struct candidate *x, const struct candidate *y,
    const struct placement_pool *pools)
{
	if (x->m.from != y->m.from)
		return x->m.from < y->m.from;
	if (x->m.to != y->m.to)
		return x->m.to < y->m.to;
	if (x->surplus != y->surplus)
		return x->surplus < y->surplus;
	return strcmp(pools[x->m.pool].id, pools[y->m.pool].id) < 0;
}

static bool
eligible(const struct placement_pool *p, const struct outage_debt *d)
{
	return p->weight_milli >= d->min_weight && timeline_base(p->tl) > 0;
}

/* Whether id is a grant of some pool or an id of debts[0..i). */
static bool
id_taken(const struct placement_pool *pools, size_t npools, const struct outage_debt *debts,
    size_t i, int64_t id)
{
	for (size_t j = 0; j < i; j++)
		if (debts[j].grant_id == id || debts[j].extra_id == id)
			return true;
	for (size_t p = 0; p < npools; p++) {
		size_t ng;
		const struct timeline_grant *g = timeline_grants(pools[p].tl, &ng);

		for (size_t k = 0; k < ng; k++)
			if (g[k].id == id)
				return true;
	}
	return false;
}

static int
check_debts(const struct placement_pool *pools, size_t npools,
    const struct outage_debt *debts, size_t n)
{
	for (size_t p = 0; p < npools; p++) {
		if (pools[p].weight_milli <= 0 || pools[p].tl == NULL || pools[p].id == NULL)
			return GD_EINVAL;
		if (pools[p].weight_milli > PLACEMENT_MAX_WEIGHT)
			return GD_ERANGE;
	}
	for (size_t i = 0; i < n; i++) {
		const struct outage_debt *d = &debts[i];
		bool any = false;

		if (d->owed <= 0 || d->units_milli <= 0 || d->min_weight < 0)
			return GD_EINVAL;
		if (d->not_before < civil_min_instant() || d->not_before > civil_max_instant())
			return GD_ERANGE;
		if (d->grant_id == d->extra_id ||
		    id_taken(pools, npools, debts, i, d->grant_id) ||
		    id_taken(pools, npools, debts, i, d->extra_id))
			return GD_EEXIST;
		for (size_t p = 0; p < npools && !any; p++)
			any = eligible(&pools[p], d);
		if (!any)
			return GD_ENOCAPACITY;
	}
	return 0;
}

int
outage_compensate(struct placement_pool *pools, size_t npools,
    const struct outage_debt *debts, size_t n, struct outage_makeup *out)
{
	int rc;

	if ((rc = check_debts(pools, npools, debts, n)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const struct outage_debt *d = &debts[i];
		struct candidate best = { { 0, 0, 0, 0, 0 }, 0 };
		bool found = false;

		for (size_t p = 0; p < npools; p++) {
			struct shape sh;
			int64_t start;

			/* Too long a make-up fits nowhere; another pool may hold it. */
			if (!eligible(&pools[p], d) ||
			    !size_makeup(d, pools[p].weight_milli, timeline_base(pools[p].tl), &sh) ||
			    !earliest(pools[p].tl, d->not_before, &sh, &start))
				continue;
			struct candidate c = { { p, sh.cards, start, start + sh.len,
			    start + sh.extra }, sh.surplus };

			if (!found || before(&c, &best, pools)) {
				best = c;
				found = true;
			}
		}
		if (!found)
			return GD_ERANGE;
		struct timeline *tl = pools[best.m.pool].tl;
		struct timeline_grant g = { d->grant_id, best.m.from, best.m.to, best.m.cards };
		struct timeline_grant x = { d->extra_id, best.m.from, best.m.extra_to, 1 };

		if ((rc = timeline_add_grant(tl, &g)) != 0 ||
		    (x.to > x.from && (rc = timeline_add_grant(tl, &x)) != 0))
			return rc;
		out[i] = best.m;
	}
	return 0;
}
