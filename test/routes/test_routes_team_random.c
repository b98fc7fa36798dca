/* test_routes_team_random.c: the team rules of issue 14, seeded and random, against brute force. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "fixture.h"
#include "timers.h"

/*
 * Each rule between teams (docs/fairness.md, the amendment "Fairness across
 * teams" of api-v1.md) gets random sequences of requests through the routes,
 * and a small model of the rules, written here from their definitions and
 * not from grantd's code, predicts every answer:
 *
 *	1. enrollments: the default not_before, equal_period for a window
 *	   starting before today, one_enrollment (spans of the same team in the
 *	   programme, and a team that was eliminated or withdrew), the same phase
 *	   twice, eliminations and make-ups that lengthen a span;
 *	2. grants by hand: equal_resource, equal_period (before the window, or
 *	   before the local day of the enrollment), evaluation_date (each team's
 *	   own date, moved by extensions), equal_delivery (a make-up by hand with
 *	   nothing owed);
 *	3. extend: all or none, the capacity of the whole arrangement counted day
 *	   by day, completed teams served after their window and by their
 *	   evaluation date, what each team got.
 *
 * Each test runs TRIALS trials, each on a fresh copy of a database with
 * programme p (Asia/Seoul, UTC+9) and teams t0..t3.  GRANTD_SEED picks the
 * seed (a fixed default otherwise); every failure names the seed, the trial
 * and the step, with the request and its instant.  After every refusal the
 * database must be as it was, and after every trial the enrollments and
 * grants the routes list must be the model's.
 */

#define DAY INT64_C(86400)
#define HOUR INT64_C(3600)
#define SEOUL (9 * HOUR)
#define TRIALS 30
#define NTEAMS 4

static struct fx TPL, F;
static uint64_t SEED;
static int TRIAL, STEP;
static char CTX[1600];		/* the request being judged, for messages */
static char RBUF[2400];		/* a reply, for messages */

/* A failure names the seed, the trial, the step and the request. */
#define CHECK(cond, ...) do {							\
	if (!(cond)) {								\
		char m_[3000];							\
									\
		snprintf(m_, sizeof(m_), __VA_ARGS__);				\
		ck_abort_msg("%s\n  => %s", CTX, m_);				\
	}									\
} while (0)

static const char *const TEAM[NTEAMS] = { "t0", "t1", "t2", "t3" };

/* ------------------------------------------------------------ the clock */

/* The local day (days since 1970-01-01) of an instant in Seoul. */
static int64_t
lday(int64_t t)
{
	int64_t x = t + SEOUL;

	return x >= 0 ? x / DAY : -((-x + DAY - 1) / DAY);
}

