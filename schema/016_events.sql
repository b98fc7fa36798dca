-- 016_events: the change feed (issue 21).
--
-- events: one row per committed change worth telling, written by
-- daemon/audit.c in the change's own transaction (an outbox: an event
-- exists if and only if its change committed).  seq orders the feed and is
-- the cursor of GET /v1/events; id is the stable name a receiver
-- deduplicates by ("ev_" and seq in 16 hex digits); type is the event's
-- name (daemon/events.c maps audit actions to them); resource the audit
-- target; audit_seq the audit entry it came from (NULL for notices that
-- are not changes); payload the copy for admins and auditors (JSON).
CREATE TABLE events (
	seq       INTEGER PRIMARY KEY,
	id        TEXT NOT NULL UNIQUE CHECK (length(id) = 19),
	type      TEXT NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
	at        INTEGER NOT NULL,
	resource  TEXT NOT NULL,
	audit_seq INTEGER,
	payload   TEXT NOT NULL
) STRICT;
CREATE INDEX events_at ON events(at);

-- event_teams: the teams an event concerns, each with its own copy of the
-- payload (ids and that team's own figures, never another team's).  A team
-- token reads the feed through this table alone.
CREATE TABLE event_teams (
	seq     INTEGER NOT NULL REFERENCES events(seq) ON DELETE CASCADE,
	team    TEXT NOT NULL,
	payload TEXT NOT NULL,
	PRIMARY KEY (team, seq)
) STRICT, WITHOUT ROWID;
CREATE INDEX event_teams_seq ON event_teams(seq);
