/* Tests for SRS0: vectors computed apart (Python hmac/base64), round trips, tampering, expiry, limits. */
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "mail/srs.h"

#define DAY	86400
#define T19675	((time_t)19675 * DAY)	/* day 19675 = "G3" */

/*
 * Expected values from Python, independently of this code:
 *   a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"; tt = a[(d >> 5) & 31] + a[d & 31]
 *   base64.b32encode(hmac.new(key, (tt + domain + local).lower(),
 *       hashlib.sha256).digest())[:12]
 */
static void
test_vectors(void)
{
	char		 out[300];
	const char	*errstr = NULL;

	T_EQ_INT(srs_forward("s3cret", "alice@example.com", "fwd.example.org",
	    T19675 + 3600, out, sizeof(out), &errstr), 0);
	T_EQ_STR(out, "SRS0=XYLKMKYEWIC2=G3=example.com=alice@fwd.example.org");
	/* The domain is lowercased by the address parser; the local part keeps its case. */
	T_EQ_INT(srs_forward("s3cret", "Bob.Smith@Example.COM", "fwd.example.org",
	    T19675, out, sizeof(out), &errstr), 0);
	T_EQ_STR(out, "SRS0=7IC3MKSGIJJL=G3=example.com=Bob.Smith@fwd.example.org");
	T_EQ_INT(srs_forward("another key", "a=b@x.test", "f.test",
	    (time_t)1023 * DAY, out, sizeof(out), &errstr), 0);
	T_EQ_STR(out, "SRS0=EIBPKSZAYVDK=77=x.test=a=b@f.test");
	/* Day 1024 wraps to "AA". */
	T_EQ_INT(srs_forward("another key", "a=b@x.test", "f.test",
	    (time_t)1024 * DAY, out, sizeof(out), &errstr), 0);
	T_EQ_STR(out, "SRS0=X5R3WSZDABCQ=AA=x.test=a=b@f.test");
}

static void
test_round_trip(void)
{
	char		 fwd[300], back[300], *at;
	const char	*errstr = NULL;

	T_EQ_INT(srs_forward("k", "Carol+tag@sub.example.net", "fwd.example",
	    T19675, fwd, sizeof(fwd), &errstr), 0);
	T_ASSERT((at = strchr(fwd, '@')) != NULL);
	*at = '\0';
	T_ASSERT(srs_is_srs(fwd));
	T_EQ_INT(srs_reverse("k", NULL, fwd, T19675 + DAY, 4 * DAY, back,
	    sizeof(back), &errstr), 0);
	T_EQ_STR(back, "Carol+tag@sub.example.net");
	/* A relay that lowercased the whole address on the way back. */
	for (char *p = fwd; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	T_EQ_INT(srs_reverse("k", NULL, fwd, T19675, 4 * DAY, back, sizeof(back),
	    &errstr), 0);
	T_EQ_STR(back, "carol+tag@sub.example.net");
}

static void
test_backup_key(void)
{
	char		 fwd[300], back[300];
	const char	*errstr = NULL;

	T_EQ_INT(srs_forward("old", "a@b.example", "f.example", T19675, fwd,
	    sizeof(fwd), &errstr), 0);
	*strchr(fwd, '@') = '\0';
	T_EQ_INT(srs_reverse("new", "old", fwd, T19675, DAY, back, sizeof(back),
	    &errstr), 0);
	T_EQ_STR(back, "a@b.example");
	T_EQ_INT(srs_reverse("new", NULL, fwd, T19675, DAY, back, sizeof(back),
	    &errstr), -1);
	T_EQ_STR(errstr, "SRS hash does not match");
	T_EQ_INT(srs_reverse("new", "", fwd, T19675, DAY, back, sizeof(back),
	    &errstr), -1);
}

static void
test_tampering_is_refused(void)
{
	static const char good[] = "SRS0=XYLKMKYEWIC2=G3=example.com=alice";
	static const char *const bad[] = {
		"SRS0=XYLKMKYEWIC2=G3=example.com=alicf",	/* local part changed */
		"SRS0=XYLKMKYEWIC2=G3=example.org=alice",	/* domain changed */
		"SRS0=XYLKMKYEWIC2=G4=example.com=alice",	/* timestamp changed */
		"SRS0=XYLKMKYEWIC3=G3=example.com=alice",	/* hash changed */
		"SRS0=YYLKMKYEWIC2=G3=example.com=alice",	/* hash changed */
		"SRS0=XYLKMKYEWIC=G3=example.com=alice",	/* hash too short */
		"SRS0=XYLKMKYEWIC2A=G3=example.com=alice",	/* hash too long */
		"SRS0=XYLKMKYEWI+2=G3=example.com=alice",	/* not base32 */
		"SRS0=XYLKMKYEWIC1=G3=example.com=alice",	/* not base32 */
		"SRS0=6iuO=G3=example.com=alice",		/* libsrs2's short hash */
		"SRS0=6iuO=G3=example.com=alice.example=x",	/* ... with '=' at 12 */
		"SRS0=XYLKMKYEWIC2=G=example.com=alice",	/* stamp too short */
		"SRS0=XYLKMKYEWIC2=G1=example.com=alice",	/* not base32 */
		"SRS0=XYLKMKYEWIC2=G3==alice",			/* no domain */
		"SRS0=XYLKMKYEWIC2=G3=example.com=",		/* no local part */
		"SRS0=XYLKMKYEWIC2=G3=example.com",		/* no local part */
		"SRS0=",
		"SRS0",
		"SRS1=XYLKMKYEWIC2=G3=example.com=alice",
		"alice",
		"",
	};
	char		 back[300];
	const char	*errstr = NULL;
	size_t		 i;

	T_EQ_INT(srs_reverse("s3cret", NULL, good, T19675, 4 * DAY, back,
	    sizeof(back), &errstr), 0);
	T_EQ_STR(back, "alice@example.com");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errstr = NULL;
		if (srs_reverse("s3cret", NULL, bad[i], T19675, 4 * DAY, back,
		    sizeof(back), &errstr) != -1) {
			t_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
			return;
		}
		T_ASSERT(errstr != NULL);
	}
}

