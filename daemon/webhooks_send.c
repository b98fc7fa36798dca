/* webhooks_send.c: deliveries of the feed to webhooks, by libcurl's multi interface on the loop. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "commit.h"
#include "curluv.h"
#include "db.h"
#include "err.h"
#include "jsonv.h"
#include "log.h"
#include "store_events.h"
#include "webhooks.h"

#define TICK_MS		250	/* how soon a committed event leaves */
#define INFLIGHT_MAX	32	/* deliveries at once, over all webhooks */
#define REPLY_MAX	4096	/* of a receiver's answer, kept for nothing but its end */
#define BACKOFF_MIN_S	5
#define BACKOFF_MAX_S	3600

/* One delivery in flight; owned by the sender until its outcome is written. */
struct wsend {
	struct webhooks_sender *s;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	struct webhook w;
	int64_t seq;		/* -1: a test */
	char event_id[EVENT_ID_LEN + 8], type[72];
	uint64_t started;
	size_t got;
	bool refused;		/* the address connected to is not allowed */
	char errbuf[CURL_ERROR_SIZE];
	struct wsend *next;
};

/* Owned by the loop (loop.c), between webhooks_start and webhooks_stop. */
struct webhooks_sender {
	struct app *app;
	struct curluv cu;	/* curl on the loop (curluv.h) */
	uv_timer_t tick;
	struct wsend *calls;
	int inflight, closing;
};

bool
webhooks_addr_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);

		return (a >> 24) == 0 || (a >> 24) == 10 || (a >> 24) == 127 ||
		    (a >> 20) == (172u << 4 | 1) || (a >> 16) == (192u << 8 | 168) ||
		    (a >> 16) == (169u << 8 | 254) || (a >> 22) == (100u << 2 | 1) ||
		    (a >> 28) >= 14;	/* multicast, reserved, broadcast */
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		const uint8_t *b = a->s6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a) || IN6_IS_ADDR_V4COMPAT(a)) {
			struct sockaddr_in v4 = { .sin_family = AF_INET };

			memcpy(&v4.sin_addr, b + 12, 4);
			return webhooks_addr_private((const struct sockaddr *)&v4);
		}
		return IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a) ||
		    (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
		    b[0] == 0xff || (b[0] == 0xfd && b[1] == 0x00 && b[2] == 0x0e && b[3] == 0xc2);
	}
	return true;
}

static void check_done(struct webhooks_sender *s);

/* curl has acted: the deliveries that ended are recorded. */
static void
on_progress(void *arg)
{
	check_done(arg);
}

/* The receiver's answer is not read, only bounded. */
static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct wsend *c = arg;

	(void)p;
	c->got += sz * n;
	return c->got > REPLY_MAX ? 0 : sz * n;
}

/*
 * The address curl is about to connect to, after resolution: a webhook may
 * not reach loopback, private, link-local or metadata addresses unless
 * [webhooks] allow_private, and a team's never (a name that resolves
 * outside and then inside is judged by where it leads now).
 */
