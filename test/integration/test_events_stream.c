/* test_events_stream.c: GET /v1/events/stream on the real daemon: arrival, resume, limits. */
#include <check.h>
#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "harness.h"

/* The heartbeat the daemons of these tests use (GRANTD_SSE_HEARTBEAT_MS). */
#define HEARTBEAT_MS "200"
#define MAXEV 1024

/*
 * One stream, driven by libcurl's multi interface from the test's thread:
 * sse_pump runs it for a while, and everything that arrived is in buf.
 */
struct sse {
	CURLM *m;
	CURL *e;
	struct curl_slist *hl;
	char *buf;
	size_t len;
	long status;
	char ctype[80], cache[80], retry_after[16];
	bool done;		/* the response ended */
	CURLcode result;	/* how, once done */
};

/* One event of a stream. */
struct ev {
	long long id;
	char type[64];
	json_t *data;
};

static uint64_t
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct sse *s = arg;
	char *nb = realloc(s->buf, s->len + sz * n + 1);

	ck_assert_ptr_nonnull(nb);
	s->buf = nb;
	memcpy(s->buf + s->len, p, sz * n);
	s->len += sz * n;
	s->buf[s->len] = '\0';
	return sz * n;
}

static void
header(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);

	if (len > nl && strncasecmp(line, name, nl) == 0)
		snprintf(out, outlen, "%.*s", (int)strcspn(line + nl, "\r\n"), line + nl);
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct sse *s = arg;

	header(p, sz * n, "Content-Type: ", s->ctype, sizeof(s->ctype));
	header(p, sz * n, "Cache-Control: ", s->cache, sizeof(s->cache));
	header(p, sz * n, "Retry-After: ", s->retry_after, sizeof(s->retry_after));
	return sz * n;
}

/* Runs the transfer for ms (0: once), or until the response ends. */
static void
sse_pump(struct sse *s, int ms)
{
	uint64_t until = now_ms() + (uint64_t)ms;
	CURLMsg *msg;
	int running, left;

	do {
		curl_multi_perform(s->m, &running);
		while ((msg = curl_multi_info_read(s->m, &left)) != NULL) {
			if (msg->msg == CURLMSG_DONE) {
				s->done = true;
				s->result = msg->data.result;
			}
		}
		curl_easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &s->status);
		if (running == 0 || ms == 0)
			break;
		curl_multi_poll(s->m, NULL, 0, 20, NULL);
	} while (now_ms() < until);
}

