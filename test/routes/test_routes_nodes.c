/* test_routes_nodes.c: issue 18's server side: nodes, node-bound agent tokens, measured usage. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "cmd.h"
#include "fixture.h"
#include "ingest.h"
#include "jsonv.h"
#include "report.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)
/* Usage is posted then, so that samples of 03-01 lie in the past. */
#define LATER (FX_NOW + 4 * DAY)

/*
 * Every test starts from a copy of one database seeded by build_template(),
 * in UTC:
 *
 *	phase ph: from 2026-03-01, 10 days, package 8 B200
 *	pool b1: 16 B200, pool h1: 16 H100
 *	alpha: 8 cards of b1; beta: 4 cards of b1 and 8 of h1; gamma: no enrollment
 *
 * and tokens: an auditor, alpha's team token, an agent of b1 bound to no
 * node, an agent of b1 bound to node gpu-01 (made through POST /v1/tokens),
 * and an agent of h1.
 */
static struct fx TPL, F;
static char auditor[TOKEN_SECRET_LEN + 1], alpha_tok[TOKEN_SECRET_LEN + 1];
static char agent_b1[TOKEN_SECRET_LEN + 1], agent_h1[TOKEN_SECRET_LEN + 1];
static char bound[TOKEN_SECRET_LEN + 1];	/* agent of b1, node gpu-01 */
static char bound_id[TOKEN_ID_LEN + 1];

static char *
dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

static void
build_template(void)
{
	struct response rs;

	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}",
	    201);
	fx_must(&TPL, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201);
	fx_must(&TPL, "POST", "/v1/pools", "{\"id\":\"b1\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":16}", 201);
	fx_must(&TPL, "POST", "/v1/pools", "{\"id\":\"h1\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"H100\",\"cards\":16}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"alpha\",\"name\":\"Alpha\","
	    "\"lead_org\":\"Alpha Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"beta\",\"name\":\"Beta\","
	    "\"lead_org\":\"Beta Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"gamma\",\"name\":\"Gamma\","
	    "\"lead_org\":\"Gamma Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"alpha\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"beta\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":4},{\"pool\":\"h1\",\"cards\":8}]}", 201);
	fx_token(&TPL, "auditor", ROLE_AUDITOR, NULL, NULL, auditor, NULL);
	fx_token(&TPL, "alpha", ROLE_TEAM, "alpha", NULL, alpha_tok, NULL);
	fx_token(&TPL, "agent-b1", ROLE_AGENT, NULL, "b1", agent_b1, NULL);
	fx_token(&TPL, "agent-h1", ROLE_AGENT, NULL, "h1", agent_h1, NULL);
	rs = fx_post(&TPL, "/v1/tokens", "{\"name\":\"gpu-01 agent\",\"role\":\"agent\","
	    "\"pool\":\"b1\",\"node\":\"gpu-01\"}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "node"), "gpu-01");
	ck_assert_str_eq(fx_str(rs.json, "pool"), "b1");
	snprintf(bound, sizeof(bound), "%s", fx_str(rs.json, "token"));
	snprintf(bound_id, sizeof(bound_id), "%s", fx_str(rs.json, "id"));
	response_clear(&rs);
	fx_template_save(&TPL);
}

static void
drop_template(void)
{
	fx_template_drop(&TPL);
}

static void
setup(void)
{
	fx_clone(&F, &TPL);
}

static void
teardown(void)
{
	fx_close(&F);
}

static struct response
call(const char *method, const char *path, const char *token, const char *body, int64_t now)
{
	struct fx_rq in = { .method = method, .path = path, .token = token, .body = body,
		.now = now };

	return fx_call(&F, &in);
}

/* A request whose status must be want; the response (clear it). */
static struct response
expect(const char *method, const char *path, const char *token, const char *body,
    int64_t now, int want)
{
	struct response rs = call(method, path, token, body, now);
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == want, "%s %s %s: %d, want %d: %s", method, path,
	    body ? body : "", rs.status, want, d);
	free(d);
	return rs;
}

static void
expect_clear(const char *method, const char *path, const char *token, const char *body,
    int64_t now, int want)
{
	struct response rs = expect(method, path, token, body, now, want);

	response_clear(&rs);
}

static int64_t
q(const char *sql)
{
	return fx_qint(&F, sql, NULL, NULL);
}

/* What a refused change must leave: every row count it could touch, and the audit. */
#define STATE_LEN 512

static void
state(char out[STATE_LEN])
{
	char fp[FX_FP_LEN];

	fx_fingerprint(&F, fp);
	snprintf(out, STATE_LEN, "%s nodes=%lld batches=%lld hourly=%lld sums=%lld/%lld/%lld/%lld "
	    "last_seen=%lld", fp, (long long)fx_count(&F, "nodes"),
	    (long long)fx_count(&F, "usage_batches"), (long long)fx_count(&F, "usage_hourly"),
	    (long long)q("SELECT coalesce(sum(gpu_seconds), 0) FROM usage_hourly"),
	    (long long)q("SELECT coalesce(sum(measured_seconds), 0) FROM usage_hourly"),
	    (long long)q("SELECT coalesce(sum(busy_seconds + util_seconds), 0) FROM usage_hourly"),
	    (long long)q("SELECT coalesce(sum(energy_j), 0) FROM usage_hourly"),
	    (long long)q("SELECT coalesce(sum(last_seen_at), 0) FROM nodes"));
}

/* ------------------------------------------------------------ assignment */

static json_t *
audit_detail_last(void)
{
	sqlite3_stmt *st;
	json_t *d = NULL;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(F.app.r), "SELECT detail FROM audit "
	    "ORDER BY seq DESC LIMIT 1", -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		d = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_finalize(st);
	ck_assert_ptr_nonnull(d);
	return d;
}

