/* The digits of the encodings mail uses: base64 (RFC 4648, and IMAP's variant for mailbox names, RFC 3501 5.1.3) and hex. */
#ifndef TEGAMI_DIGITS_H
#define TEGAMI_DIGITS_H

#include <stddef.h>

enum base64_alphabet {
	BASE64_STD,		/* A-Z a-z 0-9 + / */
	BASE64_IMAP,		/* modified UTF-7: "," in place of "/" */
};

/* The 6-bit value of c in the alphabet, or -1. */
int	 base64_value(unsigned char c, enum base64_alphabet);
/* The character for a 6-bit value. */
char	 base64_char(unsigned v, enum base64_alphabet);
/* The value of a hex digit (either case), or -1. */
int	 hex_value(int c);

#endif
