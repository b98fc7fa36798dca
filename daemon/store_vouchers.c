/* store_vouchers.c: SQL for the voucher ledger's accounts, journal and holds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
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
