/* test_config.c: grantd.conf parsing, validation, error reports and diffs. */
#include <check.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "err.h"

/* Every error as "line N: msg\n", the way `grantd -n` prints them. */
static void
render(const struct config_errors *errs, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int i = 0; i < errs->n && i < CONFIG_ERRORS_MAX && o < n; i++)
		o += (size_t)snprintf(buf + o, n - o, "line %d: %s\n", errs->e[i].line,
		    errs->e[i].msg);
}

static int
parse(const char *text, struct config *cfg, struct config_errors *errs)
{
	return config_parse(text, strlen(text), cfg, errs);
}

/* Reads a file of the source tree; tests run from the source root. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s (run from the source root)", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

START_TEST(defaults)
{
	struct config cfg, parsed;
	struct config_errors errs;

	config_defaults(&cfg);
	ck_assert_str_eq(cfg.server.host, "127.0.0.1");
	ck_assert_uint_eq(cfg.server.port, 8440);
	ck_assert_int_eq(cfg.server.max_connections, 512);
	ck_assert_int_eq(cfg.server.idle_timeout_s, 30);
	ck_assert_int_eq(cfg.server.max_connections_per_ip, 256);
	ck_assert_int_eq(cfg.server.request_timeout_s, 20);
	ck_assert_uint_eq(cfg.server.max_body_bytes, 1048576);
	ck_assert_uint_eq(cfg.server.connection_memory_bytes, 32768);
	ck_assert_int_eq(cfg.server.max_json_depth, 32);
	ck_assert(!cfg.server.metrics_require_auth);
	ck_assert(!cfg.server.allow_plain_http);
	ck_assert_str_eq(cfg.tls.certificate, "");
	ck_assert_str_eq(cfg.tls.key, "");
	ck_assert_str_eq(cfg.tls.priorities, "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:"
	    "+VERS-TLS1.2:-CIPHER-ALL:+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:"
	    "+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE");
	ck_assert_str_eq(cfg.storage.database, "/var/lib/grantd/grantd.db");
	ck_assert_int_eq(cfg.storage.busy_timeout_ms, 5000);
	ck_assert_int_eq(cfg.log.level, LOG_LVL_INFO);
	ck_assert(cfg.log.access_log);
	ck_assert_str_eq(cfg.programme.timezone, "Asia/Seoul");
	ck_assert_int_eq(cfg.programme.tz_offset, 9 * 3600);
	ck_assert_int_eq(cfg.programme.hold_expiry_days, 30);
	ck_assert_int_eq(cfg.programme.idle_threshold_pct, 30);
	ck_assert_int_eq(cfg.programme.idle_window_hours, 72);
	ck_assert_int_eq(cfg.programme.idempotency_retention_hours, 48);
	ck_assert_int_eq(cfg.programme.report_retention_days, 3660);
	ck_assert_int_eq(cfg.programme.compensation_grace_days, 90);
	ck_assert(!cfg.programme.team_phase_summary);
	ck_assert_int_eq(cfg.usage.flagged_per_hour, 10000);
	ck_assert_int_eq(cfg.usage.flagged_max, 1000000);

	/* An empty file is the defaults, byte for byte. */
	memset(&parsed, 0xa5, sizeof(parsed));
	ck_assert_int_eq(config_parse("", 0, &parsed, &errs), 0);
	ck_assert_int_eq(errs.n, 0);
	ck_assert_mem_eq(&parsed, &cfg, sizeof(cfg));
	ck_assert_int_eq(config_parse(NULL, 0, &parsed, NULL), 0);
}
END_TEST

/*
 * One file each: either the errors expected, every one as "line N: msg\n",
 * or no error and the value of one key afterwards.
 */
