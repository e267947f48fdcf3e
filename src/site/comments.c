/*
 * comments.c - readers posting comments (SPEC section 4):
 * POST /articles/{slug}/comments, from the form under every story
 * (answered with a 303 back to the story, or the story page again with
 * the errors beside the fields) or from a script sending
 * Accept: application/json (201 with the comment, 202 when held, 422
 * with {"error": {code, message, field}}).
 *
 * Order of checks: the story exists and is published (404), comments
 * are open on it (403), the client is not over the rate limit (429), the
 * honeypot is empty (else a pretend success that stores nothing), the
 * fields are valid (422), the parent is an approved top-level comment of
 * the same story (422, checked again inside the store's transaction).
 * The site's moderation policy then decides approved or held.
 *
 * Bodies are stored as typed (line ends normalised to LF) and shown as
 * escaped text by gz_comment_html; the email is stored for moderation
 * and the "first-time commenter" rule, never shown.
 *
 * Handlers run on MHD worker threads and keep no state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/markdown.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "gazette/tz.h"
#include "gazette/view.h"

#define COMMENT_MAX 5     /* comments per client address ... */
#define COMMENT_WINDOW 60 /* ... in this many seconds */

/* An /api/v1 call (the API's comment route runs this handler). */
static int is_api(struct gz_req *req)
{
    return strncmp(gz_req_path(req), "/api/", 5) == 0;
}

static const char MSG_HELD[] = "Thanks! Your comment is awaiting moderation.";
static const char MSG_FIX[] = "Please fix the highlighted fields.";
static const char MSG_PARENT[] =
    "The comment you replied to is no longer available. Your comment was "
    "not posted; post it as a new comment instead.";

/* What was typed, cleaned up, and what is wrong with it. Strings are
 * owned (malloc'd) and freed by form_free. */
struct comment_form {
    char *name, *email, *body, *parent;
    long long parent_id;
    const char *err_name, *err_email, *err_body, *err_parent;
};

static void form_free(struct comment_form *f)
{
    free(f->name);
    free(f->email);
    free(f->body);
    free(f->parent);
}

/* A copy of form field `key` without leading and trailing whitespace
 * (spaces, tabs and line ends), CRLF and lone CR turned into LF. */
static char *clean(struct gz_req *req, const char *key)
{
    const char *v = json_string_value(json_object_get(gz_req_form(req), key));
    v = v ? v : "";
    size_t n = strlen(v);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\r') {
            out[o++] = '\n';
            if (v[i + 1] == '\n')
                i++;
        } else {
            out[o++] = v[i];
        }
    }
    out[o] = '\0';
    size_t s = strspn(out, " \t\n");
    while (o > s && strchr(" \t\n", out[o - 1]))
        o--;
    memmove(out, out + s, o - s);
    out[o - s] = '\0';
    return out;
}

/* Reads and checks the fields. Returns 0 (errors recorded in f) or
 * GZ_ENOMEM. */
static int read_form(struct gz_req *req, struct comment_form *f)
{
    memset(f, 0, sizeof *f);
    f->name = clean(req, "name");
    f->email = clean(req, "email");
    f->body = clean(req, "body");
    f->parent = clean(req, "parent_id");
    if (!f->name || !f->email || !f->body || !f->parent)
        return GZ_ENOMEM;

    size_t nl = strlen(f->name);
    if (nl == 0)
        f->err_name = "Enter your name.";
    else if (!gz_utf8_valid_text(f->name, nl) || strpbrk(f->name, "\n\t"))
        f->err_name = "Enter your name on one line, in plain characters.";
    else if (gz_utf8_len(f->name, nl) > GZ_COMMENT_NAME_MAX)
        f->err_name = "Use at most 80 characters for your name.";

    if (f->email[0]) {
        const char *p = gz_email_problem(f->email);
        if (p)
            f->err_email =
                strstr(p, "valid") ? p : "Enter a valid email address.";
    }

    size_t bl = strlen(f->body);
    if (bl == 0)
        f->err_body = "Write a comment.";
    else if (!gz_utf8_valid_text(f->body, bl))
        f->err_body = "The comment has characters that cannot be shown; "
                      "use plain text.";
    else if (gz_utf8_len(f->body, bl) > GZ_COMMENT_BODY_MAX)
        f->err_body = "Keep your comment to 5000 characters or fewer.";

    if (f->parent[0] &&
        gz_parse_int(f->parent, 1, 0x7fffffffffffffffLL, &f->parent_id) != 0)
        f->err_parent = MSG_PARENT;
    return 0;
}

static const char *first_error(const struct comment_form *f, const char **field)
{
    const char *const msgs[] = {f->err_name, f->err_email, f->err_body,
                                f->err_parent};
    const char *const names[] = {"name", "email", "body", "parent_id"};
    for (int i = 0; i < 4; i++) {
        if (msgs[i]) {
            *field = names[i];
            return msgs[i];
        }
    }
    return NULL;
}

