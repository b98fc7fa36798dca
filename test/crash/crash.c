/* crash.c: SIGKILL grantd under concurrent writes; nothing acknowledged may be lost. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The driver.  grantd runs on a fresh database in a temporary directory,
 * with a fixed clock (no hold expires, no timer changes anything).  After a
 * set-up (programme, phase, two pools, supplier, agent tokens), every round:
 *
 *   1. C requests are kept in flight (libcurl multi) from a seeded random
 *      mix of changes: teams (new, and existing ids with another body:
 *      409), pools, enrollments (the scheduler, or an explicit split;
 *      dry_run false), outages (some too large: 4xx), voucher holds (some
 *      beyond the funds: 409), settlements (whole and partial), voids,
 *      refunds, usage batches (some naming an unknown team: 400).  Every
 *      request carries X-Request-Id "c-ROUND-SEQ", which grantd writes into
 *      the audit entry of the change.  Each request and its outcome goes to
 *      the journal (DIR/journal.log): a status, or "no response" when it was
 *      in flight at the kill.
 *   2. After a seeded random delay grantd gets SIGKILL.
 *   3. `grantd audit verify --db` and `grantd ledger verify --db` must exit 0
 *      on the database as the kill left it.
 *   4. grantd restarts, and every request of every round so far is checked
 *      against what the API now shows:
 *        - a 2xx change is present (its audit entry, and its object: the team,
 *          pool, enrollment with the same grants, hold with its amount, the
 *          settle or void in the hold's state, the refund in refunded_krw,
 *          the outage);
 *        - a refused change (4xx or 5xx) is absent: no audit entry, no object;
 *        - a change without a response is all there or not at all: its audit
 *          entry exists exactly when its object does;
 *        - every audit entry of ours belongs to a request of the journal;
 *        - each hold's state is explained by exactly one settle or void, and
 *          its refunded_krw is the sum of the refunds present;
 *        - each team's voucher figures equal the sums over its holds, and
 *          available_krw = budget - held - settled + refunded - returned >= 0;
 *        - no pool is over capacity: every timeline segment has allocated <=
 *          capacity and free = capacity - allocated, without gaps;
 *        - GET /v1/audit/verify and /v1/vouchers/verify say ok;
 *        - every hold of the round that is there (acknowledged or not), sent
 *          again with its Idempotency-Key, is replayed: 201, the same id, and
 *          still one hold with its memo.
 *
 * A last SIGTERM must end grantd with status 0, and the offline verifies
 * pass once more.  Exit status 0 when everything held, 1 on a violation
 * (each is printed; the directory is kept), 2 on a driver error.
 *
 * With -T (a self-test of the checks) the driver itself deletes an
 * acknowledged team from the database after a kill, and the run must fail
 * saying so.  The seed fixes the requests chosen and the kill delays; how
 * many requests complete before each kill still depends on timing.
 *
 *   crash -b build/grantd [-k KILLS] [-s SEED] [-c CONCURRENCY] [-D DIR] [-K] [-T]
 */

#define MAXC 64
#define PHASE "ph"
#define BUDGET INT64_C(1000000)
#define MAX_POOLS 12

static const char *grantd_bin = "build/grantd";
static const char *dir_base = "/tmp";
static int kills = 50, conc = 8;
static bool keep_dir, tamper;
static uint64_t seed;

static char dir[512], db_path[600], conf_path[600], clock_path[600], log_path[600],
    journal_path[600], base[64], admin[128], agent_tok[2][128];
static pid_t gpid = -1;
static FILE *journal;
static int failures;
static int round_no;
static size_t unknown_present, unknown_absent, retries;

/* ------------------------------------------------------------------ */
/* Utilities. */

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "crash: error: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (seed %" PRIu64 ", directory %s kept)\n", seed, dir);
	va_end(ap);
	if (gpid > 0)
		kill(gpid, SIGKILL);
	exit(2);
}

static void
fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	if (failures > 200)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "crash: FAIL (round %d): ", round_no);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static uint64_t rng;

static uint64_t
rnd(void)
{
	/* xorshift64*: the same seed gives the same requests and kill delays. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * UINT64_C(2685821657736338717);
}

static int64_t
rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* An instant d days and h hours after 2026-03-01T00:00:00Z. */
static void
instant(int d, int h, char *buf, size_t len)
{
	time_t t = (time_t)1772323200 + (time_t)d * 86400 + (time_t)h * 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int64_t
jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Runs argv; returns its exit status, its output (stdout and stderr) in out. */
static int
run_cmd(char *const argv[], char *out, size_t len)
{
	int p[2], st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], out + got, len - 1 - got)) > 0 && got + (size_t)n < len - 1)
		got += (size_t)n;
	if (n > 0)
		got += (size_t)n;
	out[got < len ? got : len - 1] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ------------------------------------------------------------------ */
/* grantd. */

