/* routes.h: transitional, for the route files not yet moved to request.h (respond.c holds every reply helper). */
#ifndef GRANTD_ROUTES_H
#define GRANTD_ROUTES_H

#include "request.h"

#endif
