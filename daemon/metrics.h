/* metrics.h: counters kept in memory and the Prometheus text exposition. */
#ifndef GRANTD_METRICS_H
#define GRANTD_METRICS_H

#include <stdint.h>

/*
 * Counts one finished request: its route pattern ("/v1/teams/{team}", or
 * "unmatched"), method (any the client sent: one outside the standard few
 * is counted as "other"), status and duration.  Only the loop thread calls
 * it, so plain integers suffice.
 */
void metrics_request(const char *method, const char *route, int status, uint64_t ns);

/* Why grantd closed a connection whose request was not all read. */
enum metrics_cut {
	METRICS_CUT_DEADLINE,	/* no complete request within request_timeout_s */
	METRICS_CUT_SHED,	/* the oldest such, to make room for a new one */
	METRICS_CUT_ADDRESS,	/* past max_connections_per_ip: its oldest such, or the new one */
};

/* Counts one connection closed by grantd for being slow. */
void metrics_cut(enum metrics_cut why);

/* Counts one group commit of n changes. */
void metrics_batch(uint64_t n);

#endif
