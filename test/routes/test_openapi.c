/* test_openapi.c: docs/openapi.yaml and the route tables describe the same routes. */
#include <check.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>

#include "fixture.h"
#include "request.h"
#include "router.h"

/*
 * The document is read line by line, in the layout its header describes:
 * the paths section is "paths:" at column 0 up to the next line that starts
 * at column 0; a path is "  /template:", an operation "    method:", and
 * in an operation "      x-roles: [...]", "      security: ...", the
 * Idempotency-Key parameter reference, and under "      responses:" one
 * line "        'NNN': ..." or "        default: ..." a response.  Anything else at the depth of a
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
	int statuses[32];	/* the documented responses, in order */
	int nstatus;
	bool has_default;	/* a default response: stands for 500 internal */
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
	bool in_paths = false, seen_paths = false, in_resp = false;
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
			in_resp = false;
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
		if (ind == 6)
			in_resp = strcmp(s, "responses:") == 0;
		if (ind == 8 && in_resp) {
			int st;

			if (strncmp(s, "default:", 8) == 0) {
				op->has_default = true;
			} else if (sscanf(s, "'%3d':", &st) == 1 && st >= 100 && st <= 599 &&
			    s[4] == '\'' && s[5] == ':') {
				ck_assert_int_lt(op->nstatus, 32);
				op->statuses[op->nstatus++] = st;
			} else {
				add_err(d, line, "not a response line \"        'NNN':\" or "
				    "\"        default:\"", buf);
			}
			continue;
		}
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

/*
 * /ui and everything below it is the dashboard's (daemon/ui.c): http.c
 * answers it before the router, so a route or a documented operation there
 * would never be reached.  The API keeps to /v1 and /metrics.
 */
START_TEST(ui_prefix_is_not_api)
{
	struct doc d;

	for (int t = 0; route_tables[t]; t++)
		for (const struct route *r = route_tables[t]; r->method; r++)
			ck_assert_msg(strncmp(r->pattern, "/v1/", 4) == 0 ||
			    strcmp(r->pattern, "/metrics") == 0, "%s %s: routes live under /v1/ "
			    "(or are /metrics); /ui/ is the dashboard's", r->method, r->pattern);
	parse_doc(&d);
	for (int i = 0; i < d.n; i++)
		ck_assert_msg(strncmp(d.ops[i].path, "/ui", 3) != 0, "%s:%d: %s is the dashboard's, "
		    "not the API's", DOC, d.ops[i].line, d.ops[i].path);
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

/* The document's statuses answer the code's: scripts/openapi-statuses (see that script). */
START_TEST(statuses_agree_with_code)
{
	char out[16384];
	size_t n;
	FILE *p;
	int st;

	ck_assert_ptr_nonnull(p = popen("scripts/openapi-statuses " DOC " 2>&1", "r"));
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	st = pclose(p);
	/* Check's messages are short: the whole report goes to stderr. */
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fputs(out, stderr);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "scripts/openapi-statuses failed "
	    "(status %d; all of it above):\n%.3000s", WIFEXITED(st) ? WEXITSTATUS(st) : -1, out);
}
END_TEST

/*
 * Every route driven with representative requests: each status that comes
 * back must be one the document lists for that operation (500 may be left to
 * `default`), and one scripts/openapi-statuses finds a code path for, so the
 * static scan is checked against what the code really does.
 */
#define MAX_CAN 128

struct can {
	char method[8];
	char pattern[256];
	int statuses[32];
	int n;
};

static struct fx PF;
static struct can cans[MAX_CAN];
static int ncans;
static char tok_auditor[TOKEN_SECRET_LEN + 1], tok_team[TOKEN_SECRET_LEN + 1],
    tok_agent[TOKEN_SECRET_LEN + 1], tok_victim[TOKEN_SECRET_LEN + 1],
    id_victim[TOKEN_ID_LEN + 1];
