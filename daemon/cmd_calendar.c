/* cmd_calendar.c: `grantd calendar verify`: the kept calendar's way against a build, offline. */
#include <stdio.h>

#include "calendar.h"
#include "cmd.h"
#include "db.h"
#include "err.h"

int
cmd_calendar_verify(const char *db_path, size_t *pools, size_t *grants, char *err,
    size_t errlen)
{
	char why[GD_ERRBUF];
	struct db *db;
	size_t np = 0, ng = 0;
	int rc;

	err[0] = '\0';
	if (db_path == NULL) {
		snprintf(err, errlen, "calendar verify needs --db PATH");
		return 2;
	}
	if (db_open(db_path, DB_READER, 5000, &db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return 1;
	}
	why[0] = '\0';
	/* One read transaction: a running grantd's commits do not move under it. */
	if ((rc = db_begin(db, DB_DEFERRED)) == 0)
		rc = calendar_verify(db, &np, &ng, why, sizeof(why));
	db_close(db);
	if (rc < 0) {
		snprintf(err, errlen, "%s", why[0] ? why : "cannot verify the calendar");
		return 1;
	}
	*pools = np;
	*grants = ng;
	return 0;
}
