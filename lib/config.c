/* config.c: grantd.conf lexed by inih, then checked key by key against one table. */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "config.h"
#include "err.h"
#include "sig.h"

enum kind {
	K_INT,		/* int, lo..hi */
	K_SIZE,		/* size_t, lo..hi */
	K_BOOL,
	K_LEVEL,	/* enum log_level */
	K_LISTEN,	/* server.host and server.port */
	K_PATH,		/* char[], non-empty */
	K_OPTPATH,	/* char[], may be empty: not set */
	K_TEXT,		/* char[], non-empty */
	K_TZ,		/* char[] accepted by civil_tz_offset(), and tz_offset */
};

/*
 * One row per key, in the order of the shipped file.  The defaults are
 * written as the file would write them and go through the same checks as the
 * file's values, so a default cannot drift outside its own range unnoticed
 * (config_defaults() asserts it).
 */
struct key {
	const char *section;
	const char *name;
	const char *dotted;	/* "section.name", as config_diff() reports it */
	enum kind kind;
	size_t off, size;	/* of the field in struct config */
	long long lo, hi;
	const char *def;
	bool reloadable;
};

#define TLS_PRIORITIES_DEFAULT "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:" \
	"-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:-KX-ALL:" \
	"+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

#define FIELD(sec, field) \
	offsetof(struct config, sec.field), sizeof(((struct config *)0)->sec.field)
