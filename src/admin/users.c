/* Placeholder: not built yet; answers 404. */
#include "gazette/admin.h"

int gz_page_admin_users(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_admin_user_create(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_admin_user_update(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

