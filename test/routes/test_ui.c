/* test_ui.c: the dashboard's static file handler (daemon/ui.c) on a scratch tree. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ui.h"

/*
 * The tree, made afresh for each test below a temporary directory:
 *   outside.js                 beside the root: must never be reached
 *   root/index.html, app.js, data.json, .hidden.js, notes.md, empty.txt
 *   root/js/main.js, root/js/deep/ (a directory)
 *   root/link.js -> ../outside.js, root/jslink -> js (links: refused)
 *   root/fifo.js (a FIFO: refused, without hanging)
 */
static char top[256], root[300];

static void
put(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static void
setup(void)
{
	char p[512];

	snprintf(top, sizeof(top), "%s/grantd-ui.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(root, sizeof(root), "%s/root", top);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	snprintf(p, sizeof(p), "%s/js", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/js/deep", root);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	put("outside.js", "secret();\n");
	put("root/index.html", "<!DOCTYPE html><title>x</title>\n");
	put("root/app.js", "export const a = 1;\n");
	put("root/data.json", "{}\n");
	put("root/.hidden.js", "hidden();\n");
	put("root/notes.md", "# notes\n");
	put("root/empty.txt", "");
	put("root/js/main.js", "import './x.js';\n");
	snprintf(p, sizeof(p), "%s/link.js", root);
	ck_assert_int_eq(symlink("../outside.js", p), 0);
	snprintf(p, sizeof(p), "%s/jslink", root);
	ck_assert_int_eq(symlink("js", p), 0);
	snprintf(p, sizeof(p), "%s/fifo.js", root);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
}

static void
teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static const struct {
	const char *what, *method, *path;
	int status;
	const char *type;	/* Content-Type of a 200; NULL: not checked */
	const char *body;	/* a 200's body; NULL: not checked */
} cases[] = {
	{ "the index", "GET", "/ui/", 200, "text/html; charset=utf-8", "<!DOCTYPE html><title>x</title>\n" },
	{ "the index by name", "GET", "/ui/index.html", 200, "text/html; charset=utf-8", NULL },
	{ "a module", "GET", "/ui/app.js", 200, "text/javascript; charset=utf-8", "export const a = 1;\n" },
	{ "a module below", "GET", "/ui/js/main.js", 200, "text/javascript; charset=utf-8", NULL },
	{ "JSON", "GET", "/ui/data.json", 200, "application/json", NULL },
	{ "an empty file", "GET", "/ui/empty.txt", 200, "text/plain; charset=utf-8", "" },
	{ "HEAD as GET", "HEAD", "/ui/app.js", 200, "text/javascript; charset=utf-8", NULL },
	{ "/ui goes to /ui/", "GET", "/ui", 301, NULL, NULL },
	{ "POST refused", "POST", "/ui/app.js", 405, NULL, NULL },
	{ "PUT refused", "PUT", "/ui/", 405, NULL, NULL },
	{ "DELETE refused", "DELETE", "/ui/app.js", 405, NULL, NULL },
	{ "missing", "GET", "/ui/nope.js", 404, NULL, NULL },
	{ "a type not served", "GET", "/ui/notes.md", 404, NULL, NULL },
	{ "a dot file", "GET", "/ui/.hidden.js", 404, NULL, NULL },
	{ "dot dot", "GET", "/ui/../outside.js", 404, NULL, NULL },
	{ "dot dot below", "GET", "/ui/js/../../outside.js", 404, NULL, NULL },
	{ "dot", "GET", "/ui/./app.js", 404, NULL, NULL },
	{ "an empty segment", "GET", "/ui//app.js", 404, NULL, NULL },
	{ "a backslash", "GET", "/ui/js\\main.js", 404, NULL, NULL },
	{ "a percent", "GET", "/ui/app%2ejs", 404, NULL, NULL },
	{ "a decoded NUL (DEL)", "GET", "/ui/app.js\x7f", 404, NULL, NULL },
	{ "a space", "GET", "/ui/app .js", 404, NULL, NULL },
	{ "a non-ASCII byte", "GET", "/ui/\xc3\xa9.js", 404, NULL, NULL },
	{ "a link to a file outside", "GET", "/ui/link.js", 404, NULL, NULL },
	{ "a link to a directory", "GET", "/ui/jslink/main.js", 404, NULL, NULL },
	{ "a FIFO", "GET", "/ui/fifo.js", 404, NULL, NULL },
	{ "a directory", "GET", "/ui/js", 404, NULL, NULL },
	{ "a directory with no index", "GET", "/ui/js/", 404, NULL, NULL },
	{ "a file as a directory", "GET", "/ui/app.js/x.js", 404, NULL, NULL },
};

START_TEST(table)
{
	struct ui_reply r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(ui_serve(root, cases[i].method, cases[i].path, NULL, &r), 0);
		ck_assert_msg(r.status == cases[i].status, "%s: %s %s is %d, not %d", cases[i].what,
		    cases[i].method, cases[i].path, r.status, cases[i].status);
		if (cases[i].type)
			ck_assert_msg(r.content_type && strcmp(r.content_type, cases[i].type) == 0,
			    "%s: type %s", cases[i].what, r.content_type ? r.content_type : "(none)");
		if (cases[i].body)
			ck_assert_msg(r.len == strlen(cases[i].body) &&
			    memcmp(r.body, cases[i].body, r.len) == 0, "%s: body", cases[i].what);
		if (r.status == 200) {
			ck_assert_msg(r.etag[0] == '"' && r.last_modified[0] != '\0', "%s: validators",
			    cases[i].what);
			ck_assert_str_eq(r.cache_control, "no-cache");
		} else {
			ck_assert_msg(r.etag[0] == '\0', "%s: no ETag on %d", cases[i].what, r.status);
			/* Never the outside file's bytes, whatever the status. */
			ck_assert_msg(r.body == NULL || memmem(r.body, r.len, "secret", 6) == NULL,
			    "%s: leaked", cases[i].what);
		}
		if (r.status == 301)
			ck_assert_str_eq(r.location, "/ui/");
		if (r.status == 405)
			ck_assert_str_eq(r.allow, "GET, HEAD");
		ui_reply_clear(&r);
	}
}
END_TEST

