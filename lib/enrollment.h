/* enrollment.h: the states of an enrollment and the kinds of its grants, and their names. */
#ifndef GRANTD_ENROLLMENT_H
#define GRANTD_ENROLLMENT_H

#include <stdint.h>

/*
 * Inside grantd these are compared as enums; their names are only for the
 * edges: the API's JSON and the SQL text columns (schema/002_grants.sql
 * and 009 check the same names).
 */
enum enrollment_state {
	ENROLLMENT_ACTIVE = 1,		/* "active": its window is open or to come */
	ENROLLMENT_ELIMINATED,		/* "eliminated": ended early by an admin */
	ENROLLMENT_WITHDRAWN,		/* "withdrawn": ended early by the team */
	ENROLLMENT_COMPLETED,		/* "completed": its window ran out */
};

enum grant_kind {
	GRANT_PLACED = 1,		/* "placed": by the placement at enrollment */
	GRANT_MANUAL,			/* "manual": given by hand, or at enrollment by hand */
	GRANT_COMPENSATION,		/* "compensation": after the window, for an outage */
	GRANT_EXTENSION,		/* "extension": a phase's extra days, after a window
				   that had ended (schema/009) */
};

/*
 * The names, "unknown" for a value out of the enum; and back: 0, or
 * GD_EINVAL for an unknown name (nothing written).
 */
const char *enrollment_state_name(enum enrollment_state state);
int enrollment_state_parse(const char *s, enum enrollment_state *state);
const char *grant_kind_name(enum grant_kind kind);

/*
 * The local day a team is evaluated on (domain rule 2): a phase's
 * evaluation_on is the date of the teams that start on its starts_on; a
 * team whose window starts k days later is evaluated k days later, the
 * same margin after its own window; every extension of the phase moves
 * every team's date by its days.  All in local day numbers.
 */
int64_t enrollment_evaluation_day(int64_t evaluation_on, int64_t starts_on, int64_t start_day,
    int64_t extended_days);
int grant_kind_parse(const char *s, enum grant_kind *kind);

#endif
