/*
 * articles.c - the reading side of the store: story lists, one story with
 * its comments, tags, authors, search, sitemap, settings and the content
 * version. Every function returns owned jansson objects in the shape of
 * the view model (docs/THEME.md) and the JSON API.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/markdown.h"
#include "internal.h"

/* Columns of a story card; card_from_row reads them by these positions. */
#define CARD_COLS                                                          \
    "a.id, a.slug, a.title, a.excerpt, a.published_at, a.updated_at,"      \
    " a.reading_time, a.image_url, a.image_alt, a.image_caption,"          \
    " a.image_width, a.image_height, u.name, u.slug,"                      \
    " (SELECT count(*) FROM comments c WHERE c.article_id = a.id"          \
    "   AND c.status = 'approved'),"                                       \
    " (SELECT json_group_array(json_object('name', t.name, 'slug', t.slug))" \
    "   FROM (SELECT t.name, t.slug FROM article_tags x"                   \
    "         JOIN tags t ON t.id = x.tag_id WHERE x.article_id = a.id"    \
    "         ORDER BY x.position, t.name) t),"                            \
    " CASE WHEN a.excerpt != '' THEN a.excerpt"                            \
    "      ELSE substr(a.plain, 1, 600) END"
#define CARD_NCOLS 17

static void set_time(json_t *o, const char *key, const char *human_key,
                     long long t)
{
    char iso[32], human[40];
    gz_time_rfc3339(t, iso);
    gz_time_human(t, human);
    json_object_set_new(o, key, json_string(iso));
    if (human_key)
        json_object_set_new(o, human_key, json_string(human));
}

static json_t *link_obj(const char *kind, const char *name, const char *slug)
{
    char url[320];
    snprintf(url, sizeof url, "/%s/%s", kind, slug);
    return json_pack("{s:s, s:s, s:s}", "name", name, "slug", slug, "url",
                     url);
}

static json_t *person(const char *name, const char *slug)
{
    char initials[16];
    gz_initials(name, initials);
    json_t *p = link_obj("authors", name, slug);
    json_object_set_new(p, "initials", json_string(initials));
    return p;
}