/* 00:00 in Seoul of a local day. */
static int64_t
lmid(int64_t d)
{
	return d * DAY - SEOUL;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* [a0, a1) and [b0, b1) share an instant. */
static bool
overlap(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
	return max64(a0, b0) < min64(a1, b1);
}

static const char *
inst(int64_t t, char buf[CIVIL_INSTANT_LEN])
{
	civil_format_instant(t, buf);
	return buf;
}

static const char *
date(int64_t d, char buf[CIVIL_DATE_LEN])
{
	civil_format_date(d, buf);
	return buf;
}

/* ------------------------------------------------------------ requests */

static const char *
rtext(const struct response *rs)
{
	char *s = rs->json ? json_dumps(rs->json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	snprintf(RBUF, sizeof(RBUF), "%d %s", rs->status, s ? s : "(no body)");
	free(s);
	return RBUF;
}

/* A request by the admin at now; CTX names it for every check that follows. */
static struct response
call(const char *method, const char *path, const char *body, int64_t now)
{
	struct fx_rq in = { .method = method, .path = path, .token = F.admin, .body = body,
		.now = now };
	char when[CIVIL_INSTANT_LEN];

	snprintf(CTX, sizeof(CTX), "seed %llu trial %d step %d: %s %s %s at %s",
	    (unsigned long long)SEED, TRIAL, STEP, method, path, body ? body : "",
	    inst(now, when));
	return fx_call(&F, &in);
}

/* The first column of the first row as text, with one optional text argument; caller frees. */
static char *
qtext(const char *sql, const char *arg)
{
	sqlite3_stmt *st;
	char *s = NULL;

	ck_assert_msg(sqlite3_prepare_v2(db_handle(F.app.r), sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db_handle(F.app.r)));
	if (arg)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		s = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return s ? s : strdup("");
}

/*
 * The same for a query asked after every request, prepared once a trial on
 * the reader: compiling the fingerprint's SQL costs more than running it.
 */
enum { Q_FINGERPRINT, Q_OVERRIDES, NQ };
static sqlite3_stmt *QST[NQ];

static char *
qtext_kept(int q, const char *sql, const char *arg)
{
	char *s = NULL;

	if (QST[q] == NULL)
		ck_assert_msg(sqlite3_prepare_v2(db_handle(F.app.r), sql, -1, &QST[q], NULL) ==
		    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db_handle(F.app.r)));
	if (arg)
		sqlite3_bind_text(QST[q], 1, arg, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(QST[q]) == SQLITE_ROW && sqlite3_column_text(QST[q], 0))
		s = strdup((const char *)sqlite3_column_text(QST[q], 0));
	sqlite3_reset(QST[q]);
	sqlite3_clear_bindings(QST[q]);
	return s ? s : strdup("");
}

/*
 * Everything a refused request could have written: grants, enrollments
 * (state, window, end, extra days), phases (period, extensions), overrides,
 * ledger transfers and the audit trail's length, as counts and weighted
 * sums (a row's weight is its id's, so that two changes cannot cancel
 * out).  Integers, not the rows' text: this runs around every refusal.
 */
static char *
fingerprint(void)
{
	return qtext_kept(Q_FINGERPRINT, "SELECT (SELECT count(*) || ':' || "
	    "coalesce(sum((id % 1009 + 1) * (start + 3 * end + 5 * planned_end + 7 * cards + "
	    "11 * cancelled + 13 * length(kind))), 0) FROM grants) || '|' || (SELECT count(*) || "
	    "':' || coalesce(sum((id % 1009 + 1) * (window_start + 3 * window_end + 5 * "
	    "coalesce(ended_at, 1) + 7 * extra_days + 11 * instr('acew', substr(state, 1, 1)))), "
	    "0) FROM enrollments) || '|' || (SELECT coalesce(sum(period_days + 1000 * "
	    "extended_days), 0) FROM phases) || '|' || (SELECT count(*) FROM overrides) || '|' || "
	    "(SELECT count(*) FROM ledger_transfers) || '|' || (SELECT count(*) FROM audit)",
	    NULL);
}

/* The rules overridden by the last request, sorted, comma-separated; caller frees. */
static char *
overrides_of_last(void)
{
	return qtext_kept(Q_OVERRIDES, "SELECT coalesce(group_concat(rule, ','), '') FROM "
	    "(SELECT rule FROM overrides WHERE request_id = ?1 ORDER BY rule)", F.rid);
}

/* ------------------------------------------------------------ rule sets */

struct rules {
	const char *r[32];
	int n;
};

static void
rule_add(struct rules *v, const char *name)
{
	ck_assert_int_lt(v->n, 32);
	v->r[v->n++] = name;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names sorted and joined by commas into buf (a multiset: repeats stay). */
static const char *
rules_join(const char **names, int n, char *buf, size_t len)
{
	size_t o = 0;

	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "", names[i]);
	return buf;
}

static const char *
rules_str(const struct rules *v, char *buf, size_t len)
{
	struct rules c = *v;

	return rules_join(c.r, c.n, buf, len);
}

/* The rules of a reply's "violations" (or "overridden"), as rules_str gives them. */
static const char *
reply_rules(const json_t *arr, char *buf, size_t len)
{
	const char *names[64];
	json_t *x;
	size_t i;
	int n = 0;

	json_array_foreach(arr, i, x)
		if (n < 64)
			names[n++] = fx_str(x, "rule");
	return rules_join(names, n, buf, len);
}

/*
 * The reply is the refusal the model predicts (status and code, and for a
 * fairness_violation exactly the rules of want), and nothing changed.
 */
static void
expect_refused(struct response *rs, const char *before, int status, const char *code,
    const struct rules *want)
{
	char got[512], exp[512], *after;

	CHECK(rs->status == status && strcmp(fx_code(rs), code) == 0,
	    "expected %d %s [%s], got %s", status, code,
	    want ? rules_str(want, exp, sizeof(exp)) : "", rtext(rs));
	if (want) {
		reply_rules(fx_at(rs->json, "violations"), got, sizeof(got));
		rules_str(want, exp, sizeof(exp));
		CHECK(strcmp(got, exp) == 0, "expected the rules [%s], got [%s]: %s", exp, got,
		    rtext(rs));
	}
	after = fingerprint();
	CHECK(strcmp(before, after) == 0, "refused (%s) but changed the database:\n  %s\n  "
	    "-> %s", rtext(rs), before, after);
	free(after);
}

/* An accepted change recorded exactly the overrides of the rules in want. */
static void
expect_overrides(const struct rules *want)
{
	char exp[512], *got = overrides_of_last();

	rules_str(want, exp, sizeof(exp));
	if (strcmp(got, exp) != 0) {
		char *all = qtext("SELECT group_concat(rule || ': ' || detail, ' | ') FROM "
		    "overrides WHERE request_id = ?1", F.rid);

		CHECK(false, "expected the overrides [%s] to be recorded, found [%s]: %s", exp, got,
		    all);
	}
	free(got);
}

/* ------------------------------------------------------------ the model */

enum { K_PLACED, K_MANUAL, K_COMP, K_EXT };
static const char *const KIND[] = { "placed", "manual", "compensation", "extension" };
enum { S_ACTIVE, S_COMPLETED, S_ELIMINATED, S_WITHDRAWN };
static const char *const STATE[] = { "active", "completed", "eliminated", "withdrawn" };

#define MAXE 24
#define MAXG 200

struct m_enr {
	int team, phase;
	int state;
	int64_t start, end;	/* the window */
	int64_t ended_at;	/* -1 unless eliminated or withdrawn */
	int64_t created;	/* the instant it was made */
	int64_t extra;		/* days after the window (completed, extended) */
};

struct m_grant {
	int enr;
	int64_t start, end, cards;
	int kind;
	bool cancelled;
};

static struct {
	struct m_enr e[MAXE];	/* in creation (id) order */
	int ne;
	struct m_grant g[MAXG];	/* in creation (id) order */
	int ng;
} M;

static int
m_find(int team, int phase)
{
	for (int i = 0; i < M.ne; i++)
		if (M.e[i].team == team && M.e[i].phase == phase)
			return i;
	return -1;
}

static int
m_enroll(int team, int phase, int64_t start, int64_t end, int64_t now)
{
	ck_assert_int_lt(M.ne, MAXE);
	M.e[M.ne] = (struct m_enr){ team, phase, S_ACTIVE, start, end, -1, now, 0 };
	return M.ne++;
}

static void
m_grant(int enr, int64_t start, int64_t end, int64_t cards, int kind)
{
	ck_assert_int_lt(M.ng, MAXG);
	M.g[M.ng++] = (struct m_grant){ enr, start, end, cards, kind, false };
}

/*
 * The end of the time an enrollment holds its team: its window and every
 * grant it holds (make-ups and extension days after the window), cut at its
 * end for one that was eliminated or withdrew.
 */
static int64_t
m_span_end(int i)
{
	int64_t t = M.e[i].end;

	for (int k = 0; k < M.ng; k++)
		if (M.g[k].enr == i && !M.g[k].cancelled && M.g[k].end > t)
			t = M.g[k].end;
	if (M.e[i].ended_at >= 0 && M.e[i].ended_at < t)
		t = M.e[i].ended_at;
	return t;
}

/* Ends enrollment i at t: grants from t on are cancelled, the others cut there. */
static void
m_end(int i, int state, int64_t t)
{
	M.e[i].state = state;
	M.e[i].ended_at = t;
	for (int k = 0; k < M.ng; k++) {
		struct m_grant *g = &M.g[k];

		if (g->enr != i || g->cancelled)
			continue;
		if (g->start >= t)
			g->cancelled = true;
		else if (g->end > t)
			g->end = t;
	}
}

/*
 * What the timer does at now that the rules see: a window over is a
 * completed enrollment.  The daemon's timers run only when one is due:
 * they change nothing else these rules look at, and their idle scan at
 * every step would be most of the time spent under the sanitizers.
 */
static void
m_complete(int64_t now)
{
	bool due = false;

	for (int i = 0; i < M.ne; i++)
		if (M.e[i].state == S_ACTIVE && M.e[i].end <= now) {
			M.e[i].state = S_COMPLETED;
			due = true;
		}
	if (due)
		fx_run_timers(&F, now);
}

static bool
m_left(int i)
{
	return M.e[i].state == S_ELIMINATED || M.e[i].state == S_WITHDRAWN;
}

/*
 * one_enrollment for [from, to) of team, other than enrollment self (-1:
 * none): one violation for each other enrollment of the team in the
 * programme whose span shares an instant with it, and, for a new
 * enrollment, for each one that was eliminated or withdrew.  A span is
 * half-open: an enrollment that ended on the first day of its window (or
 * before) holds no time at all, and nothing meets it.
 */
static void
m_one_enrollment(int team, int self, int64_t from, int64_t to, bool is_new, struct rules *v)
{
	for (int i = 0; i < M.ne; i++) {
		if (i == self || M.e[i].team != team)
			continue;
		if (is_new && m_left(i))
			rule_add(v, "one_enrollment");
		else if (overlap(from, to, M.e[i].start, m_span_end(i)))
			rule_add(v, "one_enrollment");
	}
}

/*
 * The rules of a grant added by hand to enrollment i, from their
 * definitions: pkg is the package in cards (weight 1), eval_mid the instant
 * the team's evaluation date begins (-1: none).  No outage ever happens in
 * these worlds, so a team is owed nothing.
 */
static void
m_grant_rules(int i, int64_t s, int64_t e, int64_t cards, int64_t pkg, int64_t eval_mid,
    struct rules *v)
{
	const struct m_enr *en = &M.e[i];

	/* equal_resource: at some hour of the window, above the package (make-ups aside). */
	for (int64_t h = max64(s, en->start); h < min64(e, en->end); h += HOUR) {
		int64_t held = 0;

		for (int k = 0; k < M.ng; k++) {
			const struct m_grant *g = &M.g[k];

			if (g->enr == i && !g->cancelled && g->kind != K_COMP && g->start <= h &&
			    h < g->end)
				held += g->cards;
		}
		if (held + cards > pkg) {
			rule_add(v, "equal_resource");
			break;
		}
	}
	/* equal_resource: reaching past the window's end from inside it. */
	if (s < en->end && e > en->end)
		rule_add(v, "equal_resource");
	/* equal_period: before the window, or before the local day of the enrollment. */
	if (s < en->start)
		rule_add(v, "equal_period");
	if (s >= en->start && s < lmid(lday(en->created)))
		rule_add(v, "equal_period");
	/* evaluation_date: past 00:00 local of the team's date, after the window. */
	if (e > en->end && eval_mid >= 0 && e > eval_mid)
		rule_add(v, "evaluation_date");
	m_one_enrollment(en->team, i, s, e, false, v);
	/* equal_delivery: after the window, more than the team is owed (nothing). */
	if (s >= en->end)
		rule_add(v, "equal_delivery");
}

/* GET of a phase's enrollments against the model, team by team. */
static void
compare_enrollments(const char *phase, int pidx, int64_t eval_day0, int64_t starts_on,
    int64_t ext)
{
	char path[96], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], c[CIVIL_INSTANT_LEN];
	char d[CIVIL_DATE_LEN];
	struct response rs;
	json_t *items, *x;
	int want[NTEAMS], nw = 0;

	for (int t = 0; t < NTEAMS; t++) {
		int i = m_find(t, pidx);

		if (i >= 0)
			want[nw++] = i;
	}
	snprintf(path, sizeof(path), "/v1/phases/%s/enrollments?limit=100", phase);
	rs = call("GET", path, NULL, FX_NOW);
	CHECK(rs.status == 200, "%s", rtext(&rs));
	items = fx_at(rs.json, "items");
	CHECK((int)json_array_size(items) == nw, "the model has %d enrollments in %s: %s", nw,
	    phase, rtext(&rs));
	for (int k = 0; k < nw; k++) {
		const struct m_enr *e = &M.e[want[k]];
		const char *ended = e->ended_at >= 0 ? inst(e->ended_at, c) : "";

		x = json_array_get(items, (size_t)k);
		CHECK(strcmp(fx_str(x, "team"), TEAM[e->team]) == 0 &&
		    strcmp(fx_str(x, "state"), STATE[e->state]) == 0 &&
		    strcmp(fx_str(x, "window.start"), inst(e->start, a)) == 0 &&
		    strcmp(fx_str(x, "window.end"), inst(e->end, b)) == 0 &&
		    strcmp(fx_str(x, "ended_at"), ended) == 0 &&
		    json_integer_value(fx_at(x, "extra_days")) == e->extra,
		    "the model has %s %s window [%s, %s) ended_at %s extra_days %lld; got %s",
		    TEAM[e->team], STATE[e->state], a, b, ended[0] ? ended : "-",
		    (long long)e->extra, rtext(&rs));
		if (eval_day0 >= 0) {
			int64_t ev = eval_day0 + (lday(e->start) - starts_on) + ext;

			CHECK(strcmp(fx_str(x, "evaluation_on"), date(ev, d)) == 0,
			    "team %s is evaluated on %s by the rule: %s", TEAM[e->team], d,
			    rtext(&rs));
		}
	}
	response_clear(&rs);
}

