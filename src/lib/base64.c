/* Base64 digits both ways; the decoders around them (strict SASL, folded DKIM, IMAP names) differ in what they allow. */
#include "lib/base64.h"

static const char digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_value(unsigned char c, enum base64_alphabet a)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == (a == BASE64_IMAP ? ',' : '/'))
		return 63;
	return -1;
}

char
base64_char(unsigned v, enum base64_alphabet a)
{
	v &= 63;
	if (v == 63 && a == BASE64_IMAP)
		return ',';
	return digits[v];
}