#define KEY(sec, field, kind, lo, hi, def, reload) \
	{ #sec, #field, #sec "." #field, kind, FIELD(sec, field), lo, hi, def, reload }

static const struct key keys[] = {
	/* listen fills two fields; the row points at host. */
	{ "server", "listen", "server.listen", K_LISTEN, FIELD(server, host), 0, 0,
	    "127.0.0.1:8440", false },
	KEY(server, max_connections, K_INT, 1, 100000, "512", true),
	KEY(server, idle_timeout_s, K_INT, 1, 3600, "30", true),
	/* 0: no limit per address.  Half the default table: a local proxy fits. */
	KEY(server, max_connections_per_ip, K_INT, 0, 100000, "256", true),
	KEY(server, request_timeout_s, K_INT, 1, 3600, "20", true),
	KEY(server, max_body_bytes, K_SIZE, 1024, 67108864, "1048576", true),
	KEY(server, connection_memory_bytes, K_SIZE, 16384, 16777216, "32768", true),
	KEY(server, max_json_depth, K_INT, 2, 256, "32", true),
	KEY(server, metrics_require_auth, K_BOOL, 0, 0, "false", true),
	/* Read with listen, at start: see config_check_listen(). */
	KEY(server, allow_plain_http, K_BOOL, 0, 0, "false", false),
	/* Reread on every reload, so a renewed certificate needs no restart. */
	KEY(tls, certificate, K_OPTPATH, 0, 0, "", true),
	KEY(tls, key, K_OPTPATH, 0, 0, "", true),
	/*
	 * TLS 1.3 and 1.2 only, AEAD ciphers only, ECDHE only (forward secrecy),
	 * the server's order first; docs/https.md says why.  It must fit one
	 * line of the file with "priorities = " before it.
	 */
	KEY(tls, priorities, K_TEXT, 0, 0, TLS_PRIORITIES_DEFAULT, false),
	KEY(storage, database, K_PATH, 0, 0, "/var/lib/grantd/grantd.db", false),
	KEY(storage, busy_timeout_ms, K_INT, 0, 600000, "5000", true),
	KEY(log, level, K_LEVEL, 0, 0, "info", true),
	KEY(log, access_log, K_BOOL, 0, 0, "true", true),
	KEY(programme, timezone, K_TZ, 0, 0, "Asia/Seoul", true),
	KEY(programme, hold_expiry_days, K_INT, 1, 3650, "30", true),
	KEY(programme, idle_threshold_pct, K_INT, 0, 100, "30", true),
	KEY(programme, idle_window_hours, K_INT, 1, 8760, "72", true),
	KEY(programme, idempotency_retention_hours, K_INT, 24, 8760, "48", true),
	KEY(programme, report_retention_days, K_INT, 1, 36600, "3660", true),
	KEY(programme, compensation_grace_days, K_INT, 0, 3660, "90", true),
	/*
	 * Whether a team token may read GET /v1/phases/{phase}/summary: every
	 * team's window, state and delivered unit-hours (no money, no usage).
	 * Off: a team sees its own figures alone.  Read at every request.
	 */
	KEY(programme, team_phase_summary, K_BOOL, 0, 0, "false", true),
	/*
	 * Flagged usage one token may add: a full batch an hour, and a hundred
	 * such hours in all, before an operator has looked.
	 */
	KEY(usage, flagged_per_hour, K_INT, 1, 10000000, "10000", true),
	KEY(usage, flagged_max, K_INT, 1, 1000000000, "1000000", true),
	/*
	 * The signing key's algorithm when grantd makes one (an existing key
	 * keeps its own; `grantd key rotate --algorithm` changes it), and how
	 * often the audit head is signed when the trail grew.
	 */
	KEY(signing, algorithm, K_TEXT, 0, 0, "ed25519", false),
	KEY(signing, checkpoint_interval_minutes, K_INT, 1, 1440, "60", false),
	/* Read at every request, so a reload (or a new package) takes effect at once. */
	KEY(ui, root, K_OPTPATH, 0, 0, "/usr/share/grantd/ui", true),
	/* The change feed (daemon/events.c): pruned by the housekeeping. */
	KEY(events, retention_days, K_INT, 1, 36600, "365", true),
	/*
	 * A day's warning before a hold expires: time for a team to settle it
	 * or ask for a new one.  0: no hold.expiring notices; at most a year.
	 */
	KEY(events, hold_expiring_notice_minutes, K_INT, 0, 525600, "1440", true),
	/*
	 * Webhooks (daemon/webhooks.c): how long an event is retried before
	 * its webhook is disabled, each attempt's bound, and the targets allowed.
	 */
	KEY(webhooks, retry_hours, K_INT, 1, 8760, "72", true),
	KEY(webhooks, timeout_s, K_INT, 1, 300, "10", true),
	KEY(webhooks, allow_http, K_BOOL, 0, 0, "false", true),
	KEY(webhooks, allow_private, K_BOOL, 0, 0, "false", true),
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const char *const sections[] = { "server", "tls", "storage", "log", "programme",
	"usage", "signing", "ui", "events", "webhooks" };
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

/*
 * Text from the file is shown escaped and cut short in messages, so that a
 * message fits CONFIG_ERRMSG_LEN with its key and cannot carry control
 * characters into a log.
 */
#define ESC_LEN 56

static const char *
escape(char out[static ESC_LEN], const char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Room for the longest escape, "...", and the NUL. */
		if (o + 4 + 3 + 1 > ESC_LEN) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			snprintf(out + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return out;
}

static const char *
esc(char out[static ESC_LEN], const char *s)
{
	return escape(out, s, strlen(s));
}

/* Whole string, decimal, optional '-', no blanks or '+'; 0, GD_EINVAL or GD_ERANGE. */
static int
parse_int(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	if (*s != '-' && (*s < '0' || *s > '9'))
		return GD_EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || *end != '\0')
		return GD_EINVAL;
	if (errno == ERANGE || v < lo || v > hi)
		return GD_ERANGE;
	*out = v;
	return 0;
}

static int
parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return GD_EINVAL;
}

/* Copies s into a fixed field, zero-padded so that equal configs compare equal. */
static int
set_string(char *field, size_t size, const char *s)
{
	size_t len = strlen(s);

	if (len >= size)
		return GD_ERANGE;
	memset(field, 0, size);
	memcpy(field, s, len);
	return 0;
}

int
config_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
	char addr[CONFIG_HOST_LEN];
	unsigned char bin[16];
	const char *h, *p, *q;
	size_t hl;
	long long v;
	int af;

	if (s[0] == '[') {
		const char *rb = strchr(s, ']');

		if (rb == NULL || rb[1] != ':')
			return GD_EINVAL;
		h = s + 1;
		hl = (size_t)(rb - h);
		p = rb + 2;
		af = AF_INET6;
	} else {
		const char *colon = strchr(s, ':');

		/* A bare IPv6 address has its first colon inside the address. */
		if (colon == NULL)
			return GD_EINVAL;
		h = s;
		hl = (size_t)(colon - s);
		p = colon + 1;
		af = AF_INET;
	}
	if (hl == 0 || hl >= sizeof(addr))
		return GD_EINVAL;
	memcpy(addr, h, hl);
	addr[hl] = '\0';
	/* inet_pton() is strict: four decimal parts, no octal, no hex, no zone. */
	if (inet_pton(af, addr, bin) != 1)
		return GD_EINVAL;
	for (q = p; *q != '\0'; q++)
		if (*q < '0' || *q > '9')
			return GD_EINVAL;
	if (q == p || q - p > 5 || parse_int(p, 0, 65535, &v) != 0)
		return GD_EINVAL;
	if (hl + 1 > hostlen)
		return GD_ERANGE;
	memcpy(host, addr, hl + 1);
	*port = (uint16_t)v;
	return 0;
}