static const struct {
	const char *what, *text;
	const char *key, *value;
	const char *errors;
} cases[] = {
	/* server.listen */
	{ "listen ipv4", "[server]\nlisten = 10.1.2.3:80\nallow_plain_http = true\n",
	    "server.listen", "10.1.2.3:80", NULL },
	{ "listen any", "[server]\nlisten = 0.0.0.0:8440\nallow_plain_http = true\n",
	    "server.listen", "0.0.0.0:8440", NULL },
	{ "listen ipv6", "[server]\nlisten = [::1]:9000\n", "server.listen", "[::1]:9000", NULL },
	{ "listen port 0", "[server]\nlisten = 127.0.0.1:0\n", "server.listen", "127.0.0.1:0", NULL },
	{ "listen port 65535", "[server]\nlisten = 127.0.0.1:65535\n", "server.listen",
	    "127.0.0.1:65535", NULL },
	{ "listen port 65536", "[server]\nlisten = 127.0.0.1:65536\n", NULL, NULL,
	    "line 2: [server] listen: expected IPV4:PORT or [IPV6]:PORT with a port in 0..65535, "
	    "got \"127.0.0.1:65536\"\n" },
	{ "listen hostname", "[server]\nlisten = localhost:8440\n", NULL, NULL,
	    "line 2: [server] listen: expected IPV4:PORT or [IPV6]:PORT with a port in 0..65535, "
	    "got \"localhost:8440\"\n" },
	{ "listen empty", "[server]\nlisten =\n", NULL, NULL,
	    "line 2: [server] listen: expected IPV4:PORT or [IPV6]:PORT with a port in 0..65535, "
	    "got \"\"\n" },

	/* Plain HTTP beyond loopback: only with [tls], or when the file says so. */
	{ "plain http on any address", "[server]\nlisten = 0.0.0.0:8440\n", NULL, NULL,
	    "line 2: [server] listen: plain HTTP on 0.0.0.0, which is not loopback: set [tls] "
	    "certificate and key, or [server] allow_plain_http = true\n" },
	{ "plain http on an ipv6 address", "; x\n[server]\nmax_json_depth = 8\n"
	    "listen = [2001:db8::1]:8440\n", NULL, NULL,
	    "line 4: [server] listen: plain HTTP on 2001:db8::1, which is not loopback: set [tls] "
	    "certificate and key, or [server] allow_plain_http = true\n" },
	{ "plain http allowed before listen", "[server]\nallow_plain_http = yes\n"
	    "listen = [::]:8440\n", "server.allow_plain_http", "true", NULL },
	{ "plain http allowed is not enough to be wrong", "[server]\nallow_plain_http = true\n",
	    "server.listen", "127.0.0.1:8440", NULL },
	{ "plain http disallowed on another loopback address", "[server]\n"
	    "listen = 127.10.0.1:8440\nallow_plain_http = false\n", "server.listen",
	    "127.10.0.1:8440", NULL },
	{ "plain http on ipv6 loopback", "[server]\nlisten = [::1]:8440\n", "server.listen",
	    "[::1]:8440", NULL },
	{ "plain http on mapped loopback", "[server]\nlisten = [::ffff:127.0.0.1]:8440\n",
	    "server.listen", "[::ffff:127.0.0.1]:8440", NULL },
	{ "plain http on mapped other address", "[server]\nlisten = [::ffff:10.0.0.1]:8440\n",
	    NULL, NULL,
	    "line 2: [server] listen: plain HTTP on ::ffff:10.0.0.1, which is not loopback: set "
	    "[tls] certificate and key, or [server] allow_plain_http = true\n" },
	{ "plain http error among others, in line order", "[server]\nlisten = 0.0.0.0:1\n"
	    "max_connections = 0\n", NULL, NULL,
	    "line 2: [server] listen: plain HTTP on 0.0.0.0, which is not loopback: set [tls] "
	    "certificate and key, or [server] allow_plain_http = true\n"
	    "line 3: [server] max_connections: expected an integer in 1..100000, got \"0\"\n" },

	/* [signing] */
	{ "signing with ecdsa", "[signing]\nalgorithm = ecdsa-p256\n", "signing.algorithm",
	    "ecdsa-p256", NULL },
	{ "signing with rsa", "[signing]\nalgorithm = rsa\n", NULL, NULL,
	    "line 2: [signing] algorithm: must be ed25519 or ecdsa-p256 (for KCMVP-validated "
	    "algorithms)\n" },
	{ "checkpoint interval", "[signing]\ncheckpoint_interval_minutes = 5\n",
	    "signing.checkpoint_interval_minutes", "5", NULL },

	/* [tls] */
	{ "tls on any address", "[server]\nlisten = 0.0.0.0:8443\n[tls]\n"
	    "certificate = /etc/grantd/tls/server.pem\nkey = /etc/grantd/tls/server.key\n",
	    "tls.certificate", "/etc/grantd/tls/server.pem", NULL },
	{ "tls key", "[tls]\ncertificate = a.pem\nkey = /etc/grantd/tls/server.key\n",
	    "tls.key", "/etc/grantd/tls/server.key", NULL },
	{ "tls certificate and key in one file", "[tls]\ncertificate = /etc/grantd/tls/both.pem\n"
	    "key = /etc/grantd/tls/both.pem\n", "tls.key", "/etc/grantd/tls/both.pem", NULL },
	{ "tls on loopback", "[tls]\ncertificate = c.pem\nkey = k.pem\n", "server.listen",
	    "127.0.0.1:8440", NULL },
	{ "tls empty values are no tls", "[tls]\ncertificate =\nkey =\n", "tls.certificate", "",
	    NULL },
	{ "tls certificate without key", "[tls]\ncertificate = /etc/grantd/tls/server.pem\n",
	    NULL, NULL,
	    "line 2: [tls] certificate: set without key: set both (PEM files), or neither for "
	    "plain HTTP\n" },
	{ "tls key without certificate", "[tls]\ncertificate =\nkey = /etc/grantd/tls/k.pem\n",
	    NULL, NULL,
	    "line 3: [tls] key: set without certificate: set both (PEM files), or neither for "
	    "plain HTTP\n" },
	/* Half a pair on a public address: the pair is what to fix, said once. */
	{ "tls half a pair on any address", "[tls]\nkey = k.pem\n[server]\n"
	    "listen = 0.0.0.0:8443\n", NULL, NULL,
	    "line 2: [tls] key: set without certificate: set both (PEM files), or neither for "
	    "plain HTTP\n" },
	{ "tls priorities", "[tls]\npriorities = SECURE128:-VERS-ALL:+VERS-TLS1.3\n",
	    "tls.priorities", "SECURE128:-VERS-ALL:+VERS-TLS1.3", NULL },
	{ "tls priorities empty", "[tls]\npriorities =\n", NULL, NULL,
	    "line 2: [tls] priorities: must not be empty\n" },
	{ "tls unknown key", "[tls]\ncert = a.pem\n", NULL, NULL,
	    "line 2: unknown key \"cert\" in [tls]\n" },
	{ "tls key of another section", "[server]\ncertificate = a.pem\n", NULL, NULL,
	    "line 2: unknown key \"certificate\" in [server]\n" },

	/* storage.database */
	{ "database relative", "[storage]\ndatabase = ./var/grantd.db\n", "storage.database",
	    "./var/grantd.db", NULL },
	{ "database with blanks", "[storage]\ndatabase =  /srv/my data/g.db  \n", "storage.database",
	    "/srv/my data/g.db", NULL },
	{ "database inline comment", "[storage]\ndatabase = /srv/g.db ; moved in May\n",
	    "storage.database", "/srv/g.db", NULL },
	{ "database semicolon without blank", "[storage]\ndatabase = /srv/a;b.db\n",
	    "storage.database", "/srv/a;b.db", NULL },
	{ "database empty", "[storage]\ndatabase =\n", NULL, NULL,
	    "line 2: [storage] database: must not be empty\n" },

	/* log.level */
	{ "level debug", "[log]\nlevel = debug\n", "log.level", "debug", NULL },
	{ "level notice", "[log]\nlevel = notice\n", "log.level", "notice", NULL },
	{ "level warning", "[log]\nlevel = warning\n", "log.level", "warning", NULL },
	{ "level error", "[log]\nlevel = error\n", "log.level", "error", NULL },
	{ "level upper case", "[log]\nlevel = INFO\n", "log.level", "info", NULL },
	{ "level unknown", "[log]\nlevel = verbose\n", NULL, NULL,
	    "line 2: [log] level: expected debug, info, notice, warning or error, "
	    "got \"verbose\"\n" },

	/* programme.timezone */
	{ "timezone utc", "[programme]\ntimezone = UTC\n", "programme.timezone", "UTC", NULL },
	{ "timezone offset", "[programme]\ntimezone = +05:30\n", "programme.timezone", "+05:30",
	    NULL },
	{ "timezone with dst", "[programme]\ntimezone = Europe/Berlin\n", NULL, NULL,
	    "line 2: [programme] timezone: unsupported time zone \"Europe/Berlin\": use UTC, "
	    "a zone without daylight saving time such as Asia/Seoul, or +HH:MM\n" },
	{ "timezone empty", "[programme]\ntimezone =\n", NULL, NULL,
	    "line 2: [programme] timezone: unsupported time zone \"\": use UTC, "
	    "a zone without daylight saving time such as Asia/Seoul, or +HH:MM\n" },

	/* Structure. */
	{ "unknown key", "[server]\nlistne = 127.0.0.1:1\n", NULL, NULL,
	    "line 2: unknown key \"listne\" in [server]\n" },
	{ "key of another section", "[log]\nlisten = 127.0.0.1:1\n", NULL, NULL,
	    "line 2: unknown key \"listen\" in [log]\n" },
	{ "key names are case-sensitive", "[server]\nLISTEN = 127.0.0.1:1\n", NULL, NULL,
	    "line 2: unknown key \"LISTEN\" in [server]\n" },
	{ "empty key", "[server]\n= 5\n", NULL, NULL, "line 2: unknown key \"\" in [server]\n" },
	{ "unknown section, its keys skipped", "[serevr]\nlisten = 1\nbogus = 2\n", NULL, NULL,
	    "line 1: unknown section [serevr]\n" },
	{ "unknown section without keys", "[server]\n\n[extra]\n", NULL, NULL,
	    "line 3: unknown section [extra]\n" },
	{ "section names are case-sensitive", "[Server]\n", NULL, NULL,
	    "line 1: unknown section [Server]\n" },
	{ "empty section name", "[]\n", NULL, NULL, "line 1: unknown section []\n" },
	{ "section after unknown one counts", "[x]\nlevel = debug\n[log]\nlevel = debug\n",
	    "log.level", "debug", "line 1: unknown section [x]\n" },
	{ "blanks inside brackets", "[ log\t]\nlevel = debug\n", "log.level", "debug", NULL },
	{ "comment after header", "[log] ; logging\nlevel = debug\n", "log.level", "debug", NULL },
	{ "hash comment after header", "[log] # logging\nlevel = debug\n", "log.level", "debug",
	    NULL },
	{ "text after header", "[log] level = debug\n", NULL, NULL,
	    "line 1: syntax error: text after section header: \"level = debug\"\n" },
	{ "header without bracket", "[log\nlevel = debug\n", NULL, NULL,
	    "line 1: syntax error: section header \"[log\" has no \"]\"\n" },
	{ "key before any section", "level = debug\n[log]\n", NULL, NULL,
	    "line 1: key \"level\" before any [section]\n" },
	{ "duplicate key", "[log]\nlevel = debug\naccess_log = no\nlevel = error\n", NULL, NULL,
	    "line 4: [log] level: duplicate key, first set on line 2\n" },
	{ "duplicate key in a repeated section", "[log]\nlevel = debug\n[server]\n[log]\n"
	    "level = debug\n", NULL, NULL,
	    "line 5: [log] level: duplicate key, first set on line 2\n" },
	{ "duplicate of an invalid value", "[log]\nlevel = loud\nlevel = debug\n", NULL, NULL,
	    "line 2: [log] level: expected debug, info, notice, warning or error, got \"loud\"\n"
	    "line 3: [log] level: duplicate key, first set on line 2\n" },
	{ "repeated section", "[log]\nlevel = debug\n[server]\n[log]\naccess_log = off\n",
	    "log.access_log", "false", NULL },
	{ "no equals sign", "[log]\nlevel debug\n", NULL, NULL,
	    "line 2: syntax error: expected \"key = value\", got \"level debug\"\n" },
	{ "indented line without equals", "[log]\nlevel = debug\n   more\n", NULL, NULL,
	    "line 3: syntax error: expected \"key = value\", got \"   more\"\n" },
	{ "indented key is not a continuation", "[log]\nlevel = debug\n  access_log = no\n",
	    "log.access_log", "false", NULL },
	{ "colon separator", "[server]\nmax_connections: 9\n", "server.max_connections", "9",
	    NULL },
	{ "blanks around equals", "[server]\n\tmax_connections\t=\t9\t\n",
	    "server.max_connections", "9", NULL },

	/* Comments and blank input. */
	{ "comments", "; top\n# top\n[server]\n  ; indented\n\t# indented\n"
	    "max_connections = 7 ; inline\n", "server.max_connections", "7", NULL },
	{ "hash is not an inline comment", "[server]\nmax_connections = 7 # seven\n", NULL, NULL,
	    "line 2: [server] max_connections: expected an integer in 1..100000, "
	    "got \"7 # seven\"\n" },
	{ "empty file", "", "server.max_connections", "512", NULL },
	{ "blank lines only", "\n\n  \n\t\n", "server.max_connections", "512", NULL },
	{ "comments only", "; nothing\n# here\n", "server.max_connections", "512", NULL },
	{ "section only", "[server]\n", "server.max_connections", "512", NULL },

	/* Line endings, encodings and odd bytes. */
	{ "crlf", "[server]\r\nmax_connections = 9\r\n", "server.max_connections", "9", NULL },
	{ "crlf errors keep their lines", "; x\r\n[server]\r\n\r\nmax_connections = 0\r\n"
	    "bad\r\n", NULL, NULL,
	    "line 4: [server] max_connections: expected an integer in 1..100000, got \"0\"\n"
	    "line 5: syntax error: expected \"key = value\", got \"bad\"\n" },
	{ "no final newline", "[server]\nmax_connections = 9", "server.max_connections", "9",
	    NULL },
	{ "byte order mark", "\xef\xbb\xbf[server]\nmax_connections = 9\n",
	    "server.max_connections", "9", NULL },
	/* Found by fuzzing (B5): a mark inih would drop and this reader would not. */
	{ "two byte order marks", "\xef\xbb\xbf\xef\xbb\xbf\nx\n", NULL, NULL,
	    "line 1: syntax error: a byte order mark that does not open the file\n"
	    "line 2: syntax error: expected \"key = value\", got \"x\"\n" },
	{ "byte order mark after a blank", "\t\xef\xbb\xbf[server]\nmax_connections = 9\n",
	    NULL, NULL,
	    "line 1: syntax error: a byte order mark that does not open the file\n"
	    "line 2: key \"max_connections\" before any [section]\n" },
	{ "lone carriage return", "[server]\rmax_connections = 9\n", NULL, NULL,
	    "line 1: control character \\x0d in line\n" },
	{ "control character", "[server]\nmax_connections = 9\x1b[2J\n", NULL, NULL,
	    "line 2: control character \\x1b in line\n" },
	{ "escaped in messages", "[server]\nlisten = \"\\\xc3\xa9\n", NULL, NULL,
	    "line 2: [server] listen: expected IPV4:PORT or [IPV6]:PORT with a port in 0..65535, "
	    "got \"\\\"\\\\\\xc3\\xa9\"\n" },
	{ "long value cut in messages", "[server]\nmax_connections = "
	    "0123456789012345678901234567890123456789012345678901234567890123456789\n", NULL, NULL,
	    "line 2: [server] max_connections: expected an integer in 1..100000, "
	    "got \"0123456789012345678901234567890123456789012345678...\"\n" },
};

