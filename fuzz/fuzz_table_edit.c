/* libFuzzer target: table_edit_split must read every line as table_load_buffer does (differential). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/table.h"
#include "conf/table_edit.h"
#include "lib/map.h"
#include "lib/xalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*text = (const char *)data, *nl, *err;
	struct table		*t;
	struct table_edit_parts	 pt;
	struct map		*seen;
	size_t			 off = 0, len;
	int			 bad = 0, loaded, r;
	char			*key, *val;

	t = table_new("fuzz", TABLE_INLINE_MAP, NULL);
	loaded = table_load_buffer(t, text, size, &err) == 0;
	seen = map_new();
	while (off < size) {
		nl = memchr(text + off, '\n', size - off);
		len = nl ? (size_t)(nl - (text + off)) : size - off;
		if (len - (len > 0 && text[off + len - 1] == '\r') >
		    TABLE_EDIT_LINE_MAX) {
			bad = 1;
			break;
		}
		r = table_edit_split(text + off, len, &pt);
		if (r == -1) {
			bad = 1;
			break;
		}
		if (r == 1) {
			if (pt.key_off + pt.key_len > len ||
			    pt.val_off + pt.val_len > len || pt.key_len == 0)
				__builtin_trap();
			key = xstrndup(text + off + pt.key_off, pt.key_len);
			val = pt.val_len ? xstrndup(text + off + pt.val_off,
			    pt.val_len) : NULL;
			/* The first of duplicate keys is the one loaded. */
			if (loaded && !map_has(seen, key)) {
				const char	*v = table_get(t, key);

				if (!table_has(t, key) || (v == NULL) != (val == NULL) ||
				    (v && strcmp(v, val) != 0))
					__builtin_trap();
				map_set(seen, key, NULL);
			}
			free(key);
			free(val);
		}
		off += len + (nl != NULL);
	}
	if (bad == loaded)
		__builtin_trap();
	if (loaded && map_count(seen) != t->nentries)
		__builtin_trap();
	map_free(seen, NULL);
	table_free(t);
	return 0;
}
