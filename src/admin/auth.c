/*
 * auth.c - first-run setup, sign-in, sign-out and the newsroom's front
 * page, plus gz_admin_render, which every admin page renders through.
 *
 * Sessions: a random 256-bit token in an HttpOnly, SameSite=Lax cookie
 * (Secure over TLS or an https base URL); the database keeps only its
 * SHA-256. An unknown email and a wrong password get the same answer in
 * the same time.
 *
 * Sign-in limits (SECURITY; docs/NEWSROOM.md): online guessing is bounded
 * without letting anyone lock the real user out. A browser that signed in
 * to an account before carries a "trusted device" cookie for it (signed
 * with a key only the database holds); its attempts count against that
 * device alone (10 in 15 minutes). Every other attempt counts against its
 * address (20) and against the account's untrusted attempts (5): an
 * attacker, from any number of addresses, can lock out only untrusted
 * browsers, never the writer's own.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gazette/accounts.h"
#include "gazette/admin.h"
#include "gazette/html.h"
#include "gazette/site.h"
#include "gazette/store.h"

#define SESSION_TTL (14 * 24 * 3600)
#define LOGIN_WINDOW 900 /* 15 minutes */
#define LOGIN_MAX_PER_IP 20
#define LOGIN_MAX_PER_ACCOUNT 5
#define LOGIN_MAX_PER_DEVICE 10
#define DEVICE_TTL (365 * 24 * 3600)

static const char *form_str(struct gz_req *req, const char *name)
{
    const char *v =
        json_string_value(json_object_get(gz_req_form(req), name));
    return v ? v : "";
}

static const char *role_name(enum gz_role r)
{
    return r == GZ_ROLE_ADMIN ? "admin" : r == GZ_ROLE_EDITOR ? "editor"
                                                              : "author";
}

int gz_admin_render(struct gz_req *req, struct gz_resp *resp,
                    const char *name, const char *title, json_t *model)
{
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    gz_site_page_common(req, model, settings, title, NULL, "website",
                        "admin");
    json_object_set_new(json_object_get(model, "page"), "noindex",
                        json_true());
    const struct gz_user *u = gz_req_user(req);
    if (u) {
        json_object_set_new(
            model, "me",
            json_pack("{s:I, s:s, s:s, s:s, s:b, s:b}", "id",
                      (json_int_t)u->id, "name", u->name, "email", u->email,
                      "role", role_name(u->role), "is_admin",
                      u->role >= GZ_ROLE_ADMIN, "is_editor",
                      u->role >= GZ_ROLE_EDITOR));
        json_object_set_new(model, "csrf", json_string(u->csrf));
    } else {
        json_object_set_new(model, "me", json_null());
        json_object_set_new(model, "csrf", json_string(""));
    }
    int rc = gz_resp_page(req, resp, name, model);
    json_decref(settings);
    return rc;
}

/* Only local admin paths may be a "next" target (no open redirects). */
static const char *safe_next(const char *next)
{
    if (next && strncmp(next, "/admin", 6) == 0 && !strstr(next, "//") &&
        !strpbrk(next, "\\\r\n") && gz_url_is_safe(next))
        return next;
    return "/admin";
}

/* Cookies are Secure over TLS, or when the site's public address (the
 * admin's setting or the configured one) is https, as behind a TLS proxy. */
static int is_secure(struct gz_req *req)
{
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    int secure = gz_req_secure(req) ||
                 strncmp(gz_store_base_url(settings, gz_req_base_url(req)),
                         "https://", 8) == 0;
    json_decref(settings);
    return secure;
}

static void session_cookie(struct gz_resp *resp, const char *token,
                           int secure)
{
    char cookie[300];
    snprintf(cookie, sizeof cookie,
             "gz_session=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
             token, SESSION_TTL, secure ? "; Secure" : "");
    gz_resp_cookie(resp, cookie);
}

