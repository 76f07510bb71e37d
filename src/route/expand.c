/* Recipient expansion: aliases(5) and virtual tables into deliveries, targets routed again. */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "route/expand.h"
#include "route/format.h"
#include "route/ruleset.h"
#include "conf/table.h"
#include "lib/buf.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "mail/addr.h"
#include "mail/reply.h"
#include "mail/srs.h"
#include "mail/envelope.h"

#define INCLUDE_MAX	(64 * 1024)		/* a :include: file */
#define WORK_MAX	(EXPAND_FANOUT_MAX * 8)	/* targets visited, duplicates too */
#define DPATH_MAX	8192			/* an expanded path or command */
#define ADDRSTR_MAX	(ADDR_LOCAL_MAX + ADDR_DOMAIN_MAX + 2)

enum xmode { XM_VIRTUAL, XM_ALIAS };

struct xstate {
	const struct conf	*conf;
	struct match_ctx	 mctx;		/* the session's, for routing targets again */
	char			 orig[ADDRSTR_MAX];
	struct expand_error	*err;
	struct delivery		*out;		/* owned strings until committed */
	size_t			 nout;
	char			**path;		/* "a:addr", "u:name", "i:file" from the root */
	size_t			 npath;
	size_t			 work;
	const char		*at_file;	/* the :include: file being read, for the log */
	unsigned		 at_line;
};

/* What a list of targets stands for. */
struct xnode {
	const struct action	*action;
	const char		*addr;		/* nearest address: the deliveries' dest */
	const char		*user;		/* alias name being expanded, or NULL */
	enum xmode		 mode;
	int			 depth;
};

static enum expand_status expand_address(struct xstate *, const struct action *,
    const struct mailaddr *, int);
static enum expand_status expand_list(struct xstate *, const struct xnode *,
    const char *);

