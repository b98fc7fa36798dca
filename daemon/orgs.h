/* orgs.h: organisations, the spellings that find them, and the teams they are members of over time. */
#ifndef GRANTD_ORGS_H
#define GRANTD_ORGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_orgs.h"	/* struct org_in, org_match */

struct db;

/*
 * The organisation a spelling names, made when none answers to it
 * (store_org_resolve), as the answer reports it: {"given", "organisation",
 * "matched_by": "id"|"name_ko"|"name_en"|"alias"|null, "created"}.
 * GD_EINVAL with err for a spelling with nothing to compare.
 */
int orgs_resolve(struct db *db, const char *given, int64_t now, struct org_match *m,
    json_t **answer, char *err, size_t errlen);

/*
 * Creates an organisation: its names and aliases each under a key no other
 * organisation has (GD_ECONFLICT with err), at least one of name_ko and
 * name_en, a valid business registration number if any (GD_EINVAL).  An
 * existing id is *existed with the stored one in *out.
 */
int orgs_create(struct db *db, const struct org_in *in, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen);

int orgs_get(struct db *db, const char *id, json_t **out);

/*
 * A page of organisations; q, a spelling, keeps those whose id or a name
 * contains its key.  GD_EINVAL with err when q has nothing to compare.
 */
int orgs_list(struct db *db, const char *q, const char *after, int64_t limit, json_t **items,
    char **next, char *err, size_t errlen);

/*
 * The organisation a spelling names, without making one: *out the
 * organisation with "matched_by", GD_ENOENT when none answers to it.
 */
int orgs_lookup(struct db *db, const char *name, json_t **out, char *err, size_t errlen);

/* What a PATCH changes: NULL fields are kept; aliases replaces, add_aliases appends. */
struct org_patch {
	const char *name_ko, *name_en, *brn;
	const json_t *aliases, *add_aliases;	/* arrays of strings, or NULL */
};

/* Applies a patch: *before and *after the organisation (for the audit). */
int orgs_update(struct db *db, const char *id, const struct org_patch *p, int64_t now,
    json_t **before, json_t **after, char *err, size_t errlen);

/*
 * Merges organisation from into into (two records of one organisation,
 * such as a Korean and an English name made apart): into's teams and
 * suppliers gain from's; into takes from's Korean or English name where it
 * has none, and every other name of from, its id included, becomes an
 * alias, so each spelling that found from finds into.  Registration
 * numbers that differ are GD_ECONFLICT.  *before_from, *before_into and
 * *after for the audit.
 */
int orgs_merge(struct db *db, const char *into, const char *from, int64_t now,
    json_t **before_from, json_t **before_into, json_t **after, char *err, size_t errlen);

/*
 * A member organisation added to a team from instant since (-1: now),
 * with a reason: resolved as orgs_resolve; refused (GD_ECONFLICT) when it
 * is a member already.  *out the membership with "resolved".
 */
int orgs_member_add(struct db *db, const char *team, const char *given, const char *role,
    int64_t since, const char *reason, int64_t now, json_t **out, char *err, size_t errlen);

/*
 * A member organisation's membership ended at instant until (-1: now),
 * with a reason: GD_ENOENT when the spelling names no member of the team,
 * GD_EINVAL when until is not after the day it joined.
 */
int orgs_member_remove(struct db *db, const char *team, const char *given, int64_t until,
    const char *reason, int64_t now, json_t **out, char *err, size_t errlen);

/* The time zone a team's dates are read in: its latest programme's, else Asia/Seoul. */
int orgs_team_timezone(struct db *db, const char *team, char *tz, size_t len);

#endif
