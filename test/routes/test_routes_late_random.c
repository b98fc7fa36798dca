/* test_routes_late_random.c: issue 15, seeded and random: losses after outage corrections, and usage against the cards in service, against brute force. */
#include <check.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "calendar.h"
#include "fixture.h"

/*
 * Two randomised tests through the routes, each judged by a reference
 * written here from the rule in lib/outage.h (and docs/api-notes.md, "Late
 * truth"), not from grantd's code:
 *
 *	1. losses_after_corrections: random pools (B200, H100 and a model of
 *	   random weight), teams enrolled on random splits plus grants by hand
 *	   over random stretches of their windows, then a random sequence of
 *	   outage creates, corrections (PATCH, any of from, to and cards) and
 *	   cancellations (DELETE, reason in the body or in ?reason=).  After
 *	   every step each enrollment's loss, exact (calendar_losses, in
 *	   milli-unit-seconds) and as the fairness report shows it at a
 *	   far-future `at` (lost_unit_hours), must equal the brute force; every
 *	   refusal (an outage that would take more cards than the pool has, to
 *	   not after from, more cards than the pool, a cancelled outage) is
 *	   predicted, with the instant and the cards already out.
 *	2. usage_against_service: random grants and outages on a pool, then
 *	   single-sample batches of random intervals with gpu_seconds around the
 *	   granted and in-service card-seconds: the flag (POST /v1/usage's
 *	   flagged), its reason and the card-seconds stored with it (usage_flags)
 *	   must be the reference's.
 *
 * The brute force walks minute by minute (every instant here is on a
 * minute boundary): at minute t of a pool, out(t) = min(cards, sum of the
 * standing outages' cards), capacity = cards - out(t), the grants active at
 * t and granted(t) their cards.  A stretch is a maximal run of minutes with
 * the same capacity and the same set of active grants; on one where
 * impaired = granted - capacity > 0, the loss impaired x weight x seconds
 * is shared: each grant floor(total x cards / granted), then one unit each
 * to the largest remainders (total x cards mod granted), ties to the
 * smaller grant id.
 *
 * GRANTD_SEED picks the seed (a fixed default otherwise); a failure names
 * the seed, the trial and the step, with the request.
 */

#define MINUTE INT64_C(60)
#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)
#define T0 FX_NOW				/* 2026-03-01T00:00:00Z, the windows' start */
#define WDAYS 2
#define WEND (T0 + WDAYS * DAY)
#define SFROM (T0 - 4 * HOUR)			/* what the brute force scans */
#define STO (WEND + 4 * HOUR)
#define FAR "2030-01-01T00:00:00Z"
#define NOW_LATER (T0 + 10 * DAY)		/* usage is posted then: samples lie in the past */

#define NTEAMS 4
#define MAXP 3
#define MAXG 48
#define MAXO 64
#define LOSS_TRIALS 24
#define LOSS_STEPS 20
#define USAGE_TRIALS 30
#define USAGE_SAMPLES 20

static struct fx TPL, F;
static uint64_t SEED;
static int TRIAL, STEP;
static char CTX[2000];		/* the request being judged, for messages */
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

/* ------------------------------------------------------------ the model */

struct mpool {
	char id[8];
	int64_t cards, weight;		/* weight: milli-units per card */
};

struct mgrant {
	int64_t id;			/* the grant's row id (gr_N) */
	int pool, team;
	int64_t from, to, cards;
};

struct moutage {
	int64_t id;			/* out_N */
	int pool;
	int64_t from, to, cards;
	bool standing;
};

static struct {
	int np, ng, no;
	struct mpool p[MAXP];
	struct mgrant g[MAXG];
	struct moutage o[MAXO];
	bool enrolled[NTEAMS];
	int64_t xw;			/* the weight of model xw, 0 until a pool takes it */
} M;

static int64_t
min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int64_t
max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* Cards the standing outages of pool p take at minute t, but outage `except` (-1: none). */
static int64_t
out_at(int p, int64_t t, int except)
{
	int64_t out = 0;

	for (int k = 0; k < M.no; k++)
		if (k != except && M.o[k].standing && M.o[k].pool == p && M.o[k].from <= t &&
		    t < M.o[k].to)
			out += M.o[k].cards;
	return out;
}

/* The grants of pool p active at t, as a bit set of model indexes. */
static uint64_t
active_at(int p, int64_t t, int64_t *granted)
{
	uint64_t set = 0;

	*granted = 0;
	for (int k = 0; k < M.ng; k++)
		if (M.g[k].pool == p && M.g[k].from <= t && t < M.g[k].to) {
			set |= UINT64_C(1) << k;
			*granted += M.g[k].cards;
		}
	return set;
}

/* Cards of pool p free for a new grant over all of [a, b) (no outage counted: there is none yet). */
static int64_t
free_over(int p, int64_t a, int64_t b)
{
	int64_t least = M.p[p].cards, g;

	for (int64_t t = a; t < b; t += MINUTE) {
		active_at(p, t, &g);
		least = min64(least, M.p[p].cards - g);
	}
	return least;
}

