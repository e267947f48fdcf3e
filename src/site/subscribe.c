/*
 * subscribe.c - signing up for new-story mail (SPEC section 5): the
 * subscribe form (posted by site.js with Accept: application/json, or
 * plainly without JavaScript), the double opt-in confirmation page and
 * POST, and the unsubscribe page and POST, which is also the RFC 8058
 * one-click target of the List-Unsubscribe header.
 *
 * Links that arrive by mail only ever show a page on GET; the change
 * happens on the POST of its button, so mail scanners and link previews
 * that follow links change nothing.
 *
 * SECURITY: a known address gets exactly the answer a new one gets (no
 * address enumeration); one confirmation mail per address per day at
 * most (the store enforces it); attempts are rate-limited per client.
 *
 * Handlers run on MHD worker threads and keep no state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/mail.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "gazette/view.h"

#define SUBSCRIBE_MAX 5     /* sign-ups per client address ... */
#define SUBSCRIBE_WINDOW 60 /* ... in this many seconds */

static const char MSG_CHECK_INBOX[] = "Check your inbox to confirm";
static const char MSG_SUBSCRIBED[] = "You've been subscribed!";

/* A form field with surrounding spaces trimmed, copied into buf; "" when
 * absent. Returns buf. */
static char *field(struct gz_req *req, const char *name, char *buf, size_t len)
{
    const char *v = json_string_value(json_object_get(gz_req_form(req), name));
    v = v ? v : "";
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    /* Longer than buf: keep a cut that still reads as too long. */
    snprintf(buf, len, "%.*s", (int)n, v);
    return buf;
}

/* The path of the page the form was on (same host only), to go back to;
 * "/" otherwise. */
static void back_path(struct gz_req *req, char *out, size_t len)
{
    const char *ref = gz_req_header(req, "Referer");
    const char *host = gz_req_header(req, "Host");
    snprintf(out, len, "/");
    if (!ref || !host)
        return;
    const char *p = strstr(ref, "://");
    if (!p)
        return;
    p += 3;
    size_t hl = strlen(host);
    if (strncmp(p, host, hl) != 0 || p[hl] != '/')
        return;
    p += hl;
    size_t n = strcspn(p, "?#");
    if (n < len - 16 && gz_url_is_safe(p) && strncmp(p, "//", 2) != 0)
        snprintf(out, len, "%.*s", (int)n, p);
}

/* The message page with an optional POST button (message.form), or its
 * model as JSON. form is stolen (may be NULL). */
static int message_page(struct gz_req *req, struct gz_resp *resp, int status,
                        const char *title, const char *body, json_t *form,
                        const char *back_url, const char *back_label)
{
    if (!form)
        return gz_site_message(req, resp, status, title, body, back_url,
                               back_label);
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    json_t *model = json_object();
    gz_site_page_common(req, model, settings, title, body, "website",
                        "message");
    json_object_set_new(json_object_get(model, "page"), "noindex", json_true());
    json_object_set_new(model, "message",
                        json_pack("{s:s, s:s, s:s, s:s, s:o}", "title", title,
                                  "body", body, "back_url", back_url,
                                  "back_label", back_label, "form", form));
    int rc;
    if (gz_req_wants_json(req)) {
        json_object_del(model, "assets");
        rc = gz_resp_json(resp, status, model);
    } else {
        rc = gz_resp_page(req, resp, "message", model);
    }
    if (rc == 0)
        resp->status = status;
    json_decref(model);
    json_decref(settings);
    return rc;
}

/* 422 with the reason: JSON {"error": {code, message, field}} or the
 * message page. */
static int invalid(struct gz_req *req, struct gz_resp *resp,
                   const char *message, const char *fieldname)
{
    if (gz_req_wants_json(req)) {
        gz_view_error(req, resp, 422, message, fieldname);
        return 0;
    }
    char back[512], url[530];
    back_path(req, back, sizeof back);
    snprintf(url, sizeof url, "%s#subscribe", back);
    return gz_site_message(req, resp, 422, "Check your email address", message,
                           url, "Try again");
}

/* The success answer, the same for new and known addresses. */
static int subscribed(struct gz_req *req, struct gz_resp *resp, int doi)
{
    if (strncmp(gz_req_path(req), "/api/", 5) == 0) {
        /* The API: accepted, the same for every address (202: what
         * happens next depends on a mail the caller cannot see). */
        json_t *ok = json_pack("{s:s}", "message",
                               doi ? MSG_CHECK_INBOX : MSG_SUBSCRIBED);
        int rc = gz_resp_json(resp, 202, ok);
        json_decref(ok);
        return rc;
    }
    if (gz_req_wants_json(req)) {
        json_t *ok = json_pack("{s:b, s:s}", "ok", 1, "message",
                               doi ? MSG_CHECK_INBOX : MSG_SUBSCRIBED);
        int rc = gz_resp_json(resp, 200, ok);
        json_decref(ok);
        return rc;
    }
    char back[512];
    back_path(req, back, sizeof back);
    return gz_site_message(
        req, resp, 200, doi ? MSG_CHECK_INBOX : MSG_SUBSCRIBED,
        doi ? "If the address is right, an email with a link to confirm "
              "your subscription is on its way. Nothing will be sent to "
              "you until you confirm."
            : "You will get an email when a new story is published. Every "
              "email has a link to unsubscribe.",
        back, "Back to reading");
}

