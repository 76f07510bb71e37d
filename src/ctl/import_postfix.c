/* tegamictl import postfix /etc/postfix: main.cf and master.cf into a new tegami.conf and its tables, with a report of what has no equivalent. */
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl/import.h"
#include "ctl/postconf.h"
#include "lib/xalloc.h"

/* What Postfix assumes when main.cf says nothing (postconf -d), for the parameters read here. */
static const char defaults_text[] =
    "mydestination = $myhostname, localhost.$mydomain, localhost\n"
    "myorigin = $myhostname\n"
    "inet_interfaces = all\n"
    "mynetworks = 127.0.0.0/8 [::1]/128\n"
    "alias_maps = hash:/etc/aliases\n"
    "message_size_limit = 10240000\n"
    "virtual_mailbox_domains = $virtual_mailbox_maps\n"
    "virtual_alias_maps = $virtual_maps\n"
    "relay_domains = \n"
    "home_mailbox = \n";

/* Parameters that change nothing tegami does, or that are read below. */
static const char *const quiet_keys[] = {
	"alias_database", "biff", "command_directory", "compatibility_level",
	"config_directory", "daemon_directory", "data_directory", "debug_peer_level",
	"debugger_command", "html_directory", "inet_protocols", "mail_owner",
	"mailq_path", "manpage_directory", "newaliases_path", "queue_directory",
	"readme_directory", "sample_directory", "sendmail_path", "setgid_group",
	"shlib_directory", "meta_directory", "smtpd_banner", "syslog_facility",
	"syslog_name", "maillog_file", "append_dot_mydomain", "readme_directory",
	"disable_vrfy_command", "smtpd_helo_required", "recipient_delimiter",
	"myorigin", "mydomain", "unknown_local_recipient_reject_code",
	"local_recipient_maps", "address_verify_map", "smtpd_tls_session_cache_database",
	"smtp_tls_session_cache_database", "smtpd_use_tls", "smtpd_tls_security_level",
	"smtp_tls_CApath", "smtp_tls_CAfile", "smtpd_tls_CApath",
	"smtpd_sasl_type", "smtpd_sasl_path", "smtpd_sasl_auth_enable",
	"smtpd_sasl_security_options", "smtpd_sasl_local_domain",
	"broken_sasl_auth_clients", "milter_default_action", "mailbox_size_limit",
	"smtpd_tls_auth_only", "smtpd_tls_loglevel", "smtp_tls_loglevel",
	"smtpd_tls_received_header", "tls_random_source", "mydestination",
	"myhostname", "inet_interfaces", "mynetworks", "mynetworks_style",
	"alias_maps", "message_size_limit", "home_mailbox", "relayhost",
	"smtp_sasl_auth_enable", "smtp_sasl_password_maps",
	"smtp_sasl_security_options", "smtp_sasl_tls_security_options",
	"smtp_tls_security_level", "smtp_use_tls", "smtpd_tls_cert_file",
	"smtpd_tls_key_file", "smtpd_milters", "non_smtpd_milters",
	"virtual_mailbox_domains", "virtual_mailbox_maps", "virtual_mailbox_base",
	"virtual_alias_maps", "virtual_alias_domains", "virtual_uid_maps",
	"virtual_gid_maps", "virtual_minimum_uid", "virtual_transport",
	"transport_maps", "smtpd_client_restrictions", "smtpd_helo_restrictions",
	"smtpd_sender_restrictions", "smtpd_recipient_restrictions",
	"smtpd_relay_restrictions", "smtpd_data_restrictions",
	"unverified_recipient_reject_code", "unverified_recipient_reject_reason",
	"relay_domains", "mailbox_command", "mailbox_transport",
	NULL,
};

struct pfx {
	struct import	*im;
	const char	*dir;		/* the Postfix configuration directory */
	struct postconf	 main, def;
	struct gen	 g;
	int		 nrelay;
};

static int
in_quiet(const char *k)
{
	size_t	 i;

	for (i = 0; quiet_keys[i]; i++)
		if (strcmp(quiet_keys[i], k) == 0)
			return 1;
	return 0;
}

static char *
param(struct pfx *x, const char *name)
{
	return postconf_expand(&x->main, &x->def, name);
}

