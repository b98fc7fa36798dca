/* catalog.h: card models, programmes, phases and teams: what the routes read and create. */
#ifndef GRANTD_CATALOG_H
#define GRANTD_CATALOG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store_catalog.h"	/* struct program_in, phase_in, team_in: what to create */

struct db;

/*
 * Every operation runs on the caller's connection, a change in the
 * caller's open transaction (the request's savepoint); the caller audits
 * it.  Returns 0 or a GD_* code from err.h; where a function takes err, a
 * refusal comes with a one-line detail there (errlen bytes, GD_ERRBUF
 * hold any), and err is left empty for a failure of storage or memory.
 * Objects come back in the API shape (caller owns); lists as
 * store_*_list give them (an array and the next page's cursor or NULL).
 *
 * The creates are idempotent by id: when the id exists, *existed is set
 * and *out is the stored object (the caller compares it with what was
 * asked); otherwise the new one is stored and *out is it.
 */

int catalog_card_model_get(struct db *db, const char *id, json_t **out);
int catalog_card_model_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);
/*
 * Sets a card model's weight (milli-units per card).  The same weight
 * again changes nothing (*changed false, *out the stored model).  A model
 * used by pools or phases keeps its weight: GD_ECONFLICT.
 */
int catalog_card_model_put(struct db *db, const char *id, int64_t milli, bool *changed,
    json_t **out, char *err, size_t errlen);

int catalog_program_get(struct db *db, const char *id, json_t **out);
int catalog_program_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);
int catalog_program_create(struct db *db, const struct program_in *p, int64_t now,
    bool *existed, json_t **out);

int catalog_phase_get(struct db *db, const char *id, json_t **out);
/* GD_ENOENT (with err) when the programme does not exist. */
int catalog_phase_list(struct db *db, const char *program, const char *after, int64_t limit,
    json_t **items, char **next, char *err, size_t errlen);
/* GD_ENOENT (with err) for a programme or a card model that does not exist. */
int catalog_phase_create(struct db *db, const struct phase_in *p, int64_t now,
    bool *existed, json_t **out, char *err, size_t errlen);

int catalog_team_get(struct db *db, const char *id, json_t **out);
/* Only `only` (a team's own token) or, NULL, every team. */
int catalog_team_list(struct db *db, const char *only, const char *after, int64_t limit,
    json_t **items, char **next);
/*
 * Creates a team: its lead and each member organisation resolved from the
 * text given (orgs_resolve: found by id, name or alias, else made), each a
 * membership from the team's start; *out has "resolved", the answer for
 * each (lead first).  GD_EINVAL with err when two members are one
 * organisation or a name has nothing to compare.
 */
int catalog_team_create(struct db *db, const struct team_in *t, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen);

/* Whether the team, or the phase, exists: GD_ENOENT (with err) when not. */
int catalog_team_check(struct db *db, const char *id, char *err, size_t errlen);
int catalog_phase_check(struct db *db, const char *id, char *err, size_t errlen);

#endif
