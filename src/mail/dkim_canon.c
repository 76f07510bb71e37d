/* DKIM simple and relaxed canonicalization of header fields and of bodies streamed in chunks. */
#include <string.h>

#include "lib/buf.h"
#include "mail/dkim_canon.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

int
dkim_canon_header(struct buf *out, enum dkim_canon canon, const char *name,
    size_t namelen, const char *value, size_t valuelen, int crlf)
{
	size_t	 i, start;
	int	 pending = 0, any = 0, rc = 0;
	char	 c;

	if (canon == DKIM_CANON_SIMPLE) {
		rc |= buf_add(out, name, namelen);
		rc |= buf_addc(out, ':');
		/* As it is, but each LF that is not after a CR becomes CRLF. */
		for (start = i = 0; i < valuelen; i++)
			if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r')) {
				rc |= buf_add(out, value + start, i - start);
				rc |= buf_add(out, "\r\n", 2);
				start = i + 1;
			}
		rc |= buf_add(out, value + start, valuelen - start);
	} else {
		while (namelen > 0 && is_wsp(name[namelen - 1]))
			namelen--;
		for (i = 0; i < namelen; i++) {
			c = name[i];
			rc |= buf_addc(out, c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		rc |= buf_addc(out, ':');
		for (i = 0; i < valuelen; i++) {
			c = value[i];
			/* Unfolding removes the line breaks; the white space after them stays. */
			if (c == '\n' || (c == '\r' && i + 1 < valuelen &&
			    value[i + 1] == '\n'))
				continue;
			if (is_wsp(c)) {
				pending = 1;
				continue;
			}
			if (pending && any)
				rc |= buf_addc(out, ' ');
			pending = 0;
			any = 1;
			rc |= buf_addc(out, c);
		}
	}
	if (crlf)
		rc |= buf_add(out, "\r\n", 2);
	return rc ? -1 : 0;
}

int
dkim_body_init(struct dkim_body *b, enum dkim_canon canon, uint64_t limit)
{
	memset(b, 0, sizeof(*b));
	b->canon = canon;
	b->limit = limit;
	if ((b->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(b->md, EVP_sha256(), NULL) != 1) {
		dkim_body_free(b);
		return -1;
	}
	return 0;
}

void
dkim_body_free(struct dkim_body *b)
{
	EVP_MD_CTX_free(b->md);
	b->md = NULL;
}

static int
hash(struct dkim_body *b, const char *p, size_t n)
{
	if (b->tap != NULL)
		b->tap(b->tap_arg, p, n);
	return EVP_DigestUpdate(b->md, p, n) == 1 ? 0 : -1;
}

static int
flush(struct dkim_body *b)
{
	int	 rc = 0;

	if (b->outlen > 0)
		rc = hash(b, b->out, b->outlen);
	b->outlen = 0;
	return rc;
}

/* Canonical output: counted always, hashed up to the limit, buffered. */
static int
emit(struct dkim_body *b, const char *p, size_t n)
{
	uint64_t	 room = b->len < b->limit ? b->limit - b->len : 0;
	size_t		 k = (uint64_t)n < room ? n : (size_t)room, m;

	b->len += n;
	if (k >= DKIM_BODY_BUFSZ) {
		if (flush(b) == -1)
			return -1;
		return hash(b, p, k);
	}
	while (k > 0) {
		m = DKIM_BODY_BUFSZ - b->outlen;
		if (m > k)
			m = k;
		memcpy(b->out + b->outlen, p, m);
		b->outlen += m;
		p += m;
		k -= m;
		if (b->outlen == DKIM_BODY_BUFSZ && flush(b) == -1)
			return -1;
	}
	return 0;
}

/* Line content is coming: the empty lines held back were not trailing after all. */
static int
content(struct dkim_body *b, const char *p, size_t n)
{
	int	 rc = 0;

	if (!b->midline) {
		for (; b->empty > 0 && rc == 0; b->empty--)
			rc = emit(b, "\r\n", 2);
		b->midline = 1;
	}
	if (b->wsp) {
		rc |= emit(b, " ", 1);
		b->wsp = 0;
	}
	return rc | emit(b, p, n);
}

static int
endline(struct dkim_body *b)
{
	b->wsp = 0;
	if (!b->midline) {
		b->empty++;
		return 0;
	}
	b->midline = 0;
	return emit(b, "\r\n", 2);
}

int
dkim_body_update(struct dkim_body *b, const void *data, size_t len)
{
	const char	*p = data, *end = p + len, *q;
	int		 relaxed = b->canon == DKIM_CANON_RELAXED, rc = 0;

	while (p < end && rc == 0) {
		if (b->cr) {
			b->cr = 0;
			if (*p == '\n') {
				rc = endline(b);
				p++;
				continue;
			}
			if ((rc = content(b, "\r", 1)) == -1)
				break;
		}
		if (*p == '\r') {
			b->cr = 1;
			p++;
			continue;
		}
		if (*p == '\n') {
			rc = endline(b);
			p++;
			continue;
		}
		if (relaxed && is_wsp(*p)) {
			b->wsp = 1;
			p++;
			continue;
		}
		/*
		 * A run of line content up to the next CR or LF; relaxed stops
		 * at white space too, but not at a lone SP between two words,
		 * which canonicalizes to itself (most of a text body).
		 */
		for (q = p + 1; q < end && *q != '\r' && *q != '\n'; q++) {
			if (!relaxed || !is_wsp(*q))
				continue;
			if (*q == '\t' || q + 1 == end || is_wsp(q[1]) ||
			    q[1] == '\r' || q[1] == '\n')
				break;
		}
		rc = content(b, p, (size_t)(q - p));
		p = q;
	}
	return rc;
}

int
dkim_body_final(struct dkim_body *b, unsigned char md[32])
{
	unsigned int	 n = 0;
	int		 rc = 0;

	if (b->cr) {
		b->cr = 0;
		rc |= content(b, "\r", 1);
	}
	/* A last line without its line end gets one; trailing empty lines go. */
	if (b->midline)
		rc |= endline(b);
	b->empty = 0;
	/* simple: an empty body is one CRLF; relaxed: it stays empty. */
	if (b->canon == DKIM_CANON_SIMPLE && b->len == 0)
		rc |= emit(b, "\r\n", 2);
	rc |= flush(b);
	if (rc != 0 || EVP_DigestFinal_ex(b->md, md, &n) != 1 || n != 32)
		return -1;
	return 0;
}
