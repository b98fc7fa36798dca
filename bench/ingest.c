/* ingest.c: load generator: usage samples per second through POST /v1/usage, end to end. */
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
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

/*
 * Metering agents, one per pool of the demo programme, post batches of B
 * samples (default 1000) over C keep-alive connections (default 8), each
 * with one batch in flight.  A sample is one team on one pool for one
 * minute at 90 % of its granted cards, the minutes running back from an
 * hour ago; the teams are the ones holding grants on the pool.  Every batch
 * has a new batch_id, so each 202 means B samples parsed, checked,
 * flagged, split into hours, summed and durably committed (grantd answers
 * a change only after its group COMMIT).
 *
 * Reported: samples/s (B x batches answered 202 in the window), batch
 * latency, grantd's CPU share (from /proc) and the client's (getrusage),
 * samples per second of grantd CPU (all batches, warm-up included: the
 * rate grantd would reach with a CPU of its own, as it serves on one
 * thread), and group commits (from /metrics).  Afterwards the database is opened
 * and the stored GPU-seconds are compared with what was sent.
 *
 *   ingest -b build/grantd [-D DIR] [-c 8] [-n 1000] [-d 10] [-w 2]
 */

#define MAX_CONNS 256
#define DAY 86400

static const char *grantd_bin = "build/grantd";
static const char *dir_base = "build/bench-tmp";
static int nconns = 8;
static int batch = 1000;
static int seconds = 10;
static int warmup = 2;

static char dir[512], db_path[600], conf_path[600], admin[128];
static int port;
static pid_t grantd_pid = -1;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "ingest: ");
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
	/* 10 000 samples are about 1.2 MB of JSON: room for the largest batch. */
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\nmax_connections = %d\nmax_body_bytes = %d\n"
	    "[storage]\ndatabase = %s\n[log]\nlevel = warning\naccess_log = false\n",
	    MAX_CONNS + 16, 4 << 20, db_path);
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
request(const char *method, const char *path, const char *token, const char *body, char *out,
    size_t outlen)
{
	static char req[1 << 16], buf[1 << 20];
	size_t got = 0, total, off = 0;
	int fd = connect_one(), status = 0, rl;
	ssize_t n;

	rl = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\n%s%.0zu%s\r\n%s", method, path, token,
	    body ? "Content-Type: application/json\r\nContent-Length: " : "",
	    body ? strlen(body) : 0, body ? "\r\n" : "", body ? body : "");
	if (body && strlen(body) == 0)
		die("empty body");
	if (rl < 0 || (size_t)rl >= sizeof(req))
		die("request too long");
	while (off < (size_t)rl) {
		if ((n = write(fd, req + off, (size_t)rl - off)) <= 0)
			die("write: %s", strerror(errno));
		off += (size_t)n;
	}
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
	char out[4096];
	int st = request(method, path, admin, body, out, sizeof(out));

	if (st != want)
		die("%s %s: %d %s", method, path, st, out);
}

