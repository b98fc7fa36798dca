/* harness.c: process control and libcurl requests for integration tests. */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* h_expect's count, set back by h_init: one test, one story. */
static int discrepancies;
static char first_discrepancy[1024];

const char *
h_bin(void)
{
	const char *b = getenv("GRANTD_BIN");

	return b ? b : "build/grantd";
}

const char *
h_ctl_bin(void)
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

void
h_init(struct harness *h, const char *extra_conf)
{
	FILE *f;

	memset(h, 0, sizeof(*h));
	discrepancies = 0;
	snprintf(h->dir, sizeof(h->dir), "/tmp/grantd-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(h->dir));
	snprintf(h->db, sizeof(h->db), "%s/grantd.db", h->dir);
	snprintf(h->conf, sizeof(h->conf), "%s/grantd.conf", h->dir);
	snprintf(h->clock, sizeof(h->clock), "%s/clock", h->dir);
	ck_assert_ptr_nonnull(f = fopen(h->conf, "w"));
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\n[storage]\ndatabase = %s\n"
	    "[log]\nlevel = warning\naccess_log = false\n%s", h->db,
	    extra_conf ? extra_conf : "");
	fclose(f);
	h->pid = -1;
	h->out_fd = -1;
}

int
h_run(const char *const *argv, char **out)
{
	int p[2], st;
	pid_t pid;
	char buf[4096];
	size_t len = 0;
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while ((n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	buf[len] = '\0';
	waitpid(pid, &st, 0);
	if (out)
		*out = strdup(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
h_run_err(const char *const *argv, char **err)
{
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	int p[2], st;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(p[0]);
	buf[len] = '\0';
	waitpid(pid, &st, 0);
	*err = strdup(buf);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
spawn(struct harness *h)
{
	int p[2];
	char line[256];
	size_t len = 0;
	ssize_t n;
	char *nl;

	ck_assert_int_eq(pipe(p), 0);
	h->pid = fork();
	ck_assert_int_ge(h->pid, 0);
	if (h->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		/* Every daemon a test starts compares its kept calendar with the store (calendar.h). */
		setenv("GRANTD_CHECK_CALENDAR", "1", 0);
		if (h->real_clock)
			execl(h_bin(), h_bin(), "-c", h->conf, (char *)NULL);
		else
			execl(h_bin(), h_bin(), "-c", h->conf, "--clock-file", h->clock,
			    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	h->out_fd = p[0];
	/* Under scripts/run-tests grantd's stderr goes to a log: say which test's it is. */
	if (getenv("GRANTD_TEST_MARKS") != NULL)
		fprintf(stderr, "--- %s: grantd %d started in %s\n",
		    tcase_name() ? tcase_name() : "?", (int)h->pid, h->dir);
	/* The first line on stdout is "listening on ADDR:PORT". */
	while (len < sizeof(line) - 1 && (n = read(p[0], line + len, 1)) == 1) {
		if (line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	ck_assert_msg(strncmp(line, "listening on ", 13) == 0, "grantd said: '%s'", line);
	if ((nl = strchr(line, '\n')) != NULL)
		*nl = '\0';
	snprintf(h->base, sizeof(h->base), "%s://%.55s", h->cacert[0] ? "https" : "http",
	    line + 13);
}

void
h_start(struct harness *h)
{
	/* On the test's clock too (a missing clock file reads as the wall clock). */
	const char *argv[] = { h_bin(), "token", "create", "--db", h->db, "--role", "admin",
		"--name", "test-admin", "--clock-file", h->clock, NULL };
	char *out = NULL;

	ck_assert_int_eq(h_run(argv, &out), 0);
	out[strcspn(out, "\n")] = '\0';
	snprintf(h->admin, sizeof(h->admin), "%s", out);
	free(out);
	spawn(h);
}

void
h_start_tls(struct harness *h, const char *cacert)
{
	ck_assert_uint_lt(strlen(cacert), sizeof(h->cacert));
	snprintf(h->cacert, sizeof(h->cacert), "%s", cacert);
	h_start(h);
}

void
h_restart(struct harness *h)
{
	spawn(h);
}

int
h_stop(struct harness *h)
{
	int st;

	if (h->pid <= 0)
		return h->status;
	kill(h->pid, SIGTERM);
	waitpid(h->pid, &st, 0);
	h->pid = -1;
	close(h->out_fd);
	h->out_fd = -1;
	h->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return h->status;
}

void
h_cleanup(struct harness *h)
{
	char cmd[300];

	if (h->pid > 0)
		h_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", h->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", h->dir);
}

void
h_clock(struct harness *h, const char *instant)
{
	char tmp[320];
	FILE *f;

	/* Write and rename, so grantd never reads half a timestamp. */
	snprintf(tmp, sizeof(tmp), "%s.tmp", h->clock);
	ck_assert_ptr_nonnull(f = fopen(tmp, "w"));
	fprintf(f, "%s\n", instant);
	fclose(f);
	ck_assert_int_eq(rename(tmp, h->clock), 0);
}

struct buf {
	char *p;
	size_t n;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	char *np = realloc(b->p, b->n + sz * n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + b->n, p, sz * n);
	b->n += sz * n;
	np[b->n] = '\0';
	b->p = np;
	return sz * n;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct hresp *r = arg;
	size_t len = sz * n;
	char line[320];

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "Idempotent-Replayed: true", 25) == 0)
		r->replayed = true;
	else if (strncasecmp(line, "X-Request-Id: ", 14) == 0)
		snprintf(r->request_id, sizeof(r->request_id), "%.299s", line + 14);
	else if (strncasecmp(line, "Content-Type: ", 14) == 0)
		snprintf(r->content_type, sizeof(r->content_type), "%.79s", line + 14);
	else if (strncasecmp(line, "Content-Length: ", 16) == 0)
		r->content_length = strtol(line + 16, NULL, 10);
	else if (strncasecmp(line, "Allow: ", 7) == 0)
		snprintf(r->allow, sizeof(r->allow), "%.79s", line + 7);
	else if (strncasecmp(line, "Retry-After: ", 13) == 0)
		r->retry_after = strtol(line + 13, NULL, 10);
	return len;
}

struct hresp
h_req(struct harness *h, const char *method, const char *path, const char *token,
    const char *body, const char *const *headers)
{
	struct hresp r = { .content_length = -1 };
	struct buf b = { NULL, 0 };
	struct curl_slist *hl = NULL;
	char url[2048], auth[600];
	CURL *c = curl_easy_init();
	CURLcode rc;

	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "%s%s", h->base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	if (h->cacert[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, h->cacert);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		hl = curl_slist_append(hl, auth);
	}
	if (body) {
		bool has_ct = false;

		for (const char *const *x = headers; x && *x; x++)
			if (strncasecmp(*x, "Content-Type:", 13) == 0)
				has_ct = true;
		if (!has_ct)
			hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	for (const char *const *x = headers; x && *x; x++)
		hl = curl_slist_append(hl, *x);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(c);
	ck_assert_msg(rc == CURLE_OK, "%s %s: %s", method, path, curl_easy_strerror(rc));
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	r.body = b.p ? b.p : strdup("");
	r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
	return r;
}

struct hresp
h_post(struct harness *h, const char *token, const char *path, const char *fmt, ...)
{
	char *body;
	va_list ap;
	struct hresp r;

	va_start(ap, fmt);
	ck_assert_int_ge(vasprintf(&body, fmt, ap), 0);
	va_end(ap);
	r = h_req(h, "POST", path, token, body, NULL);
	free(body);
	return r;
}

struct hresp
h_get(struct harness *h, const char *token, const char *path)
{
	return h_req(h, "GET", path, token, NULL, NULL);
}

void
hresp_free(struct hresp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

const char *
hresp_code(const struct hresp *r)
{
	const char *c = json_string_value(json_object_get(r->json, "code"));

	return c ? c : "";
}

char *
h_token(struct harness *h, const char *role, const char *team, const char *pool)
{
	struct hresp r;
	char *s;

	r = h_post(h, h->admin, "/v1/tokens",
	    "{\"name\":\"%s-token\",\"role\":\"%s\"%s%s%s%s%s%s}", role, role,
	    team ? ",\"team\":\"" : "", team ? team : "", team ? "\"" : "",
	    pool ? ",\"pool\":\"" : "", pool ? pool : "", pool ? "\"" : "");
	ck_assert_msg(r.status == 201, "token: %ld %s", r.status, r.body);
	s = strdup(json_string_value(json_object_get(r.json, "token")));
	hresp_free(&r);
	return s;
}

void
h_expect(bool ok, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	if (ok)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "DISCREPANCY: %s\n", msg);
	if (discrepancies++ == 0)
		snprintf(first_discrepancy, sizeof(first_discrepancy), "%.1000s", msg);
}

void
h_no_discrepancies(void)
{
	ck_assert_msg(discrepancies == 0, "%d discrepanc%s (all on stderr); the first: %s",
	    discrepancies, discrepancies == 1 ? "y" : "ies", first_discrepancy);
}

json_t *
h_must(struct hresp r, long want, const char *what)
{
	json_t *o;

	ck_assert_msg(r.status == want, "%s: %ld %s", what, r.status, r.body);
	o = json_incref(r.json);
	hresp_free(&r);
	return o;
}

json_t *
h_check(struct hresp r, long want, const char *code, const char *what)
{
	json_t *o;

	h_expect(r.status == want && (code == NULL || strcmp(hresp_code(&r), code) == 0),
	    "%s: expected %ld%s%s; got %ld %s", what, want, code ? " " : "", code ? code : "",
	    r.status, r.body);
	o = r.status == want ? json_incref(r.json) : NULL;
	hresp_free(&r);
	return o;
}

json_t *
h_at(json_t *o, const char *path)
{
	char buf[256], *save = NULL, *part;

	snprintf(buf, sizeof(buf), "%s", path);
	for (part = strtok_r(buf, ".", &save); o && part; part = strtok_r(NULL, ".", &save)) {
		if (json_is_array(o))
			o = json_array_get(o, strtoul(part, NULL, 10));
		else
			o = json_object_get(o, part);
	}
	return o;
}

const char *
h_str(json_t *o, const char *path)
{
	const char *s = json_string_value(h_at(o, path));

	return s ? s : "";
}
