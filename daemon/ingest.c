/* ingest.c: usage ingest (POST /v1/usage): check, flag, sum, rate-limit, store a decoded batch. */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "ingest.h"
#include "ingest_batch.h"
#include "report.h"
#include "timeline.h"
#include "store_nodes.h"
#include "store_usage.h"
#include "units.h"
#include "vec.h"

/*
 * Checking, flagging and summing the samples.
 */

static void
sums_free(struct sums *g, size_t npools)
{
	for (size_t i = 0; g->svc && i < npools; i++)
		timeline_free(g->svc[i].tl);
	free(g->svc);
	free(g->pairs);
	free(g->pslot);
	free(g->grants);
	free(g->agg);
}

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static int
pair_slots_grow(struct sums *g)
{
	size_t ns = g->npslot ? g->npslot * 2 : 64;
	uint32_t *slot = calloc(ns, sizeof(*slot));

	if (slot == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < g->npairs; i++) {
		size_t k = mix(((uint64_t)g->pairs[i].pool << 32) | g->pairs[i].team) & (ns - 1);

		while (slot[k])
			k = (k + 1) & (ns - 1);
		slot[k] = (uint32_t)i + 1;
	}
	free(g->pslot);
	g->pslot = slot;
	g->npslot = ns;
	return 0;
}

/* The grants of the sample's team on its pool, loaded on first use. */
int
ingest_pair_get(struct db *db, const struct batch_in *b, struct sums *g, const struct sample *s,
    const struct pair **out)
{
	uint64_t key = ((uint64_t)s->pool << 32) | s->team;
	struct usage_grant *gs = NULL;
	const struct pair *p;
	size_t k, n = 0;
	int rc;

	if (2 * (g->npairs + 1) > g->npslot && (rc = pair_slots_grow(g)) < 0)
		return rc;
	for (k = mix(key) & (g->npslot - 1); g->pslot[k]; k = (k + 1) & (g->npslot - 1)) {
		p = &g->pairs[g->pslot[k] - 1];
		if (p->pool == s->pool && p->team == s->team) {
			*out = p;
			return 0;
		}
	}
	if ((rc = store_usage_team_grants(db, b->teams.v[s->team].id, b->pools.v[s->pool].id,
	    &gs, &n)) < 0)
		return rc;
	if ((rc = vec_reserve(&g->grants, &g->capgrants, g->ngrants + n, sizeof(*gs))) < 0) {
		free(gs);
		return rc;
	}
	if (n)
		memcpy(g->grants + g->ngrants, gs, n * sizeof(*gs));
	free(gs);
	if ((rc = vec_push(&g->pairs, &g->npairs, &g->cappairs,
	    &(struct pair){ s->pool, s->team, g->ngrants, n }, sizeof(struct pair))) < 0)
		return rc;
	g->ngrants += n;
	/* The slot holds the new pair's index + 1: npairs, now that it is pushed. */
	g->pslot[k] = (uint32_t)g->npairs;
	*out = &g->pairs[g->npairs - 1];
	return 0;
}

static size_t
agg_index(const struct agg *v, size_t cap, int64_t enrollment, int64_t hour, uint32_t pool,
    uint32_t team)
{
	uint64_t h = mix((uint64_t)enrollment * 0x9e3779b97f4a7c15ULL ^ (uint64_t)hour ^
	    ((uint64_t)pool << 40) ^ ((uint64_t)team << 20));
	size_t k = h & (cap - 1);

	while (v[k].used && !(v[k].enrollment == enrollment && v[k].hour == hour &&
	    v[k].pool == pool && v[k].team == team))
		k = (k + 1) & (cap - 1);
	return k;
}

/*
 * Adds to one sum.  Within a batch nothing overflows: at most 10^4 samples,
 * each at most 10^6 cards x 3600 s in an hour, and 5000 J a GPU-second of
 * that (check_sample): 1.8e17 J an hour at most.
 */
