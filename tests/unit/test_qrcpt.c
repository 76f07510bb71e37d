/* Tests for the queue's per-recipient memory: NOTIFY decisions, pending list, results owed a report. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "queue/bounce.h"
#include "queue/queue.h"

static void
test_notify(void)
{
	/* RFC 3461 4.1: no NOTIFY means failures and delays, no successes. */
	T_EQ_INT(qdsn_wanted(NULL, "FAILURE"), 1);
	T_EQ_INT(qdsn_wanted(NULL, "DELAY"), 1);
	T_EQ_INT(qdsn_wanted(NULL, "SUCCESS"), 0);
	T_EQ_INT(qdsn_wanted("NEVER", "FAILURE"), 0);
	T_EQ_INT(qdsn_wanted("NEVER", "DELAY"), 0);
	T_EQ_INT(qdsn_wanted("NEVER", "NEVER"), 1);
	T_EQ_INT(qdsn_wanted("SUCCESS", "FAILURE"), 0);
	T_EQ_INT(qdsn_wanted("SUCCESS", "SUCCESS"), 1);
	T_EQ_INT(qdsn_wanted("SUCCESS,FAILURE,DELAY", "DELAY"), 1);
	T_EQ_INT(qdsn_wanted("success,failure", "FAILURE"), 1);
	T_EQ_INT(qdsn_wanted("FAILURE", "DELAY"), 0);
	/* Whole words only. */
	T_EQ_INT(qdsn_wanted("FAILURES", "FAILURE"), 0);
	T_EQ_INT(qdsn_wanted("DELAY,", "DELAY"), 1);
	T_EQ_INT(qdsn_wanted("", "FAILURE"), 0);
}

static void
add(struct envelope *e, const char *rcpt, enum delivery_state st)
{
	struct delivery	 d;

	memset(&d, 0, sizeof(d));
	d.state = st;
	d.method = DELIVER_MAILDIR;
	d.rcpt = (char *)rcpt;
	d.dest = (char *)rcpt;
	envelope_add(e, &d);
}

static void
test_pending_list_keeps_errors(void)
{
	struct qmsg	 q;

	memset(&q, 0, sizeof(q));
	envelope_init(&q.env);
	add(&q.env, "a@x", DSTATE_PENDING);
	add(&q.env, "b@x", DSTATE_DONE);
	add(&q.env, "c@x", DSTATE_PENDING);
	q.npending = 2;
	q.loaded = 1;
	qrcpt_sync(&q);
	T_EQ_INT(q.nrcpts, 2);
	T_EQ_STR(q.rcpts[0].rcpt, "a@x");
	T_EQ_INT(q.rcpts[1].idx, 2);
	T_ASSERT(qrcpt_error(&q, 2) == NULL);
	qrcpt_set_error(&q, 2, "451 later");
	qrcpt_set_error(&q, 1, "not pending: ignored");
	T_EQ_STR(qrcpt_error(&q, 2), "451 later");
	/* Without its own error a recipient shows the message's. */
	q.last_error = strdup("message error");
	T_EQ_STR(qrcpt_error(&q, 0), "message error");
	/* a@x delivered: gone from the list; c@x keeps its error. */
	q.env.deliveries[0].state = DSTATE_DONE;
	q.npending = 1;
	qrcpt_sync(&q);
	T_EQ_INT(q.nrcpts, 1);
	T_EQ_STR(q.rcpts[0].rcpt, "c@x");
	T_EQ_STR(q.rcpts[0].error, "451 later");
	/* Not loaded: the list is left as it is. */
	q.loaded = 0;
	q.npending = 0;
	qrcpt_sync(&q);
	T_EQ_INT(q.nrcpts, 1);
	qrcpt_free(&q);
	T_EQ_INT(q.nrcpts, 0);
	free(q.last_error);
	envelope_free(&q.env);
}

static void
test_results_owed(void)
{
	struct qmsg	 q;

	memset(&q, 0, sizeof(q));
	qdsn_add(&q, 3, BOUNCE_DELIVERED, "ok", NULL);
	qdsn_add(&q, 1, BOUNCE_FAILED, "550 no", NULL);
	qdsn_add(&q, 2, BOUNCE_FAILED, NULL, "4.4.7");
	T_EQ_INT(q.ndsn, 3);
	T_EQ_INT(qdsn_failed(&q, 1), 1);
	T_EQ_INT(qdsn_failed(&q, 3), 0);
	T_EQ_INT(qdsn_failed(&q, 0), 0);
	T_EQ_STR(q.dsn[2].text, "");
	T_EQ_STR(q.dsn[2].status, "4.4.7");
	T_ASSERT(q.dsn[0].status == NULL);
	qdsn_clear(&q);
	T_EQ_INT(q.ndsn, 0);
	T_EQ_INT(qdsn_failed(&q, 1), 0);
}

void
test_main(void)
{
	t_run("notify", test_notify);
	t_run("pending_list_keeps_errors", test_pending_list_keeps_errors);
	t_run("results_owed", test_results_owed);
}
