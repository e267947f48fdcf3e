/*
 * import.c - `gazette import` / `init --demo` and `gazette export`: all
 * content as one JSON document ({settings, authors, tags, articles}).
 *
 * Import runs in one transaction: a bad item anywhere leaves the database
 * as it was, and the error names the item. Stories, tags and authors are
 * matched by slug and updated; comments are added only to stories the
 * import creates, so importing the same file twice does not double them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/markdown.h"
#include "internal.h"

#define FAIL(...)                                                          \
    do {                                                                   \
        snprintf(err, errlen, __VA_ARGS__);                                \
        rc = GZ_EINVAL;                                                    \
        goto out;                                                          \
    } while (0)

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

static int text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n <= max && gz_utf8_valid_text(s, n);
}

static long long time_or(json_t *o, const char *key, long long dflt)
{
    const char *s = str_or(o, key, NULL);
    return s ? gz_time_parse_rfc3339(s) : dflt;
}

static int import_settings(struct gz_db *db, json_t *settings, char *err,
                           size_t errlen)
{
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(settings, key, v)
    {
        if (!json_is_string(v) || !text_ok(json_string_value(v), 2000))
            FAIL("settings.%s: expected a string of at most 2000 characters",
                 key);
        if (strcmp(key, "base_url") == 0 && *json_string_value(v) &&
            !gz_url_is_origin(json_string_value(v)))
            FAIL("settings.base_url: expected http(s)://host[:port] with no "
                 "path or trailing slash");
        sqlite3_stmt *st = gz_db_stmt(
            db, GZ_SQL("INSERT INTO settings (key, value) VALUES (?1, ?2)"
                       " ON CONFLICT(key) DO UPDATE SET value = ?2"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 1, key);
        gz_bind_text(st, 2, json_string_value(v));
        if ((rc = gz_db_exec_stmt(db, st)) != 0)
            goto out;
    }
out:
    return rc;
}

static int import_author(struct gz_db *db, json_t *a, size_t i, char *err,
                         size_t errlen)
{
    int rc = 0;
    const char *name = str_or(a, "name", ""), *slug = str_or(a, "slug", "");
    const char *email = str_or(a, "email", ""), *bio = str_or(a, "bio", "");
    const char *role = str_or(a, "role", "author");
    if (!*name || !text_ok(name, 80))
        FAIL("authors[%zu].name: required, at most 80 characters", i);
    if (!gz_slug_valid(slug))
        FAIL("authors[%zu].slug: expected lowercase letters, digits and '-'",
             i);
    if (!*email || !strchr(email, '@') || !text_ok(email, 254))
        FAIL("authors[%zu].email: a valid address is required", i);
    if (!text_ok(bio, 2000))
        FAIL("authors[%zu].bio: at most 2000 characters", i);
    if (strcmp(role, "admin") && strcmp(role, "editor") &&
        strcmp(role, "author"))
        FAIL("authors[%zu].role: expected admin, editor or author", i);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO users (email, name, slug, bio, role,"
                   " created_at) VALUES (?1, ?2, ?3, ?4, ?5, unixepoch())"
                   " ON CONFLICT(slug) DO UPDATE SET name = ?2, bio = ?4"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, email);
    gz_bind_text(st, 2, name);
    gz_bind_text(st, 3, slug);
    gz_bind_text(st, 4, bio);
    gz_bind_text(st, 5, role);
    if (gz_db_exec_stmt(db, st) != 0)
        FAIL("authors[%zu]: email %s already belongs to another author", i,
             email);
out:
    return rc;
}

static int import_tag(struct gz_db *db, json_t *t, size_t i, char *err,
                      size_t errlen)
{
    int rc = 0;
    const char *name = str_or(t, "name", ""), *slug = str_or(t, "slug", "");
    const char *desc = str_or(t, "description", "");
    if (!*name || !text_ok(name, 60))
        FAIL("tags[%zu].name: required, at most 60 characters", i);
    if (!gz_slug_valid(slug))
        FAIL("tags[%zu].slug: expected lowercase letters, digits and '-'", i);
    if (!text_ok(desc, 500))
        FAIL("tags[%zu].description: at most 500 characters", i);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO tags (slug, name, description, created_at)"
                   " VALUES (?1, ?2, ?3, unixepoch()) ON CONFLICT(slug)"
                   " DO UPDATE SET name = ?2, description = ?3"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, slug);
    gz_bind_text(st, 2, name);
    gz_bind_text(st, 3, desc);
    rc = gz_db_exec_stmt(db, st);
out:
    return rc;
}

static long long id_by_slug(struct gz_db *db, sqlite3_stmt *st,
                            const char *slug)
{
    if (!st)
        return -1;
    gz_bind_text(st, 1, slug);
    long long id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0)
                                                  : 0;
    sqlite3_reset(st);
    return id;
}

static int import_comment(struct gz_db *db, long long article_id,
                          long long parent_id, json_t *c, const char *where,
                          char *err, size_t errlen)
{
    int rc = 0;
    const char *name = str_or(c, "name", ""), *body = str_or(c, "body", "");
    const char *email = str_or(c, "email", NULL);
    const char *status = str_or(c, "status", "approved");
    long long at = time_or(c, "created_at", gz_now());
    if (!*name || !text_ok(name, 80) || gz_utf8_len(name, strlen(name)) > 80)
        FAIL("%s.name: required, at most 80 characters", where);
    if (!*body || !text_ok(body, 20000) ||
        gz_utf8_len(body, strlen(body)) > 5000)
        FAIL("%s.body: required, at most 5000 characters", where);
    if (email && (!strchr(email, '@') || !text_ok(email, 254)))
        FAIL("%s.email: not a valid address", where);
    if (strcmp(status, "approved") && strcmp(status, "pending") &&
        strcmp(status, "spam"))
        FAIL("%s.status: expected approved, pending or spam", where);
    if (at < 0)
        FAIL("%s.created_at: expected an RFC 3339 time", where);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO comments (article_id, parent_id, name, email,"
                   " body, status, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, article_id);
    if (parent_id)
        sqlite3_bind_int64(st, 2, parent_id);
    gz_bind_text(st, 3, name);
    gz_bind_text(st, 4, email);
    gz_bind_text(st, 5, body);
    gz_bind_text(st, 6, status);
    sqlite3_bind_int64(st, 7, at);
    if ((rc = gz_db_exec_stmt(db, st)) != 0)
        goto out;
    long long id = sqlite3_last_insert_rowid(db->h);
    json_t *replies = json_object_get(c, "replies");
    size_t i;
    json_t *r;
    json_array_foreach(replies, i, r)
    {
        if (parent_id)
            FAIL("%s.replies: replies cannot have replies", where);
        char sub[160];
        snprintf(sub, sizeof sub, "%s.replies[%zu]", where, i);
        if ((rc = import_comment(db, article_id, id, r, sub, err, errlen)))
            goto out;
    }
out:
    return rc;
}

static int import_article(struct gz_db *db, json_t *a, size_t i, char *err,
                          size_t errlen)
{
    int rc = 0;
    struct gz_md md = {0};
    const char *slug = str_or(a, "slug", ""), *title = str_or(a, "title", "");
    const char *excerpt = str_or(a, "excerpt", "");
    const char *markdown = str_or(a, "markdown", "");
    const char *status = str_or(a, "status", "draft");
    const char *author = str_or(a, "author", "");
    long long published = time_or(a, "published_at", 0);
    json_t *img = json_object_get(a, "feature_image");
    json_t *open = json_object_get(a, "comments_open");

    if (!gz_slug_valid(slug))
        FAIL("articles[%zu].slug: expected lowercase letters, digits and '-'",
             i);
    if (!*title || !text_ok(title, 300))
        FAIL("articles[%zu].title: required, at most 300 characters", i);
    if (!text_ok(excerpt, 1000))
        FAIL("articles[%zu].excerpt: at most 1000 characters", i);
    if (!text_ok(markdown, 1 << 20))
        FAIL("articles[%zu].markdown: at most 1 MiB of text", i);
    if (strcmp(status, "draft") && strcmp(status, "scheduled") &&
        strcmp(status, "published"))
        FAIL("articles[%zu].status: expected draft, scheduled or published",
             i);
    if (published < 0 || (strcmp(status, "draft") && published == 0))
        FAIL("articles[%zu].published_at: an RFC 3339 time is required", i);
    const char *img_url = img ? str_or(img, "url", NULL) : NULL;
    if (img && !json_is_null(img) && (!img_url || !gz_url_is_safe(img_url)))
        FAIL("articles[%zu].feature_image.url: expected a / or http(s) URL",
             i);
    long long author_id = id_by_slug(
        db, gz_db_stmt(db, GZ_SQL("SELECT id FROM users WHERE slug = ?1")),
        author);
    if (author_id <= 0)
        FAIL("articles[%zu].author: no author with slug \"%.80s\"", i, author);
    if (gz_md_render(markdown, strlen(markdown), &md) != 0)
        return GZ_ENOMEM;

    long long existing = id_by_slug(
        db, gz_db_stmt(db, GZ_SQL("SELECT id FROM articles WHERE slug = ?1")),
        slug);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO articles (slug, title, excerpt, markdown,"
                   " html, plain, reading_time, status, author_id, image_url,"
                   " image_alt, image_caption, image_width, image_height,"
                   " comments_open, notified, created_at, updated_at,"
                   " published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                   " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?17, ?18)"
                   " ON CONFLICT(slug) DO UPDATE SET title = ?2,"
                   " excerpt = ?3, markdown = ?4, html = ?5, plain = ?6,"
                   " reading_time = ?7, status = ?8, author_id = ?9,"
                   " image_url = ?10, image_alt = ?11, image_caption = ?12,"
                   " image_width = ?13, image_height = ?14,"
                   " comments_open = ?15, updated_at = unixepoch(),"
                   " published_at = ?18"));
    if (!st) {
        rc = GZ_EDB;
        goto out;
    }
    long long now = gz_now();
    gz_bind_text(st, 1, slug);
    gz_bind_text(st, 2, title);
    gz_bind_text(st, 3, excerpt);
    gz_bind_text(st, 4, markdown);
    gz_bind_text(st, 5, md.html);
    gz_bind_text(st, 6, md.plain);
    sqlite3_bind_int(st, 7, md.reading_time);
    gz_bind_text(st, 8, status);
    sqlite3_bind_int64(st, 9, author_id);
    gz_bind_text(st, 10, img_url);
    gz_bind_text(st, 11, img ? str_or(img, "alt", "") : "");
    gz_bind_text(st, 12, img ? str_or(img, "caption", "") : "");
    json_t *w = img ? json_object_get(img, "width") : NULL;
    json_t *h = img ? json_object_get(img, "height") : NULL;
    if (json_is_integer(w) && json_is_integer(h)) {
        sqlite3_bind_int64(st, 13, json_integer_value(w));
        sqlite3_bind_int64(st, 14, json_integer_value(h));
    }
    sqlite3_bind_int(st, 15, open ? json_is_true(open) : 1);
    /* Imported published stories count as already announced: importing
     * must not mail every subscriber about old news. */
    sqlite3_bind_int(st, 16, 1);
    sqlite3_bind_int64(st, 17, published && published < now ? published : now);
    if (published)
        sqlite3_bind_int64(st, 18, published);
    if ((rc = gz_db_exec_stmt(db, st)) != 0) {
        snprintf(err, errlen, "articles[%zu]: could not be saved", i);
        goto out;
    }
    long long article_id = id_by_slug(
        db, gz_db_stmt(db, GZ_SQL("SELECT id FROM articles WHERE slug = ?1")),
        slug);

    st = gz_db_stmt(db,
                    GZ_SQL("DELETE FROM article_tags WHERE article_id = ?1"));
    if (!st) {
        rc = GZ_EDB;
        goto out;
    }
    sqlite3_bind_int64(st, 1, article_id);
    if ((rc = gz_db_exec_stmt(db, st)) != 0)
        goto out;
    size_t k;
    json_t *t;
    json_array_foreach(json_object_get(a, "tags"), k, t)
    {
        const char *ts = json_is_string(t) ? json_string_value(t) : "";
        long long tag_id = id_by_slug(
            db, gz_db_stmt(db, GZ_SQL("SELECT id FROM tags WHERE slug = ?1")),
            ts);
        if (tag_id <= 0)
            FAIL("articles[%zu].tags[%zu]: no tag with slug \"%.80s\"", i, k,
                 ts);
        st = gz_db_stmt(db, GZ_SQL("INSERT OR IGNORE INTO article_tags"
                                   " (article_id, tag_id, position)"
                                   " VALUES (?1, ?2, ?3)"));
        if (!st) {
            rc = GZ_EDB;
            goto out;
        }
        sqlite3_bind_int64(st, 1, article_id);
        sqlite3_bind_int64(st, 2, tag_id);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)k);
        if ((rc = gz_db_exec_stmt(db, st)) != 0)
            goto out;
    }
    if (existing == 0) {
        json_t *c;
        json_array_foreach(json_object_get(a, "comments"), k, c)
        {
            char where[64];
            snprintf(where, sizeof where, "articles[%zu].comments[%zu]", i, k);
            if ((rc = import_comment(db, article_id, 0, c, where, err,
                                     errlen)))
                goto out;
        }
    }
