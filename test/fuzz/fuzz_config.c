/* fuzz_config.c: libFuzzer target for grantd.conf parsing (lib/config.c over inih). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "civil.h"
#include "config.h"
#include "err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
on_diff(void *arg, const char *key, const char *from, const char *to)
{
	(void)arg;
	FUZZ_CHECK(key != NULL && from != NULL && to != NULL && strcmp(from, to) != 0,
	    "config_diff reported %s with equal values", key ? key : "(null)");
}

/* Writes cfg as a file: "[section]" headers and "key=value", no blanks. */
static size_t
serialise(const struct config *cfg, char *out, size_t cap)
{
	char val[CONFIG_PATH_LEN + 16], sec[32] = "";
	const char *key, *dot;
	size_t n = 0;
	int r;

	for (size_t i = 0; (key = config_key(i)) != NULL; i++) {
		dot = strchr(key, '.');
		FUZZ_CHECK(dot != NULL && (size_t)(dot - key) < sizeof(sec), "key %s", key);
		r = config_value(cfg, key, val, sizeof(val));
		FUZZ_CHECK(r >= 0 && (size_t)r == strlen(val), "config_value(%s) = %d", key, r);
		if (strncmp(sec, key, (size_t)(dot - key)) != 0 || sec[dot - key] != '\0') {
			memcpy(sec, key, (size_t)(dot - key));
			sec[dot - key] = '\0';
			n += (size_t)snprintf(out + n, cap - n, "[%s]\n", sec);
		}
		n += (size_t)snprintf(out + n, cap - n, "%s=%s\n", dot + 1, val);
		FUZZ_CHECK(n < cap, "serialised config too long");
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg, again, def;
	static struct config_errors errs, errs2;
	static char text[64 * 1024];
	size_t lines = 1, n;
	int rc, prev = 0;

	/* inih's limits are per line; 64 KiB of them is plenty to explore. */
	if (size > 64 * 1024)
		return 0;
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';

	rc = config_parse((const char *)data, size, &cfg, &errs);
	FUZZ_CHECK(rc == 0 || rc == GD_EINVAL, "config_parse returned %d", rc);
	FUZZ_CHECK((rc == 0) == (errs.n == 0), "rc %d with %d errors", rc, errs.n);
	for (int i = 0; i < errs.n && i < CONFIG_ERRORS_MAX; i++) {
		FUZZ_CHECK(memchr(errs.e[i].msg, '\0', sizeof(errs.e[i].msg)) != NULL,
		    "error %d is not terminated", i);
		FUZZ_CHECK(errs.e[i].msg[0] != '\0', "error %d at line %d is empty", i,
		    errs.e[i].line);
		FUZZ_CHECK(errs.e[i].line >= 0 && (size_t)errs.e[i].line <= lines,
		    "error at line %d of a %zu-line file", errs.e[i].line, lines);
		/* Messages reach logs and terminals: no control characters. */
		for (const char *p = errs.e[i].msg; *p; p++)
			FUZZ_CHECK((unsigned char)*p >= 0x20 && *p != 0x7f,
			    "control character in \"%s\"", errs.e[i].msg);
		/* Errors come in line order. */
		FUZZ_CHECK(errs.e[i].line >= prev, "error at line %d after one at line %d: %s",
		    errs.e[i].line, prev, errs.e[i].msg);
		prev = errs.e[i].line;
		/*
		 * config_parse ends with a guard for a syntax error inih found and the
		 * reader did not; the comment says it cannot happen, so it must not.
		 */
		FUZZ_CHECK(strcmp(errs.e[i].msg, "syntax error") != 0,
		    "inih found a syntax error at line %d that the reader missed",
		    errs.e[i].line);
	}

	/* Whatever was read, every value is in range and formats. */
	FUZZ_CHECK(cfg.server.max_connections >= 1 && cfg.server.idle_timeout_s >= 1 &&
	    cfg.server.max_body_bytes >= 1024 && cfg.server.max_json_depth >= 2 &&
	    cfg.programme.hold_expiry_days >= 1, "a value below its range");
	FUZZ_CHECK(memchr(cfg.storage.database, '\0', sizeof(cfg.storage.database)) != NULL &&
	    cfg.storage.database[0] != '\0', "database path");
	int32_t off;

	FUZZ_CHECK(civil_tz_offset(cfg.programme.timezone, &off) == 0 &&
	    off == cfg.programme.tz_offset, "timezone %s", cfg.programme.timezone);
	config_defaults(&def);
	config_diff(&def, &cfg, on_diff, NULL);

	if (rc != 0)
		return 0;
	/* A valid file's configuration, written out and read again, is the same. */
	n = serialise(&cfg, text, sizeof(text));
	rc = config_parse(text, n, &again, &errs2);
	FUZZ_CHECK(rc == 0, "the serialised configuration does not parse: line %d: %s\n%s",
	    errs2.e[0].line, errs2.e[0].msg, text);
	for (size_t i = 0; config_key(i) != NULL; i++) {
		char a[CONFIG_PATH_LEN + 16], b[CONFIG_PATH_LEN + 16];

		config_value(&cfg, config_key(i), a, sizeof(a));
		config_value(&again, config_key(i), b, sizeof(b));
		FUZZ_CHECK(strcmp(a, b) == 0, "%s: \"%s\" became \"%s\"", config_key(i), a, b);
	}
	FUZZ_CHECK(memcmp(&cfg, &again, sizeof(cfg)) == 0,
	    "equal values but unequal structs (config.h promises byte equality)");
	return 0;
}
