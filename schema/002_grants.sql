-- 002_grants: outages, enrollments, grants and fairness overrides.

CREATE TABLE outages (
	id         INTEGER PRIMARY KEY,
	pool       TEXT NOT NULL REFERENCES pools(id),
	from_t     INTEGER NOT NULL,
	to_t       INTEGER NOT NULL CHECK (to_t > from_t),
	cards      INTEGER NOT NULL CHECK (cards > 0),
	reason     TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX outages_pool ON outages(pool);

-- A team's place in a phase.  The window is [window_start, window_end);
-- ended_at is the effective instant of an elimination or withdrawal.
CREATE TABLE enrollments (
	id           INTEGER PRIMARY KEY,
	phase        TEXT NOT NULL REFERENCES phases(id),
	team         TEXT NOT NULL REFERENCES teams(id),
	state        TEXT NOT NULL CHECK (state IN ('active', 'eliminated', 'withdrawn', 'completed')),
	window_start INTEGER NOT NULL,
	window_end   INTEGER NOT NULL CHECK (window_end > window_start),
	ended_at     INTEGER,
	created_at   INTEGER NOT NULL,
	UNIQUE (phase, team)
) STRICT;
CREATE INDEX enrollments_team ON enrollments(team);

-- Cards of one pool held by an enrollment over [start, end).  A grant cut
-- short keeps its original end in planned_end; a grant that never started
-- before it was cut is kept with cancelled = 1 and holds nothing.
CREATE TABLE grants (
	id          INTEGER PRIMARY KEY,
	enrollment  INTEGER NOT NULL REFERENCES enrollments(id),
	pool        TEXT NOT NULL REFERENCES pools(id),
	cards       INTEGER NOT NULL CHECK (cards > 0),
	start       INTEGER NOT NULL,
	end         INTEGER NOT NULL CHECK (end > start),
	planned_end INTEGER NOT NULL,
	kind        TEXT NOT NULL CHECK (kind IN ('placed', 'manual', 'compensation')),
	cancelled   INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
	created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX grants_enrollment ON grants(enrollment);
CREATE INDEX grants_pool ON grants(pool, end);

-- Fairness exceptions an admin applied with a reason: shown in the report.
CREATE TABLE overrides (
	id         INTEGER PRIMARY KEY,
	phase      TEXT NOT NULL REFERENCES phases(id),
	team       TEXT,
	rule       TEXT NOT NULL,
	detail     TEXT NOT NULL,
	reason     TEXT NOT NULL,
	action     TEXT NOT NULL,
	request_id TEXT NOT NULL,
	at         INTEGER NOT NULL
) STRICT;
CREATE INDEX overrides_phase ON overrides(phase);
