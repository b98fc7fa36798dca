/* enroll.c: enrollments: placement or an explicit split, dry runs, their end, make-ups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "calendar.h"
#include "civil.h"
#include "enroll.h"
#include "err.h"
#include "grants.h"
#include "jsonv.h"
#include "log.h"
#include "outage.h"
#include "placement.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_grants.h"
#include "store_pools.h"
#include "team_rules.h"
#include "vouchers.h"

/* How far past the horizon an earliest_start is still looked for. */
#define FAR_HORIZON_DAYS (20 * 366)

int
enroll_phase_load(struct db *db, const char *phase, struct phase_info *pi, char *err,
    size_t errlen)
{
	int rc = store_phase_info(db, phase, pi);

	err[0] = '\0';
	if (rc == GD_ENOENT)
		snprintf(err, errlen, "phase '%s' does not exist", phase);
	return rc;
}

/* A dry run's answer: the enrollment as it would be, without ids. */
static json_t *
preview(const struct phase_info *pi, const char *team, const struct calendar *cal,
    const size_t *pool_idx, const int64_t *cards, size_t n, int64_t start, int64_t end)
{
	char sd[CIVIL_DATE_LEN], ed[CIVIL_DATE_LEN];
	json_t *grants = json_array();

	for (size_t i = 0; i < n; i++) {
		const struct cal_pool *p = &cal->pools[pool_idx[i]];

		json_array_append_new(grants, json_pack("{s:s, s:s, s:I, s:o, s:o, s:o}", "pool",
		    p->id, "card_model", p->card_model, "cards", (json_int_t)cards[i], "units",
		    jv_milli(cards[i] * p->weight_milli), "start", jv_instant(start), "end",
		    jv_instant(end)));
	}
	civil_format_date(civil_local_day(start, pi->tz_off), sd);
	civil_format_date(civil_local_day(end, pi->tz_off), ed);
	return json_pack("{s:s, s:s, s:s, s:{s:o, s:o, s:I, s:s, s:s}, s:o, s:o, s:{s:I}, s:b}",
	    "team", team, "phase", pi->id, "state", "active", "window", "start", jv_instant(start),
	    "end", jv_instant(end), "days", (json_int_t)pi->period_days, "start_date", sd,
	    "end_date", ed, "units", jv_milli(pi->units_milli), "grants", grants, "voucher",
	    "budget_krw", (json_int_t)pi->voucher_krw, "dry_run", 1);
}

/* Decodes "grants": [{"pool", "cards"}] of an explicit split. */
static int
decode_split(const json_t *arr, struct placement_split *sp, char *err, size_t errlen)
{
	char where[32];
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		const struct jv_field f[] = {
			{ "pool", JV_ID, JV_REQUIRED, 0, 0, &sp[i].pool, NULL },
			{ "cards", JV_INT, JV_REQUIRED, 1, 1000000, &sp[i].cards, NULL },
		};

		snprintf(where, sizeof(where), "grants[%zu].", i);
		if (!json_is_object(v)) {
			snprintf(err, errlen, "grants[%zu] must be an object", i);
			return GD_EINVAL;
		}
		if (jv_decode(v, f, NFIELDS(f), where, err, errlen) < 0)
			return GD_EINVAL;
	}
	return 0;
}

/* Where a new enrollment goes: pools (calendar indexes), cards and start. */
struct spot {
	size_t *idx;		/* n of each, malloc'd (spot_free) */
	int64_t *cards;
	size_t n;
	int64_t start;
	json_t *delays;		/* why the start is later than asked, or NULL */
};

/* Room for n pools in sp; 0 or GD_ENOMEM. */
static int
spot_alloc(struct spot *sp, size_t n)
{
	sp->idx = malloc((n ? n : 1) * sizeof(*sp->idx));
	sp->cards = malloc((n ? n : 1) * sizeof(*sp->cards));
	return sp->idx && sp->cards ? 0 : GD_ENOMEM;
}

static void
spot_free(struct spot *sp)
{
	free(sp->idx);
	free(sp->cards);
	json_decref(sp->delays);
}

/* A pool as a candidate for placement: its size in milli-units, and its index. */
struct cand_size {
	int64_t units;
	size_t i;
};

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

