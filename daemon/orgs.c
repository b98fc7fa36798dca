/* orgs.c: organisations through store_orgs: names under keys, lookups, team membership over time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "err.h"
#include "jsonv.h"
#include "orgname.h"
#include "orgs.h"
#include "store_catalog.h"

static int
fail(int rc, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	return rc;
}

int
orgs_resolve(struct db *db, const char *given, int64_t now, struct org_match *m,
    json_t **answer, char *err, size_t errlen)
{
	int rc = store_org_resolve(db, given, now, m);

	if (rc == GD_EINVAL) {
		snprintf(err, errlen, "organisation '%s' has nothing to compare once normalised "
		    "(only spaces or invisible characters)", given);
		return rc;
	}
	if (rc < 0)
		return rc;
	if (answer != NULL && (*answer = json_pack("{s:s, s:s, s:o, s:b}", "given", given,
	    "organisation", m->id, "matched_by", m->by ? json_string(m->by) : json_null(),
	    "created", m->created)) == NULL)
		return GD_ENOMEM;
	return 0;
}

/* Checks and stores a business registration number's canonical ten digits into out. */
static int
check_brn(struct db *db, const char *id, const char *brn, char out[11], char *err,
    size_t errlen)
{
	char owner[ID_MAX + 1];
	int rc;

	if (orgname_brn(brn, out, err, errlen) < 0)
		return GD_EINVAL;
	rc = store_org_by_brn(db, out, owner, sizeof(owner));
	if (rc == 0 && strcmp(owner, id) != 0) {
		snprintf(err, errlen, "business registration number %s is organisation '%s''s",
		    out, owner);
		return GD_ECONFLICT;
	}
	return rc == GD_ENOENT ? 0 : rc;
}

