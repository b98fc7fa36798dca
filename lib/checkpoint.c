/* checkpoint.c: the signed text of checkpoints and documents, and their JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "civil.h"
#include "err.h"

#define DOC_PREFIX "grantd-document-v1\n"
#define DOC_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15))

int
checkpoint_message(const struct checkpoint *c, char *buf, size_t len)
{
	int n = snprintf(buf, len, "grantd-checkpoint-v1\nseq=%lld\nhead=%s\nat=%lld\n",
	    (long long)c->seq, c->head, (long long)c->at);

	return n < 0 || (size_t)n >= len ? GD_ERANGE : n;
}

int
checkpoint_sign(struct checkpoint *c, const struct sig_key *k)
{
	char msg[256];
	int n = checkpoint_message(c, msg, sizeof(msg));

	if (n < 0)
		return n;
	c->alg = k->alg;
	memcpy(c->key_id, k->id, sizeof(c->key_id));
	return sig_sign(k, msg, (size_t)n, c->sig, &c->siglen);
}

/* The key of keys[n] named by id and alg, or NULL (with err). */
static const struct sig_key *
key_named(const struct sig_key *keys, size_t n, const char *id, enum sig_alg alg, char *err,
    size_t errlen)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].id, id) == 0 && keys[i].alg == alg)
			return &keys[i];
	snprintf(err, errlen, "signed by %s key %s, which is not among the public keys given",
	    sig_alg_name(alg), id);
	return NULL;
}

bool
checkpoint_verify(const struct checkpoint *c, const struct sig_key *keys, size_t n,
    char *err, size_t errlen)
{
	const struct sig_key *k = key_named(keys, n, c->key_id, c->alg, err, errlen);
	char msg[256];
	int len = checkpoint_message(c, msg, sizeof(msg));

	if (k == NULL || len < 0)
		return false;
	if (!sig_verify(k, msg, (size_t)len, c->sig, c->siglen)) {
		snprintf(err, errlen, "the signature of checkpoint %lld does not verify under "
		    "key %s", (long long)c->seq, c->key_id);
		return false;
	}
	return true;
}

json_t *
checkpoint_json(const struct checkpoint *c)
{
	char at[CIVIL_INSTANT_LEN], sig[SIG_B64_MAX];

	civil_format_instant(c->at, at);
	sig_b64(c->sig, c->siglen, sig);
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", (json_int_t)c->seq, "head",
	    c->head, "at", at, "alg", sig_alg_name(c->alg), "key_id", c->key_id, "sig", sig);
}

static bool
hex_of_len(const char *s, size_t len)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return i == len;
}

int
checkpoint_parse(const json_t *j, struct checkpoint *c, char *err, size_t errlen)
{
	const char *head = NULL, *at = NULL, *alg = NULL, *kid = NULL, *sig = NULL;
	json_int_t seq = -1;

	memset(c, 0, sizeof(*c));
	if (json_unpack((json_t *)j, "{s:I, s:s, s:s, s:s, s:s, s:s}", "seq", &seq, "head", &head,
	    "at", &at, "alg", &alg, "key_id", &kid, "sig", &sig) != 0 || seq < 0) {
		snprintf(err, errlen, "a checkpoint is {\"seq\", \"head\", \"at\", \"alg\", "
		    "\"key_id\", \"sig\"}");
		return GD_EINVAL;
	}
	if (!hex_of_len(head, CHECKPOINT_HEAD_HEX - 1) || !hex_of_len(kid, SIG_KEYID_LEN) ||
	    civil_parse_instant(at, &c->at) < 0 || sig_alg_parse(alg, &c->alg) < 0 ||
	    sig_unb64(sig, c->sig, sizeof(c->sig), &c->siglen) < 0) {
		snprintf(err, errlen, "checkpoint %lld: a malformed head, key id, time, algorithm "
		    "or signature", (long long)seq);
		return GD_EINVAL;
	}
	c->seq = seq;
	memcpy(c->head, head, CHECKPOINT_HEAD_HEX);
	memcpy(c->key_id, kid, SIG_KEYID_LEN + 1);
	return 0;
}

/* The signed bytes of a document: malloc'd, or NULL. */
static char *
doc_message(const json_t *doc, size_t *len)
{
	json_t *copy = json_copy((json_t *)doc);
	char *body, *msg = NULL;

	if (copy == NULL)
		return NULL;
	json_object_del(copy, "signature");
	if ((body = json_dumps(copy, DOC_FLAGS)) != NULL &&
	    (msg = malloc(strlen(DOC_PREFIX) + strlen(body) + 1)) != NULL) {
		strcpy(msg, DOC_PREFIX);
		strcat(msg, body);
		*len = strlen(msg);
	}
	free(body);
	json_decref(copy);
	return msg;
}

int
doc_sign(json_t *doc, const struct sig_key *k)
{
	unsigned char sig[SIG_MAX];
	char b64[SIG_B64_MAX];
	size_t len, siglen;
	char *msg = doc_message(doc, &len);
	int rc;

	if (msg == NULL)
		return GD_ENOMEM;
	rc = sig_sign(k, msg, len, sig, &siglen);
	free(msg);
	if (rc < 0)
		return rc;
	sig_b64(sig, siglen, b64);
	return json_object_set_new(doc, "signature", json_pack("{s:s, s:s, s:s}", "alg",
	    sig_alg_name(k->alg), "key_id", k->id, "sig", b64)) == 0 ? 0 : GD_ENOMEM;
}

bool
doc_verify(const json_t *doc, const struct sig_key *keys, size_t n, char *err, size_t errlen)
{
	const char *alg = NULL, *kid = NULL, *b64 = NULL;
	unsigned char sig[SIG_MAX];
	const struct sig_key *k;
	enum sig_alg a;
	size_t len, siglen;
	char *msg;
	bool ok;

	if (json_unpack((json_t *)json_object_get(doc, "signature"), "{s:s, s:s, s:s}", "alg",
	    &alg, "key_id", &kid, "sig", &b64) != 0 || sig_alg_parse(alg, &a) < 0 ||
	    sig_unb64(b64, sig, sizeof(sig), &siglen) < 0) {
		snprintf(err, errlen, "the document has no signature {\"alg\", \"key_id\", "
		    "\"sig\"} grantd can read");
		return false;
	}
	if ((k = key_named(keys, n, kid, a, err, errlen)) == NULL)
		return false;
	if ((msg = doc_message(doc, &len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	ok = sig_verify(k, msg, len, sig, siglen);
	free(msg);
	if (!ok)
		snprintf(err, errlen, "the signature does not verify under key %s: the document "
		    "is not the one grantd signed", kid);
	return ok;
}
