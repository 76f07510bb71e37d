/* IMAP string output (RFC 3501 4.3): NIL, quoted strings, literals, and Dovecot's text-for-people form. */
#ifndef TEGAMI_IMAP_STRING_H
#define TEGAMI_IMAP_STRING_H

#include <stddef.h>

struct buf;

/*
 * s[0..len) as an IMAP string: NIL when s is NULL; a quoted string (with
 * \" and \\ escaped) when it can be one; a literal {n} when it holds CR,
 * LF, NUL or 8-bit octets (a NUL, which no IMAP4rev1 literal may carry,
 * is sent as 0x80, as Dovecot does). Returns 0 or -1 when out is full.
 */
int	 imap_nstring(struct buf *out, const char *s, size_t len);
/* The same with CR and LF removed first (unfolded header values). */
int	 imap_nstring_nolf(struct buf *out, const char *s, size_t len);
/*
 * Header text meant for people (Subject, display names), the way Dovecot
 * writes it in ENVELOPE: CR, LF and TAB become spaces, runs of white space
 * one space, leading and trailing white space go; written as a literal
 * whenever anything had to change or the text holds '"', '\\' or 8-bit
 * octets, else quoted; "" when nothing is left; NIL for NULL.
 */
int	 imap_string_for_humans(struct buf *out, const char *s, size_t len);

#endif
