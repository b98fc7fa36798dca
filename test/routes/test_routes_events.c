/* test_routes_events.c: the change feed (events.c, routes_events.c): outbox, audiences, pages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "fixture.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Programme p (UTC), phase ph of 8 B200 for 10 days from 2026-03-01, pool
 * b1 of 16 B200; alpha and beta enrolled on b1, gamma not enrolled; a token
 * for alpha, one for gamma and an auditor's.
 */
static struct fx TPL, F;
static char alpha[TOKEN_SECRET_LEN + 1], gamma_[TOKEN_SECRET_LEN + 1];
static char auditor[TOKEN_SECRET_LEN + 1], agent[TOKEN_SECRET_LEN + 1];

static void
build_template(void)
{
	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}", 201);
	fx_must(&TPL, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201);
	fx_must(&TPL, "POST", "/v1/pools", "{\"id\":\"b1\",\"provider\":\"Provider\","
	    "\"site\":\"Site\",\"card_model\":\"B200\",\"cards\":16}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"alpha\",\"name\":\"Alpha\","
	    "\"lead_org\":\"Alpha Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"beta\",\"name\":\"Beta\","
	    "\"lead_org\":\"Beta Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"gamma\",\"name\":\"Gamma\","
	    "\"lead_org\":\"Gamma Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"alpha\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"beta\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_token(&TPL, "alpha", ROLE_TEAM, "alpha", NULL, alpha, NULL);
	fx_token(&TPL, "gamma", ROLE_TEAM, "gamma", NULL, gamma_, NULL);
	fx_token(&TPL, "auditor", ROLE_AUDITOR, NULL, NULL, auditor, NULL);
	fx_token(&TPL, "agent", ROLE_AGENT, NULL, "b1", agent, NULL);
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

static void
outage(void)
{
	fx_must(&F, "POST", "/v1/pools/b1/outages", "{\"from\":\"2026-03-02T00:00:00Z\","
	    "\"to\":\"2026-03-03T00:00:00Z\",\"cards\":16,\"reason\":\"power\"}", 201);
}

/* Every event the token may read, through pages of `limit`; checks the cursors. */
static json_t *
read_all(const char *token, const char *query, int limit)
{
	json_t *all = json_array(), *items, *it;
	char path[256], after[32] = "0";
	struct response rs;
	int64_t last = 0;
	size_t i;

	for (int pages = 0; pages < 1000; pages++) {
		snprintf(path, sizeof(path), "/v1/events?limit=%d&after=%s%s", limit, after,
		    query);
		rs = fx_req(&F, "GET", path, token, NULL);
		ck_assert_int_eq(rs.status, 200);
		items = json_object_get(rs.json, "items");
		ck_assert_int_le(json_array_size(items), limit);
		json_array_foreach(items, i, it) {
			int64_t seq = json_integer_value(json_object_get(it, "seq"));

			ck_assert_int_gt(seq, last);
			last = seq;
			json_array_append(all, it);
		}
		if (json_is_null(json_object_get(rs.json, "next"))) {
			response_clear(&rs);
			return all;
		}
		ck_assert_int_eq(json_array_size(items), limit);
		snprintf(after, sizeof(after), "%s", fx_str(rs.json, "next"));
		ck_assert_int_eq(strtoll(after, NULL, 10), last);
		response_clear(&rs);
	}
	ck_abort_msg("too many pages");
	return NULL;
}

static json_t *
find_type(json_t *items, const char *type)
{
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it)
		if (strcmp(fx_str(it, "type"), type) == 0)
			return it;
	return NULL;
}

