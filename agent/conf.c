/* conf.c: grantd-agent's configuration file: flat INI keys, every error with its line. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

/* A configuration file is a few lines; anything larger is a mistake. */
#define CONF_TEXT_MAX	65536

enum conf_type { T_STR, T_INT, T_ID, T_NODE, T_URL, T_PATH, T_LEVEL, T_LISTEN };

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t off;
	size_t len;		/* strings: the buffer's size */
	int min, max;		/* integers */
};

#define S(f, t) #f, t, offsetof(struct conf, f), sizeof(((struct conf *)0)->f), 0, 0
#define I(f, lo, hi) #f, T_INT, offsetof(struct conf, f), 0, lo, hi

static const struct conf_key keys[] = {
	{ S(url, T_URL) },
	{ S(token, T_STR) },
	{ S(token_file, T_PATH) },
	{ S(cacert, T_PATH) },
	{ S(pool, T_ID) },
	{ S(node, T_NODE) },
	{ S(team, T_ID) },
	{ I(interval, 1, 3600) },
	{ I(post_interval, 1, 86400) },
	{ S(spool_dir, T_PATH) },
	{ S(dead_dir, T_PATH) },
	{ I(spool_max_batches, 1, 1000000) },
	{ S(metrics_listen, T_LISTEN) },
	{ S(nvml_library, T_PATH) },
	{ S(log_level, T_LEVEL) },
	{ S(log_file, T_PATH) },
	{ I(timeout, 1, 600) },
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

#undef S
#undef I

struct parse {
	struct conf *c;
	struct conf_errors *errs;
	const char *p, *end;	/* the text still to read */
	int line;		/* the line inih has last read */
	int seen[NKEYS];	/* the line that set each key, 0 if none */
	int nerr;
};

static void
add_error(struct conf_errors *errs, int line, const char *fmt, ...)
{
	va_list ap;

	if (errs == NULL || errs->n >= (int)(sizeof(errs->e) / sizeof(errs->e[0])))
		return;
	errs->e[errs->n].line = line;
	va_start(ap, fmt);
	vsnprintf(errs->e[errs->n].msg, sizeof(errs->e[errs->n].msg), fmt, ap);
	va_end(ap);
	errs->n++;
}

void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->interval = 10;
	c->post_interval = 60;
	snprintf(c->spool_dir, sizeof(c->spool_dir), "/var/lib/grantd-agent/spool");
	c->spool_max_batches = 10000;
	snprintf(c->metrics_listen, sizeof(c->metrics_listen), "127.0.0.1:9441");
	snprintf(c->nvml_library, sizeof(c->nvml_library), "libnvidia-ml.so.1");
	snprintf(c->log_level, sizeof(c->log_level), "info");
	c->timeout = 15;
}

bool
conf_valid_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

static bool
alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

bool
conf_valid_node(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !alnum(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	return true;
}

/* "HOST:PORT" on loopback: the metrics answer anyone who can connect. */
static int
parse_listen(const char *v, char *host, size_t hostlen, int *port, char *why, size_t whylen)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long p;
	size_t hl;

	if (colon == NULL) {
		snprintf(why, whylen, "must be HOST:PORT (127.0.0.1:9441), or off");
		return -1;
	}
	hl = (size_t)(colon - v);
	if (hl >= 2 && v[0] == '[' && v[hl - 1] == ']') {
		v++;
		hl -= 2;
	}
	if (hl == 0 || hl >= hostlen) {
		snprintf(why, whylen, "must be HOST:PORT (127.0.0.1:9441), or off");
		return -1;
	}
	memcpy(host, v, hl);
	host[hl] = '\0';
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno != 0 || end == colon + 1 || *end != '\0' || p < 0 || p > 65535) {
		snprintf(why, whylen, "port must be 0..65535");
		return -1;
	}
	if (strncmp(host, "127.", 4) != 0 && strcmp(host, "::1") != 0 &&
	    strcmp(host, "localhost") != 0) {
		snprintf(why, whylen, "must be a loopback address (127.0.0.0/8 or [::1]): "
		    "the metrics have no authentication");
		return -1;
	}
	if (strcmp(host, "localhost") == 0)
		snprintf(host, hostlen, "127.0.0.1");
	*port = (int)p;
	return 0;
}

