/* test_routes_vouchers.c: suppliers, holds, settlements, refunds, closing and expiry through dispatch(). */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fixture.h"
#include "ledger.h"
#include "store_grants.h"
#include "store_enrollments.h"
#include "store_vouchers.h"
#include "vouchers.h"
#include "timers.h"
#include "commit.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every test runs in its own process on a fresh database seeded by setup():
 * programme sovereign-ai; phase stage-2 with a voucher of BUDGET KRW; teams
 * lg-ai (members LG AI Research, Seoul Univ) and motif (Motif Technologies),
 * both enrolled in stage-2; team idle, not enrolled; suppliers data-co (an
 * outsider) and lg-data (org LG AI Research: a related party of lg-ai); and
 * tokens of an auditor and of each team.
 *
 * Enrollments are inserted directly (store_enrollment_insert and
 * vouchers_open in one transaction), as the enrollment route does, so these
 * tests do not depend on placement.
 */
static struct fx F;
static char auditor[TOKEN_SECRET_LEN + 1], lg_tok[TOKEN_SECRET_LEN + 1];
static char motif_tok[TOKEN_SECRET_LEN + 1];
static int64_t lg_enr, motif_enr;

#define BUDGET INT64_C(1000000)
#define DAY INT64_C(86400)

static char *
dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

/* A change made outside any request, in a transaction of its own on the writer. */
static void
txn_begin(void)
{
	if (commit_pending(&F.app))
		commit_flush(&F.app);
	fx_sql(&F, "BEGIN IMMEDIATE");
}

static int64_t
enroll(const char *phase, const char *team, int64_t budget)
{
	int64_t id = 0;

	txn_begin();
	ck_assert_int_eq(store_enrollment_insert(F.app.w, phase, team, FX_NOW, FX_NOW + 120 * DAY,
	    FX_NOW, &id), 0);
	ck_assert_int_eq(vouchers_open(F.app.w, id, budget, FX_NOW), 0);
	fx_sql(&F, "COMMIT");
	return id;
}

static void
setup(void)
{
	char body[512];

	fx_open(&F);
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\"}",
	    201);
	snprintf(body, sizeof(body), "{\"id\":\"stage-2\",\"name\":\"Stage 2\",\"starts_on\":"
	    "\"2026-03-01\",\"period_days\":120,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":768,\"voucher_krw\":%" PRId64 "}}", BUDGET);
	fx_must(&F, "POST", "/v1/programs/sovereign-ai/phases", body, 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"lg-ai\",\"name\":\"LG consortium\","
	    "\"lead_org\":\"LG AI Research\",\"members\":[{\"org\":\"LG AI Research\","
	    "\"role\":\"lead\"},{\"org\":\"Seoul Univ\",\"role\":\"member\"}]}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"motif\",\"name\":\"Motif consortium\","
	    "\"lead_org\":\"Motif Technologies\"}", 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"idle\",\"name\":\"Idle\","
	    "\"lead_org\":\"Idle Org\"}", 201);
	fx_must(&F, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}", 201);
	fx_must(&F, "POST", "/v1/suppliers", "{\"id\":\"lg-data\",\"name\":\"LG Data\","
	    "\"org\":\"LG AI Research\"}", 201);
	fx_token(&F, "auditor", ROLE_AUDITOR, NULL, NULL, auditor, NULL);
	fx_token(&F, "lg", ROLE_TEAM, "lg-ai", NULL, lg_tok, NULL);
	fx_token(&F, "motif", ROLE_TEAM, "motif", NULL, motif_tok, NULL);
	lg_enr = enroll("stage-2", "lg-ai", BUDGET);
	motif_enr = enroll("stage-2", "motif", BUDGET);
}

static void
teardown(void)
{
	fx_close(&F);
}

/* The ledger verifies; returns the number of transfers. */
static int64_t
ledger_ok(void)
{
	char err[GD_ERRBUF] = "";
	int64_t a = -1, t = -1;

	ck_assert_msg(vouchers_verify(F.app.r, &a, &t, err, sizeof(err)) == 0, "ledger: %s", err);
	return t;
}

/* Everything a voucher change may write: two equal prints mean nothing was written. */
static void
ledger_print(char out[512])
{
	snprintf(out, 512, "transfers=%lld holds=%lld overrides=%lld audit=%lld idem=%lld "
	    "balances=%lld", (long long)fx_count(&F, "ledger_transfers"),
	    (long long)fx_count(&F, "ledger_holds"), (long long)fx_count(&F, "overrides"),
	    (long long)fx_count(&F, "audit"), (long long)fx_count(&F, "idempotency"),
	    (long long)db_int(F.app.r, "SELECT coalesce(sum(budget + 3 * held + 5 * settled + "
	    "7 * refunded + 11 * returned + closed), 0) FROM ledger_accounts", NULL));
}

static struct response
req_at(const char *method, const char *path, const char *token, const char *body,
    int64_t now)
{
	struct fx_rq in = { .method = method, .path = path, .token = token, .body = body,
		.now = now };

	return fx_call(&F, &in);
}

/* POST /v1/vouchers/holds with an optional tail of JSON members (",\"memo\":\"x\""). */
static struct response
hold_req(const char *token, const char *team, const char *supplier, int64_t amount,
    const char *extra, int64_t now)
{
	char body[2048];

	snprintf(body, sizeof(body), "{\"team\":\"%s\",\"phase\":\"stage-2\",\"supplier\":\"%s\","
	    "\"amount_krw\":%" PRId64 "%s}", team, supplier, amount, extra ? extra : "");
	return req_at("POST", "/v1/vouchers/holds", token, body, now);
}

/* A hold that must succeed; its id is copied to id. */
static void
hold_ok(const char *team, int64_t amount, char id[VID_LEN])
{
	struct response rs = hold_req(F.admin, team, "data-co", amount, NULL, 0);
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == 201, "hold: %d %s", rs.status, d);
	snprintf(id, VID_LEN, "%s", fx_str(rs.json, "id"));
	free(d);
	response_clear(&rs);
}

static struct response
hold_action(const char *id, const char *action, const char *token, const char *body,
    int64_t now)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/%s", id, action);
	return req_at("POST", path, token, body, now);
}

static void
expect(struct response *rs, int status, const char *code)
{
	char *d = dump(rs->json);

	ck_assert_msg(rs->status == status, "want %d %s, got %d %s", status, code ? code : "",
	    rs->status, d);
	if (code)
		ck_assert_msg(strcmp(fx_code(rs), code) == 0, "want %s, got %s", code, d);
	free(d);
}

/* A hold as GET /v1/vouchers/holds/{hold} shows it: state, and voided_by (NULL: absent). */
static void
hold_shown(const char *id, const char *state, const char *voided_by)
{
	char path[128], *d;
	struct response rs;
	json_t *by;

	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", id);
	rs = fx_req(&F, "GET", path, auditor, NULL);
	d = dump(rs.json);
	by = json_object_get(rs.json, "voided_by");
	ck_assert_msg(rs.status == 200 && strcmp(fx_str(rs.json, "state"), state) == 0 &&
	    (voided_by ? by != NULL && strcmp(json_string_value(by), voided_by) == 0 :
	    by == NULL), "%s: want %s by %s, got %s", id, state, voided_by ? voided_by : "-", d);
	free(d);
	response_clear(&rs);
}

/* How many holds GET /v1/vouchers/holds?QUERY lists (one page is enough here). */
static size_t
holds_listed(const char *query)
{
	char path[160];
	struct response rs;
	size_t n;

	snprintf(path, sizeof(path), "/v1/vouchers/holds?limit=1000&%s", query);
	rs = fx_get(&F, path);
	ck_assert_int_eq(rs.status, 200);
	ck_assert(json_is_null(json_object_get(rs.json, "next")));
	n = json_array_size(json_object_get(rs.json, "items"));
	response_clear(&rs);
	return n;
}

/* The figures of a team's voucher in stage-2, as GET /v1/teams/{team}/vouchers shows them. */
struct vfig {
	int64_t budget, held, settled, refunded, returned, available;
	char state[16];
};

static struct vfig
voucher_of(const char *team)
{
	char path[128];
	struct response rs;
	struct vfig v = { 0 };
	json_t *it;

	snprintf(path, sizeof(path), "/v1/teams/%s/vouchers", team);
	rs = fx_get(&F, path);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	it = json_array_get(json_object_get(rs.json, "items"), 0);
	ck_assert_str_eq(fx_str(it, "phase"), "stage-2");
	v.budget = json_integer_value(json_object_get(it, "budget_krw"));
	v.held = json_integer_value(json_object_get(it, "held_krw"));
	v.settled = json_integer_value(json_object_get(it, "settled_krw"));
	v.refunded = json_integer_value(json_object_get(it, "refunded_krw"));
	v.returned = json_integer_value(json_object_get(it, "returned_krw"));
	v.available = json_integer_value(json_object_get(it, "available_krw"));
	snprintf(v.state, sizeof(v.state), "%s", fx_str(it, "state"));
	response_clear(&rs);
	return v;
}

static void
close_voucher(int64_t enr, int want)
{
	char err[GD_ERRBUF] = "";

	txn_begin();
	ck_assert_msg(vouchers_close(F.app.w, enr, FX_NOW + DAY, err, sizeof(err)) == want,
	    "close: %s", err);
	fx_sql(&F, "COMMIT");
}