/* The file's ETag in If-None-Match (alone, in a list, weak, or "*") is 304 without a body. */
START_TEST(conditional)
{
	struct ui_reply r, c;
	char list[200], weak[80];

	ck_assert_int_eq(ui_serve(root, "GET", "/ui/app.js", NULL, &r), 0);
	ck_assert_int_eq(r.status, 200);
	snprintf(list, sizeof(list), "\"other\", %s", r.etag);
	snprintf(weak, sizeof(weak), "W/%s", r.etag);
	const char *hits[] = { r.etag, list, weak, "*" };
	for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
		ck_assert_int_eq(ui_serve(root, "GET", "/ui/app.js", hits[i], &c), 0);
		ck_assert_msg(c.status == 304, "If-None-Match: %s gives %d", hits[i], c.status);
		ck_assert_ptr_null(c.body);
		ck_assert_str_eq(c.etag, r.etag);
		ui_reply_clear(&c);
	}
	ck_assert_int_eq(ui_serve(root, "GET", "/ui/app.js", "\"nope\"", &c), 0);
	ck_assert_int_eq(c.status, 200);
	ui_reply_clear(&c);
	/* A changed file is a new tag. */
	put("root/app.js", "export const a = 22;\n");
	ck_assert_int_eq(ui_serve(root, "GET", "/ui/app.js", r.etag, &c), 0);
	ck_assert_int_eq(c.status, 200);
	ck_assert_str_ne(c.etag, r.etag);
	ui_reply_clear(&c);
	ui_reply_clear(&r);
}
END_TEST

START_TEST(limits)
{
	struct ui_reply r;
	char path[UI_PATH_MAX + 16], deep[512] = "/ui";

	/* Longest path: 414; the deepest allowed depth is read, one more refused. */
	memset(path, 'a', sizeof(path));
	memcpy(path, "/ui/", 4);
	path[UI_PATH_MAX + 1] = '\0';
	ck_assert_int_eq(ui_serve(root, "GET", path, NULL, &r), 0);
	ck_assert_int_eq(r.status, 414);
	ui_reply_clear(&r);
	for (int i = 0; i <= UI_DEPTH_MAX + 1; i++)
		strcat(deep, "/d");
	strcat(deep, "/x.js");
	ck_assert_int_eq(ui_serve(root, "GET", deep, NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	ui_reply_clear(&r);
	/* No root configured: nothing at all. */
	ck_assert_int_eq(ui_serve("", "GET", "/ui/", NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	ui_reply_clear(&r);
	/* A root that does not exist. */
	ck_assert_int_eq(ui_serve("/nonexistent/grantd-ui", "GET", "/ui/", NULL, &r), 0);
	ck_assert_int_eq(r.status, 404);
	ui_reply_clear(&r);
	ui_reply_clear(NULL);
}
END_TEST

START_TEST(claims_and_headers)
{
	bool csp = false, nosniff = false;

	ck_assert(ui_claims("/ui"));
	ck_assert(ui_claims("/ui/"));
	ck_assert(ui_claims("/ui/x"));
	ck_assert(!ui_claims("/uix"));
	ck_assert(!ui_claims("/u"));
	ck_assert(!ui_claims("/v1/ui"));
	ck_assert(!ui_claims("/"));
	for (size_t i = 0; ui_headers[i][0]; i++) {
		if (strcmp(ui_headers[i][0], "Content-Security-Policy") == 0) {
			csp = true;
			ck_assert_ptr_nonnull(strstr(ui_headers[i][1], "script-src 'self';"));
			ck_assert_ptr_nonnull(strstr(ui_headers[i][1], "frame-ancestors 'none'"));
			ck_assert_ptr_null(strstr(ui_headers[i][1], "unsafe"));
		}
		if (strcmp(ui_headers[i][0], "X-Content-Type-Options") == 0)
			nosniff = strcmp(ui_headers[i][1], "nosniff") == 0;
	}
	ck_assert(csp && nosniff);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ui");
	TCase *tc = tcase_create("files");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, table);
	tcase_add_test(tc, conditional);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, claims_and_headers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
