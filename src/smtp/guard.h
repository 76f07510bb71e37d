/* Abuse guards of a session: the connection rate, early talkers, command and session deadlines. */
#ifndef TEGAMI_SMTP_GUARD_H
#define TEGAMI_SMTP_GUARD_H

struct smtp_session;

/*
 * At the start of a session: smtp limit max-connection-rate, and the
 * session deadline. Returns -1 when the address went over its rate: 421
 * was said and the session is closing.
 */
int	 smtp_guard_start(struct smtp_session *);
/*
 * Before the banner: 1 when the client spoke first (RFC 5321 3.1 wants it
 * to wait; spam engines pipeline blindly). 554 was said; the caller closes.
 */
int	 smtp_guard_early_talker(struct smtp_session *);
/*
 * The session waits for a command line: its deadline starts (smtp
 * timeout command), so a client sending a byte now and then cannot keep
 * the session forever. Once a line is complete the deadline is lifted
 * until the next wait.
 */
void	 smtp_guard_command_wait(struct smtp_session *);
void	 smtp_guard_command_read(struct smtp_session *);

#endif
