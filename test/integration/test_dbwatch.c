/* test_dbwatch.c: the database file deleted, replaced or made unwritable under a running grantd. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
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

/*
 * The promise: grantd acknowledges no change that is not on the file a
 * restart would open.  Once its database file is gone, replaced by another
 * file or made unwritable, every change is 503 `unavailable` and health is
 * 503 `degraded` with the reason; when the same file is back, changes are
 * taken again.  A start that would create an empty database where the old
 * one left its files refuses without --init.
 */

#define NOW "2026-03-02T00:00:00Z"

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
must(struct hresp r, long status, const char *code, const char *what)
{
	expect(&r, status, code, what);
	hresp_free(&r);
}

static bool
exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static struct hresp
team(struct harness *h, const char *id)
{
	return h_post(h, h->admin, "/v1/teams", "{\"id\":\"%s\",\"name\":\"T\",\"lead_org\":\"O\"}",
	    id);
}

/* Health is 200 ok, or 503 degraded with a reason that contains want. */
static void
health(struct harness *h, const char *want)
{
	struct hresp r = h_get(h, NULL, "/v1/health");
	const char *status = json_string_value(json_object_get(r.json, "status"));
	const char *reason = json_string_value(json_object_get(r.json, "reason"));

	if (want == NULL) {
		ck_assert_msg(r.status == 200 && status && strcmp(status, "ok") == 0,
		    "health: %ld %s, want 200 ok", r.status, r.body);
		ck_assert_ptr_null(reason);
	} else {
		ck_assert_msg(r.status == 503 && status && strcmp(status, "degraded") == 0,
		    "health: %ld %s, want 503 degraded", r.status, r.body);
		ck_assert_msg(reason && strstr(reason, want) != NULL, "health's reason '%s' does "
		    "not say '%s'", reason ? reason : "(none)", want);
	}
	hresp_free(&r);
}

static int64_t
db_value(const char *path, const char *sql)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int64_t v = -1;

	ck_assert_int_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *p;
	long n;

	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	ck_assert_ptr_nonnull(p = malloc((size_t)n + 1));
	ck_assert_int_eq(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	return p;
}

/*
 * Runs grantd with argv (argv[0] is set to the binary) and expects it to
 * refuse: a non-zero exit within 5 s and no "listening on".  Returns what
 * it said on stderr (malloc'd).
 */
static char *
refused(struct harness *h, const char **argv)
{
	char out[400], err[400], *o, *e;
	int st = 0, waited;
	pid_t pid;

	snprintf(out, sizeof(out), "%s/refused.out", h->dir);
	snprintf(err, sizeof(err), "%s/refused.err", h->dir);
	argv[0] = h_bin();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (waited = 0; waitpid(pid, &st, WNOHANG) == 0; waited += 20) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		if (waited >= 5000) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			o = slurp(out);
			ck_abort_msg("grantd %s did not refuse; it said '%s'", argv[1], o);
		}
		nanosleep(&ts, NULL);
	}
	o = slurp(out);
	e = slurp(err);
	unlink(out);
	unlink(err);
	ck_assert_msg(strstr(o, "listening on") == NULL, "grantd started: %s", o);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0 && WEXITSTATUS(st) != 127,
	    "grantd %s exited %d (stderr: %s)", argv[1], st, e);
	free(o);
	return e;
}

