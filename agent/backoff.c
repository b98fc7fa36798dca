/* backoff.c: what grantd's answer to a batch means, and how long to wait before the next try. */
#include "agent.h"

/* Retry-After beyond this is not waited out in full: the agent tries again within the hour. */
#define RETRY_AFTER_MAX_S	3600
#define BACKOFF_FIRST_MS	1000LL
#define BACKOFF_MAX_MS		300000LL

enum post_verdict
post_classify(long status)
{
	if (status >= 200 && status < 300)
		return POST_OK;
	/*
	 * 429 is grantd's rate limit and wants the same batch later.  401 is
	 * the token, not the batch (expired, revoked, or its grace after a
	 * rotation over): the batches wait in the spool for an operator to put
	 * a new one in place, rather than all going to the dead letters.  Any
	 * other 4xx says the batch itself is wrong (a sample refused, a node
	 * this token may not report for): sending it again cannot help.
	 * Everything else -- no answer, 5xx, a proxy's 3xx -- may pass.
	 */
	if (status >= 400 && status < 500 && status != 429 && status != 401)
		return POST_DEAD;
	return POST_RETRY;
}

int64_t
backoff_ms(unsigned attempt, uint32_t rnd, long retry_after_s)
{
	int64_t step = BACKOFF_FIRST_MS, half, wait;

	for (unsigned i = 1; i < attempt && step < BACKOFF_MAX_MS; i++)
		step *= 2;
	if (step > BACKOFF_MAX_MS)
		step = BACKOFF_MAX_MS;
	half = step / 2;
	wait = half + (int64_t)(rnd % (uint32_t)(half + 1));
	if (retry_after_s > RETRY_AFTER_MAX_S)
		retry_after_s = RETRY_AFTER_MAX_S;
	if (retry_after_s > 0 && wait < retry_after_s * 1000)
		wait = retry_after_s * 1000;
	return wait;
}
