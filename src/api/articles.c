/*
 * articles.c - /api/v1/articles and /api/v1/search: story lists with the
 * API's parameters, one story, and create / update / delete through the
 * same store function (gz_store_story_save) and rules as the newsroom's
 * form: one transaction, the same checks, the same role rules (an author
 * works on their own drafts and never publishes or schedules).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "gazette/html.h"
#include "gazette/newsroom.h"
#include "gazette/nql.h"
#include "gazette/store.h"

static const char *const story_keys[] = {"id",
                                         "slug",
                                         "title",
                                         "url",
                                         "status",
                                         "excerpt",
                                         "custom_excerpt",
                                         "feature_image",
                                         "published_at",
                                         "updated_at",
                                         "created_at",
                                         "reading_time",
                                         "comments_open",
                                         "tags",
                                         "primary_tag",
                                         "authors",
                                         "primary_author",
                                         "comment_count",
                                         "html",
                                         "markdown",
                                         "snippet_html",
                                         NULL};

/* ---- reading ---------------------------------------------------------- */

static int parse_order(struct gz_req *req, struct gz_resp *resp,
                       struct gz_story_filter *f)
{
    static const struct {
        const char *name;
        enum gz_story_order order;
        int asc; /* the direction when none is given */
    } orders[] = {{"published_at", GZ_ORDER_PUBLISHED, 0},
                  {"updated_at", GZ_ORDER_UPDATED, 0},
                  {"created_at", GZ_ORDER_CREATED, 0},
                  {"title", GZ_ORDER_TITLE, 1}};
    const char *v;
    if (api_query_text(req, resp, "order", 60, &v) != 0)
        return -1;
    if (!v)
        return 0;
    char field[64] = "", dir[16] = "", extra[4] = "";
    int n = sscanf(v, "%63s %15s %3s", field, dir, extra);
    for (size_t i = 0; n >= 1 && n <= 2 && i < sizeof orders / sizeof *orders;
         i++) {
        if (strcmp(field, orders[i].name) != 0)
            continue;
        if (n == 1 || strcmp(dir, "asc") == 0 || strcmp(dir, "desc") == 0) {
            f->order = orders[i].order;
            f->ascending = n == 1 ? orders[i].asc : strcmp(dir, "asc") == 0;
            return 0;
        }
    }
    return api_refuse(req, resp, 400,
                      "order is published_at, updated_at, created_at or title,"
                      " then optionally asc or desc (\"published_at desc\").",
                      "order");
}

/* The caller's view of statuses: anonymous callers see published
 * stories only; authors see their own drafts besides. */
static int parse_status(struct gz_req *req, struct gz_resp *resp,
                        struct gz_story_filter *f)
{
    const struct gz_user *u = gz_req_user(req);
    const char *v;
    if (api_query_text(req, resp, "status", 20, &v) != 0)
        return -1;
    f->status = "published";
    f->allow_status_key = u != NULL;
    if (u && u->role == GZ_ROLE_AUTHOR)
        f->own_author_id = u->id;
    if (!v) {
        /* A filter on status (signed-in callers) looks at every status
         * unless ?status= narrows it. */
        if (u && f->filter && gz_nql_uses(f->filter, "status"))
            f->status = "all";
        return 0;
    }
    if (!u)
        return api_refuse(req, resp, 401,
                          "status is for signed-in callers: send a token.",
                          "status");
    if (strcmp(v, "draft") && strcmp(v, "scheduled") &&
        strcmp(v, "published") && strcmp(v, "all"))
        return api_refuse(req, resp, 400,
                          "status is draft, scheduled, published or all.",
                          "status");
    f->status = v;
    return 0;
}

