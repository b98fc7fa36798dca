/* cmd_verify.c: `grantctl verify`: a fairness report's signature and its audit checkpoint, offline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "civil.h"
#include "grantctl.h"
#include "sig.h"

/*
 * The report goes into evaluation papers; whoever reads it there (an
 * evaluator, an auditor, a team) checks it with nothing but the file and
 * the public keys that `grantd key show` prints, which the agency publishes.
 * So nothing here talks to a server: the signature is checked with the
 * core library's own code (lib/checkpoint.c), the same that signed it.
 */

/* Most public keys read: a ring grows by one key a rotation. */
#define MAX_KEYS 64
#define KEY_LINE_MAX 2048

/*
 * The keys of a file as `grantd key show` prints it, one a line:
 * "ALG KEYID PUBLIC-BASE64 CREATED" (CREATED may be left out); blank lines
 * and lines starting with '#' are skipped.  Each key id must be its key's,
 * so that a line cannot claim another key's name.  Returns how many, or -1
 * after printing why.
 */
static int
read_keys(FILE *f, const char *name, struct sig_key *keys, size_t cap)
{
	char line[KEY_LINE_MAX], *w[5], *save, *p;
	unsigned char pub[SIG_PUB_MAX];
	enum sig_alg alg;
	size_t n = 0, publen;
	int lineno = 0, nw;
	bool long_line;

	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		/* A line longer than any key line is not one; its rest would read as another. */
		long_line = strchr(line, '\n') == NULL && !feof(f);
		for (nw = 0, p = strtok_r(line, " \t\r\n", &save); p != NULL && nw < 5;
		    p = strtok_r(NULL, " \t\r\n", &save))
			w[nw++] = p;
		if (!long_line && (nw == 0 || w[0][0] == '#'))
			continue;
		if (n == cap) {
			fprintf(stderr, "grantctl: %s: more than %zu public keys\n", name, cap);
			return -1;
		}
		if (long_line || nw < 3 || nw > 4 || sig_alg_parse(w[0], &alg) < 0 ||
		    sig_unb64(w[2], pub, sizeof(pub), &publen) < 0 ||
		    sig_key_from(alg, pub, publen, NULL, 0, &keys[n]) < 0 ||
		    strcmp(keys[n].id, w[1]) != 0) {
			fprintf(stderr, "grantctl: %s:%d: not a public key line as `grantd key "
			    "show` prints them (ALG KEYID PUBLIC-BASE64 CREATED), or its key id "
			    "is not its key's\n", name, lineno);
			return -1;
		}
		n++;
	}
	if (ferror(f)) {
		fprintf(stderr, "grantctl: %s: %s\n", name, strerror(errno));
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "grantctl: %s holds no public keys: give the lines `grantd key "
		    "show` prints\n", name);
		return -1;
	}
	return (int)n;
}

/* A file, or standard input for "-"; NULL after printing why. */
static FILE *
open_in(const char *path)
{
	FILE *f;

	if (strcmp(path, "-") == 0)
		return stdin;
	if ((f = fopen(path, "r")) == NULL)
		fprintf(stderr, "grantctl: cannot read %s: %s\n", path, strerror(errno));
	return f;
}

static void
close_in(FILE *f)
{
	if (f != NULL && f != stdin)
		fclose(f);
}

/*
 * The report as JSON.  A name given twice is refused: this reader would
 * take the last, another (a spreadsheet import, jq) might show the first,
 * and a signed file must read the same to everyone.
 */
