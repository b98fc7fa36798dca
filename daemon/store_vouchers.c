/* store_vouchers.c: SQL for the voucher ledger's accounts, journal and holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "money.h"
#include "names.h"
#include "store_vouchers.h"
#include "vec.h"

void
vid_format(const char *prefix, int64_t id, char buf[VID_LEN])
{
	snprintf(buf, VID_LEN, "%s%lld", prefix, (long long)id);
}

int
vid_parse(const char *prefix, const char *s, int64_t *id)
{
	size_t n = strlen(prefix);
	int64_t v = 0;

	if (strncmp(s, prefix, n) != 0)
		return GD_EINVAL;
	s += n;
	/* At most 18 digits: never overflows, and no leading zero aliases an id. */
	if (*s == '\0' || *s == '0' || strlen(s) > 18)
		return GD_EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return GD_EINVAL;
		v = v * 10 + (*s - '0');
	}
	*id = v;
	return 0;
}

/* Accounts. */

#define ACCOUNT_SQL "SELECT id, type, closed, budget, held, settled, refunded, returned, " \
	"name FROM ledger_accounts "

static int
account_row(sqlite3_stmt *st, struct ledger_account *a)
{
	struct ledger_account r = { 0 };

	r.id = sqlite3_column_int64(st, 0);
	if (ledger_account_type_parse(db_text(st, 1), &r.type) < 0)
		return GD_EIO;
	r.closed = sqlite3_column_int(st, 2) != 0;
	r.budget = sqlite3_column_int64(st, 3);
	r.held = sqlite3_column_int64(st, 4);
	r.settled = sqlite3_column_int64(st, 5);
	r.refunded = sqlite3_column_int64(st, 6);
	r.returned = sqlite3_column_int64(st, 7);
	*a = r;
	return 0;
}

/* Runs an ACCOUNT_SQL query whose one parameter is given by fmt. */
static int
account_one(struct db *db, const char *sql, const char *fmt, const char *s, int64_t i,
    struct ledger_account *a)
{
	sqlite3_stmt *st = db_prep(db, sql);
	int rc;

	if (st == NULL)
		return GD_EIO;
	if (fmt[0] == 't')
		db_bind(st, "t", s);
	else
		db_bind(st, "i", i);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = account_row(st, a);
	else
		rc = db_step_rc(rc);
	db_done(st);
	return rc;
}

int
store_hold_accounts(struct db *db, int64_t enrollment, const char *supplier,
    struct ledger_account *v, char vname[ACCOUNT_NAME_LEN], struct ledger_account *p,
    char pname[ACCOUNT_NAME_LEN])
{
	sqlite3_stmt *st = db_prep(db, ACCOUNT_SQL "WHERE enrollment = ?1 OR supplier = ?2");
	struct ledger_account a;
	int rc;

	v->id = p->id = 0;
	if (st == NULL)
		return GD_EIO;
	db_bind(st, "it", enrollment, supplier);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = account_row(st, &a)) < 0)
			break;
		if (a.type == LEDGER_VOUCHER) {
			*v = a;
			snprintf(vname, ACCOUNT_NAME_LEN, "%s", db_text(st, 8));
		} else {
			*p = a;
			snprintf(pname, ACCOUNT_NAME_LEN, "%s", db_text(st, 8));
		}
	}
	rc = rc < 0 ? rc : db_step_rc(rc);
	db_done(st);
	return rc == GD_ENOENT ? 0 : rc;
}

int
store_account_insert(struct db *db, enum ledger_account_type type, const char *name,
    const char *program, int64_t enrollment, const char *supplier, int64_t now, int64_t *id)
{
	int rc = db_run(db, "INSERT INTO ledger_accounts (type, name, program, enrollment, "
	    "supplier, created_at) VALUES (?, ?, ?, ?, ?, ?)", "tttnti",
	    ledger_account_type_name(type), name, program, enrollment, supplier, now);

	if (rc == 0 && id)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return rc;
}

int
store_account_programme(struct db *db, const char *program, enum ledger_account_type type,
    int64_t now, struct ledger_account *a)
{
	sqlite3_stmt *st = db_prep(db, ACCOUNT_SQL "WHERE program = ? AND type = ?");
	char name[ID_MAX + 16];
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tt", program, ledger_account_type_name(type));
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = account_row(st, a);
	else
		rc = db_step_rc(rc);
	db_done(st);
	if (rc != GD_ENOENT)
		return rc;
	snprintf(name, sizeof(name), "%s:%s", ledger_account_type_name(type), program);
	if ((rc = store_account_insert(db, type, name, program, -1, NULL, now, NULL)) < 0)
		return rc;
	return store_account_programme(db, program, type, now, a);
}

