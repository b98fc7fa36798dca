/* metrics.c: request and commit counters, and the text of GET /metrics (Prometheus format). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "calendar.h"
#include "commit.h"
#include "err.h"
#include "metrics.h"
#include "store_audit.h"
#include "store_enrollments.h"
#include "store_vouchers.h"
#include "store_webhooks.h"
#include "timeline.h"
#include "timers.h"
#include "version.h"
#include "vec.h"

static const double lat_bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5 };
#define NLAT (sizeof(lat_bounds) / sizeof(lat_bounds[0]))
static const uint64_t batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };
#define NBATCH (sizeof(batch_bounds) / sizeof(batch_bounds[0]))

/* Methods counted under their own name; a label value points at one of these. */
static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE",
	"OPTIONS", "other" };
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

_Static_assert(NLAT == METRICS_LAT_BUCKETS, "lat_bounds and struct metrics disagree");
_Static_assert(NBATCH == METRICS_BATCH_BUCKETS, "batch_bounds and struct metrics disagree");

void
metrics_request(struct metrics *m, const char *method, const char *route, int status,
    uint64_t ns)
{
	double s = (double)ns / 1e9;
	size_t i;

	for (i = 0; i < NLAT; i++)
		if (s <= lat_bounds[i])
			m->lat_buckets[i]++;
	m->lat_count++;
	m->lat_sum += s;
	for (i = 0; i < NMETHODS - 1 && strcmp(methods[i], method) != 0; i++)
		;
	method = methods[i];
	for (i = 0; i < m->nseries; i++) {
		if (m->series[i].route == route && m->series[i].status == status &&
		    m->series[i].method == method) {
			m->series[i].count++;
			return;
		}
	}
	if (m->nseries == METRICS_SERIES) {
		m->overflow++;
		return;
	}
	m->series[m->nseries].method = method;
	m->series[m->nseries].route = route;
	m->series[m->nseries].status = status;
	m->series[m->nseries].count = 1;
	m->nseries++;
}

void
metrics_cut(struct metrics *m, enum metrics_cut why)
{
	if ((size_t)why < sizeof(m->cuts) / sizeof(m->cuts[0]))
		m->cuts[why]++;
}

void
metrics_batch(struct metrics *m, uint64_t n)
{
	for (size_t i = 0; i < NBATCH; i++)
		if (n <= batch_bounds[i])
			m->batch_buckets[i]++;
	m->batch_count++;
	m->batch_sum += n;
}

/* The label of each enum metrics_delivery. */
static const char *const delivery_results[] = { "ok", "failed", "refused", "timeout" };
#define NDELIVERY (sizeof(delivery_results) / sizeof(delivery_results[0]))

_Static_assert(NDELIVERY == METRICS_DELIVERIES, "delivery_results and struct metrics disagree");

void
metrics_delivery(struct metrics *m, enum metrics_delivery how)
{
	if ((size_t)how < NDELIVERY)
		m->deliveries[how]++;
}

/* A growing text buffer; on allocation failure it stops growing and says so. */
struct out {
	char *p;
	size_t n, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int len;

	if (o->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		len = vsnprintf(o->p ? o->p + o->n : NULL, o->p ? o->cap - o->n : 0, fmt, ap);
		va_end(ap);
		if (len < 0) {
			o->failed = true;
			return;
		}
		if (o->p && o->n + (size_t)len < o->cap) {
			o->n += (size_t)len;
			return;
		}
		if (vec_reserve(&o->p, &o->cap, o->n + (size_t)len + 1, 1) < 0) {
			o->failed = true;
			return;
		}
	}
}

/* Label values here are ids and patterns we chose; escape anyway, as the format asks. */
static void
put_label(struct out *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			put(o, "\\%c", *s);
		else if (*s == '\n')
			put(o, "\\n");
		else
			put(o, "%c", *s);
	}
}

