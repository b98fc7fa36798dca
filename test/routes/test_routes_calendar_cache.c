/* test_routes_calendar_cache.c: the kept calendar against a rebuild from the store, after seeded random writes (issue 20). */
#include <check.h>
#include <sqlite3.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "calendar.h"
#include "db.h"
#include "fixture.h"

/*
 * The calendar kept in memory (calendar_attach) follows the writer's
 * changes to grants row by row and rebuilds after other changes.  The
 * promise under test: what calendar_load gives, and the kept grant index,
 * are always what a rebuild from the store gives, on the writer and on the
 * reader, after any sequence of enrollments (placed, refused, dry runs),
 * outages, releases, withdrawals, batches that fail at COMMIT or are
 * aborted after the calendar was read inside them, grants changed and then
 * undone by ROLLBACK TO, and restarts.
 *
 * GRANTD_SEED picks the seed (a fixed default otherwise); a failure names
 * the seed and the step.
 */

static struct fx F;
static uint64_t SEED;
static int STEP;

#define NPOOLS 5
#define NTEAMS 40
#define STEPS 160
#define DAY INT64_C(86400)

/*
 * A VFS over the default one whose next xSync fails when armed: a COMMIT
 * that fails after SQLite's commit hook has run (the disk refuses the
 * fsync), the one failure a deferred constraint cannot make.
 */
struct ffile {
	sqlite3_file base;
	sqlite3_file *real;	/* just after this struct, szOsFile of the real VFS */
};

static sqlite3_vfs FVFS, *RVFS;
static sqlite3_io_methods FMETHODS;
static int FAIL_SYNC;

#define REAL(f) (((struct ffile *)(f))->real)

static int f_close(sqlite3_file *f) { return REAL(f)->pMethods->xClose(REAL(f)); }
static int f_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o)
{ return REAL(f)->pMethods->xRead(REAL(f), b, n, o); }
static int f_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o)
{ return REAL(f)->pMethods->xWrite(REAL(f), b, n, o); }
static int f_truncate(sqlite3_file *f, sqlite3_int64 n)
{ return REAL(f)->pMethods->xTruncate(REAL(f), n); }
static int f_size(sqlite3_file *f, sqlite3_int64 *n)
{ return REAL(f)->pMethods->xFileSize(REAL(f), n); }
static int f_lock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xLock(REAL(f), l); }
static int f_unlock(sqlite3_file *f, int l) { return REAL(f)->pMethods->xUnlock(REAL(f), l); }
static int f_reserved(sqlite3_file *f, int *r)
{ return REAL(f)->pMethods->xCheckReservedLock(REAL(f), r); }
static int f_fcntl(sqlite3_file *f, int op, void *a)
{ return REAL(f)->pMethods->xFileControl(REAL(f), op, a); }
static int f_sector(sqlite3_file *f) { return REAL(f)->pMethods->xSectorSize(REAL(f)); }
static int f_devchar(sqlite3_file *f)
{ return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f)); }
static int f_shmmap(sqlite3_file *f, int i, int sz, int ext, void volatile **p)
{ return REAL(f)->pMethods->xShmMap(REAL(f), i, sz, ext, p); }
static int f_shmlock(sqlite3_file *f, int o, int n, int fl)
{ return REAL(f)->pMethods->xShmLock(REAL(f), o, n, fl); }
static void f_shmbarrier(sqlite3_file *f) { REAL(f)->pMethods->xShmBarrier(REAL(f)); }
static int f_shmunmap(sqlite3_file *f, int d) { return REAL(f)->pMethods->xShmUnmap(REAL(f), d); }

static int
f_sync(sqlite3_file *f, int flags)
{
	if (FAIL_SYNC) {
		FAIL_SYNC = 0;
		return SQLITE_IOERR_FSYNC;
	}
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
f_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *out)
{
	struct ffile *x = (struct ffile *)f;
	int rc;

	(void)v;
	x->real = (sqlite3_file *)(x + 1);
	if ((rc = RVFS->xOpen(RVFS, name, x->real, flags, out)) != SQLITE_OK)
		return rc;
	x->base.pMethods = &FMETHODS;
	return SQLITE_OK;
}

