-- 019_due_indexes: the timer's next due instant from indexes alone (issue 20).
--
-- After every commit the timer asks when the next time-based transition
-- falls due (store_next_due): the earliest start of a grant not yet noted
-- as started, and the earliest end of one not yet noted as ended.  With
-- only grants_noted (on noted) each question read every future grant: at a
-- hundred thousand grants, most of a what-if's time.  These answer min()
-- with one step down an index.
CREATE INDEX grants_due_start ON grants(start) WHERE noted = 0 AND cancelled = 0;
CREATE INDEX grants_due_end ON grants(end) WHERE noted < 2 AND cancelled = 0;

-- The earliest end of an eliminated or withdrawn team whose voucher is still
-- open (it closes then): from the few such teams, not from every account.
CREATE INDEX enrollments_ended ON enrollments(ended_at)
	WHERE state IN ('eliminated', 'withdrawn');

-- The earliest evaluation of each phase: a team's evaluation day follows its
-- window's start (lib/enrollment.h), so the earliest start not yet noted
-- gives it, one step down this index per phase.
CREATE INDEX enrollments_eval ON enrollments(phase, window_start)
	WHERE evaluation_noted = 0 AND state IN ('active', 'completed');
