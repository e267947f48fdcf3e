/*
 * people.c - the rest of /api/v1: tags, authors, comments (reading,
 * posting, moderating), subscribers (signing up, listing, removing),
 * media uploads and the OpenAPI document.
 *
 * Posting a comment and signing up go through the very handlers of the
 * site's forms (site/comments.c, site/subscribe.c), with the JSON body as
 * their fields: one set of rules, rate limits and moderation policy for
 * the form and the API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "gazette/admin.h"
#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/newsroom.h"
#include "gazette/site.h"
#include "gazette/store.h"

/* ---- tags and authors ------------------------------------------------- */

typedef json_t *(*rows_fn)(struct gz_db *, const char *, long long, int,
                           long long *);
typedef json_t *(*res_fn)(json_t *, const char *);

static const char *const tag_keys[] = {
    "id",  "slug",     "name",          "description",
    "url", "feed_url", "article_count", NULL};
static const char *const author_keys[] = {"id",  "slug",          "name", "bio",
                                          "url", "article_count", NULL};

static int named_list(struct gz_req *req, struct gz_resp *resp,
                      const char *name, rows_fn rows_of, res_fn build,
                      const char *const *keys)
{
    long long page, total = 0;
    int limit;
    json_t *keep = NULL;
    if (api_list_params(req, resp, &page, &limit) != 0 ||
        api_fields(req, resp, keys, &keep) != 0)
        return 0;
    json_t *rows = rows_of(gz_req_db(req), NULL, page, limit, &total);
    if (!rows) {
        json_decref(keep);
        return 500;
    }
    json_t *settings;
    const char *base = api_base(req, &settings);
    json_t *items = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *item = build(row, base);
        api_trim_fields(item, keep);
        json_array_append_new(items, item);
    }
    json_decref(keep);
    json_decref(rows);
    int rc = api_send_list(req, resp, name, items, page, limit, total);
    json_decref(settings);
    return rc;
}

static int named_one(struct gz_req *req, struct gz_resp *resp, const char *name,
                     rows_fn rows_of, res_fn build)
{
    const char *slug = gz_req_param(req, 0);
    if (!slug || !gz_slug_valid(slug))
        return 404;
    json_t *rows = rows_of(gz_req_db(req), slug, 1, 1, NULL);
    if (!rows)
        return 500;
    json_t *row = json_array_get(rows, 0);
    int rc = 404;
    if (row) {
        json_t *settings;
        const char *base = api_base(req, &settings);
        rc = api_send_one(resp, 200, name, build(row, base));
        json_decref(settings);
    }
    json_decref(rows);
    return rc;
}

int gz_api_tags_list(struct gz_req *req, struct gz_resp *resp)
{
    return named_list(req, resp, "tags", gz_store_tag_rows, gz_res_tag,
                      tag_keys);
}

int gz_api_tag_get(struct gz_req *req, struct gz_resp *resp)
{
    return named_one(req, resp, "tags", gz_store_tag_rows, gz_res_tag);
}

int gz_api_authors_list(struct gz_req *req, struct gz_resp *resp)
{
    return named_list(req, resp, "authors", gz_store_author_rows, gz_res_author,
                      author_keys);
}

int gz_api_author_get(struct gz_req *req, struct gz_resp *resp)
{
    return named_one(req, resp, "authors", gz_store_author_rows, gz_res_author);
}

/* ---- comments --------------------------------------------------------- */

static const char *const comment_keys[] = {
    "id",   "article_id", "parent_id", "name",  "body",
    "html", "created_at", "status",    "email", NULL};
static const char *const subscriber_keys[] = {
    "id", "email", "name", "status", "created_at", "confirmed_at", NULL};

/* Resources of rows, trimmed to fields= (keep may be NULL). */
static json_t *built(json_t *rows, json_t *(*build)(json_t *row, int flag),
                     int flag, json_t *keep)
{
    json_t *items = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *item = build(row, flag);
        api_trim_fields(item, keep);
        json_array_append_new(items, item);
    }
    return items;
}

static json_t *subscriber_of(json_t *row, int unused)
{
    return gz_res_subscriber(row);
}

