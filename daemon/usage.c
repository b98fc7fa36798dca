/* usage.c: usage ingest, quota figures, idle detection and the fairness report. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "calendar.h"
#include "civil.h"
#include "config.h"
#include "db.h"
#include "err.h"
#include "jsonv.h"
#include "ledger.h"
#include "log.h"
#include "outage.h"
#include "report.h"
#include "routes.h"
#include "store_grants.h"
#include "store_usage.h"
#include "store_vouchers.h"
#include "timers.h"
#include "units.h"
#include "usage.h"

/*
 * Part 1: the body of POST /v1/usage.
 *
 * The route hands over the body as jansson parsed it (duplicate keys,
 * invalid UTF-8 and integers beyond int64 refused, depth capped); each
 * sample is decoded against the contract's fields with jv_decode, as
 * strictly as any other body: unknown fields, wrong types and fractions
 * where whole GPU-seconds are due are refused, naming the sample.
 */

/* Distinct pool or team ids of a batch, each resolved against the store once. */
struct name {
	char id[ID_MAX + 1];
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

static uint64_t
hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;	/* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void
names_free(struct names *t)
{
	free(t->v);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static int
names_grow(struct names *t)
{
	size_t ns = t->nslot ? t->nslot * 2 : 64;
	uint32_t *slot = calloc(ns, sizeof(*slot));
	struct name *v;

	if (slot == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t k = hash_bytes(t->v[i].id, t->v[i].len) & (ns - 1);

		while (slot[k])
			k = (k + 1) & (ns - 1);
		slot[k] = (uint32_t)i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = ns;
	if ((v = realloc(t->v, (ns / 2) * sizeof(*v))) == NULL)
		return GD_ENOMEM;
	t->v = v;
	t->cap = ns / 2;
	return 0;
}

/* The index of id s (len bytes, a valid id) in t, adding it when new. */
static int
names_intern(struct names *t, const char *s, size_t len, uint32_t *idx)
{
	size_t k;
	int rc;

	if (t->n >= t->cap && (rc = names_grow(t)) < 0)
		return rc;
	for (k = hash_bytes(s, len) & (t->nslot - 1); t->slot[k]; k = (k + 1) & (t->nslot - 1)) {
		struct name *nm = &t->v[t->slot[k] - 1];

		if (nm->len == len && memcmp(nm->id, s, len) == 0) {
			*idx = t->slot[k] - 1;
			return 0;
		}
	}
	memcpy(t->v[t->n].id, s, len);
	t->v[t->n].id[len] = '\0';
	t->v[t->n].len = len;
	t->v[t->n].state = 0;
	t->slot[k] = (uint32_t)t->n + 1;
	*idx = (uint32_t)t->n++;
	return 0;
}

/* One sample as decoded; flag and granted are filled by the ingest. */
enum flag { FLAG_NONE, FLAG_NO_GRANT, FLAG_ABOVE_GRANT };

struct sample {
	uint32_t pool, team;
	int64_t from, to, gpu;
	int64_t granted;	/* card-seconds the team held on the pool then */
	enum flag flag;
};

struct batch {
	char batch_id[USAGE_BATCH_ID_MAX + 1];
	struct sample *s;
	size_t n, cap;
	struct names pools, teams;
};

static void
batch_free(struct batch *b)
{
	free(b->s);
	names_free(&b->pools);
	names_free(&b->teams);
}

/* The where of a refusal: re-decodes the sample with its index in the messages. */
static int
sample_refused(const json_t *o, const struct jv_field *f, size_t nf, size_t i, char *err,
    size_t errlen)
{
	char where[32];

	snprintf(where, sizeof(where), "samples[%zu].", i);
	return jv_decode(o, f, nf, where, err, errlen);
}

static int
parse_sample(const json_t *o, struct batch *b, size_t i, char *err, size_t errlen)
{
	struct sample *s = &b->s[i];
	const char *pool, *team;
	const struct jv_field f[] = {
		{ "pool", JV_ID, JV_REQUIRED, 0, 0, &pool, NULL },
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &team, NULL },
		{ "from", JV_INSTANT, JV_REQUIRED, 0, 0, &s->from, NULL },
		{ "to", JV_INSTANT, JV_REQUIRED, 0, 0, &s->to, NULL },
		/* 3600.0 is whole: some encoders write every number so. */
		{ "gpu_seconds", JV_INT, JV_REQUIRED | JV_WHOLE, INT64_MIN, INT64_MAX, &s->gpu,
		  NULL },
	};
	int rc;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "samples[%zu] must be an object", i);
		return GD_EINVAL;
	}
	/* The index goes into the message only when there is one to write. */
	if (jv_decode(o, f, NFIELDS(f), NULL, err, errlen) < 0)
		return sample_refused(o, f, NFIELDS(f), i, err, errlen);
	if ((rc = names_intern(&b->pools, pool, strlen(pool), &s->pool)) < 0 ||
	    (rc = names_intern(&b->teams, team, strlen(team), &s->team)) < 0)
		return rc;
	s->flag = FLAG_NONE;
	s->granted = 0;
	return 0;
}

static int
parse_body(const json_t *body, struct batch *b, char *err, size_t errlen)
{
	const char *id;
	json_t *samples;
	const struct jv_field f[] = {
		{ "batch_id", JV_STR, JV_REQUIRED, 0, USAGE_BATCH_ID_MAX, &id, NULL },
		{ "samples", JV_ARRAY, JV_REQUIRED, 0, USAGE_MAX_SAMPLES, &samples, NULL },
	};
	size_t n;
	int rc;

	if (jv_decode(body, f, NFIELDS(f), NULL, err, errlen) < 0)
		return GD_EINVAL;
	n = strspn(id, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");
	if (id[n] != '\0') {
		snprintf(err, errlen, "batch_id must be 1 to %d printable ASCII characters",
		    USAGE_BATCH_ID_MAX);
		return GD_EINVAL;
	}
	snprintf(b->batch_id, sizeof(b->batch_id), "%s", id);
	if ((n = json_array_size(samples)) == 0)
		return 0;
	if ((b->s = calloc(n, sizeof(*b->s))) == NULL)
		return GD_ENOMEM;
	b->cap = n;
	for (b->n = 0; b->n < n; b->n++)
		if ((rc = parse_sample(json_array_get(samples, b->n), b, b->n, err, errlen)) < 0)
			return rc;
	return 0;
}

/*
 * Part 2: checking, flagging and summing the samples.
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
	bool used;
};

struct ingest {
	struct pair *pairs;
	size_t npairs, cappairs;
	uint32_t *pslot;	/* (pool, team) -> pair index + 1 */
	size_t npslot;
	struct usage_grant *grants;
	size_t ngrants, capgrants;
	struct agg *agg;
	size_t nagg, capagg;	/* capagg: a power of two, at most half full */
};

