/* test_events_notices.c: hold.expiring and checkpoint.signed notices, webhook metrics, sealed replays. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "harness.h"
#include "hookrecv.h"

#define T0 "2026-03-02T00:00:00Z"

/* The events of type in the admin's feed (a new reference). */
static json_t *
feed(struct harness *h, const char *token, const char *type)
{
	char path[128];
	json_t *r, *items;

	snprintf(path, sizeof(path), "/v1/events?type=%s&limit=1000", type);
	r = h_must(h_get(h, token, path), 200, "feed");
	items = json_incref(json_object_get(r, "items"));
	json_decref(r);
	return items;
}

/* How many events of type the feed holds, once it holds at least want (up to ms). */
static size_t
wait_events(struct harness *h, const char *type, size_t want, int ms)
{
	size_t n = 0;
	json_t *items;

	for (int t = 0; t <= ms; t += 50) {
		items = feed(h, h->admin, type);
		n = json_array_size(items);
		json_decref(items);
		if (n >= want)
			break;
		usleep(50 * 1000);
	}
	return n;
}

/* The events of type whose resource is resource. */
static int
count_resource(struct harness *h, const char *type, const char *resource)
{
	json_t *items = feed(h, h->admin, type), *it;
	size_t i;
	int k = 0;

	json_array_foreach(items, i, it)
		k += strcmp(h_str(it, "resource"), resource) == 0;
	json_decref(items);
	return k;
}

