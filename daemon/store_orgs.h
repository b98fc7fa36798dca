/* store_orgs.h: SQL for organisations, their names, team memberships over time, and migration 12. */
#ifndef GRANTD_STORE_ORGS_H
#define GRANTD_STORE_ORGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"	/* ID_MAX, NAME_MAX_LEN */

struct db;

/* At most this many aliases per organisation. */
#define ORG_MAX_ALIASES 50

struct org_in {
	const char *id, *name_ko, *name_en, *brn;	/* NULL: none */
	const char *const *aliases;
	size_t naliases;
};

/* How a spelling found its organisation. */
struct org_match {
	char id[ID_MAX + 1];
	const char *by;		/* "id", "name_ko", "name_en", "alias"; NULL: none matched */
	bool created;		/* none matched, and resolving made this organisation */
};

int store_org_insert(struct db *db, const struct org_in *o, int64_t now);
int store_org_update(struct db *db, const char *id, const char *name_ko, const char *name_en,
    const char *brn, int64_t now);

/*
 * Replaces the names organisation id answers to by its names and aliases,
 * each under its key (lib/orgname.h).  GD_ECONFLICT when a key names
 * another organisation, GD_EINVAL when a name has no key (nothing but
 * spaces, invalid UTF-8); err says which.  Names of one organisation that
 * share a key are kept once.
 */
int store_org_set_names(struct db *db, const char *id, const char *name_ko, const char *name_en,
    const char *const *aliases, size_t naliases, char *err, size_t errlen);

/* The organisation in the API shape; with_uses adds its teams and suppliers. */
int store_org_get(struct db *db, const char *id, bool with_uses, json_t **out);
int store_org_exists(struct db *db, const char *id);
/* The organisation whose business registration number is brn: 0, GD_ENOENT. */
int store_org_by_brn(struct db *db, const char *brn, char *id, size_t len);
/* Its aliases as given, in order (a new array). */
int store_org_aliases(struct db *db, const char *id, json_t **out);

/*
 * A page of organisations by id; q (a key, or NULL) keeps those whose id
 * or one of whose names' keys contains it.
 */
int store_org_list(struct db *db, const char *q, const char *after, int64_t limit,
    json_t **items, char **next);

/*
 * The organisation a spelling names: an organisation's id given exactly,
 * else the organisation one of whose names has the spelling's key.
 * 0, GD_ENOENT (none), GD_EINVAL (no key: nothing but spaces).
 */
int store_org_find(struct db *db, const char *given, struct org_match *m);

/*
 * As store_org_find, but a spelling no organisation answers to becomes a
 * new one: named by it (Korean or English by its script), with an id made
 * from it (lib/orgname.h's slug, or org-N for a name without Latin
 * letters), made unique.
 */
int store_org_resolve(struct db *db, const char *given, int64_t now, struct org_match *m);

/*
 * Moves every use of organisation from (memberships, suppliers) to into,
 * and deletes from with its names (the caller gives into the names it
 * keeps of them).
 */
int store_org_fold(struct db *db, const char *from, const char *into);

/* Team memberships (schema/012).  since/until: -1 for none. */
struct membership_in {
	const char *team, *org, *given, *role, *reason;
	bool lead;
	int64_t since;
};
int store_membership_insert(struct db *db, const struct membership_in *in, int64_t *id);

/*
 * The open membership (no end recorded, not the lead) of org in team:
 * *id and *since (-1: from the start); GD_ENOENT when there is none.
 */
int store_membership_open(struct db *db, const char *team, const char *org, int64_t *id,
    int64_t *since);
/* Ends every open membership of org in team (a team may list one organisation twice). */
int store_membership_end(struct db *db, const char *team, const char *org, int64_t until,
    const char *reason);
/* One membership in the API shape. */
int store_membership_get(struct db *db, int64_t id, json_t **out);

/* The team's memberships in the API shape: lead, members, former members (new references). */
int store_team_memberships(struct db *db, const char *team, json_t **lead_org_id,
    json_t **members, json_t **former);

/*
 * The organisations (ids) of the team at instant at: its lead and every
 * member whose membership spans at.  One malloc'd block: free(*ids).
 */
int store_team_orgs_at(struct db *db, const char *team, int64_t at, char ***ids, size_t *n);

/* The time zone of the team's latest enrollment's programme into tz; "" when it has none. */
int store_team_timezone(struct db *db, const char *team, char *tz, size_t len);

/*
 * Migration 12's C step, in its transaction, after its SQL: every distinct
 * free-text name of teams, team_members and suppliers becomes an
 * organisation (spellings with one key merged into one), memberships and
 * suppliers refer to them (migration 13 drops team_members); each
 * organisation made and each spelling merged is a line of migration_log.
 */
int store_orgs_migrate(struct db *db, char *err, size_t errlen);

/* Each note of a migration's log, in order, to fn. */
int store_migration_notes(struct db *db, int version, void (*fn)(const char *note, void *arg),
    void *arg);

#endif
