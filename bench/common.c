/* common.c: the benchmarks' harness: grantd on a fresh database, and an epoll HTTP client. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "common.h"

struct bench bench = {
	.name = "bench",
	.grantd_bin = "build/grantd",
	.dir_base = "build/bench-tmp",
	.die_status = 1,
	.die_signal = SIGTERM,
	.pid = -1,
};

void
bench_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", bench.name);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (bench.pid > 0)
		kill(bench.pid, bench.die_signal);
	exit(bench.die_status);
}

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void
bench_fmt_instant(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

int
bench_run_capture(char *const argv[], char *out, size_t len)
{
	int p[2], st;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < len && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void
bench_make_dir(void)
{
	mkdir(bench.dir_base, 0755);
	snprintf(bench.dir, sizeof(bench.dir), "%s/%s-XXXXXX", bench.dir_base, bench.name);
	if (mkdtemp(bench.dir) == NULL)
		bench_die("mkdtemp %s: %s", bench.dir, strerror(errno));
}

void
bench_start_grantd(int max_connections, const char *server_extra, const char *errfile)
{
	char *argv[] = { (char *)bench.grantd_bin, "token", "create", "--db", bench.db_path,
		"--role", "admin", "--name", "bench", NULL };
	char line[256];
	size_t len = 0;
	int p[2];
	FILE *f;

	snprintf(bench.db_path, sizeof(bench.db_path), "%s/grantd.db", bench.dir);
	snprintf(bench.conf_path, sizeof(bench.conf_path), "%s/grantd.conf", bench.dir);
	if ((f = fopen(bench.conf_path, "w")) == NULL)
		bench_die("%s: %s", bench.conf_path, strerror(errno));
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\nmax_connections = %d\n%s[storage]\n"
	    "database = %s\n[log]\nlevel = warning\naccess_log = false\n", max_connections,
	    server_extra ? server_extra : "", bench.db_path);
	fclose(f);
	if (bench_run_capture(argv, bench.admin, sizeof(bench.admin)) != 0 ||
	    bench.admin[0] == '\0')
		bench_die("%s failed", bench.grantd_bin);
	if (pipe(p) < 0 || (bench.pid = fork()) < 0)
		bench_die("fork: %s", strerror(errno));
	if (bench.pid == 0) {
		int fd = errfile ? open(errfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;

		dup2(p[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		close(p[0]);
		close(p[1]);
		execl(bench.grantd_bin, bench.grantd_bin, "-c", bench.conf_path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(line) - 1 && read(p[0], line + len, 1) == 1 && line[len] != '\n')
		len++;
	line[len] = '\0';
	if (sscanf(line, "listening on 127.0.0.1:%d", &bench.port) != 1)
		bench_die("grantd said '%s'%s%s%s", line, errfile ? " (see " : "",
		    errfile ? errfile : "", errfile ? ")" : "");
	/* Keep the pipe open: grantd's later stdout must not hit a closed pipe. */
}

int
bench_stop_grantd(void)
{
	int st = 0;

	if (bench.pid > 0) {
		kill(bench.pid, SIGTERM);
		waitpid(bench.pid, &st, 0);
		bench.pid = -1;
	}
	return st;
}

void
bench_remove_dir(void)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bench.dir);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: cannot remove %s\n", bench.name, bench.dir);
}

int
bench_connect(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)bench.port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		bench_die("connect: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

size_t
bench_build_request(char *buf, size_t len, const char *method, const char *path,
    const char *token, const char *body)
{
	int n;

	if (body && token)
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%s", method, path, token, strlen(body), body);
	else if (body)
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", method,
		    path, strlen(body), body);
	else if (token)
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Authorization: Bearer %s\r\n\r\n", method, path, token);
	else
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", method, path);
	if (n < 0 || (size_t)n >= len)
		bench_die("request too long");
	return (size_t)n;
}

bool
bench_response_done(const char *buf, size_t len, int *status, size_t *total)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *p;
	size_t hdr, cl = 0;

	if (end == NULL)
		return false;
	hdr = (size_t)(end - buf) + 4;
	for (p = buf; p && p < end; p = memchr(p, '\n', (size_t)(end - p)), p = p ? p + 1 : NULL)
		if (strncasecmp(p, "Content-Length:", 15) == 0)
			cl = strtoul(p + 15, NULL, 10);
	if (len < hdr + cl)
		return false;
	*status = atoi(buf + 9);
	*total = hdr + cl;
	return true;
}

int
bench_request(const char *method, const char *path, const char *token, const char *body,
    char *out, size_t outlen)
{
	/* The largest: an ingest batch of 10 000 samples, GET /metrics. */
	static char req[1 << 21], buf[1 << 20];
	size_t rl = bench_build_request(req, sizeof(req), method, path, token, body);
	size_t got = 0, total, off = 0;
	int fd = bench_connect(), status = 0;
	ssize_t n;

	while (off < rl) {
		if ((n = write(fd, req + off, rl - off)) <= 0)
			bench_die("write: %s", strerror(errno));
		off += (size_t)n;
	}
	while (!bench_response_done(buf, got, &status, &total)) {
		if (got == sizeof(buf) || (n = read(fd, buf + got, sizeof(buf) - got)) <= 0)
			bench_die("%s %s: no response", method, path);
		got += (size_t)n;
	}
	close(fd);
	if (out) {
		const char *b = memmem(buf, total, "\r\n\r\n", 4) + 4;
		size_t bl = total - (size_t)(b - buf);

		if (bl >= outlen)
			bl = outlen - 1;
		memcpy(out, b, bl);
		out[bl] = '\0';
	}
	return status;
}

