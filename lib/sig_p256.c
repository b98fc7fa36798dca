/* sig_p256.c: ECDSA P-256 with SHA-256 through GnuTLS (nettle), for agencies bound to KCMVP algorithms. */
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "err.h"
#include "sig.h"

/* Declared in sig.c, their one caller. */
int sig_p256_generate(struct sig_key *k);
int sig_p256_check(const unsigned char *pub, size_t publen, const unsigned char *sec,
    size_t seclen);
int sig_p256_sign(const struct sig_key *k, const void *msg, size_t len,
    unsigned char sig[SIG_MAX], size_t *siglen);
bool sig_p256_verify(const struct sig_key *k, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen);

/* Copies a GnuTLS datum into out (cap bytes) and frees it: 0, or -1 when it does not fit. */
static int
take(gnutls_datum_t *d, unsigned char *out, size_t cap, size_t *n)
{
	int rc = -1;

	if (d->size <= cap) {
		memcpy(out, d->data, d->size);
		*n = d->size;
		rc = 0;
	}
	gnutls_memset(d->data, 0, d->size);
	gnutls_free(d->data);
	d->data = NULL;
	return rc;
}

/* The DER SubjectPublicKeyInfo of a private key's public half. */
static int
public_of(gnutls_privkey_t pk, unsigned char *out, size_t cap, size_t *n)
{
	gnutls_pubkey_t pub = NULL;
	gnutls_datum_t d = { NULL, 0 };
	int rc = -1;

	if (gnutls_pubkey_init(&pub) >= 0 && gnutls_pubkey_import_privkey(pub, pk, 0, 0) >= 0 &&
	    gnutls_pubkey_export2(pub, GNUTLS_X509_FMT_DER, &d) >= 0)
		rc = take(&d, out, cap, n);
	gnutls_pubkey_deinit(pub);
	return rc;
}

/* A private key from its PKCS#8 DER. */
static int
private_from(const unsigned char *sec, size_t seclen, gnutls_privkey_t *pk)
{
	gnutls_datum_t d = { (unsigned char *)sec, (unsigned int)seclen };

	if (gnutls_privkey_init(pk) < 0)
		return -1;
	if (gnutls_privkey_import_x509_raw(*pk, &d, GNUTLS_X509_FMT_DER, NULL,
	    GNUTLS_PKCS_PLAIN) < 0 ||
	    gnutls_privkey_get_pk_algorithm(*pk, NULL) != GNUTLS_PK_ECDSA) {
		gnutls_privkey_deinit(*pk);
		*pk = NULL;
		return -1;
	}
	return 0;
}

int
sig_p256_generate(struct sig_key *k)
{
	gnutls_privkey_t pk = NULL;
	gnutls_x509_privkey_t x = NULL;
	gnutls_datum_t d = { NULL, 0 };
	int rc = -1;

	if (gnutls_privkey_init(&pk) >= 0 &&
	    gnutls_privkey_generate2(pk, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0, NULL, 0) >= 0 &&
	    gnutls_privkey_export_x509(pk, &x) >= 0 &&
	    gnutls_x509_privkey_export2_pkcs8(x, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN,
	    &d) >= 0 && take(&d, k->sec, sizeof(k->sec), &k->seclen) == 0)
		rc = public_of(pk, k->pub, sizeof(k->pub), &k->publen);
	gnutls_x509_privkey_deinit(x);
	gnutls_privkey_deinit(pk);
	return rc < 0 ? GD_EIO : 0;
}

int
sig_p256_check(const unsigned char *pub, size_t publen, const unsigned char *sec,
    size_t seclen)
{
	gnutls_pubkey_t p = NULL;
	gnutls_privkey_t pk = NULL;
	gnutls_datum_t d = { (unsigned char *)pub, (unsigned int)publen };
	unsigned char derived[SIG_PUB_MAX];
	unsigned bits = 0;
	size_t n = 0;
	int rc = -1;

	if (gnutls_pubkey_init(&p) >= 0 && gnutls_pubkey_import(p, &d, GNUTLS_X509_FMT_DER) >= 0 &&
	    gnutls_pubkey_get_pk_algorithm(p, &bits) == GNUTLS_PK_ECDSA && bits == 256)
		rc = 0;
	gnutls_pubkey_deinit(p);
	if (rc == 0 && seclen != 0) {
		/* The private key must be the public key's own. */
		rc = -1;
		if (private_from(sec, seclen, &pk) == 0 &&
		    public_of(pk, derived, sizeof(derived), &n) == 0 && n == publen &&
		    memcmp(derived, pub, n) == 0)
			rc = 0;
		gnutls_privkey_deinit(pk);
	}
	return rc;
}

int
sig_p256_sign(const struct sig_key *k, const void *msg, size_t len,
    unsigned char sig[SIG_MAX], size_t *siglen)
{
	gnutls_privkey_t pk = NULL;
	gnutls_datum_t m = { (unsigned char *)msg, (unsigned int)len }, s = { NULL, 0 };
	int rc = -1;

	if (private_from(k->sec, k->seclen, &pk) == 0 &&
	    gnutls_privkey_sign_data2(pk, GNUTLS_SIGN_ECDSA_SHA256, 0, &m, &s) >= 0)
		rc = take(&s, sig, SIG_MAX, siglen);
	gnutls_privkey_deinit(pk);
	return rc < 0 ? GD_EIO : 0;
}

bool
sig_p256_verify(const struct sig_key *k, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen)
{
	gnutls_pubkey_t p = NULL;
	gnutls_datum_t d = { (unsigned char *)k->pub, (unsigned int)k->publen };
	gnutls_datum_t m = { (unsigned char *)msg, (unsigned int)len };
	gnutls_datum_t s = { (unsigned char *)sig, (unsigned int)siglen };
	bool ok = false;

	if (gnutls_pubkey_init(&p) >= 0 && gnutls_pubkey_import(p, &d, GNUTLS_X509_FMT_DER) >= 0)
		ok = gnutls_pubkey_verify_data2(p, GNUTLS_SIGN_ECDSA_SHA256, 0, &m, &s) >= 0;
	gnutls_pubkey_deinit(p);
	return ok;
}
