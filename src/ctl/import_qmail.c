/* tegamictl import qmail /var/qmail: control files, users/assign and .qmail files into a new tegami.conf and its tables. */
#include <sys/stat.h>

#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ctl/import.h"
#include "ctl/vpasswd.h"
#include "lib/xalloc.h"

#define ASSIGN_MAX	100000

/* One line of users/assign: "+prefix-:user:uid:gid:home:dash:ext:" or "=local:...". */
struct assign {
	int	 wild;		/* '+' */
	char	*local;		/* "prefix-" or "local" */
	char	*user;
	char	*home;
};

static struct assign *
read_assign(const char *path, size_t *n)
{
	struct assign	*v = NULL;
	char		**lines, *f[8], *p;
	size_t		 nl, i, k;

	*n = 0;
	if ((lines = imp_lines(path, 0, &nl)) == NULL)
		return NULL;
	for (i = 0; i < nl && *n < ASSIGN_MAX; i++) {
		if (strcmp(lines[i], ".") == 0)
			break;
		if (lines[i][0] != '+' && lines[i][0] != '=')
			continue;
		for (k = 0, p = lines[i] + 1; k < 8; k++) {
			f[k] = p;
			if ((p = strchr(p, ':')) == NULL)
				break;
			*p++ = '\0';
		}
		if (k < 4)
			continue;
		v = xreallocarray(v, *n + 1, sizeof(*v));
		v[*n].wild = lines[i][0] == '+';
		v[*n].local = xstrdup(f[0]);
		v[*n].user = xstrdup(f[1]);
		v[*n].home = xstrdup(f[4]);
		(*n)++;
	}
	imp_lines_free(lines, nl);
	return v;
}

static int
in_list(char **v, size_t n, const char *s)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* A qmail domain pattern: ".example.org" is every subdomain: tegami's "*.example.org". */
static void
add_domain(struct buf *t, const char *d)
{
	buf_addf(t, "%s%s\n", d[0] == '.' ? "*" : "", d);
}

/* Forwards of one .qmail file into an aliases(5) line "name: a, b"; the rest reported. */
static void
alias_line(struct import *im, struct buf *aliases, const char *file,
    const char *name, const char *defdomain)
{
	struct dotqmail	 dq;
	struct buf	 b, t;
	const char	*errstr;
	size_t		 i;
	int		 n = 0;

	if (imp_read(file, DOTQMAIL_FILE_MAX, &b, &errstr) != 0)
		return;
	if (dotqmail_parse(b.data, b.len, &dq, &errstr) == -1) {
		imp_skip(im, "%s: %s", file, errstr);
		buf_free(&b);
		return;
	}
	buf_free(&b);
	buf_init(&t, 0);
	for (i = 0; i < dq.n; i++) {
		if (dq.v[i].kind != DOTQMAIL_FORWARD) {
			imp_skip(im, tr("%s: %s%s (only forwards are carried over)"),
			    file, dq.v[i].kind == DOTQMAIL_PROGRAM ? "|" : "",
			    dq.v[i].value);
			continue;
		}
		buf_addf(&t, "%s%s", n++ ? ", " : "", dq.v[i].value);
		if (strchr(dq.v[i].value, '@') == NULL && defdomain)
			buf_addf(&t, "@%s", defdomain);
	}
	if (n > 0) {
		buf_addf(aliases, "%s: %s\n", name, t.data);
		imp_did(im, tr("alias %s -> %s"), name, t.data);
	}
	buf_free(&t);
	dotqmail_free(&dq);
}

/* Every .qmail-NAME of a directory as aliases name-prefix + NAME. */
static void
alias_dir(struct import *im, struct buf *aliases, const char *dir,
    const char *prefix, const char *defdomain)
{
	struct dirent	*e;
	DIR		*d;
	char		 local[256], name[600], *path;
	int		 wild;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (dotqmail_ext(e->d_name, ".qmail-", local, sizeof(local), &wild) == -1)
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (wild)
			imp_skip(im, tr("%s: wildcard addresses (-default)"), path);
		else {
			snprintf(name, sizeof(name), "%s%s", prefix, local);
			alias_line(im, aliases, path, name, defdomain);
		}
		free(path);
	}
	closedir(d);
}

