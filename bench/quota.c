/* quota.c: load generator: GET /v1/teams/{team}/quota per second beside GET /v1/health, same run. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
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
 * One run measures, one after the other, on one grantd:
 *
 *   health  GET /v1/health at C keep-alive connections: the HTTP ceiling
 *           (no token, no storage);
 *   quota   GET /v1/teams/motif/quota?phase=stage-2 at C connections with
 *           motif's team token: token lookup, the enrollment, its grants,
 *           the pools' timelines and outage losses, usage totals, the idle
 *           flag and the voucher, as a team's dashboard asks for them.
 *
 * The world is the demo programme, moved so that "now" is 40 days into the
 * late team's window, with a month of hourly usage on three pools (so the
 * usage tables hold thousands of rows), an outage, and four enrollments.
 * grantd runs on a fresh database in DIR with logging off; the client is an
 * epoll loop over raw sockets with the requests prepared once.
 *
 * grantd answers repeated polls of an unchanged state from a small cache
 * (keyed by SQLite's data_version, the team, the phase and `at`).  With -m
 * each quota request names another instant (?at=, 512 of them in turn, more
 * than the cache holds), so every answer is computed: the uncached rate.
 *
 * With -r R the two are measured in turn R times and the median ratio is
 * the verdict (a shared machine's spare CPU drifts between runs).  Beside
 * the rates, grantd's CPU time per answer (from /proc, warm-up included) is
 * compared: grantd serves on one thread, so its rate on a machine of its
 * own is about 1 / (CPU per answer), and that ratio drifts much less.
 *
 *   quota -b build/grantd [-D DIR] [-c 32] [-d 10] [-w 2] [-m] [-r 1]
 */

#define NREQ 512

#define MAX_CONNS 1024
#define BUF 65536
#define DAY 86400

static const char *grantd_bin = "build/grantd";
static const char *dir_base = "build/bench-tmp";
static int nconns = 32;
static int seconds = 10;
static int warmup = 2;
static bool misses;	/* -m: every quota request asks for another instant */
static int rounds = 1;	/* -r: health and quota measured in turn this many times */
#define MAX_ROUNDS 50

