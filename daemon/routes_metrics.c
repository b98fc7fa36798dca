/* routes_metrics.c: GET /metrics, the counters and gauges that metrics.c collects. */
#include "app.h"
#include "metrics.h"
#include "router.h"
#include "request.h"

static void
metrics_get(struct request *rq, struct response *rs)
{
	char *text;
	size_t len;

	if (metrics_collect(rq->app, rq->db, rq->now, &text, &len) < 0) {
		resp_problem(rs, 503, "unavailable", "cannot collect metrics");
		return;
	}
	response_clear(rs);
	rs->status = 200;
	rs->text = text;
	rs->text_len = len;
	rs->content_type = "text/plain; version=0.0.4; charset=utf-8";
}

const struct route routes_metrics[] = {
	{ "GET", "/metrics", ROLE_AUDITOR, ROUTE_METRICS, metrics_get },
	{ NULL, NULL, 0, 0, NULL },
};
