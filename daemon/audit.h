/* audit.h: the hash-chained, append-only audit trail. */
#ifndef GRANTD_AUDIT_H
#define GRANTD_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

struct db;

#define AUDIT_HASH_HEX 65

/*
 * Appends one entry in the caller's open transaction: the entry and the
 * change it records commit or vanish together.  detail (borrowed, may be
 * NULL) is stored as compact JSON.
 */
int audit_append(struct db *db, const struct principal *who, const char *request_id,
    int64_t now, const char *action, const char *target, const char *reason,
    const json_t *detail);

/* The same, from a request (its actor, request id and time). */
int audit_request(const struct request *rq, const char *action, const char *target,
    const char *reason, const json_t *detail);

/*
 * Recomputes the chain.  Returns 0 with the count and head hash, or
 * GD_ECONFLICT with the first broken entry described in err.
 */
int audit_verify(struct db *db, int64_t *entries, char head[AUDIT_HASH_HEX], char *err,
    size_t errlen);

/* A page of the trail in the API shape, as store_audit_list (after: a sequence number). */
int audit_page(struct db *db, int64_t after, int64_t limit, json_t **items, char **next);

/* The principal used for changes made by the daemon itself (timers). */
extern const struct principal audit_system;

#endif
