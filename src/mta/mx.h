/* Where mail for a domain goes: MX records in RFC 5321 5.1 order, null MX, implicit MX, addresses. */
#ifndef TEGAMI_MX_H
#define TEGAMI_MX_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "mail/deliver.h"

#define MX_HOSTS_MAX	16	/* MX records used per domain */
#define MX_ADDRS_MAX	32	/* addresses tried per delivery attempt */

struct mx_host {
	char		 name[256];
	int		 pref;
};

/* One address to connect to, with the MX host it belongs to. */
struct mx_addr {
	char			 host[256];
	int			 pref;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 secure;	/* the A/AAAA answer was DNSSEC-validated */
};

/* ---- pure parts ---- */

/* Reads MX rdata (preference, exchange name). -1 when malformed. */
int	 mx_parse(const unsigned char *rdata, size_t len, struct mx_host *out);
/* RFC 7505: the domain publishes exactly one MX and its exchange is the root. */
int	 mx_is_null(const struct mx_host *, size_t n);
/*
 * Sorts by preference, lowest first, and shuffles hosts of equal preference
 * with rnd (which returns a random 32-bit number; tests pass a seeded one).
 */
void	 mx_order(struct mx_host *, size_t n, uint32_t (*rnd)(void *), void *rndarg);
/*
 * Acting as a backup MX (action option backup): keeps only the hosts more
 * preferred than the one named myname (case-insensitive). When myname is
 * not among them every host stays. Returns the new count.
 */
size_t	 mx_backup_cut(struct mx_host *, size_t n, const char *myname);

/* ---- resolution on the event loop ---- */

struct event_base;
struct mx_query;

void		 mx_init(struct event_base *);
/*
 * res OK: addrs[0..n) in the order to try them. TEMPFAIL and PERMFAIL come
 * with text, an SMTP-style reply ("550 5.1.2 ...") saying why.
 */
typedef void	(*mx_cb)(enum deliver_result res, const struct mx_addr *addrs,
		    size_t n, const char *text, void *arg);

/*
 * MX delivery to domain (backup_name non-NULL: act as backup MX below that
 * name), or, with host set, the smarthost host itself (an IP literal or a
 * name whose A/AAAA records are used) on port. cb is called once, from the
 * event loop, unless the query is cancelled.
 */
struct mx_query	*mx_resolve(const char *domain, const char *host, int port,
		    const char *backup_name, mx_cb, void *arg);
void		 mx_cancel(struct mx_query *);

#endif
