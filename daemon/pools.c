/* pools.c: pools, their outages and timelines, through the store and lib/outage. */
#include <stdio.h>
#include <stdlib.h>

#include "calendar.h"
#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "pools.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_grants.h"
#include "store_outages.h"
#include "store_pools.h"

/* A lookup's GD_ENOENT, said as "WHAT 'ID' does not exist". */
static int
missing(int rc, const char *what, const char *id, char *err, size_t errlen)
{
	if (rc == GD_ENOENT)
		snprintf(err, errlen, "%s '%s' does not exist", what, id);
	return rc;
}

/* GD_ENOENT (with err) unless the pool exists. */
static int
pool_check(struct db *db, const char *id, char *err, size_t errlen)
{
	json_t *pool = NULL;
	int rc;

	err[0] = '\0';
	if ((rc = store_pool_get(db, id, &pool)) < 0)
		return missing(rc, "pool", id, err, errlen);
	json_decref(pool);
	return 0;
}

int
pools_get(struct db *db, const char *id, json_t **out)
{
	return store_pool_get(db, id, out);
}

int
pools_list(struct db *db, const char *after, int64_t limit, json_t **items, char **next)
{
	return store_pool_list(db, after, limit, items, next);
}

int
pools_create(struct db *db, const struct pool_in *p, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen)
{
	int64_t w;
	int rc;

	err[0] = '\0';
	*existed = false;
	if ((rc = store_card_model_weight(db, p->card_model, &w)) < 0)
		return missing(rc, "card model", p->card_model, err, errlen);
	if ((rc = store_pool_get(db, p->id, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	if ((rc = store_pool_insert(db, p, now)) < 0)
		return rc;
	return store_pool_get(db, p->id, out);
}

/* Whether the outage fits the pool beside the others (but `except`): 0, or GD_ECAPACITY with *ov. */
static int
outage_fits(struct db *db, const struct outage_in *in, int64_t except, int64_t pool_cards,
    struct outage_overflow *ov)
{
	struct timeline_outage *outs = NULL, o = { in->from, in->to, in->cards };
	size_t n = 0;
	int rc;

	if ((rc = store_outages_of(db, in->pool, except, &outs, &n)) == 0)
		rc = outage_check_room(pool_cards, outs, n, &o, ov);
	free(outs);
	return rc;
}

/* The losses outage o newly causes, per grant and team, as the outage's reply shows them. */
static int
outage_losses(struct db *db, const char *pool, const struct timeline_outage *o, json_t **out)
{
	struct calendar s;
	struct outage_loss *loss = NULL;
	struct grant g;
	struct enrollment e;
	size_t n = 0;
	ssize_t i;
	json_t *arr;
	char gid[32];
	int rc;

	if ((rc = calendar_load(db, &s)) < 0)
		return rc;
	if ((i = calendar_find(&s, pool)) < 0) {
		calendar_free(&s);
		return GD_ENOENT;
	}
	rc = outage_added_loss(s.pp[i].tl, s.pools[i].weight_milli, o, &loss, &n);
	calendar_free(&s);
	if (rc < 0)
		return rc;
	arr = json_array();
	for (size_t k = 0; k < n && rc == 0; k++) {
		if ((rc = store_grant_get(db, loss[k].grant_id, &g)) < 0 ||
		    (rc = store_enrollment_by_id(db, g.enrollment, &e)) < 0)
			break;
		grant_id_format(g.id, gid);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:o}", "grant", gid,
		    "team", e.team, "phase", e.phase, "lost_unit_hours",
		    jv_unit_hours(loss[k].lost)));
	}
	free(loss);
	if (rc < 0) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return 0;
}

int
pools_outage_add(struct db *db, const struct outage_in *o, int64_t pool_cards, int64_t now,
    struct outage_overflow *ov, int64_t *id, json_t **out)
{
	json_t *losses = NULL, *obj = NULL;
	int rc;

	if ((rc = outage_fits(db, o, 0, pool_cards, ov)) < 0)
		return rc;
	if ((rc = outage_losses(db, o->pool, &(struct timeline_outage){ o->from, o->to,
	    o->cards }, &losses)) < 0 ||
	    (rc = store_outage_insert(db, o, now, id)) < 0 ||
	    (rc = store_outage_get(db, *id, &obj)) < 0) {
		json_decref(losses);
		return rc;
	}
	json_object_set_new(obj, "losses", losses);
	*out = obj;
	return 0;
}