static int64_t
expire_at(int64_t now, int64_t *next)
{
	int64_t n = -1, nx = -2;
	int failed = 0;

	txn_begin();
	ck_assert_int_eq(vouchers_expire_due(F.app.w, now, now, &n, &nx, &failed), 0);
	ck_assert_int_eq(failed, 0);
	fx_sql(&F, "COMMIT");
	if (next)
		*next = nx;
	return n;
}

/* ------------------------------------------------------------------ */

START_TEST(suppliers)
{
	struct response rs;
	char before[512], after[512];

	/* The same body again is the existing supplier; a different one is a conflict. */
	rs = fx_post(&F, "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}");
	expect(&rs, 200, NULL);
	ck_assert_str_eq(fx_str(rs.json, "account"), "payable:data-co");
	response_clear(&rs);
	rs = fx_post(&F, "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Other\"}");
	expect(&rs, 409, "already_exists");
	response_clear(&rs);

	ledger_print(before);
	rs = fx_post(&F, "/v1/suppliers", "{\"id\":\"x\",\"name\":\"X\",\"org\":\"X\","
	    "\"orgg\":1}");
	expect(&rs, 400, "bad_request");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "orgg"));
	response_clear(&rs);
	rs = fx_post(&F, "/v1/suppliers", "{\"id\":\"Bad Id\",\"name\":\"X\",\"org\":\"X\"}");
	expect(&rs, 400, "bad_request");
	response_clear(&rs);
	rs = fx_post(&F, "/v1/suppliers", "{\"id\":\"x\",\"name\":\"X\"}");
	expect(&rs, 400, "bad_request");
	response_clear(&rs);
	rs = fx_req(&F, "POST", "/v1/suppliers", lg_tok, "{\"id\":\"x\",\"name\":\"X\","
	    "\"org\":\"X\"}");
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	rs = fx_req(&F, "POST", "/v1/suppliers", auditor, "{\"id\":\"x\",\"name\":\"X\","
	    "\"org\":\"X\"}");
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	ledger_print(after);
	ck_assert_str_eq(before, after);

	/* Teams and auditors read them: they need them to place orders. */
	rs = fx_req(&F, "GET", "/v1/suppliers?limit=1", lg_tok, NULL);
	expect(&rs, 200, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	ck_assert_str_eq(fx_str(rs.json, "next"), "data-co");
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/suppliers?after=data-co", auditor, NULL);
	expect(&rs, 200, NULL);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "id"),
	    "lg-data");
	ck_assert(json_is_null(json_object_get(rs.json, "next")));
	response_clear(&rs);
	rs = fx_get(&F, "/v1/suppliers/lg-data");
	expect(&rs, 200, NULL);
	ck_assert_str_eq(fx_str(rs.json, "org"), "LG AI Research");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/suppliers/nope");
	expect(&rs, 404, "not_found");
	response_clear(&rs);
	ledger_ok();
}
END_TEST

START_TEST(open_and_read)
{
	struct vfig v = voucher_of("lg-ai");
	struct response rs;
	json_t *items, *t;

	ck_assert_int_eq(v.budget, BUDGET);
	ck_assert_int_eq(v.available, BUDGET);
	ck_assert_str_eq(v.state, "open");
	/* One OPEN per enrollment, from the programme's funding account. */
	rs = fx_get(&F, "/v1/vouchers/transfers?team=lg-ai");
	expect(&rs, 200, NULL);
	items = json_object_get(rs.json, "items");
	ck_assert_int_eq(json_array_size(items), 1);
	t = json_array_get(items, 0);
	ck_assert_str_eq(fx_str(t, "kind"), "open");
	ck_assert_str_eq(fx_str(t, "debit"), "funding:sovereign-ai");
	ck_assert_str_eq(fx_str(t, "credit"), "voucher:stage-2/lg-ai");
	ck_assert_int_eq(json_integer_value(json_object_get(t, "amount_krw")), BUDGET);
	ck_assert_str_eq(fx_str(t, "at"), "2026-03-01T00:00:00Z");
	ck_assert(json_is_null(json_object_get(t, "ref")));
	ck_assert_str_eq(fx_str(t, "id"), "tr_1");
	response_clear(&rs);
	ck_assert_int_eq(ledger_ok(), 2);

	rs = fx_req(&F, "GET", "/v1/vouchers/verify", auditor, NULL);
	expect(&rs, 200, NULL);
	ck_assert(json_is_true(json_object_get(rs.json, "ok")));
	/* funding, returned, two vouchers, two payables */
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "accounts")), 6);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "transfers")), 2);
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/vouchers/verify", lg_tok, NULL);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);

	/* A voucher is opened once. */
	txn_begin();
	ck_assert_int_lt(vouchers_open(F.app.w, lg_enr, BUDGET, FX_NOW), 0);
	fx_sql(&F, "ROLLBACK");
	ledger_ok();

	/* A team sees its own vouchers only; an unknown team is 404. */
	rs = fx_req(&F, "GET", "/v1/teams/lg-ai/vouchers", lg_tok, NULL);
	expect(&rs, 200, NULL);
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/teams/motif/vouchers", lg_tok, NULL);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/teams/motif/vouchers", auditor, NULL);
	expect(&rs, 200, NULL);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/teams/nobody/vouchers");
	expect(&rs, 404, "not_found");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/teams/idle/vouchers");
	expect(&rs, 200, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 0);
	response_clear(&rs);
}
END_TEST

START_TEST(hold_lifecycle)
{
	struct response rs;
	struct fx_audit a;
	char id[VID_LEN], stl[VID_LEN], path[128];
	int64_t audit0;
	struct vfig v;

	audit0 = fx_audit_count(&F);
	rs = hold_req(F.admin, "lg-ai", "data-co", 300000, ",\"memo\":\"Korean web corpus, "
	    "order 17\"", 0);
	expect(&rs, 201, NULL);
	ck_assert_str_eq(fx_str(rs.json, "state"), "pending");
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "amount_krw")), 300000);
	/* The default expiry: 30 days (hold_expiry_days). */
	ck_assert_str_eq(fx_str(rs.json, "expires_at"), "2026-03-31T00:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "memo"), "Korean web corpus, order 17");
	ck_assert_str_eq(fx_str(rs.json, "team"), "lg-ai");
	ck_assert_str_eq(fx_str(rs.json, "supplier"), "data-co");
	snprintf(id, sizeof(id), "%s", fx_str(rs.json, "id"));
	ck_assert_str_eq(id, "hold_3");
	response_clear(&rs);
	ck_assert_int_eq(fx_audit_count(&F), audit0 + 1);
	a = fx_audit_last(&F);
	ck_assert_str_eq(a.action, "voucher.hold.create");
	ck_assert_str_eq(a.target, "hold/hold_3");
	ck_assert_str_eq(a.actor_id, F.admin_id);

	v = voucher_of("lg-ai");
	ck_assert_int_eq(v.held, 300000);
	ck_assert_int_eq(v.available, BUDGET - 300000);
	ledger_ok();

	/* GET one and the list. */
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", id);
	rs = fx_req(&F, "GET", path, lg_tok, NULL);
	expect(&rs, 200, NULL);
	ck_assert_str_eq(fx_str(rs.json, "debit"), "voucher:stage-2/lg-ai");
	ck_assert_str_eq(fx_str(rs.json, "credit"), "payable:data-co");
	response_clear(&rs);
	rs = fx_req(&F, "GET", path, motif_tok, NULL);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);

	/* Partial settlement: the rest is released. */
	rs = hold_action(id, "settle", F.admin, "{\"amount_krw\":250000}", 0);
	expect(&rs, 200, NULL);
	ck_assert_str_eq(fx_str(rs.json, "state"), "settled");
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "settled_krw")), 250000);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "released_krw")), 50000);
	snprintf(stl, sizeof(stl), "%s", fx_str(rs.json, "settlement"));
	ck_assert_str_eq(stl, "stl_4");
	response_clear(&rs);
	a = fx_audit_last(&F);
	ck_assert_str_eq(a.action, "voucher.hold.settle");
	v = voucher_of("lg-ai");
	ck_assert_int_eq(v.held, 0);
	ck_assert_int_eq(v.settled, 250000);
	ck_assert_int_eq(v.available, BUDGET - 250000);
	ledger_ok();

	/* A hold is settled or voided once. */
	rs = hold_action(id, "settle", F.admin, NULL, 0);
	expect(&rs, 409, "invalid_state");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "already settled"));
	response_clear(&rs);
	rs = hold_action(id, "void", F.admin, NULL, 0);
	expect(&rs, 409, "invalid_state");
	response_clear(&rs);

	/* Refunds: part, then the rest; never more than was settled. */
	snprintf(path, sizeof(path), "/v1/vouchers/settlements/%s/refund", stl);
	rs = fx_post(&F, path, "{\"amount_krw\":100000,\"reason\":\"rows rejected\"}");
	expect(&rs, 200, NULL);
	ck_assert_str_eq(fx_str(rs.json, "kind"), "refund");
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "refundable_krw")), 150000);
	ck_assert(json_is_false(json_object_get(rs.json, "to_returned")));
	response_clear(&rs);
	a = fx_audit_last(&F);
	ck_assert_str_eq(a.action, "voucher.refund");
	ck_assert_str_eq(a.target, "settlement/stl_4");
	rs = fx_post(&F, path, "{\"amount_krw\":150001,\"reason\":\"too much\"}");
	expect(&rs, 409, "conflict");
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "refundable_krw")), 150000);
	response_clear(&rs);
	rs = fx_post(&F, path, "{\"amount_krw\":150000,\"reason\":\"all of it\"}");
	expect(&rs, 200, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "refundable_krw")), 0);
	response_clear(&rs);
	rs = fx_post(&F, path, "{\"amount_krw\":1,\"reason\":\"nothing left\"}");
	expect(&rs, 409, "conflict");
	response_clear(&rs);
	v = voucher_of("lg-ai");
	ck_assert_int_eq(v.refunded, 250000);
	ck_assert_int_eq(v.available, BUDGET);
	ledger_ok();

	/* The journal, readable: hold, settle, refund, refund with their refs. */
	rs = fx_get(&F, "/v1/vouchers/transfers?team=lg-ai&kind=refund");
	expect(&rs, 200, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "ref"),
	    "stl_4");
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "debit"),
	    "payable:data-co");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/vouchers/transfers?team=lg-ai&kind=settle");
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "ref"),
	    "hold_3");
	response_clear(&rs);
	ck_assert_int_eq(fx_audit_count(&F), audit0 + 4);
	fx_audit_verify(&F);
}
END_TEST

