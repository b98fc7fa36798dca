/* tokens.c: the API's tokens, through token.c and store_tokens, their team or pool checked. */
#include <stdio.h>

#include "err.h"
#include "store_catalog.h"
#include "store_pools.h"
#include "store_tokens.h"
#include "tokens.h"

int
tokens_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, const char *node, int64_t now, int64_t expires_at, char id[TOKEN_ID_LEN + 1],
    char secret[TOKEN_SECRET_LEN + 1], json_t **out, char *err, size_t errlen)
{
	json_t *obj = NULL;
	int rc;

	err[0] = '\0';
	if (team && (rc = store_team_get(db, team, &obj)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "team '%s' does not exist", team);
		return rc;
	}
	json_decref(obj);
	if (pool && (rc = store_pool_exists(db, pool)) <= 0) {
		if (rc < 0)
			return rc;
		snprintf(err, errlen, "pool '%s' does not exist", pool);
		return GD_ENOENT;
	}
	if (expires_at >= 0 && expires_at <= now) {
		snprintf(err, errlen, "expires_at must be later than now");
		return GD_EINVAL;
	}
	if ((rc = token_create(db, name, role, team, pool, node, now, expires_at, id,
	    secret)) < 0)
		return rc;
	return store_token_get(db, id, now, out);
}

int
tokens_list(struct db *db, const char *after, int64_t limit, int64_t now, json_t **items,
    char **next)
{
	return store_token_list(db, after, limit, now, items, next);
}

int
tokens_rotate(struct db *db, const char *id, int64_t now, int64_t grace, int64_t expires_at,
    char secret[TOKEN_SECRET_LEN + 1], json_t **out, char *err, size_t errlen)
{
	int rc;

	err[0] = '\0';
	if (expires_at >= 0 && expires_at <= now) {
		snprintf(err, errlen, "expires_at must be later than now");
		return GD_EINVAL;
	}
	if ((rc = token_rotate(db, id, now, grace, expires_at, secret)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "no live token '%.40s' (revoked, expired or unknown)",
			    id);
		return rc;
	}
	return store_token_get(db, id, now, out);
}

int
tokens_note_use(struct db *db, const struct token_seen *seen, size_t n)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = store_token_used(db, seen[i].id, seen[i].at);
	return rc;
}

int
tokens_revoke(struct db *db, const char *id, int64_t now)
{
	return store_token_revoke(db, id, now);
}