struct share {
	int k;				/* model grant index */
	__int128 rem;
};

static int
cmp_share(const void *a, const void *b)
{
	const struct share *x = a, *y = b;

	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return (M.g[x->k].id > M.g[y->k].id) - (M.g[x->k].id < M.g[y->k].id);
}

/* Adds one stretch's loss, shared, to lost[]. */
static void
share_stretch(int p, uint64_t set, int64_t granted, int64_t cap, int64_t secs, int64_t *lost)
{
	struct share sh[MAXG];
	int64_t impaired = granted - cap, total, given = 0;
	int n = 0;

	if (impaired <= 0)
		return;
	total = impaired * M.p[p].weight * secs;
	for (int k = 0; k < M.ng; k++) {
		__int128 num;

		if (!(set & (UINT64_C(1) << k)))
			continue;
		num = (__int128)total * M.g[k].cards;
		lost[k] += (int64_t)(num / granted);
		given += (int64_t)(num / granted);
		sh[n++] = (struct share){ k, num % granted };
	}
	qsort(sh, (size_t)n, sizeof(*sh), cmp_share);
	for (int j = 0; j < total - given; j++)
		lost[sh[j].k]++;
}

/*
 * What the standing outages took from each grant of pool p within [a, b),
 * minute by minute, added to lost[] (indexed like M.g).
 */
static void
brute_losses(int p, int64_t a, int64_t b, int64_t *lost)
{
	uint64_t set = 0;
	int64_t cap = 0, granted = 0, start = a;

	for (int64_t t = a; t <= b; t += MINUTE) {
		int64_t g = 0, c = 0;
		uint64_t s = 0;

		if (t < b) {
			s = active_at(p, t, &g);
			c = M.p[p].cards - min64(M.p[p].cards, out_at(p, t, -1));
		}
		if (t > a && (t == b || s != set || c != cap)) {
			share_stretch(p, set, granted, cap, t - start, lost);
			start = t;
		}
		set = s;
		cap = c;
		granted = g;
	}
}

/* Each team's loss, all time, in milli-unit-seconds. */
static void
brute_team_losses(int64_t team_lost[NTEAMS])
{
	int64_t lost[MAXG] = { 0 };

	for (int p = 0; p < M.np; p++)
		brute_losses(p, SFROM, STO, lost);
	for (int t = 0; t < NTEAMS; t++)
		team_lost[t] = 0;
	for (int k = 0; k < M.ng; k++)
		team_lost[M.g[k].team] += lost[k];
}

/*
 * Whether an outage of `cards` over [from, to) fits pool p beside the
 * standing outages but `except`: -1, or the first minute where it would
 * not, with the cards the others take then in *out.
 */
static int64_t
room_breach(int p, int64_t from, int64_t to, int64_t cards, int except, int64_t *out)
{
	for (int64_t t = from; t < to; t += MINUTE) {
		int64_t o = out_at(p, t, except);

		if (o + cards > M.p[p].cards) {
			*out = o;
			return t;
		}
	}
	return -1;
}

/* ------------------------------------------------------------ requests */

static const char *
inst(int64_t t, char buf[CIVIL_INSTANT_LEN])
{
	civil_format_instant(t, buf);
	return buf;
}

static const char *
jtext(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	snprintf(RBUF, sizeof(RBUF), "%s", s ? s : "(none)");
	free(s);
	return RBUF;
}

static const char *
rtext(const struct response *rs)
{
	char *s = rs->json ? json_dumps(rs->json, JSON_COMPACT | JSON_SORT_KEYS) : NULL;

	snprintf(RBUF, sizeof(RBUF), "%d %s", rs->status, s ? s : "(no body)");
	free(s);
	return RBUF;
}

/* A request by the admin at now (0: FX_NOW); CTX names it for every check that follows. */
static struct response
call(const char *method, const char *path, const char *body, int64_t now)
{
	struct fx_rq in = { .method = method, .path = path, .token = F.admin, .body = body,
		.now = now };

	snprintf(CTX, sizeof(CTX), "seed %llu trial %d step %d: %s %s %s",
	    (unsigned long long)SEED, TRIAL, STEP, method, path, body ? body : "");
	return fx_call(&F, &in);
}

static int64_t
id_of(const json_t *o, const char *prefix)
{
	const char *s = json_string_value(json_object_get(o, "id"));
	long long v = -1;
	size_t n = strlen(prefix);

	if (s == NULL || strncmp(s, prefix, n) != 0 || sscanf(s + n, "%lld", &v) != 1)
		return -1;
	return v;
}

