/* enrollment.c: the names of enrollment states and grant kinds (enrollment.h). */
#include "enrollment.h"
#include "names.h"

static const struct name_entry state_names[] = {
	{ ENROLLMENT_ACTIVE, "active" }, { ENROLLMENT_ELIMINATED, "eliminated" },
	{ ENROLLMENT_WITHDRAWN, "withdrawn" }, { ENROLLMENT_COMPLETED, "completed" },
};
static const struct name_entry kind_names[] = {
	{ GRANT_PLACED, "placed" }, { GRANT_MANUAL, "manual" },
	{ GRANT_COMPENSATION, "compensation" }, { GRANT_EXTENSION, "extension" },
};

const char *
enrollment_state_name(enum enrollment_state state)
{
	return names_name(state_names, NNAMES(state_names), (int)state, "unknown");
}

int
enrollment_state_parse(const char *s, enum enrollment_state *state)
{
	int v, rc;

	if ((rc = names_parse(state_names, NNAMES(state_names), s, &v)) == 0)
		*state = (enum enrollment_state)v;
	return rc;
}

const char *
grant_kind_name(enum grant_kind kind)
{
	return names_name(kind_names, NNAMES(kind_names), (int)kind, "unknown");
}

int
grant_kind_parse(const char *s, enum grant_kind *kind)
{
	int v, rc;

	if ((rc = names_parse(kind_names, NNAMES(kind_names), s, &v)) == 0)
		*kind = (enum grant_kind)v;
	return rc;
}

int64_t
enrollment_evaluation_day(int64_t evaluation_on, int64_t starts_on, int64_t start_day,
    int64_t extended_days)
{
	return evaluation_on + (start_day - starts_on) + extended_days;
}
