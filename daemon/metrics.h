/* metrics.h: counters kept in memory and the Prometheus text exposition. */
#ifndef GRANTD_METRICS_H
#define GRANTD_METRICS_H

#include <stdint.h>

/*
 * Counts one finished request: its route pattern ("/v1/teams/{team}", or
 * "unmatched"), method, status and duration.  Only the loop thread calls
 * it, so plain integers suffice.
 */
void metrics_request(const char *method, const char *route, int status, uint64_t ns);

/* Counts one group commit of n changes. */
void metrics_batch(uint64_t n);

#endif