/* One text value of a query on the reader ("" when none). */
static void
qtext(const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;

	out[0] = '\0';
	ck_assert_msg(sqlite3_prepare_v2(db_handle(F.app.r), sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db_handle(F.app.r)));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		snprintf(out, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* ------------------------------------------------------------ the world */

/*
 * The template: programme p (UTC), phase ph from 2026-03-01 for WDAYS days
 * (package 4 B200), teams t0..t3.
 */
static void
template_open(void)
{
	char body[200];

	fx_open(&TPL);
	fx_must(&TPL, "POST", "/v1/programs", "{\"id\":\"p\",\"name\":\"P\",\"timezone\":"
	    "\"UTC\"}", 201);
	snprintf(body, sizeof(body), "{\"id\":\"ph\",\"name\":\"Phase\",\"starts_on\":"
	    "\"2026-03-01\",\"period_days\":%d,\"package\":{\"card_model\":\"B200\",\"cards\":4,"
	    "\"voucher_krw\":1000000}}", WDAYS);
	fx_must(&TPL, "POST", "/v1/programs/p/phases", body, 201);
	for (int t = 0; t < NTEAMS; t++) {
		snprintf(body, sizeof(body), "{\"id\":\"%s\",\"name\":\"Team %d\",\"lead_org\":"
		    "\"Org %d\"}", TEAM[t], t, t);
		fx_must(&TPL, "POST", "/v1/teams", body, 201);
	}
	fx_template_save(&TPL);
}

static void
trial_open(uint64_t *rs, int trial)
{
	TRIAL = trial;
	STEP = 0;
	*rs = SEED + (uint64_t)trial * UINT64_C(0x9e3779b97f4a7c15);
	memset(&M, 0, sizeof(M));
	fx_clone(&F, &TPL);
	/* Durability is not what is tested: no fsync per commit. */
	fx_sql(&F, "PRAGMA synchronous = OFF");
}

/* A pool of a random model (B200, H100, or xw of a random weight) and cards. */
static void
add_pool(uint64_t *rs, int64_t lo, int64_t hi)
{
	struct mpool *p = &M.p[M.np];
	char body[200];
	const char *model;
	int64_t k = brute_range(rs, 0, 2);

	snprintf(p->id, sizeof(p->id), "q%d", M.np);
	p->cards = brute_range(rs, lo, hi);
	if (k == 0) {
		model = "B200";
		p->weight = 1000;
	} else if (k == 1) {
		model = "H100";
		p->weight = 500;
	} else {
		model = "xw";
		/* One model per world: its weight is drawn with the first pool that takes it. */
		if (M.xw == 0) {
			M.xw = brute_range(rs, 0, 1) ? brute_range(rs, 1, 3000) :
			    brute_range(rs, 1, 9) * 111;
			snprintf(body, sizeof(body), "{\"weight\":%lld.%03lld}",
			    (long long)(M.xw / 1000), (long long)(M.xw % 1000));
			fx_must(&F, "PUT", "/v1/card-models/xw", body, 200);
		}
		p->weight = M.xw;
	}
	snprintf(body, sizeof(body), "{\"id\":\"%s\",\"provider\":\"P\",\"site\":\"S\","
	    "\"card_model\":\"%s\",\"cards\":%lld}", p->id, model, (long long)p->cards);
	fx_must(&F, "POST", "/v1/pools", body, 201);
	M.np++;
}

/* Records a grant of the reply (a grant object) in the model. */
static void
note_grant(const json_t *g, int team)
{
	const char *pool = json_string_value(json_object_get(g, "pool"));
	int64_t from = 0, to = 0;
	int p = -1;

	for (int i = 0; i < M.np; i++)
		if (pool && strcmp(pool, M.p[i].id) == 0)
			p = i;
	CHECK(p >= 0 && M.ng < MAXG && id_of(g, "gr_") > 0 &&
	    civil_parse_instant(json_string_value(json_object_get(g, "start")), &from) == 0 &&
	    civil_parse_instant(json_string_value(json_object_get(g, "end")), &to) == 0,
	    "a grant the model cannot read: %s", jtext(g));
	M.g[M.ng++] = (struct mgrant){ id_of(g, "gr_"), p, team, from, to,
		json_integer_value(json_object_get(g, "cards")) };
}

/*
 * Enrolls the teams on random splits (an override: the split need not be
 * the package), then adds grants by hand over random minutes of their
 * windows, each within what the pool has free.
 */
static void
add_grants(uint64_t *rs, int teams, int most_by_hand, int64_t most_cards)
{
	char body[600], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN];
	struct response r;

	for (int t = 0; t < teams; t++) {
		size_t o = 0;
		int n = 0;

		o += (size_t)snprintf(body, sizeof(body), "{\"team\":\"%s\",\"grants\":[", TEAM[t]);
		for (int p = 0; p < M.np; p++) {
			int64_t fr = free_over(p, T0, WEND), cards;

			if (fr < 1 || brute_range(rs, 0, 2) == 0)
				continue;
			cards = brute_range(rs, 1, min64(fr, most_cards));
			o += (size_t)snprintf(body + o, sizeof(body) - o, "%s{\"pool\":\"%s\","
			    "\"cards\":%lld}", n ? "," : "", M.p[p].id, (long long)cards);
			/* Counted as taken at once, so the next split leaves room. */
			M.g[M.ng++] = (struct mgrant){ 0, p, t, T0, WEND, cards };
			n++;
		}
		snprintf(body + o, sizeof(body) - o, "],\"override\":{\"reason\":\"random split\"}}");
		M.ng -= n;
		if (n == 0)
			continue;
		r = call("POST", "/v1/phases/ph/enrollments", body, 0);
		CHECK(r.status == 201, "enrollment refused: %s", rtext(&r));
		{
			json_t *g;
			size_t i;

			json_array_foreach(json_object_get(r.json, "grants"), i, g)
				note_grant(g, t);
		}
		response_clear(&r);
		M.enrolled[t] = true;
	}
	for (int t = 0; t < teams; t++) {
		int nh = M.enrolled[t] ? (int)brute_range(rs, 0, most_by_hand) : 0;

		for (int h = 0; h < nh; h++) {
			/* An enrolled team holds a grant: M.ng > 0. */
			int p = (int)brute_range(rs, 0, M.np - 1), k = (int)brute_range(rs, 0, M.ng - 1);
			int64_t from = T0 + brute_range(rs, 0, WDAYS * 24 * 60 - 2) * MINUTE;
			int64_t to = min64(WEND, from + brute_range(rs, 1, 18 * 60) * MINUTE);
			int64_t fr;

			/*
			 * Now and then one that starts as another ends, or ends as
			 * another starts: the grants active change while what is
			 * granted may not, and a stretch ends there all the same.
			 */
			if (brute_range(rs, 0, 2) == 0) {
				p = M.g[k].pool;
				if (M.g[k].to < WEND && brute_range(rs, 0, 1)) {
					from = M.g[k].to;
					to = min64(WEND, from + brute_range(rs, 1, 18 * 60) * MINUTE);
				} else if (M.g[k].from > T0) {
					to = M.g[k].from;
					from = max64(T0, to - brute_range(rs, 1, 18 * 60) * MINUTE);
				}
			}
			if ((fr = free_over(p, from, to)) < 1)
				continue;
			snprintf(body, sizeof(body), "{\"enrollment\":{\"phase\":\"ph\",\"team\":\"%s\"},"
			    "\"pool\":\"%s\",\"cards\":%lld,\"start\":\"%s\",\"end\":\"%s\","
			    "\"override\":{\"reason\":\"random grant\"}}", TEAM[t], M.p[p].id,
			    (long long)brute_range(rs, 1, min64(fr, 5)), inst(from, a), inst(to, b));
			r = call("POST", "/v1/grants", body, 0);
			CHECK(r.status == 201, "a grant by hand within the free cards refused: %s",
			    rtext(&r));
			note_grant(r.json, t);
			response_clear(&r);
		}
	}
}

/* A random interval on minute boundaries around the windows, and cards for pool p. */
static void
random_outage(uint64_t *rs, int p, int64_t *from, int64_t *to, int64_t *cards)
{
	int64_t span = (STO - SFROM) / MINUTE;

	*from = SFROM + brute_range(rs, 0, span - 2) * MINUTE;
	*to = min64(STO, *from + (brute_range(rs, 0, 3) == 0 ? brute_range(rs, 1, 30) :
	    brute_range(rs, 1, 14 * 60)) * MINUTE);
	*cards = brute_range(rs, 0, 9) == 0 ? M.p[p].cards + 1 :
	    brute_range(rs, 1, max64(1, (M.p[p].cards + 1) / 2));
}

/* Creates an outage; the reply predicted by the model. Returns true when recorded. */
static bool
create_outage(int p, int64_t from, int64_t to, int64_t cards, long *refused)
{
	char path[64], body[300], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], w[CIVIL_INSTANT_LEN];
	struct response r;
	int64_t out = 0, breach = -1, at = 0;

	snprintf(path, sizeof(path), "/v1/pools/%s/outages", M.p[p].id);
	snprintf(body, sizeof(body), "{\"from\":\"%s\",\"to\":\"%s\",\"cards\":%lld,\"reason\":"
	    "\"random\"}", inst(from, a), inst(to, b), (long long)cards);
	r = call("POST", path, body, 0);
	if (cards > M.p[p].cards) {
		CHECK(r.status == 400 && strstr(fx_detail(&r), "exceeds") != NULL,
		    "an outage of more cards than the pool's %lld: expected 400; got %s",
		    (long long)M.p[p].cards, rtext(&r));
		(*refused)++;
		response_clear(&r);
		return false;
	}
	breach = room_breach(p, from, to, cards, -1, &out);
	if (breach >= 0) {
		const char *s = json_string_value(json_object_get(r.json, "at"));

		CHECK(r.status == 400 && strcmp(fx_code(&r), "bad_request") == 0 && s &&
		    civil_parse_instant(s, &at) == 0 && at == breach &&
		    json_integer_value(json_object_get(r.json, "cards_out")) == out &&
		    json_integer_value(json_object_get(r.json, "pool_cards")) == M.p[p].cards,
		    "expected 400 with at %s, cards_out %lld, pool_cards %lld; got %s",
		    inst(breach, w), (long long)out, (long long)M.p[p].cards, rtext(&r));
		(*refused)++;
		response_clear(&r);
		return false;
	}
	CHECK(r.status == 201 && id_of(r.json, "out_") > 0 && M.no < MAXO,
	    "expected 201 (the outage fits); got %s", rtext(&r));
	M.o[M.no++] = (struct moutage){ id_of(r.json, "out_"), p, from, to, cards, true };
	response_clear(&r);
	return true;
}

