/* cmd_token.c: `grantd token create`, a token made offline, audited, shown once. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "audit.h"
#include "cmd.h"
#include "db.h"
#include "err.h"
#include "jsonv.h"
#include "maint.h"
#include "store_catalog.h"
#include "store_pools.h"
#include "token.h"


/* "90d", "12h", "30m", "45s" or a number of seconds, 1 s to TOKEN_TTL_MAX: 0, or -1. */
static int
parse_ttl(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t unit = 1;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoll(s, &end, 10);
	if (*end != '\0') {
		if (end[1] != '\0')
			return -1;
		switch (*end) {
		case 'd': unit = 86400; break;
		case 'h': unit = 3600; break;
		case 'm': unit = 60; break;
		case 's': unit = 1; break;
		default: return -1;
		}
	}
	if (v <= 0 || v > TOKEN_TTL_MAX / unit)
		return -1;
	*out = (int64_t)v * unit;
	return 0;
}

/* The options, checked before anything is opened: 0, or 2 with the reason in err. */
static int
check_args(const struct cmd_token_in *in, enum role *role, char *err, size_t errlen)
{
	int64_t ttl;

	if (!in->db || !in->role || !in->name) {
		snprintf(err, errlen, "token create needs --db, --role and --name");
		return 2;
	}
	if (role_from_name(in->role, role) < 0) {
		snprintf(err, errlen, "--role must be admin, auditor, team or agent");
		return 2;
	}
	if ((*role == ROLE_TEAM) != (in->team != NULL) ||
	    (*role == ROLE_AGENT) != (in->pool != NULL) ||
	    (in->node != NULL && *role != ROLE_AGENT)) {
		snprintf(err, errlen, "--team goes with role team, --pool (and --node) with role "
		    "agent");
		return 2;
	}
	if (in->node && !jv_valid_node(in->node)) {
		snprintf(err, errlen, "--node must be a host name: [A-Za-z0-9][A-Za-z0-9._-]{0,62}");
		return 2;
	}
	if (in->ttl && parse_ttl(in->ttl, &ttl) < 0) {
		snprintf(err, errlen, "--ttl must be a duration such as 90d, 12h, 30m or 3600 "
		    "(seconds), at most 3660 days");
		return 2;
	}
	if (strlen(in->name) == 0 || strlen(in->name) > NAME_MAX_LEN) {
		snprintf(err, errlen, "--name must be 1 to %d bytes", NAME_MAX_LEN);
		return 2;
	}
	return 0;
}

/* The token and its audit entry, in one transaction on db: 0, or a GD_* code with err set. */
static int
create(struct db *db, const struct cmd_token_in *in, enum role role, int64_t now,
    char secret[TOKEN_SECRET_LEN + 1], char *err, size_t errlen)
{
	static const struct principal cli = { .id = "cli", .name = "grantd token create",
		.role = ROLE_ADMIN };
	char id[TOKEN_ID_LEN + 1], target[64];
	int64_t ttl = 0;
	json_t *detail;
	int rc;

	rc = db_begin(db, DB_IMMEDIATE);
	if (rc == 0 && in->team && store_team_exists(db, in->team) != 1) {
		snprintf(err, errlen, "team '%s' does not exist", in->team);
		rc = GD_ENOENT;
	}
	if (rc == 0 && in->pool && store_pool_exists(db, in->pool) != 1) {
		snprintf(err, errlen, "pool '%s' does not exist", in->pool);
		rc = GD_ENOENT;
	}
	if (rc == 0)
		rc = token_create(db, in->name, role, in->team, in->pool, in->node, now,
		    in->ttl && parse_ttl(in->ttl, &ttl) == 0 ? now + ttl : -1, id, secret);
	if (rc == 0) {
		snprintf(target, sizeof(target), "token/%s", id);
		detail = json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s?}", "name", in->name, "role",
		    in->role, "team", in->team, "pool", in->pool, "node", in->node, "ttl", in->ttl);
		rc = audit_append(db, &cli, "cli", now, "token.create", target, NULL, detail);
		json_decref(detail);
	}
	if (rc == 0)
		rc = db_commit(db);
	if (rc < 0) {
		if (rc != GD_ENOENT)
			snprintf(err, errlen, "cannot create the token: %s", db_errmsg(db));
		db_rollback(db);
	}
	return rc;
}

int
cmd_token_create(const struct cmd_token_in *in, char secret[TOKEN_SECRET_LEN + 1],
    struct maint_notes *notes, char *err, size_t errlen)
{
	/* The daemon's clock, test clock included, so the audit trail keeps its order. */
	int64_t now = clock_now(in->clock_file);
	enum role role;
	struct db *db;
	int rc, lock = -1;

	notes->len = 0;
	notes->text[0] = '\0';
	err[0] = '\0';
	if ((rc = check_args(in, &role, err, errlen)) != 0)
		return rc;
	/*
	 * A database that is there may be written while the daemon runs; one
	 * to be created is created under the lock, and only where no old
	 * database left its files (or with --init).
	 */
	if ((in->init || !maint_db_present(in->db)) &&
	    (lock = maint_prepare(in->db, in->init, "token create", notes, err, errlen)) < 0)
		return 1;
	if (maint_open_writer(in->db, 5000, &db, err, errlen) < 0) {
		if (lock >= 0)
			close(lock);
		return 1;
	}
	rc = create(db, in, role, now, secret, err, errlen);
	db_close(db);
	if (lock >= 0)
		close(lock);
	return rc < 0 ? 1 : 0;
}
