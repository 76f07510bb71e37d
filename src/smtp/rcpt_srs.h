/* RCPT to an SRS0 address of ours: verified and turned back into the sender it stands for. */
#ifndef TEGAMI_SMTP_RCPT_SRS_H
#define TEGAMI_SMTP_RCPT_SRS_H

#include <stddef.h>

struct mailaddr;
struct match_ctx;
struct smtp_session;

/*
 * When rcpt is an SRS0 address in a domain delivered here and an srs key
 * is set: its hash and age are checked, and rcpt/addr become the original
 * address, routed as mail from the server itself (ctx: the local enqueuer),
 * since only we could have made the address. Returns 1 when reversed, 0 when
 * rcpt is no SRS0 address of ours, -1 when it is one that does not check
 * (550 5.1.1 already sent).
 */
int	 smtp_srs_rcpt(struct smtp_session *, struct match_ctx *,
	    struct mailaddr *rcpt, char *addr, size_t addrlen);

#endif
