/* log_level.c: the log levels' names (log_level.h). */
#include <ctype.h>
#include <string.h>

#include "err.h"
#include "log_level.h"
#include "names.h"

static const struct name_entry level_names[] = {
	{ LOG_LVL_ERR, "error" },
	{ LOG_LVL_WARNING, "warning" },
	{ LOG_LVL_NOTICE, "notice" },
	{ LOG_LVL_INFO, "info" },
	{ LOG_LVL_DEBUG, "debug" },
};

const char *
log_level_name(enum log_level lvl)
{
	return names_name(level_names, NNAMES(level_names), (int)lvl, NULL);
}

int
log_level_parse(const char *s, enum log_level *lvl)
{
	char lower[sizeof("warning")];
	size_t n;
	int v, rc;

	/* Longer than every name, it names none. */
	if (s == NULL || (n = strlen(s)) >= sizeof(lower))
		return GD_EINVAL;
	for (size_t i = 0; i <= n; i++)
		lower[i] = (char)tolower((unsigned char)s[i]);
	if ((rc = names_parse(level_names, NNAMES(level_names), lower, &v)) == 0)
		*lvl = (enum log_level)v;
	return rc;
}
