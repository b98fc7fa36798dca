/* calendar.c: building the pools' timelines from outages and grants in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "calendar.h"
#include "outage.h"

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

/* Grows *v to hold at least n + 1 items of size sz. */
static int
grow(void **v, size_t *cap, size_t n, size_t sz)
{
	void *nv;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	if ((nv = realloc(*v, c * sz)) == NULL)
		return GD_ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

int
calendar_outages(struct db *db, const char *pool, struct timeline_outage **out, size_t *n)
{
	sqlite3_stmt *st;
	struct timeline_outage *o = NULL;
	size_t no = 0, co = 0;
	int rc = 0;

	st = db_prep(db, "SELECT from_t, to_t, cards FROM outages WHERE pool = ?");
	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", pool);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if ((rc = grow((void **)&o, &co, no, sizeof(*o))) == 0)
			o[no++] = (struct timeline_outage){ sqlite3_column_int64(st, 0),
				sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2) };
	}
	db_done(st);
	if (rc < 0) {
		free(o);
		return rc;
	}
	*out = o;
	*n = no;
	return 0;
}

static int
load_pool(struct db *db, struct calendar *s, size_t i)
{
	sqlite3_stmt *st;
	struct timeline_outage *o = NULL;
	struct timeline_grant *g = NULL;
	size_t no = 0, ng = 0, cg = 0;
	int rc;

	if ((rc = calendar_outages(db, s->pools[i].id, &o, &no)) < 0)
		return rc;
	st = db_prep(db, "SELECT id, start, end, cards FROM grants WHERE pool = ? AND cancelled = 0");
	if (rc == 0 && st == NULL)
		rc = GD_EIO;
	if (rc == 0) {
		db_bind(st, "t", s->pools[i].id);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			if ((rc = grow((void **)&g, &cg, ng, sizeof(*g))) == 0)
				g[ng++] = (struct timeline_grant){ sqlite3_column_int64(st, 0),
					sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
					sqlite3_column_int64(st, 3) };
		}
		db_done(st);
	}
	if (rc == 0)
		rc = timeline_build(s->pools[i].cards, o, no, g, ng, &s->pp[i].tl);
	free(o);
	free(g);
	return rc;
}

int
calendar_load(struct db *db, struct calendar *s)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	st = db_prep(db, "SELECT p.id, p.card_model, m.weight_milli, p.cards FROM pools p "
	    "JOIN card_models m ON m.id = p.card_model ORDER BY p.id");
	if (st == NULL)
		return GD_EIO;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if ((rc = grow((void **)&s->pools, &cap, s->n, sizeof(*s->pools))) < 0)
			break;
		struct cal_pool *p = &s->pools[s->n++];

		snprintf(p->id, sizeof(p->id), "%s", db_text(st, 0));
		snprintf(p->card_model, sizeof(p->card_model), "%s", db_text(st, 1));
		p->weight_milli = sqlite3_column_int64(st, 2);
		p->cards = sqlite3_column_int64(st, 3);
	}
	db_done(st);
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

struct grant_owner {
	int64_t grant, enrollment;
};

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
	sqlite3_stmt *st;
	struct grant_owner *own = NULL, key, *hit;
	struct enr_loss *out = NULL;
	struct outage_loss *gl;
	size_t nown = 0, cown = 0, nout = 0, cout = 0, ngl, k, j;
	int rc = 0;

	if ((st = db_prep(db, "SELECT id, enrollment FROM grants WHERE cancelled = 0")) == NULL)
		return GD_EIO;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if ((rc = grow((void **)&own, &cown, nown, sizeof(*own))) == 0)
			own[nown++] = (struct grant_owner){ sqlite3_column_int64(st, 0),
				sqlite3_column_int64(st, 1) };
	}
	db_done(st);
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
				if ((rc = grow((void **)&out, &cout, nout, sizeof(*out))) < 0)
					break;
				out[nout++] = (struct enr_loss){ hit->enrollment, 0 };
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
