/* test_routes_commit.c: replies wait for their batch's COMMIT; revocations act at once. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "store_grants.h"
#include "store_enrollments.h"
#include "store_vouchers.h"
#include "vouchers.h"

/*
 * The promise under test: every reply to a change, refusals included, is
 * sent only once the batch it was decided in has committed, and a batch
 * whose COMMIT fails answers every one of its requests 503 -- so no reply
 * is ever computed from state that then rolls back.  And a token revoked in
 * a batch is refused to every request decided after the revocation, in the
 * same batch or later, whatever the principal cache held.
 *
 * A batch is driven by hand: requests are dispatched one after another
 * without a flush (as libmicrohttpd delivers several in one loop
 * iteration), each waiting reply registers its commit callback as the HTTP
 * layer does, and then the batch is flushed once.  A COMMIT is made to fail
 * with a deferred foreign key violation that only COMMIT checks.
 *
 * Seed: programme sovereign-ai, phase stage-2 with a voucher of BUDGET KRW,
 * team lg-ai enrolled in it, supplier data-co.
 */

static struct fx F;
static int64_t lg_enr;

#define BUDGET INT64_C(1000000)
#define DAY INT64_C(86400)
#define MAXQ 16

/* One batch of requests in flight, answered as the HTTP layer answers them. */
struct batch {
	struct response rs[MAXQ];
	int state[MAXQ];	/* 0: answered at once; 1 committed; 2 failed */
	bool wait[MAXQ];
	int n;
};

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
	    "\"lead_org\":\"LG AI Research\"}", 201);
	fx_must(&F, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}", 201);
	fx_sql(&F, "BEGIN IMMEDIATE");
	ck_assert_int_eq(store_enrollment_insert(F.app.w, "stage-2", "lg-ai", FX_NOW,
	    FX_NOW + 120 * DAY, FX_NOW, &lg_enr), 0);
	ck_assert_int_eq(vouchers_open(F.app.w, lg_enr, BUDGET, FX_NOW), 0);
	fx_sql(&F, "COMMIT");
}

static void
teardown(void)
{
	fx_close(&F);
}

/* Dispatches one request into the open batch; returns its index. */
static int
send_rq(struct batch *b, const char *method, const char *path, const char *token,
    const char *body, const char *idem)
{
	struct fx_rq in = { .method = method, .path = path, .token = token, .body = body,
		.idem = idem };
	int i = b->n++;

	ck_assert_int_lt(i, MAXQ);
	b->state[i] = 0;
	b->wait[i] = fx_dispatch(&F, &in, &b->rs[i]);
	if (b->wait[i])
		ck_assert_int_eq(commit_wait(&F.app, fx_on_commit, &b->state[i]), 0);
	return i;
}

/* Makes the open batch's COMMIT fail. */
static void
poison(void)
{
	ck_assert(commit_pending(&F.app));
	fx_sql(&F, "PRAGMA defer_foreign_keys = ON");
	fx_sql(&F, "INSERT INTO team_memberships (team, org, given, role, lead) "
	    "VALUES ('ghost', 'ghost', 'o', 'r', 0)");
}

/* Flushes the batch; each waiting reply becomes what the client is sent. */
static void
flush(struct batch *b, int want)
{
	ck_assert_int_eq(commit_flush(&F.app), want);
	for (int i = 0; i < b->n; i++) {
		if (!b->wait[i])
			continue;
		ck_assert_int_ne(b->state[i], 0);
		if (b->state[i] == 2)
			resp_problem(&b->rs[i], 503, "unavailable",
			    "storage could not commit the change; nothing was applied");
	}
}

static void
clear(struct batch *b)
{
	for (int i = 0; i < b->n; i++)
		response_clear(&b->rs[i]);
	b->n = 0;
}

static void
expect(const struct response *rs, int status, const char *code, const char *what)
{
	char *d = rs->json ? json_dumps(rs->json, JSON_COMPACT) : NULL;

	ck_assert_msg(rs->status == status, "%s: want %d %s, got %d %s", what, status,
	    code ? code : "", rs->status, d ? d : "");
	if (code)
		ck_assert_msg(strcmp(fx_code(rs), code) == 0, "%s: want %s, got %s", what, code,
		    d ? d : "");
	free(d);
}

static char *
hold_body(int64_t amount)
{
	static char body[256];

	snprintf(body, sizeof(body), "{\"team\":\"lg-ai\",\"phase\":\"stage-2\",\"supplier\":"
	    "\"data-co\",\"amount_krw\":%" PRId64 "}", amount);
	return body;
}