static int story_list(struct gz_req *req, struct gz_resp *resp, int search)
{
    struct gz_story_filter f = {0};
    unsigned inc;
    json_t *keep = NULL, *settings = NULL, *rows = NULL;
    struct gz_nql *nql = NULL;
    const char *filter = NULL;
    int rc = 0;
    if (api_list_params(req, resp, &f.page, &f.limit) ||
        api_include(req, resp, &inc) ||
        api_fields(req, resp, story_keys, &keep) ||
        api_query_text(req, resp, "q", 200, &f.q) ||
        api_query_text(req, resp, "tag", 200, &f.tag_slug) ||
        api_query_text(req, resp, "author", 200, &f.author_slug) ||
        api_query_text(req, resp, "filter", GZ_NQL_MAX_LEN, &filter) ||
        parse_order(req, resp, &f))
        goto out;
    if (search) {
        if (!f.q || !*f.q) {
            api_fail(req, resp, 400, "q: say what to search for.", "q");
            goto out;
        }
        f.rank = 1;
    }
    if (filter) {
        char err[200];
        if (gz_nql_parse(filter, &nql, err, sizeof err) != 0) {
            char msg[260];
            snprintf(msg, sizeof msg, "filter: %s", err);
            api_fail(req, resp, 400, msg, "filter");
            goto out;
        }
        if (!gz_req_user(req) && gz_nql_uses(nql, "status")) {
            /* as with ?status=: drafts are for signed-in callers */
            api_fail(req, resp, 401,
                     "filter: status is for signed-in callers: send a"
                     " token.",
                     "filter");
            goto out;
        }
        f.filter = nql;
    }
    if (parse_status(req, resp, &f))
        goto out;
    /* The list never carries bodies: html and markdown are for one
     * story. A fields= naming them is still a known field. */
    struct gz_found found = {0, 0};
    int bad = 0;
    char err[300];
    f.client = gz_req_client(req);
    rows =
        gz_store_story_rows(gz_req_db(req), &f, &found, &bad, err, sizeof err);
    if (!rows) {
        if (bad == GZ_SEARCH_SHARE) {
            api_fail(req, resp, 429,
                     "q: you have several searches waiting already: try "
                     "again in a second.",
                     "q");
            resp->retry_after = 1;
        } else if (bad == GZ_SEARCH_BUSY) {
            /* docs/DECISIONS.md, "Search has bounded work" */
            api_fail(req, resp, 503,
                     "q: many searches are running right now: try again "
                     "in a second.",
                     "q");
            resp->retry_after = 1;
        } else if (bad == GZ_SEARCH_TOO_BROAD) {
            api_fail(req, resp, 503,
                     "q: the search matches too much to rank: add words.", "q");
        } else if (bad) {
            char msg[340];
            snprintf(msg, sizeof msg, "filter: %s", err);
            api_fail(req, resp, 400, msg, "filter");
        } else {
            rc = 500;
        }
        goto out;
    }
    const char *base = api_base(req, &settings);
    json_t *items = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *s = gz_res_story(row, inc, base);
        api_trim_fields(s, keep);
        json_array_append_new(items, s);
    }
    /* A search says how it ordered its stories, and whether more match
     * than it lists (docs/DECISIONS.md, "Search: relevance when matches
     * are few, newest first when they are many"). */
    json_t *search_meta =
        f.q ? json_pack("{s:b, s:b}", "ranked",
                        f.rank && !found.newest_first, "capped",
                        found.newest_first)
            : NULL;
    rc = api_send_list_meta(req, resp, "articles", items, f.page, f.limit,
                            found.total, "search", search_meta);
out:
    gz_nql_free(nql);
    json_decref(keep);
    json_decref(settings);
    json_decref(rows);
    return rc;
}

int gz_api_articles_list(struct gz_req *req, struct gz_resp *resp)
{
    return story_list(req, resp, 0);
}

int gz_api_search(struct gz_req *req, struct gz_resp *resp)
{
    return story_list(req, resp, 1);
}

/* One story's row by slug or id as the caller may see it; NULL with
 * *status 404 (or 500). */
static json_t *story_row(struct gz_req *req, const char *slug, long long id,
                         int *status)
{
    const struct gz_user *u = gz_req_user(req);
    struct gz_story_filter f = {0};
    f.status = u ? "all" : "published";
    f.own_author_id = u && u->role == GZ_ROLE_AUTHOR ? u->id : 0;
    f.slug = slug;
    f.id = id;
    f.page = 1;
    f.limit = 1;
    f.with_body = 1;
    int bad;
    char err[100];
    json_t *rows =
        gz_store_story_rows(gz_req_db(req), &f, NULL, &bad, err, sizeof err);
    json_t *row = json_incref(json_array_get(rows, 0));
    *status = rows ? 404 : 500;
    json_decref(rows);
    return row;
}

static int send_story(struct gz_req *req, struct gz_resp *resp, int status,
                      json_t *row)
{
    json_t *settings;
    const char *base = api_base(req, &settings);
    unsigned inc = GZ_INC_TAGS | GZ_INC_AUTHORS | GZ_INC_COMMENT_COUNT |
                   GZ_INC_HTML | (gz_req_user(req) ? GZ_INC_MARKDOWN : 0);
    json_t *keep = NULL;
    int rc = 0;
    if (status == 200 && api_fields(req, resp, story_keys, &keep) != 0)
        goto out;
    json_t *s = gz_res_story(row, inc, base);
    api_trim_fields(s, keep);
    rc = api_send_one(resp, status, "articles", s);
out:
    json_decref(keep);
    json_decref(settings);
    return rc;
}

