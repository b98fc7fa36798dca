/* test_router.c: router.c for every route: auth, JSON, content type, idempotency, batches. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_case.h"

static const struct refusal refusals[] = {
	/* the request as a whole */
	BAD("json: duplicate keys", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"id\":\"t4\",\"name\":\"x\",\"lead_org\":\"o\"}", "duplicate"),
	BAD("json: duplicate keys in a member", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":[{\"org\":\"o\","
	    "\"role\":\"r\",\"role\":\"s\"}]}", "duplicate"),
	BAD("json: not JSON", "POST", "/v1/teams", "{id: t3}", "invalid JSON"),
	BAD("json: trailing garbage", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\"} x", "invalid JSON"),
	BAD("json: an array", "POST", "/v1/teams", "[]", "object"),
	BAD("json: a string", "POST", "/v1/teams", "\"t3\"", NULL),
	BAD("json: empty body", "POST", "/v1/teams", "", NULL),
	BAD("json: invalid UTF-8", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"\xff\xfe\",\"lead_org\":\"o\"}", NULL),
	{ "json: no body at all", "POST", "/v1/teams", NULL, 415, "unsupported_media_type",
	    NULL, "-", NULL },
	{ "content type: text/plain", "POST", "/v1/teams", T2_BODY, 415,
	    "unsupported_media_type", "text/plain", "text/plain", NULL },
	{ "content type: none", "POST", "/v1/teams", T2_BODY, 415, "unsupported_media_type",
	    NULL, "-", NULL },
	{ "content type: form", "POST", "/v1/teams", T2_BODY, 415, "unsupported_media_type",
	    NULL, "application/x-www-form-urlencoded", NULL },
	{ "content type: json with latin1", "POST", "/v1/teams", T2_BODY, 415,
	    "unsupported_media_type", NULL, "application/json; charset=iso-8859-1", NULL },
	{ "content type: json prefix", "POST", "/v1/teams", T2_BODY, 415,
	    "unsupported_media_type", NULL, "application/jsonx", NULL },
	{ "content type: on PUT", "PUT", "/v1/card-models/A100", "{\"weight\":1}", 415,
	    "unsupported_media_type", NULL, "text/plain", NULL },
	{ "idempotency key: empty", "POST", "/v1/teams", T2_BODY, 400, "bad_request",
	    "Idempotency-Key", NULL, "" },
	{ "idempotency key: control character", "POST", "/v1/teams", T2_BODY, 400,
	    "bad_request", "Idempotency-Key", NULL, "a\tb" },
	{ "idempotency key: 256 characters", "POST", "/v1/teams", T2_BODY, 400, "bad_request",
	    "Idempotency-Key", NULL,
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkk" },
	{ "idempotency key: non-ASCII", "POST", "/v1/teams", T2_BODY, 400, "bad_request",
	    "Idempotency-Key", NULL, "cl\xc3\xa9" },
	{ "route: unknown", "GET", "/v1/nothing", NULL, 404, "not_found", NULL, NULL, NULL },
	{ "route: trailing slash", "GET", "/v1/teams/", NULL, 404, "not_found", NULL, NULL,
	    NULL },
	{ "route: extra segment", "GET", "/v1/teams/t1/x/y", NULL, 404, "not_found", NULL,
	    NULL, NULL },
	{ "route: method not allowed", "DELETE", "/v1/teams", NULL, 405, "method_not_allowed",
	    NULL, NULL, NULL },
	{ "route: PUT on a POST route", "PUT", "/v1/programs", P1_BODY, 405,
	    "method_not_allowed", NULL, NULL, NULL },

	/* list parameters */
	BAD("list: limit 0", "GET", "/v1/programs?limit=0", NULL, "limit"),
	BAD("list: limit 1001", "GET", "/v1/teams?limit=1001", NULL, "limit"),
	BAD("list: limit negative", "GET", "/v1/card-models?limit=-1", NULL, "limit"),
	BAD("list: limit a word", "GET", "/v1/tokens?limit=ten", NULL, "limit"),
	BAD("list: limit a fraction", "GET", "/v1/programs/p1/phases?limit=1.5", NULL, "limit"),
	BAD("list: limit empty", "GET", "/v1/programs?limit=", NULL, "limit"),
	BAD("list: limit with blank", "GET", "/v1/programs?limit=2x", NULL, "limit"),
	BAD("list: after empty", "GET", "/v1/teams?after=", NULL, "after"),
};

