-- 013_team_members_dropped: team_members, whose rows migration 12's C step
-- made into team_memberships (daemon/store_orgs.c), is dropped.  Its own
-- migration, so that the schema SQL alone makes is the schema grantd runs
-- on (a restore compares the two, daemon/store_backup.c).
DROP TABLE team_members;
