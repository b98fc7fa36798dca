/* test_api.c: the real grantd over HTTP and its command line: auth, limits, restarts, audit. */
#include <check.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* Helpers. */

/*
 * Runs argv with stdout and stderr captured (each malloc'd when asked for).
 * A command that runs past timeout_s is killed: a daemon that should have
 * refused to start must not hang the test.  Returns the exit status, or
 * 128 + signal.
 */
static int
run_capture(const char *const *argv, char **out, char **err, int timeout_s)
{
	char po[] = "/tmp/grantd-out-XXXXXX", pe[] = "/tmp/grantd-err-XXXXXX";
	int fo = mkstemp(po), fe = mkstemp(pe), st = 0;
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	char **dst[2] = { out, err };
	const char *paths[2] = { po, pe };
	pid_t pid;
	int waited;

	ck_assert_int_ge(fo, 0);
	ck_assert_int_ge(fe, 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fo);
	close(fe);
	for (waited = 0; waitpid(pid, &st, WNOHANG) == 0; waited += 20) {
		if (waited >= timeout_s * 1000) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(paths[i], "r");
		char *buf = calloc(1, 65536);
		size_t n;

		ck_assert_ptr_nonnull(f);
		ck_assert_ptr_nonnull(buf);
		n = fread(buf, 1, 65535, f);
		buf[n] = '\0';
		fclose(f);
		unlink(paths[i]);
		if (dst[i])
			*dst[i] = buf;
		else
			free(buf);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs SQL against a stopped daemon's database. */
static void
db_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	    NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s: %s", sql,
	    err ? err : "?");
	sqlite3_close(db);
}

static int64_t
db_value(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* The newest migration this source tree has: the highest schema/NNN_*.sql. */
static int
latest_schema(void)
{
	glob_t g;
	int v;

	ck_assert_int_eq(glob("schema/[0-9][0-9][0-9]_*.sql", 0, NULL, &g), 0);
	ck_assert_uint_gt(g.gl_pathc, 0);
	v = atoi(g.gl_pathv[g.gl_pathc - 1] + strlen("schema/"));
	globfree(&g);
	return v;
}

static void
expect(struct hresp *r, long status, const char *code, const char *what)
{
	ck_assert_msg(r->status == status, "%s: status %ld, want %ld: %s", what, r->status,
	    status, r->body);
	if (code)
		ck_assert_msg(strcmp(hresp_code(r), code) == 0, "%s: code '%s', want '%s'", what,
		    hresp_code(r), code);
}

static int64_t
jint(const struct hresp *r, const char *key)
{
	return json_integer_value(json_object_get(r->json, key));
}

static const char *
jstr(const json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));

	return s ? s : "";
}

static void
audit_ok(struct harness *h, int64_t entries)
{
	struct hresp r = h_get(h, h->admin, "/v1/audit/verify");

	expect(&r, 200, NULL, "audit verify");
	ck_assert_msg(json_is_true(json_object_get(r.json, "ok")), "audit: %s", r.body);
	if (entries >= 0)
		ck_assert_int_eq(jint(&r, "entries"), entries);
	hresp_free(&r);
}

/*
 * SIGTERM must end grantd with status 0.  Under the sanitizers a leak or an
 * error found at exit aborts it instead (134), and its report is above.
 */
static void
stop_clean(struct harness *h)
{
	int st = h_stop(h);

	ck_assert_msg(st == 0, "grantd exited with status %d after SIGTERM%s", st,
	    st == 128 + SIGABRT ? " (aborted: see the sanitizer's report above)" : "");
}

#define TEAM(id) "{\"id\":\"" id "\",\"name\":\"Team\",\"lead_org\":\"Org\"}"

/* ------------------------------------------------------------------ */

START_TEST(auth_matrix)
{
	struct harness h;
	struct hresp r;
	char *auditor, *team, *agent;
	const char *t;

	h_init(&h, NULL);
	h_start(&h);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("alpha"));
	expect(&r, 201, NULL, "team alpha");
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("beta"));
	expect(&r, 201, NULL, "team beta");
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/pools", "{\"id\":\"pool-1\",\"provider\":\"P\","
	    "\"site\":\"S\",\"card_model\":\"B200\",\"cards\":8}");
	expect(&r, 201, NULL, "pool");
	hresp_free(&r);
	auditor = h_token(&h, "auditor", NULL, NULL);
	team = h_token(&h, "team", "alpha", NULL);
	agent = h_token(&h, "agent", NULL, "pool-1");

	{
		const struct {
			const char *what, *token, *method, *path, *body;
			long status;
		} c[] = {
			{ "health needs no token", NULL, "GET", "/v1/health", NULL, 200 },
			{ "no token", NULL, "GET", "/v1/teams", NULL, 401 },
			{ "no token on a change", NULL, "POST", "/v1/teams", TEAM("gamma"), 401 },
			{ "unknown token", "gd_nottherealsecretnottherealsecretnottherealse", "GET",
			    "/v1/teams", NULL, 401 },
			{ "admin", h.admin, "GET", "/v1/tokens", NULL, 200 },
			{ "auditor reads", auditor, "GET", "/v1/teams/beta", NULL, 200 },
			{ "auditor reads the audit", auditor, "GET", "/v1/audit", NULL, 200 },
			{ "auditor writes", auditor, "POST", "/v1/teams", TEAM("gamma"), 403 },
			{ "auditor sets a weight", auditor, "PUT", "/v1/card-models/X1",
			    "{\"weight\":1}", 403 },
			{ "team reads itself", team, "GET", "/v1/teams/alpha", NULL, 200 },
			{ "team reads another team", team, "GET", "/v1/teams/beta", NULL, 403 },
			{ "team writes", team, "POST", "/v1/teams", TEAM("gamma"), 403 },
			{ "team reads the audit", team, "GET", "/v1/audit", NULL, 403 },
			{ "agent reads card models", agent, "GET", "/v1/card-models", NULL, 200 },
			{ "agent reads teams", agent, "GET", "/v1/teams", NULL, 403 },
			{ "agent writes a team", agent, "POST", "/v1/teams", TEAM("gamma"), 403 },
		};

		for (size_t i = 0; i < NELEMS(c); i++) {
			r = h_req(&h, c[i].method, c[i].path, c[i].token, c[i].body, NULL);
			expect(&r, c[i].status, c[i].status == 401 ? "unauthorized" :
			    c[i].status == 403 ? "forbidden" : NULL, c[i].what);
			hresp_free(&r);
		}
	}
	/* A team's list holds itself only. */
	r = h_get(&h, team, "/v1/teams");
	expect(&r, 200, NULL, "team list");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 1);
	hresp_free(&r);
	/* No refusal above created gamma. */
	r = h_get(&h, h.admin, "/v1/teams/gamma");
	expect(&r, 404, "not_found", "gamma");
	hresp_free(&r);

	/* A revoked token stops working at once. */
	r = h_get(&h, h.admin, "/v1/tokens?limit=1000");
	t = NULL;
	{
		json_t *it;
		size_t i;

		json_array_foreach(json_object_get(r.json, "items"), i, it)
			if (strcmp(jstr(it, "role"), "auditor") == 0)
				t = jstr(it, "id");
	}
	ck_assert_ptr_nonnull(t);
	{
		char path[80];
		struct hresp d;

		snprintf(path, sizeof(path), "/v1/tokens/%s", t);
		d = h_req(&h, "DELETE", path, h.admin, NULL, NULL);
		expect(&d, 204, NULL, "revoke");
		hresp_free(&d);
	}
	hresp_free(&r);
	r = h_get(&h, auditor, "/v1/teams");
	expect(&r, 401, "unauthorized", "revoked auditor");
	hresp_free(&r);

	free(auditor);
	free(team);
	free(agent);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

