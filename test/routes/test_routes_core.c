/* test_routes_core.c: tokens, card models, programmes, phases and teams through dispatch(). */
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
static void
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

/* json_dumps of a value, for messages and comparisons; caller frees. */
static char *
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

	/* card models */
	BAD("card model: weight with 4 decimals", "PUT", "/v1/card-models/A100",
	    "{\"weight\":0.1234}", "weight"),
	BAD("card model: weight 0", "PUT", "/v1/card-models/A100", "{\"weight\":0}", "weight"),
	BAD("card model: weight negative", "PUT", "/v1/card-models/A100", "{\"weight\":-0.5}",
	    "weight"),
	BAD("card model: weight a string", "PUT", "/v1/card-models/A100",
	    "{\"weight\":\"0.5\"}", "weight"),
	BAD("card model: weight a boolean", "PUT", "/v1/card-models/A100",
	    "{\"weight\":true}", "weight"),
	BAD("card model: weight null", "PUT", "/v1/card-models/A100", "{\"weight\":null}",
	    "weight"),
	BAD("card model: weight above 10", "PUT", "/v1/card-models/A100",
	    "{\"weight\":10.001}", "weight"),
	/* 1e-10 is above 0 but rounds to 0 thousandths: it has more than 3 decimals. */
	BAD("card model: weight 1e-10", "PUT", "/v1/card-models/A100", "{\"weight\":1e-10}",
	    "weight"),
	BAD("card model: weight missing", "PUT", "/v1/card-models/A100", "{}", "weight"),
	BAD("card model: unknown field", "PUT", "/v1/card-models/A100",
	    "{\"weight\":1,\"vendor\":\"x\"}", "vendor"),
	BAD("card model: id with underscore", "PUT", "/v1/card-models/A_100",
	    "{\"weight\":1}", "card model"),
	BAD("card model: id with leading hyphen", "PUT", "/v1/card-models/-A100",
	    "{\"weight\":1}", "card model"),
	{ "card model: weight of a model in use", "PUT", "/v1/card-models/B200",
	    "{\"weight\":2}", 409, "conflict", "B200", NULL, NULL },
	{ "card model: get unknown", "GET", "/v1/card-models/A100", NULL, 404, "not_found",
	    "A100", NULL, NULL },

	/* programmes */
	BAD("program: id missing", "POST", "/v1/programs", "{\"name\":\"x\"}", "id"),
	BAD("program: name missing", "POST", "/v1/programs", "{\"id\":\"p2\"}", "name"),
	BAD("program: unknown field", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"x\",\"budget\":1}", "budget"),
	BAD("program: id upper case", "POST", "/v1/programs", "{\"id\":\"P2\",\"name\":\"x\"}",
	    "id"),
	BAD("program: id leading hyphen", "POST", "/v1/programs",
	    "{\"id\":\"-p2\",\"name\":\"x\"}", "id"),
	BAD("program: id with underscore", "POST", "/v1/programs",
	    "{\"id\":\"p_2\",\"name\":\"x\"}", "id"),
	BAD("program: id of 64 characters", "POST", "/v1/programs", "{\"id\":\""
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"name\":\"x\"}",
	    "id"),
	BAD("program: id a number", "POST", "/v1/programs", "{\"id\":2,\"name\":\"x\"}", "id"),
	BAD("program: id empty", "POST", "/v1/programs", "{\"id\":\"\",\"name\":\"x\"}", "id"),
	BAD("program: name empty", "POST", "/v1/programs", "{\"id\":\"p2\",\"name\":\"\"}",
	    "name"),
	BAD("program: name only blanks", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"   \"}", "name"),
	BAD("program: name with a control character", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"a\\u0001b\"}", "name"),
	BAD("program: name with a newline", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"a\\nb\"}", "name"),
	BAD("program: name with NUL", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"a\\u0000b\"}", NULL),
	BAD("program: zone with daylight saving", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"x\",\"timezone\":\"America/New_York\"}", "timezone"),
	BAD("program: zone a number", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"x\",\"timezone\":9}", "timezone"),
	{ "program: exists with another name", "POST", "/v1/programs",
	    "{\"id\":\"p1\",\"name\":\"Other\"}", 409, "already_exists", "p1", NULL, NULL },
	{ "program: exists with another zone", "POST", "/v1/programs",
	    "{\"id\":\"p1\",\"name\":\"Programme One\",\"timezone\":\"UTC\"}", 409,
	    "already_exists", "p1", NULL, NULL },
	{ "program: get unknown", "GET", "/v1/programs/nope", NULL, 404, "not_found", "nope",
	    NULL, NULL },
	{ "program: get malformed id", "GET", "/v1/programs/P1", NULL, 404, "not_found", NULL,
	    NULL, NULL },

	/* phases: dates */
	BAD("phase: starts_on February 30", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-02-30\"", "90", PKG_OK), "starts_on"),
	BAD("phase: starts_on February 29 of 2026", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-02-29\"", "90", PKG_OK), "starts_on"),
	BAD("phase: starts_on month 13", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-13-01\"", "90", PKG_OK), "starts_on"),
	BAD("phase: starts_on with slashes", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026/03/01\"", "90", PKG_OK), "starts_on"),
	BAD("phase: starts_on an instant", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01T00:00:00Z\"", "90", PKG_OK), "starts_on"),
	BAD("phase: starts_on empty", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"\"", "90", PKG_OK), "starts_on"),
	BAD("phase: starts_on a number", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "20260301", "90", PKG_OK), "starts_on"),
	BAD("phase: evaluation before start", "POST", "/v1/programs/p1/phases",
	    PHASE_EVAL("ph2", "\"2026-03-01\"", "\"2026-02-28\""), "evaluation_on"),
	BAD("phase: evaluation June 31", "POST", "/v1/programs/p1/phases",
	    PHASE_EVAL("ph2", "\"2026-03-01\"", "\"2026-06-31\""), "evaluation_on"),
	BAD("phase: ends after 9999", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"9999-12-31\"", "1", PKG_OK), "9999"),
	/* phases: period */
	BAD("phase: period_days 0", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "0", PKG_OK), "period_days"),
	BAD("phase: period_days negative", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "-1", PKG_OK), "period_days"),
	BAD("phase: period_days 3661", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "3661", PKG_OK), "period_days"),
	BAD("phase: period_days a string", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "\"90\"", PKG_OK), "period_days"),
	BAD("phase: period_days a fraction", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "1.5", PKG_OK), "period_days"),
	BAD("phase: period_days 90.0", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90.0", PKG_OK), "period_days"),
	BAD("phase: period_days null", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "null", PKG_OK), "period_days"),
	/* phases: money */
	BAD("phase: voucher a fraction", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "1.5")), "voucher_krw"),
	BAD("phase: voucher a string", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "\"1000\"")),
	    "voucher_krw"),
	BAD("phase: voucher negative", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "-1")), "voucher_krw"),
	BAD("phase: voucher 0", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "0")), "voucher_krw"),
	BAD("phase: voucher 10^13 + 1", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "10000000000001")),
	    "voucher_krw"),
	BAD("phase: voucher 1e13 written as a real", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "1e13")), "voucher_krw"),
	BAD("phase: voucher beyond int64", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "99999999999999999999")),
	    NULL),
	BAD("phase: voucher null", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "null")), "voucher_krw"),
	/* phases: package */
	BAD("phase: cards 0", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "0", "1")), "cards"),
	BAD("phase: cards 1000001", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "1000001", "1")), "cards"),
	BAD("phase: cards a string", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "\"768\"", "1")), "cards"),
	BAD("phase: card model malformed", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B_200\"", "768", "1")), "card_model"),
	BAD("phase: package missing", "POST", "/v1/programs/p1/phases",
	    "{\"id\":\"ph2\",\"name\":\"Phase\",\"starts_on\":\"2026-03-01\",\"period_days\":90}",
	    "package"),
	BAD("phase: package an array", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", "[]"), "package"),
	BAD("phase: package empty", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", "{}"), "package.card_model"),
	BAD("phase: package unknown field", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90",
	    "{\"card_model\":\"B200\",\"cards\":1,\"voucher_krw\":1,\"discount\":1}"), "discount"),
	BAD("phase: name missing", "POST", "/v1/programs/p1/phases",
	    "{\"id\":\"ph2\",\"starts_on\":\"2026-03-01\",\"period_days\":90,\"package\":"
	    PKG_OK "}", "name"),
	BAD("phase: unknown field", "POST", "/v1/programs/p1/phases",
	    "{\"id\":\"ph2\",\"name\":\"P\",\"starts_on\":\"2026-03-01\",\"period_days\":90,"
	    "\"ends_on\":\"2026-06-01\",\"package\":" PKG_OK "}", "ends_on"),
	BAD("phase: id malformed", "POST", "/v1/programs/p1/phases",
	    PHASE("Ph2", "\"2026-03-01\"", "90", PKG_OK), "id"),
	{ "phase: card model unknown", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"A100\"", "768", "1")), 404,
	    "not_found", "A100", NULL, NULL },
	{ "phase: program unknown", "POST", "/v1/programs/nope/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG_OK), 404, "not_found", "nope", NULL, NULL },
	{ "phase: program id malformed", "POST", "/v1/programs/P1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG_OK), 404, "not_found", NULL, NULL, NULL },
	{ "phase: exists with other cards", "POST", "/v1/programs/p1/phases",
	    PHASE("ph1", "\"2026-03-01\"", "90", PKG("\"B200\"", "512", "10000000000")), 409,
	    "already_exists", "ph1", NULL, NULL },
	{ "phase: exists with another start", "POST", "/v1/programs/p1/phases",
	    PHASE("ph1", "\"2026-03-02\"", "90", PKG_OK), 409, "already_exists", "ph1", NULL,
	    NULL },
	{ "phase: get unknown", "GET", "/v1/phases/nope", NULL, 404, "not_found", "nope", NULL,
	    NULL },
	{ "phase: list of unknown program", "GET", "/v1/programs/nope/phases", NULL, 404,
	    "not_found", "nope", NULL, NULL },

	/* teams */
	BAD("team: lead_org missing", "POST", "/v1/teams", "{\"id\":\"t3\",\"name\":\"x\"}",
	    "lead_org"),
	BAD("team: members a string", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":\"o\"}", "members"),
	BAD("team: members null", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":null}", "members"),
	BAD("team: member a string", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":[\"o\"]}", "members[0]"),
	BAD("team: member without role", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":[{\"org\":\"o\"}]}",
	    "members[0].role"),
	BAD("team: member with unknown field", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":[{\"org\":\"o\","
	    "\"role\":\"r\",\"share\":1}]}", "share"),
	BAD("team: member org twice", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":[{\"org\":\"o\","
	    "\"role\":\"r\"},{\"org\":\"o\",\"role\":\"s\"}]}", "members[1].org"),
	BAD("team: id malformed", "POST", "/v1/teams",
	    "{\"id\":\"team three\",\"name\":\"x\",\"lead_org\":\"o\"}", "id"),
	{ "team: exists with another name", "POST", "/v1/teams",
	    "{\"id\":\"t1\",\"name\":\"Other\",\"lead_org\":\"Org A\",\"members\":[{\"org\":"
	    "\"Org A\",\"role\":\"lead\"},{\"org\":\"Org B\",\"role\":\"member\"}]}", 409,
	    "already_exists", "t1", NULL, NULL },
	{ "team: exists with members reordered", "POST", "/v1/teams",
	    "{\"id\":\"t1\",\"name\":\"Team One\",\"lead_org\":\"Org A\",\"members\":[{\"org\":"
	    "\"Org B\",\"role\":\"member\"},{\"org\":\"Org A\",\"role\":\"lead\"}]}", 409,
	    "already_exists", "t1", NULL, NULL },
	{ "team: exists without its members", "POST", "/v1/teams",
	    "{\"id\":\"t1\",\"name\":\"Team One\",\"lead_org\":\"Org A\"}", 409,
	    "already_exists", "t1", NULL, NULL },
	{ "team: get unknown", "GET", "/v1/teams/nope", NULL, 404, "not_found", "nope", NULL,
	    NULL },
	{ "team: get malformed id", "GET", "/v1/teams/T1", NULL, 404, "not_found", NULL, NULL,
	    NULL },

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
	BAD("audit: after a word", "GET", "/v1/audit?after=abc", NULL, "after"),
	BAD("audit: after negative", "GET", "/v1/audit?after=-1", NULL, "after"),
	BAD("audit: limit 0", "GET", "/v1/audit?limit=0", NULL, "limit"),
};

START_TEST(refused)
{
	const struct refusal *c = &refusals[_i];
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
END_TEST

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

static const struct accept accepts[] = {
	{ "program: zone UTC", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"x\",\"timezone\":\"UTC\"}", NULL, 201, 1, "timezone",
	    "\"UTC\"", "/v1/programs/p2" },
	{ "program: zone +09:00", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"x\",\"timezone\":\"+09:00\"}", NULL, 201, 1, "timezone",
	    "\"+09:00\"", "/v1/programs/p2" },
	{ "program: zone defaults to the configured one", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"x\"}", NULL, 201, 1, "timezone", "\"Asia/Seoul\"",
	    "/v1/programs/p2" },
	{ "program: id of 63 characters", "POST", "/v1/programs", "{\"id\":\""
	    "a23456789-123456789-123456789-123456789-123456789-123456789-123\",\"name\":\"x\"}",
	    NULL, 201, 1, "id",
	    "\"a23456789-123456789-123456789-123456789-123456789-123456789-123\"", NULL },
	{ "program: id starting with a digit", "POST", "/v1/programs",
	    "{\"id\":\"2026-ai\",\"name\":\"x\"}", NULL, 201, 1, "id", "\"2026-ai\"", NULL },
	{ "program: UTF-8 name", "POST", "/v1/programs",
	    "{\"id\":\"p2\",\"name\":\"\xea\xb5\xad\xea\xb0\x80 AI\"}", NULL, 201, 1, "name",
	    "\"\xea\xb5\xad\xea\xb0\x80 AI\"", "/v1/programs/p2" },
	{ "program: identical re-create", "POST", "/v1/programs", P1_BODY, NULL, 200, 0,
	    "name", "\"Programme One\"", "/v1/programs/p1" },
	{ "program: identical re-create naming the default zone", "POST", "/v1/programs",
	    "{\"id\":\"p1\",\"name\":\"Programme One\",\"timezone\":\"Asia/Seoul\"}", NULL, 200, 0,
	    NULL, NULL, "/v1/programs/p1" },
	{ "phase: voucher 10^13", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "10000000000000")), NULL,
	    201, 1, "package.voucher_krw", "10000000000000", "/v1/phases/ph2" },
	{ "phase: voucher 1", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"B200\"", "768", "1")), NULL, 201, 1,
	    "package.voucher_krw", "1", NULL },
	{ "phase: period_days 3650", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "3650", PKG_OK), NULL, 201, 1, "ends_on",
	    "\"2036-02-27\"", NULL },
	{ "phase: period_days 1", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "1", PKG_OK), NULL, 201, 1, "ends_on",
	    "\"2026-03-02\"", NULL },
	{ "phase: leap day", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2028-02-29\"", "1", PKG_OK), NULL, 201, 1, "ends_on",
	    "\"2028-03-01\"", NULL },
	{ "phase: last day of 9999", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"9999-12-30\"", "1", PKG_OK), NULL, 201, 1, "ends_on",
	    "\"9999-12-31\"", NULL },
	{ "phase: cards 1000000 of H100", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"H100\"", "1000000", "1")), NULL, 201, 1,
	    "package.units", "500000", NULL },
	{ "phase: odd H100 cards make half units", "POST", "/v1/programs/p1/phases",
	    PHASE("ph2", "\"2026-03-01\"", "90", PKG("\"H100\"", "3", "1")), NULL, 201, 1,
	    "package.units", "1.5", NULL },
	{ "phase: evaluation on the first day", "POST", "/v1/programs/p1/phases",
	    PHASE_EVAL("ph2", "\"2026-03-01\"", "\"2026-03-01\""), NULL, 201, 1, "evaluation_on",
	    "\"2026-03-01\"", "/v1/phases/ph2" },
	{ "phase: evaluation null", "POST", "/v1/programs/p1/phases",
	    PHASE_EVAL("ph2", "\"2026-03-01\"", "null"), NULL, 201, 1, "evaluation_on", NULL,
	    "/v1/phases/ph2" },
	{ "phase: identical re-create", "POST", "/v1/programs/p1/phases", PH1_BODY, NULL, 200,
	    0, "id", "\"ph1\"", "/v1/phases/ph1" },
	{ "card model: weight 0.001", "PUT", "/v1/card-models/A100", "{\"weight\":0.001}", NULL,
	    200, 1, "weight", "0.001", "/v1/card-models/A100" },
	{ "card model: weight 10", "PUT", "/v1/card-models/A100", "{\"weight\":10}", NULL,
	    200, 1, "weight", "10", "/v1/card-models/A100" },
	{ "card model: weight 2.0 is whole", "PUT", "/v1/card-models/A100",
	    "{\"weight\":2.0}", NULL, 200, 1, "weight", "2", "/v1/card-models/A100" },
	{ "card model: weight 0.375", "PUT", "/v1/card-models/mi300x", "{\"weight\":0.375}",
	    NULL, 200, 1, "weight", "0.375", "/v1/card-models/mi300x" },
	{ "card model: same weight of a model in use", "PUT", "/v1/card-models/B200",
	    "{\"weight\":1}", NULL, 200, 0, "weight", "1", "/v1/card-models/B200" },
	{ "card model: new weight of an unused model", "PUT", "/v1/card-models/H100",
	    "{\"weight\":0.625}", NULL, 200, 1, "weight", "0.625", "/v1/card-models/H100" },
	{ "team: no members", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\"}", NULL, 201, 1, "members", "[]",
	    "/v1/teams/t3" },
	{ "team: empty members", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\",\"members\":[]}", NULL, 201, 1,
	    "members", "[]", "/v1/teams/t3" },
	{ "team: identical re-create", "POST", "/v1/teams", T1_BODY, NULL, 200, 0, "members",
	    "[{\"org\":\"Org A\",\"role\":\"lead\"},{\"org\":\"Org B\",\"role\":\"member\"}]",
	    "/v1/teams/t1" },
	{ "team: identical re-create without members", "POST", "/v1/teams", T2_BODY, NULL, 200,
	    0, "members", "[]", "/v1/teams/t2" },
	{ "content type: with charset utf-8", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\"}", "application/json; charset=utf-8",
	    201, 1, "id", "\"t3\"", NULL },
	{ "content type: upper case", "POST", "/v1/teams",
	    "{\"id\":\"t3\",\"name\":\"x\",\"lead_org\":\"o\"}", "Application/JSON", 201, 1, "id",
	    "\"t3\"", NULL },
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
	const struct accept *c = &accepts[_i];
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
END_TEST