/* The source of a lookup table ("hash:/etc/postfix/transport" -> the text file postmap read). */
static int
read_map(struct pfx *x, const char *ref, struct postconf *out)
{
	struct buf	 b;
	const char	*errstr;
	char		 type[32], path[1024], err[256];
	size_t		 n;
	int		 r;

	memset(out, 0, sizeof(*out));
	if (postconf_map_ref(ref, type, sizeof(type), path, sizeof(path)) == -1) {
		if (ref[0] != '/')
			return -1;
		snprintf(type, sizeof(type), "file");
		snprintf(path, sizeof(path), "%s", ref);
	} else if (strcmp(type, "hash") != 0 && strcmp(type, "btree") != 0 &&
	    strcmp(type, "lmdb") != 0 && strcmp(type, "cdb") != 0 &&
	    strcmp(type, "texthash") != 0 && strcmp(type, "dbm") != 0) {
		imp_skip(x->im, tr("the %s lookup table %s (only files can be read)"),
		    type, ref);
		return -1;
	}
	n = strlen(path);
	if (n > 3 && strcmp(path + n - 3, ".db") == 0)
		path[n - 3] = '\0';
	if ((r = imp_read(path, POSTCONF_FILE_MAX, &b, &errstr)) != 0) {
		imp_skip(x->im, tr("%s: %s (the text postmap read is needed)"), path,
		    r == 1 ? tr("missing") : errstr);
		return -1;
	}
	r = postconf_parse_map(b.data, b.len, out, err, sizeof(err));
	buf_free(&b);
	if (r == -1) {
		imp_skip(x->im, "%s: %s", path, err);
		return -1;
	}
	return 0;
}

/* A list parameter whose items may be lookup tables (their keys) or files (their lines). */
static char **
list_param(struct pfx *x, const char *name, size_t *n)
{
	char		*v = param(x, name), **items, **out = NULL;
	struct postconf	 m;
	size_t		 ni, i, j;

	*n = 0;
	if (v == NULL)
		return NULL;
	items = postconf_list(v, &ni);
	free(v);
	for (i = 0; i < ni; i++) {
		if (strchr(items[i], ':') != NULL && items[i][0] != '[' &&
		    strchr(items[i], '/') != NULL) {
			if (read_map(x, items[i], &m) == 0) {
				for (j = 0; j < m.n; j++) {
					out = xreallocarray(out, *n + 1, sizeof(*out));
					out[(*n)++] = xstrdup(m.v[j].name);
				}
				postconf_free(&m);
			}
			continue;
		}
		out = xreallocarray(out, *n + 1, sizeof(*out));
		out[(*n)++] = xstrdup(items[i]);
	}
	postconf_list_free(items, ni);
	return out;
}

static void
add_domain(struct buf *t, const char *d)
{
	buf_addf(t, "%s%s\n", d[0] == '.' ? "*" : "", d);
}

/*
 * "smtp:[host]:port", "relay:host", "lmtp:unix:/path", "lmtp:inet:h:p" to
 * an action body; NULL if none fits.
 */
static char *
transport_action(const char *v)
{
	const char	*colon = strchr(v, ':'), *next;
	char		*host, *port, *out;

	if (colon == NULL)
		return NULL;
	next = colon + 1;
	if (strncmp(v, "smtp:", 5) == 0 || strncmp(v, "relay:", 6) == 0) {
		if (*next == '\0')
			return NULL;
		host = xstrdup(next[0] == '[' ? next + 1 : next);
		port = NULL;
		if (next[0] == '[') {
			char	*rb = strchr(host, ']');

			if (rb == NULL) {
				free(host);
				return NULL;
			}
			*rb = '\0';
			if (rb[1] == ':')
				port = rb + 2;
		} else if ((port = strrchr(host, ':')) != NULL)
			*port++ = '\0';
		out = xasprintf("relay host smtp://%s%s%s%s:%s", strchr(host, ':') ?
		    "[" : "", host, strchr(host, ':') ? "]" : "", "", port ? port :
		    "25");
		free(host);
		return out;
	}
	if (strncmp(v, "lmtp:", 5) == 0) {
		if (strncmp(next, "unix:", 5) == 0)
			return xasprintf("lmtp \"%s\"", next + 5);
		if (strncmp(next, "inet:", 5) == 0)
			next += 5;
		return xasprintf("lmtp \"%s\"", next);
	}
	return NULL;
}