bool
config_host_is_loopback(const char *host)
{
	/* ::ffff:127.x.y.z, an IPv4 loopback address on an IPv6 socket. */
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned char a[16];

	if (inet_pton(AF_INET, host, a) == 1)
		return a[0] == 127;
	if (inet_pton(AF_INET6, host, a) != 1)
		return false;
	if (memcmp(a, mapped, sizeof(mapped)) == 0)
		return a[12] == 127;
	for (size_t i = 0; i < 15; i++)
		if (a[i] != 0)
			return false;
	return a[15] == 1;
}

int
config_check_listen(const struct config *cfg, char *why, size_t n)
{
	if (cfg->tls.certificate[0] != '\0' || cfg->server.allow_plain_http ||
	    config_host_is_loopback(cfg->server.host))
		return 0;
	/* Tokens and the ledger would cross the network in clear text. */
	snprintf(why, n, "plain HTTP on %s, which is not loopback: set [tls] certificate and "
	    "key, or [server] allow_plain_http = true", cfg->server.host);
	return GD_EINVAL;
}

/*
 * Checks v for key k and stores it in cfg.  On error cfg is unchanged and why
 * says what was expected, without the section and key.
 */
static int
set_value(struct config *cfg, const struct key *k, const char *v, char *why, size_t n)
{
	char *field = (char *)cfg + k->off;
	char e[ESC_LEN], host[CONFIG_HOST_LEN];
	long long x;
	int32_t off;
	uint16_t port;
	bool b;

	switch (k->kind) {
	case K_INT:
	case K_SIZE:
		if (parse_int(v, k->lo, k->hi, &x) != 0) {
			snprintf(why, n, "expected an integer in %lld..%lld, got \"%s\"",
			    k->lo, k->hi, esc(e, v));
			return GD_EINVAL;
		}
		if (k->kind == K_INT) {
			assert(k->size == sizeof(int));
			*(int *)(void *)field = (int)x;
		} else {
			assert(k->size == sizeof(size_t));
			*(size_t *)(void *)field = (size_t)x;
		}
		return 0;
	case K_BOOL:
		if (parse_bool(v, &b) != 0) {
			snprintf(why, n, "expected true/false, yes/no, on/off or 1/0, got \"%s\"",
			    esc(e, v));
			return GD_EINVAL;
		}
		assert(k->size == sizeof(bool));
		*(bool *)(void *)field = b;
		return 0;
	case K_LEVEL:
		assert(k->size == sizeof(enum log_level));
		if (log_level_parse(v, (enum log_level *)(void *)field) == 0)
			return 0;
		snprintf(why, n, "expected debug, info, notice, warning or error, got \"%s\"",
		    esc(e, v));
		return GD_EINVAL;
	case K_LISTEN:
		if (config_parse_listen(v, host, sizeof(host), &port) != 0) {
			snprintf(why, n, "expected IPV4:PORT or [IPV6]:PORT with a port in "
			    "0..65535, got \"%s\"", esc(e, v));
			return GD_EINVAL;
		}
		set_string(cfg->server.host, sizeof(cfg->server.host), host);
		cfg->server.port = port;
		return 0;
	case K_PATH:
	case K_OPTPATH:
	case K_TEXT:
		if (*v == '\0' && k->kind != K_OPTPATH) {
			snprintf(why, n, "must not be empty");
			return GD_EINVAL;
		}
		if (set_string(field, k->size, v) != 0) {
			snprintf(why, n, "longer than %zu bytes", k->size - 1);
			return GD_EINVAL;
		}
		return 0;
	case K_TZ:
		if (strlen(v) >= k->size || civil_tz_offset(v, &off) != 0) {
			snprintf(why, n, "unsupported time zone \"%s\": use UTC, a zone without "
			    "daylight saving time such as Asia/Seoul, or +HH:MM", esc(e, v));
			return GD_EINVAL;
		}
		set_string(field, k->size, v);
		cfg->programme.tz_offset = off;
		return 0;
	}
	assert(!"unknown kind");
	return GD_EINVAL;
}

