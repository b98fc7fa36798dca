/* suppliers.c: suppliers through store_suppliers, each with its payable ledger account. */
#include <stdio.h>

#include "err.h"
#include "ledger.h"
#include "store_vouchers.h"
#include "store_suppliers.h"
#include "suppliers.h"
#include "orgs.h"

int
suppliers_create(struct db *db, const struct supplier_in *s, int64_t now, bool *existed,
    json_t **out, char *err, size_t errlen)
{
	struct supplier_in in = *s;
	char account[ID_MAX + 16];
	struct org_match m;
	json_t *answer = NULL;
	int rc;

	err[0] = '\0';
	*existed = false;
	if ((rc = store_supplier_get(db, s->id, out)) != GD_ENOENT) {
		*existed = rc == 0;
		return rc;
	}
	if ((rc = orgs_resolve(db, s->org, now, &m, &answer, err, errlen)) < 0)
		return rc;
	in.organisation = m.id;
	snprintf(account, sizeof(account), "payable:%s", s->id);
	if ((rc = store_supplier_insert(db, &in, now)) < 0 ||
	    (rc = store_account_insert(db, LEDGER_PAYABLE, account, NULL, -1, s->id, now,
	    NULL)) < 0 || (rc = store_supplier_get(db, s->id, out)) < 0) {
		json_decref(answer);
		return rc;
	}
	json_object_set_new(*out, "resolved", answer);
	return 0;
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
suppliers_org(struct db *db, const char *id, char org[NAME_MAX_LEN + 1],
    char organisation[ID_MAX + 1])
{
	int rc = store_supplier_org(db, id, org);

	return rc < 0 ? rc : store_supplier_organisation(db, id, organisation);
}
