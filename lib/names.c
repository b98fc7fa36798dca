/* names.c: enum <-> name lookups over a kind's table (names.h). */
#include <string.h>

#include "err.h"
#include "names.h"

const char *
names_name(const struct name_entry *t, size_t n, int value, const char *unknown)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return unknown;
}

int
names_parse(const struct name_entry *t, size_t n, const char *s, int *value)
{
	if (s == NULL)
		return GD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, s) == 0) {
			*value = t[i].value;
			return 0;
		}
	return GD_EINVAL;
}
