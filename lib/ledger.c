/* ledger.c: the data-voucher ledger's rules, as pure functions over caller-owned state. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ledger.h"
#include "money.h"
#include "names.h"

static int fail(int, char *, size_t, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes the detail of a refusal, redis style, and passes the code through. */
static int
fail(int code, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/*
 * The API's lower-case names of the ledger's enums, one table each; the SQL
 * text columns hold the same names.
 */
static const struct name_entry kind_names[] = {
	{ LEDGER_OPEN, "open" }, { LEDGER_HOLD, "hold" }, { LEDGER_SETTLE, "settle" },
	{ LEDGER_VOID, "void" }, { LEDGER_EXPIRE, "expire" }, { LEDGER_REFUND, "refund" },
	{ LEDGER_RETURN, "return" },
};
static const struct name_entry account_type_names[] = {
	{ LEDGER_FUNDING, "funding" }, { LEDGER_VOUCHER, "voucher" },
	{ LEDGER_PAYABLE, "payable" }, { LEDGER_RETURNED, "returned" },
};
static const struct name_entry hold_state_names[] = {
	{ LEDGER_HOLD_PENDING, "pending" }, { LEDGER_HOLD_SETTLED, "settled" },
	{ LEDGER_HOLD_VOIDED, "voided" }, { LEDGER_HOLD_EXPIRED, "expired" },
};

const char *
ledger_kind_name(enum ledger_kind kind)
{
	return names_name(kind_names, NNAMES(kind_names), (int)kind, "unknown");
}

int
ledger_kind_parse(const char *s, enum ledger_kind *kind)
{
	int v, rc;

	if ((rc = names_parse(kind_names, NNAMES(kind_names), s, &v)) == 0)
		*kind = (enum ledger_kind)v;
	return rc;
}

const char *
ledger_account_type_name(enum ledger_account_type type)
{
	return names_name(account_type_names, NNAMES(account_type_names), (int)type, "unknown");
}

int
ledger_account_type_parse(const char *s, enum ledger_account_type *type)
{
	int v, rc;

	if ((rc = names_parse(account_type_names, NNAMES(account_type_names), s, &v)) == 0)
		*type = (enum ledger_account_type)v;
	return rc;
}

const char *
ledger_hold_state_name(enum ledger_hold_state state)
{
	return names_name(hold_state_names, NNAMES(hold_state_names), (int)state, "unknown");
}

int
ledger_hold_state_parse(const char *s, enum ledger_hold_state *state)
{
	int v, rc;

	if ((rc = names_parse(hold_state_names, NNAMES(hold_state_names), s, &v)) == 0)
		*state = (enum ledger_hold_state)v;
	return rc;
}

int
ledger_available(const struct ledger_account *v, int64_t *available)
{
	int64_t a;

	if (!money_sub(v->budget, v->held, &a) || !money_sub(a, v->settled, &a) ||
	    !money_add(a, v->refunded, &a) || !money_sub(a, v->returned, &a))
		return GD_ERANGE;
	*available = a;
	return 0;
}

static int
check_type(const struct ledger_account *a, enum ledger_account_type type,
    char *err, size_t errlen)
{
	if (a->type != type)
		return fail(GD_EINVAL, err, errlen, "account %" PRId64 " is a %s account, not a %s account",
		    a->id, ledger_account_type_name(a->type), ledger_account_type_name(type));
	return 0;
}

static int
check_id(int64_t id, char *err, size_t errlen)
{
	if (id <= 0)
		return fail(GD_EINVAL, err, errlen, "transfer id %" PRId64 " is not positive", id);
	return 0;
}

static int
check_amount(int64_t amount, char *err, size_t errlen)
{
	if (!money_valid_amount(amount))
		return fail(GD_ERANGE, err, errlen, "amount %" PRId64 " is not in 1..%" PRId64,
		    amount, MONEY_MAX_AMOUNT);
	return 0;
}

/* *field += amount, refusing to wrap; `what` names the field for the detail. */
static int
grow(const struct ledger_account *a, int64_t *field, int64_t amount,
    const char *what, char *err, size_t errlen)
{
	if (!money_add(*field, amount, field))
		return fail(GD_ERANGE, err, errlen, "%s of account %" PRId64 " would overflow",
		    what, a->id);
	return 0;
}

int
ledger_open(struct ledger_account *funding, struct ledger_account *voucher,
    int64_t amount, int64_t id, int64_t now, struct ledger_transfer *t,
    char *err, size_t errlen)
{
	struct ledger_account f = *funding, v = *voucher;
	int rc;

	if ((rc = check_type(funding, LEDGER_FUNDING, err, errlen)) != 0 ||
	    (rc = check_type(voucher, LEDGER_VOUCHER, err, errlen)) != 0 ||
	    (rc = check_id(id, err, errlen)) != 0 ||
	    (rc = check_amount(amount, err, errlen)) != 0)
		return rc;
	if (voucher->closed)
		return fail(GD_ESTATE, err, errlen, "voucher %" PRId64 " is closed", voucher->id);
	/* Equal resource: a budget is the package's amount, granted once. */
	if (voucher->budget != 0)
		return fail(GD_ESTATE, err, errlen, "voucher %" PRId64 " is already open with %" PRId64,
		    voucher->id, voucher->budget);
	if ((rc = grow(&f, &f.budget, amount, "budget", err, errlen)) != 0 ||
	    (rc = grow(&v, &v.budget, amount, "budget", err, errlen)) != 0)
		return rc;

	*t = (struct ledger_transfer){ .id = id, .kind = LEDGER_OPEN, .debit = f.id,
	    .credit = v.id, .amount = amount, .at = now };
	*funding = f;
	*voucher = v;
	return 0;
}

static bool
related_party(const struct ledger_party *party)
{
	for (size_t i = 0; i < party->nteam_orgs; i++)
		if (strcmp(party->team_orgs[i], party->supplier_org) == 0)
			return true;
	return false;
}

int
ledger_hold_create(struct ledger_account *voucher,
    struct ledger_account *payable, const struct ledger_party *party,
    int64_t amount, int64_t id, int64_t now, int64_t expires_at,
    struct ledger_hold *hold, struct ledger_transfer *t,
    char *err, size_t errlen)
{
	struct ledger_account v = *voucher, p = *payable;
	int64_t avail;
	int rc;

	if ((rc = check_type(voucher, LEDGER_VOUCHER, err, errlen)) != 0 ||
	    (rc = check_type(payable, LEDGER_PAYABLE, err, errlen)) != 0 ||
	    (rc = check_id(id, err, errlen)) != 0)
		return rc;
	if (expires_at <= now)
		return fail(GD_EINVAL, err, errlen, "expiry %" PRId64 " is not after now %" PRId64,
		    expires_at, now);
	if ((rc = check_amount(amount, err, errlen)) != 0)
		return rc;
	if (voucher->closed)
		return fail(GD_ESTATE, err, errlen, "voucher %" PRId64 " is closed", voucher->id);
	if (!party->override && related_party(party))
		return fail(GD_ERELATED, err, errlen, "supplier org %s is a member of the team",
		    party->supplier_org);
	if (ledger_available(voucher, &avail) != 0)
		return fail(GD_ERANGE, err, errlen, "voucher %" PRId64 " balances overflow", voucher->id);
	if (amount > avail)
		return fail(GD_EFUNDS, err, errlen, "amount %" PRId64 " exceeds available %" PRId64
		    " of voucher %" PRId64, amount, avail, voucher->id);
	if ((rc = grow(&v, &v.held, amount, "held", err, errlen)) != 0 ||
	    (rc = grow(&p, &p.held, amount, "held", err, errlen)) != 0)
		return rc;

	*hold = (struct ledger_hold){ .id = id, .voucher = v.id, .payable = p.id,
	    .amount = amount, .expires_at = expires_at, .state = LEDGER_HOLD_PENDING };
	*t = (struct ledger_transfer){ .id = id, .kind = LEDGER_HOLD, .debit = v.id,
	    .credit = p.id, .amount = amount, .at = now, .expires_at = expires_at };
	*voucher = v;
	*payable = p;
	return 0;
}

/* The accounts must be the hold's own: a mix-up would move the wrong team's money. */
static int
check_hold_accounts(const struct ledger_hold *h, const struct ledger_account *v,
    const struct ledger_account *p, char *err, size_t errlen)
{
	int rc;

	if ((rc = check_type(v, LEDGER_VOUCHER, err, errlen)) != 0 ||
	    (rc = check_type(p, LEDGER_PAYABLE, err, errlen)) != 0)
		return rc;
	if (v->id != h->voucher || p->id != h->payable)
		return fail(GD_EINVAL, err, errlen, "hold %" PRId64 " is between accounts %" PRId64
		    " and %" PRId64 ", not %" PRId64 " and %" PRId64,
		    h->id, h->voucher, h->payable, v->id, p->id);
	return 0;
}

static int
check_pending(const struct ledger_hold *h, char *err, size_t errlen)
{
	if (h->state != LEDGER_HOLD_PENDING)
		return fail(GD_ESTATE, err, errlen, "hold %" PRId64 " is already %s",
		    h->id, ledger_hold_state_name(h->state));
	return 0;
}

/* Takes the hold's reservation off both accounts; the money itself stays. */
static int
release(const struct ledger_hold *h, struct ledger_account *v,
    struct ledger_account *p, char *err, size_t errlen)
{
	if (v->held < h->amount || p->held < h->amount)
		return fail(GD_ERANGE, err, errlen, "hold %" PRId64 " of %" PRId64
		    " is more than accounts %" PRId64 " and %" PRId64 " hold (%" PRId64 ", %" PRId64 ")",
		    h->id, h->amount, v->id, p->id, v->held, p->held);
	v->held -= h->amount;
	p->held -= h->amount;
	return 0;
}

int
ledger_hold_settle(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, int64_t amount, int64_t id, int64_t now,
    struct ledger_transfer *t, char *err, size_t errlen)
{
	struct ledger_account v = *voucher, p = *payable;
	int rc;

	if ((rc = check_hold_accounts(hold, voucher, payable, err, errlen)) != 0 ||
	    (rc = check_id(id, err, errlen)) != 0)
		return rc;
	if (amount != LEDGER_SETTLE_ALL && (rc = check_amount(amount, err, errlen)) != 0)
		return rc;
	if ((rc = check_pending(hold, err, errlen)) != 0)
		return rc;
	if (now >= hold->expires_at)
		return fail(GD_ESTATE, err, errlen, "hold %" PRId64 " expired at %" PRId64,
		    hold->id, hold->expires_at);
	if (amount == LEDGER_SETTLE_ALL)
		amount = hold->amount;
	if (amount > hold->amount)
		return fail(GD_ERANGE, err, errlen, "settlement %" PRId64 " exceeds hold %" PRId64
		    " of %" PRId64, amount, hold->id, hold->amount);
	if ((rc = release(hold, &v, &p, err, errlen)) != 0 ||
	    (rc = grow(&v, &v.settled, amount, "settled", err, errlen)) != 0 ||
	    (rc = grow(&p, &p.settled, amount, "settled", err, errlen)) != 0)
		return rc;

	*t = (struct ledger_transfer){ .id = id, .kind = LEDGER_SETTLE, .debit = v.id,
	    .credit = p.id, .amount = amount, .at = now, .ref = hold->id };
	hold->state = LEDGER_HOLD_SETTLED;
	hold->resolved_by = id;
	hold->settled = amount;
	*voucher = v;
	*payable = p;
	return 0;
}

/* VOID and EXPIRE differ only in their kind and in when they are allowed. */
static int
release_hold(enum ledger_kind kind, struct ledger_hold *hold,
    struct ledger_account *voucher, struct ledger_account *payable,
    int64_t id, int64_t now, struct ledger_transfer *t, char *err, size_t errlen)
{
	struct ledger_account v = *voucher, p = *payable;
	int rc;

	if ((rc = check_hold_accounts(hold, voucher, payable, err, errlen)) != 0 ||
	    (rc = check_id(id, err, errlen)) != 0 ||
	    (rc = check_pending(hold, err, errlen)) != 0)
		return rc;
	if (kind == LEDGER_EXPIRE && now < hold->expires_at)
		return fail(GD_ESTATE, err, errlen, "hold %" PRId64 " expires at %" PRId64
		    ", not before", hold->id, hold->expires_at);
	if ((rc = release(hold, &v, &p, err, errlen)) != 0)
		return rc;

	*t = (struct ledger_transfer){ .id = id, .kind = kind, .debit = v.id,
	    .credit = p.id, .amount = hold->amount, .at = now, .ref = hold->id };
	hold->state = kind == LEDGER_VOID ? LEDGER_HOLD_VOIDED : LEDGER_HOLD_EXPIRED;
	hold->resolved_by = id;
	*voucher = v;
	*payable = p;
	return 0;
}

int
ledger_hold_void(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, int64_t id, int64_t now,
    struct ledger_transfer *t, char *err, size_t errlen)
{
	return release_hold(LEDGER_VOID, hold, voucher, payable, id, now, t, err, errlen);
}

int
ledger_hold_expire(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, int64_t id, int64_t now,
    struct ledger_transfer *t, char *err, size_t errlen)
{
	return release_hold(LEDGER_EXPIRE, hold, voucher, payable, id, now, t, err, errlen);
}

int
ledger_refund(struct ledger_hold *hold, struct ledger_account *voucher,
    struct ledger_account *payable, struct ledger_account *returned,
    int64_t amount, int64_t id, int64_t now, struct ledger_transfer *t,
    char *err, size_t errlen)
{
	struct ledger_account p = *payable, dest;
	struct ledger_account *to;
	int64_t left = 0;
	int rc;

	if ((rc = check_hold_accounts(hold, voucher, payable, err, errlen)) != 0 ||
	    (rc = check_type(returned, LEDGER_RETURNED, err, errlen)) != 0 ||
	    (rc = check_id(id, err, errlen)) != 0 ||
	    (rc = check_amount(amount, err, errlen)) != 0)
		return rc;
	if (hold->state != LEDGER_HOLD_SETTLED)
		return fail(GD_ESTATE, err, errlen, "hold %" PRId64 " is %s, not settled",
		    hold->id, ledger_hold_state_name(hold->state));
	if (!money_sub(hold->settled, hold->refunded, &left) || amount > left)
		return fail(GD_ERANGE, err, errlen, "refund %" PRId64 " exceeds the %" PRId64
		    " left of settlement %" PRId64, amount, left, hold->resolved_by);
	/* A closed voucher takes no money: it goes back to the programme. */
	to = voucher->closed ? returned : voucher;
	dest = *to;
	if ((rc = grow(&p, &p.refunded, amount, "refunded", err, errlen)) != 0 ||
	    (rc = grow(&dest, &dest.refunded, amount, "refunded", err, errlen)) != 0)
		return rc;

	*t = (struct ledger_transfer){ .id = id, .kind = LEDGER_REFUND, .debit = p.id,
	    .credit = dest.id, .amount = amount, .at = now, .ref = hold->resolved_by };
	hold->refunded += amount;
	*payable = p;
	*to = dest;
	return 0;
}

static struct ledger_account *
find_account(struct ledger_account *a, size_t n, int64_t id)
{
	for (size_t i = 0; i < n; i++)
		if (a[i].id == id)
			return &a[i];
	return NULL;
}

int
ledger_close(struct ledger_account *voucher, struct ledger_account *returned,
    struct ledger_hold *holds, size_t nholds,
    struct ledger_account *payables, size_t npayables,
    int64_t id, int64_t now, struct ledger_transfer *out, size_t *nout,
    char *err, size_t errlen)
{
	struct ledger_account v = *voucher, r = *returned, *scratch, *p;
	int64_t avail;
	size_t i, n = 0;
	int rc;

	if ((rc = check_type(voucher, LEDGER_VOUCHER, err, errlen)) != 0 ||
	    (rc = check_type(returned, LEDGER_RETURNED, err, errlen)) != 0 ||
	    (rc = check_id(id, err, errlen)) != 0)
		return rc;
	/* The transfers take ids id .. id + nholds at most; none may wrap. */
	if ((uint64_t)nholds > (uint64_t)(INT64_MAX - id))
		return fail(GD_EINVAL, err, errlen, "transfer ids from %" PRId64 " would overflow", id);
	for (i = 0; i < nholds; i++)
		for (size_t j = 0; j < i; j++)
			if (holds[i].state == LEDGER_HOLD_PENDING && holds[j].id == holds[i].id)
				return fail(GD_EINVAL, err, errlen, "hold %" PRId64 " is given twice",
				    holds[i].id);
	if (voucher->closed)
		return fail(GD_ESTATE, err, errlen, "voucher %" PRId64 " is already closed", voucher->id);

	/*
	 * First pass on copies, so that nothing is written unless every hold
	 * can be voided; several holds may share one payable, hence a copy
	 * of the array rather than of each account.
	 */
	if ((scratch = malloc((npayables ? npayables : 1) * sizeof(*scratch))) == NULL)
		return fail(GD_ENOMEM, err, errlen, "out of memory");
	if (npayables > 0)
		memcpy(scratch, payables, npayables * sizeof(*scratch));
	for (i = 0; i < nholds; i++) {
		if (holds[i].state != LEDGER_HOLD_PENDING)
			continue;
		if (holds[i].voucher != v.id) {
			rc = fail(GD_EINVAL, err, errlen, "hold %" PRId64 " is not voucher %" PRId64 "'s",
			    holds[i].id, v.id);
			goto out;
		}
		if ((p = find_account(scratch, npayables, holds[i].payable)) == NULL) {
			rc = fail(GD_EINVAL, err, errlen, "payable %" PRId64 " of hold %" PRId64
			    " was not given", holds[i].payable, holds[i].id);
			goto out;
		}
		if ((rc = check_type(p, LEDGER_PAYABLE, err, errlen)) != 0 ||
		    (rc = release(&holds[i], &v, p, err, errlen)) != 0)
			goto out;
	}
	if (v.held != 0) {
		rc = fail(GD_EINVAL, err, errlen, "voucher %" PRId64 " still holds %" PRId64
		    " after the given holds", v.id, v.held);
		goto out;
	}
	if ((rc = ledger_available(&v, &avail)) != 0 || avail < 0) {
		rc = fail(GD_ERANGE, err, errlen, "voucher %" PRId64 " balances are corrupt", v.id);
		goto out;
	}
	if (avail > 0 &&
	    ((rc = grow(&v, &v.returned, avail, "returned", err, errlen)) != 0 ||
	    (rc = grow(&r, &r.returned, avail, "returned", err, errlen)) != 0))
		goto out;
	v.closed = true;

	/* Second pass: everything fits, write it out. */
	for (i = 0; i < nholds; i++) {
		if (holds[i].state != LEDGER_HOLD_PENDING)
			continue;
		out[n] = (struct ledger_transfer){ .id = id + (int64_t)n, .kind = LEDGER_VOID,
		    .debit = v.id, .credit = holds[i].payable, .amount = holds[i].amount,
		    .at = now, .ref = holds[i].id };
		holds[i].state = LEDGER_HOLD_VOIDED;
		holds[i].resolved_by = out[n].id;
		n++;
	}
	if (avail > 0) {
		out[n] = (struct ledger_transfer){ .id = id + (int64_t)n, .kind = LEDGER_RETURN,
		    .debit = v.id, .credit = r.id, .amount = avail, .at = now };
		n++;
	}
	if (npayables > 0)
		memcpy(payables, scratch, npayables * sizeof(*scratch));
	*voucher = v;
	*returned = r;
	*nout = n;
	rc = 0;
out:
	free(scratch);
	return rc;
}

/*
 * Verification.  The journal is replayed into fresh accounts and holds by
 * the same rules the operations apply, so that a row the operations could
 * not have written is reported, not just a total that does not add up.
 */

/* An account as the journal says it should be. */
struct vacct {
	struct ledger_account a;	/* id and type from the stored row, sums recomputed */
	bool returned_seen;		/* a RETURN left it: closed by the journal */
	bool refund_rerouted;		/* one of its refunds went to returned funds */
};

/* Per journal row; used for HOLD rows: the hold's state as the journal says. */
struct vhold {
	enum ledger_hold_state state;
	int64_t resolved_by, settled, refunded;
	bool stored_seen;
};

struct verify {
	struct vacct *acct;
	size_t nacct;
	struct vhold *hold;
	const struct ledger_transfer *j;
	char *err;
	size_t errlen;
};

static int
vacct_cmp(const void *x, const void *y)
{
	const struct vacct *a = x, *b = y;

	return (a->a.id > b->a.id) - (a->a.id < b->a.id);
}

static struct vacct *
vacct_find(struct verify *vf, int64_t id)
{
	struct vacct key = { .a = { .id = id } };

	return bsearch(&key, vf->acct, vf->nacct, sizeof(key), vacct_cmp);
}

/* Index of transfer `id` among the first n rows (ids increase), or n. */
static size_t
journal_find(const struct ledger_transfer *j, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && j[lo].id == id ? lo : n;
}

#define TFMT "transfer %" PRId64 " (%s): "
#define TARGS(t) (t)->id, ledger_kind_name((t)->kind)

static int
vgrow(struct verify *vf, const struct ledger_transfer *t, struct vacct *a,
    int64_t *field, const char *what)
{
	if (!money_add(*field, t->amount, field))
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "%s of account %" PRId64
		    " overflows", TARGS(t), what, a->a.id);
	return 0;
}

