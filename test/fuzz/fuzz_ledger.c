/* fuzz_ledger.c: libFuzzer target for the voucher ledger (lib/ledger.c), its audit as the oracle. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "ledger.h"
#include "money.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The fuzz bytes are a program of ledger operations on a small world: one
 * funding account, one returned account, NP payables and NV vouchers.  Each
 * operation's arguments come from the bytes too: which voucher, payable and
 * hold (usually the right ones, sometimes a mix-up), an amount drawn from the
 * edges (0, 1, the limit 10^13 and one past it, what is available or held and
 * one either side, negative, INT64_MAX), an id that is the next one or not
 * positive, and a clock that moves forward by varying steps.
 *
 * The oracle, after every call:
 *  - a refusal returns a code from err.h with a detail, and writes nothing:
 *    accounts, holds and the transfer buffer are byte for byte as before;
 *  - a success appends transfers whose ids continue the journal, and then
 *    ledger_verify() over all accounts, holds and the journal returns 0, every
 *    field of every account is >= 0, every voucher's available is >= 0, a
 *    closed voucher has nothing available or held, and no hold is refunded
 *    beyond its settlement;
 *  - a few rules that need no model: no hold larger than what was available,
 *    no second resolution of a hold, no settlement above the hold, no close
 *    that leaves a pending hold out or gives one twice;
 *  - at the end, any one amount of the final state changed by one (an
 *    account's field, a transfer's or a hold's amount) fails ledger_verify.
 */
#define NV 3
#define NP 2
#define NACC (2 + NP + NV)
#define MAXH 48
#define MAXJ 256
#define MAXOPS 200

enum { A_FUNDING, A_RETURNED, A_PAY0, A_VOU0 = A_PAY0 + NP };

struct world {
	struct ledger_account acc[NACC];
	struct ledger_hold holds[MAXH];
	size_t nholds;
	struct ledger_transfer j[MAXJ];
	size_t nj;
	int64_t next_id;
	int64_t now;
};

static const char *const orgs[] = { "Motif Technologies", "KT Cloud", "Naver Cloud", "Upstage" };
/* Each voucher's team has members from these organisations. */
static const char *const team_orgs[NV][2] = {
	{ "Motif Technologies", "Upstage" }, { "KT Cloud", "KT Cloud" }, { "Naver Cloud", "LG" },
};

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->acc[A_FUNDING] = (struct ledger_account){ .id = 1, .type = LEDGER_FUNDING };
	w->acc[A_RETURNED] = (struct ledger_account){ .id = 2, .type = LEDGER_RETURNED };
	for (int p = 0; p < NP; p++)
		w->acc[A_PAY0 + p] = (struct ledger_account){ .id = 3 + p, .type = LEDGER_PAYABLE };
	for (int v = 0; v < NV; v++)
		w->acc[A_VOU0 + v] = (struct ledger_account){ .id = 3 + NP + v,
		    .type = LEDGER_VOUCHER };
	w->next_id = 1;
	w->now = INT64_C(1767225600);	/* 2026-01-01T00:00:00Z */
}

static int64_t
pick_amount(struct fuzz_in *in, int64_t ref)
{
	switch (fuzz_u8(in) % 12) {
	case 0:		return 1 + fuzz_u8(in);
	case 1:		return ref;
	case 2:		return ref + 1;
	case 3:		return ref - 1;
	case 4:		return MONEY_MAX_AMOUNT;
	case 5:		return MONEY_MAX_AMOUNT + 1;
	case 6:		return -(int64_t)fuzz_u8(in);
	case 7:		return (int64_t)fuzz_u64(in);
	case 8:		return ref / 2;
	case 9:		return INT64_MAX;
	case 10:	return 1 + (int64_t)(fuzz_u64(in) % (uint64_t)MONEY_MAX_AMOUNT);
	default:	return 1 + (int64_t)fuzz_u32(in);
	}
}

