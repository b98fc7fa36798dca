/* team_rules.h: the rules between a team's enrollments: one at a time, none after an end. */
#ifndef GRANTD_TEAM_RULES_H
#define GRANTD_TEAM_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store_catalog.h"	/* struct phase_info */
#include "store_enrollments.h"

struct db;

/*
 * The time an enrollment holds its team: [window start, span end), where
 * the span ends with the last of its window and its live grants (make-ups
 * and extension days after the window included), or at ended_at for one
 * eliminated or withdrawn.  0 or a store code.
 */
int team_span_end(struct db *db, const struct enrollment *e, int64_t *end);

/*
 * One live enrollment per team at any time (domain rule 2, issue 14): adds
 * a "one_enrollment" violation to viol for each enrollment of team in pi's
 * programme, other than `self` (an enrollment id, or 0), whose span meets
 * [from, to).  With is_new (a new enrollment), any earlier enrollment of
 * the team that was eliminated or withdrawn is a violation too, wherever
 * it lies in time: such a team is not enrolled again without an override.
 * 0 or a store code.
 */
int team_rules_check(struct db *db, const struct phase_info *pi, const char *team,
    int64_t self, int64_t from, int64_t to, bool is_new, json_t *viol);

/*
 * The local day a team is evaluated on: the phase's evaluation_on is the
 * first teams' date, a team whose window starts k days after the phase's
 * starts_on is evaluated k days later (the same margin after its own
 * window), and every extension moves every team's date by its days.  -1
 * when the phase has no evaluation date.
 */
int64_t team_evaluation_day(const struct phase_info *pi, int64_t window_start);

/*
 * Adds an "evaluation_date" violation when [from, to), a grant of team e
 * after its window, runs past the start (local midnight) of the team's
 * evaluation day; what names it is `what` ("a make-up", "a grant").
 */
void team_evaluation_check(const struct phase_info *pi, const struct enrollment *e,
    int64_t to, const char *what, json_t *viol);

#endif
