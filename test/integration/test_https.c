/* test_https.c: grantd over HTTPS with an agency CA made at test time: grantctl --cacert, TLS 1.2+ with AEAD and ECDHE only, a certificate swapped on SIGHUP under open connections, plain HTTP kept on loopback. */
#include <check.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * The certificates are made here, with the openssl command, as an agency
 * would: a root CA (what grantctl gets with --cacert), an issuing CA under
 * it, and server certificates from the issuing CA for 127.0.0.1 alone
 * (subjectAltName IP:127.0.0.1).  A server's NAME.pem holds its certificate,
 * then the issuing CA's: the chain grantd sends.  Keys are RSA, so that a
 * client offering RSA key exchange would have something to agree on, were
 * grantd to allow it.
 */

static void __attribute__((format(printf, 1, 2)))
sh(const char *fmt, ...)
{
	char *cmd;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&cmd, fmt, ap), 0);
	va_end(ap);
	rc = system(cmd);
	ck_assert_msg(rc == 0, "exit %d: %s", rc, cmd);
	free(cmd);
}

/* A root CA and an issuing CA under it, in DIR/pki (or DIR/SUB). */
static void
make_ca(const char *dir, const char *sub)
{
	sh("mkdir -p '%s/%s' && cd '%s/%s' && "
	    "printf 'basicConstraints=critical,CA:TRUE,pathlen:0\\n"
	    "keyUsage=critical,keyCertSign,cRLSign\\n' > ca.ext && "
	    "printf 'subjectAltName=IP:127.0.0.1\\nbasicConstraints=CA:FALSE\\n"
	    "keyUsage=critical,digitalSignature,keyEncipherment\\n"
	    "extendedKeyUsage=serverAuth\\n' > server.ext && "
	    "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 "
	    "-subj '/CN=Test Agency Root CA' -addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign -keyout root.key -out root.pem "
	    "2>/dev/null && "
	    "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	    "-subj '/CN=Test Agency Issuing CA' -keyout issuing.key -out issuing.csr "
	    "2>/dev/null && "
	    "openssl x509 -req -in issuing.csr -CA root.pem -CAkey root.key -set_serial 0x11 "
	    "-days 30 -extfile ca.ext -out issuing.pem 2>/dev/null", dir, sub, dir, sub);
}

/*
 * A server certificate of serial (hex) from DIR/pki's issuing CA, valid for
 * days: NAME.pem and NAME.key.
 */
static void
make_server_for(const char *dir, const char *name, const char *serial, int days)
{
	sh("cd '%s/pki' && "
	    "openssl req -newkey rsa:2048 -nodes -subj '/CN=grantd test %s' -keyout %s.key "
	    "-out %s.csr 2>/dev/null && "
	    "openssl x509 -req -in %s.csr -CA issuing.pem -CAkey issuing.key -set_serial 0x%s "
	    "-days %d -extfile server.ext -out %s.crt 2>/dev/null && "
	    "cat %s.crt issuing.pem > %s.pem && chmod 600 %s.key",
	    dir, name, name, name, name, serial, days, name, name, name, name);
}

/* The same for a year. */
static void
make_server(const char *dir, const char *name, const char *serial)
{
	make_server_for(dir, name, serial, 365);
}

/*
 * NAME's certificate and key where [tls] points (DIR/tls/server.pem and
 * .key), each written beside and renamed over, as a renewal tool does.
 */
static void
install(const char *dir, const char *name)
{
	sh("cd '%s' && mkdir -p tls && cp pki/%s.pem tls/server.pem.new && "
	    "cp pki/%s.key tls/server.key.new && chmod 600 tls/server.key.new && "
	    "mv tls/server.pem.new tls/server.pem && mv tls/server.key.new tls/server.key",
	    dir, name, name);
}

/*
 * h's grantd.conf: listen (NULL: loopback), then server_extra in [server],
 * [tls] on DIR/tls unless plain, and notices in the log: the reloads say
 * there what they did.
 */
