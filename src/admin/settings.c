/*
 * settings.c - /admin/settings, for admins only: the site's title,
 * description and base URL, the comment moderation policy and double
 * opt-in, plus read-only lines on how mail is sent and on the unattended
 * backups (gz_backup_status).
 *
 * Values are checked here, then written to the settings table in one
 * transaction (newsroom.h). Every page reads the settings per request
 * (gz_store_settings_load) and the write bumps the content version, so
 * cached public pages are rebuilt with the new values at once.
 *
 * Keys and values other engineers rely on: comment_policy is "approve"
 * (publish every comment), "first" (hold first-time commenters) or
 * "hold" (hold all); double_opt_in is "on", "off" or "" (automatic: on
 * when an SMTP server is configured, as SPEC section 5 asks).
 *
 * Threads: handlers keep no state between requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/admin.h"
#include "gazette/backup.h"
#include "gazette/html.h"
#include "gazette/newsroom.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "gazette/tz.h"
#include "newsroom_pages.h"

#define field gz_newsroom_field

static const struct {
    const char *value, *label, *hint;
} opt_ins[] = {
    {"", "Automatic",
     "On when mail can be sent (an SMTP server is configured), off "
     "otherwise."},
    {"on", "On", "New subscribers confirm by email before they get mail."},
    {"off", "Off", "A sign-up is active at once."},
};

static const struct {
    const char *value, *label, *hint;
} policies[] = {
    {"approve", "Publish every comment",
     "Comments appear at once. You can still remove them later."},
    {"first", "Hold first-time commenters",
     "A commenter's first comment waits for approval; later ones appear at "
     "once."},
    {"hold", "Hold every comment",
     "Nothing appears until an editor approves "
     "it."},
};

/* "smtp://mail.example.org:587" without any user part, for display. */
static void mail_where(const char *url, char *out, size_t outlen)
{
    const char *scheme_end = strstr(url, "://");
    const char *host = scheme_end ? scheme_end + 3 : url;
    const char *at = strchr(host, '@');
    if (at)
        host = at + 1;
    size_t hl = strcspn(host, "/?#");
    snprintf(out, outlen, "%.*s%.*s",
             scheme_end ? (int)(scheme_end + 3 - url) : 0, url, (int)hl, host);
}

/* The API tokens section: every token with its user and last use, and
 * the users a new token can act as (enabled ones). */
static void add_tokens(struct gz_req *req, json_t *model)
{
    struct gz_db *db = gz_req_db(req);
    json_t *tokens = gz_store_api_tokens_list(db);
    size_t i;
    json_t *t;
    json_array_foreach(tokens, i, t)
    {
        char human[64];
        gz_newsroom_when_short(
            json_integer_value(json_object_get(t, "created_at")), human,
            sizeof human);
        json_object_set_new(t, "created_human", json_string(human));
        json_t *lu = json_object_get(t, "last_used_at");
        if (json_is_integer(lu))
            gz_newsroom_when_short(json_integer_value(lu), human,
                                   sizeof human);
        else
            snprintf(human, sizeof human, "never");
        json_object_set_new(t, "last_used_human", json_string(human));
    }
    json_object_set_new(model, "has_tokens",
                        json_boolean(json_array_size(tokens) > 0));
    json_object_set_new(model, "tokens", tokens ? tokens : json_array());
    json_t *users = gz_store_users_list(db);
    json_t *choices = json_array();
    const struct gz_user *me = gz_req_user(req);
    json_t *u;
    json_array_foreach(users, i, u)
    {
        if (json_is_true(json_object_get(u, "disabled")))
            continue;
        json_array_append_new(
            choices,
            json_pack("{s:O, s:O, s:O, s:b}", "email",
                      json_object_get(u, "email"), "name",
                      json_object_get(u, "name"), "role",
                      json_object_get(u, "role"), "me",
                      me && json_integer_value(json_object_get(u, "id")) ==
                                me->id));
    }
    json_decref(users);
    json_object_set_new(model, "token_users", choices);
}

static void add_zone(void *cls, const char *name)
{
    json_array_append_new(cls, json_string(name));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a),
                  json_string_value(*(json_t *const *)b));
}

/* The zones the time zone field suggests: UTC, then the database's
 * zone1970.tab in name order (owned). */
static json_t *zone_choices(void)
{
    json_t *list = json_array();
    gz_tz_each(add_zone, list);
    size_t n = json_array_size(list);
    json_t **v = n ? calloc(n, sizeof *v) : NULL;
    json_t *out = json_array();
    json_array_append_new(out, json_string("UTC"));
    if (v) {
        for (size_t i = 0; i < n; i++)
            v[i] = json_array_get(list, i);
        qsort(v, n, sizeof *v, by_name);
        for (size_t i = 0; i < n; i++)
            json_array_append(out, v[i]);
        free(v);
    }
    json_decref(list);
    return out;
}

