/* format.c: how grantctl shows values (won, instants in the programme's zone, units) and parses option values. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "grantctl.h"
#include "money.h"

json_t *
jpath(const json_t *obj, const char *path)
{
	char key[64];
	const char *dot;
	json_t *v = (json_t *)obj;

	while (v != NULL && *path) {
		size_t n;

		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = json_object_get(v, key);
		path += n + (dot != NULL);
	}
	return v;
}

const char *
jstr(const json_t *obj, const char *path)
{
	const char *s = json_string_value(jpath(obj, path));

	return s ? s : "";
}

const char *
fmt_krw(int64_t krw, char *buf, size_t n)
{
	char digits[32];

	/* "₩" is three bytes of UTF-8 and one column on a terminal. */
	if (money_format(krw, digits, sizeof(digits)) < 0)
		snprintf(digits, sizeof(digits), "%lld", (long long)krw);
	if (krw < 0)
		snprintf(buf, n, "-\u20a9%s", digits + 1);
	else
		snprintf(buf, n, "\u20a9%s", digits);
	return buf;
}

const char *
fmt_instant(struct ctl *c, const char *s, bool day_only, char *buf, size_t n)
{
	char text[CIVIL_HUMAN_LEN];
	int64_t t;

	if (civil_parse_instant(s, &t) != 0) {
		snprintf(buf, n, "%s", s);
		return buf;
	}
	zone_default(c);
	if (day_only)
		civil_format_date(civil_local_day(t, c->tz_off), text);
	else
		civil_format_human(t, c->tz_off, c->tz_label, text);
	snprintf(buf, n, "%s", text);
	return buf;
}

/*
 * A number as a reader wants it: the integer part grouped by thousands
 * (3,336,192 unit-hours), at most three decimals, trailing zeros dropped.
 */
static const char *
fmt_number(const json_t *v, char *buf, size_t n)
{
	char raw[64], grouped[64], *dot, *e;
	long long whole;

	if (json_is_integer(v)) {
		snprintf(raw, sizeof(raw), "%lld", (long long)json_integer_value(v));
	} else {
		snprintf(raw, sizeof(raw), "%.3f", json_real_value(v));
		for (e = raw + strlen(raw) - 1; *e == '0'; e--)
			*e = '\0';
		if (*e == '.')
			*e = '\0';
		if (strcmp(raw, "-0") == 0)
			snprintf(raw, sizeof(raw), "0");
	}
	dot = strchr(raw, '.');
	errno = 0;
	whole = strtoll(raw, NULL, 10);
	if (errno != 0 || money_format(whole, grouped, sizeof(grouped)) < 0) {
		snprintf(buf, n, "%s", raw);
		return buf;
	}
	/* "-0.5": strtoll() lost the sign of a negative fraction above -1. */
	snprintf(buf, n, "%s%s%s", raw[0] == '-' && whole == 0 ? "-" : "", grouped,
	    dot ? dot : "");
	return buf;
}

/* Strings of an array joined with ", "; other elements shown by their type. */
static const char *
fmt_array(const json_t *v, char *buf, size_t n)
{
	size_t i, o = 0;
	const json_t *x;

	buf[0] = '\0';
	json_array_foreach(v, i, x) {
		char num[32];
		const char *s = json_is_string(x) ? json_string_value(x) :
		    json_is_number(x) ? fmt_number(x, num, sizeof(num)) : "...";
		int w = snprintf(buf + o, n - o, "%s%s", i ? ", " : "", s);

		if (w < 0 || (size_t)w >= n - o)
			break;
		o += (size_t)w;
	}
	return o ? buf : "-";
}

/* A per cent figure, at most three decimals, trailing zeros dropped: "83.4 %". */
static const char *
fmt_percent(double pct, int decimals, char *buf, size_t n)
{
	char *e;

	snprintf(buf, n, "%.*f", decimals, pct);
	if (strchr(buf, '.') != NULL) {
		for (e = buf + strlen(buf) - 1; *e == '0'; e--)
			*e = '\0';
		if (*e == '.')
			*e = '\0';
	}
	if (strcmp(buf, "-0") == 0)
		snprintf(buf, n, "0");
	/* The space is the SI and Korean convention (KS X ISO 80000-1). */
	snprintf(buf + strlen(buf), n - strlen(buf), " %%");
	return buf;
}

