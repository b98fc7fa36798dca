/* figures.c: one enrollment's figures at an instant, as quota and the fairness report show them. */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "calendar.h"
#include "civil.h"
#include "err.h"
#include "figures.h"
#include "jsonv.h"
#include "outage.h"
#include "store_grants.h"
#include "store_outages.h"
#include "store_usage.h"
#include "store_vouchers.h"

void
figures_free(struct figures *v)
{
	free(v->gs);
	free(v->rg);
	v->gs = NULL;
	v->rg = NULL;
}

int
figures_losses(const struct calendar *cal, const struct figures *v, int64_t from, int64_t to,
    int64_t *lost)
{
	struct outage_loss *ol;
	size_t nol;
	int64_t sum = 0;
	int rc = 0;

	*lost = 0;
	if (from >= to)
		return 0;
	for (size_t i = 0; i < cal->n && rc == 0; i++) {
		bool mine = false;

		for (size_t k = 0; k < v->ng && !mine; k++)
			mine = strcmp(v->gs[k].pool, cal->pools[i].id) == 0;
		if (!mine)
			continue;
		ol = NULL;
		nol = 0;
		rc = outage_share_loss(cal->pp[i].tl, cal->pools[i].weight_milli, from, to, &ol, &nol);
		for (size_t j = 0; rc == 0 && j < nol; j++)
			for (size_t k = 0; k < v->ng; k++)
				if (v->gs[k].id == ol[j].grant_id &&
				    __builtin_add_overflow(sum, ol[j].lost, &sum))
					rc = GD_ERANGE;
		free(ol);
	}
	if (rc == 0)
		*lost = sum;
	return rc;
}

static int
cmp_outage_from(const void *a, const void *b)
{
	const struct timeline_outage *x = a, *y = b;

	return (x->from > y->from) - (x->from < y->from);
}

/* An hour the figures judge: stored usage, and the part of it above_grant samples had flagged. */
struct judged_hour {
	struct usage_hour u;
	int64_t above_grant;
};

static int
cmp_hour(const void *a, const void *b)
{
	const struct judged_hour *x = a, *y = b;

	return (x->u.hour > y->u.hour) - (x->u.hour < y->u.hour);
}

static int
hours_push(struct judged_hour **v, size_t *n, size_t *cap, const struct usage_hour *h,
    size_t nh)
{
	if (*n + nh > *cap) {
		size_t c = (*n + nh) * 2;
		struct judged_hour *w = realloc(*v, c * sizeof(*w));

		if (w == NULL)
			return GD_ENOMEM;
		*v = w;
		*cap = c;
	}
	for (size_t k = 0; k < nh; k++)
		(*v)[(*n)++] = (struct judged_hour){ h[k], 0 };
	return 0;
}

/*
 * The hours of one pool p of the calendar that can be beyond the cards in
 * service as things stand: those an outage touches, and those where a
 * sample was flagged when accepted (an outage since cancelled, an overlap
 * or usage above the grant).  In any other hour the usage fitted the
 * grants when it was accepted, and no outage has touched it since.
 * Sorted by hour, each once; *v malloc'd.
 */
static int
hours_to_judge(struct db *db, const struct calendar *cal, size_t p, int64_t enrollment,
    struct judged_hour **v, size_t *n)
{
	const struct cal_pool *cp = &cal->pools[p];
	struct timeline_outage *o = NULL;
	struct usage_hour *h = NULL;
	struct judged_hour *out = NULL;
	size_t no = 0, nh = 0, m = 0, cnt = 0, cap = 0;
	int rc;

	if ((rc = store_usage_flagged_hours_of(db, enrollment, cp->id, &h, &nh)) < 0 ||
	    (rc = hours_push(&out, &cnt, &cap, h, nh)) < 0 ||
	    (rc = store_outages_of(db, cp->id, 0, &o, &no)) < 0)
		goto out;
	/* The outages' intervals merged, so that few hours are read twice. */
	if (no > 0)
		qsort(o, no, sizeof(*o), cmp_outage_from);
	for (size_t i = 1; i < no; i++) {
		if (o[i].from <= o[m].to) {
			if (o[i].to > o[m].to)
				o[m].to = o[i].to;
		} else {
			o[++m] = o[i];
		}
	}
	for (size_t i = 0; rc == 0 && no > 0 && i <= m; i++) {
		free(h);
		h = NULL;
		if ((rc = store_usage_hours_of(db, enrollment, cp->id, report_hour_floor(o[i].from),
		    o[i].to, &h, &nh)) == 0)
			rc = hours_push(&out, &cnt, &cap, h, nh);
	}
	if (rc < 0)
		goto out;
	if (cnt > 0) {
		qsort(out, cnt, sizeof(*out), cmp_hour);
		m = 0;
		for (size_t i = 1; i < cnt; i++)
			if (out[i].u.hour != out[m].u.hour)
				out[++m] = out[i];
		cnt = m + 1;
	}
	*v = out;
	*n = cnt;
	out = NULL;
out:
	free(out);
	free(o);
	free(h);
	return rc;
}

