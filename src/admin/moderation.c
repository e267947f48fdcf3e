/* Placeholder: not built yet; answers 404. */
#include "gazette/admin.h"

int gz_page_admin_comments(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_admin_comments_bulk(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_admin_subscribers(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_admin_subscribers_csv(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_admin_subscriber_delete(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

