/* libFuzzer target: SASL responses (strict base64, PLAIN, LOGIN) and credentials table lines with their hash fields. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/password.h"
#include "mail/sasl.h"
#include "conf/table.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_sasl(const uint8_t *data, size_t size)
{
	unsigned char		 out[4096];
	char			 enc[8192], field[SASL_LOGIN_MAX + 1];
	struct sasl_creds	 c;
	const char		*err;
	long			 n;

	if ((n = sasl_b64_decode((const char *)data, size, out, sizeof(out))) < 0)
		return;
	/* What decodes strictly encodes back to the same text. */
	if (sasl_b64_encode(out, (size_t)n, enc, sizeof(enc)) == -1 ||
	    strlen(enc) != size || memcmp(enc, data, size) != 0)
		__builtin_trap();
	if (sasl_plain(out, (size_t)n, &c, &err) == 0) {
		if (c.login[0] == '\0' || strlen(c.login) > SASL_LOGIN_MAX)
			__builtin_trap();
	} else if (err == NULL || c.login[0] != '\0' || c.password[0] != '\0')
		__builtin_trap();
	if (sasl_login_field(out, (size_t)n, field, sizeof(field), &err) == 0 &&
	    memchr(out, '\0', (size_t)n) != NULL)
		__builtin_trap();
}

static void
fuzz_creds(const uint8_t *data, size_t size)
{
	struct table		*t;
	enum password_scheme	 scheme;
	char			 hash[PASSWORD_HASH_MAX + 1];
	const char		*err, *key, *value;
	size_t			 it = 0;

	t = table_new("creds", TABLE_INLINE_MAP, NULL);
	if (table_load_buffer(t, (const char *)data, size, &err) == 0)
		while (table_iter(t, &it, &key, &value))
			/* Parsing only: hashing a hostile "$2b$31$" would take years. */
			if (password_parse(value, &scheme, hash, sizeof(hash), &err) == 0 &&
			    (strchr(hash, ':') != NULL || strlen(hash) > PASSWORD_HASH_MAX))
				__builtin_trap();
	table_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_sasl(data + 1, size - 1);
	else
		fuzz_creds(data + 1, size - 1);
	return 0;
}
