/* ingest.c: load generator: usage samples per second through POST /v1/usage, end to end. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

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

static int nconns = 8;
static int batch = 1000;
static int seconds = 10;
static int warmup = 2;

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
	for (int p = 0; p < NPOOLS; p++) {
		char *argv[] = { (char *)bench.grantd_bin, "token", "create", "--db", bench.db_path, "--role",
			"agent", "--name", "agent", "--pool", (char *)pools[p].id, NULL };

		if (bench_run_capture(argv, agent[p], sizeof(agent[p])) != 0)
			bench_die("%s failed", argv[0]);
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
			bench_die("out of memory");
		o = (size_t)snprintf(body, cap, "{\"batch_id\":\"%s-000000000000\",\"samples\":[",
		    pools[p].id);
		for (int i = 0; i < batch; i++) {
			int t = i % pools[p].nteams;
			time_t m = base - (time_t)(i / pools[p].nteams) * 60 - 60;
			int64_t g = (int64_t)pools[p].cards[t] * 60 * 9 / 10;

			bench_fmt_instant(m, from, sizeof(from));
			bench_fmt_instant(m + 60, to, sizeof(to));
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

/* Connection i sends pool i % NPOOLS's batches, from its own copy of the request. */
struct run {
	char *req[MAX_CONNS];
	uint64_t next_id;
	uint64_t sent_ok;	/* batches answered 202, warm-up included */
	int64_t gpu_ok;		/* their GPU-seconds */
};

static void
next_batch(int i, void *arg, const char **req, size_t *len)
{
	struct run *run = arg;
	const struct tmpl *t = &tmpls[i % NPOOLS];
	char digits[13];

	snprintf(digits, sizeof(digits), "%012" PRIu64, ++run->next_id);
	memcpy(run->req[i] + t->id_at, digits, 12);
	*req = run->req[i];
	*len = t->len;
}

static void
answered(int i, int status, void *arg)
{
	struct run *run = arg;

	if (status == 202) {
		run->sent_ok++;
		run->gpu_ok += tmpls[i % NPOOLS].gpu;
	}
}

static struct bench_result
load(struct run *run)
{
	struct bench_load l = { .nconns = nconns, .warmup = warmup, .seconds = seconds,
		.want_status = 202, .next = next_batch, .answered = answered, .arg = run };
	struct bench_result r;

	for (int i = 0; i < nconns; i++) {
		const struct tmpl *t = &tmpls[i % NPOOLS];

		if ((run->req[i] = malloc(t->len)) == NULL)
			bench_die("out of memory");
		memcpy(run->req[i], t->req, t->len);
	}
	r = bench_run_load(&l);
	for (int i = 0; i < nconns; i++)
		free(run->req[i]);
	/* Samples, not batches, per second. */
	r.rate *= batch;
	return r;
}

static double
self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* What the database holds after the run, against what was answered 202. */
static void
check_stored(uint64_t batches_ok, int64_t gpu_ok)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t nb = -1, gpu = -1;

	if (sqlite3_open_v2(bench.db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		bench_die("sqlite: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM usage_batches), "
	    "(SELECT coalesce(sum(gpu_seconds), 0) FROM usage_hourly)", -1, &st, NULL) != SQLITE_OK)
		bench_die("sqlite: %s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW) {
		nb = sqlite3_column_int64(st, 0);
		gpu = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	printf("stored  %" PRId64 " batches (%" PRIu64 " answered 202), %" PRId64 " GPU-seconds "
	    "in the hourly sums (%" PRId64 " sent in them)\n", nb, batches_ok, gpu, gpu_ok);
	if ((uint64_t)nb != batches_ok || gpu != gpu_ok)
		bench_die("what is stored differs from what was answered 202");
}

int
main(int argc, char **argv)
{
	struct run run = { 0 };
	struct bench_result r;
	struct utsname u;
	char server_extra[64];
	long long c0, c1, ch0, ch1;
	double g0, g1, s0, s1;
	int ch;

	bench.name = "ingest";
	while ((ch = getopt(argc, argv, "b:D:c:n:d:w:")) != -1) {
		switch (ch) {
		case 'b': bench.grantd_bin = optarg; break;
		case 'D': bench.dir_base = optarg; break;
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
		bench_die("bad -c, -n, -d or -w");
	signal(SIGPIPE, SIG_IGN);
	bench_make_dir();
	/* 10 000 samples are about 1.2 MB of JSON: room for the largest batch. */
	snprintf(server_extra, sizeof(server_extra), "max_body_bytes = %d\n", 4 << 20);
	bench_start_grantd(MAX_CONNS + 16, server_extra, NULL);
	setup_world();
	build_templates();

	c0 = bench_metric("grantd_commits_total");
	ch0 = bench_metric("grantd_commit_batch_size_sum");
	g0 = bench_grantd_cpu();
	s0 = self_cpu();
	r = load(&run);
	g1 = bench_grantd_cpu();
	s1 = self_cpu();
	c1 = bench_metric("grantd_commits_total");
	ch1 = bench_metric("grantd_commit_batch_size_sum");
	printf("ingest  %8.0f samples/s  (%" PRIu64 " batches of %d in %ds, %d conns)  batch p50 "
	    "%.2f ms  p99 %.2f ms", r.rate, r.ok, batch, seconds, nconns, r.p50_ms, r.p99_ms);
	if (r.bad)
		printf("  %" PRIu64 " failed (last %d: %s)", r.bad, r.bad_status, r.bad_body);
	printf("\ncpu     grantd %.0f %% of one CPU, client %.0f %% (warm-up included); %.0f samples "
	    "per grantd CPU-second (%.2f us a sample)\n", 100.0 * (g1 - g0) / (seconds + warmup),
	    100.0 * (s1 - s0) / (seconds + warmup), (double)run.sent_ok * batch / (g1 - g0),
	    1e6 * (g1 - g0) / ((double)run.sent_ok * batch));
	if (c0 >= 0 && c1 > c0)
		printf("commits %lld group commits for %lld changes (%.1f batches per commit)\n",
		    c1 - c0, ch1 - ch0, (double)(ch1 - ch0) / (double)(c1 - c0));
	uname(&u);
	printf("host    %s %s, %ld CPUs\n", u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN));

	bench_stop_grantd();
	check_stored(run.sent_ok, run.gpu_ok);
	bench_remove_dir();
	return r.bad ? 1 : 0;
}
