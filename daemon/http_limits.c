/* http_limits.c: the slow-client bounds: per-address limit, request deadlines, room kept free. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "app.h"
#include "http_internal.h"
#include "log.h"
#include "metrics.h"

/*
 * Slow clients.  libmicrohttpd 0.9.75 has only an idle timeout, which a
 * client resets with every byte: one that sends a header line every few
 * seconds holds its connection for ever, and a few hundred such hold every
 * slot.  So grantd keeps its own list of the connections whose request is
 * not yet all read, oldest first, and
 *   - closes each one whose request (headers and body) has not arrived
 *     within server.request_timeout_s of its start (the accept, or the end
 *     of the previous request on a kept-alive connection);
 *   - when a new connection arrives with the table 7/8 full, closes the
 *     oldest of them at once, so a slot stays free for a prompt client
 *     such as a health check.
 * A request that is all read (being handled, or waiting for its commit)
 * is never cut: its slowness is ours.  Closing is shutdown(2) on the
 * socket, which MHD still owns: at its next run it reads the end of file
 * and closes the connection through its usual path.
 * One address may hold server.max_connections_per_ip connections: past
 * that, its own oldest unfinished connection is closed for the new one (or
 * the new one, when all of its others are being answered), so an address
 * cannot take the table from others, nor its slow clients from its prompt
 * ones.  (MHD_OPTION_PER_IP_CONNECTION_LIMIT would refuse the new one.)
 */

/* FNV-1a over the address bytes. */
static size_t
peer_hash(const unsigned char *a, size_t len)
{
	uint32_t x = 2166136261u;

	for (size_t i = 0; i < len; i++)
		x = (x ^ a[i]) * 16777619u;
	return x;
}

/* The entry of sa's address, made if new; NULL for another family or no memory. */
static struct peer *
peer_get(struct http *h, const struct sockaddr *sa)
{
	const unsigned char *a;
	struct peer **b, *p;
	size_t len;

	if (h->peers == NULL || sa == NULL)
		return NULL;
	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)&((const struct sockaddr_in *)sa)->sin_addr;
		len = 4;
	} else if (sa->sa_family == AF_INET6) {
		a = (const unsigned char *)&((const struct sockaddr_in6 *)sa)->sin6_addr;
		len = 16;
	} else {
		return NULL;
	}
	b = &h->peers[peer_hash(a, len) & (h->npeers - 1)];
	for (p = *b; p; p = p->next)
		if (p->len == len && memcmp(p->addr, a, len) == 0)
			return p;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->len = len;
	memcpy(p->addr, a, len);
	p->next = *b;
	*b = p;
	return p;
}

static void
peer_drop(struct http *h, struct peer *p)
{
	struct peer **b = &h->peers[peer_hash(p->addr, p->len) & (h->npeers - 1)];

	if (--p->n > 0)
		return;
	while (*b != p)
		b = &(*b)->next;
	*b = p->next;
	free(p);
}

static void
conn_unlist(struct http *h, struct conn *k)
{
	if (!k->listed)
		return;
	if (k->prev)
		k->prev->next = k->next;
	else
		h->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		h->tail = k->prev;
	k->prev = k->next = NULL;
	k->listed = false;
}

static void on_deadline(uv_timer_t *t);

static void
arm_deadline(struct http *h)
{
	uint64_t due, now;

	if (h->closing)
		return;
	if (h->head == NULL) {
		uv_timer_stop(&h->deadline);
		return;
	}
	now = uv_now(h->deadline.loop);
	due = h->head->since + (uint64_t)h->app->cfg.server.request_timeout_s * 1000;
	uv_timer_start(&h->deadline, on_deadline, due > now ? due - now : 0, 0);
}

/* The clock of k's next request starts now; it goes to the back of the list. */
void
http_conn_list(struct http *h, struct conn *k)
{
	if (k->cut)
		return;
	conn_unlist(h, k);
	k->since = uv_now(h->deadline.loop);
	k->prev = h->tail;
	if (h->tail)
		h->tail->next = k;
	else
		h->head = k;
	h->tail = k;
	k->listed = true;
	if (!uv_is_active((uv_handle_t *)&h->deadline))
		arm_deadline(h);
}

static void
conn_cut(struct http *h, struct conn *k, enum metrics_cut why)
{
	uint64_t now = uv_now(h->deadline.loop);

	conn_unlist(h, k);
	k->cut = true;
	if (k->peer)
		k->peer->live--;
	(void)shutdown(k->fd, SHUT_RDWR);
	metrics_cut(&h->app->metrics, why);
	h->ncut[why == METRICS_CUT_DEADLINE ? 0 : 1]++;
	/* An attack is worth a line, not a line per connection: one a minute at most. */
	if (now - h->cut_noticed >= 60000) {
		log_notice("slow clients: %u connection(s) closed for sending no complete "
		    "request in %d s, %u to make room for new ones (since the last such line)",
		    h->ncut[0], h->app->cfg.server.request_timeout_s, h->ncut[1]);
		h->ncut[0] = h->ncut[1] = 0;
		h->cut_noticed = now;
	}
}

struct conn *
http_conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

static void
on_deadline(uv_timer_t *t)
{
	struct http *h = t->data;
	uint64_t ms = (uint64_t)h->app->cfg.server.request_timeout_s * 1000;
	uint64_t now = uv_now(t->loop);
	unsigned n = 0;

	while (h->head && h->head->since + ms <= now) {
		conn_cut(h, h->head, METRICS_CUT_DEADLINE);
		n++;
	}
	arm_deadline(h);
	/* MHD sees the end of file at once, not at its next unrelated event. */
	if (n > 0)
		http_run(h);
}

void
http_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct http *h = cls;
	struct conn *k = *socket_context, *old;
	unsigned max = (unsigned)h->app->cfg.server.max_connections;
	unsigned per = (unsigned)h->app->cfg.server.max_connections_per_ip;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		if (k == NULL)
			return;
		conn_unlist(h, k);
		if (k->peer) {
			if (!k->cut)
				k->peer->live--;
			peer_drop(h, k->peer);
		}
		/* libmicrohttpd has already ended the session (gnutls_deinit). */
		tls_hold_end(&k->tls);
		free(k);
		*socket_context = NULL;
		h->nconn--;
		return;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		/* Untracked, it could hold its slot for ever: refuse it instead. */
		(void)shutdown(ci->connect_fd, SHUT_RDWR);
		return;
	}
	k->fd = ci->connect_fd;
	*socket_context = k;
	h->nconn++;
	if (h->tls && http_tls_begin(h, c, k) < 0)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if ((k->peer = peer_get(h, ci ? ci->client_addr : NULL)) != NULL) {
		k->peer->n++;
		k->peer->live++;
	}
	http_conn_list(h, k);
	if (per > 0 && k->peer && k->peer->live > per) {
		for (old = h->head; old && old->peer != k->peer; old = old->next)
			;
		/* Its oldest unfinished one, or, if none is older, the new one. */
		conn_cut(h, old, METRICS_CUT_ADDRESS);
		if (old == k)
			return;
	}
	/* The magic 7/8 leaves room for a burst of prompt clients in one run. */
	if (h->nconn > max - (max / 8 > 0 ? max / 8 : 1) && h->head != k)
		conn_cut(h, h->head, METRICS_CUT_SHED);
}

/* The request on c is all read: its deadline no longer applies. */
void
http_conn_read(struct http *h, struct MHD_Connection *c)
{
	struct conn *k = http_conn_of(c);

	if (k)
		conn_unlist(h, k);
}
