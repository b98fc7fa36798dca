/* cmd_events.c: grantctl commands for the change feed and webhooks. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grantctl.h"

static const struct col event_cols[] = {
	{ "SEQ", "seq", F_INT }, { "AT", "at", F_TIME }, { "TYPE", "type", F_STR },
	{ "RESOURCE", "resource", F_STR }, { "TEAMS", "teams", F_COUNT },
};

static char *
events_path(struct ctl *c)
{
	char *p = path_fmt("/v1/events");

	path_query(&p, "type", c->opt[O_TYPE]);
	path_query(&p, "team", c->opt[O_TEAM]);
	return p;
}

/* One event as --follow shows it: a line, or with --json the object on one line. */
static void
print_event(struct ctl *c, const json_t *e)
{
	char when[96], *s;

	if (c->json) {
		if ((s = json_dumps(e, JSON_COMPACT)) != NULL)
			fprintf(c->out, "%s\n", s);
		free(s);
	} else {
		fprintf(c->out, "%lld  %s  %-22s %s\n",
		    (long long)json_integer_value(json_object_get(e, "seq")),
		    fmt_instant(c, jstr(e, "at"), false, when, sizeof(when)), jstr(e, "type"),
		    jstr(e, "resource"));
	}
	fflush(c->out);
}

/*
 * --follow reads GET /v1/events/stream (Server-Sent Events).  A dropped
 * stream is opened again with Last-Event-ID, the seq of the last event
 * shown, so nothing is missed or shown twice.  The longest line taken
 * bounds a broken server; the longest quiet, three of grantd's 15 s
 * heartbeats, finds a connection that died without a word.
 */
#define SSE_LINE_MAX (16u * 1024 * 1024)
#define SSE_QUIET_S 45L
#define REFUSAL_MAX 65536
#define RETRY_MIN_S 1
#define RETRY_MAX_S 30

struct follow {
	struct ctl *c;
	CURL *easy;
	long status;
	char after[32];		/* the last seq shown: where to resume */
	char *line, *data;	/* the line being read; the event's data lines */
	size_t len, cap, dlen, dcap;
	bool cr;		/* the last byte was a CR: an LF after it ends nothing */
	bool live;		/* this connection answered 200 */
	char id[32];
	char why[200];		/* the last ": end: ..." comment */
	char *body;		/* a refusal's body */
	size_t blen;
};

static bool
grow(char **p, size_t *cap, size_t want)
{
	size_t n = *cap ? *cap : 256;
	char *q;

	if (want > SSE_LINE_MAX)
		return false;
	while (n < want)
		n *= 2;
	if (n == *cap)
		return true;
	if ((q = realloc(*p, n)) == NULL) {
		fprintf(stderr, "grantctl: out of memory\n");
		exit(EXIT_OTHER);
	}
	*p = q;
	*cap = n;
	return true;
}

/* A blank line: the event gathered so far is shown, and its seq is where to resume. */
static void
sse_dispatch(struct follow *f)
{
	json_t *e;

	if (f->dlen > 0 && (e = json_loadb(f->data, f->dlen, 0, NULL)) != NULL) {
		print_event(f->c, e);
		if (f->id[0])
			snprintf(f->after, sizeof(f->after), "%s", f->id);
		else
			snprintf(f->after, sizeof(f->after), "%lld",
			    (long long)json_integer_value(json_object_get(e, "seq")));
		json_decref(e);
	}
	f->dlen = 0;
}

/* One line of the stream, as the SSE specification reads it (field: value). */
static bool
sse_line(struct follow *f)
{
	char *v;
	size_t n;

	if (f->len == 0) {
		sse_dispatch(f);
		return true;
	}
	f->line[f->len] = '\0';
	if (f->line[0] == ':') {
		if (strncmp(f->line, ": end: ", 7) == 0)
			snprintf(f->why, sizeof(f->why), "%s", f->line + 7);
		return true;
	}
	if ((v = strchr(f->line, ':')) != NULL) {
		*v++ = '\0';
		if (*v == ' ')
			v++;
	} else {
		v = f->line + f->len;
	}
	if (strcmp(f->line, "id") == 0) {
		snprintf(f->id, sizeof(f->id), "%s", v);
	} else if (strcmp(f->line, "data") == 0) {
		n = strlen(v);
		if (!grow(&f->data, &f->dcap, f->dlen + n + 2))
			return false;
		if (f->dlen > 0)
			f->data[f->dlen++] = '\n';
		memcpy(f->data + f->dlen, v, n);
		f->dlen += n;
	}
	return true;
}