static json_t *card_from_row(sqlite3_stmt *st)
{
    json_t *c = json_object();
    char url[320];
    const char *slug = gz_col_text(st, 1);
    snprintf(url, sizeof url, "/articles/%s", slug);
    json_object_set_new(c, "id", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(c, "slug", json_string(slug));
    json_object_set_new(c, "url", json_string(url));
    json_object_set_new(c, "title", gz_col_json_str(st, 2));
    json_object_set_new(c, "excerpt", gz_col_json_str(st, 3));
    char *cut = gz_text_excerpt(gz_col_text(st, 16), 300);
    json_object_set_new(c, "card_excerpt", json_string(cut ? cut : ""));
    free(cut);
    set_time(c, "published_at", "published_human",
             sqlite3_column_int64(st, 4));
    set_time(c, "updated_at", NULL, sqlite3_column_int64(st, 5));
    json_object_set_new(c, "reading_time",
                        json_integer(sqlite3_column_int(st, 6)));
    if (sqlite3_column_type(st, 7) != SQLITE_NULL &&
        gz_url_is_safe(gz_col_text(st, 7))) {
        /* Unknown sizes are null (no width/height attributes), never 0. */
        json_t *img =
            json_pack("{s:s, s:s, s:s}", "url", gz_col_text(st, 7), "alt",
                      gz_col_text(st, 8), "caption", gz_col_text(st, 9));
        int sized = sqlite3_column_int64(st, 10) > 0 &&
                    sqlite3_column_int64(st, 11) > 0;
        json_object_set_new(img, "width",
                            sized ? json_integer(sqlite3_column_int64(st, 10))
                                  : json_null());
        json_object_set_new(img, "height",
                            sized ? json_integer(sqlite3_column_int64(st, 11))
                                  : json_null());
        json_object_set_new(c, "feature_image", img);
    } else {
        json_object_set_new(c, "feature_image", json_null());
    }
    json_object_set_new(c, "author",
                        person(gz_col_text(st, 12), gz_col_text(st, 13)));
    json_object_set_new(c, "comment_count",
                        json_integer(sqlite3_column_int64(st, 14)));
    json_t *tags = json_array();
    json_t *raw = json_loads(gz_col_text(st, 15), 0, NULL);
    size_t i;
    json_t *t;
    json_array_foreach(raw, i, t)
    {
        json_array_append_new(
            tags, link_obj("tags", json_string_value(json_object_get(t, "name")),
                           json_string_value(json_object_get(t, "slug"))));
    }
    json_decref(raw);
    json_t *first = json_array_get(tags, 0);
    json_object_set(c, "primary_tag", first ? first : json_null());
    json_object_set_new(c, "tags", tags);
    return c;
}

static long long offset_of(long long page, int limit)
{
    /* Past any real page: clamp so the multiplication cannot overflow
     * (an overflowed negative OFFSET would read as 0: page 1 again). */
    if (page < 1)
        page = 1;
    if (page > 1000000000LL)
        page = 1000000000LL;
    return (page - 1) * (long long)limit;
}

json_t *gz_store_articles_list(struct gz_db *db, const struct gz_list_query *q,
                               long long *total)
{
    sqlite3_stmt *st;
    if (total) {
        /* Counting touches only indexed columns (status, id, author_id),
         * never the story rows themselves. */
        st = q->author_slug
                 ? gz_db_stmt(
                       db, GZ_SQL("SELECT count(*) FROM articles a"
                                  " WHERE a.status = 'published'"
                                  " AND a.author_id = (SELECT id FROM users"
                                  "   WHERE slug = ?2)"
                                  " AND (?1 IS NULL OR a.id IN (SELECT"
                                  "   x.article_id FROM article_tags x"
                                  "   JOIN tags t ON t.id = x.tag_id"
                                  "   WHERE t.slug = ?1)) AND a.id != ?3"))
                 : gz_db_stmt(
                       db, GZ_SQL("SELECT count(*) FROM articles a"
                                  " WHERE a.status = 'published'"
                                  " AND (?1 IS NULL OR a.id IN (SELECT"
                                  "   x.article_id FROM article_tags x"
                                  "   JOIN tags t ON t.id = x.tag_id"
                                  "   WHERE t.slug = ?1)) AND a.id != ?3"));
        if (!st)
            return NULL;
        gz_bind_text(st, 1, q->tag_slug);
        if (q->author_slug)
            gz_bind_text(st, 2, q->author_slug);
        sqlite3_bind_int64(st, 3, q->exclude_id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_reset(st);
            return NULL;
        }
        *total = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }

    st = gz_db_stmt(
        db, GZ_SQL("SELECT " CARD_COLS ", a.html FROM articles a JOIN users u"
                   " ON u.id = a.author_id WHERE a.status = 'published'"
                   " AND (?1 IS NULL OR a.id IN (SELECT x.article_id"
                   "   FROM article_tags x JOIN tags t ON t.id = x.tag_id"
                   "   WHERE t.slug = ?1))"
                   " AND (?2 IS NULL OR u.slug = ?2) AND a.id != ?3"
                   " ORDER BY a.published_at DESC, a.id DESC"
                   " LIMIT ?4 OFFSET ?5"));
    if (!st)
        return NULL;
    gz_bind_text(st, 1, q->tag_slug);
    gz_bind_text(st, 2, q->author_slug);
    sqlite3_bind_int64(st, 3, q->exclude_id);
    sqlite3_bind_int(st, 4, q->limit);
    sqlite3_bind_int64(st, 5, offset_of(q->page, q->limit));
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *c = card_from_row(st);
        if (q->with_body)
            json_object_set_new(c, "body_html", gz_col_json_str(st, CARD_NCOLS));
        json_array_append_new(list, c);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

/* Approved comments of a story, replies nested under their parents. */
static json_t *load_comments(struct gz_db *db, long long article_id)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, parent_id, name, body, created_at FROM comments"
                   " WHERE article_id = ?1 AND status = 'approved'"
                   " ORDER BY created_at, id"));
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, article_id);
    json_t *top = json_array();
    json_t *by_id = json_object(); /* id -> borrowed top-level comment */
    while (sqlite3_step(st) == SQLITE_ROW) {
        char initials[16], key[24], anchor[32];
        const char *name = gz_col_text(st, 2);
        long long id = sqlite3_column_int64(st, 0);
        gz_initials(name, initials);
        snprintf(anchor, sizeof anchor, "comment-%lld", id);
        char *html = gz_comment_html(gz_col_text(st, 3));
        json_t *c = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id",
                              (json_int_t)id, "name", name, "initials",
                              initials, "anchor", anchor, "body_html",
                              html ? html : "");
        free(html);
        set_time(c, "created_at", "created_human",
                 sqlite3_column_int64(st, 4));
        json_t *parent = NULL;
        if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
            snprintf(key, sizeof key, "%lld", sqlite3_column_int64(st, 1));
            parent = json_object_get(by_id, key);
        }
        if (parent) {
            json_array_append_new(json_object_get(parent, "replies"), c);
        } else if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
            /* A reply whose parent is held or spam waits with it. */
            json_decref(c);
        } else {
            json_object_set_new(c, "replies", json_array());
            snprintf(key, sizeof key, "%lld", id);
            json_object_set(by_id, key, c);
            json_array_append_new(top, c);
        }
    }
    sqlite3_reset(st);
    json_decref(by_id);
    return top;
}

