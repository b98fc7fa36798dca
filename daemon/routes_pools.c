/* routes_pools.c: pools, their outages and their capacity timeline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "outage.h"
#include "router.h"
#include "units.h"
#include "request.h"
#include "pools.h"
#include "store_vouchers.h"	/* vid_parse */

#define MAX_POOL_CARDS UNITS_MAX_CARDS	/* lib/units.h: the worst case fits */
/* A timeline query spans at most ten years of segments. */
#define MAX_TIMELINE_SPAN (INT64_C(3660) * CIVIL_DAY)

static void
pool_create(struct request *rq, struct response *rs)
{
	struct pool_in p = { 0 };
	const struct jv_field f[] = {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, &p.id, NULL },
		{ "provider", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &p.provider, NULL },
		{ "site", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &p.site, NULL },
		{ "card_model", JV_MODEL, JV_REQUIRED, 0, 0, &p.card_model, NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, MAX_POOL_CARDS, &p.cards, NULL },
	};
	json_t *body, *obj = NULL, *want;
	char target[96], err[GD_ERRBUF];
	bool existed;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	rc = pools_create(rq->db, &p, rq->now, &existed, &obj, err, sizeof(err));
	if (existed) {
		want = json_pack("{s:s, s:s, s:s, s:I}", "provider", p.provider, "site", p.site,
		    "card_model", p.card_model, "cards", (json_int_t)p.cards);
		resp_exists(rs, obj, want, "pool", p.id);
		json_decref(want);
		goto out;
	}
	if (rc < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	snprintf(target, sizeof(target), "pool/%s", p.id);
	if ((rc = audit_request(rq, "pool.create", target, NULL, body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
out:
	json_decref(body);
}

static void
pool_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, pools_list(rq->db, after, limit, &items, &next), &items, &next);
}

static void
pool_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;

	if (check_id_param(rs, rq->params[0], "pool"))
		resp_get(rs, pools_get(rq->db, rq->params[0], &obj), &obj, "pool",
		    rq->params[0]);
}

/*
 * Refuses an outage that would take more cards out of service than the
 * pool has at some instant, counting the outages already recorded: the
 * pool's capacity cannot go below 0, so such an outage could only be a
 * mistake (the same failure entered twice, a wrong pool).  A 400 that
 * says when, with the figures.
 */
static void
outage_overflows(const struct request *rq, struct response *rs, const struct outage_in *in,
    int64_t pool_cards, const struct outage_overflow *ov)
{
	char at[CIVIL_INSTANT_LEN], when[APP_WHEN_LEN];

	civil_format_instant(ov->at, at);
	app_format_when(rq->app, ov->at, when);
	resp_problem(rs, 400, "bad_request", "outages already take %lld of the %lld cards of "
	    "pool '%s' out of service at %s; %lld more would exceed the pool's size",
	    (long long)ov->out, (long long)pool_cards, in->pool, when, (long long)in->cards);
	json_object_set_new(rs->json, "at", json_string(at));
	json_object_set_new(rs->json, "cards_out", json_integer(ov->out));
	json_object_set_new(rs->json, "pool_cards", json_integer(pool_cards));
}

