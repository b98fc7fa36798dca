/* ingest_judge.c: usage samples judged against the grants and the cards in service, alone and overlapping. */
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "ingest_batch.h"
#include "jsonv.h"
#include "outage.h"
#include "report.h"
#include "store_usage.h"
#include "timeline.h"

/*
 * The card-seconds of the pair's grants that outages took out of service
 * within the sample's interval (lib/outage's shares, as losses are
 * counted), rounded down: a sample is flagged only for what it surely
 * used beyond the cards in service.
 */
static int
out_of_service(struct db *db, const struct batch_in *b, struct sums *g,
    const struct sample *s, const struct usage_grant *gr, size_t ngr, int64_t *cs)
{
	const struct name *p = &b->pools.v[s->pool];
	struct svc *v;
	struct outage_loss *ol = NULL;
	size_t nol = 0;
	int64_t mus = 0;
	int rc;

	*cs = 0;
	if (g->svc == NULL && (g->svc = calloc(b->pools.n, sizeof(*g->svc))) == NULL)
		return GD_ENOMEM;
	v = &g->svc[s->pool];
	if (v->state == 0) {
		if ((rc = store_usage_pool_has_outage(db, p->id)) < 0)
			return rc;
		v->state = 1;
		if (rc == 1) {
			if ((rc = store_usage_timeline(db, p->id, p->cards, &v->tl)) < 0)
				return rc;
			v->state = 2;
		}
	}
	if (v->state == 1 || p->weight <= 0)
		return 0;
	if ((rc = outage_share_loss(v->tl, p->weight, s->from, s->to, &ol, &nol)) < 0)
		return rc;
	for (size_t j = 0; j < nol; j++)
		for (size_t k = 0; k < ngr; k++)
			if (gr[k].id == ol[j].grant_id && __builtin_add_overflow(mus, ol[j].lost, &mus))
				rc = GD_ERANGE;
	free(ol);
	if (rc == 0)
		*cs = mus / p->weight;
	return rc;
}

/*
 * Adds the sample's hours to the sums: its GPU-seconds (gpu), and as
 * flagged (flagged) -- both at once when it is summed, the flagged part
 * alone when an overlap flags it later.  What the sample measured goes
 * with its GPU-seconds, each split across the hours as they are (the
 * pieces of each sum to its whole; an hour may get joules and no whole
 * GPU-second).
 */
static int
add_hours(struct sums *g, const struct pair *pr, const struct sample *s, bool gpu,
    bool flagged)
{
	const struct usage_grant *gr = g->grants + pr->first;
	const bool meas = gpu && s->meas != 0;
	struct report_split sp, sb, su, se;
	struct report_piece pc, pb, pu, pe;
	struct usage_measured m;
	int64_t enr;
	int rc;

	if (s->gpu == 0)
		return 0;
	report_split_init(&sp, s->from, s->to, s->gpu);
	if (meas) {
		report_split_init(&sb, s->from, s->to, s->busy);
		report_split_init(&su, s->from, s->to, s->util);
		report_split_init(&se, s->from, s->to, s->energy);
	}
	while (report_split_next(&sp, &pc)) {
		/* The same interval: every split walks the same hours. */
		if (meas && report_split_next(&sb, &pb) && report_split_next(&su, &pu) &&
		    report_split_next(&se, &pe))
			m = (struct usage_measured){ pc.share, pb.share, pu.share, pe.share };
		else
			m = (struct usage_measured){ 0, 0, 0, 0 };
		if (pc.share == 0 && m.busy == 0 && m.util == 0 && m.energy == 0)
			continue;
		/* The hour's usage belongs to the enrollment whose grant covers it. */
		enr = 0;
		for (size_t k = 0; k < pr->n && enr == 0; k++)
			if (report_overlap(gr[k].start, gr[k].end, pc.from, pc.to) > 0)
				enr = gr[k].enrollment;
		if ((rc = ingest_agg_add(g, enr, pc.hour, s->pool, s->team, gpu ? pc.share : 0,
		    flagged ? pc.share : 0, meas ? &m : NULL)) < 0)
			return rc;
		if (gpu && enr && pc.share && (rc = ingest_agg_add(g, enr, HOUR_TOTAL, s->pool,
		    s->team, pc.share, 0, NULL)) < 0)
			return rc;
	}
	return 0;
}

