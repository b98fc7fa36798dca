/* common.h: the benchmarks' harness: grantd on a fresh database, and an epoll HTTP client. */
#ifndef GRANTD_BENCH_COMMON_H
#define GRANTD_BENCH_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define BENCH_MAX_CONNS 1024
#define BENCH_INBUF 65536	/* a connection's read buffer: one whole answer fits */

/*
 * The one grantd a benchmark runs, and the options every benchmark takes.
 * A benchmark sets name (its messages' prefix) and may change grantd_bin,
 * dir_base (-b, -D), die_status and die_signal; bench_make_dir fills dir,
 * bench_start_grantd the rest.
 */
struct bench {
	const char *name;
	const char *grantd_bin, *dir_base;
	int die_status;		/* bench_die's exit status */
	int die_signal;		/* what bench_die sends grantd */
	char dir[512], db_path[600], conf_path[600];
	char admin[128];	/* the admin token, made with `grantd token create` */
	int port;
	pid_t pid;
};
extern struct bench bench;

void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
uint64_t bench_now_ns(void);
void bench_fmt_instant(time_t t, char *buf, size_t len);
int bench_cmp_u64(const void *a, const void *b);

/* Runs argv; its first line of stdout in out; returns its exit status (128 + signal). */
int bench_run_capture(char *const argv[], char *out, size_t len);

/* A fresh directory DIR_BASE/NAME-XXXXXX for the run, in bench.dir. */
void bench_make_dir(void);

/*
 * Writes DIR/grantd.conf (loopback, an ephemeral port, max_connections,
 * then server_extra's lines in [server]; logging at warning, no access
 * log), makes the admin token and starts grantd, reading its port from the
 * "listening on" line.  errfile: where grantd's stderr goes (NULL: ours).
 * grantd's stdout stays open, unread, until it exits.
 */
void bench_start_grantd(int max_connections, const char *server_extra, const char *errfile);

/* SIGTERM to grantd, waited for; its exit status. */
int bench_stop_grantd(void);

/* Removes DIR. */
void bench_remove_dir(void);

/* A connection to grantd, TCP_NODELAY, blocking. */
int bench_connect(void);

/* One request into buf; token NULL: no Authorization, body NULL: none. */
size_t bench_build_request(char *buf, size_t len, const char *method, const char *path,
    const char *token, const char *body);

/*
 * Whether buf holds a whole response; sets *status and *total (bytes of
 * the response).  Every grantd response has a Content-Length.
 */
bool bench_response_done(const char *buf, size_t len, int *status, size_t *total);

/* One blocking request on a new connection for setting up: the status, the body into out. */
int bench_request(const char *method, const char *path, const char *token, const char *body,
    char *out, size_t outlen);

/* An admin request that must answer want, or bench_die says what came instead. */
void bench_must(int want, const char *method, const char *path, const char *body);

/* A counter from GET /metrics, or -1. */
long long bench_metric(const char *name);

/* grantd's CPU seconds so far (user + system), from /proc. */
double bench_grantd_cpu(void);

/*
 * The load: nconns keep-alive connections, one request in flight on each,
 * for warmup + seconds.  next() gives connection i its next request (kept
 * until it is all written: large ones go out as the socket takes them);
 * answered(), when set, sees every answer, warm-up included.  Only requests
 * sent and answered inside the measured window count in the result.
 */
struct bench_load {
	int nconns, warmup, seconds;
	int want_status;
	void (*next)(int i, void *arg, const char **req, size_t *len);
	void (*answered)(int i, int status, void *arg);
	void *arg;
};
struct bench_result {
	uint64_t ok, bad;	/* in the window: answered want_status, or not */
	uint64_t total;		/* every answer, warm-up included */
	double rate;		/* ok per second of the window */
	double p50_ms, p99_ms, max_ms, mean_ms;
	int bad_status;		/* the last bad answer's */
	char bad_body[256];	/* and its start */
};
struct bench_result bench_run_load(const struct bench_load *l);

#endif
