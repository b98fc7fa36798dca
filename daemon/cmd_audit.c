/* cmd_audit.c: `grantd audit verify`, the audit trail's hash chain and its published checkpoints. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "checkpoint.h"
#include "cmd.h"
#include "db.h"
#include "err.h"
#include "keys.h"
#include "store_audit.h"
#include "store_events.h"

/*
 * Every checkpoint of the file against the trail: its signature under the
 * ring's keys, then the trail must hold entry seq with the head it signed.
 * A trail cut short ends before a checkpoint's seq; a trail rewritten has
 * another hash there.  0 with *n checked, or 1 with err.
 */
static int
check_file(struct db *db, const char *file, const struct sig_key *keys, size_t nkeys,
    int64_t last, int64_t *n, int64_t *newest, char *err, size_t errlen)
{
	char line[2048], why[GD_ERRBUF], hash[CHECKPOINT_HEAD_HEX];
	struct checkpoint c;
	json_error_t je;
	int lineno = 0, rc = 0;
	FILE *f;

	if ((f = fopen(file, "re")) == NULL) {
		snprintf(err, errlen, "cannot read checkpoints %s: %s", file, strerror(errno));
		return 1;
	}
	*n = 0;
	*newest = -1;
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		json_t *j;

		lineno++;
		if (line[0] == '\n')
			continue;
		/* A line from the journal keeps its "checkpoint " word: taken as it is. */
		j = json_loads(strncmp(line, "checkpoint ", 11) == 0 ? line + 11 : line, 0, &je);
		if (j == NULL || checkpoint_parse(j, &c, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: not a checkpoint%s%s", file, lineno,
			    j ? ": " : "", j ? why : "");
			rc = 1;
		} else if (!checkpoint_verify(&c, keys, nkeys, why, sizeof(why))) {
			snprintf(err, errlen, "%s:%d: %s", file, lineno, why);
			rc = 1;
		} else if (c.seq > last) {
			snprintf(err, errlen, "audit trail cut short: it ends at entry %lld, but "
			    "checkpoint %s:%d signed entry %lld: newer rows were deleted",
			    (long long)last, file, lineno, (long long)c.seq);
			rc = 1;
		} else if (store_audit_hash(db, c.seq, hash, sizeof(hash)) < 0 ||
		    strcmp(hash, c.head) != 0) {
			snprintf(err, errlen, "audit trail rewritten: entry %lld is not the one "
			    "checkpoint %s:%d signed (its hash was %.16s...)", (long long)c.seq, file,
			    lineno, c.head);
			rc = 1;
		} else {
			(*n)++;
			if (c.seq > *newest)
				*newest = c.seq;
		}
		json_decref(j);
	}
	fclose(f);
	return rc;
}

/*
 * Whether a restore set the checkpoint file at path aside (cmd_backup.c):
 * a FILE.before-restore-SECONDS there, holding a line with head when head
 * is not NULL.  Its name in aside.
 */
static bool
set_aside(const char *path, const char *head, char *aside, size_t len)
{
	char dir[KEYS_PATH_MAX], prefix[KEYS_PATH_MAX + 32], line[2048], *slash;
	struct dirent *e;
	bool found = false;
	DIR *d;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL) {
		snprintf(prefix, sizeof(prefix), "%s.before-restore-", path);
		snprintf(dir, sizeof(dir), ".");
	} else {
		snprintf(prefix, sizeof(prefix), "%s.before-restore-", slash + 1);
		slash[slash == dir] = '\0';	/* "/x" keeps its "/" */
	}
	if ((d = opendir(dir)) == NULL)
		return false;
	while (!found && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0 ||
		    snprintf(aside, len, "%s/%s", dir, e->d_name) >= (int)len)
			continue;
		if (head == NULL) {
			found = true;
		} else if ((f = fopen(aside, "re")) != NULL) {
			while (!found && fgets(line, sizeof(line), f) != NULL)
				found = strstr(line, head) != NULL;
			fclose(f);
		}
	}
	closedir(d);
	return found;
}

/*
 * A trail with entries and no checkpoint checked: the warning in err, and
 * whether some should have been there (CMD_AUDIT_UNANCHORED) or may not
 * exist yet (0).  grantd appends a checkpoint of its timer or its stop to
 * the file before it adds the checkpoint.signed event to the feed
 * (checkpoints.c), so such an event beside a signing key says that grantd
 * published checkpoints beside this database -- unless a restore set the
 * file that holds it aside.  (A report's event commits a moment before its
 * line is appended: a kill between the two, with no checkpoint in the file
 * before, is taken for a deleted file.)  A copy of the database elsewhere
 * has no key beside it.
 */
