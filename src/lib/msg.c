/* Table of allowed senders and receivers for each message type. */
#include <stddef.h>

#include "lib/log.h"
#include "lib/msg.h"

#define P(x)	PROC_BIT(PROC_ ## x)

static const struct {
	const char	*name;
	unsigned	 from;		/* PROC_BIT set */
	unsigned	 to;
} msg_table[MSG_TYPE_MAX] = {
	[MSG_QUEUE_CREATE] =		{ "QUEUE_CREATE", P(SMTP), P(QUEUE) },
	[MSG_QUEUE_CREATED] =		{ "QUEUE_CREATED", P(QUEUE), P(SMTP) },
	[MSG_QUEUE_COMMIT] =		{ "QUEUE_COMMIT", P(SMTP), P(QUEUE) },
	[MSG_QUEUE_COMMITTED] =		{ "QUEUE_COMMITTED", P(QUEUE), P(SMTP) },
	[MSG_QUEUE_FAILED] =		{ "QUEUE_FAILED", P(QUEUE), P(SMTP) },
	[MSG_QUEUE_ABORT] =		{ "QUEUE_ABORT", P(SMTP), P(QUEUE) },
	[MSG_SMTP_LOCAL_SESSION] =	{ "SMTP_LOCAL_SESSION", P(QUEUE), P(SMTP) },
	[MSG_LINK] =			{ "LINK", P(PARENT), PROC_CHILDREN },
	[MSG_CONF] =			{ "CONF", P(PARENT), PROC_CHILDREN },
	[MSG_CONF_APPLIED] =		{ "CONF_APPLIED", PROC_CHILDREN, P(PARENT) },
	[MSG_MDA_SPAWN] =		{ "MDA_SPAWN", P(QUEUE), P(PARENT) },
	[MSG_MDA_READY] =		{ "MDA_READY", P(PARENT), P(QUEUE) },
	[MSG_MDA_UNAVAILABLE] =		{ "MDA_UNAVAILABLE", P(PARENT), P(QUEUE) },
	[MSG_RELOAD] =			{ "RELOAD", P(QUEUE), P(PARENT) },
	[MSG_RELOAD_RESULT] =		{ "RELOAD_RESULT", P(PARENT), P(QUEUE) },
	[MSG_MDA_DELIVER] =		{ "MDA_DELIVER", P(QUEUE), P(MDA) },
	[MSG_MDA_RESULT] =		{ "MDA_RESULT", P(MDA), P(QUEUE) },
	[MSG_MTA_DELIVER] =		{ "MTA_DELIVER", P(QUEUE), P(MTA) },
	[MSG_MTA_RESULT] =		{ "MTA_RESULT", P(MTA), P(QUEUE) },
	[MSG_AUTH_CHECK] =		{ "AUTH_CHECK", PROC_AUTH_CLIENTS, P(AUTH) },
	[MSG_AUTH_RESULT] =		{ "AUTH_RESULT", P(AUTH), PROC_AUTH_CLIENTS },
	[MSG_AUTH_REHASH] =		{ "AUTH_REHASH", P(AUTH), P(PARENT) },
	[MSG_MAILBOX_SPAWN] =		{ "MAILBOX_SPAWN", P(LOGIN), P(PARENT) },
	[MSG_MAILBOX_READY] =		{ "MAILBOX_READY", P(PARENT), P(LOGIN) },
	[MSG_MAILBOX_UNAVAILABLE] =	{ "MAILBOX_UNAVAILABLE", P(PARENT), P(LOGIN) },
	[MSG_MAILBOX_SESSION] =		{ "MAILBOX_SESSION", P(LOGIN), P(MAILBOX) },
	[MSG_SIGNER_SIGN] =		{ "SIGNER_SIGN", P(SMTP), P(SIGNER) },
	[MSG_SIGNER_RESULT] =		{ "SIGNER_RESULT", P(SIGNER), P(SMTP) },
};

const char *
msg_name(uint32_t type)
{
	if (type == 0 || type >= MSG_TYPE_MAX || msg_table[type].name == NULL)
		return "unknown";
	return msg_table[type].name;
}

void
msg_check(uint32_t type, enum proc_id from, enum proc_id to)
{
	if (type == 0 || type >= MSG_TYPE_MAX || msg_table[type].name == NULL)
		fatalx("message type %u unknown", type);
	if (!(msg_table[type].from & PROC_BIT(from)) ||
	    !(msg_table[type].to & PROC_BIT(to)))
		fatalx("message %s not allowed from process %d to %d",
		    msg_table[type].name, from, to);
}
