/* store_suppliers.h: SQL for suppliers and a team's organisations. */
#ifndef GRANTD_STORE_SUPPLIERS_H
#define GRANTD_STORE_SUPPLIERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct db;

struct supplier_in {
	const char *id, *name, *org;
};
int store_supplier_insert(struct db *db, const struct supplier_in *s, int64_t now);
int store_supplier_get(struct db *db, const char *id, json_t **out);
int store_supplier_org(struct db *db, const char *id, char org[NAME_MAX_LEN + 1]);
int store_supplier_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);

/*
 * A team's organisations, lead and members (related parties), as an array
 * of strings in one malloc'd block: free(*orgs) frees all.
 */
int store_team_orgs(struct db *db, const char *team, char ***orgs, size_t *n);

#endif