/* A standing outage at random (-1 when none). */
static int
pick_outage(uint64_t *rs, bool standing)
{
	int c[MAXO], n = 0;

	for (int k = 0; k < M.no; k++)
		if (M.o[k].standing == standing)
			c[n++] = k;
	return n ? c[brute_range(rs, 0, n - 1)] : -1;
}

/* A correction of outage k: any of from, to and cards; the reply predicted. */
static void
patch_outage(uint64_t *rs, int k, long *ok, long *refused)
{
	struct moutage *o = &M.o[k], n = *o;
	char path[64], body[400], a[CIVIL_INSTANT_LEN], want[300];
	int64_t what = brute_range(rs, 1, 7), out = 0, breach, f, t, c;
	size_t len = 0;
	struct response r;

	random_outage(rs, o->pool, &f, &t, &c);
	/* Sometimes a small move of one end, so that corrections stay near what was. */
	if (brute_range(rs, 0, 1))
		f = max64(SFROM, o->from + brute_range(rs, -90, 90) * MINUTE);
	if (brute_range(rs, 0, 1))
		t = min64(STO, o->to + brute_range(rs, -90, 90) * MINUTE);
	len += (size_t)snprintf(body + len, sizeof(body) - len, "{");
	if (what & 1) {
		n.from = f;
		len += (size_t)snprintf(body + len, sizeof(body) - len, "\"from\":\"%s\",",
		    inst(f, a));
	}
	if (what & 2) {
		n.to = t;
		len += (size_t)snprintf(body + len, sizeof(body) - len, "\"to\":\"%s\",",
		    inst(t, a));
	}
	if (what & 4) {
		n.cards = c;
		len += (size_t)snprintf(body + len, sizeof(body) - len, "\"cards\":%lld,",
		    (long long)c);
	}
	snprintf(body + len, sizeof(body) - len, "\"reason\":\"corrected\"}");
	snprintf(path, sizeof(path), "/v1/outages/out_%lld", (long long)o->id);
	r = call("PATCH", path, body, 0);
	if (!o->standing) {
		CHECK(r.status == 409 && strcmp(fx_code(&r), "invalid_state") == 0,
		    "a correction of a cancelled outage: expected 409 invalid_state; got %s",
		    rtext(&r));
		(*refused)++;
	} else if (n.to <= n.from) {
		CHECK(r.status == 400 && strcmp(fx_code(&r), "bad_request") == 0,
		    "a correction with to not after from: expected 400; got %s", rtext(&r));
		(*refused)++;
	} else if (n.cards > M.p[o->pool].cards) {
		CHECK(r.status == 400 && strstr(fx_detail(&r), "exceeds") != NULL,
		    "a correction to more cards than the pool's %lld: expected 400; got %s",
		    (long long)M.p[o->pool].cards, rtext(&r));
		(*refused)++;
	} else if ((breach = room_breach(o->pool, n.from, n.to, n.cards, k, &out)) >= 0) {
		char when[CIVIL_WHEN_LEN];
		struct civil_zone z;

		/* The instant in the configured zone, UTC beside it. */
		civil_zone_of(F.app.cfg.programme.timezone, F.app.cfg.programme.tz_offset, &z);
		civil_format_when(breach, &z, when);
		snprintf(want, sizeof(want), "other outages take %lld of the %lld cards of pool "
		    "'%s' out of service at %s", (long long)out, (long long)M.p[o->pool].cards,
		    M.p[o->pool].id, when);
		CHECK(r.status == 400 && strcmp(fx_code(&r), "bad_request") == 0 &&
		    strstr(fx_detail(&r), want) != NULL, "a correction beyond the pool: expected "
		    "400 saying \"%s\"; got %s", want, rtext(&r));
		(*refused)++;
	} else {
		int64_t rf = 0, rt = 0;

		CHECK(r.status == 200 && civil_parse_instant(fx_str(r.json, "from"), &rf) == 0 &&
		    civil_parse_instant(fx_str(r.json, "to"), &rt) == 0 && rf == n.from &&
		    rt == n.to && json_integer_value(json_object_get(r.json, "cards")) == n.cards &&
		    strcmp(fx_str(r.json, "state"), "recorded") == 0,
		    "expected 200, the outage as corrected (%lld cards); got %s",
		    (long long)n.cards, rtext(&r));
		*o = n;
		(*ok)++;
	}
	response_clear(&r);
}

