/* test_routes_orgs.c: organisations over the API (issue 16): names in any spelling, membership over time, related parties. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every test runs on a fresh copy of a database seeded once by
 * build_template(), in UTC:
 *
 *	phase ph: from 2026-03-01, 60 days, 8 B200 and 1,000,000 KRW a team
 *	organisation snu: 서울대학교 / Seoul National University, alias SNU
 *	team lg: lead "LG AI Research", member "seoul national university"
 *	    (found as snu by its name); enrolled, 8 cards of b1
 *	team motif: lead "Motif Technologies"; enrolled
 *	suppliers: snu-data ("SNU", snu), data-co ("Data Co Ltd")
 */
static struct fx TPL, F;
static char auditor[TOKEN_SECRET_LEN + 1], lg_tok[TOKEN_SECRET_LEN + 1];

#define DAY INT64_C(86400)
#define SNU_KO "\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90"	/* 서울대학교 */
/* 서울대학교 as conjoining jamo (NFD), as some systems export it. */
#define SNU_KO_NFD "\xe1\x84\x89\xe1\x85\xa5\xe1\x84\x8b\xe1\x85\xae\xe1\x86\xaf" \
	"\xe1\x84\x83\xe1\x85\xa2\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xa8\xe1\x84\x80\xe1\x85\xad"

static void
build_template(void)
{
	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}", 201);
	fx_must(&TPL, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":60,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201);
	fx_must(&TPL, "POST", "/v1/pools", "{\"id\":\"b1\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":32}", 201);
	fx_must(&TPL, "POST", "/v1/organisations", "{\"id\":\"snu\",\"name_ko\":\"" SNU_KO "\","
	    "\"name_en\":\"Seoul National University\",\"aliases\":[\"SNU\"],"
	    "\"brn\":\"124-81-00998\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"lg\",\"name\":\"LG\",\"lead_org\":"
	    "\"LG AI Research\",\"members\":[{\"org\":\"seoul national university\","
	    "\"role\":\"university\"}]}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"motif\",\"name\":\"Motif\",\"lead_org\":"
	    "\"Motif Technologies\"}", 201);
	fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"lg\",\"grants\":"
	    "[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"motif\",\"grants\":"
	    "[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_must(&TPL, "POST", "/v1/suppliers", "{\"id\":\"snu-data\",\"name\":\"SNU data\","
	    "\"org\":\"SNU\"}", 201);
	fx_must(&TPL, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}", 201);
	fx_token(&TPL, "auditor", ROLE_AUDITOR, NULL, NULL, auditor, NULL);
	fx_token(&TPL, "lg", ROLE_TEAM, "lg", NULL, lg_tok, NULL);
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

static char *
dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

static struct response
req_at(const char *method, const char *path, const char *token, const char *body,
    int64_t now)
{
	struct fx_rq in = { .method = method, .path = path, .token = token, .body = body,
		.now = now };

	return fx_call(&F, &in);
}

/* A hold of team lg (admin) for supplier at now: its status; the reply's code in code. */
static int
hold_at(const char *team, const char *supplier, const char *extra, int64_t now,
    char code[64])
{
	char body[512];
	struct response rs;
	int status;

	snprintf(body, sizeof(body), "{\"team\":\"%s\",\"phase\":\"ph\",\"supplier\":\"%s\","
	    "\"amount_krw\":10%s}", team, supplier, extra ? extra : "");
	rs = req_at("POST", "/v1/vouchers/holds", F.admin, body, now);
	status = rs.status;
	if (code != NULL)
		snprintf(code, 64, "%s", rs.problem ? fx_code(&rs) : "");
	response_clear(&rs);
	return status;
}

/* A supplier whose org is spelled org; returns its id in id. */
static void
supplier(const char *id, const char *org)
{
	json_t *b = json_pack("{s:s, s:s, s:s}", "id", id, "name", "Supplier", "org", org);
	char *s = json_dumps(b, JSON_COMPACT);
	struct response rs = fx_post(&F, "/v1/suppliers", s);
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == 201, "supplier '%s': %d %s", org, rs.status, d);
	free(d);
	free(s);
	json_decref(b);
	response_clear(&rs);
}

