/* test_backup.c: grantd backup under write load, restore, and what each refuses (tampering included). */
#include <check.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * A loader child posts teams and pools to the running daemon without pause
 * while `grantd backup` copies the database.  Teams carry LOAD_MEMBERS
 * members with long organisation names, so that the database outgrows the
 * backup's 256-page steps and the writer commits between them.
 */
#define LOAD_MEMBERS 40
/* Rows the loader makes before the backup starts (then it goes on). */
#define PRELOAD_TEAMS 150
#define NOW "2026-03-02T00:00:00Z"

static void
must(struct hresp r, long status, const char *what)
{
	ck_assert_msg(r.status == status, "%s: %ld %s", what, r.status, r.body);
	hresp_free(&r);
}

/* A programme with an enrolled team, a supplier and settled voucher money: a ledger to verify. */
static void
seed(struct harness *h)
{
	struct hresp r;
	const char *hold;
	char path[128];

	h_clock(h, NOW);
	must(h_post(h, h->admin, "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\"}"),
	    201, "program");
	must(h_post(h, h->admin, "/v1/programs/sovereign-ai/phases", "{\"id\":\"stage-2\","
	    "\"name\":\"Stage 2\",\"starts_on\":\"2026-03-01\",\"period_days\":30,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":1000000}}"), 201, "phase");
	must(h_post(h, h->admin, "/v1/teams", "{\"id\":\"lg-ai\",\"name\":\"LG\",\"lead_org\":"
	    "\"LG AI Research\",\"members\":[{\"org\":\"LG AI Research\",\"role\":\"lead\"}]}"),
	    201, "team");
	must(h_post(h, h->admin, "/v1/pools", "{\"id\":\"seoul\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":64}"), 201, "pool");
	must(h_post(h, h->admin, "/v1/phases/stage-2/enrollments", "{\"team\":\"lg-ai\"}"), 201,
	    "enrollment");
	must(h_post(h, h->admin, "/v1/suppliers", "{\"id\":\"data-co\",\"name\":\"Data Co\","
	    "\"org\":\"Data Co Ltd\"}"), 201, "supplier");
	r = h_post(h, h->admin, "/v1/vouchers/holds", "{\"team\":\"lg-ai\",\"phase\":\"stage-2\","
	    "\"supplier\":\"data-co\",\"amount_krw\":300000}");
	ck_assert_msg(r.status == 201, "hold: %ld %s", r.status, r.body);
	hold = json_string_value(json_object_get(r.json, "id"));
	ck_assert_ptr_nonnull(hold);
	snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/settle", hold);
	hresp_free(&r);
	must(h_post(h, h->admin, path, "{\"amount_krw\":200000}"), 200, "settle");
}

/* Discards a response body. */
static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/*
 * The loader: team load-N then pool lpool-N, N = 0, 1, ... until killed.
 * It uses libcurl directly and never Check's asserts, which belong to the
 * test's own process; it writes each N whose two rows were created to fd
 * `progress`, and exits when a request fails (the daemon stopped).
 */
static void
loader(const struct harness *h, int progress)
{
	static char body[LOAD_MEMBERS * 160 + 256];
	struct curl_slist *hl = NULL;
	char url[128], auth[128];
	CURL *c = curl_easy_init();
	long st;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (c == NULL)
		_exit(1);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", h->admin);
	hl = curl_slist_append(hl, auth);
	hl = curl_slist_append(hl, "Content-Type: application/json");
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	for (unsigned n = 0;; n++) {
		size_t o;

		o = (size_t)snprintf(body, sizeof(body), "{\"id\":\"load-%u\",\"name\":\"Load team "
		    "%u\",\"lead_org\":\"Org 0\",\"members\":[", n, n);
		for (int m = 0; m < LOAD_MEMBERS; m++)
			o += (size_t)snprintf(body + o, sizeof(body) - o, "%s{\"org\":\"Org %d of "
			    "load team %u, an organisation with a long registered name for the "
			    "backup test\",\"role\":\"member\"}", m ? "," : "", m, n);
		snprintf(body + o, sizeof(body) - o, "]}");
		snprintf(url, sizeof(url), "%s/v1/teams", h->base);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st) != CURLE_OK || st != 201)
			_exit(0);
		snprintf(body, sizeof(body), "{\"id\":\"lpool-%u\",\"provider\":\"P\",\"site\":"
		    "\"S\",\"card_model\":\"B200\",\"cards\":8}", n);
		snprintf(url, sizeof(url), "%s/v1/pools", h->base);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st) != CURLE_OK || st != 201)
			_exit(0);
		if (write(progress, &n, sizeof(n)) != (ssize_t)sizeof(n))
			_exit(0);
	}
}