/* A cancellation of outage k (reason in the body or the query); the reply predicted. */
static void
cancel_outage(uint64_t *rs, int k, long *ok, long *refused)
{
	char path[96];
	bool query = brute_range(rs, 0, 1);
	struct response r;

	snprintf(path, sizeof(path), "/v1/outages/out_%lld%s", (long long)M.o[k].id,
	    query ? "?reason=withdrawn" : "");
	r = call("DELETE", path, query ? NULL : "{\"reason\":\"entered by mistake\"}", 0);
	if (M.o[k].standing) {
		CHECK(r.status == 200 && strcmp(fx_str(r.json, "state"), "cancelled") == 0,
		    "expected 200, the outage cancelled; got %s", rtext(&r));
		M.o[k].standing = false;
		(*ok)++;
	} else {
		CHECK(r.status == 409 && strcmp(fx_code(&r), "invalid_state") == 0,
		    "a second cancellation: expected 409 invalid_state; got %s", rtext(&r));
		(*refused)++;
	}
	response_clear(&r);
}

/* The enrollment row id of team t. */
static int64_t
enrollment_id(int t)
{
	return fx_qint(&F, "SELECT id FROM enrollments WHERE phase = 'ph' AND team = ?",
	    TEAM[t], NULL);
}

/*
 * Every enrollment's loss, exact and as the report shows it, against the
 * brute force.  Returns how many teams lost something.
 */
