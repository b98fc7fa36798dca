/* cmd_audit.c: `grantd audit verify`, the audit trail's hash chain checked offline. */
#include <stdio.h>

#include "audit.h"
#include "cmd.h"
#include "db.h"
#include "err.h"

int
cmd_audit_verify(const char *db_path, int64_t *entries, char head[AUDIT_HASH_HEX],
    char *err, size_t errlen)
{
	char why[GD_ERRBUF];
	struct db *db;
	int64_t n = 0;
	int rc;

	err[0] = '\0';
	if (db_path == NULL) {
		snprintf(err, errlen, "audit verify needs --db");
		return 2;
	}
	if (db_open(db_path, DB_READER, 5000, &db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return 1;
	}
	rc = audit_verify(db, &n, head, why, sizeof(why));
	db_close(db);
	if (rc < 0) {
		snprintf(err, errlen, "audit trail broken: %s", why);
		return 1;
	}
	*entries = n;
	return 0;
}
