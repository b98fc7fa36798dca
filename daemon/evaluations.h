/* evaluations.h: a phase's evaluations: per-team decisions, eliminations, applicants. */
#ifndef GRANTD_EVALUATIONS_H
#define GRANTD_EVALUATIONS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "store_catalog.h"	/* struct phase_info */

struct db;

/* At most this many results (teams judged) in one evaluation. */
#define EVALUATION_MAX_RESULTS 1000

struct evaluation_in {
	int64_t held_on, effective_on;	/* local days; effective_on: eliminations take effect */
	const char *reason;
	const json_t *results;		/* the body's array, checked here item by item */
};

/*
 * Records an evaluation of the phase (issue 16), in the caller's
 * transaction: each result's decision, "advance" or "eliminate", with an
 * optional score and note.  An "eliminate" of an active enrollment
 * eliminates it from effective_on (enroll_end: its grants end then, its
 * voucher closes then); one already eliminated or withdrawn, or whose
 * window ended, is recorded as such; a team never enrolled in the phase is
 * an applicant that was not selected.  Allowed also after every window
 * ended.  *out is the evaluation in the API shape; *eliminated a new array
 * of the teams it eliminated (the caller audits each).  Refusals, with
 * err: GD_EINVAL (a result that is not {"team", "decision", "score"?,
 * "note"?}, a team twice, an effective_on before held_on).
 */
int evaluations_record(struct db *db, const struct phase_info *pi, const struct evaluation_in *in,
    int64_t now, json_t **out, json_t **eliminated, char *err, size_t errlen);

/* A phase's evaluations by date (the API shape). */
int evaluations_list(struct db *db, const struct phase_info *pi, json_t **items);

#endif
