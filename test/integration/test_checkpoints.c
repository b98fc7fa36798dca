/* test_checkpoints.c: the audit trail anchored outside the database (issue 17), against the real binary. */
#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checkpoint.h"
#include "err.h"
#include "harness.h"

/* `grantd ARGS...` with --db; its exit status, and what it said on stderr in *err. */
static int
grantd(struct harness *h, char **err, const char *a, const char *b, const char *c,
    const char *d, const char *e)
{
	const char *argv[] = { h_bin(), a, b, "--db", h->db, c, d, e, NULL };

	return h_run_err(argv, err);
}

static int
verify_ok(struct harness *h)
{
	char *err = NULL;
	int rc = grantd(h, &err, "audit", "verify", NULL, NULL, NULL);

	ck_assert_msg(rc == 0, "audit verify: %d %s", rc, err);
	free(err);
	return rc;
}

/* audit verify must fail, saying `want`. */
static void
verify_fails(struct harness *h, const char *c, const char *d, const char *want)
{
	char *err = NULL;
	int rc = grantd(h, &err, "audit", "verify", c, d, NULL);

	ck_assert_msg(rc == 1 && strstr(err, want) != NULL, "audit verify: %d '%s', want '%s'",
	    rc, err, want);
	free(err);
}

static void
sql(struct harness *h, const char *text)
{
	sqlite3 *db;
	char *err = NULL;

	ck_assert_int_eq(sqlite3_open(h->db, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, text, NULL, NULL, &err) == SQLITE_OK, "%s", err);
	sqlite3_close(db);
}

static void
some_changes(struct harness *h, const char *prefix, int n)
{
	for (int i = 0; i < n; i++)
		json_decref(h_must(h_post(h, h->admin, "/v1/teams", "{\"id\":\"%s-%d\",\"name\":"
		    "\"T\",\"lead_org\":\"Org %s %d\"}", prefix, i, prefix, i), 201, "team"));
}

/* The timer's interval in these tests (GRANTD_CHECKPOINT_INTERVAL_MS). */
#define INTERVAL_MS 100
#define INTERVAL_MS_TEXT "100"

/* The newest seq of the audit trail, as committed. */
static int64_t
audit_head(struct harness *h)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int64_t seq;

	ck_assert_int_eq(sqlite3_open_v2(h->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT max(seq) FROM audit", -1, &st, NULL),
	    SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	seq = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return seq;
}

/* The lines of the checkpoint file beside h's database, and the newest seq in *last (-1). */
static int
file_lines(struct harness *h, int64_t *last)
{
	char path[600], line[2048];
	int n = 0;
	FILE *f;

	*last = -1;
	snprintf(path, sizeof(path), "%s/grantd-checkpoints.jsonl", h->dir);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *j = json_loads(line, 0, NULL);

		ck_assert_msg(j != NULL, "not JSON in %s: %s", path, line);
		if (json_integer_value(json_object_get(j, "seq")) > *last)
			*last = json_integer_value(json_object_get(j, "seq"));
		json_decref(j);
		n++;
	}
	fclose(f);
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0)
		;
}

/* Waits (5 s at most) until the checkpoint file's newest line is of entry seq; its lines. */
static int
wait_checkpoint(struct harness *h, int64_t seq)
{
	int64_t last = -1;
	int n = 0;

	for (int waited = 0; waited < 5000; waited += 20) {
		if ((n = file_lines(h, &last)) > 0 && last == seq)
			return n;
		sleep_ms(20);
	}
	ck_abort_msg("no checkpoint of entry %lld after 5 s: the newest is %lld (%d lines)",
	    (long long)seq, (long long)last, n);
	return -1;
}

