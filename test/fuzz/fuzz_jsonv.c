/* fuzz_jsonv.c: libFuzzer target for strict request decoding (lib/jsonv.c) with real routes' tables. */
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "fuzz.h"
#include "jsonv.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: one byte choosing a route, then the request body as the daemon's
 * req_json() parses it (json_loadb with JSON_REJECT_DUPLICATES, an object,
 * nested at most server.max_json_depth = 32), decoded with the route's own
 * field table and, where the route has them, its nested tables.
 *
 * The tables are copies of those in daemon/routes_*.c (named per table); a
 * route that changes its table should change its copy here.  Limits:
 * NAME_MAX_LEN 200, REASON_MAX_LEN 2000, MEMO_MAX_LEN 500, 10^6 cards.
 *
 * Oracle: on success every output satisfies its type's promise (jsonv.h)
 * and points into the parsed document; on failure the message is a
 * non-empty string that fits the buffer and is valid UTF-8, because the
 * daemon puts it verbatim into the problem's "detail" with json_pack(), which
 * refuses invalid UTF-8.
 */
#define NAME_MAX_LEN 200
#define REASON_MAX_LEN 2000
#define MEMO_MAX_LEN 500
#define MAX_DEPTH 32

struct table {
	const char *what;
	struct jv_field f[8];
	size_t n;
};

/* Output slots, shared by every table: a field writes to the slot of its index. */
static const char *s_out[8];
static int64_t i_out[8];
static bool b_out[8];
static json_t *j_out[8];
static bool present[8];

#define S(i) (void *)&s_out[i]
#define I(i) (void *)&i_out[i]
#define B(i) (void *)&b_out[i]
#define J(i) (void *)&j_out[i]

