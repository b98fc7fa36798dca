/* routes_case.h: the seeded world and table-driven checks shared by the core route suites. */
#ifndef GRANTD_TEST_ROUTES_CASE_H
#define GRANTD_TEST_ROUTES_CASE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every test runs in its own process (Check's fork mode) on a fresh copy of
 * a database seeded once per test case by build_template(): programme p1,
 * teams t1 (with members) and t2 (without), phase ph1 of p1 on B200, pool
 * pool-a, and a token of every role besides the admin's.
 */
static struct fx TPL, F;
static char auditor[TOKEN_SECRET_LEN + 1], team1[TOKEN_SECRET_LEN + 1];
static char agent[TOKEN_SECRET_LEN + 1], revoked[TOKEN_SECRET_LEN + 1];

#define P1_BODY "{\"id\":\"p1\",\"name\":\"Programme One\"}"
#define T1_BODY "{\"id\":\"t1\",\"name\":\"Team One\",\"lead_org\":\"Org A\"," \
	"\"members\":[{\"org\":\"Org A\",\"role\":\"lead\"},{\"org\":\"Org B\",\"role\":\"member\"}]}"
#define T2_BODY "{\"id\":\"t2\",\"name\":\"Team Two\",\"lead_org\":\"Org C\"}"

/* A phase body; arguments are JSON text. */
#define PKG(model, cards, krw) \
	"{\"card_model\":" model ",\"cards\":" cards ",\"voucher_krw\":" krw "}"
#define PKG_OK PKG("\"B200\"", "768", "10000000000")
#define PHASE(id, starts, days, pkg) "{\"id\":\"" id "\",\"name\":\"Phase\",\"starts_on\":" \
	starts ",\"period_days\":" days ",\"package\":" pkg "}"
#define PHASE_EVAL(id, starts, eval) "{\"id\":\"" id "\",\"name\":\"Phase\",\"starts_on\":" \
	starts ",\"period_days\":90,\"evaluation_on\":" eval ",\"package\":" PKG_OK "}"
#define PH1_BODY PHASE("ph1", "\"2026-03-01\"", "90", PKG_OK)

/* Seeds the template of a test case, in Check's parent process. */
static inline void
build_template(void)
{
	char id[TOKEN_ID_LEN + 1], sql[200];

	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", P1_BODY, 201);
	fx_must(&TPL, "POST", "/v1/teams", T1_BODY, 201);
	fx_must(&TPL, "POST", "/v1/teams", T2_BODY, 201);
	fx_must(&TPL, "POST", "/v1/programs/p1/phases", PH1_BODY, 201);
	fx_must(&TPL, "POST", "/v1/pools", "{\"id\":\"pool-a\",\"provider\":\"Provider\","
	    "\"site\":\"Site\",\"card_model\":\"B200\",\"cards\":8}", 201);
	fx_token(&TPL, "auditor", ROLE_AUDITOR, NULL, NULL, auditor, NULL);
	fx_token(&TPL, "team-one", ROLE_TEAM, "t1", NULL, team1, NULL);
	fx_token(&TPL, "agent-a", ROLE_AGENT, NULL, "pool-a", agent, NULL);
	fx_token(&TPL, "gone", ROLE_ADMIN, NULL, NULL, revoked, id);
	snprintf(sql, sizeof(sql), "UPDATE tokens SET revoked_at = 1 WHERE id = '%s'", id);
	fx_sql(&TPL, sql);
	fx_template_save(&TPL);
}

static inline void
drop_template(void)
{
	fx_template_drop(&TPL);
}

static inline void
setup(void)
{
	fx_clone(&F, &TPL);
}

static inline void
teardown(void)
{
	fx_close(&F);
}

/*
 * A test case of this world, added to s: the template built once for the
 * case, a fresh copy of it for each test.
 */
static inline TCase *
world_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	return tc;
}

/* Runs the suite and frees it: the process's exit status. */
static inline int
world_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* json_dumps of a value, for messages and comparisons; caller frees. */
static inline char *
dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

/* ------------------------------------------------------------------ */
/* Refused requests: status, problem code, a word of the detail, no trace. */

struct refusal {
	const char *what;
	const char *method, *path, *body;
	int status;
	const char *code;
	const char *detail;	/* a substring of the detail (usually the field), or NULL */
	const char *ctype;	/* NULL: application/json; "-": none */
	const char *idem;
};

#define BAD(w, m, p, b, d) { w, m, p, b, 400, "bad_request", d, NULL, NULL }