START_TEST(refused)
{
	check_refused(&refusals[_i]);
}
END_TEST

static const struct accept accepts[] = {
	{ "content type: with charset utf-8", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\"}", "application/json; charset=utf-8",
	    201, 1, "id", "\"t3\"", NULL },
	{ "content type: upper case", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\"}", "Application/JSON", 201, 1, "id",
	    "\"t3\"", NULL },
};

START_TEST(accepted)
{
	check_accepted(&accepts[_i]);
}
END_TEST

static const struct authcase authcases[] = {
	{ "no token", W_NONE, NULL, "GET", "/v1/teams", NULL, 401 },
	{ "no token on a change", W_NONE, NULL, "POST", "/v1/teams", T2_BODY, 401 },
	{ "no token for health", W_NONE, NULL, "GET", "/v1/health", NULL, 200 },
	{ "unknown token", W_BAD, NULL, "GET", "/v1/teams", NULL, 401 },
	{ "revoked token", W_REVOKED, NULL, "GET", "/v1/teams", NULL, 401 },
	{ "basic auth", W_RAW, "Basic YWRtaW46YWRtaW4=", "GET", "/v1/teams", NULL, 401 },
	{ "bearer without token", W_RAW, "Bearer ", "GET", "/v1/teams", NULL, 401 },
	{ "secret without scheme", W_RAW, "%s", "GET", "/v1/teams", NULL, 401 },
	{ "secret with a suffix", W_RAW, "Bearer %sx", "GET", "/v1/teams", NULL, 401 },
	{ "overlong secret", W_RAW, "Bearer %s%s%s%s%s%s%s%s%s%s%s%s", "GET", "/v1/teams", NULL,
	    401 },
	{ "scheme in lower case", W_RAW, "bearer %s", "GET", "/v1/teams", NULL, 200 },
};

START_TEST(auth)
{
	check_auth(&authcases[_i]);
}
END_TEST

START_TEST(idempotent_replay)
{
	struct response a, b;
	char fp1[FX_FP_LEN], fp2[FX_FP_LEN];
	int64_t audit;

	a = idem_post(F.admin, "/v1/teams", T3_BODY, "key-1", 0);
	ck_assert_int_eq(a.status, 201);
	ck_assert(!a.replayed);
	audit = fx_audit_count(&F);
	fx_fingerprint(&F, fp1);

	/* A minute later: the same status and body, marked as a replay, nothing new. */
	b = idem_post(F.admin, "/v1/teams", T3_BODY, "key-1", FX_NOW + 60);
	ck_assert_int_eq(b.status, 201);
	ck_assert(b.replayed);
	ck_assert(json_equal(a.json, b.json));
	ck_assert_int_eq(fx_audit_count(&F), audit);
	fx_fingerprint(&F, fp2);
	ck_assert_str_eq(fp1, fp2);
	response_clear(&b);

	/* Still replayed near the end of the retention (48 h by default). */
	b = idem_post(F.admin, "/v1/teams", T3_BODY, "key-1", FX_NOW + 47 * 3600);
	ck_assert_int_eq(b.status, 201);
	ck_assert(b.replayed);
	response_clear(&b);

	/* Without the key the same body is an identical re-create: 200, not a replay. */
	b = fx_post(&F, "/v1/teams", T3_BODY);
	ck_assert_int_eq(b.status, 200);
	ck_assert(!b.replayed);
	response_clear(&b);
	response_clear(&a);
}
END_TEST

/* The request hash of grantd before canonical bodies: method, path, bytes. */
static void
legacy_hash(const char *method, const char *path, const char *body, char hex[65])
{
	crypto_hash_sha256_state s;
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&s);
	crypto_hash_sha256_update(&s, (const unsigned char *)method, strlen(method) + 1);
	crypto_hash_sha256_update(&s, (const unsigned char *)path, strlen(path) + 1);
	crypto_hash_sha256_update(&s, (const unsigned char *)body, strlen(body));
	crypto_hash_sha256_final(&s, h);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}


