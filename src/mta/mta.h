/* The relay process: SMTP/LMTP client to MX hosts and smarthosts, run as the daemon's account. */
#ifndef TEGAMI_MTA_H
#define TEGAMI_MTA_H

struct conf;

/* Loads what needs the parent's privileges (CA files); call before dropping them. */
struct bundle;
void		 mta_preload(struct conf *, const struct bundle *);
/*
 * Serves relay requests from the queue (whose channel the parent sends,
 * MSG_LINK) ; never returns.
 */
_Noreturn void	 mta_main(struct conf *, int parent_fd);

#endif
