/* ingest_batch.h: a usage batch as ingest.c and its parts (ingest_*.c) share it, privately. */
#ifndef GRANTD_INGEST_BATCH_H
#define GRANTD_INGEST_BATCH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "request.h"		/* ID_MAX */
#include "store_usage.h"	/* struct usage_grant */

struct db;
struct timeline;

/* Distinct pool, team or node ids of a batch, pools and teams resolved against the store once. */
struct name {
	char id[ID_MAX + 1];	/* NODE_MAX == ID_MAX */
	size_t len;
	int state;		/* 0: not looked up, 1: exists, -1: unknown */
	int64_t cards, weight;	/* pools only */
};

struct names {
	struct name *v;
	size_t n, cap;
	uint32_t *slot;		/* open addressing: index + 1, 0 when empty */
	size_t nslot;
};

/* One sample as decoded; flag and granted are filled by the ingest. */
enum flag { FLAG_NONE, FLAG_NO_GRANT, FLAG_ABOVE_GRANT, FLAG_ABOVE_IN_SERVICE, FLAG_OVERLAPPING };

/* A sample's measurements given (busy_gpu_seconds, util_weighted_gpu_seconds, energy_j). */
#define MEAS_BUSY 0x1
#define MEAS_UTIL 0x2
#define MEAS_ENERGY 0x4

#define NO_NODE UINT32_MAX

struct sample {
	uint32_t pool, team;
	uint32_t node;		/* into the batch's nodes; NO_NODE: none */
	bool node_given;	/* the sample named it (else its token's node, or none) */
	unsigned meas;		/* MEAS_*: the measurements it carried */
	int64_t from, to, gpu;
	int64_t busy, util, energy;	/* 0 when not given */
	int64_t granted;	/* card-seconds the team held on the pool then */
	int64_t in_service;	/* of those, the ones no outage took out of service */
	enum flag flag;
};

struct batch_in {
	char batch_id[INGEST_BATCH_ID_MAX + 1];
	struct sample *s;
	size_t n, cap;
	struct names pools, teams, nodes;
};

/*
 * ingest_decode.c: the body decoded into b (samples, their ids interned;
 * GD_EINVAL with a message naming the sample in err); an id's index in t,
 * added when new (s: len bytes, a valid id); b's memory freed.
 */
int ingest_decode(const json_t *body, struct batch_in *b, char *err, size_t errlen);
int ingest_names_intern(struct names *t, const char *s, size_t len, uint32_t *idx);
void ingest_batch_free(struct batch_in *b);

/*
 * Checking, flagging and summing the samples.
 */

/* A team's grants on a pool, loaded when the pair first appears in the batch. */
struct pair {
	uint32_t pool, team;
	size_t first, n;	/* into grants */
};

/* A sum of the batch: one hour of (enrollment, pool, team), or a running total. */
#define HOUR_TOTAL INT64_MIN

struct agg {
	int64_t enrollment, hour;
	uint32_t pool, team;
	int64_t gpu, flagged;
	struct usage_measured m;	/* of samples that carried measurements; not in totals */
	bool used;
};

/*
 * A pool's outages as the ingest sees them, looked up once per batch: a
 * pool with no standing outage has every granted card in service, and
 * needs no timeline.
 */
struct svc {
	int state;		/* 0: not looked up, 1: no outage, 2: tl built */
	struct timeline *tl;
};

struct sums {
	struct svc *svc;	/* by pool index, b->pools.n of them */
	struct pair *pairs;
	size_t npairs, cappairs;
	uint32_t *pslot;	/* (pool, team) -> pair index + 1 */
	size_t npslot;
	struct usage_grant *grants;
	size_t ngrants, capgrants;
	struct agg *agg;
	size_t nagg, capagg;	/* capagg: a power of two, at most half full */
};

/* ingest.c: the (pool, team) pair of s, its grants loaded once; the sums by hour. */
int ingest_pair_get(struct db *db, const struct batch_in *b, struct sums *g,
    const struct sample *s, const struct pair **out);
int ingest_agg_add(struct sums *g, int64_t enrollment, int64_t hour, uint32_t pool,
    uint32_t team, int64_t gpu, int64_t flagged, const struct usage_measured *m);

/*
 * ingest_judge.c: a sample judged against the team's grants and the cards
 * in service, flagged and summed; then the overlapping samples of each
 * (pool, team) judged together (overlaps: what the answer says of them;
 * *newly: the samples that flagged).
 */
int ingest_sum_sample(struct db *db, const struct batch_in *b, struct sums *g,
    struct sample *s);
int ingest_check_overlaps(struct db *db, struct batch_in *b, struct sums *g, json_t *overlaps,
    int64_t *newly);
/*
 * Then the batch's hours against the usage stored before it for the same
 * (pool, team): the samples that meet an hour they take past the cards in
 * service are flagged overlapping too.
 */
int ingest_check_stored(struct db *db, struct batch_in *b, struct sums *g, json_t *overlaps,
    int64_t *newly);

#endif
