/* test_conf.c: grantd-agent's configuration file: defaults, values, and each error with its line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/agent-conf-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[96];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Writes text to dir/NAME and loads it: conf_load's result (and the daemon's check's). */
static int
load(const char *name, const char *text, struct conf *c, struct conf_errors *errs,
    bool daemon)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	if (conf_load(path, c, errs) < 0)
		return -1;
	return daemon ? conf_check_daemon(c, errs) : 0;
}

static bool
said(const struct conf_errors *errs, int line, const char *what)
{
	for (int i = 0; i < errs->n; i++)
		if (errs->e[i].line == line && strstr(errs->e[i].msg, what) != NULL)
			return true;
	return false;
}

static const struct {
	const char *what, *text;
	int line;
	const char *said;
} bad[] = {
	{ "an unknown key", "pool = p1\ncolour = blue\n", 2, "unknown key \"colour\"" },
	{ "a key twice", "pool = p1\npool = p2\n", 2, "duplicate key, first set on line 1" },
	{ "an indented key is a key", "pool = p1\n  pool = p2\n", 2, "duplicate key" },
	{ "a section", "[agent]\npool = p1\n", 2, "before any section" },
	{ "a pool id in capitals", "pool = Pool1\n", 1, "[a-z0-9][a-z0-9-]{0,62}" },
	{ "a node with a slash", "node = gpu/1\n", 1, "[A-Za-z0-9][A-Za-z0-9._-]{0,62}" },
	{ "an interval of nothing", "interval = 0\n", 1, "1..3600" },
	{ "an interval in words", "interval = ten\n", 1, "whole number" },
	{ "a spool bound too large", "spool_max_batches = 2000000\n", 1, "1..1000000" },
	{ "not a URL", "url = grantd:8440\n", 1, "https://" },
	{ "metrics beyond loopback", "metrics_listen = 0.0.0.0:9441\n", 1, "loopback" },
	{ "metrics without a port", "metrics_listen = 127.0.0.1\n", 1, "HOST:PORT" },
	{ "a relative spool", "spool_dir = spool\n", 1, "absolute path" },
	{ "a level of noise", "log_level = loud\n", 1, "error, warning" },
	{ "no equals sign", "pool p1\n", 1, "syntax error" },
	{ "a control character", "pool = p\0071\n", 1, "control character" },
	{ "periods that are not whole intervals", "interval = 7\npost_interval = 60\n", 2,
	  "multiple of interval (7)" },
	{ "token and token_file both", "token = a\ntoken_file = /nonexistent\n", 1,
	  "set one" },
	{ "a token file that is not there", "token_file = /nonexistent/token\n", 1,
	  "/nonexistent/token" },
	{ "dead letters in the spool", "spool_dir = /var/x\ndead_dir = /var/x\n", 2,
	  "must not be spool_dir" },
};

START_TEST(each_error_with_its_line)
{
	struct conf_errors errs;
	struct conf c;

	ck_assert_int_eq(load("bad.conf", bad[_i].text, &c, &errs, false), -1);
	ck_assert_msg(said(&errs, bad[_i].line, bad[_i].said), "%s: %d errors, the first "
	    "line %d: %s", bad[_i].what, errs.n, errs.n ? errs.e[0].line : -1,
	    errs.n ? errs.e[0].msg : "");
}
END_TEST

START_TEST(defaults_and_values)
{
	struct conf_errors errs;
	struct conf c;
	char path[160];
	FILE *f;

	/* Nothing set: --once's defaults; the daemon's check wants url, token and pool. */
	ck_assert_int_eq(load("empty.conf", "; nothing\n", &c, &errs, false), 0);
	ck_assert_int_eq(c.interval, 10);
	ck_assert_int_eq(c.post_interval, 60);
	ck_assert_int_eq(c.spool_max_batches, 10000);
	ck_assert_str_eq(c.spool_dir, "/var/lib/grantd-agent/spool");
	ck_assert_str_eq(c.dead_dir, "/var/lib/grantd-agent/dead");
	ck_assert_str_eq(c.metrics_host, "127.0.0.1");
	ck_assert_int_eq(c.metrics_port, 9441);
	ck_assert_str_eq(c.nvml_library, "libnvidia-ml.so.1");
	ck_assert_int_eq(conf_check_daemon(&c, &errs), -1);
	ck_assert(said(&errs, 0, "url: must be set") && said(&errs, 0, "token_file") &&
	    said(&errs, 0, "pool: must be set"));
	/* A whole file, the token from its own file. */
	snprintf(path, sizeof(path), "%s/token", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("s3cret-token\n", f);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0600), 0);
	{
		char text[1024];

		snprintf(text, sizeof(text), "url = https://grantd.example:8440\n"
		    "token_file = %s\r\npool = h100-a\nnode = GPU-01.rack_3\nteam = acme\n"
		    "interval = 5\npost_interval = 300\nspool_dir = /srv/agent/spool/\n"
		    "metrics_listen = [::1]:0\n# a comment\n; another\ntimeout = 3\n", path);
		ck_assert_int_eq(load("good.conf", text, &c, &errs, true), 0);
	}
	ck_assert_str_eq(c.token, "s3cret-token");
	ck_assert_str_eq(c.node, "GPU-01.rack_3");
	ck_assert_str_eq(c.team, "acme");
	ck_assert_int_eq(c.interval, 5);
	ck_assert_int_eq(c.post_interval, 300);
	ck_assert_str_eq(c.dead_dir, "/srv/agent/dead");
	ck_assert_str_eq(c.metrics_host, "::1");
	ck_assert_int_eq(c.metrics_port, 0);
	ck_assert_int_eq(c.timeout, 3);
	/* A token others can read is refused: it is the node's identity. */
	ck_assert_int_eq(chmod(path, 0644), 0);
	snprintf(path, sizeof(path), "token_file = %s/token\n", dir);
	ck_assert_int_eq(load("open.conf", path, &c, &errs, false), -1);
	ck_assert(said(&errs, 1, "readable by others"));
	/* metrics off. */
	ck_assert_int_eq(load("off.conf", "metrics_listen = off\n", &c, &errs, false), 0);
	ck_assert_int_eq(c.metrics_port, -1);
	/* Plain HTTP to loopback only. */
	ck_assert_int_eq(load("plain.conf", "url = http://127.0.0.1:8440\ntoken = t\npool = p\n",
	    &c, &errs, true), 0);
	ck_assert_int_eq(load("plain2.conf", "url = http://grantd.example:8440\ntoken = t\n"
	    "pool = p\n", &c, &errs, true), -1);
	ck_assert(said(&errs, 0, "plain http:// only to loopback"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent-conf");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, each_error_with_its_line, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, defaults_and_values);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