START_TEST(assign_and_audit)
{
	struct response rs;
	struct fx_audit a;
	json_t *d;
	int64_t n;

	/* A new node, assigned to alpha. */
	rs = expect("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":\"alpha\","
	    "\"reason\":\"rack 3 to alpha\"}", FX_NOW, 200);
	ck_assert_str_eq(fx_str(rs.json, "pool"), "b1");
	ck_assert_str_eq(fx_str(rs.json, "node"), "gpu-01");
	ck_assert_str_eq(fx_str(rs.json, "team"), "alpha");
	ck_assert_str_eq(fx_str(rs.json, "reason"), "rack 3 to alpha");
	ck_assert_str_eq(fx_str(rs.json, "assigned_at"), "2026-03-01T00:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "updated_at"), "2026-03-01T00:00:00Z");
	ck_assert(json_is_null(fx_at(rs.json, "last_seen_at")));
	ck_assert(json_is_null(fx_at(rs.json, "last_batch")));
	response_clear(&rs);
	a = fx_audit_last(&F);
	ck_assert_str_eq(a.action, "node.assign");
	ck_assert_str_eq(a.target, "pool/b1/node/gpu-01");
	d = audit_detail_last();
	ck_assert(json_is_null(json_object_get(d, "before")));
	ck_assert_str_eq(fx_str(d, "after.team"), "alpha");
	json_decref(d);
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action = 'node.assign' AND "
	    "reason = 'rack 3 to alpha'"), 1);

	/* The same again: nothing to record. */
	n = fx_audit_count(&F);
	expect_clear("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":\"alpha\","
	    "\"reason\":\"rack 3 to alpha\"}", FX_NOW + HOUR, 200);
	ck_assert_int_eq(fx_audit_count(&F), n);
	ck_assert_int_eq(q("SELECT updated_at FROM nodes"), FX_NOW);

	/* Another reason, the same team: assigned_at stays. */
	rs = expect("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":\"alpha\","
	    "\"reason\":\"ticket 12\"}", FX_NOW + HOUR, 200);
	ck_assert_str_eq(fx_str(rs.json, "assigned_at"), "2026-03-01T00:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "updated_at"), "2026-03-01T01:00:00Z");
	response_clear(&rs);
	ck_assert_int_eq(fx_audit_count(&F), n + 1);

	/* To beta: before and after in the audit entry. */
	rs = expect("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":\"beta\","
	    "\"reason\":\"moved\"}", FX_NOW + 2 * HOUR, 200);
	ck_assert_str_eq(fx_str(rs.json, "team"), "beta");
	ck_assert_str_eq(fx_str(rs.json, "assigned_at"), "2026-03-01T02:00:00Z");
	response_clear(&rs);
	d = audit_detail_last();
	ck_assert_str_eq(fx_str(d, "before.team"), "alpha");
	ck_assert_str_eq(fx_str(d, "before.reason"), "ticket 12");
	ck_assert_str_eq(fx_str(d, "after.team"), "beta");
	ck_assert_str_eq(fx_str(d, "after.reason"), "moved");
	json_decref(d);

	/* To none. */
	rs = expect("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":null,"
	    "\"reason\":\"drained\"}", FX_NOW + 3 * HOUR, 200);
	ck_assert(json_is_null(fx_at(rs.json, "team")));
	response_clear(&rs);
	rs = expect("GET", "/v1/pools/b1/nodes/gpu-01", auditor, NULL, 0, 200);
	ck_assert(json_is_null(fx_at(rs.json, "team")));
	ck_assert_str_eq(fx_str(rs.json, "reason"), "drained");
	ck_assert_str_eq(fx_str(rs.json, "assigned_at"), "2026-03-01T03:00:00Z");
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action = 'node.assign'"), 4);
	fx_audit_verify(&F);

	/* A node of the same name in another pool is another node. */
	expect_clear("PUT", "/v1/pools/h1/nodes/gpu-01", F.admin, "{\"team\":\"beta\","
	    "\"reason\":\"h1 rack\"}", FX_NOW, 200);
	ck_assert_int_eq(fx_count(&F, "nodes"), 2);
	/* Host names: upper case, dots and underscores. */
	expect_clear("PUT", "/v1/pools/b1/nodes/GPU_02.dc1.example", F.admin, "{\"team\":"
	    "\"alpha\",\"reason\":\"fqdn\"}", FX_NOW, 200);
	expect_clear("GET", "/v1/pools/b1/nodes/GPU_02.dc1.example", F.admin, NULL, 0, 200);
}
END_TEST

/* Refusals: each answered with its status and code, and nothing written. */
static const struct {
	const char *what, *method, *path, *token, *body;
	int status;
	const char *code;
} refusals[] = {
	{ "unknown pool", "PUT", "/v1/pools/nope/nodes/gpu-01", NULL,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 404, "not_found" },
	{ "unknown team", "PUT", "/v1/pools/b1/nodes/gpu-01", NULL,
	  "{\"team\":\"delta\",\"reason\":\"r\"}", 404, "not_found" },
	{ "node id with a slash-free space", "PUT", "/v1/pools/b1/nodes/gpu%2001", NULL,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 404, "not_found" },
	{ "node id beginning with a dot", "PUT", "/v1/pools/b1/nodes/.gpu", NULL,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 404, "not_found" },
	{ "node id of 64 characters", "PUT", "/v1/pools/b1/nodes/"
	  "a123456789012345678901234567890123456789012345678901234567890123", NULL,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 404, "not_found" },
	{ "pool id in upper case", "PUT", "/v1/pools/B1/nodes/gpu-01", NULL,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 404, "not_found" },
	{ "team left out", "PUT", "/v1/pools/b1/nodes/gpu-01", NULL,
	  "{\"reason\":\"r\"}", 400, "bad_request" },
	{ "reason left out", "PUT", "/v1/pools/b1/nodes/gpu-01", NULL,
	  "{\"team\":\"alpha\"}", 400, "bad_request" },
	{ "empty reason", "PUT", "/v1/pools/b1/nodes/gpu-01", NULL,
	  "{\"team\":\"alpha\",\"reason\":\"\"}", 400, "bad_request" },
	{ "team a number", "PUT", "/v1/pools/b1/nodes/gpu-01", NULL,
	  "{\"team\":7,\"reason\":\"r\"}", 400, "bad_request" },
	{ "unknown field", "PUT", "/v1/pools/b1/nodes/gpu-01", NULL,
	  "{\"team\":\"alpha\",\"reason\":\"r\",\"pool\":\"b1\"}", 400, "bad_request" },
	{ "no body", "PUT", "/v1/pools/b1/nodes/gpu-01", NULL, NULL, 415,
	  "unsupported_media_type" },
	{ "an auditor assigns", "PUT", "/v1/pools/b1/nodes/gpu-01", auditor,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 403, "forbidden" },
	{ "an agent assigns", "PUT", "/v1/pools/b1/nodes/gpu-01", agent_b1,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 403, "forbidden" },
	{ "a bound agent assigns its own node", "PUT", "/v1/pools/b1/nodes/gpu-01", bound,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 403, "forbidden" },
	{ "a team assigns", "PUT", "/v1/pools/b1/nodes/gpu-01", alpha_tok,
	  "{\"team\":\"alpha\",\"reason\":\"r\"}", 403, "forbidden" },
	{ "unknown node", "GET", "/v1/pools/b1/nodes/gpu-99", NULL, NULL, 404, "not_found" },
	{ "list of an unknown pool", "GET", "/v1/pools/nope/nodes", NULL, NULL, 404,
	  "not_found" },
	{ "list after a bad cursor", "GET", "/v1/pools/b1/nodes?after=a%20b", NULL, NULL, 400,
	  "bad_request" },
};

