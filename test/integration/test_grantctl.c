/* test_grantctl.c: grantctl, the command-line client, against the real grantd: a whole session, tables, exit statuses, configuration. */
#include <check.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "civil.h"
#include "harness.h"
#include "sig.h"

/* grantctl is found by h_ctl_bin (harness.h). */
static const char *
ctl_bin(void)
{
	return h_ctl_bin();
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

/* Whether some line of text starts with head and ends with tail. */
static bool
has_line(const char *text, const char *head, const char *tail)
{
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n"), hl = strlen(head), tl = strlen(tail);

		if (n >= hl + tl && strncmp(p, head, hl) == 0 && strncmp(p + n - tl, tail, tl) == 0)
			return true;
		p += n + (p[n] == '\n');
	}
	return false;
}

/*
 * How a run sees the world: the server and token in its environment (NULL:
 * unset), and HOME, so that no operator's own configuration file is read;
 * XDG_CONFIG_HOME when xdg is set; standard input from input, else empty.
 */
struct env {
	const char *url, *token, *home, *xdg, *input;
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
	char pi[] = "/tmp/grantctl-in-XXXXXX";
	const char *argv[MAX_ARGV + 2];
	char *envp[16], *owned[8], url[300], tok[300], home[300], xdg[300];
	static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
		"PATH" };
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int fo = mkstemp(po), fe = mkstemp(pe), fi = mkstemp(pi), st = 0, n = 0, ne = 0, no = 0;
	int waited;
	struct run r = { 0 };
	va_list ap;
	pid_t pid;

	ck_assert_int_ge(fo, 0);
	ck_assert_int_ge(fe, 0);
	ck_assert_int_ge(fi, 0);
	if (e->input)
		ck_assert_int_eq(write(fi, e->input, strlen(e->input)), (ssize_t)strlen(e->input));
	unlink(pi);
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
	if (e->xdg) {
		snprintf(xdg, sizeof(xdg), "XDG_CONFIG_HOME=%s", e->xdg);
		envp[ne++] = xdg;
	}
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
		lseek(fi, 0, SEEK_SET);
		dup2(fi, 0);
		dup2(fo, 1);
		dup2(fe, 2);
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(fo);
	close(fe);
	close(fi);
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
	memset(e, 0, sizeof(*e));
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
	/* Enrolled on 03-02 (Seoul): its window starts then, not at the phase's start. */
	ck_assert_msg(strstr(r.out, "window:   2026-03-02 to 2026-08-30 (181 days)") != NULL,
	    "%s", r.out);
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
		/* A ratio is a percentage, and the instant carries its zone. */
		ck_assert_msg(has_line(r.out, "utilization:", " %"), "%s", r.out);
		ck_assert_msg(strstr(r.out, "at:                 2026-03-02 00:00 KST\n") != NULL,
		    "%s", r.out);
		run_free(&r);
		/* Nothing active yet (motif starts in April): the table stays, and says so. */
		CTL_EXPECT(0, r, &e, "quota", "motif", "--phase", "stage-2", "--at", "2026-03-02");
		ck_assert_msg(strstr(r.out, "\nGRANT  POOL  MODEL  CARDS  START  END\n"
		    "none active at 2026-03-02 00:00 KST\n") != NULL, "%s", r.out);
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
		ck_assert_msg(has_line(r.out, "TEAM ", "OVERRIDES") && strstr(r.out, " UTIL ") &&
		    has_line(r.out, "max deviation:", " %"), "%s", r.out);
		run_free(&r);
		snprintf(csv, sizeof(csv), "%s/fairness.csv", h.dir);
		CTL_EXPECT(0, r, &e, "fairness", "stage-2", "--csv", "-o", csv);
		ck_assert_str_eq(r.out, "");
		{
			char *text = slurp(csv), said[600];
			size_t lines = 0;

			ck_assert_msg(strncmp(text, "team,", 5) == 0, "%s", text);
			ck_assert_ptr_nonnull(strstr(text, "\nmotif,"));
			/* It says what it wrote: the file, its rows and its bytes. */
			for (const char *p = text; *p; p++)
				lines += *p == '\n';
			snprintf(said, sizeof(said), "grantctl: wrote %s: %zu rows and a header "
			    "line, %zu bytes\n", csv, lines - 1, strlen(text));
			ck_assert_msg(strstr(r.err, said) != NULL, "%s\nwant %s", r.err, said);
			free(text);
		}
		run_free(&r);
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
	ck_assert_ptr_nonnull(strstr(r.out, "created:   2026-03-02 00:00 UTC\n"));
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

	/*
	 * Grants start at 00:00 in Seoul, 15:00 the day before in UTC; each says
	 * which.  Enrolled on 03-02 (Seoul), the window starts that day, not on
	 * the phase's 03-01: no window starts before its enrollment (issue 14).
	 */
	CTL_EXPECT(0, r, &e, "grant", "list", "--phase", "stage-2");
	ck_assert_msg(strstr(r.out, "2026-03-02 00:00 KST") != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--tz", "UTC", "grant", "list");
	ck_assert_msg(strstr(r.out, "2026-03-01 15:00 UTC") != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--tz", "+05:30", "grant", "list");
	ck_assert_msg(strstr(r.out, "2026-03-01 20:30 UTC+05:30") != NULL, "%s", r.out);
	run_free(&r);
	/* No phase in sight: the zone all the server's programmes share (one, in Seoul). */
	CTL_EXPECT(0, r, &e, "team", "show", "motif");
	ck_assert_msg(strstr(r.out, "created:   2026-03-02 09:00 KST\n") != NULL, "%s", r.out);
	run_free(&r);
	/* --json is the server's, untouched. */
	CTL_EXPECT(0, r, &e, "--json", "team", "show", "motif");
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "created_at")),
	    "2026-03-02T00:00:00Z");
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
	/* Programmes in two zones and no phase in sight: UTC, written as such. */
	CTL_EXPECT(0, r, &e, "team", "show", "motif");
	ck_assert_msg(strstr(r.out, "created:   2026-03-02 00:00 UTC\n") != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "enroll", "u1", "solo");
	ck_assert_msg(strstr(r.out, "2026-03-10 00:00 UTC  2026-04-09 00:00 UTC") != NULL, "%s",
	    r.out);
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
	ck_assert_ptr_nonnull(strstr(r.out, "  fairness PHASE [--at TIME] [--as-of SEQ] [--csv] "
	    "[-o FILE]\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "  login [--url URL] [--token TOKEN] [--cacert FILE]\n"));
	ck_assert_ptr_nonnull(strstr(r.out, "  config set url|token|tz|cacert VALUE\n"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--version");
	ck_assert_int_eq(strncmp(r.out, "grantctl ", 9), 0);
	run_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST


/* The line of text that holds needle, as a malloc'd string ("" when none). */
static char *
line_with(const char *text, const char *needle)
{
	const char *p = strstr(text, needle), *b, *e;

	if (p == NULL)
		return strdup("");
	for (b = p; b > text && b[-1] != '\n'; b--)
		;
	e = p + strcspn(p, "\n");
	return strndup(b, (size_t)(e - b));
}

/* token list says which tokens still work; completion offers only those. */
START_TEST(token_states)
{
	struct harness h;
	struct env e;
	struct run r;
	char live[64], dead[64], *line;

	start(&h, &e);
	CTL_EXPECT(0, r, &e, "--json", "token", "create", "--name", "ci", "--role", "auditor");
	snprintf(live, sizeof(live), "%s", json_string_value(json_object_get(r.json, "id")));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "token", "create", "--name", "old", "--role", "auditor");
	snprintf(dead, sizeof(dead), "%s", json_string_value(json_object_get(r.json, "id")));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "token", "revoke", dead);
	run_free(&r);

	CTL_EXPECT(0, r, &e, "token", "list");
	ck_assert_msg(has_line(r.out, "ID ", "EXPIRES  LAST USED  OLD SECRET UNTIL") &&
	    strstr(r.out, " STATE ") &&
	    strstr(r.out, " REVOKED "), "%s", r.out);
	line = line_with(r.out, live);
	ck_assert_msg(strstr(line, " live ") != NULL, "%s", r.out);
	free(line);
	/* No programme yet, so no zone but UTC; the revocation is dated. */
	line = line_with(r.out, dead);
	ck_assert_msg(strstr(line, " revoked  2026-03-02 00:00 UTC  2026-03-02 00:00 UTC")
	    != NULL, "%s", r.out);
	free(line);
	run_free(&r);
	/* --json is what the server said: its own "state" for each token. */
	CTL_EXPECT(0, r, &e, "--json", "token", "list");
	{
		const json_t *t;
		size_t i;

		json_array_foreach(json_object_get(r.json, "items"), i, t) {
			const char *id = json_string_value(json_object_get(t, "id"));
			const char *st = json_string_value(json_object_get(t, "state"));

			ck_assert_ptr_nonnull(st);
			if (strcmp(id, dead) == 0) {
				ck_assert(json_is_string(json_object_get(t, "revoked_at")));
				ck_assert_str_eq(st, "revoked");
			} else if (strcmp(id, live) == 0) {
				ck_assert_str_eq(st, "live");
			}
		}
	}
	run_free(&r);

	/* The completion offers the live token, never the revoked one. */
	CTL_EXPECT(0, r, &e, "__complete", "tokens");
	line = line_with(r.out, live);
	ck_assert_str_eq(line, live);
	free(line);
	ck_assert_msg(strstr(r.out, dead) == NULL, "%s", r.out);
	run_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

static mode_t
mode_of(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "%s", path);
	return st.st_mode & 07777;
}

/* login and config set write the file, mode 0600, after the server accepted the token. */
START_TEST(login_and_config)
{
	struct harness h;
	struct env e, bare, x;
	struct run r;
	char dir[400], path[450], xdg[400], xpath[450], want[1024], *text;

	start(&h, &e);
	bare = e;
	bare.url = NULL;
	bare.token = NULL;
	snprintf(dir, sizeof(dir), "%s/.config/grantctl", h.dir);
	snprintf(path, sizeof(path), "%s/config", dir);

	/* A token the server refuses: nothing is written. */
	CTL_EXPECT(3, r, &bare, "login", "--url", h.base, "--token", "gd_not_a_real_token");
	ck_assert_msg(strstr(r.err, "did not accept the token; nothing written") != NULL, "%s",
	    r.err);
	ck_assert_int_ne(access(path, F_OK), 0);
	run_free(&r);
	/* An unreachable server: nothing either. */
	CTL_EXPECT(6, r, &bare, "login", "--url", "http://127.0.0.1:1", "--token", h.admin);
	ck_assert_int_ne(access(path, F_OK), 0);
	run_free(&r);

	CTL_EXPECT(0, r, &bare, "login", "--url", h.base, "--token", h.admin);
	snprintf(want, sizeof(want), "wrote %s (mode 0600); %s accepted the token\n  url = %s\n"
	    "  token = gd_", path, h.base, h.base);
	ck_assert_msg(strstr(r.out, want) != NULL, "%s\nwant %s", r.out, want);
	ck_assert_msg(strstr(r.out, h.admin) == NULL, "the secret was printed: %s", r.out);
	run_free(&r);
	ck_assert_int_eq(mode_of(path), 0600);
	ck_assert_int_eq(mode_of(dir), 0700);
	text = slurp(path);
	snprintf(want, sizeof(want), "url = %s\ntoken = %s\n", h.base, h.admin);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	free(text);
	/* The file serves the next command, and config show says where things come from. */
	CTL_EXPECT(0, r, &bare, "team", "create", "acme", "--name", "Acme", "--lead-org", "Acme");
	run_free(&r);
	CTL_EXPECT(0, r, &bare, "config", "show");
	ck_assert_msg(strstr(r.out, "(from the configuration file)") != NULL &&
	    strstr(r.out, h.admin) == NULL, "%s", r.out);
	run_free(&r);

	/* config set changes one key and keeps the others. */
	CTL_EXPECT(0, r, &bare, "config", "set", "tz", "UTC");
	ck_assert_ptr_nonnull(strstr(r.out, "  tz = UTC\n"));
	run_free(&r);
	text = slurp(path);
	ck_assert_msg(strstr(text, want) != NULL && strstr(text, "tz = UTC\n"), "%s", text);
	free(text);
	ck_assert_int_eq(mode_of(path), 0600);
	CTL_EXPECT(2, r, &bare, "config", "set", "tz", "Europe/Paris");
	run_free(&r);
	CTL_EXPECT(2, r, &bare, "config", "set", "colour", "blue");
	run_free(&r);
	/* A URL where the kept token does not work is refused, the file unchanged. */
	CTL_EXPECT(6, r, &bare, "config", "set", "url", "http://127.0.0.1:1/");
	ck_assert_ptr_nonnull(strstr(r.err, "nothing written"));
	run_free(&r);
	text = slurp(path);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	free(text);
	/* A token read from standard input, checked first. */
	bare.input = "gd_wrong_again\n";
	CTL_EXPECT(3, r, &bare, "config", "set", "token", "-");
	run_free(&r);
	text = slurp(path);
	ck_assert_msg(strstr(text, want) != NULL, "%s", text);
	free(text);

	/* XDG_CONFIG_HOME: the file goes there; a token typed on standard input. */
	snprintf(xdg, sizeof(xdg), "%s/xdg", h.dir);
	snprintf(xpath, sizeof(xpath), "%s/grantctl/config", xdg);
	x = bare;
	x.xdg = xdg;
	snprintf(want, sizeof(want), "%s\n", h.admin);
	x.input = want;
	CTL_EXPECT(0, r, &x, "login", "--url", h.base);
	ck_assert_msg(strstr(r.out, xpath) != NULL, "%s", r.out);
	run_free(&r);
	ck_assert_int_eq(mode_of(xpath), 0600);
	snprintf(want, sizeof(want), "%s/grantctl", xdg);
	ck_assert_int_eq(mode_of(want), 0700);
	x.input = NULL;
	CTL_EXPECT(0, r, &x, "team", "list");
	ck_assert_ptr_nonnull(strstr(r.out, "acme"));
	run_free(&r);
	/* No token anywhere and nothing on standard input: a usage error. */
	x.xdg = NULL;
	x.home = "/nonexistent";
	CTL_EXPECT(2, r, &x, "login", "--url", h.base);
	run_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * A stand-in for grantd that answers from a table by method and path, one
 * request per connection, until killed: for replies the real one does not
 * give yet (an enrollment's "delays").
 */
struct canned {
	const char *method, *path, *team;	/* team: only a body naming it */
	int status;
	const char *body;
};

static void
serve_canned(int ls, const struct canned *tab, size_t n)
{
	for (;;) {
		char req[8192], method[16], path[512], head[256];
		size_t got = 0;
		ssize_t k;
		int fd = accept(ls, NULL, NULL);
		const struct canned *hit = NULL;
		const char *body;

		if (fd < 0)
			continue;
		/* Headers, then the body by Content-Length: grantctl's bodies are small. */
		while (got < sizeof(req) - 1 && (k = read(fd, req + got, sizeof(req) - 1 - got)) > 0) {
			char *end, *cl;
			long len;

			got += (size_t)k;
			req[got] = '\0';
			if ((end = strstr(req, "\r\n\r\n")) == NULL)
				continue;
			cl = strcasestr(req, "\r\nContent-Length:");
			len = cl && cl < end ? strtol(cl + 17, NULL, 10) : 0;
			if ((size_t)(end + 4 - req) + (size_t)len <= got)
				break;
		}
		req[got] = '\0';
		if (sscanf(req, "%15s %511s", method, path) != 2) {
			close(fd);
			continue;
		}
		for (size_t i = 0; i < n && hit == NULL; i++) {
			char team[80];

			snprintf(team, sizeof(team), "\"team\":\"%s\"", tab[i].team ? tab[i].team : "");
			if (strcmp(tab[i].method, method) == 0 && strcmp(tab[i].path, path) == 0 &&
			    (tab[i].team == NULL || strstr(req, team) != NULL))
				hit = &tab[i];
		}
		body = hit ? hit->body : "{\"code\":\"not_found\",\"detail\":\"canned\"}";
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		    "Content-Length: %zu\r\nConnection: close\r\n\r\n", hit ? hit->status : 404,
		    strlen(body));
		if (write(fd, head, strlen(head)) < 0 || write(fd, body, strlen(body)) < 0)
			perror("canned");
		close(fd);
	}
}

/* Forks the stand-in on a free loopback port; writes its base URL. */
static pid_t
start_canned(const struct canned *tab, size_t n, char *base, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	ck_assert_int_ge(ls, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(ls, 16), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &al), 0);
	snprintf(base, len, "http://127.0.0.1:%d", ntohs(a.sin_port));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		serve_canned(ls, tab, n);
		_exit(0);
	}
	close(ls);
	return pid;
}

/* The window of an enrollment reply that starts on 2026-08-29 in Seoul. */
#define LATE_ENROLLMENT(extra) "{\"phase\":\"stage-2\",\"team\":\"%s\",\"state\":"	\
	"\"active\",\"window\":{\"start\":\"2026-08-28T15:00:00Z\",\"end\":"	\
	"\"2027-02-25T15:00:00Z\",\"days\":181},\"units\":768,\"grants\":[]" extra "}"

/* Placement explains a late start with the reply's "delays", in the programme's zone. */
START_TEST(placement_delays)
{
	static const struct canned tab[] = {
		{ "GET", "/v1/phases/stage-2", NULL, 200,
		    "{\"id\":\"stage-2\",\"program\":\"sovereign-ai\",\"starts_on\":\"2026-03-01\"}" },
		{ "GET", "/v1/programs/sovereign-ai", NULL, 200,
		    "{\"id\":\"sovereign-ai\",\"timezone\":\"Asia/Seoul\"}" },
		{ "POST", "/v1/phases/stage-2/enrollments", "one", 201, LATE_ENROLLMENT(
		    ",\"delays\":[{\"pool\":\"naver-chuncheon\",\"free_cards\":256,"
		    "\"until\":\"2026-08-28T15:00:00Z\"}]") },
		{ "POST", "/v1/phases/stage-2/enrollments", "two", 200, LATE_ENROLLMENT(
		    ",\"dry_run\":true,\"delays\":[{\"pool\":\"naver-chuncheon\",\"free_cards\":0,"
		    "\"until\":\"2026-06-01T03:00:00Z\"},{\"pool\":\"nhn-gwangju\",\"free_cards\":1,"
		    "\"until\":\"2026-08-28T15:00:00Z\"}]") },
		{ "POST", "/v1/phases/stage-2/enrollments", "none", 201, LATE_ENROLLMENT("") },
		{ "POST", "/v1/phases/stage-2/enrollments", "full", 409,
		    "{\"code\":\"no_capacity\",\"detail\":\"the package cannot be held\","
		    "\"earliest_start\":\"2030-01-01T15:00:00Z\",\"delays\":[{\"pool\":"
		    "\"naver-chuncheon\",\"free_cards\":12,\"until\":\"2030-01-01T15:00:00Z\"}]}" },
	};
	struct env e = { .token = "gd_canned", .home = "/nonexistent" };
	char base[64];
	struct run r;
	pid_t pid = start_canned(tab, sizeof(tab) / sizeof(tab[0]), base, sizeof(base));

	e.url = base;
	/* Without --not-before: the phase's first day is what was asked. */
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "one");
	ck_assert_msg(strstr(r.out, "\nstarts 2026-08-29 00:00 KST, not 2026-03-01 00:00 KST: "
	    "pool naver-chuncheon has only 256 free cards until 2026-08-29 00:00 KST\n") != NULL,
	    "%s%s", r.out, r.err);
	run_free(&r);
	/* Several pools, one line each; --not-before is what was asked. */
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "two", "--not-before", "2026-04-01",
	    "--dry-run");
	ck_assert_msg(strstr(r.out, "\nstarts 2026-08-29 00:00 KST, not 2026-04-01 00:00 KST:\n"
	    "  pool naver-chuncheon has no free cards until 2026-06-01 12:00 KST\n"
	    "  pool nhn-gwangju has only 1 free card until 2026-08-29 00:00 KST\n") != NULL,
	    "%s%s", r.out, r.err);
	run_free(&r);
	/* --json is the reply as it came. */
	CTL_EXPECT(0, r, &e, "--json", "enroll", "stage-2", "one");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "delays")), 1);
	run_free(&r);
	/* A refusal says why too, on stderr with the problem. */
	CTL_EXPECT(5, r, &e, "enroll", "stage-2", "full");
	ck_assert_msg(strstr(r.err, "  earliest start: 2030-01-02 00:00 KST\n"
	    "  pool naver-chuncheon has only 12 free cards until 2030-01-02 00:00 KST\n") != NULL,
	    "%s", r.err);
	run_free(&r);
	/* No delays, no extra line. */
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "none");
	ck_assert_msg(strstr(r.out, "starts ") == NULL, "%s", r.out);
	ck_assert_ptr_nonnull(strstr(r.out, "window:"));
	run_free(&r);

	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

