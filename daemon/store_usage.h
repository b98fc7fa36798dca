/* store_usage.h: SQL for metered usage: batches, hourly aggregates, flags and idle marks. */
#ifndef GRANTD_STORE_USAGE_H
#define GRANTD_STORE_USAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"
#include "units.h"

struct db;

/*
 * Conventions as in store.h: 0 or a negative GD_* code, GD_ENOENT when a
 * row is missing; writes run in the caller's transaction.  Usage is kept
 * in GPU-seconds; the read functions that answer in milli-unit-seconds
 * multiply by each pool's card model weight as it is now.
 */

/*
 * The stored answer of the batch already accepted under batch_id: this
 * token's, or another token's with the same digest.  GD_ECONFLICT when the
 * batch_id names a batch of other samples (from this token, or from another
 * since 006 kept digests); GD_ENOENT when the batch is new.
 */
int store_usage_batch_get(struct db *db, const char *token_id, const char *batch_id,
    const char *digest, int64_t *samples, int64_t *flagged);
int store_usage_batch_insert(struct db *db, const char *token_id, const char *batch_id,
    const char *digest,
    int64_t samples, int64_t flagged, int64_t gpu_seconds, int64_t now, int64_t *id);

/*
 * What the nodes measured (schema/015): of the usage, the GPU-seconds of
 * samples that carried measurements (seconds), and their busy and
 * utilization-weighted GPU-seconds and joules.
 */
struct usage_measured {
	int64_t seconds, busy, util, energy;
};

/*
 * Adds to one hour's aggregate; enrollment 0 means "no grant behind it";
 * m (NULL: nothing measured) adds to the hour's measured sums.  GD_ERANGE
 * when a sum would pass INT64_MAX (nothing added).
 */
int store_usage_hour_add(struct db *db, int64_t enrollment, const char *pool,
    const char *team, int64_t hour, int64_t gpu_seconds, int64_t flagged_seconds,
    const struct usage_measured *m);
/* Adds to an enrollment's running total on a pool. */
int store_usage_total_add(struct db *db, int64_t enrollment, const char *pool,
    int64_t gpu_seconds);
int store_usage_flag_insert(struct db *db, int64_t batch, int64_t idx, const char *pool,
    const char *team, int64_t from, int64_t to, int64_t gpu_seconds, int64_t granted,
    const char *reason);

/* A pool's base cards and card model weight; GD_ENOENT when unknown. */
int store_usage_pool(struct db *db, const char *pool, int64_t *cards, int64_t *weight_milli);
/*
 * One pool as the calendar describes it (id, card model, weight, cards),
 * and its capacity timeline of outages and live grants, as calendar_load
 * builds it: for a decision about a few pools, without loading them all.
 */
struct cal_pool;
struct timeline;
int store_usage_cal_pool(struct db *db, const char *pool, struct cal_pool *out);
/* Whether the pool has any standing (not cancelled) outage: 1, 0, or a GD_* code. */
int store_usage_pool_has_outage(struct db *db, const char *pool);
int store_usage_timeline(struct db *db, const char *pool, int64_t base, struct timeline **tl);

/* 1 when the team exists, 0 when not, or a GD_* code. */
int store_usage_team_exists(struct db *db, const char *team);

/* A team's live grants on a pool, in start order; *gs malloc'd (NULL when none). */
struct usage_grant {
	int64_t enrollment, cards, start, end, id;
};
int store_usage_team_grants(struct db *db, const char *team, const char *pool,
    struct usage_grant **gs, size_t *n);

/*
 * The rate limit of a token's flagged samples: the flagged samples it has
 * added, and the GCRA's theoretical arrival time in microseconds; zeros for
 * a token that has none yet.
 */
int store_usage_budget_get(struct db *db, const char *token_id, int64_t *flagged,
    int64_t *tat_us);
int store_usage_budget_put(struct db *db, const char *token_id, int64_t flagged,
    int64_t tat_us);

/*
 * Every usage sum below is taken in C over the rows, wide (lib/units.h);
 * the int64 answers are GD_ERANGE when the sum does not fit, never capped.
 *
 * Milli-unit-seconds an enrollment used over all time, unnarrowed.
 */
