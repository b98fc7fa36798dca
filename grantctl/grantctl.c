/* grantctl.c: the command line: global options, where the URL and token come from, the command table. */
#include <getopt.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "grantctl.h"

#define DEFAULT_URL "http://127.0.0.1:8440"
/* Operands after the command's words: org alias takes an id and as many names as aliases. */
#define MAX_ARGS (1 + MAX_ALIASES)

/* Options that only some commands take, and the list options. */
#define LIST (OPT(O_LIMIT) | OPT(O_AFTER))

/*
 * One command: noun and verb as typed ("team" "list"; verb NULL for a command
 * of one word such as "enroll"; a verb of two words, "member add", for a
 * command of three), its positional arguments, the options it takes and
 * those it needs.  usage is shown after "grantctl ".
 */
struct cmd {
	const char *noun, *verb;
	int min_args, max_args;
	uint64_t opts, required;
	int (*fn)(struct ctl *, char **);
	const char *usage;
};

static const struct cmd cmds[] = {
	{ "token", "create", 0, 0, OPT(O_NAME) | OPT(O_ROLE) | OPT(O_TEAM) | OPT(O_POOL) |
	    OPT(O_NODE) | OPT(O_TTL) | OPT(O_EXPIRES), OPT(O_NAME) | OPT(O_ROLE),
	    cmd_token_create,
	    "token create --name NAME --role admin|auditor|team|agent [--team TEAM] [--pool POOL] "
	    "[--node NODE] [--ttl DURATION | --expires TIME]" },
	{ "token", "list", 0, 0, LIST, 0, cmd_token_list, "token list" },
	{ "token", "show", 1, 1, 0, 0, cmd_token_show, "token show ID" },
	{ "token", "rotate", 1, 1, OPT(O_GRACE) | OPT(O_TTL) | OPT(O_EXPIRES), 0,
	    cmd_token_rotate,
	    "token rotate ID [--grace DURATION] [--ttl DURATION | --expires TIME]" },
	{ "token", "revoke", 1, 1, 0, 0, cmd_token_revoke, "token revoke ID" },
	{ "card-model", "list", 0, 0, LIST, 0, cmd_card_model_list, "card-model list" },
	{ "card-model", "set", 2, 2, 0, 0, cmd_card_model_set, "card-model set MODEL WEIGHT" },
	{ "program", "create", 1, 1, OPT(O_NAME) | OPT(O_TIMEZONE), OPT(O_NAME),
	    cmd_program_create, "program create ID --name NAME [--timezone ZONE]" },
	{ "program", "list", 0, 0, LIST, 0, cmd_program_list, "program list" },
	{ "program", "show", 1, 1, 0, 0, cmd_program_show, "program show ID" },
	{ "phase", "create", 2, 2, OPT(O_NAME) | OPT(O_STARTS_ON) | OPT(O_PERIOD_DAYS) |
	    OPT(O_EVALUATION_ON) | OPT(O_CARD_MODEL) | OPT(O_CARDS) | OPT(O_VOUCHER),
	    OPT(O_NAME) | OPT(O_STARTS_ON) | OPT(O_PERIOD_DAYS) | OPT(O_CARD_MODEL) |
	    OPT(O_CARDS) | OPT(O_VOUCHER), cmd_phase_create,
	    "phase create PROGRAM ID --name NAME --starts-on DATE --period-days N "
	    "[--evaluation-on DATE] --card-model MODEL --cards N --voucher KRW" },
	{ "phase", "show", 1, 1, 0, 0, cmd_phase_show, "phase show PHASE" },
	{ "phase", "list", 1, 1, LIST, 0, cmd_phase_list, "phase list PROGRAM" },
	{ "team", "create", 1, 1, OPT(O_NAME) | OPT(O_LEAD_ORG) | OPT(O_MEMBER),
	    OPT(O_NAME) | OPT(O_LEAD_ORG), cmd_team_create,
	    "team create ID --name NAME --lead-org ORG [--member ORG=ROLE]..." },
	{ "team", "list", 0, 0, LIST, 0, cmd_team_list, "team list" },
	{ "team", "show", 1, 1, 0, 0, cmd_team_show, "team show TEAM" },
	{ "team", "member add", 2, 2, OPT(O_ROLE) | OPT(O_ON) | OPT(O_AT) | OPT(O_REASON),
	    OPT(O_REASON), cmd_team_member_add,
	    "team member add TEAM ORG [--role ROLE] [--on DATE | --at TIME] --reason TEXT" },
	{ "team", "member remove", 2, 2, OPT(O_ON) | OPT(O_AT) | OPT(O_REASON), OPT(O_REASON),
	    cmd_team_member_remove,
	    "team member remove TEAM ORG [--on DATE | --at TIME] --reason TEXT" },
	{ "org", "create", 1, 1, OPT(O_KO) | OPT(O_EN) | OPT(O_ALIAS) | OPT(O_BRN), 0,
	    cmd_org_create,
	    "org create ID [--ko NAME] [--en NAME] [--alias NAME]... [--brn NUMBER]" },
	{ "org", "show", 1, 1, 0, 0, cmd_org_show, "org show ID" },
	{ "org", "list", 0, 0, OPT(O_SEARCH) | LIST, 0, cmd_org_list, "org list [--search TEXT]" },
	{ "org", "find", 1, 1, 0, 0, cmd_org_find, "org find NAME" },
	{ "org", "alias", 2, MAX_ARGS, OPT(O_REASON), 0, cmd_org_alias,
	    "org alias ID NAME... [--reason TEXT]" },
	{ "org", "rename", 1, 1, OPT(O_KO) | OPT(O_EN) | OPT(O_REASON), OPT(O_REASON),
	    cmd_org_rename, "org rename ID [--ko NAME] [--en NAME] --reason TEXT" },
	{ "org", "merge", 2, 2, OPT(O_REASON), OPT(O_REASON), cmd_org_merge,
	    "org merge INTO FROM --reason TEXT" },
	{ "pool", "create", 1, 1, OPT(O_PROVIDER) | OPT(O_SITE) | OPT(O_CARD_MODEL) | OPT(O_CARDS),
	    OPT(O_PROVIDER) | OPT(O_SITE) | OPT(O_CARD_MODEL) | OPT(O_CARDS), cmd_pool_create,
	    "pool create ID --provider NAME --site NAME --card-model MODEL --cards N" },
	{ "pool", "list", 0, 0, LIST, 0, cmd_pool_list, "pool list" },
	{ "pool", "show", 1, 1, 0, 0, cmd_pool_show, "pool show POOL" },
	{ "pool", "timeline", 1, 1, OPT(O_FROM) | OPT(O_TO), 0, cmd_pool_timeline,
	    "pool timeline POOL [--from TIME] [--to TIME]" },
	{ "outage", "create", 1, 1, OPT(O_FROM) | OPT(O_TO) | OPT(O_CARDS) | OPT(O_REASON),
	    OPT(O_FROM) | OPT(O_TO) | OPT(O_CARDS) | OPT(O_REASON), cmd_outage_create,
	    "outage create POOL --from TIME --to TIME --cards N --reason TEXT" },
	{ "outage", "list", 1, 1, LIST, 0, cmd_outage_list, "outage list POOL" },
	{ "node", "assign", 2, 2, OPT(O_TEAM) | OPT(O_NONE) | OPT(O_REASON), OPT(O_REASON),
	    cmd_node_assign, "node assign POOL NODE --team TEAM|--none --reason TEXT" },
	{ "node", "show", 2, 2, 0, 0, cmd_node_show, "node show POOL NODE" },
	{ "node", "list", 1, 1, LIST, 0, cmd_node_list, "node list POOL" },
	{ "enroll", NULL, 2, 2, OPT(O_NOT_BEFORE) | OPT(O_POOLS) | OPT(O_SPLIT) |
	    OPT(O_DRY_RUN) | OPT(O_OVERRIDE), 0, cmd_enroll,
	    "enroll PHASE TEAM [--not-before DATE] [--pools POOL,...] "
	    "[--split POOL=CARDS,...] [--dry-run] [--override REASON]" },
	{ "enrollment", "list", 1, 1, LIST, 0, cmd_enrollment_list, "enrollment list PHASE" },
	{ "enrollment", "show", 2, 2, 0, 0, cmd_enrollment_show, "enrollment show PHASE TEAM" },
	{ "eliminate", NULL, 2, 2, OPT(O_ON) | OPT(O_REASON), OPT(O_ON) | OPT(O_REASON),
	    cmd_eliminate, "eliminate PHASE TEAM --on DATE --reason TEXT" },
	{ "withdraw", NULL, 2, 2, OPT(O_ON) | OPT(O_REASON), OPT(O_ON) | OPT(O_REASON),
	    cmd_withdraw, "withdraw PHASE TEAM --on DATE --reason TEXT" },
	{ "extend", NULL, 1, 1, OPT(O_DAYS) | OPT(O_REASON) | OPT(O_OVERRIDE),
	    OPT(O_DAYS) | OPT(O_REASON), cmd_extend,
	    "extend PHASE --days N --reason TEXT [--override REASON]" },
	{ "compensate", NULL, 1, 1, OPT(O_DRY_RUN) | OPT(O_OVERRIDE), 0, cmd_compensate,
	    "compensate PHASE [--dry-run] [--override REASON]" },
	{ "evaluation", "record", 1, 1, OPT(O_ON) | OPT(O_EFFECTIVE_ON) | OPT(O_REASON) |
	    OPT(O_RESULT) | OPT(O_NOTE), OPT(O_ON) | OPT(O_REASON) | OPT(O_RESULT),
	    cmd_evaluation_record, "evaluation record PHASE --on DATE [--effective-on DATE] "
	    "--reason TEXT --result TEAM=advance|eliminate[:SCORE] ... [--note TEAM=TEXT] ..." },
	{ "evaluation", "list", 1, 1, 0, 0, cmd_evaluation_list, "evaluation list PHASE" },
	{ "grant", "add", 2, 2, OPT(O_POOL) | OPT(O_CARDS) | OPT(O_START) | OPT(O_END) |
	    OPT(O_OVERRIDE), OPT(O_POOL) | OPT(O_CARDS) | OPT(O_START) | OPT(O_END),
	    cmd_grant_add, "grant add PHASE TEAM --pool POOL --cards N --start TIME --end TIME "
	    "[--override REASON]" },
	{ "grant", "list", 0, 0, OPT(O_TEAM) | OPT(O_POOL) | OPT(O_PHASE) | OPT(O_AT) | LIST, 0,
	    cmd_grant_list, "grant list [--team TEAM] [--pool POOL] [--phase PHASE] [--at TIME]" },
	{ "grant", "show", 1, 1, 0, 0, cmd_grant_show, "grant show ID" },
	{ "grant", "release", 1, 1, OPT(O_AT) | OPT(O_REASON) | OPT(O_OVERRIDE),
	    OPT(O_AT) | OPT(O_REASON), cmd_grant_release,
	    "grant release ID --at TIME --reason TEXT [--override REASON]" },
	{ "supplier", "create", 1, 1, OPT(O_NAME) | OPT(O_ORG), OPT(O_NAME) | OPT(O_ORG),
	    cmd_supplier_create, "supplier create ID --name NAME --org ORG" },
	{ "supplier", "list", 0, 0, LIST, 0, cmd_supplier_list, "supplier list" },
	{ "voucher", "list", 1, 1, 0, 0, cmd_voucher_list, "voucher list TEAM" },
	{ "hold", "create", 0, 0, OPT(O_TEAM) | OPT(O_PHASE) | OPT(O_SUPPLIER) | OPT(O_AMOUNT) |
	    OPT(O_MEMO) | OPT(O_EXPIRES_AT) | OPT(O_OVERRIDE),
	    OPT(O_TEAM) | OPT(O_PHASE) | OPT(O_SUPPLIER) | OPT(O_AMOUNT), cmd_hold_create,
	    "hold create --team TEAM --phase PHASE --supplier SUPPLIER --amount KRW "
	    "[--memo TEXT] [--expires-at TIME] [--override REASON]" },
	{ "hold", "settle", 1, 1, OPT(O_AMOUNT), 0, cmd_hold_settle,
	    "hold settle ID [--amount KRW]" },
	{ "hold", "void", 1, 1, 0, 0, cmd_hold_void, "hold void ID" },
	{ "hold", "list", 0, 0, OPT(O_TEAM) | OPT(O_STATE) | LIST, 0, cmd_hold_list,
	    "hold list [--team TEAM] [--state pending|settled|voided|expired]" },
	{ "refund", NULL, 1, 1, OPT(O_AMOUNT) | OPT(O_REASON), OPT(O_AMOUNT) | OPT(O_REASON),
	    cmd_refund, "refund SETTLEMENT --amount KRW --reason TEXT" },
	{ "transfers", NULL, 0, 0, OPT(O_TEAM) | OPT(O_PHASE) | LIST, 0, cmd_transfers,
	    "transfers [--team TEAM] [--phase PHASE]" },
	{ "ledger", "verify", 0, 0, 0, 0, cmd_ledger_verify, "ledger verify" },
	{ "usage", "post", 1, 1, 0, 0, cmd_usage_post, "usage post FILE|-" },
	{ "quota", NULL, 1, 1, OPT(O_PHASE) | OPT(O_AT), 0, cmd_quota,
	    "quota TEAM [--phase PHASE] [--at TIME]" },
	{ "fairness", NULL, 1, 1, OPT(O_CSV) | OPT(O_AT) | OPT(O_AS_OF), 0, cmd_fairness,
	    "fairness PHASE [--at TIME] [--as-of SEQ] [--csv] [-o FILE]" },
	{ "audit", "list", 0, 0, LIST, 0, cmd_audit_list, "audit list [--after SEQ] [--limit N]" },
	{ "audit", "verify", 0, 0, 0, 0, cmd_audit_verify, "audit verify" },
	{ "events", NULL, 0, 0, OPT(O_TYPE) | OPT(O_TEAM) | OPT(O_FOLLOW) | LIST, 0, cmd_events,
	    "events [--type TYPE] [--team TEAM] [--after SEQ] [--follow]" },
	{ "webhook", "create", 1, 1, OPT(O_TYPES) | OPT(O_TEAM), OPT(O_TYPES), cmd_webhook_create,
	    "webhook create URL --types TYPE,...|'*' [--team TEAM]" },
	{ "webhook", "list", 0, 0, LIST, 0, cmd_webhook_list, "webhook list" },
	{ "webhook", "delete", 1, 1, 0, 0, cmd_webhook_delete, "webhook delete ID" },
	{ "webhook", "test", 1, 1, 0, 0, cmd_webhook_test, "webhook test ID" },
	{ "webhook", "deliveries", 1, 1, LIST, 0, cmd_webhook_deliveries,
	    "webhook deliveries ID" },
	{ "health", NULL, 0, 0, 0, 0, cmd_health, "health" },
	{ "verify", NULL, 1, 1, OPT(O_KEYS), OPT(O_KEYS), cmd_verify,
	    "verify REPORT.json|- --keys FILE" },
	{ "login", NULL, 0, 0, 0, 0, cmd_login, "login [--url URL] [--token TOKEN] [--cacert FILE]" },
	{ "config", "set", 2, 2, 0, 0, cmd_config_set, "config set url|token|tz|cacert VALUE" },
	{ "config", "show", 0, 0, 0, 0, cmd_config_show, "config show" },
	/*
	 * For the completions: ids of one kind, one a line ("nodes" of the pool
	 * given after it); not listed in the usage.
	 */
	{ "__complete", NULL, 1, 2, 0, 0, cmd_complete, NULL },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

/* Global options have values at O_COUNT and above. */
enum {
	G_URL = 256 + O_COUNT, G_TOKEN, G_JSON, G_TZ, G_CONFIG, G_IDEM, G_TIMEOUT, G_VERSION,
	G_HELP, G_OUTPUT, G_CACERT
};

static const struct option longopts[] = {
	{ "name", required_argument, NULL, 256 + O_NAME },
	{ "role", required_argument, NULL, 256 + O_ROLE },
	{ "team", required_argument, NULL, 256 + O_TEAM },
	{ "pool", required_argument, NULL, 256 + O_POOL },
	{ "timezone", required_argument, NULL, 256 + O_TIMEZONE },
	{ "starts-on", required_argument, NULL, 256 + O_STARTS_ON },
	{ "period-days", required_argument, NULL, 256 + O_PERIOD_DAYS },
	{ "evaluation-on", required_argument, NULL, 256 + O_EVALUATION_ON },
	{ "card-model", required_argument, NULL, 256 + O_CARD_MODEL },
	{ "cards", required_argument, NULL, 256 + O_CARDS },
	{ "voucher", required_argument, NULL, 256 + O_VOUCHER },
	{ "lead-org", required_argument, NULL, 256 + O_LEAD_ORG },
	{ "member", required_argument, NULL, 256 + O_MEMBER },
	{ "provider", required_argument, NULL, 256 + O_PROVIDER },
	{ "site", required_argument, NULL, 256 + O_SITE },
	{ "from", required_argument, NULL, 256 + O_FROM },
	{ "to", required_argument, NULL, 256 + O_TO },
	{ "reason", required_argument, NULL, 256 + O_REASON },
	{ "not-before", required_argument, NULL, 256 + O_NOT_BEFORE },
	{ "pools", required_argument, NULL, 256 + O_POOLS },
	{ "split", required_argument, NULL, 256 + O_SPLIT },
	{ "dry-run", no_argument, NULL, 256 + O_DRY_RUN },
	{ "override", required_argument, NULL, 256 + O_OVERRIDE },
	{ "on", required_argument, NULL, 256 + O_ON },
	{ "days", required_argument, NULL, 256 + O_DAYS },
	{ "phase", required_argument, NULL, 256 + O_PHASE },
	{ "at", required_argument, NULL, 256 + O_AT },
	{ "start", required_argument, NULL, 256 + O_START },
	{ "end", required_argument, NULL, 256 + O_END },
	{ "org", required_argument, NULL, 256 + O_ORG },
	{ "supplier", required_argument, NULL, 256 + O_SUPPLIER },
	{ "amount", required_argument, NULL, 256 + O_AMOUNT },
	{ "memo", required_argument, NULL, 256 + O_MEMO },
	{ "expires-at", required_argument, NULL, 256 + O_EXPIRES_AT },
	{ "state", required_argument, NULL, 256 + O_STATE },
	{ "csv", no_argument, NULL, 256 + O_CSV },
	{ "after", required_argument, NULL, 256 + O_AFTER },
	{ "limit", required_argument, NULL, 256 + O_LIMIT },
	{ "as-of", required_argument, NULL, 256 + O_AS_OF },
	{ "result", required_argument, NULL, 256 + O_RESULT },
	{ "ko", required_argument, NULL, 256 + O_KO },
	{ "en", required_argument, NULL, 256 + O_EN },
	{ "alias", required_argument, NULL, 256 + O_ALIAS },
	{ "brn", required_argument, NULL, 256 + O_BRN },
	{ "search", required_argument, NULL, 256 + O_SEARCH },
	{ "ttl", required_argument, NULL, 256 + O_TTL },
	{ "expires", required_argument, NULL, 256 + O_EXPIRES },
	{ "grace", required_argument, NULL, 256 + O_GRACE },
	{ "keys", required_argument, NULL, 256 + O_KEYS },
	{ "type", required_argument, NULL, 256 + O_TYPE },
	{ "types", required_argument, NULL, 256 + O_TYPES },
	{ "follow", no_argument, NULL, 256 + O_FOLLOW },
	{ "node", required_argument, NULL, 256 + O_NODE },
	{ "effective-on", required_argument, NULL, 256 + O_EFFECTIVE_ON },
	{ "note", required_argument, NULL, 256 + O_NOTE },
	{ "none", no_argument, NULL, 256 + O_NONE },
	{ "url", required_argument, NULL, G_URL },
	{ "token", required_argument, NULL, G_TOKEN },
	{ "cacert", required_argument, NULL, G_CACERT },
	{ "json", no_argument, NULL, G_JSON },
	{ "tz", required_argument, NULL, G_TZ },
	{ "config", required_argument, NULL, G_CONFIG },
	{ "idempotency-key", required_argument, NULL, G_IDEM },
	{ "timeout", required_argument, NULL, G_TIMEOUT },
	{ "output", required_argument, NULL, G_OUTPUT },
	{ "version", no_argument, NULL, G_VERSION },
	{ "help", no_argument, NULL, G_HELP },
	{ NULL, 0, NULL, 0 },
};

int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("grantctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

static void
usage(FILE *f)
{
	fprintf(f, "usage: grantctl [--url URL] [--token TOKEN] [--cacert FILE] [--config FILE] "
	    "[--json]\n"
	    "                [--tz ZONE] [--idempotency-key KEY] [--timeout SECONDS] [-o FILE] "
	    "COMMAND ...\n\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		if (cmds[i].usage)
			fprintf(f, "  %s\n", cmds[i].usage);
	fprintf(f, "\nlist commands also take [--limit N] [--after CURSOR].\n"
	    "exit status: 0 ok, 1 other error, 2 usage, 3 auth, 4 not found, 5 conflict, "
	    "6 server or connection.\nSee grantctl(1).\n");
}

/* The long name of an option, for messages. */
static const char *
opt_name(int val)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

/* Whether the words after the noun are verb ("list", or "member add"): how many, or 0. */
static int
verb_words(const char *verb, int npos, char **pos)
{
	const char *sp = strchr(verb, ' ');

	if (sp == NULL)
		return npos > 1 && strcmp(verb, pos[1]) == 0 ? 1 : 0;
	return npos > 2 && strlen(pos[1]) == (size_t)(sp - verb) &&
	    strncmp(verb, pos[1], (size_t)(sp - verb)) == 0 && strcmp(sp + 1, pos[2]) == 0 ?
	    2 : 0;
}

static const struct cmd *
find_cmd(int npos, char **pos, int *used)
{
	bool noun_known = false;
	int n;

	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(cmds[i].noun, pos[0]) != 0)
			continue;
		noun_known = true;
		if (cmds[i].verb == NULL) {
			*used = 1;
			return &cmds[i];
		}
		if ((n = verb_words(cmds[i].verb, npos, pos)) > 0) {
			*used = 1 + n;
			return &cmds[i];
		}
	}
	if (!noun_known) {
		usage_error("unknown command '%s' (grantctl --help lists them)", pos[0]);
		return NULL;
	}
	fprintf(stderr, "grantctl: '%s' needs one of:", pos[0]);
	for (size_t i = 0, prev = NCMDS; i < NCMDS; i++) {
		const char *v = cmds[i].verb, *sp;

		if (strcmp(cmds[i].noun, pos[0]) != 0)
			continue;
		/* "member add|remove": verbs of two words that share the first, once. */
		sp = strchr(v, ' ');
		if (sp != NULL && prev < NCMDS && strncmp(cmds[prev].verb, v,
		    (size_t)(sp - v + 1)) == 0)
			fprintf(stderr, "|%s", sp + 1);
		else
			fprintf(stderr, " %s", v);
		prev = i;
	}
	fputc('\n', stderr);
	return NULL;
}

void
url_normalize(char *url)
{
	size_t n = strlen(url);

	/* "http://host:8440/" and "http://host:8440/v1" both mean the server. */
	while (n > 0 && url[n - 1] == '/')
		url[--n] = '\0';
	if (n >= 3 && strcmp(url + n - 3, "/v1") == 0)
		url[n - 3] = '\0';
}

/*
 * The CA file that vouches for an https:// server (the agency CA): --cacert,
 * else GRANTD_CACERT, else cacert= in the file, else none, and libcurl
 * trusts the system's CAs.  Verification is never turned off.
 */
static void
resolve_cacert(struct ctl *c, const char *cacert)
{
	const char *e;

	if (cacert != NULL) {
		c->cacert = cacert;
		c->cacert_from = "--cacert";
	} else if ((e = getenv("GRANTD_CACERT")) != NULL && *e) {
		c->cacert = e;
		c->cacert_from = "GRANTD_CACERT";
	} else if (c->conf_cacert[0]) {
		c->cacert = c->conf_cacert;
		c->cacert_from = "the configuration file";
	}
}

/* Where the server and the token come from: flags, then the environment, then the file. */
static int
resolve(struct ctl *c, const char *config, const char *url, const char *token, const char *tz,
    const char *cacert, bool writes_conf)
{
	const char *e;
	static char urlbuf[600];
	int rc;

	/* A file named by --config must exist, except for the commands that write it. */
	if (config) {
		snprintf(c->conf_path, sizeof(c->conf_path), "%s", config);
		if ((rc = conf_load(c, config, !writes_conf)) != 0)
			return rc;
	} else if (conf_default_path(c->conf_path, sizeof(c->conf_path)) == 0) {
		if ((rc = conf_load(c, c->conf_path, false)) != 0)
			return rc;
	} else {
		c->conf_path[0] = '\0';
	}
	c->url_from = "--url";
	if (url == NULL && (e = getenv("GRANTD_URL")) != NULL && *e) {
		url = e;
		c->url_from = "GRANTD_URL";
	}
	if (url == NULL && c->conf_url[0]) {
		url = c->conf_url;
		c->url_from = "the configuration file";
	}
	if (url == NULL) {
		url = DEFAULT_URL;
		c->url_from = "the default";
	}
	snprintf(urlbuf, sizeof(urlbuf), "%s", url);
	url_normalize(urlbuf);
	c->url = urlbuf;
	resolve_cacert(c, cacert);

	if (token) {
		c->token = token;
		c->token_from = "--token";
	} else if ((e = getenv("GRANTD_TOKEN")) != NULL && *e) {
		c->token = e;
		c->token_from = "GRANTD_TOKEN";
	} else if (c->conf_token[0]) {
		c->token = c->conf_token;
		c->token_from = "the configuration file";
	}

	if (tz == NULL && c->conf_tz[0])
		tz = c->conf_tz;
	if (tz) {
		int32_t off;

		if (civil_tz_offset(tz, &off) != 0)
			return usage_error("unsupported time zone '%s': use UTC, a zone without "
			    "daylight saving time such as Asia/Seoul, or +HH:MM", tz);
		zone_set(c, tz, off);
		c->tz_fixed = true;
	} else {
		/* Until a reply says which programme's zone applies (zone_default()). */
		zone_set(c, "UTC", 0);
	}
	return 0;
}

static bool
valid_idem_key(const char *k)
{
	size_t n = strlen(k);

	if (n < 1 || n > 255)
		return false;
	for (size_t i = 0; i < n; i++)
		if (k[i] < 0x20 || k[i] > 0x7e)
			return false;
	return true;
}

/* Records of CSV text: lines, except those inside a quoted field. */
static size_t
csv_records(const char *buf, size_t len)
{
	size_t n = 0;
	bool quoted = false;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '"')
			quoted = !quoted;
		else if (buf[i] == '\n' && !quoted)
			n++;
	}
	return n + (len > 0 && buf[len - 1] != '\n');
}

