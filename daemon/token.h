/* token.h: bearer tokens: 256-bit random secrets stored only as hashes. */
#ifndef GRANTD_TOKEN_H
#define GRANTD_TOKEN_H

#include <stdint.h>

#include "request.h"

struct db;

/* "gd_" and 43 characters of URL-safe base64 for 32 random bytes. */
#define TOKEN_SECRET_LEN 46
#define TOKEN_ID_LEN 20		/* "tok_" + 16 hex */

const char *role_name(enum role r);
int role_from_name(const char *s, enum role *r);

/*
 * Inserts a token in the caller's transaction.  team is required for role
 * team, pool for role agent (NULL otherwise).  Writes the new id and secret.
 */
int token_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, int64_t now, char id[TOKEN_ID_LEN + 1],
    char secret[TOKEN_SECRET_LEN + 1]);

/* Finds the unrevoked token with this secret; GD_ENOENT when none. */
int token_lookup(struct db *db, const char *secret, struct principal *who);

#endif
