-- 006_usage_batch_id: what a batch holds, so a repeat is told from another batch.
-- The contract says "a repeated batch_id is accepted once".  004 keys a
-- batch by (token, batch_id): a retry from the same token was answered
-- once, but the same batch sent by a second token (an admin importing what
-- an agent already sent) was stored, and counted, twice.  digest is the
-- SHA-256 of the batch's samples (daemon/usage.c, batch_digest): a batch_id
-- repeated by any token with the same samples is the batch already
-- accepted, answered once and added once; with other samples it is refused
-- (409), never dropped in silence nor counted twice.  NULL for batches
-- stored before this migration, whose samples were not recorded: a repeat
-- from their own token is answered as before, and another token's batch of
-- the same name is its own, as it was.
ALTER TABLE usage_batches ADD COLUMN digest TEXT
	CHECK (digest IS NULL OR length(digest) = 64);

CREATE INDEX usage_batches_digest ON usage_batches(batch_id, digest)
	WHERE digest IS NOT NULL;
