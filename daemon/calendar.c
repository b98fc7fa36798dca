/* calendar.c: building the pools' timelines from outages and grants in the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "calendar.h"

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

static int
load_pool(struct db *db, struct calendar *s, size_t i)
{
	sqlite3_stmt *st;
	struct timeline_outage *o = NULL;
	struct timeline_grant *g = NULL;
	size_t no = 0, co = 0, ng = 0, cg = 0;
	int rc = 0;

	st = db_prep(db, "SELECT from_t, to_t, cards FROM outages WHERE pool = ?");
	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", s->pools[i].id);
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		if ((rc = grow((void **)&o, &co, no, sizeof(*o))) == 0)
			o[no++] = (struct timeline_outage){ sqlite3_column_int64(st, 0),
				sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2) };
	}
	db_done(st);
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
