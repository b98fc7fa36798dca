/* store_pools.c: SQL for pools. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_pools.h"
#include "vec.h"

static json_t *
pool_row(sqlite3_stmt *st)
{
	int64_t cards = sqlite3_column_int64(st, 4), w = sqlite3_column_int64(st, 6);

	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o}", "id", db_text(st, 0),
	    "provider", db_text(st, 1), "site", db_text(st, 2), "card_model", db_text(st, 3),
	    "cards", (json_int_t)cards, "weight", jv_milli(w), "units", jv_milli(cards * w),
	    "created_at", jv_instant(sqlite3_column_int64(st, 5)));
}

#define POOL_SQL "SELECT p.id, p.provider, p.site, p.card_model, p.cards, p.created_at, " \
	"m.weight_milli FROM pools p JOIN card_models m ON m.id = p.card_model "

int
store_pool_insert(struct db *db, const struct pool_in *p, int64_t now)
{
	return db_run(db, "INSERT INTO pools (id, provider, site, card_model, cards, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?)", "ttttii", p->id, p->provider, p->site, p->card_model,
	    p->cards, now);
}

int
store_pool_get(struct db *db, const char *id, json_t **out)
{
	return db_get_json(db, POOL_SQL "WHERE p.id = ?", pool_row, out, "t", id);
}

int
store_pool_list(struct db *db, const char *after, int64_t limit, json_t **items, char **next)
{
	return db_page(db, POOL_SQL "WHERE p.id > ? ORDER BY p.id LIMIT ?", pool_row,
	    db_cursor_text, limit, items, next, "ti", after ? after : "", limit + 1);
}

int
store_pool_exists(struct db *db, const char *id)
{
	int64_t n = db_int(db, "SELECT count(*) FROM pools WHERE id = ?", "t", id);

	return n < 0 ? GD_EIO : n > 0;
}

#define FACTS_SQL "SELECT p.id, p.card_model, m.weight_milli, p.cards FROM pools p " \
	"JOIN card_models m ON m.id = p.card_model "

static void
facts_row(sqlite3_stmt *st, struct cal_pool *p)
{
	snprintf(p->id, sizeof(p->id), "%s", db_text(st, 0));
	snprintf(p->card_model, sizeof(p->card_model), "%s", db_text(st, 1));
	p->weight_milli = sqlite3_column_int64(st, 2);
	p->cards = sqlite3_column_int64(st, 3);
}

int
store_pool_facts(struct db *db, const char *id, struct cal_pool *out)
{
	sqlite3_stmt *st = db_prep(db, FACTS_SQL "WHERE p.id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		facts_row(st, out);
		rc = 0;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_pools_all(struct db *db, struct cal_pool **out, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, FACTS_SQL "ORDER BY p.id");
	struct cal_pool *v = NULL, p;
	size_t cnt = 0, cap = 0;
	int rc = 0;

	if (st == NULL)
		return GD_EIO;
	while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
		facts_row(st, &p);
		rc = vec_push(&v, &cnt, &cap, &p, sizeof(p));
	}
	db_done(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = cnt;
	return 0;
}
