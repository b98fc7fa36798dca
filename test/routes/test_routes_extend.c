/* test_routes_extend.c: POST /v1/phases/{phase}/extend, with and without make-up grants. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "store_grants.h"

/*
 * Every test runs on a fresh copy of a database seeded once by
 * build_template(), in UTC:
 *
 *	phase ph: from 2026-03-01, 10 days, package 8 B200 (8 units)
 *	pool b1: 16 B200, the only pool
 *	alpha: 8 cards of b1, [03-01, 03-11)
 *	beta:  8 cards of b1, [03-01, 03-11)
 *
 * so that b1 is full inside the windows and empty after them.  A test that
 * wants make-ups calls outage(): 8 cards of b1 out on 03-02, which takes 4
 * cards for a day (96 unit-hours) from each team.  compensate pays 96
 * card-hours at most 8 cards an hour: 8 cards for 12 hours each, from 03-11
 * (lib/outage.h), so the two make-ups fill b1 until 03-11 12:00.
 */
static struct fx TPL, F;

#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)
/* 2026-03-01T00:00:00Z is FX_NOW. */
#define WINDOW_END (FX_NOW + 10 * DAY)

static void
build_template(void)
{
	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}", 201);
	fx_must(&TPL, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201);
	fx_must(&TPL, "POST", "/v1/pools", "{\"id\":\"b1\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":16}", 201);
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
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

static void
outage(const char *from, const char *to, int cards)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":%d,"
	    "\"reason\":\"maintenance\"}", from, to, cards);
	fx_must(&F, "POST", "/v1/pools/b1/outages", body, 201);
}

/* The first column of the first row as text, on the reader; caller frees. */
static char *
qtext(const char *sql)
{
	sqlite3_stmt *st;
	char *s = NULL;

	ck_assert_msg(sqlite3_prepare_v2(db_handle(F.app.r), sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db_handle(F.app.r)));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s ? s : strdup("");
}

/*
 * Every row an extension may write: grants, windows, the phase's period,
 * and the audit trail's length.  Equal fingerprints: nothing was written.
 */
static char *
fingerprint(void)
{
	return qtext("SELECT (SELECT group_concat(r, ';') FROM (SELECT id || ':' || pool || ':' || "
	    "cards || ':' || start || ':' || end || ':' || planned_end || ':' || kind || ':' || "
	    "cancelled AS r FROM grants ORDER BY id)) || '|' || (SELECT group_concat(r, ';') "
	    "FROM (SELECT id || ':' || state || ':' || window_start || ':' || window_end AS r "
	    "FROM enrollments ORDER BY id)) || '|' || (SELECT group_concat(period_days) FROM "
	    "phases) || '|' || (SELECT count(*) FROM audit)");
}

/* One grant as the store has it. */
struct row {
	int64_t id, cards, start, end, planned_end;
	char team[32], pool[32], kind[16];
};

/* The live grants of the phase, by id; returns how many. */
static size_t
grants(struct row *out, size_t max)
{
	sqlite3_stmt *st;
	size_t n = 0;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(F.app.r), "SELECT g.id, e.team, g.pool, "
	    "g.cards, g.start, g.end, g.planned_end, g.kind FROM grants g JOIN enrollments e ON "
	    "e.id = g.enrollment WHERE g.cancelled = 0 ORDER BY g.id", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		ck_assert_uint_lt(n, max);
		out[n].id = sqlite3_column_int64(st, 0);
		snprintf(out[n].team, sizeof(out[n].team), "%s", sqlite3_column_text(st, 1));
		snprintf(out[n].pool, sizeof(out[n].pool), "%s", sqlite3_column_text(st, 2));
		out[n].cards = sqlite3_column_int64(st, 3);
		out[n].start = sqlite3_column_int64(st, 4);
		out[n].end = sqlite3_column_int64(st, 5);
		out[n].planned_end = sqlite3_column_int64(st, 6);
		snprintf(out[n].kind, sizeof(out[n].kind), "%s", sqlite3_column_text(st, 7));
		n++;
	}
	sqlite3_finalize(st);
	return n;
}

static int64_t
window_end(const char *team)
{
	return fx_qint(&F, "SELECT window_end FROM enrollments WHERE team = ?1", team, NULL);
}

static struct response
extend(int days)
{
	char body[80];

	snprintf(body, sizeof(body), "{\"days\":%d,\"reason\":\"evaluation moved\"}", days);
	return fx_post(&F, "/v1/phases/ph/extend", body);
}

