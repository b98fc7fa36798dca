/* test_webhooks.c: signed deliveries to a real receiver on loopback, refusals, and SIGKILL. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "hookrecv.h"

#define CONF "[webhooks]\nallow_http = true\nallow_private = true\nretry_hours = 72\n" \
	"timeout_s = 5\n"
#define MAXGOT 512

/*
 * The receiver: a thread answering one request per connection.  Every
 * request's signature is checked against the secret of its path's webhook;
 * `status` is what it answers (read at each request).
 */
struct got {
	char path[32], id[64], type[64], *body;
	bool sig_ok;
};

static struct receiver {
	struct hookrecv rx;
	int port;
	pthread_mutex_t mu;
	char secret[2][80];	/* of /a and /b */
	int status;
	struct got got[MAXGOT];
	int n, bad;
} R;

/* Records a request to /a or /b with its signature checked; answers R.status. */
static int
on_request(const struct hook_req *rq, void *arg)
{
	int status;

	(void)arg;
	pthread_mutex_lock(&R.mu);
	status = R.status;
	if (status == 200 && R.n < MAXGOT) {
		struct got *g = &R.got[R.n++];
		const char *secret = R.secret[strcmp(rq->path, "/b") == 0];

		snprintf(g->path, sizeof(g->path), "%s", rq->path);
		snprintf(g->id, sizeof(g->id), "%s", rq->id);
		snprintf(g->type, sizeof(g->type), "%s", rq->type);
		g->body = strdup(rq->body);
		g->sig_ok = hook_sig_ok(secret, rq->sig, rq->body, rq->len);
		if (!g->sig_ok)
			R.bad++;
	}
	pthread_mutex_unlock(&R.mu);
	return status;
}

static void
receiver_start(void)
{
	memset(&R, 0, sizeof(R));
	pthread_mutex_init(&R.mu, NULL);
	R.status = 200;
	hookrecv_start(&R.rx, on_request, NULL, 0);
	R.port = R.rx.port;
}

static void
receiver_stop(void)
{
	hookrecv_stop(&R.rx);
	for (int i = 0; i < R.n; i++)
		free(R.got[i].body);
}

static void
set_status(int s)
{
	pthread_mutex_lock(&R.mu);
	R.status = s;
	pthread_mutex_unlock(&R.mu);
}

/* How many requests of type (NULL: any) reached path; waits up to ms for at least want. */
static int
wait_got(const char *path, const char *type, int want, int ms)
{
	int k = 0;

	for (int t = 0; t <= ms; t += 50) {
		k = 0;
		pthread_mutex_lock(&R.mu);
		for (int i = 0; i < R.n; i++)
			if (strcmp(R.got[i].path, path) == 0 &&
			    (type == NULL || strcmp(R.got[i].type, type) == 0))
				k++;
		pthread_mutex_unlock(&R.mu);
		if (k >= want)
			return k;
		usleep(50 * 1000);
	}
	return k;
}

static void
world(struct harness *h)
{
	json_decref(h_must(h_post(h, h->admin, "/v1/programs", "{\"id\":\"p\",\"name\":\"P\","
	    "\"timezone\":\"UTC\"}"), 201, "programme"));
	json_decref(h_must(h_post(h, h->admin, "/v1/programs/p/phases", "{\"id\":\"ph\","
	    "\"name\":\"Phase\",\"starts_on\":\"2026-03-01\",\"period_days\":10,\"package\":"
	    "{\"card_model\":\"B200\",\"cards\":8,\"voucher_krw\":1000000}}"), 201, "phase"));
	json_decref(h_must(h_post(h, h->admin, "/v1/pools", "{\"id\":\"b1\",\"provider\":\"P\","
	    "\"site\":\"S\",\"card_model\":\"B200\",\"cards\":16}"), 201, "pool"));
	json_decref(h_must(h_post(h, h->admin, "/v1/teams", "{\"id\":\"alpha\",\"name\":\"A\","
	    "\"lead_org\":\"Alpha Org\"}"), 201, "team"));
}

static json_t *
webhook(struct harness *h, const char *token, const char *path, const char *types, int i)
{
	json_t *w = h_must(h_post(h, token, "/v1/webhooks", "{\"url\":\"http://127.0.0.1:%d%s\","
	    "\"types\":%s}", R.port, path, types), 201, "webhook");

	ck_assert_int_eq(strncmp(h_str(w, "secret"), "whsec_", 6), 0);
	if (i >= 0)
		snprintf(R.secret[i], sizeof(R.secret[i]), "%s", h_str(w, "secret"));
	return w;
}

