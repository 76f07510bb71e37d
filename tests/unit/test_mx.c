/* Unit tests for MX selection: rdata parsing, RFC 5321 ordering, null MX, backup cut. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns.h"
#include "harness.h"
#include "mta/mx.h"

/* xorshift32: the same sequence every run, so orders are checkable. */
static uint32_t
seeded(void *arg)
{
	uint32_t	*s = arg;

	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void
set(struct mx_host *h, const char *name, int pref)
{
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pref = pref;
}

static void
test_parse(void)
{
	static const unsigned char rd[] = { 0, 10, 3, 'm', 'x', '1', 7, 'e', 'x',
	    'a', 'm', 'p', 'l', 'e', 0 };
	static const unsigned char nul[] = { 0, 0, 0 };
	static const unsigned char trunc[] = { 0, 10, 3, 'm', 'x' };
	static const unsigned char ptr[] = { 0, 10, 0xc0, 12 };
	static const unsigned char trailing[] = { 0, 5, 1, 'a', 0, 9 };
	static const unsigned char dot[] = { 0, 5, 3, 'a', '.', 'b', 0 };
	struct mx_host	 h;

	T_EQ_INT(mx_parse(rd, sizeof(rd), &h), 0);
	T_EQ_STR(h.name, "mx1.example");
	T_EQ_INT(h.pref, 10);
	T_EQ_INT(mx_parse(nul, sizeof(nul), &h), 0);
	T_EQ_STR(h.name, "");
	T_EQ_INT(h.pref, 0);
	T_EQ_INT(mx_parse(trunc, sizeof(trunc), &h), -1);
	T_EQ_INT(mx_parse(ptr, sizeof(ptr), &h), -1);	/* no compression in rdata */
	T_EQ_INT(mx_parse(trailing, sizeof(trailing), &h), -1);
	T_EQ_INT(mx_parse(dot, sizeof(dot), &h), -1);
	T_EQ_INT(mx_parse(rd, 2, &h), -1);
}

static void
test_wire_name_limits(void)
{
	unsigned char	 p[300];
	char		 out[300];
	size_t		 off = 0, i;

	/* 64-octet label: over the RFC 1035 limit of 63. */
	p[0] = 64;
	memset(p + 1, 'a', 64);
	p[65] = 0;
	T_EQ_INT(dns_wire_name(p, 66, &off, out, sizeof(out)), -1);
	/* Four 63-octet labels: 255 octets of text, over the 253 a name can have. */
	for (i = 0; i < 4; i++) {
		p[i * 64] = 63;
		memset(p + i * 64 + 1, 'b', 63);
	}
	p[256] = 0;
	off = 0;
	T_EQ_INT(dns_wire_name(p, 257, &off, out, sizeof(out)), -1);
	/* An output buffer too small is an error, not a cut name. */
	p[0] = 3;
	memcpy(p + 1, "abc", 3);
	p[4] = 0;
	off = 0;
	T_EQ_INT(dns_wire_name(p, 5, &off, out, 3), -1);
	off = 0;
	T_EQ_INT(dns_wire_name(p, 5, &off, out, 4), 0);
	T_EQ_STR(out, "abc");
	T_EQ_INT(off, 5);
}

static void
test_null_mx(void)
{
	struct mx_host	 h[2];

	set(&h[0], "", 0);
	T_ASSERT(mx_is_null(h, 1));
	/* A null MX beside a real one is not RFC 7505's null MX. */
	set(&h[1], "mx.example", 10);
	T_ASSERT(!mx_is_null(h, 2));
	set(&h[0], "mx.example", 0);
	T_ASSERT(!mx_is_null(h, 1));
	T_ASSERT(!mx_is_null(h, 0));
}

static void
test_order_by_preference(void)
{
	struct mx_host	 h[4];
	uint32_t	 seed = 1;

	set(&h[0], "c", 30);
	set(&h[1], "a", 10);
	set(&h[2], "d", 65535);
	set(&h[3], "b", 20);
	mx_order(h, 4, seeded, &seed);
	T_EQ_STR(h[0].name, "a");
	T_EQ_STR(h[1].name, "b");
	T_EQ_STR(h[2].name, "c");
	T_EQ_STR(h[3].name, "d");
}

static void
test_equal_preferences_shuffled(void)
{
	struct mx_host	 h[5];
	uint32_t	 seed = 12345;
	int		 first[3] = { 0, 0, 0 }, run, i;

	/* Over many seeded runs each of three equals comes first, and "z" never does. */
	for (run = 0; run < 300; run++) {
		set(&h[0], "z", 50);
		set(&h[1], "x0", 10);
		set(&h[2], "x1", 10);
		set(&h[3], "x2", 10);
		set(&h[4], "y", 20);
		mx_order(h, 5, seeded, &seed);
		T_EQ_INT(h[0].pref, 10);
		T_EQ_INT(h[1].pref, 10);
		T_EQ_INT(h[2].pref, 10);
		T_EQ_STR(h[3].name, "y");
		T_EQ_STR(h[4].name, "z");
		T_ASSERT(strcmp(h[0].name, h[1].name) != 0);
		T_ASSERT(strcmp(h[1].name, h[2].name) != 0);
		first[h[0].name[1] - '0']++;
	}
	for (i = 0; i < 3; i++)
		T_ASSERT(first[i] > 50);
}

static void
test_order_is_seeded(void)
{
	struct mx_host	 a[6], b[6];
	uint32_t	 s1 = 99, s2 = 99;
	int		 i;

	for (i = 0; i < 6; i++) {
		char	 n[16];

		snprintf(n, sizeof(n), "h%d", i);
		set(&a[i], n, 10);
		set(&b[i], n, 10);
	}
	mx_order(a, 6, seeded, &s1);
	mx_order(b, 6, seeded, &s2);
	for (i = 0; i < 6; i++)
		T_EQ_STR(a[i].name, b[i].name);
}

static void
test_backup_cut(void)
{
	struct mx_host	 h[4];

	set(&h[0], "primary.example", 10);
	set(&h[1], "other.example", 10);
	set(&h[2], "Backup.Example", 20);
	set(&h[3], "last.example", 30);
	/* Only hosts more preferred than ours stay, our own name in any case. */
	T_EQ_INT(mx_backup_cut(h, 4, "backup.example"), 2);
	T_EQ_STR(h[0].name, "primary.example");
	T_EQ_STR(h[1].name, "other.example");
	/* Not listed: every host stays. */
	set(&h[2], "x.example", 20);
	T_EQ_INT(mx_backup_cut(h, 3, "nobody.example"), 3);
	/* The best MX ourselves: nothing left to relay to. */
	T_EQ_INT(mx_backup_cut(h, 3, "primary.example"), 0);
}

void
test_main(void)
{
	t_run("parse", test_parse);
	t_run("wire_name_limits", test_wire_name_limits);
	t_run("null_mx", test_null_mx);
	t_run("order_by_preference", test_order_by_preference);
	t_run("equal_preferences_shuffled", test_equal_preferences_shuffled);
	t_run("order_is_seeded", test_order_is_seeded);
	t_run("backup_cut", test_backup_cut);
}
