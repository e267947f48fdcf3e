/*
 * comments.c - the store side of readers' comments: where a comment may
 * go, storing one under the site's moderation policy, and the moderation
 * queue (list, counts, approve / spam / delete).
 *
 * Approving, holding and deleting change what readers see; the triggers
 * of 0001 bump content_version on those writes, so cached article pages
 * (their comment list and count) are rebuilt at once.
 *
 * Threads: each call uses the caller's connection (see store.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/markdown.h"
#include "internal.h"

static const char *const statuses[] = {"pending", "approved", "spam"};

int gz_store_comment_target(struct gz_db *db, const char *slug,
                            long long *article_id, int *open)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT id, comments_open FROM articles"
                              " WHERE slug = ?1 AND status = 'published'"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, slug);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *article_id = sqlite3_column_int64(st, 0);
        *open = sqlite3_column_int(st, 1) != 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

/* 1 when a query of one boolean column answers true, 0 when false or no
 * row, GZ_EDB on error. Resets st. */
static int step_bool(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int v = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) != 0 : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? v : GZ_EDB;
}

/* Has this commenter had a comment approved before? (The "first" policy.)
 * By email when there is one; by name among comments without an email
 * otherwise, so a name alone cannot borrow the standing of someone who
 * gave an address. */
static int known_commenter(struct gz_db *db, const char *name,
                           const char *email)
{
    sqlite3_stmt *st;
    if (email) {
        st = gz_db_stmt(db, GZ_SQL("SELECT EXISTS (SELECT 1 FROM comments"
                                   " WHERE email = ?1 COLLATE NOCASE"
                                   " AND status = 'approved')"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 1, email);
    } else {
        st = gz_db_stmt(db, GZ_SQL("SELECT EXISTS (SELECT 1 FROM comments"
                                   " WHERE email IS NULL AND name = ?1"
                                   " AND status = 'approved')"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 1, name);
    }
    return step_bool(st);
}

int gz_store_comment_create(struct gz_db *db, const struct gz_comment_new *c,
                            long long *id, int *approved)
{
    int rc = GZ_EDB, ok = 0;
    sqlite3_stmt *st;
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    if (c->parent_id) {
        /* One level of replies: the parent is an approved top-level
         * comment of the same story, checked in the same transaction as
         * the insert so a moderator cannot slip in between. */
        st = gz_db_stmt(
            db, GZ_SQL("SELECT EXISTS (SELECT 1 FROM comments WHERE id = ?1"
                       " AND article_id = ?2 AND parent_id IS NULL"
                       " AND status = 'approved')"));
        if (!st)
            goto out;
        sqlite3_bind_int64(st, 1, c->parent_id);
        sqlite3_bind_int64(st, 2, c->article_id);
        ok = step_bool(st);
        if (ok < 0)
            goto out;
        if (!ok) {
            rc = GZ_EINVAL;
            goto out;
        }
    }
    if (c->policy && strcmp(c->policy, "approve") == 0)
        ok = 1;
    else if (c->policy && strcmp(c->policy, "hold") == 0)
        ok = 0;
    else if ((ok = known_commenter(db, c->name, c->email)) < 0)
        goto out;
    st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO comments (article_id, parent_id, name, email,"
                   " body, status, client, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, unixepoch())"));
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, c->article_id);
    if (c->parent_id)
        sqlite3_bind_int64(st, 2, c->parent_id);
    else
        sqlite3_bind_null(st, 2);
    gz_bind_text(st, 3, c->name);
    gz_bind_text(st, 4, c->email);
    gz_bind_text(st, 5, c->body);
    gz_bind_text(st, 6, ok ? "approved" : "pending");
    gz_bind_text(st, 7, c->client ? c->client : "");
    if (gz_db_exec_stmt(db, st) != 0)
        goto out;
    *id = sqlite3_last_insert_rowid(db->h);
    *approved = ok;
    if (gz_db_tx_commit(db) != 0)
        goto out;
    return 0;
out:
    gz_db_tx_rollback(db);
    return rc;
}

json_t *gz_store_comment_counts(struct gz_db *db)
{
    json_t *counts =
        json_pack("{s:i, s:i, s:i}", "pending", 0, "approved", 0, "spam", 0);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT status, count(*) FROM comments GROUP BY status"));
    if (!st)
        return counts;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(counts, gz_col_text(st, 0),
                            json_integer(sqlite3_column_int64(st, 1)));
    sqlite3_reset(st);
    return counts;
}

json_t *gz_store_comments_admin(struct gz_db *db, const char *status,
                                long long page, int limit, long long *total)
{
    json_t *counts = gz_store_comment_counts(db);
    *total = json_integer_value(json_object_get(counts, status));
    json_decref(counts);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT c.id, c.article_id, a.slug AS article_slug,"
                   " a.title AS article_title, c.parent_id,"
                   " p.name AS parent_name, c.name, c.email, c.body,"
                   " c.status, c.client, c.created_at"
                   " FROM comments c JOIN articles a ON a.id = c.article_id"
                   " LEFT JOIN comments p ON p.id = c.parent_id"
                   " WHERE c.status = ?1"
                   " ORDER BY c.created_at DESC, c.id DESC"
                   " LIMIT ?2 OFFSET ?3"));
    if (!st)
        return NULL;
    gz_bind_text(st, 1, status);
    sqlite3_bind_int(st, 2, limit);
    sqlite3_bind_int64(st, 3, gz_store_offset(page, limit));
    return gz_store_all_rows(st);
}

int gz_store_comments_moderate(struct gz_db *db, const long long *ids, size_t n,
                               const char *action)
{
    const char *status = NULL;
    int del = strcmp(action, "delete") == 0;
    if (strcmp(action, "approve") == 0)
        status = statuses[1];
    else if (strcmp(action, "spam") == 0)
        status = statuses[2];
    else if (strcmp(action, "pending") == 0)
        status = statuses[0];
    else if (!del)
        return GZ_EINVAL;
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    int changed = 0;
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st =
            del ? gz_db_stmt(db, GZ_SQL("DELETE FROM comments WHERE id = ?1"))
                : gz_db_stmt(db, GZ_SQL("UPDATE comments SET status = ?2"
                                        " WHERE id = ?1 AND status != ?2"));
        if (!st)
            goto fail;
        sqlite3_bind_int64(st, 1, ids[i]);
        if (!del)
            gz_bind_text(st, 2, status);
        if (gz_db_exec_stmt(db, st) != 0)
            goto fail;
        changed += sqlite3_changes(db->h);
    }
    if (gz_db_tx_commit(db) != 0)
        goto fail;
    return changed;
fail:
    gz_db_tx_rollback(db);
    return GZ_EDB;
}