/* Whether one of the enrollment's grants on pool holds cards in [from, to). */
static bool
granted_in(const struct grant *gs, size_t ng, const char *pool, int64_t from, int64_t to)
{
	for (size_t g = 0; g < ng; g++)
		if (strcmp(gs[g].pool, pool) == 0 &&
		    report_overlap(gs[g].start, gs[g].end, from, to) > 0)
			return true;
	return false;
}

/*
 * Spreads the team's above_grant samples on the pool over the hours, as the
 * ingest summed them (lib/report's split), into the hours of v that hold
 * flagged usage: the part of the hour's flags that no outage changes.
 */
static int
above_grant_hours(struct db *db, const char *team, const char *pool, const struct grant *gs,
    size_t ng, struct judged_hour *v, size_t nv)
{
	struct usage_span *sp = NULL;
	size_t ns = 0;
	int rc;

	if (nv == 0)
		return 0;
	if ((rc = store_usage_above_grant_of(db, team, pool, &sp, &ns)) < 0)
		return rc;
	for (size_t i = 0; i < ns; i++) {
		struct report_split s;
		struct report_piece pc;

		report_split_init(&s, sp[i].from, sp[i].to, sp[i].gpu_seconds);
		while (report_split_next(&s, &pc)) {
			struct judged_hour key = { .u.hour = pc.hour }, *j;

			if (pc.share == 0 || !granted_in(gs, ng, pool, pc.from, pc.to) ||
			    (j = bsearch(&key, v, nv, sizeof(*v), cmp_hour)) == NULL ||
			    j->u.flagged_seconds == 0)
				continue;
			if (__builtin_add_overflow(j->above_grant, pc.share, &j->above_grant))
				j->above_grant = INT64_MAX;
		}
	}
	free(sp);
	return 0;
}

/* Adds card-seconds x weight to a sum of mus; GD_ERANGE past int64. */
static int
add_mus(int64_t *sum, int64_t card_seconds, int64_t weight)
{
	int64_t mus;

	if (__builtin_mul_overflow(card_seconds, weight, &mus) ||
	    __builtin_add_overflow(*sum, mus, sum))
		return GD_ERANGE;
	return 0;
}

/* The figures of figures_service on one pool p of the calendar, added to *out. */
static int
service_on_pool(struct db *db, const struct calendar *cal, size_t p, const char *team,
    const struct grant *gs, size_t ng, int64_t enrollment, int64_t at,
    struct figures_service *out)
{
	const struct cal_pool *cp = &cal->pools[p];
	struct judged_hour *v = NULL;
	size_t nv = 0;
	int rc;

	if ((rc = hours_to_judge(db, cal, p, enrollment, &v, &nv)) < 0)
		return rc;
	if (team != NULL)
		rc = above_grant_hours(db, team, cp->id, gs, ng, v, nv);
	for (size_t k = 0; rc == 0 && k < nv; k++) {
		const struct usage_hour *h = &v[k].u;
		int64_t from = h->hour, to = from + REPORT_HOUR, granted = 0, lost = 0, beyond,
		    flagged;
		struct outage_loss *ol = NULL;
		size_t nol = 0;

		for (size_t g = 0; g < ng; g++)
			if (strcmp(gs[g].pool, cp->id) == 0)
				granted += gs[g].cards * report_overlap(gs[g].start, gs[g].end, from,
				    to);
		if ((rc = outage_share_loss(cal->pp[p].tl, cp->weight_milli, from, to, &ol,
		    &nol)) < 0)
			break;
		for (size_t j = 0; j < nol; j++)
			for (size_t g = 0; g < ng; g++)
				if (gs[g].id == ol[j].grant_id)
					lost += ol[j].lost;
		free(ol);
		/* Card-seconds: the losses rounded down, as the ingest judges a sample. */
		lost /= cp->weight_milli;
		beyond = h->gpu_seconds > granted - lost ? h->gpu_seconds - (granted - lost) : 0;
		/* An hour beyond the cards in service is flagged whole, as a sample is. */
		flagged = beyond > 0 ? h->gpu_seconds : v[k].above_grant < h->flagged_seconds ?
		    v[k].above_grant : h->flagged_seconds;
		if ((rc = add_mus(&out->used_lost, beyond < lost ? beyond : lost,
		    cp->weight_milli)) < 0)
			break;
		if (h->hour < at && ((rc = add_mus(&out->beyond, beyond, cp->weight_milli)) < 0 ||
		    (rc = add_mus(&out->flagged, flagged, cp->weight_milli)) < 0))
			break;
	}
	free(v);
	return rc;
}

int
figures_service(struct db *db, const struct calendar *cal, int64_t enrollment,
    const char *team, const struct grant *gs, size_t ng, int64_t at,
    struct figures_service *out)
{
	int rc = 0;

	*out = (struct figures_service){ 0, 0, 0 };
	for (size_t p = 0; rc == 0 && p < cal->n; p++) {
		bool mine = false;

		for (size_t g = 0; g < ng && !mine; g++)
			mine = strcmp(gs[g].pool, cal->pools[p].id) == 0;
		if (mine)
			rc = service_on_pool(db, cal, p, team, gs, ng, enrollment, at, out);
	}
	return rc;
}

