/*
 * make bench (dkim): DKIM signatures per second with tegami's own code, on one
 * thread. "digest": what the signer process does per signature (the
 * private-key operation on a 32-octet hash); "message": all of it for one
 * message (body hash, header hash, signature, the field written), as a
 * process holding the key would do it alone.
 *
 *	dkimsign KEY.pem MESSAGE SECONDS
 *
 * prints one line: alg=... bits=... digest_per_s=... digest_cpu_ms=...
 * message_per_s=... message_cpu_ms=...
 */
#include <sys/resource.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "lib/buf.h"
#include "mail/dkim.h"
#include "mail/dkim_key.h"

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f;
	char	*p;
	long	 n;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 || (p = malloc((size_t)n + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(p, 1, (size_t)n, f) != (size_t)n) {
		free(p);
		fclose(f);
		return NULL;
	}
	fclose(f);
	p[n] = '\0';
	*len = (size_t)n;
	return p;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
cpu(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct dkim_signer	 s;
	EVP_PKEY		*key = NULL;
	struct buf		 out;
	unsigned char		 md[32], sig[DKIM_SIG_B_MAX];
	const char		*errstr;
	char			*pem, *msg;
	size_t			 pemlen, msglen, siglen;
	double			 secs, t0, c0, dt, dc;
	unsigned long		 n;

	if (argc != 4 || (secs = atof(argv[3])) <= 0) {
		fprintf(stderr, "usage: dkimsign KEY.pem MESSAGE SECONDS\n");
		return 2;
	}
	if ((pem = slurp(argv[1], &pemlen)) == NULL ||
	    (msg = slurp(argv[2], &msglen)) == NULL) {
		perror("dkimsign");
		return 1;
	}
	if (dkim_key_load_private(pem, pemlen, &key, &errstr) == -1) {
		fprintf(stderr, "dkimsign: %s\n", errstr);
		return 1;
	}
	memset(md, 0x5a, sizeof(md));
	t0 = now();
	c0 = cpu();
	for (n = 0; now() - t0 < secs; n++) {
		siglen = sizeof(sig);
		md[n % 32] ^= (unsigned char)n;
		if (dkim_sign_hash(key, md, sig, &siglen) == -1) {
			fprintf(stderr, "dkimsign: signing failed\n");
			return 1;
		}
	}
	dt = now() - t0;
	dc = cpu() - c0;
	printf("alg=%s bits=%d digest_per_s=%.1f digest_cpu_ms=%.4f",
	    dkim_alg_name(dkim_key_alg(key)), EVP_PKEY_get_bits(key), n / dt,
	    dc * 1000.0 / n);

	memset(&s, 0, sizeof(s));
	s.domain = "bench.test";
	s.selector = "bench";
	s.key = key;
	s.hcanon = s.bcanon = DKIM_CANON_RELAXED;
	buf_init(&out, 0);
	t0 = now();
	c0 = cpu();
	for (n = 0; now() - t0 < secs; n++) {
		buf_reset(&out);
		if (dkim_sign_message(&s, 1, time(NULL), msg, msglen, &out, 0,
		    &errstr) == -1) {
			fprintf(stderr, "dkimsign: %s\n", errstr);
			return 1;
		}
	}
	dt = now() - t0;
	dc = cpu() - c0;
	printf(" message_per_s=%.1f message_cpu_ms=%.4f message_octets=%zu\n",
	    n / dt, dc * 1000.0 / n, msglen);
	buf_free(&out);
	EVP_PKEY_free(key);
	explicit_bzero(pem, pemlen);
	free(pem);
	free(msg);
	return 0;
}
