/* hookrecv.c: a webhook receiver for tests (hookrecv.h). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hookrecv.h"

/* The value of header `name` in a request's head, into out ("" when absent). */
static const char *
hdr(const char *req, const char *name, char *out, size_t len)
{
	const char *p = req;
	size_t nl = strlen(name);

	out[0] = '\0';
	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(out, len, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
			return out;
		}
	}
	return NULL;
}

bool
hook_sig_ok(const char *secret, const char *sig, const char *body, size_t len)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char hex[2 * sizeof(mac) + 1], ts[32];
	const char *v1 = strstr(sig, ",v1=");

	if (strncmp(sig, "t=", 2) != 0 || v1 == NULL || (size_t)(v1 - sig - 2) >= sizeof(ts) - 1)
		return false;
	snprintf(ts, sizeof(ts), "%.*s.", (int)(v1 - sig - 2), sig + 2);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	return strcmp(hex, v1 + 4) == 0;
}

/* Reads one request whole (head and Content-Length of body), asks fn, answers. */
static void
serve(struct hookrecv *r, int c)
{
	char buf[65536], sig[256], id[64], type[64], cl[32], path[32] = "", reply[128];
	struct hook_req rq;
	size_t n = 0;
	ssize_t k;
	char *end = NULL;
	int status;

	while (n < sizeof(buf) - 1 && (k = read(c, buf + n, sizeof(buf) - 1 - n)) > 0) {
		n += (size_t)k;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL &&
		    (long)(n - (size_t)(end + 4 - buf)) >= (hdr(buf, "Content-Length", cl,
		    sizeof(cl)) ? atol(cl) : 0))
			break;
	}
	if (end == NULL)
		return;
	sscanf(buf, "POST %31s", path);
	hdr(buf, "Grantd-Signature", sig, sizeof(sig));
	hdr(buf, "Grantd-Event-Id", id, sizeof(id));
	hdr(buf, "Grantd-Event-Type", type, sizeof(type));
	rq = (struct hook_req){ path, sig, id, type, end + 4, strlen(end + 4) };
	if ((status = r->fn(&rq, r->arg)) == 0) {
		__atomic_store_n(&r->hanging, true, __ATOMIC_SEQ_CST);
		usleep((useconds_t)r->hang_ms * 1000);
		__atomic_store_n(&r->hanging, false, __ATOMIC_SEQ_CST);
		return;
	}
	snprintf(reply, sizeof(reply), "HTTP/1.1 %d X\r\nContent-Length: 0\r\n"
	    "Connection: close\r\n\r\n", status);
	if (write(c, reply, strlen(reply)) < 0)
		return;
}

static void *
receiver_main(void *arg)
{
	struct hookrecv *r = arg;

	for (;;) {
		struct pollfd p = { .fd = r->fd, .events = POLLIN };
		int c;

		if (poll(&p, 1, 100) <= 0) {
			if (__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST))
				return NULL;
			continue;
		}
		if ((c = accept(r->fd, NULL, NULL)) < 0)
			continue;
		serve(r, c);
		close(c);
	}
}

void
hookrecv_start(struct hookrecv *r, hook_fn *fn, void *arg, int hang_ms)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);

	ck_assert_int_ge(sodium_init(), 0);
	*r = (struct hookrecv){ .fn = fn, .arg = arg, .hang_ms = hang_ms };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(r->fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(r->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(r->fd, 64), 0);
	ck_assert_int_eq(getsockname(r->fd, (struct sockaddr *)&a, &al), 0);
	r->port = ntohs(a.sin_port);
	ck_assert_int_eq(pthread_create(&r->th, NULL, receiver_main, r), 0);
}

void
hookrecv_stop(struct hookrecv *r)
{
	__atomic_store_n(&r->stop, true, __ATOMIC_SEQ_CST);
	pthread_join(r->th, NULL);
	close(r->fd);
}

bool
hookrecv_hanging(struct hookrecv *r)
{
	return __atomic_load_n(&r->hanging, __ATOMIC_SEQ_CST);
}
