/* test_daemon_names.c: the daemon's name tables (roles, voided_by) round-trip and refuse unknown names. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "store_vouchers.h"
#include "token.h"

static const struct {
	enum role role;
	const char *name;
} roles[] = {
	{ ROLE_ADMIN, "admin" }, { ROLE_AUDITOR, "auditor" }, { ROLE_TEAM, "team" },
	{ ROLE_AGENT, "agent" },
};

static const struct {
	enum hold_voided_by why;
	const char *name;
} voided[] = {
	{ HOLD_VOIDED_BY_REQUEST, "request" }, { HOLD_VOIDED_BY_EXPIRY, "expiry" },
	{ HOLD_VOIDED_BY_ENROLLMENT_END, "enrollment_end" },
};

static const char *const unknown[] = { "", "Admin", "admin ", "none", "root", "expired",
	"enrollment-end", "requests" };

START_TEST(roles_round_trip)
{
	enum role r = (enum role)0;

	ck_assert_str_eq(role_name(roles[_i].role), roles[_i].name);
	ck_assert_int_eq(role_from_name(roles[_i].name, &r), 0);
	ck_assert_int_eq(r, roles[_i].role);
}
END_TEST

START_TEST(voided_by_round_trips)
{
	enum hold_voided_by w = HOLD_NOT_VOIDED;

	ck_assert_str_eq(hold_voided_by_name(voided[_i].why), voided[_i].name);
	ck_assert_int_eq(hold_voided_by_parse(voided[_i].name, &w), 0);
	ck_assert_int_eq(w, voided[_i].why);
}
END_TEST

START_TEST(unknown_names_are_refused)
{
	enum role r = (enum role)0;
	enum hold_voided_by w = HOLD_NOT_VOIDED;

	ck_assert_int_eq(role_from_name(unknown[_i], &r), GD_EINVAL);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(hold_voided_by_parse(unknown[_i], &w), GD_EINVAL);
	ck_assert_int_eq(w, HOLD_NOT_VOIDED);
}
END_TEST

START_TEST(values_without_a_name)
{
	/* Two roles at once, or none, name no role; a hold not voided has no voided_by. */
	ck_assert_str_eq(role_name((enum role)(ROLE_ADMIN | ROLE_TEAM)), "none");
	ck_assert_str_eq(role_name((enum role)0), "none");
	ck_assert_ptr_null(hold_voided_by_name(HOLD_NOT_VOIDED));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("daemon_names");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, roles_round_trip, 0, (int)(sizeof(roles) / sizeof(roles[0])));
	tcase_add_loop_test(tc, voided_by_round_trips, 0,
	    (int)(sizeof(voided) / sizeof(voided[0])));
	tcase_add_loop_test(tc, unknown_names_are_refused, 0,
	    (int)(sizeof(unknown) / sizeof(unknown[0])));
	tcase_add_test(tc, values_without_a_name);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