const char *
fmt_value(struct ctl *c, const json_t *obj, const char *path, enum fmt f, char *buf,
    size_t n)
{
	const json_t *v = path ? jpath(obj, path) : obj;

	if (v == NULL || json_is_null(v))
		return "-";
	switch (f) {
	case F_KRW:
		if (json_is_integer(v))
			return fmt_krw(json_integer_value(v), buf, n);
		break;
	case F_TIME:
	case F_DAY:
		if (json_is_string(v))
			return fmt_instant(c, json_string_value(v), f == F_DAY, buf, n);
		break;
	case F_COUNT:
		if (json_is_array(v)) {
			snprintf(buf, n, "%zu", json_array_size(v));
			return buf;
		}
		break;
	case F_PCT:
		if (json_is_number(v))
			return fmt_percent(json_number_value(v), 3, buf, n);
		break;
	case F_RATIO:
		/* Ratios come with six decimals: a tenth of a per cent is what a reader uses. */
		if (json_is_number(v))
			return fmt_percent(json_number_value(v) * 100, 1, buf, n);
		break;
	case F_BOOL:
		if (json_is_boolean(v))
			return json_is_true(v) ? "yes" : "no";
		break;
	case F_STR:
	case F_INT:
	case F_NUM:
		break;
	}
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_number(v))
		return fmt_number(v, buf, n);
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	if (json_is_array(v))
		return fmt_array(v, buf, n);
	return "...";
}

const char *
fmt_delay(struct ctl *c, const json_t *d, char *buf, size_t n)
{
	const json_t *fc = json_object_get(d, "free_cards");
	json_int_t k = json_integer_value(fc);
	char cards[48], when[64], until[80] = "";

	if (!json_is_integer(fc))
		snprintf(cards, sizeof(cards), "too few free cards");
	else if (k == 0)
		snprintf(cards, sizeof(cards), "no free cards");
	else
		snprintf(cards, sizeof(cards), "only %lld free card%s", (long long)k,
		    k == 1 ? "" : "s");
	if (*jstr(d, "until"))
		snprintf(until, sizeof(until), " until %s", fmt_value(c, d, "until", F_TIME,
		    when, sizeof(when)));
	snprintf(buf, n, "pool %.64s has %s%s", *jstr(d, "pool") ? jstr(d, "pool") : "?", cards,
	    until);
	return buf;
}

static enum align
align_of(enum fmt f)
{
	return f == F_INT || f == F_NUM || f == F_KRW || f == F_COUNT || f == F_PCT ||
	    f == F_RATIO ? AL_RIGHT : AL_LEFT;
}

void
print_rows(struct ctl *c, const json_t *arr, const struct col *cols, size_t ncols)
{
	struct table *t = table_new(true);
	const json_t *o;
	char buf[512];
	size_t i;

	for (size_t k = 0; k < ncols; k++)
		table_col(t, cols[k].title, align_of(cols[k].fmt));
	json_array_foreach(arr, i, o) {
		table_row(t);
		for (size_t k = 0; k < ncols; k++)
			table_cell(t, fmt_value(c, o, cols[k].path, cols[k].fmt, buf, sizeof(buf)));
	}
	table_print(t, c->out);
	table_free(t);
}

void
print_list(struct ctl *c, const json_t *reply, const struct col *cols, size_t ncols)
{
	const json_t *items = json_object_get(reply, "items");
	const char *next = json_string_value(json_object_get(reply, "next"));

	if (json_array_size(items) == 0) {
		fprintf(stderr, "(none)\n");
		return;
	}
	print_rows(c, items, cols, ncols);
	if (next != NULL)
		fprintf(stderr, "grantctl: more rows: repeat with --after '%s'\n", next);
}