START_TEST(parse_cases)
{
	struct config cfg;
	struct config_errors errs;
	char got[8192], value[CONFIG_PATH_LEN];
	int rc = parse(cases[_i].text, &cfg, &errs);

	render(&errs, got, sizeof(got));
	if (cases[_i].errors != NULL) {
		ck_assert_msg(rc == GD_EINVAL, "%s: rc %d", cases[_i].what, rc);
		ck_assert_msg(strcmp(got, cases[_i].errors) == 0, "%s: got\n%swanted\n%s",
		    cases[_i].what, got, cases[_i].errors);
	} else {
		ck_assert_msg(rc == 0 && errs.n == 0, "%s: rc %d, errors\n%s", cases[_i].what, rc,
		    got);
	}
	if (cases[_i].key != NULL && cases[_i].value != NULL) {
		ck_assert_int_ge(config_value(&cfg, cases[_i].key, value, sizeof(value)), 0);
		ck_assert_msg(strcmp(value, cases[_i].value) == 0, "%s: %s is \"%s\"",
		    cases[_i].what, cases[_i].key, value);
	}
}
END_TEST

/* Every integer key: both bounds pass, one beyond each and malformed numbers fail. */
static const struct {
	const char *section, *key;
	long long lo, hi;
} ranges[] = {
	{ "server", "max_connections", 1, 100000 },
	{ "server", "idle_timeout_s", 1, 3600 },
	{ "server", "max_connections_per_ip", 0, 100000 },
	{ "server", "request_timeout_s", 1, 3600 },
	{ "server", "max_body_bytes", 1024, 67108864 },
	{ "server", "connection_memory_bytes", 16384, 16777216 },
	{ "server", "max_json_depth", 2, 256 },
	{ "storage", "busy_timeout_ms", 0, 600000 },
	{ "programme", "hold_expiry_days", 1, 3650 },
	{ "programme", "idle_threshold_pct", 0, 100 },
	{ "programme", "idle_window_hours", 1, 8760 },
	{ "programme", "idempotency_retention_hours", 24, 8760 },
	{ "programme", "report_retention_days", 1, 36600 },
	{ "programme", "compensation_grace_days", 0, 3660 },
	{ "usage", "flagged_per_hour", 1, 10000000 },
	{ "usage", "flagged_max", 1, 1000000000 },
	{ "events", "retention_days", 1, 36600 },
	{ "events", "hold_expiring_notice_minutes", 0, 525600 },
	{ "webhooks", "retry_hours", 1, 8760 },
	{ "webhooks", "timeout_s", 1, 300 },
};