/* Binds slug to ?1 and steps to the one row. 1 on a row; 0 with *err set
 * (GZ_ENOTFOUND, or GZ_EDB also when st is NULL) and st reset. */
static int row_by_slug(sqlite3_stmt *st, const char *slug, int *err)
{
    if (!st) {
        *err = GZ_EDB;
        return 0;
    }
    gz_bind_text(st, 1, slug);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    sqlite3_reset(st);
    *err = rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
    return 0;
}

json_t *gz_store_article_load(struct gz_db *db, const char *slug, int *err)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT " CARD_COLS ", a.html, u.bio, a.comments_open"
                   " FROM articles a JOIN users u ON u.id = a.author_id"
                   " WHERE a.slug = ?1 AND a.status = 'published'"));
    if (!row_by_slug(st, slug, err))
        return NULL;
    json_t *a = card_from_row(st);
    json_object_set_new(a, "body_html", gz_col_json_str(st, CARD_NCOLS));
    json_object_set_new(json_object_get(a, "author"), "bio",
                        gz_col_json_str(st, CARD_NCOLS + 1));
    json_object_set_new(a, "comments_open",
                        json_boolean(sqlite3_column_int(st, CARD_NCOLS + 2)));
    long long id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    json_t *comments = load_comments(db, id);
    if (!comments) {
        json_decref(a);
        *err = GZ_EDB;
        return NULL;
    }
    json_object_set_new(a, "comments", comments);
    return a;
}

json_t *gz_store_tag_load(struct gz_db *db, const char *slug, int *err)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT t.name, t.slug, t.description,"
                   " (SELECT count(*) FROM article_tags x JOIN articles a"
                   "  ON a.id = x.article_id WHERE x.tag_id = t.id"
                   "  AND a.status = 'published')"
                   " FROM tags t WHERE t.slug = ?1"));
    if (!row_by_slug(st, slug, err))
        return NULL;
    json_t *t = link_obj("tags", gz_col_text(st, 0), gz_col_text(st, 1));
    char feed[320];
    snprintf(feed, sizeof feed, "/tags/%s/feed.xml", gz_col_text(st, 1));
    json_object_set_new(t, "description", gz_col_json_str(st, 2));
    json_object_set_new(t, "feed_url", json_string(feed));
    json_object_set_new(t, "count", json_integer(sqlite3_column_int64(st, 3)));
    sqlite3_reset(st);
    return t;
}