/* transport_maps: one relay (or lmtp) action per next hop, before the local rules. */
static void
transports(struct pfx *x)
{
	struct postconf	 m;
	char		*v = param(x, "transport_maps"), **refs, *act, name[64];
	size_t		 nr, i, j, k;
	struct buf	*t;
	struct {
		char	*nexthop;
		char	*table;
	} hops[32];
	size_t		 nh = 0;

	if (v == NULL || *v == '\0') {
		free(v);
		return;
	}
	refs = postconf_list(v, &nr);
	free(v);
	for (i = 0; i < nr; i++) {
		if (read_map(x, refs[i], &m) == -1)
			continue;
		for (j = 0; j < m.n; j++) {
			const char	*key = m.v[j].name, *val = m.v[j].value;

			if ((act = transport_action(val)) == NULL ||
			    strchr(key, '@') != NULL) {
				imp_skip(x->im, tr("transport %s -> %s"), key, val);
				free(act);
				continue;
			}
			for (k = 0; k < nh && strcmp(hops[k].nexthop, val) != 0; k++)
				;
			if (k == nh) {
				if (nh == 32) {
					free(act);
					imp_skip(x->im, tr("transport %s -> %s (too many next "
					    "hops)"), key, val);
					continue;
				}
				snprintf(name, sizeof(name), "transport-%zu", nh + 1);
				hops[nh].nexthop = xstrdup(val);
				hops[nh].table = xstrdup(name);
				buf_addf(&x->g.actions, "action \"%s\" %s\n", name, act);
				nh++;
			}
			free(act);
			if ((t = gen_table(&x->g, hops[k].table, 0644)) != NULL)
				add_domain(t, key);
			imp_did(x->im, tr("mail for %s goes to %s (transport_maps)"), key,
			    val);
		}
		postconf_free(&m);
	}
	for (k = 0; k < nh; k++) {
		buf_addf(&x->g.matches, "match from any for domain <%s> action \"%s\"\n",
		    hops[k].table, hops[k].table);
		free(hops[k].nexthop);
		free(hops[k].table);
	}
	postconf_list_free(refs, nr);
}

/* aliases(5) source of alias_maps into the aliases table. */
static int
aliases(struct pfx *x, struct buf *t)
{
	char		*v = param(x, "alias_maps"), **refs;
	struct postconf	 m;
	size_t		 nr, i, j;
	int		 n = 0;

	refs = postconf_list(v ? v : "", &nr);
	free(v);
	for (i = 0; i < nr; i++) {
		if (strncmp(refs[i], "nis:", 4) == 0 || read_map(x, refs[i], &m) == -1)
			continue;
		for (j = 0; j < m.n; j++) {
			char	*k = m.v[j].name;
			size_t	 kl = strlen(k);

			/* postmap keeps the ':' of "name: value" on the key. */
			if (kl > 1 && k[kl - 1] == ':')
				k[kl - 1] = '\0';
			buf_addf(t, "%s: %s\n", k, m.v[j].value);
			n++;
		}
		postconf_free(&m);
	}
	postconf_list_free(refs, nr);
	return n;
}

static void
local_delivery(struct pfx *x)
{
	struct buf	*dt, *at;
	char		**doms, *hm;
	size_t		 nd, i, nt = 0;
	int		 na;

	doms = list_param(x, "mydestination", &nd);
	if (nd == 0) {
		postconf_list_free(doms, nd);
		return;
	}
	dt = gen_table(&x->g, "localdomains", 0644);
	for (i = 0; i < nd; i++) {
		/* A domain a transport took over is not delivered here. */
		size_t	 k;
		int	 moved = 0;

		for (k = 0; k < x->g.ntables; k++)
			if (strncmp(x->g.tables[k].name, "transport-", 10) == 0 &&
			    x->g.tables[k].text.data != NULL) {
				char	 line[300];

				snprintf(line, sizeof(line), "%s\n", doms[i]);
				if (strstr(x->g.tables[k].text.data, line) != NULL)
					moved = 1;
			}
		if (moved)
			continue;
		add_domain(dt, doms[i]);
		nt++;
	}
	hm = param(x, "home_mailbox");
	x->g.local_maildir = hm != NULL && hm[strlen(hm) ? strlen(hm) - 1 : 0] == '/';
	at = gen_table(&x->g, "aliases", 0644);
	na = aliases(x, at);
	buf_addf(&x->g.actions, "action \"local\" %s alias <aliases>\n",
	    x->g.local_maildir ? "maildir" : "mbox");
	if (x->g.local_maildir && hm && strcmp(hm, "Maildir/") != 0)
		imp_skip(x->im, tr("home_mailbox = %s: tegami delivers to ~/Maildir"),
		    hm);
	if (nt > 0) {
		buf_addf(&x->g.matches, "match from any for domain <localdomains> "
		    "action \"local\"\n");
		imp_did(x->im, tr("%zu local domains (mydestination), delivered to "
		    "system users' %s, %d aliases"), nt, x->g.local_maildir ?
		    "~/Maildir" : "mbox", na);
	}
	buf_addf(&x->g.matches, "match from local for local action \"local\"\n");
	free(hm);
	postconf_list_free(doms, nd);
}

