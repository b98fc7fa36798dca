/* test_grantctl.c: grantctl, the command-line client, against the real grantd: a whole session, tables, exit statuses, configuration. */
#include <check.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * grantctl is found through $GRANTCTL_BIN (the Makefile's test rule sets it),
 * else beside $GRANTD_BIN, else in build/.
 */
static const char *
ctl_bin(void)
{
	static char path[4096];
	const char *b = getenv("GRANTCTL_BIN");
	char dir[4096];

	if (b && *b)
		return b;
	snprintf(dir, sizeof(dir), "%s", h_bin());
	snprintf(path, sizeof(path), "%s/grantctl", dirname(dir));
	return path;
}

/* One run of grantctl: exit status, stdout, stderr, stdout parsed as JSON when it is. */
struct run {
	int rc;
	char *out, *err;
	json_t *json;
};

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/*
 * How a run sees the world: the server and token in its environment (NULL:
 * unset), and HOME, so that no operator's own configuration file is read.
 */
struct env {
	const char *url, *token, *home;
};

#define MAX_ARGV 40

/*
 * Runs grantctl with the NULL-terminated arguments after env.  A run that
 * takes more than 30 s is killed: a client must never hang a script.
 */
static struct run __attribute__((sentinel))
ctl(const struct env *e, ...)
{
	char po[] = "/tmp/grantctl-out-XXXXXX", pe[] = "/tmp/grantctl-err-XXXXXX";
	const char *argv[MAX_ARGV + 2];
	char *envp[16], *owned[8], url[300], tok[300], home[300];
	static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
		"PATH" };
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int fo = mkstemp(po), fe = mkstemp(pe), st = 0, n = 0, ne = 0, no = 0, waited;
	struct run r = { 0 };
	va_list ap;
	pid_t pid;

	ck_assert_int_ge(fo, 0);
	ck_assert_int_ge(fe, 0);
	argv[n++] = ctl_bin();
	va_start(ap, e);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		ck_assert_int_lt(n, MAX_ARGV);
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	if (e->url) {
		snprintf(url, sizeof(url), "GRANTD_URL=%s", e->url);
		envp[ne++] = url;
	}
	if (e->token) {
		snprintf(tok, sizeof(tok), "GRANTD_TOKEN=%s", e->token);
		envp[ne++] = tok;
	}
	snprintf(home, sizeof(home), "HOME=%s", e->home);
	envp[ne++] = home;
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		const char *v = getenv(pass[i]);

		if (v != NULL) {
			ck_assert_int_ge(asprintf(&owned[no], "%s=%s", pass[i], v), 0);
			envp[ne++] = owned[no++];
		}
	}
	envp[ne] = NULL;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(fo);
	close(fe);
	for (waited = 0; waitpid(pid, &st, WNOHANG) == 0; waited += 10) {
		if (waited >= 30000) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	while (no > 0)
		free(owned[--no]);
	r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(po);
	r.err = slurp(pe);
	unlink(po);
	unlink(pe);
	r.json = json_loads(r.out, JSON_DECODE_ANY, NULL);
	return r;
}

/* Runs and asserts the exit status; shows both streams when it is not the expected one. */
#define CTL_EXPECT(rc_want, r, ...) do {					\
	(r) = ctl(__VA_ARGS__, NULL);						\
	ck_assert_msg((r).rc == (rc_want), "grantctl exit %d, want %d\nstdout: %s\n"	\
	    "stderr: %s", (r).rc, (rc_want), (r).out, (r).err);		\
} while (0)

/* Whether the daemon has a route: a request without a token gets 401 there, 404 elsewhere. */
static bool
has_route(struct harness *h, const char *method, const char *path)
{
	struct hresp r = h_req(h, method, path, NULL, NULL, NULL);
	bool yes = !(r.status == 404 && strstr(r.body, "no route") != NULL);

	hresp_free(&r);
	if (!yes)
		fprintf(stderr, "test_grantctl: grantd has no %s %s yet; skipping its part\n",
		    method, path);
	return yes;
}