/* GET /v1/organisations?name=...: the id it found ("" for none), how in by. */
static void
lookup(const char *name, char id[64], char by[16])
{
	char path[1024], *q = path;
	struct response rs;

	q += snprintf(path, sizeof(path), "/v1/organisations?name=");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		q += snprintf(q, sizeof(path) - (size_t)(q - path), "%%%02X", *p);
	rs = fx_get(&F, path);
	ck_assert_msg(rs.status == 200, "lookup '%s': %d", name, rs.status);
	snprintf(id, 64, "%s", fx_str(json_array_get(json_object_get(rs.json, "items"), 0),
	    "id"));
	snprintf(by, 16, "%s", fx_str(json_array_get(json_object_get(rs.json, "items"), 0),
	    "matched_by"));
	response_clear(&rs);
}

/* Spellings of snu that must all find it, with what they must match. */
static const struct {
	const char *name, *by;
} spellings[] = {
	{ "Seoul National University", "name_en" },
	{ "seoul national university", "name_en" },
	{ "SEOUL NATIONAL UNIVERSITY", "name_en" },
	{ "  Seoul   National  University  ", "name_en" },
	{ "Seoul\xc2\xa0National\xc2\xa0University", "name_en" },		/* NBSP */
	{ "Seoul\xe3\x80\x80National University", "name_en" },		/* ideographic space */
	{ "\xef\xbc\xb3\xef\xbd\x85\xef\xbd\x8f\xef\xbd\x95\xef\xbd\x8c National University",
	    "name_en" },						/* full-width Seoul */
	{ "Seoul Na\xe2\x80\x8btional University", "name_en" },		/* zero-width space */
	{ SNU_KO, "name_ko" },
	{ SNU_KO_NFD, "name_ko" },
	{ "\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90 ", "name_ko" },
	{ "snu", "id" },
	{ "SNU", "alias" },
	{ "\xef\xbd\x93\xef\xbd\x8e\xef\xbd\x95", "alias" },		/* full-width snu */
};

START_TEST(every_spelling_finds_it)
{
	char id[64], by[16];

	lookup(spellings[_i].name, id, by);
	ck_assert_msg(strcmp(id, "snu") == 0, "'%s' found '%s'", spellings[_i].name, id);
	ck_assert_str_eq(by, spellings[_i].by);
}
END_TEST

/* The promise: a supplier in any spelling of a member organisation is a related party. */
START_TEST(every_spelling_is_related)
{
	char code[64];

	supplier("s-x", spellings[_i].name);
	ck_assert_int_eq(hold_at("lg", "s-x", NULL, 0, code), 409);
	ck_assert_str_eq(code, "related_party");
	/* Not lg's member: motif may buy from it. */
	ck_assert_int_eq(hold_at("motif", "s-x", NULL, 0, code), 201);
	/* An admin may allow it, with a reason kept with the hold. */
	ck_assert_int_eq(hold_at("lg", "s-x", ",\"override\":{\"reason\":\"sole source\"}", 0,
	    code), 201);
}
END_TEST

/*
 * Seeded random respellings of the English name: each letter's case, each
 * space doubled, made a no-break, ideographic or em space, each letter
 * made full-width, zero-width spaces and soft hyphens put in.  Every one
 * finds snu, and a supplier of that name is refused as lg's related party.
 */
