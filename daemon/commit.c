/* commit.c: batching the changes of one loop iteration into one durable COMMIT. */
#include <stdlib.h>

#include "app.h"
#include "calendar.h"
#include "commit.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "maint.h"
#include "metrics.h"
#include "vec.h"

struct waiter {
	commit_done_fn *done;
	void *arg;
};

/* Owned by app->batch; the waiters array grows and is reused. */
struct batch {
	struct app *app;
	bool open;
	struct waiter *w;
	size_t n, cap;
	uv_check_t check;
	uv_idle_t idle;
	bool has_check;
	bool kick_due;		/* waiters heard outside a flush: run kick */
	void (*kick)(struct app *);
	struct commit_stats stats;
};

/*
 * While a batch is open an idle handle is active, so the loop polls without
 * blocking and reaches the check phase at once.  Without it, a change begun
 * outside the poll phase (a timer, or a request libmicrohttpd ran while we
 * resumed others after a commit) would wait in an open transaction until
 * the next unrelated event.
 */
static void
on_idle(uv_idle_t *h)
{
	(void)h;
}

static void
on_check(uv_check_t *h)
{
	struct batch *b = h->data;

	if (!b->open && !b->kick_due)
		return;
	b->kick_due = false;
	commit_flush(b->app);
	if (b->kick)
		b->kick(b->app);
	if (!b->open && !b->kick_due)
		uv_idle_stop(&b->idle);
}

int
commit_init(struct app *app, uv_loop_t *loop, void (*kick)(struct app *))
{
	struct batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return GD_ENOMEM;
	b->app = app;
	b->kick = kick;
	if (loop) {
		uv_check_init(loop, &b->check);
		uv_idle_init(loop, &b->idle);
		b->check.data = b;
		uv_check_start(&b->check, on_check);
		b->has_check = true;
	}
	app->batch = b;
	return 0;
}

void
commit_close(struct app *app)
{
	if (app->batch && app->batch->has_check) {
		uv_close((uv_handle_t *)&app->batch->check, NULL);
		uv_close((uv_handle_t *)&app->batch->idle, NULL);
	}
}

/* After the loop has run the close callbacks. */
void
commit_free(struct app *app)
{
	if (app->batch == NULL)
		return;
	free(app->batch->w);
	free(app->batch);
	app->batch = NULL;
}

bool
commit_intact(struct app *app)
{
	struct batch *b = app->batch;
	size_t n = b->n;

	if (!b->open || db_in_transaction(app->w))
		return true;
	/*
	 * SQLite rolled the whole transaction back by itself (disk full, an
	 * I/O error): every change of the batch so far is gone, and each of
	 * their requests must hear so before anything else runs outside it.
	 */
	log_error("the open batch of %zu change(s) was rolled back by SQLite: %s", n,
	    db_errmsg(app->w));
	b->stats.failures++;
	token_cache_settle(&app->tokens);
	b->open = false;
	b->n = 0;
	for (size_t i = 0; i < n; i++)
		b->w[i].done(b->w[i].arg, false);
	if (b->has_check) {
		/* Keep the loop turning to the check phase, which resumes them. */
		b->kick_due = true;
		uv_idle_start(&b->idle, on_idle);
	}
	return false;
}

int
commit_begin(struct app *app)
{
	struct batch *b = app->batch;

	if (b->open && commit_intact(app))
		return 0;
	/* Transaction control goes through cached statements: this is the hot path. */
	if (db_begin(app->w, DB_IMMEDIATE) < 0) {
		log_error("cannot begin a transaction: %s", db_errmsg(app->w));
		return GD_EIO;
	}
	b->open = true;
	if (b->has_check)
		uv_idle_start(&b->idle, on_idle);
	return 0;
}

int
commit_reserve(struct app *app)
{
	struct batch *b = app->batch;

	return vec_reserve(&b->w, &b->cap, b->n + 1, sizeof(*b->w));
}

int
commit_wait(struct app *app, commit_done_fn *done, void *arg)
{
	struct batch *b = app->batch;
	int rc;

	if ((rc = commit_reserve(app)) < 0)
		return rc;
	b->w[b->n++] = (struct waiter){ done, arg };
	return 0;
}

/* The self-check app->check_calendar asks for: a difference is a bug, so it aborts. */
static void
check_calendar(struct app *app)
{
	int w = calendar_check(app->w), r = calendar_check(app->r);

	if ((w < 0 && w != GD_ENOMEM) || (r < 0 && r != GD_ENOMEM)) {
		log_error("the kept calendar differs from the store (writer %d, reader %d)", w, r);
		abort();
	}
}

/* Rolls the open batch back, or commits it; every waiter hears the outcome. */
static int
finish(struct app *app, bool commit)
{
	struct batch *b = app->batch;
	bool ok;
	size_t n = b->n;

	if (!b->open)
		return 0;
	/* The database file deleted, replaced or made unwritable: acknowledge nothing. */
	ok = commit && maint_watch(app) == 0 && db_commit(app->w) == 0;
	if (!ok) {
		/*
		 * The batch is all or nothing: a failed COMMIT (disk full, I/O
		 * error) leaves none of its changes, and every waiter hears so.
		 */
		if (commit)
			log_error("commit of %zu change(s) failed: %s", n, db_errmsg(app->w));
		db_rollback(app->w);
		b->stats.failures++;
	} else {
		b->stats.commits++;
		b->stats.changes += n;
		metrics_batch(&app->metrics, n);
		if (n > b->stats.max_batch)
			b->stats.max_batch = n;
	}
	/* A revocation in this batch is now committed or gone: drop cached tokens. */
	token_cache_settle(&app->tokens);
	b->open = false;
	b->n = 0;
	if (b->has_check && !b->kick_due)
		uv_idle_stop(&b->idle);
	for (size_t i = 0; i < n; i++)
		b->w[i].done(b->w[i].arg, ok);
	if (app->check_calendar)
		check_calendar(app);
	return ok ? 0 : GD_EIO;
}

int
commit_flush(struct app *app)
{
	return finish(app, true);
}

void
commit_abort(struct app *app)
{
	finish(app, false);
}

bool
commit_pending(const struct app *app)
{
	return app->batch && app->batch->open;
}

void
commit_stats(const struct app *app, struct commit_stats *out)
{
	*out = app->batch->stats;
}
