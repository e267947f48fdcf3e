/*
 * purges.c - what the purgers of a cache or CDN in front need from the
 * database (src/cdn/purge.c; sql/0009_purges.sql): a batch of page
 * changes after a purger's cursor, the cursor itself, and the slugs that
 * turn a key into the URLs a URL-only purger needs.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* LIMIT -1 is no limit (gz_store_changes_since). */
int gz_store_changes_batch(struct gz_db *db, long long after, int limit,
                           void (*fn)(void *cls, long long id,
                                      const char *key),
                           void *cls)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, key FROM page_changes WHERE id > ?1"
                   " ORDER BY id LIMIT ?2"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int(st, 2, limit);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        fn(cls, sqlite3_column_int64(st, 0), gz_col_text(st, 1));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : GZ_EDB;
}

int gz_store_purge_cursor(struct gz_db *db, const char *purger,
                          long long *after)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT after FROM purge_cursors WHERE purger = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_text(st, 1, purger, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *after = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

int gz_store_purge_cursor_set(struct gz_db *db, const char *purger,
                              long long after, int sent, const char *error)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO purge_cursors(purger, after, sent, failures,"
                   " last_error) VALUES (?1, ?2, ?3, ?4 IS NOT NULL, ?4)"
                   " ON CONFLICT(purger) DO UPDATE SET"
                   " after = max(after, excluded.after),"
                   " sent = sent + excluded.sent,"
                   " failures = failures + excluded.failures,"
                   " last_error = coalesce(excluded.last_error, last_error),"
                   " updated_at = unixepoch()"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_text(st, 1, purger, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int(st, 3, sent);
    if (error)
        sqlite3_bind_text(st, 4, error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 4);
    return gz_db_exec_stmt(db, st) == 0 ? 0 : GZ_EDB;
}

int gz_store_story_slug(struct gz_db *db, long long id, char *slug,
                        size_t size)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT slug FROM articles WHERE id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(slug, size, "%s", gz_col_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

int gz_store_changes_all(struct gz_db *db)
{
    /* `settings` shows on every page: every cache drops everything; the
     * purgers' cursors are put before it in case they were after (a
     * restored file's cursors may be ahead of its own changes). */
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO page_changes(key) VALUES ('settings')"));
    if (!st || gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    long long id = sqlite3_last_insert_rowid(db->h);
    st = gz_db_stmt(db, GZ_SQL("UPDATE purge_cursors SET after = ?1"
                               " WHERE after > ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id - 1);
    return gz_db_exec_stmt(db, st) == 0 ? 0 : GZ_EDB;
}
