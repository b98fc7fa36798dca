/* test_agent.c: grantd-agent against a scripted NVML and a real grantd that goes away and comes back. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * The story (seconds after T0 = 2026-03-02T00:00:00Z; second s is the time
 * (s-1, s], as test/fakenvml/fakenvml.c models it):
 *
 *	GPU 0	100 % at 400 W up to 90 s; then a process that only sleeps on
 *		it, 0 % at 80 W up to 200 s; then 60 % at 300 W.  Its energy
 *		counter starts again from 0 just after 300 s.
 *	GPU 1	40 % at 250 W throughout, with no energy counter (power x
 *		time); lost from 420 s to 450 s.
 *	NVML	not ready from 600 s to 610 s.
 *
 * The agent reads every 10 s and reports every 60 s.  It starts before
 * any operator has assigned its node, so the first period is not reported;
 * the node is assigned at 60 s.  grantd is down from 170 s to 500 s; the
 * agent itself is stopped at 735 s and started again at once.  Every
 * reported period must reach grantd once: the measured sums of the team's
 * quota equal the sums worked out below from the story, reading by reading
 * as the agent counts (a GPU that fails a reading is counted again from
 * the reading after the next that succeeds: that one is its new baseline).
 * Each reading's measures are whole units here, the stop's 5 s included:
 * the agent keeps what rounding leaves over in memory, so a stop may lose
 * less than a unit of each, which would blur an exact comparison.
 */
#define T0		INT64_C(1772409600)
#define STOP_AT		735
#define END		960
#define DOWN_FROM	170
#define DOWN_TO		500

static const char script[] =
    "epoch 2026-03-02T00:00:00Z\n"
    "gpu GPU-11111111-2222-3333-4444-555555555555\n"
    "gpu GPU-66666666-7777-8888-9999-000000000000 power-only\n"
    "at 0 gpu 0 util 100\n"
    "at 0 gpu 0 power 400\n"
    "at 0 gpu 0 proc 4100 20480\n"
    "at 90 gpu 0 util 0\n"
    "at 90 gpu 0 power 80\n"
    "at 200 gpu 0 exit 4100\n"
    "at 200 gpu 0 proc 4200 40960\n"
    "at 200 gpu 0 util 60\n"
    "at 200 gpu 0 power 300\n"
    "at 300 gpu 0 energy-reset 0\n"
    "at 0 gpu 1 util 40\n"
    "at 0 gpu 1 power 250\n"
    "at 420 gpu 1 error GPU_IS_LOST\n"
    "at 450 gpu 1 ok\n"
    "at 600 all error NOT_READY\n"
    "at 610 all ok\n";

static int
util_of(int gpu, int64_t s)
{
	if (gpu == 1)
		return 40;
	return s <= 90 ? 100 : s <= 200 ? 0 : 60;
}

static int64_t
watts_of(int gpu, int64_t s)
{
	if (gpu == 1)
		return 250;
	return s <= 90 ? 400 : s <= 200 ? 80 : 300;
}

static bool
answers(int gpu, int64_t t)
{
	if (t >= 600 && t < 610)
		return false;
	return !(gpu == 1 && t >= 420 && t < 450);
}

struct truth {
	int64_t gpu, busy, util100, energy;
};

/* Adds what one GPU shows over [a, b) to t, as the fake plays it. */
static void
add_span(struct truth *t, int gpu, int64_t a, int64_t b)
{
	t->gpu += b - a;
	for (int64_t s = a + 1; s <= b; s++) {
		t->busy += util_of(gpu, s) > 0;
		t->util100 += util_of(gpu, s);
		/* GPU 1 has no counter: power read at b, times the span, as the agent does. */
		t->energy += gpu == 0 ? watts_of(0, s) : watts_of(1, b + 1);
	}
}

/* The readings: every 10 s, and the stop's own at STOP_AT; counted from 60 s (unassigned before). */
static struct truth
worked_out(int64_t end)
{
	struct truth t = { 0 };
	bool seen[2] = { false, false };
	int64_t prev = 0;

	for (int64_t r = 0; r <= end; r = r == 730 ? STOP_AT : r == STOP_AT ? 740 : r + 10) {
		for (int g = 0; g < 2; g++) {
			if (!answers(g, r)) {
				seen[g] = false;
				continue;
			}
			if (seen[g] && prev >= 60)
				add_span(&t, g, prev, r);
			seen[g] = true;
		}
		prev = r;
	}
	return t;
}

