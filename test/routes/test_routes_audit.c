/* test_routes_audit.c: the audit trail (routes_audit.c): entries, lists, verify, tampering. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_case.h"

static const struct refusal refusals[] = {
	/* list parameters */
	BAD("audit: after a word", "GET", "/v1/audit?after=abc", NULL, "after"),
	BAD("audit: after negative", "GET", "/v1/audit?after=-1", NULL, "after"),
	BAD("audit: limit 0", "GET", "/v1/audit?limit=0", NULL, "limit"),
};

START_TEST(refused)
{
	check_refused(&refusals[_i]);
}
END_TEST

static const struct authcase authcases[] = {
	{ "auditor reads the audit", W_AUDITOR, NULL, "GET", "/v1/audit", NULL, 200 },
	{ "auditor verifies the audit", W_AUDITOR, NULL, "GET", "/v1/audit/verify", NULL, 200 },
	{ "team reads the audit", W_TEAM1, NULL, "GET", "/v1/audit", NULL, 403 },
	{ "agent reads the audit", W_AGENT, NULL, "GET", "/v1/audit", NULL, 403 },
};

START_TEST(auth)
{
	check_auth(&authcases[_i]);
}
END_TEST

static const struct listcase lists[] = {
	{ "audit", "/v1/audit", "/v1/teams", "POST",
	    "{\"id\":\"au-%d\",\"name\":\"x\",\"lead_org\":\"o\"}", "SELECT count(*) FROM audit",
	    true },
};

START_TEST(pagination)
{
	check_pagination(&lists[_i]);
}
END_TEST

START_TEST(audit_entries)
{
	struct response rs;
	json_t *items, *e, *prev = NULL;
	char id[TOKEN_ID_LEN + 1], path[64], zero[65];
	size_t i;
	int64_t n0 = fx_audit_count(&F);

	/* Seeding made five changes through the API; its tokens were made offline. */
	ck_assert_int_eq(n0, 5);
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"p9\",\"name\":\"x\"}", 201);
	fx_must(&F, "POST", "/v1/programs/p9/phases", PHASE("ph9", "\"2026-03-01\"", "9",
	    PKG_OK), 201);
	fx_must(&F, "POST", "/v1/teams", "{\"id\":\"t9\",\"name\":\"x\",\"lead_org\":\"o\"}", 201);
	fx_must(&F, "PUT", "/v1/card-models/Z9", "{\"weight\":9}", 200);
	rs = fx_post(&F, "/v1/tokens", "{\"name\":\"n\",\"role\":\"auditor\"}");
	snprintf(id, sizeof(id), "%s", fx_str(rs.json, "id"));
	response_clear(&rs);
	snprintf(path, sizeof(path), "/v1/tokens/%s", id);
	fx_must(&F, "DELETE", path, NULL, 204);
	ck_assert_int_eq(fx_audit_count(&F), n0 + 6);

	rs = fx_req(&F, "GET", "/v1/audit?after=5", auditor, NULL);
	ck_assert_int_eq(rs.status, 200);
	items = json_object_get(rs.json, "items");
	ck_assert_int_eq(json_array_size(items), 6);
	{
		static const char *const want[][2] = {
			{ "program.create", "program/p9" }, { "phase.create", "phase/ph9" },
			{ "team.create", "team/t9" }, { "card_model.put", "card-model/Z9" },
			{ "token.create", NULL }, { "token.revoke", NULL },
		};
		char tt[64];

		snprintf(tt, sizeof(tt), "token/%s", id);
		json_array_foreach(items, i, e) {
			ck_assert_int_eq(json_integer_value(json_object_get(e, "seq")), 6 + (int)i);
			ck_assert_str_eq(fx_str(e, "action"), want[i][0]);
			ck_assert_str_eq(fx_str(e, "target"), want[i][1] ? want[i][1] : tt);
			ck_assert_str_eq(fx_str(e, "actor"), "route-admin");
			ck_assert_str_eq(fx_str(e, "at"), "2026-03-01T00:00:00Z");
			ck_assert(strncmp(fx_str(e, "request_id"), "rt-", 3) == 0);
			ck_assert(json_is_null(json_object_get(e, "reason")));
			ck_assert_int_eq(strlen(fx_str(e, "hash")), 64);
			if (prev)
				ck_assert_str_eq(fx_str(e, "prev_hash"), fx_str(prev, "hash"));
			prev = e;
		}
	}
	/* The head of the chain is the last entry's hash. */
	{
		struct response v = fx_req(&F, "GET", "/v1/audit/verify", auditor, NULL);

		ck_assert_int_eq(v.status, 200);
		ck_assert(json_is_true(json_object_get(v.json, "ok")));
		ck_assert_int_eq(json_integer_value(json_object_get(v.json, "entries")), n0 + 6);
		ck_assert_str_eq(fx_str(v.json, "head"), fx_str(prev, "hash"));
		response_clear(&v);
	}
	response_clear(&rs);

	/* The first entry chains to zeros. */
	rs = fx_get(&F, "/v1/audit?limit=1");
	memset(zero, '0', 64);
	zero[64] = '\0';
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "items"), 0),
	    "prev_hash"), zero);
	ck_assert_str_eq(json_string_value(json_object_get(rs.json, "next")), "1");
	response_clear(&rs);
}
END_TEST

/* Storage refuses to rewrite history; a rewrite done behind its back is found. */
START_TEST(audit_tamper)
{
	struct response rs;
	sqlite3 *h = db_handle(F.app.w);

	ck_assert_int_ne(sqlite3_exec(h, "UPDATE audit SET target = 'team/x' WHERE seq = 2",
	    NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_ne(sqlite3_exec(h, "DELETE FROM audit WHERE seq = 2", NULL, NULL, NULL),
	    SQLITE_OK);
	fx_sql(&F, "DROP TRIGGER audit_no_update");
	fx_sql(&F, "UPDATE audit SET target = 'team/x' WHERE seq = 2");
	rs = fx_get(&F, "/v1/audit/verify");
	ck_assert_int_eq(rs.status, 200);
	ck_assert(json_is_false(json_object_get(rs.json, "ok")));
	ck_assert_ptr_nonnull(strstr(fx_str(rs.json, "error"), "entry 2"));
	response_clear(&rs);
}
END_TEST

/* ------------------------------------------------------------------ */

int
main(void)
{
	Suite *s = suite_create("routes_audit");
	TCase *tc;

	tc = world_tcase(s, "validation");
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));

	tc = world_tcase(s, "auth");
	tcase_add_loop_test(tc, auth, 0, (int)NELEMS(authcases));

	tc = world_tcase(s, "lists");
	tcase_add_loop_test(tc, pagination, 0, (int)NELEMS(lists));

	tc = world_tcase(s, "audit");
	tcase_add_test(tc, audit_entries);
	tcase_add_test(tc, audit_tamper);

	return world_run(s);
}
