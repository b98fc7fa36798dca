/* harness.h: start the real grantd on a free loopback port and talk HTTP to it. */
#ifndef GRANTD_HARNESS_H
#define GRANTD_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

/*
 * One running daemon with its own temporary directory (database, config,
 * clock file).  h_start() creates an admin token first, offline, as an
 * operator would.  Everything is freed by h_stop().
 */
struct harness {
	char dir[256];
	char db[300];
	char conf[300];
	char clock[300];
	char base[64];		/* "http://127.0.0.1:PORT", "https://..." after h_start_tls() */
	char cacert[300];	/* h_start_tls(): the CA file h_req() trusts, else "" */
	char admin[64];		/* admin token secret */
	pid_t pid;
	int out_fd;		/* grantd's stdout */
	int status;		/* exit status after h_stop() */
	bool real_clock;	/* start without --clock-file: the wall clock rules */
};

struct hresp {
	long status;
	char *body;
	json_t *json;		/* parsed body, or NULL */
	bool replayed;		/* Idempotent-Replayed: true */
	char request_id[300];
	char content_type[80];
	char allow[80];		/* the Allow header of a 405 */
	long content_length;	/* -1 when absent */
	long retry_after;	/* the Retry-After header in seconds; 0 when absent */
};

/* Path of the grantd binary under test ($GRANTD_BIN). */
const char *h_bin(void);
/* grantctl: $GRANTCTL_BIN (the Makefile's test rule sets it), else beside grantd. */
const char *h_ctl_bin(void);

/* A fresh temporary directory with a config file; does not start grantd. */
void h_init(struct harness *h, const char *extra_conf);

/* Creates the admin token and starts grantd; aborts the test on failure. */
void h_start(struct harness *h);

/*
 * As h_start(), for a grantd whose configuration file (h->conf, which the
 * test has given a [tls] section) makes it serve HTTPS: h->base is then
 * "https://127.0.0.1:PORT", and h_req() trusts cacert, a PEM file, alone.
 */
void h_start_tls(struct harness *h, const char *cacert);

/* Starts grantd again on the same database (after h_stop). */
void h_restart(struct harness *h);

/* SIGTERM, wait; returns the exit status (also in h->status). */
int h_stop(struct harness *h);

/* Removes the temporary directory. */
void h_cleanup(struct harness *h);

/* Sets the test clock (an RFC 3339 instant). */
void h_clock(struct harness *h, const char *instant);

/*
 * One request.  token may be NULL (no Authorization).  body may be NULL.
 * headers: extra "Name: value" strings, NULL-terminated list or NULL.
 * The response must be freed with hresp_free().
 */
struct hresp h_req(struct harness *h, const char *method, const char *path,
    const char *token, const char *body, const char *const *headers);

