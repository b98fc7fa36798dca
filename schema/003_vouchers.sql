-- 003_vouchers: data suppliers and the voucher ledger: accounts, the
-- immutable journal of transfers, and the stored state of holds.  The rules
-- are lib/ledger.h's; these tables keep what its functions return.  Amounts
-- are INTEGER KRW; instants INTEGER seconds (UTC).

CREATE TABLE suppliers (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	org        TEXT NOT NULL,	-- compared with team members' orgs: related parties
	created_at INTEGER NOT NULL
) STRICT;

-- One funding and one returned account per programme, one voucher per
-- enrollment, one payable per supplier.  The balance columns are the running
-- totals of struct ledger_account, updated in the transaction that appends
-- the transfer; ledger_verify recomputes them from the journal.
CREATE TABLE ledger_accounts (
	id         INTEGER PRIMARY KEY,
	type       TEXT NOT NULL CHECK (type = 'funding' OR type = 'voucher' OR type = 'payable'
	    OR type = 'returned'),
	name       TEXT NOT NULL UNIQUE,	-- "voucher:PHASE/TEAM", "payable:SUPPLIER", ...
	program    TEXT REFERENCES programs(id),
	enrollment INTEGER UNIQUE REFERENCES enrollments(id),
	supplier   TEXT UNIQUE REFERENCES suppliers(id),
	closed     INTEGER NOT NULL DEFAULT 0 CHECK (closed = 0 OR closed = 1),
	budget     INTEGER NOT NULL DEFAULT 0 CHECK (budget >= 0),
	held       INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
	settled    INTEGER NOT NULL DEFAULT 0 CHECK (settled >= 0),
	refunded   INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0),
	returned   INTEGER NOT NULL DEFAULT 0 CHECK (returned >= 0),
	created_at INTEGER NOT NULL,
	CHECK ((type <> 'payable') = (program IS NOT NULL)),
	CHECK ((type = 'voucher') = (enrollment IS NOT NULL)),
	CHECK ((type = 'payable') = (supplier IS NOT NULL)),
	CHECK (closed = 0 OR type = 'voucher')
) STRICT;
CREATE UNIQUE INDEX ledger_accounts_programme ON ledger_accounts(program, type)
	WHERE type = 'funding' OR type = 'returned';

CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
BEGIN SELECT RAISE(ABORT, 'ledger accounts are never deleted'); END;
CREATE TRIGGER ledger_accounts_fixed BEFORE UPDATE OF id, type, name, program, enrollment,
	supplier ON ledger_accounts
BEGIN SELECT RAISE(ABORT, 'a ledger account''s identity never changes'); END;

-- CHECKs on hot tables spell sets out with OR: SQLite builds a temporary
-- index for every evaluation of an IN list of more than a couple of values,
-- which cost more than the rest of an INSERT here.

-- The journal.  Ids are chosen by grantd (max + 1 inside the write
-- transaction), so they increase in append order as ledger_verify requires.
-- ref: the HOLD a SETTLE/VOID/EXPIRE resolves, the SETTLE a REFUND reverses.
-- voucher: the voucher account the transfer concerns (every kind concerns
-- exactly one), kept for listing by team and phase.
CREATE TABLE ledger_transfers (
	id         INTEGER PRIMARY KEY CHECK (id > 0),
	kind       TEXT NOT NULL CHECK (kind = 'open' OR kind = 'hold' OR kind = 'settle' OR
	    kind = 'void' OR kind = 'expire' OR kind = 'refund' OR kind = 'return'),
	debit      INTEGER NOT NULL REFERENCES ledger_accounts(id),
	credit     INTEGER NOT NULL REFERENCES ledger_accounts(id),
	amount     INTEGER NOT NULL CHECK (amount > 0 AND amount <= 10000000000000),
	at         INTEGER NOT NULL,
	ref        INTEGER REFERENCES ledger_transfers(id),
	expires_at INTEGER,
	voucher    INTEGER NOT NULL REFERENCES ledger_accounts(id),
	CHECK (debit <> credit),
	CHECK ((kind = 'hold') = (expires_at IS NOT NULL)),
	CHECK ((kind = 'open' OR kind = 'hold' OR kind = 'return') = (ref IS NULL))
) STRICT;
CREATE INDEX ledger_transfers_voucher ON ledger_transfers(voucher, id);

-- Corrections are new transfers, never edits.
CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable'); END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable'); END;

-- The stored state of each hold (struct ledger_hold), keyed by its HOLD
-- transfer, with what the API lists it by.  resolved_by is the SETTLE, VOID
-- or EXPIRE transfer; for a settled hold it is the settlement's id.
CREATE TABLE ledger_holds (
	id          INTEGER PRIMARY KEY REFERENCES ledger_transfers(id),
	voucher     INTEGER NOT NULL REFERENCES ledger_accounts(id),
	payable     INTEGER NOT NULL REFERENCES ledger_accounts(id),
	amount      INTEGER NOT NULL CHECK (amount > 0),
	expires_at  INTEGER NOT NULL,
	state       TEXT NOT NULL CHECK (state = 'pending' OR state = 'settled' OR
	    state = 'voided' OR state = 'expired'),
	resolved_by INTEGER UNIQUE REFERENCES ledger_transfers(id),
	resolved_at INTEGER,
	settled     INTEGER NOT NULL DEFAULT 0 CHECK (settled >= 0 AND settled <= amount),
	refunded    INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= settled),
	enrollment  INTEGER NOT NULL REFERENCES enrollments(id),
	team        TEXT NOT NULL REFERENCES teams(id),
	phase       TEXT NOT NULL REFERENCES phases(id),
	supplier    TEXT NOT NULL REFERENCES suppliers(id),
	memo        TEXT,
	override    TEXT,		-- the admin's reason when a related party was allowed
	created_by  TEXT NOT NULL,	-- token id
	created_at  INTEGER NOT NULL,
	CHECK ((state = 'pending') = (resolved_by IS NULL)),
	CHECK ((state = 'pending') = (resolved_at IS NULL)),
	CHECK (state = 'settled' OR (settled = 0 AND refunded = 0))
) STRICT;
CREATE INDEX ledger_holds_due ON ledger_holds(expires_at) WHERE state = 'pending';
CREATE INDEX ledger_holds_voucher ON ledger_holds(voucher) WHERE state = 'pending';
CREATE INDEX ledger_holds_team ON ledger_holds(team, id);

CREATE TRIGGER ledger_holds_no_delete BEFORE DELETE ON ledger_holds
BEGIN SELECT RAISE(ABORT, 'ledger holds are never deleted'); END;
CREATE TRIGGER ledger_holds_fixed BEFORE UPDATE OF id, voucher, payable, amount, expires_at,
	enrollment, team, phase, supplier, memo, override, created_by, created_at ON ledger_holds
BEGIN SELECT RAISE(ABORT, 'only a hold''s resolution changes'); END;
-- A hold is resolved once: pending -> settled | voided | expired.
CREATE TRIGGER ledger_holds_once BEFORE UPDATE OF state ON ledger_holds
WHEN OLD.state <> 'pending' AND NEW.state <> OLD.state
BEGIN SELECT RAISE(ABORT, 'a hold is resolved once'); END;
