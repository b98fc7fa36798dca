/* store_orgs.c: SQL for organisations, their names, team memberships over time, and migration 12. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "orgname.h"
#include "store_orgs.h"

/* Lead and members at one instant: the API accepts at most 200 members, plus the lead. */
#define MAX_TEAM_ORGS 1024

static json_t *
text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null() :
	    json_string(db_text(st, col));
}

int
store_org_insert(struct db *db, const struct org_in *o, int64_t now)
{
	return db_run(db, "INSERT INTO organisations (id, name_ko, name_en, brn, created_at, "
	    "updated_at) VALUES (?, ?, ?, ?, ?, ?)", "ttttii", o->id, o->name_ko, o->name_en,
	    o->brn, now, now);
}

int
store_org_update(struct db *db, const char *id, const char *name_ko, const char *name_en,
    const char *brn, int64_t now)
{
	return db_run(db, "UPDATE organisations SET name_ko = ?, name_en = ?, brn = ?, "
	    "updated_at = ? WHERE id = ?", "tttit", name_ko, name_en, brn, now, id);
}

/* One name under its key; a key this organisation has already is kept once. */
static int
put_name(struct db *db, const char *id, const char *kind, const char *name, int64_t pos,
    char *err, size_t errlen)
{
	char key[ORGNAME_KEY_MAX], owner[ID_MAX + 1];
	int rc;

	if ((rc = orgname_key(name, key, sizeof(key))) < 0) {
		snprintf(err, errlen, "%s '%s' has nothing to compare once normalised (only "
		    "spaces or invisible characters)", kind, name);
		return GD_EINVAL;
	}
	rc = db_get_text(db, "SELECT org FROM organisation_names WHERE key = ?", owner,
	    sizeof(owner), "t", key);
	if (rc == 0 && strcmp(owner, id) == 0)
		return 0;
	if (rc == 0) {
		snprintf(err, errlen, "%s '%s' already names organisation '%s'", kind, name, owner);
		return GD_ECONFLICT;
	}
	if (rc != GD_ENOENT)
		return rc;
	return db_run(db, "INSERT INTO organisation_names (key, org, kind, name, pos) "
	    "VALUES (?, ?, ?, ?, ?)", "tttti", key, id, kind, name, pos);
}

int
store_org_set_names(struct db *db, const char *id, const char *name_ko, const char *name_en,
    const char *const *aliases, size_t naliases, char *err, size_t errlen)
{
	int rc = db_run(db, "DELETE FROM organisation_names WHERE org = ?", "t", id);

	if (rc == 0 && name_ko != NULL)
		rc = put_name(db, id, "name_ko", name_ko, 0, err, errlen);
	if (rc == 0 && name_en != NULL)
		rc = put_name(db, id, "name_en", name_en, 1, err, errlen);
	for (size_t i = 0; rc == 0 && i < naliases; i++)
		rc = put_name(db, id, "alias", aliases[i], 2 + (int64_t)i, err, errlen);
	return rc;
}

