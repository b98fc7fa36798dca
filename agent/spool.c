/* spool.c: batches kept on disk until grantd takes them, and the dead letters it refused. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

/*
 * A batch file is named "FROM-BATCHID.json", FROM the period's first
 * second zero-padded to 12 digits, so that names sort oldest first.  A
 * file being written is ".tmp-NAME" until it is complete and synced: a
 * crash leaves at worst a temp file, which the next open removes, never
 * half a batch under a real name.  The dead letters are the same files in
 * the dead-letter directory, each with NAME.reason beside it.
 */
#define SUFFIX		".json"
#define REASON		".reason"
#define BATCH_MAX	(1 << 20)	/* a batch is one sample; a megabyte is a broken file */

static int
fail(char *err, size_t errlen, const char *what, const char *path)
{
	snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
	return -1;
}

static int
list_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
list_free(struct spool_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int
list_add(struct spool_list *l, const char *name)
{
	char *dup;

	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, nc * sizeof(*nv));

		if (nv == NULL)
			return -1;
		l->v = nv;
		l->cap = nc;
	}
	if ((dup = strdup(name)) == NULL)
		return -1;
	l->v[l->n++] = dup;
	return 0;
}

/* Inserts in order (a batch written late, after a restart, may be older than others). */
static int
list_insert(struct spool_list *l, const char *name)
{
	size_t i;
	char *tmp;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 0;
	if (list_add(l, name) < 0)
		return -1;
	for (i = l->n - 1; i > 0 && strcmp(l->v[i - 1], l->v[i]) > 0; i--) {
		tmp = l->v[i - 1];
		l->v[i - 1] = l->v[i];
		l->v[i] = tmp;
	}
	return 0;
}

static void
list_drop(struct spool_list *l, size_t i)
{
	free(l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->n--;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcmp(s + n - m, suffix) == 0;
}

static int
fsync_dir(const char *dir, char *err, size_t errlen)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fail(err, errlen, "cannot open", dir);
	if (fsync(fd) < 0) {
		close(fd);
		return fail(err, errlen, "cannot sync", dir);
	}
	close(fd);
	return 0;
}

/* mkdir -p with mode 0700: the parents the unit's StateDirectory= did not make. */
static int
make_dir(const char *dir, char *err, size_t errlen)
{
	char path[CONF_PATH_LEN];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return fail(err, errlen, "cannot make", path);
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return fail(err, errlen, "cannot make", path);
	return 0;
}

/* The batch files of dir, oldest first; temp files left by a crash are removed. */
static int
scan(const char *dir, struct spool_list *l, char *err, size_t errlen)
{
	char path[CONF_PATH_LEN + 300];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return fail(err, errlen, "cannot read", dir);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, ".tmp-", 5) == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
			continue;
		}
		if (de->d_name[0] == '.' || !ends_with(de->d_name, SUFFIX))
			continue;
		if (list_add(l, de->d_name) < 0) {
			closedir(d);
			errno = ENOMEM;
			return fail(err, errlen, "cannot list", dir);
		}
	}
	closedir(d);
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(l->v[0]), list_cmp);
	return 0;
}

int
spool_open(struct spool *s, const char *dir, const char *dead, size_t max, char *err,
    size_t errlen)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	snprintf(s->dead, sizeof(s->dead), "%s", dead);
	s->max = max;
	if (make_dir(s->dir, err, errlen) < 0 || make_dir(s->dead, err, errlen) < 0 ||
	    scan(s->dir, &s->q, err, errlen) < 0 || scan(s->dead, &s->d, err, errlen) < 0) {
		spool_close(s);
		return -1;
	}
	return 0;
}

void
spool_close(struct spool *s)
{
	if (s == NULL)
		return;
	list_free(&s->q);
	list_free(&s->d);
}

void
spool_set_max(struct spool *s, size_t max)
{
	s->max = max;
}

/* Writes data to dir/name durably: temp file, fsync, rename, directory fsync. */
static int
put_file(const char *dir, const char *name, const char *data, size_t len, char *err,
    size_t errlen)
{
	char tmp[CONF_PATH_LEN + 200], path[CONF_PATH_LEN + 200];
	size_t o = 0;
	ssize_t n;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, errlen, "cannot create", tmp);
	while (o < len) {
		if ((n = write(fd, data + o, len - o)) < 0) {
			if (errno == EINTR)
				continue;
			fail(err, errlen, "cannot write", tmp);
			goto bad;
		}
		o += (size_t)n;
	}
	if (fsync(fd) < 0) {
		fail(err, errlen, "cannot sync", tmp);
		goto bad;
	}
	if (close(fd) < 0) {
		fd = -1;
		fail(err, errlen, "cannot close", tmp);
		goto bad;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		fail(err, errlen, "cannot rename", tmp);
		goto bad;
	}
	return fsync_dir(dir, err, errlen);
bad:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
}