START_TEST(refused)
{
	char before[STATE_LEN], after[STATE_LEN];
	struct response rs;

	/* Something to leave as it is. */
	expect_clear("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":\"beta\","
	    "\"reason\":\"first\"}", FX_NOW, 200);
	state(before);
	rs = call(refusals[_i].method, refusals[_i].path, refusals[_i].token ?
	    refusals[_i].token : F.admin, refusals[_i].body, FX_NOW + HOUR);
	ck_assert_msg(rs.status == refusals[_i].status && strcmp(fx_code(&rs),
	    refusals[_i].code) == 0, "%s: %d %s: %s", refusals[_i].what, rs.status, fx_code(&rs),
	    fx_detail(&rs));
	response_clear(&rs);
	state(after);
	ck_assert_msg(strcmp(before, after) == 0, "%s changed something: %s -> %s",
	    refusals[_i].what, before, after);
	rs = expect("GET", "/v1/pools/b1/nodes/gpu-01", F.admin, NULL, 0, 200);
	ck_assert_str_eq(fx_str(rs.json, "team"), "beta");
	ck_assert_str_eq(fx_str(rs.json, "reason"), "first");
	response_clear(&rs);
}
END_TEST

/* Who reads a node: GET of gpu-01 (assigned) and gpu-02 (first seen), and the list. */
static const struct {
	const char *what, *path;
	int who;	/* 0 admin, 1 auditor, 2 alpha's team, 3 agent b1, 4 bound to gpu-01, 5 agent h1 */
	int status;
} readers[] = {
	{ "admin", "/v1/pools/b1/nodes/gpu-01", 0, 200 },
	{ "auditor", "/v1/pools/b1/nodes/gpu-01", 1, 200 },
	{ "team token", "/v1/pools/b1/nodes/gpu-01", 2, 403 },
	{ "agent of the pool", "/v1/pools/b1/nodes/gpu-01", 3, 200 },
	{ "agent of the pool, another node", "/v1/pools/b1/nodes/gpu-02", 3, 200 },
	{ "agent of the pool, an unknown node", "/v1/pools/b1/nodes/gpu-09", 3, 404 },
	{ "agent bound to the node", "/v1/pools/b1/nodes/gpu-01", 4, 200 },
	{ "agent bound to another node", "/v1/pools/b1/nodes/gpu-02", 4, 403 },
	{ "agent bound, an unknown node", "/v1/pools/b1/nodes/gpu-09", 4, 403 },
	{ "agent of another pool", "/v1/pools/b1/nodes/gpu-01", 5, 403 },
	{ "agent of another pool, its own pool's unknown node", "/v1/pools/h1/nodes/gpu-01", 5,
	  404 },
	{ "list: admin", "/v1/pools/b1/nodes", 0, 200 },
	{ "list: auditor", "/v1/pools/b1/nodes", 1, 200 },
	{ "list: team", "/v1/pools/b1/nodes", 2, 403 },
	{ "list: agent of the pool", "/v1/pools/b1/nodes", 3, 403 },
	{ "list: bound agent", "/v1/pools/b1/nodes", 4, 403 },
};

START_TEST(read_authz)
{
	const char *tokens[] = { F.admin, auditor, alpha_tok, agent_b1, bound, agent_h1 };
	struct response rs;

	expect_clear("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":\"alpha\","
	    "\"reason\":\"r\"}", FX_NOW, 200);
	/* gpu-02 appears by reporting. */
	expect_clear("POST", "/v1/usage", agent_b1, "{\"batch_id\":\"seen-1\",\"samples\":[{"
	    "\"pool\":\"b1\",\"team\":\"beta\",\"node\":\"gpu-02\",\"from\":\"2026-03-01T00:00:00Z\","
	    "\"to\":\"2026-03-01T01:00:00Z\",\"gpu_seconds\":3600}]}", LATER, 202);
	rs = call("GET", readers[_i].path, tokens[readers[_i].who], NULL, LATER);
	ck_assert_msg(rs.status == readers[_i].status, "%s: %d, want %d: %s", readers[_i].what,
	    rs.status, readers[_i].status, fx_detail(&rs));
	if (rs.status == 200 && strstr(readers[_i].path, "gpu-01"))
		ck_assert_str_eq(fx_str(rs.json, "team"), "alpha");
	if (rs.status == 200 && strstr(readers[_i].path, "gpu-02")) {
		ck_assert(json_is_null(fx_at(rs.json, "team")));
		ck_assert_str_eq(fx_str(rs.json, "reason"), "first seen");
		ck_assert_str_eq(fx_str(rs.json, "last_batch"), "seen-1");
	}
	response_clear(&rs);
}
END_TEST

