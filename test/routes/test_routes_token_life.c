/* test_routes_token_life.c: tokens that end (issue 17): expiry, rotation with a grace, last use. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "tokens.h"

static struct fx F;

static void
setup(void)
{
	fx_open(&F);
}

static void
teardown(void)
{
	fx_close(&F);
}

static struct response
req_at(const char *method, const char *path, const char *token, const char *body,
    int64_t now)
{
	struct fx_rq in = { .method = method, .path = path, .token = token, .body = body,
		.now = now };

	return fx_call(&F, &in);
}

/* The status of a read with secret at now; its detail in detail (may be NULL). */
static int
read_at(const char *secret, int64_t now, char detail[256])
{
	struct response rs = req_at("GET", "/v1/card-models", secret, NULL, now);
	int status = rs.status;

	if (detail != NULL)
		snprintf(detail, 256, "%s", rs.problem ? fx_detail(&rs) : "");
	response_clear(&rs);
	return status;
}

/* The token id as GET /v1/tokens shows it at now (a new reference). */
static json_t *
token_at(const char *id, int64_t now)
{
	struct response rs = req_at("GET", "/v1/tokens", F.admin, NULL, now);
	json_t *t, *found = NULL;
	size_t i;

	ck_assert_int_eq(rs.status, 200);
	json_array_foreach(json_object_get(rs.json, "items"), i, t)
		if (strcmp(fx_str(t, "id"), id) == 0)
			found = json_incref(t);
	response_clear(&rs);
	ck_assert_ptr_nonnull(found);
	return found;
}

/* A new token by the API: its id and secret. */
static void
create(const char *body, int64_t now, char id[TOKEN_ID_LEN + 1],
    char secret[TOKEN_SECRET_LEN + 1])
{
	struct response rs = req_at("POST", "/v1/tokens", F.admin, body, now);

	ck_assert_msg(rs.status == 201, "create: %d %s", rs.status, fx_detail(&rs));
	snprintf(id, TOKEN_ID_LEN + 1, "%s", fx_str(rs.json, "id"));
	snprintf(secret, TOKEN_SECRET_LEN + 1, "%s", fx_str(rs.json, "token"));
	response_clear(&rs);
}

static void
rotate(const char *id, const char *body, int64_t now, int status,
    char secret[TOKEN_SECRET_LEN + 1])
{
	char path[64];
	struct response rs;

	snprintf(path, sizeof(path), "/v1/tokens/%s/rotate", id);
	rs = req_at("POST", path, F.admin, body, now);
	ck_assert_msg(rs.status == status, "rotate: %d %s", rs.status, fx_detail(&rs));
	if (secret != NULL)
		snprintf(secret, TOKEN_SECRET_LEN + 1, "%s", fx_str(rs.json, "token"));
	response_clear(&rs);
}

START_TEST(expiry)
{
	char id[TOKEN_ID_LEN + 1], secret[TOKEN_SECRET_LEN + 1], detail[256];
	json_t *t;

	create("{\"name\":\"short\",\"role\":\"auditor\",\"expires_at\":\"2026-03-01T01:00:00Z\"}",
	    0, id, secret);
	/* Twice: the second answer comes from the cache, which must know the end too. */
	ck_assert_int_eq(read_at(secret, FX_NOW + 10, NULL), 200);
	ck_assert_int_eq(read_at(secret, FX_NOW + 3599, NULL), 200);
	ck_assert_uint_ge(F.app.tokens.hits, 1);
	ck_assert_int_eq(read_at(secret, FX_NOW + 3600, detail), 401);
	ck_assert_str_eq(detail, "token expired at 2026-03-01 10:00 KST (2026-03-01T01:00:00Z)");
	ck_assert_int_eq(read_at(secret, FX_NOW + 86400, NULL), 401);

	t = token_at(id, FX_NOW + 10);
	ck_assert_str_eq(fx_str(t, "state"), "live");
	ck_assert_str_eq(fx_str(t, "expires_at"), "2026-03-01T01:00:00Z");
	json_decref(t);
	t = token_at(id, FX_NOW + 3600);
	ck_assert_str_eq(fx_str(t, "state"), "expired");
	json_decref(t);

	/* An expired token cannot be rotated back to life; an end in the past is refused. */
	rotate(id, NULL, FX_NOW + 3600, 404, NULL);
	{
		struct response rs = fx_post(&F, "/v1/tokens", "{\"name\":\"x\",\"role\":"
		    "\"auditor\",\"expires_at\":\"2026-02-28T00:00:00Z\"}");

		ck_assert_int_eq(rs.status, 400);
		ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "later than now"));
		response_clear(&rs);
		rs = fx_post(&F, "/v1/tokens", "{\"name\":\"x\",\"role\":\"auditor\","
		    "\"expires_at\":\"1900-01-01T00:00:00Z\"}");
		ck_assert_int_eq(rs.status, 400);
		response_clear(&rs);
		/* null is no end, as an absent field. */
		rs = fx_post(&F, "/v1/tokens", "{\"name\":\"x\",\"role\":\"auditor\","
		    "\"expires_at\":null}");
		ck_assert_int_eq(rs.status, 201);
		ck_assert_ptr_null(json_object_get(rs.json, "expires_at"));
		response_clear(&rs);
	}
}
END_TEST

