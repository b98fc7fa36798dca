/* test_orgname.c: organisation name keys (a table of Korean and English spellings), slugs, BRNs. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "orgname.h"

/* Each row: a spelling and the key it must have. */
static const struct {
	const char *name, *key;
} keys[] = {
	{ "Seoul National University", "seoul national university" },
	{ "seoul national university", "seoul national university" },
	{ "SEOUL NATIONAL UNIVERSITY", "seoul national university" },
	{ "  Seoul   National\tUniversity \n", "seoul national university" },
	{ "Seoul\xc2\xa0National University", "seoul national university" },	/* NBSP */
	{ "Seoul\xe3\x80\x80National University", "seoul national university" },	/* ideographic */
	{ "Seoul\xe2\x80\x83National\xe2\x80\xafUniversity", "seoul national university" },
	{ "\xef\xbc\xb3\xef\xbc\xa5\xef\xbc\xaf\xef\xbc\xb5\xef\xbc\xac National University",
	    "seoul national university" },	/* full-width SEOUL */
	{ "Seoul Na\xe2\x80\x8btional University", "seoul national university" },	/* ZWSP */
	{ "Seoul Na\xc2\xadtional University", "seoul national university" },	/* soft hyphen */
	{ "LG AI Research", "lg ai research" },
	{ "LG\xe2\x80\x90" "AI", "lg-ai" },		/* U+2010 hyphen lumped to '-' */
	{ "Stra\xc3\x9f" "e AG", "strasse ag" },	/* full case folding: ß -> ss */
	{ "\xe2\x84\xa2 Labs", "tm labs" },		/* ™ is NFKC "TM" */
	{ "\xe3\x8e\x92" "Hz", "mhzhz" },		/* ㎒ is NFKC "MHz" */
	{ "Caf\x65\xcc\x81", "caf\xc3\xa9" },		/* e + combining acute composes */
	{ "\xc3\x89" "COLE", "\xc3\xa9" "cole" },	/* É folds to é */
	/* 서울대학교, precomposed and as conjoining jamo (NFD). */
	{ "\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90",
	    "\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90" },
	{ "\xe1\x84\x89\xe1\x85\xa5\xe1\x84\x8b\xe1\x85\xae\xe1\x86\xaf"
	  "\xe1\x84\x83\xe1\x85\xa2\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xa8"
	  "\xe1\x84\x80\xe1\x85\xad",
	    "\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90" },
	/* 서울 대학교 with two spaces keeps one; a half-width ﾊﾝｸﾞﾙ jamo composes. */
	{ "\xec\x84\x9c\xec\x9a\xb8  \xeb\x8c\x80\xed\x95\x99\xea\xb5\x90",
	    "\xec\x84\x9c\xec\x9a\xb8 \xeb\x8c\x80\xed\x95\x99\xea\xb5\x90" },
	/* (주)업스테이지 with a parenthesised ㈜ (U+321C): NFKC spells it out. */
	{ "\xe3\x88\x9c\xec\x97\x85\xec\x8a\xa4\xed\x85\x8c\xec\x9d\xb4\xec\xa7\x80",
	    "(\xec\xa3\xbc)\xec\x97\x85\xec\x8a\xa4\xed\x85\x8c\xec\x9d\xb4\xec\xa7\x80" },
	{ "KAIST", "kaist" },
	{ "\xef\xbc\xab\xef\xbc\xa1\xef\xbc\xa9\xef\xbc\xb3\xef\xbc\xb4", "kaist" },
};

START_TEST(key_table)
{
	char key[ORGNAME_KEY_MAX];
	int rc = orgname_key(keys[_i].name, key, sizeof(key));

	ck_assert_msg(rc == 0, "row %d: rc %d", _i, rc);
	ck_assert_msg(strcmp(key, keys[_i].key) == 0, "row %d: key '%s', want '%s'", _i, key,
	    keys[_i].key);
	/* A key is its own key: normalising twice changes nothing. */
	{
		char again[ORGNAME_KEY_MAX];

		ck_assert_int_eq(orgname_key(key, again, sizeof(again)), 0);
		ck_assert_str_eq(again, key);
	}
}
END_TEST

/* Spellings that must stay apart. */
START_TEST(key_distinct)
{
	static const char *const pairs[][2] = {
		{ "Seoul National University", "Seoul National Universit" },
		{ "KAIST", "KAIST Institute" },
		{ "SNU", "S N U" },
		{ "\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90",
		    "Seoul National University" },
	};
	char a[ORGNAME_KEY_MAX], b[ORGNAME_KEY_MAX];

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		ck_assert_int_eq(orgname_key(pairs[i][0], a, sizeof(a)), 0);
		ck_assert_int_eq(orgname_key(pairs[i][1], b, sizeof(b)), 0);
		ck_assert_msg(strcmp(a, b) != 0, "pair %zu shares key '%s'", i, a);
	}
}
END_TEST

