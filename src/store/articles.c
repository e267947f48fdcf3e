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

static json_t *link_obj(const char *kind, const char *name, const char *slug)
{
    char url[320];
    snprintf(url, sizeof url, "/%s/%s", kind, slug);
    return json_pack("{s:s, s:s, s:s}", "name", name, "slug", slug, "url",
                     url);
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

    /* Bodies only for the feeds: a list never reads them otherwise. */
    st = q->with_body
             ? gz_db_stmt(
                   db, GZ_SQL("SELECT " GZ_STORY_COLS ", a.html FROM articles"
                              " a JOIN users u ON u.id = a.author_id"
                              " WHERE a.status = 'published'"
                              " AND (?1 IS NULL OR a.id IN (SELECT"
                              "   x.article_id FROM article_tags x JOIN tags"
                              "   t ON t.id = x.tag_id WHERE t.slug = ?1))"
                              " AND (?2 IS NULL OR u.slug = ?2) AND a.id != ?3"
                              " ORDER BY a.published_at DESC, a.id DESC"
                              " LIMIT ?4 OFFSET ?5"))
             : gz_db_stmt(
                   db, GZ_SQL("SELECT " GZ_STORY_COLS " FROM articles a"
                              " JOIN users u ON u.id = a.author_id"
                              " WHERE a.status = 'published'"
                              " AND (?1 IS NULL OR a.id IN (SELECT"
                              "   x.article_id FROM article_tags x JOIN tags"
                              "   t ON t.id = x.tag_id WHERE t.slug = ?1))"
                              " AND (?2 IS NULL OR u.slug = ?2) AND a.id != ?3"
                              " ORDER BY a.published_at DESC, a.id DESC"
                              " LIMIT ?4 OFFSET ?5"));
    if (!st)
        return NULL;
    gz_bind_text(st, 1, q->tag_slug);
    gz_bind_text(st, 2, q->author_slug);
    sqlite3_bind_int64(st, 3, q->exclude_id);
    sqlite3_bind_int(st, 4, q->limit);
    sqlite3_bind_int64(st, 5, gz_store_offset(q->page, q->limit));
    return gz_store_all_rows(st);
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
        db, GZ_SQL("SELECT " GZ_STORY_COLS ", a.html"
                   " FROM articles a JOIN users u ON u.id = a.author_id"
                   " WHERE a.slug = ?1 AND a.status = 'published'"));
    if (!row_by_slug(st, slug, err))
        return NULL;
    json_t *a = gz_row_json(st);
    sqlite3_reset(st);
    return a;
}

/* The one row of a rows function's answer, or NULL with *err. */
static json_t *only_row(json_t *rows, int *err)
{
    json_t *row = json_incref(json_array_get(rows, 0));
    if (!row)
        *err = rows ? GZ_ENOTFOUND : GZ_EDB;
    json_decref(rows);
    return row;
}

json_t *gz_store_tag_load(struct gz_db *db, const char *slug, int *err)
{
    return only_row(gz_store_tag_rows(db, slug, 1, 1, NULL), err);
}

json_t *gz_store_author_load(struct gz_db *db, const char *slug, int *err)
{
    /* An author page lists published stories, so a disabled user who
     * wrote some still has one: not gz_store_author_rows (enabled). */
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT u.id, u.slug, u.name, u.bio,"
                   " (SELECT count(*) FROM articles a WHERE a.author_id = u.id"
                   "  AND a.status = 'published') AS article_count"
                   " FROM users u WHERE u.slug = ?1"));
    if (!row_by_slug(st, slug, err))
        return NULL;
    json_t *a = gz_row_json(st);
    sqlite3_reset(st);
    return a;
}

json_t *gz_store_nav_tags(struct gz_db *db, int n)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT name, slug FROM tags WHERE published_count > 0"
                   " ORDER BY published_count DESC, name LIMIT ?1"));
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
        db, GZ_SQL("SELECT " GZ_STORY_COLS ", snippet(articles_fts, -1,"
                   " char(1), char(2), '…', 28) AS snippet_raw"
                   " FROM articles_fts f JOIN articles a ON a.id = f.rowid"
                   " JOIN users u ON u.id = a.author_id"
                   " WHERE articles_fts MATCH ?1 AND a.status = 'published'"
                   " ORDER BY bm25(articles_fts, 10.0, 4.0, 1.0),"
                   " a.published_at DESC LIMIT ?2 OFFSET ?3"));
    if (!st)
        goto fail;
    gz_bind_text(st, 1, gz_buf_cstr(&fq));
    sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int64(st, 3, gz_store_offset(page, limit));
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *c = gz_row_json(st);
        char *snip = gz_store_snippet_html(
            json_string_value(json_object_get(c, "snippet_raw")));
        json_object_set_new(c, "snippet_html", json_string(snip ? snip : ""));
        json_object_del(c, "snippet_raw");
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
