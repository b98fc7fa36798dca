/* money.c: formatting of integer KRW amounts. */
#include <stdio.h>

#include "money.h"

int
money_format(int64_t amount, char *buf, size_t len)
{
	char digits[24];
	uint64_t mag;
	size_t n, i, o = 0, groups;
	int neg = amount < 0;

	/* Negate in unsigned space so INT64_MIN has a magnitude too. */
	mag = neg ? (uint64_t)0 - (uint64_t)amount : (uint64_t)amount;
	n = (size_t)snprintf(digits, sizeof(digits), "%llu", (unsigned long long)mag);
	groups = (n - 1) / 3;
	if (len < n + groups + (size_t)neg + 1)
		return -1;
	if (neg)
		buf[o++] = '-';
	for (i = 0; i < n; i++) {
		buf[o++] = digits[i];
		if (i + 1 < n && (n - i - 1) % 3 == 0)
			buf[o++] = ',';
	}
	buf[o] = '\0';
	return (int)o;
}