/* Flags the sample and adds its hours to the sums. */
int
ingest_sum_sample(struct db *db, const struct batch_in *b, struct sums *g, struct sample *s)
{
	const struct pair *pr;
	const struct usage_grant *gr;
	int64_t granted = 0;
	int rc;

	if ((rc = ingest_pair_get(db, b, g, s, &pr)) < 0)
		return rc;
	gr = g->grants + pr->first;
	for (size_t k = 0; k < pr->n; k++)
		granted += gr[k].cards * report_overlap(gr[k].start, gr[k].end, s->from, s->to);
	s->granted = granted;
	s->in_service = granted;
	/* Only usage that fits the grant can be above the cards in service. */
	if (granted > 0 && s->gpu > 0 && s->gpu <= granted) {
		int64_t out;

		if ((rc = out_of_service(db, b, g, s, gr, pr->n, &out)) < 0)
			return rc;
		s->in_service = granted - out;
	}
	s->flag = granted == 0 ? FLAG_NO_GRANT : s->gpu > granted ? FLAG_ABOVE_GRANT :
	    s->gpu > s->in_service ? FLAG_ABOVE_IN_SERVICE : FLAG_NONE;
	return add_hours(g, pr, s, true, s->flag != FLAG_NONE);
}

/*
 * Overlapping samples of one (pool, team) that add up past what the team
 * had (issue 15): each sample alone fits its grant and the cards in
 * service, but together they used more.  Between every two boundaries of
 * a cluster of overlapping samples the usage is each sample's even rate
 * summed; a stretch where it passes the granted cards less those out of
 * service flags every sample of the cluster that covers it (reason
 * "overlapping"), and the answer says which, in `overlaps`.
 */
struct cluster {
	size_t *idx;		/* into b->s, sorted by from */
	size_t n;
};

static int
cmp_sample_at(const void *a, const void *b, void *arg)
{
	const struct sample *s = arg;
	const struct sample *x = &s[*(const size_t *)a], *y = &s[*(const size_t *)b];

	if (x->pool != y->pool)
		return x->pool < y->pool ? -1 : 1;
	if (x->team != y->team)
		return x->team < y->team ? -1 : 1;
	return (x->from > y->from) - (x->from < y->from);
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Judges one cluster; flags and reports it when it used more than the team had. */
static int
judge_cluster(struct db *db, struct batch_in *b, struct sums *g, const struct cluster *c,
    json_t *overlaps, int64_t *newly)
{
	struct sample *s0 = &b->s[c->idx[0]];
	const struct pair *pr;
	const struct usage_grant *gr;
	int64_t *t = calloc(2 * c->n, sizeof(*t)), bad_from = -1, bad_to = -1;
	int64_t worst_used = 0, worst_allowed = 0;
	size_t nt = 0;
	int rc;

	if (t == NULL)
		return GD_ENOMEM;
	if ((rc = ingest_pair_get(db, b, g, s0, &pr)) < 0)
		goto out;
	gr = g->grants + pr->first;
	for (size_t i = 0; i < c->n; i++) {
		t[nt++] = b->s[c->idx[i]].from;
		t[nt++] = b->s[c->idx[i]].to;
	}
	qsort(t, nt, sizeof(*t), cmp_i64);
	for (size_t j = 0; rc == 0 && j + 1 < nt; j++) {
		struct sample seg = *s0;
		__int128 used = 0;
		int64_t granted = 0, out = 0, allowed;

		if (t[j + 1] == t[j])
			continue;
		seg.from = t[j];
		seg.to = t[j + 1];
		for (size_t i = 0; i < c->n; i++) {
			const struct sample *s = &b->s[c->idx[i]];
			int64_t ov = report_overlap(s->from, s->to, seg.from, seg.to);

			if (ov > 0)
				used += (__int128)s->gpu * ov / (s->to - s->from);
		}
		for (size_t k = 0; k < pr->n; k++)
			granted += gr[k].cards * report_overlap(gr[k].start, gr[k].end, seg.from,
			    seg.to);
		if ((rc = out_of_service(db, b, g, &seg, gr, pr->n, &out)) < 0)
			break;
		allowed = granted - out;
		if (used <= allowed)
			continue;
		if (bad_from < 0)
			bad_from = seg.from;
		bad_to = seg.to;
		if ((int64_t)used - allowed > worst_used - worst_allowed) {
			worst_used = (int64_t)used;
			worst_allowed = allowed;
		}
	}
	if (rc < 0 || bad_from < 0)
		goto out;
	{
		json_t *which = json_array();

		for (size_t i = 0; i < c->n && rc == 0; i++) {
			struct sample *s = &b->s[c->idx[i]];

			if (report_overlap(s->from, s->to, bad_from, bad_to) == 0)
				continue;
			json_array_append_new(which, json_integer((json_int_t)c->idx[i]));
			if (s->flag != FLAG_NONE)
				continue;
			s->flag = FLAG_OVERLAPPING;
			(*newly)++;
			rc = add_hours(g, pr, s, false, true);
		}
		json_array_append_new(overlaps, json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, "
		    "s:o}", "with", "batch", "pool", b->pools.v[s0->pool].id, "team",
		    b->teams.v[s0->team].id,
		    "from", jv_instant(bad_from), "to", jv_instant(bad_to),
		    "used_seconds", (json_int_t)worst_used, "allowed_seconds",
		    (json_int_t)worst_allowed, "samples", which));
	}
out:
	free(t);
	return rc;
}