static struct table tables[] = {
	{ "routes_catalog.c program_create", {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, S(0), NULL },
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, S(1), NULL },
		{ "timezone", JV_STR, 0, 0, 64, S(2), NULL },
	}, 3 },
	{ "routes_catalog.c phase_create", {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, S(0), NULL },
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, S(1), NULL },
		{ "starts_on", JV_DATE, JV_REQUIRED, 0, 0, I(2), NULL },
		{ "period_days", JV_INT, JV_REQUIRED, 1, 3650, I(3), NULL },
		{ "evaluation_on", JV_DATE, JV_NULLABLE, 0, 0, I(4), &present[4] },
		{ "package", JV_OBJECT, JV_REQUIRED, 0, 0, J(5), NULL },
	}, 6 },
	{ "routes_catalog.c team_create", {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, S(0), NULL },
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, S(1), NULL },
		{ "lead_org", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, S(2), NULL },
		{ "members", JV_ARRAY, 0, 0, 200, J(3), NULL },
	}, 4 },
	{ "routes_catalog.c card_model_put", {
		{ "weight", JV_MILLI, JV_REQUIRED, 0, 1000, I(0), NULL },
	}, 1 },
	{ "routes_pools.c pool_create", {
		{ "id", JV_ID, JV_REQUIRED, 0, 0, S(0), NULL },
		{ "provider", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, S(1), NULL },
		{ "site", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, S(2), NULL },
		{ "card_model", JV_MODEL, JV_REQUIRED, 0, 0, S(3), NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, 1000000, I(4), NULL },
	}, 5 },
	{ "routes_pools.c outage_create", {
		{ "from", JV_INSTANT, JV_REQUIRED, 0, 0, I(0), NULL },
		{ "to", JV_INSTANT, JV_REQUIRED, 0, 0, I(1), NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, 1000000, I(2), NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, S(3), NULL },
	}, 4 },
	{ "routes_enroll.c enroll", {
		{ "team", JV_ID, JV_REQUIRED, 0, 0, S(0), NULL },
		{ "not_before", JV_DATE, JV_NULLABLE, 0, 0, I(1), &present[1] },
		{ "dry_run", JV_BOOL, JV_NULLABLE, 0, 0, B(2), NULL },
		{ "pools", JV_ARRAY, JV_NULLABLE, 0, 254, J(3), NULL },
		{ "grants", JV_ARRAY, JV_NULLABLE, 0, 64, J(4), NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, J(5), NULL },
	}, 6 },
	{ "routes_grants.c grant_create", {
		{ "enrollment", JV_OBJECT, JV_REQUIRED, 0, 0, J(0), NULL },
		{ "pool", JV_ID, JV_REQUIRED, 0, 0, S(1), NULL },
		{ "cards", JV_INT, JV_REQUIRED, 1, 1000000, I(2), NULL },
		{ "start", JV_INSTANT, JV_REQUIRED, 0, 0, I(3), NULL },
		{ "end", JV_INSTANT, JV_REQUIRED, 0, 0, I(4), NULL },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, J(5), NULL },
	}, 6 },
	{ "routes_vouchers.c hold_create", {
		{ "team", JV_ID, JV_REQUIRED, 0, 0, S(0), NULL },
		{ "phase", JV_ID, JV_REQUIRED, 0, 0, S(1), NULL },
		{ "supplier", JV_ID, JV_REQUIRED, 0, 0, S(2), NULL },
		{ "amount_krw", JV_MONEY, JV_REQUIRED, 0, 0, I(3), NULL },
		{ "memo", JV_TEXT, JV_NULLABLE, 0, MEMO_MAX_LEN, S(4), NULL },
		{ "expires_at", JV_INSTANT, JV_NULLABLE, 0, 0, I(5), &present[5] },
		{ "override", JV_OBJECT, JV_NULLABLE, 0, 0, J(6), NULL },
	}, 7 },
	{ "routes_vouchers.c hold_settle", {
		{ "amount_krw", JV_MONEY, JV_NULLABLE, 0, 0, I(0), NULL },
		{ "reason", JV_TEXT, JV_NULLABLE, 0, REASON_MAX_LEN, S(1), NULL },
	}, 2 },
	{ "routes_vouchers.c refund", {
		{ "amount_krw", JV_MONEY, JV_REQUIRED, 0, 0, I(0), NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, S(1), NULL },
	}, 2 },
	{ "routes_tokens.c token_post", {
		{ "name", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, S(0), NULL },
		{ "role", JV_STR, JV_REQUIRED, 0, 16, S(1), NULL },
		{ "team", JV_ID, JV_NULLABLE, 0, 0, S(2), NULL },
		{ "pool", JV_ID, JV_NULLABLE, 0, 0, S(3), NULL },
	}, 4 },
	{ "routes_enroll.c eliminate", {
		{ "effective_on", JV_DATE, JV_REQUIRED, 0, 0, I(0), NULL },
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, S(1), NULL },
	}, 2 },
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

/* Nested tables: routes_catalog.c package and members[i], routes_enroll.c grants[i], routes_grants.c enrollment, respond.c override. */
static const char *n_s[4];
static int64_t n_i[4];

static const struct jv_field package_f[] = {
	{ "card_model", JV_MODEL, JV_REQUIRED, 0, 0, &n_s[0], NULL },
	{ "cards", JV_INT, JV_REQUIRED, 1, 1000000, &n_i[1], NULL },
	{ "voucher_krw", JV_MONEY, JV_REQUIRED, 0, 0, &n_i[2], NULL },
};
static const struct jv_field member_f[] = {
	{ "org", JV_STR, JV_REQUIRED, 0, NAME_MAX_LEN, &n_s[0], NULL },
	{ "role", JV_STR, JV_REQUIRED, 0, 64, &n_s[1], NULL },
};
static const struct jv_field split_f[] = {
	{ "pool", JV_ID, JV_REQUIRED, 0, 0, &n_s[0], NULL },
	{ "cards", JV_INT, JV_REQUIRED, 1, 1000000, &n_i[1], NULL },
};
static const struct jv_field enrollment_f[] = {
	{ "phase", JV_ID, JV_REQUIRED, 0, 0, &n_s[0], NULL },
	{ "team", JV_ID, JV_REQUIRED, 0, 0, &n_s[1], NULL },
};
static const struct jv_field override_f[] = {
	{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, &n_s[0], NULL },
};
#define NF(f) (sizeof(f) / sizeof(f[0]))

static int
depth(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	int d = 0, c;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if ((c = depth(v)) > d)
				d = c;
		return d + 1;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((c = depth(v)) > d)
				d = c;
		return d + 1;
	}
	return 0;
}

