/* suppliers.h: the suppliers voucher holds pay: created with their payable account, read. */
#ifndef GRANTD_SUPPLIERS_H
#define GRANTD_SUPPLIERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store_suppliers.h"	/* struct supplier_in: what to create */

struct db;

/*
 * As catalog.h: on the caller's connection, a change in the caller's open
 * transaction, audited by the caller; 0 or a GD_* code; objects in the
 * API shape, owned by the caller.
 */

/*
 * Creates a supplier with its payable account (a hold needs one),
 * idempotent by id as catalog_team_create (*existed, *out).  Its org is
 * resolved to an organisation (orgs_resolve), reported in *out's
 * "resolved"; GD_EINVAL with err when it has nothing to compare.
 */
int suppliers_create(struct db *db, const struct supplier_in *s, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen);
int suppliers_get(struct db *db, const char *id, json_t **out);
int suppliers_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next);
/* A supplier's org as given and the organisation it is (each left as it was when there is none). */
int suppliers_org(struct db *db, const char *id, char org[NAME_MAX_LEN + 1],
    char organisation[ID_MAX + 1]);

#endif