static enum expand_status
xfail(struct xstate *st, enum expand_status s, int code, const char *enhanced,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static enum expand_status
xfail(struct xstate *st, enum expand_status s, int code, const char *enhanced,
    const char *fmt, ...)
{
	va_list	 ap;

	st->err->code = code;
	snprintf(st->err->enhanced, sizeof(st->err->enhanced), "%s", enhanced);
	va_start(ap, fmt);
	vsnprintf(st->err->text, sizeof(st->err->text), fmt, ap);
	va_end(ap);
	return s;
}

/* A configuration problem: the mail waits while the admin fixes it. */
static enum expand_status
xconfig(struct xstate *st, const char *what, const char *detail)
{
	if (st->at_file != NULL)
		log_msg(LOG_WARNING, "expand rcpt=%s error=\"%s\" detail=\"%s\" "
		    "at=%s:%u", st->orig, what, detail, st->at_file, st->at_line);
	else
		log_msg(LOG_WARNING, "expand rcpt=%s error=\"%s\" detail=\"%s\"",
		    st->orig, what, detail);
	return xfail(st, EXPAND_TEMPFAIL, 451, "4.3.0",
	    "<%s>: Temporary failure: %s", st->orig, what);
}

static enum expand_status
xloop(struct xstate *st)
{
	return xfail(st, EXPAND_PERMFAIL, 550, "5.4.6",
	    "<%s>: Recipient address rejected: alias loop", st->orig);
}

static enum expand_status
xunknown(struct xstate *st)
{
	return xfail(st, EXPAND_PERMFAIL, 550, "5.1.1",
	    "<%s>: Recipient address rejected: User unknown", st->orig);
}

static enum expand_status
xtoomany(struct xstate *st)
{
	return xfail(st, EXPAND_PERMFAIL, 550, "5.7.0",
	    "<%s>: Recipient address rejected: too many destinations", st->orig);
}

/* ---- the path from the original recipient, for loop detection ---- */

static int
path_push(struct xstate *st, char kind, const char *s)
{
	char	*key;

	key = xasprintf("%c:%s", kind, s);
	addr_lower(key);
	for (size_t i = 0; i < st->npath; i++)
		if (strcmp(st->path[i], key) == 0) {
			free(key);
			return -1;
		}
	st->path = xreallocarray(st->path, st->npath + 1, sizeof(*st->path));
	st->path[st->npath++] = key;
	return 0;
}

static void
path_pop(struct xstate *st)
{
	free(st->path[--st->npath]);
}

/* ---- collected deliveries ---- */

static int
streq_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
delivery_clear(struct delivery *d)
{
	x_free(&d->rcpt);
	x_free(&d->dest);
	x_free(&d->action);
	x_free(&d->account);
	x_free(&d->path);
	x_free(&d->sender);
}

/* Takes the strings of d. Two branches reaching the same place deliver once. */
static enum expand_status
add_delivery(struct xstate *st, struct delivery *d)
{
	for (size_t i = 0; i < st->nout; i++) {
		const struct delivery *o = &st->out[i];

		if (o->method == d->method && streq_null(o->account, d->account) &&
		    streq_null(o->path, d->path) && streq_null(o->dest, d->dest)) {
			delivery_clear(d);
			return EXPAND_OK;
		}
	}
	if (st->nout >= EXPAND_FANOUT_MAX) {
		delivery_clear(d);
		return xtoomany(st);
	}
	st->out = xreallocarray(st->out, st->nout + 1, sizeof(*st->out));
	st->out[st->nout++] = *d;
	return EXPAND_OK;
}

/* A relay delivery; sender, when not NULL, is its own reverse-path (SRS). */
static enum expand_status
add_relay(struct xstate *st, const struct action *a, const char *addr,
    const char *domain, const char *sender)
{
	struct delivery	 d;

	memset(&d, 0, sizeof(d));
	d.state = DSTATE_PENDING;
	d.method = DELIVER_RELAY;
	d.dest = xstrdup(addr);
	d.action = xstrdup(a->name);
	d.path = xstrdup(domain);
	if (sender != NULL)
		d.sender = xstrdup(sender);
	return add_delivery(st, &d);
}

/* ---- accounts ---- */

struct account {
	char	*name;		/* system account that writes */
	char	*user;		/* %{user.username} */
	char	*dir;		/* %{user.directory} */
};

static void
account_clear(struct account *acc)
{
	x_free(&acc->name);
	x_free(&acc->user);
	x_free(&acc->dir);
}

/* getpwnam_r/getpwuid_r; 1 found, 0 no such user, -1 the database failed. */
static int
pw_lookup(const char *name, uid_t uid, struct account *acc)
{
	struct passwd	 pw, *res = NULL;
	char		*buf;
	long		 sz;
	size_t		 bufsz;
	int		 r;

	sz = sysconf(_SC_GETPW_R_SIZE_MAX);
	bufsz = sz > 0 ? (size_t)sz : 16384;
	for (;;) {
		buf = xmalloc(bufsz);
		if (name != NULL)
			r = getpwnam_r(name, &pw, buf, bufsz, &res);
		else
			r = getpwuid_r(uid, &pw, buf, bufsz, &res);
		if (r != ERANGE || bufsz > 1024 * 1024)
			break;
		free(buf);
		bufsz *= 2;
	}
	if (res == NULL) {
		free(buf);
		/* "Not found" comes back as 0 or one of these, depending on the source. */
		if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM)
			return 0;
		return -1;
	}
	acc->name = xstrdup(pw.pw_name);
	acc->user = xstrdup(pw.pw_name);
	acc->dir = xstrdup(pw.pw_dir);
	free(buf);
	return 1;
}

/*
 * A userbase entry "uid:gid:directory": the account is the system user
 * owning uid, the directory the entry's.
 */
static int
userbase_lookup(const struct table *ub, const char *name, struct account *acc)
{
	const char	*v, *p;
	char		*end;
	unsigned long	 uid;
	int		 r;

	if ((v = table_get_fold(ub, name)) == NULL)
		return 0;
	errno = 0;
	uid = strtoul(v, &end, 10);
	if (errno != 0 || end == v || *end != ':' || uid > (unsigned long)(uid_t)-1)
		return -1;
	if ((p = strchr(end + 1, ':')) == NULL || p[1] != '/')
		return -1;
	if ((r = pw_lookup(NULL, (uid_t)uid, acc)) != 1)
		return r == 0 ? -1 : r;
	free(acc->user);
	free(acc->dir);
	acc->user = xstrdup(name);
	acc->dir = xstrdup(p + 1);
	return 1;
}

