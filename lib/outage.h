/* outage.h: what outages take from grants, shared exactly, and make-up grants that pay it back. */
#ifndef GRANTD_OUTAGE_H
#define GRANTD_OUTAGE_H

#include <stddef.h>
#include <stdint.h>

#include "placement.h"
#include "timeline.h"

/* A grant's loss in milli-unit-seconds (cards x weight_milli x seconds). */
struct outage_loss {
	int64_t grant_id;
	int64_t lost;
};

/*
 * The loss of every grant of the timeline within [from, to), a < b.  Where
 * granted > capacity, `impaired` cards are out of service; on each stretch
 * where capacity and the set of active grants are constant, the stretch
 * loses impaired x weight_milli x seconds, shared among the active grants in
 * proportion to their cards.  The shares are exact: each grant first gets
 * floor(total x cards / granted), then the few units left over go one each
 * to the largest remainders (ties to the smaller grant id), so the parts of
 * each stretch, and so of the whole, sum exactly to the total.  A grant's
 * share is within one milli-unit-second per stretch of its exact rational
 * share.
 *
 * *out is malloc'd (caller frees), sorted by grant id, and lists only grants
 * that lost something.  0, GD_EINVAL, GD_ERANGE (a product beyond int64_t)
 * or GD_ENOMEM.  Cost O(n log n + sum over impaired stretches of a log a),
 * a the grants active there.
 */
int outage_share_loss(const struct timeline *tl, int64_t weight_milli, int64_t from,
    int64_t to, struct outage_loss **out, size_t *n);

/*
 * What adding outage o would newly take from the timeline's grants, the
 * timeline being as it is before o: on each stretch of [o->from, o->to) the
 * impaired cards grow from max(0, granted - capacity) to max(0, granted -
 * max(0, capacity - o->cards)), and that growth x weight_milli x seconds is
 * shared among the active grants exactly as outage_share_loss shares a
 * stretch.  So units an earlier outage already took are never counted
 * again, every share is >= 0, and the shares sum exactly to the growth of
 * the pool's total loss.  The timeline is not changed.  Results, errors
 * and cost as outage_share_loss (GD_EINVAL also for o->cards < 1).
 */
int outage_added_loss(const struct timeline *tl, int64_t weight_milli,
    const struct timeline_outage *o, struct outage_loss **out, size_t *n);

/* Where one more outage would take out more cards than the pool has. */
struct outage_overflow {
	int64_t at;		/* the first such instant */
	int64_t out;		/* cards the recorded outages take out of service at `at` */
};

/*
 * Whether outage o fits beside a pool's recorded outages[]: at no instant
 * of [o->from, o->to) may the cards out of service, o's included, exceed
 * base.  0, or GD_ECAPACITY with the first instant where they would in *ov
 * (when ov is not NULL), GD_EINVAL (o->from >= o->to, o->cards < 1, base
 * < 0) or GD_ENOMEM.  outages[] are as a timeline holds them (cards at most
 * TIMELINE_MAX_CARDS), so their sums cannot overflow.  O(n log n).
 */
int outage_check_room(int64_t base, const struct timeline_outage *outages, size_t n,
    const struct timeline_outage *o, struct outage_overflow *ov);

/* What an enrollment is owed, and how to pay it back. */
struct outage_debt {
	int64_t owed;		/* milli-unit-seconds, > 0 */
	int64_t not_before;	/* the end of its window (or now, if later) */
	int64_t units_milli;	/* the package: the make-up never runs faster than this */
	int64_t min_weight;	/* only pools of at least this weight per card */
	int64_t grant_id;	/* the make-up grant's id in its pool's timeline */
	int64_t extra_id;	/* the id of its extra card's grant (see below), != grant_id */
};

/*
 * One make-up: pools[pool] holds `cards` over [from, to), and one card more
 * over [from, extra_to), a second grant, when extra_to > from (extra_to ==
 * from: none).
 */
struct outage_makeup {
	size_t pool;
	int64_t cards;
	int64_t from, to;
	int64_t extra_to;
};

/* The time step of a make-up: it lasts whole hours and holds whole cards. */
#define OUTAGE_MAKEUP_STEP 3600

/*
 * Places one make-up per debt, in the order given (callers sort, for
 * example by team id, so the result is deterministic), and adds its grants
 * to its pool's timeline so later debts see them.
 *
 * Sizing.  A make-up pays back what is owed in whole card-hours, and never
 * faster than the package.  Cards are whole; the hour is the time step
 * because usage is metered per UTC hour and providers lease by the hour (a
 * grant by hand may take any second, but 768 cards for 24 seconds would be
 * exact and useless).  On a pool of weight w (milli-units per card) and
 * base cards, one card-hour is g = w x 3600 milli-unit-seconds, and:
 *
 *	k     = ceil(owed / g)			 card-hours: the fewest that cover it
 *	most  = min(ceil(units_milli / w), base) cards at the package's rate
 *	hours = ceil(k / most)			 the shortest at that rate
 *	cards = floor(k / hours)
 *	extra = k - cards x hours		 0 <= extra < hours
 *
 * The make-up is `cards` cards for `hours` hours and, when extra > 0, one
 * more card for the first `extra` hours: exactly k card-hours, so it
 * delivers owed plus less than one card-hour of its pool (surplus = k x g -
 * owed, 0 <= surplus < g: at most one grain).  Its cards never exceed
 * `most` (when extra > 0, cards < k / hours <= most), and cards >= 1
 * (hours <= k).  So 5 unit-hours owed on B200 are 5 cards for an hour, not
 * a package of 768 for an hour; a debt of 6144 on a 768-card package is 768
 * cards for 8 hours; 769 card-hours are 385 cards for an hour and 384 for
 * the next (384 for 2 hours plus one card for the first hour).
 *
 * Placement.  On each pool of enough weight, the earliest start >=
 * not_before where cards + 1 are free for the first `extra` hours and
 * `cards` for the rest.  The shape never grows with time, so when a try
 * fails at instant x every start up to x fails too (it asks at least as
 * much at x), and only not_before and timeline boundaries can be earliest
 * starts: the scan jumps to the first boundary after x.  The pool with the
 * earliest start wins, then the earliest end, then the smaller surplus (a
 * lighter pool may pay a debt more exactly), then the smaller id (strcmp),
 * then index.  A pool of non-zero base always fits eventually: after its
 * last boundary all of it is free.
 *
 * Every debt is checked before anything changes: GD_EINVAL (bad debt),
 * GD_EEXIST (an id taken by a timeline's grant or another debt, or
 * grant_id == extra_id), GD_ENOCAPACITY (no pool of enough weight with
 * cards).  After that only GD_ERANGE (no pool can hold a make-up within
 * the civil range) or GD_ENOMEM can stop it, leaving the make-ups of
 * earlier debts in the timelines, so callers work on timelines they can
 * throw away.  out has n entries.
 */
int outage_compensate(struct placement_pool *pools, size_t npools,
    const struct outage_debt *debts, size_t n, struct outage_makeup *out);

#endif
