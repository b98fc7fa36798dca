/* conf.c: grantctl's configuration file (url=, token=, tz=, cacert=), owner-only, lexed by inih. */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "grantctl.h"

struct conf_parse {
	struct ctl *c;
	const char *path;
	int errors;
};

int
conf_default_path(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	int w;

	if (xdg != NULL && xdg[0] == '/')
		w = snprintf(buf, n, "%s/grantctl/config", xdg);
	else if (home != NULL && home[0] != '\0')
		w = snprintf(buf, n, "%s/.config/grantctl/config", home);
	else
		return -1;
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

static int
on_key(void *arg, const char *section, const char *name, const char *value)
{
	struct conf_parse *p = arg;
	char *dst;
	size_t n;

	/* Keys at the top or under [grantctl]; nothing else is grantctl's. */
	if (section[0] != '\0' && strcmp(section, "grantctl") != 0) {
		fprintf(stderr, "grantctl: %s: unknown section [%s]\n", p->path, section);
		p->errors++;
		return 1;
	}
	if (strcmp(name, "url") == 0) {
		dst = p->c->conf_url;
		n = sizeof(p->c->conf_url);
	} else if (strcmp(name, "token") == 0) {
		dst = p->c->conf_token;
		n = sizeof(p->c->conf_token);
	} else if (strcmp(name, "tz") == 0) {
		dst = p->c->conf_tz;
		n = sizeof(p->c->conf_tz);
	} else if (strcmp(name, "cacert") == 0) {
		dst = p->c->conf_cacert;
		n = sizeof(p->c->conf_cacert);
	} else {
		fprintf(stderr, "grantctl: %s: unknown key '%s' (expected url, token, tz or "
		    "cacert)\n", p->path, name);
		p->errors++;
		return 1;
	}
	if (strlen(value) >= n) {
		fprintf(stderr, "grantctl: %s: %s is longer than %zu bytes\n", p->path, name, n - 1);
		p->errors++;
		return 1;
	}
	snprintf(dst, n, "%s", value);
	return 1;
}

int
conf_load(struct ctl *c, const char *path, bool must_exist)
{
	struct conf_parse p = { c, path, 0 };
	struct stat st;
	FILE *f;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && !must_exist)
			return 0;
		fprintf(stderr, "grantctl: %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	/* Checked on the open file, so that a rename in between cannot fool the check. */
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "grantctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return EXIT_USAGE;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "grantctl: %s: not a regular file\n", path);
		close(fd);
		return EXIT_USAGE;
	}
	/* It may hold a bearer token: like ssh with a private key, refuse a readable one. */
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fprintf(stderr, "grantctl: %s: mode %04o lets other users read or change it; "
		    "it may hold a token, so grantctl refuses it: chmod 600 '%s'\n", path,
		    (unsigned)(st.st_mode & 07777), path);
		close(fd);
		return EXIT_USAGE;
	}
	if (st.st_uid != geteuid()) {
		fprintf(stderr, "grantctl: %s: owned by uid %u, not by you (uid %u); refused\n",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return EXIT_USAGE;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		fprintf(stderr, "grantctl: %s: %s\n", path, strerror(errno));
		close(fd);
		return EXIT_USAGE;
	}
	rc = ini_parse_file(f, on_key, &p);
	fclose(f);
	if (rc > 0) {
		fprintf(stderr, "grantctl: %s:%d: syntax error (expected key = value)\n", path, rc);
		return EXIT_USAGE;
	}
	if (rc < 0) {
		fprintf(stderr, "grantctl: %s: cannot read\n", path);
		return EXIT_USAGE;
	}
	return p.errors ? EXIT_USAGE : 0;
}

/* Makes each missing directory of path's parent with mode 0700, as XDG asks of its own. */
static int
make_parents(const char *path)
{
	char dir[4096];
	size_t n = strlen(path);

	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return 0;
}

int
conf_save(const char *path, const struct conf_values *v)
{
	char tmp[4096 + 8], dir[4096], *slash;
	FILE *f = NULL;
	int fd = -1, dfd, rc;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp) ||
	    snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	if ((rc = make_parents(path)) < 0)
		return rc;
	/* mkostemp() makes the file 0600 whatever the umask, so the token is never readable. */
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0 || (f = fdopen(fd, "w")) == NULL)
		goto fail;
	fd = -1;
	fprintf(f, "# grantctl configuration, written by grantctl; see grantctl(1).\n");
	if (v->url && *v->url)
		fprintf(f, "url = %s\n", v->url);
	if (v->token && *v->token)
		fprintf(f, "token = %s\n", v->token);
	if (v->tz && *v->tz)
		fprintf(f, "tz = %s\n", v->tz);
	if (v->cacert && *v->cacert)
		fprintf(f, "cacert = %s\n", v->cacert);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0)
		goto fail;
	if (fclose(f) != 0) {
		f = NULL;
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) < 0)
		goto fail;
	/* The rename itself reaches the disk with the directory. */
	if ((slash = strrchr(dir, '/')) != NULL) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	return 0;
fail:
	rc = -errno;
	if (f != NULL)
		fclose(f);
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc < 0 ? rc : -EIO;
}