/* Starts grantd with argv (argv[0] is set to the binary) as h's daemon; h_stop stops it. */
static void
started(struct harness *h, const char **argv)
{
	char line[256];
	size_t len = 0;
	int p[2];

	argv[0] = h_bin();
	ck_assert_int_eq(pipe(p), 0);
	h->pid = fork();
	ck_assert_int_ge(h->pid, 0);
	if (h->pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	h->out_fd = p[0];
	while (len < sizeof(line) - 1 && read(p[0], line + len, 1) == 1)
		if (line[len++] == '\n')
			break;
	line[len] = '\0';
	ck_assert_msg(strncmp(line, "listening on ", 13) == 0, "grantd said: '%s'", line);
	line[strcspn(line, "\n")] = '\0';
	snprintf(h->base, sizeof(h->base), "http://%.56s", line + 13);
}

/* A new admin token, made offline; extra is "--init" or NULL.  0 or grantd's exit status. */
static int
token_create(struct harness *h, const char *extra)
{
	const char *argv[] = { h_bin(), "token", "create", "--db", h->db, "--role", "admin",
		"--name", "again", "--clock-file", h->clock, extra, NULL };
	char *out = NULL;
	int rc = h_run(argv, &out);

	if (rc == 0) {
		out[strcspn(out, "\n")] = '\0';
		snprintf(h->admin, sizeof(h->admin), "%s", out);
	}
	free(out);
	return rc;
}

/* Whether h's directory holds a file whose name starts with prefix. */
static bool
has_file(struct harness *h, const char *prefix)
{
	DIR *d = opendir(h->dir);
	struct dirent *e;
	bool found = false;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			found = true;
	closedir(d);
	return found;
}

START_TEST(deleted_database)
{
	const char *daemon[] = { NULL, "-c", NULL, "--clock-file", NULL, NULL, NULL };
	struct harness h;
	struct hresp r;
	char *err;

	h_init(&h, NULL);
	h_clock(&h, NOW);
	h_start(&h);
	daemon[2] = h.conf;
	daemon[4] = h.clock;
	must(team(&h, "alpha"), 201, NULL, "team before");
	health(&h, NULL);

	ck_assert_int_eq(unlink(h.db), 0);
	/* The very next change is refused: the check runs before each COMMIT. */
	must(team(&h, "beta"), 503, "unavailable", "team after the delete");
	must(h_post(&h, h.admin, "/v1/pools", "{\"id\":\"p\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":8}"), 503, "unavailable", "pool after the delete");
	health(&h, "gone");
	health(&h, h.db);
	/* Reads go on from the file grantd has open: the last committed state. */
	r = h_get(&h, h.admin, "/v1/teams/alpha");
	expect(&r, 200, NULL, "read after the delete");
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert(!exists(h.db));

	/* The next start, and an offline token create, refuse to make an empty database. */
	err = refused(&h, daemon);
	ck_assert_msg(strstr(err, h.db) && strstr(err, "--init"), "the refusal says: %s", err);
	free(err);
	ck_assert(!exists(h.db));
	ck_assert_int_eq(token_create(&h, NULL), 1);
	ck_assert(!exists(h.db));

	/* --init makes a new, empty database, once. */
	ck_assert_int_eq(token_create(&h, "--init"), 0);
	h_restart(&h);
	health(&h, NULL);
	r = h_get(&h, h.admin, "/v1/teams/alpha");
	expect(&r, 404, NULL, "alpha in the new database");
	hresp_free(&r);
	must(team(&h, "gamma"), 201, NULL, "team in the new database");
	ck_assert_int_eq(h_stop(&h), 0);
	daemon[5] = "--init";
	err = refused(&h, daemon);
	ck_assert_msg(strstr(err, "exists"), "the refusal of --init says: %s", err);
	free(err);
	ck_assert_int_eq(token_create(&h, "--init"), 1);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM teams WHERE id = 'gamma'"), 1);
	h_cleanup(&h);
}
END_TEST

START_TEST(replaced_database_and_back)
{
	const char *backup[] = { h_bin(), "backup", "--db", NULL, NULL, NULL };
	char other[400], saved[400];
	struct harness h;

	h_init(&h, NULL);
	h_clock(&h, NOW);
	h_start(&h);
	must(team(&h, "alpha"), 201, NULL, "team before");
	snprintf(other, sizeof(other), "%s/other.db", h.dir);
	snprintf(saved, sizeof(saved), "%s/saved.db", h.dir);
	backup[3] = h.db;
	backup[4] = other;
	ck_assert_int_eq(h_run(backup, NULL), 0);

	/* Another database, grantd's own copy even, renamed over the path. */
	ck_assert_int_eq(link(h.db, saved), 0);
	ck_assert_int_eq(rename(other, h.db), 0);
	must(team(&h, "beta"), 503, "unavailable", "team after the swap");
	health(&h, "replaced");

	/* The same file back under its name: accepted again. */
	ck_assert_int_eq(rename(saved, h.db), 0);
	health(&h, NULL);
	must(team(&h, "gamma"), 201, NULL, "team after the file came back");
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM teams WHERE id IN ('alpha', "
	    "'gamma')"), 2);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM teams WHERE id = 'beta'"), 0);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM audit WHERE target = 'team/beta'"),
	    0);
	h_cleanup(&h);
}
END_TEST

