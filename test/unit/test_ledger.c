/* test_ledger.c: the voucher ledger's rules, its audit, and a seeded model check. */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ledger.h"
#include "money.h"

#define MAX MONEY_MAX_AMOUNT

/*
 * A world is what the daemon would keep in its tables: accounts, stored
 * holds and the journal.  The w_* wrappers call one ledger function the way
 * the daemon would and append what it returns.
 */
enum { W_FUNDING, W_RETURNED, W_PAY };	/* payables from W_PAY, then vouchers */
#define W_MAXACC 32
#define F_ID 1
#define R_ID 2
#define PAY_ID(i) (10 + (int64_t)(i))
#define VOU_ID(i) (100 + (int64_t)(i))

struct world {
	struct ledger_account acc[W_MAXACC];
	size_t nacc, npay, nvou;
	struct ledger_hold *holds;
	size_t nholds, caph;
	struct ledger_transfer *j;
	size_t nj, capj;
	int64_t next_id, now;
	bool untouched;		/* the last refused call wrote none of its outputs */
	char err[GD_ERRBUF];
};

static const char *const team_orgs[] = { "team-lead", "member-b" };

#define SENTINEL 0xa5

static bool
all_sentinel(const void *p, size_t n)
{
	const unsigned char *c = p;

	for (size_t i = 0; i < n; i++)
		if (c[i] != SENTINEL)
			return false;
	return true;
}

static void
world_init(struct world *w, size_t npay, size_t nvou)
{
	memset(w, 0, sizeof(*w));
	ck_assert(W_PAY + npay + nvou <= W_MAXACC);
	w->acc[W_FUNDING] = (struct ledger_account){ .id = F_ID, .type = LEDGER_FUNDING };
	w->acc[W_RETURNED] = (struct ledger_account){ .id = R_ID, .type = LEDGER_RETURNED };
	for (size_t i = 0; i < npay; i++)
		w->acc[W_PAY + i] = (struct ledger_account){ .id = PAY_ID(i), .type = LEDGER_PAYABLE };
	for (size_t i = 0; i < nvou; i++)
		w->acc[W_PAY + npay + i] = (struct ledger_account){ .id = VOU_ID(i),
		    .type = LEDGER_VOUCHER };
	w->nacc = W_PAY + npay + nvou;
	w->npay = npay;
	w->nvou = nvou;
	w->next_id = 1;
	w->now = 1000;
}

static void
world_free(struct world *w)
{
	free(w->holds);
	free(w->j);
}

static struct ledger_account *
pay(struct world *w, size_t i)
{
	return &w->acc[W_PAY + i];
}

static struct ledger_account *
vou(struct world *w, size_t i)
{
	return &w->acc[W_PAY + w->npay + i];
}

static struct ledger_account *
acct(struct world *w, int64_t id)
{
	for (size_t i = 0; i < w->nacc; i++)
		if (w->acc[i].id == id)
			return &w->acc[i];
	ck_abort_msg("no account %" PRId64, id);
	return NULL;
}

static void *
grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	*cap = need * 2;
	p = realloc(p, *cap * size);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* Stores a call's results the way the daemon would, or notes what a refusal left. */
static int
finish(struct world *w, int rc, const struct ledger_transfer *t, size_t n,
    const struct ledger_hold *hold)
{
	if (rc != 0) {
		w->untouched = all_sentinel(t, n * sizeof(*t)) &&
		    (hold == NULL || all_sentinel(hold, sizeof(*hold)));
		return rc;
	}
	if (n > 0) {
		w->j = grow(w->j, &w->capj, w->nj + n, sizeof(*w->j));
		memcpy(w->j + w->nj, t, n * sizeof(*t));
		w->nj += n;
	}
	w->next_id += (int64_t)n;
	if (hold != NULL) {
		w->holds = grow(w->holds, &w->caph, w->nholds + 1, sizeof(*w->holds));
		w->holds[w->nholds++] = *hold;
	}
	return 0;
}

static int
w_open(struct world *w, size_t v, int64_t amount)
{
	struct ledger_transfer t;
	int rc;

	memset(&t, SENTINEL, sizeof(t));
	rc = ledger_open(&w->acc[W_FUNDING], vou(w, v), amount, w->next_id, w->now, &t,
	    w->err, sizeof(w->err));
	return finish(w, rc, &t, 1, NULL);
}

static int
w_hold(struct world *w, size_t v, size_t p, int64_t amount, int64_t expires_at,
    const char *org, bool override)
{
	struct ledger_party party = { org, team_orgs, 2, override };
	struct ledger_transfer t;
	struct ledger_hold h;
	int rc;

	memset(&t, SENTINEL, sizeof(t));
	memset(&h, SENTINEL, sizeof(h));
	rc = ledger_hold_create(vou(w, v), pay(w, p), &party, amount, w->next_id, w->now,
	    expires_at, &h, &t, w->err, sizeof(w->err));
	return finish(w, rc, &t, 1, &h);
}

static int
w_settle(struct world *w, size_t h, int64_t amount)
{
	struct ledger_hold *hd = &w->holds[h];
	struct ledger_transfer t;
	int rc;

	memset(&t, SENTINEL, sizeof(t));
	rc = ledger_hold_settle(hd, acct(w, hd->voucher), acct(w, hd->payable), amount,
	    w->next_id, w->now, &t, w->err, sizeof(w->err));
	return finish(w, rc, &t, 1, NULL);
}

static int
w_release(struct world *w, size_t h, bool expire)
{
	struct ledger_hold *hd = &w->holds[h];
	struct ledger_transfer t;
	int rc;

	memset(&t, SENTINEL, sizeof(t));
	rc = (expire ? ledger_hold_expire : ledger_hold_void)(hd, acct(w, hd->voucher),
	    acct(w, hd->payable), w->next_id, w->now, &t, w->err, sizeof(w->err));
	return finish(w, rc, &t, 1, NULL);
}

static int
w_refund(struct world *w, size_t h, int64_t amount)
{
	struct ledger_hold *hd = &w->holds[h];
	struct ledger_transfer t;
	int rc;

	memset(&t, SENTINEL, sizeof(t));
	rc = ledger_refund(hd, acct(w, hd->voucher), acct(w, hd->payable), &w->acc[W_RETURNED],
	    amount, w->next_id, w->now, &t, w->err, sizeof(w->err));
	return finish(w, rc, &t, 1, NULL);
}

/* The daemon would load the voucher's holds alone: so does this. */
static int
w_close(struct world *w, size_t v)
{
	struct ledger_hold *mine = calloc(w->nholds + 1, sizeof(*mine));
	size_t *where = calloc(w->nholds + 1, sizeof(*where));
	struct ledger_transfer *out = malloc((w->nholds + 1) * sizeof(*out));
	size_t n = 0, nout;
	int rc;

	ck_assert(mine != NULL && where != NULL && out != NULL);
	for (size_t i = 0; i < w->nholds; i++)
		if (w->holds[i].voucher == vou(w, v)->id) {
			where[n] = i;
			mine[n++] = w->holds[i];
		}
	memset(out, SENTINEL, (w->nholds + 1) * sizeof(*out));
	memset(&nout, SENTINEL, sizeof(nout));
	rc = ledger_close(vou(w, v), &w->acc[W_RETURNED], mine, n, pay(w, 0), w->npay,
	    w->next_id, w->now, out, &nout, w->err, sizeof(w->err));
	if (rc == 0) {
		for (size_t i = 0; i < n; i++)
			w->holds[where[i]] = mine[i];
		finish(w, 0, out, nout, NULL);
	} else {
		finish(w, rc, out, n + 1, NULL);
		w->untouched = w->untouched && all_sentinel(&nout, sizeof(nout));
	}
	free(mine);
	free(where);
	free(out);
	return rc;
}

static int
w_verify(struct world *w)
{
	return ledger_verify(w->acc, w->nacc, w->holds, w->nholds, w->j, w->nj,
	    w->err, sizeof(w->err));
}

#define MUST(call) do {							\
	int must_rc_ = (call);						\
	ck_assert_msg(must_rc_ == 0, "%s: %d %s", #call, must_rc_, w->err);	\
} while (0)

/*
 * Every state change and every refusal, one row each.  The world has one
 * voucher (id 100), payables A (10, org "supplier-a") and B (11), funding
 * (1) and returned funds (2); the team's orgs are "team-lead" and
 * "member-b".  A given hold is made at t=1000 and expires at t=2000; the
 * row's operation runs at t=1500 unless it says otherwise.
 */
enum op { OP_OPEN, OP_HOLD, OP_SETTLE, OP_VOID, OP_EXPIRE, OP_REFUND, OP_CLOSE };

struct given {
	int64_t budget;			/* open the voucher with this (0: leave it unopened) */
	int64_t hold;			/* then hold this much for supplier A (0: none) */
	enum ledger_hold_state hstate;	/* and bring that hold to this state */
	int64_t settle, refund;		/* settled: for this much (0: all), then refunded */
	bool closed;			/* then close the voucher */
	/* Preloads straight into the stored rows, to reach int64_t's edge. */
	int64_t funding, payable_held, payable_settled, returned;
};

