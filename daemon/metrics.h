/* metrics.h: counters kept in memory and the Prometheus text exposition. */
#ifndef GRANTD_METRICS_H
#define GRANTD_METRICS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The counters, kept on struct app (app->metrics; zeroed is empty).  Series
 * are keyed by (method, route, status): route patterns are string literals
 * from the route tables ("unmatched" for any other path), methods the few
 * standard ones or "other", statuses ours, so their number is bounded by
 * methods x routes x statuses whatever clients send; METRICS_SERIES slots
 * is far above what is reached.  Past it, requests are counted under one
 * overflow series.  Only the loop thread touches them.
 */
#define METRICS_SERIES 512
#define METRICS_LAT_BUCKETS 13		/* lat_bounds in metrics.c */
#define METRICS_BATCH_BUCKETS 10	/* batch_bounds in metrics.c */
#define METRICS_DELIVERIES 4		/* enum metrics_delivery */

struct metrics {
	struct {
		const char *method;
		const char *route;
		int status;
		uint64_t count;
	} series[METRICS_SERIES];
	size_t nseries;
	uint64_t overflow;
	uint64_t lat_buckets[METRICS_LAT_BUCKETS], lat_count;
	double lat_sum;
	uint64_t cuts[3];	/* by enum metrics_cut */
	uint64_t batch_buckets[METRICS_BATCH_BUCKETS], batch_count, batch_sum;
	uint64_t timer_failures;	/* each try of a transition that failed (timers.c) */
	uint64_t deliveries[METRICS_DELIVERIES];	/* webhook attempts (webhooks_send.c) */
};

/*
 * Counts one finished request: its route pattern ("/v1/teams/{team}", or
 * "unmatched"), method (any the client sent: one outside the standard few
 * is counted as "other"), status and duration.
 */
void metrics_request(struct metrics *m, const char *method, const char *route, int status,
    uint64_t ns);

/* Why grantd closed a connection whose request was not all read. */
enum metrics_cut {
	METRICS_CUT_DEADLINE,	/* no complete request within request_timeout_s */
	METRICS_CUT_SHED,	/* the oldest such, to make room for a new one */
	METRICS_CUT_ADDRESS,	/* past max_connections_per_ip: its oldest such, or the new one */
};

/* Counts one connection closed by grantd for being slow. */
void metrics_cut(struct metrics *m, enum metrics_cut why);

/* Counts one group commit of n changes. */
void metrics_batch(struct metrics *m, uint64_t n);

/* How one webhook delivery attempt ended (webhooks_send.c). */
enum metrics_delivery {
	METRICS_DELIVERY_OK,		/* a 2xx answer */
	METRICS_DELIVERY_FAILED,	/* another answer, or none (refused connection, TLS) */
	METRICS_DELIVERY_REFUSED,	/* grantd would not connect: a private address */
	METRICS_DELIVERY_TIMEOUT,	/* past webhooks.timeout_s */
};

/* Counts one webhook delivery attempt. */
void metrics_delivery(struct metrics *m, enum metrics_delivery how);

struct app;
struct db;

/*
 * The text of GET /metrics (Prometheus' text format 0.0.4): app's
 * counters, and what db (the reader) says at now: each pool's cards, the
 * enrollments by state, the voucher money, the audit trail's length, the
 * webhook queue.  0 with *text (malloc'd, the caller's) and its *len, or a
 * GD_* code (a pool's timeline not loaded, no memory) with nothing made.
 */
int metrics_collect(const struct app *app, struct db *db, int64_t now, char **text,
    size_t *len);

#endif
