/* err.h: error codes shared by lib/ and daemon/. */
#ifndef GRANTD_ERR_H
#define GRANTD_ERR_H

/*
 * Functions return 0 on success or one of these negative codes.  Each code
 * maps to one problem code of the API contract (resp_error in daemon/respond.c),
 * so a decision made in lib/ reaches the client without translation tables
 * scattered through the routes.  Codes that are not client errors (NOMEM,
 * IO) become 500/503.
 */
enum gd_err {
	GD_OK = 0,
	GD_EINVAL = -1,		/* bad_request */
	GD_ENOMEM = -2,		/* internal */
	GD_ERANGE = -3,		/* bad_request: overflow or out of range */
	GD_ENOENT = -4,		/* not_found */
	GD_EEXIST = -5,		/* already_exists */
	GD_ECONFLICT = -6,	/* conflict */
	GD_ECAPACITY = -7,	/* capacity_exceeded */
	GD_ENOCAPACITY = -8,	/* no_capacity */
	GD_EFAIRNESS = -9,	/* fairness_violation */
	GD_EFUNDS = -10,	/* insufficient_funds */
	GD_ERELATED = -11,	/* related_party */
	GD_ESTATE = -12,	/* invalid_state */
	GD_EIO = -13,		/* unavailable: storage could not commit */
	GD_EFORBIDDEN = -14,	/* forbidden */
};

/* Writers of error details use a caller buffer of this size. */
#define GD_ERRBUF 256

#endif
