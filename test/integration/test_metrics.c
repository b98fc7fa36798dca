/* test_metrics.c: /metrics parses with Prometheus' own checker and counts what happened. */
#include <check.h>
#include <curl/curl.h>
#include <fcntl.h>
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

/* Discards a response body. */
static size_t
discard(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

/* Lines of text that begin with prefix. */
static int
count_lines(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += strncmp(p, prefix, strlen(prefix)) == 0;
	return n;
}

START_TEST(junk_is_bounded)
{
	struct harness h;
	struct hresp r;
	char url[256], method[16], out[4096];
	CURL *c;
	long st;

	h_init(&h, NULL);
	h_start(&h);
	/*
	 * 520 made-up methods and 300 made-up paths over one kept-alive
	 * connection: more than the 512 series slots, which used to fill with
	 * one series per method and leave real requests unlabelled.
	 */
	ck_assert_ptr_nonnull(c = curl_easy_init());
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	for (int i = 0; i < 820; i++) {
		if (i < 520) {
			snprintf(method, sizeof(method), "J%03d", i);
			snprintf(url, sizeof(url), "%s/v1/teams", h.base);
		} else {
			snprintf(method, sizeof(method), "GET");
			snprintf(url, sizeof(url), "%s/junk/%d/x", h.base, i);
		}
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_URL, url);
		ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
		ck_assert_int_eq(st, i < 520 ? 405 : 404);
	}
	curl_easy_cleanup(c);
	r = h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t1\",\"name\":\"T\",\"lead_org\":\"O\"}");
	ck_assert_int_eq(r.status, 201);
	hresp_free(&r);

	r = h_get(&h, NULL, "/metrics");
	ck_assert_int_eq(r.status, 200);
	ck_assert_msg(promtool(r.body, out, sizeof(out)) == 0, "promtool: %s", out);
	ck_assert_msg(count_lines(r.body, "grantd_http_requests_total{") <= 4,
	    "%d request series after junk", count_lines(r.body, "grantd_http_requests_total{"));
	ck_assert_ptr_nonnull(strstr(r.body, "grantd_http_requests_total{method=\"other\","
	    "route=\"unmatched\",status=\"405\"} 520\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "grantd_http_requests_total{method=\"GET\","
	    "route=\"unmatched\",status=\"404\"} 300\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "grantd_http_requests_total{method=\"POST\","
	    "route=\"/v1/teams\",status=\"201\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "grantd_http_requests_unlabelled_total 0\n"));
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
}
END_TEST

/*
 * A path that tries to end its access log line and forge another, or to
 * add fields to its own: decoded, it holds CR LF, quotes, blanks and
 * key=value.  It must come out as one line with every such byte escaped.
 * grantd's stderr is caught by handing it a file as fd 2 when it starts.
 */
START_TEST(access_log_escaped)
{
	static const char path[] = "/v1/teams/x%0D%0A2026-01-01T00:00:00Z%20info:%20GET%20/forged"
	    "%20200%200.1ms%20rid=forged%22%20status=200%20\"q\"\\";
	const char *const hdrs[] = { "X-Request-Id: a b=\"c\"", NULL };
	char logpath[] = "/tmp/grantd-accesslog-XXXXXX", *text, *line = NULL, *nl;
	struct harness h;
	struct hresp r;
	FILE *f;
	long len;
	int fd, saved, lines = 0;

	h_init(&h, NULL);
	ck_assert_ptr_nonnull(f = fopen(h.conf, "w"));
	fprintf(f, "[server]\nlisten = 127.0.0.1:0\n[storage]\ndatabase = %s\n"
	    "[log]\nlevel = info\naccess_log = true\n", h.db);
	fclose(f);
	ck_assert_int_ge(fd = mkstemp(logpath), 0);
	fflush(stderr);
	ck_assert_int_ge(saved = dup(2), 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	h_start(&h);
	ck_assert_int_eq(dup2(saved, 2), 2);
	close(saved);

	r = h_req(&h, "GET", path, h.admin, NULL, hdrs);
	ck_assert_int_eq(r.status, 404);
	hresp_free(&r);
	ck_assert_int_eq(h_stop(&h), 0);

	/* The whole of what grantd wrote, read back. */
	ck_assert_int_ge(len = lseek(fd, 0, SEEK_END), 0);
	ck_assert_ptr_nonnull(text = calloc(1, (size_t)len + 1));
	ck_assert_int_eq(pread(fd, text, (size_t)len, 0), len);
	close(fd);
	unlink(logpath);
	for (char *p = text; *p; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		if (strstr(p, "forged") != NULL) {
			lines++;
			line = p;
		}
	}
	ck_assert_msg(lines == 1, "%d log lines mention the path:\n%s", lines, text);
	ck_assert_msg(strstr(line, " GET /v1/teams/x%0D%0A2026-01-01T00:00:00Z%20info:%20GET%20"
	    "/forged%20200%200.1ms%20rid%3Dforged%22%20status%3D200%20%22q%22%5C 404 ") != NULL,
	    "access log line: %s", line);
	ck_assert_msg(strstr(line, " rid=a%20b%3D%22c%22") != NULL && strchr(line, '"') == NULL,
	    "access log line: %s", line);
	ck_assert_msg(strstr(line, "rid=") == strrchr(line, '=') - 3, "a forged field: %s", line);
	free(text);
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
	tcase_add_test(tc, junk_is_bounded);
	tcase_add_test(tc, access_log_escaped);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