int
ingest_agg_add(struct sums *g, int64_t enrollment, int64_t hour, uint32_t pool, uint32_t team,
    int64_t gpu, int64_t flagged, const struct usage_measured *m)
{
	struct agg *a;
	size_t k;

	if (2 * (g->nagg + 1) > g->capagg) {
		size_t cap = g->capagg ? g->capagg * 2 : 256;
		struct agg *nv = calloc(cap, sizeof(*nv));

		if (nv == NULL)
			return GD_ENOMEM;
		for (size_t i = 0; i < g->capagg; i++) {
			if (!g->agg[i].used)
				continue;
			a = &g->agg[i];
			nv[agg_index(nv, cap, a->enrollment, a->hour, a->pool, a->team)] = *a;
		}
		free(g->agg);
		g->agg = nv;
		g->capagg = cap;
	}
	k = agg_index(g->agg, g->capagg, enrollment, hour, pool, team);
	a = &g->agg[k];
	if (!a->used) {
		*a = (struct agg){ enrollment, hour, pool, team, 0, 0, { 0, 0, 0, 0 }, true };
		g->nagg++;
	}
	a->gpu += gpu;
	a->flagged += flagged;
	if (m) {
		a->m.seconds += m->seconds;
		a->m.busy += m->busy;
		a->m.util += m->util;
		a->m.energy += m->energy;
	}
	return 0;
}

/*
 * Why a batch was refused: the GD_* code, a one-line detail in the
 * caller's buffer and, for a sample that broke a rule, its index and a
 * short reason code ("unknown_pool", "above_capacity", ...).
 */
struct refusal {
	char *detail;
	size_t len;
	int64_t sample;		/* -1 when the refusal is not about one sample */
	const char *reason;	/* NULL: none */
	int64_t retry_after;	/* seconds, for the rate limit; 0 otherwise */
};

