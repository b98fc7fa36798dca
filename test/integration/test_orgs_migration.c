/* test_orgs_migration.c: a database made by release 011 migrates to organisations with nothing lost (issue 16). */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FIXTURE "test/fixtures/db-011.sql"
#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * The oracle: which spellings in the fixture are one organisation.  Each
 * spelling listed has a group label; a spelling not listed is plain ASCII
 * and is its own group up to ASCII case (so "Upstage" as a lead and as a
 * member are one).  Written out by hand from the fixture, not computed by
 * the code under test.
 */
static const struct {
	const char *given, *group;
} groups[] = {
	{ "Seoul National University", "snu-en" },
	{ "seoul  national university", "snu-en" },
	{ "Seoul\xc2\xa0National University", "snu-en" },
	{ "\xef\xbc\xb3\xef\xbc\xa5\xef\xbc\xaf\xef\xbc\xb5\xef\xbc\xac National University",
	    "snu-en" },
	{ "seoul national university ", "snu-en" },
	{ "SEOUL NATIONAL UNIVERSITY", "snu-en" },
	{ "\xec\x84\x9c\xec\x9a\xb8\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90", "snu-ko" },
	{ "\xe1\x84\x89\xe1\x85\xa5\xe1\x84\x8b\xe1\x85\xae\xe1\x86\xaf\xe1\x84\x83\xe1\x85\xa2"
	  "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xa8\xe1\x84\x80\xe1\x85\xad", "snu-ko" },
	{ "KAIST", "kaist-en" },
	{ "\xef\xbc\xab\xef\xbc\xa1\xef\xbc\xa9\xef\xbc\xb3\xef\xbc\xb4", "kaist-en" },
	{ "Kaist", "kaist-en" },
	{ "\xec\xb9\xb4\xec\x9d\xb4\xec\x8a\xa4\xed\x8a\xb8", "kaist-ko" },
	{ "\xe1\x84\x8f\xe1\x85\xa1\xe1\x84\x8b\xe1\x85\xb5\xe1\x84\x89\xe1\x85\xb3\xe1\x84\x90"
	  "\xe1\x85\xb3", "kaist-ko" },
	{ "\xed\x95\x9c\xea\xb5\xad\xea\xb3\xbc\xed\x95\x99\xea\xb8\xb0\xec\x88\xa0\xec\x9b\x90",
	    "kaist-ko2" },
	{ "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab\xe1\x84\x80\xe1\x85\xae\xe1\x86\xa8\xe1\x84\x80"
	  "\xe1\x85\xaa\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xa8\xe1\x84\x80\xe1\x85\xb5\xe1\x84\x89"
	  "\xe1\x85\xae\xe1\x86\xaf\xe1\x84\x8b\xe1\x85\xaf\xe1\x86\xab", "kaist-ko2" },
	{ "\xea\xb3\xa0\xeb\xa0\xa4\xeb\x8c\x80\xed\x95\x99\xea\xb5\x90", "korea-ko" },
};

/* Every place the release kept an organisation's name, and what migration made of it. */
struct use {
	char where[96];		/* "lead of lg-ai", "member 2 of lg-ai", "supplier kdata" */
	char given[256];
	char group[256];
	char org[64];		/* the organisation after the migration */
};

static struct use uses[128];
static size_t nuses;

