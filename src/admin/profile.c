/*
 * profile.c - /admin/profile, where every signed-in user changes their
 * own name, bio and avatar, and their password (which needs the current
 * one and ends their other sessions). The avatar is an image upload
 * through the newsroom's upload path (magic bytes and size checked by
 * the router, 415/413 otherwise) stored in the media folder like any
 * other image; pages show it where the initials showed.
 *
 * Threads: handlers keep no state between requests.
 */
#include <stdio.h>
#include <string.h>

#include "gazette/accounts.h"
#include "gazette/admin.h"
#include "gazette/html.h"
#include "gazette/newsroom.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "newsroom_pages.h"

#define field gz_newsroom_field

static const char *done_notice(const char *done)
{
    if (done && !strcmp(done, "profile"))
        return "Profile saved.";
    if (done && !strcmp(done, "password"))
        return "Password changed. Your other sessions were signed out.";
    return "";
}

/*
 * Renders the profile page. posted: which form was sent ("profile",
 * "password" or NULL) so its values and errors (borrowed {field: msg}, or
 * NULL) show; the other form shows the saved profile.
 */
static int profile_page(struct gz_req *req, struct gz_resp *resp, int status,
                        const char *posted, json_t *errors)
{
    const struct gz_user *me = gz_req_user(req);
    int err = 0;
    json_t *p = gz_store_profile_load(gz_req_db(req), me->id, &err);
    if (!p)
        return err == GZ_ENOTFOUND ? 404 : 500;
    int again = posted && !strcmp(posted, "profile");
    const char *name =
        again ? field(req, "name")
              : json_string_value(json_object_get(p, "name"));
    const char *bio = again ? field(req, "bio")
                            : json_string_value(json_object_get(p, "bio"));
    char initials[16];
    gz_initials(json_string_value(json_object_get(p, "name")), initials);
    const char *slug = json_string_value(json_object_get(p, "slug"));
    char author_url[200];
    snprintf(author_url, sizeof author_url, "/authors/%s", slug ? slug : "");
    json_t *pe = posted && !strcmp(posted, "password") && errors
                     ? json_incref(errors)
                     : json_object();
    json_t *fe = again && errors ? json_incref(errors) : json_object();
    json_t *model = json_pack(
        "{s:{s:s, s:s}, s:O, s:s, s:s, s:o, s:o, s:s, s:i}", "values", "name",
        name, "bio", bio, "avatar_url", json_object_get(p, "avatar_url"),
        "initials", initials, "author_url", author_url, "errors", fe,
        "password_errors", pe, "notice",
        done_notice(gz_req_query(req, "done", NULL)), "bio_max", GZ_BIO_MAX);
    json_object_set_new(model, "has_avatar",
                        json_boolean(*json_string_value(
                            json_object_get(p, "avatar_url"))));
    json_decref(p);
    gz_newsroom_section(model, "profile");
    int rc = gz_admin_render(req, resp, "admin_profile", "Your profile", model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

int gz_page_admin_profile(struct gz_req *req, struct gz_resp *resp)
{
    return profile_page(req, resp, 200, NULL, NULL);
}

int gz_page_admin_profile_save(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_user *me = gz_req_user(req);
    char url[96] = "";
    const char *avatar = NULL; /* NULL: keep the one there is */
    struct gz_upload *up = gz_req_upload(req);
    if (up) {
        int w = 0, h = 0;
        int st = gz_newsroom_keep_upload(req, up, url, sizeof url, &w, &h);
        if (st)
            return st;
        avatar = url;
    } else if (!strcmp(field(req, "remove_avatar"), "1")) {
        avatar = "";
    }
    json_t *errors = json_object();
    int rc = gz_store_profile_save(gz_req_db(req), me->id, field(req, "name"),
                                   field(req, "bio"), avatar, errors);
    if (rc == GZ_EINVAL) {
        int r = profile_page(req, resp, 422, "profile", errors);
        json_decref(errors);
        return r;
    }
    json_decref(errors);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    gz_log_info(4601, "request %s: user %lld saved their profile",
                gz_req_id(req), me->id);
    gz_resp_redirect(resp, 303, "/admin/profile?done=profile");
    return 0;
}

int gz_page_admin_profile_password(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_user *me = gz_req_user(req);
    struct gz_db *db = gz_req_db(req);
    json_t *errors = json_object();
    const char *current = field(req, "current_password");
    int ok = strlen(current) <= 1024
                 ? gz_store_password_check(db, me->id, current)
                 : 0;
    if (ok < 0) {
        json_decref(errors);
        return 500;
    }
    const char *fname = NULL;
    const char *problem = gz_store_password_problem(
        field(req, "password"), field(req, "password2"), &fname);
    if (!ok)
        json_object_set_new(errors, "current_password",
                            json_string("Your current password is not "
                                        "correct."));
    if (problem)
        json_object_set_new(errors, fname, json_string(problem));
    if (json_object_size(errors)) {
        gz_log_info(4602, "request %s: user %lld: password change refused",
                    gz_req_id(req), me->id);
        int r = profile_page(req, resp, 422, "password", errors);
        json_decref(errors);
        return r;
    }
    json_decref(errors);
    int rc = gz_store_password_set(db, me->id, field(req, "password"),
                                   gz_req_cookie(req, "gz_session"));
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    gz_log_info(4603, "request %s: user %lld changed their password",
                gz_req_id(req), me->id);
    gz_resp_redirect(resp, 303, "/admin/profile?done=password");
    return 0;
}
