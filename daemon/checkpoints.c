/* checkpoints.c: signing the audit head, and appending it where database rows cannot reach. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "checkpoints.h"
#include "commit.h"
#include "db.h"
#include "err.h"
#include "events.h"
#include "log.h"
#include "maint.h"
#include "store_audit.h"

/* The newest seq of the checkpoint file (-1 when none): read at start, to not repeat it. */
static int64_t
file_last_seq(const char *path)
{
	char line[1024];
	int64_t last = -1;
	json_error_t je;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		json_t *j = json_loads(line, 0, &je);
		json_int_t seq = json_integer_value(json_object_get(j, "seq"));

		if (j != NULL && seq > last)
			last = seq;
		json_decref(j);
	}
	fclose(f);
	return last;
}

int
checkpoints_open(struct checkpoints *cp, const struct key_paths *paths, enum sig_alg alg,
    int64_t now, char *err, size_t errlen)
{
	bool made = false;
	int rc;

	memset(cp, 0, sizeof(*cp));
	cp->paths = *paths;
	cp->last_seq = -1;
	if ((rc = keys_ensure(paths, alg, now, &cp->key, &made, err, errlen)) < 0)
		return rc;
	if (made)
		log_notice("made a %s signing key, %s, in %s; its public key is in %s "
		    "(`grantd key show`)", sig_alg_name(cp->key.alg), cp->key.id, paths->key,
		    paths->ring);
	else
		log_info("signing checkpoints and reports with %s key %s",
		    sig_alg_name(cp->key.alg), cp->key.id);
	/* The setting chooses only a key grantd makes: one made before keeps its own. */
	if (!made && cp->key.alg != alg)
		log_warn("[signing] algorithm is %s, but the signing key %s in %s is %s, and "
		    "signs as such: the setting applies only to a key grantd makes; `grantd key "
		    "rotate --db DB --algorithm %s` (as the service's user, then a restart) "
		    "changes the key, or set the algorithm to %s to match it", sig_alg_name(alg),
		    cp->key.id, paths->key, sig_alg_name(cp->key.alg), sig_alg_name(alg),
		    sig_alg_name(cp->key.alg));
	cp->ready = true;
	cp->last_seq = file_last_seq(paths->checkpoints);
	return 0;
}

void
checkpoints_close(struct checkpoints *cp)
{
	sig_key_wipe(&cp->key);
	cp->ready = false;
}

int
checkpoints_make(const struct checkpoints *cp, struct db *db, int64_t seq, int64_t now,
    struct checkpoint *c)
{
	int rc;

	memset(c, 0, sizeof(*c));
	if (!cp->ready)
		return GD_ENOENT;
	if (seq < 0)
		rc = store_audit_last(db, &c->seq, c->head, sizeof(c->head));
	else if ((rc = store_audit_hash(db, seq, c->head, sizeof(c->head))) == 0)
		c->seq = seq;
	if (rc < 0)
		return rc;
	c->at = now;
	return checkpoint_sign(c, &cp->key);
}

