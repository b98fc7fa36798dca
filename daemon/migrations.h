/* migrations.h: the schema migrations compiled into the binary. */
#ifndef GRANTD_MIGRATIONS_H
#define GRANTD_MIGRATIONS_H

/* Ordered by version; version N is schema/NNN_name.sql. */
struct migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct migration migrations[];
extern const int migrations_count;

#endif
