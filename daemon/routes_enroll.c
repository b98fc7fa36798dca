/* routes_enroll.c: enrollments: placement, eliminate, withdraw, extend, compensate. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "calendar.h"
#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "outage.h"
#include "placement.h"
#include "router.h"
#include "routes.h"
#include "store.h"
#include "store_grants.h"
#include "units.h"
#include "vouchers.h"

#define MAX_SPLIT 64
#define MAX_EXTEND_DAYS 3650
/* The contract: no start within 3 years is no_capacity. */
#define HORIZON_DAYS 1096
/* How far past the horizon an earliest_start is still looked for. */
#define FAR_HORIZON_DAYS (20 * 366)

/* A 409 fairness_violation listing violations (stolen). */
void
resp_violations(struct response *rs, json_t *violations)
{
	const char *detail = json_string_value(json_object_get(json_array_get(violations, 0),
	    "detail"));

	resp_problem(rs, 409, "fairness_violation", "%s%s", detail ? detail : "fairness rule broken",
	    json_array_size(violations) > 1 ? " (and more: see violations)" : "");
	json_object_set_new(rs->json, "violations", violations);
}

json_t *
violation(const char *rule, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return json_pack("{s:s, s:s}", "rule", rule, "detail", buf);
}

/*
 * Records every overridden violation with the admin's reason, for the
 * audit trail and the fairness report.  Called only once the change is
 * otherwise complete, inside its savepoint.
 */
int
record_overrides(const struct request *rq, const char *phase, const char *team,
    json_t *violations, const char *reason, const char *action)
{
	json_t *v;
	size_t i;
	int rc = 0;

	json_array_foreach(violations, i, v) {
		rc = store_override_insert(rq->db, phase, team,
		    json_string_value(json_object_get(v, "rule")),
		    json_string_value(json_object_get(v, "detail")), reason, action,
		    rq->request_id, rq->now);
		if (rc < 0)
			break;
	}
	return rc;
}

static bool
load_phase(const struct request *rq, struct response *rs, const char *phase,
    struct phase_info *pi)
{
	int rc;

	if (!check_id_param(rs, phase, "phase"))
		return false;
	if ((rc = store_phase_info(rq->db, phase, pi)) < 0) {
		resp_get(rs, rc, NULL, "phase", phase);
		return false;
	}
	return true;
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
decode_split(json_t *arr, struct placement_split *sp, char *err, size_t errlen)
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

struct enroll_args {
	const char *team;
	int64_t not_before;
	bool has_not_before, dry_run;
	json_t *pools, *grants, *override;
	const char *reason;
};

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
 * them, or, past PLACEMENT_MAX_POOLS, the largest (cards x weight, then
 * calendar order): "as few pools as it can" favours large pools, and none
 * is dropped in silence for being late in the list.
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
	struct placement_delay d[PLACEMENT_MAX_POOLS];
	size_t n = placement_delays(cand, pl, start_min, d);
	json_t *arr;

	if (n == 0 || (arr = json_array()) == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:o}", "pool",
		    cand[d[i].pool].id, "free_cards", (json_int_t)d[i].free_cards, "until",
		    jv_instant(d[i].until)));
	return arr;
}

/*
 * Places the team by search; fills idx/cards/start, and *delays (NULL or
 * the caller's) with why the start is later than start_min.  false: rs is
 * filled.
 */
