/* router.c: route matching, authentication, idempotency and savepoints. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "civil.h"
#include "commit.h"
#include "db.h"
#include "err.h"
#include "router.h"
#include "store_idempotency.h"
#include "token.h"

const struct route *const route_tables[] = {
	routes_service,
	routes_metrics,
	routes_tokens,
	routes_catalog,
	routes_orgs,
	routes_audit,
	routes_pools,
	routes_nodes,
	routes_enroll,
	routes_grants,
	routes_vouchers,
	routes_usage,
	routes_events,
	routes_webhooks,
	NULL,
};

/* Compares one pattern against the split path; fills params on a match. */
static bool
pattern_match(const char *pat, char **segs, int nsegs, struct request *rq)
{
	int i = 0, np = 0;
	const char *p = pat + 1, *e;
	size_t len;

	while (*p || i < nsegs) {
		if (i >= nsegs || *p == '\0')
			return false;
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (p[0] == '{') {
			if (segs[i][0] == '\0' || np >= REQ_MAX_PARAMS)
				return false;
			rq->params[np++] = segs[i];
		} else if (strlen(segs[i]) != len || memcmp(segs[i], p, len) != 0) {
			return false;
		}
		i++;
		p = e ? e + 1 : p + len;
	}
	rq->nparams = np;
	return true;
}

const struct route *
router_match(const char *method, const char *path, struct request *rq, char *buf,
    size_t buflen, bool *path_known)
{
	char *segs[16];
	int nsegs = 0;
	size_t len = strlen(path);

	*path_known = false;
	if (path[0] != '/' || len >= buflen)
		return NULL;
	memcpy(buf, path + 1, len);
	for (char *p = buf, *s = buf;; p++) {
		if (*p == '/' || *p == '\0') {
			if (nsegs == 16)
				return NULL;
			segs[nsegs++] = s;
			if (*p == '\0')
				break;
			*p = '\0';
			s = p + 1;
		}
	}
	for (int t = 0; route_tables[t]; t++) {
		for (const struct route *r = route_tables[t]; r->method; r++) {
			if (!pattern_match(r->pattern, segs, nsegs, rq))
				continue;
			/* HEAD is GET without the body (libmicrohttpd leaves it out). */
			if (strcmp(r->method, method) == 0 || (strcmp(method, "HEAD") == 0 &&
			    strcmp(r->method, "GET") == 0))
				return r;
			*path_known = true;
		}
	}
	return NULL;
}

/*
 * The reply in rs waits for the open batch's COMMIT: it was decided from
 * state the batch wrote, so it is true only if the batch commits (if not,
 * the HTTP layer answers 503 instead).  False, with a 503 in rs, when there
 * is no batch left to wait for: SQLite rolled it back by itself.
 */
static bool
after_commit(struct app *app, struct response *rs)
{
	if (commit_pending(app) && commit_intact(app))
		return true;
	resp_error(rs, GD_EIO, "storage failed (disk full or I/O error); nothing was applied");
	return false;
}

/*
 * Whether the principal's token is still live on the writer, where the open
 * batch's revocations are.  Returns 0 when it is; otherwise rs holds the
 * refusal (401, or 503 when the token cannot be read).
 */
static int
still_live(struct request *rq, struct response *rs)
{
	int rc = token_live(rq->app->w, rq->who->id);

	if (rc == GD_ENOENT)
		resp_problem(rs, 401, "unauthorized", "unknown or revoked token");
	else if (rc < 0)
		resp_error(rs, GD_EIO, "cannot read tokens");
	return rc;
}

/*
 * Returns 0 when the request may go on, -1 when rs holds a refusal to send
 * now, 1 when rs holds a refusal that waits for the open batch's COMMIT.
 */
static int
authenticate(const struct route *r, struct request *rq, const char *auth,
    struct principal *who, struct response *rs)
{
	char at[APP_WHEN_LEN];
	struct token_end end;
	const char *secret;
	int rc = 0;

