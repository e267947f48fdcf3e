/*
 * revisions.c - story revisions and the trash (include/gazette/
 * revisions.h, sql/0012_revisions.sql).
 *
 * A revision is a copy of what the writer controls (title, excerpt,
 * Markdown, tags, feature image) taken from the stored row right after a
 * save, in the save's transaction, so the history and the story cannot
 * disagree. The trash is a column of articles (deleted_at): a trashed
 * story is a draft that remembers its status, so every public query and
 * trigger already treats it as unpublished.
 *
 * Threads: every function uses only the connection it is given.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/revisions.h"
#include "internal.h"

int gz_store_revision_record(struct gz_db *db, long long story_id,
                             long long user_id, long long now)
{
    sqlite3_stmt *st = gz_db_stmt(
        db,
        GZ_SQL("WITH cur AS (SELECT a.id, a.title, a.excerpt, a.markdown,"
               "   a.image_url, a.image_alt,"
               "   (SELECT json_group_array(name) FROM (SELECT t.name"
               "     FROM article_tags x JOIN tags t ON t.id = x.tag_id"
               "     WHERE x.article_id = a.id ORDER BY x.position, t.name))"
               "   AS tags FROM articles a WHERE a.id = ?1),"
               " last AS (SELECT * FROM story_revisions WHERE article_id = ?1"
               "   ORDER BY n DESC LIMIT 1)"
               " INSERT INTO story_revisions (article_id, n, user_id,"
               " created_at, image_url, image_alt, tags, title, excerpt,"
               " markdown)"
               " SELECT cur.id, coalesce((SELECT max(n) FROM story_revisions"
               "   WHERE article_id = ?1), 0) + 1, ?2, ?3, cur.image_url,"
               "   cur.image_alt, cur.tags, cur.title, cur.excerpt,"
               "   cur.markdown FROM cur"
               " WHERE NOT EXISTS (SELECT 1 FROM last WHERE"
               "   last.title = cur.title AND last.excerpt = cur.excerpt"
               "   AND last.markdown = cur.markdown AND last.tags = cur.tags"
               "   AND last.image_url IS cur.image_url"
               "   AND last.image_alt = cur.image_alt)"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, story_id);
    if (user_id > 0)
        sqlite3_bind_int64(st, 2, user_id);
    sqlite3_bind_int64(st, 3, now);
    return gz_db_exec_stmt(db, st);
}

static json_t *revision_row(sqlite3_stmt *st)
{
    json_t *tags = json_loads(gz_col_text(st, 6), 0, NULL);
    if (!json_is_array(tags)) {
        json_decref(tags);
        tags = json_array();
    }
    return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "n",
                     (json_int_t)sqlite3_column_int64(st, 0), "created_at",
                     (json_int_t)sqlite3_column_int64(st, 1), "user_name",
                     gz_col_text(st, 2), "title", gz_col_text(st, 3),
                     "excerpt", gz_col_text(st, 4), "markdown",
                     gz_col_text(st, 5), "tags", tags, "image_url",
                     gz_col_text(st, 7), "image_alt", gz_col_text(st, 8));
}

#define REVISION_COLUMNS                                                       \
    "SELECT r.n, r.created_at, coalesce(u.name, ''), r.title, r.excerpt,"     \
    " r.markdown, r.tags, coalesce(r.image_url, ''), r.image_alt"             \
    " FROM story_revisions r LEFT JOIN users u ON u.id = r.user_id"

json_t *gz_store_revisions_list(struct gz_db *db, long long story_id)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL(REVISION_COLUMNS " WHERE r.article_id = ?1"
                                               " ORDER BY r.n DESC"));
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, story_id);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, revision_row(st));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *gz_store_revision_load(struct gz_db *db, long long story_id,
                               long long n, int *err)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL(REVISION_COLUMNS " WHERE r.article_id = ?1 AND r.n = ?2"));
    if (!st) {
        *err = GZ_EDB;
        return NULL;
    }
    sqlite3_bind_int64(st, 1, story_id);
    sqlite3_bind_int64(st, 2, n);
    int rc = sqlite3_step(st);
    json_t *r = rc == SQLITE_ROW ? revision_row(st) : NULL;
    sqlite3_reset(st);
    if (!r)
        *err = rc == SQLITE_DONE || rc == SQLITE_ROW ? GZ_ENOTFOUND : GZ_EDB;
    return r;
}

json_t *gz_store_trash_list(struct gz_db *db)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT a.id, a.title, a.slug,"
                   " coalesce(a.trashed_status, a.status), a.author_id,"
                   " u.name, a.deleted_at, coalesce(d.name, '')"
                   " FROM articles a JOIN users u ON u.id = a.author_id"
                   " LEFT JOIN users d ON d.id = a.deleted_by"
                   " WHERE a.deleted_at IS NOT NULL"
                   " ORDER BY a.deleted_at DESC, a.id DESC"));
    if (!st)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(
            list,
            json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:I, s:s}", "id",
                      (json_int_t)sqlite3_column_int64(st, 0), "title",
                      gz_col_text(st, 1), "slug", gz_col_text(st, 2),
                      "status", gz_col_text(st, 3), "author_id",
                      (json_int_t)sqlite3_column_int64(st, 4), "author_name",
                      gz_col_text(st, 5), "deleted_at",
                      (json_int_t)sqlite3_column_int64(st, 6), "deleted_by",
                      gz_col_text(st, 7)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

int gz_store_trash_restore(struct gz_db *db, long long id)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE articles SET status = coalesce(trashed_status,"
                   " status), deleted_at = NULL, trashed_status = NULL,"
                   " deleted_by = NULL, updated_at = unixepoch()"
                   " WHERE id = ?1 AND deleted_at IS NOT NULL"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    int rc = gz_db_exec_stmt(db, st);
    if (rc == 0 && sqlite3_changes(db->h) == 0)
        rc = GZ_ENOTFOUND;
    return rc;
}

int gz_store_trash_purge(struct gz_db *db, long long before, long long *count)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("DELETE FROM articles WHERE deleted_at IS NOT NULL"
                   " AND deleted_at <= ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, before);
    int rc = gz_db_exec_stmt(db, st);
    if (rc == 0 && count)
        *count = sqlite3_changes(db->h);
    return rc == 0 ? 0 : GZ_EDB;
}
