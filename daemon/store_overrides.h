/* store_overrides.h: SQL for overrides: fairness rules set aside by an admin, with the reason. */
#ifndef GRANTD_STORE_OVERRIDES_H
#define GRANTD_STORE_OVERRIDES_H

#include <jansson.h>
#include <stdint.h>

struct db;

int store_override_insert(struct db *db, const char *phase, const char *team,
    const char *rule, const char *detail, const char *reason, const char *action,
    const char *request_id, int64_t now);
int store_override_list(struct db *db, const char *phase, const char *team, json_t **items);

#endif
