/* tokens.h: the API's tokens: created (for a team or a pool that exists), listed, revoked. */
#ifndef GRANTD_TOKENS_H
#define GRANTD_TOKENS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "token.h"	/* enum role, TOKEN_ID_LEN, TOKEN_SECRET_LEN */

struct db;

/*
 * As catalog.h: on the caller's connection, a change in the caller's open
 * transaction, audited by the caller; 0 or a GD_* code, a refusal's
 * one-line detail in err (left empty for storage or memory); objects in
 * the API shape, owned by the caller.
 */

/*
 * Creates a token (token_create) whose team or pool exists: GD_ENOENT
 * (with err) when not; node (NULL: none) binds an agent token to one node
 * of its pool, assigned or not; expires_at (-1: never) must be later than
 * now (GD_EINVAL).  On success *id and *secret are the new token's (the secret
 * is never stored: the caller shows it once and wipes it) and *out its API
 * shape, without the secret.
 */
int tokens_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, const char *node, int64_t now, int64_t expires_at, char id[TOKEN_ID_LEN + 1],
    char secret[TOKEN_SECRET_LEN + 1], json_t **out, char *err, size_t errlen);
int tokens_list(struct db *db, const char *after, int64_t limit, int64_t now, json_t **items,
    char **next);

/*
 * Rotates token id (token_rotate): a new *secret, the old one working for
 * grace seconds more; expires_at -1 keeps the token's end, -2 removes it.
 * GD_ENOENT (with err) when there is no live token id.
 */
int tokens_rotate(struct db *db, const char *id, int64_t now, int64_t grace, int64_t expires_at,
    char secret[TOKEN_SECRET_LEN + 1], json_t **out, char *err, size_t errlen);

/* Writes the uses token_cache_take collected into last_used_at. */
int tokens_note_use(struct db *db, const struct token_seen *seen, size_t n);
/* Revokes token id: GD_ENOENT when no such active token. */
int tokens_revoke(struct db *db, const char *id, int64_t now);

#endif
