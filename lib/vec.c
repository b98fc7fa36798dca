/* vec.c: the one growable array. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "vec.h"

int
vec_reserve(void *items, size_t *cap, size_t need, size_t size)
{
	void *p, *np;
	size_t c = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return GD_ENOMEM;
		c *= 2;
	}
	if (size != 0 && c > SIZE_MAX / size)
		return GD_ENOMEM;
	/* items points at the caller's T *: read and write it as bytes. */
	memcpy(&p, items, sizeof(p));
	if ((np = realloc(p, c * size)) == NULL)
		return GD_ENOMEM;
	memcpy(items, &np, sizeof(np));
	*cap = c;
	return 0;
}

int
vec_push(void *items, size_t *n, size_t *cap, const void *item, size_t size)
{
	char *p;
	int rc;

	if (*n == SIZE_MAX)
		return GD_ENOMEM;
	if ((rc = vec_reserve(items, cap, *n + 1, size)) < 0)
		return rc;
	memcpy(&p, items, sizeof(p));
	memcpy(p + *n * size, item, size);
	(*n)++;
	return 0;
}
