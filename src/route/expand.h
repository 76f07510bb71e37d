/* Recipient expansion: aliases(5), virtual tables, sub-addresses, loops, into deliveries. */
#ifndef TEGAMI_EXPAND_H
#define TEGAMI_EXPAND_H

struct conf;
struct action;
struct envelope;
struct mailaddr;
struct match_ctx;

#define EXPAND_DEPTH_MAX	16
#define EXPAND_FANOUT_MAX	1000

enum expand_status {
	EXPAND_OK,		/* deliveries appended to the envelope */
	EXPAND_TEMPFAIL,	/* 451 4.3.0: a table could not be read */
	EXPAND_PERMFAIL,	/* 550 5.1.1 unknown user, loop, error: entry ... */
};

struct expand_error {
	int		 code;		/* SMTP reply code to give */
	char		 enhanced[8];
	char		 text[256];
};

/*
 * Expands rcpt, which matched a rule leading to action, into one delivery
 * per final destination, appended to env (method, dest, action, account,
 * path filled in; rcpt set to the original address). Addresses produced by
 * expansion are routed again through the rules (ctx with rcpt_to changed),
 * so an alias to a remote address becomes a relay delivery. Loops (an
 * address met again on its own path) and depth over EXPAND_DEPTH_MAX are
 * refused. An error: entry gives its own code and text.
 */
enum expand_status expand_rcpt(const struct conf *, const struct match_ctx *,
	    const struct action *, const struct mailaddr *rcpt, struct envelope *env,
	    struct expand_error *err);

#endif