int
store_account_get(struct db *db, int64_t id, struct ledger_account *a)
{
	return account_one(db, ACCOUNT_SQL "WHERE id = ?", "i", NULL, id, a);
}

int
store_account_of_enrollment(struct db *db, int64_t enrollment, struct ledger_account *a)
{
	return account_one(db, ACCOUNT_SQL "WHERE enrollment = ?", "i", NULL, enrollment, a);
}

int
store_account_of_supplier(struct db *db, const char *supplier, struct ledger_account *a)
{
	return account_one(db, ACCOUNT_SQL "WHERE supplier = ?", "t", supplier, 0, a);
}

int
store_account_program(struct db *db, int64_t id, char program[ID_MAX + 1])
{
	return db_get_text(db, "SELECT program FROM ledger_accounts WHERE id = ? "
	    "AND program IS NOT NULL", program, ID_MAX + 1, "i", id);
}

int
store_account_put(struct db *db, const struct ledger_account *a)
{
	int rc = db_run(db, "UPDATE ledger_accounts SET closed = ?, budget = ?, held = ?, "
	    "settled = ?, refunded = ?, returned = ? WHERE id = ?", "iiiiiii",
	    (int64_t)a->closed, a->budget, a->held, a->settled, a->refunded, a->returned, a->id);

	if (rc == 0 && sqlite3_changes(db_handle(db)) != 1)
		return GD_ENOENT;
	return rc;
}

/* The journal. */

int
store_transfer_next_id(struct db *db, int64_t *id)
{
	int64_t v = db_int(db, "SELECT coalesce(max(id), 0) + 1 FROM ledger_transfers", NULL);

	if (v <= 0)
		return GD_EIO;
	*id = v;
	return 0;
}

int
store_transfer_insert(struct db *db, const struct ledger_transfer *t, int64_t voucher)
{
	return db_run(db, "INSERT INTO ledger_transfers (id, kind, debit, credit, amount, at, "
	    "ref, expires_at, voucher) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "itiiiinni", t->id,
	    ledger_kind_name(t->kind), t->debit, t->credit, t->amount, t->at,
	    t->ref > 0 ? t->ref : -1, t->kind == LEDGER_HOLD ? t->expires_at : -1, voucher);
}

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

int
store_hold_insert(struct db *db, const struct ledger_hold *h, const struct hold_meta *m)
{
	return db_run(db, "INSERT INTO ledger_holds (id, voucher, payable, amount, expires_at, "
	    "state, enrollment, team, phase, supplier, memo, override, created_by, created_at) "
	    "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)", "iiiiiitttttti", h->id,
	    h->voucher, h->payable, h->amount, h->expires_at, m->enrollment, m->team, m->phase,
	    m->supplier, m->memo, m->override, m->created_by, m->created_at);
}

#define HOLD_SQL "SELECT id, voucher, payable, amount, expires_at, state, resolved_by, " \
	"settled, refunded FROM ledger_holds "

static int
hold_row(sqlite3_stmt *st, struct ledger_hold *h)
{
	struct ledger_hold r = { 0 };

	r.id = sqlite3_column_int64(st, 0);
	r.voucher = sqlite3_column_int64(st, 1);
	r.payable = sqlite3_column_int64(st, 2);
	r.amount = sqlite3_column_int64(st, 3);
	r.expires_at = sqlite3_column_int64(st, 4);
	if (ledger_hold_state_parse(db_text(st, 5), &r.state) < 0)
		return GD_EIO;
	r.resolved_by = sqlite3_column_int64(st, 6);	/* NULL reads as 0: pending */
	r.settled = sqlite3_column_int64(st, 7);
	r.refunded = sqlite3_column_int64(st, 8);
	*h = r;
	return 0;
}

static int
hold_one(struct db *db, const char *sql, int64_t id, struct ledger_hold *h)
{
	sqlite3_stmt *st = db_prep(db, sql);
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		rc = hold_row(st, h);
	else
		rc = db_step_rc(rc);
	db_done(st);
	return rc;
}

int
store_hold_get(struct db *db, int64_t id, struct ledger_hold *h)
{
	return hold_one(db, HOLD_SQL "WHERE id = ?", id, h);
}

int
store_hold_by_settlement(struct db *db, int64_t settlement, struct ledger_hold *h)
{
	return hold_one(db, HOLD_SQL "WHERE resolved_by = ? AND state = 'settled'", settlement, h);
}

