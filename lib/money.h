/* money.h: integer KRW amounts with overflow-checked arithmetic. */
#ifndef GRANTD_MONEY_H
#define GRANTD_MONEY_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* The contract's upper bound for one amount: 10^13 KRW (ten trillion won). */
#define MONEY_MAX_AMOUNT INT64_C(10000000000000)

/* *out = a + b; returns false (and leaves *out alone) on overflow. */
static inline bool
money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

static inline bool
money_sub(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_sub_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

static inline bool
money_mul(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_mul_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

/* A client-supplied amount is valid when 0 < amount <= MONEY_MAX_AMOUNT. */
static inline bool
money_valid_amount(int64_t a)
{
	return a > 0 && a <= MONEY_MAX_AMOUNT;
}

/*
 * Formats an amount with thousands separators ("10,000,000,000") into buf.
 * Returns the length written, or -1 when buf is too small.
 */
int money_format(int64_t amount, char *buf, size_t len);

#endif
