/* store_grants.h: SQL for grants. */
#ifndef GRANTD_STORE_GRANTS_H
#define GRANTD_STORE_GRANTS_H

#include <jansson.h>
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "enrollment.h"
#include "request.h"
#include "timeline.h"

struct db;

/* A grant row as plain data. */
struct grant {
	int64_t id, enrollment, cards, start, end, planned_end;
	char pool[ID_MAX + 1];
	enum grant_kind kind;
	bool cancelled;
};
int store_grant_insert(struct db *db, int64_t enrollment, const char *pool, int64_t cards,
    int64_t start, int64_t end, enum grant_kind kind, int64_t now, int64_t *id);
int store_grant_get(struct db *db, int64_t id, struct grant *g);
int store_grant_json(struct db *db, int64_t id, json_t **out);
/* Ends the grant at t (t > start), or cancels it (t <= start). */
int store_grant_cut(struct db *db, int64_t id, int64_t t);
int store_grant_set_end(struct db *db, int64_t id, int64_t end);
/* Moves the grant by `by` seconds: start, end and planned_end alike (the caller checks range). */
int store_grant_shift(struct db *db, int64_t id, int64_t by);
/* How many grants an enrollment was ever given, cancelled ones included. */
int store_grants_ever(struct db *db, int64_t enrollment, int64_t *n);
/* Live (not cancelled) grants of an enrollment; *gs malloc'd. */
int store_grants_of(struct db *db, int64_t enrollment, struct grant **gs, size_t *n);

/* Appends an enrollment's live grants in the API shape to arr, by start, pool and id. */
int store_grant_json_of(struct db *db, int64_t enrollment, json_t *arr);

/* A pool's live grants as the timeline takes them (id, start, end, cards); *out malloc'd. */
int store_grant_spans(struct db *db, const char *pool, struct timeline_grant **out,
    size_t *n);

/*
 * One grant row as the calendar mirrors it (calendar.c): its pool, span,
 * enrollment and whether it is live.  0, GD_ENOENT when there is no such
 * row (deleted or never made), GD_EIO.
 */
struct grant_row {
	char pool[ID_MAX + 1];
	struct timeline_grant span;
	int64_t enrollment;
	bool live;
};
int store_grant_row(struct db *db, int64_t id, struct grant_row *out);

/* Every live grant's enrollment, as (grant, enrollment) pairs in no order; *out malloc'd. */
struct grant_owner {
	int64_t grant, enrollment;
};
int store_grant_owners(struct db *db, struct grant_owner **out, size_t *n);

struct grant_filter {
	const char *team, *pool, *phase;
	int64_t at;		/* -1: any time */
};
int store_grant_list(struct db *db, const struct grant_filter *f, int64_t after,
    int64_t limit, json_t **items, char **next);

/* "gr_123" <-> 123. */
void grant_id_format(int64_t id, char buf[32]);
int grant_id_parse(const char *s, int64_t *id);

#endif
