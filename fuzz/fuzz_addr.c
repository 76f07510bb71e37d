/* libFuzzer target: addr_parse on arbitrary strings, and the round trip of what it accepts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/addr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mailaddr	 a, b;
	char		*s, path[ADDR_PATH_MAX + 1];
	const char	*err = NULL;
	size_t		 i;
	int		 utf8;

	/* The first octet picks the mode; the rest is the address. */
	if (size == 0)
		return 0;
	utf8 = data[0] & 1;
	s = malloc(size);
	if (s == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (addr_parse(&a, s, utf8, &err) == -1) {
		if (err == NULL || err[0] == '\0')
			abort();
		free(s);
		return 0;
	}
	if (memchr(a.local, '\0', sizeof(a.local)) == NULL ||
	    memchr(a.domain, '\0', sizeof(a.domain)) == NULL ||
	    a.local[0] == '\0' || a.domain[0] == '\0')
		abort();
	if (!utf8 && addr_is_utf8(&a))
		abort();
	for (i = 0; a.domain[i] != '\0'; i++)
		if (a.domain[i] >= 'A' && a.domain[i] <= 'Z' &&
		    strncmp(a.domain, "[IPv6:", 6) != 0)
			abort();
	/* Formatting gives a path that parses back to the same parts. */
	addr_format(&a, path, sizeof(path));
	if (strlen(path) > ADDR_PATH_MAX)
		abort();
	if (addr_parse(&b, path, utf8, &err) == -1 ||
	    strcmp(a.local, b.local) != 0 || strcmp(a.domain, b.domain) != 0)
		abort();
	if (addr_domain_check(a.domain, strlen(a.domain), utf8, &err) == -1)
		abort();
	/* Stripping a sub-address keeps a parseable address. */
	addr_strip_subaddr(&b, '+');
	addr_format(&b, path, sizeof(path));
	if (addr_parse(&a, path, utf8, &err) == -1)
		abort();
	free(s);
	return 0;
}