START_TEST(void_and_roles)
{
	struct response rs;
	char a[VID_LEN], b[VID_LEN], c[VID_LEN];
	char before[512], after[512];

	hold_ok("lg-ai", 1000, a);
	hold_ok("motif", 2000, b);
	hold_ok("lg-ai", 3000, c);

	/* A team may void its own pending hold, not another team's; it never settles. */
	ledger_print(before);
	rs = hold_action(b, "void", lg_tok, NULL, 0);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	rs = hold_action(a, "settle", lg_tok, NULL, 0);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	rs = hold_action(a, "settle", auditor, NULL, 0);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	rs = hold_action("hold_999", "void", lg_tok, NULL, 0);
	expect(&rs, 404, "not_found");
	response_clear(&rs);
	rs = hold_action("hold_999", "void", F.admin, NULL, 0);
	expect(&rs, 404, "not_found");
	response_clear(&rs);
	rs = hold_action("h3", "settle", F.admin, NULL, 0);
	expect(&rs, 404, "not_found");
	response_clear(&rs);
	rs = hold_action("hold_03", "settle", F.admin, NULL, 0);
	expect(&rs, 404, "not_found");
	response_clear(&rs);
	rs = hold_action("hold_1", "settle", F.admin, NULL, 0);	/* tr_1 is an OPEN */
	expect(&rs, 404, "not_found");
	response_clear(&rs);
	rs = hold_action(a, "void", F.admin, "{\"reason\":1}", 0);
	expect(&rs, 400, "bad_request");
	response_clear(&rs);
	rs = hold_action(a, "void", F.admin, "{\"amount_krw\":1}", 0);
	expect(&rs, 400, "bad_request");
	response_clear(&rs);
	ledger_print(after);
	ck_assert_str_eq(before, after);

	rs = hold_action(a, "void", lg_tok, "{\"reason\":\"order cancelled\"}", 0);
	expect(&rs, 200, NULL);
	ck_assert_str_eq(fx_str(rs.json, "state"), "voided");
	ck_assert_str_eq(fx_str(rs.json, "voided_by"), "request");
	ck_assert_str_eq(fx_str(rs.json, "resolved_at"), "2026-03-01T00:00:00Z");
	response_clear(&rs);
	ck_assert_str_eq(fx_audit_last(&F).action, "voucher.hold.void");
	hold_shown(a, "voided", "request");
	hold_shown(b, "pending", NULL);
	rs = hold_action(a, "void", lg_tok, NULL, 0);
	expect(&rs, 409, "invalid_state");
	ck_assert_str_eq(fx_str(rs.json, "state"), "voided");
	ck_assert_str_eq(fx_str(rs.json, "voided_by"), "request");
	response_clear(&rs);
	rs = hold_action(c, "void", F.admin, NULL, 0);
	expect(&rs, 200, NULL);
	response_clear(&rs);
	ck_assert_int_eq(voucher_of("lg-ai").available, BUDGET);
	ck_assert_int_eq(voucher_of("motif").available, BUDGET - 2000);

	/* Lists: a team sees its own, whatever it asks; an auditor sees all. */
	rs = fx_req(&F, "GET", "/v1/vouchers/holds", lg_tok, NULL);
	expect(&rs, 200, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/vouchers/holds?team=motif", lg_tok, NULL);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/vouchers/transfers?team=motif", lg_tok, NULL);
	expect(&rs, 403, "forbidden");
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/vouchers/transfers", motif_tok, NULL);
	expect(&rs, 200, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);	/* open, hold */
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/vouchers/holds", auditor, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 3);
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/vouchers/holds?state=voided&team=lg-ai", auditor, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/vouchers/holds?state=pending&phase=stage-2&supplier=data-co",
	    auditor, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "id"), b);
	response_clear(&rs);

	/* Pages. */
	rs = fx_get(&F, "/v1/vouchers/holds?limit=2");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	ck_assert_str_eq(fx_str(rs.json, "next"), b);
	response_clear(&rs);
	{
		char p[128];

		snprintf(p, sizeof(p), "/v1/vouchers/holds?limit=2&after=%s", b);
		rs = fx_get(&F, p);
		ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
		ck_assert(json_is_null(json_object_get(rs.json, "next")));
		response_clear(&rs);
	}
	rs = fx_get(&F, "/v1/vouchers/transfers?limit=3");
	ck_assert_str_eq(fx_str(rs.json, "next"), "tr_3");
	response_clear(&rs);

	/* Bad filters are 400, not an empty list. */
	{
		static const char *const bad[] = {
			"/v1/vouchers/holds?state=done", "/v1/vouchers/holds?team=Bad",
			"/v1/vouchers/holds?after=3", "/v1/vouchers/holds?limit=0",
			"/v1/vouchers/holds?phase=", "/v1/vouchers/transfers?kind=pay",
			"/v1/vouchers/transfers?after=hold_3", "/v1/vouchers/holds?supplier=A",
		};

		for (size_t i = 0; i < NELEMS(bad); i++) {
			rs = fx_get(&F, bad[i]);
			ck_assert_msg(rs.status == 400, "%s: %d", bad[i], rs.status);
			response_clear(&rs);
		}
	}
	ledger_ok();
}
END_TEST

/* Refused holds: status, code, a word of the detail, and nothing written. */
struct refusal {
	const char *what;
	int tok;		/* 0 admin, 1 lg-ai team, 2 auditor */
	const char *team, *supplier;
	int64_t amount;
	const char *extra;	/* JSON members appended to the body */
	const char *raw;	/* a whole body instead */
	int status;
	const char *code, *detail;
};

static const struct refusal refusals[] = {
	{ "over budget", 0, "lg-ai", "data-co", BUDGET + 1, NULL, NULL, 409,
	    "insufficient_funds", "available" },
	{ "max amount", 0, "lg-ai", "data-co", INT64_C(10000000000000), NULL, NULL, 409,
	    "insufficient_funds", NULL },
	{ "zero", 0, "lg-ai", "data-co", 0, NULL, NULL, 400, "bad_request", "amount_krw" },
	{ "negative", 0, "lg-ai", "data-co", -5, NULL, NULL, 400, "bad_request", "amount_krw" },
	{ "above 10^13", 0, "lg-ai", "data-co", INT64_C(10000000000001), NULL, NULL, 400,
	    "bad_request", "amount_krw" },
	{ "fraction", 0, NULL, NULL, 0, NULL, "{\"team\":\"lg-ai\",\"phase\":\"stage-2\","
	    "\"supplier\":\"data-co\",\"amount_krw\":10.5}", 400, "bad_request", "amount_krw" },
	{ "string amount", 0, NULL, NULL, 0, NULL, "{\"team\":\"lg-ai\",\"phase\":\"stage-2\","
	    "\"supplier\":\"data-co\",\"amount_krw\":\"10\"}", 400, "bad_request", "amount_krw" },
	{ "no supplier", 0, NULL, NULL, 0, NULL, "{\"team\":\"lg-ai\",\"phase\":\"stage-2\","
	    "\"amount_krw\":10}", 400, "bad_request", "supplier" },
	{ "unknown field", 0, "lg-ai", "data-co", 10, ",\"amount\":10", NULL, 400, "bad_request",
	    "amount" },
	{ "memo too long", 0, "lg-ai", "data-co", 10, ",\"memo\":\"" /* 501 x */
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "\"", NULL, 400, "bad_request", "memo" },
	{ "memo empty", 0, "lg-ai", "data-co", 10, ",\"memo\":\"\"", NULL, 400, "bad_request",
	    "memo" },
	{ "expiry past", 0, "lg-ai", "data-co", 10, ",\"expires_at\":\"2026-02-28T00:00:00Z\"",
	    NULL, 400, "bad_request", "expires_at" },
	{ "expiry now", 0, "lg-ai", "data-co", 10, ",\"expires_at\":\"2026-03-01T00:00:00Z\"",
	    NULL, 400, "bad_request", "expires_at" },
	{ "expiry > 1 year", 0, "lg-ai", "data-co", 10,
	    ",\"expires_at\":\"2027-03-01T00:00:01Z\"", NULL, 400, "bad_request", "expires_at" },
	{ "expiry not an instant", 0, "lg-ai", "data-co", 10, ",\"expires_at\":\"2026-04-01\"",
	    NULL, 400, "bad_request", "expires_at" },
	{ "unknown team", 0, "nobody", "data-co", 10, NULL, NULL, 404, "not_found", "nobody" },
	{ "unknown supplier", 0, "lg-ai", "nobody", 10, NULL, NULL, 404, "not_found", "nobody" },
	{ "unknown phase", 0, NULL, NULL, 0, NULL, "{\"team\":\"lg-ai\",\"phase\":\"stage-9\","
	    "\"supplier\":\"data-co\",\"amount_krw\":10}", 404, "not_found", "stage-9" },
	{ "not enrolled", 0, "idle", "data-co", 10, NULL, NULL, 404, "not_found", "not enrolled" },
	{ "related party", 0, "lg-ai", "lg-data", 10, NULL, NULL, 409, "related_party",
	    "LG AI Research" },
	{ "related party, team", 1, "lg-ai", "lg-data", 10, NULL, NULL, 409, "related_party",
	    NULL },
	{ "override by a team", 1, "lg-ai", "lg-data", 10, ",\"override\":{\"reason\":\"x\"}",
	    NULL, 403, "forbidden", "override" },
	{ "override without reason", 0, "lg-ai", "lg-data", 10, ",\"override\":{}", NULL, 400,
	    "bad_request", "reason" },
	{ "override empty reason", 0, "lg-ai", "lg-data", 10, ",\"override\":{\"reason\":\"\"}",
	    NULL, 400, "bad_request", "reason" },
	{ "team for another team", 1, "motif", "data-co", 10, NULL, NULL, 403, "forbidden",
	    "motif" },
	{ "auditor", 2, "lg-ai", "data-co", 10, NULL, NULL, 403, "forbidden", NULL },
	{ "not JSON", 0, NULL, NULL, 0, NULL, "{\"team\":", 400, "bad_request", NULL },
};

