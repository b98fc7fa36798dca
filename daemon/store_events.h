/* store_events.h: SQL for the change feed: events, the teams each concerns, the feed's pages. */
#ifndef GRANTD_STORE_EVENTS_H
#define GRANTD_STORE_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

/* "ev_" and the sequence number in 16 hex digits, NUL included. */
#define EVENT_ID_LEN 20

void event_id_format(int64_t seq, char buf[EVENT_ID_LEN]);

/*
 * Conventions as in store.h: 0 or a negative GD_* code; writes run in the
 * caller's transaction.  Adds an event (payload: compact JSON, the copy for
 * admins and auditors; audit_seq < 0: none) and sets *seq to its number,
 * one past the last event ever kept (the newest is never pruned, so numbers
 * are never reused).
 */
int store_event_insert(struct db *db, const char *type, int64_t at, const char *resource,
    int64_t audit_seq, const char *payload, int64_t *seq);
/* The newest event's seq, 0 when there is none. */
int store_event_newest(struct db *db, int64_t *seq);
/*
 * The audit head that the newest checkpoint.signed event kept names (its
 * payload's "head"), cut to len - 1: 0, GD_ENOENT when there is none, GD_EIO.
 */
int store_event_checkpoint_head(struct db *db, char *head, size_t len);
/* The event seq concerns team, with that team's own copy of the payload. */
int store_event_team(struct db *db, int64_t seq, const char *team, const char *payload);

/*
 * A page of the feed in the API shape ({"seq", "id", "type", "at",
 * "resource", "teams", "payload"}), by seq after `after`.  type and team
 * (NULL: any) filter; own: the caller is the team `team` itself, which is
 * given its own copy of each payload and its own name alone in "teams".
 */
int store_event_list(struct db *db, int64_t after, const char *type, const char *team,
    bool own, int64_t limit, json_t **items, char **next);

/* Deletes the events older than before, except the newest of all. */
int store_event_purge(struct db *db, int64_t before);

/*
 * The audiences of an event, as a JSON array of team ids (new reference
 * in *out): the teams with a grant on pool that overlaps the outage;
 * the teams enrolled in phase (withdrawn ones too: they were told before).
 */
int store_event_outage_teams(struct db *db, int64_t outage, json_t **out);
int store_event_phase_teams(struct db *db, const char *phase, json_t **out);

#endif