int
import_qmail(struct import *im, const char *dir)
{
	struct gen	 g;
	struct assign	*as;
	struct buf	*domains = NULL, *locals = NULL, *relays = NULL, *aliases;
	char		*p, **me, **rcpt, **loc, **virt, **dbytes, **routes, **dd;
	char		*vroot = NULL, *copy, **lines;
	size_t		 nme, nrcpt, nloc, nvirt, ndb, nroutes, ndd, nas, i, j, k;
	int		 rc = 1, maildir = 0, nroute = 0;
	char		*outdefault = NULL;

	p = xasprintf("%s/control/me", dir);
	me = imp_lines(p, 1, &nme);
	free(p);
	if (nme == 0)
		return admin_fail(im->prog, tr("no %s/control/me: is %s /var/qmail?"),
		    dir, dir);
	if (im->out_dir == NULL) {
		copy = xstrdup(im->conf_path);
		outdefault = xstrdup(dirname(copy));
		free(copy);
		im->out_dir = outdefault;
	}
#define CTL(name, fold, v, n)	do { p = xasprintf("%s/control/%s", dir, name); \
	v = imp_lines(p, fold, &n); free(p); } while (0)
	CTL("rcpthosts", 1, rcpt, nrcpt);
	CTL("locals", 1, loc, nloc);
	CTL("virtualdomains", 1, virt, nvirt);
	CTL("databytes", 0, dbytes, ndb);
	CTL("smtproutes", 1, routes, nroutes);
	CTL("defaultdelivery", 0, dd, ndd);
	p = xasprintf("%s/users/assign", dir);
	as = read_assign(p, &nas);
	free(p);

	gen_init(&g);
	g.hostname = xstrdup(me[0]);
	g.submission = g.smtps = 1;
	g.submission_tls_require = 1;
	printf(tr("importing %s (server %s) into %s:\n"), dir, me[0], im->out_dir);
	imp_did(im, tr("hostname %s"), me[0]);
	p = xasprintf("%s/control/servercert.pem", dir);
	if (access(p, R_OK) == 0) {
		g.cert = xstrdup(p);
		g.key = xstrdup(p);
		imp_did(im, tr("the certificate and key of %s"), p);
	}
	free(p);
	if (ndb > 0 && strtoull(dbytes[0], NULL, 10) > 0) {
		buf_addf(&g.globals, "smtp max-message-size %llu\n",
		    strtoull(dbytes[0], NULL, 10));
		imp_did(im, tr("message size limit %s bytes (databytes)"), dbytes[0]);
	}

	/* Virtual domains: vpopmail's, when users/assign sends them to ~vpopmail/domains/D. */
	for (i = 0; i < nvirt; i++) {
		char	*colon = strchr(virt[i], ':'), *d = virt[i];

		if (colon == NULL)
			continue;
		*colon = '\0';
		for (k = 0; k < nas; k++) {
			size_t	 pl = strlen(colon + 1);

			if (as[k].wild && strncmp(as[k].local, colon + 1, pl) == 0 &&
			    as[k].local[pl] == '-' && as[k].local[pl + 1] == '\0')
				break;
		}
		if (k < nas && strlen(as[k].home) > strlen(d) + 1 &&
		    strcmp(as[k].home + strlen(as[k].home) - strlen(d), d) == 0 &&
		    as[k].home[strlen(as[k].home) - strlen(d) - 1] == '/') {
			if (vroot == NULL) {
				vroot = xstrndup(as[k].home, strlen(as[k].home) -
				    strlen(d) - 1);
				domains = gen_table(&g, "domains", 0644);
				(void)gen_table(&g, "vusers", 0644);
			} else if (strncmp(as[k].home, vroot, strlen(vroot)) != 0)
				imp_skip(im, tr("%s lives in %s, not under %s"), d,
				    as[k].home, vroot);
			add_domain(domains, d);
			imp_did(im, tr("virtual domain %s (vpopmail, %s)"), d,
			    as[k].home);
		} else
			imp_skip(im, tr("virtual domain %s delivered by the .qmail "
			    "files of user %s"), d, k < nas ? as[k].user : colon + 1);
	}
	if (vroot != NULL) {
		buf_addf(&g.actions, "# The vpopmail tree, in place: import its users "
		    "with tegamictl import vpopmail.\n"
		    "action \"deliver\" maildir \"%s/%%{dest.domain:lowercase}/"
		    "%%{dest.user:lowercase}/Maildir\" virtual <vusers>\n", vroot);
		buf_addf(&g.matches, "match from any for domain <domains> action "
		    "\"deliver\"\n");
	}

	/* Local domains: system users, with the aliases of ~alias and their .qmail-EXT. */
	aliases = gen_table(&g, "aliases", 0644);
	if (nloc > 0) {
		locals = gen_table(&g, "locals", 0644);
		for (i = 0; i < nloc; i++)
			add_domain(locals, loc[i]);
		for (i = 0; i < ndd; i++)
			if (strstr(dd[i], "Maildir/") != NULL)
				maildir = 1;
		g.local_maildir = maildir;
		buf_addf(&g.actions, "action \"local\" %s alias <aliases>\n",
		    maildir ? "maildir" : "mbox");
		buf_addf(&g.matches, "match from any for domain <locals> action "
		    "\"local\"\nmatch from local for local action \"local\"\n");
		imp_did(im, tr("local domains (%zu), delivered to %s of system users"),
		    nloc, maildir ? "~/Maildir" : tr("their mailbox"));
		p = xasprintf("%s/alias", dir);
		alias_dir(im, aliases, p, "", nloc ? loc[0] : NULL);
		free(p);
		for (k = 0; k < nas; k++) {
			char	*prefix;

			if (as[k].wild)
				continue;
			prefix = xasprintf("%s-", as[k].local);
			alias_dir(im, aliases, as[k].home, prefix, loc[0]);
			free(prefix);
			/* A user's .qmail that only forwards. */
			p = xasprintf("%s/.qmail", as[k].home);
			if (access(p, F_OK) == 0) {
				struct buf	 b;
				struct dotqmail	 dq;
				const char	*errstr;
				int		 keeps = 0;

				if (imp_read(p, DOTQMAIL_FILE_MAX, &b, &errstr) == 0 &&
				    dotqmail_parse(b.data, b.len, &dq, &errstr) == 0) {
					for (j = 0; j < dq.n; j++)
						if (dq.v[j].kind != DOTQMAIL_FORWARD)
							keeps = 1;
					dotqmail_free(&dq);
					if (keeps)
						imp_skip(im, tr("%s: forwards and delivers "
						    "(tegami aliases do one or the other)"), p);
					else
						alias_line(im, aliases, p, as[k].local,
						    loc[0]);
				}
				buf_free(&b);
			}
			free(p);
		}
	}

	/* rcpthosts neither local nor virtual: qmail relayed them (backup MX). */
	for (i = 0; i < nrcpt; i++) {
		char	 vd[300];
		int	 v = 0;

		for (k = 0; k < nvirt; k++) {
			snprintf(vd, sizeof(vd), "%s", virt[k]);
			if (strcasecmp(vd, rcpt[i]) == 0)
				v = 1;
		}
		if (v || in_list(loc, nloc, rcpt[i]))
			continue;
		if (relays == NULL)
			relays = gen_table(&g, "relaydomains", 0644);
		add_domain(relays, rcpt[i]);
		imp_did(im, tr("mail for %s is accepted and relayed (rcpthosts)"),
		    rcpt[i]);
	}

	/* smtproutes: a smarthost (":host") and routes per domain. */
	{
		char	*smarthost = NULL;

		for (i = 0; i < nroutes; i++) {
			char	*c = strchr(routes[i], ':'), *host, *port;
			char	 name[64];
			struct buf *t;

			if (c == NULL)
				continue;
			*c = '\0';
			host = c + 1;
			port = strchr(host, ':');
			if (port)
				*port++ = '\0';
			if (*host == '\0') {
				imp_skip(im, tr("smtproutes: %s delivered by MX"),
				    routes[i]);
				continue;
			}
			if (routes[i][0] == '\0') {
				free(smarthost);
				smarthost = xasprintf("smtp://%s:%s", host, port ? port :
				    "25");
				continue;
			}
			snprintf(name, sizeof(name), "route-%d", ++nroute);
			if ((t = gen_table(&g, name, 0644)) == NULL)
				break;
			add_domain(t, routes[i]);
			buf_addf(&g.actions, "action \"%s\" relay host smtp://%s:%s\n",
			    name, host, port ? port : "25");
			/* Routes come before the rule of their domain, as in qmail-remote. */
			{
				struct buf	 m;

				buf_init(&m, 0);
				buf_addf(&m, "match from any for domain <%s> action \"%s\"\n",
				    name, name);
				buf_add(&m, g.matches.data ? g.matches.data : "",
				    g.matches.len);
				buf_free(&g.matches);
				g.matches = m;
			}
			imp_did(im, tr("mail for %s goes to %s:%s (smtproutes)"),
			    routes[i], host, port ? port : "25");
		}
		if (smarthost)
			imp_did(im, tr("every other message goes to %s (smtproutes)"),
			    smarthost);
		buf_addf(&g.actions, "action \"outbound\" relay%s%s\n", smarthost ?
		    " host " : "", smarthost ? smarthost : "");
		free(smarthost);
	}
	if (relays != NULL)
		buf_addf(&g.matches, "match from any for domain <relaydomains> action "
		    "\"outbound\"\n");
	buf_addf(&g.matches, "match from socket for any action \"outbound\"\n"
	    "match auth from any for any action \"outbound\"\n");

	for (i = 0; i < 2; i++) {
		static const char *const ignored[] = { "defaultdomain", "plusdomain" };

		p = xasprintf("%s/control/%s", dir, ignored[i]);
		if ((lines = imp_lines(p, 0, &k)) != NULL && k > 0)
			imp_skip(im, tr("control/%s (%s): tegami's sendmail takes whole "
			    "addresses"), ignored[i], lines[0]);
		imp_lines_free(lines, k);
		free(p);
	}
	p = xasprintf("%s/control/morercpthosts", dir);
	if (access(p, F_OK) == 0)
		imp_skip(im, "%s", tr("control/morercpthosts: add those domains to "
		    "the tables by hand"));
	free(p);

	rc = gen_write(&g, im);
	if (rc == 0 && vroot != NULL && !im->dry_run)
		printf(tr("  then: tegamictl -f %s/tegami.conf import vpopmail %s\n"),
		    im->out_dir, dirname(vroot));
	if (rc == 0)
		imp_summary(im);
	gen_free(&g);
	free(vroot);
	imp_lines_free(me, nme);
	imp_lines_free(rcpt, nrcpt);
	imp_lines_free(loc, nloc);
	imp_lines_free(virt, nvirt);
	imp_lines_free(dbytes, ndb);
	imp_lines_free(routes, nroutes);
	imp_lines_free(dd, ndd);
	for (k = 0; k < nas; k++) {
		free(as[k].local);
		free(as[k].user);
		free(as[k].home);
	}
	free(as);
	free(outdefault);
	return rc;
}
