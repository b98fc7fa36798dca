/* store_catalog.c: SQL for the catalogue: card models, programmes, phases, teams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "db_sql.h"
#include "err.h"
#include "jsonv.h"
#include "store_catalog.h"
#include "store_orgs.h"

static json_t *
date_json(int64_t days)
{
	char buf[CIVIL_DATE_LEN];

	civil_format_date(days, buf);
	return json_string(buf);
}

/* Card models. */

static json_t *
card_model_row(struct db *db, sqlite3_stmt *st)
{
	(void)db;
	return json_pack("{s:s, s:o}", "id", db_text(st, 0), "weight",
	    jv_milli(sqlite3_column_int64(st, 1)));
}

int
store_card_model_get(struct db *db, const char *id, json_t **out)
{
	return db_get_row(db, "SELECT id, weight_milli FROM card_models WHERE id = ?", id,
	    card_model_row, out);
}

int
store_card_model_weight(struct db *db, const char *id, int64_t *milli)
{
	int64_t w = db_int(db, "SELECT weight_milli FROM card_models WHERE id = ?", "t", id);

	if (w <= 0)
		return GD_ENOENT;
	*milli = w;
	return 0;
}

int
store_card_model_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next)
{
	return db_list_rows(db, "SELECT id, weight_milli FROM card_models WHERE id > ?1 "
	    "AND ?3 IS NULL ORDER BY id LIMIT ?2", after, limit, NULL, card_model_row, items, next);
}

int
store_card_model_put(struct db *db, const char *id, int64_t milli)
{
	return db_run(db, "INSERT INTO card_models (id, weight_milli) VALUES (?, ?) "
	    "ON CONFLICT (id) DO UPDATE SET weight_milli = excluded.weight_milli", "ti", id, milli);
}

int
store_card_model_in_use(struct db *db, const char *id)
{
	int64_t n = db_int(db, "SELECT (SELECT count(*) FROM pools WHERE card_model = ?1) + "
	    "(SELECT count(*) FROM phases WHERE card_model = ?1)", "t", id);

	return n < 0 ? GD_EIO : n > 0;
}

/* Programmes. */

static json_t *
program_row(struct db *db, sqlite3_stmt *st)
{
	(void)db;
	return json_pack("{s:s, s:s, s:s, s:o}", "id", db_text(st, 0), "name", db_text(st, 1),
	    "timezone", db_text(st, 2), "created_at", jv_instant(sqlite3_column_int64(st, 3)));
}

int
store_program_get(struct db *db, const char *id, json_t **out)
{
	return db_get_row(db, "SELECT id, name, timezone, created_at FROM programs WHERE id = ?",
	    id, program_row, out);
}

int
store_program_tz(struct db *db, const char *id, char tz[64])
{
	sqlite3_stmt *st = db_prep(db, "SELECT timezone FROM programs WHERE id = ?");
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(tz, 64, "%s", db_text(st, 0));
	db_done(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GD_ENOENT : db_rc(rc);
}

int
store_program_list(struct db *db, const char *after, int64_t limit, json_t **items,
    char **next)
{
	return db_list_rows(db, "SELECT id, name, timezone, created_at FROM programs "
	    "WHERE id > ?1 AND ?3 IS NULL ORDER BY id LIMIT ?2", after, limit, NULL,
	    program_row, items, next);
}

int
store_program_insert(struct db *db, const struct program_in *p, int64_t now)
{
	return db_run(db, "INSERT INTO programs (id, name, timezone, created_at) "
	    "VALUES (?, ?, ?, ?)", "ttti", p->id, p->name, p->timezone, now);
}

/* Phases. */

#define PHASE_COLS "p.id, p.program, p.name, p.starts_on, p.period_days, " \
	"p.evaluation_on, p.card_model, p.cards, p.voucher_krw, m.weight_milli, p.created_at"

static json_t *
phase_row(struct db *db, sqlite3_stmt *st)
{
	int64_t starts = sqlite3_column_int64(st, 3), days = sqlite3_column_int64(st, 4);
	int64_t cards = sqlite3_column_int64(st, 7), w = sqlite3_column_int64(st, 9);
	json_t *o;

	(void)db;
	o = json_pack("{s:s, s:s, s:s, s:o, s:I, s:o, s:{s:s, s:I, s:I, s:o}, s:o}",
	    "id", db_text(st, 0), "program", db_text(st, 1), "name", db_text(st, 2),
	    "starts_on", date_json(starts), "period_days", (json_int_t)days,
	    "ends_on", date_json(starts + days),
	    "package", "card_model", db_text(st, 6), "cards", (json_int_t)cards,
	    "voucher_krw", (json_int_t)sqlite3_column_int64(st, 8), "units", jv_milli(cards * w),
	    "created_at", jv_instant(sqlite3_column_int64(st, 10)));
	if (o && sqlite3_column_type(st, 5) != SQLITE_NULL)
		json_object_set_new(o, "evaluation_on", date_json(sqlite3_column_int64(st, 5)));
	return o;
}

int
store_phase_get(struct db *db, const char *id, json_t **out)
{
	return db_get_row(db, "SELECT " PHASE_COLS " FROM phases p JOIN card_models m "
	    "ON m.id = p.card_model WHERE p.id = ?", id, phase_row, out);
}

int
store_phase_list(struct db *db, const char *program, const char *after, int64_t limit,
    json_t **items, char **next)
{
	return db_list_rows(db, "SELECT " PHASE_COLS " FROM phases p JOIN card_models m "
	    "ON m.id = p.card_model WHERE p.id > ?1 AND (?3 IS NULL OR p.program = ?3) "
	    "ORDER BY p.id LIMIT ?2", after, limit, program, phase_row, items, next);
}

int
store_phase_insert(struct db *db, const struct phase_in *p, int64_t now)
{
	return db_run(db, "INSERT INTO phases (id, program, name, starts_on, period_days, "
	    "evaluation_on, card_model, cards, voucher_krw, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", "tttiintiii", p->id, p->program, p->name,
	    p->starts_on, p->period_days, p->evaluation_on, p->card_model, p->cards,
	    p->voucher_krw, now);
}

/* Teams. */

static json_t *
team_row(struct db *db, sqlite3_stmt *st)
{
	json_t *lead = NULL, *members = NULL, *former = NULL;

	if (store_team_memberships(db, db_text(st, 0), &lead, &members, &former) < 0)
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o}", "id", db_text(st, 0), "name",
	    db_text(st, 1), "lead_org", db_text(st, 2), "lead_organisation", lead, "members",
	    members, "former_members", former, "created_at",
	    jv_instant(sqlite3_column_int64(st, 3)));
}

