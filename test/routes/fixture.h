/* fixture.h: route tests: an app on a temporary SQLite file, requests through dispatch(). */
#ifndef GRANTD_TEST_FIXTURE_H
#define GRANTD_TEST_FIXTURE_H

/*
 * There is no shared object for route tests, so everything here is static
 * inline: a test file that does not use a helper gets no warning for it.
 *
 * A test owns one struct fx.  fx_open() makes a temporary directory with a
 * real database file (WAL), opens it twice as the daemon does (the writer,
 * migrated, and a reader), sets up group commit without a loop, and makes an
 * admin token offline.  fx_close() undoes all of it.  Requests go through the
 * same dispatch() the HTTP layer calls; a change is flushed (COMMIT) before
 * its response is returned, as the HTTP layer waits for the commit callback.
 */

#include <check.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "calendar.h"
#include "civil.h"
#include "commit.h"
#include "config.h"
#include "db_sql.h"
#include "err.h"
#include "request.h"
#include "router.h"
#include "timers.h"
#include "token.h"

/*
 * Under LeakSanitizer (make SAN=1) fx_close() asks for a leak check, so that
 * a leak fails the test that made it with a message, rather than aborting
 * its process at exit.  Without the sanitizer the weak symbol is NULL.
 */
extern int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* 2026-03-01T00:00:00Z: the default "now" of every request. */
#define FX_NOW ((int64_t)1772323200)

struct fx {
	struct app app;
	char dir[64];
	char path[128];
	char admin[TOKEN_SECRET_LEN + 1];	/* secret of the admin token */
	char admin_id[TOKEN_ID_LEN + 1];
	char rid[32];				/* request id of the last request */
	int nreq;
};

/* One request.  Unset fields take the defaults noted. */
struct fx_rq {
	const char *method;
	const char *path;	/* may carry "?k=v&k2=v2" */
	const char *token;	/* a secret: "Authorization: Bearer TOKEN"; NULL: none */
	const char *auth;	/* a raw Authorization header; wins over token */
	const char *body;	/* NULL: no body */
	const char *ctype;	/* default application/json when there is a body */
	bool no_ctype;		/* send no Content-Type at all */
	const char *idem;	/* Idempotency-Key */
	int64_t now;		/* 0: FX_NOW */
};

static inline void
fx_sql(struct fx *f, const char *sql)
{
	char *err = NULL;

	ck_assert_msg(sqlite3_exec(db_handle(f->app.w), sql, NULL, NULL, &err) == SQLITE_OK,
	    "%s: %s", sql, err ? err : "?");
}

/* Makes a token directly in the database, as `grantd token create` does. */
static inline void
fx_token(struct fx *f, const char *name, enum role role, const char *team, const char *pool,
    char secret[TOKEN_SECRET_LEN + 1], char id[TOKEN_ID_LEN + 1])
{
	char tid[TOKEN_ID_LEN + 1];

	fx_sql(f, "BEGIN IMMEDIATE");
	ck_assert_int_eq(token_create(f->app.w, name, role, team, pool, NULL, FX_NOW, -1,
	    id ? id : tid, secret), 0);
	fx_sql(f, "COMMIT");
}

