/* test_routes_evaluations.c: evaluations over the API (issue 16): record, eliminate, list, report, refusals. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "timers.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every test runs on a fresh copy of a database seeded once by
 * build_template(), in UTC:
 *
 *	phase ph: from 2026-03-01, 10 days, package 8 B200; pool b1: 32 B200
 *	alpha, beta, gamma: enrolled, 8 cards of b1 each, [03-01, 03-11)
 *	delta: a team, not enrolled
 */
static struct fx TPL, F;
static char auditor[TOKEN_SECRET_LEN + 1];

#define D0305 "1772668800"	/* 2026-03-05T00:00:00Z */
#define T0312 ((int64_t)1773273600)

static void
build_template(void)
{
	static const char *const teams[] = { "alpha", "beta", "gamma", "delta" };
	char body[200];

	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}", 201);
	fx_must(&TPL, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201);
	fx_must(&TPL, "POST", "/v1/pools", "{\"id\":\"b1\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":32}", 201);
	for (size_t i = 0; i < NELEMS(teams); i++) {
		snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"T\",\"lead_org\":\"Org %s\"}",
		    teams[i], teams[i]);
		fx_must(&TPL, "POST", "/v1/teams", body, 201);
		if (strcmp(teams[i], "delta") == 0)
			continue;
		snprintf(body, sizeof(body), "{\"team\":\"%s\",\"grants\":[{\"pool\":\"b1\","
		    "\"cards\":8}]}", teams[i]);
		fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", body, 201);
	}
	fx_token(&TPL, "auditor", ROLE_AUDITOR, NULL, NULL, auditor, NULL);
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

static int64_t
qint(const char *sql, const char *a1, const char *a2)
{
	return fx_qint(&F, sql, a1, a2);
}

/* The enrollment state of team in ph, as the API says. */
static char *
state_of(const char *team)
{
	char path[96];
	struct response rs;
	char *s;

	snprintf(path, sizeof(path), "/v1/phases/ph/enrollments/%s", team);
	rs = fx_get(&F, path);
	ck_assert_int_eq(rs.status, 200);
	s = strdup(fx_str(rs.json, "state"));
	response_clear(&rs);
	return s;
}

#define ASSERT_STATE(team, want) do {					\
	char *st_ = state_of(team);					\
	ck_assert_str_eq(st_, want);					\
	free(st_);							\
} while (0)

/* The number of team's grants still holding cards after t (epoch seconds, as text). */
static int64_t
grants_after(const char *team, const char *t)
{
	return qint("SELECT count(*) FROM grants g JOIN enrollments e ON e.id = g.enrollment "
	    "WHERE e.team = ?1 AND g.cancelled = 0 AND g.end > CAST(?2 AS INTEGER)", team, t);
}

static json_t *
result_of(const json_t *ev, const char *team)
{
	json_t *r;
	size_t i;

	json_array_foreach(fx_at(ev, "results"), i, r)
		if (strcmp(fx_str(r, "team"), team) == 0)
			return r;
	ck_abort_msg("no result for %s", team);
	return NULL;
}

static struct response
post_eval(const char *body, int64_t now)
{
	struct fx_rq in = { .method = "POST", .path = "/v1/phases/ph/evaluations",
		.token = F.admin, .body = body, .now = now };

	return fx_call(&F, &in);
}

/* ------------------------------------------------------------------ record */