json_t *gz_store_author_load(struct gz_db *db, const char *slug, int *err)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT u.name, u.slug, u.bio,"
                   " (SELECT count(*) FROM articles a WHERE a.author_id = u.id"
                   "  AND a.status = 'published')"
                   " FROM users u WHERE u.slug = ?1"));
    if (!row_by_slug(st, slug, err))
        return NULL;
    json_t *a = person(gz_col_text(st, 0), gz_col_text(st, 1));
    json_object_set_new(a, "bio", gz_col_json_str(st, 2));
    json_object_set_new(a, "count", json_integer(sqlite3_column_int64(st, 3)));
    sqlite3_reset(st);
    return a;
}

json_t *gz_store_nav_tags(struct gz_db *db, int n)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT t.name, t.slug FROM tags t JOIN article_tags x"
                   " ON x.tag_id = t.id JOIN articles a ON a.id = x.article_id"
                   " WHERE a.status = 'published' GROUP BY t.id"
                   " ORDER BY count(*) DESC, t.name LIMIT ?1"));
    json_t *list = json_array();
    if (!st)
        return list;
    sqlite3_bind_int(st, 1, n);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(list, link_obj("tags", gz_col_text(st, 0),
                                             gz_col_text(st, 1)));
    sqlite3_reset(st);
    return list;
}

/*
 * SECURITY: the reader's words become FTS5 string literals ("word"*),
 * joined by spaces (AND). Quotes are doubled per FTS5 rules and every
 * character FTS5 treats as syntax ends up inside a literal, so no input
 * can form an FTS5 expression.
 */
