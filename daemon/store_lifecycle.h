/* store_lifecycle.h: SQL for the daemon's time-based transitions. */
#ifndef GRANTD_STORE_LIFECYCLE_H
#define GRANTD_STORE_LIFECYCLE_H

#include <stdbool.h>
#include <stdint.h>

#include "request.h"

struct db;

enum due_kind {
	DUE_GRANT_START,
	DUE_GRANT_END,
	DUE_WINDOW_END,
	DUE_EVALUATION,
	DUE_VOUCHER_CLOSE,	/* an elimination's effective date: its voucher closes */
};

struct due {
	int64_t at;
	enum due_kind kind;
	int64_t ref;			/* grant or enrollment id */
	char phase[ID_MAX + 1];		/* evaluations (ref: the enrollment) */
};

/* Every transition due at or before now, unsorted; *out malloc'd. */
int store_due(struct db *db, int64_t now, struct due **out, size_t *n);

/* The earliest transition not yet applied (it may be due already), or -1. */
int64_t store_next_due(struct db *db);

int store_grant_noted(struct db *db, int64_t grant, int noted);
int store_evaluation_noted(struct db *db, int64_t enrollment);

/*
 * A time-based transition that failed (schema/008): notes the try, with
 * *first true when it had not failed before (the caller then audits it),
 * and forgets it once it succeeds.
 */
int store_timer_failure_note(struct db *db, const char *kind, const char *target,
    int64_t due_at, int64_t now, const char *error, bool *first);
int store_timer_failure_clear(struct db *db, const char *kind, const char *target,
    int64_t due_at);

#endif