/* The public keys beside the database, as `grantd key show` prints them, parsed. */
static size_t
ring(struct harness *h, struct sig_key *keys, size_t cap)
{
	const char *argv[] = { h_bin(), "key", "show", "--db", h->db, NULL };
	char *out = NULL, *line, *save = NULL;
	size_t n = 0;

	ck_assert_int_eq(h_run(argv, &out), 0);
	for (line = strtok_r(out, "\n", &save); line && n < cap;
	    line = strtok_r(NULL, "\n", &save)) {
		char alg[32], id[32], pub[SIG_B64_MAX];
		unsigned char raw[SIG_PUB_MAX];
		enum sig_alg a;
		size_t len;

		ck_assert_int_eq(sscanf(line, "%31s %31s %399s", alg, id, pub), 3);
		ck_assert_int_eq(sig_alg_parse(alg, &a), 0);
		ck_assert_int_eq(sig_unb64(pub, raw, sizeof(raw), &len), 0);
		ck_assert_int_eq(sig_key_from(a, raw, len, NULL, 0, &keys[n]), 0);
		ck_assert_str_eq(keys[n].id, id);
		n++;
	}
	free(out);
	return n;
}

/*
 * The fairness report comes signed, with the checkpoint of the audit entry
 * it reflects; both verify with the public key alone, and a changed figure
 * does not.
 */
