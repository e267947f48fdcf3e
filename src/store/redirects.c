/*
 * redirects.c - the old URLs of a site moved in (sql/0008_redirects.sql):
 * the "redirects" list of the import document, its export, and the
 * lookup the server makes when no route matches (http/redirect.c).
 *
 * A row names a story, tag or author by id; the Location is built from
 * the current slug at request time, so a later slug change still works.
 * A story redirects only while it is published (a draft's or a
 * scheduled story's old URL answers 404 like any unknown path).
 */
#include <stdio.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/import.h"
#include "internal.h"

int gz_redirect_path_norm(const char *in, char *out, size_t outlen)
{
    size_t n = strlen(in);
    if (n == 0 || in[0] != '/' || n >= outlen || n > 1000 ||
        !gz_utf8_valid_text(in, n))
        return GZ_EINVAL;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)in[i] < 0x20 || in[i] == 0x7f)
            return GZ_EINVAL;
    memcpy(out, in, n + 1);
    while (n > 1 && out[n - 1] == '/')
        out[--n] = '\0';
    return 0;
}

static long long id_of(sqlite3_stmt *st, const char *slug)
{
    if (!st)
        return -1;
    gz_bind_text(st, 1, slug);
    long long id =
        sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return id;
}

int gz_store_redirect_import(struct gz_db *db, json_t *r, size_t i, char *err,
                             size_t errlen)
{
    json_t *p = json_object_get(r, "path");
    char path[1024];
    if (!json_is_string(p) ||
        gz_redirect_path_norm(json_string_value(p), path, sizeof path) != 0) {
        snprintf(err, errlen,
                 "redirects[%zu].path: expected a path starting "
                 "with / (at most 1000 bytes of text)",
                 i);
        return GZ_EINVAL;
    }
    static const char *const kinds[] = {"article", "tag", "author"};
    int kind = -1, count = 0;
    for (int k = 0; k < 3; k++)
        if (json_object_get(r, kinds[k])) {
            kind = k;
            count++;
        }
    const char *slug =
        kind >= 0 ? json_string_value(json_object_get(r, kinds[kind])) : NULL;
    if (count != 1 || !slug) {
        snprintf(err, errlen,
                 "redirects[%zu]: expected one of article, tag "
                 "or author (a slug)",
                 i);
        return GZ_EINVAL;
    }
    long long id =
        kind == 0   ? id_of(gz_db_stmt(db, GZ_SQL("SELECT id FROM articles"
                                                    " WHERE slug = ?1")),
                            slug)
        : kind == 1 ? id_of(gz_db_stmt(db, GZ_SQL("SELECT id FROM tags"
                                                  " WHERE slug = ?1")),
                            slug)
                    : id_of(gz_db_stmt(db, GZ_SQL("SELECT id FROM users"
                                                  " WHERE slug = ?1")),
                            slug);
    if (id < 0)
        return GZ_EDB;
    if (id == 0) {
        snprintf(err, errlen, "redirects[%zu].%s: nothing with slug \"%.80s\"",
                 i, kinds[kind], slug);
        return GZ_EINVAL;
    }
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO redirects (path, article_id, tag_id,"
                   " user_id, created_at) VALUES (?1, ?2, ?3, ?4, unixepoch())"
                   " ON CONFLICT(path) DO UPDATE SET article_id = ?2,"
                   " tag_id = ?3, user_id = ?4"
                   " WHERE article_id IS NOT ?2 OR tag_id IS NOT ?3"
                   " OR user_id IS NOT ?4"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, path);
    sqlite3_bind_int64(st, 2 + kind, id);
    return gz_db_exec_stmt(db, st);
}

json_t *gz_store_redirects_export(struct gz_db *db)
{
    json_t *list = json_array();
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT r.path, a.slug, t.slug, u.slug FROM redirects r"
                   " LEFT JOIN articles a ON a.id = r.article_id"
                   " LEFT JOIN tags t ON t.id = r.tag_id"
                   " LEFT JOIN users u ON u.id = r.user_id ORDER BY r.path"));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        static const char *const kinds[] = {"article", "tag", "author"};
        for (int k = 0; k < 3; k++)
            if (sqlite3_column_type(st, 1 + k) != SQLITE_NULL)
                json_array_append_new(
                    list, json_pack("{s:s, s:s}", "path", gz_col_text(st, 0),
                                    kinds[k], gz_col_text(st, 1 + k)));
    }
    if (st)
        sqlite3_reset(st);
    return list;
}

int gz_store_redirect_find(struct gz_db *db, const char *path, char *location,
                           size_t loclen)
{
    char key[1024];
    if (gz_redirect_path_norm(path, key, sizeof key) != 0)
        return GZ_ENOTFOUND;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT CASE WHEN r.article_id IS NOT NULL"
                   "  THEN '/articles/' || a.slug"
                   " WHEN r.tag_id IS NOT NULL THEN '/tags/' || t.slug"
                   " ELSE '/authors/' || u.slug END"
                   " FROM redirects r"
                   " LEFT JOIN articles a ON a.id = r.article_id"
                   "  AND a.status = 'published'"
                   "  AND a.published_at <= unixepoch()"
                   " LEFT JOIN tags t ON t.id = r.tag_id"
                   " LEFT JOIN users u ON u.id = r.user_id"
                   "  AND u.disabled = 0"
                   " WHERE r.path = ?1"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, key);
    int rc = GZ_ENOTFOUND;
    if (sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_type(st, 0) != SQLITE_NULL) {
        snprintf(location, loclen, "%s", gz_col_text(st, 0));
        rc = 0;
    }
    sqlite3_reset(st);
    return rc;
}
