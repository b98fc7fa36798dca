/* hookrecv.h: a webhook receiver for tests, on loopback, one request per connection. */
#ifndef GRANTD_TEST_HOOKRECV_H
#define GRANTD_TEST_HOOKRECV_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* One request as it arrived: its path, grantd's headers ("" when absent), the body. */
struct hook_req {
	const char *path, *sig, *id, *type;
	const char *body;
	size_t len;
};

/*
 * Called on the receiver's thread for each request, one at a time: returns
 * the status to answer, or 0 to say nothing for hang_ms and hang up (a
 * receiver that makes grantd time out).
 */
typedef int hook_fn(const struct hook_req *rq, void *arg);

struct hookrecv {
	int fd, port;
	int hang_ms;
	hook_fn *fn;
	void *arg;
	pthread_t th;
	bool stop, hanging;
};

void hookrecv_start(struct hookrecv *r, hook_fn *fn, void *arg, int hang_ms);
void hookrecv_stop(struct hookrecv *r);
/* Whether it is saying nothing to a request right now. */
bool hookrecv_hanging(struct hookrecv *r);

/* Checks a Grantd-Signature "t=T,v1=HEX" over "T.BODY" with the secret. */
bool hook_sig_ok(const char *secret, const char *sig, const char *body, size_t len);

#endif
