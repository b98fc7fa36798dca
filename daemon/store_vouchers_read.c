/* store_vouchers_read.c: the ledger as the API shows it: the journal, holds and vouchers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "money.h"
#include "store_vouchers.h"

/* The journal. */

static json_t *
transfer_row(sqlite3_stmt *st)
{
	char id[VID_LEN], ref[VID_LEN];
	const char *kind = db_text(st, 1);
	json_t *o;

	vid_format(VID_TRANSFER, sqlite3_column_int64(st, 0), id);
	/* A ref names what it points at: the hold, or the settlement of a refund. */
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		vid_format(strcmp(kind, "refund") == 0 ? VID_SETTLEMENT : VID_HOLD,
		    sqlite3_column_int64(st, 6), ref);
	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:s?, s:s, s:s}", "id", id, "kind", kind,
	    "debit", db_text(st, 2), "credit", db_text(st, 3),
	    "amount_krw", (json_int_t)sqlite3_column_int64(st, 4),
	    "at", jv_instant(sqlite3_column_int64(st, 5)),
	    "ref", sqlite3_column_type(st, 6) != SQLITE_NULL ? ref : NULL,
	    "team", db_text(st, 8), "phase", db_text(st, 9));
	if (o && json_object_get(o, "ref") == NULL)
		json_object_set_new(o, "ref", json_null());
	if (o && sqlite3_column_type(st, 7) != SQLITE_NULL)
		json_object_set_new(o, "expires_at", jv_instant(sqlite3_column_int64(st, 7)));
	return o;
}

static void
transfer_cursor(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	vid_format(VID_TRANSFER, sqlite3_column_int64(st, 0), cursor);
}

int
store_transfer_list(struct db *db, const struct transfer_filter *f, int64_t after,
    int64_t limit, json_t **items, char **next)
{
	return db_page(db, "SELECT t.id, t.kind, d.name, c.name, t.amount, t.at, "
	    "t.ref, t.expires_at, e.team, e.phase FROM ledger_transfers t "
	    "JOIN ledger_accounts d ON d.id = t.debit JOIN ledger_accounts c ON c.id = t.credit "
	    "JOIN ledger_accounts v ON v.id = t.voucher JOIN enrollments e ON e.id = v.enrollment "
	    "WHERE t.id > ?1 AND (?2 IS NULL OR e.team = ?2) AND (?3 IS NULL OR e.phase = ?3) "
	    "AND (?4 IS NULL OR t.kind = ?4) ORDER BY t.id LIMIT ?5", transfer_row,
	    transfer_cursor, limit, items, next, "ittti", after, f->team, f->phase, f->kind,
	    limit + 1);
}

/* Holds. */

#define HOLD_JSON_SQL "SELECT h.id, h.state, h.team, h.phase, h.supplier, h.amount, " \
	"h.expires_at, h.resolved_by, h.resolved_at, h.settled, h.refunded, h.memo, " \
	"h.override, h.created_at, v.name, p.name, h.voided_by FROM ledger_holds h " \
	"JOIN ledger_accounts v ON v.id = h.voucher JOIN ledger_accounts p ON p.id = h.payable "

/*
 * The stored state as the API shows it.  The contract has the daemon void
 * an expired hold, so a hold the ledger calls expired reads "voided" (with
 * "voided_by": "expiry"); the ledger keeps its own name, which
 * ledger_verify checks against the journal's EXPIRE.
 */
static const char *
hold_api_state(const char *stored)
{
	return strcmp(stored, "expired") == 0 ? "voided" : stored;
}

json_t *
store_hold_view_json(const struct hold_view *h)
{
	char id[VID_LEN], stl[VID_LEN];
	json_t *o;

	vid_format(VID_HOLD, h->id, id);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s}", "id", id,
	    "state", hold_api_state(h->state), "team", h->team, "phase", h->phase,
	    "supplier", h->supplier, "amount_krw", (json_int_t)h->amount,
	    "expires_at", jv_instant(h->expires_at), "created_at", jv_instant(h->created_at),
	    "debit", h->debit, "credit", h->credit);
	if (o == NULL)
		return NULL;
	if (h->memo)
		json_object_set_new(o, "memo", json_string(h->memo));
	if (h->override)
		json_object_set_new(o, "override", json_pack("{s:s, s:s}", "rule",
		    "related_party", "reason", h->override));
	if (h->resolved_at >= 0)
		json_object_set_new(o, "resolved_at", jv_instant(h->resolved_at));
	if (h->voided_by)
		json_object_set_new(o, "voided_by", json_string(h->voided_by));
	if (strcmp(h->state, "settled") == 0) {
		vid_format(VID_SETTLEMENT, h->settlement, stl);
		json_object_set_new(o, "settlement", json_string(stl));
		json_object_set_new(o, "settled_krw", json_integer(h->settled));
		json_object_set_new(o, "released_krw", json_integer(h->amount - h->settled));
		json_object_set_new(o, "refunded_krw", json_integer(h->refunded));
	}
	return o;
}

static const char *
text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : db_text(st, col);
}