/* Writes k's value in cfg as the file would write it; returns snprintf's count. */
static int
format_value(const struct config *cfg, const struct key *k, char *buf, size_t n)
{
	const char *field = (const char *)cfg + k->off;

	switch (k->kind) {
	case K_INT:
		return snprintf(buf, n, "%d", *(const int *)(const void *)field);
	case K_SIZE:
		return snprintf(buf, n, "%zu", *(const size_t *)(const void *)field);
	case K_BOOL:
		return snprintf(buf, n, "%s", *(const bool *)(const void *)field ? "true" : "false");
	case K_LEVEL: {
		const char *name = log_level_name(*(const enum log_level *)(const void *)field);

		return snprintf(buf, n, "%s", name != NULL ? name : "?");
	}
	case K_LISTEN:
		if (strchr(cfg->server.host, ':') != NULL)
			return snprintf(buf, n, "[%s]:%u", cfg->server.host, cfg->server.port);
		return snprintf(buf, n, "%s:%u", cfg->server.host, cfg->server.port);
	case K_PATH:
	case K_OPTPATH:
	case K_TEXT:
	case K_TZ:
		return snprintf(buf, n, "%s", field);
	}
	assert(!"unknown kind");
	return 0;
}

static const struct key *
find_dotted(const char *key)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].dotted, key) == 0)
			return &keys[i];
	return NULL;
}

void
config_defaults(struct config *cfg)
{
	char why[CONFIG_ERRMSG_LEN];
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++) {
		rc = set_value(cfg, &keys[i], keys[i].def, why, sizeof(why));
		assert(rc == 0);
		(void)rc;
	}
}

/*
 * Parsing.  inih hands the reader a buffer once per line and then, for a
 * "key = value" line, calls the handler; it keeps no line number for the
 * handler and returns only the first syntax error.  So the reader, which sees
 * every line first, keeps the line number and the state inih cannot report:
 *
 * - It rejects lines too long for inih's buffer (inih would split them into
 *   two lines and lose count) and lines with control characters.  inih then
 *   sees an empty line.
 * - It strips leading blanks, because inih reads an indented line after a key
 *   as more of that key's value; no grantd value spans lines.
 * - It checks section headers itself, so that an unknown section is reported
 *   at its own line even when it holds no keys, and hands inih a canonical
 *   "[name]" or nothing (inih would take "[server] junk" for [server]).  Keys
 *   under a bad header are skipped: its one error says enough.
 * - A line that is neither blank, a comment nor a header must reach the
 *   handler; when the next line is read and it has not, inih found no '=' or
 *   ':' in it, and that is a syntax error at that line.
 *
 * The handler always returns success so that inih goes on to the end.
 */
enum { SEC_NONE = -1, SEC_BAD = -2 };

struct parse {
	const char *p, *end;	/* text not yet read */
	const char *cur;	/* the current line, as in the file */
	size_t curlen;
	int line;		/* of the line last handed to inih */
	bool pending;		/* the line must reach the handler */
	bool handled;		/* the handler saw it */
	int first_syntax;	/* line of the first pending line not handled */
	int section;		/* index into sections[], SEC_NONE or SEC_BAD */
	int seen[NKEYS];	/* line where each key was set, 0 if not */
	int nerr;
	struct config *cfg;
	struct config_errors *errs;	/* may be NULL */
};

static void __attribute__((format(printf, 3, 4)))
add_error(struct parse *st, int line, const char *fmt, ...)
{
	va_list ap;

	st->nerr++;
	if (st->errs == NULL)
		return;
	if (st->errs->n < CONFIG_ERRORS_MAX) {
		st->errs->e[st->errs->n].line = line;
		va_start(ap, fmt);
		vsnprintf(st->errs->e[st->errs->n].msg, sizeof(st->errs->e[0].msg), fmt, ap);
		va_end(ap);
	}
	st->errs->n++;
}

/*
 * As add_error(), for a check made once the whole file is read: the error
 * goes where its line puts it, so that e[] stays in line order (and past
 * CONFIG_ERRORS_MAX, the last one kept makes way for an earlier one).
 */