static char dir[512], db_path[600], conf_path[600], admin[128], team_tok[128];
static int port;
static pid_t grantd_pid = -1;

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "quota: ");
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
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\nmax_connections = %d\n[storage]\n"
	    "database = %s\n[log]\nlevel = warning\naccess_log = false\n", MAX_CONNS + 16,
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
build_request(char *buf, size_t len, const char *method, const char *path, const char *token,
    const char *body)
{
	int n;

	if (body)
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\n\r\n%s", method, path, token, strlen(body), body);
	else if (token)
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Authorization: Bearer %s\r\n\r\n", method, path, token);
	else
		n = snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", method, path);
	if (n < 0 || (size_t)n >= len)
		die("request too long");
	return (size_t)n;
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

static int
request(const char *method, const char *path, const char *token, const char *body, char *out,
    size_t outlen)
{
	static char req[1 << 20], buf[BUF];
	size_t rl = build_request(req, sizeof(req), method, path, token, body), got = 0, total;
	size_t off = 0;
	int fd = connect_one(), status = 0;
	ssize_t n;

	while (off < rl) {
		if ((n = write(fd, req + off, rl - off)) <= 0)
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
	static char out[BUF];
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

/*
 * The demo programme, with the phase starting 72 days ago (Seoul dates):
 * the early teams are 72 days in, motif (32 days later) 40.
 */
static void
setup_world(void)
{
	time_t now = time(NULL), start = now - 72 * DAY, motif = start + 32 * DAY, t;
	char body[1024], d0[16], d1[16], from[32], to[32], out[256];
	struct tm tm;
	static char batch[1 << 20];
	size_t o;
	int k = 0;

	t = start + 9 * 3600;
	gmtime_r(&t, &tm);
	strftime(d0, sizeof(d0), "%Y-%m-%d", &tm);
	t = motif + 9 * 3600;
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
	fmt_instant(motif + 5 * DAY, from, sizeof(from));
	fmt_instant(motif + 7 * DAY, to, sizeof(to));
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":512,\"reason\":"
	    "\"cooling\"}", from, to);
	must(201, "POST", "/v1/pools/naver-chuncheon-b200/outages", body);
	/* A month of motif's hours on its three pools: 30 x 24 x 3 hourly rows. */
	for (int day = 0; day < 30; day++) {
		o = (size_t)snprintf(batch, sizeof(batch), "{\"batch_id\":\"setup-%d\",\"samples\":[",
		    day);
		for (int h = 0; h < 24; h++) {
			static const char *const pools[] = { "skt-gasan-b200", "naver-chuncheon-b200",
				"nhn-gwangju-h100" };

			for (int p = 0; p < 3; p++) {
				fmt_instant(motif + day * DAY + h * 3600, from, sizeof(from));
				fmt_instant(motif + day * DAY + (h + 1) * 3600, to, sizeof(to));
				o += (size_t)snprintf(batch + o, sizeof(batch) - o, "%s{\"pool\":\"%s\","
				    "\"team\":\"motif\",\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%d}",
				    k++ % 72 ? "," : "", pools[p], from, to, 200 * 3600);
			}
		}
		snprintf(batch + o, sizeof(batch) - o, "]}");
		k = 0;
		must(202, "POST", "/v1/usage", batch);
	}
	{
		char *argv[] = { (char *)grantd_bin, "token", "create", "--db", db_path, "--role",
			"team", "--name", "motif-dashboard", "--team", "motif", NULL };

		run_capture(argv, team_tok, sizeof(team_tok));
	}
	if (request("GET", "/v1/teams/motif/quota?phase=stage-2", team_tok, NULL, out,
	    sizeof(out)) != 200)
		die("quota: %s", out);
}

struct conn {
	int fd;
	size_t inlen;
	uint64_t t0;
	char in[BUF];
};

struct result {
	uint64_t ok, bad, n_lat;
	uint64_t total;		/* every answer, warm-up included: for the CPU cost */
	double rate, p50_ms, p99_ms;
	int bad_status;
};

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The requests sent in turn (one, or NREQ with -m). */
static char *reqs[NREQ];
static size_t reqlen[NREQ];
static int nreqs;
static unsigned long sent;

static void
send_next(int fd)
{
	int i = (int)(sent++ % (unsigned long)nreqs);

	if (write(fd, reqs[i], reqlen[i]) != (ssize_t)reqlen[i])
		die("write: %s", strerror(errno));
}

static struct result
load(const char *req, size_t rl, int want_status)
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
		cs[i].inlen = 0;
		cs[i].t0 = now_ns();
		if (req) {
			if (write(cs[i].fd, req, rl) != (ssize_t)rl)
				die("write: %s", strerror(errno));
		} else {
			send_next(cs[i].fd);
		}
		fcntl(cs[i].fd, F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN;
		ev.data.ptr = &cs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, cs[i].fd, &ev);
	}
	for (int open = nconns; open > 0;) {
		int n = epoll_wait(ep, evs, MAX_CONNS, 1000);

		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			ssize_t got;
			size_t total;
			uint64_t t;
			int status;

			while ((got = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen)) > 0)
				c->inlen += (size_t)got;
			if (got == 0)
				die("grantd closed a connection");
			if (!response_done(c->in, c->inlen, &status, &total))
				continue;
			t = now_ns();
			r.total++;
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
			if (req) {
				if (write(c->fd, req, rl) != (ssize_t)rl)
					die("write: %s", strerror(errno));
			} else {
				send_next(c->fd);
			}
		}
	}
	close(ep);
	r.rate = (double)r.ok / (double)seconds;
	if (r.n_lat) {
		qsort(lat, r.n_lat, sizeof(*lat), cmp_u64);
		r.p50_ms = (double)lat[r.n_lat / 2] / 1e6;
		r.p99_ms = (double)lat[(r.n_lat * 99) / 100] / 1e6;
	}
	free(lat);
	return r;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v, int n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* grantd's CPU seconds so far (user + system), from /proc. */
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

