/* events_stream.c: the feed as Server-Sent Events: each stream's bytes, its limits, their tick. */
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "err.h"
#include "events.h"
#include "events_stream.h"
#include "http.h"
#include "request.h"
#include "store_events.h"
#include "token.h"
#include "vec.h"

/* An idle stream gives back a buffer larger than this. */
#define KEEP_BYTES 16384
/* The longest secret router.c's authenticate takes. */
#define SECRET_MAX 512
/* Sockets looked at by one poll(2) for clients that left. */
#define POLL_BATCH 64

/* Owned by the loop: see events_stream.h. */
struct event_streams {
	struct app *app;
	uv_timer_t tick;	/* active while a stream is open */
	struct event_stream *head;
	unsigned n;
	int64_t newest;		/* the newest committed seq at the last look */
	uint64_t heartbeat_ms;
	bool stopping;
};

enum stream_state {
	ST_OPEN,	/* sending events as they commit */
	ST_ENDING,	/* its last bytes, then the end of the response */
	ST_GONE,	/* the client left: close the connection */
};

/*
 * One stream, owned by its HTTP request.  cursor: every event up to it that
 * the stream's filters match is in buf or sent.  more: events after cursor
 * may match, so the next read that finds buf empty reads a page.  The bytes
 * not yet taken are buf[off..len).
 */
struct event_stream {
	struct event_streams *ss;	/* NULL once the loop has closed them */
	struct event_stream *prev, *next;
	char token_id[40];
	char secret[SECRET_MAX + 1];
	char type[72];			/* "" for any */
	char team[ID_MAX + 1];		/* "" for any */
	bool own;
	int64_t cursor;
	bool more;
	char *buf;
	size_t off, len, cap;
	uint64_t quiet_since;	/* uv_now() of the last bytes queued, or of the last look */
	int fd;
	void (*wake)(void *);
	void *arg;
	bool waiting;		/* the last read found nothing: wake when there is */
	enum stream_state state;
};

static size_t
pending(const struct event_stream *s)
{
	return s->len - s->off;
}

