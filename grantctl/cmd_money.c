/* cmd_money.c: grantctl commands for suppliers, voucher accounts, holds, refunds, transfers and the ledger. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grantctl.h"

/* Suppliers. */

int
cmd_supplier_create(struct ctl *c, char **a)
{
	static const struct col fields[] = {
		{ "id", "id", F_STR }, { "name", "name", F_STR }, { "org", "org", F_STR },
		{ "organisation", "organisation", F_STR }, { "created", "created_at", F_TIME },
	};
	json_t *body = json_pack("{s:s, s:s, s:s}", "id", a[0], "name", c->opt[O_NAME], "org",
	    c->opt[O_ORG]);
	char *path = path_fmt("/v1/suppliers");
	struct reply r;
	int rc = api(c, "POST", path, body, &r);

	free(path);
	json_decref(body);
	if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		print_fields(c, r.json, fields, NCOLS(fields));
		/* Related parties are found by organisation: which one --org became. */
		print_resolved(c, "org", json_object_get(r.json, "resolved"));
	}
	reply_free(&r);
	return rc;
}

int
cmd_supplier_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "ID", "id", F_STR }, { "NAME", "name", F_STR }, { "ORG", "org", F_STR },
		{ "ORGANISATION", "organisation", F_STR },
	};

	(void)a;
	return run_list(c, path_fmt("/v1/suppliers"), cols, NCOLS(cols));
}

/* Voucher accounts. */

int
cmd_voucher_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "PHASE", "phase", F_STR }, { "STATE", "state", F_STR },
		{ "BUDGET", "budget_krw", F_KRW }, { "HELD", "held_krw", F_KRW },
		{ "SETTLED", "settled_krw", F_KRW }, { "REFUNDED", "refunded_krw", F_KRW },
		{ "RETURNED", "returned_krw", F_KRW }, { "AVAILABLE", "available_krw", F_KRW },
	};

	return run_list(c, path_fmt("/v1/teams/%s/vouchers", a[0]), cols, NCOLS(cols));
}

/* Holds. */

static const struct col hold_fields[] = {
	{ "id", "id", F_STR }, { "state", "state", F_STR }, { "team", "team", F_STR },
	{ "phase", "phase", F_STR }, { "supplier", "supplier", F_STR },
	{ "amount", "amount_krw", F_KRW }, { "memo", "memo", F_STR },
	{ "expires", "expires_at", F_TIME }, { "created", "created_at", F_TIME },
	{ "resolved", "resolved_at", F_TIME }, { "voided by", "voided_by", F_STR },
	{ "settlement", "settlement", F_STR },
	{ "settled", "settled_krw", F_KRW }, { "released", "released_krw", F_KRW },
	{ "override", "override.reason", F_STR },
};

static int
amount_opt(const struct ctl *c, int64_t *krw)
{
	/* 10^13, the contract's largest amount; the server has the last word. */
	if (int_arg(c->opt[O_AMOUNT], 1, INT64_C(10000000000000), krw) != 0)
		return usage_error("--amount must be whole won above 0, e.g. 250000000 or "
		    "250,000,000");
	return 0;
}

int
cmd_hold_create(struct ctl *c, char **a)
{
	char exp[64];
	int64_t krw;
	json_t *body;
	int rc;

	(void)a;
	if ((rc = amount_opt(c, &krw)) != 0)
		return rc;
	zone_for_phase(c, c->opt[O_PHASE]);
	if (c->opt[O_EXPIRES_AT] && instant_arg(c, c->opt[O_EXPIRES_AT], exp, sizeof(exp)) != 0)
		return usage_error("--expires-at must be a date (YYYY-MM-DD) or an RFC 3339 "
		    "instant");
	body = json_pack("{s:s, s:s, s:s, s:I, s:o*}", "team", c->opt[O_TEAM], "phase",
	    c->opt[O_PHASE], "supplier", c->opt[O_SUPPLIER], "amount_krw", (json_int_t)krw,
	    "override", override_json(c));
	jset_str(body, "memo", c->opt[O_MEMO]);
	jset_str(body, "expires_at", c->opt[O_EXPIRES_AT] ? exp : NULL);
	return run_show(c, "POST", path_fmt("/v1/vouchers/holds"), body, hold_fields,
	    NCOLS(hold_fields));
}