int store_usage_used_wide(struct db *db, int64_t enrollment, units_wide *mus);

/*
 * Milli-unit-seconds an enrollment used in the hours that begin before at:
 * its running totals less the hours at or after at (few, for a recent at).
 */
int store_usage_used(struct db *db, int64_t enrollment, int64_t at, int64_t *mus);


/*
 * What an enrollment's nodes measured in the hours that begin before at
 * (every field 0 when nothing was measured); GD_ERANGE when a sum passes
 * int64.
 */
int store_usage_measured(struct db *db, int64_t enrollment, int64_t at,
    struct usage_measured *out);

/* One hour of an enrollment's usage on a pool, and of it what samples had flagged. */
struct usage_hour {
	int64_t hour, gpu_seconds, flagged_seconds;
};
/* The enrollment's hours on pool that begin in [from, to), by hour; *v malloc'd. */
int store_usage_hours_of(struct db *db, int64_t enrollment, const char *pool, int64_t from,
    int64_t to, struct usage_hour **v, size_t *n);
/* The enrollment's hours on pool where some sample was flagged when accepted, by hour. */
int store_usage_flagged_hours_of(struct db *db, int64_t enrollment, const char *pool,
    struct usage_hour **v, size_t *n);

/* A flagged sample's interval and usage. */
struct usage_span {
	int64_t from, to, gpu_seconds;
};
/*
 * The samples of team on pool flagged above_grant (judged against the
 * grants alone, so no outage changes the verdict); *v malloc'd.
 */
int store_usage_above_grant_of(struct db *db, const char *team, const char *pool,
    struct usage_span **v, size_t *n);

/* The GPU-seconds stored for (pool, team) in one UTC hour, whatever the enrollment. */
int store_usage_hour_sum(struct db *db, const char *pool, const char *team, int64_t hour,
    int64_t *gpu_seconds);

/* Milli-unit-seconds an enrollment used in the hours [from, to) (hour-aligned). */
int store_usage_used_between(struct db *db, int64_t enrollment, int64_t from, int64_t to,
    int64_t *mus);

/* The phases a team is enrolled in, in phase order; *phases malloc'd. */
int store_usage_team_phases(struct db *db, const char *team, char (**phases)[ID_MAX + 1],
    size_t *n);

/* An enrollment's idle flag as of `at`: *since, or -1 when it is not flagged then. */
int store_usage_idle_get(struct db *db, int64_t enrollment, int64_t at, int64_t *since);
int store_usage_idle_set(struct db *db, int64_t enrollment, int64_t since,
    int64_t utilization_ppm);
int store_usage_idle_clear(struct db *db, int64_t enrollment, int64_t at);
/* Enrollments with an open idle flag; *ids malloc'd. */
int store_usage_idle_open(struct db *db, int64_t **ids, size_t *n);

/* Every active enrollment's id; *ids malloc'd. */
int store_usage_active_enrollments(struct db *db, int64_t **ids, size_t *n);

/*
 * The version of the committed state that an answer read from db is keyed
 * by, and whether an answer computed now may be stored under it.
 *
 * With the daemon's writer at hand (db is the reader beside it), the
 * version is the writer's sqlite3_total_changes64(): every row any request
 * or timer changes is changed on that one connection (one writer, and a
 * second daemon is locked out), and the count only grows.  While the
 * writer is outside a transaction everything it changed is committed, so
 * the count names the committed state exactly, and answers are stored.
 * While a transaction is open (the group-commit batch), the count already
 * includes changes the reader cannot see yet: answers computed then are
 * not stored (a later COMMIT would make them stale under the same count),
 * but an answer stored earlier under the same count is still exact, since
 * the count has not moved.  This costs no SQL at all.
 *
 * Otherwise (writer NULL or db itself: a test or a tool with the reader
 * alone) the version is the reader's "PRAGMA data_version", which changes
 * whenever another connection commits.  The two kinds of version are kept
 * apart by parity.
 */
int store_usage_state_version(struct db *db, struct db *writer, int64_t *v, bool *storable);

/* The file of db's main database ("" for none), naming the connection's data. */
const char *store_usage_db_file(struct db *db);

#endif
