/* libFuzzer target: table(5) text parsing from memory, then every kind of lookup on the result. */
#include <sys/socket.h>

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/table.h"
#include "route/lookup.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct table		*t;
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	const char		*err, *key, *value;
	size_t			 it = 0, n = 0;

	t = table_new("fuzz", TABLE_INLINE_MAP, NULL);
	if (table_load_buffer(t, (const char *)data, size, &err) == -1) {
		if (err == NULL || err[0] == '\0')
			__builtin_trap();
		table_free(t);
		return 0;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0x7f000001);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr.s6_addr[15] = 1;
	table_match_netaddr(t, (struct sockaddr *)&sin);
	table_match_netaddr(t, (struct sockaddr *)&sin6);
	while (table_iter(t, &it, &key, &value)) {
		/* Every key is found again, folded or not. */
		if (!table_has(t, key) || table_get(t, key) != value)
			__builtin_trap();
		table_get_fold(t, key);
		if (n++ < 8) {
			table_match_domain(t, key);
			table_match_mailaddr(t, key);
		}
	}
	if (n != t->nentries)
		__builtin_trap();
	/* Regex compilation is costly on hostile patterns: only small tables. */
	if (n <= 4 && size <= 256)
		table_match_regex(t, "user@example.org");
	table_free(t);
	return 0;
}