static void
instant(int64_t t, char buf[CIVIL_INSTANT_LEN])
{
	civil_format_instant(t, buf);
}

/*
 * Checks an extension by `days` that succeeded: each window and each
 * window grant of before ends `days` later, each make-up of before moved by
 * `days` and is listed in the reply's and the audit entry's `moved`.
 */
static void
check_extended(const struct response *rs, const struct row *was, size_t n, int days)
{
	struct row now[16];
	const int64_t add = days * DAY;
	json_t *moved = fx_at(rs->json, "moved"), *m = NULL, *det;
	char *d = dump(rs->json), *detail, want[CIVIL_INSTANT_LEN], gid[32];
	size_t nmoved = 0, k;

	ck_assert_msg(rs->status == 200, "%d %s", rs->status, d);
	ck_assert_int_eq(json_integer_value(fx_at(rs->json, "days")), days);
	ck_assert_int_eq(json_integer_value(fx_at(rs->json, "period_days")), 10 + days);
	ck_assert_uint_eq(json_array_size(fx_at(rs->json, "enrollments")), 2);
	ck_assert_int_eq(window_end("alpha"), WINDOW_END + add);
	ck_assert_int_eq(window_end("beta"), WINDOW_END + add);
	ck_assert_int_eq(grants(now, 16), n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(now[i].id, was[i].id);
		ck_assert_int_eq(now[i].cards, was[i].cards);
		ck_assert_str_eq(now[i].kind, was[i].kind);
		if (strcmp(was[i].kind, "compensation") == 0) {
			/* A make-up keeps its length and its distance from the window's end. */
			ck_assert_int_eq(now[i].start, was[i].start + add);
			ck_assert_int_eq(now[i].end, was[i].end + add);
			ck_assert_int_eq(now[i].planned_end, was[i].planned_end + add);
			ck_assert_int_ge(now[i].start, window_end(now[i].team));
			grant_id_format(now[i].id, gid);
			json_array_foreach(moved, k, m)
				if (strcmp(fx_str(m, "grant"), gid) == 0)
					break;
			ck_assert_msg(k < json_array_size(moved), "%s not in moved: %s", gid, d);
			ck_assert_str_eq(fx_str(m, "team"), now[i].team);
			ck_assert_str_eq(fx_str(m, "pool"), now[i].pool);
			ck_assert_int_eq(json_integer_value(fx_at(m, "cards")), now[i].cards);
			instant(was[i].start, want);
			ck_assert_str_eq(fx_str(m, "from.start"), want);
			instant(was[i].end, want);
			ck_assert_str_eq(fx_str(m, "from.end"), want);
			instant(now[i].start, want);
			ck_assert_str_eq(fx_str(m, "to.start"), want);
			instant(now[i].end, want);
			ck_assert_str_eq(fx_str(m, "to.end"), want);
			nmoved++;
		} else {
			/* A window grant starts where it did and ends with the window. */
			ck_assert_int_eq(now[i].start, was[i].start);
			ck_assert_int_eq(was[i].end, WINDOW_END);
			ck_assert_int_eq(now[i].end, WINDOW_END + add);
			ck_assert_int_eq(now[i].planned_end, WINDOW_END + add);
		}
	}
	ck_assert_uint_eq(json_array_size(moved), nmoved);
	/* The audit entry says where each make-up went. */
	ck_assert_str_eq(fx_audit_last(&F).action, "phase.extend");
	detail = qtext("SELECT detail FROM audit ORDER BY seq DESC LIMIT 1");
	ck_assert_ptr_nonnull(det = json_loads(detail, 0, NULL));
	ck_assert_int_eq(json_integer_value(fx_at(det, "days")), days);
	ck_assert_msg(json_equal(fx_at(det, "moved"), moved), "audit %s, reply %s", detail, d);
	fx_audit_verify(&F);
	json_decref(det);
	free(detail);
	free(d);
}

/* Without make-ups an extension is what it always was. */
START_TEST(extend_plain)
{
	struct row was[16];
	size_t n = grants(was, 16);
	struct response rs = extend(5);

	ck_assert_uint_eq(n, 2);
	check_extended(&rs, was, n, 5);
	ck_assert_uint_eq(json_array_size(fx_at(rs.json, "moved")), 0);
	response_clear(&rs);
}
END_TEST

