/* ledger.h: the data-voucher ledger's rules: accounts, immutable transfers, holds. */
#ifndef GRANTD_LEDGER_H
#define GRANTD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A double-entry ledger in the manner of TigerBeetle.  Money lives in
 * accounts and moves only by transfers; a transfer is never changed or
 * removed, a correction is a new transfer.  Every transfer has one debit
 * account, one credit account and one amount in whole KRW, 0 < amount <=
 * MONEY_MAX_AMOUNT, and moves that amount OUT OF its debit account INTO its
 * credit account.
 *
 * These functions decide; they store nothing.  The daemon loads the state a
 * decision needs (accounts, a hold) from its database, calls one function
 * with the current time as a parameter, and on success appends the returned
 * transfers and writes the updated accounts and hold back in the same
 * transaction.  ledger_verify() recomputes all of it from the journal.
 *
 * Calling convention, for every operation below:
 *  - Account and hold arguments are in/out.  On success they hold the new
 *    state and the transfer(s) are filled; on failure NOTHING is written
 *    (neither the accounts, the hold nor the transfers), a negative code
 *    from err.h is returned and a one-line detail is written to err when
 *    err is not NULL (GD_ERRBUF bytes hold any detail; less truncates).
 *  - The caller chooses the ids of new transfers, as TigerBeetle clients
 *    do, so that a decision is complete before it is stored: `id` is the id
 *    of the first new transfer, further ones take id + 1, id + 2, ...  The
 *    journal's ids must increase in append order (ledger_verify checks).
 *  - All structs are plain values owned by the caller.  No function keeps
 *    a pointer past its return; strings are borrowed for the call.  Only
 *    ledger_close() and ledger_verify() allocate, scratch space they free
 *    before returning.
 *  - Refusals are checked in this order, so that a client sees the most
 *    fundamental problem first: GD_EINVAL (a malformed call: accounts of
 *    the wrong type or not the hold's, an id <= 0, an expiry not after
 *    now), GD_ERANGE (an amount outside its range), GD_ESTATE (the voucher
 *    or hold is in the wrong state), GD_ERELATED, GD_EFUNDS, then GD_ERANGE
 *    for an amount above what a hold or settlement allows and for a balance
 *    that would overflow int64_t (balances never wrap).
 */

enum ledger_account_type {
	LEDGER_FUNDING = 1,	/* the programme's source of voucher money */
	LEDGER_VOUCHER,		/* one per enrollment: the team's budget */
	LEDGER_PAYABLE,		/* one per supplier: what the programme pays it */
	LEDGER_RETURNED,	/* unspent money given back to the programme */
};

/*
 * Balances.  Each field of an account is the running total of one kind of
 * transfer that touched it.  Each kind touches each account type on one side
 * only, so the side follows from the type (D debit, C credit, - never):
 *
 *              budget  held       settled  refunded  returned
 *   funding    D       -          -        -         -
 *   voucher    C       D pending  D        C         D
 *   payable    -       C pending  C        D         -
 *   returned   -       -          -        C         C
 *
 * Sign convention: every account is read credit-normal, balance = credits -
 * debits.  The funding account is only ever debited, so it is the one
 * account whose balance is negative: minus the total of all budgets granted
 * (equivalently, a debit-normal source account that only grows).  The
 * posted balances of all accounts sum to zero, and the pending debits equal
 * the pending credits; ledger_verify checks both.
 *
 * For a voucher the contract's figure is
 *   available = budget - held - settled + refunded - returned,
 * which these rules never let fall below 0.
 */
struct ledger_account {
	int64_t id;		/* > 0, chosen by the daemon */
	enum ledger_account_type type;
	bool closed;		/* vouchers: no further holds, see ledger_close */
	int64_t budget;		/* OPEN transfers */
	int64_t held;		/* HOLD transfers not yet resolved */
	int64_t settled;	/* SETTLE transfers */
	int64_t refunded;	/* REFUND transfers */
	int64_t returned;	/* RETURN transfers */
};