/* The standing outage id; GD_ENOENT or GD_ESTATE with err. */
static int
outage_standing(struct db *db, int64_t id, struct outage_row *o, char *err, size_t errlen)
{
	int rc = store_outage_row(db, id, o);

	if (rc == GD_ENOENT)
		snprintf(err, errlen, "outage 'out_%lld' does not exist", (long long)id);
	else if (rc == 0 && o->cancelled_at >= 0) {
		snprintf(err, errlen, "outage 'out_%lld' was cancelled; record a new one",
		    (long long)id);
		rc = GD_ESTATE;
	}
	return rc;
}

int
pools_outage_update(struct db *db, int64_t id, const struct outage_fix *fx, int64_t now,
    const struct civil_zone *zone, struct outage_overflow *ov, json_t **before, json_t **out,
    char *err, size_t errlen)
{
	struct outage_row o;
	struct outage_in in;
	json_t *pool = NULL;
	int64_t cards;
	int rc;

	err[0] = '\0';
	*before = *out = NULL;
	if ((rc = outage_standing(db, id, &o, err, errlen)) < 0 ||
	    (rc = store_pool_get(db, o.pool, &pool)) < 0)
		return rc;
	cards = json_integer_value(json_object_get(pool, "cards"));
	json_decref(pool);
	in = (struct outage_in){ .pool = o.pool, .from = fx->has_from ? fx->from : o.from,
		.to = fx->has_to ? fx->to : o.to, .cards = fx->has_cards ? fx->cards : o.cards };
	if (in.to <= in.from) {
		snprintf(err, errlen, "to must be after from");
		return GD_EINVAL;
	}
	if (in.cards > cards) {
		snprintf(err, errlen, "cards (%lld) exceeds the pool's %lld cards",
		    (long long)in.cards, (long long)cards);
		return GD_EINVAL;
	}
	if ((rc = outage_fits(db, &in, id, cards, ov)) < 0) {
		char at[CIVIL_WHEN_LEN];

		if (rc != GD_ECAPACITY)
			return rc;
		civil_format_when(ov->at, zone, at);
		snprintf(err, errlen, "other outages take %lld of the %lld cards of pool "
			    "'%s' out of service at %s; %lld more would exceed the pool's size",
			    (long long)ov->out, (long long)cards, o.pool, at, (long long)in.cards);
		return rc;
	}
	if ((rc = store_outage_get(db, id, before)) < 0 ||
	    (rc = store_outage_update(db, id, in.from, in.to, in.cards, now)) < 0 ||
	    (rc = store_outage_get(db, id, out)) < 0) {
		json_decref(*before);
		*before = NULL;
	}
	return rc;
}

int
pools_outage_cancel(struct db *db, int64_t id, const char *reason, int64_t now, json_t **out,
    char *err, size_t errlen)
{
	struct outage_row o;
	int rc;

	err[0] = '\0';
	if ((rc = outage_standing(db, id, &o, err, errlen)) < 0 ||
	    (rc = store_outage_cancel(db, id, reason, now)) < 0)
		return rc;
	return store_outage_get(db, id, out);
}

int
pools_outage_list(struct db *db, const char *pool, int64_t after, int64_t limit,
    json_t **items, char **next, char *err, size_t errlen)
{
	int rc;

	if ((rc = pool_check(db, pool, err, errlen)) < 0)
		return rc;
	return store_outage_list(db, pool, after, limit, items, next);
}

int
pools_timeline(struct db *db, const char *pool, int64_t from, int64_t to,
    struct timeline_segment **seg, size_t *n, char *err, size_t errlen)
{
	struct calendar s;
	ssize_t i;
	int rc;

	if ((rc = pool_check(db, pool, err, errlen)) < 0)
		return rc;
	if ((rc = calendar_load(db, &s)) < 0)
		return rc;
	i = calendar_find(&s, pool);
	rc = timeline_segments(s.pp[i].tl, from, to, seg, n);
	calendar_free(&s);
	return rc;
}
