-- 010_late_truth: what is learnt after the fact (issue 15).
--
-- An outage can be corrected or cancelled, with a reason, also after the
-- windows it touched ended.  A cancelled outage is kept, marked, for the
-- audit trail's sake, and takes nothing; a corrected one keeps its id.
ALTER TABLE outages ADD COLUMN updated_at INTEGER;
ALTER TABLE outages ADD COLUMN cancelled_at INTEGER;
ALTER TABLE outages ADD COLUMN cancel_reason TEXT;
CREATE INDEX outages_pool_live ON outages(pool) WHERE cancelled_at IS NULL;
