/* grants.h: grants by hand (added under the fairness rules, released), and what a team is owed. */
#ifndef GRANTD_GRANTS_H
#define GRANTD_GRANTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct calendar;
struct db;

/* Room for any detail: as long as a problem's detail can be (daemon/respond.c). */
#define GRANTS_ERRLEN 1024

/*
 * Every operation runs on the writer, in the caller's open transaction
 * (the request's savepoint): it loads what it needs through the store,
 * decides with lib/ (timeline, fairness, report) and writes through the
 * store.  A refusal writes nothing.  The caller audits the change.
 *
 * Returns 0 or a GD_* code from err.h.  A refusal comes with a one-line
 * detail in err (errlen bytes; GRANTS_ERRLEN hold any); err is left
 * empty for a failure of storage or memory (GD_EIO, GD_ENOMEM, or a
 * GD_ERANGE that the input limits should have prevented), which has no
 * better detail.  GD_EFAIRNESS comes with *violations instead: a new array
 * of {"rule", "detail"} (caller owns), the first one's detail in err.
 */

/* A grant to add, as the route decoded it. */
struct grant_new {
	const char *phase, *team, *pool;
	int64_t cards, start, end;		/* end > start, checked by the route */
	const char *start_text, *end_text;	/* start and end as the client wrote them */
	const char *override;			/* an admin's reason, or NULL */
	int64_t grace_days;			/* programme.compensation_grace_days */
};

/*
 * Adds a grant to an active enrollment.  Capacity first (never
 * overridable: GD_ECAPACITY), then three fairness rules, each set aside
 * only by in->override (and then recorded as overrides of action
 * "grant.create"):
 *	equal_resource	inside the window, the team's units (make-ups
 *			excluded) plus the new ones stay at most the package;
 *			and the grant does not reach past the window's end
 *	equal_period	it does not start before the window
 *	equal_delivery	one after the window (a make-up, kind
 *			"compensation") delivers no more than the team is owed
 * Other refusals: GD_ENOENT (not enrolled, no such pool), GD_ESTATE (not
 * active), GD_EINVAL (more unit-hours than can be counted).  On success
 * *id is the new grant and *out its API shape (caller owns).
 */
int grants_add(struct db *db, const struct grant_new *in, const char *request_id,
    int64_t now, int64_t *id, json_t **out, json_t **violations, char *err, size_t errlen);

/*
 * Releases grant `id` (named `name` in details, as the client wrote it) at
 * `at`: ends it there, or cancels it when at <= its start.  Taking cards
 * out of a window breaks equal_resource unless override (an admin's
 * reason, recorded as an override of action "grant.release").  Refusals:
 * GD_ENOENT (no such grant), GD_ESTATE (cancelled), GD_EINVAL (at not
 * before its end), GD_EFAIRNESS.  On success *out is its API shape.
 */
int grants_release(struct db *db, int64_t id, const char *name, int64_t at,
    const char *override, const char *request_id, int64_t now, json_t **out,
    json_t **violations, char *err, size_t errlen);

/* One grant in the API shape (its "team" tells whose it is); GD_ENOENT: none. */
int grants_get(struct db *db, int64_t id, json_t **out);

/* Grant ids: "gr_123" <-> 123; parse gives GD_EINVAL for anything else. */
int grants_id_parse(const char *s, int64_t *id);
void grants_id_format(int64_t id, char buf[32]);

/* What GET /v1/grants filters by; NULL or -1: any. */
struct grants_query {
	const char *team, *pool, *phase;
	int64_t at;
	int64_t after;		/* a grant id from the previous page; 0: from the first */
	int64_t limit;
};

/* A page of grants in the API shape: *items and *next (NULL on the last page) are the caller's. */
int grants_list(struct db *db, const struct grants_query *q, json_t **items, char **next);

/*
 * What outages took from the enrollment and no make-up has paid back yet
 * (lib/report.h, report_owed), in milli-unit-seconds: lost is its loss
 * over all time (calendar_losses), and cal holds every pool.
 */
int grants_owed(struct db *db, const struct calendar *cal, int64_t enrollment, int64_t lost,
    int64_t *owed);

/*
 * Fairness violations, shared with enroll.c: a new {"rule", "detail"}
 * object; and the recording of each overridden one with the admin's
 * reason, the action and the request, inside the change's savepoint.
 */
json_t *grants_violation(const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int grants_record_overrides(struct db *db, const char *phase, const char *team,
    const json_t *violations, const char *reason, const char *action,
    const char *request_id, int64_t now);

#endif
