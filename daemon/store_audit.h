/* store_audit.h: SQL for the audit trail: append, read back in order, list. */
#ifndef GRANTD_STORE_AUDIT_H
#define GRANTD_STORE_AUDIT_H

#include <jansson.h>
#include <stdint.h>
#include <stddef.h>

struct db;

/* The API shape, as store_catalog.h's lists; after is a sequence number. */
int store_audit_list(struct db *db, int64_t after, int64_t limit, json_t **items,
    char **next);

/* One entry as stored; text fields borrowed (reason and detail may be NULL). */
struct audit_entry {
	int64_t seq, at;
	const char *actor_id, *actor_name, *action, *target, *request_id, *reason, *detail;
	const char *prev_hash, *hash;
};

/* The last entry's sequence number and hash: 0, GD_ENOENT when the trail is empty, GD_EIO. */
int store_audit_last(struct db *db, int64_t *seq, char *hash, size_t hashlen);
int store_audit_insert(struct db *db, const struct audit_entry *e);
/* The hash of entry seq: 0, GD_ENOENT (no such entry), GD_EIO. */
int store_audit_hash(struct db *db, int64_t seq, char *hash, size_t hashlen);

/*
 * Calls fn with every entry in sequence order (borrowed for the call)
 * until fn returns non-zero, which is then returned; GD_EIO when reading
 * fails.
 */
int store_audit_each(struct db *db, int (*fn)(void *arg, const struct audit_entry *e),
    void *arg);

/* How many entries the trail holds; -1 on error. */
int64_t store_audit_count(struct db *db);

#endif