static void
ingest_free(struct ingest *g)
{
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
pair_slots_grow(struct ingest *g)
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
static int
pair_get(struct db *db, const struct batch *b, struct ingest *g, const struct sample *s,
    const struct pair **out)
{
	uint64_t key = ((uint64_t)s->pool << 32) | s->team;
	struct usage_grant *gs = NULL;
	struct pair *p;
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
	if (g->ngrants + n > g->capgrants) {
		size_t cap = g->capgrants ? g->capgrants : 16;
		struct usage_grant *ng;

		while (cap < g->ngrants + n)
			cap *= 2;
		if ((ng = realloc(g->grants, cap * sizeof(*ng))) == NULL) {
			free(gs);
			return GD_ENOMEM;
		}
		g->grants = ng;
		g->capgrants = cap;
	}
	if (n)
		memcpy(g->grants + g->ngrants, gs, n * sizeof(*gs));
	free(gs);
	if (g->npairs == g->cappairs) {
		size_t cap = g->cappairs ? g->cappairs * 2 : 16;
		struct pair *np = realloc(g->pairs, cap * sizeof(*np));

		if (np == NULL)
			return GD_ENOMEM;
		g->pairs = np;
		g->cappairs = cap;
	}
	p = &g->pairs[g->npairs];
	*p = (struct pair){ s->pool, s->team, g->ngrants, n };
	g->ngrants += n;
	g->pslot[k] = (uint32_t)g->npairs++ + 1;
	*out = p;
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

static int
agg_add(struct ingest *g, int64_t enrollment, int64_t hour, uint32_t pool, uint32_t team,
    int64_t gpu, int64_t flagged)
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
		*a = (struct agg){ enrollment, hour, pool, team, 0, 0, true };
		g->nagg++;
	}
	a->gpu += gpu;
	a->flagged += flagged;
	return 0;
}

static void
refuse(struct usage_refusal *ref, int status, const char *code, int64_t sample,
    const char *reason, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
refuse(struct usage_refusal *ref, int status, const char *code, int64_t sample,
    const char *reason, const char *fmt, ...)
{
	va_list ap;

	ref->status = status;
	ref->code = code;
	ref->sample = sample;
	ref->reason = reason;
	va_start(ap, fmt);
	vsnprintf(ref->detail, sizeof(ref->detail), fmt, ap);
	va_end(ap);
}

/* Looks every distinct pool and team up once. */
static int
resolve_names(struct db *db, struct batch *b)
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

/* The impossible: refused with the sample's index and nothing stored. */
static bool
check_sample(const struct batch *b, size_t i, int64_t now, struct usage_refusal *ref)
{
	const struct sample *s = &b->s[i];
	const struct name *p = &b->pools.v[s->pool], *t = &b->teams.v[s->team];
	int64_t len = s->to - s->from;
	int64_t i64 = (int64_t)i;

	if (p->state < 0) {
		refuse(ref, 400, "bad_request", i64, "unknown_pool",
		    "samples[%zu]: pool '%s' does not exist", i, p->id);
		return false;
	}
	if (t->state < 0) {
		refuse(ref, 400, "bad_request", i64, "unknown_team",
		    "samples[%zu]: team '%s' does not exist", i, t->id);
		return false;
	}
	if (s->to <= s->from) {
		refuse(ref, 400, "bad_request", i64, "empty_interval",
		    "samples[%zu]: to must be after from", i);
		return false;
	}
	if (len > USAGE_MAX_INTERVAL) {
		refuse(ref, 400, "bad_request", i64, "interval_too_long",
		    "samples[%zu]: one sample covers at most %d days", i,
		    USAGE_MAX_INTERVAL / 86400);
		return false;
	}
	if (s->to > now + USAGE_MAX_SKEW) {
		refuse(ref, 400, "bad_request", i64, "in_future",
		    "samples[%zu]: the interval ends %lld s after the daemon's clock (at most "
		    "%d s of clock skew)", i, (long long)(s->to - now), USAGE_MAX_SKEW);
		return false;
	}
	if (s->gpu < 0) {
		refuse(ref, 400, "bad_request", i64, "negative",
		    "samples[%zu]: gpu_seconds must not be negative", i);
		return false;
	}
	/* cards <= 10^6 and len <= 31 days: the product fits easily. */
	if (s->gpu > p->cards * len) {
		refuse(ref, 400, "bad_request", i64, "above_capacity",
		    "samples[%zu]: %lld GPU-seconds is more than pool '%s' has: %lld cards x "
		    "%lld s = %lld", i, (long long)s->gpu, p->id, (long long)p->cards,
		    (long long)len, (long long)(p->cards * len));
		return false;
	}
	return true;
}

/* Flags the sample and adds its hours to the sums. */
static int
sum_sample(struct db *db, const struct batch *b, struct ingest *g, struct sample *s)
{
	const struct pair *pr;
	const struct usage_grant *gr;
	struct report_split sp;
	struct report_piece pc;
	int64_t granted = 0, enr;
	int rc;

	if ((rc = pair_get(db, b, g, s, &pr)) < 0)
		return rc;
	gr = g->grants + pr->first;
	for (size_t k = 0; k < pr->n; k++)
		granted += gr[k].cards * report_overlap(gr[k].start, gr[k].end, s->from, s->to);
	s->granted = granted;
	s->flag = granted == 0 ? FLAG_NO_GRANT : s->gpu > granted ? FLAG_ABOVE_GRANT : FLAG_NONE;
	if (s->gpu == 0)
		return 0;
	report_split_init(&sp, s->from, s->to, s->gpu);
	while (report_split_next(&sp, &pc)) {
		if (pc.share == 0)
			continue;
		/* The hour's usage belongs to the enrollment whose grant covers it. */
		enr = 0;
		for (size_t k = 0; k < pr->n && enr == 0; k++)
			if (report_overlap(gr[k].start, gr[k].end, pc.from, pc.to) > 0)
				enr = gr[k].enrollment;
		if ((rc = agg_add(g, enr, pc.hour, s->pool, s->team, pc.share,
		    s->flag != FLAG_NONE ? pc.share : 0)) < 0)
			return rc;
		if (enr && (rc = agg_add(g, enr, HOUR_TOTAL, s->pool, s->team, pc.share, 0)) < 0)
			return rc;
	}
	return 0;
}

/*
 * What a batch holds, for telling a repeat from another batch under the
 * same batch_id: SHA-256 over each sample's ids and numbers, in order.
 */
static void
batch_digest(const struct batch *b, char hex[USAGE_DIGEST_LEN + 1])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES], num[24];

	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i];
		const struct name *p = &b->pools.v[s->pool], *t = &b->teams.v[s->team];
		int64_t v[3] = { s->from, s->to, s->gpu };

		for (int k = 0; k < 3; k++)
			for (int j = 0; j < 8; j++)
				num[k * 8 + j] = (unsigned char)((uint64_t)v[k] >> (8 * j));
		crypto_hash_sha256_update(&st, (const unsigned char *)p->id, p->len + 1);
		crypto_hash_sha256_update(&st, (const unsigned char *)t->id, t->len + 1);
		crypto_hash_sha256_update(&st, num, sizeof(num));
	}
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(hex, USAGE_DIGEST_LEN + 1, h, sizeof(h));
}