static void
fmt_instant(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The pools, the teams with grants on each, and their cards. */
#define NPOOLS 4
static const struct {
	const char *id;
	int nteams;
	const char *team[2];
	int cards[2];
} pools[NPOOLS] = {
	{ "skt-gasan-b200", 2, { "lg-ai", "motif" }, { 768, 256 } },
	{ "naver-chuncheon-b200", 2, { "skt", "motif" }, { 768, 256 } },
	{ "kakao-ansan-b200", 1, { "upstage", NULL }, { 512, 0 } },
	{ "nhn-gwangju-h100", 2, { "upstage", "motif" }, { 512, 512 } },
};
static char agent[NPOOLS][128];

/* The demo programme, its phase begun 72 days ago (motif's window 40 days ago). */
static void
setup_world(void)
{
	time_t now = time(NULL), start = now - 72 * DAY, t;
	char body[1024], d0[16], d1[16];
	struct tm tm;

	t = start + 9 * 3600;
	gmtime_r(&t, &tm);
	strftime(d0, sizeof(d0), "%Y-%m-%d", &tm);
	t = start + 32 * DAY + 9 * 3600;
	gmtime_r(&t, &tm);
	strftime(d1, sizeof(d1), "%Y-%m-%d", &tm);
	must(201, "POST", "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\","
	    "\"timezone\":\"Asia/Seoul\"}");
	snprintf(body, sizeof(body), "{\"id\":\"stage-2\",\"name\":\"Stage 2\",\"starts_on\":"
	    "\"%s\",\"period_days\":181,\"package\":{\"card_model\":\"B200\",\"cards\":768,"
	    "\"voucher_krw\":10000000000}}", d0);
	must(201, "POST", "/v1/programs/sovereign-ai/phases", body);
	must(201, "POST", "/v1/teams", "{\"id\":\"lg-ai\",\"name\":\"LG\",\"lead_org\":\"LG\"}");
	must(201, "POST", "/v1/teams", "{\"id\":\"skt\",\"name\":\"SKT\",\"lead_org\":\"SKT\"}");
	must(201, "POST", "/v1/teams", "{\"id\":\"upstage\",\"name\":\"Upstage\","
	    "\"lead_org\":\"Upstage\"}");
	must(201, "POST", "/v1/teams", "{\"id\":\"motif\",\"name\":\"Motif\","
	    "\"lead_org\":\"Motif Technologies\"}");
	must(201, "POST", "/v1/pools", "{\"id\":\"skt-gasan-b200\",\"provider\":\"SKT\",\"site\":"
	    "\"Gasan\",\"card_model\":\"B200\",\"cards\":1024}");
	must(201, "POST", "/v1/pools", "{\"id\":\"naver-chuncheon-b200\",\"provider\":\"Naver\","
	    "\"site\":\"Chuncheon\",\"card_model\":\"B200\",\"cards\":1024}");
	must(201, "POST", "/v1/pools", "{\"id\":\"kakao-ansan-b200\",\"provider\":\"Kakao\","
	    "\"site\":\"Ansan\",\"card_model\":\"B200\",\"cards\":512}");
	must(201, "POST", "/v1/pools", "{\"id\":\"nhn-gwangju-h100\",\"provider\":\"NHN\","
	    "\"site\":\"Gwangju\",\"card_model\":\"H100\",\"cards\":1024}");
	must(201, "POST", "/v1/phases/stage-2/enrollments", "{\"team\":\"lg-ai\",\"grants\":"
	    "[{\"pool\":\"skt-gasan-b200\",\"cards\":768}]}");
	must(201, "POST", "/v1/phases/stage-2/enrollments", "{\"team\":\"skt\",\"grants\":"
	    "[{\"pool\":\"naver-chuncheon-b200\",\"cards\":768}]}");
	must(201, "POST", "/v1/phases/stage-2/enrollments", "{\"team\":\"upstage\",\"grants\":"
	    "[{\"pool\":\"kakao-ansan-b200\",\"cards\":512},{\"pool\":\"nhn-gwangju-h100\","
	    "\"cards\":512}]}");
	snprintf(body, sizeof(body), "{\"team\":\"motif\",\"not_before\":\"%s\",\"grants\":"
	    "[{\"pool\":\"skt-gasan-b200\",\"cards\":256},{\"pool\":\"naver-chuncheon-b200\","
	    "\"cards\":256},{\"pool\":\"nhn-gwangju-h100\",\"cards\":512}]}", d1);
	must(201, "POST", "/v1/phases/stage-2/enrollments", body);
	for (int p = 0; p < NPOOLS; p++) {
		char *argv[] = { (char *)grantd_bin, "token", "create", "--db", db_path, "--role",
			"agent", "--name", "agent", "--pool", (char *)pools[p].id, NULL };

		run_capture(argv, agent[p], sizeof(agent[p]));
	}
}

/*
 * One request per pool, prepared once: headers and a body of `batch`
 * samples.  The batch id has a fixed-width counter that each send patches.
 */
struct tmpl {
	char *req;
	size_t len;
	size_t id_at;		/* offset of the counter's 12 digits */
	int64_t gpu;		/* GPU-seconds in one batch */
};
static struct tmpl tmpls[NPOOLS];

static void
build_templates(void)
{
	time_t base = time(NULL) - 3600;
	char from[32], to[32];

	for (int p = 0; p < NPOOLS; p++) {
		size_t cap = 256 + (size_t)batch * 200, o, hdr;
		char *body = malloc(cap), *req = malloc(cap + 512);
		int64_t gpu = 0;

		if (body == NULL || req == NULL)
			die("out of memory");
		o = (size_t)snprintf(body, cap, "{\"batch_id\":\"%s-000000000000\",\"samples\":[",
		    pools[p].id);
		for (int i = 0; i < batch; i++) {
			int t = i % pools[p].nteams;
			time_t m = base - (time_t)(i / pools[p].nteams) * 60 - 60;
			int64_t g = (int64_t)pools[p].cards[t] * 60 * 9 / 10;

			fmt_instant(m, from, sizeof(from));
			fmt_instant(m + 60, to, sizeof(to));
			o += (size_t)snprintf(body + o, cap - o, "%s{\"pool\":\"%s\",\"team\":\"%s\","
			    "\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%" PRId64 "}", i ? "," : "",
			    pools[p].id, pools[p].team[t], from, to, g);
			gpu += g;
		}
		o += (size_t)snprintf(body + o, cap - o, "]}");
		hdr = (size_t)snprintf(req, cap + 512, "POST /v1/usage HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n", agent[p], o);
		memcpy(req + hdr, body, o);
		tmpls[p] = (struct tmpl){ req, hdr + o, hdr + strlen("{\"batch_id\":\"") +
			strlen(pools[p].id) + 1, gpu };
		free(body);
	}
}

struct conn {
	int fd, pool;
	char *req;		/* this connection's copy of its pool's request */
	size_t off;		/* bytes of the current request written */
	size_t inlen;
	uint64_t t0;
	bool writing;
	char in[8192];
};

static void
patch(struct conn *c, uint64_t id)
{
	char digits[13];

	snprintf(digits, sizeof(digits), "%012" PRIu64, id);
	memcpy(c->req + tmpls[c->pool].id_at, digits, 12);
}

/* Writes what it can of the connection's request; true when all is out. */
static bool
push(struct conn *c)
{
	const struct tmpl *t = &tmpls[c->pool];
	ssize_t n;

	while (c->off < t->len) {
		n = write(c->fd, c->req + c->off, t->len - c->off);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0)
			die("write: %s", strerror(errno));
		c->off += (size_t)n;
	}
	return true;
}

