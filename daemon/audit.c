/* audit.c: appending and verifying the hash-chained audit trail. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "err.h"
#include "events.h"
#include "store_audit.h"

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
	char prev[AUDIT_HASH_HEX], hash[AUDIT_HASH_HEX], *dj = NULL;
	int64_t seq = 0;
	int rc;

	memcpy(prev, zero_hash, sizeof(prev));
	if ((rc = store_audit_last(db, &seq, prev, sizeof(prev))) < 0 && rc != GD_ENOENT)
		return GD_EIO;
	seq++;
	if (detail && (dj = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return GD_ENOMEM;
	rc = entry_hash(seq, now, who->id, who->name, action, target, request_id, reason,
	    dj, prev, hash);
	if (rc == 0)
		rc = store_audit_insert(db, &(struct audit_entry){ .seq = seq, .at = now,
		    .actor_id = who->id, .actor_name = who->name, .action = action,
		    .target = target, .request_id = request_id, .reason = reason, .detail = dj,
		    .prev_hash = prev, .hash = hash });
	/* The change's event, in the same transaction: an outbox (daemon/events.c). */
	if (rc == 0)
		rc = events_from_audit(db, seq, now, action, target, detail, dj);
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

/* The walk of audit_verify: each entry against the one before. */
struct verify {
	char prev[AUDIT_HASH_HEX];
	int64_t n;
	char *err;
	size_t errlen;
	bool failed;		/* the chain, not the reading */
};

static int
verify_one(void *arg, const struct audit_entry *e)
{
	struct verify *v = arg;
	char want[AUDIT_HASH_HEX];
	int rc;

	v->failed = true;
	if (e->seq != v->n + 1) {
		snprintf(v->err, v->errlen, "audit entry %lld missing (found %lld next)",
		    (long long)(v->n + 1), (long long)e->seq);
		return GD_ECONFLICT;
	}
	if (strcmp(e->prev_hash, v->prev) != 0) {
		snprintf(v->err, v->errlen, "audit entry %lld: prev_hash does not match the "
		    "hash of entry %lld", (long long)e->seq, (long long)v->n);
		return GD_ECONFLICT;
	}
	rc = entry_hash(e->seq, e->at, e->actor_id, e->actor_name, e->action, e->target,
	    e->request_id, e->reason, e->detail, v->prev, want);
	if (rc < 0)
		return rc;
	if (strcmp(e->hash, want) != 0) {
		snprintf(v->err, v->errlen, "audit entry %lld: content does not match its hash",
		    (long long)e->seq);
		return GD_ECONFLICT;
	}
	memcpy(v->prev, want, sizeof(v->prev));
	v->n++;
	v->failed = false;
	return 0;
}

int
audit_verify(struct db *db, int64_t *entries, char head[AUDIT_HASH_HEX], char *err,
    size_t errlen)
{
	struct verify v = { .err = err, .errlen = errlen };
	int rc;

	memcpy(v.prev, zero_hash, sizeof(v.prev));
	rc = store_audit_each(db, verify_one, &v);
	if (rc < 0 && !v.failed) {
		snprintf(err, errlen, "cannot read the audit trail: %s", db_errmsg(db));
		return GD_EIO;
	}
	if (rc == 0) {
		*entries = v.n;
		memcpy(head, v.prev, AUDIT_HASH_HEX);
	}
	return rc;
}

int
audit_page(struct db *db, int64_t after, int64_t limit, json_t **items, char **next)
{
	return store_audit_list(db, after, limit, items, next);
}
