/* routes_service.c: health. */
#include "app.h"
#include "db.h"
#include "maint.h"
#include "router.h"
#include "request.h"
#include "version.h"

/*
 * 200 {"status":"ok"} while grantd can take changes; 503
 * {"status":"degraded","reason"} while its database file is gone, replaced
 * or unwritable (maint_watch): every change is then refused, so a load
 * balancer or a probe should stop sending it any.
 */
static void
health(struct request *rq, struct response *rs)
{
	if (maint_watch_recent(rq->app) < 0) {
		resp_json(rs, 503, json_pack("{s:s, s:s?, s:s}", "status", "degraded", "reason",
		    db_watch_reason(rq->app->w), "version", GRANTD_VERSION));
		return;
	}
	resp_json(rs, 200, json_pack("{s:s, s:s}", "status", "ok", "version", GRANTD_VERSION));
}

const struct route routes_service[] = {
	{ "GET", "/v1/health", 0, ROUTE_PUBLIC, health },
	{ NULL, NULL, 0, 0, NULL },
};