static curl_socket_t
on_open(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct wsend *c = arg;
	bool allowed = c->s->app->cfg.webhooks.allow_private && c->w.team[0] == '\0';

	(void)purpose;
	if (!allowed && webhooks_addr_private(&a->addr)) {
		c->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void
call_free(struct wsend *c)
{
	if (c->easy != NULL) {
		curl_multi_remove_handle(c->s->cu.multi, c->easy);
		curl_easy_cleanup(c->easy);
	}
	curl_slist_free_all(c->hdrs);
	free(c->body);
	free(c);
}

static void
unlink_call(struct webhooks_sender *s, struct wsend *c)
{
	for (struct wsend **pp = &s->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			s->inflight--;
			return;
		}
	}
}

/* Exponential, from BACKOFF_MIN_S, capped, with jitter of +-50 %. */
static int64_t
backoff(int64_t attempts)
{
	int64_t d = BACKOFF_MIN_S;

	for (int64_t i = 0; i < attempts && d < BACKOFF_MAX_S; i++)
		d *= 2;
	if (d > BACKOFF_MAX_S)
		d = BACKOFF_MAX_S;
	return d / 2 + (int64_t)randombytes_uniform((uint32_t)d + 1);
}

/* Writes the outcome of one attempt through the group commit. */
static void
record(struct webhooks_sender *s, struct wsend *c, long status, const char *error, bool ok)
{
	struct app *app = s->app;
	int64_t now = app_now(app), ms = (int64_t)(uv_now(s->cu.loop) - c->started);
	int64_t since = c->w.failing_since ? c->w.failing_since : now;
	char target[WEBHOOK_ID_LEN + 16], why[CURL_ERROR_SIZE + 160];
	int rc;

	if (commit_begin(app) < 0)
		return;		/* not written: the event is sent again */
	rc = store_webhook_attempt(app->w, c->w.id, c->seq, c->event_id, c->type, now, status,
	    error, ok, ms);
	if (rc == 0 && c->seq < 0)
		rc = store_webhook_tested(app->w, c->w.id);
	else if (rc == 0 && ok)
		rc = store_webhook_delivered(app->w, c->w.id, c->seq);
	else if (rc == 0 && now - since >= (int64_t)app->cfg.webhooks.retry_hours * 3600) {
		snprintf(target, sizeof(target), "webhook/%s", c->w.id);
		snprintf(why, sizeof(why), "event %s failed for %d hours: %.*s", c->event_id,
		    app->cfg.webhooks.retry_hours, CURL_ERROR_SIZE, error ? error : "no 2xx answer");
		rc = store_webhook_disable(app->w, c->w.id, now);
		if (rc == 0)
			rc = audit_append(app->w, &audit_system, "webhooks", now, "webhook.disable",
			    target, why, NULL);
		if (rc == 0)
			log_warn("webhook %s disabled: %s", c->w.id, why);
	} else if (rc == 0) {
		rc = store_webhook_failed(app->w, c->w.id, since, now + backoff(c->w.attempts));
	}
	if (rc < 0)
		log_warn("webhook %s: cannot record a delivery: %s", c->w.id, db_errmsg(app->w));
}

/* The metrics' name for how an attempt ended; err is empty for a 2xx. */
static enum metrics_delivery
outcome(const struct wsend *c, CURLcode result, const char *err)
{
	if (c->refused)
		return METRICS_DELIVERY_REFUSED;
	if (result == CURLE_OPERATION_TIMEDOUT)
		return METRICS_DELIVERY_TIMEOUT;
	return err[0] == '\0' ? METRICS_DELIVERY_OK : METRICS_DELIVERY_FAILED;
}

static void
check_done(struct webhooks_sender *s)
{
	char err[CURL_ERROR_SIZE + 64];
	struct wsend *c;
	CURLMsg *msg;
	long status = 0;
	int left;

	while ((msg = curl_multi_info_read(s->cu.multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		status = 0;
		err[0] = '\0';
		if (msg->data.result == CURLE_OK)
			curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
		else if (c->refused)
			snprintf(err, sizeof(err), "refused: the target's address is loopback, "
			    "private, link-local or metadata");
		else
			snprintf(err, sizeof(err), "%s", c->errbuf[0] ? c->errbuf :
			    curl_easy_strerror(msg->data.result));
		if (err[0] == '\0' && (status < 200 || status > 299))
			snprintf(err, sizeof(err), "answered %ld", status);
		unlink_call(s, c);
		if (!s->closing) {
			metrics_delivery(&s->app->metrics, outcome(c, msg->data.result, err));
			record(s, c, status, err[0] ? err : NULL, err[0] == '\0');
		}
		call_free(c);
	}
}

static bool
busy(const struct webhooks_sender *s, const char *id)
{
	for (const struct wsend *c = s->calls; c; c = c->next)
		if (strcmp(c->w.id, id) == 0)
			return true;
	return false;
}

static int
header(struct wsend *c, const char *fmt, const char *v)
{
	char line[256];
	struct curl_slist *l;

	snprintf(line, sizeof(line), fmt, v);
	if ((l = curl_slist_append(c->hdrs, line)) == NULL)
		return -1;
	c->hdrs = l;
	return 0;
}

/* Starts one delivery of event (borrowed) to w. */
static int
send_one(struct webhooks_sender *s, const struct webhook *w, const json_t *event)
{
	struct app *app = s->app;
	char sig[WEBHOOK_SIG_LEN];
	struct wsend *c;
	long timeout = app->cfg.webhooks.timeout_s;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->s = s;
	c->w = *w;
	c->seq = json_integer_value(json_object_get(event, "seq"));
	if (json_object_get(event, "seq") == NULL)
		c->seq = -1;
	snprintf(c->event_id, sizeof(c->event_id), "%s",
	    json_string_value(json_object_get(event, "id")));
	snprintf(c->type, sizeof(c->type), "%s",
	    json_string_value(json_object_get(event, "type")));
	if ((c->body = json_dumps(event, JSON_COMPACT)) == NULL ||
	    (c->easy = curl_easy_init()) == NULL)
		goto bad;
	webhooks_sign(w->secret, app_now(app), c->body, strlen(c->body), sig);
	if (header(c, "%s", "Content-Type: application/json") < 0 ||
	    header(c, "%s", "Expect:") < 0 ||
	    header(c, "Grantd-Event-Id: %s", c->event_id) < 0 ||
	    header(c, "Grantd-Event-Type: %s", c->type) < 0 ||
	    header(c, "Grantd-Signature: %s", sig) < 0)
		goto bad;
	curl_easy_setopt(c->easy, CURLOPT_URL, w->url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_OPENSOCKETFUNCTION, on_open);
	curl_easy_setopt(c->easy, CURLOPT_OPENSOCKETDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT, timeout < 10 ? timeout : 10L);
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "grantd-webhooks");
	/* The address checked is the one connected to: no proxy stands between. */
	curl_easy_setopt(c->easy, CURLOPT_PROXY, "");
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR,
	    app->cfg.webhooks.allow_http ? "http,https" : "https");
	curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->easy, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
	curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
	c->started = uv_now(s->cu.loop);
	c->next = s->calls;
	s->calls = c;
	s->inflight++;
	if (curl_multi_add_handle(s->cu.multi, c->easy) != CURLM_OK) {
		unlink_call(s, c);
		goto bad;
	}
	return 0;
bad:
	call_free(c);
	return -1;
}

/* A test: an event of its own, never in the feed, for this webhook alone. */
static json_t *
test_event(const struct webhook *w, int64_t now)
{
	char id[EVENT_ID_LEN + 8];

	snprintf(id, sizeof(id), "ev_test_%lld", (long long)w->test_at);
	return json_pack("{s:s, s:s, s:o, s:s, s:[], s:{s:s}}", "id", id, "type",
	    "webhook.test", "at", jv_instant(now), "resource", "webhook", "teams", "payload",
	    "webhook", w->id);
}

/*
 * w takes no event after its cursor, as read after newest was: every event
 * up to newest was committed by then (the one writer takes seqs in commit
 * order), so w takes none of them and its cursor passes over them.  The
 * next tick's read (and /metrics' queue) then starts past them instead of
 * going over the same events a webhook of a few types never takes.
 */
static void
pass_over(struct webhooks_sender *s, const struct webhook *w, int64_t newest)
{
	struct app *app = s->app;

	if (newest <= w->delivered_seq || commit_begin(app) < 0)
		return;
	if (store_webhook_passed(app->w, w->id, newest) < 0)
		log_warn("webhook %s: cannot move its cursor: %s", w->id, db_errmsg(app->w));
}

static void
on_tick(uv_timer_t *t)
{
	struct webhooks_sender *s = t->data;
	struct app *app = s->app;
	struct webhook *ws = NULL;
	json_t *ev;
	size_t n = 0;
	int64_t now = app_now(app), newest = 0;
	int rc;

	if (app->stopping || s->inflight >= INFLIGHT_MAX)
		return;
	/* Read first, before any webhook's next event: see pass_over. */
	if (store_event_newest(app->r, &newest) < 0 ||
	    store_webhooks_due(app->r, now, &ws, &n) < 0)
		return;
	for (size_t i = 0; i < n && s->inflight < INFLIGHT_MAX; i++) {
		if (busy(s, ws[i].id))
			continue;
		ev = NULL;
		if (ws[i].test_at) {
			ev = test_event(&ws[i], now);
		} else if ((rc = store_webhook_next_event(app->r, &ws[i], ws[i].delivered_seq,
		    &ev)) < 0) {
			if (rc == GD_ENOENT)
				pass_over(s, &ws[i], newest);
			continue;
		}
		if (ev != NULL && send_one(s, &ws[i], ev) < 0)
			log_warn("webhook %s: cannot start a delivery", ws[i].id);
		json_decref(ev);
	}
	free(ws);
}

int
webhooks_start(struct app *app, uv_loop_t *loop, struct webhooks_sender **out)
{
	struct webhooks_sender *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return GD_ENOMEM;
	s->app = app;
	if (curluv_init(&s->cu, loop, on_progress, s) < 0) {
		free(s);
		return GD_ENOMEM;
	}
	uv_timer_init(loop, &s->tick);
	s->tick.data = s;
	uv_timer_start(&s->tick, on_tick, TICK_MS, TICK_MS);
	*out = s;
	return 0;
}

static void
timer_closed(uv_handle_t *h)
{
	struct webhooks_sender *s = h->data;

	if (--s->closing == 0)
		free(s);
}

/* Abandons what is in flight (sent again after a restart) and closes every handle. */
void
webhooks_stop(struct webhooks_sender *s)
{
	struct wsend *c;

	if (s == NULL)
		return;
	s->closing = 2;
	while ((c = s->calls) != NULL) {
		s->calls = c->next;
		call_free(c);
	}
	curluv_close(&s->cu, s, timer_closed);
	uv_timer_stop(&s->tick);
	uv_close((uv_handle_t *)&s->tick, timer_closed);
}