static int
vtypes(struct verify *vf, const struct ledger_transfer *t, const struct vacct *d,
    enum ledger_account_type dt, const struct vacct *c, enum ledger_account_type ct)
{
	if (d->a.type != dt || c->a.type != ct)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "goes %s -> %s, not %s -> %s",
		    TARGS(t), ledger_account_type_name(d->a.type), ledger_account_type_name(c->a.type),
		    ledger_account_type_name(dt), ledger_account_type_name(ct));
	return 0;
}

static int
vclosed(struct verify *vf, const struct ledger_transfer *t, const struct vacct *v)
{
	if (v->returned_seen)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "voucher %" PRId64
		    " was closed before", TARGS(t), v->a.id);
	return 0;
}

/* SETTLE, VOID, EXPIRE: resolve the pending hold t->ref. */
static int
vresolve(struct verify *vf, size_t i, struct vacct *d, struct vacct *c)
{
	const struct ledger_transfer *t = &vf->j[i], *h;
	struct vhold *vh;
	size_t k = journal_find(vf->j, i, t->ref);
	int rc;

	if (k == i || vf->j[k].kind != LEDGER_HOLD)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "ref %" PRId64
		    " is not an earlier hold", TARGS(t), t->ref);
	h = &vf->j[k];
	vh = &vf->hold[k];
	if (vh->state != LEDGER_HOLD_PENDING)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "hold %" PRId64
		    " was already %s by transfer %" PRId64, TARGS(t), h->id,
		    ledger_hold_state_name(vh->state), vh->resolved_by);
	if (t->debit != h->debit || t->credit != h->credit)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "accounts differ from hold %" PRId64,
		    TARGS(t), h->id);
	if (t->kind == LEDGER_SETTLE ? t->amount > h->amount : t->amount != h->amount)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "amount %" PRId64
		    " does not fit hold %" PRId64 " of %" PRId64, TARGS(t), t->amount, h->id, h->amount);
	if (t->kind == LEDGER_SETTLE ? t->at >= h->expires_at :
	    t->kind == LEDGER_EXPIRE && t->at < h->expires_at)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "at %" PRId64
		    " is on the wrong side of hold %" PRId64 "'s expiry %" PRId64,
		    TARGS(t), t->at, h->id, h->expires_at);
	if (d->a.held < h->amount || c->a.held < h->amount)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "releases more than is held",
		    TARGS(t));
	d->a.held -= h->amount;
	c->a.held -= h->amount;
	if (t->kind == LEDGER_SETTLE &&
	    ((rc = vgrow(vf, t, d, &d->a.settled, "settled")) != 0 ||
	    (rc = vgrow(vf, t, c, &c->a.settled, "settled")) != 0))
		return rc;
	vh->state = t->kind == LEDGER_SETTLE ? LEDGER_HOLD_SETTLED :
	    t->kind == LEDGER_VOID ? LEDGER_HOLD_VOIDED : LEDGER_HOLD_EXPIRED;
	vh->resolved_by = t->id;
	vh->settled = t->kind == LEDGER_SETTLE ? t->amount : 0;
	return 0;
}

