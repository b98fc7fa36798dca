/* grantctl.h: the command-line client's shared state and prototypes, grouped by file. */
#ifndef GRANTCTL_H
#define GRANTCTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "civil.h"
#include "version.h"

#define GRANTCTL_VERSION GRANTD_VERSION

/*
 * Exit statuses.  Scripts tell failures apart by these, so they are part of
 * the interface (grantctl(1) lists them) and never change meaning.
 */
enum {
	EXIT_OTHER = 1,		/* a 400, a broken reply, a local failure */
	EXIT_USAGE = 2,		/* bad command line or configuration */
	EXIT_AUTH = 3,		/* 401, 403 */
	EXIT_NOTFOUND = 4,	/* 404 */
	EXIT_CONFLICT = 5,	/* 409, 422 */
	EXIT_SERVER = 6,	/* 5xx, or the server could not be reached */
};

/* Options, by index into struct ctl's opt[]; each command lists those it takes. */
enum opt {
	O_NAME, O_ROLE, O_TEAM, O_POOL, O_TIMEZONE, O_STARTS_ON, O_PERIOD_DAYS,
	O_EVALUATION_ON, O_CARD_MODEL, O_CARDS, O_VOUCHER, O_LEAD_ORG, O_MEMBER,
	O_PROVIDER, O_SITE, O_FROM, O_TO, O_REASON, O_NOT_BEFORE, O_POOLS, O_SPLIT,
	O_DRY_RUN, O_OVERRIDE, O_ON, O_DAYS, O_PHASE, O_AT, O_START, O_END, O_ORG,
	O_SUPPLIER, O_AMOUNT, O_MEMO, O_EXPIRES_AT, O_STATE, O_CSV,
	O_AFTER, O_LIMIT, O_AS_OF, O_RESULT, O_KO, O_EN, O_ALIAS, O_BRN, O_SEARCH,
	O_TTL, O_EXPIRES, O_GRACE, O_KEYS, O_NODE, O_NONE, O_TYPE, O_TYPES, O_FOLLOW,
	O_EFFECTIVE_ON, O_NOTE,
	O_COUNT
};
#define OPT(o) (UINT64_C(1) << (o))
_Static_assert(O_COUNT <= 64, "OPT() gives each option a bit of a uint64_t");

/* Most --member options one team create takes; the server's own limit is lower. */
#define MAX_MEMBERS 64
/* Most names one organisation has besides its own (the server's ORG_MAX_ALIASES). */
#define MAX_ALIASES 50

/*
 * Everything one invocation knows.  Strings point into argv, the
 * environment or conf[] and are never freed; out is stdout or the -o file.
 */
struct ctl {
	const char *url;		/* base, without a trailing '/' */
	const char *token;		/* NULL: send no Authorization */
	const char *token_from;		/* where the token came from, for hints */
	const char *cacert;		/* CA file for https://; NULL: the system's CAs */
	const char *cacert_from;	/* where it came from, for hints */
	const char *idem_key;		/* --idempotency-key, or NULL: generate */
	bool json;			/* --json: print the server's JSON */
	long timeout_s;
	char tz_name[64];
	char tz_label[CIVIL_TZ_LABEL_LEN];	/* after each instant shown: "KST", "UTC" */
	int32_t tz_off;			/* seconds east of UTC */
	bool tz_fixed;			/* --tz or tz= in the config: never looked up */
	bool tz_known;			/* tz_off is settled for this invocation */
	const char *opt[O_COUNT];	/* value of each option given, "" for flags */
	const char *members[MAX_MEMBERS];
	int nmembers;
	const char *results[MAX_MEMBERS];	/* --result, repeated */
	int nresults;
	const char *notes[MAX_MEMBERS];		/* --note, repeated */
	int nnotes;
	const char *aliases[MAX_ALIASES];	/* --alias, repeated */
	int naliases;
	const char *output;		/* -o FILE */
	FILE *out;			/* stdout, or a memory stream for -o */
	char conf_url[512], conf_token[512], conf_tz[64];
	char conf_cacert[4096];
	char conf_path[4096];		/* the file read (or to write); "" when none */
	const char *url_from;		/* where the URL came from, for config show */
};

/* One HTTP exchange.  body is NUL-terminated; json is NULL unless the body parsed. */
struct reply {
	long status;
	char *body;
	size_t len;
	json_t *json;
	bool replayed;
	char request_id[80];
	char content_type[80];
};

