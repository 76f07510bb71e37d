/* Table of allowed senders and receivers for each message type. */
#include <stddef.h>

#include "lib/log.h"
#include "lib/msg.h"

static const struct {
	const char	*name;
	enum proc_id	 from;
	enum proc_id	 to;
} msg_table[MSG_TYPE_MAX] = {
	[MSG_QUEUE_CREATE] =		{ "QUEUE_CREATE", PROC_SMTP, PROC_QUEUE },
	[MSG_QUEUE_CREATED] =		{ "QUEUE_CREATED", PROC_QUEUE, PROC_SMTP },
	[MSG_QUEUE_COMMIT] =		{ "QUEUE_COMMIT", PROC_SMTP, PROC_QUEUE },
	[MSG_QUEUE_COMMITTED] =		{ "QUEUE_COMMITTED", PROC_QUEUE, PROC_SMTP },
	[MSG_QUEUE_FAILED] =		{ "QUEUE_FAILED", PROC_QUEUE, PROC_SMTP },
	[MSG_QUEUE_ABORT] =		{ "QUEUE_ABORT", PROC_SMTP, PROC_QUEUE },
	[MSG_SMTP_LOCAL_SESSION] =	{ "SMTP_LOCAL_SESSION", PROC_QUEUE, PROC_SMTP },
	[MSG_SMTP_DRAIN] =		{ "SMTP_DRAIN", PROC_PARENT, PROC_SMTP },
	[MSG_MDA_SPAWN] =		{ "MDA_SPAWN", PROC_QUEUE, PROC_PARENT },
	[MSG_MDA_READY] =		{ "MDA_READY", PROC_PARENT, PROC_QUEUE },
	[MSG_MDA_UNAVAILABLE] =		{ "MDA_UNAVAILABLE", PROC_PARENT, PROC_QUEUE },
	[MSG_QUEUE_NEW_SMTP] =		{ "QUEUE_NEW_SMTP", PROC_PARENT, PROC_QUEUE },
	[MSG_RELOAD] =			{ "RELOAD", PROC_QUEUE, PROC_PARENT },
	[MSG_RELOAD_RESULT] =		{ "RELOAD_RESULT", PROC_PARENT, PROC_QUEUE },
	[MSG_MDA_DELIVER] =		{ "MDA_DELIVER", PROC_QUEUE, PROC_MDA },
	[MSG_MDA_RESULT] =		{ "MDA_RESULT", PROC_MDA, PROC_QUEUE },
	[MSG_MTA_READY] =		{ "MTA_READY", PROC_PARENT, PROC_QUEUE },
	[MSG_MTA_DELIVER] =		{ "MTA_DELIVER", PROC_QUEUE, PROC_MTA },
	[MSG_MTA_RESULT] =		{ "MTA_RESULT", PROC_MTA, PROC_QUEUE },
	[MSG_AUTH_CHECK] =		{ "AUTH_CHECK", PROC_SMTP, PROC_AUTH },
	[MSG_AUTH_RESULT] =		{ "AUTH_RESULT", PROC_AUTH, PROC_SMTP },
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
	if (msg_table[type].from != from || msg_table[type].to != to)
		fatalx("message %s not allowed from process %d to %d",
		    msg_table[type].name, from, to);
}
