/* The Received: trace header (RFC 5321 4.4, RFC 3848, RFC 6531 3.7.3). */
#ifndef TEGAMI_RECEIVED_H
#define TEGAMI_RECEIVED_H

#include <stddef.h>
#include <time.h>

struct buf;

/*
 * What the header says. Strings may be NULL where noted; every one that the
 * client or DNS supplied is sanitised on output (no control characters, and
 * parentheses and backslashes quoted inside comments).
 */
struct received_info {
	const char	*helo;		/* HELO/EHLO argument; NULL: "unknown" */
	const char	*rdns;		/* verified reverse name; NULL: "unknown" */
	const char	*addr;		/* numeric client address; NULL: none (local) */
	int		 mask_src;	/* leave out the "from" clause entirely */
	const char	*hostname;	/* this server */
	const char	*protocol;	/* received_protocol() */
	const char	*tls_version;	/* "TLSv1.3"; NULL: no TLS comment */
	const char	*tls_cipher;	/* "TLS_AES_256_GCM_SHA384" */
	int		 tls_bits;	/* cipher strength; 0: left out */
	const char	*auth_user;	/* NULL: no "(authenticated as ...)" */
	/* The local enqueuer (sendmail): "(tegami, from userid N (name))" */
	int		 local;
	unsigned	 local_uid;
	const char	*local_user;	/* NULL: the uid alone */
	const char	*queue_id;
	const char	*recipient;	/* only when there is exactly one; else NULL */
	time_t		 when;
};

/* Appends the folded header, CRLF line ends. Returns 0, or -1 when out is full. */
int	 received_header(struct buf *out, const struct received_info *);

/* The "with" keyword: SMTP, ESMTP[S][A], UTF8SMTP[S][A]. */
const char *received_protocol(int esmtp, int tls, int auth, int utf8);

/* RFC 5322 date-time in local time with a numeric zone: "Mon, 2 Jan 2006 15:04:05 -0700". */
void	 received_date(char *dst, size_t dstlen, time_t);

#endif
