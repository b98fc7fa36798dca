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
/* A rotation's grace: a day unless asked, at most 30 days. */
#define TOKEN_GRACE_DEFAULT (24 * 3600)
#define TOKEN_GRACE_MAX (30 * 24 * 3600)
/* The furthest end a token may be given: ten years (3660 days). */
#define TOKEN_TTL_MAX (3660 * INT64_C(86400))

const char *role_name(enum role r);
int role_from_name(const char *s, enum role *r);

/*
 * Inserts a token in the caller's transaction.  team is required for role
 * team, pool for role agent (NULL otherwise); node binds an agent token to
 * one node of its pool (NULL: any node); expires_at -1 for never.  Writes
 * the new id and secret.
 */
int token_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, const char *node, int64_t now, int64_t expires_at,
    char id[TOKEN_ID_LEN + 1], char secret[TOKEN_SECRET_LEN + 1]);

/*
 * A new secret for token id (the caller's transaction): the old one works
 * until now + grace, the token until expires_at (-1: as it was, -2: never).
 * GD_ENOENT when there is no live token id.
 */
int token_rotate(struct db *db, const char *id, int64_t now, int64_t grace, int64_t expires_at,
    char secret[TOKEN_SECRET_LEN + 1]);

/* Why a known secret does not authenticate: it ended at `at`. */
struct token_end {
	int64_t at;
	bool rotated;	/* a rotation replaced it and its grace is over; else the token expired */
};

/*
 * Finds the live token with this secret at now: 0 with *who; GD_ENOENT
 * when no token has it or it was revoked; GD_ESTATE when it ended (*end
 * says how and when).
 */
int token_lookup(struct db *db, const char *secret, int64_t now, struct principal *who,
    struct token_end *end);

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
/* Tokens whose use is noted between two flushes of last_used_at (more wait). */
#define TOKEN_SEEN_MAX 256

struct token_seen {
	char id[40];
	int64_t at;
};

struct token_cache {
	struct {
		unsigned char hash[32];
		bool used;
		int64_t until;		/* the instant this secret stops working; -1: never */
		struct principal who;
	} slot[TOKEN_CACHE_SLOTS];
	bool held;		/* a revocation or rotation is in the open batch */
	uint64_t hits, misses;
	struct token_seen seen[TOKEN_SEEN_MAX];
	size_t nseen;
};

/* token_lookup through the cache; db is the connection of committed state. */
int token_lookup_cached(struct token_cache *c, struct db *db, const char *secret, int64_t now,
    struct principal *who, struct token_end *end);
/* A revocation or rotation is in the open batch (see above). */
void token_cache_hold(struct token_cache *c);
void token_cache_settle(struct token_cache *c);

/*
 * Notes that token id authenticated a request at `at`, for last_used_at.
 * The notes are written together (token_cache_take) once a minute, so a
 * token's row is written at most that often whatever its traffic.
 */
void token_cache_seen(struct token_cache *c, const char *id, int64_t at);
/* Moves the notes out into seen (TOKEN_SEEN_MAX): their number. */
size_t token_cache_take(struct token_cache *c, struct token_seen *seen);

#endif
