/* routes_vouchers.c: suppliers, voucher holds, settlements, refunds, the journal, verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audit.h"
#include "catalog.h"
#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "router.h"
#include "request.h"
#include "store_enrollments.h"	/* struct enrollment */
#include "store_vouchers.h"
#include "store_suppliers.h"	/* struct ledger_hold, the filters, vid_* */
#include "suppliers.h"
#include "vouchers.h"

/*
 * Who may do what (admin may do everything):
 *  - suppliers: created by the admin; listed by every reader including
 *    teams, who need them to place orders.
 *  - holds: created by the admin or by a team token for its own team.  A
 *    team may also VOID its own pending hold: cancelling its own order
 *    before delivery only gives the reservation back to its own budget and
 *    pays nobody, which is what the hold's expiry would do anyway.
 *    Settling (paying a supplier) and refunding stay with the admin.
 *  - reads: auditors see everything, a team token only its own team's.
 *
 * Ids: a hold is its HOLD transfer ("hold_12" is transfer "tr_12"), a
 * settlement its SETTLE transfer ("stl_40" is "tr_40").  A transfer's
 * "ref" names what it points at by that name: "hold_12" for a settle,
 * void or expire, "stl_40" for a refund.
 *
 * States: a hold is pending, settled or voided, as the contract names
 * them; one the daemon expired is voided with "voided_by": "expiry"
 * (store_vouchers.c maps the ledger's own "expired").  ?state=expired
 * still lists just those.  The journal keeps EXPIRE as the kind of their
 * transfer: it is the ledger's record of what happened, and the contract
 * leaves kinds open.
 */

#define MEMO_MAX_LEN 500
/* A client-chosen expiry is at most a year ahead (or the configured default, if longer). */
#define MAX_HOLD_TTL (365 * INT64_C(86400))

