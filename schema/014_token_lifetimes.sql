-- 014_token_lifetimes: tokens that end, and rotation with a grace period
-- (issue 17).
--
-- expires_at: the instant a token stops working (NULL: never).
-- last_used_at: when it last authenticated a request, written at most
-- once a minute (daemon/loop.c flushes what token.c noted).
-- A rotation gives the token a new secret (hash) and keeps the old one's
-- hash in prev_hash until prev_until, so that a fleet of agents sharing it
-- can be given the new secret without a gap; a later rotation replaces it.
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE tokens ADD COLUMN last_used_at INTEGER;
ALTER TABLE tokens ADD COLUMN rotated_at INTEGER;
ALTER TABLE tokens ADD COLUMN prev_hash TEXT;
ALTER TABLE tokens ADD COLUMN prev_until INTEGER;
CREATE UNIQUE INDEX tokens_prev_hash ON tokens(prev_hash) WHERE prev_hash IS NOT NULL;