/* Opens path with token; last_id, when not NULL, as Last-Event-ID; waits for the status. */
static void
sse_open(struct sse *s, struct harness *h, const char *token, const char *path,
    const char *last_id)
{
	char url[1024], line[600];

	memset(s, 0, sizeof(*s));
	ck_assert_ptr_nonnull(s->m = curl_multi_init());
	ck_assert_ptr_nonnull(s->e = curl_easy_init());
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	curl_easy_setopt(s->e, CURLOPT_URL, url);
	curl_easy_setopt(s->e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(s->e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(s->e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(s->e, CURLOPT_HEADERDATA, s);
	snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
	s->hl = curl_slist_append(s->hl, line);
	s->hl = curl_slist_append(s->hl, "Accept: text/event-stream");
	if (last_id) {
		snprintf(line, sizeof(line), "Last-Event-ID: %s", last_id);
		s->hl = curl_slist_append(s->hl, line);
	}
	curl_easy_setopt(s->e, CURLOPT_HTTPHEADER, s->hl);
	curl_multi_add_handle(s->m, s->e);
	for (int t = 0; t < 250 && s->status == 0 && !s->done; t++)
		sse_pump(s, 20);
}

/* Hangs up (the daemon sees the client leave). */
static void
sse_close(struct sse *s)
{
	if (s->m == NULL)
		return;
	curl_multi_remove_handle(s->m, s->e);
	curl_easy_cleanup(s->e);
	curl_multi_cleanup(s->m);
	curl_slist_free_all(s->hl);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

/* The complete events in s (comments skipped); the data of each must be freed (evs_free). */
static int
sse_events(const struct sse *s, struct ev *out, int max)
{
	const char *p = s->buf ? s->buf : "", *nl;
	struct ev cur = { .id = -1 };
	char data[65536] = "";
	int n = 0;

	for (; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		size_t len = (size_t)(nl - p);

		if (len == 0) {
			if (cur.id >= 0 && n < max) {
				cur.data = json_loads(data, 0, NULL);
				ck_assert_msg(cur.data != NULL, "event %lld: data is not JSON: %s",
				    cur.id, data);
				out[n++] = cur;
			}
			memset(&cur, 0, sizeof(cur));
			cur.id = -1;
			data[0] = '\0';
		} else if (strncmp(p, "id: ", 4) == 0) {
			cur.id = strtoll(p + 4, NULL, 10);
		} else if (strncmp(p, "event: ", 7) == 0) {
			snprintf(cur.type, sizeof(cur.type), "%.*s", (int)len - 7, p + 7);
		} else if (strncmp(p, "data: ", 6) == 0) {
			/* One line per event: a second data: line would be joined, and is wrong here. */
			ck_assert_msg(data[0] == '\0', "an event with two data: lines");
			ck_assert_uint_lt(len - 6, sizeof(data));
			snprintf(data, sizeof(data), "%.*s", (int)len - 6, p + 6);
		} else {
			ck_assert_msg(p[0] == ':', "a line that is neither a field nor a comment: "
			    "%.*s", (int)len, p);
		}
	}
	return n;
}

static void
evs_free(struct ev *e, int n)
{
	for (int i = 0; i < n; i++)
		json_decref(e[i].data);
}

static int
sse_count(const struct sse *s)
{
	static struct ev e[MAXEV];
	int n = sse_events(s, e, MAXEV);

	evs_free(e, n);
	return n;
}

/* Pumps until s holds at least want events, for up to ms; their number. */
static int
sse_wait(struct sse *s, int want, int ms)
{
	uint64_t until = now_ms() + (uint64_t)ms;
	int n;

	while ((n = sse_count(s)) < want && !s->done && now_ms() < until)
		sse_pump(s, 20);
	return n;
}

/* Pumps until text appears in s, for up to ms. */
static bool
sse_saw(struct sse *s, const char *text, int ms)
{
	uint64_t until = now_ms() + (uint64_t)ms;

	while (strstr(s->buf ? s->buf : "", text) == NULL && !s->done && now_ms() < until)
		sse_pump(s, 20);
	return strstr(s->buf ? s->buf : "", text) != NULL;
}

/* The whole feed as token reads it with query (a "&..." suffix or ""). */
static json_t *
feed(struct harness *h, const char *token, const char *query)
{
	char path[256];
	json_t *r;

	snprintf(path, sizeof(path), "/v1/events?limit=1000%s", query);
	r = h_must(h_get(h, token, path), 200, "feed");
	ck_assert(json_is_null(json_object_get(r, "next")));
	return r;
}

/*
 * The events are the feed's items from the first on, one for one (the same
 * JSON), each with id: its seq and event: its type: the first n of them,
 * or with all every item of the feed from the first (the stream may have
 * more: what committed after the feed was read, the timers' transitions).
 */
static void
same_as_feed(const struct ev *e, int n, json_t *fd, size_t first, bool all)
{
	json_t *items = json_object_get(fd, "items");
	int rest = (int)(json_array_size(items) - first);

	if (all)
		ck_assert_int_ge(n, rest);
	else
		ck_assert_int_le(n, rest);
	if (n > rest)
		n = rest;
	for (int i = 0; i < n; i++) {
		json_t *it = json_array_get(items, first + (size_t)i);

		ck_assert_int_eq(e[i].id, json_integer_value(json_object_get(it, "seq")));
		ck_assert_str_eq(e[i].type, h_str(it, "type"));
		ck_assert_msg(json_equal(e[i].data, it), "event %lld differs from the feed's",
		    e[i].id);
	}
}

static void
world(struct harness *h)
{
	json_decref(h_must(h_post(h, h->admin, "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}"), 201, "programme"));
	json_decref(h_must(h_post(h, h->admin, "/v1/programs/p/phases", "{\"id\":\"ph\","
	    "\"name\":\"Phase\",\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":1000000}}"), 201, "phase"));
	json_decref(h_must(h_post(h, h->admin, "/v1/pools", "{\"id\":\"b1\",\"provider\":\"P\","
	    "\"site\":\"S\",\"card_model\":\"B200\",\"cards\":16}"), 201, "pool"));
	json_decref(h_must(h_post(h, h->admin, "/v1/suppliers", "{\"id\":\"sup\",\"name\":\"S\","
	    "\"org\":\"Supplier Org\"}"), 201, "supplier"));
	for (int i = 0; i < 2; i++) {
		const char *t = i == 0 ? "alpha" : "beta";

		json_decref(h_must(h_post(h, h->admin, "/v1/teams", "{\"id\":\"%s\",\"name\":"
		    "\"%s\",\"lead_org\":\"%s Org\"}", t, t, t), 201, "team"));
		json_decref(h_must(h_post(h, h->admin, "/v1/phases/ph/enrollments", "{\"team\":"
		    "\"%s\",\"grants\":[{\"pool\":\"b1\",\"cards\":8}]}", t), 201, "enrollment"));
	}
}

static void
start(struct harness *h, const char *conf)
{
	setenv("GRANTD_SSE_HEARTBEAT_MS", HEARTBEAT_MS, 1);
	h_init(h, conf);
	h_clock(h, "2026-03-01T00:00:00Z");
	h_start(h);
	unsetenv("GRANTD_SSE_HEARTBEAT_MS");
}

/* Events arrive as their changes commit, in the feed's order and shape, with the right headers. */
START_TEST(events_arrive)
{
	static struct ev e[MAXEV];
	struct harness h;
	struct sse s;
	json_t *fd;
	size_t before;
	uint64_t slowest = 0;
	int n;

	start(&h, NULL);
	world(&h);
	fd = feed(&h, h.admin, "");
	before = json_array_size(json_object_get(fd, "items"));
	json_decref(fd);
	sse_open(&s, &h, h.admin, "/v1/events/stream", NULL);
	ck_assert_int_eq(s.status, 200);
	ck_assert_str_eq(s.ctype, "text/event-stream");
	ck_assert_str_eq(s.cache, "no-store");
	ck_assert_int_ge(sse_wait(&s, (int)before, 2000), (int)before);
	for (int k = 0; k < 5; k++) {
		char resource[64];
		uint64_t t0;

		json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t%d\",\"name\":"
		    "\"T\",\"lead_org\":\"O%d\"}", k, k), 201, "team"));
		/* The reply comes after the commit: from then on the stream has it at once. */
		t0 = now_ms();
		snprintf(resource, sizeof(resource), "\"resource\":\"team/t%d\"", k);
		ck_assert_msg(sse_saw(&s, resource, 1000), "team t%d's event did not come within "
		    "a second of its commit", k);
		if (now_ms() - t0 > slowest)
			slowest = now_ms() - t0;
	}
	fprintf(stderr, "test_events_stream: the slowest of 5 events reached the stream %llu ms "
	    "after its commit was answered\n", (unsigned long long)slowest);
	json_decref(h_must(h_post(&h, h.admin, "/v1/pools/b1/outages", "{\"from\":"
	    "\"2026-03-02T00:00:00Z\",\"to\":\"2026-03-03T00:00:00Z\",\"cards\":4,\"reason\":"
	    "\"power\"}"), 201, "outage"));
	ck_assert(sse_saw(&s, "event: outage.recorded\n", 1000));
	fd = feed(&h, h.admin, "");
	ck_assert_int_ge(sse_wait(&s, (int)json_array_size(json_object_get(fd, "items")), 2000),
	    (int)json_array_size(json_object_get(fd, "items")));
	n = sse_events(&s, e, MAXEV);
	same_as_feed(e, n, fd, 0, true);
	evs_free(e, n);
	json_decref(fd);
	/* A filter: only what the feed with it gives. */
	sse_close(&s);
	sse_open(&s, &h, h.admin, "/v1/events/stream?type=team.created", NULL);
	fd = feed(&h, h.admin, "&type=team.created");
	ck_assert_int_eq(sse_wait(&s, 7, 2000), 7);
	n = sse_events(&s, e, MAXEV);
	same_as_feed(e, n, fd, 0, true);
	for (int k = 0; k < n; k++)
		ck_assert_str_eq(e[k].type, "team.created");
	evs_free(e, n);
	json_decref(fd);
	sse_close(&s);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * Events read in part, the client gone, more committed meanwhile: resumed
 * with Last-Event-ID (or ?after=), the two parts together are the feed,
 * nothing missed and nothing twice, across pages of the stream's reads.
 */
START_TEST(resume_misses_nothing)
{
	static struct ev a[MAXEV], b[MAXEV];
	struct harness h;
	struct sse s;
	json_t *fd;
	char last[32], path[64];
	int na, nb, total;

	start(&h, NULL);
	world(&h);
	for (int k = 0; k < 50; k++)
		json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t%d\",\"name\":"
		    "\"T\",\"lead_org\":\"O%d\"}", k, k), 201, "team"));
	/* What arrived before the hang-up; a partial last event is left out, as a client would. */
	sse_open(&s, &h, h.admin, "/v1/events/stream", NULL);
	ck_assert_int_ge(sse_wait(&s, 50, 2000), 50);
	na = sse_events(&s, a, MAXEV);
	sse_close(&s);
	/* More than a page of the stream's reads (EVENTS_STREAM_PAGE, 100) while away. */
	for (int k = 50; k < 200; k++)
		json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t%d\",\"name\":"
		    "\"T\",\"lead_org\":\"O%d\"}", k, k), 201, "team"));
	fd = feed(&h, h.admin, "");
	total = (int)json_array_size(json_object_get(fd, "items"));
	ck_assert_int_gt(total - na, 100);
	snprintf(last, sizeof(last), "%lld", a[na - 1].id);
	/* The header wins over ?after=. */
	sse_open(&s, &h, h.admin, "/v1/events/stream?after=0", last);
	ck_assert_int_eq(s.status, 200);
	ck_assert_int_ge(sse_wait(&s, total - na, 3000), total - na);
	nb = sse_events(&s, b, MAXEV);
	sse_close(&s);
	same_as_feed(a, na, fd, 0, false);
	same_as_feed(b, nb, fd, (size_t)na, true);
	evs_free(b, nb);
	/* ?after= alone does the same. */
	snprintf(path, sizeof(path), "/v1/events/stream?after=%s", last);
	sse_open(&s, &h, h.admin, path, NULL);
	ck_assert_int_ge(sse_wait(&s, total - na, 3000), total - na);
	nb = sse_events(&s, b, MAXEV);
	same_as_feed(b, nb, fd, (size_t)na, true);
	evs_free(b, nb);
	sse_close(&s);
	evs_free(a, na);
	json_decref(fd);
	/* ?after=now: none of the past, then exactly what commits from here on. */
	sse_open(&s, &h, h.admin, "/v1/events/stream?after=now", NULL);
	ck_assert_int_eq(s.status, 200);
	sse_pump(&s, 300);
	ck_assert_int_eq(sse_count(&s), 0);
	json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"late\",\"name\":"
	    "\"Late\",\"lead_org\":\"Late org\"}"), 201, "team"));
	ck_assert_int_eq(sse_wait(&s, 1, 2000), 1);
	nb = sse_events(&s, b, MAXEV);
	fd = feed(&h, h.admin, "");
	ck_assert_int_eq(nb, 1);
	ck_assert_int_eq(b[0].id, json_integer_value(json_object_get(json_array_get(
	    json_object_get(fd, "items"), json_array_size(json_object_get(fd, "items")) - 1),
	    "seq")));
	evs_free(b, nb);
	json_decref(fd);
	sse_close(&s);
	/* A resume point that is not a seq. */
	{
		const char *hdr[] = { "Last-Event-ID: ev_0000000000000001", NULL };

		json_decref(h_check(h_req(&h, "GET", "/v1/events/stream", h.admin, NULL, hdr), 400,
		    "bad_request", "Last-Event-ID not a seq"));
		json_decref(h_check(h_get(&h, h.admin, "/v1/events/stream?after=-1"), 400,
		    "bad_request", "after below 0"));
	}
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	h_no_discrepancies();
}
END_TEST

