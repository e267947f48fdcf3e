/* Placeholder: not built yet; answers 404. */
#include "gazette/site.h"

int gz_page_site_subscribe(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_site_confirm_form(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_site_confirm(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_site_unsubscribe_form(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_site_unsubscribe(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

