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
 * Three randomised tests through the routes, each judged by a reference
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
 *	3. batches_against_service: batches of several samples from several
 *	   agent tokens, overlapping within a batch and with the usage stored
 *	   before it (same pool, team and hour), between random outage
 *	   creates, corrections and cancellations: each sample's verdict
 *	   (reason and card-seconds in usage_flags, the reply's flagged and
 *	   overlaps with their "with"), and after every step each team's
 *	   quota (unit_hours.flagged, beyond_service, owed) and report row
 *	   (flagged_unit_hours, beyond_service_unit_hours, owed_unit_hours),
 *	   against a reference computed hour by hour from the samples and the
 *	   outages as they stand (see the section's comment).
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

/* The start of the UTC hour of t (t >= SFROM, itself on an hour). */
static int64_t
hour_floor(int64_t t)
{
	return t - (t - SFROM) % HOUR;
}

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
			/*
			 * Never in a UTC hour of another sample of the team's: each
			 * is judged alone (a batch is also judged against the usage
			 * stored for its hours, test 3).
			 */
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
					clash |= hour_floor(from) < hour_floor(used[t][j][1] + HOUR - 1) &&
					    hour_floor(used[t][j][0]) < hour_floor(to + HOUR - 1);
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

/* ------------------------------------------------------------ 3. batches */

/*
 * Batches of several samples, from several agent tokens and the admin,
 * overlapping in the same pool, team and hour; then outages recorded,
 * corrected and cancelled after the usage.  The reference here is written
 * from docs/api-notes.md ("Usage samples that are possible ...", "The
 * figures are judged again ...", "Overlapping samples ...") and
 * docs/fairness.md, not from daemon/ingest_judge.c or daemon/figures.c:
 *
 *	- each sample alone: no_grant, above_grant, above_cards_in_service
 *	  (model_flag above);
 *	- a cluster is a connected set of a team's samples that overlap (by
 *	  more than a point), leaving out those that used nothing or were
 *	  flagged no_grant or above_grant; between two consecutive boundaries
 *	  of its samples, what they used (each sample's share of the stretch in
 *	  whole GPU-seconds, rounded down) against the team's granted
 *	  card-seconds there less what the standing outages took (brute_losses,
 *	  rounded down): where it passes, every sample of the cluster that
 *	  meets the stretch from the first such place to the last is flagged
 *	  overlapping ("with": "batch");
 *	- then every UTC hour where usage of the team is stored from before and
 *	  the team holds a grant: the stored GPU-seconds plus the batch's (every
 *	  sample split over the hours) against the same allowance for the hour;
 *	  the samples that meet an hour that passes are flagged overlapping
 *	  ("with": "stored");
 *	- the figures, hour by hour, from the samples kept here and the outages
 *	  as they stand: in each hour a standing outage touches or where a
 *	  sample's flagged usage was summed, beyond = usage - (granted - lost,
 *	  rounded down) when positive; flagged = the hour's usage when beyond >
 *	  0, else what above_grant samples used there; owed = all-time losses
 *	  less sum(min(beyond, lost)) (never below 0).
 *
 * An hour's usage of the team's enrollment is the share of each sample in
 * it whose part of the hour meets a grant of the team on the pool.
 */

#define BATCH_TRIALS 16
#define BATCH_STEPS 18
#define MAXS 6				/* samples in a batch */
#define MAXREC (BATCH_STEPS * MAXS)	/* samples kept in a trial */
#define NAGENTS 3
#define NHOURS ((STO - SFROM) / HOUR)	/* SFROM is on an hour */

enum { V_NONE, V_NO_GRANT, V_ABOVE_GRANT, V_ABOVE_SERVICE, V_OVERLAPPING };

static const char *const VNAME[] = { "", "no_grant", "above_grant", "above_cards_in_service",
	"overlapping" };

struct msample {
	int team;
	int64_t from, to, gpu;
	int64_t granted, in_service;	/* card-seconds, when accepted */
	int verdict;			/* V_* as accepted: never revised */
};

/* An entry of `overlaps` the reference expects. */
struct mover {
	bool stored;			/* "with": "stored", else "batch" */
	int team;
	int64_t from, to, used, allowed, stored_s;
	unsigned samples;		/* bit i: samples[i] of the batch */
	bool seen;
};

static struct {
	int n;
	struct msample s[MAXREC];
	int64_t hour_sum[NTEAMS][NHOURS];	/* GPU-seconds stored, any flag, any enrollment */
	int64_t lost_h[NHOURS][MAXG];		/* mus the standing outages take from each grant */
} U;

static int
vindex(const char *name)
{
	for (int v = 0; v < 5; v++)
		if (strcmp(name, VNAME[v]) == 0)
			return v;
	return -1;
}

/* The share of a sample in [a, b) (within it), as the docs split it over hours. */
static int64_t
share_in(const struct msample *s, int64_t a, int64_t b)
{
	int64_t L = s->to - s->from;

	a = max64(a, s->from);
	b = min64(b, s->to);
	if (b <= a)
		return 0;
	return (int64_t)((__int128)s->gpu * (b - s->from) / L - (__int128)s->gpu * (a - s->from) /
	    L);
}

/* Team t's granted card-seconds on q0 in [a, b). */
static int64_t
team_granted(int t, int64_t a, int64_t b)
{
	int64_t sum = 0;

	for (int k = 0; k < M.ng; k++)
		if (M.g[k].team == t && M.g[k].pool == 0)
			sum += M.g[k].cards * max64(0, min64(b, M.g[k].to) - max64(a, M.g[k].from));
	return sum;
}

/* What the standing outages took from team t's grants on q0 in [a, b), card-seconds rounded down. */
static int64_t
team_out(int t, int64_t a, int64_t b)
{
	int64_t lost[MAXG] = { 0 }, mus = 0;

	brute_losses(0, a, b, lost);
	for (int k = 0; k < M.ng; k++)
		if (M.g[k].team == t && M.g[k].pool == 0)
			mus += lost[k];
	return mus / M.p[0].weight;
}

static bool
meets(int64_t a, int64_t b, int64_t c, int64_t d)
{
	return a < d && c < b;
}

/*
 * The reference's verdicts of a batch of n samples (s[], their `verdict`
 * set alone by model_flag beforehand), with the entries of `overlaps`.
 */
static int
judge_batch(struct msample *s, int n, struct mover *ov)
{
	int nov = 0, comp[MAXS];

	/* Clusters: connected components of overlapping candidates of one team. */
	for (int i = 0; i < n; i++)
		comp[i] = i;
	for (bool changed = true; changed; ) {
		changed = false;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < n; j++) {
				bool ci = s[i].gpu > 0 && (s[i].verdict == V_NONE ||
				    s[i].verdict == V_ABOVE_SERVICE);
				bool cj = s[j].gpu > 0 && (s[j].verdict == V_NONE ||
				    s[j].verdict == V_ABOVE_SERVICE);

				if (ci && cj && s[i].team == s[j].team && comp[j] < comp[i] &&
				    meets(s[i].from, s[i].to, s[j].from, s[j].to)) {
					comp[i] = comp[j];
					changed = true;
				}
			}
	}
	for (int c = 0; c < n; c++) {
		int64_t b[2 * MAXS], bad_from = -1, bad_to = -1, wu = 0, wa = 0;
		int nb = 0, members = 0;
		struct mover o = { 0 };

		for (int i = 0; i < n; i++)
			if (comp[i] == c && s[i].gpu > 0 && (s[i].verdict == V_NONE ||
			    s[i].verdict == V_ABOVE_SERVICE)) {
				members++;
				b[nb++] = s[i].from;
				b[nb++] = s[i].to;
			}
		if (members < 2)
			continue;
		/* The boundaries in order (a few: a selection sort). */
		for (int i = 0; i < nb; i++)
			for (int j = i + 1; j < nb; j++)
				if (b[j] < b[i]) {
					int64_t x = b[i];

					b[i] = b[j];
					b[j] = x;
				}
		for (int k = 0; k + 1 < nb; k++) {
			int64_t used = 0, allowed;

			if (b[k] == b[k + 1])
				continue;
			for (int i = 0; i < n; i++)
				if (comp[i] == c && meets(s[i].from, s[i].to, b[k], b[k + 1]))
					used += (int64_t)((__int128)s[i].gpu * (min64(s[i].to,
					    b[k + 1]) - max64(s[i].from, b[k])) / (s[i].to - s[i].from));
			allowed = team_granted(s[c].team, b[k], b[k + 1]) -
			    team_out(s[c].team, b[k], b[k + 1]);
			if (used <= allowed)
				continue;
			if (bad_from < 0 || used - allowed > wu - wa) {
				wu = used;
				wa = allowed;
			}
			if (bad_from < 0)
				bad_from = b[k];
			bad_to = b[k + 1];
		}
		if (bad_from < 0)
			continue;
		o = (struct mover){ false, s[c].team, bad_from, bad_to, wu, wa, 0, 0, false };
		for (int i = 0; i < n; i++)
			if (comp[i] == c && meets(s[i].from, s[i].to, bad_from, bad_to)) {
				o.samples |= 1u << i;
				if (s[i].verdict == V_NONE)
					s[i].verdict = V_OVERLAPPING;
			}
		ov[nov++] = o;
	}
	/* Against what is stored, hour by hour. */
	for (int t = 0; t < NTEAMS; t++) {
		struct mover o = { true, t, -1, -1, 0, 0, 0, 0, false };
		bool passed[NHOURS] = { false };

		for (int h = 0; h < NHOURS; h++) {
			int64_t H = SFROM + h * HOUR, mine = 0, g, allowed;

			for (int i = 0; i < n; i++)
				if (s[i].team == t)
					mine += share_in(&s[i], H, H + HOUR);
			if (mine == 0 || U.hour_sum[t][h] == 0 ||
			    (g = team_granted(t, H, H + HOUR)) == 0)
				continue;
			allowed = g - team_out(t, H, H + HOUR);
			if (U.hour_sum[t][h] + mine <= allowed)
				continue;
			passed[h] = true;
			if (o.from < 0 || U.hour_sum[t][h] + mine - allowed > o.used - o.allowed) {
				o.used = U.hour_sum[t][h] + mine;
				o.allowed = allowed;
				o.stored_s = U.hour_sum[t][h];
			}
			if (o.from < 0)
				o.from = H;
			o.to = H + HOUR;
		}
		if (o.from < 0)
			continue;
		for (int i = 0; i < n; i++) {
			bool hit = false;

			for (int h = 0; h < NHOURS && !hit; h++)
				hit = passed[h] && meets(s[i].from, s[i].to, SFROM + h * HOUR,
				    SFROM + (h + 1) * HOUR);
			if (s[i].team != t || s[i].gpu == 0 || !hit)
				continue;
			o.samples |= 1u << i;
			if (s[i].verdict == V_NONE)
				s[i].verdict = V_OVERLAPPING;
		}
		ov[nov++] = o;
	}
	return nov;
}

