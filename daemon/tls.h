/* tls.h: the server's certificate and key for libmicrohttpd's GnuTLS, read from PEM files and swapped on reload. */
#ifndef GRANTD_TLS_H
#define GRANTD_TLS_H

#include <gnutls/abstract.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The most certificates one file may hold: the server's and its CAs. */
#define TLS_CHAIN_MAX 16

struct tls;
struct tls_cred;

/*
 * One connection's hold on credentials, inside struct conn (http_internal.h): which
 * struct tls it belongs to, and the credentials its handshake took (NULL
 * until then).  The session keeps those until the connection closes, so a
 * reload never changes the certificate under a session already begun, and
 * old credentials are freed only when no session holds them.
 */
struct tls_hold {
	struct tls *tls;
	struct tls_cred *cred;
};

/* What the logs say about the credentials in use. */
struct tls_info {
	char subject[256];	/* of the server's certificate, RFC 4514 */
	char serial[84];	/* hex, as openssl x509 -serial prints it */
	int64_t not_before, not_after;
	unsigned chain;		/* certificates in the file */
	mode_t key_mode;	/* permission bits of the key file */
};

/*
 * Whether GnuTLS accepts a priority string.  Returns 0, or GD_EINVAL with
 * where and why in err.
 */
int tls_check_priorities(const char *priorities, char *err, size_t n);

/*
 * Reads the certificate chain (PEM, the server's first) and its private key
 * (PEM, unencrypted; may be the same file) and checks that they belong
 * together.  Returns 0 with *out owned by the caller (tls_free), or a GD_*
 * code with the file and what to do about it in err.
 */
int tls_new(struct tls **out, const char *cert, const char *key, char *err, size_t n);

/*
 * Reads both files again, as tls_new() does.  On success every handshake
 * from now on takes the new credentials; sessions already begun keep theirs.
 * On failure nothing changes and err says why.  Returns 0 or a GD_* code.
 */
int tls_reload(struct tls *t, const char *cert, const char *key, char *err, size_t n);

/* The credentials that new handshakes take. */
const struct tls_info *tls_info(const struct tls *t);

/* Frees t once no session holds it (after MHD_stop_daemon); NULL is fine. */
void tls_free(struct tls *t);

/*
 * A new connection's hold on t's credentials, before its handshake
 * (MHD_CONNECTION_NOTIFY_STARTED); tls_hold_end() once it has closed
 * (MHD_CONNECTION_NOTIFY_CLOSED, after libmicrohttpd's gnutls_deinit).
 */
void tls_hold_begin(struct tls *t, struct tls_hold *hold);
void tls_hold_end(struct tls_hold *hold);

/*
 * For the certificate callback (MHD_OPTION_HTTPS_CERT_CALLBACK): the
 * credentials hold took, or for its first handshake the current ones, which
 * it keeps.  The pointers stay valid until tls_hold_end().  Returns 0, or
 * -1 for a hold that belongs to no struct tls (the handshake then fails).
 */
int tls_take(struct tls_hold *hold, gnutls_pcert_st **pcert, unsigned int *pcert_length,
    gnutls_privkey_t *pkey);

#endif
