/* team_rules.c: the rules between a team's enrollments: one at a time, none after an end. */
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "civil.h"
#include "err.h"
#include "grants.h"
#include "store_grants.h"
#include "team_rules.h"

/* A violation of a rule between enrollments, naming the team it concerns. */
static void
team_violation(json_t *viol, const char *team, json_t *v)
{
	if (v != NULL)
		json_object_set_new(v, "team", json_string(team));
	json_array_append_new(viol, v);
}

int
team_span_end(struct db *db, const struct enrollment *e, int64_t *end)
{
	struct grant *gs = NULL;
	size_t n = 0;
	int64_t t = e->end;
	int rc;

	if ((rc = store_grants_of(db, e->id, &gs, &n)) < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (gs[i].end > t)
			t = gs[i].end;
	free(gs);
	if (e->ended_at >= 0 && e->ended_at < t)
		t = e->ended_at;
	*end = t;
	return 0;
}

int
team_rules_check(struct db *db, const struct phase_info *pi, const char *team,
    int64_t self, int64_t from, int64_t to, bool is_new, json_t *viol)
{
	struct enrollment *es = NULL;
	char a[APP_WHEN_LEN], b[APP_WHEN_LEN];
	size_t n = 0;
	int64_t end;
	int rc;

	if ((rc = store_enrollments_of_team(db, pi->program, team, &es, &n)) < 0)
		return rc;
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct enrollment *o = &es[i];

		if (o->id == self)
			continue;
		if (is_new && (o->state == ENROLLMENT_ELIMINATED ||
		    o->state == ENROLLMENT_WITHDRAWN)) {
			app_format_when_in(o->ended_at, pi->tz, pi->tz_off, a);
			team_violation(viol, team, grants_violation("one_enrollment", "team '%s' "
			    "was %s from phase '%s' at %s; a team that was eliminated or withdrew "
			    "is not enrolled again without an override", team,
			    enrollment_state_name(o->state), o->phase, a));
			continue;
		}
		if ((rc = team_span_end(db, o, &end)) < 0)
			break;
		/* One ended on or before its first day holds no time at all. */
		if (end > o->start && from < end && to > o->start) {
			app_format_when_in(o->start, pi->tz, pi->tz_off, a);
			app_format_when_in(end, pi->tz, pi->tz_off, b);
			team_violation(viol, team, grants_violation("one_enrollment", "team '%s' "
			    "holds its enrollment in phase '%s' from %s to %s (window, extensions "
			    "and make-ups); a team holds one enrollment at a time, so this may "
			    "start at %s at the earliest", team, o->phase, a, b, b));
		}
	}
	free(es);
	return rc;
}

int64_t
team_evaluation_day(const struct phase_info *pi, int64_t window_start)
{
	if (pi->evaluation_on < 0)
		return -1;
	return enrollment_evaluation_day(pi->evaluation_on, pi->starts_on,
	    civil_local_day(window_start, pi->tz_off), pi->extended_days);
}

void
team_evaluation_check(const struct phase_info *pi, const struct enrollment *e, int64_t to,
    const char *what, json_t *viol)
{
	int64_t day = team_evaluation_day(pi, e->start), at;
	char when[APP_WHEN_LEN], date[CIVIL_DATE_LEN];

	if (day < 0)
		return;
	at = civil_local_midnight(day, pi->tz_off);
	if (to <= at)
		return;
	civil_format_date(day, date);
	app_format_when_in(to, pi->tz, pi->tz_off, when);
	team_violation(viol, e->team, grants_violation("evaluation_date", "%s of team '%s' would "
	    "run until %s, past the team's evaluation date %s", what, e->team, when, date));
}
