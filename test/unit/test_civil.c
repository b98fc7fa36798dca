/* test_civil.c: calendar arithmetic, RFC 3339 parsing and zones. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "money.h"

START_TEST(roundtrip_every_day)
{
	/*
	 * Every day of 1900..2200 and every 97th day of 0001..9999 (a stride
	 * prime to the 400-year cycle) survives days -> ymd -> days.
	 */
	int64_t lo = civil_days_from_ymd(1, 1, 1), hi = civil_days_from_ymd(9999, 12, 31);
	int64_t a = civil_days_from_ymd(1900, 1, 1), b = civil_days_from_ymd(2200, 12, 31);
	int y, m, d;

	for (int64_t n = lo; n <= hi; n += n >= a && n <= b ? 1 : 97) {
		civil_ymd_from_days(n, &y, &m, &d);
		ck_assert(civil_valid_ymd(y, m, d));
		ck_assert_int_eq(civil_days_from_ymd(y, m, d), n);
	}
	ck_assert_int_eq(civil_days_from_ymd(1970, 1, 1), 0);
	ck_assert_int_eq(civil_days_from_ymd(2000, 3, 1), 11017);
}
END_TEST

static const struct {
	const char *what, *in;
	int rc;
	const char *out;
} dates[] = {
	{ "plain", "2026-03-01", 0, "2026-03-01" },
	{ "leap day", "2024-02-29", 0, "2024-02-29" },
	{ "no leap day in 2026", "2026-02-29", GD_EINVAL, NULL },
	{ "february 30", "2026-02-30", GD_EINVAL, NULL },
	{ "year 0", "0000-01-01", GD_EINVAL, NULL },
	{ "year 10000", "10000-01-01", GD_EINVAL, NULL },
	{ "month 13", "2026-13-01", GD_EINVAL, NULL },
	{ "day 0", "2026-01-00", GD_EINVAL, NULL },
	{ "trailing", "2026-01-01x", GD_EINVAL, NULL },
	{ "short", "2026-1-01", GD_EINVAL, NULL },
	{ "sign", "+026-01-01", GD_EINVAL, NULL },
	{ "empty", "", GD_EINVAL, NULL },
	{ "1900 not leap", "1900-02-29", GD_EINVAL, NULL },
	{ "2000 leap", "2000-02-29", 0, "2000-02-29" },
};

START_TEST(parse_dates)
{
	int64_t days = 0;
	char buf[CIVIL_DATE_LEN];
	int rc = civil_parse_date(dates[_i].in, &days);

	ck_assert_msg(rc == dates[_i].rc, "%s: rc %d", dates[_i].what, rc);
	if (rc == 0) {
		civil_format_date(days, buf);
		ck_assert_str_eq(buf, dates[_i].out);
	}
}
END_TEST

static const struct {
	const char *what, *in;
	int rc;
	const char *out;
} instants[] = {
	{ "utc", "2026-03-01T00:00:00Z", 0, "2026-03-01T00:00:00Z" },
	{ "seoul", "2026-03-01T09:00:00+09:00", 0, "2026-03-01T00:00:00Z" },
	{ "negative offset", "2026-02-28T19:30:00-04:30", 0, "2026-03-01T00:00:00Z" },
	{ "fraction truncated", "2026-03-01T00:00:00.999Z", 0, "2026-03-01T00:00:00Z" },
	{ "lower case", "2026-03-01t00:00:00z", 0, "2026-03-01T00:00:00Z" },
	{ "leap second", "2026-06-30T23:59:60Z", GD_EINVAL, NULL },
	{ "hour 24", "2026-03-01T24:00:00Z", GD_EINVAL, NULL },
	{ "no zone", "2026-03-01T00:00:00", GD_EINVAL, NULL },
	{ "empty fraction", "2026-03-01T00:00:00.Z", GD_EINVAL, NULL },
	{ "bad offset", "2026-03-01T00:00:00+9:00", GD_EINVAL, NULL },
	{ "date only", "2026-03-01", GD_EINVAL, NULL },
	{ "feb 30", "2026-02-30T00:00:00Z", GD_EINVAL, NULL },
	{ "before year 1", "0001-01-01T00:00:00+01:00", GD_ERANGE, NULL },
	{ "last second", "9999-12-31T23:59:59Z", 0, "9999-12-31T23:59:59Z" },
	{ "before epoch", "1969-12-31T23:59:59Z", 0, "1969-12-31T23:59:59Z" },
};

START_TEST(parse_instants)
{
	int64_t t = 0;
	char buf[CIVIL_INSTANT_LEN];
	int rc = civil_parse_instant(instants[_i].in, &t);

	ck_assert_msg(rc == instants[_i].rc, "%s: rc %d", instants[_i].what, rc);
	if (rc == 0) {
		civil_format_instant(t, buf);
		ck_assert_str_eq(buf, instants[_i].out);
	}
}
END_TEST