START_TEST(record)
{
	struct response rs;
	int64_t audit = fx_audit_count(&F);
	char rid[32];
	json_t *r;
	char *d;

	ck_assert_int_eq(grants_after("beta", D0305), 1);
	rs = post_eval("{\"held_on\":\"2026-03-04\",\"effective_on\":\"2026-03-05\","
	    "\"reason\":\"mid-phase review\",\"results\":["
	    "{\"team\":\"alpha\",\"decision\":\"advance\",\"score\":87.5,\"note\":\"strong\"},"
	    "{\"team\":\"beta\",\"decision\":\"eliminate\",\"score\":41.125},"
	    "{\"team\":\"delta\",\"decision\":\"eliminate\",\"note\":\"not selected\"}]}", 0);
	snprintf(rid, sizeof(rid), "%s", F.rid);
	d = dump(rs.json);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, d);
	ck_assert_str_eq(fx_str(rs.json, "id"), "ev_1");
	ck_assert_str_eq(fx_str(rs.json, "phase"), "ph");
	ck_assert_str_eq(fx_str(rs.json, "held_on"), "2026-03-04");
	ck_assert_str_eq(fx_str(rs.json, "effective_on"), "2026-03-05");
	ck_assert_str_eq(fx_str(rs.json, "reason"), "mid-phase review");
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "results")), 3);
	/* In the order given. */
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "results"), 0), "team"), "alpha");
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "results"), 2), "team"), "delta");

	r = result_of(rs.json, "alpha");
	ck_assert_str_eq(fx_str(r, "decision"), "advance");
	ck_assert(json_is_true(fx_at(r, "enrolled")));
	ck_assert_str_eq(fx_str(r, "applied"), "none");
	ck_assert(json_number_value(fx_at(r, "score")) == 87.5);
	ck_assert_str_eq(fx_str(r, "note"), "strong");

	r = result_of(rs.json, "beta");
	ck_assert_str_eq(fx_str(r, "decision"), "eliminate");
	ck_assert(json_is_true(fx_at(r, "enrolled")));
	ck_assert_str_eq(fx_str(r, "applied"), "eliminated");
	ck_assert(json_number_value(fx_at(r, "score")) == 41.125);
	ck_assert_ptr_null(fx_at(r, "note"));

	/* An applicant never enrolled: recorded, nothing applied. */
	r = result_of(rs.json, "delta");
	ck_assert(json_is_false(fx_at(r, "enrolled")));
	ck_assert_str_eq(fx_str(r, "applied"), "none");
	ck_assert_ptr_null(fx_at(r, "score"));
	ck_assert_str_eq(fx_str(r, "note"), "not selected");
	free(d);
	response_clear(&rs);

	/* beta eliminated from effective_on: its grants end then; the others untouched. */
	ASSERT_STATE("beta", "eliminated");
	ASSERT_STATE("alpha", "active");
	ck_assert_int_eq(grants_after("beta", D0305), 0);
	ck_assert_int_eq(qint("SELECT count(*) FROM grants g JOIN enrollments e ON "
	    "e.id = g.enrollment WHERE e.team = 'beta' AND g.cancelled = 0 AND g.end = "
	    D0305, NULL, NULL), 1);
	ck_assert_int_eq(grants_after("alpha", D0305), 1);
	ck_assert_int_eq(qint("SELECT count(*) FROM enrollments WHERE team = 'delta'", NULL,
	    NULL), 0);

	/* Audited: the evaluation, then the elimination with the evaluation as reason. */
	ck_assert_int_eq(fx_audit_count(&F), audit + 2);
	ck_assert_int_eq(qint("SELECT count(*) FROM audit WHERE action = 'evaluation.record' "
	    "AND target = 'phase/ph/evaluation/1' AND reason = ?", "mid-phase review", NULL), 1);
	ck_assert_int_eq(qint("SELECT count(*) FROM audit WHERE action = "
	    "'enrollment.eliminate' AND target = ? AND reason = ?", "phase/ph/enrollment/beta",
	    "evaluation ev_1: mid-phase review"), 1);
	ck_assert_int_eq(qint("SELECT count(*) FROM audit WHERE action = "
	    "'enrollment.eliminate'", NULL, NULL), 1);
	ck_assert_str_eq(fx_audit_last(&F).action, "enrollment.eliminate");
	ck_assert_str_eq(fx_audit_last(&F).request_id, rid);
	ck_assert_int_eq(qint("SELECT count(*) FROM audit WHERE request_id = ?", rid, NULL), 2);
	fx_audit_verify(&F);
}
END_TEST