static int
compare_losses(void)
{
	int64_t want[NTEAMS];
	struct calendar cal = { 0 };
	struct enr_loss *lost = NULL;
	size_t nl = 0;
	struct response r;

	brute_team_losses(want);
	ck_assert_int_eq(calendar_load(F.app.r, &cal), 0);
	ck_assert_int_eq(calendar_losses(F.app.r, &cal, civil_min_instant(), civil_max_instant(),
	    &lost, &nl), 0);
	for (int t = 0; t < NTEAMS; t++) {
		int64_t got = M.enrolled[t] ? calendar_loss_of(lost, nl, enrollment_id(t)) : 0;

		CHECK(got == want[t], "after this step: %s lost %lld milli-unit-seconds (calendar); "
		    "the brute force says %lld", TEAM[t], (long long)got, (long long)want[t]);
	}
	free(lost);
	calendar_free(&cal);

	r = call("GET", "/v1/phases/ph/fairness?at=" FAR, NULL, 0);
	CHECK(r.status == 200, "the report: %s", rtext(&r));
	for (int t = 0; t < NTEAMS; t++) {
		json_t *row = NULL, *v;
		size_t i;
		double uh = round((double)want[t] / 3600.0) / 1000.0;

		if (!M.enrolled[t])
			continue;
		json_array_foreach(json_object_get(r.json, "teams"), i, v)
			if (strcmp(fx_str(v, "team"), TEAM[t]) == 0)
				row = v;
		CHECK(row != NULL && json_is_number(json_object_get(row, "lost_unit_hours")) &&
		    json_number_value(json_object_get(row, "lost_unit_hours")) == uh,
		    "the report's lost_unit_hours of %s: expected %.3f (%lld milli-unit-seconds); "
		    "got %s", TEAM[t], uh, (long long)want[t], rtext(&r));
	}
	response_clear(&r);
	return (want[0] > 0) + (want[1] > 0) + (want[2] > 0) + (want[3] > 0);
}

/* ------------------------------------------------------------ 1. losses */

