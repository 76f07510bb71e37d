/* SPF internals shared by spf.c, spf_record.c, spf_macro.c, their tests and fuzz targets. */
#ifndef TEGAMI_SPF_PRIV_H
#define TEGAMI_SPF_PRIV_H

#include <stddef.h>

#include "lib/buf.h"
#include "mail/spf.h"

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

struct spf_term {
	enum spf_mech	 mech;
	char		 qual;		/* '+', '-', '~' or '?' */
	const char	*text;		/* the term as written, NUL-terminated */
	const char	*spec;		/* domain-spec, not NUL-terminated; NULL: none */
	size_t		 speclen;
	int		 cidr4;		/* 0..32, 32 when not given */
	int		 cidr6;		/* 0..128, 128 when not given */
	unsigned char	 net[16];	/* ip4 (first 4 octets) or ip6 network */
	int		 uses_p;	/* spec holds a %{p} */
};

/* A modifier's domain-spec. */
struct spf_spec {
	const char	*spec;		/* NUL-terminated; NULL: no such modifier */
	size_t		 len;
	int		 uses_p;
};

struct spf_record {
	char		*text;		/* copy of the record, terms NUL-separated */
	struct spf_term	*terms;		/* mechanisms in order */
	size_t		 nterms;
	struct spf_spec	 redirect;
	struct spf_spec	 exp;
};

/*
 * Parses an SPF record (RFC 7208 4.5, 4.6, 5, 6, 7.1) of len octets
 * starting "v=spf1" (either case). Every term is checked, wherever it is
 * (4.6: syntax errors anywhere are a permerror). -1 with errstr (static)
 * and *erroff, *errlen set to the offending term in text.
 */
int	 spf_record_parse(const char *text, size_t len, struct spf_record **,
	    const char **errstr, size_t *erroff, size_t *errlen);
void	 spf_record_free(struct spf_record **);
/* 1 when the text of a TXT record selects it as SPF: "v=spf1" then SP or its end. */
int	 spf_record_is_spf(const char *text, size_t len);

/* What a macro-string may hold (RFC 7208 7.1, 7.2). */
enum spf_macro_kind {
	SPF_MACRO_DOMAIN,	/* domain-spec: no c, r, t; ends in a toplabel or a macro */
	SPF_MACRO_EXPLAIN,	/* explain-string: SP allowed, every letter */
	SPF_MACRO_ANY,		/* an unknown modifier's macro-string */
};

/* The values macros expand to (RFC 7208 7.3); p may be NULL when not used. */
struct spf_macro_env {
	const char	*s, *l, *o, *d, *i, *p, *v, *h, *c, *r, *t;
};

/*
 * Checks s[0..len) as a macro-string of the kind; *uses_p (may be NULL)
 * says whether it holds %{p}. 0, or -1 with errstr (static).
 */
int	 spf_macro_check(const char *s, size_t len, enum spf_macro_kind,
	    int *uses_p, const char **errstr);
/*
 * Appends the expansion of s[0..len), which spf_macro_check accepted as
 * kind, to out. -1 with errstr on a syntax error or when out is full.
 */
int	 spf_macro_expand(struct buf *out, const char *s, size_t len,
	    enum spf_macro_kind, const struct spf_macro_env *, const char **errstr);
/*
 * Turns an expanded domain-spec in b into a name to query (RFC 7208 7.3):
 * drops one trailing dot, removes labels from the left until at most 253
 * octets remain, then refuses empty names, empty labels and labels over
 * 63 octets (a name no DNS query can carry). 0, or -1 when malformed.
 */
int	 spf_name_finish(struct buf *b);
/*
 * Writes name in DNS presentation form ("\\" for a backslash, "\DDD" for
 * octets outside 0x21..0x7e) for a resolver that reads text names.
 */
int	 spf_name_escape(struct buf *out, const char *name);

/* The check's state (spf.c); what spf_header.c reads too. */

#define SPF_DEPTH_MAX	(SPF_LOOKUP_MAX + 1)	/* every include counts a lookup */

enum spf_phase {
	PH_FETCH,		/* ask for the frame's TXT records */
	PH_FETCH_ANS,
	PH_TERM,		/* evaluate the frame's current term */
	PH_A_ANS,
	PH_EXISTS_ANS,
	PH_MX_ANS,
	PH_MX_ADDR,		/* ask for the next exchange's addresses */
	PH_MX_ADDR_ANS,
	PH_PTR_ANS,		/* the client's PTR names, for ptr and %{p} */
	PH_VALID_ANS,		/* one PTR name's addresses */
	PH_REDIRECT,		/* no mechanism matched */
	PH_EXP,			/* a fail: ask for the exp= text */
	PH_EXP_ANS,
	PH_EXP_TEXT,		/* expand the explanation */
	PH_DONE,
};

enum spf_valid {
	VALID_UNKNOWN,
	VALID_YES,
	VALID_NO,
};

/* One check_host() in progress: the top one, or an include's. */
struct spf_frame {
	char			*domain;	/* <domain> */
	struct spf_record	*rec;		/* NULL until fetched */
	size_t			 term;		/* the term being evaluated */
	int			 counted;	/* its lookup is counted already */
	int			 include;
	int			 redirected;	/* reached by redirect=: none is a permerror */
};

struct spf {
	enum spf_identity identity;
	int		 af;		/* AF_INET also for v4-mapped IPv6 (RFC 7208 5) */
	unsigned char	 ip[16];
	char		*sender;	/* <sender>, "postmaster" filled in */
	char		*local;		/* %{l} */
	char		*odomain;	/* %{o} */
	char		*helo;		/* %{h} */
	char		*receiver;	/* %{r} */
	char		*default_exp;
	char		*domain0;	/* the first <domain> */
	char		 ip_i[72];	/* %{i} */
	char		 ip_c[64];	/* %{c} */
	char		 ip_rev[80];	/* the PTR name */
	char		 tstr[24];	/* %{t} */

	struct spf_frame fr[SPF_DEPTH_MAX];
	size_t		 depth;
	int		 lookups;
	int		 voids;
	enum spf_phase	 ph;
	enum spf_phase	 ret;		/* where PTR work resumes */

	struct buf	 qname;		/* the open question */
	int		 qtype;
	int		 open;

	char		*target;	/* the current term's expanded name */
	char		*mx[SPF_MX_MAX];
	size_t		 nmx, imx;

	int		 ptr_known;
	int		 ptr_err;
	char		*ptr[SPF_PTR_MAX];
	enum spf_valid	 valid[SPF_PTR_MAX];
	size_t		 nptr, ivalid;
	const char	*pval;		/* %{p} */

	char		*exp_text;	/* the exp= record's text */
	int		 exp_uses_p;
	int		 exp_default;	/* use default_exp */

	enum spf_result	 result;
	char		*explanation;
	char		*mechanism;
	char		*problem;
};

#endif
