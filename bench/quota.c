/* quota.c: load generator: GET /v1/teams/{team}/quota per second beside GET /v1/health, same run. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

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

#define MAX_CONNS BENCH_MAX_CONNS
#define BUF 65536
#define DAY 86400

static int nconns = 32;
static int seconds = 10;
static int warmup = 2;
static bool misses;	/* -m: every quota request asks for another instant */
static int rounds = 1;	/* -r: health and quota measured in turn this many times */
#define MAX_ROUNDS 50

static char team_tok[128];

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
	bench_must(201, "POST", "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\","
	    "\"timezone\":\"Asia/Seoul\"}");
	snprintf(body, sizeof(body), "{\"id\":\"stage-2\",\"name\":\"Stage 2\",\"starts_on\":"
	    "\"%s\",\"period_days\":181,\"package\":{\"card_model\":\"B200\",\"cards\":768,"
	    "\"voucher_krw\":10000000000}}", d0);
	bench_must(201, "POST", "/v1/programs/sovereign-ai/phases", body);
	bench_must(201, "POST", "/v1/teams", "{\"id\":\"lg-ai\",\"name\":\"LG\",\"lead_org\":\"LG\"}");
	bench_must(201, "POST", "/v1/teams", "{\"id\":\"skt\",\"name\":\"SKT\",\"lead_org\":\"SKT\"}");
	bench_must(201, "POST", "/v1/teams", "{\"id\":\"upstage\",\"name\":\"Upstage\","
	    "\"lead_org\":\"Upstage\"}");
	bench_must(201, "POST", "/v1/teams", "{\"id\":\"motif\",\"name\":\"Motif\","
	    "\"lead_org\":\"Motif Technologies\"}");
	bench_must(201, "POST", "/v1/pools", "{\"id\":\"skt-gasan-b200\",\"provider\":\"SKT\",\"site\":"
	    "\"Gasan\",\"card_model\":\"B200\",\"cards\":1024}");
	bench_must(201, "POST", "/v1/pools", "{\"id\":\"naver-chuncheon-b200\",\"provider\":\"Naver\","
	    "\"site\":\"Chuncheon\",\"card_model\":\"B200\",\"cards\":1024}");
	bench_must(201, "POST", "/v1/pools", "{\"id\":\"kakao-ansan-b200\",\"provider\":\"Kakao\","
	    "\"site\":\"Ansan\",\"card_model\":\"B200\",\"cards\":512}");
	bench_must(201, "POST", "/v1/pools", "{\"id\":\"nhn-gwangju-h100\",\"provider\":\"NHN\","
	    "\"site\":\"Gwangju\",\"card_model\":\"H100\",\"cards\":1024}");
	/* History on the real clock: windows in the past need an override (issue 14). */
#define HISTORY ",\"override\":{\"reason\":\"benchmark history\"}}"
	snprintf(body, sizeof(body), "{\"team\":\"lg-ai\",\"not_before\":\"%s\",\"grants\":"
	    "[{\"pool\":\"skt-gasan-b200\",\"cards\":768}]" HISTORY, d0);
	bench_must(201, "POST", "/v1/phases/stage-2/enrollments", body);
	snprintf(body, sizeof(body), "{\"team\":\"skt\",\"not_before\":\"%s\",\"grants\":"
	    "[{\"pool\":\"naver-chuncheon-b200\",\"cards\":768}]" HISTORY, d0);
	bench_must(201, "POST", "/v1/phases/stage-2/enrollments", body);
	snprintf(body, sizeof(body), "{\"team\":\"upstage\",\"not_before\":\"%s\",\"grants\":"
	    "[{\"pool\":\"kakao-ansan-b200\",\"cards\":512},{\"pool\":\"nhn-gwangju-h100\","
	    "\"cards\":512}]" HISTORY, d0);
	bench_must(201, "POST", "/v1/phases/stage-2/enrollments", body);
	snprintf(body, sizeof(body), "{\"team\":\"motif\",\"not_before\":\"%s\",\"grants\":"
	    "[{\"pool\":\"skt-gasan-b200\",\"cards\":256},{\"pool\":\"naver-chuncheon-b200\","
	    "\"cards\":256},{\"pool\":\"nhn-gwangju-h100\",\"cards\":512}]" HISTORY, d1);
	bench_must(201, "POST", "/v1/phases/stage-2/enrollments", body);
	bench_fmt_instant(motif + 5 * DAY, from, sizeof(from));
	bench_fmt_instant(motif + 7 * DAY, to, sizeof(to));
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":512,\"reason\":"
	    "\"cooling\"}", from, to);
	bench_must(201, "POST", "/v1/pools/naver-chuncheon-b200/outages", body);
	/* A month of motif's hours on its three pools: 30 x 24 x 3 hourly rows. */
	for (int day = 0; day < 30; day++) {
		o = (size_t)snprintf(batch, sizeof(batch), "{\"batch_id\":\"setup-%d\",\"samples\":[",
		    day);
		for (int h = 0; h < 24; h++) {
			static const char *const pools[] = { "skt-gasan-b200", "naver-chuncheon-b200",
				"nhn-gwangju-h100" };

			for (int p = 0; p < 3; p++) {
				bench_fmt_instant(motif + day * DAY + h * 3600, from, sizeof(from));
				bench_fmt_instant(motif + day * DAY + (h + 1) * 3600, to, sizeof(to));
				o += (size_t)snprintf(batch + o, sizeof(batch) - o, "%s{\"pool\":\"%s\","
				    "\"team\":\"motif\",\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%d}",
				    k++ % 72 ? "," : "", pools[p], from, to, 200 * 3600);
			}
		}
		snprintf(batch + o, sizeof(batch) - o, "]}");
		k = 0;
		bench_must(202, "POST", "/v1/usage", batch);
	}
	{
		char *argv[] = { (char *)bench.grantd_bin, "token", "create", "--db", bench.db_path, "--role",
			"team", "--name", "motif-dashboard", "--team", "motif", NULL };

		if (bench_run_capture(argv, team_tok, sizeof(team_tok)) != 0)
			bench_die("%s failed", argv[0]);
	}
	if (bench_request("GET", "/v1/teams/motif/quota?phase=stage-2", team_tok, NULL, out,
	    sizeof(out)) != 200)
		bench_die("quota: %s", out);
}