static void
start_grantd(void)
{
	char line[256];
	size_t len = 0;
	int p[2];
	ssize_t n;

	if (pipe(p) < 0 || (gpid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (gpid == 0) {
		int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);

		dup2(p[1], 1);
		if (fd >= 0)
			dup2(fd, 2);
		close(p[0]);
		close(p[1]);
		execl(grantd_bin, grantd_bin, "-c", conf_path, "--clock-file", clock_path,
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(line) - 1 && (n = read(p[0], line + len, 1)) == 1)
		if (line[len++] == '\n')
			break;
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	/* grantd writes nothing more to stdout; the pipe is not needed. */
	close(p[0]);
	if (strncmp(line, "listening on ", 13) != 0) {
		int st;

		waitpid(gpid, &st, 0);
		gpid = -1;
		fail("grantd did not start after the kill (said '%s', exit 0x%x); see %s", line,
		    st, log_path);
		die("cannot go on without grantd");
	}
	snprintf(base, sizeof(base), "http://%.50s", line + 13);
}

static void
kill_grantd(void)
{
	int st;

	kill(gpid, SIGKILL);
	waitpid(gpid, &st, 0);
	gpid = -1;
}

static void
offline_verify(const char *when)
{
	char out[4096];
	char *a[] = { (char *)grantd_bin, "audit", "verify", "--db", db_path, NULL };
	char *l[] = { (char *)grantd_bin, "ledger", "verify", "--db", db_path, NULL };
	int rc;

	if ((rc = run_cmd(a, out, sizeof(out))) != 0)
		fail("grantd audit verify --db exits %d %s: %s", rc, when, out);
	if ((rc = run_cmd(l, out, sizeof(out))) != 0)
		fail("grantd ledger verify --db exits %d %s: %s", rc, when, out);
}

/* ------------------------------------------------------------------ */
/* HTTP. */

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

/* A synchronous request with the admin token; the parsed body in *out. */
static long
get_json(const char *path, json_t **out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = { NULL, 0 };
	char url[1024], auth[200];
	long status = 0;

	snprintf(url, sizeof(url), "%s%s", base, path);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", admin);
	hl = curl_slist_append(hl, auth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	*out = b.p ? json_loads(b.p, 0, NULL) : NULL;
	free(b.p);
	return status;
}

/* Every item of a paginated list (follows "next"). */
static json_t *
get_all(const char *path)
{
	json_t *all = json_array(), *j, *items;
	char p[1024], *next = NULL;
	const char *sep = strchr(path, '?') ? "&" : "?";

	for (;;) {
		if (next)
			snprintf(p, sizeof(p), "%s%slimit=1000&after=%s", path, sep, next);
		else
			snprintf(p, sizeof(p), "%s%slimit=1000", path, sep);
		free(next);
		next = NULL;
		if (get_json(p, &j) != 200 || j == NULL)
			die("GET %s failed", p);
		items = json_object_get(j, "items");
		json_array_extend(all, items);
		if (json_is_string(json_object_get(j, "next")))
			next = strdup(jstr(j, "next"));
		else if (json_is_integer(json_object_get(j, "next")) &&
		    asprintf(&next, "%" PRId64, jint(j, "next")) < 0)
			next = NULL;
		json_decref(j);
		if (next == NULL)
			break;
	}
	return all;
}

/* ------------------------------------------------------------------ */
/* The model: what the driver believes exists, to choose sensible requests. */

enum okind { O_TEAM, O_TEAM_DUP, O_POOL, O_ENROLL, O_OUTAGE, O_HOLD, O_SETTLE, O_VOID,
	O_REFUND, O_USAGE, O_SETUP, O_N };
static const char *const okind_name[O_N] = { "team", "team-dup", "pool", "enroll", "outage",
	"hold", "settle", "void", "refund", "usage", "setup" };
static const int oweight[O_SETUP] = { 10, 2, 1, 14, 6, 26, 10, 6, 5, 20 };

enum outcome { OC_ACK, OC_ERR, OC_UNKNOWN };

struct op {
	int round;
	enum okind k;
	enum outcome oc;
	long status;
	char rid[40];
	char method[8];
	char path[160];
	char *body;
	json_t *resp;
	char id[48];		/* team or pool id; hold id (response); batch id */
	char ref[48];		/* enroll/hold: team; settle/void: hold; refund: hold; outage: pool */
	char name[48];		/* team name sent (team, team-dup) */
	int64_t amount;
	bool present;		/* set by the last check */
};

static struct op *ops;
static size_t nops, capops;

struct team {
	char id[48];
	bool enrolled, trying;
};
struct pool {
	char id[48];
	int cards;
	bool h100;
};
struct hold {
	char id[48], team[48], stl[48];
	int64_t amount, settled, refunded;
	int state;		/* 0 pending, 1 settled, 2 voided, 3 expired */
};

static struct team *teams;
static size_t nteams, capteams;
static struct pool pools[64];
static size_t npools;
static struct hold *holds;
static size_t nholds, capholds;

static void *
grow(void *p, size_t *cap, size_t n, size_t sz)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 256;
	if ((p = realloc(p, *cap * sz)) == NULL)
		die("out of memory");
	return p;
}

static void
add_team(const char *id, bool enrolled)
{
	teams = grow(teams, &capteams, nteams, sizeof(*teams));
	memset(&teams[nteams], 0, sizeof(teams[0]));
	snprintf(teams[nteams].id, sizeof(teams[0].id), "%s", id);
	teams[nteams++].enrolled = enrolled;
}

static struct team *
find_team(const char *id)
{
	for (size_t i = 0; i < nteams; i++)
		if (strcmp(teams[i].id, id) == 0)
			return &teams[i];
	return NULL;
}

static void
add_hold(const json_t *h)
{
	holds = grow(holds, &capholds, nholds, sizeof(*holds));
	memset(&holds[nholds], 0, sizeof(holds[0]));
	snprintf(holds[nholds].id, sizeof(holds[0].id), "%s", jstr(h, "id"));
	snprintf(holds[nholds].team, sizeof(holds[0].team), "%s", jstr(h, "team"));
	snprintf(holds[nholds].stl, sizeof(holds[0].stl), "%s", jstr(h, "settlement"));
	holds[nholds].amount = jint(h, "amount_krw");
	holds[nholds].settled = jint(h, "settled_krw");
	holds[nholds].refunded = jint(h, "refunded_krw");
	holds[nholds].state = strcmp(jstr(h, "state"), "pending") == 0 ? 0 :
	    strcmp(jstr(h, "state"), "settled") == 0 ? 1 :
	    strcmp(jstr(h, "state"), "voided") == 0 ? 2 : 3;
	nholds++;
}

static struct hold *
find_hold(const char *id)
{
	for (size_t i = 0; i < nholds; i++)
		if (strcmp(holds[i].id, id) == 0)
			return &holds[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Requests in flight. */

struct slot {
	CURL *c;
	struct curl_slist *hl;
	struct buf b;
	size_t op;
	bool busy;
	char url[256];
};

static struct slot slots[MAXC];
static CURLM *multi;
static unsigned seqno;

static struct op *
new_op(enum okind k, const char *method, const char *path)
{
	struct op *o;

	ops = grow(ops, &capops, nops, sizeof(*ops));
	o = &ops[nops++];
	memset(o, 0, sizeof(*o));
	o->round = round_no;
	o->k = k;
	o->oc = OC_UNKNOWN;
	snprintf(o->rid, sizeof(o->rid), "c-%d-%u", round_no, seqno++);
	snprintf(o->method, sizeof(o->method), "%s", method);
	snprintf(o->path, sizeof(o->path), "%s", path);
	return o;
}

static void
set_body(struct op *o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&o->body, fmt, ap) < 0)
		die("out of memory");
	va_end(ap);
}

static void
journal_op(const struct op *o, const char *resp)
{
	fprintf(journal, "round %d %s %s %s %s -> ", o->round, o->rid, okind_name[o->k],
	    o->method, o->path);
	if (o->oc == OC_UNKNOWN)
		fprintf(journal, "no response");
	else
		fprintf(journal, "%ld", o->status);
	fprintf(journal, "\n  request  %s\n  response %s\n", o->body ? o->body : "",
	    resp ? resp : "");
	fflush(journal);
}

static void
start_op(struct slot *s, size_t idx, const char *token)
{
	struct op *o = &ops[idx];
	char h[200];

	s->op = idx;
	curl_easy_reset(s->c);
	curl_slist_free_all(s->hl);
	s->hl = NULL;
	free(s->b.p);
	s->b.p = NULL;
	s->b.n = 0;
	snprintf(s->url, sizeof(s->url), "%s%s", base, o->path);
	curl_easy_setopt(s->c, CURLOPT_URL, s->url);
	curl_easy_setopt(s->c, CURLOPT_CUSTOMREQUEST, o->method);
	curl_easy_setopt(s->c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(s->c, CURLOPT_WRITEDATA, &s->b);
	curl_easy_setopt(s->c, CURLOPT_PRIVATE, s);
	curl_easy_setopt(s->c, CURLOPT_TIMEOUT, 60L);
	snprintf(h, sizeof(h), "Authorization: Bearer %s", token);
	s->hl = curl_slist_append(s->hl, h);
	snprintf(h, sizeof(h), "X-Request-Id: %s", o->rid);
	s->hl = curl_slist_append(s->hl, h);
	s->hl = curl_slist_append(s->hl, "Content-Type: application/json");
	s->hl = curl_slist_append(s->hl, "Expect:");
	if (o->k == O_HOLD) {
		/* Money: a client retries a hold with its key (checked after each restart). */
		snprintf(h, sizeof(h), "Idempotency-Key: %s", o->rid);
		s->hl = curl_slist_append(s->hl, h);
	}
	curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, s->hl);
	curl_easy_setopt(s->c, CURLOPT_POSTFIELDS, o->body ? o->body : "");
	curl_multi_add_handle(multi, s->c);
	s->busy = true;
}

/* What a 2xx teaches the model. */
static void
learn(struct op *o)
{
	struct team *t;
	struct hold *h;

	switch (o->k) {
	case O_TEAM:
		add_team(o->id, false);
		break;
	case O_POOL:
		break;
	case O_ENROLL:
		if ((t = find_team(o->ref)) != NULL)
			t->enrolled = true;
		break;
	case O_HOLD:
		snprintf(o->id, sizeof(o->id), "%s", jstr(o->resp, "id"));
		add_hold(o->resp);
		break;
	case O_SETTLE:
		if ((h = find_hold(o->ref)) != NULL) {
			h->state = 1;
			h->settled = jint(o->resp, "settled_krw");
			snprintf(h->stl, sizeof(h->stl), "%s", jstr(o->resp, "settlement"));
		}
		break;
	case O_VOID:
		if ((h = find_hold(o->ref)) != NULL)
			h->state = 2;
		break;
	case O_REFUND:
		if ((h = find_hold(o->ref)) != NULL)
			h->refunded += o->amount;
		break;
	default:
		break;
	}
}

static void
finish_op(struct slot *s, CURLcode rc)
{
	struct op *o = &ops[s->op];
	long status = 0;

	s->busy = false;
	curl_multi_remove_handle(multi, s->c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status == 0) {
		o->oc = OC_UNKNOWN;
		journal_op(o, s->b.p);
	} else {
		o->status = status;
		o->oc = status >= 200 && status < 300 ? OC_ACK : OC_ERR;
		o->resp = s->b.p ? json_loads(s->b.p, 0, NULL) : NULL;
		journal_op(o, s->b.p);
		if (o->oc == OC_ACK)
			learn(o);
		if (o->k == O_ENROLL && o->oc == OC_ERR) {
			struct team *t = find_team(o->ref);

			if (t)
				t->trying = false;
		}
		if (status >= 500 && gpid > 0)
			fail("%s %s got %ld while grantd ran: %s", o->method, o->path, status,
			    s->b.p ? s->b.p : "");
	}
}

/* Chooses the next change from the model. */
static size_t
make_op(const char **token)
{
	char path[160], from[32], to[32];
	int w = (int)rnd_in(0, 99), k;
	struct op *o;
	struct team *t = NULL;
	struct hold *h = NULL;

	*token = admin;
	for (k = 0; k < O_SETUP; k++) {
		if (w < oweight[k])
			break;
		w -= oweight[k];
	}
	/* Fall back to a new team when the chosen change has nothing to act on. */
	if (k == O_POOL && npools >= MAX_POOLS)
		k = O_TEAM;
	if (k == O_ENROLL || k == O_TEAM_DUP) {
		size_t start = (size_t)rnd_in(0, nteams ? (int64_t)nteams - 1 : 0);

		for (size_t i = 0; i < nteams && t == NULL; i++) {
			struct team *c = &teams[(start + i) % nteams];

			if (k == O_TEAM_DUP || (!c->enrolled && !c->trying))
				t = c;
		}
		if (t == NULL)
			k = O_TEAM;
	}
	if (k == O_HOLD) {
		size_t start = (size_t)rnd_in(0, nteams ? (int64_t)nteams - 1 : 0);

		for (size_t i = 0; i < nteams && t == NULL; i++)
			if (teams[(start + i) % nteams].enrolled)
				t = &teams[(start + i) % nteams];
		if (t == NULL)
			k = O_TEAM;
	}
	if (k == O_SETTLE || k == O_VOID || k == O_REFUND) {
		size_t start = (size_t)rnd_in(0, nholds ? (int64_t)nholds - 1 : 0);

		for (size_t i = 0; i < nholds && h == NULL; i++) {
			struct hold *c = &holds[(start + i) % nholds];

			if (k == O_REFUND ? c->state == 1 && c->settled > c->refunded : c->state == 0)
				h = c;
		}
		if (h == NULL)
			k = O_HOLD;
		if (k == O_HOLD) {
			for (size_t i = 0; i < nteams && t == NULL; i++)
				if (teams[i].enrolled)
					t = &teams[i];
			if (t == NULL)
				k = O_TEAM;
		}
	}

	switch (k) {
	case O_TEAM:
		o = new_op(O_TEAM, "POST", "/v1/teams");
		snprintf(o->id, sizeof(o->id), "t-%u", seqno);
		snprintf(o->name, sizeof(o->name), "Team %u", seqno);
		set_body(o, "{\"id\":\"%s\",\"name\":\"%s\",\"lead_org\":\"Org %u\","
		    "\"members\":[{\"org\":\"Org %u\",\"role\":\"lead\"}]}", o->id, o->name, seqno,
		    seqno);
		break;
	case O_TEAM_DUP:
		o = new_op(O_TEAM_DUP, "POST", "/v1/teams");
		snprintf(o->id, sizeof(o->id), "%s", t->id);
		snprintf(o->name, sizeof(o->name), "Other %u", seqno);
		set_body(o, "{\"id\":\"%s\",\"name\":\"%s\",\"lead_org\":\"Org\"}", o->id,
		    o->name);
		break;
	case O_POOL:
		o = new_op(O_POOL, "POST", "/v1/pools");
		snprintf(o->id, sizeof(o->id), "p-%u", seqno);
		set_body(o, "{\"id\":\"%s\",\"provider\":\"P\",\"site\":\"S\","
		    "\"card_model\":\"%s\",\"cards\":%d}", o->id, rnd() % 2 ? "B200" : "H100",
		    (int)rnd_in(8, 48));
		break;
	case O_ENROLL:
		snprintf(path, sizeof(path), "/v1/phases/%s/enrollments", PHASE);
		o = new_op(O_ENROLL, "POST", path);
		snprintf(o->ref, sizeof(o->ref), "%s", t->id);
		t->trying = true;
		if (rnd() % 4 == 0 && npools > 0) {
			struct pool *p = &pools[rnd() % npools];

			/* An explicit split at the phase's start: often over capacity. */
			set_body(o, "{\"team\":\"%s\",\"dry_run\":false,\"grants\":[{\"pool\":\"%s\","
			    "\"cards\":%d}]}", t->id, p->id, p->h100 ? 16 : 8);
		} else {
			set_body(o, "{\"team\":\"%s\",\"dry_run\":false}", t->id);
		}
		break;
	case O_OUTAGE: {
		struct pool *p = &pools[rnd() % npools];
		int d = (int)rnd_in(0, 400), hh = (int)rnd_in(0, 23);

		snprintf(path, sizeof(path), "/v1/pools/%s/outages", p->id);
		o = new_op(O_OUTAGE, "POST", path);
		snprintf(o->ref, sizeof(o->ref), "%s", p->id);
		instant(d, hh, from, sizeof(from));
		instant(d, hh + (int)rnd_in(1, 96), to, sizeof(to));
		/* One in eight asks for more cards than the pool has. */
		set_body(o, "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":%d,\"reason\":\"%s\"}", from,
		    to, rnd() % 8 == 0 ? p->cards + 1 : (int)rnd_in(1, p->cards), o->rid);
		break;
	}
	case O_HOLD:
		o = new_op(O_HOLD, "POST", "/v1/vouchers/holds");
		snprintf(o->ref, sizeof(o->ref), "%s", t->id);
		o->amount = rnd_in(1, BUDGET / 4);
		set_body(o, "{\"team\":\"%s\",\"phase\":\"%s\",\"supplier\":\"sup\","
		    "\"amount_krw\":%" PRId64 ",\"memo\":\"%s\"}", t->id, PHASE, o->amount, o->rid);
		break;
	case O_SETTLE:
		snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/settle", h->id);
		o = new_op(O_SETTLE, "POST", path);
		snprintf(o->ref, sizeof(o->ref), "%s", h->id);
		if (rnd() % 2) {
			o->amount = rnd_in(1, h->amount);
			set_body(o, "{\"amount_krw\":%" PRId64 "}", o->amount);
		} else {
			o->amount = h->amount;
			set_body(o, "{}");
		}
		break;
	case O_VOID:
		snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/void", h->id);
		o = new_op(O_VOID, "POST", path);
		snprintf(o->ref, sizeof(o->ref), "%s", h->id);
		set_body(o, "{\"reason\":\"crash test\"}");
		break;
	case O_REFUND:
		snprintf(path, sizeof(path), "/v1/vouchers/settlements/%s/refund", h->stl);
		o = new_op(O_REFUND, "POST", path);
		snprintf(o->ref, sizeof(o->ref), "%s", h->id);
		/* Sometimes more than is left: 409. */
		o->amount = rnd_in(1, h->settled - h->refunded + (rnd() % 4 == 0 ? 1000 : 0));
		set_body(o, "{\"amount_krw\":%" PRId64 ",\"reason\":\"%s\"}", o->amount, o->rid);
		break;
	case O_USAGE:
	default: {
		int p = (int)(rnd() % 2), n = (int)rnd_in(1, 3);
		char samples[1024];
		size_t len = 0;

		o = new_op(O_USAGE, "POST", "/v1/usage");
		snprintf(o->id, sizeof(o->id), "b-%s", o->rid);
		for (int i = 0; i < n; i++) {
			int hh = (int)rnd_in(0, 22);
			const char *tm = nteams && rnd() % 10 ? teams[rnd() % nteams].id : "nobody";

			instant(0, hh, from, sizeof(from));
			instant(0, hh + 1, to, sizeof(to));
			len += (size_t)snprintf(samples + len, sizeof(samples) - len,
			    "%s{\"pool\":\"%s\",\"team\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
			    "\"gpu_seconds\":%d}", i ? "," : "", p ? "pool-b" : "pool-a", tm, from, to,
			    (int)rnd_in(1, 3600));
		}
		set_body(o, "{\"batch_id\":\"%s\",\"samples\":[%s]}", o->id, samples);
		*token = agent_tok[p];
		break;
	}
	}
	return nops - 1;
}

/* Runs requests until the kill moment, then SIGKILL; drains what is left. */
static void
run_round(double kill_after)
{
	double t0 = now_s(), t_kill = t0 + kill_after;
	bool killed = false;
	int running;
	CURLMsg *m;
	int left;

	for (;;) {
		double now = now_s();

		if (!killed && now >= t_kill) {
			kill_grantd();
			killed = true;
			t_kill = now;
		}
		if (!killed) {
			for (int i = 0; i < conc; i++) {
				const char *tok;
				size_t idx;

				if (slots[i].busy)
					continue;
				idx = make_op(&tok);
				start_op(&slots[i], idx, tok);
			}
		}
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			struct slot *s;

			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			finish_op(s, m->data.result);
		}
		if (killed) {
			bool any = false;

			for (int i = 0; i < conc; i++)
				any |= slots[i].busy;
			if (!any)
				break;
			if (now - t_kill > 10)
				die("requests still open 10 s after the kill");
		}
		curl_multi_poll(multi, NULL, 0, 5, NULL);
	}
}

/* ------------------------------------------------------------------ */
/* The checks. */

static bool
audit_has(const json_t *set, const char *rid)
{
	return json_object_get(set, rid) != NULL;
}

static const char *
outcome_name(const struct op *o)
{
	static char s[32];

	if (o->oc == OC_UNKNOWN)
		return "no response";
	snprintf(s, sizeof(s), "%ld", o->status);
	return s;
}

/* What the API shows now. */
struct state {
	json_t *audit;		/* request_id -> number of entries */
	json_t *teams;		/* id -> team */
	json_t *pools;		/* id -> pool */
	json_t *enr;		/* team -> enrollment */
	json_t *holds;		/* id -> hold */
	json_t *hold_by_memo;	/* memo -> hold */
	json_t *outages;	/* reason -> outage */
};

static json_t *
index_by(json_t *arr, const char *key)
{
	json_t *m = json_object(), *v;
	size_t i;

	json_array_foreach(arr, i, v)
		json_object_set(m, jstr(v, key), v);
	return m;
}

static void
load_state(struct state *s)
{
	json_t *a, *v, *pl;
	size_t i;
	char path[256];

	a = get_all("/v1/audit");
	s->audit = json_object();
	json_array_foreach(a, i, v) {
		const char *rid = jstr(v, "request_id");

		json_object_set_new(s->audit, rid,
		    json_integer(jint(s->audit, rid) + 1));
	}
	json_decref(a);
	a = get_all("/v1/teams");
	s->teams = index_by(a, "id");
	json_decref(a);
	pl = get_all("/v1/pools");
	s->pools = index_by(pl, "id");
	snprintf(path, sizeof(path), "/v1/phases/%s/enrollments", PHASE);
	a = get_all(path);
	s->enr = index_by(a, "team");
	json_decref(a);
	a = get_all("/v1/vouchers/holds");
	s->holds = index_by(a, "id");
	s->hold_by_memo = index_by(a, "memo");
	json_decref(a);
	s->outages = json_object();
	json_array_foreach(pl, i, v) {
		json_t *o, *x;
		size_t k;

		snprintf(path, sizeof(path), "/v1/pools/%s/outages", jstr(v, "id"));
		o = get_all(path);
		json_array_foreach(o, k, x)
			json_object_set(s->outages, jstr(x, "reason"), x);
		json_decref(o);
	}
	json_decref(pl);
}

static void
free_state(struct state *s)
{
	json_decref(s->audit);
	json_decref(s->teams);
	json_decref(s->pools);
	json_decref(s->enr);
	json_decref(s->holds);
	json_decref(s->hold_by_memo);
	json_decref(s->outages);
}

/* The grant ids of an enrollment, sorted and joined. */
static void
grant_ids(const json_t *enr, char *out, size_t len)
{
	json_t *g;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(enr, "grants"), i, g)
		n += (size_t)snprintf(out + n, n < len ? len - n : 0, "%s,", jstr(g, "id"));
}