static inline void
check_refused(const struct refusal *c)
{
	struct fx_rq in = { .method = c->method, .path = c->path, .token = F.admin,
		.body = c->body, .idem = c->idem };
	char before[FX_FP_LEN], after[FX_FP_LEN], *d;
	struct response rs;

	if (c->ctype && strcmp(c->ctype, "-") == 0)
		in.no_ctype = true;
	else
		in.ctype = c->ctype;
	fx_fingerprint(&F, before);
	rs = fx_call(&F, &in);
	d = dump(rs.json);
	ck_assert_msg(rs.status == c->status, "%s: status %d, want %d: %s", c->what, rs.status,
	    c->status, d);
	ck_assert_msg(rs.problem, "%s: not a problem: %s", c->what, d);
	ck_assert_msg(strcmp(fx_code(&rs), c->code) == 0, "%s: code %s, want %s", c->what,
	    fx_code(&rs), c->code);
	ck_assert_msg(c->detail == NULL || strstr(fx_detail(&rs), c->detail) != NULL,
	    "%s: detail \"%s\" does not mention %s", c->what, fx_detail(&rs), c->detail);
	ck_assert_msg(!rs.replayed, "%s: replayed", c->what);
	fx_fingerprint(&F, after);
	ck_assert_msg(strcmp(before, after) == 0, "%s: refused but changed the database: "
	    "%s -> %s", c->what, before, after);
	free(d);
	response_clear(&rs);
}

/* ------------------------------------------------------------------ */
/* Accepted requests at the edges of validity, and identical re-creates. */

struct accept {
	const char *what;
	const char *method, *path, *body;
	const char *ctype;
	int status;
	int audit;		/* entries it must add: 1, or 0 for a repeat that changes nothing */
	const char *key;	/* a member of the reply to check, as "a.b", or NULL */
	const char *value;	/* ... its compact JSON text; NULL: the member must be absent */
	const char *get;	/* a GET whose reply must equal this reply, or NULL */
};

static inline void
check_accepted(const struct accept *c)
{
	struct fx_rq in = { .method = c->method, .path = c->path, .token = F.admin,
		.body = c->body, .ctype = c->ctype };
	char before[FX_FP_LEN], after[FX_FP_LEN], *d, *v;
	int64_t audit = fx_audit_count(&F);
	struct response rs, g;

	fx_fingerprint(&F, before);
	rs = fx_call(&F, &in);
	d = dump(rs.json);
	ck_assert_msg(rs.status == c->status, "%s: status %d, want %d: %s", c->what, rs.status,
	    c->status, d);
	ck_assert_msg(!rs.problem && json_is_object(rs.json), "%s: %s", c->what, d);
	ck_assert_msg(fx_audit_count(&F) == audit + c->audit, "%s: %lld audit entries added, "
	    "want %d", c->what, (long long)(fx_audit_count(&F) - audit), c->audit);
	fx_fingerprint(&F, after);
	ck_assert_msg((strcmp(before, after) != 0) == (c->audit != 0), "%s: database %s: "
	    "%s -> %s", c->what, c->audit ? "unchanged" : "changed", before, after);
	if (c->audit)
		ck_assert_str_eq(fx_audit_last(&F).request_id, F.rid);
	if (c->key) {
		json_t *m = fx_at(rs.json, c->key);

		v = m ? dump(m) : NULL;
		if (c->value)
			ck_assert_msg(v && strcmp(v, c->value) == 0, "%s: %s is %s, want %s",
			    c->what, c->key, v ? v : "absent", c->value);
		else
			ck_assert_msg(m == NULL, "%s: %s present: %s", c->what, c->key, d);
		free(v);
	}
	if (c->get) {
		/* "resolved" says how a change read its names: the answer's, not the resource's. */
		json_object_del(rs.json, "resolved");
		g = fx_get(&F, c->get);
		v = dump(g.json);
		ck_assert_msg(g.status == 200 && json_equal(g.json, rs.json),
		    "%s: GET %s says %s, the reply was %s", c->what, c->get, v, d);
		free(v);
		response_clear(&g);
	}
	fx_audit_verify(&F);
	free(d);
	response_clear(&rs);
}

/* ------------------------------------------------------------------ */
/* Authentication and roles. */

enum who { W_NONE, W_ADMIN, W_AUDITOR, W_TEAM1, W_AGENT, W_REVOKED, W_BAD, W_RAW };

struct authcase {
	const char *what;
	enum who who;
	const char *raw;	/* W_RAW: the Authorization header; "%s" is the admin secret */
	const char *method, *path, *body;
	int status;
};

static inline void
check_auth(const struct authcase *c)
{
	struct fx_rq in = { .method = c->method, .path = c->path, .body = c->body };
	char raw[700], before[FX_FP_LEN], after[FX_FP_LEN], *d;
	const char *a = F.admin;
	struct response rs;

	switch (c->who) {
	case W_NONE: break;
	case W_ADMIN: in.token = F.admin; break;
	case W_AUDITOR: in.token = auditor; break;
	case W_TEAM1: in.token = team1; break;
	case W_AGENT: in.token = agent; break;
	case W_REVOKED: in.token = revoked; break;
	case W_BAD: in.token = "gd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"; break;
	case W_RAW:
		snprintf(raw, sizeof(raw), c->raw, a, a, a, a, a, a, a, a, a, a, a, a);
		in.auth = raw;
		break;
	}
	fx_fingerprint(&F, before);
	rs = fx_call(&F, &in);
	d = dump(rs.json);
	ck_assert_msg(rs.status == c->status, "%s: %s %s: %d, want %d: %s", c->what, c->method,
	    c->path, rs.status, c->status, d);
	if (c->status == 401)
		ck_assert_str_eq(fx_code(&rs), "unauthorized");
	if (c->status == 403)
		ck_assert_str_eq(fx_code(&rs), "forbidden");
	fx_fingerprint(&F, after);
	ck_assert_msg(strcmp(before, after) == 0, "%s: changed the database", c->what);
	free(d);
	response_clear(&rs);
}

