/* cmd_ledger.c: `grantd ledger verify`, the voucher ledger checked against its journal offline. */
#include <stdio.h>

#include "cmd.h"
#include "db.h"
#include "err.h"
#include "vouchers.h"

int
cmd_ledger_verify(const char *db_path, int64_t *accounts, int64_t *transfers, char *err,
    size_t errlen)
{
	char why[GD_ERRBUF];
	int64_t na = 0, nt = 0;
	struct db *db;
	int rc;

	err[0] = '\0';
	if (db_path == NULL) {
		snprintf(err, errlen, "ledger verify needs --db");
		return 2;
	}
	if (db_open(db_path, DB_READER, 5000, &db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return 1;
	}
	rc = vouchers_verify(db, &na, &nt, why, sizeof(why));
	db_close(db);
	if (rc < 0) {
		snprintf(err, errlen, "ledger broken: %s", why);
		return 1;
	}
	*accounts = na;
	*transfers = nt;
	return 0;
}