/* A running grantd at 2026-03-02T00:00:00Z and the environment that reaches it as admin. */
static void
start(struct harness *h, struct env *e)
{
	h_init(h, NULL);
	h_clock(h, "2026-03-02T00:00:00Z");
	h_start(h);
	e->url = h->base;
	e->token = h->admin;
	e->home = h->dir;
}

/* The programme, phase stage-2 (768 B200 for 181 days, ₩10 billion), pools and two teams. */
static void
setup_world(const struct env *e)
{
	struct run r;

	CTL_EXPECT(0, r, e, "program", "create", "sovereign-ai", "--name",
	    "Sovereign AI Foundation Model programme", "--timezone", "Asia/Seoul");
	run_free(&r);
	CTL_EXPECT(0, r, e, "phase", "create", "sovereign-ai", "stage-2", "--name", "Second stage",
	    "--starts-on", "2026-03-01", "--period-days", "181", "--evaluation-on", "2026-06-30",
	    "--card-model", "B200", "--cards", "768", "--voucher", "10,000,000,000");
	run_free(&r);
	CTL_EXPECT(0, r, e, "pool", "create", "naver-chuncheon", "--provider", "Naver Cloud",
	    "--site", "각 춘천", "--card-model", "B200", "--cards", "1024");
	run_free(&r);
	CTL_EXPECT(0, r, e, "pool", "create", "nhn-gwangju", "--provider", "NHN Cloud", "--site",
	    "Gwangju", "--card-model", "H100", "--cards", "1024");
	run_free(&r);
	CTL_EXPECT(0, r, e, "team", "create", "motif", "--name", "Motif 컨소시엄", "--lead-org",
	    "Motif Technologies", "--member", "Motif Technologies=lead", "--member",
	    "Moreh=member");
	run_free(&r);
	CTL_EXPECT(0, r, e, "team", "create", "lg-ai", "--name", "LG AI Research consortium",
	    "--lead-org", "LG AI Research");
	run_free(&r);
}

/* ------------------------------------------------------------------ */

