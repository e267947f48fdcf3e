/*
 * resource.c - the resource builders: store rows (gazette/store.h, the
 * *_rows functions) into the public JSON objects of docs/API.md. This is
 * the one place each public object is shaped: /api/v1 returns them as
 * they are and pages wrap them (site/, admin/).
 *
 * Rules kept here: times are RFC 3339 UTC strings or null; URLs are
 * absolute (base + path), except that an image URL already absolute
 * stays as it is; nothing private (emails of authors, password state)
 * leaves except where a builder's flag says the caller may see it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/markdown.h"
#include "gazette/view.h"

#define EXCERPT_CHARS 300

static const char *str(json_t *row, const char *key)
{
    const char *s = json_string_value(json_object_get(row, key));
    return s ? s : "";
}

static json_int_t num(json_t *row, const char *key)
{
    return json_integer_value(json_object_get(row, key));
}

/* A unix time column as RFC 3339, or null when absent or 0. */
static json_t *time_of(json_t *row, const char *key)
{
    json_t *v = json_object_get(row, key);
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return json_null();
    char iso[32];
    gz_time_rfc3339(json_integer_value(v), iso);
    return json_string(iso);
}

static json_t *abs_url(const char *base, const char *path)
{
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0)
        return json_string(path);
    struct gz_buf b;
    gz_buf_init(&b);
    gz_buf_puts(&b, base);
    gz_buf_puts(&b, path);
    json_t *s = json_string(gz_buf_cstr(&b));
    gz_buf_free(&b);
    return s ? s : json_string("");
}

static json_t *url_of(const char *base, const char *kind, const char *slug,
                      const char *tail)
{
    struct gz_buf b;
    gz_buf_init(&b);
    gz_buf_printf(&b, "/%s/%s%s", kind, slug, tail);
    json_t *u = abs_url(base, gz_buf_cstr(&b));
    gz_buf_free(&b);
    return u;
}

/* A positive integer column, or null. */
static json_t *size_of(json_t *row, const char *key)
{
    json_int_t v = num(row, key);
    return v > 0 ? json_integer(v) : json_null();
}

json_t *gz_res_story(json_t *row, unsigned include, const char *base)
{
    json_t *s = json_object();
    const char *slug = str(row, "slug");
    json_object_set_new(s, "id", json_integer(num(row, "id")));
    json_object_set_new(s, "slug", json_string(slug));
    json_object_set_new(s, "title", json_string(str(row, "title")));
    json_object_set_new(s, "url", url_of(base, "articles", slug, ""));
    json_object_set_new(s, "status", json_string(str(row, "status")));
    const char *custom = str(row, "custom_excerpt");
    char *cut = gz_text_excerpt(str(row, "excerpt_source"), EXCERPT_CHARS);
    json_object_set_new(s, "excerpt",
                        json_string(*custom ? custom
                                    : cut   ? cut
                                            : ""));
    free(cut);
    json_object_set_new(s, "custom_excerpt",
                        *custom ? json_string(custom) : json_null());
    const char *img = str(row, "image_url");
    if (*img && gz_url_is_safe(img)) {
        json_t *fi = json_object();
        json_object_set_new(fi, "url", abs_url(base, img));
        json_object_set_new(fi, "alt", json_string(str(row, "image_alt")));
        json_object_set_new(fi, "caption",
                            json_string(str(row, "image_caption")));
        int sized = num(row, "image_width") > 0 && num(row, "image_height") > 0;
        json_object_set_new(fi, "width",
                            sized ? size_of(row, "image_width") : json_null());
        json_object_set_new(fi, "height",
                            sized ? size_of(row, "image_height") : json_null());
        json_object_set_new(s, "feature_image", fi);
    } else {
        json_object_set_new(s, "feature_image", json_null());
    }
    json_object_set_new(s, "published_at", time_of(row, "published_at"));
    json_object_set_new(s, "updated_at", time_of(row, "updated_at"));
    json_object_set_new(s, "created_at", time_of(row, "created_at"));
    json_object_set_new(s, "reading_time",
                        json_integer(num(row, "reading_time")));
    json_object_set_new(s, "comments_open",
                        json_boolean(num(row, "comments_open")));
    if (include & GZ_INC_AUTHORS) {
        const char *aslug = str(row, "author_slug");
        json_t *a = json_object();
        json_object_set_new(a, "id", json_integer(num(row, "author_id")));
        json_object_set_new(a, "slug", json_string(aslug));
        json_object_set_new(a, "name", json_string(str(row, "author_name")));
        json_object_set_new(a, "url", url_of(base, "authors", aslug, ""));
        json_object_set(s, "primary_author", a);
        json_object_set_new(s, "authors", json_pack("[o]", a));
    }
    if (include & GZ_INC_TAGS) {
        json_t *tags = json_array();
        size_t i;
        json_t *t;
        json_array_foreach(json_object_get(row, "tags"), i, t)
        {
            const char *tslug = str(t, "slug");
            json_t *o = json_object();
            json_object_set_new(o, "id", json_integer(num(t, "id")));
            json_object_set_new(o, "slug", json_string(tslug));
            json_object_set_new(o, "name", json_string(str(t, "name")));
            json_object_set_new(o, "url", url_of(base, "tags", tslug, ""));
            json_array_append_new(tags, o);
        }
        json_t *first = json_array_get(tags, 0);
        json_object_set(s, "primary_tag", first ? first : json_null());
        json_object_set_new(s, "tags", tags);
    }
    if (include & GZ_INC_COMMENT_COUNT)
        json_object_set_new(s, "comment_count",
                            json_integer(num(row, "comment_count")));
    if (include & GZ_INC_HTML)
        json_object_set_new(s, "html", json_string(str(row, "html")));
    if (include & GZ_INC_MARKDOWN)
        json_object_set_new(s, "markdown", json_string(str(row, "markdown")));
    json_t *snip = json_object_get(row, "snippet_html");
    if (json_is_string(snip))
        json_object_set(s, "snippet_html", snip);
    return s;
}

