/* SMTP command lines (RFC 5321, 1870, 3030, 3461, 4954, 6152, 6531): parsed, never trusted. */
#ifndef TEGAMI_SMTP_CMD_H
#define TEGAMI_SMTP_CMD_H

#include <stddef.h>

#include "mail/addr.h"

#define SMTP_LINE_MAX	512	/* command line incl. CRLF, RFC 5321 4.5.3.1.4 */
/* With ESMTP parameters a MAIL/RCPT line may be longer (RFC 1869): allow it. */
#define SMTP_CMDLINE_MAX	2048
#define SMTP_ORCPT_MAX	500	/* RFC 3461 4.2 */

enum smtp_verb {
	SMTP_UNKNOWN, SMTP_HELO, SMTP_EHLO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA,
	SMTP_BDAT, SMTP_RSET, SMTP_NOOP, SMTP_QUIT, SMTP_HELP, SMTP_VRFY,
	SMTP_EXPN, SMTP_STARTTLS, SMTP_AUTH, SMTP_LHLO,
};

enum smtp_body { BODY_DEFAULT, BODY_7BIT, BODY_8BITMIME, BODY_BINARYMIME };

#define NOTIFY_NEVER	0x1
#define NOTIFY_SUCCESS	0x2
#define NOTIFY_FAILURE	0x4
#define NOTIFY_DELAY	0x8

struct smtp_cmd {
	enum smtp_verb	 verb;
	/* HELO/EHLO/LHLO domain, VRFY/EXPN/HELP argument, AUTH mechanism */
	char		 arg[ADDR_PATH_MAX + 1];
	char		 arg2[SMTP_CMDLINE_MAX];	/* AUTH initial response */
	/* MAIL / RCPT */
	int		 null_path;	/* MAIL FROM:<> */
	int		 postmaster;	/* RCPT TO:<postmaster> (no domain) */
	struct mailaddr	 addr;
	/* MAIL parameters */
	long long	 size;		/* SIZE=, -1 when absent */
	enum smtp_body	 body;
	int		 smtputf8;
	int		 ret;		/* 0, 1 FULL, 2 HDRS */
	char		 envid[101];	/* xtext-decoded ENVID */
	char		 auth[ADDR_PATH_MAX + 1];	/* AUTH= (xtext-decoded) */
	/* RCPT parameters */
	int		 notify;	/* NOTIFY_* bits, 0 when absent */
	char		 orcpt[SMTP_ORCPT_MAX + 1];	/* ORCPT=, as given (addr-type;xtext) */
	/* BDAT */
	long long	 chunk_size;
	int		 last;
	/*
	 * MAIL/RCPT: the address holds UTF-8. RCPT addresses are parsed
	 * allowing UTF-8 because only the session knows whether MAIL carried
	 * SMTPUTF8; it answers 553 5.6.7 when it did not (RFC 6531 3.6).
	 */
	int		 has_utf8;
};

/* What a parse failure should answer; the caller sends code + enhanced + text. */
struct smtp_cmd_error {
	int		 code;		/* 500, 501, 504, 553, 555 ... */
	const char	*enhanced;	/* "5.5.2" ... */
	const char	*text;
};

/*
 * Parses one command line (without CRLF). A MAIL address may hold UTF-8
 * only with the SMTPUTF8 parameter (parameters are parsed before the
 * address is checked); a RCPT address may always, see has_utf8. Returns
 * 0, or -1 with err filled in (static text). Lines longer than
 * SMTP_CMDLINE_MAX - 2 are refused, except that an AUTH initial response
 * may fill arg2.
 */
int	 smtp_cmd_parse(struct smtp_cmd *, const char *line, size_t len,
	    struct smtp_cmd_error *err);

/* xtext (RFC 3461 4): decodes into dst; -1 on malformed input or overflow. */
int	 xtext_decode(char *dst, size_t dstlen, const char *src);

#endif
