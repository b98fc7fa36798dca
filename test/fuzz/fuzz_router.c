/* fuzz_router.c: libFuzzer target for route matching (daemon/router.c router_match). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* dispatch() matches into a buffer of this size. */
#define BUFLEN 2048
#define MAXSEGS 16

static const char *const methods[] = {
	"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "get", "",
};

/*
 * A reference matcher, written the slow and obvious way: the path is split at
 * every '/', a pattern segment "{x}" matches any non-empty segment, others
 * match themselves.  router_match must agree with it on every input: the
 * same route (first in table order whose pattern and method match), the same
 * 405/404 distinction, and parameters that put back into the pattern give the
 * path again.
 */
static int
split(const char *s, char segs[][BUFLEN], int max)
{
	int n = 0;
	const char *e;

	for (;;) {
		e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (n == max)
			return -1;
		memcpy(segs[n], s, len);
		segs[n][len] = '\0';
		n++;
		if (e == NULL)
			return n;
		s = e + 1;
	}
}

static char psegs[MAXSEGS][BUFLEN], rsegs[MAXSEGS + 1][BUFLEN];

static bool
ref_match(const char *pattern, int npath)
{
	int n = split(pattern + 1, rsegs, MAXSEGS + 1);

	if (n != npath)
		return false;
	for (int i = 0; i < n; i++) {
		if (rsegs[i][0] == '{') {
			if (psegs[i][0] == '\0')
				return false;
		} else if (strcmp(rsegs[i], psegs[i]) != 0) {
			return false;
		}
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *method;
	const struct route *r, *want = NULL;
	struct request rq;
	bool known, want_known = false;
	char *path, *buf;
	int npath = -1;

	if (size < 1 || size > 4 * BUFLEN)
		return 0;
	method = methods[data[0] % (sizeof(methods) / sizeof(methods[0]))];
	/* The path as MHD hands it over: percent-decoded, cut at the first NUL. */
	path = malloc(size);
	memcpy(path, data + 1, size - 1);
	path[size - 1] = '\0';
	/* Exactly BUFLEN bytes on the heap, so ASan sees one byte too many. */
	buf = malloc(BUFLEN);
	memset(&rq, 0, sizeof(rq));

	r = router_match(method, path, &rq, buf, BUFLEN, &known);

	if (path[0] == '/' && strlen(path) < BUFLEN)
		npath = split(path + 1, psegs, MAXSEGS);
	if (npath > 0) {
		for (int t = 0; route_tables[t] && want == NULL; t++) {
			for (const struct route *x = route_tables[t]; x->method; x++) {
				if (!ref_match(x->pattern, npath))
					continue;
				/* HEAD is served by the GET route (the body left out). */
				if (strcmp(x->method, method) == 0 || (strcmp(method, "HEAD") == 0 &&
				    strcmp(x->method, "GET") == 0)) {
					want = x;
					break;
				}
				want_known = true;
			}
		}
	}
	FUZZ_CHECK(r == want, "%s %s: matched %s %s, the reference %s %s", method, path,
	    r ? r->method : "-", r ? r->pattern : "-", want ? want->method : "-",
	    want ? want->pattern : "-");
	if (r == NULL) {
		FUZZ_CHECK(known == want_known, "%s %s: path_known %d, the reference %d",
		    method, path, known, want_known);
	} else {
		char rebuilt[BUFLEN + 16];
		size_t n = 0;
		int np = 0;

		/* Put the parameters back into the pattern: the path again. */
		for (const char *p = r->pattern; *p;) {
			if (*p == '{') {
				FUZZ_CHECK(np < rq.nparams, "%s: too few parameters", path);
				const char *v = rq.params[np++];

				FUZZ_CHECK(v >= buf && v < buf + BUFLEN, "parameter outside buf");
				FUZZ_CHECK(*v != '\0' && strchr(v, '/') == NULL, "parameter \"%s\"", v);
				n += (size_t)snprintf(rebuilt + n, sizeof(rebuilt) - n, "%s", v);
				p = strchr(p, '}') + 1;
			} else {
				rebuilt[n++] = *p++;
			}
			FUZZ_CHECK(n < sizeof(rebuilt), "rebuilt path too long");
		}
		rebuilt[n] = '\0';
		FUZZ_CHECK(np == rq.nparams && rq.nparams <= REQ_MAX_PARAMS,
		    "%d parameters, pattern has %d", rq.nparams, np);
		FUZZ_CHECK(strcmp(rebuilt, path) == 0, "%s matched %s but rebuilds as %s", path,
		    r->pattern, rebuilt);
	}
	free(buf);
	free(path);
	return 0;
}