/* GET of a phase's grants (live ones, in id order) against the model. */
static void
compare_grants(const char *phase, int pidx)
{
	char path[96], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN];
	struct response rs;
	json_t *items, *x;
	size_t k = 0;

	snprintf(path, sizeof(path), "/v1/grants?phase=%s&limit=1000", phase);
	rs = call("GET", path, NULL, FX_NOW);
	CHECK(rs.status == 200, "%s", rtext(&rs));
	items = fx_at(rs.json, "items");
	for (int i = 0; i < M.ng; i++) {
		const struct m_grant *g = &M.g[i];

		if (g->cancelled || M.e[g->enr].phase != pidx)
			continue;
		x = json_array_get(items, k++);
		CHECK(x != NULL && strcmp(fx_str(x, "team"), TEAM[M.e[g->enr].team]) == 0 &&
		    json_integer_value(fx_at(x, "cards")) == g->cards &&
		    strcmp(fx_str(x, "start"), inst(g->start, a)) == 0 &&
		    strcmp(fx_str(x, "end"), inst(g->end, b)) == 0 &&
		    strcmp(fx_str(x, "kind"), KIND[g->kind]) == 0,
		    "grant %zu of %s: the model has %s %lld cards [%s, %s) %s; got %s", k - 1,
		    phase, TEAM[M.e[g->enr].team], (long long)g->cards, a, b, KIND[g->kind],
		    rtext(&rs));
	}
	CHECK(json_array_size(items) == k, "the model has %zu live grants in %s: %s", k, phase,
	    rtext(&rs));
	response_clear(&rs);
}

/* ------------------------------------------------------------ worlds */

/*
 * Once, in Check's parent process (an unchecked fixture): programme p in
 * Seoul and the teams, copied for every trial.
 */
static void
build_template(void)
{
	char body[200];

	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"Asia/Seoul\"}", 201);
	for (int t = 0; t < NTEAMS; t++) {
		snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Team %d\",\"lead_org\":"
		    "\"Org %d\"}", TEAM[t], t, t);
		fx_must(&TPL, "POST", "/v1/teams", body, 201);
	}
	fx_template_save(&TPL);
}

static void
drop_template(void)
{
	fx_template_drop(&TPL);
}

static void
trial_open(uint64_t *rs, int trial)
{
	TRIAL = trial;
	STEP = 0;
	*rs = SEED + (uint64_t)trial * UINT64_C(0x9e3779b97f4a7c15);
	memset(&M, 0, sizeof(M));
	fx_clone(&F, &TPL);
	/*
	 * A thousand commits a test: durability is not what is tested here, and
	 * an fsync per commit would be most of the time spent.
	 */
	fx_sql(&F, "PRAGMA synchronous = OFF");
}

/*
 * fx_close() without its leak check, which costs more than a trial under
 * LeakSanitizer: test_close() makes it once, after every trial of a test.
 */
static void
trial_close(void)
{
	for (int q = 0; q < NQ; q++) {
		sqlite3_finalize(QST[q]);
		QST[q] = NULL;
	}
	if (F.app.batch && commit_pending(&F.app))
		commit_flush(&F.app);
	commit_free(&F.app);
	db_close(F.app.r);
	db_close(F.app.w);
	F.app.r = F.app.w = NULL;
	fx_remove(&F);
}