static char grant_id[32], hold_id[32], stl_id[32];
static char probe_bad[16384];
static int probe_nbad, probe_nreq;

static void
read_cans(void)
{
	char line[1024], *tok, *save;
	FILE *p;
	int st;

	ncans = 0;
	ck_assert_ptr_nonnull(p = popen("scripts/openapi-statuses --can", "r"));
	while (fgets(line, sizeof(line), p)) {
		struct can *c;

		ck_assert_int_lt(ncans, MAX_CAN);
		c = &cans[ncans++];
		memset(c, 0, sizeof(*c));
		save = NULL;
		tok = strtok_r(line, " \n", &save);
		ck_assert_ptr_nonnull(tok);
		snprintf(c->method, sizeof(c->method), "%s", tok);
		tok = strtok_r(NULL, " \n", &save);
		ck_assert_ptr_nonnull(tok);
		snprintf(c->pattern, sizeof(c->pattern), "%s", tok);
		while ((tok = strtok_r(NULL, " \n", &save)) != NULL && c->n < 32)
			c->statuses[c->n++] = atoi(tok);
	}
	st = pclose(p);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "scripts/openapi-statuses --can failed");
	ck_assert_int_gt(ncans, 10);
}

static const struct can *
can_find(const char *method, const char *pattern)
{
	for (int i = 0; i < ncans; i++)
		if (strcmp(cans[i].method, method) == 0 && strcmp(cans[i].pattern, pattern) == 0)
			return &cans[i];
	return NULL;
}

static bool
has_status(const int *v, int n, int st)
{
	for (int i = 0; i < n; i++)
		if (v[i] == st)
			return true;
	return false;
}

/* Values for a pattern's {params}: ok names what the seed made, else a kind of wrong. */
enum pv { PV_OK, PV_MISSING, PV_MALFORMED };

static const char *
param_value(const char *pattern, const char *name, enum pv v)
{
	bool token = strncmp(pattern, "/v1/tokens/", 11) == 0;

	if (v == PV_MALFORMED)
		return "Bad_Id!";
	if (strcmp(name, "model") == 0)
		return v == PV_OK ? "B200" : "X999";
	if (strcmp(name, "id") == 0 && token)
		return v == PV_OK ? id_victim : "tok_0000000000000000";
	if (strcmp(name, "id") == 0)
		return v == PV_OK ? grant_id : "gr_999999";
	if (strcmp(name, "hold") == 0)
		return v == PV_OK ? hold_id : "hold_999999";
	if (strcmp(name, "settlement") == 0)
		return v == PV_OK ? stl_id : "stl_999999";
	if (v == PV_MISSING)
		return "nope";
	if (strcmp(name, "program") == 0)
		return "p";
	if (strcmp(name, "phase") == 0)
		return "ph";
	if (strcmp(name, "team") == 0)
		return "t1";
	if (strcmp(name, "pool") == 0)
		return "pa";
	if (strcmp(name, "supplier") == 0)
		return "s1";
	return "x";
}

static void
fill_path(const char *pattern, enum pv v, const char *query, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = pattern; *p && o + 1 < len; ) {
		if (*p == '{') {
			char name[32];
			const char *e = strchr(p, '}');
			size_t n = (size_t)(e - p - 1);

			ck_assert_ptr_nonnull(e);
			ck_assert_uint_lt(n, sizeof(name));
			memcpy(name, p + 1, n);
			name[n] = '\0';
			o += (size_t)snprintf(out + o, len - o, "%s", param_value(pattern, name, v));
			p = e + 1;
		} else {
			out[o++] = *p++;
		}
	}
	out[o < len ? o : len - 1] = '\0';
	if (query && *query)
		snprintf(out + strlen(out), len - strlen(out), "?%s", query);
}

