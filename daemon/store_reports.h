/* store_reports.h: SQL for the fairness reports kept as they were produced (schema/009). */
#ifndef GRANTD_STORE_REPORTS_H
#define GRANTD_STORE_REPORTS_H

#include <stdint.h>

struct db;

/* A kept report: its canonical text (lib/report.h), digest and when it was produced. */
struct kept_report {
	int64_t audit_seq, at, generated_at;
	char digest[80];
	char *body;		/* malloc'd */
};

/* Keeps a report once per (phase, audit_seq, at); a second one is not stored. */
int store_report_keep(struct db *db, const char *phase, const struct kept_report *r);

/* Forgets the reports produced before `before`. */
int store_report_purge(struct db *db, int64_t before);

/*
 * The report of phase kept at audit_seq, at `at` (-1: the one produced
 * last at that sequence); GD_ENOENT when there is none.  r->body is
 * malloc'd.
 */
int store_report_kept(struct db *db, const char *phase, int64_t audit_seq, int64_t at,
    struct kept_report *r);

#endif
