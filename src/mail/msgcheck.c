/* RFC 5322 3.6 field counts: exactly one Date and From, at most one of the originator, destination and identification fields. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/dkim.h"
#include "mail/msgcheck.h"

static const struct {
	const char	*name;
	unsigned	 min;
} fields[] = {
	{ "Date", 1 }, { "From", 1 }, { "Sender", 0 }, { "Reply-To", 0 },
	{ "To", 0 }, { "Cc", 0 }, { "Bcc", 0 }, { "Message-ID", 0 },
	{ "In-Reply-To", 0 }, { "References", 0 }, { "Subject", 0 },
};

/* The field's name (white space before the colon ignored) is name, in any case. */
static int
named(const struct dkim_hdr *h, const char *name, size_t len)
{
	size_t	 n = h->namelen;

	while (n > 0 && (h->name[n - 1] == ' ' || h->name[n - 1] == '\t'))
		n--;
	return n == len && strncasecmp(h->name, name, len) == 0;
}

int
msgcheck_counts(const struct dkim_hdr *hdrs, size_t n, char *why, size_t whylen)
{
	size_t		 f, i, len, count;

	for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		len = strlen(fields[f].name);
		for (count = 0, i = 0; i < n; i++)
			count += (size_t)named(&hdrs[i], fields[f].name, len);
		if (count < fields[f].min) {
			(void)snprintf(why, whylen, "no %s header field",
			    fields[f].name);
			return -1;
		}
		if (count > 1) {
			(void)snprintf(why, whylen, "%zu %s header fields", count,
			    fields[f].name);
			return -1;
		}
	}
	return 0;
}