int
store_hold_ends_at(struct db *db, int64_t id, int64_t *ends_at, char phase[ID_MAX + 1])
{
	sqlite3_stmt *st = db_prep(db, "SELECT coalesce(e.ended_at, -1), h.phase FROM "
	    "ledger_holds h JOIN enrollments e ON e.id = h.enrollment WHERE h.id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ends_at = sqlite3_column_int64(st, 0);
		snprintf(phase, ID_MAX + 1, "%s", db_text(st, 1));
	}
	db_done(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GD_ENOENT : db_rc(rc);
}

/* HOLD_NOT_VOIDED has no name: the column is NULL. */
static const struct name_entry voided_by_names[] = {
	{ HOLD_VOIDED_BY_REQUEST, "request" }, { HOLD_VOIDED_BY_EXPIRY, "expiry" },
	{ HOLD_VOIDED_BY_ENROLLMENT_END, "enrollment_end" },
};

const char *
hold_voided_by_name(enum hold_voided_by why)
{
	return names_name(voided_by_names, NNAMES(voided_by_names), (int)why, NULL);
}

int
hold_voided_by_parse(const char *s, enum hold_voided_by *why)
{
	int v, rc;

	if ((rc = names_parse(voided_by_names, NNAMES(voided_by_names), s, &v)) == 0)
		*why = (enum hold_voided_by)v;
	return rc;
}

int
store_hold_put(struct db *db, const struct ledger_hold *h, int64_t resolved_at,
    enum hold_voided_by why)
{
	/* The schema checks that why agrees with the state (007_hold_voided_by). */
	int rc = db_run(db, "UPDATE ledger_holds SET state = ?, resolved_by = ?, "
	    "resolved_at = coalesce(resolved_at, ?), voided_by = coalesce(voided_by, ?), "
	    "settled = ?, refunded = ? WHERE id = ?", "tnntiii", ledger_hold_state_name(h->state),
	    h->state == LEDGER_HOLD_PENDING ? -1 : h->resolved_by,
	    h->state == LEDGER_HOLD_PENDING ? -1 : resolved_at, hold_voided_by_name(why),
	    h->settled, h->refunded, h->id);

	if (rc == 0 && sqlite3_changes(db_handle(db)) != 1)
		return GD_ENOENT;
	return rc;
}

int
store_hold_team(struct db *db, int64_t id, char team[ID_MAX + 1])
{
	return db_get_text(db, "SELECT team FROM ledger_holds WHERE id = ?", team, ID_MAX + 1,
	    "i", id);
}

int
store_holds_pending(struct db *db, int64_t voucher, struct ledger_hold **hs, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, HOLD_SQL "WHERE voucher = ? AND state = 'pending' "
	    "ORDER BY id");
	struct ledger_hold *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", voucher);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vec_reserve(&v, &cap, cnt + 1, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		if (hold_row(st, &v[cnt++]) < 0) {
			rc = SQLITE_CORRUPT;
			break;
		}
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_rc(rc);
	}
	*hs = v;
	*n = cnt;
	return 0;
}

int
store_holds_due(struct db *db, int64_t upto, const struct hold_due *after, size_t max,
    struct hold_due **out, size_t *n)
{
	/* The partial index ledger_holds_due is (expires_at, id): the row value seeks in it. */
	sqlite3_stmt *st = db_prep(db, "SELECT expires_at, id FROM ledger_holds "
	    "WHERE state = 'pending' AND expires_at <= ? AND (expires_at, id) > (?, ?) "
	    "ORDER BY expires_at, id LIMIT ?");
	struct hold_due *v;
	size_t cnt = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((v = malloc((max ? max : 1) * sizeof(*v))) == NULL)
		return GD_ENOMEM;
	db_bind(st, "iiii", upto, after->expires_at, after->id, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < max) {
		v[cnt].expires_at = sqlite3_column_int64(st, 0);
		v[cnt++].id = sqlite3_column_int64(st, 1);
	}
	db_done(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		free(v);
		return db_rc(rc);
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
store_holds_next_due(struct db *db, int64_t *t)
{
	sqlite3_stmt *st = db_prep(db, "SELECT min(expires_at) FROM ledger_holds "
	    "WHERE state = 'pending'");
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*t = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_rc(rc);
	}
	db_done(st);
	return rc;
}

/*
 * Pending holds not yet told, with expiry in (now, upto] (schema/018: the
 * partial index ledger_holds_notice answers both queries).
 */
int
store_holds_expiring(struct db *db, int64_t now, int64_t upto, const struct hold_due *after,
    size_t max, struct hold_notice **out, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id, amount, expires_at, team, phase "
	    "FROM ledger_holds WHERE state = 'pending' AND expiring_notice_at IS NULL "
	    "AND expires_at > ? AND expires_at <= ? AND (expires_at, id) > (?, ?) "
	    "ORDER BY expires_at, id LIMIT ?");
	struct hold_notice *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "iiiii", now, upto, after->expires_at, after->id, (int64_t)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (vec_reserve(&v, &cap, cnt + 1, sizeof(*v)) < 0) {
			rc = SQLITE_NOMEM;
			break;
		}
		v[cnt].id = sqlite3_column_int64(st, 0);
		v[cnt].amount = sqlite3_column_int64(st, 1);
		v[cnt].expires_at = sqlite3_column_int64(st, 2);
		snprintf(v[cnt].team, sizeof(v[cnt].team), "%s", db_text(st, 3));
		snprintf(v[cnt].phase, sizeof(v[cnt].phase), "%s", db_text(st, 4));
		cnt++;
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		free(v);
		return db_rc(rc);
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
store_hold_noticed(struct db *db, int64_t id, int64_t now)
{
	return db_run(db, "UPDATE ledger_holds SET expiring_notice_at = ? WHERE id = ? "
	    "AND expiring_notice_at IS NULL", "ii", now, id);
}

int
store_holds_next_notice(struct db *db, int64_t now, int64_t *expires_at)
{
	sqlite3_stmt *st = db_prep(db, "SELECT min(expires_at) FROM ledger_holds "
	    "WHERE state = 'pending' AND expiring_notice_at IS NULL AND expires_at > ?");
	int rc;

	if (st == NULL || db_bind(st, "i", now) < 0)
		return GD_EIO;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*expires_at = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_rc(rc);
	}
	db_done(st);
	return rc;
}

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

