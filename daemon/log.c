/* log.c: one line per message on stderr; "<N>" prefixes under journald. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "civil.h"
#include "log.h"

static enum log_level log_max = LOG_LVL_INFO;
static bool log_journal;

/*
 * systemd sets JOURNAL_STREAM to "DEV:INO" of the stream it connected to
 * stderr; only when stderr is still that stream does journald parse our
 * prefixes (a redirect in a wrapper script would make them noise).
 */
void
log_init(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	log_journal = js != NULL && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
	    fstat(2, &st) == 0 && st.st_dev == dev && st.st_ino == ino;
}

void
log_set_level(enum log_level lvl)
{
	log_max = lvl;
}

bool
log_enabled(enum log_level lvl)
{
	return lvl <= log_max;
}

const char *
log_escape(char *out, size_t n, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	if (n < 4) {
		if (n > 0)
			out[0] = '\0';
		return out;
	}
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%' &&
		    c != '=';

		/* Room for this byte's form and for "..." if the next one does not fit. */
		if (o + (plain ? 1 : 3) + 3 + 1 > n) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

static void log_v(enum log_level lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

void
log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(lvl))
		return;
	va_start(ap, fmt);
	log_v(lvl, fmt, ap);
	va_end(ap);
}

void
log_record(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_LVL_NOTICE, fmt, ap);
	va_end(ap);
}

static void
log_v(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[2048], safe[2048], ts[CIVIL_INSTANT_LEN];
	size_t o = 0;
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	/*
	 * Whatever a caller forgot to escape must still neither forge a line
	 * nor reach a terminal as an escape sequence: every control character
	 * is written as \xNN (a blank would let CR LF pass for a field break).
	 */
	for (const char *p = line; *p && o + 5 <= sizeof(safe); p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f) {
			snprintf(safe + o, 5, "\\x%02x", c);
			o += 4;
		} else {
			safe[o++] = (char)c;
		}
	}
	safe[o] = '\0';
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", (int)lvl, safe);
	} else {
		civil_format_instant((int64_t)time(NULL), ts);
		fprintf(stderr, "%s %s: %s\n", ts, log_level_name(lvl), safe);
	}
}