/* Names are bytes of UTF-8, at most 200. */
START_TEST(name_lengths)
{
	char name[600], body[800];
	struct response rs;
	static const struct {
		const char *unit;
		int count, status;
	} c[] = {
		{ "n", 200, 201 },
		{ "n", 201, 400 },
		{ "\xc3\xa9", 100, 201 },	/* é: 2 bytes */
		{ "\xc3\xa9", 101, 400 },
	};

	for (size_t i = 0; i < NELEMS(c); i++) {
		name[0] = '\0';
		for (int k = 0; k < c[i].count; k++)
			strcat(name, c[i].unit);
		snprintf(body, sizeof(body), "{\"id\":\"n%zu\",\"name\":\"%s\"}", i, name);
		rs = fx_post(&F, "/v1/programs", body);
		ck_assert_msg(rs.status == c[i].status, "%d x '%s': %d", c[i].count, c[i].unit,
		    rs.status);
		if (rs.status == 201)
			ck_assert_str_eq(fx_str(rs.json, "name"), name);
		response_clear(&rs);
	}
}
END_TEST

/* A team has at most 200 members. */
START_TEST(member_limit)
{
	static const int counts[] = { 200, 201 };
	size_t cap = 64 * 202 + 128, o;
	char *body = malloc(cap);
	struct response rs;

	ck_assert_ptr_nonnull(body);
	for (size_t i = 0; i < NELEMS(counts); i++) {
		o = (size_t)snprintf(body, cap, "{\"id\":\"big%zu\",\"name\":\"Big\",\"lead_org\":"
		    "\"org-0\",\"members\":[", i);
		for (int m = 0; m < counts[i]; m++)
			o += (size_t)snprintf(body + o, cap - o, "%s{\"org\":\"org-%d\",\"role\":"
			    "\"member\"}", m ? "," : "", m);
		snprintf(body + o, cap - o, "]}");
		rs = fx_post(&F, "/v1/teams", body);
		ck_assert_msg(rs.status == (counts[i] <= 200 ? 201 : 400), "%d members: %d",
		    counts[i], rs.status);
		if (rs.status == 201) {
			ck_assert_int_eq(json_array_size(json_object_get(rs.json, "members")), 200);
			ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "members"),
			    199), "org"), "org-199");
		} else {
			ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "members"));
		}
		response_clear(&rs);
	}
	free(body);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Success shapes. */

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