/* virtual_mailbox_*: Maildirs of virtual users, and virtual_alias_maps. */
static void
virtual_delivery(struct pfx *x)
{
	struct postconf	 m;
	struct buf	*dt = NULL, *vt = NULL;
	char		**doms, *base, *uid, *v, **refs, *fmt = NULL;
	const char	*account = "vmail";
	struct passwd	*pw;
	size_t		 nd, nr, i, j;

	doms = list_param(x, "virtual_mailbox_domains", &nd);
	base = param(x, "virtual_mailbox_base");
	uid = param(x, "virtual_uid_maps");
	if (uid && strncmp(uid, "static:", 7) == 0 &&
	    (pw = getpwuid((uid_t)strtoul(uid + 7, NULL, 10))) != NULL)
		account = pw->pw_name;
	if (nd > 0) {
		dt = gen_table(&x->g, "vdomains", 0644);
		vt = gen_table(&x->g, "vusers", 0644);
		for (i = 0; i < nd; i++)
			add_domain(dt, doms[i]);
	}
	v = param(x, "virtual_mailbox_maps");
	refs = postconf_list(v ? v : "", &nr);
	for (i = 0; i < nr && vt != NULL; i++) {
		if (read_map(x, refs[i], &m) == -1)
			continue;
		for (j = 0; j < m.n; j++) {
			const char	*key = m.v[j].name, *val = m.v[j].value;
			const char	*at = strchr(key, '@');
			char		*want, *want2;
			size_t		 vl = strlen(val);

			if (at == NULL || vl == 0 || val[vl - 1] != '/') {
				imp_skip(x->im, tr("virtual mailbox %s -> %s (an mbox, or "
				    "no address)"), key, val);
				continue;
			}
			/* The layout: "domain/user/" or "domain/user/Maildir/". */
			want = xasprintf("%s/%.*s/", at + 1, (int)(at - key), key);
			want2 = xasprintf("%s/%.*s/Maildir/", at + 1, (int)(at - key),
			    key);
			if (strcasecmp(val, want) == 0 || strcasecmp(val, want2) == 0) {
				const char	*f = strcasecmp(val, want) == 0 ?
				    "%{dest.domain:lowercase}/%{dest.user:lowercase}" :
				    "%{dest.domain:lowercase}/%{dest.user:lowercase}/Maildir";

				if (fmt == NULL)
					fmt = xstrdup(f);
				if (strcmp(fmt, f) == 0) {
					buf_addf(vt, "%s\t%s\n", key, account);
					imp_did(x->im, tr("virtual user %s"), key);
				} else
					imp_skip(x->im, tr("virtual mailbox %s -> %s (another "
					    "layout than the others)"), key, val);
			} else
				imp_skip(x->im, tr("virtual mailbox %s -> %s (not "
				    "DOMAIN/USER/)"), key, val);
			free(want);
			free(want2);
		}
		postconf_free(&m);
	}
	postconf_list_free(refs, nr);
	free(v);
	/* virtual_alias_maps apply to every domain in Postfix; here to the virtual ones. */
	v = param(x, "virtual_alias_maps");
	refs = postconf_list(v ? v : "", &nr);
	for (i = 0; i < nr; i++) {
		if (read_map(x, refs[i], &m) == -1)
			continue;
		for (j = 0; j < m.n; j++) {
			const char	*key = m.v[j].name, *at = strchr(key, '@');
			size_t		 k;
			int		 virt = 0;

			for (k = 0; at && k < nd; k++)
				if (strcasecmp(at + 1, doms[k]) == 0)
					virt = 1;
			if (!virt || vt == NULL) {
				imp_skip(x->im, tr("virtual alias %s -> %s (not a virtual "
				    "mailbox domain)"), key, m.v[j].value);
				continue;
			}
			buf_addf(vt, "%s\t%s\n", key, m.v[j].value);
			imp_did(x->im, tr("virtual alias %s -> %s"), key, m.v[j].value);
		}
		postconf_free(&m);
	}
	postconf_list_free(refs, nr);
	free(v);
	if (nd > 0) {
		if (base == NULL || *base == '\0') {
			imp_skip(x->im, "%s", tr("virtual_mailbox_base is empty: the "
			    "Maildirs go under /var/vmail"));
			free(base);
			base = xstrdup("/var/vmail");
		}
		buf_addf(&x->g.actions, "action \"virtual\" maildir \"%s/%s\" virtual "
		    "<vusers>\n", base, fmt ? fmt :
		    "%{dest.domain:lowercase}/%{dest.user:lowercase}");
		buf_addf(&x->g.matches, "match from any for domain <vdomains> action "
		    "\"virtual\"\n");
	}
	free(fmt);
	free(base);
	free(uid);
	postconf_list_free(doms, nd);
}