/* One request to a route; its status is judged against the document and the scan. */
static void
probe(const struct doc *d, const struct route *r, const struct fx_rq *in, const char *what)
{
	const struct op *op = doc_find(d, r->method, r->pattern);
	const struct can *c = can_find(r->method, r->pattern);
	struct response rs = fx_call(&PF, in);
	int st = rs.status;

	probe_nreq++;
	if (op != NULL && !has_status(op->statuses, op->nstatus, st) &&
	    !(st == 500 && op->has_default)) {
		report(probe_bad, sizeof(probe_bad), "  %s:%d: %s %s answered %d (%s: %s %s), "
		    "not documented\n", DOC, op->line, r->method, r->pattern, st, what,
		    in->method, in->path);
		probe_nbad++;
	}
	if (c == NULL || !has_status(c->statuses, c->n, st)) {
		report(probe_bad, sizeof(probe_bad), "  %s %s answered %d (%s: %s %s), which "
		    "scripts/openapi-statuses finds no code path for\n", r->method, r->pattern,
		    st, what, in->method, in->path);
		probe_nbad++;
	}
	response_clear(&rs);
}

/* A body that gets past decoding, per route pattern; others get only the generic probes. */
static const struct {
	const char *pattern;
	const char *body;
} good_bodies[] = {
	{ "/v1/card-models/{model}", "{\"weight\":1}" },
	{ "/v1/card-models/{model}", "{\"weight\":0.7}" },
	{ "/v1/programs", "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}" },
	{ "/v1/programs", "{\"id\":\"p\",\"name\":\"Other\"}" },
	{ "/v1/programs", "{\"id\":\"p2\",\"name\":\"P2\"}" },
	{ "/v1/programs/{program}/phases", "{\"id\":\"ph2\",\"name\":\"Phase 2\",\"starts_on\":"
	    "\"2026-09-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\",\"cards\":8,"
	    "\"voucher_krw\":1000000}}" },
	{ "/v1/programs/{program}/phases", "{\"id\":\"ph3\",\"name\":\"Phase 3\",\"starts_on\":"
	    "\"2026-09-01\",\"period_days\":10,\"package\":{\"card_model\":\"X9\",\"cards\":8,"
	    "\"voucher_krw\":1000000}}" },
	{ "/v1/teams", "{\"id\":\"t3\",\"name\":\"T3\",\"lead_org\":\"O3\"}" },
	{ "/v1/teams", "{\"id\":\"t1\",\"name\":\"Renamed\",\"lead_org\":\"O1\"}" },
	{ "/v1/pools", "{\"id\":\"pb\",\"provider\":\"P\",\"site\":\"S\",\"card_model\":"
	    "\"B200\",\"cards\":4}" },
	{ "/v1/pools", "{\"id\":\"pc\",\"provider\":\"P\",\"site\":\"S\",\"card_model\":"
	    "\"X9\",\"cards\":4}" },
	{ "/v1/pools/{pool}/outages", "{\"from\":\"2026-03-02T00:00:00Z\",\"to\":"
	    "\"2026-03-02T06:00:00Z\",\"cards\":2,\"reason\":\"fan\"}" },
	{ "/v1/pools/{pool}/outages", "{\"from\":\"2026-03-02T00:00:00Z\",\"to\":"
	    "\"2026-03-02T06:00:00Z\",\"cards\":100,\"reason\":\"fire\"}" },
	{ "/v1/phases/{phase}/enrollments", "{\"team\":\"t2\",\"dry_run\":true}" },
	{ "/v1/phases/{phase}/enrollments", "{\"team\":\"t2\",\"grants\":[{\"pool\":\"pa\","
	    "\"cards\":4}]}" },
	{ "/v1/phases/{phase}/enrollments", "{\"team\":\"t2\",\"pools\":[]}" },
	{ "/v1/phases/{phase}/enrollments", "{\"team\":\"t1\"}" },
	{ "/v1/phases/{phase}/enrollments/{team}/eliminate", "{\"effective_on\":\"2026-03-02\","
	    "\"reason\":\"r\"}" },
	{ "/v1/phases/{phase}/enrollments/{team}/withdraw", "{\"effective_on\":\"2026-03-02\","
	    "\"reason\":\"r\"}" },
	{ "/v1/phases/{phase}/extend", "{\"days\":1,\"reason\":\"r\"}" },
	{ "/v1/phases/{phase}/extend", "{\"days\":3000,\"reason\":\"r\"}" },
	{ "/v1/phases/{phase}/compensate", "{\"dry_run\":true}" },
	{ "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"t1\"},\"pool\":\"pa\","
	    "\"cards\":1,\"start\":\"2026-03-02T00:00:00Z\",\"end\":\"2026-03-03T00:00:00Z\"}" },
	{ "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"t1\"},\"pool\":\"pa\","
	    "\"cards\":100,\"start\":\"2026-03-02T00:00:00Z\",\"end\":\"2026-03-03T00:00:00Z\"}" },
	{ "/v1/grants/{id}/release", "{\"at\":\"2026-03-05T00:00:00Z\",\"reason\":\"r\"}" },
	{ "/v1/grants/{id}/release", "{\"at\":\"2030-03-05T00:00:00Z\",\"reason\":\"r\"}" },
	{ "/v1/suppliers", "{\"id\":\"s2\",\"name\":\"S2\",\"org\":\"O-S2\"}" },
	{ "/v1/suppliers", "{\"id\":\"s1\",\"name\":\"Other\",\"org\":\"O-S1\"}" },
	{ "/v1/vouchers/holds", "{\"team\":\"t1\",\"phase\":\"ph\",\"supplier\":\"s1\","
	    "\"amount_krw\":1000}" },
	{ "/v1/vouchers/holds", "{\"team\":\"t1\",\"phase\":\"ph\",\"supplier\":\"s1\","
	    "\"amount_krw\":999999999}" },
	{ "/v1/vouchers/holds", "{\"team\":\"t1\",\"phase\":\"ph\",\"supplier\":\"own\","
	    "\"amount_krw\":1000}" },
	{ "/v1/vouchers/holds/{hold}/settle", "{\"amount_krw\":1}" },
	{ "/v1/vouchers/settlements/{settlement}/refund", "{\"amount_krw\":1,\"reason\":\"r\"}" },
	{ "/v1/vouchers/settlements/{settlement}/refund", "{\"amount_krw\":99999999,"
	    "\"reason\":\"r\"}" },
	{ "/v1/tokens", "{\"name\":\"n\",\"role\":\"team\",\"team\":\"nope\"}" },
	{ "/v1/tokens", "{\"name\":\"n\",\"role\":\"auditor\"}" },
	{ "/v1/usage", "{\"batch_id\":\"b1\",\"samples\":[{\"pool\":\"pa\",\"team\":\"t1\","
	    "\"from\":\"2026-02-28T00:00:00Z\",\"to\":\"2026-02-28T01:00:00Z\","
	    "\"gpu_seconds\":3600}]}" },
	{ "/v1/usage", "{\"batch_id\":\"b1\",\"samples\":[]}" },
	{ "/v1/usage", "{\"batch_id\":\"b2\",\"samples\":[{\"pool\":\"nope\",\"team\":\"t1\","
	    "\"from\":\"2026-02-28T00:00:00Z\",\"to\":\"2026-02-28T01:00:00Z\","
	    "\"gpu_seconds\":1}]}" },
};

