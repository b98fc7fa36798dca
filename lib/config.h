/* config.h: the configuration model, its defaults, and validation of grantd.conf. */
#ifndef GRANTD_CONFIG_H
#define GRANTD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log_level.h"

/*
 * Sizes of the string fields, NUL included.  A numeric IPv6 address is at
 * most 45 characters ("ffff:...:255.255.255.255"), hence 46 as in
 * INET6_ADDRSTRLEN; PATH_MAX for the database; the longest fixed-offset zone
 * name civil.c knows is far below 64.
 */
#define CONFIG_HOST_LEN 46
#define CONFIG_PATH_LEN 4096
#define CONFIG_TZ_LEN 64
/* A GnuTLS priority string; a line of the file holds at most 199 bytes anyway. */
#define CONFIG_PRIORITIES_LEN 256

/* A configuration file larger than this is refused as a whole (line 0). */
#define CONFIG_TEXT_MAX (1024 * 1024)

/*
 * The whole configuration, by value: no pointers and no heap, so a reload can
 * parse into a second struct, compare it with config_diff() and copy it over
 * the live one.  config_defaults() zeroes the struct before filling it, and
 * strings are stored zero-padded, so two configurations with equal values are
 * equal byte for byte.
 */
struct config {
	struct config_server {
		char host[CONFIG_HOST_LEN];	/* numeric address, no brackets */
		uint16_t port;			/* 0: any free port */
		int max_connections;
		int idle_timeout_s;
		int max_connections_per_ip;	/* 0: no limit */
		int request_timeout_s;		/* headers and body, from the accept */
		size_t max_body_bytes;
		size_t connection_memory_bytes;
		int max_json_depth;
		bool metrics_require_auth;
		bool allow_plain_http;		/* without [tls], beyond loopback too */
	} server;
	/*
	 * HTTPS.  certificate and key are both set or both empty; empty means
	 * plain HTTP, which config_check_listen() keeps on loopback.
	 */
	struct config_tls {
		char certificate[CONFIG_PATH_LEN];	/* PEM: the server's, then its CAs */
		char key[CONFIG_PATH_LEN];		/* PEM: the certificate's private key */
		char priorities[CONFIG_PRIORITIES_LEN];	/* GnuTLS priority string */
	} tls;
	struct config_storage {
		char database[CONFIG_PATH_LEN];
		int busy_timeout_ms;
	} storage;
	struct config_log {
		enum log_level level;	/* log_level.h */
		bool access_log;
	} log;
	struct config_programme {
		char timezone[CONFIG_TZ_LEN];
		int32_t tz_offset;		/* seconds east of UTC, of timezone */
		int hold_expiry_days;
		int idle_threshold_pct;
		int idle_window_hours;
		int idempotency_retention_hours;
		int report_retention_days;	/* fairness reports kept for ?as_of */
		int compensation_grace_days;	/* make-ups for a completed window */
		bool team_phase_summary;	/* team tokens read every team's summary */
	} programme;
	/*
	 * Usage samples flagged as above the grant or without one are stored,
	 * never dropped; these bound how many one token may add, in any hour
	 * (a rate: that many at once, refilled evenly) and in all.
	 */
	struct config_usage {
		int flagged_per_hour;
		int flagged_max;
	} usage;
	/*
	 * Checkpoints and signed reports (daemon/checkpoints.h).  The key, the
	 * public keys and the checkpoints are files beside the database.
	 */
	struct config_signing {
		char algorithm[16];		/* of a key grantd makes: ed25519, ecdsa-p256 */
		int checkpoint_interval_minutes;
	} signing;
	/*
	 * The dashboard's static files, served under /ui/ (daemon/ui.c).
	 * Empty: no dashboard, /ui/ is 404.
	 */
	struct config_ui {
		char root[CONFIG_PATH_LEN];
	} ui;
	/*
	 * The change feed (daemon/events.h): days an event is kept, and how
	 * long before its expiry a pending hold's hold.expiring notice is made
	 * (0: none).
	 */
	struct config_events {
		int retention_days;
		int hold_expiring_notice_minutes;
	} events;
	/* Signed deliveries of the feed (daemon/webhooks.h). */
	struct config_webhooks {
		int retry_hours;	/* an event's retries before the webhook is disabled */
		int timeout_s;		/* one attempt, connect included */
		bool allow_http;	/* plain http:// targets */
		bool allow_private;	/* loopback, private, link-local, metadata (admin's only) */
	} webhooks;
};

