/* store_webhooks.h: SQL for webhooks, their cursor in the feed, and their deliveries. */
#ifndef GRANTD_STORE_WEBHOOKS_H
#define GRANTD_STORE_WEBHOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct db;

#define WEBHOOK_ID_LEN 32
#define WEBHOOK_SECRET_LEN 72	/* "whsec_" and 64 hex digits, NUL included */
#define WEBHOOK_URL_MAX 2048

/* One webhook as the sender needs it; team "" for an admin's. */
struct webhook {
	char id[WEBHOOK_ID_LEN];
	char url[WEBHOOK_URL_MAX + 1];
	char team[64];
	char secret[WEBHOOK_SECRET_LEN];
	int64_t delivered_seq, failing_since, attempts, next_at, test_at;
};

/*
 * Conventions as in store.h.  Adds a webhook (types: compact JSON array)
 * whose cursor starts at the newest event (it gets what happens from now
 * on); *id is "wh_" and a number.
 */
int store_webhook_insert(struct db *db, const char *url, const char *types, const char *team,
    const char *secret, const char *by, int64_t now, char id[WEBHOOK_ID_LEN]);
/* The API shape, never the secret; GD_ENOENT for none (or deleted). */
int store_webhook_json(struct db *db, const char *id, json_t **out);
/* The team of a live webhook ("" for an admin's): 0 or GD_ENOENT. */
int store_webhook_team(struct db *db, const char *id, char team[64]);
int store_webhook_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next);
int store_webhook_delete(struct db *db, const char *id, int64_t now);
int store_webhook_test(struct db *db, const char *id, int64_t now);

/* Live, enabled webhooks whose next attempt is due at now: malloc'd array. */
int store_webhooks_due(struct db *db, int64_t now, struct webhook **out, size_t *n);

/*
 * The first event after `after` that webhook w takes (its types, its team's
 * copy for a team's), in the feed's shape: GD_ENOENT when none.
 */
int store_webhook_next_event(struct db *db, const struct webhook *w, int64_t after,
    json_t **event);

/* A delivery attempt (event_seq < 0: a test). */
int store_webhook_attempt(struct db *db, const char *id, int64_t event_seq,
    const char *event_id, const char *type, int64_t at, long status, const char *error,
    bool ok, int64_t ms);
/* The event seq was delivered (or a test sent): the cursor moves, failures are forgotten. */
int store_webhook_delivered(struct db *db, const char *id, int64_t seq);
int store_webhook_tested(struct db *db, const char *id);
/* The events up to seq were none the webhook takes: its cursor passes over them. */
int store_webhook_passed(struct db *db, const char *id, int64_t seq);
/* An attempt failed: the next at next_at; first_failed kept if already set. */
int store_webhook_failed(struct db *db, const char *id, int64_t now, int64_t next_at);
int store_webhook_disable(struct db *db, const char *id, int64_t now);

int store_webhook_deliveries(struct db *db, const char *id, int64_t after, int64_t limit,
    json_t **items, char **next);

/*
 * What enabled webhooks are owed (for /metrics): *depth the deliveries
 * waiting (an event counts once per webhook that takes it), *oldest_at the
 * instant of the oldest event among them (0 when none).
 */
int store_webhook_queue(struct db *db, int64_t *depth, int64_t *oldest_at);

#endif
