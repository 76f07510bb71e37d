/* Maildir file names: parse and build bases, sizes and flags; make new unique names. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mail/maildir_name.h"

static const struct {
	unsigned	 flag;
	char		 letter;
	const char	*imap;
} sysflags[] = {
	{ MAILDIR_F_DRAFT, 'D', "\\Draft" },
	{ MAILDIR_F_FLAGGED, 'F', "\\Flagged" },
	{ MAILDIR_F_PASSED, 'P', NULL },
	{ MAILDIR_F_ANSWERED, 'R', "\\Answered" },
	{ MAILDIR_F_SEEN, 'S', "\\Seen" },
	{ MAILDIR_F_DELETED, 'T', "\\Deleted" },
};
#define NSYSFLAGS	(sizeof(sysflags) / sizeof(sysflags[0]))

static int
flag_char(int c)
{
	return c > 0x20 && c < 0x7f && c != '/' && c != ',' && c != ':';
}

void
maildir_flags_clear(struct maildir_flags *f)
{
	f->bits[0] = f->bits[1] = 0;
}

int
maildir_flags_add(struct maildir_flags *f, int c)
{
	if (!flag_char(c))
		return -1;
	f->bits[c >> 6] |= (uint64_t)1 << (c & 63);
	return 0;
}

void
maildir_flags_del(struct maildir_flags *f, int c)
{
	if (flag_char(c))
		f->bits[c >> 6] &= ~((uint64_t)1 << (c & 63));
}

int
maildir_flags_has(const struct maildir_flags *f, int c)
{
	return flag_char(c) && (f->bits[c >> 6] >> (c & 63) & 1) != 0;
}

int
maildir_flags_equal(const struct maildir_flags *a, const struct maildir_flags *b)
{
	return a->bits[0] == b->bits[0] && a->bits[1] == b->bits[1];
}

void
maildir_flags_add_str(struct maildir_flags *f, const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		(void)maildir_flags_add(f, (unsigned char)s[i]);
}

size_t
maildir_flags_format(const struct maildir_flags *f, char *dst, size_t dstlen)
{
	size_t	 n = 0;
	int	 c;

	if (dstlen == 0)
		return 0;
	for (c = 0x21; c < 0x7f; c++)
		if (maildir_flags_has(f, c) && n + 1 < dstlen)
			dst[n++] = (char)c;
	dst[n] = '\0';
	return n;
}

unsigned
maildir_flags_sys(const struct maildir_flags *f)
{
	unsigned	 m = 0;
	size_t		 i;

	for (i = 0; i < NSYSFLAGS; i++)
		if (maildir_flags_has(f, sysflags[i].letter))
			m |= sysflags[i].flag;
	return m;
}

void
maildir_flags_set_sys(struct maildir_flags *f, unsigned mask)
{
	size_t	 i;

	for (i = 0; i < NSYSFLAGS; i++) {
		if (mask & sysflags[i].flag)
			(void)maildir_flags_add(f, sysflags[i].letter);
		else
			maildir_flags_del(f, sysflags[i].letter);
	}
}

uint32_t
maildir_flags_keywords(const struct maildir_flags *f)
{
	uint32_t	 m = 0;
	int		 i;

	for (i = 0; i < 26; i++)
		if (maildir_flags_has(f, 'a' + i))
			m |= (uint32_t)1 << i;
	return m;
}

void
maildir_flags_set_keywords(struct maildir_flags *f, uint32_t mask)
{
	int	 i;

	for (i = 0; i < 26; i++) {
		if (mask >> i & 1)
			(void)maildir_flags_add(f, 'a' + i);
		else
			maildir_flags_del(f, 'a' + i);
	}
}

int
maildir_flag_letter(unsigned flag)
{
	size_t	 i;

	for (i = 0; i < NSYSFLAGS; i++)
		if (sysflags[i].flag == flag)
			return sysflags[i].letter;
	return 0;
}

unsigned
maildir_flag_of_letter(int c)
{
	size_t	 i;

	for (i = 0; i < NSYSFLAGS; i++)
		if (sysflags[i].letter == c)
			return sysflags[i].flag;
	return 0;
}

const char *
maildir_flag_imap(unsigned flag)
{
	size_t	 i;

	for (i = 0; i < NSYSFLAGS; i++)
		if (sysflags[i].flag == flag)
			return sysflags[i].imap;
	return NULL;
}

unsigned
maildir_flag_from_imap(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < NSYSFLAGS; i++)
		if (sysflags[i].imap != NULL &&
		    strlen(sysflags[i].imap) == len &&
		    strncasecmp(sysflags[i].imap, s, len) == 0)
			return sysflags[i].flag;
	return 0;
}

/* A decimal field value: 1 to 20 digits that fit 64 bits. */
static int
parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t	 v = 0;
	size_t		 i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned	 d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int64_t
