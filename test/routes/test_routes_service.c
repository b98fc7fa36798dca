/* test_routes_service.c: health through dispatch() (routes_service.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routes_case.h"

START_TEST(health_shape)
{
	struct response rs = fx_req(&F, "GET", "/v1/health", NULL, NULL);

	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(fx_str(rs.json, "status"), "ok");
	ck_assert_int_gt(strlen(fx_str(rs.json, "version")), 0);
	response_clear(&rs);
}
END_TEST

/* ------------------------------------------------------------------ */

int
main(void)
{
	Suite *s = suite_create("routes_service");
	TCase *tc;

	tc = world_tcase(s, "shapes");
	tcase_add_test(tc, health_shape);

	return world_run(s);
}