/* The real grantd, once it reports delays: grantctl prints each of them. */
START_TEST(placement_delays_live)
{
	struct harness h;
	struct env e;
	struct run r;
	const json_t *d;
	size_t i;

	start(&h, &e);
	setup_world(&e);
	/* motif takes 768 of naver-chuncheon's 1024 B200 from 2026-03-01. */
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "motif", "--pools", "naver-chuncheon");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "enroll", "stage-2", "lg-ai", "--pools",
	    "naver-chuncheon", "--dry-run");
	if (json_array_size(json_object_get(r.json, "delays")) == 0) {
		fprintf(stderr, "test_grantctl: grantd gives no \"delays\" yet; skipping its "
		    "part\n");
		run_free(&r);
	} else {
		json_t *delays = json_incref(json_object_get(r.json, "delays"));

		run_free(&r);
		CTL_EXPECT(0, r, &e, "enroll", "stage-2", "lg-ai", "--pools", "naver-chuncheon",
		    "--dry-run");
		ck_assert_msg(strstr(r.out, ", not 2026-03-01 00:00 KST:") != NULL, "%s", r.out);
		json_array_foreach(delays, i, d) {
			char want[200];

			snprintf(want, sizeof(want), "pool %s has ",
			    json_string_value(json_object_get(d, "pool")));
			ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
		}
		json_decref(delays);
		run_free(&r);
	}
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * Organisations (issue 16): a registration number with a wrong check digit
 * is refused, other spellings of a name find its organisation, a team's
 * members change over time with a date and a reason, and two records of
 * one university merged make its press a related party of the team.
 */