/* The changes of the template are events; their names, ids and resources. */
START_TEST(events_of_changes)
{
	json_t *all = read_all(F.admin, "", 100), *e;
	static const char *const want[][2] = {
		{ "program.created", "program/p" }, { "phase.created", "phase/ph" },
		{ "pool.created", "pool/b1" }, { "team.created", "team/alpha" },
		{ "team.created", "team/beta" }, { "team.created", "team/gamma" },
		{ "enrollment.created", "phase/ph/enrollment/alpha" },
		{ "enrollment.created", "phase/ph/enrollment/beta" },
	};
	char id[32];
	size_t i;

	ck_assert_int_eq(json_array_size(all), NELEMS(want));
	json_array_foreach(all, i, e) {
		ck_assert_str_eq(fx_str(e, "type"), want[i][0]);
		ck_assert_str_eq(fx_str(e, "resource"), want[i][1]);
		snprintf(id, sizeof(id), "ev_%016llx", (unsigned long long)(i + 1));
		ck_assert_str_eq(fx_str(e, "id"), id);
		ck_assert_str_eq(fx_str(e, "at"), "2026-03-01T00:00:00Z");
	}
	/* An enrollment concerns its team alone. */
	e = json_array_get(all, 6);
	ck_assert_int_eq(json_array_size(json_object_get(e, "teams")), 1);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "teams"), 0)),
	    "alpha");
	json_decref(all);
}
END_TEST

/* An outage concerns every team it touches; each team's copy is its own. */
START_TEST(outage_audiences)
{
	json_t *all, *e, *it;
	size_t i;

	outage();
	all = read_all(auditor, "&type=outage.recorded", 100);
	ck_assert_int_eq(json_array_size(all), 1);
	e = json_array_get(all, 0);
	ck_assert_str_eq(fx_str(e, "resource"), "pool/b1/outage/1");
	ck_assert_int_eq(json_array_size(json_object_get(e, "teams")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "teams"), 0)),
	    "alpha");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(e, "teams"), 1)),
	    "beta");
	ck_assert_ptr_nonnull(fx_at(e, "payload.detail"));
	ck_assert_str_eq(fx_str(e, "payload.pool"), "b1");
	json_decref(all);

	/* alpha: its own name alone, ids alone, never beta's anything. */
	all = read_all(alpha, "", 2);
	ck_assert_ptr_nonnull(e = find_type(all, "outage.recorded"));
	ck_assert_int_eq(json_array_size(json_object_get(e, "teams")), 1);
	ck_assert_ptr_null(fx_at(e, "payload.detail"));
	ck_assert_int_eq(json_integer_value(fx_at(e, "payload.outage")), 1);
	json_array_foreach(all, i, it) {
		char *s = json_dumps(it, JSON_COMPACT);

		ck_assert_msg(strstr(s, "beta") == NULL, "alpha sees %s", s);
		ck_assert_msg(strstr(s, "gamma") == NULL, "alpha sees %s", s);
		free(s);
	}
	/* Its own enrollment, team.created of alpha, the outage: three. */
	ck_assert_int_eq(json_array_size(all), 3);
	json_decref(all);

	/* gamma has no grant on b1: the outage is not about it. */
	all = read_all(gamma_, "", 1);
	ck_assert_int_eq(json_array_size(all), 1);
	ck_assert_str_eq(fx_str(json_array_get(all, 0), "type"), "team.created");
	json_decref(all);

	/* The admin filters by team and sees the full copy. */
	all = read_all(F.admin, "&team=beta", 1);
	ck_assert_int_eq(json_array_size(all), 3);
	ck_assert_ptr_nonnull(e = find_type(all, "outage.recorded"));
	ck_assert_int_eq(json_array_size(json_object_get(e, "teams")), 2);
	json_decref(all);
}
END_TEST

/* An event exists if and only if its change committed. */
START_TEST(outbox)
{
	int64_t n = fx_count(&F, "events");
	struct response rs;

	/* Refused: gamma asks for more cards than are free; a dry run changes nothing. */
	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"gamma\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}],\"start\":\"2026-03-01T00:00:00Z\"}");
	ck_assert_int_ge(rs.status, 400);
	response_clear(&rs);
	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"gamma\",\"dry_run\":true}");
	ck_assert_int_eq(rs.status, 200);
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "events"), n);
	/* A token made is audited but is no event. */
	rs = fx_post(&F, "/v1/tokens", "{\"name\":\"n\",\"role\":\"auditor\"}");
	ck_assert_int_eq(rs.status, 201);
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "events"), n);
	outage();
	ck_assert_int_eq(fx_count(&F, "events"), n + 1);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM events e JOIN audit a "
	    "ON a.seq = e.audit_seq AND a.action = 'outage.create'", NULL, NULL), 1);
}
END_TEST

