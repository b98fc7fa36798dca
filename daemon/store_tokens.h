/* store_tokens.h: SQL for bearer tokens: stored by the hash of their secret, never the secret. */
#ifndef GRANTD_STORE_TOKENS_H
#define GRANTD_STORE_TOKENS_H

#include <jansson.h>
#include <stdint.h>
#include <stdbool.h>
#include "request.h"

struct db;

/*
 * The API shape, as store_catalog.h's getters and lists; "state" (live,
 * revoked, expired) is the token's at now.
 */
int store_token_list(struct db *db, const char *after, int64_t limit, int64_t now,
    json_t **items, char **next);
int store_token_get(struct db *db, const char *id, int64_t now, json_t **out);
int store_token_revoke(struct db *db, const char *id, int64_t now);

/*
 * A new token row; hash is the hex SHA-256 of its secret; node (an agent's
 * alone) NULL for none; expires_at -1 for never.
 */
struct token_row {
	const char *id, *name, *role, *team, *pool, *node, *hash;
	int64_t expires_at;
};
int store_token_insert(struct db *db, const struct token_row *t, int64_t now);

/*
 * The token one of whose secrets has this hash, revoked or not: its id,
 * name, role (by name), team, pool and node ("" when none), and what bounds it:
 * revoked_at, expires_at, and prev_until when the hash is the secret a
 * rotation replaced (each -1 when none).  0, GD_ENOENT or GD_EIO.
 */
struct token_found {
	char id[40], name[NAME_MAX_LEN + 1], role[16];	/* as struct principal */
	char team[ID_MAX + 1], pool[ID_MAX + 1], node[NODE_MAX + 1];
	int64_t revoked_at, expires_at, prev_until;
};
int store_token_by_hash(struct db *db, const char *hash, struct token_found *out);

/* 0 when token id is not revoked, GD_ENOENT when it is (or is gone), GD_EIO. */
int store_token_live(struct db *db, const char *id);

/*
 * A rotation: the token's secret becomes hash, the old one works until
 * prev_until; expires_at (-1: kept as it is, -2: never) the new end.
 * GD_ENOENT when there is no live token id (revoked, expired or gone).
 */
int store_token_rotate(struct db *db, const char *id, const char *hash, int64_t now,
    int64_t prev_until, int64_t expires_at);

/* Notes a use: last_used_at becomes at, unless it is later already. */
int store_token_used(struct db *db, const char *id, int64_t at);

#endif