static void
check_op(struct op *o, const struct state *s)
{
	bool audited = audit_has(s->audit, o->rid), obj = false;
	const json_t *x;

	if (o->k == O_SETUP)
		return;
	if (o->oc == OC_ACK && !audited)
		fail("%s %s %s got %ld but its audit entry is missing", o->rid, o->method,
		    o->path, o->status);
	if (o->oc == OC_ERR && audited)
		fail("%s %s %s got %ld but has an audit entry", o->rid, o->method, o->path,
		    o->status);
	if (json_integer_value(json_object_get(s->audit, o->rid)) > 1 && o->k != O_ENROLL &&
	    o->k != O_OUTAGE)
		fail("%s has %" PRId64 " audit entries", o->rid,
		    (int64_t)json_integer_value(json_object_get(s->audit, o->rid)));
	switch (o->k) {
	case O_TEAM:
	case O_POOL:
		x = json_object_get(o->k == O_TEAM ? s->teams : s->pools, o->id);
		obj = x != NULL;
		if (o->k == O_TEAM && x && strcmp(jstr(x, "name"), o->name) != 0)
			fail("%s: team %s is named '%s', created as '%s'", o->rid, o->id,
			    jstr(x, "name"), o->name);
		break;
	case O_TEAM_DUP:
		x = json_object_get(s->teams, o->id);
		obj = x && strcmp(jstr(x, "name"), o->name) == 0;
		break;
	case O_ENROLL:
		x = json_object_get(s->enr, o->ref);
		obj = x != NULL;
		if (o->oc == OC_ACK && x) {
			char want[1024], have[1024];

			grant_ids(o->resp, want, sizeof(want));
			grant_ids(x, have, sizeof(have));
			if (strcmp(want, have) != 0)
				fail("%s: enrollment of %s has grants %s, acknowledged with %s",
				    o->rid, o->ref, have, want);
		}
		/* Another request may have enrolled the team: absence is checked per team. */
		if (!audited)
			obj = false;
		break;
	case O_OUTAGE:
		x = json_object_get(s->outages, o->rid);
		obj = x != NULL;
		break;
	case O_HOLD:
		x = json_object_get(s->hold_by_memo, o->rid);
		obj = x != NULL;
		if (x && jint(x, "amount_krw") != o->amount)
			fail("%s: hold %s of %" PRId64 " KRW, asked %" PRId64, o->rid,
			    jstr(x, "id"), jint(x, "amount_krw"), o->amount);
		if (x && o->oc == OC_ACK && strcmp(jstr(x, "id"), o->id) != 0)
			fail("%s: hold with this memo is %s, acknowledged as %s", o->rid,
			    jstr(x, "id"), o->id);
		break;
	case O_SETTLE:
	case O_VOID:
		x = json_object_get(s->holds, o->ref);
		if (x == NULL) {
			if (audited || o->oc == OC_ACK)
				fail("%s: hold %s is gone", o->rid, o->ref);
			return;
		}
		obj = strcmp(jstr(x, "state"), o->k == O_SETTLE ? "settled" : "voided") == 0;
		if (o->oc == OC_ACK && o->k == O_SETTLE && obj &&
		    (strcmp(jstr(x, "settlement"), jstr(o->resp, "settlement")) != 0 ||
		    jint(x, "settled_krw") != jint(o->resp, "settled_krw")))
			fail("%s: hold %s settled as %s/%" PRId64 ", acknowledged %s/%" PRId64,
			    o->rid, o->ref, jstr(x, "settlement"), jint(x, "settled_krw"),
			    jstr(o->resp, "settlement"), jint(o->resp, "settled_krw"));
		/* Absent here means: this request did not make the state (another may have). */
		if (!audited)
			obj = false;
		break;
	case O_REFUND:
	case O_USAGE:
		/* Checked through the audit trail and, for refunds, the sums below. */
		obj = audited;
		break;
	default:
		return;
	}
	if (obj != audited)
		fail("%s %s %s (%s): audit entry %s but the %s %s", o->rid, o->method, o->path,
		    outcome_name(o), audited ? "present" : "absent", okind_name[o->k],
		    obj ? "is there" : "is not there");
	else if (o->oc == OC_ACK && !obj)
		fail("%s %s %s got %ld but the %s is not there", o->rid, o->method, o->path,
		    o->status, okind_name[o->k]);
	else if (o->oc == OC_ERR && obj && o->k != O_SETTLE && o->k != O_VOID)
		fail("%s %s %s got %ld but the %s is there", o->rid, o->method, o->path,
		    o->status, okind_name[o->k]);
	o->present = audited;
	if (o->oc == OC_UNKNOWN && round_no > kills) {
		if (audited)
			unknown_present++;
		else
			unknown_absent++;
	}
}

