/* store_vouchers.h: SQL for the voucher ledger's accounts, journal and holds. */
#ifndef GRANTD_STORE_VOUCHERS_H
#define GRANTD_STORE_VOUCHERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ledger.h"
#include "request.h"

struct db;

/*
 * Conventions as in store_catalog.h: 0 or a negative GD_* code; GD_ENOENT when a
 * row is missing; getters of JSON give the caller a new reference; lists
 * give a new array and a malloc'd cursor (NULL on the last page).  Nothing
 * here applies a ledger rule: vouchers.c decides with lib/ledger.c and
 * writes what it returns through these functions, in the caller's
 * transaction.
 */

/* Server-made ids as the API shows them: "hold_12", "stl_40", "tr_41". */
#define VID_HOLD "hold_"
#define VID_SETTLEMENT "stl_"
#define VID_TRANSFER "tr_"
#define VID_LEN 32
void vid_format(const char *prefix, int64_t id, char buf[VID_LEN]);
/* Parses PREFIX + a positive decimal; GD_EINVAL for anything else. */
int vid_parse(const char *prefix, const char *s, int64_t *id);

/* Accounts: the balances of struct ledger_account, and who owns each. */
int store_account_insert(struct db *db, enum ledger_account_type type, const char *name,
    const char *program, int64_t enrollment, const char *supplier, int64_t now,
    int64_t *id);
/* A programme's funding or returned account, made on first use. */
int store_account_programme(struct db *db, const char *program,
    enum ledger_account_type type, int64_t now, struct ledger_account *a);
int store_account_get(struct db *db, int64_t id, struct ledger_account *a);
int store_account_of_enrollment(struct db *db, int64_t enrollment, struct ledger_account *a);
int store_account_of_supplier(struct db *db, const char *supplier, struct ledger_account *a);

#define ACCOUNT_NAME_LEN	(2 * ID_MAX + 16)	/* "voucher:PHASE/TEAM", "payable:ID" */
/*
 * A hold's two accounts in one read: the voucher of enrollment and the
 * payable of supplier, with their names.  One not found has id 0.
 */
int store_hold_accounts(struct db *db, int64_t enrollment, const char *supplier,
    struct ledger_account *v, char vname[ACCOUNT_NAME_LEN], struct ledger_account *p,
    char pname[ACCOUNT_NAME_LEN]);
/* The programme of a funding, returned or voucher account. */
int store_account_program(struct db *db, int64_t id, char program[ID_MAX + 1]);
/* Writes closed and the balance fields back. */
int store_account_put(struct db *db, const struct ledger_account *a);

/* The journal. */
/* The id the next transfer takes: the journal's largest + 1. */
int store_transfer_next_id(struct db *db, int64_t *id);
/* Appends t; voucher is the voucher account it concerns (listed by it). */
int store_transfer_insert(struct db *db, const struct ledger_transfer *t, int64_t voucher);

struct transfer_filter {
	const char *team, *phase, *kind;	/* NULL: any */
};
int store_transfer_list(struct db *db, const struct transfer_filter *f, int64_t after,
    int64_t limit, json_t **items, char **next);

/* Holds: struct ledger_hold and what the API lists a hold by. */
struct hold_meta {
	int64_t enrollment;
	const char *team, *phase, *supplier;
	const char *memo;		/* may be NULL */
	const char *override;		/* the admin's reason for a related party, or NULL */
	const char *created_by;		/* token id */
	int64_t created_at;
};
int store_hold_insert(struct db *db, const struct ledger_hold *h, const struct hold_meta *m);

/* A hold as the API shows it, from its stored row or from what was just written. */
struct hold_view {
	int64_t id, amount, expires_at, created_at;
	const char *state;		/* the ledger's name ("expired" reads "voided") */
	const char *team, *phase, *supplier;
	const char *debit, *credit;	/* the accounts' names */
	const char *memo, *override;	/* NULL: none */
	int64_t resolved_at;		/* -1: pending */
	const char *voided_by;		/* NULL: not voided */
	int64_t settlement, settled, refunded;	/* read when state is "settled" */
};
json_t *store_hold_view_json(const struct hold_view *h);

/*
 * Why a hold was voided: the API shows every voided hold, the ones the
 * daemon expired included, as "voided", with one of these names in
 * "voided_by".  The ledger's EXPIRED state is always by expiry; its VOIDED
 * state is a request's or a closing voucher's, which the journal cannot
 * tell apart (both are VOID transfers), so it is stored.
 */
enum hold_voided_by {
	HOLD_NOT_VOIDED = 0,		/* pending or settled */
	HOLD_VOIDED_BY_REQUEST,		/* "request": POST .../void */
	HOLD_VOIDED_BY_EXPIRY,		/* "expiry": the daemon, at expires_at */
	HOLD_VOIDED_BY_ENROLLMENT_END,	/* "enrollment_end": the voucher closed */
};
/* The API's name of why, NULL for HOLD_NOT_VOIDED; and back (GD_EINVAL for an unknown name). */
const char *hold_voided_by_name(enum hold_voided_by why);
int hold_voided_by_parse(const char *s, enum hold_voided_by *why);

