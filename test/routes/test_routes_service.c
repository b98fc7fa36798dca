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
	SRunner *sr;
	TCase *tc;
	int failed;

	tc = tcase_create("shapes");
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, health_shape);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