/* ---- local deliveries ---- */

static const struct mda_wrapper *
find_wrapper(const struct conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->nwrappers; i++)
		if (strcmp(conf->wrappers[i]->name, name) == 0)
			return conf->wrappers[i];
	return NULL;
}

static int
expand_fmt(const char *fmt, const struct format_ctx *fc,
    char **out, const char **errstr)
{
	struct buf	 b;

	buf_init(&b, DPATH_MAX);
	if (format_expand(&b, fmt, fc, errstr) == -1) {
		buf_free(&b);
		return -1;
	}
	if (b.len == 0) {
		buf_free(&b);
		*errstr = "expands to nothing";
		return -1;
	}
	*out = buf_release(&b);
	return 0;
}

/* The path (or command) of a delivery to acc under action a. */
static enum expand_status
local_path(struct xstate *st, const struct action *a, const struct xnode *node,
    const struct account *acc, enum delivery_method *method, char **path)
{
	const struct mda_wrapper *w;
	struct format_ctx fc;
	const char	*errstr;
	char		*cmd = NULL;

	memset(&fc, 0, sizeof(fc));
	fc.sender = st->mctx.mail_from != NULL ? st->mctx.mail_from : "";
	fc.rcpt = st->orig;
	fc.dest = node->addr;
	fc.user_name = acc->user;
	fc.user_dir = acc->dir;
	fc.mbox_from = fc.sender;
	fc.sub_addr_delim = st->conf->sub_addr_delim;

	switch (a->method) {
	case ACTION_MAILDIR:
		*method = DELIVER_MAILDIR;
		if (a->path == NULL) {
			*path = xasprintf("%s/Maildir", acc->dir);
			return EXPAND_OK;
		}
		if (expand_fmt(a->path, &fc, path, &errstr) == -1)
			return xconfig(st, "bad maildir path", errstr);
		return EXPAND_OK;
	case ACTION_MBOX:
		*method = DELIVER_MBOX;
		*path = xasprintf("/var/mail/%s", acc->name);
		return EXPAND_OK;
	case ACTION_LMTP:
		*method = DELIVER_LMTP;
		if (a->command == NULL)
			return xconfig(st, "lmtp action without destination", a->name);
		*path = xstrdup(a->command);
		return EXPAND_OK;
	case ACTION_MDA:
		*method = DELIVER_MDA;
		if (a->command == NULL)
			return xconfig(st, "mda action without command", a->name);
		if (expand_fmt(a->command, &fc, &cmd, &errstr) == -1)
			return xconfig(st, "bad mda command", errstr);
		if (a->wrapper == NULL) {
			*path = cmd;
			return EXPAND_OK;
		}
		if ((w = find_wrapper(st->conf, a->wrapper)) == NULL) {
			free(cmd);
			return xconfig(st, "unknown mda wrapper", a->wrapper);
		}
		fc.mda = cmd;
		if (expand_fmt(w->command, &fc, path, &errstr) == -1) {
			free(cmd);
			return xconfig(st, "bad mda wrapper", errstr);
		}
		free(cmd);
		return EXPAND_OK;
	default:
		return xfail(st, EXPAND_PERMFAIL, 550, "5.7.1",
		    "<%s>: Recipient address rejected: no local delivery method",
		    st->orig);
	}
}

/*
 * Delivery as a user: the virtual table's terminal account, an alias name
 * or the recipient's local part. The action's "user" takes precedence.
 * missing says what a user not in the passwd database means here.
 */
static enum expand_status
deliver_user(struct xstate *st, const struct xnode *node, const char *name,
    enum expand_status missing)
{
	const struct action *a = node->action;
	struct account	 acc;
	struct delivery	 d;
	enum expand_status r;
	int		 found;