static void
supplier_create(struct request *rq, struct response *rs)
{
	struct supplier_in s = { 0 };
	const struct jv_field f[] = {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, &s.id, NULL },
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &s.name, NULL },
		{ "org", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &s.org, NULL },
	};
	char target[96], err[GD_ERRBUF];
	json_t *body, *obj = NULL, *want;
	bool existed;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	rc = suppliers_create(rq->db, &s, rq->now, &existed, &obj, err, sizeof(err));
	if (rc < 0 && err[0] != '\0') {
		resp_failure(rs, rc, err);
		goto out;
	}
	if (existed) {
		want = json_pack("{s:s, s:s}", "name", s.name, "org", s.org);
		resp_exists(rs, obj, want, "supplier", s.id);
		json_decref(want);
		goto out;
	}
	if (rc < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	snprintf(target, sizeof(target), "supplier/%s", s.id);
	if ((rc = audit_request(rq, "supplier.create", target, NULL, body)) < 0) {
		json_decref(obj);
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
out:
	json_decref(body);
}

static void
supplier_list(struct request *rq, struct response *rs)
{
	int64_t limit;
	const char *after;
	json_t *items = NULL;
	char *next = NULL;

	if (!req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, suppliers_list(rq->db, after, limit, &items, &next), &items, &next);
}

static void
supplier_get(struct request *rq, struct response *rs)
{
	json_t *obj = NULL;

	if (check_id_param(rs, rq->params[0], "supplier"))
		resp_get(rs, suppliers_get(rq->db, rq->params[0], &obj), &obj, "supplier",
		    rq->params[0]);
}

static bool
team_exists(const struct request *rq, struct response *rs, const char *team)
{
	char err[GD_ERRBUF];
	int rc = catalog_team_check(rq->db, team, err, sizeof(err));

	if (rc < 0)
		resp_failure(rs, rc, err);
	return rc == 0;
}

static void
team_vouchers(struct request *rq, struct response *rs)
{
	const char *team = rq->params[0], *after;
	json_t *items = NULL;
	char *next = NULL;
	int64_t limit;

	if (!check_id_param(rs, team, "team") || !req_team_allowed(rq, rs, team) ||
	    !team_exists(rq, rs, team) || !req_list_params(rq, rs, &limit, &after))
		return;
	resp_list(rs, vouchers_team_list(rq->db, team, after, limit, &items, &next), &items,
	    &next);
}

/* A team token acts only for its own team; the message says what it tried. */
static bool
own_team(const struct request *rq, struct response *rs, const char *team, const char *what)
{
	if (rq->who->role != ROLE_TEAM || strcmp(rq->who->team, team) == 0)
		return true;
	resp_problem(rs, 403, "forbidden", "a token of team '%s' may not %s team '%s'",
	    rq->who->team, what, team);
	return false;
}

/* The refusals of a new hold, with the figures a client needs to act on them. */
static void
hold_refused(const struct request *rq, struct response *rs, int rc, const char *err,
    const struct enrollment *e, const char *supplier, int64_t amount)
{
	char org[NAME_MAX_LEN + 1] = "", organisation[ID_MAX + 1] = "";
	int64_t avail = 0;

	switch (rc) {
	case GD_EFUNDS:
		vouchers_available(rq->db, e->id, &avail);
		resp_problem(rs, 409, "insufficient_funds", "amount_krw %lld exceeds the %lld KRW "
		    "available on the voucher of team '%s' in phase '%s'", (long long)amount,
		    (long long)avail, e->team, e->phase);
		json_object_set_new(rs->json, "available_krw", json_integer(avail));
		json_object_set_new(rs->json, "requested_krw", json_integer(amount));
		break;
	case GD_ERELATED:
		suppliers_org(rq->db, supplier, org, organisation);
		resp_problem(rs, 409, "related_party", "supplier '%s' belongs to organisation '%s' "
		    "('%s'), a member of team '%s' now; an admin may allow it with \"override\": "
		    "{\"reason\": ...}", supplier, organisation, org, e->team);
		json_object_set_new(rs->json, "org", json_string(org));
		json_object_set_new(rs->json, "organisation", json_string(organisation));
		break;
	case GD_ESTATE:
		resp_problem(rs, 409, "invalid_state", "the voucher of team '%s' in phase '%s' is "
		    "%s: %s", e->team, e->phase, e->state == ENROLLMENT_ACTIVE ? "not open" :
		    enrollment_state_name(e->state), err);
		break;
	case GD_ENOENT:
		resp_problem(rs, 404, "not_found", "supplier '%s' does not exist", supplier);
		break;
	case GD_EINVAL:
	case GD_ERANGE:
		resp_problem(rs, 400, "bad_request", "%s", err);
		break;
	default:
		resp_store_error(rs, rc);
	}
}

static void
hold_create(struct request *rq, struct response *rs)
{
	struct voucher_hold_in in = { .created_by = rq->who->id };
	json_t *body, *ov = NULL, *obj = NULL;
	bool has_exp = false, related = false;
	const struct jv_field f[] = {
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &in.team, NULL },
		{ "phase", JV_ID, JV_REQUIRED, 0, 0, &in.phase, NULL },
		{ "supplier", JV_ID, JV_REQUIRED, 0, 0, &in.supplier, NULL },
		{ "amount_krw", JV_MONEY, JV_REQUIRED, 0, 0, &in.amount, NULL },
		{ "memo", JV_TEXT, JV_NULLABLE, 0, MEMO_MAX_LEN, &in.memo, NULL },
		{ "expires_at", JV_INSTANT, JV_NULLABLE, 0, 0, &in.expires_at, &has_exp },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, &ov, NULL },
	};
	int64_t ttl = (int64_t)rq->app->cfg.programme.hold_expiry_days * CIVIL_DAY, max_ttl, hold;
	char err[GD_ERRBUF] = "", hid[VID_LEN], target[VID_LEN + 8], detail[512];
	struct enrollment e;
	int rc;

	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!own_team(rq, rs, in.team, "hold money for") ||
	    !req_override(rq, rs, ov, &in.override))
		goto out;
	has_exp = has_exp && json_is_string(json_object_get(body, "expires_at"));
	max_ttl = ttl > MAX_HOLD_TTL ? ttl : MAX_HOLD_TTL;
	if (!has_exp) {
		in.expires_at = rq->now + ttl;
	} else if (in.expires_at <= rq->now || in.expires_at - rq->now > max_ttl) {
		resp_problem(rs, 400, "bad_request", "expires_at must be in the future and at most "
		    "%lld days ahead", (long long)(max_ttl / CIVIL_DAY));
		goto out;
	}
	/*
	 * The enrollment first: when it exists so do its team and phase, and the
	 * hot path saves their queries.  Which of the three is missing is only
	 * asked when one is.  An unknown supplier is found by vouchers_hold.
	 */
	rc = vouchers_enrollment(rq->db, in.phase, in.team, &e, err, sizeof(err));
	if (rc < 0) {
		resp_failure(rs, rc, err);
		goto out;
	}
	in.enrollment = e.id;
	in.ends_at = e.ended_at;
	if ((rc = vouchers_hold(rq->db, &in, rq->now, &hold, &related, &obj, err,
	    sizeof(err))) < 0) {
		hold_refused(rq, rs, rc, err, &e, in.supplier, in.amount);
		goto out;
	}
	vid_format(VID_HOLD, hold, hid);
	snprintf(target, sizeof(target), "hold/%s", hid);
	if (related && in.override) {
		snprintf(detail, sizeof(detail), "hold %s of %lld KRW for supplier '%s', a related "
		    "party of team '%s'", hid, (long long)in.amount, in.supplier, in.team);
		if ((rc = vouchers_related_override(rq->db, in.phase, in.team, detail,
		    in.override, rq->request_id, rq->now)) < 0) {
			resp_store_error(rs, rc);
			goto out;
		}
	}
	if ((rc = audit_request(rq, "voucher.hold.create", target, related ? in.override : NULL,
	    body)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 201, obj);
	obj = NULL;
out:
	json_decref(obj);
	json_decref(body);
}

