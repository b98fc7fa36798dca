/* store_outages.h: SQL for outages. */
#ifndef GRANTD_STORE_OUTAGES_H
#define GRANTD_STORE_OUTAGES_H

#include <jansson.h>
#include <stdint.h>
#include <stddef.h>
#include "timeline.h"

struct db;

struct outage_in {
	const char *pool, *reason;
	int64_t from, to, cards;
};
int store_outage_insert(struct db *db, const struct outage_in *o, int64_t now, int64_t *id);
int store_outage_get(struct db *db, int64_t id, json_t **out);

/* An outage row as plain data; cancelled_at -1 when it stands. */
struct outage_row {
	int64_t id, from, to, cards, cancelled_at;
	char pool[64];
};
int store_outage_row(struct db *db, int64_t id, struct outage_row *o);
/* Corrects a standing outage: its interval and cards (reason: the original's, kept). */
int store_outage_update(struct db *db, int64_t id, int64_t from, int64_t to, int64_t cards,
    int64_t now);
/* Cancels a standing outage; it takes nothing from then on. */
int store_outage_cancel(struct db *db, int64_t id, const char *reason, int64_t now);
/* A pool's outages in time order; after is the id of the last one seen (0: from the start). */
int store_outage_list(struct db *db, const char *pool, int64_t after, int64_t limit,
    json_t **items, char **next);

/*
 * A pool's standing outages (not cancelled) as the timeline takes them, in
 * no particular order, but for `except` (an outage id, or 0): *out is
 * malloc'd (caller frees; NULL when there are none).  0, GD_EIO or
 * GD_ENOMEM.
 */
int store_outages_of(struct db *db, const char *pool, int64_t except,
    struct timeline_outage **out, size_t *n);

#endif