/* ------------------------------------------------------------------ */
/* Lists: every item once, in id order, pages of at most `limit`. */

struct listcase {
	const char *what;
	const char *list;	/* the list route */
	const char *create;	/* a POST/PUT route, "%d" for the item number (PUT only) */
	const char *method;
	const char *body;	/* "%d" for the item number */
	const char *count_sql;	/* how many items the list must show in all */
	bool numeric;		/* cursor is the audit seq */
};

static inline void
check_pagination(const struct listcase *c)
{
	char path[512], body[512], after[128] = "", prev[128] = "";
	struct response rs;
	int64_t want, seen = 0, pages = 0;
	json_t *items, *it, *next;
	size_t i;

	/* Nine items plus the seeds: an odd number, so the last page is short. */
	for (int n = 0; n < 9; n++) {
		snprintf(path, sizeof(path), c->create, n);
		snprintf(body, sizeof(body), c->body, n);
		fx_must(&F, c->method, path, body, strcmp(c->method, "PUT") == 0 ? 200 : 201);
	}
	want = fx_qint(&F, c->count_sql, NULL, NULL);
	ck_assert_int_ge(want, 9);
	for (;;) {
		snprintf(path, sizeof(path), "%s?limit=2%s%s", c->list, after[0] ? "&after=" : "",
		    after);
		rs = fx_get(&F, path);
		ck_assert_msg(rs.status == 200, "%s: %s: %d", c->what, path, rs.status);
		items = json_object_get(rs.json, "items");
		ck_assert_int_le(json_array_size(items), 2);
		ck_assert_int_ge(json_array_size(items), 1);
		pages++;
		json_array_foreach(items, i, it) {
			char id[128];

			if (c->numeric)
				snprintf(id, sizeof(id), "%lld",
				    (long long)json_integer_value(json_object_get(it, "seq")));
			else
				snprintf(id, sizeof(id), "%s", fx_str(it, "id"));
			ck_assert_msg(id[0] != '\0', "%s: item without id", c->what);
			if (prev[0] != '\0') {
				if (c->numeric)
					ck_assert_int_eq(strtoll(id, NULL, 10),
					    strtoll(prev, NULL, 10) + 1);
				else
					ck_assert_msg(strcmp(prev, id) < 0, "%s: %s after %s",
					    c->what, id, prev);
			}
			snprintf(prev, sizeof(prev), "%s", id);
			seen++;
		}
		next = json_object_get(rs.json, "next");
		ck_assert_ptr_nonnull(next);
		if (json_is_null(next)) {
			response_clear(&rs);
			break;
		}
		ck_assert(json_is_string(next));
		/* The cursor names the last item shown. */
		ck_assert_str_eq(json_string_value(next), prev);
		ck_assert_int_eq(json_array_size(items), 2);
		snprintf(after, sizeof(after), "%s", json_string_value(next));
		response_clear(&rs);
		ck_assert_int_lt(pages, 100);
	}
	ck_assert_msg(seen == want, "%s: %lld items listed, %lld exist", c->what,
	    (long long)seen, (long long)want);
	ck_assert_int_eq(pages, (want + 1) / 2);

	/* One page holds them all under the default limit. */
	rs = fx_get(&F, c->list);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), want);
	ck_assert(json_is_null(json_object_get(rs.json, "next")));
	response_clear(&rs);
	/* A cursor past the end gives an empty last page. */
	snprintf(path, sizeof(path), "%s?after=%s", c->list, c->numeric ? "999999" : "zzzz");
	rs = fx_get(&F, path);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 0);
	ck_assert(json_is_null(json_object_get(rs.json, "next")));
	response_clear(&rs);
}

/* ------------------------------------------------------------------ */
/* Idempotency. */

static inline struct response
idem_post(const char *token, const char *path, const char *body, const char *key,
    int64_t now)
{
	struct fx_rq in = { .method = "POST", .path = path, .token = token, .body = body,
		.idem = key, .now = now };

	return fx_call(&F, &in);
}

#define T3_BODY "{\"id\":\"t3\",\"name\":\"Team Three\",\"lead_org\":\"o\"}"
#define T3_REORDERED "{ \"lead_org\": \"o\",\n  \"name\": \"Team Three\", \"id\": \"t3\" }"

#endif
