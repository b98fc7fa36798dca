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

/* The kept calendar: see calendar.h, and "How it is kept" below. */
struct gslot {
	int64_t id;		/* 0: empty, -1: a removed entry */
	int64_t enrollment;
	size_t pool;
};

struct idlist {
	int64_t *v;
	size_t n, cap;
};

struct calmem {
	unsigned refs;		/* connections that keep it */
	struct db *w;		/* the writer; NULL once it is closed */
	struct calendar cal;
	bool valid;
	bool rebuild;		/* outages, pools or card models changed */
	bool other_open;	/* such a change in the open transaction */
	bool other_done;	/* ... in one committed (or failed) since the last sync */
	int64_t data_version;	/* the writer's: other processes' commits */
	uint64_t undos;		/* db_undos(w) at the last sync */
	struct gslot *slot;	/* live grants by id: open addressing, linear probes */
	size_t cap, used, live;	/* used counts removed entries too */
	struct idlist dirty;	/* grants to read again */
	struct idlist open;	/* grants changed in the open transaction */
	struct idlist done;	/* ... in transactions committed since the last sync */
	unsigned views;		/* calendar_load views not yet freed */
	struct placement_hint *hints;	/* one a pool (cal.pp[i].hint): cleared as it changes */
	bool check;		/* calendar_set_checking */
	struct calendar_stats st;
};

static void
pools_free(struct calendar *s)
{
	for (size_t i = 0; s->pp && i < s->n; i++)
		timeline_free(s->pp[i].tl);
	free(s->pools);
	free(s->pp);
	memset(s, 0, sizeof(*s));
}

void
calendar_free(struct calendar *s)
{
	if (s->kept) {
		s->kept->views--;
		memset(s, 0, sizeof(*s));
		return;
	}
	pools_free(s);
}

static int
cmp_pool_id(const void *key, const void *elt)
{
	return strcmp(key, ((const struct cal_pool *)elt)->id);
}

ssize_t
calendar_find(const struct calendar *s, const char *id)
{
	const struct cal_pool *p;

	if (s->sorted) {
		p = s->n ? bsearch(id, s->pools, s->n, sizeof(*s->pools), cmp_pool_id) : NULL;
		return p ? p - s->pools : -1;
	}
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
	/* store_pools_all gives them by id; strcmp orders ids as SQLite's BINARY does. */
	s->sorted = true;
	if (rc < 0)
		pools_free(s);
	return rc;
}

/* A deep copy of src into dst (zeroed first); 0 or GD_ENOMEM. */
static int
calendar_copy(const struct calendar *src, struct calendar *dst)
{
	memset(dst, 0, sizeof(*dst));
	dst->sorted = src->sorted;
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
		dst->pp[i].hint = NULL;	/* a copy may be changed: what placement learnt is not its */
		if (timeline_clone(src->pp[i].tl, &dst->pp[i].tl) < 0) {
			pools_free(dst);
			return GD_ENOMEM;
		}
	}
	return 0;
}

/*
 * How it is kept.  Every change the writer makes to a row of grants goes
 * on two lists: `dirty` (read that row again before the next answer) and
 * `open` (changed in the open transaction).  At COMMIT (SQLite's commit
 * hook, which runs before the commit is done) `open` moves to `done`.  A
 * rollback of any kind (db_undos moved) may have put any of those rows
 * back as they were, so they are all read again; only then, and when the
 * undo count has not moved, is `done` dropped: a COMMIT that failed after
 * its hook shows up as a rollback.  A grant read again is taken off the
 * timeline it was on (the id index says which) and put on its pool's
 * timeline if it is live.  Changes to outages, pools and card models are
 * rare, and every pool's timeline may depend on them: the whole calendar
 * is built again, as it is when another process commits (the writer's
 * PRAGMA data_version moves) or anything fails on the way.
 */
static size_t
slot_hash(int64_t id, size_t cap)
{
	uint64_t h = (uint64_t)id * UINT64_C(0x9e3779b97f4a7c15);

	return (size_t)(h >> 20) & (cap - 1);
}

