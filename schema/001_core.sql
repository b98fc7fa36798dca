-- 001_core: tokens, audit trail, idempotency keys, card models, programmes,
-- phases, teams and pools.  Instants are INTEGER seconds since the epoch (UTC);
-- dates are INTEGER day numbers since 1970-01-01 in the programme's zone.

CREATE TABLE tokens (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('admin', 'auditor', 'team', 'agent')),
	team       TEXT REFERENCES teams(id),
	pool       TEXT REFERENCES pools(id),
	hash       TEXT NOT NULL UNIQUE,	-- hex SHA-256 of the secret; the secret is never stored
	created_at INTEGER NOT NULL,
	revoked_at INTEGER,
	CHECK ((role = 'team') = (team IS NOT NULL)),
	CHECK ((role = 'agent') = (pool IS NOT NULL))
) STRICT;

-- Append-only: each entry's hash covers its fields and the previous hash.
CREATE TABLE audit (
	seq        INTEGER PRIMARY KEY,
	at         INTEGER NOT NULL,
	actor_id   TEXT NOT NULL,
	actor_name TEXT NOT NULL,
	action     TEXT NOT NULL,
	target     TEXT NOT NULL,
	request_id TEXT NOT NULL,
	reason     TEXT,
	detail     TEXT,
	prev_hash  TEXT NOT NULL,
	hash       TEXT NOT NULL
) STRICT;

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit entries are immutable'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit entries are immutable'); END;

-- Successful responses to POSTs with an Idempotency-Key, per token.
CREATE TABLE idempotency (
	token_id   TEXT NOT NULL,
	key        TEXT NOT NULL,
	req_hash   TEXT NOT NULL,	-- SHA-256 of method, path and body
	status     INTEGER NOT NULL,
	body       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (token_id, key)
) STRICT;
CREATE INDEX idempotency_created ON idempotency(created_at);

CREATE TABLE card_models (
	id           TEXT PRIMARY KEY,
	weight_milli INTEGER NOT NULL CHECK (weight_milli > 0)
) STRICT;
INSERT INTO card_models VALUES ('B200', 1000), ('H100', 500);

CREATE TABLE programs (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	timezone   TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE phases (
	id            TEXT PRIMARY KEY,
	program       TEXT NOT NULL REFERENCES programs(id),
	name          TEXT NOT NULL,
	starts_on     INTEGER NOT NULL,
	period_days   INTEGER NOT NULL CHECK (period_days > 0),
	evaluation_on INTEGER,
	card_model    TEXT NOT NULL REFERENCES card_models(id),
	cards         INTEGER NOT NULL CHECK (cards > 0),
	voucher_krw   INTEGER NOT NULL CHECK (voucher_krw > 0),
	created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX phases_program ON phases(program);

CREATE TABLE teams (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	lead_org   TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE team_members (
	team TEXT NOT NULL REFERENCES teams(id),
	pos  INTEGER NOT NULL,
	org  TEXT NOT NULL,
	role TEXT NOT NULL,
	PRIMARY KEY (team, pos)
) STRICT;

CREATE TABLE pools (
	id         TEXT PRIMARY KEY,
	provider   TEXT NOT NULL,
	site       TEXT NOT NULL,
	card_model TEXT NOT NULL REFERENCES card_models(id),
	cards      INTEGER NOT NULL CHECK (cards > 0),
	created_at INTEGER NOT NULL
) STRICT;
