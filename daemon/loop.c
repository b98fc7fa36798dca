/* loop.c: the libuv loop: HTTP, signals, watchdog, housekeeping, shutdown order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <uv.h>

#include "app.h"
#include "commit.h"
#include "events.h"
#include "events_stream.h"
#include "db.h"
#include "err.h"
#include "checkpoints.h"
#include "http.h"
#include "log.h"
#include "maint.h"
#include "request.h"
#include "store_idempotency.h"
#include "store_reports.h"
#include "timers.h"
#include "tokens.h"
#include "webhooks.h"

/* How long a stopping daemon waits for requests in flight. */
#define DRAIN_MS 10000
#define DRAIN_POLL_MS 20
#define HOUSEKEEPING_MS (10 * 60 * 1000)
#define TOKEN_USE_MS (60 * 1000)
/*
 * How often the database file is checked when nothing commits (every
 * COMMIT checks it too): a second is soon enough for health and the log,
 * and three syscalls a second cost nothing.
 */
#define DBWATCH_MS 1000

/* The loop's handles; lives on loop_run's stack. */
struct loop {
	struct app *app;
	uv_loop_t uv;
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t watchdog, drain, housekeeping, dbwatch, tokenuse, checkpoint;
	struct webhooks_sender *webhooks;	/* deliveries of the feed (webhooks.h) */
	bool watchdog_on;
	uint64_t drain_deadline;
};

static void
on_watchdog(uv_timer_t *t)
{
	(void)t;
	sd_notify(0, "WATCHDOG=1");
}

/* Idempotency keys and kept fairness reports last their configured retention, then go. */
static void
on_housekeeping(uv_timer_t *t)
{
	struct loop *l = t->data;
	struct app *app = l->app;
	int64_t keep = (int64_t)app->cfg.programme.idempotency_retention_hours * 3600;

	if (commit_begin(app) < 0)
		return;
	if (store_idempotency_purge(app->w, app_now(app) - keep) < 0)
		log_warn("cannot expire idempotency keys: %s", db_errmsg(app->w));
	keep = (int64_t)app->cfg.programme.report_retention_days * CIVIL_DAY;
	if (store_report_purge(app->w, app_now(app) - keep) < 0)
		log_warn("cannot expire kept fairness reports: %s", db_errmsg(app->w));
	keep = (int64_t)app->cfg.events.retention_days * CIVIL_DAY;
	if (events_prune(app->w, app_now(app) - keep) < 0)
		log_warn("cannot expire old events: %s", db_errmsg(app->w));
}

/*
 * The tokens used in the last minute get their last_used_at, in one batch:
 * a token's row is written at most once a minute whatever its traffic.
 */
static void
on_tokenuse(uv_timer_t *t)
{
	struct loop *l = t->data;
	struct app *app = l->app;
	struct token_seen seen[TOKEN_SEEN_MAX];
	size_t n = token_cache_take(&app->tokens, seen);

	if (n == 0 || commit_begin(app) < 0)
		return;
	if (tokens_note_use(app->w, seen, n) < 0)
		log_warn("cannot note when tokens were last used: %s", db_errmsg(app->w));
}

/* The committed audit head, signed and published when it moved (checkpoints.h). */
static void
on_checkpoint(uv_timer_t *t)
{
	struct loop *l = t->data;

	checkpoints_tick(l->app);
}

/* [signing] checkpoint_interval_minutes, or GRANTD_CHECKPOINT_INTERVAL_MS for the tests. */
static uint64_t
checkpoint_ms(const struct app *app)
{
	const char *v = getenv(CHECKPOINTS_INTERVAL_ENV);
	int64_t ms;

	if (v != NULL && parse_int(v, 10, CHECKPOINTS_INTERVAL_ENV_MAX_MS, &ms))
		return (uint64_t)ms;
	return (uint64_t)app->cfg.signing.checkpoint_interval_minutes * 60 * 1000;
}

static void
on_dbwatch(uv_timer_t *t)
{
	struct loop *l = t->data;

	maint_watch(l->app);
}

