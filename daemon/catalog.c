/* catalog.c: card models, programmes, phases and teams, through store_catalog. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "catalog.h"
#include "orgs.h"
#include "err.h"

/* A lookup's GD_ENOENT, said as "WHAT 'ID' does not exist". */
static int
missing(int rc, const char *what, const char *id, char *err, size_t errlen)
{
	if (rc == GD_ENOENT)
		snprintf(err, errlen, "%s '%s' does not exist", what, id);
	return rc;
}

int
catalog_card_model_get(struct db *db, const char *id, json_t **out)
{
	return store_card_model_get(db, id, out);
}

int
catalog_card_model_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next)
{
	return store_card_model_list(db, after, limit, items, next);
}

int
catalog_card_model_put(struct db *db, const char *id, int64_t milli, bool *changed,
    json_t **out, char *err, size_t errlen)
{
	int64_t have;
	int rc;

	err[0] = '\0';
	*changed = false;
	rc = store_card_model_weight(db, id, &have);
	if (rc == 0 && have == milli)
		return store_card_model_get(db, id, out);
	/* Any other answer, a new model or a storage error, goes on to the write. */
	*changed = true;
	if (rc == 0 && (rc = store_card_model_in_use(db, id)) != 0) {
		if (rc > 0) {
			snprintf(err, errlen, "card model '%s' is used by pools or phases; its "
			    "weight cannot change", id);
			rc = GD_ECONFLICT;
		}
		return rc;
	}
	if ((rc = store_card_model_put(db, id, milli)) < 0)
		return rc;
	return store_card_model_get(db, id, out);
}

int
catalog_program_get(struct db *db, const char *id, json_t **out)
{
	return store_program_get(db, id, out);
}

int
catalog_program_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next)
{
	return store_program_list(db, after, limit, items, next);
}

int
catalog_program_create(struct db *db, const struct program_in *p, int64_t now,
    bool *existed, json_t **out)
{
	int rc;

	*existed = false;
	if ((rc = store_program_get(db, p->id, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	if ((rc = store_program_insert(db, p, now)) < 0)
		return rc;
	return store_program_get(db, p->id, out);
}

int
catalog_phase_get(struct db *db, const char *id, json_t **out)
{
	return store_phase_get(db, id, out);
}

int
catalog_phase_list(struct db *db, const char *program, const char *after, int64_t limit,
    json_t **items, char **next, char *err, size_t errlen)
{
	json_t *obj = NULL;
	int rc;

	err[0] = '\0';
	if ((rc = store_program_get(db, program, &obj)) < 0)
		return missing(rc, "program", program, err, errlen);
	json_decref(obj);
	return store_phase_list(db, program, after, limit, items, next);
}

int
catalog_phase_create(struct db *db, const struct phase_in *p, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen)
{
	json_t *obj = NULL;
	int64_t w;
	int rc;

	err[0] = '\0';
	*existed = false;
	if ((rc = store_program_get(db, p->program, &obj)) < 0)
		return missing(rc, "program", p->program, err, errlen);
	json_decref(obj);
	if ((rc = store_card_model_weight(db, p->card_model, &w)) < 0)
		return missing(rc, "card model", p->card_model, err, errlen);
	if ((rc = store_phase_get(db, p->id, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	if ((rc = store_phase_insert(db, p, now)) < 0)
		return rc;
	return store_phase_get(db, p->id, out);
}

int
catalog_team_get(struct db *db, const char *id, json_t **out)
{
	return store_team_get(db, id, out);
}

int
catalog_team_list(struct db *db, const char *only, const char *after, int64_t limit,
    json_t **items, char **next)
{
	return store_team_list(db, only, after, limit, items, next);
}

/* The lead (i < 0) or members[i] as a membership from the team's start, its answer in resolved. */
static int
team_membership(struct db *db, const struct team_in *t, ssize_t i, int64_t now,
    struct org_match *m, json_t *resolved, char *err, size_t errlen)
{
	struct membership_in in = { .team = t->id, .since = -1, .lead = i < 0 };
	json_t *answer = NULL;
	int rc;

	in.given = i < 0 ? t->lead_org : t->members[i].org;
	in.role = i < 0 ? "lead" : t->members[i].role;
	if ((rc = orgs_resolve(db, in.given, now, m, &answer, err, errlen)) < 0)
		return rc;
	json_array_append_new(resolved, answer);
	in.org = m->id;
	return store_membership_insert(db, &in, NULL);
}

int
catalog_team_create(struct db *db, const struct team_in *t, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen)
{
	struct org_match lead, *m = NULL;
	json_t *resolved;
	int rc;

	err[0] = '\0';
	*existed = false;
	if ((rc = store_team_get(db, t->id, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	if ((rc = store_team_insert(db, t, now)) < 0)
		return rc;
	if ((resolved = json_array()) == NULL ||
	    (t->nmembers && (m = calloc(t->nmembers, sizeof(*m))) == NULL)) {
		json_decref(resolved);
		return GD_ENOMEM;
	}
	rc = team_membership(db, t, -1, now, &lead, resolved, err, errlen);
	for (size_t i = 0; rc == 0 && i < t->nmembers; i++) {
		if ((rc = team_membership(db, t, (ssize_t)i, now, &m[i], resolved, err,
		    errlen)) < 0)
			break;
		/* Two spellings of one organisation: a slip, not two members. */
		for (size_t j = 0; j < i; j++) {
			if (strcmp(m[j].id, m[i].id) == 0) {
				snprintf(err, errlen, "members[%zu].org '%s' and members[%zu].org "
				    "'%s' are both organisation '%s'", j, t->members[j].org, i,
				    t->members[i].org, m[i].id);
				rc = GD_EINVAL;
				break;
			}
		}
	}
	free(m);
	if (rc == 0 && (rc = store_team_get(db, t->id, out)) == 0)
		json_object_set_new(*out, "resolved", resolved);
	else
		json_decref(resolved);
	return rc;
}

int
catalog_team_check(struct db *db, const char *id, char *err, size_t errlen)
{
	int rc = store_team_exists(db, id);

	err[0] = '\0';
	return rc < 0 ? rc : rc == 0 ? missing(GD_ENOENT, "team", id, err, errlen) : 0;
}

int
catalog_phase_check(struct db *db, const char *id, char *err, size_t errlen)
{
	int rc = store_phase_exists(db, id);

	err[0] = '\0';
	return rc < 0 ? rc : rc == 0 ? missing(GD_ENOENT, "phase", id, err, errlen) : 0;
}