void
bench_must(int want, const char *method, const char *path, const char *body)
{
	static char out[BENCH_INBUF];
	int st = bench_request(method, path, bench.admin, body, out, sizeof(out));

	if (st != want)
		bench_die("%s %s: %d %s", method, path, st, out);
}

long long
bench_metric(const char *name)
{
	static char out[1 << 20];
	char key[128];
	const char *p;

	if (bench_request("GET", "/metrics", bench.admin, NULL, out, sizeof(out)) != 200)
		return -1;
	snprintf(key, sizeof(key), "\n%s ", name);
	if ((p = strstr(out, key)) == NULL)
		return -1;
	return strtoll(p + strlen(key), NULL, 10);
}

double
bench_grantd_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)bench.pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		ut = st = 0;
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* One keep-alive connection of the load. */
struct conn {
	int fd;
	const char *req;	/* the request in flight, from next() */
	size_t len, off;	/* its length, and how much is written */
	size_t inlen;
	uint64_t t0;		/* when it was sent */
	bool writing;		/* waiting for room to write the rest (EPOLLOUT) */
	char in[BENCH_INBUF];
};

/* Writes what the socket takes of the connection's request; true when all is out. */
static bool
push(struct conn *c)
{
	ssize_t n;

	while (c->off < c->len) {
		n = write(c->fd, c->req + c->off, c->len - c->off);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0)
			bench_die("write: %s", strerror(errno));
		c->off += (size_t)n;
	}
	return true;
}

/* Sends connection i its next request; epoll is told only when the waiting for room changes. */
static void
send_next(const struct bench_load *l, int ep, struct conn *c, int i, uint64_t t)
{
	struct epoll_event ev = { .data.ptr = c };
	bool was = c->writing;

	l->next(i, l->arg, &c->req, &c->len);
	c->off = 0;
	c->t0 = t;
	c->writing = !push(c);
	if (c->writing != was) {
		ev.events = c->writing ? EPOLLIN | EPOLLOUT : EPOLLIN;
		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

static void
summarise(struct bench_result *r, uint64_t *lat, uint64_t n, int seconds)
{
	double sum = 0;

	r->rate = (double)r->ok / (double)seconds;
	if (n == 0)
		return;
	qsort(lat, n, sizeof(*lat), bench_cmp_u64);
	for (uint64_t i = 0; i < n; i++)
		sum += (double)lat[i];
	r->mean_ms = sum / (double)n / 1e6;
	r->p50_ms = (double)lat[n / 2] / 1e6;
	r->p99_ms = (double)lat[(n * 99) / 100] / 1e6;
	r->max_ms = (double)lat[n - 1] / 1e6;
}

struct bench_result
bench_run_load(const struct bench_load *l)
{
	static struct conn cs[BENCH_MAX_CONNS];
	struct epoll_event ev, evs[BENCH_MAX_CONNS];
	uint64_t *lat = NULL, cap = 0, n_lat = 0, t_meas, t_end;
	struct bench_result r = { 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (l->nconns < 1 || l->nconns > BENCH_MAX_CONNS)
		bench_die("bad number of connections %d", l->nconns);
	t_meas = bench_now_ns() + (uint64_t)l->warmup * 1000000000u;
	t_end = t_meas + (uint64_t)l->seconds * 1000000000u;
	for (int i = 0; i < l->nconns; i++) {
		cs[i].fd = bench_connect();
		cs[i].inlen = 0;
		cs[i].writing = false;
		fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
		send_next(l, ep, &cs[i], i, bench_now_ns());
	}
	for (int open = l->nconns; open > 0;) {
		int n = epoll_wait(ep, evs, BENCH_MAX_CONNS, 1000);

		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			int i = (int)(c - cs), status;
			ssize_t got;
			size_t total;
			uint64_t t;

			if (c->writing && (evs[k].events & EPOLLOUT) && push(c)) {
				c->writing = false;
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
			if (!(evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
				continue;
			while ((got = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen)) > 0)
				c->inlen += (size_t)got;
			if (got == 0)
				bench_die("grantd closed a connection");
			if (!bench_response_done(c->in, c->inlen, &status, &total))
				continue;
			t = bench_now_ns();
			r.total++;
			if (l->answered)
				l->answered(i, status, l->arg);
			/* Only requests sent and answered inside the window count. */
			if (c->t0 >= t_meas && t <= t_end) {
				if (status == l->want_status) {
					if (n_lat == cap) {
						cap = cap ? cap * 2 : 1 << 16;
						if ((lat = realloc(lat, cap * sizeof(*lat))) == NULL)
							bench_die("out of memory");
					}
					lat[n_lat++] = t - c->t0;
					r.ok++;
				} else {
					r.bad++;
					r.bad_status = status;
					snprintf(r.bad_body, sizeof(r.bad_body), "%.*s",
					    (int)(total > 255 ? 255 : total), c->in);
				}
			}
			memmove(c->in, c->in + total, c->inlen - total);
			c->inlen -= total;
			if (t >= t_end) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				open--;
				continue;
			}
			send_next(l, ep, c, i, t);
		}
	}
	close(ep);
	summarise(&r, lat, n_lat, l->seconds);
	free(lat);
	return r;
}
