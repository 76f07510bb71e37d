/* Inside the search job: the search fields as read back, shared by search.c, search_fields.c and the tests. */
#ifndef TEGAMI_IMAP_SEARCH_PRIV_H
#define TEGAMI_IMAP_SEARCH_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/search_fields.h"

enum search_field_str {
	/* Text SEARCH matches: decoded, case-folded (search_fold). */
	SF_SUBJECT, SF_FROM, SF_TO, SF_CC, SF_BCC,
	/* SORT and THREAD keys: folded as the text is (i;unicode-casemap). */
	SF_BASESUBJ, SF_SORTFROM, SF_SORTTO, SF_SORTCC, SF_DISPFROM,
	SF_DISPTO,
	/* THREAD: Message-ID without "<>", "" when none is valid. */
	SF_MSGID,
	SF_NSTR
};

/* Bits of search_fields.present: the header has such a field. */
#define SF_HAS(i)	(1u << (i))

/* A view of search_fields_build's bytes (pointers into them). */
struct search_fields {
	const char	*s[SF_NSTR];
	uint32_t	 len[SF_NSTR];
	unsigned	 present;	/* SF_HAS(SF_SUBJECT .. SF_BCC) */
	bool		 date_set;	/* a Date: field that parses */
	int64_t		 date;
	int		 tz;		/* minutes east of UTC, as written */
	bool		 reply;		/* the subject was a reply or forward (RFC 5256) */
	size_t		 nrefs;		/* References, else In-Reply-To; oldest first */
	const char	*refs[SEARCH_FIELDS_REFS_MAX];
	size_t		 reflens[SEARCH_FIELDS_REFS_MAX];
};

/* 0 with f filled in, -1 when p[0..len) are not current fields. */
int	 search_fields_parse(const void *p, size_t len, struct search_fields *f);

#endif