static struct gslot *
slot_find(struct calmem *m, int64_t id)
{
	if (m->cap == 0)
		return NULL;
	for (size_t i = slot_hash(id, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slot[i].id == id)
			return &m->slot[i];
		if (m->slot[i].id == 0)
			return NULL;
	}
}

static int slot_put(struct calmem *m, int64_t id, int64_t enrollment, size_t pool);

/* Doubles the table (or just drops removed entries) so that it is at most half full. */
static int
slot_grow(struct calmem *m)
{
	struct gslot *old = m->slot;
	size_t oldcap = m->cap, cap = m->cap ? m->cap : 1024;

	while (cap < 4 * (m->live + 1))
		cap *= 2;
	if ((m->slot = calloc(cap, sizeof(*m->slot))) == NULL) {
		m->slot = old;
		return GD_ENOMEM;
	}
	m->cap = cap;
	m->used = m->live = 0;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].id > 0)
			(void)slot_put(m, old[i].id, old[i].enrollment, old[i].pool);
	free(old);
	return 0;
}

static int
slot_put(struct calmem *m, int64_t id, int64_t enrollment, size_t pool)
{
	size_t i;
	int rc;

	if (2 * (m->used + 1) > m->cap && (rc = slot_grow(m)) < 0)
		return rc;
	for (i = slot_hash(id, m->cap); m->slot[i].id > 0; i = (i + 1) & (m->cap - 1))
		;
	if (m->slot[i].id == 0)
		m->used++;
	m->slot[i] = (struct gslot){ id, enrollment, pool };
	m->live++;
	return 0;
}

static void
slot_drop(struct calmem *m, struct gslot *g)
{
	g->id = -1;
	m->live--;
}

static int
list_add(struct idlist *l, int64_t id)
{
	return vec_push(&l->v, &l->n, &l->cap, &id, sizeof(id));
}

static int
list_cat(struct idlist *to, const struct idlist *from)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < from->n; i++)
		rc = list_add(to, from->v[i]);
	return rc;
}

/* More changed rows than this to read again: build again instead of listing them. */
#define LIST_MAX	((size_t)1 << 20)

static void
on_row(void *arg, const char *table, enum db_row_op op, int64_t rowid)
{
	struct calmem *m = arg;

	(void)op;
	if (strcmp(table, "grants") == 0) {
		/* Lists grow until the next load; past LIST_MAX a rebuild is cheaper, and bounded. */
		if (m->open.n < LIST_MAX && m->dirty.n < LIST_MAX &&
		    list_add(&m->open, rowid) == 0 && list_add(&m->dirty, rowid) == 0)
			return;
	} else if (strcmp(table, "outages") != 0 && strcmp(table, "pools") != 0 &&
	    strcmp(table, "card_models") != 0)
		return;
	m->rebuild = m->other_open = true;
}

static void
on_commit(void *arg)
{
	struct calmem *m = arg;

	if (m->done.n + m->open.n > LIST_MAX || list_cat(&m->done, &m->open) < 0) {
		/* A rebuild reads everything again: the lists are no longer needed. */
		m->rebuild = true;
		m->done.n = m->dirty.n = 0;
	}
	m->open.n = 0;
	m->other_done |= m->other_open;
	m->other_open = false;
}

