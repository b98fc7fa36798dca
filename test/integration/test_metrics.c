/* test_metrics.c: /metrics parses with Prometheus' own checker and counts what happened. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Runs `promtool check metrics` on text; returns its exit status and output. */
static int
promtool(const char *text, char *out, size_t outlen)
{
	char path[] = "/tmp/grantd-metrics-XXXXXX", cmd[256];
	FILE *f, *p;
	size_t n;
	int fd, st;

	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_ptr_nonnull(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	n = fread(out, 1, outlen - 1, p);
	out[n] = '\0';
	st = pclose(p);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(exposition_is_valid)
{
	struct harness h;
	struct hresp r;
	char out[4096], line[256];
	const char *team = "{\"id\":\"t1\",\"name\":\"T\",\"lead_org\":\"O\"}";

	h_init(&h, NULL);
	h_start(&h);
	r = h_post(&h, h.admin, "/v1/teams", "%s", team);
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	r = h_post(&h, h.admin, "/v1/pools", "{\"id\":\"p1\",\"provider\":\"X\",\"site\":\"Y\","
	    "\"card_model\":\"B200\",\"cards\":64}");
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);
	r = h_get(&h, NULL, "/v1/teams");
	ck_assert_int_eq(r.status, 401);
	hresp_free(&r);

	r = h_get(&h, NULL, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(strncmp(r.content_type, "text/plain", 10) == 0, "%s", r.content_type);
	ck_assert_msg(promtool(r.body, out, sizeof(out)) == 0, "promtool: %s", out);
	/* The requests above are counted under their route patterns. */
	ck_assert_ptr_nonnull(strstr(r.body, "grantd_http_requests_total{method=\"POST\","
	    "route=\"/v1/teams\",status=\"201\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "grantd_http_requests_total{method=\"GET\","
	    "route=\"/v1/teams\",status=\"401\"} 1\n"));
	snprintf(line, sizeof(line), "grantd_pool_free_cards{pool=\"p1\"} 64\n");
	ck_assert_ptr_nonnull(strstr(r.body, line));
	ck_assert_ptr_nonnull(strstr(r.body, "grantd_commits_total "));
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

START_TEST(auth_when_configured)
{
	struct harness h;
	struct hresp r;

	h_init(&h, NULL);
	/* A second [server] section would be a duplicate: rewrite the file instead. */
	FILE *f = fopen(h.conf, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\nmetrics_require_auth = true\n"
	    "[storage]\ndatabase = %s\n[log]\nlevel = warning\n", h.db);
	fclose(f);
	h_start(&h);
	r = h_get(&h, NULL, "/metrics");
	ck_assert_int_eq(r.status, 401);
	hresp_free(&r);
	r = h_get(&h, h.admin, "/metrics");
	ck_assert_int_eq(r.status, 200);
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, exposition_is_valid);
	tcase_add_test(tc, auth_when_configured);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
