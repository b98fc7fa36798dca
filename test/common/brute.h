/* brute.h: seeded randomness and a per-hour reference model for the capacity tests. */
#ifndef GRANTD_TEST_BRUTE_H
#define GRANTD_TEST_BRUTE_H

#include <stdint.h>

/*
 * Randomised tests draw from splitmix64, seeded from the environment
 * variable GRANTD_SEED when set, else from a fixed default, so a failure
 * printed with its seed can be replayed exactly.
 */
uint64_t brute_seed(void);

/*
 * Check's ck_assert() records a "mark point" through a pipe on every
 * success, which makes a randomised test with millions of comparisons take
 * seconds; this one costs nothing unless it fails.  Include <check.h> first.
 */
#define BRUTE_CHECK(cond, ...) do {					\
	if (!(cond))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

uint64_t brute_next(uint64_t *state);
/* Uniform in [lo, hi], lo <= hi. */
int64_t brute_range(uint64_t *state, int64_t lo, int64_t hi);

/*
 * The reference model: one array cell per hour, hour h being
 * [BRUTE_T0 + h * 3600, BRUTE_T0 + (h + 1) * 3600).  Outside the modelled
 * hours nothing is active, as in a timeline.
 */
#define BRUTE_T0 INT64_C(1772323200)	/* 2026-03-01T00:00:00Z */
#define BRUTE_HOURS 720

struct brute_pool {
	int64_t base;
	int64_t lost[BRUTE_HOURS];	/* cards out of service (sum of outages) */
	int64_t granted[BRUTE_HOURS];
};

static inline int64_t
brute_at(int64_t hour)
{
	return BRUTE_T0 + hour * 3600;
}

void brute_init(struct brute_pool *p, int64_t base);
/* Adds delta to lost or granted over hours [h0, h1), clipped to the model. */
void brute_add(int64_t *cells, int64_t h0, int64_t h1, int64_t delta);
int64_t brute_capacity(const struct brute_pool *p, int64_t hour);
int64_t brute_granted(const struct brute_pool *p, int64_t hour);
/* capacity - granted, negative where outages took granted cards. */
int64_t brute_slack(const struct brute_pool *p, int64_t hour);
/* max(0, min slack) over hours [h0, h1). */
int64_t brute_free_min(const struct brute_pool *p, int64_t h0, int64_t h1);

#endif
