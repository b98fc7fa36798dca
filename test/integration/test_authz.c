/* test_authz.c: the authorization matrix, every route x every role, on the real binary. */
#include <check.h>
#include <curl/curl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/*
 * Roles (columns).  "own" is the team (or pool) the row's resource belongs
 * to; "other" is another team (or pool).  Expected statuses follow the
 * contract (docs/api-v1.md, "Auth") and the additions docs/api-notes.md
 * documents: a team token also reads the catalogue (card models,
 * programmes, phases, suppliers, organisations) and voids its own team's
 * holds; an agent token also reads card models; auditors list tokens.
 * GET /metrics is public (server.metrics_require_auth = false, the
 * default).
 *
 * Beyond the status, every 200 a team token gets is checked for leaks: it
 * must not name another team of the fixture (lists are narrowed to the
 * token's team).
 */
enum role { A, U, TO, TX, GO, GX, N, B, NROLES };
static const char *const role_name[NROLES] = { "admin", "auditor", "team-own", "team-other",
	"agent-own-pool", "agent-other-pool", "no-token", "bad-token" };
/* Valid in ids: the %R of a row. */
static const char *const role_id[NROLES] = { "admin", "auditor", "teamown", "teamother",
	"agentown", "agentother", "none", "bad" };

struct row {
	const char *method, *path, *body;
	int want[NROLES];
	const char *own;	/* the owning team, when not alpha */
};

/* Common columns. */
#define ADMIN_ONLY(s)	{ s, 403, 403, 403, 403, 403, 401, 401 }
#define AUDITORS	{ 200, 200, 403, 403, 403, 403, 401, 401 }
#define OWN_TEAM	{ 200, 200, 200, 403, 403, 403, 401, 401 }
#define ANY_TEAM	{ 200, 200, 200, 200, 403, 403, 401, 401 }
#define ANY_TOKEN	{ 200, 200, 200, 200, 200, 200, 401, 401 }
#define PUBLIC		{ 200, 200, 200, 200, 200, 200, 200, 200 }

/*
 * Placeholders, filled per cell: %R the role's id (so that creates by
 * different roles never collide), {GRANT} alpha's placed grant, {XGRANT} a
 * grant of alpha's added by hand (released by the admin), {HOLD} a pending
 * hold of alpha's, {SHOLD} and {VHOLD} a pending hold of alpha's for this
 * cell alone (settle, void), {STL} a settlement of alpha's, {TOKEN} a spare
 * token id (revoked by the admin), {ROTATE} a live token made to be rotated
 * (by the admin: no cell uses its secret), {OUTAGE} a spare outage
 * (corrected, then cancelled, by the admin).  Within a row the admin's cell
 * runs last, so a change it makes cannot decide another cell.
 */
static const struct row rows[] = {
	{ "GET", "/v1/health", NULL, PUBLIC, NULL },
	{ "GET", "/metrics", NULL, PUBLIC, NULL },

	{ "POST", "/v1/tokens", "{\"name\":\"t-%R\",\"role\":\"auditor\"}", ADMIN_ONLY(201),
	    NULL },
	{ "GET", "/v1/tokens", NULL, AUDITORS, NULL },
	{ "DELETE", "/v1/tokens/{TOKEN}", NULL, ADMIN_ONLY(204), NULL },
	{ "POST", "/v1/tokens/{ROTATE}/rotate", "{\"grace_seconds\":3600}", ADMIN_ONLY(200),
	    NULL },

	{ "PUT", "/v1/card-models/X%R", "{\"weight\":0.25}", ADMIN_ONLY(200), NULL },
	{ "GET", "/v1/card-models", NULL, ANY_TOKEN, NULL },
	{ "GET", "/v1/card-models/B200", NULL, ANY_TOKEN, NULL },

	{ "POST", "/v1/programs", "{\"id\":\"prog-%R\",\"name\":\"P\",\"timezone\":\"UTC\"}",
	    ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/programs", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/programs/prog", NULL, ANY_TEAM, NULL },
	{ "POST", "/v1/programs/prog/phases", "{\"id\":\"ph-%R\",\"name\":\"P\",\"starts_on\":"
	    "\"2027-01-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\",\"cards\":8,"
	    "\"voucher_krw\":1000}}", ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/programs/prog/phases", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/phases/ph", NULL, ANY_TEAM, NULL },

	{ "POST", "/v1/teams", "{\"id\":\"t-%R\",\"name\":\"T\",\"lead_org\":\"O\"}",
	    ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/teams", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/teams/alpha", NULL, OWN_TEAM, NULL },

	/*
	 * Organisations (issue 16): the fixture's acme (merged into by the
	 * admin, from acme-dup), partner (added to alpha) and former-partner
	 * (a member of alpha since February, removed).  acme is in no team, so
	 * a team token's 200 names none.
	 */
	{ "POST", "/v1/organisations", "{\"id\":\"org-%R\",\"name_en\":\"Organisation %R\"}",
	    ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/organisations", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/organisations?name=ACME%20%20research", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/organisations/acme", NULL, ANY_TEAM, NULL },
	{ "PATCH", "/v1/organisations/acme", "{\"add_aliases\":[\"Acme %R\"],\"reason\":\"%R\"}",
	    ADMIN_ONLY(200), NULL },
	{ "POST", "/v1/organisations/acme/merge", "{\"from\":\"acme-dup\",\"reason\":\"%R\"}",
	    ADMIN_ONLY(200), NULL },
	{ "POST", "/v1/teams/alpha/members", "{\"org\":\"Partner Lab\",\"role\":\"partner\","
	    "\"reason\":\"%R\"}", ADMIN_ONLY(201), NULL },
	{ "DELETE", "/v1/teams/alpha/members/former-partner", "{\"reason\":\"%R\"}",
	    ADMIN_ONLY(200), NULL },

	{ "POST", "/v1/pools", "{\"id\":\"p-%R\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":8}", ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/pools", NULL, AUDITORS, NULL },
	{ "GET", "/v1/pools/pool-a", NULL, AUDITORS, NULL },
	{ "POST", "/v1/pools/pool-a/outages", "{\"from\":\"2026-06-01T00:00:00Z\",\"to\":"
	    "\"2026-06-02T00:00:00Z\",\"cards\":1,\"reason\":\"%R\"}", ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/pools/pool-a/outages", NULL, AUDITORS, NULL },
	{ "PATCH", "/v1/outages/{OUTAGE}", "{\"cards\":1,\"reason\":\"%R\"}", ADMIN_ONLY(200),
	    NULL },
	{ "DELETE", "/v1/outages/{OUTAGE}", "{\"reason\":\"%R\"}", ADMIN_ONLY(200), NULL },
	{ "GET", "/v1/pools/pool-a/timeline?from=2026-03-01T00:00:00Z&to=2026-05-01T00:00:00Z",
	    NULL, AUDITORS, NULL },
	/*
	 * GPU nodes (issue 18): the fixture's gpu-01 of pool-a serves alpha.  An
	 * agent token reads the nodes of its own pool (none of these is bound
	 * to a node; test_routes_nodes has the bound ones).
	 */
	{ "PUT", "/v1/pools/pool-a/nodes/n-%R", "{\"team\":\"alpha\",\"reason\":\"%R\"}",
	    ADMIN_ONLY(200), NULL },
	{ "GET", "/v1/pools/pool-a/nodes/gpu-01", NULL, { 200, 200, 403, 403, 200, 403, 401, 401 },
	    NULL },
	{ "GET", "/v1/pools/pool-a/nodes", NULL, AUDITORS, NULL },

	{ "POST", "/v1/phases/ph/enrollments", "{\"team\":\"epsilon\",\"dry_run\":false}",
	    ADMIN_ONLY(201), "epsilon" },
	{ "GET", "/v1/phases/ph/enrollments", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/phases/ph/enrollments/alpha", NULL, OWN_TEAM, NULL },

	{ "POST", "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"alpha\"},"
	    "\"pool\":\"pool-b\",\"cards\":1,\"start\":\"2026-05-01T00:00:00Z\",\"end\":"
	    "\"2026-05-02T00:00:00Z\",\"override\":{\"reason\":\"matrix %R\"}}",
	    ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/grants", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/grants?team=alpha", NULL, OWN_TEAM, NULL },
	{ "GET", "/v1/grants/{GRANT}", NULL, OWN_TEAM, NULL },

	{ "POST", "/v1/suppliers", "{\"id\":\"s-%R\",\"name\":\"S\",\"org\":\"Org %R\"}",
	    ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/suppliers", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/suppliers/sup", NULL, ANY_TEAM, NULL },

	{ "GET", "/v1/teams/alpha/vouchers", NULL, OWN_TEAM, NULL },
	{ "POST", "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\",\"supplier\":"
	    "\"sup\",\"amount_krw\":10,\"memo\":\"%R\"}",
	    { 201, 403, 201, 403, 403, 403, 401, 401 }, NULL },
	{ "GET", "/v1/vouchers/holds", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/vouchers/holds?team=alpha", NULL, OWN_TEAM, NULL },
	{ "GET", "/v1/vouchers/holds/{HOLD}", NULL, OWN_TEAM, NULL },
	{ "POST", "/v1/vouchers/holds/{SHOLD}/settle", "{}", ADMIN_ONLY(200), NULL },
	{ "POST", "/v1/vouchers/holds/{VHOLD}/void", "{\"reason\":\"%R\"}",
	    { 200, 403, 200, 403, 403, 403, 401, 401 }, NULL },
	{ "POST", "/v1/vouchers/settlements/{STL}/refund", "{\"amount_krw\":1,\"reason\":\"%R\"}",
	    ADMIN_ONLY(200), NULL },
	{ "GET", "/v1/vouchers/transfers", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/vouchers/transfers?team=alpha", NULL, OWN_TEAM, NULL },
	{ "GET", "/v1/vouchers/verify", NULL, AUDITORS, NULL },

	{ "POST", "/v1/usage", "{\"batch_id\":\"b-%R\",\"samples\":[{\"pool\":\"pool-a\","
	    "\"team\":\"alpha\",\"from\":\"2026-03-01T00:00:00Z\",\"to\":"
	    "\"2026-03-01T01:00:00Z\",\"gpu_seconds\":60}]}",
	    { 202, 403, 403, 403, 202, 403, 401, 401 }, NULL },
	{ "GET", "/v1/teams/alpha/quota?phase=ph", NULL, OWN_TEAM, NULL },
	{ "GET", "/v1/phases/ph/fairness", NULL, AUDITORS, NULL },
	/* Teams only with programme.team_phase_summary, off here as by default. */
	{ "GET", "/v1/phases/ph/summary", NULL, AUDITORS, NULL },
	{ "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-15\",\"reason\":"
	    "\"matrix %R\",\"results\":[{\"team\":\"alpha\",\"decision\":\"advance\"}]}",
	    ADMIN_ONLY(201), NULL },
	{ "GET", "/v1/phases/ph/evaluations", NULL, AUDITORS, NULL },

	{ "GET", "/v1/audit", NULL, AUDITORS, NULL },
	{ "GET", "/v1/audit/verify", NULL, AUDITORS, NULL },
	{ "GET", "/v1/events", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/events?team=alpha", NULL, OWN_TEAM, NULL },
	/* A stream's 200 never ends: its cell reads for STREAM_CELL_MS (stream_req). */
	{ "GET", "/v1/events/stream", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/events/stream?team=alpha", NULL, OWN_TEAM, NULL },

	/* Webhooks: another team's is 404 (as if none), not 403. */
	{ "POST", "/v1/webhooks", "{\"url\":\"https://hooks.example/%R\",\"types\":[\"*\"],"
	    "\"team\":\"alpha\"}", { 201, 403, 201, 403, 403, 403, 401, 401 }, NULL },
	{ "GET", "/v1/webhooks", NULL, ANY_TEAM, NULL },
	{ "GET", "/v1/webhooks/{WEBHOOK}", NULL, { 200, 200, 200, 404, 403, 403, 401, 401 }, NULL },
	{ "GET", "/v1/webhooks/{WEBHOOK}/deliveries", NULL,
	    { 200, 200, 200, 404, 403, 403, 401, 401 }, NULL },
	{ "POST", "/v1/webhooks/{WEBHOOK}/test", NULL, { 202, 403, 202, 404, 403, 403, 401, 401 },
	    NULL },
	/* The team's own cell deletes it first: the admin's, last, finds none. */
	{ "DELETE", "/v1/webhooks/{XWEBHOOK}", NULL, { 404, 403, 204, 404, 403, 403, 401, 401 },
	    NULL },

	/* Changes that end things come last, each on a team of its own. */
	{ "POST", "/v1/phases/ph/extend", "{\"days\":1,\"reason\":\"%R\"}", ADMIN_ONLY(200),
	    NULL },
	{ "POST", "/v1/phases/ph/compensate", "{\"dry_run\":true}", ADMIN_ONLY(200), NULL },
	{ "POST", "/v1/grants/{XGRANT}/release", "{\"at\":\"2026-04-05T12:00:00Z\","
	    "\"reason\":\"%R\"}", ADMIN_ONLY(200), NULL },
	{ "POST", "/v1/phases/ph/enrollments/gamma/eliminate", "{\"effective_on\":\"2026-03-20\","
	    "\"reason\":\"%R\"}", ADMIN_ONLY(200), "gamma" },
	{ "POST", "/v1/phases/ph/enrollments/delta/withdraw", "{\"effective_on\":\"2026-03-20\","
	    "\"reason\":\"%R\"}", ADMIN_ONLY(200), "delta" },
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))
static const char *const teams[] = { "alpha", "beta", "gamma", "delta", "epsilon" };
#define NTEAMS (sizeof(teams) / sizeof(teams[0]))

/* The fixture. */
static struct {
	char *team_tok[NTEAMS], *auditor, *agent_a, *agent_b;
	char grant[32], xgrant[32], hold[32], stl[32], token[40], outage[32];
	char webhook[32], xwebhook[32];	/* alpha's webhooks: one to read, one to delete */
	char rotate[40], rotate_secret[64];	/* the token {ROTATE}, its first secret */
	char shold[NROLES][32], vhold[NROLES][32];
} fx;

static json_t *
must(struct harness *h, const char *method, const char *path, const char *body, long want)
{
	struct hresp r = h_req(h, method, path, h->admin, body, NULL);
	json_t *j;

	ck_assert_msg(r.status == want, "fixture %s %s: %ld, want %ld: %s", method, path,
	    r.status, want, r.body);
	j = json_incref(r.json);
	hresp_free(&r);
	return j;
}

static void
must_id(struct harness *h, const char *path, const char *body, const char *key, char *out,
    size_t len)
{
	json_t *j = must(h, "POST", path, body, 201);
	const char *s = json_string_value(json_object_get(j, key));

	ck_assert_ptr_nonnull(s);
	snprintf(out, len, "%s", s);
	json_decref(j);
}

static void
hold(struct harness *h, const char *team, char *out, size_t len)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"team\":\"%s\",\"phase\":\"ph\",\"supplier\":\"sup\","
	    "\"amount_krw\":100}", team);
	must_id(h, "/v1/vouchers/holds", body, "id", out, len);
}

static void
fixture(struct harness *h)
{
	char body[512];
	json_t *j;

	h_clock(h, "2026-03-02T00:00:00Z");
	json_decref(must(h, "POST", "/v1/programs", "{\"id\":\"prog\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}", 201));
	json_decref(must(h, "POST", "/v1/programs/prog/phases", "{\"id\":\"ph\",\"name\":\"Ph\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":30,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201));
	json_decref(must(h, "POST", "/v1/pools", "{\"id\":\"pool-a\",\"provider\":\"P\","
	    "\"site\":\"S\",\"card_model\":\"B200\",\"cards\":64}", 201));
	json_decref(must(h, "POST", "/v1/pools", "{\"id\":\"pool-b\",\"provider\":\"P\","
	    "\"site\":\"S\",\"card_model\":\"B200\",\"cards\":64}", 201));
	json_decref(must(h, "POST", "/v1/suppliers", "{\"id\":\"sup\",\"name\":\"S\","
	    "\"org\":\"Supplier Org\"}", 201));
	for (size_t i = 0; i < NTEAMS; i++) {
		snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Team %s\",\"lead_org\":"
		    "\"Org %s\",\"members\":[{\"org\":\"Org %s\",\"role\":\"lead\"}]}", teams[i],
		    teams[i], teams[i], teams[i]);
		json_decref(must(h, "POST", "/v1/teams", body, 201));
		if (strcmp(teams[i], "epsilon") != 0) {
			snprintf(body, sizeof(body), "{\"team\":\"%s\",\"pools\":[\"pool-a\"]}",
			    teams[i]);
			j = must(h, "POST", "/v1/phases/ph/enrollments", body, 201);
			if (i == 0)
				snprintf(fx.grant, sizeof(fx.grant), "%s", json_string_value(
				    json_object_get(json_array_get(json_object_get(j, "grants"), 0),
				    "id")));
			json_decref(j);
		}
		fx.team_tok[i] = h_token(h, "team", teams[i], NULL);
	}
	json_decref(must(h, "POST", "/v1/organisations", "{\"id\":\"acme\",\"name_en\":"
	    "\"Acme Research\",\"name_ko\":\"애크미 연구소\",\"brn\":\"124-81-00998\"}", 201));
	json_decref(must(h, "POST", "/v1/organisations", "{\"id\":\"acme-dup\",\"name_ko\":"
	    "\"애크미\"}", 201));
	json_decref(must(h, "POST", "/v1/organisations", "{\"id\":\"partner\",\"name_en\":"
	    "\"Partner Lab\"}", 201));
	/* From a date before the clock, so that removing it now ends it after it began. */
	json_decref(must(h, "POST", "/v1/teams/alpha/members", "{\"org\":\"Former Partner\","
	    "\"on\":\"2026-02-01\",\"reason\":\"fixture\"}", 201));
	fx.auditor = h_token(h, "auditor", NULL, NULL);
	fx.agent_a = h_token(h, "agent", NULL, "pool-a");
	fx.agent_b = h_token(h, "agent", NULL, "pool-b");
	must_id(h, "/v1/tokens", "{\"name\":\"spare\",\"role\":\"auditor\"}", "id", fx.token,
	    sizeof(fx.token));
	j = must(h, "POST", "/v1/tokens", "{\"name\":\"fleet\",\"role\":\"auditor\"}", 201);
	snprintf(fx.rotate, sizeof(fx.rotate), "%s", json_string_value(json_object_get(j, "id")));
	snprintf(fx.rotate_secret, sizeof(fx.rotate_secret), "%s",
	    json_string_value(json_object_get(j, "token")));
	json_decref(j);
	ck_assert_str_ne(fx.rotate, "");
	ck_assert_str_ne(fx.rotate_secret, "");
	json_decref(must(h, "PUT", "/v1/pools/pool-a/nodes/gpu-01", "{\"team\":\"alpha\","
	    "\"reason\":\"fixture\"}", 200));
	must_id(h, "/v1/webhooks", "{\"url\":\"https://hooks.example/a\",\"types\":[\"*\"],"
	    "\"team\":\"alpha\"}", "id", fx.webhook, sizeof(fx.webhook));
	must_id(h, "/v1/webhooks", "{\"url\":\"https://hooks.example/b\",\"types\":[\"*\"],"
	    "\"team\":\"alpha\"}", "id", fx.xwebhook, sizeof(fx.xwebhook));
	must_id(h, "/v1/pools/pool-b/outages", "{\"from\":\"2026-07-01T00:00:00Z\",\"to\":"
	    "\"2026-07-02T00:00:00Z\",\"cards\":1,\"reason\":\"fixture\"}", "id", fx.outage,
	    sizeof(fx.outage));
	must_id(h, "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"alpha\"},"
	    "\"pool\":\"pool-b\",\"cards\":1,\"start\":\"2026-04-05T00:00:00Z\",\"end\":"
	    "\"2026-04-06T00:00:00Z\",\"override\":{\"reason\":\"fixture\"}}", "id", fx.xgrant,
	    sizeof(fx.xgrant));
	hold(h, "alpha", fx.hold, sizeof(fx.hold));
	hold(h, "beta", body, sizeof(body));	/* beta's lists are not empty */
	for (int r = 0; r < NROLES; r++) {
		hold(h, "alpha", fx.shold[r], sizeof(fx.shold[r]));
		hold(h, "alpha", fx.vhold[r], sizeof(fx.vhold[r]));
	}
	hold(h, "alpha", body, sizeof(body));
	snprintf(body + 100, sizeof(body) - 100, "/v1/vouchers/holds/%.60s/settle", body);
	j = must(h, "POST", body + 100, "{}", 200);
	snprintf(fx.stl, sizeof(fx.stl), "%s", json_string_value(json_object_get(j,
	    "settlement")));
	json_decref(j);
}

/* The team token of the row's "own" team, and of another. */
static const char *
team_token(const char *team)
{
	for (size_t i = 0; i < NTEAMS; i++)
		if (strcmp(teams[i], team) == 0)
			return fx.team_tok[i];
	ck_abort_msg("no team %s", team);
	return NULL;
}

static const char *
token_of(const struct harness *h, enum role r, const struct row *row, const char **team)
{
	const char *own = row->own ? row->own : "alpha";

	*team = NULL;
	switch (r) {
	case A: return h->admin;
	case U: return fx.auditor;
	case TO: *team = own; return team_token(own);
	case TX: *team = strcmp(own, "beta") ? "beta" : "alpha"; return team_token(*team);
	case GO: return fx.agent_a;
	case GX: return fx.agent_b;
	case N: return NULL;
	default: return "gd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	}
}

/* Replaces the placeholders of s for role r. */
static void
fill(const char *s, enum role r, char *out, size_t len)
{
	struct {
		const char *key, *val;
	} sub[] = {
		{ "%R", role_id[r] }, { "{GRANT}", fx.grant }, { "{XGRANT}", fx.xgrant },
		{ "{HOLD}", fx.hold }, { "{SHOLD}", fx.shold[r] }, { "{VHOLD}", fx.vhold[r] },
		{ "{STL}", fx.stl }, { "{TOKEN}", fx.token }, { "{ROTATE}", fx.rotate },
		{ "{OUTAGE}", fx.outage }, { "{WEBHOOK}", fx.webhook },
		{ "{XWEBHOOK}", fx.xwebhook },
	};
	size_t n = 0;

	while (*s && n + 1 < len) {
		size_t k;

		for (k = 0; k < sizeof(sub) / sizeof(sub[0]); k++)
			if (strncmp(s, sub[k].key, strlen(sub[k].key)) == 0)
				break;
		if (k < sizeof(sub) / sizeof(sub[0])) {
			n += (size_t)snprintf(out + n, len - n, "%s", sub[k].val);
			s += strlen(sub[k].key);
		} else {
			out[n++] = *s++;
		}
	}
	out[n < len ? n : len - 1] = '\0';
}

/* A pattern segment "{x}" matches any non-empty segment. */
static bool
pattern_matches(const char *pat, const char *path)
{
	char p[512];
	const char *a = pat, *b;

	snprintf(p, sizeof(p), "%.*s", (int)strcspn(path, "?"), path);
	b = p;
	while (*a && *b) {
		size_t la = strcspn(a, "/"), lb = strcspn(b, "/");

		if (!(a[0] == '{' && lb > 0) && (la != lb || strncmp(a, b, la) != 0))
			return false;
		a += la;
		b += lb;
		if (*a != *b)
			return false;
		if (*a == '/') {
			a++;
			b++;
		}
	}
	return *a == '\0' && *b == '\0';
}

/*
 * GET /v1/events/stream's cells: what the stream sent in STREAM_CELL_MS
 * (its backlog, at once), then the cell hangs up; a refusal is a reply as
 * any other.  The leak check reads the events as it reads a list.
 */
#define STREAM_CELL_MS 500L

static size_t
stream_body(char *p, size_t sz, size_t n, void *arg)
{
	struct hresp *r = arg;
	size_t len = r->body ? strlen(r->body) : 0;
	char *nb = realloc(r->body, len + sz * n + 1);

	ck_assert_ptr_nonnull(nb);
	memcpy(nb + len, p, sz * n);
	nb[len + sz * n] = '\0';
	r->body = nb;
	return sz * n;
}

static struct hresp
stream_req(const struct harness *h, const char *path, const char *token)
{
	struct hresp r = { .content_length = -1 };
	struct curl_slist *hl = NULL;
	char url[1024], auth[600];
	CURL *c = curl_easy_init();
	CURLcode rc;

	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, stream_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, STREAM_CELL_MS);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, auth);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	ck_assert_msg(rc == CURLE_OK || (rc == CURLE_OPERATION_TIMEDOUT && r.status == 200),
	    "GET %s: %s", path, curl_easy_strerror(rc));
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (r.body == NULL)
		r.body = strdup("");
	r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
	return r;
}

/* Whether a 200 given to a team token names a team other than its own. */
static const char *
leak(const struct hresp *r, const char *team)
{
	static char q[80];

	for (size_t i = 0; i < NTEAMS; i++) {
		if (strcmp(teams[i], team) == 0)
			continue;
		snprintf(q, sizeof(q), "\"%s\"", teams[i]);
		if (strstr(r->body, q))
			return teams[i];
	}
	return NULL;
}

/*
 * The admin's rotation took (once: the refused cells rotated nothing): the
 * token is live and rotated, and its first secret still works in the grace.
 */
static void
rotated(struct harness *h)
{
	struct hresp r = h_req(h, "GET", "/v1/tokens?limit=1000", h->admin, NULL, NULL);
	json_t *t, *found = NULL;
	size_t i;

	ck_assert_int_eq(r.status, 200);
	json_array_foreach(json_object_get(r.json, "items"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "id")), fx.rotate) == 0)
			found = t;
	ck_assert_msg(found != NULL, "token %s is not listed", fx.rotate);
	ck_assert_str_eq(json_string_value(json_object_get(found, "state")), "live");
	ck_assert_ptr_nonnull(json_object_get(found, "rotated_at"));
	ck_assert_ptr_nonnull(json_object_get(found, "previous_valid_until"));
	hresp_free(&r);
	r = h_req(h, "GET", "/v1/tokens", fx.rotate_secret, NULL, NULL);
	ck_assert_msg(r.status == 200, "the rotated token's first secret, in its grace: %ld %s",
	    r.status, r.body);
	hresp_free(&r);
}

