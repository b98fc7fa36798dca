/* holds.c: load generator: durable voucher holds/s and p99 over HTTP, beside GET /v1/health and raw SQLite commits. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

/*
 * One run measures three rates on the same disk, one after the other:
 *
 *   sqlite   single-row INSERTs, each its own transaction, in WAL mode with
 *            synchronous=FULL: the rate of durable commits the disk allows
 *            one writer that waits for each (what grantd would get without
 *            group commit); measured before and again after the HTTP runs;
 *   health   GET /v1/health at C keep-alive connections: the HTTP ceiling,
 *            no storage;
 *   holds    POST /v1/vouchers/holds (1 KRW each, one voucher) at C
 *            keep-alive connections: each 201 is durable (grantd replies
 *            only after the group COMMIT).
 *
 * grantd is started here on a fresh database in DIR, with logging off, so
 * nothing but the work is measured; the client is a plain epoll loop over
 * raw sockets with requests prepared once, so it costs little beside the
 * server.  Usage:
 *   holds -b build/grantd [-D DIR] [-c 32] [-d 10] [-w 2] [-o sqlite|health|holds]
 *         [-M CONNECTION_MEMORY_BYTES]
 */

#define MAX_CONNS 1024
#define BUF 16384

static const char *grantd_bin = "build/grantd";
static const char *dir_base = "build/bench-tmp";
static int nconns = 32;
static int seconds = 10;
static int warmup = 2;
static const char *only;	/* -o sqlite|health|holds: run one measurement */
static long conn_memory;	/* -M: server.connection_memory_bytes, 0: grantd's default */

static char dir[512], db_path[600], conf_path[600], admin[128];
static int port;
static pid_t grantd_pid = -1;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "holds: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (grantd_pid > 0)
		kill(grantd_pid, SIGTERM);
	exit(1);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Runs argv and returns its first line of stdout. */