/* A committed hold; its id goes to id. */
static void
hold_ok(int64_t amount, char id[VID_LEN])
{
	struct response rs = fx_post(&F, "/v1/vouchers/holds", hold_body(amount));

	expect(&rs, 201, NULL, "hold");
	snprintf(id, VID_LEN, "%s", fx_str(rs.json, "id"));
	response_clear(&rs);
}

static int64_t
available(void)
{
	struct response rs = fx_get(&F, "/v1/teams/lg-ai/vouchers");
	json_t *it = json_array_get(json_object_get(rs.json, "items"), 0);
	int64_t v;

	expect(&rs, 200, NULL, "voucher");
	v = json_integer_value(json_object_get(it, "available_krw"));
	response_clear(&rs);
	return v;
}

/* ------------------------------------------------------------------ */
/* Refusals wait for the commit. */

/*
 * A refusal decided from the open batch (a team that exists only in it) is
 * held back until the batch commits, then sent as decided.
 */
START_TEST(refusal_waits_for_commit)
{
	struct batch b = { 0 };
	int a, c, d;

	a = send_rq(&b, "POST", "/v1/teams", F.admin,
	    "{\"id\":\"t1\",\"name\":\"One\",\"lead_org\":\"O\"}", NULL);
	c = send_rq(&b, "POST", "/v1/teams", F.admin,
	    "{\"id\":\"t1\",\"name\":\"Other\",\"lead_org\":\"O\"}", "k-c");
	d = send_rq(&b, "POST", "/v1/teams", F.admin, "{\"id\":\"t2\"}", NULL);
	ck_assert(b.wait[a]);
	ck_assert_msg(b.wait[c], "a 409 from the open batch was answered before its COMMIT");
	ck_assert_msg(b.wait[d], "a 400 in the open batch was answered before its COMMIT");
	expect(&b.rs[c], 409, "already_exists", "conflict");
	flush(&b, 0);
	expect(&b.rs[a], 201, NULL, "create");
	expect(&b.rs[c], 409, "already_exists", "conflict after the commit");
	expect(&b.rs[d], 400, "bad_request", "bad body after the commit");
	clear(&b);

	/* The committed refusal is kept under its key: a repeat is replayed. */
	send_rq(&b, "POST", "/v1/teams", F.admin,
	    "{\"id\":\"t1\",\"name\":\"Other\",\"lead_org\":\"O\"}", "k-c");
	ck_assert(b.wait[0]);
	flush(&b, 0);
	expect(&b.rs[0], 409, "already_exists", "replayed conflict");
	ck_assert(b.rs[0].replayed);
	clear(&b);
}
END_TEST

/*
 * The case: under a failing COMMIT, concurrent requests were told
 * "already voided" and "insufficient_funds" (with an available amount that
 * never existed) from the open batch, which then rolled back.  Now every
 * request of the batch hears 503, nothing of it remains, and a refusal kept
 * under its Idempotency-Key went with the batch: its retry runs afresh.
 */
START_TEST(failed_commit_refusals_are_503)
{
	struct batch b = { 0 };
	char h[VID_LEN], path[128], before[FX_FP_LEN], after[FX_FP_LEN];
	int64_t avail;
	struct response rs;

	hold_ok(1000, h);
	avail = available();
	ck_assert_int_eq(avail, BUDGET - 1000);
	fx_fingerprint(&F, before);
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/void", h);

	send_rq(&b, "POST", path, F.admin, NULL, NULL);		/* 200 voided */
	send_rq(&b, "POST", path, F.admin, NULL, "again");	/* 409 already voided */
	send_rq(&b, "POST", "/v1/vouchers/holds", F.admin, hold_body(BUDGET - 10), NULL);
	send_rq(&b, "POST", "/v1/vouchers/holds", F.admin, hold_body(500), "more");
	send_rq(&b, "POST", "/v1/teams", F.admin,
	    "{\"id\":\"t9\",\"name\":\"Nine\",\"lead_org\":\"O\"}", NULL);
	send_rq(&b, "POST", "/v1/teams", F.admin,
	    "{\"id\":\"t9\",\"name\":\"Other\",\"lead_org\":\"O\"}", NULL);
	expect(&b.rs[0], 200, NULL, "void");
	expect(&b.rs[1], 409, "invalid_state", "second void, before the commit");
	expect(&b.rs[2], 201, NULL, "large hold");
	expect(&b.rs[3], 409, "insufficient_funds", "small hold, before the commit");
	expect(&b.rs[5], 409, "already_exists", "second team, before the commit");
	poison();
	flush(&b, GD_EIO);
	for (int i = 0; i < b.n; i++) {
		char what[48];

		snprintf(what, sizeof(what), "request %d of the failed batch", i);
		ck_assert_msg(b.wait[i], "%s was answered %d before its COMMIT", what,
		    b.rs[i].status);
		expect(&b.rs[i], 503, "unavailable", what);
	}
	clear(&b);
	fx_fingerprint(&F, after);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(available(), avail);

	/* The hold is still pending: voiding it works, and the keyed retry is no replay. */
	rs = fx_post(&F, path, NULL);
	expect(&rs, 200, NULL, "void after the failed batch");
	response_clear(&rs);
	send_rq(&b, "POST", path, F.admin, NULL, "again");
	flush(&b, 0);
	expect(&b.rs[0], 409, "invalid_state", "keyed retry");
	ck_assert(!b.rs[0].replayed);
	clear(&b);
	send_rq(&b, "POST", "/v1/vouchers/holds", F.admin, hold_body(500), "more");
	flush(&b, 0);
	expect(&b.rs[0], 201, NULL, "keyed hold retry");
	ck_assert(!b.rs[0].replayed);
	clear(&b);
	fx_audit_verify(&F);
}
END_TEST