START_TEST(losses_after_corrections)
{
	long created = 0, corrected = 0, cancelled = 0, refused = 0, lossy = 0;

	SEED = brute_seed();
	template_open();
	for (int trial = 0; trial < LOSS_TRIALS; trial++) {
		uint64_t rs;
		int np;

		trial_open(&rs, trial);
		np = (int)brute_range(&rs, 1, MAXP);
		for (int p = 0; p < np; p++)
			add_pool(&rs, 2, 12);
		add_grants(&rs, (int)brute_range(&rs, 2, NTEAMS), 3, 6);
		compare_losses();
		for (STEP = 1; STEP <= LOSS_STEPS; STEP++) {
			int64_t op = brute_range(&rs, 0, 99), from, to, cards;
			int k;

			if (op < 45 || M.no == 0) {
				int p = (int)brute_range(&rs, 0, M.np - 1);

				random_outage(&rs, p, &from, &to, &cards);
				created += create_outage(p, from, to, cards, &refused);
			} else if (op < 80) {
				/* Now and then a cancelled one, which cannot be corrected. */
				k = brute_range(&rs, 0, 9) == 0 ? pick_outage(&rs, false) : -1;
				if (k < 0)
					k = pick_outage(&rs, true);
				if (k >= 0)
					patch_outage(&rs, k, &corrected, &refused);
			} else {
				k = brute_range(&rs, 0, 9) == 0 ? pick_outage(&rs, false) : -1;
				if (k < 0)
					k = pick_outage(&rs, true);
				if (k >= 0)
					cancel_outage(&rs, k, &cancelled, &refused);
			}
			lossy += compare_losses();
		}
		fx_close(&F);
	}
	fx_template_drop(&TPL);
	fprintf(stderr, "losses_after_corrections: seed %llu: %ld created, %ld corrected, "
	    "%ld cancelled, %ld refused, %ld team-steps with a loss\n",
	    (unsigned long long)SEED, created, corrected, cancelled, refused, lossy);
	ck_assert_msg(created > 40 && corrected > 20 && cancelled > 10 && refused > 20 &&
	    lossy > 100, "seed %llu: too little was exercised: %ld created, %ld corrected, %ld "
	    "cancelled, %ld refused, %ld team-steps with a loss", (unsigned long long)SEED,
	    created, corrected, cancelled, refused, lossy);
}
END_TEST

/* ------------------------------------------------------------ 2. usage */

/* The flag the reference gives a sample of team t on pool 0 (and the card-seconds stored). */
static const char *
model_flag(int t, int64_t from, int64_t to, int64_t gpu, int64_t *granted, int64_t *in_service)
{
	int64_t lost[MAXG] = { 0 }, mus = 0;

	*granted = 0;
	for (int k = 0; k < M.ng; k++)
		if (M.g[k].team == t && M.g[k].pool == 0)
			*granted += M.g[k].cards * max64(0, min64(to, M.g[k].to) -
			    max64(from, M.g[k].from));
	brute_losses(0, from, to, lost);
	for (int k = 0; k < M.ng; k++)
		if (M.g[k].team == t && M.g[k].pool == 0)
			mus += lost[k];
	/* Rounded down: flagged only for what was surely used beyond the cards in service. */
	*in_service = *granted - mus / M.p[0].weight;
	if (*granted == 0)
		return "no_grant";
	if (gpu > *granted)
		return "above_grant";
	if (gpu > *in_service)
		return "above_cards_in_service";
	return "";
}

