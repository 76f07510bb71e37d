/*
 * pyspf's RFC 7208 test suite (the openspf.org suite, release 2014.04, as
 * Debian's python3-spf ships it): converted by tests/unit/spf_suite.py into
 * build/.../rfc7208-suite.txt, then every case is run through the SPF state
 * machine against its scenario's zone and compared with the result(s) and
 * explanation the suite accepts.
 */
#include <sys/wait.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lib/buf.h"
#include "mail/spf.h"
#include "spf_zone.h"

#define PYTHON		"/usr/bin/python3"
#define CONVERTER	"tests/unit/spf_suite.py"
#define SUITE_ENV	"TEGAMI_SPF_SUITE"	/* another copy of the suite */
#define STEPS_MAX	1000

/*
 * Cases where this implementation deliberately differs from the suite;
 * docs/spf.md says why. Each must still differ (else the list is stale).
 */
static const struct {
	const char	*name;
	const char	*why;
} known[] = {
	{ "v-macro-ip6", "%{i} of an IPv6 address in lower-case nibbles, as "
	    "RFC 7208 7.4 writes them; the suite wants upper case" },
};

struct scase {
	char		*name, *helo, *host, *mailfrom, *results, *exp;
	struct zone	*zone;
};

static struct zone	 zones[64];
static size_t		 nzones;
static struct scase	 cases[512];
static size_t		 ncases, current, npass, nknown;
static char		 failed_names[8192];

static char *
xdup(const char *s)
{
	char	*p = strdup(s);

	if (p == NULL)
		abort();
	return p;
}

/* Runs the converter; the suite file path, or NULL with the reason printed. */
static char *
convert(void)
{
	static char	 out[PATH_MAX];
	char		 exe[PATH_MAX];
	const char	*suite = getenv(SUITE_ENV);
	ssize_t		 n;
	pid_t		 pid;
	int		 st;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) == -1)
		return NULL;
	exe[n] = '\0';
	snprintf(out, sizeof(out), "%s/rfc7208-suite.txt", dirname(exe));
	if (access(PYTHON, X_OK) == -1) {
		fprintf(stderr, "test_spf_suite: %s not found\n", PYTHON);
		return NULL;
	}
	if ((pid = fork()) == -1)
		return NULL;
	if (pid == 0) {
		if (suite != NULL)
			execl(PYTHON, PYTHON, CONVERTER, suite, out, (char *)NULL);
		else
			execl(PYTHON, PYTHON, CONVERTER, out, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return NULL;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "test_spf_suite: %s %s failed: the RFC 7208 suite "
		    "needs python3-spf and python3-yaml (scripts/install-deps.sh)\n",
		    PYTHON, CONVERTER);
		return NULL;
	}
	return out;
}

static int
load(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*line = NULL, *f[ZONE_FIELDS];
	size_t	 cap = 0, len[ZONE_FIELDS];
	int	 n, lineno = 0;

	if (fp == NULL)
		return -1;
	while (getline(&line, &cap, fp) != -1) {
		lineno++;
		n = zone_split(line, f, len);
		if (n >= 2 && strcmp(f[0], "scenario") == 0) {
			if (nzones == sizeof(zones) / sizeof(zones[0]))
				goto bad;
			nzones++;
		} else if (n >= 3 && strcmp(f[0], "zone") == 0 && nzones > 0) {
			if (zone_add(&zones[nzones - 1], f, len, n) == -1)
				goto bad;
		} else if (n == 7 && strcmp(f[0], "test") == 0 && nzones > 0) {
			struct scase	*c;

			if (ncases == sizeof(cases) / sizeof(cases[0]))
				goto bad;
			c = &cases[ncases++];
			c->name = xdup(f[1]);
			c->helo = xdup(f[2]);
			c->host = xdup(f[3]);
			c->mailfrom = xdup(f[4]);
			c->results = xdup(f[5]);
			c->exp = f[6][0] == '=' ? xdup(f[6] + 1) : NULL;
			c->zone = &zones[nzones - 1];
		} else
			goto bad;
	}
	free(line);
	fclose(fp);
	return 0;
bad:
	fprintf(stderr, "test_spf_suite: %s:%d: cannot use this line\n", path, lineno);
	free(line);
	fclose(fp);
	return -1;
}