/* "000000000060-gpu-7-60.json": sorts by from, then names the batch. */
static int
batch_name(const char *batch_id, int64_t from, char *name, size_t len)
{
	int n = snprintf(name, len, "%012lld-%s%s", (long long)(from < 0 ? 0 : from), batch_id,
	    SUFFIX);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Drops the oldest of a list (and, for dead letters, its reason) while it is full. */
static int
make_room(const char *dir, struct spool_list *l, size_t max, bool reasons, char *dropped,
    size_t droppedlen, uint64_t *count)
{
	char path[CONF_PATH_LEN + 300];

	while (l->n >= max && l->n > 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, l->v[0]);
		if (unlink(path) < 0 && errno != ENOENT)
			return -1;
		if (reasons) {
			snprintf(path, sizeof(path), "%s/%s%s", dir, l->v[0], REASON);
			unlink(path);
		}
		if (dropped != NULL)
			snprintf(dropped, droppedlen, "%s", l->v[0]);
		if (count != NULL)
			(*count)++;
		list_drop(l, 0);
	}
	return 0;
}

int
spool_put(struct spool *s, const char *batch_id, int64_t from, const char *data, size_t len,
    char *dropped, size_t droppedlen, char *err, size_t errlen)
{
	char name[256];
	bool known = false;

	if (dropped != NULL && droppedlen > 0)
		dropped[0] = '\0';
	if (batch_name(batch_id, from, name, sizeof(name)) < 0) {
		snprintf(err, errlen, "batch id too long: %.80s", batch_id);
		return -1;
	}
	for (size_t i = 0; i < s->q.n && !known; i++)
		known = strcmp(s->q.v[i], name) == 0;
	/* The same batch written again (a stop right after a period's end) replaces itself. */
	if (!known && make_room(s->dir, &s->q, s->max, false, dropped, droppedlen,
	    &s->dropped) < 0)
		return fail(err, errlen, "cannot drop the oldest batch in", s->dir);
	if (put_file(s->dir, name, data, len, err, errlen) < 0)
		return -1;
	if (list_insert(&s->q, name) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

const char *
spool_oldest(const struct spool *s)
{
	return s->q.n > 0 ? s->q.v[0] : NULL;
}

int
spool_read(const struct spool *s, const char *name, char **data, size_t *len, char *err,
    size_t errlen)
{
	char path[CONF_PATH_LEN + 300];
	struct stat sb;
	ssize_t n;
	size_t o = 0;
	char *buf;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return fail(err, errlen, "cannot open", path);
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode) || sb.st_size > BATCH_MAX) {
		close(fd);
		snprintf(err, errlen, "%s: not a batch file (larger than 1 MiB or not a file)",
		    path);
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (o < (size_t)sb.st_size && (n = read(fd, buf + o, (size_t)sb.st_size - o)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fail(err, errlen, "cannot read", path);
			close(fd);
			free(buf);
			return -1;
		}
		o += (size_t)n;
	}
	close(fd);
	buf[o] = '\0';
	*data = buf;
	*len = o;
	return 0;
}

static ssize_t
find(const struct spool_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return (ssize_t)i;
	return -1;
}

int
spool_remove(struct spool *s, const char *name, char *err, size_t errlen)
{
	char path[CONF_PATH_LEN + 300];
	ssize_t i = find(&s->q, name);

	snprintf(path, sizeof(path), "%s/%s", s->dir, name);
	if (unlink(path) < 0 && errno != ENOENT)
		return fail(err, errlen, "cannot remove", path);
	if (i >= 0)
		list_drop(&s->q, (size_t)i);
	/* Gone for good only once the directory says so: else a crash resends (harmless). */
	return fsync_dir(s->dir, err, errlen);
}

int
spool_bury(struct spool *s, const char *name, const char *reason, char *err, size_t errlen)
{
	char from[CONF_PATH_LEN + 300], to[CONF_PATH_LEN + 300], rname[300];
	ssize_t i = find(&s->q, name);

	snprintf(from, sizeof(from), "%s/%s", s->dir, name);
	snprintf(to, sizeof(to), "%s/%s", s->dead, name);
	snprintf(rname, sizeof(rname), "%s%s", name, REASON);
	if (make_room(s->dead, &s->d, s->max, true, NULL, 0, NULL) < 0)
		return fail(err, errlen, "cannot drop the oldest dead letter in", s->dead);
	/* The reason first: a dead letter is never without one. */
	if (put_file(s->dead, rname, reason, strlen(reason), err, errlen) < 0)
		return -1;
	if (rename(from, to) < 0)
		return fail(err, errlen, "cannot move", from);
	if (fsync_dir(s->dead, err, errlen) < 0 || fsync_dir(s->dir, err, errlen) < 0)
		return -1;
	if (i >= 0)
		list_drop(&s->q, (size_t)i);
	if (list_insert(&s->d, name) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