/* Returns rc, the refusal's code, for the caller to return. */
static int
refuse(struct refusal *ref, int rc, int64_t sample, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
refuse(struct refusal *ref, int rc, int64_t sample, const char *reason, const char *fmt, ...)
{
	va_list ap;

	ref->sample = sample;
	ref->reason = reason;
	va_start(ap, fmt);
	vsnprintf(ref->detail, ref->len, fmt, ap);
	va_end(ap);
	return rc;
}

/* Looks every distinct pool and team up once. */
static int
resolve_names(struct db *db, struct batch_in *b)
{
	int rc;

	for (size_t i = 0; i < b->pools.n; i++) {
		struct name *p = &b->pools.v[i];

		rc = store_usage_pool(db, p->id, &p->cards, &p->weight);
		if (rc < 0 && rc != GD_ENOENT)
			return rc;
		p->state = rc == 0 ? 1 : -1;
	}
	for (size_t i = 0; i < b->teams.n; i++) {
		if ((rc = store_usage_team_exists(db, b->teams.v[i].id)) < 0)
			return rc;
		b->teams.v[i].state = rc == 1 ? 1 : -1;
	}
	return 0;
}

/*
 * What a node measured lies within the sample's own usage: busy and
 * utilization-weighted GPU-seconds are parts of gpu_seconds, and a card
 * draws at most INGEST_MAX_WATTS (gpu_seconds <= 10^6 cards x 31 days, so
 * the product, 1.4e16, fits).
 */
static bool
check_measured(const struct sample *s, size_t i, struct refusal *ref)
{
	int64_t i64 = (int64_t)i;

	if ((s->meas & MEAS_BUSY) && (s->busy < 0 || s->busy > s->gpu)) {
		refuse(ref, GD_EINVAL, i64, "busy_out_of_range", "samples[%zu]: "
		    "busy_gpu_seconds must be 0 to gpu_seconds (%lld), got %lld", i,
		    (long long)s->gpu, (long long)s->busy);
		return false;
	}
	if ((s->meas & MEAS_UTIL) && (s->util < 0 || s->util > s->gpu)) {
		refuse(ref, GD_EINVAL, i64, "util_out_of_range", "samples[%zu]: "
		    "util_weighted_gpu_seconds must be 0 to gpu_seconds (%lld), got %lld", i,
		    (long long)s->gpu, (long long)s->util);
		return false;
	}
	if ((s->meas & MEAS_ENERGY) && (s->energy < 0 ||
	    s->energy > s->gpu * INGEST_MAX_WATTS)) {
		refuse(ref, GD_EINVAL, i64, "energy_out_of_range", "samples[%zu]: energy_j must "
		    "be 0 to %d J per GPU-second of the sample (%lld), got %lld", i,
		    INGEST_MAX_WATTS, (long long)(s->gpu * INGEST_MAX_WATTS),
		    (long long)s->energy);
		return false;
	}
	return true;
}

/* The impossible: refused with the sample's index and nothing stored. */
static bool
check_sample(const struct batch_in *b, size_t i, int64_t now, struct refusal *ref)
{
	const struct sample *s = &b->s[i];
	const struct name *p = &b->pools.v[s->pool], *t = &b->teams.v[s->team];
	int64_t len = s->to - s->from;
	int64_t i64 = (int64_t)i;

	if (p->state < 0) {
		refuse(ref, GD_EINVAL, i64, "unknown_pool",
		    "samples[%zu]: pool '%s' does not exist", i, p->id);
		return false;
	}
	if (t->state < 0) {
		refuse(ref, GD_EINVAL, i64, "unknown_team",
		    "samples[%zu]: team '%s' does not exist", i, t->id);
		return false;
	}
	if (s->to <= s->from) {
		refuse(ref, GD_EINVAL, i64, "empty_interval",
		    "samples[%zu]: to must be after from", i);
		return false;
	}
	if (len > INGEST_MAX_INTERVAL) {
		refuse(ref, GD_EINVAL, i64, "interval_too_long",
		    "samples[%zu]: one sample covers at most %d days", i,
		    INGEST_MAX_INTERVAL / 86400);
		return false;
	}
	if (s->to > now + INGEST_MAX_SKEW) {
		refuse(ref, GD_EINVAL, i64, "in_future",
		    "samples[%zu]: the interval ends %lld s after the daemon's clock (at most "
		    "%d s of clock skew)", i, (long long)(s->to - now), INGEST_MAX_SKEW);
		return false;
	}
	if (s->gpu < 0) {
		refuse(ref, GD_EINVAL, i64, "negative",
		    "samples[%zu]: gpu_seconds must not be negative", i);
		return false;
	}
	/* cards <= 10^6 and len <= 31 days: the product fits easily. */
	if (s->gpu > p->cards * len) {
		refuse(ref, GD_EINVAL, i64, "above_capacity",
		    "samples[%zu]: %lld GPU-seconds is more than pool '%s' has: %lld cards x "
		    "%lld s = %lld", i, (long long)s->gpu, p->id, (long long)p->cards,
		    (long long)len, (long long)(p->cards * len));
		return false;
	}
	return check_measured(s, i, ref);
}

static void
put_le64(unsigned char *p, int64_t v)
{
	for (int j = 0; j < 8; j++)
		p[j] = (unsigned char)((uint64_t)v >> (8 * j));
}

/*
 * What a batch holds, for telling a repeat from another batch under the
 * same batch_id: SHA-256 over each sample's ids and numbers, in order, as
 * sent (a node a bound token's sample left out is not added here).
 *
 * Each sample is its pool and team, each ended by a NUL, and from, to and
 * gpu_seconds as 8 bytes little-endian.  A sample that names a node or
 * carries a measurement (issue 18) is followed by 0xFF, a byte of which
 * of them it has (1 node, 2 busy, 4 util, 8 energy), the node ended by a
 * NUL, and each measurement given as 8 bytes, in that order.  0xFF never
 * begins a pool id, so the bytes still read back one way; and a sample
 * with none of them hashes as before 015, so the digests stored for older
 * batches still match their repeats.
 */
static void
batch_digest(const struct batch_in *b, char hex[INGEST_DIGEST_LEN + 1])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES], num[24], ext[2], m[24];

	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i];
		const struct name *p = &b->pools.v[s->pool], *t = &b->teams.v[s->team];
		size_t nm = 0;

		put_le64(num, s->from);
		put_le64(num + 8, s->to);
		put_le64(num + 16, s->gpu);
		crypto_hash_sha256_update(&st, (const unsigned char *)p->id, p->len + 1);
		crypto_hash_sha256_update(&st, (const unsigned char *)t->id, t->len + 1);
		crypto_hash_sha256_update(&st, num, sizeof(num));
		if (!s->node_given && s->meas == 0)
			continue;
		ext[0] = 0xff;
		ext[1] = (unsigned char)((s->node_given ? 1 : 0) | (s->meas << 1));
		crypto_hash_sha256_update(&st, ext, 2);
		if (s->node_given)
			crypto_hash_sha256_update(&st, (const unsigned char *)b->nodes.v[s->node].id,
			    b->nodes.v[s->node].len + 1);
		if (s->meas & MEAS_BUSY) {
			put_le64(m + nm, s->busy);
			nm += 8;
		}
		if (s->meas & MEAS_UTIL) {
			put_le64(m + nm, s->util);
			nm += 8;
		}
		if (s->meas & MEAS_ENERGY) {
			put_le64(m + nm, s->energy);
			nm += 8;
		}
		crypto_hash_sha256_update(&st, m, nm);
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, INGEST_DIGEST_LEN + 1, h, sizeof(h));
}