START_TEST(list_pages)
{
	const char *names[] = { "n-03", "n-01", "N-00", "n-02", "n-04" };
	const char *order[] = { "N-00", "n-01", "n-02", "n-03", "n-04" };
	char path[160], body[128], after[64] = "";
	struct response rs;
	size_t seen = 0;
	json_t *it;
	size_t i;

	for (i = 0; i < NELEMS(names); i++) {
		snprintf(path, sizeof(path), "/v1/pools/b1/nodes/%s", names[i]);
		snprintf(body, sizeof(body), "{\"team\":%s,\"reason\":\"r%zu\"}",
		    i % 2 ? "\"alpha\"" : "null", i);
		expect_clear("PUT", path, F.admin, body, FX_NOW, 200);
	}
	/* A node of another pool is not listed. */
	expect_clear("PUT", "/v1/pools/h1/nodes/n-01", F.admin, "{\"team\":null,\"reason\":"
	    "\"r\"}", FX_NOW, 200);
	for (int page = 0; page < 3; page++) {
		if (after[0])
			snprintf(path, sizeof(path), "/v1/pools/b1/nodes?limit=2&after=%s", after);
		else
			snprintf(path, sizeof(path), "/v1/pools/b1/nodes?limit=2");
		rs = expect("GET", path, auditor, NULL, 0, 200);
		json_array_foreach(json_object_get(rs.json, "items"), i, it) {
			ck_assert_uint_lt(seen, NELEMS(order));
			ck_assert_str_eq(fx_str(it, "node"), order[seen]);
			ck_assert_str_eq(fx_str(it, "pool"), "b1");
			/* Every item says when it was last seen: never, here. */
			ck_assert(json_object_get(it, "last_seen_at") != NULL);
			ck_assert(json_is_null(json_object_get(it, "last_seen_at")));
			seen++;
		}
		if (json_is_string(json_object_get(rs.json, "next")))
			snprintf(after, sizeof(after), "%s", fx_str(rs.json, "next"));
		else
			after[0] = '\0';
		response_clear(&rs);
		if (after[0] == '\0')
			break;
	}
	ck_assert_uint_eq(seen, NELEMS(order));
	rs = expect("GET", "/v1/pools/h1/nodes", auditor, NULL, 0, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	response_clear(&rs);
}
END_TEST

/* ------------------------------------------------------------ tokens */

START_TEST(tokens_with_node)
{
	struct cmd_token_in in = { .db = F.path, .role = "agent", .name = "gpu-07 agent",
		.pool = "b1", .node = "gpu-07", .clock_file = NULL };
	char secret[TOKEN_SECRET_LEN + 1], err[CMD_ERRBUF];
	struct maint_notes notes;
	struct response rs;
	json_t *it;
	size_t i;
	bool found = false;

	/* The template's token shows its node in the list. */
	rs = expect("GET", "/v1/tokens?limit=1000", auditor, NULL, 0, 200);
	json_array_foreach(json_object_get(rs.json, "items"), i, it) {
		if (strcmp(fx_str(it, "id"), bound_id) == 0) {
			ck_assert_str_eq(fx_str(it, "node"), "gpu-01");
			found = true;
		} else {
			ck_assert_ptr_null(json_object_get(it, "node"));
		}
	}
	ck_assert(found);
	response_clear(&rs);
	/* Refused: a node for another role, a bad node, a node's agent with no pool. */
	expect_clear("POST", "/v1/tokens", F.admin, "{\"name\":\"x\",\"role\":\"auditor\","
	    "\"node\":\"gpu-01\"}", 0, 400);
	expect_clear("POST", "/v1/tokens", F.admin, "{\"name\":\"x\",\"role\":\"team\","
	    "\"team\":\"alpha\",\"node\":\"gpu-01\"}", 0, 400);
	expect_clear("POST", "/v1/tokens", F.admin, "{\"name\":\"x\",\"role\":\"agent\","
	    "\"pool\":\"b1\",\"node\":\"gpu 01\"}", 0, 400);
	expect_clear("POST", "/v1/tokens", F.admin, "{\"name\":\"x\",\"role\":\"agent\","
	    "\"node\":\"gpu-01\"}", 0, 400);
	expect_clear("POST", "/v1/tokens", F.admin, "{\"name\":\"x\",\"role\":\"agent\","
	    "\"pool\":\"zz\",\"node\":\"gpu-01\"}", 0, 404);
	/* Null is no node. */
	rs = expect("POST", "/v1/tokens", F.admin, "{\"name\":\"x\",\"role\":\"agent\","
	    "\"pool\":\"b1\",\"node\":null}", 0, 201);
	ck_assert_ptr_null(json_object_get(rs.json, "node"));
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT count(*) FROM tokens WHERE node IS NOT NULL"), 1);

	/* grantd token create --node, offline, audited. */
	ck_assert_int_eq(cmd_token_create(&in, secret, &notes, err, sizeof(err)), 0);
	ck_assert_int_eq(q("SELECT count(*) FROM tokens WHERE node = 'gpu-07' AND pool = 'b1' "
	    "AND role = 'agent'"), 1);
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action = 'token.create' AND "
	    "json_extract(detail, '$.node') = 'gpu-07'"), 1);
	/* It reads its own node only. */
	expect_clear("PUT", "/v1/pools/b1/nodes/gpu-07", F.admin, "{\"team\":\"alpha\","
	    "\"reason\":\"r\"}", 0, 200);
	expect_clear("PUT", "/v1/pools/b1/nodes/gpu-08", F.admin, "{\"team\":\"alpha\","
	    "\"reason\":\"r\"}", 0, 200);
	expect_clear("GET", "/v1/pools/b1/nodes/gpu-07", secret, NULL, 0, 200);
	expect_clear("GET", "/v1/pools/b1/nodes/gpu-08", secret, NULL, 0, 403);
	/* --node goes with an agent, and is a host name. */
	in.role = "auditor";
	in.pool = NULL;
	ck_assert_int_eq(cmd_token_create(&in, secret, &notes, err, sizeof(err)), 2);
	in.role = "agent";
	in.pool = "b1";
	in.node = "-gpu";
	ck_assert_int_eq(cmd_token_create(&in, secret, &notes, err, sizeof(err)), 2);
	ck_assert_int_eq(q("SELECT count(*) FROM tokens WHERE node IS NOT NULL"), 2);
}
END_TEST

/* Node ids are host names. */
START_TEST(node_pattern)
{
	static const struct {
		const char *s;
		bool ok;
	} c[] = {
		{ "a", true }, { "gpu-01", true }, { "GPU_01.dc.example", true }, { "9", true },
		{ "a123456789012345678901234567890123456789012345678901234567890ab", true },
		{ "a123456789012345678901234567890123456789012345678901234567890abc", false },
		{ "", false }, { "-a", false }, { ".a", false }, { "_a", false }, { "a b", false },
		{ "a/b", false }, { "a:b", false }, { "\xea\xb0\x80", false },
	};

	for (size_t i = 0; i < NELEMS(c); i++)
		ck_assert_msg(jv_valid_node(c[i].s) == c[i].ok, "\"%s\"", c[i].s);
}
END_TEST

/* ------------------------------------------------------------ samples */

static struct response
post_usage(const char *token, const char *batch, const char *samples, int64_t now)
{
	char *body;
	struct response rs;

	ck_assert_int_ge(asprintf(&body, "{\"batch_id\":\"%s\",\"samples\":[%s]}", batch,
	    samples), 0);
	rs = call("POST", "/v1/usage", token, body, now ? now : LATER);
	free(body);
	return rs;
}

/* A sample of alpha on b1 over 03-01 00:00-01:00, with extra fields (",..." or ""). */
#define S_ALPHA(gpu, extra) "{\"pool\":\"b1\",\"team\":\"alpha\",\"from\":" \
	"\"2026-03-01T00:00:00Z\",\"to\":\"2026-03-01T01:00:00Z\",\"gpu_seconds\":" gpu extra "}"

static const struct {
	const char *what, *samples;
	int status;
	const char *reason;	/* NULL: none expected */
	int64_t sample;		/* -1: none expected */
} bounds[] = {
	{ "busy below 0", S_ALPHA("3600", ",\"busy_gpu_seconds\":-1"), 400, "busy_out_of_range",
	  0 },
	{ "busy above gpu_seconds", S_ALPHA("3600", ",\"busy_gpu_seconds\":3601"), 400,
	  "busy_out_of_range", 0 },
	{ "util above gpu_seconds, second sample", S_ALPHA("3600", "") ","
	  S_ALPHA("3600", ",\"util_weighted_gpu_seconds\":3601"), 400, "util_out_of_range", 1 },
	{ "util below 0", S_ALPHA("3600", ",\"util_weighted_gpu_seconds\":-5"), 400,
	  "util_out_of_range", 0 },
	{ "energy below 0", S_ALPHA("3600", ",\"energy_j\":-1"), 400, "energy_out_of_range", 0 },
	{ "energy above 5000 J a GPU-second", S_ALPHA("3600", ",\"energy_j\":18000001"), 400,
	  "energy_out_of_range", 0 },
	{ "energy with no usage", S_ALPHA("0", ",\"energy_j\":1"), 400, "energy_out_of_range",
	  0 },
	{ "busy a fraction", S_ALPHA("3600", ",\"busy_gpu_seconds\":1.5"), 400, NULL, -1 },
	{ "busy a string", S_ALPHA("3600", ",\"busy_gpu_seconds\":\"10\""), 400, NULL, -1 },
	{ "energy beyond int64", S_ALPHA("3600", ",\"energy_j\":99999999999999999999"), 400,
	  NULL, -1 },
	{ "node not a host name", S_ALPHA("3600", ",\"node\":\"gpu 01\""), 400, NULL, -1 },
	{ "node beginning with '-'", S_ALPHA("3600", ",\"node\":\"-gpu\""), 400, NULL, -1 },
	{ "node a number", S_ALPHA("3600", ",\"node\":1"), 400, NULL, -1 },
	{ "unknown measurement", S_ALPHA("3600", ",\"power_w\":300"), 400, NULL, -1 },
	/* At the bounds: accepted. */
	{ "busy and util at gpu_seconds, energy at 5000 J/s", S_ALPHA("3600",
	  ",\"busy_gpu_seconds\":3600,\"util_weighted_gpu_seconds\":3600,\"energy_j\":18000000"),
	  202, NULL, -1 },
	{ "all zero", S_ALPHA("3600", ",\"busy_gpu_seconds\":0,\"util_weighted_gpu_seconds\":0,"
	  "\"energy_j\":0,\"node\":\"gpu-01\""), 202, NULL, -1 },
	{ "nulls are absent", S_ALPHA("3600", ",\"busy_gpu_seconds\":null,\"energy_j\":null,"
	  "\"node\":null"), 202, NULL, -1 },
	{ "whole reals", S_ALPHA("3600.0", ",\"busy_gpu_seconds\":1800.0,\"energy_j\":1e6"), 202,
	  NULL, -1 },
};

