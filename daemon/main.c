/* main.c: grantd's command line: the daemon, -n, and the offline subcommands. */
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "calendar.h"
#include "checkpoints.h"
#include "cmd.h"
#include "cmd_report.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "maint.h"
#include "tls.h"
#include "version.h"

#define DEFAULT_CONFIG "/etc/grantd/grantd.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grantd [-c FILE] [--listen ADDR:PORT] [--db PATH] [--init]\n"
	    "       grantd -n [-c FILE]\n"
	    "       grantd token create --db PATH --role ROLE --name NAME [--team T] [--pool P]\n"
	    "                           [--node N] [--ttl DURATION] [--init]\n"
	    "       grantd audit verify --db PATH [--checkpoint FILE] [--keyring FILE]\n"
	    "       grantd key create|rotate --db PATH [--algorithm ed25519|ecdsa-p256]\n"
	    "       grantd key show --db PATH\n"
	    "       grantd ledger verify --db PATH\n"
	    "       grantd calendar verify --db PATH\n"
	    "       grantd report --db PATH --phase PHASE [--csv] FILE\n"
	    "       grantd backup --db PATH FILE\n"
	    "       grantd restore --db PATH FILE\n"
	    "       grantd --version\n");
}

/* Options shared by the daemon and the subcommands. */
struct opts {
	const char *config, *listen, *db, *role, *name, *team, *pool, *node, *clock_file, *phase;
	const char *ttl;
	const char *checkpoint, *keyring, *algorithm;
	bool check, csv;
	bool init;	/* a new database where an old one's files remain (maint_prepare) */
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'N' },
		{ "team", required_argument, NULL, 't' },
		{ "pool", required_argument, NULL, 'p' },
		{ "node", required_argument, NULL, 'o' },
		{ "ttl", required_argument, NULL, 'T' },
		{ "checkpoint", required_argument, NULL, 'K' },
		{ "keyring", required_argument, NULL, 'R' },
		{ "algorithm", required_argument, NULL, 'A' },
		{ "clock-file", required_argument, NULL, 'C' },
		{ "check", no_argument, NULL, 'n' },
		{ "phase", required_argument, NULL, 'P' },
		{ "csv", no_argument, NULL, 'v' },
		{ "init", no_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:nhV", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 'l': o->listen = optarg; break;
		case 'd': o->db = optarg; break;
		case 'r': o->role = optarg; break;
		case 'N': o->name = optarg; break;
		case 't': o->team = optarg; break;
		case 'p': o->pool = optarg; break;
		case 'o': o->node = optarg; break;
		case 'T': o->ttl = optarg; break;
		case 'K': o->checkpoint = optarg; break;
		case 'R': o->keyring = optarg; break;
		case 'A': o->algorithm = optarg; break;
		case 'C': o->clock_file = optarg; break;
		case 'n': o->check = true; break;
		case 'P': o->phase = optarg; break;
		case 'v': o->csv = true; break;
		case 'i': o->init = true; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("grantd %s\n", GRANTD_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	return 0;
}

/*
 * The terminal is main.c's alone: the subcommands and maint_prepare return
 * their messages, said here as "grantd: ..." on stderr.
 */
static void
say_notes(const struct maint_notes *notes)
{
	const char *line = notes->text, *nl;

	while ((nl = strchr(line, '\n')) != NULL) {
		fprintf(stderr, "grantd: %.*s\n", (int)(nl - line), line);
		line = nl + 1;
	}
}

/* A subcommand's exit status, with its message on stderr unless 0. */
static int
say_status(int status, const char *err)
{
	if (status != 0)
		fprintf(stderr, "grantd: %s\n", err);
	return status;
}

static int
run_token_create(const struct opts *o)
{
	static struct maint_notes notes;
	const struct cmd_token_in in = { .db = o->db, .role = o->role, .name = o->name,
		.team = o->team, .pool = o->pool, .node = o->node, .ttl = o->ttl, .clock_file = o->clock_file,
		.init = o->init };
	char secret[TOKEN_SECRET_LEN + 1], err[CMD_ERRBUF];
	int st = cmd_token_create(&in, secret, &notes, err, sizeof(err));

	say_notes(&notes);
	if (st != 0)
		return say_status(st, err);
	printf("%s\n", secret);
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

static int
run_audit_verify(const struct opts *o)
{
	const struct cmd_audit_in in = { .db = o->db, .checkpoints = o->checkpoint,
		.keyring = o->keyring };
	struct cmd_audit_out out;
	char err[CMD_ERRBUF];
	int st = cmd_audit_verify(&in, &out, err, sizeof(err));

	if (st != 0 && st != CMD_AUDIT_UNANCHORED)
		return say_status(st, err);
	printf("audit OK: %lld entries, head %s\n", (long long)out.entries, out.head);
	if (out.checkpoints > 0)
		printf("checkpoints OK: %lld in %s, the newest at entry %lld\n",
		    (long long)out.checkpoints, out.checkpoint_file,
		    (long long)out.newest_checkpoint);
	else if (out.entries == 0)
		printf("no checkpoints, none needed: the audit trail is empty\n");
	else
		printf("checkpoints: none, the trail is not anchored (see the warning)\n");
	/* On stderr even with status 0: nothing outside the database vouches for it. */
	if (err[0] != '\0')
		fprintf(stderr, "grantd: warning: %s\n", err);
	return st;
}

/* grantd calendar verify --db PATH (cmd_calendar.c). */
static int
run_calendar_verify(const char *db_path)
{
	char err[CMD_ERRBUF];
	size_t np, ng;
	int st = cmd_calendar_verify(db_path, &np, &ng, err, sizeof(err));

	if (st != 0)
		return say_status(st, err);
	printf("calendar OK: %zu pools, %zu live grants, each put on it as a change gives what "
	    "a build from the store gives\n", np, ng);
	return 0;
}

static int
run_ledger_verify(const char *db_path)
{
	char err[CMD_ERRBUF];
	int64_t na, nt;
	int st = cmd_ledger_verify(db_path, &na, &nt, err, sizeof(err));

	if (st != 0)
		return say_status(st, err);
	printf("ledger OK: %lld accounts, %lld transfers\n", (long long)na, (long long)nt);
	return 0;
}

static int
run_backup(const char *db_path, const char *file)
{
	char err[CMD_ERRBUF];
	int st = cmd_backup(db_path, file, err, sizeof(err));

	if (st != 0)
		return say_status(st, err);
	printf("backed up %s to %s\n", db_path, file);
	return 0;
}

static int
run_restore(const char *db_path, const char *file)
{
	char err[CMD_ERRBUF] = "";
	int st = cmd_restore(db_path, file, err, sizeof(err));

	if (st != 0)
		return say_status(st, err);
	printf("restored %s from %s (schema, audit trail and ledger verified)\n", db_path, file);
	if (err[0] != '\0')
		printf("%s\n", err);
	return 0;
}

/* The signing key (made on the first start), for checkpoints and signed reports. */
static int
start_signing(struct app *app, char *err, size_t errlen)
{
	struct key_paths paths;
	enum sig_alg alg = SIG_ED25519;

	keys_paths(app->cfg.storage.database, &paths);
	sig_alg_parse(app->cfg.signing.algorithm, &alg);	/* checked with the config */
	return checkpoints_open(&app->checkpoints, &paths, alg, app_now(app), err, errlen);
}

static int
run_daemon(struct app *app, const struct opts *o)
{
	static struct maint_notes notes;
	char err[MAINT_ERRBUF], why[GD_ERRBUF];
	int rc, lock;

	if (o->listen && config_parse_listen(o->listen, app->cfg.server.host,
	    sizeof(app->cfg.server.host), &app->cfg.server.port) < 0) {
		fprintf(stderr, "grantd: --listen must be ADDR:PORT, e.g. 127.0.0.1:8440\n");
		return 2;
	}
	if (o->db)
		snprintf(app->cfg.storage.database, sizeof(app->cfg.storage.database), "%s", o->db);
	log_set_level(app->cfg.log.level);
	app->clock_file = o->clock_file;
	app->check_calendar = getenv("GRANTD_CHECK_CALENDAR") != NULL;
	crypto_secretbox_keygen(app->seal_key);
	lock = maint_prepare(app->cfg.storage.database, o->init, "start", &notes, err,
	    sizeof(err));
	say_notes(&notes);
	if (lock < 0)
		return say_status(1, err);
	if (maint_open_writer(app->cfg.storage.database, app->cfg.storage.busy_timeout_ms,
	    &app->w, err, sizeof(err)) < 0) {
		close(lock);
		return say_status(1, err);
	}
	if (db_open(app->cfg.storage.database, DB_READER, app->cfg.storage.busy_timeout_ms,
	    &app->r, why, sizeof(why)) < 0) {
		fprintf(stderr, "grantd: %s\n", why);
		db_close(app->w);
		close(lock);
		return 1;
	}
	/* The pools' calendar kept in memory for both connections (calendar.h). */
	if ((rc = calendar_attach(app->w, app->r)) < 0)
		snprintf(why, sizeof(why), "out of memory");
	else
		calendar_set_checking(app->w, app->check_calendar);
	/* From here on, every commit first checks that the file is still the one opened. */
	if (rc == 0)
		rc = db_watch_arm(app->w, why, sizeof(why));
	if (rc < 0) {
		fprintf(stderr, "grantd: %s\n", why);
		db_close(app->r);
		db_close(app->w);
		close(lock);
		return 1;
	}
	if (start_signing(app, why, sizeof(why)) < 0) {
		fprintf(stderr, "grantd: %s\n", why);
		db_close(app->r);
		db_close(app->w);
		close(lock);
		return 1;
	}
	rc = loop_run(app);
	/* The head as it stands at the stop, anchored outside the database. */
	checkpoints_tick(app);
	checkpoints_close(&app->checkpoints);
	db_close(app->r);
	db_close(app->w);
	close(lock);
	return rc;
}

/*
 * `grantd -n` reads the certificate and key as the daemon will (the unit
 * runs it as the service user before each start): a file it cannot read or
 * a key of another certificate is said before the restart, not after.
 */
static int
check_tls(const struct config *cfg)
{
	char err[GD_ERRBUF];
	struct tls *t = NULL;

	if (tls_check_priorities(cfg->tls.priorities, err, sizeof(err)) < 0 ||
	    (cfg->tls.certificate[0] != '\0' &&
	    tls_new(&t, cfg->tls.certificate, cfg->tls.key, err, sizeof(err)) < 0)) {
		fprintf(stderr, "grantd: %s\n", err);
		return -1;
	}
	tls_free(t);
	return 0;
}

int
main(int argc, char **argv)
{
	static struct app app;
	struct opts o = { 0 };
	const char *sub = NULL, *verb = NULL;

	log_init();
	if (sodium_init() < 0) {
		fprintf(stderr, "grantd: libsodium failed to initialise\n");
		return 1;
	}
	if (argc > 1 && argv[1][0] != '-') {
		sub = argv[1];
		if (strcmp(sub, "token") == 0 || strcmp(sub, "audit") == 0 ||
		    strcmp(sub, "ledger") == 0 || strcmp(sub, "key") == 0 ||
		    strcmp(sub, "calendar") == 0) {
			verb = argc > 2 ? argv[2] : "";
			argc -= 2;
			argv += 2;
		} else {
			argc -= 1;
			argv += 1;
		}
	}
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (sub) {
		if (strcmp(sub, "token") == 0 && strcmp(verb, "create") == 0)
			return run_token_create(&o);
		if (strcmp(sub, "audit") == 0 && strcmp(verb, "verify") == 0)
			return run_audit_verify(&o);
		if (strcmp(sub, "key") == 0) {
			char err[CMD_ERRBUF];

			return say_status(cmd_key(verb, o.db, o.algorithm, o.clock_file, stdout, err,
			    sizeof(err)), err);
		}
		if (strcmp(sub, "ledger") == 0 && strcmp(verb, "verify") == 0)
			return run_ledger_verify(o.db);
		if (strcmp(sub, "calendar") == 0 && strcmp(verb, "verify") == 0)
			return run_calendar_verify(o.db);
		if (strcmp(sub, "report") == 0 && optind == argc - 1) {
			if (o.db == NULL || o.phase == NULL) {
				fprintf(stderr, "grantd: report needs --db and --phase\n");
				return 2;
			}
			char err[CMD_REPORT_ERRBUF];

			return say_status(cmd_report(o.db, o.phase, o.csv, argv[optind], stdout,
			    err, sizeof(err)), err);
		}
		if (strcmp(sub, "backup") == 0 && optind == argc - 1)
			return run_backup(o.db, argv[optind]);
		if (strcmp(sub, "restore") == 0 && optind == argc - 1)
			return run_restore(o.db, argv[optind]);
		usage(stderr);
		return 2;
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (o.config == NULL && access(DEFAULT_CONFIG, F_OK) == 0)
		o.config = DEFAULT_CONFIG;
	if (o.config) {
		snprintf(app.config_path, sizeof(app.config_path), "%s", o.config);
		if (app_load_config(o.config, &app.cfg, stderr) < 0)
			return 1;
	} else {
		config_defaults(&app.cfg);
	}
	if (o.check) {
		/* The flags that override the file are part of what is checked. */
		if (o.listen && config_parse_listen(o.listen, app.cfg.server.host,
		    sizeof(app.cfg.server.host), &app.cfg.server.port) < 0) {
			fprintf(stderr, "grantd: --listen must be ADDR:PORT, e.g. "
			    "127.0.0.1:8440\n");
			return 1;
		}
		if (check_tls(&app.cfg) < 0)
			return 1;
		printf("configuration OK\n");
		return 0;
	}
	return run_daemon(&app, &o);
}
