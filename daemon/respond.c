/* respond.c: every way of building a reply, and reading requests, shared by every route. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"
#include "err.h"
#include "jsonv.h"
#include "log.h"
#include "request.h"

void
response_clear(struct response *rs)
{
	json_decref(rs->json);
	free(rs->text);
	memset(rs, 0, sizeof(*rs));
}

void
resp_json(struct response *rs, int status, json_t *body)
{
	response_clear(rs);
	rs->status = status;
	rs->json = body;
}

static const char *
status_title(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

/* Length of the valid UTF-8 sequence at s, or 0 when it is not one. */
static size_t
utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/*
 * Details quote client input (a path, a cut-off value), which need not be
 * valid UTF-8, and JSON must be: each byte of a broken sequence becomes '?'.
 */
static void
utf8_repair(char *s)
{
	size_t n;

	while (*s) {
		if ((n = utf8_len((const unsigned char *)s)) == 0) {
			*s++ = '?';
			continue;
		}
		s += n;
	}
}

void
resp_problem(struct response *rs, int status, const char *code, const char *fmt, ...)
{
	char detail[1024], type[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	utf8_repair(detail);
	snprintf(type, sizeof(type), "urn:grantd:problem:%s", code);
	resp_json(rs, status, json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", type,
	    "title", status_title(status), "status", status, "detail", detail,
	    "code", code));
	rs->problem = true;
}

void
resp_error(struct response *rs, int gd_err, const char *detail)
{
	static const struct {
		int err, status;
		const char *code;
	} map[] = {
		{ GD_EINVAL, 400, "bad_request" },
		{ GD_ERANGE, 400, "bad_request" },
		{ GD_ENOENT, 404, "not_found" },
		{ GD_EEXIST, 409, "already_exists" },
		{ GD_ECONFLICT, 409, "conflict" },
		{ GD_ECAPACITY, 409, "capacity_exceeded" },
		{ GD_ENOCAPACITY, 409, "no_capacity" },
		{ GD_EFAIRNESS, 409, "fairness_violation" },
		{ GD_EFUNDS, 409, "insufficient_funds" },
		{ GD_ERELATED, 409, "related_party" },
		{ GD_ESTATE, 409, "invalid_state" },
		{ GD_EIO, 503, "unavailable" },
		{ GD_EFORBIDDEN, 403, "forbidden" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].err == gd_err) {
			resp_problem(rs, map[i].status, map[i].code, "%s", detail);
			return;
		}
	}
	resp_problem(rs, 500, "internal", "%s", detail);
}

const char *
req_query(const struct request *rq, const char *key)
{
	for (int i = 0; i < rq->nquery; i++)
		if (strcmp(rq->query[i].key, key) == 0)
			return rq->query[i].value;
	return NULL;
}

static int
json_depth(const json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	int d = 0, c;

	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, k, v)
			if ((c = json_depth(v)) > d)
				d = c;
		return d + 1;
	}
	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			if ((c = json_depth(v)) > d)
				d = c;
		return d + 1;
	}
	return 0;
}

bool
req_is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (ct == NULL || strncasecmp(ct, "application/json", n) != 0)
		return false;
	/* Parameters may follow; only UTF-8 is accepted when a charset is named. */
	ct += n;
	while (*ct == ' ')
		ct++;
	if (*ct == '\0')
		return true;
	if (*ct != ';')
		return false;
	ct++;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, "charset=", 8) != 0 || strcasecmp(ct + 8, "utf-8") == 0 ||
	    strcasecmp(ct + 8, "\"utf-8\"") == 0;
}

