/* Mail loops: the hops a message has made, counted from its header as it streams in. */
#ifndef TEGAMI_HOPS_H
#define TEGAMI_HOPS_H

#include <stddef.h>

/*
 * A message with this many hops or more is refused (554 5.4.6): with the
 * Received header this server adds, more than Postfix's hopcount_limit.
 */
#define HOPS_MAX		50
/* Header octets looked at, at most: a header longer than this is not read on. */
#define HOPS_HEADER_MAX		(1024 * 1024)
#define HOPS_NAME_MAX		16	/* "delivered-to" fits; longer names are other fields */
#define HOPS_VALUE_MAX		320	/* a Delivered-To address, brackets and blanks */

/* 1 when addr (a Delivered-To value, trimmed, without <>) is a recipient of this message. */
typedef int	(*hops_ours_fn)(void *arg, const char *addr);

struct hops {
	unsigned	 received;	/* Received: fields */
	unsigned	 delivered;	/* Delivered-To: fields naming one of ours */
	int		 done;		/* the header ended, or HOPS_HEADER_MAX was read */
	/* private */
	int		 state;
	size_t		 seen;
	size_t		 nlen, vlen;
	char		 name[HOPS_NAME_MAX + 1];
	char		 value[HOPS_VALUE_MAX + 1];
	hops_ours_fn	 ours;
	void		*arg;
};

/* ours may be NULL: Delivered-To fields are then not counted. */
void	 hops_init(struct hops *, hops_ours_fn ours, void *arg);
/*
 * Feeds message octets from the start (CRLF or LF line ends, any
 * chunking); everything after the header's end is ignored. The counts are
 * the same for every split of the input.
 */
void	 hops_feed(struct hops *, const char *p, size_t n);
/* The message ended (within its header): a Delivered-To field still open is counted. */
void	 hops_end(struct hops *);
/* Received plus Delivered-To of ours, so far. */
unsigned hops_count(const struct hops *);

#endif