START_TEST(hold_refused)
{
	const struct refusal *r = &refusals[_i];
	const char *tok = r->tok == 0 ? F.admin : r->tok == 1 ? lg_tok : auditor;
	char before[512], after[512];
	struct response rs;

	ledger_print(before);
	if (r->raw)
		rs = req_at("POST", "/v1/vouchers/holds", tok, r->raw, 0);
	else
		rs = hold_req(tok, r->team, r->supplier, r->amount, r->extra, 0);
	{
		char *d = dump(rs.json);

		ck_assert_msg(rs.status == r->status && strcmp(fx_code(&rs), r->code) == 0,
		    "%s: want %d %s, got %d %s", r->what, r->status, r->code, rs.status, d);
		if (r->detail)
			ck_assert_msg(strstr(fx_detail(&rs), r->detail) != NULL,
			    "%s: detail lacks '%s': %s", r->what, r->detail, d);
		free(d);
	}
	if (strcmp(r->code, "insufficient_funds") == 0) {
		ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "available_krw")),
		    BUDGET);
		ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "requested_krw")),
		    r->amount);
	}
	response_clear(&rs);
	ledger_print(after);
	ck_assert_msg(strcmp(before, after) == 0, "%s wrote: %s -> %s", r->what, before, after);
	ledger_ok();
}
END_TEST

START_TEST(hold_edges)
{
	char memo[600], extra[700], id[VID_LEN];
	struct response rs;

	/* memo of exactly 500 bytes, UTF-8 counted in bytes; expiry exactly a year ahead. */
	memset(memo, 'm', 500);
	memo[500] = '\0';
	snprintf(extra, sizeof(extra), ",\"memo\":\"%s\",\"expires_at\":\"2027-03-01T00:00:00Z\"",
	    memo);
	rs = hold_req(lg_tok, "lg-ai", "data-co", 10, extra, 0);
	expect(&rs, 201, NULL);
	ck_assert_str_eq(fx_str(rs.json, "expires_at"), "2027-03-01T00:00:00Z");
	response_clear(&rs);
	/* An explicit null is absent. */
	rs = hold_req(lg_tok, "lg-ai", "data-co", 10, ",\"memo\":null,\"expires_at\":null,"
	    "\"override\":null", 0);
	expect(&rs, 201, NULL);
	ck_assert_str_eq(fx_str(rs.json, "expires_at"), "2026-03-31T00:00:00Z");
	ck_assert_ptr_null(json_object_get(rs.json, "memo"));
	response_clear(&rs);
	/* The whole rest, to the won. */
	rs = hold_req(F.admin, "lg-ai", "data-co", BUDGET - 20, NULL, 0);
	expect(&rs, 201, NULL);
	snprintf(id, sizeof(id), "%s", fx_str(rs.json, "id"));
	response_clear(&rs);
	ck_assert_int_eq(voucher_of("lg-ai").available, 0);
	rs = hold_req(F.admin, "lg-ai", "data-co", 1, NULL, 0);
	expect(&rs, 409, "insufficient_funds");
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "available_krw")), 0);
	response_clear(&rs);
	/* The other team's money is its own. */
	rs = hold_req(motif_tok, "motif", "data-co", BUDGET, NULL, 0);
	expect(&rs, 201, NULL);
	response_clear(&rs);

	/* Settling more than held is a bad request; settling all takes the whole hold. */
	rs = hold_action(id, "settle", F.admin, "{\"amount_krw\":1000000}", 0);
	expect(&rs, 400, "bad_request");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "exceeds"));
	response_clear(&rs);
	rs = hold_action(id, "settle", F.admin, "{\"amount_krw\":0}", 0);
	expect(&rs, 400, "bad_request");
	response_clear(&rs);
	rs = hold_action(id, "settle", F.admin, "{}", 0);
	expect(&rs, 200, NULL);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "settled_krw")), BUDGET - 20);
	response_clear(&rs);
	ledger_ok();
}
END_TEST

/*
 * A new hold's reply is built from what was written, not read back: it
 * must be what GET shows, field for field, with a memo and an override,
 * without either, and with an expiry given.
 */
START_TEST(hold_reply_is_get)
{
	static const char *const extra[] = {
		",\"memo\":\"order 18, \\\"quoted\\\" \\u00e9\"",
		"",
		",\"expires_at\":\"2026-03-05T12:34:56Z\"",
		",\"override\":{\"reason\":\"sole supplier\"},\"memo\":\"m\"",
	};
	static const char *const supplier[] = { "data-co", "data-co", "data-co", "lg-data" };
	struct response rs, got;
	char path[128], *a, *b;

	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		rs = hold_req(F.admin, "lg-ai", supplier[i], 1000 + (int64_t)i, extra[i], 0);
		expect(&rs, 201, NULL);
		snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", fx_str(rs.json, "id"));
		got = fx_req(&F, "GET", path, F.admin, NULL);
		expect(&got, 200, NULL);
		a = dump(rs.json);
		b = dump(got.json);
		ck_assert_msg(json_equal(rs.json, got.json), "case %zu: POST %s, GET %s", i, a, b);
		free(a);
		free(b);
		response_clear(&rs);
		response_clear(&got);
	}
	ledger_ok();
}
END_TEST

START_TEST(related_party_override)
{
	struct response rs;
	int64_t audit0 = fx_audit_count(&F), n;

	rs = hold_req(F.admin, "lg-ai", "lg-data", 5000, ",\"override\":{\"reason\":\"only "
	    "supplier of this dataset; approved by the ministry\"}", 0);
	expect(&rs, 201, NULL);
	ck_assert_str_eq(fx_str(rs.json, "override.rule"), "related_party");
	response_clear(&rs);
	ck_assert_int_eq(fx_audit_count(&F), audit0 + 1);
	n = db_int(F.app.r, "SELECT count(*) FROM overrides WHERE rule = 'related_party' AND "
	    "team = 'lg-ai' AND phase = 'stage-2' AND action = 'voucher.hold.create' AND "
	    "reason LIKE 'only supplier%'", NULL);
	ck_assert_int_eq(n, 1);
	n = db_int(F.app.r, "SELECT count(*) FROM audit WHERE action = 'voucher.hold.create' "
	    "AND reason LIKE 'only supplier%'", NULL);
	ck_assert_int_eq(n, 1);
	/* An override that allows nothing records nothing. */
	rs = hold_req(F.admin, "motif", "lg-data", 5000, ",\"override\":{\"reason\":\"n/a\"}", 0);
	expect(&rs, 201, NULL);
	ck_assert_ptr_null(json_object_get(rs.json, "override"));
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "overrides"), 1);
	ledger_ok();
}
END_TEST