json_t *
req_json(const struct request *rq, struct response *rs)
{
	json_error_t e;
	json_t *j;
	int max = rq->app->cfg.server.max_json_depth;

	if (!req_is_json_type(rq->content_type)) {
		resp_problem(rs, 415, "unsupported_media_type",
		    "request body must be application/json, got %s",
		    rq->content_type ? rq->content_type : "no Content-Type");
		return NULL;
	}
	/*
	 * jansson refuses invalid UTF-8, "\u0000", integers beyond int64 and
	 * (with this flag) duplicate keys; its own depth cap protects the stack
	 * while parsing, ours is the configured limit.
	 */
	j = json_loadb(rq->body ? rq->body : "", rq->body_len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL) {
		resp_problem(rs, 400, "bad_request", "invalid JSON at line %d column %d: %s",
		    e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		resp_problem(rs, 400, "bad_request", "request body must be a JSON object");
		return NULL;
	}
	if (json_depth(j) > max) {
		json_decref(j);
		resp_problem(rs, 400, "bad_request", "JSON nested deeper than %d levels", max);
		return NULL;
	}
	return j;
}

bool
req_team_allowed(const struct request *rq, struct response *rs, const char *team)
{
	if (rq->who->role != ROLE_TEAM || strcmp(rq->who->team, team) == 0)
		return true;
	resp_problem(rs, 403, "forbidden", "token '%s' may only see team '%s'",
	    rq->who->id, rq->who->team);
	return false;
}

bool
parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0' || !((*s >= '0' && *s <= '9') || *s == '-'))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
req_list_params(const struct request *rq, struct response *rs, int64_t *limit,
    const char **after)
{
	const char *l = req_query(rq, "limit"), *a = req_query(rq, "after");

	*limit = 100;
	if (l && !parse_int(l, 1, 1000, limit)) {
		resp_problem(rs, 400, "bad_request", "limit must be an integer from 1 to 1000");
		return false;
	}
	if (a && (strlen(a) == 0 || strlen(a) > 256)) {
		resp_problem(rs, 400, "bad_request", "after must be a cursor from a previous page");
		return false;
	}
	*after = a;
	return true;
}

json_t *
list_body(json_t *items, const char *next)
{
	return json_pack("{s:o, s:s?}", "items", items, "next", next);
}

json_t *
req_decode(const struct request *rq, struct response *rs, const struct jv_field *fields,
    size_t n)
{
	char err[GD_ERRBUF];
	json_t *j = req_json(rq, rs);

	if (j == NULL)
		return NULL;
	if (jv_decode(j, fields, n, NULL, err, sizeof(err)) < 0) {
		json_decref(j);
		resp_problem(rs, 400, "bad_request", "%s", err);
		return NULL;
	}
	return j;
}

json_t *
req_decode_opt(const struct request *rq, struct response *rs, const struct jv_field *fields,
    size_t n)
{
	if (rq->body_len == 0)
		return json_object();
	return req_decode(rq, rs, fields, n);
}

bool
req_override(const struct request *rq, struct response *rs, json_t *ov, const char **reason)
{
	const struct jv_field f[] = {
		{ "reason", JV_TEXT, JV_REQUIRED, 0, REASON_MAX_LEN, reason, NULL },
	};
	char err[GD_ERRBUF];

	*reason = NULL;
	if (ov == NULL)
		return true;
	if (rq->who->role != ROLE_ADMIN) {
		resp_problem(rs, 403, "forbidden", "only an admin may override fairness rules");
		return false;
	}
	if (jv_decode(ov, f, 1, "override.", err, sizeof(err)) < 0) {
		resp_problem(rs, 400, "bad_request", "%s", err);
		return false;
	}
	return true;
}

void
resp_store_error(struct response *rs, int rc)
{
	if (rc == GD_ENOMEM)
		resp_problem(rs, 503, "unavailable", "out of memory");
	else if (rc == GD_ERANGE) {
		/* An overflow the input limits did not prevent: ours, and said so. */
		log_error("a figure went beyond what grantd can count (overflow); nothing was "
		    "applied");
		resp_problem(rs, 500, "internal", "a figure is beyond what grantd can count (an "
		    "overflow); nothing was applied; the daemon's log has it");
	} else
		resp_problem(rs, 503, "unavailable", "storage error; nothing was applied");
}

/* Replies of the route families: exists, list, get, refusals. */

bool
json_subset(const json_t *want, const json_t *have)
{
	const char *k;
	json_t *v;
	size_t i;

	/* Arrays item by item: what the client sent may lack what the server adds. */
	if (json_is_array(want) && json_is_array(have)) {
		if (json_array_size(want) != json_array_size(have))
			return false;
		json_array_foreach(want, i, v)
			if (!json_subset(v, json_array_get(have, i)))
				return false;
		return true;
	}
	if (!json_is_object(want) || !json_is_object(have))
		return json_equal(want, have);
	json_object_foreach((json_t *)want, k, v)
		if (!json_subset(v, json_object_get(have, k)))
			return false;
	return true;
}

void
resp_exists(struct response *rs, json_t *have, const json_t *want, const char *what,
    const char *id)
{
	if (json_subset(want, have)) {
		resp_json(rs, 200, have);
		return;
	}
	json_decref(have);
	resp_problem(rs, 409, "already_exists", "%s '%s' already exists with different values",
	    what, id);
}

void
resp_list(struct response *rs, int rc, json_t **items, char **next)
{
	if (rc < 0) {
		resp_store_error(rs, rc);
		return;
	}
	resp_json(rs, 200, list_body(*items, *next));
	free(*next);
}

void
resp_get(struct response *rs, int rc, json_t **obj, const char *what, const char *id)
{
	if (rc == 0)
		resp_json(rs, 200, *obj);
	else if (rc == GD_ENOENT)
		resp_problem(rs, 404, "not_found", "%s '%s' does not exist", what, id);
	else
		resp_store_error(rs, rc);
}

bool
check_id_param(struct response *rs, const char *s, const char *what)
{
	if (jv_valid_id(s))
		return true;
	resp_problem(rs, 404, "not_found", "%s id in the path must match [a-z0-9][a-z0-9-]{0,62}",
	    what);
	return false;
}

/* The first violation's detail says what broke; the rest are in "violations". */
void
resp_violations(struct response *rs, json_t *violations)
{
	const char *detail = json_string_value(json_object_get(json_array_get(violations, 0),
	    "detail"));

	resp_problem(rs, 409, "fairness_violation", "%s%s",
	    detail ? detail : "fairness rule broken",
	    json_array_size(violations) > 1 ? " (and more: see violations)" : "");
	json_object_set_new(rs->json, "violations", violations);
}

void
resp_failure(struct response *rs, int rc, const char *err)
{
	if (err[0] != '\0')
		resp_error(rs, rc, err);
	else
		resp_store_error(rs, rc);
}

void
resp_refusal(struct response *rs, int rc, const char *err, json_t *violations)
{
	if (rc == GD_EFAIRNESS && violations != NULL)
		resp_violations(rs, violations);
	else
		resp_failure(rs, rc, err);
}
