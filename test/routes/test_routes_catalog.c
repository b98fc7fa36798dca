/* test_routes_catalog.c: card models, programmes, phases and teams (routes_catalog.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_case.h"

static const struct refusal refusals[] = {
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
};

START_TEST(refused)
{
	check_refused(&refusals[_i]);
}
END_TEST

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
	    "[{\"org\":\"Org A\",\"organisation\":\"org-a\",\"role\":\"lead\"},"
	    "{\"org\":\"Org B\",\"organisation\":\"org-b\",\"role\":\"member\"}]",
	    "/v1/teams/t1" },
	{ "team: identical re-create without members", "POST", "/v1/teams", T2_BODY, NULL, 200,
	    0, "members", "[]", "/v1/teams/t2" },
};

START_TEST(accepted)
{
	check_accepted(&accepts[_i]);
}
END_TEST

static const struct authcase authcases[] = {
	{ "auditor reads teams", W_AUDITOR, NULL, "GET", "/v1/teams", NULL, 200 },
	{ "auditor reads a team", W_AUDITOR, NULL, "GET", "/v1/teams/t2", NULL, 200 },
	{ "auditor reads programmes", W_AUDITOR, NULL, "GET", "/v1/programs/p1", NULL, 200 },
	{ "auditor reads phases", W_AUDITOR, NULL, "GET", "/v1/programs/p1/phases", NULL, 200 },
	{ "auditor reads a phase", W_AUDITOR, NULL, "GET", "/v1/phases/ph1", NULL, 200 },
	{ "auditor reads card models", W_AUDITOR, NULL, "GET", "/v1/card-models", NULL, 200 },
	{ "auditor creates a team", W_AUDITOR, NULL, "POST", "/v1/teams", T2_BODY, 403 },
	{ "auditor creates a programme", W_AUDITOR, NULL, "POST", "/v1/programs",
	    "{\"id\":\"p9\",\"name\":\"x\"}", 403 },
	{ "auditor creates a phase", W_AUDITOR, NULL, "POST", "/v1/programs/p1/phases",
	    PHASE("ph9", "\"2026-03-01\"", "90", PKG_OK), 403 },
	{ "auditor sets a weight", W_AUDITOR, NULL, "PUT", "/v1/card-models/A100",
	    "{\"weight\":1}", 403 },
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
	{ "agent reads card models", W_AGENT, NULL, "GET", "/v1/card-models", NULL, 200 },
	{ "agent reads teams", W_AGENT, NULL, "GET", "/v1/teams", NULL, 403 },
	{ "agent reads programmes", W_AGENT, NULL, "GET", "/v1/programs", NULL, 403 },
	{ "agent creates a team", W_AGENT, NULL, "POST", "/v1/teams",
	    "{\"id\":\"t9\",\"name\":\"x\",\"lead_org\":\"o\"}", 403 },
	{ "agent sets a weight", W_AGENT, NULL, "PUT", "/v1/card-models/A100", "{\"weight\":1}",
	    403 },
};

START_TEST(auth)
{
	check_auth(&authcases[_i]);
}
END_TEST

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
};

START_TEST(pagination)
{
	check_pagination(&lists[_i]);
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
	/* Each organisation as it was resolved: made from the text, none existing. */
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "resolved")), 4);
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(rs.json, "resolved"), 0),
	    "organisation"), "motif-technologies");
	ck_assert(json_is_true(json_object_get(json_array_get(json_object_get(rs.json,
	    "resolved"), 3), "created")));
	ck_assert_str_eq(fx_str(json_array_get(m, 2), "organisation"), "acme");
	g = fx_get(&F, "/v1/teams/motif");
	json_object_del(rs.json, "resolved");	/* the answer's, not the team's */
	ck_assert(json_equal(g.json, rs.json));
	response_clear(&g);
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

int
main(void)
{
	Suite *s = suite_create("routes_catalog");
	TCase *tc;

	tc = world_tcase(s, "validation");
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));
	tcase_add_loop_test(tc, accepted, 0, (int)NELEMS(accepts));
	tcase_add_test(tc, name_lengths);
	tcase_add_test(tc, member_limit);

	tc = world_tcase(s, "shapes");
	tcase_add_test(tc, card_model_shapes);
	tcase_add_test(tc, program_shapes);
	tcase_add_test(tc, phase_shapes);
	tcase_add_test(tc, team_shapes);

	tc = world_tcase(s, "auth");
	tcase_add_loop_test(tc, auth, 0, (int)NELEMS(authcases));
	tcase_add_test(tc, team_sees_itself);

	tc = world_tcase(s, "lists");
	tcase_add_loop_test(tc, pagination, 0, (int)NELEMS(lists));

	return world_run(s);
}