/* A random batch near an outage, a sample stored before or anywhere; n samples. */
static int
random_batch(uint64_t *rs, struct msample *s)
{
	int n = (int)brute_range(rs, 2, MAXS), holders[MAXG], nh = 0, t, k;
	int64_t base;

	for (k = 0; k < M.ng; k++)
		if (M.g[k].pool == 0)
			holders[nh++] = M.g[k].team;
	t = nh > 0 && brute_range(rs, 0, 4) > 0 ? holders[brute_range(rs, 0, nh - 1)] :
	    (int)brute_range(rs, 0, NTEAMS - 1);
	k = pick_outage(rs, true);
	switch (brute_range(rs, 0, 3)) {
	case 0:
	case 1:
		/* Most of them over an outage, where cards are out of service. */
		if (k >= 0) {
			base = M.o[k].from + brute_range(rs, -60, (M.o[k].to - M.o[k].from) /
			    MINUTE) * MINUTE;
			break;
		}
		/* FALLTHROUGH */
	case 2:
		if (U.n > 0) {
			base = U.s[brute_range(rs, 0, U.n - 1)].from;
			break;
		}
		/* FALLTHROUGH */
	default:
		base = SFROM + brute_range(rs, 0, (STO - SFROM) / MINUTE - 1) * MINUTE;
		break;
	}
	for (int i = 0; i < n; i++) {
		struct msample *x = &s[i];
		int64_t g, sv, cap;

		x->team = brute_range(rs, 0, 5) == 0 ? (int)brute_range(rs, 0, NTEAMS - 1) : t;
		x->from = base + brute_range(rs, -90, 90) * MINUTE;
		/* Now and then on the hour, where the stored usage is judged. */
		if (brute_range(rs, 0, 3) == 0)
			x->from -= ((x->from - SFROM) % HOUR + HOUR) % HOUR;
		x->from = min64(max64(x->from, SFROM), STO - MINUTE);
		x->to = min64(STO, x->from + (brute_range(rs, 0, 3) == 0 ? HOUR :
		    brute_range(rs, 1, 150) * MINUTE));
		model_flag(x->team, x->from, x->to, 0, &g, &sv);
		cap = M.p[0].cards * (x->to - x->from);
		switch (brute_range(rs, 0, 12)) {
		case 0: x->gpu = sv; break;
		case 1: x->gpu = g; break;
		case 2: x->gpu = g + brute_range(rs, 1, 3); break;
		case 3: x->gpu = sv + 1; break;
		case 4: x->gpu = sv - brute_range(rs, 0, 3); break;
		case 5: x->gpu = brute_range(rs, 0, cap / 2); break;
		case 6: x->gpu = 0; break;
		case 7:
		case 8: x->gpu = brute_range(rs, sv + 1, max64(sv + 1, g)); break;
		default: x->gpu = sv * brute_range(rs, 3, 8) / 10; break;
		}
		/* Never above the pool: that refuses the whole batch (tested above). */
		x->gpu = min64(cap, max64(0, x->gpu));
		x->verdict = vindex(model_flag(x->team, x->from, x->to, x->gpu, &x->granted,
		    &x->in_service));
	}
	return n;
}

