/* store_suppliers.h: SQL for suppliers. */
#ifndef GRANTD_STORE_SUPPLIERS_H
#define GRANTD_STORE_SUPPLIERS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct db;

struct supplier_in {
	const char *id, *name, *org;
	const char *organisation;	/* the id org resolved to (suppliers_create sets it) */
};
int store_supplier_insert(struct db *db, const struct supplier_in *s, int64_t now);
int store_supplier_get(struct db *db, const char *id, json_t **out);
/* The supplier's org as given, and the organisation (id) it is. */
int store_supplier_org(struct db *db, const char *id, char org[NAME_MAX_LEN + 1]);
int store_supplier_organisation(struct db *db, const char *id, char org[ID_MAX + 1]);
int store_supplier_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);

#endif