/* Every pool's timeline and the id index from the store, replacing what is kept. */
static int
mem_rebuild(struct calmem *m)
{
	struct calendar c;
	const struct timeline_grant *g;
	struct grant_owner *own = NULL;
	size_t ng, nown = 0;
	int rc;

	m->st.rebuilds++;
	if ((rc = calendar_build(m->w, &c)) < 0 ||
	    (rc = store_grant_owners(m->w, &own, &nown)) < 0)
		goto fail;
	pools_free(&m->cal);
	m->cal = c;
	memset(&c, 0, sizeof(c));
	free(m->hints);
	if ((m->hints = calloc(m->cal.n ? m->cal.n : 1, sizeof(*m->hints))) == NULL) {
		rc = GD_ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < m->cal.n; i++)
		m->cal.pp[i].hint = &m->hints[i];
	free(m->slot);
	m->slot = NULL;
	m->cap = m->used = m->live = 0;
	for (size_t i = 0; rc == 0 && i < m->cal.n; i++) {
		g = timeline_grants(m->cal.pp[i].tl, &ng);
		for (size_t k = 0; rc == 0 && k < ng; k++)
			rc = slot_put(m, g[k].id, 0, i);
	}
	for (size_t k = 0; rc == 0 && k < nown; k++) {
		struct gslot *s = slot_find(m, own[k].grant);

		if (s)
			s->enrollment = own[k].enrollment;
	}
	free(own);
	own = NULL;
	if (rc < 0)
		goto fail;
	m->rebuild = false;
	m->dirty.n = 0;
	m->valid = true;
	return 0;
fail:
	free(own);
	pools_free(&c);
	m->valid = false;
	return rc;
}

/* Reads one grant again and puts the kept calendar in line with it. */
static int
mem_regrant(struct calmem *m, int64_t id)
{
	struct grant_row r;
	struct gslot *s;
	ssize_t p;
	int rc;

	m->st.rows++;
	if ((rc = store_grant_row(m->w, id, &r)) < 0 && rc != GD_ENOENT)
		return rc;
	if ((s = slot_find(m, id)) != NULL) {
		if (timeline_remove_grant(m->cal.pp[s->pool].tl, id) < 0)
			return GD_EIO;	/* the index and the timeline disagree: build again */
		if (m->hints)
			m->hints[s->pool].valid = false;
		slot_drop(m, s);
	}
	if (rc == GD_ENOENT || !r.live)
		return 0;
	if ((p = calendar_find(&m->cal, r.pool)) < 0)
		return GD_EIO;		/* a pool we do not know: build again */
	if (m->hints)
		m->hints[p].valid = false;
	if ((rc = timeline_add_grant(m->cal.pp[p].tl, &r.span)) < 0)
		return rc;
	if ((rc = slot_put(m, id, r.enrollment, (size_t)p)) < 0) {
		(void)timeline_remove_grant(m->cal.pp[p].tl, id);
		return rc;
	}
	return 0;
}

/* Whether a sync would change anything; *dv is the writer's data_version. */
static bool
mem_stale(struct calmem *m, int64_t dv)
{
	return !m->valid || m->rebuild || dv != m->data_version || m->dirty.n > 0 ||
	    m->undos != db_undos(m->w);
}

static int
mem_sync(struct calmem *m, int64_t dv)
{
	int rc = 0;

	if (m->undos != db_undos(m->w)) {
		if (m->other_open || m->other_done)
			m->rebuild = true;
		if (list_cat(&m->dirty, &m->open) < 0 || list_cat(&m->dirty, &m->done) < 0)
			m->rebuild = true;
		m->undos = db_undos(m->w);
	}
	m->done.n = 0;
	m->other_done = false;
	if (!db_in_transaction(m->w)) {
		/* Nothing is open: what was listed as open is committed or gone. */
		m->open.n = 0;
		m->other_open = false;
	}
	if (m->valid && !m->rebuild && dv == m->data_version) {
		for (size_t i = 0; rc == 0 && i < m->dirty.n; i++)
			rc = mem_regrant(m, m->dirty.v[i]);
		m->dirty.n = 0;
		if (rc == 0)
			return 0;
	}
	m->data_version = dv;
	return mem_rebuild(m);
}

static void
mem_free(struct calmem *m)
{
	if (m == NULL || --m->refs > 0)
		return;
	pools_free(&m->cal);
	free(m->hints);
	free(m->slot);
	free(m->dirty.v);
	free(m->open.v);
	free(m->done.v);
	free(m);
}

/* The writer is being closed: nothing can be kept in line any more. */
static void
mem_free_writer(void *arg)
{
	struct calmem *m = arg;

	db_watch_rows(m->w, NULL, NULL, NULL);
	m->w = NULL;
	m->valid = false;
	mem_free(m);
}

