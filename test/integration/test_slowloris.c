/* test_slowloris.c: clients that trickle their requests (headers or body) cannot starve prompt ones. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * grantd runs with 128 connection slots, 48 per address, a 2-second
 * request deadline and a 30-second idle timeout: a client that sends a
 * header line every quarter of a second is never idle, so only the
 * deadline can close it.  The attackers connect from 127.0.0.10 and up
 * (all of 127/8 is loopback), the prompt clients from 127.0.0.1.
 */
#define MAXCONN 128
#define PER_IP 48
#define DEADLINE_S 2
#define NSLOW 300
#define NADDR 10		/* NSLOW / NADDR = 30 per address, under PER_IP */
#define DRIBBLE_MS 250
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static const char conf[] =
    "[server]\nmax_connections = 128\nmax_connections_per_ip = 48\nrequest_timeout_s = 2\n"
    "idle_timeout_s = 30\n";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
port_of(const struct harness *h)
{
	const char *c = strrchr(h->base, ':');

	ck_assert_ptr_nonnull(c);
	return atoi(c + 1);
}

/* A blocking connect from 127.0.0.<last> to grantd; the socket is then non-blocking. */
static int
dial_from(const struct harness *h, int last)
{
	struct sockaddr_in src = { 0 }, dst = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)last);
	ck_assert_msg(bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0, "bind 127.0.0.%d: %s",
	    last, strerror(errno));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port_of(h));
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_msg(connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == 0, "connect: %s",
	    strerror(errno));
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	return fd;
}

/* One slow client: when it connected, when grantd closed it, whether it got any answer. */
struct slow {
	int fd;
	double opened, closed;	/* closed 0: still open */
	bool answered;
};

/* Whether grantd has closed s (end of file or reset); notes any byte of an answer. */
static bool
gone(struct slow *s)
{
	char buf[256];
	ssize_t n;

	if (s->closed > 0)
		return true;
	n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0)
		s->answered = true;
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		s->closed = now_s();
		return true;
	}
	return false;
}

