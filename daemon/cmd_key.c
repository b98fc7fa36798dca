/* cmd_key.c: `grantd key create|rotate|show`: the signing key beside the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cmd.h"
#include "db.h"
#include "err.h"
#include "keys.h"
#include "maint.h"

/*
 * A key made where there is no database yet (the Debian package makes one
 * at install, before the first start) begins the database first, empty,
 * as that start would (maint_prepare: only where no earlier database left
 * its files): a start that finds the key with no database beside it takes
 * it for a lost database and refuses.  Returns the lock's fd, held while
 * the key is written; -1 when a database is there already (written with
 * none, as the running daemon may hold it); -2 with err on failure.
 */
static int
begin_database(const char *db_path, const char *verb, char *err, size_t errlen)
{
	struct maint_notes *notes;
	char who[32];
	struct db *db;
	int lock;

	if (maint_db_present(db_path))
		return -1;
	if ((notes = malloc(sizeof(*notes))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	snprintf(who, sizeof(who), "key %s", verb);
	lock = maint_prepare(db_path, false, who, notes, err, errlen);
	free(notes);
	if (lock < 0)
		return -2;
	if (maint_open_writer(db_path, 5000, &db, err, errlen) < 0) {
		close(lock);
		return -2;
	}
	db_close(db);
	return lock;
}

int
cmd_key(const char *verb, const char *db_path, const char *alg_name, const char *clock_file,
    FILE *out, char *err, size_t errlen)
{
	enum sig_alg alg = SIG_ED25519;
	struct sig_key k, *ring = NULL;
	struct key_paths p;
	size_t n = 0;
	char line[2048];
	FILE *f;
	int rc, lock;

	err[0] = '\0';
	if (db_path == NULL) {
		snprintf(err, errlen, "key %s needs --db (the keys live beside the database)", verb);
		return 2;
	}
	if (alg_name && sig_alg_parse(alg_name, &alg) < 0) {
		snprintf(err, errlen, "--algorithm must be ed25519 or ecdsa-p256");
		return 2;
	}
	keys_paths(db_path, &p);
	/* A rotation keeps the current key's algorithm unless told otherwise. */
	if (strcmp(verb, "rotate") == 0 && alg_name == NULL &&
	    keys_load(&p, &k, err, errlen) == 0) {
		alg = k.alg;
		sig_key_wipe(&k);
	}
	if (strcmp(verb, "create") == 0 || strcmp(verb, "rotate") == 0) {
		if ((lock = begin_database(db_path, verb, err, errlen)) == -2)
			return 1;
		rc = keys_create(&p, alg, clock_now(clock_file), strcmp(verb, "rotate") == 0, &k, err,
		    errlen);
		if (lock >= 0)
			close(lock);
		if (rc < 0)
			return 1;
		fprintf(out, "%s key %s in %s; public keys in %s\n", sig_alg_name(k.alg), k.id,
		    p.key, p.ring);
		sig_key_wipe(&k);
		return 0;
	}
	if (strcmp(verb, "show") != 0) {
		snprintf(err, errlen, "key takes create, rotate or show");
		return 2;
	}
	/* The ring as it is, checked: what a verifier is given. */
	if ((rc = keys_ring(p.ring, &ring, &n, err, errlen)) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "no public keys in %s: `grantd key create` makes one",
			    p.ring);
		return 1;
	}
	free(ring);
	if ((f = fopen(p.ring, "re")) == NULL) {
		snprintf(err, errlen, "cannot read %s", p.ring);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, out);
	fclose(f);
	return 0;
}
