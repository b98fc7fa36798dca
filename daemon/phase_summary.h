/* phase_summary.h: a phase's redacted summary, every team's window and delivered unit-hours. */
#ifndef GRANTD_PHASE_SUMMARY_H
#define GRANTD_PHASE_SUMMARY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * What every team of a phase may be shown of the others when
 * programme.team_phase_summary allows it (docs/api-notes.md, Phase
 * summary): the fairness report's figures up to `at`, read in one snapshot
 * of db and not kept, cut down to
 *   {"phase", "timezone", "at", "period_days",
 *    "teams": [{"team", "state", "window": {"start", "end", "days",
 *               "start_date", "end_date"}, "ended_at"?,
 *               "delivered_unit_hours"}]}
 * -- no money, no usage, no entitlement, loss, override or verdict.  The
 * dates are the programme's local dates.  0 with *out, or GD_ENOENT (no
 * such phase; err says so), GD_EIO, GD_ENOMEM, GD_ERANGE.
 */
int phase_summary_json(struct db *db, const char *phase, int64_t at, json_t **out,
    char *err, size_t errlen);

#endif