out:
    gz_md_free(&md);
    return rc;
}

int gz_store_import(struct gz_db *db, json_t *doc, char *err, size_t errlen)
{
    int rc = 0;
    err[0] = '\0';
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "expected a JSON object at the top");
        return GZ_EINVAL;
    }
    static const char *const lists[] = {"authors", "tags", "articles"};
    for (int l = 0; l < 3; l++) {
        json_t *v = json_object_get(doc, lists[l]);
        if (v && !json_is_array(v)) {
            snprintf(err, errlen, "%s: expected an array", lists[l]);
            return GZ_EINVAL;
        }
    }
    json_t *settings = json_object_get(doc, "settings");
    if (settings && !json_is_object(settings)) {
        snprintf(err, errlen, "settings: expected an object");
        return GZ_EINVAL;
    }
    if (gz_db_tx_begin(db) != 0) {
        snprintf(err, errlen, "the database is busy or read-only");
        return GZ_EDB;
    }
    size_t i;
    json_t *item;
    if (settings && (rc = import_settings(db, settings, err, errlen)))
        goto out;
    json_array_foreach(json_object_get(doc, "authors"), i, item)
    if ((rc = import_author(db, item, i, err, errlen)))
        goto out;
    json_array_foreach(json_object_get(doc, "tags"), i, item)
    if ((rc = import_tag(db, item, i, err, errlen)))
        goto out;
    json_array_foreach(json_object_get(doc, "articles"), i, item)
    if ((rc = import_article(db, item, i, err, errlen)))
        goto out;
    rc = gz_db_tx_commit(db);