/* Each team's stream is its own feed: its events alone, in its own copy; another's is 403. */
START_TEST(team_sees_own)
{
	static struct ev e[MAXEV];
	const char *teams[2] = { "alpha", "beta" };
	struct harness h;
	struct sse s[2];
	char *tok[2];
	json_t *fd;
	int n;

	start(&h, NULL);
	world(&h);
	for (int i = 0; i < 2; i++) {
		tok[i] = h_token(&h, "team", teams[i], NULL);
		sse_open(&s[i], &h, tok[i], "/v1/events/stream", NULL);
		ck_assert_int_eq(s[i].status, 200);
	}
	/* Changes for each team, and one (the outage) about both, while the streams are open. */
	for (int i = 0; i < 2; i++)
		json_decref(h_must(h_post(&h, h.admin, "/v1/vouchers/holds", "{\"team\":\"%s\","
		    "\"phase\":\"ph\",\"supplier\":\"sup\",\"amount_krw\":%d}", teams[i], 100 + i),
		    201, "hold"));
	json_decref(h_must(h_post(&h, h.admin, "/v1/pools/b1/outages", "{\"from\":"
	    "\"2026-03-02T00:00:00Z\",\"to\":\"2026-03-03T00:00:00Z\",\"cards\":4,\"reason\":"
	    "\"power\"}"), 201, "outage"));
	json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"gamma\",\"name\":\"G\","
	    "\"lead_org\":\"Gamma Org\"}"), 201, "team"));
	for (int i = 0; i < 2; i++) {
		char other[16];
		size_t want;

		fd = feed(&h, tok[i], "");
		want = json_array_size(json_object_get(fd, "items"));
		ck_assert(sse_saw(&s[i], "event: outage.recorded\n", 2000));
		ck_assert_int_ge(sse_wait(&s[i], (int)want, 2000), (int)want);
		/* The backlog's team and enrollment, its hold, the outage. */
		ck_assert_int_ge((int)want, 4);
		n = sse_events(&s[i], e, MAXEV);
		same_as_feed(e, n, fd, 0, true);
		for (int k = 0; k < n; k++) {
			json_t *t = json_object_get(e[k].data, "teams");

			ck_assert_int_eq(json_array_size(t), 1);
			ck_assert_str_eq(json_string_value(json_array_get(t, 0)), teams[i]);
		}
		evs_free(e, n);
		json_decref(fd);
		snprintf(other, sizeof(other), "\"%s\"", teams[1 - i]);
		ck_assert_msg(strstr(s[i].buf, other) == NULL, "%s's stream names %s", teams[i],
		    other);
		ck_assert_ptr_null(strstr(s[i].buf, "\"gamma\""));
	}
	json_decref(h_check(h_get(&h, tok[0], "/v1/events/stream?team=beta"), 403, "forbidden",
	    "another team's stream"));
	for (int i = 0; i < 2; i++) {
		sse_close(&s[i]);
		free(tok[i]);
	}
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	h_no_discrepancies();
}
END_TEST