/* http.c */
int http_init(void);
void http_cleanup(void);
/*
 * Sends method path (path already escaped, "/v1/..." with any query) with an
 * optional JSON body (borrowed).  Returns 0 on a 2xx reply; otherwise prints
 * the problem to stderr and returns the exit status for it.  r is filled
 * either way and must be freed with reply_free().
 */
int api(struct ctl *c, const char *method, const char *path, const json_t *body,
    struct reply *r);
/* As api(), but prints nothing on an HTTP error: for look-ups that may fail quietly. */
int api_quiet(struct ctl *c, const char *method, const char *path, struct reply *r);
void reply_free(struct reply *r);
/* Exit status for an HTTP status (0 for 2xx). */
int exit_for_status(long status);
/*
 * A path from fmt where each "%s" is replaced by its argument percent-encoded
 * as one path segment.  Returns malloc'd text; aborts on allocation failure.
 */
char *path_fmt(const char *fmt, ...);
/* Appends "?key=value" or "&key=value" (value encoded) to *path when value is non-NULL. */
void path_query(char **path, const char *key, const char *value);
/* Prints the reply body as it came, with a final newline, to c->out. */
void print_raw(struct ctl *c, const struct reply *r);

/* conf.c */
/*
 * Reads url=, token=, tz= and cacert= from path into c->conf_*.  A missing file is
 * fine when !must_exist.  Refuses a file that group or others may read or
 * write, or that another user owns.  Returns 0, or EXIT_USAGE after printing why.
 */
int conf_load(struct ctl *c, const char *path, bool must_exist);
/* The default path: $XDG_CONFIG_HOME/grantctl/config or ~/.config/grantctl/config. */
int conf_default_path(char *buf, size_t n);
/* What conf_save() writes; a NULL or "" member is left out. */
struct conf_values {
	const char *url, *token, *tz, *cacert;
};
/*
 * Replaces the file at path with url=, token=, tz= and cacert= lines,
 * atomically: a temporary file of mode 0600 in the same directory, written,
 * synced and renamed over it.  Missing directories are made with mode 0700.
 * Returns 0 or a negative errno; prints nothing.
 */
int conf_save(const char *path, const struct conf_values *v);

/* table.c */
enum align { AL_LEFT, AL_RIGHT };
struct table;
struct table *table_new(bool header);
void table_col(struct table *t, const char *title, enum align a);
/* Starts a row; the next table_cell() calls fill it left to right. */
void table_row(struct table *t);
void table_cell(struct table *t, const char *text);
void table_cellf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void table_print(const struct table *t, FILE *f);
void table_free(struct table *t);
/* Columns a UTF-8 string takes on a terminal (wide Hangul and CJK count 2). */
size_t text_width(const char *s);

/* format.c */
/* How a value is shown in a table or a key-value listing. */
enum fmt {
	F_STR,		/* text as it is */
	F_INT,		/* integer, right-aligned */
	F_NUM,		/* integer or real (units, unit-hours), right-aligned */
	F_KRW,		/* integer KRW: ₩10,000,000,000, right-aligned */
	F_TIME,		/* RFC 3339 instant -> local "YYYY-MM-DD HH:MM KST" */
	F_DAY,		/* RFC 3339 instant -> local "YYYY-MM-DD" */
	F_BOOL,		/* yes/no */
	F_COUNT,	/* number of elements of an array, right-aligned */
	F_PCT,		/* a number of per cent: "0.25 %" */
	F_RATIO,	/* a ratio shown as per cent: 0.834 is "83.4 %" */
};
/* One column: title, a dotted path into each object ("window.start"), format. */
struct col {
	const char *title;
	const char *path;
	enum fmt fmt;
};
#define NCOLS(a) (sizeof(a) / sizeof((a)[0]))
/* Writes the text of the value at path in obj, formatted, into buf; "-" when absent. */
const char *fmt_value(struct ctl *c, const json_t *obj, const char *path, enum fmt f,
    char *buf, size_t n);
const char *fmt_krw(int64_t krw, char *buf, size_t n);
/*
 * An instant in the display zone: "2026-03-01 00:00 KST" (seconds only when
 * not zero), or the day alone ("2026-03-01") with day_only.  Settles the
 * zone first when nothing has (zone_default()).  Text that is not RFC 3339
 * is copied as it is.
 */
const char *fmt_instant(struct ctl *c, const char *rfc3339, bool day_only, char *buf,
    size_t n);
/*
 * One element of a placement's "delays": "pool P has only N free cards
 * until 2026-08-29 00:00 KST".
 */