static int
unanchored(const struct cmd_audit_in *in, const struct key_paths *paths, struct db *db,
    const struct cmd_audit_out *out, char *err, size_t errlen)
{
	char where[KEYS_PATH_MAX + 32], aside[KEYS_PATH_MAX + 64], head[CHECKPOINT_HEAD_HEX];
	bool published;

	snprintf(where, sizeof(where), "%s%s", paths->checkpoints,
	    out->checkpoint_file ? " (empty)" : " (absent)");
	if (in->checkpoints != NULL) {
		snprintf(err, errlen, "no checkpoint in %s, though the audit trail has %lld "
		    "entries: nothing checks that its newest rows are all there",
		    in->checkpoints, (long long)out->entries);
		return CMD_AUDIT_UNANCHORED;
	}
	published = access(paths->key, F_OK) == 0 &&
	    store_event_checkpoint_head(db, head, sizeof(head)) == 0 && head[0] != '\0';
	if (published && !set_aside(paths->checkpoints, head, aside, sizeof(aside))) {
		snprintf(err, errlen, "no checkpoint in %s, though the database's feed has a "
		    "checkpoint.signed event: grantd published checkpoints here, so the file was "
		    "deleted or emptied, or could not be written (the journal has them: "
		    "--checkpoint FILE); rows deleted from the trail's end go unnoticed without "
		    "them", where);
		return CMD_AUDIT_UNANCHORED;
	}
	if (published || set_aside(paths->checkpoints, NULL, aside, sizeof(aside))) {
		snprintf(err, errlen, "no checkpoint in %s: a restore set the earlier ones aside "
		    "(%s); grantd signs the restored trail's head when it next stops, or within "
		    "[signing] checkpoint_interval_minutes of running", where, aside);
		return 0;
	}
	snprintf(err, errlen, "no checkpoint in %s for the audit trail's %lld entries: grantd "
	    "signs one when it stops and every [signing] checkpoint_interval_minutes, so a "
	    "database that never ran here, or was killed before its first, has none; until "
	    "then rows deleted from the trail's end go unnoticed", where,
	    (long long)out->entries);
	return 0;
}

int
cmd_audit_verify(const struct cmd_audit_in *in, struct cmd_audit_out *out, char *err,
    size_t errlen)
{
	struct sig_key *keys = NULL;
	struct key_paths paths;
	char why[GD_ERRBUF];
	size_t nkeys = 0;
	struct db *db;
	int rc;

	err[0] = '\0';
	memset(out, 0, sizeof(*out));
	out->newest_checkpoint = -1;
	if (in->db == NULL) {
		snprintf(err, errlen, "audit verify needs --db");
		return 2;
	}
	keys_paths(in->db, &paths);
	if (db_open(in->db, DB_READER, 5000, &db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return 1;
	}
	rc = audit_verify(db, &out->entries, out->head, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "audit trail broken: %s", why);
		db_close(db);
		return 1;
	}
	/* The default file may be absent (see unanchored()); one named must be there. */
	out->checkpoint_file = in->checkpoints ? in->checkpoints : paths.checkpoints;
	if (in->checkpoints == NULL && access(paths.checkpoints, F_OK) < 0 && errno == ENOENT)
		out->checkpoint_file = NULL;
	rc = 0;
	if (out->checkpoint_file != NULL) {
		rc = keys_ring(in->keyring ? in->keyring : paths.ring, &keys, &nkeys, why,
		    sizeof(why));
		if (rc < 0) {
			snprintf(err, errlen, "%s", rc == GD_ENOENT ? "no public keys to check the "
			    "checkpoints with (--keyring FILE, from `grantd key show`)" : why);
			db_close(db);
			return 1;
		}
		rc = check_file(db, out->checkpoint_file, keys, nkeys, out->entries,
		    &out->checkpoints, &out->newest_checkpoint, err, errlen);
		free(keys);
	}
	if (rc == 0 && out->checkpoints == 0 && out->entries > 0)
		rc = unanchored(in, &paths, db, out, err, errlen);
	db_close(db);
	return rc;
}