	if (a->method == ACTION_EXPAND_ONLY || a->method == ACTION_FORWARD_ONLY)
		return xfail(st, EXPAND_PERMFAIL, 550, "5.7.1",
		    "<%s>: Recipient address rejected: no delivery method "
		    "for local user", st->orig);
	memset(&acc, 0, sizeof(acc));
	memset(&d, 0, sizeof(d));
	if (a->user != NULL) {
		if ((found = pw_lookup(a->user, 0, &acc)) != 1) {
			r = xconfig(st, found == 0 ? "unknown system user" :
			    "user database unavailable", a->user);
			goto fail;
		}
	} else {
		found = a->userbase != NULL ?
		    userbase_lookup(a->userbase, name, &acc) :
		    pw_lookup(name, 0, &acc);
		if (found == -1) {
			r = xconfig(st, "user database unavailable", name);
			goto fail;
		}
		if (found == 0) {
			r = missing == EXPAND_PERMFAIL ? xunknown(st) :
			    xconfig(st, "unknown system user", name);
			goto fail;
		}
	}
	if ((r = local_path(st, a, node, &acc, &d.method, &d.path)) != EXPAND_OK)
		goto fail;
	d.state = DSTATE_PENDING;
	d.dest = xstrdup(node->addr);
	d.action = xstrdup(a->name);
	d.account = acc.name;
	acc.name = NULL;
	account_clear(&acc);
	return add_delivery(st, &d);

fail:
	account_clear(&acc);
	delivery_clear(&d);
	return r;
}

/* "/file" or "|command" from an alias: run as the daemon's user (aliases(5)). */
static enum expand_status
deliver_special(struct xstate *st, const struct xnode *node, const char *target)
{
	const struct action *a = node->action;
	const char	*who;
	struct account	 acc;
	struct delivery	 d;
	int		 found;

	if (a->method == ACTION_FORWARD_ONLY)
		return xfail(st, EXPAND_PERMFAIL, 550, "5.7.1",
		    "<%s>: Recipient address rejected: only forwarding is allowed",
		    st->orig);
	if (target[1 + strspn(target + 1, " \t")] == '\0')
		return xconfig(st, "invalid alias entry", target);
	if ((who = a->user != NULL ? a->user : st->conf->user) == NULL)
		return xconfig(st, "no account for file or command delivery",
		    target);
	memset(&acc, 0, sizeof(acc));
	if ((found = pw_lookup(who, 0, &acc)) != 1)
		return xconfig(st, found == 0 ? "unknown system user" :
		    "user database unavailable", who);
	memset(&d, 0, sizeof(d));
	d.state = DSTATE_PENDING;
	if (target[0] == '|') {
		d.method = DELIVER_MDA;
		target++;
		target += strspn(target, " \t");
	} else
		d.method = DELIVER_MBOX;
	d.path = xstrdup(target);
	d.dest = xstrdup(node->addr);
	d.action = xstrdup(a->name);
	d.account = acc.name;
	acc.name = NULL;
	account_clear(&acc);
	return add_delivery(st, &d);
}

/* ---- targets ---- */

/*
 * "error:550 5.1.1 text" as aliases(5) has it: 4XX tempfails, 5XX permfails.
 * A malformed entry (a table edited after tegamid -n checked it) is the
 * admin's to fix: 451 and a log line, never a reply the session would take
 * for a broken invariant.
 */
static enum expand_status
target_error(struct xstate *st, const char *t)
{
	const char	*text, *errstr;
	char		 enhanced[8];
	int		 code;

	if (reply_error_entry(t, &code, enhanced, &text, &errstr) == -1)
		return xconfig(st, errstr, t);
	return xfail(st, code < 500 ? EXPAND_TEMPFAIL : EXPAND_PERMFAIL, code,
	    enhanced, "%s", text);
}

/*
 * A local address forwarded to a remote one. With the relay action's srs,
 * that delivery's reverse-path becomes the SRS0 address of the forwarding
 * domain: the next hop's SPF check sees us, and a bounce comes back here to
 * be reversed (route.c, for the null sender only). A sender of the
 * forwarder's own domain passes SPF as it is and stays.
 */
