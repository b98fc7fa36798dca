/* usage.h: transitional: `grantd report` under its old name, until main.c calls cmd_report. */
#ifndef GRANTD_USAGE_H
#define GRANTD_USAGE_H

#include <stdbool.h>

/* cmd_report with stdout, its message said on stderr; returns the exit status. */
int usage_cli_report(const char *db_path, const char *phase, bool csv, const char *file);

#endif
