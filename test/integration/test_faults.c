/* test_faults.c: storage faults on the real binary: locked, read-only, corrupt, full. */
#include <check.h>
#include <curl/curl.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * The contract: a change that storage cannot commit gets 503 `unavailable`
 * and nothing of it is applied; a database grantd cannot use is refused at
 * start with a message and a non-zero exit, and never overwritten.
 *
 * "Nothing applied" is checked on the database itself: the row count of
 * every table (read over a separate read-only connection, WAL) is the same
 * before and after a refused change.
 */

#define NOBODY 65534

/* ------------------------------------------------------------------ */
/* Helpers. */

static void
expect(struct hresp *r, long status, const char *code, const char *what)
{
	ck_assert_msg(r->status == status, "%s: status %ld, want %ld: %s", what, r->status,
	    status, r->body);
	if (code)
		ck_assert_msg(strcmp(hresp_code(r), code) == 0, "%s: code '%s', want '%s'", what,
		    hresp_code(r), code);
}

static void
must(struct hresp r, long status, const char *what)
{
	expect(&r, status, NULL, what);
	hresp_free(&r);
}

static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "table=count;..." of every table: equal strings mean nothing was written. */
static char *
db_counts(const char *path)
{
	sqlite3 *db;
	sqlite3_stmt *st, *c;
	char *out = calloc(1, 8192), sql[200];
	size_t n = 0;

	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = "
	    "'table' ORDER BY name", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM \"%s\"", t);
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &c, NULL), SQLITE_OK);
		ck_assert_int_eq(sqlite3_step(c), SQLITE_ROW);
		n += (size_t)snprintf(out + n, 8192 - n, "%s=%lld;", t,
		    (long long)sqlite3_column_int64(c, 0));
		sqlite3_finalize(c);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return out;
}

static int64_t
db_value(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static void
verified(struct harness *h)
{
	struct hresp r = h_get(h, h->admin, "/v1/audit/verify");

	ck_assert_msg(r.status == 200 && json_is_true(json_object_get(r.json, "ok")),
	    "audit verify: %ld %s", r.status, r.body);
	hresp_free(&r);
	r = h_get(h, h->admin, "/v1/vouchers/verify");
	ck_assert_msg(r.status == 200 && json_is_true(json_object_get(r.json, "ok")),
	    "ledger verify: %ld %s", r.status, r.body);
	hresp_free(&r);
}

static void
offline_verified(const char *db)
{
	const char *a[] = { h_bin(), "audit", "verify", "--db", db, NULL };
	const char *l[] = { h_bin(), "ledger", "verify", "--db", db, NULL };

	ck_assert_int_eq(h_run(a, NULL), 0);
	ck_assert_int_eq(h_run(l, NULL), 0);
}

/* The whole file, malloc'd; its length in *len. */
static unsigned char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;
	long n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	p = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return p;
}

/*
 * Starts grantd on h's config and expects it to refuse: it must exit with a
 * non-zero status within 5 s, print no "listening on" line, and say
 * something on stderr (returned, malloc'd).  uid >= 0: run it as that user;
 * NULL (the test is skipped) where switching to it is not allowed.
 */
static char *
start_refused(struct harness *h, int uid, int *status)
{
	char errpath[320], outpath[320];
	int st = 0, waited;
	size_t len;
	char *out, *err;
	pid_t pid;

	snprintf(errpath, sizeof(errpath), "/tmp/grantd-faults-err-%d", (int)getpid());
	snprintf(outpath, sizeof(outpath), "/tmp/grantd-faults-out-%d", (int)getpid());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fo = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fe = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		dup2(fo, 1);
		dup2(fe, 2);
		if (uid >= 0 && (setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0))
			_exit(126);
		execl(h_bin(), h_bin(), "-c", h->conf, (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waitpid(pid, &st, WNOHANG) == 0; waited += 20) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (waited >= 5000) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			out = (char *)slurp(outpath, &len);
			out[len] = '\0';
			unlink(outpath);
			unlink(errpath);
			ck_abort_msg("grantd did not refuse to start; it said '%s'", out);
		}
		nanosleep(&ts, NULL);
	}
	out = (char *)slurp(outpath, &len);
	out[len] = '\0';
	ck_assert_msg(strstr(out, "listening on") == NULL, "grantd started: %s", out);
	free(out);
	err = (char *)slurp(errpath, &len);
	err[len] = '\0';
	unlink(outpath);
	unlink(errpath);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (*status == 126) {
		fprintf(stderr, "test_faults: SKIP: cannot run grantd as uid %d here (setuid "
		    "refused)\n", uid);
		free(err);
		return NULL;
	}
	ck_assert_msg(*status != 0 && *status != 127,
	    "grantd exited %d on a database it cannot use (stderr: %s)", *status, err);
	ck_assert_msg(strlen(err) > 0, "grantd refused without a word on stderr");
	fprintf(stderr, "test_faults: grantd refused (exit %d): %s", *status, err);
	return err;
}

