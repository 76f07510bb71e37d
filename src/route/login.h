/* Logins: a user's entry in a credentials table. */
#ifndef TEGAMI_LOGIN_H
#define TEGAMI_LOGIN_H

#include <stddef.h>

struct table;

/*
 * The credentials table's value for login, or NULL: the exact key first,
 * then keys and login folded to lower case (tegami.conf(5): credentials
 * lookups fold keys to lower case). found gets the identity to use: the
 * login as given, or lowercased when only the folded lookup matched.
 */
const char	*login_lookup(const struct table *creds, const char *login,
		    char *found, size_t foundlen);

#endif