static int
vrefund(struct verify *vf, size_t i, struct vacct *d, struct vacct *c)
{
	const struct ledger_transfer *t = &vf->j[i], *s;
	struct vhold *vh;
	size_t k = journal_find(vf->j, i, t->ref);
	int rc;

	if (k == i || vf->j[k].kind != LEDGER_SETTLE)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "ref %" PRId64
		    " is not an earlier settlement", TARGS(t), t->ref);
	s = &vf->j[k];
	/* The settlement was replayed, so its hold exists. */
	vh = &vf->hold[journal_find(vf->j, k, s->ref)];
	if (t->debit != s->credit)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "debits %" PRId64
		    ", not the settlement's payable %" PRId64, TARGS(t), t->debit, s->credit);
	if (c->a.type == LEDGER_VOUCHER) {
		if (t->credit != s->debit)
			return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "credits voucher %" PRId64
			    ", not the settlement's %" PRId64, TARGS(t), t->credit, s->debit);
		if ((rc = vclosed(vf, t, c)) != 0)
			return rc;
	} else if (c->a.type == LEDGER_RETURNED) {
		vacct_find(vf, s->debit)->refund_rerouted = true;
	} else {
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "credits a %s account",
		    TARGS(t), ledger_account_type_name(c->a.type));
	}
	if (t->amount > vh->settled - vh->refunded)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "refunds %" PRId64
		    " of the %" PRId64 " left of settlement %" PRId64,
		    TARGS(t), t->amount, vh->settled - vh->refunded, s->id);
	if ((rc = vgrow(vf, t, d, &d->a.refunded, "refunded")) != 0 ||
	    (rc = vgrow(vf, t, c, &c->a.refunded, "refunded")) != 0)
		return rc;
	vh->refunded += t->amount;
	return 0;
}

