/* agent.c: the daemon: read every GPU each interval, close periods into batches, spool and post them. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "civil.h"
#include "log.h"

#define US		1000000LL
/* With a clock file the file is read this often: tests step time, never sleep. */
#define TEST_TICK_MS	20
/* In real time the loop wakes at least this often, to notice a clock that jumped. */
#define REAL_TICK_MS	1000
/* Where the last answer about the node's team is kept, in the spool directory. */
#define TEAM_FILE	".team"

static void on_tick(uv_timer_t *t);
static void send_next(struct agent *a, int64_t now_ms);

/* ---- the clock ---- */

int64_t
agent_clock_ms(const char *clock_file)
{
	struct timespec ts;
	char buf[64];
	int64_t t;
	ssize_t n;
	int fd;

	/* A test's clock file: an RFC 3339 instant, read every time (an unreadable one is ignored). */
	if (clock_file != NULL && (fd = open(clock_file, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\r\n ")] = '\0';
			if (civil_parse_instant(buf, &t) == 0)
				return t * 1000;
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
secs(int64_t ms)
{
	return (ms + 500) / 1000;
}

static const char *
instant(int64_t t, char *buf)
{
	civil_format_instant(t, buf);
	return buf;
}

/* ---- the node's team ---- */

static const char *
team_of(const struct agent *a)
{
	if (a->conf.team[0] != '\0')
		return a->conf.team;
	return a->assigned == 1 ? a->team : NULL;
}

/* What grantd said last, so that a restart while grantd is away still knows. */
static void
team_remember(struct agent *a)
{
	char path[CONF_PATH_LEN + 16], tmp[CONF_PATH_LEN + 24], line[CONF_ID_LEN + 16];
	int fd, n;

	n = snprintf(line, sizeof(line), "%s\n", a->assigned == 1 ? a->team : "-");
	snprintf(path, sizeof(path), "%s/%s", a->conf.spool_dir, TEAM_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.tmp%s", a->conf.spool_dir, TEAM_FILE);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) < 0 || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		log_warn("cannot keep the node's team in %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
	}
}

static void
team_recall(struct agent *a)
{
	char path[CONF_PATH_LEN + 16], line[CONF_ID_LEN + 16];
	ssize_t n;
	int fd;

	a->assigned = -1;
	snprintf(path, sizeof(path), "%s/%s", a->conf.spool_dir, TEAM_FILE);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line, "-") == 0) {
		a->assigned = 0;
	} else if (conf_valid_id(line)) {
		a->assigned = 1;
		snprintf(a->team, sizeof(a->team), "%.63s", line);
		log_info("node %s serves team %s (as grantd said before this start)",
		    a->conf.node, a->team);
	}
}

static void
team_set(struct agent *a, const char *team)
{
	int was = a->assigned;
	char old[CONF_ID_LEN];

	snprintf(old, sizeof(old), "%s", a->team);
	a->assigned = team != NULL ? 1 : 0;
	snprintf(a->team, sizeof(a->team), "%s", team ? team : "");
	if (was == a->assigned && strcmp(old, a->team) == 0)
		return;
	if (team != NULL)
		log_notice("grantd assigns node %s of pool %s to team %s", a->conf.node,
		    a->conf.pool, team);
	else
		log_warn("grantd assigns node %s of pool %s to no team: its usage is not "
		    "reported until an operator assigns it", a->conf.node, a->conf.pool);
	team_remember(a);
}

/* The answer understood: the team (NULL for none), true; else false. */
static bool
team_answer(const struct http_reply *r, const char **team, json_t **doc)
{
	json_t *t;

	*doc = NULL;
	*team = NULL;
	/* 404: grantd knows no such node; nobody has assigned it yet. */
	if (r->status == 404)
		return true;
	if (r->status != 200 || (*doc = json_loadb(r->body, r->len, 0, NULL)) == NULL)
		return false;
	t = json_object_get(*doc, "team");
	if (json_is_string(t) && conf_valid_id(json_string_value(t)))
		*team = json_string_value(t);
	return json_is_null(t) || *team != NULL;
}

static void
on_team(void *arg, const struct http_reply *r)
{
	struct agent *a = arg;
	int64_t now_ms = agent_clock_ms(a->clock_file);
	const char *team;
	json_t *doc;

	a->team_busy = false;
	if (a->stopping)
		return;
	if (team_answer(r, &team, &doc)) {
		if (a->team_failing)
			log_notice("grantd answers again about node %s", a->conf.node);
		a->team_failing = false;
		team_set(a, team);
		json_decref(doc);
		a->next_team_ms = now_ms + (int64_t)a->conf.post_interval * 1000;
		return;
	}
	json_decref(doc);
	a->n.team_lookups_failed++;
	a->next_team_ms = now_ms + (int64_t)a->conf.interval * 1000;
	/* Said once, not at every try while grantd is away. */
	if (a->team_failing)
		return;
	a->team_failing = true;
	if (r->status != 0)
		log_warn("grantd did not say which team node %s serves: HTTP %ld %.200s%s",
		    a->conf.node, r->status, r->body, a->assigned == 1 ? "; keeping the last "
		    "answer" : "");
	else
		log_warn("cannot ask grantd which team node %s serves: %s%s", a->conf.node,
		    r->error, a->assigned == 1 ? "; keeping the last answer" : "");
}

static void
team_lookup(struct agent *a)
{
	char url[CONF_URL_LEN + 2 * CONF_ID_LEN + 32];
	struct http_req rq = { .method = "GET", .url = url, .token = a->conf.token,
		.cacert = a->conf.cacert, .timeout = a->conf.timeout };

	/* Pool and node ids are URL-safe as they are (conf.c checks them). */
	snprintf(url, sizeof(url), "%s/v1/pools/%s/nodes/%s", a->conf.url, a->conf.pool,
	    a->conf.node);
	if (http_start(&a->http, &rq, on_team, a) < 0) {
		log_error("cannot start a request to %s", url);
		return;
	}
	a->team_busy = true;
}

/* ---- periods into batches ---- */

static char *
batch_json(const struct agent *a, const char *team, const struct acct_sample *s,
    const char *batch_id)
{
	char from[CIVIL_INSTANT_LEN], to[CIVIL_INSTANT_LEN];
	json_t *sample, *doc;
	char *text;

	sample = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "pool", a->conf.pool,
	    "team", team, "node", a->conf.node, "from", instant(s->from, from), "to",
	    instant(s->to, to), "gpu_seconds", (json_int_t)s->gpu_seconds, "busy_gpu_seconds",
	    (json_int_t)s->busy_gpu_seconds, "util_weighted_gpu_seconds",
	    (json_int_t)s->util_weighted_gpu_seconds);
	if (sample == NULL)
		return NULL;
	if (s->has_energy && json_object_set_new(sample, "energy_j",
	    json_integer((json_int_t)s->energy_j)) < 0) {
		json_decref(sample);
		return NULL;
	}
	doc = json_pack("{s:s, s:[o]}", "batch_id", batch_id, "samples", sample);
	if (doc == NULL)
		return NULL;
	text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	return text;
}

static void
report_period(struct agent *a, const struct acct_sample *s)
{
	char from[CIVIL_INSTANT_LEN], to[CIVIL_INSTANT_LEN], id[CONF_ID_LEN + 24];
	char dropped[300], err[AGENT_ERRLEN];
	const char *team = team_of(a);
	char *body;

	instant(s->from, from);
	instant(s->to, to);
	if (s->gpu_seconds <= 0) {
		a->n.periods[PR_EMPTY]++;
		log_info("period %s to %s: no GPU answered, nothing to report", from, to);
		return;
	}
	if (team == NULL) {
		a->n.periods[PR_UNASSIGNED]++;
		log_warn("period %s to %s not reported: %s", from, to, a->assigned == 0 ?
		    "the node serves no team (grantd says so)" : "grantd has not yet said which "
		    "team the node serves (team = in the configuration reports without asking)");
		return;
	}
	if (acct_batch_id(a->conf.node, s->from, id, sizeof(id)) < 0 ||
	    (body = batch_json(a, team, s, id)) == NULL) {
		a->n.periods[PR_FAILED]++;
		log_error("period %s to %s: cannot make its batch (out of memory)", from, to);
		return;
	}
	if (spool_put(&a->spool, id, s->from, body, strlen(body), dropped, sizeof(dropped), err,
	    sizeof(err)) < 0) {
		a->n.periods[PR_FAILED]++;
		log_error("period %s to %s lost: %s", from, to, err);
		free(body);
		return;
	}
	if (dropped[0] != '\0')
		log_warn("the spool holds %zu batches, its limit: dropped the oldest, %s "
		    "(%llu dropped so far)", a->spool.max, dropped,
		    (unsigned long long)a->spool.dropped);
	a->n.periods[PR_SPOOLED]++;
	log_debug("batch %s: %s", id, body);
	free(body);
}

static void
close_periods(struct agent *a, int64_t now)
{
	struct acct_sample out[ACCT_MAXWIN];
	size_t n = acct_close(&a->acct, now, out, ACCT_MAXWIN);

	for (size_t i = 0; i < n; i++)
		report_period(a, &out[i]);
}

/* ---- reading the GPUs ---- */

static void
baseline(struct gpu_state *g, const struct gpu_reading *r, int64_t now)
{
	g->seen = true;
	g->floor_us = now * US;
	g->prev_ts = now * US;
	if (r->nsamples > 0 && r->samples[r->nsamples - 1].ts_us > g->prev_ts)
		g->prev_ts = r->samples[r->nsamples - 1].ts_us;
	g->have_energy = r->has_energy;
	g->energy_mj = r->energy_mj;
}

static void
gpu_failed(struct agent *a, struct gpu_state *g, const struct gpu_reading *r)
{
	enum nvml_kind k = nvml_kind_of(r->rc);

	a->n.nvml_errors[k]++;
	if (g->up || g->last_rc != r->rc)
		log_warn("GPU %u (%s): %s: %s; skipped until it answers", r->index,
		    g->uuid[0] ? g->uuid : "uuid unknown", r->failed, nvml_strerror(&a->nvml, r->rc));
	g->up = false;
	g->seen = false;
	g->last_rc = r->rc;
}

/* The energy of the span: the counter's difference, else power x time, else none. */
static void
span_energy(struct agent *a, struct gpu_state *g, const struct gpu_reading *r,
    struct acct_span *sp)
{
	bool back;

	if (r->has_energy && g->have_energy) {
		sp->energy_mj = acct_energy_delta(g->energy_mj, r->energy_mj, &back);
		sp->have_energy = true;
		if (back) {
			a->n.energy_backwards++;
			log_warn("GPU %u (%s): the energy counter went back from %llu to %llu mJ "
			    "(wrapped, or the driver reset it): counted from its new value",
			    r->index, g->uuid, (unsigned long long)g->energy_mj,
			    (unsigned long long)r->energy_mj);
		}
		return;
	}
	if (r->has_power) {
		if (!r->has_energy && !g->said_power) {
			log_notice("GPU %u (%s) has no energy counter: its energy is power x time "
			    "(one power reading per %d s)", r->index, g->uuid, a->conf.interval);
			g->said_power = true;
		}
		sp->energy_mj = (uint64_t)r->power_mw * (uint64_t)(sp->now - sp->since);
		sp->have_energy = true;
	}
}

static void
read_gpu(struct agent *a, unsigned i, int64_t now)
{
	struct gpu_state *g = &a->gpu[i];
	struct gpu_reading r;
	struct acct_span sp;

	if (nvml_read_gpu(&a->nvml, i, g->seen ? (uint64_t)g->prev_ts : (uint64_t)(now * US),
	    &r) < 0) {
		gpu_failed(a, g, &r);
		gpu_reading_free(&r);
		return;
	}
	if (!g->up && g->last_rc != NVML_SUCCESS)
		log_notice("GPU %u (%s) answers again: counted from its next reading", i, r.uuid);
	if (g->seen && strcmp(g->uuid, r.uuid) != 0) {
		log_warn("GPU %u is now %s (was %s): counted from its next reading", i, r.uuid,
		    g->uuid);
		g->seen = false;
	}
	memcpy(g->uuid, r.uuid, sizeof(g->uuid));
	g->up = true;
	g->last_rc = NVML_SUCCESS;
	g->util = r.has_util ? r.util_gpu : 0;
	g->nprocs = r.nprocs;
	g->power_mw = r.has_power ? r.power_mw : 0;
	g->mem_used = r.mem_used;
	if (!g->seen) {
		baseline(g, &r, now);
		gpu_reading_free(&r);
		return;
	}
	memset(&sp, 0, sizeof(sp));
	sp.since = a->last_read;
	sp.now = now;
	sp.floor_us = g->floor_us;
	sp.prev_ts = g->prev_ts;
	sp.s = r.samples;
	sp.n = r.nsamples;
	sp.have_samples = r.have_samples;
	sp.util_snapshot = r.util_gpu;
	if (!r.have_samples && !g->said_snapshot) {
		log_notice("GPU %u (%s): NVML keeps no utilization samples: busy time comes from "
		    "utilization snapshots, one per %d s", i, g->uuid, a->conf.interval);
		g->said_snapshot = true;
	}
	if (r.wide_procs && !g->said_wide) {
		log_notice("GPU %u (%s): the driver lists processes in 32-byte entries (as some "
		    "R535 drivers do): read at that stride", i, g->uuid);
		g->said_wide = true;
	}
	span_energy(a, g, &r, &sp);
	if (acct_add(&a->acct, &sp) < 0)
		log_error("GPU %u: a reading outside the open periods (a bug): not counted", i);
	else
		a->n.readings++;
	if (r.nsamples > 0 && r.samples[r.nsamples - 1].ts_us > g->prev_ts)
		g->prev_ts = r.samples[r.nsamples - 1].ts_us;
	g->have_energy = r.has_energy;
	g->energy_mj = r.energy_mj;
	gpu_reading_free(&r);
}

/* Longer than this between readings (a stopped process, a clock step) is not counted. */
static int64_t
max_gap(const struct conf *c)
{
	int64_t g = 2 * (int64_t)c->post_interval;

	return g > 3 * (int64_t)c->interval ? g : 3 * (int64_t)c->interval;
}

static void
read_all(struct agent *a, int64_t now)
{
	if (a->last_read == 0) {
		acct_init(&a->acct, a->conf.post_interval, now);
	} else if (now - a->last_read > max_gap(&a->conf)) {
		a->n.gaps++;
		log_warn("%lld s since the last reading (the agent was stopped, or the clock "
		    "jumped): that time is not counted", (long long)(now - a->last_read));
		for (unsigned i = 0; i < a->nvml.ngpus; i++)
			a->gpu[i].seen = false;
		close_periods(a, now);
	}
	for (unsigned i = 0; i < a->nvml.ngpus; i++)
		read_gpu(a, i, now);
	a->last_read = now;
	close_periods(a, now);
}

/* ---- sending the spool ---- */

static void
on_sent(void *arg, const struct http_reply *r)
{
	struct agent *a = arg;
	int64_t now_ms = agent_clock_ms(a->clock_file), wait;
	char err[AGENT_ERRLEN], reason[2700], at[CIVIL_INSTANT_LEN];
	char *name = a->sending;
	json_t *doc;

	a->send_busy = false;
	a->sending = NULL;
	switch (r->status != 0 ? post_classify(r->status) : POST_RETRY) {
	case POST_OK:
		a->n.posts_ok++;
		a->attempt = 0;
		a->next_send_ms = 0;
		if (spool_remove(&a->spool, name, err, sizeof(err)) < 0)
			log_error("batch %s delivered but not removed (it will be sent again, "
			    "harmlessly): %s", name, err);
		doc = json_loadb(r->body, r->len, 0, NULL);
		if (json_integer_value(json_object_get(doc, "flagged")) > 0)
			log_warn("batch %s delivered; grantd flagged its sample (the team holds no "
			    "such grant now, or the node is above it): %.300s", name, r->body);
		else
			log_info("batch %s delivered", name);
		json_decref(doc);
		break;
	case POST_RETRY:
		a->n.posts_failed++;
		a->attempt++;
		wait = backoff_ms(a->attempt, (uint32_t)random(), r->retry_after);
		a->next_send_ms = now_ms + wait;
		if (r->status != 0)
			log_warn("batch %s not delivered: HTTP %ld %.200s; next try in %.1f s "
			    "(%zu batches waiting)", name, r->status, r->body, (double)wait / 1000,
			    a->spool.q.n);
		else
			log_warn("batch %s not delivered: %s; next try in %.1f s (%zu batches "
			    "waiting)", name, r->error, (double)wait / 1000, a->spool.q.n);
		break;
	case POST_DEAD:
		a->n.posts_dead++;
		a->attempt = 0;
		snprintf(reason, sizeof(reason), "HTTP %ld at %s from %s/v1/usage: %.2000s\n",
		    r->status, instant(secs(now_ms), at), a->conf.url, r->body);
		if (spool_bury(&a->spool, name, reason, err, sizeof(err)) < 0) {
			log_error("batch %s refused (HTTP %ld) and cannot be set aside: %s; "
			    "retrying later", name, r->status, err);
			a->next_send_ms = now_ms + 60000;
		} else {
			log_error("batch %s refused by grantd, never to be retried: HTTP %ld "
			    "%.300s; it is in %s with the reason beside it", name, r->status,
			    r->body, a->spool.dead);
		}
		break;
	}
	free(name);
	if (!a->stopping)
		send_next(a, now_ms);
}

static void
send_next(struct agent *a, int64_t now_ms)
{
	char url[CONF_URL_LEN + 16], err[AGENT_ERRLEN], reason[AGENT_ERRLEN + 64];
	struct http_req rq = { .method = "POST", .url = url, .token = a->conf.token,
		.cacert = a->conf.cacert, .timeout = a->conf.timeout };
	const char *name;
	size_t len;
	char *data;

	snprintf(url, sizeof(url), "%s/v1/usage", a->conf.url);
	while (!a->stopping && !a->send_busy && now_ms >= a->next_send_ms &&
	    (name = spool_oldest(&a->spool)) != NULL) {
		if (spool_read(&a->spool, name, &data, &len, err, sizeof(err)) < 0) {
			snprintf(reason, sizeof(reason), "unreadable: %s\n", err);
			log_error("batch %s cannot be read, set aside: %s", name, err);
			if (spool_bury(&a->spool, name, reason, err, sizeof(err)) < 0) {
				log_error("nor set aside: %s", err);
				a->next_send_ms = now_ms + 60000;
			}
			continue;
		}
		rq.body = data;
		if ((a->sending = strdup(name)) == NULL || http_start(&a->http, &rq, on_sent,
		    a) < 0) {
			log_error("cannot start a request to %s", url);
			free(a->sending);
			a->sending = NULL;
			a->next_send_ms = now_ms + 1000;
			free(data);
			return;
		}
		free(data);
		a->send_busy = true;
	}
}

/* ---- the loop: ticks, signals, reload ---- */

static void
arm(struct agent *a, int64_t now_ms)
{
	int64_t due, wait;

	if (a->clock_file != NULL) {
		uv_timer_start(&a->tick, on_tick, TEST_TICK_MS, 0);
		return;
	}
	due = a->next_read * 1000;
	if (spool_oldest(&a->spool) != NULL && !a->send_busy && a->next_send_ms < due)
		due = a->next_send_ms;
	if (a->conf.team[0] == '\0' && !a->team_busy && a->next_team_ms < due)
		due = a->next_team_ms;
	wait = due - now_ms;
	if (wait < 1)
		wait = 1;
	if (wait > REAL_TICK_MS)
		wait = REAL_TICK_MS;
	uv_timer_start(&a->tick, on_tick, (uint64_t)wait, 0);
}

static void
on_tick(uv_timer_t *t)
{
	struct agent *a = t->data;
	int64_t now_ms = agent_clock_ms(a->clock_file), now = secs(now_ms);
	char at[CIVIL_INSTANT_LEN];

	if (a->stopping)
		return;
	if (now < a->last_read) {
		if (!a->warned_backwards)
			log_warn("the clock went back %lld s: readings wait until it is %s again",
			    (long long)(a->last_read - now), instant(a->last_read, at));
		a->warned_backwards = true;
	} else if (now >= a->next_read) {
		a->warned_backwards = false;
		read_all(a, now);
		a->next_read = (now / a->conf.interval + 1) * a->conf.interval;
	}
	if (a->conf.team[0] == '\0' && !a->team_busy && now_ms >= a->next_team_ms)
		team_lookup(a);
	send_next(a, now_ms);
	arm(a, now_ms);
}

static void
shutdown_handles(struct agent *a)
{
	uv_timer_stop(&a->tick);
	uv_close((uv_handle_t *)&a->tick, NULL);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_close((uv_handle_t *)&a->sighup, NULL);
	http_close(&a->http);
	metrics_close(&a->metrics);
}

/* SIGTERM: the period so far goes to the spool, to be sent after the next start. */
static void
on_stop(uv_signal_t *s, int signum)
{
	struct agent *a = s->data;
	int64_t now = secs(agent_clock_ms(a->clock_file));
	struct acct_sample out;

	if (a->stopping)
		return;
	log_notice("%s: stopping; the period so far goes to the spool", strsignal(signum));
	if (a->last_read > 0 && now > a->last_read && now - a->last_read <= max_gap(&a->conf))
		read_all(a, now);
	if (a->last_read > 0 && acct_flush(&a->acct, &out))
		report_period(a, &out);
	a->stopping = true;
	if (a->send_busy) {
		/* Abandoned in flight: still in the spool, sent again after the start. */
		free(a->sending);
		a->sending = NULL;
		a->send_busy = false;
	}
	shutdown_handles(a);
}

static int
open_log(const char *path)
{
	int fd;

	if (path[0] == '\0')
		return 0;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0)
		return -1;
	if (dup2(fd, 2) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
apply_level(const char *name)
{
	enum log_level lvl;

	if (log_level_parse(name, &lvl) == 0)
		log_set_level(lvl);
}

/* Keys that only a restart changes: the reload keeps their running value and says so. */
static void
keep_restart_keys(const struct conf *old, struct conf *c)
{
#define KEEP_STR(f)							\
	if (strcmp(old->f, c->f) != 0) {				\
		log_warn("reload: " #f " changed: it takes effect at the next start"); \
		memcpy(c->f, old->f, sizeof(c->f));			\
	}
#define KEEP_INT(f)							\
	if (old->f != c->f) {						\
		log_warn("reload: " #f " changed: it takes effect at the next start"); \
		c->f = old->f;						\
	}
	KEEP_STR(pool);
	KEEP_STR(node);
	KEEP_STR(spool_dir);
	KEEP_STR(dead_dir);
	KEEP_STR(metrics_listen);
	KEEP_STR(metrics_host);
	KEEP_STR(nvml_library);
	KEEP_INT(interval);
	KEEP_INT(post_interval);
	KEEP_INT(metrics_port);
#undef KEEP_STR
#undef KEEP_INT
}

static void
on_hup(uv_signal_t *s, int signum)
{
	struct agent *a = s->data;
	struct conf_errors errs;
	struct conf c;

	(void)signum;
	if (open_log(a->conf.log_file) < 0)
		log_error("cannot reopen %s: %s", a->conf.log_file, strerror(errno));
	if (conf_load(a->conf_path, &c, &errs) < 0 || conf_check_daemon(&c, &errs) < 0) {
		for (int i = 0; i < errs.n; i++)
			log_error("%s:%d: %s", a->conf_path, errs.e[i].line, errs.e[i].msg);
		log_error("reload refused: the running configuration stays");
		a->n.reloads_refused++;
		return;
	}
	keep_restart_keys(&a->conf, &c);
	if (strcmp(c.log_file, a->conf.log_file) != 0 && open_log(c.log_file) < 0)
		log_error("cannot open %s: %s", c.log_file, strerror(errno));
	if (strcmp(c.team, a->conf.team) != 0) {
		log_notice("reload: team %s", c.team[0] ? c.team : "now asked of grantd");
		a->next_team_ms = 0;
	}
	a->conf = c;
	apply_level(c.log_level);
	spool_set_max(&a->spool, (size_t)c.spool_max_batches);
	a->n.reloads_ok++;
	log_notice("configuration reloaded from %s", a->conf_path);
}

int
agent_start(struct agent *a, uv_loop_t *loop, const char *conf_path, const struct conf *c,
    const char *clock_file)
{
	char err[AGENT_ERRLEN], bound[96];
	int64_t now_ms;

	memset(a, 0, sizeof(*a));
	a->loop = loop;
	a->conf_path = conf_path;
	a->clock_file = clock_file;
	a->conf = *c;
	a->assigned = -1;
	apply_level(c->log_level);
	if (open_log(c->log_file) < 0) {
		log_error("cannot open %s: %s", c->log_file, strerror(errno));
		return 1;
	}
	if (nvml_open(&a->nvml, c->nvml_library, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return AGENT_EX_UNAVAILABLE;
	}
	if (spool_open(&a->spool, c->spool_dir, c->dead_dir, (size_t)c->spool_max_batches, err,
	    sizeof(err)) < 0) {
		log_error("%s", err);
		nvml_close(&a->nvml);
		return 1;
	}
	if (c->team[0] == '\0')
		team_recall(a);
	if (http_init(&a->http, loop) < 0) {
		log_error("libcurl did not start");
		spool_close(&a->spool);
		nvml_close(&a->nvml);
		return 1;
	}
	if (c->metrics_port >= 0) {
		if (metrics_listen(&a->metrics, loop, c->metrics_host, c->metrics_port,
		    agent_render_metrics, a, bound, sizeof(bound), err, sizeof(err)) < 0) {
			log_error("%s", err);
			http_close(&a->http);
			uv_run(loop, UV_RUN_NOWAIT);
			spool_close(&a->spool);
			nvml_close(&a->nvml);
			return 1;
		}
		printf("metrics on %s\n", bound);
	} else {
		printf("metrics off\n");
	}
	fflush(stdout);
	uv_timer_init(loop, &a->tick);
	a->tick.data = a;
	uv_signal_init(loop, &a->sigterm);
	uv_signal_init(loop, &a->sigint);
	uv_signal_init(loop, &a->sighup);
	a->sigterm.data = a->sigint.data = a->sighup.data = a;
	uv_signal_start(&a->sigterm, on_stop, SIGTERM);
	uv_signal_start(&a->sigint, on_stop, SIGINT);
	uv_signal_start(&a->sighup, on_hup, SIGHUP);
	srandom((unsigned)(getpid() ^ time(NULL)));
	/* The first reading is the baseline: usage counts from here. */
	now_ms = agent_clock_ms(clock_file);
	read_all(a, secs(now_ms));
	a->next_read = (secs(now_ms) / c->interval + 1) * c->interval;
	log_notice("grantd-agent started: %u GPU%s, pool %s, node %s, team %s; a reading every "
	    "%d s, a batch every %d s to %s; %zu batches in the spool", a->nvml.ngpus,
	    a->nvml.ngpus == 1 ? "" : "s", c->pool, c->node, c->team[0] ? c->team :
	    "asked of grantd", c->interval, c->post_interval, c->url, a->spool.q.n);
	uv_timer_start(&a->tick, on_tick, 0, 0);
	return 0;
}

/* ---- the metrics ---- */

static void
gauge(FILE *f, const char *name, const char *help, long long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, v);
}

static void
counter(FILE *f, const char *name, const char *help, unsigned long long v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, v);
}

static void
per_gpu(FILE *f, const struct agent *a, const char *name, const char *help, int what)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
	for (unsigned i = 0; i < a->nvml.ngpus; i++) {
		const struct gpu_state *g = &a->gpu[i];
		unsigned long long v = what == 0 ? g->up : what == 1 ? g->util : what == 2 ?
		    g->mem_used : what == 3 ? g->nprocs : g->power_mw;

		/* UUIDs are "GPU-" and hex; a fake or broken one is cut at anything else. */
		fprintf(f, "%s{gpu=\"%u\",uuid=\"%.*s\"} %llu\n", name, i,
		    (int)strspn(g->uuid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789-_."), g->uuid, v);
	}
}

void
agent_render_metrics(void *arg, FILE *f)
{
	static const char *const results[PR_COUNT] = { "spooled", "unassigned", "empty",
		"failed" };
	const struct agent *a = arg;

	gauge(f, "grantd_agent_gpus", "GPUs NVML reports on this node.", a->nvml.ngpus);
	per_gpu(f, a, "grantd_agent_gpu_up", "1 when the GPU answered at the last reading.", 0);
	per_gpu(f, a, "grantd_agent_gpu_utilization_percent", "GPU utilization at the last "
	    "reading.", 1);
	per_gpu(f, a, "grantd_agent_gpu_memory_used_bytes", "GPU memory in use at the last "
	    "reading.", 2);
	per_gpu(f, a, "grantd_agent_gpu_processes", "Compute processes on the GPU at the last "
	    "reading.", 3);
	per_gpu(f, a, "grantd_agent_gpu_power_milliwatts", "Power draw at the last reading.", 4);
	counter(f, "grantd_agent_readings_total", "GPU readings counted into usage (samples).",
	    a->n.readings);
	fprintf(f, "# HELP grantd_agent_nvml_errors_total NVML errors that made a GPU skip an "
	    "interval, by kind.\n# TYPE grantd_agent_nvml_errors_total counter\n");
	for (int k = 0; k < NK_COUNT; k++)
		fprintf(f, "grantd_agent_nvml_errors_total{kind=\"%s\"} %llu\n",
		    nvml_kind_name((enum nvml_kind)k), (unsigned long long)a->n.nvml_errors[k]);
	fprintf(f, "# HELP grantd_agent_periods_total Reported periods closed, by what became of "
	    "them.\n# TYPE grantd_agent_periods_total counter\n");
	for (int k = 0; k < PR_COUNT; k++)
		fprintf(f, "grantd_agent_periods_total{result=\"%s\"} %llu\n", results[k],
		    (unsigned long long)a->n.periods[k]);
	fprintf(f, "# HELP grantd_agent_posts_total Batches posted to grantd, by outcome.\n"
	    "# TYPE grantd_agent_posts_total counter\n"
	    "grantd_agent_posts_total{result=\"ok\"} %llu\n"
	    "grantd_agent_posts_total{result=\"failed\"} %llu\n"
	    "grantd_agent_posts_total{result=\"dead\"} %llu\n",
	    (unsigned long long)a->n.posts_ok, (unsigned long long)a->n.posts_failed,
	    (unsigned long long)a->n.posts_dead);
	gauge(f, "grantd_agent_spool_batches", "Batches in the spool, waiting for grantd.",
	    (long long)a->spool.q.n);
	counter(f, "grantd_agent_spool_dropped_total", "Batches dropped because the spool was "
	    "full.", a->spool.dropped);
	gauge(f, "grantd_agent_dead_letters", "Batches grantd refused, kept in the dead-letter "
	    "directory.", (long long)a->spool.d.n);
	counter(f, "grantd_agent_energy_resets_total", "Times an energy counter went "
	    "backwards (wrap or reset).", a->n.energy_backwards);
	counter(f, "grantd_agent_team_lookups_failed_total", "Times grantd could not say which "
	    "team the node serves.", a->n.team_lookups_failed);
	counter(f, "grantd_agent_reading_gaps_total", "Times readings were too far apart to "
	    "count the time between.", a->n.gaps);
	fprintf(f, "# HELP grantd_agent_reloads_total Configuration reloads (SIGHUP), by outcome.\n"
	    "# TYPE grantd_agent_reloads_total counter\n"
	    "grantd_agent_reloads_total{result=\"ok\"} %llu\n"
	    "grantd_agent_reloads_total{result=\"refused\"} %llu\n",
	    (unsigned long long)a->n.reloads_ok, (unsigned long long)a->n.reloads_refused);
	gauge(f, "grantd_agent_assigned", "1: the node serves a team; 0: none; -1: not known "
	    "yet.", a->conf.team[0] ? 1 : a->assigned);
	gauge(f, "grantd_agent_last_reading_timestamp_seconds", "When the GPUs were last read "
	    "(Unix time).", (long long)a->last_read);
}
