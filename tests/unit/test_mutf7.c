/* Tests for src/mail/mutf7.c: RFC 3501 examples, Japanese folder names, strictness both ways. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/mutf7.h"

/* Encodes utf8 and decodes the result; both must give the other. */
static int
pair(const char *utf8, const char *mutf7)
{
	struct buf	 b;
	const char	*err = NULL;
	int		 ok;

	buf_init(&b, 0);
	ok = mutf7_encode(&b, utf8, strlen(utf8), &err) == 0 &&
	    b.len == strlen(mutf7) &&
	    (b.len == 0 || memcmp(b.data, mutf7, b.len) == 0);
	if (!ok)
		fprintf(stderr, "encode %s: got \"%s\" (%s), want \"%s\"\n",
		    utf8, b.data ? b.data : "", err ? err : "ok", mutf7);
	buf_reset(&b);
	if (ok) {
		ok = mutf7_decode(&b, mutf7, strlen(mutf7), &err) == 0 &&
		    b.len == strlen(utf8) &&
		    (b.len == 0 || memcmp(b.data, utf8, b.len) == 0);
		if (!ok)
			fprintf(stderr, "decode %s: got \"%s\" (%s)\n", mutf7,
			    b.data ? b.data : "", err ? err : "ok");
	}
	buf_free(&b);
	return ok;
}

/* Decoding s must fail, leave out as it was, and say why. */
static int
bad_decode(const char *s, size_t len)
{
	struct buf	 b;
	const char	*err = NULL;
	int		 ok;

	buf_init(&b, 0);
	buf_adds(&b, "keep");
	ok = mutf7_decode(&b, s, len, &err) == -1 && err != NULL &&
	    b.len == 4 && strcmp(b.data, "keep") == 0;
	buf_free(&b);
	return ok;
}

static int
bad_encode(const char *s, size_t len)
{
	struct buf	 b;
	const char	*err = NULL;
	int		 ok;

	buf_init(&b, 0);
	buf_adds(&b, "keep");
	ok = mutf7_encode(&b, s, len, &err) == -1 && err != NULL &&
	    b.len == 4 && strcmp(b.data, "keep") == 0;
	buf_free(&b);
	return ok;
}