static void
write_conf(struct harness *h, const char *listen, const char *server_extra, bool plain,
    const char *tls_extra)
{
	FILE *f = fopen(h->conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[server]\nlisten = %s\n%s", listen ? listen : "127.0.0.1:0",
	    server_extra ? server_extra : "");
	if (!plain)
		fprintf(f, "[tls]\ncertificate = %s/tls/server.pem\nkey = %s/tls/server.key\n%s",
		    h->dir, h->dir, tls_extra ? tls_extra : "");
	fprintf(f, "[storage]\ndatabase = %s\n[log]\nlevel = notice\naccess_log = false\n",
	    h->db);
	fclose(f);
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return strdup("");
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(buf = calloc(1, (size_t)n + 1));
	ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

/* ------------------------------------------------------------------ */
/* grantd's log.  Its stderr goes to DIR/grantd.log, which the test reads. */

static void
log_path(const struct harness *h, char *buf, size_t n)
{
	snprintf(buf, n, "%s/grantd.log", h->dir);
}

/* h_start_tls() with grantd's stderr in its log file. */
static void
start_logged(struct harness *h)
{
	char path[400], ca[400];
	int saved, fd;

	log_path(h, path, sizeof(path));
	snprintf(ca, sizeof(ca), "%s/pki/root.pem", h->dir);
	fflush(stderr);
	ck_assert_int_ge(saved = dup(2), 0);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600), 0);
	dup2(fd, 2);
	close(fd);
	h_start_tls(h, ca);
	dup2(saved, 2);
	close(saved);
}

/* How many times text is in the log now. */
static int
log_count(const struct harness *h, const char *text)
{
	char path[400], *log, *p;
	int n = 0;

	log_path(h, path, sizeof(path));
	log = slurp(path);
	for (p = log; (p = strstr(p, text)) != NULL; p += strlen(text))
		n++;
	free(log);
	return n;
}

/* Waits (10 s at most) for text to be in the log count times. */
static void
wait_log(const struct harness *h, const char *text, int count)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	for (int waited = 0; log_count(h, text) < count; waited += 20) {
		ck_assert_msg(waited < 10000, "grantd did not log \"%s\" %d times", text, count);
		nanosleep(&ts, NULL);
	}
}

/* The log, on stderr, where scripts/run-tests keeps it with the test's. */
static void
show_log(const struct harness *h)
{
	char path[400], *log;

	log_path(h, path, sizeof(path));
	log = slurp(path);
	fprintf(stderr, "--- grantd's log in %s:\n%s", h->dir, log);
	free(log);
}

/*
 * SIGHUP, then waits until grantd is done with it: every reload of a good
 * file ends with "reload: N setting(s) applied".  *n counts them.
 */
static void
reload(struct harness *h, int *n)
{
	ck_assert_int_eq(kill(h->pid, SIGHUP), 0);
	wait_log(h, "setting(s) applied", ++*n);
}

/* ------------------------------------------------------------------ */
/* Requests through libcurl, with the TLS settings under test. */

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* One GET /v1/health: how it went, and what the handshake (if any) showed. */
struct try {
	CURLcode rc;
	long status;
	long connects;		/* connections opened for it: 0 when one was reused */
	char serial[80];	/* of the server's certificate; "" without a handshake */
	char err[CURL_ERROR_SIZE];
};

/*
 * On c, a handle kept between calls so that it keeps its connection alive,
 * or a fresh one.  version and ciphers (0 and NULL: libcurl's defaults)
 * shape the client's offer; the server's certificate must verify against
 * cacert.
 */
static struct try
get_health(CURL *c, const char *base, const char *cacert, long version, const char *ciphers)
{
	struct try t = { .rc = CURLE_OK };
	struct curl_certinfo *ci = NULL;
	char url[300];

	snprintf(url, sizeof(url), "%s/v1/health", base);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t.err);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (version != 0)
		curl_easy_setopt(c, CURLOPT_SSLVERSION, version);
	if (ciphers != NULL)
		curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, ciphers);
	t.rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.status);
	curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &t.connects);
	if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci != NULL &&
	    ci->num_of_certs > 0) {
		for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next)
			if (strncmp(s->data, "Serial Number:", 14) == 0)
				snprintf(t.serial, sizeof(t.serial), "%s", s->data + 14);
	}
	return t;
}

/* The same on a fresh handle: a new connection and a full handshake. */
static struct try
fresh(const char *base, const char *cacert, long version, const char *ciphers)
{
	CURL *c = curl_easy_init();
	struct try t;

	ck_assert_ptr_nonnull(c);
	t = get_health(c, base, cacert, version, ciphers);
	curl_easy_cleanup(c);
	return t;
}

/* Collects a reply's header lines, for ui_over_tls(). */
static size_t
keep_headers(char *p, size_t sz, size_t n, void *arg)
{
	char *buf = arg;
	size_t len = strlen(buf);

	if (len + sz * n < 4096) {
		memcpy(buf + len, p, sz * n);
		buf[len + sz * n] = '\0';
	}
	return sz * n;
}

/*
 * The dashboard's files come over the same HTTPS as the API (daemon/ui.c):
 * /ui is redirected to /ui/ with the dashboard's headers, whatever [ui] root holds.
 */
