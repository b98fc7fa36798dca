/*
 * http_internal.h: what http.c shares with http_limits.c (the slow-client
 * bounds) and http_stream.c (event streams' replies); nothing else includes it.
 */
#ifndef GRANTD_HTTP_INTERNAL_H
#define GRANTD_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "request.h"
#include "tls.h"

struct conn;
struct peer;

/*
 * Owned by app->http; freed in the last close callback.  The connections on
 * head..tail are those still sending a request (or not yet begun on the
 * next one), oldest request first; the deadline timer is armed for the
 * head.  See http_limits.c.
 */
struct http {
	struct app *app;
	struct MHD_Daemon *d;
	struct tls *tls;	/* the certificate handshakes take; NULL: plain HTTP */
	uv_poll_t poll;
	uv_timer_t timer;
	uv_timer_t deadline;
	struct conn *head, *tail;
	unsigned nconn;		/* open connections, as notified by MHD */
	struct peer **peers;	/* by client address; npeers buckets, a power of two */
	size_t npeers;
	unsigned ncut[2];	/* slow connections cut since the last notice, by why */
	uint64_t cut_noticed;	/* uv_now() of that notice */
	int inflight;
	int open_handles;
	bool closing;
};

/*
 * One TCP connection, from accept to close: MHD's socket context, freed on
 * MHD_CONNECTION_NOTIFY_CLOSED.  since is when the clock of its current
 * request started: the accept, or the end of the previous request.
 */
struct conn {
	struct conn *prev, *next;
	struct peer *peer;	/* its client address; NULL if untracked */
	MHD_socket fd;
	struct tls_hold tls;	/* the credentials its handshake took (tls.h) */
	uint64_t since;		/* uv_now(), ms */
	bool listed;		/* on h->head..tail: its request is not all read */
	bool cut;		/* shut down here; MHD closes it on its next run */
};

/*
 * One client address with connections open, for
 * server.max_connections_per_ip; freed with its last connection.
 */
struct peer {
	struct peer *next;	/* in its bucket */
	unsigned n;		/* connections open, cut ones included */
	unsigned live;		/* of those, not cut */
	size_t len;		/* of addr: 4 or 16 */
	unsigned char addr[16];
};

enum q_state { Q_READING, Q_WAITING, Q_READY };

/* One request; lives from the first access callback to the completed one. */
struct query {
	struct http *h;
	struct MHD_Connection *c;
	enum q_state state;
	char *body;
	size_t len, cap;
	bool too_large;
	struct response rs;
	char rid[REQUEST_ID_MAX + 1];
	char method[16];
	char *path;
	uint64_t t0;
	int status;
	const char *route;
	struct event_stream *stream;	/* GET /v1/events/stream's, from its reply to the end */
};

/* http.c */
void http_run(struct http *h);		/* MHD_run now, then re-arm its timer */
/* Ties a new connection to its TLS credentials; -1 (connection shut down) if it cannot. */
int http_tls_begin(struct http *h, struct MHD_Connection *c, struct conn *k);

/* http_limits.c: MHD_OPTION_NOTIFY_CONNECTION and the per-connection records. */
void http_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe);
struct conn *http_conn_of(struct MHD_Connection *c);	/* NULL if untracked */
/* The clock of k's next request starts now (a kept-alive connection's next request). */
void http_conn_list(struct http *h, struct conn *k);
/* The request on c is all read: its deadline no longer applies. */
void http_conn_read(struct http *h, struct MHD_Connection *c);

/* http_stream.c: is the route's reply an event stream's start? Then send it as one. */
bool http_is_stream(const struct response *rs);
enum MHD_Result http_send_stream(struct query *q, const struct principal *who,
    const char *auth);

#endif