/* One more header line from every slow client still connected; returns how many are. */
static int
dribble(struct slow *s, size_t n)
{
	static const char line[] = "X-Trickle: a\r\n";
	int open = 0;

	for (size_t i = 0; i < n; i++) {
		if (gone(&s[i]))
			continue;
		if (send(s[i].fd, line, sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
		    errno != EAGAIN && errno != EWOULDBLOCK) {
			s[i].closed = now_s();
			continue;
		}
		open++;
	}
	return open;
}

static void
begin(struct slow *s, const struct harness *h, int last)
{
	static const char start[] = "GET /v1/teams HTTP/1.1\r\nHost: x\r\n";

	s->fd = dial_from(h, last);
	s->opened = now_s();
	s->closed = 0;
	s->answered = false;
	/* One refused at once may be reset before this: gone() sees it. */
	(void)send(s->fd, start, sizeof(start) - 1, MSG_NOSIGNAL);
}

/* A request from 127.0.0.1 that must be answered with want within a second. */
static void
prompt(struct harness *h, const char *method, const char *path, const char *token,
    const char *body, long want)
{
	double t0 = now_s(), took;
	struct hresp r = h_req(h, method, path, token, body, NULL);

	took = now_s() - t0;
	ck_assert_msg(r.status == want, "%s %s under attack: %ld, want %ld: %s", method, path,
	    r.status, want, r.body);
	ck_assert_msg(took < 1.0, "%s %s under attack took %.2f s", method, path, took);
	hresp_free(&r);
}

/* Reads one response from fd (blocking up to 3 s); returns its status, 0 when none. */
static long
read_reply(int fd)
{
	char buf[8192];
	size_t len = 0;
	double t0 = now_s();
	const char *end, *cl;
	long status = 0;

	while (len < sizeof(buf) - 1 && now_s() - t0 < 3) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		if ((n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "\r\nContent-Length: ");
		if (cl == NULL || (size_t)(end + 4 - buf) + strtoul(cl + 18, NULL, 10) <= len)
			break;
	}
	buf[len] = '\0';
	sscanf(buf, "HTTP/1.1 %ld", &status);
	return status;
}

static long
metric(const char *text, const char *series)
{
	const char *p = strstr(text, series);

	ck_assert_msg(p != NULL, "no %s in /metrics", series);
	return strtol(p + strlen(series), NULL, 10);
}

START_TEST(per_address_limit)
{
	static const char req[] = "GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct harness h;
	struct slow s[PER_IP + 12];
	struct hresp r;
	int closed = 0, fd;

	h_init(&h, conf);
	h.real_clock = true;
	h_start(&h);
	/* 60 tricklers from one address: the 12 oldest make room for the 12 last. */
	for (size_t i = 0; i < NELEMS(s); i++)
		begin(&s[i], &h, 9);
	usleep(300000);
	for (size_t i = 0; i < NELEMS(s); i++) {
		closed += gone(&s[i]);
		ck_assert_msg(gone(&s[i]) == (i < NELEMS(s) - PER_IP), "trickler %zu of %zu from "
		    "one address is %s", i, NELEMS(s), gone(&s[i]) ? "closed" : "open");
	}
	ck_assert_int_eq(closed, (int)NELEMS(s) - PER_IP);
	/* Another address is not held back by that one... */
	prompt(&h, "GET", "/v1/health", NULL, NULL, 200);
	/* ...nor a prompt client from the same address. */
	fd = dial_from(&h, 9);
	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(req) - 1));
	ck_assert_int_eq(read_reply(fd), 200);
	close(fd);
	for (size_t i = 0; i < NELEMS(s); i++)
		close(s[i].fd);
	r = h_get(&h, NULL, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(metric(r.body, "grantd_http_slow_connections_closed_total"
	    "{reason=\"address_limit\"} "), (long)NELEMS(s) - PER_IP + 1);
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

START_TEST(trickling_clients)
{
	static struct slow s[NSLOW];
	struct harness h;
	struct hresp r;
	double t0, last_open = 0;
	int lived = 0, open;

	h_init(&h, conf);
	h.real_clock = true;
	h_start(&h);

	/* 300 clients trickling headers: more than the 128 slots. */
	for (size_t i = 0; i < NSLOW; i++)
		begin(&s[i], &h, 10 + (int)(i % NADDR));
	last_open = now_s();
	usleep(DRIBBLE_MS * 1000);
	dribble(s, NSLOW);

	/* Prompt clients are served at once, reads and a write alike. */
	prompt(&h, "GET", "/v1/health", NULL, NULL, 200);
	prompt(&h, "GET", "/v1/teams", h.admin, NULL, 200);
	prompt(&h, "POST", "/v1/teams", h.admin,
	    "{\"id\":\"prompt\",\"name\":\"Prompt\",\"lead_org\":\"Org\"}", 201);

	/* Every trickler is closed by its deadline, however steadily it sends. */
	t0 = now_s();
	do {
		usleep(DRIBBLE_MS * 1000);
		open = dribble(s, NSLOW);
	} while (open > 0 && now_s() - last_open < DEADLINE_S + 3);
	ck_assert_msg(open == 0, "%d trickling clients still connected %.1f s after the last "
	    "connected (deadline %d s)", open, now_s() - last_open, DEADLINE_S);
	for (size_t i = 0; i < NSLOW; i++) {
		ck_assert_msg(!s[i].answered, "trickler %zu got an answer", i);
		ck_assert_msg(s[i].closed - s[i].opened < DEADLINE_S + 2.0, "trickler %zu closed "
		    "after %.1f s (deadline %d s)", i, s[i].closed - s[i].opened, DEADLINE_S);
		/* Those not shed to make room lived to their deadline, not less. */
		if (s[i].closed - s[i].opened >= DEADLINE_S - 0.3)
			lived++;
		close(s[i].fd);
	}
	ck_assert_msg(lived >= 50, "only %d tricklers lasted to the deadline", lived);
	(void)t0;

	r = h_get(&h, NULL, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_ge(metric(r.body, "grantd_http_slow_connections_closed_total"
	    "{reason=\"deadline\"} "), lived);
	ck_assert_int_gt(metric(r.body, "grantd_http_slow_connections_closed_total"
	    "{reason=\"shed\"} "), 0);
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

START_TEST(prompt_enough_clients)
{
	static const char req[] = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";
	struct harness h;
	struct slow k;
	int fd;

	h_init(&h, conf);
	h.real_clock = true;
	h_start(&h);

	/* A slow request that is all in within the deadline is served. */
	fd = dial_from(&h, 1);
	for (size_t i = 0; i < 3; i++) {
		size_t part = (sizeof(req) - 1) / 3, len = i < 2 ? part : sizeof(req) - 1 - 2 * part;

		ck_assert_int_eq(send(fd, req + i * part, len, MSG_NOSIGNAL), (ssize_t)len);
		usleep(400000);
	}
	ck_assert_int_eq(read_reply(fd), 200);

	/* Kept alive: the next request's clock starts at the previous reply. */
	usleep(1200000);
	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL), (ssize_t)(sizeof(req) - 1));
	ck_assert_int_eq(read_reply(fd), 200);

	/* And a kept-alive connection that sends nothing is closed at the deadline. */
	k.fd = fd;
	k.opened = now_s();
	k.closed = 0;
	k.answered = false;
	while (!gone(&k) && now_s() - k.opened < DEADLINE_S + 3)
		usleep(50000);
	ck_assert_msg(k.closed > 0 && k.closed - k.opened > DEADLINE_S - 0.5 &&
	    k.closed - k.opened < DEADLINE_S + 1.5, "idle kept-alive connection closed after "
	    "%.1f s (deadline %d s, idle timeout 30 s)", k.closed - k.opened, DEADLINE_S);
	close(fd);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * A body trickled one byte every 200 ms, from a client that sent its
 * headers at once: never idle, it is closed at the request deadline without
 * an answer and without the change, while prompt clients are served.
 */
START_TEST(trickled_body)
{
	static const char body[] = "{\"id\":\"trickled\",\"name\":\"Trickled\",\"lead_org\":\"Org\"}";
	struct harness h;
	struct slow k;
	struct hresp r;
	char head[512];
	size_t sent = 0;
	int n;

	h_init(&h, conf);
	h.real_clock = true;
	h_start(&h);
	n = snprintf(head, sizeof(head), "POST /v1/teams HTTP/1.1\r\nHost: x\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %zu\r\n\r\n", h.admin, sizeof(body) - 1);
	ck_assert(n > 0 && (size_t)n < sizeof(head));
	/* 20 bytes a second: the whole body would take 2.7 s, past the 2 s deadline. */
	ck_assert_int_gt((int)(sizeof(body) - 1) * 200, (DEADLINE_S + 1) * 1000);
	k.fd = dial_from(&h, 20);
	k.opened = now_s();
	k.closed = 0;
	k.answered = false;
	ck_assert_int_eq(send(k.fd, head, (size_t)n, MSG_NOSIGNAL), n);
	while (!gone(&k) && sent < sizeof(body) - 1 && now_s() - k.opened < DEADLINE_S + 3) {
		if (send(k.fd, body + sent, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
			sent++;
		/* Others are served while it trickles. */
		if (sent == 3) {
			prompt(&h, "GET", "/v1/health", NULL, NULL, 200);
			prompt(&h, "POST", "/v1/teams", h.admin,
			    "{\"id\":\"prompt\",\"name\":\"Prompt\",\"lead_org\":\"Org\"}", 201);
		}
		usleep(200000);
	}
	ck_assert_msg(k.closed > 0, "a trickled body still connected after %.1f s, %zu of %zu "
	    "bytes sent (deadline %d s)", now_s() - k.opened, sent, sizeof(body) - 1, DEADLINE_S);
	ck_assert_msg(k.closed - k.opened > DEADLINE_S - 0.5 && k.closed - k.opened <
	    DEADLINE_S + 1.5, "a trickled body closed after %.1f s (deadline %d s)",
	    k.closed - k.opened, DEADLINE_S);
	ck_assert_msg(sent < sizeof(body) - 1, "the whole body went in before the deadline");
	ck_assert_msg(!k.answered, "a trickled body got an answer");
	close(k.fd);
	prompt(&h, "GET", "/v1/teams/trickled", h.admin, NULL, 404);
	prompt(&h, "GET", "/v1/teams/prompt", h.admin, NULL, 200);
	r = h_get(&h, NULL, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_ge(metric(r.body, "grantd_http_slow_connections_closed_total"
	    "{reason=\"deadline\"} "), 1);
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("slowloris");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, per_address_limit);
	tcase_add_test(tc, trickling_clients);
	tcase_add_test(tc, prompt_enough_clients);
	tcase_add_test(tc, trickled_body);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
