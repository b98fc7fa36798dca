/* sig.c: Ed25519 through libsodium; ECDSA P-256 through GnuTLS (see sig_p256.c). */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "names.h"
#include "sig.h"

static const struct name_entry alg_names[] = {
	{ SIG_ED25519, "ed25519" }, { SIG_ECDSA_P256, "ecdsa-p256" },
};

const char *
sig_alg_name(enum sig_alg a)
{
	return names_name(alg_names, NNAMES(alg_names), (int)a, "unknown");
}

int
sig_alg_parse(const char *s, enum sig_alg *a)
{
	int v, rc;

	if ((rc = names_parse(alg_names, NNAMES(alg_names), s, &v)) == 0)
		*a = (enum sig_alg)v;
	return rc;
}

void
sig_key_id(const unsigned char *pub, size_t publen, char id[SIG_KEYID_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, pub, publen);
	sodium_bin2hex(id, SIG_KEYID_LEN + 1, h, SIG_KEYID_LEN / 2);
}

/* The P-256 half, in sig_p256.c: GnuTLS is its only user. */
int sig_p256_generate(struct sig_key *k);
int sig_p256_check(const unsigned char *pub, size_t publen, const unsigned char *sec,
    size_t seclen);
int sig_p256_sign(const struct sig_key *k, const void *msg, size_t len,
    unsigned char sig[SIG_MAX], size_t *siglen);
bool sig_p256_verify(const struct sig_key *k, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen);

int
sig_generate(enum sig_alg alg, struct sig_key *k)
{
	memset(k, 0, sizeof(*k));
	k->alg = alg;
	if (alg == SIG_ED25519) {
		if (crypto_sign_keypair(k->pub, k->sec) != 0)
			return GD_EIO;
		k->publen = crypto_sign_PUBLICKEYBYTES;
		k->seclen = crypto_sign_SECRETKEYBYTES;
	} else if (sig_p256_generate(k) < 0) {
		sig_key_wipe(k);
		return GD_EIO;
	}
	sig_key_id(k->pub, k->publen, k->id);
	return 0;
}

int
sig_key_from(enum sig_alg alg, const unsigned char *pub, size_t publen,
    const unsigned char *sec, size_t seclen, struct sig_key *k)
{
	unsigned char derived[crypto_sign_PUBLICKEYBYTES];

	memset(k, 0, sizeof(*k));
	if (publen > SIG_PUB_MAX || seclen > SIG_SEC_MAX)
		return GD_EINVAL;
	if (alg == SIG_ED25519) {
		if (publen != crypto_sign_PUBLICKEYBYTES ||
		    (seclen != 0 && seclen != crypto_sign_SECRETKEYBYTES))
			return GD_EINVAL;
		/* A private key whose public half is another key's is no key. */
		if (seclen != 0 && (crypto_sign_ed25519_sk_to_pk(derived, sec) != 0 ||
		    sodium_memcmp(derived, pub, publen) != 0))
			return GD_EINVAL;
	} else if (sig_p256_check(pub, publen, sec, seclen) < 0) {
		return GD_EINVAL;
	}
	k->alg = alg;
	memcpy(k->pub, pub, publen);
	k->publen = publen;
	if (seclen != 0)
		memcpy(k->sec, sec, seclen);
	k->seclen = seclen;
	sig_key_id(pub, publen, k->id);
	return 0;
}

int
sig_sign(const struct sig_key *k, const void *msg, size_t len, unsigned char sig[SIG_MAX],
    size_t *siglen)
{
	unsigned long long n;

	if (k->seclen == 0)
		return GD_EINVAL;
	if (k->alg == SIG_ECDSA_P256)
		return sig_p256_sign(k, msg, len, sig, siglen);
	if (crypto_sign_detached(sig, &n, msg, len, k->sec) != 0)
		return GD_EIO;
	*siglen = (size_t)n;
	return 0;
}

bool
sig_verify(const struct sig_key *k, const void *msg, size_t len, const unsigned char *sig,
    size_t siglen)
{
	if (k->alg == SIG_ECDSA_P256)
		return sig_p256_verify(k, msg, len, sig, siglen);
	return siglen == crypto_sign_BYTES &&
	    crypto_sign_verify_detached(sig, msg, len, k->pub) == 0;
}

void
sig_b64(const unsigned char *in, size_t n, char out[SIG_B64_MAX])
{
	sodium_bin2base64(out, SIG_B64_MAX, in, n, sodium_base64_VARIANT_ORIGINAL);
}

int
sig_unb64(const char *in, unsigned char *out, size_t cap, size_t *n)
{
	const char *end;

	if (sodium_base642bin(out, cap, in, strlen(in), NULL, n, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0')
		return GD_EINVAL;
	return 0;
}

void
sig_key_wipe(struct sig_key *k)
{
	sodium_memzero(k->sec, sizeof(k->sec));
	k->seclen = 0;
}