START_TEST(random_respellings)
{
	static const char *const spaces[] = { " ", "  ", "\xc2\xa0", "\xe3\x80\x80", "\xe2\x80\x83",
		" \xc2\xa0 " };
	const char *base = "Seoul National University";
	unsigned seed = 20261207u;
	char name[512], id[64], by[16], sid[32], code[64];

	for (int n = 0; n < 60; n++) {
		size_t o = 0;

		for (const char *p = base; *p; p++) {
			unsigned r;

			seed = seed * 1103515245u + 12345u;
			r = (seed >> 8) & 0xff;
			if (*p == ' ') {
				o += (size_t)snprintf(name + o, sizeof(name) - o, "%s",
				    spaces[r % NELEMS(spaces)]);
				continue;
			}
			if (r % 7 == 0)
				o += (size_t)snprintf(name + o, sizeof(name) - o,
				    r % 2 ? "\xe2\x80\x8b" : "\xc2\xad");
			if (r % 3 == 0) {
				/* Full width: U+FF21.. for A-Z, U+FF41.. for a-z. */
				unsigned c = 0xff00 + (unsigned)(*p - 0x20);

				name[o++] = (char)(0xe0 | (c >> 12));
				name[o++] = (char)(0x80 | ((c >> 6) & 0x3f));
				name[o++] = (char)(0x80 | (c & 0x3f));
			} else {
				name[o++] = (char)(r % 2 ? (*p | 0x20) : (*p & ~0x20));
			}
		}
		name[o] = '\0';
		lookup(name, id, by);
		ck_assert_msg(strcmp(id, "snu") == 0, "respelling %d found '%s'", n, id);
		if (n % 6 == 0) {
			snprintf(sid, sizeof(sid), "s-%d", n);
			supplier(sid, name);
			ck_assert_int_eq(hold_at("lg", sid, NULL, 0, code), 409);
			ck_assert_str_eq(code, "related_party");
		}
	}
}
END_TEST

START_TEST(names_that_stay_apart)
{
	static const char *const others[] = { "Seoul National University Hospital",
		"Seoul Nat. University", "KAIST", "S N U", "Seoul National Univ" };
	char id[64], by[16];

	for (size_t i = 0; i < NELEMS(others); i++) {
		lookup(others[i], id, by);
		ck_assert_msg(id[0] == '\0', "'%s' found '%s'", others[i], id);
	}
	/* And a supplier of such a name made its own organisation: not related. */
	supplier("s-h", "Seoul National University Hospital");
	ck_assert_int_eq(hold_at("lg", "s-h", NULL, 0, NULL), 201);
}
END_TEST

START_TEST(shapes)
{
	struct response rs = fx_get(&F, "/v1/organisations/snu"), t;
	json_t *teams;
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == 200, "%s", d);
	ck_assert_str_eq(fx_str(rs.json, "name_ko"), SNU_KO);
	ck_assert_str_eq(fx_str(rs.json, "brn"), "1248100998");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rs.json, "aliases"),
	    0)), "SNU");
	teams = json_object_get(rs.json, "teams");
	ck_assert_int_eq(json_array_size(teams), 1);
	ck_assert_str_eq(fx_str(json_array_get(teams, 0), "team"), "lg");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rs.json, "suppliers"),
	    0)), "snu-data");
	free(d);
	response_clear(&rs);

	/* The team keeps the text it was given and names the organisation. */
	t = fx_get(&F, "/v1/teams/lg");
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(t.json, "members"), 0), "org"),
	    "seoul national university");
	ck_assert_str_eq(fx_str(json_array_get(json_object_get(t.json, "members"), 0),
	    "organisation"), "snu");
	ck_assert_str_eq(fx_str(t.json, "lead_organisation"), "lg-ai-research");
	response_clear(&t);

	/* Readers: an auditor and a team token read organisations; neither creates one. */
	rs = fx_req(&F, "GET", "/v1/organisations?q=seoul", lg_tok, NULL);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "items")), 1);
	response_clear(&rs);
	rs = fx_req(&F, "POST", "/v1/organisations", auditor, "{\"id\":\"x\",\"name_en\":\"X\"}");
	ck_assert_int_eq(rs.status, 403);
	response_clear(&rs);

	/* A team token sees its own team among an organisation's teams, not another's. */
	rs = fx_req(&F, "GET", "/v1/organisations/snu", lg_tok, NULL);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "teams")), 1);
	response_clear(&rs);
	{
		char motif[TOKEN_SECRET_LEN + 1];

		fx_token(&F, "motif", ROLE_TEAM, "motif", NULL, motif, NULL);
		rs = fx_req(&F, "GET", "/v1/organisations/snu", motif, NULL);
		ck_assert_int_eq(rs.status, 200);
		ck_assert_int_eq(json_array_size(json_object_get(rs.json, "teams")), 0);
		ck_assert_int_eq(json_array_size(json_object_get(rs.json, "suppliers")), 1);
		response_clear(&rs);
	}
}
END_TEST