static void
ui_over_tls(const char *base, const char *cacert)
{
	CURL *c = curl_easy_init();
	char url[300], headers[4096] = "";
	long status = 0;
	CURLcode rc;

	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "%s/ui", base);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, keep_headers);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, (void *)headers);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	ck_assert_msg(rc == CURLE_OK && status == 301 && strstr(headers, "Location: /ui/\r\n") &&
	    strstr(headers, "Content-Security-Policy: default-src 'self';") &&
	    strstr(headers, "X-Content-Type-Options: nosniff"), "GET %s over TLS: curl %d, "
	    "status %ld, headers:\n%s", url, rc, status, headers);
}

#define TRY_OK(t, what) ck_assert_msg((t).rc == CURLE_OK && (t).status == 200,		\
	"%s: curl %d (%s), status %ld", (what), (t).rc, (t).err, (t).status)
#define TRY_REFUSED(t, what) ck_assert_msg((t).rc != CURLE_OK,				\
	"%s: the handshake succeeded (status %ld)", (what), (t).status)

/* ------------------------------------------------------------------ */
/* Running programs: grantctl, and grantd where it must refuse to start. */

static const char *
ctl_bin(void)
{
	static char path[4096];
	const char *b = getenv("GRANTCTL_BIN");
	char dir[4096];

	if (b && *b)
		return b;
	snprintf(dir, sizeof(dir), "%s", h_bin());
	snprintf(path, sizeof(path), "%s/grantctl", dirname(dir));
	return path;
}

struct run {
	int rc;
	char *out, *err;
};

static void
run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/*
 * Runs argv with stdout and stderr kept, in an environment of its own: HOME
 * (so that no operator's files are read), the sanitizers' settings and
 * PATH, and env (NULL-terminated "NAME=value" strings, or NULL).  When
 * started is given, the program is a grantd that may start: once it says
 * "listening on", *started is set and it is stopped with SIGTERM.
 */
static struct run
run(const char *const *argv, const char *home, const char *const *env, bool *started)
{
	char po[] = "/tmp/https-out-XXXXXX", pe[] = "/tmp/https-err-XXXXXX", *envp[16];
	static const char *const pass[] = { "ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS",
		"PATH" };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int fo = mkstemp(po), fe = mkstemp(pe), st = 0, ne = 0;
	struct run r = { 0 };
	char *owned[8];
	int no = 0;
	pid_t pid;

	ck_assert_int_ge(fo, 0);
	ck_assert_int_ge(fe, 0);
	ck_assert_int_ge(asprintf(&owned[no], "HOME=%s", home), 0);
	envp[ne++] = owned[no++];
	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		const char *v = getenv(pass[i]);

		if (v != NULL) {
			ck_assert_int_ge(asprintf(&owned[no], "%s=%s", pass[i], v), 0);
			envp[ne++] = owned[no++];
		}
	}
	for (const char *const *e = env; e && *e; e++)
		envp[ne++] = (char *)*e;
	envp[ne] = NULL;
	if (started)
		*started = false;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execve(argv[0], (char *const *)argv, envp);
		_exit(127);
	}
	close(fo);
	close(fe);
	for (int waited = 0; waitpid(pid, &st, WNOHANG) == 0; waited += 20) {
		if (started && !*started) {
			char *out = slurp(po);

			if (strstr(out, "listening on ") != NULL) {
				*started = true;
				kill(pid, SIGTERM);
			}
			free(out);
		}
		if (waited >= 30000) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	while (no > 0)
		free(owned[--no]);
	r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = slurp(po);
	r.err = slurp(pe);
	unlink(po);
	unlink(pe);
	return r;
}

/* grantctl with these arguments (NULL-terminated), HOME in h's directory. */
static struct run __attribute__((sentinel))
ctl(const struct harness *h, const char *const *env, ...)
{
	const char *argv[24];
	char home[300];
	va_list ap;
	int n = 0;

	snprintf(home, sizeof(home), "%s/home", h->dir);
	sh("mkdir -p '%s'", home);
	argv[n++] = ctl_bin();
	va_start(ap, env);
	for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
		ck_assert_int_lt(n, 22);
		argv[n++] = a;
	}
	va_end(ap);
	argv[n] = NULL;
	return run(argv, home, env, NULL);
}

#define RUN_EXPECT(rc_want, r) ck_assert_msg((r).rc == (rc_want),			\
	"exit %d, want %d\nstdout: %s\nstderr: %s", (r).rc, (rc_want), (r).out, (r).err)

/* ------------------------------------------------------------------ */