START_TEST(matrix)
{
	struct harness h;
	char path[512], body[1024], *diffs = calloc(1, 1 << 16);
	size_t dn = 0;
	int ndiff = 0, ncells = 0;

	ck_assert_ptr_nonnull(diffs);
	h_init(&h, NULL);
	h_start(&h);
	fixture(&h);
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *row = &rows[i];

		/* The admin last: its change must not decide another cell. */
		for (int k = 0; k < NROLES; k++) {
			enum role r = (enum role)((k + 1) % NROLES);
			const char *team, *tok = token_of(&h, r, row, &team), *who;
			struct hresp resp;
			bool bad;

			fill(row->path, r, path, sizeof(path));
			if (row->body)
				fill(row->body, r, body, sizeof(body));
			if (strncmp(path, "/v1/events/stream", 17) == 0)
				resp = stream_req(&h, path, tok);
			else
				resp = h_req(&h, row->method, path, tok, row->body ? body : NULL,
				    NULL);
			ncells++;
			bad = resp.status != row->want[r];
			/* A refusal says why, in a problem with the matching code. */
			if (!bad && resp.status == 401)
				bad = strcmp(hresp_code(&resp), "unauthorized") != 0;
			if (!bad && resp.status == 403)
				bad = strcmp(hresp_code(&resp), "forbidden") != 0;
			who = !bad && resp.status == 200 && team && strcmp(row->path, "/metrics") != 0 ?
			    leak(&resp, team) : NULL;
			if (bad || who) {
				ndiff++;
				dn += (size_t)snprintf(diffs + dn, (1 << 16) - dn > 0 ? (1 << 16) - dn : 0,
				    "  %-6s %-58s %-16s got %ld%s%s, want %d%s%s: %.160s\n",
				    row->method, row->path, role_name[r], resp.status,
				    resp.status >= 400 ? " " : "", resp.status >= 400 ? hresp_code(&resp) : "",
				    row->want[r], who ? ", and it names team " : "", who ? who : "",
				    resp.body);
				if (dn >= (1 << 16))
					dn = (1 << 16) - 1;
			}
			hresp_free(&resp);
		}
	}
	fprintf(stderr, "test_authz: %zu routes x %d roles = %d cells, %d differ\n%s", NROWS,
	    NROLES, ncells, ndiff, diffs);
	ck_assert_msg(ndiff == 0, "%d cells of the authorization matrix differ (all listed "
	    "above):\n%s", ndiff, diffs);
	free(diffs);
	rotated(&h);
	for (size_t i = 0; i < NTEAMS; i++)
		free(fx.team_tok[i]);
	free(fx.auditor);
	free(fx.agent_a);
	free(fx.agent_b);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * Every route of the route tables has a row.  The tables are read from the
 * source (tests run from the repository root): each entry starts
 * `{ "METHOD", "/path"`.  Every row names a route too (no stale rows).
 */