struct result {
	uint64_t ok, bad, n_lat, sent_ok;
	int64_t gpu_ok;		/* GPU-seconds of every batch answered 202 */
	double rate, p50_ms, p99_ms;
	int bad_status;
	char bad_body[256];
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t next_id;

static void
start_batch(int ep, struct conn *c)
{
	struct epoll_event ev = { .data.ptr = c };

	patch(c, ++next_id);
	c->off = 0;
	c->t0 = now_ns();
	c->writing = !push(c);
	ev.events = c->writing ? EPOLLIN | EPOLLOUT : EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static struct result
load(void)
{
	static struct conn cs[MAX_CONNS];
	struct epoll_event ev, evs[MAX_CONNS];
	uint64_t *lat = NULL, cap = 0, t_meas, t_end;
	struct result r = { 0 };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	t_meas = now_ns() + (uint64_t)warmup * 1000000000u;
	t_end = t_meas + (uint64_t)seconds * 1000000000u;
	for (int i = 0; i < nconns; i++) {
		cs[i].fd = connect_one();
		cs[i].pool = i % NPOOLS;
		if ((cs[i].req = malloc(tmpls[cs[i].pool].len)) == NULL)
			die("out of memory");
		memcpy(cs[i].req, tmpls[cs[i].pool].req, tmpls[cs[i].pool].len);
		fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
		start_batch(ep, &cs[i]);
	}
	for (int open = nconns; open > 0;) {
		int n = epoll_wait(ep, evs, MAX_CONNS, 1000);

		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			ssize_t got;
			size_t total;
			uint64_t t;
			int status;

			if (c->writing && (evs[k].events & EPOLLOUT)) {
				if (push(c)) {
					c->writing = false;
					ev.events = EPOLLIN;
					ev.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
				}
			}
			if (!(evs[k].events & EPOLLIN))
				continue;
			while ((got = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen)) > 0)
				c->inlen += (size_t)got;
			if (got == 0)
				die("grantd closed a connection");
			if (!response_done(c->in, c->inlen, &status, &total))
				continue;
			t = now_ns();
			if (status == 202) {
				r.sent_ok++;
				r.gpu_ok += tmpls[c->pool].gpu;
			}
			if (c->t0 >= t_meas && t <= t_end) {
				if (status == 202) {
					if (r.n_lat == cap) {
						cap = cap ? cap * 2 : 1 << 14;
						if ((lat = realloc(lat, cap * sizeof(*lat))) == NULL)
							die("out of memory");
					}
					lat[r.n_lat++] = t - c->t0;
					r.ok++;
				} else {
					r.bad++;
					r.bad_status = status;
					snprintf(r.bad_body, sizeof(r.bad_body), "%.*s", (int)(total > 255 ?
					    255 : total), c->in);
				}
			}
			memmove(c->in, c->in + total, c->inlen - total);
			c->inlen -= total;
			if (t >= t_end) {
				epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
				close(c->fd);
				free(c->req);
				open--;
				continue;
			}
			start_batch(ep, c);
		}
	}
	close(ep);
	r.rate = (double)r.ok * batch / (double)seconds;
	if (r.n_lat) {
		qsort(lat, r.n_lat, sizeof(*lat), cmp_u64);
		r.p50_ms = (double)lat[r.n_lat / 2] / 1e6;
		r.p99_ms = (double)lat[(r.n_lat * 99) / 100] / 1e6;
	}
	free(lat);
	return r;
}

