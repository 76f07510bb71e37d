/* Postfix's main.cf, master.cf and lookup-table sources, as the importer reads them. Pure. */
#ifndef TEGAMI_POSTCONF_H
#define TEGAMI_POSTCONF_H

#include <stddef.h>

/* Hard limits: the files may come from anywhere. */
#define POSTCONF_FILE_MAX	(4 * 1024 * 1024)
#define POSTCONF_LINE_MAX	(64 * 1024)	/* a logical line, continuations joined */
#define POSTCONF_ENTRIES_MAX	100000
#define POSTCONF_EXPAND_DEPTH	20		/* $a -> $b -> ... */
#define POSTCONF_EXPAND_MAX	(64 * 1024)	/* octets of an expanded value */

struct postconf_entry {
	char	*name;		/* parameter name, or a lookup table's key */
	char	*value;
	int	 line;		/* where it starts */
};

struct postconf {
	struct postconf_entry	*v;
	size_t			 n;
};

/*
 * main.cf: "name = value" logical lines; a line starting with blanks
 * continues the previous one; '#' lines and blank lines are skipped (a
 * '#' elsewhere is part of the value, as in Postfix). Values are trimmed.
 * A later setting of a name wins (postconf_get). -1 with errstr naming the
 * line when a line is no "name = value", or a limit is passed.
 */
int	 postconf_parse_main(const char *text, size_t len, struct postconf *,
	    char *errstr, size_t errlen);
/*
 * A lookup-table source (postmap(1) input): "key value" (or "key" alone),
 * continuations and comments as in main.cf.
 */
int	 postconf_parse_map(const char *text, size_t len, struct postconf *,
	    char *errstr, size_t errlen);
void	 postconf_free(struct postconf *);

/* The last value of name, or NULL. */
const char *postconf_get(const struct postconf *, const char *name);

/*
 * The value of name with $name, ${name} and $(name) expanded from conf,
 * then from defaults (may be NULL), recursively; ${name?text} and
 * ${name:text} as Postfix has them; "$$" is a '$'. An unknown name is
 * empty. NULL when name has no value at all; a value passing a limit is
 * cut at the limit. Caller frees.
 */
char	*postconf_expand(const struct postconf *conf, const struct postconf *defaults,
	    const char *name);

/* Splits a list value on commas and blanks; *n items (malloc'ed, free with postconf_list_free). */
char	**postconf_list(const char *value, size_t *n);
void	 postconf_list_free(char **, size_t);

/* One master.cf service: the seven fields, the command and its -o overrides. */
struct postconf_service {
	char		*name, *type, *priv, *unpriv, *chroot, *wakeup, *maxproc;
	char		*command;		/* the command name ("smtpd") */
	struct postconf	 opts;			/* -o name=value */
	int		 line;
};

struct postconf_master {
	struct postconf_service	*v;
	size_t			 n;
};

/*
 * master.cf: one service a logical line (continuations start with blanks),
 * at least eight fields; "-o name=value" and "-o { name = value }" among
 * the command's arguments are collected. -1 with errstr on a line with too
 * few fields or a malformed -o.
 */
int	 postconf_parse_master(const char *text, size_t len, struct postconf_master *,
	    char *errstr, size_t errlen);
void	 postconf_master_free(struct postconf_master *);

/* "hash:/etc/postfix/transport" -> type "hash", path; -1 when not TYPE:PATH. */
int	 postconf_map_ref(const char *ref, char *type, size_t typelen, char *path,
	    size_t pathlen);

#endif
