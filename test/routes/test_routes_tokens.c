/* test_routes_tokens.c: tokens (routes_tokens.c): creation, shapes, revocation, the cache. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_case.h"

static const struct refusal refusals[] = {
	/* tokens */
	BAD("token: name missing", "POST", "/v1/tokens", "{\"role\":\"auditor\"}", "name"),
	BAD("token: role missing", "POST", "/v1/tokens", "{\"name\":\"x\"}", "role"),
	BAD("token: role unknown", "POST", "/v1/tokens", "{\"name\":\"x\",\"role\":\"root\"}",
	    "role"),
	BAD("token: role null", "POST", "/v1/tokens", "{\"name\":\"x\",\"role\":null}", "role"),
	BAD("token: team role without team", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"team\"}", "team"),
	BAD("token: team on an auditor", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"auditor\",\"team\":\"t1\"}", "team"),
	BAD("token: agent without pool", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"agent\"}", "pool"),
	BAD("token: pool on an admin", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"admin\",\"pool\":\"pool-a\"}", "pool"),
	BAD("token: team id malformed", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"team\",\"team\":\"T1\"}", "team"),
	BAD("token: unknown field", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"auditor\",\"scope\":\"all\"}", "scope"),
	BAD("token: name a number", "POST", "/v1/tokens", "{\"name\":5,\"role\":\"auditor\"}",
	    "name"),
	BAD("token: name empty", "POST", "/v1/tokens", "{\"name\":\"\",\"role\":\"auditor\"}",
	    "name"),
	{ "token: team unknown", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"team\",\"team\":\"nope\"}", 404, "not_found", "nope",
	    NULL, NULL },
	{ "token: pool unknown", "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"agent\",\"pool\":\"nope\"}", 404, "not_found", "nope",
	    NULL, NULL },
	{ "token: delete unknown", "DELETE", "/v1/tokens/tok_0123456789abcdef", NULL, 404,
	    "not_found", NULL, NULL, NULL },
	{ "token: delete overlong id", "DELETE",
	    "/v1/tokens/tok_0123456789abcdef0123456789abcdef", NULL, 404, "not_found", NULL,
	    NULL, NULL },
};

START_TEST(refused)
{
	check_refused(&refusals[_i]);
}
END_TEST

static const struct accept accepts[] = {
	{ "token: auditor", "POST", "/v1/tokens", "{\"name\":\"a\",\"role\":\"auditor\"}", NULL,
	    201, 1, "role", "\"auditor\"", NULL },
	{ "token: agent of pool-a", "POST", "/v1/tokens",
	    "{\"name\":\"a\",\"role\":\"agent\",\"pool\":\"pool-a\"}", NULL, 201, 1, "pool",
	    "\"pool-a\"", NULL },
	{ "token: team with pool null", "POST", "/v1/tokens",
	    "{\"name\":\"a\",\"role\":\"team\",\"team\":\"t2\",\"pool\":null}", NULL, 201, 1,
	    "pool", NULL, NULL },
};

START_TEST(accepted)
{
	check_accepted(&accepts[_i]);
}
END_TEST

static const struct authcase authcases[] = {
	{ "admin lists tokens", W_ADMIN, NULL, "GET", "/v1/tokens", NULL, 200 },
	{ "auditor creates a token", W_AUDITOR, NULL, "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"admin\"}", 403 },
	{ "auditor revokes a token", W_AUDITOR, NULL, "DELETE", "/v1/tokens/tok_0000", NULL,
	    403 },
	{ "team lists tokens", W_TEAM1, NULL, "GET", "/v1/tokens", NULL, 403 },
	{ "team creates a token", W_TEAM1, NULL, "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"team\",\"team\":\"t1\"}", 403 },
};

START_TEST(auth)
{
	check_auth(&authcases[_i]);
}
END_TEST

static const struct listcase lists[] = {
	{ "tokens", "/v1/tokens", "/v1/tokens", "POST", "{\"name\":\"n%d\",\"role\":\"auditor\"}",
	    "SELECT count(*) FROM tokens", false },
};

START_TEST(pagination)
{
	check_pagination(&lists[_i]);
}
END_TEST

