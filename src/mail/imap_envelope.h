/* The ENVELOPE of RFC 3501 7.4.2 from a parsed message header. */
#ifndef TEGAMI_IMAP_ENVELOPE_H
#define TEGAMI_IMAP_ENVELOPE_H

#include <stdint.h>

struct buf;
struct mime_tree;

/*
 * Appends the ENVELOPE of the message whose header is part idx of t (0:
 * the message itself; else the child of a message/rfc822 part) to out:
 * "(" date subject from sender reply-to to cc bcc in-reply-to message-id
 * ")". Written as Dovecot writes it: Subject and display names as text for
 * people (imap_string_for_humans), Date, In-Reply-To and Message-ID
 * unfolded, empty address lists NIL, Sender and Reply-To the From list when
 * absent or empty. Returns 0, or -1 when out is full.
 */
int	 imap_envelope(struct buf *out, const struct mime_tree *t, uint32_t idx);

#endif
