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
#include "audit.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "maint.h"
#include "store.h"
#include "token.h"
#include "usage.h"
#include "version.h"
#include "vouchers.h"

#define DEFAULT_CONFIG "/etc/grantd/grantd.conf"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grantd [-c FILE] [--listen ADDR:PORT] [--db PATH] [--init]\n"
	    "       grantd -n [-c FILE]\n"
	    "       grantd token create --db PATH --role ROLE --name NAME [--team T] [--pool P]\n"
	    "                           [--init]\n"
	    "       grantd audit verify --db PATH\n"
	    "       grantd ledger verify --db PATH\n"
	    "       grantd report --db PATH --phase PHASE [--csv] FILE\n"
	    "       grantd backup --db PATH FILE\n"
	    "       grantd restore --db PATH FILE\n"
	    "       grantd --version\n");
}

/* Options shared by the daemon and the subcommands. */
struct opts {
	const char *config, *listen, *db, *role, *name, *team, *pool, *clock_file, *phase;
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

/* Opens and migrates the writer connection of the database at path. */
static struct db *
open_db(const char *path, int busy_ms)
{
	char err[GD_ERRBUF];
	struct db *db;

	if (db_open(path, DB_WRITER, busy_ms, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: %s\n", err);
		return NULL;
	}
	if (db_migrate(db, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: %s: %s\n", path, err);
		db_close(db);
		return NULL;
	}
	return db;
}

static int
cmd_token_create(const struct opts *o)
{
	static const struct principal cli = { .id = "cli", .name = "grantd token create",
		.role = ROLE_ADMIN };
	char id[TOKEN_ID_LEN + 1], secret[TOKEN_SECRET_LEN + 1], target[64];
	/* The daemon's clock, test clock included, so the audit trail keeps its order. */
	int64_t now = clock_now(o->clock_file);
	enum role role;
	struct db *db;
	json_t *detail;
	int rc, lock = -1;

	if (!o->db || !o->role || !o->name) {
		fprintf(stderr, "grantd: token create needs --db, --role and --name\n");
		return 2;
	}
	if (role_from_name(o->role, &role) < 0) {
		fprintf(stderr, "grantd: --role must be admin, auditor, team or agent\n");
		return 2;
	}
	if ((role == ROLE_TEAM) != (o->team != NULL) || (role == ROLE_AGENT) != (o->pool != NULL)) {
		fprintf(stderr, "grantd: --team goes with role team, --pool with role agent\n");
		return 2;
	}
	if (strlen(o->name) == 0 || strlen(o->name) > NAME_MAX_LEN) {
		fprintf(stderr, "grantd: --name must be 1 to %d bytes\n", NAME_MAX_LEN);
		return 2;
	}
	/*
	 * A database that is there may be written while the daemon runs; one
	 * to be created is created under the lock, and only where no old
	 * database left its files (or with --init).
	 */
	if ((o->init || !maint_db_present(o->db)) &&
	    (lock = maint_prepare(o->db, o->init, "token create")) < 0)
		return 1;
	if ((db = open_db(o->db, 5000)) == NULL) {
		if (lock >= 0)
			close(lock);
		return 1;
	}
	rc = db_exec(db, "BEGIN IMMEDIATE");
	if (rc == 0 && o->team && db_int(db, "SELECT count(*) FROM teams WHERE id = ?", "t",
	    o->team) != 1) {
		fprintf(stderr, "grantd: team '%s' does not exist\n", o->team);
		rc = GD_ENOENT;
	}
	if (rc == 0 && o->pool && store_pool_exists(db, o->pool) != 1) {
		fprintf(stderr, "grantd: pool '%s' does not exist\n", o->pool);
		rc = GD_ENOENT;
	}
	if (rc == 0)
		rc = token_create(db, o->name, role, o->team, o->pool, now, id, secret);
	if (rc == 0) {
		snprintf(target, sizeof(target), "token/%s", id);
		detail = json_pack("{s:s, s:s, s:s?, s:s?}", "name", o->name, "role", o->role,
		    "team", o->team, "pool", o->pool);
		rc = audit_append(db, &cli, "cli", now, "token.create", target, NULL, detail);
		json_decref(detail);
	}
	if (rc == 0)
		rc = db_exec(db, "COMMIT");
	if (rc < 0) {
		if (rc != GD_ENOENT)
			fprintf(stderr, "grantd: cannot create the token: %s\n", db_errmsg(db));
		db_exec(db, "ROLLBACK");
		db_close(db);
		if (lock >= 0)
			close(lock);
		return 1;
	}
	db_close(db);
	if (lock >= 0)
		close(lock);
	printf("%s\n", secret);
	sodium_memzero(secret, sizeof(secret));
	return 0;
}

static int
cmd_audit_verify(const struct opts *o)
{
	char head[AUDIT_HASH_HEX], err[GD_ERRBUF];
	struct db *db;
	int64_t n = 0;
	int rc;

	if (!o->db) {
		fprintf(stderr, "grantd: audit verify needs --db\n");
		return 2;
	}
	if (db_open(o->db, DB_READER, 5000, &db, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: %s\n", err);
		return 1;
	}
	rc = audit_verify(db, &n, head, err, sizeof(err));
	db_close(db);
	if (rc < 0) {
		fprintf(stderr, "grantd: audit trail broken: %s\n", err);
		return 1;
	}
	printf("audit OK: %lld entries, head %s\n", (long long)n, head);
	return 0;
}

static int
run_daemon(struct app *app, const struct opts *o)
{
	char err[GD_ERRBUF];
	enum log_level lvl;
	int rc, lock;

	if (o->listen && config_parse_listen(o->listen, app->cfg.server.host,
	    sizeof(app->cfg.server.host), &app->cfg.server.port) < 0) {
		fprintf(stderr, "grantd: --listen must be ADDR:PORT, e.g. 127.0.0.1:8440\n");
		return 2;
	}
	if (o->db)
		snprintf(app->cfg.storage.database, sizeof(app->cfg.storage.database), "%s", o->db);
	if (log_level_from_name(config_log_level_name(app->cfg.log.level), &lvl) == 0)
		log_set_level(lvl);
	app->clock_file = o->clock_file;
	crypto_secretbox_keygen(app->seal_key);
	if ((lock = maint_prepare(app->cfg.storage.database, o->init, "start")) < 0)
		return 1;
	if ((app->w = open_db(app->cfg.storage.database, app->cfg.storage.busy_timeout_ms)) == NULL) {
		close(lock);
		return 1;
	}
	if (db_open(app->cfg.storage.database, DB_READER, app->cfg.storage.busy_timeout_ms,
	    &app->r, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: %s\n", err);
		db_close(app->w);
		close(lock);
		return 1;
	}
	/* From here on, every commit first checks that the file is still the one opened. */
	if (db_watch_arm(app->w, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd: %s\n", err);
		db_close(app->r);
		db_close(app->w);
		close(lock);
		return 1;
	}
	rc = loop_run(app);
	db_close(app->r);
	db_close(app->w);
	close(lock);
	return rc;
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
		    strcmp(sub, "ledger") == 0) {
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
			return cmd_token_create(&o);
		if (strcmp(sub, "audit") == 0 && strcmp(verb, "verify") == 0)
			return cmd_audit_verify(&o);
		if (strcmp(sub, "ledger") == 0 && strcmp(verb, "verify") == 0) {
			if (o.db == NULL) {
				fprintf(stderr, "grantd: ledger verify needs --db\n");
				return 2;
			}
			return vouchers_cli_verify(o.db);
		}
		if (strcmp(sub, "report") == 0 && optind == argc - 1) {
			if (o.db == NULL || o.phase == NULL) {
				fprintf(stderr, "grantd: report needs --db and --phase\n");
				return 2;
			}
			return usage_cli_report(o.db, o.phase, o.csv, argv[optind]);
		}
		if (strcmp(sub, "backup") == 0 && optind == argc - 1)
			return maint_backup(o.db, argv[optind]);
		if (strcmp(sub, "restore") == 0 && optind == argc - 1)
			return maint_restore(o.db, argv[optind]);
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
		printf("configuration OK\n");
		return 0;
	}
	return run_daemon(&app, &o);
}
