/* Tests for the envelope text form: exact output, round trips, malformed input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/envelope.h"

static void
sample(struct envelope *e)
{
	struct delivery	 d;

	envelope_init(e);
	memcpy(e->id, "0123456789abcdef", 17);
	e->ctime = 1700000000;
	e->sender = strdup("alice@example.org");
	e->helo = strdup("client host");
	e->client_addr = strdup("192.0.2.1");
	e->client_name = NULL;
	e->auth_user = strdup("alice@example.org");
	e->envid = strdup("id%1");
	e->dsn_ret_full = 1;
	e->body_8bit = 1;

	memset(&d, 0, sizeof(d));
	d.method = DELIVER_MAILDIR;
	d.rcpt = "bob@example.org";
	d.dest = "bob@example.org";
	d.action = "local";
	d.account = "vmail";
	d.path = "/var/vmail/example.org/bob/Maildir";
	d.notify = "SUCCESS,FAILURE";
	d.orcpt = "rfc822;Bob@Example.org";
	envelope_add(e, &d);
	memset(&d, 0, sizeof(d));
	d.state = DSTATE_FAILED;
	d.method = DELIVER_RELAY;
	d.rcpt = "carol@remote.example";
	d.dest = "-";
	d.action = "out";
	d.path = "";
	envelope_add(e, &d);
}

static const char sample_text[] =
    "V 1\n"
    "I 0123456789abcdef\n"
    "T 1700000000\n"
    "S alice@example.org\n"
    "H client%20host\n"
    "A 192.0.2.1\n"
    "U alice@example.org\n"
    "E id%251\n"
    "R 1\n"
    "8 1\n"
    "X 0\n"
    "D P maildir bob@example.org bob@example.org local vmail "
    "/var/vmail/example.org/bob/Maildir SUCCESS,FAILURE rfc822;Bob@Example.org\n"
    "D F relay carol@remote.example %2D out -  - -\n";

static void
t_exact_text(void)
{
	struct envelope	 e, p;
	struct buf	 b;
	const char	*err = NULL;
	size_t		 off;

	sample(&e);
	buf_init(&b, 0);
	T_EQ_INT(envelope_serialize(&e, &b), 0);
	T_EQ_STR(b.data, sample_text);

	T_EQ_INT(envelope_parse(&p, b.data, b.len, 1000, &err), 0);
	T_EQ_STR(p.id, "0123456789abcdef");
	T_EQ_INT(p.ctime, 1700000000);
	T_EQ_STR(p.sender, "alice@example.org");
	T_EQ_STR(p.helo, "client host");
	T_ASSERT(p.client_name == NULL);
	T_EQ_STR(p.envid, "id%1");
	T_EQ_INT(p.dsn_ret_full, 1);
	T_EQ_INT(p.body_8bit, 1);
	T_EQ_INT(p.smtputf8, 0);
	/* Not junked: no J line, as in files written before it existed. */
	T_EQ_INT(p.junk, 0);
	T_ASSERT(strstr(b.data, "\nJ ") == NULL);
	T_EQ_INT(p.ndeliveries, 2);
	T_EQ_INT(p.deliveries[0].state, DSTATE_PENDING);
	T_EQ_INT(p.deliveries[0].method, DELIVER_MAILDIR);
	T_EQ_STR(p.deliveries[0].orcpt, "rfc822;Bob@Example.org");
	T_EQ_INT(p.deliveries[1].state, DSTATE_FAILED);
	T_EQ_INT(p.deliveries[1].method, DELIVER_RELAY);
	T_EQ_STR(p.deliveries[1].dest, "-");
	T_ASSERT(p.deliveries[1].account == NULL);
	T_EQ_STR(p.deliveries[1].path, "");
	T_ASSERT(p.deliveries[1].notify == NULL);
	off = (size_t)(strstr(sample_text, "D P") - sample_text) + 2;
	T_EQ_INT(p.deliveries[0].state_offset, 1000 + off);
	off = (size_t)(strstr(sample_text, "D F") - sample_text) + 2;
	T_EQ_INT(p.deliveries[1].state_offset, 1000 + off);
	envelope_free(&p);
	envelope_free(&e);
	buf_free(&b);
}

