/*
 * reset.c - "Forgot your password?": /admin/reset takes an email address
 * and always gives the same answer, in about the same time, whether or
 * not an account uses it (SECURITY: no account enumeration): the mail is
 * composed and the token made either way, and only the outbox row is
 * skipped for an unknown address. The mail carries a link to
 * /admin/reset/confirm?token=<64 hex> (the database keeps only its
 * SHA-256) that works once, for mail.reset_ttl seconds (an hour). Setting
 * a new password there ends every session of the user, then signs them
 * in on this browser.
 *
 * The form is rate-limited per address asked for (3 in 15 minutes: a
 * mailbox cannot be flooded) and per client (20 in 15 minutes).
 *
 * Threads: handlers keep no state; the limits live in ratelimit.c.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "gazette/accounts.h"
#include "gazette/admin.h"
#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/mail.h"
#include "gazette/newsroom.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "newsroom_pages.h"

#define field gz_newsroom_field
#define RESET_WINDOW 900
#define RESET_MAX_PER_EMAIL 3
#define RESET_MAX_PER_IP 20
#define SESSION_TTL (14 * 24 * 3600) /* as auth.c */


/*
 * The request form. state: "form", "sent", or "bad" (a link that no
 * longer works). error: a message for the email field, or NULL.
 */
