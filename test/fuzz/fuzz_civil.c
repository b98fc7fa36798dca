/* fuzz_civil.c: libFuzzer target for dates, instants and zones (lib/civil.c). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input is one string as a request would carry it (cut at 127 bytes and
 * at a NUL, as json_string_value hands it over).  Every parser must refuse it
 * or give a value that formats back to the canonical text; the same bytes
 * read as numbers also drive the calendar arithmetic through its whole range.
 */
static void
check_date(const char *s)
{
	char buf[CIVIL_DATE_LEN];
	int64_t days;
	int y, m, d;

	if (civil_parse_date(s, &days) != 0)
		return;
	/* The form is strict, so the canonical text is the input itself. */
	civil_format_date(days, buf);
	FUZZ_CHECK(strcmp(buf, s) == 0, "date \"%s\" formats back as \"%s\"", s, buf);
	civil_ymd_from_days(days, &y, &m, &d);
	FUZZ_CHECK(civil_valid_ymd(y, m, d), "date \"%s\" gives %d-%d-%d", s, y, m, d);
	FUZZ_CHECK(civil_days_from_ymd(y, m, d) == days, "date \"%s\" does not round-trip", s);
	FUZZ_CHECK(days * CIVIL_DAY >= civil_min_instant() &&
	    days * CIVIL_DAY <= civil_max_instant(), "date \"%s\" out of range", s);
}

static void
check_instant(const char *s)
{
	char buf[CIVIL_INSTANT_LEN];
	int64_t t, t2, days;
	int rc;

	rc = civil_parse_instant(s, &t);
	FUZZ_CHECK(rc == 0 || rc == GD_EINVAL || rc == GD_ERANGE, "instant rc %d", rc);
	if (rc != 0)
		return;
	FUZZ_CHECK(t >= civil_min_instant() && t <= civil_max_instant(),
	    "instant \"%s\" is %lld, out of range", s, (long long)t);
	civil_format_instant(t, buf);
	FUZZ_CHECK(civil_parse_instant(buf, &t2) == 0 && t2 == t,
	    "instant \"%s\" formats as \"%s\", which does not parse back", s, buf);
	/* An instant already in canonical form (Z, no fraction) is its own format. */
	if (strlen(s) == 20 && s[10] == 'T' && s[19] == 'Z')
		FUZZ_CHECK(strcmp(buf, s) == 0, "instant \"%s\" formats as \"%s\"", s, buf);
	/* Its date part, when in range, is a valid date on its own. */
	char date[CIVIL_DATE_LEN];

	memcpy(date, s, 10);
	date[10] = '\0';
	FUZZ_CHECK(civil_parse_date(date, &days) == 0, "instant \"%s\" has a bad date", s);
}

static void
check_zone(const char *s)
{
	int32_t off;

	if (civil_tz_offset(s, &off) != 0)
		return;
	FUZZ_CHECK(off >= -(14 * 3600 + 59 * 60) && off <= 14 * 3600 + 59 * 60,
	    "zone \"%s\" has offset %d", s, (int)off);
	FUZZ_CHECK(off % 60 == 0, "zone \"%s\" has offset %d", s, (int)off);
}

/* The arithmetic over the allowed range, from a number in the input. */
static void
check_numbers(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	int64_t lo = civil_min_instant(), hi = civil_max_instant();
	uint64_t span = (uint64_t)(hi - lo) + 1;
	int64_t t = lo + (int64_t)(fuzz_u64(&in) % span), t2, day;
	int32_t off = (int32_t)((int64_t)fuzz_u32(&in) % (2 * 86400) - 86400);
	char buf[CIVIL_INSTANT_LEN];
	int y, m, d;

	civil_format_instant(t, buf);
	FUZZ_CHECK(strlen(buf) == CIVIL_INSTANT_LEN - 1, "format of %lld: \"%s\"", (long long)t, buf);
	FUZZ_CHECK(civil_parse_instant(buf, &t2) == 0 && t2 == t,
	    "%lld formats as \"%s\", which parses as %lld", (long long)t, buf, (long long)t2);

	day = civil_local_day(t, off);
	FUZZ_CHECK(civil_local_midnight(day, off) <= t &&
	    t < civil_local_midnight(day + 1, off),
	    "instant %lld is not in its local day %lld (offset %d)", (long long)t,
	    (long long)day, (int)off);
	civil_ymd_from_days(day, &y, &m, &d);
	FUZZ_CHECK(civil_days_from_ymd(y, m, d) == day, "day %lld does not round-trip",
	    (long long)day);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[128];
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';
	check_date(s);
	check_instant(s);
	check_zone(s);
	check_numbers(data, size);
	return 0;
}
