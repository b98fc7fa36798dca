/* test_programme_evaluations.c: the programme's evaluations recorded through the API as they happened (issue 16's acceptance). */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/*
 * The programme as test_fairness_year.c replays it (a 64th of the cards,
 * programme sovereign-ai in Asia/Seoul, phase stage-1 from 2025-09-01 for
 * 300 days), on the test clock, with its evaluations recorded as
 * evaluations rather than as bare eliminations:
 *
 *   2025-09-01  five teams enrolled: lg-ai, sk-telecom, upstage,
 *               naver-cloud, nc-ai
 *   2026-01-14  the first evaluation, effective 2026-01-15: lg-ai,
 *               sk-telecom and upstage advance; naver-cloud and nc-ai are
 *               eliminated
 *   2026-02-20  the repechage: motif, enrolled that morning, is chosen;
 *               trillion-labs, an applicant grantd never had as a team, is
 *               not
 *   2026-08-20  the second evaluation, after the first windows ended on
 *               2026-06-28 (motif's runs to 2026-12-17)
 *
 * The outcomes are those issue 16 tells; the first evaluation's dates and
 * motif's enrollment are test_fairness_year.c's; the August day, the
 * scores and the notes are made up (grantd only carries them).  Every check
 * reports through h_expect, so one run shows every disagreement.
 */

#define PHASE "/v1/phases/stage-1"
#define ELIMINATED_AT "2026-01-14T15:00:00Z"	/* 2026-01-15 00:00 KST */

static const char *const early[] = { "lg-ai", "sk-telecom", "upstage", "naver-cloud", "nc-ai" };

/* ------------------------------------------------------------------ */
/* Requests and JSON. */

static struct hresp __attribute__((format(printf, 3, 4)))
post(struct harness *h, const char *path, const char *fmt, ...)
{
	struct hresp r;
	char *body;
	va_list ap;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&body, fmt, ap), 0);
	va_end(ap);
	r = h_req(h, "POST", path, h->admin, body, NULL);
	free(body);
	return r;
}

static json_t *
get(struct harness *h, const char *path)
{
	return h_must(h_req(h, "GET", path, h->admin, NULL, NULL), 200, path);
}

static char *
dump(const json_t *o)
{
	static char buf[8][4096];
	static int k;
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s", s ? s : "(absent)");
	free(s);
	return buf[k];
}

/* The state of team's enrollment in stage-1, and its ended_at ("" when none) into ended. */
static void
state_of(struct harness *h, const char *team, char *state, size_t n, char *ended, size_t en)
{
	char path[128];
	json_t *e;

	snprintf(path, sizeof(path), PHASE "/enrollments/%s", team);
	e = get(h, path);
	snprintf(state, n, "%s", h_str(e, "state"));
	snprintf(ended, en, "%s", h_str(e, "ended_at"));
	json_decref(e);
}

static void
expect_state(struct harness *h, const char *when, const char *team, const char *want)
{
	char state[32], ended[40];

	state_of(h, team, state, sizeof(state), ended, sizeof(ended));
	h_expect(strcmp(state, want) == 0, "%s: expected %s %s; got %s", when, team, want, state);
}

/* Moves the clock to now and waits (5 s at most) until team's enrollment is state. */
static void
clock_and_wait(struct harness *h, const char *now, const char *team, const char *want)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char state[32], ended[40];
	int tries;

	h_clock(h, now);
	for (tries = 0; tries < 250; tries++) {
		state_of(h, team, state, sizeof(state), ended, sizeof(ended));
		if (strcmp(state, want) == 0)
			return;
		nanosleep(&ts, NULL);
	}
	ck_abort_msg("at %s, %s is %s, not %s, after 5 s", now, team, state, want);
}

/* The result of team in an evaluation, or NULL (reported). */
static json_t *
result_of(json_t *ev, const char *team)
{
	json_t *r;
	size_t i;

	json_array_foreach(json_object_get(ev, "results"), i, r)
		if (strcmp(h_str(r, "team"), team) == 0)
			return r;
	h_expect(false, "evaluation %s: no result for %s: %s", h_str(ev, "id"), team, dump(ev));
	return NULL;
}

/* One result as expected: decision, score (0: none), note (NULL: none), enrolled, applied. */
struct want {
	const char *team, *decision;
	double score;
	const char *note;
	bool enrolled;
	const char *applied;
};

