/* units.c: normalised compute units, kept as integer milli-units. */
#include <stdio.h>

#include "units.h"

void
units_format(int64_t milli, char *buf)
{
	/* Work on the magnitude as unsigned so INT64_MIN has one too. */
	uint64_t m = milli < 0 ? -(uint64_t)milli : (uint64_t)milli;

	snprintf(buf, UNITS_LEN, "%s%llu.%03llu", milli < 0 ? "-" : "",
	    (unsigned long long)(m / UNITS_MILLI), (unsigned long long)(m % UNITS_MILLI));
}
