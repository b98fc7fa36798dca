/* curluv.c: libcurl's socket and timer callbacks on a libuv loop. */
#include <stdlib.h>

#include "curluv.h"

struct curluv_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct curluv *c;
};

static void
sock_closed(uv_handle_t *h)
{
	free(h->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct curluv_sock *s = p->data;
	int running, flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(s->c->multi, s->fd, flags, &running);
	s->c->progress(s->c->arg);
}

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct curluv *c = userp;
	struct curluv_sock *s = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, sock_closed);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->fd = fd;
		s->c = c;
		if (uv_poll_init_socket(c->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		curl_multi_assign(c->multi, fd, s);
	}
	if (what != CURL_POLL_IN)
		events |= UV_WRITABLE;
	if (what != CURL_POLL_OUT)
		events |= UV_READABLE;
	uv_poll_start(&s->poll, events, on_poll);
	return 0;
}

static void
on_timer(uv_timer_t *t)
{
	struct curluv *c = t->data;
	int running;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	c->progress(c->arg);
}

static int
on_timeout(CURLM *multi, long ms, void *userp)
{
	struct curluv *c = userp;

	(void)multi;
	if (ms < 0)
		uv_timer_stop(&c->timer);
	else
		uv_timer_start(&c->timer, on_timer, ms == 0 ? 1 : (uint64_t)ms, 0);
	return 0;
}

int
curluv_init(struct curluv *c, uv_loop_t *loop, void (*progress)(void *arg), void *arg)
{
	c->loop = loop;
	c->progress = progress;
	c->arg = arg;
	if ((c->multi = curl_multi_init()) == NULL)
		return -1;
	if (uv_timer_init(loop, &c->timer) != 0) {
		curl_multi_cleanup(c->multi);
		c->multi = NULL;
		return -1;
	}
	c->timer.data = c;
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timeout);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	return 0;
}

void
curluv_close(struct curluv *c, void *data, uv_close_cb closed)
{
	if (c->multi != NULL) {
		curl_multi_cleanup(c->multi);
		c->multi = NULL;
	}
	uv_timer_stop(&c->timer);
	c->timer.data = data;
	uv_close((uv_handle_t *)&c->timer, closed);
}