static int
cmp_cand_size(const void *a, const void *b)
{
	const struct cand_size *x = a, *y = b;

	if (x->units != y->units)
		return x->units > y->units ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

/*
 * The pools the scheduler searches when the request names none: all of
 * them.  Only past PLACEMENT_MAX_POOLS (65,534, the placement table's
 * limit; a national programme has about a thousand) the largest (cards x
 * weight, then calendar order): "as few pools as it can" favours large
 * pools, and none is dropped for being late in the list.
 */
static int
auto_candidates(const struct calendar *cal, size_t *map, size_t *nc)
{
	struct cand_size *v;

	*nc = 0;
	if (cal->n <= PLACEMENT_MAX_POOLS) {
		for (size_t i = 0; i < cal->n; i++)
			map[(*nc)++] = i;
		return 0;
	}
	if ((v = calloc(cal->n, sizeof(*v))) == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < cal->n; i++) {
		/* cards <= 10^6 and weight <= 10^6 milli: no overflow. */
		v[i].units = cal->pools[i].cards * cal->pools[i].weight_milli;
		v[i].i = i;
	}
	qsort(v, cal->n, sizeof(*v), cmp_cand_size);
	for (size_t k = 0; k < PLACEMENT_MAX_POOLS; k++)
		map[(*nc)++] = v[k].i;
	/* Calendar order again, so that ties in placement break by pool as before. */
	qsort(map, *nc, sizeof(*map), cmp_size);
	free(v);
	return 0;
}

/*
 * Why the start found is later than asked: [{pool, free_cards, until}] for
 * each pool of the split that could not hold its share from start_min, or
 * NULL when nothing held the team back.
 */
static json_t *
delays_json(const struct placement_pool *cand, const struct placement *pl, int64_t start_min)
{
	struct placement_delay *d = malloc((pl->nshares ? pl->nshares : 1) * sizeof(*d));
	size_t n = d ? placement_delays(cand, pl, start_min, d) : 0;
	json_t *arr;

	if (n == 0 || (arr = json_array()) == NULL) {
		free(d);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:o}", "pool",
		    cand[d[i].pool].id, "free_cards", (json_int_t)d[i].free_cards, "until",
		    jv_instant(d[i].until)));
	free(d);
	return arr;
}

/* The candidates named by "pools", in the order given (each once: a flag per pool, not a scan). */
static int
named_candidates(const struct calendar *cal, const json_t *pools, size_t *map, size_t *nc,
    char *err, size_t errlen)
{
	bool *seen = calloc(cal->n ? cal->n : 1, sizeof(*seen));
	json_t *v;
	size_t i;
	int rc = 0;

	if (seen == NULL)
		return GD_ENOMEM;
	json_array_foreach(pools, i, v) {
		ssize_t k = json_is_string(v) ? calendar_find(cal, json_string_value(v)) : -1;

		if (!json_is_string(v)) {
			snprintf(err, errlen, "pools[%zu] must be a pool id", i);
			rc = GD_EINVAL;
			break;
		}
		if (k < 0) {
			snprintf(err, errlen, "pool '%.64s' does not exist", json_string_value(v));
			rc = GD_ENOENT;
			break;
		}
		if (seen[k]) {
			snprintf(err, errlen, "pools lists '%s' twice", cal->pools[k].id);
			rc = GD_EINVAL;
			break;
		}
		seen[k] = true;
		map[(*nc)++] = (size_t)k;
	}
	free(seen);
	return rc;
}

/* The refusal when the package fits nowhere within the horizon, with its fields. */
static int
no_capacity(const struct phase_info *pi, const struct placement_pool *cand,
    const struct placement *pl, int64_t start_min, json_t **fields, char *err, size_t errlen)
{
	char when[CIVIL_DATE_LEN];
	json_t *delays;

	if (pl->nshares == 0) {
		snprintf(err, errlen, "the package of phase %s cannot be held for %lld days from "
		    "any start: the pools are too small", pi->id, (long long)pi->period_days);
		return GD_ENOCAPACITY;
	}
	civil_format_date(civil_local_day(pl->start, pi->tz_off), when);
	snprintf(err, errlen, "the package of phase %s cannot be held for %lld days from any "
	    "start within 3 years; the earliest possible start is %s", pi->id,
	    (long long)pi->period_days, when);
	*fields = json_pack("{s:o, s:s}", "earliest_start", jv_instant(pl->start),
	    "earliest_start_date", when);
	if (*fields && (delays = delays_json(cand, pl, start_min)) != NULL)
		json_object_set_new(*fields, "delays", delays);
	return GD_ENOCAPACITY;
}