struct want {
	int64_t budget, held, settled, refunded, returned, available;
	bool closed;
	enum ledger_hold_state hstate;	/* of the given or new hold */
	size_t ntransfers;
	enum ledger_kind kind;		/* of the last transfer; 0 for none */
	int64_t debit, credit, amount;
};

#define V VOU_ID(0)
#define PA PAY_ID(0)
#define SETTLED(s) .hold = 400, .hstate = LEDGER_HOLD_SETTLED, .settle = (s)

static const struct row {
	const char *what;
	struct given g;
	enum op op;
	int64_t amount;		/* OPEN, HOLD, SETTLE, REFUND */
	int64_t now;		/* 0: 1500 */
	int64_t expires;	/* HOLD; 0: now + 1000 */
	const char *org;	/* HOLD; NULL: "supplier-a" */
	bool override;
	int rc;
	const char *detail;	/* refusals: a part of err */
	struct want w;		/* success: the voucher and transfers afterwards */
} rows[] = {
	{ "open credits the phase's amount", { 0 }, OP_OPEN, .amount = 1000,
	  .w = { .budget = 1000, .available = 1000, .ntransfers = 1, .kind = LEDGER_OPEN,
	  .debit = F_ID, .credit = V, .amount = 1000 } },
	{ "open with 10^13", { 0 }, OP_OPEN, .amount = MAX,
	  .w = { .budget = MAX, .available = MAX, .ntransfers = 1, .kind = LEDGER_OPEN,
	  .debit = F_ID, .credit = V, .amount = MAX } },
	{ "open with 0", { 0 }, OP_OPEN, .amount = 0,
	  .rc = GD_ERANGE, .detail = "amount 0 is not in 1..10000000000000" },
	{ "open with a negative amount", { 0 }, OP_OPEN, .amount = -5,
	  .rc = GD_ERANGE, .detail = "amount -5" },
	{ "open above 10^13", { 0 }, OP_OPEN, .amount = MAX + 1,
	  .rc = GD_ERANGE, .detail = "amount 10000000000001" },
	{ "open twice", { .budget = 1000 }, OP_OPEN, .amount = 1000,
	  .rc = GD_ESTATE, .detail = "voucher 100 is already open with 1000" },
	{ "open a closed voucher", { .closed = true }, OP_OPEN, .amount = 1000,
	  .rc = GD_ESTATE, .detail = "voucher 100 is closed" },
	{ "open up to funding's int64 limit", { .funding = INT64_MAX - 1000 }, OP_OPEN,
	  .amount = 1000, .w = { .budget = 1000, .available = 1000, .ntransfers = 1,
	  .kind = LEDGER_OPEN, .debit = F_ID, .credit = V, .amount = 1000 } },
	{ "open past funding's int64 limit", { .funding = INT64_MAX - 999 }, OP_OPEN,
	  .amount = 1000, .rc = GD_ERANGE, .detail = "budget of account 1 would overflow" },

	{ "a hold reserves money", { .budget = 1000 }, OP_HOLD, .amount = 400,
	  .w = { .budget = 1000, .held = 400, .available = 600, .ntransfers = 1,
	  .kind = LEDGER_HOLD, .debit = V, .credit = PA, .amount = 400 } },
	{ "a hold of all that is available", { .budget = 1000 }, OP_HOLD, .amount = 1000,
	  .w = { .budget = 1000, .held = 1000, .available = 0, .ntransfers = 1,
	  .kind = LEDGER_HOLD, .debit = V, .credit = PA, .amount = 1000 } },
	{ "a hold of 10^13 on a budget of 10^13", { .budget = MAX }, OP_HOLD, .amount = MAX,
	  .w = { .budget = MAX, .held = MAX, .available = 0, .ntransfers = 1,
	  .kind = LEDGER_HOLD, .debit = V, .credit = PA, .amount = MAX } },
	{ "a hold of one won more than available", { .budget = 1000, .hold = 400 }, OP_HOLD,
	  .amount = 601, .rc = GD_EFUNDS, .detail = "amount 601 exceeds available 600" },
	{ "a hold on an unopened voucher", { 0 }, OP_HOLD, .amount = 1,
	  .rc = GD_EFUNDS, .detail = "exceeds available 0" },
	{ "a hold on a closed voucher", { .budget = 1000, .closed = true }, OP_HOLD,
	  .amount = 1, .rc = GD_ESTATE, .detail = "voucher 100 is closed" },
	{ "a hold for a related party", { .budget = 1000 }, OP_HOLD, .amount = 1,
	  .org = "member-b", .rc = GD_ERELATED, .detail = "supplier org member-b" },
	{ "a related party with the admin's override", { .budget = 1000 }, OP_HOLD,
	  .amount = 1, .org = "member-b", .override = true,
	  .w = { .budget = 1000, .held = 1, .available = 999, .ntransfers = 1,
	  .kind = LEDGER_HOLD, .debit = V, .credit = PA, .amount = 1 } },
	{ "a closed voucher is refused before a related party",
	  { .budget = 1000, .closed = true }, OP_HOLD, .amount = 1, .org = "member-b",
	  .rc = GD_ESTATE, .detail = "is closed" },
	{ "a related party is refused before missing funds", { .budget = 1000 }, OP_HOLD,
	  .amount = 2000, .org = "member-b", .rc = GD_ERELATED, .detail = "member-b" },
	{ "a hold of 0", { .budget = 1000 }, OP_HOLD, .amount = 0,
	  .rc = GD_ERANGE, .detail = "amount 0" },
	{ "a hold above 10^13", { .budget = MAX }, OP_HOLD, .amount = MAX + 1,
	  .rc = GD_ERANGE, .detail = "amount 10000000000001" },
	{ "a hold that expires now", { .budget = 1000 }, OP_HOLD, .amount = 1,
	  .expires = 1500, .rc = GD_EINVAL, .detail = "expiry 1500 is not after now 1500" },
	{ "a hold past the payable's int64 limit",
	  { .budget = 1000, .payable_held = INT64_MAX - 99 }, OP_HOLD, .amount = 100,
	  .rc = GD_ERANGE, .detail = "held of account 10 would overflow" },
	{ "settled and refunded money counts", { .budget = 1000, SETTLED(300), .refund = 100 },
	  OP_HOLD, .amount = 800,
	  .w = { .budget = 1000, .held = 800, .settled = 300, .refunded = 100, .available = 0,
	  .ntransfers = 1, .kind = LEDGER_HOLD, .debit = V, .credit = PA, .amount = 800 } },
	{ "settled and refunded money counts, one won over",
	  { .budget = 1000, SETTLED(300), .refund = 100 }, OP_HOLD, .amount = 801,
	  .rc = GD_EFUNDS, .detail = "amount 801 exceeds available 800" },

	{ "settling all of a hold", { .budget = 1000, .hold = 400 }, OP_SETTLE,
	  .amount = LEDGER_SETTLE_ALL,
	  .w = { .budget = 1000, .settled = 400, .available = 600, .hstate = LEDGER_HOLD_SETTLED,
	  .ntransfers = 1, .kind = LEDGER_SETTLE, .debit = V, .credit = PA, .amount = 400 } },
	{ "settling part of a hold releases the rest", { .budget = 1000, .hold = 400 },
	  OP_SETTLE, .amount = 300,
	  .w = { .budget = 1000, .settled = 300, .available = 700, .hstate = LEDGER_HOLD_SETTLED,
	  .ntransfers = 1, .kind = LEDGER_SETTLE, .debit = V, .credit = PA, .amount = 300 } },
	{ "settling more than held", { .budget = 1000, .hold = 400 }, OP_SETTLE, .amount = 401,
	  .rc = GD_ERANGE, .detail = "settlement 401 exceeds hold" },
	{ "settling a negative amount", { .budget = 1000, .hold = 400 }, OP_SETTLE, .amount = -1,
	  .rc = GD_ERANGE, .detail = "amount -1" },
	{ "settling twice", { .budget = 1000, SETTLED(0) }, OP_SETTLE,
	  .rc = GD_ESTATE, .detail = "is already settled" },
	{ "settling a voided hold", { .budget = 1000, .hold = 400, .hstate = LEDGER_HOLD_VOIDED },
	  OP_SETTLE, .rc = GD_ESTATE, .detail = "is already voided" },
	{ "settling an expired hold",
	  { .budget = 1000, .hold = 400, .hstate = LEDGER_HOLD_EXPIRED }, OP_SETTLE,
	  .now = 2500, .rc = GD_ESTATE, .detail = "is already expired" },
	{ "settling at the expiry, before the daemon expired it",
	  { .budget = 1000, .hold = 400 }, OP_SETTLE, .now = 2000,
	  .rc = GD_ESTATE, .detail = "expired at 2000" },
	{ "settling a second before the expiry", { .budget = 1000, .hold = 400 }, OP_SETTLE,
	  .now = 1999,
	  .w = { .budget = 1000, .settled = 400, .available = 600, .hstate = LEDGER_HOLD_SETTLED,
	  .ntransfers = 1, .kind = LEDGER_SETTLE, .debit = V, .credit = PA, .amount = 400 } },
	{ "settling past the payable's int64 limit",
	  { .budget = 1000, .hold = 400, .payable_settled = INT64_MAX - 399 }, OP_SETTLE,
	  .rc = GD_ERANGE, .detail = "settled of account 10 would overflow" },

	{ "voiding releases the hold", { .budget = 1000, .hold = 400 }, OP_VOID,
	  .w = { .budget = 1000, .available = 1000, .hstate = LEDGER_HOLD_VOIDED,
	  .ntransfers = 1, .kind = LEDGER_VOID, .debit = V, .credit = PA, .amount = 400 } },
	{ "voiding after the expiry", { .budget = 1000, .hold = 400 }, OP_VOID, .now = 5000,
	  .w = { .budget = 1000, .available = 1000, .hstate = LEDGER_HOLD_VOIDED,
	  .ntransfers = 1, .kind = LEDGER_VOID, .debit = V, .credit = PA, .amount = 400 } },
	{ "voiding twice", { .budget = 1000, .hold = 400, .hstate = LEDGER_HOLD_VOIDED }, OP_VOID,
	  .rc = GD_ESTATE, .detail = "is already voided" },
	{ "voiding a settled hold", { .budget = 1000, SETTLED(0) }, OP_VOID,
	  .rc = GD_ESTATE, .detail = "is already settled" },

	{ "expiring at the expiry", { .budget = 1000, .hold = 400 }, OP_EXPIRE, .now = 2000,
	  .w = { .budget = 1000, .available = 1000, .hstate = LEDGER_HOLD_EXPIRED,
	  .ntransfers = 1, .kind = LEDGER_EXPIRE, .debit = V, .credit = PA, .amount = 400 } },
	{ "expiring a second early", { .budget = 1000, .hold = 400 }, OP_EXPIRE, .now = 1999,
	  .rc = GD_ESTATE, .detail = "expires at 2000" },
	{ "expiring a voided hold", { .budget = 1000, .hold = 400, .hstate = LEDGER_HOLD_VOIDED },
	  OP_EXPIRE, .now = 3000, .rc = GD_ESTATE, .detail = "is already voided" },
	{ "expiring a settled hold", { .budget = 1000, SETTLED(0) }, OP_EXPIRE, .now = 3000,
	  .rc = GD_ESTATE, .detail = "is already settled" },
	{ "expiring twice", { .budget = 1000, .hold = 400, .hstate = LEDGER_HOLD_EXPIRED },
	  OP_EXPIRE, .now = 3000, .rc = GD_ESTATE, .detail = "is already expired" },

	{ "a refund gives money back to the voucher", { .budget = 1000, SETTLED(300) },
	  OP_REFUND, .amount = 100,
	  .w = { .budget = 1000, .settled = 300, .refunded = 100, .available = 800,
	  .hstate = LEDGER_HOLD_SETTLED, .ntransfers = 1, .kind = LEDGER_REFUND,
	  .debit = PA, .credit = V, .amount = 100 } },
	{ "refunding all of a settlement", { .budget = 1000, SETTLED(300) }, OP_REFUND,
	  .amount = 300,
	  .w = { .budget = 1000, .settled = 300, .refunded = 300, .available = 1000,
	  .hstate = LEDGER_HOLD_SETTLED, .ntransfers = 1, .kind = LEDGER_REFUND,
	  .debit = PA, .credit = V, .amount = 300 } },
	{ "refunding more than settled", { .budget = 1000, SETTLED(300) }, OP_REFUND,
	  .amount = 301, .rc = GD_ERANGE, .detail = "refund 301 exceeds the 300 left" },
	{ "refunds add up to at most the settlement",
	  { .budget = 1000, SETTLED(300), .refund = 200 }, OP_REFUND, .amount = 101,
	  .rc = GD_ERANGE, .detail = "refund 101 exceeds the 100 left" },
	{ "the last won of a settlement", { .budget = 1000, SETTLED(300), .refund = 200 },
	  OP_REFUND, .amount = 100,
	  .w = { .budget = 1000, .settled = 300, .refunded = 300, .available = 1000,
	  .hstate = LEDGER_HOLD_SETTLED, .ntransfers = 1, .kind = LEDGER_REFUND,
	  .debit = PA, .credit = V, .amount = 100 } },
	{ "refunding a pending hold", { .budget = 1000, .hold = 400 }, OP_REFUND, .amount = 1,
	  .rc = GD_ESTATE, .detail = "is pending, not settled" },
	{ "refunding a voided hold", { .budget = 1000, .hold = 400, .hstate = LEDGER_HOLD_VOIDED },
	  OP_REFUND, .amount = 1, .rc = GD_ESTATE, .detail = "is voided, not settled" },
	{ "a refund of 0", { .budget = 1000, SETTLED(300) }, OP_REFUND, .amount = 0,
	  .rc = GD_ERANGE, .detail = "amount 0" },
	{ "a refund after close goes to returned funds",
	  { .budget = 1000, SETTLED(300), .closed = true }, OP_REFUND, .amount = 100,
	  .w = { .budget = 1000, .settled = 300, .returned = 700, .available = 0, .closed = true,
	  .hstate = LEDGER_HOLD_SETTLED, .ntransfers = 1, .kind = LEDGER_REFUND,
	  .debit = PA, .credit = R_ID, .amount = 100 } },

	{ "closing returns the unspent budget", { .budget = 1000 }, OP_CLOSE,
	  .w = { .budget = 1000, .returned = 1000, .closed = true, .ntransfers = 1,
	  .kind = LEDGER_RETURN, .debit = V, .credit = R_ID, .amount = 1000 } },
	{ "closing voids pending holds first", { .budget = 1000, .hold = 400 }, OP_CLOSE,
	  .w = { .budget = 1000, .returned = 1000, .closed = true, .hstate = LEDGER_HOLD_VOIDED,
	  .ntransfers = 2, .kind = LEDGER_RETURN, .debit = V, .credit = R_ID, .amount = 1000 } },
	{ "closing after a partial settlement", { .budget = 1000, SETTLED(300) }, OP_CLOSE,
	  .w = { .budget = 1000, .settled = 300, .returned = 700, .closed = true,
	  .hstate = LEDGER_HOLD_SETTLED, .ntransfers = 1, .kind = LEDGER_RETURN,
	  .debit = V, .credit = R_ID, .amount = 700 } },
	{ "closing an unopened voucher", { 0 }, OP_CLOSE, .w = { .closed = true } },
	{ "closing a spent voucher", { .budget = 400, SETTLED(0) }, OP_CLOSE,
	  .w = { .budget = 400, .settled = 400, .closed = true, .hstate = LEDGER_HOLD_SETTLED } },
	{ "closing twice", { .budget = 1000, .closed = true }, OP_CLOSE,
	  .rc = GD_ESTATE, .detail = "voucher 100 is already closed" },
	{ "closing up to returned's int64 limit", { .budget = 1000, .returned = INT64_MAX - 1000 },
	  OP_CLOSE, .w = { .budget = 1000, .returned = 1000, .closed = true, .ntransfers = 1,
	  .kind = LEDGER_RETURN, .debit = V, .credit = R_ID, .amount = 1000 } },
	{ "closing past returned's int64 limit", { .budget = 1000, .returned = INT64_MAX - 999 },
	  OP_CLOSE, .rc = GD_ERANGE, .detail = "returned of account 2 would overflow" },
};

