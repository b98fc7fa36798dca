/* names.h: enum <-> name tables, the one lookup behind every kind's name/parse pair. */
#ifndef GRANTD_NAMES_H
#define GRANTD_NAMES_H

#include <stddef.h>

/*
 * Each kind of domain value (a ledger kind, an enrollment state, a role …)
 * has one table of these in the module that owns the enum, and one pair of
 * functions built on the two below: NAME_name (enum -> name) and NAME_parse
 * (name -> enum).  The names are what the API shows and what the SQL text
 * columns hold; inside, only the enums are compared.
 */
struct name_entry {
	int value;
	const char *name;
};

#define NNAMES(t) (sizeof(t) / sizeof((t)[0]))

/* The name of value in t, or `unknown` when t does not hold it. */
const char *names_name(const struct name_entry *t, size_t n, int value,
    const char *unknown);

/* The value named s in t into *value: 0, or GD_EINVAL (nothing written) for an unknown name. */
int names_parse(const struct name_entry *t, size_t n, const char *s, int *value);

#endif
