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

/*
 * The largest settings grantd accepts, chosen so that the worst case of
 * every unit-time figure fits an int64_t of milli-unit-seconds:
 *
 *	cards x weight_milli <= 10^6 x 10^4            = 10^10 milli-units
 *	x a window of at most 3660 days (3.16e8 s)     = 3.16e18
 *
 * and twice that (a window's grants plus make-ups of the same size after
 * it) is 6.3e18, still below INT64_MAX (9.22e18).  A pool, a package, a
 * grant and an outage have at most UNITS_MAX_CARDS cards; a card model
 * weighs at most UNITS_MAX_WEIGHT units (B200 is 1); a phase's period,
 * extensions included, and a grant made by hand last at most
 * UNITS_MAX_PERIOD_DAYS.  Sums that can still go past (many grants of one
 * team, usage reported again and again) are added with checks and end in
 * GD_ERANGE, never in a wrapped or capped number.
 */
#define UNITS_MAX_CARDS INT64_C(1000000)
#define UNITS_MAX_WEIGHT 10
#define UNITS_MAX_WEIGHT_MILLI (UNITS_MAX_WEIGHT * UNITS_MILLI)
#define UNITS_MAX_PERIOD_DAYS 3660

/*
 * A wide accumulator for sums of products of two int64_t (GPU-seconds x
 * weight_milli): each product is below 2^126, so any sum of up to two of the
 * largest, or of 2^60 of the products the limits above allow, cannot wrap.
 * Sum in it, then narrow once with units_narrow().
 */
__extension__ typedef __int128 units_wide;

/* Narrows a wide sum; GD_ERANGE (lib/err.h) when it does not fit an int64_t. */
int units_narrow(units_wide v, int64_t *out);

/* a + b, a - b and a x b into *out; 0, or GD_ERANGE (nothing written). */
int units_add(int64_t a, int64_t b, int64_t *out);
int units_sub(int64_t a, int64_t b, int64_t *out);
int units_mul(int64_t a, int64_t b, int64_t *out);

/* Enough for any int64_t as "-9223372036854775.808" and the NUL. */
#define UNITS_LEN 24

/* Formats milli-units with three decimals: 768000 -> "768.000". */
void units_format(int64_t milli, char *buf);

#endif