/* The session: set up, enroll (dry run, then for real), vouchers, quota, fairness. */
START_TEST(session)
{
	struct harness h;
	struct env e;
	struct run r;
	const json_t *g;
	char hold[64], csv[400], usage[400];
	FILE *f;

	start(&h, &e);
	setup_world(&e);

	/* A dry run answers 200 with the plan and stores nothing. */
	CTL_EXPECT(0, r, &e, "--json", "enroll", "stage-2", "motif", "--not-before", "2026-04-01",
	    "--dry-run");
	ck_assert_ptr_nonnull(r.json);
	ck_assert(json_is_true(json_object_get(r.json, "dry_run")));
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "state")), "active");
	g = json_array_get(json_object_get(r.json, "grants"), 0);
	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_null(json_object_get(g, "id"));
	run_free(&r);
	CTL_EXPECT(4, r, &e, "enrollment", "show", "stage-2", "motif");
	run_free(&r);

	/* For real: the window starts 2026-04-01 00:00 in Seoul. */
	CTL_EXPECT(0, r, &e, "--json", "enroll", "stage-2", "motif", "--not-before", "2026-04-01");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(r.json, "window"),
	    "start")), "2026-03-31T15:00:00Z");
	g = json_array_get(json_object_get(r.json, "grants"), 0);
	ck_assert(json_is_string(json_object_get(g, "id")));
	run_free(&r);
	/* An explicit split: 512 B200 + 512 H100 = 768 units. */
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "lg-ai", "--split",
	    "naver-chuncheon=256,nhn-gwangju=1024");
	ck_assert_ptr_nonnull(strstr(r.out, "window:   2026-03-01 to 2026-08-29 (181 days)"));
	run_free(&r);
	/* The table shows dates in the programme's zone and won grouped by thousands. */
	CTL_EXPECT(0, r, &e, "enrollment", "list", "stage-2");
	ck_assert_msg(strstr(r.out, "TEAM   STATE   START       END         DAYS  UNITS  GRANTS"
	    "          VOUCHER\n") != NULL, "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "motif  active  2026-04-01  2026-09-29   181    768"
	    "       1  \u20a910,000,000,000\n"));
	run_free(&r);

	/* Enrolling twice is a conflict. */
	CTL_EXPECT(5, r, &e, "enroll", "stage-2", "motif");
	ck_assert_ptr_nonnull(strstr(r.err, "409"));
	run_free(&r);

	/* Voucher money: a supplier, a hold, a partial settlement. */
	CTL_EXPECT(0, r, &e, "supplier", "create", "data-co", "--name", "Data Co", "--org",
	    "Data Co Ltd");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "hold", "create", "--team", "motif", "--phase", "stage-2",
	    "--supplier", "data-co", "--amount", "1,000,000,000", "--memo", "speech corpus");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "state")), "pending");
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "amount_krw")), 1000000000);
	snprintf(hold, sizeof(hold), "%s", json_string_value(json_object_get(r.json, "id")));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "hold", "settle", hold, "--amount", "900000000");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "state")), "settled");
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "settled_krw")), 900000000);
	run_free(&r);
	CTL_EXPECT(5, r, &e, "hold", "settle", hold);
	ck_assert_ptr_nonnull(strstr(r.err, "invalid_state"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "voucher", "list", "motif");
	ck_assert_msg(strstr(r.out, "\u20a99,100,000,000\n") != NULL, "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "\u20a9900,000,000"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "hold", "list", "--team", "motif", "--state", "settled");
	ck_assert_ptr_nonnull(strstr(r.out, hold));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "transfers", "--team", "motif");
	ck_assert_ptr_nonnull(strstr(r.out, "settle"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "ledger", "verify");
	ck_assert_ptr_nonnull(strstr(r.out, "ledger OK"));
	run_free(&r);

	/* Usage from a file, then quota and fairness, where this grantd has them. */
	if (has_route(&h, "POST", "/v1/usage")) {
		snprintf(usage, sizeof(usage), "%s/usage.json", h.dir);
		ck_assert_ptr_nonnull(f = fopen(usage, "w"));
		fprintf(f, "{\"batch_id\":\"b1\",\"samples\":[{\"pool\":\"naver-chuncheon\","
		    "\"team\":\"lg-ai\",\"from\":\"2026-03-01T00:00:00Z\",\"to\":"
		    "\"2026-03-01T01:00:00Z\",\"gpu_seconds\":360000}]}\n");
		fclose(f);
		CTL_EXPECT(0, r, &e, "--json", "usage", "post", usage);
		ck_assert_int_eq(json_integer_value(json_object_get(r.json, "accepted")), 1);
		run_free(&r);
	}
	if (has_route(&h, "GET", "/v1/teams/motif/quota")) {
		CTL_EXPECT(0, r, &e, "--json", "quota", "motif", "--phase", "stage-2");
		ck_assert_str_eq(json_string_value(json_object_get(r.json, "team")), "motif");
		ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(r.json,
		    "voucher"), "settled_krw")), 900000000);
		run_free(&r);
		CTL_EXPECT(0, r, &e, "quota", "lg-ai", "--phase", "stage-2", "--at", "2026-03-02");
		ck_assert_ptr_nonnull(strstr(r.out, "voucher available:"));
		ck_assert_ptr_nonnull(strstr(r.out, "\u20a910,000,000,000"));
		run_free(&r);
		CTL_EXPECT(4, r, &e, "quota", "nobody", "--phase", "stage-2");
		run_free(&r);
	}
	if (has_route(&h, "GET", "/v1/phases/stage-2/fairness")) {
		CTL_EXPECT(0, r, &e, "--json", "fairness", "stage-2");
		ck_assert_int_eq(json_array_size(json_object_get(r.json, "teams")), 2);
		ck_assert_int_eq(strncmp(json_string_value(json_object_get(r.json, "digest")),
		    "sha256:", 7), 0);
		run_free(&r);
		CTL_EXPECT(0, r, &e, "fairness", "stage-2");
		ck_assert_ptr_nonnull(strstr(r.out, "equal period:"));
		run_free(&r);
		snprintf(csv, sizeof(csv), "%s/fairness.csv", h.dir);
		CTL_EXPECT(0, r, &e, "fairness", "stage-2", "--csv", "-o", csv);
		ck_assert_str_eq(r.out, "");
		run_free(&r);
		{
			char *text = slurp(csv);

			ck_assert_msg(strncmp(text, "team,", 5) == 0, "%s", text);
			ck_assert_ptr_nonnull(strstr(text, "\nmotif,"));
			free(text);
		}
		/* A failed request leaves no file behind. */
		unlink(csv);
		CTL_EXPECT(4, r, &e, "fairness", "no-phase", "--csv", "-o", csv);
		ck_assert_int_ne(access(csv, F_OK), 0);
		run_free(&r);
	}

	CTL_EXPECT(0, r, &e, "audit", "verify");
	ck_assert_ptr_nonnull(strstr(r.out, "audit chain OK"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "audit", "list", "--limit", "2");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 2);
	ck_assert(json_is_string(json_object_get(r.json, "next")));
	run_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* Exit statuses: 2 usage, 3 auth, 4 not found, 5 conflict, 6 unreachable. */
