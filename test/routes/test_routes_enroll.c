/* test_routes_enroll.c: enrollments over the API: create (placed, split, dry run, refusals), end, extend, compensate. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Every test runs on a fresh copy of a database seeded once by
 * build_template(), in UTC:
 *
 *	phase ph: from 2026-03-01, 10 days, package 8 B200 (8 units), 1,000,000 KRW
 *	pools b1: 16 B200; h1: 16 H100 (weight 0.5); small: 4 B200;
 *	      late: 16 B200, all out of service until 2029-06-01 (past the
 *	      3-year horizon of 2029-03-01)
 *	alpha: 8 cards of b1, [03-01, 03-11), an explicit split
 *	beta, gamma: teams not enrolled
 */
static struct fx TPL, F;

static void
pool(struct fx *f, const char *id, const char *model, int cards)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"%s\",\"cards\":%d}", id, model, cards);
	fx_must(f, "POST", "/v1/pools", body, 201);
}

static void
build_template(void)
{
	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}", 201);
	fx_must(&TPL, "POST", "/v1/programs/p/phases", "{\"id\":\"ph\",\"name\":\"Phase\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":\"B200\","
	    "\"cards\":8,\"voucher_krw\":1000000}}", 201);
	pool(&TPL, "b1", "B200", 16);
	pool(&TPL, "h1", "H100", 16);
	pool(&TPL, "small", "B200", 4);
	pool(&TPL, "late", "B200", 16);
	fx_must(&TPL, "POST", "/v1/pools/late/outages", "{\"from\":\"2026-03-01T00:00:00Z\","
	    "\"to\":\"2029-06-01T00:00:00Z\",\"cards\":16,\"reason\":\"not yet delivered\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"alpha\",\"name\":\"Alpha\","
	    "\"lead_org\":\"Alpha Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"beta\",\"name\":\"Beta\","
	    "\"lead_org\":\"Beta Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/teams", "{\"id\":\"gamma\",\"name\":\"Gamma\","
	    "\"lead_org\":\"Gamma Org\"}", 201);
	fx_must(&TPL, "POST", "/v1/phases/ph/enrollments", "{\"team\":\"alpha\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}]}", 201);
	fx_template_save(&TPL);
}

static void
drop_template(void)
{
	fx_template_drop(&TPL);
}

static void
setup(void)
{
	fx_clone(&F, &TPL);
}

static void
teardown(void)
{
	fx_close(&F);
}

static char *
dump(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	return s ? s : strdup("(none)");
}

static int64_t
qint(const char *sql)
{
	return fx_qint(&F, sql, NULL, NULL);
}

/* ------------------------------------------------------------------ create */

#define SPLIT_SHORT "\"grants\":[{\"pool\":\"b1\",\"cards\":4}]"
/* What lib/placement says of a split of 4 B200 against a package of 8. */
#define SHORT_DETAIL "the split holds 4.000 units, the package 8.000"