/*
 * Reads do not wait and never see the open batch: they run on the reader
 * connection, which sees the last COMMIT only.
 */
START_TEST(reads_see_committed_state)
{
	struct batch b = { 0 };

	send_rq(&b, "POST", "/v1/teams", F.admin,
	    "{\"id\":\"t3\",\"name\":\"Three\",\"lead_org\":\"O\"}", NULL);
	send_rq(&b, "GET", "/v1/teams/t3", F.admin, NULL, NULL);
	ck_assert(b.wait[0]);
	ck_assert(!b.wait[1]);
	expect(&b.rs[1], 404, "not_found", "a team of the open batch, read");
	flush(&b, 0);
	clear(&b);
	send_rq(&b, "GET", "/v1/teams/t3", F.admin, NULL, NULL);
	ck_assert(!b.wait[0]);
	expect(&b.rs[0], 200, NULL, "a committed team, read");
	clear(&b);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Revocation. */

static int64_t
audit_by(const char *token_id)
{
	return fx_qint(&F, "SELECT count(*) FROM audit WHERE actor_id = ?", token_id, NULL);
}

/*
 * Tokens revoked in a batch are refused to every later request of that
 * batch: one whose principal is cached, one never seen, and an auditor
 * (401, not the 403 its role would earn).  Reads with a revoked token are
 * refused too.  The refusals wait for the COMMIT that makes the revocation
 * real, and nothing the revoked tokens asked for is written.
 */
START_TEST(revoked_in_batch)
{
	char cached[TOKEN_SECRET_LEN + 1], cached_id[TOKEN_ID_LEN + 1];
	char fresh[TOKEN_SECRET_LEN + 1], fresh_id[TOKEN_ID_LEN + 1];
	char aud[TOKEN_SECRET_LEN + 1], aud_id[TOKEN_ID_LEN + 1];
	char p1[64], p2[64], p3[64], hold[VID_LEN];
	struct batch b = { 0 };
	struct response rs;
	int64_t avail;

	fx_token(&F, "cached", ROLE_ADMIN, NULL, NULL, cached, cached_id);
	fx_token(&F, "fresh", ROLE_ADMIN, NULL, NULL, fresh, fresh_id);
	fx_token(&F, "auditor", ROLE_AUDITOR, NULL, NULL, aud, aud_id);
	hold_ok(1000, hold);
	avail = available();
	for (int i = 0; i < 2; i++) {
		rs = fx_req(&F, "GET", "/v1/teams", cached, NULL);
		expect(&rs, 200, NULL, "warm the cache");
		response_clear(&rs);
	}
	snprintf(p1, sizeof(p1), "/v1/tokens/%s", cached_id);
	snprintf(p2, sizeof(p2), "/v1/tokens/%s", fresh_id);
	snprintf(p3, sizeof(p3), "/v1/tokens/%s", aud_id);

	send_rq(&b, "DELETE", p1, F.admin, NULL, NULL);
	send_rq(&b, "DELETE", p2, F.admin, NULL, NULL);
	send_rq(&b, "DELETE", p3, F.admin, NULL, NULL);
	send_rq(&b, "POST", "/v1/teams", cached,
	    "{\"id\":\"by-cached\",\"name\":\"X\",\"lead_org\":\"O\"}", NULL);
	send_rq(&b, "POST", "/v1/vouchers/holds", fresh, hold_body(5000), "fresh-hold");
	send_rq(&b, "POST", "/v1/teams", aud,
	    "{\"id\":\"by-auditor\",\"name\":\"X\",\"lead_org\":\"O\"}", NULL);
	send_rq(&b, "GET", "/v1/teams", cached, NULL, NULL);
	send_rq(&b, "GET", "/v1/teams", fresh, NULL, NULL);
	send_rq(&b, "POST", "/v1/teams", F.admin,
	    "{\"id\":\"by-admin\",\"name\":\"X\",\"lead_org\":\"O\"}", NULL);
	for (int i = 3; i <= 7; i++) {
		char what[48];

		snprintf(what, sizeof(what), "request %d after the revocations", i);
		expect(&b.rs[i], 401, "unauthorized", what);
		ck_assert_msg(b.wait[i], "%s: a refusal from the open batch did not wait", what);
	}
	flush(&b, 0);
	for (int i = 0; i < 3; i++)
		expect(&b.rs[i], 204, NULL, "revocation");
	for (int i = 3; i <= 7; i++)
		expect(&b.rs[i], 401, "unauthorized", "after the commit");
	expect(&b.rs[8], 201, NULL, "another token in the same batch");
	clear(&b);

	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM teams WHERE id LIKE 'by-%'", NULL,
	    NULL), 1);
	ck_assert_int_eq(available(), avail);
	ck_assert_int_eq(audit_by(cached_id) + audit_by(fresh_id) + audit_by(aud_id), 0);
	ck_assert_int_eq(fx_count(&F, "idempotency"), 0);

	/* Later batches, with the cache rebuilt by others, refuse them too. */
	rs = fx_get(&F, "/v1/teams");
	response_clear(&rs);
	rs = fx_req(&F, "POST", "/v1/teams", cached, "{\"id\":\"late\",\"name\":\"X\","
	    "\"lead_org\":\"O\"}");
	expect(&rs, 401, "unauthorized", "a later batch");
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/teams", fresh, NULL);
	expect(&rs, 401, "unauthorized", "a later read");
	response_clear(&rs);
	fx_audit_verify(&F);
}
END_TEST

