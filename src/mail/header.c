/* Header-section scanning and the From rewrite for masquerading senders. */
#include <string.h>
#include <strings.h>

#include "lib/buf.h"
#include "mail/header.h"

size_t
header_end(const char *hdr, size_t len)
{
	const char	*p;

	if (len > 0 && hdr[0] == '\n')
		return 1;	/* no header fields at all */
	p = memmem(hdr, len, "\n\n", 2);
	return p ? (size_t)(p - hdr) + 2 : 0;
}

/* The end of the field starting at off: past its last continuation line. */
static size_t
field_end(const char *hdr, size_t len, size_t off)
{
	const char	*nl;

	for (;;) {
		nl = memchr(hdr + off, '\n', len - off);
		if (nl == NULL)
			return len;
		off = (size_t)(nl - hdr) + 1;
		if (off >= len || (hdr[off] != ' ' && hdr[off] != '\t'))
			return off;
	}
}

int
header_masquerade_from(struct buf *out, const char *hdr, size_t len,
    const char *addr)
{
	size_t		 off, end, vstart;
	const char	*lt, *gt;

	/* The first From field: [off, end). */
	for (off = 0; ; off = end) {
		if (off >= len || hdr[off] == '\n')
			return buf_add(out, hdr, len) == -1 ? -1 : 0;
		end = field_end(hdr, len, off);
		if (end - off >= 5 && strncasecmp(hdr + off, "from:", 5) == 0)
			break;
	}

	vstart = off + 5;
	lt = memchr(hdr + vstart, '<', end - vstart);
	gt = lt ? memchr(lt, '>', (size_t)(hdr + end - lt)) : NULL;
	if (buf_add(out, hdr, off) == -1)
		return -1;
	if (lt && gt) {
		/* From: Display Name <old@addr>  ->  From: Display Name <addr> */
		if (buf_add(out, hdr + off, (size_t)(lt - (hdr + off)) + 1) == -1 ||
		    buf_adds(out, addr) == -1 ||
		    buf_add(out, gt, (size_t)(hdr + end - gt)) == -1)
			return -1;
	} else if (buf_addf(out, "From: %s\n", addr) == -1)
		return -1;
	return buf_add(out, hdr + end, len - end) == -1 ? -1 : 1;
}
