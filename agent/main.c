/* main.c: grantd-agent's command line: the daemon, -n, --once. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "log.h"
#include "version.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: grantd-agent [-c FILE] [--clock-file FILE]\n"
	    "       grantd-agent -n [-v] [-c FILE]\n"
	    "       grantd-agent --once [-c FILE]\n"
	    "       grantd-agent --version\n");
}

struct opts {
	const char *config, *clock_file;
	bool check, verbose, once, config_given;
};

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "once", no_argument, NULL, 'o' },
		{ "clock-file", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	o->config = AGENT_DEFAULT_CONFIG;
	while ((ch = getopt_long(argc, argv, "c:nvhV", lo, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; o->config_given = true; break;
		case 'n': o->check = true; break;
		case 'v': o->verbose = true; break;
		case 'o': o->once = true; break;
		case 'C': o->clock_file = optarg; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("grantd-agent %s\n", GRANTD_VERSION); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/*
 * --once works on a node with no configuration at all (an operator
 * checking the driver before setting the agent up): a missing default file
 * means the defaults.  A file named with -c must be there.
 */
static int
load(const struct opts *o, struct conf *c, bool daemon)
{
	struct conf_errors errs;
	const char *path = o->config;

	if (o->once && !o->config_given && access(path, F_OK) != 0 && errno == ENOENT)
		path = NULL;
	if (conf_load(path, c, &errs) < 0 || (daemon && conf_check_daemon(c, &errs) < 0)) {
		conf_errors_print(&errs, o->config, stderr);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct agent a;
	struct opts o = { 0 };
	struct conf c;
	uv_loop_t loop;
	int rc;

	log_init();
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	if (o.check) {
		if (load(&o, &c, true) < 0)
			return AGENT_EX_CONFIG;
		if (o.verbose)
			conf_print(&c, stdout);
		printf("configuration OK\n");
		return 0;
	}
	if (load(&o, &c, !o.once) < 0)
		return AGENT_EX_CONFIG;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		fprintf(stderr, "grantd-agent: libcurl failed to initialise\n");
		return 1;
	}
	if (o.once) {
		rc = once_run(&c, o.clock_file, stdout);
		curl_global_cleanup();
		return rc;
	}
	if (uv_loop_init(&loop) != 0) {
		fprintf(stderr, "grantd-agent: libuv failed to initialise\n");
		curl_global_cleanup();
		return 1;
	}
	rc = agent_start(&a, &loop, o.config, &c, o.clock_file);
	if (rc == 0) {
		uv_run(&loop, UV_RUN_DEFAULT);
		log_notice("stopped: %zu batch%s in the spool", a.spool.q.n,
		    a.spool.q.n == 1 ? "" : "es");
		spool_close(&a.spool);
		nvml_close(&a.nvml);
	}
	uv_run(&loop, UV_RUN_NOWAIT);
	/* Every handle closed is part of a clean stop: a leak is a failure, not a note. */
	if (uv_loop_close(&loop) != 0) {
		log_error("a libuv handle was left open at exit (a bug)");
		if (rc == 0)
			rc = 1;
	}
	curl_global_cleanup();
	return rc;
}