START_TEST(idempotency_key_reuse)
{
	struct response a, b;
	char fp1[FX_FP_LEN], fp2[FX_FP_LEN], hex[65], sql[200];

	a = idem_post(F.admin, "/v1/teams", T3_BODY, "key-2", 0);
	ck_assert_int_eq(a.status, 201);
	fx_fingerprint(&F, fp1);

	/* Another body with the key: 422, nothing applied. */
	b = idem_post(F.admin, "/v1/teams", "{\"id\":\"t4\",\"name\":\"x\",\"lead_org\":\"o\"}",
	    "key-2", 0);
	ck_assert_int_eq(b.status, 422);
	ck_assert_str_eq(fx_code(&b), "idempotency_key_reused");
	ck_assert(!b.replayed);
	response_clear(&b);
	/* The same body on another route is another request too. */
	b = idem_post(F.admin, "/v1/programs", T3_BODY, "key-2", 0);
	ck_assert_int_eq(b.status, 422);
	response_clear(&b);
	/* The same JSON in another key order and spacing is the same body: replayed. */
	b = idem_post(F.admin, "/v1/teams", T3_REORDERED, "key-2", 0);
	ck_assert_int_eq(b.status, 201);
	ck_assert(b.replayed);
	ck_assert(json_equal(a.json, b.json));
	response_clear(&b);
	fx_fingerprint(&F, fp2);
	ck_assert_str_eq(fp1, fp2);
	/* A key stored by an older grantd holds the hash of the bytes: still matched. */
	legacy_hash("POST", "/v1/teams", T3_BODY, hex);
	snprintf(sql, sizeof(sql), "UPDATE idempotency SET req_hash = '%s' WHERE key = 'key-2'",
	    hex);
	fx_sql(&F, sql);
	b = idem_post(F.admin, "/v1/teams", T3_BODY, "key-2", 0);
	ck_assert_int_eq(b.status, 201);
	ck_assert(b.replayed);
	response_clear(&b);
	fx_sql(&F, "UPDATE idempotency SET req_hash = 'other' WHERE key = 'key-2'");
	b = idem_post(F.admin, "/v1/teams", T3_BODY, "key-2", 0);
	ck_assert_int_eq(b.status, 422);
	response_clear(&b);

	/* Keys belong to a token: another admin's same key is a new request. */
	{
		char other[TOKEN_SECRET_LEN + 1];

		fx_token(&F, "admin-2", ROLE_ADMIN, NULL, NULL, other, NULL);
		b = idem_post(other, "/v1/teams", "{\"id\":\"t4\",\"name\":\"x\",\"lead_org\":"
		    "\"o\"}", "key-2", 0);
		ck_assert_int_eq(b.status, 201);
		ck_assert(!b.replayed);
		response_clear(&b);
	}

	/* Once the retention has passed the key is free again. */
	b = idem_post(F.admin, "/v1/teams", "{\"id\":\"t5\",\"name\":\"x\",\"lead_org\":\"o\"}",
	    "key-2", FX_NOW + 49 * 3600);
	ck_assert_int_eq(b.status, 201);
	ck_assert(!b.replayed);
	response_clear(&b);
	response_clear(&a);
}
END_TEST

/*
 * A refusal is the first response too: the same key and body get the same
 * 400 again, marked replayed; the key cannot then be reused for another body.
 */
START_TEST(idempotency_failure_kept)
{
	const char *bad = "{\"id\":\"t3\",\"name\":\"x\"}";
	struct response b;

	b = idem_post(F.admin, "/v1/teams", bad, "key-3", 0);
	ck_assert_int_eq(b.status, 400);
	ck_assert(!b.replayed);
	response_clear(&b);
	ck_assert_int_eq(fx_count(&F, "idempotency"), 1);
	b = idem_post(F.admin, "/v1/teams", bad, "key-3", 0);
	ck_assert_int_eq(b.status, 400);
	ck_assert(b.replayed);
	ck_assert(b.problem);
	ck_assert_str_eq(fx_str(b.json, "code"), "bad_request");
	response_clear(&b);
	b = idem_post(F.admin, "/v1/teams", T3_BODY, "key-3", 0);
	ck_assert_int_eq(b.status, 422);
	response_clear(&b);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM teams WHERE id = 't3'", NULL, NULL), 0);
}
END_TEST

