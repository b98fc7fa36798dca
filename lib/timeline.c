/* timeline.c: per-pool capacity calendar over coordinate-compressed boundaries. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "timeline.h"
#include "vec.h"

/* See timeline.h for the representation and its costs. */
struct timeline {
	int64_t base;
	struct timeline_outage *out;	/* owned */
	size_t nout, capout;
	struct timeline_grant *gr;	/* owned */
	size_t ngr, capgr;
	int64_t *pt;			/* owned: sorted distinct boundaries */
	size_t npt;
	size_t nleaf;			/* npt - 1 intervals, or 0 */
	int64_t *cap;			/* owned: capacity of each interval */
	int64_t *mn;			/* owned: min slack of a node, its own add included;
					 * 8 * nleaf: the max follows the min (node_max) */
	int64_t *add;			/* owned: add applied to a node's whole range */
};

static int
check_item(int64_t from, int64_t to, int64_t cards)
{
	if (from >= to || cards < 1)
		return GD_EINVAL;
	if (from < civil_min_instant() || to > civil_max_instant() || cards > TIMELINE_MAX_CARDS)
		return GD_ERANGE;
	return 0;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* How many of the n sorted values are < x (lower) or <= x (upper). */
static size_t
count_below(const int64_t *v, size_t n, int64_t x, bool or_equal)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] < x || (or_equal && v[mid] == x))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
find_point(const struct timeline *tl, int64_t x, size_t *i)
{
	size_t k = count_below(tl->pt, tl->npt, x, false);

	if (k == tl->npt || tl->pt[k] != x)
		return false;
	*i = k;
	return true;
}

