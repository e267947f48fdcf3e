/*
 * redirect.c - old URLs of a site moved in from Ghost or WordPress
 * (docs/IMPORT.md): a GET or HEAD that no route matches, or "/?p=N" (a
 * WordPress short link), answers 301 to the story, tag or author page the
 * import recorded (store/redirects.c). Looked up only on a miss, so the
 * cost falls on 404s and short links alone. Unmatched paths are never kept
 * in the page cache, so no stale 404 outlives an import.
 */
#include <stdio.h>
#include <string.h>

#include "gazette/import.h"
#include "internal.h"

int gz_http_redirect_answer(struct gz_req *req, struct gz_resp *resp)
{
    if (!(req->method & (GZ_GET | GZ_HEAD)) || req->api || !req->path)
        return 0;
    char key[1100];
    if (strcmp(req->path, "/") == 0) {
        static const char *const names[] = {"p", "page_id"};
        const char *v = NULL, *name = NULL;
        for (int i = 0; i < 2 && !v; i++) {
            int bad = 0;
            v = gz_req_query(req, names[i], &bad);
            if (bad)
                return 0;
            name = names[i];
        }
        if (!v || !*v || strlen(v) > 19 || strspn(v, "0123456789") != strlen(v))
            return 0;
        snprintf(key, sizeof key, "/?%s=%s", name, v);
    } else if (strlen(req->path) < sizeof key) {
        snprintf(key, sizeof key, "%s", req->path);
    } else {
        return 0;
    }
    struct gz_db *db = gz_req_db(req);
    char location[1024];
    if (!db || gz_store_redirect_find(db, key, location, sizeof location) != 0)
        return 0;
    gz_resp_redirect(resp, 301, location);
    return 1;
}