int
main(int argc, char **argv)
{
	char health_req[512];
	struct result h, q;
	struct utsname u;
	double c0, c1, c2, ratios[MAX_ROUNDS], cpu_ratios[MAX_ROUNDS];
	int ch, st, failed = 0;

	while ((ch = getopt(argc, argv, "b:D:c:d:w:mr:")) != -1) {
		switch (ch) {
		case 'b': grantd_bin = optarg; break;
		case 'D': dir_base = optarg; break;
		case 'c': nconns = atoi(optarg); break;
		case 'd': seconds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'm': misses = true; break;
		case 'r': rounds = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: quota [-b GRANTD] [-D DIR] [-c CONNS] [-d SECONDS] "
			    "[-w WARMUP] [-m] [-r ROUNDS]\n");
			return 2;
		}
	}
	if (nconns < 1 || nconns > MAX_CONNS || seconds < 1 || warmup < 0 || rounds < 1 ||
	    rounds > MAX_ROUNDS)
		die("bad -c, -d, -w or -r");
	signal(SIGPIPE, SIG_IGN);
	mkdir(dir_base, 0755);
	snprintf(dir, sizeof(dir), "%s/quota-XXXXXX", dir_base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp %s: %s", dir, strerror(errno));
	start_grantd();
	setup_world();
	build_request(health_req, sizeof(health_req), "GET", "/v1/health", NULL, NULL);
	nreqs = misses ? NREQ : 1;
	for (int i = 0; i < nreqs; i++) {
		char path[128], at[32];

		fmt_instant(time(NULL) - 3600 - i, at, sizeof(at));
		snprintf(path, sizeof(path), "/v1/teams/motif/quota?phase=stage-2%s%s",
		    misses ? "&at=" : "", misses ? at : "");
		if ((reqs[i] = malloc(1024)) == NULL)
			die("out of memory");
		reqlen[i] = build_request(reqs[i], 1024, "GET", path, team_tok, NULL);
	}

	/*
	 * Health and quota alternate, `rounds` times: on a shared machine the
	 * CPU left to us drifts from second to second, and neighbouring
	 * measurements see about the same drift.  The verdict is the median of
	 * the rounds' ratios.
	 */
	for (int k = 0; k < rounds; k++) {
		c0 = grantd_cpu();
		h = load(health_req, strlen(health_req), 200);
		c1 = grantd_cpu();
		q = load(NULL, 0, 200);
		c2 = grantd_cpu();
		printf("health  %8.0f req/s   p50 %.2f ms  p99 %.2f ms  grantd CPU %3.0f %%  %6.1f us "
		    "CPU/req  (%d conns, %ds)\n", h.rate, h.p50_ms, h.p99_ms,
		    100.0 * (c1 - c0) / (seconds + warmup), 1e6 * (c1 - c0) / (double)h.total,
		    nconns, seconds);
		printf("quota   %8.0f req/s   p50 %.2f ms  p99 %.2f ms  grantd CPU %3.0f %%  %6.1f us "
		    "CPU/req  (%d conns, %ds%s)", q.rate, q.p50_ms, q.p99_ms,
		    100.0 * (c2 - c1) / (seconds + warmup), 1e6 * (c2 - c1) / (double)q.total,
		    nconns, seconds, misses ? ", every answer computed" : ", polling now");
		cpu_ratios[k] = 100.0 * ((c1 - c0) / (double)h.total) / ((c2 - c1) / (double)q.total);
		if (q.bad || h.bad)
			printf("  %llu failed (last status %d)", (unsigned long long)(q.bad + h.bad),
			    q.bad ? q.bad_status : h.bad_status);
		ratios[k] = h.rate > 0 ? 100.0 * q.rate / h.rate : 0.0;
		printf("\nratio   quota / health = %.0f %% by rate, %.0f %% by grantd CPU per request\n",
		    ratios[k], cpu_ratios[k]);
		fflush(stdout);
		failed += q.bad + h.bad > 0;
	}
	qsort(ratios, (size_t)rounds, sizeof(ratios[0]), cmp_double);
	qsort(cpu_ratios, (size_t)rounds, sizeof(cpu_ratios[0]), cmp_double);
	printf("median  quota / health = %.0f %% by rate, %.0f %% by CPU per request, over %d "
	    "round(s)  (target >= 70 %%)\n", median(ratios, rounds), median(cpu_ratios, rounds),
	    rounds);
	uname(&u);
	printf("host    %s %s, %ld CPUs\n", u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN));

	kill(grantd_pid, SIGTERM);
	waitpid(grantd_pid, &st, 0);
	{
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "quota: cannot remove %s\n", dir);
	}
	return failed ? 1 : 0;
}