static const struct {
	const char *what;
	const char *body;
	int status;
	const char *code;	/* the problem's code; NULL on success */
	const char *detail;	/* the problem's detail, exactly; NULL: not checked */
	const char *kind;	/* on success: every grant's kind ("placed", "manual") */
	const char *pool;	/* on success: the first grant's pool */
	const char *start;	/* on success: the window's start */
} creates[] = {
	/* All of h1 is 8 units: one pool, the fewest the scheduler can use. */
	{ "placed by search", "{\"team\":\"beta\"}", 201, NULL, NULL, "placed", "h1",
	  "2026-03-01T00:00:00Z" },
	{ "placed on the pools named", "{\"team\":\"beta\",\"pools\":[\"h1\"]}", 201, NULL, NULL,
	  "placed", "h1", "2026-03-01T00:00:00Z" },
	{ "placed from not_before", "{\"team\":\"beta\",\"not_before\":\"2026-03-05\"}", 201,
	  NULL, NULL, "placed", "h1", "2026-03-05T00:00:00Z" },
	{ "an explicit split of B200 and H100", "{\"team\":\"beta\",\"grants\":[{\"pool\":\"b1\","
	  "\"cards\":4},{\"pool\":\"h1\",\"cards\":8}]}", 201, NULL, NULL, "manual", "b1",
	  "2026-03-01T00:00:00Z" },
	{ "a dry run", "{\"team\":\"beta\",\"dry_run\":true}", 200, NULL, NULL, NULL, "h1",
	  "2026-03-01T00:00:00Z" },
	{ "a split short of the package", "{\"team\":\"beta\"," SPLIT_SHORT "}", 409,
	  "fairness_violation", SHORT_DETAIL, NULL, NULL, NULL },
	{ "a split short of the package, overridden", "{\"team\":\"beta\"," SPLIT_SHORT ","
	  "\"override\":{\"reason\":\"half a team\"}}", 201, NULL, NULL, "manual", "b1",
	  "2026-03-01T00:00:00Z" },
	{ "a dry run of an overridden split", "{\"team\":\"beta\"," SPLIT_SHORT ","
	  "\"dry_run\":true,\"override\":{\"reason\":\"half a team\"}}", 200, NULL, NULL, NULL,
	  "b1", "2026-03-01T00:00:00Z" },
	{ "the package fits only past the horizon", "{\"team\":\"beta\",\"pools\":[\"late\"]}",
	  409, "no_capacity", "the package of phase ph cannot be held for 10 days from any start "
	  "within 3 years; the earliest possible start is 2029-06-01", NULL, NULL, NULL },
	{ "the pools are too small", "{\"team\":\"beta\",\"pools\":[\"small\"]}", 409,
	  "no_capacity", "the package of phase ph cannot be held for 10 days from any start: "
	  "the pools are too small", NULL, NULL, NULL },
	{ "no pools to search", "{\"team\":\"beta\",\"pools\":[]}", 409, "no_capacity",
	  "there are no pools to place the team on", NULL, NULL, NULL },
	{ "already enrolled", "{\"team\":\"alpha\"}", 409, "already_exists",
	  "team 'alpha' is already enrolled in phase 'ph' (state active)", NULL, NULL, NULL },
	{ "no such team", "{\"team\":\"nobody\"}", 404, "not_found",
	  "team 'nobody' does not exist", NULL, NULL, NULL },
	{ "both pools and grants", "{\"team\":\"beta\",\"pools\":[\"b1\"]," SPLIT_SHORT "}", 400,
	  "bad_request", "give either pools (to search) or grants (an explicit split), not both",
	  NULL, NULL, NULL },
	{ "a pool named twice", "{\"team\":\"beta\",\"pools\":[\"b1\",\"b1\"]}", 400,
	  "bad_request", "pools lists 'b1' twice", NULL, NULL, NULL },
	{ "an unknown pool before a bad entry", "{\"team\":\"beta\",\"pools\":[\"nope\",5]}",
	  404, "not_found", "pool 'nope' does not exist", NULL, NULL, NULL },
	{ "a pool that is not an id", "{\"team\":\"beta\",\"pools\":[5]}", 400, "bad_request",
	  "pools[0] must be a pool id", NULL, NULL, NULL },
	{ "a split entry that is not an object", "{\"team\":\"beta\",\"grants\":[7]}", 400,
	  "bad_request", "grants[0] must be an object", NULL, NULL, NULL },
	{ "not_before before the phase", "{\"team\":\"beta\",\"not_before\":\"2026-02-01\"}",
	  400, "bad_request", "not_before is before the phase starts", NULL, NULL, NULL },
};

