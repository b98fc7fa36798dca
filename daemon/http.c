/*
 * http.c: libmicrohttpd glue: uv_poll on its epoll fd, a uv_timer, suspend/resume, TLS.
 * The slow-client bounds are in http_limits.c, event streams' replies in http_stream.c.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "commit.h"
#include "err.h"
#include "events_stream.h"
#include "http.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "tls.h"
#include "ui.h"
#include "vec.h"

/* The longest path an access log line shows, escaped, before "...". */
#define LOG_PATH_MAX 1024

static void on_timer(uv_timer_t *t);

static void
rearm(struct http *h)
{
	MHD_UNSIGNED_LONG_LONG ms;

	if (h->closing)
		return;
	/* A 0 timeout means "call MHD_run again now": data is buffered. */
	if (MHD_get_timeout(h->d, &ms) == MHD_YES)
		uv_timer_start(&h->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&h->timer);
}

static unsigned
connections(struct http *h)
{
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);

	return di ? di->num_connections : 0;
}

void
http_run(struct http *h)
{
	unsigned before;

	if (h->closing)
		return;
	before = connections(h);
	MHD_run(h->d);
	/*
	 * At the connection limit libmicrohttpd stops watching its listening
	 * socket and watches it again only at the start of a later MHD_run.
	 * When this run closed connections, run once more so that socket is
	 * back at once, not at the next unrelated event.
	 */
	if (connections(h) < before)
		MHD_run(h->d);
	rearm(h);
}

static void
on_timer(uv_timer_t *t)
{
	http_run(t->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	(void)status;
	(void)events;
	http_run(p->data);
}

void
http_kick(struct app *app)
{
	if (app->http)
		http_run(app->http);
}

int
http_inflight(const struct app *app)
{
	return app->http ? app->http->inflight : 0;
}

/*
 * X-Request-Id from the client, echoed as sent when it is 1 to
 * REQUEST_ID_MAX printable ASCII characters (as an Idempotency-Key may be);
 * anything else gets a fresh one.
 */
static void
request_id(struct MHD_Connection *c, char rid[REQUEST_ID_MAX + 1])
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
	unsigned char rnd[8];
	size_t n = 0;

	if (v != NULL) {
		while (n <= REQUEST_ID_MAX && v[n] >= 0x20 && v[n] <= 0x7e)
			n++;
		if (n > 0 && n <= REQUEST_ID_MAX && v[n] == '\0') {
			memcpy(rid, v, n + 1);
			return;
		}
	}
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(rid, REQUEST_ID_MAX + 1, rnd, sizeof(rnd));
}

