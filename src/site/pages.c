/*
 * pages.c - the readers' site: home, article, tag, author and search pages,
 * RSS feeds, the sitemap, robots.txt, health, metrics and static files.
 * Each handler asks the store for rows, turns them into resources with the
 * page decor (decor.c), adds the keys every page shares (site, assets,
 * page) and renders a template. Pages answer HTML only; the same data as
 * JSON is the API's (src/api/).
 *
 * Handlers run on MHD worker threads with the thread's own read-only
 * database connection; they keep no state between requests.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/site.h"
#include "gazette/store.h"

#define SEARCH_MAX_CHARS 200
#define MAX_PAGE 100000

/* ---- the shared part of every page ------------------------------------ */

/* Base URL: the admin's setting, else the configured or derived one. */
static const char *site_base(struct gz_req *req, json_t *settings)
{
    return gz_store_base_url(settings, gz_req_base_url(req));
}

static char *absolute(struct gz_req *req, json_t *settings, const char *path)
{
    struct gz_buf b;
    gz_buf_init(&b);
    if (path && path[0] == '/')
        gz_buf_puts(&b, site_base(req, settings));
    gz_buf_puts(&b, path ? path : "");
    return gz_buf_steal(&b, NULL);
}

static void set_abs(json_t *o, const char *key, struct gz_req *req,
                    json_t *settings, const char *path)
{
    char *u = absolute(req, settings, path);
    json_object_set_new(o, key, json_string(u ? u : ""));
    free(u);
}

/*
 * The navigation's tags (the five with the most stories). Counting them
 * reads every story's tags, so the answer is kept for as long as the
 * content version stays the same: shared by all threads under a mutex,
 * each caller gets its own copy. Returns an owned array.
 */
static json_t *nav_tags(struct gz_db *db)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static json_t *kept;
    static long long kept_version = -1;
    long long version = -1, changed_at;
    if (!db)
        return json_array();
    if (gz_store_content_version(db, &version, &changed_at) != 0)
        version = -1;
    pthread_mutex_lock(&lock);
    if (!kept || version < 0 || version != kept_version) {
        json_decref(kept);
        kept = gz_store_nav_tags(db, 5);
        kept_version = version;
    }
    json_t *copy = json_deep_copy(kept);
    pthread_mutex_unlock(&lock);
    return copy ? copy : json_array();
}

/* Adds site, assets and page to model. title NULL: the site title alone. */
void gz_site_page_common(struct gz_req *req, json_t *model, json_t *settings,
                         const char *title, const char *description,
                         const char *og_type, const char *body_class)
{
    struct gz_app *app = gz_req_app(req);
    struct gz_db *db = gz_req_db(req);
    const char *site_title = json_string_value(json_object_get(settings, "title"));
    const char *site_desc =
        json_string_value(json_object_get(settings, "description"));
    char year[8];
    char iso[32];
    gz_time_rfc3339(gz_now(), iso);
    snprintf(year, sizeof year, "%.4s", iso);

    json_t *nav = json_array();
    json_array_append_new(nav,
                          json_pack("{s:s, s:s, s:b}", "name", "Home", "url",
                                    "/", "current",
                                    strcmp(gz_req_path(req), "/") == 0));
    json_t *tags = nav_tags(db);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *url = json_string_value(json_object_get(t, "url"));
        json_array_append_new(
            nav, json_pack("{s:O, s:s, s:b}", "name", json_object_get(t, "name"),
                           "url", url, "current",
                           strcmp(gz_req_path(req), url) == 0));
    }
    json_decref(tags);
    json_t *site = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "title",
                             site_title ? site_title : "Gazette",
                             "description", site_desc ? site_desc : "", "url",
                             site_base(req, settings), "lang", "en",
                             "feed_url", "/feed.xml", "nav", nav);
    long long y = 1970;
    gz_parse_int(year, 1970, 9999, &y);
    json_object_set_new(site, "year", json_integer(y));
    json_object_set_new(model, "site", site);
    json_object_set(model, "assets", app->assets);

    /* A buffer, not a fixed array: a cut in the middle of a UTF-8
     * character would make json_pack refuse the whole page object. */
    struct gz_buf full;
    gz_buf_init(&full);
    if (title)
        gz_buf_printf(&full, "%s – ", title);
    gz_buf_puts(&full, site_title ? site_title : "Gazette");
    json_t *page = json_pack("{s:s, s:s, s:s, s:s, s:b}", "title",
                             gz_buf_cstr(&full),
                             "description",
                             description && *description
                                 ? description
                                 : (site_desc ? site_desc : ""),
                             "og_type", og_type, "body_class", body_class,
                             "noindex", 0);
    gz_buf_free(&full);
    /* Page N of a list is its own page for search engines. */
    long long pageno = 1;
    char canon[1200];
    if (gz_req_query_int(req, "page", 2, 100000, 1, &pageno) == 0 &&
        pageno > 1)
        snprintf(canon, sizeof canon, "%s?page=%lld", gz_req_path(req),
                 pageno);
    else
        snprintf(canon, sizeof canon, "%s", gz_req_path(req));
    set_abs(page, "canonical_url", req, settings, canon);
    json_object_set_new(page, "image_url", json_string(""));
    json_object_set_new(model, "page", page);
}

