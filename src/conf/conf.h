/* The parsed configuration: tegami.conf in smtpd.conf(5) grammar plus tegami's additions. */
#ifndef TEGAMI_CONF_H
#define TEGAMI_CONF_H

#include <sys/socket.h>
#include <stddef.h>
#include <time.h>

#include "conf/table.h"

struct buf;

/* ---- pki, ca ---- */
struct pki {
	char		*name;		/* host name or "*" */
	char		*cert;		/* file path */
	char		*key;
	char		*dhe;		/* none, legacy, auto */
	const char	*conf_file;
	int		 conf_line;
};

struct ca {
	char		*name;
	char		*cert;
	const char	*conf_file;
	int		 conf_line;
};

/* ---- listen on ---- */
enum listen_proto { PROTO_SMTP, PROTO_IMAP, PROTO_POP3 };

#define LF_TLS			0x0001	/* STARTTLS offered */
#define LF_TLS_REQUIRE		0x0002
#define LF_TLS_VERIFY		0x0004	/* tls-require verify */
#define LF_IMPLICIT_TLS		0x0008	/* smtps, imaps, pop3s */
#define LF_AUTH			0x0010
#define LF_AUTH_OPTIONAL	0x0020
#define LF_MASK_SRC		0x0040
#define LF_RECEIVED_AUTH	0x0080
#define LF_NO_DSN		0x0100
#define LF_PROXY_V2		0x0200
#define LF_MASQUERADE		0x0400	/* senders <t> masquerade */
#define LF_SOCKET		0x0800	/* listen on socket */

struct listener {
	enum listen_proto proto;
	int		 flags;
	char		*on;		/* as written: address, interface, group, name, "any" */
	int		 family;	/* AF_UNSPEC, AF_INET (inet4), AF_INET6 (inet6) */
	int		 port;		/* resolved default: 25/465/143/993/110/995 */
	char		*pki;		/* pki name; for TLS the implied one if not given */
	char		*ca;
	struct table	*auth;		/* credentials table; NULL with LF_AUTH = system users */
	struct table	*senders;
	struct table	*hostnames;
	char		*hostname;	/* banner name, or NULL for the server's */
	char		*tag;
	char		*filter;	/* filter or chain name, or NULL */
	char		*maildir;	/* imap/pop3: maildir "FORMAT", else the first maildir action's */
	const char	*conf_file;
	int		 conf_line;
};

/* ---- action ---- */
enum action_method {
	ACTION_MAILDIR, ACTION_MBOX, ACTION_MDA, ACTION_LMTP, ACTION_RELAY,
	ACTION_EXPAND_ONLY, ACTION_FORWARD_ONLY,
};

enum relay_proto {
	RELAY_SMTP,		/* smtp:// opportunistic STARTTLS (default) */
	RELAY_SMTP_TLS,		/* smtp+tls:// mandatory STARTTLS */
	RELAY_SMTP_NOTLS,	/* smtp+notls:// */
	RELAY_SMTPS,		/* smtps:// implicit TLS, port 465 */
	RELAY_LMTP,		/* lmtp:// */
};

struct relay_host {
	enum relay_proto proto;
	char		*label;		/* credentials label, or NULL */
	char		*host;
	int		 port;
};

struct action {
	char		*name;
	enum action_method method;
	/* local delivery */
	char		*path;		/* maildir pathname format, or NULL (~/Maildir) */
	int		 junk;
	char		*command;	/* mda command; lmtp destination */
	int		 lmtp_rcpt_to;
	struct table	*alias;
	struct table	*virtual;
	struct table	*userbase;
	char		*user;
	char		*wrapper;
	time_t		 ttl;		/* 0: queue ttl */
	/* maildir: quota SIZE (bytes, 0 none) for Maildirs without their own limit */
	unsigned long long quota;
	int		 over_quota_defer;	/* over-quota defer: 452 4.2.2, else 552 5.2.2 */
	/* relay */
	struct relay_host *host;	/* host URL, or NULL for MX */
	int		 backup;
	char		*backup_mx;
	char		*helo;
	struct table	*helo_src;
	struct table	*relay_domain;	/* domain <table> */
	char		*pki;
	char		*ca;
	int		 tls;		/* tls option given */
	int		 tls_noverify;
	struct table	*relay_auth;
	char		*mail_from;
	char		*src;		/* src address, or */
	struct table	*src_table;	/* src <table> */
	int		 srs;
	const char	*conf_file;
	int		 conf_line;
};

