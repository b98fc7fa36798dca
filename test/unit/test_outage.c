/* test_outage.c: loss sharing and make-up grants against tables and a brute force. */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brute.h"
#include "civil.h"
#include "err.h"
#include "outage.h"
#include "timeline.h"

#define H(x) (BRUTE_T0 + (int64_t)(x) * 3600)
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define B200 768000		/* the package: 768 B200 */

static const struct {
	const char *what;
	int64_t base, weight;
	struct timeline_outage out[2];
	size_t nout;
	struct timeline_grant gr[3];
	size_t ngr;
	int64_t from, to;
	struct outage_loss loss[3];
	size_t nloss;
} losses[] = {
	{ "two grants share by cards", 10, 1000, { { H(1), H(2), 5 } }, 1,
	    { { 1, H(0), H(4), 6 }, { 2, H(0), H(4), 3 } }, 2, H(0), H(4),
	    { { 1, 9600000 }, { 2, 4800000 } }, 2 },
	{ "the range clips the loss", 10, 1000, { { H(1), H(2), 5 } }, 1,
	    { { 1, H(0), H(4), 6 }, { 2, H(0), H(4), 3 } }, 2, H(1) + 1800, H(4),
	    { { 1, 4800000 }, { 2, 2400000 } }, 2 },
	{ "three-way tie goes to the smaller ids", 3, 1, { { H(0), H(0) + 1, 2 } }, 1,
	    { { 7, H(0), H(1), 1 }, { 5, H(0), H(1), 1 }, { 6, H(0), H(1), 1 } }, 3, H(0), H(1),
	    { { 5, 1 }, { 6, 1 } }, 2 },
	{ "largest remainder wins", 3, 1, { { H(0), H(0) + 1, 1 } }, 1,
	    { { 1, H(0), H(1), 1 }, { 2, H(0), H(1), 2 } }, 2, H(0), H(1),
	    { { 2, 1 } }, 1 },
	{ "capacity left: no loss", 10, 1000, { { H(0), H(1), 5 } }, 1,
	    { { 1, H(0), H(1), 5 } }, 1, H(0), H(1), {{0}}, 0 },
	{ "grants change inside one segment", 4, 500, { { H(0), H(2), 2 } }, 1,
	    { { 1, H(0), H(1), 3 }, { 2, H(1), H(2), 3 } }, 2, H(0), H(2),
	    { { 1, 1800000 }, { 2, 1800000 } }, 2 },
	{ "outages beyond base take everything", 4, 1000,
	    { { H(0), H(1), 3 }, { H(0), H(1), 3 } }, 2, { { 1, H(0), H(1), 4 } }, 1, H(0), H(1),
	    { { 1, 14400000 } }, 1 },
	{ "no grants", 4, 1000, { { H(0), H(1), 3 } }, 1, {{0}}, 0, H(0), H(1), {{0}}, 0 },
};

