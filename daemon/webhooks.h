/* webhooks.h: webhooks: registration (the service) and the sender on the loop. */
#ifndef GRANTD_WEBHOOKS_H
#define GRANTD_WEBHOOKS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "store_webhooks.h"

struct app;
struct db;

/*
 * Registers a webhook: url (https://, or http:// when allow_http), types a
 * JSON array of event types or ["*"], team NULL for an admin's.  *out is the
 * webhook in the API shape with its secret, shown this once.  GD_EINVAL
 * with err for a URL or types refused.
 */
int webhooks_create(struct db *db, const char *url, const json_t *types, const char *team,
    bool allow_http, const char *by, int64_t now, json_t **out, char *err, size_t errlen);
int webhooks_get(struct db *db, const char *id, json_t **out);
/* The team of webhook id ("" for an admin's): 0 or GD_ENOENT. */
int webhooks_team(struct db *db, const char *id, char team[64]);
int webhooks_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next);
int webhooks_delete(struct db *db, const char *id, int64_t now);
int webhooks_test(struct db *db, const char *id, int64_t now);
int webhooks_deliveries(struct db *db, const char *id, int64_t after, int64_t limit,
    json_t **items, char **next);

/*
 * The signature header's value for body sent at t: "t=T,v1=HEX", HEX the
 * HMAC-SHA256 keyed by secret of "T.BODY".
 */
#define WEBHOOK_SIG_LEN 96
void webhooks_sign(const char *secret, int64_t t, const char *body, size_t len,
    char out[WEBHOOK_SIG_LEN]);

/*
 * The sender: libcurl's multi interface on the loop.  Every tick reads the
 * due webhooks from the reader connection (committed events only) and sends
 * each its next event, one at a time per webhook, so that deliveries keep
 * the feed's order; the outcome is written through the group commit.
 * Owned by the loop: start after the app is open, stop before it closes.
 */
struct webhooks_sender;
int webhooks_start(struct app *app, uv_loop_t *loop, struct webhooks_sender **out);
void webhooks_stop(struct webhooks_sender *s);

/* Whether the address is loopback, private, link-local, metadata or unspecified. */
struct sockaddr;
bool webhooks_addr_private(const struct sockaddr *sa);

#endif