/* ---- match ---- */
enum cond_type {
	COND_FROM_ANY, COND_FROM_AUTH, COND_FROM_LOCAL, COND_FROM_MAIL_FROM,
	COND_FROM_RDNS, COND_FROM_SOCKET, COND_FROM_SRC,
	COND_FOR_ANY, COND_FOR_LOCAL, COND_FOR_DOMAIN, COND_FOR_RCPT_TO,
	COND_AUTH, COND_HELO, COND_MAIL_FROM, COND_RCPT_TO, COND_TAG, COND_TLS,
};

struct cond {
	enum cond_type	 type;
	int		 negate;
	int		 regex;
	char		*value;		/* string argument, or NULL */
	struct table	*table;		/* <table> argument, or NULL */
};

struct match {
	struct cond	*conds;
	size_t		 nconds;
	struct action	*action;	/* NULL when reject */
	char		*action_name;
	int		 reject;
	const char	*conf_file;
	int		 conf_line;
};

/* ---- filter ---- */
enum filter_kind {
	FILTER_BUILTIN,		/* phase P match CONDS DECISION */
	FILTER_CHAIN,		/* chain { a, b } */
	FILTER_PROC,		/* proc NAME */
	FILTER_PROC_EXEC,	/* proc-exec "command" [user U] [group G] */
	FILTER_DKIM_SIGN,	/* dkim-sign domain D|<t> selector S key "F" [selector S key "F"] ... */
	FILTER_MAIL_AUTH,	/* check mail-auth [enforce] */
	FILTER_RBL,		/* rbl phase P match dnsbl "zone" DECISION */
};

enum filter_phase {
	PHASE_CONNECT, PHASE_HELO, PHASE_EHLO, PHASE_MAIL_FROM, PHASE_RCPT_TO,
	PHASE_DATA, PHASE_COMMIT,
};

enum filter_cond_type {
	FCOND_FCRDNS, FCOND_RDNS, FCOND_SRC, FCOND_HELO, FCOND_AUTH,
	FCOND_MAIL_FROM, FCOND_RCPT_TO,
	FCOND_DNSBL,		/* dnsbl "zone[=codes]" | <zones>: the client address listed */
	FCOND_RHSBL,		/* rhsbl [sender|client|helo] "zone" | <zones> */
	FCOND_HELO_VALID,	/* helo-valid: a domain or an address literal */
	FCOND_HELO_FQDN,	/* helo-fqdn: a fully qualified domain or an address literal */
	FCOND_HELO_SELF,	/* helo-self: our name or address, from a remote client */
};

/* Whose domain an rhsbl condition looks up. */
enum rhsbl_target { RHSBL_SENDER, RHSBL_CLIENT, RHSBL_HELO };

struct filter_cond {
	enum filter_cond_type type;
	int		 negate;
	int		 regex;
	struct table	*table;		/* or NULL */
	char		*value;		/* dnsbl/rhsbl zone given as a string */
	enum rhsbl_target target;	/* rhsbl */
};

enum filter_decision {
	DECISION_BYPASS, DECISION_DISCONNECT, DECISION_JUNK, DECISION_REJECT,
	DECISION_REWRITE,
};

struct filter {
	char		*name;
	enum filter_kind kind;
	enum filter_phase phase;
	struct filter_cond *conds;
	size_t		 nconds;
	enum filter_decision decision;
	char		*message;	/* disconnect/reject message, rewrite value */
	char		**chain;	/* FILTER_CHAIN member names */
	size_t		 nchain;
	char		*command;	/* proc / proc-exec */
	char		*user, *group;
	/* dkim-sign: domain "D" or <table>, one or two selectors and keys */
	char		*domain;
	struct table	*domains;
	char		*selector, *key;
	char		*selector2, *key2;	/* a second key (Ed25519 beside RSA), or NULL */
	int		 dkim_hcanon, dkim_bcanon;	/* 0 simple, 1 relaxed (default) */
	int		 subdomains;	/* subdomains of the domains signed with d= the domain */
	/*
	 * The algorithms of key and key2 (enum dkim_alg; 0 unknown), known
	 * without the keys: the parent notes them in the bundle, so that the
	 * smtp process can write a= without ever holding a key.
	 */
	int		 dkim_alg, dkim_alg2;
	int		 enforce;	/* mail-auth */
	const char	*conf_file;
	int		 conf_line;
};