static int
vreplay(struct verify *vf, size_t i)
{
	const struct ledger_transfer *t = &vf->j[i];
	struct vacct *d, *c;
	int64_t avail;
	int rc;

	if (t->id <= 0 || (i > 0 && t->id <= vf->j[i - 1].id))
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "id does not increase",
		    TARGS(t));
	if (t->kind < LEDGER_OPEN || t->kind > LEDGER_RETURN)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "unknown kind %d",
		    TARGS(t), (int)t->kind);
	if (!money_valid_amount(t->amount))
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "amount %" PRId64
		    " out of range", TARGS(t), t->amount);
	if ((d = vacct_find(vf, t->debit)) == NULL || (c = vacct_find(vf, t->credit)) == NULL)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "account %" PRId64
		    " is unknown", TARGS(t), d == NULL ? t->debit : t->credit);
	if (t->kind == LEDGER_HOLD ? t->expires_at <= t->at : t->expires_at != 0)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "bad expiry %" PRId64,
		    TARGS(t), t->expires_at);
	if ((t->kind == LEDGER_OPEN || t->kind == LEDGER_HOLD || t->kind == LEDGER_RETURN) &&
	    t->ref != 0)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "has a ref", TARGS(t));

	switch (t->kind) {
	case LEDGER_OPEN:
		if ((rc = vtypes(vf, t, d, LEDGER_FUNDING, c, LEDGER_VOUCHER)) != 0 ||
		    (rc = vclosed(vf, t, c)) != 0)
			return rc;
		if (c->a.budget != 0)
			return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "voucher %" PRId64
			    " was already open", TARGS(t), c->a.id);
		if ((rc = vgrow(vf, t, d, &d->a.budget, "budget")) != 0 ||
		    (rc = vgrow(vf, t, c, &c->a.budget, "budget")) != 0)
			return rc;
		return 0;
	case LEDGER_HOLD:
		if ((rc = vtypes(vf, t, d, LEDGER_VOUCHER, c, LEDGER_PAYABLE)) != 0 ||
		    (rc = vclosed(vf, t, d)) != 0)
			return rc;
		if (ledger_available(&d->a, &avail) != 0 || t->amount > avail)
			return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "overdraws voucher %" PRId64,
			    TARGS(t), d->a.id);
		if ((rc = vgrow(vf, t, d, &d->a.held, "held")) != 0 ||
		    (rc = vgrow(vf, t, c, &c->a.held, "held")) != 0)
			return rc;
		return 0;
	case LEDGER_SETTLE:
	case LEDGER_VOID:
	case LEDGER_EXPIRE:
		return vresolve(vf, i, d, c);
	case LEDGER_REFUND:
		if (d->a.type != LEDGER_PAYABLE)
			return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "debits a %s account",
			    TARGS(t), ledger_account_type_name(d->a.type));
		return vrefund(vf, i, d, c);
	case LEDGER_RETURN:
		if ((rc = vtypes(vf, t, d, LEDGER_VOUCHER, c, LEDGER_RETURNED)) != 0 ||
		    (rc = vclosed(vf, t, d)) != 0)
			return rc;
		if (d->a.held != 0 || ledger_available(&d->a, &avail) != 0 || t->amount != avail)
			return fail(GD_ECONFLICT, vf->err, vf->errlen, TFMT "is not the whole "
			    "available rest of voucher %" PRId64 " with no hold pending",
			    TARGS(t), d->a.id);
		if ((rc = vgrow(vf, t, d, &d->a.returned, "returned")) != 0 ||
		    (rc = vgrow(vf, t, c, &c->a.returned, "returned")) != 0)
			return rc;
		d->returned_seen = true;
		return 0;
	}
	return GD_ECONFLICT;	/* not reached: the kind was checked */
}