/* A world: programme, phase (voucher 1 000 000), pool, team alpha enrolled, supplier. */
static void
world(struct harness *h)
{
	must(h_post(h, h->admin, "/v1/programs", "{\"id\":\"prog\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}"), 201, "programme");
	must(h_post(h, h->admin, "/v1/programs/prog/phases", "{\"id\":\"ph\",\"name\":\"Ph\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":30,\"package\":{\"card_model\":"
	    "\"B200\",\"cards\":8,\"voucher_krw\":1000000}}"), 201, "phase");
	must(h_post(h, h->admin, "/v1/pools", "{\"id\":\"pool-a\",\"provider\":\"P\","
	    "\"site\":\"S\",\"card_model\":\"B200\",\"cards\":64}"), 201, "pool");
	must(h_post(h, h->admin, "/v1/teams", "{\"id\":\"alpha\",\"name\":\"Alpha\","
	    "\"lead_org\":\"A\"}"), 201, "team");
	must(h_post(h, h->admin, "/v1/phases/ph/enrollments", "{\"team\":\"alpha\"}"), 201,
	    "enrollment");
	must(h_post(h, h->admin, "/v1/suppliers", "{\"id\":\"sup\",\"name\":\"S\","
	    "\"org\":\"SO\"}"), 201, "supplier");
}

/* ------------------------------------------------------------------ */
/* Another process holds the write lock. */

START_TEST(locked_database)
{
	struct harness h;
	struct hresp r;
	sqlite3 *lock;
	char *before, *after;
	double t0, dt;

	h_init(&h, "[storage]\nbusy_timeout_ms = 300\n");
	h_clock(&h, "2026-03-02T00:00:00Z");
	h_start(&h);
	world(&h);
	before = db_counts(h.db);

	/* Another process's connection takes the write lock and keeps it. */
	ck_assert_int_eq(sqlite3_open(h.db, &lock), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);

	t0 = now_s();
	r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"beta\",\"name\":\"Beta\",\"lead_org\":\"B\"}");
	dt = now_s() - t0;
	expect(&r, 503, "unavailable", "team while locked");
	hresp_free(&r);
	/* Within the busy timeout (300 ms), not the default 5 s or forever. */
	ck_assert_msg(dt >= 0.25 && dt < 2.5, "503 after %.3f s; busy_timeout_ms is 300", dt);

	r = h_post(&h, h.admin, "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
	    "\"supplier\":\"sup\",\"amount_krw\":1000}");
	expect(&r, 503, "unavailable", "hold while locked");
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/pools/pool-a/outages", "{\"from\":\"2026-03-10T00:00:00Z\","
	    "\"to\":\"2026-03-11T00:00:00Z\",\"cards\":60,\"reason\":\"locked\"}");
	expect(&r, 503, "unavailable", "outage while locked");
	hresp_free(&r);

	/* Reads go on (WAL: the reader does not need the write lock). */
	r = h_get(&h, h.admin, "/v1/teams/alpha");
	expect(&r, 200, NULL, "read while locked");
	hresp_free(&r);
	r = h_get(&h, h.admin, "/v1/teams/beta");
	expect(&r, 404, NULL, "the refused team while locked");
	hresp_free(&r);

	ck_assert_int_eq(sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(lock);

	/* Nothing of the three was applied. */
	after = db_counts(h.db);
	ck_assert_msg(strcmp(before, after) == 0, "rows changed by refused writes:\n%s\n%s",
	    before, after);
	free(after);

	/* Recovery: the same requests now succeed. */
	must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"beta\",\"name\":\"Beta\","
	    "\"lead_org\":\"B\"}"), 201, "team after the lock");
	must(h_post(&h, h.admin, "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
	    "\"supplier\":\"sup\",\"amount_krw\":1000}"), 201, "hold after the lock");
	must(h_post(&h, h.admin, "/v1/pools/pool-a/outages", "{\"from\":\"2026-03-10T00:00:00Z\","
	    "\"to\":\"2026-03-11T00:00:00Z\",\"cards\":60,\"reason\":\"locked\"}"), 201,
	    "outage after the lock");
	verified(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	offline_verified(h.db);
	free(before);
	h_cleanup(&h);
}
END_TEST

/*
 * The lock is taken while changes are under way: eight requests go out, the
 * lock is taken as soon as the first reply is in (it waits for grantd's
 * open batch: grantd holds the write lock from BEGIN IMMEDIATE to COMMIT),
 * then eight more go out.  Each reply must agree with the database.
 */