int
store_org_aliases(struct db *db, const char *id, json_t **out)
{
	sqlite3_stmt *st = db_prep(db, "SELECT name FROM organisation_names WHERE org = ? AND "
	    "kind = 'alias' ORDER BY pos");
	json_t *a = json_array();
	int rc;

	if (st == NULL || a == NULL) {
		json_decref(a);
		return st == NULL ? GD_EIO : GD_ENOMEM;
	}
	db_bind(st, "t", id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(a, json_string(db_text(st, 0)));
	db_done(st);
	if (rc != SQLITE_DONE) {
		json_decref(a);
		return db_rc(rc);
	}
	*out = a;
	return 0;
}

/* Where an organisation is used: the teams it is (or was) in, the suppliers it is. */
static int
org_uses(struct db *db, const char *id, json_t *o)
{
	sqlite3_stmt *st = db_prep(db, "SELECT team, role, lead, since, until FROM "
	    "team_memberships WHERE org = ? ORDER BY team, id");
	json_t *teams = json_array(), *suppliers = json_array(), *t;
	int rc;

	if (st == NULL || teams == NULL || suppliers == NULL) {
		json_decref(teams);
		json_decref(suppliers);
		return st == NULL ? GD_EIO : GD_ENOMEM;
	}
	db_bind(st, "t", id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		t = json_pack("{s:s, s:s, s:b}", "team", db_text(st, 0), "role", db_text(st, 1),
		    "lead", sqlite3_column_int(st, 2));
		if (t && sqlite3_column_type(st, 3) != SQLITE_NULL)
			json_object_set_new(t, "since", jv_instant(sqlite3_column_int64(st, 3)));
		if (t && sqlite3_column_type(st, 4) != SQLITE_NULL)
			json_object_set_new(t, "until", jv_instant(sqlite3_column_int64(st, 4)));
		json_array_append_new(teams, t);
	}
	db_done(st);
	if (rc == SQLITE_DONE) {
		st = db_prep(db, "SELECT id FROM suppliers WHERE organisation = ? ORDER BY id");
		if (st == NULL) {
			rc = SQLITE_ERROR;
		} else {
			db_bind(st, "t", id);
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				json_array_append_new(suppliers, json_string(db_text(st, 0)));
			db_done(st);
		}
	}
	json_object_set_new(o, "teams", teams);
	json_object_set_new(o, "suppliers", suppliers);
	return rc == SQLITE_DONE ? 0 : db_rc(rc);
}

#define ORG_COLS "id, name_ko, name_en, brn, created_at, updated_at"

static json_t *
org_row(struct db *db, sqlite3_stmt *st)
{
	json_t *aliases = NULL, *o;

	if (store_org_aliases(db, db_text(st, 0), &aliases) < 0)
		return NULL;
	o = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "id", db_text(st, 0),
	    "name_ko", text_or_null(st, 1), "name_en", text_or_null(st, 2), "aliases", aliases,
	    "brn", text_or_null(st, 3), "created_at", jv_instant(sqlite3_column_int64(st, 4)),
	    "updated_at", jv_instant(sqlite3_column_int64(st, 5)));
	return o;
}