static enum expand_status
add_forward(struct xstate *st, const struct xnode *node, const struct action *a,
    const char *addr, const char *domain)
{
	const char	*from = st->mctx.mail_from, *fwd, *at, *errstr;
	char		 srs[ADDR_PATH_MAX + 1];

	fwd = node->addr != NULL ? strrchr(node->addr, '@') : NULL;
	at = from != NULL ? strrchr(from, '@') : NULL;
	if (a->srs && st->conf->srs_key != NULL && fwd != NULL && at != NULL &&
	    strcasecmp(at + 1, fwd + 1) != 0) {
		if (srs_forward(st->conf->srs_key, from, fwd + 1, time(NULL), srs,
		    sizeof(srs), &errstr) == 0)
			return add_relay(st, a, addr, domain, srs);
		log_msg(LOG_INFO, "expand rcpt=%s srs=none from=<%s> "
		    "reason=\"%s\"", st->orig, from, errstr);
	}
	return add_relay(st, a, addr, domain, NULL);
}

static enum expand_status
target_address(struct xstate *st, const struct xnode *node, const char *t)
{
	struct match_ctx ctx;
	struct mailaddr	 ma;
	const struct match *m;
	const char	*errstr;
	char		 addr[ADDRSTR_MAX];

	if (addr_parse(&ma, t, 1, &errstr) == -1 || ma.domain[0] == '\0')
		return xconfig(st, "invalid alias entry", t);
	addr_format(&ma, addr, sizeof(addr));
	ctx = st->mctx;
	ctx.rcpt_to = addr;
	m = ruleset_match(st->conf, &ctx);
	if (m == NULL || m->reject || m->action == NULL)
		return xfail(st, EXPAND_PERMFAIL, 550, "5.7.1",
		    "<%s>: Relay access denied (alias target of <%s>)", addr,
		    st->orig);
	if (m->action->method == ACTION_RELAY)
		return add_forward(st, node, m->action, addr, ma.domain);
	return expand_address(st, m->action, &ma, node->depth + 1);
}

/* Removes "+tag" from a name, as addr_strip_subaddr() does for addresses. */
static int
strip_tag(char *s, char delim)
{
	char	*p;

	if (delim == '\0' || (p = strchr(s, delim)) == NULL || p == s ||
	    p[-1] == '.')
		return 0;
	*p = '\0';
	return 1;
}

/* An alias name (primary domain): its entry, else the system user. */
static enum expand_status
expand_user(struct xstate *st, const struct xnode *node, const char *name,
    int depth)
{
	struct xnode	 child;
	const char	*value = NULL;
	char		*base;
	enum expand_status r;

	if (depth > EXPAND_DEPTH_MAX)
		return xloop(st);
	if (path_push(st, 'u', name) == -1)
		return xloop(st);
	base = xstrdup(name);
	strip_tag(base, st->conf->sub_addr_delim);
	/* The name with its sub-address first, then without (aliases(5)). */
	if (node->action->alias != NULL &&
	    (value = table_get_fold(node->action->alias, name)) == NULL)
		value = table_get_fold(node->action->alias, base);
	if (value != NULL) {
		child = *node;
		child.user = name;
		child.mode = XM_ALIAS;
		child.depth = depth;
		r = expand_list(st, &child, value);
	} else
		r = deliver_user(st, node, base, EXPAND_PERMFAIL);
	free(base);
	path_pop(st);
	return r;
}

static enum expand_status
target_include(struct xstate *st, const struct xnode *node, const char *t)
{
	const char	*file = t + strlen(":include:");
	struct xnode	 child;
	struct stat	 sb;
	char		*data = NULL, *line, *next, *p;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1;
	enum expand_status r;
	const char	*saved_file = st->at_file;
	unsigned	 saved_line = st->at_line;

	file += strspn(file, " \t");
	if (file[0] != '/')
		return xconfig(st, "invalid alias entry", t);
	if (node->depth + 1 > EXPAND_DEPTH_MAX)
		return xloop(st);
	if (path_push(st, 'i', file) == -1)
		return xloop(st);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		r = xconfig(st, "cannot read include file", file);
		goto fail;
	}
	data = xmalloc(INCLUDE_MAX + 1);
	while ((n = read(fd, data + len, INCLUDE_MAX + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			r = xconfig(st, "cannot read include file", file);
			goto fail;
		}
		len += (size_t)n;
		if (len > INCLUDE_MAX) {
			r = xconfig(st, "include file too large", file);
			goto fail;
		}
	}
	data[len] = '\0';
	if (memchr(data, '\0', len) != NULL) {
		r = xconfig(st, "include file is not text", file);
		goto fail;
	}
	child = *node;
	child.depth = node->depth + 1;
	r = EXPAND_OK;
	st->at_file = file;
	st->at_line = 0;
	for (line = data; line != NULL && r == EXPAND_OK; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		st->at_line++;
		for (p = line; *p != '\0'; p++)
			if (*p == '#' && (p == line || isspace((unsigned char)p[-1]))) {
				*p = '\0';
				break;
			}
		if (line[strspn(line, " \t\r")] != '\0')
			r = expand_list(st, &child, line);
	}

fail:
	st->at_file = saved_file;
	st->at_line = saved_line;
	if (fd != -1)
		close(fd);
	free(data);
	path_pop(st);
	return r;
}

