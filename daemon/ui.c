/* ui.c: the dashboard's static files, read from [ui] root for GET and HEAD under /ui/. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "ui.h"

const char ui_route[] = "/ui/";

/*
 * The policy allows this origin's files and API and nothing else: no
 * inline script or style (so an injected string cannot run), no plugin,
 * no framing (clickjacking), no <base> and no form posted elsewhere.
 * img-src data: is for the hatch patterns drawn as SVG data URLs.
 */
const char *const ui_headers[][2] = {
	{ "Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "
	    "img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; "
	    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'" },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "no-referrer" },
	{ "X-Frame-Options", "DENY" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Cross-Origin-Resource-Policy", "same-origin" },
	{ NULL, NULL },
};

/*
 * The types served, by file name ending; any other file is 404, so that a
 * stray file in the root is never served as something a browser guesses.
 */
static const struct {
	const char *ext;
	const char *type;
} types[] = {
	{ ".html", "text/html; charset=utf-8" },
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".mjs", "text/javascript; charset=utf-8" },
	{ ".json", "application/json" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/vnd.microsoft.icon" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".woff2", "font/woff2" },
};

/* Revalidated on every use: cheap with the ETag, and an upgrade shows at once. */
#define CACHE_FILES "no-cache"

bool
ui_claims(const char *path)
{
	return strncmp(path, "/ui", 3) == 0 && (path[3] == '\0' || path[3] == '/');
}

static void
reply_text(struct ui_reply *out, int status, const char *text)
{
	size_t n = strlen(text);

	out->status = status;
	out->content_type = "text/plain; charset=utf-8";
	out->cache_control = "no-store";
	if ((out->body = malloc(n)) != NULL) {
		memcpy(out->body, text, n);
		out->len = n;
	}
}

static const char *
type_of(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t e = strlen(types[i].ext);

		if (n > e && strcmp(name + n - e, types[i].ext) == 0)
			return types[i].type;
	}
	return NULL;
}

/*
 * Whether rel (the path below /ui/, "" for the index) names something that
 * may be served: segments of [A-Za-z0-9._-], none empty or starting with
 * '.', at most UI_DEPTH_MAX of them.  A trailing '/' has been replaced by
 * index.html already.
 */
static bool
safe_path(const char *rel)
{
	int segs = 0;
	const char *s = rel;

	if (*s == '\0')
		return false;
	for (;;) {
		const char *e = s;

		if (*s == '.' || *s == '/' || *s == '\0')
			return false;
		while (*e != '/' && *e != '\0') {
			char c = *e;

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
				return false;
			e++;
		}
		if (++segs > UI_DEPTH_MAX + 1)
			return false;
		if (*e == '\0')
			return true;
		s = e + 1;
	}
}

/*
 * Opens rel below the directory root one segment at a time, never following
 * a symbolic link (O_NOFOLLOW at each step), so nothing outside root can be
 * reached however the tree below it is laid out.  The root itself may be a
 * link: it is the administrator's choice.  Returns a descriptor, or -1.
 */
static int
open_below(const char *root, const char *rel)
{
	char seg[UI_PATH_MAX];
	int dir, fd;

	if ((dir = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	for (;;) {
		const char *slash = strchr(rel, '/');
		size_t n = slash ? (size_t)(slash - rel) : strlen(rel);

		memcpy(seg, rel, n);
		seg[n] = '\0';
		if (slash == NULL) {
			/* O_NONBLOCK: a FIFO put in the tree must not hang the loop. */
			fd = openat(dir, seg, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
			close(dir);
			return fd;
		}
		fd = openat(dir, seg, O_RDONLY | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		close(dir);
		if (fd < 0)
			return -1;
		dir = fd;
		rel = slash + 1;
	}
}

/* Whether the If-None-Match list holds etag (weak or strong) or "*". */
static bool
etag_matches(const char *inm, const char *etag)
{
	size_t n = strlen(etag);
	const char *p = inm;

	while (*p) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' ' ||
		    p[n] == '\t'))
			return true;
		while (*p && *p != ',')
			p++;
	}
	return false;
}

static int
read_all(int fd, char *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = read(fd, buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

int
ui_serve(const char *root, const char *method, const char *path,
    const char *if_none_match, struct ui_reply *out)
{
	char rel[UI_PATH_MAX + sizeof("index.html")];
	const char *type;
	struct stat st;
	struct tm tm;
	size_t n;
	int fd;

	memset(out, 0, sizeof(*out));
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		out->allow = "GET, HEAD";
		reply_text(out, 405, "the dashboard's files answer GET and HEAD only\n");
		goto done;
	}
	n = strlen(path);
	if (n > UI_PATH_MAX) {
		reply_text(out, 414, "path too long\n");
		goto done;
	}
	if (strcmp(path, "/ui") == 0) {
		/* Relative links in the pages resolve against /ui/, not /. */
		out->location = "/ui/";
		reply_text(out, 301, "moved to /ui/\n");
		goto done;
	}
	snprintf(rel, sizeof(rel), "%s%s", path + 4, path[n - 1] == '/' ? "index.html" : "");
	if (root[0] == '\0') {
		reply_text(out, 404, "no dashboard here: [ui] root is not set\n");
		goto done;
	}
	if (!safe_path(rel) || (type = type_of(rel)) == NULL ||
	    (fd = open_below(root, rel)) < 0) {
		reply_text(out, 404, "not found\n");
		goto done;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > UI_FILE_MAX) {
		close(fd);
		reply_text(out, 404, "not found\n");
		goto done;
	}
	/* Size and modification time to the nanosecond: a new file is a new tag. */
	snprintf(out->etag, sizeof(out->etag), "\"%llx-%llx.%lx\"", (unsigned long long)st.st_size,
	    (unsigned long long)st.st_mtim.tv_sec, (unsigned long)st.st_mtim.tv_nsec);
	if (gmtime_r(&st.st_mtim.tv_sec, &tm) != NULL)
		strftime(out->last_modified, sizeof(out->last_modified),
		    "%a, %d %b %Y %H:%M:%S GMT", &tm);
	out->cache_control = CACHE_FILES;
	if (if_none_match != NULL && etag_matches(if_none_match, out->etag)) {
		close(fd);
		out->status = 304;
		goto done;
	}
	out->content_type = type;
	/* One byte more than needed, so that a file of size 0 still has a buffer. */
	if ((out->body = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		out->status = 500;
		return GD_ENOMEM;
	}
	if (read_all(fd, out->body, (size_t)st.st_size) < 0) {
		close(fd);
		ui_reply_clear(out);
		out->etag[0] = out->last_modified[0] = '\0';
		reply_text(out, 500, "cannot read the file\n");
		goto done;
	}
	close(fd);
	out->len = (size_t)st.st_size;
	out->status = 200;
done:
	return out->status >= 400 && out->body == NULL ? GD_ENOMEM : 0;
}

void
ui_reply_clear(struct ui_reply *r)
{
	if (r == NULL)
		return;
	free(r->body);
	r->body = NULL;
	r->len = 0;
}
