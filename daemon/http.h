/* http.h: libmicrohttpd in external epoll mode, driven by the libuv loop. */
#ifndef GRANTD_HTTP_H
#define GRANTD_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct app;

/*
 * Starts listening, HTTPS when [tls] is set (its certificate and key are read
 * here); writes the bound "ADDR:PORT" (port 0 resolved) to bound.  Refuses
 * plain HTTP beyond loopback unless server.allow_plain_http.
 */
int http_start(struct app *app, uv_loop_t *loop, const char *host, uint16_t port,
    char *bound, size_t boundlen, char *err, size_t errlen);

/* Stops accepting new connections; requests in flight go on. */
void http_quiesce(struct app *app);

/* Requests begun and not yet completed. */
int http_inflight(const struct app *app);

/* Runs libmicrohttpd now (after resumes) and re-arms its timer. */
void http_kick(struct app *app);

/* Closes the loop handles, then stops the daemon; frees in the close callback. */
void http_close(struct app *app);

/*
 * Applies run-time limits from app->cfg that libmicrohttpd lets us change,
 * and reads [tls]'s certificate and key again: new handshakes take them,
 * open connections keep theirs, and files that fail keep the old ones.
 */
void http_reload(struct app *app);

#endif