/* relayhost, with the login of smtp_sasl_password_maps. */
static void
outbound(struct pfx *x)
{
	char		*rh = param(x, "relayhost"), *sasl, *lvl, *host, *port = NULL;
	char		*secret = NULL;
	struct postconf	 m;
	struct buf	*t;
	size_t		 i;
	int		 bracket;

	if (rh == NULL || *rh == '\0') {
		buf_addf(&x->g.actions, "action \"outbound\" relay\n");
		free(rh);
		return;
	}
	bracket = rh[0] == '[';
	host = xstrdup(bracket ? rh + 1 : rh);
	if (bracket) {
		char	*rb = strchr(host, ']');

		if (rb) {
			*rb = '\0';
			if (rb[1] == ':')
				port = rb + 2;
		}
	} else if ((port = strrchr(host, ':')) != NULL)
		*port++ = '\0';
	if (!bracket)
		imp_skip(x->im, tr("relayhost = %s without [ ]: Postfix looked up its "
		    "MX; tegami connects to %s itself"), rh, host);
	sasl = param(x, "smtp_sasl_auth_enable");
	lvl = param(x, "smtp_tls_security_level");
	if (sasl && strcmp(sasl, "yes") == 0) {
		char	*maps = param(x, "smtp_sasl_password_maps");

		if (maps && read_map(x, maps, &m) == 0) {
			for (i = 0; i < m.n; i++)
				if (strcasecmp(m.v[i].name, rh) == 0 ||
				    strcasecmp(m.v[i].name, host) == 0)
					secret = xstrdup(m.v[i].value);
			postconf_free(&m);
		}
		if (secret == NULL)
			imp_skip(x->im, tr("no login for %s in smtp_sasl_password_maps"),
			    rh);
		free(maps);
	}
	if (secret != NULL && (t = gen_table(&x->g, "relaysecrets", 0600)) != NULL) {
		buf_addf(t, "relay %s\n", secret);
		buf_addf(&x->g.actions, "action \"outbound\" relay host "
		    "smtp+tls://relay@%s%s%s:%s auth <relaysecrets>\n",
		    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		    port ? port : "25");
		imp_did(x->im, tr("outgoing mail goes to %s with the login of "
		    "smtp_sasl_password_maps, over TLS"), rh);
		explicit_bzero(secret, strlen(secret));
	} else {
		buf_addf(&x->g.actions, "action \"outbound\" relay host %s://%s%s%s:%s\n",
		    lvl && (strcmp(lvl, "encrypt") == 0 || strcmp(lvl, "verify") == 0 ||
		    strcmp(lvl, "secure") == 0) ? "smtp+tls" : "smtp",
		    strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
		    port ? port : "25");
		imp_did(x->im, tr("outgoing mail goes to %s (relayhost)"), rh);
	}
	free(secret);
	free(sasl);
	free(lvl);
	free(host);
	free(rh);
}

/* mynetworks may relay, like permit_mynetworks. */
static void
networks(struct pfx *x)
{
	char		**v;
	size_t		 n, i;
	struct buf	*t;

	v = list_param(x, "mynetworks", &n);
	if (n > 0 && (t = gen_table(&x->g, "mynetworks", 0644)) != NULL) {
		for (i = 0; i < n; i++) {
			char	*s = v[i], *rb;

			/* "[::1]/128" is Postfix's way of writing an IPv6 network. */
			if (s[0] == '[' && (rb = strchr(s, ']')) != NULL) {
				*rb = '\0';
				buf_addf(t, "%s%s\n", s + 1, rb + 1);
			} else
				buf_addf(t, "%s\n", s);
		}
		buf_addf(&x->g.matches, "match from src <mynetworks> for any action "
		    "\"outbound\"\n");
		imp_did(x->im, tr("%zu networks may relay (mynetworks)"), n);
	}
	postconf_list_free(v, n);
}

