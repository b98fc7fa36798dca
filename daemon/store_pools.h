/* store_pools.h: SQL for pools. */
#ifndef GRANTD_STORE_POOLS_H
#define GRANTD_STORE_POOLS_H

#include <jansson.h>
#include <stdint.h>
#include <stddef.h>
#include "request.h"

struct db;

struct pool_in {
	const char *id, *provider, *site, *card_model;
	int64_t cards;
};
int store_pool_insert(struct db *db, const struct pool_in *p, int64_t now);
int store_pool_get(struct db *db, const char *id, json_t **out);
int store_pool_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);

/* Whether the pool exists: 1, 0, or GD_EIO. */
int store_pool_exists(struct db *db, const char *id);

/*
 * A pool as placement and the calendars see it: the one reader of pool
 * rows as plain data.  store_pool_facts: 0, GD_ENOENT or GD_EIO.
 * store_pools_all: every pool in id order, *out malloc'd (NULL when there
 * are none); 0, GD_ENOMEM or GD_EIO.
 */
struct cal_pool {
	char id[ID_MAX + 1];
	char card_model[64];
	int64_t weight_milli;
	int64_t cards;
};
int store_pool_facts(struct db *db, const char *id, struct cal_pool *out);
int store_pools_all(struct db *db, struct cal_pool **out, size_t *n);

#endif
