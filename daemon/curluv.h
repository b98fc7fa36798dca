/* curluv.h: libcurl's multi interface driven by a libuv loop (webhook deliveries, grantd-agent). */
#ifndef GRANTD_CURLUV_H
#define GRANTD_CURLUV_H

#include <curl/curl.h>
#include <uv.h>

/*
 * curl tells which sockets to watch and when to wake it; the loop watches
 * them with a uv_poll_t each and one timer, and hands every event back to
 * curl.  After each, progress(arg) runs, for the owner to read what ended
 * (curl_multi_info_read on multi): a transfer never blocks the loop.
 */
struct curluv {
	uv_loop_t *loop;
	CURLM *multi;
	uv_timer_t timer;
	void (*progress)(void *arg);
	void *arg;
};

/* 0, or -1 when curl or the loop cannot make the handles. */
int curluv_init(struct curluv *c, uv_loop_t *loop, void (*progress)(void *arg), void *arg);

/*
 * Cleans the multi handle up (its easy handles removed by the owner first)
 * and closes the timer; closed runs with the timer's data set to data.
 */
void curluv_close(struct curluv *c, void *data, uv_close_cb closed);

#endif