/* grantctl talks to grantd over HTTPS with the agency CA, and with nothing less. */
START_TEST(grantctl_with_agency_ca)
{
	struct harness h;
	struct run r;
	char ca[400], other[400], url[200], env_ca[420], xdg[400], env_xdg[420];
	const char *with_ca[] = { env_ca, NULL };

	h_init(&h, NULL);
	make_ca(h.dir, "pki");
	make_ca(h.dir, "other");
	make_server(h.dir, "a", "1001");
	install(h.dir, "a");
	write_conf(&h, NULL, NULL, false, NULL);
	start_logged(&h);
	snprintf(ca, sizeof(ca), "%s/pki/root.pem", h.dir);
	snprintf(other, sizeof(other), "%s/other/root.pem", h.dir);
	ck_assert_int_eq(strncmp(h.base, "https://127.0.0.1:", 18), 0);
	/* It says what it serves, the issuing CA sent along. */
	wait_log(&h, "TLS: serving certificate CN=grantd test a, serial 1001", 1);
	ck_assert_int_eq(log_count(&h, "(2 in the chain)"), 1);

	r = ctl(&h, NULL, "--url", h.base, "--token", h.admin, "--cacert", ca, "team", "create",
	    "acme", "--name", "Acme", "--lead-org", "Acme Corp", NULL);
	RUN_EXPECT(0, r);
	run_free(&r);
	r = ctl(&h, NULL, "--url", h.base, "--token", h.admin, "--cacert", ca, "team", "list",
	    NULL);
	RUN_EXPECT(0, r);
	ck_assert_msg(strstr(r.out, "acme") != NULL, "%s", r.out);
	run_free(&r);
	/* GRANTD_CACERT does as --cacert does. */
	snprintf(env_ca, sizeof(env_ca), "GRANTD_CACERT=%s", ca);
	r = ctl(&h, with_ca, "--url", h.base, "--token", h.admin, "team", "list", NULL);
	RUN_EXPECT(0, r);
	run_free(&r);

	/* Without the agency CA: a certificate error, and what to do about it. */
	r = ctl(&h, NULL, "--url", h.base, "--token", h.admin, "team", "list", NULL);
	RUN_EXPECT(6, r);
	ck_assert_msg(strstr(r.err, "certificate") != NULL && strstr(r.err, "--cacert FILE"),
	    "%s", r.err);
	ck_assert_str_eq(r.out, "");
	run_free(&r);
	/* Another CA: refused, naming the file used. */
	r = ctl(&h, NULL, "--url", h.base, "--token", h.admin, "--cacert", other, "team", "list",
	    NULL);
	RUN_EXPECT(6, r);
	ck_assert_msg(strstr(r.err, "does not verify against") != NULL &&
	    strstr(r.err, other) != NULL, "%s", r.err);
	run_free(&r);
	/* The right CA but a name the certificate does not hold: the host is checked too. */
	snprintf(url, sizeof(url), "https://localhost:%s", strrchr(h.base, ':') + 1);
	r = ctl(&h, NULL, "--url", url, "--token", h.admin, "--cacert", ca, "team", "list", NULL);
	RUN_EXPECT(6, r);
	ck_assert_msg(strstr(r.err, "does not verify against") != NULL, "%s", r.err);
	run_free(&r);
	/* http:// to an HTTPS server: nothing comes back, and grantctl says why. */
	snprintf(url, sizeof(url), "http://%.56s", h.base + 8);
	r = ctl(&h, NULL, "--url", url, "--token", h.admin, "team", "list", NULL);
	RUN_EXPECT(6, r);
	ck_assert_msg(strstr(r.err, "use an https:// URL") != NULL, "%s", r.err);
	run_free(&r);
	/* A CA file that is not there. */
	r = ctl(&h, NULL, "--url", h.base, "--token", h.admin, "--cacert", "/nonexistent/ca.pem",
	    "team", "list", NULL);
	RUN_EXPECT(6, r);
	ck_assert_msg(strstr(r.err, "cannot use /nonexistent/ca.pem") != NULL, "%s", r.err);
	run_free(&r);

	/* login keeps the CA with the server, as an absolute path, for the next commands. */
	snprintf(xdg, sizeof(xdg), "%s/xdg", h.dir);
	snprintf(env_xdg, sizeof(env_xdg), "XDG_CONFIG_HOME=%s", xdg);
	{
		const char *env[] = { env_xdg, NULL };
		char path[500], want[600], *text;

		r = ctl(&h, env, "login", "--url", h.base, "--token", h.admin, "--cacert", ca, NULL);
		RUN_EXPECT(0, r);
		run_free(&r);
		snprintf(path, sizeof(path), "%s/grantctl/config", xdg);
		text = slurp(path);
		snprintf(want, sizeof(want), "cacert = %s\n", ca);
		ck_assert_msg(strstr(text, want) != NULL, "%s", text);
		free(text);
		r = ctl(&h, env, "team", "list", NULL);
		RUN_EXPECT(0, r);
		ck_assert_msg(strstr(r.out, "acme") != NULL, "%s", r.out);
		run_free(&r);
		r = ctl(&h, env, "config", "show", NULL);
		RUN_EXPECT(0, r);
		snprintf(want, sizeof(want), "%s (from the configuration file)", ca);
		ck_assert_msg(strstr(r.out, want) != NULL, "%s", r.out);
		run_free(&r);
		/* The other CA is refused before it is written. */
		r = ctl(&h, env, "config", "set", "cacert", other, NULL);
		RUN_EXPECT(6, r);
		ck_assert_msg(strstr(r.err, "nothing written") != NULL, "%s", r.err);
		run_free(&r);
		/* Other keys set later keep it. */
		r = ctl(&h, env, "config", "set", "tz", "UTC", NULL);
		RUN_EXPECT(0, r);
		run_free(&r);
		text = slurp(path);
		snprintf(want, sizeof(want), "cacert = %s\n", ca);
		ck_assert_msg(strstr(text, want) != NULL, "%s", text);
		free(text);
	}
	show_log(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* openssl s_server at url, speaking TLS 1.1 at most, with a's certificate. */
static pid_t
legacy_server(const struct harness *h, char *url, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	socklen_t al = sizeof(a);
	char accept_at[64], cert[400], chain[400], key[400];
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	/* A free port, given back for s_server to take. */
	ck_assert_int_ge(s, 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &al), 0);
	close(s);
	snprintf(accept_at, sizeof(accept_at), "127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(url, n, "https://127.0.0.1:%d", ntohs(a.sin_port));
	snprintf(cert, sizeof(cert), "%s/pki/a.crt", h->dir);
	snprintf(chain, sizeof(chain), "%s/pki/issuing.pem", h->dir);
	snprintf(key, sizeof(key), "%s/pki/a.key", h->dir);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execlp("openssl", "openssl", "s_server", "-accept", accept_at, "-cert", cert,
		    "-cert_chain", chain, "-key", key, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0",
		    "-www", "-quiet", (char *)NULL);
		_exit(127);
	}
	/* Up once it accepts a connection. */
	for (int waited = 0;; waited += 20) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool up = connect(c, (struct sockaddr *)&a, sizeof(a)) == 0;

		close(c);
		if (up)
			break;
		ck_assert_msg(waited < 10000, "openssl s_server did not start");
		nanosleep(&ts, NULL);
	}
	return pid;
}