/*
 * Eight streams a token, then 429 with Retry-After; half the connection
 * table at most (max_connections 20: ten streams); a stream whose client
 * hangs up frees its slot at once.
 */
START_TEST(limits)
{
	struct harness h;
	struct sse s[11];
	struct hresp r;
	char *tok[2];
	bool ok = false;

	start(&h, "[server]\nmax_connections = 20\n");
	tok[0] = h_token(&h, "auditor", NULL, NULL);
	tok[1] = h_token(&h, "auditor", NULL, NULL);
	for (int i = 0; i < 8; i++) {
		sse_open(&s[i], &h, tok[0], "/v1/events/stream", NULL);
		ck_assert_int_eq(s[i].status, 200);
	}
	r = h_get(&h, tok[0], "/v1/events/stream");
	ck_assert_int_eq(r.status, 429);
	ck_assert_str_eq(hresp_code(&r), "rate_limited");
	ck_assert_int_eq(r.retry_after, 15);
	ck_assert_ptr_nonnull(strstr(h_str(r.json, "detail"), "already has 8 event streams"));
	hresp_free(&r);
	for (int i = 8; i < 10; i++) {
		sse_open(&s[i], &h, tok[1], "/v1/events/stream", NULL);
		ck_assert_int_eq(s[i].status, 200);
	}
	r = h_get(&h, tok[1], "/v1/events/stream");
	ck_assert_int_eq(r.status, 429);
	ck_assert_ptr_nonnull(strstr(h_str(r.json, "detail"), "10 event streams, the most"));
	hresp_free(&r);
	/* A client leaves without a word: its slot is free well before a heartbeat of 15 s. */
	sse_close(&s[0]);
	for (int t = 0; t < 20 && !ok; t++) {
		sse_open(&s[10], &h, tok[1], "/v1/events/stream", NULL);
		if (!(ok = s[10].status == 200)) {
			sse_close(&s[10]);
			usleep(100 * 1000);
		}
	}
	ck_assert_msg(ok, "the slot of a stream whose client left is still taken after 2 s");
	for (int i = 1; i < 11; i++)
		sse_close(&s[i]);
	free(tok[0]);
	free(tok[1]);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* A quiet stream beats; a revoked token's and an expired token's streams end. */
START_TEST(heartbeat_and_token_end)
{
	struct harness h;
	struct sse s[2];
	json_t *t[2];
	char path[96];

	start(&h, NULL);
	t[0] = h_must(h_post(&h, h.admin, "/v1/tokens", "{\"name\":\"watch\",\"role\":"
	    "\"auditor\"}"), 201, "token");
	t[1] = h_must(h_post(&h, h.admin, "/v1/tokens", "{\"name\":\"brief\",\"role\":"
	    "\"auditor\",\"expires_at\":\"2026-03-01T01:00:00Z\"}"), 201, "token");
	for (int i = 0; i < 2; i++)
		sse_open(&s[i], &h, h_str(t[i], "token"), "/v1/events/stream", NULL);
	/* Nothing has happened: the heartbeat alone says the stream lives. */
	ck_assert(sse_saw(&s[0], ": heartbeat\n\n", 2000));
	sse_pump(&s[0], 700);
	ck_assert_ptr_nonnull(strstr(strstr(s[0].buf, ": heartbeat\n\n") + 1, ": heartbeat\n\n"));
	ck_assert(!s[0].done);
	/* Revoked: the stream ends, saying why, and cannot be opened again. */
	snprintf(path, sizeof(path), "/v1/tokens/%s", h_str(t[0], "id"));
	json_decref(h_must(h_req(&h, "DELETE", path, h.admin, NULL, NULL), 204, "revoke"));
	ck_assert(sse_saw(&s[0], ": end: the token was revoked or has expired\n\n", 2000));
	sse_pump(&s[0], 1000);
	ck_assert(s[0].done);
	ck_assert_int_eq(s[0].result, CURLE_OK);
	json_decref(h_check(h_get(&h, h_str(t[0], "token"), "/v1/events/stream"), 401,
	    "unauthorized", "a revoked token"));
	/* Past its expiry on grantd's clock: the same. */
	ck_assert(!s[1].done);
	h_clock(&h, "2026-03-01T02:00:00Z");
	ck_assert(sse_saw(&s[1], ": end: the token was revoked or has expired\n\n", 2000));
	for (int i = 0; i < 2; i++) {
		sse_close(&s[i]);
		json_decref(t[i]);
	}
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	h_no_discrepancies();
}
END_TEST

/* SIGTERM with streams open, idle and busy: each ends cleanly and grantd exits at once. */
START_TEST(sigterm_with_open_streams)
{
	struct harness h;
	struct sse s[6];
	uint64_t t0, took;
	char *aud;

	start(&h, NULL);
	world(&h);
	aud = h_token(&h, "auditor", NULL, NULL);
	for (int i = 0; i < 6; i++) {
		sse_open(&s[i], &h, i % 2 ? aud : h.admin, "/v1/events/stream", NULL);
		ck_assert_int_eq(s[i].status, 200);
		ck_assert_int_ge(sse_wait(&s[i], 4, 2000), 4);
	}
	t0 = now_ms();
	kill(h.pid, SIGTERM);
	for (int i = 0; i < 6; i++) {
		ck_assert(sse_saw(&s[i], ": end: grantd is stopping; resume with Last-Event-ID\n\n",
		    3000));
		sse_pump(&s[i], 500);
		ck_assert(s[i].done);
		ck_assert_int_eq(s[i].result, CURLE_OK);
	}
	ck_assert_int_eq(h_stop(&h), 0);
	took = now_ms() - t0;
	ck_assert_msg(took < 3000, "grantd took %llu ms to stop with streams open",
	    (unsigned long long)took);
	for (int i = 0; i < 6; i++)
		sse_close(&s[i]);
	free(aud);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("events_stream");
	TCase *tc = tcase_create("events_stream");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, events_arrive);
	tcase_add_test(tc, resume_misses_nothing);
	tcase_add_test(tc, team_sees_own);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, heartbeat_and_token_end);
	tcase_add_test(tc, sigterm_with_open_streams);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