START_TEST(request_ids)
{
	struct harness h;
	struct hresp r, r2;
	const char *mine[] = { "X-Request-Id: client-req-42", NULL };
	const char *spaced[] = { "X-Request-Id: has spaces in it", NULL };
	char longest[16 + 255 + 1], too_long[16 + 256 + 1];
	const char *lh[] = { longest, NULL }, *th[] = { too_long, NULL };
	const char *bad[] = { "X-Request-Id: caf\xc3\xa9", NULL };
	const char *json_ct[] = { "X-Request-Id: trace.7:abc_D-9", NULL };
	struct hresp a;
	json_t *items;

	h_init(&h, NULL);
	h_start(&h);

	/* Echoed, on success and on errors alike. */
	r = h_req(&h, "GET", "/v1/health", NULL, NULL, mine);
	ck_assert_str_eq(r.request_id, "client-req-42");
	hresp_free(&r);
	r = h_req(&h, "GET", "/v1/teams", NULL, NULL, mine);
	expect(&r, 401, "unauthorized", "no token");
	ck_assert_str_eq(r.request_id, "client-req-42");
	hresp_free(&r);
	r = h_req(&h, "GET", "/v1/nowhere", h.admin, NULL, json_ct);
	expect(&r, 404, "not_found", "no route");
	ck_assert_str_eq(r.request_id, "trace.7:abc_D-9");
	hresp_free(&r);

	/* Generated when absent: a fresh one each time. */
	r = h_get(&h, NULL, "/v1/health");
	r2 = h_get(&h, NULL, "/v1/health");
	ck_assert_int_ge(strlen(r.request_id), 8);
	ck_assert_int_ge(strlen(r2.request_id), 8);
	ck_assert_str_ne(r.request_id, r2.request_id);
	hresp_free(&r);
	hresp_free(&r2);

	/* Any printable ASCII up to 255 characters is echoed as sent. */
	r = h_req(&h, "GET", "/v1/health", NULL, NULL, spaced);
	ck_assert_str_eq(r.request_id, "has spaces in it");
	hresp_free(&r);
	snprintf(longest, sizeof(longest), "X-Request-Id: %0255d", 7);
	r = h_req(&h, "GET", "/v1/health", NULL, NULL, lh);
	ck_assert_str_eq(r.request_id, longest + 14);
	hresp_free(&r);
	/* Longer, or not ASCII: a fresh one instead. */
	snprintf(too_long, sizeof(too_long), "X-Request-Id: %0256d", 7);
	r = h_req(&h, "GET", "/v1/health", NULL, NULL, th);
	ck_assert_uint_eq(strlen(r.request_id), 16);
	hresp_free(&r);
	r = h_req(&h, "GET", "/v1/health", NULL, NULL, bad);
	ck_assert_uint_eq(strlen(r.request_id), 16);
	ck_assert_str_ne(r.request_id, "caf\xc3\xa9");
	hresp_free(&r);

	/* The audit entry of a change carries the client's id. */
	r = h_req(&h, "POST", "/v1/teams", h.admin, TEAM("traced"), mine);
	expect(&r, 201, NULL, "traced team");
	ck_assert_str_eq(r.request_id, "client-req-42");
	hresp_free(&r);
	a = h_get(&h, h.admin, "/v1/audit");
	items = json_object_get(a.json, "items");
	ck_assert_str_eq(jstr(json_array_get(items, json_array_size(items) - 1), "request_id"),
	    "client-req-42");
	hresp_free(&a);

	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

/* HEAD is GET without a body, with the same status, headers and length. */
START_TEST(head_requests)
{
	struct harness h;
	struct hresp g, r;

	h_init(&h, NULL);
	h_start(&h);
	g = h_get(&h, NULL, "/v1/health");
	r = h_req(&h, "HEAD", "/v1/health", NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.content_type, g.content_type);
	ck_assert_int_eq(r.content_length, (long)strlen(g.body));
	ck_assert_str_eq(r.body, "");
	hresp_free(&g);
	hresp_free(&r);
	/* As GET: a token is needed, and a team's HEAD is its GET's. */
	r = h_req(&h, "HEAD", "/v1/teams", NULL, NULL, NULL);
	ck_assert_int_eq(r.status, 401);
	hresp_free(&r);
	r = h_req(&h, "HEAD", "/v1/teams", h.admin, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	/* A 405 names HEAD beside GET. */
	r = h_req(&h, "PATCH", "/v1/teams", h.admin, NULL, NULL);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(r.allow, "GET, HEAD, POST");
	hresp_free(&r);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

START_TEST(problem_json)
{
	struct harness h;
	struct hresp r;
	const char *text[] = { "Content-Type: text/plain", NULL };
	const struct {
		const char *what, *method, *path, *body;
		bool token;
		const char *const *headers;
		long status;
		const char *code;
	} c[] = {
		{ "unauthorized", "GET", "/v1/teams", NULL, false, NULL, 401, "unauthorized" },
		{ "not found", "GET", "/v1/teams/nope", NULL, true, NULL, 404, "not_found" },
		{ "no route", "GET", "/v2/teams", NULL, true, NULL, 404, "not_found" },
		{ "method", "PATCH", "/v1/teams", NULL, true, NULL, 405, "method_not_allowed" },
		{ "bad request", "POST", "/v1/teams", "{\"id\":1}", true, NULL, 400, "bad_request" },
		{ "duplicate keys", "POST", "/v1/teams",
		    "{\"id\":\"a\",\"id\":\"b\",\"name\":\"n\",\"lead_org\":\"o\"}", true, NULL, 400,
		    "bad_request" },
		{ "media type", "POST", "/v1/teams", TEAM("m"), true, text, 415,
		    "unsupported_media_type" },
		{ "exists", "POST", "/v1/teams",
		    "{\"id\":\"one\",\"name\":\"Other\",\"lead_org\":\"Org\"}", true, NULL, 409,
		    "already_exists" },
	};

	h_init(&h, NULL);
	h_start(&h);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("one"));
	expect(&r, 201, NULL, "team one");
	ck_assert_str_eq(r.content_type, "application/json");
	hresp_free(&r);
	for (size_t i = 0; i < NELEMS(c); i++) {
		char type[96];

		r = h_req(&h, c[i].method, c[i].path, c[i].token ? h.admin : NULL, c[i].body,
		    c[i].headers);
		expect(&r, c[i].status, c[i].code, c[i].what);
		ck_assert_msg(strcmp(r.content_type, "application/problem+json") == 0,
		    "%s: Content-Type %s", c[i].what, r.content_type);
		snprintf(type, sizeof(type), "urn:grantd:problem:%s", c[i].code);
		ck_assert_str_eq(jstr(r.json, "type"), type);
		ck_assert_int_eq(jint(&r, "status"), c[i].status);
		ck_assert_int_gt(strlen(jstr(r.json, "title")), 0);
		ck_assert_int_gt(strlen(jstr(r.json, "detail")), 0);
		hresp_free(&r);
	}
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

/* A team body of exactly n bytes, padded with JSON whitespace. */
static char *
team_body(const char *id, size_t n)
{
	char *b = malloc(n + 1);
	int k = snprintf(b, n + 1, "{\"id\":\"%s\",\"name\":\"Big\",\"lead_org\":\"Org\"", id);

	ck_assert_int_lt(k + 1, (int)n);
	memset(b + k, ' ', n - (size_t)k - 1);
	b[n - 1] = '}';
	b[n] = '\0';
	return b;
}

START_TEST(oversize_body)
{
	struct harness h;
	struct hresp r;
	char *b;
	const char *chunked[] = { "Transfer-Encoding: chunked", NULL };

	h_init(&h, "[server]\nmax_body_bytes = 2048\n");
	h_start(&h);

	/* At the limit: accepted. */
	b = team_body("at-limit", 2048);
	r = h_req(&h, "POST", "/v1/teams", h.admin, b, NULL);
	expect(&r, 201, NULL, "2048 bytes");
	hresp_free(&r);
	free(b);

	/* One byte over, with a Content-Length: refused before it is read. */
	b = team_body("over", 2049);
	r = h_req(&h, "POST", "/v1/teams", h.admin, b, NULL);
	expect(&r, 413, "payload_too_large", "2049 bytes");
	ck_assert_str_eq(r.content_type, "application/problem+json");
	ck_assert_int_gt(strlen(r.request_id), 0);
	hresp_free(&r);
	free(b);

	/* Far over. */
	b = team_body("far-over", 200000);
	r = h_req(&h, "POST", "/v1/teams", h.admin, b, NULL);
	expect(&r, 413, "payload_too_large", "200000 bytes");
	hresp_free(&r);
	free(b);

	/* Over without a Content-Length: counted as it arrives. */
	b = team_body("chunked", 4000);
	r = h_req(&h, "POST", "/v1/teams", h.admin, b, chunked);
	expect(&r, 413, "payload_too_large", "4000 bytes chunked");
	hresp_free(&r);
	free(b);

	/* The daemon goes on serving, and none of the refused teams exists. */
	r = h_get(&h, NULL, "/v1/health");
	expect(&r, 200, NULL, "health after 413");
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("after"));
	expect(&r, 201, NULL, "post after 413");
	hresp_free(&r);
	r = h_get(&h, h.admin, "/v1/teams");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 2);
	hresp_free(&r);
	audit_ok(&h, 3);

	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

START_TEST(idempotency_across_restart)
{
	struct harness h;
	struct hresp a, b;
	const char *key[] = { "Idempotency-Key: restart-key-1", NULL };

	h_init(&h, NULL);
	h_start(&h);
	a = h_req(&h, "POST", "/v1/teams", h.admin, TEAM("durable"), key);
	expect(&a, 201, NULL, "first");
	ck_assert(!a.replayed);
	stop_clean(&h);

	h_restart(&h);
	b = h_req(&h, "POST", "/v1/teams", h.admin, TEAM("durable"), key);
	expect(&b, 201, NULL, "replay after restart");
	ck_assert(b.replayed);
	ck_assert_str_eq(a.body, b.body);
	ck_assert_str_eq(b.content_type, "application/json");
	hresp_free(&b);
	b = h_req(&h, "POST", "/v1/teams", h.admin, TEAM("other"), key);
	expect(&b, 422, "idempotency_key_reused", "reuse after restart");
	ck_assert(!b.replayed);
	hresp_free(&b);
	/* One admin token creation and one team, however often asked. */
	audit_ok(&h, 2);
	hresp_free(&a);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

START_TEST(signals_exit_cleanly)
{
	struct harness h;
	struct hresp r;
	int st;

	h_init(&h, NULL);
	h_start(&h);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("sig"));
	expect(&r, 201, NULL, "team");
	hresp_free(&r);
	stop_clean(&h);

	/* SIGINT (Ctrl-C) too, and the change survived the first stop. */
	h_restart(&h);
	r = h_get(&h, h.admin, "/v1/teams/sig");
	expect(&r, 200, NULL, "team after restart");
	hresp_free(&r);
	kill(h.pid, SIGINT);
	ck_assert_int_eq(waitpid(h.pid, &st, 0), h.pid);
	ck_assert(WIFEXITED(st));
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	close(h.out_fd);
	h.pid = -1;
	h.out_fd = -1;

	/* An idle daemon that was never asked anything stops cleanly as well. */
	h_restart(&h);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

START_TEST(config_check)
{
	struct harness h;
	char bad[400], *out = NULL, *err = NULL, want[420];
	FILE *f;
	int rc;

	h_init(&h, NULL);
	{
		const char *argv[] = { h_bin(), "-n", "-c", h.conf, NULL };

		rc = run_capture(argv, &out, &err, 30);
		ck_assert_msg(rc == 0, "rc %d: %s", rc, err);
		ck_assert_str_eq(out, "configuration OK\n");
		free(out);
		free(err);
	}
	/* A flag that overrides the file is checked with it. */
	{
		const char *argv[] = { h_bin(), "-n", "-c", h.conf, "--listen", "nope", NULL };

		rc = run_capture(argv, &out, &err, 30);
		ck_assert_int_eq(rc, 1);
		ck_assert_str_eq(out, "");
		ck_assert_ptr_nonnull(strstr(err, "--listen must be ADDR:PORT"));
		free(out);
		free(err);
	}

	/* Every error, each with its line. */
	snprintf(bad, sizeof(bad), "%s/bad.conf", h.dir);
	ck_assert_ptr_nonnull(f = fopen(bad, "w"));
	fputs("[server]\n"				/* 1 */
	    "listen = 127.0.0.1:99999\n"		/* 2: port out of range */
	    "max_connections = lots\n"			/* 3: not a number */
	    "[storage]\n"				/* 4 */
	    "databse = /tmp/x.db\n"			/* 5: unknown key */
	    "[bogus]\n"					/* 6: unknown section */
	    "[log]\n"					/* 7 */
	    "level = loud\n"				/* 8: not a level */
	    "this line has no equals sign\n"		/* 9: syntax */
	    "level = info\n", f);			/* 10: duplicate */
	fclose(f);
	{
		const char *argv[] = { h_bin(), "-n", "-c", bad, NULL };
		static const int lines[] = { 2, 3, 5, 6, 8, 9, 10 };

		rc = run_capture(argv, &out, &err, 30);
		ck_assert_int_ne(rc, 0);
		ck_assert_ptr_null(strstr(out, "configuration OK"));
		for (size_t i = 0; i < NELEMS(lines); i++) {
			snprintf(want, sizeof(want), "%s:%d: ", bad, lines[i]);
			ck_assert_msg(strstr(err, want) != NULL, "no error for line %d in:\n%s",
			    lines[i], err);
		}
		/* Nothing on the good lines. */
		for (int l = 1; l <= 7; l += 3) {
			snprintf(want, sizeof(want), "%s:%d: ", bad, l);
			ck_assert_msg(strstr(err, want) == NULL, "error on line %d:\n%s", l, err);
		}
		ck_assert_ptr_nonnull(strstr(err, "databse"));
		ck_assert_ptr_nonnull(strstr(err, "bogus"));
		free(out);
		free(err);
	}

	/* A file that cannot be read. */
	{
		char missing[400];
		const char *argv[] = { h_bin(), "-n", "-c", missing, NULL };

		snprintf(missing, sizeof(missing), "%s/absent.conf", h.dir);
		rc = run_capture(argv, &out, &err, 30);
		ck_assert_int_ne(rc, 0);
		ck_assert_ptr_null(strstr(out, "configuration OK"));
		ck_assert_ptr_nonnull(strstr(err, "absent.conf"));
		free(out);
		free(err);
	}

	/* A daemon given the bad file refuses to start. */
	{
		const char *argv[] = { h_bin(), "-c", bad, NULL };

		rc = run_capture(argv, &out, &err, 30);
		ck_assert_int_ne(rc, 0);
		ck_assert_ptr_null(strstr(out, "listening on"));
		free(out);
		free(err);
	}
	h_cleanup(&h);
}
END_TEST

START_TEST(token_create_offline)
{
	struct harness h;
	struct hresp r;
	char *out = NULL, *err = NULL, secret[128];
	int rc;

	h_init(&h, NULL);
	{
		const char *argv[] = { h_bin(), "token", "create", "--db", h.db, "--role",
			"auditor", "--name", "ops desk", NULL };

		rc = run_capture(argv, &out, &err, 30);
		ck_assert_msg(rc == 0, "rc %d: %s", rc, err);
		/* The secret alone on one line. */
		ck_assert_ptr_nonnull(strchr(out, '\n'));
		ck_assert_str_eq(strchr(out, '\n'), "\n");
		out[strcspn(out, "\n")] = '\0';
		ck_assert(strncmp(out, "gd_", 3) == 0);
		ck_assert_ptr_null(strchr(out, ' '));
		snprintf(secret, sizeof(secret), "%s", out);
		free(out);
		free(err);
	}
	{
		static const struct {
			const char *what;
			const char *args[6];
		} bad[] = {
			{ "unknown team", { "--role", "team", "--team", "nope", "--name", "x" } },
			{ "unknown pool", { "--role", "agent", "--pool", "nope", "--name", "x" } },
			{ "unknown role", { "--role", "wizard", "--name", "x", NULL, NULL } },
			{ "team without --team", { "--role", "team", "--name", "x", NULL, NULL } },
			{ "no name", { "--role", "admin", NULL, NULL, NULL, NULL } },
		};

		for (size_t i = 0; i < NELEMS(bad); i++) {
			const char *argv[12] = { h_bin(), "token", "create", "--db", h.db };
			int n = 5;

			for (int k = 0; k < 6 && bad[i].args[k]; k++)
				argv[n++] = bad[i].args[k];
			argv[n] = NULL;
			rc = run_capture(argv, &out, &err, 30);
			ck_assert_msg(rc != 0, "%s: exit 0", bad[i].what);
			ck_assert_msg(out[0] == '\0', "%s: printed '%s'", bad[i].what, out);
			ck_assert_msg(err[0] != '\0', "%s: said nothing", bad[i].what);
			free(out);
			free(err);
		}
	}

	h_start(&h);
	r = h_get(&h, secret, "/v1/teams");
	expect(&r, 200, NULL, "offline auditor reads");
	hresp_free(&r);
	r = h_post(&h, secret, "/v1/teams", TEAM("nope"));
	expect(&r, 403, "forbidden", "offline auditor writes");
	hresp_free(&r);
	/* Both offline creations are audited, by the command line. */
	r = h_get(&h, secret, "/v1/audit");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), 2);
	ck_assert_str_eq(jstr(json_array_get(json_object_get(r.json, "items"), 0), "action"),
	    "token.create");
	ck_assert_str_eq(jstr(json_array_get(json_object_get(r.json, "items"), 0), "actor"),
	    "grantd token create");
	hresp_free(&r);
	audit_ok(&h, 2);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

/* The last_used_at of the token named name, as GET /v1/tokens has it (NULL: none yet). */
static char *
token_last_used(struct harness *h, const char *name)
{
	struct hresp r = h_get(h, h->admin, "/v1/tokens?limit=1000");
	char *at = NULL;
	json_t *it, *v;
	size_t i;

	expect(&r, 200, NULL, "tokens");
	json_array_foreach(json_object_get(r.json, "items"), i, it)
		if (strcmp(jstr(it, "name"), name) == 0 &&
		    (v = json_object_get(it, "last_used_at")) != NULL)
			at = strdup(json_string_value(v));
	hresp_free(&r);
	return at;
}

/*
 * Uses are written once a minute; those noted since the last batch are
 * written when grantd stops cleanly, not lost (loop.c's close_all).  The
 * test ends well inside the first minute, so only the stop can write it.
 */
START_TEST(token_use_written_at_stop)
{
	struct harness h;
	struct hresp r;
	char *auditor, *at;

	h_init(&h, NULL);
	h_start(&h);
	auditor = h_token(&h, "auditor", NULL, NULL);
	r = h_get(&h, auditor, "/v1/teams");
	expect(&r, 200, NULL, "a use");
	hresp_free(&r);
	ck_assert_ptr_null(token_last_used(&h, "auditor-token"));
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	at = token_last_used(&h, "auditor-token");
	ck_assert_msg(at != NULL, "the use noted before the stop was not written");
	free(at);
	free(auditor);
	h_cleanup(&h);
}
END_TEST

START_TEST(migrations)
{
	struct harness h;
	struct hresp r;
	int latest = latest_schema();
	char *out = NULL, *err = NULL;
	int64_t ndefault;
	sqlite3 *db;

	/* An empty database file is migrated by the daemon itself. */
	h_init(&h, NULL);
	ck_assert_int_eq(sqlite3_open(h.db, &db), SQLITE_OK);
	sqlite3_close(db);
	h_restart(&h);
	r = h_get(&h, NULL, "/v1/health");
	expect(&r, 200, NULL, "health on a fresh database");
	hresp_free(&r);
	stop_clean(&h);
	ck_assert_int_eq(db_value(h.db, "PRAGMA user_version"), latest);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM card_models WHERE id IN "
	    "('B200', 'H100')"), 2);
	{
		sqlite3_stmt *st;

		ck_assert_int_eq(sqlite3_open(h.db, &db), SQLITE_OK);
		ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL),
		    SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
		sqlite3_finalize(st);
		sqlite3_close(db);
	}

	/* A current database: the token command and a restart leave the schema be. */
	ndefault = db_value(h.db, "SELECT count(*) FROM card_models");
	{
		const char *argv[] = { h_bin(), "token", "create", "--db", h.db, "--role",
			"admin", "--name", "second", NULL };

		ck_assert_int_eq(run_capture(argv, &out, &err, 30), 0);
		out[strcspn(out, "\n")] = '\0';
		snprintf(h.admin, sizeof(h.admin), "%s", out);
		free(out);
		free(err);
	}
	h_restart(&h);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("kept"));
	expect(&r, 201, NULL, "team");
	hresp_free(&r);
	stop_clean(&h);
	h_restart(&h);
	r = h_get(&h, h.admin, "/v1/teams/kept");
	expect(&r, 200, NULL, "team after restart");
	hresp_free(&r);
	/* The default card models were not inserted twice. */
	r = h_get(&h, h.admin, "/v1/card-models");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), ndefault);
	hresp_free(&r);
	stop_clean(&h);
	ck_assert_int_eq(db_value(h.db, "PRAGMA user_version"), latest);
	h_cleanup(&h);
}
END_TEST

