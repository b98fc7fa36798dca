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
static void check_done(struct http *h);

/* curl has acted: the transfers that ended are answered. */
static void
on_progress(void *arg)
{
	check_done(arg);
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
	return curluv_init(&h->cu, loop, on_progress, h);
}

static void
call_free(struct http_call *c)
{
	if (c->easy != NULL) {
		curl_multi_remove_handle(c->h->cu.multi, c->easy);
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

	while ((msg = curl_multi_info_read(h->cu.multi, &left)) != NULL) {
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

	if (h->cu.multi == NULL || (c = calloc(1, sizeof(*c))) == NULL)
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
	if (curl_multi_add_handle(h->cu.multi, c->easy) != CURLM_OK) {
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

	if (h->cu.multi == NULL)
		return;
	while ((c = h->calls) != NULL) {
		h->calls = c->next;
		call_free(c);
	}
	curluv_close(&h->cu, NULL, NULL);
}
