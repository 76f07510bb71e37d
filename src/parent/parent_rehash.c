/* Old password hashes replaced by bcrypt after a good login: the parent writes the credentials file. */
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/table.h"
#include "conf/table_edit.h"
#include "lib/log.h"
#include "lib/password.h"
#include "parent/parent_priv.h"

/*
 * Issue 13: hashes imported from vpopmail and qmail ($1$, DES, clear) keep
 * working and become bcrypt at the user's next good login. The auth
 * process asks; the parent, which alone may write the file (root, mode
 * 600), believes nothing it says: the password must check against the
 * entry as the parent's own configuration has it, and the hash written is
 * the parent's. The bcrypt computation (tens of milliseconds at cost 10)
 * runs here once per such user, not on every login.
 */
void
parent_rehash(uint32_t li, const char *key, const char *password)
{
	const struct listener	*l;
	const struct table	*t;
	const char		*stored, *errstr;
	char			 hash[PASSWORD_HASH_MAX + 1];
	int			 r;

	if (li >= P.conf->nlisteners || key == NULL || password == NULL)
		return;
	l = P.conf->listeners[li];
	if ((t = l->auth) == NULL || t->backend != TABLE_FILE || t->path == NULL)
		return;		/* nothing the parent can rewrite */
	if ((stored = table_get(t, key)) == NULL || !password_needs_rehash(stored))
		return;
	if (password_verify(stored, password, &errstr) != 1) {
		log_msg(LOG_WARNING, "parent: refusing to rehash %s in %s: the "
		    "password does not match the stored hash", key, t->path);
		return;
	}
	if (password_hash(password, P.conf->auth_cost, hash, sizeof(hash),
	    &errstr) == -1) {
		log_msg(LOG_ERR, "parent: rehash %s: %s", key, errstr);
		return;
	}
	r = table_edit_rehash(t->path, key, stored, hash, &errstr);
	explicit_bzero(hash, sizeof(hash));
	if (r == -1)
		log_msg(LOG_ERR, "parent: rehash %s in %s: %s", key, t->path, errstr);
	else if (r == 1)
		log_msg(LOG_INFO, "parent: %s in %s now has a bcrypt hash", key,
		    t->path);
}
