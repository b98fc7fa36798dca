/* routes_common.c: reply helpers shared by the route families. */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jsonv.h"
#include "routes.h"

bool
json_subset(const json_t *want, const json_t *have)
{
	const char *k;
	json_t *v;

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
