/* HELO/EHLO names: domain or address literal, fully qualified or not (RFC 5321 4.1.1.1, 4.1.3). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/addr.h"
#include "mail/helo.h"

#define LABEL_MAX	63
#define DOMAIN_MAX	253	/* without the final dot (RFC 1035 2.3.4) */

static enum helo_kind
invalid(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return HELO_INVALID;
}

static int
is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* "[192.0.2.1]" or "[IPv6:2001:db8::1]"; general literals ("[tag:x]") are not addresses. */
static enum helo_kind
literal(const char *s, size_t len, char *addr, size_t addrlen, int *family,
    const char **why)
{
	unsigned char	 bin[16];
	char		 text[64];
	const char	*p = s + 1;
	size_t		 n = len - 2;
	int		 af = AF_INET;

	if (len < 3 || s[len - 1] != ']')
		return invalid(why, "unterminated address literal");
	if (n >= 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		af = AF_INET6;
		p += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof(text))
		return invalid(why, "bad address literal");
	memcpy(text, p, n);
	text[n] = '\0';
	if (inet_pton(af, text, bin) != 1)
		return invalid(why, "bad address literal");
	/* The canonical text, so that comparisons do not depend on the spelling. */
	if (addr != NULL && inet_ntop(af, bin, text, sizeof(text)) != NULL)
		snprintf(addr, addrlen, "%s", text);
	if (family != NULL)
		*family = af;
	return HELO_LITERAL;
}

enum helo_kind
helo_classify(const char *s, size_t len, char *addr, size_t addrlen, int *family,
    const char **why)
{
	size_t	 i, label = 0, labels = 0, last_start = 0, l;
	int	 numeric = 1, all_numeric = 1;

	if (addr != NULL && addrlen > 0)
		addr[0] = '\0';
	if (len == 0)
		return invalid(why, "empty name");
	if (len > HELO_NAME_MAX)
		return invalid(why, "name too long");
	if (memchr(s, '\0', len) != NULL)
		return invalid(why, "NUL in name");
	if (s[0] == '[')
		return literal(s, len, addr, addrlen, family, why);
	if (s[len - 1] == '.')
		len--;		/* the root, written out */
	if (len == 0)
		return invalid(why, "empty name");
	if (len > DOMAIN_MAX)
		return invalid(why, "name too long");
	for (i = 0; i <= len; i += l) {
		l = 1;
		if (i == len || s[i] == '.') {
			if (label == 0)
				return invalid(why, "empty label");
			if (s[i - 1] == '-')
				return invalid(why, "label ends with a hyphen");
			labels++;
			if (!numeric)
				all_numeric = 0;
			if (i < len) {
				last_start = i + 1;
				label = 0;
				numeric = 1;
			}
			continue;
		}
		if ((unsigned char)s[i] >= 0x80) {
			/* RFC 6531 3.7.1: U-labels, when well-formed UTF-8. */
			if ((l = addr_utf8_len(s + i, len - i)) == 0)
				return invalid(why, "bad UTF-8 in name");
			numeric = 0;
		} else if (!is_ldh((unsigned char)s[i]))
			return invalid(why, "invalid character in name");
		else if (s[i] == '-' && label == 0)
			return invalid(why, "label starts with a hyphen");
		else if (s[i] < '0' || s[i] > '9')
			numeric = 0;
		label += l;
		if (label > LABEL_MAX)
			return invalid(why, "label too long");
	}
	if (all_numeric)
		return invalid(why, "address without brackets");
	/* A numeric top-level label names no delegated domain (RFC 3696 2). */
	for (i = last_start; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			break;
	if (labels < 2 || i == len)
		return HELO_NOT_FQDN;
	return HELO_FQDN;
}

int
helo_same_name(const char *a, const char *b)
{
	size_t	 la, lb;

	if (a == NULL || b == NULL)
		return 0;
	la = strlen(a);
	lb = strlen(b);
	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la > 0 && la == lb && strncasecmp(a, b, la) == 0;
}