static void
expect_results(json_t *ev, const struct want *w, size_t n)
{
	json_t *rs = json_object_get(ev, "results");

	h_expect(json_array_size(rs) == n, "evaluation %s: expected %zu results; got %s",
	    h_str(ev, "id"), n, dump(rs));
	for (size_t i = 0; i < n; i++) {
		json_t *r = result_of(ev, w[i].team), *score, *note;

		if (r == NULL)
			continue;
		score = json_object_get(r, "score");
		note = json_object_get(r, "note");
		h_expect(r == json_array_get(rs, i), "evaluation %s: %s not at %zu, where it was "
		    "given", h_str(ev, "id"), w[i].team, i);
		h_expect(strcmp(h_str(r, "decision"), w[i].decision) == 0 &&
		    (w[i].score == 0 ? score == NULL : json_number_value(score) == w[i].score) &&
		    (w[i].note == NULL ? note == NULL :
		    strcmp(json_string_value(note), w[i].note) == 0) &&
		    json_is_boolean(json_object_get(r, "enrolled")) &&
		    json_is_true(json_object_get(r, "enrolled")) == w[i].enrolled &&
		    strcmp(h_str(r, "applied"), w[i].applied) == 0,
		    "evaluation %s, %s: expected %s, score %g, note %s, enrolled %s, applied %s; "
		    "got %s", h_str(ev, "id"), w[i].team, w[i].decision, w[i].score,
		    w[i].note ? w[i].note : "(none)", w[i].enrolled ? "true" : "false",
		    w[i].applied, dump(r));
	}
}

/* The whole audit trail, in order (a new array). */
static json_t *
audit_all(struct harness *h)
{
	json_t *all = json_array(), *page, *it;
	json_int_t after = 0;
	char path[96];
	size_t i;

	for (;;) {
		snprintf(path, sizeof(path), "/v1/audit?limit=1000&after=%lld", (long long)after);
		page = get(h, path);
		json_array_foreach(json_object_get(page, "items"), i, it) {
			json_array_append(all, it);
			after = json_integer_value(json_object_get(it, "seq"));
		}
		if (!json_is_string(json_object_get(page, "next")) ||
		    json_array_size(json_object_get(page, "items")) == 0) {
			json_decref(page);
			return all;
		}
		json_decref(page);
	}
}

/*
 * What an evaluation's request wrote to the audit trail, "ACTION TARGET |
 * REASON" a line, in order (the timers write entries of their own meanwhile).
 */
static void
expect_audit(struct harness *h, const char *rid, const char *what, const char *want)
{
	json_t *all = audit_all(h), *it;
	char got[2048] = "";
	size_t i;

	json_array_foreach(all, i, it)
		if (strcmp(h_str(it, "request_id"), rid) == 0)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s %s | %s\n",
			    h_str(it, "action"), h_str(it, "target"), h_str(it, "reason"));
	h_expect(strcmp(got, want) == 0, "audit of %s (request %s): expected\n%sgot\n%s", what,
	    rid, want, got);
	json_decref(all);
}

/* POST an evaluation that must be recorded (201); its request id into rid. */
static json_t *
record(struct harness *h, const char *body, const char *what, char *rid, size_t n)
{
	struct hresp r = h_req(h, "POST", PHASE "/evaluations", h->admin, body, NULL);

	snprintf(rid, n, "%s", r.request_id);
	ck_assert_msg(*rid != '\0', "%s: no X-Request-Id", what);
	return h_must(r, 201, what);
}

/* The ids of the evaluations in an array of them: "ev_1,ev_2". */
static void
ids_of(json_t *evals, char *buf, size_t n)
{
	json_t *ev;
	size_t i;

	buf[0] = '\0';
	json_array_foreach(evals, i, ev)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? "," : "", h_str(ev, "id"));
}

/* ------------------------------------------------------------------ */
/* The year. */