int gz_resp_page(struct gz_req *req, struct gz_resp *resp, const char *name,
                 json_t *model)
{
    struct gz_buf out;
    gz_buf_init(&out);
    if (gz_tpl_render(gz_req_app(req)->tpl, name, model, &out) != 0) {
        gz_buf_free(&out);
        gz_log_err(2001, "request %s: template %s failed", gz_req_id(req),
                   name);
        return 500;
    }
    size_t len;
    char *body = gz_buf_steal(&out, &len);
    gz_resp_take(resp, 200, "text/html; charset=utf-8", body, len);
    return 0;
}

/* The page. Reader pages answer HTML only: the data behind them is the
 * JSON API's (/api/v1), which returns the same resources without the
 * template's decor (docs/DECISIONS.md). */
static int respond(struct gz_req *req, struct gz_resp *resp, const char *tpl,
                   json_t *model)
{
    return gz_resp_page(req, resp, tpl, model);
}

static json_t *pagination(long long page, long long total, int limit,
                          const char *base_path, const char *extra_query)
{
    long long pages = total == 0 ? 1 : (total + limit - 1) / limit;
    json_t *p = json_pack("{s:I, s:I, s:I, s:I}", "page", (json_int_t)page,
                          "pages", (json_int_t)pages, "total",
                          (json_int_t)total, "limit", (json_int_t)limit);
    char url[1024];
    const char *sep = extra_query ? "&" : "?";
    if (page > 1) {
        if (page == 2 && !extra_query)
            snprintf(url, sizeof url, "%s", base_path);
        else
            snprintf(url, sizeof url, "%s%s%s%spage=%lld", base_path,
                     extra_query ? "?" : "", extra_query ? extra_query : "",
                     sep, page - 1);
        json_object_set_new(p, "prev_url", json_string(url));
    } else {
        json_object_set_new(p, "prev_url", json_null());
    }
    if (page < pages) {
        snprintf(url, sizeof url, "%s%s%s%spage=%lld", base_path,
                 extra_query ? "?" : "", extra_query ? extra_query : "", sep,
                 page + 1);
        json_object_set_new(p, "next_url", json_string(url));
    } else {
        json_object_set_new(p, "next_url", json_null());
    }
    return p;
}

/* Reads ?page=, answering 400 with a clear message when it is not a
 * number from 1 to MAX_PAGE. */
static int page_param(struct gz_req *req, struct gz_resp *resp,
                      long long *page)
{
    if (gz_req_query_int(req, "page", 1, MAX_PAGE, 1, page) != 0) {
        gz_respond_error(req, resp, 400,
                         "The page number must be a whole number from 1 to "
                         "100000.");
        return 400;
    }
    return 0;
}

