/* token.c: creating and checking bearer tokens. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "err.h"
#include "token.h"

static const char *const role_names[] = { "admin", "auditor", "team", "agent" };

const char *
role_name(enum role r)
{
	for (int i = 0; i < 4; i++)
		if (r == (enum role)(1 << i))
			return role_names[i];
	return "none";
}

int
role_from_name(const char *s, enum role *r)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(s, role_names[i]) == 0) {
			*r = (enum role)(1 << i);
			return 0;
		}
	}
	return GD_EINVAL;
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
	static const char sql[] = "SELECT id, name, role, team, pool FROM tokens "
	    "WHERE hash = ? AND revoked_at IS NULL";
	sqlite3_stmt *st;
	int rc = GD_ENOENT;

	if ((st = db_prep(db, sql)) == NULL || db_bind(st, "t", hex) < 0)
		return GD_EIO;
	if (sqlite3_step(st) == SQLITE_ROW && role_from_name(db_text(st, 2), &who->role) == 0) {
		snprintf(who->id, sizeof(who->id), "%s", db_text(st, 0));
		snprintf(who->name, sizeof(who->name), "%s", db_text(st, 1));
		snprintf(who->team, sizeof(who->team), "%s", db_text(st, 3));
		snprintf(who->pool, sizeof(who->pool), "%s", db_text(st, 4));
		rc = 0;
	}
	db_done(st);
	return rc;
}

int
token_create(struct db *db, const char *name, enum role role, const char *team,
    const char *pool, int64_t now, char id[TOKEN_ID_LEN + 1],
    char secret[TOKEN_SECRET_LEN + 1])
{
	static const char sql[] = "INSERT INTO tokens (id, name, role, team, pool, hash, "
	    "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)";
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
	rc = db_run(db, sql, "tttttti", nid, name, role_name(role), team, pool, hex, now);
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
	static const char sql[] = "SELECT 1 FROM tokens WHERE id = ? AND revoked_at IS NULL";
	sqlite3_stmt *st;
	int rc;

	if ((st = db_prep(db, sql)) == NULL || db_bind(st, "t", id) < 0)
		return GD_EIO;
	rc = sqlite3_step(st);
	rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GD_ENOENT : GD_EIO;
	db_done(st);
	return rc;
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