/* A database at the first schema version is brought up to the latest. */
START_TEST(migration_from_first_version)
{
	struct harness h;
	struct hresp r;
	FILE *f;
	char *sql;
	long n;

	if (latest_schema() < 2)
		return;
	h_init(&h, NULL);
	ck_assert_ptr_nonnull(f = fopen("schema/001_core.sql", "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	sql = calloc(1, (size_t)n + 64);
	ck_assert_int_eq(fread(sql, 1, (size_t)n, f), n);
	fclose(f);
	strcat(sql, "\nPRAGMA user_version = 1;\n");
	db_sql(h.db, sql);
	free(sql);
	db_sql(h.db, "INSERT INTO teams (id, name, lead_org, created_at) "
	    "VALUES ('old', 'Old team', 'Org', 0)");
	h_start(&h);
	r = h_get(&h, h.admin, "/v1/teams/old");
	expect(&r, 200, NULL, "team of version 1");
	hresp_free(&r);
	stop_clean(&h);
	ck_assert_int_eq(db_value(h.db, "PRAGMA user_version"), latest_schema());
	h_cleanup(&h);
}
END_TEST

START_TEST(newer_schema_refused)
{
	struct harness h;
	char *out = NULL, *err = NULL, sql[64];
	int rc, latest = latest_schema();

	h_init(&h, NULL);
	{
		const char *argv[] = { h_bin(), "token", "create", "--db", h.db, "--role",
			"admin", "--name", "a", NULL };

		ck_assert_int_eq(run_capture(argv, NULL, NULL, 30), 0);
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", latest + 1);
	db_sql(h.db, sql);
	{
		const char *argv[] = { h_bin(), "-c", h.conf, NULL };

		rc = run_capture(argv, &out, &err, 20);
		ck_assert_msg(rc != 0 && rc < 128, "grantd exit %d on a newer database", rc);
		ck_assert_ptr_null(strstr(out, "listening on"));
		ck_assert_msg(strstr(err, "newer") != NULL, "unclear message: %s", err);
		free(out);
		free(err);
	}
	{
		const char *argv[] = { h_bin(), "token", "create", "--db", h.db, "--role",
			"admin", "--name", "b", NULL };

		rc = run_capture(argv, &out, &err, 20);
		ck_assert_int_ne(rc, 0);
		ck_assert_str_eq(out, "");
		free(out);
		free(err);
	}
	/* Untouched: still the newer version, nothing rolled back or re-applied. */
	ck_assert_int_eq(db_value(h.db, "PRAGMA user_version"), latest + 1);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM tokens"), 1);
	h_cleanup(&h);
}
END_TEST

START_TEST(audit_verify_http_and_offline)
{
	struct harness h;
	struct hresp r;
	char *out = NULL, *err = NULL, want[160], head[80];
	int64_t entries;
	const char *argv[] = { h_bin(), "audit", "verify", "--db", NULL, NULL };

	h_init(&h, NULL);
	argv[4] = h.db;
	h_start(&h);
	r = h_post(&h, h.admin, "/v1/programs", "{\"id\":\"p1\",\"name\":\"One\"}");
	expect(&r, 201, NULL, "program");
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("t1"));
	expect(&r, 201, NULL, "team");
	hresp_free(&r);
	r = h_req(&h, "PUT", "/v1/card-models/A100", h.admin, "{\"weight\":0.75}", NULL);
	expect(&r, 200, NULL, "card model");
	hresp_free(&r);

	r = h_get(&h, h.admin, "/v1/audit/verify");
	expect(&r, 200, NULL, "verify");
	ck_assert(json_is_true(json_object_get(r.json, "ok")));
	entries = jint(&r, "entries");
	ck_assert_int_eq(entries, 4);
	snprintf(head, sizeof(head), "%s", jstr(r.json, "head"));
	ck_assert_int_eq(strlen(head), 64);
	hresp_free(&r);

	/* Offline while the daemon runs (WAL readers do not block), then stopped. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			stop_clean(&h);
		ck_assert_int_eq(run_capture(argv, &out, &err, 30), 0);
		snprintf(want, sizeof(want), "%lld entries, head %s", (long long)entries, head);
		ck_assert_msg(strstr(out, want) != NULL, "pass %d: '%s' lacks '%s'", pass, out,
		    want);
		free(out);
		free(err);
	}

	/* A database that does not exist is an error, not an empty chain. */
	{
		char missing[400];
		const char *av[] = { h_bin(), "audit", "verify", "--db", missing, NULL };

		snprintf(missing, sizeof(missing), "%s/absent.db", h.dir);
		ck_assert_int_ne(run_capture(av, &out, &err, 30), 0);
		ck_assert_int_ne(access(missing, F_OK), 0);
		free(out);
		free(err);
	}
	h_cleanup(&h);
}
END_TEST

/* Ways to rewrite history behind grantd's back; each must be found. */
static const struct {
	const char *what;
	const char *sql;
	const char *says;	/* in the error of both verifiers */
} tampers[] = {
	{ "target rewritten", "DROP TRIGGER audit_no_update; "
	    "UPDATE audit SET target = 'team/evil' WHERE seq = 2", "entry 2" },
	{ "actor rewritten", "DROP TRIGGER audit_no_update; "
	    "UPDATE audit SET actor_name = 'someone else' WHERE seq = 3", "entry 3" },
	{ "entry deleted", "DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 2",
	    "entry 2" },
	{ "hash rewritten", "DROP TRIGGER audit_no_update; "
	    "UPDATE audit SET hash = (SELECT hash FROM audit WHERE seq = 1) WHERE seq = 3",
	    "entry 3" },
};

START_TEST(audit_tamper)
{
	struct harness h;
	struct hresp r;
	char *out = NULL, *err = NULL;
	const char *argv[] = { h_bin(), "audit", "verify", "--db", NULL, NULL };

	h_init(&h, NULL);
	argv[4] = h.db;
	h_start(&h);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("t1"));
	expect(&r, 201, NULL, "t1");
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("t2"));
	expect(&r, 201, NULL, "t2");
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/teams", TEAM("t3"));
	expect(&r, 201, NULL, "t3");
	hresp_free(&r);
	stop_clean(&h);
	ck_assert_int_eq(run_capture(argv, NULL, NULL, 30), 0);

	db_sql(h.db, tampers[_i].sql);
	ck_assert_int_ne(run_capture(argv, &out, &err, 30), 0);
	ck_assert_ptr_null(strstr(out, "audit OK"));
	ck_assert_msg(strstr(err, tampers[_i].says) != NULL, "%s: '%s'", tampers[_i].what, err);
	free(out);
	free(err);

	h_restart(&h);
	r = h_get(&h, h.admin, "/v1/audit/verify");
	expect(&r, 200, NULL, "verify after tampering");
	ck_assert_msg(json_is_false(json_object_get(r.json, "ok")), "%s: %s", tampers[_i].what,
	    r.body);
	ck_assert_msg(strstr(jstr(r.json, "error"), tampers[_i].says) != NULL, "%s: %s",
	    tampers[_i].what, r.body);
	hresp_free(&r);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Many changes at once: each answered 201 after its commit, none lost. */

#define NCONC 50

struct sink {
	char *p;
	size_t n;
};

static size_t
sink_write(char *p, size_t sz, size_t n, void *arg)
{
	struct sink *s = arg;
	char *np = realloc(s->p, s->n + sz * n + 1);

	if (np == NULL)
		return 0;
	memcpy(np + s->n, p, sz * n);
	s->n += sz * n;
	np[s->n] = '\0';
	s->p = np;
	return sz * n;
}

START_TEST(concurrent_posts)
{
	struct harness h;
	struct hresp r;
	CURLM *m;
	CURL *e[NCONC];
	struct curl_slist *hl = NULL;
	struct sink body[NCONC];
	char url[128], auth[128], data[NCONC][128];
	int running = 0, seen[NCONC] = { 0 };
	json_t *it;
	size_t i;

	h_init(&h, NULL);
	h_start(&h);
	ck_assert_ptr_nonnull(m = curl_multi_init());
	/* All at once: no connection reuse, no pipelining. */
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	snprintf(url, sizeof(url), "%s/v1/teams", h.base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h.admin);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	for (int k = 0; k < NCONC; k++) {
		body[k] = (struct sink){ NULL, 0 };
		snprintf(data[k], sizeof(data[k]), "{\"id\":\"c-%02d\",\"name\":\"Team %d\","
		    "\"lead_org\":\"Org %d\"}", k, k, k);
		ck_assert_ptr_nonnull(e[k] = curl_easy_init());
		curl_easy_setopt(e[k], CURLOPT_URL, url);
		curl_easy_setopt(e[k], CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(e[k], CURLOPT_POSTFIELDS, data[k]);
		curl_easy_setopt(e[k], CURLOPT_WRITEFUNCTION, sink_write);
		curl_easy_setopt(e[k], CURLOPT_WRITEDATA, &body[k]);
		curl_easy_setopt(e[k], CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(e[k], CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e[k], CURLOPT_FORBID_REUSE, 1L);
		curl_multi_add_handle(m, e[k]);
	}
	do {
		ck_assert_int_eq(curl_multi_perform(m, &running), CURLM_OK);
		if (running)
			ck_assert_int_eq(curl_multi_poll(m, NULL, 0, 1000, NULL), CURLM_OK);
	} while (running);
	{
		CURLMsg *msg;
		int left;

		while ((msg = curl_multi_info_read(m, &left)) != NULL)
			ck_assert_msg(msg->data.result == CURLE_OK, "transfer: %s",
			    curl_easy_strerror(msg->data.result));
	}
	for (int k = 0; k < NCONC; k++) {
		long status = 0;

		curl_easy_getinfo(e[k], CURLINFO_RESPONSE_CODE, &status);
		ck_assert_msg(status == 201, "c-%02d: %ld %s", k, status, body[k].p ? body[k].p :
		    "");
		curl_multi_remove_handle(m, e[k]);
		curl_easy_cleanup(e[k]);
		free(body[k].p);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(hl);

	r = h_get(&h, h.admin, "/v1/teams?limit=1000");
	expect(&r, 200, NULL, "list");
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "items")), NCONC);
	json_array_foreach(json_object_get(r.json, "items"), i, it) {
		int k = atoi(jstr(it, "id") + 2);

		ck_assert(k >= 0 && k < NCONC);
		seen[k]++;
	}
	for (int k = 0; k < NCONC; k++)
		ck_assert_msg(seen[k] == 1, "c-%02d listed %d times", k, seen[k]);
	hresp_free(&r);
	/* One entry per change, chained without a gap. */
	audit_ok(&h, NCONC + 1);
	stop_clean(&h);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM audit WHERE action = "
	    "'team.create'"), NCONC);
	h_cleanup(&h);
}
END_TEST

