/* scale.c: the national shape through the API (issue 20): fill, what-if, quota, fairness, metrics, restart, RSS. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

/*
 * One run, on one grantd and a fresh database, builds through the API:
 *
 *   1,000 pools of 50 B200 (50,000 cards);
 *   phase f-500: 500 teams of 4 cards each (the fairness report's phase);
 *   NPHASES other phases whose packages range from 4 cards to 768 (so the
 *   large ones split over many pools; most are small, as in the support
 *   programmes that hand a few cards to hundreds of teams), periods of 30
 *   to 181 days, starting over the next year, each taking teams up to a
 *   budget of PHASE_CARD_DAYS (a 768-card phase takes a handful, a 4-card
 *   one hundreds); teams enrolled round-robin over these phases, placed by
 *   grantd at the earliest start (-P N: among a seeded run of N pools named
 *   in the request), until -n grants stand.  The pools hold 50,000 cards
 *   for about four years of starts; 100,000 grants take about two thirds.
 *
 * then measures, one after the other:
 *
 *   fill     enrollments and grants per second while filling (and the last
 *            tenth's rate: the fill slows as the history grows);
 *   what-if  POST .../enrollments with dry_run, a 768-card package, median
 *            and p99 over -q requests on one keep-alive connection; every
 *            answer is judged against a brute force over the bench's own
 *            model of every pool's cards by day (earliest start, fewest
 *            pools, every pool within its free cards);
 *   quota    GET /v1/teams/T/quota?phase=P&at=... for enrolled teams (a
 *            different instant each time, so grantd's answer cache misses);
 *   fairness GET /v1/phases/f-500/fairness (500 teams), -r times;
 *   metrics  GET /metrics, -r times;
 *   RSS      grantd's VmRSS;
 *   restart  SIGKILL, then grantd started again on the same database until
 *            the first what-if is answered (includes `grantd token create`).
 *
 * The workload comes from a seeded generator (-s), so two binaries see the
 * same requests.  Exit status 1 when a what-if answer disagrees with the
 * brute force under both rules.
 *
 *   scale -b build/grantd [-D DIR] [-n GRANTS] [-s SEED] [-q WHATIFS] [-r REPEATS]
 */

#define NPOOLS 1000
#define POOL_CARDS 50
#define NPHASES 240
#define NTEAMS 2000
#define PHASE_CARD_DAYS 200000	/* cards x days each phase hands out at most */
#define FAIR_TEAMS 500
#define HORIZON_DAYS 1500	/* the model's days from the first phase's start */
#define DAY 86400
#define KST (9 * 3600)

static long target_grants = 100000;
static int named_pools;		/* -P: pools named in each enrollment of the fill, 0: none */
static unsigned long long seed = 20;
static int nwhatif = 200;
static int repeats = 20;

static uint64_t rng;