static json_t *
hold_json_row(sqlite3_stmt *st)
{
	return store_hold_view_json(&(struct hold_view){
	    .id = sqlite3_column_int64(st, 0), .state = db_text(st, 1),
	    .team = db_text(st, 2), .phase = db_text(st, 3), .supplier = db_text(st, 4),
	    .amount = sqlite3_column_int64(st, 5), .expires_at = sqlite3_column_int64(st, 6),
	    .settlement = sqlite3_column_int64(st, 7),
	    .resolved_at = sqlite3_column_type(st, 8) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 8),
	    .settled = sqlite3_column_int64(st, 9), .refunded = sqlite3_column_int64(st, 10),
	    .memo = text_or_null(st, 11), .override = text_or_null(st, 12),
	    .created_at = sqlite3_column_int64(st, 13), .debit = db_text(st, 14),
	    .credit = db_text(st, 15), .voided_by = text_or_null(st, 16) });
}

int
store_hold_json(struct db *db, int64_t id, json_t **out)
{
	sqlite3_stmt *st = db_prep(db, HOLD_JSON_SQL "WHERE h.id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = hold_json_row(st);
		rc = *out ? 0 : GD_ENOMEM;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

static void
hold_cursor(sqlite3_stmt *st, char cursor[DB_CURSOR_LEN])
{
	vid_format(VID_HOLD, sqlite3_column_int64(st, 0), cursor);
}

int
store_hold_list(struct db *db, const struct hold_filter *f, int64_t after, int64_t limit,
    json_t **items, char **next)
{
	/* ?state=voided takes the expired holds too: the API shows them voided. */
	return db_page(db, HOLD_JSON_SQL "WHERE h.id > ?1 "
	    "AND (?2 IS NULL OR h.team = ?2) AND (?3 IS NULL OR h.phase = ?3) "
	    "AND (?4 IS NULL OR h.supplier = ?4) AND (?5 IS NULL OR h.state = ?5 OR "
	    "(?5 = 'voided' AND h.state = 'expired')) ORDER BY h.id LIMIT ?6", hold_json_row,
	    hold_cursor, limit, items, next, "itttti", after, f->team, f->phase, f->supplier,
	    f->state, limit + 1);
}

/* Vouchers, as a team sees them. */

/*
 * A refund of a settlement made after its voucher closed goes from the
 * payable straight to the programme's returned account (ledger_refund), so
 * the voucher's own balances never see it.  The row counts it on both
 * sides, as a refund of this voucher's settlement and as money returned for
 * it: refunded_krw is then every refund of its settlements, returned_krw
 * everything returned for it, and available = budget - held - settled +
 * refunded - returned holds exactly, unchanged (0 for a closed voucher).
 * The journal is read, not changed: such refunds are the REFUND transfers
 * listed by this voucher that credit another account.
 */
#define REROUTED_SQL "(SELECT coalesce(sum(t.amount), 0) FROM ledger_transfers t " \
	"WHERE t.voucher = a.id AND t.kind = 'refund' AND t.credit <> a.id)"

/* Adds the rerouted refunds to a voucher's figures; false when that overflows. */
static bool
as_seen(struct ledger_account *a, int64_t rerouted)
{
	return money_add(a->refunded, rerouted, &a->refunded) &&
	    money_add(a->returned, rerouted, &a->returned);
}

int
store_voucher_as_seen(struct db *db, struct ledger_account *a)
{
	int64_t r = db_int(db, "SELECT " REROUTED_SQL " FROM ledger_accounts a WHERE a.id = ?",
	    "i", a->id);

	if (r < 0)
		return GD_EIO;
	return as_seen(a, r) ? 0 : GD_ERANGE;
}

/* A team's voucher row, as the contract gives it; NULL when out of memory or corrupt. */
static json_t *
voucher_row(sqlite3_stmt *st)
{
	struct ledger_account a = { .type = LEDGER_VOUCHER };
	int64_t avail;

	a.closed = sqlite3_column_int(st, 3) != 0;
	a.budget = sqlite3_column_int64(st, 4);
	a.held = sqlite3_column_int64(st, 5);
	a.settled = sqlite3_column_int64(st, 6);
	a.refunded = sqlite3_column_int64(st, 7);
	a.returned = sqlite3_column_int64(st, 8);
	/* Only a corrupt journal sums that high. */
	if (!as_seen(&a, sqlite3_column_int64(st, 9)))
		return NULL;
	/* Never below 0, as the contract says; the rules keep it so anyway. */
	if (ledger_available(&a, &avail) < 0 || avail < 0)
		avail = 0;
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I}",
	    "phase", db_text(st, 0), "state", a.closed ? "closed" : "open",
	    "enrollment_state", db_text(st, 1), "account", db_text(st, 2),
	    "budget_krw", (json_int_t)a.budget, "held_krw", (json_int_t)a.held,
	    "settled_krw", (json_int_t)a.settled, "refunded_krw", (json_int_t)a.refunded,
	    "returned_krw", (json_int_t)a.returned, "available_krw", (json_int_t)avail);
}

int
store_voucher_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next)
{
	return db_page(db, "SELECT e.phase, e.state, a.name, a.closed, a.budget, "
	    "a.held, a.settled, a.refunded, a.returned, " REROUTED_SQL " FROM ledger_accounts a "
	    "JOIN enrollments e ON e.id = a.enrollment WHERE e.team = ?1 AND e.phase > ?2 "
	    "ORDER BY e.phase LIMIT ?3", voucher_row, db_cursor_text, limit, items, next, "tti",
	    team, after ? after : "", limit + 1);
}