START_TEST(create)
{
	int64_t enr = fx_count(&F, "enrollments"), audit = fx_audit_count(&F);
	int64_t grants = fx_count(&F, "grants"), ovr = fx_count(&F, "overrides");
	struct response rs = fx_post(&F, "/v1/phases/ph/enrollments", creates[_i].body);
	bool created = creates[_i].status == 201;
	/* The rule a split short of the package breaks, refused or overridden. */
	bool broken = (creates[_i].code && strcmp(creates[_i].code, "fairness_violation") == 0) ||
	    (created && strstr(creates[_i].body, "override"));
	json_t *g, *v;
	char *d = dump(rs.json);
	size_t i;

	ck_assert_msg(rs.status == creates[_i].status, "%s: %d %s", creates[_i].what, rs.status,
	    d);
	if (creates[_i].code)
		ck_assert_msg(strcmp(fx_code(&rs), creates[_i].code) == 0, "%s: %s",
		    creates[_i].what, d);
	if (creates[_i].detail)
		ck_assert_str_eq(fx_detail(&rs), creates[_i].detail);
	if (creates[_i].pool) {
		ck_assert_str_eq(fx_str(rs.json, "team"), "beta");
		ck_assert_str_eq(fx_str(rs.json, "state"), "active");
		ck_assert_str_eq(fx_str(rs.json, "window.start"), creates[_i].start);
		ck_assert_int_eq(json_integer_value(fx_at(rs.json, "window.days")), 10);
		ck_assert_int_eq(json_integer_value(fx_at(rs.json, "voucher.budget_krw")), 1000000);
		ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "grants"), 0), "pool"),
		    creates[_i].pool);
		json_array_foreach(fx_at(rs.json, "grants"), i, g) {
			/* A dry run's grants have no ids: nothing was stored. */
			ck_assert_int_eq(json_object_get(g, "id") != NULL, created);
			if (creates[_i].kind)
				ck_assert_str_eq(fx_str(g, "kind"), creates[_i].kind);
		}
		ck_assert(json_is_true(fx_at(rs.json, "dry_run")) == !created);
	}
	/* Only a created enrollment leaves rows and an audit entry. */
	ck_assert_int_eq(fx_count(&F, "enrollments"), enr + created);
	ck_assert_int_eq(fx_audit_count(&F), audit + created);
	if (!created)
		ck_assert_int_eq(fx_count(&F, "grants"), grants);
	if (created) {
		ck_assert_str_eq(fx_audit_last(&F).action, "enrollment.create");
		ck_assert_str_eq(fx_audit_last(&F).target, "phase/ph/enrollment/beta");
	}
	/* A broken rule: listed, and allowed only with a reason, which is recorded. */
	v = fx_at(rs.json, created ? "overridden" : "violations");
	if (broken) {
		ck_assert_int_eq(json_array_size(v), 1);
		ck_assert_str_eq(fx_str(json_array_get(v, 0), "rule"), "equal_resource");
		ck_assert_str_eq(fx_str(json_array_get(v, 0), "detail"), SHORT_DETAIL);
	} else {
		ck_assert_ptr_null(v);
	}
	ck_assert_int_eq(fx_count(&F, "overrides"), ovr + (created && v != NULL));
	free(d);
	response_clear(&rs);
}
END_TEST

/*
 * A split refused for capacity names the instant in the programme's zone,
 * with UTC beside it: in Seoul the window opens 2026-03-01 00:00 KST, and
 * alpha's 8 cards of b1 (from 2026-03-01T00:00:00Z) leave 8 free at 09:00.
 */
START_TEST(split_refusal_in_programme_zone)
{
	struct response rs;
	char *s;

	fx_must(&F, "POST", "/v1/programs", "{\"id\":\"k\",\"name\":\"K\","
	    "\"timezone\":\"Asia/Seoul\"}", 201);
	fx_must(&F, "POST", "/v1/programs/k/phases", "{\"id\":\"kph\",\"name\":\"Seoul\","
	    "\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":{\"card_model\":"
	    "\"B200\",\"cards\":8,\"voucher_krw\":1000000}}", 201);
	rs = fx_post(&F, "/v1/phases/kph/enrollments", "{\"team\":\"beta\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":16}]}");
	s = dump(rs.json);
	ck_assert_msg(rs.status == 409, "%s", s);
	ck_assert_str_eq(fx_code(&rs), "capacity_exceeded");
	ck_assert_str_eq(fx_detail(&rs), "pool b1 has 8 cards free at 2026-03-01 09:00 KST "
	    "(2026-03-01T00:00:00Z), 16 asked");
	free(s);
	response_clear(&rs);
}
END_TEST