START_TEST(token_shapes)
{
	struct response rs, g;
	char secret[TOKEN_SECRET_LEN + 1], id[TOKEN_ID_LEN + 1], path[80], like[160];
	json_t *it;
	size_t i;
	bool listed = false;

	rs = fx_post(&F, "/v1/tokens", "{\"name\":\"CI bot\",\"role\":\"team\",\"team\":\"t1\"}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "name"), "CI bot");
	ck_assert_str_eq(fx_str(rs.json, "role"), "team");
	ck_assert_str_eq(fx_str(rs.json, "team"), "t1");
	ck_assert_ptr_null(json_object_get(rs.json, "pool"));
	ck_assert_ptr_null(json_object_get(rs.json, "hash"));
	ck_assert_str_eq(fx_str(rs.json, "created_at"), "2026-03-01T00:00:00Z");
	/* "tok_" and 16 hex digits. */
	ck_assert_int_eq(strlen(fx_str(rs.json, "id")), 20);
	ck_assert(strncmp(fx_str(rs.json, "id"), "tok_", 4) == 0);
	/* "gd_" and 43 characters of URL-safe base64: 256 random bits. */
	snprintf(secret, sizeof(secret), "%s", fx_str(rs.json, "token"));
	ck_assert_int_eq(strlen(secret), 46);
	ck_assert(strncmp(secret, "gd_", 3) == 0);
	ck_assert_int_eq(strspn(secret + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_"), 43);
	snprintf(id, sizeof(id), "%s", fx_str(rs.json, "id"));
	ck_assert_str_eq(fx_audit_last(&F).action, "token.create");
	snprintf(path, sizeof(path), "token/%s", id);
	ck_assert_str_eq(fx_audit_last(&F).target, path);
	response_clear(&rs);

	/* The secret is stored nowhere, not even in the audit detail. */
	snprintf(like, sizeof(like), "SELECT count(*) FROM audit WHERE instr(detail, '%s') > 0",
	    secret + 3);
	ck_assert_int_eq(fx_qint(&F, like, NULL, NULL), 0);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM tokens WHERE instr(hash, "
	    "?1) > 0 OR instr(name, ?1) > 0", secret + 3, NULL), 0);

	/* Listed without secrets. */
	rs = fx_get(&F, "/v1/tokens");
	ck_assert_int_eq(rs.status, 200);
	json_array_foreach(json_object_get(rs.json, "items"), i, it) {
		ck_assert_ptr_null(json_object_get(it, "token"));
		ck_assert_ptr_null(json_object_get(it, "hash"));
		if (strcmp(fx_str(it, "id"), id) == 0) {
			listed = true;
			ck_assert_str_eq(fx_str(it, "team"), "t1");
			ck_assert_ptr_null(json_object_get(it, "revoked_at"));
		}
	}
	ck_assert(listed);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")),
	    fx_count(&F, "tokens"));
	response_clear(&rs);

	/* The secret works, and only for its team. */
	g = fx_req(&F, "GET", "/v1/teams/t1", secret, NULL);
	ck_assert_int_eq(g.status, 200);
	response_clear(&g);
	g = fx_req(&F, "GET", "/v1/teams/t2", secret, NULL);
	ck_assert_int_eq(g.status, 403);
	response_clear(&g);

	/* Revoked: 204 without a body, then 401 for the secret and 404 for the id. */
	snprintf(path, sizeof(path), "/v1/tokens/%s", id);
	rs = fx_req(&F, "DELETE", path, F.admin, NULL);
	ck_assert_int_eq(rs.status, 204);
	ck_assert_ptr_null(rs.json);
	ck_assert_str_eq(fx_audit_last(&F).action, "token.revoke");
	response_clear(&rs);
	g = fx_req(&F, "GET", "/v1/teams/t1", secret, NULL);
	ck_assert_int_eq(g.status, 401);
	ck_assert_str_eq(fx_code(&g), "unauthorized");
	response_clear(&g);
	rs = fx_req(&F, "DELETE", path, F.admin, NULL);
	ck_assert_int_eq(rs.status, 404);
	response_clear(&rs);

	rs = fx_get(&F, "/v1/tokens?limit=1000");
	listed = false;
	json_array_foreach(json_object_get(rs.json, "items"), i, it)
		if (strcmp(fx_str(it, "id"), id) == 0)
			listed = strcmp(fx_str(it, "revoked_at"), "2026-03-01T00:00:00Z") == 0;
	ck_assert_msg(listed, "revoked token not listed with revoked_at");
	response_clear(&rs);
	fx_audit_verify(&F);
}
END_TEST

/* A replayed token creation does not show (or keep) the secret again. */
START_TEST(idempotent_token_secret)
{
	struct response a, b;
	const char *body = "{\"name\":\"bot\",\"role\":\"auditor\"}";
	char secret[TOKEN_SECRET_LEN + 1];

	a = idem_post(F.admin, "/v1/tokens", body, "tok-key", 0);
	ck_assert_int_eq(a.status, 201);
	snprintf(secret, sizeof(secret), "%s", fx_str(a.json, "token"));
	ck_assert_int_eq(strlen(secret), 46);
	/* The replay is the same body, secret included ... */
	b = idem_post(F.admin, "/v1/tokens", body, "tok-key", 0);
	ck_assert_int_eq(b.status, 201);
	ck_assert(b.replayed);
	ck_assert(json_equal(a.json, b.json));
	response_clear(&b);
	/* ... which is on disk only sealed, under a key this process alone holds. */
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM idempotency WHERE "
	    "instr(body, ?) > 0", secret + 3, NULL), 0);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM idempotency WHERE "
	    "instr(body, '\"sealed:') > 0", NULL, NULL), 1);
	/* Another process (another key) cannot open it: the replay says so. */
	F.app.seal_key[0] ^= 1;
	b = idem_post(F.admin, "/v1/tokens", body, "tok-key", 0);
	ck_assert_int_eq(b.status, 201);
	ck_assert(b.replayed);
	ck_assert_str_eq(fx_str(b.json, "id"), fx_str(a.json, "id"));
	ck_assert_str_eq(fx_str(b.json, "token"), "(shown once; not stored)");
	/* One token, not two. */
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM tokens WHERE name = 'bot'", NULL,
	    NULL), 1);
	response_clear(&a);
	response_clear(&b);
}
END_TEST

