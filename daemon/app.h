/* app.h: the daemon's state, owned by main and shared by every module. */
#ifndef GRANTD_APP_H
#define GRANTD_APP_H

#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>

#include "checkpoints.h"
#include "civil.h"
#include "config.h"
#include "metrics.h"
#include "quota.h"
#include "token.h"

struct db;
struct http;
struct batch;
struct timers;
struct event_streams;

/*
 * One per process.  main.c owns it and everything it points to; modules
 * borrow it.  Only the loop thread touches it.
 */
struct app {
	struct config cfg;
	char config_path[4096];
	struct db *w;		/* the one writer connection */
	struct db *r;		/* reads see the last committed state */
	struct http *http;
	struct batch *batch;
	struct timers *timers;	/* the loop's tick (timers.c); NULL outside the loop */
	struct event_streams *streams;	/* open SSE streams (events_stream.h); NULL outside the loop */
	int32_t tz_default;	/* offset of cfg's programme timezone */
	bool stopping;
	struct token_cache tokens;	/* principals of live tokens */
	struct metrics metrics;		/* counters for GET /metrics (metrics.h) */
	struct quota_cache quota;	/* recent quota answers (quota.h) */
	struct checkpoints checkpoints;	/* the signing key, checkpoints to publish */
	/*
	 * Seals the secret of a new token in its idempotent reply, so that a
	 * retry gets the same body; random per process and never stored, so
	 * after a restart the sealed secret cannot be opened.
	 */
	unsigned char seal_key[32];
	/*
	 * GRANTD_CHECK_CALENDAR set: after every batch the kept calendar is
	 * compared with a rebuild from the store, and a difference aborts
	 * (tests; far too slow for a large programme).
	 */
	bool check_calendar;
	/* Tests steer time: when set, app_now() returns this instead of the clock. */
	const char *clock_file;
};

/* Current UTC time in seconds, from the clock or the test clock file. */
int64_t app_now(const struct app *app);

/*
 * An instant for people, in the configured default programme zone, with
 * UTC beside it: "2026-03-05 09:00 KST (2026-03-05T00:00:00Z)".  For
 * details about things no one programme owns (pools, holds' expiry).
 */
#define APP_WHEN_LEN CIVIL_WHEN_LEN
void app_format_when(const struct app *app, int64_t t, char *buf);

/* The same in a given zone (a programme's). */
void app_format_when_in(int64_t t, const char *zone, int32_t off, char *buf);

/* The configured default programme zone, for a detail lib/ or a service writes. */
void app_zone(const struct app *app, struct civil_zone *z);

/* The same for a clock file alone (NULL: the system clock), for the offline commands. */
int64_t clock_now(const char *clock_file);

/*
 * Reads and parses a configuration file over the defaults; every error is
 * printed to report as "FILE:LINE: message".  Returns 0 or a GD_* code.
 */
int app_load_config(const char *path, struct config *cfg, FILE *report);

/* Runs the daemon until SIGTERM/SIGINT; returns the exit status. */
int loop_run(struct app *app);

#endif