static int
cmp_pool_node(const void *a, const void *b)
{
	const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Each distinct (pool, node) of the batch was seen now, in this batch. */
static int
nodes_seen(struct db *db, const struct batch_in *b, int64_t now)
{
	uint64_t *pn;
	size_t n = 0;
	int rc = 0;

	if (b->nodes.n == 0)
		return 0;
	if ((pn = calloc(b->n, sizeof(*pn))) == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < b->n; i++)
		if (b->s[i].node != NO_NODE)
			pn[n++] = (uint64_t)b->s[i].pool << 32 | b->s[i].node;
	qsort(pn, n, sizeof(*pn), cmp_pool_node);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (i == 0 || pn[i] != pn[i - 1])
			rc = store_node_seen(db, b->pools.v[pn[i] >> 32].id,
			    b->nodes.v[pn[i] & UINT32_MAX].id, b->batch_id, now);
	free(pn);
	return rc;
}

static int
write_batch(struct db *db, const char *token_id, const struct batch_in *b, const char *digest,
    const struct sums *g, int64_t now, struct ingest_result *res)
{
	static const char *const reasons[] = { "", "no_grant", "above_grant",
		"above_cards_in_service", "overlapping" };
	int64_t id;
	int rc;

	if ((rc = store_usage_batch_insert(db, token_id, b->batch_id, digest, res->accepted,
	    res->flagged, res->gpu_seconds, now, &id)) < 0)
		return rc;
	for (size_t k = 0; k < g->capagg; k++) {
		const struct agg *a = &g->agg[k];

		if (!a->used)
			continue;
		if (a->hour == HOUR_TOTAL)
			rc = store_usage_total_add(db, a->enrollment, b->pools.v[a->pool].id, a->gpu);
		else
			rc = store_usage_hour_add(db, a->enrollment, b->pools.v[a->pool].id,
			    b->teams.v[a->team].id, a->hour, a->gpu, a->flagged, &a->m);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i];

		if (s->flag != FLAG_NONE && (rc = store_usage_flag_insert(db, id, (int64_t)i,
		    b->pools.v[s->pool].id, b->teams.v[s->team].id, s->from, s->to, s->gpu,
		    s->flag == FLAG_ABOVE_IN_SERVICE || s->flag == FLAG_OVERLAPPING ?
		    s->in_service : s->granted,
		    reasons[s->flag])) < 0)
			return rc;
	}
	return nodes_seen(db, b, now);
}

/*
 * An enrollment's usage must stay an int64 of milli-unit-seconds: its
 * stored total (summed wide) plus what the batch adds, at each pool's
 * weight, is checked before anything is written.
 */
static int
check_totals(struct db *db, const struct batch_in *b, const struct sums *g,
    struct refusal *ref)
{
	int64_t done[64], mus;
	size_t ndone = 0;
	units_wide sum = 0;
	int rc;

	for (size_t k = 0; k < g->capagg; k++) {
		const struct agg *a = &g->agg[k];
		bool seen = false;

		if (!a->used || a->hour != HOUR_TOTAL)
			continue;
		for (size_t j = 0; j < ndone && !seen; j++)
			seen = done[j] == a->enrollment;
		if (seen)
			continue;
		if ((rc = store_usage_used_wide(db, a->enrollment, &sum)) < 0 && rc != GD_ERANGE)
			return rc;
		for (size_t j = 0; rc == 0 && j < g->capagg; j++)
			if (g->agg[j].used && g->agg[j].hour == HOUR_TOTAL &&
			    g->agg[j].enrollment == a->enrollment)
				sum += (units_wide)g->agg[j].gpu * b->pools.v[g->agg[j].pool].weight;
		if (rc == GD_ERANGE || units_narrow(sum, &mus) < 0) {
			return refuse(ref, GD_EINVAL, -1, "usage_overflow", "team '%s' would "
			    "have used more than grantd can count (%lld milli-unit-seconds, about "
			    "2.56e12 unit-hours) on its enrollment: usage already reported is "
			    "being reported again; nothing was stored", b->teams.v[a->team].id,
			    (long long)INT64_MAX);
		}
		/* Batches touch few enrollments; past 64 distinct, check again, in vain. */
		if (ndone < sizeof(done) / sizeof(done[0]))
			done[ndone++] = a->enrollment;
	}
	return 0;
}