/* Lists of stories: home, tag and author pages share this. */
static int story_list_page(struct gz_req *req, struct gz_resp *resp,
                           const char *tpl, json_t *model, const char *tag,
                           const char *author, const char *base_path)
{
    struct gz_app *app = gz_req_app(req);
    long long page, total = 0;
    if (page_param(req, resp, &page))
        return -1;
    struct gz_list_query q = {tag, author, 0, page, app->cfg.page_size, 0};
    json_t *rows = gz_store_articles_list(gz_req_db(req), &q, &total);
    if (!rows)
        return 500;
    json_t *list = gz_site_stories(rows);
    json_decref(rows);
    if (page > 1 && json_array_size(list) == 0) {
        json_decref(list);
        return 404;
    }
    if (!tag && !author) {
        /* The newest story leads page 1 of the home page, large. */
        json_t *lead = page == 1 ? json_array_get(list, 0) : NULL;
        json_object_set(model, "lead", lead ? lead : json_null());
        if (lead)
            json_array_remove(list, 0);
    }
    json_object_set_new(model, "articles", list);
    json_object_set_new(model, "pagination",
                        pagination(page, total, app->cfg.page_size, base_path,
                                   NULL));
    json_object_set_new(model, "subscribe",
                        json_pack("{s:s}", "action_url", "/subscribe"));
    /* What the page was built from (sql/0005_page_changes.sql). */
    if (tag)
        gz_resp_dep(resp, "tag-%s", tag);
    else if (author)
        gz_resp_dep(resp, "author-%s", author);
    else
        gz_resp_dep(resp, "home");
    return respond(req, resp, tpl, model);
}

/* ---- pages ------------------------------------------------------------ */

int gz_page_site_home(struct gz_req *req, struct gz_resp *resp)
{
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    json_t *model = json_object();
    gz_site_page_common(req, model, settings, NULL, NULL, "website", "home");
    int rc = story_list_page(req, resp, "home", model, NULL, NULL,
                             "/");
    json_decref(model);
    json_decref(settings);
    return rc < 0 ? 0 : rc;
}

static json_t *share_links(struct gz_req *req, json_t *settings,
                           json_t *article)
{
    char *url = absolute(req, settings,
                         json_string_value(json_object_get(article, "url")));
    const char *title = json_string_value(json_object_get(article, "title"));
    struct gz_buf eu, et, b;
    gz_buf_init(&eu);
    gz_buf_init(&et);
    gz_buf_init(&b);
    gz_url_encode(&eu, url, strlen(url));
    gz_url_encode(&et, title, strlen(title));
    json_t *share = json_object();
    json_object_set_new(share, "copy_url", json_string(url));
    gz_buf_printf(&b, "https://twitter.com/intent/tweet?url=%s&text=%s",
                  gz_buf_cstr(&eu), gz_buf_cstr(&et));
    json_object_set_new(share, "twitter_url", json_string(gz_buf_cstr(&b)));
    gz_buf_reset(&b);
    gz_buf_printf(&b, "https://www.facebook.com/sharer/sharer.php?u=%s",
                  gz_buf_cstr(&eu));
    json_object_set_new(share, "facebook_url", json_string(gz_buf_cstr(&b)));
    gz_buf_reset(&b);
    gz_buf_printf(&b,
                  "https://www.linkedin.com/sharing/share-offsite/?url=%s",
                  gz_buf_cstr(&eu));
    json_object_set_new(share, "linkedin_url", json_string(gz_buf_cstr(&b)));
    gz_buf_reset(&b);
    gz_buf_printf(&b, "mailto:?subject=%s&body=%s", gz_buf_cstr(&et),
                  gz_buf_cstr(&eu));
    json_object_set_new(share, "email_url", json_string(gz_buf_cstr(&b)));
    gz_buf_free(&eu);
    gz_buf_free(&et);
    gz_buf_free(&b);
    free(url);
    return share;
}

/* schema.org NewsArticle, serialised and made safe for a <script> data
 * block (< > & escaped as \u003c ...). */
static char *jsonld(struct gz_req *req, json_t *settings, json_t *a)
{
    json_t *author = json_object_get(a, "author");
    json_t *img = json_object_get(a, "feature_image");
    json_t *ld = json_pack(
        "{s:s, s:s, s:O, s:O, s:O, s:O}", "@context", "https://schema.org",
        "@type", "NewsArticle", "headline", json_object_get(a, "title"),
        "description", json_object_get(a, "excerpt"), "datePublished",
        json_object_get(a, "published_at"), "dateModified",
        json_object_get(a, "updated_at"));
    set_abs(ld, "mainEntityOfPage", req, settings,
            json_string_value(json_object_get(a, "url")));
    json_t *person = json_pack("{s:s, s:O}", "@type", "Person", "name",
                               json_object_get(author, "name"));
    set_abs(person, "url", req, settings,
            json_string_value(json_object_get(author, "url")));
    json_object_set_new(ld, "author", json_pack("[o]", person));
    json_t *publisher = json_pack("{s:s, s:O}", "@type", "Organization",
                                  "name", json_object_get(settings, "title"));
    set_abs(publisher, "url", req, settings, "/");
    json_object_set_new(ld, "publisher", publisher);
    if (json_is_object(img)) {
        char *u = absolute(req, settings,
                           json_string_value(json_object_get(img, "url")));
        json_object_set_new(ld, "image", json_pack("[s]", u));
        free(u);
    }
    json_t *primary = json_object_get(a, "primary_tag");
    if (json_is_object(primary))
        json_object_set(ld, "articleSection", json_object_get(primary, "name"));
    json_t *keywords = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(a, "tags"), i, t)
    json_array_append(keywords, json_object_get(t, "name"));
    json_object_set_new(ld, "keywords", keywords);
    char *raw = json_dumps(ld, JSON_COMPACT);
    json_decref(ld);
    if (!raw)
        return NULL;
    struct gz_buf b;
    gz_buf_init(&b);
    gz_json_in_html(&b, raw, strlen(raw));
    free(raw);
    return gz_buf_steal(&b, NULL);
}

