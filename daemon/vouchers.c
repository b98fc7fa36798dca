/* vouchers.c: the voucher ledger's operations: load, decide with lib/ledger.c, store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "civil.h"
#include "db.h"
#include "err.h"
#include "events.h"
#include "jsonv.h"
#include "ledger.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_orgs.h"
#include "store_suppliers.h"
#include "store_vouchers.h"
#include "timers.h"
#include "vouchers.h"

/* Expired per round of vouchers_expire_due, so its id array stays small. */
#define EXPIRE_BATCH 512

/* A detail for a refusal that did not come from lib/ledger.c. */
static int
fail(int rc, char *err, size_t errlen, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", what);
	return rc;
}

/*
 * The operations other modules call run in a savepoint of their own, so
 * that a failure halfway (a storage error between two writes) leaves
 * nothing behind even when the caller does not roll back.
 */
static int
sp_begin(struct db *db)
{
	return db_savepoint(db, "vouchers");
}

static int
sp_end(struct db *db, int rc)
{
	return db_savepoint_end(db, "vouchers", rc);
}

int
vouchers_open(struct db *db, int64_t enrollment, int64_t amount, int64_t now)
{
	struct ledger_account funding, returned, voucher = { .type = LEDGER_VOUCHER };
	struct ledger_transfer t;
	struct enrollment e;
	struct phase_info pi;
	char name[2 * ID_MAX + 16];
	int rc;

	if ((rc = store_enrollment_by_id(db, enrollment, &e)) < 0 ||
	    (rc = store_phase_info(db, e.phase, &pi)) < 0)
		return rc;
	if ((rc = sp_begin(db)) < 0)
		return rc;
	snprintf(name, sizeof(name), "voucher:%s/%s", e.phase, e.team);
	/* The returned account is made now, so that closing never has to. */
	if ((rc = store_account_programme(db, pi.program, LEDGER_FUNDING, now, &funding)) < 0 ||
	    (rc = store_account_programme(db, pi.program, LEDGER_RETURNED, now, &returned)) < 0 ||
	    (rc = store_account_insert(db, LEDGER_VOUCHER, name, pi.program, enrollment, NULL,
	    now, &voucher.id)) < 0 ||
	    (rc = store_transfer_next_id(db, &t.id)) < 0 ||
	    (rc = ledger_open(&funding, &voucher, amount, t.id, now, &t, NULL, 0)) < 0 ||
	    (rc = store_transfer_insert(db, &t, voucher.id)) < 0 ||
	    (rc = store_account_put(db, &funding)) < 0 ||
	    (rc = store_account_put(db, &voucher)) < 0)
		return sp_end(db, rc);
	return sp_end(db, 0);
}

/* The accounts of a stored hold. */
static int
hold_accounts(struct db *db, const struct ledger_hold *h, struct ledger_account *v,
    struct ledger_account *p)
{
	int rc;

	if ((rc = store_account_get(db, h->voucher, v)) < 0 ||
	    (rc = store_account_get(db, h->payable, p)) < 0)
		return rc == GD_ENOENT ? GD_EIO : rc;	/* foreign keys make this corruption */
	return 0;
}

/* Writes a resolved hold back with the transfer that resolved it, and why if voided. */
static int
store_resolution(struct db *db, const struct ledger_hold *h, const struct ledger_transfer *t,
    const struct ledger_account *v, const struct ledger_account *p,
    enum hold_voided_by why)
{
	int rc;

	if ((rc = store_transfer_insert(db, t, v->id)) < 0 ||
	    (rc = store_hold_put(db, h, t->at, why)) < 0 ||
	    (rc = store_account_put(db, v)) < 0 ||
	    (rc = store_account_put(db, p)) < 0)
		return rc;
	return 0;
}

