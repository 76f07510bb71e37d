/* Counting Received and Delivered-To fields in a streamed header: a small state machine, any chunking. */
#include <string.h>
#include <strings.h>

#include "mail/hops.h"

enum {
	ST_BOL,		/* at the start of a line */
	ST_NAME,	/* in a field name */
	ST_VALUE,	/* in a Delivered-To value (or its continuation) */
	ST_SKIP,	/* in a line that counts for nothing */
	ST_CR,		/* a CR at the start of a line: the header ends at LF */
};

void
hops_init(struct hops *h, hops_ours_fn ours, void *arg)
{
	memset(h, 0, sizeof(*h));
	h->state = ST_BOL;
	h->ours = ours;
	h->arg = arg;
}

static void	value_done(struct hops *);

void
hops_end(struct hops *h)
{
	if (!h->done && h->vlen > 0)
		value_done(h);
	h->done = 1;
}

unsigned
hops_count(const struct hops *h)
{
	return h->received + h->delivered;
}

/* The Delivered-To value read so far is complete: is it one of ours? */
static void
value_done(struct hops *h)
{
	char	*v = h->value, *e;

	h->value[h->vlen] = '\0';
	v += strspn(v, " \t");
	e = v + strlen(v);
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	if (*v == '<' && e > v + 1 && e[-1] == '>') {
		e[-1] = '\0';
		v++;
	}
	if (*v != '\0' && h->ours != NULL && h->ours(h->arg, v))
		h->delivered++;
	h->vlen = 0;
}

/* A field name ended with ':' */
static int
name_done(struct hops *h)
{
	h->name[h->nlen] = '\0';
	if (strcasecmp(h->name, "received") == 0)
		h->received++;
	else if (strcasecmp(h->name, "delivered-to") == 0) {
		h->vlen = 0;
		return ST_VALUE;
	}
	return ST_SKIP;
}

void
hops_feed(struct hops *h, const char *p, size_t n)
{
	size_t	 i;
	char	 c;

	for (i = 0; i < n && !h->done; i++, h->seen++) {
		c = p[i];
		if (h->seen >= HOPS_HEADER_MAX) {
			h->done = 1;
			break;
		}
		switch (h->state) {
		case ST_BOL:
			if (h->vlen > 0 && c != ' ' && c != '\t')
				value_done(h);	/* no continuation line follows */
			if (c == '\n') {
				h->done = 1;
			} else if (c == '\r') {
				h->state = ST_CR;
			} else if (c == ' ' || c == '\t') {
				/* A continuation: of a Delivered-To value, or of nothing we count. */
				h->state = h->vlen > 0 ? ST_VALUE : ST_SKIP;
				if (h->state == ST_VALUE && h->vlen < HOPS_VALUE_MAX)
					h->value[h->vlen++] = c;
			} else {
				h->nlen = 0;
				h->name[h->nlen++] = c;
				h->state = c == ':' ? ST_SKIP : ST_NAME;
			}
			break;
		case ST_CR:
			if (c == '\n')
				h->done = 1;
			else {
				/* A bare CR at a line start: not an end, and nothing to count. */
				h->state = c == '\r' ? ST_CR : ST_SKIP;
			}
			break;
		case ST_NAME:
			if (c == ':')
				h->state = name_done(h);
			else if (c == '\n')
				h->state = ST_BOL;	/* a line without a colon */
			else if (h->nlen < HOPS_NAME_MAX)
				h->name[h->nlen++] = c;
			else
				h->state = ST_SKIP;	/* no name we count is this long */
			break;
		case ST_VALUE:
			if (c == '\n') {
				/* The value may go on in a continuation line. */
				if (h->vlen == 0)
					h->value[h->vlen++] = ' ';
				h->state = ST_BOL;
			} else if (c != '\r' && h->vlen < HOPS_VALUE_MAX)
				h->value[h->vlen++] = c;
			break;
		case ST_SKIP:
			if (c == '\n')
				h->state = ST_BOL;
			break;
		}
	}
}