int gz_page_site_article(struct gz_req *req, struct gz_resp *resp)
{
    const char *slug = gz_req_param(req, 0);
    if (!gz_slug_valid(slug))
        return 404;
    struct gz_db *db = gz_req_db(req);
    int err = 0;
    json_t *a = gz_site_article(db, slug, &err);
    if (!a)
        return err == GZ_ENOTFOUND ? 404 : 500;
    json_t *settings = gz_store_settings_load(db);
    json_t *model = json_object();
    gz_site_page_common(req, model, settings,
                json_string_value(json_object_get(a, "title")),
                json_string_value(json_object_get(a, "excerpt")), "article",
                "article");
    json_t *img = json_object_get(a, "feature_image");
    if (json_is_object(img))
        set_abs(json_object_get(model, "page"), "image_url", req, settings,
                json_string_value(json_object_get(img, "url")));
    json_object_set_new(a, "share", share_links(req, settings, a));
    char *ld = jsonld(req, settings, a);
    json_object_set_new(model, "jsonld_html", json_string(ld ? ld : "{}"));
    free(ld);

    struct gz_list_query q = {NULL, NULL,
                              json_integer_value(json_object_get(a, "id")), 1,
                              4, 0};
    json_t *more = gz_store_articles_list(db, &q, NULL);
    json_object_set_new(model, "more",
                        more ? gz_site_stories(more) : json_array());
    json_decref(more);
    char action[300];
    snprintf(action, sizeof action, "/articles/%s/comments", slug);
    /* After a comment was posted without JavaScript (comments.c answers
     * 303 here); the page cache keys on the whole URI, query included. */
    const char *posted = gz_req_query(req, "comment", NULL);
    const char *notice =
        !posted                        ? ""
        : strcmp(posted, "held") == 0   ? "Thanks! Your comment is awaiting "
                                          "moderation."
        : strcmp(posted, "posted") == 0 ? "Thanks! Your comment has been "
                                          "posted."
                                        : "";
    json_object_set_new(
        model, "comment_form",
        json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s}, s:{s:s, s:s, s:s, s:s}}",
                  "action_url", action, "notice", notice, "error", "", "errors",
                  "name", "", "email", "", "body", "", "values", "name", "",
                  "email", "", "body", "", "parent_id", ""));
    /* "?reply=ID#comment-form": the reply link of a comment, which works
     * without JavaScript (a top-level comment of this story only). */
    if (!*notice && json_is_true(json_object_get(a, "comments_open")))
        gz_site_comment_replying(a, json_object_get(model, "comment_form"),
                                 gz_req_query(req, "reply", NULL));
    json_object_set_new(model, "subscribe",
                        json_pack("{s:s}", "action_url", "/subscribe"));
    /* Built from the story and the newest stories ("more"). */
    gz_resp_dep(resp, "story-%lld",
                (long long)json_integer_value(json_object_get(a, "id")));
    gz_resp_dep(resp, "home");
    json_object_set_new(model, "article", a);
    int rc = respond(req, resp, "article", model);
    json_decref(model);
    json_decref(settings);
    return rc;
}