/*
 * One batch: the refused request in the middle leaves the others alone, and
 * its refusal too is sent once the batch has committed.
 */
START_TEST(batch_isolates_refusals)
{
	struct fx_rq a = { .method = "POST", .path = "/v1/teams", .token = F.admin,
		.body = "{\"id\":\"ba\",\"name\":\"x\",\"lead_org\":\"o\"}", .idem = "batch-a" };
	struct fx_rq b = { .method = "POST", .path = "/v1/teams", .token = F.admin,
		.body = "{\"id\":\"bb\",\"name\":\"x\"}" };
	struct fx_rq c = { .method = "POST", .path = "/v1/programs", .token = F.admin,
		.body = "{\"id\":\"bc\",\"name\":\"x\"}" };
	struct response ra, rb, rc, rd;
	int sa = 0, sb = 0, sc = 0, sd = 0;
	int64_t audit = fx_audit_count(&F);

	ck_assert(fx_dispatch(&F, &a, &ra));
	ck_assert(commit_pending(&F.app));
	ck_assert(fx_dispatch(&F, &b, &rb));
	ck_assert_int_eq(rb.status, 400);
	ck_assert(fx_dispatch(&F, &c, &rc));
	/* The repeat of a within the batch sees a's answer before it commits. */
	ck_assert(fx_dispatch(&F, &a, &rd));
	ck_assert(rd.replayed);
	ck_assert(json_equal(ra.json, rd.json));
	/* Nothing is visible to readers before the COMMIT. */
	ck_assert_int_eq(fx_audit_count(&F), audit);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM teams WHERE id = 'ba'", NULL, NULL), 0);
	commit_wait(&F.app, fx_on_commit, &sa);
	commit_wait(&F.app, fx_on_commit, &sb);
	commit_wait(&F.app, fx_on_commit, &sc);
	commit_wait(&F.app, fx_on_commit, &sd);
	ck_assert_int_eq(commit_flush(&F.app), 0);
	ck_assert_int_eq(sa, 1);
	ck_assert_int_eq(sb, 1);
	ck_assert_int_eq(sc, 1);
	ck_assert_int_eq(sd, 1);
	ck_assert(!commit_pending(&F.app));
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM teams WHERE id IN ('ba', 'bb')", NULL,
	    NULL), 1);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM programs WHERE id = 'bc'", NULL, NULL),
	    1);
	ck_assert_int_eq(fx_audit_count(&F), audit + 2);
	fx_audit_verify(&F);
	response_clear(&ra);
	response_clear(&rb);
	response_clear(&rc);
	response_clear(&rd);
}
END_TEST

/*
 * A COMMIT that fails answers every waiter with 503 and keeps nothing of the
 * batch: not the change, not its audit entry, not its idempotency key.  The
 * failure is made with a deferred foreign key violation that only COMMIT
 * checks.
 */
START_TEST(failed_commit)
{
	struct fx_rq a = { .method = "POST", .path = "/v1/teams", .token = F.admin,
		.body = T3_BODY, .idem = "fail-1" };
	char before[FX_FP_LEN], after[FX_FP_LEN];
	struct response ra;
	int sa = 0;

	fx_fingerprint(&F, before);
	ck_assert(fx_dispatch(&F, &a, &ra));
	ck_assert_int_eq(ra.status, 201);
	fx_sql(&F, "PRAGMA defer_foreign_keys = ON");
	fx_sql(&F, "INSERT INTO team_memberships (team, org, given, role, lead) "
	    "VALUES ('ghost', 'ghost', 'o', 'r', 0)");
	commit_wait(&F.app, fx_on_commit, &sa);
	ck_assert_int_eq(commit_flush(&F.app), GD_EIO);
	ck_assert_int_eq(sa, 2);
	ck_assert(!commit_pending(&F.app));
	fx_fingerprint(&F, after);
	ck_assert_str_eq(before, after);
	response_clear(&ra);

	/* The retry runs afresh and succeeds. */
	ra = fx_call(&F, &a);
	ck_assert_int_eq(ra.status, 201);
	ck_assert(!ra.replayed);
	response_clear(&ra);
	fx_audit_verify(&F);
}
END_TEST