int
checkpoints_publish(struct checkpoints *cp, const struct checkpoint *c)
{
	json_t *j = checkpoint_json(c);
	char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
	size_t len;
	int fd, rc = 0;

	json_decref(j);
	if (line == NULL)
		return GD_ENOMEM;
	/* The journal first: it is there even when the file's disk is not. */
	log_record("checkpoint %s", line);
	len = strlen(line);
	line[len++] = '\n';	/* json_dumps left room: the NUL becomes the newline */
	if ((fd = open(cp->paths.checkpoints, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0 || write(fd, line, len) != (ssize_t)len || fsync(fd) < 0) {
		log_error("cannot append checkpoint %lld to %s: %s (the journal has it)",
		    (long long)c->seq, cp->paths.checkpoints, strerror(errno));
		rc = GD_EIO;
	}
	if (fd >= 0)
		close(fd);
	free(line);
	if (rc == 0 && c->seq > cp->last_seq)
		cp->last_seq = c->seq;
	return rc;
}

/*
 * The feed's copy of a checkpoint (checkpoint.signed, for admins and
 * auditors alone): a webhook's receiver then keeps one more copy where
 * the database cannot reach it.  In db's open transaction.
 */
static int
signed_event(struct db *db, const struct checkpoint *c)
{
	json_t *j = checkpoint_json(c);
	char resource[40];
	int rc;

	if (j == NULL)
		return GD_ENOMEM;
	snprintf(resource, sizeof(resource), "audit/%lld", (long long)c->seq);
	rc = events_notice(db, "checkpoint.signed", c->at, resource, NULL, j);
	json_decref(j);
	return rc;
}

/*
 * The event of a checkpoint the timer or the stop signed, which no change
 * writes: on the loop a savepoint of the batch, committed with it; after
 * the loop (app->batch gone: the stop's checkpoint) a transaction of its
 * own, if the database file is still the one opened.
 */
static void
note_signed(struct app *app, const struct checkpoint *c)
{
	int rc;

	if (app->batch != NULL) {
		if ((rc = commit_begin(app)) == 0 && (rc = db_savepoint(app->w, "notice")) == 0)
			rc = db_savepoint_end(app->w, "notice", signed_event(app->w, c));
	} else if ((rc = maint_watch(app)) == 0 &&
	    (rc = db_begin(app->w, DB_IMMEDIATE)) == 0) {
		if ((rc = signed_event(app->w, c)) == 0)
			rc = db_commit(app->w);
		if (rc < 0)
			db_rollback(app->w);
	}
	if (rc < 0)
		log_warn("checkpoint of audit entry %lld: no checkpoint.signed event: %s",
		    (long long)c->seq, db_errmsg(app->w));
}

void
checkpoints_tick(struct app *app)
{
	struct checkpoints *cp = &app->checkpoints;
	struct checkpoint c;
	int64_t seq;
	char head[CHECKPOINT_HEAD_HEX];

	if (!cp->ready || app->r == NULL)
		return;
	if (store_audit_last(app->r, &seq, head, sizeof(head)) < 0 || seq <= cp->last_seq)
		return;
	if (checkpoints_make(cp, app->r, seq, app_now(app), &c) < 0) {
		log_error("cannot sign a checkpoint of audit entry %lld", (long long)seq);
		return;
	}
	/* Told even when the file failed: the journal and the feed then hold it. */
	checkpoints_publish(cp, &c);
	note_signed(app, &c);
}

/* The batch that produced the reports ended: publish their checkpoints if it committed. */
static void
on_batch_done(void *arg, bool committed)
{
	struct app *app = arg;
	struct checkpoints *cp = &app->checkpoints;

	for (size_t i = 0; committed && i < cp->npending; i++)
		checkpoints_publish(cp, &cp->pending[i]);
	cp->npending = 0;
	cp->waiting = false;
}

int
checkpoints_sign_report(struct app *app, struct db *db, json_t *report, int64_t now)
{
	struct checkpoints *cp = &app->checkpoints;
	json_int_t seq = json_integer_value(json_object_get(report, "audit_seq"));
	struct checkpoint c;
	int rc;

	if (!cp->ready)
		return 0;
	if (seq > 0) {
		/* The event in the report's own transaction: both are kept, or neither. */
		if ((rc = checkpoints_make(cp, db, seq, now, &c)) < 0 ||
		    (rc = signed_event(db, &c)) < 0)
			return rc;
		json_object_set_new(report, "checkpoint", checkpoint_json(&c));
		/*
		 * The entry it names may be in the open batch: published only
		 * once that commits, never a head that a rollback took away.
		 */
		if (cp->npending < CHECKPOINTS_PENDING && (cp->waiting ||
		    (commit_reserve(app) == 0 && commit_wait(app, on_batch_done, app) == 0))) {
			cp->waiting = true;
			cp->pending[cp->npending++] = c;
		} else {
			/* The report still carries it; the hourly one anchors the head. */
			log_warn("checkpoint of audit entry %lld not published: %d reports in "
			    "one batch already wait for its commit", (long long)c.seq,
			    CHECKPOINTS_PENDING);
		}
	}
	return doc_sign(report, &cp->key);
}