START_TEST(exit_statuses)
{
	struct harness h;
	struct env e, bad, none, team;
	struct run r;
	char *team_token;

	start(&h, &e);
	setup_world(&e);

	CTL_EXPECT(4, r, &e, "team", "show", "nosuch");
	ck_assert_ptr_nonnull(strstr(r.err, "404 not_found: team 'nosuch'"));
	run_free(&r);
	/* --json puts the problem document on stdout too, for scripts. */
	CTL_EXPECT(4, r, &e, "--json", "phase", "show", "nosuch");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "code")), "not_found");
	run_free(&r);

	CTL_EXPECT(5, r, &e, "team", "create", "motif", "--name", "Someone else", "--lead-org",
	    "Other", "--member", "Other=lead");
	ck_assert_ptr_nonnull(strstr(r.err, "already_exists"));
	run_free(&r);

	bad = e;
	bad.token = "gd_not_a_real_token";
	CTL_EXPECT(3, r, &bad, "team", "list");
	ck_assert_ptr_nonnull(strstr(r.err, "401"));
	run_free(&r);
	none = e;
	none.token = NULL;
	CTL_EXPECT(3, r, &none, "team", "list");
	ck_assert_ptr_nonnull(strstr(r.err, "GRANTD_TOKEN"));
	run_free(&r);
	/* health needs no token. */
	CTL_EXPECT(0, r, &none, "health");
	ck_assert_ptr_nonnull(strstr(r.out, ": ok (grantd "));
	run_free(&r);
	/* A team's token may not change the catalogue: 403. */
	team_token = h_token(&h, "team", "motif", NULL);
	team = e;
	team.token = team_token;
	CTL_EXPECT(3, r, &team, "pool", "create", "x", "--provider", "p", "--site", "s",
	    "--card-model", "B200", "--cards", "1");
	ck_assert_ptr_nonnull(strstr(r.err, "403"));
	run_free(&r);
	CTL_EXPECT(0, r, &team, "--json", "team", "show", "motif");
	run_free(&r);
	free(team_token);

	/* Usage errors never reach the server. */
	CTL_EXPECT(2, r, &e, "frobnicate");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "team");
	ck_assert_ptr_nonnull(strstr(r.err, "create list show"));
	run_free(&r);
	CTL_EXPECT(2, r, &e, "team", "show");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "team", "list", "--cards", "3");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "team", "list", "--no-such-option");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "eliminate", "stage-2", "motif", "--on", "2026-04-01");
	ck_assert_ptr_nonnull(strstr(r.err, "--reason is required"));
	run_free(&r);
	CTL_EXPECT(2, r, &e, "hold", "create", "--team", "motif", "--phase", "stage-2",
	    "--supplier", "s", "--amount", "12.5");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "--tz", "Europe/Paris", "team", "list");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "--idempotency-key", "", "team", "list");
	run_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	/* The daemon is gone: its port refuses, which is a server failure to a script. */
	CTL_EXPECT(6, r, &e, "team", "list");
	ck_assert_ptr_nonnull(strstr(r.err, "cannot reach"));
	run_free(&r);
	h_cleanup(&h);
}
END_TEST

