/* calendar.h: the pools' capacity calendars, loaded from the store for one decision. */
#ifndef GRANTD_CALENDAR_H
#define GRANTD_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "placement.h"
#include "request.h"
#include "store_pools.h"	/* struct cal_pool */
#include "timeline.h"

struct db;

struct calmem;

/*
 * Every pool with a timeline of its outages and live grants (grant ids are
 * the grants' row ids).  What it shows is what the request's transaction
 * sees, so what it shows is what the commit will check against: two
 * placements in one batch see each other.  calendar_free releases it.
 */
struct calendar {
	size_t n;
	struct cal_pool *pools;		/* by id when sorted */
	struct placement_pool *pp;	/* parallel to pools, for lib/placement */
	bool sorted;
	struct calmem *kept;		/* a view of the kept calendar: read only */
};

/*
 * The daemon keeps one calendar in memory for its two connections
 * (calendar_attach): loaded from the store once, then changed grant by
 * grant as the writer changes the grants table (SQLite's update hook), and
 * mended after a rollback by reading again the rows changed since the
 * last commit.  A change to outages, pools or card models, or a commit by
 * another process, makes it rebuild.  The reader shares it while the
 * writer's open transaction has no calendar change of its own; otherwise
 * it builds its own from what it sees.  calendar.c says more.
 */
int calendar_attach(struct db *w, struct db *r);

/*
 * The calendar as db sees it: a read-only view of the kept one when db is
 * attached (cheap; do not change its timelines), else built from the
 * store.  calendar_load_own always gives a copy the caller may change.
 */
int calendar_load(struct db *db, struct calendar *s);
int calendar_load_own(struct db *db, struct calendar *s);
void calendar_free(struct calendar *s);

/*
 * Builds a calendar from the store and compares it with what
 * calendar_load gives: 0 when equal, GD_ECONFLICT when not.
 */
int calendar_check(struct db *db);

/*
 * The deep check of `grantd calendar verify`: every live grant put on a
 * calendar of the pools and outages one by one, as the kept calendar does
 * after each change, must give what a build from the store gives, and the
 * index must name every grant's pool and enrollment.  0, GD_ECONFLICT with
 * the difference in why, or another GD_* code.
 */
int calendar_verify(struct db *db, size_t *npools, size_t *ngrants, char *why, size_t len);

/*
 * The kept calendar also keeps what placement learnt of each pool (struct
 * placement_hint, cleared when the pool changes), so that the next search
 * from the same start skips what it already knows.  With checking on (the
 * daemon under GRANTD_CHECK_CALENDAR, some tests), every placement on it is
 * compared with one that starts from nothing.
 */
void calendar_set_checking(struct db *w, bool on);
bool calendar_checking(const struct calendar *s);

/* How the kept calendar was kept, for /metrics and tests. */
struct calendar_stats {
	uint64_t rebuilds;	/* loads of every pool from the store */
	uint64_t rows;		/* grant rows read again one by one */
	uint64_t private;	/* calendars built apart (reader during a change, views out) */
	size_t grants;		/* live grants in the kept calendar */
};
void calendar_stats(struct db *db, struct calendar_stats *out);

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