/* The story page again, status 422, with what was typed in the form and
 * each error beside its field (comment_form in docs/THEME.md). The page
 * is noindex and canonical to the story; it leaves out the share links
 * and JSON-LD, which only pages.c builds. */
static int page_with_errors(struct gz_req *req, struct gz_resp *resp,
                            const char *slug, const struct comment_form *f)
{
    struct gz_db *db = gz_req_db(req);
    int err = 0, rc = 500;
    json_t *settings = NULL, *model = NULL;
    json_t *a = gz_site_article(db, slug, &err);
    if (!a)
        return err == GZ_ENOTFOUND ? 404 : 500;
    settings = gz_store_settings_load(db);
    model = json_object();
    gz_site_page_common(
        req, model, settings, json_string_value(json_object_get(a, "title")),
        json_string_value(json_object_get(a, "excerpt")), "article", "article");
    json_t *page = json_object_get(model, "page");
    json_object_set_new(page, "noindex", json_true());
    const char *base = json_string_value(
        json_object_get(json_object_get(model, "site"), "url"));
    char url[1024];
    snprintf(url, sizeof url, "%s/articles/%s", base ? base : "", slug);
    json_object_set_new(page, "canonical_url", json_string(url));

    long long total;
    struct gz_list_query q = {
        NULL, NULL, json_integer_value(json_object_get(a, "id")), 1, 4, 0};
    json_t *more = gz_store_articles_list(db, &q, &total);
    json_object_set_new(model, "more",
                        more ? gz_site_stories(more) : json_array());
    json_decref(more);
    char action[300];
    snprintf(action, sizeof action, "/articles/%s/comments", slug);
    const char *form_error =
        f->err_name || f->err_email || f->err_body ? MSG_FIX : f->err_parent;
    json_t *form = json_pack(
        "{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}",
        "action_url", action, "notice", "", "error",
        form_error ? form_error : "", "errors", "name",
        f->err_name ? f->err_name : "", "email",
        f->err_email ? f->err_email : "", "body",
        f->err_body ? f->err_body : "", "values", "name", f->name, "email",
        f->email, "body", f->body, "parent_id", f->err_parent ? "" : f->parent);
    if (!form)
        goto out;
    if (!f->err_parent)
        gz_site_comment_replying(a, form, f->parent);
    json_object_set_new(model, "comment_form", form);
    json_object_set_new(model, "subscribe",
                        json_pack("{s:s}", "action_url", "/subscribe"));
    json_object_set_new(model, "article", a);
    a = NULL;
    rc = gz_resp_page(req, resp, "article", model);
    if (rc == 0)
        resp->status = 422;
out:
    json_decref(a);
    json_decref(model);
    json_decref(settings);
    return rc;
}

/* 422 as the one error object; outside /api/ it also lists every field's
 * problem ("fields"), for a script filling a form. */
static int json_invalid(struct gz_req *req, struct gz_resp *resp,
                        const struct comment_form *f)
{
    const char *field = NULL;
    const char *msg = first_error(f, &field);
    if (is_api(req)) {
        gz_view_error(req, resp, 422, msg, field);
        return 0;
    }
    json_t *fields = json_object();
    if (f->err_name)
        json_object_set_new(fields, "name", json_string(f->err_name));
    if (f->err_email)
        json_object_set_new(fields, "email", json_string(f->err_email));
    if (f->err_body)
        json_object_set_new(fields, "body", json_string(f->err_body));
    if (f->err_parent)
        json_object_set_new(fields, "parent_id", json_string(f->err_parent));
    json_t *e = gz_res_error(422, msg, field, gz_req_id(req));
    json_object_set_new(json_object_get(e, "error"), "fields", fields);
    int rc = gz_resp_json(resp, 422, e);
    json_decref(e);
    return rc;
}

/* The comment resource (gz_res_comment, never the email) for a JSON
 * answer; outside /api/ with the page decor the site's scripts use
 * (status, initials, human date, link). id 0: the honeypot's pretend
 * comment, which was never stored. */
static json_t *comment_json(struct gz_req *req, long long id,
                            long long article_id, const char *slug,
                            const struct comment_form *f, int approved)
{
    json_t *row = json_pack("{s:I, s:I, s:s, s:s, s:I}", "id", (json_int_t)id,
                            "article_id", (json_int_t)article_id, "name",
                            f->name, "body", f->body, "created_at",
                            (json_int_t)gz_now());
    if (!row)
        return NULL;
    json_object_set_new(row, "parent_id", f->parent_id
                                              ? json_integer(f->parent_id)
                                              : json_null());
    json_t *c = gz_res_comment(row, 0);
    json_decref(row);
    if (!c || is_api(req))
        return c;
    char initials[16], human[40], url[400];
    gz_initials(f->name, initials);
    gz_time_human(gz_now() + gz_tz_offset(gz_tz_site(), gz_now()), human);
    snprintf(url, sizeof url, "/articles/%s#comment-%lld", slug, id);
    json_object_set_new(c, "status",
                        json_string(approved ? "approved" : "pending"));
    json_object_set_new(c, "initials", json_string(initials));
    json_object_set(c, "body_html", json_object_get(c, "html"));
    json_object_set_new(c, "created_human", json_string(human));
    json_object_set_new(c, "article_slug", json_string(slug));
    json_object_set_new(c, "url", json_string(url));
    return c;
}