static int reset_page(struct gz_req *req, struct gz_resp *resp, int status,
                      const char *state, const char *error)
{
    int ttl = gz_req_app(req)->cfg.reset_ttl;
    json_t *model = json_pack(
        "{s:s, s:s, s:b, s:b, s:i}", "email", field(req, "email"), "error",
        error ? error : "", "sent", !strcmp(state, "sent"), "bad",
        !strcmp(state, "bad"), "minutes", ttl >= 60 ? ttl / 60 : 1);
    int rc = gz_admin_render(req, resp, "admin_reset", "Reset your password",
                             model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

/* The new-password form for a working token. */
static int confirm_page(struct gz_req *req, struct gz_resp *resp, int status,
                        const char *token, json_t *errors)
{
    json_t *model = json_pack("{s:s, s:o}", "token", token, "errors",
                              errors ? json_incref(errors) : json_object());
    int rc = gz_admin_render(req, resp, "admin_reset_confirm",
                             "Choose a new password", model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

int gz_page_admin_reset_form(struct gz_req *req, struct gz_resp *resp)
{
    return reset_page(req, resp, 200, "form", NULL);
}

int gz_page_admin_reset(struct gz_req *req, struct gz_resp *resp)
{
    const char *email = field(req, "email");
    size_t el = strlen(email);
    if (el < 3 || el > 254 || !strchr(email, '@') ||
        !gz_utf8_valid_text(email, el) || strpbrk(email, " \r\n\t"))
        return reset_page(req, resp, 422, "form",
                          "Enter the email address you sign in with.");
    char lower[256], key[300];
    size_t i;
    for (i = 0; email[i] && i < sizeof lower - 1; i++)
        lower[i] = (char)(email[i] >= 'A' && email[i] <= 'Z'
                              ? email[i] - 'A' + 'a'
                              : email[i]);
    lower[i] = '\0';
    snprintf(key, sizeof key, "reset-ip:%s", gz_req_client(req));
    int wait = gz_ratelimit_hit(key, RESET_MAX_PER_IP, RESET_WINDOW);
    snprintf(key, sizeof key, "reset:%s", lower);
    int wait2 = gz_ratelimit_hit(key, RESET_MAX_PER_EMAIL, RESET_WINDOW);
    if (wait2 > wait)
        wait = wait2;
    if (wait > 0) {
        int rc = reset_page(req, resp, 429, "form",
                            "Too many reset requests. Wait a few minutes and "
                            "try again.");
        resp->retry_after = wait;
        return rc;
    }

    /* SECURITY: token and mail are made before we know whether the
     * address has an account, so both answers take the same path. */
    struct gz_db *db = gz_req_db(req);
    struct gz_app *app = gz_req_app(req);
    json_t *settings = gz_store_settings_load(db);
    const char *title = json_string_value(json_object_get(settings, "title"));
    char token[65], base[512], name[128] = "", to[256] = "";
    struct gz_mail_msg mail = {0};
    snprintf(base, sizeof base, "%s",
             gz_store_base_url(settings, gz_req_base_url(req)));
    int st = 0;
    long long uid = 0;
    if (gz_random_token(token) != 0) {
        st = 503;
        goto out;
    }
    if (gz_db_tx_begin(db) != 0) {
        st = 503;
        goto out;
    }
    if (gz_store_reset_create(db, email, token, app->cfg.reset_ttl, &uid,
                              name, to) != 0) {
        gz_db_tx_rollback(db);
        st = 500;
        goto out;
    }
    int c = gz_mail_compose_reset(app, title && *title ? title : "Gazette",
                                  base, token, uid ? name : "",
                                  app->cfg.reset_ttl, &mail);
    if (c != 0) {
        gz_db_tx_rollback(db);
        gz_log_err(4604, "request %s: cannot compose the reset mail (%d)",
                   gz_req_id(req), c);
        st = 500;
        goto out;
    }
    if (uid && gz_store_outbox_add(db, "reset", to, &mail, 0, 0, NULL) != 0) {
        gz_db_tx_rollback(db);
        st = 500;
        goto out;
    }
    if (gz_db_tx_commit(db) != 0) {
        gz_db_tx_rollback(db);
        st = 500;
        goto out;
    }
    if (uid) {
        gz_log_info(4605, "request %s: password reset mail queued for user "
                          "%lld",
                    gz_req_id(req), uid);
        gz_mail_wake();
    } else {
        gz_log_info(4606, "request %s: password reset asked for an unknown "
                          "address from %s",
                    gz_req_id(req), gz_req_client(req));
    }
out:
    sodium_memzero(token, sizeof token);
    gz_mail_msg_clear(&mail);
    json_decref(settings);
    if (st)
        return st;
    return reset_page(req, resp, 200, "sent", NULL);
}

int gz_page_admin_reset_confirm_form(struct gz_req *req,
                                     struct gz_resp *resp)
{
    int bad = 0;
    const char *token = gz_req_query(req, "token", &bad);
    long long uid = token && !bad ? gz_store_reset_user(gz_req_db(req), token)
                                  : 0;
    if (uid < 0)
        return 500;
    if (uid == 0)
        return reset_page(req, resp, 410, "bad", NULL);
    return confirm_page(req, resp, 200, token, NULL);
}

/* Cookies are Secure over TLS or with an https public address (auth.c). */
static int is_secure(struct gz_req *req, json_t *settings)
{
    return gz_req_secure(req) ||
           strncmp(gz_store_base_url(settings, gz_req_base_url(req)),
                   "https://", 8) == 0;
}

int gz_page_admin_reset_confirm(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_db *db = gz_req_db(req);
    const char *token = field(req, "token");
    long long uid = gz_store_reset_user(db, token);
    if (uid < 0)
        return 500;
    if (uid == 0)
        return reset_page(req, resp, 410, "bad", NULL);
    const char *fname = NULL;
    const char *problem = gz_store_password_problem(
        field(req, "password"), field(req, "password2"), &fname);
    if (problem) {
        json_t *errors = json_pack("{s:s}", fname, problem);
        int r = confirm_page(req, resp, 422, token, errors);
        json_decref(errors);
        return r;
    }
    char session[65];
    if (gz_db_tx_begin(db) != 0)
        return 503;
    int rc = gz_store_reset_use(db, token, field(req, "password"), &uid);
    if (rc == GZ_ENOTFOUND) {
        gz_db_tx_rollback(db);
        return reset_page(req, resp, 410, "bad", NULL);
    }
    if (rc != 0 || gz_store_session_create(db, uid, SESSION_TTL, session) != 0 ||
        gz_db_tx_commit(db) != 0) {
        gz_db_tx_rollback(db);
        return 500;
    }
    gz_store_user_signed_in(db, uid);
    gz_log_info(4607, "request %s: user %lld set a new password by reset "
                      "link; every session ended",
                gz_req_id(req), uid);
    json_t *settings = gz_store_settings_load(db);
    char cookie[300];
    snprintf(cookie, sizeof cookie,
             "gz_session=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
             session, SESSION_TTL, is_secure(req, settings) ? "; Secure" : "");
    json_decref(settings);
    gz_resp_cookie(resp, cookie);
    gz_resp_redirect(resp, 303, "/admin/profile?done=password");
    return 0;
}