/*
 * A revocation whose batch fails to commit never happened: the refusals it
 * caused in its batch are 503 like the rest, and the token works afterwards.
 */
START_TEST(revoked_in_failed_batch)
{
	char tok[TOKEN_SECRET_LEN + 1], tok_id[TOKEN_ID_LEN + 1], p[64];
	struct batch b = { 0 };
	struct response rs;

	fx_token(&F, "victim", ROLE_ADMIN, NULL, NULL, tok, tok_id);
	rs = fx_req(&F, "GET", "/v1/teams", tok, NULL);
	expect(&rs, 200, NULL, "warm the cache");
	response_clear(&rs);
	snprintf(p, sizeof(p), "/v1/tokens/%s", tok_id);

	send_rq(&b, "DELETE", p, F.admin, NULL, NULL);
	send_rq(&b, "POST", "/v1/teams", tok, "{\"id\":\"v1\",\"name\":\"X\",\"lead_org\":\"O\"}",
	    NULL);
	send_rq(&b, "GET", "/v1/teams", tok, NULL, NULL);
	expect(&b.rs[1], 401, "unauthorized", "write after the revocation");
	expect(&b.rs[2], 401, "unauthorized", "read after the revocation");
	poison();
	flush(&b, GD_EIO);
	for (int i = 0; i < b.n; i++) {
		ck_assert_msg(b.wait[i], "request %d answered %d before its COMMIT", i,
		    b.rs[i].status);
		expect(&b.rs[i], 503, "unavailable", "the failed batch");
	}
	clear(&b);

	rs = fx_req(&F, "POST", "/v1/teams", tok, "{\"id\":\"v1\",\"name\":\"X\","
	    "\"lead_org\":\"O\"}");
	expect(&rs, 201, NULL, "the token after its revocation failed");
	response_clear(&rs);
	ck_assert_int_eq(audit_by(tok_id), 1);
	fx_audit_verify(&F);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_commit");
	TCase *tc = tcase_create("commit");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, refusal_waits_for_commit);
	tcase_add_test(tc, failed_commit_refusals_are_503);
	tcase_add_test(tc, reads_see_committed_state);
	tcase_add_test(tc, revoked_in_batch);
	tcase_add_test(tc, revoked_in_failed_batch);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