static uint64_t
rnd(void)
{
	/* splitmix64: small, seedable, good enough for a workload */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int
rnd_range(int lo, int hi)
{
	return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

/* The bench's model: cards used by pool and day, day 0 = day0 (Seoul). */
static short used[NPOOLS][HORIZON_DAYS];
static long day0;	/* days since 1970-01-01 of the first phase's start */

struct phase {
	char id[16];
	int cards, days;
	long start;	/* day number */
	int next_team;
	int max_teams;	/* PHASE_CARD_DAYS / (cards x days), at most NTEAMS */
};
static struct phase phases[NPHASES + 1];

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static long
days_from_civil(int y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + (long)doe - 719468;
}

static long
parse_day(const char *s)
{
	int y;
	unsigned m, d;

	if (s == NULL || sscanf(s, "%d-%u-%u", &y, &m, &d) != 3)
		bench_die("bad date '%s'", s ? s : "(null)");
	return days_from_civil(y, m, d);
}

static void
fmt_day(long day, char *buf, size_t len)
{
	time_t t = (time_t)day * DAY;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d", &tm);
}

/* ---- one keep-alive connection for the measured requests ---- */

static int ka = -1;
static char *ka_buf;
#define KA_BUF (8 << 20)

/* A request on the keep-alive connection; its status, its body in *body (in ka_buf). */
static int
ka_request(const char *method, const char *path, const char *body, const char **rbody)
{
	static char req[65536];
	size_t len = bench_build_request(req, sizeof(req), method, path, bench.admin, body), got = 0,
	    total;
	int status;

	if (ka < 0)
		ka = bench_connect();
	for (size_t o = 0; o < len;) {
		ssize_t w = write(ka, req + o, len - o);

		if (w <= 0)
			bench_die("write: %s", strerror(errno));
		o += (size_t)w;
	}
	for (;;) {
		ssize_t r = read(ka, ka_buf + got, KA_BUF - 1 - got);

		if (r <= 0)
			bench_die("read: %s", r < 0 ? strerror(errno) : "closed");
		got += (size_t)r;
		ka_buf[got] = '\0';
		if (bench_response_done(ka_buf, got, &status, &total))
			break;
		if (got >= KA_BUF - 1)
			bench_die("answer too long");
	}
	if (got != total)
		bench_die("pipelined bytes after an answer");
	if (rbody) {
		const char *b = strstr(ka_buf, "\r\n\r\n");

		*rbody = b ? b + 4 : "";
	}
	return status;
}

static void
ka_close(void)
{
	if (ka >= 0)
		close(ka);
	ka = -1;
}

/* ---- the world ---- */

static void
setup(void)
{
	char body[2048], d[64];
	time_t now = time(NULL);

	day0 = (long)((now + KST) / DAY) + 7;
	for (int p = 0; p < NPOOLS; p++) {
		snprintf(body, sizeof(body), "{\"id\":\"p%04d\",\"provider\":\"Cloud%d\",\"site\":"
		    "\"Site%d\",\"card_model\":\"B200\",\"cards\":%d}", p, p % 3, p, POOL_CARDS);
		if (ka_request("POST", "/v1/pools", body, NULL) != 201)
			bench_die("pool %d: %s", p, ka_buf);
	}
	/* Phase 0: the fairness report's 500 teams of 4 cards. */
	phases[0] = (struct phase){ "f-500", 4, 181, day0, 0, FAIR_TEAMS };
	for (int i = 1; i <= NPHASES; i++) {
		static const int pkg[] = { 4, 4, 4, 4, 8, 8, 8, 16, 16, 32, 128, 768 };
		static const int per[] = { 30, 60, 90, 181 };
		int mt;

		phases[i].cards = pkg[rnd() % (sizeof(pkg) / sizeof(pkg[0]))];
		phases[i].days = per[rnd() % 4];
		mt = PHASE_CARD_DAYS / (phases[i].cards * phases[i].days);
		phases[i].max_teams = mt < 1 ? 1 : mt > NTEAMS ? NTEAMS : mt;
		phases[i].start = day0 + rnd_range(0, 365);
		snprintf(phases[i].id, sizeof(phases[i].id), "ph-%03d", i);
	}
	/*
	 * Each phase in a programme of its own (Asia/Seoul): a team holds one
	 * live enrollment per programme (issue 14), and the same teams enrol
	 * in many phases here, as the same universities and companies do in
	 * the ministry's many support programmes.
	 */
	for (int i = 0; i <= NPHASES; i++) {
		char path[64];

		snprintf(body, sizeof(body), "{\"id\":\"g-%03d\",\"name\":\"Programme %d\","
		    "\"timezone\":\"Asia/Seoul\"}", i, i);
		if (ka_request("POST", "/v1/programs", body, NULL) != 201)
			bench_die("programme %d: %s", i, ka_buf);
		fmt_day(phases[i].start, d, sizeof(d));
		snprintf(body, sizeof(body), "{\"id\":\"%.15s\",\"name\":\"Phase %d\",\"starts_on\":"
		    "\"%.10s\",\"period_days\":%d,\"package\":{\"card_model\":\"B200\",\"cards\":%d,"
		    "\"voucher_krw\":1000000}}", phases[i].id, i, d, phases[i].days, phases[i].cards);
		snprintf(path, sizeof(path), "/v1/programs/g-%03d/phases", i);
		if (ka_request("POST", path, body, NULL) != 201)
			bench_die("phase %d: %s", i, ka_buf);
	}
	for (int t = 0; t < NTEAMS; t++) {
		snprintf(body, sizeof(body), "{\"id\":\"t%04d\",\"name\":\"Team %d\",\"lead_org\":"
		    "\"Org %d\"}", t, t, t);
		if (ka_request("POST", "/v1/teams", body, NULL) != 201)
			bench_die("team %d: %s", t, ka_buf);
	}
}

/* Adds an enrollment's grants to the model; the number of grants. */
static int
model_add(const char *text)
{
	json_error_t e;
	json_t *o = json_loads(text, 0, &e), *g;
	long s, days;
	size_t i;
	int n;

	if (o == NULL)
		bench_die("enrollment: %s", e.text);
	s = parse_day(json_string_value(json_object_get(json_object_get(o, "window"),
	    "start_date"))) - day0;
	days = (long)json_integer_value(json_object_get(json_object_get(o, "window"), "days"));
	json_array_foreach(json_object_get(o, "grants"), i, g) {
		int p = atoi(json_string_value(json_object_get(g, "pool")) + 1);
		int c = (int)json_integer_value(json_object_get(g, "cards"));

		for (long d = s; d < s + days; d++)
			if (d >= 0 && d < HORIZON_DAYS)
				used[p][d] = (short)(used[p][d] + c);
	}
	n = (int)json_array_size(json_object_get(o, "grants"));
	json_decref(o);
	return n;
}

static long grants_standing, enrollments, refused;

static void
enroll(struct phase *ph, int team)
{
	char body[4096], path[128];
	const char *rb;
	int st, first = (int)(rnd() % NPOOLS);
	size_t o;

	/*
	 * With -P N each enrollment names a seeded run of N pools: grantd
	 * before issue 20's placement considered at most 254 pools, the first
	 * 254 when none were named, so a fill with -P 254 spreads over all
	 * 1,000 for such a binary too.  By default none are named.
	 */
	snprintf(path, sizeof(path), "/v1/phases/%s/enrollments", ph->id);
	o = (size_t)snprintf(body, sizeof(body), "{\"team\":\"t%04d\",\"override\":{\"reason\":"
	    "\"bench\"}", team);
	for (int k = 0; k < named_pools; k++)
		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s\"p%04d\"",
		    k ? "," : ",\"pools\":[", (first + k) % NPOOLS);
	snprintf(body + o, sizeof(body) - o, "%s}", named_pools ? "]" : "");
	st = ka_request("POST", path, body, &rb);
	if (st != 201) {
		if (++refused <= 3)
			fprintf(stderr, "scale: enrollment %s t%04d: %d %.200s\n", ph->id, team, st, rb);
		return;
	}
	grants_standing += model_add(rb);
	enrollments++;
}

static double
fill(void)
{
	uint64_t t0 = bench_now_ns(), t9 = 0;
	long e9 = 0;
	int k = 1, full = 0;

	for (int t = 0; t < FAIR_TEAMS; t++)
		enroll(&phases[0], t);
	while (grants_standing < target_grants) {
		struct phase *ph = &phases[k];

		if (ph->next_team < ph->max_teams) {
			enroll(ph, ph->next_team++);
			full = 0;
		} else if (++full > NPHASES) {
			bench_die("every phase has its teams at %ld grants", grants_standing);
		}
		k = k % NPHASES + 1;
		if (t9 == 0 && grants_standing >= target_grants * 9 / 10) {
			t9 = bench_now_ns();
			e9 = enrollments;
		}
		if (refused > enrollments + 1000)
			bench_die("more refusals than enrollments");
	}
	double secs = (double)(bench_now_ns() - t0) / 1e9;
	printf("fill      %ld enrollments, %ld grants in %.1f s: %.1f enrollments/s, %.1f grants/s"
	    " (last tenth %.1f enrollments/s), %ld refused\n", enrollments, grants_standing, secs,
	    enrollments / secs, grants_standing / secs,
	    t9 ? (enrollments - e9) / ((double)(bench_now_ns() - t9) / 1e9) : 0.0, refused);
	return secs;
}

/* ---- the brute force over the model ---- */

static int
cmp_int_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

/* Earliest start >= nb of `cards` for `days`, and the fewest pools then; -1 if none. */
static long
brute(long nb, int days, int cards, int npool, int *npools, int *freec)
{
	static int f[NPOOLS];

	for (long s = nb; s + days <= HORIZON_DAYS; s++) {
		long sum = 0;

		for (int p = 0; p < npool; p++) {
			int mx = 0;

			for (long d = s; d < s + days; d++)
				if (used[p][d] > mx)
					mx = used[p][d];
			f[p] = POOL_CARDS - mx;
			freec[p] = f[p];
			sum += f[p];
		}
		if (sum < cards)
			continue;
		qsort(f, (size_t)npool, sizeof(f[0]), cmp_int_desc);
		sum = 0;
		for (int k = 0; k < npool; k++)
			if ((sum += f[k]) >= cards) {
				*npools = k + 1;
				return s;
			}
	}
	return -1;
}

/* ---- measurements ---- */

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
summary(const char *what, double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof(ms[0]), cmp_double);
	printf("%-9s median %.2f ms  p99 %.2f ms  max %.2f ms  (%d requests)\n", what,
	    ms[n / 2], ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1], ms[n - 1], n);
}