static bool
hold_param(const struct request *rq, struct response *rs, int64_t *id)
{
	if (vid_parse(VID_HOLD, rq->params[0], id) == 0)
		return true;
	resp_problem(rs, 404, "not_found", "hold '%.40s' does not exist: hold ids look like "
	    "hold_12", rq->params[0]);
	return false;
}

/* How a refusal says why a hold was voided. */
static const char *
voided_why(const char *voided_by)
{
	enum hold_voided_by why;

	if (voided_by == NULL)
		return "";
	if (hold_voided_by_parse(voided_by, &why) < 0)
		why = HOLD_VOIDED_BY_REQUEST;
	switch (why) {
	case HOLD_VOIDED_BY_EXPIRY:		return " by the daemon at its expiry";
	case HOLD_VOIDED_BY_ENROLLMENT_END:	return " when its enrollment ended";
	default:				return " on request";
	}
}

/*
 * Why a hold cannot be settled or voided, in the API's words: a resolved
 * hold's refusal carries its "state" and "voided_by" as GET shows them.
 */
static void
hold_state_refused(const struct request *rq, struct response *rs, int rc, int64_t id,
    const char *verb, const char *err)
{
	struct ledger_hold h;
	char hid[VID_LEN], when[APP_WHEN_LEN];
	const char *state, *by;
	json_t *cur = NULL;

	vid_format(VID_HOLD, id, hid);
	if (rc == GD_ENOENT) {
		resp_problem(rs, 404, "not_found", "hold '%s' does not exist", hid);
	} else if (rc == GD_ESTATE && vouchers_hold_get(rq->db, id, &h) == 0) {
		app_format_when(rq->app, h.expires_at, when);
		if (h.state == LEDGER_HOLD_PENDING && rq->now < h.expires_at) {
			/* Its enrollment ended (vouchers_settle says when). */
			resp_problem(rs, 409, "invalid_state", "hold '%s': %s", hid, err);
		} else if (h.state == LEDGER_HOLD_PENDING) {
			/* Past its expiry, before the daemon's timer voided it. */
			resp_problem(rs, 409, "invalid_state", "hold '%s' expired at %s and can no "
			    "longer be %s; the daemon voids it", hid, when, verb);
		} else if (vouchers_hold_json(rq->db, id, &cur) == 0) {
			state = json_string_value(json_object_get(cur, "state"));
			by = json_string_value(json_object_get(cur, "voided_by"));
			resp_problem(rs, 409, "invalid_state", "hold '%s' is already %s%s; a "
			    "hold is settled or voided once", hid, state, voided_why(by));
			json_object_set_new(rs->json, "state", json_string(state));
			if (by != NULL)
				json_object_set_new(rs->json, "voided_by", json_string(by));
			json_decref(cur);
		} else {
			resp_store_error(rs, GD_EIO);
		}
	} else if (rc == GD_ERANGE || rc == GD_EINVAL) {
		resp_problem(rs, 400, "bad_request", "%s", err);
	} else {
		resp_store_error(rs, rc);
	}
}

