-- 011_evaluations: the programme's evaluations as records (issue 16).
--
-- An evaluation of a phase on a date, with a reason, and one result per
-- team it judged: advance or eliminate, an optional score (thousandths) and
-- note.  A team that never enrolled in the phase is an applicant that was
-- not selected (team need not be a team of grantd: no foreign key).
-- applied says what the decision did: 'eliminated' (the enrollment was
-- eliminated by it), 'already_ended' (eliminated or withdrawn before),
-- 'completed' (its window had ended), 'none' (advance, or an applicant).
CREATE TABLE evaluations (
	id           INTEGER PRIMARY KEY,
	phase        TEXT NOT NULL REFERENCES phases(id),
	held_on      INTEGER NOT NULL,
	effective_on INTEGER NOT NULL,
	reason       TEXT NOT NULL,
	created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX evaluations_phase ON evaluations(phase, held_on);

CREATE TABLE evaluation_results (
	evaluation  INTEGER NOT NULL REFERENCES evaluations(id),
	idx         INTEGER NOT NULL CHECK (idx >= 0),
	team        TEXT NOT NULL,
	decision    TEXT NOT NULL CHECK (decision IN ('advance', 'eliminate')),
	score_milli INTEGER CHECK (score_milli IS NULL OR score_milli >= 0),
	note        TEXT,
	enrolled    INTEGER NOT NULL CHECK (enrolled IN (0, 1)),
	applied     TEXT NOT NULL CHECK (applied IN ('eliminated', 'already_ended', 'completed',
	    'none')),
	PRIMARY KEY (evaluation, idx),
	UNIQUE (evaluation, team)
) STRICT;