START_TEST(organisations)
{
	struct harness h;
	struct env e;
	struct run r;
	json_t *j;
	char ko[64], want[200];

	start(&h, &e);
	/* Issue 16 is built: a grantd without organisations fails here, not skips. */
	{
		struct hresp hr = h_get(&h, h.admin, "/v1/organisations");

		ck_assert_msg(hr.status == 200, "GET /v1/organisations: %ld %s", hr.status, hr.body);
		hresp_free(&hr);
	}
	setup_world(&e);

	/* 123-45-67890's check digit is 1: refused, saying so, and nothing stored. */
	CTL_EXPECT(1, r, &e, "org", "create", "snu", "--en", "Seoul National University",
	    "--brn", "123-45-67890");
	ck_assert_msg(strstr(r.err, "400 ") != NULL && strstr(r.err, "business registration "
	    "number check digit is 1, not 0\n") != NULL, "%s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	CTL_EXPECT(4, r, &e, "org", "show", "snu");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "org", "create", "snu", "--en", "Seoul National University",
	    "--alias", "SNU", "--brn", "1234567891");
	ck_assert_msg(strstr(r.out, "id:         snu\n") != NULL &&
	    strstr(r.out, "name (en):  Seoul National University\n") != NULL &&
	    strstr(r.out, "aliases:    SNU\n") != NULL &&
	    strstr(r.out, "brn:        123-45-67891\n") != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(2, r, &e, "org", "create", "x", "--name", "X");
	run_free(&r);

	/* Full-width letters, another case and doubled spaces are the same name. */
	CTL_EXPECT(0, r, &e, "org", "find",
	    "\uff33\uff25\uff2f\uff35\uff2c  national   UNIVERSITY");
	snprintf(want, sizeof(want), "'\uff33\uff25\uff2f\uff35\uff2c  national   UNIVERSITY' "
	    "-> organisation snu (matched by name_en)\n");
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "%s", r.out);
	ck_assert_msg(strstr(r.out, "id:         snu\n") != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "org", "find", "snu ");
	j = json_array_get(json_object_get(r.json, "items"), 0);
	ck_assert_str_eq(h_str(j, "id"), "snu");
	ck_assert_str_eq(h_str(j, "matched_by"), "alias");
	run_free(&r);
	/* No organisation answers: said on stderr, and 1 as grep says "none". */
	CTL_EXPECT(1, r, &e, "org", "find", "Korea University");
	ck_assert_msg(strstr(r.err, "no organisation answers to 'Korea University'") != NULL,
	    "%s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "org", "list", "--search", "NATIONAL");
	ck_assert_msg(has_line(r.out, "snu ", "  123-45-67891"), "%s", r.out);
	ck_assert_msg(strstr(r.out, "motif-technologies") == NULL, "%s", r.out);
	run_free(&r);

	/* A team made through the API, its member spelled otherwise: resolved to snu. */
	j = h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"snu-lab\",\"name\":\"SNU lab\","
	    "\"lead_org\":\"Upstage\",\"members\":[{\"org\":\"seoul  national University\","
	    "\"role\":\"university\"}]}"), 201, "team create");
	ck_assert_str_eq(h_str(j, "resolved.1.organisation"), "snu");
	ck_assert_str_eq(h_str(j, "resolved.1.matched_by"), "name_en");
	ck_assert(json_is_false(h_at(j, "resolved.1.created")));
	ck_assert(json_is_true(h_at(j, "resolved.0.created")));
	ck_assert_str_eq(h_str(j, "members.0.organisation"), "snu");
	json_decref(j);
	CTL_EXPECT(0, r, &e, "team", "show", "snu-lab");
	ck_assert_msg(strstr(r.out, "lead org:  Upstage (organisation upstage)\n") != NULL &&
	    has_line(r.out, "ORG ", "  ORGANISATION  ROLE        SINCE") &&
	    has_line(r.out, "seoul  national University  snu ", "university  -"), "%s", r.out);
	run_free(&r);
	/* grantctl's team create says what each spelling became. */
	CTL_EXPECT(0, r, &e, "team", "create", "snu-lab2", "--name", "SNU lab 2", "--lead-org",
	    "SNU", "--member", "Data Co=supplier");
	ck_assert_msg(strstr(r.out, "\nlead 'SNU' -> organisation snu (matched by alias)\n"
	    "member 'Data Co' -> organisation data-co (new organisation)\n") != NULL, "%s",
	    r.out);
	run_free(&r);

	/* Motif takes the university on from 1 March (Seoul), and KAIST for a day. */
	CTL_EXPECT(0, r, &e, "team", "member", "add", "motif", "Seoul National University",
	    "--role", "university", "--on", "2026-03-01", "--reason", "consortium agreement "
	    "amended");
	snprintf(want, sizeof(want), "'Seoul National University' -> organisation snu "
	    "(matched by name_en)\n");
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0 && strstr(r.out, "since:         "
	    "2026-03-01 00:00 KST\n") != NULL && strstr(r.out, "why added:     consortium "
	    "agreement amended\n") != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(5, r, &e, "team", "member", "add", "motif", "SNU", "--reason", "again");
	ck_assert_msg(strstr(r.err, "a member of team 'motif' already") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "team", "member", "add", "motif", "KAIST", "--on", "2026-03-01",
	    "--reason", "speech corpus work");
	ck_assert_msg(strstr(r.out, "'KAIST' -> organisation kaist (new organisation)\n") != NULL,
	    "%s", r.out);
	run_free(&r);
	CTL_EXPECT(2, r, &e, "team", "member", "remove", "motif", "kaist", "--on", "2026-03-02",
	    "--at", "2026-03-02T00:00:00Z", "--reason", "left");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "team", "member", "remove", "motif", "kaist", "--on", "2026-03-02");
	ck_assert_msg(strstr(r.err, "--reason is required") != NULL, "%s", r.err);
	run_free(&r);
	/* A name, not an id: looked up first, and the answer shown. */
	CTL_EXPECT(0, r, &e, "team", "member", "remove", "motif", "\uff2b\uff21\uff29\uff33\uff34",
	    "--on", "2026-03-02", "--reason", "left the consortium");
	ck_assert_msg(strstr(r.out, "'\uff2b\uff21\uff29\uff33\uff34' -> organisation kaist "
	    "(matched by name_en)\n") != NULL && strstr(r.out, "until:         2026-03-02 00:00 "
	    "KST\n") != NULL && strstr(r.out, "why removed:   left the consortium\n") != NULL,
	    "%s", r.out);
	run_free(&r);
	CTL_EXPECT(4, r, &e, "team", "member", "remove", "motif", "Korea University", "--reason",
	    "never was");
	ck_assert_msg(strstr(r.err, "no organisation answers to 'Korea University'") != NULL,
	    "%s", r.err);
	run_free(&r);
	CTL_EXPECT(4, r, &e, "team", "member", "remove", "motif", "kaist", "--reason", "twice");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "team", "show", "motif");
	ck_assert_msg(has_line(r.out, "Seoul National University  snu ",
	    "university  2026-03-01 00:00 KST") && strstr(r.out, "\nformer members:\n") != NULL &&
	    has_line(r.out, "KAIST ", "2026-03-01 00:00 KST  2026-03-02 00:00 KST  left the "
	    "consortium"), "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "org", "show", "kaist");
	ck_assert_msg(has_line(r.out, "motif  member  no ", "2026-03-01 00:00 KST  2026-03-02 "
	    "00:00 KST"), "%s", r.out);
	run_free(&r);

	/* Motif's press supplier under the Korean name: another organisation, made for it. */
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "motif");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "supplier", "create", "snu-press", "--name", "SNU Press",
	    "--org", "\uc11c\uc6b8\ub300\ud559\uad50");
	ck_assert(json_is_true(h_at(r.json, "resolved.created")));
	snprintf(ko, sizeof(ko), "%s", h_str(r.json, "organisation"));
	ck_assert_str_ne(ko, "snu");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "supplier", "create", "snu-books", "--name", "SNU Books", "--org",
	    "\uc11c\uc6b8\ub300\ud559\uad50");
	snprintf(want, sizeof(want), "org '\uc11c\uc6b8\ub300\ud559\uad50' -> organisation %s "
	    "(matched by name_ko)\n", ko);
	ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "hold", "create", "--team", "motif", "--phase", "stage-2",
	    "--supplier", "snu-press", "--amount", "1,000,000");
	run_free(&r);

	/* The two records are one university: merged, its press is a related party. */
	CTL_EXPECT(2, r, &e, "org", "merge", "snu", ko);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "org", "merge", "snu", ko, "--reason", "one university, two records");
	snprintf(want, sizeof(want), "organisation %s merged into snu\n", ko);
	ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0 && strstr(r.out, "name (ko):  "
	    "\uc11c\uc6b8\ub300\ud559\uad50\n") != NULL && strstr(r.out, "snu-books, snu-press")
	    != NULL, "%s", r.out);
	run_free(&r);
	CTL_EXPECT(4, r, &e, "org", "show", ko);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "org", "find", "\uc11c\uc6b8\ub300\ud559\uad50");
	ck_assert_msg(strstr(r.out, "-> organisation snu (matched by name_ko)\n") != NULL, "%s",
	    r.out);
	run_free(&r);
	CTL_EXPECT(5, r, &e, "hold", "create", "--team", "motif", "--phase", "stage-2",
	    "--supplier", "snu-press", "--amount", "1,000,000");
	ck_assert_msg(strstr(r.err, "409 related_party: ") != NULL, "%s", r.err);
	run_free(&r);

	/* More names, and a new one with a reason; both audited. */
	CTL_EXPECT(0, r, &e, "org", "alias", "snu", "\uc11c\uc6b8\ub300", "Seoul Nat'l Univ.");
	ck_assert_msg(has_line(r.out, "aliases:    SNU, ", ", \uc11c\uc6b8\ub300, Seoul Nat'l "
	    "Univ."), "%s", r.out);
	run_free(&r);
	CTL_EXPECT(2, r, &e, "org", "rename", "snu", "--reason", "nothing");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "org", "rename", "snu", "--en", "Seoul National University (SNU)",
	    "--reason", "the name on its charter");
	ck_assert_msg(strstr(r.out, "name (en):  Seoul National University (SNU)\n") != NULL,
	    "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "audit", "list", "--limit", "200");
	{
		const char *acts[] = { "organisation.create", "organisation.update",
			"organisation.merge", "team.member_add", "team.member_remove" };
		const json_t *it;
		size_t i;

		for (size_t k = 0; k < sizeof(acts) / sizeof(acts[0]); k++) {
			bool seen = false;

			json_array_foreach(json_object_get(r.json, "items"), i, it)
				seen = seen || strcmp(h_str((json_t *)it, "action"), acts[k]) == 0;
			ck_assert_msg(seen, "no %s in the audit trail", acts[k]);
		}
	}
	run_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * Evaluations (issue 16): evaluation record with a date each decision takes
 * effect, a note per team and an applicant that never enrolled; evaluation
 * list tells that applicant from an enrolled team whose decision changed
 * nothing; a --note for a team no --result judges is a usage error.
 */
START_TEST(evaluations)
{
	struct harness h;
	struct env e;
	struct run r;
	const json_t *ev, *res;
	char *line;

	start(&h, &e);
	setup_world(&e);
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "motif");
	run_free(&r);

	/* Refused before anything is sent. */
	CTL_EXPECT(2, r, &e, "evaluation", "record", "stage-2", "--on", "2026-03-02", "--reason",
	    "repechage", "--result", "motif=advance", "--note", "lg-ai=not judged");
	ck_assert_msg(strstr(r.err, "--note 'lg-ai': no --result judges that team") != NULL,
	    "%s", r.err);
	run_free(&r);
	CTL_EXPECT(2, r, &e, "evaluation", "record", "stage-2", "--on", "2026-03-02", "--reason",
	    "repechage", "--result", "motif=advance", "--note", "motif");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "evaluation", "record", "stage-2", "--on", "2026-03-02", "--reason",
	    "repechage", "--result", "motif=advance", "--note", "motif=a", "--note", "motif=b");
	ck_assert_msg(strstr(r.err, "--note 'motif' given twice") != NULL, "%s", r.err);
	run_free(&r);

	CTL_EXPECT(0, r, &e, "evaluation", "record", "stage-2", "--on", "2026-03-02",
	    "--effective-on", "2026-03-03", "--reason", "repechage", "--result",
	    "motif=advance:91.5", "--result", "trillion-labs=eliminate:78.25", "--note",
	    "trillion-labs=not chosen in the repechage", "--note", "motif=chosen");
	ck_assert_msg(has_line(r.out, "EVALUATION  HELD ON     EFFECTIVE ON  TEAM", "REASON"),
	    "%s", r.out);
	ck_assert_msg(strstr(r.out, "\nev_1        2026-03-02  2026-03-03    trillion-labs  no        "
	    "eliminate  78.25  none     not chosen in the repechage  repechage\n") != NULL, "%s",
	    r.out);
	run_free(&r);

	/* The list: the enrolled team says yes, the applicant no; both applied none. */
	CTL_EXPECT(0, r, &e, "evaluation", "list", "stage-2");
	line = line_with(r.out, "motif");
	ck_assert_msg(strstr(line, " motif ") && strstr(line, " yes ") &&
	    strstr(line, " advance ") && strstr(line, " 91.5 ") && strstr(line, " none ") &&
	    strstr(line, " chosen "), "%s", r.out);
	free(line);
	line = line_with(r.out, "trillion-labs");
	ck_assert_msg(strstr(line, " trillion-labs ") && strstr(line, " no ") &&
	    strstr(line, " none "), "%s", r.out);
	free(line);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "evaluation", "list", "stage-2");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 1);
	ev = json_array_get(json_object_get(r.json, "items"), 0);
	ck_assert_str_eq(h_str((json_t *)ev, "held_on"), "2026-03-02");
	ck_assert_str_eq(h_str((json_t *)ev, "effective_on"), "2026-03-03");
	res = json_array_get(json_object_get(ev, "results"), 0);
	ck_assert_str_eq(h_str((json_t *)res, "team"), "motif");
	ck_assert(json_is_true(json_object_get(res, "enrolled")));
	ck_assert_str_eq(h_str((json_t *)res, "note"), "chosen");
	res = json_array_get(json_object_get(ev, "results"), 1);
	ck_assert_str_eq(h_str((json_t *)res, "team"), "trillion-labs");
	ck_assert(json_is_false(json_object_get(res, "enrolled")));
	ck_assert_str_eq(h_str((json_t *)res, "applied"), "none");
	ck_assert_str_eq(h_str((json_t *)res, "note"), "not chosen in the repechage");
	run_free(&r);
	/* motif is still active; the applicant has no enrollment. */
	CTL_EXPECT(0, r, &e, "--json", "enrollment", "show", "stage-2", "motif");
	ck_assert_str_eq(h_str(r.json, "state"), "active");
	run_free(&r);
	CTL_EXPECT(4, r, &e, "enrollment", "show", "stage-2", "trillion-labs");
	run_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* The value after "title:" on a line of "title: value" output, malloc'd; "" when none. */