int
vouchers_close(struct db *db, int64_t enrollment, int64_t now, char *err, size_t errlen)
{
	struct ledger_account voucher, returned, *payables = NULL;
	struct ledger_transfer *out = NULL;
	struct ledger_hold *holds = NULL;
	size_t nholds = 0, npay = 0, nout = 0, i, k;
	char program[ID_MAX + 1];
	int64_t id;
	int rc;

	if ((rc = store_account_of_enrollment(db, enrollment, &voucher)) < 0)
		return rc == GD_ENOENT ? fail(rc, err, errlen, "the enrollment has no voucher") : rc;
	if ((rc = sp_begin(db)) < 0)
		return rc;
	if ((rc = store_account_program(db, voucher.id, program)) < 0 ||
	    (rc = store_account_programme(db, program, LEDGER_RETURNED, now, &returned)) < 0 ||
	    (rc = store_holds_pending(db, voucher.id, &holds, &nholds)) < 0)
		goto out;
	/* The payables of the pending holds, each once. */
	payables = calloc(nholds ? nholds : 1, sizeof(*payables));
	out = calloc(nholds + 1, sizeof(*out));
	if (payables == NULL || out == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	for (i = 0; i < nholds; i++) {
		for (k = 0; k < npay && payables[k].id != holds[i].payable; k++)
			;
		if (k == npay && (rc = store_account_get(db, holds[i].payable, &payables[npay++])) < 0)
			goto out;
	}
	if ((rc = store_transfer_next_id(db, &id)) < 0)
		goto out;
	if ((rc = ledger_close(&voucher, &returned, holds, nholds, payables, npay, id, now, out,
	    &nout, err, errlen)) < 0) {
		/* The ledger names accounts by number; the caller's client knows none. */
		if (rc == GD_ESTATE)
			fail(rc, err, errlen, "the enrollment's voucher is already closed");
		goto out;
	}
	for (i = 0; i < nout && rc == 0; i++)
		rc = store_transfer_insert(db, &out[i], voucher.id);
	/* holds[] are the pending ones, and ledger_close voided every one of them. */
	for (i = 0; i < nholds && rc == 0; i++)
		rc = store_hold_put(db, &holds[i], now, HOLD_VOIDED_BY_ENROLLMENT_END);
	for (i = 0; i < npay && rc == 0; i++)
		rc = store_account_put(db, &payables[i]);
	if (rc == 0 && (rc = store_account_put(db, &voucher)) == 0)
		rc = store_account_put(db, &returned);
out:
	free(holds);
	free(payables);
	free(out);
	return sp_end(db, rc);
}

static int
expire_one(struct db *db, int64_t id, int64_t now, char *err, size_t errlen)
{
	struct ledger_account v, p;
	struct ledger_transfer t;
	struct ledger_hold h;
	char target[VID_LEN + 8], hid[VID_LEN];
	json_t *detail = NULL;
	int rc;

	/*
	 * The transfer is dated at the hold's own expiry, the instant the money
	 * came back, however late the daemon applies it (a restart, a clock
	 * jump); the audit entry at when it was applied.
	 */
	if ((rc = store_hold_get(db, id, &h)) < 0 ||
	    (rc = hold_accounts(db, &h, &v, &p)) < 0 ||
	    (rc = store_transfer_next_id(db, &t.id)) < 0 ||
	    (rc = ledger_hold_expire(&h, &v, &p, t.id, h.expires_at, &t, err, errlen)) < 0 ||
	    (rc = store_resolution(db, &h, &t, &v, &p, HOLD_VOIDED_BY_EXPIRY)) < 0 ||
	    (rc = store_hold_json(db, id, &detail)) < 0)
		return rc;
	vid_format(VID_HOLD, id, hid);
	snprintf(target, sizeof(target), "hold/%s", hid);
	rc = audit_append(db, &audit_system, "timer", now, "voucher.hold.expire", target, NULL,
	    detail);
	json_decref(detail);
	return rc;
}

/*
 * Ends one hold's step (an expiry, a notice), begun in a savepoint of its
 * own by hold_begin: rc 0 keeps it; a failure (a bad row, a fault) is rolled
 * back alone and handed to the timers (timers_failed: logged, counted,
 * audited once, target "hold/ID"), and 0 comes back so that the other
 * holds proceed.  An error comes back only when the savepoint itself cannot
 * be used: then nothing else could proceed either.
 */
#define HOLD_SP "voucher_hold_one"

static int
hold_begin(struct db *db)
{
	return db_savepoint(db, HOLD_SP) < 0 ? GD_EIO : 0;
}

static int
hold_end(struct db *db, int rc, const char *err, const char *kind, int64_t id, int64_t due_at,
    int64_t now, int *failed)
{
	char hid[VID_LEN], target[VID_LEN + 8], why[GD_ERRBUF];

	vid_format(VID_HOLD, id, hid);
	snprintf(target, sizeof(target), "hold/%s", hid);
	if (rc == 0) {
		if (db_release(db, HOLD_SP) < 0)
			return GD_EIO;
		return timers_succeeded(db, kind, target, due_at);
	}
	/* The words before the rollback: SQLite's message is the failed statement's. */
	snprintf(why, sizeof(why), "%s", err[0] ? err : timers_errtext(db, rc));
	if (db_rollback_to(db, HOLD_SP) < 0 || db_release(db, HOLD_SP) < 0)
		return GD_EIO;
	return timers_failed(db, failed, kind, target, due_at, now, why);
}

int
vouchers_expire_due(struct db *db, int64_t upto, int64_t now, int64_t *expired,
    int64_t *next_due, int *failed)
{
	struct hold_due *due = NULL, after = HOLD_DUE_FIRST;
	int64_t n_exp = 0, next = -1;
	char err[GD_ERRBUF];
	size_t n;
	int rc;

	if ((rc = sp_begin(db)) < 0)
		return rc;
	/*
	 * Each round reads on from the last hold it took, so that one left
	 * pending by a failure is not read again (and again) before the rest.
	 */
	do {
		if ((rc = store_holds_due(db, upto, &after, EXPIRE_BATCH, &due, &n)) < 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			int f = *failed;

			err[0] = '\0';
			if ((rc = hold_begin(db)) < 0)
				break;
			rc = expire_one(db, due[i].id, now, err, sizeof(err));
			rc = hold_end(db, rc, err, "voucher.hold.expire", due[i].id,
			    due[i].expires_at, now, failed);
			if (rc == 0 && *failed == f)
				n_exp++;
		}
		if (n > 0)
			after = due[n - 1];
		free(due);
		due = NULL;
	} while (rc == 0 && n == EXPIRE_BATCH);
	if (rc == 0)
		rc = store_holds_next_due(db, &next);
	if ((rc = sp_end(db, rc)) < 0)
		return rc;
	*expired = n_exp;
	*next_due = next;
	return 0;
}

/* One hold's notice: the event for its team, and the mark that it was made. */
static int
notice_one(struct db *db, const struct hold_notice *h, int64_t now)
{
	char hid[VID_LEN], target[VID_LEN + 8];
	json_t *p;
	int rc;

	vid_format(VID_HOLD, h->id, hid);
	snprintf(target, sizeof(target), "hold/%s", hid);
	p = json_pack("{s:s, s:s, s:s, s:I, s:o}", "hold", hid, "team", h->team, "phase",
	    h->phase, "amount_krw", (json_int_t)h->amount, "expires_at",
	    jv_instant(h->expires_at));
	if (p == NULL)
		return GD_ENOMEM;
	rc = events_notice(db, "hold.expiring", now, target, h->team, p);
	json_decref(p);
	if (rc == 0)
		rc = store_hold_noticed(db, h->id, now);
	return rc;
}

int
vouchers_notice_expiring(struct db *db, int64_t within, int64_t now, int64_t *made,
    int *failed)
{
	struct hold_notice *hs = NULL;
	struct hold_due after = HOLD_DUE_FIRST;
	int64_t n_made = 0;
	size_t n;
	int rc;

	if ((rc = sp_begin(db)) < 0)
		return rc;
	/*
	 * Each round marks what it told and reads on from the last hold it
	 * took: one a failure left untold is passed over, not read again.
	 */
	do {
		if ((rc = store_holds_expiring(db, now, now + within, &after, EXPIRE_BATCH, &hs,
		    &n)) < 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			int f = *failed;

			if ((rc = hold_begin(db)) < 0)
				break;
			rc = notice_one(db, &hs[i], now);
			/* Filed under when the notice fell due: `within` before the expiry. */
			rc = hold_end(db, rc, "", "hold.expiring", hs[i].id, hs[i].expires_at - within,
			    now, failed);
			if (rc == 0 && *failed == f)
				n_made++;
		}
		if (n > 0)
			after = (struct hold_due){ hs[n - 1].expires_at, hs[n - 1].id };
		free(hs);
		hs = NULL;
	} while (rc == 0 && n == EXPIRE_BATCH);
	if ((rc = sp_end(db, rc)) < 0)
		return rc;
	*made = n_made;
	return 0;
}

int
vouchers_next_notice(struct db *db, int64_t within, int64_t now, int64_t *at)
{
	int64_t t;
	int rc;

	if ((rc = store_holds_next_notice(db, now, &t)) < 0)
		return rc;
	*at = t < 0 ? -1 : t - within;
	return 0;
}

/*
 * The voucher sums /metrics reads (schema/020's triggers keep them) against
 * the accounts they sum: equal to the won while the sums stay under 2^53.
 */
static int
totals_check(struct db *db, const struct ledger_snapshot *s, char *err, size_t errlen)
{
	static const char *const name[STORE_VOUCHER_TOTALS] = { "budget", "held", "settled",
		"refunded", "returned" };
	double kept[STORE_VOUCHER_TOTALS];
	int64_t sum[STORE_VOUCHER_TOTALS] = { 0 };
	bool big = false;
	int rc;

	for (size_t i = 0; i < s->naccounts; i++) {
		const struct ledger_account *a = &s->accounts[i];
		const int64_t v[STORE_VOUCHER_TOTALS] = { a->budget, a->held, a->settled,
			a->refunded, a->returned };

		for (int k = 0; a->type == LEDGER_VOUCHER && k < STORE_VOUCHER_TOTALS; k++)
			big |= __builtin_add_overflow(sum[k], v[k], &sum[k]);
	}
	if ((rc = store_voucher_totals(db, kept)) < 0)
		return fail(rc, err, errlen, "cannot read the voucher totals");
	for (int k = 0; !big && k < STORE_VOUCHER_TOTALS; k++)
		if (sum[k] < (INT64_C(1) << 53) && kept[k] != (double)sum[k]) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "the voucher total of %s kept for /metrics "
				    "is %.0f, the accounts sum to %lld", name[k], kept[k],
				    (long long)sum[k]);
			return GD_ECONFLICT;
		}
	return 0;
}

