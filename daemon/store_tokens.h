/* store_tokens.h: SQL for bearer tokens: stored by the hash of their secret, never the secret. */
#ifndef GRANTD_STORE_TOKENS_H
#define GRANTD_STORE_TOKENS_H

#include <jansson.h>
#include <stdint.h>
#include <stdbool.h>
#include "request.h"

struct db;

/* The API shape, as store_catalog.h's getters and lists. */
int store_token_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);
int store_token_get(struct db *db, const char *id, json_t **out);
int store_token_revoke(struct db *db, const char *id, int64_t now);

/* A new token row; hash is the hex SHA-256 of its secret. */
struct token_row {
	const char *id, *name, *role, *team, *pool, *hash;
};
int store_token_insert(struct db *db, const struct token_row *t, int64_t now);

/*
 * The unrevoked token with this hash: its id, name, role (by name), team
 * and pool ("" when none).  0, GD_ENOENT or GD_EIO.
 */
struct token_found {
	char id[40], name[NAME_MAX_LEN + 1], role[16];	/* as struct principal */
	char team[ID_MAX + 1], pool[ID_MAX + 1];
};
int store_token_by_hash(struct db *db, const char *hash, struct token_found *out);

/* 0 when token id is not revoked, GD_ENOENT when it is (or is gone), GD_EIO. */
int store_token_live(struct db *db, const char *id);

#endif
