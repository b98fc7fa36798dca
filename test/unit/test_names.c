/* test_names.c: every kind's enum <-> name table round-trips and refuses unknown names. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "enrollment.h"
#include "err.h"
#include "ledger.h"
#include "names.h"

/*
 * One row per value of each kind: its enum and the name the API and the SQL
 * columns use.  name_of/parse wrap the kind's pair so that one loop checks
 * every kind.
 */
struct name_case {
	const char *what;
	int value;
	const char *name;
	const char *(*name_of)(int);
	int (*parse)(const char *, int *);
};

#define WRAP(kind, type)							\
static const char *kind##_name_of(int v) { return kind##_name((type)v); }	\
static int kind##_parse_int(const char *s, int *v)				\
{										\
	type t = (type)-77;							\
	int rc = kind##_parse(s, &t);						\
	*v = (int)t;								\
	return rc;								\
}
WRAP(ledger_kind, enum ledger_kind)
WRAP(ledger_account_type, enum ledger_account_type)
WRAP(ledger_hold_state, enum ledger_hold_state)
WRAP(enrollment_state, enum enrollment_state)
WRAP(grant_kind, enum grant_kind)

#define LK ledger_kind_name_of, ledger_kind_parse_int
#define LA ledger_account_type_name_of, ledger_account_type_parse_int
#define LH ledger_hold_state_name_of, ledger_hold_state_parse_int
#define ES enrollment_state_name_of, enrollment_state_parse_int
#define GK grant_kind_name_of, grant_kind_parse_int

static const struct name_case cases[] = {
	{ "ledger kind open", LEDGER_OPEN, "open", LK },
	{ "ledger kind hold", LEDGER_HOLD, "hold", LK },
	{ "ledger kind settle", LEDGER_SETTLE, "settle", LK },
	{ "ledger kind void", LEDGER_VOID, "void", LK },
	{ "ledger kind expire", LEDGER_EXPIRE, "expire", LK },
	{ "ledger kind refund", LEDGER_REFUND, "refund", LK },
	{ "ledger kind return", LEDGER_RETURN, "return", LK },
	{ "account funding", LEDGER_FUNDING, "funding", LA },
	{ "account voucher", LEDGER_VOUCHER, "voucher", LA },
	{ "account payable", LEDGER_PAYABLE, "payable", LA },
	{ "account returned", LEDGER_RETURNED, "returned", LA },
	{ "hold pending", LEDGER_HOLD_PENDING, "pending", LH },
	{ "hold settled", LEDGER_HOLD_SETTLED, "settled", LH },
	{ "hold voided", LEDGER_HOLD_VOIDED, "voided", LH },
	{ "hold expired", LEDGER_HOLD_EXPIRED, "expired", LH },
	{ "enrollment active", ENROLLMENT_ACTIVE, "active", ES },
	{ "enrollment eliminated", ENROLLMENT_ELIMINATED, "eliminated", ES },
	{ "enrollment withdrawn", ENROLLMENT_WITHDRAWN, "withdrawn", ES },
	{ "enrollment completed", ENROLLMENT_COMPLETED, "completed", ES },
	{ "grant placed", GRANT_PLACED, "placed", GK },
	{ "grant manual", GRANT_MANUAL, "manual", GK },
	{ "grant compensation", GRANT_COMPENSATION, "compensation", GK },
};

START_TEST(every_value_round_trips)
{
	const struct name_case *c = &cases[_i];
	int v = -1;

	ck_assert_msg(strcmp(c->name_of(c->value), c->name) == 0, "%s: name %s", c->what,
	    c->name_of(c->value));
	ck_assert_msg(c->parse(c->name, &v) == 0 && v == c->value, "%s: parsed %d", c->what, v);
}
END_TEST

/* Names that are near misses, another kind's, or none: refused, nothing written. */
static const char *const unknown[] = { "", "Active", "active ", "unknown", "none", "settle2",
	"voucher-", "compensated", "PLACED" };

START_TEST(unknown_names_are_refused)
{
	const struct name_case *c = &cases[_i];
	int v;

	for (size_t k = 0; k < sizeof(unknown) / sizeof(unknown[0]); k++) {
		v = -1;
		ck_assert_msg(c->parse(unknown[k], &v) == GD_EINVAL, "%s: '%s' accepted", c->what,
		    unknown[k]);
		ck_assert_msg(v == -77, "%s: '%s' wrote %d", c->what, unknown[k], v);
	}
	ck_assert_int_eq(c->parse(NULL, &v), GD_EINVAL);
	/* A value out of the enum has no name of its own. */
	ck_assert_str_eq(c->name_of(999), "unknown");
}
END_TEST

START_TEST(every_name_differs_within_its_kind)
{
	const struct name_case *c = &cases[_i];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		if (cases[k].parse == c->parse && k != (size_t)_i)
			ck_assert_msg(strcmp(cases[k].name, c->name) != 0 &&
			    cases[k].value != c->value, "%s and %s", c->what, cases[k].what);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int n = (int)(sizeof(cases) / sizeof(cases[0])), failed;

	tcase_add_loop_test(tc, every_value_round_trips, 0, n);
	tcase_add_loop_test(tc, unknown_names_are_refused, 0, n);
	tcase_add_loop_test(tc, every_name_differs_within_its_kind, 0, n);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
