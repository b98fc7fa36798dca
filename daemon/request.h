/* request.h: the plain request and response a route handler sees. */
#ifndef GRANTD_REQUEST_H
#define GRANTD_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct db;

enum role {
	ROLE_ADMIN = 1 << 0,
	ROLE_AUDITOR = 1 << 1,
	ROLE_TEAM = 1 << 2,
	ROLE_AGENT = 1 << 3,
};

#define ID_MAX 63		/* [a-z0-9][a-z0-9-]{0,62} */
#define NODE_MAX 63		/* a node's host name: [A-Za-z0-9][A-Za-z0-9._-]{0,62} */
#define NAME_MAX_LEN 200	/* names, organisations, reasons: bytes of UTF-8 */
#define REASON_MAX_LEN 2000
#define REQ_MAX_PARAMS 4
#define REQ_MAX_QUERY 16
#define REQUEST_ID_MAX 255	/* X-Request-Id: printable ASCII, as an Idempotency-Key */

/* Who is asking: a token's identity and binding.  Plain data, no ownership. */
struct principal {
	char id[40];
	char name[NAME_MAX_LEN + 1];
	enum role role;
	char team[ID_MAX + 1];	/* role team only */
	char pool[ID_MAX + 1];	/* role agent only */
	char node[NODE_MAX + 1];	/* role agent bound to one node of its pool; "" when not */
};

/*
 * A request as handlers see it: no sockets, no libmicrohttpd.  Strings
 * point into memory owned by the transport for the duration of the call.
 * db is the reader connection for GETs, and the writer, inside the open
 * group-commit transaction and a savepoint of the request's own, for changes.
 */
struct request {
	struct app *app;
	struct db *db;
	const char *method;
	const char *path;
	const char *params[REQ_MAX_PARAMS];
	int nparams;
	struct {
		const char *key, *value;
	} query[REQ_MAX_QUERY];
	int nquery;
	const char *body;
	size_t body_len;
	const char *content_type;
	const char *request_id;
	const char *idem_key;
	const struct principal *who;
	int64_t now;
	const char *route;	/* the matched pattern, for metrics (set by dispatch) */
};

/*
 * A response: either a JSON body (owned; freed by the transport) or a text
 * body (owned, malloc'd) with its content type.
 */
struct response {
	int status;
	json_t *json;
	char *text;
	size_t text_len;
	const char *content_type;
	bool replayed;
	bool problem;
	char allow[40];		/* a 405's Allow header */
	int64_t retry_after;	/* a 429's Retry-After in seconds; 0: none */
};

/*
 * How JSON replies are written, on the wire and in stored idempotent
 * replies alike: compact, and reals with 15 significant digits so that a
 * weight of 0.6 reads 0.6 and not its nearest binary fraction.
 */
#define RESP_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

void response_clear(struct response *rs);

/* Fill rs with a JSON body (stolen reference). */
void resp_json(struct response *rs, int status, json_t *body);

/* Fill rs with an application/problem+json body. */
void resp_problem(struct response *rs, int status, const char *code,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A problem from a GD_* error code and a detail text. */
void resp_error(struct response *rs, int gd_err, const char *detail);

/* Query parameter by name, NULL when absent. */
const char *req_query(const struct request *rq, const char *key);

/* Whether a Content-Type is application/json (UTF-8, if a charset is named). */
bool req_is_json_type(const char *ct);

/*
 * Parses the body as one JSON object: checks the content type, refuses
 * duplicate keys, invalid UTF-8 and nesting deeper than the configured
 * limit.  On failure fills rs with the problem and returns NULL.
 */
json_t *req_json(const struct request *rq, struct response *rs);

/* Role and team checks; on refusal they fill rs (403) and return false. */
bool req_team_allowed(const struct request *rq, struct response *rs, const char *team);



/*
 * ?limit= (1..1000, default 100) and ?after= of list routes.  On a bad
 * value fills rs (400) and returns false.
 */
bool req_list_params(const struct request *rq, struct response *rs, int64_t *limit,
    const char **after);

/* {"items": items, "next": next or null}; steals items. */
json_t *list_body(json_t *items, const char *next);

/* Decodes the body against fields; on failure fills rs (400) and returns NULL. */
struct jv_field;
json_t *req_decode(const struct request *rq, struct response *rs,
    const struct jv_field *fields, size_t n);

/* req_decode for a route whose fields are all optional: no body at all reads as {}. */
json_t *req_decode_opt(const struct request *rq, struct response *rs,
    const struct jv_field *fields, size_t n);

/* The optional "override": {"reason"} of a body: admins only, reason required. */
bool req_override(const struct request *rq, struct response *rs, json_t *ov,
    const char **reason);

/* A GD_* error from storage, as a problem; for codes with no better detail. */
void resp_store_error(struct response *rs, int rc);

/* strtoll with the whole string and range checked (no atoi). */
bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Every key of want equals the same key of have (objects compared the same
 * way, recursively; arrays of one length item by item; other values with
 * json_equal).  have may hold more keys.
 */
bool json_subset(const json_t *want, const json_t *have);

/*
 * A create whose id exists: 200 with the existing resource when the request
 * describes it the same, else 409 already_exists.  Steals have.
 */
void resp_exists(struct response *rs, json_t *have, const json_t *want, const char *what,
    const char *id);

/*
 * A list reply from a store list call's results (or its error).  The
 * results are passed by address so that a call written as
 * resp_list(rs, store_x_list(..., &items, &next), &items, &next) reads
 * them after the store call has written them.
 */
void resp_list(struct response *rs, int rc, json_t **items, char **next);

/* A get reply: 200 with *obj, 404 naming what and id, or the storage error. */
void resp_get(struct response *rs, int rc, json_t **obj, const char *what, const char *id);

/* Answers 400 unless s is a valid client-chosen id; names the parameter. */
bool check_id_param(struct response *rs, const char *s, const char *what);

/* A 409 fairness_violation listing violations ({"rule", "detail"}; stolen). */
void resp_violations(struct response *rs, json_t *violations);

/*
 * A service's failure (daemon/grants.h, enroll.h): a code with a detail in
 * err as resp_error; one without (storage, memory) as resp_store_error.
 * resp_refusal adds GD_EFAIRNESS with violations (stolen), as
 * resp_violations, for the services that return them.
 */
void resp_failure(struct response *rs, int rc, const char *err);
void resp_refusal(struct response *rs, int rc, const char *err, json_t *violations);

#endif