struct resolver {
	char		*addr;
	int		 port;
};

struct mda_wrapper {
	char		*name;
	char		*command;
};

struct conf {
	_Atomic int	 refs;		/* conf_ref(); conf_free() drops one */
	char		*file;		/* top-level config path */
	char		*hostname;	/* hostname "..." or /etc/mailname or gethostname */
	char		*spool;		/* default /var/spool/tegami */
	char		*socket;	/* default /run/tegami.sock */
	char		*user;		/* default _tegami */
	struct resolver	*resolvers;
	size_t		 nresolvers;
	char		*admd;

	size_t		 max_message_size;	/* default 35M */
	unsigned	 max_rcpt;		/* default 1000 */
	unsigned	 max_mails;		/* default 100 */
	unsigned	 max_sessions;		/* 0 (default): from the descriptor limit */
	unsigned	 max_sessions_per_addr;	/* default 50; 0: none */
	/* smtp limit max-connection-rate N/DELAY: per client address; 0: none */
	unsigned	 conn_rate_max;
	time_t		 conn_rate_window;
	/* smtp timeout command|data|session|dnsbl DELAY; 0: the built-in default */
	time_t		 smtp_timeout_command;	/* a command line, from its first wait: 5m */
	time_t		 smtp_timeout_data;	/* a message body, before its rate allowance: 10m */
	time_t		 smtp_timeout_session;	/* a whole session: 1h */
	time_t		 dnsbl_timeout;		/* the DNS list lookups of a phase: 5s */
	char		 sub_addr_delim;	/* default '+' */
	char		*smtp_ciphers;		/* default "HIGH:!aNULL:!MD5" */
	/* smtp auth-throttle FAILS [within DELAY] [ban DELAY]; smtp auth-cost N */
	unsigned	 auth_throttle_fails;	/* default 10: then refused */
	time_t		 auth_throttle_within;	/* default 10m */
	time_t		 auth_ban;		/* default 15m */
	int		 auth_cost;		/* bcrypt cost of new hashes, default 10 */
	time_t		 queue_ttl;		/* default 4d */
	time_t		 backoff_min;		/* queue backoff: default 1m */
	time_t		 backoff_max;		/* default 1h */
	int		 queue_compression;
	char		*queue_encryption;
	time_t		 bounce_warn[4];	/* default { 4h } */
	size_t		 nbounce_warn;
	unsigned	 mta_max_deferred;	/* default 100 */
	char		*srs_key, *srs_key_backup;
	time_t		 srs_ttl;		/* default 4d */

	struct table	**tables;	size_t ntables;
	struct pki	**pkis;		size_t npkis;
	struct ca	**cas;		size_t ncas;
	struct listener	**listeners;	size_t nlisteners;
	struct action	**actions;	size_t nactions;
	struct match	**matches;	size_t nmatches;
	struct filter	**filters;	size_t nfilters;
	struct mda_wrapper **wrappers;	size_t nwrappers;
	char		**procs;	size_t nprocs;	/* "name command" */
	char		**files;	size_t nfiles;	/* every file read; conf_file points here */
	struct table	**anon_tables;	size_t nanon_tables;	/* { a, b } and string arguments */
};

/*
 * Parses path (and its includes) and loads every file table. Returns the
 * configuration, or NULL with every error appended to errors as lines
 * "FILE:LINE: message\n". Warnings (valid but doubtful) go to warnings,
 * which may be NULL.
 */
struct conf	*conf_load(const char *path, struct buf *errors, struct buf *warnings);
/*
 * The same, recording every file read (the configuration, its includes,
 * file tables, then the certificates, keys and CA files it names, and the
 * server name found) into out, for running processes to reload from.
 */
struct bundle;
struct conf	*conf_load_recorded(const char *path, struct bundle *out,
		    struct buf *errors, struct buf *warnings);
/*
 * A configuration rebuilt from a bundle, reading nothing from the disk:
 * what a running process does on reload. path names the top file in it.
 */