/* A replayed DELETE answers 204 again rather than 404. */
START_TEST(idempotent_delete)
{
	struct fx_rq in = { .method = "DELETE", .token = F.admin, .idem = "del-1" };
	char id[TOKEN_ID_LEN + 1], secret[TOKEN_SECRET_LEN + 1], path[64];
	struct response a, b;

	fx_token(&F, "victim", ROLE_AUDITOR, NULL, NULL, secret, id);
	snprintf(path, sizeof(path), "/v1/tokens/%s", id);
	in.path = path;
	a = fx_call(&F, &in);
	ck_assert_int_eq(a.status, 204);
	b = fx_call(&F, &in);
	ck_assert_int_eq(b.status, 204);
	ck_assert(b.replayed);
	ck_assert_ptr_null(b.json);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM audit WHERE action = "
	    "'token.revoke'", NULL, NULL), 1);
	response_clear(&a);
	response_clear(&b);
}
END_TEST

/*
 * Principals are cached by token hash: a revocation ends the token's life
 * for every request decided after it, in its own batch (that refusal waits
 * for the COMMIT) and for good once it commits, never later (a cached entry
 * outliving it); a revocation whose COMMIT fails leaves the token working.
 */
START_TEST(revoked_token_leaves_cache)
{
	struct fx_rq del = { .method = "DELETE", .token = F.admin };
	char id[TOKEN_ID_LEN + 1], secret[TOKEN_SECRET_LEN + 1], path[64];
	struct response rs, rd;
	int st = 0;

	fx_token(&F, "victim", ROLE_AUDITOR, NULL, NULL, secret, id);
	snprintf(path, sizeof(path), "/v1/tokens/%s", id);
	del.path = path;
	for (int i = 0; i < 2; i++) {	/* the second one comes from the cache */
		rs = fx_req(&F, "GET", "/v1/teams", secret, NULL);
		ck_assert_int_eq(rs.status, 200);
		response_clear(&rs);
	}
	ck_assert_uint_ge(F.app.tokens.hits, 1);

	/* Revoked in a batch whose COMMIT fails: the token keeps working. */
	ck_assert(fx_dispatch(&F, &del, &rd));
	fx_sql(&F, "PRAGMA defer_foreign_keys = ON");
	fx_sql(&F, "INSERT INTO team_memberships (team, org, given, role, lead) "
	    "VALUES ('ghost', 'ghost', 'o', 'r', 0)");
	commit_wait(&F.app, fx_on_commit, &st);
	ck_assert_int_eq(commit_flush(&F.app), GD_EIO);
	response_clear(&rd);
	rs = fx_req(&F, "GET", "/v1/teams", secret, NULL);
	ck_assert_int_eq(rs.status, 200);
	response_clear(&rs);

	/* Revoked for real: refused from the revocation on, sent after the COMMIT. */
	ck_assert(fx_dispatch(&F, &del, &rd));
	ck_assert_int_eq(rd.status, 204);
	ck_assert(fx_dispatch(&F, &(struct fx_rq){ .method = "GET", .path = "/v1/teams",
	    .token = secret }, &rs));
	ck_assert_int_eq(rs.status, 401);
	response_clear(&rs);
	st = 0;
	commit_wait(&F.app, fx_on_commit, &st);
	ck_assert_int_eq(commit_flush(&F.app), 0);
	ck_assert_int_eq(st, 1);
	response_clear(&rd);
	for (int i = 0; i < 2; i++) {
		rs = fx_req(&F, "GET", "/v1/teams", secret, NULL);
		ck_assert_int_eq(rs.status, 401);
		response_clear(&rs);
	}
	/* Other tokens are unaffected. */
	rs = fx_req(&F, "GET", "/v1/teams", F.admin, NULL);
	ck_assert_int_eq(rs.status, 200);
	response_clear(&rs);
}
END_TEST

/* ------------------------------------------------------------------ */

int
main(void)
{
	Suite *s = suite_create("routes_tokens");
	TCase *tc;

	tc = world_tcase(s, "validation");
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));
	tcase_add_loop_test(tc, accepted, 0, (int)NELEMS(accepts));

	tc = world_tcase(s, "shapes");
	tcase_add_test(tc, token_shapes);

	tc = world_tcase(s, "auth");
	tcase_add_loop_test(tc, auth, 0, (int)NELEMS(authcases));

	tc = world_tcase(s, "lists");
	tcase_add_loop_test(tc, pagination, 0, (int)NELEMS(lists));

	tc = world_tcase(s, "idempotency");
	tcase_add_test(tc, idempotent_token_secret);
	tcase_add_test(tc, idempotent_delete);
	tcase_add_test(tc, revoked_token_leaves_cache);

	return world_run(s);
}