/*
 * A fleet's token rotated: the old secret works through the grace and not
 * after, the new one from the rotation on; a second rotation ends the
 * first's grace at once; a revocation ends every secret.
 */
START_TEST(rotation)
{
	char id[TOKEN_ID_LEN + 1], s0[TOKEN_SECRET_LEN + 1], s1[TOKEN_SECRET_LEN + 1];
	char s2[TOKEN_SECRET_LEN + 1], detail[256], path[64];
	struct response rs;
	json_t *t;

	create("{\"name\":\"fleet\",\"role\":\"auditor\"}", 0, id, s0);
	ck_assert_int_eq(read_at(s0, FX_NOW + 10, NULL), 200);	/* cached */
	rotate(id, "{\"grace_seconds\":600}", FX_NOW + 100, 200, s1);
	ck_assert_str_ne(s0, s1);
	ck_assert_str_eq(fx_audit_last(&F).action, "token.rotate");
	ck_assert_int_eq(read_at(s1, FX_NOW + 100, NULL), 200);
	ck_assert_int_eq(read_at(s0, FX_NOW + 699, NULL), 200);
	ck_assert_int_eq(read_at(s0, FX_NOW + 699, NULL), 200);
	ck_assert_int_eq(read_at(s0, FX_NOW + 700, detail), 401);
	ck_assert_ptr_nonnull(strstr(detail, "replaced by a rotation"));
	ck_assert_int_eq(read_at(s1, FX_NOW + 700, NULL), 200);

	t = token_at(id, FX_NOW + 200);
	ck_assert_str_eq(fx_str(t, "state"), "live");
	ck_assert_str_eq(fx_str(t, "rotated_at"), "2026-03-01T00:01:40Z");
	ck_assert_str_eq(fx_str(t, "previous_valid_until"), "2026-03-01T00:11:40Z");
	json_decref(t);
	t = token_at(id, FX_NOW + 700);
	ck_assert_ptr_null(json_object_get(t, "previous_valid_until"));
	json_decref(t);

	/* Rotated again within a grace: the first secret is gone at once. */
	rotate(id, "{\"grace_seconds\":600}", FX_NOW + 800, 200, NULL);
	rotate(id, "{\"grace_seconds\":0,\"expires_at\":\"2026-03-02T00:00:00Z\"}",
	    FX_NOW + 900, 200, s2);
	ck_assert_int_eq(read_at(s1, FX_NOW + 900, NULL), 401);
	ck_assert_int_eq(read_at(s2, FX_NOW + 900, NULL), 200);
	t = token_at(id, FX_NOW + 900);
	ck_assert_str_eq(fx_str(t, "expires_at"), "2026-03-02T00:00:00Z");
	json_decref(t);
	/* A grace past the token's end says the end. */
	rotate(id, "{\"grace_seconds\":2592000}", FX_NOW + 950, 200, s2);
	t = token_at(id, FX_NOW + 960);
	ck_assert_str_eq(fx_str(t, "previous_valid_until"), "2026-03-02T00:00:00Z");
	json_decref(t);

	/* Revoked: every secret of it refused. */
	rotate(id, "{\"grace_seconds\":3600}", FX_NOW + 1000, 200, s1);
	snprintf(path, sizeof(path), "/v1/tokens/%s", id);
	rs = req_at("DELETE", path, F.admin, NULL, FX_NOW + 1001);
	ck_assert_int_eq(rs.status, 204);
	response_clear(&rs);
	ck_assert_int_eq(read_at(s1, FX_NOW + 1002, NULL), 401);
	ck_assert_int_eq(read_at(s2, FX_NOW + 1002, NULL), 401);
	rotate(id, NULL, FX_NOW + 1003, 404, NULL);
}
END_TEST