/*
 * Tests (calendar_checking): the same search from nothing, without what
 * earlier searches left in the pools' hints, must give the same answer.
 */
static void
check_hints(const struct placement_pool *cand, size_t nc, const struct placement_request *preq,
    const struct placement *pl, int rc)
{
	struct placement_pool *bare = calloc(nc ? nc : 1, sizeof(*bare));
	struct placement q = { 0 };
	int qrc;
	bool same;

	if (bare == NULL)
		return;
	for (size_t i = 0; i < nc; i++) {
		bare[i] = cand[i];
		bare[i].hint = NULL;
	}
	qrc = placement_find(bare, nc, preq, &q);
	same = qrc == rc && q.start == pl->start && q.nshares == pl->nshares;
	for (size_t i = 0; same && i < q.nshares; i++)
		same = q.shares[i].pool == pl->shares[i].pool &&
		    q.shares[i].cards == pl->shares[i].cards;
	placement_release(&q);
	free(bare);
	if (!same && qrc != GD_ENOMEM) {
		log_error("placement with the pools' hints differs from one without (%d, %d)", rc,
		    qrc);
		abort();
	}
}

/* Places the team by search from start_min; fills *sp. */
static int
place_auto(const struct phase_info *pi, const struct calendar *cal, const json_t *pools,
    int64_t start_min, struct spot *sp, json_t **fields, char *err, size_t errlen)
{
	struct placement_pool *cand = calloc(cal->n ? cal->n : 1, sizeof(*cand));
	size_t *map = calloc(cal->n ? cal->n : 1, sizeof(*map)), nc = 0;
	struct placement_request preq = {
		.units_milli = pi->units_milli, .period = pi->period_days * CIVIL_DAY,
		.not_before = start_min, .zone_offset = pi->tz_off,
		.horizon = start_min + FAR_HORIZON_DAYS * CIVIL_DAY,
	};
	struct placement pl = { 0 };
	int rc;

	if (cand == NULL || map == NULL)
		rc = GD_ENOMEM;
	else if (pools)
		rc = named_candidates(cal, pools, map, &nc, err, errlen);
	else
		rc = auto_candidates(cal, map, &nc);
	if (rc < 0)
		goto out;
	for (size_t i = 0; i < nc; i++)
		cand[i] = cal->pp[map[i]];
	if (nc == 0) {
		snprintf(err, errlen, "there are no pools to place the team on");
		rc = GD_ENOCAPACITY;
		goto out;
	}
	rc = placement_find(cand, nc, &preq, &pl);
	if (calendar_checking(cal))
		check_hints(cand, nc, &preq, &pl, rc);
	if (rc == 0 && pl.start > start_min + ENROLL_HORIZON_DAYS * CIVIL_DAY)
		rc = GD_ENOCAPACITY;
	if (rc == GD_ENOCAPACITY)
		rc = no_capacity(pi, cand, &pl, start_min, fields, err, errlen);
	else if (rc < 0)
		snprintf(err, errlen, "placement failed");
	if (rc == 0 && (rc = spot_alloc(sp, pl.nshares)) == 0) {
		for (size_t i = 0; i < pl.nshares; i++) {
			sp->idx[i] = map[pl.shares[i].pool];
			sp->cards[i] = pl.shares[i].cards;
		}
		sp->n = pl.nshares;
		sp->start = pl.start;
		sp->delays = delays_json(cand, &pl, start_min);
	}
	placement_release(&pl);
out:
	free(cand);
	free(map);
	return rc;
}