static int
put(struct event_stream *s, const char *p, size_t n)
{
	int rc;

	if (s->len + n > s->cap && s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if ((rc = vec_reserve(&s->buf, &s->cap, s->len + n, 1)) < 0)
		return rc;
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	return 0;
}

/* The end of a stream, told as a comment so that a person at a terminal sees why. */
static void
end(struct event_stream *s, const char *why)
{
	char line[200];

	if (s->state != ST_OPEN)
		return;
	s->state = ST_ENDING;
	snprintf(line, sizeof(line), ": end: %s\n\n", why);
	if (put(s, line, strlen(line)) < 0)
		s->state = ST_GONE;
}

/*
 * Whether the stream's secret still authenticates its token: a revoked,
 * expired or rotated-out token ends its streams.  A failed read is no
 * proof of that; the next look decides.
 */
static bool
token_ok(struct event_stream *s)
{
	struct app *app = s->ss->app;
	struct principal who;
	struct token_end te;
	int rc = token_lookup_cached(&app->tokens, app->r, s->secret, app_now(app), &who, &te);

	if (rc == GD_ENOENT || rc == GD_ESTATE)
		return false;
	return rc < 0 || strcmp(who.id, s->token_id) == 0;
}

/*
 * One event of a page: 0, 1 when it would take the buffer past its bound
 * (it is read again later), or GD_ENOMEM.
 */
static int
put_event(struct event_stream *s, const json_t *e)
{
	int64_t seq = json_integer_value(json_object_get(e, "seq"));
	char head[128], *data;
	size_t hn, dn;
	int rc;

	hn = (size_t)snprintf(head, sizeof(head), "id: %lld\nevent: %s\ndata: ", (long long)seq,
	    json_string_value(json_object_get(e, "type")));
	if (hn >= sizeof(head) || (data = json_dumps(e, RESP_JSON_FLAGS)) == NULL)
		return GD_ENOMEM;
	dn = strlen(data);
	if (pending(s) > 0 && pending(s) + hn + dn + 2 > EVENTS_STREAM_BUFFER) {
		free(data);
		return 1;
	}
	/* Compact JSON is one line: a newline in a string is written \n. */
	rc = put(s, head, hn);
	if (rc == 0)
		rc = put(s, data, dn);
	if (rc == 0)
		rc = put(s, "\n\n", 2);
	free(data);
	if (rc == 0) {
		s->cursor = seq;
		s->quiet_since = uv_now(s->ss->tick.loop);
	}
	return rc;
}

/* Reads the next page of the stream's events into its buffer. */
static void
fill(struct event_stream *s)
{
	struct app *app = s->ss->app;
	json_t *items = NULL, *e;
	char *next = NULL;
	size_t i;
	int rc;

	if (!token_ok(s)) {
		end(s, "the token was revoked or has expired");
		return;
	}
	rc = events_page(app->r, s->cursor, s->type[0] ? s->type : NULL,
	    s->team[0] ? s->team : NULL, s->own, EVENTS_STREAM_PAGE, &items, &next);
	if (rc < 0) {
		end(s, "the events could not be read; resume with Last-Event-ID");
		return;
	}
	json_array_foreach(items, i, e)
		if ((rc = put_event(s, e)) != 0)
			break;
	if (rc < 0) {
		s->state = ST_GONE;
	} else if (rc == 0 && next == NULL) {
		/*
		 * The page held every match committed when it was read, and
		 * newest was read before it: nothing up to newest is left.
		 */
		s->more = false;
		if (s->ss->newest > s->cursor)
			s->cursor = s->ss->newest;
	}
	json_decref(items);
	free(next);
}

ssize_t
events_stream_read(struct event_stream *s, char *buf, size_t max)
{
	size_t n;

	if (s->state == ST_GONE || s->ss == NULL)
		return EVENTS_STREAM_GONE;
	if (pending(s) == 0 && s->state == ST_OPEN && s->more)
		fill(s);
	if (s->state == ST_GONE)
		return EVENTS_STREAM_GONE;
	if ((n = pending(s)) > 0) {
		if (n > max)
			n = max;
		memcpy(buf, s->buf + s->off, n);
		s->off += n;
		if (s->off == s->len) {
			s->off = s->len = 0;
			if (s->cap > KEEP_BYTES) {
				free(s->buf);
				s->buf = NULL;
				s->cap = 0;
			}
		}
		return (ssize_t)n;
	}
	if (s->state == ST_ENDING)
		return EVENTS_STREAM_END;
	s->waiting = true;
	return 0;
}

/* The most streams at once: half the connection table, at most EVENTS_STREAM_MAX. */
static unsigned
streams_max(const struct app *app)
{
	unsigned half = (unsigned)app->cfg.server.max_connections / 2;

	return half < EVENTS_STREAM_MAX ? half : EVENTS_STREAM_MAX;
}

int
events_stream_admit(struct app *app, const char *token_id, char *err, size_t errlen)
{
	struct event_streams *ss = app ? app->streams : NULL;
	unsigned mine = 0;

	if (ss == NULL || ss->stopping) {
		snprintf(err, errlen, "event streams are not served now (grantd is stopping)");
		return GD_ESTATE;
	}
	if (ss->n >= streams_max(app)) {
		snprintf(err, errlen, "grantd already serves %u event streams, the most it holds "
		    "at once (half of server.max_connections, at most %d); retry later", ss->n,
		    EVENTS_STREAM_MAX);
		return GD_ECAPACITY;
	}
	for (struct event_stream *s = ss->head; s; s = s->next)
		if (strcmp(s->token_id, token_id) == 0)
			mine++;
	if (mine >= EVENTS_STREAM_PER_TOKEN) {
		snprintf(err, errlen, "token %s already has %u event streams open, the most one "
		    "token may hold; close one (a stream whose client left is closed within %d s) "
		    "and resume with Last-Event-ID", token_id, mine, EVENTS_STREAM_RETRY_S);
		return GD_ECAPACITY;
	}
	return 0;
}

json_t *
events_stream_start(int64_t after, const char *type, const char *team, bool own)
{
	return json_pack("{s:I, s:s?, s:s?, s:b}", "after", (json_int_t)after, "type", type,
	    "team", team, "own", own);
}

/* The secret of an Authorization header as router.c reads it; "" when there is none. */
static void
secret_of(const char *auth, char out[SECRET_MAX + 1])
{
	out[0] = '\0';
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
		return;
	auth += 7;
	while (*auth == ' ')
		auth++;
	if (strlen(auth) <= SECRET_MAX)
		snprintf(out, SECRET_MAX + 1, "%s", auth);
}

static void on_tick(uv_timer_t *t);

int
events_stream_open(struct app *app, const json_t *start, const char *token_id,
    const char *auth, int fd, void (*wake)(void *), void *arg, struct event_stream **out)
{
	struct event_streams *ss = app->streams;
	const char *type = json_string_value(json_object_get(start, "type"));
	const char *team = json_string_value(json_object_get(start, "team"));
	struct event_stream *s;

	if (ss == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return GD_ENOMEM;
	s->ss = ss;
	snprintf(s->token_id, sizeof(s->token_id), "%s", token_id);
	secret_of(auth, s->secret);
	snprintf(s->type, sizeof(s->type), "%s", type ? type : "");
	snprintf(s->team, sizeof(s->team), "%s", team ? team : "");
	s->own = json_is_true(json_object_get(start, "own"));
	s->cursor = json_integer_value(json_object_get(start, "after"));
	s->more = true;
	s->fd = fd;
	s->wake = wake;
	s->arg = arg;
	s->quiet_since = uv_now(ss->tick.loop);
	s->next = ss->head;
	if (ss->head)
		ss->head->prev = s;
	ss->head = s;
	if (ss->n++ == 0)
		uv_timer_start(&ss->tick, on_tick, EVENTS_STREAM_TICK_MS, EVENTS_STREAM_TICK_MS);
	*out = s;
	return 0;
}

void
events_stream_close(struct event_stream *s)
{
	struct event_streams *ss;

	if (s == NULL)
		return;
	if ((ss = s->ss) != NULL) {
		if (s->prev)
			s->prev->next = s->next;
		else
			ss->head = s->next;
		if (s->next)
			s->next->prev = s->prev;
		if (--ss->n == 0)
			uv_timer_stop(&ss->tick);
	}
	sodium_memzero(s->secret, sizeof(s->secret));
	free(s->buf);
	free(s);
}

/*
 * Streams whose client has gone (closed or reset its end) while nothing was
 * being sent: libmicrohttpd watches no suspended connection, so without
 * this such a stream would hold its slot until its next heartbeat.
 */
static void
hangups(struct event_streams *ss)
{
	struct pollfd p[POLL_BATCH];
	struct event_stream *batch[POLL_BATCH];
	struct event_stream *s = ss->head;
	int n;

	while (s) {
		for (n = 0; s && n < POLL_BATCH; s = s->next) {
			if (s->state == ST_GONE)
				continue;
			p[n].fd = s->fd;
			p[n].events = POLLRDHUP;
			p[n].revents = 0;
			batch[n++] = s;
		}
		if (n == 0 || poll(p, (nfds_t)n, 0) <= 0)
			continue;
		for (int i = 0; i < n; i++)
			if (p[i].revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL))
				batch[i]->state = ST_GONE;
	}
}

/* After a quiet heartbeat: the token is looked at, and an idle stream says it lives. */
static void
heartbeat(struct event_stream *s, uint64_t now)
{
	if (s->state != ST_OPEN || now - s->quiet_since < s->ss->heartbeat_ms)
		return;
	s->quiet_since = now;
	if (!token_ok(s))
		end(s, "the token was revoked or has expired");
	else if (pending(s) == 0 && put(s, ": heartbeat\n\n", 13) < 0)
		s->state = ST_GONE;
}

static bool
wake(struct event_stream *s)
{
	if (!s->waiting || (pending(s) == 0 && !s->more && s->state == ST_OPEN))
		return false;
	s->waiting = false;
	s->wake(s->arg);
	return true;
}

bool
events_streams_check(struct app *app)
{
	struct event_streams *ss = app->streams;
	uint64_t now;
	int64_t newest;
	bool woke = false;

	if (ss == NULL || ss->n == 0)
		return false;
	if (store_event_newest(app->r, &newest) == 0)
		ss->newest = newest;
	hangups(ss);
	now = uv_now(ss->tick.loop);
	for (struct event_stream *s = ss->head; s; s = s->next) {
		if (s->state == ST_OPEN && ss->newest > s->cursor)
			s->more = true;
		heartbeat(s, now);
		woke |= wake(s);
	}
	return woke;
}

static void
on_tick(uv_timer_t *t)
{
	struct event_streams *ss = t->data;

	if (events_streams_check(ss->app))
		http_kick(ss->app);
}

/* GRANTD_SSE_HEARTBEAT_MS, for the tests alone; the default otherwise. */
static uint64_t
heartbeat_ms(void)
{
	const char *v = getenv(EVENTS_STREAM_HEARTBEAT_ENV);
	int64_t ms;

	if (v != NULL && parse_int(v, 10, EVENTS_STREAM_HEARTBEAT_MS, &ms))
		return (uint64_t)ms;
	return EVENTS_STREAM_HEARTBEAT_MS;
}

int
events_streams_start(struct app *app, uv_loop_t *loop)
{
	struct event_streams *ss = calloc(1, sizeof(*ss));

	if (ss == NULL)
		return GD_ENOMEM;
	ss->app = app;
	ss->heartbeat_ms = heartbeat_ms();
	uv_timer_init(loop, &ss->tick);
	ss->tick.data = ss;
	app->streams = ss;
	return 0;
}

void
events_streams_stop(struct app *app)
{
	struct event_streams *ss = app->streams;
	bool woke = false;

	if (ss == NULL)
		return;
	ss->stopping = true;
	for (struct event_stream *s = ss->head; s; s = s->next) {
		end(s, "grantd is stopping; resume with Last-Event-ID");
		woke |= wake(s);
	}
	if (woke)
		http_kick(app);
}

static void
on_closed(uv_handle_t *h)
{
	free(h->data);
}

void
events_streams_close(struct app *app)
{
	struct event_streams *ss = app->streams;

	if (ss == NULL)
		return;
	/* http_close ended every request; any stream left forgets its registry. */
	for (struct event_stream *s = ss->head; s; s = s->next)
		s->ss = NULL;
	app->streams = NULL;
	uv_timer_stop(&ss->tick);
	uv_close((uv_handle_t *)&ss->tick, on_closed);
}