START_TEST(idempotent_hold)
{
	struct fx_rq in = { .method = "POST", .path = "/v1/vouchers/holds", .token = lg_tok,
		.body = "{\"team\":\"lg-ai\",\"phase\":\"stage-2\",\"supplier\":\"data-co\","
		    "\"amount_krw\":700000}", .idem = "order-17" };
	struct response a, b, c;
	char *da, *db;

	a = fx_call(&F, &in);
	expect(&a, 201, NULL);
	b = fx_call(&F, &in);
	expect(&b, 201, NULL);
	ck_assert(b.replayed);
	da = dump(a.json);
	db = dump(b.json);
	ck_assert_str_eq(da, db);
	free(da);
	free(db);
	/* Had it run twice, 1 400 000 would not fit the budget: it ran once. */
	ck_assert_int_eq(fx_count(&F, "ledger_holds"), 1);
	ck_assert_int_eq(voucher_of("lg-ai").held, 700000);
	in.body = "{\"team\":\"lg-ai\",\"phase\":\"stage-2\",\"supplier\":\"data-co\","
	    "\"amount_krw\":700001}";
	c = fx_call(&F, &in);
	expect(&c, 422, "idempotency_key_reused");
	response_clear(&a);
	response_clear(&b);
	response_clear(&c);

	/* A settlement and a refund are not repeated either. */
	{
		struct fx_rq s = { .method = "POST", .path = "/v1/vouchers/holds/hold_3/settle",
			.token = F.admin, .body = "{\"amount_krw\":600000}", .idem = "pay-17" };
		struct fx_rq r = { .method = "POST", .path = "/v1/vouchers/settlements/stl_4/refund",
			.token = F.admin, .body = "{\"amount_krw\":400000,\"reason\":\"bad rows\"}",
			.idem = "refund-17" };

		a = fx_call(&F, &s);
		expect(&a, 200, NULL);
		b = fx_call(&F, &s);
		expect(&b, 200, NULL);
		ck_assert(b.replayed);
		response_clear(&a);
		response_clear(&b);
		a = fx_call(&F, &r);
		expect(&a, 200, NULL);
		b = fx_call(&F, &r);
		expect(&b, 200, NULL);
		ck_assert(b.replayed);
		response_clear(&a);
		response_clear(&b);
	}
	ck_assert_int_eq(voucher_of("lg-ai").refunded, 400000);
	ck_assert_int_eq(fx_count(&F, "ledger_transfers"), 5);
	ledger_ok();
}
END_TEST

START_TEST(close_voucher_test)
{
	char a[VID_LEN], b[VID_LEN], stl[VID_LEN], path[128];
	struct response rs;
	struct vfig v;

	hold_ok("lg-ai", 100000, a);
	hold_ok("lg-ai", 200000, b);
	rs = hold_action(b, "settle", F.admin, "{\"amount_krw\":150000}", 0);
	expect(&rs, 200, NULL);
	snprintf(stl, sizeof(stl), "%s", fx_str(rs.json, "settlement"));
	response_clear(&rs);

	close_voucher(lg_enr, 0);
	v = voucher_of("lg-ai");
	ck_assert_str_eq(v.state, "closed");
	ck_assert_int_eq(v.held, 0);
	ck_assert_int_eq(v.settled, 150000);
	ck_assert_int_eq(v.returned, BUDGET - 150000);
	ck_assert_int_eq(v.available, 0);
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", a);
	rs = fx_get(&F, path);
	ck_assert_str_eq(fx_str(rs.json, "state"), "voided");
	response_clear(&rs);
	hold_shown(a, "voided", "enrollment_end");
	hold_shown(b, "settled", NULL);
	ledger_ok();

	/* Closed: no holds, no second close; a refund goes back to the programme. */
	rs = hold_req(F.admin, "lg-ai", "data-co", 1, NULL, 0);
	expect(&rs, 409, "invalid_state");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "closed"));
	response_clear(&rs);
	close_voucher(lg_enr, GD_ESTATE);
	snprintf(path, sizeof(path), "/v1/vouchers/settlements/%s/refund", stl);
	rs = fx_post(&F, path, "{\"amount_krw\":50000,\"reason\":\"late rejection\"}");
	expect(&rs, 200, NULL);
	ck_assert(json_is_true(json_object_get(rs.json, "to_returned")));
	response_clear(&rs);
	/*
	 * The row shows the refund as a refund of this voucher's settlement and
	 * as money returned for it: available = budget - held - settled +
	 * refunded - returned stays exactly 0.
	 */
	v = voucher_of("lg-ai");
	ck_assert_str_eq(v.state, "closed");
	ck_assert_int_eq(v.available, 0);
	ck_assert_int_eq(v.settled, 150000);
	ck_assert_int_eq(v.refunded, 50000);
	ck_assert_int_eq(v.returned, BUDGET - 150000 + 50000);
	ck_assert_int_eq(v.budget - v.held - v.settled + v.refunded - v.returned, 0);
	rs = fx_get(&F, "/v1/vouchers/transfers?team=lg-ai&kind=refund");
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "credit"),
	    "returned:sovereign-ai");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/vouchers/transfers?team=lg-ai&kind=return");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(
	    json_object_get(rs.json, "items"), 0), "amount_krw")), BUDGET - 150000);
	response_clear(&rs);
	/* The other team is untouched. */
	ck_assert_int_eq(voucher_of("motif").available, BUDGET);
	/* A voucher with nothing left closes with no RETURN. */
	hold_ok("motif", BUDGET, a);
	rs = hold_action(a, "settle", F.admin, NULL, 0);
	expect(&rs, 200, NULL);
	response_clear(&rs);
	close_voucher(motif_enr, 0);
	ck_assert_str_eq(voucher_of("motif").state, "closed");
	ledger_ok();
	{
		char err[GD_ERRBUF];

		ck_assert_int_eq(vouchers_close(F.app.w, 9999, FX_NOW, err, sizeof(err)), GD_ENOENT);
	}
}
END_TEST

/* After 2026-03-10 00:00 in the programme's zone, whatever it is. */
#define AFTER_EFFECTIVE (FX_NOW + 10 * 86400)

/*
 * A pending hold is not settled at or after the effective instant of its
 * enrollment's end, even before the timer has closed the voucher (as a
 * new hold is refused then): 409 invalid_state saying when it ended.
 */
START_TEST(settle_after_effective)
{
	char a[VID_LEN], b[VID_LEN];
	struct response rs;
	struct vfig v;

	hold_ok("lg-ai", 100000, a);
	hold_ok("lg-ai", 30000, b);
	rs = fx_post(&F, "/v1/phases/stage-2/enrollments/lg-ai/eliminate",
	    "{\"effective_on\":\"2026-03-10\",\"reason\":\"first evaluation\"}");
	expect(&rs, 200, NULL);
	response_clear(&rs);
	/* Before the effective instant: settled. */
	rs = hold_action(b, "settle", F.admin, NULL, FX_NOW + 5 * 86400);
	expect(&rs, 200, NULL);
	response_clear(&rs);
	/* After it, the timer not yet run: refused, nothing moved. */
	rs = hold_action(a, "settle", F.admin, NULL, AFTER_EFFECTIVE);
	expect(&rs, 409, "invalid_state");
	ck_assert_msg(strstr(fx_detail(&rs), "enrollment ended at 2026-03-10 00:00 KST "
	    "(2026-03-09T15:00:00Z)") != NULL &&
	    strstr(fx_detail(&rs), "can no longer be settled") != NULL, "detail: %s",
	    fx_detail(&rs));
	response_clear(&rs);
	v = voucher_of("lg-ai");
	ck_assert_int_eq(v.settled, 30000);
	ck_assert_int_eq(v.held, 100000);
	/* The timer voids it. */
	fx_run_timers(&F, AFTER_EFFECTIVE);
	hold_shown(a, "voided", "enrollment_end");
	v = voucher_of("lg-ai");
	ck_assert_int_eq(v.settled, 30000);
	ck_assert_int_eq(v.returned, BUDGET - 30000);
	ledger_ok();
}
END_TEST

/*
 * Elimination through the enrollment route: the money follows the
 * effective date (issue 15).  Until then the voucher stays open and its
 * holds valid; on it, the timers void the pending holds and return the
 * rest.
 */
START_TEST(eliminate_closes)
{
	char a[VID_LEN], b[VID_LEN], path[128];
	struct response rs;
	struct vfig v;

	hold_ok("lg-ai", 100000, a);
	rs = fx_post(&F, "/v1/phases/stage-2/enrollments/lg-ai/eliminate",
	    "{\"effective_on\":\"2026-03-10\",\"reason\":\"first evaluation\"}");
	expect(&rs, 200, NULL);
	response_clear(&rs);
	v = voucher_of("lg-ai");
	ck_assert_str_eq(v.state, "open");
	ck_assert_int_eq(v.held, 100000);
	ck_assert_int_eq(v.returned, 0);
	/* The team still has its cards until then, and may still order data. */
	hold_ok("lg-ai", 1000, b);
	fx_run_timers(&F, AFTER_EFFECTIVE);
	v = voucher_of("lg-ai");
	ck_assert_str_eq(v.state, "closed");
	ck_assert_int_eq(v.held, 0);
	ck_assert_int_eq(v.returned, BUDGET);
	ck_assert_int_eq(v.available, 0);
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", a);
	rs = fx_get(&F, path);
	ck_assert_str_eq(fx_str(rs.json, "state"), "voided");
	response_clear(&rs);
	hold_shown(a, "voided", "enrollment_end");
	hold_shown(b, "voided", "enrollment_end");
	rs = hold_action(a, "void", F.admin, NULL, 0);
	expect(&rs, 409, "invalid_state");
	ck_assert_str_eq(fx_str(rs.json, "voided_by"), "enrollment_end");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "already voided when its enrollment ended"));
	response_clear(&rs);
	rs = hold_req(lg_tok, "lg-ai", "data-co", 1, NULL, 0);
	expect(&rs, 409, "invalid_state");
	response_clear(&rs);
	ck_assert_int_eq(voucher_of("motif").available, BUDGET);
	ledger_ok();
}
END_TEST