/* The site's base URL for links in mail: the admin's setting, else the
 * configured or derived one, without a trailing slash. */
static void base_url(struct gz_req *req, json_t *settings, char *out,
                     size_t len)
{
    snprintf(out, len, "%s",
             gz_store_base_url(settings, gz_req_base_url(req)));
}

int gz_page_site_subscribe(struct gz_req *req, struct gz_resp *resp)
{
    char email[2048], name[400], trap[64], key[128];
    int rc;
    field(req, "email", email, sizeof email);
    field(req, "name", name, sizeof name);
    field(req, "website", trap, sizeof trap);
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    const char *doi_s =
        json_string_value(json_object_get(settings, "double_opt_in"));
    /* Unset: double opt-in is on when mail can actually be sent (SPEC 5),
     * off otherwise (nobody could ever confirm). */
    int doi = doi_s && *doi_s ? strcmp(doi_s, "off") != 0
                              : gz_req_app(req)->cfg.smtp_url[0] != '\0';
    if (trap[0]) {
        /* SECURITY: the honeypot was filled: a bot. Pretend it worked and
         * store nothing. */
        gz_log_info(3201, "request %s: subscribe honeypot filled by %s",
                    gz_req_id(req), gz_req_client(req));
        rc = subscribed(req, resp, doi);
        goto out;
    }
    const char *problem = gz_email_problem(email);
    if (!problem && strlen(email) > GZ_EMAIL_MAX)
        problem = "Enter a valid email address of at most 254 characters.";
    if (problem) {
        rc = invalid(req, resp, problem, "email");
        goto out;
    }
    size_t nl = strlen(name);
    if (!gz_utf8_valid_text(name, nl) || strpbrk(name, "\r\n") ||
        gz_utf8_len(name, nl) > GZ_SUBSCRIBER_NAME_MAX) {
        rc = invalid(req, resp,
                     "Enter a name of at most 80 characters, on "
                     "one line.",
                     "name");
        goto out;
    }
    snprintf(key, sizeof key, "subscribe:%s", gz_req_client(req));
    int wait = gz_ratelimit_hit(key, SUBSCRIBE_MAX, SUBSCRIBE_WINDOW);
    if (wait > 0) {
        gz_respond_error(req, resp, 429,
                         "Too many sign-ups from your address. Wait a "
                         "minute and try again.");
        resp->retry_after = wait;
        rc = 0;
        goto out;
    }

    /* The confirmation mail is written before we know whether it will go
     * (the store decides, in its transaction), so a known address takes
     * the same path and time as a new one. */
    char token[65] = "", hash[65] = "", base[512];
    struct gz_mail_msg mail = {0};
    if (doi) {
        const char *title =
            json_string_value(json_object_get(settings, "title"));
        base_url(req, settings, base, sizeof base);
        if (gz_random_token(token) != 0) {
            rc = 503;
            goto out;
        }
        gz_store_token_hash(token, hash);
        int c = gz_mail_compose_confirm(gz_req_app(req),
                                        title && *title ? title : "Gazette",
                                        base, token, name, &mail);
        if (c != 0) {
            gz_log_err(3202,
                       "request %s: cannot compose the confirmation "
                       "mail (%d)",
                       gz_req_id(req), c);
            rc = 500;
            goto out;
        }
    }
    enum gz_sub_outcome outcome = 0;
    int queued = 0;
    int st = gz_store_subscribe(gz_req_db(req), email, name, doi, hash, &mail,
                                &outcome, &queued);
    gz_mail_msg_clear(&mail);
    if (st != 0) {
        gz_log_err(3203, "request %s: cannot store a subscription (%d)",
                   gz_req_id(req), st);
        rc = 500;
        goto out;
    }
    if (queued)
        gz_mail_wake();
    rc = subscribed(req, resp, doi);
out:
    json_decref(settings);
    return rc;
}

/* ---- confirm and unsubscribe ----------------------------------------------
 */

/* The token of a mailed link: 64 lowercase hex digits from the query or
 * (for the page's own form) a form field; NULL when missing or malformed. */
static const char *token_param(struct gz_req *req)
{
    const char *t = gz_req_query(req, "token", NULL);
    if (!t)
        t = json_string_value(json_object_get(gz_req_form(req), "token"));
    if (!t || strlen(t) != 64 || strspn(t, "0123456789abcdef") != 64)
        return NULL;
    return t;
}

static json_t *button(const char *action, const char *token, const char *label)
{
    return json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "action_url", action,
                     "button_label", label, "fields", "name", "token", "value",
                     token);
}

static int bad_confirm_link(struct gz_req *req, struct gz_resp *resp)
{
    return gz_site_message(
        req, resp, 404, "This confirmation link does not work",
        "It may have expired (links work for 7 days), or a newer email "
        "replaced it. Sign up again and we will send a new one.",
        "/#subscribe", "Sign up again");
}