/* A search by part of any name, in any spelling. */
START_TEST(search)
{
	static const struct {
		const char *q;
		int n;
	} qs[] = {
		{ "seoul", 1 }, { "NATIONAL", 1 }, { "%EC%84%9C%EC%9A%B8", 1 },	/* 서울 */
		{ "research", 1 }, { "technologies", 1 }, { "zzz", 0 }, { "ltd", 1 },
	};
	char path[256];

	for (size_t i = 0; i < NELEMS(qs); i++) {
		struct response rs;

		snprintf(path, sizeof(path), "/v1/organisations?q=%s", qs[i].q);
		rs = fx_get(&F, path);
		ck_assert_int_eq(rs.status, 200);
		ck_assert_msg((int)json_array_size(json_object_get(rs.json, "items")) == qs[i].n,
		    "q=%s: %zu items", qs[i].q, json_array_size(json_object_get(rs.json, "items")));
		response_clear(&rs);
	}
}
END_TEST

/* Refusals change nothing: no organisation, no name, no audit entry. */
static const struct {
	const char *what, *method, *path, *body;
	int status;
	const char *code, *detail;
} refusals[] = {
	{ "check digit", "POST", "/v1/organisations",
	    "{\"id\":\"up\",\"name_en\":\"Upstage\",\"brn\":\"124-81-00997\"}", 400, "bad_request",
	    "check digit is 8" },
	{ "brn shape", "POST", "/v1/organisations",
	    "{\"id\":\"up\",\"name_en\":\"Upstage\",\"brn\":\"12-481-00998\"}", 400, "bad_request",
	    "ten digits" },
	{ "brn of another", "POST", "/v1/organisations",
	    "{\"id\":\"up\",\"name_en\":\"Upstage\",\"brn\":\"1248100998\"}", 409, "conflict",
	    "organisation 'snu'" },
	{ "no name", "POST", "/v1/organisations", "{\"id\":\"up\"}", 400, "bad_request",
	    "name_ko or name_en" },
	{ "name of another", "POST", "/v1/organisations",
	    "{\"id\":\"up\",\"name_en\":\"S.N.U.\",\"aliases\":[\"s n u\",\"ｓｎｕ\"]}", 409,
	    "conflict", "already names organisation 'snu'" },
	{ "Korean name of another", "POST", "/v1/organisations",
	    "{\"id\":\"up\",\"name_ko\":\"" SNU_KO_NFD "\"}", 409, "conflict", "'snu'" },
	{ "alias not text", "POST", "/v1/organisations",
	    "{\"id\":\"up\",\"name_en\":\"U\",\"aliases\":[7]}", 400, "bad_request", "aliases[0]" },
	{ "alias of spaces", "POST", "/v1/organisations",
	    "{\"id\":\"up\",\"name_en\":\"U\",\"aliases\":[\"\\u200b\"]}", 400, "bad_request",
	    "nothing to compare" },
	{ "bad id", "POST", "/v1/organisations", "{\"id\":\"Up\",\"name_en\":\"U\"}", 400,
	    "bad_request", NULL },
	{ "patch nothing", "PATCH", "/v1/organisations/snu", "{\"reason\":\"r\"}", 400,
	    "bad_request", "nothing to change" },
	{ "patch both lists", "PATCH", "/v1/organisations/snu",
	    "{\"aliases\":[],\"add_aliases\":[\"x\"]}", 400, "bad_request", "not both" },
	{ "patch a taken name", "PATCH", "/v1/organisations/snu",
	    "{\"add_aliases\":[\"LG AI Research\"]}", 409, "conflict", "'lg-ai-research'" },
	{ "patch unknown", "PATCH", "/v1/organisations/nope", "{\"name_en\":\"N\"}", 404,
	    "not_found", "'nope'" },
	{ "merge itself", "POST", "/v1/organisations/snu/merge",
	    "{\"from\":\"snu\",\"reason\":\"r\"}", 400, "bad_request", "itself" },
	{ "merge unknown", "POST", "/v1/organisations/snu/merge",
	    "{\"from\":\"nope\",\"reason\":\"r\"}", 404, "not_found", "'nope'" },
	{ "merge without reason", "POST", "/v1/organisations/snu/merge",
	    "{\"from\":\"lg-ai-research\"}", 400, "bad_request", "reason" },
	{ "member twice", "POST", "/v1/teams/lg/members",
	    "{\"org\":\"SNU\",\"reason\":\"r\"}", 409, "conflict", "member of team 'lg' already" },
	{ "member of no team", "POST", "/v1/teams/nope/members",
	    "{\"org\":\"SNU\",\"reason\":\"r\"}", 404, "not_found", "'nope'" },
	{ "member without reason", "POST", "/v1/teams/lg/members", "{\"org\":\"KAIST\"}", 400,
	    "bad_request", "reason" },
	{ "member on and at", "POST", "/v1/teams/lg/members",
	    "{\"org\":\"KAIST\",\"reason\":\"r\",\"on\":\"2026-03-02\","
	    "\"at\":\"2026-03-02T00:00:00Z\"}", 400, "bad_request", "not both" },
	{ "remove a non-member", "DELETE", "/v1/teams/lg/members/motif-technologies",
	    "{\"reason\":\"r\"}", 404, "not_found", "no member organisation" },
	{ "remove the lead", "DELETE", "/v1/teams/lg/members/lg-ai-research",
	    "{\"reason\":\"r\"}", 404, "not_found", "no member organisation" },
	{ "team members twice", "POST", "/v1/teams",
	    "{\"id\":\"t9\",\"name\":\"T\",\"lead_org\":\"X\",\"members\":[{\"org\":\"SNU\","
	    "\"role\":\"a\"},{\"org\":\"" SNU_KO "\",\"role\":\"b\"}]}", 400, "bad_request",
	    "both organisation 'snu'" },
	{ "team lead of spaces", "POST", "/v1/teams",
	    "{\"id\":\"t9\",\"name\":\"T\",\"lead_org\":\"\\u00ad\"}", 400, "bad_request",
	    "nothing to compare" },
	{ "q and name", "GET", "/v1/organisations?q=a&name=b", NULL, 400, "bad_request",
	    "not both" },
};

