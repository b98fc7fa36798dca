/* units.h: normalised compute units, kept as integer milli-units. */
#ifndef GRANTD_UNITS_H
#define GRANTD_UNITS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A card model's weight is a number of units per card with at most three
 * decimals (B200 = 1.000, H100 = 0.500), so every quantity is an exact
 * integer of milli-units: weights, package units, and "milli-unit-seconds"
 * (cards x weight_milli x seconds) for unit-time.
 */
#define UNITS_MILLI 1000

/* Enough for any int64_t as "-9223372036854775.808" and the NUL. */
#define UNITS_LEN 24

/* Formats milli-units with three decimals: 768000 -> "768.000". */
void units_format(int64_t milli, char *buf);

#endif
