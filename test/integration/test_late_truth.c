/* test_late_truth.c: issue 15 on the real daemon: late outages repaired, usage against cards in service, money on the effective date, vouchers only. */
#include <check.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/*
 * Each test starts grantd on a fresh database with a test clock, and a
 * world in UTC so that every figure can be worked out by hand (unit-hours,
 * "uh"; B200 weighs 1, so one card for one hour is one unit-hour):
 *
 *	programme p (UTC), phase ph: from 2026-03-01, 10 days, package 8 B200,
 *	voucher 1 000 000 KRW; every window is [03-01, 03-11) (enrolled on
 *	02-27, the default not_before is the phase's starts_on)
 *
 * Each test adds its pools and teams.  One test per case of the issue:
 *
 *	late_outage_repaired     an outage learnt after the windows ended, made
 *	                         up within the grace period; one corrected
 *	                         (PATCH), one cancelled (DELETE): owed, surplus,
 *	                         the report and the audit follow; past the grace
 *	                         period nothing more is made up
 *	usage_in_service         usage of every granted card while an outage
 *	                         took some out of service is flagged
 *	late_outage_flags        usage first, the outage recorded after: the
 *	                         figures follow it (beyond_service, flagged,
 *	                         owed), corrected and cancelled
 *	voucher_on_effective     an elimination with a future effective_on keeps
 *	                         the voucher open until that date, closed at once
 *	                         after a restart past it
 *	voucher_on_withdrawal    a withdrawal with a future effective_on: closed
 *	                         by the timer while grantd runs; a settlement
 *	                         at the effective instant refused
 *	vouchers_only            grants [] with an override: the voucher, no cards
 *
 * Where grantd answers other than issue 15 and docs/api-notes.md ("Late
 * truth") say, the check does not stop the test: it prints "DISCREPANCY:
 * request, expected, got" to stderr and the test fails at its end, so one
 * run shows every disagreement.  Steps the rest stands on stop the test.
 */

#define DAY 86400
#define GRACE_DAYS 90

/* ------------------------------------------------------------------ */
/* Requests and JSON. */

/* An admin request with a printf-made body (NULL fmt: no body). */
static struct hresp __attribute__((format(printf, 4, 5)))
req(struct harness *h, const char *method, const char *path, const char *fmt, ...)
{
	struct hresp r;
	char *body = NULL;
	va_list ap;

	if (fmt != NULL) {
		va_start(ap, fmt);
		ck_assert_int_ge(vasprintf(&body, fmt, ap), 0);
		va_end(ap);
	}
	r = h_req(h, method, path, h->admin, body, NULL);
	free(body);
	return r;
}

static struct hresp
get(struct harness *h, const char *path)
{
	return h_req(h, "GET", path, h->admin, NULL, NULL);
}

/* A number at path; NAN-like -1e300 when absent. */
static double
num(json_t *o, const char *path)
{
	json_t *v = h_at(o, path);

	return json_is_number(v) ? json_number_value(v) : -1e300;
}

static char *
dump(json_t *o)
{
	static char buf[8][3072];
	static int k;
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s", s ? s : "(absent)");
	free(s);
	return buf[k];
}

/* Whether a JSON array of strings is exactly the set csv ("a,b"; "" for none). */
static bool
names_are(json_t *arr, const char *csv)
{
	char buf[256], *save = NULL, *part;
	size_t n = 0, i;
	json_t *v;

	if (!json_is_array(arr))
		return false;
	snprintf(buf, sizeof(buf), "%s", csv);
	for (part = strtok_r(buf, ",", &save); part; part = strtok_r(NULL, ",", &save), n++) {
		bool found = false;

		json_array_foreach(arr, i, v)
			found |= json_is_string(v) && strcmp(json_string_value(v), part) == 0;
		if (!found)
			return false;
	}
	return json_array_size(arr) == n;
}

/* Seconds since the epoch of "YYYY-MM-DDTHH:MM:SSZ". */
static int64_t
instant(const char *s)
{
	struct tm tm = { 0 };
	int y = 0, mo = 0, d = 0, hh = 0, mm = 0, ss = 0;

	if (sscanf(s, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &hh, &mm, &ss) != 6)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	return (int64_t)timegm(&tm);
}

/* The row of team in a fairness report, or NULL. */
static json_t *
row_of(json_t *rep, const char *team)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(rep, "teams"), i, t)
		if (strcmp(h_str(t, "team"), team) == 0)
			return t;
	return NULL;
}

/* The first break of a row whose member key is present, or NULL. */
static json_t *
break_with(json_t *row, const char *rule, const char *key)
{
	size_t i;
	json_t *b;

	json_array_foreach(json_object_get(row, "breaks"), i, b)
		if (strcmp(h_str(b, "rule"), rule) == 0 && json_object_get(b, key) != NULL)
			return b;
	return NULL;
}

/* GET /v1/phases/ph/fairness[?query]; the report (decref it). */
static json_t *
fairness(struct harness *h, const char *query)
{
	char path[160];

	snprintf(path, sizeof(path), "/v1/phases/ph/fairness%s", query ? query : "");
	return h_must(get(h, path), 200, path);
}

/* GET /v1/teams/TEAM/quota?phase=ph[&at=AT]; the quota (decref it). */
static json_t *
quota(struct harness *h, const char *team, const char *when)
{
	char path[160];

	snprintf(path, sizeof(path), "/v1/teams/%s/quota?phase=ph%s%s", team,
	    when ? "&at=" : "", when ? when : "");
	return h_must(get(h, path), 200, path);
}

/* The team's voucher (GET /v1/teams/TEAM/vouchers, the first item; decref it). */
static json_t *
voucher(struct harness *h, const char *team)
{
	char path[96];
	json_t *v, *item;

	snprintf(path, sizeof(path), "/v1/teams/%s/vouchers", team);
	v = h_must(get(h, path), 200, path);
	item = json_incref(json_array_get(json_object_get(v, "items"), 0));
	ck_assert_msg(item != NULL, "%s: no voucher: %s", path, dump(v));
	json_decref(v);
	return item;
}

/* Moves the test clock and waits until each team's enrollment is in state. */
static void
clock_and_wait(struct harness *h, const char *now, const char *const *teams, size_t n,
    const char *state)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char path[128];

	h_clock(h, now);
	for (size_t i = 0; i < n; i++) {
		json_t *e = NULL;
		int tries;

		snprintf(path, sizeof(path), "/v1/phases/ph/enrollments/%s", teams[i]);
		for (tries = 0; tries < 250; tries++) {
			json_decref(e);
			e = h_must(get(h, path), 200, path);
			if (strcmp(h_str(e, "state"), state) == 0)
				break;
			nanosleep(&ts, NULL);
		}
		ck_assert_msg(tries < 250, "at %s, %s is %s, not %s, after 5 s", now, teams[i],
		    h_str(e, "state"), state);
		json_decref(e);
	}
}