START_TEST(refused)
{
	struct fx_rq in = { .method = refusals[_i].method, .path = refusals[_i].path,
		.token = F.admin, .body = refusals[_i].body };
	int64_t orgs = fx_count(&F, "organisations"), names = fx_count(&F, "organisation_names");
	int64_t mem = fx_count(&F, "team_memberships"), audit = fx_audit_count(&F);
	struct response rs = fx_call(&F, &in);
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == refusals[_i].status, "%s: %d %s", refusals[_i].what,
	    rs.status, d);
	ck_assert_str_eq(fx_code(&rs), refusals[_i].code);
	if (refusals[_i].detail)
		ck_assert_msg(strstr(fx_detail(&rs), refusals[_i].detail) != NULL, "%s: %s",
		    refusals[_i].what, d);
	free(d);
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "organisations"), orgs);
	ck_assert_int_eq(fx_count(&F, "organisation_names"), names);
	ck_assert_int_eq(fx_count(&F, "team_memberships"), mem);
	ck_assert_int_eq(fx_audit_count(&F), audit);
}
END_TEST

/*
 * A member joins on a date and leaves on another: a hold is judged by the
 * membership at its own time, before, during and after.
 */
START_TEST(membership_over_time)
{
	int64_t d10 = FX_NOW + 9 * DAY, d20 = FX_NOW + 19 * DAY;
	struct response rs;
	struct fx_audit a;
	char code[64];

	supplier("kaist-data", "KAIST Data Lab");
	/* KAIST joins lg on 03-10 (UTC, the programme's zone). */
	rs = fx_post(&F, "/v1/teams/lg/members", "{\"org\":\"KAIST Data Lab\",\"role\":\"data\","
	    "\"on\":\"2026-03-10\",\"reason\":\"consortium agreement amended\"}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "since"), "2026-03-10T00:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "resolved.matched_by"), "name_en");
	ck_assert_str_eq(fx_str(rs.json, "organisation"), "kaist-data-lab");
	response_clear(&rs);
	a = fx_audit_last(&F);
	ck_assert_str_eq(a.action, "team.member_add");
	ck_assert_str_eq(a.target, "team/lg/member/kaist-data-lab");

	/* Before it joined: not a related party; from the day it joined: one. */
	ck_assert_int_eq(hold_at("lg", "kaist-data", NULL, d10 - 1, code), 201);
	ck_assert_int_eq(hold_at("lg", "kaist-data", NULL, d10, code), 409);
	ck_assert_str_eq(code, "related_party");

	/* It leaves on 03-20: related until then, not after. */
	rs = req_at("DELETE", "/v1/teams/lg/members/kaist-data-lab", F.admin,
	    "{\"on\":\"2026-03-20\",\"reason\":\"left the consortium\"}", d10 + DAY);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(fx_str(rs.json, "until"), "2026-03-20T00:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "removed_reason"), "left the consortium");
	response_clear(&rs);
	ck_assert_str_eq(fx_audit_last(&F).action, "team.member_remove");
	ck_assert_int_eq(hold_at("lg", "kaist-data", NULL, d20 - 1, code), 409);
	ck_assert_int_eq(hold_at("lg", "kaist-data", NULL, d20, code), 201);

	/* The team lists it as a former member; it may join again. */
	rs = fx_get(&F, "/v1/teams/lg");
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "former_members")), 1);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "members")), 1);
	response_clear(&rs);
	rs = req_at("POST", "/v1/teams/lg/members", F.admin, "{\"org\":\"kaist-data-lab\","
	    "\"reason\":\"back\"}", d20 + DAY);
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "resolved.matched_by"), "id");
	response_clear(&rs);
	ck_assert_int_eq(hold_at("lg", "kaist-data", NULL, d20 + DAY, code), 409);

	/* A removal no later than the joining is refused. */
	rs = req_at("DELETE", "/v1/teams/lg/members/kaist-data-lab", F.admin,
	    "{\"at\":\"2026-03-21T00:00:00Z\",\"reason\":\"r\"}", d20 + 2 * DAY);
	ck_assert_int_eq(rs.status, 400);
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "only after"));
	response_clear(&rs);

	/* A member from the start leaves too, and snu-data stops being related. */
	ck_assert_int_eq(hold_at("lg", "snu-data", NULL, d20, code), 409);
	rs = req_at("DELETE", "/v1/teams/lg/members/snu", F.admin, "{\"reason\":\"left\"}", d20);
	ck_assert_int_eq(rs.status, 200);
	response_clear(&rs);
	ck_assert_int_eq(hold_at("lg", "snu-data", NULL, d20 - 1, code), 409);
	ck_assert_int_eq(hold_at("lg", "snu-data", NULL, d20, code), 201);
	ck_assert_int_gt(fx_audit_verify(&F), 0);
}
END_TEST

