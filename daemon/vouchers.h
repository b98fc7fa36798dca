/* vouchers.h: the voucher ledger's operations: load, decide with lib/ledger.c, store. */
#ifndef GRANTD_VOUCHERS_H
#define GRANTD_VOUCHERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"	/* ID_MAX */

struct db;

/*
 * Each operation loads the accounts and hold it needs from db, lets one
 * lib/ledger.c function decide at `now`, and writes the transfers, the
 * updated balances and the hold back, all in the caller's open transaction
 * (the group-commit batch, inside a request's savepoint).  A refusal writes
 * nothing.  New transfer ids are the journal's largest + 1, taken inside
 * the transaction, so the single writer keeps them increasing in commit
 * order as ledger_verify requires.
 *
 * Returns 0 or a GD_* code from err.h: GD_ENOENT (no such hold, settlement,
 * voucher or supplier account), GD_ESTATE, GD_ERELATED, GD_EFUNDS, GD_ERANGE,
 * GD_EINVAL (the ledger's refusals, with a one-line detail in err when err
 * is not NULL; GD_ERRBUF bytes hold any), GD_EIO or GD_ENOMEM.
 *
 * Nothing here appends to the audit trail except vouchers_expire_due, which
 * has no request to do it: callers audit the change they made.  The feed
 * hears of holds through those audit entries, and of a hold about to
 * expire from vouchers_notice_expiring.
 */

/*
 * Opens the voucher of a new enrollment: creates its account
 * ("voucher:PHASE/TEAM", and the programme's funding and returned accounts
 * on first use) and the OPEN transfer of amount from funding.  Called by
 * the enrollment route right after inserting the enrollment.
 */
int vouchers_open(struct db *db, int64_t enrollment, int64_t amount, int64_t now);

/*
 * Closes an enrollment's voucher (elimination, withdrawal, end of the
 * window): voids every pending hold (voided_by "enrollment_end"), returns the unspent rest to the
 * programme's returned account, and refuses further holds.  All or
 * nothing: it runs in a savepoint of its own.  Closing twice is GD_ESTATE;
 * an enrollment without a voucher is GD_ENOENT.
 */
int vouchers_close(struct db *db, int64_t enrollment, int64_t now, char *err, size_t errlen);

/*
 * Expires every pending hold with expires_at <= upto (EXPIRE transfers,
 * dated at each hold's expires_at; the API shows such a hold as voided,
 * voided_by "expiry"), each with an audit entry by audit_system, request id
 * "timer", at now (when it is applied).  Runs in a savepoint of its
 * own, so it works inside the group-commit batch (call commit_begin first)
 * and alone (it then commits by itself); each hold in a savepoint of its
 * own within it: one that cannot expire is rolled back alone and handed to
 * timers_failed (kind "voucher.hold.expire", target "hold/ID", due at its
 * expiry: logged, audited once, *failed counts the tries), stays pending
 * for the next call, and the others still expire.  On success *expired is
 * the number expired and *next_due the earliest expires_at of a hold still
 * pending (a failed one included), or -1 when none is.
 */
int vouchers_expire_due(struct db *db, int64_t upto, int64_t now, int64_t *expired,
    int64_t *next_due, int *failed);

/*
 * The hold.expiring notices due at now: every pending hold that expires
 * within `within` seconds from now (and has not expired yet) and was not
 * told before gets one event for its team (events_notice: the hold, its
 * amount and expiry) and is marked told, so that no later tick or restart
 * repeats it.  A notice is no change to the ledger: nothing is audited.
 * In a savepoint of its own, each hold in one of its own, as
 * vouchers_expire_due (a failure: kind "hold.expiring", target "hold/ID",
 * due `within` before the expiry; the hold stays untold for the next call).
 * *made counts the notices made, *failed the failures.
 */
int vouchers_notice_expiring(struct db *db, int64_t within, int64_t now, int64_t *made,
    int *failed);