static void
test_close(void)
{
	if (__lsan_do_recoverable_leak_check != NULL)
		ck_assert_msg(__lsan_do_recoverable_leak_check() == 0,
		    "memory leaked in this test: see LeakSanitizer's report above");
}

static void
pool(const char *id, int64_t cards)
{
	char body[200];

	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"B200\",\"cards\":%lld}", id, (long long)cards);
	fx_must(&F, "POST", "/v1/pools", body, 201);
}

/* A phase of p with a package of `cards` B200 (weight 1: cards are units); eval < 0: none. */
static void
phase(const char *id, int64_t starts_on, int64_t days, int64_t eval, int64_t cards)
{
	char body[400], ev[64] = "", s[CIVIL_DATE_LEN], e[CIVIL_DATE_LEN];

	if (eval >= 0)
		snprintf(ev, sizeof(ev), ",\"evaluation_on\":\"%s\"", date(eval, e));
	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Phase %s\",\"starts_on\":\"%s\","
	    "\"period_days\":%lld%s,\"package\":{\"card_model\":\"B200\",\"cards\":%lld,"
	    "\"voucher_krw\":1000000}}", id, id, date(starts_on, s), (long long)days, ev,
	    (long long)cards);
	fx_must(&F, "POST", "/v1/programs/p/phases", body, 201);
}

/* The local day of FX_NOW, 2026-03-01: every world starts near it. */
#define D0 (lday(FX_NOW))

/* ------------------------------------------------------------ 1. enrollments */

#define NPH1 3

static const char *const PH1[NPH1] = { "s1", "s2", "s3" };
static int64_t starts1[NPH1], days1[NPH1];

/* What the generator reached, for the test's last check. */
static struct {
	long ok, viol, over, exist, bad, end, mk;
} K1;

/*
 * A random team in a random phase, mostly a pair not enrolled yet;
 * not_before absent, or from four days ago to four days on (before the
 * phase, too); with or without an override.
 */
static void
t1_enroll(uint64_t *rs, int64_t now)
{
	int t = (int)brute_range(rs, 0, NTEAMS - 1);
	int p = (int)brute_range(rs, 0, NPH1 - 1);
	bool has_nb = brute_range(rs, 0, 99) < 65;
	bool ov = brute_range(rs, 0, 99) < 35;
	int64_t today = lday(now), nb = today + brute_range(rs, -4, 4), sday, start, end;
	char body[300], path[96], nbs[64] = "", d[CIVIL_DATE_LEN];
	char a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], got[512], exp[512], *before;
	struct rules v = { .n = 0 };
	struct response r;

	for (int k = 0; k < 8 && m_find(t, p) >= 0 && brute_range(rs, 0, 99) < 85; k++) {
		t = (int)brute_range(rs, 0, NTEAMS - 1);
		p = (int)brute_range(rs, 0, NPH1 - 1);
	}
	if (has_nb)
		snprintf(nbs, sizeof(nbs), ",\"not_before\":\"%s\"", date(nb, d));
	snprintf(path, sizeof(path), "/v1/phases/%s/enrollments", PH1[p]);
	snprintf(body, sizeof(body), "{\"team\":\"%s\"%s%s}", TEAM[t], nbs,
	    ov ? ",\"override\":{\"reason\":\"random override\"}" : "");
	before = fingerprint();
	r = call("POST", path, body, now);
	/* The same phase twice: already_exists, whatever else, and never overridden. */
	if (m_find(t, p) >= 0) {
		expect_refused(&r, before, 409, "already_exists", NULL);
		K1.exist++;
		goto out;
	}
	if (has_nb && nb < starts1[p]) {
		expect_refused(&r, before, 400, "bad_request", NULL);
		K1.bad++;
		goto out;
	}
	/* By default never before today; the pool never holds a team back. */
	sday = has_nb ? nb : max64(starts1[p], today);
	start = lmid(sday);
	end = start + days1[p] * DAY;
	if (sday < today)
		rule_add(&v, "equal_period");
	m_one_enrollment(t, -1, start, end, true, &v);
	if (v.n > 0 && !ov) {
		expect_refused(&r, before, 409, "fairness_violation", &v);
		K1.viol++;
		goto out;
	}
	CHECK(r.status == 201, "expected 201 from %s, got %s", inst(start, a), rtext(&r));
	CHECK(strcmp(fx_str(r.json, "window.start"), inst(start, a)) == 0 &&
	    strcmp(fx_str(r.json, "window.end"), inst(end, b)) == 0,
	    "expected the window [%s, %s), got %s", a, b, rtext(&r));
	reply_rules(fx_at(r.json, "overridden"), got, sizeof(got));
	rules_str(&v, exp, sizeof(exp));
	CHECK(strcmp(got, exp) == 0 && (v.n > 0) == (fx_at(r.json, "overridden") != NULL),
	    "expected overridden [%s], got %s", exp, rtext(&r));
	expect_overrides(&v);
	m_grant(m_enroll(t, p, start, end, now), start, end, 8, K_PLACED);
	K1.ok++;
	K1.over += v.n > 0;
out:
	free(before);
	response_clear(&r);
}

/* Eliminates or withdraws any enrollment, on a day around its window. */
static void
t1_end(uint64_t *rs, int64_t now)
{
	int i, how = (int)brute_range(rs, 0, 1);
	int64_t day, at;
	char body[200], path[128], d[CIVIL_DATE_LEN], a[CIVIL_INSTANT_LEN], *before;
	struct response r;

	if (M.ne == 0)
		return;
	i = (int)brute_range(rs, 0, M.ne - 1);
	day = lday(M.e[i].start) + brute_range(rs, -2, (M.e[i].end - M.e[i].start) / DAY + 1);
	snprintf(path, sizeof(path), "/v1/phases/%s/enrollments/%s/%s", PH1[M.e[i].phase],
	    TEAM[M.e[i].team], how ? "withdraw" : "eliminate");
	snprintf(body, sizeof(body), "{\"effective_on\":\"%s\",\"reason\":\"random end\"}",
	    date(day, d));
	before = fingerprint();
	r = call("POST", path, body, now);
	if (M.e[i].state != S_ACTIVE) {
		expect_refused(&r, before, 409, "invalid_state", NULL);
	} else if (lmid(day) >= M.e[i].end) {
		expect_refused(&r, before, 400, "bad_request", NULL);
	} else {
		/* Not before the window's start: a team that never began ends there. */
		at = max64(lmid(day), M.e[i].start);
		CHECK(r.status == 200 && strcmp(fx_str(r.json, "state"), how ? "withdrawn" :
		    "eliminated") == 0 && strcmp(fx_str(r.json, "ended_at"), inst(at, a)) == 0,
		    "expected it ended at %s, got %s", a, rtext(&r));
		m_end(i, how ? S_WITHDRAWN : S_ELIMINATED, at);
		K1.end++;
	}
	free(before);
	response_clear(&r);
}