/* The restriction lists: RBLs become rbl filters, the client name checks rdns filters. */
static void
restrictions(struct pfx *x)
{
	static const char *const lists[] = {
		"smtpd_client_restrictions", "smtpd_helo_restrictions",
		"smtpd_sender_restrictions", "smtpd_recipient_restrictions",
		"smtpd_relay_restrictions", "smtpd_data_restrictions", NULL,
	};
	static const char *const fine[] = {
		"permit", "reject", "permit_mynetworks", "permit_sasl_authenticated",
		"reject_unauth_destination", "defer_unauth_destination",
		"reject_unauth_pipelining", "reject_non_fqdn_recipient",
		"reject_unknown_recipient_domain", "reject_unlisted_recipient",
		"reject_unverified_recipient", "permit_tls_clientcerts", NULL,
	};
	struct buf	 chain;
	char		*v, **w, name[80];
	size_t		 nw, i, j, k;
	int		 nrbl = 0, rdns = 0, fcrdns = 0, nchain = 0;

	buf_init(&chain, 0);
	for (i = 0; lists[i]; i++) {
		if ((v = param(x, lists[i])) == NULL)
			continue;
		w = postconf_list(v, &nw);
		for (j = 0; j < nw; j++) {
			if (strcmp(w[j], "reject_rbl_client") == 0 && j + 1 < nw) {
				char	*zone = w[++j], *eq = strchr(zone, '=');

				if (eq)
					*eq = '\0';	/* "zone=127.0.0.2": any answer here */
				snprintf(name, sizeof(name), "rbl-%d", ++nrbl);
				buf_addf(&x->g.filters, "filter \"%s\" rbl phase connect match "
				    "dnsbl \"%s\" disconnect \"554 5.7.1 listed at %s\"\n",
				    name, zone, zone);
				buf_addf(&chain, "%s\"%s\"", nchain++ ? ", " : "", name);
				imp_did(x->im, tr("the DNS blocklist %s (%s)"), zone, lists[i]);
				continue;
			}
			if (strcmp(w[j], "reject_unknown_reverse_client_hostname") == 0 ||
			    strcmp(w[j], "reject_unknown_client") == 0) {
				rdns = 1;
				continue;
			}
			if (strcmp(w[j], "reject_unknown_client_hostname") == 0) {
				fcrdns = 1;
				continue;
			}
			for (k = 0; fine[k] && strcmp(fine[k], w[j]) != 0; k++)
				;
			if (fine[k] != NULL)
				continue;
			/* The table argument of check_*_access goes with its word. */
			if (strncmp(w[j], "check_", 6) == 0 && j + 1 < nw) {
				imp_skip(x->im, "%s: %s %s", lists[i], w[j], w[j + 1]);
				j++;
			} else if ((strncmp(w[j], "reject_rhsbl", 12) == 0 ||
			    strcmp(w[j], "reject_rbl_client") == 0) && j + 1 < nw) {
				imp_skip(x->im, "%s: %s %s", lists[i], w[j], w[j + 1]);
				j++;
			} else
				imp_skip(x->im, "%s: %s", lists[i], w[j]);
		}
		postconf_list_free(w, nw);
		free(v);
	}
	if (rdns || fcrdns) {
		buf_addf(&x->g.filters, "filter \"check-rdns\" phase connect match %s "
		    "disconnect \"450 4.7.1 client name unknown\"\n", fcrdns ?
		    "!fcrdns" : "!rdns");
		buf_addf(&chain, "%s\"check-rdns\"", nchain++ ? ", " : "");
		imp_did(x->im, tr("clients without a name are refused (%s)"), fcrdns ?
		    "reject_unknown_client_hostname" :
		    "reject_unknown_reverse_client_hostname");
	}
	if (nchain == 1) {
		/* One filter needs no chain. */
		char	*q = strchr(chain.data, '"'), *e = q ? strchr(q + 1, '"') : NULL;

		if (q && e)
			x->g.inbound_filter = xstrndup(q + 1, (size_t)(e - q - 1));
	} else if (nchain > 1) {
		buf_addf(&x->g.filters, "filter \"inbound\" chain { %s }\n", chain.data);
		x->g.inbound_filter = xstrdup("inbound");
	}
	buf_free(&chain);
}

