/* agent.h: grantd-agent's modules, one group of prototypes per file. */
#ifndef GRANTD_AGENT_H
#define GRANTD_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <curl/curl.h>
#include <uv.h>

#include "curluv.h"
#include "nvml_api.h"

/* sysexits(3): no NVML or no driver; a configuration that cannot work. */
#define AGENT_EX_UNAVAILABLE	69
#define AGENT_EX_CONFIG		78

#define AGENT_DEFAULT_CONFIG	"/etc/grantd-agent/grantd-agent.conf"
#define AGENT_ERRLEN		256

/* ---- conf.c: the configuration file (INI, flat keys, no sections) ---- */

#define CONF_PATH_LEN	512
#define CONF_ID_LEN	64	/* ids are at most 63 characters */
#define CONF_URL_LEN	512
#define CONF_TOKEN_LEN	256

struct conf {
	char url[CONF_URL_LEN];		/* grantd's base URL, http(s)://host[:port] */
	char token[CONF_TOKEN_LEN];	/* the agent token (or read from token_file) */
	char token_file[CONF_PATH_LEN];
	char cacert[CONF_PATH_LEN];	/* CA bundle for HTTPS; "" is the system's */
	char pool[CONF_ID_LEN];
	char node[CONF_ID_LEN];		/* default: the host name */
	char team[CONF_ID_LEN];		/* "" asks grantd which team the node serves */
	int interval;			/* seconds between readings */
	int post_interval;		/* seconds per reported period, a multiple of interval */
	char spool_dir[CONF_PATH_LEN];
	char dead_dir[CONF_PATH_LEN];	/* default: "dead" beside spool_dir */
	int spool_max_batches;
	char metrics_listen[64];	/* "127.0.0.1:9441", "" or "off" for none */
	char metrics_host[48];
	int metrics_port;
	char nvml_library[CONF_PATH_LEN];
	char log_level[16];
	char log_file[CONF_PATH_LEN];	/* "" is stderr (the journal) */
	int timeout;			/* seconds one request to grantd may take */
};

struct conf_errors {
	int n;
	struct {
		int line;		/* 0: the file as a whole */
		char msg[240];
	} e[32];
};

void conf_defaults(struct conf *c);
/* Parses and checks a file; 0, or -1 with every error (and its line) in errs. */
int conf_load(const char *path, struct conf *c, struct conf_errors *errs);
/* What reporting needs beyond what --once needs: url, token, pool. */
int conf_check_daemon(const struct conf *c, struct conf_errors *errs);
void conf_print(const struct conf *c, FILE *f);
void conf_errors_print(const struct conf_errors *errs, const char *path, FILE *f);
bool conf_valid_id(const char *s);	/* pool and team ids: [a-z0-9][a-z0-9-]{0,62} */
bool conf_valid_node(const char *s);	/* host names: [A-Za-z0-9][A-Za-z0-9._-]{0,62} */

/* ---- account.c: usage arithmetic, no I/O (time is a parameter) ---- */

/* One NVML utilization sample: its CPU timestamp and the percentage it read. */
struct util_sample {
	int64_t ts_us;
	unsigned util;
};

void acct_sort_samples(struct util_sample *s, size_t n);

/*
 * Busy and utilization-weighted microseconds that samples s (sorted) show
 * within (lo_us, hi_us].  Sample i stands for the time since the sample
 * before it, the first for the time since prev_ts (the newest sample seen
 * before these): a GPU is busy for that time when the sample read above 0 %,
 * and util-weighted by the percentage.  Samples at or before prev_ts were
 * counted before and are skipped.
 */
void acct_samples(const struct util_sample *s, size_t n, int64_t prev_ts, int64_t lo_us,
    int64_t hi_us, int64_t *busy_us, int64_t *util_us);

/*
 * Millijoules between two readings of a monotonic energy counter.  A
 * counter that went backwards (it wrapped, or the driver reset it) counts
 * from its new value; *backwards says so for the log.
 */
uint64_t acct_energy_delta(uint64_t prev, uint64_t cur, bool *backwards);

