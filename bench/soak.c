/* soak.c: bounded mixed load on loopback for minutes: throughput, latency, memory. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/*
 * One run: grantd (an optimised build) on a fresh database in DIR, logging
 * off, with a programme in UTC, one phase of a year that began 30 days ago,
 * two pools of 64 B200, eight teams enrolled by the scheduler (8 cards
 * each), a supplier, and tokens for every team, both pools' agents and an
 * auditor.  Then C keep-alive connections (libcurl multi) send a fixed mix
 * at no more than R requests per second for D seconds, after W seconds of
 * warm-up that count for nothing:
 *
 *   per 1000   request                                         expected
 *   150        GET  /v1/teams/T/quota?phase=                   200 (team token)
 *   100        GET  /v1/pools/P/timeline?from=&to=             200 (auditor)
 *   100        GET  /v1/teams/T/vouchers                       200 (team)
 *    50        GET  /v1/vouchers/holds?team=T&limit=20         200 (auditor)
 *    50        GET  /v1/grants?team=T                          200 (team)
 *    50        GET  /v1/health                                 200
 *   250        POST /v1/vouchers/holds (1 KRW)                 201 (team)
 *   100        POST .../holds/H/settle (admin) or /void (team) 200
 *   135        POST /v1/usage (2 samples, a new batch)         202 (agent)
 *     5        POST /v1/pools/P/outages (4 cards, future)      201 (admin)
 *    10        POST /v1/vouchers/holds again, same key         201, replayed
 *
 * The rate is a cap, not a target the server must meet: a request starts
 * when a connection is free and its slot (1/R s after the last one) has come.
 * Latency is libcurl's total time of a request on a warm connection.
 * grantd's VmRSS (/proc/PID/status) is read every 5 s; "start" is the value
 * at the end of the warm-up, "end" the value after the last request.  The
 * run fails (exit 1) on any unexpected status, on growth of 5 % or more, on
 * a ledger or audit check that fails, or on a SIGTERM exit other than 0; a
 * passed run removes its directory.
 *
 *   soak -b build/grantd [-D DIR] [-d 600] [-w 60] [-c 16] [-r 400]
 */

#define DAY 86400
#define MAX_CONNS 256
#define NTEAMS 8
#define RING 4096

static int seconds = 600, warmup = 60, nconns = 16, rate = 400;

static char base[64];
static char team_tok[NTEAMS][128], agent_tok[2][128], auditor_tok[128];
static const char *const pools[2] = { "pool-a", "pool-b" };

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
fmt_date(time_t t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

static long
rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			kb = strtol(line + 6, NULL, 10);
	fclose(f);
	return kb;
}

/* ------------------------------------------------------------------ */
/* Set-up: synchronous requests. */

struct buf {
	char *p;
	size_t n;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	char *np = realloc(b->p, b->n + sz * n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + b->n, p, sz * n);
	b->n += sz * n;
	np[b->n] = '\0';
	b->p = np;
	return sz * n;
}

static long
sync_req(const char *method, const char *path, const char *tok, const char *body, json_t **out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = { NULL, 0 };
	char url[1024], auth[200];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (tok) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
		hl = curl_slist_append(hl, auth);
	}
	if (body) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	if (out)
		*out = b.p ? json_loads(b.p, 0, NULL) : NULL;
	free(b.p);
	return status;
}

static void
must(long want, const char *method, const char *path, const char *tok, const char *fmt, ...)
{
	char body[4096];
	va_list ap;
	long st;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	if ((st = sync_req(method, path, tok, body, NULL)) != want)
		bench_die("set-up %s %s: %ld, want %ld (%s)", method, path, st, want, body);
}

static void
token(const char *role, const char *team, const char *pool, char *out, size_t len)
{
	char body[256];
	json_t *j = NULL;
	long st;

	snprintf(body, sizeof(body), "{\"name\":\"soak-%s\",\"role\":\"%s\"%s%s%s%s%s%s}", role,
	    role, team ? ",\"team\":\"" : "", team ? team : "", team ? "\"" : "",
	    pool ? ",\"pool\":\"" : "", pool ? pool : "", pool ? "\"" : "");
	if ((st = sync_req("POST", "/v1/tokens", bench.admin, body, &j)) != 201 || j == NULL)
		bench_die("token %s: %ld", role, st);
	snprintf(out, len, "%s", json_string_value(json_object_get(j, "token")));
	json_decref(j);
}

