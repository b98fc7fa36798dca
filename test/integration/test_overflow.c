/* test_overflow.c: an agent cannot stop time: extreme settings, usage at the limit, bounded flagged usage, one bad transition, one bad hold. */
#include <check.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define CHECK(r, want) ck_assert_msg((r).status == (want), "%s:%d: HTTP %ld %s", __FILE__, \
	__LINE__, (r).status, (r).body)

static void
must(struct harness *h, const char *method, const char *path, int status, const char *body)
{
	struct hresp r = h_req(h, method, path, h->admin, body, NULL);

	CHECK(r, status);
	hresp_free(&r);
}

/* Runs SQL on the daemon's database from outside, as a fault would happen. */
static void
sql(struct harness *h, const char *q)
{
	sqlite3 *db;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(h->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	ck_assert_msg(sqlite3_exec(db, q, NULL, NULL, &err) == SQLITE_OK, "%s: %s", q, err);
	sqlite3_close(db);
}

static const char *
str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Waits (up to 10 s of the daemon's ticks) for a hold to reach state. */
static void
wait_hold(struct harness *h, const char *id, const char *state)
{
	char path[128];
	struct hresp r;

	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", id);
	for (int i = 0; i < 100; i++) {
		r = h_get(h, h->admin, path);
		CHECK(r, 200);
		if (strcmp(str(r.json, "state"), state) == 0) {
			hresp_free(&r);
			return;
		}
		hresp_free(&r);
		usleep(100 * 1000);
	}
	ck_abort_msg("hold %s never became %s: time-based transitions stopped", id, state);
}

/* Audit entries whose action is `action` (and target starts with `target`, if given). */
static int
audit_count(struct harness *h, const char *action, const char *target)
{
	struct hresp r = h_get(h, h->admin, "/v1/audit?limit=1000");
	json_t *e;
	size_t i;
	int n = 0;

	CHECK(r, 200);
	json_array_foreach(json_object_get(r.json, "items"), i, e)
		if (strcmp(str(e, "action"), action) == 0 && (target == NULL ||
		    strncmp(str(e, "target"), target, strlen(target)) == 0))
			n++;
	hresp_free(&r);
	return n;
}

static char *
make_hold(struct harness *h, const char *team, const char *phase, const char *expires)
{
	struct hresp r = h_post(h, h->admin, "/v1/vouchers/holds", "{\"team\":\"%s\",\"phase\":"
	    "\"%s\",\"supplier\":\"sup\",\"amount_krw\":1000,\"expires_at\":\"%s\"}", team, phase,
	    expires);
	char *id;

	CHECK(r, 201);
	id = strdup(str(r.json, "id"));
	hresp_free(&r);
	return id;
}

/*
 * The largest pool and weight grantd accepts, wholly granted to one team,
 * and an agent that reports the same month of full use again and again:
 * each sample is within the grant (not flagged), but together they are far
 * more than the pool could run.  Before, the sums over them overflowed
 * SQLite's sum() in the idle scan, which rolled the timer back on every
 * tick (holds stayed pending past expiry) and kept grantd from starting.
 */
#define MONTH_GPU_S "2592000000000"	/* 10^6 cards x 720 h */
#define SAMPLE "{\"pool\":\"big\",\"team\":\"t1\",\"from\":\"2026-01-01T00:00:00Z\"," \
	"\"to\":\"2026-01-31T00:00:00Z\",\"gpu_seconds\":" MONTH_GPU_S "}"

static void
big_programme(struct harness *h)
{
	struct hresp r = h_req(h, "PUT", "/v1/card-models/X10", h->admin, "{\"weight\":10}", NULL);

	ck_assert_msg(r.status == 200 || r.status == 201, "HTTP %ld %s", r.status, r.body);
	hresp_free(&r);
	must(h, "POST", "/v1/programs", 201, "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}");
	must(h, "POST", "/v1/programs/p/phases", 201, "{\"id\":\"ph\",\"name\":\"Ph\","
	    "\"starts_on\":\"2026-01-01\",\"period_days\":60,\"package\":{\"card_model\":\"X10\","
	    "\"cards\":1000000,\"voucher_krw\":1000000000}}");
	must(h, "POST", "/v1/teams", 201, "{\"id\":\"t1\",\"name\":\"T1\",\"lead_org\":\"T1 Org\","
	    "\"members\":[{\"org\":\"T1 Lab\",\"role\":\"member\"}]}");
	must(h, "POST", "/v1/pools", 201, "{\"id\":\"big\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"X10\",\"cards\":1000000}");
	must(h, "POST", "/v1/phases/ph/enrollments", 201, "{\"team\":\"t1\",\"grants\":"
	    "[{\"pool\":\"big\",\"cards\":1000000}]}");
	must(h, "POST", "/v1/suppliers", 201, "{\"id\":\"sup\",\"name\":\"Sup\",\"org\":\"Sup Org\"}");
}

START_TEST(agent_cannot_stop_time)
{
	struct harness h;
	struct hresp r;
	char *agent, *hold, *body;
	size_t len = 0, cap = 100 * (sizeof(SAMPLE) + 1) + 64;
	int accepted = 0, refused = 0;
	double used;

	h_init(&h, "[programme]\nidle_window_hours = 720\n");
	h_clock(&h, "2025-12-30T00:00:00Z");
	h_start(&h);
	big_programme(&h);
	agent = h_token(&h, "agent", NULL, "big");
	h_clock(&h, "2026-01-31T01:00:00Z");
	hold = make_hold(&h, "t1", "ph", "2026-01-31T01:30:00Z");

	ck_assert_ptr_nonnull(body = malloc(cap));
	for (int b = 1; b <= 4; b++) {
		len = (size_t)snprintf(body, cap, "{\"batch_id\":\"month-%d\",\"samples\":[", b);
		for (int i = 0; i < 100; i++)
			len += (size_t)snprintf(body + len, cap - len, "%s%s", i ? "," : "", SAMPLE);
		snprintf(body + len, cap - len, "]}");
		r = h_req(&h, "POST", "/v1/usage", agent, body, NULL);
		if (r.status == 202) {
			/*
			 * Each sample alone is the whole pool for a month; a hundred at
			 * once used a hundred times what the team had: all flagged as
			 * overlapping (issue 15), and still counted, exactly.
			 */
			ck_assert_int_eq(json_integer_value(json_object_get(r.json, "flagged")), 100);
			ck_assert_int_eq(json_array_size(json_object_get(json_array_get(
			    json_object_get(r.json, "overlaps"), 0), "samples")), 100);
			accepted += 100;
		} else {
			/* What would go past what grantd can count is refused, saying so. */
			CHECK(r, 400);
			ck_assert_str_eq(str(r.json, "reason"), "usage_overflow");
			refused++;
		}
		hresp_free(&r);
	}
	free(body);

	/* The hold expires on time: the clock still runs. */
	h_clock(&h, "2026-01-31T02:00:00Z");
	wait_hold(&h, hold, "voided");
	ck_assert_int_eq(audit_count(&h, "timer.failed", NULL), 0);

	/* used is exact: accepted x 10^6 cards x 720 h x weight 10, never capped. */
	r = h_get(&h, h.admin, "/v1/teams/t1/quota?phase=ph");
	CHECK(r, 200);
	used = json_number_value(json_object_get(json_object_get(r.json, "unit_hours"), "used"));
	ck_assert_msg(used == (double)accepted * 7.2e9, "used %.3f, want %.3f", used,
	    (double)accepted * 7.2e9);
	hresp_free(&r);
	/* The fourth month would take the total past INT64_MAX milli-unit-seconds. */
	ck_assert_int_eq(refused, 1);

	/* A restart catches up and serves. */
	ck_assert_int_eq(h_stop(&h), 0);
	h_clock(&h, "2026-01-31T03:00:00Z");
	h_restart(&h);
	r = h_get(&h, h.admin, "/v1/audit/verify");
	CHECK(r, 200);
	hresp_free(&r);

	/*
	 * A figure beyond int64 that still reaches the store (written by hand
	 * here): quota says so with a logged 500, not a capped number or a 503;
	 * the idle check of that enrollment fails alone, audited once, and
	 * holds still expire.
	 */
	ck_assert_int_eq(h_stop(&h), 0);
	sql(&h, "UPDATE usage_totals SET gpu_seconds = 9000000000000000000");
	sql(&h, "UPDATE usage_hourly SET gpu_seconds = 9000000000000000000");
	h_restart(&h);
	free(hold);
	hold = make_hold(&h, "t1", "ph", "2026-01-31T03:30:00Z");
	r = h_get(&h, h.admin, "/v1/teams/t1/quota?phase=ph");
	CHECK(r, 500);
	ck_assert_str_eq(hresp_code(&r), "internal");
	hresp_free(&r);
	h_clock(&h, "2026-01-31T04:00:00Z");
	wait_hold(&h, hold, "voided");
	usleep(500 * 1000);
	ck_assert_int_eq(audit_count(&h, "timer.failed", "enrollment/"), 1);
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	ck_assert_int_eq(audit_count(&h, "timer.failed", "enrollment/"), 1);
	free(hold);
	free(agent);
	h_stop(&h);
	h_cleanup(&h);
}
END_TEST

/* Settings past the limits that make the worst case fit are refused at input, precisely. */
START_TEST(limits_at_input)
{
	struct harness h;
	struct hresp r;

	h_init(&h, NULL);
	h_clock(&h, "2025-12-30T00:00:00Z");
	h_start(&h);
	r = h_req(&h, "PUT", "/v1/card-models/HEAVY", h.admin, "{\"weight\":10.001}", NULL);
	CHECK(r, 400);
	ck_assert_msg(strstr(str(r.json, "detail"), "10") != NULL, "%s", r.body);
	hresp_free(&r);
	must(&h, "POST", "/v1/programs", 201, "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}");
	r = h_post(&h, h.admin, "/v1/programs/p/phases", "{\"id\":\"long\",\"name\":\"L\","
	    "\"starts_on\":\"2026-01-01\",\"period_days\":3661,\"package\":{\"card_model\":"
	    "\"B200\",\"cards\":8,\"voucher_krw\":1000}}");
	CHECK(r, 400);
	hresp_free(&r);
	must(&h, "POST", "/v1/programs/p/phases", 201, "{\"id\":\"long\",\"name\":\"L\","
	    "\"starts_on\":\"2026-01-01\",\"period_days\":3660,\"package\":{\"card_model\":"
	    "\"B200\",\"cards\":8,\"voucher_krw\":1000}}");
	/* Extensions count: the window would last 3661 days. */
	r = h_post(&h, h.admin, "/v1/phases/long/extend", "{\"days\":1,\"reason\":\"more\"}");
	CHECK(r, 400);
	ck_assert_msg(strstr(str(r.json, "detail"), "3660") != NULL, "%s", r.body);
	hresp_free(&r);
	h_stop(&h);
	h_cleanup(&h);
}
END_TEST

/*
 * Flagged usage (here: a team with no grant on the pool) is bounded per
 * agent token by a rate and a total: 429 rate_limited with Retry-After.
 */
#define FLAGGED(id, n) "{\"batch_id\":\"" id "\",\"samples\":[" n "]}"
#define FS "{\"pool\":\"small\",\"team\":\"t1\",\"from\":\"2026-01-01T00:00:00Z\"," \
	"\"to\":\"2026-01-01T01:00:00Z\",\"gpu_seconds\":60}"

START_TEST(flagged_usage_bounded)
{
	struct harness h;
	struct hresp r;
	char *agent;

	h_init(&h, "[usage]\nflagged_per_hour = 5\nflagged_max = 8\n");
	h_clock(&h, "2026-01-02T00:00:00Z");
	h_start(&h);
	must(&h, "POST", "/v1/teams", 201, "{\"id\":\"t1\",\"name\":\"T1\",\"lead_org\":\"T1 Org\","
	    "\"members\":[{\"org\":\"T1 Lab\",\"role\":\"member\"}]}");
	must(&h, "POST", "/v1/pools", 201, "{\"id\":\"small\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":8}");
	agent = h_token(&h, "agent", NULL, "small");
	r = h_post(&h, agent, "/v1/usage", FLAGGED("a", FS "," FS "," FS));
	CHECK(r, 202);
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "flagged")), 3);
	hresp_free(&r);
	/* 6 in an hour is more than 5: wait 720 s (an hour / 5) for one more. */
	r = h_post(&h, agent, "/v1/usage", FLAGGED("b", FS "," FS "," FS));
	CHECK(r, 429);
	ck_assert_str_eq(hresp_code(&r), "rate_limited");
	ck_assert_int_eq(r.retry_after, 720);
	hresp_free(&r);
	/* The batch of 6 flagged samples can never pass at 5 an hour. */
	r = h_post(&h, agent, "/v1/usage", FLAGGED("c", FS "," FS "," FS "," FS "," FS "," FS));
	CHECK(r, 429);
	ck_assert_int_gt(r.retry_after, 0);
	hresp_free(&r);
	h_clock(&h, "2026-01-02T00:12:00Z");
	r = h_post(&h, agent, "/v1/usage", FLAGGED("b", FS "," FS "," FS));
	CHECK(r, 202);
	hresp_free(&r);
	/* The total: 6 so far, 8 at most, whatever the hour. */
	h_clock(&h, "2026-01-02T05:00:00Z");
	r = h_post(&h, agent, "/v1/usage", FLAGGED("d", FS "," FS "," FS));
	CHECK(r, 429);
	ck_assert_int_gt(r.retry_after, 0);
	ck_assert_msg(strstr(str(r.json, "detail"), "flagged_max") != NULL, "%s", r.body);
	hresp_free(&r);
	r = h_post(&h, agent, "/v1/usage", FLAGGED("d", FS "," FS));
	CHECK(r, 202);
	hresp_free(&r);
	/* A refused batch stored nothing: its batch_id is still free. */
	r = h_post(&h, agent, "/v1/usage", FLAGGED("c", FS));
	CHECK(r, 429);
	hresp_free(&r);
	/* Across a restart, the count holds. */
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	r = h_post(&h, agent, "/v1/usage", FLAGGED("e", FS));
	CHECK(r, 429);
	hresp_free(&r);
	free(agent);
	h_stop(&h);
	h_cleanup(&h);
}
END_TEST

