/* Abuse guards of a session: the connection rate and early talkers (deadlines: limits.c). */
#ifndef TEGAMI_SMTP_GUARD_H
#define TEGAMI_SMTP_GUARD_H

struct smtp_session;

/*
 * At the start of a session: smtp limit max-connection-rate. Returns -1
 * when the address went over its rate: 421 was said and the session is
 * closing.
 */
int	 smtp_guard_start(struct smtp_session *);
/*
 * Before the banner: 1 when the client spoke first (RFC 5321 3.1 wants it
 * to wait; spam engines pipeline blindly). 554 was said; the caller closes.
 */
int	 smtp_guard_early_talker(struct smtp_session *);
#endif
