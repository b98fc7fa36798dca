/* quota.c: a team's quota figures (GET /v1/teams/{team}/quota) and the cache of its answers. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "calendar.h"
#include "db.h"
#include "err.h"
#include "figures.h"
#include "jsonv.h"
#include "quota.h"
#include "store_grants.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_pools.h"
#include "store_usage.h"

_Static_assert(QUOTA_ID_LEN == ID_MAX + 1, "quota.h's id length is ID_MAX + 1");

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
active_grants_json(const struct figures *v, const struct calendar *cal, int64_t at)
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
		    jv_instant(gr->start), "end", jv_instant(gr->end), "kind", grant_kind_name(gr->kind));
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
	struct figures v = { 0 };
	struct phase_info pi;
	struct ledger_account acc;
	char ph[ID_MAX + 1];
	int64_t since, avail;
	json_t *o, *m;
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
	if ((rc = figures_load(db, &cal, &pi, at, &v, true)) < 0 ||
	    (rc = store_usage_idle_get(db, v.e.id, at, &since)) < 0 ||
	    (rc = figures_voucher(db, v.e.id, &acc, &avail)) < 0)
		goto out;
	o = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, "
	    "s:{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}, s:o, "
	    "s:{s:I, s:I, s:I, s:I, s:I, s:I}}",
	    "team", team, "phase", ph, "state", enrollment_state_name(v.e.state), "at", jv_instant(at),
	    "window", figures_window_json(&v, &pi, true),
	    "counted", json_pack("{s:o, s:o}", "from", jv_instant(v.fig.counted_from), "to",
	    jv_instant(v.fig.counted_to > v.fig.counted_from ? v.fig.counted_to :
	    v.fig.counted_from)),
	    "units", jv_milli(pi.units_milli), "grants", active_grants_json(&v, &cal, at),
	    "unit_hours", "entitled", jv_unit_hours(v.fig.entitled),
	    "granted", jv_unit_hours(v.fig.granted),
	    "delivered", jv_unit_hours(v.fig.delivered), "lost", jv_unit_hours(v.fig.lost),
	    "owed", jv_unit_hours(v.fig.owed), "used", jv_unit_hours(v.fig.used),
	    "flagged", jv_unit_hours(v.flagged),
	    "beyond_service", jv_unit_hours(v.beyond_service),
	    "utilization", jv_ratio(v.fig.utilization_ppm),
	    "idle", figures_idle_json(since),
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
	if ((m = figures_measured_json(&v.measured)) != NULL)
		json_object_set_new(o, "measured", m);
	*out = o;
out:
	figures_free(&v);
	calendar_free(&cal);
	return rc;
}

/*
 * Every statement of one answer reads the same snapshot, and the reader
 * takes its WAL read lock once instead of once per statement.  *began says
 * whether a transaction was begun here (none when one is open already).
 */
static int
snapshot_begin(struct db *db, bool *began)
{
	*began = false;
	if (db_in_transaction(db))
		return 0;
	if (db_begin(db, DB_DEFERRED) < 0)
		return GD_EIO;
	*began = true;
	return 0;
}

static void
snapshot_end(struct db *db, bool began)
{
	if (began)
		db_commit(db);
}

int
quota_json(struct db *db, const char *team, const char *phase, int64_t at, json_t **out,
    char *err, size_t errlen)
{
	bool began;
	int rc;

	if ((rc = snapshot_begin(db, &began)) < 0)
		return rc;
	rc = quota_build(db, team, phase, at, out, err, errlen);
	snapshot_end(db, began);
	return rc;
}

/*
 * The answer cache.  A quota is a function of the committed state, the
 * team, the phase asked for and `at`; an answer stored with the version of
 * the state it was computed from (store_usage_state_version) is exact for
 * as long as the version stays.  A team's dashboard polls "now", so every
 * poll within the same second and the same state is served from here.
 * Entries are replaced least recently used first.
 *
 * The connection the entries belong to is kept by address and file name:
 * a connection opened later at the same address (another database, or the
 * same one reopened) starts its data_version afresh, so the cache is
 * emptied whenever the asker changes.
 */
void
quota_cache_clear(struct quota_cache *c)
{
	for (size_t i = 0; i < QUOTA_CACHE_SLOTS; i++)
		free(c->slot[i].text);
	memset(c, 0, sizeof(*c));
}

static void
qcache_owner(struct quota_cache *c, struct db *db)
{
	const char *f = store_usage_db_file(db);

	if (c->owner == db && strcmp(c->owner_file, f) == 0)
		return;
	quota_cache_clear(c);
	c->owner = db;
	snprintf(c->owner_file, sizeof(c->owner_file), "%s", f);
}

static struct quota_entry *
qcache_find(struct quota_cache *c, const struct db *db, int64_t version, size_t flags,
    const char *team, const char *phase, int64_t at)
{
	for (size_t i = 0; i < QUOTA_CACHE_SLOTS; i++) {
		struct quota_entry *q = &c->slot[i];

		if (q->text && q->db == db && q->version == version && q->at == at &&
		    q->flags == flags && strcmp(q->team, team) == 0 &&
		    strcmp(q->phase, phase) == 0)
			return q;
	}
	return NULL;
}

static void
qcache_put(struct quota_cache *c, const struct db *db, int64_t version, size_t flags,
    const char *team, const char *phase, int64_t at, const char *text, size_t len)
{
	struct quota_entry *q = &c->slot[0];
	char *copy = malloc(len + 1);

	if (copy == NULL)
		return;		/* a cache that cannot grow just misses */
	for (size_t i = 1; i < QUOTA_CACHE_SLOTS && q->text; i++)
		if (c->slot[i].text == NULL || c->slot[i].used < q->used)
			q = &c->slot[i];
	free(q->text);
	memcpy(copy, text, len + 1);
	*q = (struct quota_entry){ db, version, at, flags, "", "", copy, len, ++c->tick };
	snprintf(q->team, sizeof(q->team), "%s", team);
	snprintf(q->phase, sizeof(q->phase), "%s", phase);
}

int
quota_text(struct quota_cache *c, struct db *writer, struct db *db, const char *team,
    const char *phase, int64_t at, size_t flags, char **text, size_t *len, char *err,
    size_t errlen)
{
	const char *ph = phase ? phase : "";
	struct quota_entry *q;
	int64_t version = 0;
	json_t *o = NULL;
	char *s = NULL;
	bool began, storable = false;
	int rc;

	if (c) {
		if ((rc = store_usage_state_version(db, writer, &version, &storable)) < 0)
			return rc;
		qcache_owner(c, db);
		if ((q = qcache_find(c, db, version, flags, team, ph, at)) != NULL) {
			q->used = ++c->tick;
			if ((s = malloc(q->len + 1)) == NULL)
				return GD_ENOMEM;
			memcpy(s, q->text, q->len + 1);
			*text = s;
			*len = q->len;
			return 0;
		}
	}
	if ((rc = snapshot_begin(db, &began)) < 0)
		return rc;
	/* The snapshot just begun is the state the version names (nothing runs between). */
	if ((rc = quota_build(db, team, phase, at, &o, err, errlen)) < 0)
		goto out;
	if ((s = json_dumps(o, flags)) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if (c && storable)
		qcache_put(c, db, version, flags, team, ph, at, s, strlen(s));
	*text = s;
	*len = strlen(s);
out:
	json_decref(o);
	snapshot_end(db, began);
	return rc;
}