int
store_team_get(struct db *db, const char *id, json_t **out)
{
	return db_get_row(db, "SELECT id, name, lead_org, created_at FROM teams WHERE id = ?", id,
	    team_row, out);
}

int
store_team_list(struct db *db, const char *only, const char *after, int64_t limit,
    json_t **items, char **next)
{
	return db_list_rows(db, "SELECT id, name, lead_org, created_at FROM teams WHERE id > ?1 "
	    "AND (?3 IS NULL OR id = ?3) ORDER BY id LIMIT ?2", after, limit, only, team_row,
	    items, next);
}

int
store_team_insert(struct db *db, const struct team_in *t, int64_t now)
{
	return db_run(db, "INSERT INTO teams (id, name, lead_org, created_at) VALUES (?, ?, ?, ?)",
	    "ttti", t->id, t->name, t->lead_org, now);
}


int
store_phase_extend(struct db *db, const char *id, int64_t days)
{
	int rc = db_run(db, "UPDATE phases SET period_days = period_days + ?1, "
	    "extended_days = extended_days + ?1 WHERE id = ?2", "it", days, id);

	/* Every team's evaluation date moved: each is reminded of its new one. */
	if (rc == 0)
		rc = db_run(db, "UPDATE enrollments SET evaluation_noted = 0 WHERE phase = ? "
		    "AND state IN ('active', 'completed')", "t", id);
	return rc;
}
/* Phases, as placement sees them. */

int
store_phase_info(struct db *db, const char *phase, struct phase_info *pi)
{
	sqlite3_stmt *st = db_prep(db, "SELECT p.id, p.program, p.card_model, g.timezone, "
	    "p.starts_on, p.period_days, p.evaluation_on, p.cards, m.weight_milli, p.voucher_krw, "
	    "p.extended_days FROM phases p JOIN programs g ON g.id = p.program "
	    "JOIN card_models m ON m.id = p.card_model WHERE p.id = ?");
	struct phase_info r = { 0 };
	int rc;

	if (st == NULL)
		return GD_EIO;
	db_bind(st, "t", phase);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		db_done(st);
		return db_step_rc(rc);
	}
	snprintf(r.id, sizeof(r.id), "%s", db_text(st, 0));
	snprintf(r.program, sizeof(r.program), "%s", db_text(st, 1));
	snprintf(r.card_model, sizeof(r.card_model), "%s", db_text(st, 2));
	snprintf(r.tz, sizeof(r.tz), "%s", db_text(st, 3));
	r.starts_on = sqlite3_column_int64(st, 4);
	r.period_days = sqlite3_column_int64(st, 5);
	r.evaluation_on = sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(st, 6);
	r.cards = sqlite3_column_int64(st, 7);
	r.weight_milli = sqlite3_column_int64(st, 8);
	r.voucher_krw = sqlite3_column_int64(st, 9);
	r.extended_days = sqlite3_column_int64(st, 10);
	db_done(st);
	r.units_milli = r.cards * r.weight_milli;
	if (civil_tz_offset(r.tz, &r.tz_off) < 0)
		return GD_EIO;
	r.start = civil_local_midnight(r.starts_on, r.tz_off);
	*pi = r;
	return 0;
}

int
store_team_exists(struct db *db, const char *id)
{
	int64_t n = db_int(db, "SELECT count(*) FROM teams WHERE id = ?", "t", id);

	return n < 0 ? GD_EIO : n > 0;
}

int
store_phase_exists(struct db *db, const char *id)
{
	int64_t n = db_int(db, "SELECT count(*) FROM phases WHERE id = ?", "t", id);

	return n < 0 ? GD_EIO : n > 0;
}