START_TEST(card_model_shapes)
{
	struct response rs;
	json_t *items, *it;
	size_t i, ndefault;
	int found = 0;

	/* B200 (1.0) and H100 (0.5) exist by default. */
	rs = fx_get(&F, "/v1/card-models");
	ck_assert_int_eq(rs.status, 200);
	items = json_object_get(rs.json, "items");
	ndefault = json_array_size(items);
	json_array_foreach(items, i, it) {
		if (strcmp(fx_str(it, "id"), "B200") == 0) {
			ck_assert(json_is_integer(fx_at(it, "weight")));
			ck_assert_int_eq(json_integer_value(fx_at(it, "weight")), 1);
			found++;
		} else if (strcmp(fx_str(it, "id"), "H100") == 0) {
			ck_assert(json_real_value(fx_at(it, "weight")) == 0.5);
			found++;
		}
	}
	ck_assert_int_eq(found, 2);
	ck_assert(json_is_null(json_object_get(rs.json, "next")));
	response_clear(&rs);

	rs = fx_req(&F, "PUT", "/v1/card-models/A100", F.admin, "{\"weight\":0.25}");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(fx_str(rs.json, "id"), "A100");
	ck_assert(json_real_value(json_object_get(rs.json, "weight")) == 0.25);
	ck_assert_int_eq(json_object_size(rs.json), 2);
	response_clear(&rs);
	ck_assert_str_eq(fx_audit_last(&F).action, "card_model.put");
	ck_assert_str_eq(fx_audit_last(&F).target, "card-model/A100");

	/* The new model can be used by a phase; its units follow its weight. */
	rs = fx_post(&F, "/v1/programs/p1/phases", PHASE("ph2", "\"2026-03-01\"", "30",
	    PKG("\"A100\"", "10", "5")));
	ck_assert_int_eq(rs.status, 201);
	ck_assert(json_real_value(fx_at(rs.json, "package.units")) == 2.5);
	response_clear(&rs);
	/* ... and from then on its weight is fixed. */
	rs = fx_req(&F, "PUT", "/v1/card-models/A100", F.admin, "{\"weight\":0.5}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_code(&rs), "conflict");
	response_clear(&rs);

	rs = fx_get(&F, "/v1/card-models");
	items = json_object_get(rs.json, "items");
	ck_assert_int_eq(json_array_size(items), ndefault + 1);
	/* In id order: A100 before B200. */
	ck_assert_str_eq(fx_str(json_array_get(items, 0), "id"), "A100");
	response_clear(&rs);
}
END_TEST

START_TEST(program_shapes)
{
	struct response rs, g;

	rs = fx_post(&F, "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\"}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "id"), "sovereign-ai");
	ck_assert_str_eq(fx_str(rs.json, "name"), "Sovereign AI");
	ck_assert_str_eq(fx_str(rs.json, "timezone"), "Asia/Seoul");
	ck_assert_str_eq(fx_str(rs.json, "created_at"), "2026-03-01T00:00:00Z");
	ck_assert_str_eq(fx_audit_last(&F).action, "program.create");
	ck_assert_str_eq(fx_audit_last(&F).target, "program/sovereign-ai");
	ck_assert_str_eq(fx_audit_last(&F).actor_id, F.admin_id);
	g = fx_get(&F, "/v1/programs/sovereign-ai");
	ck_assert(json_equal(g.json, rs.json));
	response_clear(&g);
	g = fx_get(&F, "/v1/programs");
	ck_assert_int_eq(json_array_size(json_object_get(g.json, "items")), 2);
	ck_assert(json_equal(json_array_get(json_object_get(g.json, "items"), 1), rs.json));
	response_clear(&g);
	response_clear(&rs);

	/* A re-create later answers with the first creation time, not the new one. */
	{
		struct fx_rq in = { .method = "POST", .path = "/v1/programs", .token = F.admin,
			.body = "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\"}",
			.now = FX_NOW + 86400 };

		rs = fx_call(&F, &in);
		ck_assert_int_eq(rs.status, 200);
		ck_assert_str_eq(fx_str(rs.json, "created_at"), "2026-03-01T00:00:00Z");
		response_clear(&rs);
	}
}
END_TEST

START_TEST(phase_shapes)
{
	struct response rs, g;
	json_t *items;

	rs = fx_post(&F, "/v1/programs/p1/phases", "{\"id\":\"phase-1\",\"name\":\"Phase 1\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":90,\"evaluation_on\":\"2026-05-15\","
	    "\"package\":{\"card_model\":\"H100\",\"cards\":768,\"voucher_krw\":10000000000}}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "id"), "phase-1");
	ck_assert_str_eq(fx_str(rs.json, "program"), "p1");
	ck_assert_str_eq(fx_str(rs.json, "name"), "Phase 1");
	ck_assert_str_eq(fx_str(rs.json, "starts_on"), "2026-03-01");
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "period_days")), 90);
	ck_assert_str_eq(fx_str(rs.json, "ends_on"), "2026-05-30");
	ck_assert_str_eq(fx_str(rs.json, "evaluation_on"), "2026-05-15");
	ck_assert_str_eq(fx_str(rs.json, "package.card_model"), "H100");
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "package.cards")), 768);
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "package.voucher_krw")),
	    10000000000LL);
	/* Package units = cards x weight = 768 x 0.5. */
	ck_assert(json_is_integer(fx_at(rs.json, "package.units")));
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "package.units")), 384);
	ck_assert_str_eq(fx_audit_last(&F).action, "phase.create");
	ck_assert_str_eq(fx_audit_last(&F).target, "phase/phase-1");
	g = fx_get(&F, "/v1/phases/phase-1");
	ck_assert_int_eq(g.status, 200);
	ck_assert(json_equal(g.json, rs.json));
	response_clear(&g);

	/* Phase ids are global: listed under their programme only. */
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"p2\",\"name\":\"Two\"}", 201);
	fx_must(&F, "POST", "/v1/programs/p2/phases",
	    PHASE("p2-a", "\"2026-04-01\"", "30", PKG_OK), 201);
	g = fx_get(&F, "/v1/programs/p1/phases");
	ck_assert_int_eq(g.status, 200);
	items = json_object_get(g.json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	ck_assert_str_eq(fx_str(json_array_get(items, 0), "id"), "ph1");
	ck_assert(json_equal(json_array_get(items, 1), rs.json));
	response_clear(&g);
	g = fx_get(&F, "/v1/programs/p2/phases");
	ck_assert_int_eq(json_array_size(json_object_get(g.json, "items")), 1);
	response_clear(&g);

	/* The same id under another programme is taken. */
	g = fx_post(&F, "/v1/programs/p2/phases", PH1_BODY);
	ck_assert_int_eq(g.status, 409);
	ck_assert_str_eq(fx_code(&g), "already_exists");
	response_clear(&g);
	response_clear(&rs);
}
END_TEST