/* Audits a change to a hold and replies with the hold as it now is. */
static void
hold_changed(const struct request *rq, struct response *rs, int64_t id, const char *action,
    const char *reason, const json_t *body)
{
	char hid[VID_LEN], target[VID_LEN + 8];
	json_t *obj = NULL;
	int rc;

	vid_format(VID_HOLD, id, hid);
	snprintf(target, sizeof(target), "hold/%s", hid);
	if ((rc = audit_request(rq, action, target, reason, body)) < 0 ||
	    (rc = vouchers_hold_json(rq->db, id, &obj)) < 0) {
		resp_store_error(rs, rc);
		return;
	}
	resp_json(rs, 200, obj);
}

static void
hold_settle(struct request *rq, struct response *rs)
{
	int64_t id, amount = LEDGER_SETTLE_ALL, settlement;
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "amount_krw", JV_MONEY, JV_NULLABLE, 0, 0, &amount, NULL },
		{ "reason", JV_TEXT, JV_NULLABLE, 0, REASON_MAX_LEN, &reason, NULL },
	};
	char err[GD_ERRBUF] = "";
	struct ledger_hold h;
	json_t *body;
	int rc;

	if (!hold_param(rq, rs, &id) || (body = req_decode_opt(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if (!json_is_integer(json_object_get(body, "amount_krw")))
		amount = LEDGER_SETTLE_ALL;
	rc = vouchers_settle(rq->db, id, amount, rq->now, &settlement, err, sizeof(err));
	if (rc == GD_ERANGE && vouchers_hold_get(rq->db, id, &h) == 0)
		snprintf(err, sizeof(err), "amount_krw %lld exceeds the hold's %lld KRW",
		    (long long)amount, (long long)h.amount);
	if (rc < 0)
		hold_state_refused(rq, rs, rc, id, "settled", err);
	else
		hold_changed(rq, rs, id, "voucher.hold.settle", reason, body);
	json_decref(body);
}

static void
hold_void(struct request *rq, struct response *rs)
{
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "reason", JV_TEXT, JV_NULLABLE, 0, REASON_MAX_LEN, &reason, NULL },
	};
	char err[GD_ERRBUF] = "", team[ID_MAX + 1], hid[VID_LEN];
	json_t *body;
	int64_t id;
	int rc;

	if (!hold_param(rq, rs, &id))
		return;
	if (rq->who->role == ROLE_TEAM) {
		if ((rc = vouchers_hold_team(rq->db, id, team)) < 0) {
			vid_format(VID_HOLD, id, hid);
			resp_get(rs, rc, NULL, "hold", hid);
			return;
		}
		if (!own_team(rq, rs, team, "void a hold of"))
			return;
	}
	if ((body = req_decode_opt(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	if ((rc = vouchers_void(rq->db, id, rq->now, err, sizeof(err))) < 0)
		hold_state_refused(rq, rs, rc, id, "voided", err);
	else
		hold_changed(rq, rs, id, "voucher.hold.void", reason, body);
	json_decref(body);
}

static void
refund(struct request *rq, struct response *rs)
{
	int64_t sid, amount, rid;
	const char *reason = NULL;
	const struct jv_field f[] = {
		{ "amount_krw", JV_MONEY, JV_REQUIRED, 0, 0, &amount, NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &reason, NULL },
	};
	char err[GD_ERRBUF] = "", stl[VID_LEN], tr[VID_LEN], target[VID_LEN + 16];
	struct ledger_hold h;
	bool to_returned = false;
	json_t *body, *hold = NULL;
	int rc;

	if (vid_parse(VID_SETTLEMENT, rq->params[0], &sid) < 0) {
		resp_problem(rs, 404, "not_found", "settlement '%.40s' does not exist: settlement "
		    "ids look like stl_40", rq->params[0]);
		return;
	}
	if ((body = req_decode(rq, rs, f, NFIELDS(f))) == NULL)
		return;
	vid_format(VID_SETTLEMENT, sid, stl);
	rc = vouchers_refund(rq->db, sid, amount, rq->now, &rid, &to_returned, err, sizeof(err));
	if (rc == GD_ENOENT) {
		resp_problem(rs, 404, "not_found", "settlement '%s' does not exist", stl);
	} else if (rc == GD_ERANGE && vouchers_hold_by_settlement(rq->db, sid, &h) == 0) {
		/* Depends on the refunds before it: the state conflicts, the request is fine. */
		resp_problem(rs, 409, "conflict", "amount_krw %lld exceeds the %lld KRW of "
		    "settlement '%s' not yet refunded", (long long)amount,
		    (long long)(h.settled - h.refunded), stl);
		json_object_set_new(rs->json, "refundable_krw", json_integer(h.settled - h.refunded));
	} else if (rc == GD_ERANGE || rc == GD_EINVAL) {
		resp_problem(rs, 400, "bad_request", "%s", err);
	} else if (rc == GD_ESTATE) {
		resp_problem(rs, 409, "invalid_state", "%s", err);
	} else if (rc < 0) {
		resp_store_error(rs, rc);
	}
	if (rc < 0)
		goto out;
	snprintf(target, sizeof(target), "settlement/%s", stl);
	vid_format(VID_TRANSFER, rid, tr);
	if ((rc = vouchers_hold_by_settlement(rq->db, sid, &h)) < 0 ||
	    (rc = audit_request(rq, "voucher.refund", target, reason, body)) < 0 ||
	    (rc = vouchers_hold_json(rq->db, h.id, &hold)) < 0) {
		resp_store_error(rs, rc);
		goto out;
	}
	resp_json(rs, 200, json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:b, s:o}", "id", tr,
	    "kind", "refund", "settlement", stl, "amount_krw", (json_int_t)amount,
	    "refunded_krw", (json_int_t)h.refunded, "refundable_krw",
	    (json_int_t)(h.settled - h.refunded), "to_returned", to_returned, "hold", hold));
out:
	json_decref(body);
}

/* The team a list is limited to: a team token's own, or the ?team= filter. */
static bool
list_team(const struct request *rq, struct response *rs, const char **team)
{
	const char *q = req_query(rq, "team");

	if (q && !jv_valid_id(q)) {
		resp_problem(rs, 400, "bad_request", "team must match [a-z0-9][a-z0-9-]{0,62}");
		return false;
	}
	if (rq->who->role == ROLE_TEAM) {
		if (q && !own_team(rq, rs, q, "list the vouchers of"))
			return false;
		q = rq->who->team;
	}
	*team = q;
	return true;
}

static bool
query_id(const struct request *rq, struct response *rs, const char *key, const char **out)
{
	const char *q = req_query(rq, key);

	if (q && !jv_valid_id(q)) {
		resp_problem(rs, 400, "bad_request", "%s must match [a-z0-9][a-z0-9-]{0,62}", key);
		return false;
	}
	*out = q;
	return true;
}

/* ?after= of a list of holds or transfers: the id of the last item seen. */
static bool
list_cursor(const struct request *rq, struct response *rs, const char *prefix, int64_t *after)
{
	const char *a = req_query(rq, "after");

	*after = 0;
	if (a && vid_parse(prefix, a, after) < 0) {
		resp_problem(rs, 400, "bad_request", "after must be a cursor from a previous page "
		    "(%sN)", prefix);
		return false;
	}
	return true;
}

static void
hold_list(struct request *rq, struct response *rs)
{
	struct hold_filter f = { 0 };
	enum ledger_hold_state st;
	int64_t limit, after;
	const char *unused;
	json_t *items = NULL;
	char *next = NULL;

	if (!req_list_params(rq, rs, &limit, &unused) || !list_cursor(rq, rs, VID_HOLD, &after) ||
	    !list_team(rq, rs, &f.team) || !query_id(rq, rs, "phase", &f.phase) ||
	    !query_id(rq, rs, "supplier", &f.supplier))
		return;
	f.state = req_query(rq, "state");
	if (f.state && ledger_hold_state_parse(f.state, &st) < 0) {
		resp_problem(rs, 400, "bad_request", "state must be pending, settled, voided or "
		    "expired (voided by expiry)");
		return;
	}
	resp_list(rs, vouchers_hold_list(rq->db, &f, after, limit, &items, &next), &items,
	    &next);
}

static void
hold_get(struct request *rq, struct response *rs)
{
	char hid[VID_LEN];
	json_t *obj = NULL;
	int64_t id;
	int rc;

	if (!hold_param(rq, rs, &id))
		return;
	vid_format(VID_HOLD, id, hid);
	if ((rc = vouchers_hold_json(rq->db, id, &obj)) == 0 &&
	    !req_team_allowed(rq, rs, json_string_value(json_object_get(obj, "team")))) {
		json_decref(obj);
		return;
	}
	resp_get(rs, rc, &obj, "hold", hid);
}

static void
transfer_list(struct request *rq, struct response *rs)
{
	struct transfer_filter f = { 0 };
	enum ledger_kind k;
	int64_t limit, after;
	const char *unused;
	json_t *items = NULL;
	char *next = NULL;

	if (!req_list_params(rq, rs, &limit, &unused) ||
	    !list_cursor(rq, rs, VID_TRANSFER, &after) || !list_team(rq, rs, &f.team) ||
	    !query_id(rq, rs, "phase", &f.phase))
		return;
	f.kind = req_query(rq, "kind");
	if (f.kind && ledger_kind_parse(f.kind, &k) < 0) {
		resp_problem(rs, 400, "bad_request", "kind must be open, hold, settle, void, "
		    "expire, refund or return");
		return;
	}
	resp_list(rs, vouchers_transfer_list(rq->db, &f, after, limit, &items, &next), &items,
	    &next);
}

static void
ledger_check(struct request *rq, struct response *rs)
{
	char err[GD_ERRBUF] = "";
	int64_t na = 0, nt = 0;
	int rc = vouchers_verify(rq->db, &na, &nt, err, sizeof(err));

	if (rc == GD_ECONFLICT)
		resp_json(rs, 200, json_pack("{s:b, s:s}", "ok", 0, "error", err));
	else if (rc < 0)
		resp_store_error(rs, rc);
	else
		resp_json(rs, 200, json_pack("{s:b, s:I, s:I}", "ok", 1, "accounts",
		    (json_int_t)na, "transfers", (json_int_t)nt));
}

const struct route routes_vouchers[] = {
	{ "POST", "/v1/suppliers", 0, ROUTE_WRITE, supplier_create },
	{ "GET", "/v1/suppliers", ROLE_AUDITOR | ROLE_TEAM, 0, supplier_list },
	{ "GET", "/v1/suppliers/{supplier}", ROLE_AUDITOR | ROLE_TEAM, 0, supplier_get },
	{ "GET", "/v1/teams/{team}/vouchers", ROLE_AUDITOR | ROLE_TEAM, 0, team_vouchers },
	{ "POST", "/v1/vouchers/holds", ROLE_TEAM, ROUTE_WRITE, hold_create },
	{ "GET", "/v1/vouchers/holds", ROLE_AUDITOR | ROLE_TEAM, 0, hold_list },
	{ "GET", "/v1/vouchers/holds/{hold}", ROLE_AUDITOR | ROLE_TEAM, 0, hold_get },
	{ "POST", "/v1/vouchers/holds/{hold}/settle", 0, ROUTE_WRITE, hold_settle },
	{ "POST", "/v1/vouchers/holds/{hold}/void", ROLE_TEAM, ROUTE_WRITE, hold_void },
	{ "POST", "/v1/vouchers/settlements/{settlement}/refund", 0, ROUTE_WRITE, refund },
	{ "GET", "/v1/vouchers/transfers", ROLE_AUDITOR | ROLE_TEAM, 0, transfer_list },
	{ "GET", "/v1/vouchers/verify", ROLE_AUDITOR, 0, ledger_check },
	{ NULL, NULL, 0, 0, NULL },
};