static void
close_all(struct loop *l)
{
	timers_close(l->app);
	http_close(l->app);
	events_streams_close(l->app);
	webhooks_stop(l->webhooks);
	l->webhooks = NULL;
	/* The last minute's uses, before the batch machinery goes. */
	on_tokenuse(&l->tokenuse);
	if (commit_pending(l->app))
		commit_flush(l->app);
	commit_close(l->app);
	uv_close((uv_handle_t *)&l->sigterm, NULL);
	uv_close((uv_handle_t *)&l->sigint, NULL);
	uv_close((uv_handle_t *)&l->sighup, NULL);
	uv_close((uv_handle_t *)&l->watchdog, NULL);
	uv_close((uv_handle_t *)&l->drain, NULL);
	uv_close((uv_handle_t *)&l->housekeeping, NULL);
	uv_close((uv_handle_t *)&l->tokenuse, NULL);
	uv_close((uv_handle_t *)&l->checkpoint, NULL);
	uv_close((uv_handle_t *)&l->dbwatch, NULL);
}

static void
on_drain(uv_timer_t *t)
{
	struct loop *l = t->data;
	int n = http_inflight(l->app);

	if (commit_pending(l->app))
		commit_flush(l->app);
	if (n > 0 && uv_now(&l->uv) < l->drain_deadline)
		return;
	if (n > 0)
		log_warn("stopping with %d request(s) unfinished after %d ms", n, DRAIN_MS);
	uv_timer_stop(t);
	close_all(l);
}