out:
    if (rc != 0) {
        gz_db_tx_rollback(db);
        if (!err[0])
            snprintf(err, errlen, "database error");
    }
    return rc;
}

json_t *gz_store_export(struct gz_db *db)
{
    json_t *doc = json_pack("{s:o, s:[], s:[], s:[]}", "settings",
                            json_object(), "authors", "tags", "articles");
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT key, value FROM settings ORDER BY key"));
    while (st && sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(json_object_get(doc, "settings"),
                            gz_col_text(st, 0), gz_col_json_str(st, 1));
    st = gz_db_stmt(db, GZ_SQL("SELECT name, slug, email, bio, role FROM users"
                               " ORDER BY id"));
    while (st && sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(
            json_object_get(doc, "authors"),
            json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", gz_col_text(st, 0),
                      "slug", gz_col_text(st, 1), "email", gz_col_text(st, 2),
                      "bio", gz_col_text(st, 3), "role", gz_col_text(st, 4)));
    st = gz_db_stmt(db, GZ_SQL("SELECT name, slug, description FROM tags"
                               " ORDER BY id"));
    while (st && sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(
            json_object_get(doc, "tags"),
            json_pack("{s:s, s:s, s:s}", "name", gz_col_text(st, 0), "slug",
                      gz_col_text(st, 1), "description", gz_col_text(st, 2)));
    st = gz_db_stmt(
        db, GZ_SQL("SELECT a.id, a.slug, a.title, a.excerpt, a.markdown,"
                   " a.status, u.slug, a.published_at, a.image_url,"
                   " a.image_alt, a.image_caption, a.image_width,"
                   " a.image_height, a.comments_open,"
                   " (SELECT json_group_array(slug) FROM (SELECT t.slug FROM"
                   "  article_tags x JOIN tags t ON t.id = x.tag_id"
                   "  WHERE x.article_id = a.id ORDER BY x.position))"
                   " FROM articles a JOIN users u ON u.id = a.author_id"
                   " ORDER BY a.id"));
    json_t *articles = json_object_get(doc, "articles");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        json_t *a = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "slug",
            gz_col_text(st, 1), "title", gz_col_text(st, 2), "excerpt",
            gz_col_text(st, 3), "markdown", gz_col_text(st, 4), "status",
            gz_col_text(st, 5), "author", gz_col_text(st, 6), "comments_open",
            sqlite3_column_int(st, 13), "tags",
            json_loads(gz_col_text(st, 14), 0, NULL));
        json_object_set_new(a, "id", json_integer(sqlite3_column_int64(st, 0)));
        if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
            char iso[32];
            gz_time_rfc3339(sqlite3_column_int64(st, 7), iso);
            json_object_set_new(a, "published_at", json_string(iso));
        }
        if (sqlite3_column_type(st, 8) != SQLITE_NULL)
            json_object_set_new(
                a, "feature_image",
                json_pack("{s:s, s:s, s:s, s:I, s:I}", "url",
                          gz_col_text(st, 8), "alt", gz_col_text(st, 9),
                          "caption", gz_col_text(st, 10), "width",
                          (json_int_t)sqlite3_column_int64(st, 11), "height",
                          (json_int_t)sqlite3_column_int64(st, 12)));
        json_array_append_new(articles, a);
    }
    /* Comments, with replies under their parents. */
    size_t i;
    json_t *a;
    json_array_foreach(articles, i, a)
    {
        json_t *top = json_array(), *by_id = json_object();
        st = gz_db_stmt(db, GZ_SQL("SELECT id, parent_id, name, email, body,"
                                   " status, created_at FROM comments"
                                   " WHERE article_id = ?1 ORDER BY id"));
        if (!st)
            break;
        sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(a, "id")));
        while (sqlite3_step(st) == SQLITE_ROW) {
            char iso[32], key[24];
            gz_time_rfc3339(sqlite3_column_int64(st, 6), iso);
            json_t *c = json_pack("{s:s, s:o, s:s, s:s, s:s}", "name",
                                  gz_col_text(st, 2), "email",
                                  gz_col_json_str(st, 3), "body",
                                  gz_col_text(st, 4), "status",
                                  gz_col_text(st, 5), "created_at", iso);
            json_t *parent = NULL;
            if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
                snprintf(key, sizeof key, "%lld", sqlite3_column_int64(st, 1));
                parent = json_object_get(by_id, key);
            }
            if (json_is_null(json_object_get(c, "email")))
                json_object_del(c, "email");
            if (parent) {
                json_array_append_new(json_object_get(parent, "replies"), c);
            } else {
                json_object_set_new(c, "replies", json_array());
                snprintf(key, sizeof key, "%lld", sqlite3_column_int64(st, 0));
                json_object_set(by_id, key, c);
                json_array_append_new(top, c);
            }
        }
        sqlite3_reset(st);
        json_decref(by_id);
        json_object_set_new(a, "comments", top);
        json_object_del(a, "id");
    }
    return doc;
}