static char *
field(const char *out, const char *title)
{
	char head[80];
	size_t hl, n;

	snprintf(head, sizeof(head), "%s:", title);
	hl = strlen(head);
	for (const char *p = out; *p; p += n + (p[n] == '\n')) {
		n = strcspn(p, "\n");
		if (strncmp(p, head, hl) == 0) {
			p += hl + strspn(p + hl, " ");
			return strndup(p, strcspn(p, "\n"));
		}
	}
	return strdup("");
}

/* An instant as grantd's clock file takes it. */
static void
instant(time_t t, char *buf, size_t n)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The token's object in a --json token list, or NULL (borrowed from r). */
static const json_t *
listed(const struct run *r, const char *id)
{
	const json_t *t;
	size_t i;

	json_array_foreach(json_object_get(r->json, "items"), i, t)
		if (strcmp(json_string_value(json_object_get(t, "id")), id) == 0)
			return t;
	return NULL;
}

/*
 * Tokens that end (issue 17): --ttl counted from this machine's clock, the
 * token works until then; a rotation prints the new secret once and when the
 * old one stops, both work during the grace, and token list and show say
 * which state each is in.  grantd runs on a test clock set to the real time,
 * so that --ttl (the local clock) and the server agree, then moved on.
 */
START_TEST(token_lifetimes)
{
	struct harness h;
	struct env e, as;
	struct run r;
	char clock[32], id[64], expected[32], *old, *new, *zero, *line, *v;
	const json_t *t;
	time_t now = time(NULL);
	int64_t exp;

	h_init(&h, NULL);
	instant(now, clock, sizeof(clock));
	h_clock(&h, clock);
	h_start(&h);
	memset(&e, 0, sizeof(e));
	e.url = h.base;
	e.token = h.admin;
	e.home = h.dir;
	as = e;

	/* Malformed lifetimes are usage errors, and nothing is made. */
	CTL_EXPECT(2, r, &e, "token", "create", "--name", "x", "--role", "auditor", "--ttl", "0");
	ck_assert_msg(strstr(r.err, "--ttl must be a duration such as 90d") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(2, r, &e, "token", "create", "--name", "x", "--role", "auditor", "--ttl", "5w");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "token", "create", "--name", "x", "--role", "auditor", "--ttl",
	    "3661d");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "token", "create", "--name", "x", "--role", "auditor", "--ttl", "1h",
	    "--expires", "2030-01-01");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "token", "rotate", "tok_0000000000000000", "--grace", "31d");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "token", "list");
	ck_assert_uint_eq(json_array_size(json_object_get(r.json, "items")), 1);
	run_free(&r);

	/* --ttl 1h: shown as its end, an hour from now by this machine's clock. */
	CTL_EXPECT(0, r, &e, "token", "create", "--name", "fleet", "--role", "auditor", "--ttl",
	    "1h");
	v = field(r.out, "id");
	snprintf(id, sizeof(id), "%s", v);
	free(v);
	old = field(r.out, "token");
	ck_assert_msg(strncmp(old, "gd_", 3) == 0, "%s", r.out);
	v = field(r.out, "expires");
	ck_assert_msg(strstr(v, " UTC") != NULL, "%s", r.out);
	free(v);
	v = field(r.out, "state");
	ck_assert_str_eq(v, "live");
	free(v);
	ck_assert_msg(strstr(r.err, "shown only this once") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "token", "list");
	ck_assert_ptr_nonnull(t = listed(&r, id));
	ck_assert_int_eq(civil_parse_instant(json_string_value(json_object_get(t, "expires_at")),
	    &exp), 0);
	ck_assert_msg(exp >= (int64_t)now + 3600 && exp <= (int64_t)now + 3600 + 60,
	    "expires_at %lld, now %lld", (long long)exp, (long long)now);
	run_free(&r);

	/* The token works. */
	as.token = old;
	CTL_EXPECT(0, r, &as, "token", "list");
	run_free(&r);

	/* A rotation: the new secret once, and when the old one stops. */
	CTL_EXPECT(0, r, &e, "token", "rotate", id, "--grace", "10m");
	new = field(r.out, "token");
	ck_assert_msg(strncmp(new, "gd_", 3) == 0 && strcmp(new, old) != 0, "%s", r.out);
	v = field(r.out, "old secret until");
	ck_assert_msg(*v != '\0' && strcmp(v, "stopped at the rotation") != 0, "%s", r.out);
	free(v);
	v = field(r.out, "rotated");
	ck_assert_msg(*v != '\0', "%s", r.out);
	free(v);
	ck_assert_msg(strstr(r.err, "the old secret keeps working until ") != NULL &&
	    strstr(r.err, "shown only this once") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "token", "list");
	ck_assert_ptr_nonnull(t = listed(&r, id));
	instant(now + 600, expected, sizeof(expected));
	ck_assert_str_eq(json_string_value(json_object_get(t, "previous_valid_until")), expected);
	run_free(&r);

	/* Both secrets work during the grace. */
	as.token = old;
	CTL_EXPECT(0, r, &as, "token", "list");
	run_free(&r);
	as.token = new;
	CTL_EXPECT(0, r, &as, "token", "list");
	/* The list shows the state, the end and the old secret's end. */
	ck_assert_msg(has_line(r.out, "ID ", " LAST USED  OLD SECRET UNTIL") &&
	    strstr(r.out, " EXPIRES ") != NULL, "%s", r.out);
	line = line_with(r.out, id);
	ck_assert_msg(strstr(line, " live ") != NULL && strstr(line, " UTC") != NULL, "%s", line);
	free(line);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "token", "show", id);
	v = field(r.out, "old secret until");
	ck_assert_msg(*v != '\0', "%s", r.out);
	free(v);
	v = field(r.out, "name");
	ck_assert_str_eq(v, "fleet");
	free(v);
	ck_assert_msg(strstr(r.out, "token:") == NULL, "show has no secret: %s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "token", "show", id);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "state")), "live");
	run_free(&r);
	CTL_EXPECT(4, r, &e, "token", "show", "tok_0000000000000000");
	ck_assert_msg(strstr(r.err, "no token 'tok_0000000000000000'") != NULL, "%s", r.err);
	run_free(&r);

	/* After the grace only the new secret works. */
	instant(now + 601, clock, sizeof(clock));
	h_clock(&h, clock);
	as.token = old;
	CTL_EXPECT(3, r, &as, "token", "list");
	ck_assert_msg(strstr(r.err, "replaced by a rotation") != NULL, "%s", r.err);
	run_free(&r);
	as.token = new;
	CTL_EXPECT(0, r, &as, "token", "list");
	run_free(&r);

	/* --grace 0 cuts the old secret off at once, and says so. */
	CTL_EXPECT(0, r, &e, "token", "rotate", id, "--grace", "0");
	zero = field(r.out, "token");
	v = field(r.out, "old secret until");
	ck_assert_str_eq(v, "stopped at the rotation");
	free(v);
	ck_assert_msg(strstr(r.err, "the old secret no longer works") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(3, r, &as, "token", "list");
	run_free(&r);

	/* At its end the token stops and is listed as expired; no rotation brings it back. */
	instant(now + 3700, clock, sizeof(clock));
	h_clock(&h, clock);
	as.token = zero;
	CTL_EXPECT(3, r, &as, "token", "list");
	ck_assert_msg(strstr(r.err, "expired") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "token", "list");
	line = line_with(r.out, id);
	ck_assert_msg(strstr(line, " expired ") != NULL, "%s", r.out);
	free(line);
	run_free(&r);
	CTL_EXPECT(4, r, &e, "token", "rotate", id);
	run_free(&r);

	/* --expires takes a date (00:00 in the display zone, UTC here) or an instant. */
	instant(now + 10 * 86400, clock, sizeof(clock));
	clock[10] = '\0';
	CTL_EXPECT(0, r, &e, "--json", "token", "create", "--name", "dated", "--role", "auditor",
	    "--expires", clock);
	snprintf(expected, sizeof(expected), "%.10sT00:00:00Z", clock);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "expires_at")), expected);
	run_free(&r);

	free(old);
	free(new);
	free(zero);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* Writes text to path. */
