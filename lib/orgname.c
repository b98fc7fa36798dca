/* orgname.c: organisation name keys (utf8proc), slugs and business registration numbers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "err.h"
#include "orgname.h"

#define MAP_OPTIONS (UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | \
	UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE | UTF8PROC_STRIPCC | \
	UTF8PROC_LUMP)

static bool
is_space(utf8proc_int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);

	return c == ' ' || k == UTF8PROC_CATEGORY_ZS || k == UTF8PROC_CATEGORY_ZL ||
	    k == UTF8PROC_CATEGORY_ZP;
}

/*
 * Case folding can leave a string that is not NFKC (a folded letter may
 * compose with a following mark), so the map runs twice: the second pass
 * changes nothing a first pass made stable, and costs microseconds.
 */
int
orgname_key(const char *name, char *key, size_t keylen)
{
	utf8proc_uint8_t *once = NULL, *twice = NULL;
	utf8proc_ssize_t n, i = 0;
	utf8proc_int32_t c;
	size_t len = 0;
	bool gap = false;
	int rc = 0;

	if (keylen == 0)
		return GD_ERANGE;
	key[0] = '\0';
	if (utf8proc_map((const utf8proc_uint8_t *)name, 0, &once, MAP_OPTIONS) < 0)
		return GD_EINVAL;
	n = utf8proc_map(once, 0, &twice, MAP_OPTIONS);
	free(once);
	if (n < 0)
		return GD_EINVAL;
	while (i < n && rc == 0) {
		utf8proc_ssize_t step = utf8proc_iterate(twice + i, n - i, &c);

		if (step <= 0) {
			rc = GD_EINVAL;
			break;
		}
		if (is_space(c)) {
			gap = len > 0;
		} else {
			size_t need = (size_t)step + (gap ? 1 : 0);

			if (len + need >= keylen) {
				rc = GD_ERANGE;
				break;
			}
			if (gap)
				key[len++] = ' ';
			memcpy(key + len, twice + i, (size_t)step);
			len += (size_t)step;
			gap = false;
		}
		i += step;
	}
	free(twice);
	key[len] = '\0';
	if (rc == 0 && len == 0)
		rc = GD_EINVAL;
	if (rc < 0)
		key[0] = '\0';
	return rc;
}

bool
orgname_hangul(const char *name)
{
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)name;
	utf8proc_ssize_t n = (utf8proc_ssize_t)strlen(name), i = 0, step;
	utf8proc_int32_t c;

	for (; i < n && (step = utf8proc_iterate(p + i, n - i, &c)) > 0; i += step) {
		if ((c >= 0xac00 && c <= 0xd7a3) ||	/* syllables */
		    (c >= 0x1100 && c <= 0x11ff) ||	/* jamo */
		    (c >= 0x3130 && c <= 0x318f) ||	/* compatibility jamo */
		    (c >= 0xa960 && c <= 0xa97f) || (c >= 0xd7b0 && c <= 0xd7ff))
			return true;
	}
	return false;
}

int
orgname_slug(const char *name, char id[64])
{
	char key[ORGNAME_KEY_MAX];
	size_t len = 0;
	bool dash = false;

	id[0] = '\0';
	if (orgname_key(name, key, sizeof(key)) < 0)
		return GD_EINVAL;
	for (const char *p = key; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) {
			dash = true;
			continue;
		}
		if (len + (dash && len > 0 ? 2 : 1) > 63)
			break;
		if (dash && len > 0)
			id[len++] = '-';
		id[len++] = *p;
		dash = false;
	}
	id[len] = '\0';
	return len > 0 ? 0 : GD_EINVAL;
}

int
orgname_brn(const char *s, char out[11], char *err, size_t errlen)
{
	static const int weight[9] = { 1, 3, 7, 1, 3, 7, 1, 3, 5 };
	int d[10], n = 0, sum = 0;

	out[0] = '\0';
	for (const char *p = s; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9' && n < 10) {
			d[n++] = *p - '0';
		} else if (!(*p == '-' && (p - s == 3 || p - s == 6) && n == (p - s == 3 ? 3 : 5))) {
			snprintf(err, errlen, "a business registration number is ten digits, "
			    "as 1234567890 or 123-45-67890");
			return GD_EINVAL;
		}
	}
	if (n != 10) {
		snprintf(err, errlen, "a business registration number is ten digits, "
		    "as 1234567890 or 123-45-67890");
		return GD_EINVAL;
	}
	for (int i = 0; i < 9; i++)
		sum += d[i] * weight[i];
	sum += d[8] * 5 / 10;
	if ((10 - sum % 10) % 10 != d[9]) {
		snprintf(err, errlen, "business registration number check digit is %d, not %d",
		    (10 - sum % 10) % 10, d[9]);
		return GD_EINVAL;
	}
	for (int i = 0; i < 10; i++)
		out[i] = (char)('0' + d[i]);
	out[10] = '\0';
	return 0;
}