/* The whole ledger, for ledger_verify. */

/* Makes room for one more element and returns it; NULL when out of memory. */
static void *
grow_one(void **arr, size_t *n, size_t *cap, size_t size)
{
	if (vec_reserve(arr, cap, *n + 1, size) < 0)
		return NULL;
	return (char *)*arr + (*n)++ * size;
}

int
store_ledger_load(struct db *db, struct ledger_snapshot *s)
{
	sqlite3_stmt *st;
	size_t ca = 0, ch = 0, cj = 0;
	struct ledger_transfer *t;
	void *p;
	int rc = SQLITE_DONE;

	memset(s, 0, sizeof(*s));
	if ((st = db_prep(db, ACCOUNT_SQL "ORDER BY id")) == NULL)
		return GD_EIO;
	while (rc == SQLITE_DONE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = grow_one((void **)&s->accounts, &s->naccounts, &ca,
		    sizeof(*s->accounts))) == NULL)
			rc = SQLITE_NOMEM;
		else if (account_row(st, p) < 0)
			rc = SQLITE_CORRUPT;
		else
			rc = SQLITE_DONE;
	}
	db_done(st);
	if (rc == SQLITE_DONE && (st = db_prep(db, HOLD_SQL "ORDER BY id")) == NULL)
		rc = SQLITE_ERROR;
	while (rc == SQLITE_DONE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((p = grow_one((void **)&s->holds, &s->nholds, &ch, sizeof(*s->holds))) == NULL)
			rc = SQLITE_NOMEM;
		else if (hold_row(st, p) < 0)
			rc = SQLITE_CORRUPT;
		else
			rc = SQLITE_DONE;
	}
	db_done(st);
	if (rc == SQLITE_DONE && (st = db_prep(db, "SELECT id, kind, debit, credit, amount, at, "
	    "ref, expires_at FROM ledger_transfers ORDER BY id")) == NULL)
		rc = SQLITE_ERROR;
	while (rc == SQLITE_DONE && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((t = grow_one((void **)&s->journal, &s->njournal, &cj,
		    sizeof(*s->journal))) == NULL) {
			rc = SQLITE_NOMEM;
			break;
		}
		memset(t, 0, sizeof(*t));
		t->id = sqlite3_column_int64(st, 0);
		if (ledger_kind_parse(db_text(st, 1), &t->kind) < 0) {
			rc = SQLITE_CORRUPT;
			break;
		}
		t->debit = sqlite3_column_int64(st, 2);
		t->credit = sqlite3_column_int64(st, 3);
		t->amount = sqlite3_column_int64(st, 4);
		t->at = sqlite3_column_int64(st, 5);
		t->ref = sqlite3_column_int64(st, 6);
		t->expires_at = sqlite3_column_int64(st, 7);
		rc = SQLITE_DONE;
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		store_ledger_free(s);
		return rc == SQLITE_CORRUPT ? GD_ECONFLICT : db_rc(rc);
	}
	return 0;
}

void
store_ledger_free(struct ledger_snapshot *s)
{
	if (s == NULL)
		return;
	free(s->accounts);
	free(s->holds);
	free(s->journal);
	memset(s, 0, sizeof(*s));
}

int
store_voucher_totals(struct db *db, double out[STORE_VOUCHER_TOTALS])
{
	/* Kept by triggers (schema/020); vouchers_verify checks them against the accounts. */
	sqlite3_stmt *st = db_prep(db, "SELECT budget, held, settled, refunded, returned "
	    "FROM voucher_totals WHERE id = 1");
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < STORE_VOUCHER_TOTALS; i++)
			out[i] = sqlite3_column_double(st, i);
		rc = 0;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}
