/* usage.h: usage ingest, quota figures, idle detection and the fairness report. */
#ifndef GRANTD_USAGE_H
#define GRANTD_USAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "request.h"

struct app;
struct db;

/* Limits of POST /v1/usage. */
#define USAGE_MAX_SAMPLES 10000
#define USAGE_BATCH_ID_MAX 128
#define USAGE_DIGEST_LEN 64	/* hex SHA-256 of a batch's samples */
/* A sample may end this far past the daemon's clock: meters' clocks drift. */
#define USAGE_MAX_SKEW 300
/* One sample covers at most this long (a month of 31 days). */
#define USAGE_MAX_INTERVAL (31 * 86400)

/*
 * Why a batch was refused: an HTTP status (400, 403, 415), the problem
 * code, a one-line detail and, for a sample that broke a rule, its index
 * and a short reason code ("unknown_pool", "above_capacity", ...).
 */
struct usage_refusal {
	int status;
	const char *code;
	char detail[GD_ERRBUF];
	int64_t sample;		/* -1 when the refusal is not about one sample */
	const char *reason;	/* NULL with sample -1 */
	int64_t retry_after;	/* seconds, for a 429; 0 otherwise */
};

/* What a batch came to: its samples and how many of them were flagged. */
struct usage_batch_result {
	char batch_id[USAGE_BATCH_ID_MAX + 1];
	int64_t accepted, flagged, gpu_seconds;
	bool replayed;		/* the batch_id was seen before: nothing was added */
};

/*
 * Ingests one POST /v1/usage body (parsed by the route) on the writer,
 * inside the request's savepoint.  Every sample is decoded and checked
 * before anything is written, then the samples are split across UTC hours
 * (report_split), summed per (enrollment, pool, team, hour) in memory and
 * written as one upsert per sum.
 *
 * Two bounds keep an agent from growing the store or the figures without
 * end.  An enrollment's metered usage must stay countable: a batch that
 * would take one past INT64_MAX milli-unit-seconds (2.5 million million
 * unit-hours, far past what the largest window can deliver, lib/units.h)
 * is refused with 400 and reason "usage_overflow".  And with lim (NULL: no
 * bound), an agent token's flagged samples are bounded by a rate and a
 * total (config [usage]): past either, 429 "rate_limited" with
 * ref->retry_after.  Nothing is written on a refusal.
 *
 * Returns 0 with *res, GD_EINVAL or GD_EFORBIDDEN with *ref filled (nothing
 * written), or GD_EIO / GD_ENOMEM.  The caller audits a batch that was
 * not a replay.
 */
struct config_usage;
int usage_ingest(struct db *db, const struct principal *who, const json_t *body, int64_t now,
    const struct config_usage *lim, struct usage_batch_result *res,
    struct usage_refusal *ref);

/*
 * GET /v1/teams/{team}/quota as the contract gives it (see lib/report.h for
 * every figure).  phase may be NULL when the team has exactly one
 * enrollment.  0 with *out, or a GD_* code with a detail in err:
 * GD_ENOENT (no such team, or not enrolled), GD_EINVAL (phase needed: err
 * lists the phases), GD_EIO, GD_ENOMEM.
 */
int usage_quota(struct db *db, const char *team, const char *phase, int64_t at,
    json_t **out, char *err, size_t errlen);

/*
 * The same answer as JSON text (the transport's RESP_JSON_FLAGS), from a
 * cache of recent answers keyed by the version of the committed state, so
 * that repeated polls of an unchanged state cost a lookup.  app (may be
 * NULL) gives the daemon's writer, whose change count is that version when
 * db is the reader beside it; without it the reader's data_version is.
 * *text is malloc'd.
 */
int usage_quota_text(struct db *db, const struct app *app, const char *team,
    const char *phase, int64_t at, char **text, size_t *len, char *err, size_t errlen);

/* Drops every cached answer (before closing or reopening the reader). */
void usage_cache_clear(void);

/*
 * The fairness report of a phase, with figures up to `at`, generated at
 * `now`, its digest set (lib/report.h says how to recompute it).
 * GD_ENOENT (no such phase), GD_EIO, GD_ENOMEM, GD_ERANGE.
 */
int usage_fairness(struct db *db, const char *phase, int64_t at, int64_t now, json_t **out);

/*
 * Idle detection, called by the timers (at every UTC hour and at start-up
 * is enough: usage is kept per hour).  For each active enrollment, over the
 * trailing idle_window_hours whole UTC hours before now:
 *
 *	utilization = used / delivered	(delivered = granted - lost there)
 *
 * below idle_threshold_pct flags the enrollment (since now); at or above
 * it, or once the enrollment is no longer active, the flag is cleared.  An
 * enrollment whose window began less than a trailing window ago, or that
 * had nothing delivered in it, is not judged (an open flag stays).  Each
 * change writes an audit entry (actor audit_system, request id "timer":
 * "usage.idle" / "usage.idle_cleared").  Runs in a savepoint of its own:
 * inside the group-commit batch (after commit_begin) or alone (it then
 * commits by itself).  Each enrollment is checked in a savepoint of its
 * own: one whose check fails is rolled back alone and reported through
 * timers_failed() (logged, counted, audited once), and the rest are still
 * judged.  *changed counts the flags set or cleared.
 */
int usage_idle_scan(struct db *db, const struct app *app, int64_t now, int *changed);

/*
 * `grantd report --db PATH --phase ID [--csv] FILE`: writes the fairness
 * report of the phase as of now (JSON, or CSV) to FILE ("-": stdout),
 * through a temporary file renamed over it.  Returns the exit status: 0,
 * 1 (failure, said on stderr) or 2 (bad arguments).
 */
int usage_cli_report(const char *db_path, const char *phase, bool csv, const char *file);

#endif
