/* http.c: requests to grantd through libcurl's multi interface, driven by the libuv loop. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* grantd's answers are small JSON documents; anything larger is not grantd. */
#define REPLY_MAX	(64 * 1024)

/* One request in flight; owned by the http client until its callback returns. */
struct http_call {
	struct http *h;
	CURL *easy;
	struct curl_slist *hdrs;
	char *body;
	char *reply;
	size_t len;
	http_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
	struct http_call *next;
};

/* A socket curl asked us to watch. */
struct http_sock {
	uv_poll_t poll;
	curl_socket_t fd;
	struct http *h;
};

static void check_done(struct http *h);

static void
sock_closed(uv_handle_t *hd)
{
	free(hd->data);
}

static void
on_poll(uv_poll_t *p, int status, int events)
{
	struct http_sock *s = p->data;
	int running, flags = 0;

	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	curl_multi_socket_action(s->h->multi, s->fd, flags, &running);
	check_done(s->h);
}

static int
on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct http *h = userp;
	struct http_sock *s = socketp;
	int events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			uv_poll_stop(&s->poll);
			uv_close((uv_handle_t *)&s->poll, sock_closed);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	if (s == NULL) {
		if ((s = calloc(1, sizeof(*s))) == NULL)
			return -1;
		s->fd = fd;
		s->h = h;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		curl_multi_assign(h->multi, fd, s);
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
	struct http *h = t->data;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int
on_timeout(CURLM *multi, long ms, void *userp)
{
	struct http *h = userp;

	(void)multi;
	if (ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, on_timer, ms == 0 ? 1 : (uint64_t)ms, 0);
	return 0;
}

static size_t
on_data(char *p, size_t sz, size_t n, void *arg)
{
	struct http_call *c = arg;
	size_t add = sz * n;
	char *np;

	if (c->len + add > REPLY_MAX)
		return 0;	/* curl fails the transfer: CURLE_WRITE_ERROR */
	if ((np = realloc(c->reply, c->len + add + 1)) == NULL)
		return 0;
	memcpy(np + c->len, p, add);
	c->len += add;
	np[c->len] = '\0';
	c->reply = np;
	return add;
}

int
http_init(struct http *h, uv_loop_t *loop)
{
	memset(h, 0, sizeof(*h));
	h->loop = loop;
	if ((h->multi = curl_multi_init()) == NULL)
		return -1;
	if (uv_timer_init(loop, &h->timer) != 0) {
		curl_multi_cleanup(h->multi);
		h->multi = NULL;
		return -1;
	}
	h->timer.data = h;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_timeout);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return 0;
}

static void
call_free(struct http_call *c)
{
	if (c->easy != NULL) {
		curl_multi_remove_handle(c->h->multi, c->easy);
		curl_easy_cleanup(c->easy);
	}
	curl_slist_free_all(c->hdrs);
	free(c->body);
	free(c->reply);
	free(c);
}

static void
unlink_call(struct http *h, struct http_call *c)
{
	for (struct http_call **pp = &h->calls; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			return;
		}
	}
}

static void
check_done(struct http *h)
{
	struct http_reply r;
	struct http_call *c;
	CURLMsg *msg;
	int left;
	curl_off_t ra = 0;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
		memset(&r, 0, sizeof(r));
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &r.status);
			if (curl_easy_getinfo(c->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK &&
			    ra > 0)
				r.retry_after = ra > 86400 ? 86400 : (long)ra;
		} else {
			snprintf(r.error, sizeof(r.error), "%s", c->errbuf[0] ? c->errbuf :
			    curl_easy_strerror(msg->data.result));
		}
		r.body = c->reply ? c->reply : "";
		r.len = c->len;
		unlink_call(h, c);
		c->cb(c->arg, &r);
		call_free(c);
	}
}

int
http_start(struct http *h, const struct http_req *rq, http_cb cb, void *arg)
{
	struct http_call *c;
	char auth[CONF_TOKEN_LEN + 32];
	struct curl_slist *l;

	if (h->multi == NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->h = h;
	c->cb = cb;
	c->arg = arg;
	if ((c->easy = curl_easy_init()) == NULL)
		goto bad;
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", rq->token);
	if ((l = curl_slist_append(NULL, auth)) == NULL)
		goto bad;
	c->hdrs = l;
	if ((l = curl_slist_append(c->hdrs, "Accept: application/json")) == NULL)
		goto bad;
	if (rq->body != NULL &&
	    (l = curl_slist_append(c->hdrs, "Content-Type: application/json")) == NULL)
		goto bad;
	/* No 100-continue round trip for a body of a few hundred bytes. */
	if ((l = curl_slist_append(c->hdrs, "Expect:")) == NULL)
		goto bad;
	curl_easy_setopt(c->easy, CURLOPT_URL, rq->url);
	curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->hdrs);
	curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
	curl_easy_setopt(c->easy, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c->easy, CURLOPT_TIMEOUT, (long)rq->timeout);
	curl_easy_setopt(c->easy, CURLOPT_CONNECTTIMEOUT, (long)(rq->timeout < 10 ?
	    rq->timeout : 10));
	curl_easy_setopt(c->easy, CURLOPT_USERAGENT, "grantd-agent");
	/* Only HTTP(S), no redirects: the token goes to the configured grantd alone. */
	curl_easy_setopt(c->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c->easy, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (rq->cacert != NULL && rq->cacert[0] != '\0')
		curl_easy_setopt(c->easy, CURLOPT_CAINFO, rq->cacert);
	if (rq->body != NULL) {
		if ((c->body = strdup(rq->body)) == NULL)
			goto bad;
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(c->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(c->body));
	}
	if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "POST") != 0)
		curl_easy_setopt(c->easy, CURLOPT_CUSTOMREQUEST, rq->method);
	c->next = h->calls;
	h->calls = c;
	if (curl_multi_add_handle(h->multi, c->easy) != CURLM_OK) {
		unlink_call(h, c);
		goto bad;
	}
	return 0;
bad:
	call_free(c);
	return -1;
}

bool
http_busy(const struct http *h)
{
	return h->calls != NULL;
}

/* Abandons what is in flight (no callbacks) and closes every handle. */
void
http_close(struct http *h)
{
	struct http_call *c;

	if (h->multi == NULL)
		return;
	while ((c = h->calls) != NULL) {
		h->calls = c->next;
		call_free(c);
	}
	curl_multi_cleanup(h->multi);
	h->multi = NULL;
	uv_timer_stop(&h->timer);
	uv_close((uv_handle_t *)&h->timer, NULL);
}