static void
outage_create(struct request *rq, struct response *rs)
{
	struct outage_in o = { .pool = rq->params[0] };
	const struct jv_field f[] = {
		{ "from", JV_INSTANT, JV_REQUIRED, 0, 0, &o.from, NULL },
		{ "to", JV_INSTANT, JV_REQUIRED, 0, 0, &o.to, NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, MAX_POOL_CARDS, &o.cards, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &o.reason, NULL },
	};
	json_t *body, *obj = NULL, *pool = NULL;
	struct outage_overflow ov;
	char target[96];
	int64_t id, cards;
	int rc;

	if (!check_id_param(rs, rq->params[0], "pool"))
		return;
	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if ((rc = pools_get(rq->db, o.pool, &pool)) < 0) {
		resp_get(rs, rc, NULL, "pool", o.pool);
		goto out;
	}
	cards = json_integer_value(json_object_get(pool, "cards"));
	if (o.to <= o.from) {
		resp_problem(rs, 400, "bad_request", "to must be after from");
		goto out;
	}
	if (o.cards > cards) {
		resp_problem(rs, 400, "bad_request", "cards (%lld) exceeds the pool's %lld cards",
		    (long long)o.cards, (long long)cards);
		goto out;
	}
	rc = pools_outage_add(rq->db, &o, cards, rq->now, &ov, &id, &obj);
	if (rc == GD_ECAPACITY) {
		outage_overflows(rq, rs, &o, cards, &ov);
		goto out;
	}
	if (rc < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	snprintf(target, sizeof(target), "pool/%s/outage/%lld", o.pool, (long long)id);
	if ((rc = audit_request(rq, "outage.create", target, o.reason, body)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(pool);
	json_decref(body);
}

static void
outage_list(struct request *rq, struct response *rs)
{
	json_t *items = NULL;
	const char *cursor;
	char *next = NULL, err[GD_ERRBUF];
	int64_t limit, after = 0;
	int rc;

	if (!check_id_param(rs, rq->params[0], "pool") ||
	    !req_list_params(rq, rs, &limit, &cursor))
		return;
	if (cursor != NULL && vid_parse("out_", cursor, &after) < 0) {
		resp_problem(rs, 400, "bad_request", "after must be an outage id such as out_12");
		return;
	}
	rc = pools_outage_list(rq->db, rq->params[0], after, limit, &items, &next, err,
	    sizeof(err));
	if (rc < 0 && err[0] != '\0')
		resp_error(rs, rc, err);
	else
		resp_list(rs, rc, &items, &next);
}

static bool
query_instant(const struct request *rq, struct response *rs, const char *key, int64_t *t)
{
	const char *v = req_query(rq, key);

	if (v == NULL)
		return true;
	if (civil_parse_instant(v, t) < 0) {
		resp_problem(rs, 400, "bad_request", "%s must be an RFC 3339 instant", key);
		return false;
	}
	return true;
}

static void
pool_timeline(struct request *rq, struct response *rs)
{
	int64_t from = rq->now, to;
	struct timeline_segment *seg = NULL;
	json_t *arr;
	char a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], err[GD_ERRBUF];
	size_t n = 0;
	int rc;

	if (!check_id_param(rs, rq->params[0], "pool"))
		return;
	if (!query_instant(rq, rs, "from", &from))
		return;
	to = from + 90 * CIVIL_DAY;
	if (!query_instant(rq, rs, "to", &to))
		return;
	if (to <= from || to - from > MAX_TIMELINE_SPAN) {
		resp_problem(rs, 400, "bad_request", "to must be after from, at most 3660 days later");
		return;
	}
	rc = pools_timeline(rq->db, rq->params[0], from, to, &seg, &n, err, sizeof(err));
	if (rc < 0) {
		resp_failure(rs, rc, err);
		return;
	}
	arr = json_array();
	for (size_t k = 0; k < n; k++) {
		civil_format_instant(seg[k].from, a);
		civil_format_instant(seg[k].to, b);
		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "from", a,
		    "to", b, "capacity", (json_int_t)seg[k].capacity, "allocated",
		    (json_int_t)seg[k].allocated, "impaired", (json_int_t)seg[k].impaired, "free",
		    (json_int_t)seg[k].free));
	}
	free(seg);
	resp_json(rs, 200, json_pack("{s:s, s:o}", "pool", rq->params[0], "segments", arr));
}

/* The outage of the path: "out_12"; false (answered 404) for anything else. */
static bool
outage_param(struct response *rs, const char *s, int64_t *id)
{
	if (vid_parse("out_", s, id) == 0)
		return true;
	resp_problem(rs, 404, "not_found", "outage '%s' does not exist", s);
	return false;
}