START_TEST(team_shapes)
{
	struct response rs, g;
	json_t *m;

	rs = fx_post(&F, "/v1/teams", "{\"id\":\"motif\",\"name\":\"Motif consortium\","
	    "\"lead_org\":\"Motif Technologies\",\"members\":[{\"org\":\"Motif Technologies\","
	    "\"role\":\"lead\"},{\"org\":\"Uni Z\",\"role\":\"research\"},{\"org\":\"Acme\","
	    "\"role\":\"data\"}]}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "id"), "motif");
	ck_assert_str_eq(fx_str(rs.json, "name"), "Motif consortium");
	ck_assert_str_eq(fx_str(rs.json, "lead_org"), "Motif Technologies");
	ck_assert_str_eq(fx_str(rs.json, "created_at"), "2026-03-01T00:00:00Z");
	m = json_object_get(rs.json, "members");
	ck_assert_int_eq(json_array_size(m), 3);
	/* In the order given, not sorted. */
	ck_assert_str_eq(fx_str(json_array_get(m, 1), "org"), "Uni Z");
	ck_assert_str_eq(fx_str(json_array_get(m, 2), "org"), "Acme");
	ck_assert_str_eq(fx_str(json_array_get(m, 2), "role"), "data");
	ck_assert_str_eq(fx_audit_last(&F).action, "team.create");
	ck_assert_str_eq(fx_audit_last(&F).target, "team/motif");
	g = fx_get(&F, "/v1/teams/motif");
	ck_assert(json_equal(g.json, rs.json));
	response_clear(&g);
	response_clear(&rs);
}
END_TEST

START_TEST(health_shape)
{
	struct response rs = fx_req(&F, "GET", "/v1/health", NULL, NULL);

	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(fx_str(rs.json, "status"), "ok");
	ck_assert_int_gt(strlen(fx_str(rs.json, "version")), 0);
	response_clear(&rs);
}
END_TEST

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
	{ "admin lists tokens", W_ADMIN, NULL, "GET", "/v1/tokens", NULL, 200 },
	{ "auditor reads teams", W_AUDITOR, NULL, "GET", "/v1/teams", NULL, 200 },
	{ "auditor reads a team", W_AUDITOR, NULL, "GET", "/v1/teams/t2", NULL, 200 },
	{ "auditor reads programmes", W_AUDITOR, NULL, "GET", "/v1/programs/p1", NULL, 200 },
	{ "auditor reads phases", W_AUDITOR, NULL, "GET", "/v1/programs/p1/phases", NULL, 200 },
	{ "auditor reads a phase", W_AUDITOR, NULL, "GET", "/v1/phases/ph1", NULL, 200 },
	{ "auditor reads card models", W_AUDITOR, NULL, "GET", "/v1/card-models", NULL, 200 },
	{ "auditor reads the audit", W_AUDITOR, NULL, "GET", "/v1/audit", NULL, 200 },
	{ "auditor verifies the audit", W_AUDITOR, NULL, "GET", "/v1/audit/verify", NULL, 200 },
	{ "auditor creates a team", W_AUDITOR, NULL, "POST", "/v1/teams", T2_BODY, 403 },
	{ "auditor creates a programme", W_AUDITOR, NULL, "POST", "/v1/programs",
	    "{\"id\":\"p9\",\"name\":\"x\"}", 403 },
	{ "auditor creates a phase", W_AUDITOR, NULL, "POST", "/v1/programs/p1/phases",
	    PHASE("ph9", "\"2026-03-01\"", "90", PKG_OK), 403 },
	{ "auditor sets a weight", W_AUDITOR, NULL, "PUT", "/v1/card-models/A100",
	    "{\"weight\":1}", 403 },
	{ "auditor creates a token", W_AUDITOR, NULL, "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"admin\"}", 403 },
	{ "auditor revokes a token", W_AUDITOR, NULL, "DELETE", "/v1/tokens/tok_0000", NULL,
	    403 },
	{ "team reads its team", W_TEAM1, NULL, "GET", "/v1/teams/t1", NULL, 200 },
	{ "team reads another team", W_TEAM1, NULL, "GET", "/v1/teams/t2", NULL, 403 },
	{ "team reads a team that does not exist", W_TEAM1, NULL, "GET", "/v1/teams/nope", NULL,
	    403 },
	{ "team reads programmes", W_TEAM1, NULL, "GET", "/v1/programs", NULL, 200 },
	{ "team reads a phase", W_TEAM1, NULL, "GET", "/v1/phases/ph1", NULL, 200 },
	{ "team reads card models", W_TEAM1, NULL, "GET", "/v1/card-models", NULL, 200 },
	{ "team creates a team", W_TEAM1, NULL, "POST", "/v1/teams",
	    "{\"id\":\"t9\",\"name\":\"x\",\"lead_org\":\"o\"}", 403 },
	{ "team re-creates itself", W_TEAM1, NULL, "POST", "/v1/teams", T1_BODY, 403 },
	{ "team reads the audit", W_TEAM1, NULL, "GET", "/v1/audit", NULL, 403 },
	{ "team lists tokens", W_TEAM1, NULL, "GET", "/v1/tokens", NULL, 403 },
	{ "team creates a token", W_TEAM1, NULL, "POST", "/v1/tokens",
	    "{\"name\":\"x\",\"role\":\"team\",\"team\":\"t1\"}", 403 },
	{ "agent reads card models", W_AGENT, NULL, "GET", "/v1/card-models", NULL, 200 },
	{ "agent reads teams", W_AGENT, NULL, "GET", "/v1/teams", NULL, 403 },
	{ "agent reads programmes", W_AGENT, NULL, "GET", "/v1/programs", NULL, 403 },
	{ "agent reads the audit", W_AGENT, NULL, "GET", "/v1/audit", NULL, 403 },
	{ "agent creates a team", W_AGENT, NULL, "POST", "/v1/teams",
	    "{\"id\":\"t9\",\"name\":\"x\",\"lead_org\":\"o\"}", 403 },
	{ "agent sets a weight", W_AGENT, NULL, "PUT", "/v1/card-models/A100", "{\"weight\":1}",
	    403 },
};

