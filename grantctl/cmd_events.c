/* cmd_events.c: grantctl commands for the change feed and webhooks. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "grantctl.h"

static const struct col event_cols[] = {
	{ "SEQ", "seq", F_INT }, { "AT", "at", F_TIME }, { "TYPE", "type", F_STR },
	{ "RESOURCE", "resource", F_STR }, { "TEAMS", "teams", F_COUNT },
};

static char *
events_path(struct ctl *c)
{
	char *p = path_fmt("/v1/events");

	path_query(&p, "type", c->opt[O_TYPE]);
	path_query(&p, "team", c->opt[O_TEAM]);
	return p;
}

/*
 * --follow: the feed from --after (or its end) on, polled every second
 * until interrupted; one line an event, or one JSON object a line with --json.
 */
static int
follow(struct ctl *c)
{
	const struct timespec second = { 1, 0 };
	char after[32] = "", *p;
	struct reply r;
	json_t *items, *e;
	size_t i;
	int rc;

	if (c->opt[O_AFTER] != NULL) {
		snprintf(after, sizeof(after), "%s", c->opt[O_AFTER]);
	} else {
		/* From the end: page to the last event, showing nothing. */
		for (;;) {
			p = events_path(c);
			path_query(&p, "limit", "1000");
			path_query(&p, "after", after[0] ? after : NULL);
			rc = api(c, "GET", p, NULL, &r);
			free(p);
			if (rc != 0) {
				reply_free(&r);
				return rc;
			}
			items = json_object_get(r.json, "items");
			if (json_array_size(items) > 0)
				snprintf(after, sizeof(after), "%lld", (long long)json_integer_value(
				    json_object_get(json_array_get(items, json_array_size(items) - 1),
				    "seq")));
			e = json_object_get(r.json, "next");
			reply_free(&r);
			if (!json_is_string(e))
				break;
		}
	}
	for (;;) {
		p = events_path(c);
		path_query(&p, "limit", "1000");
		path_query(&p, "after", after[0] ? after : NULL);
		rc = api(c, "GET", p, NULL, &r);
		free(p);
		if (rc != 0) {
			reply_free(&r);
			return rc;
		}
		items = json_object_get(r.json, "items");
		json_array_foreach(items, i, e) {
			if (c->json) {
				char *s = json_dumps(e, JSON_COMPACT);

				if (s != NULL)
					fprintf(c->out, "%s\n", s);
				free(s);
			} else {
				char when[96];

				fprintf(c->out, "%lld  %s  %-22s %s\n",
				    (long long)json_integer_value(json_object_get(e, "seq")),
				    fmt_instant(c, jstr(e, "at"), false, when, sizeof(when)),
				    jstr(e, "type"), jstr(e, "resource"));
			}
			snprintf(after, sizeof(after), "%lld",
			    (long long)json_integer_value(json_object_get(e, "seq")));
		}
		fflush(c->out);
		if (!json_is_string(json_object_get(r.json, "next")))
			nanosleep(&second, NULL);
		reply_free(&r);
	}
}

int
cmd_events(struct ctl *c, char **a)
{
	(void)a;
	if (c->opt[O_FOLLOW] != NULL)
		return follow(c);
	return run_list(c, events_path(c), event_cols, NCOLS(event_cols));
}

static const struct col webhook_fields[] = {
	{ "id", "id", F_STR }, { "url", "url", F_STR }, { "team", "team", F_STR },
	{ "types", "types", F_COUNT }, { "enabled", "enabled", F_BOOL },
	{ "delivered seq", "delivered_seq", F_INT }, { "failing since", "failing_since", F_TIME },
	{ "attempts", "attempts", F_INT }, { "created", "created_at", F_TIME },
};

/* webhook create URL --types T,T... [--team TEAM]: the secret is printed this once. */
int
cmd_webhook_create(struct ctl *c, char **a)
{
	json_t *types = json_array(), *body;
	char *list = strdup(c->opt[O_TYPES]), *tok, *save = NULL;
	struct reply r;
	char *path;
	int rc;

	if (list == NULL || types == NULL)
		abort();
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		json_array_append_new(types, json_string(tok));
	free(list);
	body = json_pack("{s:s, s:o}", "url", a[0], "types", types);
	if (c->opt[O_TEAM] != NULL)
		json_object_set_new(body, "team", json_string(c->opt[O_TEAM]));
	path = path_fmt("/v1/webhooks");
	rc = api(c, "POST", path, body, &r);
	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		print_fields(c, r.json, webhook_fields, NCOLS(webhook_fields));
		fprintf(c->out, "secret: %s\n(shown once: keep it where the receiver checks "
		    "signatures)\n", jstr(r.json, "secret"));
	}
	reply_free(&r);
	return rc;
}

int
cmd_webhook_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "ID", "id", F_STR }, { "URL", "url", F_STR }, { "TEAM", "team", F_STR },
		{ "ENABLED", "enabled", F_BOOL }, { "DELIVERED", "delivered_seq", F_INT },
		{ "ATTEMPTS", "attempts", F_INT },
	};

	(void)a;
	return run_list(c, path_fmt("/v1/webhooks"), cols, NCOLS(cols));
}

int
cmd_webhook_delete(struct ctl *c, char **a)
{
	char *path = path_fmt("/v1/webhooks/%s", a[0]);
	struct reply r;
	int rc = api(c, "DELETE", path, NULL, &r);

	free(path);
	if (rc == 0 && !c->json)
		fprintf(c->out, "webhook %s deleted\n", a[0]);
	reply_free(&r);
	return rc;
}

int
cmd_webhook_test(struct ctl *c, char **a)
{
	return run_show(c, "POST", path_fmt("/v1/webhooks/%s/test", a[0]), NULL, webhook_fields,
	    NCOLS(webhook_fields));
}

int
cmd_webhook_deliveries(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "ID", "id", F_INT }, { "AT", "at", F_TIME }, { "EVENT", "event_id", F_STR },
		{ "TYPE", "type", F_STR }, { "OK", "ok", F_BOOL }, { "STATUS", "status", F_INT },
		{ "MS", "ms", F_INT }, { "ERROR", "error", F_STR },
	};

	return run_list(c, path_fmt("/v1/webhooks/%s/deliveries", a[0]), cols, NCOLS(cols));
}