static size_t
on_stream(char *p, size_t sz, size_t n, void *arg)
{
	struct follow *f = arg;
	size_t len = sz * n;

	if (f->status == 0)
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
	if (f->status != 200) {
		/* A refusal: its problem document, kept to be printed. */
		if (f->blen + len > REFUSAL_MAX)
			return 0;
		f->body = realloc(f->body, f->blen + len + 1);
		if (f->body == NULL)
			return 0;
		memcpy(f->body + f->blen, p, len);
		f->blen += len;
		f->body[f->blen] = '\0';
		return len;
	}
	f->live = true;
	for (size_t i = 0; i < len; i++) {
		if (p[i] == '\n' && f->cr) {
			f->cr = false;
			continue;
		}
		f->cr = p[i] == '\r';
		if (p[i] == '\r' || p[i] == '\n') {
			if (!sse_line(f))
				return 0;
			f->len = 0;
			continue;
		}
		if (!grow(&f->line, &f->cap, f->len + 2))
			return 0;
		f->line[f->len++] = p[i];
	}
	return len;
}

/* One connection to the stream, until it ends; the transfer's result. */
static CURLcode
stream_once(struct follow *f, const char *path)
{
	struct ctl *c = f->c;
	struct curl_slist *hl = NULL;
	char *url, auth[600], last[64];
	CURLcode rc;

	if ((f->easy = curl_easy_init()) == NULL)
		return CURLE_FAILED_INIT;
	if ((url = malloc(strlen(c->url) + strlen(path) + 1)) == NULL) {
		fprintf(stderr, "grantctl: out of memory\n");
		exit(EXIT_OTHER);
	}
	strcpy(url, c->url);
	strcat(url, path);
	f->status = 0;
	f->len = f->dlen = f->blen = 0;
	f->cr = f->live = false;
	f->id[0] = f->why[0] = '\0';
	curl_easy_setopt(f->easy, CURLOPT_URL, url);
	curl_easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(f->easy, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(f->easy, CURLOPT_CONNECTTIMEOUT, c->timeout_s < 10 ? c->timeout_s : 10L);
	curl_easy_setopt(f->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(f->easy, CURLOPT_LOW_SPEED_TIME, SSE_QUIET_S);
	curl_easy_setopt(f->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->easy, CURLOPT_USERAGENT, "grantctl/" GRANTCTL_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(f->easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* As every other request (http.c): the server's certificate and name, TLS 1.2 at least. */
	curl_easy_setopt(f->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(f->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(f->easy, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->cacert)
		curl_easy_setopt(f->easy, CURLOPT_CAINFO, c->cacert);
	hl = curl_slist_append(hl, "Accept: text/event-stream");
	if (c->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hl = curl_slist_append(hl, auth);
		sodium_memzero(auth, sizeof(auth));
	}
	if (f->after[0]) {
		snprintf(last, sizeof(last), "Last-Event-ID: %s", f->after);
		hl = curl_slist_append(hl, last);
	}
	curl_easy_setopt(f->easy, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(f->easy);
	if (f->status == 0)
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(f->easy);
	f->easy = NULL;
	free(url);
	return rc;
}

/* Server text goes to a terminal: control characters become '?'. */
static void
put_clean(const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, stderr);
}

/* A refused stream: the problem's code and detail, as every command prints one. */
static void
refused(const struct follow *f)
{
	json_t *j = f->body ? json_loads(f->body, 0, NULL) : NULL;

	fprintf(stderr, "grantctl: %ld ", f->status);
	put_clean(*jstr(j, "code") ? jstr(j, "code") : "(no problem document)");
	if (*jstr(j, "detail")) {
		fputs(": ", stderr);
		put_clean(jstr(j, "detail"));
	}
	fputc('\n', stderr);
	json_decref(j);
}

/* The end of the feed now, as --follow's start when no --after is given. */
static int
feed_end(struct ctl *c, char after[32])
{
	struct reply r;
	json_t *items, *next;
	char *p;
	int rc;

	for (;;) {
		p = events_path(c);
		path_query(&p, "limit", "1000");
		path_query(&p, "after", after[0] ? after : NULL);
		rc = api(c, "GET", p, NULL, &r);
		free(p);
		if (rc != 0) {
			reply_free(&r);
			return rc;
		}
		items = json_object_get(r.json, "items");
		if (json_array_size(items) > 0)
			snprintf(after, 32, "%lld", (long long)json_integer_value(json_object_get(
			    json_array_get(items, json_array_size(items) - 1), "seq")));
		next = json_object_get(r.json, "next");
		reply_free(&r);
		if (!json_is_string(next))
			return 0;
	}
}

/*
 * --follow: the events after --after (or from now) as they commit, until
 * interrupted.  A stream that ends (grantd stopping, a network fault) is
 * resumed after a pause that doubles up to RETRY_MAX_S; a refusal ends the
 * command with its exit status, except 429 and 503, which pass.  The
 * first connection failing is an error, as for any command.
 */
static int
follow(struct ctl *c)
{
	struct follow f = { .c = c };
	struct timespec pause = { RETRY_MIN_S, 0 };
	char *path = path_fmt("/v1/events/stream");
	bool ever = false;
	CURLcode rc;
	int ret;

	path_query(&path, "type", c->opt[O_TYPE]);
	path_query(&path, "team", c->opt[O_TEAM]);
	if (c->opt[O_AFTER] != NULL)
		snprintf(f.after, sizeof(f.after), "%s", c->opt[O_AFTER]);
	else if ((ret = feed_end(c, f.after)) != 0)
		goto out;
	for (;;) {
		rc = stream_once(&f, path);
		if (f.live) {
			ever = true;
			pause.tv_sec = RETRY_MIN_S;
		}
		if (f.status != 200 && f.status != 0 && f.status != 429 && f.status != 503) {
			refused(&f);
			ret = exit_for_status(f.status);
			goto out;
		}
		if (!ever && rc != CURLE_OK && f.status == 0) {
			fprintf(stderr, "grantctl: cannot reach %s: %s\n", c->url,
			    curl_easy_strerror(rc));
			ret = EXIT_SERVER;
			goto out;
		}
		fprintf(stderr, "grantctl: the stream ended (%s); resuming after seq %s in %ld s\n",
		    f.why[0] ? f.why : f.status == 429 || f.status == 503 ? "refused for now" :
		    curl_easy_strerror(rc), f.after[0] ? f.after : "0", (long)pause.tv_sec);
		nanosleep(&pause, NULL);
		if (pause.tv_sec < RETRY_MAX_S)
			pause.tv_sec = pause.tv_sec * 2 < RETRY_MAX_S ? pause.tv_sec * 2 : RETRY_MAX_S;
	}
out:
	free(path);
	free(f.line);
	free(f.data);
	free(f.body);
	return ret;
}

int
cmd_events(struct ctl *c, char **a)
{
	(void)a;
	if (c->opt[O_FOLLOW] != NULL)
		return follow(c);
	return run_list(c, events_path(c), event_cols, NCOLS(event_cols));
}

static const struct col webhook_fields[] = {
	{ "id", "id", F_STR }, { "url", "url", F_STR }, { "team", "team", F_STR },
	{ "types", "types", F_COUNT }, { "enabled", "enabled", F_BOOL },
	{ "delivered seq", "delivered_seq", F_INT }, { "failing since", "failing_since", F_TIME },
	{ "attempts", "attempts", F_INT }, { "created", "created_at", F_TIME },
};

/* webhook create URL --types T,T... [--team TEAM]: the secret is printed this once. */
int
cmd_webhook_create(struct ctl *c, char **a)
{
	json_t *types = json_array(), *body;
	char *list = strdup(c->opt[O_TYPES]), *tok, *save = NULL;
	struct reply r;
	char *path;
	int rc;

	if (list == NULL || types == NULL)
		abort();
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(types, json_string(tok));
	free(list);
	body = json_pack("{s:s, s:o}", "url", a[0], "types", types);
	if (c->opt[O_TEAM] != NULL)
		json_object_set_new(body, "team", json_string(c->opt[O_TEAM]));
	path = path_fmt("/v1/webhooks");
	rc = api(c, "POST", path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		print_fields(c, r.json, webhook_fields, NCOLS(webhook_fields));
		fprintf(c->out, "secret: %s\n(shown once: keep it where the receiver checks "
		    "signatures)\n", jstr(r.json, "secret"));
	}
	reply_free(&r);
	return rc;
}

int
cmd_webhook_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "ID", "id", F_STR }, { "URL", "url", F_STR }, { "TEAM", "team", F_STR },
		{ "ENABLED", "enabled", F_BOOL }, { "DELIVERED", "delivered_seq", F_INT },
		{ "ATTEMPTS", "attempts", F_INT },
	};

	(void)a;
	return run_list(c, path_fmt("/v1/webhooks"), cols, NCOLS(cols));
}

int
cmd_webhook_delete(struct ctl *c, char **a)
{
	char *path = path_fmt("/v1/webhooks/%s", a[0]);
	struct reply r;
	int rc = api(c, "DELETE", path, NULL, &r);

	free(path);
	if (rc == 0 && !c->json)
		fprintf(c->out, "webhook %s deleted\n", a[0]);
	reply_free(&r);
	return rc;
}

int
cmd_webhook_test(struct ctl *c, char **a)
{
	return run_show(c, "POST", path_fmt("/v1/webhooks/%s/test", a[0]), NULL, webhook_fields,
	    NCOLS(webhook_fields));
}

int
cmd_webhook_deliveries(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "ID", "id", F_INT }, { "AT", "at", F_TIME }, { "EVENT", "event_id", F_STR },
		{ "TYPE", "type", F_STR }, { "OK", "ok", F_BOOL }, { "STATUS", "status", F_INT },
		{ "MS", "ms", F_INT }, { "ERROR", "error", F_STR },
	};

	return run_list(c, path_fmt("/v1/webhooks/%s/deliveries", a[0]), cols, NCOLS(cols));
}