/* Already eliminated or withdrawn: recorded as already_ended, nothing else done. */
START_TEST(already_ended)
{
	struct response rs;
	int64_t audit;
	char *d;

	fx_must(&F, "POST", "/v1/phases/ph/enrollments/beta/eliminate",
	    "{\"effective_on\":\"2026-03-03\",\"reason\":\"first\"}", 200);
	fx_must(&F, "POST", "/v1/phases/ph/enrollments/gamma/withdraw",
	    "{\"effective_on\":\"2026-03-03\",\"reason\":\"left\"}", 200);
	audit = fx_audit_count(&F);
	/* effective_on defaults to held_on. */
	rs = post_eval("{\"held_on\":\"2026-03-06\",\"reason\":\"final\",\"results\":["
	    "{\"team\":\"beta\",\"decision\":\"eliminate\"},"
	    "{\"team\":\"gamma\",\"decision\":\"eliminate\"}]}", 0);
	d = dump(rs.json);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, d);
	ck_assert_str_eq(fx_str(rs.json, "effective_on"), "2026-03-06");
	ck_assert(json_is_true(fx_at(result_of(rs.json, "beta"), "enrolled")));
	ck_assert_str_eq(fx_str(result_of(rs.json, "beta"), "applied"), "already_ended");
	ck_assert_str_eq(fx_str(result_of(rs.json, "gamma"), "applied"), "already_ended");
	free(d);
	response_clear(&rs);
	ASSERT_STATE("beta", "eliminated");
	ASSERT_STATE("gamma", "withdrawn");
	ck_assert_int_eq(fx_audit_count(&F), audit + 1);
	ck_assert_str_eq(fx_audit_last(&F).action, "evaluation.record");
	ck_assert_int_eq(qint("SELECT count(*) FROM audit WHERE reason LIKE 'evaluation ev_%'",
	    NULL, NULL), 0);
}
END_TEST

/* A completed team: recorded as completed, its state unchanged. */
START_TEST(completed)
{
	struct response rs;
	int64_t audit, grants;
	char *d;

	fx_run_timers(&F, T0312);
	ASSERT_STATE("alpha", "completed");
	audit = fx_audit_count(&F);
	grants = qint("SELECT coalesce(sum(end), 0) + count(*) FROM grants", NULL, NULL);
	rs = post_eval("{\"held_on\":\"2026-03-12\",\"reason\":\"after the phase\",\"results\":["
	    "{\"team\":\"alpha\",\"decision\":\"eliminate\",\"score\":1.001}]}", T0312);
	d = dump(rs.json);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, d);
	ck_assert(json_is_true(fx_at(result_of(rs.json, "alpha"), "enrolled")));
	ck_assert_str_eq(fx_str(result_of(rs.json, "alpha"), "applied"), "completed");
	ck_assert(json_number_value(fx_at(result_of(rs.json, "alpha"), "score")) == 1.001);
	free(d);
	response_clear(&rs);
	ASSERT_STATE("alpha", "completed");
	ck_assert_int_eq(qint("SELECT coalesce(sum(end), 0) + count(*) FROM grants", NULL, NULL),
	    grants);
	ck_assert_int_eq(fx_audit_count(&F), audit + 1);
	ck_assert_str_eq(fx_audit_last(&F).action, "evaluation.record");
}
END_TEST

/* Still active, but effective on the window's end: it completes by itself then. */
START_TEST(effective_at_window_end)
{
	struct response rs;
	int64_t audit = fx_audit_count(&F);
	char *d;

	rs = post_eval("{\"held_on\":\"2026-03-10\",\"effective_on\":\"2026-03-11\","
	    "\"reason\":\"late\",\"results\":[{\"team\":\"alpha\",\"decision\":\"eliminate\"}]}",
	    0);
	d = dump(rs.json);
	ck_assert_msg(rs.status == 201, "%d %s", rs.status, d);
	ck_assert_str_eq(fx_str(result_of(rs.json, "alpha"), "applied"), "completed");
	free(d);
	response_clear(&rs);
	ASSERT_STATE("alpha", "active");
	ck_assert_int_eq(grants_after("alpha", D0305), 1);
	ck_assert_int_eq(fx_audit_count(&F), audit + 1);
}
END_TEST

/* -------------------------------------------------------------- list, report */

