/* enroll.h: enrollments: placement or an explicit split, dry runs, ending, extension, make-ups. */
#ifndef GRANTD_ENROLL_H
#define GRANTD_ENROLL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_catalog.h"	/* struct phase_info */

struct db;

/*
 * Every operation runs on the writer (reads: on the connection given), in
 * the caller's open transaction: it loads through the store and the
 * calendar, decides with lib/ (placement, outage, report) and writes
 * through the store.  A refusal writes nothing that outlives the request's
 * savepoint.  The caller audits the change.
 *
 * Returns 0 or a GD_* code from err.h.  A refusal comes with a one-line
 * detail in err (errlen bytes; ENROLL_ERRLEN hold any); err is left empty
 * for a failure of storage or memory (GD_EIO, GD_ENOMEM, or a GD_ERANGE
 * that the input limits should have prevented), which has no better detail.
 */

/* Room for any detail: as long as a problem's detail can be (daemon/respond.c). */
#define ENROLL_ERRLEN 1024

/* The contract: no start within 3 years is no_capacity. */
#define ENROLL_HORIZON_DAYS 1096
/* An explicit split names at most this many grants. */
#define ENROLL_MAX_SPLIT 64
/* An extension adds at most this many days at once. */
#define ENROLL_MAX_EXTEND_DAYS 3650

/* A phase by id: GD_ENOENT ("phase 'x' does not exist") when there is none. */
int enroll_phase_load(struct db *db, const char *phase, struct phase_info *pi, char *err,
    size_t errlen);

/* A new enrollment, as the route decoded its body. */
struct enroll_new {
	const char *team;
	int64_t not_before;		/* a local date (JV_DATE) */
	bool has_not_before, dry_run;
	/*
	 * The request's arrays (borrowed), checked here element by element in
	 * the order the contract answers: "pools" (ids to search; NULL: all)
	 * or "grants" (an explicit split, [{"pool", "cards"}]; NULL: search).
	 */
	const json_t *pools, *grants;
	const char *override;		/* an admin's reason, or NULL */
};

/*
 * Enrolls in->team in the phase: its window [start, start + period) from
 * the earliest start on or after not_before (or the phase's start) at
 * which the package fits, placed on as few pools as it can
 * (lib/placement), or the explicit split from not_before; its grants
 * ("placed" or "manual"), and its voucher opened.  An explicit split that
 * is not the package breaks equal_resource, allowed only by in->override
 * (recorded as overrides of action "enrollment.create").  A dry run
 * decides the same and writes nothing.
 *
 * On success *out is the reply (caller owns): the enrollment in the API
 * shape (a preview without ids for a dry run), with "overridden" (the
 * rules set aside) and "delays" (which pools held the start back) when
 * there are any.  Refusals: GD_ENOENT (no such team or pool), GD_EEXIST
 * (already enrolled), GD_EINVAL (a bad split or pools list, not_before
 * before the phase), GD_ENOCAPACITY, GD_EFAIRNESS with *violations (a new
 * array, caller owns).  A GD_ENOCAPACITY whose package fits later than the
 * horizon has *fields (caller owns): "earliest_start", "earliest_start_date"
 * and "delays", to add to the problem in that order.
 */
int enroll_create(struct db *db, const struct phase_info *pi, const struct enroll_new *in,
    const char *request_id, int64_t now, json_t **out, json_t **violations,
    json_t **fields, char *err, size_t errlen);

/* A phase's enrollments in team order, a page at a time (team: only its own; NULL: all). */
int enroll_list(struct db *db, const struct phase_info *pi, const char *team,
    const char *after, int64_t limit, json_t **items, char **next);

/* One enrollment in the API shape; GD_ENOENT with a detail when the team is not enrolled. */
int enroll_get(struct db *db, const struct phase_info *pi, const char *team, json_t **out,
    char *err, size_t errlen);

/* How an enrollment ends before its window does. */
enum enroll_end {
	ENROLL_ELIMINATED,
	ENROLL_WITHDRAWN,
};

/*
 * Ends an active enrollment from 00:00 local time of the date `day` (not
 * before its window starts): every live grant is cut there, its state set
 * and its voucher closed (lib/ledger: pending holds voided, the rest
 * returned).  Refusals: GD_ENOENT (not enrolled), GD_ESTATE (not active),
 * GD_EINVAL (on or after the window's end), the voucher's refusals.  *out
 * is the enrollment in the API shape.
 */
int enroll_end(struct db *db, const struct phase_info *pi, const char *team,
    enum enroll_end how, int64_t day, int64_t now, json_t **out, char *err, size_t errlen);

/*
 * (enroll_extend.c) Extends every enrollment of the phase that was not
 * eliminated or withdrawn by `days` (1 to ENROLL_MAX_EXTEND_DAYS): an
 * active one's window, the grants that reach the end of its window, and
 * its make-ups after the window, which move later by `days`; a completed
 * one gets the days after its window as "extension" grants of the split
 * it ended with (its extra_days count them).  Each team's evaluation date
 * moves by `days`.  An arrangement that would meet another enrollment of a
 * team (one_enrollment) or run past a team's evaluation date is
 * GD_EFAIRNESS with *violations unless fx->override gives a reason.
 * All or none: the new arrangement is checked pool by pool against the
 * calendar before anything is written.  Refusals: GD_EINVAL (the period
 * would pass UNITS_MAX_PERIOD_DAYS), GD_ESTATE (no active enrollment),
 * GD_ERANGE (an instant past what can be represented), GD_ECAPACITY (naming
 * the pool, the instant and the moved make-ups that ask for cards there).
 * *out is the reply: {"phase", "days", "period_days", "enrollments",
 * "moved", "extended"}, where "moved" lists each make-up's old and new
 * place (the audit entry keeps it too) and "extended" each team's share:
 * {"team", "state", "how": "window"|"after_window", "window_end" or
 * "after_window": {"start", "end"}}.
 */
struct enroll_fix {
	bool dry_run;
	const char *override;		/* an admin's reason, or NULL */
	const char *request_id;
	int64_t grace_days;		/* compensate: programme.compensation_grace_days */
};

int enroll_extend(struct db *db, const struct phase_info *pi, const struct enroll_fix *fx,
    int64_t days, int64_t now, json_t **out, json_t **violations, char *err, size_t errlen);

/*
 * Pays back what outages took from each active enrollment of the phase, and
 * each completed one whose window ended at most fx->grace_days ago,
 * that is owed something (lib/report.h, report_owed): one make-up grant
 * (or two, lib/outage.h) after its window, or after now when the window
 * has ended, on pools of the package's card weight or more.  A dry run
 * decides the same and writes nothing.  A make-up that would run past its
 * team's evaluation date (evaluation_date) or meet another enrollment of
 * the team (one_enrollment) is GD_EFAIRNESS with *violations, unless
 * fx->override gives a reason (recorded, action "phase.compensate").
 * Refusals: GD_ENOCAPACITY, and the codes of lib/outage.  *out is the list of make-ups,
 * [{"team", "owed_unit_hours", "grant"}] (empty when nothing is owed).
 */
int enroll_compensate(struct db *db, const struct phase_info *pi, const struct enroll_fix *fx,
    int64_t now, json_t **out, json_t **violations, char *err, size_t errlen);

#endif