static int
set_value(struct conf *c, const struct conf_key *k, const char *v, char *why, size_t whylen)
{
	char *dst = (char *)c + k->off;
	char *end;
	long n;

	if (k->type == T_INT) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || n < k->min || n > k->max) {
			snprintf(why, whylen, "must be a whole number %d..%d", k->min, k->max);
			return -1;
		}
		*(int *)(void *)dst = (int)n;
		return 0;
	}
	if (strlen(v) >= k->len) {
		snprintf(why, whylen, "longer than %zu characters", k->len - 1);
		return -1;
	}
	switch (k->type) {
	case T_ID:
		if (!conf_valid_id(v)) {
			snprintf(why, whylen, "must match [a-z0-9][a-z0-9-]{0,62}");
			return -1;
		}
		break;
	case T_NODE:
		if (!conf_valid_node(v)) {
			snprintf(why, whylen, "must match [A-Za-z0-9][A-Za-z0-9._-]{0,62}");
			return -1;
		}
		break;
	case T_URL:
		if (strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) {
			snprintf(why, whylen, "must begin with https:// (or http:// on loopback)");
			return -1;
		}
		break;
	case T_PATH:
		if (v[0] == '\0')
			break;
		if (strcmp(k->name, "nvml_library") != 0 && v[0] != '/') {
			snprintf(why, whylen, "must be an absolute path");
			return -1;
		}
		break;
	case T_LEVEL:
		if (strcmp(v, "error") != 0 && strcmp(v, "warning") != 0 &&
		    strcmp(v, "notice") != 0 && strcmp(v, "info") != 0 &&
		    strcmp(v, "debug") != 0) {
			snprintf(why, whylen, "must be error, warning, notice, info or debug");
			return -1;
		}
		break;
	case T_LISTEN:
		if (v[0] != '\0' && strcmp(v, "off") != 0 && parse_listen(v, c->metrics_host,
		    sizeof(c->metrics_host), &c->metrics_port, why, whylen) < 0)
			return -1;
		break;
	default:
		break;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/*
 * inih as Debian builds it does not pass line numbers to the handler, so
 * the file is fed to it line by line and counted here.  A line too long
 * for inih's buffer (200 bytes) or with a control character is an error of
 * its own, and reaches inih as a blank line; leading blanks are dropped, so
 * that an indented key is a key and not the continuation of the one above.
 */
static char *
reader(char *str, int num, void *arg)
{
	struct parse *st = arg;
	const char *s = st->p, *eol;
	size_t len;

	if (st->p >= st->end || num < 2)
		return NULL;
	eol = memchr(s, '\n', (size_t)(st->end - s));
	len = (size_t)((eol != NULL ? eol : st->end) - s);
	st->p = eol != NULL ? eol + 1 : st->end;
	st->line++;
	str[0] = '\0';
	if (len > 0 && s[len - 1] == '\r')
		len--;
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	if (len > (size_t)num - 2) {
		add_error(st->errs, st->line, "line too long: at most %d bytes", num - 2);
		st->nerr++;
		return str;
	}
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			add_error(st->errs, st->line, "control character in the line");
			st->nerr++;
			return str;
		}
	}
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	struct parse *st = arg;
	int line = st->line;
	char why[160];
	size_t i;

	if (section[0] != '\0') {
		add_error(st->errs, line, "[%.40s]: grantd-agent's keys stand before any section",
		    section);
		st->nerr++;
		return 1;
	}
	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			break;
	if (i == NKEYS) {
		add_error(st->errs, line, "unknown key \"%.60s\"", name);
		st->nerr++;
		return 1;
	}
	if (st->seen[i] != 0) {
		add_error(st->errs, line, "%s: duplicate key, first set on line %d", name,
		    st->seen[i]);
		st->nerr++;
		return 1;
	}
	st->seen[i] = line;
	if (set_value(st->c, &keys[i], value, why, sizeof(why)) < 0) {
		add_error(st->errs, line, "%s: %s", name, why);
		st->nerr++;
	}
	return 1;
}

static int
key_line(const struct parse *st, const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return st->seen[i];
	return 0;
}