/* One value of a SQL query on the test's own connection (text; "" for NULL). */
static char *
db_text_of(struct harness *h, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	char *out;

	ck_assert_int_eq(sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	out = strdup(sqlite3_column_text(st, 0) ? (const char *)sqlite3_column_text(st, 0) : "");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static void
voucher_world(struct harness *h)
{
	json_decref(h_must(h_post(h, h->admin, "/v1/programs", "{\"id\":\"p\",\"name\":\"P\"}"),
	    201, "programme"));
	json_decref(h_must(h_post(h, h->admin, "/v1/programs/p/phases", "{\"id\":\"ph\","
	    "\"name\":\"Ph\",\"starts_on\":\"2026-03-01\",\"period_days\":120,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":1000000}}"), 201, "phase"));
	json_decref(h_must(h_post(h, h->admin, "/v1/teams", "{\"id\":\"alpha\",\"name\":\"A\","
	    "\"lead_org\":\"Alpha Org\"}"), 201, "team"));
	json_decref(h_must(h_post(h, h->admin, "/v1/pools", "{\"id\":\"b1\",\"provider\":"
	    "\"P\",\"site\":\"S\",\"card_model\":\"B200\",\"cards\":16}"), 201, "pool"));
	json_decref(h_must(h_post(h, h->admin, "/v1/suppliers", "{\"id\":\"data-co\",\"name\":"
	    "\"Data Co\",\"org\":\"Data Co Ltd\"}"), 201, "supplier"));
	json_decref(h_must(h_post(h, h->admin, "/v1/phases/ph/enrollments",
	    "{\"team\":\"alpha\"}"), 201, "enrollment"));
}

/* A hold of amount expiring at `expires`; its id (malloc'd). */
static char *
hold(struct harness *h, int64_t amount, const char *expires)
{
	json_t *o = h_must(h_post(h, h->admin, "/v1/vouchers/holds", "{\"team\":\"alpha\","
	    "\"phase\":\"ph\",\"supplier\":\"data-co\",\"amount_krw\":%lld,\"expires_at\":\"%s\"}",
	    (long long)amount, expires), 201, "hold");
	char *id = strdup(h_str(o, "id"));

	json_decref(o);
	return id;
}

static void
hold_op(struct harness *h, const char *id, const char *op)
{
	char path[128];

	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/%s", id, op);
	json_decref(h_must(h_post(h, h->admin, path, "{}"), 200, op));
}

static void
notice_count(struct harness *h, const char *id, int want)
{
	char res[64];

	snprintf(res, sizeof(res), "hold/%s", id);
	ck_assert_msg(count_resource(h, "hold.expiring", res) == want, "%s: not %d notice(s)",
	    id, want);
}

/*
 * A pending hold is told once, an hour before its expiry (the configured
 * lead); holds settled or voided first never are; a restart repeats
 * nothing; a hold made inside the lead is told at once; the team reads its
 * own copy.
 */
START_TEST(hold_expiring_once)
{
	struct harness h;
	char *a, *b, *c, *d, *e, *tok, *v;
	json_t *items, *it;

	h_init(&h, "[events]\nhold_expiring_notice_minutes = 60\n");
	h_clock(&h, T0);
	h_start(&h);
	voucher_world(&h);
	a = hold(&h, 1000, "2026-03-02T10:00:00Z");
	b = hold(&h, 2000, "2026-03-02T10:00:00Z");
	c = hold(&h, 3000, "2026-03-02T10:00:00Z");
	d = hold(&h, 4000, "2026-03-02T12:00:00Z");
	usleep(400 * 1000);
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 0, 0), 0);

	/* Before the lead: b settled, c voided. */
	h_clock(&h, "2026-03-02T08:00:00Z");
	hold_op(&h, b, "settle");
	hold_op(&h, c, "void");
	usleep(400 * 1000);
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 0, 0), 0);

	/* Inside a's lead (and b's and c's, were they pending). */
	h_clock(&h, "2026-03-02T09:30:00Z");
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 1, 3000), 1);
	usleep(500 * 1000);
	notice_count(&h, a, 1);
	notice_count(&h, b, 0);
	notice_count(&h, c, 0);
	notice_count(&h, d, 0);
	items = feed(&h, h.admin, "hold.expiring");
	it = json_array_get(items, 0);
	ck_assert_str_eq(h_str(it, "payload.hold"), a);
	ck_assert_int_eq(json_integer_value(h_at(it, "payload.amount_krw")), 1000);
	ck_assert_str_eq(h_str(it, "payload.expires_at"), "2026-03-02T10:00:00Z");
	ck_assert_str_eq(h_str(it, "teams.0"), "alpha");
	ck_assert_str_eq(h_str(it, "at"), "2026-03-02T09:30:00Z");
	json_decref(items);
	/* The team's own feed carries it, with the same figures. */
	tok = h_token(&h, "team", "alpha", NULL);
	items = feed(&h, tok, "hold.expiring");
	ck_assert_uint_eq(json_array_size(items), 1);
	ck_assert_int_eq(json_integer_value(h_at(json_array_get(items, 0),
	    "payload.amount_krw")), 1000);
	json_decref(items);

	/* A restart inside the lead tells nothing again. */
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	usleep(600 * 1000);
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 1, 0), 1);

	/* Past a's expiry, inside d's lead; e made inside its own lead is told at once. */
	h_clock(&h, "2026-03-02T11:30:00Z");
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 2, 3000), 2);
	e = hold(&h, 5000, "2026-03-02T12:10:00Z");
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 3, 3000), 3);
	ck_assert_uint_ge(wait_events(&h, "hold.expired", 1, 3000), 1);
	notice_count(&h, a, 1);
	notice_count(&h, d, 1);
	notice_count(&h, e, 1);
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	usleep(600 * 1000);
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 3, 0), 3);
	/* Past every expiry: expired holds are never told again. */
	h_clock(&h, "2026-03-03T00:00:00Z");
	ck_assert_uint_ge(wait_events(&h, "hold.expired", 3, 3000), 3);
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 3, 0), 3);
	ck_assert_int_eq(h_stop(&h), 0);

	/* What the database keeps: the told holds marked, the others not. */
	v = db_text_of(&h, "SELECT group_concat(id || ':' || (expiring_notice_at IS NOT NULL), "
	    "',') FROM (SELECT id, expiring_notice_at FROM ledger_holds ORDER BY id)");
	{
		char want[256];

		snprintf(want, sizeof(want), "%s:1,%s:0,%s:0,%s:1,%s:1", a + 5, b + 5, c + 5,
		    d + 5, e + 5);
		ck_assert_str_eq(v, want);
	}
	free(v);
	free(tok);
	free(a);
	free(b);
	free(c);
	free(d);
	free(e);
	h_cleanup(&h);
}
END_TEST