static void
put_requests(struct out *o, const struct metrics *m)
{
	put(o, "# HELP grantd_http_requests_total HTTP requests by method, route and status.\n"
	    "# TYPE grantd_http_requests_total counter\n");
	for (size_t i = 0; i < m->nseries; i++) {
		put(o, "grantd_http_requests_total{method=\"");
		put_label(o, m->series[i].method);
		put(o, "\",route=\"");
		put_label(o, m->series[i].route);
		put(o, "\",status=\"%d\"} %llu\n", m->series[i].status,
		    (unsigned long long)m->series[i].count);
	}
	put(o, "# HELP grantd_http_requests_unlabelled_total Requests past the series limit.\n"
	    "# TYPE grantd_http_requests_unlabelled_total counter\n"
	    "grantd_http_requests_unlabelled_total %llu\n", (unsigned long long)m->overflow);
	put(o, "# HELP grantd_http_slow_connections_closed_total Connections closed before "
	    "their request was all read: past server.request_timeout_s (deadline), the oldest "
	    "such when the connection table was nearly full (shed), or when one address held "
	    "more than server.max_connections_per_ip (address_limit).\n"
	    "# TYPE grantd_http_slow_connections_closed_total counter\n"
	    "grantd_http_slow_connections_closed_total{reason=\"deadline\"} %llu\n"
	    "grantd_http_slow_connections_closed_total{reason=\"shed\"} %llu\n"
	    "grantd_http_slow_connections_closed_total{reason=\"address_limit\"} %llu\n",
	    (unsigned long long)m->cuts[METRICS_CUT_DEADLINE],
	    (unsigned long long)m->cuts[METRICS_CUT_SHED],
	    (unsigned long long)m->cuts[METRICS_CUT_ADDRESS]);
	put(o, "# HELP grantd_http_request_duration_seconds Time from first byte to reply.\n"
	    "# TYPE grantd_http_request_duration_seconds histogram\n");
	for (size_t i = 0; i < NLAT; i++)
		put(o, "grantd_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
		    lat_bounds[i], (unsigned long long)m->lat_buckets[i]);
	put(o, "grantd_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
	    "grantd_http_request_duration_seconds_sum %.6f\n"
	    "grantd_http_request_duration_seconds_count %llu\n",
	    (unsigned long long)m->lat_count, m->lat_sum, (unsigned long long)m->lat_count);
}

static void
put_commits(struct out *o, const struct app *app)
{
	const struct metrics *m = &app->metrics;
	struct commit_stats cs;

	commit_stats(app, &cs);
	put(o, "# HELP grantd_commits_total Group commits that succeeded.\n"
	    "# TYPE grantd_commits_total counter\ngrantd_commits_total %llu\n"
	    "# HELP grantd_commit_failures_total Group commits that failed (every change got 503).\n"
	    "# TYPE grantd_commit_failures_total counter\ngrantd_commit_failures_total %llu\n"
	    "# HELP grantd_commit_batch_size Changes per group commit.\n"
	    "# TYPE grantd_commit_batch_size histogram\n",
	    (unsigned long long)cs.commits, (unsigned long long)cs.failures);
	for (size_t i = 0; i < NBATCH; i++)
		put(o, "grantd_commit_batch_size_bucket{le=\"%llu\"} %llu\n",
		    (unsigned long long)batch_bounds[i], (unsigned long long)m->batch_buckets[i]);
	put(o, "grantd_commit_batch_size_bucket{le=\"+Inf\"} %llu\n"
	    "grantd_commit_batch_size_sum %llu\ngrantd_commit_batch_size_count %llu\n",
	    (unsigned long long)m->batch_count, (unsigned long long)m->batch_sum,
	    (unsigned long long)m->batch_count);
	put(o, "# HELP grantd_timer_failures_total Time-based transitions and idle checks that "
	    "failed and were rolled back alone (each try; the first is logged and audited).\n"
	    "# TYPE grantd_timer_failures_total counter\ngrantd_timer_failures_total %llu\n",
	    (unsigned long long)m->timer_failures);
}

