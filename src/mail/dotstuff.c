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
	size_t	 i, start = 0;

	for (i = 0; i < len; i++) {
		if (d->cr) {
			d->cr = 0;
			if (in[i] == '\n') {
				/* The LF of a CRLF whose CR ended the line. */
				start = i + 1;
				continue;
			}
		}
		if (d->bol && in[i] == '.') {
			if (buf_add(out, in + start, i - start) == -1 ||
			    buf_addc(out, '.') == -1)
				return -1;
			start = i;
		}
		d->bol = 0;
		if (in[i] == '\n' || in[i] == '\r') {
			if (buf_add(out, in + start, i - start) == -1 ||
			    buf_add(out, "\r\n", 2) == -1)
				return -1;
			start = i + 1;
			d->bol = 1;
			d->cr = in[i] == '\r';
		}
	}
	return buf_add(out, in + start, len - start);
}

int
dotstuff_end(struct dotstuff *d, struct buf *out)
{
	if (!d->bol && buf_add(out, "\r\n", 2) == -1)
		return -1;
	d->bol = 1;
	return buf_add(out, ".\r\n", 3);
}
