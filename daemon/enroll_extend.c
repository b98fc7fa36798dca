/* enroll_extend.c: extending a phase: windows, grants at their end, make-ups moved; all or none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "app.h"
#include "calendar.h"
#include "civil.h"
#include "enroll.h"
#include "err.h"
#include "grants.h"
#include "jsonv.h"
#include "store_catalog.h"
#include "store_enrollments.h"
#include "store_grants.h"
#include "team_rules.h"
#include "timeline.h"
#include "units.h"
#include "vec.h"

/*
 * What extending a phase does to one grant.  A grant that reaches the end
 * of its window grows: it newly holds [old end, old end + add).  A make-up
 * after the window (kind compensation, starting at or after the old end)
 * moves later by add, so that it stays after the new end: it holds
 * [start + add, end + add) and lets go of [start, end).  An enrollment
 * whose window already ended (completed) gets the days after it instead:
 * for each grant that reached the end of its window, a new "extension"
 * grant of the same pool and cards over [from, from + add), from the end
 * of all its grants or tomorrow, whichever is later (grant 0: not yet made).
 */
struct ext_piece {
	int64_t grant;
	int64_t enrollment;
	bool added;			/* a new extension grant after an ended window */
	char pool_id[ID_MAX + 1];
	size_t pool;			/* index in the calendar */
	int64_t cards;
	int64_t from, to;		/* the time newly held */
	int64_t old_from, old_to;	/* a moved make-up's place before the move */
	bool moved;
	char team[ID_MAX + 1];
};

/* Where the days of a completed enrollment go: after all its grants, and not before tomorrow. */
static int64_t
after_window(const struct phase_info *pi, const struct enrollment *e, const struct grant *gs,
    size_t ng, int64_t now)
{
	int64_t from = civil_local_midnight(civil_local_day(now, pi->tz_off) + 1, pi->tz_off);

	if (e->end > from)
		from = e->end;
	for (size_t k = 0; k < ng; k++)
		if (gs[k].end > from)
			from = gs[k].end;
	return from;
}

/* The pieces of one enrollment's grants, appended to *v. */
static int
enrollment_pieces(const struct calendar *cal, const struct enrollment *e,
    const struct grant *gs, size_t ng, int64_t add, int64_t after, struct ext_piece **v,
    size_t *n, size_t *cap)
{
	struct ext_piece pc;
	ssize_t p;
	int rc = 0;
	bool done = e->state == ENROLLMENT_COMPLETED;

	for (size_t k = 0; rc == 0 && k < ng; k++) {
		memset(&pc, 0, sizeof(pc));
		pc.moved = !done && gs[k].kind == GRANT_COMPENSATION && gs[k].start >= e->end;
		pc.added = done;
		pc.enrollment = e->id;
		if (gs[k].end != e->end && !pc.moved)
			continue;
		/* A grant's pool is a foreign key: the calendar has every pool. */
		if ((p = calendar_find(cal, gs[k].pool)) < 0)
			return GD_EIO;
		/* A new grant has no id yet: a negative one tells it apart on the timeline. */
		pc.grant = done ? -(int64_t)(*n + 1) : gs[k].id;
		pc.pool = (size_t)p;
		snprintf(pc.pool_id, sizeof(pc.pool_id), "%s", gs[k].pool);
		pc.cards = gs[k].cards;
		pc.old_from = gs[k].start;
		pc.old_to = gs[k].end;
		snprintf(pc.team, sizeof(pc.team), "%s", e->team);
		if (done) {
			pc.from = after;
			if (__builtin_add_overflow(after, add, &pc.to))
				rc = GD_ERANGE;
		} else if (pc.moved) {
			if (__builtin_add_overflow(gs[k].start, add, &pc.from) ||
			    __builtin_add_overflow(gs[k].end, add, &pc.to))
				rc = GD_ERANGE;
		} else {
			pc.from = e->end;
			if (__builtin_add_overflow(e->end, add, &pc.to))
				rc = GD_ERANGE;
		}
		if (rc == 0)
			rc = vec_push(v, n, cap, &pc, sizeof(pc));
	}
	return rc;
}

