/* audit.c: appending and verifying the hash-chained audit trail. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "err.h"

const struct principal audit_system = { .id = "system", .name = "grantd", .role = ROLE_ADMIN };

static const char zero_hash[AUDIT_HASH_HEX] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/*
 * The hash covers a JSON array of the entry's fields and the previous hash.
 * An array of scalars has one compact serialisation, so the digest does not
 * depend on key order or on this program's version.
 */
static int
entry_hash(int64_t seq, int64_t at, const char *actor_id, const char *actor_name,
    const char *action, const char *target, const char *request_id, const char *reason,
    const char *detail, const char *prev, char out[AUDIT_HASH_HEX])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	json_t *a;
	char *s;

	a = json_pack("[I, I, s, s, s, s, s, s?, s?, s]", (json_int_t)seq, (json_int_t)at,
	    actor_id, actor_name, action, target, request_id, reason, detail, prev);
	if (a == NULL)
		return GD_ENOMEM;
	s = json_dumps(a, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(a);
	if (s == NULL)
		return GD_ENOMEM;
	crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
	free(s);
	sodium_bin2hex(out, AUDIT_HASH_HEX, h, sizeof(h));
	return 0;
}

int
audit_append(struct db *db, const struct principal *who, const char *request_id,
    int64_t now, const char *action, const char *target, const char *reason,
    const json_t *detail)
{
	static const char last_sql[] = "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1";
	static const char ins_sql[] = "INSERT INTO audit (seq, at, actor_id, actor_name, "
	    "action, target, request_id, reason, detail, prev_hash, hash) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX], *dj = NULL;
	sqlite3_stmt *st;
	int64_t seq = 1;
	int rc;

	if ((st = db_prep(db, last_sql)) == NULL)
		return GD_EIO;
	memcpy(prev, zero_hash, sizeof(prev));
	if (sqlite3_step(st) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0) + 1;
		snprintf(prev, sizeof(prev), "%s", db_text(st, 1));
	}
	db_done(st);
	if (detail && (dj = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return GD_ENOMEM;
	rc = entry_hash(seq, now, who->id, who->name, action, target, request_id, reason,
	    dj, prev, hash);
	if (rc == 0)
		rc = db_run(db, ins_sql, "iittttttttt", seq, now, who->id, who->name, action,
		    target, request_id, reason, dj, prev, hash);
	free(dj);
	return rc;
}

int
audit_request(const struct request *rq, const char *action, const char *target,
    const char *reason, const json_t *detail)
{
	return audit_append(rq->db, rq->who, rq->request_id, rq->now, action, target, reason,
	    detail);
}

int
audit_verify(struct db *db, int64_t *entries, char head[AUDIT_HASH_HEX], char *err,
    size_t errlen)
{
	static const char sql[] = "SELECT seq, at, actor_id, actor_name, action, target, "
	    "request_id, reason, detail, prev_hash, hash FROM audit ORDER BY seq";
	char prev[AUDIT_HASH_HEX], want[AUDIT_HASH_HEX];
	sqlite3_stmt *st;
	int64_t n = 0, seq;
	int rc = 0, step;

	if ((st = db_prep(db, sql)) == NULL) {
		snprintf(err, errlen, "cannot read the audit trail: %s", db_errmsg(db));
		return GD_EIO;
	}
	memcpy(prev, zero_hash, sizeof(prev));
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		seq = sqlite3_column_int64(st, 0);
		if (seq != n + 1) {
			snprintf(err, errlen, "audit entry %lld missing (found %lld next)",
			    (long long)(n + 1), (long long)seq);
			rc = GD_ECONFLICT;
			break;
		}
		if (strcmp(db_text(st, 9), prev) != 0) {
			snprintf(err, errlen, "audit entry %lld: prev_hash does not match the "
			    "hash of entry %lld", (long long)seq, (long long)n);
			rc = GD_ECONFLICT;
			break;
		}
		rc = entry_hash(seq, sqlite3_column_int64(st, 1), db_text(st, 2), db_text(st, 3),
		    db_text(st, 4), db_text(st, 5), db_text(st, 6),
		    (const char *)sqlite3_column_text(st, 7),
		    (const char *)sqlite3_column_text(st, 8), prev, want);
		if (rc < 0)
			break;
		if (strcmp(db_text(st, 10), want) != 0) {
			snprintf(err, errlen, "audit entry %lld: content does not match its hash",
			    (long long)seq);
			rc = GD_ECONFLICT;
			break;
		}
		memcpy(prev, want, sizeof(prev));
		n++;
	}
	if (rc == 0 && step != SQLITE_DONE) {
		snprintf(err, errlen, "cannot read the audit trail: %s", db_errmsg(db));
		rc = GD_EIO;
	}
	db_done(st);
	if (rc == 0) {
		*entries = n;
		memcpy(head, prev, AUDIT_HASH_HEX);
	}
	return rc;
}
