/* calendar.h: the pools' capacity calendars, loaded from the store for one decision. */
#ifndef GRANTD_CALENDAR_H
#define GRANTD_CALENDAR_H

#include <stddef.h>
#include <stdint.h>

#include "placement.h"
#include "request.h"
#include "store_pools.h"	/* struct cal_pool */
#include "timeline.h"

struct db;

/*
 * Every pool with a timeline of its outages and live grants (grant ids are
 * the grants' row ids).  Built inside the request's transaction, so what it
 * shows is what the commit will check against: two placements in one batch
 * see each other.  Owns the timelines; calendar_free releases everything.
 */
struct calendar {
	size_t n;
	struct cal_pool *pools;
	struct placement_pool *pp;	/* parallel to pools, for lib/placement */
};

int calendar_load(struct db *db, struct calendar *s);
void calendar_free(struct calendar *s);

/*
 * calendar_load answers from a copy of the last calendar built on the same
 * connection while the store has not changed since (calendar.c says how
 * that is known); calendar_check builds one from the store and compares it
 * with what calendar_load gives: 0 when equal, GD_ECONFLICT when not.
 */
int calendar_check(struct db *db);

/* Index of a pool by id, or -1. */
ssize_t calendar_find(const struct calendar *s, const char *id);

/*
 * What outages took from each enrollment's grants in [from, to), in
 * milli-unit-seconds, computed from the timelines (so it always agrees with
 * the grants and outages as they are now).  *lost is a malloc'd array of
 * (enrollment, lost) pairs sorted by enrollment, only non-zero ones.
 */
struct enr_loss {
	int64_t enrollment;
	int64_t lost;
};
int calendar_losses(struct db *db, const struct calendar *s, int64_t from, int64_t to,
    struct enr_loss **lost, size_t *n);

/* The loss of one enrollment from such an array (0 when absent). */
int64_t calendar_loss_of(const struct enr_loss *lost, size_t n, int64_t enrollment);

#endif
