/* cmd_config.c: grantctl login, config set and config show: the client's own configuration file. */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "civil.h"
#include "grantctl.h"

/* Longest token kept: what conf.c reads back (struct ctl's conf_token). */
#define MAX_TOKEN 511
/*
 * Longest CA path kept: inih reads lines of at most 199 bytes (Debian's
 * build), "cacert = " included.
 */
#define MAX_CACERT 190

/*
 * Reads one line from standard input into buf: a token typed at a prompt
 * (echo off) or piped in, so that it never shows in the process list or
 * the shell's history.  Returns 0, or -1 when there is no line.
 */
static int
read_secret(const char *prompt, char *buf, size_t n)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	size_t len;
	char *ok;

	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ok = fgets(buf, (int)n, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (ok == NULL)
		return -1;
	len = strcspn(buf, "\r\n");
	while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
		len--;
	buf[len] = '\0';
	return len > 0 ? 0 : -1;
}

/* A token as it may go into an Authorization header and a key = value line. */
static bool
valid_token(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > MAX_TOKEN)
		return false;
	for (; *t; t++)
		if (*t <= 0x20 || *t >= 0x7f)
			return false;
	return true;
}

/* The start of a secret, enough to tell two apart: "gd_Ab… (46 characters". */
static const char *
masked(const char *token, char *buf, size_t n)
{
	snprintf(buf, n, "%.5s\u2026 (%zu characters", token, strlen(token));
	return buf;
}

/*
 * Whether c->url accepts c->token: an authenticated GET that every role may
 * make and that costs the server one row (GET /v1/health asks for no token,
 * so it proves nothing).  Prints the problem and returns its exit status.
 */
static int
check_token(struct ctl *c)
{
	struct reply r;
	char *path = path_fmt("/v1/card-models?limit=1");
	int rc = api(c, "GET", path, NULL, &r);

	free(path);
	reply_free(&r);
	return rc;
}

/* Whether something answers as grantd at c->url, for a URL saved without a token. */
static int
check_server(struct ctl *c)
{
	struct reply r;
	char *path = path_fmt("/v1/health");
	int rc = api(c, "GET", path, NULL, &r);

	if (rc == 0 && !*jstr(r.json, "status")) {
		fprintf(stderr, "grantctl: %s answered /v1/health without a status: is it "
		    "grantd?\n", c->url);
		rc = EXIT_OTHER;
	}
	reply_free(&r);
	free(path);
	return rc;
}

/* Whether an environment variable is set to something other than what the file says. */
static bool
differs(const char *env, const char *saved)
{
	char a[600], b[600];

	if (env == NULL || *env == '\0')
		return false;
	snprintf(a, sizeof(a), "%s", env);
	snprintf(b, sizeof(b), "%s", saved);
	url_normalize(a);
	url_normalize(b);
	return strcmp(a, b) != 0;
}

/*
 * The CA file as the configuration file keeps it: absolute, so that it
 * serves from any directory, and readable now.  Returns a malloc'd path, or
 * NULL after saying why.
 */
static char *
cacert_to_store(const char *path)
{
	char *abs = realpath(path, NULL);
	FILE *f;

	if (abs == NULL || (f = fopen(abs, "r")) == NULL) {
		usage_error("cannot read the CA file %s: %s", path, strerror(errno));
		free(abs);
		return NULL;
	}
	fclose(f);
	if (strlen(abs) > MAX_CACERT) {
		usage_error("the CA file's path %s is longer than %d bytes: the configuration "
		    "file cannot hold it; move the file", abs, MAX_CACERT);
		free(abs);
		return NULL;
	}
	return abs;
}

