/* Streaming Content-Transfer-Encoding decoders (base64, quoted-printable) for SEARCH and BINARY. */
#ifndef TEGAMI_MIME_DECODE_H
#define TEGAMI_MIME_DECODE_H

#include <stddef.h>

struct buf;

enum mime_cte {
	MIME_CTE_7BIT,		/* also for no field at all */
	MIME_CTE_8BIT,
	MIME_CTE_BINARY,
	MIME_CTE_BASE64,
	MIME_CTE_QP,
	MIME_CTE_UNKNOWN,	/* BINARY answers [UNKNOWN-CTE] (RFC 3516 4.3) */
};

/* The encoding named by a Content-Transfer-Encoding token (NULL: none). */
enum mime_cte mime_cte_kind(const char *token, size_t len);

/*
 * A decoder keeps what a chunk boundary cut (a base64 quantum, "=4" of
 * quoted-printable, trailing blanks) until the next feed, so output does
 * not depend on how the input is split. Decoding is lenient as mail
 * readers are: it never stops, and malformed is set when the input broke
 * the RFC 2045 rules (a character outside the alphabet, a quantum cut
 * short, a bad "=" escape, 8-bit octets in quoted-printable). Output goes
 * to the end of out; -1 only when out is full.
 */
struct mime_decoder {
	enum mime_cte	 cte;
	int		 state;		/* private */
	unsigned	 acc;		/* private */
	int		 bits;		/* private */
	size_t		 ws;		/* private: blanks held back (quoted-printable) */
	char		 wsbuf[64];	/* private */
	char		 hold;		/* private */
	int		 malformed;
};

/* cte BASE64 or QP decode; any other copies the input as it is. */
void	 mime_decoder_init(struct mime_decoder *, enum mime_cte);
int	 mime_decoder_feed(struct mime_decoder *, const char *in, size_t len,
	    struct buf *out);
/* Ends the input: flushes what is held and checks the last quantum. */
int	 mime_decoder_end(struct mime_decoder *, struct buf *out);

#endif
