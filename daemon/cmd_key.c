/* cmd_key.c: `grantd key create|rotate|show`: the signing key beside the database. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmd.h"
#include "err.h"
#include "keys.h"

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
	int rc;

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
		rc = keys_create(&p, alg, clock_now(clock_file), strcmp(verb, "rotate") == 0, &k, err,
		    errlen);
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