/* Writes the file and says what is in it now; the token is shown masked. */
static int
save(struct ctl *c, const struct conf_values *v, const char *checked)
{
	const char *url = v->url, *token = v->token, *tz = v->tz;
	char m[64];
	int rc;

	if (c->conf_path[0] == '\0')
		return usage_error("no configuration file to write: set HOME or "
		    "XDG_CONFIG_HOME, or name one with --config FILE");
	if ((rc = conf_save(c->conf_path, v)) < 0) {
		fprintf(stderr, "grantctl: cannot write %s: %s; nothing changed\n", c->conf_path,
		    strerror(-rc));
		return EXIT_OTHER;
	}
	fprintf(c->out, "wrote %s (mode 0600)%s\n", c->conf_path, checked);
	if (url && *url)
		fprintf(c->out, "  url = %s\n", url);
	if (token && *token)
		fprintf(c->out, "  token = %s)\n", masked(token, m, sizeof(m)));
	if (tz && *tz)
		fprintf(c->out, "  tz = %s\n", tz);
	if (v->cacert && *v->cacert)
		fprintf(c->out, "  cacert = %s\n", v->cacert);
	/* The file is the last place looked: say when something else still wins. */
	if (url && *url && differs(getenv("GRANTD_URL"), url))
		fprintf(stderr, "grantctl: note: GRANTD_URL is set to another server and wins "
		    "over the file\n");
	if (token && *token && differs(getenv("GRANTD_TOKEN"), token))
		fprintf(stderr, "grantctl: note: GRANTD_TOKEN is set to another token and wins "
		    "over the file\n");
	return 0;
}

/* The token to store: --token or GRANTD_TOKEN, else a line read from standard input. */
static int
token_to_store(struct ctl *c, const char *given, char *buf, size_t n)
{
	char prompt[700];

	if (given != NULL && strcmp(given, "-") != 0) {
		snprintf(buf, n, "%s", given);
	} else {
		snprintf(prompt, sizeof(prompt), "token for %s: ", c->url);
		if (read_secret(prompt, buf, n) != 0)
			return usage_error("no token: give --token TOKEN, set GRANTD_TOKEN, or "
			    "type it (or pipe it) on standard input");
	}
	if (!valid_token(buf))
		return usage_error("a token is 1 to %d printable characters without spaces",
		    MAX_TOKEN);
	return 0;
}

int
cmd_login(struct ctl *c, char **a)
{
	static char token[MAX_TOKEN + 2];
	const char *given = NULL;
	char checked[700], *ca = NULL;
	int rc;

	(void)a;
	/* The CA that vouched for the server is kept with it, as the URL is. */
	if (c->cacert && (ca = cacert_to_store(c->cacert)) == NULL)
		return EXIT_USAGE;
	/* A token from the file being replaced is not a new one: ask for it. */
	if (c->token && c->token_from && strcmp(c->token_from, "the configuration file") != 0)
		given = c->token;
	if ((rc = token_to_store(c, given, token, sizeof(token))) != 0) {
		free(ca);
		return rc;
	}
	c->token = token;
	if ((rc = check_token(c)) != 0) {
		fprintf(stderr, "grantctl: %s did not accept the token; nothing written\n",
		    c->url);
	} else {
		struct conf_values v = { c->url, token, c->conf_tz, ca };

		snprintf(checked, sizeof(checked), "; %s accepted the token", c->url);
		rc = save(c, &v, checked);
	}
	sodium_memzero(token, sizeof(token));
	free(ca);
	return rc;
}

/* config set cacert FILE, or "" for none: the server must answer with it first. */
static int
set_cacert(struct ctl *c, const char *file)
{
	struct conf_values v = { c->conf_url, c->conf_token, c->conf_tz, NULL };
	char checked[700], *ca = NULL;
	int rc;

	if (*file != '\0' && (ca = cacert_to_store(file)) == NULL)
		return EXIT_USAGE;
	c->cacert = ca;
	c->cacert_from = "config set cacert";
	/* Trust is what changes: the server must answer over it, token or not. */
	if (strncmp(c->url, "https://", 8) == 0) {
		if ((rc = check_server(c)) != 0) {
			fprintf(stderr, "grantctl: %s: nothing written\n", c->url);
			free(ca);
			return rc;
		}
		snprintf(checked, sizeof(checked), "; %s answered", c->url);
	} else {
		checked[0] = '\0';
	}
	v.cacert = ca;
	rc = save(c, &v, checked);
	free(ca);
	return rc;
}