/* Per hold and per team: states and sums explained by the requests present. */
static void
check_sums(const struct state *s)
{
	json_t *settles = json_object(), *voids = json_object(), *refunds = json_object();
	json_t *enrolls = json_object(), *team_sum = json_object();
	const char *id;
	json_t *h, *t;

	for (size_t i = 0; i < nops; i++) {
		struct op *o = &ops[i];
		json_t *m = o->k == O_SETTLE ? settles : o->k == O_VOID ? voids :
		    o->k == O_REFUND ? refunds : o->k == O_ENROLL ? enrolls : NULL;

		if (m == NULL || !o->present)
			continue;
		json_object_set_new(m, o->ref, json_integer(jint(m, o->ref) +
		    (o->k == O_REFUND ? o->amount : 1)));
	}
	json_object_foreach(s->holds, id, h) {
		const char *st = jstr(h, "state");
		int64_t ns = jint(settles, id), nv = jint(voids, id), sums[4];
		json_t *ts;

		if (ns + nv > 1 || (strcmp(st, "settled") == 0 && ns != 1) ||
		    (strcmp(st, "voided") == 0 && nv != 1) ||
		    (strcmp(st, "pending") == 0 && ns + nv != 0))
			fail("hold %s is %s after %" PRId64 " settle(s) and %" PRId64 " void(s)", id,
			    st, ns, nv);
		if (jint(h, "refunded_krw") != jint(refunds, id))
			fail("hold %s: refunded_krw %" PRId64 ", refunds present %" PRId64, id,
			    jint(h, "refunded_krw"), jint(refunds, id));
		if (strcmp(jstr(h, "phase"), PHASE) != 0)
			continue;
		if ((ts = json_object_get(team_sum, jstr(h, "team"))) == NULL) {
			ts = json_pack("[I,I,I]", (json_int_t)0, (json_int_t)0, (json_int_t)0);
			json_object_set_new(team_sum, jstr(h, "team"), ts);
		}
		sums[0] = json_integer_value(json_array_get(ts, 0)) +
		    (strcmp(st, "pending") == 0 ? jint(h, "amount_krw") : 0);
		sums[1] = json_integer_value(json_array_get(ts, 1)) + jint(h, "settled_krw");
		sums[2] = json_integer_value(json_array_get(ts, 2)) + jint(h, "refunded_krw");
		for (int k = 0; k < 3; k++)
			json_array_set_new(ts, (size_t)k, json_integer(sums[k]));
	}
	/* An enrollment is there exactly when one request that made it is. */
	json_object_foreach(s->enr, id, t)
		if (jint(enrolls, id) != 1)
			fail("enrollment of %s exists, made by %" PRId64 " request(s) of the journal",
			    id, jint(enrolls, id));
	json_object_foreach(enrolls, id, t)
		if (json_object_get(s->enr, id) == NULL)
			fail("enrollment of %s is missing", id);
	/* Each team's voucher against its holds (a sample per round, all at the end). */
	json_object_foreach(team_sum, id, t) {
		char path[128];
		json_t *v = NULL, *it;
		size_t k;

		if (round_no <= kills && rnd() % 4 != 0)
			continue;
		snprintf(path, sizeof(path), "/v1/teams/%s/vouchers", id);
		if (get_json(path, &v) != 200)
			die("GET %s", path);
		json_array_foreach(json_object_get(v, "items"), k, it) {
			int64_t b = jint(it, "budget_krw"), hk = jint(it, "held_krw"),
			    sk = jint(it, "settled_krw"), rk = jint(it, "refunded_krw"),
			    ret = jint(it, "returned_krw"), av = jint(it, "available_krw");

			if (strcmp(jstr(it, "phase"), PHASE) != 0)
				continue;
			if (hk != json_integer_value(json_array_get(t, 0)) ||
			    sk != json_integer_value(json_array_get(t, 1)) ||
			    rk != json_integer_value(json_array_get(t, 2)))
				fail("voucher of %s: held/settled/refunded %" PRId64 "/%" PRId64 "/%"
				    PRId64 ", its holds say %" PRId64 "/%" PRId64 "/%" PRId64, id, hk,
				    sk, rk, json_integer_value(json_array_get(t, 0)),
				    json_integer_value(json_array_get(t, 1)),
				    json_integer_value(json_array_get(t, 2)));
			if (av < 0 || av != b - hk - sk + rk - ret)
				fail("voucher of %s: available %" PRId64 " != %" PRId64 " - %" PRId64
				    " - %" PRId64 " + %" PRId64 " - %" PRId64, id, av, b, hk, sk, rk, ret);
		}
		json_decref(v);
	}
	json_decref(settles);
	json_decref(voids);
	json_decref(refunds);
	json_decref(enrolls);
	json_decref(team_sum);
}

