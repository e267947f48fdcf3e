/*
 * mail.h - the outbox sender (SPEC section 5): a background thread that
 * claims due rows of the outbox table, delivers them over SMTP with
 * libcurl (or logs them when no SMTP server is configured), marks them
 * sent, and retries failures with growing waits, keeping the last error.
 *
 * Rows are written by the store in the same transaction as the change
 * that causes the mail, so nothing is lost when the process dies: a row
 * left "sending" by a crash is sent again after the restart (at most that
 * one message twice).
 */
#ifndef GAZETTE_MAIL_H
#define GAZETTE_MAIL_H

#include "gazette/http.h"

/* Starts the sender thread (its own database connection). 0 or GZ_EIO. */
int gz_mail_start(struct gz_app *app);
/* Wakes the sender now (after a write that queued mail). Thread-safe. */
void gz_mail_wake(void);
/* Asks the thread to finish the message in hand and stop; waits for it. */
void gz_mail_stop(void);

#endif