/* The newest audit sequence number. */
static json_int_t
audit_head(struct harness *h)
{
	json_t *v = h_must(get(h, "/v1/audit/verify"), 200, "audit verify");
	json_int_t n;

	ck_assert_msg(json_is_true(json_object_get(v, "ok")), "audit verify: %s", dump(v));
	n = json_integer_value(json_object_get(v, "entries"));
	json_decref(v);
	return n;
}

/* The first audit entry after seq with this action, or NULL (decref it). */
static json_t *
audit_find(struct harness *h, json_int_t after, const char *action)
{
	char path[96];
	json_t *page, *e, *found = NULL;
	size_t i;

	snprintf(path, sizeof(path), "/v1/audit?after=%lld&limit=1000", (long long)after);
	page = h_must(get(h, path), 200, path);
	json_array_foreach(json_object_get(page, "items"), i, e)
		if (found == NULL && strcmp(h_str(e, "action"), action) == 0)
			found = json_incref(e);
	json_decref(page);
	return found;
}

/* One value of a query on the daemon's database, read beside it (WAL lets it); "" if none. */
static void
db_text(const struct harness *h, const char *sql, char *out, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	ck_assert_int_eq(sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* ------------------------------------------------------------------ */
/* The world. */

static void
world(struct harness *h)
{
	h_init(h, NULL);
	h_clock(h, "2026-02-27T00:00:00Z");
	h_start(h);
	json_decref(h_must(req(h, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"Programme\","
	    "\"timezone\":\"UTC\"}"), 201, "programme"));
	json_decref(h_must(req(h, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":"
	    "\"Phase\",\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{"
	    "\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":1000000}}"), 201, "phase"));
}

static void
pool(struct harness *h, const char *id, int cards)
{
	json_decref(h_must(req(h, "POST", "/v1/pools", "{\"id\":\"%s\",\"provider\":\"P\","
	    "\"site\":\"S\",\"card_model\":\"B200\",\"cards\":%d}", id, cards), 201, id));
}

static void
team(struct harness *h, const char *id)
{
	json_decref(h_must(req(h, "POST", "/v1/teams", "{\"id\":\"%s\",\"name\":\"Team %s\","
	    "\"lead_org\":\"Org %s\"}", id, id, id), 201, id));
}

/* Enrolls team with 8 cards of pool; its window must be [03-01, 03-11). */
static void
enroll(struct harness *h, const char *t, const char *p)
{
	json_t *e = h_must(req(h, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"%s\","
	    "\"grants\":[{\"pool\":\"%s\",\"cards\":8}]}", t, p), 201, t);

	ck_assert_msg(strcmp(h_str(e, "window.start"), "2026-03-01T00:00:00Z") == 0 &&
	    strcmp(h_str(e, "window.end"), "2026-03-11T00:00:00Z") == 0, "enroll %s: %s", t,
	    dump(e));
	json_decref(e);
}

static void
done(struct harness *h)
{
	ck_assert_int_eq(h_stop(h), 0);
	h_cleanup(h);
	h_no_discrepancies();
}

/* ------------------------------------------------------------------ */
/* a. An outage reported after the windows ended, made up, corrected and cancelled. */

/*
 * b1 has 8 cards, all alpha's; beta and gamma share b2 (16 cards).  Every
 * window ends on 03-11; on 03-12 the teams are completed and:
 *
 *   out_1  b1, 03-05 00:00-12:00, 2 cards: alpha loses 2 x 12 = 24 uh
 *          (reported late); compensate pays it: 8 cards for 3 hours
 *          from now (24 card-hours, the package's 8 cards an hour at most)
 *   out_2  b1, 03-07 00:00-06:00, entered as 4 cards (24 uh), corrected to
 *          1 card: alpha has lost 24 + 6 = 30, owed 6, paid by hand
 *          (6 cards for an hour, a make-up after the window)
 *   out_1  cancelled: alpha has lost 6 and was given 24 + 6 = 30 in
 *          make-ups: a surplus of 24 uh, a break of equal_delivery
 *   past the grace period (90 days after 03-11):
 *   out_4  b1, 03-09 00:00-12:00, 4 cards: 48 uh more, owed 48 - 24 = 24;
 *          compensate serves it no longer, nor a make-up by hand
 */
START_TEST(late_outage_repaired)
{
	static const char *const all[] = { "alpha", "beta", "gamma" };
	struct harness h;
	json_t *rep, *row, *c, *o, *b, *q, *e, *grant;
	json_int_t seq;
	char out1[32], out2[32], path[96], makeup_end[32];
	int64_t start, end;

	world(&h);
	pool(&h, "b1", 8);
	pool(&h, "b2", 16);
	for (size_t i = 0; i < 3; i++)
		team(&h, all[i]);
	enroll(&h, "alpha", "b1");
	enroll(&h, "beta", "b2");
	enroll(&h, "gamma", "b2");
	clock_and_wait(&h, "2026-03-12T00:00:00Z", all, 3, "completed");
	rep = fairness(&h, NULL);
	ck_assert_msg(json_is_true(h_at(rep, "summary.equal_delivery")), "before any outage: %s",
	    dump(json_object_get(rep, "summary")));
	json_decref(rep);

	/* The outage, reported a day after the windows ended. */
	o = h_must(req(&h, "POST", "/v1/pools/b1/outages", "{\"from\":\"2026-03-05T00:00:00Z\","
	    "\"to\":\"2026-03-05T12:00:00Z\",\"cards\":2,\"reason\":\"PDU failure, reported "
	    "late\"}"), 201, "out_1");
	snprintf(out1, sizeof(out1), "%s", h_str(o, "id"));
	h_expect(json_array_size(json_object_get(o, "losses")) == 1 &&
	    strcmp(h_str(o, "losses.0.team"), "alpha") == 0 && num(o, "losses.0.lost_unit_hours") ==
	    24.0, "POST /v1/pools/b1/outages (2 of alpha's 8 cards for 12 h, after its window): "
	    "expected losses [alpha 24 uh]; got %s", dump(o));
	json_decref(o);
	rep = fairness(&h, NULL);
	row = row_of(rep, "alpha");
	h_expect(json_is_false(h_at(rep, "summary.equal_delivery")) &&
	    names_are(h_at(rep, "summary.unequal.equal_delivery"), "alpha") &&
	    row && num(row, "lost_unit_hours") == 24.0 && num(row, "owed_unit_hours") == 24.0,
	    "GET /v1/phases/ph/fairness after a late outage on completed alpha: expected "
	    "equal_delivery false naming alpha alone, lost and owed 24; got summary %s, row %s",
	    dump(json_object_get(rep, "summary")), dump(row));
	json_decref(rep);

	/* compensate serves the completed team, within the grace period, after now. */
	c = h_must(req(&h, "POST", "/v1/phases/ph/compensate", "{}"), 200, "compensate");
	grant = h_at(c, "compensations.0.grant");
	start = instant(h_str(grant, "start"));
	end = instant(h_str(grant, "end"));
	snprintf(makeup_end, sizeof(makeup_end), "%s", h_str(grant, "end"));
	h_expect(json_array_size(json_object_get(c, "compensations")) == 1 &&
	    strcmp(h_str(c, "compensations.0.team"), "alpha") == 0 &&
	    num(c, "compensations.0.owed_unit_hours") == 24.0 &&
	    start >= instant("2026-03-12T00:00:00Z") &&
	    (end - start) * (int64_t)num(grant, "cards") == 24 * 3600,
	    "POST /v1/phases/ph/compensate on 03-12 for completed alpha owed 24 uh: expected "
	    "one make-up of 24 card-hours starting at or after now (2026-03-12T00:00:00Z); "
	    "got %s", dump(c));
	json_decref(c);
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.owed") == 0.0 && num(q, "unit_hours.lost") == 24.0,
	    "GET /v1/teams/alpha/quota after the make-up: expected lost 24, owed 0; got %s",
	    dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	/*
	 * Nothing owed that no make-up pays, but the make-up has not run yet:
	 * alpha is still short until it has, and the row says until when.
	 */
	rep = fairness(&h, NULL);
	row = row_of(rep, "alpha");
	h_expect(json_is_false(h_at(rep, "summary.equal_delivery")) &&
	    names_are(h_at(rep, "summary.unequal.equal_delivery"), "alpha") &&
	    num(row, "owed_unit_hours") == 0.0 && (b = break_with(row, "equal_delivery",
	    "pending_unit_hours")) != NULL && num(b, "pending_unit_hours") == 24.0 &&
	    instant(h_str(b, "made_up_by")) == end,
	    "GET /v1/phases/ph/fairness after compensate, before the make-up ran: expected "
	    "equal_delivery false naming alpha alone, owed 0, a break with pending_unit_hours "
	    "24 made up by %s; got summary %s, alpha %s", makeup_end,
	    dump(json_object_get(rep, "summary")), dump(row));
	json_decref(rep);
	h_clock(&h, "2026-03-12T05:00:00Z");
	rep = fairness(&h, NULL);
	h_expect(json_is_true(h_at(rep, "summary.equal_delivery")), "GET /v1/phases/ph/fairness "
	    "after the make-up ran: expected equal_delivery true; got %s",
	    dump(json_object_get(rep, "summary")));
	json_decref(rep);

	/* An outage entered wrongly, then corrected. */
	o = h_must(req(&h, "POST", "/v1/pools/b1/outages", "{\"from\":\"2026-03-07T00:00:00Z\","
	    "\"to\":\"2026-03-07T06:00:00Z\",\"cards\":4,\"reason\":\"node down\"}"), 201,
	    "out_2");
	snprintf(out2, sizeof(out2), "%s", h_str(o, "id"));
	json_decref(o);
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.owed") == 24.0 && num(q, "unit_hours.lost") == 48.0,
	    "GET /v1/teams/alpha/quota after out_2 (4 cards, 6 h): expected lost 48, owed 24; "
	    "got %s", dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	seq = audit_head(&h);
	snprintf(path, sizeof(path), "/v1/outages/%s", out2);
	/* Checked like a new one: more cards than the pool, to before from. */
	json_decref(h_check(req(&h, "PATCH", path, "{\"cards\":9,\"reason\":\"typo\"}"), 400,
	    "bad_request", "PATCH out_2 {cards 9} on a pool of 8"));
	json_decref(h_check(req(&h, "PATCH", path, "{\"to\":\"2026-03-06T00:00:00Z\","
	    "\"reason\":\"typo\"}"), 400, "bad_request", "PATCH out_2 {to before from}"));
	json_decref(h_check(req(&h, "PATCH", path, "{\"reason\":\"nothing\"}"), 400,
	    "bad_request", "PATCH out_2 with nothing to correct"));
	json_decref(h_check(req(&h, "PATCH", "/v1/outages/out_999", "{\"cards\":1,\"reason\":"
	    "\"x\"}"), 404, "not_found", "PATCH /v1/outages/out_999"));
	o = h_check(req(&h, "PATCH", path, "{\"cards\":1,\"reason\":\"only one node was down\"}"),
	    200, NULL, "PATCH out_2 {cards 1}");
	h_expect(o && num(o, "cards") == 1.0 && strcmp(h_str(o, "id"), out2) == 0 &&
	    strcmp(h_str(o, "state"), "recorded") == 0 && *h_str(o, "updated_at") &&
	    strcmp(h_str(o, "reason"), "node down") == 0, "PATCH %s {cards 1}: expected the "
	    "outage corrected (same id, cards 1, state recorded, updated_at, its reason kept); "
	    "got %s", path, dump(o));
	json_decref(o);
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.owed") == 6.0 && num(q, "unit_hours.lost") == 30.0,
	    "GET /v1/teams/alpha/quota after out_2 was corrected to 1 card: expected lost 30, "
	    "owed 6; got %s", dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	rep = fairness(&h, NULL);
	row = row_of(rep, "alpha");
	h_expect(row && num(row, "lost_unit_hours") == 30.0 && num(row, "owed_unit_hours") == 6.0 &&
	    json_is_false(h_at(rep, "summary.equal_delivery")) &&
	    names_are(h_at(rep, "summary.unequal.equal_delivery"), "alpha"),
	    "GET /v1/phases/ph/fairness after out_2 was corrected: expected alpha lost 30, owed "
	    "6, equal_delivery false naming alpha; got summary %s, alpha %s",
	    dump(json_object_get(rep, "summary")), dump(row));
	json_decref(rep);
	/* A make-up by hand for more than is owed (7 uh, owed 6): refused, equal_delivery. */
	b = h_check(req(&h, "POST", "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":"
	    "\"alpha\"},\"pool\":\"b2\",\"cards\":7,\"start\":\"2026-03-12T06:00:00Z\",\"end\":"
	    "\"2026-03-12T07:00:00Z\"}"), 409, "fairness_violation", "POST /v1/grants: a make-up "
	    "by hand of 7 uh for completed alpha, owed 6");
	{
		json_t *viol = json_object_get(b, "violations"), *one;
		bool delivery = false;
		size_t i;

		json_array_foreach(viol, i, one)
			delivery |= strcmp(h_str(one, "rule"), "equal_delivery") == 0;
		h_expect(delivery, "the refusal of a make-up by hand above what is owed: expected "
		    "a violation of equal_delivery; got %s", dump(b));
	}
	json_decref(b);
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.owed") == 6.0, "GET /v1/teams/alpha/quota after a refused "
	    "make-up: expected still owed 6; got %s", dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	/* A make-up by hand after the window, for what is owed, within the grace period. */
	b = h_check(req(&h, "POST", "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":"
	    "\"alpha\"},\"pool\":\"b2\",\"cards\":6,\"start\":\"2026-03-12T06:00:00Z\",\"end\":"
	    "\"2026-03-12T07:00:00Z\"}"), 201, NULL, "POST /v1/grants: a make-up by hand of 6 "
	    "uh for completed alpha, owed 6, within the grace period");
	h_expect(b == NULL || strcmp(h_str(b, "kind"), "compensation") == 0, "the make-up by hand: "
	    "expected kind compensation; got %s", dump(b));
	json_decref(b);
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.owed") == 0.0, "GET /v1/teams/alpha/quota after the make-up "
	    "by hand: expected owed 0; got %s", dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	h_clock(&h, "2026-03-12T08:00:00Z");
	rep = fairness(&h, NULL);
	h_expect(json_is_true(h_at(rep, "summary.equal_delivery")) &&
	    num(row_of(rep, "alpha"), "surplus_unit_hours") == 0.0, "GET /v1/phases/ph/fairness "
	    "after every loss was made up: expected equal_delivery true, surplus 0; got summary "
	    "%s, alpha %s", dump(json_object_get(rep, "summary")), dump(row_of(rep, "alpha")));
	json_decref(rep);

	/* out_1 cancelled: its loss, already made up, leaves a surplus. */
	snprintf(path, sizeof(path), "/v1/outages/%s", out1);
	o = h_check(req(&h, "DELETE", path, "{\"reason\":\"the PDU log shows no outage on b1\"}"),
	    200, NULL, "DELETE out_1");
	h_expect(o && strcmp(h_str(o, "state"), "cancelled") == 0 && *h_str(o, "cancelled_at") &&
	    strcmp(h_str(o, "cancel_reason"), "the PDU log shows no outage on b1") == 0,
	    "DELETE %s: expected state cancelled with cancelled_at and cancel_reason; got %s",
	    path, dump(o));
	json_decref(o);
	json_decref(h_check(req(&h, "DELETE", path, "{\"reason\":\"again\"}"), 409,
	    "invalid_state", "DELETE out_1 a second time"));
	json_decref(h_check(req(&h, "PATCH", path, "{\"cards\":1,\"reason\":\"x\"}"), 409,
	    "invalid_state", "PATCH of the cancelled out_1"));
	json_decref(h_check(req(&h, "DELETE", "/v1/outages/out_999", "{\"reason\":\"x\"}"), 404,
	    "not_found", "DELETE /v1/outages/out_999"));
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.lost") == 6.0 && num(q, "unit_hours.owed") == 0.0,
	    "GET /v1/teams/alpha/quota after out_1 was cancelled: expected lost 6 (out_2 "
	    "alone), owed 0; got %s", dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	rep = fairness(&h, NULL);
	row = row_of(rep, "alpha");
	b = break_with(row, "equal_delivery", "surplus_unit_hours");
	h_expect(row && num(row, "lost_unit_hours") == 6.0 && num(row, "surplus_unit_hours") ==
	    24.0 && num(row, "owed_unit_hours") == 0.0 && b &&
	    num(b, "surplus_unit_hours") == 24.0 && json_is_false(h_at(rep,
	    "summary.equal_delivery")) && names_are(h_at(rep, "summary.unequal.equal_delivery"),
	    "alpha"), "GET /v1/phases/ph/fairness after the made-up out_1 was cancelled: "
	    "expected alpha lost 6, surplus_unit_hours 24 with an equal_delivery break naming "
	    "it, equal_delivery false naming alpha; got summary %s, alpha %s",
	    dump(json_object_get(rep, "summary")), dump(row));
	json_decref(rep);

	/* Each change audited with its reason. */
	e = audit_find(&h, seq, "outage.update");
	h_expect(e && strcmp(h_str(e, "reason"), "only one node was down") == 0 &&
	    num(e, "detail.before.cards") == 4.0 && num(e, "detail.after.cards") == 1.0 &&
	    strstr(h_str(e, "target"), "b1") != NULL, "GET /v1/audit: expected outage.update with "
	    "reason \"only one node was down\", detail before (4 cards) and after (1 card); "
	    "got %s", dump(e));
	json_decref(e);
	e = audit_find(&h, seq, "outage.cancel");
	h_expect(e && strcmp(h_str(e, "reason"), "the PDU log shows no outage on b1") == 0 &&
	    strcmp(h_str(e, "detail.after.state"), "cancelled") == 0, "GET /v1/audit: expected "
	    "outage.cancel with its reason and the outage after (cancelled); got %s", dump(e));
	json_decref(e);

	/* Still within the grace period on its last day but one: served (dry run). */
	h_clock(&h, "2026-06-08T00:00:00Z");
	json_decref(h_must(req(&h, "POST", "/v1/pools/b1/outages", "{\"from\":"
	    "\"2026-03-09T00:00:00Z\",\"to\":\"2026-03-09T12:00:00Z\",\"cards\":4,\"reason\":"
	    "\"learnt in June\"}"), 201, "out_4"));
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.owed") == 24.0, "GET /v1/teams/alpha/quota after out_4 (48 uh, "
	    "a surplus of 24 before): expected owed 24; got %s",
	    dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	c = h_must(req(&h, "POST", "/v1/phases/ph/compensate", "{\"dry_run\":true}"), 200,
	    "compensate dry run, 89 days after the window");
	h_expect(json_array_size(json_object_get(c, "compensations")) == 1 &&
	    strcmp(h_str(c, "compensations.0.team"), "alpha") == 0, "POST /v1/phases/ph/compensate "
	    "{dry_run} on 06-08, 89 days after alpha's window (grace 90): expected a make-up for "
	    "alpha; got %s", dump(c));
	json_decref(c);
	/* Past it: neither compensate nor a make-up by hand. */
	h_clock(&h, "2026-06-10T00:00:00Z");
	c = h_must(req(&h, "POST", "/v1/phases/ph/compensate", "{}"), 200,
	    "compensate past the grace period");
	h_expect(json_array_size(json_object_get(c, "compensations")) == 0, "POST "
	    "/v1/phases/ph/compensate on 06-10, 91 days after alpha's window (grace %d): "
	    "expected no make-up; got %s", GRACE_DAYS, dump(c));
	json_decref(c);
	json_decref(h_check(req(&h, "POST", "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\","
	    "\"team\":\"alpha\"},\"pool\":\"b1\",\"cards\":8,\"start\":\"2026-06-11T00:00:00Z\","
	    "\"end\":\"2026-06-11T03:00:00Z\"}"), 409, "invalid_state", "POST /v1/grants: a "
	    "make-up by hand for alpha 91 days after its window"));
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.owed") == 24.0, "GET /v1/teams/alpha/quota past the grace "
	    "period: expected still owed 24; got %s", dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	done(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* b. Usage against the cards in service. */

/* POSTs one batch of one sample as the agent; the answer's flagged count, or -1. */
static long long
sample(struct harness *h, const char *agent, const char *batch, const char *t,
    const char *from, const char *to, long long gpu)
{
	char body[512];
	struct hresp r;
	long long flagged = -1;

	snprintf(body, sizeof(body), "{\"batch_id\":\"%s\",\"samples\":[{\"pool\":\"b1\","
	    "\"team\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%lld}]}", batch, t,
	    from, to, gpu);
	r = h_req(h, "POST", "/v1/usage", agent, body, NULL);
	h_expect(r.status == 202, "POST /v1/usage %s: expected 202; got %ld %s", body, r.status,
	    r.body);
	if (r.status == 202)
		flagged = json_integer_value(json_object_get(r.json, "flagged"));
	hresp_free(&r);
	return flagged;
}

/*
 * b1 has 16 cards, 8 alpha's and 8 beta's; an outage takes 4 out of
 * service on 03-02 00:00-06:00, 2 from each team: 6 of each team's 8 are
 * in service then.
 *
 *   u-1  alpha 01:00-02:00, 8 cards   flagged (above the 6 in service)
 *   u-2  alpha 02:00-03:00, 6 cards   not flagged
 *   u-3  alpha 08:00-09:00, 8 cards   not flagged (the outage is over)
 *   u-4  beta  03:00-04:00, 7 cards   flagged
 *   the outage cancelled:
 *   u-5  alpha 04:00-05:00, 8 cards   not flagged (the cards were in service)
 *
 * alpha used 8 + 6 + 8 + 8 = 30 uh, 8 of them flagged (u-1's hour, 2 of it
 * beyond the 6 in service); beta 7, all flagged, 1 beyond.  Once the
 * outage is cancelled the figures are judged again: nothing flagged.
 */
START_TEST(usage_in_service)
{
	struct harness h;
	json_t *q, *rep, *o;
	char *agent, text[64], out[32], path[96];
	long long f;

	world(&h);
	pool(&h, "b1", 16);
	team(&h, "alpha");
	team(&h, "beta");
	enroll(&h, "alpha", "b1");
	enroll(&h, "beta", "b1");
	agent = h_token(&h, "agent", NULL, "b1");
	h_clock(&h, "2026-03-03T00:00:00Z");
	o = h_must(req(&h, "POST", "/v1/pools/b1/outages", "{\"from\":\"2026-03-02T00:00:00Z\","
	    "\"to\":\"2026-03-02T06:00:00Z\",\"cards\":4,\"reason\":\"cooling\"}"), 201,
	    "outage");
	snprintf(out, sizeof(out), "%s", h_str(o, "id"));
	json_decref(o);

	f = sample(&h, agent, "u-1", "alpha", "2026-03-02T01:00:00Z", "2026-03-02T02:00:00Z",
	    8 * 3600);
	h_expect(f == 1, "POST /v1/usage u-1: alpha used its 8 granted cards for an hour while "
	    "the outage left 6 in service: expected flagged 1; got %lld", f);
	db_text(&h, "SELECT f.reason || ' ' || f.granted FROM usage_flags f JOIN usage_batches b "
	    "ON b.id = f.batch WHERE b.batch_id = 'u-1'", text, sizeof(text));
	h_expect(strcmp(text, "above_cards_in_service 21600") == 0, "usage_flags of u-1: expected "
	    "reason above_cards_in_service, granted (in service) 21600 card-seconds; got '%s'",
	    text);
	f = sample(&h, agent, "u-2", "alpha", "2026-03-02T02:00:00Z", "2026-03-02T03:00:00Z",
	    6 * 3600);
	h_expect(f == 0, "POST /v1/usage u-2: alpha used 6 cards, the 6 in service: expected "
	    "flagged 0; got %lld", f);
	f = sample(&h, agent, "u-3", "alpha", "2026-03-02T08:00:00Z", "2026-03-02T09:00:00Z",
	    8 * 3600);
	h_expect(f == 0, "POST /v1/usage u-3: alpha used its 8 cards after the outage: expected "
	    "flagged 0; got %lld", f);
	f = sample(&h, agent, "u-4", "beta", "2026-03-02T03:00:00Z", "2026-03-02T04:00:00Z",
	    7 * 3600);
	h_expect(f == 1, "POST /v1/usage u-4: beta used 7 cards while 6 of its 8 were in "
	    "service: expected flagged 1; got %lld", f);
	db_text(&h, "SELECT f.reason FROM usage_flags f JOIN usage_batches b ON b.id = f.batch "
	    "WHERE b.batch_id = 'u-2' OR b.batch_id = 'u-3'", text, sizeof(text));
	h_expect(text[0] == '\0', "usage_flags: expected no row for u-2 or u-3; got '%s'", text);

	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.flagged") == 8.0 && num(q, "unit_hours.used") == 22.0 &&
	    num(q, "unit_hours.beyond_service") == 2.0,
	    "GET /v1/teams/alpha/quota: expected used 22, flagged 8 (u-1), beyond_service 2; "
	    "got %s", dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	rep = fairness(&h, NULL);
	h_expect(num(row_of(rep, "alpha"), "flagged_unit_hours") == 8.0 &&
	    num(row_of(rep, "alpha"), "used_unit_hours") == 22.0 &&
	    num(row_of(rep, "alpha"), "beyond_service_unit_hours") == 2.0 &&
	    num(row_of(rep, "beta"), "flagged_unit_hours") == 7.0 &&
	    num(row_of(rep, "beta"), "beyond_service_unit_hours") == 1.0,
	    "GET /v1/phases/ph/fairness: expected alpha used 22, flagged_unit_hours 8, "
	    "beyond_service_unit_hours 2, beta flagged 7, beyond 1; got alpha %s, beta %s",
	    dump(row_of(rep, "alpha")), dump(row_of(rep, "beta")));
	json_decref(rep);

	/* The outage cancelled: every granted card was in service after all. */
	snprintf(path, sizeof(path), "/v1/outages/%s", out);
	json_decref(h_must(req(&h, "DELETE", path, "{\"reason\":\"entered on the wrong pool\"}"),
	    200, "cancel the outage"));
	f = sample(&h, agent, "u-5", "alpha", "2026-03-02T04:00:00Z", "2026-03-02T05:00:00Z",
	    8 * 3600);
	h_expect(f == 0, "POST /v1/usage u-5: alpha used its 8 cards in the hours of a cancelled "
	    "outage: expected flagged 0; got %lld", f);
	q = quota(&h, "alpha", NULL);
	h_expect(num(q, "unit_hours.flagged") == 0.0 && num(q, "unit_hours.used") == 30.0 &&
	    num(q, "unit_hours.beyond_service") == 0.0, "GET /v1/teams/alpha/quota after the "
	    "outage was cancelled: expected used 30, flagged 0 and beyond_service 0 (u-1's "
	    "flag was the ingest's verdict; as things stand every card was in service); got %s",
	    dump(json_object_get(q, "unit_hours")));
	json_decref(q);
	/* The ingest's verdict stays as it was told. */
	db_text(&h, "SELECT f.reason FROM usage_flags f JOIN usage_batches b ON b.id = f.batch "
	    "WHERE b.batch_id = 'u-1'", text, sizeof(text));
	h_expect(strcmp(text, "above_cards_in_service") == 0, "usage_flags of u-1 after the "
	    "cancellation: expected kept as above_cards_in_service; got '%s'", text);
	free(agent);
	done(&h);
}
END_TEST

/* Quota's and the report's figures for alpha: lost, owed, flagged, beyond_service. */
static void
service_figures_are(struct harness *h, double lost, double owed, double flagged,
    double beyond, const char *when)
{
	json_t *q = quota(h, "alpha", NULL), *rep = fairness(h, NULL), *row = row_of(rep, "alpha");

	h_expect(num(q, "unit_hours.lost") == lost && num(q, "unit_hours.owed") == owed &&
	    num(q, "unit_hours.flagged") == flagged &&
	    num(q, "unit_hours.beyond_service") == beyond && num(q, "unit_hours.used") == 8.0,
	    "GET /v1/teams/alpha/quota %s: expected used 8, lost %g, owed %g, flagged %g, "
	    "beyond_service %g; got %s", when, lost, owed, flagged, beyond,
	    dump(json_object_get(q, "unit_hours")));
	h_expect(row && num(row, "lost_unit_hours") == lost && num(row, "owed_unit_hours") == owed &&
	    num(row, "flagged_unit_hours") == flagged &&
	    num(row, "beyond_service_unit_hours") == beyond, "GET /v1/phases/ph/fairness %s: "
	    "expected alpha lost %g, owed %g, flagged %g, beyond_service %g; got %s", when, lost,
	    owed, flagged, beyond, dump(row));
	json_decref(rep);
	json_decref(q);
}

/*
 * The issue's own case: usage first, the outage recorded after.  b1 has 8
 * cards, all alpha's.
 *
 *   u-1  alpha 03-02 01:00-02:00, 8 cards: fits the 8 granted, not flagged
 *   out  b1 03-02 00:00-06:00, 4 cards, recorded on 03-03: alpha loses
 *        4 x 6 = 24 uh; in u-1's hour it had 4 in service and used 8:
 *        beyond_service 4, flagged 8 (the hour, whole), owed 24 - 4 = 20
 *   out  corrected to 2 cards: lost 12, beyond 8 - 6 = 2, owed 10
 *   out  cancelled: lost, owed, flagged and beyond_service 0
 */
START_TEST(late_outage_flags)
{
	struct harness h;
	json_t *o;
	char *agent, out[32], path[96];
	long long f;

	world(&h);
	pool(&h, "b1", 8);
	team(&h, "alpha");
	enroll(&h, "alpha", "b1");
	agent = h_token(&h, "agent", NULL, "b1");
	h_clock(&h, "2026-03-03T00:00:00Z");
	f = sample(&h, agent, "u-1", "alpha", "2026-03-02T01:00:00Z", "2026-03-02T02:00:00Z",
	    8 * 3600);
	h_expect(f == 0, "POST /v1/usage u-1: alpha used its 8 granted cards, no outage known: "
	    "expected flagged 0; got %lld", f);
	service_figures_are(&h, 0, 0, 0, 0, "before the outage is known");

	o = h_must(req(&h, "POST", "/v1/pools/b1/outages", "{\"from\":\"2026-03-02T00:00:00Z\","
	    "\"to\":\"2026-03-02T06:00:00Z\",\"cards\":4,\"reason\":\"found in the logs\"}"), 201,
	    "the late outage");
	snprintf(out, sizeof(out), "%s", h_str(o, "id"));
	json_decref(o);
	service_figures_are(&h, 24, 20, 8, 4, "after the late outage of 4 cards");

	snprintf(path, sizeof(path), "/v1/outages/%s", out);
	json_decref(h_must(req(&h, "PATCH", path, "{\"cards\":2,\"reason\":\"two nodes, not "
	    "four\"}"), 200, "correct the outage"));
	service_figures_are(&h, 12, 10, 8, 2, "after the outage was corrected to 2 cards");

	json_decref(h_must(req(&h, "DELETE", path, "{\"reason\":\"entered on the wrong "
	    "pool\"}"), 200, "cancel the outage"));
	service_figures_are(&h, 0, 0, 0, 0, "after the outage was cancelled");
	free(agent);
	done(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* c. The voucher closes on the elimination's effective date. */

static json_t *
hold(struct harness *h, const char *t, long long amount, long want, const char *what)
{
	return h_check(req(h, "POST", "/v1/vouchers/holds", "{\"team\":\"%s\",\"phase\":\"ph\","
	    "\"supplier\":\"data-co\",\"amount_krw\":%lld}", t, amount), want,
	    want == 201 ? NULL : "invalid_state", what);
}

static void
hold_is(struct harness *h, const char *id, const char *state, const char *by)
{
	char path[96];
	json_t *o;

	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s", id);
	o = h_must(get(h, path), 200, path);
	h_expect(strcmp(h_str(o, "state"), state) == 0 && (by == NULL ||
	    strcmp(h_str(o, "voided_by"), by) == 0), "GET %s: expected state %s%s%s; got %s",
	    path, state, by ? ", voided_by " : "", by ? by : "", dump(o));
	json_decref(o);
}

/*
 * alpha (voucher 1 000 000) holds A 100 000 and settles 50 000 on 03-02,
 * and is eliminated from 03-06.  Until then the voucher stays open, A
 * pending, and a new hold C of 20 000 is taken.  grantd stopped, the
 * clock moved to 03-07, grantd started: the voucher is closed, A and C
 * voided by the enrollment's end, 1 000 000 - 50 000 returned, and a new
 * hold refused.
 */
START_TEST(voucher_on_effective)
{
	struct harness h;
	json_t *v, *a, *s, *c, *e;
	char ha[32], hc[32] = "", path[96];
	json_int_t seq;

	world(&h);
	pool(&h, "b1", 8);
	team(&h, "alpha");
	enroll(&h, "alpha", "b1");
	json_decref(h_must(req(&h, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data "
	    "Co\",\"org\":\"Data Co Ltd\"}"), 201, "supplier"));
	h_clock(&h, "2026-03-02T00:00:00Z");
	a = h_must(req(&h, "POST", "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
	    "\"supplier\":\"data-co\",\"amount_krw\":100000}"), 201, "hold A");
	snprintf(ha, sizeof(ha), "%s", h_str(a, "id"));
	json_decref(a);
	s = h_must(req(&h, "POST", "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
	    "\"supplier\":\"data-co\",\"amount_krw\":50000}"), 201, "hold B");
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/settle", h_str(s, "id"));
	json_decref(s);
	json_decref(h_must(req(&h, "POST", path, NULL), 200, "settle B"));

	e = h_must(req(&h, "POST", "/v1/phases/ph/enrollments/alpha/eliminate", "{\"effective_on\":"
	    "\"2026-03-06\",\"reason\":\"interim evaluation\"}"), 200, "eliminate");
	h_expect(strcmp(h_str(e, "state"), "eliminated") == 0 &&
	    strcmp(h_str(e, "ended_at"), "2026-03-06T00:00:00Z") == 0, "eliminate alpha from "
	    "2026-03-06: expected eliminated, ended_at 2026-03-06T00:00:00Z; got %s", dump(e));
	json_decref(e);
	seq = audit_head(&h);
	/* Before the effective date: open, the hold stands, a new one is taken. */
	v = voucher(&h, "alpha");
	h_expect(strcmp(h_str(v, "state"), "open") == 0 && num(v, "held_krw") == 100000.0 &&
	    num(v, "settled_krw") == 50000.0 && num(v, "returned_krw") == 0.0 &&
	    num(v, "available_krw") == 850000.0, "GET /v1/teams/alpha/vouchers after an "
	    "elimination effective 03-06, on 03-02: expected open, held 100000, settled 50000, "
	    "returned 0, available 850000; got %s", dump(v));
	json_decref(v);
	hold_is(&h, ha, "pending", NULL);
	c = hold(&h, "alpha", 20000, 201, "POST /v1/vouchers/holds for alpha on 03-02, before "
	    "its elimination takes effect on 03-06");
	if (c)
		snprintf(hc, sizeof(hc), "%s", h_str(c, "id"));
	json_decref(c);
	/* The clock moves on while grantd runs, still before the date: nothing closes. */
	h_clock(&h, "2026-03-05T23:00:00Z");
	v = voucher(&h, "alpha");
	h_expect(strcmp(h_str(v, "state"), "open") == 0, "GET /v1/teams/alpha/vouchers on 03-05 "
	    "23:00: expected open; got %s", dump(v));
	json_decref(v);

	/* Stopped, the date passes, started: closed at once. */
	ck_assert_int_eq(h_stop(&h), 0);
	h_clock(&h, "2026-03-07T00:00:00Z");
	h_restart(&h);
	v = voucher(&h, "alpha");
	h_expect(strcmp(h_str(v, "state"), "closed") == 0 && num(v, "held_krw") == 0.0 &&
	    num(v, "settled_krw") == 50000.0 && num(v, "returned_krw") == 950000.0 &&
	    num(v, "available_krw") == 0.0, "GET /v1/teams/alpha/vouchers after a restart past "
	    "the effective date: expected closed, held 0, settled 50000, returned 950000, "
	    "available 0; got %s", dump(v));
	json_decref(v);
	hold_is(&h, ha, "voided", "enrollment_end");
	if (hc[0])
		hold_is(&h, hc, "voided", "enrollment_end");
	json_decref(hold(&h, "alpha", 1000, 409, "POST /v1/vouchers/holds for alpha after its "
	    "elimination took effect"));
	e = audit_find(&h, seq, "voucher.close");
	h_expect(e && strstr(h_str(e, "target"), "alpha") != NULL, "GET /v1/audit: expected "
	    "voucher.close for alpha after the restart; got %s", dump(e));
	json_decref(e);
	v = h_must(get(&h, "/v1/vouchers/verify"), 200, "ledger verify");
	h_expect(json_is_true(json_object_get(v, "ok")), "ledger verify: %s", dump(v));
	json_decref(v);
	done(&h);
}
END_TEST

/*
 * alpha (voucher 1 000 000) holds A 100 000 on 03-02 and withdraws from
 * 03-06.  Until then the voucher stays open and A pending.  The clock
 * reaches 03-06 00:00 while grantd runs (no restart): its timer closes the
 * voucher, A voided by the enrollment's end, 1 000 000 returned; settling
 * A or a new hold is refused.
 */
START_TEST(voucher_on_withdrawal)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct harness h;
	json_t *v = NULL, *a, *e;
	char ha[32], path[96];
	int tries;

	world(&h);
	pool(&h, "b1", 8);
	team(&h, "alpha");
	enroll(&h, "alpha", "b1");
	json_decref(h_must(req(&h, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data "
	    "Co\",\"org\":\"Data Co Ltd\"}"), 201, "supplier"));
	h_clock(&h, "2026-03-02T00:00:00Z");
	a = h_must(req(&h, "POST", "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
	    "\"supplier\":\"data-co\",\"amount_krw\":100000}"), 201, "hold A");
	snprintf(ha, sizeof(ha), "%s", h_str(a, "id"));
	json_decref(a);
	e = h_must(req(&h, "POST", "/v1/phases/ph/enrollments/alpha/withdraw", "{\"effective_on\":"
	    "\"2026-03-06\",\"reason\":\"the team leaves the programme\"}"), 200, "withdraw");
	h_expect(strcmp(h_str(e, "state"), "withdrawn") == 0 &&
	    strcmp(h_str(e, "ended_at"), "2026-03-06T00:00:00Z") == 0, "withdraw alpha from "
	    "2026-03-06: expected withdrawn, ended_at 2026-03-06T00:00:00Z; got %s", dump(e));
	json_decref(e);
	v = voucher(&h, "alpha");
	h_expect(strcmp(h_str(v, "state"), "open") == 0 && num(v, "held_krw") == 100000.0 &&
	    num(v, "returned_krw") == 0.0, "GET /v1/teams/alpha/vouchers after a withdrawal "
	    "effective 03-06, on 03-02: expected open, held 100000, returned 0; got %s", dump(v));
	json_decref(v);
	hold_is(&h, ha, "pending", NULL);

	/* The effective instant passes while grantd runs: the timer closes the voucher. */
	h_clock(&h, "2026-03-06T00:00:00Z");
	for (v = NULL, tries = 0; tries < 250; tries++) {
		json_decref(v);
		v = voucher(&h, "alpha");
		if (strcmp(h_str(v, "state"), "closed") == 0)
			break;
		nanosleep(&ts, NULL);
	}
	h_expect(strcmp(h_str(v, "state"), "closed") == 0 && num(v, "held_krw") == 0.0 &&
	    num(v, "settled_krw") == 0.0 && num(v, "returned_krw") == 1000000.0 &&
	    num(v, "available_krw") == 0.0, "GET /v1/teams/alpha/vouchers once the clock "
	    "reached the effective instant, grantd running: expected closed by the timer within "
	    "5 s, held 0, returned 1000000, available 0; got %s", dump(v));
	json_decref(v);
	hold_is(&h, ha, "voided", "enrollment_end");
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/settle", ha);
	json_decref(h_check(req(&h, "POST", path, NULL), 409, "invalid_state", "settle hold A "
	    "after the withdrawal took effect"));
	json_decref(hold(&h, "alpha", 1000, 409, "POST /v1/vouchers/holds for alpha after its "
	    "withdrawal took effect"));
	v = h_must(get(&h, "/v1/vouchers/verify"), 200, "ledger verify");
	h_expect(json_is_true(json_object_get(v, "ok")), "ledger verify: %s", dump(v));
	json_decref(v);
	done(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* d. Vouchers only. */

/*
 * alpha holds 8 of b1's 16 cards; kt, a GPU provider itself, enrolls with
 * grants []: refused without an override, made with one, with the voucher
 * and no cards; the report lists it apart.
 */
START_TEST(vouchers_only)
{
	struct harness h;
	json_t *e, *r, *seg, *vo;
	size_t i;
	bool only_alpha = true;

	world(&h);
	pool(&h, "b1", 16);
	team(&h, "alpha");
	team(&h, "kt");
	enroll(&h, "alpha", "b1");
	json_decref(h_must(req(&h, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data "
	    "Co\",\"org\":\"Data Co Ltd\"}"), 201, "supplier"));

	r = h_check(req(&h, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"kt\",\"grants\":[]}"),
	    409, "fairness_violation", "POST /v1/phases/ph/enrollments {team kt, grants []} "
	    "without an override");
	h_expect(r == NULL || strcmp(h_str(r, "violations.0.rule"), "equal_resource") == 0,
	    "the refusal of a vouchers-only enrollment: expected the rule equal_resource; got %s",
	    dump(r));
	json_decref(r);
	r = h_must(get(&h, "/v1/phases/ph/enrollments"), 200, "enrollments");
	h_expect(json_array_size(json_object_get(r, "items")) == 1, "a refused enrollment was "
	    "stored: %s", dump(r));
	json_decref(r);

	e = h_check(req(&h, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"kt\",\"grants\":[],"
	    "\"override\":{\"reason\":\"KT provides its own GPUs\"}}"), 201, NULL,
	    "POST /v1/phases/ph/enrollments {team kt, grants [], override}");
	h_expect(e && json_is_array(json_object_get(e, "grants")) &&
	    json_array_size(json_object_get(e, "grants")) == 0 &&
	    num(e, "voucher.budget_krw") == 1000000.0, "the vouchers-only enrollment: expected "
	    "grants [] and the voucher of 1000000; got %s", dump(e));
	json_decref(e);
	json_decref(hold(&h, "kt", 10000, 201, "POST /v1/vouchers/holds for vouchers-only kt"));
	r = voucher(&h, "kt");
	h_expect(num(r, "budget_krw") == 1000000.0 && num(r, "held_krw") == 10000.0,
	    "GET /v1/teams/kt/vouchers: expected budget 1000000, held 10000; got %s", dump(r));
	json_decref(r);
	r = h_must(get(&h, "/v1/grants?team=kt"), 200, "kt's grants");
	h_expect(json_array_size(json_object_get(r, "items")) == 0, "GET /v1/grants?team=kt: "
	    "expected none; got %s", dump(r));
	json_decref(r);
	/* b1 holds alpha's 8 cards and nothing for kt. */
	r = h_must(get(&h, "/v1/pools/b1/timeline?from=2026-02-20T00:00:00Z&to="
	    "2026-03-20T00:00:00Z"), 200, "timeline");
	json_array_foreach(json_object_get(r, "segments"), i, seg) {
		bool in = instant(h_str(seg, "from")) >= instant("2026-03-01T00:00:00Z") &&
		    instant(h_str(seg, "to")) <= instant("2026-03-11T00:00:00Z");

		only_alpha &= num(seg, "allocated") == (in ? 8.0 : 0.0);
	}
	h_expect(only_alpha && json_array_size(json_object_get(r, "segments")) > 0,
	    "GET /v1/pools/b1/timeline: expected 8 cards allocated (alpha's) in [03-01, 03-11) "
	    "and none elsewhere; got %s", dump(r));
	json_decref(r);

	h_clock(&h, "2026-03-05T00:00:00Z");
	r = fairness(&h, NULL);
	vo = json_object_get(r, "vouchers_only");
	h_expect(json_array_size(vo) == 1 && strcmp(h_str(vo, "0.team"), "kt") == 0 &&
	    num(vo, "0.voucher_budget_krw") == 1000000.0 &&
	    strcmp(h_str(vo, "0.overrides.0.reason"), "KT provides its own GPUs") == 0 &&
	    row_of(r, "kt") == NULL && row_of(r, "alpha") != NULL &&
	    json_array_size(json_object_get(r, "teams")) == 1, "GET /v1/phases/ph/fairness: "
	    "expected kt under vouchers_only with its override, outside teams; got "
	    "vouchers_only %s, teams %s", dump(vo), dump(json_object_get(r, "teams")));
	h_expect(json_is_true(h_at(r, "summary.equal_resource")), "GET /v1/phases/ph/fairness: "
	    "the vouchers-only team is outside the resource comparison: expected "
	    "equal_resource true; got %s", dump(json_object_get(r, "summary")));
	json_decref(r);
	done(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("late_truth");
	TCase *tc = tcase_create("late_truth");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, late_outage_repaired);
	tcase_add_test(tc, usage_in_service);
	tcase_add_test(tc, late_outage_flags);
	tcase_add_test(tc, voucher_on_effective);
	tcase_add_test(tc, voucher_on_withdrawal);
	tcase_add_test(tc, vouchers_only);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