static void
spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(text, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* A public key line of a key grantd never had, as `grantd key show` prints one. */
static void
stranger_key(char *line, size_t n)
{
	struct sig_key k;
	char pub[SIG_B64_MAX];

	ck_assert_int_eq(sig_generate(SIG_ED25519, &k), 0);
	sig_b64(k.pub, k.publen, pub);
	snprintf(line, n, "ed25519 %s %s 2026-03-01T00:00:00Z\n", k.id, pub);
	sig_key_wipe(&k);
}

/*
 * grantctl verify (issue 17): a fairness report fetched with --json checks
 * out offline against the keys `grantd key show` prints, from a file or
 * standard input, with no server to ask; one figure changed, or keys that
 * lack the signing key, and it fails with the reason and exit status 1.
 */
START_TEST(verify_report)
{
	struct harness h;
	struct env e, off;
	struct run r;
	char rep[400], keys[400], bad[400], other[400], both[400], line[600], *ring, *text;
	const char *argv[] = { h_bin(), "key", "show", "--db", NULL, NULL };
	json_t *doc, *fig;

	start(&h, &e);
	setup_world(&e);
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "motif");
	run_free(&r);
	snprintf(rep, sizeof(rep), "%s/report.json", h.dir);
	snprintf(keys, sizeof(keys), "%s/keys", h.dir);
	snprintf(bad, sizeof(bad), "%s/changed.json", h.dir);
	snprintf(other, sizeof(other), "%s/other-keys", h.dir);
	snprintf(both, sizeof(both), "%s/both-keys", h.dir);
	CTL_EXPECT(0, r, &e, "--json", "fairness", "stage-2", "-o", rep);
	run_free(&r);
	argv[4] = h.db;
	ck_assert_int_eq(h_run(argv, &ring), 0);
	spit(keys, ring);

	/* Offline: no server answers at this URL, and no token is needed. */
	memset(&off, 0, sizeof(off));
	off.url = "http://127.0.0.1:1";
	off.home = h.dir;
	CTL_EXPECT(0, r, &off, "verify", rep, "--keys", keys);
	ck_assert_msg(has_line(r.out, "phase:", " stage-2") && has_line(r.out, "audit seq:", "") &&
	    has_line(r.out, "checkpoint seq:", "") && has_line(r.out, "checkpoint head:", "") &&
	    has_line(r.out, "checkpoint at:", " KST") && has_line(r.out, "key:", "") &&
	    has_line(r.out, "signature OK", ""), "%s", r.out);
	{
		char *seq = field(r.out, "audit seq"), *cseq = field(r.out, "checkpoint seq");
		char *key = field(r.out, "key");

		ck_assert_str_eq(seq, cseq);
		ck_assert_int_gt(atoi(seq), 0);
		ck_assert_msg(strncmp(key, "ed25519 ", 8) == 0 && strstr(ring, key + 8) != NULL,
		    "key '%s', ring %s", key, ring);
		free(seq);
		free(cseq);
		free(key);
	}
	run_free(&r);
	/* The report on standard input, and --json for scripts. */
	text = slurp(rep);
	off.input = text;
	CTL_EXPECT(0, r, &off, "--json", "verify", "-", "--keys", keys);
	ck_assert(json_is_true(json_object_get(r.json, "ok")));
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "phase")), "stage-2");
	ck_assert(json_is_object(json_object_get(r.json, "checkpoint")));
	run_free(&r);
	off.input = NULL;

	/* One figure changed: the signature no longer matches. */
	doc = json_loads(text, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	fig = h_at(doc, "teams.0.entitled_unit_hours");
	ck_assert_ptr_nonnull(fig);
	if (json_is_integer(fig))
		json_integer_set(fig, json_integer_value(fig) + 1);
	else
		json_real_set(fig, json_real_value(fig) + 1);
	ck_assert_int_eq(json_dump_file(doc, bad, JSON_INDENT(2)), 0);
	json_decref(doc);
	CTL_EXPECT(1, r, &off, "verify", bad, "--keys", keys);
	ck_assert_msg(strstr(r.err, "does not verify") != NULL &&
	    strstr(r.err, "not the one grantd signed") != NULL, "%s", r.err);
	ck_assert_msg(strstr(r.out, "signature OK") == NULL, "%s", r.out);
	run_free(&r);

	/* Keys without the signing key: fails, naming the key it needs. */
	stranger_key(line, sizeof(line));
	spit(other, line);
	CTL_EXPECT(1, r, &off, "verify", rep, "--keys", other);
	ck_assert_msg(strstr(r.err, "not among the public keys given") != NULL, "%s", r.err);
	run_free(&r);
	/* The signing key among others (a ring after rotations) is found. */
	{
		char *all;

		ck_assert_int_ge(asprintf(&all, "# published keys\n%s\n%s", line, ring), 0);
		spit(both, all);
		free(all);
	}
	CTL_EXPECT(0, r, &off, "verify", rep, "--keys", both);
	run_free(&r);

	/* What is not a key file, or not a report, is said so. */
	CTL_EXPECT(1, r, &off, "verify", rep, "--keys", rep);
	ck_assert_msg(strstr(r.err, "not a public key line") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(1, r, &off, "verify", keys, "--keys", keys);
	ck_assert_msg(strstr(r.err, "is not a report as JSON") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(1, r, &off, "verify", "/nonexistent/report.json", "--keys", keys);
	run_free(&r);
	CTL_EXPECT(2, r, &off, "verify", rep);
	run_free(&r);
	CTL_EXPECT(2, r, &off, "verify", "-", "--keys", "-");
	run_free(&r);

	free(text);
	free(ring);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * A usage batch of one sample of lg-ai on naver-chuncheon from 15:00Z on
 * 2026-03-01 for an hour (the first hour of its window, in Seoul), by node
 * (NULL: none named), with measurements when busy is not negative.
 */
static void
node_batch(const char *path, const char *batch, const char *node, long long from_hour,
    long long busy)
{
	char text[600], meas[160] = "", nd[80] = "";

	if (node)
		snprintf(nd, sizeof(nd), ",\"node\":\"%s\"", node);
	if (busy >= 0)
		snprintf(meas, sizeof(meas), ",\"busy_gpu_seconds\":%lld,"
		    "\"util_weighted_gpu_seconds\":240000,\"energy_j\":252000000", busy);
	snprintf(text, sizeof(text), "{\"batch_id\":\"%s\",\"samples\":[{\"pool\":"
	    "\"naver-chuncheon\",\"team\":\"lg-ai\",\"from\":\"2026-03-01T%02lld:00:00Z\","
	    "\"to\":\"2026-03-01T%02lld:00:00Z\",\"gpu_seconds\":360000%s%s}]}\n", batch,
	    from_hour, from_hour + 1, nd, meas);
	spit(path, text);
}

/*
 * The nodes of a pool (issue 18): node assign (--team or --none, one of
 * them), show and list with when each was last heard from and how long ago,
 * paged; agent tokens bound to a node; what the nodes measured in quota
 * and fairness.  "How long ago" is by this machine's clock, so the last
 * part runs grantd on a test clock set from the real time.
 */
START_TEST(nodes)
{
	struct harness h;
	struct env e, agent;
	struct run r;
	char batch[400], clock[32], tok_id[64], *v, *line;
	time_t now;

	start(&h, &e);
	if (!has_route(&h, "GET", "/v1/pools/naver-chuncheon/nodes")) {
		h_stop(&h);
		h_cleanup(&h);
		return;
	}
	setup_world(&e);
	CTL_EXPECT(0, r, &e, "enroll", "stage-2", "lg-ai", "--split", "naver-chuncheon=768");
	run_free(&r);

	/* --team or --none, exactly one, and a reason: usage errors, nothing sent. */
	CTL_EXPECT(2, r, &e, "node", "assign", "naver-chuncheon", "gpu-01", "--reason", "rack 3");
	ck_assert_msg(strstr(r.err, "give --team TEAM or --none") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(2, r, &e, "node", "assign", "naver-chuncheon", "gpu-01", "--team", "lg-ai",
	    "--none", "--reason", "rack 3");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "node", "assign", "naver-chuncheon", "gpu-01", "--team", "lg-ai");
	ck_assert_msg(strstr(r.err, "--reason is required") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(2, r, &e, "node", "show", "naver-chuncheon");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "node", "list", "naver-chuncheon", "--none");
	run_free(&r);
	CTL_EXPECT(4, r, &e, "node", "show", "naver-chuncheon", "gpu-01");
	run_free(&r);

	/* An assignment: the node as it is now; never seen yet. */
	CTL_EXPECT(0, r, &e, "node", "assign", "naver-chuncheon", "gpu-01", "--team", "lg-ai",
	    "--reason", "rack 3, LG");
	ck_assert_msg(has_line(r.out, "pool:", " naver-chuncheon") &&
	    has_line(r.out, "node:", " gpu-01") && has_line(r.out, "team:", " lg-ai") &&
	    has_line(r.out, "reason:", " rack 3, LG") &&
	    has_line(r.out, "assigned:", " 2026-03-02 09:00 KST") &&
	    has_line(r.out, "last seen:", " never") && has_line(r.out, "last batch:", " -"),
	    "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "node", "assign", "naver-chuncheon", "gpu-03", "--none",
	    "--reason", "spare");
	ck_assert(json_is_null(json_object_get(r.json, "team")));
	ck_assert(json_is_null(json_object_get(r.json, "last_seen_at")));
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "reason")), "spare");
	run_free(&r);
	/* The server's refusals: unknown team or pool, a node id that cannot be one. */
	CTL_EXPECT(4, r, &e, "node", "assign", "naver-chuncheon", "gpu-01", "--team", "nobody",
	    "--reason", "x");
	ck_assert_msg(strstr(r.err, "team 'nobody' does not exist") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(4, r, &e, "node", "assign", "no-pool", "gpu-01", "--none", "--reason", "x");
	run_free(&r);
	CTL_EXPECT(4, r, &e, "node", "show", "naver-chuncheon", "gpu/01");
	run_free(&r);
	CTL_EXPECT(4, r, &e, "node", "list", "no-pool");
	run_free(&r);

	/* An agent token bound to gpu-01: --node, shown in the token and the list. */
	CTL_EXPECT(1, r, &e, "token", "create", "--name", "x", "--role", "auditor", "--node",
	    "gpu-01");
	ck_assert_msg(strstr(r.err, "only for role agent") != NULL, "%s", r.err);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "token", "create", "--name", "agent-gpu-01", "--role", "agent",
	    "--pool", "naver-chuncheon", "--node", "gpu-01");
	ck_assert_msg(has_line(r.out, "node:", " gpu-01"), "%s", r.out);
	v = field(r.out, "id");
	snprintf(tok_id, sizeof(tok_id), "%s", v);
	free(v);
	agent = e;
	agent.token = field(r.out, "token");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "token", "list");
	ck_assert_msg(has_line(r.out, "ID ", "OLD SECRET UNTIL") && strstr(r.out, " NODE ") != NULL,
	    "%s", r.out);
	line = line_with(r.out, tok_id);
	ck_assert_msg(strstr(line, " naver-chuncheon  gpu-01 ") != NULL, "%s", r.out);
	free(line);
	run_free(&r);
	/* The agent reads its own node, not another. */
	CTL_EXPECT(0, r, &agent, "node", "show", "naver-chuncheon", "gpu-01");
	ck_assert_msg(has_line(r.out, "team:", " lg-ai"), "%s", r.out);
	run_free(&r);
	CTL_EXPECT(3, r, &agent, "node", "show", "naver-chuncheon", "gpu-03");
	run_free(&r);
	CTL_EXPECT(3, r, &agent, "node", "list", "naver-chuncheon");
	run_free(&r);

	/* It reports for its node, measured: the node is seen, with the batch. */
	snprintf(batch, sizeof(batch), "%s/node-batch.json", h.dir);
	node_batch(batch, "m1", NULL, 15, 300000);
	CTL_EXPECT(0, r, &agent, "usage", "post", batch);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "node", "show", "naver-chuncheon", "gpu-01");
	v = field(r.out, "last seen");
	ck_assert_msg(has_line(r.out, "last batch:", " m1") &&
	    strncmp(v, "2026-03-02 09:00 KST (", 22) == 0 && has_line(v, "", " ago)"), "%s",
	    r.out);
	free(v);
	run_free(&r);

	/* What was measured, in the quota: shares of the measured GPU-seconds, and kWh. */
	CTL_EXPECT(0, r, &e, "quota", "lg-ai", "--phase", "stage-2");
	ck_assert_msg(has_line(r.out, "measured gpu-seconds:", " 360,000") &&
	    has_line(r.out, "busy gpu-seconds:", " 300,000 (83.3 % of measured)") &&
	    has_line(r.out, "util-weighted gpu-seconds:", " 240,000 (66.7 % of measured)") &&
	    has_line(r.out, "energy:", " 252,000,000 J (70 kWh)"), "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "quota", "lg-ai", "--phase", "stage-2");
	ck_assert_int_eq(json_integer_value(h_at(r.json, "measured.busy_gpu_seconds")), 300000);
	run_free(&r);
	/* A quota where nothing was measured has no such lines. */
	CTL_EXPECT(0, r, &e, "quota", "lg-ai", "--phase", "stage-2", "--at", "2026-03-02");
	ck_assert_msg(strstr(r.out, "measured") == NULL && strstr(r.out, "energy") == NULL,
	    "%s", r.out);
	run_free(&r);
	/* And in the fairness report, a table of what each team's nodes measured. */
	CTL_EXPECT(0, r, &e, "fairness", "stage-2");
	ck_assert_msg(has_line(r.out, "TEAM ", "ENERGY J  ENERGY kWh"), "%s", r.out);
	line = line_with(r.out, "252,000,000");
	ck_assert_msg(strncmp(line, "lg-ai ", 6) == 0 && strstr(line, " 83.3 % ") != NULL &&
	    strstr(line, " 66.7 % ") != NULL && strstr(line, " 70") != NULL, "%s", r.out);
	free(line);
	run_free(&r);

	/* --none takes the node from its team; audited, with the reason. */
	CTL_EXPECT(0, r, &e, "node", "assign", "naver-chuncheon", "gpu-01", "--none", "--reason",
	    "returned to the pool");
	ck_assert_msg(has_line(r.out, "team:", " -") && has_line(r.out, "last batch:", " m1"),
	    "%s", r.out);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "audit", "list");
	ck_assert_msg(strstr(r.out, "node.assign") != NULL &&
	    strstr(r.out, "pool/naver-chuncheon/node/gpu-01") != NULL &&
	    strstr(r.out, "returned to the pool") != NULL, "%s", r.out);
	run_free(&r);

	/*
	 * A node that reported three hours ago by this machine's clock, one
	 * that never did, and one months ago: how long ago says which is silent.
	 */
	now = time(NULL);
	instant(now - 3 * 3600, clock, sizeof(clock));
	h_clock(&h, clock);
	node_batch(batch, "m2", "gpu-02", 16, -1);
	CTL_EXPECT(0, r, &e, "usage", "post", batch);
	run_free(&r);
	instant(now, clock, sizeof(clock));
	h_clock(&h, clock);
	CTL_EXPECT(0, r, &e, "node", "list", "naver-chuncheon");
	ck_assert_msg(has_line(r.out, "NODE ", "LAST BATCH") && strstr(r.out, " TEAM ") &&
	    strstr(r.out, " ASSIGNED ") && strstr(r.out, " LAST SEEN "), "%s", r.out);
	line = line_with(r.out, "gpu-01");
	ck_assert_msg(strstr(line, " 2026-03-02 09:00 KST (") != NULL && strstr(line, "d ") &&
	    strstr(line, "h ago) ") != NULL && has_line(line, "gpu-01 ", " m1"), "%s", r.out);
	free(line);
	line = line_with(r.out, "gpu-02");
	ck_assert_msg(strstr(line, " (3h 00m ago)  m2") != NULL, "%s", r.out);
	free(line);
	line = line_with(r.out, "gpu-03");
	ck_assert_msg(strstr(line, " never ") != NULL, "%s", r.out);
	free(line);
	ck_assert_str_eq(r.err, "");
	run_free(&r);
	/* Paged like every list. */
	CTL_EXPECT(0, r, &e, "node", "list", "naver-chuncheon", "--limit", "1");
	ck_assert_msg(strstr(r.out, "gpu-01") != NULL && strstr(r.out, "gpu-02") == NULL &&
	    strstr(r.err, "repeat with --after 'gpu-01'") != NULL, "%s\n%s", r.out, r.err);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "node", "list", "naver-chuncheon", "--limit", "2",
	    "--after", "gpu-01");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 2);
	ck_assert_str_eq(h_str(r.json, "items.0.node"), "gpu-02");
	ck_assert(json_is_null(h_at(r.json, "items.0.team")));
	ck_assert_str_eq(h_str(r.json, "items.0.reason"), "first seen");
	ck_assert(json_is_null(json_object_get(r.json, "next")) ||
	    json_object_get(r.json, "next") == NULL);
	run_free(&r);
	CTL_EXPECT(0, r, &e, "node", "list", "nhn-gwangju");
	ck_assert_str_eq(r.out, "");
	ck_assert_msg(strstr(r.err, "(none)") != NULL, "%s", r.err);
	run_free(&r);

	/* The completions' node ids, of the pool named. */
	CTL_EXPECT(0, r, &e, "__complete", "nodes", "naver-chuncheon");
	ck_assert_str_eq(r.out, "gpu-01\ngpu-02\ngpu-03\n");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "__complete", "nodes");
	ck_assert_str_eq(r.out, "");
	run_free(&r);

	free((char *)agent.token);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* events and webhook: the feed as a table and as JSON, a webhook's life, its secret once. */