enum ledger_kind {
	LEDGER_OPEN = 1,	/* funding -> voucher: the phase's voucher amount */
	LEDGER_HOLD,		/* voucher -> payable, pending: money reserved */
	LEDGER_SETTLE,		/* voucher -> payable: a hold paid, amount <= held */
	LEDGER_VOID,		/* voucher -> payable: a hold released, amount = held */
	LEDGER_EXPIRE,		/* as VOID, by the daemon at the hold's expiry */
	LEDGER_REFUND,		/* payable -> voucher (or returned): part of a settlement back */
	LEDGER_RETURN,		/* voucher -> returned: the unspent rest at close */
};

/*
 * One journal row.  A HOLD is pending, as in TigerBeetle: it reserves its
 * amount on both accounts (the `held` fields) and moves nothing until one
 * SETTLE, VOID or EXPIRE resolves it.  A SETTLE posts its own amount and
 * releases the rest of the hold; VOID and EXPIRE carry the hold's amount
 * and release all of it.
 */
struct ledger_transfer {
	int64_t id;		/* > 0, increasing in append order */
	enum ledger_kind kind;
	int64_t debit;		/* account id the amount leaves */
	int64_t credit;		/* account id the amount enters */
	int64_t amount;		/* 0 < amount <= MONEY_MAX_AMOUNT */
	int64_t at;		/* when it was decided, seconds UTC */
	int64_t ref;		/* SETTLE/VOID/EXPIRE: the HOLD; REFUND: the SETTLE; else 0 */
	int64_t expires_at;	/* HOLD: when the daemon expires it; else 0 */
};

enum ledger_hold_state {
	LEDGER_HOLD_PENDING = 0,
	LEDGER_HOLD_SETTLED,
	LEDGER_HOLD_VOIDED,
	LEDGER_HOLD_EXPIRED,
};

/*
 * A hold as the daemon stores it next to the journal, so that settling,
 * voiding or refunding needs one row instead of a scan.  Every field
 * follows from the journal, and ledger_verify checks that it does.
 */
struct ledger_hold {
	int64_t id;		/* the HOLD transfer's id */
	int64_t voucher;	/* its debit account */
	int64_t payable;	/* its credit account */
	int64_t amount;		/* reserved */
	int64_t expires_at;
	enum ledger_hold_state state;
	int64_t resolved_by;	/* SETTLE/VOID/EXPIRE transfer id; 0 while pending.
				   When settled this is the settlement's id. */
	int64_t settled;	/* amount of the settlement */
	int64_t refunded;	/* total of the REFUNDs of the settlement */
};

/* Who is on each side of a hold, for the related-party rule. */
struct ledger_party {
	const char *supplier_org;	/* the supplier's organisation */
	const char *const *team_orgs;	/* the team's member organisations */
	size_t nteam_orgs;
	bool override;			/* an admin allowed a related party */
};

/* The API's default lifetime of a hold: 30 days. */
#define LEDGER_HOLD_TTL (30 * INT64_C(86400))

/* ledger_hold_settle's amount that settles the whole hold. */
#define LEDGER_SETTLE_ALL INT64_C(0)

/*
 * Lower-case names as the API writes them ("settle", "voucher", "pending"),
 * "unknown" for a value out of the enum; and back: 0, or GD_EINVAL for an
 * unknown name (nothing written).
 */
const char *ledger_kind_name(enum ledger_kind kind);
int ledger_kind_parse(const char *s, enum ledger_kind *kind);
const char *ledger_account_type_name(enum ledger_account_type type);
int ledger_account_type_parse(const char *s, enum ledger_account_type *type);
const char *ledger_hold_state_name(enum ledger_hold_state state);
int ledger_hold_state_parse(const char *s, enum ledger_hold_state *state);

/*
 * A voucher's available money, budget - held - settled + refunded -
 * returned.  0, or GD_ERANGE if the stored fields are so corrupt that the
 * sum overflows.  A negative result means a corrupt state too.
 */
int ledger_available(const struct ledger_account *voucher, int64_t *available);

/*
 * Opens a voucher with the phase's voucher amount: OPEN funding -> voucher.
 * A voucher is opened once: one with a budget or closed is GD_ESTATE.
 * Funding's total growing past INT64_MAX is GD_ERANGE.
 */