/* Checks an explicit split from start; a split that is not the package goes to viol. */
static int
place_split(const struct phase_info *pi, const struct calendar *cal, const json_t *grants,
    int64_t start, struct spot *sp, json_t *viol, char *err, size_t errlen)
{
	struct placement_split split[ENROLL_MAX_SPLIT];
	/* GD_ERRBUF: the decoder's and placement's details are cut where they always were. */
	char detail[GD_ERRBUF];
	struct civil_zone zone;
	size_t ns = json_array_size(grants);
	int rc;

	/*
	 * No cards: the domain's vouchers-only exception (a team that is itself
	 * a GPU provider takes the voucher but no cards).  It breaks equal
	 * resource, so it needs an override with a reason; it takes no capacity
	 * and the report lists it apart.
	 */
	if (ns == 0) {
		json_array_append_new(viol, grants_violation("equal_resource", "an enrollment "
		    "with no cards is vouchers-only (the team provides its own GPUs): it needs "
		    "an override with a reason"));
		sp->n = 0;
		sp->start = start;
		return 0;
	}
	if (decode_split(grants, split, detail, sizeof(detail)) < 0) {
		snprintf(err, errlen, "%s", detail);
		return GD_EINVAL;
	}
	civil_zone_of(pi->tz, pi->tz_off, &zone);
	rc = placement_check_split(cal->pp, cal->n, split, ns, pi->units_milli, start,
	    start + pi->period_days * CIVIL_DAY, &zone, detail, sizeof(detail));
	if (rc == GD_EFAIRNESS)
		json_array_append_new(viol, grants_violation("equal_resource", "%s", detail));
	else if (rc < 0) {
		snprintf(err, errlen, "%s", detail);
		return rc;
	}
	if ((rc = spot_alloc(sp, ns)) < 0)
		return rc;
	for (size_t i = 0; i < ns; i++) {
		sp->idx[i] = (size_t)calendar_find(cal, split[i].pool);
		sp->cards[i] = split[i].cards;
	}
	sp->n = ns;
	sp->start = start;
	return 0;
}

/* The checks before placement: the team, one way to place, not enrolled yet, the date. */
static int
create_checks(struct db *db, const struct phase_info *pi, const struct enroll_new *in,
    int64_t today, int64_t *start_min, char *err, size_t errlen)
{
	struct enrollment e;
	json_t *team = NULL;
	int64_t not_before;
	int rc;

	/* By default no earlier than the day the team is enrolled: no window starts in the past. */
	if (in->has_not_before)
		not_before = in->not_before;
	else
		not_before = pi->starts_on > today ? pi->starts_on : today;

	if ((rc = store_team_get(db, in->team, &team)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "team '%s' does not exist", in->team);
		return rc;
	}
	json_decref(team);
	if (in->pools && in->grants) {
		snprintf(err, errlen, "give either pools (to search) or grants (an explicit "
		    "split), not both");
		return GD_EINVAL;
	}
	if ((rc = store_enrollment_get(db, pi->id, in->team, &e)) != GD_ENOENT) {
		if (rc == 0) {
			snprintf(err, errlen, "team '%s' is already enrolled in phase '%s' (state "
			    "%s)", in->team, pi->id, enrollment_state_name(e.state));
			return GD_EEXIST;
		}
		return rc;
	}
	if (not_before < pi->starts_on) {
		snprintf(err, errlen, "not_before is before the phase starts");
		return GD_EINVAL;
	}
	*start_min = civil_local_midnight(not_before, pi->tz_off);
	return 0;
}

/*
 * The rules that judge where the window landed: it starts no earlier than
 * the local day the team is enrolled (equal_period), and the team holds no
 * other enrollment of the programme then, nor was it eliminated or withdrew
 * (one_enrollment).  Violations go to viol.
 */
static int
placed_checks(struct db *db, const struct phase_info *pi, const struct enroll_new *in,
    int64_t today, int64_t start, json_t *viol)
{
	char s[CIVIL_DATE_LEN], t[CIVIL_DATE_LEN];

	if (start < civil_local_midnight(today, pi->tz_off)) {
		civil_format_date(civil_local_day(start, pi->tz_off), s);
		civil_format_date(today, t);
		json_array_append_new(viol, grants_violation("equal_period", "the window of team "
		    "'%s' would start on %s, before %s, the day it is enrolled: days that already "
		    "passed are not a period given", in->team, s, t));
	}
	return team_rules_check(db, pi, in->team, 0, start,
	    start + pi->period_days * CIVIL_DAY, true, viol);
}

/* Writes the enrollment placed at sp, its grants, voucher and overrides; *id is its row. */
static int
create_write(struct db *db, const struct phase_info *pi, const struct enroll_new *in,
    const struct calendar *cal, const struct spot *sp, const json_t *viol,
    const char *request_id, int64_t now, int64_t *id)
{
	int64_t end = sp->start + pi->period_days * CIVIL_DAY, gid;
	int rc;

	rc = store_enrollment_insert(db, pi->id, in->team, sp->start, end, now, id);
	for (size_t i = 0; rc == 0 && i < sp->n; i++)
		rc = store_grant_insert(db, *id, cal->pools[sp->idx[i]].id, sp->cards[i], sp->start,
		    end, in->grants ? GRANT_MANUAL : GRANT_PLACED, now, &gid);
	if (rc == 0)
		rc = vouchers_open(db, *id, pi->voucher_krw, now);
	if (rc == 0 && json_array_size(viol) > 0)
		rc = grants_record_overrides(db, pi->id, in->team, viol, in->override,
		    "enrollment.create", request_id, now);
	return rc;
}