/* The next transfer id, or now and then one that is not positive. */
static int64_t
pick_id(struct fuzz_in *in, const struct world *w)
{
	uint8_t b = fuzz_u8(in);

	return b == 0xff ? 0 : b == 0xfe ? -w->next_id : w->next_id;
}

static struct ledger_account *
vou(struct world *w, unsigned v)
{
	return &w->acc[A_VOU0 + v % NV];
}

static struct ledger_account *
pay(struct world *w, unsigned p)
{
	return &w->acc[A_PAY0 + p % NP];
}

static struct ledger_account *
by_id(struct world *w, int64_t id)
{
	for (size_t i = 0; i < NACC; i++)
		if (w->acc[i].id == id)
			return &w->acc[i];
	return NULL;
}

static void
check_world(const struct world *w, const char *op)
{
	char err[GD_ERRBUF] = "";
	int64_t avail;
	int rc;

	rc = ledger_verify(w->acc, NACC, w->holds, w->nholds, w->j, w->nj, err, sizeof(err));
	FUZZ_CHECK(rc == 0, "after %s: ledger_verify: %d %s", op, rc, err);
	for (size_t i = 0; i < NACC; i++) {
		const struct ledger_account *a = &w->acc[i];

		FUZZ_CHECK(a->budget >= 0 && a->held >= 0 && a->settled >= 0 && a->refunded >= 0 &&
		    a->returned >= 0, "after %s: account %lld has a negative field", op,
		    (long long)a->id);
		if (a->type != LEDGER_VOUCHER)
			continue;
		FUZZ_CHECK(ledger_available(a, &avail) == 0 && avail >= 0,
		    "after %s: voucher %lld available %lld", op, (long long)a->id, (long long)avail);
		if (a->closed)
			FUZZ_CHECK(avail == 0 && a->held == 0, "after %s: closed voucher %lld keeps "
			    "%lld available, %lld held", op, (long long)a->id, (long long)avail,
			    (long long)a->held);
	}
	for (size_t i = 0; i < w->nholds; i++)
		FUZZ_CHECK(w->holds[i].refunded <= w->holds[i].settled &&
		    w->holds[i].settled <= w->holds[i].amount,
		    "after %s: hold %lld settled %lld of %lld, refunded %lld", op,
		    (long long)w->holds[i].id, (long long)w->holds[i].settled,
		    (long long)w->holds[i].amount, (long long)w->holds[i].refunded);
}

/*
 * The audit must notice any one amount changed by one: a field of an
 * account, a transfer's amount, or a hold's amount, settlement or refunds.
 */
static void
check_tamper(const struct world *w, struct fuzz_in *in)
{
	static struct world x;
	char err[GD_ERRBUF] = "";
	uint8_t what = fuzz_u8(in), which = fuzz_u8(in);
	int64_t d = fuzz_u8(in) & 1 ? 1 : -1, *f;
	int rc;

	memcpy(&x, w, sizeof(x));
	if (what % 3 == 0 || (what % 3 == 1 && x.nj == 0) || (what % 3 == 2 && x.nholds == 0)) {
		struct ledger_account *a = &x.acc[which % NACC];
		int64_t *fields[] = { &a->budget, &a->held, &a->settled, &a->refunded, &a->returned };

		f = fields[(which / NACC) % 5];
	} else if (what % 3 == 1) {
		f = &x.j[which % x.nj].amount;
	} else {
		struct ledger_hold *h = &x.holds[which % x.nholds];
		int64_t *fields[] = { &h->amount, &h->settled, &h->refunded };

		f = fields[(which / x.nholds) % 3];
	}
	*f += d;
	rc = ledger_verify(x.acc, NACC, x.holds, x.nholds, x.j, x.nj, err, sizeof(err));
	FUZZ_CHECK(rc == GD_ECONFLICT, "a changed amount (kind %u, item %u, by %lld) passes "
	    "ledger_verify (%d)", what % 3, which, (long long)d, rc);
}

static bool
known_code(int rc)
{
	return rc == GD_EINVAL || rc == GD_ERANGE || rc == GD_ESTATE || rc == GD_ERELATED ||
	    rc == GD_EFUNDS;
}