/* Reads a whole small file; 0 or -1 with errno. */
static int
slurp(const char *path, char *buf, size_t size, size_t *len)
{
	ssize_t n;
	size_t o = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (o < size - 1 && (n = read(fd, buf + o, size - 1 - o)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		o += (size_t)n;
	}
	close(fd);
	if (o == size - 1) {
		errno = EFBIG;
		return -1;
	}
	buf[o] = '\0';
	*len = o;
	return 0;
}

/* The secret on the first line of token_file. */
static int
read_token(struct parse *st)
{
	char buf[CONF_TOKEN_LEN + 2];
	struct stat sb;
	size_t len;
	int line = key_line(st, "token_file");

	if (slurp(st->c->token_file, buf, sizeof(buf), &len) < 0) {
		add_error(st->errs, line, "token_file: %s: %s", st->c->token_file,
		    errno == EFBIG ? "longer than a token" : strerror(errno));
		return -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	if (buf[0] == '\0') {
		add_error(st->errs, line, "token_file: %s is empty", st->c->token_file);
		return -1;
	}
	if (stat(st->c->token_file, &sb) == 0 && (sb.st_mode & 0077) != 0) {
		add_error(st->errs, line, "token_file: %s is readable by others (chmod 0600 it)",
		    st->c->token_file);
		return -1;
	}
	if (strlen(buf) >= sizeof(st->c->token)) {
		add_error(st->errs, line, "token_file: %s holds more than a token",
		    st->c->token_file);
		return -1;
	}
	memcpy(st->c->token, buf, strlen(buf) + 1);
	return 0;
}

/* What single keys cannot say. */
static void
check_whole(struct parse *st)
{
	struct conf *c = st->c;
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char *slash;

	if (c->post_interval % c->interval != 0 || c->post_interval < c->interval) {
		add_error(st->errs, key_line(st, "post_interval"), "post_interval: must be a "
		    "multiple of interval (%d)", c->interval);
		st->nerr++;
	}
	/*
	 * Under systemd the token comes as a credential (LoadCredential=token:
	 * in the unit): a dynamic user cannot read a root-only file in /etc.
	 */
	if (c->token[0] == '\0' && c->token_file[0] == '\0' && cred != NULL && cred[0] == '/' &&
	    strlen(cred) + 7 < sizeof(c->token_file)) {
		snprintf(c->token_file, sizeof(c->token_file), "%s/token", cred);
		if (access(c->token_file, F_OK) != 0)
			c->token_file[0] = '\0';
	}
	if (c->token[0] != '\0' && c->token_file[0] != '\0') {
		add_error(st->errs, key_line(st, "token"), "token: set with token_file: set one");
		st->nerr++;
	} else if (c->token_file[0] != '\0' && read_token(st) < 0) {
		st->nerr++;
	}
	if (c->spool_dir[0] == '\0') {
		add_error(st->errs, key_line(st, "spool_dir"), "spool_dir: must be set");
		st->nerr++;
	}
	if (c->dead_dir[0] == '\0' && c->spool_dir[0] != '\0') {
		/* Beside the spool, on the same file system, so that a move is a rename. */
		snprintf(c->dead_dir, sizeof(c->dead_dir), "%s", c->spool_dir);
		while (strlen(c->dead_dir) > 1 && c->dead_dir[strlen(c->dead_dir) - 1] == '/')
			c->dead_dir[strlen(c->dead_dir) - 1] = '\0';
		slash = strrchr(c->dead_dir, '/');
		if (slash != NULL && (size_t)(slash - c->dead_dir) + 6 < sizeof(c->dead_dir))
			snprintf(slash + 1, sizeof(c->dead_dir) - (size_t)(slash + 1 - c->dead_dir),
			    "dead");
	}
	if (strcmp(c->dead_dir, c->spool_dir) == 0) {
		add_error(st->errs, key_line(st, "dead_dir"), "dead_dir: must not be spool_dir");
		st->nerr++;
	}
	if (c->metrics_listen[0] == '\0' || strcmp(c->metrics_listen, "off") == 0)
		c->metrics_port = -1;
	else if (key_line(st, "metrics_listen") == 0)
		parse_listen(c->metrics_listen, c->metrics_host, sizeof(c->metrics_host),
		    &c->metrics_port, (char[8]){ 0 }, 8);
}

static void
default_node(struct conf *c)
{
	char host[256];

	if (c->node[0] != '\0' || gethostname(host, sizeof(host)) != 0)
		return;
	host[sizeof(host) - 1] = '\0';
	/* The short name when the full one is too long to be an id. */
	if (!conf_valid_node(host))
		host[strcspn(host, ".")] = '\0';
	if (conf_valid_node(host))
		snprintf(c->node, sizeof(c->node), "%.63s", host);
}

int
conf_load(const char *path, struct conf *c, struct conf_errors *errs)
{
	static char text[CONF_TEXT_MAX + 1];
	struct parse st;
	size_t len;
	int rc;

	conf_defaults(c);
	if (errs != NULL)
		errs->n = 0;
	memset(&st, 0, sizeof(st));
	st.c = c;
	st.errs = errs;
	if (path != NULL) {
		if (slurp(path, text, sizeof(text), &len) < 0) {
			add_error(errs, 0, "%s", errno == EFBIG ? "larger than 64 KiB" :
			    strerror(errno));
			return -1;
		}
		if (memchr(text, '\0', len) != NULL) {
			add_error(errs, 0, "holds a NUL byte");
			return -1;
		}
		st.p = text;
		st.end = text + len;
		rc = ini_parse_stream(reader, &st, handler, &st);
		if (rc > 0) {
			add_error(errs, rc, "syntax error (KEY = VALUE expected)");
			st.nerr++;
		} else if (rc < 0) {
			add_error(errs, 0, "cannot be parsed (out of memory)");
			st.nerr++;
		}
	}
	check_whole(&st);
	default_node(c);
	return st.nerr != 0 ? -1 : 0;
}

int
conf_check_daemon(const struct conf *c, struct conf_errors *errs)
{
	int n = 0;

	if (c->url[0] == '\0') {
		add_error(errs, 0, "url: must be set (grantd's address, https://HOST:PORT)");
		n++;
	}
	if (c->token[0] == '\0') {
		add_error(errs, 0, "token_file: must be set (the node's agent token; under "
		    "systemd, the credential token)");
		n++;
	}
	if (c->pool[0] == '\0') {
		add_error(errs, 0, "pool: must be set (the pool this node belongs to)");
		n++;
	}
	if (c->node[0] == '\0') {
		add_error(errs, 0, "node: must be set (the host name is not a valid node id)");
		n++;
	}
	/* A bearer token in clear text crosses only loopback. */
	if (strncmp(c->url, "http://", 7) == 0 && strncmp(c->url, "http://127.", 11) != 0 &&
	    strncmp(c->url, "http://localhost", 16) != 0 && strncmp(c->url, "http://[::1]", 12)) {
		add_error(errs, 0, "url: plain http:// only to loopback; use https:// (and "
		    "cacert) for a remote grantd");
		n++;
	}
	return n != 0 ? -1 : 0;
}

void
conf_print(const struct conf *c, FILE *f)
{
	fprintf(f, "url = %s\n", c->url);
	fprintf(f, "token = %s\n", c->token[0] ? "(set, not shown)" : "");
	fprintf(f, "token_file = %s\n", c->token_file);
	fprintf(f, "cacert = %s\n", c->cacert);
	fprintf(f, "pool = %s\n", c->pool);
	fprintf(f, "node = %s\n", c->node);
	fprintf(f, "team = %s\n", c->team[0] ? c->team : "(asked of grantd)");
	fprintf(f, "interval = %d\n", c->interval);
	fprintf(f, "post_interval = %d\n", c->post_interval);
	fprintf(f, "spool_dir = %s\n", c->spool_dir);
	fprintf(f, "dead_dir = %s\n", c->dead_dir);
	fprintf(f, "spool_max_batches = %d\n", c->spool_max_batches);
	fprintf(f, "metrics_listen = %s\n", c->metrics_port < 0 ? "off" : c->metrics_listen);
	fprintf(f, "nvml_library = %s\n", c->nvml_library);
	fprintf(f, "log_level = %s\n", c->log_level);
	fprintf(f, "log_file = %s\n", c->log_file);
	fprintf(f, "timeout = %d\n", c->timeout);
}

void
conf_errors_print(const struct conf_errors *errs, const char *path, FILE *f)
{
	for (int i = 0; i < errs->n; i++) {
		if (errs->e[i].line > 0)
			fprintf(f, "%s:%d: %s\n", path, errs->e[i].line, errs->e[i].msg);
		else
			fprintf(f, "%s: %s\n", path, errs->e[i].msg);
	}
}