static void
build(struct world *w, const struct given *g)
{
	world_init(w, 2, 1);
	if (g->budget != 0)
		MUST(w_open(w, 0, g->budget));
	if (g->hold != 0) {
		MUST(w_hold(w, 0, 0, g->hold, 2000, "supplier-a", false));
		switch (g->hstate) {
		case LEDGER_HOLD_PENDING:
			break;
		case LEDGER_HOLD_SETTLED:
			MUST(w_settle(w, 0, g->settle));
			if (g->refund != 0)
				MUST(w_refund(w, 0, g->refund));
			break;
		case LEDGER_HOLD_VOIDED:
			MUST(w_release(w, 0, false));
			break;
		case LEDGER_HOLD_EXPIRED:
			w->now = 2000;
			MUST(w_release(w, 0, true));
			break;
		}
	}
	if (g->closed)
		MUST(w_close(w, 0));
	w->acc[W_FUNDING].budget += g->funding;
	pay(w, 0)->held += g->payable_held;
	pay(w, 0)->settled += g->payable_settled;
	w->acc[W_RETURNED].returned += g->returned;
}

static int
run_op(struct world *w, const struct row *r)
{
	int64_t exp;

	switch (r->op) {
	case OP_OPEN:
		return w_open(w, 0, r->amount);
	case OP_HOLD:
		exp = r->expires != 0 ? r->expires : w->now + 1000;
		return w_hold(w, 0, 0, r->amount, exp, r->org ? r->org : "supplier-a", r->override);
	case OP_SETTLE:
		return w_settle(w, 0, r->amount);
	case OP_VOID:
		return w_release(w, 0, false);
	case OP_EXPIRE:
		return w_release(w, 0, true);
	case OP_REFUND:
		return w_refund(w, 0, r->amount);
	case OP_CLOSE:
		return w_close(w, 0);
	}
	return GD_EINVAL;
}