/* hold_expiring_notice_minutes = 0: no notices at all. */
START_TEST(hold_expiring_off)
{
	struct harness h;
	char *a;

	h_init(&h, "[events]\nhold_expiring_notice_minutes = 0\n");
	h_clock(&h, T0);
	h_start(&h);
	voucher_world(&h);
	a = hold(&h, 1000, "2026-03-02T01:00:00Z");
	h_clock(&h, "2026-03-02T00:59:00Z");
	usleep(600 * 1000);
	ck_assert_uint_eq(wait_events(&h, "hold.expiring", 0, 0), 0);
	free(a);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* Whether the checkpoint file has a line whose seq and head are the event's. */
static bool
in_checkpoint_file(struct harness *h, const json_t *ev)
{
	char path[320], line[1024];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "%s/grantd-checkpoints.jsonl", h->dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		json_t *j = json_loads(line, 0, NULL);

		found = j != NULL && json_integer_value(json_object_get(j, "seq")) ==
		    json_integer_value(h_at((json_t *)ev, "payload.seq")) &&
		    strcmp(h_str(j, "head"), h_str((json_t *)ev, "payload.head")) == 0 &&
		    strcmp(h_str(j, "sig"), h_str((json_t *)ev, "payload.sig")) == 0;
		json_decref(j);
	}
	fclose(f);
	return found;
}

/*
 * A fairness report's checkpoint is an event in the report's transaction;
 * the stop's in its own.  Each for admins and auditors alone, each the
 * checkpoint file's line.
 */
START_TEST(checkpoint_signed)
{
	struct harness h;
	json_t *rep, *items, *it;
	char *tok, *aud, res[64];
	size_t i;

	h_init(&h, NULL);
	h_clock(&h, T0);
	h_start(&h);
	voucher_world(&h);
	rep = h_must(h_get(&h, h.admin, "/v1/phases/ph/fairness"), 200, "report");
	items = feed(&h, h.admin, "checkpoint.signed");
	ck_assert_uint_eq(json_array_size(items), 1);
	it = json_array_get(items, 0);
	ck_assert_int_eq(json_integer_value(h_at(it, "payload.seq")),
	    json_integer_value(h_at(rep, "checkpoint.seq")));
	ck_assert_str_eq(h_str(it, "payload.head"), h_str(rep, "checkpoint.head"));
	ck_assert_str_eq(h_str(it, "payload.key_id"), h_str(rep, "checkpoint.key_id"));
	snprintf(res, sizeof(res), "audit/%lld",
	    (long long)json_integer_value(h_at(rep, "checkpoint.seq")));
	ck_assert_str_eq(h_str(it, "resource"), res);
	ck_assert_uint_eq(json_array_size(json_object_get(it, "teams")), 0);
	json_decref(items);
	json_decref(rep);
	/* An auditor reads it; a team's feed never shows it. */
	aud = h_token(&h, "auditor", NULL, NULL);
	items = feed(&h, aud, "checkpoint.signed");
	ck_assert_uint_eq(json_array_size(items), 1);
	json_decref(items);
	tok = h_token(&h, "team", "alpha", NULL);
	items = feed(&h, tok, "checkpoint.signed");
	ck_assert_uint_eq(json_array_size(items), 0);
	json_decref(items);

	/* A change, then the stop: its checkpoint of the new head is an event too. */
	json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"beta\",\"name\":\"B\","
	    "\"lead_org\":\"Beta Org\"}"), 201, "team"));
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	items = feed(&h, h.admin, "checkpoint.signed");
	ck_assert_uint_eq(json_array_size(items), 2);
	json_array_foreach(items, i, it)
		ck_assert_msg(in_checkpoint_file(&h, it), "event %s is no line of the file",
		    h_str(it, "id"));
	ck_assert_int_gt(json_integer_value(h_at(json_array_get(items, 1), "payload.seq")),
	    json_integer_value(h_at(json_array_get(items, 0), "payload.seq")));
	json_decref(items);
	free(tok);
	free(aud);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * The receiver, as test_webhooks.c's: one request per connection, each
 * signature checked with its path's secret; answers `status`, or with 0
 * says nothing for longer than grantd waits.
 */