/* printf-style body helper: h_post(h, tok, "/v1/teams", "{\"id\":\"%s\"}", id). */
struct hresp h_post(struct harness *h, const char *token, const char *path,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
struct hresp h_get(struct harness *h, const char *token, const char *path);

void hresp_free(struct hresp *r);

/* A token of a role made through the API by the admin; returns a malloc'd secret. */
char *h_token(struct harness *h, const char *role, const char *team, const char *pool);

/* Runs a grantd subcommand; returns exit status, stdout in out (malloc'd) if non-NULL. */
int h_run(const char *const *argv, char **out);
/* The same, with what it said on stderr in *err (malloc'd); stdout is dropped. */
int h_run_err(const char *const *argv, char **err);

/* Problem code of a response ("" when none). */
const char *hresp_code(const struct hresp *r);

/*
 * Checks that report instead of stopping, for tests that replay a long
 * story and should show every disagreement in one run: a failing one is
 * printed on stderr as "DISCREPANCY: ..." and counted; h_no_discrepancies
 * then fails the test, quoting the first (call it after the daemon is
 * stopped, so that no daemon is left behind).
 */
void h_expect(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void h_no_discrepancies(void);

/* A step a test stands on: a status other than want stops it.  The body (decref it). */
json_t *h_must(struct hresp r, long want, const char *what);

/* A checked step that reports (h_expect) when the status or code is not want's; the body or NULL. */
json_t *h_check(struct hresp r, long want, const char *code, const char *what);

/* The value at a dotted path ("summary.unequal.equal_delivery", "teams.0.team"), or NULL. */
json_t *h_at(json_t *o, const char *path);

/* The string at a dotted path, "" when there is none. */
const char *h_str(json_t *o, const char *path);

/*
 * SQL that undoes migrations 012 to 020 (organisations, token lifetimes,
 * nodes, events, webhooks, holds' expiry notices, due indexes, metric
 * totals), for a test that takes a
 * database back to an older schema inside its own transaction: nodes and
 * the measured sums of usage_hourly go, the tokens' new columns go,
 * team_members is made again from the memberships, suppliers loses its
 * organisation column (rebuilt: a column with REFERENCES cannot be
 * dropped; the test's connection has foreign keys off).
 */
#define H_UNDO_012							\
	"DROP TRIGGER voucher_totals_insert;"					\
	"DROP TRIGGER voucher_totals_update;"					\
	"DROP TRIGGER voucher_totals_delete;"					\
	"DROP TABLE voucher_totals;"						\
	"DROP TRIGGER enrollment_counts_insert;"				\
	"DROP TRIGGER enrollment_counts_update;"				\
	"DROP TRIGGER enrollment_counts_delete;"				\
	"DROP TABLE enrollment_counts;"						\
	"DROP INDEX enrollments_eval;"						\
	"DROP INDEX enrollments_ended;"						\
	"DROP INDEX grants_due_start;"						\
	"DROP INDEX grants_due_end;"						\
	"DROP INDEX ledger_holds_notice;"					\
	"ALTER TABLE ledger_holds DROP COLUMN expiring_notice_at;"		\
	"DROP TABLE webhook_deliveries;"					\
	"DROP TABLE webhooks;"							\
	"DROP TABLE event_teams;"						\
	"DROP TABLE events;"							\
	"DROP TABLE nodes;"							\
	"ALTER TABLE tokens DROP COLUMN node;"					\
	"ALTER TABLE usage_hourly DROP COLUMN measured_seconds;"		\
	"ALTER TABLE usage_hourly DROP COLUMN busy_seconds;"			\
	"ALTER TABLE usage_hourly DROP COLUMN util_seconds;"			\
	"ALTER TABLE usage_hourly DROP COLUMN energy_j;"			\
	"DROP INDEX tokens_prev_hash;"						\
	"ALTER TABLE tokens DROP COLUMN expires_at;"				\
	"ALTER TABLE tokens DROP COLUMN last_used_at;"				\
	"ALTER TABLE tokens DROP COLUMN rotated_at;"				\
	"ALTER TABLE tokens DROP COLUMN prev_hash;"				\
	"ALTER TABLE tokens DROP COLUMN prev_until;"				\
	"CREATE TABLE team_members (team TEXT NOT NULL REFERENCES teams(id), "	\
	"  pos INTEGER NOT NULL, org TEXT NOT NULL, role TEXT NOT NULL, "	\
	"  PRIMARY KEY (team, pos)) STRICT;"					\
	"INSERT INTO team_members SELECT team, row_number() OVER "		\
	"  (PARTITION BY team ORDER BY id) - 1, given, role "			\
	"  FROM team_memberships WHERE lead = 0;"				\
	"DROP TABLE team_memberships;"						\
	"DROP TABLE organisation_names;"					\
	"DROP TABLE organisations;"						\
	"DROP TABLE migration_log;"						\
	"CREATE TABLE suppliers_011 (id TEXT PRIMARY KEY, name TEXT NOT NULL, "	\
	"  org TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT;"		\
	"INSERT INTO suppliers_011 SELECT id, name, org, created_at FROM suppliers;" \
	"DROP TABLE suppliers;"							\
	"ALTER TABLE suppliers_011 RENAME TO suppliers;"

#endif
