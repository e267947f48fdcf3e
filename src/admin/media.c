/* Placeholder: not built yet; answers 404. */
#include "gazette/admin.h"

int gz_page_admin_media_upload(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

int gz_page_site_media(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

