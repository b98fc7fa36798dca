/* test_units.c: milli-unit text, checked arithmetic and the limits that make the worst case fit. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
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

/* Checked arithmetic: exact where it fits, GD_ERANGE and nothing written where not. */
static const struct {
	const char *what;
	char op;
	int64_t a, b;
	int rc;
	int64_t out;
} arith[] = {
	{ "add", '+', 1, 2, 0, 3 },
	{ "add to the top", '+', INT64_MAX - 1, 1, 0, INT64_MAX },
	{ "add past the top", '+', INT64_MAX, 1, GD_ERANGE, 0 },
	{ "add past the bottom", '+', INT64_MIN, -1, GD_ERANGE, 0 },
	{ "sub", '-', 5, 7, 0, -2 },
	{ "sub past the bottom", '-', INT64_MIN, 1, GD_ERANGE, 0 },
	{ "sub past the top", '-', INT64_MAX, -1, GD_ERANGE, 0 },
	{ "mul", '*', -3, 4, 0, -12 },
	{ "mul: max pool x max weight x a month", '*', UNITS_MAX_CARDS * UNITS_MAX_WEIGHT_MILLI,
	  INT64_C(2592000), 0, INT64_C(25920000000000000) },
	{ "mul: a month of usage x 10^7", '*', INT64_C(2592000000000), INT64_C(10000000),
	  GD_ERANGE, 0 },
	{ "mul min x -1", '*', INT64_MIN, -1, GD_ERANGE, 0 },
};

START_TEST(checked)
{
	int64_t out = 42;
	int rc;

	switch (arith[_i].op) {
	case '+':
		rc = units_add(arith[_i].a, arith[_i].b, &out);
		break;
	case '-':
		rc = units_sub(arith[_i].a, arith[_i].b, &out);
		break;
	default:
		rc = units_mul(arith[_i].a, arith[_i].b, &out);
		break;
	}
	ck_assert_msg(rc == arith[_i].rc, "%s: rc %d", arith[_i].what, rc);
	ck_assert_msg(out == (rc == 0 ? arith[_i].out : 42), "%s: %lld", arith[_i].what,
	    (long long)out);
}
END_TEST

START_TEST(narrow)
{
	int64_t out = 7;
	units_wide w = (units_wide)INT64_MAX * 1000;

	ck_assert_int_eq(units_narrow((units_wide)INT64_MAX, &out), 0);
	ck_assert_int_eq(out, INT64_MAX);
	ck_assert_int_eq(units_narrow((units_wide)INT64_MIN, &out), 0);
	ck_assert_int_eq(out, INT64_MIN);
	out = 7;
	ck_assert_int_eq(units_narrow((units_wide)INT64_MAX + 1, &out), GD_ERANGE);
	ck_assert_int_eq(units_narrow(-w, &out), GD_ERANGE);
	ck_assert_int_eq(out, 7);
	/* 10^4 rows of the largest int64 usage at the largest weight still sum exactly. */
	w = 0;
	for (int i = 0; i < 10000; i++)
		w += (units_wide)INT64_MAX * UNITS_MAX_WEIGHT_MILLI;
	ck_assert(w / 10000 == (units_wide)INT64_MAX * UNITS_MAX_WEIGHT_MILLI);
}
END_TEST

/*
 * The input limits make the worst case fit: the largest package (or pool)
 * at the largest weight over the longest window, twice (a window's grants
 * and make-ups of the same size after it), in int64 milli-unit-seconds.
 */
START_TEST(worst_case_fits)
{
	int64_t rate, window, once, twice;

	ck_assert_int_eq(units_mul(UNITS_MAX_CARDS, UNITS_MAX_WEIGHT_MILLI, &rate), 0);
	window = (int64_t)UNITS_MAX_PERIOD_DAYS * 86400;
	ck_assert_int_eq(units_mul(rate, window, &once), 0);
	ck_assert_int_eq(units_add(once, once, &twice), 0);
	/* And the old limits (weight 1000, 3650 + 3650 days) did not. */
	ck_assert_int_eq(units_mul(rate * 100, (int64_t)7300 * 86400, &once), GD_ERANGE);
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
	tcase_add_loop_test(tc, checked, 0, sizeof(arith) / sizeof(arith[0]));
	tcase_add_test(tc, narrow);
	tcase_add_test(tc, worst_case_fits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