static void
on_stop(uv_signal_t *s, int signum)
{
	struct loop *l = s->data;

	if (l->app->stopping)
		return;
	log_notice("received %s, stopping", signum == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	l->app->stopping = true;
	http_quiesce(l->app);
	/* Streams never finish by themselves: they end now, or the drain would wait them out. */
	events_streams_stop(l->app);
	l->drain_deadline = uv_now(&l->uv) + DRAIN_MS;
	uv_timer_start(&l->drain, on_drain, 0, DRAIN_POLL_MS);
}

/* Keys whose new value libmicrohttpd or the open database cannot take live. */
static bool
needs_restart(const char *key)
{
	return !config_reloadable(key) || strcmp(key, "server.max_connections") == 0 ||
	    strcmp(key, "server.idle_timeout_s") == 0 ||
	    strcmp(key, "server.max_connections_per_ip") == 0 ||
	    strcmp(key, "server.connection_memory_bytes") == 0 ||
	    strcmp(key, "storage.busy_timeout_ms") == 0;
}

struct reload_ctx {
	int changed, ignored;
};

static void
report_change(void *arg, const char *key, const char *from, const char *to)
{
	struct reload_ctx *r = arg;

	if (needs_restart(key)) {
		log_warn("reload: %s changed from %s to %s; takes effect after a restart",
		    key, from, to);
		r->ignored++;
	} else {
		log_notice("reload: %s changed from %s to %s", key, from, to);
		r->changed++;
	}
}

static void
on_hup(uv_signal_t *s, int signum)
{
	struct loop *l = s->data;
	struct app *app = l->app;
	struct config next;
	struct reload_ctx r = { 0, 0 };

	(void)signum;
	sd_notify(0, "RELOADING=1");
	if (app->config_path[0] == '\0') {
		log_notice("reload: no configuration file; nothing to do");
	} else if (app_load_config(app->config_path, &next, stderr) < 0) {
		log_error("reload: %s has errors; keeping the running configuration",
		    app->config_path);
	} else {
		config_diff(&app->cfg, &next, report_change, &r);
		/* Keep what cannot change live; take everything else. */
		memcpy(next.server.host, app->cfg.server.host, sizeof(next.server.host));
		next.server.port = app->cfg.server.port;
		next.server.max_connections = app->cfg.server.max_connections;
		next.server.idle_timeout_s = app->cfg.server.idle_timeout_s;
		next.server.max_connections_per_ip = app->cfg.server.max_connections_per_ip;
		next.server.connection_memory_bytes = app->cfg.server.connection_memory_bytes;
		next.storage = app->cfg.storage;
		app->cfg = next;
		log_set_level(app->cfg.log.level);
		http_reload(app);
		log_notice("reload: %d setting(s) applied, %d need a restart", r.changed,
		    r.ignored);
	}
	sd_notify(0, "READY=1");
}

/*
 * After each batch commits: wake the event streams it gave news, answer
 * the resumed requests, re-aim the timer.
 */
static void
after_commit(struct app *app)
{
	events_streams_check(app);
	http_kick(app);
	timers_rearm(app);
}

/*
 * Transitions that fell due while grantd was down are applied, in time
 * order and durably, before the API opens: no client ever sees a state
 * the clock has already moved past.
 */
static int
catch_up(struct app *app)
{
	int applied = 0, rc;

	if ((rc = commit_begin(app)) == 0)
		rc = timers_apply_due(app, app->w, app_now(app), &applied);
	if (rc < 0) {
		commit_abort(app);
		return rc;
	}
	if ((rc = commit_flush(app)) < 0)
		return rc;
	if (applied > 0)
		log_notice("applied %d transition(s) that fell due while grantd was stopped",
		    applied);
	return 0;
}

int
loop_run(struct app *app)
{
	struct loop l = { .app = app };
	char bound[96], err[GD_ERRBUF];
	uint64_t usec = 0, every;
	int rc;

	if ((rc = uv_loop_init(&l.uv)) < 0) {
		log_error("cannot start the event loop: %s", uv_strerror(rc));
		return 1;
	}
	if (commit_init(app, &l.uv, after_commit) < 0 || catch_up(app) < 0) {
		log_error("cannot apply the transitions that fell due: %s", db_errmsg(app->w));
		commit_close(app);
		uv_run(&l.uv, UV_RUN_DEFAULT);
		uv_loop_close(&l.uv);
		commit_free(app);
		return 1;
	}
	if (http_start(app, &l.uv, app->cfg.server.host, app->cfg.server.port, bound,
	    sizeof(bound), err, sizeof(err)) < 0) {
		log_error("%s", err);
		commit_close(app);
		uv_run(&l.uv, UV_RUN_DEFAULT);
		uv_loop_close(&l.uv);
		commit_free(app);
		return 1;
	}
	uv_signal_init(&l.uv, &l.sigterm);
	uv_signal_init(&l.uv, &l.sigint);
	uv_signal_init(&l.uv, &l.sighup);
	l.sigterm.data = l.sigint.data = l.sighup.data = &l;
	uv_signal_start(&l.sigterm, on_stop, SIGTERM);
	uv_signal_start(&l.sigint, on_stop, SIGINT);
	uv_signal_start(&l.sighup, on_hup, SIGHUP);
	uv_timer_init(&l.uv, &l.watchdog);
	uv_timer_init(&l.uv, &l.drain);
	uv_timer_init(&l.uv, &l.housekeeping);
	uv_timer_init(&l.uv, &l.dbwatch);
	uv_timer_init(&l.uv, &l.tokenuse);
	l.watchdog.data = l.drain.data = l.housekeeping.data = l.dbwatch.data = &l;
	uv_timer_init(&l.uv, &l.checkpoint);
	l.tokenuse.data = l.checkpoint.data = &l;
	uv_timer_start(&l.tokenuse, on_tokenuse, TOKEN_USE_MS, TOKEN_USE_MS);
	every = checkpoint_ms(app);
	uv_timer_start(&l.checkpoint, on_checkpoint, every, every);
	uv_timer_start(&l.housekeeping, on_housekeeping, 1000, HOUSEKEEPING_MS);
	uv_timer_start(&l.dbwatch, on_dbwatch, DBWATCH_MS, DBWATCH_MS);
	if (timers_start(app, &l.uv) < 0)
		log_error("cannot start the timers (out of memory): time-based transitions "
		    "wait for a restart");
	if (webhooks_start(app, &l.uv, &l.webhooks) < 0)
		log_error("cannot start the webhooks' sender (out of memory): deliveries wait "
		    "for a restart");
	if (events_streams_start(app, &l.uv) < 0)
		log_error("cannot start the event streams (out of memory): GET /v1/events/stream "
		    "answers 503 until a restart");
	/* Pet the watchdog at half its period, as sd_watchdog_enabled(3) advises. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec >= 2000)
		uv_timer_start(&l.watchdog, on_watchdog, usec / 2000, usec / 2000);

	/* Scripts read this line to learn the port; it must come first on stdout. */
	printf("listening on %s\n", bound);
	fflush(stdout);
	log_notice("grantd listening on %s, database %s", bound, app->cfg.storage.database);
	sd_notifyf(0, "READY=1\nSTATUS=listening on %s", bound);

	uv_run(&l.uv, UV_RUN_DEFAULT);
	commit_free(app);
	rc = uv_loop_close(&l.uv);
	if (rc != 0) {
		log_error("event loop closed with handles open: %s", uv_strerror(rc));
		return 1;
	}
	log_notice("stopped");
	return 0;
}
