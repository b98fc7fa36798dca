/* checkpoint.h: signed statements of the audit chain's head, and signed documents. */
#ifndef GRANTD_CHECKPOINT_H
#define GRANTD_CHECKPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sig.h"

/*
 * A checkpoint says, under a key's signature: at instant `at`, the audit
 * trail held entry `seq`, whose hash was `head` (its newest entry for the
 * hourly and stopping checkpoints; the one a report reflects for a
 * report's).  Kept where deleting
 * database rows cannot reach it (a file, the journal), it lets anyone
 * holding the public key see that a trail was cut short (it ends before a
 * checkpoint's seq) or rewritten (entry seq's hash is not head).
 *
 * The signed bytes are checkpoint_message's, text that names what it is,
 * so that a checkpoint's signature can never pass for a report's:
 *	"grantd-checkpoint-v1\nseq=SEQ\nhead=HEX\nat=SECONDS\n"
 * As JSON (one line of the checkpoint file, the report's "checkpoint"):
 *	{"seq", "head", "at": RFC 3339, "alg", "key_id", "sig": base64}
 */
#define CHECKPOINT_HEAD_HEX 65

struct checkpoint {
	int64_t seq, at;
	char head[CHECKPOINT_HEAD_HEX];
	enum sig_alg alg;
	char key_id[SIG_KEYID_LEN + 1];
	unsigned char sig[SIG_MAX];
	size_t siglen;
};

/* The signed text of c into buf: its length, or GD_ERANGE when len is too small. */
int checkpoint_message(const struct checkpoint *c, char *buf, size_t len);

/* Signs c (seq, at, head set) with k, filling alg, key_id and sig. */
int checkpoint_sign(struct checkpoint *c, const struct sig_key *k);

/*
 * Whether c's signature is right under the one of keys[n] that it names
 * (by key id and algorithm); err says why not.
 */
bool checkpoint_verify(const struct checkpoint *c, const struct sig_key *keys, size_t n,
    char *err, size_t errlen);

json_t *checkpoint_json(const struct checkpoint *c);
/* From its JSON: 0, or GD_EINVAL with err. */
int checkpoint_parse(const json_t *j, struct checkpoint *c, char *err, size_t errlen);

/*
 * A signed JSON document (the fairness report): its signed bytes are
 * "grantd-document-v1\n" and the document without its "signature" member,
 * dumped compact with sorted keys and reals to 15 digits (what a reader
 * that parses and dumps it again gets byte for byte).
 * doc_sign adds "signature": {"alg", "key_id", "sig"}; doc_verify checks
 * it against keys[n].
 */
int doc_sign(json_t *doc, const struct sig_key *k);
bool doc_verify(const json_t *doc, const struct sig_key *keys, size_t n, char *err,
    size_t errlen);

#endif