static void
mem_free_reader(void *arg)
{
	mem_free(arg);
}

int
calendar_attach(struct db *w, struct db *r)
{
	struct calmem *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return GD_ENOMEM;
	m->w = w;
	m->refs = r ? 2 : 1;
	m->undos = db_undos(w);
	db_set_aux(w, m, mem_free_writer);
	if (r)
		db_set_aux(r, m, mem_free_reader);
	db_watch_rows(w, on_row, on_commit, m);
	return 0;
}

int
calendar_load(struct db *db, struct calendar *s)
{
	struct calmem *m = db_aux(db);
	int64_t dv;
	int rc;

	memset(s, 0, sizeof(*s));
	if (m == NULL || m->w == NULL || (dv = db_data_version(m->w)) < 0)
		return calendar_build(db, s);
	/* The reader must not see the calendar changes of the writer's open batch. */
	if ((db != m->w && db_in_transaction(m->w) && (m->open.n > 0 || m->other_open)) ||
	    (m->views > 0 && mem_stale(m, dv))) {
		m->st.private++;
		return calendar_build(db, s);
	}
	if (mem_stale(m, dv) && (rc = mem_sync(m, dv)) < 0)
		return rc;
	*s = m->cal;
	s->kept = m;
	m->views++;
	return 0;
}

int
calendar_load_own(struct db *db, struct calendar *s)
{
	struct calendar v;
	int rc;

	if ((rc = calendar_load(db, &v)) < 0)
		return rc;
	if (v.kept == NULL) {
		*s = v;
		return 0;
	}
	rc = calendar_copy(&v, s);
	calendar_free(&v);
	return rc;
}

void
calendar_set_checking(struct db *w, bool on)
{
	struct calmem *m = db_aux(w);

	if (m)
		m->check = on;
}

bool
calendar_checking(const struct calendar *s)
{
	return s->kept && s->kept->check;
}

void
calendar_stats(struct db *db, struct calendar_stats *out)
{
	struct calmem *m = db_aux(db);

	memset(out, 0, sizeof(*out));
	if (m) {
		*out = m->st;
		out->grants = m->live;
	}
}

/* 1 when the kept id index names every live grant's pool and enrollment and nothing else. */
static int
index_check(struct db *db, struct calmem *m, const struct calendar *built)
{
	const struct timeline_grant *g;
	struct grant_owner *own = NULL;
	struct gslot *s;
	size_t ng, nown = 0, total = 0;
	int eq = 1;

	if (store_grant_owners(db, &own, &nown) < 0)
		return GD_EIO;
	for (size_t i = 0; eq == 1 && i < built->n; i++) {
		g = timeline_grants(built->pp[i].tl, &ng);
		total += ng;
		for (size_t k = 0; eq == 1 && k < ng; k++)
			if ((s = slot_find(m, g[k].id)) == NULL || s->pool != i)
				eq = 0;
	}
	for (size_t k = 0; eq == 1 && k < nown; k++)
		if ((s = slot_find(m, own[k].grant)) == NULL || s->enrollment != own[k].enrollment)
			eq = 0;
	free(own);
	return eq == 1 && total == m->live && nown == m->live ? 1 : 0;
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
	if (eq == 1 && kept.kept)
		eq = index_check(db, kept.kept, &built);
	calendar_free(&kept);
	pools_free(&built);
	return eq < 0 ? eq : eq ? 0 : GD_ECONFLICT;
}

/*
 * The deep check offline (grantd calendar verify): the calendar as the
 * kept one is made, grant row by grant row through the same code a running
 * grantd uses after every change, on a calendar of pools and outages
 * alone, must equal one built from the store, index included.
 */