/* The leaves (intervals) that meet [a, b), as [*lo, *hi); false if none. */
static bool
leaf_range(const struct timeline *tl, int64_t a, int64_t b, size_t *lo, size_t *hi)
{
	size_t l = count_below(tl->pt, tl->npt, a, true);
	size_t h = count_below(tl->pt, tl->npt, b, false);

	l = l > 0 ? l - 1 : 0;
	if (h > tl->nleaf)
		h = tl->nleaf;
	*lo = l;
	*hi = h;
	return l < h;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The max slack of each node, its own add included: the second half of mn. */
static int64_t *
node_max(const struct timeline *tl)
{
	return tl->mn + 4 * tl->nleaf;
}

/* Segment tree over leaves [l, r] (inclusive); node 1 is the root. */
static void
tree_build(struct timeline *tl, const int64_t *leaf, size_t node, size_t l, size_t r)
{
	int64_t *mx = node_max(tl);

	tl->add[node] = 0;
	if (l == r) {
		tl->mn[node] = mx[node] = leaf[l];
		return;
	}
	size_t m = l + (r - l) / 2;

	tree_build(tl, leaf, 2 * node, l, m);
	tree_build(tl, leaf, 2 * node + 1, m + 1, r);
	tl->mn[node] = min64(tl->mn[2 * node], tl->mn[2 * node + 1]);
	mx[node] = max64(mx[2 * node], mx[2 * node + 1]);
}

static void
tree_add(struct timeline *tl, size_t node, size_t l, size_t r, size_t ql, size_t qr, int64_t v)
{
	int64_t *mx = node_max(tl);

	if (qr < l || r < ql)
		return;
	if (ql <= l && r <= qr) {
		tl->add[node] += v;
		tl->mn[node] += v;
		mx[node] += v;
		return;
	}
	size_t m = l + (r - l) / 2;

	tree_add(tl, 2 * node, l, m, ql, qr, v);
	tree_add(tl, 2 * node + 1, m + 1, r, ql, qr, v);
	tl->mn[node] = min64(tl->mn[2 * node], tl->mn[2 * node + 1]) + tl->add[node];
	mx[node] = max64(mx[2 * node], mx[2 * node + 1]) + tl->add[node];
}

static int64_t
tree_min(const struct timeline *tl, size_t node, size_t l, size_t r, size_t ql, size_t qr)
{
	if (qr < l || r < ql)
		return INT64_MAX;
	if (ql <= l && r <= qr)
		return tl->mn[node];
	size_t m = l + (r - l) / 2;
	int64_t v = min64(tree_min(tl, 2 * node, l, m, ql, qr),
	    tree_min(tl, 2 * node + 1, m + 1, r, ql, qr));

	return v + tl->add[node];
}

/* The leftmost leaf of [ql, qr] whose slack is below cards; acc is the ancestors' adds. */
static bool
tree_find(const struct timeline *tl, size_t node, size_t l, size_t r, size_t ql, size_t qr,
    int64_t cards, int64_t acc, size_t *leaf, int64_t *slack)
{
	if (qr < l || r < ql || tl->mn[node] + acc >= cards)
		return false;
	if (l == r) {
		*leaf = l;
		*slack = tl->mn[node] + acc;
		return true;
	}
	size_t m = l + (r - l) / 2;

	acc += tl->add[node];
	return tree_find(tl, 2 * node, l, m, ql, qr, cards, acc, leaf, slack) ||
	    tree_find(tl, 2 * node + 1, m + 1, r, ql, qr, cards, acc, leaf, slack);
}

/* The rightmost leaf of [ql, qr] whose slack is below cards (tree_find from the right). */
static bool
tree_find_last(const struct timeline *tl, size_t node, size_t l, size_t r, size_t ql,
    size_t qr, int64_t cards, int64_t acc, size_t *leaf)
{
	if (qr < l || r < ql || tl->mn[node] + acc >= cards)
		return false;
	if (l == r) {
		*leaf = l;
		return true;
	}
	size_t m = l + (r - l) / 2;

	acc += tl->add[node];
	return tree_find_last(tl, 2 * node + 1, m + 1, r, ql, qr, cards, acc, leaf) ||
	    tree_find_last(tl, 2 * node, l, m, ql, qr, cards, acc, leaf);
}

/* The leftmost leaf of [ql, qr] whose slack is at least cards (tree_find's opposite). */
static bool
tree_find_ok(const struct timeline *tl, size_t node, size_t l, size_t r, size_t ql, size_t qr,
    int64_t cards, int64_t acc, size_t *leaf)
{
	if (qr < l || r < ql || node_max(tl)[node] + acc < cards)
		return false;
	if (l == r) {
		*leaf = l;
		return true;
	}
	size_t m = l + (r - l) / 2;

	acc += tl->add[node];
	return tree_find_ok(tl, 2 * node, l, m, ql, qr, cards, acc, leaf) ||
	    tree_find_ok(tl, 2 * node + 1, m + 1, r, ql, qr, cards, acc, leaf);
}

/* Writes the slack of leaves [ql, qr] into dst[0 ..]. */
static void
tree_leaves(const struct timeline *tl, size_t node, size_t l, size_t r, size_t ql, size_t qr,
    int64_t acc, int64_t *dst)
{
	if (qr < l || r < ql)
		return;
	if (l == r) {
		dst[l - ql] = tl->mn[node] + acc;
		return;
	}
	size_t m = l + (r - l) / 2;

	acc += tl->add[node];
	tree_leaves(tl, 2 * node, l, m, ql, qr, acc, dst);
	tree_leaves(tl, 2 * node + 1, m + 1, r, ql, qr, acc, dst);
}

/*
 * Recomputes boundaries, capacity and the tree from the items.  On failure
 * the old arrays stay, so callers can undo the item they appended.
 */
static int
rebuild(struct timeline *tl)
{
	size_t n = 2 * (tl->nout + tl->ngr), npt = 0, nleaf;
	int64_t *pt = NULL, *cap = NULL, *mn = NULL, *add = NULL, *dout = NULL, *dgr = NULL;

	if (n > 0 && (pt = malloc(n * sizeof(*pt))) == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < tl->nout; i++) {
		pt[npt++] = tl->out[i].from;
		pt[npt++] = tl->out[i].to;
	}
	for (size_t i = 0; i < tl->ngr; i++) {
		pt[npt++] = tl->gr[i].from;
		pt[npt++] = tl->gr[i].to;
	}
	if (npt > 0)
		qsort(pt, npt, sizeof(*pt), cmp_i64);
	n = npt;
	npt = 0;
	for (size_t i = 0; i < n; i++)
		if (npt == 0 || pt[npt - 1] != pt[i])
			pt[npt++] = pt[i];
	nleaf = npt > 0 ? npt - 1 : 0;

	if (nleaf > 0) {
		cap = malloc(nleaf * sizeof(*cap));
		mn = malloc(8 * nleaf * sizeof(*mn));
		add = malloc(4 * nleaf * sizeof(*add));
		dout = calloc(npt, sizeof(*dout));
		dgr = calloc(npt, sizeof(*dgr));
		if (cap == NULL || mn == NULL || add == NULL || dout == NULL || dgr == NULL) {
			free(pt);
			free(cap);
			free(mn);
			free(add);
			free(dout);
			free(dgr);
			return GD_ENOMEM;
		}
		/* Difference arrays over boundary indices, then prefix sums. */
		for (size_t i = 0; i < tl->nout; i++) {
			dout[count_below(pt, npt, tl->out[i].from, false)] += tl->out[i].cards;
			dout[count_below(pt, npt, tl->out[i].to, false)] -= tl->out[i].cards;
		}
		for (size_t i = 0; i < tl->ngr; i++) {
			dgr[count_below(pt, npt, tl->gr[i].from, false)] += tl->gr[i].cards;
			dgr[count_below(pt, npt, tl->gr[i].to, false)] -= tl->gr[i].cards;
		}
		int64_t lost = 0, granted = 0;

		for (size_t i = 0; i < nleaf; i++) {
			lost += dout[i];
			granted += dgr[i];
			cap[i] = max64(0, tl->base - lost);
			/* dout is free now: reuse it for the leaves' slack. */
			dout[i] = cap[i] - granted;
		}
	}
	free(tl->pt);
	free(tl->cap);
	free(tl->mn);
	free(tl->add);
	tl->pt = pt;
	tl->npt = npt;
	tl->nleaf = nleaf;
	tl->cap = cap;
	tl->mn = mn;
	tl->add = add;
	if (nleaf > 0)
		tree_build(tl, dout, 1, 0, nleaf - 1);
	free(dout);
	free(dgr);
	return 0;
}

static int
cmp_grant_id(const void *a, const void *b)
{
	int64_t x = ((const struct timeline_grant *)a)->id;
	int64_t y = ((const struct timeline_grant *)b)->id;

	return (x > y) - (x < y);
}

int
timeline_build(int64_t base, const struct timeline_outage *outages, size_t nout,
    const struct timeline_grant *grants, size_t ngrants, struct timeline **out)
{
	struct timeline *tl;
	int rc;

	if (base < 0)
		return GD_EINVAL;
	if (base > TIMELINE_MAX_CARDS)
		return GD_ERANGE;
	for (size_t i = 0; i < nout; i++)
		if ((rc = check_item(outages[i].from, outages[i].to, outages[i].cards)) != 0)
			return rc;
	for (size_t i = 0; i < ngrants; i++)
		if ((rc = check_item(grants[i].from, grants[i].to, grants[i].cards)) != 0)
			return rc;
	if ((tl = calloc(1, sizeof(*tl))) == NULL)
		return GD_ENOMEM;
	tl->base = base;
	if (vec_reserve(&tl->out, &tl->capout, nout, sizeof(*tl->out)) != 0 ||
	    vec_reserve(&tl->gr, &tl->capgr, ngrants, sizeof(*tl->gr)) != 0) {
		timeline_free(tl);
		return GD_ENOMEM;
	}
	if (nout > 0)
		memcpy(tl->out, outages, nout * sizeof(*outages));
	if (ngrants > 0)
		memcpy(tl->gr, grants, ngrants * sizeof(*grants));
	tl->nout = nout;
	tl->ngr = ngrants;
	/* Duplicate ids would make remove_grant ambiguous. */
	if (ngrants > 1) {
		struct timeline_grant *s = malloc(ngrants * sizeof(*s));

		if (s == NULL) {
			timeline_free(tl);
			return GD_ENOMEM;
		}
		memcpy(s, grants, ngrants * sizeof(*s));
		qsort(s, ngrants, sizeof(*s), cmp_grant_id);
		for (size_t i = 1; i < ngrants; i++)
			if (s[i].id == s[i - 1].id) {
				free(s);
				timeline_free(tl);
				return GD_EEXIST;
			}
		free(s);
	}
	if ((rc = rebuild(tl)) != 0) {
		timeline_free(tl);
		return rc;
	}
	*out = tl;
	return 0;
}

void
timeline_free(struct timeline *tl)
{
	if (tl == NULL)
		return;
	free(tl->out);
	free(tl->gr);
	free(tl->pt);
	free(tl->cap);
	free(tl->mn);
	free(tl->add);
	free(tl);
}

int64_t
timeline_base(const struct timeline *tl)
{
	return tl->base;
}

const struct timeline_grant *
timeline_grants(const struct timeline *tl, size_t *n)
{
	*n = tl->ngr;
	return tl->gr;
}

int
timeline_add_outage(struct timeline *tl, const struct timeline_outage *o)
{
	int rc;

	if ((rc = check_item(o->from, o->to, o->cards)) != 0)
		return rc;
	if (vec_reserve(&tl->out, &tl->capout, tl->nout + 1, sizeof(*tl->out)) != 0)
		return GD_ENOMEM;
	tl->out[tl->nout++] = *o;
	if ((rc = rebuild(tl)) != 0)
		tl->nout--;
	return rc;
}

/*
 * Makes x a boundary in O(p): the interval holding x (or the endless part
 * before or after all boundaries, where slack is base) is split in two
 * with equal values, and the tree is rebuilt from its leaves.  On failure
 * nothing changes.
 */
static int
insert_point(struct timeline *tl, int64_t x)
{
	size_t k = count_below(tl->pt, tl->npt, x, false);
	size_t npt = tl->npt + 1, nleaf = npt - 1, old = tl->nleaf;
	int64_t *pt, *cap = NULL, *slack = NULL, *oslack = NULL, *mn = NULL, *add = NULL;

	if (k < tl->npt && tl->pt[k] == x)
		return 0;
	pt = malloc(npt * sizeof(*pt));
	if (nleaf > 0) {
		cap = malloc(nleaf * sizeof(*cap));
		slack = malloc(nleaf * sizeof(*slack));
		mn = malloc(8 * nleaf * sizeof(*mn));
		add = malloc(4 * nleaf * sizeof(*add));
	}
	if (old > 0)
		oslack = malloc(old * sizeof(*oslack));
	if (pt == NULL || (nleaf > 0 && (cap == NULL || slack == NULL || mn == NULL ||
	    add == NULL)) || (old > 0 && oslack == NULL)) {
		free(pt);
		free(cap);
		free(slack);
		free(oslack);
		free(mn);
		free(add);
		return GD_ENOMEM;
	}
	if (old > 0)
		tree_leaves(tl, 1, 0, old - 1, 0, old - 1, 0, oslack);
	if (k > 0)
		memcpy(pt, tl->pt, k * sizeof(*pt));
	pt[k] = x;
	if (k < tl->npt)
		memcpy(pt + k + 1, tl->pt + k, (tl->npt - k) * sizeof(*pt));
	/* Leaves before x keep their index, those after it move up by one. */
	for (size_t j = 0; j < nleaf; j++) {
		bool before_all = j == 0 && k == 0;
		size_t src = j < k ? j : j - 1;
		bool outside = before_all || src >= old;

		cap[j] = outside ? tl->base : tl->cap[src];
		slack[j] = outside ? tl->base : oslack[src];
	}
	free(tl->pt);
	free(tl->cap);
	free(tl->mn);
	free(tl->add);
	tl->pt = pt;
	tl->npt = npt;
	tl->nleaf = nleaf;
	tl->cap = cap;
	tl->mn = mn;
	tl->add = add;
	if (nleaf > 0)
		tree_build(tl, slack, 1, 0, nleaf - 1);
	free(slack);
	free(oslack);
	return 0;
}

int
timeline_add_grant(struct timeline *tl, const struct timeline_grant *g)
{
	size_t lo, hi;
	int rc;

	if ((rc = check_item(g->from, g->to, g->cards)) != 0)
		return rc;
	for (size_t i = 0; i < tl->ngr; i++)
		if (tl->gr[i].id == g->id)
			return GD_EEXIST;
	if (vec_reserve(&tl->gr, &tl->capgr, tl->ngr + 1, sizeof(*tl->gr)) != 0)
		return GD_ENOMEM;
	/* A boundary left behind by a failure splits nothing that matters. */
	if ((rc = insert_point(tl, g->from)) != 0 || (rc = insert_point(tl, g->to)) != 0)
		return rc;
	tl->gr[tl->ngr++] = *g;
	find_point(tl, g->from, &lo);
	find_point(tl, g->to, &hi);
	tree_add(tl, 1, 0, tl->nleaf - 1, lo, hi - 1, -g->cards);
	return 0;
}

int
timeline_remove_grant(struct timeline *tl, int64_t id)
{
	size_t lo, hi;

	for (size_t i = 0; i < tl->ngr; i++) {
		if (tl->gr[i].id != id)
			continue;
		/* A current grant's boundaries are always among the points. */
		bool known = find_point(tl, tl->gr[i].from, &lo) &&
		    find_point(tl, tl->gr[i].to, &hi);

		assert(known);
		(void)known;
		tree_add(tl, 1, 0, tl->nleaf - 1, lo, hi - 1, tl->gr[i].cards);
		tl->gr[i] = tl->gr[--tl->ngr];
		return 0;
	}
	return GD_ENOENT;
}

int64_t
timeline_free_min(const struct timeline *tl, int64_t a, int64_t b)
{
	int64_t m = INT64_MAX;
	size_t lo, hi;

	assert(a < b);
	/* Outside the boundaries nothing is active: slack is base there. */
	if (tl->npt == 0 || a < tl->pt[0] || b > tl->pt[tl->npt - 1])
		m = tl->base;
	if (leaf_range(tl, a, b, &lo, &hi))
		m = min64(m, tree_min(tl, 1, 0, tl->nleaf - 1, lo, hi - 1));
	return max64(0, m);
}

bool
timeline_first_short(const struct timeline *tl, int64_t a, int64_t b, int64_t cards,
    int64_t *at, int64_t *slack)
{
	size_t lo, hi, leaf;

	assert(a < b);
	if (tl->base < cards && (tl->npt == 0 || a < tl->pt[0])) {
		*at = a;
		*slack = tl->base;
		return true;
	}
	if (leaf_range(tl, a, b, &lo, &hi) &&
	    tree_find(tl, 1, 0, tl->nleaf - 1, lo, hi - 1, cards, 0, &leaf, slack)) {
		*at = max64(a, tl->pt[leaf]);
		return true;
	}
	if (tl->base < cards && b > tl->pt[tl->npt - 1]) {
		*at = max64(a, tl->pt[tl->npt - 1]);
		*slack = tl->base;
		return true;
	}
	return false;
}

/* The first instant at or after leaf k's start where slack >= cards; INT64_MAX: none. */
static int64_t
stretch_end(const struct timeline *tl, size_t k, int64_t cards)
{
	size_t leaf;

	if (k < tl->nleaf && tree_find_ok(tl, 1, 0, tl->nleaf - 1, k, tl->nleaf - 1, cards, 0,
	    &leaf))
		return tl->pt[leaf];
	/* After the last boundary slack is base. */
	return tl->base >= cards ? tl->pt[tl->npt - 1] : INT64_MAX;
}

/* short_until on the leaves [lo, hi) of [a, b) (have: leaf_range's answer). */
static bool
short_until_in(const struct timeline *tl, int64_t a, int64_t b, size_t lo, size_t hi,
    bool have, int64_t cards, int64_t *until)
{
	size_t leaf;

	/* With no boundary slack is base everywhere; after the last, base for ever. */
	if (tl->base < cards && (tl->npt == 0 || b > tl->pt[tl->npt - 1])) {
		*until = INT64_MAX;
		return true;
	}
	if (have && tree_find_last(tl, 1, 0, tl->nleaf - 1, lo, hi - 1, cards, 0, &leaf)) {
		*until = stretch_end(tl, leaf + 1, cards);
		return true;
	}
	/* Before the first boundary slack is base too. */
	if (tl->base < cards && a < tl->pt[0]) {
		*until = stretch_end(tl, 0, cards);
		return true;
	}
	return false;
}

bool
timeline_short_until(const struct timeline *tl, int64_t a, int64_t b, int64_t cards,
    int64_t *until)
{
	size_t lo, hi;
	bool have;

	assert(a < b);
	have = leaf_range(tl, a, b, &lo, &hi);
	return short_until_in(tl, a, b, lo, hi, have, cards, until);
}

int64_t
timeline_free_until(const struct timeline *tl, int64_t a, int64_t b, int64_t *until)
{
	int64_t m = INT64_MAX, f;
	size_t lo, hi;
	bool have;

	assert(a < b);
	if (tl->npt == 0 || a < tl->pt[0] || b > tl->pt[tl->npt - 1])
		m = tl->base;
	if ((have = leaf_range(tl, a, b, &lo, &hi)))
		m = min64(m, tree_min(tl, 1, 0, tl->nleaf - 1, lo, hi - 1));
	f = max64(0, m);
	/* The minimum is reached in [a, b), so slack < f + 1 somewhere there. */
	if (!short_until_in(tl, a, b, lo, hi, have, f + 1, until))
		*until = a + 1;
	return f;
}

bool
timeline_last_change(const struct timeline *tl, int64_t *last)
{
	if (tl->npt == 0)
		return false;
	*last = tl->pt[tl->npt - 1];
	return true;
}

bool
timeline_next_change(const struct timeline *tl, int64_t t, int64_t *next)
{
	size_t k = count_below(tl->pt, tl->npt, t, true);

	if (k == tl->npt)
		return false;
	*next = tl->pt[k];
	return true;
}

/* Appends [from, to) with (capacity, granted), merging it into an equal predecessor. */
static void
put_segment(struct timeline_segment *s, size_t *n, int64_t from, int64_t to, int64_t cap,
    int64_t granted)
{
	int64_t alloc = min64(granted, cap);
	struct timeline_segment *p = *n > 0 ? &s[*n - 1] : NULL;

	if (from >= to)
		return;
	if (p != NULL && p->capacity == cap && p->allocated == alloc &&
	    p->impaired == granted - alloc) {
		p->to = to;
		return;
	}
	s[(*n)++] = (struct timeline_segment){ from, to, cap, alloc, granted - alloc, cap - alloc };
}

int
timeline_segments(const struct timeline *tl, int64_t a, int64_t b,
    struct timeline_segment **out, size_t *n)
{
	struct timeline_segment *s;
	int64_t *slack = NULL;
	size_t lo = 0, hi = 0, k = 0;
	bool leaves;

	assert(a < b);
	leaves = leaf_range(tl, a, b, &lo, &hi);
	if ((s = malloc((hi - lo + 2) * sizeof(*s))) == NULL)
		return GD_ENOMEM;
	if (tl->npt == 0) {
		put_segment(s, &k, a, b, tl->base, 0);
		*out = s;
		*n = k;
		return 0;
	}
	put_segment(s, &k, a, min64(b, tl->pt[0]), tl->base, 0);
	if (leaves) {
		if ((slack = malloc((hi - lo) * sizeof(*slack))) == NULL) {
			free(s);
			return GD_ENOMEM;
		}
		tree_leaves(tl, 1, 0, tl->nleaf - 1, lo, hi - 1, 0, slack);
		for (size_t i = lo; i < hi; i++)
			put_segment(s, &k, max64(a, tl->pt[i]), min64(b, tl->pt[i + 1]),
			    tl->cap[i], tl->cap[i] - slack[i - lo]);
		free(slack);
	}
	put_segment(s, &k, max64(a, tl->pt[tl->npt - 1]), b, tl->base, 0);
	*out = s;
	*n = k;
	return 0;
}

struct event {
	int64_t t, delta;
};

static int
cmp_event(const void *a, const void *b)
{
	return cmp_i64(&((const struct event *)a)->t, &((const struct event *)b)->t);
}

int
timeline_check_add(const struct timeline *tl, const struct timeline_grant *grants,
    size_t n, struct timeline_breach *b)
{
	struct event *ev;
	int64_t asked = 0, at, slack;
	int rc;

	for (size_t i = 0; i < n; i++)
		if ((rc = check_item(grants[i].from, grants[i].to, grants[i].cards)) != 0)
			return rc;
	if (n == 0)
		return 0;
	if ((ev = malloc(2 * n * sizeof(*ev))) == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		ev[2 * i] = (struct event){ grants[i].from, grants[i].cards };
		ev[2 * i + 1] = (struct event){ grants[i].to, -grants[i].cards };
	}
	qsort(ev, 2 * n, sizeof(*ev), cmp_event);
	/* Walk the new grants' step function left to right: the first breach is the earliest. */
	for (size_t i = 0; i < 2 * n;) {
		int64_t t = ev[i].t;

		while (i < 2 * n && ev[i].t == t)
			asked += ev[i++].delta;
		if (asked > 0 && i < 2 * n &&
		    timeline_first_short(tl, t, ev[i].t, asked, &at, &slack)) {
			if (b != NULL)
				*b = (struct timeline_breach){ at, max64(0, slack), asked };
			free(ev);
			return GD_ECAPACITY;
		}
	}
	free(ev);
	return 0;
}

/* Copies an array of n items of size sz (NULL for none); 0 or GD_ENOMEM. */
static int
dup_array(void **dst, const void *src, size_t n, size_t sz)
{
	*dst = NULL;
	if (src == NULL || n == 0)
		return 0;
	if ((*dst = malloc(n * sz)) == NULL)
		return GD_ENOMEM;
	memcpy(*dst, src, n * sz);
	return 0;
}

int
timeline_clone(const struct timeline *tl, struct timeline **out)
{
	struct timeline *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return GD_ENOMEM;
	c->base = tl->base;
	c->nout = c->capout = tl->nout;
	c->ngr = c->capgr = tl->ngr;
	c->npt = tl->npt;
	c->nleaf = tl->nleaf;
	if (dup_array((void **)&c->out, tl->out, tl->nout, sizeof(*c->out)) != 0 ||
	    dup_array((void **)&c->gr, tl->gr, tl->ngr, sizeof(*c->gr)) != 0 ||
	    dup_array((void **)&c->pt, tl->pt, tl->npt, sizeof(*c->pt)) != 0 ||
	    dup_array((void **)&c->cap, tl->cap, tl->nleaf, sizeof(*c->cap)) != 0 ||
	    dup_array((void **)&c->mn, tl->mn, 8 * tl->nleaf, sizeof(*c->mn)) != 0 ||
	    dup_array((void **)&c->add, tl->add, 4 * tl->nleaf, sizeof(*c->add)) != 0) {
		timeline_free(c);
		return GD_ENOMEM;
	}
	*out = c;
	return 0;
}

static int
cmp_outage(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct timeline_outage));
}

