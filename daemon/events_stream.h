/* events_stream.h: the change feed as Server-Sent Events: open streams, their bytes, their tick. */
#ifndef GRANTD_EVENTS_STREAM_H
#define GRANTD_EVENTS_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

struct app;

/*
 * GET /v1/events/stream answers the feed's events as they commit, each as
 * "id: SEQ\nevent: TYPE\ndata: JSON\n\n" (JSON: the feed's item on one
 * line), with a comment ": heartbeat" after EVENTS_STREAM_HEARTBEAT_MS of
 * quiet.  The route decides everything a client can be told (filters,
 * authorisation, the limits below) and answers 200 with this content type
 * and the stream's start as its JSON body (events_stream_start); http_stream.c,
 * seeing that content type, sends the stream instead of the body.
 */
#define EVENTS_STREAM_TYPE "text/event-stream"

/*
 * Limits.  A token holds at most EVENTS_STREAM_PER_TOKEN streams (a
 * dashboard in a few tabs and grantctl --follow fit); the daemon at most
 * EVENTS_STREAM_MAX, and never more than half of server.max_connections,
 * so that streams cannot take the slots requests need.  A stream holds at
 * most EVENTS_STREAM_BUFFER bytes not yet taken by the connection (one
 * event larger than that alone): it reads EVENTS_STREAM_PAGE events at a
 * time and only when its bytes are gone, so a slow reader lags behind in
 * the database, never in memory.  A refusal asks the client to come back
 * after EVENTS_STREAM_RETRY_S, the heartbeat by which a stream whose client
 * vanished without a word is noticed and closed.
 */
#define EVENTS_STREAM_PER_TOKEN 8
#define EVENTS_STREAM_MAX 256
#define EVENTS_STREAM_BUFFER (1024 * 1024)
#define EVENTS_STREAM_PAGE 100
#define EVENTS_STREAM_HEARTBEAT_MS 15000
#define EVENTS_STREAM_RETRY_S 15

/*
 * How often the streams look for newly committed events (they also look
 * after every commit of this process): events written by another process
 * are seen within this.
 */
#define EVENTS_STREAM_TICK_MS 250

/*
 * The tests' heartbeat: the environment variable GRANTD_SSE_HEARTBEAT_MS
 * (10 to 15000), read when the loop starts, shortens it; nothing else
 * reads it.
 */
#define EVENTS_STREAM_HEARTBEAT_ENV "GRANTD_SSE_HEARTBEAT_MS"

/* What events_stream_read returns besides a count of bytes. */
#define EVENTS_STREAM_END (-1)		/* ended cleanly (stopping, token ended) */
#define EVENTS_STREAM_GONE (-2)		/* the client left, or a read failed: close */

/*
 * The streams of one daemon, app->streams: owned by the loop (loop.c)
 * between events_streams_start and events_streams_close, which frees it in
 * its timer's close callback.  Each stream is owned by its HTTP request
 * (http.c), from events_stream_open to events_stream_close.
 */
struct event_streams;
struct event_stream;

int events_streams_start(struct app *app, uv_loop_t *loop);
/* SIGTERM: every stream ends (its last bytes, then the end), and new ones are refused. */
void events_streams_stop(struct app *app);
/* After http_close (no stream is left open): closes the timer. */
void events_streams_close(struct app *app);
/*
 * Looks for newly committed events and wakes the streams that have some to
 * send; true when it woke one (the caller runs libmicrohttpd: http_kick).
 */
bool events_streams_check(struct app *app);

/*
 * Whether token_id may open one more stream: 0; GD_ECAPACITY with a
 * detail in err when it holds EVENTS_STREAM_PER_TOKEN or the daemon its
 * maximum; GD_ESTATE when streams are not served (stopping).
 */
int events_stream_admit(struct app *app, const char *token_id, char *err, size_t errlen);

/*
 * The start of a stream, as a route answers it: the events after `after`,
 * of type (NULL: any), about team (NULL: any), own as in events_page.  A
 * new reference, NULL when out of memory.
 */
json_t *events_stream_start(int64_t after, const char *type, const char *team, bool own);

/*
 * Opens a stream from a route's start for the token token_id whose
 * Authorization header is auth (its secret is kept, to find the token
 * revoked or expired at each heartbeat and before each page).  fd is the
 * client's socket, watched for the client leaving while nothing is sent.
 * wake(arg) is called (never from inside events_stream_read) when a stream
 * that read 0 has bytes or its end to give.  0 or GD_ENOMEM.
 */
int events_stream_open(struct app *app, const json_t *start, const char *token_id,
    const char *auth, int fd, void (*wake)(void *), void *arg, struct event_stream **out);

/*
 * Up to max bytes of the stream into buf: their number; 0 when there is
 * nothing now (wake comes when there is); EVENTS_STREAM_END or
 * EVENTS_STREAM_GONE.
 */
ssize_t events_stream_read(struct event_stream *s, char *buf, size_t max);

/* The request is over: the stream is forgotten and freed.  NULL is fine. */
void events_stream_close(struct event_stream *s);

#endif