static int
vfield(struct verify *vf, const struct ledger_account *s, const char *what,
    int64_t stored, int64_t journal)
{
	if (stored != journal)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "account %" PRId64 " (%s): %s is %"
		    PRId64 " stored, %" PRId64 " by the journal", s->id,
		    ledger_account_type_name(s->type), what, stored, journal);
	return 0;
}

static int
vaccount(struct verify *vf, const struct ledger_account *s)
{
	const struct vacct *v = vacct_find(vf, s->id);
	int64_t avail;
	int rc;

	if ((rc = vfield(vf, s, "budget", s->budget, v->a.budget)) != 0 ||
	    (rc = vfield(vf, s, "held", s->held, v->a.held)) != 0 ||
	    (rc = vfield(vf, s, "settled", s->settled, v->a.settled)) != 0 ||
	    (rc = vfield(vf, s, "refunded", s->refunded, v->a.refunded)) != 0 ||
	    (rc = vfield(vf, s, "returned", s->returned, v->a.returned)) != 0)
		return rc;
	if (s->closed && s->type != LEDGER_VOUCHER)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "account %" PRId64
		    " is closed but not a voucher", s->id);
	if ((v->returned_seen || v->refund_rerouted) && !s->closed)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "account %" PRId64
		    ": the journal closed it, stored open", s->id);
	/* A close leaves nothing held and nothing available, for good. */
	if (s->closed && (s->held != 0 || ledger_available(s, &avail) != 0 || avail != 0))
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "account %" PRId64
		    ": closed with money held or available", s->id);
	return 0;
}

