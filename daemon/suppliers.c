/* suppliers.c: suppliers through store_suppliers, each with its payable ledger account. */
#include <stdio.h>

#include "err.h"
#include "ledger.h"
#include "store_vouchers.h"
#include "store_suppliers.h"
#include "suppliers.h"

int
suppliers_create(struct db *db, const struct supplier_in *s, int64_t now, bool *existed,
    json_t **out)
{
	char account[ID_MAX + 16];
	int rc;

	*existed = false;
	if ((rc = store_supplier_get(db, s->id, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	snprintf(account, sizeof(account), "payable:%s", s->id);
	if ((rc = store_supplier_insert(db, s, now)) < 0 ||
	    (rc = store_account_insert(db, LEDGER_PAYABLE, account, NULL, -1, s->id, now,
	    NULL)) < 0)
		return rc;
	return store_supplier_get(db, s->id, out);
}

int
suppliers_get(struct db *db, const char *id, json_t **out)
{
	return store_supplier_get(db, id, out);
}

int
suppliers_list(struct db *db, const char *after, int64_t limit, json_t **items, char **next)
{
	return store_supplier_list(db, after, limit, items, next);
}

int
suppliers_org(struct db *db, const char *id, char org[NAME_MAX_LEN + 1])
{
	return store_supplier_org(db, id, org);
}
