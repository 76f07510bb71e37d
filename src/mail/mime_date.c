/* A lenient Date parser: RFC 5322 and its obsolete syntax, as mail really carries it. */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mail/mime_date.h"
#include "mail/mime_header.h"

#define TOK_MAX	16

struct tok {
	const char	*p;
	size_t		 n;
	int		 num;	/* all digits */
};

static const char *const months[] = {
	"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
	"nov", "dec",
};

static const struct {
	const char	*name;
	int		 off;
} zones[] = {
	{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
	{ "EST", -5 * 60 }, { "EDT", -4 * 60 }, { "CST", -6 * 60 },
	{ "CDT", -5 * 60 }, { "MST", -7 * 60 }, { "MDT", -6 * 60 },
	{ "PST", -8 * 60 }, { "PDT", -7 * 60 },
};

/* Splits on blanks, commas and comments; ":" stays inside a token (the time). */
static size_t
tokens(const char *s, size_t len, struct tok *t, size_t max)
{
	size_t	 i = 0, n = 0, st, k;

	while (n < max) {
		i = mime_skip_cfws(s, len, i);
		while (i < len && s[i] == ',')
			i = mime_skip_cfws(s, len, i + 1);
		if (i >= len)
			break;
		st = i;
		while (i < len && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
		    s[i] != '\n' && s[i] != ',' && s[i] != '(')
			i++;
		t[n].p = s + st;
		t[n].n = i - st;
		t[n].num = 1;
		for (k = 0; k < t[n].n; k++)
			if (t[n].p[k] < '0' || t[n].p[k] > '9')
				t[n].num = 0;
		n++;
	}
	return n;
}

static int
month(const struct tok *t)
{
	int	 m;

	if (t->n < 3)
		return -1;
	for (m = 0; m < 12; m++)
		if (strncasecmp(t->p, months[m], 3) == 0)
			return m;
	return -1;
}

static int
number(const char *p, size_t n, long max, long *v)
{
	size_t	 i;

	*v = 0;
	if (n == 0 || n > 9)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return *v <= max ? 0 : -1;
}

/* hh:mm[:ss] */
static int
hms(const struct tok *t, long *h, long *m, long *sec)
{
	const char	*c1 = memchr(t->p, ':', t->n), *c2;

	*sec = 0;
	if (c1 == NULL || number(t->p, (size_t)(c1 - t->p), 23, h) == -1)
		return -1;
	c2 = memchr(c1 + 1, ':', t->n - (size_t)(c1 + 1 - t->p));
	if (c2 == NULL)
		return number(c1 + 1, t->n - (size_t)(c1 + 1 - t->p), 59, m);
	if (number(c1 + 1, (size_t)(c2 - c1 - 1), 59, m) == -1)
		return -1;
	/* 60: a leap second. */
	return number(c2 + 1, t->n - (size_t)(c2 + 1 - t->p), 60, sec);
}

static int
zone(const struct tok *t, int *tz)
{
	long	 v;
	size_t	 i;

	if (t->n == 5 && (t->p[0] == '+' || t->p[0] == '-') &&
	    number(t->p + 1, 4, 2359, &v) == 0 && v % 100 < 60) {
		*tz = (int)(v / 100 * 60 + v % 100) * (t->p[0] == '-' ? -1 : 1);
		return 0;
	}
	for (i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (t->n == strlen(zones[i].name) &&
		    strncasecmp(t->p, zones[i].name, t->n) == 0) {
			*tz = zones[i].off;
			return 0;
		}
	if (t->n == 1 && ((t->p[0] | 0x20) >= 'a' && (t->p[0] | 0x20) <= 'z' &&
	    (t->p[0] | 0x20) != 'j')) {
		*tz = 0;	/* military zones: RFC 5322 4.3 says treat as unknown */
		return 0;
	}
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (m 0-11). */
static int64_t
days(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	m += 1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
mdays(long y, int m)
{
	static const int	 n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return n[m];
}

int
mime_date_parse(const char *s, size_t len, time_t *t, int *tz)
{
	struct tok	 tk[TOK_MAX];
	size_t		 n, i = 0;
	long		 day, year, h, mi, sec;
	int		 mon, z = 0;
	const struct tok *tyear, *ttime;

	n = tokens(s, len, tk, TOK_MAX);
	/* A leading day name (with or without its comma). */
	if (i < n && !tk[i].num && month(&tk[i]) == -1)
		i++;
	if (i + 3 > n)
		return -1;
	if (tk[i].num) {
		/* day month year time */
		if (number(tk[i].p, tk[i].n, 31, &day) == -1 ||
		    (mon = month(&tk[i + 1])) == -1)
			return -1;
		tyear = &tk[i + 2];
		ttime = i + 3 < n ? &tk[i + 3] : NULL;
		i += 4;
	} else {
		/* asctime: month day time year */
		if ((mon = month(&tk[i])) == -1 ||
		    number(tk[i + 1].p, tk[i + 1].n, 31, &day) == -1 ||
		    i + 3 >= n)
			return -1;
		ttime = &tk[i + 2];
		tyear = &tk[i + 3];
		i += 4;
	}
	if (!tyear->num || number(tyear->p, tyear->n, 99999, &year) == -1)
		return -1;
	if (tyear->n <= 2)
		year += year < 50 ? 2000 : 1900;
	else if (tyear->n == 3)
		year += 1900;
	if (day < 1 || day > mdays(year, mon))
		return -1;
	h = mi = sec = 0;
	if (ttime != NULL && hms(ttime, &h, &mi, &sec) == -1)
		return -1;
	if (i < n && zone(&tk[i], &z) == -1)
		z = 0;
	*tz = z;
	*t = (time_t)(days(year, mon, (int)day) * 86400 + h * 3600 + mi * 60 +
	    sec - (int64_t)z * 60);
	return 0;
}