static void
check_capacity(const struct state *s)
{
	const char *id;
	json_t *p;

	json_object_foreach(s->pools, id, p) {
		char path[256], prev[40] = "";
		json_t *tl = NULL, *seg;
		size_t i;

		snprintf(path, sizeof(path), "/v1/pools/%s/timeline?from=2026-01-01T00:00:00Z"
		    "&to=2030-01-01T00:00:00Z", id);
		if (get_json(path, &tl) != 200 || tl == NULL)
			die("GET %s", path);
		json_array_foreach(json_object_get(tl, "segments"), i, seg) {
			int64_t cap = jint(seg, "capacity"), al = jint(seg, "allocated"),
			    fr = jint(seg, "free");

			if (al > cap || fr != cap - al || cap < 0 || al < 0 ||
			    cap > jint(p, "cards"))
				fail("pool %s over capacity in [%s, %s): capacity %" PRId64
				    ", allocated %" PRId64 ", free %" PRId64, id, jstr(seg, "from"),
				    jstr(seg, "to"), cap, al, fr);
			if (i > 0 && strcmp(prev, jstr(seg, "from")) != 0)
				fail("pool %s: timeline gap between %s and %s", id, prev,
				    jstr(seg, "from"));
			snprintf(prev, sizeof(prev), "%s", jstr(seg, "to"));
		}
		json_decref(tl);
	}
}

