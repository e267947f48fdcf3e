/* Placeholder until the sender lands: no thread, nothing sent. */
#include "gazette/mail.h"

int gz_mail_start(struct gz_app *app)
{
    (void)app;
    return 0;
}

void gz_mail_wake(void)
{
}

void gz_mail_stop(void)
{
}
