/* across.h: fairness judged between teams, at the same point of each team's own window. */
#ifndef GRANTD_ACROSS_H
#define GRANTD_ACROSS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The fairness report compares teams with each other, never each with
 * itself (issue 14).  Day k of a team is the k-th day of its own period
 * (its window, then the extension days it was given after the window:
 * lib/report.h's report_period_*), so a late team's day 30 is compared with
 * the first teams' day 30, not with what they had on the same calendar day.
 *
 * A team, as the comparison sees it:
 *
 *	days       its period: window days plus extension days it was given
 *		   after the window (extra_days)
 *	reached    whole days of its period reached so far (by `at`, or by
 *		   its end when eliminated or withdrawn)
 *	delivered  delivered[k - 1], k = 1..reached: the normalised units it
 *		   was delivered by the end of its day k, in mus (lib/report.h),
 *		   make-ups credited, up to the losses, for what they delivered
 *		   by `at` (the daemon's)
 *	projected  what it is delivered over its whole period as scheduled now
 *		   (window, make-ups and extension days after the window, less
 *		   every loss known), in mus
 *	ended      eliminated or withdrawn: compared only up to its end, and
 *		   neither in the period nor the projection nor the index
 *
 * The yardstick is the same for every team: the package fully delivered,
 * ref(k) = units x k days by the end of day k, and ref = units x period
 * (the phase's days, extensions included) for the projection.  With tol
 * the tolerance (one unit-hour):
 *
 *	equal period   every team not ended has the phase's days.  A team
 *		       whose days differ breaks it, by days - period.
 *	equal delivery for every k, among the teams that reached day k, the
 *		       largest and smallest delivered[k - 1] differ by at most
 *		       tol, and each is within tol of ref(k); and the same for
 *		       the projections of the teams not ended, against ref.
 *		       A team farther than tol from the yardstick breaks it;
 *		       where the teams differ by more than tol though none is
 *		       that far, the ones farthest from the yardstick do.  So
 *		       a team that merely got a make-up rounded up a little is
 *		       not named beside the one that lost, and two teams short
 *		       among four are named, not the two that were served.
 *		       A row names the day (0: the projection) of its largest
 *		       distance from the yardstick and that gap, signed (below:
 *		       short; above: a surplus).
 *	common day     K, the fewest days reached among the teams not ended
 *		       whose window has begun (0 when none has); Jain's index
 *		       and the largest deviation (lib/report.h) are taken over
 *		       their delivered[K - 1], the same point of every window.
 *
 * Gaps are computed in 128 bits; a gap beyond int64_t is clamped.
 */
struct across_team {
	bool ended;
	int64_t days;
	size_t reached;
	const int64_t *delivered;	/* reached values, non-decreasing is not assumed */
	int64_t projected;
};

struct across_verdict {
	bool period_ok;
	int64_t period_gap_days;	/* days - the phase's period; 0 when period_ok */
	bool delivery_ok;
	int64_t gap_day;		/* 1..reached, or 0 for the projection; 0 when ok */
	int64_t gap;			/* mus from the yardstick; 0 when ok */
};

struct across_summary {
	bool equal_period, equal_delivery;
	int64_t common_day;		/* K */
	size_t counted;			/* teams in the index */
	int64_t jain_micro;		/* Jain's index x 10^6, rounded */
	int64_t max_deviation_milli;	/* percent x 10^3, rounded */
};

/* The yardstick: the package's units (milli-units) and the phase's period in days. */
struct across_ref {
	int64_t units_milli;
	int64_t period_days;
	int64_t tol;			/* mus */
};

/* Judges n teams into v[0..n) and *s; 0 or GD_ENOMEM. */
int across_judge(const struct across_team *t, size_t n, const struct across_ref *ref,
    struct across_verdict *v, struct across_summary *s);

#endif