static void
milters(struct pfx *x)
{
	static const char *const keys[] = { "smtpd_milters", "non_smtpd_milters" };
	char		*v, **w;
	size_t		 nw, i, j;

	for (i = 0; i < 2; i++) {
		if ((v = param(x, keys[i])) == NULL)
			continue;
		w = postconf_list(v, &nw);
		for (j = 0; j < nw; j++) {
			if (strstr(w[j], "opendkim") != NULL)
				imp_skip(x->im, tr("%s: %s (OpenDKIM: tegami signs itself: "
				    "tegamictl dkim keygen DOMAIN, then a dkim-sign filter)"),
				    keys[i], w[j]);
			else if (strstr(w[j], "opendmarc") != NULL)
				imp_skip(x->im, tr("%s: %s (OpenDMARC: tegami's filter "
				    "check mail-auth checks DMARC)"), keys[i], w[j]);
			else
				imp_skip(x->im, tr("%s: the milter %s"), keys[i], w[j]);
		}
		postconf_list_free(w, nw);
		free(v);
	}
}

static void
master(struct pfx *x)
{
	struct postconf_master	 m;
	struct buf		 b;
	const char		*errstr, *lvl, *wrap;
	char			*path = xasprintf("%s/master.cf", x->dir), err[256];
	size_t			 i;
	int			 r;

	r = imp_read(path, POSTCONF_FILE_MAX, &b, &errstr);
	if (r != 0) {
		imp_skip(x->im, tr("%s: %s: no submission listeners"), path,
		    r == 1 ? tr("missing") : errstr);
		free(path);
		return;
	}
	if (postconf_parse_master(b.data, b.len, &m, err, sizeof(err)) == -1) {
		imp_skip(x->im, "%s: %s", path, err);
		buf_free(&b);
		free(path);
		return;
	}
	buf_free(&b);
	for (i = 0; i < m.n; i++) {
		struct postconf_service	*s = &m.v[i];

		if (strcmp(s->type, "inet") != 0)
			continue;
		if (strcmp(s->command, "smtpd") != 0) {
			imp_skip(x->im, tr("master.cf: the service %s (%s)"), s->name,
			    s->command);
			continue;
		}
		wrap = postconf_get(&s->opts, "smtpd_tls_wrappermode");
		lvl = postconf_get(&s->opts, "smtpd_tls_security_level");
		if (strcmp(s->name, "smtp") == 0 || strcmp(s->name, "25") == 0)
			continue;
		if (strcmp(s->name, "submission") == 0 || strcmp(s->name, "587") == 0) {
			x->g.submission = 1;
			x->g.submission_tls_require = lvl && strcmp(lvl, "encrypt") == 0;
			imp_did(x->im, tr("submission on port 587 with logins%s"),
			    x->g.submission_tls_require ? tr(", TLS required") : "");
		} else if (strcmp(s->name, "smtps") == 0 || strcmp(s->name, "465") == 0 ||
		    strcmp(s->name, "submissions") == 0 || (wrap && strcmp(wrap, "yes") == 0)) {
			x->g.smtps = 1;
			imp_did(x->im, "%s", tr("submission over TLS on port 465 with "
			    "logins"));
		} else
			imp_skip(x->im, tr("master.cf: the smtpd service %s"), s->name);
	}
	postconf_master_free(&m);
	free(path);
}

static void
report_rest(struct pfx *x)
{
	size_t	 i, j;

	for (i = 0; i < x->main.n; i++) {
		const char	*k = x->main.v[i].name;

		if (in_quiet(k))
			continue;
		/* Once per name: the last setting is the one Postfix used. */
		for (j = i + 1; j < x->main.n && strcmp(x->main.v[j].name, k) != 0; j++)
			;
		if (j < x->main.n)
			continue;
		imp_skip(x->im, "main.cf %s = %s", k, x->main.v[i].value);
	}
}