/* 1 when r is one of the comma-separated results. */
static int
result_in(const char *r, const char *results)
{
	size_t		 n = strlen(r);
	const char	*p = results;

	while (*p != '\0') {
		size_t	 l = strcspn(p, ",");

		if (l == n && strncmp(p, r, n) == 0)
			return 1;
		p += l;
		if (*p == ',')
			p++;
	}
	return 0;
}

/* Runs one case; 1 when it gives what the suite accepts. *why says what it gave. */
static int
run(const struct scase *c, char *why, size_t whylen)
{
	struct spf_params	 p;
	struct spf_question	 q;
	struct spf		*s;
	unsigned char		 addr[16];
	const char		*res, *exp;
	int			 steps = 0, ok;

	memset(&p, 0, sizeof(p));
	if (inet_pton(AF_INET, c->host, addr) == 1)
		p.af = AF_INET;
	else if (inet_pton(AF_INET6, c->host, addr) == 1)
		p.af = AF_INET6;
	else {
		snprintf(why, whylen, "bad host %s", c->host);
		return 0;
	}
	p.identity = SPF_ID_MAILFROM;
	p.addr = addr;
	p.sender = c->mailfrom;
	p.helo = c->helo;
	p.now = 1400000000;
	/* The suite's driver sets "DEFAULT" as pyspf's default explanation. */
	p.default_exp = "DEFAULT";
	s = spf_start(&p);
	while (spf_step(s, &q) == SPF_STEP_QUERY && steps++ < STEPS_MAX)
		spf_answer(s, zone_answer(c->zone, q.name, q.type));
	res = steps > STEPS_MAX ? "(loops)" : spf_result_name(spf_result(s));
	exp = spf_explanation(s);
	ok = result_in(res, c->results) &&
	    (c->exp == NULL || (exp != NULL && strcmp(exp, c->exp) == 0));
	/* As pyspf's driver warns: an accepted result that is not the preferred (first) one. */
	if (ok && (strncmp(c->results, res, strlen(res)) != 0 ||
	    (c->results[strlen(res)] != ',' && c->results[strlen(res)] != '\0')))
		printf("note %s: %s accepted, the suite prefers %.*s\n", c->name,
		    res, (int)strcspn(c->results, ","), c->results);
	snprintf(why, whylen, "got %s (%s) explanation \"%s\", want %s%s%s%s",
	    res, spf_problem(s) ? spf_problem(s) : spf_mechanism(s) ?
	    spf_mechanism(s) : "-", exp ? exp : "", c->results,
	    c->exp ? " explanation \"" : "", c->exp ? c->exp : "",
	    c->exp ? "\"" : "");
	spf_free(&s);
	return ok;
}

static void
test_case(void)
{
	const struct scase	*c = &cases[current];
	char			 why[1024];

	if (run(c, why, sizeof(why)))
		npass++;
	else {
		size_t	 l = strlen(failed_names);

		snprintf(failed_names + l, sizeof(failed_names) - l, " %s", c->name);
		t_fail(__FILE__, __LINE__, "%s", why);
	}
}

static const char	*stale;

static void
test_stale_known(void)
{
	t_fail(__FILE__, __LINE__, "%s now passes: take it off the known list "
	    "and docs/spf.md", stale);
}

static void
test_suite_available(void)
{
	t_fail(__FILE__, __LINE__, "the RFC 7208 suite could not be converted or read");
}

void
test_main(void)
{
	const char	*path;
	size_t		 i, k;
	char		 why[1024];

	if ((path = convert()) == NULL || load(path) == -1 || ncases == 0) {
		t_run("rfc7208 suite", test_suite_available);
		return;
	}
	for (i = 0; i < ncases; i++) {
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(cases[i].name, known[k].name) == 0)
				break;
		if (k < sizeof(known) / sizeof(known[0])) {
			nknown++;
			if (run(&cases[i], why, sizeof(why))) {
				stale = known[k].name;
				t_run(known[k].name, test_stale_known);
			} else
				printf("known difference %s: %s; %s\n", cases[i].name,
				    known[k].why, why);
			continue;
		}
		current = i;
		t_run(cases[i].name, test_case);
	}
	printf("rfc7208 suite: %zu cases, %zu pass, %zu known difference%s "
	    "(docs/spf.md), %zu fail%s%s\n", ncases, npass, nknown,
	    nknown == 1 ? "" : "s", ncases - npass - nknown,
	    ncases - npass - nknown ? ":" : "", failed_names);
	for (i = 0; i < nzones; i++)
		zone_clear(&zones[i]);
}
