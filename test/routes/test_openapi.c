/* test_openapi.c: docs/openapi.yaml and the route tables describe the same routes. */
#include <check.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "request.h"
#include "router.h"

/*
 * The document is read line by line, in the layout its header describes:
 * the paths section is "paths:" at column 0 up to the next line that starts
 * at column 0; a path is "  /template:", an operation "    method:", and
 * in an operation "      x-roles: [...]", "      security: ..." and the
 * Idempotency-Key parameter reference.  Anything else at the depth of a
 * path or an operation is a layout error, so nothing can hide from the
 * comparison by being written another way.
 */
#define DOC "docs/openapi.yaml"
#define MAX_OPS 256

struct op {
	char method[8];		/* upper case, as in the route tables */
	char path[256];
	char roles[128];	/* x-roles with the spaces taken out; "" when absent */
	char security[64];	/* as written; "" when absent */
	bool idem;		/* lists the IdempotencyKey parameter */
	int line;
};

struct doc {
	struct op ops[MAX_OPS];
	int n;
	char err[4096];		/* layout errors, one a line */
};

static const char *const methods[] = { "get", "put", "post", "delete", "patch", "head",
	"options", "trace" };
/* Keys a path item may have besides operations. */
static const char *const path_keys[] = { "parameters:", "summary:", "description:",
	"servers:" };

static void
add_err(struct doc *d, int line, const char *msg, const char *text)
{
	size_t n = strlen(d->err);

	snprintf(d->err + n, sizeof(d->err) - n, "%s:%d: %s: %.80s\n", DOC, line, msg, text);
}

static int
indent(const char *s)
{
	int i = 0;

	while (s[i] == ' ')
		i++;
	return i;
}

/* A YAML line that carries nothing: blank, or a comment. */
static bool
empty_line(const char *s)
{
	s += indent(s);
	return *s == '\0' || *s == '#';
}

static void
squeeze(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 1 < len; src++)
		if (*src != ' ')
			dst[o++] = *src;
	dst[o] = '\0';
}

static void
parse_doc(struct doc *d)
{
	FILE *f = fopen(DOC, "r");
	char buf[1024], cur_path[256] = "";
	struct op *op = NULL;
	bool in_paths = false, seen_paths = false;
	int line = 0;

	memset(d, 0, sizeof(*d));
	ck_assert_msg(f != NULL, "cannot open %s (tests run from the repository root)", DOC);
	while (fgets(buf, sizeof(buf), f)) {
		size_t len = strlen(buf);
		int ind;
		char *s;

		line++;
		while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		    buf[len - 1] == ' '))
			buf[--len] = '\0';
		if (strchr(buf, '\t'))
			add_err(d, line, "a tab (YAML indents with spaces)", buf);
		if (!in_paths) {
			if (strcmp(buf, "paths:") == 0)
				in_paths = seen_paths = true;
			continue;
		}
		if (empty_line(buf))
			continue;
		ind = indent(buf);
		s = buf + ind;
		if (ind == 0)
			break;		/* the next top-level key: the section is over */
		if (ind == 2) {
			op = NULL;
			if (s[0] != '/' || s[len - ind - 1] != ':' || strchr(s, ' ') ||
			    len - ind - 1 >= sizeof(cur_path)) {
				add_err(d, line, "not a path line \"  /template:\"", buf);
				cur_path[0] = '\0';
				continue;
			}
			memcpy(cur_path, s, len - ind - 1);
			cur_path[len - ind - 1] = '\0';
			continue;
		}
		if (ind < 4 || ind == 5) {
			add_err(d, line, "unexpected indentation in the paths section", buf);
			continue;
		}
		if (ind == 4) {
			size_t k;

			op = NULL;
			for (k = 0; k < sizeof(methods) / sizeof(methods[0]); k++) {
				size_t m = strlen(methods[k]);

				if (strncmp(s, methods[k], m) == 0 && strcmp(s + m, ":") == 0)
					break;
			}
			if (k == sizeof(methods) / sizeof(methods[0])) {
				bool known = false;

				for (size_t j = 0; j < sizeof(path_keys) / sizeof(path_keys[0]); j++)
					if (strncmp(s, path_keys[j], strlen(path_keys[j])) == 0)
						known = true;
				if (!known)
					add_err(d, line, "not an operation line \"    method:\"", buf);
				continue;
			}
			if (cur_path[0] == '\0') {
				add_err(d, line, "an operation outside a path", buf);
				continue;
			}
			ck_assert_int_lt(d->n, MAX_OPS);
			op = &d->ops[d->n++];
			for (size_t i = 0; methods[k][i]; i++)
				op->method[i] = (char)(methods[k][i] - 'a' + 'A');
			snprintf(op->path, sizeof(op->path), "%s", cur_path);
			op->line = line;
			continue;
		}
		if (op == NULL)
			continue;	/* path-level parameters and the like */
		if (ind == 6 && strncmp(s, "x-roles:", 8) == 0) {
			if (op->roles[0])
				add_err(d, line, "x-roles given twice", buf);
			squeeze(op->roles, sizeof(op->roles), s + 8);
		} else if (ind == 6 && strncmp(s, "security:", 9) == 0) {
			snprintf(op->security, sizeof(op->security), "%s", s + 9 + indent(s + 9));
		} else if (strstr(s, "'#/components/parameters/IdempotencyKey'")) {
			op->idem = true;
		}
	}
	fclose(f);
	if (!seen_paths)
		add_err(d, line, "no \"paths:\" line at column 0", "");
}

static const struct op *
doc_find(const struct doc *d, const char *method, const char *path)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->ops[i].method, method) == 0 && strcmp(d->ops[i].path, path) == 0)
			return &d->ops[i];
	return NULL;
}