static void
world(struct harness *h)
{
	static const char *const teams[][2] = { { "lg-ai", "LG AI Research" },
		{ "sk-telecom", "SK Telecom" }, { "upstage", "Upstage" },
		{ "naver-cloud", "Naver Cloud" }, { "nc-ai", "NC AI" },
		{ "motif", "Motif Technologies" } };

	h_init(h, NULL);
	h_clock(h, "2025-09-01T00:00:00Z");
	h_start(h);
	json_decref(h_must(post(h, "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":"
	    "\"Sovereign AI Foundation Model\",\"timezone\":\"Asia/Seoul\"}"), 201, "programme"));
	json_decref(h_must(post(h, "/v1/programs/sovereign-ai/phases", "{\"id\":\"stage-1\","
	    "\"name\":\"Stage 1\",\"starts_on\":\"2025-09-01\",\"period_days\":300,"
	    "\"evaluation_on\":\"2026-07-15\",\"package\":{\"card_model\":\"B200\",\"cards\":12,"
	    "\"voucher_krw\":10000000000}}"), 201, "phase stage-1"));
	json_decref(h_must(post(h, "/v1/pools", "{\"id\":\"skt-b200\",\"provider\":\"SK Telecom\","
	    "\"site\":\"Seoul\",\"card_model\":\"B200\",\"cards\":24}"), 201, "pool skt-b200"));
	json_decref(h_must(post(h, "/v1/pools", "{\"id\":\"naver-b200\",\"provider\":\"Naver "
	    "Cloud\",\"site\":\"Chuncheon\",\"card_model\":\"B200\",\"cards\":48}"), 201,
	    "pool naver-b200"));
	json_decref(h_must(post(h, "/v1/pools", "{\"id\":\"nhn-h100\",\"provider\":\"NHN Cloud\","
	    "\"site\":\"Gwangju\",\"card_model\":\"H100\",\"cards\":16}"), 201, "pool nhn-h100"));
	for (size_t i = 0; i < sizeof(teams) / sizeof(teams[0]); i++)
		json_decref(h_must(post(h, "/v1/teams", "{\"id\":\"%s\",\"name\":\"%s consortium\","
		    "\"lead_org\":\"%s\"}", teams[i][0], teams[i][1], teams[i][1]), 201,
		    teams[i][0]));
	json_decref(h_must(post(h, PHASE "/enrollments", "{\"team\":\"lg-ai\",\"pools\":"
	    "[\"skt-b200\"]}"), 201, "enroll lg-ai"));
	json_decref(h_must(post(h, PHASE "/enrollments", "{\"team\":\"upstage\",\"grants\":["
	    "{\"pool\":\"skt-b200\",\"cards\":8},{\"pool\":\"nhn-h100\",\"cards\":8}]}"), 201,
	    "enroll upstage"));
	for (size_t i = 0; i < 5; i++) {
		if (strcmp(early[i], "lg-ai") == 0 || strcmp(early[i], "upstage") == 0)
			continue;
		json_decref(h_must(post(h, PHASE "/enrollments", "{\"team\":\"%s\",\"pools\":"
		    "[\"naver-b200\"]}", early[i]), 201, early[i]));
	}
}

/* 2026-01-14: three advance, two are eliminated from the next day. */
static json_t *
first_evaluation(struct harness *h)
{
	static const struct want w[] = {
		{ "lg-ai", "advance", 92.5, NULL, true, "none" },
		{ "sk-telecom", "advance", 88, NULL, true, "none" },
		{ "upstage", "advance", 86.75, NULL, true, "none" },
		{ "naver-cloud", "eliminate", 81, "independence ruling", true, "eliminated" },
		{ "nc-ai", "eliminate", 79.5, NULL, true, "eliminated" },
	};
	char rid[300];
	json_t *ev;

	h_clock(h, "2026-01-14T06:00:00Z");
	ev = record(h, "{\"held_on\":\"2026-01-14\","
	    "\"effective_on\":\"2026-01-15\",\"reason\":\"first evaluation\",\"results\":["
	    "{\"team\":\"lg-ai\",\"decision\":\"advance\",\"score\":92.5},"
	    "{\"team\":\"sk-telecom\",\"decision\":\"advance\",\"score\":88},"
	    "{\"team\":\"upstage\",\"decision\":\"advance\",\"score\":86.75},"
	    "{\"team\":\"naver-cloud\",\"decision\":\"eliminate\",\"score\":81,"
	    "\"note\":\"independence ruling\"},"
	    "{\"team\":\"nc-ai\",\"decision\":\"eliminate\",\"score\":79.5}]}",
	    "the first evaluation", rid, sizeof(rid));
	h_expect(strcmp(h_str(ev, "id"), "ev_1") == 0 && strcmp(h_str(ev, "phase"), "stage-1") == 0 &&
	    strcmp(h_str(ev, "held_on"), "2026-01-14") == 0 &&
	    strcmp(h_str(ev, "effective_on"), "2026-01-15") == 0 &&
	    strcmp(h_str(ev, "reason"), "first evaluation") == 0 &&
	    strcmp(h_str(ev, "created_at"), "2026-01-14T06:00:00Z") == 0,
	    "POST " PHASE "/evaluations (first): expected ev_1 held 2026-01-14, effective "
	    "2026-01-15, created at the clock's instant; got %s", dump(ev));
	expect_results(ev, w, sizeof(w) / sizeof(w[0]));

	/* Eliminated from 2026-01-15 00:00 in Seoul; those who advance go on. */
	for (size_t i = 0; i < 5; i++) {
		char state[32], ended[40];
		bool out = i >= 3;

		state_of(h, early[i], state, sizeof(state), ended, sizeof(ended));
		h_expect(strcmp(state, out ? "eliminated" : "active") == 0 &&
		    strcmp(ended, out ? ELIMINATED_AT : "") == 0, "after the first evaluation: "
		    "expected %s %s%s%s; got %s, ended_at '%s'", early[i],
		    out ? "eliminated" : "active", out ? " at " : "", out ? ELIMINATED_AT : "",
		    state, ended);
	}
	expect_audit(h, rid, "the first evaluation",
	    "evaluation.record phase/stage-1/evaluation/1 | first evaluation\n"
	    "enrollment.eliminate phase/stage-1/enrollment/naver-cloud | "
	    "evaluation ev_1: first evaluation\n"
	    "enrollment.eliminate phase/stage-1/enrollment/nc-ai | "
	    "evaluation ev_1: first evaluation\n");
	/* The evaluation's entry carries the request as sent. */
	{
		json_t *all = audit_all(h), *d = NULL, *it;
		size_t i;

		json_array_foreach(all, i, it)
			if (strcmp(h_str(it, "action"), "evaluation.record") == 0 && d == NULL)
				d = json_object_get(it, "detail");
		h_expect(strcmp(h_str(d, "held_on"), "2026-01-14") == 0 &&
		    json_array_size(json_object_get(d, "results")) == 5 &&
		    strcmp(h_str(d, "results.3.note"), "independence ruling") == 0,
		    "audit of the first evaluation: expected the request as its detail; got %s",
		    dump(d));
		json_decref(all);
	}
	return ev;
}