/* A make-up by hand after an active window: it lengthens the team's span. */
static void
t1_makeup(uint64_t *rs, int64_t now)
{
	int act[MAXE], na = 0, i;
	bool ov = brute_range(rs, 0, 99) < 70;
	int64_t s, e, cards;
	char body[400], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], *before;
	struct rules v = { .n = 0 };
	struct response r;

	for (int k = 0; k < M.ne; k++)
		if (M.e[k].state == S_ACTIVE)
			act[na++] = k;
	if (na == 0)
		return;
	i = act[brute_range(rs, 0, na - 1)];
	s = M.e[i].end + brute_range(rs, 0, 72) * HOUR;
	e = s + brute_range(rs, 12, 96) * HOUR;
	cards = brute_range(rs, 1, 4);
	snprintf(body, sizeof(body), "{\"enrollment\":{\"phase\":\"%s\",\"team\":\"%s\"},"
	    "\"pool\":\"big\",\"cards\":%lld,\"start\":\"%s\",\"end\":\"%s\"%s}",
	    PH1[M.e[i].phase], TEAM[M.e[i].team], (long long)cards, inst(s, a), inst(e, b),
	    ov ? ",\"override\":{\"reason\":\"random make-up\"}" : "");
	m_grant_rules(i, s, e, cards, 8, -1, &v);
	before = fingerprint();
	r = call("POST", "/v1/grants", body, now);
	if (v.n > 0 && !ov) {
		expect_refused(&r, before, 409, "fairness_violation", &v);
	} else {
		CHECK(r.status == 201 && strcmp(fx_str(r.json, "kind"), "compensation") == 0,
		    "expected 201 compensation, got %s", rtext(&r));
		expect_overrides(&v);
		m_grant(i, s, e, cards, K_COMP);
		K1.mk++;
	}
	free(before);
	response_clear(&r);
}

/*
 * Three phases of p (stages) with periods of 5 to 10 days, one pool that
 * never runs out, so that only the team rules decide; 40 steps of the clock
 * moving on by 0 to 36 hours (whole and half days from a random hour, so
 * that the UTC date and Seoul's differ now and then), the timers, and one
 * of: enroll (60 %), end (20 %), a make-up by hand (20 %).  At the end every
 * enrollment and grant of each phase is compared with the model's.
 */
START_TEST(enrollments_against_model)
{
	SEED = brute_seed();
	memset(&K1, 0, sizeof(K1));
	for (int trial = 0; trial < TRIALS; trial++) {
		uint64_t rs;
		int64_t now;

		trial_open(&rs, trial);
		pool("big", 1000);
		starts1[0] = D0 + brute_range(&rs, 0, 2);
		for (int p = 0; p < NPH1; p++) {
			if (p > 0)
				starts1[p] = starts1[p - 1] + brute_range(&rs, 2, 8);
			days1[p] = brute_range(&rs, 5, 10);
			phase(PH1[p], starts1[p], days1[p], -1, 8);
		}
		now = lmid(starts1[0] - 3) + brute_range(&rs, 0, 23) * HOUR;
		for (STEP = 1; STEP <= 40; STEP++) {
			int64_t op = brute_range(&rs, 0, 99);

			now += brute_range(&rs, 0, 3) * 12 * HOUR;
			m_complete(now);
			if (op < 60)
				t1_enroll(&rs, now);
			else if (op < 80)
				t1_end(&rs, now);
			else
				t1_makeup(&rs, now);
		}
		STEP = 0;
		for (int p = 0; p < NPH1; p++) {
			compare_enrollments(PH1[p], p, -1, 0, 0);
			compare_grants(PH1[p], p);
		}
		trial_close();
	}
	test_close();
	/* The generator reaches every outcome. */
	ck_assert_msg(K1.ok > 100 && K1.viol > 60 && K1.over > 30 && K1.exist > 15 &&
	    K1.bad > 20 && K1.end > 20 && K1.mk > 20, "seed %llu: 201 %ld, refused %ld, "
	    "overridden %ld, already %ld, 400 %ld, ended %ld, make-ups %ld",
	    (unsigned long long)SEED, K1.ok, K1.viol, K1.over, K1.exist, K1.bad, K1.end, K1.mk);
}
END_TEST

/* ------------------------------------------------------------ 2. grants by hand */

/* The phase "ev": starts_on, period, evaluation_on, days extended. */
static int64_t S2, P2, E2, X2;

static struct {
	long ok, viol, eval, period, resource, delivery, ext;
} K2;

/* Sorts times[0..n): the teams enrolled late come last. */
static void
sort_times(int64_t *times, int n)
{
	for (int t = 0; t < n; t++)
		for (int u = t + 1; u < n; u++)
			if (times[u] < times[t]) {
				int64_t x = times[t];

				times[t] = times[u];
				times[u] = x;
			}
}

/*
 * Team t enrolled at now: by default from today (or starts_on), or
 * back-dated with an override; with 4 to 8 of the 8 cards of the package
 * (an explicit split: short ones are overridden too).
 */
static void
t2_enroll(uint64_t *rs, int t, int64_t now)
{
	int64_t today = lday(now), sday = max64(S2, today), k;
	char body[300], nbs[64] = "", d[CIVIL_DATE_LEN], a[CIVIL_INSTANT_LEN];
	struct response r;

	if (today > S2 && brute_range(rs, 0, 99) < 40) {
		sday = brute_range(rs, S2, today - 1);
		snprintf(nbs, sizeof(nbs), ",\"not_before\":\"%s\"", date(sday, d));
	}
	k = brute_range(rs, 4, 8);
	snprintf(body, sizeof(body), "{\"team\":\"%s\"%s,\"grants\":[{\"pool\":\"big\","
	    "\"cards\":%lld}],\"override\":{\"reason\":\"setup\"}}", TEAM[t], nbs, (long long)k);
	r = call("POST", "/v1/phases/ev/enrollments", body, now);
	CHECK(r.status == 201 && strcmp(fx_str(r.json, "window.start"),
	    inst(lmid(sday), a)) == 0, "expected 201 from %s, got %s", a, rtext(&r));
	response_clear(&r);
	m_grant(m_enroll(t, 0, lmid(sday), lmid(sday + P2), now), lmid(sday), lmid(sday + P2),
	    k, K_MANUAL);
}

/*
 * Extends the phase by 1 to 3 days: every window (all active here) grows
 * with its grants that reach its end, the make-ups after it move as far,
 * and every team's evaluation date moves too.
 */
static void
t2_extend(uint64_t *rs, int64_t now)
{
	int64_t dd = brute_range(rs, 1, 3);
	char body[100];
	struct response r;

	snprintf(body, sizeof(body), "{\"days\":%lld,\"reason\":\"random\"}", (long long)dd);
	r = call("POST", "/v1/phases/ev/extend", body, now);
	CHECK(r.status == 200 && json_integer_value(fx_at(r.json, "period_days")) ==
	    P2 + X2 + dd, "expected 200, period %lld: %s", (long long)(P2 + X2 + dd), rtext(&r));
	response_clear(&r);
	for (int k = 0; k < M.ng; k++) {
		struct m_grant *g = &M.g[k];
		const struct m_enr *o = &M.e[g->enr];

		if (g->cancelled)
			continue;
		if (g->kind == K_COMP && g->start >= o->end) {
			g->start += dd * DAY;
			g->end += dd * DAY;
		} else if (g->end == o->end) {
			g->end += dd * DAY;
		}
	}
	for (int k = 0; k < M.ne; k++)
		M.e[k].end += dd * DAY;
	X2 += dd;
	K2.ext++;
}

