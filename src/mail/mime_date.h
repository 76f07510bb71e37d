/* Date fields (RFC 5322 3.3 and the obsolete forms of 4.3) to time_t, for SORT and SEARCH SENTBEFORE. */
#ifndef TEGAMI_MIME_DATE_H
#define TEGAMI_MIME_DATE_H

#include <stddef.h>
#include <time.h>

/*
 * Parses a Date value: [day-of-week ","] day month year time [zone], with
 * comments and folding anywhere, two- and three-digit years (RFC 5322
 * 4.3: 00-49 are 2000-2049, 50-99 and three digits add 1900), seconds
 * optional, numeric zones, the obsolete zone names (UT, GMT, EST...) and
 * military letters (taken as +0000 as 4.3 says), full month and day names,
 * and asctime's "Mon Feb  7 21:52:25 1994" order. *t gets the instant
 * (UTC), *tz the zone in minutes east of UTC. Returns 0, or -1 when no
 * date can be read.
 */
int	 mime_date_parse(const char *s, size_t len, time_t *t, int *tz);

#endif
