/* jsonv.h: strict decoding of JSON request objects into plain C values. */
#ifndef GRANTD_JSONV_H
#define GRANTD_JSONV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A request object is decoded against a table of fields.  Every key of the
 * object must be in the table (a typo is never ignored), every required
 * field must be present, and each value must have its type and range.  The
 * first problem is written to err naming the field, and nothing is written
 * to the outputs of later fields; callers treat outputs as valid only when
 * jv_decode returns 0.
 */
enum jv_type {
	JV_STR,		/* const char **: UTF-8 text, no control characters, 1..max bytes */
	JV_TEXT,	/* const char **: like JV_STR, but newlines and tabs allowed */
	JV_ID,		/* const char **: [a-z0-9][a-z0-9-]{0,62} */
	JV_MODEL,	/* const char **: a card model id, upper case allowed */
	JV_NODE,	/* const char **: a node (host name): [A-Za-z0-9][A-Za-z0-9._-]{0,62} */
	JV_INT,		/* int64_t *: an integer in [min, max] */
	JV_MONEY,	/* int64_t *: KRW, 0 < amount <= 10^13 (min/max unused) */
	JV_BOOL,	/* bool * */
	JV_DATE,	/* int64_t *: day number of a YYYY-MM-DD date */
	JV_INSTANT,	/* int64_t *: RFC 3339 instant, UTC seconds */
	JV_MILLI,	/* int64_t *: a positive number with at most 3 decimals, x1000, <= max */
	JV_OBJECT,	/* json_t ** (borrowed) */
	JV_ARRAY,	/* json_t ** (borrowed), at most max elements */
};

#define JV_REQUIRED 0x1
#define JV_NULLABLE 0x2		/* null is accepted and treated as absent */
#define JV_WHOLE 0x4		/* JV_INT: a number with no fraction (3600.0, 1e3) counts too */

struct jv_field {
	const char *name;
	enum jv_type type;
	unsigned flags;
	int64_t min, max;	/* JV_INT range; JV_STR/JV_TEXT/JV_ARRAY max length */
	void *out;
	bool *present;		/* optional: set when the field was given */
};

/* The number of entries of a field table. */
#define NFIELDS(f) (sizeof(f) / sizeof((f)[0]))

int jv_decode(const json_t *obj, const struct jv_field *fields, size_t nfields,
    const char *where, char *err, size_t errlen);

bool jv_valid_id(const char *s);
bool jv_valid_model(const char *s);
bool jv_valid_node(const char *s);

/* Checks text: valid for JV_STR (allow_ws false) or JV_TEXT (allow_ws true). */
bool jv_valid_text(const char *s, size_t maxlen, bool allow_ws);

/* An instant as JSON: the RFC 3339 UTC string ("2026-03-01T00:00:00Z"). */
json_t *jv_instant(int64_t t);

/* A milli-value (weight, units) as JSON: an integer when whole, else a real. */
json_t *jv_milli(int64_t milli);

/*
 * Unit-hours from milli-unit-seconds, rounded to three decimals for reading
 * (a real: 1.5, 0.001, 0.0); and a ratio from parts per million (a real).
 */
json_t *jv_unit_hours(int64_t mus);
json_t *jv_ratio(int64_t ppm);

#endif