static int
write_batch(struct db *db, const char *token_id, const struct batch *b, const char *digest,
    const struct ingest *g, int64_t now, struct usage_batch_result *res)
{
	static const char *const reasons[] = { "", "no_grant", "above_grant" };
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
			    b->teams.v[a->team].id, a->hour, a->gpu, a->flagged);
		if (rc < 0)
			return rc;
	}
	for (size_t i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i];

		if (s->flag != FLAG_NONE && (rc = store_usage_flag_insert(db, id, (int64_t)i,
		    b->pools.v[s->pool].id, b->teams.v[s->team].id, s->from, s->to, s->gpu,
		    s->granted, reasons[s->flag])) < 0)
			return rc;
	}
	return 0;
}

/*
 * An enrollment's usage must stay an int64 of milli-unit-seconds: its
 * stored total (summed wide) plus what the batch adds, at each pool's
 * weight, is checked before anything is written.
 */
static int
check_totals(struct db *db, const struct batch *b, const struct ingest *g,
    struct usage_refusal *ref)
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
			refuse(ref, 400, "bad_request", -1, NULL, "team '%s' would have used more "
			    "than grantd can count (%lld milli-unit-seconds, about 2.56e12 "
			    "unit-hours) on its enrollment: usage already reported is being "
			    "reported again; nothing was stored", b->teams.v[a->team].id,
			    (long long)INT64_MAX);
			ref->reason = "usage_overflow";
			return GD_EINVAL;
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
 * the batch passes.
 */
#define US INT64_C(1000000)
#define HOUR_US (INT64_C(3600) * US)

static int
check_budget(struct db *db, const struct principal *who, const struct config_usage *lim,
    int64_t flagged, int64_t now, struct usage_refusal *ref)
{
	int64_t total, tat, now_us, step, next;
	int rc;

	if (lim == NULL || who->role != ROLE_AGENT || flagged == 0)
		return 0;
	if ((rc = store_usage_budget_get(db, who->id, &total, &tat)) < 0)
		return rc;
	if (total + flagged > lim->flagged_max) {
		refuse(ref, 429, "rate_limited", -1, NULL, "this token has added %lld flagged "
		    "samples and the batch has %lld more, past usage.flagged_max (%d); nothing "
		    "was stored: an operator must look at the flagged usage and raise the limit",
		    (long long)total, (long long)flagged, lim->flagged_max);
		ref->retry_after = 3600;
		return GD_EINVAL;
	}
	/* now fits: instants are at most year 9999; flagged <= 10^4, step <= 3.6e9. */
	now_us = now * US;
	step = HOUR_US / lim->flagged_per_hour;
	next = (tat > now_us ? tat : now_us) + flagged * step;
	if (next - now_us > HOUR_US) {
		int64_t wait = (next - now_us - HOUR_US + US - 1) / US;

		if (flagged > lim->flagged_per_hour)
			refuse(ref, 429, "rate_limited", -1, NULL, "the batch has %lld flagged "
			    "samples, more than usage.flagged_per_hour (%d) allows at once: send "
			    "them in smaller batches; nothing was stored", (long long)flagged,
			    lim->flagged_per_hour);
		else
			refuse(ref, 429, "rate_limited", -1, NULL, "the batch has %lld flagged "
			    "samples and this token may add %d an hour (usage.flagged_per_hour); "
			    "retry in %lld s; nothing was stored", (long long)flagged,
			    lim->flagged_per_hour, (long long)wait);
		ref->retry_after = wait < 3600 ? (wait > 0 ? wait : 1) : 3600;
		return GD_EINVAL;
	}
	return store_usage_budget_put(db, who->id, total + flagged, next);
}

int
usage_ingest(struct db *db, const struct principal *who, const json_t *body, int64_t now,
    const struct config_usage *lim, struct usage_batch_result *res, struct usage_refusal *ref)
{
	struct batch b = { 0 };
	struct ingest g = { 0 };
	struct usage_batch_result r = { 0 };
	char digest[USAGE_DIGEST_LEN + 1];
	int64_t samples, flagged;
	int rc;

	ref->sample = -1;
	ref->reason = NULL;
	ref->retry_after = 0;
	if ((rc = parse_body(body, &b, ref->detail, sizeof(ref->detail))) < 0) {
		if (rc == GD_EINVAL) {
			ref->status = 400;
			ref->code = "bad_request";
		}
		goto out;
	}
	snprintf(r.batch_id, sizeof(r.batch_id), "%s", b.batch_id);
	if (who->role == ROLE_AGENT) {
		for (size_t i = 0; i < b.n; i++) {
			const char *pool = b.pools.v[b.s[i].pool].id;

			if (strcmp(pool, who->pool) != 0) {
				refuse(ref, 403, "forbidden", (int64_t)i, "other_pool", "samples[%zu]: "
				    "this agent token reports for pool '%s' only, not '%s'", i,
				    who->pool, pool);
				rc = GD_EFORBIDDEN;
				goto out;
			}
		}
	}
	batch_digest(&b, digest);
	/*
	 * A batch accepted before, from this token or (with the same samples)
	 * any other: the first answer, nothing added.  This token's batch_id
	 * again with other samples is refused, never dropped in silence.
	 */
	rc = store_usage_batch_get(db, who->id, b.batch_id, digest, &samples, &flagged);
	if (rc == GD_ECONFLICT) {
		refuse(ref, 409, "conflict", -1, NULL, "batch_id '%s' was accepted before with "
		    "other samples; a repeat must carry the same samples, new samples need a new "
		    "batch_id", b.batch_id);
		rc = GD_EINVAL;
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
		if (!check_sample(&b, i, now, ref)) {
			rc = GD_EINVAL;
			goto out;
		}
	}
	for (size_t i = 0; i < b.n; i++) {
		if ((rc = sum_sample(db, &b, &g, &b.s[i])) < 0)
			goto out;
		r.flagged += b.s[i].flag != FLAG_NONE;
		/* At most 10^4 samples of 10^6 cards x 31 days: 2.7e16, no overflow. */
		r.gpu_seconds += b.s[i].gpu;
	}
	r.accepted = (int64_t)b.n;
	if ((rc = check_totals(db, &b, &g, ref)) < 0 ||
	    (rc = check_budget(db, who, lim, r.flagged, now, ref)) < 0)
		goto out;
	if ((rc = write_batch(db, who->id, &b, digest, &g, now, &r)) < 0)
		goto out;
	*res = r;
out:
	ingest_free(&g);
	batch_free(&b);
	return rc;
}

/*
 * Part 3: one enrollment's figures at an instant (lib/report.h).
 */

struct view {
	struct enrollment e;
	struct grant *gs;
	struct report_grant *rg;
	size_t ng;
	struct report_facts facts;
	struct report_figures fig;
};

static void
view_free(struct view *v)
{
	free(v->gs);
	free(v->rg);
	v->gs = NULL;
	v->rg = NULL;
}

