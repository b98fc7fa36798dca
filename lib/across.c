/* across.c: fairness judged between teams, at the same point of each team's own window. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "across.h"
#include "err.h"
#include "report.h"

#define DAY_SECONDS 86400

static __int128
abs128(__int128 x)
{
	return x < 0 ? -x : x;
}

static int64_t
clamp64(__int128 x)
{
	if (x > INT64_MAX)
		return INT64_MAX;
	if (x < INT64_MIN)
		return INT64_MIN;
	return (int64_t)x;
}

/*
 * One comparison: val[i] of the teams with in[i] against the yardstick y.
 * Marks the teams that break it in v (keeping each one's largest gap, on
 * `day`) and returns whether the set is equal.
 */
static bool
compare(const int64_t *val, const bool *in, size_t n, __int128 y, int64_t tol, int64_t day,
    struct across_verdict *v, __int128 *worst)
{
	__int128 lo = 0, hi = 0, far = 0;
	bool any = false, equal;

	for (size_t i = 0; i < n; i++) {
		if (!in[i])
			continue;
		if (!any || val[i] < lo)
			lo = val[i];
		if (!any || val[i] > hi)
			hi = val[i];
		if (abs128(val[i] - y) > far)
			far = abs128(val[i] - y);
		any = true;
	}
	if (!any)
		return true;
	equal = hi - lo <= tol && far <= tol;
	if (equal)
		return true;
	for (size_t i = 0; i < n; i++) {
		__int128 d;

		if (!in[i])
			continue;
		d = val[i] - y;
		/* Far from the yardstick; or, when none is, the farthest. */
		if (abs128(d) <= tol && (far > tol || abs128(d) < far))
			continue;
		v[i].delivery_ok = false;
		if (abs128(d) > worst[i] || worst[i] == 0) {
			worst[i] = abs128(d);
			v[i].gap_day = day;
			v[i].gap = clamp64(d);
		}
	}
	return false;
}

static void
judge_period(const struct across_team *t, size_t n, const struct across_ref *ref,
    struct across_verdict *v, struct across_summary *s)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].ended || t[i].days == ref->period_days)
			continue;
		s->equal_period = false;
		v[i].period_ok = false;
		v[i].period_gap_days = t[i].days - ref->period_days;
	}
}

static int
judge_delivery(const struct across_team *t, size_t n, const struct across_ref *ref,
    struct across_verdict *v, struct across_summary *s)
{
	size_t maxk = 0;
	int64_t *val = calloc(n ? n : 1, sizeof(*val));
	bool *in = calloc(n ? n : 1, sizeof(*in));
	__int128 *worst = calloc(n ? n : 1, sizeof(*worst));
	__int128 per_day = (__int128)ref->units_milli * DAY_SECONDS;

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
		if (!compare(val, in, n, per_day * (__int128)k, ref->tol, (int64_t)k, v, worst))
			s->equal_delivery = false;
	}
	for (size_t i = 0; i < n; i++) {
		in[i] = !t[i].ended;
		val[i] = t[i].projected;
	}
	if (!compare(val, in, n, per_day * ref->period_days, ref->tol, 0, v, worst))
		s->equal_delivery = false;
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
across_judge(const struct across_team *t, size_t n, const struct across_ref *ref,
    struct across_verdict *v, struct across_summary *s)
{
	int rc;

	*s = (struct across_summary){ .equal_period = true, .equal_delivery = true,
		.jain_micro = 1000000 };
	for (size_t i = 0; i < n; i++)
		v[i] = (struct across_verdict){ .period_ok = true, .delivery_ok = true };
	judge_period(t, n, ref, v, s);
	if ((rc = judge_delivery(t, n, ref, v, s)) == 0)
		rc = judge_index(t, n, s);
	return rc;
}