static void
t_add_copies(void)
{
	struct envelope	 e;
	struct delivery	 d;
	char		 rcpt[] = "x@example.org";
	int		 i;

	envelope_init(&e);
	memset(&d, 0, sizeof(d));
	d.rcpt = rcpt;
	for (i = 0; i < 1000; i++)
		envelope_add(&e, &d);
	rcpt[0] = 'y';
	T_EQ_INT(e.ndeliveries, 1000);
	T_EQ_STR(e.deliveries[999].rcpt, "x@example.org");
	T_EQ_STR(e.deliveries[0].rcpt, "x@example.org");
	T_EQ_INT(e.deliveries[0].state, DSTATE_PENDING);
	T_ASSERT(e.deliveries[0].dest == NULL);
	envelope_free(&e);
	T_EQ_INT(e.ndeliveries, 0);
	T_ASSERT(e.deliveries == NULL);
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A random string of any non-NUL bytes, biased toward the ones that need care. */
static char *
rstr(int nullable)
{
	static const char	 special[] = "% -\t\r\n\x7f\x01\xff\xe6\x89\x8b";
	size_t			 n, i;
	char			*s;

	if (nullable && rnd(4) == 0)
		return NULL;
	if (rnd(8) == 0)
		return strdup(rnd(2) ? "-" : "");
	n = rnd(40);
	s = malloc(n + 1);
	for (i = 0; i < n; i++)
		s[i] = rnd(3) == 0 ? special[rnd(sizeof(special) - 1)] :
		    (char)(1 + rnd(255));
	s[n] = '\0';
	return s;
}

static int
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
t_roundtrip_property(void)
{
	static const enum delivery_state states[] = { DSTATE_PENDING,
	    DSTATE_DONE, DSTATE_FAILED };
	int	 iter;

	for (iter = 0; iter < 2000; iter++) {
		struct envelope	 e, p;
		struct buf	 b, b2;
		const char	*err = NULL;
		size_t		 i, nd = 1 + rnd(5), base = rnd(100000);

		envelope_init(&e);
		for (i = 0; i < 16; i++)
			e.id[i] = "0123456789abcdef"[rnd(16)];
		e.ctime = (time_t)rnd(2000000000);
		e.sender = rstr(0);
		e.helo = rstr(1);
		e.client_addr = rstr(1);
		e.client_name = rstr(1);
		e.auth_user = rstr(1);
		e.envid = rstr(1);
		e.dsn_ret_full = rnd(2);
		e.smtputf8 = rnd(2);
		e.body_8bit = rnd(2);
		e.junk = rnd(2);
		for (i = 0; i < nd; i++) {
			struct delivery	 d;

			d.state = states[rnd(3)];
			d.method = (enum delivery_method)rnd(5);
			d.rcpt = rstr(1);
			d.dest = rstr(1);
			d.action = rstr(1);
			d.account = rstr(1);
			d.path = rstr(1);
			d.notify = rstr(1);
			d.orcpt = rstr(1);
			envelope_add(&e, &d);
			free(d.rcpt), free(d.dest), free(d.action);
			free(d.account), free(d.path), free(d.notify);
			free(d.orcpt);
		}
		buf_init(&b, 0);
		buf_init(&b2, 0);
		T_EQ_INT(envelope_serialize(&e, &b), 0);
		/* No value can break a line or hide a control byte. */
		for (i = 0; i < b.len; i++)
			T_ASSERT(b.data[i] == '\n' ||
			    (unsigned char)b.data[i] >= ' ');
		T_ASSERT(strlen(b.data) == b.len);
		if (envelope_parse(&p, b.data, b.len, base, &err) != 0) {
			t_fail(__FILE__, __LINE__, "parse: %s", err);
			return;
		}
		T_EQ_STR(p.id, e.id);
		T_EQ_INT(p.ctime, e.ctime);
		T_ASSERT(same(p.sender, e.sender));
		T_ASSERT(same(p.helo, e.helo));
		T_ASSERT(same(p.client_addr, e.client_addr));
		T_ASSERT(same(p.client_name, e.client_name));
		T_ASSERT(same(p.auth_user, e.auth_user));
		T_ASSERT(same(p.envid, e.envid));
		T_EQ_INT(p.dsn_ret_full, e.dsn_ret_full);
		T_EQ_INT(p.smtputf8, e.smtputf8);
		T_EQ_INT(p.body_8bit, e.body_8bit);
		T_EQ_INT(p.junk, e.junk);
		T_EQ_INT(p.ndeliveries, nd);
		for (i = 0; i < nd; i++) {
			struct delivery	*x = &e.deliveries[i], *y = &p.deliveries[i];

			T_EQ_INT(y->state, x->state);
			T_EQ_INT(y->method, x->method);
			T_ASSERT(same(y->rcpt, x->rcpt));
			T_ASSERT(same(y->dest, x->dest));
			T_ASSERT(same(y->action, x->action));
			T_ASSERT(same(y->account, x->account));
			T_ASSERT(same(y->path, x->path));
			T_ASSERT(same(y->notify, x->notify));
			T_ASSERT(same(y->orcpt, x->orcpt));
			T_ASSERT(y->state_offset >= base);
			T_EQ_INT(b.data[y->state_offset - base], x->state);
		}
		T_EQ_INT(envelope_serialize(&p, &b2), 0);
		T_EQ_INT(b2.len, b.len);
		T_ASSERT(memcmp(b.data, b2.data, b.len) == 0);
		envelope_free(&p);
		envelope_free(&e);
		buf_free(&b);
		buf_free(&b2);
	}
}

static const char head[] = "V 1\nI 0123456789abcdef\nT 5\nS a@b\n";
static const char dline[] = "D P relay r d a - - - -\n";

/* Expects envelope_parse to refuse text, and to leave the envelope empty. */
static int
refuses(const char *text, size_t len, const char *want)
{
	struct envelope	 e;
	const char	*err = NULL;

	if (envelope_parse(&e, text, len, 0, &err) != -1) {
		envelope_free(&e);
		fprintf(stderr, "accepted: %.*s\n", (int)(len > 200 ? 200 : len), text);
		return 0;
	}
	if (e.sender != NULL || e.ndeliveries != 0 || e.deliveries != NULL)
		return 0;
	if (err == NULL || (want != NULL && strcmp(err, want) != 0)) {
		fprintf(stderr, "error \"%s\", want \"%s\" for: %.*s\n",
		    err ? err : "(null)", want, (int)(len > 200 ? 200 : len), text);
		return 0;
	}
	return 1;
}

static int
refuses_s(const char *text, const char *want)
{
	return refuses(text, strlen(text), want);
}

static int
accepts(const char *text)
{
	struct envelope	 e;
	const char	*err = NULL;

	if (envelope_parse(&e, text, strlen(text), 0, &err) != 0) {
		fprintf(stderr, "refused (%s): %s\n", err, text);
		return 0;
	}
	envelope_free(&e);
	return 1;
}

static void
t_malformed(void)
{
	char	 t[512];

#define WITH(extra)	(snprintf(t, sizeof(t), "%s%s%s", head, extra, dline), t)
	T_ASSERT(accepts(WITH("")));
	T_ASSERT(accepts("V 1\nD P relay r d a - - - -\nS \nT 0\nI 0123456789abcdef\n"));
	T_ASSERT(refuses_s("", "empty envelope"));
	T_ASSERT(refuses_s("I 0123456789abcdef\nT 5\nS a@b\nV 1\n",
	    "missing or unsupported version"));
	T_ASSERT(refuses_s("V 2\nI 0123456789abcdef\nT 5\nS a@b\n",
	    "missing or unsupported version"));
	T_ASSERT(refuses_s("V 1\nT 5\nS a@b\nD P relay r d a - - - -\n",
	    "missing required field"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcdef\nS a@b\nD P relay r d a - - - -\n",
	    "missing required field"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcdef\nT 5\nD P relay r d a - - - -\n",
	    "missing required field"));
	T_ASSERT(refuses_s(head, "no deliveries"));
	T_ASSERT(refuses_s(WITH("Z 1\n"), "unknown key"));
	T_ASSERT(refuses_s(WITH("HH x\n"), "malformed line"));
	T_ASSERT(refuses_s(WITH("H\n"), "malformed line"));
	T_ASSERT(refuses_s(WITH("\n"), "malformed line"));
	T_ASSERT(refuses_s(WITH("H a%4\n"), "bad %-escape"));
	T_ASSERT(refuses_s(WITH("H a%G1\n"), "bad %-escape"));
	T_ASSERT(refuses_s(WITH("H %\n"), "bad %-escape"));
	T_ASSERT(refuses_s(WITH("H a%00b\n"), "escaped NUL byte"));
	T_ASSERT(refuses_s(WITH("H a b\n"), "unescaped control character or space"));
	T_ASSERT(refuses_s(WITH("H a\tb\n"), "unescaped control character or space"));
	T_ASSERT(refuses_s(WITH("H a\rb\n"), "unescaped control character or space"));
	T_ASSERT(refuses_s(WITH("H a\x7f\n"), "unescaped control character or space"));
	T_ASSERT(refuses_s(WITH("S x\n"), "duplicate field"));
	T_ASSERT(refuses_s(WITH("H x\nH x\n"), "duplicate field"));
	T_ASSERT(refuses_s(WITH("I 0123456789abcdef\n"), "duplicate field"));
	T_ASSERT(refuses_s(WITH("T 5\n"), "duplicate field"));
	T_ASSERT(refuses_s(WITH("R 1\nR 1\n"), "duplicate field"));
	T_ASSERT(refuses_s(WITH("R 2\n"), "bad flag value"));
	T_ASSERT(refuses_s(WITH("X \n"), "bad flag value"));
	T_ASSERT(refuses_s(WITH("8 11\n"), "bad flag value"));
	T_ASSERT(refuses_s(WITH("J 2\n"), "bad flag value"));
	T_ASSERT(refuses_s(WITH("J 1\nJ 0\n"), "duplicate field"));
	T_ASSERT(refuses_s("V 1\nI 0123456789ABCDEF\nT 5\nS a\nD P relay r d a - - - -\n",
	    "bad queue id"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcde\nT 5\nS a\nD P relay r d a - - - -\n",
	    "bad queue id"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcdef\nT 05\nS a\nD P relay r d a - - - -\n",
	    "bad time"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcdef\nT -5\nS a\nD P relay r d a - - - -\n",
	    "bad time"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcdef\nT 99999999999999999999\nS a\n"
	    "D P relay r d a - - - -\n", "bad time"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcdef\nT \nS a\nD P relay r d a - - - -\n",
	    "bad time"));
	T_ASSERT(refuses_s(WITH("D X relay r d a - - - -\n"), "bad delivery state"));
	T_ASSERT(refuses_s(WITH("D PP relay r d a - - - -\n"), "bad delivery state"));
	T_ASSERT(refuses_s(WITH("D P\n"), "bad delivery state"));
	T_ASSERT(refuses_s(WITH("D P smoke r d a - - - -\n"), "unknown delivery method"));
	T_ASSERT(refuses_s(WITH("D P relayx r d a - - - -\n"), "unknown delivery method"));
	T_ASSERT(refuses_s(WITH("D P relay r d a - - -\n"), "too few delivery fields"));
	T_ASSERT(refuses_s(WITH("D P relay\n"), "too few delivery fields"));
	T_ASSERT(refuses_s(WITH("D P relay r d a - - - - x y\n"), "too many delivery fields"));
	T_ASSERT(refuses_s(WITH("D P relay r d a - - - - - \n"), "too many delivery fields"));
	T_ASSERT(refuses_s(WITH("D P relay r d a - - - - x%ZZ\n"), "bad %-escape"));
	T_ASSERT(refuses_s(WITH("D P relay r%ZZ d a - - - -\n"), "bad %-escape"));
	T_ASSERT(refuses_s("V 1\nI 0123456789abcdef\nT 5\nS a@b\nD P relay r d a - - - -",
	    "unterminated line"));
	/* A NUL inside a value is a control byte too. */
	T_ASSERT(refuses("V 1\nI 0123456789abcdef\nT 5\nS a\0b\nD P relay r d a - - - -\n",
	    sizeof("V 1\nI 0123456789abcdef\nT 5\nS a\0b\nD P relay r d a - - - -\n") - 1,
	    "unescaped control character or space"));
#undef WITH
}

static void
t_limits(void)
{
	struct envelope	 e;
	struct buf	 b;
	const char	*err;
	char		*big;
	size_t		 i, n;

	/* A line of exactly 64 KiB (newline included) passes, one byte more fails. */
	n = 64 * 1024;
	for (i = 0; i < 2; i++) {
		buf_init(&b, 0);
		T_EQ_INT(buf_adds(&b, head), 0);
		big = malloc(n + i);
		T_ASSERT(big != NULL);
		memset(big, 'x', n + i);
		big[0] = 'H', big[1] = ' ', big[n + i - 1] = '\n';
		T_EQ_INT(buf_add(&b, big, n + i), 0);
		T_EQ_INT(buf_adds(&b, dline), 0);
		free(big);
		if (i == 0) {
			T_EQ_INT(envelope_parse(&e, b.data, b.len, 0, &err), 0);
			T_EQ_INT(strlen(e.helo), n - 3);
			envelope_free(&e);
		} else
			T_ASSERT(refuses(b.data, b.len, "line too long"));
		buf_free(&b);
	}

	/* 100000 deliveries pass; one more is refused. */
	buf_init(&b, 0);
	T_EQ_INT(buf_adds(&b, head), 0);
	for (i = 0; i < 100000; i++)
		T_EQ_INT(buf_adds(&b, dline), 0);
	T_EQ_INT(envelope_parse(&e, b.data, b.len, 0, &err), 0);
	T_EQ_INT(e.ndeliveries, 100000);
	T_EQ_INT(e.deliveries[99999].state_offset, b.len - sizeof(dline) + 1 + 2);
	/* And what was parsed can be written again. */
	{
		struct buf	 b2;

		buf_init(&b2, 0);
		T_EQ_INT(envelope_serialize(&e, &b2), 0);
		buf_free(&b2);
	}
	envelope_free(&e);
	T_EQ_INT(buf_adds(&b, dline), 0);
	T_ASSERT(refuses(b.data, b.len, "too many deliveries"));

	/* More than 16 MiB in all is refused before any parsing. */
	buf_reset(&b);
	T_EQ_INT(buf_adds(&b, head), 0);
	while (b.len <= 16 * 1024 * 1024)
		T_EQ_INT(buf_adds(&b, "H x\n"), 0);
	T_ASSERT(refuses(b.data, b.len, "envelope too large"));
	buf_free(&b);
}

/* The writer refuses what the parser would refuse, and leaves out untouched. */
static void
t_serialize_refuses(void)
{
	struct envelope	 e;
	struct delivery	 d;
	struct buf	 b;
	char		*huge;

	buf_init(&b, 0);
	T_EQ_INT(buf_adds(&b, "prefix"), 0);
	sample(&e);
	e.id[3] = 'X';
	T_EQ_INT(envelope_serialize(&e, &b), -1);
	e.id[3] = '3';
	e.deliveries[0].state = 'Q';
	T_EQ_INT(envelope_serialize(&e, &b), -1);
	e.deliveries[0].state = DSTATE_DONE;
	e.deliveries[0].method = (enum delivery_method)9;
	T_EQ_INT(envelope_serialize(&e, &b), -1);
	e.deliveries[0].method = DELIVER_MBOX;
	/* 30000 bytes that each take three: over 64 KiB on one line. */
	huge = malloc(30001);
	memset(huge, ' ', 30000);
	huge[30000] = '\0';
	free(e.helo);
	e.helo = huge;
	T_EQ_INT(envelope_serialize(&e, &b), -1);
	T_EQ_STR(b.data, "prefix");
	huge[20000] = '\0';
	T_EQ_INT(envelope_serialize(&e, &b), 0);
	T_ASSERT(strncmp(b.data, "prefixV 1\n", 10) == 0);
	envelope_free(&e);

	envelope_init(&e);
	memcpy(e.id, "0123456789abcdef", 17);
	e.sender = strdup("");
	buf_reset(&b);
	T_EQ_INT(envelope_serialize(&e, &b), -1);	/* no deliveries */
	memset(&d, 0, sizeof(d));
	envelope_add(&e, &d);
	T_EQ_INT(envelope_serialize(&e, &b), 0);
	T_EQ_STR(b.data, "V 1\nI 0123456789abcdef\nT 0\nS \nR 0\n8 0\nX 0\n"
	    "D P maildir - - - - - - -\n");
	free(e.sender);
	e.sender = NULL;
	buf_reset(&b);
	T_EQ_INT(envelope_serialize(&e, &b), -1);	/* no sender */
	envelope_free(&e);
	buf_free(&b);
}

/* The per-delivery sender: an optional 8th field; lines without it still load. */
static void
t_delivery_sender(void)
{
	struct envelope	 e, p;
	struct delivery	 d;
	struct buf	 b;
	char		 t[512];
	const char	*err = NULL;

	envelope_init(&e);
	memcpy(e.id, "0123456789abcdef", 17);
	e.sender = strdup("a@b");
	memset(&d, 0, sizeof(d));
	d.method = DELIVER_RELAY;
	d.rcpt = "r@x";
	d.dest = "d@y";
	d.sender = "SRS0=abcd=TT=b=a@x";
	envelope_add(&e, &d);
	d.sender = "";
	envelope_add(&e, &d);
	d.sender = NULL;
	envelope_add(&e, &d);
	buf_init(&b, 0);
	T_EQ_INT(envelope_serialize(&e, &b), 0);
	T_ASSERT(strstr(b.data, "D P relay r@x d@y - - - - - SRS0=abcd=TT=b=a@x\n"
	    "D P relay r@x d@y - - - - - \nD P relay r@x d@y - - - - -\n") != NULL);
	T_EQ_INT(envelope_parse(&p, b.data, b.len, 0, &err), 0);
	T_EQ_INT(p.ndeliveries, 3);
	T_EQ_STR(p.deliveries[0].sender, "SRS0=abcd=TT=b=a@x");
	T_EQ_STR(p.deliveries[1].sender, "");
	T_ASSERT(p.deliveries[2].sender == NULL);
	envelope_free(&p);
	envelope_free(&e);
	buf_free(&b);

	/* A queue file written before the field existed. */
	snprintf(t, sizeof(t), "%sD P relay r d a - - - -\n", head);
	T_EQ_INT(envelope_parse(&p, t, strlen(t), 0, &err), 0);
	T_ASSERT(p.deliveries[0].sender == NULL);
	envelope_free(&p);
}

/* Header fields made after the body: one escaped line, back as they were, once only. */
static void
t_prepend(void)
{
	const char	*fields = "Authentication-Results: mx.example.org;\n"
			    "\tspf=pass smtp.mailfrom=example.org\n"
			    "DKIM-Signature: v=1; a=ed25519-sha256; d=example.org;\n";
	struct envelope	 e, back;
	struct buf	 b;
	const char	*err;

	sample(&e);
	e.prepend = strdup(fields);
	buf_init(&b, 0);
	T_EQ_INT(envelope_serialize(&e, &b), 0);
	T_ASSERT(strstr(b.data, "\nP Authentication-Results:%20mx.example.org;%0A%09spf") != NULL);
	T_EQ_INT(envelope_parse(&back, b.data, b.len, 0, &err), 0);
	T_EQ_STR(back.prepend, fields);
	envelope_free(&back);
	/* Twice is refused, like every single field. */
	buf_adds(&b, "P again\n");
	T_EQ_INT(envelope_parse(&back, b.data, b.len, 0, &err), -1);
	T_EQ_STR(err, "duplicate field");
	envelope_free(&back);
	buf_free(&b);
	envelope_free(&e);
}

/* One mailbox is one delivery, however many RCPTs and aliases lead to it. */
static void
t_add_unique(void)
{
	struct envelope	 e;
	struct delivery	 a = { .method = DELIVER_MAILDIR, .rcpt = "alice@x.test",
	    .dest = "alice@x.test", .action = "deliver", .account = "vmail",
	    .path = "/var/vmail/x.test/alice/Maildir" };
	struct delivery	 alias = a, bob = a, r1 = { .method = DELIVER_RELAY,
	    .rcpt = "f@x.test", .dest = "Friend@remote.test", .action = "out",
	    .path = "remote.test" };
	struct delivery	 r2 = r1, r3 = r1, mbox = a;
	int		 i, added = 0;

	alias.rcpt = "al@x.test";	/* an alias to alice: same Maildir */
	bob.rcpt = bob.dest = "bob@x.test";
	bob.path = "/var/vmail/x.test/bob/Maildir";
	r2.dest = "friend@remote.test";	/* local parts keep their case */
	r3.sender = "SRS0=X=AA=a.test=b@x.test";
	mbox.method = DELIVER_MBOX;
	envelope_init(&e);
	for (i = 0; i < 1000; i++)
		added += envelope_add_unique(&e, &a);
	T_EQ_INT(added, 1);
	T_ASSERT(e.seen != NULL);
	T_EQ_INT(envelope_add_unique(&e, &alias), 0);
	T_EQ_INT(envelope_add_unique(&e, &bob), 1);
	T_EQ_INT(envelope_add_unique(&e, &mbox), 1);
	T_EQ_INT(envelope_add_unique(&e, &r1), 1);
	T_EQ_INT(envelope_add_unique(&e, &r1), 0);
	T_EQ_INT(envelope_add_unique(&e, &r2), 1);
	T_EQ_INT(envelope_add_unique(&e, &r3), 1);
	T_EQ_INT(e.ndeliveries, 6);
	T_EQ_STR(e.deliveries[0].rcpt, "alice@x.test");
	envelope_free(&e);
	T_ASSERT(e.seen == NULL);
	/* A single delivery builds no index. */
	T_EQ_INT(envelope_add_unique(&e, &a), 1);
	T_ASSERT(e.seen == NULL);
	envelope_free(&e);
}

void
test_main(void)
{
	t_run("add_unique", t_add_unique);
	t_run("exact_text", t_exact_text);
	t_run("add_copies", t_add_copies);
	t_run("roundtrip_property", t_roundtrip_property);
	t_run("malformed", t_malformed);
	t_run("limits", t_limits);
	t_run("serialize_refuses", t_serialize_refuses);
	t_run("delivery_sender", t_delivery_sender);
	t_run("prepend", t_prepend);
}