int
calendar_verify(struct db *db, size_t *npools, size_t *ngrants, char *why, size_t len)
{
	struct calmem m = { .refs = 1, .w = db };
	struct grant_owner *own = NULL;
	struct calendar built = { 0 };
	size_t nown = 0;
	int rc, eq = 1;

	why[0] = '\0';
	if ((rc = calendar_build(db, &built)) < 0 || (rc = calendar_copy(&built, &m.cal)) < 0 ||
	    (rc = store_grant_owners(db, &own, &nown)) < 0) {
		snprintf(why, len, "cannot read the calendar from the store (%d)", rc);
		goto out;
	}
	/* The same pools and outages, and no grant: then every grant as a change. */
	for (size_t i = 0; rc == 0 && i < m.cal.n; i++) {
		const struct timeline_grant *g;
		size_t ng;

		g = timeline_grants(m.cal.pp[i].tl, &ng);
		while (rc == 0 && ng > 0) {
			rc = timeline_remove_grant(m.cal.pp[i].tl, g[0].id);
			g = timeline_grants(m.cal.pp[i].tl, &ng);
		}
	}
	m.valid = true;
	for (size_t k = 0; rc == 0 && k < nown; k++)
		if ((rc = mem_regrant(&m, own[k].grant)) < 0)
			snprintf(why, len, "grant gr_%lld cannot be put on the calendar (%d)",
			    (long long)own[k].grant, rc);
	for (size_t i = 0; rc == 0 && eq == 1 && i < built.n; i++)
		if ((eq = timeline_equal(m.cal.pp[i].tl, built.pp[i].tl)) == 0)
			snprintf(why, len, "pool %s: grant by grant, its timeline differs from the "
			    "one built at once", built.pools[i].id);
	if (rc == 0 && eq == 1 && (eq = index_check(db, &m, &built)) == 0)
		snprintf(why, len, "the grants' index differs from the store");
	if (rc == 0 && eq < 0)
		rc = eq;
	else if (rc == 0 && eq == 0)
		rc = GD_ECONFLICT;
	*npools = built.n;
	*ngrants = m.live;
out:
	free(own);
	pools_free(&built);
	pools_free(&m.cal);
	free(m.slot);
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

/* The enrollment of a live grant, from the kept index or from own (sorted by grant). */
static bool
owner_of(const struct calendar *s, const struct grant_owner *own, size_t nown, int64_t grant,
    int64_t *enrollment)
{
	struct grant_owner key = { grant, 0 }, *hit;
	struct gslot *g;

	if (s->kept) {
		g = slot_find(s->kept, grant);
		*enrollment = g ? g->enrollment : 0;
		return g != NULL;
	}
	hit = nown ? bsearch(&key, own, nown, sizeof(*own), cmp_owner) : NULL;
	*enrollment = hit ? hit->enrollment : 0;
	return hit != NULL;
}

int
calendar_losses(struct db *db, const struct calendar *s, int64_t from, int64_t to,
    struct enr_loss **lost, size_t *n)
{
	struct grant_owner *own = NULL;
	struct enr_loss *out = NULL;
	struct outage_loss *gl;
	size_t nown = 0, nout = 0, cout = 0, ngl, k, j;
	int64_t enr;
	int rc = 0;

	/* The kept calendar knows every live grant's enrollment; a built one asks the store. */
	if (s->kept == NULL && (rc = store_grant_owners(db, &own, &nown)) < 0)
		return rc;
	if (nown)
		qsort(own, nown, sizeof(*own), cmp_owner);
	for (size_t i = 0; rc == 0 && i < s->n && from < to; i++) {
		gl = NULL;
		ngl = 0;
		rc = outage_share_loss(s->pp[i].tl, s->pools[i].weight_milli, from, to, &gl, &ngl);
		for (k = 0; rc == 0 && k < ngl; k++) {
			if (!owner_of(s, own, nown, gl[k].grant_id, &enr))
				continue;
			for (j = 0; j < nout && out[j].enrollment != enr; j++)
				;
			if (j == nout) {
				if ((rc = vec_push(&out, &nout, &cout,
				    &(struct enr_loss){ enr, 0 }, sizeof(*out))) < 0)
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