static int redirect(struct gz_resp *resp, const char *slug, long long id)
{
    char loc[400];
    if (id > 0)
        snprintf(loc, sizeof loc, "/articles/%s?comment=posted#comment-%lld",
                 slug, id);
    else
        snprintf(loc, sizeof loc, "/articles/%s?comment=held#comments", slug);
    gz_resp_redirect(resp, 303, loc);
    return 0;
}

/* A comment as a JSON answer: under /api/ the API's shape
 * ({"comments": [c]}, plus "message" when held), else the comment itself
 * (with "message" when held). c is stolen. */
static int comment_answer(struct gz_req *req, struct gz_resp *resp,
                          int status, json_t *c)
{
    json_t *doc = c;
    if (is_api(req))
        doc = json_pack("{s:[o]}", "comments", c);
    if (status == 202)
        json_object_set_new(doc, "message", json_string(MSG_HELD));
    int rc = gz_resp_json(resp, status, doc);
    json_decref(doc);
    return rc;
}

int gz_page_site_comment_post(struct gz_req *req, struct gz_resp *resp)
{
    const char *slug = gz_req_param(req, 0);
    struct gz_db *db = gz_req_db(req);
    long long article_id = 0, id = 0;
    int open = 0, approved = 0, rc;
    char key[128];
    struct comment_form f;
    if (!slug || !gz_slug_valid(slug))
        return 404;
    if (!db)
        return 503;
    rc = gz_store_comment_target(db, slug, &article_id, &open);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    if (!open) {
        gz_respond_error(req, resp, 403, "Comments are closed on this story.");
        return 0;
    }
    snprintf(key, sizeof key, "comment:%s", gz_req_client(req));
    int wait = gz_ratelimit_hit(key, COMMENT_MAX, COMMENT_WINDOW);
    if (wait > 0) {
        gz_respond_error(req, resp, 429,
                         "You are commenting faster than we allow. Wait a "
                         "minute and try again.");
        resp->retry_after = wait;
        return 0;
    }
    if (read_form(req, &f) != 0) {
        form_free(&f);
        return 503;
    }
    const char *trap =
        json_string_value(json_object_get(gz_req_form(req), "website"));
    if (trap && *trap) {
        /* SECURITY: the honeypot was filled: a bot. It is told its
         * comment is held, and nothing is stored. */
        gz_log_info(3101, "request %s: comment honeypot filled by %s",
                    gz_req_id(req), gz_req_client(req));
        rc = gz_req_wants_json(req)
                 ? comment_answer(req, resp, 202,
                                  comment_json(req, 0, article_id, slug, &f, 0))
                 : redirect(resp, slug, 0);
        goto out;
    }
    const char *field;
    if (first_error(&f, &field)) {
        rc = gz_req_wants_json(req) ? json_invalid(req, resp, &f)
                                    : page_with_errors(req, resp, slug, &f);
        goto out;
    }
    json_t *settings = gz_store_settings_load(db);
    const char *policy =
        json_string_value(json_object_get(settings, "comment_policy"));
    struct gz_comment_new c = {
        article_id, f.parent_id,        f.name, f.email[0] ? f.email : NULL,
        f.body,     gz_req_client(req), policy};
    rc = gz_store_comment_create(db, &c, &id, &approved);
    json_decref(settings);
    if (rc == GZ_EINVAL) {
        f.err_parent = MSG_PARENT;
        rc = gz_req_wants_json(req) ? json_invalid(req, resp, &f)
                                    : page_with_errors(req, resp, slug, &f);
        goto out;
    }
    if (rc != 0) {
        gz_log_err(3102, "request %s: cannot store a comment (%d)",
                   gz_req_id(req), rc);
        rc = 500;
        goto out;
    }
    gz_log_info(3103, "request %s: comment %lld on story %lld %s",
                gz_req_id(req), id, article_id,
                approved ? "approved" : "held for moderation");
    if (gz_req_wants_json(req)) {
        json_t *cj = comment_json(req, id, article_id, slug, &f, approved);
        if (!cj) {
            rc = 503;
            goto out;
        }
        rc = comment_answer(req, resp, approved ? 201 : 202, cj);
        goto out;
    }
    rc = redirect(resp, slug, approved ? id : 0);
out:
    form_free(&f);
    return rc;
}
