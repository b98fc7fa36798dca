/* calendar.c: building the pools' timelines from outages and grants in the store. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "db.h"
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

static int
calendar_build(struct db *db, struct calendar *s)
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

/*
 * The last calendar built on a connection, kept by the connection
 * (db_set_aux) with the key of the state it shows.  A key is equal only
 * when nothing that the calendar reads can have changed in between: no
 * change on this connection (its change count, which only grows), nothing
 * undone on it (rollbacks leave the count as it was: db_undos), and no
 * commit from another connection (PRAGMA data_version).  So a batch's own
 * changes are seen as soon as they are made, a failed batch's rollback
 * drops them, and a COMMIT, which changes nothing, keeps the calendar.
 * Owns cal.
 */
struct cal_cache {
	bool valid;
	struct db_change_key key;
	struct calendar cal;
};

static void
cache_free(void *arg)
{
	struct cal_cache *c = arg;

	if (c == NULL)
		return;
	calendar_free(&c->cal);
	free(c);
}

static bool
key_eq(const struct db_change_key *a, const struct db_change_key *b)
{
	return a->changes == b->changes && a->undos == b->undos &&
	    a->data_version == b->data_version;
}

/* A deep copy of src into dst (zeroed first); 0 or GD_ENOMEM. */
static int
calendar_copy(const struct calendar *src, struct calendar *dst)
{
	memset(dst, 0, sizeof(*dst));
	if (src->n == 0)
		return 0;
	if ((dst->pools = malloc(src->n * sizeof(*dst->pools))) == NULL ||
	    (dst->pp = calloc(src->n, sizeof(*dst->pp))) == NULL) {
		free(dst->pools);
		dst->pools = NULL;
		return GD_ENOMEM;
	}
	memcpy(dst->pools, src->pools, src->n * sizeof(*dst->pools));
	dst->n = src->n;
	for (size_t i = 0; i < src->n; i++) {
		dst->pp[i] = src->pp[i];
		dst->pp[i].id = dst->pools[i].id;
		dst->pp[i].tl = NULL;
		if (timeline_clone(src->pp[i].tl, &dst->pp[i].tl) < 0) {
			calendar_free(dst);
			return GD_ENOMEM;
		}
	}
	return 0;
}

int
calendar_load(struct db *db, struct calendar *s)
{
	struct cal_cache *c = db_aux(db);
	struct db_change_key k0, k1;
	int rc;

	if (db_change_key(db, &k0) < 0)
		return calendar_build(db, s);
	if (c && c->valid && key_eq(&c->key, &k0))
		return calendar_copy(&c->cal, s);
	if ((rc = calendar_build(db, s)) < 0)
		return rc;
	/* Kept only when nothing moved while it was read. */
	if (db_change_key(db, &k1) < 0 || !key_eq(&k0, &k1))
		return 0;
	if (c == NULL) {
		if ((c = calloc(1, sizeof(*c))) == NULL)
			return 0;
		db_set_aux(db, c, cache_free);
	}
	calendar_free(&c->cal);
	c->valid = calendar_copy(s, &c->cal) == 0;
	c->key = k1;
	return 0;
}

int
calendar_check(struct db *db)
{
	struct calendar kept, built;
	int rc, eq = 1;

	if ((rc = calendar_load(db, &kept)) < 0)
		return rc;
	if ((rc = calendar_build(db, &built)) < 0) {
		calendar_free(&kept);
		return rc;
	}
	if (kept.n != built.n)
		eq = 0;
	for (size_t i = 0; eq == 1 && i < kept.n; i++) {
		const struct cal_pool *a = &kept.pools[i], *b = &built.pools[i];

		if (strcmp(a->id, b->id) != 0 || strcmp(a->card_model, b->card_model) != 0 ||
		    a->weight_milli != b->weight_milli || a->cards != b->cards ||
		    kept.pp[i].weight_milli != built.pp[i].weight_milli)
			eq = 0;
		else
			eq = timeline_equal(kept.pp[i].tl, built.pp[i].tl);
	}
	calendar_free(&kept);
	calendar_free(&built);
	return eq < 0 ? eq : eq ? 0 : GD_ECONFLICT;
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
