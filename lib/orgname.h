/* orgname.h: organisation names compared as people read them, and business registration numbers. */
#ifndef GRANTD_ORGNAME_H
#define GRANTD_ORGNAME_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A key is what two spellings of one name have in common: Unicode NFKC
 * (full-width letters, compatibility forms and decomposed Hangul become
 * their ordinary composed selves), case folded, default-ignorable code
 * points (zero-width space, soft hyphen) and control characters dropped,
 * look-alike dashes, quotes and spaces lumped into their ASCII forms, and
 * every run of white space one ASCII space, none at either end.  So
 * "Seoul  National\u00a0University", "ＳＥＯＵＬ national university" and
 * "seoul national university" have one key; "서울대학교" and "Seoul National
 * University" do not (one organisation holds both as its names).
 *
 * A key is at most ORGNAME_KEY_MAX bytes: NFKC may lengthen a name eleven
 * times (U+FDFA, three bytes, becomes eighteen code points, 33 bytes), and a
 * name is at most 200 bytes.
 */
#define ORGNAME_KEY_MAX 4096

/*
 * The key of name into key[keylen]: 0, GD_EINVAL (invalid UTF-8, or
 * nothing left of it) or GD_ERANGE (longer than keylen - 1 bytes).
 */
int orgname_key(const char *name, char *key, size_t keylen);

/* Whether name holds a Hangul syllable or jamo: its Korean name, not its English one. */
bool orgname_hangul(const char *name);

/*
 * An id made from name, [a-z0-9][a-z0-9-]{0,62}: its key's ASCII letters
 * and digits, every other run one '-'.  "" (return GD_EINVAL) when the name
 * has no ASCII letter or digit, as a Korean name has not.
 */
int orgname_slug(const char *name, char id[64]);

/*
 * A Korean business registration number (사업자등록번호): ten digits,
 * written with or without the hyphens of 123-45-67890, whose last is the
 * check digit of the National Tax Service's weights 1 3 7 1 3 7 1 3 5.
 * The ten digits into out: 0, or GD_EINVAL with why in err.
 */
int orgname_brn(const char *s, char out[11], char *err, size_t errlen);

#endif