#define MAXGOT 64

static struct receiver {
	struct hookrecv rx;
	int port;
	pthread_mutex_t mu;
	char secret[80];	/* of /a */
	int status;
	char type[MAXGOT][64];
	int n, bad;
} R;

/* Records a request to /a with its signature checked; answers R.status (0: silence). */
static int
on_request(const struct hook_req *rq, void *arg)
{
	int status;

	(void)arg;
	pthread_mutex_lock(&R.mu);
	status = R.status;
	if (status == 200 && R.n < MAXGOT && strcmp(rq->path, "/a") == 0) {
		snprintf(R.type[R.n++], sizeof(R.type[0]), "%s", rq->type);
		if (!hook_sig_ok(R.secret, rq->sig, rq->body, rq->len))
			R.bad++;
	}
	pthread_mutex_unlock(&R.mu);
	return status;
}

static void
receiver_start(void)
{
	memset(&R, 0, sizeof(R));
	pthread_mutex_init(&R.mu, NULL);
	R.status = 200;
	/* Silence lasts past timeout_s = 1. */
	hookrecv_start(&R.rx, on_request, NULL, 1500);
	R.port = R.rx.port;
}

static void
receiver_stop(void)
{
	hookrecv_stop(&R.rx);
}

static void
set_status(int s)
{
	pthread_mutex_lock(&R.mu);
	R.status = s;
	pthread_mutex_unlock(&R.mu);
}

/* The value of the sample `name` (with its labels) in /metrics, -1 when absent. */
static long long
metric(struct harness *h, const char *name)
{
	struct hresp r = h_get(h, h->admin, "/metrics");
	size_t nl = strlen(name);
	long long v = -1;
	const char *p;

	ck_assert_int_eq(r.status, 200);
	for (p = r.body; p != NULL && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, nl) == 0 && p[nl] == ' ') {
			v = strtoll(p + nl + 1, NULL, 10);
			break;
		}
	}
	hresp_free(&r);
	return v;
}

/* Waits up to ms for the sample to reach at least want; its last value. */
static long long
wait_metric(struct harness *h, const char *name, long long want, int ms)
{
	long long v = -1;

	for (int t = 0; t <= ms; t += 50) {
		if ((v = metric(h, name)) >= want)
			break;
		usleep(50 * 1000);
	}
	return v;
}

#define OK "grantd_webhook_deliveries_total{result=\"ok\"}"
#define FAILED "grantd_webhook_deliveries_total{result=\"failed\"}"
#define REFUSED "grantd_webhook_deliveries_total{result=\"refused\"}"
#define TIMEOUT "grantd_webhook_deliveries_total{result=\"timeout\"}"
#define DEPTH "grantd_webhook_queue_depth"
#define OLDEST "grantd_webhook_oldest_undelivered_seconds"

static json_t *
webhook(struct harness *h, const char *path, const char *types, const char *team)
{
	return h_must(h_post(h, h->admin, "/v1/webhooks", "{\"url\":\"http://127.0.0.1:%d%s\","
	    "\"types\":%s%s%s%s}", R.port, path, types, team ? ",\"team\":\"" : "",
	    team ? team : "", team ? "\"" : ""), 201, "webhook");
}