static inline void
fx_open(struct fx *f)
{
	char err[GD_ERRBUF];

	memset(f, 0, sizeof(*f));
	ck_assert_int_ge(sodium_init(), 0);
	snprintf(f->dir, sizeof(f->dir), "/tmp/grantd-rt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/grantd.db", f->dir);
	config_defaults(&f->app.cfg);
	snprintf(f->app.cfg.storage.database, sizeof(f->app.cfg.storage.database), "%s",
	    f->path);
	f->app.tz_default = f->app.cfg.programme.tz_offset;
	ck_assert_msg(db_open(f->path, DB_WRITER, 5000, &f->app.w, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_msg(db_migrate(f->app.w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(db_open(f->path, DB_READER, 5000, &f->app.r, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(calendar_attach(f->app.w, f->app.r), 0);
	ck_assert_int_eq(commit_init(&f->app, NULL, NULL), 0);
	fx_token(f, "route-admin", ROLE_ADMIN, NULL, NULL, f->admin, f->admin_id);
}

/* Removes the database files and the directory. */
static inline void
fx_remove(struct fx *f)
{
	char p[200];

	unlink(f->path);
	snprintf(p, sizeof(p), "%s-wal", f->path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", f->path);
	unlink(p);
	rmdir(f->dir);
}

static inline void
fx_close(struct fx *f)
{
	if (f->app.batch && commit_pending(&f->app))
		commit_flush(&f->app);
	commit_free(&f->app);
	/* The quota answers it kept: a fixture reused by fx_clone would lose them. */
	quota_cache_clear(&f->app.quota);
	db_close(f->app.r);
	db_close(f->app.w);
	f->app.r = f->app.w = NULL;
	fx_remove(f);
	if (__lsan_do_recoverable_leak_check != NULL)
		ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
		    "memory leaked in this test: see LeakSanitizer's report above");
}

/*
 * Templates: a test case seeds one database in Check's parent process
 * (an unchecked fixture), and each test in its own process starts from a
 * copy of it, so that seeding costs once per case rather than once per test.
 */

/* Closes the connections of a seeded fixture; its files stay, checkpointed. */
static inline void
fx_template_save(struct fx *f)
{
	if (commit_pending(&f->app))
		commit_flush(&f->app);
	commit_free(&f->app);
	db_close(f->app.r);
	db_close(f->app.w);
	f->app.r = f->app.w = NULL;
}

static inline void
fx_template_drop(struct fx *f)
{
	fx_remove(f);
}

static inline void
fx_copy_file(const char *from, const char *to, bool optional)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out;

	if (in < 0 && optional)
		return;
	ck_assert_msg(in >= 0, "cannot open %s", from);
	ck_assert_int_ge(out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ck_assert_int_eq(write(out, buf, (size_t)n), n);
	ck_assert_int_eq(n, 0);
	close(in);
	close(out);
}

/* A fixture on a fresh copy of tpl's database, with tpl's tokens. */
static inline void
fx_clone(struct fx *f, const struct fx *tpl)
{
	char err[GD_ERRBUF], from[200], to[200];

	*f = *tpl;
	f->app.w = f->app.r = NULL;
	f->app.batch = NULL;
	snprintf(f->dir, sizeof(f->dir), "/tmp/grantd-rt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/grantd.db", f->dir);
	snprintf(f->app.cfg.storage.database, sizeof(f->app.cfg.storage.database), "%s",
	    f->path);
	fx_copy_file(tpl->path, f->path, false);
	snprintf(from, sizeof(from), "%s-wal", tpl->path);
	snprintf(to, sizeof(to), "%s-wal", f->path);
	fx_copy_file(from, to, true);
	ck_assert_msg(db_open(f->path, DB_WRITER, 5000, &f->app.w, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_msg(db_migrate(f->app.w, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(db_open(f->path, DB_READER, 5000, &f->app.r, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(calendar_attach(f->app.w, f->app.r), 0);
	ck_assert_int_eq(commit_init(&f->app, NULL, NULL), 0);
}

/* Every problem body has the shape the contract gives, with a code matching its status. */
static inline void
fx_check_problem(const struct response *rs)
{
	const char *code, *type;
	char want[96];

	ck_assert_ptr_nonnull(rs->json);
	code = json_string_value(json_object_get(rs->json, "code"));
	type = json_string_value(json_object_get(rs->json, "type"));
	ck_assert_ptr_nonnull(code);
	ck_assert_ptr_nonnull(type);
	snprintf(want, sizeof(want), "urn:grantd:problem:%s", code);
	ck_assert_str_eq(type, want);
	ck_assert_int_eq(json_integer_value(json_object_get(rs->json, "status")), rs->status);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(rs->json, "title")));
	ck_assert_ptr_nonnull(json_string_value(json_object_get(rs->json, "detail")));
}

static inline void
fx_on_commit(void *arg, bool committed)
{
	int *state = arg;

	*state = committed ? 1 : 2;
}

/*
 * Builds the request and runs dispatch() without flushing.  Returns what
 * dispatch returned: true when the response waits for the group commit.
 */
/* A query value decoded in place as libmicrohttpd decodes it: %XX, and '+' for a space. */
static inline void
fx_unescape(char *s)
{
	char *o = s;
	unsigned v;

	for (; *s; s++) {
		if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1 && s[1] && s[2]) {
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s == '+' ? ' ' : *s;
		}
	}
	*o = '\0';
}

static inline bool
fx_dispatch(struct fx *f, const struct fx_rq *in, struct response *rs)
{
	char pathbuf[2048], authbuf[600];
	struct request rq = { 0 };
	struct principal who = { 0 };
	const char *auth = NULL;
	char *q, *kv, *save = NULL;
	bool wait;

	memset(rs, 0, sizeof(*rs));
	ck_assert_uint_lt(strlen(in->path), sizeof(pathbuf));
	snprintf(pathbuf, sizeof(pathbuf), "%s", in->path);
	if ((q = strchr(pathbuf, '?')) != NULL) {
		*q++ = '\0';
		for (kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');

			ck_assert_int_lt(rq.nquery, REQ_MAX_QUERY);
			if (eq) {
				*eq++ = '\0';
				fx_unescape(eq);
			}
			rq.query[rq.nquery].key = kv;
			rq.query[rq.nquery].value = eq ? eq : "";
			rq.nquery++;
		}
	}
	snprintf(f->rid, sizeof(f->rid), "rt-%d", ++f->nreq);
	rq.app = &f->app;
	rq.method = in->method;
	rq.path = pathbuf;
	rq.body = in->body;
	rq.body_len = in->body ? strlen(in->body) : 0;
	rq.content_type = in->no_ctype ? NULL : in->ctype ? in->ctype :
	    in->body ? "application/json" : NULL;
	rq.request_id = f->rid;
	rq.idem_key = in->idem;
	rq.now = in->now ? in->now : FX_NOW;
	if (in->auth) {
		auth = in->auth;
	} else if (in->token) {
		snprintf(authbuf, sizeof(authbuf), "Bearer %s", in->token);
		auth = authbuf;
	}
	wait = dispatch(&rq, auth, &who, rs);
	ck_assert_msg(rs->status >= 200 && rs->status <= 599, "%s %s: no status", in->method,
	    in->path);
	if (rs->problem)
		fx_check_problem(rs);
	/*
	 * A change that reached the batch waits for its commit, refusals too;
	 * a read waits only when its token was revoked in the open batch, or
	 * when it is the fairness report, which keeps each report it makes.
	 */
	ck_assert_msg(!wait || strcmp(in->method, "GET") != 0 || rs->status == 401 ||
	    strcmp(rq.route, "/v1/phases/{phase}/fairness") == 0,
	    "%s %s: waits with status %d", in->method, in->path, rs->status);
	return wait;
}

/*
 * The whole life of one request, as the daemon runs it: dispatch, then the
 * loop's check handle flushes the batch if one is open (a refused change
 * opens it too), and a waiting reply learns whether the COMMIT held.
 */
static inline struct response
fx_call(struct fx *f, const struct fx_rq *in)
{
	struct response rs;
	int state = 0;
	bool wait = fx_dispatch(f, in, &rs);

	if (wait)
		ck_assert_int_eq(commit_wait(&f->app, fx_on_commit, &state), 0);
	if (commit_pending(&f->app))
		commit_flush(&f->app);
	if (wait) {
		ck_assert_int_ne(state, 0);
		/* As the HTTP layer answers a batch whose COMMIT failed. */
		if (state == 2)
			resp_problem(&rs, 503, "unavailable",
			    "storage could not commit the change; nothing was applied");
	}
	return rs;
}

static inline struct response
fx_req(struct fx *f, const char *method, const char *path, const char *token,
    const char *body)
{
	struct fx_rq in = { .method = method, .path = path, .token = token, .body = body };

	return fx_call(f, &in);
}

/* Shorthands for the admin. */
static inline struct response
fx_post(struct fx *f, const char *path, const char *body)
{
	return fx_req(f, "POST", path, f->admin, body);
}

static inline struct response
fx_get(struct fx *f, const char *path)
{
	return fx_req(f, "GET", path, f->admin, NULL);
}

/* A change the test needs to succeed. */
static inline void
fx_must(struct fx *f, const char *method, const char *path, const char *body, int status)
{
	struct response rs = fx_req(f, method, path, f->admin, body);
	char *dump = rs.json ? json_dumps(rs.json, JSON_COMPACT) : NULL;

	ck_assert_msg(rs.status == status, "%s %s: %d %s", method, path, rs.status,
	    dump ? dump : "");
	free(dump);
	response_clear(&rs);
}

static inline const char *
fx_code(const struct response *rs)
{
	const char *c = json_string_value(json_object_get(rs->json, "code"));

	return c ? c : "";
}

static inline const char *
fx_detail(const struct response *rs)
{
	const char *c = json_string_value(json_object_get(rs->json, "detail"));

	return c ? c : "";
}

/* String member of a JSON object by a path of keys ("package.card_model"); "" when absent. */
static inline json_t *
fx_at(const json_t *j, const char *path)
{
	char buf[128], *k, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (k = strtok_r(buf, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
		j = json_object_get(j, k);
	return (json_t *)j;
}

static inline const char *
fx_str(const json_t *j, const char *path)
{
	const char *s = json_string_value(fx_at(j, path));

	return s ? s : "";
}

static inline int64_t
fx_count(struct fx *f, const char *table)
{
	char sql[128];
	sqlite3_stmt *st;
	int64_t n = -1;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(f->app.r), sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/*
 * A one-value query on the reader, with up to two text arguments (NULL: not
 * bound).  Prepared afresh each time: the daemon's statement cache keys on
 * the SQL's address, which a test's built strings must not share.
 */
static inline int64_t
fx_qint(struct fx *f, const char *sql, const char *a1, const char *a2)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	ck_assert_msg(sqlite3_prepare_v2(db_handle(f->app.r), sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db_handle(f->app.r)));
	if (a1)
		sqlite3_bind_text(st, 1, a1, -1, SQLITE_TRANSIENT);
	if (a2)
		sqlite3_bind_text(st, 2, a2, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static inline int64_t
fx_audit_count(struct fx *f)
{
	return fx_count(f, "audit");
}

/* The newest audit entry's action, target, actor id and request id. */
struct fx_audit {
	char action[64], target[128], actor_id[48], request_id[64];
};

static inline struct fx_audit
fx_audit_last(struct fx *f)
{
	struct fx_audit a = { "", "", "", "" };
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db_handle(f->app.r), "SELECT action, target, "
	    "actor_id, request_id FROM audit ORDER BY seq DESC LIMIT 1", -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(a.action, sizeof(a.action), "%s", sqlite3_column_text(st, 0));
		snprintf(a.target, sizeof(a.target), "%s", sqlite3_column_text(st, 1));
		snprintf(a.actor_id, sizeof(a.actor_id), "%s", sqlite3_column_text(st, 2));
		snprintf(a.request_id, sizeof(a.request_id), "%s", sqlite3_column_text(st, 3));
	}
	sqlite3_finalize(st);
	return a;
}

/* The chain verifies; returns its length. */
static inline int64_t
fx_audit_verify(struct fx *f)
{
	char head[AUDIT_HASH_HEX], err[GD_ERRBUF] = "";
	int64_t n = -1;

	ck_assert_msg(audit_verify(f->app.r, &n, head, err, sizeof(err)) == 0, "%s", err);
	return n;
}

/*
 * Row counts of every table a change may touch, and the sum of the weights
 * (they change in place): two equal fingerprints mean nothing was written
 * between them.
 */
#define FX_FP_LEN 256

static inline void
fx_fingerprint(struct fx *f, char out[FX_FP_LEN])
{
	static const char *const tables[] = { "audit", "tokens", "idempotency", "card_models",
		"programs", "phases", "teams", "team_memberships", "organisations",
		"organisation_names", "pools" };
	size_t o = 0;

	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		o += (size_t)snprintf(out + o, FX_FP_LEN - o, "%s=%lld ", tables[i],
		    (long long)fx_count(f, tables[i]));
	snprintf(out + o, FX_FP_LEN - o, "weights=%lld", (long long)fx_qint(f,
	    "SELECT coalesce(sum(weight_milli), 0) FROM card_models", NULL, NULL));
}

/*
 * The time-based transitions due at now (windows completing, vouchers
 * closing, evaluation reminders, holds expiring), applied in a transaction
 * of their own after any open batch is flushed, as the loop's tick does.
 */
static inline void
fx_run_timers(struct fx *f, int64_t now)
{
	int applied = 0;

	if (commit_pending(&f->app))
		commit_flush(&f->app);
	fx_sql(f, "BEGIN IMMEDIATE");
	ck_assert_int_eq(timers_apply_due(&f->app, f->app.w, now, &applied), 0);
	fx_sql(f, "COMMIT");
}

#endif