static void
setup_world(void)
{
	const char *admin = bench.admin;
	char starts[16], id[32];
	time_t now = time(NULL);

	fmt_date(now - 30 * DAY, starts, sizeof(starts));
	must(201, "POST", "/v1/programs", admin, "{\"id\":\"soak\",\"name\":\"Soak\","
	    "\"timezone\":\"UTC\"}");
	must(201, "POST", "/v1/programs/soak/phases", admin, "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"%s\",\"period_days\":365,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":10000000000000}}", starts);
	for (int p = 0; p < 2; p++)
		must(201, "POST", "/v1/pools", admin, "{\"id\":\"%s\",\"provider\":\"Soak\","
		    "\"site\":\"Loopback\",\"card_model\":\"B200\",\"cards\":64}", pools[p]);
	must(201, "POST", "/v1/suppliers", admin, "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}");
	for (int t = 0; t < NTEAMS; t++) {
		snprintf(id, sizeof(id), "team-%d", t);
		must(201, "POST", "/v1/teams", admin, "{\"id\":\"%s\",\"name\":\"Team %d\","
		    "\"lead_org\":\"Org %d\",\"members\":[{\"org\":\"Org %d\",\"role\":\"lead\"}]}",
		    id, t, t, t);
		must(201, "POST", "/v1/phases/ph/enrollments", admin, "{\"team\":\"%s\","
		    "\"pools\":[\"%s\"]}", id, pools[t % 2]);
		token("team", id, NULL, team_tok[t], sizeof(team_tok[t]));
	}
	for (int p = 0; p < 2; p++)
		token("agent", NULL, pools[p], agent_tok[p], sizeof(agent_tok[p]));
	token("auditor", NULL, NULL, auditor_tok, sizeof(auditor_tok));
}

/* ------------------------------------------------------------------ */
/* The load. */

enum kind { K_QUOTA, K_TIMELINE, K_VOUCHERS, K_HOLDS, K_GRANTS, K_HEALTH, K_HOLD, K_RESOLVE,
	K_USAGE, K_OUTAGE, K_REPLAY, K_N };
static const char *const kind_name[K_N] = { "GET quota", "GET timeline", "GET vouchers",
	"GET holds", "GET grants", "GET health", "POST hold", "POST settle/void",
	"POST usage", "POST outage", "POST hold replay" };
static const int kind_weight[K_N] = { 150, 100, 100, 50, 50, 50, 250, 100, 135, 5, 10 };

struct conn {
	CURL *c;
	struct curl_slist *hl;
	struct buf b;
	enum kind k;
	long want;
	bool busy, replay_expected;
	char url[512], body[1024], auth[200], idem[96];
};

struct stats {
	uint64_t n[K_N], bad[K_N];
	double *lat;		/* milliseconds of every measured request */
	size_t nlat, cap;
};

static struct stats st;
static bool measuring;
static uint64_t seq, bad_total;
static char ring[RING][32];
static size_t ring_head, ring_len;
static struct {
	char key[64], body[256];
	int team;
	bool used;
} replay_src;

static void
ring_push(const char *id)
{
	if (ring_len == RING) {
		ring_head = (ring_head + 1) % RING;
		ring_len--;
	}
	snprintf(ring[(ring_head + ring_len) % RING], sizeof(ring[0]), "%s", id);
	ring_len++;
}

static bool
ring_pop(char *out, size_t len)
{
	if (ring_len == 0)
		return false;
	snprintf(out, len, "%s", ring[ring_head]);
	ring_head = (ring_head + 1) % RING;
	ring_len--;
	return true;
}

static enum kind
pick(unsigned *seed)
{
	int r = (int)(rand_r(seed) % 1000);

	for (int k = 0; k < K_N; k++) {
		if (r < kind_weight[k])
			return (enum kind)k;
		r -= kind_weight[k];
	}
	return K_HEALTH;
}

