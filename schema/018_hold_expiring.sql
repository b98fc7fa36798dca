-- 018_hold_expiring: when a pending hold's hold.expiring notice was made
-- (issue 21).
--
-- The timer (daemon/timers.c) tells a hold's team, once, that the hold
-- expires within [events] hold_expiring_notice_minutes: an event, and this
-- column set in the same transaction, so that no restart repeats it.  NULL:
-- not told yet.  A notice is no change to the hold (it is not audited, and
-- the ledger never reads the column), so ledger_holds_fixed leaves it open.
ALTER TABLE ledger_holds ADD COLUMN expiring_notice_at INTEGER;

-- The holds still to be told, by expiry: what the timer asks for each tick
-- and after every commit (the next notice due), answered from the index
-- alone however many holds were told or resolved before.
CREATE INDEX ledger_holds_notice ON ledger_holds(expires_at)
	WHERE state = 'pending' AND expiring_notice_at IS NULL;
