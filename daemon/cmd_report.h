/* cmd_report.h: `grantd report`, the fairness report of a phase written to a file. */
#ifndef GRANTD_CMD_REPORT_H
#define GRANTD_CMD_REPORT_H

#include <stdbool.h>
#include <stdio.h>

/*
 * `grantd report --db PATH --phase ID [--csv] FILE`: writes the fairness
 * report of the phase as of now (JSON, or CSV) to FILE, through a
 * temporary file renamed over it, or to out when FILE is "-".  Returns the
 * exit status: 0, 1 (failure) or 2 (bad arguments), with a one-line
 * message in err unless 0 (CMD_REPORT_ERRBUF bytes hold any: it may name
 * FILE).  Prints nothing itself: the caller says err on the terminal.
 */
#define CMD_REPORT_ERRBUF 8448
int cmd_report(const char *db_path, const char *phase, bool csv, const char *file, FILE *out,
    char *err, size_t errlen);

#endif