static void __attribute__((format(printf, 3, 4)))
add_late_error(struct parse *st, int line, const char *fmt, ...)
{
	struct config_errors *errs = st->errs;
	va_list ap;
	int kept, i;

	st->nerr++;
	if (errs == NULL)
		return;
	kept = errs->n < CONFIG_ERRORS_MAX ? errs->n : CONFIG_ERRORS_MAX;
	for (i = kept; i > 0 && errs->e[i - 1].line > line; i--)
		;
	errs->n++;
	if (i == CONFIG_ERRORS_MAX)
		return;
	memmove(&errs->e[i + 1], &errs->e[i],
	    (size_t)(kept - i - (kept == CONFIG_ERRORS_MAX)) * sizeof(errs->e[0]));
	errs->e[i].line = line;
	va_start(ap, fmt);
	vsnprintf(errs->e[i].msg, sizeof(errs->e[0].msg), fmt, ap);
	va_end(ap);
}

static void
finish_line(struct parse *st)
{
	char e[ESC_LEN];

	if (st->pending && !st->handled) {
		add_error(st, st->line, "syntax error: expected \"key = value\", got \"%s\"",
		    escape(e, st->cur, st->curlen));
		if (st->first_syntax == 0)
			st->first_syntax = st->line;
	}
	st->pending = false;
}

/*
 * buf holds a line starting with '['.  Returns the index of its section, or
 * SEC_BAD after reporting why it is not one.
 */
static int
header(struct parse *st, char *buf)
{
	char e[ESC_LEN];
	char *close = strchr(buf, ']');
	char *name = buf + 1, *rest, *last;

	if (close == NULL) {
		add_error(st, st->line, "syntax error: section header \"%s\" has no \"]\"",
		    esc(e, buf));
		return SEC_BAD;
	}
	for (rest = close + 1; *rest == ' ' || *rest == '\t'; rest++)
		;
	if (*rest != '\0' && *rest != ';' && *rest != '#') {
		add_error(st, st->line, "syntax error: text after section header: \"%s\"",
		    esc(e, rest));
		return SEC_BAD;
	}
	while (*name == ' ' || *name == '\t')
		name++;
	for (last = close; last > name && (last[-1] == ' ' || last[-1] == '\t'); last--)
		;
	*last = '\0';
	for (size_t i = 0; i < NSECTIONS; i++)
		if (strcmp(name, sections[i]) == 0)
			return (int)i;
	add_error(st, st->line, "unknown section [%s]", esc(e, name));
	return SEC_BAD;
}

static char *
reader(char *buf, int num, void *arg)
{
	struct parse *st = arg;
	const char *s, *eol;
	size_t len;

	assert(num > 1);
	finish_line(st);
	if (st->p >= st->end)
		return NULL;
	s = st->p;
	eol = memchr(s, '\n', (size_t)(st->end - s));
	len = (size_t)((eol != NULL ? eol : st->end) - s);
	st->p = eol != NULL ? eol + 1 : st->end;
	st->line++;
	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (st->line == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		len -= 3;
	}
	st->cur = s;
	st->curlen = len;
	buf[0] = '\0';

	if (len > (size_t)num - 1) {
		add_error(st, st->line, "line too long: %zu bytes, at most %d", len, num - 1);
		return buf;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			add_error(st, st->line, "control character \\x%02x in line", c);
			return buf;
		}
	}
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	/*
	 * inih drops a byte order mark at the start of the first line it is
	 * handed; one still here (a second one, or one after blanks) would be
	 * dropped by inih and not by this reader, and the two would disagree
	 * about the line.  Refuse it here, and hand inih nothing.
	 */
	if (st->line == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		add_error(st, st->line, "syntax error: a byte order mark that does not open "
		    "the file");
		return buf;
	}
	memcpy(buf, s, len);
	buf[len] = '\0';

	if (buf[0] == '[') {
		/* inih gets the header in canonical form, or nothing for a bad one. */
		st->section = header(st, buf);
		if (st->section >= 0)
			snprintf(buf, (size_t)num, "[%s]", sections[st->section]);
		else
			buf[0] = '\0';
	} else if (buf[0] != '\0' && buf[0] != ';' && buf[0] != '#') {
		st->pending = true;
		st->handled = false;
	}
	return buf;
}

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	struct parse *st = arg;
	char e[ESC_LEN], why[CONFIG_ERRMSG_LEN];
	const struct key *k = NULL;
	size_t i;

	/* The reader's section, not inih's: after a bad header inih keeps the last good one. */
	(void)section;
	st->handled = true;
	if (st->section == SEC_BAD)
		return 1;
	if (st->section == SEC_NONE) {
		add_error(st, st->line, "key \"%s\" before any [section]", esc(e, name));
		return 1;
	}
	for (i = 0; i < NKEYS; i++) {
		if (strcmp(keys[i].section, sections[st->section]) == 0 &&
		    strcmp(keys[i].name, name) == 0) {
			k = &keys[i];
			break;
		}
	}
	if (k == NULL) {
		add_error(st, st->line, "unknown key \"%s\" in [%s]", esc(e, name),
		    sections[st->section]);
		return 1;
	}
	if (st->seen[i] != 0) {
		add_error(st, st->line, "[%s] %s: duplicate key, first set on line %d",
		    k->section, k->name, st->seen[i]);
		return 1;
	}
	st->seen[i] = st->line;
	if (set_value(st->cfg, k, value, why, sizeof(why)) != 0)
		add_error(st, st->line, "[%s] %s: %s", k->section, k->name, why);
	return 1;
}

