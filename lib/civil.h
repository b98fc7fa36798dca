/* civil.h: calendar dates, UTC instants, fixed-offset zones and RFC 3339. */
#ifndef GRANTD_CIVIL_H
#define GRANTD_CIVIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An instant is int64_t seconds since 1970-01-01T00:00:00Z.  A day number
 * is int64_t days since 1970-01-01.  A date in a request is a calendar day
 * in the programme's zone and means 00:00 local time on that day.
 *
 * Years are limited to 0001..9999 so that every value round-trips through
 * the four-digit RFC 3339 form.
 */
#define CIVIL_MIN_YEAR 1
#define CIVIL_MAX_YEAR 9999
#define CIVIL_DAY 86400
#define CIVIL_HOUR 3600

/* Returned by the parsers: the input as a whole, strict. */
int64_t civil_days_from_ymd(int y, int m, int d);
void civil_ymd_from_days(int64_t days, int *y, int *m, int *d);
bool civil_valid_ymd(int y, int m, int d);

/* "YYYY-MM-DD" -> day number; 0 or GD_EINVAL. */
int civil_parse_date(const char *s, int64_t *days);

/*
 * RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" -> instant.  A
 * fraction is accepted and truncated toward the past (grantd keeps whole
 * seconds).  't' and 'z' are accepted in lower case as RFC 3339 allows.
 */
int civil_parse_instant(const char *s, int64_t *t);

/* Formats into buf (at least CIVIL_INSTANT_LEN bytes): "YYYY-MM-DDTHH:MM:SSZ". */
#define CIVIL_INSTANT_LEN 21
void civil_format_instant(int64_t t, char *buf);

/* Formats a day number: "YYYY-MM-DD" (CIVIL_DATE_LEN bytes with NUL). */
#define CIVIL_DATE_LEN 11
void civil_format_date(int64_t days, char *buf);

/*
 * Time zones.  lib/ has no access to tzdata, so grantd supports zones with a
 * fixed offset: a table of IANA names without daylight saving time (Asia/Seoul,
 * UTC, ...) and literal offsets "+09:00".  A programme in a zone with DST is
 * refused rather than computed wrongly.
 */
int civil_tz_offset(const char *name, int32_t *offset_seconds);

/*
 * A zone as people read it (CIVIL_TZ_LABEL_LEN bytes): tzdata's abbreviation
 * where it names one zone only ("KST" for Asia/Seoul), "UTC" for offset 0,
 * else the offset ("UTC+05:45").
 */
#define CIVIL_TZ_LABEL_LEN 12
void civil_tz_label(const char *name, int32_t off, char *buf);

/* t as local time with its offset: "YYYY-MM-DDTHH:MM:SS+09:00" (CIVIL_LOCAL_LEN). */
#define CIVIL_LOCAL_LEN 26
void civil_format_local(int64_t t, int32_t off, char *buf);

/*
 * t for a person: "2026-03-01 09:00 KST" (seconds only when not zero), with
 * a label from civil_tz_label; CIVIL_HUMAN_LEN bytes.
 */
#define CIVIL_HUMAN_LEN 36
void civil_format_human(int64_t t, int32_t off, const char *label, char *buf);

/* The same, labelled for the zone `name` of offset `off` (civil_tz_label). */
void civil_format_zoned(int64_t t, const char *name, int32_t off, char *buf);

/*
 * A zone as a detail for people names it: its offset and label.  lib/
 * functions that write such details take one, since they cannot know the
 * programme's zone themselves.
 */
struct civil_zone {
	int32_t off;
	char label[CIVIL_TZ_LABEL_LEN];
};

/* The zone `name` of offset `off`, labelled by civil_tz_label. */
void civil_zone_of(const char *name, int32_t off, struct civil_zone *z);

/*
 * t for a person with the UTC instant beside it, so that no reader has to
 * know the zone: "2026-12-08 00:00 KST (2026-12-07T15:00:00Z)"; CIVIL_WHEN_LEN
 * bytes.
 */
#define CIVIL_WHEN_LEN (CIVIL_HUMAN_LEN + CIVIL_INSTANT_LEN + 3)
void civil_format_when(int64_t t, const struct civil_zone *z, char *buf);

/* 00:00 local on day `days` in a zone of offset `off` -> UTC instant. */
static inline int64_t
civil_local_midnight(int64_t days, int32_t off)
{
	return days * CIVIL_DAY - off;
}

/* The local calendar day containing instant t. */
static inline int64_t
civil_local_day(int64_t t, int32_t off)
{
	int64_t s = t + off;

	return s >= 0 ? s / CIVIL_DAY : -((-s + CIVIL_DAY - 1) / CIVIL_DAY);
}

/* Bounds of representable instants: 0001-01-01 and 9999-12-31T23:59:59Z. */
int64_t civil_min_instant(void);
int64_t civil_max_instant(void);

#endif
