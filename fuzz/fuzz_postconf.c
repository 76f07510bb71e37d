/* libFuzzer target: Postfix main.cf (every parameter expanded), master.cf and lookup-table sources. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/postconf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*text = (const char *)data;
	struct postconf		 pc;
	struct postconf_master	 m;
	char			 err[256], *v, **l, type[32], path[256];
	size_t			 i, n;

	if (postconf_parse_main(text, size, &pc, err, sizeof(err)) == 0) {
		for (i = 0; i < pc.n && i < 16; i++) {
			v = postconf_expand(&pc, NULL, pc.v[i].name);
			if (v == NULL || strlen(v) >= POSTCONF_EXPAND_MAX)
				__builtin_trap();
			l = postconf_list(v, &n);
			postconf_list_free(l, n);
			(void)postconf_map_ref(v, type, sizeof(type), path, sizeof(path));
			free(v);
		}
		postconf_free(&pc);
	} else if (err[0] == '\0')
		__builtin_trap();
	if (postconf_parse_master(text, size, &m, err, sizeof(err)) == 0) {
		for (i = 0; i < m.n; i++)
			if (m.v[i].command == NULL || m.v[i].name == NULL)
				__builtin_trap();
		postconf_master_free(&m);
	}
	if (postconf_parse_map(text, size, &pc, err, sizeof(err)) == 0)
		postconf_free(&pc);
	return 0;
}
