/* fairness.c: the programme's fairness rules (docs/domain.md) as checks of a proposed state. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "fairness.h"
#include "money.h"
#include "units.h"

static bool
in_civil_range(int64_t t)
{
	return t >= civil_min_instant() && t <= civil_max_instant();
}

static bool
grant_ok(const struct fairness_grant *g)
{
	return g->pool != NULL && g->weight_milli > 0 && g->cards > 0 && g->from < g->to &&
	    in_civil_range(g->from) && in_civil_range(g->to);
}

static bool
has_left(const struct fairness_enrollment *e)
{
	return e->state == FAIRNESS_ELIMINATED || e->state == FAIRNESS_WITHDRAWN;
}

static int
check_enrollment(const struct fairness_enrollment *e)
{
	if (e->team == NULL || (unsigned)e->state > FAIRNESS_COMPLETED || e->lost < 0 ||
	    e->compensated < 0 || (e->ngrants > 0 && e->grants == NULL))
		return GD_EINVAL;
	if (!in_civil_range(e->start) || !in_civil_range(e->end) ||
	    (has_left(e) && !in_civil_range(e->effective_end)))
		return GD_ERANGE;
	for (size_t i = 0; i < e->ngrants; i++)
		if (!grant_ok(&e->grants[i]))
			return GD_EINVAL;
	return 0;
}

/* The range whose units must equal the package: the window, cut at effective_end. */
static void
checked_range(const struct fairness_enrollment *e, int64_t *a, int64_t *b)
{
	*a = e->start;
	*b = e->end;
	if (has_left(e) && e->effective_end < *b)
		*b = e->effective_end;
	if (*b < *a)
		*b = *a;
}

struct edge {
	int64_t t;
	int64_t delta;		/* milli-units */
};

static int
cmp_edge(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

/*
 * The enrollment's units (make-ups excluded) over [a, b) as stretches in
 * time order, neighbours with equal units merged, keeping only those whose
 * units lie outside [lo, hi].  e is checked, a <= b.
 */
static int
unit_steps(const struct fairness_enrollment *e, int64_t a, int64_t b, int64_t lo, int64_t hi,
    struct fairness_gap **out, size_t *n)
{
	struct fairness_gap *gaps;
	struct edge *ev;
	size_t m = 0, k = 0, ng = 0;
	int64_t cur = 0;

	if ((ev = malloc((2 * e->ngrants + 1) * sizeof(*ev))) == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < e->ngrants; i++) {
		const struct fairness_grant *g = &e->grants[i];
		int64_t u;

		if (g->makeup || g->to <= a || g->from >= b)
			continue;
		if (!money_mul(g->cards, g->weight_milli, &u)) {
			free(ev);
			return GD_ERANGE;
		}
		ev[m++] = (struct edge){ g->from > a ? g->from : a, u };
		ev[m++] = (struct edge){ g->to < b ? g->to : b, -u };
	}
	qsort(ev, m, sizeof(*ev), cmp_edge);
	if ((gaps = malloc((m + 1) * sizeof(*gaps))) == NULL) {
		free(ev);
		return GD_ENOMEM;
	}
	for (int64_t t = a, next; t < b; t = next) {
		for (; k < m && ev[k].t == t; k++)
			if (!money_add(cur, ev[k].delta, &cur)) {
				free(ev);
				free(gaps);
				return GD_ERANGE;
			}
		next = k < m ? ev[k].t : b;
		if (cur >= lo && cur <= hi)
			continue;
		if (ng > 0 && gaps[ng - 1].to == t && gaps[ng - 1].units_milli == cur)
			gaps[ng - 1].to = next;
		else
			gaps[ng++] = (struct fairness_gap){ t, next, cur };
	}
	free(ev);
	*out = gaps;
	*n = ng;
	return 0;
}

int
fairness_unit_gaps(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    struct fairness_gap **out, size_t *n)
{
	int64_t a, b;
	int rc;

	if ((rc = check_enrollment(e)) != 0)
		return rc;
	checked_range(e, &a, &b);
	return unit_steps(e, a, b, ph->units_milli, ph->units_milli, out, n);
}

int
fairness_excess(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    int64_t from, int64_t to, int64_t add_milli, struct fairness_gap **out, size_t *n)
{
	int64_t a, b;
	int rc;

	if ((rc = check_enrollment(e)) != 0)
		return rc;
	if (ph->units_milli < 0 || add_milli < 0 || from >= to)
		return GD_EINVAL;
	if (!in_civil_range(from) || !in_civil_range(to))
		return GD_ERANGE;
	checked_range(e, &a, &b);
	if (from > a)
		a = from;
	if (to < b)
		b = to;
	if (b < a)
		b = a;
	/* Both are >= 0, so the difference cannot overflow. */
	return unit_steps(e, a, b, INT64_MIN, ph->units_milli - add_milli, out, n);
}

static int add_violation(struct fairness_report *r, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
add_violation(struct fairness_report *r, const char *rule, const char *fmt, ...)
{
	va_list ap;

	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 8;
		struct fairness_violation *v = realloc(r->items, cap * sizeof(*v));

		if (v == NULL)
			return GD_ENOMEM;
		r->items = v;
		r->cap = cap;
	}
	r->items[r->n].rule = rule;
	va_start(ap, fmt);
	vsnprintf(r->items[r->n].detail, FAIRNESS_DETAIL_LEN, fmt, ap);
	va_end(ap);
	r->n++;
	return 0;
}

/* "91 days" when whole days, else seconds. */
static void
format_duration(int64_t s, char *buf, size_t len)
{
	if (s % CIVIL_DAY == 0)
		snprintf(buf, len, "%lld days", (long long)(s / CIVIL_DAY));
	else
		snprintf(buf, len, "%lld s", (long long)s);
}

/* " and 2 more stretches" after the first of n findings, or nothing. */
static void
more_of(size_t n, const char *what, char *buf, size_t len)
{
	if (n > 1)
		snprintf(buf, len, " and %zu more %s", n - 1, what);
	else
		buf[0] = '\0';
}

/* Names the first enrollment with an added grant on pool holding cards at t. */
static const char *
team_at(const struct fairness_enrollment *e, size_t n, const char *pool, int64_t t)
{
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < e[i].ngrants; j++) {
			const struct fairness_grant *g = &e[i].grants[j];

			if (g->added && strcmp(g->pool, pool) == 0 && g->from <= t && t < g->to)
				return e[i].team;
		}
	return "?";
}