/* Installs the VFS as the default, for the connections fx_open makes next. */
static void
fvfs_install(void)
{
	if (RVFS != NULL)
		return;
	RVFS = sqlite3_vfs_find(NULL);
	FVFS = *RVFS;
	FVFS.iVersion = 1;	/* no xSetSystemCall & co.: nothing here needs them */
	FVFS.zName = "failsync";
	FVFS.szOsFile = (int)sizeof(struct ffile) + RVFS->szOsFile;
	FVFS.xOpen = f_open;
	FMETHODS = (sqlite3_io_methods){ 2, f_close, f_read, f_write, f_truncate, f_sync,
		f_size, f_lock, f_unlock, f_reserved, f_fcntl, f_sector, f_devchar, f_shmmap,
		f_shmlock, f_shmbarrier, f_shmunmap, NULL, NULL };
	ck_assert_int_eq(sqlite3_vfs_register(&FVFS, 1), SQLITE_OK);
}

static void
setup(void)
{
	char body[512];

	fvfs_install();
	fx_open(&F);
	/* Every placement also checked against one that ignores the pools' hints. */
	calendar_set_checking(F.app.w, true);
	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"sovereign-ai\",\"name\":\"Sovereign AI\"}",
	    201);
	snprintf(body, sizeof(body), "{\"id\":\"stage-2\",\"name\":\"Stage 2\",\"starts_on\":"
	    "\"2026-03-01\",\"period_days\":30,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":64,\"voucher_krw\":1000}}");
	fx_must(&F, "POST", "/v1/programs/sovereign-ai/phases", body, 201);
	for (int p = 0; p < NPOOLS; p++) {
		snprintf(body, sizeof(body), "{\"id\":\"p%d\",\"provider\":\"C%d\",\"site\":\"S%d\","
		    "\"card_model\":\"B200\",\"cards\":%d}", p, p, p, 32 + 16 * p);
		fx_must(&F, "POST", "/v1/pools", body, 201);
	}
	for (int t = 0; t < NTEAMS; t++) {
		snprintf(body, sizeof(body), "{\"id\":\"t%d\",\"name\":\"Team %d\",\"lead_org\":"
		    "\"Org %d\"}", t, t, t);
		fx_must(&F, "POST", "/v1/teams", body, 201);
	}
}

static void
teardown(void)
{
	fx_close(&F);
}

/* Both connections' calendars equal a rebuild. */
static void
check_both(const char *what)
{
	int w = calendar_check(F.app.w), r = calendar_check(F.app.r);

	ck_assert_msg(w == 0 && r == 0, "seed %llu step %d (%s): writer %d, reader %d",
	    (unsigned long long)SEED, STEP, what, w, r);
}


/* A random enrollment body (sometimes a dry run, sometimes with pools named). */
static void
enroll_body(uint64_t *rs, char *body, size_t len, bool dry)
{
	char d[CIVIL_DATE_LEN];
	size_t o;

	civil_format_date(civil_local_day(FX_NOW, 0) + (int64_t)brute_range(rs, 0, 60), d);
	o = (size_t)snprintf(body, len, "{\"team\":\"t%d\",\"not_before\":\"%s\",\"override\":"
	    "{\"reason\":\"test\"}%s", (int)brute_range(rs, 0, NTEAMS - 1), d,
	    dry ? ",\"dry_run\":true" : "");
	if (brute_range(rs, 0, 2) == 0) {
		int first = (int)brute_range(rs, 0, NPOOLS - 1), n = (int)brute_range(rs, 1, NPOOLS);

		o += (size_t)snprintf(body + o, len - o, ",\"pools\":[");
		for (int k = 0; k < n; k++)
			o += (size_t)snprintf(body + o, len - o, "%s\"p%d\"", k ? "," : "",
			    (first + k) % NPOOLS);
		o += (size_t)snprintf(body + o, len - o, "]");
	}
	snprintf(body + o, len - o, "}");
}

static void
outage_body(uint64_t *rs, char *body, size_t len, int *pool)
{
	char from[CIVIL_INSTANT_LEN], to[CIVIL_INSTANT_LEN];
	int64_t a = FX_NOW + (int64_t)brute_range(rs, 0, 90) * DAY / 2;

	*pool = (int)brute_range(rs, 0, NPOOLS - 1);
	civil_format_instant(a, from);
	civil_format_instant(a + (int64_t)brute_range(rs, 1, 20) * DAY / 4, to);
	snprintf(body, len, "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":%d,\"reason\":\"test\"}", from,
	    to, (int)brute_range(rs, 1, 16));
}

