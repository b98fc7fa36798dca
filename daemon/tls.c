/* tls.c: the server's certificate and key for libmicrohttpd's GnuTLS, read from PEM files and swapped on reload. */
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "tls.h"

/*
 * Why a callback rather than MHD_OPTION_HTTPS_MEM_CERT: libmicrohttpd loads
 * a certificate given that way into credentials of its own, once, and has
 * no call to replace them; a restart would drop every connection.  With the
 * callback, each handshake asks this file, which answers from memory with
 * the credentials read last (tls_take).  A reload reads the files into new credentials
 * and makes them current; a session keeps what its handshake took (its
 * struct tls_hold counts a reference), so the old credentials are freed when
 * the last connection that uses them closes.  One loop thread calls all of
 * this, libmicrohttpd's callbacks included: no locks.
 */

/* A PEM file larger than this is not a certificate chain or a key. */
#define TLS_FILE_MAX (1024 * 1024)

/* One certificate chain and its key, as read at one time. */
struct tls_cred {
	gnutls_pcert_st pcert[TLS_CHAIN_MAX];
	unsigned n;
	gnutls_privkey_t key;
	unsigned refs;		/* struct tls's cur, and each session that took it */
	struct tls_info info;
};

/* Owned by struct http; cur is never NULL. */
struct tls {
	struct tls_cred *cur;
};

int
tls_check_priorities(const char *priorities, char *err, size_t n)
{
	gnutls_priority_t p;
	const char *at = NULL;
	int rc = gnutls_priority_init(&p, priorities, &at);

	if (rc < 0) {
		if (rc == GNUTLS_E_INVALID_REQUEST && at != NULL)
			snprintf(err, n, "[tls] priorities: GnuTLS does not accept it from \"%.40s\"",
			    at);
		else
			snprintf(err, n, "[tls] priorities: %s", gnutls_strerror(rc));
		return GD_EINVAL;
	}
	gnutls_priority_deinit(p);
	return 0;
}

/*
 * The whole of a PEM file, with what to do in err when it cannot be read:
 * grantd reads it as its service user, so "permission denied" is the usual
 * mistake.  The file's permission bits go to *mode.
 */
static int
read_pem(const char *path, const char *what, gnutls_datum_t *out, mode_t *mode, char *err,
    size_t n)
{
	struct stat st;
	ssize_t got;
	size_t len = 0;
	char *buf;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == EACCES)
			snprintf(err, n, "cannot read the %s %s: %s: make it readable by the user "
			    "grantd runs as (uid %u)", what, path, strerror(errno),
			    (unsigned)geteuid());
		else
			snprintf(err, n, "cannot read the %s %s: %s", what, path, strerror(errno));
		return GD_EIO;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, n, "cannot read the %s %s: %s", what, path, strerror(errno));
		close(fd);
		return GD_EIO;
	}
	if (!S_ISREG(st.st_mode) || st.st_size == 0 || st.st_size > TLS_FILE_MAX) {
		snprintf(err, n, "the %s %s is %s", what, path, !S_ISREG(st.st_mode) ?
		    "not a regular file" : st.st_size == 0 ? "empty" : "larger than 1 MiB");
		close(fd);
		return GD_EINVAL;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return GD_ENOMEM;
	}
	while (len < (size_t)st.st_size &&
	    (got = read(fd, buf + len, (size_t)st.st_size - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, n, "cannot read the %s %s: %s", what, path, strerror(errno));
			free(buf);
			close(fd);
			return GD_EIO;
		}
		len += (size_t)got;
	}
	close(fd);
	buf[len] = '\0';
	out->data = (unsigned char *)buf;
	out->size = (unsigned)len;
	*mode = st.st_mode & 07777;
	return 0;
}

static void
cred_free(struct tls_cred *c)
{
	if (c == NULL)
		return;
	for (unsigned i = 0; i < c->n; i++)
		gnutls_pcert_deinit(&c->pcert[i]);
	if (c->key != NULL)
		gnutls_privkey_deinit(c->key);
	free(c);
}

static void
cred_release(struct tls_cred *c)
{
	if (c != NULL && --c->refs == 0)
		cred_free(c);
}

/* Subject, serial and validity of the server's certificate, for the logs. */
static void
describe(struct tls_cred *c)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn = { NULL, 0 };
	unsigned char serial[40];
	size_t len = sizeof(serial);

	snprintf(c->info.subject, sizeof(c->info.subject), "?");
	snprintf(c->info.serial, sizeof(c->info.serial), "?");
	c->info.chain = c->n;
	if (gnutls_pcert_export_x509(&c->pcert[0], &crt) < 0)
		return;
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
		snprintf(c->info.subject, sizeof(c->info.subject), "%s", (char *)dn.data);
		gnutls_free(dn.data);
	}
	if (gnutls_x509_crt_get_serial(crt, serial, &len) >= 0) {
		for (size_t i = 0; i < len && 2 * i + 2 < sizeof(c->info.serial); i++)
			snprintf(c->info.serial + 2 * i, 3, "%02X", serial[i]);
	}
	c->info.not_before = (int64_t)gnutls_x509_crt_get_activation_time(crt);
	c->info.not_after = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
	gnutls_x509_crt_deinit(crt);
}

