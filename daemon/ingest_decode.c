/* ingest_decode.c: the body of POST /v1/usage decoded into a batch, its ids interned. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ingest.h"
#include "ingest_batch.h"
#include "jsonv.h"

/*
 * Decoding: the body of POST /v1/usage.
 *
 * The route hands over the body as jansson parsed it (duplicate keys,
 * invalid UTF-8 and integers beyond int64 refused, depth capped); each
 * sample is decoded against the contract's fields with jv_decode, as
 * strictly as any other body: unknown fields, wrong types and fractions
 * where whole GPU-seconds are due are refused, naming the sample.
 */

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
int
ingest_names_intern(struct names *t, const char *s, size_t len, uint32_t *idx)
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

void
ingest_batch_free(struct batch_in *b)
{
	free(b->s);
	names_free(&b->pools);
	names_free(&b->teams);
	names_free(&b->nodes);
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
parse_sample(const json_t *o, struct batch_in *b, size_t i, char *err, size_t errlen)
{
	struct sample *s = &b->s[i];
	const char *pool, *team, *node = NULL;
	bool has_busy, has_util, has_energy;
	/*
	 * The measurements are optional (null reads as absent: a node whose
	 * card has no energy counter says so); their ranges against
	 * gpu_seconds are checked with the sample (check_sample).
	 */
	const struct jv_field f[] = {
		{ "pool", JV_ID, JV_REQUIRED, 0, 0, &pool, NULL },
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &team, NULL },
		{ "node", JV_NODE, JV_NULLABLE, 0, 0, &node, NULL },
		{ "from", JV_INSTANT, JV_REQUIRED, 0, 0, &s->from, NULL },
		{ "to", JV_INSTANT, JV_REQUIRED, 0, 0, &s->to, NULL },
		/* 3600.0 is whole: some encoders write every number so. */
		{ "gpu_seconds", JV_INT, JV_REQUIRED | JV_WHOLE, INT64_MIN, INT64_MAX, &s->gpu,
		  NULL },
		{ "busy_gpu_seconds", JV_INT, JV_NULLABLE | JV_WHOLE, INT64_MIN, INT64_MAX,
		  &s->busy, &has_busy },
		{ "util_weighted_gpu_seconds", JV_INT, JV_NULLABLE | JV_WHOLE, INT64_MIN,
		  INT64_MAX, &s->util, &has_util },
		{ "energy_j", JV_INT, JV_NULLABLE | JV_WHOLE, INT64_MIN, INT64_MAX, &s->energy,
		  &has_energy },
	};
	int rc;

	if (!json_is_object(o)) {
		snprintf(err, errlen, "samples[%zu] must be an object", i);
		return GD_EINVAL;
	}
	/* The index goes into the message only when there is one to write. */
	if (jv_decode(o, f, NFIELDS(f), NULL, err, errlen) < 0)
		return sample_refused(o, f, NFIELDS(f), i, err, errlen);
	if ((rc = ingest_names_intern(&b->pools, pool, strlen(pool), &s->pool)) < 0 ||
	    (rc = ingest_names_intern(&b->teams, team, strlen(team), &s->team)) < 0)
		return rc;
	s->node = NO_NODE;
	s->node_given = node != NULL;
	if (node && (rc = ingest_names_intern(&b->nodes, node, strlen(node), &s->node)) < 0)
		return rc;
	s->meas = (has_busy ? MEAS_BUSY : 0) | (has_util ? MEAS_UTIL : 0) |
	    (has_energy ? MEAS_ENERGY : 0);
	if (!has_busy)
		s->busy = 0;
	if (!has_util)
		s->util = 0;
	if (!has_energy)
		s->energy = 0;
	s->flag = FLAG_NONE;
	s->granted = 0;
	return 0;
}

int
ingest_decode(const json_t *body, struct batch_in *b, char *err, size_t errlen)
{
	const char *id;
	json_t *samples;
	const struct jv_field f[] = {
		{ "batch_id", JV_STR, JV_REQUIRED, 0, INGEST_BATCH_ID_MAX, &id, NULL },
		{ "samples", JV_ARRAY, JV_REQUIRED, 0, INGEST_MAX_SAMPLES, &samples, NULL },
	};
	size_t n;
	int rc;

	if (jv_decode(body, f, NFIELDS(f), NULL, err, errlen) < 0)
		return GD_EINVAL;
	n = strspn(id, " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~");
	if (id[n] != '\0') {
		snprintf(err, errlen, "batch_id must be 1 to %d printable ASCII characters",
		    INGEST_BATCH_ID_MAX);
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
