/* Placeholder: not built yet; answers 404. */
#include "gazette/site.h"

int gz_page_site_comment_post(struct gz_req *req, struct gz_resp *resp)
{
    (void)req;
    (void)resp;
    return 404;
}