int gz_page_site_tag(struct gz_req *req, struct gz_resp *resp)
{
    const char *slug = gz_req_param(req, 0);
    if (!gz_slug_valid(slug))
        return 404;
    int err = 0;
    json_t *row = gz_store_tag_load(gz_req_db(req), slug, &err);
    if (!row)
        return err == GZ_ENOTFOUND ? 404 : 500;
    json_t *tag = gz_site_tag(row);
    json_decref(row);
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    json_t *model = json_object();
    gz_site_page_common(req, model, settings,
                json_string_value(json_object_get(tag, "name")),
                json_string_value(json_object_get(tag, "description")),
                "website", "tag");
    json_object_set_new(model, "tag", tag);
    char base[300];
    snprintf(base, sizeof base, "/tags/%s", slug);
    int rc = story_list_page(req, resp, "tag", model, slug, NULL,
                             base);
    json_decref(model);
    json_decref(settings);
    return rc < 0 ? 0 : rc;
}

int gz_page_site_author(struct gz_req *req, struct gz_resp *resp)
{
    const char *slug = gz_req_param(req, 0);
    if (!gz_slug_valid(slug))
        return 404;
    int err = 0;
    json_t *row = gz_store_author_load(gz_req_db(req), slug, &err);
    if (!row)
        return err == GZ_ENOTFOUND ? 404 : 500;
    json_t *author = gz_site_author(row);
    json_decref(row);
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    json_t *model = json_object();
    gz_site_page_common(req, model, settings,
                json_string_value(json_object_get(author, "name")),
                json_string_value(json_object_get(author, "bio")), "profile",
                "author");
    char base[300];
    snprintf(base, sizeof base, "/authors/%s/feed.xml", slug);
    json_object_set_new(author, "feed_url", json_string(base));
    json_object_set_new(model, "author", author);
    snprintf(base, sizeof base, "/authors/%s", slug);
    int rc = story_list_page(req, resp, "author", model, NULL, slug,
                             base);
    json_decref(model);
    json_decref(settings);
    return rc < 0 ? 0 : rc;
}

/* A search the store refused (docs/DECISIONS.md, "Search has bounded
 * work"): 503 either way; a busy moment is worth another try in a second,
 * a search too broad for its budget is not. */
static int search_refused(struct gz_req *req, struct gz_resp *resp, int why)
{
    if (why == GZ_SEARCH_SHARE) {
        gz_respond_error(req, resp, 429,
                         "You have several searches waiting already: try "
                         "again in a moment.");
        resp->retry_after = 1;
    } else if (why == GZ_SEARCH_BUSY) {
        gz_respond_error(req, resp, 503,
                         "Many searches are running right now: try again "
                         "in a moment.");
        resp->retry_after = 1;
    } else {
        gz_respond_error(req, resp, 503,
                         "This search matches too much to rank: add words "
                         "to it.");
    }
    return 0;
}

int gz_page_site_search(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_app *app = gz_req_app(req);
    int bad = 0;
    const char *q = gz_req_query(req, "q", &bad);
    long long page;
    if (bad) {
        gz_respond_error(req, resp, 400,
                         "The search words must be text (valid UTF-8).");
        return 0;
    }
    if (q && gz_utf8_len(q, strlen(q)) > SEARCH_MAX_CHARS) {
        gz_respond_error(req, resp, 400,
                         "The search is too long: 200 characters at most.");
        return 0;
    }
    if (page_param(req, resp, &page))
        return 0;
    /* The search first: a refused one is answered before any page work. */
    struct gz_found found = {0, 0};
    int why = 0;
    json_t *rows =
        q && *q ? gz_store_search_bounded(gz_req_db(req), q, page,
                                          app->cfg.page_size,
                                          gz_req_client(req), &found, &why)
                : json_array();
    long long total = found.total;
    if (!rows && why)
        return search_refused(req, resp, why);
    if (rows && page > 1 && json_array_size(rows) == 0) {
        /* a page past the last one is a 404, as for every list */
        json_decref(rows);
        return 404;
    }
    json_t *results = rows ? gz_site_stories(rows) : NULL;
    json_decref(rows);
    if (!results)
        return 500;
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    json_t *model = json_object();
    gz_site_page_common(req, model, settings, "Search", NULL, "website",
                        "search");
    json_object_set_new(json_object_get(model, "page"), "noindex", json_true());
    json_object_set_new(model, "search",
                        json_pack("{s:s, s:I, s:b, s:o}", "query",
                                  q ? q : "", "total", (json_int_t)total,
                                  "newest_first", found.newest_first,
                                  "results", results));
    struct gz_buf extra;
    gz_buf_init(&extra);
    gz_buf_puts(&extra, "q=");
    gz_url_encode(&extra, q ? q : "", q ? strlen(q) : 0);
    json_object_set_new(model, "pagination",
                        pagination(page, total, app->cfg.page_size, "/search",
                                   gz_buf_cstr(&extra)));
    gz_buf_free(&extra);
    int rc = respond(req, resp, "search", model);
    json_decref(model);
    json_decref(settings);
    return rc;
}