/* Pages of every size list every event once, for the admin and for a team. */
START_TEST(paging)
{
	json_t *ref, *all;

	outage();
	for (int i = 0; i < 5; i++) {
		char body[128];

		snprintf(body, sizeof(body), "{\"id\":\"t%d\",\"name\":\"T%d\",\"lead_org\":"
		    "\"O%d\"}", i, i, i);
		fx_must(&F, "POST", "/v1/teams", body, 201);
	}
	ref = read_all(F.admin, "", 1000);
	ck_assert_int_eq(json_array_size(ref), fx_count(&F, "events"));
	for (int limit = 1; limit <= 4; limit++) {
		all = read_all(F.admin, "", limit);
		ck_assert(json_equal(all, ref));
		json_decref(all);
	}
	json_decref(ref);
	ref = read_all(alpha, "", 1000);
	for (int limit = 1; limit <= 3; limit++) {
		all = read_all(alpha, "", limit);
		ck_assert(json_equal(all, ref));
		json_decref(all);
	}
	json_decref(ref);
	all = read_all(F.admin, "&type=team.created", 2);
	ck_assert_int_eq(json_array_size(all), 8);
	json_decref(all);
}
END_TEST

/* Old events go; the newest stays, so numbers are never given twice. */
START_TEST(prune)
{
	int64_t n = fx_count(&F, "events");

	ck_assert_int_eq(events_prune(F.app.w, FX_NOW + 1), 0);
	ck_assert_int_eq(fx_count(&F, "events"), 1);
	ck_assert_int_eq(fx_qint(&F, "SELECT max(seq) FROM events", NULL, NULL), n);
	ck_assert_int_eq(fx_qint(&F, "SELECT count(*) FROM event_teams WHERE seq < "
	    "(SELECT max(seq) FROM events)", NULL, NULL), 0);
	outage();
	ck_assert_int_eq(fx_qint(&F, "SELECT max(seq) FROM events", NULL, NULL), n + 1);
}
END_TEST

static const struct {
	const char *what, *path;
	int who;	/* 0 admin, 1 auditor, 2 alpha, 3 agent */
	int status;
	const char *code;
} cases[] = {
	{ "after a word", "/v1/events?after=abc", 0, 400, "bad_request" },
	{ "after negative", "/v1/events?after=-1", 0, 400, "bad_request" },
	{ "limit 0", "/v1/events?limit=0", 0, 400, "bad_request" },
	{ "limit too large", "/v1/events?limit=1001", 0, 400, "bad_request" },
	{ "type with a capital", "/v1/events?type=Outage", 0, 400, "bad_request" },
	{ "team not an id", "/v1/events?team=A%20B", 0, 400, "bad_request" },
	{ "auditor reads", "/v1/events", 1, 200, NULL },
	{ "team reads its own", "/v1/events?team=alpha", 2, 200, NULL },
	{ "team asks for another's", "/v1/events?team=beta", 2, 403, "forbidden" },
	{ "agent", "/v1/events", 3, 403, "forbidden" },
};

START_TEST(requests)
{
	const char *tok[] = { F.admin, auditor, alpha, agent };
	struct response rs = fx_req(&F, "GET", cases[_i].path, tok[cases[_i].who], NULL);

	ck_assert_msg(rs.status == cases[_i].status, "%s: %d", cases[_i].what, rs.status);
	if (cases[_i].code)
		ck_assert_str_eq(fx_code(&rs), cases[_i].code);
	response_clear(&rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_events");
	TCase *tc = tcase_create("events");
	SRunner *sr;
	int failed;

	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, events_of_changes);
	tcase_add_test(tc, outage_audiences);
	tcase_add_test(tc, outbox);
	tcase_add_test(tc, paging);
	tcase_add_test(tc, prune);
	tcase_add_loop_test(tc, requests, 0, (int)NELEMS(cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