/* The `overlaps` of a reply against the reference's, in any order. */
static void
compare_overlaps(const json_t *got, struct mover *ov, int nov)
{
	const json_t *e;
	size_t i;

	CHECK(json_array_size(got) == (size_t)nov, "expected %d entries in overlaps; got %s",
	    nov, jtext(got));
	json_array_foreach(got, i, e) {
		int64_t from = 0, to = 0;
		unsigned bits = 0;
		const json_t *x;
		size_t j;
		bool found = false;

		CHECK(civil_parse_instant(fx_str(e, "from"), &from) == 0 &&
		    civil_parse_instant(fx_str(e, "to"), &to) == 0, "overlaps[%zu] unreadable: %s",
		    i, jtext(got));
		json_array_foreach(json_object_get(e, "samples"), j, x)
			bits |= 1u << json_integer_value(x);
		for (int k = 0; k < nov && !found; k++) {
			struct mover *o = &ov[k];
			char a[CIVIL_INSTANT_LEN], b[CIVIL_INSTANT_LEN];

			if (o->seen || strcmp(fx_str(e, "with"), o->stored ? "stored" : "batch") != 0 ||
			    strcmp(fx_str(e, "team"), TEAM[o->team]) != 0 || from != o->from)
				continue;
			found = o->seen = true;
			CHECK(to == o->to && strcmp(fx_str(e, "pool"), "q0") == 0 &&
			    json_integer_value(json_object_get(e, "used_seconds")) == o->used &&
			    json_integer_value(json_object_get(e, "allowed_seconds")) == o->allowed &&
			    bits == o->samples && (!o->stored || json_integer_value(
			    json_object_get(e, "stored_seconds")) == o->stored_s),
			    "overlaps[%zu]: expected with %s, team %s, %s to %s, used %lld, allowed "
			    "%lld, stored %lld, samples 0x%x; got %s", i, o->stored ? "stored" : "batch",
			    TEAM[o->team], inst(o->from, a), inst(o->to, b), (long long)o->used,
			    (long long)o->allowed, (long long)o->stored_s, o->samples, jtext(got));
		}
		CHECK(found, "overlaps[%zu] not expected (the reference has %d entries): %s", i, nov,
		    jtext(got));
	}
}