/* A stopping daemon refuses changes but still answers reads. */
START_TEST(stopping)
{
	struct response rs;
	char before[FX_FP_LEN], after[FX_FP_LEN];

	F.app.stopping = true;
	fx_fingerprint(&F, before);
	rs = fx_post(&F, "/v1/teams", T3_BODY);
	ck_assert_int_eq(rs.status, 503);
	ck_assert_str_eq(fx_code(&rs), "unavailable");
	response_clear(&rs);
	fx_fingerprint(&F, after);
	ck_assert_str_eq(before, after);
	rs = fx_get(&F, "/v1/teams/t1");
	ck_assert_int_eq(rs.status, 200);
	response_clear(&rs);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON nesting. */
static struct response
post_depth(int depth)
{
	char body[1200];
	int o, k = depth - 1;	/* the object itself is one level; arrays make the rest */

	o = snprintf(body, sizeof(body), "{\"id\":\"deep\",\"name\":\"x\",\"lead_org\":\"o\","
	    "\"members\":");
	for (int i = 0; i < k; i++)
		body[o++] = '[';
	for (int i = 0; i < k; i++)
		body[o++] = ']';
	snprintf(body + o, sizeof(body) - (size_t)o, "}");
	return fx_post(&F, "/v1/teams", body);
}


START_TEST(json_depth_default)
{
	struct response rs;

	ck_assert_int_eq(F.app.cfg.server.max_json_depth, 32);
	rs = post_depth(33);
	ck_assert_int_eq(rs.status, 400);
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "32"));
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "nested"));
	response_clear(&rs);
	/* At the limit the body is read, and refused for what it says instead. */
	rs = post_depth(32);
	ck_assert_int_eq(rs.status, 400);
	ck_assert_ptr_null(strstr(fx_detail(&rs), "nested"));
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "members[0]"));
	response_clear(&rs);
	/* Far deeper than jansson's own parser limit is still a clean 400. */
	{
		size_t n = 5000, o;
		char *body = malloc(2 * n + 64);

		ck_assert_ptr_nonnull(body);
		o = (size_t)sprintf(body, "{\"id\":");
		memset(body + o, '[', n);
		memset(body + o + n, ']', n);
		strcpy(body + o + 2 * n, "}");
		rs = fx_post(&F, "/v1/teams", body);
		ck_assert_int_eq(rs.status, 400);
		response_clear(&rs);
		free(body);
	}
}
END_TEST

START_TEST(json_depth_configured)
{
	struct response rs;

	F.app.cfg.server.max_json_depth = 3;
	/* object > members array > member object: 3 levels, allowed. */
	rs = fx_post(&F, "/v1/teams", "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\","
	    "\"members\":[{\"org\":\"o\",\"role\":\"r\"}]}");
	ck_assert_int_eq(rs.status, 201);
	response_clear(&rs);
	rs = post_depth(4);
	ck_assert_int_eq(rs.status, 400);
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "nested deeper than 3"));
	response_clear(&rs);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM teams WHERE id = 'deep'", NULL, NULL),
	    0);
}
END_TEST

/* ------------------------------------------------------------------ */

int
main(void)
{
	Suite *s = suite_create("router");
	TCase *tc;

	tc = world_tcase(s, "validation");
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));
	tcase_add_loop_test(tc, accepted, 0, (int)NELEMS(accepts));

	tc = world_tcase(s, "auth");
	tcase_add_loop_test(tc, auth, 0, (int)NELEMS(authcases));

	tc = world_tcase(s, "idempotency");
	tcase_add_test(tc, idempotent_replay);
	tcase_add_test(tc, idempotency_key_reuse);
	tcase_add_test(tc, idempotency_failure_kept);

	tc = world_tcase(s, "commit");
	tcase_add_test(tc, batch_isolates_refusals);
	tcase_add_test(tc, failed_commit);
	tcase_add_test(tc, stopping);
	tcase_add_test(tc, json_depth_default);
	tcase_add_test(tc, json_depth_configured);

	return world_run(s);
}
