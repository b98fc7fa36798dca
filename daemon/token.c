/* token.c: creating and checking bearer tokens. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "names.h"
#include "store_tokens.h"
#include "token.h"

static const struct name_entry role_names[] = {
	{ ROLE_ADMIN, "admin" }, { ROLE_AUDITOR, "auditor" }, { ROLE_TEAM, "team" },
	{ ROLE_AGENT, "agent" },
};

const char *
role_name(enum role r)
{
	return names_name(role_names, NNAMES(role_names), (int)r, "none");
}

int
role_from_name(const char *s, enum role *r)
{
	int v, rc;

	if ((rc = names_parse(role_names, NNAMES(role_names), s, &v)) == 0)
		*r = (enum role)v;
	return rc;
}

static void
secret_hash(const char *secret, char hex[crypto_hash_sha256_BYTES * 2 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, h, sizeof(h));
}

/*
 * Looks a token up by the hex SHA-256 of its secret, at now; *until is when
 * this secret stops working (-1: never), for the cache.
 */
static int
lookup_hash(struct db *db, const char *hex, int64_t now, struct principal *who,
    int64_t *until, struct token_end *end)
{
	struct token_found t;
	int rc;

	if ((rc = store_token_by_hash(db, hex, &t)) < 0)
		return rc;
	if (t.revoked_at >= 0 || role_from_name(t.role, &who->role) < 0)
		return GD_ENOENT;
	if (t.expires_at >= 0 && now >= t.expires_at) {
		*end = (struct token_end){ .at = t.expires_at, .rotated = false };
		return GD_ESTATE;
	}
	if (t.prev_until >= 0 && now >= t.prev_until) {
		*end = (struct token_end){ .at = t.prev_until, .rotated = true };
		return GD_ESTATE;
	}
	*until = t.expires_at;
	if (t.prev_until >= 0 && (*until < 0 || t.prev_until < *until))
		*until = t.prev_until;
	snprintf(who->id, sizeof(who->id), "%s", t.id);
	snprintf(who->name, sizeof(who->name), "%s", t.name);
	snprintf(who->team, sizeof(who->team), "%s", t.team);
	snprintf(who->pool, sizeof(who->pool), "%s", t.pool);
	snprintf(who->node, sizeof(who->node), "%s", t.node);
	return 0;
}

/* A new secret and its hash. */
static void
new_secret(char sec[TOKEN_SECRET_LEN + 1], char hex[crypto_hash_sha256_BYTES * 2 + 1])
{
	unsigned char key[32];

	randombytes_buf(key, sizeof(key));
	memcpy(sec, "gd_", 3);
	sodium_bin2base64(sec + 3, TOKEN_SECRET_LEN + 1 - 3, key, sizeof(key),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(key, sizeof(key));
	secret_hash(sec, hex);
}

int
token_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, const char *node, int64_t now, int64_t expires_at,
    char id[TOKEN_ID_LEN + 1], char secret[TOKEN_SECRET_LEN + 1])
{
	unsigned char idb[8];
	char hex[crypto_hash_sha256_BYTES * 2 + 1], nid[TOKEN_ID_LEN + 1];
	char sec[TOKEN_SECRET_LEN + 1];
	int rc;

	randombytes_buf(idb, sizeof(idb));
	memcpy(nid, "tok_", 4);
	sodium_bin2hex(nid + 4, sizeof(nid) - 4, idb, sizeof(idb));
	new_secret(sec, hex);
	rc = store_token_insert(db, &(struct token_row){ nid, name, role_name(role), team, pool,
	    node, hex, expires_at }, now);
	if (rc < 0)
		return rc;
	memcpy(id, nid, sizeof(nid));
	memcpy(secret, sec, sizeof(sec));
	sodium_memzero(sec, sizeof(sec));
	return 0;
}

int
token_rotate(struct db *db, const char *id, int64_t now, int64_t grace, int64_t expires_at,
    char secret[TOKEN_SECRET_LEN + 1])
{
	char hex[crypto_hash_sha256_BYTES * 2 + 1], sec[TOKEN_SECRET_LEN + 1];
	int rc;

	new_secret(sec, hex);
	if ((rc = store_token_rotate(db, id, hex, now, now + grace, expires_at)) == 0)
		memcpy(secret, sec, sizeof(sec));
	sodium_memzero(sec, sizeof(sec));
	return rc;
}

int
token_lookup(struct db *db, const char *secret, int64_t now, struct principal *who,
    struct token_end *end)
{
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	int64_t until;

	secret_hash(secret, hex);
	return lookup_hash(db, hex, now, who, &until, end);
}

int
token_live(struct db *db, const char *id)
{
	return store_token_live(db, id);
}

int
token_lookup_cached(struct token_cache *c, struct db *db, const char *secret, int64_t now,
    struct principal *who, struct token_end *end)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	int64_t until = -1;
	size_t i;
	int rc;

	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	/* The digest is uniform: its first bytes pick the slot. */
	i = ((size_t)h[0] << 8 | h[1]) % TOKEN_CACHE_SLOTS;
	if (c->slot[i].used && sodium_memcmp(c->slot[i].hash, h, sizeof(h)) == 0) {
		/* A secret past its end is asked of the database, which says why. */
		if (c->slot[i].until < 0 || now < c->slot[i].until) {
			*who = c->slot[i].who;
			c->hits++;
			return 0;
		}
		c->slot[i].used = false;
	}
	c->misses++;
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if ((rc = lookup_hash(db, hex, now, who, &until, end)) == 0 && !c->held) {
		memcpy(c->slot[i].hash, h, sizeof(h));
		c->slot[i].who = *who;
		c->slot[i].until = until;
		c->slot[i].used = true;
	}
	return rc;
}

void
token_cache_seen(struct token_cache *c, const char *id, int64_t at)
{
	for (size_t i = 0; i < c->nseen; i++) {
		if (strcmp(c->seen[i].id, id) == 0) {
			if (at > c->seen[i].at)
				c->seen[i].at = at;
			return;
		}
	}
	/* Full: this use goes unnoted; the token's next one a minute later is. */
	if (c->nseen == TOKEN_SEEN_MAX)
		return;
	snprintf(c->seen[c->nseen].id, sizeof(c->seen[0].id), "%s", id);
	c->seen[c->nseen++].at = at;
}

size_t
token_cache_take(struct token_cache *c, struct token_seen *seen)
{
	size_t n = c->nseen;

	memcpy(seen, c->seen, n * sizeof(*seen));
	c->nseen = 0;
	return n;
}

/* A revocation is in the open batch: no principal may be answered from memory now. */
void
token_cache_hold(struct token_cache *c)
{
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++)
		c->slot[i].used = false;
	c->held = true;
}

void
token_cache_settle(struct token_cache *c)
{
	if (!c->held)
		return;
	for (size_t i = 0; i < TOKEN_CACHE_SLOTS; i++)
		c->slot[i].used = false;
	c->held = false;
}
