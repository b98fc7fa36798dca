/* ingest.h: usage ingest (POST /v1/usage): decode, check, flag, sum, rate-limit, store. */
#ifndef GRANTD_INGEST_H
#define GRANTD_INGEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config_usage;
struct db;

/* Limits of a batch. */
#define INGEST_MAX_SAMPLES 10000
#define INGEST_BATCH_ID_MAX 128
#define INGEST_DIGEST_LEN 64	/* hex SHA-256 of a batch's samples */
/* A sample may end this far past the daemon's clock: meters' clocks drift. */
#define INGEST_MAX_SKEW 300
/* One sample covers at most this long (a month of 31 days). */
#define INGEST_MAX_INTERVAL (31 * 86400)
/* A sample's energy_j is at most this many joules per GPU-second (a card's watts). */
#define INGEST_MAX_WATTS 5000

/* What a batch came to: its samples and how many of them were flagged. */
struct ingest_result {
	char batch_id[INGEST_BATCH_ID_MAX + 1];
	int64_t accepted, flagged, gpu_seconds;
	bool replayed;		/* the batch_id was seen before: nothing was added */
	/*
	 * Overlapping samples that add up past what the team had (caller
	 * decrefs; NULL for a replay): [{"pool", "team", "from", "to",
	 * "used_seconds", "allowed_seconds", "samples": [index...]}].
	 */
	json_t *overlaps;
};

/*
 * Ingests one POST /v1/usage body (parsed by the route) on the writer,
 * inside the request's savepoint, for the token token_id; agent_pool is
 * the pool of an agent's token (its samples must all be of that pool, and
 * its flagged samples are rate-limited), NULL for any other token;
 * agent_node the node an agent's token is bound to (its samples must be of
 * that node, and one that names none is taken as that node's), NULL when
 * none.  Each distinct (pool, node) of an accepted batch is noted as seen
 * (store_node_seen); a replay adds nothing, so notes nothing.  Every
 * sample is decoded and checked before anything is written, then the
 * samples are split across UTC hours (report_split), summed per
 * (enrollment, pool, team, hour) in memory and written as one upsert per
 * sum.
 *
 * Two bounds keep an agent from growing the store or the figures without
 * end.  An enrollment's metered usage must stay countable: a batch that
 * would take one past INT64_MAX milli-unit-seconds (2.5 million million
 * unit-hours, far past what the largest window can deliver, lib/units.h)
 * is refused with reason "usage_overflow", and so is one that would take
 * a sum of one hour (usage, flagged, measured, joules) past INT64_MAX.
 * And with lim (NULL: no bound),
 * an agent token's flagged samples are bounded by a rate and a total
 * (config [usage]): past either, the batch is refused with retry_after.
 *
 * Returns 0 with *res, or a refusal with a one-line detail in err (errlen
 * bytes; GD_ERRBUF hold any) and nothing written:
 *	GD_EINVAL	the body or a sample breaks a rule
 *	GD_EFORBIDDEN	a sample of another pool (or node) than the agent's; or,
 *			with retry_after among the fields, the rate limit
 *	GD_ECONFLICT	the token's batch_id again with other samples
 * with, in *fields (a new object, or NULL when there are none), what the
 * problem carries beside code and detail, in the order to give them:
 * "sample" (the index of the sample that broke a rule), "reason" (a short
 * code: "unknown_pool", "above_capacity", "usage_overflow", ...) and
 * "retry_after" (seconds).  err is left empty on any other code (GD_EIO,
 * GD_ENOMEM, GD_ERANGE, or a storage GD_ECONFLICT): those are not
 * refusals.  The caller audits a batch that was not a replay.
 */
int ingest_batch(struct db *db, const char *token_id, const char *agent_pool,
    const char *agent_node, const json_t *body, int64_t now, const struct config_usage *lim,
    struct ingest_result *res, char *err, size_t errlen, json_t **fields);

#endif