/*
 * Posts a random batch with one of the tokens and checks the verdicts:
 * the reply's flagged and overlaps, and usage_flags (reason, and the
 * card-seconds the sample was held to).  Returns the overlaps expected,
 * stored ones counted in *stored_ov.
 */
static int
post_batch(uint64_t *rs, char tokens[][TOKEN_SECRET_LEN + 1], int ntok, long *stored_ov,
    long *verdicts)
{
	struct msample s[MAXS];
	struct mover ov[MAXS + NTEAMS];
	int n = random_batch(rs, s), nov, flagged = 0;
	char body[1200], bid[48], sql[300], got[600], want[600] = "", a[CIVIL_INSTANT_LEN],
	    b[CIVIL_INSTANT_LEN];
	size_t o = 0, w = 0;
	struct fx_rq in = { .method = "POST", .path = "/v1/usage", .now = NOW_LATER };
	struct response r;

	nov = judge_batch(s, n, ov);
	snprintf(bid, sizeof(bid), "b-%d-%d", TRIAL, STEP);
	o += (size_t)snprintf(body, sizeof(body), "{\"batch_id\":\"%s\",\"samples\":[", bid);
	for (int i = 0; i < n; i++) {
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s{\"pool\":\"q0\",\"team\":"
		    "\"%s\",\"from\":\"%s\",\"to\":\"%s\",\"gpu_seconds\":%lld}", i ? "," : "",
		    TEAM[s[i].team], inst(s[i].from, a), inst(s[i].to, b), (long long)s[i].gpu);
		flagged += s[i].verdict != V_NONE;
		verdicts[s[i].verdict]++;
		if (s[i].verdict != V_NONE)
			w += (size_t)snprintf(want + w, sizeof(want) - w, "%s%d %s %lld", w ? ";" : "",
			    i, VNAME[s[i].verdict], (long long)(s[i].verdict == V_ABOVE_SERVICE ||
			    s[i].verdict == V_OVERLAPPING ? s[i].in_service : s[i].granted));
	}
	snprintf(body + o, sizeof(body) - o, "]}");
	in.token = tokens[brute_range(rs, 0, ntok - 1)];
	in.body = body;
	snprintf(CTX, sizeof(CTX), "seed %llu trial %d step %d: POST /v1/usage %s",
	    (unsigned long long)SEED, TRIAL, STEP, body);
	r = fx_call(&F, &in);
	CHECK(r.status == 202 && json_integer_value(json_object_get(r.json, "flagged")) ==
	    flagged, "expected 202, flagged %d (%s); got %s", flagged, want, rtext(&r));
	compare_overlaps(json_object_get(r.json, "overlaps"), ov, nov);
	response_clear(&r);
	snprintf(sql, sizeof(sql), "SELECT group_concat(x, ';') FROM (SELECT f.idx || ' ' || "
	    "f.reason || ' ' || f.granted AS x FROM usage_flags f JOIN usage_batches b ON "
	    "b.id = f.batch WHERE b.batch_id = '%s' ORDER BY f.idx)", bid);
	qtext(sql, got, sizeof(got));
	CHECK(strcmp(got, want) == 0, "usage_flags of %s: expected '%s'; got '%s'", bid, want,
	    got);
	/* Kept, as the daemon keeps them: the hours summed, the verdicts never revised. */
	for (int i = 0; i < n; i++) {
		for (int h = 0; h < NHOURS; h++)
			U.hour_sum[s[i].team][h] += share_in(&s[i], SFROM + h * HOUR,
			    SFROM + (h + 1) * HOUR);
		U.s[U.n++] = s[i];
	}
	for (int k = 0; k < nov; k++)
		*stored_ov += ov[k].stored;
	return nov;
}

