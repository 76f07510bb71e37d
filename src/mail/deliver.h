/* The result of a delivery, shared by every delivery method and the queue. */
#ifndef TEGAMI_DELIVER_H
#define TEGAMI_DELIVER_H

/* Delivery results, qmail's contract: success, try again later, never. */
enum deliver_result { DELIVER_OK, DELIVER_TEMPFAIL, DELIVER_PERMFAIL };

#endif
