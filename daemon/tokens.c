/* tokens.c: the API's tokens, through token.c and store_tokens, their team or pool checked. */
#include <stdio.h>

#include "err.h"
#include "store_catalog.h"
#include "store_pools.h"
#include "store_tokens.h"
#include "tokens.h"

int
tokens_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, int64_t now, char id[TOKEN_ID_LEN + 1],
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
	if ((rc = token_create(db, name, role, team, pool, now, id, secret)) < 0)
		return rc;
	return store_token_get(db, id, out);
}

int
tokens_list(struct db *db, const char *after, int64_t limit, json_t **items, char **next)
{
	return store_token_list(db, after, limit, items, next);
}

int
tokens_revoke(struct db *db, const char *id, int64_t now)
{
	return store_token_revoke(db, id, now);
}