START_TEST(events_and_webhooks)
{
	struct harness h;
	struct env e;
	struct run r;

	start(&h, &e);
	CTL_EXPECT(0, r, &e, "team", "create", "acme", "--name", "Acme", "--lead-org", "Acme Corp");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "events");
	ck_assert_ptr_nonnull(strstr(r.out, "team.created"));
	ck_assert_ptr_nonnull(strstr(r.out, "team/acme"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "--json", "events", "--type", "team.created", "--limit", "1");
	ck_assert_ptr_nonnull(strstr(r.out, "\"ev_0000000000000001\""));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "webhook", "create", "https://hooks.example/in", "--types",
	    "outage.recorded,team.eliminated");
	ck_assert_ptr_nonnull(strstr(r.out, "secret: whsec_"));
	ck_assert_ptr_nonnull(strstr(r.out, "wh_1"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "webhook", "list");
	ck_assert_ptr_nonnull(strstr(r.out, "https://hooks.example/in"));
	ck_assert_ptr_null(strstr(r.out, "whsec_"));
	run_free(&r);
	CTL_EXPECT(0, r, &e, "webhook", "test", "wh_1");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "webhook", "deliveries", "wh_1");
	run_free(&r);
	/* http:// is refused without [webhooks] allow_http: a 400. */
	CTL_EXPECT(1, r, &e, "webhook", "create", "http://hooks.example/in", "--types", "*");
	run_free(&r);
	CTL_EXPECT(2, r, &e, "webhook", "create", "https://hooks.example/in");
	run_free(&r);
	CTL_EXPECT(0, r, &e, "webhook", "delete", "wh_1");
	run_free(&r);
	CTL_EXPECT(4, r, &e, "webhook", "delete", "wh_1");
	run_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* A grantctl running in the background: its stdout through a pipe, read as it comes. */