START_TEST(locked_database_under_load)
{
	struct harness h;
	CURLM *m = curl_multi_init();
	CURL *c[16];
	struct curl_slist *hl = NULL;
	char url[128], auth[200], body[16][160];
	long status[16] = { 0 };
	int running, n201 = 0, n503 = 0, left;
	sqlite3 *lock;
	CURLMsg *msg;

	h_init(&h, "[storage]\nbusy_timeout_ms = 200\n");
	h_clock(&h, "2026-03-02T00:00:00Z");
	h_start(&h);
	world(&h);
	ck_assert_int_eq(sqlite3_open(h.db, &lock), SQLITE_OK);
	sqlite3_busy_timeout(lock, 10000);
	snprintf(url, sizeof(url), "%s/v1/teams", h.base);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h.admin);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	for (int i = 0; i < 16; i++) {
		c[i] = curl_easy_init();
		snprintf(body[i], sizeof(body[i]), "{\"id\":\"load-%d\",\"name\":\"L\","
		    "\"lead_org\":\"O\"}", i);
		curl_easy_setopt(c[i], CURLOPT_URL, url);
		curl_easy_setopt(c[i], CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c[i], CURLOPT_POSTFIELDS, body[i]);
		curl_easy_setopt(c[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c[i], CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(c[i], CURLOPT_PRIVATE, (char *)(intptr_t)i);
	}
	int done = 0;

	for (int half = 0; half < 2; half++) {
		for (int i = half * 8; i < half * 8 + 8; i++)
			curl_multi_add_handle(m, c[i]);
		do {
			curl_multi_perform(m, &running);
			while ((msg = curl_multi_info_read(m, &left)) != NULL) {
				char *pi;

				ck_assert_int_eq(msg->data.result, CURLE_OK);
				curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &pi);
				curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE,
				    &status[(intptr_t)pi]);
				done++;
			}
			curl_multi_poll(m, NULL, 0, 5, NULL);
		} while (half == 0 ? done == 0 : done < 16);
		if (half == 0)
			ck_assert_int_eq(sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
			    SQLITE_OK);
	}
	ck_assert_int_eq(sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(lock);
	for (int i = 0; i < 16; i++) {
		char sql[128];
		int64_t there;

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM teams WHERE id = 'load-%d'", i);
		there = db_value(h.db, sql);
		ck_assert_msg(status[i] == 201 || status[i] == 503, "load-%d: %ld", i, status[i]);
		ck_assert_msg((status[i] == 201) == (there == 1), "load-%d: HTTP %ld but %s", i,
		    status[i], there ? "present" : "absent");
		status[i] == 201 ? n201++ : n503++;
		curl_multi_remove_handle(m, c[i]);
		curl_easy_cleanup(c[i]);
	}
	fprintf(stderr, "test_faults: lock under load: %d created, %d refused with 503\n", n201,
	    n503);
	ck_assert_int_gt(n503, 0);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM audit WHERE action = 'team.create' "
	    "AND target LIKE 'team/load-%'"), n201);
	curl_slist_free_all(hl);
	curl_multi_cleanup(m);
	must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"after\",\"name\":\"A\","
	    "\"lead_org\":\"O\"}"), 201, "team after the lock");
	verified(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A database grantd may not write. */

/* Makes the database (migrated, one team) and stops grantd. */
static void
made_db(struct harness *h)
{
	h_init(h, NULL);
	h_start(h);
	must(h_post(h, h->admin, "/v1/teams", "{\"id\":\"alpha\",\"name\":\"Alpha\","
	    "\"lead_org\":\"A\"}"), 201, "team");
	ck_assert_int_eq(h_stop(h), 0);
}

/*
 * chmod means nothing to root: as root, grantd runs as nobody (as the
 * service would, as its own user) over files that user owns.
 */
static int
as_user(struct harness *h)
{
	char cmd[400];

	if (geteuid() != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "chown -R %d:%d '%s'", NOBODY, NOBODY, h->dir);
	ck_assert_int_eq(system(cmd), 0);
	return NOBODY;
}

/* The file is read-only (0444); its directory is writable. */
START_TEST(read_only_file)
{
	struct harness h;
	unsigned char *b0, *b1;
	size_t n0, n1;
	char *err;
	int st, uid;

	made_db(&h);
	uid = as_user(&h);
	ck_assert_int_eq(chmod(h.db, 0444), 0);
	b0 = slurp(h.db, &n0);
	if ((err = start_refused(&h, uid, &st)) == NULL) {
		free(b0);
		h_cleanup(&h);
		return;
	}
	ck_assert_msg(strstr(err, h.db) != NULL, "the refusal does not name the database: %s",
	    err);
	b1 = slurp(h.db, &n1);
	ck_assert_msg(n0 == n1 && memcmp(b0, b1, n0) == 0, "the read-only database changed");
	free(err);
	free(b0);
	free(b1);
	chmod(h.db, 0644);
	h_cleanup(&h);
}
END_TEST

/* The file is read-only and so is its directory (the lock file exists). */
START_TEST(read_only_directory)
{
	struct harness h;
	unsigned char *b0, *b1;
	size_t n0, n1;
	char *err, lockp[320];
	int st, uid, fd;

	made_db(&h);
	snprintf(lockp, sizeof(lockp), "%s.lock", h.db);
	ck_assert_int_ge(fd = open(lockp, O_RDWR | O_CREAT, 0600), 0);
	close(fd);
	uid = as_user(&h);
	ck_assert_int_eq(chmod(h.db, 0444), 0);
	ck_assert_int_eq(chmod(h.dir, 0555), 0);
	b0 = slurp(h.db, &n0);
	if ((err = start_refused(&h, uid, &st)) == NULL) {
		free(b0);
		h_cleanup(&h);
		return;
	}
	ck_assert_msg(strstr(err, h.db) != NULL, "the refusal does not name the database: %s",
	    err);
	b1 = slurp(h.db, &n1);
	ck_assert_msg(n0 == n1 && memcmp(b0, b1, n0) == 0, "the read-only database changed");
	free(err);
	free(b0);
	free(b1);
	chmod(h.dir, 0700);
	h_cleanup(&h);
}
END_TEST

/* The database on a read-only bind mount (root only; skipped where mount is refused). */
START_TEST(read_only_mount)
{
	struct harness h;
	char ro[320], conf[1024];
	unsigned char *b0, *b1;
	size_t n0, n1;
	char *err;
	FILE *f;
	int st;

	made_db(&h);
	snprintf(ro, sizeof(ro), "%s/ro", h.dir);
	ck_assert_int_eq(mkdir(ro, 0755), 0);
	if (mount(h.dir, ro, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, ro, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
		fprintf(stderr, "test_faults: SKIP read_only_mount: cannot make a read-only bind "
		    "mount here (%s); the chmod tests above cover a read-only file\n",
		    strerror(errno));
		umount2(ro, MNT_DETACH);
		h_cleanup(&h);
		return;
	}
	/* grantd sees the database only through the read-only mount. */
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:0\n[storage]\n"
	    "database = %s/grantd.db\n[log]\nlevel = warning\naccess_log = false\n", ro);
	ck_assert_ptr_nonnull(f = fopen(h.conf, "w"));
	fputs(conf, f);
	fclose(f);
	b0 = slurp(h.db, &n0);
	err = start_refused(&h, -1, &st);
	ck_assert_msg(strstr(err, ro) != NULL, "the refusal does not name the database: %s",
	    err);
	b1 = slurp(h.db, &n1);
	ck_assert_msg(n0 == n1 && memcmp(b0, b1, n0) == 0, "the database changed");
	umount2(ro, MNT_DETACH);
	free(err);
	free(b0);
	free(b1);
	h_cleanup(&h);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A corrupt database at start. */

static void
corrupt_case(size_t off, size_t len, bool whole)
{
	struct harness h;
	unsigned char *b0, *b1;
	size_t n0, n1;
	char *err;
	FILE *f;
	int st;

	made_db(&h);
	ck_assert_ptr_nonnull(f = fopen(h.db, whole ? "wb" : "r+b"));
	fseek(f, (long)off, SEEK_SET);
	for (size_t i = 0; i < len; i++)
		fputc((int)((i * 131 + 7) & 0xff), f);
	fclose(f);
	b0 = slurp(h.db, &n0);
	err = start_refused(&h, -1, &st);
	ck_assert_msg(strstr(err, h.db) != NULL, "the refusal does not name the database: %s",
	    err);
	b1 = slurp(h.db, &n1);
	ck_assert_msg(n0 == n1 && memcmp(b0, b1, n0) == 0,
	    "the corrupt database was written to (%zu bytes before, %zu after)", n0, n1);
	free(err);
	{
		/* Nothing beside it either: no -wal or -shm left to confuse a recovery. */
		char p[340];
		struct stat sb;

		snprintf(p, sizeof(p), "%s-wal", h.db);
		ck_assert_msg(stat(p, &sb) != 0 || sb.st_size == 0, "a -wal was written");
	}
	/* The offline tools refuse it too. */
	{
		const char *a[] = { h_bin(), "audit", "verify", "--db", h.db, NULL };

		ck_assert_int_ne(h_run(a, NULL), 0);
	}
	b1 = (free(b1), slurp(h.db, &n1));
	ck_assert_msg(n0 == n1 && memcmp(b0, b1, n0) == 0, "audit verify wrote to the database");
	free(b0);
	free(b1);
	h_cleanup(&h);
}

START_TEST(corrupt_header)
{
	corrupt_case(0, 100, false);		/* the 100-byte SQLite header */
}
END_TEST

START_TEST(corrupt_first_page)
{
	corrupt_case(0, 4096, false);		/* header and schema page */
}
END_TEST

START_TEST(not_a_database)
{
	corrupt_case(0, 20000, true);		/* some other file entirely */
}
END_TEST

/* ------------------------------------------------------------------ */
/* A full disk: the database on a 2 MiB tmpfs that is then filled. */

static char disks[200];

static void
disk_setup(void)
{
	snprintf(disks, sizeof(disks), "/tmp/grantd-faults-disk-%d", (int)getpid());
	mkdir(disks, 0700);
}

/* Runs in the parent after the tests, also when they failed. */
static void
disk_teardown(void)
{
	char p[300];

	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%d", disks, i);
		umount2(p, MNT_DETACH);
		rmdir(p);
	}
	rmdir(disks);
}

/*
 * Mounts a tmpfs of size (e.g. "2m") at disks/which into disk; false (and a
 * message saying why the test is skipped) where mount(2) is not allowed.
 */
static bool
mount_disk(int which, const char *size, char *disk, size_t len, const char *test)
{
	char opt[32];

	snprintf(disk, len, "%s/%d", disks, which);
	ck_assert_int_eq(mkdir(disk, 0700), 0);
	snprintf(opt, sizeof(opt), "size=%s", size);
	if (mount("tmpfs", disk, "tmpfs", 0, opt) == 0)
		return true;
	fprintf(stderr, "test_faults: SKIP %s: cannot mount a %s tmpfs at %s (%s); run as root "
	    "where mount(2) is allowed to test a full disk\n", test, size, disk, strerror(errno));
	rmdir(disk);
	return false;
}

/* Fills the file system of path's directory; returns the filler's path. */
static void
fill(const char *filler)
{
	char chunk[4096];
	int fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	memset(chunk, 'x', sizeof(chunk));
	while ((n = write(fd, chunk, sizeof(chunk))) > 0)
		;
	while ((n = write(fd, chunk, 1)) > 0)
		;
	ck_assert_int_eq(errno, ENOSPC);
	fsync(fd);
	close(fd);
}

/* A usage batch of n samples, each its own hour: n rows (flagged: no grant). */
static char *
big_batch(const char *id, int n)
{
	size_t cap = (size_t)n * 160 + 256, len = 0;
	char *b = malloc(cap);
	time_t t0 = 1772236800;		/* 2026-02-28T00:00:00Z, back from there */

	ck_assert_ptr_nonnull(b);
	len += (size_t)snprintf(b + len, cap - len, "{\"batch_id\":\"%s\",\"samples\":[", id);
	for (int i = 0; i < n; i++) {
		char from[32], to[32];
		time_t t = t0 - (time_t)(i + 1) * 3600;
		struct tm tm;

		gmtime_r(&t, &tm);
		strftime(from, sizeof(from), "%Y-%m-%dT%H:%M:%SZ", &tm);
		t += 3600;
		gmtime_r(&t, &tm);
		strftime(to, sizeof(to), "%Y-%m-%dT%H:%M:%SZ", &tm);
		len += (size_t)snprintf(b + len, cap - len, "%s{\"pool\":\"pool-a\",\"team\":"
		    "\"alpha\",\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%d}", i ? "," : "",
		    from, to, 1 + i % 3600);
	}
	snprintf(b + len, cap - len, "]}");
	return b;
}

START_TEST(full_disk)
{
	struct harness h;
	struct hresp r;
	char filler[340], conf[1024], *before, *after, id[32];
	int n503 = 0, n201 = 0, first503 = -1;
	FILE *f;

	char disk[260];

	if (!mount_disk(0, "2m", disk, sizeof(disk), "full_disk"))
		return;
	h_init(&h, NULL);
	snprintf(h.db, sizeof(h.db), "%s/grantd.db", disk);
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:0\nmax_body_bytes = 8388608\n"
	    "[storage]\ndatabase = %s\nbusy_timeout_ms = 200\n[log]\nlevel = warning\n"
	    "access_log = false\n", h.db);
	ck_assert_ptr_nonnull(f = fopen(h.conf, "w"));
	fputs(conf, f);
	fclose(f);
	h_clock(&h, "2026-03-02T00:00:00Z");
	h_start(&h);
	world(&h);
	{
		char *agent = h_token(&h, "agent", NULL, "pool-a");

		snprintf(filler, sizeof(filler), "%s/filler", disk);
		fill(filler);

		/* Small changes until storage refuses: each is 201 and there, or 503 and not. */
		for (int i = 0; i < 400 && n503 < 5; i++) {
			snprintf(id, sizeof(id), "full-%d", i);
			before = db_counts(h.db);
			r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"%s\",\"name\":\"Full %d with a "
			    "long name to use the space up faster, %0100d\",\"lead_org\":\"O\"}", id, i,
			    i);
			after = db_counts(h.db);
			if (r.status == 201) {
				n201++;
			} else {
				expect(&r, 503, "unavailable", id);
				ck_assert_msg(strcmp(before, after) == 0, "%s: 503, yet rows changed:\n"
				    "%s\n%s", id, before, after);
				if (first503 < 0)
					first503 = i;
				n503++;
			}
			hresp_free(&r);
			free(before);
			free(after);
		}
		fprintf(stderr, "test_faults: full disk: %d teams fitted, then %d refused with 503\n",
		    n201, n503);
		ck_assert_msg(n503 > 0, "400 teams on a full 2 MiB disk and no 503");

		/* Reads still work. */
		r = h_get(&h, h.admin, "/v1/teams?limit=1000");
		expect(&r, 200, NULL, "list teams on a full disk");
		hresp_free(&r);
		r = h_get(&h, h.admin, "/v1/pools/pool-a/timeline?from=2026-03-01T00:00:00Z"
		    "&to=2026-05-01T00:00:00Z");
		expect(&r, 200, NULL, "timeline on a full disk");
		hresp_free(&r);
		verified(&h);

		/* A hold and a large usage batch (10 000 rows: more than the page cache). */
		before = db_counts(h.db);
		r = h_post(&h, h.admin, "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
		    "\"supplier\":\"sup\",\"amount_krw\":1000}");
		expect(&r, 503, "unavailable", "hold on a full disk");
		hresp_free(&r);
		{
			char *b = big_batch("big-1", 10000);

			r = h_req(&h, "POST", "/v1/usage", agent, b, NULL);
			free(b);
		}
		expect(&r, 503, "unavailable", "usage batch on a full disk");
		hresp_free(&r);
		after = db_counts(h.db);
		ck_assert_msg(strcmp(before, after) == 0, "rows changed by refused writes on a full "
		    "disk:\n%s\n%s", before, after);
		free(before);
		free(after);
		verified(&h);

		/* Space returns: writes succeed again, the refused ones included. */
		ck_assert_int_eq(unlink(filler), 0);
		snprintf(id, sizeof(id), "full-%d", first503);
		r = h_get(&h, h.admin, "/v1/teams/full-0");
		expect(&r, n201 > 0 ? 200 : 404, NULL, "first team");
		hresp_free(&r);
		{
			char path[64];

			snprintf(path, sizeof(path), "/v1/teams/%s", id);
			r = h_get(&h, h.admin, path);
			expect(&r, 404, NULL, "the first refused team");
			hresp_free(&r);
		}
		r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"%s\",\"name\":\"Again\","
		    "\"lead_org\":\"O\"}", id);
		expect(&r, 201, NULL, "a refused team, once space returns");
		ck_assert(!r.replayed);
		hresp_free(&r);
		must(h_post(&h, h.admin, "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
		    "\"supplier\":\"sup\",\"amount_krw\":1000}"), 201, "hold once space returns");
		{
			char *b = big_batch("big-1", 2000);

			r = h_req(&h, "POST", "/v1/usage", agent, b, NULL);
			free(b);
			expect(&r, 202, NULL, "usage once space returns");
			ck_assert_int_eq(json_integer_value(json_object_get(r.json, "accepted")), 2000);
			hresp_free(&r);
		}
		ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM teams WHERE id LIKE 'full-%'"),
		    n201 + 1);
		verified(&h);
		free(agent);
	}
	/* And all of it survives a restart. */
	ck_assert_int_eq(h_stop(&h), 0);
	offline_verified(h.db);
	h_restart(&h);
	r = h_get(&h, h.admin, "/v1/teams/full-0");
	expect(&r, 200, NULL, "a team after the restart");
	hresp_free(&r);
	verified(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/* Raw HTTP/1.1 over loopback, for requests that must arrive together. */
static int
raw_connect(const struct harness *h)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const char *colon = strrchr(h->base, ':');
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static char *
raw_request(const char *path, const char *token, const char *body, size_t pad, size_t *len)
{
	char *r;
	int n = asprintf(&r, "POST %s HTTP/1.1\r\nHost: grantd\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s%*s", path, token,
	    strlen(body) + pad, body, (int)pad, "");

	ck_assert_int_gt(n, 0);
	*len = (size_t)n;
	return r;
}

/* The status of the one response on fd (its body skipped). */
static long
raw_status(int fd)
{
	char buf[8192];
	size_t got = 0;
	ssize_t n;
	long status = 0;
	char *end, *cl;
	size_t need;

	for (;;) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		ck_assert_msg(n > 0, "connection closed before the response");
		got += (size_t)n;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		status = strtol(buf + 9, NULL, 10);
		cl = strcasestr(buf, "Content-Length:");
		need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		if (got >= need || got == sizeof(buf) - 1)
			return status;
	}
}

