/* sig.h: signatures with named algorithms and key ids: Ed25519 (libsodium), ECDSA P-256 (GnuTLS). */
#ifndef GRANTD_SIG_H
#define GRANTD_SIG_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A signature never says only "a signature": it names its algorithm and
 * the key that made it, so that a verifier holding several public keys
 * (old ones are kept after a rotation) picks the right one, and so that an
 * agency bound to KCMVP-validated algorithms may configure ECDSA P-256
 * instead of the default Ed25519 without changing the format.
 *
 * Text forms, each one token without spaces:
 *   algorithm  "ed25519" | "ecdsa-p256"
 *   key id     16 hex digits: the first 8 bytes of SHA-256 of the public key
 *   public key base64 (standard, padded) of the raw Ed25519 key (32 bytes) or
 *              of the DER SubjectPublicKeyInfo of the P-256 key
 *   signature  base64 of the raw Ed25519 signature (64 bytes) or of the DER
 *              ECDSA-Sig-Value
 */
enum sig_alg {
	SIG_ED25519,
	SIG_ECDSA_P256,
};

#define SIG_KEYID_LEN 16
#define SIG_PUB_MAX 128		/* bytes of a public key (P-256 SPKI is 91) */
#define SIG_SEC_MAX 256		/* bytes of a private key (Ed25519 64; P-256 PKCS#8 DER ~138) */
#define SIG_MAX 80		/* bytes of a signature (Ed25519 64; ECDSA DER at most 72) */
#define SIG_B64_MAX 400		/* base64 of any of the above, with its NUL */

const char *sig_alg_name(enum sig_alg a);
int sig_alg_parse(const char *s, enum sig_alg *a);

struct sig_key {
	enum sig_alg alg;
	char id[SIG_KEYID_LEN + 1];
	unsigned char pub[SIG_PUB_MAX];
	size_t publen;
	unsigned char sec[SIG_SEC_MAX];	/* empty (seclen 0) for a verifying key */
	size_t seclen;
};

/* A new key pair: 0, or GD_EIO when the library cannot make one. */
int sig_generate(enum sig_alg alg, struct sig_key *k);

/*
 * A key from its parts (pub and, for signing, sec), its id derived:
 * 0, or GD_EINVAL when they are not a key of alg.
 */
int sig_key_from(enum sig_alg alg, const unsigned char *pub, size_t publen,
    const unsigned char *sec, size_t seclen, struct sig_key *k);

/* The key id of a public key. */
void sig_key_id(const unsigned char *pub, size_t publen, char id[SIG_KEYID_LEN + 1]);

/* Signs msg with k (which must hold its private part): 0 with *siglen, or GD_EIO. */
int sig_sign(const struct sig_key *k, const void *msg, size_t len, unsigned char sig[SIG_MAX],
    size_t *siglen);

/* Whether sig is k's signature of msg. */
bool sig_verify(const struct sig_key *k, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen);

/* Base64 (standard, padded) of n bytes into out[SIG_B64_MAX]; decoding: 0 or GD_EINVAL. */
void sig_b64(const unsigned char *in, size_t n, char out[SIG_B64_MAX]);
int sig_unb64(const char *in, unsigned char *out, size_t cap, size_t *n);

/* Wipes a key's private part. */
void sig_key_wipe(struct sig_key *k);

#endif
