/* civil.c: proleptic Gregorian calendar arithmetic and RFC 3339 text. */
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "err.h"

/*
 * Day-number conversions after Howard Hinnant's "chrono-Compatible Low-Level
 * Date Algorithms": eras of 400 years make the leap rules a matter of
 * integer division, valid for every year we allow.
 */
int64_t
civil_days_from_ymd(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void
civil_ymd_from_days(int64_t days, int *y, int *m, int *d)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t mm = mp < 10 ? mp + 3 : mp - 9;

	*y = (int)(yoe + era * 400 + (mm <= 2));
	*m = (int)mm;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : mdays[m - 1];
}

bool
civil_valid_ymd(int y, int m, int d)
{
	if (y < CIVIL_MIN_YEAR || y > CIVIL_MAX_YEAR || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days_in_month(y, m);
}

/* Reads exactly n decimal digits. */
static bool
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

static bool
parse_ymd(const char *s, int *y, int *m, int *d)
{
	return digits(s, 4, y) && s[4] == '-' && digits(s + 5, 2, m) &&
	    s[7] == '-' && digits(s + 8, 2, d) && civil_valid_ymd(*y, *m, *d);
}

int
civil_parse_date(const char *s, int64_t *days)
{
	int y, m, d;

	if (strlen(s) != 10 || !parse_ymd(s, &y, &m, &d))
		return GD_EINVAL;
	*days = civil_days_from_ymd(y, m, d);
	return 0;
}

int
civil_parse_instant(const char *s, int64_t *t)
{
	int y, mo, d, h, mi, sec, oh, om;
	int64_t v;
	int32_t off = 0;
	const char *p;

	if (strlen(s) < 20 || !parse_ymd(s, &y, &mo, &d))
		return GD_EINVAL;
	if ((s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
	    s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return GD_EINVAL;
	/* Leap seconds are not representable in an int64 POSIX count. */
	if (h > 23 || mi > 59 || sec > 59)
		return GD_EINVAL;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return GD_EINVAL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    digits(p + 1, 2, &oh) && p[3] == ':' && digits(p + 4, 2, &om)) {
		if (oh > 23 || om > 59)
			return GD_EINVAL;
		off = (oh * 60 + om) * 60;
		if (*p == '-')
			off = -off;
	} else {
		return GD_EINVAL;
	}
	v = civil_days_from_ymd(y, mo, d) * CIVIL_DAY + h * 3600 + mi * 60 + sec - off;
	if (v < civil_min_instant() || v > civil_max_instant())
		return GD_ERANGE;
	*t = v;
	return 0;
}

/* Writes v as exactly n digits; callers keep v in range. */
static char *
put_digits(char *p, int v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

static char *
put_ymd(char *p, int64_t days)
{
	int y, m, d;

	civil_ymd_from_days(days, &y, &m, &d);
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, m, 2);
	*p++ = '-';
	return put_digits(p, d, 2);
}

void
civil_format_date(int64_t days, char *buf)
{
	*put_ymd(buf, days) = '\0';
}

void
civil_format_instant(int64_t t, char *buf)
{
	int64_t days = t >= 0 ? t / CIVIL_DAY : -((-t + CIVIL_DAY - 1) / CIVIL_DAY);
	int rem = (int)(t - days * CIVIL_DAY);
	char *p = put_ymd(buf, days);

	*p++ = 'T';
	p = put_digits(p, rem / 3600, 2);
	*p++ = ':';
	p = put_digits(p, rem / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, rem % 60, 2);
	*p++ = 'Z';
	*p = '\0';
}

int64_t
civil_min_instant(void)
{
	return civil_days_from_ymd(CIVIL_MIN_YEAR, 1, 1) * CIVIL_DAY;
}

int64_t
civil_max_instant(void)
{
	return civil_days_from_ymd(CIVIL_MAX_YEAR, 12, 31) * CIVIL_DAY + CIVIL_DAY - 1;
}

/* IANA zones that have kept one offset and no daylight saving since 1990. */
static const struct {
	const char *name;
	int32_t off;
} fixed_zones[] = {
	{ "UTC", 0 },
	{ "Etc/UTC", 0 },
	{ "Asia/Seoul", 9 * 3600 },
	{ "Asia/Tokyo", 9 * 3600 },
	{ "Asia/Shanghai", 8 * 3600 },
	{ "Asia/Singapore", 8 * 3600 },
	{ "Asia/Taipei", 8 * 3600 },
	{ "Asia/Hong_Kong", 8 * 3600 },
	{ "Asia/Kolkata", 5 * 3600 + 1800 },
	{ "Asia/Dubai", 4 * 3600 },
	{ "Asia/Bangkok", 7 * 3600 },
	{ "Asia/Jakarta", 7 * 3600 },
	{ "Asia/Ho_Chi_Minh", 7 * 3600 },
	{ "Asia/Manila", 8 * 3600 },
	{ "Asia/Kuala_Lumpur", 8 * 3600 },
	{ "Asia/Kathmandu", 5 * 3600 + 2700 },
	{ "Asia/Riyadh", 3 * 3600 },
	{ "Africa/Nairobi", 3 * 3600 },
	{ "America/Phoenix", -7 * 3600 },
	{ "Pacific/Honolulu", -10 * 3600 },
	{ "Etc/GMT", 0 },
	{ "GMT", 0 },
};

int
civil_tz_offset(const char *name, int32_t *offset_seconds)
{
	size_t n;
	int oh, om;

	for (size_t i = 0; i < sizeof(fixed_zones) / sizeof(fixed_zones[0]); i++) {
		if (strcmp(name, fixed_zones[i].name) == 0) {
			*offset_seconds = fixed_zones[i].off;
			return 0;
		}
	}
	/* Etc/GMT-9 is UTC+9: POSIX signs, inverted. */
	if (strncmp(name, "Etc/GMT", 7) == 0 && (name[7] == '+' || name[7] == '-') &&
	    (n = strlen(name + 8)) >= 1 && n <= 2 && digits(name + 8, (int)n, &oh) &&
	    (n == 1 || name[8] != '0') && oh <= (name[7] == '-' ? 14 : 12)) {
		*offset_seconds = oh * 3600 * (name[7] == '-' ? 1 : -1);
		return 0;
	}
	if ((name[0] == '+' || name[0] == '-') && strlen(name) == 6 &&
	    digits(name + 1, 2, &oh) && name[3] == ':' && digits(name + 4, 2, &om) &&
	    oh <= 14 && om <= 59) {
		*offset_seconds = (oh * 3600 + om * 60) * (name[0] == '-' ? -1 : 1);
		return 0;
	}
	return GD_EINVAL;
}

/* Abbreviations that name one zone only, for the zones of fixed_zones. */
static const struct {
	const char *name, *label;
} zone_labels[] = {
	{ "Asia/Seoul", "KST" }, { "Asia/Tokyo", "JST" }, { "Asia/Hong_Kong", "HKT" },
	{ "Asia/Kolkata", "IST" }, { "Asia/Jakarta", "WIB" }, { "Africa/Nairobi", "EAT" },
	{ "America/Phoenix", "MST" }, { "Pacific/Honolulu", "HST" },
};

/* "+HH:MM" or "-HH:MM" of an offset; returns the end of what it wrote. */
static char *
put_offset(char *p, int32_t off)
{
	int32_t a = off < 0 ? -off : off;

	*p++ = off < 0 ? '-' : '+';
	p = put_digits(p, (int)(a / 3600), 2);
	*p++ = ':';
	p = put_digits(p, (int)(a / 60 % 60), 2);
	*p = '\0';
	return p;
}

void
civil_tz_label(const char *name, int32_t off, char *buf)
{
	for (size_t i = 0; name && i < sizeof(zone_labels) / sizeof(zone_labels[0]); i++) {
		if (strcmp(name, zone_labels[i].name) == 0) {
			strcpy(buf, zone_labels[i].label);
			return;
		}
	}
	strcpy(buf, "UTC");
	if (off != 0)
		put_offset(buf + 3, off);
}

void
civil_format_local(int64_t t, int32_t off, char *buf)
{
	civil_format_instant(t + off, buf);
	put_offset(buf + 19, off);
}

void
civil_format_human(int64_t t, int32_t off, const char *label, char *buf)
{
	char *p;

	civil_format_instant(t + off, buf);
	buf[10] = ' ';
	p = buf + (buf[17] == '0' && buf[18] == '0' ? 16 : 19);
	*p++ = ' ';
	snprintf(p, CIVIL_HUMAN_LEN - (size_t)(p - buf), "%s", label);
}

void
civil_format_zoned(int64_t t, const char *name, int32_t off, char *buf)
{
	char label[CIVIL_TZ_LABEL_LEN];

	civil_tz_label(name, off, label);
	civil_format_human(t, off, label, buf);
}

void
civil_zone_of(const char *name, int32_t off, struct civil_zone *z)
{
	z->off = off;
	civil_tz_label(name, off, z->label);
}

void
civil_format_when(int64_t t, const struct civil_zone *z, char *buf)
{
	char utc[CIVIL_INSTANT_LEN];
	size_t n;

	civil_format_human(t, z->off, z->label, buf);
	civil_format_instant(t, utc);
	n = strlen(buf);
	snprintf(buf + n, CIVIL_WHEN_LEN - n, " (%s)", utc);
}
