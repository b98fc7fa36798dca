/* pools.h: pools, their outages (with the losses a new one causes) and their capacity timeline. */
#ifndef GRANTD_POOLS_H
#define GRANTD_POOLS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "civil.h"		/* struct civil_zone */
#include "outage.h"		/* struct outage_overflow */
#include "store_outages.h"	/* struct outage_in: what to record */
#include "store_pools.h"	/* struct pool_in: what to create */
#include "timeline.h"		/* struct timeline_segment */

struct db;

/*
 * As catalog.h: on the caller's connection, a change in the caller's open
 * transaction, audited by the caller; 0 or a GD_* code, a refusal's
 * one-line detail in err (left empty for storage or memory); objects in
 * the API shape, owned by the caller.
 */

int pools_get(struct db *db, const char *id, json_t **out);
int pools_list(struct db *db, const char *after, int64_t limit, json_t **items, char **next);
/*
 * Creates a pool, idempotent by id as catalog_team_create (*existed, *out).
 * GD_ENOENT (with err) for a card model that does not exist.
 */
int pools_create(struct db *db, const struct pool_in *p, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen);

/*
 * Records an outage of a pool of pool_cards cards.  One that would take
 * more cards out of service than the pool has at some instant, counting
 * the outages already recorded, is refused with GD_ECAPACITY and *ov says
 * where.  On success *id is the new outage and *out its API shape with
 * "losses": what it newly takes from each grant, computed before it is
 * stored, so that units an earlier outage already took are not reported
 * again (quota and fairness recompute losses from the timelines, so this
 * is a report, not a record that could drift).
 */
int pools_outage_add(struct db *db, const struct outage_in *o, int64_t pool_cards,
    int64_t now, struct outage_overflow *ov, int64_t *id, json_t **out);
/*
 * Late truth (issue 15): a standing outage corrected -- any of from, to and
 * cards given (has_*), checked like a new one, the outage itself left out
 * of the room it must fit in -- or cancelled.  Losses, owed unit-hours and
 * the report follow, as they are computed from the standing outages.  *out
 * is the outage as it stands after; *before (on update) as it stood.
 * Refusals, with err: GD_ENOENT (no such outage), GD_ESTATE (already
 * cancelled), GD_EINVAL (to not after from, more cards than the pool),
 * GD_ECAPACITY with *ov (outages would take more cards than the pool has;
 * err names the instant in `zone` with UTC beside it).
 */
struct outage_fix {
	int64_t from, to, cards;
	bool has_from, has_to, has_cards;
};
int pools_outage_update(struct db *db, int64_t id, const struct outage_fix *fx, int64_t now,
    const struct civil_zone *zone, struct outage_overflow *ov, json_t **before, json_t **out,
    char *err, size_t errlen);
int pools_outage_cancel(struct db *db, int64_t id, const char *reason, int64_t now,
    json_t **out, char *err, size_t errlen);

/* A pool's outages (after: an outage id, 0 from the start); GD_ENOENT (with err): no pool. */
int pools_outage_list(struct db *db, const char *pool, int64_t after, int64_t limit,
    json_t **items, char **next, char *err, size_t errlen);

/* The pool's capacity segments over [from, to) (*seg: caller frees); GD_ENOENT (with err). */
int pools_timeline(struct db *db, const char *pool, int64_t from, int64_t to,
    struct timeline_segment **seg, size_t *n, char *err, size_t errlen);

#endif
