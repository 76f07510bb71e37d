/* The one base64 alphabet table (RFC 4648), and IMAP's variant for mailbox names (RFC 3501 5.1.3). */
#ifndef TEGAMI_BASE64_H
#define TEGAMI_BASE64_H

#include <stddef.h>

enum base64_alphabet {
	BASE64_STD,		/* A-Z a-z 0-9 + / */
	BASE64_IMAP,		/* modified UTF-7: "," in place of "/" */
};

/* The 6-bit value of c in the alphabet, or -1. */
int	 base64_value(unsigned char c, enum base64_alphabet);
/* The character for a 6-bit value. */
char	 base64_char(unsigned v, enum base64_alphabet);

#endif