/*
 * -o FILE: the command wrote into a memory stream; it reaches the file only
 * on success, and a line on stderr says what was written (stdout may be
 * the next program's input).
 */
static int
write_output(const struct ctl *c, const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "w");
	size_t rows;

	if (f == NULL) {
		perror(path);
		return EXIT_OTHER;
	}
	if (fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		return EXIT_OTHER;
	}
	if (c->opt[O_CSV]) {
		rows = csv_records(buf, len);
		rows -= rows > 0;
		fprintf(stderr, "grantctl: wrote %s: %zu row%s and a header line, %zu bytes\n",
		    path, rows, rows == 1 ? "" : "s", len);
	} else {
		fprintf(stderr, "grantctl: wrote %s: %zu bytes\n", path, len);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct ctl c;
	const char *url = NULL, *token = NULL, *tz = NULL, *config = NULL, *cacert = NULL;
	char *pos[MAX_ARGS + 3], *membuf = NULL;
	size_t memlen = 0;
	const struct cmd *cmd;
	uint64_t given = 0;
	int npos = 0, used, ch, rc;
	bool help = false;
	int64_t v;

	c.timeout_s = 30;
	c.out = stdout;
	opterr = 0;
	/* A leading '-': operands come back in order as 1, whatever POSIXLY_CORRECT says. */
	while ((ch = getopt_long(argc, argv, "-:ho:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (npos == MAX_ARGS + 2)
				return usage_error("too many arguments");
			pos[npos++] = optarg;
			break;
		case 'h':
		case G_HELP:
			help = true;
			break;
		case 'V':
		case G_VERSION:
			printf("grantctl %s\n", GRANTCTL_VERSION);
			return 0;
		case 'o':
		case G_OUTPUT:
			c.output = optarg;
			break;
		case G_URL: url = optarg; break;
		case G_TOKEN: token = optarg; break;
		case G_CACERT:
			if (*optarg == '\0')
				return usage_error("--cacert needs a file: the agency CA's "
				    "certificate, PEM");
			cacert = optarg;
			break;
		case G_JSON: c.json = true; break;
		case G_TZ: tz = optarg; break;
		case G_CONFIG: config = optarg; break;
		case G_IDEM:
			if (!valid_idem_key(optarg))
				return usage_error("--idempotency-key must be 1 to 255 printable "
				    "ASCII characters");
			c.idem_key = optarg;
			break;
		case G_TIMEOUT:
			if (int_arg(optarg, 1, 3600, &v) != 0)
				return usage_error("--timeout must be 1 to 3600 seconds");
			c.timeout_s = (long)v;
			break;
		case '?':
			if (optopt != 0 && optopt < 256)
				return usage_error("unknown option '-%c' (grantctl --help)", optopt);
			return usage_error("unknown option '%s' (grantctl --help)",
			    argv[optind - 1]);
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (ch >= 256 && ch < 256 + O_COUNT) {
				int o = ch - 256;

				if (o == O_MEMBER) {
					if (c.nmembers == MAX_MEMBERS)
						return usage_error("at most %d --member options",
						    MAX_MEMBERS);
					c.members[c.nmembers++] = optarg;
				} else if (o == O_RESULT) {
					if (c.nresults == MAX_MEMBERS)
						return usage_error("at most %d --result options",
						    MAX_MEMBERS);
					c.results[c.nresults++] = optarg;
				} else if (o == O_NOTE) {
					if (c.nnotes == MAX_MEMBERS)
						return usage_error("at most %d --note options",
						    MAX_MEMBERS);
					c.notes[c.nnotes++] = optarg;
				} else if (o == O_ALIAS) {
					if (c.naliases == MAX_ALIASES)
						return usage_error("at most %d --alias options",
						    MAX_ALIASES);
					c.aliases[c.naliases++] = optarg;
				} else if ((given & OPT(o)) && strcmp(c.opt[o], optarg ? optarg :
				    "") != 0) {
					return usage_error("--%s given twice", opt_name(ch));
				}
				c.opt[o] = optarg ? optarg : "";
				given |= OPT(o);
				break;
			}
			return usage_error("unexpected option");
		}
	}
	/* Operands after "--". */
	for (; optind < argc; optind++) {
		if (npos == MAX_ARGS + 2)
			return usage_error("too many arguments");
		pos[npos++] = argv[optind];
	}
	if (npos == 0 || strcmp(pos[0], "help") == 0) {
		usage(help || npos > 0 ? stdout : stderr);
		return help || npos > 0 ? 0 : EXIT_USAGE;
	}
	if ((cmd = find_cmd(npos, pos, &used)) == NULL)
		return EXIT_USAGE;
	if (help) {
		printf("usage: grantctl %s\n", cmd->usage ? cmd->usage : cmd->noun);
		return 0;
	}
	if (npos - used < cmd->min_args || npos - used > cmd->max_args)
		return usage_error("usage: grantctl %s", cmd->usage);
	for (int o = 0; o < O_COUNT; o++) {
		if ((given & OPT(o)) && !(cmd->opts & OPT(o)))
			return usage_error("--%s does not apply here; usage: grantctl %s",
			    opt_name(256 + o), cmd->usage);
		if ((cmd->required & OPT(o)) && !(given & OPT(o)))
			return usage_error("--%s is required; usage: grantctl %s",
			    opt_name(256 + o), cmd->usage);
	}
	if ((rc = resolve(&c, config, url, token, tz, cacert, strcmp(cmd->noun, "login") == 0 ||
	    strcmp(cmd->noun, "config") == 0)) != 0)
		return rc;
	if (sodium_init() < 0 || http_init() < 0) {
		fprintf(stderr, "grantctl: cannot initialise libsodium or libcurl\n");
		return EXIT_OTHER;
	}
	if (c.output && (c.out = open_memstream(&membuf, &memlen)) == NULL) {
		perror("grantctl");
		return EXIT_OTHER;
	}
	pos[npos] = NULL;
	rc = cmd->fn(&c, pos + used);
	http_cleanup();
	if (c.output) {
		fclose(c.out);
		if (rc == 0)
			rc = write_output(&c, c.output, membuf, memlen);
		free(membuf);
	}
	/* A full disk or a closed pipe must not pass for success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("grantctl: stdout");
		return rc ? rc : EXIT_OTHER;
	}
	return rc;
}
