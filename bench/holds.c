/* holds.c: load generator: durable voucher holds/s and p99 over HTTP, beside GET /v1/health and raw SQLite commits. */
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
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

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

#define MAX_CONNS BENCH_MAX_CONNS
#define BUF 16384

static int nconns = 32;
static int seconds = 10;
static int warmup = 2;
static const char *only;	/* -o sqlite|health|holds: run one measurement */
static long conn_memory;	/* -M: server.connection_memory_bytes, 0: grantd's default */

static void
setup_world(void)
{
	bench_must(201, "POST", "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\"}");
	bench_must(201, "POST", "/v1/programs/sovereign-ai/phases", "{\"id\":\"stage-2\",\"name\":"
	    "\"Stage 2\",\"starts_on\":\"2026-01-01\",\"period_days\":3000,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":10000000000000}}");
	bench_must(201, "POST", "/v1/teams", "{\"id\":\"lg-ai\",\"name\":\"LG\",\"lead_org\":"
	    "\"LG AI Research\",\"members\":[{\"org\":\"LG AI Research\",\"role\":\"lead\"},"
	    "{\"org\":\"Seoul Univ\",\"role\":\"member\"}]}");
	bench_must(201, "POST", "/v1/pools", "{\"id\":\"skt\",\"provider\":\"SKT\",\"site\":\"Seoul\","
	    "\"card_model\":\"B200\",\"cards\":16}");
	bench_must(201, "POST", "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}");
	bench_must(201, "POST", "/v1/phases/stage-2/enrollments", "{\"team\":\"lg-ai\"}");
}

/* Every connection sends the same request. */
struct fixed {
	const char *req;
	size_t len;
};

static void
next_fixed(int i, void *arg, const char **req, size_t *len)
{
	const struct fixed *f = arg;

	(void)i;
	*req = f->req;
	*len = f->len;
}

/* C keep-alive connections, one request in flight on each, for warm + dur seconds. */
static struct bench_result
load(const char *req, size_t rl, int want_status)
{
	struct fixed f = { req, rl };
	struct bench_load l = { .nconns = nconns, .warmup = warmup, .seconds = seconds,
		.want_status = want_status, .next = next_fixed, .arg = &f };

	return bench_run_load(&l);
}

/* grantd's CPU so far, user and system, in seconds (/proc/PID/stat); -1 when unknown. */
static double
grantd_cpu(void)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)bench.pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The fields after the command's ")": state is the 3rd, utime the 14th, stime the 15th. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
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

	snprintf(path, sizeof(path), "%s/raw%d.db", bench.dir, run++);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
	    "CREATE TABLE t (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL, memo TEXT)",
	    NULL, NULL, NULL) != SQLITE_OK)
		bench_die("sqlite: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, "INSERT INTO t (amount, memo) VALUES (?, 'order')", -1, &st,
	    NULL) != SQLITE_OK)
		bench_die("sqlite: %s", sqlite3_errmsg(db));
	t0 = bench_now_ns();
	t_end = t0 + (uint64_t)seconds * 1000000000u;
	while (bench_now_ns() < t_end) {
		sqlite3_bind_int64(st, 1, (sqlite3_int64)n + 1);
		if (sqlite3_step(st) != SQLITE_DONE)
			bench_die("sqlite: %s", sqlite3_errmsg(db));
		sqlite3_reset(st);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	*n_out = n;
	return (double)n / ((double)(bench_now_ns() - t0) / 1e9);
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
	char hold_req[1024], health_req[512], out[BUF], host[256], server_extra[64] = "";
	struct bench_result h, v;	/* health, holds */
	struct utsname u;
	long long c0, c1, ch0, ch1;
	uint64_t nsql;
	double sql, cpu0, cpu1;
	int ch, st;

	bench.name = "holds";
	while ((ch = getopt(argc, argv, "b:D:c:d:w:o:M:")) != -1) {
		switch (ch) {
		case 'b': bench.grantd_bin = optarg; break;
		case 'D': bench.dir_base = optarg; break;
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
		bench_die("bad -c, -d or -w");
	signal(SIGPIPE, SIG_IGN);
	bench_make_dir();

	printf("disk: %s (%s)\n", bench.dir, fs_type(bench.dir));
	sql = 0;
	if (only == NULL || strcmp(only, "sqlite") == 0) {
		sql = sqlite_rate(&nsql);
		printf("sqlite  %8.0f commits/s   (%" PRIu64 " single-row commits, WAL, "
		    "synchronous=FULL)\n", sql, nsql);
		fflush(stdout);
		if (only)
			return 0;
	}

	if (conn_memory > 0)
		snprintf(server_extra, sizeof(server_extra), "connection_memory_bytes = %ld\n",
		    conn_memory);
	bench_start_grantd(MAX_CONNS + 16, server_extra, NULL);
	setup_world();
	bench_build_request(health_req, sizeof(health_req), "GET", "/v1/health", bench.admin,
	    NULL);
	bench_build_request(hold_req, sizeof(hold_req), "POST", "/v1/vouchers/holds", bench.admin,
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
		c0 = bench_metric("grantd_commits_total");
		ch0 = bench_metric("grantd_commit_batch_size_sum");
		cpu0 = grantd_cpu();
		v = load(hold_req, strlen(hold_req), 201);
		cpu1 = grantd_cpu();
		c1 = bench_metric("grantd_commits_total");
		ch1 = bench_metric("grantd_commit_batch_size_sum");
		printf("holds   %8.0f holds/s     p50 %.2f ms  p99 %.2f ms  max %.2f ms  "
		    "(%d conns, %ds)", v.rate, v.p50_ms, v.p99_ms, v.max_ms, nconns, seconds);
		if (v.bad)
			printf("  %" PRIu64 " failed (last status %d)", v.bad, v.bad_status);
		printf("\n");
		if (c0 >= 0 && c1 > c0 && ch1 >= ch0)
			printf("group commit: %lld commits for %lld changes (%.1f per commit, "
			    "warm-up included)\n", c1 - c0, ch1 - ch0,
			    (double)(ch1 - ch0) / (double)(c1 - c0));
		/* Every change of the run is a hold: grantd's CPU for each, all of it counted. */
		if (cpu0 >= 0 && cpu1 > cpu0 && ch1 > ch0)
			printf("cpu: %.0f us of grantd (user + system) per hold, warm-up included\n",
			    (cpu1 - cpu0) * 1e6 / (double)(ch1 - ch0));
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
	st = bench_request("GET", "/v1/vouchers/verify", bench.admin, NULL, out, sizeof(out));
	printf("verify  %d %s\n", st, out);
	uname(&u);
	gethostname(host, sizeof(host));
	printf("host    %s %s, %ld CPUs\n", u.sysname, u.release, sysconf(_SC_NPROCESSORS_ONLN));

	bench_stop_grantd();
	bench_remove_dir();
	return v.bad ? 1 : 0;
}