/* Appends n transfers a successful call wrote, checking their ids. */
static void
append(struct world *w, const struct ledger_transfer *t, size_t n, const char *op)
{
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(t[i].id == w->next_id, "%s wrote transfer id %lld, expected %lld", op,
		    (long long)t[i].id, (long long)w->next_id);
		FUZZ_CHECK(t[i].at == w->now, "%s wrote at %lld, now %lld", op,
		    (long long)t[i].at, (long long)w->now);
		FUZZ_CHECK(money_valid_amount(t[i].amount), "%s wrote amount %lld", op,
		    (long long)t[i].amount);
		w->j[w->nj++] = t[i];
		w->next_id++;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct world w, before;
	struct fuzz_in in = { data, size };
	struct ledger_transfer t[MAXH + 1], t0[MAXH + 1];
	char err[GD_ERRBUF];
	int ops = 0;

	world_init(&w);
	while (in.n > 0 && ops++ < MAXOPS && w.nj + MAXH + 1 < MAXJ) {
		unsigned op = fuzz_u8(&in) % 9, v = fuzz_u8(&in), p = fuzz_u8(&in);
		unsigned hi = w.nholds ? fuzz_u8(&in) % w.nholds : 0;
		struct ledger_hold *h = w.nholds ? &w.holds[hi] : NULL;
		struct ledger_account *va = vou(&w, v), *pa = pay(&w, p);
		int64_t id, amount, avail = 0, exp;
		const char *name = "?";
		size_t nout = 0;
		int rc = 0;

		/* Mostly the hold's own accounts; a mix-up must be refused. */
		if (h != NULL && (v & 0x80) == 0) {
			va = by_id(&w, h->voucher);
			pa = by_id(&w, h->payable);
		}
		memcpy(&before, &w, sizeof(w));
		memset(t, 0xa5, sizeof(t));
		memcpy(t0, t, sizeof(t));
		err[0] = '\0';
		switch (op) {
		case 0:
			name = "open";
			id = pick_id(&in, &w);
			amount = pick_amount(&in, MONEY_MAX_AMOUNT);
			rc = ledger_open(&w.acc[A_FUNDING], va, amount, id, w.now, t, err, sizeof(err));
			nout = rc == 0;
			break;
		case 1: {
			bool override = fuzz_u8(&in) & 1;
			struct ledger_party party = { orgs[fuzz_pick(&in, 4)],
			    team_orgs[va->id - w.acc[A_VOU0].id], 2, override };

			name = "hold";
			if (w.nholds == MAXH)
				continue;
			ledger_available(va, &avail);
			id = pick_id(&in, &w);
			amount = pick_amount(&in, avail);
			exp = w.now + (int16_t)fuzz_u16(&in) * INT64_C(600);
			rc = ledger_hold_create(va, pa, &party, amount, id, w.now, exp,
			    &w.holds[w.nholds], t, err, sizeof(err));
			if (rc == 0) {
				FUZZ_CHECK(amount <= avail, "hold of %lld with %lld available",
				    (long long)amount, (long long)avail);
				FUZZ_CHECK(override || (strcmp(party.supplier_org, party.team_orgs[0]) != 0 &&
				    strcmp(party.supplier_org, party.team_orgs[1]) != 0),
				    "related party %s allowed", party.supplier_org);
				w.nholds++;
				nout = 1;
			}
			break;
		}
		case 2:
			name = "settle";
			if (h == NULL)
				continue;
			id = pick_id(&in, &w);
			amount = fuzz_u8(&in) & 1 ? LEDGER_SETTLE_ALL : pick_amount(&in, h->amount);
			rc = ledger_hold_settle(h, va, pa, amount, id, w.now, t, err, sizeof(err));
			if (rc == 0) {
				FUZZ_CHECK(before.holds[hi].state == LEDGER_HOLD_PENDING &&
				    w.now < before.holds[hi].expires_at, "settled a %s hold",
				    ledger_hold_state_name(before.holds[hi].state));
				nout = 1;
			}
			break;
		case 3:
		case 4:
			name = op == 3 ? "void" : "expire";
			if (h == NULL)
				continue;
			id = pick_id(&in, &w);
			rc = (op == 3 ? ledger_hold_void : ledger_hold_expire)(h, va, pa, id, w.now, t,
			    err, sizeof(err));
			if (rc == 0) {
				FUZZ_CHECK(before.holds[hi].state == LEDGER_HOLD_PENDING,
				    "%s of a %s hold", name,
				    ledger_hold_state_name(before.holds[hi].state));
				nout = 1;
			}
			break;
		case 5:
			name = "refund";
			if (h == NULL)
				continue;
			id = pick_id(&in, &w);
			amount = pick_amount(&in, h->settled - h->refunded);
			rc = ledger_refund(h, va, pa, &w.acc[A_RETURNED], amount, id, w.now, t, err,
			    sizeof(err));
			nout = rc == 0;
			break;
		case 6: {
			/*
			 * The voucher's holds; now and then a misuse that must be
			 * refused: every hold (others' pending ones among them), one
			 * pending hold left out, or one given twice.
			 */
			struct ledger_hold sel[MAXH + 1];
			size_t idx[MAXH + 1], ns = 0, pend = MAXH;
			bool all = (p & 0x80) != 0, drop = (p & 0x60) == 0x40, twice = (p & 0x60) == 0x20;
			bool misuse = false;

			name = "close";
			va = vou(&w, v);
			for (size_t i = 0; i < w.nholds; i++)
				if (all || w.holds[i].voucher == va->id) {
					if (w.holds[i].state == LEDGER_HOLD_PENDING &&
					    w.holds[i].voucher == va->id && pend == MAXH)
						pend = ns;
					idx[ns] = i;
					sel[ns++] = w.holds[i];
				}
			if (drop && pend < ns) {
				name = "close-without-a-hold";
				misuse = true;
				sel[pend] = sel[--ns];
				idx[pend] = idx[ns];
			} else if (twice && pend < ns) {
				name = "close-with-a-hold-twice";
				misuse = true;
				idx[ns] = idx[pend];
				sel[ns++] = sel[pend];
			}
			id = pick_id(&in, &w);
			rc = ledger_close(va, &w.acc[A_RETURNED], sel, ns, &w.acc[A_PAY0], NP, id,
			    w.now, t, &nout, err, sizeof(err));
			FUZZ_CHECK(rc != 0 || !misuse, "%s accepted", name);
			if (rc == 0)
				for (size_t i = 0; i < ns; i++)
					w.holds[idx[i]] = sel[i];
			break;
		}
		case 7:
			/* Time passes: minutes to months. */
			w.now += (int64_t)fuzz_u16(&in) * (fuzz_u8(&in) & 1 ? 60 : 3600);
			continue;
		default:
			/* A call with an account of the wrong type must be refused. */
			name = "open-wrong-type";
			rc = ledger_open(pa, va, 1000, w.next_id, w.now, t, err, sizeof(err));
			FUZZ_CHECK(rc == GD_EINVAL, "open from a payable returned %d", rc);
			break;
		}
		if (rc != 0) {
			FUZZ_CHECK(known_code(rc), "%s returned %d", name, rc);
			FUZZ_CHECK(err[0] != '\0' && strnlen(err, sizeof(err)) < sizeof(err),
			    "%s refused (%d) without a detail", name, rc);
			FUZZ_CHECK(memcmp(&before, &w, sizeof(w)) == 0, "%s refused (%d: %s) but "
			    "changed the state", name, rc, err);
			FUZZ_CHECK(memcmp(t, t0, sizeof(t)) == 0, "%s refused (%d: %s) but wrote a "
			    "transfer", name, rc, err);
			continue;
		}
		append(&w, t, nout, name);
		check_world(&w, name);
	}
	check_tamper(&w, &in);
	return 0;
}