/*
 * The pieces of extending the enrollments in ids by add seconds, in
 * enrollment (team) order and then grant order.  *out is malloc'd.
 * GD_ERANGE when an instant would overflow.
 */
static int
extend_pieces(struct db *db, const struct phase_info *pi, const struct calendar *cal,
    const int64_t *ids, size_t nids, int64_t add, int64_t now, struct ext_piece **out,
    size_t *nout)
{
	struct ext_piece *v = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < nids; i++) {
		struct enrollment e;
		struct grant *gs = NULL;
		size_t ng = 0;

		if ((rc = store_enrollment_by_id(db, ids[i], &e)) < 0 ||
		    (rc = store_grants_of(db, ids[i], &gs, &ng)) < 0)
			break;
		rc = enrollment_pieces(cal, &e, gs, ng, add, after_window(pi, &e, gs, ng, now), &v,
		    &n, &cap);
		free(gs);
	}
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*nout = n;
	return 0;
}

/*
 * Checks the whole new arrangement, pool by pool: the make-ups that move
 * are first taken off their old place (in this request's calendar only),
 * then every piece on the pool is checked at once, so the extensions and
 * the moved make-ups of all teams compete for the same free cards.  0, or
 * GD_ECAPACITY with the pool in *pool and the first breach in *br.
 */
static int
extend_check(struct calendar *cal, const struct ext_piece *pc, size_t n, size_t *pool,
    struct timeline_breach *br)
{
	struct timeline_grant *tg;
	size_t m;
	int rc = 0;

	if (n == 0)
		return 0;
	if ((tg = calloc(n, sizeof(*tg))) == NULL)
		return GD_ENOMEM;
	for (size_t p = 0; rc == 0 && p < cal->n; p++) {
		m = 0;
		for (size_t k = 0; rc == 0 && k < n; k++) {
			if (pc[k].pool != p)
				continue;
			if (pc[k].moved)
				rc = timeline_remove_grant(cal->pp[p].tl, pc[k].grant);
			tg[m++] = (struct timeline_grant){ pc[k].grant, pc[k].from, pc[k].to,
				pc[k].cards };
		}
		/* Every live grant is on its pool's timeline. */
		if (rc == GD_ENOENT)
			rc = GD_EIO;
		if (rc == 0 && m > 0 && (rc = timeline_check_add(cal->pp[p].tl, tg, m, br)) ==
		    GD_ECAPACITY)
			*pool = p;
	}
	free(tg);
	return rc;
}

/* The detail for a breach at br on pool p, naming the moved make-ups that ask for cards there. */
static void
extend_refusal(const struct phase_info *pi, int64_t days, const struct calendar *cal,
    const struct ext_piece *pc, size_t n, size_t p, const struct timeline_breach *br,
    char *err, size_t errlen)
{
	char when[APP_WHEN_LEN], gid[32], one[128], list[512] = "";
	int64_t win = 0, mk = 0;
	size_t o = 0;
	bool full = false;
	int len;

	app_format_when_in(br->at, pi->tz, pi->tz_off, when);
	for (size_t k = 0; k < n; k++) {
		if (pc[k].pool != p || br->at < pc[k].from || br->at >= pc[k].to)
			continue;
		if (!pc[k].moved) {
			win += pc[k].cards;
			continue;
		}
		mk += pc[k].cards;
		grants_id_format(pc[k].grant, gid);
		len = snprintf(one, sizeof(one), "%s%s of team '%s'", o ? ", " : "", gid,
		    pc[k].team);
		/* Room is kept for the ", ..." that says the list goes on. */
		if (!full && len > 0 && o + (size_t)len + sizeof(", ...") <= sizeof(list)) {
			memcpy(list + o, one, (size_t)len + 1);
			o += (size_t)len;
		} else if (!full) {
			memcpy(list + o, ", ...", sizeof(", ..."));
			full = true;
		}
	}
	if (mk == 0) {
		snprintf(err, errlen, "extending phase %s by %lld days needs %lld cards of pool %s "
		    "at %s, but only %lld are free; nothing was extended", pi->id, (long long)days,
		    (long long)br->asked, cal->pools[p].id, when, (long long)br->free);
		return;
	}
	snprintf(err, errlen, "extending phase %s by %lld days needs %lld cards of pool %s at %s "
	    "(%lld to lengthen windows, %lld for make-up grants moved %lld days later to stay "
	    "after the windows: %s), but only %lld are free; nothing was extended", pi->id,
	    (long long)days, (long long)br->asked, cal->pools[p].id, when, (long long)win,
	    (long long)mk, (long long)days, list, (long long)br->free);
}

