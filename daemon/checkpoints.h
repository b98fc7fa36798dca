/* checkpoints.h: the audit chain's head signed and published outside the database. */
#ifndef GRANTD_CHECKPOINTS_H
#define GRANTD_CHECKPOINTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "checkpoint.h"
#include "keys.h"

struct app;
struct db;

/*
 * What a checkpoint is (lib/checkpoint.h) and why: deleting the newest rows
 * of the audit table, or rewriting them with a fresh chain of hashes,
 * passes the chain's own check; it cannot pass a signed statement of an
 * earlier head kept elsewhere.  grantd publishes one
 *   - every checkpoint interval when the trail has grown, from committed
 *     state (the reader),
 *   - with every fairness report, for the audit sequence it reflects, once
 *     the batch that produced it has committed,
 *   - when it stops,
 * each as a line appended (and synced) to the checkpoint file and as a
 * notice in the journal ("checkpoint {...}"), where `journalctl -u grantd`
 * keeps a copy the database cannot reach; and as a checkpoint.signed event
 * of the feed (admins and auditors), which webhooks carry further still
 * (a report's in the report's transaction, the others in their own).
 */
#define CHECKPOINTS_PENDING 64

/*
 * The tests' interval: the environment variable GRANTD_CHECKPOINT_INTERVAL_MS
 * (10 to 60000), read when the loop starts, replaces [signing]
 * checkpoint_interval_minutes, whose least is a minute of real time;
 * nothing else reads it.
 */
#define CHECKPOINTS_INTERVAL_ENV "GRANTD_CHECKPOINT_INTERVAL_MS"
#define CHECKPOINTS_INTERVAL_ENV_MAX_MS 60000

struct checkpoints {
	struct key_paths paths;
	struct sig_key key;
	bool ready;				/* the key is loaded */
	int64_t last_seq;			/* the newest published; -1 none */
	struct checkpoint pending[CHECKPOINTS_PENDING];	/* waiting for the batch's commit */
	size_t npending;
	bool waiting;				/* a commit waiter is registered */
};

/*
 * Loads the signing key (made, of alg, when there is none) and learns the
 * newest published checkpoint from the file.  0, or GD_* with err.
 */
int checkpoints_open(struct checkpoints *cp, const struct key_paths *paths, enum sig_alg alg,
    int64_t now, char *err, size_t errlen);
void checkpoints_close(struct checkpoints *cp);

/*
 * A checkpoint of entry seq (-1: the newest) as db sees it, signed at now.
 * GD_ENOENT when the trail is empty or has no entry seq.
 */
int checkpoints_make(const struct checkpoints *cp, struct db *db, int64_t seq, int64_t now,
    struct checkpoint *c);

/* Appends c to the checkpoint file and the journal: 0, or GD_EIO (logged). */
int checkpoints_publish(struct checkpoints *cp, const struct checkpoint *c);

/*
 * The timer's and the stop's checkpoint: the committed head, signed and
 * published if it moved since the last one.
 */
void checkpoints_tick(struct app *app);

/*
 * Signs a fairness report: adds "checkpoint" (the audit sequence it
 * reflects, signed now) and then "signature" over the whole document
 * (lib/checkpoint.h doc_sign); the checkpoint is published once the open
 * batch commits.  Without a key, nothing is added.
 */
int checkpoints_sign_report(struct app *app, struct db *db, json_t *report, int64_t now);

#endif