static double
grantd_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)grantd_pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		ut = st = 0;
	fclose(f);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static long long
metric(const char *name)
{
	static char out[1 << 20];
	char key[128];
	const char *p;

	if (request("GET", "/metrics", admin, NULL, out, sizeof(out)) != 200)
		return -1;
	snprintf(key, sizeof(key), "\n%s ", name);
	if ((p = strstr(out, key)) == NULL)
		return -1;
	return strtoll(p + strlen(key), NULL, 10);
}

/* What the database holds after the run, against what was answered 202. */
static void
check_stored(uint64_t batches_ok, int64_t gpu_ok)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t nb = -1, gpu = -1;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		die("sqlite: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM usage_batches), "
	    "(SELECT coalesce(sum(gpu_seconds), 0) FROM usage_hourly)", -1, &st, NULL) != SQLITE_OK)
		die("sqlite: %s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		nb = sqlite3_column_int64(st, 0);
		gpu = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("stored  %" PRId64 " batches (%" PRIu64 " answered 202), %" PRId64 " GPU-seconds "
	    "in the hourly sums (%" PRId64 " sent in them)\n", nb, batches_ok, gpu, gpu_ok);
	if ((uint64_t)nb != batches_ok || gpu != gpu_ok)
		die("what is stored differs from what was answered 202");
}

int
main(int argc, char **argv)
{
	struct result r;
	struct utsname u;
	long long c0, c1, ch0, ch1;
	double g0, g1, s0, s1;
	int ch, st;

	while ((ch = getopt(argc, argv, "b:D:c:n:d:w:")) != -1) {
		switch (ch) {
		case 'b': grantd_bin = optarg; break;
		case 'D': dir_base = optarg; break;
		case 'c': nconns = atoi(optarg); break;
		case 'n': batch = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: ingest [-b GRANTD] [-D DIR] [-c CONNS] [-n SAMPLES] "
			    "[-d SECONDS] [-w WARMUP]\n");
			return 2;
		}
	}
	if (nconns < 1 || nconns > MAX_CONNS || batch < 1 || batch > 10000 || seconds < 1 ||
	    warmup < 0)
		die("bad -c, -n, -d or -w");
	signal(SIGPIPE, SIG_IGN);
	mkdir(dir_base, 0755);
	snprintf(dir, sizeof(dir), "%s/ingest-XXXXXX", dir_base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s: %s", dir, strerror(errno));
	start_grantd();
	setup_world();
	build_templates();

	c0 = metric("grantd_commits_total");
	ch0 = metric("grantd_commit_batch_size_sum");
	g0 = grantd_cpu();
	s0 = self_cpu();
	r = load();
	g1 = grantd_cpu();
	s1 = self_cpu();
	c1 = metric("grantd_commits_total");
	ch1 = metric("grantd_commit_batch_size_sum");
	printf("ingest  %8.0f samples/s  (%" PRIu64 " batches of %d in %ds, %d conns)  batch p50 "
	    "%.2f ms  p99 %.2f ms", r.rate, r.ok, batch, seconds, nconns, r.p50_ms, r.p99_ms);
	if (r.bad)
		printf("  %" PRIu64 " failed (last %d: %s)", r.bad, r.bad_status, r.bad_body);
	printf("\ncpu     grantd %.0f %% of one CPU, client %.0f %% (warm-up included); %.0f samples "
	    "per grantd CPU-second (%.2f us a sample)\n", 100.0 * (g1 - g0) / (seconds + warmup),
	    100.0 * (s1 - s0) / (seconds + warmup), (double)r.sent_ok * batch / (g1 - g0),
	    1e6 * (g1 - g0) / ((double)r.sent_ok * batch));
	if (c0 >= 0 && c1 > c0)
		printf("commits %lld group commits for %lld changes (%.1f batches per commit)\n",
		    c1 - c0, ch1 - ch0, (double)(ch1 - ch0) / (double)(c1 - c0));
	uname(&u);
	printf("host    %s %s, %ld CPUs\n", u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN));

	kill(grantd_pid, SIGTERM);
	waitpid(grantd_pid, &st, 0);
	check_stored(r.sent_ok, r.gpu_ok);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "ingest: cannot remove %s\n", dir);
	}
	return r.bad ? 1 : 0;
}
