/* ui.h: the dashboard's static files, GET and HEAD under /ui/ from [ui] root. */
#ifndef GRANTD_UI_H
#define GRANTD_UI_H

#include <stdbool.h>
#include <stddef.h>

/* The longest request path served; a longer one under /ui/ is 414. */
#define UI_PATH_MAX 256
/* Directories below the root a path may go through. */
#define UI_DEPTH_MAX 8
/* The largest file served: the dashboard's files are a few tens of KiB. */
#define UI_FILE_MAX (4 * 1024 * 1024)

/* The route label of every /ui/ request in the metrics and the access log. */
extern const char ui_route[];

/*
 * Headers every /ui/ reply carries, NULL-terminated pairs of name and value:
 * the Content-Security-Policy that allows nothing but this origin's own
 * files and API (no inline script or style, no framing), nosniff, no
 * referrer.  docs/dashboard.md says why each is there.
 */
extern const char *const ui_headers[][2];

/*
 * One reply.  body is the caller's to free (ui_reply_clear); the strings
 * content_type, location, allow and cache_control are static.
 */
struct ui_reply {
	int status;		/* 200, 301, 304, 404, 405 or 414 */
	char *body;		/* NULL: no body */
	size_t len;
	const char *content_type;
	const char *cache_control;
	const char *location;	/* 301 only */
	const char *allow;	/* 405 only */
	char etag[64];		/* "" when none */
	char last_modified[40];	/* an IMF-fixdate; "" when none */
};

/* Whether path is the dashboard's: "/ui" or "/ui/...". */
bool ui_claims(const char *path);

/*
 * Answers method on path (decoded, without the query) from the directory
 * root.  if_none_match is the request's If-None-Match header, or NULL.
 * Only regular files below root are served, reached through directories
 * only: a path with an empty segment, a segment starting with '.', a
 * character outside [A-Za-z0-9._-] or a symbolic link anywhere below root
 * is 404, as is a file of a type the table does not know.  Returns 0, or
 * GD_ENOMEM (out then holds a reply without a body).
 */
int ui_serve(const char *root, const char *method, const char *path,
    const char *if_none_match, struct ui_reply *out);

/* Frees the body; accepts a cleared reply. */
void ui_reply_clear(struct ui_reply *r);

#endif