START_TEST(share_loss)
{
	struct timeline *tl;
	struct outage_loss *l = NULL;
	size_t n = 0;

	ck_assert_int_eq(timeline_build(losses[_i].base, losses[_i].out, losses[_i].nout,
	    losses[_i].gr, losses[_i].ngr, &tl), 0);
	ck_assert_int_eq(outage_share_loss(tl, losses[_i].weight, losses[_i].from, losses[_i].to,
	    &l, &n), 0);
	ck_assert_msg(n == losses[_i].nloss, "%s: %zu losses", losses[_i].what, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(l[k].grant_id == losses[_i].loss[k].grant_id &&
		    l[k].lost == losses[_i].loss[k].lost, "%s: grant %lld lost %lld",
		    losses[_i].what, (long long)l[k].grant_id, (long long)l[k].lost);
	free(l);
	timeline_free(tl);
}
END_TEST

START_TEST(share_loss_errors)
{
	struct timeline *tl;
	struct timeline_outage o = { H(0), H(1), 1 };
	struct timeline_grant g = { 1, civil_min_instant(), civil_max_instant(), 1000000 };
	struct outage_loss *l = NULL;
	size_t n = 0;

	ck_assert_int_eq(timeline_build(1000000, &o, 1, &g, 1, &tl), 0);
	ck_assert_int_eq(outage_share_loss(tl, 0, H(0), H(1), &l, &n), GD_EINVAL);
	ck_assert_int_eq(outage_share_loss(tl, 1000, H(1), H(1), &l, &n), GD_EINVAL);
	/* 1 card x 10^6 milli x 1 h fits; the same for a year of 10^6 cards would not. */
	ck_assert_int_eq(outage_share_loss(tl, 1000000, H(0), H(1), &l, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(l[0].lost, INT64_C(1000000) * 3600);
	free(l);
	timeline_free(tl);
	o.cards = 1000000;
	o.to = H(24 * 365 * 3000);
	ck_assert_int_eq(timeline_build(1000000, &o, 1, &g, 1, &tl), 0);
	ck_assert_int_eq(outage_share_loss(tl, 1000000, H(0), o.to, &l, &n), GD_ERANGE);
	timeline_free(tl);
}
END_TEST

/*
 * What one more outage newly takes (outage_added_loss), on the timeline as
 * it was before it.  The audit's case first: on a 4-card pool with 1 card
 * granted, outages of 3 and then 1 card; a further one takes nothing more.
 */
static const struct {
	const char *what;
	int64_t base, weight;
	struct timeline_outage out[2];
	size_t nout;
	struct timeline_grant gr[2];
	size_t ngr;
	struct timeline_outage add;
	struct outage_loss loss[2];
	size_t nloss;
} added[] = {
	{ "the first outage leaves the granted card in service", 4, 1000, {{0}}, 0,
	    { { 1, H(0), H(20), 1 } }, 1, { H(0), H(10), 3 }, {{0}}, 0 },
	{ "the second takes it", 4, 1000, { { H(0), H(10), 3 } }, 1,
	    { { 1, H(0), H(20), 1 } }, 1, { H(0), H(10), 1 }, { { 1, 36000000 } }, 1 },
	{ "a third takes nothing already taken", 4, 1000,
	    { { H(0), H(10), 3 }, { H(0), H(10), 1 } }, 2,
	    { { 1, H(0), H(20), 1 } }, 1, { H(0), H(10), 1 }, {{0}}, 0 },
	{ "overlapping half: only the new half counts", 4, 1000, { { H(0), H(10), 3 } }, 1,
	    { { 1, H(0), H(20), 1 }, { 2, H(0), H(20), 1 } }, 2, { H(5), H(15), 1 },
	    { { 1, 9000000 }, { 2, 9000000 } }, 2 },
	{ "shared by cards", 10, 500, {{0}}, 0,
	    { { 1, H(0), H(4), 6 }, { 2, H(0), H(4), 3 } }, 2, { H(1), H(2), 5 },
	    { { 1, 4800000 }, { 2, 2400000 } }, 2 },
};

START_TEST(added_loss)
{
	struct timeline *tl;
	struct outage_loss *l = NULL;
	size_t n = 0;

	ck_assert_int_eq(timeline_build(added[_i].base, added[_i].out, added[_i].nout,
	    added[_i].gr, added[_i].ngr, &tl), 0);
	ck_assert_int_eq(outage_added_loss(tl, added[_i].weight, &added[_i].add, &l, &n), 0);
	ck_assert_msg(n == added[_i].nloss, "%s: %zu losses", added[_i].what, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_msg(l[k].grant_id == added[_i].loss[k].grant_id &&
		    l[k].lost == added[_i].loss[k].lost, "%s: grant %lld lost %lld",
		    added[_i].what, (long long)l[k].grant_id, (long long)l[k].lost);
	free(l);
	timeline_free(tl);
}
END_TEST

START_TEST(added_loss_errors)
{
	struct timeline *tl;
	struct timeline_grant g = { 1, H(0), H(1), 1 };
	struct timeline_outage o = { H(0), H(1), 0 };
	struct outage_loss *l = NULL;
	size_t n = 0;

	ck_assert_int_eq(timeline_build(4, NULL, 0, &g, 1, &tl), 0);
	ck_assert_int_eq(outage_added_loss(tl, 1000, &o, &l, &n), GD_EINVAL);
	o.cards = 1;
	ck_assert_int_eq(outage_added_loss(tl, 0, &o, &l, &n), GD_EINVAL);
	o.to = o.from;
	ck_assert_int_eq(outage_added_loss(tl, 1000, &o, &l, &n), GD_EINVAL);
	timeline_free(tl);
}
END_TEST

/* Room for one more outage beside recorded ones, on a pool of 4 cards. */
static const struct {
	const char *what;
	struct timeline_outage out[3];
	size_t nout;
	struct timeline_outage add;
	int rc;
	int64_t at, outc;	/* hour and cards out, when GD_ECAPACITY */
} rooms[] = {
	{ "an empty pool takes all of it", {{0}}, 0, { H(0), H(10), 4 }, 0, 0, 0 },
	{ "more than the pool at its start", {{0}}, 0, { H(0), H(10), 5 }, GD_ECAPACITY, 0, 0 },
	{ "3 + 1 fits", { { H(0), H(10), 3 } }, 1, { H(0), H(10), 1 }, 0, 0, 0 },
	{ "3 + 1 + 1 does not", { { H(0), H(10), 3 }, { H(0), H(10), 1 } }, 2,
	    { H(0), H(10), 1 }, GD_ECAPACITY, 0, 4 },
	{ "the first instant over, not the start", { { H(5), H(6), 3 }, { H(2), H(8), 1 } }, 2,
	    { H(0), H(10), 1 }, GD_ECAPACITY, 5, 4 },
	{ "recorded outages clipped at the start", { { H(-5), H(3), 4 } }, 1,
	    { H(0), H(10), 1 }, GD_ECAPACITY, 0, 4 },
	{ "half-open: touching intervals never overlap", { { H(0), H(5), 4 },
	    { H(10), H(12), 4 } }, 2, { H(5), H(10), 4 }, 0, 0, 0 },
	{ "an end and a start at one instant", { { H(0), H(5), 2 }, { H(5), H(9), 2 } }, 2,
	    { H(0), H(10), 2 }, 0, 0, 0 },
	{ "overflowing data already recorded", { { H(0), H(10), 3 }, { H(0), H(10), 3 } }, 2,
	    { H(9), H(20), 1 }, GD_ECAPACITY, 9, 6 },
};

START_TEST(check_room)
{
	struct outage_overflow ov = { -1, -1 };
	int rc = outage_check_room(4, rooms[_i].out, rooms[_i].nout, &rooms[_i].add, &ov);

	ck_assert_msg(rc == rooms[_i].rc, "%s: rc %d", rooms[_i].what, rc);
	if (rc == GD_ECAPACITY)
		ck_assert_msg(ov.at == H(rooms[_i].at) && ov.out == rooms[_i].outc,
		    "%s: at %+lld h, %lld out", rooms[_i].what,
		    (long long)(ov.at - BRUTE_T0) / 3600, (long long)ov.out);
	else
		ck_assert_int_eq(ov.at, -1);
	ck_assert_int_eq(outage_check_room(4, rooms[_i].out, rooms[_i].nout, &rooms[_i].add,
	    NULL), rooms[_i].rc);
}
END_TEST

START_TEST(check_room_errors)
{
	struct timeline_outage o = { H(0), H(1), 0 };

	ck_assert_int_eq(outage_check_room(4, NULL, 0, &o, NULL), GD_EINVAL);
	o.cards = 1;
	ck_assert_int_eq(outage_check_room(-1, NULL, 0, &o, NULL), GD_EINVAL);
	o.to = o.from;
	ck_assert_int_eq(outage_check_room(4, NULL, 0, &o, NULL), GD_EINVAL);
}
END_TEST

/* Pools for the compensation tables. */
struct cpool {
	const char *id;
	int64_t weight, base;
	struct timeline_grant busy;	/* cards 0: none */
};

/* Milli-unit-seconds in a unit-hour: one B200 card-hour, two H100 card-hours. */
#define UH INT64_C(3600000)
#define H100 384000		/* the package: 768 H100 */

/*
 * The sizing and placement of make-ups (outage.h): k card-hours cover the
 * debt, hours = ceil(k / most), cards = floor(k / hours), and the extra card
 * takes the first k - cards x hours hours.  Each case works the numbers out
 * in its comment.
 */
static const struct {
	const char *what;
	struct cpool pool[3];
	size_t npools;
	struct outage_debt debt[2];	/* not_before as an hour offset */
	size_t ndebts;
	int rc;
	/* hours; extra_to == from: no extra card */
	struct { const char *pool; int64_t cards, from, to, extra_to; } m[2];
} comps[] = {
	/* 10 cards lost for 30 min: k = 5, one hour of 5 cards (was 768 for an hour). */
	{ "the audit's case: 5 unit-hours are 5 cards for an hour",
	    { { "b200", 1000, 1000, {0} } }, 1,
	    { { 10 * 1000 * 1800, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 5, 10, 11, 10 } } },
	/* k = 6144, most 768: 8 hours of 768 exactly. */
	{ "the demo's 6144 unit-hours: 768 cards for 8 hours",
	    { { "b200", 1000, 1000, {0} } }, 1,
	    { { 6144 * UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 768, 10, 18, 10 } } },
	{ "one unit-hour: one card for an hour", { { "b200", 1000, 1000, {0} } }, 1,
	    { { UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 1, 10, 11, 10 } } },
	/* One milli-unit-second owed still takes a whole card-hour: the grain. */
	{ "the least debt is one grain", { { "b200", 1000, 1000, {0} } }, 1,
	    { { 1, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 1, 10, 11, 10 } } },
	/* 5 unit-hours and a bit: k = 6. */
	{ "a part of a card-hour rounds up to one", { { "b200", 1000, 1000, {0} } }, 1,
	    { { 5 * UH + 1, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 6, 10, 11, 10 } } },
	{ "package rate on a free pool", { { "b200", 1000, 1000, {0} } }, 1,
	    { { INT64_C(768000) * 7200, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 768, 10, 12, 10 } } },
	/* 768 x 3601 s = 768.21 uh: k = 769, 2 hours, 384 cards + 1 for the first. */
	{ "owed not divisible: one card more for the first hour",
	    { { "b200", 1000, 1000, {0} } }, 1,
	    { { INT64_C(768000) * 3601, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 384, 10, 12, 11 } } },
	/* k = 1000: 2 hours at most 768 an hour, so 500 cards for 2 hours. */
	{ "more than an hour of the package: balanced over the hours",
	    { { "b200", 1000, 1000, {0} } }, 1,
	    { { 1000 * UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 500, 10, 12, 10 } } },
	/* k = 2303: 3 hours, 767 cards, 2303 - 2301 = 2 extra hours of one card. */
	{ "the extra card for two of three hours", { { "b200", 1000, 1000, {0} } }, 1,
	    { { 2303 * UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 767, 10, 13, 12 } } },
	/* H100 card-hours are half a unit-hour: 2.5 uh is k = 5 exactly. */
	{ "H100: 2.5 unit-hours are 5 cards for an hour", { { "h100", 500, 1000, {0} } }, 1,
	    { { 5 * UH / 2, 10, H100, 500, 100, 200 } }, 1, 0,
	    { { "h100", 5, 10, 11, 10 } } },
	/* 3840 uh = 7680 H100 card-hours, most 768: 10 hours. */
	{ "H100: the package rate in H100 cards", { { "h100", 500, 1000, {0} } }, 1,
	    { { 3840 * UH, 10, H100, 500, 100, 200 } }, 1, 0,
	    { { "h100", 768, 10, 20, 10 } } },
	/* An H100 package on B200: most = 384000 / 1000 = 384, k = 3840, 10 hours. */
	{ "H100 package on a B200 pool: half the cards", { { "b200", 1000, 1000, {0} } }, 1,
	    { { 3840 * UH, 10, H100, 500, 100, 200 } }, 1, 0,
	    { { "b200", 384, 10, 20, 10 } } },
	/* 2.5 uh: 3 B200 card-hours (surplus 0.5 uh) or 5 H100 (surplus 0). */
	{ "same start and end: the smaller surplus beats the smaller id",
	    { { "a", 1000, 1000, {0} }, { "b", 500, 1000, {0} } }, 2,
	    { { 5 * UH / 2, 10, H100, 500, 100, 200 } }, 1, 0,
	    { { "b", 5, 10, 11, 10 } } },
	/* A heavier card than the package's: 1.5 units, most 512, k = 1 (surplus 0.5). */
	{ "a heavier pool: one card-hour of it", { { "big", 1500, 1000, {0} } }, 1,
	    { { UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "big", 1, 10, 11, 10 } } },
	{ "small pool: fewer cards, longer", { { "b200", 1000, 512, {0} } }, 1,
	    { { INT64_C(768000) * 7200, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 512, 10, 13, 10 } } },
	/* base 5 < 768: k = 12, most 5, 3 hours of 4 cards. */
	{ "pool too small for the ideal shape", { { "tiny", 1000, 5, {0} } }, 1,
	    { { 12 * UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "tiny", 4, 10, 13, 10 } } },
	/* k = 13, most 5: 3 hours of 4 cards and the 5th for the first hour. */
	{ "pool too small, with an extra card", { { "tiny", 1000, 5, {0} } }, 1,
	    { { 13 * UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "tiny", 4, 10, 13, 11 } } },
	/* k = 769 asks 385 then 384; only 384 are free until hour 11. */
	{ "the extra card needs room too", { { "b200", 1000, 1000, { 1, H(0), H(11), 616 } } },
	    1, { { 769 * UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 384, 11, 13, 12 } } },
	/* The same, the 616 cards busy from hour 11 on: 385 fit at 10, 384 at 11. */
	{ "the extra card goes first, where there is room",
	    { { "b200", 1000, 1000, { 1, H(11), H(20), 616 } } }, 1,
	    { { 769 * UH, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b200", 384, 10, 12, 11 } } },
	{ "too light a pool is not used", { { "a", 1000, 1000, { 1, H(0), H(15), 900 } },
	    { "h100", 500, 4000, {0} } }, 2,
	    { { INT64_C(768000) * 3600, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "a", 768, 15, 16, 15 } } },
	{ "earliest start beats pool order", { { "a", 1000, 1000, { 1, H(0), H(15), 900 } },
	    { "b", 1000, 1000, {0} } }, 2,
	    { { INT64_C(768000) * 3600, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b", 768, 10, 11, 10 } } },
	/* On a (weight 2, base 300): k = 384, most 300, 2 hours of 192. */
	{ "same start: earliest end", { { "a", 2000, 300, {0} }, { "b", 1000, 1000, {0} } }, 2,
	    { { INT64_C(768000) * 3600, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "b", 768, 10, 11, 10 } } },
	{ "same start and end: smaller id", { { "z", 1000, 1000, {0} },
	    { "y", 1000, 1000, {0} } }, 2,
	    { { INT64_C(768000) * 3600, 10, B200, 1000, 100, 200 } }, 1, 0,
	    { { "y", 768, 10, 11, 10 } } },
	{ "a later debt sees an earlier make-up", { { "a", 1000, 1000, {0} } }, 1,
	    { { INT64_C(768000) * 3600, 10, B200, 1000, 100, 200 },
	      { INT64_C(768000) * 3600, 10, B200, 1000, 101, 201 } }, 2, 0,
	    { { "a", 768, 10, 11, 10 }, { "a", 768, 11, 12, 11 } } },
	/* The first make-up's extra card (232 + 1 > 232 free) pushes the second. */
	{ "a later debt sees an earlier extra card", { { "a", 1000, 1000, {0} } }, 1,
	    { { 769 * UH, 10, B200, 1000, 100, 200 },
	      { 616 * UH, 10, B200, 1000, 101, 201 } }, 2, 0,
	    { { "a", 384, 10, 12, 11 }, { "a", 616, 11, 12, 11 } } },
	{ "no pool of enough weight", { { "h100", 500, 1000, {0} } }, 1,
	    { { 1, 10, B200, 1000, 100, 200 } }, 1, GD_ENOCAPACITY, {{0}} },
	{ "nothing owed", { { "a", 1000, 1000, {0} } }, 1,
	    { { 0, 10, B200, 1000, 100, 200 } }, 1, GD_EINVAL, {{0}} },
	{ "grant id taken", { { "a", 1000, 1000, { 100, H(0), H(1), 1 } } }, 1,
	    { { 1, 10, B200, 1000, 100, 200 } }, 1, GD_EEXIST, {{0}} },
	{ "extra id taken", { { "a", 1000, 1000, { 200, H(0), H(1), 1 } } }, 1,
	    { { 1, 10, B200, 1000, 100, 200 } }, 1, GD_EEXIST, {{0}} },
	{ "extra id taken by an earlier debt", { { "a", 1000, 1000, {0} } }, 1,
	    { { 1, 10, B200, 1000, 100, 200 }, { 1, 10, B200, 1000, 200, 300 } }, 2,
	    GD_EEXIST, {{0}} },
	{ "one id for both grants", { { "a", 1000, 1000, {0} } }, 1,
	    { { 1, 10, B200, 1000, 100, 100 } }, 1, GD_EEXIST, {{0}} },
	/* One card of weight 0.001 for INT64_MAX / 3600 hours: the length overflows. */
	{ "a make-up too long to count", { { "a", 1, 1, {0} } }, 1,
	    { { INT64_MAX, 10, B200, 0, 100, 200 } }, 1, GD_ERANGE, {{0}} },
	/* One card for 9000 years. */
	{ "a make-up past the civil range", { { "a", 1000, 1, {0} } }, 1,
	    { { UH * 24 * 365 * 9000, 10, B200, 1000, 100, 200 } }, 1, GD_ERANGE, {{0}} },
};

/* Whether the timeline holds exactly this grant. */
static bool
has_grant(const struct timeline *tl, const struct timeline_grant *want)
{
	size_t n;
	const struct timeline_grant *g = timeline_grants(tl, &n);

	for (size_t k = 0; k < n; k++)
		if (g[k].id == want->id)
			return g[k].from == want->from && g[k].to == want->to &&
			    g[k].cards == want->cards;
	return false;
}

START_TEST(compensate)
{
	struct placement_pool pools[3];
	struct outage_debt debts[2];
	struct outage_makeup m[2];
	size_t np = comps[_i].npools;
	int rc;

	for (size_t p = 0; p < np; p++) {
		const struct cpool *c = &comps[_i].pool[p];

		pools[p] = (struct placement_pool){ c->id, c->weight, NULL, NULL };
		ck_assert_int_eq(timeline_build(c->base, NULL, 0, &c->busy, c->busy.cards > 0,
		    &pools[p].tl), 0);
	}
	for (size_t i = 0; i < comps[_i].ndebts; i++) {
		debts[i] = comps[_i].debt[i];
		debts[i].not_before = H(debts[i].not_before);
	}
	rc = outage_compensate(pools, np, debts, comps[_i].ndebts, m);
	ck_assert_msg(rc == comps[_i].rc, "%s: rc %d", comps[_i].what, rc);
	for (size_t i = 0; rc == 0 && i < comps[_i].ndebts; i++) {
		ck_assert_msg(strcmp(pools[m[i].pool].id, comps[_i].m[i].pool) == 0 &&
		    m[i].cards == comps[_i].m[i].cards && m[i].from == H(comps[_i].m[i].from) &&
		    m[i].to == H(comps[_i].m[i].to) &&
		    m[i].extra_to == H(comps[_i].m[i].extra_to),
		    "%s: make-up %zu is %s %lld [%+lld h, %+lld h) extra to %+lld h",
		    comps[_i].what, i, pools[m[i].pool].id, (long long)m[i].cards,
		    (long long)(m[i].from - BRUTE_T0) / 3600,
		    (long long)(m[i].to - BRUTE_T0) / 3600,
		    (long long)(m[i].extra_to - BRUTE_T0) / 3600);
		/* Both grants went into the timeline, under the debt's ids. */
		ck_assert(has_grant(pools[m[i].pool].tl, &(struct timeline_grant){
		    debts[i].grant_id, m[i].from, m[i].to, m[i].cards }));
		ck_assert(has_grant(pools[m[i].pool].tl, &(struct timeline_grant){
		    debts[i].extra_id, m[i].from, m[i].extra_to, 1 }) ==
		    (m[i].extra_to > m[i].from));
	}
	for (size_t p = 0; p < np; p++)
		timeline_free(pools[p].tl);
}
END_TEST

#define RPOOLS 3

/* Random pools with grants that may exceed capacity once outages are counted. */
static void
random_pools(uint64_t *rs, int np, struct brute_pool *bp, struct placement_pool *pools,
    int64_t *next_id)
{
	static const char *names[RPOOLS] = { "c", "a", "b" };
	static const int64_t weights[] = { 500, 1000, 1500 };

	for (int p = 0; p < np; p++) {
		struct timeline_grant g[8];
		struct timeline_outage o[3];
		int ng = (int)brute_range(rs, 0, 8), no = (int)brute_range(rs, 0, 3);

		brute_init(&bp[p], brute_range(rs, 1, 8));
		for (int i = 0; i < ng; i++) {
			int64_t h0 = brute_range(rs, 0, 400), h1 = brute_range(rs, h0 + 1, 420);

			g[i] = (struct timeline_grant){ (*next_id)++, brute_at(h0), brute_at(h1),
			    brute_range(rs, 1, 4) };
			brute_add(bp[p].granted, h0, h1, g[i].cards);
		}
		for (int i = 0; i < no; i++) {
			int64_t h0 = brute_range(rs, 0, 400), h1 = brute_range(rs, h0 + 1, 420);

			o[i] = (struct timeline_outage){ brute_at(h0), brute_at(h1),
			    brute_range(rs, 1, 6) };
			brute_add(bp[p].lost, h0, h1, o[i].cards);
		}
		pools[p] = (struct placement_pool){ names[p], weights[brute_range(rs, 0, 2)],
		    NULL, NULL };
		ck_assert_int_eq(timeline_build(bp[p].base, o, (size_t)no, g, (size_t)ng,
		    &pools[p].tl), 0);
	}
}

START_TEST(loss_against_brute)
{
	uint64_t seed = brute_seed(), rs = seed;
	static struct brute_pool bp[1];
	struct placement_pool pools[1];
	long impaired_trials = 0;

	for (int trial = 0; trial < 500; trial++) {
		int64_t next_id = 1, h0 = brute_range(&rs, -5, 300);
		int64_t h1 = brute_range(&rs, h0 + 1, 430);
		int64_t w = 0, total = 0, sum = 0;
		struct outage_loss *l;
		size_t n, ng;
		const struct timeline_grant *gr;

		random_pools(&rs, 1, bp, pools, &next_id);
		w = pools[0].weight_milli;
		ck_assert_int_eq(outage_share_loss(pools[0].tl, w, H(h0), H(h1), &l, &n), 0);
		for (int64_t h = h0; h < h1; h++) {
			int64_t imp = brute_granted(&bp[0], h) - brute_capacity(&bp[0], h);

			total += imp > 0 ? imp * w * 3600 : 0;
		}
		for (size_t k = 0; k < n; k++) {
			sum += l[k].lost;
			BRUTE_CHECK(k == 0 || l[k].grant_id > l[k - 1].grant_id,
			    "seed %llu trial %d: order", (unsigned long long)seed, trial);
		}
		BRUTE_CHECK(sum == total, "seed %llu trial %d: shares sum to %lld, brute %lld",
		    (unsigned long long)seed, trial, (long long)sum, (long long)total);
		impaired_trials += total > 0;

		/* Each share is within one per stretch (at most one per hour) of exact. */
		gr = timeline_grants(pools[0].tl, &ng);
		for (size_t g = 0; g < ng; g++) {
			long double exact = 0;
			int64_t got = 0, hours = 0;

			for (size_t k = 0; k < n; k++)
				if (l[k].grant_id == gr[g].id)
					got = l[k].lost;
			for (int64_t h = h0; h < h1; h++) {
				int64_t G = brute_granted(&bp[0], h);
				int64_t imp = G - brute_capacity(&bp[0], h);

				if (imp <= 0 || H(h) < gr[g].from || H(h) >= gr[g].to)
					continue;
				exact += (long double)imp * w * 3600 * gr[g].cards / G;
				hours++;
			}
			BRUTE_CHECK(got - exact < hours + 1e-6L && exact - got < hours + 1e-6L,
			    "seed %llu trial %d: grant %lld got %lld, exact %.3Lf",
			    (unsigned long long)seed, trial, (long long)gr[g].id, (long long)got,
			    exact);
		}
		free(l);
		timeline_free(pools[0].tl);
	}
	ck_assert(impaired_trials > 100);
}
END_TEST

/* Cards the brute pool's outages take at an hour; 0 outside the model. */
static int64_t
brute_out(const struct brute_pool *p, int64_t hour)
{
	return hour < 0 || hour >= BRUTE_HOURS ? 0 : p->lost[hour];
}

/* A random pool as random_pools makes one, keeping its outages; *no of at most 4. */
static struct timeline *
random_pool(uint64_t *rs, struct brute_pool *bp, struct timeline_outage o[4], size_t *no)
{
	struct timeline_grant g[8];
	struct timeline *tl;
	int ng = (int)brute_range(rs, 0, 8);

	*no = (size_t)brute_range(rs, 0, 4);
	brute_init(bp, brute_range(rs, 1, 8));
	for (int i = 0; i < ng; i++) {
		int64_t h0 = brute_range(rs, 0, 400), h1 = brute_range(rs, h0 + 1, 420);

		g[i] = (struct timeline_grant){ i + 1, brute_at(h0), brute_at(h1),
		    brute_range(rs, 1, 4) };
		brute_add(bp->granted, h0, h1, g[i].cards);
	}
	for (size_t i = 0; i < *no; i++) {
		int64_t h0 = brute_range(rs, 0, 400), h1 = brute_range(rs, h0 + 1, 420);

		o[i] = (struct timeline_outage){ brute_at(h0), brute_at(h1),
		    brute_range(rs, 1, 6) };
		brute_add(bp->lost, h0, h1, o[i].cards);
	}
	ck_assert_int_eq(timeline_build(bp->base, o, *no, g, (size_t)ng, &tl), 0);
	return tl;
}

static int64_t
loss_sum(const struct timeline *tl, int64_t w, int64_t from, int64_t to)
{
	struct outage_loss *l;
	size_t n;
	int64_t sum = 0;

	ck_assert_int_eq(outage_share_loss(tl, w, from, to, &l, &n), 0);
	for (size_t k = 0; k < n; k++)
		sum += l[k].lost;
	free(l);
	return sum;
}

/*
 * outage_added_loss against the per-hour model: the shares sum to the
 * growth of impaired cards the new outage causes, which is also the growth
 * of outage_share_loss's total between the timelines without and with it;
 * no share is negative, and each is within one per hour of exact.
 */
START_TEST(added_loss_against_brute)
{
	static const int64_t weights[] = { 500, 1000, 1500 };
	uint64_t seed = brute_seed(), rs = seed;
	static struct brute_pool bp;
	long taking = 0;

	for (int trial = 0; trial < 500; trial++) {
		struct timeline_outage o[5];
		struct timeline *before, *after;
		const struct timeline_grant *gr;
		struct outage_loss *l;
		size_t no, n, ng;
		int64_t h0, h1, w = weights[brute_range(&rs, 0, 2)], total = 0, sum = 0;

		before = random_pool(&rs, &bp, o, &no);
		h0 = brute_range(&rs, -5, 400);
		h1 = brute_range(&rs, h0 + 1, 430);
		o[no] = (struct timeline_outage){ H(h0), H(h1), brute_range(&rs, 1, 6) };
		ck_assert_int_eq(outage_added_loss(before, w, &o[no], &l, &n), 0);
		for (int64_t h = h0; h < h1; h++) {
			int64_t g = brute_granted(&bp, h), cb = brute_capacity(&bp, h);
			int64_t ca = cb > o[no].cards ? cb - o[no].cards : 0;

			total += ((g > ca ? g - ca : 0) - (g > cb ? g - cb : 0)) * w * 3600;
		}
		for (size_t k = 0; k < n; k++) {
			sum += l[k].lost;
			BRUTE_CHECK(l[k].lost > 0 && (k == 0 || l[k].grant_id > l[k - 1].grant_id),
			    "seed %llu trial %d: share %zu", (unsigned long long)seed, trial, k);
		}
		BRUTE_CHECK(sum == total, "seed %llu trial %d: shares sum to %lld, brute %lld",
		    (unsigned long long)seed, trial, (long long)sum, (long long)total);
		ck_assert_int_eq(timeline_build(bp.base, o, no + 1, NULL, 0, &after), 0);
		gr = timeline_grants(before, &ng);
		for (size_t g = 0; g < ng; g++)
			ck_assert_int_eq(timeline_add_grant(after, &gr[g]), 0);
		BRUTE_CHECK(loss_sum(after, w, H(h0), H(h1)) - loss_sum(before, w, H(h0), H(h1)) ==
		    total, "seed %llu trial %d: totals do not grow by the added loss",
		    (unsigned long long)seed, trial);
		taking += total > 0;

		for (size_t g = 0; g < ng; g++) {
			long double exact = 0;
			int64_t got = 0, hours = 0;

			for (size_t k = 0; k < n; k++)
				if (l[k].grant_id == gr[g].id)
					got = l[k].lost;
			for (int64_t h = h0; h < h1; h++) {
				int64_t G = brute_granted(&bp, h), cb = brute_capacity(&bp, h);
				int64_t ca = cb > o[no].cards ? cb - o[no].cards : 0;
				int64_t inc = (G > ca ? G - ca : 0) - (G > cb ? G - cb : 0);

				if (inc <= 0 || H(h) < gr[g].from || H(h) >= gr[g].to)
					continue;
				exact += (long double)inc * w * 3600 * gr[g].cards / G;
				hours++;
			}
			BRUTE_CHECK(got - exact < hours + 1e-6L && exact - got < hours + 1e-6L,
			    "seed %llu trial %d: grant %lld got %lld, exact %.3Lf",
			    (unsigned long long)seed, trial, (long long)gr[g].id, (long long)got,
			    exact);
		}
		free(l);
		timeline_free(before);
		timeline_free(after);
	}
	ck_assert(taking > 100);
}
END_TEST

/* outage_check_room against the per-hour model: the first hour over, and what is out there. */
START_TEST(check_room_against_brute)
{
	uint64_t seed = brute_seed(), rs = seed;
	static struct brute_pool bp;
	long refused = 0;

	for (int trial = 0; trial < 2000; trial++) {
		struct timeline_outage o[4], add;
		struct outage_overflow ov = { 0, 0 };
		size_t no;
		int64_t h0, h1, want = INT64_MIN;
		int rc;

		timeline_free(random_pool(&rs, &bp, o, &no));
		h0 = brute_range(&rs, -5, 400);
		h1 = brute_range(&rs, h0 + 1, 430);
		add = (struct timeline_outage){ H(h0), H(h1), brute_range(&rs, 1, 8) };
		for (int64_t h = h0; h < h1 && want == INT64_MIN; h++)
			if (brute_out(&bp, h) + add.cards > bp.base)
				want = h;
		rc = outage_check_room(bp.base, o, no, &add, &ov);
		BRUTE_CHECK(rc == (want == INT64_MIN ? 0 : GD_ECAPACITY),
		    "seed %llu trial %d: rc %d", (unsigned long long)seed, trial, rc);
		if (rc == 0)
			continue;
		BRUTE_CHECK(ov.at == H(want) && ov.out == brute_out(&bp, want),
		    "seed %llu trial %d: at %+lld h with %lld out, brute %+lld h with %lld",
		    (unsigned long long)seed, trial, (long long)(ov.at - BRUTE_T0) / 3600,
		    (long long)ov.out, (long long)want, (long long)brute_out(&bp, want));
		refused++;
	}
	ck_assert(refused > 200 && refused < 1800);
}
END_TEST

/* What a make-up delivers, in milli-unit-seconds: cards x weight x length, extra card too. */
static int64_t
delivered(const struct outage_makeup *m, int64_t w)
{
	return (m->cards * (m->to - m->from) + (m->extra_to - m->from)) * w;
}

START_TEST(compensate_against_brute)
{
	static const int64_t min_weights[] = { 0, 500, 1000 };
	uint64_t seed = brute_seed(), rs = seed;
	static struct brute_pool bp[RPOOLS];
	long placed = 0, extras = 0;

	for (int trial = 0; trial < 300; trial++) {
		struct placement_pool pools[RPOOLS];
		struct outage_debt debts[3];
		struct outage_makeup m[3];
		int np = (int)brute_range(&rs, 1, RPOOLS), nd = (int)brute_range(&rs, 1, 3), rc;
		int64_t next_id = 1, min_w = min_weights[brute_range(&rs, 0, 2)];
		bool any = false;

		random_pools(&rs, np, bp, pools, &next_id);
		for (int p = 0; p < np; p++)
			any = any || pools[p].weight_milli >= min_w;
		for (int i = 0; i < nd; i++) {
			int64_t units = 500 * brute_range(&rs, 1, 24);

			debts[i] = (struct outage_debt){ brute_range(&rs, 1, units * 3600 * 4),
			    brute_at(brute_range(&rs, 0, 300)), units, min_w, 1000 + i, 2000 + i };
		}
		rc = outage_compensate(pools, (size_t)np, debts, (size_t)nd, m);
		if (!any) {
			BRUTE_CHECK(rc == GD_ENOCAPACITY, "seed %llu trial %d: rc %d",
			    (unsigned long long)seed, trial, rc);
			goto next;
		}
		BRUTE_CHECK(rc == 0, "seed %llu trial %d: rc %d", (unsigned long long)seed, trial,
		    rc);
		for (int i = 0; i < nd; i++) {
			int64_t bs = 0, be = 0, bx = 0, bc = 0, bsur = 0, w;
			int bpool = -1;

			/* The documented rule, on the per-hour model, hour by hour. */
			for (int p = 0; p < np; p++) {
				int64_t k, most, hours, c, e, s, sur;

				w = pools[p].weight_milli;
				if (w < min_w)
					continue;
				k = (debts[i].owed + w * 3600 - 1) / (w * 3600);
				most = (debts[i].units_milli + w - 1) / w;
				most = most < bp[p].base ? most : bp[p].base;
				hours = (k + most - 1) / most;
				c = k / hours;
				e = k - c * hours;
				sur = k * w * 3600 - debts[i].owed;
				for (s = (debts[i].not_before - BRUTE_T0) / 3600;; s++)
					if (brute_free_min(&bp[p], s, s + e) >= c + 1 &&
					    brute_free_min(&bp[p], s + e, s + hours) >= c)
						break;
				if (bpool < 0 || s < bs || (s == bs && s + hours < be) ||
				    (s == bs && s + hours == be && sur < bsur) ||
				    (s == bs && s + hours == be && sur == bsur &&
				    strcmp(pools[p].id, pools[bpool].id) < 0)) {
					bpool = p;
					bs = s;
					be = s + hours;
					bx = s + e;
					bc = c;
					bsur = sur;
				}
			}
			BRUTE_CHECK(m[i].pool == (size_t)bpool && m[i].from == H(bs) &&
			    m[i].to == H(be) && m[i].extra_to == H(bx) && m[i].cards == bc,
			    "seed %llu trial %d debt %d: %s %lld [%lld, %lld) extra to %lld, "
			    "brute %s %lld [%lld, %lld) extra to %lld",
			    (unsigned long long)seed, trial, i, pools[m[i].pool].id,
			    (long long)m[i].cards, (long long)(m[i].from - BRUTE_T0) / 3600,
			    (long long)(m[i].to - BRUTE_T0) / 3600,
			    (long long)(m[i].extra_to - BRUTE_T0) / 3600, pools[bpool].id,
			    (long long)bc, (long long)bs, (long long)be, (long long)bx);
			/* It covers the debt, and overpays by less than one card-hour. */
			w = pools[bpool].weight_milli;
			BRUTE_CHECK(delivered(&m[i], w) >= debts[i].owed &&
			    delivered(&m[i], w) - debts[i].owed < w * 3600 && be <= BRUTE_HOURS,
			    "seed %llu trial %d: delivers %lld for %lld owed",
			    (unsigned long long)seed, trial, (long long)delivered(&m[i], w),
			    (long long)debts[i].owed);
			brute_add(bp[bpool].granted, bs, be, bc);
			brute_add(bp[bpool].granted, bs, bx, 1);
			for (int64_t h = bs; h < be; h++)
				BRUTE_CHECK(brute_slack(&bp[bpool], h) >= 0,
				    "seed %llu trial %d: over capacity", (unsigned long long)seed,
				    trial);
			placed++;
			extras += bx > bs;
		}
next:
		for (int p = 0; p < np; p++)
			timeline_free(pools[p].tl);
	}
	ck_assert(placed > 300 && extras > 30);
}
END_TEST

/*
 * The bound, on large pools and debts up to years of a package: every
 * make-up delivers at least what is owed and less than one card-hour more;
 * it never holds more cards than the package's rate (or the pool) allows,
 * and it is as short as that rate allows.
 */
START_TEST(makeup_bound_random)
{
	static const int64_t weights[] = { 500, 1000, 1500, 2000, 1 };
	uint64_t seed = brute_seed(), rs = seed;
	long extras = 0;

	for (int trial = 0; trial < 20000; trial++) {
		int64_t w = weights[brute_range(&rs, 0, 4)], base = brute_range(&rs, 1, 5000);
		int64_t units = brute_range(&rs, 1, 2000) * 500, owed, grain = w * 3600;
		int64_t most, k, hours, got;
		/* Owed from one milli-unit-second to about 10^15 (years of a big package). */
		int digits = (int)brute_range(&rs, 0, 15);
		struct placement_pool pool = { "p", w, NULL, NULL };
		struct outage_debt d;
		struct outage_makeup m;

		most = (units + w - 1) / w < base ? (units + w - 1) / w : base;
		owed = 1;
		for (int j = 0; j < digits; j++)
			owed *= 10;
		/* At most ten years of make-up, so that it stays within the civil range. */
		if (owed > most * grain * 24 * 3650)
			owed = most * grain * 24 * 3650;
		owed = brute_range(&rs, 1, owed);
		d = (struct outage_debt){ owed, brute_at(0), units, 0, 1, 2 };
		ck_assert_int_eq(timeline_build(base, NULL, 0, NULL, 0, &pool.tl), 0);
		BRUTE_CHECK(outage_compensate(&pool, 1, &d, 1, &m) == 0,
		    "seed %llu trial %d: refused", (unsigned long long)seed, trial);
		k = (owed + grain - 1) / grain;
		hours = (m.to - m.from) / 3600;
		got = delivered(&m, w);
		BRUTE_CHECK(got >= owed && got - owed < grain && m.from == d.not_before &&
		    (m.to - m.from) % 3600 == 0 && (m.extra_to - m.from) % 3600 == 0 &&
		    m.extra_to >= m.from && m.extra_to < m.to && m.cards >= 1 &&
		    m.cards + (m.extra_to > m.from) <= most && (hours - 1) * most < k,
		    "seed %llu trial %d: owed %lld, weight %lld, base %lld, units %lld: "
		    "%lld cards for %lld h, one more to %+lld s, delivers %lld",
		    (unsigned long long)seed, trial, (long long)owed, (long long)w,
		    (long long)base, (long long)units, (long long)m.cards, (long long)hours,
		    (long long)(m.extra_to - m.from), (long long)got);
		extras += m.extra_to > m.from;
		timeline_free(pool.tl);
	}
	ck_assert(extras > 1000);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("outage");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, share_loss, 0, N(losses));
	tcase_add_test(tc, share_loss_errors);
	tcase_add_loop_test(tc, added_loss, 0, N(added));
	tcase_add_test(tc, added_loss_errors);
	tcase_add_loop_test(tc, check_room, 0, N(rooms));
	tcase_add_test(tc, check_room_errors);
	tcase_add_loop_test(tc, compensate, 0, N(comps));
	tcase_add_test(tc, loss_against_brute);
	tcase_add_test(tc, compensate_against_brute);
	tcase_add_test(tc, makeup_bound_random);
	tcase_add_test(tc, added_loss_against_brute);
	tcase_add_test(tc, check_room_against_brute);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