maildir_name_time(const char *name)
{
	int64_t	 t = 0;
	size_t	 i;

	for (i = 0; i < 18 && name[i] >= '0' && name[i] <= '9'; i++)
		t = t * 10 + (name[i] - '0');
	return i > 0 && name[i] == '.' ? t : -1;
}

int
maildir_name_parse(const char *name, size_t len, struct maildir_name *mn)
{
	const char	*p, *end, *field;
	size_t		 i;
	int		 seen_s = 0, seen_w = 0;

	memset(mn, 0, sizeof(*mn));
	if (len == 0 || len > MAILDIR_NAME_MAX || name[0] == '.')
		return -1;
	mn->base_len = len;
	for (i = 0; i < len; i++) {
		unsigned char	 c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return -1;
		if (c == ':' && mn->base_len == len)
			mn->base_len = i;
	}
	if (mn->base_len == 0)
		return -1;
	p = memchr(name, ',', mn->base_len);
	mn->uniq_len = p ? (size_t)(p - name) : mn->base_len;

	/* The fields after the unique part: ",S=123,W=130" and others kept as they are. */
	end = name + mn->base_len;
	for (field = name + mn->uniq_len; field < end; field = p) {
		const char	*v;

		field++;	/* past the ',' */
		p = memchr(field, ',', (size_t)(end - field));
		if (p == NULL)
			p = end;
		v = field + 2;
		if (p - field < 2 || field[1] != '=')
			continue;
		if (field[0] == 'S' && !seen_s++)
			mn->has_size = parse_u64(v, (size_t)(p - v), &mn->size) == 0;
		else if (field[0] == 'W' && !seen_w++)
			mn->has_vsize = parse_u64(v, (size_t)(p - v), &mn->vsize) == 0;
	}

	if (mn->base_len == len)
		mn->info = MAILDIR_INFO_NONE;
	else if (len - mn->base_len >= 3 && name[mn->base_len + 1] == '2' &&
	    name[mn->base_len + 2] == ',') {
		mn->info = MAILDIR_INFO_2;
		maildir_flags_add_str(&mn->flags, name + mn->base_len + 3,
		    len - mn->base_len - 3);
	} else
		mn->info = MAILDIR_INFO_OTHER;
	return 0;
}

int
maildir_name_set_flags(char *dst, size_t dstlen, const char *name,
    const struct maildir_flags *f)
{
	struct maildir_name	 mn;
	char			 letters[96];
	size_t			 n, total;

	if (maildir_name_parse(name, strlen(name), &mn) == -1)
		return -1;
	n = maildir_flags_format(f, letters, sizeof(letters));
	total = mn.base_len + 3 + n;
	if (total > MAILDIR_NAME_MAX || total >= dstlen)
		return -1;
	memmove(dst, name, mn.base_len);
	memcpy(dst + mn.base_len, ":2,", 3);
	memcpy(dst + mn.base_len + 3, letters, n + 1);
	return (int)total;
}

/*
 * Writes host escaped into dst[0..room) with its NUL, cut at a character
 * boundary where room ends; returns the length.
 */
static size_t
escape_host(char *dst, size_t room, const char *host)
{
	size_t	 i, o = 0;

	for (i = 0; host[i] != '\0'; i++) {
		unsigned char	 c = (unsigned char)host[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':' || c == ',') {
			if (o + 4 >= room)
				break;
			snprintf(dst + o, 5, "\\%03o", c);
			o += 4;
		} else {
			if (o + 1 >= room)
				break;
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

int
maildir_name_make(char *dst, size_t dstlen, const struct maildir_newname *nn)
{
	char	 pre[96], suf[64], h[MAILDIR_BASE_MAX + 1];
	int	 np, ns = 0, m;
	size_t	 room, total;

	if (nn->sec < 0 || nn->usec < 0 || nn->usec > 999999 || nn->pid < 0)
		return -1;
	np = snprintf(pre, sizeof(pre), "%lld.M%ldP%ldQ%u.", (long long)nn->sec,
	    nn->usec, nn->pid, nn->seq);
	if (nn->has_size) {
		m = snprintf(suf, sizeof(suf), ",S=%llu",
		    (unsigned long long)nn->size);
		ns += m;
	}
	if (nn->has_vsize) {
		m = snprintf(suf + ns, sizeof(suf) - (size_t)ns, ",W=%llu",
		    (unsigned long long)nn->vsize);
		ns += m;
	}
	suf[ns] = '\0';
	/* At most 19+2+6+1+19+1+10+1 and 2x23 bytes: room for 95 of host, at least. */
	room = MAILDIR_BASE_MAX - (size_t)np - (size_t)ns;
	total = (size_t)np + escape_host(h, room + 1, nn->host) + (size_t)ns;
	if (total >= dstlen)
		return -1;
	snprintf(dst, dstlen, "%s%s%s", pre, h, suf);
	return (int)total;
}