/*
 * Refunds of one settlement before and after an elimination: the row counts
 * both as refunded, counts the later one as returned too (it went on to the
 * programme), and available = budget - held - settled + refunded - returned
 * holds exactly, 0 once closed.  The ledger itself is as before: the later
 * refund credits the returned account, the voucher's own balances never see
 * it, and ledger_verify agrees.
 */
START_TEST(refund_after_eliminate)
{
	char a[VID_LEN], stl[VID_LEN], path[128];
	struct response rs;
	struct vfig v;

	hold_ok("lg-ai", 300000, a);
	rs = hold_action(a, "settle", F.admin, NULL, 0);
	expect(&rs, 200, NULL);
	snprintf(stl, sizeof(stl), "%s", fx_str(rs.json, "settlement"));
	response_clear(&rs);
	snprintf(path, sizeof(path), "/v1/vouchers/settlements/%s/refund", stl);
	rs = fx_post(&F, path, "{\"amount_krw\":100000,\"reason\":\"short delivery\"}");
	expect(&rs, 200, NULL);
	ck_assert(json_is_false(json_object_get(rs.json, "to_returned")));
	response_clear(&rs);
	v = voucher_of("lg-ai");
	ck_assert_int_eq(v.refunded, 100000);
	ck_assert_int_eq(v.returned, 0);
	ck_assert_int_eq(v.available, BUDGET - 200000);

	rs = fx_post(&F, "/v1/phases/stage-2/enrollments/lg-ai/eliminate",
	    "{\"effective_on\":\"2026-03-10\",\"reason\":\"first evaluation\"}");
	expect(&rs, 200, NULL);
	response_clear(&rs);
	fx_run_timers(&F, AFTER_EFFECTIVE);
	v = voucher_of("lg-ai");
	ck_assert_str_eq(v.state, "closed");
	ck_assert_int_eq(v.refunded, 100000);
	ck_assert_int_eq(v.returned, BUDGET - 200000);
	ck_assert_int_eq(v.available, 0);

	rs = fx_post(&F, path, "{\"amount_krw\":50000,\"reason\":\"late rejection\"}");
	expect(&rs, 200, NULL);
	ck_assert(json_is_true(json_object_get(rs.json, "to_returned")));
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "refunded_krw")), 150000);
	response_clear(&rs);
	v = voucher_of("lg-ai");
	ck_assert_int_eq(v.budget, BUDGET);
	ck_assert_int_eq(v.held, 0);
	ck_assert_int_eq(v.settled, 300000);
	ck_assert_int_eq(v.refunded, 150000);
	ck_assert_int_eq(v.returned, BUDGET - 200000 + 50000);
	ck_assert_int_eq(v.available, 0);
	ck_assert_int_eq(v.budget - v.held - v.settled + v.refunded - v.returned, 0);
	/* The quota shows the voucher as the row does. */
	rs = fx_req(&F, "GET", "/v1/teams/lg-ai/quota?phase=stage-2", lg_tok, NULL);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_ptr_nonnull(rs.text);
	{
		json_t *q = json_loads(rs.text, 0, NULL), *qv = json_object_get(q, "voucher");

		ck_assert_ptr_nonnull(qv);
		ck_assert_int_eq(json_integer_value(json_object_get(qv, "refunded_krw")), 150000);
		ck_assert_int_eq(json_integer_value(json_object_get(qv, "returned_krw")),
		    BUDGET - 200000 + 50000);
		ck_assert_int_eq(json_integer_value(json_object_get(qv, "available_krw")), 0);
		json_decref(q);
	}
	response_clear(&rs);

	/* The journal and the accounts are as the ledger wrote them. */
	ck_assert_int_eq(db_int(F.app.r, "SELECT refunded FROM ledger_accounts WHERE name = "
	    "'voucher:stage-2/lg-ai'", NULL), 100000);
	ck_assert_int_eq(db_int(F.app.r, "SELECT refunded FROM ledger_accounts WHERE name = "
	    "'returned:sovereign-ai'", NULL), 50000);
	rs = fx_get(&F, "/v1/vouchers/transfers?team=lg-ai&kind=refund");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 1), "credit"),
	    "returned:sovereign-ai");
	response_clear(&rs);
	ledger_ok();

	/* A refund beyond what is left changes nothing; motif's row is untouched. */
	rs = fx_post(&F, path, "{\"amount_krw\":150001,\"reason\":\"too much\"}");
	expect(&rs, 409, "conflict");
	response_clear(&rs);
	ck_assert_int_eq(voucher_of("lg-ai").refunded, 150000);
	v = voucher_of("motif");
	ck_assert_int_eq(v.refunded, 0);
	ck_assert_int_eq(v.returned, 0);
	ck_assert_int_eq(v.available, BUDGET);
}
END_TEST

/*
 * An expiry applied late (grantd was down, or the clock jumped) is dated at
 * the hold's own expires_at in the journal and on the hold; the audit entry
 * says when it was applied.
 */
START_TEST(expiry_dated_at_its_instant)
{
	char b[VID_LEN], path[128];
	struct response rs;

	rs = hold_req(F.admin, "lg-ai", "data-co", 5000, ",\"expires_at\":"
	    "\"2026-03-05T00:00:00Z\"", 0);
	expect(&rs, 201, NULL);
	snprintf(b, sizeof(b), "%s", fx_str(rs.json, "id"));
	response_clear(&rs);
	ck_assert_int_eq(expire_at(FX_NOW + 20 * DAY, NULL), 1);
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", b);
	rs = fx_get(&F, path);
	ck_assert_str_eq(fx_str(rs.json, "resolved_at"), "2026-03-05T00:00:00Z");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/vouchers/transfers?team=lg-ai&kind=expire");
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "items")), 1);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "items"), 0), "at"),
	    "2026-03-05T00:00:00Z");
	response_clear(&rs);
	ck_assert_int_eq(fx_qint(&F, "SELECT at FROM audit WHERE action = 'voucher.hold.expire'",
	    NULL, NULL), FX_NOW + 20 * DAY);
	ledger_ok();
}
END_TEST

/* A team's vouchers page like every list, one per phase, in phase order. */
START_TEST(voucher_list_pages)
{
	char body[512];
	struct response rs;

	snprintf(body, sizeof(body), "{\"id\":\"stage-3\",\"name\":\"Stage 3\",\"starts_on\":"
	    "\"2026-09-01\",\"period_days\":60,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":768,\"voucher_krw\":5000}}");
	fx_must(&F, "POST", "/v1/programs/sovereign-ai/phases", body, 201);
	enroll("stage-3", "lg-ai", 5000);
	rs = fx_req(&F, "GET", "/v1/teams/lg-ai/vouchers?limit=1", lg_tok, NULL);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "items")), 1);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "items"), 0), "phase"), "stage-2");
	ck_assert_str_eq(fx_str(rs.json, "next"), "stage-2");
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/teams/lg-ai/vouchers?limit=1&after=stage-2", lg_tok, NULL);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "items")), 1);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "items"), 0), "phase"), "stage-3");
	ck_assert(json_is_null(fx_at(rs.json, "next")));
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/teams/lg-ai/vouchers", lg_tok, NULL);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "items")), 2);
	ck_assert(json_is_null(fx_at(rs.json, "next")));
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/teams/lg-ai/vouchers?limit=0", lg_tok, NULL);
	ck_assert_int_eq(rs.status, 400);
	response_clear(&rs);
}
END_TEST