static bool
place_auto(const struct request *rq, struct response *rs, const struct phase_info *pi,
    const struct calendar *cal, const struct enroll_args *a, int64_t start_min,
    size_t *idx, int64_t *cards, size_t *n, int64_t *start, json_t **delays)
{
	struct placement_pool cand[PLACEMENT_MAX_POOLS];
	size_t map[PLACEMENT_MAX_POOLS], nc = 0;
	struct placement_request preq = {
		.units_milli = pi->units_milli, .period = pi->period_days * CIVIL_DAY,
		.not_before = start_min, .zone_offset = pi->tz_off,
		.horizon = start_min + FAR_HORIZON_DAYS * CIVIL_DAY,
	};
	struct placement pl = { 0 };
	char when[CIVIL_DATE_LEN];
	json_t *v;
	size_t i;
	int rc;

	(void)rq;
	if (a->pools) {
		json_array_foreach(a->pools, i, v) {
			ssize_t k = json_is_string(v) ? calendar_find(cal, json_string_value(v)) : -1;

			if (!json_is_string(v)) {
				resp_problem(rs, 400, "bad_request", "pools[%zu] must be a pool id", i);
				return false;
			}
			if (k < 0) {
				resp_problem(rs, 404, "not_found", "pool '%.64s' does not exist",
				    json_string_value(v));
				return false;
			}
			for (size_t j = 0; j < nc; j++) {
				if (map[j] == (size_t)k) {
					resp_problem(rs, 400, "bad_request", "pools lists '%s' twice",
					    cal->pools[k].id);
					return false;
				}
			}
			map[nc] = (size_t)k;
			cand[nc++] = cal->pp[k];
		}
	} else {
		if (auto_candidates(cal, map, &nc) < 0) {
			resp_store_error(rs, GD_ENOMEM);
			return false;
		}
		for (i = 0; i < nc; i++)
			cand[i] = cal->pp[map[i]];
	}
	if (nc == 0) {
		resp_problem(rs, 409, "no_capacity", "there are no pools to place the team on");
		return false;
	}
	rc = placement_find(cand, nc, &preq, &pl);
	if (rc == 0 && pl.start > start_min + HORIZON_DAYS * CIVIL_DAY)
		rc = GD_ENOCAPACITY;
	if (rc == GD_ENOCAPACITY) {
		if (pl.nshares > 0) {
			civil_format_date(civil_local_day(pl.start, pi->tz_off), when);
			resp_problem(rs, 409, "no_capacity", "%sthe package of phase %s cannot be held for %lld "
			    "days from any start within 3 years; the earliest possible start is %s",
			    "", pi->id,
			    (long long)pi->period_days, when);
			json_object_set_new(rs->json, "earliest_start", jv_instant(pl.start));
			json_object_set_new(rs->json, "earliest_start_date", json_string(when));
			if ((*delays = delays_json(cand, &pl, start_min)) != NULL)
				json_object_set_new(rs->json, "delays", *delays);
			*delays = NULL;
		} else {
			resp_problem(rs, 409, "no_capacity", "the package of phase %s cannot be held "
			    "for %lld days from any start: the pools are too small", pi->id,
			    (long long)pi->period_days);
		}
		placement_release(&pl);
		return false;
	}
	if (rc < 0) {
		resp_error(rs, rc, "placement failed");
		placement_release(&pl);
		return false;
	}
	for (i = 0; i < pl.nshares; i++) {
		idx[i] = map[pl.shares[i].pool];
		cards[i] = pl.shares[i].cards;
	}
	*n = pl.nshares;
	*start = pl.start;
	*delays = delays_json(cand, &pl, start_min);
	placement_release(&pl);
	return true;
}

/* Validates an explicit split; false: rs filled.  *viol gets fairness problems. */
static bool
place_split(struct response *rs, const struct phase_info *pi, const struct calendar *cal,
    const struct enroll_args *a, int64_t start, size_t *idx, int64_t *cards, size_t *n,
    json_t *viol)
{
	struct placement_split sp[MAX_SPLIT];
	char detail[GD_ERRBUF];
	size_t ns = json_array_size(a->grants);
	int rc;

	if (ns == 0) {
		resp_problem(rs, 400, "bad_request", "grants must list at least one {pool, cards}");
		return false;
	}
	if (decode_split(a->grants, sp, detail, sizeof(detail)) < 0) {
		resp_problem(rs, 400, "bad_request", "%s", detail);
		return false;
	}
	rc = placement_check_split(cal->pp, cal->n, sp, ns, pi->units_milli, start,
	    start + pi->period_days * CIVIL_DAY, detail, sizeof(detail));
	if (rc == GD_EFAIRNESS)
		json_array_append_new(viol, violation("equal_resource", "%s", detail));
	else if (rc < 0) {
		resp_error(rs, rc, detail);
		return false;
	}
	for (size_t i = 0; i < ns; i++) {
		idx[i] = (size_t)calendar_find(cal, sp[i].pool);
		cards[i] = sp[i].cards;
	}
	*n = ns;
	return true;
}

