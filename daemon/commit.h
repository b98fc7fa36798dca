/* commit.h: group commit: every change of one loop iteration in one transaction. */
#ifndef GRANTD_COMMIT_H
#define GRANTD_COMMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct app;

typedef void commit_done_fn(void *arg, bool committed);

/*
 * With a loop, a uv_check handle flushes the batch after each poll phase,
 * then calls kick (the HTTP layer runs MHD so resumed connections answer).
 * Without a loop (route tests) the caller flushes by hand.
 */
int commit_init(struct app *app, uv_loop_t *loop, void (*kick)(struct app *));
void commit_close(struct app *app);
void commit_free(struct app *app);

/* Opens the batch transaction (BEGIN IMMEDIATE) unless it is open. */
int commit_begin(struct app *app);

/*
 * Makes room for one more waiter, so that a change, once written, can
 * always wait for its commit (commit_wait cannot fail after this).
 */
int commit_reserve(struct app *app);

/* Registers a callback to run once the open batch commits or fails. */
int commit_wait(struct app *app, commit_done_fn *done, void *arg);

/*
 * COMMITs the open batch, or rolls it back when COMMIT fails, and calls
 * every waiter with the outcome.  Returns 0 or GD_EIO.
 */
int commit_flush(struct app *app);

/*
 * False when SQLite rolled the open batch back by itself (disk full, I/O
 * error): the batch's waiters have then heard it failed, and the caller's
 * own change is gone too.  Callers check after every change.
 */
bool commit_intact(struct app *app);

/* Rolls the open batch back; waiters hear it failed. */
void commit_abort(struct app *app);

bool commit_pending(const struct app *app);

struct commit_stats {
	uint64_t commits, failures, changes, max_batch;
};
void commit_stats(const struct app *app, struct commit_stats *out);

#endif