int
store_org_get(struct db *db, const char *id, bool with_uses, json_t **out)
{
	int rc = db_get_row(db, "SELECT " ORG_COLS " FROM organisations WHERE id = ?", id,
	    org_row, out);

	if (rc == 0 && with_uses && (rc = org_uses(db, id, *out)) < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int
store_org_exists(struct db *db, const char *id)
{
	int64_t n = db_int(db, "SELECT count(*) FROM organisations WHERE id = ?", "t", id);

	return n < 0 ? GD_EIO : n > 0;
}

int
store_org_by_brn(struct db *db, const char *brn, char *id, size_t len)
{
	return db_get_text(db, "SELECT id FROM organisations WHERE brn = ?", id, len, "t", brn);
}

int
store_org_list(struct db *db, const char *q, const char *after, int64_t limit,
    json_t **items, char **next)
{
	return db_list_rows(db, "SELECT " ORG_COLS " FROM organisations o WHERE id > ?1 AND "
	    "(?3 IS NULL OR instr(id, ?3) > 0 OR EXISTS (SELECT 1 FROM organisation_names n "
	    "WHERE n.org = o.id AND instr(n.key, ?3) > 0)) ORDER BY id LIMIT ?2", after, limit,
	    q, org_row, items, next);
}

int
store_org_find(struct db *db, const char *given, struct org_match *m)
{
	sqlite3_stmt *st;
	char key[ORGNAME_KEY_MAX];
	int rc;

	memset(m, 0, sizeof(*m));
	if (jv_valid_id(given) && (rc = store_org_exists(db, given)) != 0) {
		if (rc < 0)
			return rc;
		snprintf(m->id, sizeof(m->id), "%s", given);
		m->by = "id";
		return 0;
	}
	if (orgname_key(given, key, sizeof(key)) < 0)
		return GD_EINVAL;
	if ((st = db_prep(db, "SELECT org, kind FROM organisation_names WHERE key = ?")) == NULL)
		return GD_EIO;
	db_bind(st, "t", key);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *kind = db_text(st, 1);

		snprintf(m->id, sizeof(m->id), "%s", db_text(st, 0));
		m->by = strcmp(kind, "name_ko") == 0 ? "name_ko" :
		    strcmp(kind, "name_en") == 0 ? "name_en" : "alias";
		rc = 0;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

/* A free id from base: base itself (unless numbered), else base-2, base-3 ... */
static int
free_id(struct db *db, const char *base, bool numbered, char id[ID_MAX + 1])
{
	char stem[ID_MAX + 1];
	size_t len;
	int rc;

	snprintf(stem, sizeof(stem), "%s", base);
	len = strlen(stem);
	if (len > ID_MAX - 7) {
		len = ID_MAX - 7;	/* room for -999999 */
		while (len > 1 && stem[len - 1] == '-')
			len--;
		stem[len] = '\0';
	}
	snprintf(id, ID_MAX + 1, "%s", numbered ? "" : base);
	for (int n = numbered ? 1 : 2; n < 1000000; n++) {
		char next[ID_MAX + 24];
		size_t l;

		if (id[0] != '\0' && (rc = store_org_exists(db, id)) <= 0)
			return rc;
		/* The stem leaves room for "-999999": the id always fits. */
		snprintf(next, sizeof(next), "%.*s-%d", ID_MAX - 7, stem, n);
		if ((l = strlen(next)) > ID_MAX)
			return GD_ECONFLICT;
		memcpy(id, next, l + 1);
	}
	return GD_ECONFLICT;
}

int
store_org_resolve(struct db *db, const char *given, int64_t now, struct org_match *m)
{
	char base[ID_MAX + 1], err[GD_ERRBUF];
	struct org_in o = { 0 };
	bool ko = orgname_hangul(given);
	int rc;

	if ((rc = store_org_find(db, given, m)) != GD_ENOENT)
		return rc;
	if (orgname_slug(given, base) < 0)
		snprintf(base, sizeof(base), "org");
	if ((rc = free_id(db, base, strcmp(base, "org") == 0, m->id)) < 0)
		return rc;
	o.id = m->id;
	o.name_ko = ko ? given : NULL;
	o.name_en = ko ? NULL : given;
	if ((rc = store_org_insert(db, &o, now)) < 0 ||
	    (rc = store_org_set_names(db, o.id, o.name_ko, o.name_en, NULL, 0, err,
	    sizeof(err))) < 0)
		return rc;
	m->created = true;
	return 0;
}

int
store_org_fold(struct db *db, const char *from, const char *into)
{
	int rc = db_run(db, "UPDATE team_memberships SET org = ?2 WHERE org = ?1", "tt", from,
	    into);

	if (rc == 0)
		rc = db_run(db, "UPDATE suppliers SET organisation = ?2 WHERE organisation = ?1",
		    "tt", from, into);
	if (rc == 0)
		rc = db_run(db, "DELETE FROM organisation_names WHERE org = ?", "t", from);
	if (rc == 0)
		rc = db_run(db, "DELETE FROM organisations WHERE id = ?", "t", from);
	return rc;
}

/* Memberships. */

int
store_membership_insert(struct db *db, const struct membership_in *in, int64_t *id)
{
	int rc = db_run(db, "INSERT INTO team_memberships (team, org, given, role, lead, since, "
	    "added_reason) VALUES (?, ?, ?, ?, ?, ?, ?)", "ttttint", in->team, in->org, in->given,
	    in->role, (int64_t)in->lead, in->since, in->reason);

	if (rc == 0 && id != NULL)
		*id = sqlite3_last_insert_rowid(db_handle(db));
	return rc;
}

int
store_membership_open(struct db *db, const char *team, const char *org, int64_t *id,
    int64_t *since)
{
	sqlite3_stmt *st = db_prep(db, "SELECT id, since FROM team_memberships WHERE team = ? "
	    "AND org = ? AND lead = 0 AND until IS NULL ORDER BY id LIMIT 1");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "tt", team, org);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*since = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 :
		    sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_membership_end(struct db *db, const char *team, const char *org, int64_t until,
    const char *reason)
{
	return db_run(db, "UPDATE team_memberships SET until = ?, removed_reason = ? WHERE "
	    "team = ? AND org = ? AND lead = 0 AND until IS NULL", "ittt", until, reason, team,
	    org);
}

#define MEMBERSHIP_COLS "id, team, org, given, role, lead, since, until, added_reason, " \
	"removed_reason"

/* A membership as a team lists it: org is the text given, organisation its id. */
static json_t *
membership_row(sqlite3_stmt *st)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "org", db_text(st, 3), "role", db_text(st, 4),
	    "organisation", db_text(st, 2));

	if (o == NULL)
		return NULL;
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		json_object_set_new(o, "since", jv_instant(sqlite3_column_int64(st, 6)));
	if (sqlite3_column_type(st, 7) != SQLITE_NULL)
		json_object_set_new(o, "until", jv_instant(sqlite3_column_int64(st, 7)));
	if (sqlite3_column_type(st, 8) != SQLITE_NULL)
		json_object_set_new(o, "added_reason", json_string(db_text(st, 8)));
	if (sqlite3_column_type(st, 9) != SQLITE_NULL)
		json_object_set_new(o, "removed_reason", json_string(db_text(st, 9)));
	return o;
}

int
store_membership_get(struct db *db, int64_t id, json_t **out)
{
	sqlite3_stmt *st = db_prep(db, "SELECT " MEMBERSHIP_COLS " FROM team_memberships "
	    "WHERE id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = membership_row(st);
		if (*out != NULL)
			json_object_set_new(*out, "team", json_string(db_text(st, 1)));
		rc = *out ? 0 : GD_ENOMEM;
	} else {
		rc = db_step_rc(rc);
	}
	db_done(st);
	return rc;
}

int
store_team_memberships(struct db *db, const char *team, json_t **lead_org_id,
    json_t **members, json_t **former)
{
	sqlite3_stmt *st = db_prep(db, "SELECT " MEMBERSHIP_COLS " FROM team_memberships "
	    "WHERE team = ? ORDER BY id");
	json_t *lead = json_null(), *m = json_array(), *f = json_array();
	int rc;

	if (st == NULL || m == NULL || f == NULL) {
		json_decref(m);
		json_decref(f);
		return st == NULL ? GD_EIO : GD_ENOMEM;
	}
	db_bind(st, "t", team);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_int(st, 5)) {
			json_decref(lead);
			lead = json_string(db_text(st, 2));
		} else {
			json_array_append_new(sqlite3_column_type(st, 7) == SQLITE_NULL ? m : f,
			    membership_row(st));
		}
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		json_decref(lead);
		json_decref(m);
		json_decref(f);
		return db_rc(rc);
	}
	*lead_org_id = lead;
	*members = m;
	*former = f;
	return 0;
}