/* Finds the clusters of overlapping samples of each (pool, team) and judges each. */
int
ingest_check_overlaps(struct db *db, struct batch_in *b, struct sums *g, json_t *overlaps,
    int64_t *newly)
{
	size_t *idx = calloc(b->n ? b->n : 1, sizeof(*idx)), m = 0;
	int64_t end;
	int rc = 0;

	*newly = 0;
	if (idx == NULL)
		return GD_ENOMEM;
	/* Samples with no grant or above it are flagged already; zero ones use nothing. */
	for (size_t i = 0; i < b->n; i++)
		if (b->s[i].gpu > 0 && b->s[i].granted > 0 && b->s[i].flag != FLAG_NO_GRANT &&
		    b->s[i].flag != FLAG_ABOVE_GRANT)
			idx[m++] = i;
	qsort_r(idx, m, sizeof(*idx), cmp_sample_at, b->s);
	for (size_t i = 0; rc == 0 && i < m; ) {
		size_t j = i + 1;

		end = b->s[idx[i]].to;
		while (j < m && b->s[idx[j]].pool == b->s[idx[i]].pool &&
		    b->s[idx[j]].team == b->s[idx[i]].team && b->s[idx[j]].from < end) {
			if (b->s[idx[j]].to > end)
				end = b->s[idx[j]].to;
			j++;
		}
		if (j - i >= 2)
			rc = judge_cluster(db, b, g, &(struct cluster){ idx + i, j - i }, overlaps,
			    newly);
		i = j;
	}
	free(idx);
	return rc;
}


/*
 * The batch against the usage stored before it (issue 15): samples of
 * other batches, from this token or another, of the same pool and team
 * add up with this batch's in the same UTC hour.  An hour where the stored
 * usage and the batch's together pass the team's granted card-seconds
 * less what the outages took (as a sample is judged) flags every sample of
 * the batch that meets it `overlapping`, and the answer says so with
 * "with": "stored" and the stored GPU-seconds.  Judged by the hour: the
 * stored usage is kept by the hour, no finer.
 */
struct hour_use {
	uint32_t pool, team;
	int64_t hour, gpu;
};

static int
cmp_hour_use(const void *a, const void *b)
{
	const struct hour_use *x = a, *y = b;

	if (x->pool != y->pool)
		return x->pool < y->pool ? -1 : 1;
	if (x->team != y->team)
		return x->team < y->team ? -1 : 1;
	return (x->hour > y->hour) - (x->hour < y->hour);
}

/* What the hours of one (pool, team) that passed came to. */
struct passed {
	int64_t *hours;			/* in order */
	size_t n;
	int64_t used, allowed, stored;	/* of the hour passed by the most */
};

/* Judges one hour u of the batch against what is stored for it. */
static int
judge_hour(struct db *db, const struct batch_in *b, struct sums *g, const struct hour_use *u,
    struct passed *ps)
{
	struct sample seg = { .pool = u->pool, .team = u->team, .from = u->hour,
		.to = u->hour + REPORT_HOUR };
	const struct pair *pr;
	const struct usage_grant *gr;
	int64_t stored, granted = 0, out = 0, used;
	int rc;