/* A 768-card what-if for a team not in the phase; the time in ms, the answer judged. */
static int whatif_wrong, whatif_wrong254, whatif_checked;

static double
whatif(struct phase *ph, int team, bool check)
{
	char body[256], path[128];
	const char *rb;
	uint64_t t0 = bench_now_ns();
	int st;
	double ms;

	snprintf(path, sizeof(path), "/v1/phases/%s/enrollments", ph->id);
	snprintf(body, sizeof(body), "{\"team\":\"t%04d\",\"dry_run\":true,\"override\":"
	    "{\"reason\":\"bench\"}}", team);
	st = ka_request("POST", path, body, &rb);
	ms = (double)(bench_now_ns() - t0) / 1e6;
	if (st != 200 && st != 201)
		bench_die("what-if %s t%04d: %d %.300s", ph->id, team, st, rb);
	if (check) {
		static int freec[NPOOLS];
		json_t *o = json_loads(rb, 0, NULL), *g;
		long want, got;
		int np = 0, sum = 0;
		size_t i;
		bool ok = true;

		if (o == NULL)
			bench_die("what-if: not JSON");
		got = parse_day(json_string_value(json_object_get(json_object_get(o, "window"),
		    "start_date"))) - day0;
		want = brute(ph->start - day0, ph->days, ph->cards, NPOOLS, &np, freec);
		json_array_foreach(json_object_get(o, "grants"), i, g) {
			int p = atoi(json_string_value(json_object_get(g, "pool")) + 1);
			int c = (int)json_integer_value(json_object_get(g, "cards"));

			sum += c;
			if (want == got && c > freec[p])
				ok = false;
		}
		ok = ok && want == got && sum == ph->cards &&
		    (int)json_array_size(json_object_get(o, "grants")) == np;
		if (!ok) {
			/*
			 * grantd searches only the first PLACEMENT_MAX_POOLS (254)
			 * pools when none are named: judged by that rule too.
			 */
			int np254 = 0;
			long w254 = brute(ph->start - day0, ph->days, ph->cards, 254, &np254, freec);
			bool ok254 = w254 == got && sum == ph->cards &&
			    (int)json_array_size(json_object_get(o, "grants")) == np254;

			json_array_foreach(json_object_get(o, "grants"), i, g) {
				int p = atoi(json_string_value(json_object_get(g, "pool")) + 1);
				int c = (int)json_integer_value(json_object_get(g, "cards"));

				if (p >= 254 || c > freec[p])
					ok254 = false;
			}
			whatif_wrong++;
			whatif_wrong254 += !ok254;
			if (whatif_wrong <= 3)
				printf("what-if   %s (%d cards, %d days): grantd day %ld, %zu pools; brute "
				    "force over all %d pools day %ld, %d pools; over the first 254 day %ld, "
				    "%d pools\n", ph->id, ph->cards, ph->days, got,
				    json_array_size(json_object_get(o, "grants")), NPOOLS, want, np, w254,
				    np254);
		}
		whatif_checked++;
		json_decref(o);
	}
	return ms;
}

