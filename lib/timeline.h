/* timeline.h: one pool's capacity calendar: outages, grants and free cards over time. */
#ifndef GRANTD_TIMELINE_H
#define GRANTD_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A pool has `base` cards.  An outage takes `cards` out of service in
 * [from, to); a grant holds `cards` in [from, to).  At an instant t:
 *
 *	capacity(t) = max(0, base - sum of outages active at t)
 *	granted(t)  = sum of grants active at t
 *	slack(t)    = capacity(t) - granted(t)	(negative where outages
 *						 took granted cards away)
 *
 * Instants are int64_t seconds (UTC) within civil_min_instant() ..
 * civil_max_instant(); every interval is half-open and non-empty.  Cards of
 * one item and the base are at most TIMELINE_MAX_CARDS, so sums of any
 * realistic number of items cannot overflow int64_t.
 *
 * Representation: the sorted, distinct boundaries of every outage and grant
 * cut time into elementary intervals, on which capacity and granted are
 * constant.  Capacity per interval is a plain array; slack lives in a
 * segment tree with range-add and range-min (adds are kept in the nodes and
 * never pushed down).  Before the first and after the last boundary nothing
 * is active, so slack is `base` there.  With n = items and p = boundaries
 * (p <= 2n):
 *
 *	build, add_outage (a rebuild)		O(n log n)
 *	free_min, first_short, next_change	O(log p)
 *	segments over k intervals		O(k + log p)
 *	check_add of m grants			O(m log m + m log p)
 *	add_grant				O(n) (duplicate-id scan) + O(log p),
 *						+ O(p) per new boundary (arrays
 *						shift, tree rebuilt from leaves)
 *	remove_grant				O(n) + O(log p)
 *
 * Ownership: the timeline owns copies of its outages and grants; callers
 * keep their arrays.  A removed grant leaves its boundaries behind; they
 * split intervals that compare equal and disappear at the next rebuild
 * (build or add_outage).
 */
#define TIMELINE_MAX_CARDS INT64_C(1000000)

struct timeline_outage {
	int64_t from, to;
	int64_t cards;
};

struct timeline_grant {
	int64_t id;
	int64_t from, to;
	int64_t cards;
};

/* One step of the step function, in the contract's words. */
struct timeline_segment {
	int64_t from, to;
	int64_t capacity;	/* after outages */
	int64_t allocated;	/* min(granted, capacity): granted cards in service */
	int64_t impaired;	/* granted - allocated: granted cards an outage took */
	int64_t free;		/* capacity - allocated */
};

/* Where a set of new grants would not fit: the first such instant. */
struct timeline_breach {
	int64_t at;
	int64_t free;		/* capacity - granted at `at`, floored at 0 */
	int64_t asked;		/* cards the new grants ask for at `at` */
};

struct timeline;

/*
 * Builds a timeline.  0, GD_EINVAL (bad interval or cards), GD_ERANGE
 * (instant outside the civil range, cards above TIMELINE_MAX_CARDS),
 * GD_EEXIST (two grants with one id) or GD_ENOMEM.  Grants need not fit:
 * the timeline describes a state, it does not judge it (see check_add).
 */
int timeline_build(int64_t base, const struct timeline_outage *outages, size_t nout,
    const struct timeline_grant *grants, size_t ngrants, struct timeline **out);
void timeline_free(struct timeline *tl);

/* A copy of tl that owns its own arrays (0 or GD_ENOMEM): cheaper than a build. */
int timeline_clone(const struct timeline *tl, struct timeline **out);

/*
 * 1 when a and b hold the same base, outages and grants (in any order), 0
 * when not, GD_ENOMEM.  For checking a kept calendar against a rebuild.
 */
int timeline_equal(const struct timeline *a, const struct timeline *b);

int64_t timeline_base(const struct timeline *tl);
/* The grants as stored (order unspecified); valid until the next change. */
const struct timeline_grant *timeline_grants(const struct timeline *tl, size_t *n);

/* Adds an outage or a grant (validated as by build); the timeline is unchanged on error. */
int timeline_add_outage(struct timeline *tl, const struct timeline_outage *o);
int timeline_add_grant(struct timeline *tl, const struct timeline_grant *g);
/* Removes the grant with this id; GD_ENOENT when there is none. */
int timeline_remove_grant(struct timeline *tl, int64_t id);

/*
 * Cards that can be newly granted for the whole of [a, b), a < b:
 * max(0, min over [a, b) of slack).
 */
int64_t timeline_free_min(const struct timeline *tl, int64_t a, int64_t b);

/*
 * The first instant in [a, b) where slack < cards.  Returns true and sets
 * *at and *slack there, or false when `cards` fit over all of [a, b).
 */
bool timeline_first_short(const struct timeline *tl, int64_t a, int64_t b, int64_t cards,
    int64_t *at, int64_t *slack);

/*
 * Where the stretch of slack < cards that holds the last such instant of
 * [a, b) ends, however far past b it goes: true with a < *until (INT64_MAX
 * when it never ends), or false when `cards` fit over all of [a, b).
 * Every window [a', a' + (b - a)) with a <= a' < *until then has an
 * instant where slack < cards, so it holds fewer than `cards`: placement
 * uses it as a bound that lasts.
 */
bool timeline_short_until(const struct timeline *tl, int64_t a, int64_t b, int64_t cards,
    int64_t *until);

/*
 * timeline_free_min(a, b), with *until set as timeline_short_until sets
 * it for that many cards plus one: how long the answer bounds the free
 * cards of later windows of the same length.  One lookup of [a, b).
 */
int64_t timeline_free_until(const struct timeline *tl, int64_t a, int64_t b, int64_t *until);

/* The last boundary (where slack last changes); false when there is none. */
bool timeline_last_change(const struct timeline *tl, int64_t *last);

/*
 * The first boundary strictly after t, where slack may change.  False when
 * none: from t on, slack is base for ever.
 */
bool timeline_next_change(const struct timeline *tl, int64_t t, int64_t *next);

/*
 * The step function over [a, b), a < b: no gaps, no two equal neighbours.
 * *out is malloc'd (caller frees); 0 or GD_ENOMEM.
 */
int timeline_segments(const struct timeline *tl, int64_t a, int64_t b,
    struct timeline_segment **out, size_t *n);

/*
 * Whether adding these grants (validated as by build, ids not checked) keeps
 * granted <= capacity everywhere on their intervals.  0, or GD_ECAPACITY
 * with the first breach in *b (when b is not NULL), or GD_EINVAL, GD_ERANGE,
 * GD_ENOMEM.  The timeline is not changed.
 */
int timeline_check_add(const struct timeline *tl, const struct timeline_grant *grants,
    size_t n, struct timeline_breach *b);

#endif