/* Sums what outages took from the enrollment's grants in [from, to). */
static int
view_losses(const struct calendar *cal, const struct view *v, int64_t from, int64_t to,
    int64_t *lost)
{
	struct outage_loss *ol;
	size_t nol;
	int64_t sum = 0;
	int rc = 0;

	*lost = 0;
	if (from >= to)
		return 0;
	for (size_t i = 0; i < cal->n && rc == 0; i++) {
		bool mine = false;

		for (size_t k = 0; k < v->ng && !mine; k++)
			mine = strcmp(v->gs[k].pool, cal->pools[i].id) == 0;
		if (!mine)
			continue;
		ol = NULL;
		nol = 0;
		rc = outage_share_loss(cal->pp[i].tl, cal->pools[i].weight_milli, from, to, &ol, &nol);
		for (size_t j = 0; rc == 0 && j < nol; j++)
			for (size_t k = 0; k < v->ng; k++)
				if (v->gs[k].id == ol[j].grant_id &&
				    __builtin_add_overflow(sum, ol[j].lost, &sum))
					rc = GD_ERANGE;
		free(ol);
	}
	if (rc == 0)
		*lost = sum;
	return rc;
}

/*
 * Fills the view of v->e at `at`.  With have_grants, v->gs and v->ng are
 * already loaded (and owned by v); otherwise they are read here.
 */
static int
view_load(struct db *db, const struct calendar *cal, const struct phase_info *pi,
    int64_t at, struct view *v, bool have_grants)
{
	struct report_facts *f = &v->facts;
	ssize_t p;
	int rc;

	v->rg = NULL;
	if (!have_grants) {
		v->gs = NULL;
		v->ng = 0;
		if ((rc = store_grants_of(db, v->e.id, &v->gs, &v->ng)) < 0)
			return rc;
	}
	if (v->ng && (v->rg = calloc(v->ng, sizeof(*v->rg))) == NULL)
		return GD_ENOMEM;
	*f = (struct report_facts){ .start = v->e.start, .end = v->e.end,
		.ended_at = v->e.ended_at, .units_milli = pi->units_milli };
	for (size_t k = 0; k < v->ng; k++) {
		if ((p = calendar_find(cal, v->gs[k].pool)) < 0)
			return GD_EIO;
		v->rg[k] = (struct report_grant){ v->gs[k].start, v->gs[k].end,
			v->gs[k].cards * cal->pools[p].weight_milli,
			strcmp(v->gs[k].kind, "compensation") == 0 };
		if (v->rg[k].compensation && __builtin_add_overflow(f->compensation_total,
		    v->rg[k].units_milli * (v->rg[k].end - v->rg[k].start),
		    &f->compensation_total))
			return GD_ERANGE;
	}
	if ((rc = report_granted(v->rg, v->ng, v->e.start, at, &f->granted)) < 0 ||
	    (rc = view_losses(cal, v, civil_min_instant(), at, &f->lost)) < 0 ||
	    (rc = view_losses(cal, v, civil_min_instant(), civil_max_instant(),
	    &f->lost_total)) < 0 ||
	    (rc = store_usage_used(db, v->e.id, at, &f->used)) < 0)
		return rc;
	return report_figures(f, at, &v->fig);
}

/* Steps a one-value statement and resets it. */
static int
one_value(sqlite3_stmt *st, int64_t *v)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	db_done(st);
	return rc == SQLITE_ROW ? 0 : GD_EIO;
}

static json_t *
ratio_json(int64_t ppm)
{
	return json_real((double)ppm / 1e6);
}

static json_t *
idle_json(int64_t since)
{
	json_t *o = json_pack("{s:b}", "flagged", since >= 0);

	if (o && since >= 0)
		json_object_set_new(o, "since", jv_instant(since));
	return o;
}

/* An enrollment's voucher balances; zeros when it has no voucher account. */
static int
voucher_of(struct db *db, int64_t enrollment, struct ledger_account *a, int64_t *available)
{
	int rc = store_account_of_enrollment(db, enrollment, a);

	*available = 0;
	if (rc == GD_ENOENT) {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	if (rc < 0 || (rc = store_voucher_as_seen(db, a)) < 0)
		return rc;
	if (ledger_available(a, available) < 0 || *available < 0)
		*available = 0;
	return 0;
}

static json_t *
window_json(const struct view *v, const struct phase_info *pi, bool days_detail)
{
	char sd[CIVIL_DATE_LEN], ed[CIVIL_DATE_LEN];
	json_t *w;

	civil_format_date(civil_local_day(v->e.start, pi->tz_off), sd);
	civil_format_date(civil_local_day(v->e.end, pi->tz_off), ed);
	w = json_pack("{s:o, s:o, s:I, s:s, s:s}", "start", jv_instant(v->e.start), "end",
	    jv_instant(v->e.end), "days", (json_int_t)v->fig.days, "start_date", sd,
	    "end_date", ed);
	if (w && days_detail) {
		json_object_set_new(w, "days_elapsed", json_integer(v->fig.days_elapsed));
		json_object_set_new(w, "days_left", json_integer(v->fig.days_left));
	}
	return w;
}

/* Chooses the phase of a quota request; fills err when it cannot. */
static int
quota_phase(struct db *db, const char *team, const char *phase, char out[ID_MAX + 1],
    char *err, size_t errlen)
{
	char (*ph)[ID_MAX + 1] = NULL;
	size_t n = 0, o;
	int rc;

	if (phase) {
		snprintf(out, ID_MAX + 1, "%s", phase);
		return 0;
	}
	if ((rc = store_usage_team_phases(db, team, &ph, &n)) < 0)
		return rc;
	if (n == 1) {
		snprintf(out, ID_MAX + 1, "%s", ph[0]);
		rc = 0;
	} else if (n == 0) {
		snprintf(err, errlen, "team '%s' is not enrolled in any phase", team);
		rc = GD_ENOENT;
	} else {
		o = (size_t)snprintf(err, errlen, "team '%s' is enrolled in %zu phases; name one "
		    "with ?phase=:", team, n);
		for (size_t i = 0; i < n && o < errlen; i++)
			o += (size_t)snprintf(err + o, errlen - o, "%s %s", i ? "," : "", ph[i]);
		rc = GD_EINVAL;
	}
	free(ph);
	return rc;
}

/*
 * A calendar of only the pools the grants use: their timelines are all the
 * outage losses of these grants depend on.  Freed by calendar_free.
 */
static int
calendar_of_grants(struct db *db, const struct grant *gs, size_t ng, struct calendar *cal)
{
	int rc = 0;

	memset(cal, 0, sizeof(*cal));
	if (ng == 0)
		return 0;
	if ((cal->pools = calloc(ng, sizeof(*cal->pools))) == NULL ||
	    (cal->pp = calloc(ng, sizeof(*cal->pp))) == NULL) {
		calendar_free(cal);
		return GD_ENOMEM;
	}
	for (size_t k = 0; k < ng && rc == 0; k++) {
		struct cal_pool *p = &cal->pools[cal->n];

		if (calendar_find(cal, gs[k].pool) >= 0)
			continue;
		if ((rc = store_usage_cal_pool(db, gs[k].pool, p)) < 0)
			break;
		cal->pp[cal->n].id = p->id;
		cal->pp[cal->n].weight_milli = p->weight_milli;
		rc = store_usage_timeline(db, p->id, p->cards, &cal->pp[cal->n].tl);
		if (rc == 0)
			cal->n++;
	}
	if (rc < 0)
		calendar_free(cal);
	return rc;
}

/* The grants active at `at`, in the shape GET /v1/grants gives them. */
static json_t *
active_grants_json(const struct view *v, const struct calendar *cal, int64_t at)
{
	json_t *a = json_array(), *g;
	char id[32];
	ssize_t p;

	for (size_t k = 0; a && k < v->ng; k++) {
		const struct grant *gr = &v->gs[k];

		if (gr->start > at || gr->end <= at || (p = calendar_find(cal, gr->pool)) < 0)
			continue;
		grant_id_format(gr->id, id);
		g = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:s}", "id", id,
		    "phase", v->e.phase, "team", v->e.team, "pool", gr->pool, "card_model",
		    cal->pools[p].card_model, "cards", (json_int_t)gr->cards, "units",
		    jv_milli(gr->cards * cal->pools[p].weight_milli), "start",
		    jv_instant(gr->start), "end", jv_instant(gr->end), "kind", gr->kind);
		if (g && gr->planned_end != gr->end)
			json_object_set_new(g, "planned_end", jv_instant(gr->planned_end));
		json_array_append_new(a, g);
	}
	return a;
}