START_TEST(sample_bounds)
{
	char before[STATE_LEN], after[STATE_LEN];
	struct response rs;
	const json_t *v;

	state(before);
	rs = post_usage(F.admin, "bounds", bounds[_i].samples, 0);
	ck_assert_msg(rs.status == bounds[_i].status, "%s: %d: %s", bounds[_i].what, rs.status,
	    fx_detail(&rs));
	if (bounds[_i].reason)
		ck_assert_str_eq(fx_str(rs.json, "reason"), bounds[_i].reason);
	if (bounds[_i].sample >= 0) {
		v = json_object_get(rs.json, "sample");
		ck_assert_msg(json_integer_value(v) == bounds[_i].sample, "%s: sample %s",
		    bounds[_i].what, fx_detail(&rs));
	}
	/* A decoding error names the sample in its detail; a number beyond int64, the JSON. */
	if (rs.status == 400 && bounds[_i].sample < 0)
		ck_assert_msg(strstr(fx_detail(&rs), "samples[0].") != NULL ||
		    strstr(fx_detail(&rs), "too big integer") != NULL, "%s: %s",
		    bounds[_i].what, fx_detail(&rs));
	response_clear(&rs);
	state(after);
	if (bounds[_i].status != 202)
		ck_assert_msg(strcmp(before, after) == 0, "%s changed something: %s -> %s",
		    bounds[_i].what, before, after);
	else
		ck_assert_int_eq(fx_count(&F, "usage_batches"), 1);
}
END_TEST

START_TEST(bound_agent_samples)
{
	char before[STATE_LEN], after[STATE_LEN];
	struct response rs;

	/* Another node's sample, even beside its own: 403, nothing stored. */
	state(before);
	rs = post_usage(bound, "b-1", S_ALPHA("3600", ",\"node\":\"gpu-01\"") ","
	    S_ALPHA("3600", ",\"node\":\"gpu-02\""), 0);
	ck_assert_int_eq(rs.status, 403);
	ck_assert_str_eq(fx_str(rs.json, "reason"), "other_node");
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "sample")), 1);
	response_clear(&rs);
	/* Another pool's, with its node: still the pool's refusal. */
	rs = post_usage(bound, "b-1", "{\"pool\":\"h1\",\"team\":\"beta\",\"node\":\"gpu-01\","
	    "\"from\":\"2026-03-01T00:00:00Z\",\"to\":\"2026-03-01T01:00:00Z\","
	    "\"gpu_seconds\":60}", 0);
	ck_assert_int_eq(rs.status, 403);
	ck_assert_str_eq(fx_str(rs.json, "reason"), "other_pool");
	response_clear(&rs);
	state(after);
	ck_assert_str_eq(before, after);

	/* With no node, a sample is its node's. */
	rs = post_usage(bound, "b-2", S_ALPHA("3600", ",\"busy_gpu_seconds\":1800"), LATER);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT count(*) FROM nodes WHERE pool = 'b1' AND node = 'gpu-01' "
	    "AND team IS NULL AND reason = 'first seen' AND last_batch = 'b-2'"), 1);
	ck_assert_int_eq(q("SELECT last_seen_at FROM nodes"), LATER);
	/* Its own node, named: accepted. */
	rs = post_usage(bound, "b-3", S_ALPHA("60", ",\"node\":\"gpu-01\""), LATER + 10);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT last_seen_at FROM nodes"), LATER + 10);
	ck_assert_int_eq(fx_count(&F, "nodes"), 1);

	/* A token bound to no node reports for any node of its pool. */
	rs = post_usage(agent_b1, "u-1", S_ALPHA("60", ",\"node\":\"gpu-02\"") ","
	    S_ALPHA("60", ",\"node\":\"gpu-03\"") "," S_ALPHA("60", ""), LATER + 20);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "nodes"), 3);
	ck_assert_int_eq(q("SELECT count(*) FROM nodes WHERE last_batch = 'u-1' AND "
	    "last_seen_at = 1772668820"), 2);
}
END_TEST

/* ------------------------------------------------------------ digest */

/* The batch whose digest release af952d9 (before migration 15) stored. */
#define OLD_STYLE "{\"pool\":\"b1\",\"team\":\"alpha\",\"from\":\"2026-03-01T00:00:00Z\"," \
	"\"to\":\"2026-03-01T01:00:00Z\",\"gpu_seconds\":7200},{\"pool\":\"b1\",\"team\":" \
	"\"alpha\",\"from\":\"2026-03-01T01:30:00Z\",\"to\":\"2026-03-01T02:30:00Z\"," \
	"\"gpu_seconds\":3600}"
#define OLD_DIGEST "f5036802366493a94fb537898a86bdd10759bd7ae6871afb40a6a6c67f4f8419"