START_TEST(report_signed)
{
	struct harness h;
	struct sig_key keys[4];
	struct checkpoint c;
	char err[GD_ERRBUF];
	json_t *rep;
	size_t n;

	h_init(&h, NULL);
	h_clock(&h, "2026-03-01T00:00:00Z");
	h_start(&h);
	json_decref(h_must(h_post(&h, h.admin, "/v1/programs", "{\"id\":\"p\",\"name\":\"P\"}"),
	    201, "programme"));
	json_decref(h_must(h_post(&h, h.admin, "/v1/programs/p/phases", "{\"id\":\"ph\","
	    "\"name\":\"Ph\",\"starts_on\":\"2026-03-01\",\"period_days\":30,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":1000}}"), 201, "phase"));
	rep = h_must(h_get(&h, h.admin, "/v1/phases/ph/fairness"), 200, "report");
	n = ring(&h, keys, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_msg(doc_verify(rep, keys, n, err, sizeof(err)), "%s", err);
	ck_assert_int_eq(checkpoint_parse(json_object_get(rep, "checkpoint"), &c, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(c.seq, json_integer_value(json_object_get(rep, "audit_seq")));
	ck_assert(checkpoint_verify(&c, keys, n, err, sizeof(err)));
	json_object_set_new(rep, "period_days", json_integer(31));
	ck_assert(!doc_verify(rep, keys, n, err, sizeof(err)));
	json_decref(rep);
	ck_assert_int_eq(h_stop(&h), 0);
	/* Its checkpoint was published, and the trail verifies against it. */
	verify_ok(&h);
	h_cleanup(&h);
}
END_TEST

/*
 * The promise of the issue: rows deleted from the end of the trail pass
 * the chain's own check, but not the checkpoints published outside the
 * database -- even when grantd goes on writing after the cut, and even
 * when only a copy of the published file and the public keys are at hand.
 */
START_TEST(truncation_caught)
{
	struct harness h;
	char cp[600], ring_copy[600], kept[600], cmd[4096];

	h_init(&h, NULL);
	h_clock(&h, "2026-03-01T00:00:00Z");
	h_start(&h);
	some_changes(&h, "a", 5);
	ck_assert_int_eq(h_stop(&h), 0);	/* a checkpoint at the stop */
	verify_ok(&h);

	/* Copies kept elsewhere, as an auditor would. */
	snprintf(cp, sizeof(cp), "%s/grantd-checkpoints.jsonl", h.dir);
	snprintf(kept, sizeof(kept), "%s/kept-checkpoints", h.dir);
	snprintf(ring_copy, sizeof(ring_copy), "%s/kept-ring", h.dir);
	snprintf(cmd, sizeof(cmd), "cp %s %s && cp %s/grantd-signing.pub %s", cp, kept, h.dir,
	    ring_copy);
	ck_assert_int_eq(system(cmd), 0);

	/* The newest three rows deleted: the chain alone still holds. */
	sql(&h, "DROP TRIGGER audit_no_delete; "
	    "DELETE FROM audit WHERE seq > (SELECT max(seq) - 3 FROM audit);");
	{
		const char *argv[] = { h_bin(), "audit", "verify", "--db", h.db, "--checkpoint",
			"/dev/null", NULL };
		char *err = NULL;

		/* ... but a named file without a checkpoint vouches for nothing: status 3. */
		ck_assert_int_eq(h_run_err(argv, &err), 3);
		ck_assert_ptr_nonnull(strstr(err, "no checkpoint in /dev/null"));
		free(err);
	}
	verify_fails(&h, NULL, NULL, "cut short");
	verify_fails(&h, "--checkpoint", kept, "newer rows were deleted");

	/* grantd runs on and writes over the gap: now entry N is another one. */
	h_restart(&h);
	some_changes(&h, "b", 4);
	ck_assert_int_eq(h_stop(&h), 0);
	verify_fails(&h, "--checkpoint", kept, "rewritten");
	/* With only the kept copies: the keys and the file. */
	{
		char *err = NULL;
		const char *argv[] = { h_bin(), "audit", "verify", "--db", h.db, "--checkpoint",
			kept, "--keyring", ring_copy, NULL };

		ck_assert_int_eq(h_run_err(argv, &err), 1);
		ck_assert_ptr_nonnull(strstr(err, "rewritten"));
		free(err);
	}
	/* A forged line is caught by its signature. */
	snprintf(cmd, sizeof(cmd), "sed -i 's/\"seq\":[0-9]*/\"seq\":1/' %s", kept);
	ck_assert_int_eq(system(cmd), 0);
	verify_fails(&h, "--checkpoint", kept, "does not verify");
	h_cleanup(&h);
}
END_TEST

/*
 * The timer's checkpoint: after changes, the next interval appends a line
 * for the new head -- and only when the head moved: intervals with no new
 * audit entry add nothing, nor does the stop.  A repeated head would add
 * no evidence about the trail, only lines to the file and checkpoint.signed
 * events to the feed and its webhooks at every interval.
 */
START_TEST(periodic_checkpoint)
{
	struct harness h;
	int64_t head, last;
	int n, again;

	h_init(&h, NULL);
	h_clock(&h, "2026-03-01T00:00:00Z");
	setenv("GRANTD_CHECKPOINT_INTERVAL_MS", INTERVAL_MS_TEXT, 1);
	h_start(&h);
	unsetenv("GRANTD_CHECKPOINT_INTERVAL_MS");
	some_changes(&h, "a", 3);
	head = audit_head(&h);
	n = wait_checkpoint(&h, head);

	/* Five intervals with nothing new: nothing written. */
	sleep_ms(5 * INTERVAL_MS);
	ck_assert_int_eq(audit_head(&h), head);
	again = file_lines(&h, &last);
	ck_assert_msg(again == n && last == head, "%d lines, newest %lld; want %d, %lld", again,
	    (long long)last, n, (long long)head);

	/* New entries: a line for the new head, without a stop or a report. */
	some_changes(&h, "b", 2);
	ck_assert_int_gt(audit_head(&h), head);
	head = audit_head(&h);
	again = wait_checkpoint(&h, head);
	ck_assert_int_gt(again, n);
	n = again;

	/* The stop finds the head published already. */
	ck_assert_int_eq(h_stop(&h), 0);
	ck_assert_int_eq(file_lines(&h, &last), n);
	ck_assert_int_eq(last, head);
	verify_ok(&h);
	h_cleanup(&h);
}
END_TEST

/*
 * The journal's copy: the "checkpoint {...}" lines grantd logs are the
 * lines of its checkpoint file, and alone, with a copy of the key ring,
 * they catch the newest rows deleted when the file went too.
 */
START_TEST(journal_copy_catches_truncation)
{
	struct harness h;
	char logpath[] = "/tmp/grantd-checkpoint-log-XXXXXX";
	char cp[600], journal[600], ring_copy[600], cmd[2000];
	char *text, *nl, *err = NULL;
	long got;
	int fd, saved, lines = 0;
	FILE *f;

	h_init(&h, NULL);
	h_clock(&h, "2026-03-01T00:00:00Z");
	/* grantd's stderr, which journald would keep, into a file of its own. */
	ck_assert_int_ge(fd = mkstemp(logpath), 0);
	fflush(stderr);
	ck_assert_int_ge(saved = dup(2), 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	h_start(&h);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);
	some_changes(&h, "a", 5);
	ck_assert_int_eq(h_stop(&h), 0);	/* a checkpoint at the stop */

	/* The checkpoint lines of the log, as `journalctl -o cat` gives them. */
	ck_assert_int_ge(got = lseek(fd, 0, SEEK_END), 0);
	ck_assert_ptr_nonnull(text = calloc(1, (size_t)got + 1));
	ck_assert_int_eq(pread(fd, text, (size_t)got, 0), got);
	close(fd);
	unlink(logpath);
	snprintf(journal, sizeof(journal), "%s/journal-checkpoints", h.dir);
	ck_assert_ptr_nonnull(f = fopen(journal, "w"));
	for (char *p = text, *c; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if ((c = strstr(p, "checkpoint {")) != NULL) {
			fprintf(f, "%s\n", c);
			lines++;
		}
	}
	fclose(f);
	free(text);
	ck_assert_int_ge(lines, 1);

	/* They are the file's lines, each with the word "checkpoint " before it. */
	snprintf(cp, sizeof(cp), "%s/grantd-checkpoints.jsonl", h.dir);
	snprintf(cmd, sizeof(cmd), "sed 's/^checkpoint //' %s | cmp -s - %s", journal, cp);
	ck_assert_msg(system(cmd) == 0, "the journal's checkpoints differ from %s", cp);

	/* The file gone with the newest rows: the journal's copy still catches it. */
	snprintf(ring_copy, sizeof(ring_copy), "%s/kept-ring", h.dir);
	snprintf(cmd, sizeof(cmd), "cp %s/grantd-signing.pub %s && rm %s", h.dir, ring_copy, cp);
	ck_assert_int_eq(system(cmd), 0);
	sql(&h, "DROP TRIGGER audit_no_delete; "
	    "DELETE FROM audit WHERE seq > (SELECT max(seq) - 3 FROM audit);");
	{
		const char *argv[] = { h_bin(), "audit", "verify", "--db", h.db, "--checkpoint",
			journal, "--keyring", ring_copy, NULL };
		int rc = h_run_err(argv, &err);

		ck_assert_msg(rc == 1 && strstr(err, "cut short") != NULL &&
		    strstr(err, "newer rows were deleted") != NULL, "audit verify: %d '%s'", rc,
		    err);
		free(err);
	}
	h_cleanup(&h);
}
END_TEST

/*
 * No checkpoint to check the trail with is said, never passed in silence:
 * with status 3 where grantd published some beside the database (the
 * file deleted or emptied after a stop), and a warning with status 0 where
 * none may exist yet (killed before its first checkpoint).  Never a
 * "newest at entry -1".
 */
static const struct {
	const char *what;
	bool stop;		/* a clean stop (a checkpoint), else SIGKILL (none) */
	const char *then;	/* done to the checkpoint file %s after it */
	int status;
	const char *says;	/* on stderr */
} unanchored[] = {
	{ "file deleted", true, "rm %s", 3, "(absent), though the database's feed has" },
	{ "file emptied", true, ": > %s", 3, "(empty), though the database's feed has" },
	{ "killed before the first", false, "true %s", 0, "(absent) for the audit trail's" },
	{ "killed, file emptied", false, ": > %s", 0, "(empty) for the audit trail's" },
};

START_TEST(unanchored_said)
{
	struct harness h;
	char cmd[1024], *err = NULL, *out = NULL;
	const char *argv[] = { h_bin(), "audit", "verify", "--db", NULL, NULL };

	h_init(&h, NULL);
	argv[4] = h.db;
	h_clock(&h, "2026-03-01T00:00:00Z");
	h_start(&h);
	some_changes(&h, "a", 3);
	if (unanchored[_i].stop) {
		ck_assert_int_eq(h_stop(&h), 0);
		verify_ok(&h);
	} else {
		ck_assert_int_eq(kill(h.pid, SIGKILL), 0);
		ck_assert_int_eq(h_stop(&h), 128 + SIGKILL);
	}
	snprintf(cmd, sizeof(cmd), "cd %s && ", h.dir);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), unanchored[_i].then,
	    "grantd-checkpoints.jsonl");
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(h_run_err(argv, &err), unanchored[_i].status);
	ck_assert_msg(strstr(err, "grantd: warning: no checkpoint in ") != NULL &&
	    strstr(err, unanchored[_i].says) != NULL, "%s: %s", unanchored[_i].what, err);
	ck_assert_int_eq(h_run(argv, &out), unanchored[_i].status);
	ck_assert_msg(strstr(out, "audit OK: ") != NULL && strstr(out, "-1") == NULL &&
	    strstr(out, "checkpoints: none") != NULL, "%s: %s", unanchored[_i].what, out);
	free(err);
	free(out);
	/* The next clean stop anchors the trail again. */
	h_restart(&h);
	ck_assert_int_eq(h_stop(&h), 0);
	verify_ok(&h);
	h_cleanup(&h);
}
END_TEST

/*
 * A rotated key: checkpoints signed by the old one still verify (its
 * public key stays in the ring), new ones are signed by the new one, also
 * when the agency configures ECDSA P-256.
 */
START_TEST(rotation_keeps_old_checkpoints)
{
	struct harness h;
	struct sig_key keys[4];
	char *err = NULL, *out = NULL;
	json_t *rep;
	char msg[GD_ERRBUF];
	const char *rot[] = { h_bin(), "key", "rotate", "--db", NULL, "--algorithm",
		"ecdsa-p256", NULL };

	h_init(&h, NULL);
	h_clock(&h, "2026-03-01T00:00:00Z");
	h_start(&h);
	some_changes(&h, "a", 2);
	ck_assert_int_eq(h_stop(&h), 0);
	rot[4] = h.db;
	ck_assert_int_eq(h_run(rot, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "ecdsa-p256 key"));
	free(out);
	ck_assert_uint_eq(ring(&h, keys, 4), 2);
	ck_assert(keys[0].alg == SIG_ED25519 && keys[1].alg == SIG_ECDSA_P256);
	h_restart(&h);
	some_changes(&h, "b", 2);
	json_decref(h_must(h_post(&h, h.admin, "/v1/programs", "{\"id\":\"p\",\"name\":\"P\"}"),
	    201, "programme"));
	json_decref(h_must(h_post(&h, h.admin, "/v1/programs/p/phases", "{\"id\":\"ph\","
	    "\"name\":\"Ph\",\"starts_on\":\"2026-03-01\",\"period_days\":30,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":1000}}"), 201, "phase"));
	rep = h_must(h_get(&h, h.admin, "/v1/phases/ph/fairness"), 200, "report");
	ck_assert_str_eq(h_str(rep, "signature.alg"), "ecdsa-p256");
	ck_assert_str_eq(h_str(rep, "signature.key_id"), keys[1].id);
	ck_assert_msg(doc_verify(rep, keys, 2, msg, sizeof(msg)), "%s", msg);
	json_decref(rep);
	ck_assert_int_eq(h_stop(&h), 0);
	verify_ok(&h);
	/* Without the old key, the old checkpoints cannot be checked. */
	ck_assert_int_eq(grantd(&h, &err, "audit", "verify", NULL, NULL, NULL), 0);
	free(err);
	{
		char ring_new[600], cmd[1400];
		const char *argv[] = { h_bin(), "audit", "verify", "--db", h.db, "--keyring",
			ring_new, NULL };

		snprintf(ring_new, sizeof(ring_new), "%s/only-new", h.dir);
		snprintf(cmd, sizeof(cmd), "tail -n 1 %s/grantd-signing.pub > %s", h.dir, ring_new);
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(h_run_err(argv, &err), 1);
		ck_assert_ptr_nonnull(strstr(err, "not among the public keys"));
		free(err);
	}
	/* A second key create is refused: rotation is the way. */
	{
		const char *argv[] = { h_bin(), "key", "create", "--db", h.db, NULL };

		ck_assert_int_eq(h_run_err(argv, &err), 1);
		ck_assert_ptr_nonnull(strstr(err, "exists already"));
		free(err);
	}
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("checkpoints");
	TCase *tc = tcase_create("checkpoints");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, report_signed);
	tcase_add_test(tc, truncation_caught);
	tcase_add_test(tc, periodic_checkpoint);
	tcase_add_test(tc, journal_copy_catches_truncation);
	tcase_add_test(tc, rotation_keeps_old_checkpoints);
	tcase_add_loop_test(tc, unanchored_said, 0, (int)(sizeof(unanchored) /
	    sizeof(unanchored[0])));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