START_TEST(list_order)
{
	struct fx_rq in = { .method = "GET", .path = "/v1/phases/ph/evaluations",
		.token = auditor };
	struct response rs = fx_get(&F, "/v1/phases/ph/evaluations");
	json_t *items;
	char *d;

	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "items")), 0);
	response_clear(&rs);
	fx_must(&F, "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-08\","
	    "\"reason\":\"second round\",\"results\":[{\"team\":\"alpha\","
	    "\"decision\":\"advance\"}]}", 201);
	fx_must(&F, "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-04\","
	    "\"reason\":\"first round\",\"results\":[{\"team\":\"beta\","
	    "\"decision\":\"advance\"}]}", 201);
	fx_must(&F, "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-04\","
	    "\"reason\":\"first round, again\",\"results\":[{\"team\":\"gamma\","
	    "\"decision\":\"advance\",\"note\":\"n\"}]}", 201);
	/* By held_on, then in the order recorded; an auditor reads them too. */
	rs = fx_call(&F, &in);
	d = dump(rs.json);
	ck_assert_msg(rs.status == 200, "%d %s", rs.status, d);
	items = fx_at(rs.json, "items");
	ck_assert_int_eq(json_array_size(items), 3);
	ck_assert_str_eq(fx_str(json_array_get(items, 0), "id"), "ev_2");
	ck_assert_str_eq(fx_str(json_array_get(items, 1), "id"), "ev_3");
	ck_assert_str_eq(fx_str(json_array_get(items, 2), "id"), "ev_1");
	ck_assert_str_eq(fx_str(json_array_get(items, 2), "reason"), "second round");
	ck_assert_str_eq(fx_str(json_array_get(fx_at(json_array_get(items, 1), "results"), 0),
	    "note"), "n");
	free(d);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/nope/evaluations");
	ck_assert_int_eq(rs.status, 404);
	ck_assert_str_eq(fx_detail(&rs), "phase 'nope' does not exist");
	response_clear(&rs);
}
END_TEST

START_TEST(report)
{
	struct response rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-09T00:00:00Z");
	json_t *ev;

	ck_assert_int_eq(rs.status, 200);
	ck_assert(json_is_array(fx_at(rs.json, "evaluations")));
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "evaluations")), 0);
	response_clear(&rs);
	fx_must(&F, "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-04\","
	    "\"effective_on\":\"2026-03-05\",\"reason\":\"review\",\"results\":["
	    "{\"team\":\"beta\",\"decision\":\"eliminate\",\"score\":2},"
	    "{\"team\":\"delta\",\"decision\":\"eliminate\"}]}", 201);
	rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-09T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "evaluations")), 1);
	ev = json_array_get(fx_at(rs.json, "evaluations"), 0);
	ck_assert_str_eq(fx_str(ev, "id"), "ev_1");
	ck_assert_str_eq(fx_str(ev, "reason"), "review");
	ck_assert_str_eq(fx_str(result_of(ev, "beta"), "applied"), "eliminated");
	ck_assert_int_eq(json_integer_value(fx_at(result_of(ev, "beta"), "score")), 2);
	ck_assert(json_is_false(fx_at(result_of(ev, "delta"), "enrolled")));
	response_clear(&rs);
}
END_TEST

/* The ids of a report's evaluations, "ev_1,ev_3", malloc'd. */
static char *
eval_ids(const json_t *rep)
{
	char buf[256] = "";
	json_t *ev;
	size_t i;

	json_array_foreach(fx_at(rep, "evaluations"), i, ev)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
		    fx_str(ev, "id"));
	return strdup(buf);
}

/* GET the fairness report at `query`; its evaluations' ids are want. */
static json_t *
report_evals(const char *query, const char *want)
{
	char path[160];
	struct response rs;
	json_t *rep;
	char *ids;

	snprintf(path, sizeof(path), "/v1/phases/ph/fairness?%s", query);
	rs = fx_get(&F, path);
	ck_assert_msg(rs.status == 200, "%s: %d", path, rs.status);
	ids = eval_ids(rs.json);
	ck_assert_msg(strcmp(ids, want) == 0, "%s: evaluations %s, want %s", path, ids, want);
	free(ids);
	rep = json_incref(rs.json);
	response_clear(&rs);
	return rep;
}