/* Idempotency-Key: one per change, or the caller's, replayed by the server. */
START_TEST(idempotency)
{
	struct harness h;
	struct env e;
	struct run r;

	start(&h, &e);
	CTL_EXPECT(0, r, &e, "--idempotency-key", "ops-2026-0001", "team", "create", "acme",
	    "--name", "Acme", "--lead-org", "Acme Corp");
	ck_assert_ptr_null(strstr(r.err, "replayed"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--idempotency-key", "ops-2026-0001", "team", "create", "acme",
	    "--name", "Acme", "--lead-org", "Acme Corp");
	ck_assert_ptr_nonnull(strstr(r.err, "replayed"));
	run_free(&r);
	CTL_EXPECT(5, r, &e, "--idempotency-key", "ops-2026-0001", "team", "create", "acme2",
	    "--name", "Acme", "--lead-org", "Acme Corp");
	ck_assert_ptr_nonnull(strstr(r.err, "idempotency_key_reused"));
	run_free(&r);
	/* Without a key, each call gets a fresh one: two different teams, no 422. */
	CTL_EXPECT(0, r, &e, "team", "create", "b1", "--name", "B", "--lead-org", "B");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "team", "create", "b2", "--name", "B", "--lead-org", "B");
	run_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* ~/.config/grantctl/config: used when owner-only, refused otherwise; flags and env win. */
START_TEST(config_file)
{
	struct harness h;
	struct env e, bare;
	struct run r;
	char dir[400], path[450], other[450];
	FILE *f;

	start(&h, &e);
	snprintf(dir, sizeof(dir), "%s/.config", h.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/.config/grantctl", h.dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/config", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fprintf(f, "; grantctl\nurl = %s\ntoken = %s\ntz = UTC\n", h.base, h.admin);
	fclose(f);
	bare = e;
	bare.url = NULL;
	bare.token = NULL;

	ck_assert_int_eq(chmod(path, 0644), 0);
	CTL_EXPECT(2, r, &bare, "team", "list");
	ck_assert_msg(strstr(r.err, "chmod 600") != NULL, "%s", r.err);
	run_free(&r);
	ck_assert_int_eq(chmod(path, 0640), 0);
	CTL_EXPECT(2, r, &bare, "team", "list");
	run_free(&r);

	ck_assert_int_eq(chmod(path, 0600), 0);
	CTL_EXPECT(0, r, &bare, "team", "create", "acme", "--name", "Acme", "--lead-org", "Acme");
	run_free(&r);
	/* tz = UTC from the file: creation time shown in UTC, not Seoul. */
	CTL_EXPECT(0, r, &bare, "program", "create", "p", "--name", "P");
	ck_assert_ptr_nonnull(strstr(r.out, "created:   2026-03-02 00:00\n"));
	run_free(&r);
	/* The environment wins over the file. */
	bare.token = "gd_wrong";
	CTL_EXPECT(3, r, &bare, "team", "list");
	run_free(&r);
	/* --token wins over the environment. */
	CTL_EXPECT(0, r, &bare, "--token", h.admin, "team", "list");
	ck_assert_ptr_nonnull(strstr(r.out, "acme"));
	run_free(&r);

	/* --config names another file, which must exist. */
	snprintf(other, sizeof(other), "%s/other.conf", h.dir);
	CTL_EXPECT(2, r, &e, "--config", other, "team", "list");
	run_free(&r);
	ck_assert_ptr_nonnull(f = fopen(other, "w"));
	fprintf(f, "[grantctl]\nurl = %s\ntokn = x\n", h.base);
	fclose(f);
	ck_assert_int_eq(chmod(other, 0600), 0);
	CTL_EXPECT(2, r, &e, "--config", other, "team", "list");
	ck_assert_ptr_nonnull(strstr(r.err, "unknown key 'tokn'"));
	run_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* Zones and the shapes of tables: Seoul by default, the programme's zone, --tz. */
START_TEST(zones_and_tables)
{
	struct harness h;
	struct env e;
	struct run r;

	start(&h, &e);
	setup_world(&e);
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "motif");
	run_free(&r);

	/* Grants start at 00:00 in Seoul, 15:00 the day before in UTC. */
	CTL_EXPECT(0, r, &e, "grant", "list", "--phase", "stage-2");
	ck_assert_ptr_nonnull(strstr(r.out, "2026-03-01 00:00"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--tz", "UTC", "grant", "list");
	ck_assert_ptr_nonnull(strstr(r.out, "2026-02-28 15:00"));
	run_free(&r);

	/* A programme in another zone is shown in its own zone without --tz. */
	CTL_EXPECT(0, r, &e, "program", "create", "utc-prog", "--name", "UTC programme",
	    "--timezone", "UTC");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "phase", "create", "utc-prog", "u1", "--name", "U1", "--starts-on",
	    "2026-03-10", "--period-days", "30", "--card-model", "H100", "--cards", "2",
	    "--voucher", "1000");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "team", "create", "solo", "--name", "Solo", "--lead-org", "Solo");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "enroll", "u1", "solo");
	ck_assert_msg(strstr(r.out, "2026-03-10 00:00  2026-04-09 00:00") != NULL, "%s", r.out);
	run_free(&r);

	/*
	 * Wide Hangul counts two columns: "Motif 컨소시엄" takes 14, so it is
	 * padded by 11 to the 25 of the longest name, then the two-space gap.
	 */
	CTL_EXPECT(0, r, &e, "team", "list");
	ck_assert_msg(strstr(r.out, "ID     NAME                       LEAD") != NULL, "%s",
	    r.out);
	ck_assert_msg(strstr(r.out, "motif  Motif 컨소시엄" "           " "  Motif Technologies")
	    != NULL, "%s", r.out);
	run_free(&r);

	/* grant show by id; release on a date. */
	CTL_EXPECT(0, r, &e, "--json", "grant", "list", "--team", "solo");
	{
		char id[64];

		snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(
		    json_array_get(json_object_get(r.json, "items"), 0), "id")));
		run_free(&r);
		CTL_EXPECT(0, r, &e, "grant", "show", id);
		ck_assert_ptr_nonnull(strstr(r.out, "pool:"));
		run_free(&r);
		CTL_EXPECT(4, r, &e, "grant", "show", "gr_999999");
		run_free(&r);
	}

	/* The usage text lists every command, and --version the release. */
	CTL_EXPECT(0, r, &e, "--help");
	ck_assert_ptr_nonnull(strstr(r.out, "  fairness PHASE [--csv] [-o FILE]\n"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--version");
	ck_assert_int_eq(strncmp(r.out, "grantctl ", 9), 0);
	run_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("grantctl");
	TCase *tc = tcase_create("client");
	SRunner *sr;
	int failed;

	if (access(ctl_bin(), X_OK) != 0) {
		fprintf(stderr, "test_grantctl: no grantctl at %s (set GRANTCTL_BIN)\n", ctl_bin());
		return EXIT_FAILURE;
	}
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, session);
	tcase_add_test(tc, exit_statuses);
	tcase_add_test(tc, idempotency);
	tcase_add_test(tc, config_file);
	tcase_add_test(tc, zones_and_tables);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
