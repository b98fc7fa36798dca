/* report.c: the pure arithmetic of usage, quota and the fairness report. */
#include <assert.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "report.h"

#define DAY 86400

int64_t
report_hour_floor(int64_t t)
{
	int64_t r = t % REPORT_HOUR;

	return r < 0 ? t - r - REPORT_HOUR : t - r;
}

void
report_split_init(struct report_split *s, int64_t from, int64_t to, int64_t total)
{
	assert(from < to && total >= 0);
	*s = (struct report_split){ from, to, total, from, 0 };
}

bool
report_split_next(struct report_split *s, struct report_piece *p)
{
	int64_t a = s->at, b, upto;

	if (a >= s->to)
		return false;
	p->hour = report_hour_floor(a);
	b = p->hour + REPORT_HOUR < s->to ? p->hour + REPORT_HOUR : s->to;
	/* total x elapsed can pass int64_t for long samples of big pools. */
	upto = (int64_t)((__int128)s->total * (b - s->from) / (s->to - s->from));
	p->from = a;
	p->to = b;
	p->share = upto - s->given;
	s->given = upto;
	s->at = b;
	return true;
}

int64_t
report_overlap(int64_t a, int64_t b, int64_t c, int64_t d)
{
	int64_t lo = a > c ? a : c, hi = b < d ? b : d;

	return hi > lo ? hi - lo : 0;
}

int
report_granted(const struct report_grant *g, size_t n, int64_t from, int64_t to,
    int64_t *mus)
{
	int64_t sum = 0, v;

	for (size_t i = 0; i < n; i++) {
		if (__builtin_mul_overflow(g[i].units_milli,
		    report_overlap(g[i].start, g[i].end, from, to), &v) ||
		    __builtin_add_overflow(sum, v, &sum))
			return GD_ERANGE;
	}
	*mus = sum;
	return 0;
}

int
report_compensation(const struct report_grant *g, size_t n, int64_t *mus)
{
	int64_t sum = 0, v;

	for (size_t i = 0; i < n; i++) {
		if (!g[i].compensation)
			continue;
		if (__builtin_mul_overflow(g[i].units_milli, g[i].end - g[i].start, &v) ||
		    __builtin_add_overflow(sum, v, &sum))
			return GD_ERANGE;
	}
	*mus = sum;
	return 0;
}

int
report_compensation_before(const struct report_grant *g, size_t n, int64_t at, int64_t *mus)
{
	int64_t sum = 0, v;

	for (size_t i = 0; i < n; i++) {
		if (!g[i].compensation || at <= g[i].start)
			continue;
		if (__builtin_mul_overflow(g[i].units_milli, (at < g[i].end ? at : g[i].end) -
		    g[i].start, &v) || __builtin_add_overflow(sum, v, &sum))
			return GD_ERANGE;
	}
	*mus = sum;
	return 0;
}

int
report_compensation_reaches(const struct report_grant *g, size_t n, int64_t target,
    int64_t *when)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN, got;
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (!g[i].compensation || g[i].end <= g[i].start)
			continue;
		if (g[i].start < lo)
			lo = g[i].start;
		if (g[i].end > hi)
			hi = g[i].end;
	}
	if (target <= 0) {
		*when = civil_min_instant();
		return 0;
	}
	if (hi == INT64_MIN)
		return GD_ENOENT;
	if ((rc = report_compensation_before(g, n, hi, &got)) < 0)
		return rc;
	if (got < target)
		return GD_ENOENT;
	/* Delivered by t grows with t: the first t in (lo, hi] that reaches target. */
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if ((rc = report_compensation_before(g, n, mid, &got)) < 0)
			return rc;
		if (got >= target)
			hi = mid;
		else
			lo = mid;
	}
	*when = hi;
	return 0;
}

/* max(0, lost - compensation): the step report_figures and report_owed share. */
static int
owed_of(int64_t lost_total, int64_t compensation_total, int64_t *owed)
{
	int64_t d;

	if (__builtin_sub_overflow(lost_total, compensation_total, &d))
		return GD_ERANGE;
	*owed = d > 0 ? d : 0;
	return 0;
}

int
report_owed(const struct report_grant *g, size_t n, int64_t lost_total, int64_t *owed)
{
	int64_t comp;
	int rc;

	if ((rc = report_compensation(g, n, &comp)) < 0)
		return rc;
	return owed_of(lost_total, comp, owed);
}