/* Whether one of team t's grants on q0 holds cards in [a, b). */
static bool
team_holds(int t, int64_t a, int64_t b)
{
	for (int k = 0; k < M.ng; k++)
		if (M.g[k].team == t && M.g[k].pool == 0 && meets(M.g[k].from, M.g[k].to, a, b))
			return true;
	return false;
}

/* What one team's figures should be, in mus, as things stand. */
struct mfig {
	int64_t flagged, beyond, owed, used_lost;
};

static struct mfig
brute_figures(int t, int64_t at, int64_t lost_total)
{
	struct mfig f = { 0, 0, 0, 0 };
	const int64_t w = M.p[0].weight;

	for (int h = 0; h < NHOURS; h++) {
		int64_t H = SFROM + h * HOUR, use = 0, fl = 0, ag = 0, out = 0, beyond, flagged;
		bool touched = false;

		for (int i = 0; i < U.n; i++) {
			const struct msample *x = &U.s[i];
			int64_t a = max64(H, x->from), b = min64(H + HOUR, x->to), sh;

			/* The enrollment's usage: the part of the hour its grants meet. */
			if (x->team != t || b <= a || !team_holds(t, a, b))
				continue;
			sh = share_in(x, a, b);
			use += sh;
			fl += x->verdict != V_NONE ? sh : 0;
			ag += x->verdict == V_ABOVE_GRANT ? sh : 0;
		}
		for (int k = 0; k < M.no; k++)
			touched |= M.o[k].standing && M.o[k].pool == 0 &&
			    meets(M.o[k].from, M.o[k].to, H, H + HOUR);
		if (!touched && fl == 0)
			continue;
		for (int k = 0; k < M.ng; k++)
			if (M.g[k].team == t && M.g[k].pool == 0)
				out += U.lost_h[h][k];
		out /= w;
		beyond = max64(0, use - (team_granted(t, H, H + HOUR) - out));
		flagged = beyond > 0 ? use : min64(ag, fl);
		f.used_lost += min64(beyond, out) * w;
		if (H < at) {
			f.beyond += beyond * w;
			f.flagged += flagged * w;
		}
	}
	f.owed = max64(0, lost_total - min64(f.used_lost, lost_total));
	return f;
}

