/* log_level.h: the log levels, as syslog(3) priorities, and their one name table. */
#ifndef GRANTD_LOG_LEVEL_H
#define GRANTD_LOG_LEVEL_H

/*
 * syslog(3) priorities, as journald reads them from "<N>" prefixes: what
 * [log] level holds (config.h), what daemon/log.c filters and prefixes by.
 */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* "error", "warning", "notice", "info" or "debug"; NULL for another value. */
const char *log_level_name(enum log_level lvl);

/*
 * The level named s, in any case ("Debug" as the configuration file may
 * write it): 0 with *lvl, or GD_EINVAL (nothing written).
 */
int log_level_parse(const char *s, enum log_level *lvl);

#endif