/* The 409 of a package that fits only past the horizon says when it would, and why. */
START_TEST(no_capacity_names_earliest_start)
{
	struct response rs = fx_post(&F, "/v1/phases/ph/enrollments",
	    "{\"team\":\"beta\",\"pools\":[\"late\"]}");
	json_t *d = fx_at(rs.json, "delays");
	char *s = dump(rs.json);

	ck_assert_msg(rs.status == 409, "%s", s);
	ck_assert_str_eq(fx_code(&rs), "no_capacity");
	ck_assert_str_eq(fx_str(rs.json, "earliest_start"), "2029-06-01T00:00:00Z");
	ck_assert_str_eq(fx_str(rs.json, "earliest_start_date"), "2029-06-01");
	ck_assert_msg(json_array_size(d) == 1, "%s", s);
	ck_assert_str_eq(fx_str(json_array_get(d, 0), "pool"), "late");
	ck_assert_int_eq(json_integer_value(fx_at(json_array_get(d, 0), "free_cards")), 0);
	ck_assert_str_eq(fx_str(json_array_get(d, 0), "until"), "2029-06-01T00:00:00Z");
	free(s);
	response_clear(&rs);
	/* Pools too small have no earliest start at all. */
	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"beta\",\"pools\":[\"small\"]}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_ptr_null(fx_at(rs.json, "earliest_start"));
	ck_assert_ptr_null(fx_at(rs.json, "delays"));
	response_clear(&rs);
}
END_TEST

/* The phase is looked up first; then the rest of the request. */
START_TEST(create_unknown_phase)
{
	struct response rs = fx_post(&F, "/v1/phases/nope/enrollments",
	    "{\"team\":\"nobody\",\"override\":{}}");

	ck_assert_int_eq(rs.status, 404);
	ck_assert_str_eq(fx_detail(&rs), "phase 'nope' does not exist");
	response_clear(&rs);
	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"nobody\",\"override\":{}}");
	ck_assert_int_eq(rs.status, 400);
	ck_assert_str_eq(fx_code(&rs), "bad_request");
	response_clear(&rs);
}
END_TEST

/* --------------------------------------------------------- eliminate, withdraw */

static const struct {
	const char *what;
	const char *before;	/* a change made first (a path), or NULL */
	const char *path;
	const char *effective_on;
	int status;
	const char *code;
	const char *detail;
	const char *state;	/* on success */
} ends[] = {
	{ "eliminated mid-window", NULL, "/v1/phases/ph/enrollments/alpha/eliminate",
	  "2026-03-05", 200, NULL, NULL, "eliminated" },
	{ "withdrawn mid-window", NULL, "/v1/phases/ph/enrollments/alpha/withdraw",
	  "2026-03-05", 200, NULL, NULL, "withdrawn" },
	{ "withdrawn before the window starts", NULL, "/v1/phases/ph/enrollments/alpha/withdraw",
	  "2026-02-20", 200, NULL, NULL, "withdrawn" },
	{ "on the window's end", NULL, "/v1/phases/ph/enrollments/alpha/eliminate",
	  "2026-03-11", 400, "bad_request", "effective_on is on or after the end of the team's "
	  "window; the enrollment completes by itself then", NULL },
	{ "eliminated twice", "/v1/phases/ph/enrollments/alpha/eliminate",
	  "/v1/phases/ph/enrollments/alpha/eliminate", "2026-03-06", 409, "invalid_state",
	  "enrollment of team 'alpha' in phase 'ph' is eliminated, not active", NULL },
	{ "withdrawn after elimination", "/v1/phases/ph/enrollments/alpha/eliminate",
	  "/v1/phases/ph/enrollments/alpha/withdraw", "2026-03-06", 409, "invalid_state",
	  "enrollment of team 'alpha' in phase 'ph' is eliminated, not active", NULL },
	{ "a team not enrolled", NULL, "/v1/phases/ph/enrollments/beta/eliminate",
	  "2026-03-05", 404, "not_found", "team 'beta' is not enrolled in phase 'ph'", NULL },
	{ "an unknown phase", NULL, "/v1/phases/nope/enrollments/alpha/withdraw",
	  "2026-03-05", 404, "not_found", "phase 'nope' does not exist", NULL },
};