json_t *gz_res_tag(json_t *row, const char *base)
{
    const char *slug = str(row, "slug");
    json_t *t = json_object();
    json_object_set_new(t, "id", json_integer(num(row, "id")));
    json_object_set_new(t, "slug", json_string(slug));
    json_object_set_new(t, "name", json_string(str(row, "name")));
    json_object_set_new(t, "description", json_string(str(row, "description")));
    json_object_set_new(t, "url", url_of(base, "tags", slug, ""));
    json_object_set_new(t, "feed_url", url_of(base, "tags", slug, "/feed.xml"));
    json_object_set_new(t, "article_count",
                        json_integer(num(row, "article_count")));
    return t;
}

json_t *gz_res_author(json_t *row, const char *base)
{
    const char *slug = str(row, "slug");
    json_t *a = json_object();
    json_object_set_new(a, "id", json_integer(num(row, "id")));
    json_object_set_new(a, "slug", json_string(slug));
    json_object_set_new(a, "name", json_string(str(row, "name")));
    json_object_set_new(a, "bio", json_string(str(row, "bio")));
    json_object_set_new(a, "url", url_of(base, "authors", slug, ""));
    json_object_set_new(a, "article_count",
                        json_integer(num(row, "article_count")));
    return a;
}

json_t *gz_res_comment(json_t *row, int moderation)
{
    json_t *c = json_object();
    json_object_set_new(c, "id", json_integer(num(row, "id")));
    json_object_set_new(c, "article_id", json_integer(num(row, "article_id")));
    json_t *parent = json_object_get(row, "parent_id");
    json_object_set_new(c, "parent_id",
                        json_is_integer(parent)
                            ? json_integer(json_integer_value(parent))
                            : json_null());
    json_object_set_new(c, "name", json_string(str(row, "name")));
    json_object_set_new(c, "body", json_string(str(row, "body")));
    char *html = gz_comment_html(str(row, "body"));
    json_object_set_new(c, "html", json_string(html ? html : ""));
    free(html);
    json_object_set_new(c, "created_at", time_of(row, "created_at"));
    if (moderation) {
        json_object_set_new(c, "status", json_string(str(row, "status")));
        json_t *email = json_object_get(row, "email");
        json_object_set_new(c, "email",
                            json_is_string(email)
                                ? json_string(json_string_value(email))
                                : json_null());
    }
    return c;
}

json_t *gz_res_subscriber(json_t *row)
{
    json_t *s = json_object();
    json_object_set_new(s, "id", json_integer(num(row, "id")));
    json_object_set_new(s, "email", json_string(str(row, "email")));
    json_object_set_new(s, "name", json_string(str(row, "name")));
    json_object_set_new(s, "status", json_string(str(row, "status")));
    json_object_set_new(s, "created_at", time_of(row, "created_at"));
    json_object_set_new(s, "confirmed_at", time_of(row, "confirmed_at"));
    return s;
}

json_t *gz_res_media(json_t *row, const char *base)
{
    json_t *m = json_object();
    json_object_set_new(m, "id", json_integer(num(row, "id")));
    json_object_set_new(m, "url", abs_url(base, str(row, "path")));
    json_object_set_new(m, "mime", json_string(str(row, "mime")));
    json_object_set_new(m, "bytes", json_integer(num(row, "bytes")));
    json_object_set_new(m, "width", size_of(row, "width"));
    json_object_set_new(m, "height", size_of(row, "height"));
    json_object_set_new(m, "created_at", time_of(row, "created_at"));
    return m;
}

json_t *gz_res_pagination(long long page, int limit, long long total)
{
    long long pages = total == 0 ? 1 : (total + limit - 1) / limit;
    json_t *p = json_object();
    json_object_set_new(p, "page", json_integer(page));
    json_object_set_new(p, "limit", json_integer(limit));
    json_object_set_new(p, "pages", json_integer(pages));
    json_object_set_new(p, "total", json_integer(total));
    json_object_set_new(p, "next",
                        page < pages ? json_integer(page + 1) : json_null());
    json_object_set_new(p, "prev",
                        page > 1 ? json_integer(page - 1) : json_null());
    return p;
}