/* An outage reaches the admin's webhook, signed, within a second; a team's to loopback is refused. */
START_TEST(signed_delivery)
{
	struct harness h;
	json_t *w, *tw, *d, *it;
	char *tteam, path[96];
	size_t i;
	bool refused = false;

	receiver_start();
	h_init(&h, CONF);
	h_clock(&h, "2026-03-01T00:00:00Z");
	h_start(&h);
	world(&h);
	w = webhook(&h, h.admin, "/a", "[\"outage.recorded\",\"webhook.test\"]", 0);
	ck_assert_str_eq(h_str(w, "id"), "wh_1");
	tteam = h_token(&h, "team", "alpha", NULL);
	tw = webhook(&h, tteam, "/b", "[\"*\"]", 1);
	ck_assert_str_eq(h_str(tw, "team"), "alpha");
	json_decref(h_must(h_post(&h, h.admin, "/v1/phases/ph/enrollments", "{\"team\":\"alpha\","
	    "\"grants\":[{\"pool\":\"b1\",\"cards\":8}]}"), 201, "enrollment"));
	json_decref(h_must(h_post(&h, h.admin, "/v1/pools/b1/outages", "{\"from\":"
	    "\"2026-03-02T00:00:00Z\",\"to\":\"2026-03-03T00:00:00Z\",\"cards\":4,\"reason\":"
	    "\"power\"}"), 201, "outage"));
	ck_assert_int_eq(wait_got("/a", "outage.recorded", 1, 1000), 1);
	pthread_mutex_lock(&R.mu);
	ck_assert_int_eq(R.bad, 0);
	ck_assert(R.got[0].sig_ok);
	{
		json_t *b = json_loads(R.got[0].body, 0, NULL);

		ck_assert_ptr_nonnull(b);
		ck_assert_str_eq(h_str(b, "id"), R.got[0].id);
		ck_assert_str_eq(h_str(b, "type"), "outage.recorded");
		ck_assert_str_eq(h_str(b, "resource"), "pool/b1/outage/1");
		json_decref(b);
	}
	pthread_mutex_unlock(&R.mu);

	/* The test ping. */
	json_decref(h_must(h_post(&h, h.admin, "/v1/webhooks/wh_1/test", "{}"), 202, "test"));
	ck_assert_int_eq(wait_got("/a", "webhook.test", 1, 2000), 1);

	/* The team's webhook points at loopback: never sent, the refusal recorded. */
	for (int t = 0; t < 40 && !refused; t++) {
		usleep(100 * 1000);
		snprintf(path, sizeof(path), "/v1/webhooks/%s/deliveries", h_str(tw, "id"));
		d = h_must(h_get(&h, tteam, path), 200, "deliveries");
		json_array_foreach(json_object_get(d, "items"), i, it)
			if (strstr(h_str(it, "error"), "refused") != NULL)
				refused = true;
		json_decref(d);
	}
	ck_assert(refused);
	ck_assert_int_eq(wait_got("/b", NULL, 0, 0), 0);
	/* A team sees its own webhooks only; another's is 404. */
	d = h_must(h_get(&h, tteam, "/v1/webhooks"), 200, "list");
	ck_assert_int_eq(json_array_size(json_object_get(d, "items")), 1);
	ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(d, "items"), 0),
	    "secret"));
	json_decref(d);
	json_decref(h_check(h_req(&h, "DELETE", "/v1/webhooks/wh_1", tteam, NULL, NULL), 404,
	    "not_found", "another's"));
	json_decref(h_check(h_post(&h, h.admin, "/v1/webhooks", "{\"url\":\"ftp://x/\","
	    "\"types\":[\"*\"]}"), 400, "bad_request", "ftp"));
	json_decref(w);
	json_decref(tw);
	free(tteam);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	receiver_stop();
}
END_TEST

/*
 * The acceptance as an operator meets it: grantctl registers the
 * webhook (its secret printed once), grantctl records an outage, and the
 * receiver has a signed outage.recorded within a second.
 */
