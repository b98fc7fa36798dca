-- 004_usage: metered usage.  Batches from metering agents (or an admin's
-- import) are aggregated per enrollment, pool, team and UTC hour; samples
-- that break no rule but were flagged are kept whole, so nothing is dropped
-- silently.  Instants are INTEGER seconds (UTC); usage is INTEGER GPU-seconds
-- (card-seconds): the quota multiplies by the card model's weight when it
-- reads, so a weight changed later is applied to all usage alike.

-- One row per accepted batch: a repeated batch_id from the same token gets
-- the stored answer and adds nothing.
CREATE TABLE usage_batches (
	id          INTEGER PRIMARY KEY,
	token_id    TEXT NOT NULL REFERENCES tokens(id),
	batch_id    TEXT NOT NULL CHECK (length(batch_id) BETWEEN 1 AND 128),
	samples     INTEGER NOT NULL CHECK (samples >= 0),
	flagged     INTEGER NOT NULL CHECK (flagged >= 0 AND flagged <= samples),
	gpu_seconds INTEGER NOT NULL CHECK (gpu_seconds >= 0),
	received_at INTEGER NOT NULL,
	UNIQUE (token_id, batch_id)
) STRICT;

-- GPU-seconds per enrollment, pool, team and hour (the hour's first second,
-- UTC).  enrollment is NULL for usage the team ran with no grant behind it
-- on that pool.  flagged_seconds is the part from flagged samples.
CREATE TABLE usage_hourly (
	id              INTEGER PRIMARY KEY,
	enrollment      INTEGER REFERENCES enrollments(id),
	pool            TEXT NOT NULL REFERENCES pools(id),
	team            TEXT NOT NULL REFERENCES teams(id),
	hour            INTEGER NOT NULL CHECK (hour % 3600 = 0),
	gpu_seconds     INTEGER NOT NULL CHECK (gpu_seconds >= 0),
	flagged_seconds INTEGER NOT NULL CHECK (flagged_seconds >= 0 AND
	    flagged_seconds <= gpu_seconds)
) STRICT;
-- The upsert key of the ingest ("no enrollment" as 0: row ids start at 1).
CREATE UNIQUE INDEX usage_hourly_key ON usage_hourly(pool, team, hour, coalesce(enrollment, 0));
CREATE INDEX usage_hourly_enrollment ON usage_hourly(enrollment, hour) WHERE enrollment IS NOT NULL;

-- Running totals per enrollment and pool, kept by the same statements of
-- the ingest as usage_hourly: the quota reads "used up to now" from here
-- and subtracts the few hours at or after `at`, instead of summing months
-- of hours on every read.
CREATE TABLE usage_totals (
	enrollment  INTEGER NOT NULL REFERENCES enrollments(id),
	pool        TEXT NOT NULL REFERENCES pools(id),
	gpu_seconds INTEGER NOT NULL CHECK (gpu_seconds >= 0),
	PRIMARY KEY (enrollment, pool)
) STRICT, WITHOUT ROWID;

-- Samples stored but flagged: above the team's granted cards on the pool
-- over the interval, or with no grant at all.
CREATE TABLE usage_flags (
	id          INTEGER PRIMARY KEY,
	batch       INTEGER NOT NULL REFERENCES usage_batches(id),
	idx         INTEGER NOT NULL CHECK (idx >= 0),	-- the sample's index in its batch
	pool        TEXT NOT NULL REFERENCES pools(id),
	team        TEXT NOT NULL REFERENCES teams(id),
	from_t      INTEGER NOT NULL,
	to_t        INTEGER NOT NULL CHECK (to_t > from_t),
	gpu_seconds INTEGER NOT NULL CHECK (gpu_seconds >= 0),
	granted     INTEGER NOT NULL CHECK (granted >= 0),	-- granted card-seconds then
	reason      TEXT NOT NULL CHECK (reason IN ('no_grant', 'above_grant')),
	UNIQUE (batch, idx)
) STRICT;
CREATE INDEX usage_flags_team ON usage_flags(team, from_t);

-- Idle flags: utilization under the configured threshold over the trailing
-- window.  One open flag (cleared_at NULL) per enrollment at most.
CREATE TABLE usage_idle (
	id              INTEGER PRIMARY KEY,
	enrollment      INTEGER NOT NULL REFERENCES enrollments(id),
	since           INTEGER NOT NULL,
	utilization_ppm INTEGER NOT NULL CHECK (utilization_ppm >= 0),
	cleared_at      INTEGER CHECK (cleared_at IS NULL OR cleared_at >= since)
) STRICT;
CREATE UNIQUE INDEX usage_idle_open ON usage_idle(enrollment) WHERE cleared_at IS NULL;
