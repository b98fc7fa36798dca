/* http_stream.c: an event stream's reply as a callback response of libmicrohttpd. */
#include <microhttpd.h>
#include <string.h>

#include "app.h"
#include "events_stream.h"
#include "http_internal.h"

/*
 * Event streams.  The route answers 200 with the stream's start
 * (events_stream.h); here that reply becomes a callback response of
 * unknown length (chunked) whose reader takes the stream's bytes.  When it
 * has none the connection is suspended, so libmicrohttpd neither polls the
 * reader in a loop nor times the connection out (it restarts the idle
 * clock on resume); the stream's tick resumes it when there is news, a
 * heartbeat or an end.  Reads and suspends happen only inside the reader,
 * as libmicrohttpd 0.9.75 requires.  The stream belongs to the request and
 * is closed in http.c's on_completed, after which the reader is never called.
 */

/* The most bytes one call of the reader hands over; the connection's memory bounds it too. */
#define STREAM_BLOCK 16384

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct query *q = cls;
	ssize_t n = events_stream_read(q->stream, buf, max);

	(void)pos;
	if (n == 0) {
		MHD_suspend_connection(q->c);
		return 0;
	}
	if (n == EVENTS_STREAM_END)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n == EVENTS_STREAM_GONE)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	return n;
}

static void
stream_wake(void *arg)
{
	struct query *q = arg;

	MHD_resume_connection(q->c);
}

bool
http_is_stream(const struct response *rs)
{
	return rs->status == 200 && rs->json != NULL && rs->content_type != NULL &&
	    strcmp(rs->content_type, EVENTS_STREAM_TYPE) == 0;
}

/* A stream that cannot start (no memory) closes the connection: it has no other answer. */
enum MHD_Result
http_send_stream(struct query *q, const struct principal *who, const char *auth)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(q->c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (ci == NULL || events_stream_open(q->h->app, q->rs.json, who->id, auth,
	    ci->connect_fd, stream_wake, q, &q->stream) < 0)
		return MHD_NO;
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_read, q,
	    NULL);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, EVENTS_STREAM_TYPE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Request-Id", q->rid);
	/* nginx, the usual proxy in front of an agency's server, would hold the events back. */
	MHD_add_response_header(r, "X-Accel-Buffering", "no");
	/* The route's 200: the stream's status is its reply's. */
	q->status = q->rs.status;
	ret = MHD_queue_response(q->c, (unsigned)q->rs.status, r);
	MHD_destroy_response(r);
	return ret;
}