int gz_api_article_get(struct gz_req *req, struct gz_resp *resp)
{
    const char *slug = gz_req_param(req, 0);
    if (!slug || !gz_slug_valid(slug))
        return 404;
    int status;
    json_t *row = story_row(req, slug, 0, &status);
    if (!row)
        return status;
    gz_resp_dep(resp, "story-%lld",
                (long long)json_integer_value(json_object_get(row, "id")));
    int rc = send_story(req, resp, 200, row);
    json_decref(row);
    return rc;
}

/* ---- writing ---------------------------------------------------------- */

static const char *const write_keys[] = {"title",
                                         "slug",
                                         "excerpt",
                                         "custom_excerpt",
                                         "markdown",
                                         "tags",
                                         "status",
                                         "published_at",
                                         "feature_image",
                                         "comments_open",
                                         "id",
                                         "updated_at",
                                         NULL};

/* What the body says, over the story's current values (PATCH) or the
 * defaults (POST). Strings point into body or cur. */
struct story_write {
    struct gz_story_in in;
    struct gz_buf tags;
    const char *status;      /* NULL: unchanged */
    const char *excerpt_key; /* "excerpt" or "custom_excerpt", as sent */
    long long publish_at;
};

static int read_tags(struct gz_req *req, struct gz_resp *resp, json_t *v,
                     struct gz_buf *out)
{
    if (!json_is_array(v))
        return api_refuse(req, resp, 422, "tags must be a list of tag names.",
                          "tags");
    size_t i;
    json_t *t;
    json_array_foreach(v, i, t)
    {
        /* Ghost sends tags as objects {name}; names work too. */
        json_t *name = json_is_object(t) ? json_object_get(t, "name") : t;
        const char *s = json_string_value(name);
        if (!s || strchr(s, ',') || strlen(s) != json_string_length(name))
            return api_refuse(req, resp, 422,
                              "tags must be names (strings without commas).",
                              "tags");
        if (i)
            gz_buf_puts(out, ", ");
        gz_buf_puts(out, s);
    }
    return 0;
}

/* Our own media URL, absolute or not, as the path the store knows. */
static const char *own_path(const char *url, const char *base)
{
    size_t bl = strlen(base);
    if (bl && strncmp(url, base, bl) == 0 && url[bl] == '/')
        return url + bl;
    return url;
}

