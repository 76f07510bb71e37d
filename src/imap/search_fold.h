/* i;unicode-casemap (RFC 5051) for SEARCH: text folded so that matching ignores case and width. */
#ifndef TEGAMI_IMAP_SEARCH_FOLD_H
#define TEGAMI_IMAP_SEARCH_FOLD_H

#include <stddef.h>

struct buf;

/*
 * Appends the fold of UTF-8 text s[0..len) to out: every character
 * titlecased (simple mapping) and decomposed (NFKD, combining marks in
 * canonical order), repeated until stable. So "subject", "SUBJECT" and
 * "ＳＵＢＪＥＣＴ" fold alike, half-width katakana fold like full-width,
 * "ガ" like "ｶﾞ". ASCII letters come out upper case. Octets that are not
 * UTF-8 are copied as they are. Dovecot folds SEARCH text the same way.
 * Returns 0, or -1 when out is full.
 */
int	 search_fold(struct buf *out, const char *s, size_t len);

/* The Unicode version of the tables ("14.0.0"). */
const char	*search_fold_version(void);

#endif
