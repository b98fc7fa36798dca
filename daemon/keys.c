/* keys.c: the signing key file and the public key ring, written so that a crash leaves either whole. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "civil.h"
#include "err.h"
#include "keys.h"

#define LINE_MAX_LEN 2048

void
keys_paths(const char *db_path, struct key_paths *p)
{
	char copy[KEYS_PATH_MAX];
	const char *dir;

	snprintf(copy, sizeof(copy), "%s", db_path);
	dir = dirname(copy);
	snprintf(p->key, sizeof(p->key), "%s/grantd-signing.key", dir);
	snprintf(p->ring, sizeof(p->ring), "%s/grantd-signing.pub", dir);
	snprintf(p->checkpoints, sizeof(p->checkpoints), "%s/grantd-checkpoints.jsonl", dir);
}

/* One "ALG KEYID B64 B64" or "ALG KEYID B64 CREATED" line into its words. */
static int
split(char *line, char *w[4])
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t\n", &save); t && n < 4;
	    t = strtok_r(NULL, " \t\n", &save))
		w[n++] = t;
	return n;
}

int
keys_load(const struct key_paths *p, struct sig_key *k, char *err, size_t errlen)
{
	unsigned char sec[SIG_SEC_MAX], pub[SIG_PUB_MAX];
	char line[LINE_MAX_LEN], *w[4];
	size_t seclen, publen;
	enum sig_alg alg;
	FILE *f;
	int rc = GD_EINVAL;

	if ((f = fopen(p->key, "re")) == NULL) {
		if (errno == ENOENT)
			return GD_ENOENT;
		snprintf(err, errlen, "cannot read the signing key %s: %s", p->key,
		    strerror(errno));
		return GD_EIO;
	}
	if (fgets(line, sizeof(line), f) != NULL && split(line, w) == 4 &&
	    sig_alg_parse(w[0], &alg) == 0 &&
	    sig_unb64(w[2], sec, sizeof(sec), &seclen) == 0 &&
	    sig_unb64(w[3], pub, sizeof(pub), &publen) == 0 &&
	    sig_key_from(alg, pub, publen, sec, seclen, k) == 0 && strcmp(k->id, w[1]) == 0)
		rc = 0;
	fclose(f);
	explicit_bzero(sec, sizeof(sec));
	explicit_bzero(line, sizeof(line));
	if (rc < 0)
		snprintf(err, errlen, "%s is not a grantd signing key (ALG KEYID SECRET PUBLIC)",
		    p->key);
	return rc;
}

int
keys_ring(const char *path, struct sig_key **keys, size_t *n, char *err, size_t errlen)
{
	char line[LINE_MAX_LEN], *w[4];
	unsigned char pub[SIG_PUB_MAX];
	struct sig_key *v = NULL, *nv;
	size_t cnt = 0, publen;
	enum sig_alg alg;
	int lineno = 0;
	FILE *f;

	*keys = NULL;
	*n = 0;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return GD_ENOENT;
		snprintf(err, errlen, "cannot read the public keys %s: %s", path, strerror(errno));
		return GD_EIO;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if ((nv = realloc(v, (cnt + 1) * sizeof(*v))) == NULL) {
			free(v);
			fclose(f);
			return GD_ENOMEM;
		}
		v = nv;
		if (split(line, w) != 4 || sig_alg_parse(w[0], &alg) < 0 ||
		    sig_unb64(w[2], pub, sizeof(pub), &publen) < 0 ||
		    sig_key_from(alg, pub, publen, NULL, 0, &v[cnt]) < 0 ||
		    strcmp(v[cnt].id, w[1]) != 0) {
			snprintf(err, errlen, "%s:%d: not a public key line (ALG KEYID PUBLIC "
			    "CREATED), or its key id is not its key's", path, lineno);
			free(v);
			fclose(f);
			return GD_EINVAL;
		}
		cnt++;
	}
	fclose(f);
	*keys = v;
	*n = cnt;
	return 0;
}

/* Writes all of buf to fd and syncs it: 0 or -1 (errno). */
static int
write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		buf += w;
		len -= (size_t)w;
	}
	return fsync(fd);
}

/* Syncs the directory of path, so that a rename or a new file survives a crash. */
static void
sync_dir(const char *path)
{
	char copy[KEYS_PATH_MAX];
	int fd;

	snprintf(copy, sizeof(copy), "%s", path);
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
}

int
keys_create(const struct key_paths *p, enum sig_alg alg, int64_t now, bool rotate,
    struct sig_key *k, char *err, size_t errlen)
{
	char sec[SIG_B64_MAX], pub[SIG_B64_MAX], tmp[KEYS_PATH_MAX + 8];
	char line[LINE_MAX_LEN], at[CIVIL_INSTANT_LEN];
	struct stat sb;
	int fd, n;

	if (!rotate && stat(p->key, &sb) == 0) {
		snprintf(err, errlen, "%s exists already: `grantd key rotate` replaces it", p->key);
		return GD_EEXIST;
	}
	if (sig_generate(alg, k) < 0) {
		snprintf(err, errlen, "cannot make a %s key", sig_alg_name(alg));
		return GD_EIO;
	}
	sig_b64(k->sec, k->seclen, sec);
	sig_b64(k->pub, k->publen, pub);
	civil_format_instant(now, at);
	/* The public key first: a key that signed is always in the ring. */
	n = snprintf(line, sizeof(line), "%s %s %s %s\n", sig_alg_name(alg), k->id, pub, at);
	if ((fd = open(p->ring, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) < 0 ||
	    write_all(fd, line, (size_t)n) < 0) {
		snprintf(err, errlen, "cannot append to %s: %s", p->ring, strerror(errno));
		if (fd >= 0)
			close(fd);
		sig_key_wipe(k);
		return GD_EIO;
	}
	close(fd);
	snprintf(tmp, sizeof(tmp), "%s.new", p->key);
	n = snprintf(line, sizeof(line), "%s %s %s %s\n", sig_alg_name(alg), k->id, sec, pub);
	explicit_bzero(sec, sizeof(sec));
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 ||
	    write_all(fd, line, (size_t)n) < 0 || rename(tmp, p->key) < 0) {
		snprintf(err, errlen, "cannot write the signing key %s: %s", p->key,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		unlink(tmp);
		explicit_bzero(line, sizeof(line));
		sig_key_wipe(k);
		return GD_EIO;
	}
	close(fd);
	explicit_bzero(line, sizeof(line));
	sync_dir(p->key);
	return 0;
}

int
keys_ensure(const struct key_paths *p, enum sig_alg alg, int64_t now, struct sig_key *k,
    bool *made, char *err, size_t errlen)
{
	int rc = keys_load(p, k, err, errlen);

	*made = false;
	if (rc != GD_ENOENT)
		return rc;
	if ((rc = keys_create(p, alg, now, false, k, err, errlen)) == 0)
		*made = true;
	return rc;
}
