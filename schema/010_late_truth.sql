-- 010_late_truth: what is learnt after the fact (issue 15).
--
-- An outage can be corrected or cancelled, with a reason, also after the
-- windows it touched ended.  A cancelled outage is kept, marked, for the
-- audit trail's sake, and takes nothing; a corrected one keeps its id.
ALTER TABLE outages ADD COLUMN updated_at INTEGER;
ALTER TABLE outages ADD COLUMN cancelled_at INTEGER;
ALTER TABLE outages ADD COLUMN cancel_reason TEXT;
CREATE INDEX outages_pool_live ON outages(pool) WHERE cancelled_at IS NULL;

-- Usage is judged against the cards in service, not the cards granted: a
-- sample above what outages left in service is flagged with its own reason,
-- and so are overlapping samples that together used more than the team had
-- (granted then holds the card-seconds in service the sample alone had).  The CHECK
-- cannot change in place; no table refers to usage_flags.
CREATE TABLE usage_flags_new (
	id          INTEGER PRIMARY KEY,
	batch       INTEGER NOT NULL REFERENCES usage_batches(id),
	idx         INTEGER NOT NULL CHECK (idx >= 0),
	pool        TEXT NOT NULL REFERENCES pools(id),
	team        TEXT NOT NULL REFERENCES teams(id),
	from_t      INTEGER NOT NULL,
	to_t        INTEGER NOT NULL CHECK (to_t > from_t),
	gpu_seconds INTEGER NOT NULL CHECK (gpu_seconds >= 0),
	granted     INTEGER NOT NULL CHECK (granted >= 0),
	reason      TEXT NOT NULL CHECK (reason IN ('no_grant', 'above_grant',
	    'above_cards_in_service', 'overlapping')),
	UNIQUE (batch, idx)
) STRICT;
INSERT INTO usage_flags_new SELECT id, batch, idx, pool, team, from_t, to_t, gpu_seconds,
    granted, reason FROM usage_flags;
DROP TABLE usage_flags;
ALTER TABLE usage_flags_new RENAME TO usage_flags;
CREATE INDEX usage_flags_team ON usage_flags(team, from_t);
