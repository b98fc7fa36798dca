/* test_routes_metrics.c: GET /metrics through dispatch() (routes_metrics.c, metrics.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_case.h"

/* The text has the line `want` (whole, at a line's start). */
static bool
has_line(const struct response *rs, const char *want)
{
	size_t n = strlen(want);

	for (const char *p = rs->text; p && p < rs->text + rs->text_len; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (strncmp(p, want, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
	}
	return false;
}

START_TEST(text_and_gauges)
{
	struct response rs = fx_req(&F, "GET", "/metrics", auditor, NULL);

	ck_assert_int_eq(rs.status, 200);
	ck_assert_ptr_null(rs.json);
	ck_assert_ptr_nonnull(rs.text);
	ck_assert_str_eq(rs.content_type, "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_msg(has_line(&rs, "# TYPE grantd_build_info gauge"), "%.*s",
	    (int)rs.text_len, rs.text);
	/* Read through the store: the world's pool, its audit trail, no enrollment. */
	ck_assert_msg(has_line(&rs, "# TYPE grantd_pool_capacity_cards gauge"), "no pool gauge");
	ck_assert_msg(strstr(rs.text, "grantd_pool_capacity_cards{pool=\"pool-a\"} ") != NULL,
	    "no pool-a");
	ck_assert_msg(strstr(rs.text, "\ngrantd_audit_entries ") != NULL, "no audit count");
	ck_assert_msg(has_line(&rs, "grantd_webhook_queue_depth 0"), "webhook queue not empty");
	response_clear(&rs);
}
END_TEST

/* ------------------------------------------------------------------ */

int
main(void)
{
	Suite *s = suite_create("routes_metrics");
	TCase *tc;

	tc = world_tcase(s, "metrics");
	tcase_add_test(tc, text_and_gauges);

	return world_run(s);
}