/* The line that set key ("section.key"), 0 if none did. */
static int
line_of(const struct parse *st, const char *key)
{
	const struct key *k = find_dotted(key);

	assert(k != NULL);
	return st->seen[k - keys];
}

/*
 * What one key alone cannot say: a certificate needs its key and a key its
 * certificate, and plain HTTP stays on loopback unless the file allows more.
 */
static void
check_whole(struct parse *st)
{
	const struct config *cfg = st->cfg;
	char why[CONFIG_ERRMSG_LEN];
	bool cert = cfg->tls.certificate[0] != '\0', key = cfg->tls.key[0] != '\0';
	enum sig_alg alg;

	if (cert && !key)
		add_late_error(st, line_of(st, "tls.certificate"), "[tls] certificate: set "
		    "without key: set both (PEM files), or neither for plain HTTP");
	if (key && !cert)
		add_late_error(st, line_of(st, "tls.key"), "[tls] key: set without "
		    "certificate: set both (PEM files), or neither for plain HTTP");
	if (!cert && !key && config_check_listen(cfg, why, sizeof(why)) != 0)
		add_late_error(st, line_of(st, "server.listen"), "[server] listen: %s", why);
	if (sig_alg_parse(cfg->signing.algorithm, &alg) < 0)
		add_late_error(st, line_of(st, "signing.algorithm"), "[signing] algorithm: "
		    "must be ed25519 or ecdsa-p256 (for KCMVP-validated algorithms)");
}

int
config_parse(const char *text, size_t len, struct config *cfg, struct config_errors *errs)
{
	struct parse st;
	int rc;

	assert(text != NULL || len == 0);
	config_defaults(cfg);
	memset(&st, 0, sizeof(st));
	st.p = text != NULL ? text : "";
	st.end = st.p + (text != NULL ? len : 0);
	st.section = SEC_NONE;
	st.cfg = cfg;
	st.errs = errs;
	if (errs != NULL)
		errs->n = 0;
	if (len > CONFIG_TEXT_MAX) {
		add_error(&st, 0, "file larger than %d bytes", CONFIG_TEXT_MAX);
		return GD_EINVAL;
	}
	rc = ini_parse_stream(reader, &st, handler, &st);
	finish_line(&st);
	if (rc < 0) {
		/* Only a heap-buffered inih can fail this way. */
		add_error(&st, 0, "inih could not parse (error %d)", rc);
		return GD_ENOMEM;
	}
	/* The reader has seen every syntax error inih can find; this is a guard. */
	if (rc > 0 && rc != st.first_syntax)
		add_error(&st, rc, "syntax error");
	check_whole(&st);
	return st.nerr != 0 ? GD_EINVAL : 0;
}

void
config_diff(const struct config *a, const struct config *b,
    void (*fn)(void *arg, const char *key, const char *from, const char *to), void *arg)
{
	char from[CONFIG_PATH_LEN + 16], to[CONFIG_PATH_LEN + 16];

	for (size_t i = 0; i < NKEYS; i++) {
		format_value(a, &keys[i], from, sizeof(from));
		format_value(b, &keys[i], to, sizeof(to));
		if (strcmp(from, to) != 0)
			fn(arg, keys[i].dotted, from, to);
	}
}

bool
config_reloadable(const char *key)
{
	const struct key *k = find_dotted(key);

	return k != NULL && k->reloadable;
}

const char *
config_key(size_t i)
{
	return i < NKEYS ? keys[i].dotted : NULL;
}

int
config_value(const struct config *cfg, const char *key, char *buf, size_t n)
{
	const struct key *k = find_dotted(key);
	int r;

	if (k == NULL)
		return GD_ENOENT;
	r = format_value(cfg, k, buf, n);
	if (r < 0 || (size_t)r >= n)
		return GD_ERANGE;
	return r;
}
