/* report.h: the pure arithmetic of usage, quota and the fairness report. */
#ifndef GRANTD_REPORT_H
#define GRANTD_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Units.  Every quantity of compute time is an exact int64_t of
 * milli-unit-seconds ("mus"): cards x weight_milli x seconds (B200 weighs
 * 1000, H100 500).  Metered usage arrives as GPU-seconds (card-seconds) and
 * becomes mus by the weight of its pool's card model.  The API shows
 * unit-hours, mus / 3 600 000, as numbers with three decimals.
 *
 * The figures of one enrollment at an instant `at` (default: now):
 *
 *	E        = min(window.end, ended_at when eliminated or withdrawn)
 *	counted  = [window.start, min(at, E))		(empty before the start)
 *	entitled = package units x |counted|
 *	granted  = sum over its live grants of units x |grant interval
 *		   intersected with [window.start, at)|.  Compensation (make-up)
 *		   grants lie after the window; they count too, up to `at`.
 *	lost     = what outages took from its grants before `at` (shared among
 *		   a pool's grants in proportion to their cards, lib/outage.h)
 *	delivered = granted - lost
 *	owed     = max(0, lost over all time - units x length of every
 *		   compensation grant, all time): what a make-up still has to pay
 *	used     = metered usage in the UTC hours that begin before `at`
 *		   (usage is kept per hour; the hour holding `at` counts whole)
 *	utilization = used / delivered, 0 when delivered <= 0 (may exceed 1
 *		   when a team ran more than it was granted: that usage is flagged)
 *
 * The fairness report compares the teams of a phase with each other, at
 * the same point of each team's own window: lib/across.h.  Jain's index
 * and the largest deviation it quotes are report_jain and
 * report_max_deviation_pct below.
 */

#define REPORT_HOUR 3600
/* Unit-hours: mus per unit-hour. */
#define REPORT_MUS_PER_UNIT_HOUR INT64_C(3600000)

/* Floor of t to its UTC hour (t may be negative). */
int64_t report_hour_floor(int64_t t);

/*
 * Splits `total` GPU-seconds measured over [from, to) among the UTC hours
 * it spans, in proportion to the seconds in each, exactly: the piece ending
 * at b gets floor(total x (b - from) / L) - floor(total x (a - from) / L),
 * L = to - from, so the pieces are integers that sum to total.
 *
 *	struct report_split s;
 *	report_split_init(&s, from, to, total);
 *	while (report_split_next(&s, &piece)) ...
 *
 * from < to and 0 <= total are the caller's to check.
 */
struct report_split {
	int64_t from, to, total, at;
	int64_t given;
};

struct report_piece {
	int64_t hour;		/* the UTC hour's start */
	int64_t from, to;	/* the part of [from, to) in it */
	int64_t share;		/* GPU-seconds */
};

void report_split_init(struct report_split *s, int64_t from, int64_t to, int64_t total);
bool report_split_next(struct report_split *s, struct report_piece *p);

/* One live grant, as the quota arithmetic needs it. */
struct report_grant {
	int64_t start, end;	/* [start, end) */
	int64_t units_milli;	/* cards x weight_milli */
	bool compensation;
};

/* |[a, b) intersected with [c, d)|, 0 when they do not meet. */
int64_t report_overlap(int64_t a, int64_t b, int64_t c, int64_t d);

/*
 * Sum of units x seconds of the grants within [from, to).  0 or GD_ERANGE
 * (beyond int64_t).
 */
int report_granted(const struct report_grant *g, size_t n, int64_t from, int64_t to,
    int64_t *mus);

/*
 * Owed, the one definition (see above): what outages took from an
 * enrollment, lost_total (mus, all time, over all its live grants), less
 * units x length of every compensation grant among g, all time; never
 * below 0.  The fairness report, quota, compensate and a grant added by
 * hand after the window all judge a debt by it.  report_compensation is
 * the second term alone.  0, or GD_ERANGE when a sum passes int64_t.
 */
int report_compensation(const struct report_grant *g, size_t n, int64_t *mus);
/*
 * What the compensation grants among g have delivered before `at`: units x
 * the part of each one's interval before at.  A make-up scheduled after at
 * has delivered nothing yet (the fairness report credits only this).  0 or
 * GD_ERANGE.
 */
int report_compensation_before(const struct report_grant *g, size_t n, int64_t at,
    int64_t *mus);
/*
 * The earliest instant by which the compensation grants among g have
 * delivered `target` mus (report_compensation_before(g, n, *when) >=
 * target): 0, or GD_ENOENT when all of them together deliver less, or
 * GD_ERANGE.  A target of 0 or less is reached at civil_min_instant().
 */
int report_compensation_reaches(const struct report_grant *g, size_t n, int64_t target,
    int64_t *when);
int report_owed(const struct report_grant *g, size_t n, int64_t lost_total, int64_t *owed);

/* What one enrollment's figures are computed from (see above). */
struct report_facts {
	int64_t start, end;		/* the window */
	int64_t ended_at;		/* -1 unless eliminated or withdrawn */
	int64_t units_milli;		/* the package */
	int64_t granted;		/* mus, as above, up to at */
	int64_t lost;			/* mus lost before at */
	int64_t lost_total;		/* mus lost, all time */
	int64_t compensation_total;	/* report_compensation of its grants */
	int64_t used;			/* mus metered up to at */
};

struct report_figures {
	int64_t counted_from, counted_to;	/* counted_to <= counted_from: nothing yet */
	int64_t entitled, granted, lost, delivered, owed, used;
	int64_t utilization_ppm;		/* used / delivered in millionths */
	int64_t days, days_elapsed, days_left;
};

/* 0, or GD_ERANGE when a product passes int64_t. */
int report_figures(const struct report_facts *in, int64_t at, struct report_figures *out);

/*
 * Where an enrollment's granted units differ from the package within
 * [from, to): maximal stretches of one granted amount other than
 * units_milli, in time order.  *out is malloc'd (NULL when there is none);
 * 0, GD_ERANGE or GD_ENOMEM.
 */
struct report_break {
	int64_t from, to;
	int64_t units_milli;	/* what was granted there */
};
int report_resource_breaks(const struct report_grant *g, size_t n, int64_t from, int64_t to,
    int64_t units_milli, struct report_break **out, size_t *nout);

/*
 * A team's period as the fairness report walks it day by day (issue 14):
 * its window, then the days it was given after the window (a completed
 * team's extension grants, wherever on the calendar they fell), as spans
 * [from, to).  Day k of the period is the k-th day of their concatenation
 * in time order: after a window of 30 days, day 30 + j is the j-th day of
 * the extension days, so it is compared with another team's day 30 + j
 * inside its longer window.
 *
 * report_period_merge sorts sp[0..*n) by start and joins the spans that
 * overlap or touch, in place, dropping empty ones: the spans then do not
 * meet and are in time order, as the functions below take them.
 *
 * report_period_elapsed: the seconds of the period before at, the sum of
 * |span intersected with (-inf, at)|; whole days reached = this / 86400.
 *
 * report_period_prefix: the first len seconds of the period (len >= 0), as
 * the part of each span that lies in them, in order, into out (room for n;
 * spans past the prefix give none); returns how many it wrote.  A prefix
 * longer than the period is the whole period.
 *
 * report_period_breaks: report_resource_breaks over each span in turn,
 * concatenated (time order); the same returns.
 */
struct report_span {
	int64_t from, to;
};
void report_period_merge(struct report_span *sp, size_t *n);
int64_t report_period_elapsed(const struct report_span *sp, size_t n, int64_t at);
size_t report_period_prefix(const struct report_span *sp, size_t n, int64_t len,
    struct report_span *out);
int report_period_breaks(const struct report_grant *g, size_t n, const struct report_span *sp,
    size_t nsp, int64_t units_milli, struct report_break **out, size_t *nout);

/*
 * Jain's index and the largest relative deviation (percent) of x[0..n),
 * unrounded: J = (sum x)^2 / (n sum x^2) in [1/n, 1], 1 when all are equal
 * (also when n = 0 or every x is 0); deviation = 100 x max |x_i - mean| /
 * mean (0 when the mean is 0).  In IEEE double.
 */
double report_jain(const double *x, size_t n);
double report_max_deviation_pct(const double *x, size_t n);

/*
 * The canonical serialisation of a report: the JSON object without its
 * "generated_at", "digest", "checkpoint" and "signature" members (how a
 * copy was produced and signed, not what it says), dumped by jansson with
 * JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(15):
 *
 *	- no whitespace; object keys sorted by their UTF-8 bytes;
 *	- strings escape '"', '\\' and control characters (\b \f \n \r \t,
 *	  others \u00XX) and every non-ASCII character as \uXXXX with upper
 *	  case hex digits (surrogate pairs beyond U+FFFF); '/' is not escaped;
 *	- integers in decimal; reals printed as printf("%.15g"), then ".0"
 *	  appended when the result has neither '.' nor 'e'.
 *
 * Every real in a report has at most 15 significant digits (unit-hours
 * with 3 decimals, Jain's index with 6, percentages with 3) and is 0 or at
 * least 0.0001, so "%.15g" prints it in plain decimal notation, the
 * shortest that reads back the same.  A reader recomputes the digest
 * from a published report, e.g. in Python:
 *
 *	r = json.loads(text)
 *	for k in ("generated_at", "digest", "checkpoint", "signature"): r.pop(k, None)
 *	s = json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
 *	s = re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m.group(1).upper(), s)
 *	"sha256:" + hashlib.sha256(s.encode()).hexdigest() == digest
 *
 * (Python escapes with lower case hex; jansson with upper case.)
 *
 * report_canonical returns the malloc'd text or NULL (out of memory).
 * report_digest writes "sha256:" and 64 lower case hex digits;
 * report_digest_of the same from a text report_canonical made.
 */
#define REPORT_DIGEST_LEN (7 + 64 + 1)
char *report_canonical(const json_t *report);
int report_digest(const json_t *report, char out[REPORT_DIGEST_LEN]);
void report_digest_of(const char *canonical, char out[REPORT_DIGEST_LEN]);

/*
 * The CSV form of a fairness report (RFC 4180: CRLF line ends, a field
 * with a comma, quote, CR or LF is quoted and its quotes doubled): a header
 * row, then one row per item of report["teams"]; each instant column is
 * followed by its _local twin in report["timezone"] ("2026-03-01T00:00:00
 * +09:00" without the space; UTC when absent).  *out is malloc'd and
 * NUL-terminated; 0, GD_EINVAL (not a report) or GD_ENOMEM.
 */
int report_csv(const json_t *report, char **out, size_t *len);

/* Appends one field, quoted when RFC 4180 needs it, to buf (grows it). */
struct report_buf {
	char *p;
	size_t len, cap;
};
int report_csv_field(struct report_buf *b, const char *field);

#endif