static int
quota_build(struct db *db, const char *team, const char *phase, int64_t at, json_t **out,
    char *err, size_t errlen)
{
	struct calendar cal = { 0 };
	struct view v = { 0 };
	struct phase_info pi;
	struct ledger_account acc;
	char ph[ID_MAX + 1];
	int64_t since, avail;
	json_t *o;
	int rc;

	if ((rc = quota_phase(db, team, phase, ph, err, errlen)) < 0) {
		/* Say which is missing: the team, or its enrollment. */
		if (rc == GD_ENOENT && store_usage_team_exists(db, team) == 0)
			snprintf(err, errlen, "team '%s' does not exist", team);
		return rc;
	}
	if ((rc = store_enrollment_get(db, ph, team, &v.e)) < 0) {
		if (rc == GD_ENOENT && store_phase_info(db, ph, &pi) == GD_ENOENT)
			snprintf(err, errlen, "phase '%s' does not exist", ph);
		else if (rc == GD_ENOENT && store_usage_team_exists(db, team) == 0)
			snprintf(err, errlen, "team '%s' does not exist", team);
		else if (rc == GD_ENOENT)
			snprintf(err, errlen, "team '%s' is not enrolled in phase '%s'", team, ph);
		return rc;
	}
	if ((rc = store_phase_info(db, ph, &pi)) < 0 ||
	    (rc = store_grants_of(db, v.e.id, &v.gs, &v.ng)) < 0 ||
	    (rc = calendar_of_grants(db, v.gs, v.ng, &cal)) < 0)
		goto out;
	if ((rc = view_load(db, &cal, &pi, at, &v, true)) < 0 ||
	    (rc = store_usage_idle_get(db, v.e.id, at, &since)) < 0 ||
	    (rc = voucher_of(db, v.e.id, &acc, &avail)) < 0)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, "
	    "s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:o, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "team", team, "phase", ph, "state", v.e.state, "at", jv_instant(at),
	    "window", window_json(&v, &pi, true),
	    "counted", json_pack("{s:o, s:o}", "from", jv_instant(v.fig.counted_from), "to",
	    jv_instant(v.fig.counted_to > v.fig.counted_from ? v.fig.counted_to :
	    v.fig.counted_from)),
	    "units", jv_milli(pi.units_milli), "grants", active_grants_json(&v, &cal, at),
	    "unit_hours", "entitled", unit_hours_json(v.fig.entitled),
	    "granted", unit_hours_json(v.fig.granted),
	    "delivered", unit_hours_json(v.fig.delivered), "lost", unit_hours_json(v.fig.lost),
	    "owed", unit_hours_json(v.fig.owed), "used", unit_hours_json(v.fig.used),
	    "utilization", ratio_json(v.fig.utilization_ppm),
	    "idle", idle_json(since),
	    "voucher", "budget_krw", (json_int_t)acc.budget, "held_krw", (json_int_t)acc.held,
	    "settled_krw", (json_int_t)acc.settled, "refunded_krw", (json_int_t)acc.refunded,
	    "returned_krw", (json_int_t)acc.returned, "available_krw", (json_int_t)avail);
	if (o == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if (v.e.ended_at >= 0)
		json_object_set_new(json_object_get(o, "window"), "ended_at",
		    jv_instant(v.e.ended_at));
	*out = o;
out:
	view_free(&v);
	calendar_free(&cal);
	return rc;
}

/*
 * Every statement of one answer reads the same snapshot, and the reader
 * takes its WAL read lock once instead of once per statement.
 */
static int
read_begin(struct db *db, bool *began)
{
	sqlite3_stmt *st;
	int rc;

	*began = false;
	if (!sqlite3_get_autocommit(db_handle(db)))
		return 0;
	if ((st = db_prep(db, "BEGIN")) == NULL)
		return GD_EIO;
	rc = sqlite3_step(st);
	db_done(st);
	if (rc != SQLITE_DONE)
		return GD_EIO;
	*began = true;
	return 0;
}

static void
read_end(struct db *db, bool began)
{
	sqlite3_stmt *st;

	if (began && (st = db_prep(db, "COMMIT")) != NULL) {
		sqlite3_step(st);
		db_done(st);
	}
}

int
usage_quota(struct db *db, const char *team, const char *phase, int64_t at, json_t **out,
    char *err, size_t errlen)
{
	bool began;
	int rc;

	if ((rc = read_begin(db, &began)) < 0)
		return rc;
	rc = quota_build(db, team, phase, at, out, err, errlen);
	read_end(db, began);
	return rc;
}

/*
 * The answer cache.  A quota is a function of the committed state, the
 * team, the phase asked for and `at`; an answer stored with the version of
 * the state it was computed from (state_version below) is exact for as long
 * as the version stays.  A team's dashboard polls "now", so every
 * poll within the same second and the same state is served from here.
 * Entries are replaced least recently used first.
 */
#define QCACHE_SLOTS 64

struct qentry {
	const struct db *db;
	int64_t version, at;
	char team[ID_MAX + 1], phase[ID_MAX + 1];
	char *text;
	size_t len;
	uint64_t used;
};

static struct qentry qcache[QCACHE_SLOTS];
static uint64_t qtick;
/*
 * The connection the entries belong to, by address and file name: a
 * connection opened later at the same address (another database, or the
 * same one reopened) starts its data_version afresh, so the cache is
 * emptied whenever the asker changes.
 */
static const struct db *qowner;
static char qowner_file[4096];

void
usage_cache_clear(void)
{
	for (size_t i = 0; i < QCACHE_SLOTS; i++)
		free(qcache[i].text);
	memset(qcache, 0, sizeof(qcache));
	qowner = NULL;
	qowner_file[0] = '\0';
}

static void
qcache_owner(struct db *db)
{
	const char *f = sqlite3_db_filename(db_handle(db), "main");

	if (f == NULL)
		f = "";
	if (qowner == db && strcmp(qowner_file, f) == 0)
		return;
	usage_cache_clear();
	qowner = db;
	snprintf(qowner_file, sizeof(qowner_file), "%s", f);
}