/*
 * A little space left: small changes fit, large ones do not.  Two usage
 * batches of 10 000 samples (each its own hour: some 20 000 rows each) and
 * ten team creations padded with JSON whitespace to the same length are
 * sent in lockstep on twelve connections, so that grantd finishes reading
 * them in the same loop iteration and runs them in one group-commit batch.
 * The second batch outgrows SQLite's page cache; the spill to the WAL fails
 * (SQLITE_FULL) in the middle of a statement and SQLite rolls the whole
 * transaction back on its own.  Whatever each request is told, the database
 * must agree: 201/202 there, 503 not there.
 */
START_TEST(full_disk_large_change_in_a_batch)
{
	enum { NTEAM = 10, NS = NTEAM + 2, ROUNDS = 4 };
	struct harness h;
	char filler[340], conf[1024], *agent, disk[260];
	int wrong = 0, n2xx = 0, n503 = 0;
	struct stat sb;
	FILE *f;

	if (!mount_disk(1, "8m", disk, sizeof(disk), "full_disk_large_change_in_a_batch"))
		return;
	h_init(&h, NULL);
	snprintf(h.db, sizeof(h.db), "%s/grantd.db", disk);
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:0\nmax_body_bytes = 8388608\n"
	    "[storage]\ndatabase = %s\nbusy_timeout_ms = 200\n[log]\nlevel = warning\n"
	    "access_log = false\n", h.db);
	ck_assert_ptr_nonnull(f = fopen(h.conf, "w"));
	fputs(conf, f);
	fclose(f);
	h_clock(&h, "2026-03-02T00:00:00Z");
	h_start(&h);
	world(&h);
	agent = h_token(&h, "agent", NULL, "pool-a");
	snprintf(filler, sizeof(filler), "%s/filler", disk);
	fill(filler);
	/* Give back 512 KiB: room for small commits, not for tens of thousands of rows. */
	ck_assert_int_eq(stat(filler, &sb), 0);
	ck_assert_int_eq(truncate(filler, sb.st_size - 512 * 1024), 0);

	for (int round = 0; round < ROUNDS; round++) {
		char *req[NS], what[NS][48], sql[NS][160];
		size_t len[NS], off[NS] = { 0 };
		int fd[NS];
		bool left;

		for (int i = 0; i < 2; i++) {
			char *b;

			snprintf(what[i], sizeof(what[i]), "usage batch big-%d-%d", round, i);
			snprintf(sql[i], sizeof(sql[i]), "SELECT count(*) FROM usage_batches WHERE "
			    "batch_id = 'big-%d-%d'", round, i);
			b = big_batch(what[i] + strlen("usage batch "), 10000);
			req[i] = raw_request("/v1/usage", agent, b, 0, &len[i]);
			free(b);
		}
		for (int i = 2; i < NS; i++) {
			char b[128];

			snprintf(b, sizeof(b), "{\"id\":\"mix-%d-%d\",\"name\":\"M\",\"lead_org\":\"O\"}",
			    round, i);
			snprintf(what[i], sizeof(what[i]), "team mix-%d-%d", round, i);
			snprintf(sql[i], sizeof(sql[i]), "SELECT count(*) FROM teams WHERE id = "
			    "'mix-%d-%d'", round, i);
			req[i] = raw_request("/v1/teams", h.admin, b, len[1] - 400 - strlen(b) +
			    (size_t)i * 16, &len[i]);
		}
		for (int i = 0; i < NS; i++) {
			fd[i] = raw_connect(&h);
			fcntl(fd[i], F_SETFL, O_NONBLOCK);
		}
		do {
			struct timespec ts = { 0, 500 * 1000 };

			left = false;
			for (int i = 0; i < NS; i++) {
				ssize_t n;
				size_t chunk = len[i] - off[i] < 32768 ? len[i] - off[i] : 32768;

				if (chunk == 0)
					continue;
				if ((n = write(fd[i], req[i] + off[i], chunk)) > 0)
					off[i] += (size_t)n;
				left |= off[i] < len[i];
			}
			nanosleep(&ts, NULL);
		} while (left);
		for (int i = 0; i < NS; i++) {
			long st;
			int64_t there;

			fcntl(fd[i], F_SETFL, 0);
			st = raw_status(fd[i]);
			close(fd[i]);
			free(req[i]);
			there = db_value(h.db, sql[i]);
			if (st == 201 || st == 202)
				n2xx++;
			else if (st == 503)
				n503++;
			if ((st == 201 || st == 202) != (there == 1) || (st / 100 != 2 && st != 503)) {
				wrong++;
				fprintf(stderr, "test_faults: round %d, %s: HTTP %ld, yet it is %s in the "
				    "database\n", round, what[i], st, there ? "present" : "absent");
			}
		}
	}
	fprintf(stderr, "test_faults: large changes in a batch on a nearly full disk: %d applied, "
	    "%d refused with 503, %d told wrong\n", n2xx, n503, wrong);
	/* Space back, grantd stopped and the directory gone before the verdict. */
	ck_assert_int_eq(unlink(filler), 0);
	verified(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	offline_verified(h.db);
	free(agent);
	h_cleanup(&h);
	ck_assert_msg(wrong == 0, "%d replies disagree with the database (listed above): a 503 "
	    "'nothing was applied' for a change that was committed", wrong);
}
END_TEST