/* The moved make-ups, for the reply and the audit entry. */
static json_t *
moved_json(const struct calendar *cal, const struct ext_piece *pc, size_t n)
{
	json_t *arr = json_array();
	char gid[32];

	for (size_t k = 0; arr && k < n; k++) {
		if (!pc[k].moved)
			continue;
		grants_id_format(pc[k].grant, gid);
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:{s:o, s:o}, "
		    "s:{s:o, s:o}}", "grant", gid, "team", pc[k].team, "pool",
		    cal->pools[pc[k].pool].id, "cards", (json_int_t)pc[k].cards, "from", "start",
		    jv_instant(pc[k].old_from), "end", jv_instant(pc[k].old_to), "to", "start",
		    jv_instant(pc[k].from), "end", jv_instant(pc[k].to))) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	return arr;
}

/*
 * Whether a completed enrollment would be given no day of the extension:
 * none of its grants reached the end of its window (released or cancelled
 * before), so no extension grant follows it.  One never given a grant
 * (vouchers only) is not judged on cards, here as in the report.
 */
static int
extend_nothing_given(struct db *db, const struct enrollment *e, const struct ext_piece *pc,
    size_t npc, bool *nothing)
{
	int64_t ever;
	int rc;

	*nothing = false;
	if (e->state != ENROLLMENT_COMPLETED)
		return 0;
	for (size_t k = 0; k < npc; k++)
		if (pc[k].enrollment == e->id)
			return 0;
	if ((rc = store_grants_ever(db, e->id, &ever)) < 0)
		return rc;
	*nothing = ever > 0;
	return 0;
}

/*
 * The rules between a team's enrollments and its evaluation date, for the
 * arrangement after the extension: each team's new span (window or days
 * after it) meets no other enrollment of the team, and what a completed
 * team gets after its window ends by its evaluation date (moved by days).
 * A completed team that would get no day (extend_nothing_given) breaks
 * equal_period: counting the days would say it had them.  Overridden, it
 * gets neither the days nor their count, and the report names it.
 */
static int
extend_rules(struct db *db, const struct phase_info *pi, int64_t days, const int64_t *ids,
    size_t nids, const struct ext_piece *pc, size_t npc, json_t *viol)
{
	struct phase_info after = *pi;
	char when[APP_WHEN_LEN];
	bool nothing;
	int rc = 0;

	after.extended_days += days;
	for (size_t i = 0; rc == 0 && i < nids; i++) {
		struct enrollment e;
		int64_t from = -1, to = -1;

		if ((rc = store_enrollment_by_id(db, ids[i], &e)) < 0 ||
		    (rc = extend_nothing_given(db, &e, pc, npc, &nothing)) < 0)
			break;
		if (nothing) {
			json_t *v;

			app_format_when_in(e.end, pi->tz, pi->tz_off, when);
			v = grants_violation("equal_period", "team '%s' (completed) holds no grant "
			    "that reaches the end of its window, %s (released or cancelled before), "
			    "so it would be given none of the %lld days of the extension while they "
			    "count in its period", e.team, when, (long long)days);
			if (v != NULL)
				json_object_set_new(v, "team", json_string(e.team));
			json_array_append_new(viol, v);
			continue;
		}
		for (size_t k = 0; k < npc; k++) {
			if (pc[k].enrollment != e.id)
				continue;
			if (from < 0 || pc[k].from < from)
				from = pc[k].from;
			if (pc[k].to > to)
				to = pc[k].to;
		}
		if (from < 0)
			continue;
		if (e.state == ENROLLMENT_COMPLETED)
			team_evaluation_check(&after, &e, to, "the extension after the window", viol);
		rc = team_rules_check(db, pi, e.team, e.id, from, to, false, viol);
	}
	return rc;
}