static json_t *
read_report(FILE *f, const char *name)
{
	json_error_t e;
	json_t *doc = json_loadf(f, JSON_REJECT_DUPLICATES, &e);

	if (doc == NULL) {
		fprintf(stderr, "grantctl: %s is not a report as JSON (line %d: %s); fetch it with "
		    "grantctl --json fairness PHASE -o FILE\n", name, e.line, e.text);
		return NULL;
	}
	if (!json_is_object(doc) || !json_is_string(json_object_get(doc, "phase"))) {
		fprintf(stderr, "grantctl: %s is not a fairness report (an object with "
		    "\"phase\")\n", name);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

/* Instants in the report's own zone, unless --tz or tz= says otherwise; never a server. */
static void
report_zone(struct ctl *c, const json_t *doc)
{
	int32_t off;

	if (c->tz_fixed || c->tz_known)
		return;
	c->tz_known = true;
	if (civil_tz_offset(jstr(doc, "timezone"), &off) == 0)
		zone_set(c, jstr(doc, "timezone"), off);
	else
		zone_set(c, "UTC", 0);
}

/* The failure, said once: on stderr, and as {"ok": false, "error"} with --json. */
static int
fail(struct ctl *c, const char *name, const char *why)
{
	if (c->json) {
		json_t *o = json_pack("{s:b, s:s}", "ok", 0, "error", why);
		char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

		fprintf(c->out, "%s\n", text ? text : "{\"ok\": false}");
		free(text);
		json_decref(o);
	}
	fprintf(stderr, "grantctl: %s does not verify: %s\n", name, why);
	return EXIT_OTHER;
}

int
cmd_verify(struct ctl *c, char **a)
{
	static struct sig_key keys[MAX_KEYS];
	const char *name = strcmp(a[0], "-") == 0 ? "the report on standard input" : a[0];
	const json_t *cpj, *sig;
	struct checkpoint cp;
	json_int_t seq;
	char err[512], why[700], buf[128];
	struct table *t;
	json_t *doc;
	FILE *f;
	int n;

	if (strcmp(a[0], "-") == 0 && strcmp(c->opt[O_KEYS], "-") == 0)
		return usage_error("the report and --keys cannot both be standard input");
	if ((f = open_in(c->opt[O_KEYS])) == NULL)
		return EXIT_OTHER;
	n = read_keys(f, strcmp(c->opt[O_KEYS], "-") == 0 ? "standard input" : c->opt[O_KEYS],
	    keys, MAX_KEYS);
	close_in(f);
	if (n < 0)
		return EXIT_OTHER;
	if ((f = open_in(a[0])) == NULL)
		return EXIT_OTHER;
	doc = read_report(f, name);
	close_in(f);
	if (doc == NULL)
		return EXIT_OTHER;

	/* The whole report first: every figure, the checkpoint within it included. */
	if (!doc_verify(doc, keys, (size_t)n, err, sizeof(err))) {
		json_decref(doc);
		return fail(c, name, err);
	}
	/*
	 * Then its checkpoint as a statement of its own: the line that the
	 * checkpoint file and the journal hold, which `grantd audit verify
	 * --checkpoint` compares with the trail.  A report of an empty trail
	 * (audit_seq 0) has none; any other must carry the one of its entry.
	 */
	seq = json_integer_value(json_object_get(doc, "audit_seq"));
	cpj = json_object_get(doc, "checkpoint");
	if (cpj == NULL && seq > 0) {
		snprintf(why, sizeof(why), "the report carries no checkpoint of audit entry %lld",
		    (long long)seq);
		json_decref(doc);
		return fail(c, name, why);
	}
	if (cpj != NULL) {
		if (checkpoint_parse(cpj, &cp, err, sizeof(err)) != 0 ||
		    !checkpoint_verify(&cp, keys, (size_t)n, err, sizeof(err))) {
			snprintf(why, sizeof(why), "its checkpoint: %s", err);
			json_decref(doc);
			return fail(c, name, why);
		}
		if (cp.seq != seq) {
			snprintf(why, sizeof(why), "its checkpoint is of audit entry %lld, but the "
			    "report reflects entry %lld", (long long)cp.seq, (long long)seq);
			json_decref(doc);
			return fail(c, name, why);
		}
	}

	sig = json_object_get(doc, "signature");
	if (c->json) {
		json_t *o = json_pack("{s:b, s:O, s:I, s:O, s:O}", "ok", 1, "phase",
		    json_object_get(doc, "phase"), "audit_seq", seq, "alg",
		    json_object_get(sig, "alg"), "key_id", json_object_get(sig, "key_id"));
		char *text;

		if (cpj != NULL)
			json_object_set(o, "checkpoint", (json_t *)cpj);
		text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fprintf(c->out, "%s\n", text ? text : "{\"ok\": true}");
		free(text);
		json_decref(o);
		json_decref(doc);
		return 0;
	}
	report_zone(c, doc);
	t = kv_new();
	kv_add(t, "phase", jstr(doc, "phase"));
	if (json_is_string(json_object_get(doc, "at")))
		kv_add(t, "as of", fmt_value(c, doc, "at", F_TIME, buf, sizeof(buf)));
	snprintf(buf, sizeof(buf), "%lld", (long long)seq);
	kv_add(t, "audit seq", buf);
	if (cpj != NULL) {
		snprintf(buf, sizeof(buf), "%lld", (long long)cp.seq);
		kv_add(t, "checkpoint seq", buf);
		kv_add(t, "checkpoint head", cp.head);
		kv_add(t, "checkpoint at", fmt_value(c, cpj, "at", F_TIME, buf, sizeof(buf)));
	} else {
		kv_add(t, "checkpoint", "none (the audit trail was empty)");
	}
	snprintf(buf, sizeof(buf), "%s %s", jstr(sig, "alg"), jstr(sig, "key_id"));
	kv_add(t, "key", buf);
	table_print(t, c->out);
	table_free(t);
	fprintf(c->out, "signature OK\n");
	json_decref(doc);
	return 0;
}