static int comment_list(struct gz_req *req, struct gz_resp *resp,
                        long long article_id, const char *status,
                        int moderation)
{
    long long page, total = 0;
    int limit;
    json_t *keep;
    if (api_list_params(req, resp, &page, &limit) != 0 ||
        api_fields(req, resp, comment_keys, &keep) != 0)
        return 0;
    json_t *rows = gz_store_comment_rows(gz_req_db(req), article_id, status, 0,
                                         page, limit, &total);
    if (!rows) {
        json_decref(keep);
        return 500;
    }
    json_t *items = built(rows, gz_res_comment, moderation, keep);
    json_decref(keep);
    json_decref(rows);
    return api_send_list(req, resp, "comments", items, page, limit, total);
}

int gz_api_article_comments(struct gz_req *req, struct gz_resp *resp)
{
    const char *slug = gz_req_param(req, 0);
    long long article_id = 0;
    int open = 0;
    if (!slug || !gz_slug_valid(slug))
        return 404;
    int rc = gz_store_comment_target(gz_req_db(req), slug, &article_id, &open);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    return comment_list(req, resp, article_id, "approved", 0);
}

/* The JSON body as the form fields of a site handler: strings only (a
 * whole number is taken as its text, for parent_id). */
static int body_as_form(struct gz_req *req, struct gz_resp *resp,
                        const char *wrapper, const char *const *known)
{
    json_t *body;
    if (api_body(req, resp, wrapper, &body) != 0)
        return -1;
    if (api_only_keys(req, resp, body, known) != 0) {
        json_decref(body);
        return -1;
    }
    json_t *form = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        if (json_is_null(v))
            continue;
        if (json_is_integer(v) && strcmp(k, "parent_id") == 0) {
            char num[32];
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
            json_object_set_new(form, k, json_string(num));
            continue;
        }
        const char *s = json_string_value(v);
        if (!s || strlen(s) != json_string_length(v)) {
            char msg[120];
            snprintf(msg, sizeof msg, "%.40s must be a string.", k);
            api_fail(req, resp, 422, msg, k); /* k dies with body */
            json_decref(form);
            json_decref(body);
            return -1;
        }
        json_object_set(form, k, v);
    }
    json_decref(body);
    gz_req_set_form(req, form);
    return 0;
}

int gz_api_comment_post(struct gz_req *req, struct gz_resp *resp)
{
    static const char *const known[] = {"name", "email", "body", "parent_id",
                                        NULL};
    if (body_as_form(req, resp, "comments", known) != 0)
        return 0;
    return gz_page_site_comment_post(req, resp);
}

int gz_api_comments_list(struct gz_req *req, struct gz_resp *resp)
{
    const char *status;
    if (api_query_text(req, resp, "status", 20, &status) != 0)
        return 0;
    if (!status)
        status = "pending";
    if (strcmp(status, "pending") && strcmp(status, "approved") &&
        strcmp(status, "spam") && strcmp(status, "all"))
        return api_fail(req, resp, 400,
                        "status is pending, approved, spam or all.", "status");
    return comment_list(req, resp, 0,
                        strcmp(status, "all") == 0 ? NULL : status, 1);
}

/* The one comment of the route, as a moderator sees it. */
static int send_comment(struct gz_req *req, struct gz_resp *resp, long long id)
{
    json_t *rows =
        gz_store_comment_rows(gz_req_db(req), 0, NULL, id, 1, 1, NULL);
    json_t *row = json_array_get(rows, 0);
    int rc = row ? api_send_one(resp, 200, "comments", gz_res_comment(row, 1))
             : rows ? 404
                    : 500;
    json_decref(rows);
    return rc;
}

int gz_api_comment_update(struct gz_req *req, struct gz_resp *resp)
{
    static const char *const known[] = {"status", NULL};
    long long id;
    if (api_path_id(req, &id) != 0)
        return 404;
    json_t *body;
    if (api_body(req, resp, "comments", &body) != 0)
        return 0;
    const char *status = NULL;
    int rc = 0;
    if (api_only_keys(req, resp, body, known) != 0 ||
        api_str(req, resp, body, "status", "status", &status) != 0)
        goto out;
    /* The moderation actions of the newsroom's queue. */
    const char *action = !status                           ? NULL
                         : strcmp(status, "approved") == 0 ? "approve"
                         : strcmp(status, "spam") == 0     ? "spam"
                         : strcmp(status, "pending") == 0  ? "pending"
                                                           : NULL;
    if (!action) {
        rc = api_fail(req, resp, 422, "status is approved, spam or pending.",
                      "status");
        goto out;
    }
    json_t *rows =
        gz_store_comment_rows(gz_req_db(req), 0, NULL, id, 1, 1, NULL);
    int found = json_array_size(rows) == 1;
    json_decref(rows);
    if (!found) {
        rc = rows ? 404 : 500;
        goto out;
    }
    if (gz_store_comments_moderate(gz_req_db(req), &id, 1, action) < 0) {
        rc = 500;
        goto out;
    }
    rc = send_comment(req, resp, id);
out:
    json_decref(body);
    return rc;
}