static int
data_version(struct db *db, int64_t *v)
{
	sqlite3_stmt *st = db_prep(db, "PRAGMA data_version");

	return st ? one_value(st, v) : GD_EIO;
}

static struct qentry *
qcache_find(const struct db *db, int64_t version, const char *team, const char *phase,
    int64_t at)
{
	for (size_t i = 0; i < QCACHE_SLOTS; i++) {
		struct qentry *q = &qcache[i];

		if (q->text && q->db == db && q->version == version && q->at == at &&
		    strcmp(q->team, team) == 0 && strcmp(q->phase, phase) == 0)
			return q;
	}
	return NULL;
}

static void
qcache_put(const struct db *db, int64_t version, const char *team, const char *phase,
    int64_t at, const char *text, size_t len)
{
	struct qentry *q = &qcache[0];
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return;		/* a cache that cannot grow just misses */
	for (size_t i = 1; i < QCACHE_SLOTS && q->text; i++)
		if (qcache[i].text == NULL || qcache[i].used < q->used)
			q = &qcache[i];
	free(q->text);
	memcpy(copy, text, len + 1);
	*q = (struct qentry){ db, version, at, "", "", copy, len, ++qtick };
	snprintf(q->team, sizeof(q->team), "%s", team);
	snprintf(q->phase, sizeof(q->phase), "%s", phase);
}

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
 * the count has not moved.  This costs no SQL at all on a hit.
 *
 * Otherwise (a test or a tool with the reader alone) the version is the
 * reader's "PRAGMA data_version", which changes whenever another
 * connection commits.  The two kinds of version are kept apart by parity.
 */
static int
state_version(struct db *db, const struct app *app, int64_t *v, bool *storable)
{
	int rc;

	if (app && app->w && app->w != db) {
		sqlite3 *w = db_handle(app->w);

		*v = 2 * (int64_t)sqlite3_total_changes64(w);
		*storable = sqlite3_get_autocommit(w) != 0;
		return 0;
	}
	if ((rc = data_version(db, v)) == 0)
		*v = 2 * *v + 1;
	*storable = true;
	return rc;
}

int
usage_quota_text(struct db *db, const struct app *app, const char *team, const char *phase,
    int64_t at, char **text, size_t *len, char *err, size_t errlen)
{
	const char *ph = phase ? phase : "";
	struct qentry *q;
	int64_t version;
	json_t *o = NULL;
	char *s = NULL;
	bool began, storable;
	int rc;

	if ((rc = state_version(db, app, &version, &storable)) < 0)
		return rc;
	qcache_owner(db);
	if ((q = qcache_find(db, version, team, ph, at)) != NULL) {
		q->used = ++qtick;
		if ((s = malloc(q->len + 1)) == NULL)
			return GD_ENOMEM;
		memcpy(s, q->text, q->len + 1);
		*text = s;
		*len = q->len;
		return 0;
	}
	if ((rc = read_begin(db, &began)) < 0)
		return rc;
	/* The snapshot just begun is the state the version names (nothing runs between). */
	if ((rc = quota_build(db, team, phase, at, &o, err, errlen)) < 0)
		goto out;
	if ((s = json_dumps(o, RESP_JSON_FLAGS)) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if (storable)
		qcache_put(db, version, team, ph, at, s, strlen(s));
	*text = s;
	*len = strlen(s);
out:
	json_decref(o);
	read_end(db, began);
	return rc;
}

/*
 * Part 4: the fairness report.
 */

/* One sentence per figure, in the report itself, so a reader needs no manual. */
static json_t *
definitions_json(void)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
	    "unit_hours", "cards x card model weight (B200 1, H100 0.5) x hours",
	    "counted", "[window start, min(at, window end, ended_at))",
	    "entitled_unit_hours", "package units x the counted part of the window",
	    "granted_unit_hours", "units of the team's grants between its window start and "
	    "at, make-up grants after the window included",
	    "lost_unit_hours", "what outages took from the team's grants before at, shared "
	    "among a pool's grants in proportion to their cards",
	    "delivered_unit_hours", "granted - lost",
	    "owed_unit_hours", "max(0, all losses - all make-up grants), all time",
	    "used_unit_hours", "metered usage in the UTC hours that begin before at",
	    "utilization", "used / delivered (0 when nothing was delivered)",
	    "delivered_share", "delivered / entitled; Jain's index and the deviation are "
	    "taken over it for the teams neither eliminated nor withdrawn",
	    "equal_resource", "granted units equal the package units at every instant of "
	    "the window (to ended_at when cut short) and the voucher budget equals the "
	    "package's; an overridden break still counts as a break",
	    "digest", "sha256 of the report without generated_at and digest, jansson "
	    "JSON_COMPACT|JSON_SORT_KEYS|JSON_ENSURE_ASCII, reals as %.15g");
}

static json_t *
breaks_json(const struct report_break *br, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "from",
		    jv_instant(br[i].from), "to", jv_instant(br[i].to), "units",
		    jv_milli(br[i].units_milli)));
	return a;
}

/* One row of the report; fills r for the summary. */
static int
fairness_row(struct db *db, const struct calendar *cal, const struct phase_info *pi,
    int64_t id, int64_t at, json_t *teams, struct report_row *r)
{
	struct view v = { 0 };
	struct ledger_account acc;
	struct report_break *br = NULL;
	size_t nbr = 0;
	int64_t since, avail, e, share_ppm = 0;
	bool ended, eq_period;
	json_t *ovr = NULL, *row;
	int rc;

	if ((rc = store_enrollment_by_id(db, id, &v.e)) < 0)
		return rc;
	ended = v.e.ended_at >= 0;
	e = ended && v.e.ended_at < v.e.end ? v.e.ended_at : v.e.end;
	if ((rc = view_load(db, cal, pi, at, &v, false)) < 0 ||
	    (rc = report_resource_breaks(v.rg, v.ng, v.e.start, e, pi->units_milli, &br,
	    &nbr)) < 0 ||
	    (rc = store_usage_idle_get(db, id, at, &since)) < 0 ||
	    (rc = voucher_of(db, id, &acc, &avail)) < 0 ||
	    (rc = store_override_list(db, pi->id, v.e.team, &ovr)) < 0)
		goto out;
	eq_period = v.e.end - v.e.start == pi->period_days * CIVIL_DAY;
	*r = (struct report_row){ .ended = ended, .window_len = v.e.end - v.e.start,
		.entitled = v.fig.entitled, .delivered = v.fig.delivered, .owed = v.fig.owed,
		.resource_ok = nbr == 0 && acc.budget == pi->voucher_krw };
	if (v.fig.entitled > 0)
		share_ppm = (int64_t)(((__int128)v.fig.delivered * 1000000 + v.fig.entitled / 2) /
		    v.fig.entitled);
	row = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, "
	    "s:o, s:b, s:b, s:o, s:I, s:I, s:I, s:O}",
	    "team", v.e.team, "state", v.e.state, "window", window_json(&v, pi, false),
	    "units", jv_milli(pi->units_milli),
	    "entitled_unit_hours", unit_hours_json(v.fig.entitled),
	    "granted_unit_hours", unit_hours_json(v.fig.granted),
	    "lost_unit_hours", unit_hours_json(v.fig.lost),
	    "delivered_unit_hours", unit_hours_json(v.fig.delivered),
	    "owed_unit_hours", unit_hours_json(v.fig.owed),
	    "used_unit_hours", unit_hours_json(v.fig.used),
	    "utilization", ratio_json(v.fig.utilization_ppm),
	    "delivered_share", ratio_json(share_ppm),
	    "in_index", !ended && v.fig.entitled > 0,
	    "idle", idle_json(since),
	    "equal_period", ended || eq_period,
	    "equal_resource", r->resource_ok,
	    "resource_breaks", breaks_json(br, nbr),
	    "voucher_budget_krw", (json_int_t)acc.budget,
	    "voucher_settled_krw", (json_int_t)acc.settled,
	    "voucher_refunded_krw", (json_int_t)acc.refunded,
	    "overrides", ovr);
	if (row == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if (ended)
		json_object_set_new(row, "ended_at", jv_instant(v.e.ended_at));
	json_array_append_new(teams, row);
out:
	json_decref(ovr);
	free(br);
	view_free(&v);
	return rc;
}