int
import_postfix(struct import *im, const char *dir)
{
	struct pfx	 x;
	struct buf	 b;
	const char	*errstr;
	char		*path, err[256], *v, *copy, *outdefault = NULL, host[256];
	int		 r, rc = 1;

	memset(&x, 0, sizeof(x));
	x.im = im;
	x.dir = dir;
	path = xasprintf("%s/main.cf", dir);
	if ((r = imp_read(path, POSTCONF_FILE_MAX, &b, &errstr)) != 0) {
		admin_fail(im->prog, "%s: %s", path, r == 1 ? tr("missing") : errstr);
		free(path);
		return 1;
	}
	if (postconf_parse_main(b.data, b.len, &x.main, err, sizeof(err)) == -1) {
		admin_fail(im->prog, "%s: %s", path, err);
		buf_free(&b);
		free(path);
		return 1;
	}
	buf_free(&b);
	(void)postconf_parse_main(defaults_text, sizeof(defaults_text) - 1, &x.def,
	    err, sizeof(err));
	if (im->out_dir == NULL) {
		copy = xstrdup(im->conf_path);
		outdefault = xstrdup(dirname(copy));
		free(copy);
		im->out_dir = outdefault;
	}
	gen_init(&x.g);
	if ((v = param(&x, "myhostname")) == NULL || *v == '\0') {
		free(v);
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		v = xstrdup(host);
	}
	x.g.hostname = v;
	{
		/* mydomain defaults to myhostname without its first label. */
		char	*dot = strchr(v, '.');

		if (postconf_get(&x.main, "mydomain") == NULL && dot != NULL) {
			struct postconf	 d;
			char		*t = xasprintf("mydomain = %s\n", dot + 1);

			if (postconf_parse_main(t, strlen(t), &d, err, sizeof(err)) == 0) {
				x.def.v = xreallocarray(x.def.v, x.def.n + 1,
				    sizeof(*x.def.v));
				x.def.v[x.def.n++] = d.v[0];
				free(d.v);
			}
			free(t);
		}
		if (postconf_get(&x.main, "myhostname") == NULL) {
			struct postconf	 d;
			char		*t = xasprintf("myhostname = %s\n", v);

			if (postconf_parse_main(t, strlen(t), &d, err, sizeof(err)) == 0) {
				x.def.v = xreallocarray(x.def.v, x.def.n + 1,
				    sizeof(*x.def.v));
				x.def.v[x.def.n++] = d.v[0];
				free(d.v);
			}
			free(t);
		}
	}
	printf(tr("importing %s (server %s) into %s:\n"), dir, x.g.hostname,
	    im->out_dir);
	imp_did(im, tr("hostname %s"), x.g.hostname);
	if ((v = param(&x, "inet_interfaces")) != NULL) {
		if (strcmp(v, "loopback-only") == 0) {
			free(x.g.listen);
			x.g.listen = xstrdup("localhost");
		} else if (strcmp(v, "all") != 0)
			imp_skip(im, tr("inet_interfaces = %s: tegami listens on every "
			    "address; edit the listen lines"), v);
		free(v);
	}
	{
		char	*c = param(&x, "smtpd_tls_cert_file");
		char	*k = param(&x, "smtpd_tls_key_file");

		if (c && *c && k && *k) {
			x.g.cert = c;
			x.g.key = k;
			imp_did(im, tr("the certificate %s and key %s"), c, k);
		} else {
			free(c);
			free(k);
			imp_skip(im, "%s", tr("no smtpd_tls_cert_file: a self-signed "
			    "certificate is made"));
		}
	}
	if ((v = param(&x, "message_size_limit")) != NULL) {
		unsigned long long	 n = strtoull(v, NULL, 10);

		if (n > 0) {
			buf_addf(&x.g.globals, "smtp max-message-size %llu\n", n);
			imp_did(im, tr("message size limit %llu bytes"), n);
		} else
			imp_skip(im, "%s", tr("message_size_limit = 0 (no limit): tegami "
			    "keeps its 35M"));
		free(v);
	}
	transports(&x);
	virtual_delivery(&x);
	local_delivery(&x);
	networks(&x);
	outbound(&x);
	buf_addf(&x.g.matches, "match from socket for any action \"outbound\"\n"
	    "match auth from any for any action \"outbound\"\n");
	restrictions(&x);
	milters(&x);
	master(&x);
	report_rest(&x);
	rc = gen_write(&x.g, im);
	if (rc == 0)
		imp_summary(im);
	gen_free(&x.g);
	postconf_free(&x.main);
	postconf_free(&x.def);
	free(path);
	free(outdefault);
	return rc;
}