/*
 * The flagged samples of an agent's batch against its token's budget: a
 * GCRA (one stored instant, tat) that lets flagged_per_hour through an hour,
 * all at once if need be, and the token's total.  Updates the budget when
 * the batch passes.  Past it: GD_EFORBIDDEN with ref->retry_after.
 */
#define US INT64_C(1000000)
#define HOUR_US (INT64_C(3600) * US)

static int
check_budget(struct db *db, const char *token_id, const struct config_usage *lim,
    int64_t flagged, int64_t now, struct refusal *ref)
{
	int64_t total, tat, now_us, step, next;
	int rc;

	if (lim == NULL || flagged == 0)
		return 0;
	if ((rc = store_usage_budget_get(db, token_id, &total, &tat)) < 0)
		return rc;
	if (total + flagged > lim->flagged_max) {
		refuse(ref, GD_EFORBIDDEN, -1, NULL, "this token has added %lld flagged "
		    "samples and the batch has %lld more, past usage.flagged_max (%d); nothing "
		    "was stored: an operator must look at the flagged usage and raise the limit",
		    (long long)total, (long long)flagged, lim->flagged_max);
		ref->retry_after = 3600;
		return GD_EFORBIDDEN;
	}
	/* now fits: instants are at most year 9999; flagged <= 10^4, step <= 3.6e9. */
	now_us = now * US;
	step = HOUR_US / lim->flagged_per_hour;
	next = (tat > now_us ? tat : now_us) + flagged * step;
	if (next - now_us > HOUR_US) {
		int64_t wait = (next - now_us - HOUR_US + US - 1) / US;

		if (flagged > lim->flagged_per_hour)
			refuse(ref, GD_EFORBIDDEN, -1, NULL, "the batch has %lld flagged "
			    "samples, more than usage.flagged_per_hour (%d) allows at once: send "
			    "them in smaller batches; nothing was stored", (long long)flagged,
			    lim->flagged_per_hour);
		else
			refuse(ref, GD_EFORBIDDEN, -1, NULL, "the batch has %lld flagged "
			    "samples and this token may add %d an hour (usage.flagged_per_hour); "
			    "retry in %lld s; nothing was stored", (long long)flagged,
			    lim->flagged_per_hour, (long long)wait);
		ref->retry_after = wait < 3600 ? (wait > 0 ? wait : 1) : 3600;
		return GD_EFORBIDDEN;
	}
	return store_usage_budget_put(db, token_id, total + flagged, next);
}

