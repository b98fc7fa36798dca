/* fairness_report.h: the fairness report of a phase (JSON; lib/report writes the CSV). */
#ifndef GRANTD_FAIRNESS_REPORT_H
#define GRANTD_FAIRNESS_REPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct db;

/*
 * The fairness report of a phase, with figures up to `at`, generated at
 * `now`, its digest set (lib/report.h says how to recompute it, and
 * report_csv writes it as CSV).  0 with *out, or GD_ENOENT (no such phase;
 * err says so), GD_EIO, GD_ENOMEM, GD_ERANGE.
 */
int fairness_report_build(struct db *db, const char *phase, int64_t at, int64_t now,
    json_t **out, char *err, size_t errlen);

#endif