/* ---- feeds, sitemap, robots -------------------------------------------- */

/* The site's feed, a tag's (tag) or an author's (author: the page-cache
 * key author-SLUG, which their stories and profile bump). */
static int feed(struct gz_req *req, struct gz_resp *resp, const char *tag,
                const char *author)
{
    gz_resp_dep(resp, "feeds"); /* sql/0005_page_changes.sql */
    struct gz_db *db = gz_req_db(req);
    json_t *settings = gz_store_settings_load(db);
    json_t *tagobj = NULL;
    if (author) {
        int err = 0;
        json_t *row;
        if (!gz_slug_valid(author) ||
            !(row = gz_store_author_load(db, author, &err))) {
            json_decref(settings);
            return err == GZ_ENOTFOUND || !gz_slug_valid(author) ? 404 : 500;
        }
        tagobj = gz_site_author(row);
        json_decref(row);
        /* The feed's description: the author's bio. */
        json_object_set(tagobj, "description", json_object_get(tagobj, "bio"));
        gz_resp_dep(resp, "author-%s", author);
    }
    if (tag) {
        int err = 0;
        json_t *row;
        if (!gz_slug_valid(tag) || !(row = gz_store_tag_load(db, tag, &err))) {
            json_decref(settings);
            return 404;
        }
        tagobj = gz_site_tag(row);
        json_decref(row);
    }
    struct gz_list_query q = {tag, author, 0, 1, 20, 1};
    json_t *rows = gz_store_articles_list(db, &q, NULL);
    json_t *list = rows ? gz_site_stories(rows) : NULL;
    json_decref(rows);
    if (!list) {
        json_decref(settings);
        json_decref(tagobj);
        return 500;
    }
    json_t *items = json_array();
    size_t i;
    json_t *a;
    long long newest = 0;
    json_array_foreach(list, i, a)
    {
        char date[40];
        long long t = gz_time_parse_rfc3339(
            json_string_value(json_object_get(a, "published_at")));
        if (t > newest)
            newest = t;
        gz_time_http(t, date);
        json_t *cats = json_array();
        size_t k;
        json_t *tg;
        json_array_foreach(json_object_get(a, "tags"), k, tg)
        json_array_append(cats, json_object_get(tg, "name"));
        json_t *item = json_pack(
            "{s:O, s:s, s:O, s:O, s:o, s:O}", "title",
            json_object_get(a, "title"), "pub_date", date, "author_name",
            json_object_get(json_object_get(a, "author"), "name"),
            "description", json_object_get(a, "excerpt"), "categories", cats,
            "content_html", json_object_get(a, "body_html"));
        set_abs(item, "link", req, settings,
                json_string_value(json_object_get(a, "url")));
        json_object_set(item, "guid", json_object_get(item, "link"));
        json_array_append_new(items, item);
    }
    json_decref(list);
    char build[40];
    gz_time_http(newest ? newest : gz_now(), build);
    const char *site_title =
        json_string_value(json_object_get(settings, "title"));
    char title[1400];
    if (tagobj)
        snprintf(title, sizeof title, "%s – %s", site_title,
                 json_string_value(json_object_get(tagobj, "name")));
    else
        snprintf(title, sizeof title, "%s", site_title);
    json_t *feedobj = json_pack(
        "{s:s, s:O, s:s}", "title", title, "description",
        tagobj ? json_object_get(tagobj, "description")
               : json_object_get(settings, "description"),
        "build_date", build);
    set_abs(feedobj, "link", req, settings,
            tagobj ? json_string_value(json_object_get(tagobj, "url")) : "/");
    set_abs(feedobj, "self_url", req, settings, gz_req_path(req));
    json_t *model = json_pack("{s:o, s:o}", "feed", feedobj, "items", items);
    gz_site_page_common(req, model, settings, NULL, NULL, "website", "feed");
    int rc = gz_resp_page(req, resp, "rss", model);
    resp->content_type = "application/rss+xml; charset=utf-8";
    json_decref(model);
    json_decref(settings);
    json_decref(tagobj);
    return rc;
}

