/* store_idempotency.c: SQL for Idempotency-Key records. */
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "store_idempotency.h"

int
store_idempotency_get(struct db *db, const char *token_id, const char *key, int64_t after,
    char **req_hash, int *status, char **body)
{
	static const char sql[] = "SELECT req_hash, status, body FROM idempotency "
	    "WHERE token_id = ? AND key = ? AND created_at > ?";
	sqlite3_stmt *st = db_prep(db, sql);
	char *h, *b;
	int rc = GD_ENOENT;

	if (st == NULL || db_bind(st, "tti", token_id, key, after) < 0)
		return GD_EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		h = strdup(db_text(st, 0));
		b = strdup(db_text(st, 2));
		if (h == NULL || b == NULL) {
			free(h);
			free(b);
			rc = GD_ENOMEM;
		} else {
			*req_hash = h;
			*body = b;
			*status = sqlite3_column_int(st, 1);
			rc = 0;
		}
	}
	db_done(st);
	return rc;
}

int
store_idempotency_put(struct db *db, const char *token_id, const char *key,
    const char *req_hash, int64_t status, const char *body, int64_t now)
{
	static const char sql[] = "INSERT OR REPLACE INTO idempotency (token_id, key, "
	    "req_hash, status, body, created_at) VALUES (?, ?, ?, ?, ?, ?)";

	return db_run(db, sql, "tttiti", token_id, key, req_hash, status, body, now);
}

int
store_idempotency_purge(struct db *db, int64_t upto)
{
	return db_run(db, "DELETE FROM idempotency WHERE created_at <= ?", "i", upto);
}