static enum MHD_Result
send_response(struct query *q)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	const char *ctype;
	char *text;
	size_t len;

	if (q->rs.json) {
		text = json_dumps(q->rs.json, RESP_JSON_FLAGS);
		if (text == NULL) {
			resp_problem(&q->rs, 500, "internal", "cannot encode the response");
			text = json_dumps(q->rs.json, RESP_JSON_FLAGS);
			if (text == NULL)
				return MHD_NO;
		}
		len = strlen(text);
		ctype = q->rs.problem ? "application/problem+json" : "application/json";
	} else if (q->rs.text) {
		text = q->rs.text;
		len = q->rs.text_len;
		q->rs.text = NULL;
		ctype = q->rs.content_type ? q->rs.content_type : "text/plain; charset=utf-8";
	} else {
		text = NULL;
		len = 0;
		ctype = NULL;
	}
	r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(text);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Request-Id", q->rid);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (q->rs.replayed)
		MHD_add_response_header(r, "Idempotent-Replayed", "true");
	if (q->rs.status == 405 && q->rs.allow[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, q->rs.allow);
	if (q->rs.retry_after > 0) {
		char ra[24];

		snprintf(ra, sizeof(ra), "%lld", (long long)q->rs.retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	q->status = q->rs.status;
	ret = MHD_queue_response(q->c, (unsigned)q->rs.status, r);
	MHD_destroy_response(r);
	return ret;
}

/*
 * A request under /ui/: the dashboard's static files (ui.c), with their
 * own headers, never through the router.  The API's Cache-Control:
 * no-store is not theirs: they are revalidated by ETag instead.
 */
static enum MHD_Result
send_ui(struct query *q)
{
	struct ui_reply u;
	struct MHD_Response *r;
	enum MHD_Result ret;

	q->route = ui_route;
	(void)ui_serve(q->h->app->cfg.ui.root, q->method, q->path,
	    MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH), &u);
	r = MHD_create_response_from_buffer(u.len, u.body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		ui_reply_clear(&u);
		return MHD_NO;
	}
	for (size_t i = 0; ui_headers[i][0] != NULL; i++)
		MHD_add_response_header(r, ui_headers[i][0], ui_headers[i][1]);
	if (u.content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, u.content_type);
	if (u.cache_control)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, u.cache_control);
	if (u.etag[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, u.etag);
	if (u.last_modified[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, u.last_modified);
	if (u.location)
		MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, u.location);
	if (u.allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, u.allow);
	MHD_add_response_header(r, "X-Request-Id", q->rid);
	q->status = u.status;
	ret = MHD_queue_response(q->c, (unsigned)u.status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
on_committed(void *arg, bool committed)
{
	struct query *q = arg;

	if (!committed)
		resp_problem(&q->rs, 503, "unavailable",
		    "storage could not commit the change; nothing was applied");
	q->state = Q_READY;
	MHD_resume_connection(q->c);
}

struct args {
	struct request *rq;
	bool overflow;
};

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	struct args *a = cls;

	(void)kind;
	if (a->rq->nquery == REQ_MAX_QUERY) {
		a->overflow = true;
		return MHD_NO;
	}
	a->rq->query[a->rq->nquery].key = key;
	a->rq->query[a->rq->nquery].value = value ? value : "";
	a->rq->nquery++;
	return MHD_YES;
}

static enum MHD_Result
handle(struct query *q)
{
	struct app *app = q->h->app;
	struct request rq = { 0 };
	struct principal who = { 0 };
	struct args a = { &rq, false };
	const char *auth, *last_id;
	bool deferred;

	http_conn_read(q->h, q->c);
	rq.app = app;
	rq.method = q->method;
	rq.path = q->path;
	rq.body = q->body;
	rq.body_len = q->len;
	rq.request_id = q->rid;
	rq.now = app_now(app);
	rq.content_type = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Content-Type");
	rq.idem_key = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Idempotency-Key");
	if (q->too_large) {
		resp_problem(&q->rs, 413, "payload_too_large", "request body exceeds %zu bytes",
		    (size_t)app->cfg.server.max_body_bytes);
		return send_response(q);
	}
	if (ui_claims(q->path))
		return send_ui(q);
	/*
	 * An event stream's resume point comes as the header Last-Event-ID
	 * (what EventSource sends on reconnecting); routes read the query
	 * alone, so it comes first there under its own name, which no query
	 * parameter of the API takes.
	 */
	last_id = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Last-Event-ID");
	if (last_id != NULL) {
		rq.query[0].key = "Last-Event-ID";
		rq.query[0].value = last_id;
		rq.nquery = 1;
	}
	MHD_get_connection_values(q->c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	if (a.overflow) {
		resp_problem(&q->rs, 400, "bad_request", "more than %d query parameters",
		    REQ_MAX_QUERY);
		return send_response(q);
	}
	rq.route = "unmatched";
	auth = MHD_lookup_connection_value(q->c, MHD_HEADER_KIND, "Authorization");
	deferred = dispatch(&rq, auth, &who, &q->rs);
	q->route = rq.route;
	if (!deferred && http_is_stream(&q->rs))
		return http_send_stream(q, &who, auth);
	if (deferred) {
		if (commit_wait(app, on_committed, q) == 0) {
			q->state = Q_WAITING;
			MHD_suspend_connection(q->c);
			return MHD_YES;
		}
		/* Nowhere to wait: fail safe, the batch may still commit. */
		resp_problem(&q->rs, 503, "unavailable", "out of memory");
	}
	return send_response(q);
}

static enum MHD_Result
on_access(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct http *h = cls;
	struct query *q = *con_cls;
	size_t max = (size_t)h->app->cfg.server.max_body_bytes;
	const char *cl;

	(void)version;
	if (q == NULL) {
		if ((q = calloc(1, sizeof(*q))) == NULL)
			return MHD_NO;
		if ((q->path = strdup(url)) == NULL) {
			free(q);
			return MHD_NO;
		}
		q->h = h;
		q->c = c;
		q->t0 = uv_hrtime();
		snprintf(q->method, sizeof(q->method), "%s", method);
		request_id(c, q->rid);
		h->inflight++;
		*con_cls = q;
		cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > max) {
			/* Answer before reading a byte of it; MHD closes the connection. */
			q->too_large = true;
			return handle(q);
		}
		return MHD_YES;
	}
	if (q->state == Q_READY)
		return send_response(q);
	if (*upload_size) {
		if (!q->too_large && q->len + *upload_size > max) {
			q->too_large = true;
			free(q->body);
			q->body = NULL;
			q->len = q->cap = 0;
		}
		if (!q->too_large) {
			if (vec_reserve(&q->body, &q->cap, q->len + *upload_size + 1, 1) < 0)
				return MHD_NO;
			memcpy(q->body + q->len, upload, *upload_size);
			q->len += *upload_size;
			q->body[q->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	return handle(q);
}

static void
on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	struct query *q = *con_cls;
	struct conn *k = c ? http_conn_of(c) : NULL;
	char mbuf[3 * sizeof(q->method) + 4], pbuf[LOG_PATH_MAX], rbuf[3 * REQUEST_ID_MAX + 4];

	/* A kept-alive connection's next request: its clock starts now. */
	if (k && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		http_conn_list(h, k);
	if (q == NULL)
		return;
	metrics_request(&h->app->metrics, q->method, q->route ? q->route : "unmatched", q->status,
	    uv_hrtime() - q->t0);
	/* Method, path and id come from the client: each is one escaped field. */
	if (h->app->cfg.log.access_log)
		log_info("%s %s %d %.1fms rid=%s%s", log_escape(mbuf, sizeof(mbuf), q->method),
		    log_escape(pbuf, sizeof(pbuf), q->path), q->status,
		    (double)(uv_hrtime() - q->t0) / 1e6, log_escape(rbuf, sizeof(rbuf), q->rid),
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	events_stream_close(q->stream);
	response_clear(&q->rs);
	free(q->body);
	free(q->path);
	free(q);
	*con_cls = NULL;
	h->inflight--;
}

/*
 * Decodes %XX in the path and arguments as libmicrohttpd would, but a
 * decoded NUL, which would silently cut "/v1/teams/a%00b" to ".../a",
 * becomes DEL: never valid in an id, so the request fails to match.
 */
static size_t
on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	size_t n, len = strlen(s);

	(void)cls;
	(void)c;
	/* MHD_http_unescape stops at nothing: it writes len' bytes and a NUL. */
	n = MHD_http_unescape(s);
	for (size_t i = 0; i < n && i < len; i++)
		if (s[i] == '\0')
			s[i] = 0x7f;
	return n;
}

static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_debug("libmicrohttpd: %s", buf);
}

/* ------------------------------------------------------------------ */
/*
 * TLS.  With [tls] set, libmicrohttpd speaks HTTPS only and asks tls.c for
 * the certificate at each handshake (MHD_OPTION_HTTPS_CERT_CALLBACK), so
 * that a reload can swap it without closing a connection.  Each connection
 * is tied to the credentials its handshake took (struct conn's tls) from
 * MHD_CONNECTION_NOTIFY_STARTED to MHD_CONNECTION_NOTIFY_CLOSED.
 */

/*
 * The certificate callback.  libmicrohttpd 0.9.75 makes each session's user
 * pointer its MHD_Connection (gnutls_session_set_ptr in daemon.c, read back
 * by its own PSK callback); http_tls_begin() has checked that for this
 * session, whose socket context is the struct conn holding the credentials.
 */
static int
on_certificate(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int nreqs,
    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length, gnutls_pcert_st **pcert,
    unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct MHD_Connection *c = gnutls_session_get_ptr(s);
	struct conn *k = c ? http_conn_of(c) : NULL;

	/* A server is never asked for a particular CA or algorithm: these are NULL. */
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	*pcert_length = 0;
	return k ? tls_take(&k->tls, pcert, pcert_length, pkey) : -1;
}

/*
 * Ties a new connection to the credentials its handshake will take, or
 * refuses it when its session is not what on_certificate() expects: a
 * libmicrohttpd that no longer points the session at its connection must
 * fail loudly, not hand the callback a pointer of another type.
 */
int
http_tls_begin(struct http *h, struct MHD_Connection *c, struct conn *k)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

	if (ci == NULL || gnutls_session_get_ptr(ci->tls_session) != c) {
		log_error("TLS: libmicrohttpd's session does not point at its connection; "
		    "refusing the connection (this build of grantd needs libmicrohttpd 0.9.75's "
		    "behaviour)");
		(void)shutdown(k->fd, SHUT_RDWR);
		return -1;
	}
	tls_hold_begin(h->tls, &k->tls);
	return 0;
}

/* A day's notice is too late to renew through an agency CA; a month is not. */
#define TLS_RENEW_NOTICE_S (30 * CIVIL_DAY)

/* What an operator wants to know about the certificate now in use. */
static void
log_certificate(struct http *h, const char *what)
{
	const struct tls_info *ti = tls_info(h->tls);
	char until[CIVIL_INSTANT_LEN], from[CIVIL_INSTANT_LEN];
	/* Clients judge validity by their clock, never by a test clock file. */
	int64_t now = (int64_t)time(NULL);

	civil_format_instant(ti->not_after, until);
	civil_format_instant(ti->not_before, from);
	log_notice("%s: serving certificate %s, serial %s, valid until %s (%u in the chain)",
	    what, ti->subject, ti->serial, until, ti->chain);
	if (ti->not_after <= now)
		log_warn("%s: the certificate expired at %s: clients refuse it; install a "
		    "renewed one and reload (systemctl reload grantd)", what, until);
	else if (ti->not_after - now < TLS_RENEW_NOTICE_S)
		log_warn("%s: the certificate expires at %s: renew it, then reload "
		    "(systemctl reload grantd)", what, until);
	if (ti->not_before > now)
		log_warn("%s: the certificate is valid only from %s: clients refuse it until "
		    "then", what, from);
	if (ti->key_mode & 0007)
		log_warn("%s: every user may read the key (mode %04o): chmod o-rwx it", what,
		    (unsigned)ti->key_mode);
}

/* Reads [tls]'s files into h->tls when it is set; NULL stays plain HTTP. */
static int
start_tls(struct http *h, char *err, size_t errlen)
{
	const struct config_tls *t = &h->app->cfg.tls;
	char why[GD_ERRBUF];
	int rc;

	if (t->certificate[0] == '\0')
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES ||
	    MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES) {
		snprintf(err, errlen, "[tls] is set, but this libmicrohttpd was built without "
		    "TLS or without certificate callbacks");
		return GD_EINVAL;
	}
	if ((rc = tls_check_priorities(t->priorities, why, sizeof(why))) < 0 ||
	    (rc = tls_new(&h->tls, t->certificate, t->key, why, sizeof(why))) < 0) {
		snprintf(err, errlen, "TLS: %s", why);
		return rc;
	}
	return 0;
}

/* Frees what http_start() made before its loop handles existed. */
static void
discard(struct http *h)
{
	tls_free(h->tls);
	free(h->peers);
	free(h);
}

int
http_start(struct app *app, uv_loop_t *loop, const char *host, uint16_t port,
    char *bound, size_t boundlen, char *err, size_t errlen)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)on_certificate },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)app->cfg.tls.priorities },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct http *h;
	int rc;

	/*
	 * The file was checked for this when it was read; --listen may have
	 * moved the address since (host is app->cfg's).
	 */
	if (config_check_listen(&app->cfg, err, errlen) < 0)
		return GD_EINVAL;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		snprintf(err, errlen, "listen address %s is not an IP address", host);
		return GD_EINVAL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return GD_ENOMEM;
	/* About one address per bucket even with every connection from another. */
	for (h->npeers = 64; h->npeers < (size_t)app->cfg.server.max_connections; h->npeers *= 2)
		;
	if ((h->peers = calloc(h->npeers, sizeof(*h->peers))) == NULL) {
		free(h);
		return GD_ENOMEM;
	}
	h->app = app;
	if ((rc = start_tls(h, err, errlen)) < 0) {
		discard(h);
		return rc;
	}
	if (h->tls)
		flags |= MHD_USE_TLS;
	/* The logger goes first, so no option's complaint reaches MHD's own. */
	h->d = MHD_start_daemon(flags, port, NULL, NULL, on_access, h,
	    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)app->cfg.server.max_connections,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)app->cfg.server.idle_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)app->cfg.server.connection_memory_bytes,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, http_on_connection, h,
	    MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, h,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, 511U,
	    MHD_OPTION_ARRAY, h->tls ? tls_opts : &tls_opts[2],
	    MHD_OPTION_END);
	if (h->d == NULL) {
		snprintf(err, errlen, "cannot listen on %s:%u (address in use or not "
		    "available%s)", host, (unsigned)port, h->tls ? ", or libmicrohttpd could not "
		    "set up TLS: log level debug shows its reason" : "");
		discard(h);
		return GD_EIO;
	}
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	if (di)
		port = di->port;
	snprintf(bound, boundlen, (flags & MHD_USE_IPv6) ? "[%s]:%u" : "%s:%u", host,
	    (unsigned)port);
	di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	if ((rc = uv_poll_init(loop, &h->poll, di->epoll_fd)) < 0) {
		snprintf(err, errlen, "cannot poll the HTTP epoll fd: %s", uv_strerror(rc));
		MHD_stop_daemon(h->d);
		discard(h);
		return GD_EIO;
	}
	uv_timer_init(loop, &h->timer);
	uv_timer_init(loop, &h->deadline);
	h->poll.data = h;
	h->timer.data = h;
	h->deadline.data = h;
	uv_poll_start(&h->poll, UV_READABLE, on_poll);
	app->http = h;
	if (h->tls)
		log_certificate(h, "TLS");
	rearm(h);
	return 0;
}