/* ---- the agent as a process ---- */

struct agent {
	pid_t pid;
	int out;
	struct harness m;	/* its metrics endpoint, for h_get */
};

static const char *
agent_bin(void)
{
	const char *b = getenv("GRANTD_AGENT_BIN");

	return b ? b : "build/grantd-agent";
}

static const char *
fake_lib(void)
{
	const char *b = getenv("FAKE_NVML_LIB");

	return b ? b : "build/test/fakenvml/libnvidia-ml.so.1";
}

static void
agent_spawn(struct agent *a, const char *conf, const char *clock, const char *scriptf)
{
	char line[160];
	size_t len = 0;
	int p[2];

	memset(a, 0, sizeof(*a));
	ck_assert_int_eq(pipe(p), 0);
	a->pid = fork();
	ck_assert_int_ge(a->pid, 0);
	if (a->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		setenv("FAKE_NVML_SCRIPT", scriptf, 1);
		setenv("FAKE_NVML_CLOCK", clock, 1);
		execl(agent_bin(), agent_bin(), "-c", conf, "--clock-file", clock, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	a->out = p[0];
	fprintf(stderr, "--- %s: grantd-agent %d started\n", tcase_name() ? tcase_name() : "?",
	    (int)a->pid);
	while (len < sizeof(line) - 1 && read(a->out, line + len, 1) == 1 && line[len] != '\n')
		len++;
	line[len] = '\0';
	ck_assert_msg(strncmp(line, "metrics on ", 11) == 0, "grantd-agent said: '%s'", line);
	snprintf(a->m.base, sizeof(a->m.base), "http://%.40s", line + 11);
}

static int
agent_stop(struct agent *a)
{
	int st;

	if (a->pid <= 0)
		return -1;
	kill(a->pid, SIGTERM);
	waitpid(a->pid, &st, 0);
	a->pid = -1;
	close(a->out);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A metric's value (the first line that begins with name), -1 when there is none. */
static long long
metric(struct agent *a, const char *name)
{
	struct hresp r = h_get(&a->m, NULL, "/metrics");
	size_t n = strlen(name);
	long long v = -1;

	ck_assert_int_eq(r.status, 200);
	for (const char *p = r.body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (strncmp(p, name, n) == 0 && p[n] == ' ') {
			v = strtoll(p + n + 1, NULL, 10);
			break;
		}
	}
	hresp_free(&r);
	return v;
}

/* Polls for about tries x 10 ms; the value last read. */
static long long
poll_metric(struct agent *a, const char *name, long long want, int tries)
{
	long long v = -2;

	for (int i = 0; i < tries; i++) {
		if ((v = metric(a, name)) == want)
			break;
		usleep(10000);
	}
	return v;
}

static void
wait_metric(struct agent *a, const char *name, long long want)
{
	long long v = poll_metric(a, name, want, 1000);

	ck_assert_msg(v == want, "%s stayed %lld, not %lld", name, v, want);
}

static void
clock_at(struct harness *h, int64_t t)
{
	char buf[32];
	time_t tt = (time_t)(T0 + t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	h_clock(h, buf);
}

/* Steps the shared clock to T0 + t and waits for the agent's reading of it. */
static void
step(struct harness *h, struct agent *a, int64_t t)
{
	clock_at(h, t);
	wait_metric(a, "grantd_agent_last_reading_timestamp_seconds", T0 + t);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static char *
read_text(const char *path)
{
	char *buf = calloc(1, 8192);
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(read(fd, buf, 8191), 0);
	close(fd);
	return buf;
}

/* grantd's port made fixed, so that the agent finds it again after a restart. */
static void
pin_port(struct harness *h)
{
	char *text = read_text(h->conf), *at, out[8192];
	const char *port = strrchr(h->base, ':') + 1;

	ck_assert_ptr_nonnull(at = strstr(text, "127.0.0.1:0\n"));
	*at = '\0';
	snprintf(out, sizeof(out), "%s127.0.0.1:%s\n%s", text, port, at + 12);
	write_file(h->conf, out, 0600);
	free(text);
}

static void
must(struct harness *h, const char *method, const char *path, long status, const char *body)
{
	struct hresp r = h_req(h, method, path, h->admin, body, NULL);

	ck_assert_msg(r.status == status, "%s %s: %ld %s", method, path, r.status, r.body);
	hresp_free(&r);
}

static void
setup_programme(struct harness *h)
{
	must(h, "POST", "/v1/programs", 201, "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\","
	    "\"timezone\":\"Asia/Seoul\"}");
	must(h, "POST", "/v1/programs/sovereign-ai/phases", 201, "{\"id\":\"stage-1\",\"name\":"
	    "\"First stage\",\"starts_on\":\"2026-03-01\",\"period_days\":181,\"evaluation_on\":"
	    "\"2026-08-15\",\"package\":{\"card_model\":\"H100\",\"cards\":8,\"voucher_krw\":"
	    "1000000}}");
	must(h, "POST", "/v1/teams", 201, "{\"id\":\"acme\",\"name\":\"Acme consortium\","
	    "\"lead_org\":\"Acme Corp\"}");
	must(h, "POST", "/v1/pools", 201, "{\"id\":\"nhn-h100\",\"provider\":\"NHN Cloud\","
	    "\"site\":\"Gwangju\",\"card_model\":\"H100\",\"cards\":64}");
	must(h, "POST", "/v1/phases/stage-1/enrollments", 201, "{\"team\":\"acme\",\"grants\":"
	    "[{\"pool\":\"nhn-h100\",\"cards\":8}]}");
}

static char *
node_token(struct harness *h, const char *node)
{
	struct hresp r = h_post(h, h->admin, "/v1/tokens", "{\"name\":\"%s-agent\",\"role\":"
	    "\"agent\",\"pool\":\"nhn-h100\",\"node\":\"%s\"}", node, node);
	char *s;

	ck_assert_msg(r.status == 201, "token: %ld %s", r.status, r.body);
	s = strdup(json_string_value(json_object_get(r.json, "token")));
	hresp_free(&r);
	return s;
}

/* The agent's files in the harness's directory: configuration, token, script, spool. */
static void
agent_files(struct harness *h, const char *token, char *conf, size_t conflen, char *scriptf,
    size_t scriptlen)
{
	char path[400], text[2048];

	snprintf(path, sizeof(path), "%s/agent-token", h->dir);
	write_file(path, token, 0600);
	snprintf(scriptf, scriptlen, "%s/nvml-script", h->dir);
	write_file(scriptf, script, 0644);
	snprintf(conf, conflen, "%s/grantd-agent.conf", h->dir);
	snprintf(text, sizeof(text),
	    "; grantd-agent, as a test runs it\n"
	    "url = %s\n"
	    "token_file = %s/agent-token\n"
	    "pool = nhn-h100\n"
	    "node = gpu-01\n"
	    "interval = 10\n"
	    "post_interval = 60\n"
	    "spool_dir = %s/agent/spool\n"
	    "metrics_listen = 127.0.0.1:0\n"
	    "nvml_library = %s\n"
	    "log_level = info\n", h->base, h->dir, h->dir, fake_lib());
	write_file(conf, text, 0644);
}

/* A batch grantd must refuse (another node's sample under gpu-01's token), left in the spool. */
static void
plant_refused_batch(struct harness *h)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/agent", h->dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/agent/spool", h->dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/agent/spool/001772409000-gpu-99-1772409000.json", h->dir);
	write_file(path, "{\"batch_id\":\"gpu-99-1772409000\",\"samples\":[{\"pool\":\"nhn-h100\","
	    "\"team\":\"acme\",\"node\":\"gpu-99\",\"from\":\"2026-03-01T23:50:00Z\",\"to\":"
	    "\"2026-03-01T23:51:00Z\",\"gpu_seconds\":60}]}", 0600);
}

START_TEST(every_period_once_through_an_outage)
{
	struct truth want;
	char conf[400], scriptf[400], path[500], *token, *text;
	struct harness h;
	struct agent a;
	json_t *q, *m, *node;
	int64_t t;

	h_init(&h, NULL);
	h_clock(&h, "2026-02-20T00:00:00Z");
	h_start(&h);
	pin_port(&h);
	setup_programme(&h);
	token = node_token(&h, "gpu-01");
	agent_files(&h, token, conf, sizeof(conf), scriptf, sizeof(scriptf));
	plant_refused_batch(&h);

	/* Started before the node is assigned: grantd does not know it (404), so no team. */
	clock_at(&h, 0);
	agent_spawn(&a, conf, h.clock, scriptf);
	wait_metric(&a, "grantd_agent_assigned", 0);
	wait_metric(&a, "grantd_agent_dead_letters", 1);
	wait_metric(&a, "grantd_agent_gpus", 2);
	for (t = 10; t <= 50; t += 10)
		step(&h, &a, t);
	must(&h, "PUT", "/v1/pools/nhn-h100/nodes/gpu-01", 200, "{\"team\":\"acme\",\"reason\":"
	    "\"rack 3, acme's training nodes\"}");
	step(&h, &a, 60);
	wait_metric(&a, "grantd_agent_assigned", 1);
	ck_assert_int_eq(metric(&a, "grantd_agent_periods_total{result=\"unassigned\"}"), 1);

	for (t = 70; t <= 730; t += 10) {
		if (t == DOWN_FROM)
			ck_assert_int_eq(h_stop(&h), 0);
		if (t == DOWN_TO)
			h_restart(&h);
		step(&h, &a, t);
		/* While grantd is away, the batches wait in the spool. */
		if (t == DOWN_TO - 10)
			ck_assert_int_ge(metric(&a, "grantd_agent_spool_batches"), 5);
		/* GPU 0's counter started again after 300 s: counted from its new value, said. */
		if (t == 310)
			ck_assert_int_eq(metric(&a, "grantd_agent_energy_counter_resets_total"), 1);
	}
	/* Stopped mid-period: the period so far goes to the spool, and is sent after the start. */
	clock_at(&h, STOP_AT);
	ck_assert_int_eq(agent_stop(&a), 0);
	agent_spawn(&a, conf, h.clock, scriptf);
	wait_metric(&a, "grantd_agent_assigned", 1);
	for (t = 740; t <= END; t += 10)
		step(&h, &a, t);
	/*
	 * What waits in the spool goes out, oldest first, once its back-off has
	 * passed: time goes on, period by period, until the spool is empty at a
	 * period's end (the agent goes on reading meanwhile: the story goes on).
	 */
	for (t = END; t % 60 != 0 || poll_metric(&a, "grantd_agent_spool_batches", 0, 100) != 0;) {
		ck_assert_msg(t < END + 1200, "the spool never emptied");
		t += 10;
		step(&h, &a, t);
	}
	ck_assert_int_eq(metric(&a, "grantd_agent_dead_letters"), 1);
	ck_assert_int_eq(metric(&a, "grantd_agent_posts_total{result=\"dead\"}"), 0);
	ck_assert_int_eq(agent_stop(&a), 0);
	want = worked_out(t);

	/* Every period once: grantd's measured sums are the story's. */
	q = h_must(h_get(&h, h.admin, "/v1/teams/acme/quota?phase=stage-1&at="
	    "2026-03-02T03:00:00Z"), 200, "quota");
	m = json_object_get(q, "measured");
	ck_assert_msg(m != NULL, "no measured in %s", json_dumps(q, 0));
	ck_assert_int_eq(json_integer_value(json_object_get(m, "gpu_seconds")), want.gpu);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "busy_gpu_seconds")), want.busy);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "util_weighted_gpu_seconds")),
	    want.util100 / 100);
	ck_assert_int_eq(json_integer_value(json_object_get(m, "energy_j")), want.energy);
	json_decref(q);
	/* The node was seen, its last batch the last period's. */
	node = h_must(h_get(&h, h.admin, "/v1/pools/nhn-h100/nodes/gpu-01"), 200, "node");
	ck_assert_str_eq(h_str(node, "team"), "acme");
	snprintf(path, sizeof(path), "gpu-01-%lld", (long long)(T0 + t - 60));
	ck_assert_str_eq(h_str(node, "last_batch"), path);
	json_decref(node);
	/* The refused batch is a dead letter, with grantd's reason beside it. */
	snprintf(path, sizeof(path), "%s/agent/dead/001772409000-gpu-99-1772409000.json.reason",
	    h.dir);
	text = read_text(path);
	ck_assert_msg(strstr(text, "HTTP 403") && strstr(text, "other_node"), "reason: %s", text);
	free(text);
	free(token);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("story");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, every_period_once_through_an_outage);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