static int
check_capacity(const struct fairness_enrollment *e, size_t n, const struct fairness_pool *pools,
    size_t npools, const struct civil_zone *zone, struct fairness_report *r)
{
	struct timeline_grant *add = NULL;
	size_t total = 0;
	int rc = 0;

	/* Every added grant must name a pool we were given. */
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < e[i].ngrants; j++) {
			const struct fairness_grant *g = &e[i].grants[j];
			bool known = false;

			if (!g->added)
				continue;
			for (size_t p = 0; p < npools && !known; p++)
				known = strcmp(pools[p].id, g->pool) == 0;
			if (!known)
				return GD_ENOENT;
			total++;
		}
	if (total == 0)
		return 0;
	if ((add = malloc(total * sizeof(*add))) == NULL)
		return GD_ENOMEM;
	for (size_t p = 0; p < npools && rc == 0; p++) {
		struct timeline_breach b;
		char at[CIVIL_WHEN_LEN];
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < e[i].ngrants; j++) {
				const struct fairness_grant *g = &e[i].grants[j];

				/* Ids do not matter to check_add. */
				if (g->added && strcmp(g->pool, pools[p].id) == 0)
					add[k++] = (struct timeline_grant){ 0, g->from, g->to,
					    g->cards };
			}
		rc = timeline_check_add(pools[p].tl, add, k, &b);
		if (rc == GD_ECAPACITY) {
			civil_format_when(b.at, zone, at);
			rc = add_violation(r, "capacity",
			    "pool %s has %lld cards free at %s, %lld asked (team %s)", pools[p].id,
			    (long long)b.free, at, (long long)b.asked,
			    team_at(e, n, pools[p].id, b.at));
		}
	}
	free(add);
	return rc;
}

static int
check_period(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    const struct civil_zone *zone, struct fairness_report *r)
{
	char s[CIVIL_WHEN_LEN], t[CIVIL_WHEN_LEN], have[32], want[32];

	if (has_left(e) || (e->overrides & FAIRNESS_OVERRIDE_PERIOD) ||
	    e->end - e->start == ph->period)
		return 0;
	civil_format_when(e->start, zone, s);
	civil_format_when(e->end, zone, t);
	format_duration(e->end - e->start, have, sizeof(have));
	format_duration(ph->period, want, sizeof(want));
	return add_violation(r, "equal_period", "team %s: window [%s, %s) lasts %s, the period %s",
	    e->team, s, t, have, want);
}