static void
prepare(struct conn *cn, unsigned *seed)
{
	int t = (int)(rand_r(seed) % NTEAMS), p = t % 2;
	const char *tok = bench.admin, *method = "GET";
	char path[400], from[32], to[32], hid[32];
	time_t now = time(NULL);

	cn->body[0] = '\0';
	cn->idem[0] = '\0';
	cn->want = 200;
	cn->replay_expected = false;
	cn->k = pick(seed);
	if (cn->k == K_RESOLVE && ring_len == 0)
		cn->k = K_HOLD;
	if (cn->k == K_REPLAY && !replay_src.used)
		cn->k = K_HOLD;
	switch (cn->k) {
	case K_QUOTA:
		snprintf(path, sizeof(path), "/v1/teams/team-%d/quota?phase=ph", t);
		tok = team_tok[t];
		break;
	case K_TIMELINE:
		bench_fmt_instant(now - 40 * DAY, from, sizeof(from));
		bench_fmt_instant(now + 400 * DAY, to, sizeof(to));
		snprintf(path, sizeof(path), "/v1/pools/%s/timeline?from=%s&to=%s", pools[p], from,
		    to);
		tok = auditor_tok;
		break;
	case K_VOUCHERS:
		snprintf(path, sizeof(path), "/v1/teams/team-%d/vouchers", t);
		tok = team_tok[t];
		break;
	case K_HOLDS:
		snprintf(path, sizeof(path), "/v1/vouchers/holds?team=team-%d&limit=20", t);
		tok = auditor_tok;
		break;
	case K_GRANTS:
		snprintf(path, sizeof(path), "/v1/grants?team=team-%d", t);
		tok = team_tok[t];
		break;
	case K_HEALTH:
		snprintf(path, sizeof(path), "/v1/health");
		tok = NULL;
		break;
	case K_HOLD:
		method = "POST";
		snprintf(path, sizeof(path), "/v1/vouchers/holds");
		snprintf(cn->body, sizeof(cn->body), "{\"team\":\"team-%d\",\"phase\":\"ph\","
		    "\"supplier\":\"data-co\",\"amount_krw\":1,\"memo\":\"soak %llu\"}", t,
		    (unsigned long long)seq);
		tok = team_tok[t];
		cn->want = 201;
		if (!replay_src.used) {
			/* The first hold is the one later replays repeat. */
			snprintf(cn->idem, sizeof(cn->idem), "soak-replay-%llu",
			    (unsigned long long)seq);
			snprintf(replay_src.key, sizeof(replay_src.key), "%s", cn->idem);
			snprintf(replay_src.body, sizeof(replay_src.body), "%s", cn->body);
			replay_src.team = t;
			replay_src.used = true;
		}
		break;
	case K_REPLAY:
		method = "POST";
		snprintf(path, sizeof(path), "/v1/vouchers/holds");
		snprintf(cn->body, sizeof(cn->body), "%s", replay_src.body);
		snprintf(cn->idem, sizeof(cn->idem), "%s", replay_src.key);
		tok = team_tok[replay_src.team];
		cn->want = 201;
		cn->replay_expected = true;
		break;
	case K_RESOLVE:
		method = "POST";
		ring_pop(hid, sizeof(hid));
		if (rand_r(seed) % 2) {
			snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/settle", hid);
			snprintf(cn->body, sizeof(cn->body), "{}");
		} else {
			/* The admin voids (any hold); a team's own void is in test_vouchers. */
			snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/void", hid);
			snprintf(cn->body, sizeof(cn->body), "{\"reason\":\"soak\"}");
		}
		break;
	case K_USAGE:
		method = "POST";
		bench_fmt_instant(now - 3 * 3600, from, sizeof(from));
		bench_fmt_instant(now - 2 * 3600, to, sizeof(to));
		snprintf(path, sizeof(path), "/v1/usage");
		snprintf(cn->body, sizeof(cn->body), "{\"batch_id\":\"soak-%llu\",\"samples\":["
		    "{\"pool\":\"%s\",\"team\":\"team-%d\",\"from\":\"%s\",\"to\":\"%s\","
		    "\"gpu_seconds\":600},"
		    "{\"pool\":\"%s\",\"team\":\"team-%d\",\"from\":\"%s\",\"to\":\"%s\","
		    "\"gpu_seconds\":1200}]}", (unsigned long long)seq, pools[p], t, from, to,
		    pools[p], (t + 2) % NTEAMS, from, to);
		tok = agent_tok[p];
		cn->want = 202;
		break;
	case K_OUTAGE:
		method = "POST";
		/* Far in the future and inside free capacity: 32 of 64 cards are granted. */
		bench_fmt_instant(now + 500 * DAY + (time_t)(seq % 1000) * 3600, from, sizeof(from));
		bench_fmt_instant(now + 500 * DAY + (time_t)(seq % 1000) * 3600 + 600, to, sizeof(to));
		snprintf(path, sizeof(path), "/v1/pools/%s/outages", pools[p]);
		snprintf(cn->body, sizeof(cn->body), "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":4,"
		    "\"reason\":\"soak %llu\"}", from, to, (unsigned long long)seq);
		cn->want = 201;
		break;
	default:
		break;
	}
	seq++;
	snprintf(cn->url, sizeof(cn->url), "%s%s", base, path);
	curl_easy_reset(cn->c);
	curl_slist_free_all(cn->hl);
	cn->hl = NULL;
	curl_easy_setopt(cn->c, CURLOPT_URL, cn->url);
	curl_easy_setopt(cn->c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(cn->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(cn->c, CURLOPT_WRITEDATA, &cn->b);
	curl_easy_setopt(cn->c, CURLOPT_PRIVATE, cn);
	curl_easy_setopt(cn->c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(cn->c, CURLOPT_TCP_NODELAY, 1L);
	if (tok) {
		snprintf(cn->auth, sizeof(cn->auth), "Authorization: Bearer %s", tok);
		cn->hl = curl_slist_append(cn->hl, cn->auth);
	}
	if (cn->body[0]) {
		cn->hl = curl_slist_append(cn->hl, "Content-Type: application/json");
		curl_easy_setopt(cn->c, CURLOPT_POSTFIELDS, cn->body);
	}
	if (cn->idem[0]) {
		char h[128];

		snprintf(h, sizeof(h), "Idempotency-Key: %s", cn->idem);
		cn->hl = curl_slist_append(cn->hl, h);
	}
	cn->hl = curl_slist_append(cn->hl, "Expect:");
	curl_easy_setopt(cn->c, CURLOPT_HTTPHEADER, cn->hl);
	free(cn->b.p);
	cn->b.p = NULL;
	cn->b.n = 0;
}

static void
finished(struct conn *cn, CURLcode rc)
{
	long status = 0;
	curl_off_t us = 0;
	json_t *j;

	if (rc == CURLE_OK)
		curl_easy_getinfo(cn->c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(cn->c, CURLINFO_TOTAL_TIME_T, &us);
	if (cn->k == K_HOLD && status == 201 && cn->b.p &&
	    (j = json_loads(cn->b.p, 0, NULL)) != NULL) {
		const char *id = json_string_value(json_object_get(j, "id"));

		if (id && !cn->idem[0])
			ring_push(id);
		json_decref(j);
	}
	if (status != cn->want) {
		bad_total++;
		if (bad_total <= 10)
			fprintf(stderr, "soak: %s %s: %ld (want %ld) %s%s\n", kind_name[cn->k],
			    cn->url, status, cn->want, rc == CURLE_OK ? "" : curl_easy_strerror(rc),
			    cn->b.p ? cn->b.p : "");
	}
	if (!measuring)
		return;
	st.n[cn->k]++;
	if (status != cn->want)
		st.bad[cn->k]++;
	if (st.nlat == st.cap) {
		st.cap = st.cap ? st.cap * 2 : 1 << 16;
		if ((st.lat = realloc(st.lat, st.cap * sizeof(double))) == NULL)
			bench_die("out of memory");
	}
	st.lat[st.nlat++] = (double)us / 1000.0;
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static long
counter(const char *metrics, const char *name)
{
	const char *p = metrics;
	size_t n = strlen(name);

	while ((p = strstr(p, name)) != NULL) {
		if ((p == metrics || p[-1] == '\n') && p[n] == ' ')
			return strtol(p + n + 1, NULL, 10);
		p += n;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct conn *conns;
	CURLM *m;
	unsigned seed = 1;
	double t0, t_measure, t_end, next_slot, last_rss = 0, slot;
	long rss_start = -1, rss_end = -1, rss_max = 0, rss_min = -1;
	uint64_t lagged = 0;
	int ch, status, fail = 0;
	struct utsname u;
	char errpath[700];

	bench.name = "soak";
	bench.die_status = 2;
	bench.die_signal = SIGKILL;
	while ((ch = getopt(argc, argv, "b:D:d:w:c:r:s:")) != -1) {
		switch (ch) {
		case 'b': bench.grantd_bin = optarg; break;
		case 'D': bench.dir_base = optarg; break;
		case 'd': seconds = atoi(optarg); break;
		case 'w': warmup = atoi(optarg); break;
		case 'c': nconns = atoi(optarg); break;
		case 'r': rate = atoi(optarg); break;
		case 's': seed = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: soak -b GRANTD [-D DIR] [-d SECONDS] [-w WARMUP] "
			    "[-c CONNS] [-r REQ_PER_S] [-s SEED]\n");
			return 2;
		}
	}
	if (nconns < 1 || nconns > MAX_CONNS || rate < 1 || seconds < 1 || warmup < 0)
		bench_die("bad options");
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	bench_make_dir();
	snprintf(errpath, sizeof(errpath), "%s/grantd.err", bench.dir);
	bench_start_grantd(1024, NULL, errpath);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", bench.port);
	setup_world();
	uname(&u);
	printf("soak: grantd %s pid %d, %s %s, db %s\n", bench.grantd_bin, (int)bench.pid, u.sysname,
	    u.release, bench.db_path);
	printf("soak: %d connections, at most %d req/s, %d s warm-up, %d s measured, seed %u\n",
	    nconns, rate, warmup, seconds, seed);
	fflush(stdout);

	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)nconns * 2);
	conns = calloc((size_t)nconns, sizeof(*conns));
	for (int i = 0; i < nconns; i++)
		conns[i].c = curl_easy_init();
	slot = 1.0 / rate;
	t0 = now_s();
	t_measure = t0 + warmup;
	t_end = t_measure + seconds;
	next_slot = t0;
	for (;;) {
		double now = now_s();
		int running, left;
		CURLMsg *msg;

		if (!measuring && now >= t_measure) {
			measuring = true;
			rss_start = rss_kb(bench.pid);
			rss_min = rss_max = rss_start;
			printf("soak: warm-up over, VmRSS %ld kB\n", rss_start);
			fflush(stdout);
		}
		if (now - last_rss >= 5.0) {
			long r = rss_kb(bench.pid);

			if (r < 0)
				bench_die("grantd (pid %d) is gone", (int)bench.pid);
			if (measuring) {
				if (r > rss_max)
					rss_max = r;
				if (r < rss_min)
					rss_min = r;
				if ((int)(now - t_measure) % 60 < 5 && now - t_measure >= 5)
					printf("soak: %4.0f s: %llu requests, VmRSS %ld kB\n",
					    now - t_measure, (unsigned long long)st.nlat, r);
				fflush(stdout);
			}
			last_rss = now;
		}
		running = 0;
		for (int i = 0; i < nconns; i++)
			running += conns[i].busy;
		if (now >= t_end && running == 0)
			break;
		/* Start what the rate allows on the free connections. */
		for (int i = 0; i < nconns && now < t_end; i++) {
			if (conns[i].busy || now < next_slot)
				continue;
			prepare(&conns[i], &seed);
			curl_multi_add_handle(m, conns[i].c);
			conns[i].busy = true;
			next_slot += slot;
			if (next_slot < now - 1.0) {
				/* More than a second behind: the server is the bottleneck. */
				lagged++;
				next_slot = now - 1.0;
			}
		}
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left)) != NULL) {
			struct conn *cn;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&cn);
			finished(cn, msg->data.result);
			curl_multi_remove_handle(m, cn->c);
			cn->busy = false;
		}
		curl_multi_poll(m, NULL, 0, 1, NULL);
	}
	rss_end = rss_kb(bench.pid);

	/* The results. */
	{
		uint64_t total = 0, writes = 0;
		char *metrics = NULL;
		json_t *j = NULL;
		CURL *c;
		struct buf b = { NULL, 0 };
		char url[128];
		double growth;

		for (int k = 0; k < K_N; k++) {
			total += st.n[k];
			if (k >= K_HOLD)
				writes += st.n[k];
		}
		qsort(st.lat, st.nlat, sizeof(double), cmp_d);
		printf("soak: %llu requests in %d s: %.1f req/s (%llu changes, %.1f/s); "
		    "%llu slots more than 1 s late\n", (unsigned long long)total, seconds,
		    (double)total / seconds, (unsigned long long)writes, (double)writes / seconds,
		    (unsigned long long)lagged);
		printf("soak: latency p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms\n",
		    pct(st.lat, st.nlat, 0.50), pct(st.lat, st.nlat, 0.99),
		    pct(st.lat, st.nlat, 0.999), st.nlat ? st.lat[st.nlat - 1] : 0.0);
		for (int k = 0; k < K_N; k++)
			printf("soak:   %-18s %8llu  unexpected %llu\n", kind_name[k],
			    (unsigned long long)st.n[k], (unsigned long long)st.bad[k]);
		growth = rss_start > 0 ? 100.0 * (double)(rss_end - rss_start) / (double)rss_start :
		    0;
		printf("soak: VmRSS start %ld kB, end %ld kB (%+.2f %%), min %ld kB, max %ld kB\n",
		    rss_start, rss_end, growth, rss_min, rss_max);
		if (growth >= 5.0) {
			printf("soak: FAIL: resident memory grew by 5 %% or more\n");
			fail = 1;
		}
		if (bad_total) {
			printf("soak: FAIL: %llu unexpected statuses (warm-up included)\n",
			    (unsigned long long)bad_total);
			fail = 1;
		}
		c = curl_easy_init();
		snprintf(url, sizeof(url), "%s/metrics", base);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		if (curl_easy_perform(c) == CURLE_OK && b.p) {
			metrics = b.p;
			printf("soak: grantd commits %ld, changes %ld, commit failures %ld\n",
			    counter(metrics, "grantd_commits_total"),
			    counter(metrics, "grantd_commit_batch_size_sum"),
			    counter(metrics, "grantd_commit_failures_total"));
		}
		curl_easy_cleanup(c);
		free(metrics);
		if (sync_req("GET", "/v1/vouchers/verify", auditor_tok, NULL, &j) != 200 ||
		    !json_is_true(json_object_get(j, "ok"))) {
			printf("soak: FAIL: GET /v1/vouchers/verify is not ok\n");
			fail = 1;
		}
		json_decref(j);
		j = NULL;
		if (sync_req("GET", "/v1/audit/verify", auditor_tok, NULL, &j) != 200 ||
		    !json_is_true(json_object_get(j, "ok"))) {
			printf("soak: FAIL: GET /v1/audit/verify is not ok\n");
			fail = 1;
		} else {
			printf("soak: audit verify ok, %lld entries\n",
			    (long long)json_integer_value(json_object_get(j, "entries")));
		}
		json_decref(j);
	}
	for (int i = 0; i < nconns; i++) {
		curl_slist_free_all(conns[i].hl);
		curl_easy_cleanup(conns[i].c);
		free(conns[i].b.p);
	}
	curl_multi_cleanup(m);
	kill(bench.pid, SIGTERM);
	waitpid(bench.pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		printf("soak: FAIL: grantd ended with status 0x%x after SIGTERM\n", status);
		fail = 1;
	}
	{
		struct stat sb;

		if (stat(bench.db_path, &sb) == 0)
			printf("soak: database %s: %lld bytes\n", bench.db_path, (long long)sb.st_size);
	}
	printf("soak: %s\n", fail ? "FAILED" : "passed");
	/* A failed run keeps its directory (database, grantd.err) for a look. */
	if (!fail)
		bench_remove_dir();
	free(st.lat);
	curl_global_cleanup();
	return fail;
}