START_TEST(operator_with_grantctl)
{
	struct harness h;
	char url[96], *out = NULL, *sec;
	const char *made[] = { h_ctl_bin(), "webhook", "create", url, "--types",
		"outage.recorded", NULL };
	const char *outage[] = { h_ctl_bin(), "outage", "create", "b1", "--from",
		"2026-03-02T00:00:00Z", "--to", "2026-03-03T00:00:00Z", "--cards", "4", "--reason",
		"power", NULL };

	receiver_start();
	h_init(&h, CONF);
	h_clock(&h, "2026-03-01T00:00:00Z");
	h_start(&h);
	world(&h);
	setenv("GRANTD_URL", h.base, 1);
	setenv("GRANTD_TOKEN", h.admin, 1);
	setenv("HOME", h.dir, 1);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/a", R.port);
	ck_assert_int_eq(h_run(made, &out), 0);
	ck_assert_msg((sec = strstr(out, "whsec_")) != NULL, "grantctl webhook create: %s", out);
	pthread_mutex_lock(&R.mu);
	sscanf(sec, "%79s", R.secret[0]);
	pthread_mutex_unlock(&R.mu);
	free(out);
	ck_assert_int_eq(h_run(outage, &out), 0);
	free(out);
	ck_assert_int_eq(wait_got("/a", "outage.recorded", 1, 1000), 1);
	pthread_mutex_lock(&R.mu);
	ck_assert_int_eq(R.bad, 0);
	ck_assert(R.got[0].sig_ok);
	ck_assert_str_eq(R.got[0].type, "outage.recorded");
	pthread_mutex_unlock(&R.mu);
	unsetenv("GRANTD_URL");
	unsetenv("GRANTD_TOKEN");
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	receiver_stop();
}
END_TEST

/*
 * Deliveries queued behind a failing receiver, grantd SIGKILLed, the
 * receiver mended and grantd started again: every event arrives, in the
 * feed's order, each id always with the same body.
 */
START_TEST(crash_loses_nothing)
{
	struct harness h;
	json_t *feed, *it, *w;
	size_t i;
	int st, n;

	receiver_start();
	h_init(&h, CONF);
	h_clock(&h, "2026-03-01T00:00:00Z");
	h_start(&h);
	world(&h);
	w = webhook(&h, h.admin, "/a", "[\"*\"]", 0);
	set_status(503);
	for (int k = 0; k < 12; k++) {
		json_decref(h_must(h_post(&h, h.admin, "/v1/teams", "{\"id\":\"t%d\",\"name\":"
		    "\"T%d\",\"lead_org\":\"O%d\"}", k, k, k), 201, "team"));
		if (k == 5)
			set_status(200);	/* some arrive before the kill */
		if (k == 7)
			set_status(503);
	}
	usleep(300 * 1000);
	kill(h.pid, SIGKILL);
	waitpid(h.pid, &st, 0);
	close(h.out_fd);
	h.out_fd = -1;
	h.pid = -1;
	set_status(200);
	h_clock(&h, "2026-03-01T06:00:00Z");	/* past every back-off */
	h_restart(&h);
	n = wait_got("/a", "team.created", 12, 10000);
	ck_assert_int_ge(n, 12);
	feed = h_must(h_get(&h, h.admin, "/v1/events?type=team.created&limit=1000"), 200, "feed");
	/* alpha's came before the webhook: the webhook starts at the newest event. */
	ck_assert_int_eq(json_array_size(json_object_get(feed, "items")), 13);
	ck_assert_str_eq(h_str(json_array_get(json_object_get(feed, "items"), 0), "resource"),
	    "team/alpha");
	json_array_remove(json_object_get(feed, "items"), 0);
	pthread_mutex_lock(&R.mu);
	ck_assert_int_eq(R.bad, 0);
	json_array_foreach(json_object_get(feed, "items"), i, it) {
		int first = -1;

		for (int k = 0; k < R.n; k++) {
			if (strcmp(R.got[k].id, h_str(it, "id")) != 0)
				continue;
			if (first < 0)
				first = k;
			/* A duplicate is the same event: the same id, the same body. */
			ck_assert_str_eq(R.got[k].body, R.got[first].body);
		}
		ck_assert_msg(first >= 0, "event %s never arrived", h_str(it, "id"));
	}
	/* In order: each id's first arrival after the one before it in the feed. */
	{
		int prev = -1;

		json_array_foreach(json_object_get(feed, "items"), i, it) {
			int first = -1;

			for (int k = 0; k < R.n && first < 0; k++)
				if (strcmp(R.got[k].id, h_str(it, "id")) == 0)
					first = k;
			ck_assert_int_gt(first, prev);
			prev = first;
		}
	}
	pthread_mutex_unlock(&R.mu);
	json_decref(feed);
	json_decref(w);
	ck_assert_int_eq(h_stop(&h), 0);
	h_cleanup(&h);
	receiver_stop();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("webhooks");
	TCase *tc = tcase_create("webhooks");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, signed_delivery);
	tcase_add_test(tc, operator_with_grantctl);
	tcase_add_test(tc, crash_loses_nothing);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