/*
 * A report lists the evaluations held on or before its `at` (in the phase's
 * zone, UTC here), not those held after; one at an earlier audit sequence,
 * asked for with as_of, is the one produced then, to the digest, though an
 * evaluation held before its `at` was recorded since.
 */
START_TEST(report_at)
{
	json_t *rep;
	char digest[80], query[120];
	int64_t seq;

	fx_must(&F, "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-04\","
	    "\"reason\":\"first\",\"results\":[{\"team\":\"beta\",\"decision\":\"advance\"}]}",
	    201);
	fx_must(&F, "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-09\","
	    "\"reason\":\"second\",\"results\":[{\"team\":\"gamma\",\"decision\":\"advance\"}]}",
	    201);
	rep = report_evals("at=2026-03-08T23:59:59Z", "ev_1");
	seq = json_integer_value(fx_at(rep, "audit_seq"));
	snprintf(digest, sizeof(digest), "%s", fx_str(rep, "digest"));
	json_decref(rep);
	/* Held on the day `at` begins: listed. */
	json_decref(report_evals("at=2026-03-09T00:00:00Z", "ev_1,ev_2"));
	json_decref(report_evals("at=2026-03-03T23:59:59Z", ""));
	/* The list itself is not narrowed. */
	{
		struct response rs = fx_get(&F, "/v1/phases/ph/evaluations");

		ck_assert_int_eq(json_array_size(fx_at(rs.json, "items")), 2);
		response_clear(&rs);
	}

	/* Recorded later, held before `at`: in a new report, not in the one kept. */
	fx_must(&F, "POST", "/v1/phases/ph/evaluations", "{\"held_on\":\"2026-03-05\","
	    "\"reason\":\"late record\",\"results\":[{\"team\":\"alpha\","
	    "\"decision\":\"advance\"}]}", 201);
	rep = report_evals("at=2026-03-08T23:59:59Z", "ev_1,ev_3");
	ck_assert_int_gt(json_integer_value(fx_at(rep, "audit_seq")), seq);
	ck_assert_str_ne(fx_str(rep, "digest"), digest);
	json_decref(rep);
	snprintf(query, sizeof(query), "at=2026-03-08T23:59:59Z&as_of=%lld", (long long)seq);
	rep = report_evals(query, "ev_1");
	ck_assert_int_eq(json_integer_value(fx_at(rep, "audit_seq")), seq);
	ck_assert_str_eq(fx_str(rep, "digest"), digest);
	json_decref(rep);
}
END_TEST

/* ---------------------------------------------------------------- refusals */

#define RES_OK "{\"team\":\"beta\",\"decision\":\"eliminate\"}"