/* A window extension that does not fit is refused as before, with the same detail. */
START_TEST(extend_plain_refused)
{
	struct response rs;
	char *before, *after;

	/* gamma, placed after the first two windows, holds 8 cards of b1 from 03-11. */
	fx_must(&F, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"gamma\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}],\"not_before\":\"2026-03-11\"}", 201);
	before = fingerprint();
	rs = extend(5);
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_code(&rs), "capacity_exceeded");
	ck_assert_str_eq(fx_detail(&rs), "extending phase ph by 5 days needs 16 cards of pool "
	    "b1 at 2026-03-11 00:00 UTC (2026-03-11T00:00:00Z), but only 8 are free; nothing "
	    "was extended");
	after = fingerprint();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	response_clear(&rs);
}
END_TEST

/* The audit's case: compensate, then extend. */
START_TEST(extend_after_compensate)
{
	struct row was[16];
	struct response rs;
	size_t n, comp = 0;

	outage("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 8);
	fx_must(&F, "POST", "/v1/phases/ph/compensate", "{}", 200);
	n = grants(was, 16);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(was[i].kind, "compensation") != 0)
			continue;
		/* Right after the window, on the pool the extension needs. */
		ck_assert_int_eq(was[i].start, WINDOW_END);
		ck_assert_str_eq(was[i].pool, "b1");
		comp++;
	}
	ck_assert_uint_eq(comp, 2);
	rs = extend(30);
	check_extended(&rs, was, n, 30);
	response_clear(&rs);
	/* Nothing is owed twice: a second compensate finds nothing to do. */
	rs = fx_post(&F, "/v1/phases/ph/compensate", "{\"dry_run\":true}");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_uint_eq(json_array_size(fx_at(rs.json, "compensations")), 0);
	response_clear(&rs);
}
END_TEST

/* A make-up added by hand, a while after the window, moves too. */
START_TEST(extend_moves_manual_makeup)
{
	struct row was[16];
	struct response rs;
	size_t n;

	outage("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 8);
	rs = fx_post(&F, "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"alpha\"},"
	    "\"pool\":\"b1\",\"cards\":8,\"start\":\"2026-03-13T00:00:00Z\","
	    "\"end\":\"2026-03-13T06:00:00Z\"}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_str_eq(fx_str(rs.json, "kind"), "compensation");
	response_clear(&rs);
	n = grants(was, 16);
	ck_assert_uint_eq(n, 3);
	rs = extend(2);
	check_extended(&rs, was, n, 2);
	ck_assert_uint_eq(json_array_size(fx_at(rs.json, "moved")), 1);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "moved"), 0), "to.start"),
	    "2026-03-15T00:00:00Z");
	response_clear(&rs);
}
END_TEST

/* Where the moved make-ups cannot fit, nothing is extended, and the detail says why. */
START_TEST(extend_makeups_do_not_fit)
{
	struct row was[16];
	struct response rs;
	char *before, *after, want[600], ids[2][32];
	size_t n, k = 0;

	outage("2026-03-02T00:00:00Z", "2026-03-03T00:00:00Z", 8);
	fx_must(&F, "POST", "/v1/phases/ph/compensate", "{}", 200);
	n = grants(was, 16);
	for (size_t i = 0; i < n; i++)
		if (strcmp(was[i].kind, "compensation") == 0)
			grant_id_format(was[i].id, ids[k++]);
	ck_assert_uint_eq(k, 2);
	/* The windows fit over the old make-ups; the make-ups land on an outage. */
	outage("2026-03-16T00:00:00Z", "2026-03-17T00:00:00Z", 4);
	before = fingerprint();
	rs = extend(5);
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_code(&rs), "capacity_exceeded");
	snprintf(want, sizeof(want), "extending phase ph by 5 days needs 16 cards of pool b1 at "
	    "2026-03-16 00:00 UTC (2026-03-16T00:00:00Z) (0 to lengthen windows, 16 for make-up "
	    "grants moved 5 days "
	    "later to stay after the windows: %s of team 'alpha', %s of team 'beta'), but only "
	    "12 are free; nothing was extended", ids[0], ids[1]);
	ck_assert_str_eq(fx_detail(&rs), want);
	after = fingerprint();
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	response_clear(&rs);
	/* One day less and the make-ups fit before the outage. */
	rs = extend(4);
	check_extended(&rs, was, n, 4);
	response_clear(&rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_extend");
	TCase *tc = tcase_create("extend");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, extend_plain);
	tcase_add_test(tc, extend_plain_refused);
	tcase_add_test(tc, extend_after_compensate);
	tcase_add_test(tc, extend_moves_manual_makeup);
	tcase_add_test(tc, extend_makeups_do_not_fit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