/* A grant id from the store, or 0. */
static int64_t
some_grant(uint64_t *rs)
{
	int64_t n = fx_qint(&F, "SELECT count(*) FROM grants WHERE cancelled = 0", NULL, NULL);
	char sql[160];

	if (n <= 0)
		return 0;
	snprintf(sql, sizeof(sql), "SELECT id FROM grants WHERE cancelled = 0 ORDER BY id "
	    "LIMIT 1 OFFSET %d", (int)brute_range(rs, 0, n - 1));
	return fx_qint(&F, sql, NULL, NULL);
}

START_TEST(random_writes_against_rebuild)
{
	uint64_t rs;
	char body[1024], path[160];
	int placed = 0, failed_batches = 0, failed_syncs = 0, undone = 0, released = 0, restarts = 0;
	struct calendar_stats cs;
	uint64_t rebuilds = 0, rows = 0, apart = 0;

	SEED = brute_seed();
	rs = SEED;
	check_both("start");
	for (STEP = 0; STEP < STEPS; STEP++) {
		int op = (int)brute_range(&rs, 0, 11), pool, st = 0;

		/* Restarts are rarer than the other steps: one in 30. */
		if (op == 11 && brute_range(&rs, 0, 2) != 0)
			op = (int)brute_range(&rs, 0, 2);
		struct response r;

		switch (op) {
		case 0: case 1: case 2:	/* an enrollment, placed or refused */
			enroll_body(&rs, body, sizeof(body), false);
			r = fx_req(&F, "POST", "/v1/phases/stage-2/enrollments", F.admin, body);
			st = r.status;
			placed += st == 201;
			response_clear(&r);
			break;
		case 3:			/* a what-if: reads, writes nothing */
			enroll_body(&rs, body, sizeof(body), true);
			r = fx_req(&F, "POST", "/v1/phases/stage-2/enrollments", F.admin, body);
			st = r.status;
			response_clear(&r);
			break;
		case 4:			/* an outage */
			outage_body(&rs, body, sizeof(body), &pool);
			snprintf(path, sizeof(path), "/v1/pools/p%d/outages", pool);
			r = fx_req(&F, "POST", path, F.admin, body);
			st = r.status;
			response_clear(&r);
			break;
		case 5: {		/* a grant released */
			int64_t g = some_grant(&rs);

			if (g == 0)
				break;
			char at[CIVIL_INSTANT_LEN], q[96];
			int64_t a;

			snprintf(q, sizeof(q), "SELECT start FROM grants WHERE id = %" PRId64, g);
			a = fx_qint(&F, q, NULL, NULL);

			/* At its start (cancelled) or a day later (cut short). */
			civil_format_instant(a + (int64_t)brute_range(&rs, 0, 1) * DAY, at);
			snprintf(path, sizeof(path), "/v1/grants/gr_%" PRId64 "/release", g);
			snprintf(body, sizeof(body), "{\"at\":\"%s\",\"reason\":\"test\","
			    "\"override\":{\"reason\":\"test\"}}", at);
			r = fx_req(&F, "POST", path, F.admin, body);
			st = r.status;
			released += st == 200;
			response_clear(&r);
			break;
		}
		case 6:			/* a withdrawal */
			snprintf(path, sizeof(path), "/v1/phases/stage-2/enrollments/t%d/withdraw",
			    (int)brute_range(&rs, 0, NTEAMS - 1));
			r = fx_req(&F, "POST", path, F.admin, "{\"reason\":\"test\"}");
			st = r.status;
			response_clear(&r);
			break;
		case 7: case 8: {	/* a batch read inside, then failed at COMMIT or aborted */
			struct fx_rq in = { .method = "POST", .token = F.admin, .body = body };
			int state = 0;
			bool wait;

			if (brute_range(&rs, 0, 1)) {
				enroll_body(&rs, body, sizeof(body), false);
				in.path = "/v1/phases/stage-2/enrollments";
			} else {
				outage_body(&rs, body, sizeof(body), &pool);
				snprintf(path, sizeof(path), "/v1/pools/p%d/outages", pool);
				in.path = path;
			}
			wait = fx_dispatch(&F, &in, &r);
			if (wait)
				ck_assert_int_eq(commit_wait(&F.app, fx_on_commit, &state), 0);
			/* The batch's own change is seen inside it, and kept with it. */
			check_both("inside the batch");
			if (commit_pending(&F.app) && op == 8 && brute_range(&rs, 0, 1)) {
				/* The COMMIT fails after SQLite's commit hook: at the fsync. */
				FAIL_SYNC = 1;
				if (commit_flush(&F.app) != 0) {
					failed_syncs++;
					failed_batches++;
				}	/* else the batch wrote nothing: no fsync to fail */
				FAIL_SYNC = 0;
			} else if (commit_pending(&F.app) && op == 7) {
				fx_sql(&F, "PRAGMA defer_foreign_keys = ON");
				fx_sql(&F, "INSERT INTO team_memberships (team, org, given, role, lead) "
				    "VALUES ('ghost', 'ghost', 'o', 'r', 0)");
				ck_assert_int_ne(commit_flush(&F.app), 0);
				failed_batches++;
			} else if (commit_pending(&F.app)) {
				commit_abort(&F.app);
				failed_batches++;
			}
			response_clear(&r);
			break;
		}
		case 9:			/* a savepoint rolled back after the calendar read it */
			ck_assert_int_eq(commit_begin(&F.app), 0);
			ck_assert_int_eq(db_savepoint(F.app.w, "cc"), 0);
			outage_body(&rs, body, sizeof(body), &pool);
			snprintf(path, sizeof(path), "INSERT INTO outages (pool, from_t, to_t, cards, "
			    "reason, created_at) VALUES ('p%d', %" PRId64 ", %" PRId64 ", 3, 'x', 0)", pool,
			    FX_NOW + DAY, FX_NOW + 2 * DAY);
			if (sqlite3_exec(db_handle(F.app.w), path, NULL, NULL, NULL) == SQLITE_OK)
				check_both("inside the savepoint");
			ck_assert_int_eq(db_rollback_to(F.app.w, "cc"), 0);
			ck_assert_int_eq(db_release(F.app.w, "cc"), 0);
			check_both("after ROLLBACK TO");
			commit_abort(&F.app);
			undone++;
			break;
		case 10: {		/* grants changed, read, then undone by ROLLBACK TO */
			int64_t g = some_grant(&rs), h = some_grant(&rs);

			if (g == 0)
				break;
			ck_assert_int_eq(commit_begin(&F.app), 0);
			snprintf(path, sizeof(path), "UPDATE grants SET end = end + 86400 WHERE id = %"
			    PRId64, h);
			fx_sql(&F, path);
			check_both("a grant changed in the batch");
			ck_assert_int_eq(db_savepoint(F.app.w, "cc"), 0);
			snprintf(path, sizeof(path), "UPDATE grants SET cancelled = 1 WHERE id = %"
			    PRId64, g);
			fx_sql(&F, path);
			check_both("a grant cancelled in the savepoint");
			ck_assert_int_eq(db_rollback_to(F.app.w, "cc"), 0);
			ck_assert_int_eq(db_release(F.app.w, "cc"), 0);
			check_both("after ROLLBACK TO of a grant");
			if (brute_range(&rs, 0, 1))
				ck_assert_int_eq(commit_flush(&F.app), 0);
			else
				commit_abort(&F.app);
			undone++;
			break;
		}
		case 11:		/* a restart: the calendar loaded afresh from the store */
			calendar_stats(F.app.w, &cs);
			rebuilds += cs.rebuilds;
			rows += cs.rows;
			apart += cs.private;
			ck_assert_int_eq(calendar_attach(F.app.w, F.app.r), 0);
			calendar_set_checking(F.app.w, true);
			restarts++;
			break;
		}
		check_both("after the step");
	}
	calendar_stats(F.app.w, &cs);
	rebuilds += cs.rebuilds;
	rows += cs.rows;
	apart += cs.private;
	fprintf(stderr, "calendar_cache: seed %llu: %d placed, %d released, %d failed batches, "
	    "%d savepoints undone, %d restarts, %d failed fsyncs; %llu rebuilds, %llu rows read again, %llu "
	    "built apart, %zu grants kept\n", (unsigned long long)SEED, placed, released,
	    failed_batches, undone, restarts, failed_syncs, (unsigned long long)rebuilds,
	    (unsigned long long)rows, (unsigned long long)apart, cs.grants);
	ck_assert_msg(placed >= 10 && failed_batches >= 5 && released >= 1 && undone >= 5 &&
	    failed_syncs >= 2,
	    "seed %llu: too little exercised", (unsigned long long)SEED);
	/* Kept in line row by row, not rebuilt for every change. */
	ck_assert_msg(rows > 0, "seed %llu: no grant was read again", (unsigned long long)SEED);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("calendar_cache");
	TCase *tc = tcase_create("random");
	SRunner *sr;
	int nf;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, random_writes_against_rebuild);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