/*
 * When the next notice falls due (the soonest expiry of a hold not told,
 * less within): possibly <= now already; -1 when none is pending.
 */
int vouchers_next_notice(struct db *db, int64_t within, int64_t now, int64_t *at);

/*
 * Recomputes every balance and hold from the journal and compares them
 * with the stored ones (ledger_verify), in one read transaction.  0 with
 * the counts, GD_ECONFLICT with the first disagreement in err, or GD_EIO.
 */
int vouchers_verify(struct db *db, int64_t *accounts, int64_t *transfers, char *err,
    size_t errlen);

/* A new hold, as the route has checked it. */
struct voucher_hold_in {
	int64_t enrollment;
	const char *team, *phase, *supplier;
	int64_t amount, expires_at;
	const char *memo;		/* NULL: none */
	const char *override;		/* an admin's reason to allow a related party, or NULL */
	const char *created_by;		/* token id */
	int64_t ends_at;		/* the enrollment's ended_at, -1 while it runs */
};

/*
 * Reserves money for a supplier's order.  *hold is the new hold's id (its
 * HOLD transfer); *related tells whether the supplier is a related party
 * (then allowed only because in->override was given); *view, unless view
 * is NULL, the hold as GET shows it (the caller's to free).
 */
int vouchers_hold(struct db *db, const struct voucher_hold_in *in, int64_t now,
    int64_t *hold, bool *related, json_t **view, char *err, size_t errlen);

/* Pays a pending hold: amount, or all of it for 0; *settlement is the SETTLE's id. */
int vouchers_settle(struct db *db, int64_t hold, int64_t amount, int64_t now,
    int64_t *settlement, char *err, size_t errlen);

/* Releases a pending hold at a client's request (VOID; voided_by "request"). */
int vouchers_void(struct db *db, int64_t hold, int64_t now, char *err, size_t errlen);

/*
 * Gives back part of a settlement (REFUND).  *refund is the new transfer's
 * id; *to_returned tells whether the money went to the programme's returned
 * account because the voucher was closed.
 */
int vouchers_refund(struct db *db, int64_t settlement, int64_t amount, int64_t now,
    int64_t *refund, bool *to_returned, char *err, size_t errlen);

/* A voucher's available money (budget - held - settled + refunded - returned), >= 0. */
int vouchers_available(struct db *db, int64_t enrollment, int64_t *available);

/*
 * What the routes read of the ledger, and the one write beside a hold,
 * on the caller's connection (vouchers_read.c): 0 or a GD_* code, objects
 * in the API shape and lists as store_vouchers.h gives them.
 */
struct enrollment;
struct hold_filter;
struct ledger_hold;
struct transfer_filter;

/*
 * The enrollment a hold is for.  When there is none, GD_ENOENT says in err
 * which is missing: the team, the phase, or the team's enrollment in it
 * (asked only then, so that the hot path saves the queries); err is left
 * empty for a failure of storage.
 */
int vouchers_enrollment(struct db *db, const char *phase, const char *team,
    struct enrollment *e, char *err, size_t errlen);
/* Records that a hold for a related party was allowed by an admin's reason. */
int vouchers_related_override(struct db *db, const char *phase, const char *team,
    const char *detail, const char *reason, const char *request_id, int64_t now);

int vouchers_hold_get(struct db *db, int64_t id, struct ledger_hold *h);
int vouchers_hold_by_settlement(struct db *db, int64_t settlement, struct ledger_hold *h);
int vouchers_hold_team(struct db *db, int64_t id, char team[ID_MAX + 1]);
int vouchers_hold_json(struct db *db, int64_t id, json_t **out);
int vouchers_hold_list(struct db *db, const struct hold_filter *f, int64_t after,
    int64_t limit, json_t **items, char **next);
int vouchers_transfer_list(struct db *db, const struct transfer_filter *f, int64_t after,
    int64_t limit, json_t **items, char **next);
/* A team's vouchers, one per enrollment, in phase order. */
int vouchers_team_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next);

#endif