static const char *const not_integers[] = {
	"abc", "", "+5", "1e3", "0x10", "12abc", "1 2", "-", "--1", "1.0",
	"99999999999999999999", "-99999999999999999999", "\xd9\xa1",
};

START_TEST(integer_bounds)
{
	struct config cfg;
	struct config_errors errs;
	char text[256], dotted[64], value[64], want[CONFIG_ERRMSG_LEN];
	long long ok[] = { ranges[_i].lo, ranges[_i].hi, (ranges[_i].lo + ranges[_i].hi) / 2 };
	long long bad[] = { ranges[_i].lo - 1, ranges[_i].hi + 1 };

	snprintf(dotted, sizeof(dotted), "%s.%s", ranges[_i].section, ranges[_i].key);
	for (size_t j = 0; j < sizeof(ok) / sizeof(ok[0]); j++) {
		snprintf(text, sizeof(text), "[%s]\n%s = %lld\n", ranges[_i].section, ranges[_i].key,
		    ok[j]);
		ck_assert_msg(parse(text, &cfg, &errs) == 0, "%s = %lld refused", dotted, ok[j]);
		ck_assert_int_gt(config_value(&cfg, dotted, value, sizeof(value)), 0);
		ck_assert_int_eq(strtoll(value, NULL, 10), ok[j]);
	}
	for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++) {
		snprintf(text, sizeof(text), "[%s]\n%s = %lld\n", ranges[_i].section, ranges[_i].key,
		    bad[j]);
		ck_assert_msg(parse(text, &cfg, &errs) == GD_EINVAL, "%s = %lld taken", dotted,
		    bad[j]);
		ck_assert_int_eq(errs.n, 1);
		ck_assert_int_eq(errs.e[0].line, 2);
		snprintf(want, sizeof(want), "[%s] %s: expected an integer in %lld..%lld, "
		    "got \"%lld\"", ranges[_i].section, ranges[_i].key, ranges[_i].lo,
		    ranges[_i].hi, bad[j]);
		ck_assert_str_eq(errs.e[0].msg, want);
	}
	for (size_t j = 0; j < sizeof(not_integers) / sizeof(not_integers[0]); j++) {
		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", ranges[_i].section, ranges[_i].key,
		    not_integers[j]);
		ck_assert_msg(parse(text, &cfg, &errs) == GD_EINVAL, "%s = \"%s\" taken", dotted,
		    not_integers[j]);
		ck_assert_int_eq(errs.n, 1);
		ck_assert_msg(strstr(errs.e[0].msg, "expected an integer in") != NULL, "%s",
		    errs.e[0].msg);
	}
}
END_TEST

static const struct {
	const char *what, *in;
	int want;	/* 1 true, 0 false, -1 refused */
} booleans[] = {
	{ "true", "true", 1 }, { "yes", "yes", 1 }, { "on", "on", 1 }, { "one", "1", 1 },
	{ "upper case", "TRUE", 1 }, { "mixed case", "Yes", 1 },
	{ "false", "false", 0 }, { "no", "no", 0 }, { "off", "off", 0 }, { "zero", "0", 0 },
	{ "upper case false", "OFF", 0 },
	{ "empty", "", -1 }, { "two", "2", -1 }, { "maybe", "maybe", -1 }, { "prefix", "tru", -1 },
	{ "trailing", "truex", -1 }, { "y", "y", -1 }, { "inner blank", "t rue", -1 },
};

START_TEST(boolean_values)
{
	static const char *const keys[][2] = {
		{ "server", "metrics_require_auth" }, { "log", "access_log" },
		{ "server", "allow_plain_http" }, { "programme", "team_phase_summary" },
	};
	struct config cfg;
	struct config_errors errs;
	char text[128], want[CONFIG_ERRMSG_LEN];
	const bool *field[] = { &cfg.server.metrics_require_auth, &cfg.log.access_log,
		&cfg.server.allow_plain_http, &cfg.programme.team_phase_summary };

	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
		snprintf(text, sizeof(text), "[%s]\n%s = %s\n", keys[k][0], keys[k][1],
		    booleans[_i].in);
		if (booleans[_i].want < 0) {
			ck_assert_msg(parse(text, &cfg, &errs) == GD_EINVAL, "%s", booleans[_i].what);
			snprintf(want, sizeof(want), "[%s] %s: expected true/false, yes/no, on/off or "
			    "1/0, got \"%s\"", keys[k][0], keys[k][1], booleans[_i].in);
			ck_assert_int_eq(errs.n, 1);
			ck_assert_str_eq(errs.e[0].msg, want);
			continue;
		}
		ck_assert_msg(parse(text, &cfg, &errs) == 0, "%s", booleans[_i].what);
		ck_assert_int_eq(*field[k], booleans[_i].want);
	}
}
END_TEST