START_TEST(expiry)
{
	char a[VID_LEN], b[VID_LEN];
	struct response rs;
	struct fx_audit au;
	int64_t next, n;

	hold_ok("lg-ai", 100000, a);	/* expires 2026-03-31 */
	rs = hold_req(F.admin, "lg-ai", "data-co", 200000, ",\"expires_at\":"
	    "\"2026-03-05T00:00:00Z\"", 0);
	expect(&rs, 201, NULL);
	snprintf(b, sizeof(b), "%s", fx_str(rs.json, "id"));
	response_clear(&rs);

	/* Nothing is due yet; the next expiry is b's. */
	ck_assert_int_eq(expire_at(FX_NOW + DAY, &next), 0);
	ck_assert_int_eq(next, FX_NOW + 4 * DAY);
	/* At its expiry, b can no longer be settled (even before the daemon expires it)... */
	rs = hold_action(b, "settle", F.admin, NULL, FX_NOW + 4 * DAY);
	expect(&rs, 409, "invalid_state");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "expired"));
	response_clear(&rs);
	/* ...and the daemon expires it, audited as the system. */
	n = expire_at(FX_NOW + 4 * DAY, &next);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(next, FX_NOW + 30 * DAY);
	au = fx_audit_last(&F);
	ck_assert_str_eq(au.action, "voucher.hold.expire");
	ck_assert_str_eq(au.actor_id, "system");
	ck_assert_str_eq(au.request_id, "timer");
	ck_assert_str_eq(au.target, "hold/hold_4");
	ck_assert_int_eq(voucher_of("lg-ai").held, 100000);
	/* The contract's "an expired hold is voided by the daemon": voided, by expiry. */
	hold_shown(b, "voided", "expiry");
	hold_shown(a, "pending", NULL);
	ck_assert_int_eq(holds_listed("state=voided"), 1);
	ck_assert_int_eq(holds_listed("state=expired"), 1);
	ck_assert_int_eq(holds_listed("state=pending"), 1);
	rs = hold_action(b, "void", F.admin, NULL, FX_NOW + 5 * DAY);
	expect(&rs, 409, "invalid_state");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "voided by the daemon at its expiry"));
	ck_assert_str_eq(fx_str(rs.json, "state"), "voided");
	ck_assert_str_eq(fx_str(rs.json, "voided_by"), "expiry");
	response_clear(&rs);
	rs = hold_action(b, "settle", F.admin, NULL, FX_NOW + 5 * DAY);
	expect(&rs, 409, "invalid_state");
	ck_assert_str_eq(fx_str(rs.json, "voided_by"), "expiry");
	response_clear(&rs);
	/* The audit entry of the expiry shows the hold as the API does. */
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM audit WHERE action = "
	    "'voucher.hold.expire' AND json_extract(detail, '$.state') = 'voided' AND "
	    "json_extract(detail, '$.voided_by') = 'expiry'", NULL, NULL), 1);
	/* Once expired, nothing is left to do. */
	ck_assert_int_eq(expire_at(FX_NOW + 5 * DAY, NULL), 0);
	/* Void stays allowed after the expiry instant, if the daemon has not run. */
	rs = hold_action(a, "void", F.admin, NULL, FX_NOW + 31 * DAY);
	expect(&rs, 200, NULL);
	response_clear(&rs);
	ck_assert_int_eq(expire_at(FX_NOW + 40 * DAY, &next), 0);
	ck_assert_int_eq(next, -1);
	ck_assert_int_eq(voucher_of("lg-ai").available, BUDGET);
	rs = fx_get(&F, "/v1/vouchers/holds?state=expired");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "id"), b);
	response_clear(&rs);
	/* ?state=voided takes both, each saying why; nothing reads "expired". */
	rs = fx_get(&F, "/v1/vouchers/holds?state=voided");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "voided_by"),
	    "request");
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 1), "voided_by"),
	    "expiry");
	response_clear(&rs);
	ck_assert_int_eq(holds_listed("state=voided&team=lg-ai&supplier=data-co"), 2);
	ck_assert_int_eq(holds_listed("state=expired&team=motif"), 0);
	ck_assert_int_eq(holds_listed("state=pending"), 0);
	/* The journal keeps the EXPIRE kind: it records what happened. */
	rs = fx_get(&F, "/v1/vouchers/transfers?kind=expire");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0), "ref"), b);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/vouchers/holds?state=lapsed");
	expect(&rs, 400, "bad_request");
	response_clear(&rs);
	ledger_ok();
	fx_audit_verify(&F);
}
END_TEST

START_TEST(many_due)
{
	char id[VID_LEN], body[64];
	int64_t next;

	/* More than one round of the expiry loop. */
	for (int i = 0; i < 600; i++) {
		snprintf(body, sizeof(body), ",\"expires_at\":\"2026-03-0%dT00:00:00Z\"", 2 + i % 3);
		{
			struct response rs = hold_req(F.admin, i % 2 ? "lg-ai" : "motif", "data-co",
			    1000, body, 0);

			expect(&rs, 201, NULL);
			response_clear(&rs);
		}
	}
	(void)id;
	ck_assert_int_eq(expire_at(FX_NOW + 2 * DAY, &next), 400);
	ck_assert_int_eq(next, FX_NOW + 3 * DAY);
	ck_assert_int_eq(expire_at(FX_NOW + 3 * DAY, &next), 200);
	ck_assert_int_eq(next, -1);
	ck_assert_int_eq(voucher_of("lg-ai").available, BUDGET);
	ledger_ok();
}
END_TEST