START_TEST(end)
{
	char body[160];
	int64_t audit;
	struct response rs;
	char *d;

	snprintf(body, sizeof(body), "{\"effective_on\":\"%s\",\"reason\":\"ranked last\"}",
	    ends[_i].effective_on);
	if (ends[_i].before)
		fx_must(&F, "POST", ends[_i].before, "{\"effective_on\":\"2026-03-05\","
		    "\"reason\":\"first\"}", 200);
	audit = fx_audit_count(&F);
	rs = fx_post(&F, ends[_i].path, body);
	d = dump(rs.json);
	ck_assert_msg(rs.status == ends[_i].status, "%s: %d %s", ends[_i].what, rs.status, d);
	if (ends[_i].code) {
		ck_assert_str_eq(fx_code(&rs), ends[_i].code);
		ck_assert_str_eq(fx_detail(&rs), ends[_i].detail);
		ck_assert_int_eq(fx_audit_count(&F), audit);
	} else {
		ck_assert_str_eq(fx_str(rs.json, "state"), ends[_i].state);
		ck_assert_int_eq(fx_audit_count(&F), audit + 1);
		ck_assert_str_eq(fx_audit_last(&F).action, strstr(ends[_i].path, "eliminate") ?
		    "enrollment.eliminate" : "enrollment.withdraw");
		ck_assert_str_eq(fx_audit_last(&F).target, "phase/ph/enrollment/alpha");
		/* Its grants end then (or are cancelled, before the window), its voucher closes. */
		ck_assert_int_eq(qint("SELECT count(*) FROM grants WHERE end > 1772668800 AND "
		    "cancelled = 0"), 0);
	}
	free(d);
	response_clear(&rs);
}
END_TEST

/* ------------------------------------------------------------------ extend */

START_TEST(extend)
{
	struct response rs = fx_post(&F, "/v1/phases/ph/extend", "{\"days\":5,"
	    "\"reason\":\"late hardware\"}");
	char *d = dump(rs.json);

	ck_assert_msg(rs.status == 200, "%s", d);
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "period_days")), 15);
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "days")), 5);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "enrollments"), 0),
	    "window.end"), "2026-03-16T00:00:00Z");
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "moved")), 0);
	ck_assert_str_eq(fx_audit_last(&F).action, "phase.extend");
	ck_assert_str_eq(fx_audit_last(&F).target, "phase/ph");
	free(d);
	response_clear(&rs);
}
END_TEST

/*
 * The vouchers-only exception (issue 15): grants [] is an enrollment with no
 * cards, which breaks equal resource: refused without an override, made
 * with one.  It gets the voucher, takes no capacity, and the report lists
 * it apart with its override.
 */
START_TEST(vouchers_only)
{
	struct response rs;
	int64_t grants = fx_count(&F, "grants");

	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"beta\",\"grants\":[]}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_code(&rs), "fairness_violation");
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "violations"), 0), "rule"),
	    "equal_resource");
	ck_assert_ptr_nonnull(strstr(fx_detail(&rs), "vouchers-only"));
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "enrollments WHERE team = 'beta'"), 0);

	rs = fx_post(&F, "/v1/phases/ph/enrollments", "{\"team\":\"beta\",\"grants\":[],"
	    "\"override\":{\"reason\":\"beta runs its own GPUs\"}}");
	ck_assert_int_eq(rs.status, 201);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "grants")), 0);
	ck_assert_int_eq(json_integer_value(fx_at(rs.json, "voucher.budget_krw")), 1000000);
	response_clear(&rs);
	ck_assert_int_eq(fx_count(&F, "grants"), grants);

	rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-03-05T00:00:00Z");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "vouchers_only")), 1);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "vouchers_only"), 0), "team"),
	    "beta");
	ck_assert_str_eq(fx_str(json_array_get(fx_at(json_array_get(fx_at(rs.json,
	    "vouchers_only"), 0), "overrides"), 0), "reason"), "beta runs its own GPUs");
	/* Only alpha is compared. */
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "teams")), 1);
	ck_assert_str_eq(fx_str(json_array_get(fx_at(rs.json, "teams"), 0), "team"), "alpha");
	response_clear(&rs);
}
END_TEST