static void
group_of(const char *given, char out[256])
{
	size_t i;

	for (i = 0; i < NELEMS(groups); i++) {
		if (strcmp(groups[i].given, given) == 0) {
			snprintf(out, 256, "%s", groups[i].group);
			return;
		}
	}
	for (i = 0; given[i] && i < 255; i++) {
		ck_assert_msg((unsigned char)given[i] < 0x80, "fixture spelling '%s' is not in "
		    "the oracle", given);
		out[i] = (char)(given[i] >= 'A' && given[i] <= 'Z' ? given[i] + 32 : given[i]);
	}
	out[i] = '\0';
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s (run from the source tree)", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int64_t
qint(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s", sql,
	    sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The places of names in the release's tables, read before the migration. */
static void
read_uses(sqlite3 *db)
{
	static const char *const sql[] = {
		"SELECT 'lead of ' || id, lead_org FROM teams ORDER BY id",
		"SELECT 'member ' || pos || ' of ' || team, org FROM team_members "
		"ORDER BY team, pos",
		"SELECT 'supplier ' || id, org FROM suppliers ORDER BY id",
	};
	sqlite3_stmt *st;

	nuses = 0;
	for (size_t i = 0; i < NELEMS(sql); i++) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, sql[i], -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct use *u = &uses[nuses++];

			ck_assert_uint_lt(nuses, NELEMS(uses));
			snprintf(u->where, sizeof(u->where), "%s", sqlite3_column_text(st, 0));
			snprintf(u->given, sizeof(u->given), "%s", sqlite3_column_text(st, 1));
			group_of(u->given, u->group);
		}
		sqlite3_finalize(st);
	}
}

/* What the API says each place's organisation is now. */
static void
read_orgs(struct harness *h)
{
	for (size_t i = 0; i < nuses; i++) {
		struct use *u = &uses[i];
		char team[64], path[128];
		int pos = -1;
		json_t *o, *m;

		if (sscanf(u->where, "lead of %63s", team) == 1) {
			snprintf(path, sizeof(path), "/v1/teams/%s", team);
			o = h_must(h_get(h, h->admin, path), 200, path);
			ck_assert_str_eq(h_str(o, "lead_org"), u->given);
			snprintf(u->org, sizeof(u->org), "%s", h_str(o, "lead_organisation"));
		} else if (sscanf(u->where, "member %d of %63s", &pos, team) == 2) {
			snprintf(path, sizeof(path), "/v1/teams/%s", team);
			o = h_must(h_get(h, h->admin, path), 200, path);
			m = json_array_get(json_object_get(o, "members"), (size_t)pos);
			ck_assert_msg(m != NULL, "%s: no member %d", team, pos);
			ck_assert_str_eq(h_str(m, "org"), u->given);
			snprintf(u->org, sizeof(u->org), "%s", h_str(m, "organisation"));
		} else {
			snprintf(path, sizeof(path), "/v1/suppliers/%s", u->where + 9);
			o = h_must(h_get(h, h->admin, path), 200, path);
			ck_assert_str_eq(h_str(o, "org"), u->given);
			snprintf(u->org, sizeof(u->org), "%s", h_str(o, "organisation"));
		}
		ck_assert_msg(u->org[0] != '\0', "%s ('%s'): no organisation", u->where, u->given);
		json_decref(o);
	}
}