START_TEST(unwritable_database)
{
	struct harness h;

	h_init(&h, NULL);
	h_clock(&h, NOW);
	h_start(&h);
	must(team(&h, "alpha"), 201, NULL, "team before");
	/* No write bit left: read-only for root too (grantd would refuse it at start). */
	ck_assert_int_eq(chmod(h.db, 0444), 0);
	must(team(&h, "beta"), 503, "unavailable", "team on a read-only file");
	health(&h, "not writable");
	ck_assert_int_eq(chmod(h.db, 0644), 0);
	health(&h, NULL);
	must(team(&h, "gamma"), 201, NULL, "team once writable again");
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert_int_eq(db_value(h.db, "SELECT count(*) FROM teams WHERE id = 'beta'"), 0);
	h_cleanup(&h);
}
END_TEST

START_TEST(deleted_wal)
{
	struct harness h;
	char wal[400];

	h_init(&h, NULL);
	h_clock(&h, NOW);
	h_start(&h);
	must(team(&h, "alpha"), 201, NULL, "team before");
	snprintf(wal, sizeof(wal), "%s-wal", h.db);
	/* Commits would go to a log no restart reads. */
	ck_assert_int_eq(unlink(wal), 0);
	must(team(&h, "beta"), 503, "unavailable", "team after the -wal was deleted");
	health(&h, "-wal");
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * A first start in an empty place creates the database without --init (the
 * contract); a -wal without its database refuses, and --init moves it aside
 * rather than let SQLite replay it into the new file.
 */
START_TEST(first_start_and_leftovers)
{
	const char *daemon[] = { NULL, "-c", NULL, "--clock-file", NULL, NULL, NULL };
	char wal[400];
	struct harness h;
	char *err;
	int fd;

	h_init(&h, NULL);
	h_clock(&h, NOW);
	daemon[2] = h.conf;
	daemon[4] = h.clock;
	started(&h, daemon);
	health(&h, NULL);
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert(exists(h.db));
	h_cleanup(&h);

	h_init(&h, NULL);
	daemon[2] = h.conf;
	daemon[4] = h.clock;
	snprintf(wal, sizeof(wal), "%s-wal", h.db);
	ck_assert_int_ge(fd = open(wal, O_WRONLY | O_CREAT, 0600), 0);
	ck_assert_int_eq(write(fd, "not yours", 9), 9);
	close(fd);
	err = refused(&h, daemon);
	ck_assert_msg(strstr(err, "-wal") && strstr(err, "--init"), "the refusal says: %s", err);
	free(err);
	ck_assert(!exists(h.db));
	daemon[5] = "--init";
	started(&h, daemon);
	health(&h, NULL);
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert(exists(h.db));
	ck_assert(has_file(&h, "grantd.db-wal.orphan-"));
	h_cleanup(&h);
}
END_TEST

/*
 * The database and its lock deleted while grantd is stopped, the rest of
 * what grantd wrote beside it kept (the signing key, its public ring, the
 * checkpoints): the next start and an offline token create refuse, saying
 * what they found, rather than begin an empty database that health would
 * call ok.  --init begins one, keeping the key and setting the old
 * checkpoints aside.  A key made before the first start, as the Debian
 * package makes it at install (grantd key create), begins the database
 * with it, so that first start needs no --init; files that are not
 * grantd's (h's configuration and clock) never count.
 */
START_TEST(leftovers_beside_the_database)
{
	const char *daemon[] = { NULL, "-c", NULL, "--clock-file", NULL, NULL, NULL };
	const char *keygen[] = { NULL, "key", "create", "--db", NULL, "--clock-file", NULL, NULL };
	char path[400], *key, *again, *err;
	struct harness h;
	struct hresp r;

	h_init(&h, NULL);
	h_clock(&h, NOW);
	h_start(&h);
	daemon[2] = h.conf;
	daemon[4] = h.clock;
	must(team(&h, "alpha"), 201, NULL, "team before");
	ck_assert_int_eq(h_stop(&h), 0);
	snprintf(path, sizeof(path), "%s/grantd-signing.key", h.dir);
	key = slurp(path);
	ck_assert(has_file(&h, "grantd-signing.pub"));
	ck_assert(has_file(&h, "grantd-checkpoints.jsonl"));
	ck_assert_int_eq(unlink(h.db), 0);
	snprintf(path, sizeof(path), "%s.lock", h.db);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert(!has_file(&h, "grantd.db"));

	err = refused(&h, daemon);
	ck_assert_msg(strstr(err, h.db) && strstr(err, "grantd-signing.key") &&
	    strstr(err, "grantd-checkpoints.jsonl") && strstr(err, "--init") &&
	    strstr(err, "restore"), "the refusal says: %s", err);
	ck_assert_msg(strstr(err, "grantd.conf") == NULL && strstr(err, "clock") == NULL,
	    "files not grantd's were counted: %s", err);
	free(err);
	ck_assert(!exists(h.db));
	ck_assert_int_eq(token_create(&h, NULL), 1);
	ck_assert(!exists(h.db));

	/* --init: a new, empty database; the key kept, the old checkpoints aside. */
	daemon[5] = "--init";
	started(&h, daemon);
	daemon[5] = NULL;
	health(&h, NULL);
	ck_assert_int_eq(token_create(&h, NULL), 0);
	r = h_get(&h, h.admin, "/v1/teams/alpha");
	expect(&r, 404, NULL, "alpha in the new database");
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert(has_file(&h, "grantd-checkpoints.jsonl.orphan-"));
	snprintf(path, sizeof(path), "%s/grantd-signing.key", h.dir);
	again = slurp(path);
	ck_assert_str_eq(again, key);
	free(again);
	free(key);
	h_restart(&h);
	health(&h, NULL);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);

	/* The package's order: the key at install, then the first start, without --init. */
	h_init(&h, NULL);
	h_clock(&h, NOW);
	daemon[2] = h.conf;
	daemon[4] = h.clock;
	keygen[0] = h_bin();
	keygen[4] = h.db;
	keygen[6] = h.clock;
	ck_assert_int_eq(h_run(keygen, NULL), 0);
	snprintf(path, sizeof(path), "%s/grantd-signing.key", h.dir);
	key = slurp(path);
	started(&h, daemon);
	health(&h, NULL);
	ck_assert_int_eq(h_stop(&h), 0);
	again = slurp(path);
	ck_assert_str_eq(again, key);
	free(again);
	free(key);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("dbwatch");
	TCase *tc = tcase_create("dbwatch");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, deleted_database);
	tcase_add_test(tc, replaced_database_and_back);
	tcase_add_test(tc, unwritable_database);
	tcase_add_test(tc, deleted_wal);
	tcase_add_test(tc, first_start_and_leftovers);
	tcase_add_test(tc, leftovers_beside_the_database);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