	if ((r->flags & ROUTE_PUBLIC) ||
	    ((r->flags & ROUTE_METRICS) && !rq->app->cfg.server.metrics_require_auth))
		return 0;
	if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0) {
		resp_problem(rs, 401, "unauthorized", "an Authorization: Bearer token is required");
		return -1;
	}
	secret = auth + 7;
	while (*secret == ' ')
		secret++;
	if (strlen(secret) > 512 || (rc = token_lookup_cached(&rq->app->tokens, rq->app->r,
	    secret, rq->now, who, &end)) < 0) {
		if (rc == GD_ESTATE) {
			app_format_when(rq->app, end.at, at);
			resp_problem(rs, 401, "unauthorized", end.rotated ? "this secret was "
			    "replaced by a rotation; it stopped working at %s" : "token expired at %s",
			    at);
		} else {
			resp_problem(rs, 401, "unauthorized", "unknown or revoked token");
		}
		return -1;
	}
	rq->who = who;
	token_cache_seen(&rq->app->tokens, who->id, rq->now);
	/*
	 * The cache and the reader know committed tokens only.  While the open
	 * batch holds a revocation, a token it revoked is refused to every
	 * request decided after it (reads too, and before the role check), and
	 * the refusal waits for the COMMIT that makes the revocation true.
	 */
	if (rq->app->tokens.held && commit_pending(rq->app) && (rc = still_live(rq, rs)) != 0) {
		if (rc != GD_ENOENT)
			return -1;
		if (commit_reserve(rq->app) < 0) {
			resp_error(rs, GD_ENOMEM, "out of memory");
			return -1;
		}
		return after_commit(rq->app, rs) ? 1 : -1;
	}
	if (who->role != ROLE_ADMIN && !(r->roles & who->role)) {
		resp_problem(rs, 403, "forbidden", "role %s may not %s %s",
		    role_name(who->role), rq->method, rq->path);
		return -1;
	}
	return 0;
}

/*
 * SHA-256 over method, path and body, so a key reused elsewhere is caught.
 * "The same body" is the same JSON value: a body that parses is hashed in
 * its canonical form (sorted keys, no blanks), so a client that re-encodes
 * its retry in another key order is still recognised; any other body by its
 * bytes.  legacy: the bytes alone, as before the canonical form (keys kept
 * from an older grantd still match).
 */
static void
request_hash(const struct request *rq, bool legacy, char hex[65])
{
	static const char v2[] = "grantd-idempotency-2";
	crypto_hash_sha256_state s;
	unsigned char h[crypto_hash_sha256_BYTES];
	const char *body = rq->body ? rq->body : "";
	size_t len = rq->body_len;
	char *canon = NULL;
	json_t *j;

	if (!legacy && len > 0 && (j = json_loadb(body, len, JSON_REJECT_DUPLICATES |
	    JSON_DECODE_ANY, NULL)) != NULL) {
		canon = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		json_decref(j);
		if (canon != NULL) {
			body = canon;
			len = strlen(canon);
		}
	}
	crypto_hash_sha256_init(&s);
	if (!legacy)
		crypto_hash_sha256_update(&s, (const unsigned char *)v2, sizeof(v2));
	crypto_hash_sha256_update(&s, (const unsigned char *)rq->method, strlen(rq->method) + 1);
	crypto_hash_sha256_update(&s, (const unsigned char *)rq->path, strlen(rq->path) + 1);
	crypto_hash_sha256_update(&s, (const unsigned char *)body, len);
	crypto_hash_sha256_final(&s, h);
	sodium_bin2hex(hex, 65, h, sizeof(h));
	free(canon);
}

static bool
valid_idem_key(const char *k)
{
	size_t n = strlen(k);

	if (n < 1 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x20 || k[i] > 0x7e)
			return false;
	return true;
}

/*
 * A secret in a stored reply: "sealed:" and the URL-safe base64 of a nonce
 * and the secretbox of the secret under app->seal_key.  The disk never
 * holds the secret; this process alone can open it for a replay.
 */
#define SEALED "sealed:"
#define SEAL_SECRET_MAX 128	/* a token is 64 bytes, a webhook's secret 70 */
#define SEAL_RAW (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + SEAL_SECRET_MAX)