int
store_team_orgs_at(struct db *db, const char *team, int64_t at, char ***ids, size_t *n)
{
	sqlite3_stmt *st = db_prep(db, "SELECT DISTINCT org FROM team_memberships WHERE "
	    "team = ?1 AND (since IS NULL OR since <= ?2) AND (until IS NULL OR until > ?2)");
	char (*names)[ID_MAX + 1] = NULL;
	size_t cnt = 0;
	char **v, *p;
	int rc;

	if (st == NULL)
		return GD_EIO;
	if ((names = malloc(MAX_TEAM_ORGS * sizeof(*names))) == NULL)
		return GD_ENOMEM;
	db_bind(st, "ti", team, at);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && cnt < MAX_TEAM_ORGS)
		snprintf(names[cnt++], sizeof(names[0]), "%s", db_text(st, 0));
	db_done(st);
	if (rc != SQLITE_DONE) {
		free(names);
		return rc == SQLITE_ROW ? GD_ERANGE : db_rc(rc);
	}
	if ((v = malloc(cnt * sizeof(*v) + cnt * (ID_MAX + 1) + 1)) == NULL) {
		free(names);
		return GD_ENOMEM;
	}
	p = (char *)(v + cnt);
	for (size_t i = 0; i < cnt; i++) {
		size_t len = strlen(names[i]) + 1;

		memcpy(p, names[i], len);
		v[i] = p;
		p += len;
	}
	free(names);
	*ids = v;
	*n = cnt;
	return 0;
}

int
store_team_timezone(struct db *db, const char *team, char *tz, size_t len)
{
	int rc = db_get_text(db, "SELECT g.timezone FROM enrollments e JOIN phases p ON "
	    "p.id = e.phase JOIN programs g ON g.id = p.program WHERE e.team = ? ORDER BY e.id "
	    "DESC LIMIT 1", tz, len, "t", team);

	if (rc == GD_ENOENT) {
		tz[0] = '\0';
		rc = 0;
	}
	return rc;
}

/* Migration 12. */

struct mig {
	struct db *db;
	int64_t seq;
};

