/*
 * users.c - /admin/users, for admins only (the route table says so): the
 * list of accounts, adding one (email, name, role, first password), and
 * changing one (role, disable/enable, new password).
 *
 * The store refuses any change that would leave no enabled admin who can
 * sign in (SECURITY: otherwise nobody could manage users or settings
 * again); that refusal is shown as a 409 page with the reason on top.
 * Passwords are never echoed back into a form.
 *
 * Threads: handlers keep no state between requests.
 */
#include <stdio.h>
#include <string.h>

#include "gazette/admin.h"
#include "gazette/newsroom.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "gazette/tz.h"
#include "newsroom_pages.h"

#define field gz_newsroom_field

static const char *const roles[] = {"admin", "editor", "author"};
static const char *const role_labels[] = {"Admin", "Editor", "Author"};

static const char *done_notice(const char *done)
{
    static const struct {
        const char *key, *text;
    } notices[] = {
        {"created", "User added. They can sign in now with the password you "
                    "chose."},
        {"role", "Role changed."},
        {"disabled", "User disabled and signed out everywhere."},
        {"enabled", "User enabled. They can sign in again."},
        {"password", "Password changed. The user was signed out "
                     "everywhere."},
    };
    for (size_t i = 0; done && i < sizeof notices / sizeof notices[0]; i++)
        if (!strcmp(done, notices[i].key))
            return notices[i].text;
    return "";
}

/*
 * Renders the users page. form_errors: errors of the "add a user" form
 * ({field: message}) or NULL; error: a message for the top of the page or
 * NULL; error_id: the user whose row the error is about (0: none).
 */
static int users_page(struct gz_req *req, struct gz_resp *resp, int status,
                      json_t *form_errors, const char *error,
                      long long error_id)
{
    const struct gz_user *me = gz_req_user(req);
    json_t *rows = gz_store_users_list(gz_req_db(req));
    if (!rows)
        return 500;
    size_t i;
    json_t *u;
    json_array_foreach(rows, i, u)
    {
        long long id = json_integer_value(json_object_get(u, "id"));
        const char *role = json_string_value(json_object_get(u, "role"));
        char url[96], when[40];
        snprintf(url, sizeof url, "/admin/users/%lld", id);
        json_object_set_new(u, "update_url", json_string(url));
        json_object_set_new(u, "is_me", json_boolean(id == me->id));
        long long made = json_integer_value(json_object_get(u, "created_at"));
        gz_time_human(made + gz_tz_offset(gz_tz_site(), made), when);
        json_object_set_new(u, "created_human", json_string(when));
        long long n = json_integer_value(json_object_get(u, "stories"));
        char count[48];
        snprintf(count, sizeof count, "%lld %s", n,
                 n == 1 ? "story" : "stories");
        json_object_set_new(u, "stories_label", json_string(count));
        json_t *opts = json_array();
        for (int r = 0; r < 3; r++) {
            json_array_append_new(
                opts, json_pack("{s:s, s:s, s:b}", "value", roles[r], "label",
                                role_labels[r], "selected",
                                role && !strcmp(role, roles[r])));
            if (role && !strcmp(role, roles[r]))
                json_object_set_new(u, "role_label",
                                    json_string(role_labels[r]));
        }
        json_object_set_new(u, "roles", opts);
        /* Always set, so a row never shows the page's message through
         * Mustache's lookup in the enclosing context. */
        json_object_set_new(u, "error",
                            json_string(error && error_id == id ? error : ""));
    }
    const char *new_role = field(req, "role");
    if (!*new_role || !form_errors)
        new_role = "author";
    json_t *new_roles = json_array();
    for (int r = 0; r < 3; r++)
        json_array_append_new(new_roles,
                              json_pack("{s:s, s:s, s:b}", "value", roles[r],
                                        "label", role_labels[r], "selected",
                                        !strcmp(new_role, roles[r])));
    json_t *fe = form_errors ? json_incref(form_errors) : json_object();
    json_t *model = json_pack(
        "{s:o, s:{s:{s:s, s:s}, s:o, s:o}, s:s, s:s}", "users", rows, "form",
        "values", "name", form_errors ? field(req, "name") : "", "email",
        form_errors ? field(req, "email") : "", "errors", fe, "roles",
        new_roles, "error", error ? error : "", "notice",
        done_notice(gz_req_query(req, "done", NULL)));
    gz_newsroom_section(model, "users");
    int rc = gz_admin_render(req, resp, "admin_users", "Users", model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

int gz_page_admin_users(struct gz_req *req, struct gz_resp *resp)
{
    return users_page(req, resp, 200, NULL, NULL, 0);
}

int gz_page_admin_user_create(struct gz_req *req, struct gz_resp *resp)
{
    char err[200];
    const char *fname = NULL;
    long long id = 0;
    int rc = gz_store_user_create(gz_req_db(req), field(req, "email"),
                                  field(req, "name"), field(req, "role"),
                                  field(req, "password"), &id, err, sizeof err,
                                  &fname);
    if (rc == GZ_EINVAL || rc == GZ_ECONFLICT) {
        json_t *errors = json_object();
        json_object_set_new(errors, fname ? fname : "email", json_string(err));
        int r = users_page(req, resp, 422, errors, NULL, 0);
        json_decref(errors);
        return r;
    }
    if (rc != 0)
        return 500;
    gz_log_info(2501, "request %s: user %lld added by user %lld",
                gz_req_id(req), id, gz_req_user(req)->id);
    gz_resp_redirect(resp, 303, "/admin/users?done=created");
    return 0;
}

int gz_page_admin_user_update(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_user *me = gz_req_user(req);
    long long id = 0;
    const char *p = gz_req_param(req, 0);
    if (!p || gz_parse_int(p, 1, 1LL << 53, &id) != 0)
        return 404;
    const char *action = field(req, "action");
    const char *role = NULL, *password = NULL, *done;
    int disabled = -1;
    if (!strcmp(action, "role")) {
        role = field(req, "role");
        done = "role";
    } else if (!strcmp(action, "disable")) {
        disabled = 1;
        done = "disabled";
    } else if (!strcmp(action, "enable")) {
        disabled = 0;
        done = "enabled";
    } else if (!strcmp(action, "password")) {
        password = field(req, "password");
        done = "password";
    } else {
        gz_respond_error(req, resp, 400,
                         "Choose what to change: role, disable, enable or "
                         "password.");
        return 0;
    }
    char err[200];
    int rc = gz_store_user_update(gz_req_db(req), id, role, disabled, password,
                                  err, sizeof err);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc == GZ_ECONFLICT)
        return users_page(req, resp, 409, NULL, err, id);
    if (rc == GZ_EINVAL)
        return users_page(req, resp, 422, NULL, err, id);
    if (rc != 0)
        return 500;
    gz_log_info(2502, "request %s: user %lld changed (%s) by user %lld",
                gz_req_id(req), id, done, me->id);
    /* Changing one's own account may end one's rights or session. */
    if (id == me->id && (disabled == 1 || password))
        gz_resp_redirect(resp, 303, "/admin/login");
    else if (id == me->id && role && strcmp(role, "admin") != 0)
        gz_resp_redirect(resp, 303, "/admin/stories");
    else {
        char loc[64];
        snprintf(loc, sizeof loc, "/admin/users?done=%s", done);
        gz_resp_redirect(resp, 303, loc);
    }
    return 0;
}
