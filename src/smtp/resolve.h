/* Recipient routing for the queue's own messages (bounces): rules and expansion as the local enqueuer. */
#ifndef TEGAMI_SMTP_RESOLVE_H
#define TEGAMI_SMTP_RESOLVE_H

struct ipc;
struct ipc_msg;
struct smtp_server;

/* Answers one MSG_SMTP_RESOLVE from the queue with MSG_SMTP_RESOLVED. */
void	 smtp_resolve(struct smtp_server *, struct ipc *queue, struct ipc_msg *);

#endif