/* Sends one request on fd, all of it at once. */
static void
raw_send(int fd, const char *method, const char *path, const char *token, const char *body)
{
	char *r;
	int n = asprintf(&r, "%s %s HTTP/1.1\r\nHost: grantd\r\nAuthorization: Bearer %s\r\n"
	    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", method, path,
	    token, body ? strlen(body) : 0, body ? body : "");

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(write(fd, r, (size_t)n), n);
	free(r);
}

/* The status of the one response on fd; its problem code (if any) into code. */
static long
raw_reply(int fd, char *code, size_t len)
{
	char buf[8192], *end, *cl, *c;
	size_t got = 0, need;
	ssize_t n;

	code[0] = '\0';
	for (;;) {
		n = read(fd, buf + got, sizeof(buf) - 1 - got);
		ck_assert_msg(n > 0, "connection closed before the response");
		got += (size_t)n;
		buf[got] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		cl = strcasestr(buf, "Content-Length:");
		need = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
		if (got >= need || got == sizeof(buf) - 1)
			break;
	}
	if ((c = strstr(end, "\"code\":\"")) != NULL)
		snprintf(code, len, "%.*s", (int)strcspn(c + 8, "\""), c + 8);
	return strtol(buf + 9, NULL, 10);
}

/*
 * Requests decided together in a batch whose COMMIT fails all hear 503:
 * none is told a refusal computed from the batch's own changes ("already
 * voided", insufficient_funds, already_exists), which the failed COMMIT
 * took away.  The disk is full, so every COMMIT fails.  To have grantd read
 * the requests in one run of libmicrohttpd and decide them in one batch,
 * another process holds the write lock while they arrive: the first
 * request keeps the loop waiting in BEGIN IMMEDIATE, the others queue on
 * connections opened beforehand, and all of them are read in the run that
 * follows the first one's COMMIT.
 */