static void
digest_of(const char *batch_id, char out[INGEST_DIGEST_LEN + 1])
{
	sqlite3_stmt *st;

	out[0] = '\0';
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(F.app.r), "SELECT digest FROM "
	    "usage_batches WHERE batch_id = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, batch_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, INGEST_DIGEST_LEN + 1, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

START_TEST(digest_unchanged)
{
	char d[INGEST_DIGEST_LEN + 1], d2[INGEST_DIGEST_LEN + 1], sql[400];
	char before[STATE_LEN], after[STATE_LEN];
	struct response rs;

	/* An old-style batch hashes as it did before 015. */
	rs = post_usage(agent_b1, "old-style-1", OLD_STYLE, 0);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	digest_of("old-style-1", d);
	ck_assert_str_eq(d, OLD_DIGEST);

	/*
	 * A batch stored by the release before, under the admin's token: the
	 * agent's copy of it, sent now, is a repeat of it and adds nothing.
	 */
	snprintf(sql, sizeof(sql), "INSERT INTO usage_batches (token_id, batch_id, digest, "
	    "samples, flagged, gpu_seconds, received_at) VALUES ('%s', 'old-style-2', '%s', 2, "
	    "1, 10800, %lld)", F.admin_id, OLD_DIGEST, (long long)(LATER - DAY));
	fx_sql(&F, sql);
	state(before);
	rs = post_usage(agent_b1, "old-style-2", OLD_STYLE, 0);
	ck_assert_int_eq(rs.status, 202);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "accepted")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(rs.json, "flagged")), 1);
	response_clear(&rs);
	state(after);
	ck_assert_str_eq(before, after);

	/* Each new field counts: the same batch_id with any of them differs. */
	{
		static const char *const variants[] = {
			S_ALPHA("3600", ",\"node\":\"gpu-01\""),
			S_ALPHA("3600", ",\"node\":\"gpu-02\""),
			S_ALPHA("3600", ",\"busy_gpu_seconds\":10"),
			S_ALPHA("3600", ",\"busy_gpu_seconds\":11"),
			S_ALPHA("3600", ",\"util_weighted_gpu_seconds\":10"),
			S_ALPHA("3600", ",\"energy_j\":10"),
			S_ALPHA("3600", ",\"busy_gpu_seconds\":10,\"energy_j\":10"),
		};

		rs = post_usage(agent_b1, "v", S_ALPHA("3600", ""), 0);
		ck_assert_int_eq(rs.status, 202);
		response_clear(&rs);
		digest_of("v", d);
		for (size_t i = 0; i < NELEMS(variants); i++) {
			char id[16];

			rs = post_usage(agent_b1, "v", variants[i], 0);
			ck_assert_msg(rs.status == 409, "variant %zu: %d", i, rs.status);
			response_clear(&rs);
			/* Each is a batch of its own, with a digest of its own. */
			snprintf(id, sizeof(id), "v-%zu", i);
			rs = post_usage(agent_b1, id, variants[i], 0);
			ck_assert_int_eq(rs.status, 202);
			response_clear(&rs);
			digest_of(id, d2);
			ck_assert_str_ne(d, d2);
			/* Repeated as it was: the same batch. */
			rs = post_usage(F.admin, id, variants[i], 0);
			ck_assert_int_eq(rs.status, 202);
			response_clear(&rs);
			ck_assert_int_eq(q("SELECT count(*) FROM usage_batches WHERE batch_id LIKE "
			    "'v-%'"), (int64_t)i + 1);
		}
		ck_assert_int_eq(q("SELECT count(DISTINCT digest) FROM usage_batches WHERE "
		    "batch_id LIKE 'v%'"), (int64_t)NELEMS(variants) + 1);
	}
	/* A bound token's sample without its node is hashed as sent. */
	rs = post_usage(bound, "as-sent", S_ALPHA("3600", ""), 0);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	digest_of("as-sent", d2);
	ck_assert_str_eq(d, d2);
	rs = post_usage(F.admin, "as-sent", S_ALPHA("3600", ""), 0);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT count(*) FROM usage_batches WHERE batch_id = 'as-sent'"), 1);
}
END_TEST

/* ------------------------------------------------------------ last seen */

START_TEST(last_seen)
{
	char before[STATE_LEN], after[STATE_LEN];
	struct response rs;
	const json_t *it;
	size_t i;

	expect_clear("PUT", "/v1/pools/b1/nodes/gpu-01", F.admin, "{\"team\":\"alpha\","
	    "\"reason\":\"r\"}", FX_NOW, 200);
	rs = post_usage(F.admin, "s-1", S_ALPHA("60", ",\"node\":\"gpu-01\"") ","
	    S_ALPHA("60", ",\"node\":\"gpu-02\"") "," S_ALPHA("60", ",\"node\":\"gpu-01\""),
	    LATER);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	/* An assigned node keeps its team and reason; a new one is first seen. */
	rs = expect("GET", "/v1/pools/b1/nodes", auditor, NULL, 0, 200);
	ck_assert_uint_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	json_array_foreach(json_object_get(rs.json, "items"), i, it) {
		ck_assert_str_eq(fx_str(it, "last_seen_at"), "2026-03-05T00:00:00Z");
		ck_assert_str_eq(fx_str(it, "last_batch"), "s-1");
	}
	it = json_array_get(json_object_get(rs.json, "items"), 0);
	ck_assert_str_eq(fx_str(it, "team"), "alpha");
	ck_assert_str_eq(fx_str(it, "reason"), "r");
	ck_assert_str_eq(fx_str(it, "updated_at"), "2026-03-01T00:00:00Z");
	it = json_array_get(json_object_get(rs.json, "items"), 1);
	ck_assert(json_is_null(json_object_get(it, "team")));
	ck_assert_str_eq(fx_str(it, "reason"), "first seen");
	ck_assert_str_eq(fx_str(it, "assigned_at"), "2026-03-05T00:00:00Z");
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT count(*) FROM audit WHERE action = 'node.assign'"), 1);

	/* A later batch moves only its own nodes' marks. */
	rs = post_usage(F.admin, "s-2", S_ALPHA("60", ",\"node\":\"gpu-02\""), LATER + HOUR);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT last_seen_at FROM nodes WHERE node = 'gpu-01'"), LATER);
	ck_assert_int_eq(q("SELECT last_seen_at FROM nodes WHERE node = 'gpu-02'"), LATER + HOUR);
	/* A repeat adds nothing, marks included; a refusal too. */
	state(before);
	rs = post_usage(F.admin, "s-1", S_ALPHA("60", ",\"node\":\"gpu-01\"") ","
	    S_ALPHA("60", ",\"node\":\"gpu-02\"") "," S_ALPHA("60", ",\"node\":\"gpu-01\""),
	    LATER + 2 * HOUR);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	rs = post_usage(F.admin, "s-3", S_ALPHA("60", ",\"node\":\"gpu-04\"") ","
	    S_ALPHA("60", ",\"node\":\"gpu-01\",\"busy_gpu_seconds\":61"), LATER + 2 * HOUR);
	ck_assert_int_eq(rs.status, 400);
	response_clear(&rs);
	state(after);
	ck_assert_str_eq(before, after);
	/* The node seen last is the last sample's pool's: another pool's node is its own. */
	rs = post_usage(agent_h1, "s-4", "{\"pool\":\"h1\",\"team\":\"beta\",\"node\":\"gpu-01\","
	    "\"from\":\"2026-03-01T00:00:00Z\",\"to\":\"2026-03-01T01:00:00Z\","
	    "\"gpu_seconds\":60}", LATER + 3 * HOUR);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	ck_assert_int_eq(q("SELECT last_seen_at FROM nodes WHERE pool = 'b1' AND "
	    "node = 'gpu-01'"), LATER);
	ck_assert_int_eq(q("SELECT last_seen_at FROM nodes WHERE pool = 'h1' AND "
	    "node = 'gpu-01'"), LATER + 3 * HOUR);
}
END_TEST

/* ------------------------------------------------------------ measured sums */

