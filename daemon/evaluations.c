/* evaluations.c: a phase's evaluations: per-team decisions, eliminations, applicants. */
#include <stdio.h>
#include <string.h>

#include "enroll.h"
#include "err.h"
#include "evaluations.h"
#include "jsonv.h"
#include "request.h"
#include "store_enrollments.h"
#include "store_evaluations.h"

/* One result as decoded. */
struct result {
	const char *team, *decision, *note;
	int64_t score;
	bool has_score;
};

static int
decode_result(const json_t *o, size_t i, struct result *r, char *err, size_t errlen)
{
	const struct jv_field f[] = {
		{ "team", JV_ID, JV_REQUIRED, 0, 0, &r->team, NULL },
		{ "decision", JV_STR, JV_REQUIRED, 0, 16, &r->decision, NULL },
		{ "score", JV_MILLI, JV_NULLABLE, 0, 1000000, &r->score, &r->has_score },
		{ "note", JV_TEXT, JV_NULLABLE, 0, REASON_MAX_LEN, &r->note, NULL },
	};
	char prefix[32], detail[GD_ERRBUF];

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o)) {
		snprintf(err, errlen, "results[%zu] must be an object", i);
		return GD_EINVAL;
	}
	snprintf(prefix, sizeof(prefix), "results[%zu].", i);
	if (jv_decode(o, f, sizeof(f) / sizeof(f[0]), prefix, detail, sizeof(detail)) < 0) {
		snprintf(err, errlen, "%s", detail);
		return GD_EINVAL;
	}
	if (strcmp(r->decision, "advance") != 0 && strcmp(r->decision, "eliminate") != 0) {
		snprintf(err, errlen, "results[%zu].decision must be advance or eliminate", i);
		return GD_EINVAL;
	}
	return 0;
}

/* What a decision does to the team's enrollment; "eliminated" ones are added to elim. */
static int
apply_result(struct db *db, const struct phase_info *pi, const struct evaluation_in *in,
    const struct result *r, int64_t now, struct evaluation_result *out, json_t *elim)
{
	struct enrollment e;
	char err[ENROLL_ERRLEN];
	json_t *obj = NULL;
	int rc = store_enrollment_get(db, pi->id, r->team, &e);

	*out = (struct evaluation_result){ .team = r->team, .decision = r->decision,
		.note = r->note, .score_milli = r->has_score ? r->score : -1,
		.enrolled = rc == 0, .applied = "none" };
	if (rc == GD_ENOENT)
		return 0;	/* an applicant that was not selected, or one recorded as advancing */
	if (rc < 0 || strcmp(r->decision, "eliminate") != 0)
		return rc < 0 ? rc : 0;
	if (e.state == ENROLLMENT_ELIMINATED || e.state == ENROLLMENT_WITHDRAWN) {
		out->applied = "already_ended";
		return 0;
	}
	if (e.state == ENROLLMENT_COMPLETED) {
		out->applied = "completed";
		return 0;
	}
	rc = enroll_end(db, pi, r->team, ENROLL_ELIMINATED, in->effective_on, now, &obj, err,
	    sizeof(err));
	/* Effective on or after the window's end: the window completes by itself. */
	if (rc == GD_EINVAL) {
		out->applied = "completed";
		return 0;
	}
	if (rc < 0)
		return rc;
	json_decref(obj);
	out->applied = "eliminated";
	return json_array_append_new(elim, json_string(r->team)) == 0 ? 0 : GD_ENOMEM;
}

int
evaluations_record(struct db *db, const struct phase_info *pi, const struct evaluation_in *in,
    int64_t now, json_t **out, json_t **eliminated, char *err, size_t errlen)
{
	size_t n = json_array_size(in->results);
	struct result r[EVALUATION_MAX_RESULTS];
	struct evaluation_result er;
	json_t *elim = NULL;
	int64_t id;
	int rc = 0;

	err[0] = '\0';
	*out = *eliminated = NULL;
	if (in->effective_on < in->held_on) {
		snprintf(err, errlen, "effective_on must not be before held_on");
		return GD_EINVAL;
	}
	if (n == 0 || n > EVALUATION_MAX_RESULTS) {
		snprintf(err, errlen, "results must list 1 to %d teams", EVALUATION_MAX_RESULTS);
		return GD_EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = decode_result(json_array_get(in->results, i), i, &r[i], err, errlen)) < 0)
			return rc;
		for (size_t k = 0; k < i; k++)
			if (strcmp(r[k].team, r[i].team) == 0) {
				snprintf(err, errlen, "results[%zu]: team '%s' is judged twice", i,
				    r[i].team);
				return GD_EINVAL;
			}
	}
	if ((elim = json_array()) == NULL)
		return GD_ENOMEM;
	rc = store_evaluation_insert(db, pi->id, in->held_on, in->effective_on, in->reason, now,
	    &id);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = apply_result(db, pi, in, &r[i], now, &er, elim)) == 0)
			rc = store_evaluation_result_insert(db, id, (int64_t)i, &er);
	if (rc == 0)
		rc = store_evaluation_json(db, id, out);
	if (rc < 0) {
		json_decref(elim);
		return rc;
	}
	*eliminated = elim;
	return 0;
}

int
evaluations_list(struct db *db, const struct phase_info *pi, json_t **items)
{
	return store_evaluations_of(db, pi->id, INT64_MAX, items);
}
