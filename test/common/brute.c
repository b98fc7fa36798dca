/* brute.c: seeded randomness and a per-hour reference model for the capacity tests. */
#include <stdlib.h>

#include "brute.h"

/* The default seed is arbitrary; a fixed one keeps CI reproducible. */
#define BRUTE_DEFAULT_SEED UINT64_C(20260301)

uint64_t
brute_seed(void)
{
	const char *s = getenv("GRANTD_SEED");
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0')
		return BRUTE_DEFAULT_SEED;
	v = strtoull(s, &end, 10);
	return *end == '\0' ? (uint64_t)v : BRUTE_DEFAULT_SEED;
}

uint64_t
brute_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

int64_t
brute_range(uint64_t *state, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(brute_next(state) % (uint64_t)(hi - lo + 1));
}

void
brute_init(struct brute_pool *p, int64_t base)
{
	*p = (struct brute_pool){ .base = base };
}

void
brute_add(int64_t *cells, int64_t h0, int64_t h1, int64_t delta)
{
	for (int64_t h = h0 < 0 ? 0 : h0; h < h1 && h < BRUTE_HOURS; h++)
		cells[h] += delta;
}

int64_t
brute_capacity(const struct brute_pool *p, int64_t hour)
{
	int64_t c;

	if (hour < 0 || hour >= BRUTE_HOURS)
		return p->base;
	c = p->base - p->lost[hour];
	return c > 0 ? c : 0;
}

int64_t
brute_granted(const struct brute_pool *p, int64_t hour)
{
	return hour < 0 || hour >= BRUTE_HOURS ? 0 : p->granted[hour];
}

int64_t
brute_slack(const struct brute_pool *p, int64_t hour)
{
	return brute_capacity(p, hour) - brute_granted(p, hour);
}

int64_t
brute_free_min(const struct brute_pool *p, int64_t h0, int64_t h1)
{
	int64_t m = INT64_MAX;

	for (int64_t h = h0; h < h1; h++) {
		int64_t s = brute_slack(p, h);

		if (s < m)
			m = s;
	}
	return m > 0 ? m : 0;
}
