/* calendar.c: building the pools' timelines from outages and grants in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "err.h"
#include "outage.h"
#include "store_grants.h"
#include "store_outages.h"
#include "store_pools.h"
#include "vec.h"

void
calendar_free(struct calendar *s)
{
	for (size_t i = 0; s->pp && i < s->n; i++)
		timeline_free(s->pp[i].tl);
	free(s->pools);
	free(s->pp);
	memset(s, 0, sizeof(*s));
}

ssize_t
calendar_find(const struct calendar *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->pools[i].id, id) == 0)
			return (ssize_t)i;
	return -1;
}

static int
load_pool(struct db *db, struct calendar *s, size_t i)
{
	struct timeline_outage *o = NULL;
	struct timeline_grant *g = NULL;
	size_t no = 0, ng = 0;
	int rc;

	if ((rc = store_outages_of(db, s->pools[i].id, 0, &o, &no)) < 0)
		return rc;
	rc = store_grant_spans(db, s->pools[i].id, &g, &ng);
	if (rc == 0)
		rc = timeline_build(s->pools[i].cards, o, no, g, ng, &s->pp[i].tl);
	free(o);
	free(g);
	return rc;
}

int
calendar_load(struct db *db, struct calendar *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = store_pools_all(db, &s->pools, &s->n);
	if (rc == 0 && s->n && (s->pp = calloc(s->n, sizeof(*s->pp))) == NULL)
		rc = GD_ENOMEM;
	for (size_t i = 0; rc == 0 && i < s->n; i++) {
		s->pp[i].id = s->pools[i].id;
		s->pp[i].weight_milli = s->pools[i].weight_milli;
		rc = load_pool(db, s, i);
	}
	if (rc < 0)
		calendar_free(s);
	return rc;
}

static int
cmp_owner(const void *a, const void *b)
{
	const struct grant_owner *x = a, *y = b;

	return (x->grant > y->grant) - (x->grant < y->grant);
}

static int
cmp_loss(const void *a, const void *b)
{
	const struct enr_loss *x = a, *y = b;

	return (x->enrollment > y->enrollment) - (x->enrollment < y->enrollment);
}

int
calendar_losses(struct db *db, const struct calendar *s, int64_t from, int64_t to,
    struct enr_loss **lost, size_t *n)
{
	struct grant_owner *own = NULL, key, *hit;
	struct enr_loss *out = NULL;
	struct outage_loss *gl;
	size_t nown = 0, nout = 0, cout = 0, ngl, k, j;
	int rc = 0;

	if ((rc = store_grant_owners(db, &own, &nown)) < 0)
		return rc;
	if (nown)
		qsort(own, nown, sizeof(*own), cmp_owner);
	for (size_t i = 0; rc == 0 && i < s->n && from < to; i++) {
		gl = NULL;
		ngl = 0;
		rc = outage_share_loss(s->pp[i].tl, s->pools[i].weight_milli, from, to, &gl, &ngl);
		for (k = 0; rc == 0 && k < ngl; k++) {
			key.grant = gl[k].grant_id;
			hit = bsearch(&key, own, nown, sizeof(*own), cmp_owner);
			if (hit == NULL)
				continue;
			for (j = 0; j < nout && out[j].enrollment != hit->enrollment; j++)
				;
			if (j == nout) {
				if ((rc = vec_push(&out, &nout, &cout,
				    &(struct enr_loss){ hit->enrollment, 0 }, sizeof(*out))) < 0)
					break;
			}
			if (__builtin_add_overflow(out[j].lost, gl[k].lost, &out[j].lost))
				rc = GD_ERANGE;
		}
		free(gl);
	}
	free(own);
	if (rc < 0) {
		free(out);
		return rc;
	}
	if (nout)
		qsort(out, nout, sizeof(*out), cmp_loss);
	*lost = out;
	*n = nout;
	return 0;
}

int64_t
calendar_loss_of(const struct enr_loss *lost, size_t n, int64_t enrollment)
{
	struct enr_loss key = { enrollment, 0 }, *hit;

	if (n == 0)
		return 0;
	hit = bsearch(&key, lost, n, sizeof(*lost), cmp_loss);
	return hit ? hit->lost : 0;
}
