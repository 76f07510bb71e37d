/* libFuzzer target: Maildir names, where parse and build must agree in both directions. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/maildir_name.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
same_name(const struct maildir_name *a, const struct maildir_name *b)
{
	if (a->base_len != b->base_len || a->uniq_len != b->uniq_len ||
	    a->has_size != b->has_size || a->has_vsize != b->has_vsize ||
	    (a->has_size && a->size != b->size) ||
	    (a->has_vsize && a->vsize != b->vsize))
		abort();
}

/* The input as a name: parse, set its flags again, parse the result. */
static void
roundtrip(const char *name, size_t len)
{
	struct maildir_name	 mn, again;
	struct maildir_flags	 f;
	char			 out[MAILDIR_NAME_MAX + 1], out2[MAILDIR_NAME_MAX + 1];
	char			 letters[96];
	size_t			 i, n;
	int			 r;

	if (maildir_name_parse(name, len, &mn) == -1)
		return;
	if (mn.uniq_len > mn.base_len || mn.base_len > len || mn.base_len == 0 ||
	    memchr(name, ':', mn.base_len) != NULL ||
	    memchr(name, ',', mn.uniq_len) != NULL ||
	    (mn.info == MAILDIR_INFO_NONE) != (mn.base_len == len))
		abort();
	if (mn.info != MAILDIR_INFO_2 && (mn.flags.bits[0] | mn.flags.bits[1]))
		abort();
	n = maildir_flags_format(&mn.flags, letters, sizeof(letters));
	for (i = 1; i < n; i++)
		if (letters[i - 1] >= letters[i])
			abort();	/* ASCII order, each once */
	maildir_flags_clear(&f);
	maildir_flags_add_str(&f, letters, n);
	if (!maildir_flags_equal(&f, &mn.flags))
		abort();

	r = maildir_name_set_flags(out, sizeof(out), name, &mn.flags);
	if ((r == -1) != (mn.base_len + 3 + n > MAILDIR_NAME_MAX))
		abort();
	if (r == -1)
		return;
	if ((size_t)r != strlen(out) || memcmp(out, name, mn.base_len) != 0 ||
	    maildir_name_parse(out, (size_t)r, &again) == -1)
		abort();
	same_name(&mn, &again);
	if (again.info != MAILDIR_INFO_2 ||
	    !maildir_flags_equal(&again.flags, &mn.flags))
		abort();
	/* Building from what was built changes nothing, in place too. */
	if (maildir_name_set_flags(out2, sizeof(out2), out, &again.flags) != r ||
	    strcmp(out, out2) != 0 ||
	    maildir_name_set_flags(out2, sizeof(out2), out2, &again.flags) != r ||
	    strcmp(out, out2) != 0)
		abort();
	/* The IMAP view of the flags converts back to the same letters. */
	maildir_flags_clear(&f);
	for (i = 0; letters[i] != '\0'; i++)
		if (maildir_flag_of_letter(letters[i]) == 0 &&
		    (letters[i] < 'a' || letters[i] > 'z'))
			(void)maildir_flags_add(&f, letters[i]);
	maildir_flags_set_sys(&f, maildir_flags_sys(&mn.flags));
	maildir_flags_set_keywords(&f, maildir_flags_keywords(&mn.flags));
	if (!maildir_flags_equal(&f, &mn.flags))
		abort();
}

static uint64_t
take(const uint8_t **p, size_t *len, size_t n)
{
	uint64_t	 v = 0;

	while (n-- > 0 && *len > 0) {
		v = v << 8 | **p;
		(*p)++;
		(*len)--;
	}
	return v;
}

/* The input as the parts of a new name: the result must parse back to them. */
static void
made(const uint8_t *data, size_t size)
{
	struct maildir_newname	 nn;
	struct maildir_name	 mn;
	char			 out[512], *host;
	int			 n;

	memset(&nn, 0, sizeof(nn));
	nn.sec = (int64_t)(take(&data, &size, 5));
	nn.usec = (long)(take(&data, &size, 3) % 1000000);
	nn.pid = (long)take(&data, &size, 3);
	nn.seq = (unsigned)take(&data, &size, 4);
	nn.size = take(&data, &size, 8);
	nn.vsize = take(&data, &size, 8);
	nn.has_size = nn.size & 1;
	nn.has_vsize = nn.vsize & 2;
	if ((host = malloc(size + 1)) == NULL)
		abort();
	memcpy(host, data, size);
	host[size] = '\0';
	nn.host = host;
	n = maildir_name_make(out, sizeof(out), &nn);
	if (n <= 0 || n > MAILDIR_BASE_MAX || (size_t)n != strlen(out) ||
	    maildir_name_parse(out, (size_t)n, &mn) == -1 ||
	    mn.base_len != (size_t)n || mn.info != MAILDIR_INFO_NONE ||
	    mn.has_size != nn.has_size || mn.has_vsize != (nn.has_vsize != 0) ||
	    (nn.has_size && mn.size != nn.size) ||
	    (nn.has_vsize && mn.vsize != nn.vsize))
		abort();
	for (n = 0; out[n] != '\0'; n++)
		if ((unsigned char)out[n] <= 0x20 || (unsigned char)out[n] >= 0x7f)
			abort();	/* RFC 1939's UIDL alphabet */
	free(host);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*name;

	if ((name = malloc(size + 1)) == NULL)
		abort();
	memcpy(name, data, size);
	name[size] = '\0';
	if (memchr(name, '\0', size) == NULL)
		roundtrip(name, size);
	free(name);
	made(data, size);
	return 0;
}
