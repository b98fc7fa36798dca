/* log.h: leveled logging to stderr, with journald priority prefixes. */
#ifndef GRANTD_LOG_H
#define GRANTD_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "log_level.h"	/* enum log_level, its names */

void log_init(void);
void log_set_level(enum log_level lvl);
bool log_enabled(enum log_level lvl);

/*
 * s (text from a request: a path, a method, a header) made safe as one
 * field of a log line: blanks, control characters, '"', '\\', '=', '%' and
 * every byte outside ASCII become %XX, so the field can neither end early
 * nor fake another field or line.  Cut to n bytes (n >= 4), "..." marking
 * the cut.  Returns out.
 */
const char *log_escape(char *out, size_t n, const char *s);

/* Control characters left in a message are written as \xNN. */
void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * A record, not a message: written at notice priority whatever the level,
 * for what must reach the journal (a checkpoint is kept there).
 */
void log_record(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