static int read_write(struct gz_req *req, struct gz_resp *resp, json_t *body,
                      struct story_write *w, const char *base)
{
    const char *s;
    json_t *v;
    if (api_only_keys(req, resp, body, write_keys) != 0)
        return -1;
#define STR(key, dst)                                                          \
    do {                                                                       \
        if (json_object_get(body, key)) {                                      \
            if (api_str(req, resp, body, key, key, &s) != 0)                   \
                return -1;                                                     \
            dst = s ? s : "";                                                  \
        }                                                                      \
    } while (0)
    STR("title", w->in.title);
    STR("slug", w->in.slug);
    STR("markdown", w->in.markdown);
    STR("excerpt", w->in.excerpt);
    STR("custom_excerpt", w->in.excerpt);
    w->excerpt_key = json_object_get(body, "custom_excerpt") ? "custom_excerpt"
                     : json_object_get(body, "excerpt")      ? "excerpt"
                                                             : NULL;
#undef STR
    if ((v = json_object_get(body, "tags"))) {
        gz_buf_reset(&w->tags);
        if (read_tags(req, resp, v, &w->tags) != 0)
            return -1;
        w->in.tags = gz_buf_cstr(&w->tags);
    }
    if ((v = json_object_get(body, "comments_open"))) {
        if (!json_is_boolean(v))
            return api_refuse(req, resp, 422,
                              "comments_open must be true or"
                              " false.",
                              "comments_open");
        w->in.comments_open = json_is_true(v);
    }
    if ((v = json_object_get(body, "feature_image"))) {
        if (json_is_null(v)) {
            w->in.image_url = "";
            w->in.image_alt = "";
            w->in.image_caption = "";
        } else if (!json_is_object(v)) {
            return api_refuse(req, resp, 422,
                              "feature_image must be an object {url, alt,"
                              " caption} or null.",
                              "feature_image");
        } else {
            static const char *const fi_keys[] = {"url",   "alt",    "caption",
                                                  "width", "height", NULL};
            if (api_only_keys(req, resp, v, fi_keys) != 0)
                return -1;
            if (api_str(req, resp, v, "url", "feature_image.url", &s) != 0)
                return -1;
            if (!s || !*s)
                return api_refuse(req, resp, 422,
                                  "feature_image.url is required: the URL the"
                                  " media upload answered.",
                                  "feature_image.url");
            w->in.image_url = own_path(s, base);
            if (api_str(req, resp, v, "alt", "feature_image.alt", &s) != 0)
                return -1;
            w->in.image_alt = s ? s : "";
            if (api_str(req, resp, v, "caption", "feature_image.caption", &s) !=
                0)
                return -1;
            w->in.image_caption = s ? s : "";
        }
    }
    if (api_str(req, resp, body, "status", "status", &w->status) != 0)
        return -1;
    if (w->status && strcmp(w->status, "draft") &&
        strcmp(w->status, "published") && strcmp(w->status, "scheduled"))
        return api_refuse(req, resp, 422,
                          "status is draft, published or scheduled.", "status");
    if (api_str(req, resp, body, "published_at", "published_at", &s) != 0)
        return -1;
    if (s) {
        if (!w->status || strcmp(w->status, "scheduled") != 0)
            return api_refuse(req, resp, 422,
                              "published_at is set only with status"
                              " \"scheduled\" (publishing uses the time it"
                              " happens).",
                              "published_at");
        w->publish_at = gz_time_parse_rfc3339(s);
        if (w->publish_at < 0)
            return api_refuse(req, resp, 422,
                              "published_at must be an RFC 3339 time such as"
                              " 2026-03-01T09:00:00Z.",
                              "published_at");
    }
    if (w->status && strcmp(w->status, "scheduled") == 0 && !s)
        return api_refuse(req, resp, 422,
                          "A scheduled story needs published_at.",
                          "published_at");
    return 0;
}

/* The store's field names as the API's. */
static const char *api_field(const char *store_field)
{
    static const struct {
        const char *store, *api;
    } map[] = {{"image", "feature_image.url"},
               {"image_alt", "feature_image.alt"},
               {"image_caption", "feature_image.caption"},
               {"publish_at", "published_at"}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(map[i].store, store_field) == 0)
            return map[i].api;
    return store_field;
}

/* Saves and answers: 201/200 with the story, or the error. */
static int save(struct gz_req *req, struct gz_resp *resp, long long id,
                struct story_write *w, const char *cur_status)
{
    const struct gz_user *u = gz_req_user(req);
    int author = u->role == GZ_ROLE_AUTHOR;
    enum gz_story_action action = GZ_STORY_SAVE;
    if (w->status && (!cur_status || strcmp(w->status, cur_status) != 0 ||
                      strcmp(w->status, "scheduled") == 0))
        action = strcmp(w->status, "published") == 0   ? GZ_STORY_PUBLISH
                 : strcmp(w->status, "scheduled") == 0 ? GZ_STORY_SCHEDULE
                                                       : GZ_STORY_UNPUBLISH;
    if (!cur_status && action == GZ_STORY_UNPUBLISH)
        action = GZ_STORY_SAVE; /* a new draft */
    if (author && (action == GZ_STORY_PUBLISH || action == GZ_STORY_SCHEDULE))
        return api_fail(req, resp, 403,
                        "Authors cannot publish or schedule: an editor"
                        " does.",
                        "status");
    json_t *errors = json_object();
    long long out_id = 0;
    int rc =
        gz_store_story_save(gz_req_db(req), id, u->id, &w->in, action,
                            w->publish_at, author ? u->id : 0, &out_id, errors);
    if (rc == GZ_EINVAL) {
        const char *field = NULL;
        json_t *msg = NULL;
        /* The first error in a fixed order of fields. */
        static const char *const order[] = {
            "title", "slug",      "excerpt",       "markdown",   "tags",
            "image", "image_alt", "image_caption", "publish_at", NULL};
        for (const char *const *f = order; *f && !field; f++)
            if ((msg = json_object_get(errors, *f)))
                field = *f;
        if (!field) {
            void *it = json_object_iter(errors);
            field = it ? json_object_iter_key(it) : NULL;
            msg = it ? json_object_iter_value(it) : NULL;
        }
        const char *m = json_string_value(msg);
        /* A slug someone else has is a conflict, not a bad field. */
        int conflict = field && strcmp(field, "slug") == 0 && m &&
                       (strstr(m, "already used") || strstr(m, "just taken"));
        const char *af = field ? api_field(field) : NULL;
        if (af && strcmp(af, "excerpt") == 0 && w->excerpt_key)
            af = w->excerpt_key; /* the name the caller used */
        api_fail(req, resp, conflict ? 409 : 422, m ? m : "Check the story.",
                 af);
        json_decref(errors);
        return 0;
    }
    json_decref(errors);
    if (rc == GZ_EFORBIDDEN)
        return api_fail(req, resp, 403,
                        "Authors can change only their own drafts.", NULL);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    int status;
    json_t *row = story_row(req, NULL, out_id, &status);
    if (!row)
        return 500;
    rc = send_story(req, resp, id ? 200 : 201, row);
    json_decref(row);
    return rc;
}