struct table *
kv_new(void)
{
	struct table *t = table_new(false);

	table_col(t, "", AL_LEFT);
	table_col(t, "", AL_LEFT);
	return t;
}

void
kv_add(struct table *t, const char *title, const char *value)
{
	char buf[80];

	snprintf(buf, sizeof(buf), "%s:", title);
	table_row(t);
	table_cell(t, buf);
	table_cell(t, value);
}

void
kv_fields(struct ctl *c, struct table *t, const json_t *obj, const struct col *cols,
    size_t ncols)
{
	char buf[512];

	for (size_t k = 0; k < ncols; k++) {
		/* Optional fields that are absent are left out rather than shown as "-". */
		if (jpath(obj, cols[k].path) == NULL)
			continue;
		kv_add(t, cols[k].title, fmt_value(c, obj, cols[k].path, cols[k].fmt, buf,
		    sizeof(buf)));
	}
}

void
print_fields(struct ctl *c, const json_t *obj, const struct col *cols, size_t ncols)
{
	struct table *t = kv_new();

	kv_fields(c, t, obj, cols, ncols);
	table_print(t, c->out);
	table_free(t);
}

void
print_scalars(struct ctl *c, const json_t *obj)
{
	struct table *t = kv_new();
	const char *key;
	const json_t *v;
	char buf[512];
	int64_t when;

	json_object_foreach((json_t *)obj, key, v) {
		enum fmt f = F_STR;
		size_t kl = strlen(key);

		if (json_is_object(v) || (json_is_array(v) && json_array_size(v) > 0 &&
		    !json_is_string(json_array_get(v, 0))))
			continue;
		if (kl > 4 && strcmp(key + kl - 4, "_krw") == 0)
			f = F_KRW;
		else if (json_is_string(v) && civil_parse_instant(json_string_value(v), &when) == 0)
			f = F_TIME;
		kv_add(t, key, fmt_value(c, v, NULL, f, buf, sizeof(buf)));
	}
	table_print(t, c->out);
	table_free(t);
}

void
zone_set(struct ctl *c, const char *name, int32_t off)
{
	snprintf(c->tz_name, sizeof(c->tz_name), "%s", name);
	c->tz_off = off;
	civil_tz_label(name, off, c->tz_label);
}

void
zone_default(struct ctl *c)
{
	const json_t *items, *p;
	const char *tz = NULL;
	struct reply r;
	char *path;
	int32_t off;
	size_t i;

	if (c->tz_fixed || c->tz_known)
		return;
	c->tz_known = true;
	zone_set(c, "UTC", 0);
	/*
	 * Most servers run one programme, or several in one country: their one
	 * zone is the reader's.  Programmes in different zones leave UTC.
	 */
	path = path_fmt("/v1/programs?limit=100");
	if (api_quiet(c, "GET", path, &r) == 0 && !json_is_string(json_object_get(r.json,
	    "next"))) {
		items = json_object_get(r.json, "items");
		json_array_foreach(items, i, p) {
			const char *z = jstr(p, "timezone");

			if (tz != NULL && strcmp(tz, z) != 0) {
				tz = NULL;
				break;
			}
			tz = z;
		}
		if (tz != NULL && civil_tz_offset(tz, &off) == 0)
			zone_set(c, tz, off);
	}
	reply_free(&r);
	free(path);
}

void
zone_for_phase(struct ctl *c, const char *phase)
{
	struct reply r;
	char *path;
	int32_t off;
	bool found = false;

	if (c->tz_fixed || c->tz_known || phase == NULL || *phase == '\0')
		return;
	path = path_fmt("/v1/phases/%s", phase);
	if (api_quiet(c, "GET", path, &r) == 0 && *jstr(r.json, "program")) {
		free(path);
		path = path_fmt("/v1/programs/%s", jstr(r.json, "program"));
		reply_free(&r);
		if (api_quiet(c, "GET", path, &r) == 0 &&
		    civil_tz_offset(jstr(r.json, "timezone"), &off) == 0) {
			zone_set(c, jstr(r.json, "timezone"), off);
			c->tz_known = found = true;
		}
	}
	reply_free(&r);
	free(path);
	if (!found)
		zone_default(c);
}