static enum expand_status
expand_target(struct xstate *st, const struct xnode *node, const char *t)
{
	const char	*name;

	if (++st->work > WORK_MAX)
		return xtoomany(st);
	if (t[0] == '|' || t[0] == '/')
		return deliver_special(st, node, t);
	if (strncasecmp(t, ":include:", 9) == 0)
		return target_include(st, node, t);
	if (strncasecmp(t, "error:", 6) == 0)
		return target_error(st, t);
	if (strchr(t, '@') != NULL)
		return target_address(st, node, t);
	if (node->mode == XM_VIRTUAL)
		return deliver_user(st, node, t, EXPAND_TEMPFAIL);
	/* "\user", and a name listing itself, are the user, not the alias. */
	name = t[0] == '\\' ? t + 1 : t;
	if (name[0] == '\0')
		return xconfig(st, "invalid alias entry", t);
	if (t[0] == '\\' ||
	    (node->user != NULL && strcasecmp(name, node->user) == 0))
		return deliver_user(st, node, name, EXPAND_PERMFAIL);
	return expand_user(st, node, name, node->depth + 1);
}

/*
 * A value: targets separated by commas. Double quotes keep commas in a
 * target ("|/usr/bin/cmd -a, -b") and are removed.
 */
static enum expand_status
expand_list(struct xstate *st, const struct xnode *node, const char *value)
{
	struct buf	 t;
	const char	*p;
	int		 quoted = 0, ntargets = 0;
	enum expand_status r = EXPAND_OK;

	for (p = value; *p != '\0'; p++)
		quoted ^= *p == '"';
	if (quoted)
		return xconfig(st, "unbalanced quote in alias entry", value);
	buf_init(&t, DPATH_MAX);
	for (p = value;; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (*p != '\0' && (*p != ',' || quoted)) {
			if (buf_addc(&t, *p) == -1) {
				r = xconfig(st, "alias entry too long", value);
				break;
			}
			continue;
		}
		while (t.len > 0 && isspace((unsigned char)t.data[t.len - 1]))
			t.data[--t.len] = '\0';
		if (t.len > 0) {
			size_t skip = strspn(t.data, " \t");

			if (t.data[skip] != '\0') {
				ntargets++;
				if ((r = expand_target(st, node, t.data + skip)) !=
				    EXPAND_OK)
					break;
			}
		}
		buf_reset(&t);
		if (*p == '\0')
			break;
	}
	buf_free(&t);
	if (r == EXPAND_OK && ntargets == 0)
		r = xconfig(st, "empty alias entry", value);
	return r;
}

/* ---- addresses ---- */

/*
 * The virtual table's entry for an address, tried from the most to the
 * least specific: user+tag@domain, user@domain, user+tag, user, @domain, @.
 * *untagged says the entry was found only without the sub-address: the
 * mail then belongs to user@domain, whose Maildir the path names.
 */