static void
check_error(const char *err, size_t errlen, const char *what)
{
	size_t n = strnlen(err, errlen);

	FUZZ_CHECK(n > 0 && n < errlen, "%s: error message empty or unterminated", what);
#ifndef FUZZ_KNOWN_BUG_DETAIL_UTF8
	FUZZ_CHECK(fuzz_utf8_ok(err, n), "%s: error message is not UTF-8, so json_pack() "
	    "drops the problem body: \"%s\"", what, err);
#endif
	/* As the daemon does with it. */
	json_t *p = json_pack("{s:s}", "detail", err);

#ifndef FUZZ_KNOWN_BUG_DETAIL_UTF8
	FUZZ_CHECK(p != NULL, "%s: json_pack refuses the detail \"%s\"", what, err);
#endif
	json_decref(p);
}

/* Every output of a successful decode keeps its type's promise. */
static void
check_outputs(const json_t *obj, const struct jv_field *f, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(obj, f[i].name);
		bool absent = v == NULL || (json_is_null(v) && (f[i].flags & JV_NULLABLE));
		const char *s;
		int64_t x;
		char buf[CIVIL_INSTANT_LEN];

		FUZZ_CHECK(!absent || !(f[i].flags & JV_REQUIRED), "%s: %s required but absent",
		    what, f[i].name);
		if (f[i].present)
			FUZZ_CHECK(*f[i].present == !absent, "%s: %s present flag", what, f[i].name);
		if (absent)
			continue;
		switch (f[i].type) {
		case JV_STR:
		case JV_TEXT:
		case JV_ID:
		case JV_MODEL:
			s = *(const char **)f[i].out;
			FUZZ_CHECK(s == json_string_value(v), "%s: %s does not point into the document",
			    what, f[i].name);
			FUZZ_CHECK(strlen(s) == json_string_length(v), "%s: %s has a NUL", what,
			    f[i].name);
			if (f[i].type == JV_ID)
				FUZZ_CHECK(jv_valid_id(s) && strlen(s) <= 63, "%s: id \"%s\"", what, s);
			else if (f[i].type == JV_MODEL)
				FUZZ_CHECK(jv_valid_model(s) && strlen(s) <= 63, "%s: model \"%s\"", what, s);
			else {
				FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= (size_t)f[i].max,
				    "%s: %s length %zu", what, f[i].name, strlen(s));
				for (const unsigned char *p = (const unsigned char *)s; *p; p++)
					FUZZ_CHECK(*p >= 0x20 && *p != 0x7f ? 1 :
					    (f[i].type == JV_TEXT && (*p == '\n' || *p == '\t')),
					    "%s: %s has control character 0x%02x", what, f[i].name, *p);
				FUZZ_CHECK(strspn(s, " \t\n") < strlen(s), "%s: %s is only blanks",
				    what, f[i].name);
			}
			break;
		case JV_DATE:
			x = *(int64_t *)f[i].out;
			civil_format_date(x, buf);
			FUZZ_CHECK(strcmp(buf, json_string_value(v)) == 0, "%s: date %s read as %s",
			    what, json_string_value(v), buf);
			break;
		case JV_INSTANT:
			x = *(int64_t *)f[i].out;
			FUZZ_CHECK(x >= civil_min_instant() && x <= civil_max_instant(),
			    "%s: instant %s read as %lld", what, json_string_value(v), (long long)x);
			break;
		case JV_INT:
			x = *(int64_t *)f[i].out;
			FUZZ_CHECK(json_is_integer(v) && x == json_integer_value(v) && x >= f[i].min &&
			    x <= f[i].max, "%s: %s = %lld", what, f[i].name, (long long)x);
			break;
		case JV_MONEY:
			x = *(int64_t *)f[i].out;
			FUZZ_CHECK(json_is_integer(v) && x == json_integer_value(v) &&
			    money_valid_amount(x), "%s: %s = %lld", what, f[i].name, (long long)x);
			break;
		case JV_MILLI:
			x = *(int64_t *)f[i].out;
			FUZZ_CHECK(x >= 1 && x <= f[i].max * 1000, "%s: %s = %lld milli", what,
			    f[i].name, (long long)x);
			/* Whatever was sent, the value the API echoes is within 0.0005 of it. */
			FUZZ_CHECK(json_number_value(v) * 1000.0 - (double)x < 0.5 &&
			    (double)x - json_number_value(v) * 1000.0 < 0.5,
			    "%s: %s %.17g read as %lld milli", what, f[i].name, json_number_value(v),
			    (long long)x);
			break;
		case JV_BOOL:
			FUZZ_CHECK(json_is_boolean(v) && *(bool *)f[i].out == json_is_true(v),
			    "%s: %s", what, f[i].name);
			break;
		case JV_OBJECT:
			FUZZ_CHECK(json_is_object(v) && *(json_t **)f[i].out == v, "%s: %s", what,
			    f[i].name);
			break;
		case JV_ARRAY:
			FUZZ_CHECK(json_is_array(v) && *(json_t **)f[i].out == v &&
			    (int64_t)json_array_size(v) <= f[i].max, "%s: %s", what, f[i].name);
			break;
		}
	}
	/* And no key outside the table. */
	const char *k;
	json_t *v;

	json_object_foreach((json_t *)obj, k, v) {
		size_t i;

		for (i = 0; i < n && strcmp(f[i].name, k) != 0; i++)
			;
		FUZZ_CHECK(i < n, "%s: unknown key \"%s\" accepted", what, k);
	}
}