/* A sorted copy of items, for comparing as multisets. */
static void *
sorted_copy(const void *items, size_t n, size_t sz, int (*cmp)(const void *, const void *))
{
	void *s = malloc(n ? n * sz : 1);

	if (s && n) {
		memcpy(s, items, n * sz);
		qsort(s, n, sz, cmp);
	}
	return s;
}

int
timeline_equal(const struct timeline *a, const struct timeline *b)
{
	struct timeline_outage *oa, *ob;
	struct timeline_grant *ga, *gb;
	int eq;

	if (a->base != b->base || a->nout != b->nout || a->ngr != b->ngr)
		return 0;
	oa = sorted_copy(a->out, a->nout, sizeof(*oa), cmp_outage);
	ob = sorted_copy(b->out, b->nout, sizeof(*ob), cmp_outage);
	ga = sorted_copy(a->gr, a->ngr, sizeof(*ga), cmp_grant_id);
	gb = sorted_copy(b->gr, b->ngr, sizeof(*gb), cmp_grant_id);
	if (oa == NULL || ob == NULL || ga == NULL || gb == NULL)
		eq = GD_ENOMEM;
	else
		eq = memcmp(oa, ob, a->nout * sizeof(*oa)) == 0 &&
		    memcmp(ga, gb, a->ngr * sizeof(*ga)) == 0;
	free(oa);
	free(ob);
	free(ga);
	free(gb);
	return eq;
}