/*
 * A grant by hand to one of the nt teams: after its window ending around
 * its evaluation date (45 %), from around the local day it was enrolled
 * (15 %), or anywhere around its window (40 %); 1 to 8 cards; an override
 * half the time.
 */
static void
t2_grant(uint64_t *rs, int nt, int64_t now)
{
	int i = (int)brute_range(rs, 0, nt - 1), shape = (int)brute_range(rs, 0, 99);
	const struct m_enr *en = &M.e[i];
	int64_t eval_mid = lmid(E2 + (lday(en->start) - S2) + X2), s, e, cards;
	bool ov = brute_range(rs, 0, 99) < 50;
	char body[400], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], *before;
	struct rules v = { .n = 0 };
	struct response r;

	if (shape < 45) {
		s = en->end + brute_range(rs, 0, 72) * HOUR;
		e = eval_mid + brute_range(rs, -48, 48) * HOUR;
		if (e <= s)
			e = s + brute_range(rs, 1, 24) * HOUR;
	} else if (shape < 60) {
		s = lmid(lday(en->created)) + brute_range(rs, -3, 3) * HOUR;
		e = s + brute_range(rs, 1, 72) * HOUR;
	} else {
		s = en->start + brute_range(rs, -30, (en->end - en->start) / HOUR + 6) * HOUR;
		e = s + brute_range(rs, 1, 72) * HOUR;
	}
	cards = brute_range(rs, 1, 8);
	snprintf(body, sizeof(body), "{\"enrollment\":{\"phase\":\"ev\",\"team\":\"%s\"},"
	    "\"pool\":\"big\",\"cards\":%lld,\"start\":\"%s\",\"end\":\"%s\"%s}", TEAM[en->team],
	    (long long)cards, inst(s, a), inst(e, b),
	    ov ? ",\"override\":{\"reason\":\"random grant\"}" : "");
	m_grant_rules(i, s, e, cards, 8, eval_mid, &v);
	for (int k = 0; k < v.n; k++) {
		K2.eval += strcmp(v.r[k], "evaluation_date") == 0;
		K2.period += strcmp(v.r[k], "equal_period") == 0;
		K2.resource += strcmp(v.r[k], "equal_resource") == 0;
		K2.delivery += strcmp(v.r[k], "equal_delivery") == 0;
	}
	before = fingerprint();
	r = call("POST", "/v1/grants", body, now);
	if (v.n > 0 && !ov) {
		expect_refused(&r, before, 409, "fairness_violation", &v);
		K2.viol++;
	} else {
		/* One after the window is a make-up. */
		int kind = s >= en->end ? K_COMP : K_MANUAL;

		CHECK(r.status == 201 && strcmp(fx_str(r.json, "kind"), KIND[kind]) == 0,
		    "expected 201 %s, got %s", KIND[kind], rtext(&r));
		expect_overrides(&v);
		m_grant(i, s, e, cards, kind);
		K2.ok++;
	}
	free(before);
	response_clear(&r);
}

/*
 * One phase "ev" of 5 to 10 days with an evaluation date (from 3 days
 * before the first teams' window ends to 5 after; never before starts_on);
 * 3 or 4 teams enrolled on random days, the late ones later.  Then 30
 * steps, each a grant by hand, or once in half the trials an extension.
 * At the end every enrollment (its evaluation_on included) and grant is
 * compared with the model's.
 */
START_TEST(grants_against_model)
{
	SEED = brute_seed();
	memset(&K2, 0, sizeof(K2));
	for (int trial = 0; trial < TRIALS; trial++) {
		uint64_t rs;
		int64_t now, nows[NTEAMS], ext_at;
		int nt;

		trial_open(&rs, trial);
		pool("big", 1000);
		S2 = D0 + brute_range(&rs, 0, 3);
		P2 = brute_range(&rs, 5, 10);
		E2 = max64(S2, S2 + P2 + brute_range(&rs, -3, 5));
		X2 = 0;
		phase("ev", S2, P2, E2, 8);
		nt = (int)brute_range(&rs, 3, NTEAMS);
		for (int t = 0; t < nt; t++)
			nows[t] = lmid(S2 + brute_range(&rs, -2, 6)) +
			    brute_range(&rs, 0, 23) * HOUR;
		sort_times(nows, nt);
		for (int t = 0; t < nt; t++) {
			STEP = -t - 1;
			t2_enroll(&rs, t, nows[t]);
		}
		now = nows[nt - 1];
		ext_at = brute_range(&rs, 0, 99) < 50 ? brute_range(&rs, 1, 30) : -1;
		for (STEP = 1; STEP <= 30; STEP++) {
			now += brute_range(&rs, 0, 12) * HOUR;
			if (STEP == ext_at)
				t2_extend(&rs, now);
			else
				t2_grant(&rs, nt, now);
		}
		STEP = 0;
		compare_enrollments("ev", 0, E2, S2, X2);
		compare_grants("ev", 0);
		trial_close();
	}
	test_close();
	ck_assert_msg(K2.ok > 200 && K2.viol > 100 && K2.eval > 50 && K2.period > 50 &&
	    K2.resource > 50 && K2.delivery > 50 && K2.ext > 2, "seed %llu: 201 %ld, refused %ld; "
	    "evaluation_date %ld, equal_period %ld, equal_resource %ld, equal_delivery %ld; "
	    "extensions %ld", (unsigned long long)SEED, K2.ok, K2.viol, K2.eval, K2.period,
	    K2.resource, K2.delivery, K2.ext);
}
END_TEST

/* ------------------------------------------------------------ 3. extend */

/* The phase "x": the pool's cards, the package's, starts_on, period, evaluation, extended. */
static int64_t C3, c3, S3, P3, E3, X3;

static struct {
	long ok, capacity, after, moved, mk409, eval;
} K3;

/* Cards in use on the pool over local day d, by the model's live grants. */
static int64_t
m_used(int64_t d)
{
	int64_t n = 0;

	for (int k = 0; k < M.ng; k++)
		if (!M.g[k].cancelled && M.g[k].start <= lmid(d) && lmid(d) < M.g[k].end)
			n += M.g[k].cards;
	return n;
}

/* The first local day from `from` on where `cards` fit for `days` days under cap. */
static int64_t
m_first_fit(int64_t from, int64_t days, int64_t cards, int64_t cap)
{
	for (int64_t d = from;; d++) {
		bool ok = true;

		for (int64_t k = 0; ok && k < days; k++)
			ok = m_used(d + k) + cards <= cap;
		if (ok)
			return d;
	}
}

/*
 * A make-up by hand for enrollment i (overridden: it breaks equal_delivery)
 * of 1 to c cards, from 0 to 2 days after its window for 1 to 3 days: 201
 * where the pool holds it every day, else 409 capacity_exceeded.
 */