static const struct route *
table_find(const char *method, const char *path)
{
	for (int t = 0; route_tables[t]; t++)
		for (const struct route *r = route_tables[t]; r->method; r++)
			if (strcmp(r->method, method) == 0 && strcmp(r->pattern, path) == 0)
				return r;
	return NULL;
}

/* x-roles as the route table says, spaces taken out: "[admin,auditor,team]". */
static void
want_roles(const struct route *r, char *buf, size_t len)
{
	if (r->flags & ROUTE_PUBLIC) {
		snprintf(buf, len, "[anyone]");
		return;
	}
	snprintf(buf, len, "[admin%s%s%s]", (r->roles & ROLE_AUDITOR) ? ",auditor" : "",
	    (r->roles & ROLE_TEAM) ? ",team" : "", (r->roles & ROLE_AGENT) ? ",agent" : "");
}

static const char *
want_security(const struct route *r)
{
	if (r->flags & ROUTE_PUBLIC)
		return "[]";
	if (r->flags & ROUTE_METRICS)
		return "[{}, {bearer: []}]";
	return "";
}

/* Appends a line to a report buffer. */
static void
report(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
report(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

START_TEST(layout)
{
	struct doc d;

	parse_doc(&d);
	ck_assert_msg(d.err[0] == '\0', "%s does not keep the layout its header describes:\n%s",
	    DOC, d.err);
	/* A parse that found nothing would make the comparisons below vacuous. */
	ck_assert_int_gt(d.n, 10);
	for (int i = 0; i < d.n; i++)
		for (int j = i + 1; j < d.n; j++)
			ck_assert_msg(strcmp(d.ops[i].method, d.ops[j].method) != 0 ||
			    strcmp(d.ops[i].path, d.ops[j].path) != 0,
			    "%s:%d and %d: %s %s twice", DOC, d.ops[i].line, d.ops[j].line,
			    d.ops[i].method, d.ops[i].path);
}
END_TEST

START_TEST(tables_have_no_duplicates)
{
	for (int t = 0; route_tables[t]; t++)
		for (const struct route *r = route_tables[t]; r->method; r++)
			ck_assert_msg(table_find(r->method, r->pattern) == r,
			    "%s %s is in the route tables twice", r->method, r->pattern);
}
END_TEST

START_TEST(every_route_documented)
{
	char missing[4096] = "";
	struct doc d;
	int n = 0;

	parse_doc(&d);
	for (int t = 0; route_tables[t]; t++) {
		for (const struct route *r = route_tables[t]; r->method; r++) {
			if (doc_find(&d, r->method, r->pattern))
				continue;
			report(missing, sizeof(missing), "  %s %s\n", r->method, r->pattern);
			n++;
		}
	}
	ck_assert_msg(n == 0, "%d route(s) of the route tables are not in %s:\n%s", n, DOC,
	    missing);
}
END_TEST

START_TEST(every_documented_route_exists)
{
	char extra[4096] = "";
	struct doc d;
	int n = 0;

	parse_doc(&d);
	for (int i = 0; i < d.n; i++) {
		if (table_find(d.ops[i].method, d.ops[i].path))
			continue;
		report(extra, sizeof(extra), "  %s:%d: %s %s\n", DOC, d.ops[i].line,
		    d.ops[i].method, d.ops[i].path);
		n++;
	}
	ck_assert_msg(n == 0, "%d documented operation(s) have no route:\n%s", n, extra);
}
END_TEST

START_TEST(roles_security_and_idempotency_match)
{
	char bad[8192] = "", roles[128];
	struct doc d;
	const struct op *op;
	int n = 0;

	parse_doc(&d);
	for (int t = 0; route_tables[t]; t++) {
		for (const struct route *r = route_tables[t]; r->method; r++) {
			if ((op = doc_find(&d, r->method, r->pattern)) == NULL)
				continue;	/* every_route_documented says so */
			want_roles(r, roles, sizeof(roles));
			if (strcmp(op->roles, roles) != 0) {
				report(bad, sizeof(bad), "  %s:%d: %s %s: x-roles %s, the table "
				    "allows %s\n", DOC, op->line, r->method, r->pattern,
				    op->roles[0] ? op->roles : "(none)", roles);
				n++;
			}
			if (strcmp(op->security, want_security(r)) != 0) {
				report(bad, sizeof(bad), "  %s:%d: %s %s: security \"%s\", want "
				    "\"%s\"\n", DOC, op->line, r->method, r->pattern, op->security,
				    want_security(r));
				n++;
			}
			if (op->idem != ((r->flags & ROUTE_WRITE) != 0)) {
				report(bad, sizeof(bad), "  %s:%d: %s %s: %s the Idempotency-Key "
				    "parameter, but the route %s a change\n", DOC, op->line,
				    r->method, r->pattern, op->idem ? "lists" : "does not list",
				    (r->flags & ROUTE_WRITE) ? "is" : "is not");
				n++;
			}
		}
	}
	ck_assert_msg(n == 0, "%d disagreement(s) between %s and the route tables:\n%s", n, DOC,
	    bad);
}
END_TEST

/* The document passes scripts/check-openapi (a validator; see that script). */
START_TEST(document_validates)
{
	char out[8192];
	size_t n;
	FILE *p;
	int st;

	ck_assert_ptr_nonnull(p = popen("scripts/check-openapi " DOC " 2>&1", "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "scripts/check-openapi failed "
	    "(status %d):\n%s", WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("routes");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, layout);
	tcase_add_test(tc, tables_have_no_duplicates);
	tcase_add_test(tc, every_route_documented);
	tcase_add_test(tc, every_documented_route_exists);
	tcase_add_test(tc, roles_security_and_idempotency_match);
	tcase_add_test(tc, document_validates);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
