/* routes_service.c: health. */
#include "router.h"
#include "routes.h"
#include "version.h"

static void
health(struct request *rq, struct response *rs)
{
	(void)rq;
	resp_json(rs, 200, json_pack("{s:s, s:s}", "status", "ok", "version", GRANTD_VERSION));
}

const struct route routes_service[] = {
	{ "GET", "/v1/health", 0, ROUTE_PUBLIC, health },
	{ NULL, NULL, 0, 0, NULL },
};
