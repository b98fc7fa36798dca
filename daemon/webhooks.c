/* webhooks.c: webhooks registered, listed, deleted and tested; the signature of a delivery. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "webhooks.h"

#define TYPES_MAX 64

/* The shape of an event type, or "*". */
static bool
type_ok(const char *s)
{
	size_t n = strlen(s);

	return strcmp(s, "*") == 0 || (n >= 1 && n <= 64 &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz._") == n);
}

/* https:// (or http:// when allowed) with a host, no user name or password in it. */
static int
url_check(const char *url, bool allow_http, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	int rc = GD_EINVAL;

	if (u == NULL)
		return GD_ENOMEM;
	if (strlen(url) > WEBHOOK_URL_MAX || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(err, errlen, "url must be an absolute http(s) URL of at most %d bytes",
		    WEBHOOK_URL_MAX);
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	if (scheme == NULL || (strcmp(scheme, "https") != 0 &&
	    !(allow_http && strcmp(scheme, "http") == 0))) {
		snprintf(err, errlen, "url must be https://%s", allow_http ? " or http://" : "");
		goto out;
	}
	if (host == NULL || host[0] == '\0') {
		snprintf(err, errlen, "url has no host");
		goto out;
	}
	if (user != NULL) {
		snprintf(err, errlen, "url must not carry a user name or password");
		goto out;
	}
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

int
webhooks_create(struct db *db, const char *url, const json_t *types, const char *team,
    bool allow_http, const char *by, int64_t now, json_t **out, char *err, size_t errlen)
{
	unsigned char key[32];
	char secret[WEBHOOK_SECRET_LEN], id[WEBHOOK_ID_LEN], *tj;
	json_t *t;
	size_t i;
	int rc;

	if ((rc = url_check(url, allow_http, err, errlen)) < 0)
		return rc;
	if (json_array_size(types) == 0 || json_array_size(types) > TYPES_MAX) {
		snprintf(err, errlen, "types must list 1 to %d event types, or [\"*\"]", TYPES_MAX);
		return GD_EINVAL;
	}
	json_array_foreach(types, i, t) {
		if (!json_is_string(t) || !type_ok(json_string_value(t))) {
			snprintf(err, errlen, "types[%zu] must be an event type such as "
			    "outage.recorded, or \"*\"", i);
			return GD_EINVAL;
		}
	}
	randombytes_buf(key, sizeof(key));
	memcpy(secret, "whsec_", 6);
	sodium_bin2hex(secret + 6, sizeof(secret) - 6, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	if ((tj = json_dumps(types, JSON_COMPACT)) == NULL)
		return GD_ENOMEM;
	rc = store_webhook_insert(db, url, tj, team, secret, by, now, id);
	free(tj);
	if (rc == 0 && (rc = store_webhook_json(db, id, out)) == 0)
		json_object_set_new(*out, "secret", json_string(secret));
	sodium_memzero(secret, sizeof(secret));
	return rc;
}

int
webhooks_get(struct db *db, const char *id, json_t **out)
{
	return store_webhook_json(db, id, out);
}

int
webhooks_team(struct db *db, const char *id, char team[64])
{
	return store_webhook_team(db, id, team);
}

int
webhooks_list(struct db *db, const char *team, const char *after, int64_t limit,
    json_t **items, char **next)
{
	return store_webhook_list(db, team, after, limit, items, next);
}

int
webhooks_delete(struct db *db, const char *id, int64_t now)
{
	return store_webhook_delete(db, id, now);
}

int
webhooks_test(struct db *db, const char *id, int64_t now)
{
	return store_webhook_test(db, id, now);
}

int
webhooks_deliveries(struct db *db, const char *id, int64_t after, int64_t limit,
    json_t **items, char **next)
{
	return store_webhook_deliveries(db, id, after, limit, items, next);
}

void
webhooks_sign(const char *secret, int64_t t, const char *body, size_t len,
    char out[WEBHOOK_SIG_LEN])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char ts[24], hex[2 * crypto_auth_hmacsha256_BYTES + 1];

	snprintf(ts, sizeof(ts), "%lld.", (long long)t);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, WEBHOOK_SIG_LEN, "t=%lld,v1=%s", (long long)t, hex);
}