/*
 * Many changes one after another on one kept-alive connection, each answered
 * promptly: a change that libmicrohttpd happens to read from its timer
 * rather than from the poll must still be committed in that loop iteration,
 * not when some later event wakes the loop.
 */
START_TEST(sequential_keepalive)
{
	struct harness h;
	struct curl_slist *hl = NULL;
	struct sink body = { NULL, 0 };
	char url[128], auth[128], data[128];
	CURL *c;
	long status;
	CURLcode rc;

	h_init(&h, NULL);
	h_start(&h);
	snprintf(url, sizeof(url), "%s/v1/teams", h.base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h.admin);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	ck_assert_ptr_nonnull(c = curl_easy_init());
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	/* Far below the harness's 30 s: a stalled loop shows as a timeout here. */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	for (int k = 0; k < 200; k++) {
		snprintf(data, sizeof(data), "{\"id\":\"s-%03d\",\"name\":\"n\",\"lead_org\":\"o\"}",
		    k);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
		rc = curl_easy_perform(c);
		ck_assert_msg(rc == CURLE_OK, "request %d: %s", k, curl_easy_strerror(rc));
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		ck_assert_msg(status == 201, "request %d: %ld %s", k, status, body.p);
		free(body.p);
		body = (struct sink){ NULL, 0 };
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hl);
	audit_ok(&h, 201);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

/*
 * Weights are written with at most 3 decimals, and come back that way: a
 * client that sent 0.6 must not read 0.59999999999999998.
 */
START_TEST(weight_text)
{
	struct harness h;
	struct hresp r;

	h_init(&h, NULL);
	h_start(&h);
	r = h_req(&h, "PUT", "/v1/card-models/A100", h.admin, "{\"weight\":0.6}", NULL);
	expect(&r, 200, NULL, "put");
	ck_assert_msg(strstr(r.body, "\"weight\":0.6}") != NULL ||
	    strstr(r.body, "\"weight\":0.6,") != NULL, "weight written as: %s", r.body);
	hresp_free(&r);
	r = h_get(&h, h.admin, "/v1/card-models/H100");
	ck_assert_msg(strstr(r.body, "\"weight\":0.5") != NULL, "%s", r.body);
	hresp_free(&r);
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST


/*
 * On the wall clock (no test clock, so no 100 ms tick), a transition that is
 * due the moment it is made (an enrollment whose window ended in the past)
 * is applied at once, and a steady stream of writes does not postpone it.
 */
START_TEST(due_at_once_on_real_clock)
{
	struct harness h;
	struct hresp r;
	char day[16];
	time_t start = time(NULL) - 60 * 86400;
	bool done = false;

	h_init(&h, NULL);
	h.real_clock = true;
	h_start(&h);
	strftime(day, sizeof(day), "%Y-%m-%d", gmtime(&start));
	r = h_post(&h, h.admin, "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}");
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/programs/p/phases", "{\"id\":\"past\",\"name\":\"Past\","
	    "\"starts_on\":\"%s\",\"period_days\":30,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000}}", day);
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/pools", "{\"id\":\"pool\",\"provider\":\"X\","
	    "\"site\":\"Y\",\"card_model\":\"B200\",\"cards\":8}");
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t\",\"name\":\"T\","
	    "\"lead_org\":\"O\",\"members\":[]}");
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	/* A window in the past is an exception now (issue 14): made with an override. */
	r = h_post(&h, h.admin, "/v1/phases/past/enrollments", "{\"team\":\"t\","
	    "\"not_before\":\"%s\",\"override\":{\"reason\":\"replayed\"}}", day);
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	/* Writes every 50 ms, for up to 10 s: the window's end must be applied meanwhile. */
	for (int i = 0; i < 200 && !done; i++) {
		r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"w%d\",\"name\":\"W\","
		    "\"lead_org\":\"O\",\"members\":[]}", i);
		ck_assert_int_eq(r.status, 201);
		hresp_free(&r);
		r = h_get(&h, h.admin, "/v1/phases/past/enrollments/t");
		ck_assert_int_eq(r.status, 200);
		done = strcmp(json_string_value(json_object_get(r.json, "state")), "completed") == 0;
		hresp_free(&r);
		if (!done)
			usleep(50 * 1000);
	}
	ck_assert_msg(done, "the ended window was not applied within 10 s of writes");
	/* A second one right after the first was applied: no backing off in between. */
	r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t2\",\"name\":\"T2\","
	    "\"lead_org\":\"O\",\"members\":[]}");
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/phases/past/enrollments", "{\"team\":\"t2\","
	    "\"not_before\":\"%s\",\"override\":{\"reason\":\"replayed\"}}", day);
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	done = false;
	for (int i = 0; i < 100 && !done; i++) {
		r = h_get(&h, h.admin, "/v1/phases/past/enrollments/t2");
		ck_assert_int_eq(r.status, 200);
		done = strcmp(json_string_value(json_object_get(r.json, "state")), "completed") == 0;
		hresp_free(&r);
		if (!done)
			usleep(50 * 1000);
	}
	ck_assert_msg(done, "a second ended window waited more than 5 s");
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * An idle daemon holds no write transaction: a change made from a timer
 * (housekeeping runs a second after start) is committed in the same loop
 * iteration, not left open until the next request arrives.
 */