START_TEST(auth)
{
	const struct authcase *c = &authcases[_i];
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
END_TEST

/* A team token lists its own team only; an admin sees every team. */
START_TEST(team_sees_itself)
{
	struct response rs;
	json_t *items;

	rs = fx_req(&F, "GET", "/v1/teams", team1, NULL);
	ck_assert_int_eq(rs.status, 200);
	items = json_object_get(rs.json, "items");
	ck_assert_int_eq(json_array_size(items), 1);
	ck_assert_str_eq(fx_str(json_array_get(items, 0), "id"), "t1");
	response_clear(&rs);
	rs = fx_req(&F, "GET", "/v1/teams?after=t1", team1, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 0);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/teams");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 2);
	response_clear(&rs);
}
END_TEST

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

static const struct listcase lists[] = {
	{ "programs", "/v1/programs", "/v1/programs", "POST",
	    "{\"id\":\"pg-%d\",\"name\":\"x\"}", "SELECT count(*) FROM programs", false },
	{ "teams", "/v1/teams", "/v1/teams", "POST",
	    "{\"id\":\"tm-%d\",\"name\":\"x\",\"lead_org\":\"o\"}", "SELECT count(*) FROM teams",
	    false },
	{ "phases", "/v1/programs/p1/phases", "/v1/programs/p1/phases", "POST",
	    PHASE("ph-%d", "\"2026-03-01\"", "30", PKG_OK),
	    "SELECT count(*) FROM phases WHERE program = 'p1'", false },
	{ "card models", "/v1/card-models", "/v1/card-models/M%d", "PUT", "{\"weight\":1}",
	    "SELECT count(*) FROM card_models", false },
	{ "tokens", "/v1/tokens", "/v1/tokens", "POST", "{\"name\":\"n%d\",\"role\":\"auditor\"}",
	    "SELECT count(*) FROM tokens", false },
	{ "audit", "/v1/audit", "/v1/teams", "POST",
	    "{\"id\":\"au-%d\",\"name\":\"x\",\"lead_org\":\"o\"}", "SELECT count(*) FROM audit",
	    true },
};

START_TEST(pagination)
{
	const struct listcase *c = &lists[_i];
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
END_TEST

/* ------------------------------------------------------------------ */
/* Idempotency. */

static struct response
idem_post(const char *token, const char *path, const char *body, const char *key,
    int64_t now)
{
	struct fx_rq in = { .method = "POST", .path = path, .token = token, .body = body,
		.idem = key, .now = now };

	return fx_call(&F, &in);
}

#define T3_BODY "{\"id\":\"t3\",\"name\":\"Team Three\",\"lead_org\":\"o\"}"
#define T3_REORDERED "{ \"lead_org\": \"o\",\n  \"name\": \"Team Three\", \"id\": \"t3\" }"

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
	fx_sql(&F, "INSERT INTO team_members (team, pos, org, role) VALUES ('ghost', 0, 'o', 'r')");
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
/* Group commit. */

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
	fx_sql(&F, "INSERT INTO team_members (team, pos, org, role) VALUES ('ghost', 0, 'o', 'r')");
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
/* The audit trail. */

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
	Suite *s = suite_create("routes_core");
	TCase *tc;
	SRunner *sr;
	int failed;
	tc = tcase_create("validation");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));
	tcase_add_loop_test(tc, accepted, 0, (int)NELEMS(accepts));
	tcase_add_test(tc, name_lengths);
	tcase_add_test(tc, member_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("shapes");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, token_shapes);
	tcase_add_test(tc, card_model_shapes);
	tcase_add_test(tc, program_shapes);
	tcase_add_test(tc, phase_shapes);
	tcase_add_test(tc, team_shapes);
	tcase_add_test(tc, health_shape);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, auth, 0, (int)NELEMS(authcases));
	tcase_add_test(tc, team_sees_itself);
	suite_add_tcase(s, tc);

	tc = tcase_create("lists");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, pagination, 0, (int)NELEMS(lists));
	suite_add_tcase(s, tc);

	tc = tcase_create("idempotency");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, idempotent_replay);
	tcase_add_test(tc, idempotency_key_reuse);
	tcase_add_test(tc, idempotency_failure_kept);
	tcase_add_test(tc, idempotent_token_secret);
	tcase_add_test(tc, idempotent_delete);
	tcase_add_test(tc, revoked_token_leaves_cache);
	suite_add_tcase(s, tc);

	tc = tcase_create("commit");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, batch_isolates_refusals);
	tcase_add_test(tc, failed_commit);
	tcase_add_test(tc, stopping);
	tcase_add_test(tc, json_depth_default);
	tcase_add_test(tc, json_depth_configured);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, audit_entries);
	tcase_add_test(tc, audit_tamper);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