/* floor(a / b) and ceil(a / b) for b > 0. */
static int64_t
div_floor(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t
div_ceil(int64_t a, int64_t b)
{
	return -div_floor(-a, b);
}

int
report_figures(const struct report_facts *in, int64_t at, struct report_figures *out)
{
	struct report_figures f = { 0 };
	int64_t e = in->end, upto;

	if (in->ended_at >= 0 && in->ended_at < e)
		e = in->ended_at;
	upto = at < e ? at : e;
	f.counted_from = in->start;
	f.counted_to = upto;
	if (upto > in->start &&
	    __builtin_mul_overflow(in->units_milli, upto - in->start, &f.entitled))
		return GD_ERANGE;
	f.granted = in->granted;
	f.lost = in->lost;
	if (__builtin_sub_overflow(in->granted, in->lost, &f.delivered) ||
	    owed_of(in->lost_total, in->compensation_total, &f.owed) < 0)
		return GD_ERANGE;
	f.used = in->used;
	if (f.delivered > 0 && f.used > 0)
		f.utilization_ppm = (int64_t)(((__int128)f.used * 1000000 + f.delivered / 2) /
		    f.delivered);
	/*
	 * Whole days: elapsed rounds down and left rounds up, so for a window
	 * of whole days they add up to its length (to ended_at for one cut short).
	 */
	f.days = (in->end - in->start) / DAY;
	upto = at < in->start ? in->start : at > e ? e : at;
	f.days_elapsed = div_floor(upto - in->start, DAY);
	f.days_left = e > upto ? div_ceil(e - upto, DAY) : 0;
	*out = f;
	return 0;
}

/* An edge of the granted step function: units change by delta at t. */
struct step {
	int64_t t;
	int64_t delta;
};

static int
cmp_step(const void *a, const void *b)
{
	const struct step *x = a, *y = b;

	return (x->t > y->t) - (x->t < y->t);
}

static int
push_break(struct report_break **v, size_t *n, size_t *cap, int64_t from, int64_t to,
    int64_t units)
{
	struct report_break *nv;

	/* Neighbours with the same amount are one stretch. */
	if (*n > 0 && (*v)[*n - 1].to == from && (*v)[*n - 1].units_milli == units) {
		(*v)[*n - 1].to = to;
		return 0;
	}
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		if ((nv = realloc(*v, *cap * sizeof(*nv))) == NULL)
			return GD_ENOMEM;
		*v = nv;
	}
	(*v)[(*n)++] = (struct report_break){ from, to, units };
	return 0;
}

