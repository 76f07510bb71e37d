/* libFuzzer target: helo_classify on any octets, with what it promises about literals and kinds checked. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/helo.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	 bin[16];
	char		*s, addr[64];
	enum helo_kind	 k;
	int		 family = 0;
	const char	*why = NULL;

	/* Its own allocation, no NUL after it: ASan sees any read past the end. */
	if ((s = malloc(size ? size : 1)) == NULL)
		abort();
	memcpy(s, data, size);
	k = helo_classify(s, size, addr, sizeof(addr), &family, &why);
	switch (k) {
	case HELO_LITERAL:
		if (size < 3 || s[0] != '[' || s[size - 1] != ']')
			abort();
		if ((family != AF_INET && family != AF_INET6) ||
		    inet_pton(family, addr, bin) != 1)
			abort();
		break;
	case HELO_INVALID:
		if (why == NULL || addr[0] != '\0')
			abort();
		break;
	case HELO_FQDN:
	case HELO_NOT_FQDN:
		/* A domain: no space, no '@', never an all-numeric name. */
		if (size == 0 || memchr(s, ' ', size) || memchr(s, '@', size))
			abort();
		if (k == HELO_FQDN && memchr(s, '.', size) == NULL)
			abort();
		break;
	}
	(void)helo_same_name("mx.example.org", "MX.example.org.");
	free(s);
	return 0;
}