/* "<node>-<from>": the batch id that makes a retry harmless.  0 or -1 (too long). */
int acct_batch_id(const char *node, int64_t from, char *buf, size_t len);

/* What grantd accepts at most: 5 kW per GPU-second (energy_j's bound). */
#define ACCT_MAX_WATTS		5000
#define ACCT_MAXWIN		4

/* One reported period as it fills: sums over the node's GPUs. */
struct acct_window {
	int64_t from, to;		/* seconds actually read; from == to: none */
	int64_t gpu_us, busy_us, util_us, energy_mj;
	bool energy_missing;		/* a GPU read without energy or power */
};

/*
 * The periods of one node: w[0] is the period that begins at start (a
 * multiple of period seconds since the epoch), w[k] the one k periods
 * later.  Carries keep what rounding to whole units left over, so that
 * the sums over many periods lose nothing.
 */
struct acct {
	int64_t period;
	int64_t start;
	struct acct_window w[ACCT_MAXWIN];
	int64_t busy_carry, util_carry, energy_carry;
};

/* One GPU's reading of [since, now), both whole seconds. */
struct acct_span {
	int64_t since, now;
	int64_t floor_us;		/* samples count only after this instant */
	int64_t prev_ts;		/* newest sample seen before these */
	const struct util_sample *s;	/* sorted */
	size_t n;
	bool have_samples;		/* false: util_snapshot stands for the whole span */
	unsigned util_snapshot;
	bool have_energy;
	uint64_t energy_mj;		/* over the span */
};

/* A finished period, whole units, each bounded as grantd bounds it. */
struct acct_sample {
	int64_t from, to;
	int64_t gpu_seconds, busy_gpu_seconds, util_weighted_gpu_seconds, energy_j;
	bool has_energy;
};

void acct_init(struct acct *a, int64_t period, int64_t now);
/* Adds one GPU's span, split at period ends; -1 when it lies outside the windows. */
int acct_add(struct acct *a, const struct acct_span *g);
/* The periods that end at or before now, oldest first; returns how many (at most max). */
size_t acct_close(struct acct *a, int64_t now, struct acct_sample *out, size_t max);
/* The open period cut at its last reading (at a stop); false when it holds none. */
bool acct_flush(struct acct *a, struct acct_sample *out);
/* The earliest instant a span may start at: the open period's beginning. */
int64_t acct_open_start(const struct acct *a);

/* ---- backoff.c: when to try again, and what a reply means ---- */

enum post_verdict {
	POST_OK,	/* 2xx: delivered */
	POST_RETRY,	/* no answer, 429, 5xx, anything unexpected: keep and retry */
	POST_DEAD,	/* 4xx other than 429: grantd will never take it */
};

enum post_verdict post_classify(long status);
/*
 * Milliseconds before try number attempt + 1 (attempt counts failures, 1
 * after the first): 1 s doubling to 5 min, with jitter that keeps a fleet
 * of nodes from retrying in step (half the step fixed, half random from
 * rnd), and never before a Retry-After (seconds, 0 when none; at most an
 * hour is honoured).
 */
int64_t backoff_ms(unsigned attempt, uint32_t rnd, long retry_after_s);

/* ---- spool.c: batches on disk until grantd has them ---- */

/*
 * A directory of batch files, one per batch, named so that the oldest
 * sorts first, and a dead-letter directory beside it for those grantd
 * refused.  Both lists are held in memory, oldest first; the spool owns
 * the name strings.
 */
struct spool_list {
	char **v;
	size_t n, cap;
};

struct spool {
	char dir[CONF_PATH_LEN];
	char dead[CONF_PATH_LEN];
	size_t max;			/* batches kept at most, in each directory */
	struct spool_list q, d;
	uint64_t dropped;		/* batches dropped because the spool was full */
};

int spool_open(struct spool *s, const char *dir, const char *dead, size_t max, char *err,
    size_t errlen);
void spool_close(struct spool *s);
/*
 * Writes a batch durably (temp file, fsync, rename, directory fsync).  When
 * the spool is full the oldest goes first: its name in dropped (at least
 * 80 bytes), "" when none went.
 */