int
vouchers_verify(struct db *db, int64_t *accounts, int64_t *transfers, char *err,
    size_t errlen)
{
	struct ledger_snapshot s;
	bool own_txn = !db_in_transaction(db);
	int rc;

	/* One snapshot: a commit between two of the reads would look like corruption. */
	if (own_txn && db_begin(db, DB_DEFERRED) < 0)
		return fail(GD_EIO, err, errlen, "cannot start a read transaction");
	rc = store_ledger_load(db, &s);
	if (own_txn)
		db_commit(db);
	if (rc < 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "cannot read the ledger: %s", rc == GD_ECONFLICT ?
			    "a row holds an unknown kind, type or state" : db_errmsg(db));
		return rc == GD_ENOMEM ? rc : rc == GD_ECONFLICT ? rc : GD_EIO;
	}
	rc = ledger_verify(s.accounts, s.naccounts, s.holds, s.nholds, s.journal, s.njournal,
	    err, errlen);
	if (rc == 0)
		rc = totals_check(db, &s, err, errlen);
	if (rc == 0) {
		*accounts = (int64_t)s.naccounts;
		*transfers = (int64_t)s.njournal;
	}
	store_ledger_free(&s);
	return rc;
}

int
vouchers_hold(struct db *db, const struct voucher_hold_in *in, int64_t now, int64_t *hold,
    bool *related, json_t **view, char *err, size_t errlen)
{
	struct ledger_account v, p;
	struct ledger_transfer t;
	struct ledger_hold h;
	struct ledger_party party = { .override = in->override != NULL };
	struct hold_meta m = { .enrollment = in->enrollment, .team = in->team,
		.phase = in->phase, .supplier = in->supplier, .memo = in->memo,
		.override = NULL, .created_by = in->created_by, .created_at = now };
	char org[ID_MAX + 1], **orgs = NULL, vname[ACCOUNT_NAME_LEN], pname[ACCOUNT_NAME_LEN];
	bool rel = false;
	int rc;

	/* An elimination's voucher closes on its effective date: no hold from then on. */
	if (in->ends_at >= 0 && now >= in->ends_at)
		return fail(GD_ESTATE, err, errlen, "the enrollment ended; its voucher closes "
		    "on the effective date");
	if ((rc = store_hold_accounts(db, in->enrollment, in->supplier, &v, vname, &p,
	    pname)) < 0)
		return rc;
	if (v.id == 0)
		return fail(GD_ESTATE, err, errlen, "the enrollment has no voucher account");
	if (p.id == 0)
		return fail(GD_ENOENT, err, errlen, "no such supplier");
	if ((rc = store_supplier_organisation(db, in->supplier, org)) < 0)
		return rc == GD_ENOENT ? fail(rc, err, errlen, "no such supplier") : rc;
	/* Related parties are organisations, as the team was made up at the hold's time. */
	if ((rc = store_team_orgs_at(db, in->team, now, &orgs, &party.nteam_orgs)) < 0)
		return rc;
	party.supplier_org = org;
	party.team_orgs = (const char *const *)orgs;
	for (size_t i = 0; i < party.nteam_orgs; i++)
		rel = rel || strcmp(orgs[i], org) == 0;
	/* The reason is kept with the hold only when it allowed something. */
	m.override = rel ? in->override : NULL;
	if ((rc = store_transfer_next_id(db, &t.id)) == 0 &&
	    (rc = ledger_hold_create(&v, &p, &party, in->amount, t.id, now, in->expires_at, &h,
	    &t, err, errlen)) == 0 &&
	    (rc = store_transfer_insert(db, &t, v.id)) == 0 &&
	    (rc = store_hold_insert(db, &h, &m)) == 0 &&
	    (rc = store_account_put(db, &v)) == 0)
		rc = store_account_put(db, &p);
	free(orgs);
	if (rc < 0)
		return rc;
	/* The reply is what was just written: no read back. */
	if (view && (*view = store_hold_view_json(&(struct hold_view){ .id = h.id,
	    .amount = h.amount, .expires_at = h.expires_at, .created_at = now,
	    .state = ledger_hold_state_name(h.state), .team = in->team, .phase = in->phase,
	    .supplier = in->supplier, .debit = vname, .credit = pname, .memo = in->memo,
	    .override = m.override, .resolved_at = -1 })) == NULL)
		return GD_ENOMEM;
	*hold = h.id;
	*related = rel;
	return 0;
}