START_TEST(zones)
{
	int32_t off = -1;

	ck_assert_int_eq(civil_tz_offset("Asia/Seoul", &off), 0);
	ck_assert_int_eq(off, 9 * 3600);
	ck_assert_int_eq(civil_tz_offset("-03:30", &off), 0);
	ck_assert_int_eq(off, -(3 * 3600 + 1800));
	ck_assert_int_eq(civil_tz_offset("Europe/Berlin", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT-9", &off), 0);
	ck_assert_int_eq(off, 9 * 3600);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT+12", &off), 0);
	ck_assert_int_eq(off, -12 * 3600);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT-14", &off), 0);
	ck_assert_int_eq(off, 14 * 3600);
	ck_assert_int_eq(civil_tz_offset("Asia/Kathmandu", &off), 0);
	ck_assert_int_eq(off, 5 * 3600 + 2700);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT+13", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT-15", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT-", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT-123", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT-9x", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT+05", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("Etc/GMT-00", &off), GD_EINVAL);
	ck_assert_int_eq(civil_tz_offset("+15:00", &off), GD_EINVAL);
	/* 2026-03-01 00:00 in Seoul is 2026-02-28T15:00:00Z. */
	ck_assert_int_eq(civil_local_midnight(civil_days_from_ymd(2026, 3, 1), 9 * 3600),
	    civil_days_from_ymd(2026, 2, 28) * CIVIL_DAY + 15 * 3600);
	ck_assert_int_eq(civil_local_day(civil_days_from_ymd(2026, 2, 28) * CIVIL_DAY + 15 * 3600,
	    9 * 3600), civil_days_from_ymd(2026, 3, 1));
	ck_assert_int_eq(civil_local_day(-1, 0), -1);
}
END_TEST

START_TEST(money)
{
	char buf[32];
	int64_t r = 0;

	ck_assert_int_eq(money_format(INT64_C(10000000000), buf, sizeof(buf)), 14);
	ck_assert_str_eq(buf, "10,000,000,000");
	money_format(0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "0");
	money_format(-1234, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-1,234");
	money_format(INT64_MIN, buf, sizeof(buf));
	ck_assert_str_eq(buf, "-9,223,372,036,854,775,808");
	ck_assert_int_eq(money_format(1000, buf, 5), -1);
	ck_assert(!money_add(INT64_MAX, 1, &r));
	ck_assert(money_add(1, 2, &r) && r == 3);
	ck_assert(!money_sub(INT64_MIN, 1, &r));
	ck_assert(!money_mul(INT64_MAX / 2 + 1, 2, &r));
	ck_assert(!money_valid_amount(0));
	ck_assert(money_valid_amount(MONEY_MAX_AMOUNT));
	ck_assert(!money_valid_amount(MONEY_MAX_AMOUNT + 1));
}
END_TEST

/* Times for people: the zone's label, local time with its offset, and the short form. */
static const struct {
	const char *zone;
	int32_t off;
	const char *instant, *label, *local, *human;
} people[] = {
	{ "Asia/Seoul", 9 * 3600, "2026-02-28T15:00:00Z", "KST", "2026-03-01T00:00:00+09:00",
	    "2026-03-01 00:00 KST" },
	{ "UTC", 0, "2026-03-01T00:00:07Z", "UTC", "2026-03-01T00:00:07+00:00",
	    "2026-03-01 00:00:07 UTC" },
	{ "Asia/Kathmandu", 5 * 3600 + 2700, "2026-12-31T18:15:00Z", "UTC+05:45",
	    "2027-01-01T00:00:00+05:45", "2027-01-01 00:00 UTC+05:45" },
	{ "Pacific/Honolulu", -10 * 3600, "2028-03-01T09:59:00Z", "HST",
	    "2028-02-29T23:59:00-10:00", "2028-02-29 23:59 HST" },
	{ "-03:30", -(3 * 3600 + 1800), "2026-06-01T00:00:00Z", "UTC-03:30",
	    "2026-05-31T20:30:00-03:30", "2026-05-31 20:30 UTC-03:30" },
};

START_TEST(for_people)
{
	char label[CIVIL_TZ_LABEL_LEN], local[CIVIL_LOCAL_LEN], human[CIVIL_HUMAN_LEN];
	char when[CIVIL_WHEN_LEN], want[CIVIL_WHEN_LEN + 8];
	struct civil_zone z;
	int64_t t;
	int32_t off;

	ck_assert_int_eq(civil_tz_offset(people[_i].zone, &off), 0);
	ck_assert_int_eq(off, people[_i].off);
	ck_assert_int_eq(civil_parse_instant(people[_i].instant, &t), 0);
	civil_tz_label(people[_i].zone, off, label);
	ck_assert_str_eq(label, people[_i].label);
	civil_format_local(t, off, local);
	ck_assert_str_eq(local, people[_i].local);
	civil_format_human(t, off, label, human);
	ck_assert_str_eq(human, people[_i].human);
	/* The form of details: the same with the UTC instant beside it. */
	civil_zone_of(people[_i].zone, off, &z);
	civil_format_when(t, &z, when);
	snprintf(want, sizeof(want), "%s (%s)", people[_i].human, people[_i].instant);
	ck_assert_str_eq(when, want);
	/* The local form is RFC 3339: it reads back as the same instant. */
	ck_assert_int_eq(civil_parse_instant(local, &t), 0);
	ck_assert_str_eq(people[_i].instant, (civil_format_instant(t, local), local));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("civil");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, roundtrip_every_day);
	tcase_add_loop_test(tc, parse_dates, 0, sizeof(dates) / sizeof(dates[0]));
	tcase_add_loop_test(tc, parse_instants, 0, sizeof(instants) / sizeof(instants[0]));
	tcase_add_test(tc, zones);
	tcase_add_loop_test(tc, for_people, 0, sizeof(people) / sizeof(people[0]));
	tcase_add_test(tc, money);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