static int
vhold(struct verify *vf, size_t njournal, const struct ledger_hold *s)
{
	size_t k = journal_find(vf->j, njournal, s->id);
	const struct ledger_transfer *t;
	struct vhold *vh;

	if (k == njournal || vf->j[k].kind != LEDGER_HOLD)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "hold %" PRId64
		    ": no such hold in the journal", s->id);
	t = &vf->j[k];
	vh = &vf->hold[k];
	if (vh->stored_seen)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "hold %" PRId64 " is stored twice", s->id);
	vh->stored_seen = true;
	if (s->voucher != t->debit || s->payable != t->credit || s->amount != t->amount ||
	    s->expires_at != t->expires_at)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "hold %" PRId64
		    ": accounts, amount or expiry differ from the journal", s->id);
	if (s->state != vh->state || s->resolved_by != vh->resolved_by)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "hold %" PRId64 ": %s by %" PRId64
		    " stored, %s by %" PRId64 " by the journal", s->id,
		    ledger_hold_state_name(s->state), s->resolved_by,
		    ledger_hold_state_name(vh->state), vh->resolved_by);
	if (s->settled != vh->settled || s->refunded != vh->refunded)
		return fail(GD_ECONFLICT, vf->err, vf->errlen, "hold %" PRId64 ": settled %" PRId64
		    " refunded %" PRId64 " stored, %" PRId64 " and %" PRId64 " by the journal",
		    s->id, s->settled, s->refunded, vh->settled, vh->refunded);
	return 0;
}