/* Queries a read may take, right or wrong. */
static const char *const queries[] = { "limit=0", "limit=1", "after=", "after=zzz",
	"after=gr_1", "at=bad", "at=2026-03-05T00:00:00Z", "from=bad", "from=2026-03-01T00:00:00Z"
	"&to=2040-03-01T00:00:00Z", "format=xml", "format=csv", "team=t2", "team=nope",
	"state=bogus", "state=expired", "phase=nope", "phase=ph", "pool=pa", "as_of=1" };

static void
probe_seed(void)
{
	struct response rs;

	fx_open(&PF);
	fx_must(&PF, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\",\"timezone\":\"UTC\"}",
	    201);
	fx_must(&PF, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":"
	    "\"B200\",\"cards\":8,\"voucher_krw\":1000000}}", 201);
	fx_must(&PF, "POST", "/v1/pools", "{\"id\":\"pa\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":16}", 201);
	fx_must(&PF, "POST", "/v1/teams", "{\"id\":\"t1\",\"name\":\"T1\",\"lead_org\":\"O1\","
	    "\"members\":[{\"org\":\"O1\",\"role\":\"lead\"}]}", 201);
	fx_must(&PF, "POST", "/v1/teams", "{\"id\":\"t2\",\"name\":\"T2\",\"lead_org\":\"O2\"}",
	    201);
	fx_must(&PF, "POST", "/v1/suppliers", "{\"id\":\"s1\",\"name\":\"S1\",\"org\":\"O-S1\"}",
	    201);
	fx_must(&PF, "POST", "/v1/suppliers", "{\"id\":\"own\",\"name\":\"Own\",\"org\":\"O1\"}",
	    201);
	rs = fx_post(&PF, "/v1/phases/ph/enrollments", "{\"team\":\"t1\"}");
	ck_assert_int_eq(rs.status, 201);
	snprintf(grant_id, sizeof(grant_id), "%s",
	    fx_str(json_array_get(fx_at(rs.json, "grants"), 0), "id"));
	response_clear(&rs);
	rs = fx_post(&PF, "/v1/vouchers/holds", "{\"team\":\"t1\",\"phase\":\"ph\","
	    "\"supplier\":\"s1\",\"amount_krw\":5000}");
	ck_assert_int_eq(rs.status, 201);
	snprintf(hold_id, sizeof(hold_id), "%s", fx_str(rs.json, "id"));
	response_clear(&rs);
	rs = fx_post(&PF, "/v1/vouchers/holds", "{\"team\":\"t1\",\"phase\":\"ph\","
	    "\"supplier\":\"s1\",\"amount_krw\":5000}");
	ck_assert_int_eq(rs.status, 201);
	{
		char path[128];

		snprintf(path, sizeof(path), "/v1/vouchers/holds/%s/settle",
		    fx_str(rs.json, "id"));
		response_clear(&rs);
		rs = fx_post(&PF, path, "{}");
		ck_assert_int_eq(rs.status, 200);
		snprintf(stl_id, sizeof(stl_id), "%s", fx_str(rs.json, "settlement"));
		response_clear(&rs);
	}
	fx_token(&PF, "auditor", ROLE_AUDITOR, NULL, NULL, tok_auditor, NULL);
	/* DELETE /v1/tokens/{id} revokes this one, not a token the probes use. */
	fx_token(&PF, "victim", ROLE_AUDITOR, NULL, NULL, tok_victim, id_victim);
	fx_token(&PF, "team-one", ROLE_TEAM, "t1", NULL, tok_team, NULL);
	fx_token(&PF, "agent-a", ROLE_AGENT, NULL, "pa", tok_agent, NULL);
}