/* One decode with its checks; returns whether it succeeded. */
static bool
decode(const json_t *obj, const struct jv_field *f, size_t n, const char *where,
    const char *what)
{
	char err[GD_ERRBUF];

	memset(err, 0x55, sizeof(err));
	if (jv_decode(obj, f, n, where, err, sizeof(err)) != 0) {
		check_error(err, sizeof(err), what);
		return false;
	}
	check_outputs(obj, f, n, what);
	return true;
}

/* Each element of an array of objects against a nested table, as the routes do. */
static void
decode_each(const json_t *arr, const struct jv_field *f, size_t n, const char *name)
{
	char where[48];
	json_t *v;
	size_t i;

	if (arr == NULL)
		return;
	json_array_foreach(arr, i, v) {
		snprintf(where, sizeof(where), "%s[%zu].", name, i);
		if (!json_is_object(v) || !decode(v, f, n, where, name))
			return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table *t;
	json_error_t e;
	json_t *j;

	if (size < 1)
		return 0;
	t = &tables[data[0] % NTABLES];
	j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		/*
		 * respond.c req_json() puts jansson's message into the detail too,
		 * and jansson quotes the bytes "near" the error as they came.
		 */
#ifndef FUZZ_KNOWN_BUG_DETAIL_UTF8
		FUZZ_CHECK(fuzz_utf8_ok(e.text, strlen(e.text)), "jansson's error is not UTF-8, so "
		    "req_json's problem has no body: \"%s\"", e.text);
#endif
		return 0;
	}
	if (!json_is_object(j) || depth(j) > MAX_DEPTH)
		goto out;
	memset(s_out, 0, sizeof(s_out));
	memset(j_out, 0, sizeof(j_out));
	memset(present, 0, sizeof(present));
	if (!decode(j, t->f, t->n, NULL, t->what))
		goto out;

	if (t == &tables[1])
		decode(j_out[5], package_f, NF(package_f), "package.", "package");
	else if (t == &tables[2])
		decode_each(j_out[3], member_f, NF(member_f), "members");
	else if (t == &tables[6]) {
		decode_each(j_out[4], split_f, NF(split_f), "grants");
		if (j_out[5])
			decode(j_out[5], override_f, NF(override_f), "override.", "override");
	} else if (t == &tables[7]) {
		decode(j_out[0], enrollment_f, NF(enrollment_f), "enrollment.", "enrollment");
		if (j_out[5])
			decode(j_out[5], override_f, NF(override_f), "override.", "override");
	} else if (t == &tables[8] && j_out[6]) {
		decode(j_out[6], override_f, NF(override_f), "override.", "override");
	}
out:
	json_decref(j);
	return 0;
}