static void
check_verify(void)
{
	json_t *j = NULL;

	if (get_json("/v1/audit/verify", &j) != 200 || !json_is_true(json_object_get(j, "ok")))
		fail("GET /v1/audit/verify is not ok");
	json_decref(j);
	if (get_json("/v1/vouchers/verify", &j) != 200 || !json_is_true(json_object_get(j, "ok")))
		fail("GET /v1/vouchers/verify is not ok");
	json_decref(j);
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	if (sz * n >= 26 && strncasecmp(p, "Idempotent-Replayed: true", 25) == 0)
		*(bool *)arg = true;
	return sz * n;
}

/*
 * The client's retry after the crash: each hold of this round that was
 * acknowledged, or that committed without a response, is sent again with
 * its Idempotency-Key.  The answer must be the first one replayed (201, the
 * same hold id) and no second hold may appear.
 */
static void
replay_holds(const struct state *s)
{
	json_t *count = json_object(), *all, *j;
	size_t retried = 0, k;

	for (size_t i = 0; i < nops; i++) {
		struct op *o = &ops[i];
		const json_t *x = json_object_get(s->hold_by_memo, o->rid);
		struct curl_slist *hl = NULL;
		struct buf b = { NULL, 0 };
		bool replayed = false;
		char url[256], hdr[200];
		long status = 0;
		CURL *c;

		if (o->k != O_HOLD || o->round != round_no || x == NULL)
			continue;
		c = curl_easy_init();
		snprintf(url, sizeof(url), "%s%s", base, o->path);
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", admin);
		hl = curl_slist_append(hl, hdr);
		snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", o->rid);
		hl = curl_slist_append(hl, hdr);
		hl = curl_slist_append(hl, "Content-Type: application/json");
		hl = curl_slist_append(hl, "Expect:");
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, &replayed);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		curl_slist_free_all(hl);
		curl_easy_cleanup(c);
		j = b.p ? json_loads(b.p, 0, NULL) : NULL;
		if (status != 201 || !replayed || strcmp(jstr(j, "id"), jstr(x, "id")) != 0)
			fail("%s: the retry with its Idempotency-Key got %ld%s, hold %s; the hold is "
			    "%s (%s)", o->rid, status, replayed ? " replayed" : " (not replayed)",
			    jstr(j, "id"), jstr(x, "id"), outcome_name(o));
		json_decref(j);
		free(b.p);
		retried++;
		retries++;
	}
	if (retried == 0) {
		json_decref(count);
		return;
	}
	/* Still one hold per memo, not two. */
	all = get_all("/v1/vouchers/holds");
	json_array_foreach(all, k, j) {
		const char *memo = jstr(j, "memo");

		json_object_set_new(count, memo, json_integer(jint(count, memo) + 1));
	}
	json_decref(all);
	for (size_t i = 0; i < nops; i++)
		if (ops[i].k == O_HOLD && jint(count, ops[i].rid) > 1)
			fail("%s: %" PRId64 " holds with its memo after the retry", ops[i].rid,
			    jint(count, ops[i].rid));
	json_decref(count);
}