/* Audits a correction or cancellation: what the outage was, what it is, and why. */
static int
outage_audit(struct request *rq, const char *action, int64_t id, const json_t *now_,
    json_t *before, const char *reason)
{
	char target[160];
	json_t *detail = json_pack("{s:O*, s:O}", "before", before, "after", now_);
	int rc;

	/* As outage.create names it. */
	snprintf(target, sizeof(target), "pool/%s/outage/%lld",
	    json_string_value(json_object_get(now_, "pool")), (long long)id);
	rc = detail ? audit_request(rq, action, target, reason, detail) : GD_ENOMEM;
	json_decref(detail);
	return rc;
}

/*
 * PATCH /v1/outages/{id}: a recorded outage corrected after the fact, with
 * the reason; losses, owed unit-hours and the report follow.
 */
static void
outage_update(struct request *rq, struct response *rs)
{
	struct outage_fix fx = { 0 };
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "from", JV_INSTANT, JV_NULLABLE, 0, 0, &fx.from, &fx.has_from },
		{ "to", JV_INSTANT, JV_NULLABLE, 0, 0, &fx.to, &fx.has_to },
		{ "cards", JV_INT, JV_NULLABLE, 1, MAX_POOL_CARDS, &fx.cards, &fx.has_cards },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	struct outage_overflow ov;
	struct civil_zone zone;
	json_t *body, *before = NULL, *obj = NULL;
	char err[GD_ERRBUF];
	int64_t id;
	int rc;

	if (!outage_param(rs, rq->params[0], &id) ||
	    (body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!fx.has_from && !fx.has_to && !fx.has_cards) {
		resp_problem(rs, 400, "bad_request", "give from, to or cards to correct");
		goto out;
	}
	app_zone(rq->app, &zone);
	if ((rc = pools_outage_update(rq->db, id, &fx, rq->now, &zone, &ov, &before, &obj, err,
	    sizeof(err))) < 0) {
		if (rc == GD_ECAPACITY)
			resp_problem(rs, 400, "bad_request", "%s", err);
		else
			resp_failure(rs, rc, err);
		goto out;
	}
	if ((rc = outage_audit(rq, "outage.update", id, obj, before, reason)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(before);
	json_decref(body);
}

/*
 * DELETE /v1/outages/{id} {"reason"}: a recorded outage cancelled (kept,
 * marked, taking nothing); the reason may also come as ?reason=.
 */
static void
outage_cancel(struct request *rq, struct response *rs)
{
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	json_t *body = NULL, *obj = NULL;
	char err[GD_ERRBUF];
	int64_t id;
	int rc;

	if (!outage_param(rs, rq->params[0], &id))
		return;
	if (rq->body_len == 0 && (reason = req_query(rq, "reason")) != NULL) {
		/* The same text rules as a body's reason. */
		if (!jv_valid_text(reason, REASON_MAX_LEN, true)) {
			resp_problem(rs, 400, "bad_request", "reason must be 1 to %d characters of "
			    "text, without control characters", REASON_MAX_LEN);
			return;
		}
	} else if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL) {
		return;
	}
	if ((rc = pools_outage_cancel(rq->db, id, reason, rq->now, &obj, err,
	    sizeof(err))) < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	if ((rc = outage_audit(rq, "outage.cancel", id, obj, NULL, reason)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(body);
}

const struct route routes_pools[] = {
	{ "POST", "/v1/pools", 0, ROUTE_WRITE, pool_create },
	{ "GET", "/v1/pools", ROLE_AUDITOR, 0, pool_list },
	{ "GET", "/v1/pools/{pool}", ROLE_AUDITOR, 0, pool_get },
	{ "POST", "/v1/pools/{pool}/outages", 0, ROUTE_WRITE, outage_create },
	{ "GET", "/v1/pools/{pool}/outages", ROLE_AUDITOR, 0, outage_list },
	{ "PATCH", "/v1/outages/{outage}", 0, ROUTE_WRITE, outage_update },
	{ "DELETE", "/v1/outages/{outage}", 0, ROUTE_WRITE, outage_cancel },
	{ "GET", "/v1/pools/{pool}/timeline", ROLE_AUDITOR, 0, pool_timeline },
	{ NULL, NULL, 0, 0, NULL },
};