int store_hold_get(struct db *db, int64_t id, struct ledger_hold *h);
/* The settled hold whose settlement is the transfer `settlement`. */
int store_hold_by_settlement(struct db *db, int64_t settlement, struct ledger_hold *h);
/*
 * The ended_at of the hold's enrollment (-1 while it runs) and its phase;
 * GD_ENOENT: no such hold.
 */
int store_hold_ends_at(struct db *db, int64_t id, int64_t *ends_at, char phase[ID_MAX + 1]);
/*
 * Writes state, resolved_by, settled and refunded back; resolved_at once
 * resolved, and why once voided (HOLD_NOT_VOIDED when this write voids
 * nothing: a settlement, a refund).
 */
int store_hold_put(struct db *db, const struct ledger_hold *h, int64_t resolved_at,
    enum hold_voided_by why);
/* The team a hold is for, so a team token can be checked against it. */
int store_hold_team(struct db *db, int64_t id, char team[ID_MAX + 1]);
/* Every pending hold of a voucher, in id order; *hs malloc'd (NULL when none). */
int store_holds_pending(struct db *db, int64_t voucher, struct ledger_hold **hs, size_t *n);
/*
 * A pending hold's place in the order the timer takes them, (expires_at,
 * id): the reads below start after one, so that a hold the timer could not
 * resolve (left pending) is passed over, not read again first each round.
 */
struct hold_due {
	int64_t expires_at, id;
};
/*
 * Pending holds with expires_at <= upto that come after *after in that
 * order, at most max; *out malloc'd.  HOLD_DUE_FIRST is before them all.
 */
#define HOLD_DUE_FIRST ((struct hold_due){ INT64_MIN, INT64_MIN })
int store_holds_due(struct db *db, int64_t upto, const struct hold_due *after, size_t max,
    struct hold_due **out, size_t *n);
/* The earliest expiry of a pending hold, or -1 when none is pending. */
int store_holds_next_due(struct db *db, int64_t *t);
/*
 * The holds whose hold.expiring notice is due (schema/018): pending, not
 * told yet, expiring after now and by upto, and after *after in the order
 * (expires_at, id) (a hold passed over); soonest first, at most max,
 * *out malloc'd (NULL when none).  store_hold_noticed records the notice
 * made at now; store_holds_next_notice gives the soonest expiry after now
 * of a hold not told yet, -1 when none.
 */
struct hold_notice {
	int64_t id, amount, expires_at;
	char team[ID_MAX + 1], phase[ID_MAX + 1];
};
int store_holds_expiring(struct db *db, int64_t now, int64_t upto, const struct hold_due *after,
    size_t max, struct hold_notice **out, size_t *n);
int store_hold_noticed(struct db *db, int64_t id, int64_t now);
int store_holds_next_notice(struct db *db, int64_t now, int64_t *expires_at);
/*
 * A hold as the API shows it: "state" pending, settled or voided (an
 * expired hold is voided, with "voided_by": "expiry"), and "voided_by" on
 * every voided hold.
 */
int store_hold_json(struct db *db, int64_t id, json_t **out);

/*
 * state: the API's pending, settled or voided (expired holds included), or
 * expired: only the holds voided by expiry.
 */
struct hold_filter {
	const char *team, *phase, *supplier, *state;	/* NULL: any */
};
int store_hold_list(struct db *db, const struct hold_filter *f, int64_t after, int64_t limit,
    json_t **items, char **next);

/* A team's vouchers, one per enrollment, in phase order (GET /v1/teams/{team}/vouchers). */
int store_voucher_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next);

/*
 * A voucher's figures as the team's row shows them: refunds made after it
 * closed (straight to returned funds) counted as refunded and as returned.
 */
int store_voucher_as_seen(struct db *db, struct ledger_account *a);

/* Everything ledger_verify needs, read in one go. */
struct ledger_snapshot {
	struct ledger_account *accounts;
	struct ledger_hold *holds;
	struct ledger_transfer *journal;	/* in id order */
	size_t naccounts, nholds, njournal;
};
int store_ledger_load(struct db *db, struct ledger_snapshot *s);
void store_ledger_free(struct ledger_snapshot *s);

/*
 * Voucher money over all enrollments: budget, held, settled, refunded and
 * returned, in that order (for /metrics).  0, GD_ENOENT or GD_EIO.
 */
#define STORE_VOUCHER_TOTALS 5
int store_voucher_totals(struct db *db, double out[STORE_VOUCHER_TOTALS]);

#endif
