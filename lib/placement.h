/* placement.h: earliest-fit search of a package over pools, and checks of explicit splits. */
#ifndef GRANTD_PLACEMENT_H
#define GRANTD_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "civil.h"
#include "timeline.h"

/*
 * What searches learnt of one pool, for later ones to start from: each span
 * says the pool had at most `ub` cards free in every window of `period`
 * seconds or more that starts in [from, until).  placement_find reads and
 * adds spans (the newest replacing the oldest); the caller keeps one hint
 * per pool and sets valid = false whenever the pool's timeline changes, or
 * passes none.
 */
#define PLACEMENT_HINT_SPANS 4
struct placement_hint {
	bool valid;
	unsigned n, next;	/* spans kept; the slot the next one takes */
	struct placement_hint_span {
		int64_t from, until, period, ub;
	} span[PLACEMENT_HINT_SPANS];
};

/*
 * A candidate pool.  The caller owns everything; placement only reads the
 * timeline (outage_compensate, which reuses this type, adds grants to it).
 */
struct placement_pool {
	const char *id;
	int64_t weight_milli;	/* units per card, in milli-units: B200 1000, H100 500 */
	struct timeline *tl;
	struct placement_hint *hint;	/* NULL: none */
};

#define PLACEMENT_MAX_POOLS 65534	/* the uint16_t table (placement.c) */
#define PLACEMENT_MAX_WEIGHT INT64_C(1000000)

/*
 * Exact search for mixed weights costs a table of (pools + 1) x (units / g
 * + 1) 16-bit entries on the day that is solved, g the gcd of the units and
 * the weights (1000 and 500 give g = 500, so 768 B200 is 1536 steps); pools
 * of one weight need none.  Weights with no common factor make the table
 * large; past this many bytes the search refuses with GD_ERANGE rather
 * than allocate without bound.
 */
#define PLACEMENT_MAX_TABLE (INT64_C(64) << 20)

struct placement_request {
	int64_t units_milli;	/* the package, > 0 */
	int64_t period;		/* seconds, > 0 */
	int64_t not_before;	/* starts are local midnights at or after this instant */
	int32_t zone_offset;	/* the programme's zone, seconds east of UTC */
	int64_t horizon;	/* the latest acceptable start (the contract: 3 years) */
};

struct placement_share {
	size_t pool;		/* index into the pools array */
	int64_t cards;		/* > 0, held for the whole window */
};

/* A window and its split.  Owns shares; placement_release frees them. */
struct placement {
	int64_t start, end;	/* [start, end), end = start + period */
	size_t nshares;
	struct placement_share *shares;	/* in preference order (see below) */
};

/*
 * Finds the earliest local midnight `start` >= not_before at which the pools
 * can hold exactly units_milli for all of [start, start + period), each pool
 * giving a constant number of whole cards.
 *
 * Among the splits at that start: the fewest pools; then, with the pools
 * ranked by free cards over the window (most first), then id (strcmp), then
 * index, the split that puts the most cards on the first-ranked pool, then
 * on the second, and so on.  So the answer is deterministic and prefers the
 * roomiest pools.  An exact dynamic programme over the ranked pools finds
 * it for any mix of weights: "fewest pools that reach exactly s units using
 * pools i.. only", per pool a sliding-window minimum over s, then a greedy
 * walk in rank order that keeps the optimum reachable.
 *
 * Only days where something changes are tried: if day d fits and d - 1 does
 * not, some pool's free cards change in (midnight(d) - 1 day, midnight(d)],
 * because otherwise every pool's free minimum over d's window is at most
 * that over d - 1's.  After the last boundary nothing changes, so the search
 * ends.  And most days are passed over without a query: a pool's free
 * cards over a window, with the end of the stretch (past the window too)
 * where its slack is that low, bound what it has free for every later
 * window that starts before that end (timeline_short_until); while the
 * bounds of all pools sum to less than the package, no start before the
 * earliest of those ends can fit, and the search jumps there.  Only a day the bounds allow is solved
 * exactly, so the answer is the same as trying every day.  Pools of one
 * weight are then split by rank alone (the roomiest first: the fewest
 * pools), mixed weights by the table.  Cost: O(P log n) per day the bounds
 * allow or lapse on, plus O(P x units / g) per exactly solved day of mixed
 * weights; no cut-off on P up to PLACEMENT_MAX_POOLS.
 *
 * Returns 0 with *out filled when the start is <= horizon.  GD_ENOCAPACITY
 * when not: then out->nshares > 0 gives the earliest start beyond the
 * horizon (the contract's earliest_start), and out->nshares == 0 means no
 * start ever fits.  GD_EINVAL, GD_ERANGE, GD_ENOMEM otherwise.  Release
 * *out after 0 and after GD_ENOCAPACITY.
 */
int placement_find(const struct placement_pool *pools, size_t npools,
    const struct placement_request *req, struct placement *out);
void placement_release(struct placement *p);

/* Why a placement starts later than asked: one pool that held it back. */
struct placement_delay {
	size_t pool;		/* index into the pools array */
	int64_t free_cards;	/* the fewest cards it had free, from not_before to until */
	int64_t until;		/* the end of its last stretch with too few cards */
};

/*
 * Explains a placement found by placement_find that starts after
 * not_before: for each share of *pl whose pool could not hold its cards for
 * the whole window from not_before, the fewest free cards it had in
 * [not_before, pl->start) and the end of the last stretch there where it had
 * fewer than the share.  (From pl->start on the share fits for the whole
 * window, so every short stretch lies before it.)  out has room for
 * pl->nshares entries, in the order of the shares; returns how many it
 * wrote, 0 when the placement starts at not_before.
 */
size_t placement_delays(const struct placement_pool *pools, const struct placement *pl,
    int64_t not_before, struct placement_delay *out);

/* One entry of an explicit split, as a request gives it. */
struct placement_split {
	const char *pool;
	int64_t cards;
};

/*
 * Validates an explicit split for the window [start, end).  Checks, in this
 * order, so that a capacity breach wins over unequal resources as the
 * contract asks: every pool is known (GD_ENOENT), listed once with cards > 0
 * (GD_EINVAL); every pool has the cards free over the whole window
 * (GD_ECAPACITY); the cards times weights sum to exactly units_milli
 * (GD_EFAIRNESS, which an operator may override).  On failure a sentence
 * naming the pool, the instant and the numbers is written to detail, the
 * instant in the programme's zone with UTC beside it (civil_format_when).
 */
int placement_check_split(const struct placement_pool *pools, size_t npools,
    const struct placement_split *split, size_t n, int64_t units_milli, int64_t start,
    int64_t end, const struct civil_zone *zone, char *detail, size_t len);

#endif