/* Whether key is the private half of the certificate's public key. */
static bool
key_matches(gnutls_privkey_t key, gnutls_pubkey_t cert_pub)
{
	unsigned char a[64], b[64];
	size_t al = sizeof(a), bl = sizeof(b);
	gnutls_pubkey_t pub;
	bool same;

	if (gnutls_pubkey_init(&pub) < 0)
		return false;
	same = gnutls_pubkey_import_privkey(pub, key, 0, 0) >= 0 &&
	    gnutls_pubkey_get_key_id(pub, GNUTLS_KEYID_USE_SHA256, a, &al) >= 0 &&
	    gnutls_pubkey_get_key_id(cert_pub, GNUTLS_KEYID_USE_SHA256, b, &bl) >= 0 &&
	    al == bl && memcmp(a, b, al) == 0;
	gnutls_pubkey_deinit(pub);
	return same;
}

static int
load_chain(struct tls_cred *c, const char *path, const gnutls_datum_t *pem, char *err,
    size_t n)
{
	int rc;

	c->n = TLS_CHAIN_MAX;
	rc = gnutls_pcert_list_import_x509_raw(c->pcert, &c->n, pem, GNUTLS_X509_FMT_PEM,
	    GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (rc >= 0 && c->n > 0)
		return 0;
	c->n = 0;
	if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
		snprintf(err, n, "the certificate %s holds more than %d certificates", path,
		    TLS_CHAIN_MAX);
	else if (rc == GNUTLS_E_CERTIFICATE_LIST_UNSORTED)
		snprintf(err, n, "the certificate %s is out of order: put the server's "
		    "certificate first, then each one's issuer", path);
	else
		snprintf(err, n, "the certificate %s holds no PEM certificate GnuTLS can read "
		    "(%s)", path, gnutls_strerror(rc));
	return GD_EINVAL;
}

static int
load_key(struct tls_cred *c, const char *path, const char *cert, const gnutls_datum_t *pem,
    char *err, size_t n)
{
	int rc;

	if ((rc = gnutls_privkey_init(&c->key)) < 0) {
		c->key = NULL;
		return GD_ENOMEM;
	}
	rc = gnutls_privkey_import_x509_raw(c->key, pem, GNUTLS_X509_FMT_PEM, NULL, 0);
	if (rc < 0) {
		/* Encrypted keys would need a passphrase at every reload: none is asked. */
		snprintf(err, n, "the key %s holds no unencrypted PEM private key GnuTLS can "
		    "read (%s)", path, gnutls_strerror(rc));
		return GD_EINVAL;
	}
	if (!key_matches(c->key, c->pcert[0].pubkey)) {
		snprintf(err, n, "the key %s does not belong to the certificate %s (the first "
		    "one in it must be the server's)", path, cert);
		return GD_EINVAL;
	}
	return 0;
}

/* New credentials from the two files, with one reference: the caller's. */
static int
cred_load(struct tls_cred **out, const char *cert, const char *key, char *err, size_t n)
{
	gnutls_datum_t cpem = { NULL, 0 }, kpem = { NULL, 0 };
	struct tls_cred *c;
	mode_t cmode;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return GD_ENOMEM;
	c->refs = 1;
	if ((rc = read_pem(cert, "certificate", &cpem, &cmode, err, n)) < 0 ||
	    (rc = read_pem(key, "key", &kpem, &c->info.key_mode, err, n)) < 0 ||
	    (rc = load_chain(c, cert, &cpem, err, n)) < 0 ||
	    (rc = load_key(c, key, cert, &kpem, err, n)) < 0) {
		cred_free(c);
		c = NULL;
	}
	/* The key's text is wiped before it goes back to the heap. */
	if (kpem.data != NULL) {
		gnutls_memset(kpem.data, 0, kpem.size);
		free(kpem.data);
	}
	free(cpem.data);
	if (c == NULL)
		return rc;
	describe(c);
	*out = c;
	return 0;
}

int
tls_new(struct tls **out, const char *cert, const char *key, char *err, size_t n)
{
	struct tls *t;
	int rc;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return GD_ENOMEM;
	if ((rc = cred_load(&t->cur, cert, key, err, n)) < 0) {
		free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int
tls_reload(struct tls *t, const char *cert, const char *key, char *err, size_t n)
{
	struct tls_cred *c;
	int rc;

	if ((rc = cred_load(&c, cert, key, err, n)) < 0)
		return rc;
	cred_release(t->cur);
	t->cur = c;
	return 0;
}

const struct tls_info *
tls_info(const struct tls *t)
{
	return &t->cur->info;
}

void
tls_free(struct tls *t)
{
	if (t == NULL)
		return;
	cred_release(t->cur);
	free(t);
}

void
tls_hold_begin(struct tls *t, struct tls_hold *hold)
{
	hold->tls = t;
	hold->cred = NULL;
}

void
tls_hold_end(struct tls_hold *hold)
{
	cred_release(hold->cred);
	hold->cred = NULL;
	hold->tls = NULL;
}

int
tls_take(struct tls_hold *hold, gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *pkey)
{
	*pcert_length = 0;
	if (hold->tls == NULL)
		return -1;
	/* A second handshake on the session (TLS 1.2 renegotiation) keeps the first's. */
	if (hold->cred == NULL) {
		hold->cred = hold->tls->cur;
		hold->cred->refs++;
	}
	*pcert = hold->cred->pcert;
	*pcert_length = hold->cred->n;
	*pkey = hold->cred->key;
	return 0;
}