static struct phase *
big_phase(void)
{
	for (int i = 1; i <= NPHASES; i++)
		if (phases[i].cards == 768 && phases[i].next_team < NTEAMS)
			return &phases[i];
	bench_die("no 768-card phase");
}

static long
rss_kb(void)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)bench.pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int
main(int argc, char **argv)
{
	struct utsname u;
	struct phase *big;
	double *ms;
	int ch, n;
	static char errlog[600];

	bench.name = "scale";
	while ((ch = getopt(argc, argv, "b:D:n:s:q:r:P:")) != -1) {
		switch (ch) {
		case 'b': bench.grantd_bin = optarg; break;
		case 'D': bench.dir_base = optarg; break;
		case 'n': target_grants = atol(optarg); break;
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'q': nwhatif = atoi(optarg); break;
		case 'r': repeats = atoi(optarg); break;
		case 'P': named_pools = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: scale [-b GRANTD] [-D DIR] [-n GRANTS] [-s SEED] "
			    "[-q WHATIFS] [-r REPEATS] [-P NAMED]\n");
			return 2;
		}
	}
	if (target_grants < 1 || nwhatif < 1 || repeats < 1 || named_pools < 0 ||
	    named_pools > NPOOLS)
		bench_die("bad -n, -q, -r or -P");
	rng = seed;
	signal(SIGPIPE, SIG_IGN);
	if ((ka_buf = malloc(KA_BUF)) == NULL || (ms = calloc((size_t)(nwhatif > repeats ?
	    nwhatif : repeats) * 2, sizeof(*ms))) == NULL)
		bench_die("out of memory");
	uname(&u);
	printf("scale     grantd %s, seed %llu, target %ld grants, %d pools of %d B200; %s %s, "
	    "%ld CPUs\n", bench.grantd_bin, seed, target_grants, NPOOLS, POOL_CARDS, u.sysname,
	    u.release, sysconf(_SC_NPROCESSORS_ONLN));
	fflush(stdout);
	bench_make_dir();
	snprintf(errlog, sizeof(errlog), "%s/scale-grantd.log", bench.dir_base ? bench.dir_base :
	    "build/bench-tmp");
	bench_start_grantd(64, NULL, errlog);
	setup();
	fill();
	fflush(stdout);

	big = big_phase();
	for (int i = 0; i < nwhatif; i++)
		ms[i] = whatif(big, big->next_team + (i % 16), i % 10 == 0);
	summary("what-if", ms, nwhatif);
	printf("what-if   %d of %d answers checked against the brute force over all %d pools "
	    "disagree, %d against it over the first 254 (%s, %d cards, %d days)\n", whatif_wrong,
	    whatif_checked, NPOOLS, whatif_wrong254, big->id, big->cards, big->days);

	n = 0;
	for (int i = 0; i < nwhatif; i++) {
		struct phase *ph = &phases[1 + (int)(rnd() % NPHASES)];
		char path[160], at[32];
		uint64_t t0;
		int st;

		if (ph->next_team == 0)
			continue;
		bench_fmt_instant(time(NULL) - 3600 - i, at, sizeof(at));
		snprintf(path, sizeof(path), "/v1/teams/t%04d/quota?phase=%s&at=%s",
		    (int)(rnd() % (uint64_t)ph->next_team), ph->id, at);
		t0 = bench_now_ns();
		st = ka_request("GET", path, NULL, NULL);
		ms[n] = (double)(bench_now_ns() - t0) / 1e6;
		if (st == 200)
			n++;
		else if (st != 404)	/* a refused enrollment: no quota */
			bench_die("quota %s: %d %.200s", path, st, ka_buf);
	}
	if (n)
		summary("quota", ms, n);

	for (int i = 0; i < repeats; i++) {
		uint64_t t0 = bench_now_ns();

		if (ka_request("GET", "/v1/phases/f-500/fairness", NULL, NULL) != 200)
			bench_die("fairness: %.200s", ka_buf);
		ms[i] = (double)(bench_now_ns() - t0) / 1e6;
	}
	summary("fairness", ms, repeats);
	for (int i = 0; i < repeats; i++) {
		uint64_t t0 = bench_now_ns();

		if (ka_request("GET", "/metrics", NULL, NULL) != 200)
			bench_die("metrics: %.200s", ka_buf);
		ms[i] = (double)(bench_now_ns() - t0) / 1e6;
	}
	summary("metrics", ms, repeats);
	printf("rss       %ld kB at %ld grants\n", rss_kb(), grants_standing);
	fflush(stdout);

	{
		uint64_t t0;
		int st;

		ka_close();
		kill(bench.pid, SIGKILL);
		waitpid(bench.pid, &st, 0);
		t0 = bench_now_ns();
		bench_start_grantd(64, NULL, errlog);
		whatif(big, big->next_team, false);
		printf("restart   %.0f ms from SIGKILL to the first what-if answered (a token made "
		    "offline included); rss after %ld kB\n", (double)(bench_now_ns() - t0) / 1e6,
		    rss_kb());
	}
	ka_close();
	bench_stop_grantd();
	/* BENCH_KEEP set: the filled database stays, for a profiler. */
	if (getenv("BENCH_KEEP") != NULL)
		printf("kept      %s\n", bench.dir);
	else
		bench_remove_dir();
	return whatif_wrong254 ? 1 : 0;
}
