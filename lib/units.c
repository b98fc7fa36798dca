/* units.c: normalised compute units, kept as integer milli-units. */
#include <stdio.h>

#include "err.h"
#include "units.h"

void
units_format(int64_t milli, char *buf)
{
	/* Work on the magnitude as unsigned so INT64_MIN has one too. */
	uint64_t m = milli < 0 ? -(uint64_t)milli : (uint64_t)milli;

	snprintf(buf, UNITS_LEN, "%s%llu.%03llu", milli < 0 ? "-" : "",
	    (unsigned long long)(m / UNITS_MILLI), (unsigned long long)(m % UNITS_MILLI));
}

int
units_narrow(units_wide v, int64_t *out)
{
	if (v > INT64_MAX || v < INT64_MIN)
		return GD_ERANGE;
	*out = (int64_t)v;
	return 0;
}

int
units_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return GD_ERANGE;
	*out = r;
	return 0;
}

int
units_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return GD_ERANGE;
	*out = r;
	return 0;
}

int
units_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return GD_ERANGE;
	*out = r;
	return 0;
}