/* The requests sent in turn (one, or NREQ with -m). */
static char *reqs[NREQ];
static size_t reqlen[NREQ];
static int nreqs;
static unsigned long sent;

/* NULL req: the quota requests, in turn; else req, every time. */
struct fixed {
	const char *req;
	size_t len;
};

static void
next_req(int i, void *arg, const char **req, size_t *len)
{
	const struct fixed *f = arg;
	int k;

	(void)i;
	if (f->req) {
		*req = f->req;
		*len = f->len;
		return;
	}
	k = (int)(sent++ % (unsigned long)nreqs);
	*req = reqs[k];
	*len = reqlen[k];
}

static struct bench_result
load(const char *req, size_t rl, int want_status)
{
	struct fixed f = { req, rl };
	struct bench_load l = { .nconns = nconns, .warmup = warmup, .seconds = seconds,
		.want_status = want_status, .next = next_req, .arg = &f };

	return bench_run_load(&l);
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

int
main(int argc, char **argv)
{
	char health_req[512];
	struct bench_result h, q;
	struct utsname u;
	double c0, c1, c2, ratios[MAX_ROUNDS], cpu_ratios[MAX_ROUNDS];
	int ch, failed = 0;

	bench.name = "quota";
	while ((ch = getopt(argc, argv, "b:D:c:d:w:mr:")) != -1) {
		switch (ch) {
		case 'b': bench.grantd_bin = optarg; break;
		case 'D': bench.dir_base = optarg; break;
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
		bench_die("bad -c, -d, -w or -r");
	signal(SIGPIPE, SIG_IGN);
	bench_make_dir();
	bench_start_grantd(MAX_CONNS + 16, NULL, NULL);
	setup_world();
	bench_build_request(health_req, sizeof(health_req), "GET", "/v1/health", NULL, NULL);
	nreqs = misses ? NREQ : 1;
	for (int i = 0; i < nreqs; i++) {
		char path[128], at[32];

		bench_fmt_instant(time(NULL) - 3600 - i, at, sizeof(at));
		snprintf(path, sizeof(path), "/v1/teams/motif/quota?phase=stage-2%s%s",
		    misses ? "&at=" : "", misses ? at : "");
		if ((reqs[i] = malloc(1024)) == NULL)
			bench_die("out of memory");
		reqlen[i] = bench_build_request(reqs[i], 1024, "GET", path, team_tok, NULL);
	}

	/*
	 * Health and quota alternate, `rounds` times: on a shared machine the
	 * CPU left to us drifts from second to second, and neighbouring
	 * measurements see about the same drift.  The verdict is the median of
	 * the rounds' ratios.
	 */
	for (int k = 0; k < rounds; k++) {
		c0 = bench_grantd_cpu();
		h = load(health_req, strlen(health_req), 200);
		c1 = bench_grantd_cpu();
		q = load(NULL, 0, 200);
		c2 = bench_grantd_cpu();
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

	bench_stop_grantd();
	bench_remove_dir();
	return failed ? 1 : 0;
}