int spool_put(struct spool *s, const char *batch_id, int64_t from, const char *data,
    size_t len, char *dropped, size_t droppedlen, char *err, size_t errlen);
const char *spool_oldest(const struct spool *s);
int spool_read(const struct spool *s, const char *name, char **data, size_t *len, char *err,
    size_t errlen);
int spool_remove(struct spool *s, const char *name, char *err, size_t errlen);
/* Moves a batch to the dead letters with NAME.reason beside it. */
int spool_bury(struct spool *s, const char *name, const char *reason, char *err,
    size_t errlen);
void spool_set_max(struct spool *s, size_t max);

/* ---- nvml.c: libnvidia-ml.so.1 through dlopen ---- */

#define NVML_MAX_GPUS		64
#define NVML_MAX_PROCS		4096
#define NVML_MAX_SAMPLES	4096

/* The library and its entry points; dl is NULL when closed. */
struct nvml {
	void *dl;
	bool initialised;
	unsigned ngpus;
	nvml_error_string_fn error_string;
	nvml_init_fn init;
	nvml_shutdown_fn shutdown;
	nvml_count_fn count;
	nvml_handle_fn handle;
	nvml_uuid_fn uuid;
	nvml_util_fn util;
	nvml_memory_fn memory;
	nvml_procs_fn procs;
	nvml_energy_fn energy;
	nvml_power_fn power;
	nvml_samples_fn samples;
};

/* NVML's errors as the metrics count them. */
enum nvml_kind {
	NK_GPU_LOST,
	NK_NOT_READY,
	NK_NOT_SUPPORTED,
	NK_RESET_REQUIRED,
	NK_TIMEOUT,
	NK_OTHER,
	NK_COUNT
};

/* One reading of one GPU; samples and procs are malloc'd (gpu_reading_free). */
struct gpu_reading {
	unsigned index;
	nvmlReturn_t rc;		/* NVML_SUCCESS, or what stopped the reading */
	const char *failed;		/* the call that failed */
	char uuid[NVML_UUID_LEN];
	bool has_util, has_memory, has_procs, has_energy, has_power, have_samples;
	unsigned util_gpu, util_mem;	/* % over NVML's last sample period */
	unsigned long long mem_used, mem_total;
	nvmlProcessInfo_t *procs;
	unsigned nprocs;
	bool wide_procs;		/* the driver wrote 32-byte entries (some R535) */
	uint64_t energy_mj;		/* the driver's counter since it loaded */
	unsigned power_mw;
	struct util_sample *samples;	/* newer than the last seen, oldest first */
	size_t nsamples;
};

/* Loads and starts NVML; -1 with a message an operator can act on. */
int nvml_open(struct nvml *n, const char *path, char *err, size_t errlen);
void nvml_close(struct nvml *n);
const char *nvml_strerror(const struct nvml *n, nvmlReturn_t rc);
enum nvml_kind nvml_kind_of(nvmlReturn_t rc);
const char *nvml_kind_name(enum nvml_kind k);
/* 0, or -1 with r->rc and r->failed set; free r with gpu_reading_free either way. */
int nvml_read_gpu(struct nvml *n, unsigned index, uint64_t last_seen_us,
    struct gpu_reading *r);
void gpu_reading_free(struct gpu_reading *r);

/* ---- http.c: requests to grantd (libcurl multi on the libuv loop) ---- */

struct http_req {
	const char *method, *url, *token, *cacert, *body;	/* body: JSON or NULL */
	int timeout;						/* seconds */
};

/* The answer: status 0 when there was none (error says why); body is the call's. */
struct http_reply {
	long status;
	long retry_after;		/* seconds, 0 when absent */
	const char *body;
	size_t len;
	char error[CURL_ERROR_SIZE];
};

typedef void (*http_cb)(void *arg, const struct http_reply *r);

struct http_call;

/* The client: one multi handle, its timer, the calls in flight (owned). */
struct http {
	struct curluv cu;	/* daemon/curluv.h: curl on the loop */
	struct http_call *calls;
};