static int
mig_note(struct mig *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
mig_note(struct mig *g, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return db_run(g->db, "INSERT INTO migration_log (version, seq, note) VALUES (12, ?, ?)",
	    "it", ++g->seq, line);
}

/* The organisation of one free-text name found in the old tables, noted in the log. */
static int
mig_resolve(struct mig *g, const char *given, int64_t at, const char *where,
    struct org_match *m)
{
	char name[NAME_MAX_LEN * 4 + 1] = "";
	int rc;

	if ((rc = store_org_resolve(g->db, given, at, m)) < 0)
		return rc;
	if (m->created)
		return mig_note(g, "organisation %s made from '%s' (%s)", m->id, given, where);
	rc = db_get_text(g->db, "SELECT coalesce(name_en, name_ko) FROM organisations "
	    "WHERE id = ?", name, sizeof(name), "t", m->id);
	if (rc < 0)
		return rc;
	if (strcmp(name, given) == 0)
		return 0;
	return mig_note(g, "'%s' (%s) merged into organisation %s ('%s'): the same name once "
	    "normalised", given, where, m->id, name);
}

static int
mig_teams(struct mig *g)
{
	sqlite3_stmt *st = db_prep(g->db, "SELECT t.id, t.lead_org, t.created_at, m.org, "
	    "m.role FROM teams t LEFT JOIN team_members m ON m.team = t.id "
	    "ORDER BY t.created_at, t.id, m.pos");
	struct membership_in in = { .since = -1 };
	char team[ID_MAX + 1] = "", where[256];
	struct org_match m;
	int rc = 0, step;

	if (st == NULL)
		return GD_EIO;
	/*
	 * The statement stays open while rows are added to other tables:
	 * SQLite allows it, and these tables are not the one being read.
	 */
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		char given[NAME_MAX_LEN + 1], role[128], tid[ID_MAX + 1];
		int64_t at = sqlite3_column_int64(st, 2);

		snprintf(tid, sizeof(tid), "%s", db_text(st, 0));
		in.team = tid;
		if (strcmp(team, tid) != 0) {
			snprintf(team, sizeof(team), "%s", tid);
			snprintf(given, sizeof(given), "%s", db_text(st, 1));
			snprintf(where, sizeof(where), "lead of team %s", tid);
			if ((rc = mig_resolve(g, given, at, where, &m)) < 0)
				break;
			in.org = m.id;
			in.given = given;
			in.role = "lead";
			in.lead = true;
			if ((rc = store_membership_insert(g->db, &in, NULL)) < 0)
				break;
		}
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			continue;
		snprintf(given, sizeof(given), "%s", db_text(st, 3));
		snprintf(role, sizeof(role), "%s", db_text(st, 4));
		snprintf(where, sizeof(where), "member of team %s", tid);
		if ((rc = mig_resolve(g, given, at, where, &m)) < 0)
			break;
		in.org = m.id;
		in.given = given;
		in.role = role;
		in.lead = false;
		rc = store_membership_insert(g->db, &in, NULL);
	}
	db_done(st);
	return rc < 0 ? rc : step == SQLITE_DONE ? 0 : db_rc(step);
}

static int
mig_suppliers(struct mig *g)
{
	sqlite3_stmt *st = db_prep(g->db, "SELECT id, org, created_at FROM suppliers "
	    "ORDER BY created_at, id");
	char where[128];
	struct org_match m;
	int rc = 0, step;

	if (st == NULL)
		return GD_EIO;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		char given[NAME_MAX_LEN + 1], id[ID_MAX + 1];

		snprintf(id, sizeof(id), "%s", db_text(st, 0));
		snprintf(given, sizeof(given), "%s", db_text(st, 1));
		snprintf(where, sizeof(where), "supplier %s", id);
		if ((rc = mig_resolve(g, given, sqlite3_column_int64(st, 2), where, &m)) == 0)
			rc = db_run(g->db, "UPDATE suppliers SET organisation = ? WHERE id = ?",
			    "tt", m.id, id);
	}
	db_done(st);
	return rc < 0 ? rc : step == SQLITE_DONE ? 0 : db_rc(step);
}

int
store_orgs_migrate(struct db *db, char *err, size_t errlen)
{
	struct mig g = { .db = db };
	int rc;

	if ((rc = mig_teams(&g)) == 0)
		rc = mig_suppliers(&g);
	if (rc < 0)
		snprintf(err, errlen, "organisations from the names of teams and suppliers: %s",
		    rc == GD_EINVAL ? "a name has nothing to compare once normalised" :
		    db_errmsg(db));
	return rc;
}

int
store_migration_notes(struct db *db, int version, void (*fn)(const char *note, void *arg),
    void *arg)
{
	sqlite3_stmt *st = db_prep(db, "SELECT note FROM migration_log WHERE version = ? "
	    "ORDER BY seq");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "i", (int64_t)version);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(db_text(st, 0), arg);
	db_done(st);
	return rc == SQLITE_DONE ? 0 : db_rc(rc);
}
