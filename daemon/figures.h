/* figures.h: one enrollment's figures at an instant, as quota and the fairness report show them. */
#ifndef GRANTD_FIGURES_H
#define GRANTD_FIGURES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "report.h"
#include "store_grants.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_usage.h"

struct calendar;
struct db;

/*
 * An enrollment, its grants and what lib/report makes of them at an
 * instant.  Owns gs and rg (malloc'd, NULL when there are no grants);
 * figures_free releases them and leaves the rest.
 */
struct figures {
	struct enrollment e;
	struct grant *gs;
	struct report_grant *rg;
	size_t ng;
	struct report_facts facts;
	struct report_figures fig;
	int64_t flagged;	/* mus of used flagged as things stand, up to at (figures_service) */
	int64_t beyond_service;	/* mus used beyond the cards in service, up to at */
	int64_t beyond;		/* mus of the lost cards the team used, all time */
	struct usage_measured measured;	/* what its nodes measured, up to at */
};

void figures_free(struct figures *v);

/*
 * Fills the figures of v->e at `at` (v->e set by the caller), with outage
 * losses from cal's timelines (facts.lost_total as figures_owed_losses
 * leaves it: what a make-up owes) (cal must hold every pool of the grants).
 * With have_grants, v->gs and v->ng are already loaded (and owned by v);
 * otherwise they are read here.  0 or a GD_* code (GD_ERANGE on overflow).
 */
int figures_load(struct db *db, const struct calendar *cal, const struct phase_info *pi,
    int64_t at, struct figures *v, bool have_grants);

/*
 * The enrollment's usage against the cards in service, judged from the
 * stored hourly usage and the outages as they stand (so an outage
 * recorded, corrected or cancelled after the usage counts), in mus.  In
 * each UTC hour that an outage of its grants' pools touches or where a
 * sample was flagged when accepted, in_service is its grants' card-seconds
 * less what the outages took from them (shared as losses are, rounded
 * down), and
 *   beyond:    usage - in_service, when positive (hours before at);
 *   flagged:   the hour's whole usage when beyond > 0, else the part of it
 *              that samples flagged above_grant (a verdict against the
 *              grants alone) (hours before at);
 *   used_lost: min(beyond, what the outages took in the hour), all time:
 *              lost cards the team reported using, which no make-up owes.
 * team NULL: flagged is not wanted (left without the above_grant part).
 */
struct figures_service {
	int64_t flagged, beyond, used_lost;
};
int figures_service(struct db *db, const struct calendar *cal, int64_t enrollment,
    const char *team, const struct grant *gs, size_t ng, int64_t at,
    struct figures_service *out);

/*
 * What outages took, as far as a make-up owes it: *lost (all time) less
 * the lost cards the team reported using (figures_service's used_lost;
 * never below 0).
 */
int figures_owed_losses(struct db *db, const struct calendar *cal, int64_t enrollment,
    int64_t *lost);

/* Sums what outages took from v's grants (v->gs loaded) in [from, to). */
int figures_losses(const struct calendar *cal, const struct figures *v, int64_t from, int64_t to,
    int64_t *lost);

/* An enrollment's voucher balances; zeros when it has no voucher account. */
int figures_voucher(struct db *db, int64_t enrollment, struct ledger_account *a,
    int64_t *available);

/*
 * The JSON pieces both answers share: the idle flag (since: -1 when not
 * flagged) and the window (with days elapsed and left when days_detail).
 * Ratios and unit-hours are lib/jsonv's jv_ratio and jv_unit_hours.
 */
json_t *figures_idle_json(int64_t since);
/*
 * What the enrollment's nodes measured up to at, as "measured" shows it
 * ({"gpu_seconds", "busy_gpu_seconds", "util_weighted_gpu_seconds",
 * "energy_j"}), or NULL when nothing was: the member is left out then.
 */
json_t *figures_measured_json(const struct usage_measured *m);
json_t *figures_window_json(const struct figures *v, const struct phase_info *pi,
    bool days_detail);

#endif