const char *fmt_delay(struct ctl *c, const json_t *delay, char *buf, size_t n);
/* The value at a dotted path, or NULL. */
json_t *jpath(const json_t *obj, const char *path);
/* The string at path, or "" (never NULL). */
const char *jstr(const json_t *obj, const char *path);
/* A table of arr's objects, one column per col. */
void print_rows(struct ctl *c, const json_t *arr, const struct col *cols, size_t ncols);
/* The "items" of a list reply as a table, and a note on stderr when there are more. */
void print_list(struct ctl *c, const json_t *reply, const struct col *cols, size_t ncols);
/* "title:  value" lines for one object. */
void print_fields(struct ctl *c, const json_t *obj, const struct col *cols, size_t ncols);
/* The same lines built up piece by piece: kv_new(), kv_add()/kv_fields(), table_print(). */
struct table *kv_new(void);
void kv_add(struct table *t, const char *title, const char *value);
void kv_fields(struct ctl *c, struct table *t, const json_t *obj, const struct col *cols,
    size_t ncols);
/* Every scalar member of obj as "key:  value" lines, for replies of no fixed shape. */
void print_scalars(struct ctl *c, const json_t *obj);
/*
 * The display zone.  --tz or tz= in the configuration fix it.  Otherwise
 * it is the zone of the programme a phase belongs to, when a command names
 * a phase or its reply does (zone_for_phase, zone_from); else the one zone
 * all the server's programmes share (zone_default); else UTC.  It is
 * settled once per invocation, before the first instant is read or shown.
 */
void zone_set(struct ctl *c, const char *name, int32_t off);
/* From a phase id; a phase that cannot be looked up settles zone_default(). NULL: nothing. */
void zone_for_phase(struct ctl *c, const char *phase);
void zone_default(struct ctl *c);
/* As zone_for_phase() with the "phase" of obj, or of its first "items" element. */
void zone_from(struct ctl *c, const json_t *obj);
/*
 * An instant option: RFC 3339 as it is, or a date (YYYY-MM-DD) made 00:00
 * in the display zone.  Writes RFC 3339 into buf; returns 0 or -1.
 */
int instant_arg(struct ctl *c, const char *s, char *buf, size_t n);
/* A strict decimal integer option; commas and underscores may group digits. */
int int_arg(const char *s, int64_t lo, int64_t hi, int64_t *out);
/*
 * The common shapes of a command.  path is malloc'd and freed here; body is
 * stolen (may be NULL).  They print the server's JSON with --json, else a
 * table of the reply's "items" (run_list, which adds --limit and --after) or
 * "title: value" lines (run_show).  They return the exit status.
 */
int run_list(struct ctl *c, char *path, const struct col *cols, size_t ncols);
/* As run_list(), with fix() called on each item (which it may change) before the table. */
int run_list_fix(struct ctl *c, char *path, const struct col *cols, size_t ncols,
    void (*fix)(json_t *item));
int run_show(struct ctl *c, const char *method, char *path, json_t *body,
    const struct col *cols, size_t ncols);
/* {"reason": R} of --override, or NULL. */
json_t *override_json(const struct ctl *c);
/* Sets key to value in obj when value is non-NULL. */
void jset_str(json_t *obj, const char *key, const char *value);

/* cmd_setup.c: tokens, card models, programmes, phases, teams, pools, outages, nodes. */
int cmd_token_create(struct ctl *c, char **a);
int cmd_token_list(struct ctl *c, char **a);
int cmd_token_revoke(struct ctl *c, char **a);
int cmd_token_rotate(struct ctl *c, char **a);
int cmd_token_show(struct ctl *c, char **a);
/* A token's state as people read it: the server's "state", else "revoked" or "live". */
const char *token_state(const json_t *token);
int cmd_card_model_list(struct ctl *c, char **a);
int cmd_card_model_set(struct ctl *c, char **a);
int cmd_program_create(struct ctl *c, char **a);
int cmd_program_list(struct ctl *c, char **a);
int cmd_program_show(struct ctl *c, char **a);
int cmd_phase_create(struct ctl *c, char **a);
int cmd_phase_show(struct ctl *c, char **a);
int cmd_phase_list(struct ctl *c, char **a);
int cmd_team_create(struct ctl *c, char **a);
int cmd_team_list(struct ctl *c, char **a);
int cmd_team_show(struct ctl *c, char **a);
int cmd_pool_create(struct ctl *c, char **a);
int cmd_pool_list(struct ctl *c, char **a);
int cmd_pool_show(struct ctl *c, char **a);
int cmd_pool_timeline(struct ctl *c, char **a);
int cmd_outage_create(struct ctl *c, char **a);
int cmd_outage_list(struct ctl *c, char **a);
int cmd_node_assign(struct ctl *c, char **a);
int cmd_node_show(struct ctl *c, char **a);
int cmd_node_list(struct ctl *c, char **a);