/*
 * Every result counted: a team's webhook refused its loopback target, a
 * 503 failed, a silent receiver timed out, then a 2xx; the queue holds the
 * one event owed, aging by the clock, until it is delivered.  A webhook
 * that takes none of the events passes over them.
 */
START_TEST(webhook_metrics)
{
	struct harness h;
	json_t *a, *w;
	char path[64];
	int64_t newest;

	receiver_start();
	h_init(&h, "[webhooks]\nallow_http = true\nallow_private = true\ntimeout_s = 1\n");
	h_clock(&h, T0);
	h_start(&h);
	json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"alpha\",\"name\":\"A\","
	    "\"lead_org\":\"Alpha Org\"}"), 201, "team"));
	a = webhook(&h, "/a", "[\"team.created\"]", NULL);
	snprintf(R.secret, sizeof(R.secret), "%s", h_str(a, "secret"));
	json_decref(webhook(&h, "/f", "[\"outage.recorded\"]", NULL));
	json_decref(webhook(&h, "/b", "[\"*\"]", "alpha"));
	ck_assert_int_eq(metric(&h, OK), 0);
	ck_assert_int_eq(metric(&h, DEPTH), 0);
	ck_assert_int_eq(metric(&h, OLDEST), 0);

	/* A team's webhook never reaches loopback: its test ping is refused. */
	json_decref(h_must(h_post(&h, h.admin, "/v1/webhooks/wh_3/test", "{}"), 202, "test"));
	ck_assert_int_eq(wait_metric(&h, REFUSED, 1, 3000), 1);

	/* Owed, and failing: counted, queued, aging with the clock. */
	set_status(503);
	json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t1\",\"name\":\"T1\","
	    "\"lead_org\":\"O1\"}"), 201, "team"));
	ck_assert_int_eq(wait_metric(&h, FAILED, 1, 3000), 1);
	ck_assert_int_eq(metric(&h, DEPTH), 1);
	ck_assert_int_eq(metric(&h, OLDEST), 0);
	h_clock(&h, "2026-03-02T01:00:00Z");	/* past the back-off */
	ck_assert_int_eq(wait_metric(&h, FAILED, 2, 3000), 2);
	ck_assert_int_eq(metric(&h, DEPTH), 1);
	ck_assert_int_eq(metric(&h, OLDEST), 3600);

	/* A receiver that says nothing: a timeout. */
	set_status(0);
	h_clock(&h, "2026-03-02T02:00:00Z");
	ck_assert_int_eq(wait_metric(&h, TIMEOUT, 1, 5000), 1);
	ck_assert_int_eq(metric(&h, OLDEST), 7200);
	/* The receiver answers one at a time: the next must not wait behind the silence. */
	while (hookrecv_hanging(&R.rx))
		usleep(20 * 1000);

	/* Delivered at last: the queue is empty. */
	set_status(200);
	h_clock(&h, "2026-03-02T03:00:00Z");
	ck_assert_int_eq(wait_metric(&h, OK, 1, 5000), 1);
	ck_assert_int_eq(metric(&h, DEPTH), 0);
	ck_assert_int_eq(metric(&h, OLDEST), 0);
	ck_assert_int_eq(metric(&h, FAILED), 2);
	/*
	 * At least the one: on a loaded machine (ASan, two CPUs) a second try can
	 * reach the silent receiver before it answers again and time out too.
	 */
	ck_assert_int_ge(metric(&h, TIMEOUT), 1);
	ck_assert_int_eq(metric(&h, REFUSED), 1);
	pthread_mutex_lock(&R.mu);
	ck_assert_int_eq(R.n, 1);
	ck_assert_str_eq(R.type[0], "team.created");
	ck_assert_int_eq(R.bad, 0);
	pthread_mutex_unlock(&R.mu);

	/* wh_2 takes outages only: its cursor passed over the team's event. */
	{
		json_t *items = feed(&h, h.admin, "team.created");

		newest = json_integer_value(h_at(json_array_get(items, json_array_size(items) - 1),
		    "seq"));
		json_decref(items);
	}
	snprintf(path, sizeof(path), "/v1/webhooks/wh_2");
	for (int t = 0; t < 40; t++) {
		w = h_must(h_get(&h, h.admin, path), 200, "webhook");
		if (json_integer_value(json_object_get(w, "delivered_seq")) >= newest) {
			json_decref(w);
			break;
		}
		json_decref(w);
		usleep(50 * 1000);
	}
	w = h_must(h_get(&h, h.admin, path), 200, "webhook");
	ck_assert_int_ge(json_integer_value(json_object_get(w, "delivered_seq")), newest);
	json_decref(w);
	json_decref(a);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	receiver_stop();
}
END_TEST

