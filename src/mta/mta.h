/* The relay process: SMTP/LMTP client to MX hosts and smarthosts, run as the daemon's account. */
#ifndef TEGAMI_MTA_H
#define TEGAMI_MTA_H

struct conf;

/* Flags of an MSG_MTA_DELIVER request (see lib/msg.h). */
#define MTA_F_RET_FULL	0x01	/* DSN RET=FULL */
#define MTA_F_8BIT	0x02	/* the body is 8-bit: needs 8BITMIME */
#define MTA_F_SMTPUTF8	0x04	/* needs SMTPUTF8 */

/* Loads what needs the parent's privileges (CA files); call before dropping them. */
struct bundle;
void		 mta_preload(struct conf *, const struct bundle *);
/* Serves relay requests from the queue on queue_fd; never returns. */
_Noreturn void	 mta_main(struct conf *, int parent_fd);

#endif