/* The quota of team at `at` (an RFC 3339 instant), parsed. */
static json_t *
quota_at(const char *team, const char *at)
{
	char path[160];
	struct response rs;
	json_t *j;

	snprintf(path, sizeof(path), "/v1/teams/%s/quota?phase=ph&at=%s", team, at);
	rs = call("GET", path, F.admin, NULL, LATER);
	ck_assert_msg(rs.status == 200, "%s: %d", path, rs.status);
	ck_assert_ptr_nonnull(rs.text);
	j = json_loads(rs.text, 0, NULL);
	ck_assert_ptr_nonnull(j);
	response_clear(&rs);
	return j;
}

static json_t *
report_at(const char *at)
{
	char path[160];
	struct response rs;
	json_t *j;

	snprintf(path, sizeof(path), "/v1/phases/ph/fairness?at=%s", at);
	rs = call("GET", path, auditor, NULL, LATER);
	ck_assert_msg(rs.status == 200, "%s: %d", path, rs.status);
	j = json_incref(rs.json);
	response_clear(&rs);
	return j;
}

static const json_t *
report_row(const json_t *rep, const char *team)
{
	const json_t *row;
	size_t i;

	json_array_foreach(json_object_get(rep, "teams"), i, row)
		if (strcmp(fx_str(row, "team"), team) == 0)
			return row;
	ck_abort_msg("no row of %s", team);
	return NULL;
}

static void
check_measured(const json_t *m, const int64_t want[4], const char *what)
{
	static const char *const keys[] = { "gpu_seconds", "busy_gpu_seconds",
		"util_weighted_gpu_seconds", "energy_j" };

	if (want[0] == 0 && want[1] == 0 && want[2] == 0 && want[3] == 0) {
		ck_assert_msg(m == NULL, "%s: measured given where nothing was measured", what);
		return;
	}
	ck_assert_msg(json_is_object(m) && json_object_size(m) == 4, "%s: no measured", what);
	for (int k = 0; k < 4; k++) {
		const json_t *v = json_object_get(m, keys[k]);

		ck_assert_msg(json_is_integer(v) && json_integer_value(v) == want[k],
		    "%s: %s is %lld, want %lld", what, keys[k], (long long)json_integer_value(v),
		    (long long)want[k]);
	}
}

START_TEST(measured_sums)
{
	/*
	 * alpha on b1: a measured sample across two hours (00:30-01:30, 7200
	 * GPU-s, busy 3601, util 1999, 1 000 001 J), one unmeasured, and one
	 * measured on h1 where it holds no grant (not its enrollment's).
	 * Hours that begin before 01:00 take the first half of each.
	 */
	const char *samples =
	    "{\"pool\":\"b1\",\"team\":\"alpha\",\"node\":\"gpu-01\",\"from\":"
	    "\"2026-03-01T00:30:00Z\",\"to\":\"2026-03-01T01:30:00Z\",\"gpu_seconds\":7200,"
	    "\"busy_gpu_seconds\":3601,\"util_weighted_gpu_seconds\":1999,\"energy_j\":1000001},"
	    "{\"pool\":\"b1\",\"team\":\"alpha\",\"from\":\"2026-03-01T02:00:00Z\",\"to\":"
	    "\"2026-03-01T03:00:00Z\",\"gpu_seconds\":3600},"
	    "{\"pool\":\"h1\",\"team\":\"alpha\",\"from\":\"2026-03-01T02:00:00Z\",\"to\":"
	    "\"2026-03-01T03:00:00Z\",\"gpu_seconds\":60,\"energy_j\":100}";
	const int64_t none[4] = { 0, 0, 0, 0 }, half[4] = { 3600, 1800, 999, 500000 };
	const int64_t all[4] = { 7200, 3601, 1999, 1000001 };
	struct response rs;
	json_t *j, *rep;
	char *csv = NULL;
	size_t len;

	rs = post_usage(F.admin, "m-1", samples, 0);
	ck_assert_int_eq(rs.status, 202);
	response_clear(&rs);
	/* The hours, as stored. */
	ck_assert_int_eq(q("SELECT measured_seconds FROM usage_hourly WHERE pool = 'b1' AND "
	    "hour = 1772323200"), 3600);
	ck_assert_int_eq(q("SELECT energy_j FROM usage_hourly WHERE pool = 'b1' AND "
	    "hour = 1772326800"), 500001);
	ck_assert_int_eq(q("SELECT count(*) FROM usage_hourly WHERE pool = 'b1' AND "
	    "hour = 1772330400 AND measured_seconds = 0 AND gpu_seconds = 3600"), 1);

	j = quota_at("alpha", "2026-03-01T00:00:00Z");
	check_measured(json_object_get(j, "measured"), none, "quota at 00:00");
	json_decref(j);
	j = quota_at("alpha", "2026-03-01T00:00:01Z");
	check_measured(json_object_get(j, "measured"), half, "quota at 00:00:01");
	json_decref(j);
	j = quota_at("alpha", "2026-03-01T01:00:00Z");
	check_measured(json_object_get(j, "measured"), half, "quota at 01:00");
	json_decref(j);
	j = quota_at("alpha", "2026-03-02T00:00:00Z");
	check_measured(json_object_get(j, "measured"), all, "quota at 03-02");
	json_decref(j);
	j = quota_at("beta", "2026-03-02T00:00:00Z");
	check_measured(json_object_get(j, "measured"), none, "beta's quota");
	json_decref(j);

	rep = report_at("2026-03-01T01:00:00Z");
	check_measured(json_object_get(report_row(rep, "alpha"), "measured"), half,
	    "report at 01:00");
	json_decref(rep);
	rep = report_at("2026-03-02T00:00:00Z");
	check_measured(json_object_get(report_row(rep, "alpha"), "measured"), all,
	    "report at 03-02");
	check_measured(json_object_get(report_row(rep, "beta"), "measured"), none,
	    "beta's row");
	ck_assert_ptr_nonnull(json_object_get(json_object_get(rep, "definitions"), "measured"));
	/* The CSV: alpha's row ends with the four sums, beta's with none. */
	ck_assert_int_eq(report_csv(rep, &csv, &len), 0);
	ck_assert_msg(strstr(csv, ",measured_gpu_seconds,measured_busy_gpu_seconds,"
	    "measured_util_weighted_gpu_seconds,measured_energy_j\r\n") != NULL, "%s", csv);
	ck_assert_msg(strstr(csv, ",7200,3601,1999,1000001\r\n") != NULL, "%s", csv);
	ck_assert_msg(strstr(csv, ",,,,\r\nbeta,") != NULL || strstr(csv, "\r\nbeta,") != NULL,
	    "%s", csv);
	free(csv);
	json_decref(rep);
}
END_TEST

/*
 * Seeded random batches against a brute-force sum: samples of alpha and
 * beta on b1 and h1 (alpha holds nothing on h1: its usage there is no
 * enrollment's), some measured and some not, spread over the window and
 * posted in a few batches; then quota and report at random instants must
 * give each team's measured sums as the samples' own fields say: for the
 * hours that begin before at, a sample contributes
 * floor(v x (min(to, cut) - from) / (to - from)) of each of its values v,
 * cut being the end of the last hour that begins before at.
 */