/* Checks everything, then rebuilds the model from what is there. */
static void
check_all(void)
{
	struct state s;
	const char *id;
	json_t *v;
	size_t na = 0;
	int before = failures;

	load_state(&s);
	for (size_t i = 0; i < nops; i++)
		check_op(&ops[i], &s);
	/* No change of ours without a request in the journal. */
	json_object_foreach(s.audit, id, v) {
		if (strncmp(id, "c-", 2) != 0)
			continue;
		na++;
	}
	{
		json_t *rids = json_object();

		for (size_t i = 0; i < nops; i++)
			json_object_set_new(rids, ops[i].rid, json_true());
		json_object_foreach(s.audit, id, v)
			if (strncmp(id, "c-", 2) == 0 && json_object_get(rids, id) == NULL)
				fail("audit entry with request id %s: no such request", id);
		json_decref(rids);
	}
	check_sums(&s);
	check_capacity(&s);
	check_verify();
	replay_holds(&s);

	/* The model from what grantd shows. */
	nteams = 0;
	json_object_foreach(s.teams, id, v)
		add_team(id, json_object_get(s.enr, id) != NULL);
	npools = 0;
	json_object_foreach(s.pools, id, v) {
		if (npools == sizeof(pools) / sizeof(pools[0]))
			break;
		snprintf(pools[npools].id, sizeof(pools[0].id), "%s", id);
		pools[npools].cards = (int)jint(v, "cards");
		pools[npools].h100 = strcmp(jstr(v, "card_model"), "H100") == 0;
		npools++;
	}
	nholds = 0;
	json_object_foreach(s.holds, id, v)
		add_hold(v);
	printf("crash: round %d: %zu requests so far, %zu audited changes of ours, %zu teams "
	    "(%zu enrollments), %zu pools, %zu holds, %zu outages%s\n", round_no, nops, na,
	    json_object_size(s.teams), json_object_size(s.enr), npools, nholds,
	    json_object_size(s.outages), failures > before ? ": FAILED" : "");
	fflush(stdout);
	free_state(&s);
}

/* ------------------------------------------------------------------ */

static void
setup_req(const char *method, const char *path, const char *body, long want, json_t **out)
{
	struct op *o = new_op(O_SETUP, method, path);
	CURL *c = curl_easy_init();
	struct curl_slist *hl = NULL;
	struct buf b = { NULL, 0 };
	char url[512], h[200];

	o->body = strdup(body);
	snprintf(url, sizeof(url), "%s%s", base, path);
	snprintf(h, sizeof(h), "Authorization: Bearer %s", admin);
	hl = curl_slist_append(hl, h);
	snprintf(h, sizeof(h), "X-Request-Id: %s", o->rid);
	hl = curl_slist_append(hl, h);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &o->status);
	o->oc = OC_ACK;
	journal_op(o, b.p);
	if (o->status != want)
		die("set-up %s %s: %ld, want %ld: %s", method, path, o->status, want,
		    b.p ? b.p : "");
	if (out)
		*out = json_loads(b.p, 0, NULL);
	free(b.p);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
}