/* cmd_enroll.c: enrollments, lifecycle and grants. */
int cmd_enroll(struct ctl *c, char **a);
int cmd_enrollment_list(struct ctl *c, char **a);
int cmd_enrollment_show(struct ctl *c, char **a);
int cmd_eliminate(struct ctl *c, char **a);
int cmd_withdraw(struct ctl *c, char **a);
int cmd_extend(struct ctl *c, char **a);
int cmd_compensate(struct ctl *c, char **a);
int cmd_evaluation_record(struct ctl *c, char **a);
int cmd_evaluation_list(struct ctl *c, char **a);
int cmd_grant_add(struct ctl *c, char **a);
int cmd_grant_list(struct ctl *c, char **a);
int cmd_grant_show(struct ctl *c, char **a);
int cmd_grant_release(struct ctl *c, char **a);

/* cmd_money.c: suppliers, vouchers, holds, refunds, transfers, the ledger. */
int cmd_supplier_create(struct ctl *c, char **a);
int cmd_supplier_list(struct ctl *c, char **a);
int cmd_voucher_list(struct ctl *c, char **a);
int cmd_hold_create(struct ctl *c, char **a);
int cmd_hold_settle(struct ctl *c, char **a);
int cmd_hold_void(struct ctl *c, char **a);
int cmd_hold_list(struct ctl *c, char **a);
int cmd_refund(struct ctl *c, char **a);
int cmd_transfers(struct ctl *c, char **a);
int cmd_ledger_verify(struct ctl *c, char **a);

/* cmd_org.c: organisations, and the teams they are members of over time. */
int cmd_org_create(struct ctl *c, char **a);
int cmd_org_show(struct ctl *c, char **a);
int cmd_org_list(struct ctl *c, char **a);
int cmd_org_find(struct ctl *c, char **a);
int cmd_org_alias(struct ctl *c, char **a);
int cmd_org_rename(struct ctl *c, char **a);
int cmd_org_merge(struct ctl *c, char **a);
int cmd_team_member_add(struct ctl *c, char **a);
int cmd_team_member_remove(struct ctl *c, char **a);
/*
 * A "resolved" answer, {"given", "organisation", "matched_by", "created"},
 * as one line: "lead 'Seoul National University' -> organisation snu
 * (matched by name_en)", or "(new organisation)".  what (or NULL) leads.
 */
void print_resolved(struct ctl *c, const char *what, const json_t *answer);
/*
 * A team's members and former members, each with the organisation it is,
 * as tables; then, after a create, which organisation each spelling became.
 */
void print_team_orgs(struct ctl *c, const json_t *team);
/* A team's "lead_org" shown with the organisation it is. */
void team_fix(json_t *team);

/* cmd_report.c: usage, quota, fairness, audit, health, completion. */
int cmd_usage_post(struct ctl *c, char **a);
int cmd_quota(struct ctl *c, char **a);
int cmd_fairness(struct ctl *c, char **a);
int cmd_audit_list(struct ctl *c, char **a);
/* cmd_events.c */
int cmd_events(struct ctl *c, char **a);
int cmd_webhook_create(struct ctl *c, char **a);
int cmd_webhook_list(struct ctl *c, char **a);
int cmd_webhook_delete(struct ctl *c, char **a);
int cmd_webhook_test(struct ctl *c, char **a);
int cmd_webhook_deliveries(struct ctl *c, char **a);
int cmd_audit_verify(struct ctl *c, char **a);
int cmd_health(struct ctl *c, char **a);
int cmd_complete(struct ctl *c, char **a);

/* cmd_verify.c: a fairness report's signature and checkpoint, checked offline. */
int cmd_verify(struct ctl *c, char **a);

/* cmd_config.c: the client's own configuration file. */
int cmd_login(struct ctl *c, char **a);
int cmd_config_set(struct ctl *c, char **a);
int cmd_config_show(struct ctl *c, char **a);

/* grantctl.c */
/* Strips what does not change the server: trailing '/' and "/v1". */
void url_normalize(char *url);
/* Prints "grantctl: " and the message to stderr; returns EXIT_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