/* Loads a hold and its accounts; a missing hold is GD_ENOENT with a detail. */
static int
load_hold(struct db *db, int64_t id, struct ledger_hold *h, struct ledger_account *v,
    struct ledger_account *p, char *err, size_t errlen)
{
	int rc;

	if ((rc = store_hold_get(db, id, h)) < 0)
		return rc == GD_ENOENT ? fail(rc, err, errlen, "no such hold") : rc;
	return hold_accounts(db, h, v, p);
}

int
vouchers_settle(struct db *db, int64_t hold, int64_t amount, int64_t now,
    int64_t *settlement, char *err, size_t errlen)
{
	struct ledger_account v, p;
	struct ledger_transfer t;
	struct ledger_hold h;
	char when[CIVIL_WHEN_LEN], phase[ID_MAX + 1];
	struct phase_info pi;
	struct civil_zone zone;
	int64_t ends_at;
	int rc;

	if ((rc = load_hold(db, hold, &h, &v, &p, err, errlen)) < 0 ||
	    (rc = store_hold_ends_at(db, hold, &ends_at, phase)) < 0)
		return rc;
	/*
	 * As no new hold is taken from the enrollment's effective end, none is
	 * settled from then: the voucher closes at that instant, and the timer
	 * voids what is pending there, maybe a little after.
	 */
	if (h.state == LEDGER_HOLD_PENDING && ends_at >= 0 && now >= ends_at) {
		if ((rc = store_phase_info(db, phase, &pi)) < 0)
			return rc;
		civil_zone_of(pi.tz, pi.tz_off, &zone);
		civil_format_when(ends_at, &zone, when);
		snprintf(err, errlen, "the hold's enrollment ended at %s (its elimination or "
		    "withdrawal took effect), when its voucher closed; a pending hold can no "
		    "longer be settled, and the daemon voids it", when);
		return GD_ESTATE;
	}
	if ((rc = store_transfer_next_id(db, &t.id)) < 0 ||
	    (rc = ledger_hold_settle(&h, &v, &p, amount, t.id, now, &t, err, errlen)) < 0 ||
	    (rc = store_resolution(db, &h, &t, &v, &p, HOLD_NOT_VOIDED)) < 0)
		return rc;
	*settlement = t.id;
	return 0;
}