int
report_resource_breaks(const struct report_grant *g, size_t n, int64_t from, int64_t to,
    int64_t units_milli, struct report_break **out, size_t *nout)
{
	struct step *st;
	struct report_break *v = NULL;
	size_t ns = 0, nv = 0, cap = 0, i;
	int64_t cur = 0, t;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (from >= to)
		return 0;
	if ((st = malloc((2 * n + 1) * sizeof(*st))) == NULL)
		return GD_ENOMEM;
	for (i = 0; i < n; i++) {
		int64_t a = g[i].start > from ? g[i].start : from;
		int64_t b = g[i].end < to ? g[i].end : to;

		if (a >= b)
			continue;
		st[ns++] = (struct step){ a, g[i].units_milli };
		st[ns++] = (struct step){ b, -g[i].units_milli };
	}
	qsort(st, ns, sizeof(*st), cmp_step);
	t = from;
	i = 0;
	while (rc == 0 && t < to) {
		int64_t next = to;

		for (; i < ns && st[i].t <= t; i++)
			if (__builtin_add_overflow(cur, st[i].delta, &cur))
				rc = GD_ERANGE;
		if (i < ns && st[i].t < next)
			next = st[i].t;
		if (rc == 0 && cur != units_milli)
			rc = push_break(&v, &nv, &cap, t, next, cur);
		t = next;
	}
	free(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = nv;
	return 0;
}

static int
cmp_span(const void *a, const void *b)
{
	const struct report_span *x = a, *y = b;

	if (x->from != y->from)
		return x->from < y->from ? -1 : 1;
	return (x->to > y->to) - (x->to < y->to);
}

void
report_period_merge(struct report_span *sp, size_t *n)
{
	size_t m = 0;

	qsort(sp, *n, sizeof(*sp), cmp_span);
	for (size_t i = 0; i < *n; i++) {
		if (sp[i].from >= sp[i].to)
			continue;
		if (m > 0 && sp[i].from <= sp[m - 1].to) {
			if (sp[i].to > sp[m - 1].to)
				sp[m - 1].to = sp[i].to;
			continue;
		}
		sp[m++] = sp[i];
	}
	*n = m;
}

/*
 * The spans are disjoint instants of the civil range, so their lengths
 * sum within int64_t, as every length here does.
 */
int64_t
report_period_elapsed(const struct report_span *sp, size_t n, int64_t at)
{
	int64_t s = 0;

	for (size_t i = 0; i < n && sp[i].from < at; i++)
		s += (sp[i].to < at ? sp[i].to : at) - sp[i].from;
	return s;
}

size_t
report_period_prefix(const struct report_span *sp, size_t n, int64_t len,
    struct report_span *out)
{
	size_t m = 0;

	assert(len >= 0);
	for (size_t i = 0; i < n && len > 0; i++) {
		int64_t d = sp[i].to - sp[i].from;

		if (d > len)
			d = len;
		out[m++] = (struct report_span){ sp[i].from, sp[i].from + d };
		len -= d;
	}
	return m;
}

int
report_period_breaks(const struct report_grant *g, size_t n, const struct report_span *sp,
    size_t nsp, int64_t units_milli, struct report_break **out, size_t *nout)
{
	struct report_break *v = NULL, *one, *grown;
	size_t total = 0, none;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	for (size_t i = 0; rc == 0 && i < nsp; i++) {
		if ((rc = report_resource_breaks(g, n, sp[i].from, sp[i].to, units_milli, &one,
		    &none)) < 0 || none == 0)
			continue;
		if ((grown = realloc(v, (total + none) * sizeof(*grown))) == NULL) {
			rc = GD_ENOMEM;
		} else {
			v = grown;
			memcpy(v + total, one, none * sizeof(*one));
			total += none;
		}
		free(one);
	}
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = total;
	return 0;
}

double
report_jain(const double *x, size_t n)
{
	double s = 0, s2 = 0;

	for (size_t i = 0; i < n; i++) {
		s += x[i];
		s2 += x[i] * x[i];
	}
	if (n == 0 || s2 == 0)
		return 1.0;
	return s * s / ((double)n * s2);
}

double
report_max_deviation_pct(const double *x, size_t n)
{
	double s = 0, mean, d, max = 0;

	for (size_t i = 0; i < n; i++)
		s += x[i];
	if (n == 0 || s == 0)
		return 0.0;
	mean = s / (double)n;
	for (size_t i = 0; i < n; i++) {
		d = fabs(x[i] - mean);
		if (d > max)
			max = d;
	}
	return 100.0 * max / mean;
}

char *
report_canonical(const json_t *report)
{
	json_t *c = json_copy((json_t *)report);
	char *s;

	if (c == NULL)
		return NULL;
	json_object_del(c, "generated_at");
	json_object_del(c, "digest");
	/* How this copy was served and signed, not what the report says. */
	json_object_del(c, "checkpoint");
	json_object_del(c, "signature");
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII |
	    JSON_REAL_PRECISION(15));
	json_decref(c);
	return s;
}

void
report_digest_of(const char *canonical, char out[REPORT_DIGEST_LEN])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)canonical, strlen(canonical));
	memcpy(out, "sha256:", 7);
	sodium_bin2hex(out + 7, REPORT_DIGEST_LEN - 7, h, sizeof(h));
}

int
report_digest(const json_t *report, char out[REPORT_DIGEST_LEN])
{
	char *s = report_canonical(report);

	if (s == NULL)
		return GD_ENOMEM;
	report_digest_of(s, out);
	free(s);
	return 0;
}