int
enroll_create(struct db *db, const struct phase_info *pi, const struct enroll_new *in,
    const char *request_id, int64_t now, json_t **out, json_t **violations,
    json_t **fields, char *err, size_t errlen)
{
	struct calendar cal = { 0 };
	struct spot sp = { .n = 0 };
	json_t *viol = json_array(), *obj = NULL;
	int64_t start_min = 0, id, today = civil_local_day(now, pi->tz_off);
	int rc;

	err[0] = '\0';
	*violations = *fields = NULL;
	if ((rc = create_checks(db, pi, in, today, &start_min, err, errlen)) < 0 ||
	    (rc = calendar_load(db, &cal)) < 0)
		goto out;
	if ((rc = in->grants ? place_split(pi, &cal, in->grants, start_min, &sp, viol, err,
	    errlen) : place_auto(pi, &cal, in->pools, start_min, &sp, fields, err, errlen)) < 0 ||
	    (rc = placed_checks(db, pi, in, today, sp.start, viol)) < 0)
		goto out;
	if (json_array_size(viol) > 0 && in->override == NULL) {
		const char *d = json_string_value(json_object_get(json_array_get(viol, 0),
		    "detail"));

		snprintf(err, errlen, "%s", d ? d : "fairness rule broken");
		*violations = viol;
		viol = NULL;
		rc = GD_EFAIRNESS;
		goto out;
	}
	if (in->dry_run) {
		/* A what-if: nothing above wrote anything, so nothing is stored. */
		obj = preview(pi, in->team, &cal, sp.idx, sp.cards, sp.n, sp.start,
		    sp.start + pi->period_days * CIVIL_DAY);
	} else {
		if ((rc = create_write(db, pi, in, &cal, &sp, viol, request_id, now, &id)) < 0 ||
		    (rc = store_enrollment_json(db, id, &obj)) < 0)
			goto out;
		if (json_array_size(viol) > 0)
			json_object_set_new(obj, "overridden", json_incref(viol));
	}
	if (sp.delays)
		json_object_set(obj, "delays", sp.delays);
	*out = obj;
out:
	spot_free(&sp);
	calendar_free(&cal);
	json_decref(viol);
	return rc;
}

int
enroll_list(struct db *db, const struct phase_info *pi, const char *team, const char *after,
    int64_t limit, json_t **items, char **next)
{
	return store_enrollment_list(db, pi->id, team, after, limit, items, next);
}

/* The enrollment of team in the phase; GD_ENOENT with a detail when there is none. */
static int
find_enrollment(struct db *db, const struct phase_info *pi, const char *team,
    struct enrollment *e, char *err, size_t errlen)
{
	int rc = store_enrollment_get(db, pi->id, team, e);

	if (rc == GD_ENOENT)
		snprintf(err, errlen, "team '%s' is not enrolled in phase '%s'", team, pi->id);
	return rc;
}

int
enroll_get(struct db *db, const struct phase_info *pi, const char *team, json_t **out,
    char *err, size_t errlen)
{
	struct enrollment e;
	int rc;

	err[0] = '\0';
	if ((rc = find_enrollment(db, pi, team, &e, err, errlen)) < 0)
		return rc;
	if ((rc = store_enrollment_json(db, e.id, out)) == GD_ENOENT)
		snprintf(err, errlen, "enrollment '%s' does not exist", e.team);
	return rc;
}

