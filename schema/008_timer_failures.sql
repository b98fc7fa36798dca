-- 008_timer_failures: what keeps one bad row from stopping the clock, and
-- what bounds the flagged usage an agent can add.
--
-- A time-based transition (a grant starting or ending, a window ending, an
-- evaluation date, holds expiring, one enrollment's idle check) that fails
-- is rolled back alone and noted here, so that it is audited once, not on
-- every tick; the row goes when the transition later succeeds.  due_at is
-- the transition's instant (0 for an idle check, which recurs every hour).
CREATE TABLE timer_failures (
	kind     TEXT NOT NULL,
	target   TEXT NOT NULL,
	due_at   INTEGER NOT NULL,
	first_at INTEGER NOT NULL,
	last_at  INTEGER NOT NULL,
	tries    INTEGER NOT NULL CHECK (tries >= 1),
	error    TEXT NOT NULL,
	PRIMARY KEY (kind, target, due_at)
) WITHOUT ROWID;

-- Flagged usage samples each token has added: the total, and the
-- theoretical arrival time (microseconds) of the rate limit's GCRA, which
-- lets usage.flagged_per_hour samples through an hour with that many at once.
CREATE TABLE usage_token_budget (
	token_id TEXT PRIMARY KEY REFERENCES tokens(id),
	flagged  INTEGER NOT NULL CHECK (flagged >= 0),
	tat_us   INTEGER NOT NULL
) WITHOUT ROWID;