START_TEST(rotation_refused)
{
	char id[TOKEN_ID_LEN + 1], s0[TOKEN_SECRET_LEN + 1];
	int64_t audit;

	create("{\"name\":\"fleet\",\"role\":\"auditor\"}", 0, id, s0);
	audit = fx_audit_count(&F);
	rotate(id, "{\"grace_seconds\":2592001}", 0, 400, NULL);
	rotate(id, "{\"grace_seconds\":-1}", 0, 400, NULL);
	rotate(id, "{\"expires_at\":\"2026-02-01T00:00:00Z\"}", 0, 400, NULL);
	/* Before 1970 is not "never", nor "remove the end". */
	rotate(id, "{\"expires_at\":\"1969-12-31T23:59:58Z\"}", 0, 400, NULL);
	rotate(id, "{\"expires_at\":\"1900-01-01T00:00:00Z\"}", 0, 400, NULL);
	rotate(id, "{\"expires_at\":\"2040-01-01T00:00:00Z\"}", 0, 400, NULL);
	rotate(id, "{\"scope\":\"all\"}", 0, 400, NULL);
	rotate("tok_0123456789abcdef", NULL, 0, 404, NULL);
	ck_assert_int_eq(fx_audit_count(&F), audit);
	ck_assert_int_eq(read_at(s0, FX_NOW + 10, NULL), 200);
	/* Only an admin rotates. */
	{
		struct response rs;
		char path[64], aud[TOKEN_SECRET_LEN + 1];

		fx_token(&F, "aud", ROLE_AUDITOR, NULL, NULL, aud, NULL);
		snprintf(path, sizeof(path), "/v1/tokens/%s/rotate", id);
		rs = fx_req(&F, "POST", path, aud, NULL);
		ck_assert_int_eq(rs.status, 403);
		response_clear(&rs);
	}
}
END_TEST

/*
 * A replay of a rotation gives the same answer, secret included (kept
 * sealed, as a replayed creation's), and rotates nothing again.
 */
START_TEST(rotation_replay)
{
	char id[TOKEN_ID_LEN + 1], s0[TOKEN_SECRET_LEN + 1], path[64];
	struct fx_rq in = { .method = "POST", .token = F.admin, .idem = "rot-1" };
	struct response a, b;

	create("{\"name\":\"fleet\",\"role\":\"auditor\"}", 0, id, s0);
	snprintf(path, sizeof(path), "/v1/tokens/%s/rotate", id);
	in.path = path;
	a = fx_call(&F, &in);
	b = fx_call(&F, &in);
	ck_assert_int_eq(a.status, 200);
	ck_assert_int_eq(b.status, 200);
	ck_assert_ptr_nonnull(json_object_get(a.json, "token"));
	ck_assert_str_eq(fx_str(b.json, "token"), fx_str(a.json, "token"));
	/* One rotation, not two: the first new secret works. */
	ck_assert_int_eq(read_at(fx_str(a.json, "token"), FX_NOW + 10, NULL), 200);
	response_clear(&a);
	response_clear(&b);
}
END_TEST

/* What loop.c does once a minute: the noted uses written in one batch. */
static void
flush_uses(void)
{
	struct token_seen seen[TOKEN_SEEN_MAX];
	size_t n = token_cache_take(&F.app.tokens, seen);

	ck_assert_int_eq(commit_begin(&F.app), 0);
	ck_assert_int_eq(tokens_note_use(F.app.w, seen, n), 0);
	ck_assert_int_eq(commit_flush(&F.app), 0);
}

START_TEST(last_used)
{
	char id[TOKEN_ID_LEN + 1], s0[TOKEN_SECRET_LEN + 1];
	json_t *t;

	create("{\"name\":\"agent\",\"role\":\"auditor\"}", 0, id, s0);
	flush_uses();
	t = token_at(id, FX_NOW);
	ck_assert_ptr_null(json_object_get(t, "last_used_at"));
	json_decref(t);
	/* Many uses in a minute: one note, the latest. */
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(read_at(s0, FX_NOW + 30 + i, NULL), 200);
	ck_assert_uint_le(F.app.tokens.nseen, 2);	/* this token and the admin's */
	flush_uses();
	ck_assert_uint_eq(F.app.tokens.nseen, 0);
	t = token_at(id, FX_NOW + 60);
	ck_assert_str_eq(fx_str(t, "last_used_at"), "2026-03-01T00:00:49Z");
	json_decref(t);
	/* A note older than what is stored never moves it back. */
	ck_assert_int_eq(commit_begin(&F.app), 0);
	ck_assert_int_eq(tokens_note_use(F.app.w, &(struct token_seen){ .at = FX_NOW }, 0), 0);
	commit_flush(&F.app);
	token_cache_seen(&F.app.tokens, id, FX_NOW + 1);
	flush_uses();
	t = token_at(id, FX_NOW + 60);
	ck_assert_str_eq(fx_str(t, "last_used_at"), "2026-03-01T00:00:49Z");
	json_decref(t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_token_life");
	TCase *tc = tcase_create("life");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, expiry);
	tcase_add_test(tc, rotation);
	tcase_add_test(tc, rotation_refused);
	tcase_add_test(tc, rotation_replay);
	tcase_add_test(tc, last_used);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