void
zone_from(struct ctl *c, const json_t *obj)
{
	const json_t *items = json_object_get(obj, "items");
	int32_t off;

	/* A reply that names its zone (a programme, a fairness report) settles it at once. */
	if (!c->tz_fixed && !c->tz_known && civil_tz_offset(jstr(obj, "timezone"), &off) == 0) {
		zone_set(c, jstr(obj, "timezone"), off);
		c->tz_known = true;
	} else if (json_is_string(json_object_get(obj, "phase")))
		zone_for_phase(c, jstr(obj, "phase"));
	else if (json_is_array(items) && json_array_size(items) > 0)
		zone_for_phase(c, jstr(json_array_get(items, 0), "phase"));
}

int
instant_arg(struct ctl *c, const char *s, char *buf, size_t n)
{
	int64_t t, days;

	if (civil_parse_instant(s, &t) == 0) {
		snprintf(buf, n, "%s", s);
		return 0;
	}
	if (civil_parse_date(s, &days) != 0 || n < CIVIL_INSTANT_LEN)
		return -1;
	zone_default(c);
	civil_format_instant(civil_local_midnight(days, c->tz_off), buf);
	return 0;
}

int
int_arg(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
	char digits[32];
	size_t o = 0;
	long long v;
	char *end;

	/* Digits, optionally grouped: 10000000000, 10,000,000,000 or 10_000_000_000. */
	for (const char *p = s; *p; p++) {
		if ((*p == ',' || *p == '_') && p != s && p[1] >= '0' && p[1] <= '9' &&
		    p[-1] >= '0' && p[-1] <= '9')
			continue;
		if (*p < '0' || *p > '9' || o + 1 >= sizeof(digits))
			return -1;
		digits[o++] = *p;
	}
	if (o == 0)
		return -1;
	digits[o] = '\0';
	errno = 0;
	v = strtoll(digits, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/*
 * The common shapes of a command.  Each takes path (malloc'd, freed here)
 * and a body (stolen, may be NULL), sends it, and prints the reply: the
 * server's JSON with --json, else a table of "items" or "title: value" lines.
 */
int
run_list_fix(struct ctl *c, char *path, const struct col *cols, size_t ncols,
    void (*fix)(json_t *item))
{
	struct reply r;
	json_t *item;
	size_t i;
	int rc;

	path_query(&path, "limit", c->opt[O_LIMIT]);
	path_query(&path, "after", c->opt[O_AFTER]);
	rc = api(c, "GET", path, NULL, &r);
	free(path);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		if (fix != NULL)
			json_array_foreach(json_object_get(r.json, "items"), i, item)
				fix(item);
		zone_from(c, r.json);
		print_list(c, r.json, cols, ncols);
	}
	reply_free(&r);
	return rc;
}

int
run_list(struct ctl *c, char *path, const struct col *cols, size_t ncols)
{
	return run_list_fix(c, path, cols, ncols, NULL);
}

int
run_show(struct ctl *c, const char *method, char *path, json_t *body, const struct col *cols,
    size_t ncols)
{
	struct reply r;
	int rc;

	rc = api(c, method, path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		zone_from(c, r.json);
		print_fields(c, r.json, cols, ncols);
	}
	reply_free(&r);
	return rc;
}

json_t *
override_json(const struct ctl *c)
{
	return c->opt[O_OVERRIDE] ? json_pack("{s:s}", "reason", c->opt[O_OVERRIDE]) : NULL;
}

/* Sets key to value in obj when value is non-NULL. */
void
jset_str(json_t *obj, const char *key, const char *value)
{
	if (value != NULL)
		json_object_set_new(obj, key, json_string(value));
}
