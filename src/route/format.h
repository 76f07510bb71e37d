/* Format specifiers of smtpd.conf(5): %{rcpt.domain[0:-4]:lowercase|strip} and friends. */
#ifndef TEGAMI_FORMAT_H
#define TEGAMI_FORMAT_H

struct buf;

struct format_ctx {
	const char	*sender;	/* may be "" */
	const char	*rcpt;
	const char	*dest;
	const char	*user_name;	/* %{user.username} */
	const char	*user_dir;	/* %{user.directory} */
	const char	*mbox_from;
	const char	*mda;
	char		 sub_addr_delim; /* for :strip */
};

/*
 * Appends the expansion of fmt to out. Unless :raw is given, characters
 * other than letters, digits and "+-.@_=" in expanded values become ':'
 * (and a leading '.' of a value too, so "%{rcpt.user}" can never be ".."
 * nor climb out of a path), as OpenSMTPD does. %{user.directory} and %{mda}
 * come from the system, not the envelope, and are never changed. A leading
 * "~" in fmt stands for %{user.directory}. Slices count from 0, the end is
 * inclusive and a negative end drops that many characters; the slice
 * applies after the modifiers. Returns 0 or -1 with errstr (unknown token,
 * bad slice, unknown modifier, token not available in ctx, slice beyond the
 * value), out then unchanged.
 */
int	 format_expand(struct buf *out, const char *fmt, const struct format_ctx *,
	    const char **errstr);
/* Syntax check for the config parser; same errors as format_expand. */
int	 format_check(const char *fmt, const char **errstr);

#endif