START_TEST(multiple_errors)
{
	static const char text[] =
	    "; every kind of mistake, once\n"		/* 1 */
	    "[server]\n"				/* 2 */
	    "listne = 127.0.0.1:8440\n"			/* 3 */
	    "max_connections = abc\n"			/* 4 */
	    "idle_timeout_s = 0\n"			/* 5 */
	    "this line has no equals sign\n"		/* 6 */
	    "listen = 127.0.0.1:9000\n"			/* 7: fine */
	    "listen = 127.0.0.1:9001\n"			/* 8 */
	    "[serevr]\n"				/* 9 */
	    "max_connections = 5\n"			/* 10: skipped */
	    "[log]\n"					/* 11 */
	    "level = loud\n"				/* 12 */
	    "another bad line\n"			/* 13 */
	    "[programme]\n"				/* 14 */
	    "timezone = Mars/Olympus\n"			/* 15 */
	    "hold_expiry_days = 3651\n";		/* 16 */
	static const char want[] =
	    "line 3: unknown key \"listne\" in [server]\n"
	    "line 4: [server] max_connections: expected an integer in 1..100000, got \"abc\"\n"
	    "line 5: [server] idle_timeout_s: expected an integer in 1..3600, got \"0\"\n"
	    "line 6: syntax error: expected \"key = value\", got \"this line has no equals sign\"\n"
	    "line 8: [server] listen: duplicate key, first set on line 7\n"
	    "line 9: unknown section [serevr]\n"
	    "line 12: [log] level: expected debug, info, notice, warning or error, got \"loud\"\n"
	    "line 13: syntax error: expected \"key = value\", got \"another bad line\"\n"
	    "line 15: [programme] timezone: unsupported time zone \"Mars/Olympus\": use UTC, a "
	    "zone without daylight saving time such as Asia/Seoul, or +HH:MM\n"
	    "line 16: [programme] hold_expiry_days: expected an integer in 1..3650, got \"3651\"\n";
	struct config cfg;
	struct config_errors errs;
	char got[4096];

	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	render(&errs, got, sizeof(got));
	ck_assert_str_eq(got, want);
	/* The valid values are in, the rest keep their defaults. */
	ck_assert_uint_eq(cfg.server.port, 9000);
	ck_assert_int_eq(cfg.server.max_connections, 512);
	ck_assert_int_eq(cfg.log.level, LOG_LVL_INFO);
	/* Without errs only the result says so. */
	ck_assert_int_eq(parse(text, &cfg, NULL), GD_EINVAL);
}
END_TEST

START_TEST(error_overflow)
{
	struct config_errors errs;
	struct config cfg;
	char text[4096];
	size_t o = 0;

	o += (size_t)snprintf(text + o, sizeof(text) - o, "[server]\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "bad %d\n", i);
	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 40);
	for (int i = 0; i < CONFIG_ERRORS_MAX; i++)
		ck_assert_int_eq(errs.e[i].line, i + 2);
	ck_assert_str_eq(errs.e[CONFIG_ERRORS_MAX - 1].msg,
	    "syntax error: expected \"key = value\", got \"bad 31\"");

	/*
	 * An error found once the file is read (plain HTTP on a public address,
	 * line 2) still takes its place in line order, and the last one kept
	 * makes way for it.
	 */
	o = (size_t)snprintf(text, sizeof(text), "[server]\nlisten = 0.0.0.0:1\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "bad %d\n", i);
	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 41);
	ck_assert_int_eq(errs.e[0].line, 2);
	ck_assert_ptr_nonnull(strstr(errs.e[0].msg, "plain HTTP on 0.0.0.0"));
	for (int i = 1; i < CONFIG_ERRORS_MAX; i++)
		ck_assert_int_eq(errs.e[i].line, i + 2);
	ck_assert_str_eq(errs.e[CONFIG_ERRORS_MAX - 1].msg,
	    "syntax error: expected \"key = value\", got \"bad 30\"");
	/* Where it comes after every kept one, it is counted and not kept. */
	o = (size_t)snprintf(text, sizeof(text), "[server]\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "bad %d\n", i);
	snprintf(text + o, sizeof(text) - o, "listen = 0.0.0.0:1\n");
	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 41);
	for (int i = 0; i < CONFIG_ERRORS_MAX; i++)
		ck_assert_int_eq(errs.e[i].line, i + 2);
}
END_TEST

/*
 * inih reads a line into a buffer of INI_MAX_LINE bytes (200 in Debian's
 * build) and would take the rest of a longer line for a line of its own.
 * The reader refuses such lines whole and keeps counting.
 */
START_TEST(long_lines)
{
	struct config_errors errs;
	struct config cfg;
	char want[CONFIG_ERRMSG_LEN];
	size_t max = INI_MAX_LINE - 1;
	char *text = malloc(20000), *p;

	ck_assert_ptr_nonnull(text);

	/* A comment of exactly the limit, CRLF or not, is fine. */
	p = text + sprintf(text, "[server]\n;");
	memset(p, 'x', max - 1);
	strcpy(p + max - 1, "\r\nmax_connections = 9\n");
	ck_assert_int_eq(parse(text, &cfg, &errs), 0);
	ck_assert_int_eq(cfg.server.max_connections, 9);

	/* One byte more is an error at its line; counting goes on after it. */
	p = text + sprintf(text, "[server]\n;");
	memset(p, 'x', max);
	strcpy(p + max, "\nmax_connections = abc\n");
	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 2);
	ck_assert_int_eq(errs.e[0].line, 2);
	snprintf(want, sizeof(want), "line too long: %zu bytes, at most %zu", max + 1, max);
	ck_assert_str_eq(errs.e[0].msg, want);
	ck_assert_int_eq(errs.e[1].line, 3);

	/* A database path of 4095 bytes fits the struct but not inih's line. */
	p = text + sprintf(text, "[storage]\ndatabase = /");
	memset(p, 'd', 4094);
	strcpy(p + 4094, "\n[log]\nlevel = debug\n");
	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 1);
	ck_assert_int_eq(errs.e[0].line, 2);
	ck_assert_int_eq(strncmp(errs.e[0].msg, "line too long: 4106 bytes", 25), 0);
	ck_assert_str_eq(cfg.storage.database, "/var/lib/grantd/grantd.db");
	ck_assert_int_eq(cfg.log.level, LOG_LVL_DEBUG);

	/* A very long line without a newline at the end of the file. */
	p = text + sprintf(text, "[log]\nlevel = ");
	memset(p, 'v', 19000);
	p[19000] = '\0';
	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 1);
	ck_assert_int_eq(errs.e[0].line, 2);

	/* A long key and a long section name are cut in the message, not in the check. */
	p = text + sprintf(text, "[server]\n");
	memset(p, 'k', 150);
	strcpy(p + 150, " = 1\n[");
	memset(p + 156, 's', 150);
	strcpy(p + 306, "]\n");
	ck_assert_int_eq(parse(text, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 2);
	ck_assert_int_eq(errs.e[0].line, 2);
	ck_assert_int_eq(strncmp(errs.e[0].msg, "unknown key \"kkkk", 17), 0);
	ck_assert_ptr_nonnull(strstr(errs.e[0].msg, "...\" in [server]"));
	ck_assert_int_eq(errs.e[1].line, 3);
	ck_assert_int_eq(strncmp(errs.e[1].msg, "unknown section [ssss", 21), 0);
	free(text);
}
END_TEST

