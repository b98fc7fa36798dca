/* cmd_audit.c: `grantd audit verify`, the audit trail's hash chain and its published checkpoints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "checkpoint.h"
#include "cmd.h"
#include "db.h"
#include "err.h"
#include "keys.h"
#include "store_audit.h"

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

int
cmd_audit_verify(const struct cmd_audit_in *in, struct cmd_audit_out *out, char *err,
    size_t errlen)
{
	struct sig_key *keys = NULL;
	struct key_paths paths;
	char why[GD_ERRBUF];
	size_t nkeys = 0;
	struct db *db;
	FILE *probe = NULL;
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
	/* The default file may be absent (a database that never ran); one named must be there. */
	out->checkpoint_file = in->checkpoints ? in->checkpoints : paths.checkpoints;
	if (in->checkpoints == NULL) {
		if ((probe = fopen(paths.checkpoints, "re")) == NULL) {
			out->checkpoint_file = NULL;
			db_close(db);
			return 0;
		}
		fclose(probe);
	}
	rc = keys_ring(in->keyring ? in->keyring : paths.ring, &keys, &nkeys, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s", rc == GD_ENOENT ? "no public keys to check the "
		    "checkpoints with (--keyring FILE, from `grantd key show`)" : why);
		db_close(db);
		return 1;
	}
	rc = check_file(db, out->checkpoint_file, keys, nkeys, out->entries, &out->checkpoints,
	    &out->newest_checkpoint, err, errlen);
	free(keys);
	db_close(db);
	return rc;
}