/*
 * Every problem found in one file.  n counts all of them; e[] keeps the first
 * CONFIG_ERRORS_MAX, in line order.  msg does not repeat the line number: a
 * caller prints "%s:%d: %s" (file, line, msg) or "line %d: %s".  Line 0 means
 * the file as a whole.
 */
#define CONFIG_ERRORS_MAX 32
#define CONFIG_ERRMSG_LEN 200

struct config_errors {
	int n;
	struct {
		int line;
		char msg[CONFIG_ERRMSG_LEN];
	} e[CONFIG_ERRORS_MAX];
};

/* The built-in values, those of the shipped config/grantd.conf. */
void config_defaults(struct config *cfg);

/*
 * Parses the text of a configuration file (len bytes, NUL not needed) over
 * the defaults.  Returns 0, or GD_EINVAL when errs holds at least one error
 * (errs may be NULL); GD_ENOMEM only from an inih built to use the heap.  cfg is written either way and then holds the defaults
 * overlaid with every value that was valid, so a caller that must keep its
 * old configuration on error parses into a scratch struct.
 *
 * Syntax, as lexed by inih: "[section]" headers, "key = value" (or
 * "key: value") lines, whole-line comments starting with ';' or '#', and
 * inline comments " ;" after a value.  Leading whitespace never continues the
 * previous value.  Names are case-sensitive; booleans and log levels are not.
 * A line may hold at most inih's line limit less one byte (199 in Debian's
 * build); a longer line is an error.
 */
int config_parse(const char *text, size_t len, struct config *cfg, struct config_errors *errs);

/*
 * "HOST:PORT" with HOST a dotted-quad IPv4 address or a bracketed IPv6
 * address ("[::1]:8440") and PORT 0..65535.  Writes the address without
 * brackets into host and the port into *port, only on success.  Returns 0,
 * GD_EINVAL for a malformed string, or GD_ERANGE when host is too small.
 */
int config_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port);

/*
 * Calls fn once for every key whose value differs between a and b, in the
 * order of the file, with the key as "section.key" and both values as text.
 */
void config_diff(const struct config *a, const struct config *b,
    void (*fn)(void *arg, const char *key, const char *from, const char *to), void *arg);

/*
 * Whether a running daemon can apply a new value of key ("section.key")
 * without a restart.  server.listen, server.allow_plain_http,
 * storage.database and tls.priorities cannot; nor can a key config.c does
 * not know.  tls.certificate and tls.key can, as long as they stay set (or
 * stay empty): a reload reads the files again, but never turns TLS on or off.
 */
bool config_reloadable(const char *key);

/*
 * Whether host, a numeric address as in server.host, is a loopback address:
 * 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6.
 */
bool config_host_is_loopback(const char *host);

/*
 * Whether cfg may listen where it says: without [tls], plain HTTP is served
 * on a loopback address only, unless server.allow_plain_http.  Returns 0, or
 * GD_EINVAL with the reason and the remedy in why (without the key's name).
 * config_parse() applies it to the file; the daemon again to the address it
 * is about to bind, which a command-line option may have changed.
 */
int config_check_listen(const struct config *cfg, char *why, size_t n);

/* The i-th key as "section.key", in the order of the file; NULL past the last. */
const char *config_key(size_t i);

/*
 * The value of key in cfg as text, as it would be written in the file.
 * Returns the length, GD_ENOENT for an unknown key, or GD_ERANGE when buf
 * is too small (buf then holds a truncated string).
 */
int config_value(const struct config *cfg, const char *key, char *buf, size_t n);

#endif
