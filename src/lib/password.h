/* Stored password hashes: the credentials table's values, checked and made with crypt(3). */
#ifndef TEGAMI_PASSWORD_H
#define TEGAMI_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX		1024	/* longest password accepted from a client */
#define PASSWORD_HASH_MAX	512	/* longest stored hash */
#define PASSWORD_COST_DEFAULT	10	/* bcrypt cost of new hashes */

enum password_scheme {
	PW_CRYPT,	/* a crypt(3) hash: $2b$ $2y$ $2a$ $6$ $5$ $y$ $1$, DES */
	PW_PLAIN,	/* {PLAIN}secret (vpopmail clear passwords) */
};

/*
 * Parses a credentials table value: the hash, then optional ":fields" that
 * passwd-file formats carry (uid, gid, home ...) and that are ignored, with
 * an optional Dovecot scheme prefix ({BLF-CRYPT}, {SHA512-CRYPT},
 * {SHA256-CRYPT}, {MD5-CRYPT}, {CRYPT}, {PLAIN}). The hash or clear
 * password goes to out. Returns 0, or -1 with errstr (static text) when the
 * value is no hash this version can check.
 */
int	 password_parse(const char *stored, enum password_scheme *,
	    char *out, size_t outlen, const char **errstr);

/*
 * Checks password against a stored value. Returns 1 on a match, 0 when it
 * does not match, -1 with errstr when the stored value is unusable. The
 * final compare is constant-time. Slow by design (bcrypt): call it off the
 * event loop.
 */
int	 password_verify(const char *stored, const char *password,
	    const char **errstr);

/*
 * 1 when a stored value that checks is not bcrypt (clear, DES, MD5, SHA
 * crypt, yescrypt): the first good login replaces it (issue 13, "old
 * hashes keep working and are re-hashed with bcrypt").
 */
int	 password_needs_rehash(const char *stored);

/*
 * Spends the time of a bcrypt check (cost PASSWORD_COST_DEFAULT) for a login
 * that does not exist, so that the answer's timing does not tell.
 */
void	 password_dummy(const char *password);

/* A new bcrypt ($2b$) hash of password with cost 4..31. 0, or -1 with errstr. */
int	 password_hash(const char *password, int cost, char *out, size_t outlen,
	    const char **errstr);

#endif