START_TEST(nul_and_size)
{
	static const char text[] = "[server]\nmax_connections = 9\0junk\n[log]\nlevel = debug\n";
	struct config_errors errs;
	struct config cfg;
	char *big;

	ck_assert_int_eq(config_parse(text, sizeof(text) - 1, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 1);
	ck_assert_int_eq(errs.e[0].line, 2);
	ck_assert_str_eq(errs.e[0].msg, "control character \\x00 in line");
	ck_assert_int_eq(cfg.log.level, LOG_LVL_DEBUG);

	/* The text need not end in a NUL: only len bytes are read. */
	ck_assert_int_eq(config_parse("[log]\nlevel = debugXXXX", 19, &cfg, &errs), 0);
	ck_assert_int_eq(cfg.log.level, LOG_LVL_DEBUG);

	big = calloc(CONFIG_TEXT_MAX + 1, 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', CONFIG_TEXT_MAX + 1);
	ck_assert_int_eq(config_parse(big, CONFIG_TEXT_MAX, &cfg, &errs), 0);
	ck_assert_int_eq(config_parse(big, CONFIG_TEXT_MAX + 1, &cfg, &errs), GD_EINVAL);
	ck_assert_int_eq(errs.n, 1);
	ck_assert_int_eq(errs.e[0].line, 0);
	free(big);
}
END_TEST

static const struct {
	const char *what, *in;
	int rc;
	const char *host;
	unsigned port;
} listens[] = {
	{ "loopback", "127.0.0.1:8440", 0, "127.0.0.1", 8440 },
	{ "any", "0.0.0.0:0", 0, "0.0.0.0", 0 },
	{ "broadcast", "255.255.255.255:65535", 0, "255.255.255.255", 65535 },
	{ "ipv6 loopback", "[::1]:8440", 0, "::1", 8440 },
	{ "ipv6 any", "[::]:80", 0, "::", 80 },
	{ "ipv6 full", "[2001:db8:0:0:0:0:0:1]:443", 0, "2001:db8:0:0:0:0:0:1", 443 },
	{ "ipv6 mapped", "[::ffff:10.0.0.1]:1", 0, "::ffff:10.0.0.1", 1 },
	{ "ipv6 longest", "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:1", 0,
	    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 1 },
	{ "port leading zeros", "127.0.0.1:00080", 0, "127.0.0.1", 80 },
	{ "port too big", "127.0.0.1:65536", GD_EINVAL, NULL, 0 },
	{ "port six digits", "127.0.0.1:000080", GD_EINVAL, NULL, 0 },
	{ "port negative", "127.0.0.1:-1", GD_EINVAL, NULL, 0 },
	{ "port plus", "127.0.0.1:+80", GD_EINVAL, NULL, 0 },
	{ "port blank", "127.0.0.1: 80", GD_EINVAL, NULL, 0 },
	{ "port missing", "127.0.0.1:", GD_EINVAL, NULL, 0 },
	{ "no port", "127.0.0.1", GD_EINVAL, NULL, 0 },
	{ "port trailing", "127.0.0.1:80x", GD_EINVAL, NULL, 0 },
	{ "two ports", "127.0.0.1:80:81", GD_EINVAL, NULL, 0 },
	{ "no host", ":8440", GD_EINVAL, NULL, 0 },
	{ "hostname", "localhost:8440", GD_EINVAL, NULL, 0 },
	{ "three parts", "127.0.1:80", GD_EINVAL, NULL, 0 },
	{ "five parts", "1.2.3.4.5:80", GD_EINVAL, NULL, 0 },
	{ "part over 255", "1.2.3.256:80", GD_EINVAL, NULL, 0 },
	{ "octal-looking", "010.0.0.1:80", GD_EINVAL, NULL, 0 },
	{ "hex", "0x7f.0.0.1:80", GD_EINVAL, NULL, 0 },
	{ "ipv6 without brackets", "::1:8440", GD_EINVAL, NULL, 0 },
	{ "ipv6 no closing bracket", "[::1:8440", GD_EINVAL, NULL, 0 },
	{ "ipv6 no port", "[::1]", GD_EINVAL, NULL, 0 },
	{ "ipv6 no colon", "[::1]8440", GD_EINVAL, NULL, 0 },
	{ "ipv6 empty", "[]:80", GD_EINVAL, NULL, 0 },
	{ "ipv6 zone", "[fe80::1%eth0]:80", GD_EINVAL, NULL, 0 },
	{ "ipv4 in brackets", "[127.0.0.1]:80", GD_EINVAL, NULL, 0 },
	{ "ipv6 too long", "[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", GD_EINVAL,
	    NULL, 0 },
	{ "empty", "", GD_EINVAL, NULL, 0 },
	{ "blank", " 127.0.0.1:80", GD_EINVAL, NULL, 0 },
};

START_TEST(listen_parsing)
{
	char host[CONFIG_HOST_LEN];
	uint16_t port = 7;
	int rc;

	strcpy(host, "untouched");
	rc = config_parse_listen(listens[_i].in, host, sizeof(host), &port);
	ck_assert_msg(rc == listens[_i].rc, "%s: rc %d", listens[_i].what, rc);
	if (rc == 0) {
		ck_assert_str_eq(host, listens[_i].host);
		ck_assert_uint_eq(port, listens[_i].port);
	} else {
		/* Output parameters are written only on success. */
		ck_assert_str_eq(host, "untouched");
		ck_assert_uint_eq(port, 7);
	}
}
END_TEST

/* Loopback, for plain HTTP: which addresses serve this host alone. */
static const struct {
	const char *host;
	bool loopback;
} loopbacks[] = {
	{ "127.0.0.1", true }, { "127.0.0.0", true }, { "127.255.255.254", true },
	{ "127.1.2.3", true }, { "::1", true }, { "::ffff:127.0.0.1", true },
	{ "::ffff:127.9.9.9", true }, { "0:0:0:0:0:0:0:1", true },
	{ "0.0.0.0", false }, { "128.0.0.1", false }, { "126.255.255.255", false },
	{ "10.0.0.1", false }, { "192.168.1.10", false }, { "::", false }, { "::2", false },
	{ "::ffff:10.0.0.1", false }, { "::127.0.0.1", false }, { "fe80::1", false },
	{ "1::1", false }, { "localhost", false }, { "", false },
};

START_TEST(loopback_hosts)
{
	struct config cfg;
	char why[CONFIG_ERRMSG_LEN];
	int rc;

	ck_assert_msg(config_host_is_loopback(loopbacks[_i].host) == loopbacks[_i].loopback,
	    "%s", loopbacks[_i].host);
	/*
	 * config_check_listen(), as the daemon calls it on the address it is
	 * about to bind (--listen may have changed it): plain HTTP there only
	 * when it is loopback or allowed; with [tls] anywhere.
	 */
	config_defaults(&cfg);
	snprintf(cfg.server.host, sizeof(cfg.server.host), "%s", loopbacks[_i].host);
	strcpy(why, "untouched");
	rc = config_check_listen(&cfg, why, sizeof(why));
	ck_assert_int_eq(rc, loopbacks[_i].loopback ? 0 : GD_EINVAL);
	if (rc == 0)
		ck_assert_str_eq(why, "untouched");
	else
		ck_assert_msg(strstr(why, "[tls] certificate and key") != NULL &&
		    strstr(why, "[server] allow_plain_http = true") != NULL &&
		    strstr(why, loopbacks[_i].host) != NULL, "%s", why);
	cfg.server.allow_plain_http = true;
	ck_assert_int_eq(config_check_listen(&cfg, why, sizeof(why)), 0);
	cfg.server.allow_plain_http = false;
	strcpy(cfg.tls.certificate, "/etc/grantd/tls/server.pem");
	strcpy(cfg.tls.key, "/etc/grantd/tls/server.key");
	ck_assert_int_eq(config_check_listen(&cfg, why, sizeof(why)), 0);
}
END_TEST

START_TEST(listen_small_buffer)
{
	char host[10];
	uint16_t port = 0;

	ck_assert_int_eq(config_parse_listen("127.0.0.1:1", host, 10, &port), 0);
	ck_assert_str_eq(host, "127.0.0.1");
	ck_assert_int_eq(config_parse_listen("10.100.100.1:1", host, 10, &port), GD_ERANGE);
	ck_assert_int_eq(config_parse_listen("[::1]:1", host, 3, &port), GD_ERANGE);
	ck_assert_int_eq(config_parse_listen("[::1]:1", host, 4, &port), 0);
	ck_assert_str_eq(host, "::1");
}
END_TEST

struct diffs {
	char buf[1024];
	size_t len;
};

static void
collect(void *arg, const char *key, const char *from, const char *to)
{
	struct diffs *d = arg;

	d->len += (size_t)snprintf(d->buf + d->len, sizeof(d->buf) - d->len, "%s: %s -> %s\n",
	    key, from, to);
}

START_TEST(diff)
{
	static const char text[] =
	    "[server]\nlisten = [::1]:9000\nmax_body_bytes = 2048\nmetrics_require_auth = yes\n"
	    "[storage]\ndatabase = /tmp/g.db\n[log]\nlevel = warning\n"
	    "[programme]\ntimezone = UTC\nidle_threshold_pct = 0\n"
	    "[tls]\ncertificate = /etc/grantd/tls/server.pem\nkey = /etc/grantd/tls/server.key\n";
	struct config a, b;
	struct diffs d = { .len = 0 };

	config_defaults(&a);
	ck_assert_int_eq(parse(text, &b, NULL), 0);
	ck_assert_int_eq(b.programme.tz_offset, 0);
	config_diff(&a, &b, collect, &d);
	ck_assert_str_eq(d.buf,
	    "server.listen: 127.0.0.1:8440 -> [::1]:9000\n"
	    "server.max_body_bytes: 1048576 -> 2048\n"
	    "server.metrics_require_auth: false -> true\n"
	    "tls.certificate:  -> /etc/grantd/tls/server.pem\n"
	    "tls.key:  -> /etc/grantd/tls/server.key\n"
	    "storage.database: /var/lib/grantd/grantd.db -> /tmp/g.db\n"
	    "log.level: info -> warning\n"
	    "programme.timezone: Asia/Seoul -> UTC\n"
	    "programme.idle_threshold_pct: 30 -> 0\n");

	/* Nothing changed, nothing said; and the structs are equal byte for byte. */
	d.len = 0;
	d.buf[0] = '\0';
	ck_assert_int_eq(parse(text, &a, NULL), 0);
	config_diff(&a, &b, collect, &d);
	ck_assert_uint_eq(d.len, 0);
	ck_assert_mem_eq(&a, &b, sizeof(a));

	/* Only the port. */
	ck_assert_int_eq(parse("[server]\nlisten = [::1]:9001\n", &a, NULL), 0);
	config_diff(&b, &a, collect, &d);
	ck_assert_str_eq(d.buf,
	    "server.listen: [::1]:9000 -> [::1]:9001\n"
	    "server.max_body_bytes: 2048 -> 1048576\n"
	    "server.metrics_require_auth: true -> false\n"
	    "tls.certificate: /etc/grantd/tls/server.pem -> \n"
	    "tls.key: /etc/grantd/tls/server.key -> \n"
	    "storage.database: /tmp/g.db -> /var/lib/grantd/grantd.db\n"
	    "log.level: warning -> info\n"
	    "programme.timezone: UTC -> Asia/Seoul\n"
	    "programme.idle_threshold_pct: 0 -> 30\n");
}
END_TEST

START_TEST(keys_and_values)
{
	struct config cfg;
	char buf[CONFIG_PRIORITIES_LEN];
	size_t n = 0;

	config_defaults(&cfg);
	for (const char *key; (key = config_key(n)) != NULL; n++) {
		bool restart = strcmp(key, "server.listen") == 0 ||
		    strcmp(key, "server.allow_plain_http") == 0 ||
		    strcmp(key, "tls.priorities") == 0 ||
		    strcmp(key, "storage.database") == 0 ||
		    strncmp(key, "signing.", 8) == 0;
		/* Without TLS, its files are "": the file writes "certificate =". */
		bool empty = strcmp(key, "tls.certificate") == 0 || strcmp(key, "tls.key") == 0;

		ck_assert_msg(config_reloadable(key) == !restart, "%s", key);
		if (empty)
			ck_assert_int_eq(config_value(&cfg, key, buf, sizeof(buf)), 0);
		else
			ck_assert_int_gt(config_value(&cfg, key, buf, sizeof(buf)), 0);
	}
	ck_assert_uint_eq(n, 36);
	ck_assert_int_eq(config_value(&cfg, "tls.priorities", buf, sizeof(buf)),
	    (int)strlen(cfg.tls.priorities));
	ck_assert(!config_reloadable("server.nope"));
	ck_assert(!config_reloadable("listen"));
	ck_assert(!config_reloadable(""));
	ck_assert_int_eq(config_value(&cfg, "log.nope", buf, sizeof(buf)), GD_ENOENT);
	ck_assert_int_eq(config_value(&cfg, "server.listen", buf, sizeof(buf)), 14);
	ck_assert_str_eq(buf, "127.0.0.1:8440");
	ck_assert_int_eq(config_value(&cfg, "server.listen", buf, 14), GD_ERANGE);
	ck_assert_str_eq(log_level_name(LOG_LVL_NOTICE), "notice");
	ck_assert_ptr_null(log_level_name((enum log_level)99));
	/* The one table: every level's name parses back to it, in any case. */
	for (int l = LOG_LVL_ERR; l <= LOG_LVL_DEBUG; l++) {
		enum log_level got = LOG_LVL_INFO;
		char up[16];

		snprintf(up, sizeof(up), "%s", log_level_name((enum log_level)l));
		up[0] = (char)(up[0] - 'a' + 'A');
		ck_assert_int_eq(log_level_parse(up, &got), 0);
		ck_assert_int_eq(got, l);
	}
	{
		enum log_level got = LOG_LVL_INFO;

		ck_assert_int_eq(log_level_parse("warn", &got), GD_EINVAL);
		ck_assert_int_eq(log_level_parse("debugging", &got), GD_EINVAL);
		ck_assert_int_eq(log_level_parse("", &got), GD_EINVAL);
		ck_assert_int_eq(got, LOG_LVL_INFO);
	}
}
END_TEST

START_TEST(shipped_files)
{
	struct config def, cfg;
	struct config_errors errs;
	struct diffs d = { .len = 0 };
	char got[4096], want[128];
	size_t len;
	char *text;

	/* grantd.conf: parses, every key appears, every value is the default. */
	text = slurp("config/grantd.conf", &len);
	ck_assert_int_eq(config_parse(text, len, &cfg, &errs), 0);
	render(&errs, got, sizeof(got));
	ck_assert_msg(errs.n == 0, "grantd.conf:\n%s", got);
	for (size_t i = 0; config_key(i) != NULL; i++) {
		const char *key = config_key(i), *dot = strchr(key, '.');

		snprintf(want, sizeof(want), "[%.*s]\n", (int)(dot - key), key);
		ck_assert_msg(strstr(text, want) != NULL, "no %s", want);
		/* "key =" with nothing after it: an empty default (no TLS). */
		snprintf(want, sizeof(want), "\n%s =", dot + 1);
		ck_assert_msg(strstr(text, want) != NULL, "no %s in grantd.conf", key);
	}
	config_defaults(&def);
	config_diff(&def, &cfg, collect, &d);
	ck_assert_msg(d.len == 0, "grantd.conf differs from the defaults:\n%s", d.buf);
	ck_assert_mem_eq(&def, &cfg, sizeof(def));
	free(text);

	/* grantd.dev.conf: parses, and differs in the database and the log level. */
	text = slurp("config/grantd.dev.conf", &len);
	ck_assert_int_eq(config_parse(text, len, &cfg, &errs), 0);
	config_diff(&def, &cfg, collect, &d);
	ck_assert_str_eq(d.buf,
	    "storage.database: /var/lib/grantd/grantd.db -> ./var/grantd.db\n"
	    "log.level: info -> debug\n"
	    "ui.root: /usr/share/grantd/ui -> ./ui\n");
	ck_assert_str_eq(cfg.server.host, "127.0.0.1");
	ck_assert_uint_eq(cfg.server.port, 8440);
	free(text);
}
END_TEST

/*
 * Random files made of config-like fragments and stray bytes: nothing may
 * crash or overrun (ASan watches), the result and the errors agree, and
 * errors come in line order within the file.
 */
START_TEST(random_files)
{
	static const char *const frags[] = {
		"[server]", "[log]", "[storage]", "[programme]", "[x]", "[", "]", "listen", "level",
		"max_connections", "database", "timezone", "=", ":", ";", "#", " ", "\t", "\n",
		"\r\n", "\r", "debug", "127.0.0.1:80", "[::1]:1", "12", "-3", "yes", "UTC", "\xef",
		"\xbb\xbf", "\0", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
		/* Errors found only once the whole file is read, which must still come in order. */
		"[tls]", "certificate", "key", "a.pem", "0.0.0.0:1", "allow_plain_http",
	};
	unsigned seed = (unsigned)time(NULL);
	struct config_errors errs;
	struct config cfg;
	char text[2048];

	srand(seed);
	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		int lines = 1, rc;

		while (len < sizeof(text) - 80 && rand() % 60 != 0) {
			size_t f = (size_t)rand() % (sizeof(frags) / sizeof(frags[0]));
			size_t fl = frags[f][0] != '\0' ? strlen(frags[f]) : 1;

			memcpy(text + len, frags[f], fl);
			len += fl;
		}
		for (size_t i = 0; i < len; i++)
			lines += text[i] == '\n';
		rc = config_parse(text, len, &cfg, &errs);
		ck_assert_msg((rc == 0) == (errs.n == 0), "seed %u round %d", seed, round);
		for (int i = 0; i < errs.n && i < CONFIG_ERRORS_MAX; i++) {
			ck_assert_msg(errs.e[i].line >= 1 && errs.e[i].line <= lines,
			    "seed %u round %d: line %d of %d", seed, round, errs.e[i].line, lines);
			ck_assert_msg(i == 0 || errs.e[i].line >= errs.e[i - 1].line,
			    "seed %u round %d: out of order", seed, round);
			ck_assert_msg(strlen(errs.e[i].msg) > 0, "seed %u round %d", seed, round);
		}
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, defaults);
	tcase_add_loop_test(tc, parse_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_loop_test(tc, integer_bounds, 0, sizeof(ranges) / sizeof(ranges[0]));
	tcase_add_loop_test(tc, boolean_values, 0, sizeof(booleans) / sizeof(booleans[0]));
	tcase_add_test(tc, multiple_errors);
	tcase_add_test(tc, error_overflow);
	tcase_add_test(tc, long_lines);
	tcase_add_test(tc, nul_and_size);
	tcase_add_loop_test(tc, listen_parsing, 0, sizeof(listens) / sizeof(listens[0]));
	tcase_add_loop_test(tc, loopback_hosts, 0, sizeof(loopbacks) / sizeof(loopbacks[0]));
	tcase_add_test(tc, listen_small_buffer);
	tcase_add_test(tc, diff);
	tcase_add_test(tc, keys_and_values);
	tcase_add_test(tc, shipped_files);
	tcase_add_test(tc, random_files);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
