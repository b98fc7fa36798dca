/* app.c: the daemon's clock and configuration file loading. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "civil.h"
#include "err.h"

/*
 * Tests move time by writing an RFC 3339 instant to the clock file; the
 * daemon reads it on every call, so no test ever sleeps.  Production runs
 * never set it.  An unreadable file falls back to the real clock.
 */
int64_t
app_now(const struct app *app)
{
	return clock_now(app->clock_file);
}

int64_t
clock_now(const char *clock_file)
{
	char buf[64];
	int64_t t;
	ssize_t n;
	int fd;

	if (clock_file == NULL)
		return (int64_t)time(NULL);
	if ((fd = open(clock_file, O_RDONLY | O_CLOEXEC)) < 0)
		return (int64_t)time(NULL);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (int64_t)time(NULL);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n ")] = '\0';
	if (civil_parse_instant(buf, &t) < 0)
		return (int64_t)time(NULL);
	return t;
}

int
app_load_config(const char *path, struct config *cfg, FILE *report)
{
	struct config_errors errs;
	struct stat st;
	char *text;
	ssize_t n;
	int fd, rc;

	config_defaults(cfg);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(report, "%s: %s\n", path, strerror(errno));
		return GD_EIO;
	}
	if (fstat(fd, &st) < 0 || st.st_size > CONFIG_TEXT_MAX) {
		fprintf(report, "%s: %s\n", path, st.st_size > CONFIG_TEXT_MAX ?
		    "file too large" : strerror(errno));
		close(fd);
		return GD_EIO;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return GD_ENOMEM;
	}
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n < 0) {
		fprintf(report, "%s: %s\n", path, strerror(errno));
		free(text);
		return GD_EIO;
	}
	rc = config_parse(text, (size_t)n, cfg, &errs);
	free(text);
	if (rc < 0) {
		for (int i = 0; i < errs.n && i < CONFIG_ERRORS_MAX; i++)
			fprintf(report, "%s:%d: %s\n", path, errs.e[i].line, errs.e[i].msg);
		if (errs.n > CONFIG_ERRORS_MAX)
			fprintf(report, "%s: %d more errors\n", path, errs.n - CONFIG_ERRORS_MAX);
	}
	return rc;
}

void
app_format_when_in(int64_t t, const char *zone, int32_t off, char *buf)
{
	struct civil_zone z;

	civil_zone_of(zone, off, &z);
	civil_format_when(t, &z, buf);
}

void
app_zone(const struct app *app, struct civil_zone *z)
{
	civil_zone_of(app->cfg.programme.timezone, app->cfg.programme.tz_offset, z);
}

void
app_format_when(const struct app *app, int64_t t, char *buf)
{
	app_format_when_in(t, app->cfg.programme.timezone, app->cfg.programme.tz_offset, buf);
}
