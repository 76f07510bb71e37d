/* A login's entry in a credentials table, found as tegami.conf(5) documents: without case. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "conf/table.h"
#include "route/login.h"

const char *
login_lookup(const struct table *creds, const char *login, char *found,
    size_t foundlen)
{
	const char	*v;
	size_t		 i;

	/* The login as given first: a key written in capitals still matches itself. */
	if ((v = table_get(creds, login)) != NULL) {
		snprintf(found, foundlen, "%s", login);
		return v;
	}
	/*
	 * Keys and login both folded to lower case, local part included: the
	 * login a user types is not the case an admin wrote. The identity is
	 * the folded login, as the senders and virtual lookups fold it too.
	 */
	if ((v = table_get_fold(creds, login)) == NULL)
		return NULL;
	snprintf(found, foundlen, "%s", login);
	for (i = 0; found[i] != '\0'; i++)
		found[i] = (char)tolower((unsigned char)found[i]);
	return v;
}
