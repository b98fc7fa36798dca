/* test_vec.c: the growable array against a plain copy, and its refusals. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "err.h"
#include "vec.h"

struct item {
	int64_t a;
	char b[13];
};

START_TEST(push_keeps_every_item)
{
	struct item *v = NULL, it;
	size_t n = 0, cap = 0;

	for (int i = 0; i < 5000; i++) {
		it.a = i * 7;
		it.b[0] = (char)('a' + i % 26);
		ck_assert_int_eq(vec_push(&v, &n, &cap, &it, sizeof(it)), 0);
		ck_assert_uint_eq(n, (size_t)i + 1);
		ck_assert(cap >= n && cap >= 16);
	}
	for (int i = 0; i < 5000; i++)
		ck_assert(v[i].a == i * 7 && v[i].b[0] == (char)('a' + i % 26));
	free(v);
}
END_TEST

START_TEST(reserve_doubles_and_refuses_overflow)
{
	int *v = NULL;
	size_t cap = 0;

	ck_assert_int_eq(vec_reserve(&v, &cap, 0, sizeof(*v)), 0);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(vec_reserve(&v, &cap, 17, sizeof(*v)), 0);
	ck_assert_uint_eq(cap, 32);
	ck_assert_int_eq(vec_reserve(&v, &cap, 20, sizeof(*v)), 0);
	ck_assert_uint_eq(cap, 32);
	/* Too large to count: refused, the array as it was. */
	ck_assert_int_eq(vec_reserve(&v, &cap, SIZE_MAX / 2 + 2, sizeof(*v)), GD_ENOMEM);
	ck_assert_int_eq(vec_reserve(&v, &cap, SIZE_MAX / 4, 64), GD_ENOMEM);
	ck_assert_uint_eq(cap, 32);
	v[31] = 5;
	free(v);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("vec");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, push_keeps_every_item);
	tcase_add_test(tc, reserve_doubles_and_refuses_overflow);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