int
orgs_create(struct db *db, const struct org_in *in, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen)
{
	struct org_in o = *in;
	char brn[11];
	int rc;

	err[0] = '\0';
	*existed = false;
	if ((rc = store_org_get(db, in->id, false, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	if (in->name_ko == NULL && in->name_en == NULL)
		return fail(GD_EINVAL, err, errlen, "an organisation needs name_ko or name_en "
		    "(or both)");
	if (in->brn != NULL) {
		if ((rc = check_brn(db, in->id, in->brn, brn, err, errlen)) < 0)
			return rc;
		o.brn = brn;
	}
	if ((rc = store_org_insert(db, &o, now)) < 0 ||
	    (rc = store_org_set_names(db, o.id, o.name_ko, o.name_en, o.aliases, o.naliases,
	    err, errlen)) < 0)
		return rc;
	return store_org_get(db, o.id, true, out);
}

int
orgs_get(struct db *db, const char *id, json_t **out)
{
	return store_org_get(db, id, true, out);
}

int
orgs_list(struct db *db, const char *q, const char *after, int64_t limit, json_t **items,
    char **next, char *err, size_t errlen)
{
	char key[ORGNAME_KEY_MAX];

	if (q != NULL && orgname_key(q, key, sizeof(key)) < 0)
		return fail(GD_EINVAL, err, errlen, "q has nothing to search for once normalised");
	return store_org_list(db, q ? key : NULL, after, limit, items, next);
}

int
orgs_lookup(struct db *db, const char *name, json_t **out, char *err, size_t errlen)
{
	struct org_match m;
	int rc = store_org_find(db, name, &m);

	if (rc == GD_EINVAL)
		return fail(rc, err, errlen, "name has nothing to compare once normalised");
	if (rc == GD_ENOENT)
		snprintf(err, errlen, "no organisation answers to '%s'", name);
	if (rc < 0 || (rc = store_org_get(db, m.id, false, out)) < 0)
		return rc;
	json_object_set_new(*out, "matched_by", json_string(m.by));
	return 0;
}

/* The strings of a JSON array, borrowed, into v (at most ORG_MAX_ALIASES). */
static int
alias_list(const json_t *a, const char **v, size_t *n, char *err, size_t errlen)
{
	size_t i;
	json_t *s;

	json_array_foreach(a, i, s) {
		if (*n >= ORG_MAX_ALIASES) {
			snprintf(err, errlen, "an organisation has at most %d aliases",
			    ORG_MAX_ALIASES);
			return GD_EINVAL;
		}
		v[(*n)++] = json_string_value(s);
	}
	return 0;
}

int
orgs_update(struct db *db, const char *id, const struct org_patch *p, int64_t now,
    json_t **before, json_t **after, char *err, size_t errlen)
{
	const char *aliases[ORG_MAX_ALIASES], *ko, *en, *brn;
	char canon[11];
	size_t n = 0;
	json_t *cur;
	int rc;

	err[0] = '\0';
	*before = *after = NULL;
	if ((rc = store_org_get(db, id, false, before)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "organisation '%s' does not exist", id);
		return rc;
	}
	cur = *before;
	ko = p->name_ko ? p->name_ko : json_string_value(json_object_get(cur, "name_ko"));
	en = p->name_en ? p->name_en : json_string_value(json_object_get(cur, "name_en"));
	brn = json_string_value(json_object_get(cur, "brn"));
	if (p->brn != NULL) {
		if ((rc = check_brn(db, id, p->brn, canon, err, errlen)) < 0)
			return rc;
		brn = canon;
	}
	if ((rc = alias_list(p->aliases ? p->aliases : json_object_get(cur, "aliases"),
	    aliases, &n, err, errlen)) < 0 ||
	    (p->add_aliases && (rc = alias_list(p->add_aliases, aliases, &n, err, errlen)) < 0))
		return rc;
	if ((rc = store_org_update(db, id, ko, en, brn, now)) < 0 ||
	    (rc = store_org_set_names(db, id, ko, en, aliases, n, err, errlen)) < 0)
		return rc;
	return store_org_get(db, id, false, after);
}

/* Appends s to v (at most ORG_MAX_ALIASES) unless NULL; false when full. */
static bool
alias_add(const char **v, size_t *n, const char *s)
{
	if (s == NULL)
		return true;
	if (*n >= ORG_MAX_ALIASES)
		return false;
	v[(*n)++] = s;
	return true;
}

int
orgs_merge(struct db *db, const char *into, const char *from, int64_t now,
    json_t **before_from, json_t **before_into, json_t **after, char *err, size_t errlen)
{
	const char *aliases[ORG_MAX_ALIASES], *ko, *en, *fko, *fen, *brn, *fbrn;
	size_t n = 0, i;
	json_t *a, *x;
	bool room;
	int rc;

	err[0] = '\0';
	*before_from = *before_into = *after = NULL;
	if (strcmp(into, from) == 0)
		return fail(GD_EINVAL, err, errlen, "an organisation cannot be merged into itself");
	if ((rc = store_org_get(db, into, true, before_into)) < 0 ||
	    (rc = store_org_get(db, from, true, before_from)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "organisation '%s' does not exist",
			    *before_into ? from : into);
		return rc;
	}
	ko = json_string_value(json_object_get(*before_into, "name_ko"));
	en = json_string_value(json_object_get(*before_into, "name_en"));
	brn = json_string_value(json_object_get(*before_into, "brn"));
	fko = json_string_value(json_object_get(*before_from, "name_ko"));
	fen = json_string_value(json_object_get(*before_from, "name_en"));
	fbrn = json_string_value(json_object_get(*before_from, "brn"));
	if (brn && fbrn && strcmp(brn, fbrn) != 0) {
		snprintf(err, errlen, "organisations '%s' and '%s' have different business "
		    "registration numbers (%s, %s): not one organisation", into, from, brn, fbrn);
		return GD_ECONFLICT;
	}
	room = true;
	json_array_foreach(json_object_get(*before_into, "aliases"), i, x)
		room = room && alias_add(aliases, &n, json_string_value(x));
	room = room && alias_add(aliases, &n, ko ? fko : NULL);
	room = room && alias_add(aliases, &n, en ? fen : NULL);
	json_array_foreach(json_object_get(*before_from, "aliases"), i, x)
		room = room && alias_add(aliases, &n, json_string_value(x));
	room = room && alias_add(aliases, &n, from);
	if (!room) {
		snprintf(err, errlen, "the merged organisation would have more than %d aliases",
		    ORG_MAX_ALIASES);
		return GD_EINVAL;
	}
	/* from's names go first, so that into may take them. */
	if ((rc = store_org_fold(db, from, into)) < 0 ||
	    (rc = store_org_update(db, into, ko ? ko : fko, en ? en : fen, brn ? brn : fbrn,
	    now)) < 0 ||
	    (rc = store_org_set_names(db, into, ko ? ko : fko, en ? en : fen, aliases, n, err,
	    errlen)) < 0)
		return rc;
	if ((rc = store_org_get(db, into, true, &a)) < 0)
		return rc;
	*after = a;
	return 0;
}

int
orgs_team_timezone(struct db *db, const char *team, char *tz, size_t len)
{
	int rc = store_team_timezone(db, team, tz, len);

	if (rc == 0 && tz[0] == '\0')
		snprintf(tz, len, "Asia/Seoul");
	return rc;
}

int
orgs_member_add(struct db *db, const char *team, const char *given, const char *role,
    int64_t since, const char *reason, int64_t now, json_t **out, char *err, size_t errlen)
{
	struct membership_in in = { .team = team, .given = given, .role = role,
		.reason = reason, .since = since >= 0 ? since : now };
	struct org_match m;
	json_t *answer = NULL;
	int64_t id, was;
	int rc;

	err[0] = '\0';
	if ((rc = store_team_exists(db, team)) <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "team '%s' does not exist", team);
		return rc < 0 ? rc : GD_ENOENT;
	}
	if ((rc = orgs_resolve(db, given, now, &m, &answer, err, errlen)) < 0)
		return rc;
	if ((rc = store_membership_open(db, team, m.id, &id, &was)) != GD_ENOENT) {
		json_decref(answer);
		if (rc == 0)
			snprintf(err, errlen, "organisation '%s' is a member of team '%s' already",
			    m.id, team);
		return rc == 0 ? GD_ECONFLICT : rc;
	}
	in.org = m.id;
	if ((rc = store_membership_insert(db, &in, &id)) < 0 ||
	    (rc = store_membership_get(db, id, out)) < 0) {
		json_decref(answer);
		return rc;
	}
	json_object_set_new(*out, "resolved", answer);
	return 0;
}

int
orgs_member_remove(struct db *db, const char *team, const char *given, int64_t until,
    const char *reason, int64_t now, json_t **out, char *err, size_t errlen)
{
	struct org_match m;
	int64_t id, since;
	int rc;

	err[0] = '\0';
	if (until < 0)
		until = now;
	if ((rc = store_team_exists(db, team)) <= 0) {
		if (rc == 0)
			snprintf(err, errlen, "team '%s' does not exist", team);
		return rc < 0 ? rc : GD_ENOENT;
	}
	if ((rc = store_org_find(db, given, &m)) == 0)
		rc = store_membership_open(db, team, m.id, &id, &since);
	if (rc == GD_ENOENT || rc == GD_EINVAL) {
		snprintf(err, errlen, "'%s' names no member organisation of team '%s'", given,
		    team);
		return GD_ENOENT;
	}
	if (rc < 0)
		return rc;
	if (since >= 0 && until <= since) {
		char at[CIVIL_INSTANT_LEN];

		civil_format_instant(since, at);
		snprintf(err, errlen, "organisation '%s' joined team '%s' at %s: it can leave only "
		    "after that", m.id, team, at);
		return GD_EINVAL;
	}
	if ((rc = store_membership_end(db, team, m.id, until, reason)) < 0)
		return rc;
	return store_membership_get(db, id, out);
}