static void
probe_route(const struct doc *d, const struct route *r)
{
	const char *tokens[] = { NULL, tok_auditor, tok_team, tok_agent, PF.admin };
	const char *names[] = { "no token", "auditor", "team", "agent", "admin" };
	bool write = (r->flags & ROUTE_WRITE) != 0;
	char path[512], key[64], what[64];
	struct fx_rq in;

	/* Who asks. */
	for (size_t t = 0; t < sizeof(tokens) / sizeof(tokens[0]); t++) {
		fill_path(r->pattern, PV_OK, NULL, path, sizeof(path));
		in = (struct fx_rq){ .method = r->method, .path = path, .token = tokens[t],
			.body = write && strcmp(r->method, "DELETE") != 0 ? "{}" : NULL };
		probe(d, r, &in, names[t]);
	}
	/* What the path names. */
	for (enum pv v = PV_MISSING; v <= PV_MALFORMED; v++) {
		if (!strchr(r->pattern, '{'))
			break;
		fill_path(r->pattern, v, NULL, path, sizeof(path));
		in = (struct fx_rq){ .method = r->method, .path = path, .token = PF.admin,
			.body = write && strcmp(r->method, "DELETE") != 0 ? "{}" : NULL };
		probe(d, r, &in, v == PV_MISSING ? "no such id" : "malformed id");
	}
	if (!write) {
		for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
			fill_path(r->pattern, PV_OK, queries[q], path, sizeof(path));
			in = (struct fx_rq){ .method = r->method, .path = path, .token = PF.admin };
			probe(d, r, &in, "query");
			in.token = tok_team;
			probe(d, r, &in, "query, team");
		}
		return;
	}
	/* A change: its key, its media type, its body. */
	fill_path(r->pattern, PV_OK, NULL, path, sizeof(path));
	in = (struct fx_rq){ .method = r->method, .path = path, .token = PF.admin,
		.body = "{}", .idem = "" };
	probe(d, r, &in, "empty Idempotency-Key");
	in.idem = "bad\x01key";
	probe(d, r, &in, "Idempotency-Key with a control character");
	snprintf(key, sizeof(key), "probe-%d", probe_nreq);
	in.idem = key;
	probe(d, r, &in, "Idempotency-Key");
	probe(d, r, &in, "the same again");
	in.body = "{\"other\":1}";
	probe(d, r, &in, "the same key, another body");
	in = (struct fx_rq){ .method = r->method, .path = path, .token = PF.admin };
	probe(d, r, &in, "no body");
	in.body = "{}";
	in.ctype = "text/plain";
	probe(d, r, &in, "text/plain");
	in.ctype = NULL;
	in.body = "not json";
	probe(d, r, &in, "not JSON");
	in.body = "[1]";
	probe(d, r, &in, "an array");
	in.body = "{\"unknown_field\":1}";
	probe(d, r, &in, "an unknown field");
	in.body = "{\"override\":{\"reason\":\"r\"}}";
	probe(d, r, &in, "override alone");
	for (size_t b = 0; b < sizeof(good_bodies) / sizeof(good_bodies[0]); b++) {
		if (strcmp(good_bodies[b].pattern, r->pattern) != 0)
			continue;
		snprintf(what, sizeof(what), "body %zu", b);
		in = (struct fx_rq){ .method = r->method, .path = path, .token = PF.admin,
			.body = good_bodies[b].body };
		probe(d, r, &in, what);
		in.token = tok_team;
		probe(d, r, &in, what);
	}
}

START_TEST(every_status_returned_is_documented)
{
	struct doc d;

	parse_doc(&d);
	read_cans();
	probe_seed();
	probe_bad[0] = '\0';
	probe_nbad = probe_nreq = 0;
	for (int t = 0; route_tables[t]; t++)
		for (const struct route *r = route_tables[t]; r->method; r++)
			probe_route(&d, r);
	fx_close(&PF);
	ck_assert_int_gt(probe_nreq, 100);
	if (probe_nbad)
		fputs(probe_bad, stderr);
	ck_assert_msg(probe_nbad == 0, "%d of %d probes got a status that is not documented "
	    "or not found in the code (all of them above):\n%.3000s", probe_nbad, probe_nreq,
	    probe_bad);
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
	tcase_add_test(tc, ui_prefix_is_not_api);
	tcase_add_test(tc, every_route_documented);
	tcase_add_test(tc, every_documented_route_exists);
	tcase_add_test(tc, roles_security_and_idempotency_match);
	tcase_add_test(tc, document_validates);
	tcase_add_test(tc, statuses_agree_with_code);
	tcase_add_test(tc, every_status_returned_is_documented);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
