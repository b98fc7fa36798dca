/* vouchers_read.c: what the routes read of the ledger (vouchers.h), through the store. */
#include <stdio.h>

#include "err.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_overrides.h"
#include "store_vouchers.h"
#include "vouchers.h"

int
vouchers_enrollment(struct db *db, const char *phase, const char *team,
    struct enrollment *e, char *err, size_t errlen)
{
	int rc;

	err[0] = '\0';
	if ((rc = store_enrollment_get(db, phase, team, e)) != GD_ENOENT)
		return rc;
	if ((rc = store_team_exists(db, team)) <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "team '%s' does not exist", team);
		return rc < 0 ? rc : GD_ENOENT;
	}
	if ((rc = store_phase_exists(db, phase)) <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "phase '%s' does not exist", phase);
		return rc < 0 ? rc : GD_ENOENT;
	}
	snprintf(err, errlen, "team '%s' is not enrolled in phase '%s'", team, phase);
	return GD_ENOENT;
}

int
vouchers_related_override(struct db *db, const char *phase, const char *team,
    const char *detail, const char *reason, const char *request_id, int64_t now)
{
	return store_override_insert(db, phase, team, "related_party", detail, reason,
	    "voucher.hold.create", request_id, now);
}

int
vouchers_hold_get(struct db *db, int64_t id, struct ledger_hold *h)
{
	return store_hold_get(db, id, h);
}

int
vouchers_hold_by_settlement(struct db *db, int64_t settlement, struct ledger_hold *h)
{
	return store_hold_by_settlement(db, settlement, h);
}

int
vouchers_hold_team(struct db *db, int64_t id, char team[ID_MAX + 1])
{
	return store_hold_team(db, id, team);
}

int
vouchers_hold_json(struct db *db, int64_t id, json_t **out)
{
	return store_hold_json(db, id, out);
}

int
vouchers_hold_list(struct db *db, const struct hold_filter *f, int64_t after, int64_t limit,
    json_t **items, char **next)
{
	return store_hold_list(db, f, after, limit, items, next);
}

int
vouchers_transfer_list(struct db *db, const struct transfer_filter *f, int64_t after,
    int64_t limit, json_t **items, char **next)
{
	return store_transfer_list(db, f, after, limit, items, next);
}

int
vouchers_team_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next)
{
	return store_voucher_list(db, team, after, limit, items, next);
}