static int
buf_add(struct report_buf *b, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 256;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((np = realloc(b->p, cap)) == NULL)
			return GD_ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
report_csv_field(struct report_buf *b, const char *field)
{
	int rc = 0;

	if (strpbrk(field, ",\"\r\n") == NULL)
		return buf_add(b, field, strlen(field));
	rc = buf_add(b, "\"", 1);
	for (const char *p = field; rc == 0 && *p; p++)
		rc = *p == '"' ? buf_add(b, "\"\"", 2) : buf_add(b, p, 1);
	return rc == 0 ? buf_add(b, "\"", 1) : rc;
}

/*
 * A CSV column: the header and where its value lies in a team row; a local
 * column shows an instant in the programme's zone, with its offset, beside
 * the UTC column for people who read the file in a spreadsheet.
 */
struct column {
	const char *name, *path;
	bool local;
};

static const struct column columns[] = {
	{ "team", "team", false },
	{ "state", "state", false },
	{ "window_start", "window.start", false },
	{ "window_start_local", "window.start", true },
	{ "window_end", "window.end", false },
	{ "window_end_local", "window.end", true },
	{ "window_days", "window.days", false },
	{ "days", "days", false },
	{ "extra_days", "extra_days", false },
	{ "reached_days", "reached_days", false },
	{ "enrolled_on", "enrolled_on", false },
	{ "evaluation_on", "evaluation_on", false },
	{ "ended_at", "ended_at", false },
	{ "ended_at_local", "ended_at", true },
	{ "units", "units", false },
	{ "entitled_unit_hours", "entitled_unit_hours", false },
	{ "granted_unit_hours", "granted_unit_hours", false },
	{ "lost_unit_hours", "lost_unit_hours", false },
	{ "delivered_unit_hours", "delivered_unit_hours", false },
	{ "owed_unit_hours", "owed_unit_hours", false },
	{ "projected_unit_hours", "projected_unit_hours", false },
	{ "used_unit_hours", "used_unit_hours", false },
	{ "flagged_unit_hours", "flagged_unit_hours", false },
	{ "beyond_service_unit_hours", "beyond_service_unit_hours", false },
	{ "utilization", "utilization", false },
	{ "idle", "idle.flagged", false },
	{ "idle_since", "idle.since", false },
	{ "idle_since_local", "idle.since", true },
	{ "equal_period", "equal_period", false },
	{ "equal_resource", "equal_resource", false },
	{ "equal_delivery", "equal_delivery", false },
	{ "breaks", "breaks", false },
	{ "voucher_budget_krw", "voucher_budget_krw", false },
	{ "voucher_settled_krw", "voucher_settled_krw", false },
	{ "overrides", "overrides", false },
	/* What the nodes measured (issue 18): empty where nothing was. */
	{ "measured_gpu_seconds", "measured.gpu_seconds", false },
	{ "measured_busy_gpu_seconds", "measured.busy_gpu_seconds", false },
	{ "measured_util_weighted_gpu_seconds", "measured.util_weighted_gpu_seconds", false },
	{ "measured_energy_j", "measured.energy_j", false },
};

static const json_t *
lookup(const json_t *row, const char *path)
{
	char key[64];
	const char *dot;

	while ((dot = strchr(path, '.')) != NULL && row) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		row = json_object_get(row, key);
		path = dot + 1;
	}
	return row ? json_object_get(row, path) : NULL;
}

/* A cell's text: strings as they are, numbers as the canonical JSON shows them. */
/*
 * An array of breaks or overrides: their rules, ";"-separated, in order
 * ("equal_period;equal_delivery"); an array of anything else: its length.
 */
static void
rules_cell(const json_t *v, char *buf, size_t len)
{
	const json_t *x;
	size_t i, o = 0;
	int n;

	json_array_foreach(v, i, x) {
		const char *r = json_string_value(json_object_get(x, "rule"));

		if (r == NULL) {
			snprintf(buf, len, "%zu", json_array_size(v));
			return;
		}
		n = snprintf(buf + o, len - o, "%s%s", i ? ";" : "", r);
		if (n < 0 || (size_t)n >= len - o) {
			buf[o] = '\0';
			return;
		}
		o += (size_t)n;
	}
}

static void
cell(const json_t *v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (json_is_string(v))
		snprintf(buf, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, len, "%.15g", json_real_value(v));	/* as the digest has it */
	else if (json_is_boolean(v))
		snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_array(v))
		rules_cell(v, buf, len);
}

int
report_csv(const json_t *report, char **out, size_t *len)
{
	const json_t *teams = json_object_get(report, "teams"), *row, *v;
	const json_t *tz = json_object_get(report, "timezone");
	struct report_buf b = { NULL, 0, 0 };
	int32_t off;
	int64_t t;
	const size_t ncol = sizeof(columns) / sizeof(columns[0]);
	char text[512];
	size_t i, c;
	int rc = 0;

	if (!json_is_array(teams))
		return GD_EINVAL;
	/* A report without a zone (or with one grantd cannot read) is shown in UTC. */
	if (!json_is_string(tz) || civil_tz_offset(json_string_value(tz), &off) < 0)
		off = 0;
	for (c = 0; rc == 0 && c < ncol; c++) {
		if (c > 0)
			rc = buf_add(&b, ",", 1);
		if (rc == 0)
			rc = report_csv_field(&b, columns[c].name);
	}
	if (rc == 0)
		rc = buf_add(&b, "\r\n", 2);
	json_array_foreach(teams, i, row) {
		for (c = 0; rc == 0 && c < ncol; c++) {
			v = lookup(row, columns[c].path);
			if (columns[c].local && json_is_string(v) &&
			    civil_parse_instant(json_string_value(v), &t) == 0)
				civil_format_local(t, off, text);
			else
				cell(v, text, sizeof(text));
			if (c > 0)
				rc = buf_add(&b, ",", 1);
			if (rc == 0)
				rc = report_csv_field(&b, text);
		}
		if (rc == 0)
			rc = buf_add(&b, "\r\n", 2);
	}
	if (rc < 0) {
		free(b.p);
		return rc;
	}
	*out = b.p;
	*len = b.len;
	return 0;
}