static const char *
virtual_lookup(const struct table *t, const struct mailaddr *a, char delim,
    int *untagged)
{
	struct mailaddr	 base = *a;
	char		 key[ADDRSTR_MAX + 1];
	const char	*v;
	int		 tagged;

	*untagged = 0;
	addr_strip_subaddr(&base, delim);
	tagged = strcmp(base.local, a->local) != 0;
	if (a->domain[0] != '\0') {
		snprintf(key, sizeof(key), "%s@%s", a->local, a->domain);
		if ((v = table_get_fold(t, key)) != NULL)
			return v;
		snprintf(key, sizeof(key), "%s@%s", base.local, a->domain);
		if (tagged && (v = table_get_fold(t, key)) != NULL) {
			*untagged = 1;
			return v;
		}
	}
	if ((v = table_get_fold(t, a->local)) != NULL)
		return v;
	if (tagged && (v = table_get_fold(t, base.local)) != NULL) {
		*untagged = 1;
		return v;
	}
	if (a->domain[0] != '\0') {
		snprintf(key, sizeof(key), "@%s", a->domain);
		if ((v = table_get_fold(t, key)) != NULL)
			return v;
	}
	return table_get_fold(t, "@");
}

/* An address under a local action: its table entry, else a system user. */
static enum expand_status
expand_address(struct xstate *st, const struct action *a,
    const struct mailaddr *ma, int depth)
{
	struct mailaddr	 base;
	struct xnode	 node;
	const char	*value;
	char		 addr[ADDRSTR_MAX], untagged_addr[ADDRSTR_MAX];
	enum expand_status r;
	int		 untagged;

	if (depth > EXPAND_DEPTH_MAX)
		return xloop(st);
	if (++st->work > WORK_MAX)
		return xtoomany(st);
	addr_format(ma, addr, sizeof(addr));
	if (path_push(st, 'a', addr) == -1)
		return xloop(st);
	memset(&node, 0, sizeof(node));
	node.action = a;
	node.addr = addr;
	node.depth = depth;
	if (a->virtual != NULL) {
		node.mode = XM_VIRTUAL;
		if ((value = virtual_lookup(a->virtual, ma,
		    st->conf->sub_addr_delim, &untagged)) == NULL)
			r = xunknown(st);
		else {
			if (untagged) {
				base = *ma;
				addr_strip_subaddr(&base, st->conf->sub_addr_delim);
				addr_format(&base, untagged_addr,
				    sizeof(untagged_addr));
				node.addr = untagged_addr;
			}
			r = expand_list(st, &node, value);
		}
	} else if (a->alias != NULL) {
		node.mode = XM_ALIAS;
		base = *ma;
		addr_lower(base.local);
		r = expand_user(st, &node, base.local, depth + 1);
	} else {
		base = *ma;
		addr_strip_subaddr(&base, st->conf->sub_addr_delim);
		addr_lower(base.local);
		r = deliver_user(st, &node, base.local, EXPAND_PERMFAIL);
	}
	path_pop(st);
	return r;
}

enum expand_status
expand_rcpt(const struct conf *conf, const struct match_ctx *ctx,
    const struct action *action, const struct mailaddr *rcpt,
    struct envelope *env, struct expand_error *err)
{
	struct xstate	 st;
	enum expand_status r;

	memset(err, 0, sizeof(*err));
	memset(&st, 0, sizeof(st));
	st.conf = conf;
	st.mctx = *ctx;
	st.err = err;
	addr_format(rcpt, st.orig, sizeof(st.orig));

	if (action == NULL)
		r = xfail(&st, EXPAND_PERMFAIL, 550, "5.7.1",
		    "<%s>: Recipient address rejected", st.orig);
	else if (action->method == ACTION_RELAY)
		r = add_relay(&st, action, st.orig, rcpt->domain, NULL);
	else
		r = expand_address(&st, action, rcpt, 0);
	if (r == EXPAND_OK && st.nout == 0)
		r = xfail(&st, EXPAND_PERMFAIL, 550, "5.1.1",
		    "<%s>: Recipient address rejected: no destination", st.orig);

	for (size_t i = 0; i < st.nout; i++) {
		if (r == EXPAND_OK) {
			st.out[i].rcpt = xstrdup(st.orig);
			st.out[i].state = DSTATE_PENDING;
			envelope_add(env, &st.out[i]);
		}
		delivery_clear(&st.out[i]);
	}
	free(st.out);
	while (st.npath > 0)
		path_pop(&st);
	free(st.path);
	return r;
}
