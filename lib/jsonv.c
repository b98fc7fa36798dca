/* jsonv.c: table-driven validation of request objects. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "money.h"

bool
jv_valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

bool
jv_valid_model(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || c != '-'))
			return false;
	}
	return true;
}

/* A host name as agents give it: letters of either case, digits, '.', '_' and '-'. */
bool
jv_valid_node(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* jansson has already refused invalid UTF-8; only control characters remain. */
bool
jv_valid_text(const char *s, size_t maxlen, bool allow_ws)
{
	size_t n = strlen(s);

	if (n < 1 || n > maxlen)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f) {
			if (!(allow_ws && (c == '\n' || c == '\t')))
				return false;
		}
	}
	/* Only whitespace is as good as nothing for a name or a reason. */
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\n' && s[i] != '\t')
			return true;
	return false;
}

json_t *
jv_milli(int64_t milli)
{
	if (milli % 1000 == 0)
		return json_integer(milli / 1000);
	return json_real((double)milli / 1000.0);
}

json_t *
jv_unit_hours(int64_t mus)
{
	return json_real(round((double)mus / 3600.0) / 1000.0);
}

json_t *
jv_ratio(int64_t ppm)
{
	return json_real((double)ppm / 1e6);
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static int
decode_one(const json_t *v, const struct jv_field *f, const char *where, char *err,
    size_t errlen)
{
	const char *s;
	int64_t i;
	double d;

#define FAIL(...) do { snprintf(err, errlen, __VA_ARGS__); return GD_EINVAL; } while (0)
	switch (f->type) {
	case JV_STR:
	case JV_TEXT:
	case JV_ID:
	case JV_MODEL:
	case JV_NODE:
	case JV_DATE:
	case JV_INSTANT:
		if (!json_is_string(v))
			FAIL("%s%s must be a string, got %s", where, f->name, type_name(v));
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v))
			FAIL("%s%s must not contain NUL characters", where, f->name);
		break;
	default:
		s = NULL;
		break;
	}
	switch (f->type) {
	case JV_STR:
	case JV_TEXT:
		if (!jv_valid_text(s, (size_t)f->max, f->type == JV_TEXT))
			FAIL("%s%s must be 1 to %lld bytes of text without control characters",
			    where, f->name, (long long)f->max);
		*(const char **)f->out = s;
		break;
	case JV_ID:
		if (!jv_valid_id(s))
			FAIL("%s%s must match [a-z0-9][a-z0-9-]{0,62}", where, f->name);
		*(const char **)f->out = s;
		break;
	case JV_MODEL:
		if (!jv_valid_model(s))
			FAIL("%s%s must match [A-Za-z0-9][A-Za-z0-9-]{0,62}", where, f->name);
		*(const char **)f->out = s;
		break;
	case JV_NODE:
		if (!jv_valid_node(s))
			FAIL("%s%s must match [A-Za-z0-9][A-Za-z0-9._-]{0,62}", where, f->name);
		*(const char **)f->out = s;
		break;
	case JV_DATE:
		if (civil_parse_date(s, &i) < 0)
			FAIL("%s%s must be a calendar date YYYY-MM-DD between 0001 and 9999, got \"%.40s\"",
			    where, f->name, s);
		*(int64_t *)f->out = i;
		break;
	case JV_INSTANT:
		if (civil_parse_instant(s, &i) < 0)
			FAIL("%s%s must be an RFC 3339 instant such as 2026-03-01T00:00:00Z, got \"%.40s\"",
			    where, f->name, s);
		*(int64_t *)f->out = i;
		break;
	case JV_INT:
		if (json_is_real(v) && (f->flags & JV_WHOLE)) {
			/* Whole and within 2^53, where every integer is exact in a double. */
			d = json_real_value(v);
			if (d != floor(d) || fabs(d) > 9007199254740992.0)
				FAIL("%s%s must be an integer, got a number with a fraction or "
				    "beyond 2^53", where, f->name);
			i = (int64_t)d;
		} else if (json_is_integer(v)) {
			i = json_integer_value(v);
		} else {
			FAIL("%s%s must be an integer, got %s", where, f->name, type_name(v));
		}
		if (i < f->min || i > f->max)
			FAIL("%s%s must be between %lld and %lld, got %lld", where, f->name,
			    (long long)f->min, (long long)f->max, (long long)i);
		*(int64_t *)f->out = i;
		break;
	case JV_MONEY:
		if (!json_is_integer(v))
			FAIL("%s%s must be an integer number of KRW, got %s", where, f->name,
			    type_name(v));
		i = json_integer_value(v);
		if (!money_valid_amount(i))
			FAIL("%s%s must be between 1 and 10000000000000 KRW, got %lld", where,
			    f->name, (long long)i);
		*(int64_t *)f->out = i;
		break;
	case JV_BOOL:
		if (!json_is_boolean(v))
			FAIL("%s%s must be true or false, got %s", where, f->name, type_name(v));
		*(bool *)f->out = json_is_true(v);
		break;
	case JV_MILLI:
		if (!json_is_number(v))
			FAIL("%s%s must be a number, got %s", where, f->name, type_name(v));
		d = json_number_value(v) * 1000.0;
		/* Reals arrive as binary fractions: 0.001 * 1000 is not exactly 1. */
		if (!(d >= 1.0 - 1e-6) || d > (double)f->max * 1000.0 || fabs(d - round(d)) > 1e-6)
			FAIL("%s%s must be a number above 0 and at most %lld with at most 3 decimals",
			    where, f->name, (long long)f->max);
		*(int64_t *)f->out = (int64_t)llround(d);
		break;
	case JV_OBJECT:
		if (!json_is_object(v))
			FAIL("%s%s must be an object, got %s", where, f->name, type_name(v));
		*(json_t **)f->out = (json_t *)v;
		break;
	case JV_ARRAY:
		if (!json_is_array(v))
			FAIL("%s%s must be an array, got %s", where, f->name, type_name(v));
		if ((int64_t)json_array_size(v) > f->max)
			FAIL("%s%s must have at most %lld elements", where, f->name,
			    (long long)f->max);
		*(json_t **)f->out = (json_t *)v;
		break;
	}
#undef FAIL
	return 0;
}

int
jv_decode(const json_t *obj, const struct jv_field *fields, size_t nfields,
    const char *where, char *err, size_t errlen)
{
	const char *key;
	json_t *v;
	size_t i;
	int rc;

	if (where == NULL)
		where = "";
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; i < nfields; i++)
			if (strcmp(fields[i].name, key) == 0)
				break;
		if (i == nfields) {
			snprintf(err, errlen, "unknown field %s\"%.64s\"", where, key);
			return GD_EINVAL;
		}
	}
	for (i = 0; i < nfields; i++) {
		v = json_object_get(obj, fields[i].name);
		if (fields[i].present)
			*fields[i].present = false;
		if (v == NULL || (json_is_null(v) && (fields[i].flags & JV_NULLABLE))) {
			if (fields[i].flags & JV_REQUIRED) {
				snprintf(err, errlen, "missing required field %s%s", where,
				    fields[i].name);
				return GD_EINVAL;
			}
			continue;
		}
		if ((rc = decode_one(v, &fields[i], where, err, errlen)) < 0)
			return rc;
		if (fields[i].present)
			*fields[i].present = true;
	}
	return 0;
}

json_t *
jv_instant(int64_t t)
{
	char buf[CIVIL_INSTANT_LEN];

	civil_format_instant(t, buf);
	return json_string(buf);
}
