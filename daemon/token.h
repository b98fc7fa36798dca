/* token.h: bearer tokens: 256-bit random secrets stored only as hashes. */
#ifndef GRANTD_TOKEN_H
#define GRANTD_TOKEN_H

#include <stdbool.h>
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

/*
 * 0 when token id is not revoked on db, GD_ENOENT when it is (or is gone),
 * GD_EIO.  On the writer inside the open batch this sees the batch's own
 * revocations, which the cache and the reader do not yet.
 */
int token_live(struct db *db, const char *id);

/*
 * Principals of live tokens by the SHA-256 of their secret, so that an
 * authenticated request does not pay a read transaction for its token.
 * Unknown and revoked secrets are never cached: a token created by another
 * process (grantd token create) is found in the database as before.  A
 * revocation (token_cache_hold) empties the cache at once and stops new
 * entries until the batch that holds it has committed or rolled back
 * (token_cache_settle): an entry is never older than the last revocation.
 * While held, the cache and the reader still know the token as live (the
 * revocation is not committed); the router asks the writer (token_live) for
 * every request decided then.  A zeroed struct is an empty cache.
 */
#define TOKEN_CACHE_SLOTS 64

struct token_cache {
	struct {
		unsigned char hash[32];
		bool used;
		struct principal who;
	} slot[TOKEN_CACHE_SLOTS];
	bool held;		/* a revocation is in the open batch */
	uint64_t hits, misses;
};

/* token_lookup through the cache; db is the connection of committed state. */
int token_lookup_cached(struct token_cache *c, struct db *db, const char *secret,
    struct principal *who);
void token_cache_hold(struct token_cache *c);
void token_cache_settle(struct token_cache *c);

#endif
