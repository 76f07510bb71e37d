/* Delivery status notifications (RFC 3464, RFC 3461): the report message for a queued message's results. */
#ifndef TEGAMI_BOUNCE_H
#define TEGAMI_BOUNCE_H

#include <stddef.h>
#include <time.h>

struct buf;

/* Of the original message, at most this much is returned with RET=FULL; larger: headers only. */
#define BOUNCE_FULL_MAX		(1024 * 1024)
/* Of the original header, at most this much is returned (cut at a line end). */
#define BOUNCE_HEADERS_MAX	(64 * 1024)
/* A field value or reason text in the report is cut to this many bytes. */
#define BOUNCE_TEXT_MAX		900

enum bounce_action { BOUNCE_FAILED, BOUNCE_DELAYED, BOUNCE_DELIVERED };

/* One recipient's result, as the report gives it. */
struct bounce_rcpt {
	enum bounce_action	 action;
	const char		*rcpt;		/* RCPT TO as received: Final-Recipient */
	const char		*dest;		/* after alias expansion, or NULL */
	const char		*orcpt;		/* ORCPT= as received ("rfc822;xtext"), or NULL */
	/*
	 * The result text: ours ("/var/vmail/...: Not a directory"), or a
	 * remote server's reply, see bounce_remote().
	 */
	const char		*text;
	/* "5.1.1", or NULL: the code in text if it has one of the right class, else X.0.0 */
	const char		*status;
	time_t			 last_attempt;	/* 0: none */
	time_t			 retry_until;	/* BOUNCE_DELAYED: Will-Retry-Until */
};

struct bounce_msg {
	const char		*hostname;	/* Reporting-MTA, From: MAILER-DAEMON@ */
	const char		*qid;		/* the original's queue id */
	const char		*sender;	/* the original's reverse-path: To: */
	const char		*envid;		/* ENVID= (decoded), or NULL */
	int			 ret_full;	/* RET=FULL */
	time_t			 arrival;	/* Arrival-Date */
	time_t			 now;		/* Date: */
	const char		*message_id;	/* Message-ID without brackets */
	const char		*prepend;	/* the original's fields made after its body, or NULL */
	const struct bounce_rcpt *rcpts;
	size_t			 nrcpts;
};

/*
 * Appends the report to out: multipart/report; report-type=delivery-status
 * with a text/plain explanation, a message/delivery-status part, and the
 * original read from msgfd (msglen bytes at offset 0, LF line ends): whole
 * as message/rfc822 when ret_full, some recipient failed and it is at most
 * BOUNCE_FULL_MAX bytes, else its header as text/rfc822-headers. Lines end
 * in LF, as queue files store them. *eightbit is set when the report holds
 * bytes over 0x7f (the queue marks the envelope 8BITMIME). Returns 0, or -1
 * with errstr (static text) when the original cannot be read or out is full.
 */
int	 bounce_build(const struct bounce_msg *, int msgfd, size_t msglen,
	    struct buf *out, int *eightbit, const char **errstr);

/*
 * The enhanced status code (RFC 3463) in text whose class is cls ('2',
 * '4' or '5'), written to out ("5.1.1"); -1 when text has none. A code is a
 * word of its own: "550 5.1.1 <x>: unknown" and "5.7.1 denied" have one,
 * "version 5.10.3" has one too (the first code of the right class wins).
 */
int	 bounce_status(const char *text, char cls, char out[16]);

/*
 * Result texts from a remote server name it, in either of two forms:
 * "remote-mta=HOST REPLY" or "REPLY (host HOST)" (what the relay client
 * reports). Returns 1 with the host in host and the rest in reply; 0 for
 * any other text (ours, such as a Maildir error).
 */
int	 bounce_remote(const char *text, char *host, size_t hostlen,
	    char *reply, size_t replylen);

/* RFC 5322 date-time of t in UTC: "Tue, 01 Jun 2021 10:00:00 +0000". */
void	 bounce_date(time_t t, char out[40]);

#endif