START_TEST(usage_against_service)
{
	long n[4] = { 0 }, impaired = 0, capacity = 0;
	static const char *const names[4] = { "", "no_grant", "above_grant",
		"above_cards_in_service" };

	SEED = brute_seed();
	template_open();
	for (int trial = 0; trial < USAGE_TRIALS; trial++) {
		int64_t used[NTEAMS][USAGE_SAMPLES][2];
		int nused[NTEAMS] = { 0 };
		uint64_t rs;
		long dummy = 0;

		trial_open(&rs, trial);
		add_pool(&rs, 4, 16);
		/* A second pool, where a team may hold cards and still have none on q0. */
		add_pool(&rs, 2, 6);
		add_grants(&rs, (int)brute_range(&rs, 2, NTEAMS), 4, 16);
		for (int i = (int)brute_range(&rs, 1, 6); i > 0; i--) {
			int64_t from, to, cards;

			random_outage(&rs, 0, &from, &to, &cards);
			/* Up to the whole pool, so that granted cards go out of service. */
			if (cards <= M.p[0].cards)
				cards = brute_range(&rs, 1, M.p[0].cards);
			create_outage(0, from, to, cards, &dummy);
		}
		/* Some corrected or cancelled: only the standing ones take cards. */
		for (int i = (int)brute_range(&rs, 0, 3); i > 0; i--) {
			int k = pick_outage(&rs, true);

			if (k < 0)
				break;
			if (brute_range(&rs, 0, 1))
				patch_outage(&rs, k, &dummy, &dummy);
			else
				cancel_outage(&rs, k, &dummy, &dummy);
		}
		for (STEP = 1; STEP <= USAGE_SAMPLES; STEP++) {
			int t = (int)brute_range(&rs, 0, NTEAMS - 1), tries, holders[MAXG], nh = 0;
			int64_t from = 0, to = 0, g, s, gpu, len, cap, stored = 0;
			char body[400], a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN], sql[300];
			char reason[64], batch[48];
			const char *want;
			struct response r;
			bool bad;

			/* Mostly a team with cards on q0. */
			for (int k = 0; k < M.ng; k++)
				if (M.g[k].pool == 0)
					holders[nh++] = M.g[k].team;
			if (nh > 0 && brute_range(&rs, 0, 3) > 0)
				t = holders[brute_range(&rs, 0, nh - 1)];
			/* Never over another sample of the team's: each is judged alone. */
			for (tries = 0; tries < 20; tries++) {
				int k = pick_outage(&rs, true);
				bool clash = false;

				/* Most of them over an outage of q0, the others anywhere. */
				if (k >= 0 && M.o[k].pool == 0 && brute_range(&rs, 0, 3) > 0)
					from = max64(SFROM, M.o[k].from + brute_range(&rs, -30,
					    (M.o[k].to - M.o[k].from) / MINUTE) * MINUTE);
				else
					from = SFROM + brute_range(&rs, 0, (STO - SFROM) / MINUTE - 2) *
					    MINUTE;
				from = min64(from, STO - MINUTE);
				to = min64(STO, from + brute_range(&rs, 1, 240) * MINUTE);
				for (int j = 0; j < nused[t]; j++)
					clash |= from < used[t][j][1] && used[t][j][0] < to;
				if (!clash)
					break;
			}
			if (tries == 20)
				continue;
			len = to - from;
			cap = M.p[0].cards * len;
			model_flag(t, from, to, 0, &g, &s);
			switch (brute_range(&rs, 0, 9)) {
			case 0: gpu = g; break;
			case 1: gpu = g + brute_range(&rs, 1, 3); break;
			case 2: gpu = s; break;
			case 3: gpu = s + brute_range(&rs, 1, 3); break;
			case 4: gpu = s - brute_range(&rs, 1, 3); break;
			case 5: gpu = brute_range(&rs, s, max64(s, g)); break;
			case 6: gpu = cap + brute_range(&rs, 0, 1); break;
			case 7: gpu = 0; break;
			default: gpu = brute_range(&rs, 0, cap); break;
			}
			gpu = max64(0, gpu);
			want = model_flag(t, from, to, gpu, &g, &s);
			bad = gpu > cap;
			impaired += s < g;
			snprintf(batch, sizeof(batch), "s-%d-%d", trial, STEP);
			snprintf(body, sizeof(body), "{\"batch_id\":\"%s\",\"samples\":[{\"pool\":"
			    "\"q0\",\"team\":\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%lld}]}",
			    batch, TEAM[t], inst(from, a), inst(to, b), (long long)gpu);
			r = call("POST", "/v1/usage", body, NOW_LATER);
			if (bad) {
				CHECK(r.status == 400 && strcmp(fx_str(r.json, "reason"),
				    "above_capacity") == 0, "gpu_seconds above the pool's %lld cards x "
				    "%lld s: expected 400 above_capacity; got %s",
				    (long long)M.p[0].cards, (long long)len, rtext(&r));
				capacity++;
				response_clear(&r);
				continue;
			}
			used[t][nused[t]][0] = from;
			used[t][nused[t]++][1] = to;
			CHECK(r.status == 202 && json_integer_value(json_object_get(r.json,
			    "flagged")) == (*want ? 1 : 0), "granted %lld card-seconds, %lld in "
			    "service: expected flagged %d (%s); got %s", (long long)g, (long long)s,
			    *want ? 1 : 0, *want ? want : "none", rtext(&r));
			response_clear(&r);
			snprintf(sql, sizeof(sql), "SELECT f.reason || ' ' || f.granted FROM usage_flags f "
			    "JOIN usage_batches b ON b.id = f.batch WHERE b.batch_id = '%s'", batch);
			qtext(sql, reason, sizeof(reason));
			if (*want)
				stored = strcmp(want, "above_cards_in_service") == 0 ? s : g;
			{
				char expect_row[64] = "";

				if (*want)
					snprintf(expect_row, sizeof(expect_row), "%s %lld", want,
					    (long long)stored);
				CHECK(strcmp(reason, expect_row) == 0, "usage_flags of %s (granted %lld, "
				    "in service %lld, gpu %lld): expected '%s'; got '%s'", batch,
				    (long long)g, (long long)s, (long long)gpu, expect_row, reason);
			}
			for (int i = 0; i < 4; i++)
				n[i] += strcmp(want, names[i]) == 0;
		}
		fx_close(&F);
	}
	fx_template_drop(&TPL);
	fprintf(stderr, "usage_against_service: seed %llu: none %ld, no_grant %ld, above_grant "
	    "%ld, above_cards_in_service %ld, above the pool %ld; samples with cards out of "
	    "service %ld\n", (unsigned long long)SEED, n[0], n[1], n[2], n[3], capacity,
	    impaired);
	ck_assert_msg(n[0] > 20 && n[1] > 5 && n[2] > 10 && n[3] > 10 && capacity > 5 &&
	    impaired > 30, "seed %llu: too little was exercised: none %ld, no_grant %ld, "
	    "above_grant %ld, above_cards_in_service %ld, above the pool %ld, impaired %ld",
	    (unsigned long long)SEED, n[0], n[1], n[2], n[3], capacity, impaired);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("routes_late_random");
	TCase *tc = tcase_create("late_random");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, losses_after_corrections);
	tcase_add_test(tc, usage_against_service);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
