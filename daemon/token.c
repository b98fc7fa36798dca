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

/* Looks a token up by the hex SHA-256 of its secret. */
static int
lookup_hash(struct db *db, const char *hex, struct principal *who)
{
	struct token_found t;
	int rc;

	if ((rc = store_token_by_hash(db, hex, &t)) < 0)
		return rc;
	if (role_from_name(t.role, &who->role) < 0)
		return GD_ENOENT;
	snprintf(who->id, sizeof(who->id), "%s", t.id);
	snprintf(who->name, sizeof(who->name), "%s", t.name);
	snprintf(who->team, sizeof(who->team), "%s", t.team);
	snprintf(who->pool, sizeof(who->pool), "%s", t.pool);
	return 0;
}

int
token_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, int64_t now, char id[TOKEN_ID_LEN + 1],
    char secret[TOKEN_SECRET_LEN + 1])
{
	unsigned char key[32], idb[8];
	char hex[crypto_hash_sha256_BYTES * 2 + 1], nid[TOKEN_ID_LEN + 1];
	char sec[TOKEN_SECRET_LEN + 1];
	int rc;

	randombytes_buf(key, sizeof(key));
	randombytes_buf(idb, sizeof(idb));
	memcpy(sec, "gd_", 3);
	sodium_bin2base64(sec + 3, sizeof(sec) - 3, key, sizeof(key),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(key, sizeof(key));
	memcpy(nid, "tok_", 4);
	sodium_bin2hex(nid + 4, sizeof(nid) - 4, idb, sizeof(idb));
	secret_hash(sec, hex);
	rc = store_token_insert(db, &(struct token_row){ nid, name, role_name(role), team, pool,
	    hex }, now);
	if (rc < 0)
		return rc;
	memcpy(id, nid, sizeof(nid));
	memcpy(secret, sec, sizeof(sec));
	sodium_memzero(sec, sizeof(sec));
	return 0;
}

int
token_lookup(struct db *db, const char *secret, struct principal *who)
{
	char hex[crypto_hash_sha256_BYTES * 2 + 1];

	secret_hash(secret, hex);
	return lookup_hash(db, hex, who);
}

int
token_live(struct db *db, const char *id)
{
	return store_token_live(db, id);
}

int
token_lookup_cached(struct token_cache *c, struct db *db, const char *secret,
    struct principal *who)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	size_t i;
	int rc;

	crypto_hash_sha256(h, (const unsigned char *)secret, strlen(secret));
	/* The digest is uniform: its first bytes pick the slot. */
	i = ((size_t)h[0] << 8 | h[1]) % TOKEN_CACHE_SLOTS;
	if (c->slot[i].used && sodium_memcmp(c->slot[i].hash, h, sizeof(h)) == 0) {
		*who = c->slot[i].who;
		c->hits++;
		return 0;
	}
	c->misses++;
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	if ((rc = lookup_hash(db, hex, who)) == 0 && !c->held) {
		memcpy(c->slot[i].hash, h, sizeof(h));
		c->slot[i].who = *who;
		c->slot[i].used = true;
	}
	return rc;
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
