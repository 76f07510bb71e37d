/* A queued message's per-recipient memory: pending recipients with their last errors, results owed a report. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/xalloc.h"
#include "queue/bounce.h"
#include "queue/queue.h"

/*
 * Rebuilds the list of pending recipients from the loaded envelope, keeping
 * the last error of those still pending. Show queue reads it while the
 * envelope is not in memory.
 */
void
qrcpt_sync(struct qmsg *q)
{
	struct qrcpt	*n;
	size_t		 i, j, nn = 0;

	if (!q->loaded)
		return;
	n = xcalloc(q->npending > 0 ? q->npending : 1, sizeof(*n));
	for (i = 0; i < q->env.ndeliveries && nn < q->npending; i++) {
		const struct delivery	*d = &q->env.deliveries[i];

		if (d->state != DSTATE_PENDING)
			continue;
		n[nn].idx = i;
		n[nn].rcpt = xstrdup(d->rcpt ? d->rcpt : "");
		n[nn].dest = xstrdup(d->dest ? d->dest : "");
		for (j = 0; j < q->nrcpts; j++)
			if (q->rcpts[j].idx == i) {
				n[nn].error = q->rcpts[j].error;
				q->rcpts[j].error = NULL;
				break;
			}
		nn++;
	}
	for (j = 0; j < q->nrcpts; j++) {
		free(q->rcpts[j].rcpt);
		free(q->rcpts[j].dest);
		free(q->rcpts[j].error);
	}
	free(q->rcpts);
	q->rcpts = n;
	q->nrcpts = nn;
}

static struct qrcpt *
qrcpt_find(const struct qmsg *q, size_t idx)
{
	size_t	 i;

	for (i = 0; i < q->nrcpts; i++)
		if (q->rcpts[i].idx == idx)
			return &q->rcpts[i];
	return NULL;
}

void
qrcpt_set_error(struct qmsg *q, size_t idx, const char *text)
{
	struct qrcpt	*r;

	if ((r = qrcpt_find(q, idx)) == NULL)
		return;
	free(r->error);
	r->error = xstrdup(text);
}

const char *
qrcpt_error(const struct qmsg *q, size_t idx)
{
	const struct qrcpt	*r = qrcpt_find(q, idx);

	if (r != NULL && r->error != NULL)
		return r->error;
	return q->last_error;
}

void
qrcpt_free(struct qmsg *q)
{
	size_t	 i;

	for (i = 0; i < q->nrcpts; i++) {
		free(q->rcpts[i].rcpt);
		free(q->rcpts[i].dest);
		free(q->rcpts[i].error);
	}
	x_free(&q->rcpts);
	q->nrcpts = 0;
	qdsn_clear(q);
}

void
qdsn_add(struct qmsg *q, size_t idx, int action, const char *text,
    const char *status)
{
	struct qdsn	*x;

	q->dsn = xreallocarray(q->dsn, q->ndsn + 1, sizeof(*q->dsn));
	x = &q->dsn[q->ndsn++];
	x->idx = idx;
	x->action = action;
	x->text = xstrdup(text ? text : "");
	x->status = status ? xstrdup(status) : NULL;
}

/* 1 when delivery idx failed permanently in this round (its F is owed). */
int
qdsn_failed(const struct qmsg *q, size_t idx)
{
	size_t	 i;

	for (i = 0; i < q->ndsn; i++)
		if (q->dsn[i].idx == idx && q->dsn[i].action == BOUNCE_FAILED)
			return 1;
	return 0;
}

void
qdsn_clear(struct qmsg *q)
{
	size_t	 i;

	for (i = 0; i < q->ndsn; i++) {
		free(q->dsn[i].text);
		free(q->dsn[i].status);
	}
	x_free(&q->dsn);
	q->ndsn = 0;
}

/*
 * RFC 3461 4.1: without NOTIFY a report is sent on failure and may be on
 * delay, never on success; NEVER means none; else only the kinds listed.
 */
int
qdsn_wanted(const char *notify, const char *kind)
{
	const char	*p = notify;
	size_t		 n, klen = strlen(kind);

	if (notify == NULL)
		return strcasecmp(kind, "SUCCESS") != 0;
	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n == klen && strncasecmp(p, kind, n) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}
