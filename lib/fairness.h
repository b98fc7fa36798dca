/* fairness.h: the programme's fairness rules (docs/domain.md) as checks of a proposed state. */
#ifndef GRANTD_FAIRNESS_H
#define GRANTD_FAIRNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "civil.h"
#include "timeline.h"

enum fairness_state {
	FAIRNESS_ACTIVE,
	FAIRNESS_ELIMINATED,
	FAIRNESS_WITHDRAWN,
	FAIRNESS_COMPLETED,
};

/* Rules an operator has overridden for one enrollment; capacity never can be. */
#define FAIRNESS_OVERRIDE_PERIOD	0x1u
#define FAIRNESS_OVERRIDE_RESOURCE	0x2u
#define FAIRNESS_OVERRIDE_DELIVERY	0x4u

struct fairness_phase {
	int64_t period;		/* seconds */
	int64_t units_milli;	/* package units */
	int64_t voucher_krw;	/* package voucher */
};

struct fairness_grant {
	const char *pool;
	int64_t weight_milli;	/* of the pool's card model */
	int64_t cards;
	int64_t from, to;
	bool makeup;		/* pays back outage losses after the window */
	bool added;		/* new or changed by the proposal: checked for capacity */
};

/* A view of one enrollment; the caller owns every pointer. */
struct fairness_enrollment {
	const char *team;
	enum fairness_state state;
	int64_t start, end;	/* its window [start, end) */
	int64_t effective_end;	/* eliminated or withdrawn: when its grants end; else unused */
	int64_t voucher_krw;	/* its voucher budget */
	const struct fairness_grant *grants;
	size_t ngrants;
	int64_t lost;		/* milli-unit-seconds outages took (outage_share_loss) */
	int64_t compensated;	/* milli-unit-seconds of its make-up grants */
	unsigned overrides;	/* FAIRNESS_OVERRIDE_* */
};

/*
 * A pool as it is without the proposal's added grants: a grant that a
 * proposal changes (an extension, say) is removed from the timeline and
 * passed again as added, so it is not counted twice.
 */
struct fairness_pool {
	const char *id;
	const struct timeline *tl;
};

/*
 * Room for two 63-character ids, four instants (each local and UTC,
 * CIVIL_WHEN_LEN) and the sentence around them.
 */
#define FAIRNESS_DETAIL_LEN 640

struct fairness_violation {
	const char *rule;	/* "capacity", "equal_period", "equal_resource", "equal_delivery" */
	char detail[FAIRNESS_DETAIL_LEN];
};

/* Owns its items; fairness_report_free releases them (NULL is fine). */
struct fairness_report {
	struct fairness_violation *items;
	size_t n, cap;
};

/*
 * Checks a proposed state as of instant `at`, listing every violation,
 * capacity first, then by rule, then in the enrollments' order.  Each
 * finding is reported once, naming its first instance and how many more
 * there are: per pool a capacity breach; per enrollment a wrong window, a
 * stretch of wrong units, a grant outside its range, a wrong voucher, a
 * debt.  Instants in a detail are written in `zone` (the programme's) with
 * UTC beside them (civil_format_when).  The rules:
 *
 * capacity: on each pool, the added grants fit on top of its timeline
 *	(timeline_check_add): granted <= capacity wherever they hold cards.
 *	Outages that later impair existing grants are losses, not breaches.
 * equal_period: every active or completed window lasts exactly the phase's
 *	period, so an extension reaches every active enrollment or it shows.
 *	Eliminated and withdrawn enrollments left by an audited decision.
 * equal_resource: at every instant of the window (up to effective_end when
 *	eliminated or withdrawn) the grants other than make-ups hold exactly
 *	the package units, no such grant reaches outside that range, and an
 *	active or completed enrollment's voucher equals the package voucher.
 * equal_delivery: an active or completed enrollment whose window has ended
 *	by `at` owes nothing: lost - compensated <= 0.  Every window holds the
 *	same units for the same time, so entitled unit-hours are equal, and
 *	delivered = entitled - lost + compensated ends at least entitled; the
 *	surplus of a make-up from outage_compensate is its rounding up to whole
 *	card-hours, less than one card-hour of its pool, reported in numbers
 *	rather than as a violation.  A debt during the window is not yet late.
 *
 * A rule overridden for an enrollment is not reported for it.  Callers that
 * refuse a change should compare with the current state's violations, so
 * that a known, overridden or old inequality does not block unrelated work.
 *
 * 0 with *out filled (possibly empty), or GD_EINVAL (bad grant or state),
 * GD_ENOENT (an added grant on a pool not given), GD_ERANGE, GD_ENOMEM.
 */
int fairness_check(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    size_t n, const struct fairness_pool *pools, size_t npools, int64_t at,
    const struct civil_zone *zone, struct fairness_report *out);
void fairness_report_free(struct fairness_report *r);

/* GD_ECAPACITY if any capacity violation, else GD_EFAIRNESS if any, else 0. */
int fairness_report_code(const struct fairness_report *r);

/* A stretch where an enrollment's units differ from the package. */
struct fairness_gap {
	int64_t from, to;
	int64_t units_milli;	/* held there, make-ups excluded */
};

/*
 * The stretches of the enrollment's checked range (see equal_resource)
 * where its units differ from the package, in time order, neighbours with
 * equal units merged.  *out is malloc'd (caller frees).  0, GD_EINVAL,
 * GD_ERANGE or GD_ENOMEM.  O(g log g) for g grants.
 */
int fairness_unit_gaps(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    struct fairness_gap **out, size_t *n);

/*
 * Where adding add_milli units over [from, to) would lift the enrollment
 * above the package: the stretches of [from, to) within its checked range
 * (see equal_resource) where the units it holds, make-ups excluded, plus
 * add_milli exceed the package units.  Each stretch carries the units held
 * before the addition; time order, neighbours with equal units merged, as
 * above.  Instants outside the checked range are not judged here (a grant
 * there breaks equal_period or equal_delivery, or reaches outside).  *out
 * is malloc'd (caller frees), possibly empty.  0, GD_EINVAL (bad
 * enrollment, add_milli < 0, from >= to), GD_ERANGE or GD_ENOMEM.
 */
int fairness_excess(const struct fairness_phase *ph, const struct fairness_enrollment *e,
    int64_t from, int64_t to, int64_t add_milli, struct fairness_gap **out, size_t *n);

#endif