static void
t3_makeup(uint64_t *rs, int i, int64_t now)
{
	int64_t s = M.e[i].end + brute_range(rs, 0, 2) * DAY;
	int64_t e = s + brute_range(rs, 1, 3) * DAY, k = brute_range(rs, 1, c3);
	char body[400], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], *before;
	struct response r;
	bool fits = true;

	for (int64_t d = lday(s); d < lday(e); d++)
		fits = fits && m_used(d) + k <= C3;
	snprintf(body, sizeof(body), "{\"enrollment\":{\"phase\":\"x\",\"team\":\"%s\"},"
	    "\"pool\":\"b\",\"cards\":%lld,\"start\":\"%s\",\"end\":\"%s\",\"override\":"
	    "{\"reason\":\"make-up\"}}", TEAM[M.e[i].team], (long long)k, inst(s, a),
	    inst(e, b));
	before = fingerprint();
	r = call("POST", "/v1/grants", body, now);
	if (fits) {
		CHECK(r.status == 201, "expected 201, got %s", rtext(&r));
		m_grant(i, s, e, k, K_COMP);
	} else {
		expect_refused(&r, before, 409, "capacity_exceeded", NULL);
		K3.mk409++;
	}
	free(before);
	response_clear(&r);
}

/*
 * Team t enrolled at now, not_before absent or 0 to 3 days on: the window
 * starts on the first day from then on where the package fits for the
 * whole period.  Then perhaps a make-up, perhaps an elimination inside the
 * window.
 */
static void
t3_enroll(uint64_t *rs, int t, int64_t now)
{
	int64_t today = lday(now), nb = max64(S3, today), sday, day;
	char body[200], path[96], nbs[64] = "", d[CIVIL_DATE_LEN], a[CIVIL_INSTANT_LEN];
	struct response r;
	int i;

	if (brute_range(rs, 0, 1)) {
		nb += brute_range(rs, 0, 3);
		snprintf(nbs, sizeof(nbs), ",\"not_before\":\"%s\"", date(nb, d));
	}
	sday = m_first_fit(nb, P3, c3, C3);
	snprintf(body, sizeof(body), "{\"team\":\"%s\"%s}", TEAM[t], nbs);
	r = call("POST", "/v1/phases/x/enrollments", body, now);
	CHECK(r.status == 201 && strcmp(fx_str(r.json, "window.start"), inst(lmid(sday), a)) ==
	    0, "expected 201 from %s (the first day the package fits), got %s", a, rtext(&r));
	response_clear(&r);
	i = m_enroll(t, 0, lmid(sday), lmid(sday + P3), now);
	m_grant(i, lmid(sday), lmid(sday + P3), c3, K_PLACED);
	if (brute_range(rs, 0, 2) == 0)
		t3_makeup(rs, i, now);
	if (brute_range(rs, 0, 3) == 0) {
		day = sday + brute_range(rs, 0, P3 - 1);
		snprintf(path, sizeof(path), "/v1/phases/x/enrollments/%s/eliminate", TEAM[t]);
		snprintf(body, sizeof(body), "{\"effective_on\":\"%s\",\"reason\":\"random\"}",
		    date(day, d));
		r = call("POST", path, body, now);
		CHECK(r.status == 200, "expected 200, got %s", rtext(&r));
		response_clear(&r);
		m_end(i, S_ELIMINATED, lmid(day));
	}
}

/* What the extension gives one grant: it grows (window), moves (make-up) or adds (after). */
struct piece {
	int grant;		/* the model's grant it comes from */
	int enr;
	int64_t from, to;	/* the time newly held */
	bool moved, added;
};

/*
 * The model's arrangement after extending by dd days at now: an active
 * window grows with its grants that reach its end, its make-ups after it
 * move dd days; a completed team gets, for each grant that reached the end
 * of its window, the same cards for dd days from the end of all its grants
 * or tomorrow (00:00 local), whichever is later.  *live counts the teams
 * neither eliminated nor withdrawn.
 */
static int
t3_pieces(int64_t dd, int64_t now, struct piece *pc, int *live)
{
	int64_t tomorrow = lmid(lday(now) + 1);
	int np = 0;

	*live = 0;
	for (int i = 0; i < M.ne; i++) {
		const struct m_enr *en = &M.e[i];
		bool active = en->state == S_ACTIVE;
		int64_t from = max64(tomorrow, en->end);

		if (m_left(i))
			continue;
		(*live)++;
		for (int k = 0; !active && k < M.ng; k++)
			if (M.g[k].enr == i && !M.g[k].cancelled)
				from = max64(from, M.g[k].end);
		for (int k = 0; k < M.ng; k++) {
			const struct m_grant *g = &M.g[k];

			if (g->enr != i || g->cancelled)
				continue;
			if (active && g->kind == K_COMP && g->start >= en->end)
				pc[np++] = (struct piece){ k, i, g->start + dd * DAY,
				    g->end + dd * DAY, true, false };
			else if (active && g->end == en->end)
				pc[np++] = (struct piece){ k, i, en->end, en->end + dd * DAY, false,
				    false };
			else if (g->end == en->end)
				pc[np++] = (struct piece){ k, i, from, from + dd * DAY, false,
				    true };
		}
	}
	return np;
}

/* Every day any piece covers holds what stays, less the make-ups that move, plus the pieces. */
static bool
t3_fits(const struct piece *pc, int np)
{
	for (int p = 0; p < np; p++)
		for (int64_t d = lday(pc[p].from); d < lday(pc[p].to); d++) {
			int64_t n = m_used(d);

			for (int q = 0; q < np; q++) {
				const struct m_grant *g = &M.g[pc[q].grant];

				if (pc[q].moved && g->start <= lmid(d) && lmid(d) < g->end)
					n -= g->cards;
				if (pc[q].from <= lmid(d) && lmid(d) < pc[q].to)
					n += g->cards;
			}
			if (n > C3)
				return false;
		}
	return true;
}

/* The reply of an extension the model accepted: what each team got, in team order. */
static void
t3_check_reply(const struct response *r, const struct piece *pc, int np, int64_t dd)
{
	json_t *xs = fx_at(r->json, "extended"), *x;
	char a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN];
	size_t k = 0;
	int nmv = 0;

	CHECK(r->status == 200 && json_integer_value(fx_at(r->json, "period_days")) ==
	    P3 + X3 + dd, "expected 200, period %lld, got %s", (long long)(P3 + X3 + dd),
	    rtext(r));
	for (int t = 0; t < NTEAMS; t++) {
		int i = m_find(t, 0);

		if (i < 0 || m_left(i))
			continue;
		x = json_array_get(xs, k++);
		CHECK(x != NULL && strcmp(fx_str(x, "team"), TEAM[t]) == 0, "expected team %s "
		    "extended: %s", TEAM[t], rtext(r));
		if (M.e[i].state == S_ACTIVE) {
			CHECK(strcmp(fx_str(x, "how"), "window") == 0 && strcmp(fx_str(x,
			    "window_end"), inst(M.e[i].end + dd * DAY, a)) == 0,
			    "expected %s's window to end at %s: %s", TEAM[t], a, rtext(r));
			continue;
		}
		for (int p = 0; p < np; p++)
			if (pc[p].enr == i && pc[p].added)
				CHECK(strcmp(fx_str(x, "how"), "after_window") == 0 &&
				    strcmp(fx_str(x, "after_window.start"), inst(pc[p].from, a)) ==
				    0 && strcmp(fx_str(x, "after_window.end"), inst(pc[p].to, b)) ==
				    0, "expected %s served [%s, %s) after its window: %s", TEAM[t],
				    a, b, rtext(r));
		K3.after++;
	}
	CHECK(json_array_size(xs) == k, "expected %zu teams extended: %s", k, rtext(r));
	for (int p = 0; p < np; p++)
		nmv += pc[p].moved;
	CHECK((int)json_array_size(fx_at(r->json, "moved")) == nmv, "expected %d make-ups "
	    "moved: %s", nmv, rtext(r));
	K3.moved += nmv;
}