static const struct {
	const char *what;
	const char *path;
	bool as_auditor;
	const char *body;
	int status;
	const char *detail;	/* a part of the problem's detail; NULL: not checked */
} refusals[] = {
	{ "empty results", "/v1/phases/ph/evaluations", false, "{\"held_on\":\"2026-03-04\","
	  "\"reason\":\"r\",\"results\":[]}", 400, "results must list 1 to" },
	{ "an unknown decision", "/v1/phases/ph/evaluations", false, "{\"held_on\":"
	  "\"2026-03-04\",\"reason\":\"r\",\"results\":[" RES_OK ",{\"team\":\"gamma\","
	  "\"decision\":\"promote\"}]}", 400, "results[1].decision must be advance or eliminate" },
	{ "a team twice", "/v1/phases/ph/evaluations", false, "{\"held_on\":\"2026-03-04\","
	  "\"reason\":\"r\",\"results\":[" RES_OK ",{\"team\":\"beta\",\"decision\":"
	  "\"advance\"}]}", 400, "team 'beta' is judged twice" },
	{ "effective_on before held_on", "/v1/phases/ph/evaluations", false, "{\"held_on\":"
	  "\"2026-03-04\",\"effective_on\":\"2026-03-03\",\"reason\":\"r\",\"results\":["
	  RES_OK "]}", 400, "effective_on must not be before held_on" },
	{ "a score of 0", "/v1/phases/ph/evaluations", false, "{\"held_on\":\"2026-03-04\","
	  "\"reason\":\"r\",\"results\":[" RES_OK ",{\"team\":\"gamma\",\"decision\":"
	  "\"advance\",\"score\":0}]}", 400, "results[1].score" },
	{ "a negative score", "/v1/phases/ph/evaluations", false, "{\"held_on\":\"2026-03-04\","
	  "\"reason\":\"r\",\"results\":[{\"team\":\"beta\",\"decision\":\"eliminate\","
	  "\"score\":-1}]}", 400, "results[0].score" },
	{ "a score with 4 decimals", "/v1/phases/ph/evaluations", false, "{\"held_on\":"
	  "\"2026-03-04\",\"reason\":\"r\",\"results\":[{\"team\":\"beta\",\"decision\":"
	  "\"eliminate\",\"score\":1.2345}]}", 400, "at most 3 decimals" },
	{ "a score as text", "/v1/phases/ph/evaluations", false, "{\"held_on\":\"2026-03-04\","
	  "\"reason\":\"r\",\"results\":[{\"team\":\"beta\",\"decision\":\"eliminate\","
	  "\"score\":\"high\"}]}", 400, "results[0].score" },
	{ "no reason", "/v1/phases/ph/evaluations", false, "{\"held_on\":\"2026-03-04\","
	  "\"results\":[" RES_OK "]}", 400, NULL },
	{ "no held_on", "/v1/phases/ph/evaluations", false, "{\"reason\":\"r\","
	  "\"results\":[" RES_OK "]}", 400, NULL },
	{ "a result not an object", "/v1/phases/ph/evaluations", false, "{\"held_on\":"
	  "\"2026-03-04\",\"reason\":\"r\",\"results\":[\"beta\"]}", 400,
	  "results[0] must be an object" },
	{ "an unknown phase", "/v1/phases/nope/evaluations", false, "{\"held_on\":"
	  "\"2026-03-04\",\"reason\":\"r\",\"results\":[" RES_OK "]}", 404,
	  "phase 'nope' does not exist" },
	{ "an auditor", "/v1/phases/ph/evaluations", true, "{\"held_on\":\"2026-03-04\","
	  "\"reason\":\"r\",\"results\":[" RES_OK "]}", 403, NULL },
};

START_TEST(refused)
{
	struct fx_rq in = { .method = "POST", .path = refusals[_i].path,
		.token = refusals[_i].as_auditor ? auditor : F.admin, .body = refusals[_i].body };
	int64_t audit = fx_audit_count(&F), evs = fx_count(&F, "evaluations");
	int64_t res = fx_count(&F, "evaluation_results");
	struct response rs = fx_call(&F, &in);
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == refusals[_i].status, "%s: %d %s", refusals[_i].what,
	    rs.status, d);
	if (refusals[_i].detail)
		ck_assert_msg(strstr(fx_detail(&rs), refusals[_i].detail) != NULL, "%s: %s",
		    refusals[_i].what, d);
	free(d);
	response_clear(&rs);
	/* Nothing changed: no record, no audit, beta still active with its grants. */
	ck_assert_int_eq(fx_audit_count(&F), audit);
	ck_assert_int_eq(fx_count(&F, "evaluations"), evs);
	ck_assert_int_eq(fx_count(&F, "evaluation_results"), res);
	ASSERT_STATE("beta", "active");
	ck_assert_int_eq(grants_after("beta", D0305), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_evaluations");
	TCase *tc = tcase_create("evaluations");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, record);
	tcase_add_test(tc, already_ended);
	tcase_add_test(tc, completed);
	tcase_add_test(tc, effective_at_window_end);
	tcase_add_test(tc, list_order);
	tcase_add_test(tc, report);
	tcase_add_test(tc, report_at);
	tcase_add_loop_test(tc, refused, 0, (int)NELEMS(refusals));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