/*
 * TLS 1.3 and 1.2 with AEAD ciphers and ECDHE only.  Each refusal has a
 * control: the same client set-up succeeds where the server allows it (TLS
 * 1.1 against openssl s_server, the TLS 1.2 cipher families against grantd
 * itself with an AEAD ECDHE suite).
 */
START_TEST(protocols_and_ciphers)
{
	/* OpenSSL's level 0: a client that would still speak TLS 1.0 and 1.1. */
	static const char *const legacy = "DEFAULT:@SECLEVEL=0";
	static const long tls12 = CURL_SSLVERSION_TLSv1_2 | CURL_SSLVERSION_MAX_TLSv1_2;
	struct harness h;
	struct try t;
	char ca[400], url[200];
	pid_t control;
	int st;

	h_init(&h, NULL);
	make_ca(h.dir, "pki");
	make_server(h.dir, "a", "1001");
	install(h.dir, "a");
	write_conf(&h, NULL, NULL, false, NULL);
	start_logged(&h);
	snprintf(ca, sizeof(ca), "%s/pki/root.pem", h.dir);

	t = fresh(h.base, ca, 0, NULL);
	TRY_OK(t, "libcurl's defaults");
	ck_assert_str_eq(t.serial, "1001");
	t = fresh(h.base, ca, CURL_SSLVERSION_TLSv1_3, NULL);
	TRY_OK(t, "TLS 1.3 only");
	t = fresh(h.base, ca, tls12, NULL);
	TRY_OK(t, "TLS 1.2 only");
	t = fresh(h.base, ca, tls12, "ECDHE-RSA-AES256-GCM-SHA384");
	TRY_OK(t, "TLS 1.2, ECDHE with AES-256-GCM");
	t = fresh(h.base, ca, tls12, "ECDHE-RSA-CHACHA20-POLY1305");
	TRY_OK(t, "TLS 1.2, ECDHE with ChaCha20-Poly1305");

	/* Older protocols: refused by grantd, spoken by the same client elsewhere. */
	control = legacy_server(&h, url, sizeof(url));
	t = fresh(url, ca, CURL_SSLVERSION_TLSv1 | CURL_SSLVERSION_MAX_TLSv1_1, legacy);
	kill(control, SIGTERM);
	waitpid(control, &st, 0);
	TRY_OK(t, "control: TLS 1.1 to openssl s_server -tls1_1");
	t = fresh(h.base, ca, CURL_SSLVERSION_TLSv1 | CURL_SSLVERSION_MAX_TLSv1_1, legacy);
	TRY_REFUSED(t, "TLS 1.1 at most");
	t = fresh(h.base, ca, CURL_SSLVERSION_TLSv1 | CURL_SSLVERSION_MAX_TLSv1_0, legacy);
	TRY_REFUSED(t, "TLS 1.0 at most");

	/* TLS 1.2 without AEAD, or without ECDHE. */
	t = fresh(h.base, ca, tls12, "ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:"
	    "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA");
	TRY_REFUSED(t, "TLS 1.2, CBC ciphers only");
	t = fresh(h.base, ca, tls12, "AES128-GCM-SHA256:AES256-GCM-SHA384");
	TRY_REFUSED(t, "TLS 1.2, RSA key exchange only");
	t = fresh(h.base, ca, tls12, "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384");
	TRY_REFUSED(t, "TLS 1.2, finite-field DHE only");

	/* Plain HTTP to the TLS port gets no HTTP answer. */
	snprintf(url, sizeof(url), "http://%.56s", h.base + 8);
	t = fresh(url, ca, 0, NULL);
	ck_assert_msg(t.rc != CURLE_OK || t.status != 200, "plain HTTP answered %ld", t.status);

	/* None of that disturbed it. */
	t = fresh(h.base, ca, 0, NULL);
	TRY_OK(t, "after the refusals");
	show_log(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * SIGHUP reads the certificate and key again: new connections get the new
 * certificate, a connection opened before keeps working, and files that do
 * not load leave the one in use in place, with the reason in the log.
 */
START_TEST(reload_swaps_certificate)
{
	struct harness h;
	struct try t;
	char ca[400], path[400];
	int reloads = 0;
	CURL *keep;

	h_init(&h, NULL);
	make_ca(h.dir, "pki");
	make_server(h.dir, "a", "1001");
	make_server(h.dir, "b", "2002");
	install(h.dir, "a");
	write_conf(&h, NULL, NULL, false, NULL);
	start_logged(&h);
	snprintf(ca, sizeof(ca), "%s/pki/root.pem", h.dir);
	ck_assert_ptr_nonnull(keep = curl_easy_init());
	t = get_health(keep, h.base, ca, 0, NULL);
	TRY_OK(t, "before the reload");
	ck_assert_str_eq(t.serial, "1001");
	ck_assert_int_eq(t.connects, 1);

	/* The renewed certificate, same CA, another serial. */
	install(h.dir, "b");
	reload(&h, &reloads);
	ck_assert_int_eq(log_count(&h, "reload: TLS: serving certificate CN=grantd test b, "
	    "serial 2002"), 1);
	t = fresh(h.base, ca, 0, NULL);
	TRY_OK(t, "a new connection after the reload");
	ck_assert_str_eq(t.serial, "2002");
	/* The connection opened before it: the same one (no new connect), still served. */
	t = get_health(keep, h.base, ca, 0, NULL);
	TRY_OK(t, "the kept-alive connection after the reload");
	ck_assert_int_eq(t.connects, 0);
	ck_assert_str_eq(t.serial, "");

	/* A broken key: the certificate in use stays, and the log says why. */
	snprintf(path, sizeof(path), "%s/tls/server.key", h.dir);
	sh("printf 'not a key\\n' > '%s.new' && mv '%s.new' '%s'", path, path, path);
	reload(&h, &reloads);
	ck_assert_msg(log_count(&h, "reload: TLS: the key ") == 1 &&
	    log_count(&h, "holds no unencrypted PEM private key") == 1 &&
	    log_count(&h, "still serving serial 2002") == 1, "the log does not say why");
	t = fresh(h.base, ca, 0, NULL);
	TRY_OK(t, "a new connection after a broken key");
	ck_assert_str_eq(t.serial, "2002");

	/* The key of another certificate. */
	sh("cp '%s/pki/a.key' '%s.new' && mv '%s.new' '%s'", h.dir, path, path, path);
	reload(&h, &reloads);
	ck_assert_int_eq(log_count(&h, "does not belong to the certificate"), 1);
	ck_assert_int_eq(log_count(&h, "still serving serial 2002"), 2);
	/* No certificate file at all. */
	snprintf(path, sizeof(path), "%s/tls/server.pem", h.dir);
	ck_assert_int_eq(unlink(path), 0);
	reload(&h, &reloads);
	ck_assert_int_eq(log_count(&h, "cannot read the certificate"), 1);
	ck_assert_int_eq(log_count(&h, "still serving serial 2002"), 3);
	t = fresh(h.base, ca, 0, NULL);
	TRY_OK(t, "a new connection after the failed reloads");
	ck_assert_str_eq(t.serial, "2002");

	/* Back to the first: new connections follow; the first connection still lives. */
	install(h.dir, "a");
	reload(&h, &reloads);
	t = fresh(h.base, ca, 0, NULL);
	TRY_OK(t, "a new connection after going back");
	ck_assert_str_eq(t.serial, "1001");
	t = get_health(keep, h.base, ca, 0, NULL);
	TRY_OK(t, "the first connection, after every reload");
	ck_assert_int_eq(t.connects, 0);
	curl_easy_cleanup(keep);
	show_log(&h);
	/* A clean stop frees every certificate (the sanitizer build checks). */
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* Without TLS, grantd stays on loopback unless allow_plain_http says otherwise. */
START_TEST(plain_http_stays_on_loopback)
{
	struct harness h;
	struct run r;
	struct hresp hr;
	char want[600], port[8];
	bool started;

	h_init(&h, NULL);
	/* 0.0.0.0 without [tls]: refused at start, and by -n, naming both settings. */
	write_conf(&h, "0.0.0.0:0", NULL, true, NULL);
	{
		const char *argv[] = { h_bin(), "-c", h.conf, NULL };
		const char *check[] = { h_bin(), "-n", "-c", h.conf, NULL };

		r = run(argv, h.dir, NULL, &started);
		ck_assert_msg(r.rc != 0 && !started, "grantd started: %s", r.out);
		ck_assert_msg(strstr(r.err, "plain HTTP on 0.0.0.0, which is not loopback: set "
		    "[tls] certificate and key, or [server] allow_plain_http = true") != NULL,
		    "%s", r.err);
		run_free(&r);
		r = run(check, h.dir, NULL, NULL);
		ck_assert_int_ne(r.rc, 0);
		snprintf(want, sizeof(want), "%s:2: [server] listen: plain HTTP on 0.0.0.0", h.conf);
		ck_assert_msg(strstr(r.err, want) != NULL, "%s", r.err);
		run_free(&r);
	}
	/* On loopback, but --listen moves it: refused all the same. */
	write_conf(&h, NULL, NULL, true, NULL);
	{
		const char *argv[] = { h_bin(), "-c", h.conf, "--listen", "0.0.0.0:0", NULL };

		r = run(argv, h.dir, NULL, &started);
		ck_assert_msg(r.rc != 0 && !started, "grantd started: %s", r.out);
		ck_assert_msg(strstr(r.err, "[server] allow_plain_http = true") != NULL, "%s",
		    r.err);
		run_free(&r);
	}
	/* allow_plain_http = true: it serves plain HTTP there. */
	write_conf(&h, "0.0.0.0:0", "allow_plain_http = true\n", true, NULL);
	h_start(&h);
	ck_assert_int_eq(strncmp(h.base, "http://0.0.0.0:", 15), 0);
	/* Asked on loopback, which 0.0.0.0 includes. */
	snprintf(port, sizeof(port), "%s", strrchr(h.base, ':') + 1);
	snprintf(h.base, sizeof(h.base), "http://127.0.0.1:%s", port);
	hr = h_get(&h, NULL, "/v1/health");
	ck_assert_int_eq(hr.status, 200);
	hresp_free(&hr);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* HTTPS on every address needs nothing more than [tls]. */
START_TEST(https_beyond_loopback)
{
	struct harness h;
	struct try t;
	char ca[400], base[80];

	h_init(&h, NULL);
	make_ca(h.dir, "pki");
	make_server(h.dir, "a", "1001");
	install(h.dir, "a");
	write_conf(&h, "0.0.0.0:0", NULL, false, NULL);
	start_logged(&h);
	snprintf(ca, sizeof(ca), "%s/pki/root.pem", h.dir);
	/* The certificate names 127.0.0.1: ask there. */
	snprintf(base, sizeof(base), "https://127.0.0.1:%s", strrchr(h.base, ':') + 1);
	t = fresh(base, ca, 0, NULL);
	TRY_OK(t, "HTTPS on 0.0.0.0");
	ui_over_tls(base, ca);
	/* A year's certificate and a private key: nothing to warn about. */
	ck_assert_int_eq(log_count(&h, "warning: "), 0);
	show_log(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* What an operator must hear about at start and at each reload: renewal due, a key others read. */
START_TEST(warnings)
{
	struct harness h;
	struct try t;
	char ca[400];
	int reloads = 0;

	h_init(&h, NULL);
	make_ca(h.dir, "pki");
	make_server_for(h.dir, "soon", "3003", 7);
	install(h.dir, "soon");
	sh("chmod 644 '%s/tls/server.key'", h.dir);
	write_conf(&h, NULL, NULL, false, NULL);
	start_logged(&h);
	snprintf(ca, sizeof(ca), "%s/pki/root.pem", h.dir);
	t = fresh(h.base, ca, 0, NULL);
	TRY_OK(t, "a certificate that expires in a week");
	ck_assert_int_eq(log_count(&h, "warning: TLS: the certificate expires at "), 1);
	ck_assert_int_eq(log_count(&h, ": renew it, then reload (systemctl reload grantd)"), 1);
	ck_assert_int_eq(log_count(&h, "warning: TLS: every user may read the key (mode 0644): "
	    "chmod o-rwx it"), 1);
	/* Said again at a reload, with what it is about. */
	reload(&h, &reloads);
	ck_assert_int_eq(log_count(&h, "warning: reload: TLS: the certificate expires at "), 1);
	ck_assert_int_eq(log_count(&h, "warning: reload: TLS: every user may read the key"), 1);
	show_log(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * [tls] that cannot serve stops grantd at start, with the file and what to
 * do: the operator finds out now, not from the first client.
 */
static const struct {
	const char *what;
	const char *setup;	/* shell, in the test's directory, after a's files are installed */
	const char *tls_extra;	/* more [tls] lines */
	const char *want;	/* in grantd's stderr */
} refusals[] = {
	{ "no certificate file", "rm tls/server.pem", NULL,
	    "cannot read the certificate" },
	{ "the key of another certificate", "cp pki/b.key tls/server.key", NULL,
	    "does not belong to the certificate" },
	{ "the chain out of order", "cat pki/issuing.pem pki/a.crt > tls/server.pem", NULL,
	    "is out of order: put the server's certificate first" },
	{ "not a certificate", "printf 'hello\\n' > tls/server.pem", NULL,
	    "holds no PEM certificate GnuTLS can read" },
	{ "not a key", "printf 'hello\\n' > tls/server.key", NULL,
	    "holds no unencrypted PEM private key" },
	{ "an encrypted key", "openssl pkey -in pki/a.key -aes256 -passout pass:secret "
	    "-out tls/server.key", NULL, "holds no unencrypted PEM private key" },
	{ "a priority string GnuTLS refuses", "true", "priorities = SECURE256:+NO-SUCH-THING\n",
	    "[tls] priorities: GnuTLS does not accept it from \"+NO-SUCH-THING\"" },
};

START_TEST(refused_at_start)
{
	struct harness h;
	struct run r;
	bool started;

	h_init(&h, NULL);
	make_ca(h.dir, "pki");
	make_server(h.dir, "a", "1001");
	make_server(h.dir, "b", "2002");
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const char *argv[] = { h_bin(), "-c", h.conf, NULL };
		const char *check[] = { h_bin(), "-n", "-c", h.conf, NULL };

		install(h.dir, "a");
		sh("cd '%s' && %s", h.dir, refusals[i].setup);
		write_conf(&h, NULL, NULL, false, refusals[i].tls_extra);
		r = run(argv, h.dir, NULL, &started);
		ck_assert_msg(r.rc == 1 && !started, "%s: exit %d, started %d", refusals[i].what,
		    r.rc, started);
		ck_assert_msg(strstr(r.err, refusals[i].want) != NULL, "%s: %s", refusals[i].what,
		    r.err);
		run_free(&r);
		/* The unit's ExecStartPre= check says so before the start. */
		r = run(check, h.dir, NULL, NULL);
		ck_assert_msg(r.rc == 1 && strstr(r.err, refusals[i].want) != NULL,
		    "-n, %s: exit %d: %s", refusals[i].what, r.rc, r.err);
		run_free(&r);
	}
	/* And the files as they should be: it starts. */
	{
		const char *argv[] = { h_bin(), "-c", h.conf, NULL };

		install(h.dir, "a");
		write_conf(&h, NULL, NULL, false, NULL);
		r = run(argv, h.dir, NULL, &started);
		ck_assert_msg(started && r.rc == 0, "exit %d: %s", r.rc, r.err);
		run_free(&r);
	}
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("https");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* Each test makes its CAs and RSA keys with openssl first. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, grantctl_with_agency_ca);
	tcase_add_test(tc, protocols_and_ciphers);
	tcase_add_test(tc, reload_swaps_certificate);
	tcase_add_test(tc, plain_http_stays_on_loopback);
	tcase_add_test(tc, https_beyond_loopback);
	tcase_add_test(tc, warnings);
	tcase_add_test(tc, refused_at_start);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
