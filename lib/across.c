/* across.c: fairness judged between teams, at the same point of each team's own window. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "across.h"
#include "err.h"
#include "report.h"

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Whether the set is equal within tol; else *med2 is twice its median. */
static bool
set_equal(const int64_t *val, const bool *in, size_t n, int64_t *buf, int64_t tol,
    __int128 *med2)
{
	size_t m = 0;

	for (size_t i = 0; i < n; i++)
		if (in[i])
			buf[m++] = val[i];
	if (m < 2)
		return true;
	qsort(buf, m, sizeof(*buf), cmp_i64);
	if ((__int128)buf[m - 1] - buf[0] <= tol)
		return true;
	*med2 = m % 2 ? 2 * (__int128)buf[m / 2] : (__int128)buf[m / 2 - 1] + buf[m / 2];
	return false;
}

/* Marks the teams of an unequal set that lie farther than tol/2 from its median. */
static void
blame(const int64_t *val, const bool *in, size_t n, __int128 med2, int64_t tol, int64_t day,
    struct across_verdict *v, __int128 *worst)
{
	for (size_t i = 0; i < n; i++) {
		__int128 d2;

		if (!in[i])
			continue;
		d2 = 2 * (__int128)val[i] - med2;
		if ((d2 < 0 ? -d2 : d2) <= tol)
			continue;
		v[i].delivery_ok = false;
		if ((d2 < 0 ? -d2 : d2) > worst[i]) {
			worst[i] = d2 < 0 ? -d2 : d2;
			v[i].gap_day = day;
			v[i].gap = (int64_t)(d2 / 2);
		}
	}
}

static void
judge_period(const struct across_team *t, size_t n, int64_t *buf, struct across_verdict *v,
    struct across_summary *s)
{
	size_t m = 0;
	int64_t lo, hi;
	__int128 med2;

	for (size_t i = 0; i < n; i++)
		if (!t[i].ended)
			buf[m++] = t[i].days;
	if (m < 2)
		return;
	qsort(buf, m, sizeof(*buf), cmp_i64);
	lo = buf[0];
	hi = buf[m - 1];
	if (lo == hi)
		return;
	s->equal_period = false;
	med2 = m % 2 ? 2 * (__int128)buf[m / 2] : (__int128)buf[m / 2 - 1] + buf[m / 2];
	for (size_t i = 0; i < n; i++) {
		if (t[i].ended || 2 * (__int128)t[i].days == med2)
			continue;
		v[i].period_ok = false;
		v[i].period_gap_days = (int64_t)((2 * (__int128)t[i].days - med2) / 2);
		if (v[i].period_gap_days == 0)
			v[i].period_gap_days = 2 * (__int128)t[i].days < med2 ? -1 : 1;
	}
}

static int
judge_delivery(const struct across_team *t, size_t n, int64_t tol, int64_t *buf,
    struct across_verdict *v, struct across_summary *s)
{
	size_t maxk = 0;
	int64_t *val = calloc(n ? n : 1, sizeof(*val));
	bool *in = calloc(n ? n : 1, sizeof(*in));
	__int128 *worst = calloc(n ? n : 1, sizeof(*worst)), med2 = 0;

	if (val == NULL || in == NULL || worst == NULL) {
		free(val);
		free(in);
		free(worst);
		return GD_ENOMEM;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].reached > maxk)
			maxk = t[i].reached;
	for (size_t k = 1; k <= maxk; k++) {
		for (size_t i = 0; i < n; i++) {
			in[i] = t[i].reached >= k;
			val[i] = in[i] ? t[i].delivered[k - 1] : 0;
		}
		if (!set_equal(val, in, n, buf, tol, &med2)) {
			s->equal_delivery = false;
			blame(val, in, n, med2, tol, (int64_t)k, v, worst);
		}
	}
	for (size_t i = 0; i < n; i++) {
		in[i] = !t[i].ended;
		val[i] = t[i].projected;
	}
	if (!set_equal(val, in, n, buf, tol, &med2)) {
		s->equal_delivery = false;
		blame(val, in, n, med2, tol, 0, v, worst);
	}
	free(val);
	free(in);
	free(worst);
	return 0;
}

static int
judge_index(const struct across_team *t, size_t n, struct across_summary *s)
{
	double *x;
	size_t k = 0, m = 0;

	for (size_t i = 0; i < n; i++)
		if (!t[i].ended && t[i].reached > 0 && (k == 0 || t[i].reached < k))
			k = t[i].reached;
	s->common_day = (int64_t)k;
	if (k == 0)
		return 0;
	if ((x = calloc(n, sizeof(*x))) == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!t[i].ended && t[i].reached > 0)
			x[m++] = (double)t[i].delivered[k - 1];
	s->counted = m;
	s->jain_micro = llround(report_jain(x, m) * 1e6);
	s->max_deviation_milli = llround(report_max_deviation_pct(x, m) * 1e3);
	free(x);
	return 0;
}

int
across_judge(const struct across_team *t, size_t n, int64_t tol, struct across_verdict *v,
    struct across_summary *s)
{
	int64_t *buf;
	int rc;

	*s = (struct across_summary){ .equal_period = true, .equal_delivery = true,
		.jain_micro = 1000000 };
	for (size_t i = 0; i < n; i++)
		v[i] = (struct across_verdict){ .period_ok = true, .delivery_ok = true };
	if ((buf = calloc(n ? n : 1, sizeof(*buf))) == NULL)
		return GD_ENOMEM;
	judge_period(t, n, buf, v, s);
	rc = judge_delivery(t, n, tol, buf, v, s);
	free(buf);
	if (rc == 0)
		rc = judge_index(t, n, s);
	return rc;
}
