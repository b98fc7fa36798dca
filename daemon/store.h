/* store.h: every store header, for the callers that still include this one. */
#ifndef GRANTD_STORE_H
#define GRANTD_STORE_H

/*
 * The store is one file per entity (store_<entity>.[ch]).  This header
 * declares nothing of its own; files include the entity they use.
 */
#include "store_audit.h"
#include "store_catalog.h"
#include "store_pools.h"
#include "store_tokens.h"

#endif
