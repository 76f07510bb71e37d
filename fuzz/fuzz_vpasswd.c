/* libFuzzer target: vpasswd lines and quotas, .qmail files, vdelivermail commands and .qmail-EXT names. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/vpasswd.h"
#include "lib/xalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*text = (const char *)data, *nl, *err;
	struct vpasswd		 vp;
	struct dotqmail		 dq;
	uint64_t		 b, c;
	size_t			 off = 0, n, i;
	char			 buf[256], *s;
	int			 w, r;

	/* Every line as a vpasswd line. */
	while (off < size) {
		nl = memchr(text + off, '\n', size - off);
		n = nl ? (size_t)(nl - (text + off)) : size - off;
		r = vpasswd_parse(text + off, n, &vp, &err);
		if (r == 1) {
			if (vp.name == NULL || vp.name[0] == '\0' || strchr(vp.name, '@'))
				__builtin_trap();
			(void)vpasswd_quota(vp.quota, &b, &c);
			vpasswd_clear(&vp);
		} else if (r == -1 && (err == NULL || *err == '\0'))
			__builtin_trap();
		off += n + (nl != NULL);
	}
	/* The whole input as a .qmail file. */
	if (dotqmail_parse(text, size, &dq, &err) == 0) {
		for (i = 0; i < dq.n; i++) {
			if (dq.v[i].value == NULL || dq.v[i].value[0] == '\0')
				__builtin_trap();
			if (dq.v[i].kind == DOTQMAIL_PROGRAM &&
			    dotqmail_vdelivermail(dq.v[i].value, buf, sizeof(buf)) == 0 &&
			    strlen(buf) >= sizeof(buf))
				__builtin_trap();
		}
		dotqmail_free(&dq);
	}
	/* As a file name and as a command. */
	s = xstrndup(text, size);
	if (dotqmail_ext(s, ".qmail-", buf, sizeof(buf), &w) == 0 &&
	    strchr(buf, '/') != NULL)
		__builtin_trap();
	(void)dotqmail_vdelivermail(s, buf, sizeof(buf));
	(void)vpasswd_quota(s, &b, &c);
	free(s);
	return 0;
}