/* Adds the stored account's fields to the totals of the side the table in ledger.h gives. */
static bool
vsides(const struct ledger_account *a, int64_t *dpost, int64_t *cpost,
    int64_t *dpend, int64_t *cpend)
{
	switch (a->type) {
	case LEDGER_FUNDING:
		return money_add(*dpost, a->budget, dpost);
	case LEDGER_VOUCHER:
		return money_add(*cpost, a->budget, cpost) && money_add(*cpost, a->refunded, cpost) &&
		    money_add(*dpost, a->settled, dpost) && money_add(*dpost, a->returned, dpost) &&
		    money_add(*dpend, a->held, dpend);
	case LEDGER_PAYABLE:
		return money_add(*cpost, a->settled, cpost) && money_add(*dpost, a->refunded, dpost) &&
		    money_add(*cpend, a->held, cpend);
	case LEDGER_RETURNED:
		return money_add(*cpost, a->refunded, cpost) && money_add(*cpost, a->returned, cpost);
	}
	return false;
}

int
ledger_verify(const struct ledger_account *accounts, size_t naccounts,
    const struct ledger_hold *holds, size_t nholds,
    const struct ledger_transfer *journal, size_t njournal,
    char *err, size_t errlen)
{
	struct verify vf = { .nacct = naccounts, .j = journal, .err = err, .errlen = errlen };
	int64_t dpost = 0, cpost = 0, dpend = 0, cpend = 0;
	size_t i;
	int rc = GD_ENOMEM;

	vf.acct = calloc(naccounts ? naccounts : 1, sizeof(*vf.acct));
	vf.hold = calloc(njournal ? njournal : 1, sizeof(*vf.hold));
	if (vf.acct == NULL || vf.hold == NULL) {
		fail(rc, err, errlen, "out of memory");
		goto out;
	}
	for (i = 0; i < naccounts; i++) {
		if (accounts[i].type < LEDGER_FUNDING || accounts[i].type > LEDGER_RETURNED) {
			rc = fail(GD_ECONFLICT, err, errlen, "account %" PRId64 " has unknown type %d",
			    accounts[i].id, (int)accounts[i].type);
			goto out;
		}
		vf.acct[i].a = (struct ledger_account){ .id = accounts[i].id,
		    .type = accounts[i].type };
	}
	qsort(vf.acct, naccounts, sizeof(*vf.acct), vacct_cmp);
	for (i = 1; i < naccounts; i++)
		if (vf.acct[i].a.id == vf.acct[i - 1].a.id) {
			rc = fail(GD_ECONFLICT, err, errlen, "account %" PRId64 " is stored twice",
			    vf.acct[i].a.id);
			goto out;
		}

	for (i = 0; i < njournal; i++)
		if ((rc = vreplay(&vf, i)) != 0)
			goto out;
	for (i = 0; i < naccounts; i++)
		if ((rc = vaccount(&vf, &accounts[i])) != 0)
			goto out;
	for (i = 0; i < nholds; i++)
		if ((rc = vhold(&vf, njournal, &holds[i])) != 0)
			goto out;
	for (i = 0; i < njournal; i++)
		if (journal[i].kind == LEDGER_HOLD && !vf.hold[i].stored_seen) {
			rc = fail(GD_ECONFLICT, err, errlen, "hold %" PRId64 " is not stored",
			    journal[i].id);
			goto out;
		}

	/* Redundant once every account matched, and kept as the ledger's first law. */
	for (i = 0; i < naccounts; i++)
		if (!vsides(&accounts[i], &dpost, &cpost, &dpend, &cpend)) {
			rc = fail(GD_ECONFLICT, err, errlen, "totals overflow at account %" PRId64,
			    accounts[i].id);
			goto out;
		}
	if (dpost != cpost || dpend != cpend) {
		rc = fail(GD_ECONFLICT, err, errlen, "debits %" PRId64 " posted, %" PRId64
		    " pending; credits %" PRId64 " posted, %" PRId64 " pending",
		    dpost, dpend, cpost, cpend);
		goto out;
	}
	rc = 0;
out:
	free(vf.acct);
	free(vf.hold);
	return rc;
}