/* Writes an extension checked by extend_check: grants, windows, the phase's period. */
static int
extend_write(struct db *db, const struct phase_info *pi, int64_t days, const int64_t *ids,
    size_t nids, const struct ext_piece *pc, size_t npc, int64_t now)
{
	int64_t add = days * CIVIL_DAY, end, gid;
	int rc = 0;

	for (size_t k = 0; rc == 0 && k < npc; k++)
		if (pc[k].added)
			rc = store_grant_insert(db, pc[k].enrollment, pc[k].pool_id, pc[k].cards,
			    pc[k].from, pc[k].to, GRANT_EXTENSION, now, &gid);
		else
			rc = pc[k].moved ? store_grant_shift(db, pc[k].grant, add) :
			    store_grant_set_end(db, pc[k].grant, pc[k].to);
	for (size_t i = 0; rc == 0 && i < nids; i++) {
		struct enrollment e;
		bool nothing;

		if ((rc = store_enrollment_by_id(db, ids[i], &e)) < 0 ||
		    (rc = extend_nothing_given(db, &e, pc, npc, &nothing)) < 0)
			break;
		/* Given no day (overridden, extend_rules): the days do not count either. */
		if (nothing)
			continue;
		if (e.state == ENROLLMENT_COMPLETED)
			rc = store_enrollment_add_extra_days(db, ids[i], days);
		else if (__builtin_add_overflow(e.end, add, &end))
			rc = GD_ERANGE;
		else
			rc = store_enrollment_set_end(db, ids[i], end);
	}
	if (rc == 0)
		rc = store_phase_extend(db, pi->id, days);
	return rc;
}

/* What each enrollment got: its window longer, or the days after it (with the grants). */
static json_t *
extended_json(struct db *db, const int64_t *ids, size_t nids, const struct ext_piece *pc,
    size_t npc)
{
	json_t *arr = json_array(), *o;

	for (size_t i = 0; arr && i < nids; i++) {
		struct enrollment e;
		int64_t from = -1, to = -1;

		if (store_enrollment_by_id(db, ids[i], &e) < 0)
			goto fail;
		for (size_t k = 0; k < npc; k++)
			if (pc[k].enrollment == e.id && pc[k].added) {
				from = pc[k].from;
				to = pc[k].to;
			}
		o = json_pack("{s:s, s:s, s:s}", "team", e.team, "state",
		    enrollment_state_name(e.state), "how", from >= 0 ? "after_window" :
		    e.state == ENROLLMENT_COMPLETED ? "none" : "window");
		if (o && from < 0 && e.state == ENROLLMENT_COMPLETED)
			json_object_set_new(o, "window_end", jv_instant(e.end));
		else if (o && from < 0)
			json_object_set_new(o, "window_end", jv_instant(e.end));
		else if (o)
			json_object_set_new(o, "after_window", json_pack("{s:o, s:o}", "start",
			    jv_instant(from), "end", jv_instant(to)));
		if (o == NULL || json_array_append_new(arr, o) < 0)
			goto fail;
	}
	return arr;
fail:
	json_decref(arr);
	return NULL;
}