START_TEST(key_refuses)
{
	char key[ORGNAME_KEY_MAX], small[8];
	char big[256];

	ck_assert_int_eq(orgname_key("", key, sizeof(key)), GD_EINVAL);
	ck_assert_int_eq(orgname_key(" \t\xc2\xa0 ", key, sizeof(key)), GD_EINVAL);
	ck_assert_int_eq(orgname_key("\xe2\x80\x8b", key, sizeof(key)), GD_EINVAL);
	ck_assert_int_eq(orgname_key("bad \xff utf-8", key, sizeof(key)), GD_EINVAL);
	ck_assert_int_eq(orgname_key("\xed\xa0\x80", key, sizeof(key)), GD_EINVAL);	/* surrogate */
	ck_assert_str_eq(key, "");
	ck_assert_int_eq(orgname_key("Seoul National", small, sizeof(small)), GD_ERANGE);
	ck_assert_str_eq(small, "");
	ck_assert_int_eq(orgname_key("1234567", small, sizeof(small)), 0);
	ck_assert_int_eq(orgname_key("12345678", small, sizeof(small)), GD_ERANGE);
	/* The longest expansion of a 200-byte name fits a key: U+FDFA is 18 code points, 33 bytes. */
	big[0] = '\0';
	for (int i = 0; i < 66; i++)
		strcat(big, "\xef\xb7\xba");
	ck_assert_int_eq(orgname_key(big, key, sizeof(key)), 0);
	ck_assert_uint_gt(strlen(key), 2000);
}
END_TEST

START_TEST(hangul)
{
	ck_assert(orgname_hangul("\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90"));
	ck_assert(orgname_hangul("LG \xea\xb5\x90"));
	ck_assert(orgname_hangul("\xe1\x84\x89\xe1\x85\xa5"));	/* conjoining jamo */
	ck_assert(!orgname_hangul("Seoul National University"));
	ck_assert(!orgname_hangul("\xe6\x9d\xb1\xe4\xba\xac"));	/* 東京: Han, not Hangul */
}
END_TEST

START_TEST(slug)
{
	char id[64];
	char long_name[201];

	ck_assert_int_eq(orgname_slug("Seoul National University", id), 0);
	ck_assert_str_eq(id, "seoul-national-university");
	ck_assert_int_eq(orgname_slug("  LG AI Research (LG AI \xec\x97\xb0\xea\xb5\xac\xec\x9b\x90) ",
	    id), 0);
	ck_assert_str_eq(id, "lg-ai-research-lg-ai");
	ck_assert_int_eq(orgname_slug("\xef\xbc\xab\xef\xbc\xa1\xef\xbc\xa9\xef\xbc\xb3\xef\xbc\xb4",
	    id), 0);
	ck_assert_str_eq(id, "kaist");
	ck_assert_int_eq(orgname_slug("\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90",
	    id), GD_EINVAL);
	ck_assert_str_eq(id, "");
	ck_assert_int_eq(orgname_slug("--!!--", id), GD_EINVAL);
	memset(long_name, 'a', 200);
	long_name[200] = '\0';
	long_name[62] = ' ';
	ck_assert_int_eq(orgname_slug(long_name, id), 0);
	ck_assert_uint_eq(strlen(id), 62);	/* no dash left hanging at the end */
	ck_assert(id[61] == 'a');
	long_name[62] = 'a';
	ck_assert_int_eq(orgname_slug(long_name, id), 0);
	ck_assert_uint_eq(strlen(id), 63);
}
END_TEST

START_TEST(brn)
{
	char out[11], err[GD_ERRBUF];

	/* 124-81-00998 is a published number (Samsung Electronics). */
	ck_assert_int_eq(orgname_brn("124-81-00998", out, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "1248100998");
	ck_assert_int_eq(orgname_brn("1248100998", out, err, sizeof(err)), 0);
	ck_assert_int_eq(orgname_brn("1248100997", out, err, sizeof(err)), GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "check digit is 8"));
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(orgname_brn("124-8100998", out, err, sizeof(err)), 0);
	ck_assert_int_eq(orgname_brn("12-481-00998", out, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(orgname_brn("124-81-009980", out, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(orgname_brn("124-81-0099", out, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(orgname_brn("124 81 00998", out, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(orgname_brn("", out, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(orgname_brn("\xef\xbc\x91" "248100998", out, err, sizeof(err)),
	    GD_EINVAL);	/* a full-width digit is not a digit here */
}
END_TEST

/*
 * Every number of nine digits has exactly one check digit: of the ten
 * candidates for the last digit exactly one passes (seeded sample).
 */
START_TEST(brn_one_check_digit)
{
	char s[11], out[11], err[GD_ERRBUF];
	unsigned seed = 20261207;

	for (int n = 0; n < 2000; n++) {
		int pass = 0;

		for (int i = 0; i < 9; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = (char)('0' + (seed >> 16) % 10);
		}
		s[10] = '\0';
		for (int c = 0; c < 10; c++) {
			s[9] = (char)('0' + c);
			pass += orgname_brn(s, out, err, sizeof(err)) == 0;
		}
		ck_assert_int_eq(pass, 1);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("orgname");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, key_table, 0, (int)(sizeof(keys) / sizeof(keys[0])));
	tcase_add_test(tc, key_distinct);
	tcase_add_test(tc, key_refuses);
	tcase_add_test(tc, hangul);
	tcase_add_test(tc, slug);
	tcase_add_test(tc, brn);
	tcase_add_test(tc, brn_one_check_digit);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