	if ((rc = store_usage_hour_sum(db, b->pools.v[u->pool].id, b->teams.v[u->team].id,
	    u->hour, &stored)) < 0 || stored == 0)
		return rc;
	if ((rc = ingest_pair_get(db, b, g, &seg, &pr)) < 0)
		return rc;
	gr = g->grants + pr->first;
	for (size_t k = 0; k < pr->n; k++)
		granted += gr[k].cards * report_overlap(gr[k].start, gr[k].end, seg.from, seg.to);
	/* Usage where the team holds no grant is judged by the sample (no_grant). */
	if (granted == 0 || (rc = out_of_service(db, b, g, &seg, gr, pr->n, &out)) < 0)
		return rc;
	if (__builtin_add_overflow(stored, u->gpu, &used))
		used = INT64_MAX;
	if (used <= granted - out)
		return 0;
	/* Grown at each power of two. */
	if ((ps->n & (ps->n - 1)) == 0) {
		int64_t *v = realloc(ps->hours, (ps->n ? 2 * ps->n : 1) * sizeof(*v));

		if (v == NULL)
			return GD_ENOMEM;
		ps->hours = v;
	}
	ps->hours[ps->n++] = u->hour;
	if (ps->n == 1 || used - (granted - out) > ps->used - ps->allowed) {
		ps->used = used;
		ps->allowed = granted - out;
		ps->stored = stored;
	}
	return 0;
}

/* Flags and reports the batch's samples of (pool, team) that meet an hour that passed. */
static int
flag_passed(struct db *db, struct batch_in *b, struct sums *g, uint32_t pool, uint32_t team,
    const struct passed *ps, json_t *overlaps, int64_t *newly)
{
	int64_t from = ps->hours[0], to = ps->hours[ps->n - 1] + REPORT_HOUR;
	json_t *which = json_array();
	int rc = 0;

	if (which == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		struct sample *s = &b->s[i];
		const struct pair *pr;
		bool meets = false;

		if (s->pool != pool || s->team != team || s->gpu == 0)
			continue;
		for (size_t k = 0; k < ps->n && !meets; k++)
			meets = report_overlap(s->from, s->to, ps->hours[k],
			    ps->hours[k] + REPORT_HOUR) > 0;
		if (!meets)
			continue;
		json_array_append_new(which, json_integer((json_int_t)i));
		if (s->flag != FLAG_NONE)
			continue;
		s->flag = FLAG_OVERLAPPING;
		(*newly)++;
		if ((rc = ingest_pair_get(db, b, g, s, &pr)) == 0)
			rc = add_hours(g, pr, s, false, true);
	}
	if (rc == 0)
		json_array_append_new(overlaps, json_pack("{s:s, s:s, s:s, s:o, s:o, s:I, s:I, s:I, "
		    "s:o}", "with", "stored", "pool", b->pools.v[pool].id, "team",
		    b->teams.v[team].id, "from", jv_instant(from), "to", jv_instant(to),
		    "used_seconds", (json_int_t)ps->used, "allowed_seconds",
		    (json_int_t)ps->allowed, "stored_seconds", (json_int_t)ps->stored, "samples",
		    which));
	else
		json_decref(which);
	return rc;
}

int
ingest_check_stored(struct db *db, struct batch_in *b, struct sums *g, json_t *overlaps,
    int64_t *newly)
{
	struct hour_use *u = calloc(g->nagg ? g->nagg : 1, sizeof(*u));
	size_t n = 0;
	int rc = 0;

	*newly = 0;
	if (u == NULL)
		return GD_ENOMEM;
	for (size_t i = 0; i < g->capagg; i++) {
		const struct agg *a = &g->agg[i];

		if (a->used && a->hour != HOUR_TOTAL && a->gpu > 0)
			u[n++] = (struct hour_use){ a->pool, a->team, a->hour, a->gpu };
	}
	qsort(u, n, sizeof(*u), cmp_hour_use);
	for (size_t i = 0; rc == 0 && i < n; ) {
		struct passed ps = { NULL, 0, 0, 0, 0 };
		size_t j = i;

		/* One (pool, team), hour by hour, the hour's enrollments summed. */
		while (rc == 0 && j < n && u[j].pool == u[i].pool && u[j].team == u[i].team) {
			struct hour_use h = u[j++];

			while (j < n && u[j].pool == h.pool && u[j].team == h.team &&
			    u[j].hour == h.hour)
				h.gpu += u[j++].gpu;
			rc = judge_hour(db, b, g, &h, &ps);
		}
		if (rc == 0 && ps.n > 0)
			rc = flag_passed(db, b, g, u[i].pool, u[i].team, &ps, overlaps, newly);
		free(ps.hours);
		i = j;
	}
	free(u);
	return rc;
}