struct conf	*conf_load_bundle(const char *path, const struct bundle *,
		    struct buf *errors, struct buf *warnings);
/*
 * Adds the pki certificates and keys, the ca files and the dkim-sign keys
 * (each checked to be a key that can sign) of c to out; FILE:LINE errors.
 */
int		 conf_bundle_pems(const struct conf *, struct bundle *, struct buf *errors);
/*
 * The dkim-sign part of it (src/conf/conf_dkim.c): each key, and a
 * "meta:dkim-alg:PATH" note of its algorithm that every process may read.
 */
int		 conf_bundle_dkim_keys(const struct conf *, struct bundle *, struct buf *errors);
/* Sets the dkim-sign filters' dkim_alg and dkim_alg2 from those notes. */
void		 conf_dkim_algs(struct conf *, const struct bundle *);
/*
 * The same for a configuration held in memory (fuzzing, tests): include is
 * refused and file tables are declared but not read, so nothing touches the
 * filesystem. name stands for the file in messages.
 */
struct conf	*conf_load_buffer(const char *name, const char *data, size_t len,
		    struct buf *errors, struct buf *warnings);
/*
 * A configuration is never changed once loaded: a reload makes a new one.
 * Whoever keeps using one across the event loop (a session, a job on a
 * worker thread) holds a reference; conf_free() drops one and frees the
 * configuration with the last.
 */
struct conf	*conf_ref(struct conf *);
void		 conf_free(struct conf *);

/*
 * The addresses a listener binds, resolved now (not at parse time): "any" is
 * 0.0.0.0 and ::, "localhost" the loopback addresses, an IP literal itself,
 * an interface name all its addresses (getifaddrs), else a host name
 * (getaddrinfo); the family and port of the listener applied. *out is
 * malloc'ed. -1 with errstr (static storage) when nothing matches.
 */
struct sockaddr_storage;
int		 conf_listener_addrs(const struct listener *, struct sockaddr_storage **out,
		    size_t *n, const char **errstr);
/* The proc command of a "proc NAME CMD" directive, or NULL. */
const char	*conf_proc(const struct conf *, const char *name);

/*
 * Wipes (explicit_bzero) and frees the values of the credentials tables:
 * listeners' auth <table> and relay actions' auth <table>. Called right
 * after fork in every process but the parent and auth (src/conf/secrets.c).
 */
void		 conf_drop_secrets(struct conf *);

/*
 * Reloads every file table in place; a table that fails keeps its old
 * content. -1 with errstr "PATH:LINE: ..." (the last failure) on error.
 */
int		 conf_reload_tables(struct conf *, const char **errstr);

struct table	*conf_table(const struct conf *, const char *name);
struct action	*conf_action(const struct conf *, const char *name);
struct pki	*conf_pki(const struct conf *, const char *name);
struct filter	*conf_filter(const struct conf *, const char *name);

/*
 * dkim-sign (src/conf/conf_dkim.c). Whether filter f signs mail whose From
 * domain is domain: one of its domains, or with subdomains a name below
 * one; the signing domain (d=, lowercased) goes to d. 1 or 0.
 */
int		 conf_dkim_signs(const struct filter *f, const char *domain, char *d,
		    size_t dlen);
/* 1 when path is the key of a dkim-sign filter: only the signer process may hold it. */
int		 conf_dkim_is_key(const struct conf *, const char *path);
/* 1 when some filter of the configuration is mail-auth (our Authentication-Results exist). */
int		 conf_has_mail_auth(const struct conf *);
/* The authserv-id of our Authentication-Results: admd, else the server's name. */
const char	*conf_authserv_id(const struct conf *);

/*
 * A relay URL, [proto://[label@]]host[:port] (smtpd.conf(5)), into rh
 * (its strings malloc'ed): 0, or -1 with a message in err. use_services
 * lets a port be a service name.
 */
int		 conf_parse_relay_url(const char *url, struct relay_host *rh,
		    char *err, size_t errlen, int use_services);

/* Parses "35M", "1024", "10k": bytes, or -1. */
long long	 conf_parse_size(const char *);
/* Parses "4d", "30m", "10s", "2h": seconds, or -1. */
long long	 conf_parse_delay(const char *);

#endif