static void
enroll(struct request *rq, struct response *rs)
{
	struct enroll_args a = { 0 };
	const struct jv_field f[] = {
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &a.team, NULL },
		{ "not_before", JV_DATE, JV_NULLABLE, 0, 0, &a.not_before, &a.has_not_before },
		{ "dry_run", JV_BOOL, JV_NULLABLE, 0, 0, &a.dry_run, NULL },
		{ "pools", JV_ARRAY, JV_NULLABLE, 0, PLACEMENT_MAX_POOLS, &a.pools, NULL },
		{ "grants", JV_ARRAY, JV_NULLABLE, 0, MAX_SPLIT, &a.grants, NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &a.override, NULL },
	};
	struct phase_info pi;
	struct enrollment e;
	struct calendar cal = { 0 };
	size_t idx[PLACEMENT_MAX_POOLS], n = 0;
	int64_t cards[PLACEMENT_MAX_POOLS], start, start_min, id, gid;
	json_t *body, *obj = NULL, *viol = json_array(), *delays = NULL;
	char target[160];
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		goto out;
	if (!load_phase(rq, rs, rq->params[0], &pi) || !req_override(rq, rs, a.override, &a.reason))
		goto out;
	if ((rc = store_team_get(rq->db, a.team, &obj)) < 0) {
		resp_get(rs, rc, NULL, "team", a.team);
		goto out;
	}
	json_decref(obj);
	obj = NULL;
	if (a.pools && a.grants) {
		resp_problem(rs, 400, "bad_request", "give either pools (to search) or grants "
		    "(an explicit split), not both");
		goto out;
	}
	if ((rc = store_enrollment_get(rq->db, pi.id, a.team, &e)) != GD_ENOENT) {
		if (rc == 0)
			resp_problem(rs, 409, "already_exists", "team '%s' is already enrolled in "
			    "phase '%s' (state %s)", a.team, pi.id, e.state);
		else
			resp_store_error(rs, rc);
		goto out;
	}
	if (!a.has_not_before)
		a.not_before = pi.starts_on;
	if (a.not_before < pi.starts_on) {
		resp_problem(rs, 400, "bad_request", "not_before is before the phase starts");
		goto out;
	}
	start_min = civil_local_midnight(a.not_before, pi.tz_off);
	if ((rc = calendar_load(rq->db, &cal)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	start = start_min;
	if (a.grants ? !place_split(rs, &pi, &cal, &a, start, idx, cards, &n, viol) :
	    !place_auto(rq, rs, &pi, &cal, &a, start_min, idx, cards, &n, &start, &delays))
		goto out;
	if (json_array_size(viol) > 0 && a.reason == NULL) {
		resp_violations(rs, viol);
		viol = NULL;
		goto out;
	}
	if (a.dry_run) {
		obj = preview(&pi, a.team, &cal, idx, cards, n, start,
		    start + pi.period_days * CIVIL_DAY);
		if (delays)
			json_object_set(obj, "delays", delays);
		resp_json(rs, 200, obj);
		obj = NULL;
		/* A what-if: nothing above wrote anything, so nothing is stored. */
		goto out;
	}
	rc = store_enrollment_insert(rq->db, pi.id, a.team, start, start + pi.period_days *
	    CIVIL_DAY, rq->now, &id);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = store_grant_insert(rq->db, id, cal.pools[idx[i]].id, cards[i], start,
		    start + pi.period_days * CIVIL_DAY, a.grants ? "manual" : "placed", rq->now, &gid);
	if (rc == 0)
		rc = vouchers_open(rq->db, id, pi.voucher_krw, rq->now);
	if (rc == 0 && json_array_size(viol) > 0)
		rc = record_overrides(rq, pi.id, a.team, viol, a.reason, "enrollment.create");
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", pi.id, a.team);
	if (rc == 0)
		rc = audit_request(rq, "enrollment.create", target, a.reason, body);
	if (rc == 0)
		rc = store_enrollment_json(rq->db, id, &obj);
	if (rc < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	if (json_array_size(viol) > 0)
		json_object_set_new(obj, "overridden", json_incref(viol));
	if (delays)
		json_object_set(obj, "delays", delays);
	resp_json(rs, 201, obj);
out:
	json_decref(delays);
	calendar_free(&cal);
	json_decref(viol);
	json_decref(body);
}

static void
enrollment_list(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;
	const char *team = rq->who->role == ROLE_TEAM ? rq->who->team : NULL;

	if (!load_phase(rq, rs, rq->params[0], &pi) || !req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, store_enrollment_list(rq->db, pi.id, team, after, limit, &items, &next),
	    &items, &next);
}

static bool
load_enrollment(const struct request *rq, struct response *rs, const char *phase,
    const char *team, struct enrollment *e)
{
	int rc;

	if (!check_id_param(rs, team, "team"))
		return false;
	if ((rc = store_enrollment_get(rq->db, phase, team, e)) == GD_ENOENT) {
		resp_problem(rs, 404, "not_found", "team '%s' is not enrolled in phase '%s'", team,
		    phase);
		return false;
	}
	if (rc < 0) {
		resp_store_error(rs, rc);
		return false;
	}
	return true;
}

static void
enrollment_get(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	struct enrollment e;
	json_t *obj = NULL;

	if (!load_phase(rq, rs, rq->params[0], &pi) || !req_team_allowed(rq, rs, rq->params[1]) ||
	    !load_enrollment(rq, rs, pi.id, rq->params[1], &e))
		return;
	resp_get(rs, store_enrollment_json(rq->db, e.id, &obj), &obj, "enrollment", e.team);
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

static void
end_enrollment(struct request *rq, struct response *rs, const char *state, const char *action)
{
	struct phase_info pi;
	struct enrollment e;
	int64_t day, t;
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "effective_on", JV_DATE, JV_REQUIRED, 0, 0, &day, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	char target[160], err[GD_ERRBUF];
	json_t *body, *obj = NULL;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!load_phase(rq, rs, rq->params[0], &pi) ||
	    !load_enrollment(rq, rs, pi.id, rq->params[1], &e))
		goto out;
	if (strcmp(e.state, "active") != 0) {
		resp_problem(rs, 409, "invalid_state", "enrollment of team '%s' in phase '%s' is "
		    "%s, not active", e.team, pi.id, e.state);
		goto out;
	}
	t = civil_local_midnight(day, pi.tz_off);
	if (t >= e.end) {
		resp_problem(rs, 400, "bad_request", "effective_on is on or after the end of the "
		    "team's window; the enrollment completes by itself then");
		goto out;
	}
	if (t < e.start)
		t = e.start;
	err[0] = '\0';
	if ((rc = cut_grants(rq->db, e.id, t)) < 0 ||
	    (rc = store_enrollment_set_state(rq->db, e.id, state, t)) < 0 ||
	    (rc = vouchers_close(rq->db, e.id, rq->now, err, sizeof(err))) < 0) {
		if (err[0])
			resp_error(rs, rc, err);
		else
			resp_store_error(rs, rc);
		goto out;
	}
	snprintf(target, sizeof(target), "phase/%s/enrollment/%s", pi.id, e.team);
	if ((rc = audit_request(rq, action, target, reason, body)) < 0 ||
	    (rc = store_enrollment_json(rq->db, e.id, &obj)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
out:
	json_decref(body);
}

static void
eliminate(struct request *rq, struct response *rs)
{
	end_enrollment(rq, rs, "eliminated", "enrollment.eliminate");
}

static void
withdraw(struct request *rq, struct response *rs)
{
	end_enrollment(rq, rs, "withdrawn", "enrollment.withdraw");
}

/*
 * What extending a phase does to one grant.  A grant that reaches the end
 * of its window grows: it newly holds [old end, old end + add).  A make-up
 * after the window (kind compensation, starting at or after the old end)
 * moves later by add, so that it stays after the new end: it holds
 * [start + add, end + add) and lets go of [start, end).
 */
struct ext_piece {
	int64_t grant;
	size_t pool;			/* index in the calendar */
	int64_t cards;
	int64_t from, to;		/* the time newly held */
	int64_t old_from, old_to;	/* a moved make-up's place before the move */
	bool moved;
	char team[ID_MAX + 1];
};

static int
piece_push(struct ext_piece **v, size_t *n, size_t *cap, const struct ext_piece *p)
{
	struct ext_piece *nv;
	size_t c;

	if (*n == *cap) {
		c = *cap ? *cap * 2 : 16;
		if ((nv = realloc(*v, c * sizeof(*nv))) == NULL)
			return GD_ENOMEM;
		*v = nv;
		*cap = c;
	}
	(*v)[(*n)++] = *p;
	return 0;
}

/*
 * The pieces of extending the enrollments in ids by add seconds, in
 * enrollment (team) order and then grant order.  *out is malloc'd.
 * GD_ERANGE when an instant would overflow.
 */
static int
extend_pieces(struct db *db, const struct calendar *cal, const int64_t *ids, size_t nids,
    int64_t add, struct ext_piece **out, size_t *nout)
{
	struct ext_piece *v = NULL, pc;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < nids; i++) {
		struct enrollment e;
		struct grant *gs = NULL;
		size_t ng = 0;
		ssize_t p;

		if ((rc = store_enrollment_by_id(db, ids[i], &e)) < 0 ||
		    (rc = store_grants_of(db, ids[i], &gs, &ng)) < 0)
			break;
		for (size_t k = 0; rc == 0 && k < ng; k++) {
			memset(&pc, 0, sizeof(pc));
			pc.moved = strcmp(gs[k].kind, "compensation") == 0 && gs[k].start >= e.end;
			if (gs[k].end != e.end && !pc.moved)
				continue;
			/* A grant's pool is a foreign key: the calendar has every pool. */
			if ((p = calendar_find(cal, gs[k].pool)) < 0) {
				rc = GD_EIO;
				break;
			}
			pc.grant = gs[k].id;
			pc.pool = (size_t)p;
			pc.cards = gs[k].cards;
			pc.old_from = gs[k].start;
			pc.old_to = gs[k].end;
			snprintf(pc.team, sizeof(pc.team), "%s", e.team);
			if (pc.moved) {
				if (__builtin_add_overflow(gs[k].start, add, &pc.from) ||
				    __builtin_add_overflow(gs[k].end, add, &pc.to))
					rc = GD_ERANGE;
			} else {
				pc.from = e.end;
				if (__builtin_add_overflow(e.end, add, &pc.to))
					rc = GD_ERANGE;
			}
			if (rc == 0)
				rc = piece_push(&v, &n, &cap, &pc);
		}
		free(gs);
	}
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * Checks the whole new arrangement, pool by pool: the make-ups that move
 * are first taken off their old place (in this request's calendar only),
 * then every piece on the pool is checked at once, so the extensions and
 * the moved make-ups of all teams compete for the same free cards.  0, or
 * GD_ECAPACITY with the pool in *pool and the first breach in *br.
 */
static int
extend_check(struct calendar *cal, const struct ext_piece *pc, size_t n, size_t *pool,
    struct timeline_breach *br)
{
	struct timeline_grant *tg;
	size_t m;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((tg = calloc(n, sizeof(*tg))) == NULL)
		return GD_ENOMEM;
	for (size_t p = 0; rc == 0 && p < cal->n; p++) {
		m = 0;
		for (size_t k = 0; rc == 0 && k < n; k++) {
			if (pc[k].pool != p)
				continue;
			if (pc[k].moved)
				rc = timeline_remove_grant(cal->pp[p].tl, pc[k].grant);
			tg[m++] = (struct timeline_grant){ pc[k].grant, pc[k].from, pc[k].to,
				pc[k].cards };
		}
		/* Every live grant is on its pool's timeline. */
		if (rc == GD_ENOENT)
			rc = GD_EIO;
		if (rc == 0 && m > 0 && (rc = timeline_check_add(cal->pp[p].tl, tg, m, br)) ==
		    GD_ECAPACITY)
			*pool = p;
	}
	free(tg);
	return rc;
}

/* The 409 for a breach at br on pool p, naming the moved make-ups that ask for cards there. */
static void
extend_refuse(struct response *rs, const struct phase_info *pi, int64_t days,
    const struct calendar *cal, const struct ext_piece *pc, size_t n, size_t p,
    const struct timeline_breach *br)
{
	char when[CIVIL_INSTANT_LEN], gid[32], one[128], list[512] = "";
	int64_t win = 0, mk = 0;
	size_t o = 0;
	bool full = false;
	int len;

	civil_format_instant(br->at, when);
	for (size_t k = 0; k < n; k++) {
		if (pc[k].pool != p || br->at < pc[k].from || br->at >= pc[k].to)
			continue;
		if (!pc[k].moved) {
			win += pc[k].cards;
			continue;
		}
		mk += pc[k].cards;
		grant_id_format(pc[k].grant, gid);
		len = snprintf(one, sizeof(one), "%s%s of team '%s'", o ? ", " : "", gid,
		    pc[k].team);
		/* Room is kept for the ", ..." that says the list goes on. */
		if (!full && len > 0 && o + (size_t)len + sizeof(", ...") <= sizeof(list)) {
			memcpy(list + o, one, (size_t)len + 1);
			o += (size_t)len;
		} else if (!full) {
			memcpy(list + o, ", ...", sizeof(", ..."));
			full = true;
		}
	}
	if (mk == 0) {
		resp_problem(rs, 409, "capacity_exceeded", "extending phase %s by %lld days needs "
		    "%lld cards of pool %s at %s, but only %lld are free; nothing was extended",
		    pi->id, (long long)days, (long long)br->asked, cal->pools[p].id, when,
		    (long long)br->free);
		return;
	}
	resp_problem(rs, 409, "capacity_exceeded", "extending phase %s by %lld days needs %lld "
	    "cards of pool %s at %s (%lld to lengthen windows, %lld for make-up grants moved "
	    "%lld days later to stay after the windows: %s), but only %lld are free; nothing "
	    "was extended", pi->id, (long long)days, (long long)br->asked, cal->pools[p].id,
	    when, (long long)win, (long long)mk, (long long)days, list, (long long)br->free);
}

/* The moved make-ups, for the reply and the audit entry. */
static json_t *
moved_json(const struct calendar *cal, const struct ext_piece *pc, size_t n)
{
	json_t *arr = json_array();
	char gid[32];

	for (size_t k = 0; arr && k < n; k++) {
		if (!pc[k].moved)
			continue;
		grant_id_format(pc[k].grant, gid);
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:{s:o, s:o}, "
		    "s:{s:o, s:o}}", "grant", gid, "team", pc[k].team, "pool",
		    cal->pools[pc[k].pool].id, "cards", (json_int_t)pc[k].cards, "from", "start",
		    jv_instant(pc[k].old_from), "end", jv_instant(pc[k].old_to), "to", "start",
		    jv_instant(pc[k].from), "end", jv_instant(pc[k].to))) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

/*
 * Extends every active enrollment of the phase by `days`: windows, the
 * grants that reach the end of their window, and the make-ups after the
 * window, which move later by `days`.  All or none: the new arrangement is
 * checked pool by pool against the calendar before anything is written,
 * and the request's savepoint undoes a write that fails later.
 */
static void
extend(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	int64_t days, *ids = NULL, add, end;
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "days", JV_INT, JV_REQUIRED, 1, MAX_EXTEND_DAYS, &days, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	struct calendar cal = { 0 };
	struct ext_piece *pc = NULL;
	size_t npc = 0, nids = 0, bad = 0;
	struct timeline_breach br;
	char target[96];
	json_t *body, *items = NULL, *moved = NULL, *detail = NULL;
	char *next = NULL;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!load_phase(rq, rs, rq->params[0], &pi))
		goto out;
	/* Extensions included, a window lasts at most this (lib/units.h says why). */
	if (pi.period_days + days > UNITS_MAX_PERIOD_DAYS) {
		resp_problem(rs, 400, "bad_request", "extending phase %s by %lld days would make "
		    "its period %lld days; a period, extensions included, lasts at most %d days",
		    pi.id, (long long)days, (long long)(pi.period_days + days),
		    UNITS_MAX_PERIOD_DAYS);
		goto out;
	}
	add = days * CIVIL_DAY;
	if ((rc = store_enrollment_ids(rq->db, pi.id, true, &ids, &nids)) < 0 ||
	    (rc = calendar_load(rq->db, &cal)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	if (nids == 0) {
		resp_problem(rs, 409, "invalid_state", "phase '%s' has no active enrollment to "
		    "extend", pi.id);
		goto out;
	}
	if ((rc = extend_pieces(rq->db, &cal, ids, nids, add, &pc, &npc)) < 0) {
		if (rc == GD_ERANGE)
			resp_error(rs, rc, "the extended windows would end past the last instant "
			    "grantd can represent");
		else
			resp_store_error(rs, rc);
		goto out;
	}
	if ((rc = extend_check(&cal, pc, npc, &bad, &br)) == GD_ECAPACITY) {
		extend_refuse(rs, &pi, days, &cal, pc, npc, bad, &br);
		goto out;
	}
	if (rc < 0) {
		resp_error(rs, rc, "cannot check the extension");
		goto out;
	}
	for (size_t k = 0; rc == 0 && k < npc; k++)
		rc = pc[k].moved ? store_grant_shift(rq->db, pc[k].grant, add) :
		    store_grant_set_end(rq->db, pc[k].grant, pc[k].to);
	for (size_t i = 0; rc == 0 && i < nids; i++) {
		struct enrollment e;

		if ((rc = store_enrollment_by_id(rq->db, ids[i], &e)) < 0)
			break;
		if (__builtin_add_overflow(e.end, add, &end))
			rc = GD_ERANGE;
		else
			rc = store_enrollment_set_end(rq->db, ids[i], end);
	}
	if (rc == 0)
		rc = store_phase_extend(rq->db, pi.id, days);
	/* The audit entry keeps the request and where each make-up went. */
	if (rc == 0 && ((moved = moved_json(&cal, pc, npc)) == NULL ||
	    (detail = json_deep_copy(body)) == NULL ||
	    json_object_set(detail, "moved", moved) < 0))
		rc = GD_ENOMEM;
	snprintf(target, sizeof(target), "phase/%s", pi.id);
	if (rc == 0)
		rc = audit_request(rq, "phase.extend", target, reason, detail);
	if (rc == 0)
		rc = store_enrollment_list(rq->db, pi.id, NULL, NULL, 1000, &items, &next);
	if (rc < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, json_pack("{s:s, s:I, s:I, s:o, s:O}", "phase", pi.id, "days",
	    (json_int_t)days, "period_days", (json_int_t)(pi.period_days + days), "enrollments",
	    items, "moved", moved));
out:
	free(next);
	free(pc);
	free(ids);
	calendar_free(&cal);
	json_decref(moved);
	json_decref(detail);
	json_decref(body);
}

/* Unit-seconds (milli) of compensation grants an enrollment already has. */
static int
compensated(struct db *db, const struct calendar *cal, int64_t enrollment, int64_t *out)
{
	struct grant *gs = NULL;
	size_t n = 0;
	int64_t sum = 0, v;
	ssize_t p;
	int rc;

	if ((rc = store_grants_of(db, enrollment, &gs, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(gs[i].kind, "compensation") != 0 ||
		    (p = calendar_find(cal, gs[i].pool)) < 0)
			continue;
		if (__builtin_mul_overflow(gs[i].cards * cal->pools[p].weight_milli,
		    gs[i].end - gs[i].start, &v) || __builtin_add_overflow(sum, v, &sum)) {
			free(gs);
			return GD_ERANGE;
		}
	}
	free(gs);
	*out = sum;
	return 0;
}

/*
 * Stores one make-up grant (unless dry) and lists it in items, with the part
 * of the team's debt it pays.  0 or a store error.
 */
static int
makeup_item(struct request *rq, bool dry, const struct enrollment *e, const struct cal_pool *p,
    int64_t cards, int64_t from, int64_t to, int64_t pays, json_t *items)
{
	int64_t gid = 0;
	json_t *g;
	int rc;

	if (!dry && (rc = store_grant_insert(rq->db, e->id, p->id, cards, from, to,
	    "compensation", rq->now, &gid)) < 0)
		return rc;
	g = json_pack("{s:s, s:o, s:{s:s, s:s, s:I, s:o, s:o}}", "team", e->team,
	    "owed_unit_hours", unit_hours_json(pays), "grant", "pool", p->id,
	    "card_model", p->card_model, "cards", (json_int_t)cards,
	    "start", jv_instant(from), "end", jv_instant(to));
	if (g == NULL)
		return GD_ENOMEM;
	if (gid) {
		char buf[32];

		grant_id_format(gid, buf);
		json_object_set_new(json_object_get(g, "grant"), "id", json_string(buf));
	}
	return json_array_append_new(items, g) == 0 ? 0 : GD_ENOMEM;
}

static void
compensate(struct request *rq, struct response *rs)
{
	struct phase_info pi;
	bool dry = false;
	const struct jv_field f[] = {
		{ "dry_run", JV_BOOL, JV_NULLABLE, 0, 0, &dry, NULL },
	};
	struct calendar cal = { 0 };
	struct enr_loss *lost = NULL;
	struct outage_debt *debts = NULL;
	struct outage_makeup *mk = NULL;
	struct enrollment *es = NULL;
	int64_t *ids = NULL, comp;
	size_t nids = 0, nlost = 0, nd = 0;
	char target[96];
	json_t *body, *items = json_array();
	int rc;

	if ((body = req_decode_opt(rq, rs, f, NFIELDS(f))) == NULL)
		goto out;
	if (!load_phase(rq, rs, rq->params[0], &pi))
		goto out;
	if ((rc = store_enrollment_ids(rq->db, pi.id, true, &ids, &nids)) < 0 ||
	    (rc = calendar_load(rq->db, &cal)) < 0 ||
	    (rc = calendar_losses(rq->db, &cal, civil_min_instant(), civil_max_instant(), &lost,
	    &nlost)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	debts = calloc(nids + 1, sizeof(*debts));
	mk = calloc(nids + 1, sizeof(*mk));
	es = calloc(nids + 1, sizeof(*es));
	if (debts == NULL || mk == NULL || es == NULL) {
		resp_store_error(rs, GD_ENOMEM);
		goto out;
	}
	/* Enrollments come in team order, so the make-ups are deterministic. */
	for (size_t i = 0; i < nids; i++) {
		struct enrollment e;
		int64_t l = calendar_loss_of(lost, nlost, ids[i]);

		if ((rc = store_enrollment_by_id(rq->db, ids[i], &e)) < 0 ||
		    (rc = compensated(rq->db, &cal, ids[i], &comp)) < 0) {
			resp_store_error(rs, rc);
			goto out;
		}
		if (l <= comp)
			continue;
		es[nd] = e;
		debts[nd] = (struct outage_debt){ .owed = l - comp,
			.not_before = e.end > rq->now ? e.end : rq->now,
			.units_milli = pi.units_milli, .min_weight = pi.weight_milli,
			.grant_id = -(int64_t)(2 * nd + 1), .extra_id = -(int64_t)(2 * nd + 2) };
		nd++;
	}
	if (nd > 0 && (rc = outage_compensate(cal.pp, cal.n, debts, nd, mk)) < 0) {
		if (rc == GD_ENOCAPACITY)
			resp_problem(rs, 409, "no_capacity", "no pool of %s weight or more can hold "
			    "the make-up grants", pi.card_model);
		else
			resp_error(rs, rc, "cannot place the make-up grants");
		goto out;
	}
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
		if ((rc = makeup_item(rq, dry, &es[i], p, mk[i].cards, mk[i].from, mk[i].to, pays,
		    items)) < 0 ||
		    (mk[i].extra_to > mk[i].from && (rc = makeup_item(rq, dry, &es[i], p, 1,
		    mk[i].from, mk[i].extra_to, owed - pays, items)) < 0)) {
			resp_store_error(rs, rc);
			goto out;
		}
	}
	snprintf(target, sizeof(target), "phase/%s", pi.id);
	if (!dry && nd > 0 && (rc = audit_request(rq, "phase.compensate", target, NULL,
	    items)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, json_pack("{s:s, s:b, s:O}", "phase", pi.id, "dry_run", dry,
	    "compensations", items));
out:
	free(debts);
	free(mk);
	free(es);
	free(ids);
	free(lost);
	calendar_free(&cal);
	json_decref(items);
	json_decref(body);
}

const struct route routes_enroll[] = {
	{ "POST", "/v1/phases/{phase}/enrollments", 0, ROUTE_WRITE, enroll },
	{ "GET", "/v1/phases/{phase}/enrollments", ROLE_AUDITOR | ROLE_TEAM, 0, enrollment_list },
	{ "GET", "/v1/phases/{phase}/enrollments/{team}", ROLE_AUDITOR | ROLE_TEAM, 0,
	    enrollment_get },
	{ "POST", "/v1/phases/{phase}/enrollments/{team}/eliminate", 0, ROUTE_WRITE, eliminate },
	{ "POST", "/v1/phases/{phase}/enrollments/{team}/withdraw", 0, ROUTE_WRITE, withdraw },
	{ "POST", "/v1/phases/{phase}/extend", 0, ROUTE_WRITE, extend },
	{ "POST", "/v1/phases/{phase}/compensate", 0, ROUTE_WRITE, compensate },
	{ NULL, NULL, 0, 0, NULL },
};
