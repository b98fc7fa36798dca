-- 006_usage_batch_id: a batch_id names one batch, whichever token sends it.
-- The contract says "a repeated batch_id is accepted once"; 004 kept one
-- batch per (token, batch_id), so the same batch sent by two tokens (an
-- admin's import after the agent's) was stored, and counted, twice.
--
-- Batches stored before this migration under a batch_id that an earlier
-- batch already had are kept, and name that first batch in duplicate_of:
-- their usage was accepted and summed into usage_hourly and usage_totals,
-- which do not record which batch added what, so deleting the row would
-- hide the usage without taking it back.  The first batch of each batch_id
-- (the lowest id, duplicate_of NULL) is the one a repeat is answered with,
-- and the unique index admits one such batch per batch_id from now on.
ALTER TABLE usage_batches ADD COLUMN duplicate_of INTEGER REFERENCES usage_batches(id)
	CHECK (duplicate_of IS NULL OR duplicate_of < id);

-- One pass over the table (GROUP BY sorts once), not one scan per row.
UPDATE usage_batches SET duplicate_of = d.first
FROM (SELECT batch_id, min(id) AS first FROM usage_batches GROUP BY batch_id
    HAVING count(*) > 1) AS d
WHERE usage_batches.batch_id = d.batch_id AND usage_batches.id > d.first;

CREATE UNIQUE INDEX usage_batches_batch_id ON usage_batches(batch_id)
	WHERE duplicate_of IS NULL;

-- The SHA-256 of a batch's samples (hex), so that a repeat of a batch_id
-- with other samples is refused (409) rather than answered as a replay
-- while its samples are dropped.  NULL for batches stored before: a repeat
-- of one of those is taken as the same batch, as it was.
ALTER TABLE usage_batches ADD COLUMN digest TEXT
	CHECK (digest IS NULL OR length(digest) = 64);