/* Renders the page from `values` (borrowed strings: title, description,
 * base_url, comment_policy, double_opt_in) and errors (borrowed). */
static int settings_page(struct gz_req *req, struct gz_resp *resp, int status,
                         json_t *values, json_t *errors, const char *notice,
                         json_t *extra)
{
    const struct gz_config *cfg = &gz_req_app(req)->cfg;
    const char *policy =
        json_string_value(json_object_get(values, "comment_policy"));
    const char *dbl =
        json_string_value(json_object_get(values, "double_opt_in"));
    json_t *opts = json_array();
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
        json_array_append_new(
            opts,
            json_pack("{s:s, s:s, s:s, s:b}", "value", policies[i].value,
                      "label", policies[i].label, "hint", policies[i].hint,
                      "checked", policy && !strcmp(policy, policies[i].value)));
    json_t *dois = json_array();
    for (size_t i = 0; i < sizeof opt_ins / sizeof opt_ins[0]; i++)
        json_array_append_new(
            dois,
            json_pack("{s:s, s:s, s:s, s:b}", "value", opt_ins[i].value,
                      "label", opt_ins[i].label, "hint", opt_ins[i].hint,
                      "checked", !strcmp(dbl ? dbl : "", opt_ins[i].value)));
    int doi_now = dbl && *dbl ? !strcmp(dbl, "on") : cfg->smtp_url[0] != '\0';
    char where[300] = "";
    if (cfg->smtp_url[0])
        mail_where(cfg->smtp_url, where, sizeof where);
    json_t *model = json_pack(
        "{s:{s:O, s:O, s:O, s:b}, s:o, s:o, s:O, s:s, s:{s:b, s:s, s:s},"
        " s:s}",
        "settings", "title", json_object_get(values, "title"), "description",
        json_object_get(values, "description"), "base_url",
        json_object_get(values, "base_url"), "double_opt_in_now", doi_now,
        "policies", opts, "opt_ins", dois, "errors", errors, "notice",
        notice ? notice : "", "mail", "configured", cfg->smtp_url[0] != '\0',
        "server", where, "from", cfg->mail_from, "default_base_url",
        gz_req_base_url(req));
    json_object_set(json_object_get(model, "settings"), "timezone",
                    json_object_get(values, "timezone"));
    json_object_set_new(model, "timezones", zone_choices());
    add_tokens(req, model);
    json_object_set_new(model, "backup", gz_backup_status());
    if (extra)
        json_object_update(model, extra);
    gz_newsroom_section(model, "settings");
    int rc = gz_admin_render(req, resp, "admin_settings", "Settings", model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

int gz_page_admin_settings(struct gz_req *req, struct gz_resp *resp)
{
    json_t *values = gz_store_settings_load(gz_req_db(req));
    json_t *errors = json_object();
    const char *done = gz_req_query(req, "done", NULL);
    int rc = settings_page(req, resp, 200, values, errors,
                           done && !strcmp(done, "saved")
                               ? "Settings saved. Every page uses them now."
                           : done && !strcmp(done, "revoked")
                               ? "Token revoked: calls with it now get 401."
                               : NULL,
                           NULL);
    json_decref(values);
    json_decref(errors);
    return rc;
}

static int text_ok(const char *s, size_t max, int single_line)
{
    size_t n = strlen(s);
    return gz_utf8_valid_text(s, n) && gz_utf8_len(s, n) <= max &&
           (!single_line || !strpbrk(s, "\r\n"));
}

int gz_page_admin_settings_save(struct gz_req *req, struct gz_resp *resp)
{
    const char *title = field(req, "title");
    const char *desc = field(req, "description");
    const char *typed_base = field(req, "base_url");
    const char *zone = field(req, "timezone");
    if (!*zone)
        zone = "UTC"; /* empty: UTC, as before there was a setting */
    const char *policy = field(req, "comment_policy");
    const char *dbl = field(req, "double_opt_in");
    json_t *errors = json_object();
    if (strspn(title, " ") == strlen(title))
        json_object_set_new(errors, "title",
                            json_string("Give the site a title."));
    else if (!text_ok(title, 120, 1))
        json_object_set_new(errors, "title",
                            json_string("Use at most 120 characters, on one "
                                        "line."));
    if (!text_ok(desc, 300, 1))
        json_object_set_new(errors, "description",
                            json_string("Use at most 300 characters, on one "
                                        "line."));
    /* "https://news.example.org/" is what a browser's address bar shows:
     * the slashes at the end are dropped, not refused (issue 10). */
    char base[512];
    int base_too_long = strlen(typed_base) >= sizeof base;
    snprintf(base, sizeof base, "%s", base_too_long ? "" : typed_base);
    size_t bl = strlen(base);
    while (bl > 0 && base[bl - 1] == '/' && strstr(base, "://") &&
           strstr(base, "://") + 3 < base + bl - 1)
        base[--bl] = '\0';
    if (base_too_long || (*base && !gz_url_is_origin(base)))
        json_object_set_new(
            errors, "base_url",
            json_string("Enter the site's address: http:// or https://, "
                        "the host name and, if needed, a port, with no path, "
                        "like https://news.example.org."));
    if (!gz_tz_get(zone)) {
        char msg[300];
        /* quoted whole or not at all: a cut could split a character */
        int quote = strlen(zone) <= 64;
        snprintf(msg, sizeof msg,
                 "%s%s%s is not a time zone this server knows. Use an IANA "
                 "name like Europe/Berlin or America/New_York, or UTC.",
                 quote ? "\xe2\x80\x9c" : "", quote ? zone : "That name",
                 quote ? "\xe2\x80\x9d" : "");
        json_object_set_new(errors, "timezone", json_string(msg));
    }
    int doi_ok = 0;
    for (size_t i = 0; i < sizeof opt_ins / sizeof opt_ins[0]; i++)
        doi_ok |= !strcmp(dbl, opt_ins[i].value);
    if (!doi_ok)
        json_object_set_new(errors, "double_opt_in",
                            json_string("Choose automatic, on or off."));
    int policy_ok = 0;
    for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++)
        policy_ok |= !strcmp(policy, policies[i].value);
    if (!policy_ok)
        json_object_set_new(errors, "comment_policy",
                            json_string("Choose one of the three policies."));
    json_t *values = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s}", "title", title, "description", desc,
        "base_url", base, "comment_policy", policy, "double_opt_in", dbl,
        "timezone", zone);
    int rc;
    if (json_object_size(errors) > 0) {
        rc = settings_page(req, resp, 422, values, errors, NULL, NULL);
    } else if (gz_store_settings_save(gz_req_db(req), values) != 0) {
        rc = 500;
    } else {
        gz_log_info(2601, "request %s: settings saved by user %lld",
                    gz_req_id(req), gz_req_user(req)->id);
        gz_tz_site_set(zone);
        gz_resp_redirect(resp, 303, "/admin/settings?done=saved");
        rc = 0;
    }
    json_decref(values);
    json_decref(errors);
    return rc;
}

