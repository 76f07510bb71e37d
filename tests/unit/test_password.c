/* Tests for src/lib/password.c and src/mail/sasl.c: hash vectors from independent tools, schemes, SASL decoding. */
#include <string.h>

#include "harness.h"
#include "lib/password.h"
#include "mail/sasl.h"

/* Made with python3's crypt (libxcrypt) and `openssl passwd`, password "secret". */
#define BCRYPT4	"$2b$04$XZ8DkeNXVyzd4BYgDwhox.bctlPM9FzTp32E34UzpOV9Xvtk2ylRe"
#define SHA512	"$6$abcdefgh$ltjgWl6579NluT/Vi1nwEvcil.G5Nbc4NiXZaNGStk8PSwGfQv72N2CKPPrVACtLtip/cZ/1GM/O6IND4WQhG."
#define SHA256	"$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM."
#define MD5	"$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1"
/* python3's crypt.crypt("secret", "ab"): traditional DES, as old vpopmail trees hold. */
#define DES	"abNANd1rDfiNc"

static void
test_vectors(void)
{
	const char	*err = NULL;

	T_EQ_INT(password_verify(BCRYPT4, "secret", &err), 1);
	T_EQ_INT(password_verify(BCRYPT4, "Secret", &err), 0);
	T_EQ_INT(password_verify(SHA512, "secret", &err), 1);
	T_EQ_INT(password_verify(SHA512, "secret ", &err), 0);
	T_EQ_INT(password_verify(SHA256, "secret", &err), 1);
	T_EQ_INT(password_verify(MD5, "secret", &err), 1);
	T_EQ_INT(password_verify(MD5, "", &err), 0);
	/* $2y$ is the same algorithm as $2b$ for libxcrypt. */
	T_EQ_INT(password_verify("$2y$04$XZ8DkeNXVyzd4BYgDwhox.bctlPM9FzTp32E34UzpOV9Xvtk2ylRe",
	    "secret", &err), 1);
}

static void
test_schemes(void)
{
	const char	*err = NULL;

	T_EQ_INT(password_verify("{BLF-CRYPT}" BCRYPT4, "secret", &err), 1);
	T_EQ_INT(password_verify("{SHA512-CRYPT}" SHA512, "secret", &err), 1);
	T_EQ_INT(password_verify("{SHA256-CRYPT}" SHA256, "secret", &err), 1);
	T_EQ_INT(password_verify("{MD5-CRYPT}" MD5, "secret", &err), 1);
	T_EQ_INT(password_verify("{CRYPT}" SHA512, "secret", &err), 1);
	T_EQ_INT(password_verify("{PLAIN}secret", "secret", &err), 1);
	T_EQ_INT(password_verify("{PLAIN}secret", "secre", &err), 0);
	T_EQ_INT(password_verify("{PLAIN}secret", "secret2", &err), 0);
	/* DES, bare and under {CRYPT}; not under a scheme naming another algorithm. */
	T_EQ_INT(password_verify(DES, "secret", &err), 1);
	T_EQ_INT(password_verify(DES, "secreT", &err), 0);
	T_EQ_INT(password_verify("{CRYPT}" DES, "secret", &err), 1);
	T_EQ_INT(password_verify("{MD5-CRYPT}" DES, "secret", &err), -1);
	T_EQ_INT(password_verify("abNANd1rDfiN", "secret", &err), -1);
	T_EQ_INT(password_verify("abNANd1rDfiN!", "secret", &err), -1);
	/* A scheme that does not fit its hash, unknown schemes. */
	T_EQ_INT(password_verify("{BLF-CRYPT}" SHA512, "secret", &err), -1);
	T_EQ_INT(password_verify("{SSHA}abcd", "secret", &err), -1);
	T_EQ_STR(err, "unsupported password scheme");
	T_EQ_INT(password_verify("", "secret", &err), -1);
	T_EQ_INT(password_verify("$6$", "secret", &err), -1);
	T_EQ_INT(password_verify(NULL, "secret", &err), -1);
}

static void
test_needs_rehash(void)
{
	T_EQ_INT(password_needs_rehash(BCRYPT4), 0);
	T_EQ_INT(password_needs_rehash("{BLF-CRYPT}" BCRYPT4 ":1:1"), 0);
	T_EQ_INT(password_needs_rehash(MD5), 1);
	T_EQ_INT(password_needs_rehash(SHA512), 1);
	T_EQ_INT(password_needs_rehash(DES), 1);
	T_EQ_INT(password_needs_rehash("{PLAIN}secret"), 1);
	/* Nothing that cannot be checked is rewritten. */
	T_EQ_INT(password_needs_rehash("{SSHA}abcd"), 0);
	T_EQ_INT(password_needs_rehash(NULL), 0);
}

