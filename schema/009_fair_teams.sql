-- 009_fair_teams: fairness judged across teams (issue 14).
--
-- grants.kind gains 'extension': the days of a phase extension that a team
-- whose window had already ended is given after it.  SQLite cannot change a
-- CHECK in place, so the table is rebuilt as it was with the new kind
-- allowed (no table refers to grants).
CREATE TABLE grants_new (
	id          INTEGER PRIMARY KEY,
	enrollment  INTEGER NOT NULL REFERENCES enrollments(id),
	pool        TEXT NOT NULL REFERENCES pools(id),
	cards       INTEGER NOT NULL CHECK (cards > 0),
	start       INTEGER NOT NULL,
	end         INTEGER NOT NULL CHECK (end > start),
	planned_end INTEGER NOT NULL,
	kind        TEXT NOT NULL CHECK (kind IN ('placed', 'manual', 'compensation', 'extension')),
	cancelled   INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
	created_at  INTEGER NOT NULL,
	noted       INTEGER NOT NULL DEFAULT 0 CHECK (noted IN (0, 1, 2))
) STRICT;
INSERT INTO grants_new (id, enrollment, pool, cards, start, end, planned_end, kind, cancelled,
    created_at, noted)
	SELECT id, enrollment, pool, cards, start, end, planned_end, kind, cancelled, created_at,
	    noted FROM grants;
DROP TABLE grants;
ALTER TABLE grants_new RENAME TO grants;
CREATE INDEX grants_enrollment ON grants(enrollment);
CREATE INDEX grants_pool ON grants(pool, end);
CREATE INDEX grants_noted ON grants(noted) WHERE noted < 2;

-- Days of extensions a team was given after its window (as 'extension'
-- grants), beside the window's own days: its period is both together.
ALTER TABLE enrollments ADD COLUMN extra_days INTEGER NOT NULL DEFAULT 0
	CHECK (extra_days >= 0);
-- Each team has its own evaluation date (lib/enrollment.h); the reminder of
-- it is noted per enrollment (phases.evaluation_noted is no longer used).
ALTER TABLE enrollments ADD COLUMN evaluation_noted INTEGER NOT NULL DEFAULT 0
	CHECK (evaluation_noted IN (0, 1));
-- A phase whose (one) date was already noted: its teams' reminders were given.
UPDATE enrollments SET evaluation_noted = 1
	WHERE phase IN (SELECT id FROM phases WHERE evaluation_noted = 1);
-- Days the phase was extended by in all: each team's evaluation date moves
-- by as many (evaluation_on is the first teams' date before any extension).
ALTER TABLE phases ADD COLUMN extended_days INTEGER NOT NULL DEFAULT 0
	CHECK (extended_days >= 0);

-- Fairness reports as they were produced, so that ?as_of=SEQ gives back the
-- very report (same digest) after later corrections.  One per phase, audit
-- sequence and instant: every change the report reads is audited, so those
-- three fix its content.  body is the canonical text (lib/report.h).
CREATE TABLE fairness_reports (
	phase        TEXT NOT NULL REFERENCES phases(id),
	audit_seq    INTEGER NOT NULL,
	at           INTEGER NOT NULL,
	digest       TEXT NOT NULL,
	generated_at INTEGER NOT NULL,
	body         TEXT NOT NULL,
	PRIMARY KEY (phase, audit_seq, at)
) STRICT;