static void
t_rfc3501(void)
{
	/* RFC 3501 5.1.3's example, whole. */
	T_ASSERT(pair("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	    "~peter/mail/&U,BTFw-/&ZeVnLIqe-"));
	T_ASSERT(pair("&", "&-"));
	T_ASSERT(pair("Tom & Jerry", "Tom &- Jerry"));
	T_ASSERT(pair("", ""));
	T_ASSERT(pair(" !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~",
	    " !\"#$%'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~"));
	/* Its counter-examples. */
	T_ASSERT(bad_decode("&Jjo!", 5));
	T_ASSERT(bad_decode("&U,BTFw-&ZeVnLIqe-", 18));
}

static void
t_japanese(void)
{
	T_ASSERT(pair("\xe4\xb8\x8b\xe6\x9b\xb8\xe3\x81\x8d", "&Tgtm+DBN-"));	/* 下書き */
	T_ASSERT(pair("\xe9\x80\x81\xe4\xbf\xa1\xe6\xb8\x88\xe3\x81\xbf",
	    "&kAFP4W4IMH8-"));							/* 送信済み */
	T_ASSERT(pair("\xe3\x82\xb4\xe3\x83\x9f\xe7\xae\xb1", "&MLQw33ux-"));	/* ゴミ箱 */
	T_ASSERT(pair("\xe8\xbf\xb7\xe6\x83\x91\xe3\x83\xa1\xe3\x83\xbc"
	    "\xe3\x83\xab", "&j,dg0TDhMPww6w-"));				/* 迷惑メール */
	T_ASSERT(pair("\xe3\x82\xa2\xe3\x83\xbc\xe3\x82\xab\xe3\x82\xa4"
	    "\xe3\x83\x96", "&MKIw,DCrMKQw1g-"));				/* アーカイブ */
	T_ASSERT(pair("2024\xe5\xb9\xb4/\xe8\xab\x8b\xe6\xb1\x82\xe6\x9b\xb8",
	    "2024&XnQ-/&istsQmb4-"));						/* 2024年/請求書 */
}

static void
t_others(void)
{
	T_ASSERT(pair("Entw\xc3\xbcrfe", "Entw&APw-rfe"));
	T_ASSERT(pair("\xf0\x9f\x98\x80", "&2D3eAA-"));		/* U+1F600, a surrogate pair */
	T_ASSERT(pair("\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9", "&AOnYPd4AAOk-"));
	T_ASSERT(pair("\xc3\xa9-", "&AOk--"));
	T_ASSERT(pair("\x01", "&AAE-"));		/* controls are not printable: encoded */
	T_ASSERT(pair("\x7f", "&AH8-"));
	T_ASSERT(pair("\xc3\xa9&\xc3\xa9", "&AOk-&-&AOk-"));	/* "&-" between sections is fine */
	T_ASSERT(pair("\xef\xbf\xbf", "&,,8-"));		/* U+FFFF */
	T_ASSERT(pair("\xf4\x8f\xbf\xbf", "&2,,f,w-"));	/* U+10FFFF */
}

static void
t_decode_strict(void)
{
	T_ASSERT(bad_decode("&", 1));			/* not closed */
	T_ASSERT(bad_decode("a&AOk", 5));
	T_ASSERT(bad_decode("&AGE-", 5));		/* 'a' must stand for itself */
	T_ASSERT(bad_decode("&ACY-", 5));		/* '&' must be "&-" */
	T_ASSERT(bad_decode("&AAA-", 5));		/* NUL */
	T_ASSERT(bad_decode("&AOk", 4));
	T_ASSERT(bad_decode("&AOl-", 5));		/* bits left over that are not zero */
	T_ASSERT(bad_decode("&AOkA-", 6));		/* a whole character left over */
	T_ASSERT(bad_decode("&AO-", 4));		/* not a whole UTF-16 unit */
	T_ASSERT(bad_decode("&2D0-", 5));		/* a high surrogate alone */
	T_ASSERT(bad_decode("&3gA-", 5));		/* a low surrogate alone */
	T_ASSERT(bad_decode("&2D3YPQ-", 8));		/* high then high */
	T_ASSERT(bad_decode("&2D0-&3gA-", 10));	/* a pair split over sections */
	T_ASSERT(bad_decode("&AOk/-", 6));		/* '/' is not in the alphabet */
	T_ASSERT(bad_decode("&AOk=-", 6));		/* no padding */
	T_ASSERT(bad_decode("&AOk-&AOk-", 10));	/* sections must be joined */
	T_ASSERT(bad_decode("\xc3\xa9", 2));		/* raw 8-bit */
	T_ASSERT(bad_decode("a\tb", 3));
	T_ASSERT(bad_decode("a\0b", 3));
	T_ASSERT(bad_decode("a\x7f", 2));
}

static void
t_encode_strict(void)
{
	T_ASSERT(bad_encode("\xc3", 1));		/* cut */
	T_ASSERT(bad_encode("a\xe6\x97", 3));
	T_ASSERT(bad_encode("\xc0\xaf", 2));		/* overlong '/' */
	T_ASSERT(bad_encode("\xe0\x80\xaf", 3));
	T_ASSERT(bad_encode("\xf0\x80\x80\xaf", 4));
	T_ASSERT(bad_encode("\xed\xa0\x80", 3));	/* a surrogate */
	T_ASSERT(bad_encode("\xf4\x90\x80\x80", 4));	/* past U+10FFFF */
	T_ASSERT(bad_encode("\xff", 1));
	T_ASSERT(bad_encode("\x80", 1));
	T_ASSERT(bad_encode("a\0b", 3));
}

/* A buffer limit is an error, never a cut name. */
static void
t_limit(void)
{
	struct buf	 b;
	const char	*err = NULL;

	buf_init(&b, 8);
	T_EQ_INT(mutf7_encode(&b, "abcdefgh", 8, &err), 0);
	buf_reset(&b);
	T_EQ_INT(mutf7_encode(&b, "abcdefg\xc3\xa9", 9, &err), -1);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(mutf7_decode(&b, "abcdefg&AOk-", 12, &err), -1);
	T_EQ_INT(b.len, 0);
	T_EQ_INT(mutf7_decode(&b, "abcdefgh&-", 10, &err), -1);
	buf_free(&b);
}

void
test_main(void)
{
	t_run("rfc3501", t_rfc3501);
	t_run("japanese", t_japanese);
	t_run("others", t_others);
	t_run("decode_strict", t_decode_strict);
	t_run("encode_strict", t_encode_strict);
	t_run("limit", t_limit);
}
