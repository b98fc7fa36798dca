/* events.h: the change feed: events made from audited changes, and its pages. */
#ifndef GRANTD_EVENTS_H
#define GRANTD_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

/*
 * The event of an audited change, in the caller's open transaction (called
 * by audit_append, so that the event commits if and only if its change
 * does).  action, target and detail (borrowed, may be NULL) are the audit
 * entry's, and detail_text the detail as the entry holds it (compact, keys
 * sorted: its copy in the event is that very text); an action that is no
 * event's (tokens, organisations, a failed timer) adds nothing.  0 or a
 * GD_* code.
 */
int events_from_audit(struct db *db, int64_t audit_seq, int64_t at, const char *action,
    const char *target, const json_t *detail, const char *detail_text);

/*
 * A notice: an event that is no audited change (a hold about to expire, a
 * checkpoint signed), in the caller's open transaction.  payload
 * (borrowed) is the whole copy; team, when not NULL, the one team it
 * concerns, whose copy is the same (a notice holds that team's own figures
 * alone); NULL: admins and auditors alone see it.  0 or a GD_* code.
 */
int events_notice(struct db *db, const char *type, int64_t at, const char *resource,
    const char *team, const json_t *payload);

/* The event type of an audit action, or NULL when it makes none. */
const char *events_type_of(const char *action, const json_t *detail);

/* A page of the feed, as store_event_list. */
int events_page(struct db *db, int64_t after, const char *type, const char *team, bool own,
    int64_t limit, json_t **items, char **next);

/* The newest event's seq (0: none yet). */
int events_newest(struct db *db, int64_t *seq);

/* Drops the events older than before (the newest always stays). */
int events_prune(struct db *db, int64_t before);

#endif