START_TEST(migrates_with_nothing_lost)
{
	struct harness h;
	sqlite3 *db;
	char *sql = slurp(FIXTURE), *err = NULL;
	int64_t members, teams, holds, transfers, audit, balance, notes, orgs;
	json_t *o;

	h_init(&h, NULL);
	ck_assert_int_eq(sqlite3_open(h.db, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &err) == SQLITE_OK, "%s", err);
	free(sql);
	ck_assert_int_eq(qint(db, "PRAGMA user_version"), 11);
	read_uses(db);
	members = qint(db, "SELECT count(*) FROM team_members");
	teams = qint(db, "SELECT count(*) FROM teams");
	holds = qint(db, "SELECT count(*) FROM ledger_holds");
	transfers = qint(db, "SELECT count(*) FROM ledger_transfers");
	audit = qint(db, "SELECT count(*) FROM audit");
	balance = qint(db, "SELECT sum(budget + 3 * held + 5 * settled + 7 * refunded + "
	    "11 * returned) FROM ledger_accounts");
	sqlite3_close(db);
	ck_assert_int_ge(members, 30);

	/* The fixture's clock: its pending holds are not yet expired. */
	h_clock(&h, "2025-03-17T12:00:00+09:00");
	h_start(&h);
	read_orgs(&h);

	/* One organisation per group of the oracle, and no two groups share one. */
	for (size_t i = 0; i < nuses; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_msg((strcmp(uses[i].group, uses[j].group) == 0) ==
			    (strcmp(uses[i].org, uses[j].org) == 0), "%s '%s' is %s, %s '%s' is %s",
			    uses[i].where, uses[i].given, uses[i].org, uses[j].where, uses[j].given,
			    uses[j].org);

	/* Nothing lost, nothing added but the organisations and a token. */
	ck_assert_int_eq(sqlite3_open(h.db, &db), SQLITE_OK);
	ck_assert_int_ge(qint(db, "PRAGMA user_version"), 13);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM sqlite_schema WHERE name = "
	    "'team_members'"), 0);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM team_memberships WHERE lead = 0"),
	    members);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM team_memberships WHERE lead = 1"), teams);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM team_memberships WHERE since IS NOT NULL "
	    "OR until IS NOT NULL"), 0);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM suppliers WHERE organisation IS NULL"), 0);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM ledger_holds"), holds);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM ledger_transfers"), transfers);
	ck_assert_int_eq(qint(db, "SELECT sum(budget + 3 * held + 5 * settled + 7 * refunded + "
	    "11 * returned) FROM ledger_accounts"), balance);
	/* The admin token of h_start is the one change audited since. */
	ck_assert_int_ge(qint(db, "SELECT count(*) FROM audit"), audit);
	/*
	 * The log: one line per organisation made, one per spelling merged
	 * into one made before (a spelling met again word for word is no news).
	 */
	orgs = qint(db, "SELECT count(*) FROM organisations");
	notes = qint(db, "SELECT count(*) FROM migration_log WHERE version = 12");
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM migration_log WHERE note LIKE "
	    "'organisation % made from %'"), orgs);
	ck_assert_int_gt(qint(db, "SELECT count(*) FROM migration_log WHERE note LIKE "
	    "'%merged into organisation%'"), 8);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM migration_log WHERE note LIKE "
	    "'%\xef\xbc\xab\xef\xbc\xa1\xef\xbc\xa9\xef\xbc\xb3\xef\xbc\xb4%merged%'"), 1);
	sqlite3_close(db);

	/* The audit chain and the ledger still verify. */
	json_decref(h_must(h_get(&h, h.admin, "/v1/audit/verify"), 200, "audit verify"));
	o = h_must(h_get(&h, h.admin, "/v1/vouchers/verify"), 200, "ledger verify");
	json_decref(o);

	/*
	 * The related party the release missed: naver's member "Seoul National
	 * University" (with a no-break space) and supplier snu-hub ("SEOUL
	 * NATIONAL UNIVERSITY").  Its pending hold stays as it was; a new one
	 * is refused.
	 */
	o = h_must(h_get(&h, h.admin, "/v1/vouchers/holds/hold_8"), 200, "hold_8");
	ck_assert_str_eq(h_str(o, "state"), "pending");
	json_decref(o);
	json_decref(h_check(h_post(&h, h.admin, "/v1/vouchers/holds", "{\"team\":\"naver\","
	    "\"phase\":\"stage-2\",\"supplier\":\"snu-hub\",\"amount_krw\":1000}"), 409,
	    "related_party", "naver / snu-hub"));
	/* The release's override stays with its hold. */
	o = h_must(h_get(&h, h.admin, "/v1/vouchers/holds/hold_6"), 200, "hold_6");
	ck_assert_str_eq(h_str(o, "state"), "settled");
	json_decref(o);

	/* A restart migrates nothing again. */
	ck_assert_int_eq(h_stop(&h), 0);
	h_restart(&h);
	ck_assert_int_eq(sqlite3_open(h.db, &db), SQLITE_OK);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM migration_log"), notes);
	ck_assert_int_eq(qint(db, "SELECT count(*) FROM organisations"), orgs);
	sqlite3_close(db);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("orgs_migration");
	TCase *tc = tcase_create("migration");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, migrates_with_nothing_lost);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
