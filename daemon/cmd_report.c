/* cmd_report.c: `grantd report`, the fairness report of a phase written to a file. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_report.h"
#include "db.h"
#include "err.h"
#include "fairness_report.h"
#include "jsonv.h"
#include "report.h"

static int
write_all(int fd, const char *s, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, s, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The report to out: what is buffered there first, then the text, unbuffered. */
static int
write_out(FILE *out, const char *text, size_t len, bool newline)
{
	int fd = fileno(out);

	if (fflush(out) != 0 || fd < 0)
		return -1;
	return write_all(fd, text, len) < 0 || (newline && write_all(fd, "\n", 1) < 0) ? -1 : 0;
}

int
cmd_report(const char *db_path, const char *phase, bool csv, const char *file, FILE *out,
    char *err, size_t errlen)
{
	char why[GD_ERRBUF], tmp[4200];
	struct db *db = NULL;
	json_t *rep = NULL;
	char *text = NULL;
	size_t len = 0;
	int64_t now = (int64_t)time(NULL);
	int fd, rc, status = 1;

	err[0] = '\0';
	if (db_path == NULL || phase == NULL || file == NULL) {
		snprintf(err, errlen, "report needs --db PATH, --phase ID and a FILE (- for "
		    "stdout)");
		return 2;
	}
	if (!jv_valid_id(phase)) {
		snprintf(err, errlen, "--phase must be a phase id");
		return 2;
	}
	if (db_open(db_path, DB_READER, 5000, &db, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return 1;
	}
	struct fairness_query q = { .phase = phase, .at = now, .as_of = -1 };

	if ((rc = fairness_report_build(db, &q, now, &rep, why, sizeof(why))) < 0) {
		if (rc == GD_ENOENT)
			snprintf(err, errlen, "%s", why);
		else
			snprintf(err, errlen, "cannot build the report: %s", db_errmsg(db));
		goto out;
	}
	if (csv) {
		if (report_csv(rep, &text, &len) < 0) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
	} else {
		/* Reals as the API prints them, so the file reads like the response. */
		if ((text = json_dumps(rep, JSON_INDENT(2) | JSON_SORT_KEYS |
		    JSON_REAL_PRECISION(15))) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		len = strlen(text);
	}
	if (strcmp(file, "-") == 0) {
		if (write_out(out, text, len, !csv) < 0) {
			snprintf(err, errlen, "cannot write the report: %s", strerror(errno));
			goto out;
		}
		status = 0;
		goto out;
	}
	/* Written beside FILE and renamed over it: a reader never sees half a report. */
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", file, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = write_all(fd, text, len) < 0 || (!csv && write_all(fd, "\n", 1) < 0) ||
	    fsync(fd) < 0 ? -1 : 0;
	if (close(fd) < 0)
		rc = -1;
	if (rc < 0 || rename(tmp, file) < 0) {
		snprintf(err, errlen, "cannot write %s: %s", file, strerror(errno));
		unlink(tmp);
		goto out;
	}
	status = 0;
out:
	free(text);
	json_decref(rep);
	db_close(db);
	return status;
}