int gz_page_site_confirm_form(struct gz_req *req, struct gz_resp *resp)
{
    const char *token = token_param(req);
    char status[16], email[256];
    int rc = token ? gz_store_subscriber_by_confirm(gz_req_db(req), token,
                                                    status, email)
                   : GZ_ENOTFOUND;
    if (rc == GZ_ENOTFOUND || (rc == 0 && strcmp(status, "unsubscribed") == 0))
        return bad_confirm_link(req, resp);
    if (rc != 0)
        return 500;
    if (strcmp(status, "active") == 0)
        return gz_site_message(req, resp, 200, "You're already subscribed",
                               "Your subscription is confirmed. You will get "
                               "an email when a new story is published.",
                               "/", "Back to the front page");
    char body[400];
    snprintf(body, sizeof body,
             "Press the button to start getting an email at %s when a new "
             "story is published.",
             email);
    return message_page(
        req, resp, 200, "Confirm your subscription", body,
        button("/subscribe/confirm", token, "Confirm subscription"), "/",
        "Not now");
}

int gz_page_site_confirm(struct gz_req *req, struct gz_resp *resp)
{
    const char *token = token_param(req);
    int rc = token ? gz_store_subscriber_confirm(gz_req_db(req), token)
                   : GZ_ENOTFOUND;
    if (rc == GZ_ENOTFOUND) {
        if (gz_req_wants_json(req)) {
            gz_respond_error(req, resp, 404,
                             "This confirmation link does not work.");
            return 0;
        }
        return bad_confirm_link(req, resp);
    }
    if (rc != 0)
        return 500;
    gz_log_info(3204, "request %s: a subscription was confirmed",
                gz_req_id(req));
    if (gz_req_wants_json(req)) {
        json_t *ok =
            json_pack("{s:b, s:s}", "ok", 1, "message", MSG_SUBSCRIBED);
        int r = gz_resp_json(resp, 200, ok);
        json_decref(ok);
        return r;
    }
    return gz_site_message(req, resp, 200, MSG_SUBSCRIBED,
                           "Your subscription is confirmed. You will get an "
                           "email when a new story is published; every email "
                           "has a link to unsubscribe.",
                           "/", "Start reading");
}

static int bad_unsub_link(struct gz_req *req, struct gz_resp *resp)
{
    if (gz_req_wants_json(req)) {
        gz_respond_error(req, resp, 404,
                         "This unsubscribe link does not "
                         "work.");
        return 0;
    }
    return gz_site_message(
        req, resp, 404, "This unsubscribe link does not work",
        "Use the link at the bottom of one of our emails. If you keep "
        "getting mail you did not ask for, reply to it and tell us.",
        "/", "Back to the front page");
}

static int unsubscribed(struct gz_req *req, struct gz_resp *resp)
{
    if (gz_req_wants_json(req)) {
        json_t *ok = json_pack("{s:b, s:s}", "ok", 1, "message",
                               "You've been unsubscribed.");
        int r = gz_resp_json(resp, 200, ok);
        json_decref(ok);
        return r;
    }
    return gz_site_message(req, resp, 200, "You've been unsubscribed",
                           "You will get no more new-story emails from us. "
                           "Changed your mind? You can subscribe again at any "
                           "time.",
                           "/#subscribe", "Subscribe again");
}

int gz_page_site_unsubscribe_form(struct gz_req *req, struct gz_resp *resp)
{
    const char *token = token_param(req);
    char status[16], email[256];
    int rc = token ? gz_store_subscriber_by_unsub(gz_req_db(req), token, status,
                                                  email)
                   : GZ_ENOTFOUND;
    if (rc == GZ_ENOTFOUND)
        return bad_unsub_link(req, resp);
    if (rc != 0)
        return 500;
    if (strcmp(status, "unsubscribed") == 0)
        return unsubscribed(req, resp);
    char body[400];
    snprintf(body, sizeof body,
             "Press the button and we will stop sending new-story emails "
             "to %s.",
             email);
    return message_page(req, resp, 200, "Unsubscribe?", body,
                        button("/unsubscribe", token, "Unsubscribe"), "/",
                        "Keep my subscription");
}

int gz_page_site_unsubscribe(struct gz_req *req, struct gz_resp *resp)
{
    /* RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" to the
     * URL of the header, token in the query; our own page posts the
     * token as a form field. Either way the token alone decides. */
    const char *token = token_param(req);
    int rc = token ? gz_store_subscriber_unsubscribe(gz_req_db(req), token)
                   : GZ_ENOTFOUND;
    if (rc == GZ_ENOTFOUND)
        return bad_unsub_link(req, resp);
    if (rc != 0)
        return 500;
    gz_log_info(3205, "request %s: a subscriber unsubscribed%s", gz_req_id(req),
                json_object_get(gz_req_form(req), "List-Unsubscribe")
                    ? " (one-click)"
                    : "");
    return unsubscribed(req, resp);
}