#define R_SAMPLES 60
#define R_BATCHES 4
#define R_INSTANTS 6

struct rsample {
	int team;		/* 0 alpha, 1 beta */
	int pool;		/* 0 b1, 1 h1 */
	int64_t from, to, gpu, v[3];	/* v: busy, util, energy */
	unsigned meas;		/* 1 busy, 2 util, 4 energy */
};

static int64_t
hour_ceil(int64_t t)
{
	return (t + HOUR - 1) / HOUR * HOUR;
}

/* What the team's enrollment measured in the hours that begin before at. */
static void
brute_measured(const struct rsample *s, size_t n, int team, int64_t at, int64_t out[4])
{
	int64_t cut = hour_ceil(at);

	memset(out, 0, 4 * sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		int64_t upto, len = s[i].to - s[i].from;

		/* Only usage with a grant behind it is the enrollment's. */
		if (s[i].team != team || s[i].meas == 0 || (team == 0 && s[i].pool == 1))
			continue;
		upto = cut < s[i].to ? cut : s[i].to;
		if (upto <= s[i].from)
			continue;
		out[0] += (int64_t)((__int128)s[i].gpu * (upto - s[i].from) / len);
		for (int k = 0; k < 3; k++)
			if (s[i].meas & (1u << k))
				out[k + 1] += (int64_t)((__int128)s[i].v[k] * (upto - s[i].from) / len);
	}
}

START_TEST(random_batches)
{
	static const char *const teams[] = { "alpha", "beta" }, *const pools[] = { "b1", "h1" };
	static const char *const keys[] = { "busy_gpu_seconds", "util_weighted_gpu_seconds",
		"energy_j" };
	struct rsample s[R_SAMPLES];
	uint64_t seed = brute_seed(), rs = seed;
	char *body = NULL, a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN];
	size_t len = 0, cap = 0;
	int64_t measured = 0, split = 0;

	for (int i = 0; i < R_SAMPLES; i++) {
		struct rsample *x = &s[i];
		int64_t secs;

		x->team = (int)brute_range(&rs, 0, 1);
		x->pool = (int)brute_range(&rs, 0, 1);
		/* Within the window, on the minute or not, up to a day long. */
		x->from = FX_NOW + brute_range(&rs, 0, 3 * DAY);
		if (brute_range(&rs, 0, 1))
			x->from -= x->from % 60;
		secs = brute_range(&rs, 1, brute_range(&rs, 0, 3) ? 2 * HOUR : DAY);
		x->to = x->from + secs;
		/* Up to all 16 cards of the pool: some above the grant, flagged, still summed. */
		x->gpu = brute_range(&rs, 0, brute_range(&rs, 0, 1) ? 4 * secs : 16 * secs);
		x->meas = (unsigned)brute_range(&rs, 0, 7);
		if (brute_range(&rs, 0, 3) == 0)
			x->meas = 0;
		x->v[0] = brute_range(&rs, 0, x->gpu);
		x->v[1] = brute_range(&rs, 0, x->v[0]);
		x->v[2] = brute_range(&rs, 0, brute_range(&rs, 0, 1) ? x->gpu * 5000 : x->gpu * 700);
		measured += x->meas != 0;
		split += x->meas != 0 && x->from / HOUR != (x->to - 1) / HOUR;
	}
	for (int bt = 0; bt < R_BATCHES; bt++) {
		struct response r;

		len = 0;
		for (int i = bt; i < R_SAMPLES; i += R_BATCHES) {
			char one[600];
			size_t o;

			civil_format_instant(s[i].from, a);
			civil_format_instant(s[i].to, b);
			o = (size_t)snprintf(one, sizeof(one), "%s{\"pool\":\"%s\",\"team\":\"%s\","
			    "\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%" PRId64, len ? "," : "",
			    pools[s[i].pool], teams[s[i].team], a, b, s[i].gpu);
			if (i % 3 == 0)
				o += (size_t)snprintf(one + o, sizeof(one) - o, ",\"node\":\"n-%d\"",
				    i % 7);
			for (int k = 0; k < 3; k++)
				if (s[i].meas & (1u << k))
					o += (size_t)snprintf(one + o, sizeof(one) - o, ",\"%s\":%" PRId64,
					    keys[k], s[i].v[k]);
			snprintf(one + o, sizeof(one) - o, "}");
			if (len + strlen(one) + 1 > cap) {
				cap = (len + strlen(one) + 1) * 2;
				ck_assert_ptr_nonnull(body = realloc(body, cap));
			}
			memcpy(body + len, one, strlen(one) + 1);
			len += strlen(one);
		}
		snprintf(a, sizeof(a), "rand-%d", bt);
		r = post_usage(F.admin, a, body, FX_NOW + 10 * DAY);
		BRUTE_CHECK(r.status == 202, "seed %llu: batch %d: %d %s", (unsigned long long)seed,
		    bt, r.status, fx_detail(&r));
		response_clear(&r);
	}
	free(body);
	for (int k = 0; k < R_INSTANTS; k++) {
		int64_t at = k == R_INSTANTS - 1 ? FX_NOW + 10 * DAY :
		    FX_NOW + brute_range(&rs, -HOUR, 4 * DAY);
		json_t *rep;

		/* Half of them on an hour: the hour that begins at `at` is not counted. */
		if (k % 2)
			at -= at % HOUR;
		civil_format_instant(at, a);
		rep = report_at(a);
		for (int t = 0; t < 2; t++) {
			int64_t want[4];
			json_t *qj = quota_at(teams[t], a);
			char what[160];

			brute_measured(s, R_SAMPLES, t, at, want);
			snprintf(what, sizeof(what), "seed %llu: %s's quota at %s",
			    (unsigned long long)seed, teams[t], a);
			check_measured(json_object_get(qj, "measured"), want, what);
			snprintf(what, sizeof(what), "seed %llu: %s's report row at %s",
			    (unsigned long long)seed, teams[t], a);
			check_measured(json_object_get(report_row(rep, teams[t]), "measured"), want,
			    what);
			json_decref(qj);
		}
		json_decref(rep);
	}
	ck_assert_msg(measured > R_SAMPLES / 2 && split > 5, "seed %llu: too little exercised: "
	    "%lld measured, %lld across hours", (unsigned long long)seed, (long long)measured,
	    (long long)split);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_nodes");
	TCase *tc = tcase_create("nodes");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, assign_and_audit);
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));
	tcase_add_loop_test(tc, read_authz, 0, (int)NELEMS(readers));
	tcase_add_test(tc, list_pages);
	tcase_add_test(tc, tokens_with_node);
	tcase_add_test(tc, node_pattern);
	tcase_add_loop_test(tc, sample_bounds, 0, (int)NELEMS(bounds));
	tcase_add_test(tc, bound_agent_samples);
	tcase_add_test(tc, digest_unchanged);
	tcase_add_test(tc, last_seen);
	tcase_add_test(tc, measured_sums);
	tcase_add_test(tc, random_batches);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