int
enroll_extend(struct db *db, const struct phase_info *pi, const struct enroll_fix *fx,
    int64_t days, int64_t now, json_t **out, json_t **violations, char *err, size_t errlen)
{
	struct calendar cal = { 0 };
	struct ext_piece *pc = NULL;
	struct timeline_breach br;
	size_t npc = 0, nids = 0, bad = 0;
	int64_t *ids = NULL;
	json_t *items = NULL, *moved = NULL, *ext = NULL, *viol = json_array();
	char *next = NULL;
	int rc;

	err[0] = '\0';
	*violations = NULL;
	if (viol == NULL)
		return GD_ENOMEM;
	/* Extensions included, a window lasts at most this (lib/units.h says why). */
	if (pi->period_days + days > UNITS_MAX_PERIOD_DAYS) {
		snprintf(err, errlen, "extending phase %s by %lld days would make its period %lld "
		    "days; a period, extensions included, lasts at most %d days", pi->id,
		    (long long)days, (long long)(pi->period_days + days), UNITS_MAX_PERIOD_DAYS);
		rc = GD_EINVAL;
		goto out;
	}
	/* Every team not eliminated or withdrawn: active ones in their window, completed after it. */
	if ((rc = store_enrollment_ids_live(db, pi->id, &ids, &nids)) < 0 ||
	    (rc = calendar_load_own(db, &cal)) < 0)
		goto out;
	if (nids == 0) {
		snprintf(err, errlen, "phase '%s' has no enrollment to extend (none that was not "
		    "eliminated or withdrawn)", pi->id);
		rc = GD_ESTATE;
		goto out;
	}
	if ((rc = extend_pieces(db, pi, &cal, ids, nids, days * CIVIL_DAY, now, &pc,
	    &npc)) < 0) {
		if (rc == GD_ERANGE)
			snprintf(err, errlen, "the extended windows would end past the last "
			    "instant grantd can represent");
		goto out;
	}
	if ((rc = extend_check(&cal, pc, npc, &bad, &br)) == GD_ECAPACITY)
		extend_refusal(pi, days, &cal, pc, npc, bad, &br, err, errlen);
	else if (rc < 0)
		snprintf(err, errlen, "cannot check the extension");
	if (rc < 0 || (rc = extend_rules(db, pi, days, ids, nids, pc, npc, viol)) < 0)
		goto out;
	if (json_array_size(viol) > 0 && fx->override == NULL) {
		const char *d = json_string_value(json_object_get(json_array_get(viol, 0),
		    "detail"));

		snprintf(err, errlen, "%s; nothing was extended", d ? d : "fairness rule broken");
		*violations = viol;
		viol = NULL;
		rc = GD_EFAIRNESS;
		goto out;
	}
	if ((rc = extend_write(db, pi, days, ids, nids, pc, npc, now)) < 0 ||
	    (json_array_size(viol) > 0 && (rc = grants_record_overrides(db, pi->id, NULL, viol,
	    fx->override, "phase.extend", fx->request_id, now)) < 0))
		goto out;
	if ((moved = moved_json(&cal, pc, npc)) == NULL ||
	    (ext = extended_json(db, ids, nids, pc, npc)) == NULL) {
		rc = GD_ENOMEM;
		goto out;
	}
	if ((rc = store_enrollment_list(db, pi->id, NULL, NULL, 1000, &items, &next)) < 0)
		goto out;
	if ((*out = json_pack("{s:s, s:I, s:I, s:o, s:O, s:O}", "phase", pi->id, "days",
	    (json_int_t)days, "period_days", (json_int_t)(pi->period_days + days), "enrollments",
	    items, "moved", moved, "extended", ext)) == NULL)
		rc = GD_ENOMEM;
out:
	free(next);
	free(pc);
	free(ids);
	calendar_free(&cal);
	json_decref(moved);
	json_decref(ext);
	json_decref(viol);
	return rc;
}
