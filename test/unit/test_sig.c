/* test_sig.c: signatures by named algorithm and key id; checkpoints and signed documents. */
#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "err.h"
#include "sig.h"

static const enum sig_alg algs[] = { SIG_ED25519, SIG_ECDSA_P256 };

START_TEST(sign_and_verify)
{
	struct sig_key k, other, pub;
	unsigned char sig[SIG_MAX];
	size_t siglen;
	const char *msg = "seq=42";

	ck_assert_int_eq(sig_generate(algs[_i], &k), 0);
	ck_assert_int_eq(sig_generate(algs[_i], &other), 0);
	ck_assert_uint_eq(strlen(k.id), SIG_KEYID_LEN);
	ck_assert_str_ne(k.id, other.id);
	ck_assert_int_eq(sig_sign(&k, msg, strlen(msg), sig, &siglen), 0);
	ck_assert(sig_verify(&k, msg, strlen(msg), sig, siglen));
	/* A verifying key made of the public half alone verifies, and cannot sign. */
	ck_assert_int_eq(sig_key_from(algs[_i], k.pub, k.publen, NULL, 0, &pub), 0);
	ck_assert_str_eq(pub.id, k.id);
	ck_assert(sig_verify(&pub, msg, strlen(msg), sig, siglen));
	ck_assert_int_eq(sig_sign(&pub, msg, 3, sig, &siglen), GD_EINVAL);
	ck_assert_int_eq(sig_sign(&k, msg, strlen(msg), sig, &siglen), 0);
	/* Another message, another key, a flipped bit: no. */
	ck_assert(!sig_verify(&k, "seq=43", 6, sig, siglen));
	ck_assert(!sig_verify(&other, msg, strlen(msg), sig, siglen));
	sig[siglen / 2] ^= 1;
	ck_assert(!sig_verify(&k, msg, strlen(msg), sig, siglen));
	ck_assert(!sig_verify(&k, msg, strlen(msg), sig, 0));
	/* A private key that is not the public key's own is refused. */
	ck_assert_int_eq(sig_key_from(algs[_i], k.pub, k.publen, other.sec, other.seclen, &pub),
	    GD_EINVAL);
	ck_assert_int_eq(sig_key_from(algs[_i], k.pub, k.publen, k.sec, k.seclen, &pub), 0);
	ck_assert_int_eq(sig_key_from(algs[_i], k.pub, k.publen - 1, NULL, 0, &pub), GD_EINVAL);
	ck_assert_int_eq(sig_key_from(algs[1 - _i], k.pub, k.publen, NULL, 0, &pub), GD_EINVAL);
	sig_key_wipe(&k);
	ck_assert_uint_eq(k.seclen, 0);
}
END_TEST

START_TEST(names_and_base64)
{
	enum sig_alg a;
	unsigned char in[70], out[70];
	char b64[SIG_B64_MAX];
	size_t n;

	ck_assert_str_eq(sig_alg_name(SIG_ED25519), "ed25519");
	ck_assert_str_eq(sig_alg_name(SIG_ECDSA_P256), "ecdsa-p256");
	ck_assert_int_eq(sig_alg_parse("ecdsa-p256", &a), 0);
	ck_assert_int_eq(a, SIG_ECDSA_P256);
	ck_assert_int_eq(sig_alg_parse("rsa", &a), GD_EINVAL);
	randombytes_buf(in, sizeof(in));
	sig_b64(in, sizeof(in), b64);
	ck_assert_int_eq(sig_unb64(b64, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, sizeof(in));
	ck_assert(memcmp(in, out, n) == 0);
	ck_assert_int_eq(sig_unb64("not base64!", out, sizeof(out), &n), GD_EINVAL);
	ck_assert_int_eq(sig_unb64(b64, out, 10, &n), GD_EINVAL);
}
END_TEST

START_TEST(checkpoints)
{
	struct sig_key k, old, keys[2];
	struct checkpoint c = { .seq = 1234, .at = 1772323200 }, back;
	char err[GD_ERRBUF];
	json_t *j;

	memset(c.head, 'a', CHECKPOINT_HEAD_HEX - 1);
	c.head[CHECKPOINT_HEAD_HEX - 1] = '\0';
	ck_assert_int_eq(sig_generate(algs[_i], &k), 0);
	ck_assert_int_eq(sig_generate(SIG_ED25519, &old), 0);
	keys[0] = old;
	keys[1] = k;
	ck_assert_int_eq(checkpoint_sign(&c, &k), 0);
	ck_assert(checkpoint_verify(&c, keys, 2, err, sizeof(err)));
	/* Through its JSON and back. */
	j = checkpoint_json(&c);
	ck_assert_str_eq(json_string_value(json_object_get(j, "at")), "2026-03-01T00:00:00Z");
	ck_assert_int_eq(checkpoint_parse(j, &back, err, sizeof(err)), 0);
	ck_assert(checkpoint_verify(&back, keys, 2, err, sizeof(err)));
	/* Any field changed breaks it. */
	back.seq = 1233;
	ck_assert(!checkpoint_verify(&back, keys, 2, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "does not verify"));
	ck_assert_int_eq(checkpoint_parse(j, &back, err, sizeof(err)), 0);
	back.head[0] = 'b';
	ck_assert(!checkpoint_verify(&back, keys, 2, err, sizeof(err)));
	ck_assert_int_eq(checkpoint_parse(j, &back, err, sizeof(err)), 0);
	back.at++;
	ck_assert(!checkpoint_verify(&back, keys, 2, err, sizeof(err)));
	/* Without its key. */
	ck_assert(!checkpoint_verify(&c, keys, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not among the public keys"));
	json_object_set_new(j, "head", json_string("zz"));
	ck_assert_int_eq(checkpoint_parse(j, &back, err, sizeof(err)), GD_EINVAL);
	json_decref(j);
}
END_TEST

START_TEST(documents)
{
	struct sig_key k;
	char err[GD_ERRBUF], *text;
	json_t *doc, *back;
	json_error_t je;

	ck_assert_int_eq(sig_generate(algs[_i], &k), 0);
	doc = json_pack("{s:s, s:f, s:f, s:[i, s], s:{s:b}}", "phase", "\xeb\x8b\xa8\xea\xb3\x84",
	    "jain", 1.0 / 3.0, "owed", 1234.5, "rows", 1, "x", "nested", "ok", 1);
	ck_assert_int_eq(doc_sign(doc, &k), 0);
	ck_assert(doc_verify(doc, &k, 1, err, sizeof(err)));
	/* As a reader gets it: dumped by the server, parsed again. */
	text = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(15));
	back = json_loads(text, 0, &je);
	ck_assert_ptr_nonnull(back);
	ck_assert_msg(doc_verify(back, &k, 1, err, sizeof(err)), "%s", err);
	/* A changed figure is caught. */
	json_object_set_new(back, "owed", json_real(1234.4));
	ck_assert(!doc_verify(back, &k, 1, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not the one grantd signed"));
	json_decref(back);
	json_object_del(doc, "signature");
	ck_assert(!doc_verify(doc, &k, 1, err, sizeof(err)));
	free(text);
	json_decref(doc);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("sig");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, sign_and_verify, 0, 2);
	tcase_add_test(tc, names_and_base64);
	tcase_add_loop_test(tc, checkpoints, 0, 2);
	tcase_add_loop_test(tc, documents, 0, 2);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