/* Cuts every live grant of an enrollment at t. */
static int
cut_grants(struct db *db, int64_t enrollment, int64_t t)
{
	struct grant *gs = NULL;
	size_t n = 0;
	int rc;

	if ((rc = store_grants_of(db, enrollment, &gs, &n)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (gs[i].end > t)
			rc = store_grant_cut(db, gs[i].id, t);
	free(gs);
	return rc;
}

int
enroll_end(struct db *db, const struct phase_info *pi, const char *team, enum enroll_end how,
    int64_t day, int64_t now, json_t **out, char *err, size_t errlen)
{
	struct enrollment e;
	int64_t t;
	int rc;

	err[0] = '\0';
	if ((rc = find_enrollment(db, pi, team, &e, err, errlen)) < 0)
		return rc;
	if (e.state != ENROLLMENT_ACTIVE) {
		snprintf(err, errlen, "enrollment of team '%s' in phase '%s' is %s, not active",
		    e.team, pi->id, enrollment_state_name(e.state));
		return GD_ESTATE;
	}
	t = civil_local_midnight(day, pi->tz_off);
	if (t >= e.end) {
		snprintf(err, errlen, "effective_on is on or after the end of the team's window; "
		    "the enrollment completes by itself then");
		return GD_EINVAL;
	}
	if (t < e.start)
		t = e.start;
	if ((rc = cut_grants(db, e.id, t)) < 0 ||
	    (rc = store_enrollment_set_state(db, e.id, how == ENROLL_ELIMINATED ?
	    ENROLLMENT_ELIMINATED : ENROLLMENT_WITHDRAWN, t)) < 0)
		return rc;
	/*
	 * The money follows the effective date: the voucher closes now when it
	 * has come, else the timers close it then (DUE_VOUCHER_CLOSE); holds
	 * stay valid until that instant.
	 * GD_ERRBUF: the ledger's details are cut where they always were.
	 */
	if (t <= now && (rc = vouchers_close(db, e.id, now, err, errlen < GD_ERRBUF ? errlen :
	    GD_ERRBUF)) < 0)
		return rc;
	return store_enrollment_json(db, e.id, out);
}

/*
 * Stores one make-up grant (unless dry) and lists it in items, with the part
 * of the team's debt it pays.  0 or a store error.
 */
static int
makeup_item(struct db *db, bool dry, int64_t now, const struct enrollment *e,
    const struct cal_pool *p, int64_t cards, int64_t from, int64_t to, int64_t pays,
    json_t *items)
{
	int64_t gid = 0;
	json_t *g;
	int rc;

	if (!dry && (rc = store_grant_insert(db, e->id, p->id, cards, from, to, GRANT_COMPENSATION,
	    now, &gid)) < 0)
		return rc;
	g = json_pack("{s:s, s:o, s:{s:s, s:s, s:I, s:o, s:o}}", "team", e->team,
	    "owed_unit_hours", jv_unit_hours(pays), "grant", "pool", p->id,
	    "card_model", p->card_model, "cards", (json_int_t)cards,
	    "start", jv_instant(from), "end", jv_instant(to));
	if (g == NULL)
		return GD_ENOMEM;
	if (gid) {
		char buf[32];

		grants_id_format(gid, buf);
		json_object_set_new(json_object_get(g, "grant"), "id", json_string(buf));
	}
	return json_array_append_new(items, g) == 0 ? 0 : GD_ENOMEM;
}

/*
 * The debts of the phase's active enrollments (ids, in team order, so the
 * make-ups are deterministic) that are owed something; es[i] is debts[i]'s.
 */
static int
phase_debts(struct db *db, const struct phase_info *pi, const struct calendar *cal,
    const int64_t *ids, size_t nids, int64_t now, int64_t grace_days, struct outage_debt *debts,
    struct enrollment *es, size_t *nd)
{
	struct enr_loss *lost = NULL;
	size_t nlost = 0;
	int64_t owed;
	int rc;

	*nd = 0;
	if ((rc = calendar_losses(db, cal, civil_min_instant(), civil_max_instant(), &lost,
	    &nlost)) < 0)
		return rc;
	for (size_t i = 0; i < nids; i++) {
		struct enrollment e;

		if ((rc = store_enrollment_by_id(db, ids[i], &e)) < 0)
			break;
		if (e.state == ENROLLMENT_COMPLETED && now > e.end + grace_days * CIVIL_DAY)
			continue;
		if ((rc = grants_owed(db, cal, ids[i], calendar_loss_of(lost, nlost, ids[i]),
		    &owed)) < 0)
			break;
		if (owed <= 0)
			continue;
		es[*nd] = e;
		debts[*nd] = (struct outage_debt){ .owed = owed,
			.not_before = e.end > now ? e.end : now,
			.units_milli = pi->units_milli, .min_weight = pi->weight_milli,
			.grant_id = -(int64_t)(2 * *nd + 1), .extra_id = -(int64_t)(2 * *nd + 2) };
		(*nd)++;
	}
	free(lost);
	return rc;
}

/*
 * The rules a make-up of es[i] at mk[i] must keep: it ends by the team's
 * evaluation date and does not meet another enrollment of the team.
 */
static int
makeup_checks(struct db *db, const struct phase_info *pi, const struct enrollment *es,
    const struct outage_makeup *mk, size_t nd, json_t *viol)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < nd; i++) {
		int64_t to = mk[i].extra_to > mk[i].to ? mk[i].extra_to : mk[i].to;

		team_evaluation_check(pi, &es[i], to, "a make-up", viol);
		rc = team_rules_check(db, pi, es[i].team, es[i].id, mk[i].from, to, false, viol);
	}
	return rc;
}

