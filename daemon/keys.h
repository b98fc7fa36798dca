/* keys.h: grantd's signing key and the public keys kept for verification, as files. */
#ifndef GRANTD_KEYS_H
#define GRANTD_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"

/*
 * Where the signing material lives: beside the database (the service's
 * state directory), so that a backup, a restore and the unit's
 * StateDirectory= keep them together:
 *	grantd-signing.key      the private key, mode 0600, one line
 *	                        "ALG KEYID SECRET-BASE64 PUBLIC-BASE64"
 *	grantd-signing.pub      every public key grantd has signed with, one
 *	                        per line "ALG KEYID PUBLIC-BASE64 CREATED",
 *	                        oldest first; the last is the current one.
 *	                        Kept across rotations, so that old checkpoints
 *	                        and reports still verify.  `grantd key show`
 *	                        prints it; give it to whoever verifies.
 *	grantd-checkpoints.jsonl  the checkpoints, one JSON line each, appended
 *	                        and never rewritten (checkpoints.h).
 */
#define KEYS_PATH_MAX 4096

struct key_paths {
	char key[KEYS_PATH_MAX], ring[KEYS_PATH_MAX], checkpoints[KEYS_PATH_MAX];
};

/* The paths of a database's signing files: always beside it. */
void keys_paths(const char *db_path, struct key_paths *p);

/* The signing key: 0, GD_ENOENT (no key file) or GD_EINVAL/GD_EIO with err. */
int keys_load(const struct key_paths *p, struct sig_key *k, char *err, size_t errlen);

/* The public keys of the ring (malloc'd array, free()): 0, GD_ENOENT, or GD_EINVAL with err. */
int keys_ring(const char *path, struct sig_key **keys, size_t *n, char *err, size_t errlen);

/*
 * A new signing key of alg, at instant now: written (the private key file
 * made anew, never readable by others) and its public key appended to the
 * ring.  rotate false refuses (GD_EEXIST) when a key file exists; true
 * replaces it (the old public key stays in the ring).
 */
int keys_create(const struct key_paths *p, enum sig_alg alg, int64_t now, bool rotate,
    struct sig_key *k, char *err, size_t errlen);

/* The signing key, made (of alg) when there is none yet: *made says so. */
int keys_ensure(const struct key_paths *p, enum sig_alg alg, int64_t now, struct sig_key *k,
    bool *made, char *err, size_t errlen);

#endif