static json_t *
seal_secret(const struct app *app, const char *secret)
{
	unsigned char raw[SEAL_RAW];
	char b64[sizeof(SEALED) + 2 * SEAL_RAW];
	size_t n = strlen(secret);

	if (n > SEAL_SECRET_MAX)
		return NULL;
	randombytes_buf(raw, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(raw + crypto_secretbox_NONCEBYTES, (const unsigned char *)secret,
	    n, raw, app->seal_key);
	memcpy(b64, SEALED, sizeof(SEALED) - 1);
	sodium_bin2base64(b64 + sizeof(SEALED) - 1, sizeof(b64) - sizeof(SEALED) + 1, raw,
	    crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return json_string(b64);
}

/* The secret again, or a note that it was shown once (sealed by an earlier process). */
static json_t *
open_secret(const struct app *app, const char *sealed)
{
	unsigned char raw[SEAL_RAW];
	char secret[SEAL_SECRET_MAX + 1];
	size_t n;

	if (strncmp(sealed, SEALED, sizeof(SEALED) - 1) != 0 ||
	    sodium_base642bin(raw, sizeof(raw), sealed + sizeof(SEALED) - 1,
	    strlen(sealed + sizeof(SEALED) - 1), NULL, &n, NULL,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
	    crypto_secretbox_open_easy((unsigned char *)secret, raw + crypto_secretbox_NONCEBYTES,
	    n - crypto_secretbox_NONCEBYTES, raw, app->seal_key) != 0)
		return json_string("(shown once; not stored)");
	secret[n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES] = '\0';
	return json_stringn_nocheck(secret, strlen(secret));
}

/* The members of a reply that hold a secret: a new token's, a webhook's signing key. */
static const char *const secret_fields[] = { "token", "secret" };
#define NSECRET_FIELDS (sizeof(secret_fields) / sizeof(secret_fields[0]))

static bool
legacy_match(const struct request *rq, const char *stored)
{
	char old[65];

	request_hash(rq, true, old);
	return strcmp(old, stored) == 0;
}

/*
 * Returns 1 when a stored response was replayed into rs, 0 when the request
 * must run, -1 when rs holds a problem.  Runs on the writer inside the
 * transaction, so a repeat within the same batch sees the first attempt.
 */
static int
idem_lookup(const struct request *rq, const char *hash, struct response *rs)
{
	int64_t keep = (int64_t)rq->app->cfg.programme.idempotency_retention_hours * 3600;
	char *stored = NULL, *body = NULL;
	const char *tok;
	int rc, status;
	json_t *j;

	rc = store_idempotency_get(rq->db, rq->who->id, rq->idem_key, rq->now - keep, &stored,
	    &status, &body);
	if (rc == GD_EIO || rc == GD_ENOMEM) {
		resp_error(rs, GD_EIO, "cannot read idempotency keys");
		return -1;
	}
	if (rc < 0)
		return 0;
	if (strcmp(stored, hash) != 0 && !legacy_match(rq, stored)) {
		resp_problem(rs, 422, "idempotency_key_reused", "Idempotency-Key '%s' "
		    "was used for a different request", rq->idem_key);
		rc = -1;
	} else if ((j = json_loads(body, JSON_DECODE_ANY, NULL)) != NULL) {
		if (json_is_null(j)) {
			json_decref(j);
			j = NULL;
		}
		for (size_t i = 0; i < NSECRET_FIELDS; i++) {
			tok = json_string_value(json_object_get(j, secret_fields[i]));
			if (tok != NULL && strncmp(tok, SEALED, sizeof(SEALED) - 1) == 0)
				json_object_set_new(j, secret_fields[i], open_secret(rq->app, tok));
		}
		resp_json(rs, status, j);
		rs->replayed = true;
		rs->problem = rs->status >= 400;
		rc = 1;
	} else {
		resp_error(rs, GD_EIO, "stored idempotent response is unreadable");
		rc = -1;
	}
	free(stored);
	free(body);
	return rc;
}

/*
 * Stores a successful reply for replays.  A secret (a new token, a
 * webhook's signing secret) is stored sealed (see seal_secret), never in
 * the clear.
 */
static int
idem_store(const struct request *rq, unsigned flags, const char *hash,
    const struct response *rs)
{
	json_t *copy = rs->json ? json_copy(rs->json) : json_null();
	const char *f;
	char *body;
	int rc;

	if (copy == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; (flags & ROUTE_SECRET) && i < NSECRET_FIELDS; i++) {
		f = secret_fields[i];
		if (json_is_string(json_object_get(copy, f)) && json_object_set_new(copy, f,
		    seal_secret(rq->app, json_string_value(json_object_get(copy, f)))) < 0) {
			json_decref(copy);
			return GD_ENOMEM;
		}
	}
	body = json_dumps(copy, RESP_JSON_FLAGS | JSON_ENCODE_ANY);
	json_decref(copy);

	if (body == NULL)
		return GD_ENOMEM;
	rc = store_idempotency_put(rq->db, rq->who->id, rq->idem_key, hash,
	    (int64_t)rs->status, body, rq->now);
	free(body);
	return rc;
}

/*
 * Runs a change in its own savepoint inside the batch transaction.  Every
 * reply decided there waits for the batch's COMMIT (returns true), refusals
 * and replays included: each was decided from state the batch may have
 * written (a conflict with a change not yet durable, a key stored in it),
 * and a batch whose COMMIT fails answers all of its requests 503.  Only a
 * reply decided before the batch (a malformed key) or with no batch left
 * (storage failed) goes out at once.
 */
static bool
run_write(const struct route *r, struct request *rq, struct response *rs)
{
	/* A read that keeps a record is not a change: a key means nothing to it. */
	const char *key = (r->flags & ROUTE_WRITE) ? rq->idem_key : NULL;
	char hash[65];
	int rc;

	if (key && !valid_idem_key(key)) {
		resp_problem(rs, 400, "bad_request",
		    "Idempotency-Key must be 1 to 255 printable ASCII characters");
		return false;
	}
	if (commit_reserve(rq->app) < 0) {
		resp_error(rs, GD_ENOMEM, "out of memory");
		return false;
	}
	if (commit_begin(rq->app) < 0) {
		resp_error(rs, GD_EIO, "storage cannot start a transaction");
		return false;
	}
	rq->db = rq->app->w;
	if (db_savepoint(rq->db, "req") < 0) {
		resp_error(rs, GD_EIO, "storage cannot start a savepoint");
		return false;
	}
	/*
	 * The token again, in the batch: a revocation earlier in it is
	 * invisible to the cache and the reader that authenticated us.
	 */
	if (rq->who && still_live(rq, rs) != 0) {
		db_release(rq->db, "req");
		return after_commit(rq->app, rs);
	}
	if (key) {
		request_hash(rq, false, hash);
		rc = idem_lookup(rq, hash, rs);
		if (rc != 0) {
			/* A replay, or a key reused: both read from the batch. */
			db_release(rq->db, "req");
			return after_commit(rq->app, rs);
		}
	}
	r->fn(rq, rs);
	if (rs->status < 300 && key && idem_store(rq, r->flags, hash, rs) < 0) {
		resp_error(rs, GD_EIO, "cannot store the idempotency key");
	}
	if (!commit_intact(rq->app)) {
		resp_error(rs, GD_EIO, "storage failed (disk full or I/O error); nothing was "
		    "applied");
		return false;
	}
	if (rs->status >= 300) {
		db_rollback_to(rq->db, "req");
		/*
		 * A refusal is the first response too: a repeat gets it again.
		 * Only 5xx, where nothing was decided, leaves the key unused.
		 * The key is stored in the batch, so it is kept only if the
		 * batch commits -- and only then is the refusal sent.
		 */
		if (rs->status < 500 && key)
			idem_store(rq, r->flags, hash, rs);
		db_release(rq->db, "req");
		return after_commit(rq->app, rs);
	}
	if (db_release(rq->db, "req") < 0) {
		db_rollback_to(rq->db, "req");
		db_release(rq->db, "req");
		resp_error(rs, GD_EIO, "storage cannot release the savepoint");
		return false;
	}
	return true;
}

/* The methods a path answers to, for a 405's Allow header: "GET, POST". */
static void
allowed_methods(const char *path, char *out, size_t len)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE" };
	struct request tmp;
	char buf[2048];
	bool known;
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (router_match(methods[i], path, &tmp, buf, sizeof(buf), &known) == NULL)
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? ", " : "", methods[i]);
		if (n >= len)
			break;
	}
}

bool
dispatch(struct request *rq, const char *auth, struct principal *who, struct response *rs)
{
	char buf[2048];
	const struct route *r;
	bool known;

	rq->db = rq->app->r;
	r = router_match(rq->method, rq->path, rq, buf, sizeof(buf), &known);
	rq->route = r ? r->pattern : "unmatched";
	if (r == NULL) {
		if (known) {
			resp_problem(rs, 405, "method_not_allowed", "%s is not allowed on %s",
			    rq->method, rq->path);
			allowed_methods(rq->path, rs->allow, sizeof(rs->allow));
		}
		else
			resp_problem(rs, 404, "not_found", "no route for %s %s", rq->method,
			    rq->path);
		return false;
	}
	switch (authenticate(r, rq, auth, who, rs)) {
	case -1:
		return false;
	case 1:
		return true;
	}
	if (rq->app->stopping && (r->flags & (ROUTE_WRITE | ROUTE_KEEPS))) {
		resp_problem(rs, 503, "unavailable", "grantd is shutting down");
		return false;
	}
	if (r->flags & (ROUTE_WRITE | ROUTE_KEEPS))
		return run_write(r, rq, rs);
	r->fn(rq, rs);
	return false;
}
