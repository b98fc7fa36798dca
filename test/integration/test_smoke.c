/* test_smoke.c: the README's first-run story against the real binary. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

START_TEST(first_run)
{
	struct harness h;
	struct hresp r;
	json_t *items, *last;

	h_init(&h, NULL);
	h_start(&h);
	r = h_get(&h, NULL, "/v1/health");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "ok");
	hresp_free(&r);

	r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"motif\",\"name\":\"Motif consortium\","
	    "\"lead_org\":\"Motif Technologies\",\"members\":[{\"org\":\"Motif Technologies\","
	    "\"role\":\"lead\"}]}");
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(json_string_value(json_object_get(r.json, "id")), "motif");
	hresp_free(&r);

	/* The change is in the audit trail, last, with its target. */
	r = h_get(&h, h.admin, "/v1/audit");
	ck_assert_int_eq(r.status, 200);
	items = json_object_get(r.json, "items");
	ck_assert_int_eq(json_array_size(items), 2);
	last = json_array_get(items, 1);
	ck_assert_str_eq(json_string_value(json_object_get(last, "action")), "team.create");
	ck_assert_str_eq(json_string_value(json_object_get(last, "target")), "team/motif");
	hresp_free(&r);

	r = h_get(&h, h.admin, "/v1/audit/verify");
	ck_assert(json_is_true(json_object_get(r.json, "ok")));
	ck_assert_int_eq(json_integer_value(json_object_get(r.json, "entries")), 2);
	hresp_free(&r);

	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("smoke");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, first_run);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