/*
 * Two records of one organisation (made apart, in two languages) are not
 * related parties of each other until merged; after the merge they are,
 * and every spelling of either finds the one left.
 */
START_TEST(merge)
{
	struct response rs;
	char id[64], by[16], code[64];
	const char *ko = "\xec\xb9\xb4\xec\x9d\xb4\xec\x8a\xa4\xed\x8a\xb8";	/* 카이스트 */

	supplier("kd", ko);	/* made: org-1, a Korean name only */
	rs = fx_post(&F, "/v1/teams/motif/members", "{\"org\":\"KAIST\",\"reason\":\"joined\"}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert(json_is_true(fx_at(rs.json, "resolved.created")));
	response_clear(&rs);
	lookup(ko, id, by);
	ck_assert_str_eq(id, "org-1");
	ck_assert_int_eq(hold_at("motif", "kd", NULL, 0, code), 201);

	rs = fx_post(&F, "/v1/organisations/kaist/merge", "{\"from\":\"org-1\","
	    "\"reason\":\"one institute\"}");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(fx_str(rs.json, "name_ko"), ko);
	ck_assert_str_eq(fx_str(rs.json, "name_en"), "KAIST");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(rs.json, "suppliers"),
	    0)), "kd");
	response_clear(&rs);
	ck_assert_str_eq(fx_audit_last(&F).action, "organisation.merge");
	rs = fx_get(&F, "/v1/organisations/org-1");
	ck_assert_int_eq(rs.status, 404);
	response_clear(&rs);
	lookup(ko, id, by);
	ck_assert_str_eq(id, "kaist");
	lookup("org-1", id, by);	/* the old id is an alias */
	ck_assert_str_eq(id, "kaist");
	ck_assert_str_eq(by, "alias");
	ck_assert_int_eq(hold_at("motif", "kd", NULL, 0, code), 409);
	ck_assert_str_eq(code, "related_party");

	/* Different registration numbers: not one organisation. */
	fx_must(&F, "POST", "/v1/organisations", "{\"id\":\"a\",\"name_en\":\"A\","
	    "\"brn\":\"1248100998\"}", 409);	/* snu has it */
	fx_must(&F, "PATCH", "/v1/organisations/kaist", "{\"brn\":\"220-81-62517\"}", 200);
	rs = fx_post(&F, "/v1/organisations/snu/merge", "{\"from\":\"kaist\",\"reason\":\"r\"}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "different business registration"));
	response_clear(&rs);
}
END_TEST

