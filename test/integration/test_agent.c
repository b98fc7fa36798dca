/* test_agent.c: grantd-agent against a scripted NVML and a real grantd that goes away and comes back. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
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

/* The exposition as Prometheus reads it: `promtool check metrics` says nothing wrong. */
static void
promtool_passes(struct agent *a)
{
	char path[] = "/tmp/grantd-agent-metrics-XXXXXX", cmd[128], out[4096];
	struct hresp r = h_get(&a->m, NULL, "/metrics");
	size_t n;
	FILE *p;
	int fd, st;

	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, r.body, strlen(r.body)), (ssize_t)strlen(r.body));
	close(fd);
	hresp_free(&r);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	unlink(path);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "promtool: %s", out);
	/* Anything but GET /metrics: 404, and the server goes on. */
	r = h_get(&a->m, NULL, "/");
	ck_assert_int_eq(r.status, 404);
	hresp_free(&r);
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
			ck_assert_int_eq(metric(&a, "grantd_agent_energy_resets_total"), 1);
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
	promtool_passes(&a);
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

/* ---- the agent on its own: refusals, --once, retries, reloads ---- */

/* Runs the agent to its end with the fake's story and clock: its status, stdout, stderr. */
static int
run_agent(const char *const *args, const char *scriptf, const char *clock, char **out,
    char **err)
{
	const char *argv[16];
	int po[2], pe[2], st, n = 0;
	char *bufs[2];
	size_t lens[2] = { 0, 0 };
	pid_t pid;

	argv[n++] = agent_bin();
	for (; *args && n < 15; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	ck_assert_int_eq(pipe(po), 0);
	ck_assert_int_eq(pipe(pe), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		if (scriptf != NULL)
			setenv("FAKE_NVML_SCRIPT", scriptf, 1);
		if (clock != NULL)
			setenv("FAKE_NVML_CLOCK", clock, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	for (int k = 0; k < 2; k++) {
		int fd = k == 0 ? po[0] : pe[0];
		ssize_t r;

		bufs[k] = calloc(1, 65536);
		while (lens[k] < 65535 && (r = read(fd, bufs[k] + lens[k], 65535 - lens[k])) > 0)
			lens[k] += (size_t)r;
		close(fd);
	}
	waitpid(pid, &st, 0);
	*out = bufs[0];
	*err = bufs[1];
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

struct scratch {
	char dir[64], conf[128], scriptf[128], clock[128];
};

/* A directory with the story, a clock and a configuration (lib NULL: the fake NVML). */
static void
scratch_make(struct scratch *x, const char *story, const char *lib, const char *conf_text)
{
	char text[2048];

	snprintf(x->dir, sizeof(x->dir), "/tmp/grantd-agent-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(x->dir));
	snprintf(x->conf, sizeof(x->conf), "%s/agent.conf", x->dir);
	snprintf(x->scriptf, sizeof(x->scriptf), "%s/script", x->dir);
	snprintf(x->clock, sizeof(x->clock), "%s/clock", x->dir);
	write_file(x->scriptf, story, 0644);
	snprintf(text, sizeof(text), "nvml_library = %s\nnode = gpu-01\nspool_dir = %s/spool\n"
	    "metrics_listen = 127.0.0.1:0\n%s", lib ? lib : fake_lib(), x->dir, conf_text);
	write_file(x->conf, text, 0644);
}

static void
scratch_clock(struct scratch *x, int64_t t)
{
	char buf[40], tmp[160];
	time_t tt = (time_t)(T0 + t);
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ\n", &tm);
	snprintf(tmp, sizeof(tmp), "%s.tmp", x->clock);
	write_file(tmp, buf, 0644);
	ck_assert_int_eq(rename(tmp, x->clock), 0);
}

static void
scratch_remove(struct scratch *x)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	ck_assert_int_eq(system(cmd), 0);
}

#define REPORTS "url = http://127.0.0.1:9\ntoken = t0ken\npool = nhn-h100\n"

static const struct {
	const char *what, *story, *lib, *conf;
	int status;
	const char *said;
	bool config_ok;		/* -n passes: NVML is the start's business, not the check's */
} refusals[] = {
	{ "no NVML library at all", "gpu GPU-1\n", "/nonexistent/libnvidia-ml.so.1", REPORTS,
	  69, "is the NVIDIA driver installed", true },
	{ "library and kernel module of two drivers", "init error LIB_RM_VERSION_MISMATCH\n"
	  "gpu GPU-1\n", NULL, REPORTS, 69, "upgraded without a reboot", true },
	{ "no kernel module", "init error DRIVER_NOT_LOADED\ngpu GPU-1\n", NULL, REPORTS, 69,
	  "nvidia kernel module", true },
	{ "a node without GPUs", "epoch 2026-03-02T00:00:00Z\n", NULL, REPORTS, 69,
	  "sees no GPU", true },
	{ "periods that are not whole intervals", "gpu GPU-1\n", NULL, REPORTS "interval = 7\n",
	  78, "post_interval: must be a multiple of interval (7)", false },
	{ "nowhere to report", "gpu GPU-1\n", NULL, "", 78, "url: must be set", false },
	{ "a token in clear text beyond loopback", "gpu GPU-1\n", NULL,
	  "url = http://grantd.invalid:8440\ntoken = t0ken\npool = nhn-h100\n", 78,
	  "plain http:// only to loopback", false },
	{ "a key twice", "gpu GPU-1\n", NULL, REPORTS "node = gpu-02\n", 78,
	  "agent.conf:8: node: duplicate key, first set on line 2", false },
};

START_TEST(refused_at_start)
{
	const char *run[] = { "-c", NULL, NULL }, *check[] = { "-n", "-c", NULL, NULL };
	struct scratch x;
	char *out, *err;
	int st;

	scratch_make(&x, refusals[_i].story, refusals[_i].lib, refusals[_i].conf);
	run[1] = check[2] = x.conf;
	st = run_agent(run, x.scriptf, x.clock, &out, &err);
	ck_assert_msg(st == refusals[_i].status && strstr(err, refusals[_i].said),
	    "%s: exit %d, said: %s", refusals[_i].what, st, err);
	free(out);
	free(err);
	st = run_agent(check, x.scriptf, x.clock, &out, &err);
	if (refusals[_i].config_ok)
		ck_assert_msg(st == 0 && strcmp(out, "configuration OK\n") == 0, "%s: -n %d %s %s",
		    refusals[_i].what, st, out, err);
	else
		ck_assert_msg(st == 78 && strstr(err, refusals[_i].said), "%s: -n %d %s",
		    refusals[_i].what, st, err);
	free(out);
	free(err);
	scratch_remove(&x);
}
END_TEST

START_TEST(once_reads_every_gpu)
{
	const char *args[] = { "--once", "-c", NULL, "--clock-file", NULL, NULL };
	struct scratch x;
	char *out, *err;
	json_t *doc, *g0, *g1;
	int st;

	scratch_make(&x, script, NULL, "interval = 10\n");
	args[2] = x.conf;
	args[4] = x.clock;
	/* At 150 s GPU 0 holds a process that sleeps: memory in use, not busy. */
	scratch_clock(&x, 150);
	st = run_agent(args, x.scriptf, x.clock, &out, &err);
	ck_assert_msg(st == 0, "exit %d: %s", st, err);
	ck_assert_msg((doc = json_loads(out, 0, NULL)) != NULL, "not JSON: %s", out);
	ck_assert_str_eq(h_str(doc, "node"), "gpu-01");
	ck_assert_str_eq(h_str(doc, "time"), "2026-03-02T00:02:30Z");
	g0 = h_at(doc, "gpus.0");
	g1 = h_at(doc, "gpus.1");
	ck_assert_str_eq(h_str(g0, "uuid"), "GPU-11111111-2222-3333-4444-555555555555");
	ck_assert_int_eq(json_integer_value(h_at(g0, "processes.0.pid")), 4100);
	ck_assert_int_eq(json_integer_value(h_at(g0, "memory_used_bytes")), 20480LL << 20);
	ck_assert(json_real_value(h_at(g0, "busy_seconds")) == 0.0);
	ck_assert_int_eq(json_integer_value(h_at(g0, "utilization_gpu_percent")), 0);
	ck_assert_int_eq(json_integer_value(h_at(g0, "energy_mj")), (90 * 400 + 60 * 80) * 1000);
	ck_assert(json_real_value(h_at(g1, "busy_seconds")) == 10.0);
	ck_assert(json_real_value(h_at(g1, "util_weighted_seconds")) == 4.0);
	ck_assert(json_is_null(h_at(g1, "energy_mj")));
	ck_assert_int_eq(json_integer_value(h_at(g1, "power_mw")), 250000);
	json_decref(doc);
	free(out);
	free(err);
	/* At 250 s the process has left and another works; GPU 1 is lost at 430 s. */
	scratch_clock(&x, 430);
	st = run_agent(args, x.scriptf, x.clock, &out, &err);
	ck_assert_msg(st == 1, "exit %d with a GPU lost: %s", st, out);
	ck_assert_ptr_nonnull(doc = json_loads(out, 0, NULL));
	g0 = h_at(doc, "gpus.0");
	ck_assert_int_eq(json_array_size(h_at(g0, "processes")), 1);
	ck_assert_int_eq(json_integer_value(h_at(g0, "processes.0.pid")), 4200);
	ck_assert(json_real_value(h_at(g0, "busy_seconds")) == 10.0);
	ck_assert(json_real_value(h_at(g0, "util_weighted_seconds")) == 6.0);
	ck_assert_str_eq(h_str(doc, "gpus.1.error_kind"), "gpu_lost");
	ck_assert_str_eq(h_str(doc, "gpus.1.error"), "GPU is lost");
	json_decref(doc);
	free(out);
	free(err);
	scratch_remove(&x);
}
END_TEST

/*
 * Some R535 drivers write the process list in 32-byte entries where the
 * header says 24: beside a GPU listing them as the header says, one that
 * lists them wide reads the same pids and memory, and the driver's writes
 * stay inside the agent's buffer (ASan would see them past it).
 */
START_TEST(wide_process_entries)
{
	static const char wide[] =
	    "epoch 2026-03-02T00:00:00Z\n"
	    "gpu GPU-aaaaaaaa-2222-3333-4444-555555555555\n"
	    "gpu GPU-bbbbbbbb-7777-8888-9999-000000000000 wide-procs\n";
	const char *args[] = { "--once", "-c", NULL, "--clock-file", NULL, NULL };
	char story[2048], path[64];
	size_t len = strlen(wide);
	struct scratch x;
	char *out, *err;
	json_t *doc;
	int st;

	memcpy(story, wide, len + 1);
	/* More processes than the agent's first guess leaves room for. */
	for (int gpu = 0; gpu < 2; gpu++)
		for (int k = 0; k < 12; k++)
			len += (size_t)snprintf(story + len, sizeof(story) - len,
			    "at 0 gpu %d proc %d %d\n", gpu, 5000 + 100 * gpu + k, 1024 * (k + 1));
	scratch_make(&x, story, NULL, "interval = 10\n");
	args[2] = x.conf;
	args[4] = x.clock;
	scratch_clock(&x, 30);
	st = run_agent(args, x.scriptf, x.clock, &out, &err);
	ck_assert_msg(st == 0, "exit %d: %s", st, err);
	ck_assert_msg((doc = json_loads(out, 0, NULL)) != NULL, "not JSON: %s", out);
	for (int gpu = 0; gpu < 2; gpu++) {
		snprintf(path, sizeof(path), "gpus.%d.processes", gpu);
		ck_assert_int_eq(json_array_size(h_at(doc, path)), 12);
		for (int k = 0; k < 12; k++) {
			snprintf(path, sizeof(path), "gpus.%d.processes.%d.pid", gpu, k);
			ck_assert_int_eq(json_integer_value(h_at(doc, path)), 5000 + 100 * gpu + k);
			snprintf(path, sizeof(path), "gpus.%d.processes.%d.used_memory_bytes", gpu,
			    k);
			ck_assert_int_eq(json_integer_value(h_at(doc, path)),
			    (json_int_t)(1024 * (k + 1)) << 20);
		}
	}
	json_decref(doc);
	free(out);
	free(err);
	scratch_remove(&x);
}
END_TEST

/*
 * A stand-in for grantd on a loopback port, in a child process: the first
 * POST is 429 with Retry-After: 120, every later one 202; each request's
 * first line is appended to a file, so the test counts the tries.
 */
static pid_t
fake_grantd(int *port, const char *seen)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1, n = 0;
	pid_t pid;

	ck_assert_int_ge(s, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(s, 8), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	for (;;) {
		char req[8192], *body;
		size_t len = 0;
		ssize_t r;
		long clen = 0;
		int c = accept(s, NULL, NULL);
		FILE *f;

		if (c < 0)
			continue;
		while (len < sizeof(req) - 1 && (r = read(c, req + len, sizeof(req) - 1 - len)) > 0) {
			len += (size_t)r;
			req[len] = '\0';
			if ((body = strstr(req, "\r\n\r\n")) != NULL) {
				char *cl = strcasestr(req, "Content-Length:");

				clen = cl ? strtol(cl + 15, NULL, 10) : 0;
				if ((size_t)(body + 4 - req) + (size_t)clen <= len)
					break;
			}
		}
		req[strcspn(req, "\r\n")] = '\0';
		if ((f = fopen(seen, "a")) != NULL) {
			fprintf(f, "%s\n", req);
			fclose(f);
		}
		if (n++ == 0)
			dprintf(c, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 120\r\n"
			    "Content-Type: application/json\r\nContent-Length: 2\r\n"
			    "Connection: close\r\n\r\n{}");
		else
			dprintf(c, "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
			    "Content-Length: 26\r\nConnection: close\r\n\r\n"
			    "{\"accepted\":1,\"flagged\":0}");
		close(c);
	}
}

static int
lines_in(const char *path)
{
	FILE *f = fopen(path, "r");
	int n = 0, ch;

	if (f == NULL)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

START_TEST(retry_after_is_honoured_and_sighup_reloads)
{
	struct scratch x;
	struct agent a;
	char conf[512], seen[160], path[1024];
	int port, st;
	pid_t srv;

	snprintf(seen, sizeof(seen), "/tmp/grantd-agent-seen-%d", (int)getpid());
	unlink(seen);
	srv = fake_grantd(&port, seen);
	snprintf(conf, sizeof(conf), "url = http://127.0.0.1:%d\ntoken = t0ken\npool = nhn-h100\n"
	    "team = acme\nlog_level = debug\n", port);
	scratch_make(&x, script, NULL, conf);
	/* One batch waits in the spool from before: it goes at the start. */
	snprintf(path, sizeof(path), "%s/spool", x.dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/spool/001772409000-gpu-01-1772409000.json", x.dir);
	write_file(path, "{\"batch_id\":\"gpu-01-1772409000\",\"samples\":[]}", 0600);
	scratch_clock(&x, 0);
	agent_spawn(&a, x.conf, x.clock, x.scriptf);
	wait_metric(&a, "grantd_agent_posts_total{result=\"failed\"}", 1);
	ck_assert_int_eq(lines_in(seen), 1);
	/* Not again before the 120 s grantd asked for, whatever the back-off says. */
	for (int64_t t = 10; t < 120; t += 10) {
		scratch_clock(&x, t);
		wait_metric(&a, "grantd_agent_last_reading_timestamp_seconds", T0 + t);
	}
	ck_assert_int_eq(lines_in(seen), 1);
	ck_assert_int_eq(metric(&a, "grantd_agent_spool_batches"), 2);
	/* A broken configuration is refused by SIGHUP; the agent goes on as it was. */
	write_file(x.conf, "interval = nonsense\n", 0644);
	kill(a.pid, SIGHUP);
	usleep(100000);
	ck_assert_int_eq(metric(&a, "grantd_agent_gpus"), 2);
	ck_assert_int_eq(metric(&a, "grantd_agent_reloads_total{result=\"refused\"}"), 1);
	/* A good one is taken, a key that needs a restart kept as it runs. */
	snprintf(path, sizeof(path), "nvml_library = %s\nnode = gpu-01\nspool_dir = %s/spool\n"
	    "metrics_listen = 127.0.0.1:0\n%sspool_max_batches = 50\ninterval = 5\n", fake_lib(),
	    x.dir, conf);
	write_file(x.conf, path, 0644);
	kill(a.pid, SIGHUP);
	wait_metric(&a, "grantd_agent_reloads_total{result=\"ok\"}", 1);
	scratch_clock(&x, 120);
	wait_metric(&a, "grantd_agent_spool_batches", 0);
	ck_assert_int_eq(metric(&a, "grantd_agent_posts_total{result=\"ok\"}"), 3);
	ck_assert_int_eq(lines_in(seen), 4);
	ck_assert_int_eq(agent_stop(&a), 0);
	kill(srv, SIGKILL);
	waitpid(srv, &st, 0);
	unlink(seen);
	scratch_remove(&x);
}
END_TEST

/* ---- HTTPS ---- */

static void
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, cmd);
}

/*
 * grantd over HTTPS with a certificate from a CA made here: the agent that
 * is given the CA (cacert =) delivers; one left with the system's store
 * refuses the certificate and keeps its batch, never sending it in clear
 * or unverified.
 */
START_TEST(https_verified_with_cacert)
{
	char conf[400], scriptf[400], text[4096], *token;
	struct harness h;
	struct agent a, b;

	h_init(&h, NULL);
	sh("cd '%s' && printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
	    "extendedKeyUsage=serverAuth\n' > server.ext && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
	    "-subj '/CN=Test Agency CA' -addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign -keyout ca.key -out ca.pem 2>/dev/null && "
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=grantd' "
	    "-keyout server.key -out server.csr 2>/dev/null && "
	    "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -set_serial 0x21 "
	    "-days 30 -extfile server.ext -out server.pem 2>/dev/null && chmod 600 server.key && "
	    "printf '[tls]\ncertificate = %s/server.pem\nkey = %s/server.key\n' >> grantd.conf",
	    h.dir, h.dir, h.dir);
	h_clock(&h, "2026-02-20T00:00:00Z");
	snprintf(text, sizeof(text), "%s/ca.pem", h.dir);
	h_start_tls(&h, text);
	setup_programme(&h);
	must(&h, "PUT", "/v1/pools/nhn-h100/nodes/gpu-01", 200, "{\"team\":\"acme\",\"reason\":"
	    "\"rack 3\"}");
	token = node_token(&h, "gpu-01");
	agent_files(&h, token, conf, sizeof(conf), scriptf, sizeof(scriptf));
	ck_assert_int_eq(strncmp(h.base, "https://", 8), 0);
	/* The first agent trusts the CA. */
	snprintf(text, sizeof(text), "cacert = %s/ca.pem\n", h.dir);
	{
		FILE *f = fopen(conf, "a");

		ck_assert_ptr_nonnull(f);
		fputs(text, f);
		fclose(f);
	}
	clock_at(&h, 0);
	agent_spawn(&a, conf, h.clock, scriptf);
	wait_metric(&a, "grantd_agent_assigned", 1);
	/* The second, the same but for cacert and its spool, does not. */
	sh("cd '%s' && sed -e '/^cacert/d' -e 's#/agent/spool#/agent2/spool#' grantd-agent.conf "
	    "> agent2.conf && echo 'team = acme' >> agent2.conf", h.dir);
	snprintf(text, sizeof(text), "%s/agent2.conf", h.dir);
	agent_spawn(&b, text, h.clock, scriptf);
	for (int64_t t = 10; t <= 60; t += 10) {
		step(&h, &a, t);
		wait_metric(&b, "grantd_agent_last_reading_timestamp_seconds", T0 + t);
	}
	wait_metric(&a, "grantd_agent_posts_total{result=\"ok\"}", 1);
	ck_assert_int_eq(metric(&a, "grantd_agent_spool_batches"), 0);
	/* Its batch is kept for a retry (after the operator gives it the CA), never sent unverified. */
	wait_metric(&b, "grantd_agent_posts_total{result=\"failed\"}", 1);
	ck_assert_int_eq(metric(&b, "grantd_agent_posts_total{result=\"ok\"}"), 0);
	ck_assert_int_eq(metric(&b, "grantd_agent_spool_batches"), 1);
	ck_assert_int_eq(agent_stop(&a), 0);
	ck_assert_int_eq(agent_stop(&b), 0);
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
	tcase_add_test(tc, https_verified_with_cacert);
	suite_add_tcase(s, tc);
	tc = tcase_create("alone");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, refused_at_start, 0, sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, once_reads_every_gpu);
	tcase_add_test(tc, wide_process_entries);
	tcase_add_test(tc, retry_after_is_honoured_and_sighup_reloads);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