int
usage_fairness(struct db *db, const char *phase, int64_t at, int64_t now, json_t **out)
{
	struct calendar cal = { 0 };
	struct phase_info pi;
	struct report_row *rows = NULL;
	struct report_summary sum;
	int64_t *ids = NULL;
	size_t n = 0;
	char digest[REPORT_DIGEST_LEN];
	json_t *teams = json_array(), *all = NULL, *o = NULL;
	int rc;

	if (teams == NULL)
		return GD_ENOMEM;
	if ((rc = store_phase_info(db, phase, &pi)) < 0 ||
	    (rc = store_enrollment_ids(db, phase, false, &ids, &n)) < 0 ||
	    (rc = calendar_load(db, &cal)) < 0)
		goto out;
	if (n && (rows = calloc(n, sizeof(*rows))) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = fairness_row(db, &cal, &pi, ids[i], at, teams, &rows[i]);
	if (rc < 0 || (rc = report_summarise(rows, n, pi.period_days * CIVIL_DAY, &sum)) < 0 ||
	    (rc = store_override_list(db, phase, NULL, &all)) < 0)
		goto out;
	o = json_pack("{s:s, s:s, s:o, s:o, s:I, s:{s:s, s:I, s:o, s:I}, s:O, "
	    "s:{s:b, s:b, s:b, s:o, s:o, s:I}, s:O, s:o}",
	    "phase", pi.id, "timezone", pi.tz, "generated_at", jv_instant(now), "at",
	    jv_instant(at),
	    "period_days", (json_int_t)pi.period_days,
	    "package", "card_model", pi.card_model, "cards", (json_int_t)pi.cards,
	    "units", jv_milli(pi.units_milli), "voucher_krw", (json_int_t)pi.voucher_krw,
	    "teams", teams,
	    "summary", "equal_period", sum.equal_period, "equal_resource", sum.equal_resource,
	    "equal_delivery", sum.equal_delivery,
	    "jain_index_delivered", json_real((double)sum.jain_micro / 1e6),
	    "max_deviation_pct", json_real((double)sum.max_deviation_milli / 1e3),
	    "teams_in_index", (json_int_t)sum.counted,
	    "overrides", all, "definitions", definitions_json());
	if (o == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if ((rc = report_digest(o, digest)) < 0)
		goto out;
	json_object_set_new(o, "digest", json_string(digest));
	*out = o;
	o = NULL;
out:
	json_decref(o);
	json_decref(all);
	json_decref(teams);
	free(rows);
	free(ids);
	calendar_free(&cal);
	return rc;
}

/*
 * Part 5: idle detection.
 */

/* Judges one active enrollment; *changed grows when its flag changes. */
static int
idle_one(struct db *db, const struct app *app, const struct calendar *cal,
    const struct enr_loss *lost, size_t nlost, int64_t id, int64_t from, int64_t to,
    int64_t now, int *changed)
{
	const struct config_programme *cp = &app->cfg.programme;
	struct view v = { 0 };
	struct report_grant *rg = NULL;
	int64_t granted = 0, delivered, used = 0, since, ppm;
	char target[160], reason[200], when[CIVIL_INSTANT_LEN];
	json_t *detail = NULL;
	bool idle;
	ssize_t p;
	int rc;

	if ((rc = store_enrollment_by_id(db, id, &v.e)) < 0 ||
	    (rc = store_usage_idle_get(db, id, INT64_MAX, &since)) < 0)
		return rc;
	/* Not judged before a whole trailing window of its own has passed. */
	if (v.e.start > from)
		return 0;
	if ((rc = store_grants_of(db, id, &v.gs, &v.ng)) < 0)
		return rc;
	if (v.ng && (rg = calloc(v.ng, sizeof(*rg))) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	for (size_t k = 0; k < v.ng; k++) {
		if ((p = calendar_find(cal, v.gs[k].pool)) < 0) {
			rc = GD_EIO;
			goto out;
		}
		rg[k] = (struct report_grant){ v.gs[k].start, v.gs[k].end,
			v.gs[k].cards * cal->pools[p].weight_milli, false };
	}
	if ((rc = report_granted(rg, v.ng, from, to, &granted)) < 0 ||
	    (rc = store_usage_used_between(db, id, from, to, &used)) < 0)
		goto out;
	delivered = granted - calendar_loss_of(lost, nlost, id);
	if (delivered <= 0)
		goto out;
	ppm = (int64_t)(((__int128)used * 1000000 + delivered / 2) / delivered);
	idle = (__int128)used * 100 < (__int128)cp->idle_threshold_pct * delivered;
	if (idle == (since >= 0))
		goto out;
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", v.e.phase, v.e.team);
	civil_format_instant(to, when);
	snprintf(reason, sizeof(reason), "utilization %.1f %% over the %d hours before %s, %s "
	    "the %d %% threshold", (double)ppm / 1e4, cp->idle_window_hours, when,
	    idle ? "under" : "back at or above", cp->idle_threshold_pct);
	detail = json_pack("{s:o, s:o, s:o, s:o, s:o, s:i, s:i}", "from", jv_instant(from),
	    "to", jv_instant(to), "used_unit_hours", unit_hours_json(used),
	    "delivered_unit_hours", unit_hours_json(delivered), "utilization", ratio_json(ppm),
	    "threshold_pct", cp->idle_threshold_pct, "window_hours", cp->idle_window_hours);
	if (idle)
		rc = store_usage_idle_set(db, id, now, ppm);
	else
		rc = store_usage_idle_clear(db, id, now);
	if (rc == 0)
		rc = audit_append(db, &audit_system, "timer", now, idle ? "usage.idle" :
		    "usage.idle_cleared", target, reason, detail);
	if (rc == 0) {
		(*changed)++;
		log_notice("%s: %s", target, reason);
	}
out:
	json_decref(detail);
	free(rg);
	view_free(&v);
	return rc;
}

/* Clears the flag of an enrollment that is no longer active. */
static int
idle_close(struct db *db, int64_t id, int64_t now, int *changed)
{
	struct enrollment e;
	char target[160];
	json_t *detail;
	int rc;

	if ((rc = store_enrollment_by_id(db, id, &e)) < 0)
		return rc;
	if (strcmp(e.state, "active") == 0)
		return 0;
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", e.phase, e.team);
	detail = json_pack("{s:s}", "state", e.state);
	if ((rc = store_usage_idle_clear(db, id, now)) == 0)
		rc = audit_append(db, &audit_system, "timer", now, "usage.idle_cleared", target,
		    "the enrollment is no longer active", detail);
	json_decref(detail);
	if (rc == 0)
		(*changed)++;
	return rc;
}

/*
 * Runs one enrollment's check in a savepoint of its own: one that fails
 * (an overflow, a bad row) is rolled back alone and noted by the timers
 * (logged, counted, audited once); the others are still judged.  An error
 * comes back only when the savepoint itself cannot be used.
 */
static int
idle_alone(struct db *db, const struct app *app, const struct calendar *cal,
    const struct enr_loss *lost, size_t nlost, int64_t id, bool open_flag, int64_t from,
    int64_t to, int64_t now, int *count)
{
	char target[64], why[GD_ERRBUF];
	int rc, n = 0;

	snprintf(target, sizeof(target), "enrollment/%lld", (long long)id);
	if (db_exec(db, "SAVEPOINT usage_idle_one") < 0)
		return GD_EIO;
	if (open_flag)
		rc = idle_close(db, id, now, &n);
	else
		rc = idle_one(db, app, cal, lost, nlost, id, from, to, now, &n);
	if (rc == 0) {
		if (db_exec(db, "RELEASE usage_idle_one") < 0)
			return GD_EIO;
		*count += n;
		return timers_succeeded(db, "usage.idle", target, 0);
	}
	snprintf(why, sizeof(why), "%s", timers_errtext(db, rc));
	if (db_exec(db, "ROLLBACK TO usage_idle_one") < 0 ||
	    db_exec(db, "RELEASE usage_idle_one") < 0)
		return GD_EIO;
	return timers_failed(db, "usage.idle", target, 0, now, why);
}

int
usage_idle_scan(struct db *db, const struct app *app, int64_t now, int *changed)
{
	struct calendar cal = { 0 };
	struct enr_loss *lost = NULL;
	int64_t *ids = NULL, *open = NULL, to, from;
	size_t n = 0, nopen = 0, nlost = 0;
	int count = 0, rc;

	to = report_hour_floor(now);
	from = to - (int64_t)app->cfg.programme.idle_window_hours * REPORT_HOUR;
	if (db_exec(db, "SAVEPOINT usage_idle") < 0)
		return GD_EIO;
	if ((rc = store_usage_active_enrollments(db, &ids, &n)) < 0 ||
	    (rc = store_usage_idle_open(db, &open, &nopen)) < 0 ||
	    (rc = calendar_load(db, &cal)) < 0 ||
	    (rc = calendar_losses(db, &cal, from, to, &lost, &nlost)) < 0) {
		/* What every check needs: the scan as a whole fails, once. */
		char why[GD_ERRBUF];

		snprintf(why, sizeof(why), "%s", timers_errtext(db, rc));
		if (db_exec(db, "ROLLBACK TO usage_idle") == 0)
			rc = timers_failed(db, "usage.idle", "scan", 0, now, why);
		goto out;
	}
	if ((rc = timers_succeeded(db, "usage.idle", "scan", 0)) < 0)
		goto out;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = idle_alone(db, app, &cal, lost, nlost, ids[i], false, from, to, now, &count);
	for (size_t i = 0; i < nopen && rc == 0; i++)
		rc = idle_alone(db, app, &cal, lost, nlost, open[i], true, from, to, now, &count);
out:
	if (rc < 0) {
		db_exec(db, "ROLLBACK TO usage_idle");
		db_exec(db, "RELEASE usage_idle");
	} else if (db_exec(db, "RELEASE usage_idle") < 0) {
		db_exec(db, "ROLLBACK TO usage_idle");
		db_exec(db, "RELEASE usage_idle");
		rc = GD_EIO;
	}
	if (rc == 0)
		*changed = count;
	free(lost);
	free(ids);
	free(open);
	calendar_free(&cal);
	return rc;
}

/*
 * Part 6: `grantd report`.
 */

static int
write_all(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

int
usage_cli_report(const char *db_path, const char *phase, bool csv, const char *file)
{
	char err[GD_ERRBUF], tmp[4200];
	struct db *db = NULL;
	json_t *rep = NULL;
	char *text = NULL;
	size_t len = 0;
	int64_t now = (int64_t)time(NULL);
	int fd, rc, status = 1;

	if (db_path == NULL || phase == NULL || file == NULL) {
		fprintf(stderr, "grantd: report needs --db PATH, --phase ID and a FILE "
		    "(- for stdout)\n");
		return 2;
	}
	if (!jv_valid_id(phase)) {
		fprintf(stderr, "grantd: --phase must be a phase id\n");
		return 2;
	}
	if (db_open(db_path, DB_READER, 5000, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: %s\n", err);
		return 1;
	}
	if ((rc = usage_fairness(db, phase, now, now, &rep)) < 0) {
		if (rc == GD_ENOENT)
			fprintf(stderr, "grantd: phase '%s' does not exist\n", phase);
		else
			fprintf(stderr, "grantd: cannot build the report: %s\n", db_errmsg(db));
		goto out;
	}
	if (csv) {
		if (report_csv(rep, &text, &len) < 0) {
			fprintf(stderr, "grantd: out of memory\n");
			goto out;
		}
	} else {
		/* Reals as the API prints them, so the file reads like the response. */
		if ((text = json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS |
		    JSON_REAL_PRECISION(15))) == NULL) {
			fprintf(stderr, "grantd: out of memory\n");
			goto out;
		}
		len = strlen(text);
	}
	if (strcmp(file, "-") == 0) {
		if (write_all(STDOUT_FILENO, text, len) < 0 ||
		    (!csv && write_all(STDOUT_FILENO, "\n", 1) < 0)) {
			fprintf(stderr, "grantd: cannot write the report: %s\n", strerror(errno));
			goto out;
		}
		status = 0;
		goto out;
	}
	/* Written beside FILE and renamed over it: a reader never sees half a report. */
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", file, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		fprintf(stderr, "grantd: cannot create %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	rc = write_all(fd, text, len) < 0 || (!csv && write_all(fd, "\n", 1) < 0) ||
	    fsync(fd) < 0 ? -1 : 0;
	if (close(fd) < 0)
		rc = -1;
	if (rc < 0 || rename(tmp, file) < 0) {
		fprintf(stderr, "grantd: cannot write %s: %s\n", file, strerror(errno));
		unlink(tmp);
		goto out;
	}
	status = 0;
out:
	free(text);
	json_decref(rep);
	db_close(db);
	return status;
}