static void
test_passwd_fields(void)
{
	enum password_scheme	 s;
	char			 out[PASSWORD_HASH_MAX + 1];
	const char		*err = NULL;

	/* Dovecot passwd-file: the table keeps "hash:uid:gid:..." as the value. */
	T_EQ_INT(password_verify(SHA512 ":1000:1000::/home/u::", "secret", &err), 1);
	T_EQ_INT(password_verify("{PLAIN}secret:5000:5000", "secret", &err), 1);
	T_EQ_INT(password_parse(BCRYPT4 ":x", &s, out, sizeof(out), &err), 0);
	T_EQ_INT(s, PW_CRYPT);
	T_EQ_STR(out, BCRYPT4);
	T_EQ_INT(password_parse("{PLAIN}pw", &s, out, sizeof(out), &err), 0);
	T_EQ_INT(s, PW_PLAIN);
	T_EQ_STR(out, "pw");
	T_EQ_INT(password_parse(BCRYPT4, &s, out, 10, &err), -1);
	T_EQ_INT(password_parse("$6$a b", &s, out, sizeof(out), &err), -1);
}

static void
test_hash(void)
{
	char		 h[128];
	const char	*err = NULL;

	T_EQ_INT(password_hash("correct horse", 4, h, sizeof(h), &err), 0);
	T_ASSERT(strncmp(h, "$2b$04$", 7) == 0);
	T_EQ_INT(strlen(h), 60);
	T_EQ_INT(password_verify(h, "correct horse", &err), 1);
	T_EQ_INT(password_verify(h, "correct horsE", &err), 0);
	T_EQ_INT(password_hash("x", 3, h, sizeof(h), &err), -1);
	T_EQ_INT(password_hash("x", 4, h, 20, &err), -1);
	password_dummy("anything");
}

static void
test_b64(void)
{
	unsigned char	 out[64];
	char		 enc[64];

	T_EQ_INT(sasl_b64_decode("", 0, out, sizeof(out)), 0);
	T_EQ_INT(sasl_b64_decode("Zm9vYmFy", 8, out, sizeof(out)), 6);
	T_ASSERT(memcmp(out, "foobar", 6) == 0);
	T_EQ_INT(sasl_b64_decode("Zm9vYg==", 8, out, sizeof(out)), 4);
	T_EQ_INT(sasl_b64_decode("Zm9vYmE=", 8, out, sizeof(out)), 5);
	T_ASSERT(memcmp(out, "fooba", 5) == 0);
	/* Not strict: missing padding, white space, padding inside, stray bits. */
	T_EQ_INT(sasl_b64_decode("Zm9vYg", 6, out, sizeof(out)), -1);
	T_EQ_INT(sasl_b64_decode("Zm9v Yg==", 9, out, sizeof(out)), -1);
	T_EQ_INT(sasl_b64_decode("Zg==Zm9v", 8, out, sizeof(out)), -1);
	T_EQ_INT(sasl_b64_decode("Zh==", 4, out, sizeof(out)), -1);
	T_EQ_INT(sasl_b64_decode("Z===", 4, out, sizeof(out)), -1);
	T_EQ_INT(sasl_b64_decode("Zm9-", 4, out, sizeof(out)), -1);
	T_EQ_INT(sasl_b64_decode("Zm9vYmFy", 8, out, 5), -1);
	T_EQ_INT(sasl_b64_encode((const unsigned char *)"Username:", 9, enc,
	    sizeof(enc)), 0);
	T_EQ_STR(enc, "VXNlcm5hbWU6");
	T_EQ_INT(sasl_b64_encode((const unsigned char *)"ab", 2, enc, sizeof(enc)), 0);
	T_EQ_STR(enc, "YWI=");
	T_EQ_INT(sasl_b64_encode((const unsigned char *)"abcd", 4, enc, 8), -1);
}

static void
test_plain(void)
{
	struct sasl_creds	 c;
	const char		*err = NULL;

	T_EQ_INT(sasl_plain((const unsigned char *)"\0u@example.org\0pw", 17, &c,
	    &err), 0);
	T_EQ_STR(c.login, "u@example.org");
	T_EQ_STR(c.password, "pw");
	T_EQ_INT(sasl_plain((const unsigned char *)"u@x\0u@x\0pw", 10, &c, &err), 0);
	T_EQ_STR(c.login, "u@x");
	/* Proxy logins, missing parts, NUL inside the password, empty login. */
	T_EQ_INT(sasl_plain((const unsigned char *)"admin\0u@x\0pw", 12, &c, &err),
	    -1);
	T_EQ_INT(sasl_plain((const unsigned char *)"\0u@x", 4, &c, &err), -1);
	T_EQ_INT(sasl_plain((const unsigned char *)"\0u@x\0p\0w", 8, &c, &err), -1);
	T_EQ_INT(sasl_plain((const unsigned char *)"\0\0pw", 4, &c, &err), -1);
	T_EQ_STR(c.login, "");
	/* An empty password is a valid PLAIN message; the check refuses it later. */
	T_EQ_INT(sasl_plain((const unsigned char *)"\0u\0", 3, &c, &err), 0);
	sasl_creds_clear(&c);
	T_EQ_STR(c.password, "");
}

void
test_main(void)
{
	t_run("vectors", test_vectors);
	t_run("schemes", test_schemes);
	t_run("needs_rehash", test_needs_rehash);
	t_run("passwd_fields", test_passwd_fields);
	t_run("hash", test_hash);
	t_run("b64", test_b64);
	t_run("plain", test_plain);
}