/*
 * One transition that cannot be applied (a fault injected by a trigger)
 * neither stops the others nor keeps grantd from starting: it is logged,
 * counted in /metrics, audited once, and applied once it can be.  The
 * same for one enrollment's idle check.
 */
START_TEST(one_bad_row)
{
	struct harness h;
	struct hresp r;
	char *hold;

	h_init(&h, "[programme]\nidle_window_hours = 1\n");
	h_clock(&h, "2025-12-30T00:00:00Z");
	h_start(&h);
	must(&h, "POST", "/v1/programs", 201, "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}");
	must(&h, "POST", "/v1/programs/p/phases", 201, "{\"id\":\"ph\",\"name\":\"Ph\","
	    "\"starts_on\":\"2026-01-01\",\"period_days\":30,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}");
	must(&h, "POST", "/v1/teams", 201, "{\"id\":\"t1\",\"name\":\"T1\",\"lead_org\":\"T1 Org\","
	    "\"members\":[{\"org\":\"T1 Lab\",\"role\":\"member\"}]}");
	must(&h, "POST", "/v1/teams", 201, "{\"id\":\"t2\",\"name\":\"T2\",\"lead_org\":\"T2 Org\","
	    "\"members\":[{\"org\":\"T2 Lab\",\"role\":\"member\"}]}");
	must(&h, "POST", "/v1/pools", 201, "{\"id\":\"pa\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":8}");
	must(&h, "POST", "/v1/pools", 201, "{\"id\":\"pb\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":8}");
	must(&h, "POST", "/v1/phases/ph/enrollments", 201, "{\"team\":\"t1\",\"grants\":"
	    "[{\"pool\":\"pa\",\"cards\":8}]}");
	must(&h, "POST", "/v1/phases/ph/enrollments", 201, "{\"team\":\"t2\",\"grants\":"
	    "[{\"pool\":\"pb\",\"cards\":8}]}");
	must(&h, "POST", "/v1/suppliers", 201, "{\"id\":\"sup\",\"name\":\"Sup\",\"org\":\"Sup Org\"}");
	hold = make_hold(&h, "t2", "ph", "2026-01-01T01:00:00Z");
	ck_assert_int_eq(h_stop(&h), 0);

	/* While grantd is down: t1's grant cannot start, t1 cannot be flagged idle. */
	sql(&h, "CREATE TRIGGER inject_grant BEFORE UPDATE OF noted ON grants "
	    "WHEN NEW.pool = 'pa' BEGIN SELECT RAISE(ABORT, 'injected fault'); END;"
	    "CREATE TRIGGER inject_idle BEFORE INSERT ON usage_idle WHEN NEW.enrollment = "
	    "(SELECT id FROM enrollments WHERE team = 't1') BEGIN "
	    "SELECT RAISE(ABORT, 'injected fault'); END;");
	h_clock(&h, "2026-01-01T03:00:00Z");
	h_restart(&h);
	wait_hold(&h, hold, "voided");
	ck_assert_int_eq(audit_count(&h, "grant.start", NULL), 1);
	ck_assert_int_eq(audit_count(&h, "usage.idle", "phase/ph/enrollment/t2"), 1);
	/* Many ticks later, each failure is still audited once. */
	usleep(800 * 1000);
	ck_assert_int_eq(audit_count(&h, "timer.failed", "grant/"), 1);
	ck_assert_int_eq(audit_count(&h, "timer.failed", "enrollment/"), 1);
	r = h_get(&h, h.admin, "/metrics");
	CHECK(r, 200);
	ck_assert_msg(strstr(r.body, "\ngrantd_timer_failures_total ") != NULL, "%s", r.body);
	ck_assert_msg(strstr(r.body, "\ngrantd_timer_failures_total 0\n") == NULL, "no failure "
	    "counted");
	hresp_free(&r);

	/* The fault repaired, the transitions apply on the next tick. */
	sql(&h, "DROP TRIGGER inject_grant; DROP TRIGGER inject_idle;");
	for (int i = 0; i < 100 && audit_count(&h, "grant.start", NULL) < 2; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(audit_count(&h, "grant.start", NULL), 2);
	for (int i = 0; i < 100 && audit_count(&h, "usage.idle", "phase/ph/enrollment/t1") < 1;
	    i++)
		usleep(100 * 1000);
	ck_assert_int_eq(audit_count(&h, "usage.idle", "phase/ph/enrollment/t1"), 1);
	r = h_get(&h, h.admin, "/v1/audit/verify");
	CHECK(r, 200);
	hresp_free(&r);
	free(hold);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* One integer from the daemon's database, read from outside. */
static int64_t
sql_int(struct harness *h, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_int_eq(sqlite3_open(h->db, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	ck_assert_msg(sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK, "%s: %s", q,
	    sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/*
 * One hold that cannot expire, and one that cannot be told it is about
 * to (faults injected by triggers), hold back no other hold: each hold
 * expires or is told in a savepoint of its own.  Before, every hold due
 * ran in one, so the first bad one rolled them all back on every tick and
 * holds stayed pending past their expiry.  Each failure is logged, counted
 * in /metrics, audited once as timer.failed on hold/ID; grantd restarts;
 * the holds are resolved once the fault is repaired.
 */
START_TEST(one_bad_hold)
{
	struct harness h;
	struct hresp r;
	char *hold[5], path[128], target[64];

	h_init(&h, "[events]\nhold_expiring_notice_minutes = 60\n");
	h_clock(&h, "2025-12-30T00:00:00Z");
	h_start(&h);
	must(&h, "POST", "/v1/programs", 201, "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}");
	must(&h, "POST", "/v1/programs/p/phases", 201, "{\"id\":\"ph\",\"name\":\"Ph\","
	    "\"starts_on\":\"2026-01-01\",\"period_days\":30,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}");
	must(&h, "POST", "/v1/teams", 201, "{\"id\":\"t1\",\"name\":\"T1\",\"lead_org\":\"T1 Org\","
	    "\"members\":[{\"org\":\"T1 Lab\",\"role\":\"member\"}]}");
	must(&h, "POST", "/v1/pools", 201, "{\"id\":\"pa\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":8}");
	must(&h, "POST", "/v1/phases/ph/enrollments", 201, "{\"team\":\"t1\",\"grants\":"
	    "[{\"pool\":\"pa\",\"cards\":8}]}");
	must(&h, "POST", "/v1/suppliers", 201, "{\"id\":\"sup\",\"name\":\"Sup\",\"org\":\"Sup Org\"}");
	/* Three due by the restart, the first of them bad; two to be told then, the first bad. */
	for (int i = 0; i < 3; i++)
		hold[i] = make_hold(&h, "t1", "ph", "2026-01-01T01:00:00Z");
	hold[3] = make_hold(&h, "t1", "ph", "2026-01-01T03:30:00Z");
	hold[4] = make_hold(&h, "t1", "ph", "2026-01-01T03:40:00Z");
	ck_assert_int_eq(h_stop(&h), 0);

	sql(&h, "CREATE TRIGGER inject_expiry BEFORE UPDATE OF state ON ledger_holds "
	    "WHEN OLD.id = (SELECT min(id) FROM ledger_holds) BEGIN "
	    "SELECT RAISE(ABORT, 'injected fault'); END;"
	    "CREATE TRIGGER inject_notice BEFORE UPDATE OF expiring_notice_at ON ledger_holds "
	    "WHEN OLD.id = (SELECT min(id) FROM ledger_holds WHERE expires_at > "
	    "(SELECT min(expires_at) FROM ledger_holds)) BEGIN "
	    "SELECT RAISE(ABORT, 'injected fault'); END;");
	h_clock(&h, "2026-01-01T03:00:00Z");
	h_restart(&h);
	wait_hold(&h, hold[1], "voided");
	wait_hold(&h, hold[2], "voided");
	for (int i = 0; i < 100 && sql_int(&h, "SELECT count(*) FROM ledger_holds WHERE "
	    "expiring_notice_at IS NOT NULL") < 1; i++)
		usleep(100 * 1000);
	/* Many ticks later: the bad ones alone are left, each failure audited once. */
	usleep(800 * 1000);
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", hold[0]);
	r = h_get(&h, h.admin, path);
	CHECK(r, 200);
	ck_assert_str_eq(str(r.json, "state"), "pending");
	hresp_free(&r);
	ck_assert_int_eq(audit_count(&h, "voucher.hold.expire", NULL), 2);
	ck_assert_int_eq(sql_int(&h, "SELECT count(*) FROM ledger_holds WHERE "
	    "expiring_notice_at IS NOT NULL"), 1);
	ck_assert_int_eq(sql_int(&h, "SELECT count(*) FROM events WHERE type = 'hold.expiring'"),
	    1);
	ck_assert_int_eq(audit_count(&h, "timer.failed", "hold/"), 2);
	ck_assert_int_eq(audit_count(&h, "timer.failed", NULL), 2);
	snprintf(target, sizeof(target), "hold/%s", hold[0]);
	ck_assert_int_eq(audit_count(&h, "timer.failed", target), 1);
	snprintf(target, sizeof(target), "hold/%s", hold[3]);
	ck_assert_int_eq(audit_count(&h, "timer.failed", target), 1);
	r = h_get(&h, h.admin, "/metrics");
	CHECK(r, 200);
	ck_assert_msg(strstr(r.body, "\ngrantd_timer_failures_total ") != NULL, "%s", r.body);
	ck_assert_msg(strstr(r.body, "\ngrantd_timer_failures_total 0\n") == NULL, "no failure "
	    "counted");
	hresp_free(&r);

	/* A restart works, and audits nothing again. */
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	usleep(300 * 1000);
	ck_assert_int_eq(audit_count(&h, "timer.failed", NULL), 2);

	/* The faults repaired, the bad hold expires and the other is told on the next tick. */
	sql(&h, "DROP TRIGGER inject_expiry; DROP TRIGGER inject_notice;");
	wait_hold(&h, hold[0], "voided");
	for (int i = 0; i < 100 && sql_int(&h, "SELECT count(*) FROM ledger_holds WHERE "
	    "expiring_notice_at IS NOT NULL") < 2; i++)
		usleep(100 * 1000);
	ck_assert_int_eq(sql_int(&h, "SELECT count(*) FROM ledger_holds WHERE "
	    "expiring_notice_at IS NOT NULL"), 2);
	ck_assert_int_eq(audit_count(&h, "voucher.hold.expire", NULL), 3);
	ck_assert_int_eq(sql_int(&h, "SELECT count(*) FROM timer_failures"), 0);
	r = h_get(&h, h.admin, "/v1/audit/verify");
	CHECK(r, 200);
	hresp_free(&r);
	for (int i = 0; i < 5; i++)
		free(hold[i]);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("overflow");
	TCase *tc = tcase_create("integration");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, agent_cannot_stop_time);
	tcase_add_test(tc, limits_at_input);
	tcase_add_test(tc, flagged_usage_bounded);
	tcase_add_test(tc, one_bad_row);
	tcase_add_test(tc, one_bad_hold);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
