-- 005_lifecycle: which time-based transitions the daemon has applied, so a
-- restart applies each one exactly once.
-- grants.noted: 0 nothing yet, 1 its start was noted, 2 its end was noted.
ALTER TABLE grants ADD COLUMN noted INTEGER NOT NULL DEFAULT 0 CHECK (noted IN (0, 1, 2));
ALTER TABLE phases ADD COLUMN evaluation_noted INTEGER NOT NULL DEFAULT 0
	CHECK (evaluation_noted IN (0, 1));
CREATE INDEX grants_noted ON grants(noted) WHERE noted < 2;
CREATE INDEX enrollments_active_end ON enrollments(window_end) WHERE state = 'active';