int
vouchers_void(struct db *db, int64_t hold, int64_t now, char *err, size_t errlen)
{
	struct ledger_account v, p;
	struct ledger_transfer t;
	struct ledger_hold h;
	int rc;

	if ((rc = load_hold(db, hold, &h, &v, &p, err, errlen)) < 0 ||
	    (rc = store_transfer_next_id(db, &t.id)) < 0 ||
	    (rc = ledger_hold_void(&h, &v, &p, t.id, now, &t, err, errlen)) < 0)
		return rc;
	return store_resolution(db, &h, &t, &v, &p, HOLD_VOIDED_BY_REQUEST);
}

int
vouchers_refund(struct db *db, int64_t settlement, int64_t amount, int64_t now,
    int64_t *refund, bool *to_returned, char *err, size_t errlen)
{
	struct ledger_account v, p, r;
	struct ledger_transfer t;
	struct ledger_hold h;
	char program[ID_MAX + 1];
	int rc;

	if ((rc = store_hold_by_settlement(db, settlement, &h)) < 0)
		return rc == GD_ENOENT ? fail(rc, err, errlen, "no such settlement") : rc;
	if ((rc = hold_accounts(db, &h, &v, &p)) < 0 ||
	    (rc = store_account_program(db, v.id, program)) < 0 ||
	    (rc = store_account_programme(db, program, LEDGER_RETURNED, now, &r)) < 0 ||
	    (rc = store_transfer_next_id(db, &t.id)) < 0 ||
	    (rc = ledger_refund(&h, &v, &p, &r, amount, t.id, now, &t, err, errlen)) < 0)
		return rc;
	/* ledger_refund changed only the account it credited; writing all three is harmless. */
	if ((rc = store_transfer_insert(db, &t, v.id)) < 0 ||
	    (rc = store_hold_put(db, &h, now, HOLD_NOT_VOIDED)) < 0 ||
	    (rc = store_account_put(db, &p)) < 0 ||
	    (rc = store_account_put(db, &v)) < 0 ||
	    (rc = store_account_put(db, &r)) < 0)
		return rc;
	*refund = t.id;
	*to_returned = t.credit == r.id;
	return 0;
}

int
vouchers_available(struct db *db, int64_t enrollment, int64_t *available)
{
	struct ledger_account v;
	int64_t a;
	int rc;

	if ((rc = store_account_of_enrollment(db, enrollment, &v)) < 0)
		return rc;
	if (ledger_available(&v, &a) < 0)
		return GD_ERANGE;
	*available = a < 0 ? 0 : a;
	return 0;
}
