/* DKIM canonicalization (RFC 6376 3.4): header fields, and bodies as a streaming SHA-256 hasher; LF line ends count as CRLF. */
#ifndef TEGAMI_DKIM_CANON_H
#define TEGAMI_DKIM_CANON_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "mail/dkim_sig.h"

struct buf;

/*
 * Appends the canonical form of one header field: name is what precedes
 * the colon, value what follows it up to (not including) the line end
 * that closes the field, folding line ends (LF or CRLF) included. simple
 * keeps it as it is, with CRLF line ends; relaxed lowercases the name,
 * unfolds, turns runs of SP/HTAB into one SP and drops them at both ends
 * of the value. crlf: end with CRLF (not for the signature being made or
 * checked, RFC 6376 3.7). -1 when out is full.
 */
int	 dkim_canon_header(struct buf *out, enum dkim_canon, const char *name,
	    size_t namelen, const char *value, size_t valuelen, int crlf);

#define DKIM_BODY_BUFSZ	4096

/*
 * A body canonicalizer feeding SHA-256. The input may come in chunks of any
 * size, split anywhere (even between CR and LF); the result is the same.
 * Line ends are LF or CRLF; a CR not before an LF is data. Trailing empty
 * lines are held back until a non-empty line shows they are not trailing.
 */
struct dkim_body {
	enum dkim_canon	 canon;
	uint64_t	 limit;		/* octets hashed at most (l=) */
	uint64_t	 len;		/* canonical octets so far, past limit too */
	uint64_t	 empty;		/* empty lines held back */
	int		 midline;	/* inside a line with content */
	int		 wsp;		/* relaxed: white space held back */
	int		 cr;		/* a CR held back, waiting for LF */
	EVP_MD_CTX	*md;
	/* Called with the canonical octets that are hashed (tests, fuzzing). */
	void		(*tap)(void *, const char *, size_t);
	void		*tap_arg;
	size_t		 outlen;
	char		 out[DKIM_BODY_BUFSZ];
};

/* limit: UINT64_MAX for the whole body (signing never uses l=). -1 if OpenSSL fails. */
int	 dkim_body_init(struct dkim_body *, enum dkim_canon, uint64_t limit);
int	 dkim_body_update(struct dkim_body *, const void *, size_t);
/*
 * Ends the body (adds the final CRLF where the RFC says so) and writes
 * the SHA-256 of the first limit canonical octets; len is then the whole
 * canonical length, so a caller can tell l= longer than the body.
 */
int	 dkim_body_final(struct dkim_body *, unsigned char md[32]);
void	 dkim_body_free(struct dkim_body *);

#endif