struct bg {
	pid_t pid;
	int out, err;
	char buf[65536];
	size_t len;
};

static void
bg_start(struct bg *b, const struct env *e, const char *const *args)
{
	char url[300], tok[300], home[300], errpath[] = "/tmp/grantctl-err-XXXXXX";
	char *envp[] = { url, tok, home, NULL };
	const char *argv[16];
	int p[2], n = 0;

	memset(b, 0, sizeof(*b));
	snprintf(url, sizeof(url), "GRANTD_URL=%s", e->url);
	snprintf(tok, sizeof(tok), "GRANTD_TOKEN=%s", e->token);
	snprintf(home, sizeof(home), "HOME=%s", e->home);
	argv[n++] = ctl_bin();
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(b->err = mkstemp(errpath), 0);
	unlink(errpath);
	ck_assert_int_ge(b->pid = fork(), 0);
	if (b->pid == 0) {
		dup2(p[1], 1);
		dup2(b->err, 2);
		close(p[0]);
		close(p[1]);
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(p[1]);
	b->out = p[0];
	fcntl(b->out, F_SETFL, O_NONBLOCK);
}

/* Reads what came for up to ms, until text is among it. */
static bool
bg_saw(struct bg *b, const char *text, int ms)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	ssize_t n;

	for (int t = 0; t <= ms; t += 20) {
		while (b->len < sizeof(b->buf) - 1 &&
		    (n = read(b->out, b->buf + b->len, sizeof(b->buf) - 1 - b->len)) > 0)
			b->len += (size_t)n;
		b->buf[b->len] = '\0';
		if (strstr(b->buf, text) != NULL)
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Interrupts it; what it said on stderr (malloc'd). */
static char *
bg_stop(struct bg *b)
{
	char *err = calloc(1, 8192);
	int st;

	ck_assert_ptr_nonnull(err);
	kill(b->pid, SIGINT);
	waitpid(b->pid, &st, 0);
	lseek(b->err, 0, SEEK_SET);
	ck_assert_int_ge(read(b->err, err, 8191), 0);
	close(b->out);
	close(b->err);
	return err;
}

static int
count(const char *text, const char *what)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	return n;
}

/*
 * events --follow reads the stream: after --after, each event once as it
 * commits; grantd stopped and started again on the same address, it
 * resumes with Last-Event-ID and misses nothing.  (--after, not "from
 * now": the test cannot tell when grantctl has read the feed's end.)
 */
START_TEST(events_follow)
{
	const char *args[] = { "--json", "events", "--follow", "--after", NULL, NULL };
	struct harness h;
	struct env e;
	struct run r;
	struct bg b;
	char conf[8192], after[32], *err, *port;
	json_t *fd, *items;
	FILE *f;
	size_t n;

	start(&h, &e);
	if (!has_route(&h, "GET", "/v1/events/stream")) {
		ck_assert_int_eq(h_stop(&h), 0);
		h_cleanup(&h);
		return;
	}
	CTL_EXPECT(0, r, &e, "team", "create", "acme", "--name", "Acme", "--lead-org", "Acme Corp");
	run_free(&r);
	fd = h_must(h_get(&h, h.admin, "/v1/events?limit=1000"), 200, "feed");
	items = json_object_get(fd, "items");
	snprintf(after, sizeof(after), "%lld", (long long)json_integer_value(json_object_get(
	    json_array_get(items, json_array_size(items) - 1), "seq")));
	json_decref(fd);
	args[4] = after;
	bg_start(&b, &e, args);
	/* acme's event, at or before --after, is not shown. */
	CTL_EXPECT(0, r, &e, "team", "create", "beta", "--name", "Beta", "--lead-org", "Beta Corp");
	run_free(&r);
	ck_assert(bg_saw(&b, "\"resource\":\"team/beta\"", 3000));
	/* The same address after a restart: listen on the port it has now. */
	ck_assert_ptr_nonnull(port = strrchr(h.base, ':'));
	ck_assert_ptr_nonnull(f = fopen(h.conf, "r"));
	n = fread(conf, 1, sizeof(conf) - 1, f);
	fclose(f);
	conf[n] = '\0';
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert(bg_saw(&b, "", 0));
	ck_assert_ptr_nonnull(f = fopen(h.conf, "w"));
	for (char *l = conf; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != '\0'))
		if (strncmp(l, "listen = ", 9) == 0)
			fprintf(f, "listen = 127.0.0.1%s\n", port);
		else
			fprintf(f, "%.*s\n", (int)strcspn(l, "\n"), l);
	fclose(f);
	h_restart(&h);
	CTL_EXPECT(0, r, &e, "team", "create", "gamma", "--name", "Gamma", "--lead-org",
	    "Gamma Corp");
	run_free(&r);
	ck_assert_msg(bg_saw(&b, "\"resource\":\"team/gamma\"", 10000), "no gamma after the "
	    "restart: %s", b.buf);
	err = bg_stop(&b);
	ck_assert_msg(strstr(err, "the stream ended (grantd is stopping") != NULL, "%s", err);
	ck_assert_int_eq(count(b.buf, "\"resource\":\"team/acme\""), 0);
	ck_assert_int_eq(count(b.buf, "\"resource\":\"team/beta\""), 1);
	ck_assert_int_eq(count(b.buf, "\"resource\":\"team/gamma\""), 1);
	free(err);
	/* A refusal ends it with the refusal's exit status. */
	CTL_EXPECT(3, r, &e, "--token", "gd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "events",
	    "--follow", "--after", "0");
	ck_assert_ptr_nonnull(strstr(r.err, "401 unauthorized"));
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
	tcase_add_test(tc, token_states);
	tcase_add_test(tc, login_and_config);
	tcase_add_test(tc, placement_delays);
	tcase_add_test(tc, placement_delays_live);
	tcase_add_test(tc, organisations);
	tcase_add_test(tc, evaluations);
	tcase_add_test(tc, token_lifetimes);
	tcase_add_test(tc, verify_report);
	tcase_add_test(tc, nodes);
	tcase_add_test(tc, events_and_webhooks);
	tcase_add_test(tc, events_follow);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