START_TEST(rules)
{
	const struct row *r = &rows[_i];
	const struct want *x = &r->w;
	struct world world, *w = &world;
	struct ledger_account before[W_MAXACC];
	struct ledger_hold hbefore[4];
	struct ledger_account *v;
	const struct ledger_transfer *t;
	size_t nj, nh;
	int64_t avail;
	int rc;

	build(w, &r->g);
	memcpy(before, w->acc, sizeof(before));
	nh = w->nholds;
	ck_assert(nh <= 4);
	if (nh > 0)
		memcpy(hbefore, w->holds, nh * sizeof(*hbefore));
	nj = w->nj;
	w->now = r->now != 0 ? r->now : 1500;
	w->err[0] = '\0';

	rc = run_op(w, r);
	ck_assert_msg(rc == r->rc, "%s: rc %d, want %d (%s)", r->what, rc, r->rc, w->err);
	if (rc != 0) {
		ck_assert_msg(strstr(w->err, r->detail) != NULL, "%s: detail \"%s\" lacks \"%s\"",
		    r->what, w->err, r->detail);
		ck_assert_msg(w->untouched, "%s: a refusal wrote an output", r->what);
		ck_assert_msg(memcmp(before, w->acc, sizeof(before)) == 0 && w->nj == nj &&
		    w->nholds == nh && (nh == 0 || memcmp(hbefore, w->holds,
		    nh * sizeof(*hbefore)) == 0), "%s: a refusal changed state", r->what);
		world_free(w);
		return;
	}

	v = vou(w, 0);
	ck_assert_msg(v->budget == x->budget && v->held == x->held && v->settled == x->settled &&
	    v->refunded == x->refunded && v->returned == x->returned && v->closed == x->closed,
	    "%s: voucher %" PRId64 "/%" PRId64 "/%" PRId64 "/%" PRId64 "/%" PRId64 "/%d", r->what,
	    v->budget, v->held, v->settled, v->refunded, v->returned, v->closed);
	ck_assert_int_eq(ledger_available(v, &avail), 0);
	ck_assert_msg(avail == x->available, "%s: available %" PRId64, r->what, avail);
	if (w->nholds > 0)
		ck_assert_msg(w->holds[w->nholds - 1].state == x->hstate, "%s: hold is %s", r->what,
		    ledger_hold_state_name(w->holds[w->nholds - 1].state));
	ck_assert_msg(w->nj - nj == x->ntransfers, "%s: %zu transfers", r->what, w->nj - nj);
	if (x->kind != 0) {
		t = &w->j[w->nj - 1];
		ck_assert_msg(t->kind == x->kind && t->debit == x->debit && t->credit == x->credit &&
		    t->amount == x->amount && t->at == w->now && t->id == w->next_id - 1,
		    "%s: transfer %s %" PRId64 " -> %" PRId64 " of %" PRId64, r->what,
		    ledger_kind_name(t->kind), t->debit, t->credit, t->amount);
		if (t->kind == LEDGER_SETTLE || t->kind == LEDGER_VOID || t->kind == LEDGER_EXPIRE)
			ck_assert_int_eq(t->ref, w->holds[0].id);
		else if (t->kind == LEDGER_REFUND)
			ck_assert_int_eq(t->ref, w->holds[0].resolved_by);
		else
			ck_assert_int_eq(t->ref, 0);
	}
	/* Preloaded rows have money the journal cannot explain; the rest must verify. */
	if (r->g.funding == 0 && r->g.payable_held == 0 && r->g.payable_settled == 0 &&
	    r->g.returned == 0)
		ck_assert_msg(w_verify(w) == 0, "%s: verify: %s", r->what, w->err);
	world_free(w);
}
END_TEST