static int
check_resource(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    const struct civil_zone *zone, struct fairness_report *r)
{
	char s[CIVIL_WHEN_LEN], t[CIVIL_WHEN_LEN], ws[CIVIL_WHEN_LEN], wt[CIVIL_WHEN_LEN];
	char have[UNITS_LEN], want[UNITS_LEN], more[48];
	struct fairness_gap *gaps;
	size_t ngaps, outside = 0, first = 0;
	int64_t a, b;
	int rc;

	if (e->overrides & FAIRNESS_OVERRIDE_RESOURCE)
		return 0;
	if ((rc = fairness_unit_gaps(ph, e, &gaps, &ngaps)) != 0)
		return rc;
	if (ngaps > 0) {
		civil_format_when(gaps[0].from, zone, s);
		civil_format_when(gaps[0].to, zone, t);
		units_format(gaps[0].units_milli, have);
		units_format(ph->units_milli, want);
		more_of(ngaps, "stretches", more, sizeof(more));
		rc = add_violation(r, "equal_resource", "team %s holds %s units instead of %s in "
		    "[%s, %s)%s", e->team, have, want, s, t, more);
	}
	free(gaps);
	if (rc != 0)
		return rc;

	checked_range(e, &a, &b);
	for (size_t i = 0; i < e->ngrants; i++)
		if (!e->grants[i].makeup && (e->grants[i].from < a || e->grants[i].to > b))
			if (outside++ == 0)
				first = i;
	if (outside > 0) {
		const struct fairness_grant *g = &e->grants[first];

		civil_format_when(g->from, zone, s);
		civil_format_when(g->to, zone, t);
		civil_format_when(a, zone, ws);
		civil_format_when(b, zone, wt);
		more_of(outside, "grants", more, sizeof(more));
		rc = add_violation(r, "equal_resource",
		    "team %s: %lld cards of pool %s over [%s, %s) reach outside [%s, %s)%s",
		    e->team, (long long)g->cards, g->pool, s, t, ws, wt, more);
		if (rc != 0)
			return rc;
	}

	if (!has_left(e) && e->voucher_krw != ph->voucher_krw) {
		char vh[32], vw[32];

		money_format(e->voucher_krw, vh, sizeof(vh));
		money_format(ph->voucher_krw, vw, sizeof(vw));
		return add_violation(r, "equal_resource",
		    "team %s: voucher budget %s KRW, the package %s KRW", e->team, vh, vw);
	}
	return 0;
}

static int
check_delivery(const struct fairness_enrollment *e, int64_t at, const struct civil_zone *zone,
    struct fairness_report *r)
{
	char when[CIVIL_WHEN_LEN], hours[UNITS_LEN];
	int64_t owed = e->lost - e->compensated;	/* both >= 0: no overflow */

	if (has_left(e) || (e->overrides & FAIRNESS_OVERRIDE_DELIVERY) || e->end > at ||
	    owed <= 0)
		return 0;
	civil_format_when(e->end, zone, when);
	/* milli-unit-seconds / 3600 = milli-unit-hours, shown rounded down. */
	units_format(owed / 3600, hours);
	return add_violation(r, "equal_delivery",
	    "team %s is owed %s unit-hours (%lld milli-unit-seconds) after its window ended at %s",
	    e->team, hours, (long long)owed, when);
}

int
fairness_check(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    size_t n, const struct fairness_pool *pools, size_t npools, int64_t at,
    const struct civil_zone *zone, struct fairness_report *out)
{
	struct fairness_report r = { NULL, 0, 0 };
	int rc;

	if (ph->period <= 0 || ph->units_milli < 0 || ph->voucher_krw < 0)
		return GD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if ((rc = check_enrollment(&e[i])) != 0)
			return rc;
	if ((rc = check_capacity(e, n, pools, npools, zone, &r)) != 0)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = check_period(ph, &e[i], zone, &r)) != 0)
			goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = check_resource(ph, &e[i], zone, &r)) != 0)
			goto fail;
	for (size_t i = 0; i < n; i++)
		if ((rc = check_delivery(&e[i], at, zone, &r)) != 0)
			goto fail;
	*out = r;
	return 0;
fail:
	fairness_report_free(&r);
	return rc;
}

void
fairness_report_free(struct fairness_report *r)
{
	if (r == NULL)
		return;
	free(r->items);
	*r = (struct fairness_report){ NULL, 0, 0 };
}

int
fairness_report_code(const struct fairness_report *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->items[i].rule, "capacity") == 0)
			return GD_ECAPACITY;
	return r->n > 0 ? GD_EFAIRNESS : 0;
}