static void
setup_world(void)
{
	json_t *j;
	FILE *f;
	char *argv[] = { (char *)grantd_bin, "token", "create", "--db", db_path, "--role",
		"admin", "--name", "crash-admin", NULL };

	if ((f = fopen(conf_path, "w")) == NULL)
		die("%s: %s", conf_path, strerror(errno));
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\n[storage]\ndatabase = %s\n"
	    "[log]\nlevel = error\naccess_log = false\n", db_path);
	fclose(f);
	if ((f = fopen(clock_path, "w")) == NULL)
		die("%s: %s", clock_path, strerror(errno));
	fprintf(f, "2026-03-02T00:00:00Z\n");
	fclose(f);
	if (run_cmd(argv, admin, sizeof(admin)) != 0)
		die("grantd token create: %s", admin);
	admin[strcspn(admin, "\n")] = '\0';
	start_grantd();
	setup_req("POST", "/v1/programs", "{\"id\":\"prog\",\"name\":\"Programme\","
	    "\"timezone\":\"UTC\"}", 201, NULL);
	{
		char body[512];

		snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Phase\",\"starts_on\":"
		    "\"2026-03-01\",\"period_days\":30,\"package\":{\"card_model\":\"B200\","
		    "\"cards\":8,\"voucher_krw\":%" PRId64 "}}", PHASE, BUDGET);
		setup_req("POST", "/v1/programs/prog/phases", body, 201, NULL);
	}
	setup_req("POST", "/v1/pools", "{\"id\":\"pool-a\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":32}", 201, NULL);
	setup_req("POST", "/v1/pools", "{\"id\":\"pool-b\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"H100\",\"cards\":48}", 201, NULL);
	setup_req("POST", "/v1/suppliers", "{\"id\":\"sup\",\"name\":\"Supplier\","
	    "\"org\":\"Supplier Org\"}", 201, NULL);
	for (int p = 0; p < 2; p++) {
		char body[256];

		snprintf(body, sizeof(body), "{\"name\":\"agent-%d\",\"role\":\"agent\","
		    "\"pool\":\"%s\"}", p, p ? "pool-b" : "pool-a");
		setup_req("POST", "/v1/tokens", body, 201, &j);
		snprintf(agent_tok[p], sizeof(agent_tok[p]), "%s", jstr(j, "token"));
		json_decref(j);
	}
}

/* -T: loses an acknowledged team behind grantd's back; the checks must notice. */
static bool
tamper_db(void)
{
	sqlite3 *db;
	char sql[200];

	for (size_t i = 0; i < nops; i++) {
		struct op *o = &ops[i];
		struct team *t;

		if (o->k != O_TEAM || o->oc != OC_ACK || ((t = find_team(o->id)) && t->enrolled))
			continue;
		if (sqlite3_open(db_path, &db) != SQLITE_OK)
			die("tamper: cannot open %s", db_path);
		snprintf(sql, sizeof(sql), "DELETE FROM teams WHERE id = '%s'", o->id);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			die("tamper: %s: %s", sql, sqlite3_errmsg(db));
		sqlite3_close(db);
		printf("crash: self-test: deleted acknowledged team %s (%s)\n", o->id, o->rid);
		return true;
	}
	return false;	/* none yet: after the next kill */
}

int
main(int argc, char **argv)
{
	double t_start;
	int ch, st;

	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	while ((ch = getopt(argc, argv, "b:k:s:c:D:KT")) != -1) {
		switch (ch) {
		case 'b': grantd_bin = optarg; break;
		case 'k': kills = atoi(optarg); break;
		case 's': if (*optarg) seed = strtoull(optarg, NULL, 10); break;
		case 'c': conc = atoi(optarg); break;
		case 'D': dir_base = optarg; break;
		case 'K': keep_dir = true; break;
		case 'T': tamper = true; break;
		default:
			fprintf(stderr, "usage: crash -b GRANTD [-k KILLS] [-s SEED] [-c CONCURRENCY] "
			    "[-D DIR] [-K] [-T]\n");
			return 2;
		}
	}
	if (kills < 1 || conc < 1 || conc > MAXC)
		die("bad options");
	if (seed == 0)
		seed = 1;
	rng = seed;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s/grantd-crash-XXXXXX", dir_base);
	if (mkdtemp(dir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	snprintf(db_path, sizeof(db_path), "%s/grantd.db", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/grantd.conf", dir);
	snprintf(clock_path, sizeof(clock_path), "%s/clock", dir);
	snprintf(log_path, sizeof(log_path), "%s/grantd.log", dir);
	snprintf(journal_path, sizeof(journal_path), "%s/journal.log", dir);
	if ((journal = fopen(journal_path, "w")) == NULL)
		die("%s: %s", journal_path, strerror(errno));
	printf("crash: seed %" PRIu64 " (rerun with -s %" PRIu64 "), %d kills, %d in flight, "
	    "grantd %s, directory %s\n", seed, seed, kills, conc, grantd_bin, dir);
	fflush(stdout);
	t_start = now_s();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	for (int i = 0; i < conc; i++)
		slots[i].c = curl_easy_init();
	setup_world();
	check_all();
	for (round_no = 1; round_no <= kills; round_no++) {
		/* Mostly short runs, so that kills land in every phase of a batch. */
		double after = (double)rnd_in(5, rnd() % 4 ? 250 : 900) / 1000.0;

		fprintf(journal, "=== round %d: SIGKILL after %.3f s\n", round_no, after);
		run_round(after);
		offline_verify("after SIGKILL");
		if (tamper && tamper_db())
			tamper = false;
		start_grantd();
		check_all();
	}
	/* The end: a clean stop, the offline verifies once more. */
	round_no = kills + 1;
	check_all();
	kill(gpid, SIGTERM);
	waitpid(gpid, &st, 0);
	gpid = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail("grantd exited with 0x%x after SIGTERM (see %s)", st, log_path);
	offline_verify("after SIGTERM");
	{
		size_t n[3] = { 0, 0, 0 };

		for (size_t i = 0; i < nops; i++)
			n[ops[i].oc]++;
		printf("crash: %d kills in %.1f s: %zu requests, %zu acknowledged, %zu refused, "
		    "%zu without a response (%zu of them committed, %zu not); %zu holds retried "
		    "with their key; seed %" PRIu64 "\n", kills, now_s() - t_start, nops, n[OC_ACK],
		    n[OC_ERR], n[OC_UNKNOWN], unknown_present, unknown_absent, retries, seed);
	}
	for (int i = 0; i < conc; i++) {
		curl_slist_free_all(slots[i].hl);
		free(slots[i].b.p);
		curl_easy_cleanup(slots[i].c);
	}
	curl_multi_cleanup(multi);
	curl_global_cleanup();
	for (size_t i = 0; i < nops; i++) {
		free(ops[i].body);
		json_decref(ops[i].resp);
	}
	free(ops);
	free(teams);
	free(holds);
	fclose(journal);
	if (failures) {
		printf("crash: FAILED: %d violation(s); journal %s, grantd log %s (seed %" PRIu64
		    ")\n", failures, journal_path, log_path, seed);
		return 1;
	}
	printf("crash: passed\n");
	if (!keep_dir) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "crash: cannot remove %s\n", dir);
	}
	return 0;
}