START_TEST(extend_refused)
{
	struct response rs;

	/* The period, extensions included, is bounded (lib/units.h). */
	fx_must(&F, "POST", "/v1/phases/ph/extend", "{\"days\":3000,\"reason\":\"a\"}", 200);
	rs = fx_post(&F, "/v1/phases/ph/extend", "{\"days\":700,\"reason\":\"b\"}");
	ck_assert_int_eq(rs.status, 400);
	ck_assert_str_eq(fx_detail(&rs), "extending phase ph by 700 days would make its period "
	    "3710 days; a period, extensions included, lasts at most 3660 days");
	response_clear(&rs);
	/* No one left to extend. */
	fx_must(&F, "POST", "/v1/phases/ph/enrollments/alpha/eliminate",
	    "{\"effective_on\":\"2026-03-05\",\"reason\":\"x\"}", 200);
	rs = fx_post(&F, "/v1/phases/ph/extend", "{\"days\":1,\"reason\":\"c\"}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_code(&rs), "invalid_state");
	ck_assert_str_eq(fx_detail(&rs), "phase 'ph' has no enrollment to extend (none that was not eliminated or withdrawn)");
	response_clear(&rs);
}
END_TEST

/* -------------------------------------------------------------- compensate */

/* All of b1 out for a day: alpha loses 8 cards x 24 h = 192 unit-hours. */
static void
b1_outage(void)
{
	fx_must(&F, "POST", "/v1/pools/b1/outages", "{\"from\":\"2026-03-02T00:00:00Z\","
	    "\"to\":\"2026-03-03T00:00:00Z\",\"cards\":16,\"reason\":\"power\"}", 201);
}

/* Sum of owed_unit_hours over a compensate reply's items. */
static double
paid(const struct response *rs)
{
	json_t *c;
	size_t i;
	double sum = 0;

	json_array_foreach(fx_at(rs->json, "compensations"), i, c)
		sum += json_number_value(fx_at(c, "owed_unit_hours"));
	return sum;
}

/* The fairness report's owed_unit_hours of a team at 2026-04-01. */
static double
report_owed(const char *team)
{
	struct response rs = fx_get(&F, "/v1/phases/ph/fairness?at=2026-04-01T00:00:00Z");
	json_t *row = NULL;
	double owed = -1;
	size_t i;

	ck_assert_int_eq(rs.status, 200);
	json_array_foreach(fx_at(rs.json, "teams"), i, row)
		if (strcmp(fx_str(row, "team"), team) == 0)
			owed = json_number_value(fx_at(row, "owed_unit_hours"));
	response_clear(&rs);
	return owed;
}

START_TEST(compensate)
{
	struct response rs;
	int64_t grants, audit;
	json_t *c;
	char *d;

	b1_outage();
	ck_assert(report_owed("alpha") == 192.0);
	grants = fx_count(&F, "grants");
	audit = fx_audit_count(&F);
	/* A dry run says what it would do, and does nothing. */
	rs = fx_post(&F, "/v1/phases/ph/compensate", "{\"dry_run\":true}");
	d = dump(rs.json);
	ck_assert_msg(rs.status == 200, "%s", d);
	ck_assert(json_is_true(fx_at(rs.json, "dry_run")));
	c = json_array_get(fx_at(rs.json, "compensations"), 0);
	ck_assert_str_eq(fx_str(c, "team"), "alpha");
	ck_assert_ptr_null(fx_at(c, "grant.id"));
	ck_assert_str_eq(fx_str(c, "grant.start"), "2026-03-11T00:00:00Z");
	ck_assert(paid(&rs) == 192.0);
	ck_assert_int_eq(fx_count(&F, "grants"), grants);
	ck_assert_int_eq(fx_audit_count(&F), audit);
	free(d);
	response_clear(&rs);
	/* Without a body it is done: make-up grants stored and audited. */
	rs = fx_post(&F, "/v1/phases/ph/compensate", NULL);
	ck_assert_int_eq(rs.status, 200);
	ck_assert(json_is_false(fx_at(rs.json, "dry_run")));
	c = json_array_get(fx_at(rs.json, "compensations"), 0);
	ck_assert_int_eq(strncmp(fx_str(c, "grant.id"), "gr_", 3), 0);
	ck_assert(paid(&rs) == 192.0);
	ck_assert_int_gt(fx_count(&F, "grants"), grants);
	ck_assert_int_eq(qint("SELECT count(*) FROM grants WHERE kind = 'compensation'"),
	    (int64_t)json_array_size(fx_at(rs.json, "compensations")));
	ck_assert_str_eq(fx_audit_last(&F).action, "phase.compensate");
	ck_assert_str_eq(fx_audit_last(&F).target, "phase/ph");
	response_clear(&rs);
	ck_assert(report_owed("alpha") == 0.0);
	/* Paid: a second call has nothing to do and audits nothing. */
	audit = fx_audit_count(&F);
	rs = fx_post(&F, "/v1/phases/ph/compensate", NULL);
	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "compensations")), 0);
	ck_assert_int_eq(fx_audit_count(&F), audit);
	response_clear(&rs);
}
END_TEST