int ledger_open(struct ledger_account *funding, struct ledger_account *voucher,
    int64_t amount, int64_t id, int64_t now, struct ledger_transfer *t,
    char *err, size_t errlen);

/*
 * Reserves money for a supplier's order: HOLD voucher -> payable, pending
 * until expires_at (> now).  This is the one balance check: settling or
 * voiding later can never overdraw.  Refused with GD_ESTATE when the voucher
 * is closed, GD_ERELATED when the supplier's org is one of the team's and
 * party->override is false, GD_EFUNDS when amount > available.  Fills a new
 * pending *hold and *t.
 */
int ledger_hold_create(struct ledger_account *voucher,
    struct ledger_account *payable, const struct ledger_party *party,
    int64_t amount, int64_t id, int64_t now, int64_t expires_at,
    struct ledger_hold *hold, struct ledger_transfer *t,
    char *err, size_t errlen);

/*
 * Pays a pending hold: SETTLE voucher -> payable of amount (or the whole
 * hold for LEDGER_SETTLE_ALL), releasing the rest.  A hold is resolved once:
 * one not pending is GD_ESTATE, and so is one whose expiry has come
 * (now >= expires_at), so that the outcome never depends on whether the
 * daemon's expiry timer ran first.  amount > the hold is GD_ERANGE.
 */
int ledger_hold_settle(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, int64_t amount, int64_t id, int64_t now,
    struct ledger_transfer *t, char *err, size_t errlen);

/*
 * Releases a pending hold: VOID of the hold's amount.  Allowed after the
 * expiry too, since releasing is what expiry would do.  Not pending: GD_ESTATE.
 */
int ledger_hold_void(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, int64_t id, int64_t now,
    struct ledger_transfer *t, char *err, size_t errlen);

/* As ledger_hold_void, but EXPIRE, and only when now >= expires_at (else GD_ESTATE). */
int ledger_hold_expire(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, int64_t id, int64_t now,
    struct ledger_transfer *t, char *err, size_t errlen);

/*
 * Gives back part of a settlement: REFUND payable -> voucher, with ref = the
 * settlement.  The hold must be settled (else GD_ESTATE) and all its refunds
 * together at most what was settled (else GD_ERANGE).  When the voucher is
 * closed the refund goes to the returned account instead: the team left,
 * so the money goes back to the programme, and the closed voucher's
 * available stays 0.  Only the account credited is changed.
 */
int ledger_refund(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, struct ledger_account *returned,
    int64_t amount, int64_t id, int64_t now, struct ledger_transfer *t,
    char *err, size_t errlen);

/*
 * Closes a voucher (elimination, withdrawal, end of the window): a VOID for
 * every pending hold in holds[] (in array order), then a RETURN voucher ->
 * returned of the available rest when it is not 0, then closed = true.
 * holds[] must include every pending hold of the voucher once (holds of
 * other states are skipped; a pending hold of another voucher, one given
 * twice, or a voucher still holding money afterwards is GD_EINVAL);
 * payables[] must include the payable of each of them, and is updated.  out must have room for nholds + 1 transfers;
 * *nout is set to the number written.  Closing twice is GD_ESTATE.
 */
int ledger_close(struct ledger_account *voucher, struct ledger_account *returned,
    struct ledger_hold *holds, size_t nholds,
    struct ledger_account *payables, size_t npayables,
    int64_t id, int64_t now, struct ledger_transfer *out, size_t *nout,
    char *err, size_t errlen);

/*
 * Audits the whole ledger: replays the journal (in append order) by the
 * rules above, recomputes every account and every hold, and compares them
 * with the stored ones; then checks that posted debits equal posted credits
 * and pending debits equal pending credits over the stored accounts.
 * Returns 0 when all agree, GD_ECONFLICT with the first disagreement in err
 * (journal order first, then accounts, then holds, in array order), or
 * GD_ENOMEM.  Every transfer's accounts must be among accounts[] and every
 * HOLD must have its row in holds[].
 */
int ledger_verify(const struct ledger_account *accounts, size_t naccounts,
    const struct ledger_hold *holds, size_t nholds,
    const struct ledger_transfer *journal, size_t njournal,
    char *err, size_t errlen);

#endif