int
enroll_compensate(struct db *db, const struct phase_info *pi, const struct enroll_fix *fx,
    int64_t now, json_t **out, json_t **violations, char *err, size_t errlen)
{
	json_t *viol = json_array();
	bool dry = fx->dry_run;
	struct calendar cal = { 0 };
	struct outage_debt *debts = NULL;
	struct outage_makeup *mk = NULL;
	struct enrollment *es = NULL;
	int64_t *ids = NULL;
	size_t nids = 0, nd = 0;
	json_t *items = json_array();
	int rc;

	err[0] = '\0';
	*violations = NULL;
	/* Active teams, and completed ones within the grace period (checked per team below). */
	if ((rc = store_enrollment_ids_live(db, pi->id, &ids, &nids)) < 0 ||
	    (rc = calendar_load_own(db, &cal)) < 0)
		goto out;
	debts = calloc(nids + 1, sizeof(*debts));
	mk = calloc(nids + 1, sizeof(*mk));
	es = calloc(nids + 1, sizeof(*es));
	if (debts == NULL || mk == NULL || es == NULL || items == NULL || viol == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if ((rc = phase_debts(db, pi, &cal, ids, nids, now, fx->grace_days, debts, es, &nd)) < 0)
		goto out;
	if (nd > 0 && (rc = outage_compensate(cal.pp, cal.n, debts, nd, mk)) < 0) {
		if (rc == GD_ENOCAPACITY)
			snprintf(err, errlen, "no pool of %s weight or more can hold the make-up "
			    "grants", pi->card_model);
		else
			snprintf(err, errlen, "cannot place the make-up grants");
		goto out;
	}
	if ((rc = makeup_checks(db, pi, es, mk, nd, viol)) < 0)
		goto out;
	if (json_array_size(viol) > 0 && fx->override == NULL) {
		const char *d = json_string_value(json_object_get(json_array_get(viol, 0),
		    "detail"));

		snprintf(err, errlen, "%s", d ? d : "fairness rule broken");
		*violations = viol;
		viol = NULL;
		rc = GD_EFAIRNESS;
		goto out;
	}
	if (!dry && json_array_size(viol) > 0 && (rc = grants_record_overrides(db, pi->id, NULL,
	    viol, fx->override, "phase.compensate", fx->request_id, now)) < 0)
		goto out;
	/*
	 * A make-up is one grant, or two when it holds one card more for its
	 * first hours (lib/outage.h); each lists the part of the debt it pays:
	 * the main grant all it delivers, up to the debt, the extra card the rest.
	 */
	for (size_t i = 0; i < nd; i++) {
		const struct cal_pool *p = &cal.pools[mk[i].pool];
		int64_t owed = debts[i].owed, pays;

		if (__builtin_mul_overflow(mk[i].cards * p->weight_milli, mk[i].to - mk[i].from,
		    &pays) || pays > owed)
			pays = owed;
		if ((rc = makeup_item(db, dry, now, &es[i], p, mk[i].cards, mk[i].from, mk[i].to,
		    pays, items)) < 0 ||
		    (mk[i].extra_to > mk[i].from && (rc = makeup_item(db, dry, now, &es[i], p, 1,
		    mk[i].from, mk[i].extra_to, owed - pays, items)) < 0))
			goto out;
	}
	*out = items;
	items = NULL;
out:
	free(debts);
	free(mk);
	free(es);
	free(ids);
	calendar_free(&cal);
	json_decref(items);
	json_decref(viol);
	return rc;
}