int gz_store_fts_query(const char *q, struct gz_buf *out)
{
    int terms = 0;
    const unsigned char *p = (const unsigned char *)q;
    while (*p && terms < 12) {
        while (*p && !(*p >= 0x80 || (*p >= '0' && *p <= '9') ||
                       ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
            p++;
        const unsigned char *start = p;
        while (*p && (*p >= 0x80 || (*p >= '0' && *p <= '9') ||
                      ((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')))
            p++;
        if (p == start)
            break;
        if (terms++)
            gz_buf_putc(out, ' ');
        gz_buf_putc(out, '"');
        gz_buf_append(out, start, (size_t)(p - start));
        if (gz_buf_puts(out, "\"*") != 0)
            return GZ_ENOMEM;
    }
    return terms;
}

/* Snippet text comes with \x01 / \x02 around matches: escape everything,
 * then turn the markers into <mark> tags. */
char *gz_store_snippet_html(const char *raw)
{
    struct gz_buf b;
    gz_buf_init(&b);
    for (const char *p = raw; *p; p++) {
        if (*p == '\x01')
            gz_buf_puts(&b, "<mark>");
        else if (*p == '\x02')
            gz_buf_puts(&b, "</mark>");
        else
            gz_html_escape(&b, p, 1);
    }
    return gz_buf_steal(&b, NULL);
}

json_t *gz_store_search(struct gz_db *db, const char *q, long long page,
                        int limit, long long *total)
{
    struct gz_buf fq;
    gz_buf_init(&fq);
    *total = 0;
    int terms = gz_store_fts_query(q, &fq);
    json_t *list = json_array();
    if (terms <= 0) {
        gz_buf_free(&fq);
        return list;
    }
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT count(*) FROM articles a"
                   " WHERE a.status = 'published' AND a.id IN"
                   " (SELECT rowid FROM articles_fts WHERE articles_fts"
                   "  MATCH ?1)"));
    if (!st)
        goto fail;
    gz_bind_text(st, 1, gz_buf_cstr(&fq));
    if (sqlite3_step(st) == SQLITE_ROW)
        *total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);

    st = gz_db_stmt(
        db, GZ_SQL("SELECT " CARD_COLS ", snippet(articles_fts, -1,"
                   " char(1), char(2), '…', 28)"
                   " FROM articles_fts f JOIN articles a ON a.id = f.rowid"
                   " JOIN users u ON u.id = a.author_id"
                   " WHERE articles_fts MATCH ?1 AND a.status = 'published'"
                   " ORDER BY bm25(articles_fts, 10.0, 4.0, 1.0),"
                   " a.published_at DESC LIMIT ?2 OFFSET ?3"));
    if (!st)
        goto fail;
    gz_bind_text(st, 1, gz_buf_cstr(&fq));
    sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int64(st, 3, offset_of(page, limit));
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *c = card_from_row(st);
        char *snip = gz_store_snippet_html(gz_col_text(st, CARD_NCOLS));
        json_object_set_new(c, "snippet_html", json_string(snip ? snip : ""));
        free(snip);
        json_array_append_new(list, c);
    }
    sqlite3_reset(st);
    gz_buf_free(&fq);
    return list;
fail:
    gz_buf_free(&fq);
    json_decref(list);
    return NULL;
}

json_t *gz_store_sitemap(struct gz_db *db)
{
    json_t *doc = json_pack("{s:[], s:[], s:[]}", "articles", "tags",
                            "authors");
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT '/articles/' || slug, updated_at FROM articles"
                   " WHERE status = 'published' ORDER BY published_at DESC"));
    for (int pass = 0; pass < 3 && st; pass++) {
        json_t *list = json_object_get(
            doc, pass == 0 ? "articles" : pass == 1 ? "tags" : "authors");
        while (sqlite3_step(st) == SQLITE_ROW) {
            char iso[32];
            gz_time_rfc3339(sqlite3_column_int64(st, 1), iso);
            json_array_append_new(list, json_pack("{s:s, s:s}", "loc",
                                                  gz_col_text(st, 0),
                                                  "lastmod", iso));
        }
        sqlite3_reset(st);
        if (pass == 0)
            st = gz_db_stmt(
                db, GZ_SQL("SELECT '/tags/' || t.slug, max(a.updated_at)"
                           " FROM tags t JOIN article_tags x ON x.tag_id = t.id"
                           " JOIN articles a ON a.id = x.article_id"
                           " WHERE a.status = 'published' GROUP BY t.id"
                           " ORDER BY t.slug"));
        else if (pass == 1)
            st = gz_db_stmt(
                db, GZ_SQL("SELECT '/authors/' || u.slug, max(a.updated_at)"
                           " FROM users u JOIN articles a ON a.author_id = u.id"
                           " WHERE a.status = 'published' GROUP BY u.id"
                           " ORDER BY u.slug"));
    }
    return doc;
}

json_t *gz_store_settings_load(struct gz_db *db)
{
    json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s}", "title", "Gazette",
                          "description", "News, written and served lightly.",
                          "base_url", "", "comment_policy", "first",
                          "double_opt_in", "");
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT key, value FROM settings"));
    if (!st)
        return s;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(s, gz_col_text(st, 0), gz_col_json_str(st, 1));
    sqlite3_reset(st);
    return s;
}

const char *gz_store_base_url(json_t *settings, const char *fallback)
{
    const char *s = json_string_value(json_object_get(settings, "base_url"));
    return s && *s ? s : fallback;
}

int gz_store_content_version(struct gz_db *db, long long *n,
                             long long *changed_at)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT n, changed_at FROM content_version WHERE id = 1"));
    if (!st)
        return GZ_EDB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *n = sqlite3_column_int64(st, 0);
        *changed_at = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : GZ_EDB;
}

int gz_store_publish_due(struct gz_db *db)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE articles SET status = 'published',"
                   " updated_at = unixepoch() WHERE status = 'scheduled'"
                   " AND published_at <= unixepoch()"));
    if (!st || gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    return sqlite3_changes(db->h);
}

int gz_store_is_empty(struct gz_db *db)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT NOT EXISTS (SELECT 1 FROM articles)"));
    if (!st)
        return 0;
    int empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return empty;
}
