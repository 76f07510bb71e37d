/* libFuzzer target: the relay client's reply parser and EHLO keywords, fed line by line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/reply_parse.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_parse	 r;
	struct ehlo_caps		 caps;
	const char		*p = (const char *)data, *end = p + size, *nl;
	const char		*lt, *errstr;
	size_t			 ltlen, len;
	int			 res, ehlo = size > 0 && data[0] & 1;

	reply_parse_init(&r);
	memset(&caps, 0, sizeof(caps));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (r.done)
			reply_parse_init(&r);
		res = reply_parse_feed(&r, p, len, &lt, &ltlen, &errstr);
		if (res == -1) {
			if (errstr == NULL)
				abort();
			reply_parse_init(&r);
		} else {
			/* The kept text is bounded and free of control bytes. */
			if (r.len >= sizeof(r.text) || strlen(r.text) != r.len)
				abort();
			for (size_t i = 0; i < r.len; i++)
				if ((unsigned char)r.text[i] < 0x20 || r.text[i] == 0x7f)
					abort();
			if (r.code < 200 || r.code > 599)
				abort();
			if (lt < p || lt + ltlen > p + len)
				abort();
			if (ehlo)
				ehlo_caps_line(&caps, lt, ltlen);
		}
		p += nl ? (size_t)(nl - p) + 1 : len;
		if (nl == NULL)
			break;
	}
	return 0;
}