START_TEST(patch)
{
	struct response rs;
	struct fx_audit a;
	char id[64], by[16];

	rs = fx_req(&F, "PATCH", "/v1/organisations/snu", F.admin, "{\"add_aliases\":"
	    "[\"Seoul Nat'l Univ.\"],\"reason\":\"as on invoices\"}");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(rs.json, "aliases")), 2);
	response_clear(&rs);
	a = fx_audit_last(&F);
	ck_assert_str_eq(a.action, "organisation.update");
	lookup("SEOUL NAT'L UNIV.", id, by);
	ck_assert_str_eq(id, "snu");
	ck_assert_str_eq(by, "alias");
	/* Replacing the list drops the old aliases' keys. */
	fx_must(&F, "PATCH", "/v1/organisations/snu", "{\"aliases\":[]}", 200);
	lookup("SNU", id, by);
	ck_assert_str_eq(id, "");
	lookup("Seoul National University", id, by);
	ck_assert_str_eq(id, "snu");
	/* A supplier resolved before keeps its organisation. */
	rs = fx_get(&F, "/v1/suppliers/snu-data");
	ck_assert_str_eq(fx_str(rs.json, "organisation"), "snu");
	response_clear(&rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_orgs");
	TCase *tc = tcase_create("orgs");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, every_spelling_finds_it, 0, (int)NELEMS(spellings));
	tcase_add_loop_test(tc, every_spelling_is_related, 0, (int)NELEMS(spellings));
	tcase_add_test(tc, random_respellings);
	tcase_add_test(tc, names_that_stay_apart);
	tcase_add_test(tc, shapes);
	tcase_add_test(tc, search);
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));
	tcase_add_test(tc, membership_over_time);
	tcase_add_test(tc, merge);
	tcase_add_test(tc, patch);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