int gz_api_comment_delete(struct gz_req *req, struct gz_resp *resp)
{
    long long id;
    if (api_path_id(req, &id) != 0)
        return 404;
    json_t *rows =
        gz_store_comment_rows(gz_req_db(req), 0, NULL, id, 1, 1, NULL);
    int found = json_array_size(rows) == 1;
    json_decref(rows);
    if (!found)
        return rows ? 404 : 500;
    if (gz_store_comments_moderate(gz_req_db(req), &id, 1, "delete") < 0)
        return 500;
    return api_no_content(resp);
}

/* ---- subscribers ------------------------------------------------------ */

int gz_api_subscriber_create(struct gz_req *req, struct gz_resp *resp)
{
    static const char *const known[] = {"email", "name", NULL};
    if (body_as_form(req, resp, "subscribers", known) != 0)
        return 0;
    return gz_page_site_subscribe(req, resp);
}

int gz_api_subscribers_list(struct gz_req *req, struct gz_resp *resp)
{
    const char *status;
    long long page, total = 0;
    int limit;
    json_t *keep = NULL;
    if (api_list_params(req, resp, &page, &limit) != 0 ||
        api_query_text(req, resp, "status", 20, &status) != 0)
        return 0;
    if (!status)
        status = "active";
    if (api_fields(req, resp, subscriber_keys, &keep) != 0)
        return 0;
    if (strcmp(status, "pending") && strcmp(status, "active") &&
        strcmp(status, "unsubscribed") && strcmp(status, "all")) {
        json_decref(keep);
        return api_fail(req, resp, 400,
                        "status is active, pending, unsubscribed or all.",
                        "status");
    }
    json_t *rows = gz_store_subscriber_rows(
        gz_req_db(req), strcmp(status, "all") == 0 ? NULL : status, page, limit,
        &total);
    if (!rows) {
        json_decref(keep);
        return 500;
    }
    json_t *items = built(rows, subscriber_of, 0, keep);
    json_decref(keep);
    json_decref(rows);
    return api_send_list(req, resp, "subscribers", items, page, limit, total);
}

int gz_api_subscriber_delete(struct gz_req *req, struct gz_resp *resp)
{
    long long id;
    if (api_path_id(req, &id) != 0)
        return 404;
    int rc = gz_store_subscriber_delete(gz_req_db(req), id);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    return api_no_content(resp);
}

/* ---- media, the document ---------------------------------------------- */

int gz_api_media_upload(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_upload *u = gz_req_upload(req);
    if (!u || strcmp(u->field, "file") != 0)
        return api_fail(req, resp, 422,
                        "Send the image as the multipart field \"file\""
                        " (JPEG, PNG, WebP or GIF).",
                        "file");
    char url[96];
    int w = 0, h = 0;
    int st = gz_newsroom_keep_upload(req, u, url, sizeof url, &w, &h);
    if (st)
        return st;
    json_t *row = gz_store_media_row(gz_req_db(req), url);
    if (!row)
        return 500;
    json_t *settings;
    const char *base = api_base(req, &settings);
    int rc = api_send_one(resp, 201, "media", gz_res_media(row, base));
    json_decref(settings);
    json_decref(row);
    return rc;
}

int gz_api_openapi(struct gz_req *req, struct gz_resp *resp)
{
    resp->status = 200;
    resp->content_type = "application/json";
    resp->static_body = (const unsigned char *)gz_openapi_json;
    resp->len = gz_openapi_json_len;
    return 0;
}

int gz_api_comment_change(struct gz_req *req, struct gz_resp *resp)
{
    return gz_req_method(req) == GZ_DELETE ? gz_api_comment_delete(req, resp)
                                           : gz_api_comment_update(req, resp);
}
