/* test_spool.c: the agent's spool: durable files, oldest first, bounded, reopened, dead letters. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

struct dirs {
	char root[64], spool[96], dead[96];
};

static void
dirs_make(struct dirs *d)
{
	snprintf(d->root, sizeof(d->root), "/tmp/agent-spool-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(d->root));
	/* The spool's own directories do not exist yet: spool_open makes them. */
	snprintf(d->spool, sizeof(d->spool), "%s/state/spool", d->root);
	snprintf(d->dead, sizeof(d->dead), "%s/state/dead", d->root);
}

static void
dirs_remove(struct dirs *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->root);
	ck_assert_int_eq(system(cmd), 0);
}

static void
put(struct spool *s, const char *node, int64_t from, char *dropped, size_t dlen)
{
	char id[64], body[128], err[AGENT_ERRLEN];

	snprintf(id, sizeof(id), "%s-%lld", node, (long long)from);
	snprintf(body, sizeof(body), "{\"batch_id\":\"%s\"}", id);
	ck_assert_msg(spool_put(s, id, from, body, strlen(body), dropped, dlen, err,
	    sizeof(err)) == 0, "%s", err);
}

static char *
read_name(struct spool *s, const char *name)
{
	char *data, err[AGENT_ERRLEN];
	size_t len;

	ck_assert_msg(spool_read(s, name, &data, &len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(strlen(data), len);
	return data;
}

START_TEST(oldest_first_and_durable_names)
{
	struct dirs d;
	struct spool s;
	char err[AGENT_ERRLEN], path[200], *data;
	struct stat sb;

	dirs_make(&d);
	ck_assert_msg(spool_open(&s, d.spool, d.dead, 10, err, sizeof(err)) == 0, "%s", err);
	ck_assert_ptr_null(spool_oldest(&s));
	/* Written out of order (a stop's flush after a restart): read oldest first. */
	put(&s, "gpu-1", 1772409720, NULL, 0);
	put(&s, "gpu-1", 1772409600, NULL, 0);
	put(&s, "gpu-1", 1772409660, NULL, 0);
	ck_assert_uint_eq(s.q.n, 3);
	ck_assert_str_eq(spool_oldest(&s), "001772409600-gpu-1-1772409600.json");
	data = read_name(&s, spool_oldest(&s));
	ck_assert_str_eq(data, "{\"batch_id\":\"gpu-1-1772409600\"}");
	free(data);
	/* The same batch again replaces itself. */
	put(&s, "gpu-1", 1772409600, NULL, 0);
	ck_assert_uint_eq(s.q.n, 3);
	/* Files only its user reads, no temp files left. */
	snprintf(path, sizeof(path), "%s/%s", d.spool, spool_oldest(&s));
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/.tmp-%s", d.spool, spool_oldest(&s));
	ck_assert_int_ne(access(path, F_OK), 0);
	ck_assert_int_eq(spool_remove(&s, spool_oldest(&s), err, sizeof(err)), 0);
	ck_assert_str_eq(spool_oldest(&s), "001772409660-gpu-1-1772409660.json");
	ck_assert_uint_eq(s.q.n, 2);
	spool_close(&s);
	dirs_remove(&d);
}
END_TEST

START_TEST(full_spool_drops_the_oldest)
{
	struct dirs d;
	struct spool s;
	char err[AGENT_ERRLEN], dropped[300];

	dirs_make(&d);
	ck_assert_int_eq(spool_open(&s, d.spool, d.dead, 3, err, sizeof(err)), 0);
	for (int k = 0; k < 3; k++) {
		put(&s, "n", 1000 + k * 60, dropped, sizeof(dropped));
		ck_assert_str_eq(dropped, "");
	}
	put(&s, "n", 1180, dropped, sizeof(dropped));
	ck_assert_str_eq(dropped, "000000001000-n-1000.json");
	put(&s, "n", 1240, dropped, sizeof(dropped));
	ck_assert_str_eq(dropped, "000000001060-n-1060.json");
	ck_assert_uint_eq(s.dropped, 2);
	ck_assert_uint_eq(s.q.n, 3);
	ck_assert_str_eq(spool_oldest(&s), "000000001120-n-1120.json");
	/* A smaller limit (a reload) drops down to it at the next write. */
	spool_set_max(&s, 1);
	put(&s, "n", 1300, dropped, sizeof(dropped));
	ck_assert_uint_eq(s.q.n, 1);
	ck_assert_uint_eq(s.dropped, 5);
	ck_assert_str_eq(spool_oldest(&s), "000000001300-n-1300.json");
	spool_close(&s);
	dirs_remove(&d);
}
END_TEST

START_TEST(survives_reopen)
{
	struct dirs d;
	struct spool s;
	char err[AGENT_ERRLEN], path[200];
	FILE *f;

	dirs_make(&d);
	ck_assert_int_eq(spool_open(&s, d.spool, d.dead, 10, err, sizeof(err)), 0);
	put(&s, "n", 1060, NULL, 0);
	put(&s, "n", 1000, NULL, 0);
	spool_close(&s);
	/* A crash mid-write leaves a temp file; something else is not a batch. */
	snprintf(path, sizeof(path), "%s/.tmp-000000001120-n-1120.json", d.spool);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("{\"batch_", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/README", d.spool);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(spool_open(&s, d.spool, d.dead, 10, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.q.n, 2);
	ck_assert_str_eq(spool_oldest(&s), "000000001000-n-1000.json");
	snprintf(path, sizeof(path), "%s/.tmp-000000001120-n-1120.json", d.spool);
	ck_assert_int_ne(access(path, F_OK), 0);
	spool_close(&s);
	dirs_remove(&d);
}
END_TEST

START_TEST(dead_letters_with_reasons)
{
	struct dirs d;
	struct spool s;
	char err[AGENT_ERRLEN], path[300], *reason;
	const char *name;
	size_t len;
	FILE *f;

	dirs_make(&d);
	ck_assert_int_eq(spool_open(&s, d.spool, d.dead, 2, err, sizeof(err)), 0);
	put(&s, "n", 1000, NULL, 0);
	put(&s, "n", 1060, NULL, 0);
	name = "000000001000-n-1000.json";
	ck_assert_msg(spool_bury(&s, name, "HTTP 400: samples[0]: to must be after from\n", err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(s.q.n, 1);
	ck_assert_uint_eq(s.d.n, 1);
	ck_assert_str_eq(spool_oldest(&s), "000000001060-n-1060.json");
	snprintf(path, sizeof(path), "%s/%s", d.dead, name);
	ck_assert_int_eq(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/%s.reason", d.dead, name);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	reason = calloc(1, 256);
	len = fread(reason, 1, 255, f);
	fclose(f);
	ck_assert_uint_gt(len, 0);
	ck_assert_str_eq(reason, "HTTP 400: samples[0]: to must be after from\n");
	free(reason);
	/* Bounded like the spool: the oldest dead letter and its reason go. */
	put(&s, "n", 1120, NULL, 0);
	ck_assert_int_eq(spool_bury(&s, "000000001060-n-1060.json", "HTTP 403\n", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(spool_bury(&s, "000000001120-n-1120.json", "HTTP 409\n", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(s.d.n, 2);
	snprintf(path, sizeof(path), "%s/%s.reason", d.dead, name);
	ck_assert_int_ne(access(path, F_OK), 0);
	spool_close(&s);
	/* Reopened: the dead letters are counted, never offered for sending. */
	ck_assert_int_eq(spool_open(&s, d.spool, d.dead, 2, err, sizeof(err)), 0);
	ck_assert_uint_eq(s.d.n, 2);
	ck_assert_ptr_null(spool_oldest(&s));
	spool_close(&s);
	dirs_remove(&d);
}
END_TEST

START_TEST(refusals)
{
	struct dirs d;
	struct spool s;
	char err[AGENT_ERRLEN], path[200], *data;
	size_t len;
	char id[300];
	FILE *f;

	dirs_make(&d);
	/* A spool where a file stands: said, with the path. */
	snprintf(path, sizeof(path), "%s/file", d.root);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fclose(f);
	ck_assert_int_eq(spool_open(&s, path, d.dead, 10, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, path));
	ck_assert_int_eq(spool_open(&s, d.spool, d.dead, 10, err, sizeof(err)), 0);
	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	ck_assert_int_eq(spool_put(&s, id, 1, "{}", 2, NULL, 0, err, sizeof(err)), -1);
	ck_assert_int_eq(spool_read(&s, "000000000001-none.json", &data, &len, err,
	    sizeof(err)), -1);
	spool_close(&s);
	dirs_remove(&d);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("agent-spool");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, oldest_first_and_durable_names);
	tcase_add_test(tc, full_spool_drops_the_oldest);
	tcase_add_test(tc, survives_reopen);
	tcase_add_test(tc, dead_letters_with_reasons);
	tcase_add_test(tc, refusals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