START_TEST(idle_daemon_holds_no_write_lock)
{
	struct harness h;
	struct timespec ts = { 1, 500 * 1000 * 1000 };
	sqlite3 *db;
	int rc;

	h_init(&h, NULL);
	h_start(&h);
	nanosleep(&ts, NULL);
	ck_assert_int_eq(sqlite3_open_v2(h.db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 3000);
	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	ck_assert_msg(rc == SQLITE_OK, "an idle grantd holds the write lock: %s",
	    sqlite3_errmsg(db));
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* ... so the offline token command works beside a running daemon. */
	{
		const char *argv[] = { h_bin(), "token", "create", "--db", h.db, "--role",
			"auditor", "--name", "beside", NULL };
		char *out = NULL, *err = NULL;
		struct hresp r;

		ck_assert_int_eq(run_capture(argv, &out, &err, 30), 0);
		out[strcspn(out, "\n")] = '\0';
		r = h_get(&h, out, "/v1/teams");
		expect(&r, 200, NULL, "token made beside the daemon");
		hresp_free(&r);
		free(out);
		free(err);
	}
	stop_clean(&h);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("api");
	TCase *tc;
	SRunner *sr;
	int failed;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	tc = tcase_create("http");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, auth_matrix);
	tcase_add_test(tc, request_ids);
	tcase_add_test(tc, problem_json);
	tcase_add_test(tc, head_requests);
	tcase_add_test(tc, oversize_body);
	tcase_add_test(tc, idempotency_across_restart);
	tcase_add_test(tc, concurrent_posts);
	tcase_add_test(tc, sequential_keepalive);
	tcase_add_test(tc, weight_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("process");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, signals_exit_cleanly);
	tcase_add_test(tc, config_check);
	tcase_add_test(tc, token_create_offline);
	tcase_add_test(tc, token_use_written_at_stop);
	tcase_add_test(tc, migrations);
	tcase_add_test(tc, migration_from_first_version);
	tcase_add_test(tc, newer_schema_refused);
	tcase_add_test(tc, idle_daemon_holds_no_write_lock);
	tcase_add_test(tc, due_at_once_on_real_clock);
	suite_add_tcase(s, tc);

	tc = tcase_create("audit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, audit_verify_http_and_offline);
	tcase_add_loop_test(tc, audit_tamper, 0, (int)NELEMS(tampers));
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