static double
uh(int64_t mus)
{
	return round((double)mus / 3600.0) / 1000.0;
}

/* A number at a path of a reply, NAN when absent. */
static double
num_at(const json_t *j, const char *path)
{
	const json_t *v = fx_at(j, path);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A reply sent as text (quota is written so) read as JSON. */
static struct response
call_json(const char *method, const char *path, int64_t now)
{
	struct response r = call(method, path, NULL, now);

	if (r.json == NULL && r.text != NULL)
		r.json = json_loadb(r.text, r.text_len, 0, NULL);
	return r;
}

/*
 * Every enrolled team's quota (flagged, beyond_service, owed) and report
 * row (flagged_unit_hours, beyond_service_unit_hours, owed_unit_hours) at
 * `at`, against the brute force.  Counts the teams with something beyond.
 */
static int
compare_service(int64_t at)
{
	int64_t lost_total[NTEAMS];
	char path[200], a[CIVIL_INSTANT_LEN];
	struct mfig want[NTEAMS];
	struct response r;
	int beyond = 0;

	for (int h = 0; h < NHOURS; h++) {
		memset(U.lost_h[h], 0, sizeof(U.lost_h[h]));
		brute_losses(0, SFROM + h * HOUR, SFROM + (h + 1) * HOUR, U.lost_h[h]);
	}
	brute_team_losses(lost_total);
	for (int t = 0; t < NTEAMS; t++) {
		if (!M.enrolled[t])
			continue;
		want[t] = brute_figures(t, at, lost_total[t]);
		beyond += want[t].beyond > 0;
		snprintf(path, sizeof(path), "/v1/teams/%s/quota?phase=ph&at=%s", TEAM[t],
		    inst(at, a));
		r = call_json("GET", path, NOW_LATER);
		CHECK(r.status == 200 && num_at(r.json, "unit_hours.flagged") == uh(want[t].flagged) &&
		    num_at(r.json, "unit_hours.beyond_service") == uh(want[t].beyond) &&
		    num_at(r.json, "unit_hours.owed") == uh(want[t].owed),
		    "quota of %s: expected flagged %.3f, beyond_service %.3f, owed %.3f (losses "
		    "%lld mus, lost cards used %lld mus); got %s", TEAM[t], uh(want[t].flagged),
		    uh(want[t].beyond), uh(want[t].owed), (long long)lost_total[t],
		    (long long)want[t].used_lost, rtext(&r));
		response_clear(&r);
	}
	snprintf(path, sizeof(path), "/v1/phases/ph/fairness?at=%s", inst(at, a));
	r = call_json("GET", path, NOW_LATER);
	CHECK(r.status == 200, "the report: %s", rtext(&r));
	for (int t = 0; t < NTEAMS; t++) {
		const json_t *row = NULL, *v;
		size_t i;

		if (!M.enrolled[t])
			continue;
		json_array_foreach(json_object_get(r.json, "teams"), i, v)
			if (strcmp(fx_str(v, "team"), TEAM[t]) == 0)
				row = v;
		CHECK(row != NULL && num_at(row, "flagged_unit_hours") == uh(want[t].flagged) &&
		    num_at(row, "beyond_service_unit_hours") == uh(want[t].beyond) &&
		    num_at(row, "owed_unit_hours") == uh(want[t].owed),
		    "the report's row of %s: expected flagged_unit_hours %.3f, "
		    "beyond_service_unit_hours %.3f, owed_unit_hours %.3f; got %s", TEAM[t],
		    uh(want[t].flagged), uh(want[t].beyond), uh(want[t].owed),
		    row ? jtext(row) : rtext(&r));
	}
	response_clear(&r);
	return beyond;
}

START_TEST(batches_against_service)
{
	long batches = 0, stored_ov = 0, overlaps = 0, outage_ops = 0, dummy = 0, beyond = 0;
	long v[5] = { 0 };

	SEED = brute_seed();
	template_open();
	for (int trial = 0; trial < BATCH_TRIALS; trial++) {
		char tok[NAGENTS + 1][TOKEN_SECRET_LEN + 1];
		uint64_t rs;

		trial_open(&rs, trial);
		memset(&U, 0, sizeof(U));
		/* Agents are bounded in what they may flag; not what is tested here. */
		F.app.cfg.usage.flagged_per_hour = 1000000;
		F.app.cfg.usage.flagged_max = 1000000;
		add_pool(&rs, 4, 16);
		add_pool(&rs, 2, 6);
		add_grants(&rs, (int)brute_range(&rs, 2, NTEAMS), 4, 16);
		snprintf(tok[0], sizeof(tok[0]), "%s", F.admin);
		for (int i = 1; i <= NAGENTS; i++) {
			char name[32];

			snprintf(name, sizeof(name), "agent-q0-%d", i);
			fx_token(&F, name, ROLE_AGENT, NULL, "q0", tok[i], NULL);
		}
		for (int i = (int)brute_range(&rs, 1, 4); i > 0; i--) {
			int64_t from, to, cards;

			random_outage(&rs, 0, &from, &to, &cards);
			if (cards <= M.p[0].cards)
				cards = brute_range(&rs, 1, M.p[0].cards);
			create_outage(0, from, to, cards, &dummy);
		}
		for (STEP = 1; STEP <= BATCH_STEPS; STEP++) {
			int64_t op = brute_range(&rs, 0, 99), at;
			int k;

			if (op < 60) {
				overlaps += post_batch(&rs, tok, NAGENTS + 1, &stored_ov, v);
				batches++;
			} else if (op < 75 || M.no == 0) {
				int64_t from, to, cards;

				random_outage(&rs, 0, &from, &to, &cards);
				if (cards <= M.p[0].cards)
					cards = brute_range(&rs, 1, M.p[0].cards);
				create_outage(0, from, to, cards, &dummy);
				outage_ops++;
			} else if ((k = pick_outage(&rs, true)) >= 0) {
				if (op < 90)
					patch_outage(&rs, k, &dummy, &dummy);
				else
					cancel_outage(&rs, k, &dummy, &dummy);
				outage_ops++;
			}
			/* Mostly all of it; now and then up to an hour or a minute inside. */
			switch (brute_range(&rs, 0, 3)) {
			case 0: at = SFROM + brute_range(&rs, 0, NHOURS) * HOUR; break;
			case 1: at = SFROM + brute_range(&rs, 0, (STO - SFROM) / MINUTE) * MINUTE; break;
			default: at = NOW_LATER; break;
			}
			beyond += compare_service(at);
		}
		fx_close(&F);
	}
	fx_template_drop(&TPL);
	fprintf(stderr, "batches_against_service: seed %llu: %ld batches, samples: none %ld, "
	    "no_grant %ld, above_grant %ld, above_cards_in_service %ld, overlapping %ld; %ld "
	    "overlaps (%ld with stored); %ld outage steps; %ld team-steps beyond service\n",
	    (unsigned long long)SEED, batches, v[0], v[1], v[2], v[3], v[4], overlaps, stored_ov,
	    outage_ops, beyond);
	ck_assert_msg(batches > 80 && v[0] > 20 && v[1] > 20 && v[2] > 20 && v[3] > 10 &&
	    v[4] > 50 && overlaps - stored_ov > 20 && stored_ov > 15 && outage_ops > 40 &&
	    beyond > 100, "seed %llu: too little was exercised: %ld batches, none %ld, no_grant "
	    "%ld, above_grant %ld, above_cards_in_service %ld, overlapping %ld, %ld overlaps "
	    "(%ld with stored), %ld outage steps, %ld team-steps beyond service",
	    (unsigned long long)SEED, batches, v[0], v[1], v[2], v[3], v[4], overlaps, stored_ov,
	    outage_ops, beyond);
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
	tcase_add_test(tc, batches_against_service);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
