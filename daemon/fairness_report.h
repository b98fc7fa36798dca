/* fairness_report.h: the fairness report of a phase (JSON; lib/report writes the CSV). */
#ifndef GRANTD_FAIRNESS_REPORT_H
#define GRANTD_FAIRNESS_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct db;

struct fairness_query {
	const char *phase;
	int64_t at;		/* figures up to this instant */
	bool has_at;		/* at was asked for (not the default, now) */
	int64_t as_of;		/* an audit sequence, or -1 */
	bool keep;		/* keep it (the API does; the offline command only reads) */
};

/*
 * The fairness report of a phase, teams judged against each other
 * (lib/across.h), with figures up to q->at, generated at `now`, naming the
 * last audit entry it reflects (audit_seq), its digest set (lib/report.h
 * says how to recompute it; report_csv writes it as CSV).  Each report is
 * kept (schema/009) once per phase, audit sequence and at, so that
 * q->as_of, an earlier sequence, gives back the report produced then, the
 * same to the byte of its canonical form (the kept one produced last at
 * that sequence, or the one for q->at when has_at).  Runs on the writer,
 * in the caller's transaction: keeping the report is a write.
 *
 * 0 with *out, or GD_ENOENT (no such phase; no report kept for as_of, or
 * as_of past the newest entry; err says which), GD_EIO, GD_ENOMEM,
 * GD_ERANGE.
 */
int fairness_report_build(struct db *db, const struct fairness_query *q, int64_t now,
    json_t **out, char *err, size_t errlen);

#endif