START_TEST(matrix_covers_every_route)
{
	glob_t g;
	int nroutes = 0, missing = 0;
	bool used[NROWS] = { false };
	char *report = calloc(1, 16384);
	size_t rn = 0;

	ck_assert_ptr_nonnull(report);
	ck_assert_int_eq(glob("daemon/*.c", 0, NULL, &g), 0);
	for (size_t f = 0; f < g.gl_pathc; f++) {
		FILE *fp = fopen(g.gl_pathv[f], "r");
		char line[512], method[16], pattern[256];

		ck_assert_ptr_nonnull(fp);
		while (fgets(line, sizeof(line), fp)) {
			bool found = false;

			if (sscanf(line, " { \"%15[A-Z]\", \"%255[^\"]\"", method, pattern) != 2 ||
			    pattern[0] != '/')
				continue;
			nroutes++;
			for (size_t i = 0; i < NROWS; i++) {
				if (strcmp(rows[i].method, method) == 0 &&
				    pattern_matches(pattern, rows[i].path)) {
					found = used[i] = true;
				}
			}
			if (!found) {
				missing++;
				rn += (size_t)snprintf(report + rn, 16384 - rn, "  no row for %s %s (%s)\n",
				    method, pattern, g.gl_pathv[f]);
			}
		}
		fclose(fp);
	}
	globfree(&g);
	for (size_t i = 0; i < NROWS; i++)
		if (!used[i])
			rn += (size_t)snprintf(report + rn, 16384 - rn, "  row %s %s names no route\n",
			    rows[i].method, rows[i].path);
	fprintf(stderr, "test_authz: %d routes in the tables, %zu rows\n%s", nroutes, NROWS,
	    report);
	ck_assert_msg(nroutes >= 40, "only %d routes parsed from daemon/*.c", nroutes);
	ck_assert_msg(rn == 0, "the matrix and the route tables disagree:\n%s", report);
	free(report);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("authz");
	TCase *tc = tcase_create("matrix");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, matrix_covers_every_route);
	tcase_add_test(tc, matrix);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