int gz_api_article_create(struct gz_req *req, struct gz_resp *resp)
{
    json_t *body, *settings;
    if (api_body(req, resp, "articles", &body) != 0)
        return 0;
    const char *base = api_base(req, &settings);
    struct story_write w = {0};
    gz_buf_init(&w.tags);
    w.in.comments_open = 1;
    int rc = 0;
    if (read_write(req, resp, body, &w, base) == 0) {
        if (!w.in.title || !*w.in.title)
            rc = api_fail(req, resp, 422, "title is required.", "title");
        else
            rc = save(req, resp, 0, &w, NULL);
    }
    gz_buf_free(&w.tags);
    json_decref(settings);
    json_decref(body);
    return rc;
}

int gz_api_article_update(struct gz_req *req, struct gz_resp *resp)
{
    long long id;
    if (api_path_id(req, &id) != 0)
        return 404;
    int err = 0;
    json_t *cur = gz_store_story_load(gz_req_db(req), id, &err);
    if (!cur)
        return err == GZ_ENOTFOUND ? 404 : 500;
    const struct gz_user *u = gz_req_user(req);
    json_t *body = NULL, *settings = NULL;
    int rc = 0;
    struct story_write w = {0};
    gz_buf_init(&w.tags);
    if (u->role == GZ_ROLE_AUTHOR &&
        json_integer_value(json_object_get(cur, "author_id")) != u->id) {
        rc = api_fail(req, resp, 403,
                      "Authors can change only their own"
                      " drafts.",
                      NULL);
        goto out;
    }
    if (api_body(req, resp, "articles", &body) != 0)
        goto out;
#define CUR(k) json_string_value(json_object_get(cur, k))
    w.in.title = CUR("title");
    w.in.slug = CUR("slug");
    w.in.excerpt = CUR("excerpt");
    w.in.markdown = CUR("markdown");
    w.in.tags = CUR("tags");
    w.in.image_url = CUR("image_url");
    w.in.image_alt = CUR("image_alt");
    w.in.image_caption = CUR("image_caption");
#undef CUR
    w.in.comments_open = json_is_true(json_object_get(cur, "comments_open"));
    const char *base = api_base(req, &settings);
    if (read_write(req, resp, body, &w, base) != 0)
        goto out;
    if (!w.in.title || !*w.in.title) {
        rc = api_fail(req, resp, 422, "title cannot be empty.", "title");
        goto out;
    }
    rc = save(req, resp, id, &w,
              json_string_value(json_object_get(cur, "status")));
out:
    gz_buf_free(&w.tags);
    json_decref(settings);
    json_decref(body);
    json_decref(cur);
    return rc;
}

int gz_api_article_delete(struct gz_req *req, struct gz_resp *resp)
{
    long long id;
    if (api_path_id(req, &id) != 0)
        return 404;
    const struct gz_user *u = gz_req_user(req);
    int rc = gz_store_story_trash(gz_req_db(req), id,
                                  u->role == GZ_ROLE_AUTHOR ? u->id : 0, u->id);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc == GZ_EFORBIDDEN)
        return api_fail(req, resp, 403,
                        "Authors can delete only their own drafts.", NULL);
    if (rc != 0)
        return 500;
    return api_no_content(resp);
}

int gz_api_article_change(struct gz_req *req, struct gz_resp *resp)
{
    return gz_req_method(req) == GZ_DELETE ? gz_api_article_delete(req, resp)
                                           : gz_api_article_update(req, resp);
}
