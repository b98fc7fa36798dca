/*
 * cmd.h: the offline subcommands: token create, audit verify, ledger and
 * calendar verify, backup, restore.
 */
#ifndef GRANTD_CMD_H
#define GRANTD_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "maint.h"
#include "token.h"

/*
 * Each returns the process's exit status: 0, 1 (failure) or 2 (bad
 * arguments), with a one-line message in err unless 0 (CMD_ERRBUF bytes
 * hold any: it may name two paths).  None prints: main.c says err on
 * stderr and the result on stdout.
 */
#define CMD_ERRBUF MAINT_ERRBUF

/* cmd_token.c */

/* `grantd token create`: its options, as given (NULL where absent). */
struct cmd_token_in {
	const char *db, *role, *name, *team, *pool;
	const char *node;	/* an agent token bound to one node of its pool; NULL: any */
	const char *ttl;	/* how long it lasts: "90d", "12h", "30m", "3600s" or seconds; NULL: ever */
	const char *clock_file;	/* the daemon's test clock, or NULL */
	bool init;		/* a new database where an old one's files remain */
};
/*
 * Creates the token, audited, in a database that is there (the daemon may
 * run), or in a new one made under the lock (maint_prepare, whose notes
 * are filled here and said before err or the secret).  On 0, secret holds
 * the token to show once; the caller wipes it.
 */
int cmd_token_create(const struct cmd_token_in *in, char secret[TOKEN_SECRET_LEN + 1],
    struct maint_notes *notes, char *err, size_t errlen);

/*
 * cmd_audit.c: `grantd audit verify --db PATH [--checkpoint FILE]
 * [--keyring FILE]`: the hash chain, then every published checkpoint
 * (keys.h: by default the files beside the database) against it, so that
 * a trail cut short or rewritten is caught by what was kept outside it.
 *
 * A trail with entries and no checkpoint to check it against is not
 * vouched for: 0 with a warning in err where none may exist yet (grantd
 * never stopped beside this database, or a restore set them aside), and
 * CMD_AUDIT_UNANCHORED with the reason where some should: a file named
 * that holds none, or the default file missing or empty although the
 * database's own feed says grantd signed checkpoints of it.
 */
#define CMD_AUDIT_UNANCHORED 3

struct cmd_audit_in {
	const char *db, *checkpoints, *keyring;	/* NULL: the defaults */
};
struct cmd_audit_out {
	int64_t entries;
	char head[AUDIT_HASH_HEX];
	const char *checkpoint_file;	/* the file read, or NULL when the default was absent */
	int64_t checkpoints;		/* how many checked; 0: none, newest_checkpoint -1 */
	int64_t newest_checkpoint;
};
int cmd_audit_verify(const struct cmd_audit_in *in, struct cmd_audit_out *out, char *err,
    size_t errlen);

/*
 * cmd_key.c: `grantd key create|rotate [--algorithm ALG]` and `grantd key
 * show`, for the signing key beside --db (keys.h); show prints the public
 * key ring, what a verifier needs.
 */
int cmd_key(const char *verb, const char *db_path, const char *alg_name, const char *clock_file,
    FILE *out, char *err, size_t errlen);

/*
 * cmd_calendar.c: `grantd calendar verify --db PATH` (calendar_verify in one
 * read transaction); on 0, the pools and live grants checked.
 */
int cmd_calendar_verify(const char *db_path, size_t *pools, size_t *grants, char *err,
    size_t errlen);

/* cmd_ledger.c: `grantd ledger verify --db PATH`; on 0, the counts checked. */
int cmd_ledger_verify(const char *db_path, int64_t *accounts, int64_t *transfers, char *err,
    size_t errlen);

/*
 * cmd_backup.c: `grantd backup --db PATH FILE`, an online copy into a new
 * file of mode 0600, and `grantd restore --db PATH FILE`, which proves the
 * backup (maint_verify_source) before it replaces anything, under the
 * daemon's lock.
 */
int cmd_backup(const char *db_path, const char *file, char *err, size_t errlen);
int cmd_restore(const char *db_path, const char *file, char *err, size_t errlen);

#endif