/* Pool gauges at this instant, from the same timelines placement uses. */
static int
put_pools(struct out *o, struct db *db, int64_t now)
{
	static const char *const names[] = { "capacity", "allocated", "impaired", "free" };
	struct calendar cal;
	struct timeline_segment *seg;
	size_t n;
	int rc;

	if ((rc = calendar_load(db, &cal)) < 0)
		return rc;
	for (int k = 0; k < 4; k++) {
		put(o, "# HELP grantd_pool_%s_cards Cards of each pool now: %s.\n"
		    "# TYPE grantd_pool_%s_cards gauge\n", names[k], names[k], names[k]);
		for (size_t i = 0; i < cal.n; i++) {
			seg = NULL;
			if (timeline_segments(cal.pp[i].tl, now, now + 1, &seg, &n) < 0 || n == 0) {
				free(seg);
				continue;
			}
			put(o, "grantd_pool_%s_cards{pool=\"", names[k]);
			put_label(o, cal.pools[i].id);
			put(o, "\"} %lld\n", (long long)(k == 0 ? seg[0].capacity : k == 1 ?
			    seg[0].allocated : k == 2 ? seg[0].impaired : seg[0].free));
			free(seg);
		}
	}
	calendar_free(&cal);
	return 0;
}

static void
put_state(void *arg, const char *state, int64_t n)
{
	put(arg, "grantd_enrollments{state=\"%s\"} %lld\n", state, (long long)n);
}

static void
put_counts(struct out *o, struct db *db)
{
	static const char *const k[STORE_VOUCHER_TOTALS] = { "budget", "held", "settled",
		"refunded", "returned" };
	double totals[STORE_VOUCHER_TOTALS];

	put(o, "# HELP grantd_enrollments Enrollments by state.\n"
	    "# TYPE grantd_enrollments gauge\n");
	store_enrollment_counts(db, put_state, o);
	put(o, "# HELP grantd_voucher_krw Voucher money over all enrollments, by state.\n"
	    "# TYPE grantd_voucher_krw gauge\n");
	if (store_voucher_totals(db, totals) == 0)
		for (int i = 0; i < STORE_VOUCHER_TOTALS; i++)
			put(o, "grantd_voucher_krw{state=\"%s\"} %.0f\n", k[i], totals[i]);
	put(o, "# HELP grantd_audit_entries Entries in the audit trail.\n"
	    "# TYPE grantd_audit_entries gauge\ngrantd_audit_entries %lld\n",
	    (long long)store_audit_count(db));
}

/*
 * Webhooks: attempts by result since the start (counters), and what waits,
 * from one query (store_webhook_queue): the deliveries owed and how old the
 * oldest event owed is, 0 when none.
 */
static void
put_webhooks(struct out *o, const struct app *app, struct db *db, int64_t now)
{
	int64_t depth, oldest;

	put(o, "# HELP grantd_webhook_deliveries_total Webhook delivery attempts by result: "
	    "ok (2xx), failed (another answer or none), refused (a private address), timeout.\n"
	    "# TYPE grantd_webhook_deliveries_total counter\n");
	for (size_t i = 0; i < NDELIVERY; i++)
		put(o, "grantd_webhook_deliveries_total{result=\"%s\"} %llu\n",
		    delivery_results[i], (unsigned long long)app->metrics.deliveries[i]);
	if (store_webhook_queue(db, &depth, &oldest) < 0)
		return;
	put(o, "# HELP grantd_webhook_queue_depth Events not yet delivered to enabled webhooks, "
	    "counted once per webhook that takes them.\n"
	    "# TYPE grantd_webhook_queue_depth gauge\ngrantd_webhook_queue_depth %lld\n"
	    "# HELP grantd_webhook_oldest_undelivered_seconds Age of the oldest event not yet "
	    "delivered to an enabled webhook that takes it (0: none).\n"
	    "# TYPE grantd_webhook_oldest_undelivered_seconds gauge\n"
	    "grantd_webhook_oldest_undelivered_seconds %lld\n", (long long)depth,
	    (long long)(depth > 0 && now > oldest ? now - oldest : 0));
}

int
metrics_collect(const struct app *app, struct db *db, int64_t now, char **text, size_t *len)
{
	struct out o = { 0 };
	int rc;

	put(&o, "# HELP grantd_build_info The running grantd.\n# TYPE grantd_build_info gauge\n"
	    "grantd_build_info{version=\"%s\"} 1\n", GRANTD_VERSION);
	put_requests(&o, &app->metrics);
	put_commits(&o, app);
	rc = put_pools(&o, db, now);
	put_counts(&o, db);
	put_webhooks(&o, app, db, now);
	if (rc < 0 || o.failed) {
		free(o.p);
		return rc < 0 ? rc : GD_ENOMEM;
	}
	*text = o.p;
	*len = o.n;
	return 0;
}