/* Accounts that are not the hold's, or of the wrong type, are a malformed call. */
START_TEST(wrong_accounts)
{
	struct world world, *w = &world;
	struct ledger_party party = { "supplier-a", team_orgs, 2, false };
	struct ledger_transfer t;
	struct ledger_hold h, *h0;
	char err[GD_ERRBUF];
	size_t nout;

	world_init(w, 2, 2);
	MUST(w_open(w, 0, 1000));
	MUST(w_open(w, 1, 1000));
	MUST(w_hold(w, 0, 0, 400, 2000, "supplier-a", false));
	MUST(w_hold(w, 0, 1, 100, 2000, "supplier-a", false));
	MUST(w_settle(w, 1, 0));
	h0 = &w->holds[0];

	ck_assert_int_eq(ledger_open(vou(w, 0), vou(w, 1), 10, 50, 1500, &t, err, sizeof(err)),
	    GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "account 100 is a voucher account, not a funding"));
	ck_assert_int_eq(ledger_open(&w->acc[W_FUNDING], vou(w, 1), 10, 0, 1500, &t, err,
	    sizeof(err)), GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "transfer id 0 is not positive"));
	ck_assert_int_eq(ledger_hold_create(vou(w, 0), vou(w, 1), &party, 10, 50, 1500, 2000,
	    &h, &t, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_hold_settle(h0, vou(w, 0), pay(w, 1), 0, 50, 1500, &t, err,
	    sizeof(err)), GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "hold 3 is between accounts 100 and 10, not 100 and 11"));
	ck_assert_int_eq(ledger_hold_settle(h0, vou(w, 1), pay(w, 0), 0, 50, 1500, &t, err,
	    sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_hold_settle(h0, vou(w, 0), pay(w, 0), 0, -7, 1500, &t, err,
	    sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_hold_void(h0, vou(w, 0), pay(w, 1), 50, 1500, &t, err,
	    sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_hold_expire(h0, vou(w, 1), pay(w, 0), 50, 3000, &t, err,
	    sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_refund(&w->holds[1], vou(w, 0), pay(w, 0), &w->acc[W_RETURNED],
	    10, 50, 1500, &t, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_refund(&w->holds[1], vou(w, 0), pay(w, 1), pay(w, 0),
	    10, 50, 1500, &t, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_close(pay(w, 0), &w->acc[W_RETURNED], NULL, 0, NULL, 0, 50, 1500,
	    &t, &nout, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(ledger_close(vou(w, 1), &w->acc[W_RETURNED], NULL, 0, NULL, 0,
	    INT64_MAX, 1500, &t, &nout, NULL, 0), 0);
	/* A NULL err is allowed: the caller may not want the detail. */
	ck_assert_int_eq(ledger_open(&w->acc[W_FUNDING], vou(w, 1), 0, 50, 1500, &t, NULL, 0),
	    GD_ERANGE);
	world_free(w);
}
END_TEST

/* Close with several holds over shared payables, and the ways its hold list can be wrong. */
START_TEST(close_many)
{
	struct world world, *w = &world;
	struct ledger_hold hs[6];
	struct ledger_account ps[3];
	struct ledger_transfer out[7];
	size_t nout = 0;
	char err[GD_ERRBUF];

	world_init(w, 3, 2);
	MUST(w_open(w, 0, MAX));
	MUST(w_open(w, 1, 1000));
	MUST(w_hold(w, 0, 0, MAX / 4, 2000, "s", false));	/* pending, payable 0 */
	MUST(w_hold(w, 0, 1, MAX / 4, 2000, "s", false));	/* pending, payable 1 */
	MUST(w_hold(w, 0, 0, 7, 2000, "s", false));		/* pending, payable 0 again */
	MUST(w_hold(w, 0, 2, 100, 2000, "s", false));
	MUST(w_settle(w, 3, 60));				/* settled, payable 2 */
	MUST(w_hold(w, 1, 2, 5, 2000, "s", false));		/* voucher 1's */
	w->now = 1700;

	/* A pending hold of another voucher. */
	memcpy(hs, w->holds, 5 * sizeof(*hs));
	ck_assert_int_eq(ledger_close(vou(w, 0), &w->acc[W_RETURNED], hs, 5, pay(w, 0), 3,
	    w->next_id, w->now, out, &nout, err, sizeof(err)), GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "hold 8 is not voucher 100's"));
	/* A payable missing. */
	ck_assert_int_eq(ledger_close(vou(w, 0), &w->acc[W_RETURNED], hs, 4, pay(w, 0), 1,
	    w->next_id, w->now, out, &nout, err, sizeof(err)), GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "payable 11 of hold 4 was not given"));
	/* A pending hold left out. */
	ck_assert_int_eq(ledger_close(vou(w, 0), &w->acc[W_RETURNED], hs + 1, 3, pay(w, 0), 3,
	    w->next_id, w->now, out, &nout, err, sizeof(err)), GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "still holds 2500000000000 after the given holds"));
	/* The same hold twice would void it twice. */
	memcpy(hs + 4, hs + 2, sizeof(*hs));
	ck_assert_int_eq(ledger_close(vou(w, 0), &w->acc[W_RETURNED], hs, 5, pay(w, 0), 3,
	    w->next_id, w->now, out, &nout, err, sizeof(err)), GD_EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "hold 5 is given twice"));
	/* Transfer ids that would wrap. */
	ck_assert_int_eq(ledger_close(vou(w, 0), &w->acc[W_RETURNED], hs, 4, pay(w, 0), 3,
	    INT64_MAX - 3, w->now, out, &nout, err, sizeof(err)), GD_EINVAL);
	ck_assert_int_eq(nout, 0);

	memcpy(hs, w->holds, 4 * sizeof(*hs));
	memcpy(ps, pay(w, 0), sizeof(ps));
	ck_assert_int_eq(ledger_close(vou(w, 0), &w->acc[W_RETURNED], hs, 4, ps, 3,
	    w->next_id, w->now, out, &nout, err, sizeof(err)), 0);
	ck_assert_int_eq(nout, 4);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(out[i].kind, LEDGER_VOID);
		ck_assert_int_eq(out[i].id, w->next_id + (int64_t)i);
		ck_assert_int_eq(out[i].ref, hs[i].id);
		ck_assert_int_eq(hs[i].state, LEDGER_HOLD_VOIDED);
		ck_assert_int_eq(hs[i].resolved_by, out[i].id);
	}
	ck_assert_int_eq(hs[3].state, LEDGER_HOLD_SETTLED);
	ck_assert_int_eq(out[3].kind, LEDGER_RETURN);
	ck_assert_int_eq(out[3].amount, MAX - 60);
	ck_assert_int_eq(ps[0].held, 0);
	ck_assert_int_eq(ps[1].held, 0);
	ck_assert_int_eq(ps[2].held, 5);
	ck_assert(vou(w, 0)->closed);
	ck_assert_int_eq(vou(w, 0)->returned, MAX - 60);

	/* The daemon stores it all; the ledger still verifies. */
	memcpy(w->holds, hs, 4 * sizeof(*hs));
	memcpy(pay(w, 0), ps, sizeof(ps));
	finish(w, 0, out, nout, NULL);
	ck_assert_msg(w_verify(w) == 0, "%s", w->err);
	world_free(w);
}
END_TEST

START_TEST(names_and_available)
{
	struct ledger_account a = { .id = 5, .type = LEDGER_VOUCHER, .budget = MAX, .held = 1,
	    .settled = 2, .refunded = 1, .returned = 3 };
	int64_t avail = -1;

	ck_assert_str_eq(ledger_kind_name(LEDGER_REFUND), "refund");
	ck_assert_str_eq(ledger_kind_name((enum ledger_kind)0), "unknown");
	ck_assert_str_eq(ledger_account_type_name(LEDGER_RETURNED), "returned");
	ck_assert_str_eq(ledger_hold_state_name(LEDGER_HOLD_EXPIRED), "expired");
	ck_assert_int_eq(ledger_available(&a, &avail), 0);
	ck_assert_int_eq(avail, MAX - 5);
	a.held = INT64_MAX;
	a.settled = INT64_MAX;
	avail = 7;
	ck_assert_int_eq(ledger_available(&a, &avail), GD_ERANGE);
	ck_assert_int_eq(avail, 7);
}
END_TEST

/*
 * The audit.  A reference ledger with every kind of transfer, each row
 * spoiling one thing the way a bug or a hand-edited database would.
 */
static struct ledger_transfer *
nth(struct world *w, enum ledger_kind kind, int n)
{
	for (size_t i = 0; i < w->nj; i++)
		if (w->j[i].kind == kind && n-- == 0)
			return &w->j[i];
	ck_abort_msg("no %s #%d", ledger_kind_name(kind), n);
	return NULL;
}

static void
append(struct world *w, struct ledger_transfer t)
{
	t.id = w->next_id;
	finish(w, 0, &t, 1, NULL);
}

static void
reference(struct world *w)
{
	world_init(w, 2, 2);
	MUST(w_open(w, 0, 1000));			/* 1 */
	MUST(w_open(w, 1, 500));			/* 2 */
	MUST(w_hold(w, 0, 0, 300, 2000, "s", false));	/* 3: hold 0 */
	MUST(w_hold(w, 0, 1, 200, 2000, "s", false));	/* 4: hold 1 */
	MUST(w_hold(w, 1, 0, 100, 2000, "s", false));	/* 5: hold 2 */
	MUST(w_settle(w, 0, 250));			/* 6 */
	MUST(w_refund(w, 0, 50));			/* 7 */
	MUST(w_release(w, 1, false));			/* 8 */
	w->now = 2000;
	MUST(w_release(w, 2, true));			/* 9 */
	MUST(w_hold(w, 0, 0, 100, 3000, "s", false));	/* 10: hold 3, pending */
	MUST(w_hold(w, 1, 1, 100, 3000, "s", false));	/* 11: hold 4 */
	MUST(w_settle(w, 4, 0));			/* 12 */
	MUST(w_close(w, 1));				/* 13: return 400 */
	MUST(w_refund(w, 4, 30));			/* 14: to returned funds */
}

static void m_none(struct world *w) { (void)w; }
static void m_held(struct world *w) { vou(w, 0)->held++; }
static void m_funding(struct world *w) { w->acc[W_FUNDING].budget--; }
static void m_amount(struct world *w) { nth(w, LEDGER_SETTLE, 0)->amount = 260; }
static void m_settle_twice(struct world *w) { append(w, *nth(w, LEDGER_SETTLE, 0)); }
static void m_void_settled(struct world *w) { append(w, *nth(w, LEDGER_VOID, 0)); nth(w, LEDGER_VOID, 1)->ref = 3; }
static void m_refund_over(struct world *w) { struct ledger_transfer t = *nth(w, LEDGER_REFUND, 0); t.amount = 201; append(w, t); }
static void m_ids(struct world *w) { w->j[5].id = w->j[4].id; }
static void m_unknown(struct world *w) { nth(w, LEDGER_HOLD, 0)->credit = 999; }
static void m_reversed(struct world *w) { struct ledger_transfer *t = nth(w, LEDGER_HOLD, 0); int64_t d = t->debit; t->debit = t->credit; t->credit = d; }
static void m_early_expire(struct world *w) { nth(w, LEDGER_EXPIRE, 0)->at = 1999; }
static void m_late_settle(struct world *w) { nth(w, LEDGER_SETTLE, 0)->at = 2000; }
static void m_overdraw(struct world *w) { nth(w, LEDGER_HOLD, 1)->amount = 701; }
static void m_hold_state(struct world *w) { w->holds[0].state = LEDGER_HOLD_PENDING; w->holds[0].resolved_by = 0; }
static void m_hold_refunded(struct world *w) { w->holds[0].refunded = 40; }
static void m_hold_missing(struct world *w) { w->nholds--; }
static void m_hold_phantom(struct world *w) { w->holds[4].id = 6; }
static void m_hold_twice(struct world *w) { w->holds[4] = w->holds[3]; }
static void m_hold_amount(struct world *w) { w->holds[3].amount = 99; }
static void m_acct_twice(struct world *w) { w->acc[w->nacc++] = *pay(w, 1); }
static void m_reopened(struct world *w) { vou(w, 1)->closed = false; }
static void m_refund_closed(struct world *w) { struct ledger_transfer t = *nth(w, LEDGER_REFUND, 1); t.credit = VOU_ID(1); append(w, t); }
static void m_refund_other(struct world *w) { nth(w, LEDGER_REFUND, 0)->credit = VOU_ID(1); }
static void m_return_short(struct world *w) { nth(w, LEDGER_RETURN, 0)->amount = 399; }
static void m_kind(struct world *w) { w->j[0].kind = (enum ledger_kind)99; }
static void m_zero(struct world *w) { nth(w, LEDGER_OPEN, 0)->amount = 0; }
static void m_open_twice(struct world *w) { append(w, *nth(w, LEDGER_OPEN, 0)); }
static void m_void_amount(struct world *w) { nth(w, LEDGER_VOID, 0)->amount = 199; }
static void m_ref_not_hold(struct world *w) { nth(w, LEDGER_SETTLE, 0)->ref = 1; }
static void m_closed_payable(struct world *w) { pay(w, 0)->closed = true; }
static void m_closed_open(struct world *w) { vou(w, 0)->closed = true; }
static void m_hold_after_close(struct world *w) { struct ledger_transfer t = *nth(w, LEDGER_HOLD, 4); t.amount = 1; append(w, t); }
static void m_bad_type(struct world *w) { pay(w, 1)->type = (enum ledger_account_type)9; }

static const struct {
	const char *what;
	void (*spoil)(struct world *);
	const char *detail;
} spoiled[] = {
	{ "intact", m_none, NULL },
	{ "a stored balance one won off", m_held, "account 100 (voucher): held is 101 stored, 100 by the journal" },
	{ "funding's total off", m_funding, "account 1 (funding): budget is 1499 stored, 1500" },
	{ "a transfer's amount edited", m_amount, "account 10 (payable): settled is 250 stored, 260 by the journal" },
	{ "a hold settled twice", m_settle_twice, "transfer 15 (settle): hold 3 was already settled by transfer 6" },
	{ "a settled hold voided", m_void_settled, "hold 3 was already settled" },
	{ "a refund above its settlement", m_refund_over, "refunds 201 of the 200 left of settlement 6" },
	{ "ids that do not increase", m_ids, "transfer 5 (settle): id does not increase" },
	{ "an unknown account", m_unknown, "transfer 3 (hold): account 999 is unknown" },
	{ "a hold from the payable to the voucher", m_reversed, "goes payable -> voucher, not voucher -> payable" },
	{ "an expiry before its time", m_early_expire, "transfer 9 (expire): at 1999 is on the wrong side" },
	{ "a settlement at the expiry", m_late_settle, "transfer 6 (settle): at 2000 is on the wrong side" },
	{ "a hold that overdraws", m_overdraw, "transfer 4 (hold): overdraws voucher 100" },
	{ "a stored hold in the wrong state", m_hold_state, "hold 3: pending by 0 stored, settled by 6 by the journal" },
	{ "a stored hold's refunds off", m_hold_refunded, "hold 3: settled 250 refunded 40 stored, 250 and 50" },
	{ "a hold not stored", m_hold_missing, "hold 11 is not stored" },
	{ "a stored hold not in the journal", m_hold_phantom, "hold 6: no such hold in the journal" },
	{ "a hold stored twice", m_hold_twice, "hold 10 is stored twice" },
	{ "a stored hold's amount off", m_hold_amount, "hold 10: accounts, amount or expiry differ" },
	{ "an account stored twice", m_acct_twice, "account 11 is stored twice" },
	{ "closed by the journal, stored open", m_reopened, "account 101: the journal closed it, stored open" },
	{ "a refund into a closed voucher", m_refund_closed, "voucher 101 was closed before" },
	{ "a refund into another voucher", m_refund_other, "credits voucher 101, not the settlement's 100" },
	{ "a return short of the rest", m_return_short, "transfer 13 (return): is not the whole available rest" },
	{ "an unknown kind", m_kind, "transfer 1 (unknown): unknown kind 99" },
	{ "an amount of 0", m_zero, "transfer 1 (open): amount 0 out of range" },
	{ "a voucher opened twice", m_open_twice, "transfer 15 (open): voucher 100 was already open" },
	{ "a void that is not the hold's amount", m_void_amount, "amount 199 does not fit hold 4 of 200" },
	{ "a settlement of something not a hold", m_ref_not_hold, "ref 1 is not an earlier hold" },
	{ "a closed payable", m_closed_payable, "account 10 is closed but not a voucher" },
	{ "closed with money available", m_closed_open, "account 100: closed with money held or available" },
	{ "a hold after the close", m_hold_after_close, "transfer 15 (hold): voucher 101 was closed before" },
	{ "an account of no known type", m_bad_type, "account 11 has unknown type 9" },
};

START_TEST(verify)
{
	struct world world, *w = &world;
	int rc;

	reference(w);
	spoiled[_i].spoil(w);
	rc = w_verify(w);
	if (spoiled[_i].detail == NULL) {
		ck_assert_msg(rc == 0, "%s: %s", spoiled[_i].what, w->err);
	} else {
		ck_assert_msg(rc == GD_ECONFLICT, "%s: rc %d", spoiled[_i].what, rc);
		ck_assert_msg(strstr(w->err, spoiled[_i].detail) != NULL,
		    "%s: \"%s\" lacks \"%s\"", spoiled[_i].what, w->err, spoiled[_i].detail);
	}
	world_free(w);
}
END_TEST

START_TEST(verify_empty)
{
	char err[GD_ERRBUF];

	ck_assert_int_eq(ledger_verify(NULL, 0, NULL, 0, NULL, 0, err, sizeof(err)), 0);
}
END_TEST

/*
 * The model check.  A reference model keeps the ledger the naive way: a
 * list of holds and their states, every balance summed afresh from it in
 * 128-bit arithmetic.  It predicts the outcome of each random call; after
 * every call the ledger's accounts and holds must equal the model's, no
 * voucher may be overdrawn, debits must equal credits, no hold may be
 * resolved twice nor a settlement over-refunded, and ledger_verify must
 * agree with the journal.  Amounts crowd around 10^13 and the edges of
 * what is available; in half the rounds the funding account starts close
 * to INT64_MAX so that opening vouchers runs into its limit.
 */
#define SEED_DEFAULT 20260301u
#define RV 12		/* vouchers in a round */
#define RP 3		/* payables */
#define ROUNDS 10
#define STEPS 600

typedef __int128 wide;	/* the model's sums cannot overflow */

struct rng {
	uint64_t s;
};

/* splitmix64: tiny, and every seed gives a good stream. */
static uint64_t
rnd(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform enough in [lo, hi], hi - lo < INT64_MAX. */
static int64_t
between(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static int64_t
pick_amount(struct rng *r, int64_t ref)
{
	switch (between(r, 0, 12)) {
	case 0:		return ref;
	case 1:		return ref + 1;
	case 2:		return ref - 1;
	case 3:		return 1;
	case 4:		return MAX;
	case 5:		return MAX - between(r, 0, 1000);
	case 6:		return MAX + 1;
	case 7:		return between(r, 0, 1) ? 0 : -between(r, 1, MAX);
	case 8:		return between(r, 0, 1) ? INT64_MAX : INT64_MIN;
	case 9:		return ref > 1 ? between(r, 1, ref) : 1;
	case 10:	return ref > 2 ? between(r, 1, ref / 2) : 2;
	case 11:	return ref > 0 && ref < MAX ? ref + between(r, 1, MAX - ref) : ref;
	default:	return between(r, 1, MAX);
	}
}

static int64_t
pick_budget(struct rng *r)
{
	switch (between(r, 0, 5)) {
	case 0:		return MAX - between(r, 0, 1000000000);
	case 1:		return between(r, 1, MAX);
	case 2:		return between(r, 1, 1000000);
	case 3:		return pick_amount(r, MAX);
	default:	return MAX;
	}
}

struct mhold {
	size_t v, p;
	int64_t amount, expires_at, settled, refunded, to_returned;
	enum ledger_hold_state state;
	int resolutions;	/* resolving transfers seen in the journal */
	wide refunds_seen;	/* refund transfers seen against its settlement */
};

struct model {
	int64_t pre;		/* funding preloaded: money the journal cannot explain */
	int64_t budget[RV], returned[RV];
	bool closed[RV];
	struct mhold *h;	/* parallel to the world's holds */
	size_t nh, cap;
	size_t seen;		/* journal rows already checked */
};

struct ctx {
	unsigned long long seed;
	int round, step;
	const char *op;
	const char *err;
};

#define CHECK(c, ...) do {						\
	if (!(c)) {							\
		char check_m_[512];					\
		snprintf(check_m_, sizeof(check_m_), __VA_ARGS__);	\
		ck_abort_msg("GRANTD_SEED=%llu round %d step %d %s: %s (err: %s)",	\
		    cx->seed, cx->round, cx->step, cx->op, check_m_, cx->err);	\
	}								\
} while (0)

static wide
model_available(const struct model *m, size_t v)
{
	wide a = (wide)m->budget[v] - m->returned[v];

	for (size_t i = 0; i < m->nh; i++) {
		const struct mhold *h = &m->h[i];

		if (h->v != v)
			continue;
		if (h->state == LEDGER_HOLD_PENDING)
			a -= h->amount;
		a += (wide)h->refunded - h->to_returned - h->settled;
	}
	return a;
}

static wide
model_funding(const struct model *m)
{
	wide f = m->pre;

	for (size_t v = 0; v < RV; v++)
		f += m->budget[v];
	return f;
}

/* The accounts as the model says they are, in the world's order. */
static void
model_accounts(const struct model *m, const struct world *w, struct ledger_account *x)
{
	memcpy(x, w->acc, w->nacc * sizeof(*x));
	for (size_t i = 0; i < w->nacc; i++) {
		x[i].budget = x[i].held = x[i].settled = x[i].refunded = x[i].returned = 0;
		x[i].closed = false;
	}
	x[W_FUNDING].budget = (int64_t)model_funding(m);
	for (size_t v = 0; v < RV; v++) {
		struct ledger_account *a = &x[W_PAY + RP + v];

		a->budget = m->budget[v];
		a->returned = m->returned[v];
		a->closed = m->closed[v];
		x[W_RETURNED].returned += m->returned[v];
	}
	for (size_t i = 0; i < m->nh; i++) {
		const struct mhold *h = &m->h[i];
		struct ledger_account *a = &x[W_PAY + RP + h->v], *p = &x[W_PAY + h->p];

		if (h->state == LEDGER_HOLD_PENDING) {
			a->held += h->amount;
			p->held += h->amount;
		}
		a->settled += h->settled;
		p->settled += h->settled;
		a->refunded += h->refunded - h->to_returned;
		p->refunded += h->refunded;
		x[W_RETURNED].refunded += h->to_returned;
	}
}

static size_t
hold_index(const struct world *w, int64_t id)
{
	for (size_t i = 0; i < w->nholds; i++)
		if (w->holds[i].id == id)
			return i;
	return w->nholds;
}

static void
check_all(struct world *w, struct model *m, struct ctx *cx)
{
	struct ledger_account x[W_MAXACC], adj[W_MAXACC];
	wide dpost = 0, cpost = 0, dpend = 0, cpend = 0;
	int64_t avail;
	char err[GD_ERRBUF];

	model_accounts(m, w, x);
	for (size_t i = 0; i < w->nacc; i++) {
		const struct ledger_account *a = &w->acc[i], *e = &x[i];

		CHECK(a->budget == e->budget && a->held == e->held && a->settled == e->settled &&
		    a->refunded == e->refunded && a->returned == e->returned &&
		    a->closed == e->closed, "account %" PRId64 " differs from the model", a->id);
		CHECK(a->budget >= 0 && a->held >= 0 && a->settled >= 0 && a->refunded >= 0 &&
		    a->returned >= 0, "account %" PRId64 " has a negative field", a->id);
	}
	for (size_t v = 0; v < RV; v++) {
		CHECK(ledger_available(vou(w, v), &avail) == 0, "available of voucher %zu", v);
		CHECK(avail >= 0 && avail == model_available(m, v), "voucher %zu available %" PRId64, v,
		    avail);
	}

	CHECK(w->nholds == m->nh, "%zu holds, model %zu", w->nholds, m->nh);
	for (size_t i = 0; i < m->nh; i++) {
		const struct ledger_hold *h = &w->holds[i];
		const struct mhold *e = &m->h[i];

		CHECK(h->voucher == vou(w, e->v)->id && h->payable == pay(w, e->p)->id &&
		    h->amount == e->amount && h->expires_at == e->expires_at &&
		    h->state == e->state && h->settled == e->settled && h->refunded == e->refunded &&
		    (h->resolved_by != 0) == (e->state != LEDGER_HOLD_PENDING),
		    "hold %" PRId64 " differs from the model", h->id);
		CHECK(h->refunded <= h->settled, "hold %" PRId64 " over-refunded", h->id);
	}

	/* Debits = credits, by the side table of ledger.h, in wide sums. */
	dpost = (wide)w->acc[W_FUNDING].budget - m->pre;
	cpost = (wide)w->acc[W_RETURNED].refunded + w->acc[W_RETURNED].returned;
	for (size_t p = 0; p < RP; p++) {
		cpost += pay(w, p)->settled;
		dpost += pay(w, p)->refunded;
		cpend += pay(w, p)->held;
	}
	for (size_t v = 0; v < RV; v++) {
		cpost += (wide)vou(w, v)->budget + vou(w, v)->refunded;
		dpost += (wide)vou(w, v)->settled + vou(w, v)->returned;
		dpend += vou(w, v)->held;
	}
	CHECK(dpost == cpost && dpend == cpend, "debits and credits differ");

	/* Each new journal row: resolves a hold at most once, refunds within its settlement. */
	for (; m->seen < w->nj; m->seen++) {
		const struct ledger_transfer *t = &w->j[m->seen];
		size_t k;

		CHECK(money_valid_amount(t->amount), "transfer %" PRId64 " amount", t->id);
		CHECK(m->seen == 0 || t->id > w->j[m->seen - 1].id, "transfer %" PRId64 " id", t->id);
		if (t->kind == LEDGER_SETTLE || t->kind == LEDGER_VOID || t->kind == LEDGER_EXPIRE) {
			k = hold_index(w, t->ref);
			CHECK(k < m->nh && ++m->h[k].resolutions == 1,
			    "hold %" PRId64 " resolved twice", t->ref);
		} else if (t->kind == LEDGER_REFUND) {
			for (k = 0; k < m->nh && w->holds[k].resolved_by != t->ref; k++)
				;
			CHECK(k < m->nh && m->h[k].state == LEDGER_HOLD_SETTLED,
			    "refund %" PRId64 " of no settlement", t->id);
			m->h[k].refunds_seen += t->amount;
			CHECK(m->h[k].refunds_seen <= m->h[k].settled,
			    "settlement %" PRId64 " over-refunded", t->ref);
		}
	}

	/* The journal explains everything but the preload. */
	memcpy(adj, w->acc, w->nacc * sizeof(*adj));
	adj[W_FUNDING].budget -= m->pre;
	CHECK(ledger_verify(adj, w->nacc, w->holds, w->nholds, w->j, w->nj, err, sizeof(err)) == 0,
	    "verify: %s", err);
}

/* The transfer a successful call appended must be the one the model expects. */
static void
check_transfer(struct world *w, struct ctx *cx, size_t at, enum ledger_kind kind,
    int64_t debit, int64_t credit, int64_t amount, int64_t ref)
{
	const struct ledger_transfer *t = &w->j[at];

	CHECK(t->kind == kind && t->debit == debit && t->credit == credit &&
	    t->amount == amount && t->ref == ref && t->at == w->now &&
	    (kind == LEDGER_HOLD) == (t->expires_at != 0),
	    "transfer %" PRId64 ": %s %" PRId64 " -> %" PRId64 " of %" PRId64 " ref %" PRId64
	    ", want %s %" PRId64 " -> %" PRId64 " of %" PRId64 " ref %" PRId64, t->id,
	    ledger_kind_name(t->kind), t->debit, t->credit, t->amount, t->ref,
	    ledger_kind_name(kind), debit, credit, amount, ref);
}

/* A hold to act on: in `want` state three times in four when there is one, so that calls succeed. */
static size_t
pick_hold(struct rng *r, const struct model *m, enum ledger_hold_state want)
{
	size_t start = (size_t)between(r, 0, (int64_t)m->nh - 1);

	if (between(r, 0, 3) != 0)
		for (size_t k = 0; k < m->nh; k++)
			if (m->h[(start + k) % m->nh].state == want)
				return (start + k) % m->nh;
	return start;
}

/* A voucher, open and not closed half the time when there is one. */
static size_t
pick_voucher(struct rng *r, const struct model *m)
{
	size_t start = (size_t)between(r, 0, RV - 1);

	if (between(r, 0, 1))
		for (size_t k = 0; k < RV; k++)
			if (m->budget[(start + k) % RV] != 0 && !m->closed[(start + k) % RV])
				return (start + k) % RV;
	return start;
}

static void
step(struct world *w, struct model *m, struct rng *r, struct ctx *cx)
{
	struct ledger_account acc0[W_MAXACC];
	struct ledger_hold *hold0 = NULL;
	size_t v = (size_t)between(r, 0, RV - 1), p = (size_t)between(r, 0, RP - 1);
	size_t nj = w->nj, nh = w->nholds, hi = 0;
	int64_t amt = 0, eff, ttl;
	struct mhold *h = NULL;
	int pick = (int)between(r, 0, 99), expect, rc;
	wide avail;

	if (pick >= 40 && pick < 88 && m->nh == 0)
		pick = 10;	/* nothing to act on yet: make a hold */
	memcpy(acc0, w->acc, sizeof(acc0));
	if (nh > 0) {
		hold0 = malloc(nh * sizeof(*hold0));
		ck_assert_ptr_nonnull(hold0);
		memcpy(hold0, w->holds, nh * sizeof(*hold0));
	}
	w->err[0] = '\0';
	cx->err = w->err;

	if (pick < 8) {
		cx->op = "open";
		amt = pick_budget(r);
		expect = !money_valid_amount(amt) ? GD_ERANGE : m->closed[v] ? GD_ESTATE :
		    m->budget[v] != 0 ? GD_ESTATE : model_funding(m) + amt > INT64_MAX ? GD_ERANGE : 0;
		rc = w_open(w, v, amt);
		CHECK(rc == expect, "rc %d, want %d (voucher %zu, amount %" PRId64 ")", rc, expect,
		    v, amt);
		if (rc == 0) {
			check_transfer(w, cx, nj, LEDGER_OPEN, F_ID, vou(w, v)->id, amt, 0);
			m->budget[v] = amt;
		}
	} else if (pick < 40) {
		bool related = between(r, 0, 7) == 0, override = between(r, 0, 1);

		cx->op = "hold";
		v = pick_voucher(r, m);
		avail = model_available(m, v);
		amt = avail > 0 && between(r, 0, 1) ? between(r, 1, (int64_t)avail) :
		    pick_amount(r, (int64_t)avail);
		ttl = between(r, 0, 29) == 0 ? -between(r, 0, 10) :
		    between(r, 1, between(r, 0, 1) ? 3000 : 50000);
		expect = ttl <= 0 ? GD_EINVAL : !money_valid_amount(amt) ? GD_ERANGE :
		    m->closed[v] ? GD_ESTATE : related && !override ? GD_ERELATED :
		    amt > avail ? GD_EFUNDS : 0;
		rc = w_hold(w, v, p, amt, w->now + ttl, related ? "member-b" : "supplier-x",
		    override);
		CHECK(rc == expect, "rc %d, want %d (voucher %zu, amount %" PRId64 ", available %"
		    PRId64 ")", rc, expect, v, amt, (int64_t)avail);
		if (rc == 0) {
			check_transfer(w, cx, nj, LEDGER_HOLD, vou(w, v)->id, pay(w, p)->id, amt, 0);
			if (m->nh == m->cap) {
				m->cap = m->cap ? 2 * m->cap : 64;
				m->h = realloc(m->h, m->cap * sizeof(*m->h));
				ck_assert_ptr_nonnull(m->h);
			}
			m->h[m->nh++] = (struct mhold){ .v = v, .p = p, .amount = amt,
			    .expires_at = w->now + ttl };
		}
	} else if (pick < 55) {
		cx->op = "settle";
		hi = pick_hold(r, m, LEDGER_HOLD_PENDING);
		h = &m->h[hi];
		amt = between(r, 0, 2) == 0 ? LEDGER_SETTLE_ALL : pick_amount(r, h->amount);
		eff = amt == LEDGER_SETTLE_ALL ? h->amount : amt;
		expect = amt != LEDGER_SETTLE_ALL && !money_valid_amount(amt) ? GD_ERANGE :
		    h->state != LEDGER_HOLD_PENDING ? GD_ESTATE :
		    w->now >= h->expires_at ? GD_ESTATE : eff > h->amount ? GD_ERANGE : 0;
		rc = w_settle(w, hi, amt);
		CHECK(rc == expect, "rc %d, want %d (hold %zu %s of %" PRId64 ", amount %" PRId64 ")",
		    rc, expect, hi, ledger_hold_state_name(h->state), h->amount, amt);
		if (rc == 0) {
			check_transfer(w, cx, nj, LEDGER_SETTLE, vou(w, h->v)->id, pay(w, h->p)->id,
			    eff, w->holds[hi].id);
			CHECK(w->holds[hi].resolved_by == w->j[nj].id, "settlement id");
			h->state = LEDGER_HOLD_SETTLED;
			h->settled = eff;
		}
	} else if (pick < 70) {
		bool expire = between(r, 0, 1);

		cx->op = expire ? "expire" : "void";
		hi = pick_hold(r, m, LEDGER_HOLD_PENDING);
		h = &m->h[hi];
		expect = h->state != LEDGER_HOLD_PENDING ? GD_ESTATE :
		    expire && w->now < h->expires_at ? GD_ESTATE : 0;
		rc = w_release(w, hi, expire);
		CHECK(rc == expect, "rc %d, want %d (hold %zu %s)", rc, expect, hi,
		    ledger_hold_state_name(h->state));
		if (rc == 0) {
			check_transfer(w, cx, nj, expire ? LEDGER_EXPIRE : LEDGER_VOID,
			    vou(w, h->v)->id, pay(w, h->p)->id, h->amount, w->holds[hi].id);
			h->state = expire ? LEDGER_HOLD_EXPIRED : LEDGER_HOLD_VOIDED;
		}
	} else if (pick < 85) {
		cx->op = "refund";
		hi = pick_hold(r, m, LEDGER_HOLD_SETTLED);
		h = &m->h[hi];
		amt = pick_amount(r, h->settled - h->refunded);
		expect = !money_valid_amount(amt) ? GD_ERANGE :
		    h->state != LEDGER_HOLD_SETTLED ? GD_ESTATE :
		    amt > h->settled - h->refunded ? GD_ERANGE : 0;
		rc = w_refund(w, hi, amt);
		CHECK(rc == expect, "rc %d, want %d (hold %zu %s, amount %" PRId64 ")", rc, expect,
		    hi, ledger_hold_state_name(h->state), amt);
		if (rc == 0) {
			check_transfer(w, cx, nj, LEDGER_REFUND, pay(w, h->p)->id,
			    m->closed[h->v] ? R_ID : vou(w, h->v)->id, amt, w->holds[hi].resolved_by);
			h->refunded += amt;
			if (m->closed[h->v])
				h->to_returned += amt;
		}
	} else if (pick < 86) {
		size_t n = 0;

		cx->op = "close";
		v = pick_voucher(r, m);
		expect = m->closed[v] ? GD_ESTATE : 0;
		rc = w_close(w, v);
		CHECK(rc == expect, "rc %d, want %d (voucher %zu)", rc, expect, v);
		if (rc == 0) {
			for (size_t i = 0; i < m->nh; i++)
				if (m->h[i].v == v && m->h[i].state == LEDGER_HOLD_PENDING) {
					check_transfer(w, cx, nj + n++, LEDGER_VOID, vou(w, v)->id,
					    pay(w, m->h[i].p)->id, m->h[i].amount, w->holds[i].id);
					m->h[i].state = LEDGER_HOLD_VOIDED;
				}
			avail = model_available(m, v);
			if (avail > 0)
				check_transfer(w, cx, nj + n++, LEDGER_RETURN, vou(w, v)->id, R_ID,
				    (int64_t)avail, 0);
			CHECK(w->nj - nj == n, "close wrote %zu transfers, want %zu", w->nj - nj, n);
			m->returned[v] = (int64_t)avail;
			m->closed[v] = true;
		}
	} else if (pick < 88) {
		struct ledger_hold *lh;
		struct ledger_transfer t;

		/* The daemon passing the wrong supplier: refused, nothing written. */
		cx->op = "settle with another payable";
		hi = (size_t)between(r, 0, (int64_t)m->nh - 1);
		lh = &w->holds[hi];
		memset(&t, SENTINEL, sizeof(t));
		rc = ledger_hold_settle(lh, acct(w, lh->voucher),
		    pay(w, (m->h[hi].p + 1) % RP), 0, w->next_id, w->now, &t, w->err,
		    sizeof(w->err));
		CHECK(rc == GD_EINVAL && all_sentinel(&t, sizeof(t)), "rc %d", rc);
		w->untouched = true;
	} else {
		cx->op = "time passes";
		w->now += between(r, 0, 1500);
		rc = 0;
	}

	if (rc != 0) {
		CHECK(w->untouched, "a refusal wrote an output");
		CHECK(memcmp(acc0, w->acc, sizeof(acc0)) == 0, "a refusal changed an account");
		CHECK(w->nj == nj && w->nholds == nh &&
		    (nh == 0 || memcmp(hold0, w->holds, nh * sizeof(*hold0)) == 0),
		    "a refusal changed the journal or a hold");
	}
	free(hold0);
	check_all(w, m, cx);
}

static unsigned long long
test_seed(void)
{
	const char *s = getenv("GRANTD_SEED");
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0')
		return SEED_DEFAULT;
	errno = 0;
	v = strtoull(s, &end, 10);
	ck_assert_msg(errno == 0 && end != s && *end == '\0', "GRANTD_SEED=%s is not a number", s);
	return v;
}

START_TEST(model)
{
	static const char *const ops[] = { "open", "hold", "settle", "void", "expire", "refund",
	    "close" };
	struct ctx cxs = { .seed = test_seed(), .op = "start", .err = "" }, *cx = &cxs;
	struct rng r = { cx->seed };
	int wrote[7] = { 0 }, refused[7] = { 0 };

	for (cx->round = 0; cx->round < ROUNDS; cx->round++) {
		struct world world, *w = &world;
		struct model m;

		world_init(w, RP, RV);
		memset(&m, 0, sizeof(m));
		w->now = 1000000;
		/* Room for 0 to 6 more budgets of 10^13 before funding overflows. */
		if (cx->round % 2 == 1) {
			m.pre = INT64_MAX - between(&r, 0, 6) * MAX - between(&r, 0, MAX);
			w->acc[W_FUNDING].budget = m.pre;
		}
		for (cx->step = 0; cx->step < STEPS; cx->step++) {
			size_t nj = w->nj;

			step(w, &m, &r, cx);
			for (size_t i = 0; i < 7; i++)
				if (strcmp(cx->op, ops[i]) == 0)
					(w->nj > nj ? wrote : refused)[i]++;
		}
		world_free(w);
		free(m.h);
	}
	/* A model check that always refuses, or never does, proves little. */
	for (size_t i = 0; i < 7; i++)
		ck_assert_msg(wrote[i] >= 5 && refused[i] >= 5,
		    "GRANTD_SEED=%llu: %s wrote %d times, was refused %d times", cx->seed, ops[i],
		    wrote[i], refused[i]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ledger");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, rules, 0, sizeof(rows) / sizeof(rows[0]));
	tcase_add_test(tc, wrong_accounts);
	tcase_add_test(tc, close_many);
	tcase_add_test(tc, names_and_available);
	tcase_add_loop_test(tc, verify, 0, sizeof(spoiled) / sizeof(spoiled[0]));
	tcase_add_test(tc, verify_empty);
	tcase_add_test(tc, model);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
