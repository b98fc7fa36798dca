/* store_idempotency.h: SQL for Idempotency-Key records: a change's first reply, for replays. */
#ifndef GRANTD_STORE_IDEMPOTENCY_H
#define GRANTD_STORE_IDEMPOTENCY_H

#include <stdint.h>

struct db;

/*
 * The record of (token_id, key) made after `after`: its request hash and
 * body (both malloc'd, the caller frees) and status.  0, GD_ENOENT when
 * there is none (or it cannot be read: the request then runs), GD_ENOMEM,
 * or GD_EIO when the query cannot be made at all.
 */
int store_idempotency_get(struct db *db, const char *token_id, const char *key, int64_t after,
    char **req_hash, int *status, char **body);

/* Records (or replaces) the reply of (token_id, key). */
int store_idempotency_put(struct db *db, const char *token_id, const char *key,
    const char *req_hash, int64_t status, const char *body, int64_t now);

/* Drops the records made at or before `upto`. */
int store_idempotency_purge(struct db *db, int64_t upto);

#endif
