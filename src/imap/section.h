/* FETCH body items (BODY[section]<partial>, BINARY, BINARY.SIZE, RFC822*) as exact CRLF octets, streamed in chunks. */
#ifndef TEGAMI_IMAP_SECTION_H
#define TEGAMI_IMAP_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mail/imap_parse.h"
#include "mail/imap_write.h"

struct buf;
struct mime_tree;

/*
 * One body item of one FETCH response, written the way the engine sends
 * responses: the head first ("BODY[1.2]<0> {1234}" CRLF: the item's name
 * and the literal's length), then the data in chunks as the client's
 * output drains, so a 50 MB attachment is never one string:
 *
 *	s = section_open(f, msg, len, tree, &code, &err);
 *	section_write_head(s, out);		// "BODY[1] {n}\r\n"
 *	while ((k = section_read(s, chunk, sizeof(chunk))) > 0)
 *		send(chunk, k);			// exactly section_length(s) in all
 *	section_free(&s);
 *
 * Octets are what IMAP sends: message files keep LF line ends (Maildir) and
 * every bare LF goes out as CRLF; sizes and partial offsets count those
 * CRLF octets (RFC822.SIZE, as Dovecot counts them). A NUL, which no
 * literal may hold, goes out as 0x80 in BODY (as Dovecot sends it). BINARY
 * decodes base64 and quoted-printable (RFC 3516) by the part's last
 * Content-Transfer-Encoding field; BINARY of a multipart, of a
 * message/rfc822 part and BINARY[] give their insides with every such leaf
 * decoded and marked "Content-Transfer-Encoding: binary" (Dovecot's form).
 * BINARY data goes in a literal8 "~{n}" when something was decoded or it
 * holds a NUL, and always for BINARY[]. A section that does not exist is
 * an empty literal "{0}", as Dovecot answers. Malformed base64 or
 * quoted-printable is decoded leniently (Dovecot refuses it).
 * tests/data/imapsection/README has the details and the reference answers.
 *
 * Costs: section_open is O(1) for BODY ranges, O(header) for
 * HEADER.FIELDS[.NOT] (built in memory at open), O(part) for BINARY and
 * BINARY.SIZE (one decoding pass to know the decoded length). section_read
 * is O(chunk) and resumes where it stopped. Nothing does I/O: msg is the
 * mapped file, which with t must stay valid until section_free. All of it
 * may run on a worker thread; one section is used by one thread at a time.
 */
struct section;

/*
 * Opens body item f (BODY, BODY.PEEK, BINARY, BINARY.PEEK, BINARY.SIZE)
 * of message msg[0..len) parsed as t. Returns NULL with *code and *errstr
 * for the tagged NO when the item cannot be answered: BINARY of a part
 * whose Content-Transfer-Encoding is unknown (IMAP_CODE_UNKNOWN_CTE,
 * RFC 3516 4.3). f is copied: the request may be freed after.
 */
struct section	*section_open(const struct imap_fetch_body *f, const char *msg,
		    size_t len, const struct mime_tree *t, enum imap_code *code,
		    const char **errstr);
/*
 * RFC822 (BODY[]), RFC822.HEADER (BODY.PEEK[HEADER]) or RFC822.TEXT
 * (BODY[TEXT]): item is IMAP_FETCH_RFC822, IMAP_FETCH_RFC822_HEADER or
 * IMAP_FETCH_RFC822_TEXT; the head names the item as asked ("RFC822.TEXT
 * {n}"). NULL for another item.
 */
struct section	*section_open_rfc822(unsigned item, const char *msg, size_t len,
		    const struct mime_tree *t);

/*
 * Appends the item's head: name, a space, then "{n}" CRLF, or "~{n}" CRLF
 * for BINARY data holding NUL (literal8, RFC 3516 4.2); for BINARY.SIZE
 * the number itself ("BINARY.SIZE[1] 2310"), and no data follows. Returns
 * 0, or -1 when out is full.
 */
int		 section_write_head(const struct section *, struct buf *out);
/* The octets of data that follow the head (0 for BINARY.SIZE). */
uint64_t	 section_length(const struct section *);
/* Copies the next octets of data into dst (at most room); 0 once all were given. */
size_t		 section_read(struct section *, char *dst, size_t room);
/* The head and all of the data, appended to out: for small items and tests. 0 or -1. */
int		 section_write(struct section *, struct buf *out);
/* Whether fetching it sets \Seen: BODY[...], BINARY[...], RFC822, RFC822.TEXT. */
bool		 section_sets_seen(const struct section *);
void		 section_free(struct section **);

#endif
