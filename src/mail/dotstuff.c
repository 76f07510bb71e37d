/* LF (and a stray CR) to CRLF and dot-stuffing of a stored message, in any chunking. */
#include <string.h>

#include "lib/buf.h"
#include "mail/dotstuff.h"

void
dotstuff_init(struct dotstuff *d)
{
	d->bol = 1;
	d->cr = 0;
}

int
dotstuff_encode(struct dotstuff *d, const char *in, size_t len, struct buf *out)
{
	const char	*p = in, *end = in + len, *start = in, *nl, *cr;

	while (p < end) {
		if (d->cr) {
			d->cr = 0;
			if (*p == '\n') {
				/* The LF of a CRLF whose CR ended the line. */
				start = ++p;
				continue;
			}
		}
		if (d->bol) {
			d->bol = 0;
			if (*p == '.') {
				if (buf_add(out, start, (size_t)(p - start)) == -1 ||
				    buf_addc(out, '.') == -1)
					return -1;
				start = p;
			}
		}
		/* The line's end: an LF, or a CR before it (memchr looks at words, not octets). */
		nl = memchr(p, '\n', (size_t)(end - p));
		cr = memchr(p, '\r', (size_t)((nl ? nl : end) - p));
		if (cr != NULL)
			nl = cr;
		if (nl == NULL)
			break;
		if (buf_add(out, start, (size_t)(nl - start)) == -1 ||
		    buf_add(out, "\r\n", 2) == -1)
			return -1;
		start = p = nl + 1;
		d->bol = 1;
		d->cr = *nl == '\r';
	}
	return buf_add(out, start, (size_t)(end - start));
}

int
dotstuff_end(struct dotstuff *d, struct buf *out)
{
	if (!d->bol && buf_add(out, "\r\n", 2) == -1)
		return -1;
	d->bol = 1;
	return buf_add(out, ".\r\n", 3);
}