int
figures_owed_losses(struct db *db, const struct calendar *cal, int64_t enrollment,
    int64_t *lost)
{
	struct figures_service sv;
	struct grant *gs = NULL;
	size_t ng = 0;
	int rc;

	/* Make-ups are not owed for lost cards the team reported using (issue 15). */
	if ((rc = store_grants_of(db, enrollment, &gs, &ng)) == 0)
		rc = figures_service(db, cal, enrollment, NULL, gs, ng, civil_max_instant(), &sv);
	free(gs);
	if (rc == 0)
		*lost -= sv.used_lost < *lost ? sv.used_lost : *lost;
	return rc;
}

int
figures_load(struct db *db, const struct calendar *cal, const struct phase_info *pi,
    int64_t at, struct figures *v, bool have_grants)
{
	struct report_facts *f = &v->facts;
	struct figures_service sv;
	ssize_t p;
	int rc;

	v->rg = NULL;
	if (!have_grants) {
		v->gs = NULL;
		v->ng = 0;
		if ((rc = store_grants_of(db, v->e.id, &v->gs, &v->ng)) < 0)
			return rc;
	}
	if (v->ng && (v->rg = calloc(v->ng, sizeof(*v->rg))) == NULL)
		return GD_ENOMEM;
	*f = (struct report_facts){ .start = v->e.start, .end = v->e.end,
		.ended_at = v->e.ended_at, .units_milli = pi->units_milli };
	for (size_t k = 0; k < v->ng; k++) {
		if ((p = calendar_find(cal, v->gs[k].pool)) < 0)
			return GD_EIO;
		v->rg[k] = (struct report_grant){ v->gs[k].start, v->gs[k].end,
			v->gs[k].cards * cal->pools[p].weight_milli,
			v->gs[k].kind == GRANT_COMPENSATION };
	}
	if ((rc = report_compensation(v->rg, v->ng, &f->compensation_total)) < 0 ||
	    (rc = report_granted(v->rg, v->ng, v->e.start, at, &f->granted)) < 0 ||
	    (rc = figures_losses(cal, v, civil_min_instant(), at, &f->lost)) < 0 ||
	    (rc = figures_losses(cal, v, civil_min_instant(), civil_max_instant(),
	    &f->lost_total)) < 0 ||
	    (rc = store_usage_used(db, v->e.id, at, &f->used)) < 0 ||
	    (rc = store_usage_measured(db, v->e.id, at, &v->measured)) < 0 ||
	    (rc = figures_service(db, cal, v->e.id, v->e.team, v->gs, v->ng, at, &sv)) < 0)
		return rc;
	v->flagged = sv.flagged;
	v->beyond_service = sv.beyond;
	v->beyond = sv.used_lost;
	f->lost_total -= v->beyond < f->lost_total ? v->beyond : f->lost_total;
	return report_figures(f, at, &v->fig);
}

int
figures_voucher(struct db *db, int64_t enrollment, struct ledger_account *a, int64_t *available)
{
	int rc = store_account_of_enrollment(db, enrollment, a);

	*available = 0;
	if (rc == GD_ENOENT) {
		memset(a, 0, sizeof(*a));
		return 0;
	}
	if (rc < 0 || (rc = store_voucher_as_seen(db, a)) < 0)
		return rc;
	if (ledger_available(a, available) < 0 || *available < 0)
		*available = 0;
	return 0;
}

json_t *
figures_idle_json(int64_t since)
{
	json_t *o = json_pack("{s:b}", "flagged", since >= 0);

	if (o && since >= 0)
		json_object_set_new(o, "since", jv_instant(since));
	return o;
}

json_t *
figures_measured_json(const struct usage_measured *m)
{
	if (m->seconds == 0 && m->busy == 0 && m->util == 0 && m->energy == 0)
		return NULL;
	return json_pack("{s:I, s:I, s:I, s:I}", "gpu_seconds", (json_int_t)m->seconds,
	    "busy_gpu_seconds", (json_int_t)m->busy, "util_weighted_gpu_seconds",
	    (json_int_t)m->util, "energy_j", (json_int_t)m->energy);
}

json_t *
figures_window_json(const struct figures *v, const struct phase_info *pi, bool days_detail)
{
	char sd[CIVIL_DATE_LEN], ed[CIVIL_DATE_LEN];
	json_t *w;

	civil_format_date(civil_local_day(v->e.start, pi->tz_off), sd);
	civil_format_date(civil_local_day(v->e.end, pi->tz_off), ed);
	w = json_pack("{s:o, s:o, s:I, s:s, s:s}", "start", jv_instant(v->e.start), "end",
	    jv_instant(v->e.end), "days", (json_int_t)v->fig.days, "start_date", sd,
	    "end_date", ed);
	if (w && days_detail) {
		json_object_set_new(w, "days_elapsed", json_integer(v->fig.days_elapsed));
		json_object_set_new(w, "days_left", json_integer(v->fig.days_left));
	}
	return w;
}

