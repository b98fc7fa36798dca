/* version.h: the release. */
#ifndef GRANTD_VERSION
#define GRANTD_VERSION "0.1.0"
#endif