/* The problem's fields beside code and detail, in the order the reply gives them. */
static json_t *
refusal_fields(const struct refusal *ref)
{
	json_t *o = json_object();

	if (o == NULL)
		return NULL;
	if (ref->sample >= 0)
		json_object_set_new(o, "sample", json_integer(ref->sample));
	if (ref->reason)
		json_object_set_new(o, "reason", json_string(ref->reason));
	if (ref->retry_after > 0)
		json_object_set_new(o, "retry_after", json_integer(ref->retry_after));
	if (json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/*
 * An agent's samples are of its pool, and of its node when its token is
 * bound to one: a sample that names none is that node's (after the digest,
 * which covers the batch as sent).
 */
static int
check_agent(const struct batch_in *b, const char *agent_pool, const char *agent_node,
    struct refusal *ref)
{
	for (size_t i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i];
		const char *pool = b->pools.v[s->pool].id;

		if (strcmp(pool, agent_pool) != 0)
			return refuse(ref, GD_EFORBIDDEN, (int64_t)i, "other_pool",
			    "samples[%zu]: this agent token reports for pool '%s' only, not '%s'", i,
			    agent_pool, pool);
		if (agent_node && s->node_given && strcmp(b->nodes.v[s->node].id, agent_node) != 0)
			return refuse(ref, GD_EFORBIDDEN, (int64_t)i, "other_node",
			    "samples[%zu]: this agent token reports for node '%s' only, not '%s'", i,
			    agent_node, b->nodes.v[s->node].id);
	}
	return 0;
}

/* A bound agent's samples that name no node are its node's. */
static int
own_node(struct batch_in *b, const char *agent_node)
{
	uint32_t own;
	int rc;

	if (agent_node == NULL)
		return 0;
	if ((rc = ingest_names_intern(&b->nodes, agent_node, strlen(agent_node), &own)) < 0)
		return rc;
	for (size_t i = 0; i < b->n; i++)
		if (b->s[i].node == NO_NODE)
			b->s[i].node = own;
	return 0;
}

int
ingest_batch(struct db *db, const char *token_id, const char *agent_pool,
    const char *agent_node, const json_t *body, int64_t now, const struct config_usage *lim,
    struct ingest_result *res, char *err, size_t errlen, json_t **fields)
{
	struct batch_in b = { 0 };
	struct sums g = { 0 };
	struct ingest_result r = { 0 };
	struct refusal ref = { err, errlen, -1, NULL, 0 };
	char digest[INGEST_DIGEST_LEN + 1];
	int64_t samples, flagged, newly = 0;
	int rc;

	err[0] = '\0';
	*fields = NULL;
	if ((rc = ingest_decode(body, &b, err, errlen)) < 0)
		goto out;
	snprintf(r.batch_id, sizeof(r.batch_id), "%s", b.batch_id);
	if (agent_pool && (rc = check_agent(&b, agent_pool, agent_node, &ref)) < 0)
		goto out;
	batch_digest(&b, digest);
	if (agent_pool && (rc = own_node(&b, agent_node)) < 0)
		goto out;
	/*
	 * A batch accepted before, from this token or (with the same samples)
	 * any other: the first answer, nothing added.  This token's batch_id
	 * again with other samples is refused, never dropped in silence.
	 */
	rc = store_usage_batch_get(db, token_id, b.batch_id, digest, &samples, &flagged);
	if (rc == GD_ECONFLICT) {
		rc = refuse(&ref, GD_ECONFLICT, -1, NULL, "batch_id '%s' was accepted before "
		    "with other samples; a repeat must carry the same samples, new samples need "
		    "a new batch_id", b.batch_id);
		goto out;
	}
	if (rc == 0) {
		r.accepted = samples;
		r.flagged = flagged;
		r.replayed = true;
		*res = r;
		goto out;
	}
	if (rc != GD_ENOENT || (rc = resolve_names(db, &b)) < 0)
		goto out;
	for (size_t i = 0; i < b.n; i++) {
		if (!check_sample(&b, i, now, &ref)) {
			rc = GD_EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < b.n; i++) {
		if ((rc = ingest_sum_sample(db, &b, &g, &b.s[i])) < 0)
			goto out;
		r.flagged += b.s[i].flag != FLAG_NONE;
		/* At most 10^4 samples of 10^6 cards x 31 days: 2.7e16, no overflow. */
		r.gpu_seconds += b.s[i].gpu;
	}
	r.accepted = (int64_t)b.n;
	if ((r.overlaps = json_array()) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if ((rc = ingest_check_overlaps(db, &b, &g, r.overlaps, &newly)) < 0)
		goto out;
	r.flagged += newly;
	if ((rc = ingest_check_stored(db, &b, &g, r.overlaps, &newly)) < 0)
		goto out;
	r.flagged += newly;
	if ((rc = check_totals(db, &b, &g, &ref)) < 0 ||
	    (agent_pool && (rc = check_budget(db, token_id, lim, r.flagged, now, &ref)) < 0))
		goto out;
	/*
	 * A sum of an hour beyond int64 (the totals, checked above, bound the
	 * usage of an enrollment, not the joules nor the hours of no grant).
	 */
	if ((rc = write_batch(db, token_id, &b, digest, &g, now, &r)) == GD_ERANGE)
		rc = refuse(&ref, GD_EINVAL, -1, "usage_overflow", "an hour's usage would pass "
		    "what grantd can count (%lld) on pool and team; nothing was stored: usage "
		    "already reported is being reported again", (long long)INT64_MAX);
	if (rc < 0)
		goto out;
	*res = r;
	r.overlaps = NULL;
out:
	json_decref(r.overlaps);
	if (rc < 0 && err[0])
		*fields = refusal_fields(&ref);
	sums_free(&g, b.pools.n);
	ingest_batch_free(&b);
	return rc;
}