/* The page again with `extra` merged into its model (stolen). */
static int settings_again(struct gz_req *req, struct gz_resp *resp,
                          int status, json_t *extra)
{
    json_t *values = gz_store_settings_load(gz_req_db(req));
    json_t *errors = json_object();
    int rc = settings_page(req, resp, status, values, errors, NULL, extra);
    json_decref(values);
    json_decref(errors);
    json_decref(extra);
    return rc;
}

int gz_page_admin_token_create(struct gz_req *req, struct gz_resp *resp)
{
    const char *name = field(req, "name");
    const char *user = field(req, "user");
    char token[69];
    long long id = 0;
    int rc = gz_store_api_token_create(gz_req_db(req), name,
                                       *user ? user : NULL, token, &id);
    if (rc == GZ_EINVAL)
        return settings_again(
            req, resp, 422,
            json_pack("{s:{s:s}}", "token_errors", "name",
                      "Name the token (1 to 80 characters), so you know "
                      "later what uses it."));
    if (rc == GZ_ENOTFOUND)
        return settings_again(
            req, resp, 422,
            json_pack("{s:{s:s}}", "token_errors", "name",
                      "That user does not exist or is disabled."));
    if (rc != 0)
        return 500;
    gz_log_info(2602, "request %s: API token %lld made by user %lld",
                gz_req_id(req), id, gz_req_user(req)->id);
    /* Shown once, on this answer (never cached: admin pages are
     * no-store), never stored in clear. */
    return settings_again(req, resp, 201,
                          json_pack("{s:{s:s, s:s}}", "new_token", "name",
                                    name, "token", token));
}

int gz_page_admin_token_revoke(struct gz_req *req, struct gz_resp *resp)
{
    long long id;
    const char *s = gz_req_param(req, 0);
    if (!s || gz_parse_int(s, 1, 1LL << 53, &id) != 0)
        return 404;
    int rc = gz_store_api_token_revoke(gz_req_db(req), id);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    gz_log_info(2603, "request %s: API token %lld revoked by user %lld",
                gz_req_id(req), id, gz_req_user(req)->id);
    gz_resp_redirect(resp, 303, "/admin/settings?done=revoked#tokens");
    return 0;
}