/*
 * The three places that judge a debt agree (lib/report.c, report_owed): a
 * make-up by hand pays half, compensate pays the rest and no more, the
 * report then shows nothing owed, and a grant by hand finds nothing owed.
 */
START_TEST(owed_agrees_everywhere)
{
	struct response rs;

	b1_outage();
	fx_must(&F, "POST", "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"alpha\"},"
	    "\"pool\":\"b1\",\"cards\":8,\"start\":\"2026-03-11T00:00:00Z\","
	    "\"end\":\"2026-03-11T12:00:00Z\"}", 201);
	ck_assert(report_owed("alpha") == 96.0);
	rs = fx_post(&F, "/v1/phases/ph/compensate", NULL);
	ck_assert_int_eq(rs.status, 200);
	ck_assert(paid(&rs) == 96.0);
	response_clear(&rs);
	ck_assert(report_owed("alpha") == 0.0);
	rs = fx_post(&F, "/v1/grants", "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"alpha\"},"
	    "\"pool\":\"b1\",\"cards\":1,\"start\":\"2026-03-20T00:00:00Z\","
	    "\"end\":\"2026-03-20T01:00:00Z\"}");
	ck_assert_int_eq(rs.status, 409);
	ck_assert_str_eq(fx_detail(&rs), "a grant after the window of team 'alpha' delivers "
	    "1.000 unit-hours; the team is owed 0.000");
	response_clear(&rs);
}
END_TEST

/* ---------------------------------------------------------------- list, get */

START_TEST(list_and_get)
{
	struct response rs = fx_get(&F, "/v1/phases/ph/enrollments");

	ck_assert_int_eq(rs.status, 200);
	ck_assert_int_eq(json_array_size(fx_at(rs.json, "items")), 1);
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/ph/enrollments/alpha");
	ck_assert_int_eq(rs.status, 200);
	ck_assert_str_eq(fx_str(rs.json, "team"), "alpha");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/ph/enrollments/beta");
	ck_assert_int_eq(rs.status, 404);
	ck_assert_str_eq(fx_detail(&rs), "team 'beta' is not enrolled in phase 'ph'");
	response_clear(&rs);
	rs = fx_get(&F, "/v1/phases/nope/enrollments");
	ck_assert_int_eq(rs.status, 404);
	ck_assert_str_eq(fx_detail(&rs), "phase 'nope' does not exist");
	response_clear(&rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_enroll");
	TCase *tc = tcase_create("enroll");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, create, 0, (int)NELEMS(creates));
	tcase_add_test(tc, no_capacity_names_earliest_start);
	tcase_add_test(tc, split_refusal_in_programme_zone);
	tcase_add_test(tc, create_unknown_phase);
	tcase_add_loop_test(tc, end, 0, (int)NELEMS(ends));
	tcase_add_test(tc, extend);
	tcase_add_test(tc, extend_refused);
	tcase_add_test(tc, vouchers_only);
	tcase_add_test(tc, compensate);
	tcase_add_test(tc, owed_agrees_everywhere);
	tcase_add_test(tc, list_and_get);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