int gz_page_site_feed(struct gz_req *req, struct gz_resp *resp)
{
    return feed(req, resp, NULL, NULL);
}

int gz_page_site_tag_feed(struct gz_req *req, struct gz_resp *resp)
{
    return feed(req, resp, gz_req_param(req, 0), NULL);
}

int gz_page_site_author_feed(struct gz_req *req, struct gz_resp *resp)
{
    return feed(req, resp, NULL, gz_req_param(req, 0));
}

int gz_page_site_sitemap(struct gz_req *req, struct gz_resp *resp)
{
    gz_resp_dep(resp, "feeds"); /* sql/0005_page_changes.sql */
    struct gz_db *db = gz_req_db(req);
    json_t *settings = gz_store_settings_load(db);
    json_t *map = gz_store_sitemap(db);
    json_t *urls = json_array();
    json_t *home = json_object();
    set_abs(home, "loc", req, settings, "/");
    json_array_append_new(urls, home);
    static const char *const lists[] = {"articles", "tags", "authors"};
    for (int l = 0; l < 3; l++) {
        size_t i;
        json_t *u;
        json_array_foreach(json_object_get(map, lists[l]), i, u)
        {
            json_t *entry = json_pack("{s:O}", "lastmod",
                                      json_object_get(u, "lastmod"));
            set_abs(entry, "loc", req, settings,
                    json_string_value(json_object_get(u, "loc")));
            json_array_append_new(urls, entry);
        }
    }
    json_decref(map);
    json_t *model = json_pack("{s:o}", "urls", urls);
    int rc = gz_resp_page(req, resp, "sitemap", model);
    resp->content_type = "application/xml; charset=utf-8";
    json_decref(model);
    json_decref(settings);
    return rc;
}

int gz_page_site_robots(struct gz_req *req, struct gz_resp *resp)
{
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    struct gz_buf b;
    gz_buf_init(&b);
    gz_buf_printf(&b,
                  "User-agent: *\nDisallow: /admin/\nDisallow: /api/\n"
                  "Disallow: /search\n\nSitemap: %s/sitemap.xml\n",
                  site_base(req, settings));
    json_decref(settings);
    size_t len;
    char *body = gz_buf_steal(&b, &len);
    gz_resp_take(resp, 200, "text/plain; charset=utf-8", body, len);
    return 0;
}

int gz_page_site_healthz(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_db *db = gz_req_db(req);
    int ok = db && gz_db_ping(db);
    char *body = strdup(ok ? "ok\n" : "database unavailable\n");
    gz_resp_take(resp, ok ? 200 : 503, "text/plain; charset=utf-8", body,
                 body ? strlen(body) : 0);
    return 0;
}

int gz_page_site_metrics(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_buf b;
    gz_buf_init(&b);
    gz_metrics_render(&b);
    size_t len;
    char *body = gz_buf_steal(&b, &len);
    gz_resp_take(resp, 200, "text/plain; version=0.0.4; charset=utf-8", body,
                 len);
    return 0;
}

int gz_page_site_static(struct gz_req *req, struct gz_resp *resp)
{
    return gz_static_serve(gz_req_app(req)->statics, gz_req_path(req), resp);
}

int gz_page_site_favicon(struct gz_req *req, struct gz_resp *resp)
{
    int rc = gz_static_serve(gz_req_app(req)->statics,
                             "/static/img/favicon.svg", resp);
    if (rc == 0)
        resp->cache = GZ_CACHE_REVALIDATE;
    return rc;
}

int gz_site_message(struct gz_req *req, struct gz_resp *resp, int status,
                    const char *title, const char *body,
                    const char *back_url, const char *back_label)
{
    json_t *settings = gz_store_settings_load(gz_req_db(req));
    json_t *model = json_object();
    gz_site_page_common(req, model, settings, title, body, "website",
                        "message");
    json_object_set_new(json_object_get(model, "page"), "noindex",
                        json_true());
    json_object_set_new(model, "message",
                        json_pack("{s:s, s:s, s:s, s:s}", "title", title,
                                  "body", body, "back_url",
                                  back_url ? back_url : "/", "back_label",
                                  back_label ? back_label : "Back to the "
                                                            "front page"));
    int rc = respond(req, resp, "message", model);
    resp->status = status;
    json_decref(model);
    json_decref(settings);
    return rc;
}