static void
test_expiry(void)
{
	static const char a[] = "SRS0=XYLKMKYEWIC2=G3=example.com=alice";
	char		 back[300];
	const char	*errstr = NULL;

	T_EQ_INT(srs_reverse("s3cret", NULL, a, T19675 + 4 * DAY + 3600,
	    4 * DAY, back, sizeof(back), &errstr), 0);
	T_EQ_INT(srs_reverse("s3cret", NULL, a, T19675 + 5 * DAY, 4 * DAY, back,
	    sizeof(back), &errstr), -1);
	T_EQ_STR(errstr, "SRS address expired");
	/* A stamp from the future reads as very old. */
	T_EQ_INT(srs_reverse("s3cret", NULL, a, T19675 - DAY, 4 * DAY, back,
	    sizeof(back), &errstr), -1);
	/* A ttl under a day still accepts today's stamp only. */
	T_EQ_INT(srs_reverse("s3cret", NULL, a, T19675 + 10, 60, back,
	    sizeof(back), &errstr), 0);
	T_EQ_INT(srs_reverse("s3cret", NULL, a, T19675 + DAY, 60, back,
	    sizeof(back), &errstr), -1);
	/* After 1024 days the stamp repeats: the same day number is accepted again, as in libsrs2. */
	T_EQ_INT(srs_reverse("s3cret", NULL, a, T19675 + 1024 * DAY, 4 * DAY,
	    back, sizeof(back), &errstr), 0);
}

static void
test_forward_refusals(void)
{
	char		 out[300], big[80];
	const char	*errstr = NULL;

	T_EQ_INT(srs_forward(NULL, "a@b.example", "f", T19675, out, sizeof(out),
	    &errstr), -1);
	T_EQ_INT(srs_forward("", "a@b.example", "f", T19675, out, sizeof(out),
	    &errstr), -1);
	T_EQ_INT(srs_forward("k", "", "f.example", T19675, out, sizeof(out),
	    &errstr), -1);
	T_EQ_INT(srs_forward("k", "nodomain", "f.example", T19675, out,
	    sizeof(out), &errstr), -1);
	T_EQ_INT(srs_forward("k", "\"a b\"@b.example", "f.example", T19675, out,
	    sizeof(out), &errstr), -1);
	T_EQ_INT(srs_forward("k", "a@[192.0.2.1]", "f.example", T19675, out,
	    sizeof(out), &errstr), -1);
	/* Local part over 64 octets once rewritten: left alone. */
	memset(big, 'x', 40);
	snprintf(big + 40, sizeof(big) - 40, "@example.com");
	T_EQ_INT(srs_forward("k", big, "f.example", T19675, out, sizeof(out),
	    &errstr), -1);
	T_EQ_STR(errstr, "SRS address would be too long");
	T_EQ_INT(srs_forward("k", "a@b.example", "f.example", T19675, out, 10,
	    &errstr), -1);
}

void
test_main(void)
{
	t_run("vectors", test_vectors);
	t_run("round_trip", test_round_trip);
	t_run("backup_key", test_backup_key);
	t_run("tampering_is_refused", test_tampering_is_refused);
	t_run("expiry", test_expiry);
	t_run("forward_refusals", test_forward_refusals);
}