/* The model applies an extension: grants grown, moved or added, windows, extra days. */
static void
t3_apply(const struct piece *pc, int np, int64_t dd)
{
	for (int p = 0; p < np; p++) {
		struct m_grant *g = &M.g[pc[p].grant];

		if (pc[p].added) {
			m_grant(pc[p].enr, pc[p].from, pc[p].to, g->cards, K_EXT);
		} else if (pc[p].moved) {
			g->start = pc[p].from;
			g->end = pc[p].to;
		} else {
			g->end = pc[p].to;
		}
	}
	for (int i = 0; i < M.ne; i++) {
		if (m_left(i))
			continue;
		if (M.e[i].state == S_ACTIVE)
			M.e[i].end += dd * DAY;
		else
			M.e[i].extra += dd;
	}
	X3 += dd;
}

/*
 * One round at now: the timers, perhaps a make-up for a team still in its
 * window, then extend by 1 to 4 days, with an override 30 % of the time.
 * Capacity is never overridden and is judged first: 409 capacity_exceeded
 * and nothing changed; then each completed team's days must end by its
 * evaluation date (moved by the extension too), else 409
 * fairness_violation unless overridden; else 200.
 */
static void
t3_round(uint64_t *rs, int64_t now)
{
	struct piece pc[MAXG];
	struct rules v = { .n = 0 };
	int np, live, act[MAXE], na = 0;
	int64_t dd = brute_range(rs, 1, 4);
	bool ov = brute_range(rs, 0, 99) < 30;
	char body[200], *before;
	struct response r;

	m_complete(now);
	if (brute_range(rs, 0, 2) == 0) {
		for (int k = 0; k < M.ne; k++)
			if (M.e[k].state == S_ACTIVE)
				act[na++] = k;
		if (na > 0)
			t3_makeup(rs, act[brute_range(rs, 0, na - 1)], now);
	}
	np = t3_pieces(dd, now, pc, &live);
	for (int p = 0; E3 >= 0 && p < np; p++) {
		int64_t ev = E3 + (lday(M.e[pc[p].enr].start) - S3) + X3 + dd;

		if (pc[p].added && pc[p].to > lmid(ev)) {
			rule_add(&v, "evaluation_date");
			K3.eval++;
		}
	}
	snprintf(body, sizeof(body), "{\"days\":%lld,\"reason\":\"random\"%s}", (long long)dd,
	    ov ? ",\"override\":{\"reason\":\"random\"}" : "");
	before = fingerprint();
	r = call("POST", "/v1/phases/x/extend", body, now);
	if (live == 0) {
		expect_refused(&r, before, 409, "invalid_state", NULL);
	} else if (!t3_fits(pc, np)) {
		expect_refused(&r, before, 409, "capacity_exceeded", NULL);
		K3.capacity++;
	} else if (v.n > 0 && !ov) {
		expect_refused(&r, before, 409, "fairness_violation", &v);
	} else {
		t3_check_reply(&r, pc, np, dd);
		expect_overrides(&v);
		t3_apply(pc, np, dd);
		K3.ok++;
	}
	free(before);
	response_clear(&r);
	compare_enrollments("x", 0, E3, S3, X3);
	compare_grants("x", 0);
}

/*
 * One pool of C cards (8 to 16, room for two or three packages, so that
 * teams queue and extensions collide), one phase "x" of 5 to 8 days whose
 * package is c cards (3 to 7), with an evaluation date half the time; 2 to
 * 4 teams placed by the scheduler on random days.  Then three rounds, the
 * clock moving on by days, so that some windows are over (completed by
 * the timers) and some still running.
 */
START_TEST(extend_against_model)
{
	SEED = brute_seed();
	memset(&K3, 0, sizeof(K3));
	for (int trial = 0; trial < TRIALS; trial++) {
		uint64_t rs;
		int64_t now, nows[NTEAMS];
		int nt;

		trial_open(&rs, trial);
		c3 = brute_range(&rs, 3, 7);
		C3 = brute_range(&rs, max64(8, 2 * c3), min64(16, 3 * c3));
		S3 = D0 + brute_range(&rs, 0, 2);
		P3 = brute_range(&rs, 5, 8);
		E3 = brute_range(&rs, 0, 1) ? S3 + P3 + brute_range(&rs, 0, 8) : -1;
		X3 = 0;
		pool("b", C3);
		phase("x", S3, P3, E3, c3);
		nt = (int)brute_range(&rs, 2, NTEAMS);
		for (int t = 0; t < nt; t++)
			nows[t] = lmid(S3 - 1 + brute_range(&rs, 0, P3 - 1)) +
			    brute_range(&rs, 0, 23) * HOUR;
		sort_times(nows, nt);
		for (int t = 0; t < nt; t++) {
			STEP = -t - 1;
			t3_enroll(&rs, t, nows[t]);
		}
		now = max64(nows[nt - 1], lmid(S3 + brute_range(&rs, P3 - 2, P3 + 4)) +
		    brute_range(&rs, 0, 23) * HOUR);
		for (STEP = 1; STEP <= 3; STEP++) {
			if (STEP > 1)
				now += brute_range(&rs, 1, 4) * DAY +
				    brute_range(&rs, 0, 23) * HOUR;
			t3_round(&rs, now);
		}
		trial_close();
	}
	test_close();
	ck_assert_msg(K3.ok > 15 && K3.capacity > 0 && K3.after > 3 && K3.moved > 3 &&
	    K3.eval > 0, "seed %llu: 200 %ld, capacity_exceeded %ld, served after the window %ld, "
	    "make-ups moved %ld, evaluation_date %ld (make-ups refused %ld)",
	    (unsigned long long)SEED, K3.ok, K3.capacity, K3.after, K3.moved, K3.eval, K3.mk409);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_team_random");
	TCase *tc = tcase_create("team_random");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_unchecked_fixture(tc, build_template, drop_template);
	tcase_add_test(tc, enrollments_against_model);
	tcase_add_test(tc, grants_against_model);
	tcase_add_test(tc, extend_against_model);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
