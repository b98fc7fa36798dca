/* quota.h: a team's quota figures (GET /v1/teams/{team}/quota) and the cache of its answers. */
#ifndef GRANTD_QUOTA_H
#define GRANTD_QUOTA_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * A team's quota as the contract gives it (see lib/report.h for every
 * figure), read in one snapshot of db.  phase may be NULL when the team has
 * exactly one enrollment.  0 with *out, or a GD_* code with a detail in err:
 * GD_ENOENT (no such team, or not enrolled), GD_EINVAL (phase needed: err
 * lists the phases), GD_EIO, GD_ENOMEM, GD_ERANGE.
 */
int quota_json(struct db *db, const char *team, const char *phase, int64_t at,
    json_t **out, char *err, size_t errlen);

/*
 * Recent answers as JSON text, keyed by the version of the committed state
 * they were computed from, so that repeated polls of an unchanged state cost
 * a lookup.  One per daemon, in struct app; it owns every text (malloc'd)
 * and quota_cache_clear frees them.  An all-zero cache is empty.
 */
#define QUOTA_CACHE_SLOTS 64
#define QUOTA_ID_LEN 64		/* ID_MAX + 1 */

struct quota_entry {
	const struct db *db;
	int64_t version, at;
	size_t flags;		/* json_dumps flags the text was written with */
	char team[QUOTA_ID_LEN], phase[QUOTA_ID_LEN];
	char *text;
	size_t len;
	uint64_t used;
};

struct quota_cache {
	struct quota_entry slot[QUOTA_CACHE_SLOTS];
	uint64_t tick;
	const struct db *owner;		/* the connection the entries were read on */
	char owner_file[4096];		/* and its file: a reopened one starts afresh */
};

/* Drops every cached answer (before closing or reopening the reader). */
void quota_cache_clear(struct quota_cache *c);

/*
 * The answer of quota_json as JSON text written with json_dumps(flags),
 * from c when it holds the answer for the current state (c NULL: no
 * cache).  writer (may be NULL) is the daemon's writer connection: when db
 * is the reader beside it, the writer's change count is the version of
 * the state; without it the reader's data_version is.  *text is malloc'd.
 * Codes as quota_json.
 */
int quota_text(struct quota_cache *c, struct db *writer, struct db *db, const char *team,
    const char *phase, int64_t at, size_t flags, char **text, size_t *len, char *err,
    size_t errlen);

#endif