/* The trusted-device cookie for this account (see the file's head). */
static void device_cookie(struct gz_req *req, struct gz_resp *resp,
                          const char *email, int secure)
{
    char value[130], cookie[300];
    if (gz_store_device_cookie(gz_req_db(req), email, value) != 0)
        return; /* the sign-in still works; the limits stay the strict ones */
    snprintf(cookie, sizeof cookie,
             "gz_device=%s; Path=/admin/login; Max-Age=%d; HttpOnly;"
             " SameSite=Strict%s",
             value, DEVICE_TTL, secure ? "; Secure" : "");
    gz_resp_cookie(resp, cookie);
}

/* ---- first run ---------------------------------------------------------- */

static int setup_page(struct gz_req *req, struct gz_resp *resp, int status,
                      const char *error, const char *field)
{
    json_t *model = json_pack(
        "{s:s, s:s, s:{s:s, s:s}}", "error", error ? error : "", "field",
        field ? field : "", "values", "name", form_str(req, "name"), "email",
        form_str(req, "email"));
    json_t *errors = json_object();
    if (field)
        json_object_set_new(errors, field, json_string(error));
    json_object_set_new(model, "errors", errors);
    int rc = gz_admin_render(req, resp, "admin_setup", "Set up Gazette", model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

int gz_page_admin_setup_form(struct gz_req *req, struct gz_resp *resp)
{
    /* Closed for good once anyone can sign in. */
    if (gz_store_login_users(gz_req_db(req)) > 0)
        return 404;
    return setup_page(req, resp, 200, NULL, NULL);
}

int gz_page_admin_setup(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_db *db = gz_req_db(req);
    if (!db)
        return 503;
    /* The check and the insert share one write transaction, so two
     * racing set-ups cannot both create an admin. */
    if (gz_db_tx_begin(db) != 0)
        return 503;
    if (gz_store_login_users(db) > 0) {
        gz_db_tx_rollback(db);
        return 404;
    }
    const char *pw = form_str(req, "password");
    if (strcmp(pw, form_str(req, "password2")) != 0) {
        gz_db_tx_rollback(db);
        return setup_page(req, resp, 422, "The two passwords differ.",
                          "password2");
    }
    char err[200];
    const char *field = NULL;
    long long id = 0;
    int rc = gz_store_user_create(db, form_str(req, "email"),
                                  form_str(req, "name"), "admin", pw, &id, err,
                                  sizeof err, &field);
    if (rc == GZ_EINVAL || rc == GZ_ECONFLICT) {
        gz_db_tx_rollback(db);
        return setup_page(req, resp, 422, err, field);
    }
    char token[65];
    if (rc != 0 || gz_store_session_create(db, id, SESSION_TTL, token) != 0 ||
        gz_db_tx_commit(db) != 0) {
        gz_db_tx_rollback(db);
        return 500;
    }
    gz_log_info(2101, "first admin created (user %lld)", id);
    session_cookie(resp, token, is_secure(req));
    gz_resp_redirect(resp, 303, "/admin");
    return 0;
}

/* ---- sign in and out ----------------------------------------------------- */

static int login_page(struct gz_req *req, struct gz_resp *resp, int status,
                      const char *error)
{
    int bad = 0;
    const char *next = gz_req_query(req, "next", &bad);
    if (!next || bad)
        next = form_str(req, "next");
    json_t *model = json_pack("{s:s, s:s, s:s, s:b}", "error",
                              error ? error : "", "email",
                              form_str(req, "email"), "next", safe_next(next),
                              "signed_out",
                              gz_req_query(req, "signed_out", NULL) != NULL);
    /* "to the Gazette newsroom", but "to The Port Alder Gazette
     * newsroom": a title with its own article gets no second one. */
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    const char *site_title =
        json_string_value(json_object_get(settings, "title"));
    json_object_set_new(model, "title_has_the",
                        json_boolean(site_title &&
                                     strncasecmp(site_title, "the ", 4) == 0));
    json_decref(settings);
    int rc = gz_admin_render(req, resp, "admin_login", "Sign in", model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

int gz_page_admin_login_form(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_db *db = gz_req_db(req);
    if (gz_store_login_users(db) == 0) {
        gz_resp_redirect(resp, 303, "/admin/setup");
        return 0;
    }
    if (gz_req_user(req)) {
        gz_resp_redirect(resp, 303, "/admin");
        return 0;
    }
    return login_page(req, resp, 200, NULL);
}

int gz_page_admin_login(struct gz_req *req, struct gz_resp *resp)
{
    const char *email = form_str(req, "email");
    const char *password = form_str(req, "password");
    char ip_key[96], acct_key[96], lower[64];
    size_t i;
    for (i = 0; email[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)((email[i] >= 'A' && email[i] <= 'Z')
                              ? email[i] - 'A' + 'a'
                              : email[i]);
    lower[i] = '\0';
    snprintf(ip_key, sizeof ip_key, "login-ip:%s", gz_req_client(req));
    snprintf(acct_key, sizeof acct_key, "login-acct:%s", lower);
    struct gz_db *db = gz_req_db(req);
    char device[33], dev_key[64];
    int trusted = *email && gz_store_device_check(
                                db, email, gz_req_cookie(req, "gz_device"),
                                device);
    /* SECURITY: the attempt is counted before the (slow) password check,
     * so parallel guesses cannot all slip under the limit. A success
     * clears the account's count; the address keeps its own. */
    int wait;
    if (trusted) {
        snprintf(dev_key, sizeof dev_key, "login-dev:%s", device);
        wait = gz_ratelimit_hit(dev_key, LOGIN_MAX_PER_DEVICE, LOGIN_WINDOW);
    } else {
        wait = gz_ratelimit_hit(ip_key, LOGIN_MAX_PER_IP, LOGIN_WINDOW);
        int wait2 = gz_ratelimit_hit(acct_key, LOGIN_MAX_PER_ACCOUNT,
                                     LOGIN_WINDOW);
        if (wait2 > wait)
            wait = wait2;
    }
    if (wait > 0) {
        int rc = login_page(req, resp, 429,
                            "Too many sign-in attempts. Wait a few minutes "
                            "and try again.");
        resp->retry_after = wait;
        return rc;
    }
    if (!*email || !*password || strlen(password) > 1024)
        return login_page(req, resp, 422, "Enter your email and password.");
    long long id = gz_store_user_verify(db, email, password);
    if (id < 0)
        return 500;
    if (id == 0) {
        gz_log_info(2102, "request %s: failed sign-in from %s",
                    gz_req_id(req), gz_req_client(req));
        return login_page(req, resp, 401, "Email or password is incorrect.");
    }
    char token[65];
    if (gz_store_session_create(db, id, SESSION_TTL, token) != 0)
        return 500;
    gz_store_user_signed_in(db, id); /* gazette user list */
    /* A trusted sign-in clears only its device's count: the account's
     * count of untrusted failures (an attack, maybe) stands. */
    gz_ratelimit_clear(trusted ? dev_key : acct_key);
    /* One settings read decides Secure for both cookies. */
    int secure = is_secure(req);
    session_cookie(resp, token, secure);
    device_cookie(req, resp, email, secure);
    gz_resp_redirect(resp, 303, safe_next(form_str(req, "next")));
    return 0;
}

int gz_page_admin_logout(struct gz_req *req, struct gz_resp *resp)
{
    const char *token = gz_req_cookie(req, "gz_session");
    if (token)
        gz_store_session_delete(gz_req_db(req), token);
    gz_resp_cookie(resp, "gz_session=; Path=/; Max-Age=0; HttpOnly; "
                         "SameSite=Lax");
    gz_resp_redirect(resp, 303, "/admin/login?signed_out=1");
    return 0;
}

int gz_page_admin_home(struct gz_req *req, struct gz_resp *resp)
{
    gz_resp_redirect(resp, 303, "/admin/stories");
    return 0;
}
