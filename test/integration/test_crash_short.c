/* test_crash_short.c: the crash driver (test/crash/crash.c), 5 kills, in the test suite. */
#include <check.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/*
 * The driver is a program of its own ($CRASH_BIN, set by `make test`; else
 * test/crash/crash beside the grantd under test).  Its output goes to the
 * test's stderr, so a failure shows the seed and every violation.  The seed
 * is $CRASH_SEED when set, else one the driver draws (and prints).
 */
static const char *
crash_bin(void)
{
	static char path[1024];
	const char *b = getenv("CRASH_BIN");
	char *copy;

	if (b && *b)
		return b;
	copy = strdup(h_bin());
	snprintf(path, sizeof(path), "%s/test/crash/crash", dirname(copy));
	free(copy);
	return path;
}

/* Runs the driver; its output in *out (malloc'd), echoed to stderr. */
static int
run_driver(const char *const *extra, char **out)
{
	char tmp[] = "/tmp/grantd-crash-out-XXXXXX";
	const char *argv[16];
	int fd = mkstemp(tmp), st, n = 0;
	FILE *f;
	long len;
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(access(crash_bin(), X_OK) == 0, "no crash driver at %s (make builds it)",
	    crash_bin());
	argv[n++] = crash_bin();
	argv[n++] = "-b";
	argv[n++] = h_bin();
	for (; extra && *extra; extra++)
		argv[n++] = *extra;
	if (getenv("CRASH_SEED") && *getenv("CRASH_SEED")) {
		argv[n++] = "-s";
		argv[n++] = getenv("CRASH_SEED");
	}
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &st, 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "r"));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	*out = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(*out);
	if (fread(*out, 1, (size_t)len, f) != (size_t)len)
		ck_abort_msg("cannot read the driver's output");
	fclose(f);
	unlink(tmp);
	fputs(*out, stderr);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(five_kills)
{
	const char *args[] = { "-k", "5", NULL };
	char *out = NULL;
	int rc = run_driver(args, &out);

	ck_assert_msg(rc == 0, "crash driver exited %d (its output is above)", rc);
	ck_assert_ptr_nonnull(strstr(out, "crash: passed"));
	free(out);
}
END_TEST

/* The checks bite: a team lost behind grantd's back is reported, and the run fails. */
START_TEST(self_test_detects_a_lost_change)
{
	const char *args[] = { "-k", "2", "-T", NULL };
	char *out = NULL, *dir, *end;
	int rc;

	fprintf(stderr, "test_crash_short: self-test: the driver deletes a team behind grantd's "
	    "back; the FAIL lines below are expected\n");
	rc = run_driver(args, &out);
	fprintf(stderr, "test_crash_short: self-test: end of the expected failure\n");

	ck_assert_msg(rc == 1, "self-test run exited %d, want 1", rc);
	ck_assert_ptr_nonnull(strstr(out, "self-test: deleted acknowledged team"));
	ck_assert_ptr_nonnull(strstr(out, "the team is not there"));
	/* A failed run keeps its directory for the post-mortem: remove this one. */
	if ((dir = strstr(out, "directory /tmp/grantd-crash-")) != NULL) {
		char cmd[300];

		dir += strlen("directory ");
		end = dir + strcspn(dir, " \n");
		snprintf(cmd, sizeof(cmd), "rm -rf '%.*s'", (int)(end - dir), dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove the self-test's directory\n");
	}
	free(out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("crash_short");
	TCase *tc = tcase_create("crash");
	SRunner *sr;
	int nf;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, five_kills);
	tcase_add_test(tc, self_test_detects_a_lost_change);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