START_TEST(journal_immutable)
{
	char id[VID_LEN], err[GD_ERRBUF], cerr[CMD_ERRBUF];
	struct response rs;
	char *msg = NULL;
	int64_t a, t;

	hold_ok("lg-ai", 1000, id);
	/* The journal refuses edits and deletions. */
	ck_assert_int_ne(sqlite3_exec(db_handle(F.app.w), "UPDATE ledger_transfers SET amount = 1",
	    NULL, NULL, &msg), SQLITE_OK);
	ck_assert_ptr_nonnull(strstr(msg, "immutable"));
	sqlite3_free(msg);
	ck_assert_int_ne(sqlite3_exec(db_handle(F.app.w), "DELETE FROM ledger_transfers",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db_handle(F.app.w), "DELETE FROM ledger_holds",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db_handle(F.app.w), "UPDATE ledger_holds SET amount = 5",
	    NULL, NULL, NULL), SQLITE_OK);
	rs = hold_action(id, "void", F.admin, NULL, 0);
	expect(&rs, 200, NULL);
	response_clear(&rs);
	/* A hold is resolved once: back to pending, or to another end, is refused. */
	ck_assert_int_ne(sqlite3_exec(db_handle(F.app.w), "UPDATE ledger_holds SET "
	    "state = 'pending', resolved_by = NULL, resolved_at = NULL", NULL, NULL, NULL),
	    SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(db_handle(F.app.w), "UPDATE ledger_holds SET "
	    "state = 'settled'", NULL, NULL, NULL), SQLITE_OK);
	ledger_ok();

	/* A stored balance that drifts from the journal is found, by the API and the CLI. */
	fx_sql(&F, "UPDATE ledger_accounts SET held = held + 1 WHERE name = 'payable:data-co'");
	ck_assert_int_eq(vouchers_verify(F.app.r, &a, &t, err, sizeof(err)), GD_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(err, "held"));
	rs = fx_get(&F, "/v1/vouchers/verify");
	expect(&rs, 200, NULL);
	ck_assert(json_is_false(json_object_get(rs.json, "ok")));
	ck_assert_ptr_nonnull(strstr(fx_str(rs.json, "error"), "held"));
	response_clear(&rs);
	ck_assert_int_eq(cmd_ledger_verify(F.path, &a, &t, cerr, sizeof(cerr)), 1);
	ck_assert_ptr_nonnull(strstr(cerr, "ledger broken: "));
	fx_sql(&F, "UPDATE ledger_accounts SET held = held - 1 WHERE name = 'payable:data-co'");
	ck_assert_int_eq(cmd_ledger_verify(F.path, &a, &t, cerr, sizeof(cerr)), 0);
	ck_assert_int_eq(cmd_ledger_verify(NULL, &a, &t, cerr, sizeof(cerr)), 2);
	ck_assert_int_eq(cmd_ledger_verify("/nonexistent/grantd.db", &a, &t, cerr,
	    sizeof(cerr)), 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/*
 * A seeded random walk of holds, settlements, voids, refunds, expiries and
 * closes through dispatch(), judged by a plain reference model: every reply
 * is the one the model predicts, and after every step the ledger verifies
 * and every voucher shows the model's figures, never a negative available.
 * VOUCHERS_SEED=N reruns one walk.
 */
struct mvoucher {
	const char *team;
	int64_t enr, budget, held, settled, refunded, returned;
	bool closed;
};

struct mhold {
	char id[VID_LEN], stl[VID_LEN];
	int v;
	int64_t amount, expires_at, settled, refunded;
	enum ledger_hold_state state;
	const char *voided_by;	/* as the API shows it, NULL unless voided */
};

#define WALK_STEPS 1500
#define WALK_HOLDS 2000

static uint64_t rng;

static uint64_t
rnd(void)
{
	/* xorshift64*: small, seedable, good enough to pick operations. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

static int64_t
rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static int64_t
mavail(const struct mvoucher *v)
{
	return v->budget - v->held - v->settled + v->refunded - v->returned;
}

START_TEST(random_walk)
{
	static struct mhold h[WALK_HOLDS];
	struct mvoucher v[3] = {
		{ "lg-ai", 0, BUDGET, 0, 0, 0, 0, false },
		{ "motif", 0, BUDGET, 0, 0, 0, 0, false },
		{ "third", 0, BUDGET / 2, 0, 0, 0, 0, false },
	};
	const char *s = getenv("VOUCHERS_SEED");
	uint64_t seed = s ? strtoull(s, NULL, 10) : UINT64_C(20260301);
	int64_t now = FX_NOW, n_exp, next;
	size_t nh = 0;
	char body[256], path[128];
	struct response rs;
	int counts[8] = { 0 };

	rng = seed ? seed : 1;
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"third\",\"name\":\"Third\","
	    "\"lead_org\":\"Third Org\"}", 201);
	v[0].enr = lg_enr;
	v[1].enr = motif_enr;
	v[2].enr = enroll("stage-2", "third", BUDGET / 2);

	for (int step = 0; step < WALK_STEPS; step++) {
		int op = (int)(rnd() % 100), want;
		struct mhold *x = nh ? &h[rnd() % nh] : NULL;
		struct mvoucher *mv;

		if (op < 40 && nh < WALK_HOLDS) {		/* hold */
			int k = (int)(rnd() % 3);
			int64_t amount, exp;

			char when[CIVIL_INSTANT_LEN];

			mv = &v[k];
			amount = rnd_in(1, mavail(mv) > 0 ? mavail(mv) * 3 / 4 + 10 : 1000);
			/* Now and then the default expiry (30 days), else a few hours or days. */
			exp = rnd() % 4 == 0 ? now + 30 * DAY : now + rnd_in(3600, 5 * DAY);
			civil_format_instant(exp, when);
			snprintf(body, sizeof(body), ",\"expires_at\":\"%s\"", when);
			rs = hold_req(rnd() % 2 || k == 2 ? F.admin : k == 0 ? lg_tok : motif_tok,
			    mv->team, "data-co", amount, body, now);
			want = mv->closed ? 409 : amount > mavail(mv) ? 409 : 201;
			ck_assert_msg(rs.status == want, "seed %" PRIu64 " step %d hold %" PRId64
			    " on %s (avail %" PRId64 "): %d, want %d", seed, step, amount, mv->team,
			    mavail(mv), rs.status, want);
			if (want == 409)
				ck_assert_str_eq(fx_code(&rs), mv->closed ? "invalid_state" :
				    "insufficient_funds");
			if (want == 201) {
				struct mhold *n = &h[nh++];

				memset(n, 0, sizeof(*n));
				snprintf(n->id, sizeof(n->id), "%s", fx_str(rs.json, "id"));
				n->v = k;
				n->amount = amount;
				n->expires_at = exp;
				n->state = LEDGER_HOLD_PENDING;
				mv->held += amount;
			}
			counts[0]++;
			response_clear(&rs);
		} else if (op < 55 && x) {			/* settle */
			int64_t amount = rnd() % 4 == 0 ? 0 : rnd_in(1, x->amount + x->amount / 8 + 1);

			mv = &v[x->v];
			if (amount)
				snprintf(body, sizeof(body), "{\"amount_krw\":%" PRId64 "}", amount);
			rs = hold_action(x->id, "settle", F.admin, amount ? body : NULL, now);
			want = x->state != LEDGER_HOLD_PENDING || now >= x->expires_at ? 409 :
			    amount > x->amount ? 400 : 200;
			ck_assert_msg(rs.status == want, "seed %" PRIu64 " step %d settle %s: %d, "
			    "want %d", seed, step, x->id, rs.status, want);
			if (want == 200) {
				x->state = LEDGER_HOLD_SETTLED;
				x->settled = amount ? amount : x->amount;
				snprintf(x->stl, sizeof(x->stl), "%s", fx_str(rs.json, "settlement"));
				mv->held -= x->amount;
				mv->settled += x->settled;
			}
			counts[1]++;
			response_clear(&rs);
		} else if (op < 67 && x) {			/* void */
			mv = &v[x->v];
			rs = hold_action(x->id, "void", rnd() % 2 ? F.admin : mv == &v[0] ? lg_tok :
			    mv == &v[1] ? motif_tok : F.admin, NULL, now);
			want = x->state != LEDGER_HOLD_PENDING ? 409 : 200;
			ck_assert_msg(rs.status == want, "seed %" PRIu64 " step %d void %s: %d, "
			    "want %d", seed, step, x->id, rs.status, want);
			if (want == 200) {
				x->state = LEDGER_HOLD_VOIDED;
				x->voided_by = "request";
				mv->held -= x->amount;
			}
			counts[2]++;
			response_clear(&rs);
		} else if (op < 82 && x && x->state == LEDGER_HOLD_SETTLED) {	/* refund */
			int64_t left = x->settled - x->refunded;
			int64_t amount = rnd_in(1, left + left / 4 + 1);

			mv = &v[x->v];
			snprintf(path, sizeof(path), "/v1/vouchers/settlements/%s/refund", x->stl);
			snprintf(body, sizeof(body), "{\"amount_krw\":%" PRId64 ",\"reason\":\"r\"}",
			    amount);
			rs = req_at("POST", path, F.admin, body, now);
			want = amount > left ? 409 : 200;
			ck_assert_msg(rs.status == want, "seed %" PRIu64 " step %d refund %s of %"
			    PRId64 " (left %" PRId64 "): %d, want %d", seed, step, x->stl, amount,
			    left, rs.status, want);
			if (want == 200) {
				x->refunded += amount;
				/*
				 * A closed voucher takes nothing: the money goes on to
				 * the programme, and the row shows it on both sides.
				 */
				mv->refunded += amount;
				if (mv->closed)
					mv->returned += amount;
			}
			counts[3]++;
			response_clear(&rs);
		} else if (op < 95) {				/* time passes; the daemon expires */
			now += rnd_in(0, DAY);
			n_exp = 0;
			for (size_t i = 0; i < nh; i++)
				if (h[i].state == LEDGER_HOLD_PENDING && h[i].expires_at <= now) {
					h[i].state = LEDGER_HOLD_EXPIRED;
					h[i].voided_by = "expiry";
					v[h[i].v].held -= h[i].amount;
					n_exp++;
				}
			ck_assert_int_eq(expire_at(now, &next), n_exp);
			counts[4]++;
		} else if (op < 97) {				/* a team leaves */
			int k = (int)(rnd() % 3);
			char err[GD_ERRBUF] = "";

			mv = &v[k];
			txn_begin();
			ck_assert_int_eq(vouchers_close(F.app.w, mv->enr, now, err, sizeof(err)),
			    mv->closed ? GD_ESTATE : 0);
			fx_sql(&F, "COMMIT");
			if (!mv->closed) {
				for (size_t i = 0; i < nh; i++)
					if (h[i].v == k && h[i].state == LEDGER_HOLD_PENDING) {
						h[i].state = LEDGER_HOLD_VOIDED;
						h[i].voided_by = "enrollment_end";
						mv->held -= h[i].amount;
					}
				mv->returned += mavail(mv);
				mv->closed = true;
			}
			counts[5]++;
		} else {
			counts[6]++;
		}

		/* After every step: the ledger holds, and every voucher matches the model. */
		{
			char err[GD_ERRBUF] = "";
			int64_t na, nt;

			ck_assert_msg(vouchers_verify(F.app.r, &na, &nt, err, sizeof(err)) == 0,
			    "seed %" PRIu64 " step %d: %s", seed, step, err);
		}
		for (int k = 0; k < 3; k++) {
			struct vfig f = voucher_of(v[k].team);

			ck_assert_msg(f.held == v[k].held && f.settled == v[k].settled &&
			    f.refunded == v[k].refunded && f.returned == v[k].returned &&
			    f.available == mavail(&v[k]) && f.available >= 0,
			    "seed %" PRIu64 " step %d %s: held %" PRId64 "/%" PRId64 " settled %" PRId64
			    "/%" PRId64 " available %" PRId64 "/%" PRId64, seed, step, v[k].team,
			    f.held, v[k].held, f.settled, v[k].settled, f.available, mavail(&v[k]));
			ck_assert_msg(mavail(&v[k]) >= 0, "seed %" PRIu64 ": model negative", seed);
		}
	}
	/* The walk did exercise every operation. */
	for (int i = 0; i < 6; i++)
		ck_assert_msg(counts[i] > 0, "seed %" PRIu64 ": operation %d never ran", seed, i);
	/* Every hold reads as the model has it: an expired one is voided, by expiry. */
	{
		size_t by_state[4] = { 0 };

		for (size_t i = 0; i < nh; i++) {
			hold_shown(h[i].id, h[i].state == LEDGER_HOLD_PENDING ? "pending" :
			    h[i].state == LEDGER_HOLD_SETTLED ? "settled" : "voided",
			    h[i].voided_by);
			by_state[h[i].state]++;
		}
		ck_assert_uint_eq(holds_listed("state=pending"), by_state[LEDGER_HOLD_PENDING]);
		ck_assert_uint_eq(holds_listed("state=settled"), by_state[LEDGER_HOLD_SETTLED]);
		ck_assert_uint_eq(holds_listed("state=voided"), by_state[LEDGER_HOLD_VOIDED] +
		    by_state[LEDGER_HOLD_EXPIRED]);
		ck_assert_uint_eq(holds_listed("state=expired"), by_state[LEDGER_HOLD_EXPIRED]);
		ck_assert_msg(by_state[LEDGER_HOLD_EXPIRED] > 0 &&
		    by_state[LEDGER_HOLD_VOIDED] > 0, "seed %" PRIu64 ": no expired or no "
		    "voided hold", seed);
	}
	fx_audit_verify(&F);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_vouchers");
	TCase *tc = tcase_create("vouchers");
	TCase *walk = tcase_create("walk");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, suppliers);
	tcase_add_test(tc, open_and_read);
	tcase_add_test(tc, hold_lifecycle);
	tcase_add_test(tc, void_and_roles);
	tcase_add_loop_test(tc, hold_refused, 0, (int)NELEMS(refusals));
	tcase_add_test(tc, hold_edges);
	tcase_add_test(tc, related_party_override);
	tcase_add_test(tc, hold_reply_is_get);
	tcase_add_test(tc, idempotent_hold);
	tcase_add_test(tc, close_voucher_test);
	tcase_add_test(tc, eliminate_closes);
	tcase_add_test(tc, settle_after_effective);
	tcase_add_test(tc, refund_after_eliminate);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, voucher_list_pages);
	tcase_add_test(tc, expiry_dated_at_its_instant);
	tcase_add_test(tc, many_due);
	tcase_add_test(tc, journal_immutable);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(walk, setup, teardown);
	tcase_set_timeout(walk, 300);
	tcase_add_test(walk, random_walk);
	suite_add_tcase(s, walk);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
