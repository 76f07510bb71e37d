/* The administration commands' view of the configuration: tables by role, reloads, addresses, accounts, passwords. */
#include <sys/socket.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "lib/password.h"
#include "conf/conf.h"
#include "conf/table.h"
#include "conf/table_edit.h"
#include "ctl/admin.h"
#include "ctl/ctl.h"
#include "lib/buf.h"
#include "lib/map.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "route/route.h"

int
admin_open(struct admin *a, const char *prog, const char *conf_path)
{
	struct buf	 errors;
	char		*nl;

	memset(a, 0, sizeof(*a));
	a->prog = prog;
	a->conf_path = conf_path;
	buf_init(&errors, 0);
	if ((a->conf = conf_load(conf_path, &errors, NULL)) == NULL) {
		const char	*e = errors.data ? errors.data : "";

		if ((nl = strchr(e, '\n')) != NULL)
			*nl = '\0';
		admin_fail(prog, tr("cannot load the configuration: %s"), e);
		buf_free(&errors);
		return 1;
	}
	buf_free(&errors);
	return 0;
}

void
admin_close(struct admin *a)
{
	if (a->conf)
		conf_free(a->conf);
	a->conf = NULL;
}

static const struct action *
virtual_action(const struct conf *c, const struct table *virt)
{
	size_t	 i;

	for (i = 0; i < c->nactions; i++)
		if (c->actions[i]->virtual == virt &&
		    c->actions[i]->method == ACTION_MAILDIR)
			return c->actions[i];
	return NULL;
}

struct table *
admin_table(struct admin *a, enum admin_role role)
{
	static const enum table_role roles[] = {
		TABLE_ROLE_DOMAINS, TABLE_ROLE_VIRTUAL, TABLE_ROLE_CREDENTIALS,
		TABLE_ROLE_SENDERS,
	};
	static const char *const names[] = {
		TR_MARK("domain table"), TR_MARK("virtual table"),
		TR_MARK("credentials table"), TR_MARK("senders table"),
	};
	struct table	**slot = role == ADMIN_DOMAINS ? &a->domains :
	    role == ADMIN_VIRTUAL ? &a->virtual : role == ADMIN_CREDS ? &a->creds :
	    &a->senders;
	const char	*want = role == ADMIN_DOMAINS ? a->want_domains :
	    role == ADMIN_VIRTUAL ? a->want_virtual : role == ADMIN_CREDS ?
	    a->want_creds : NULL;
	const char	*errstr;
	struct table	*t;

	if (*slot != NULL)
		return *slot;
	if (want != NULL) {
		if ((t = conf_table(a->conf, want)) == NULL) {
			admin_fail(a->prog, tr("no table named %s in %s"), want,
			    a->conf_path);
			return NULL;
		}
	} else if ((t = route_table_role(a->conf, roles[role], &errstr)) == NULL) {
		admin_fail(a->prog, tr("cannot find the %s: %s"), tr(names[role]),
		    errstr);
		return NULL;
	}
	if (t->backend != TABLE_FILE) {
		admin_fail(a->prog, tr("table %s is written inside %s; only a "
		    "file: table can be edited"), t->name, a->conf_path);
		return NULL;
	}
	*slot = t;
	if (role == ADMIN_VIRTUAL)
		a->action = virtual_action(a->conf, t);
	return t;
}

struct table *
admin_senders(struct admin *a, int *none)
{
	size_t	 i;

	*none = 1;
	if (a->senders != NULL) {
		*none = 0;
		return a->senders;
	}
	for (i = 0; i < a->conf->nlisteners; i++)
		if (a->conf->listeners[i]->senders != NULL)
			*none = 0;
	if (*none)
		return NULL;
	return admin_table(a, ADMIN_SENDERS);
}