/* 2026-02-20: motif, enrolled that morning, is chosen; trillion-labs is not. */
static json_t *
repechage(struct harness *h)
{
	static const struct want w[] = {
		{ "motif", "advance", 85, "chosen in the repechage", true, "none" },
		{ "trillion-labs", "eliminate", 83.5, "not chosen", false, "none" },
	};
	struct hresp r;
	char rid[300];
	json_t *ev;

	h_clock(h, "2026-02-20T01:00:00Z");
	json_decref(h_must(post(h, PHASE "/enrollments", "{\"team\":\"motif\",\"pools\":"
	    "[\"naver-b200\"]}"), 201, "enroll motif"));
	h_clock(h, "2026-02-20T02:00:00Z");
	ev = record(h, "{\"held_on\":\"2026-02-20\","
	    "\"reason\":\"repechage\",\"results\":["
	    "{\"team\":\"motif\",\"decision\":\"advance\",\"score\":85,"
	    "\"note\":\"chosen in the repechage\"},"
	    "{\"team\":\"trillion-labs\",\"decision\":\"eliminate\",\"score\":83.5,"
	    "\"note\":\"not chosen\"}]}", "the repechage", rid, sizeof(rid));
	h_expect(strcmp(h_str(ev, "id"), "ev_2") == 0 &&
	    strcmp(h_str(ev, "held_on"), "2026-02-20") == 0 &&
	    strcmp(h_str(ev, "effective_on"), "2026-02-20") == 0,
	    "POST " PHASE "/evaluations (repechage): expected ev_2 held and effective "
	    "2026-02-20; got %s", dump(ev));
	expect_results(ev, w, sizeof(w) / sizeof(w[0]));
	expect_state(h, "after the repechage", "motif", "active");
	/* The applicant is recorded, nothing more: no enrollment, no team. */
	r = h_req(h, "GET", PHASE "/enrollments/trillion-labs", h->admin, NULL, NULL);
	h_expect(r.status == 404, "GET " PHASE "/enrollments/trillion-labs: expected 404; got "
	    "%ld %s", r.status, r.body);
	hresp_free(&r);
	r = h_req(h, "GET", "/v1/teams/trillion-labs", h->admin, NULL, NULL);
	h_expect(r.status == 404, "GET /v1/teams/trillion-labs: expected 404; got %ld %s",
	    r.status, r.body);
	hresp_free(&r);
	expect_audit(h, rid, "the repechage",
	    "evaluation.record phase/stage-1/evaluation/2 | repechage\n");
	return ev;
}

