/* Base64 and hex digits; the decoders around them (strict SASL, folded DKIM, IMAP names, MIME bodies, %XX escapes) differ in what they allow. */
#include "lib/digits.h"

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

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