int
admin_update_daemon(const char *conf_path, const char *table, char *msg,
    size_t msglen)
{
	struct sockaddr_un	 sun;
	const char		*sock = ctl_socket_path(conf_path);
	char			 buf[1024];
	size_t			 got = 0;
	ssize_t			 n;
	int			 fd;

	msg[0] = '\0';
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		snprintf(msg, msglen, "%s", "control socket path too long");
		return -1;
	}
	strcpy(sun.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(msg, msglen, "%s", strerror(errno));
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		int	 e = errno;

		close(fd);
		if (e == ENOENT || e == ECONNREFUSED)
			return 1;
		snprintf(msg, msglen, "%s: %s", sock, strerror(e));
		return -1;
	}
	if (dprintf(fd, "UPDATE TABLE %s\n", table) < 0) {
		snprintf(msg, msglen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	while (got + 1 < sizeof(buf) &&
	    (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	if (strncmp(buf, "error: ", 7) == 0) {
		snprintf(msg, msglen, "%s", buf + 7);
		return -1;
	}
	if (got == 0) {
		snprintf(msg, msglen, "%s", "no answer");
		return -1;
	}
	snprintf(msg, msglen, "%s", buf);
	return 0;
}

int
admin_reload(struct admin *a, struct table *t)
{
	const char	*errstr;
	char		 msg[512];
	int		 r;

	if (table_load(t, &errstr) == -1)
		return admin_fail(a->prog, "%s", errstr);
	if (a->no_daemon)
		return 0;
	r = admin_update_daemon(a->conf_path, t->name, msg, sizeof(msg));
	if (r == -1)
		return admin_fail(a->prog, tr("%s was changed, but tegamid did "
		    "not reload it: %s"), t->path, msg);
	if (a->quiet)
		return 0;
	if (r == 1)
		printf(tr("tegamid is not running: the change to %s takes effect "
		    "when it starts\n"), t->name);
	else
		printf(tr("tegamid reloaded table %s\n"), t->name);
	return 0;
}

int
admin_domain(const char *in, char *dst, size_t dstlen, const char **errstr)
{
	size_t	 i, n = strlen(in);

	if (n == 0 || n >= dstlen || in[0] == '.' || in[0] == '[') {
		*errstr = tr("not a domain name");
		return -1;
	}
	if (addr_domain_check(in, n, 1, errstr) == -1)
		return -1;
	for (i = 0; i <= n; i++)
		dst[i] = (char)tolower((unsigned char)in[i]);
	return 0;
}

int
admin_address(const char *in, char *dst, size_t dstlen, const char **errstr)
{
	struct mailaddr	 ma;
	char		 tmp[ADDR_PATH_MAX + 1];
	size_t		 i;

	if (strchr(in, '@') == NULL) {
		*errstr = tr("an address is user@domain");
		return -1;
	}
	if (addr_parse(&ma, in, 1, errstr) == -1)
		return -1;
	if (ma.local[0] == '"' || ma.domain[0] == '[') {
		*errstr = tr("quoted local parts and address literals cannot be "
		    "users here");
		return -1;
	}
	addr_format(&ma, tmp, sizeof(tmp));
	if (strlen(tmp) >= dstlen) {
		*errstr = tr("address too long");
		return -1;
	}
	for (i = 0; tmp[i]; i++)
		dst[i] = (char)tolower((unsigned char)tmp[i]);
	dst[i] = '\0';
	return 0;
}

int
admin_has_domain(struct admin *a, const char *domain)
{
	struct table	*t = admin_table(a, ADMIN_DOMAINS);
	const char	*k;
	size_t		 it = 0;

	if (t == NULL)
		return 0;
	while (table_iter(t, &it, &k, NULL))
		if (strcasecmp(k, domain) == 0)
			return 1;
	return 0;
}

/* A target that names an account: a bare word, no address, list, file or command. */
int
admin_is_account(const char *v)
{
	size_t	 i;

	if (v == NULL || *v == '\0')
		return 0;
	for (i = 0; v[i]; i++)
		if (!(isalnum((unsigned char)v[i]) || v[i] == '_' || v[i] == '-' ||
		    v[i] == '.'))
			return 0;
	return 1;
}

const char *
admin_account(struct admin *a, const char *given)
{
	/* An account name: Linux allows 32 characters; a longer value is no account. */
	static char	 name[sizeof(((struct admin *)0)->account)];
	struct table	*t;
	struct map	*counts;
	struct passwd	*pw;
	const char	*k, *v;
	size_t		 it = 0, best = 0, *c;

	if (given != NULL) {
		snprintf(name, sizeof(name), "%s", given);
		return name;
	}
	/* Counted once: an import asks for every user. */
	if (a->account[0] != '\0')
		return a->account;
	name[0] = '\0';
	if ((t = admin_table(a, ADMIN_VIRTUAL)) != NULL) {
		counts = map_new();
		while (table_iter(t, &it, &k, &v)) {
			if (!admin_is_account(v))
				continue;
			if ((c = map_get(counts, v)) == NULL) {
				c = calloc(1, sizeof(*c));
				if (c == NULL)
					break;
				map_set(counts, v, c);
			}
			if (++*c > best) {
				best = *c;
				snprintf(name, sizeof(name), "%s", v);
			}
		}
		map_free(counts, free);
	}
	if (name[0] == '\0' && geteuid() == 0 && getpwnam("vmail") != NULL)
		snprintf(name, sizeof(name), "%s", "vmail");
	else if (name[0] == '\0' && (pw = getpwuid(getuid())) != NULL)
		snprintf(name, sizeof(name), "%s", pw->pw_name);
	snprintf(a->account, sizeof(a->account), "%s", name);
	return a->account;
}

static int
read_line(char *dst, size_t dstlen)
{
	size_t	 n;

	if (fgets(dst, (int)dstlen, stdin) == NULL)
		return -1;
	n = strcspn(dst, "\r\n");
	if (dst[n] == '\0' && !feof(stdin))
		return -2;		/* longer than dst */
	dst[n] = '\0';
	return 0;
}

static int
ask(const char *prompt, char *dst, size_t dstlen)
{
	struct termios	 old, quiet;
	int		 r;

	fputs(prompt, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	r = read_line(dst, dstlen);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	fputc('\n', stderr);
	return r;
}

int
admin_password(const char *prog, int from_stdin, char *dst, size_t dstlen)
{
	char	 again[PASSWORD_MAX + 2];
	int	 r;

	if (from_stdin) {
		if ((r = read_line(dst, dstlen)) == -2)
			return admin_fail(prog, "%s", tr("password too long"));
		if (r == -1 || dst[0] == '\0')
			return admin_fail(prog, "%s", tr("no password on standard "
			    "input"));
		return 0;
	}
	if (!isatty(STDIN_FILENO))
		return admin_fail(prog, "%s", tr("no password given: use "
		    "--password-stdin, or run on a terminal to be asked"));
	if (ask(tr("New password: "), dst, dstlen) != 0 || dst[0] == '\0')
		return admin_fail(prog, "%s", tr("no password given"));
	if (ask(tr("Again: "), again, sizeof(again)) != 0 || strcmp(dst, again) != 0) {
		explicit_bzero(again, sizeof(again));
		explicit_bzero(dst, dstlen);
		return admin_fail(prog, "%s", tr("the passwords differ"));
	}
	explicit_bzero(again, sizeof(again));
	return 0;
}

int
admin_hash(struct admin *a, const char *password, char *dst, size_t dstlen)
{
	const char	*errstr;

	if (password_hash(password, a->conf->auth_cost, dst, dstlen, &errstr) == -1)
		return admin_fail(a->prog, "%s", errstr);
	return 0;
}

static struct table *
role_table(struct admin *a, enum admin_role role)
{
	return role == ADMIN_DOMAINS ? a->domains : role == ADMIN_VIRTUAL ?
	    a->virtual : role == ADMIN_CREDS ? a->creds : a->senders;
}

struct table_edit *
admin_edit_open(struct admin *a, enum admin_role role)
{
	struct table		*t = admin_table(a, role);
	struct table_edit	*te;
	const char		*errstr;

	if (t == NULL)
		return NULL;
	if (a->batch && a->edits[role] != NULL)
		return a->edits[role];
	te = xcalloc(1, sizeof(*te));
	if (table_edit_open(te, t->path, role == ADMIN_CREDS ? 0600 : 0644,
	    &errstr) == -1) {
		free(te);
		admin_fail(a->prog, "%s", errstr);
		return NULL;
	}
	if (a->batch)
		a->edits[role] = te;
	return te;
}

void
admin_edit_abort(struct admin *a, struct table_edit *te)
{
	if (a->batch)
		return;		/* the batch's file stays open; nothing was set */
	table_edit_close(te);
	free(te);
}

int
admin_edit_commit(struct admin *a, enum admin_role role, struct table_edit *te)
{
	struct table	*t = role_table(a, role);
	const char	*errstr;
	int		 r;

	if (a->batch) {
		/* What routing and the checks of the next entries must see. */
		if (te->last_key != NULL &&
		    table_add(t, te->last_key, te->last_value, &errstr) == -1)
			return admin_fail(a->prog, "%s", errstr);
		return 0;
	}
	r = table_edit_commit(te, &errstr);
	table_edit_close(te);
	free(te);
	if (r == -1)
		return admin_fail(a->prog, "%s", errstr);
	if (table_load(t, &errstr) == -1)
		return admin_fail(a->prog, "%s", errstr);
	return 0;
}

void
admin_batch_begin(struct admin *a)
{
	a->batch = 1;
}

int
admin_batch_end(struct admin *a)
{
	const char	*errstr;
	int		 i, rc = 0;

	a->batch = 0;
	for (i = 0; i < 4; i++) {
		struct table_edit	*te = a->edits[i];

		if (te == NULL)
			continue;
		if (table_edit_commit(te, &errstr) == -1)
			rc = admin_fail(a->prog, "%s", errstr);
		else if (table_load(role_table(a, (enum admin_role)i), &errstr) == -1)
			rc = admin_fail(a->prog, "%s", errstr);
		table_edit_close(te);
		free(te);
		a->edits[i] = NULL;
	}
	return rc;
}

char **
admin_targets(const char *value, int *n)
{
	char		**v = NULL;
	const char	*p = value, *end;
	size_t		 len;

	*n = 0;
	while (p && *p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		end = p + strcspn(p, ",");
		len = (size_t)(end - p);
		while (len > 0 && isspace((unsigned char)p[len - 1]))
			len--;
		v = reallocarray(v, (size_t)*n + 1, sizeof(*v));
		if (v == NULL)
			abort();
		v[(*n)++] = strndup(p, len);
		p = end;
	}
	return v;
}

void
admin_targets_free(char **v, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
admin_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char	 c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