void
http_quiesce(struct app *app)
{
	MHD_socket s;

	if (app->http == NULL)
		return;
	s = MHD_quiesce_daemon(app->http->d);
	if (s != MHD_INVALID_SOCKET)
		close(s);
}

static void
on_handle_closed(uv_handle_t *hd)
{
	struct http *h = hd->data;

	if (--h->open_handles == 0) {
		/* MHD_stop_daemon closed every connection: the peers went with them. */
		free(h->peers);
		free(h);
	}
}

void
http_close(struct app *app)
{
	struct http *h = app->http;

	if (h == NULL)
		return;
	h->closing = true;
	app->http = NULL;
	/* Stop watching the epoll fd before libmicrohttpd closes it. */
	uv_poll_stop(&h->poll);
	MHD_stop_daemon(h->d);
	/* Every connection is closed: no session holds a certificate any more. */
	tls_free(h->tls);
	h->tls = NULL;
	h->open_handles = 3;
	uv_close((uv_handle_t *)&h->poll, on_handle_closed);
	uv_close((uv_handle_t *)&h->timer, on_handle_closed);
	uv_close((uv_handle_t *)&h->deadline, on_handle_closed);
}

void
http_reload(struct app *app)
{
	struct http *h = app->http;
	const struct config_tls *t = &app->cfg.tls;
	char err[GD_ERRBUF];

	/*
	 * libmicrohttpd fixes its limits at start; max_body_bytes, the access
	 * log and request_timeout_s are read per request and so change at once
	 * (a changed deadline applies from the next time the timer is armed).
	 * The certificate and key are read again on every reload, renamed or
	 * not: a renewed certificate is usually written over the old file.
	 */
	if (h == NULL)
		return;
	if (h->tls == NULL) {
		if (t->certificate[0] != '\0')
			log_warn("reload: [tls] is set, but grantd started without it and a reload "
			    "does not turn HTTPS on: restart grantd (systemctl restart grantd)");
		return;
	}
	if (t->certificate[0] == '\0') {
		log_warn("reload: [tls] is no longer set, but a reload does not turn HTTPS off: "
		    "still serving serial %s; restart grantd for plain HTTP",
		    tls_info(h->tls)->serial);
		return;
	}
	if (tls_reload(h->tls, t->certificate, t->key, err, sizeof(err)) < 0) {
		log_error("reload: TLS: %s; still serving serial %s", err,
		    tls_info(h->tls)->serial);
		return;
	}
	log_certificate(h, "reload: TLS");
}
