-- 012_organisations: organisations as records, and team membership over time
-- (issue 16).
--
-- An organisation has a canonical id, a Korean and/or an English name,
-- aliases and an optional business registration number (ten digits, the
-- check digit verified by lib/orgname.c).  organisation_names holds every
-- name it answers to under its key (lib/orgname.h: NFKC, case folded,
-- white space collapsed): one organisation per key, so a spelling finds at
-- most one.
--
-- team_memberships replaces team_members: the lead (lead = 1) and each
-- member organisation, with the text given for it, its role, and the
-- instants between which it was a member (since NULL: from the team's
-- start; until NULL: still one), each end with its reason.  Suppliers gain
-- the organisation their org names.
--
-- The rows are filled from the free-text names of the release before
-- (teams.lead_org, team_members.org, suppliers.org) by the migration's C
-- step (daemon/store_orgs.c, store_orgs_migrate), which lists what it did
-- in migration_log; migration 13 drops team_members.
CREATE TABLE organisations (
	id         TEXT PRIMARY KEY,
	name_ko    TEXT,
	name_en    TEXT,
	brn        TEXT UNIQUE CHECK (brn IS NULL OR
	    (length(brn) = 10 AND brn NOT GLOB '*[^0-9]*')),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CHECK (name_ko IS NOT NULL OR name_en IS NOT NULL)
) STRICT;

CREATE TABLE organisation_names (
	key  TEXT PRIMARY KEY,
	org  TEXT NOT NULL REFERENCES organisations(id),
	kind TEXT NOT NULL CHECK (kind IN ('name_ko', 'name_en', 'alias')),
	name TEXT NOT NULL,
	pos  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX organisation_names_org ON organisation_names(org, pos);

CREATE TABLE team_memberships (
	id             INTEGER PRIMARY KEY,
	team           TEXT NOT NULL REFERENCES teams(id),
	org            TEXT NOT NULL REFERENCES organisations(id),
	given          TEXT NOT NULL,
	role           TEXT NOT NULL,
	lead           INTEGER NOT NULL CHECK (lead IN (0, 1)),
	since          INTEGER,
	until          INTEGER,
	added_reason   TEXT,
	removed_reason TEXT,
	CHECK (until IS NULL OR since IS NULL OR until > since),
	CHECK ((until IS NULL) = (removed_reason IS NULL)),
	CHECK (lead = 0 OR (since IS NULL AND until IS NULL))
) STRICT;
CREATE INDEX team_memberships_team ON team_memberships(team, org);
CREATE INDEX team_memberships_org ON team_memberships(org);

ALTER TABLE suppliers ADD COLUMN organisation TEXT REFERENCES organisations(id);

CREATE TABLE migration_log (
	version INTEGER NOT NULL,
	seq     INTEGER NOT NULL,
	note    TEXT NOT NULL,
	PRIMARY KEY (version, seq)
) STRICT;
