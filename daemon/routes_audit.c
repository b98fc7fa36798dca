/* routes_audit.c: reading and verifying the audit trail. */
#include <stdlib.h>

#include "audit.h"
#include "err.h"
#include "router.h"
#include "request.h"

static void
audit_list(struct request *rq, struct response *rs)
{
	const char *l = req_query(rq, "limit"), *a = req_query(rq, "after");
	int64_t limit = 100, after = 0;
	json_t *items = NULL;
	char *next = NULL;

	if (l && !parse_int(l, 1, 1000, &limit)) {
		resp_problem(rs, 400, "bad_request", "limit must be an integer from 1 to 1000");
		return;
	}
	if (a && !parse_int(a, 0, INT64_MAX, &after)) {
		resp_problem(rs, 400, "bad_request", "after must be an audit seq (an integer >= 0)");
		return;
	}
	resp_list(rs, audit_page(rq->db, after, limit, &items, &next), &items, &next);
}

static void
audit_check(struct request *rq, struct response *rs)
{
	char head[AUDIT_HASH_HEX], err[GD_ERRBUF];
	int64_t n = 0;
	int rc = audit_verify(rq->db, &n, head, err, sizeof(err));

	if (rc == GD_EIO)
		resp_store_error(rs, rc);
	else if (rc < 0)
		resp_json(rs, 200, json_pack("{s:b, s:s}", "ok", 0, "error", err));
	else
		resp_json(rs, 200, json_pack("{s:b, s:I, s:s}", "ok", 1, "entries",
		    (json_int_t)n, "head", head));
}

const struct route routes_audit[] = {
	{ "GET", "/v1/audit", ROLE_AUDITOR, 0, audit_list },
	{ "GET", "/v1/audit/verify", ROLE_AUDITOR, 0, audit_check },
	{ NULL, NULL, 0, 0, NULL },
};