START_TEST(full_disk_refusals_in_a_batch)
{
	static const struct {
		const char *method, *path, *body, *before;	/* before: its answer on old code */
	} rq[] = {
		{ "POST", "/v1/teams", "{\"id\":\"first\",\"name\":\"F\",\"lead_org\":\"O\"}", "" },
		{ "POST", "VOID", NULL, "200" },
		{ "POST", "VOID", NULL, "409 invalid_state" },
		{ "POST", "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
		    "\"supplier\":\"sup\",\"amount_krw\":998990}", "201" },
		{ "POST", "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
		    "\"supplier\":\"sup\",\"amount_krw\":500}", "409 insufficient_funds" },
		{ "POST", "/v1/teams", "{\"id\":\"dup\",\"name\":\"D\",\"lead_org\":\"O\"}", "201" },
		{ "POST", "/v1/teams", "{\"id\":\"dup\",\"name\":\"E\",\"lead_org\":\"O\"}",
		    "409 already_exists" },
	};
	enum { N = sizeof(rq) / sizeof(rq[0]) };
	struct harness h;
	struct hresp r;
	char disk[260], conf[1024], filler[340], voidp[128], code[64], *before, *after;
	int fd[N], wrong = 0;
	struct timespec pause = { 0, 300 * 1000 * 1000 };
	sqlite3 *lock;
	FILE *f;

	if (!mount_disk(2, "2m", disk, sizeof(disk), "full_disk_refusals_in_a_batch"))
		return;
	h_init(&h, NULL);
	snprintf(h.db, sizeof(h.db), "%s/grantd.db", disk);
	snprintf(conf, sizeof(conf), "[server]\nlisten = 127.0.0.1:0\n[storage]\ndatabase = %s\n"
	    "busy_timeout_ms = 10000\n[log]\nlevel = warning\naccess_log = false\n", h.db);
	ck_assert_ptr_nonnull(f = fopen(h.conf, "w"));
	fputs(conf, f);
	fclose(f);
	h_clock(&h, "2026-03-02T00:00:00Z");
	h_start(&h);
	world(&h);
	r = h_post(&h, h.admin, "/v1/vouchers/holds", "{\"team\":\"alpha\",\"phase\":\"ph\","
	    "\"supplier\":\"sup\",\"amount_krw\":1000}");
	expect(&r, 201, NULL, "the hold to void");
	snprintf(voidp, sizeof(voidp), "/v1/vouchers/holds/%s/void",
	    json_string_value(json_object_get(r.json, "id")));
	hresp_free(&r);
	snprintf(filler, sizeof(filler), "%s/filler", disk);
	fill(filler);
	before = db_counts(h.db);

	for (int i = 0; i < N; i++)
		fd[i] = raw_connect(&h);
	nanosleep(&pause, NULL);	/* grantd accepts them, idle */
	ck_assert_int_eq(sqlite3_open(h.db, &lock), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(lock, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	raw_send(fd[0], rq[0].method, rq[0].path, h.admin, rq[0].body);
	nanosleep(&pause, NULL);	/* grantd waits for the lock in BEGIN IMMEDIATE */
	for (int i = 1; i < N; i++)
		raw_send(fd[i], rq[i].method, strcmp(rq[i].path, "VOID") == 0 ? voidp : rq[i].path,
		    h.admin, rq[i].body);
	nanosleep(&pause, NULL);
	ck_assert_int_eq(sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(lock);

	for (int i = 0; i < N; i++) {
		long st = raw_reply(fd[i], code, sizeof(code));

		close(fd[i]);
		if (st != 503 || strcmp(code, "unavailable") != 0) {
			wrong++;
			fprintf(stderr, "test_faults: request %d (%s %s): %ld %s on a full disk "
			    "(its answer from the open batch: %s)\n", i, rq[i].method, rq[i].path, st,
			    code, rq[i].before);
		}
	}
	after = db_counts(h.db);
	ck_assert_msg(strcmp(before, after) == 0, "rows changed by a failed batch:\n%s\n%s",
	    before, after);
	free(before);
	free(after);

	/* Space returns: the hold was never voided, and the team never made. */
	ck_assert_int_eq(unlink(filler), 0);
	r = h_post(&h, h.admin, voidp, "{}");
	expect(&r, 200, NULL, "void once space returns");
	hresp_free(&r);
	must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"dup\",\"name\":\"E\",\"lead_org\":\"O\"}"),
	    201, "the team once space returns");
	verified(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	offline_verified(h.db);
	h_cleanup(&h);
	ck_assert_msg(wrong == 0, "%d of %d requests of a batch whose COMMIT failed were not "
	    "answered 503 (listed above)", wrong, N);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("faults");
	TCase *lock = tcase_create("locked"), *ro = tcase_create("read_only"),
	    *bad = tcase_create("corrupt"), *full = tcase_create("full_disk");
	SRunner *sr;
	int nf;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	/* A daemon under ASan and 300 ms lock waits: Check's 4 s is too tight on a busy machine. */
	tcase_set_timeout(lock, 30);
	tcase_add_test(lock, locked_database);
	tcase_add_test(lock, locked_database_under_load);
	tcase_add_test(ro, read_only_file);
	tcase_add_test(ro, read_only_directory);
	tcase_add_test(ro, read_only_mount);
	tcase_add_test(bad, corrupt_header);
	tcase_add_test(bad, corrupt_first_page);
	tcase_add_test(bad, not_a_database);
	tcase_add_unchecked_fixture(full, disk_setup, disk_teardown);
	tcase_set_timeout(full, 120);
	tcase_add_test(full, full_disk);
	tcase_add_test(full, full_disk_large_change_in_a_batch);
	tcase_add_test(full, full_disk_refusals_in_a_batch);
	suite_add_tcase(s, lock);
	suite_add_tcase(s, ro);
	suite_add_tcase(s, bad);
	suite_add_tcase(s, full);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	curl_global_cleanup();
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