int
cmd_hold_settle(struct ctl *c, char **a)
{
	json_t *body = json_object();
	int64_t krw;
	int rc;

	if (c->opt[O_AMOUNT]) {
		if ((rc = amount_opt(c, &krw)) != 0) {
			json_decref(body);
			return rc;
		}
		json_object_set_new(body, "amount_krw", json_integer(krw));
	}
	return run_show(c, "POST", path_fmt("/v1/vouchers/holds/%s/settle", a[0]), body,
	    hold_fields, NCOLS(hold_fields));
}

int
cmd_hold_void(struct ctl *c, char **a)
{
	return run_show(c, "POST", path_fmt("/v1/vouchers/holds/%s/void", a[0]), json_object(),
	    hold_fields, NCOLS(hold_fields));
}

int
cmd_hold_list(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "HOLD", "id", F_STR }, { "TEAM", "team", F_STR }, { "PHASE", "phase", F_STR },
		{ "SUPPLIER", "supplier", F_STR }, { "AMOUNT", "amount_krw", F_KRW },
		{ "STATE", "state", F_STR }, { "VOIDED BY", "voided_by", F_STR },
		{ "SETTLED", "settled_krw", F_KRW }, { "EXPIRES", "expires_at", F_TIME },
	};
	char *path = path_fmt("/v1/vouchers/holds");

	(void)a;
	path_query(&path, "team", c->opt[O_TEAM]);
	path_query(&path, "state", c->opt[O_STATE]);
	return run_list(c, path, cols, NCOLS(cols));
}

int
cmd_refund(struct ctl *c, char **a)
{
	static const struct col fields[] = {
		{ "transfer", "id", F_STR }, { "settlement", "settlement", F_STR },
		{ "amount", "amount_krw", F_KRW }, { "refunded", "refunded_krw", F_KRW },
		{ "refundable", "refundable_krw", F_KRW },
		{ "to returned", "to_returned", F_BOOL },
	};
	int64_t krw;
	int rc;

	if ((rc = amount_opt(c, &krw)) != 0)
		return rc;
	return run_show(c, "POST", path_fmt("/v1/vouchers/settlements/%s/refund", a[0]),
	    json_pack("{s:I, s:s}", "amount_krw", (json_int_t)krw, "reason", c->opt[O_REASON]),
	    fields, NCOLS(fields));
}

int
cmd_transfers(struct ctl *c, char **a)
{
	static const struct col cols[] = {
		{ "TRANSFER", "id", F_STR }, { "AT", "at", F_TIME }, { "KIND", "kind", F_STR },
		{ "DEBIT", "debit", F_STR }, { "CREDIT", "credit", F_STR },
		{ "AMOUNT", "amount_krw", F_KRW }, { "REF", "ref", F_STR },
	};
	char *path = path_fmt("/v1/vouchers/transfers");

	(void)a;
	zone_for_phase(c, c->opt[O_PHASE]);
	path_query(&path, "team", c->opt[O_TEAM]);
	path_query(&path, "phase", c->opt[O_PHASE]);
	return run_list(c, path, cols, NCOLS(cols));
}

int
cmd_ledger_verify(struct ctl *c, char **a)
{
	struct reply r;
	char *path = path_fmt("/v1/vouchers/verify");
	int rc = api(c, "GET", path, NULL, &r);

	(void)a;
	free(path);
	if (rc == 0 && !json_is_true(json_object_get(r.json, "ok"))) {
		/* A 200 that says the ledger is broken is still a failure for scripts. */
		fprintf(stderr, "grantctl: ledger does not verify: %s\n", jstr(r.json, "error"));
		rc = EXIT_OTHER;
		if (c->json)
			print_raw(c, &r);
	} else if (rc == 0 && c->json) {
		print_raw(c, &r);
	} else if (rc == 0) {
		fprintf(c->out, "ledger OK: %lld accounts, %lld transfers; debits equal credits\n",
		    (long long)json_integer_value(json_object_get(r.json, "accounts")),
		    (long long)json_integer_value(json_object_get(r.json, "transfers")));
	}
	reply_free(&r);
	return rc;
}