/* How many rows of table hold text s anywhere in column col. */
static int
rows_with(struct harness *h, const char *table, const char *col, const char *s)
{
	char sql[256], *v;
	int n;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE instr(%s, '%s') > 0", table,
	    col, s);
	v = db_text_of(h, sql);
	n = atoi(v);
	free(v);
	return n;
}

/*
 * A webhook made with an Idempotency-Key: the replay by the same process
 * shows the secret again, one after a restart cannot; the stored reply,
 * the audit and the feed never hold it in the clear.
 */
START_TEST(replay_secret_sealed)
{
	static const char *const key[] = { "Idempotency-Key: wh-0001", NULL };
	static const char body[] = "{\"url\":\"https://hooks.example.com/in\",\"types\":[\"*\"]}";
	struct harness h;
	struct hresp r;
	char *secret, hex[80];

	h_init(&h, NULL);
	h_clock(&h, T0);
	h_start(&h);
	r = h_req(&h, "POST", "/v1/webhooks", h.admin, body, key);
	ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
	ck_assert(!r.replayed);
	secret = strdup(h_str(r.json, "secret"));
	ck_assert_int_eq(strncmp(secret, "whsec_", 6), 0);
	hresp_free(&r);
	snprintf(hex, sizeof(hex), "%s", secret + 6);

	r = h_req(&h, "POST", "/v1/webhooks", h.admin, body, key);
	ck_assert_int_eq(r.status, 201);
	ck_assert(r.replayed);
	ck_assert_str_eq(h_str(r.json, "secret"), secret);
	ck_assert_str_eq(h_str(r.json, "id"), "wh_1");
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);

	/* On disk: sealed in the stored reply, nowhere else but the webhook's own row. */
	ck_assert_int_eq(rows_with(&h, "idempotency", "body", hex), 0);
	ck_assert_int_eq(rows_with(&h, "idempotency", "body", "\"secret\":\"sealed:"), 1);
	ck_assert_int_eq(rows_with(&h, "audit", "coalesce(detail, '')", hex), 0);
	ck_assert_int_eq(rows_with(&h, "events", "payload", hex), 0);
	ck_assert_int_eq(rows_with(&h, "webhooks", "secret", hex), 1);

	/* Another process cannot open it: the replay says it was shown once. */
	h_restart(&h);
	r = h_req(&h, "POST", "/v1/webhooks", h.admin, body, key);
	ck_assert_int_eq(r.status, 201);
	ck_assert(r.replayed);
	ck_assert_str_eq(h_str(r.json, "secret"), "(shown once; not stored)");
	ck_assert_str_eq(h_str(r.json, "id"), "wh_1");
	ck_assert_ptr_null(strstr(r.body, hex));
	hresp_free(&r);
	free(secret);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("events_notices");
	TCase *tc = tcase_create("events_notices");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hold_expiring_once);
	tcase_add_test(tc, hold_expiring_off);
	tcase_add_test(tc, checkpoint_signed);
	tcase_add_test(tc, webhook_metrics);
	tcase_add_test(tc, replay_secret_sealed);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