/* 2026-08-20: after the first windows ended; an eliminate then changes no state. */
static json_t *
second_evaluation(struct harness *h)
{
	static const struct want w[] = {
		{ "lg-ai", "advance", 90, NULL, true, "none" },
		{ "upstage", "advance", 88.5, NULL, true, "none" },
		{ "motif", "advance", 87.25, NULL, true, "none" },
		{ "sk-telecom", "eliminate", 84, "after its window", true, "completed" },
	};
	char rid[300];
	json_t *ev;

	/* The first windows end 2026-06-28 00:00 in Seoul; motif's runs on. */
	for (size_t i = 0; i < 3; i++)
		clock_and_wait(h, "2026-08-20T01:00:00Z", early[i], "completed");
	expect_state(h, "in August", "motif", "active");
	ev = record(h, "{\"held_on\":\"2026-08-20\","
	    "\"reason\":\"second evaluation\",\"results\":["
	    "{\"team\":\"lg-ai\",\"decision\":\"advance\",\"score\":90},"
	    "{\"team\":\"upstage\",\"decision\":\"advance\",\"score\":88.5},"
	    "{\"team\":\"motif\",\"decision\":\"advance\",\"score\":87.25},"
	    "{\"team\":\"sk-telecom\",\"decision\":\"eliminate\",\"score\":84,"
	    "\"note\":\"after its window\"}]}", "the second evaluation", rid, sizeof(rid));
	h_expect(strcmp(h_str(ev, "id"), "ev_3") == 0 &&
	    strcmp(h_str(ev, "held_on"), "2026-08-20") == 0,
	    "POST " PHASE "/evaluations (August): expected ev_3 held 2026-08-20; got %s", dump(ev));
	expect_results(ev, w, sizeof(w) / sizeof(w[0]));
	for (size_t i = 0; i < 3; i++)
		expect_state(h, "after the second evaluation", early[i], "completed");
	expect_state(h, "after the second evaluation", "naver-cloud", "eliminated");
	expect_state(h, "after the second evaluation", "motif", "active");
	expect_audit(h, rid, "the second evaluation",
	    "evaluation.record phase/stage-1/evaluation/3 | second evaluation\n");
	return ev;
}

/* The fairness report at `at` (NULL: now) lists the evaluations want ("ev_1,ev_2"). */
static json_t *
report_lists(struct harness *h, const char *at, const char *want)
{
	char path[128], ids[64];
	json_t *rep;

	snprintf(path, sizeof(path), PHASE "/fairness%s%s", at ? "?at=" : "", at ? at : "");
	rep = get(h, path);
	ids_of(json_object_get(rep, "evaluations"), ids, sizeof(ids));
	h_expect(strcmp(ids, want) == 0, "GET %s: expected evaluations %s; got %s", path, want,
	    ids);
	return rep;
}

START_TEST(programme_year)
{
	struct harness h;
	json_t *evs, *list, *rep, *v;
	char ids[64];

	world(&h);
	evs = json_array();
	json_array_append_new(evs, first_evaluation(&h));
	json_array_append_new(evs, repechage(&h));
	json_array_append_new(evs, second_evaluation(&h));

	/* GET lists the three by held_on, each as it was answered when recorded. */
	list = get(&h, PHASE "/evaluations");
	ids_of(json_object_get(list, "items"), ids, sizeof(ids));
	h_expect(json_equal(json_object_get(list, "items"), evs), "GET " PHASE "/evaluations: "
	    "expected the three as recorded (ev_1,ev_2,ev_3); got %s: %s", ids,
	    dump(json_object_get(list, "items")));

	/* The report carries them, up to its `at` (in Seoul's days). */
	rep = report_lists(&h, NULL, "ev_1,ev_2,ev_3");
	h_expect(json_equal(json_object_get(rep, "evaluations"), evs), "GET " PHASE "/fairness: "
	    "expected evaluations as GET " PHASE "/evaluations lists them; got %s",
	    dump(json_object_get(rep, "evaluations")));
	json_decref(rep);
	json_decref(report_lists(&h, "2026-01-13T14:59:59Z", ""));
	json_decref(report_lists(&h, "2026-01-13T15:00:00Z", "ev_1"));
	json_decref(report_lists(&h, "2026-02-19T14:59:59Z", "ev_1"));
	json_decref(report_lists(&h, "2026-02-19T15:00:00Z", "ev_1,ev_2"));
	json_decref(report_lists(&h, "2026-07-01T00:00:00Z", "ev_1,ev_2"));
	json_decref(list);
	json_decref(evs);

	v = get(&h, "/v1/audit/verify");
	h_expect(json_is_true(json_object_get(v, "ok")), "audit verify: %s", dump(v));
	json_decref(v);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	h_no_discrepancies();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("programme_evaluations");
	TCase *tc = tcase_create("programme");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, programme_year);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
