/* catalog.c: card models, programmes, phases and teams, through store_catalog. */
#include <stdio.h>

#include "catalog.h"
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

int
catalog_team_create(struct db *db, const struct team_in *t, int64_t now, bool *existed,
    json_t **out)
{
	int rc;

	*existed = false;
	if ((rc = store_team_get(db, t->id, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	if ((rc = store_team_insert(db, t, now)) < 0)
		return rc;
	return store_team_get(db, t->id, out);
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