int
cmd_config_set(struct ctl *c, char **a)
{
	static char token[MAX_TOKEN + 2];
	char url[512], checked[700];
	int32_t off;
	int rc;

	if (strcmp(a[0], "url") == 0) {
		if (strncmp(a[1], "http://", 7) != 0 && strncmp(a[1], "https://", 8) != 0)
			return usage_error("url must start with http:// or https://");
		if (strlen(a[1]) >= sizeof(url))
			return usage_error("url is longer than %zu bytes", sizeof(url) - 1);
		snprintf(url, sizeof(url), "%s", a[1]);
		url_normalize(url);
		c->url = url;
		/* The token kept in the file must work at the new server. */
		c->token = c->conf_token[0] ? c->conf_token : NULL;
		rc = c->token ? check_token(c) : check_server(c);
		if (rc != 0) {
			fprintf(stderr, "grantctl: %s: nothing written\n", url);
			return rc;
		}
		snprintf(checked, sizeof(checked), "; %s %s", url, c->token ?
		    "accepted the token" : "answered");
		return save(c, &(struct conf_values){ url, c->conf_token, c->conf_tz,
		    c->conf_cacert }, checked);
	}
	if (strcmp(a[0], "token") == 0) {
		if ((rc = token_to_store(c, a[1], token, sizeof(token))) != 0)
			return rc;
		c->token = token;
		if ((rc = check_token(c)) != 0) {
			fprintf(stderr, "grantctl: %s did not accept the token; nothing written\n",
			    c->url);
		} else {
			snprintf(checked, sizeof(checked), "; %s accepted the token", c->url);
			rc = save(c, &(struct conf_values){ c->conf_url, token, c->conf_tz,
			    c->conf_cacert }, checked);
		}
		sodium_memzero(token, sizeof(token));
		return rc;
	}
	if (strcmp(a[0], "tz") == 0) {
		if (civil_tz_offset(a[1], &off) != 0)
			return usage_error("unsupported time zone '%s': use UTC, a zone without "
			    "daylight saving time such as Asia/Seoul, or +HH:MM", a[1]);
		return save(c, &(struct conf_values){ c->conf_url, c->conf_token, a[1],
		    c->conf_cacert }, "");
	}
	if (strcmp(a[0], "cacert") == 0)
		return set_cacert(c, a[1]);
	return usage_error("config set takes url, token, tz or cacert, not '%s'", a[0]);
}

int
cmd_config_show(struct ctl *c, char **a)
{
	struct table *t = kv_new();
	char line[4200], m[64];

	(void)a;
	snprintf(line, sizeof(line), "%s%s", c->conf_path[0] ? c->conf_path : "(none)",
	    c->conf_path[0] && access(c->conf_path, F_OK) != 0 ? " (not there yet)" : "");
	kv_add(t, "file", line);
	snprintf(line, sizeof(line), "%s (from %s)", c->url, c->url_from);
	kv_add(t, "url", line);
	if (c->token) {
		snprintf(line, sizeof(line), "%s, from %s)", masked(c->token, m, sizeof(m)),
		    c->token_from);
		kv_add(t, "token", line);
	} else {
		kv_add(t, "token", "(none)");
	}
	if (c->tz_fixed)
		snprintf(line, sizeof(line), "%s (fixed by --tz or the file)", c->tz_name);
	else
		snprintf(line, sizeof(line), "the programme's zone, else UTC");
	kv_add(t, "zone", line);
	if (c->cacert)
		snprintf(line, sizeof(line), "%s (from %s)", c->cacert, c->cacert_from);
	else
		snprintf(line, sizeof(line), "(none: the system's CAs)");
	kv_add(t, "cacert", line);
	table_print(t, c->out);
	table_free(t);
	return 0;
}