static void
run_capture(char *const argv[], char *out, size_t len)
{
	int p[2], st;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	if ((pid = fork()) == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while (got < len - 1 && (n = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s failed", argv[0]);
}

static void
start_grantd(void)
{
	char line[256];
	size_t len = 0;
	int p[2];
	FILE *f;

	snprintf(db_path, sizeof(db_path), "%s/grantd.db", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/grantd.conf", dir);
	if ((f = fopen(conf_path, "w")) == NULL)
		die("%s: %s", conf_path, strerror(errno));
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\nmax_connections = %d\n", MAX_CONNS + 16);
	if (conn_memory > 0)
		fprintf(f, "connection_memory_bytes = %ld\n", conn_memory);
	fprintf(f, "[storage]\ndatabase = %s\n[log]\nlevel = warning\naccess_log = false\n",
	    db_path);
	fclose(f);
	{
		char *argv[] = { (char *)grantd_bin, "token", "create", "--db", db_path, "--role",
			"admin", "--name", "bench", NULL };

		run_capture(argv, admin, sizeof(admin));
	}
	if (pipe(p) < 0)
		die("pipe: %s", strerror(errno));
	if ((grantd_pid = fork()) == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execl(grantd_bin, grantd_bin, "-c", conf_path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(line) - 1 && read(p[0], line + len, 1) == 1 && line[len] != '\n')
		len++;
	line[len] = '\0';
	if (sscanf(line, "listening on 127.0.0.1:%d", &port) != 1)
		die("grantd said '%s'", line);
	/* Keep the pipe open: grantd's later stdout must not hit a closed pipe. */
}

static int
connect_one(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static size_t
build_request(char *buf, size_t len, const char *method, const char *path, const char *body)
{
	int n;

	if (body)
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%s", method, path, admin, strlen(body), body);
	else
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Authorization: Bearer %s\r\n\r\n", method, path, admin);
	if (n < 0 || (size_t)n >= len)
		die("request too long");
	return (size_t)n;
}

/*
 * Whether buf holds a whole response; sets *status and *total (bytes of
 * the response).  Every grantd response has a Content-Length.
 */
static bool
response_done(const char *buf, size_t len, int *status, size_t *total)
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

/* One blocking request for setting up; returns the status, body into out. */
static int
request(const char *method, const char *path, const char *body, char *out, size_t outlen)
{
	char req[4096], buf[BUF];
	size_t rl = build_request(req, sizeof(req), method, path, body), got = 0, total;
	int fd = connect_one(), status = 0;
	ssize_t n;

	if (write(fd, req, rl) != (ssize_t)rl)
		die("write: %s", strerror(errno));
	while (!response_done(buf, got, &status, &total)) {
		if (got == sizeof(buf) || (n = read(fd, buf + got, sizeof(buf) - got)) <= 0)
			die("%s %s: no response", method, path);
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

static void
must(int want, const char *method, const char *path, const char *body)
{
	char out[BUF];
	int st = request(method, path, body, out, sizeof(out));

	if (st != want)
		die("%s %s: %d %s", method, path, st, out);
}

static void
setup_world(void)
{
	must(201, "POST", "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\"}");
	must(201, "POST", "/v1/programs/sovereign-ai/phases", "{\"id\":\"stage-2\",\"name\":"
	    "\"Stage 2\",\"starts_on\":\"2026-01-01\",\"period_days\":3000,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":10000000000000}}");
	must(201, "POST", "/v1/teams", "{\"id\":\"lg-ai\",\"name\":\"LG\",\"lead_org\":"
	    "\"LG AI Research\",\"members\":[{\"org\":\"LG AI Research\",\"role\":\"lead\"},"
	    "{\"org\":\"Seoul Univ\",\"role\":\"member\"}]}");
	must(201, "POST", "/v1/pools", "{\"id\":\"skt\",\"provider\":\"SKT\",\"site\":\"Seoul\","
	    "\"card_model\":\"B200\",\"cards\":16}");
	must(201, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}");
	must(201, "POST", "/v1/phases/stage-2/enrollments", "{\"team\":\"lg-ai\"}");
}

struct conn {
	int fd;
	size_t sent;
	size_t inlen;
	uint64_t t0;
	char in[BUF];
};

struct result {
	uint64_t ok, bad, n_lat;
	double secs, rate, p50_ms, p99_ms, max_ms, mean_ms;
	int bad_status;
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* C keep-alive connections, one request in flight on each, for warm + dur seconds. */
static struct result
load(const char *req, size_t rl, int want_status)
{
	static struct conn cs[MAX_CONNS];
	struct epoll_event ev, evs[MAX_CONNS];
	uint64_t *lat = NULL, cap = 0, t_start = now_ns(), t_meas, t_end;
	struct result r = { 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	bool measuring = false;

	t_meas = t_start + (uint64_t)warmup * 1000000000u;
	t_end = t_meas + (uint64_t)seconds * 1000000000u;
	for (int i = 0; i < nconns; i++) {
		cs[i].fd = connect_one();
		cs[i].inlen = 0;
		cs[i].t0 = now_ns();
		if (write(cs[i].fd, req, rl) != (ssize_t)rl)
			die("write: %s", strerror(errno));
		fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	for (int open = nconns; open > 0;) {
		int n = epoll_wait(ep, evs, MAX_CONNS, 1000);
		uint64_t t = now_ns();

		if (!measuring && t >= t_meas)
			measuring = true;
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			ssize_t got;
			size_t total;
			int status;

			while ((got = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen)) > 0)
				c->inlen += (size_t)got;
			if (got == 0)
				die("grantd closed a connection");
			if (!response_done(c->in, c->inlen, &status, &total))
				continue;
			t = now_ns();
			/* Only requests sent and answered inside the window count. */
			if (c->t0 >= t_meas && t <= t_end) {
				if (status == want_status) {
					if (r.n_lat == cap) {
						cap = cap ? cap * 2 : 1 << 16;
						if ((lat = realloc(lat, cap * sizeof(*lat))) == NULL)
							die("out of memory");
					}
					lat[r.n_lat++] = t - c->t0;
					r.ok++;
				} else {
					r.bad++;
					r.bad_status = status;
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
			c->t0 = t;
			if (write(c->fd, req, rl) != (ssize_t)rl)
				die("write: %s", strerror(errno));
		}
	}
	close(ep);
	r.secs = (double)seconds;
	r.rate = (double)r.ok / r.secs;
	if (r.n_lat) {
		double sum = 0;

		qsort(lat, r.n_lat, sizeof(*lat), cmp_u64);
		for (uint64_t i = 0; i < r.n_lat; i++)
			sum += (double)lat[i];
		r.mean_ms = sum / (double)r.n_lat / 1e6;
		r.p50_ms = (double)lat[r.n_lat / 2] / 1e6;
		r.p99_ms = (double)lat[(r.n_lat * 99) / 100] / 1e6;
		r.max_ms = (double)lat[r.n_lat - 1] / 1e6;
	}
	free(lat);
	return r;
}

/* Single-row durable commits, one after another, for `seconds`. */
static double
sqlite_rate(uint64_t *n_out)
{
	static int run;		/* a fresh file each time */
	char path[700];
	sqlite3 *db;
	sqlite3_stmt *st;
	uint64_t n = 0, t0, t_end;

	snprintf(path, sizeof(path), "%s/raw%d.db", dir, run++);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, memo TEXT)",
	    NULL, NULL, NULL) != SQLITE_OK)
		die("sqlite: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "INSERT INTO t (amount, memo) VALUES (?, 'order')", -1, &st,
	    NULL) != SQLITE_OK)
		die("sqlite: %s", sqlite3_errmsg(db));
	t0 = now_ns();
	t_end = t0 + (uint64_t)seconds * 1000000000u;
	while (now_ns() < t_end) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)n + 1);
		if (sqlite3_step(st) != SQLITE_DONE)
			die("sqlite: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	*n_out = n;
	return (double)n / ((double)(now_ns() - t0) / 1e9);
}

/* A counter from GET /metrics, or -1. */
static long long
metric(const char *name)
{
	static char out[1 << 20];
	char key[128];
	const char *p;

	if (request("GET", "/metrics", NULL, out, sizeof(out)) != 200)
		return -1;
	snprintf(key, sizeof(key), "\n%s ", name);
	if ((p = strstr(out, key)) == NULL)
		return -1;
	return strtoll(p + strlen(key), NULL, 10);
}

static const char *
fs_type(const char *path)
{
	struct statfs s;

	if (statfs(path, &s) < 0)
		return "?";
	switch ((unsigned long)s.f_type) {
	case 0xEF53: return "ext4";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x01021994: return "tmpfs";
	case 0x794c7630: return "overlayfs";
	default: return "other";
	}
}

int
main(int argc, char **argv)
{
	char hold_req[1024], health_req[512], out[BUF], host[256];
	struct result h, v;	/* health, holds */
	struct utsname u;
	long long c0, c1, ch0, ch1;
	uint64_t nsql;
	double sql;
	int ch, st;

	while ((ch = getopt(argc, argv, "b:D:c:d:w:o:M:")) != -1) {
		switch (ch) {
		case 'b': grantd_bin = optarg; break;
		case 'D': dir_base = optarg; break;
		case 'c': nconns = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'o': only = optarg; break;
		case 'M': conn_memory = atol(optarg); break;
		default:
			fprintf(stderr, "usage: holds [-b GRANTD] [-D DIR] [-c CONNS] [-d SECONDS] "
			    "[-w WARMUP] [-o sqlite|health|holds] [-M CONN_MEMORY_BYTES]\n");
			return 2;
		}
	}
	if (nconns < 1 || nconns > MAX_CONNS || seconds < 1 || warmup < 0)
		die("bad -c, -d or -w");
	signal(SIGPIPE, SIG_IGN);
	mkdir(dir_base, 0755);
	snprintf(dir, sizeof(dir), "%s/holds-XXXXXX", dir_base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s: %s", dir, strerror(errno));

	printf("disk: %s (%s)\n", dir, fs_type(dir));
	sql = 0;
	if (only == NULL || strcmp(only, "sqlite") == 0) {
		sql = sqlite_rate(&nsql);
		printf("sqlite  %8.0f commits/s   (%" PRIu64 " single-row commits, WAL, "
		    "synchronous=FULL)\n", sql, nsql);
		fflush(stdout);
		if (only)
			return 0;
	}

	start_grantd();
	setup_world();
	build_request(health_req, sizeof(health_req), "GET", "/v1/health", NULL);
	build_request(hold_req, sizeof(hold_req), "POST", "/v1/vouchers/holds",
	    "{\"team\":\"lg-ai\",\"phase\":\"stage-2\",\"supplier\":\"data-co\",\"amount_krw\":1,"
	    "\"memo\":\"bench\"}");

	if (only == NULL || strcmp(only, "health") == 0) {
		h = load(health_req, strlen(health_req), 200);
		printf("health  %8.0f req/s       p50 %.2f ms  p99 %.2f ms  max %.2f ms  "
		    "(%d conns, %ds)\n", h.rate, h.p50_ms, h.p99_ms, h.max_ms, nconns, seconds);
		fflush(stdout);
	}

	memset(&v, 0, sizeof(v));
	if (only == NULL || strcmp(only, "holds") == 0) {
		c0 = metric("grantd_commits_total");
		ch0 = metric("grantd_commit_batch_size_sum");
		v = load(hold_req, strlen(hold_req), 201);
		c1 = metric("grantd_commits_total");
		ch1 = metric("grantd_commit_batch_size_sum");
		printf("holds   %8.0f holds/s     p50 %.2f ms  p99 %.2f ms  max %.2f ms  "
		    "(%d conns, %ds)", v.rate, v.p50_ms, v.p99_ms, v.max_ms, nconns, seconds);
		if (v.bad)
			printf("  %" PRIu64 " failed (last status %d)", v.bad, v.bad_status);
		printf("\n");
		if (c0 >= 0 && c1 > c0 && ch1 >= ch0)
			printf("group commit: %lld commits for %lld changes (%.1f per commit, "
			    "warm-up included)\n", c1 - c0, ch1 - ch0,
			    (double)(ch1 - ch0) / (double)(c1 - c0));
	}
	/*
	 * The raw rate again, after: a shared disk's fsync varies from minute
	 * to minute, and the two figures bracket the HTTP runs between them.
	 */
	if (only == NULL) {
		double sql2 = sqlite_rate(&nsql);

		printf("sqlite  %8.0f commits/s   (again, after the HTTP runs)\n", sql2);
		sql = (sql + sql2) / 2;
		printf("ratio   holds / raw commits (mean of both) = %.1fx   holds p99 %s 20 ms\n",
		    v.rate / sql, v.p99_ms < 20.0 ? "<" : ">=");
	}
	st = request("GET", "/v1/vouchers/verify", NULL, out, sizeof(out));
	printf("verify  %d %s\n", st, out);
	uname(&u);
	gethostname(host, sizeof(host));
	printf("host    %s %s, %ld CPUs\n", u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN));

	kill(grantd_pid, SIGTERM);
	waitpid(grantd_pid, &st, 0);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "holds: cannot remove %s\n", dir);
	}
	return v.bad ? 1 : 0;
}
