/* metrics.c: the agent's own Prometheus metrics on a loopback port: a tiny HTTP/1.0 server. */
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* A scrape is one short GET; anything else is answered and closed. */
#define REQ_MAX		4096
#define CONNS_MAX	8
#define CONN_TIMEOUT_MS	5000

struct mconn {
	uv_tcp_t tcp;
	uv_timer_t timer;
	uv_write_t wr;
	struct metrics_server *srv;
	char req[REQ_MAX];
	size_t len;
	char *resp;
	int open;			/* handles not yet closed */
	bool answered;
	struct mconn *next;
};

static void
conn_closed(uv_handle_t *h)
{
	struct mconn *c = h->data;

	if (--c->open > 0)
		return;
	free(c->resp);
	free(c);
}

static void
conn_close(struct mconn *c)
{
	struct metrics_server *srv = c->srv;

	if (uv_is_closing((uv_handle_t *)&c->tcp))
		return;
	for (struct mconn **pp = &srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	srv->nconns--;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->tcp, conn_closed);
	uv_close((uv_handle_t *)&c->timer, conn_closed);
}

static void
on_written(uv_write_t *w, int status)
{
	(void)status;
	conn_close(w->data);
}

static void
answer(struct mconn *c, int status, const char *reason, const char *type, const char *body,
    size_t blen)
{
	uv_buf_t b;
	int n;

	c->answered = true;
	uv_read_stop((uv_stream_t *)&c->tcp);
	if ((c->resp = malloc(blen + 256)) == NULL) {
		conn_close(c);
		return;
	}
	n = snprintf(c->resp, 256, "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, reason, type, blen);
	memcpy(c->resp + n, body, blen);
	b = uv_buf_init(c->resp, (unsigned)(n + (int)blen));
	c->wr.data = c;
	if (uv_write(&c->wr, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0)
		conn_close(c);
}

static void
serve(struct mconn *c)
{
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;

	if (strncmp(c->req, "GET ", 4) != 0 && strncmp(c->req, "HEAD ", 5) != 0) {
		answer(c, 405, "Method Not Allowed", "text/plain", "GET /metrics\n", 13);
		return;
	}
	if (strncmp(c->req + (c->req[0] == 'G' ? 4 : 5), "/metrics ", 9) != 0) {
		answer(c, 404, "Not Found", "text/plain", "GET /metrics\n", 13);
		return;
	}
	if ((f = open_memstream(&text, &tlen)) == NULL) {
		answer(c, 500, "Internal Server Error", "text/plain", "out of memory\n", 14);
		return;
	}
	c->srv->render(c->srv->arg, f);
	if (fclose(f) != 0 || text == NULL) {
		free(text);
		answer(c, 500, "Internal Server Error", "text/plain", "out of memory\n", 14);
		return;
	}
	answer(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text, tlen);
	free(text);
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	struct mconn *c = h->data;

	(void)suggested;
	*b = uv_buf_init(c->req + c->len, (unsigned)(REQ_MAX - 1 - c->len));
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct mconn *c = s->data;

	(void)b;
	if (n < 0) {
		conn_close(c);
		return;
	}
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL)
		serve(c);
	else if (c->len >= REQ_MAX - 1)
		answer(c, 431, "Request Header Fields Too Large", "text/plain", "too large\n", 10);
}

static void
on_timeout(uv_timer_t *t)
{
	conn_close(t->data);
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct metrics_server *srv = server->data;
	struct mconn *c;

	if (status < 0 || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->srv = srv;
	uv_tcp_init(srv->loop, &c->tcp);
	uv_timer_init(srv->loop, &c->timer);
	c->tcp.data = c;
	c->timer.data = c;
	c->open = 2;
	c->next = srv->conns;
	srv->conns = c;
	srv->nconns++;
	/* Past the limit a connection is accepted only to be closed: slow clients wait in line. */
	if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || srv->nconns > CONNS_MAX) {
		conn_close(c);
		return;
	}
	uv_timer_start(&c->timer, on_timeout, CONN_TIMEOUT_MS, 0);
	if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0)
		conn_close(c);
}

int
metrics_listen(struct metrics_server *srv, uv_loop_t *loop, const char *host, int port,
    void (*render)(void *arg, FILE *f), void *arg, char *bound, size_t boundlen, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc;
	char ip[64];

	memset(srv, 0, sizeof(*srv));
	srv->loop = loop;
	srv->render = render;
	srv->arg = arg;
	if (strchr(host, ':') != NULL)
		rc = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&ss);
	else
		rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&ss);
	if (rc != 0) {
		snprintf(err, errlen, "metrics_listen: %s is not an IP address", host);
		return -1;
	}
	uv_tcp_init(loop, &srv->tcp);
	srv->tcp.data = srv;
	srv->active = true;
	if ((rc = uv_tcp_bind(&srv->tcp, (struct sockaddr *)&ss, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&srv->tcp, 16, on_connection)) != 0) {
		snprintf(err, errlen, "metrics_listen: cannot listen on %s:%d: %s", host, port,
		    uv_strerror(rc));
		metrics_close(srv);
		return -1;
	}
	uv_tcp_getsockname(&srv->tcp, (struct sockaddr *)&ss, &len);
	if (ss.ss_family == AF_INET6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof(ip));
		snprintf(bound, boundlen, "[%s]:%d", ip,
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port));
	} else {
		uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof(ip));
		snprintf(bound, boundlen, "%s:%d", ip, ntohs(((struct sockaddr_in *)&ss)->sin_port));
	}
	return 0;
}

void
metrics_close(struct metrics_server *srv)
{
	if (!srv->active)
		return;
	srv->active = false;
	while (srv->conns != NULL)
		conn_close(srv->conns);
	uv_close((uv_handle_t *)&srv->tcp, NULL);
}