/* Waits until the loader has made rows for N = 0 .. want - 1. */
static void
await_progress(int fd, unsigned want)
{
	unsigned n = 0, got = 0;
	ssize_t r;

	while (got < want) {
		r = read(fd, &n, sizeof(n));
		ck_assert_msg(r == (ssize_t)sizeof(n), "the loader stopped after %u rows", got);
		got = n + 1;
	}
}

/* Every id of a list route, through all of its pages. */
static json_t *
all_ids(struct harness *h, const char *route)
{
	json_t *ids = json_array(), *it;
	char path[512], after[128] = "";
	struct hresp r;
	size_t i;

	for (;;) {
		snprintf(path, sizeof(path), "%s?limit=1000%s%s", route, after[0] ? "&after=" : "",
		    after);
		r = h_get(h, h->admin, path);
		ck_assert_msg(r.status == 200, "GET %s: %ld %s", path, r.status, r.body);
		json_array_foreach(json_object_get(r.json, "items"), i, it)
			json_array_append(ids, json_object_get(it, "id"));
		if (!json_is_string(json_object_get(r.json, "next"))) {
			hresp_free(&r);
			return ids;
		}
		snprintf(after, sizeof(after), "%s",
		    json_string_value(json_object_get(r.json, "next")));
		hresp_free(&r);
	}
}

static int64_t
db_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* Every id in ids is a row of table in the database at path. */
static void
assert_rows(const char *path, const char *table, json_t *ids)
{
	char sql[128];
	sqlite3_stmt *st;
	sqlite3 *db;
	json_t *id;
	size_t i;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE id = ?", table);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	json_array_foreach(ids, i, id) {
		sqlite3_bind_text(st, 1, json_string_value(id), -1, SQLITE_TRANSIENT);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		ck_assert_msg(sqlite3_column_int64(st, 0) == 1, "%s %s, there before the backup "
		    "began, is not in the restored database", table, json_string_value(id));
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static int
run(const char *a, const char *b, const char *c, const char *d, const char *e)
{
	const char *argv[] = { h_bin(), a, b, c, d, e, NULL };

	return h_run(argv, NULL);
}

static bool
exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static void
write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static char *
read_file(const char *path, size_t *len)
{
	struct stat sb;
	char *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_ptr_nonnull(p = malloc((size_t)sb.st_size + 1));
	ck_assert_int_eq(read(fd, p, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return p;
}

START_TEST(backup_under_load_restores_intact)
{
	struct harness h, h2;
	char file[400], out_file[400];
	json_t *teams0, *pools0, *later;
	int64_t audit0, teams1, pools1, n;
	int pfd[2], st;
	pid_t child;
	struct hresp r;
	sqlite3 *db;

	h_init(&h, NULL);
	h_start(&h);
	seed(&h);
	ck_assert_int_eq(pipe(pfd), 0);
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		close(pfd[0]);
		loader(&h, pfd[1]);
		_exit(0);
	}
	close(pfd[1]);
	await_progress(pfd[0], PRELOAD_TEAMS);

	/* What is committed now must be in the backup, whenever its snapshot is taken. */
	teams0 = all_ids(&h, "/v1/teams");
	pools0 = all_ids(&h, "/v1/pools");
	r = h_get(&h, h.admin, "/v1/audit/verify");
	ck_assert(json_is_true(json_object_get(r.json, "ok")));
	audit0 = json_integer_value(json_object_get(r.json, "entries"));
	hresp_free(&r);
	ck_assert_int_ge(json_array_size(teams0), PRELOAD_TEAMS + 1);

	snprintf(file, sizeof(file), "%s/backup.db", h.dir);
	ck_assert_int_eq(run("backup", "--db", h.db, file, NULL), 0);

	/* The loader went on during the backup and after it: the daemon took writes throughout. */
	await_progress(pfd[0], (unsigned)json_array_size(pools0) + 10);
	later = all_ids(&h, "/v1/teams");
	teams1 = (int64_t)json_array_size(later);
	json_decref(later);
	kill(child, SIGKILL);
	waitpid(child, &st, 0);
	close(pfd[0]);
	ck_assert_int_eq(h_stop(&h), 0);

	/* A fresh path: restore creates the database. */
	h_init(&h2, NULL);
	ck_assert(!exists(h2.db));
	ck_assert_int_eq(run("restore", "--db", h2.db, file, NULL), 0);
	ck_assert_int_eq(run("audit", "verify", "--db", h2.db, NULL), 0);
	ck_assert_int_eq(run("ledger", "verify", "--db", h2.db, NULL), 0);
	assert_rows(h2.db, "teams", teams0);
	assert_rows(h2.db, "pools", pools0);
	ck_assert_int_eq(sqlite3_open_v2(h2.db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_ge(db_count(db, "SELECT count(*) FROM audit"), audit0);
	n = db_count(db, "SELECT count(*) FROM teams");
	pools1 = db_count(db, "SELECT count(*) FROM pools");
	ck_assert_msg(n <= teams1, "the backup has %lld teams, more than the %lld there were "
	    "after it", (long long)n, (long long)teams1);
	/* One snapshot: the loader makes team N before pool N, never a pool without its team. */
	ck_assert_int_eq(db_count(db, "SELECT count(*) FROM pools WHERE id LIKE 'lpool-%' AND "
	    "'load-' || substr(id, 7) NOT IN (SELECT id FROM teams)"), 0);
	ck_assert_int_ge(n - 1, pools1 - 1);
	ck_assert_int_le(n - 1, pools1);
	sqlite3_close(db);

	/* The restored database serves. */
	h_start(&h2);
	r = h_get(&h2, h2.admin, "/v1/teams/load-0");
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(json_array_size(json_object_get(r.json, "members")), LOAD_MEMBERS);
	hresp_free(&r);
	r = h_get(&h2, h2.admin, "/v1/vouchers/verify");
	ck_assert_msg(json_is_true(json_object_get(r.json, "ok")), "%s", r.body);
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h2), 0);

	/* The backup refuses to overwrite a file, the one it made included. */
	snprintf(out_file, sizeof(out_file), "%s", file);
	ck_assert_int_eq(run("backup", "--db", h.db, out_file, NULL), 1);
	json_decref(teams0);
	json_decref(pools0);
	h_cleanup(&h2);
	h_cleanup(&h);
}
END_TEST

START_TEST(restore_refuses_while_the_daemon_runs)
{
	struct harness h;
	char file[400];
	struct hresp r;

	h_init(&h, NULL);
	h_start(&h);
	seed(&h);
	snprintf(file, sizeof(file), "%s/backup.db", h.dir);
	ck_assert_int_eq(run("backup", "--db", h.db, file, NULL), 0);
	must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"after\",\"name\":\"After\","
	    "\"lead_org\":\"Org\"}"), 201, "team after the backup");

	/* grantd holds DB.lock: the restore must not touch the database. */
	ck_assert_int_ne(run("restore", "--db", h.db, file, NULL), 0);
	r = h_get(&h, h.admin, "/v1/teams/after");
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	r = h_get(&h, h.admin, "/v1/audit/verify");
	ck_assert(json_is_true(json_object_get(r.json, "ok")));
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);

	/* Stopped, the same restore goes through and the later team is gone. */
	ck_assert_int_eq(run("restore", "--db", h.db, file, NULL), 0);
	h_restart(&h);
	r = h_get(&h, h.admin, "/v1/teams/after");
	ck_assert_int_eq(r.status, 404);
	hresp_free(&r);
	r = h_get(&h, h.admin, "/v1/teams/lg-ai");
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

