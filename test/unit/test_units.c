/* test_units.c: milli-unit text. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

static const struct {
	const char *what;
	int64_t milli;
	const char *out;
} cases[] = {
	{ "768 B200", 768000, "768.000" },
	{ "one H100", 500, "0.500" },
	{ "zero", 0, "0.000" },
	{ "negative", -1500, "-1.500" },
	{ "smallest", INT64_MIN, "-9223372036854775.808" },
	{ "largest", INT64_MAX, "9223372036854775.807" },
};

START_TEST(format)
{
	char buf[UNITS_LEN];

	units_format(cases[_i].milli, buf);
	ck_assert_msg(strcmp(buf, cases[_i].out) == 0, "%s: %s", cases[_i].what, buf);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, format, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