int http_init(struct http *h, uv_loop_t *loop);
/* Starts a request; cb runs on the loop when it ends, never from inside http_start. */
int http_start(struct http *h, const struct http_req *rq, http_cb cb, void *arg);
bool http_busy(const struct http *h);
void http_close(struct http *h);

/* ---- metrics.c: the loopback Prometheus endpoint ---- */

struct mconn;

struct metrics_server {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	bool active;
	struct mconn *conns;		/* open scrapes, owned */
	int nconns;
	void (*render)(void *arg, FILE *f);
	void *arg;
};

/* Listens on host:port (0: any free port); bound says where, for the log and the tests. */
int metrics_listen(struct metrics_server *srv, uv_loop_t *loop, const char *host, int port,
    void (*render)(void *arg, FILE *f), void *arg, char *bound, size_t boundlen, char *err,
    size_t errlen);
void metrics_close(struct metrics_server *srv);

/* ---- agent.c: the daemon: readings, periods, the spool and grantd ---- */

/* What the agent knows of one GPU between readings. */
struct gpu_state {
	bool seen;			/* a baseline is held: the next reading counts */
	bool up;			/* the last reading succeeded */
	char uuid[NVML_UUID_LEN];
	int64_t floor_us;		/* samples count only after this */
	int64_t prev_ts;		/* newest utilization sample seen */
	bool have_energy;
	uint64_t energy_mj;		/* the counter at the last reading */
	bool said_power, said_snapshot, said_wide;	/* fallbacks, logged once each */
	nvmlReturn_t last_rc;
	/* The last reading, for the metrics. */
	unsigned util, nprocs, power_mw;
	unsigned long long mem_used;
};

enum period_result { PR_SPOOLED, PR_UNASSIGNED, PR_EMPTY, PR_FAILED, PR_COUNT };

struct agent_counters {
	uint64_t readings;		/* GPU readings that counted */
	uint64_t nvml_errors[NK_COUNT];
	uint64_t periods[PR_COUNT];
	uint64_t posts_ok, posts_failed, posts_dead;
	uint64_t energy_backwards;
	uint64_t team_lookups_failed;
	uint64_t gaps;			/* readings too far apart to count */
	uint64_t reloads_ok, reloads_refused;
};

/*
 * The daemon.  Everything runs on one libuv loop; all timing is the
 * agent's clock (the wall clock, or --clock-file's in tests), in
 * milliseconds, so a test steps time instead of sleeping.
 */
struct agent {
	uv_loop_t *loop;
	const char *conf_path;
	const char *clock_file;
	struct conf conf;
	struct nvml nvml;
	struct gpu_state gpu[NVML_MAX_GPUS];
	struct acct acct;
	struct spool spool;
	struct http http;
	struct metrics_server metrics;
	struct agent_counters n;
	uv_timer_t tick;
	uv_signal_t sigterm, sigint, sighup;
	int64_t last_read;		/* seconds: the last reading (0: none yet) */
	int64_t next_read;
	bool warned_backwards;
	/* Which team the node serves: conf.team, else grantd's answer. */
	char team[CONF_ID_LEN];
	int assigned;			/* 1: team known, 0: grantd says none, -1: not known */
	bool team_busy;
	bool team_failing;		/* the last lookup failed (said once, not each time) */
	int64_t next_team_ms;
	/* The sender: one batch in flight at most, oldest first. */
	bool send_busy;
	char *sending;			/* its spool name, owned */
	unsigned attempt;		/* failures in a row */
	int64_t next_send_ms;
	bool stopping;
	int status;			/* exit status */
};

/* Starts the daemon on loop; 0, or an exit status with the reason logged. */
int agent_start(struct agent *a, uv_loop_t *loop, const char *conf_path,
    const struct conf *c, const char *clock_file);
void agent_render_metrics(void *arg, FILE *f);
/* Milliseconds on the agent's clock. */
int64_t agent_clock_ms(const char *clock_file);

/* ---- once.c: --once, one reading of every GPU as JSON ---- */

int once_run(const struct conf *c, const char *clock_file, FILE *out);

#endif