START_TEST(backup_refuses_an_existing_file)
{
	static const char keep[] = "an operator's file, not to be overwritten\n";
	struct harness h;
	char file[400], *got;
	size_t len;

	h_init(&h, NULL);
	h_start(&h);
	seed(&h);
	snprintf(file, sizeof(file), "%s/existing", h.dir);
	write_file(file, keep, sizeof(keep) - 1);
	ck_assert_int_eq(run("backup", "--db", h.db, file, NULL), 1);
	got = read_file(file, &len);
	ck_assert_uint_eq(len, sizeof(keep) - 1);
	ck_assert(memcmp(got, keep, len) == 0);
	free(got);
	/* An empty file is a file too. */
	write_file(file, "", 0);
	ck_assert_int_eq(run("backup", "--db", h.db, file, NULL), 1);
	got = read_file(file, &len);
	ck_assert_uint_eq(len, 0);
	free(got);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

START_TEST(restore_refuses_a_corrupt_file)
{
	struct harness h;
	char file[400], bad[400], fresh[400], *data;
	size_t len;
	sqlite3 *db;

	h_init(&h, NULL);
	h_start(&h);
	seed(&h);
	snprintf(file, sizeof(file), "%s/backup.db", h.dir);
	ck_assert_int_eq(run("backup", "--db", h.db, file, NULL), 0);
	ck_assert_int_eq(h_stop(&h), 0);
	data = read_file(file, &len);
	ck_assert_uint_gt(len, 8192);
	snprintf(bad, sizeof(bad), "%s/bad.db", h.dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", h.dir);

	/* Not a database at all. */
	write_file(bad, "this is not an SQLite database, whatever its name says\n", 55);
	ck_assert_int_eq(run("restore", "--db", fresh, bad, NULL), 1);
	ck_assert(!exists(fresh));

	/* A backup cut short. */
	write_file(bad, data, len / 2);
	ck_assert_int_eq(run("restore", "--db", fresh, bad, NULL), 1);
	ck_assert(!exists(fresh));

	/* A backup whose pages after the first were overwritten. */
	memset(data + 4096, 0xa5, len - 4096);
	write_file(bad, data, len);
	ck_assert_int_eq(run("restore", "--db", fresh, bad, NULL), 1);
	ck_assert(!exists(fresh));

	/* An intact SQLite database that is not grantd's. */
	unlink(bad);
	ck_assert_int_eq(sqlite3_open(bad, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t (x); INSERT INTO t VALUES (1);", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(run("restore", "--db", fresh, bad, NULL), 1);
	ck_assert(!exists(fresh));

	/* A file that is not there. */
	unlink(bad);
	ck_assert_int_ne(run("restore", "--db", fresh, bad, NULL), 0);
	ck_assert(!exists(fresh));

	/* The intact backup still restores into the same fresh path. */
	ck_assert_int_eq(run("restore", "--db", fresh, file, NULL), 0);
	ck_assert_int_eq(run("audit", "verify", "--db", fresh, NULL), 0);
	ck_assert_int_eq(run("ledger", "verify", "--db", fresh, NULL), 0);
	free(data);
	h_cleanup(&h);
}
END_TEST

/*
 * Ways to tamper with a backup, each applied to a fresh copy of an intact
 * one.  keep: a trigger dropped to let the change through and then put back
 * word for word, so that only the audit or ledger check can see it.  why:
 * what the refusal must name.
 */
static const struct tamper {
	const char *what, *sql, *keep, *why;
} tampers[] = {
	{ "an audit entry changed", "DROP TRIGGER audit_no_update; UPDATE audit SET "
	    "actor_name = 'someone else' WHERE seq = 2;", "audit_no_update", "audit trail" },
	{ "an audit entry removed", "DROP TRIGGER audit_no_delete; DELETE FROM audit "
	    "WHERE seq = 3;", "audit_no_delete", "audit trail" },
	{ "a voucher's budget raised", "UPDATE ledger_accounts SET budget = budget + 5000000 "
	    "WHERE type = 'voucher';", NULL, "ledger" },
	{ "a settlement's amount changed", "DROP TRIGGER ledger_transfers_no_update; UPDATE "
	    "ledger_transfers SET amount = amount + 1 WHERE kind = 'settle';",
	    "ledger_transfers_no_update", "ledger" },
	{ "an immutability trigger dropped", "DROP TRIGGER ledger_transfers_no_update;", NULL,
	    "ledger_transfers_no_update" },
	{ "an immutability trigger made harmless", "DROP TRIGGER audit_no_delete; CREATE "
	    "TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT 1; END;", NULL,
	    "audit_no_delete" },
	{ "an object the migrations do not make", "CREATE TRIGGER audit_copy AFTER INSERT ON "
	    "audit BEGIN SELECT 1; END;", NULL, "audit_copy" },
	{ "a schema version below its schema", "PRAGMA user_version = 1;", NULL, "migrations" },
};

/* Copies src to dst and applies t to the copy. */
static void
tampered_copy(const char *src, const char *dst, const struct tamper *t)
{
	char keep[1024] = "", *data;
	sqlite3_stmt *st;
	size_t len;
	sqlite3 *db;

	data = read_file(src, &len);
	unlink(dst);
	write_file(dst, data, len);
	free(data);
	ck_assert_int_eq(sqlite3_open(dst, &db), SQLITE_OK);
	if (t->keep) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT sql FROM sqlite_master WHERE "
		    "name = ?", -1, &st, NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, t->keep, -1, SQLITE_STATIC);
		ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
		snprintf(keep, sizeof(keep), "%s", (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	ck_assert_msg(sqlite3_exec(db, t->sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", t->what,
	    sqlite3_errmsg(db));
	if (t->keep)
		ck_assert_int_eq(sqlite3_exec(db, keep, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_close(db), SQLITE_OK);
}

START_TEST(restore_refuses_tampered_backups)
{
	const char *argv[] = { h_bin(), "restore", "--db", NULL, NULL, NULL };
	char file[400], bad[400], fresh[400], *before, *after, *err;
	size_t n0, n1;
	struct harness h;
	int rc;

	h_init(&h, NULL);
	h_start(&h);
	seed(&h);
	snprintf(file, sizeof(file), "%s/backup.db", h.dir);
	snprintf(bad, sizeof(bad), "%s/bad.db", h.dir);
	snprintf(fresh, sizeof(fresh), "%s/fresh.db", h.dir);
	ck_assert_int_eq(run("backup", "--db", h.db, file, NULL), 0);
	must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"after\",\"name\":\"After\","
	    "\"lead_org\":\"Org\"}"), 201, "team after the backup");
	ck_assert_int_eq(h_stop(&h), 0);
	before = read_file(h.db, &n0);

	for (size_t i = 0; i < sizeof(tampers) / sizeof(tampers[0]); i++) {
		const struct tamper *t = &tampers[i];

		tampered_copy(file, bad, t);
		argv[3] = h.db;
		argv[4] = bad;
		rc = h_run_err(argv, &err);
		ck_assert_msg(rc == 1, "%s: restore exited %d: %s", t->what, rc, err);
		ck_assert_msg(strstr(err, "refused") && strstr(err, t->why), "%s: the refusal "
		    "does not say '%s': %s", t->what, t->why, err);
		fprintf(stderr, "test_backup: %s: %s", t->what, err);
		free(err);
		/* The current database is untouched, and a fresh path is not created. */
		after = read_file(h.db, &n1);
		ck_assert_msg(n0 == n1 && memcmp(before, after, n0) == 0, "%s: the database "
		    "changed under a refused restore", t->what);
		free(after);
		argv[3] = fresh;
		rc = h_run_err(argv, &err);
		ck_assert_msg(rc == 1, "%s: restore to a fresh path exited %d: %s", t->what, rc,
		    err);
		free(err);
		ck_assert(!exists(fresh));
	}

	/* The intact backup restores, and the team made after it is gone. */
	ck_assert_int_eq(run("restore", "--db", h.db, file, NULL), 0);
	ck_assert_int_eq(run("audit", "verify", "--db", h.db, NULL), 0);
	ck_assert_int_eq(run("ledger", "verify", "--db", h.db, NULL), 0);
	h_restart(&h);
	{
		struct hresp r = h_get(&h, h.admin, "/v1/teams/after");

		ck_assert_int_eq(r.status, 404);
		hresp_free(&r);
	}
	ck_assert_int_eq(h_stop(&h), 0);
	free(before);
	h_cleanup(&h);
}
END_TEST

/* A symbolic link at the backup's path is never written through, dangling or not. */
START_TEST(backup_refuses_a_symlink)
{
	static const char keep[] = "an operator's file, not to be overwritten\n";
	char link[400], target[400], plain[400], *got;
	struct stat sb;
	struct harness h;
	size_t len;

	h_init(&h, NULL);
	h_start(&h);
	seed(&h);
	snprintf(link, sizeof(link), "%s/link.db", h.dir);
	snprintf(target, sizeof(target), "%s/target.db", h.dir);
	snprintf(plain, sizeof(plain), "%s/plain.db", h.dir);

	/* Dangling: the backup would create the target, wherever it points. */
	ck_assert_int_eq(symlink(target, link), 0);
	ck_assert_int_eq(run("backup", "--db", h.db, link, NULL), 1);
	ck_assert_msg(!exists(target), "the backup wrote through a dangling symbolic link");
	ck_assert_int_eq(lstat(link, &sb), 0);
	ck_assert(S_ISLNK(sb.st_mode));

	/* To an existing file. */
	write_file(target, keep, sizeof(keep) - 1);
	ck_assert_int_eq(run("backup", "--db", h.db, link, NULL), 1);
	got = read_file(target, &len);
	ck_assert_uint_eq(len, sizeof(keep) - 1);
	ck_assert(memcmp(got, keep, len) == 0);
	free(got);

	/* A plain new path still works, readable by its owner only. */
	ck_assert_int_eq(run("backup", "--db", h.db, plain, NULL), 0);
	ck_assert_int_eq(lstat(plain, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_msg((sb.st_mode & 077) == 0, "the backup is mode %o", sb.st_mode & 0777);
	ck_assert_int_eq(run("audit", "verify", "--db", plain, NULL), 0);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("backup");
	TCase *tc = tcase_create("backup");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, backup_under_load_restores_intact);
	tcase_add_test(tc, restore_refuses_while_the_daemon_runs);
	tcase_add_test(tc, backup_refuses_an_existing_file);
	tcase_add_test(tc, restore_refuses_a_corrupt_file);
	tcase_add_test(tc, restore_refuses_tampered_backups);
	tcase_add_test(tc, backup_refuses_a_symlink);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
