/*
 * outbox.c - the store side of mail: queueing messages (always inside the
 * transaction of the change that causes them), the new-story fan-out,
 * and the sender's claim / sent / retry cycle with its crash recovery.
 *
 * Row life: queued -> sending (claimed, with a lease in next_try_at) ->
 * sent, or back to queued with a later next_try_at after a failure, or
 * failed for good after mail.max_tries attempts. A row claimed by a
 * process that died stays "sending"; gz_store_outbox_recover makes such
 * rows due again at start, and an expired lease makes them claimable in
 * any case. Rows are claimed and finished one at a time, each step its
 * own commit, so a crash repeats at most the message in flight.
 *
 * Threads: each call uses the caller's connection (see store.h). The
 * sender thread has its own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/engage.h"
#include "gazette/html.h"
#include "internal.h"

void gz_mail_msg_clear(struct gz_mail_msg *m)
{
    free(m->subject);
    free(m->text);
    free(m->html);
    free(m->headers);
    memset(m, 0, sizeof *m);
}

void gz_outbox_item_clear(struct gz_outbox_item *it)
{
    free(it->kind);
    free(it->recipient);
    free(it->subject);
    free(it->body_text);
    free(it->body_html);
    free(it->headers);
    memset(it, 0, sizeof *it);
}

int gz_store_outbox_add(struct gz_db *db, const char *kind,
                        const char *recipient, const struct gz_mail_msg *m,
                        long long article_id, long long subscriber_id,
                        const char *token_hash)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO outbox (kind, recipient, subject, body_text,"
                   " body_html, headers, article_id, subscriber_id,"
                   " token_hash, status, attempts, next_try_at, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'queued', 0,"
                   " unixepoch(), unixepoch())"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, kind);
    gz_bind_text(st, 2, recipient);
    gz_bind_text(st, 3, m->subject ? m->subject : "");
    gz_bind_text(st, 4, m->text ? m->text : "");
    gz_bind_text(st, 5, m->html ? m->html : "");
    gz_bind_text(st, 6, m->headers ? m->headers : "");
    if (article_id)
        sqlite3_bind_int64(st, 7, article_id);
    if (subscriber_id)
        sqlite3_bind_int64(st, 8, subscriber_id);
    gz_bind_text(st, 9, token_hash);
    return gz_db_exec_stmt(db, st);
}

int gz_store_outbox_recover(struct gz_db *db)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("UPDATE outbox SET next_try_at = unixepoch()"
                              " WHERE status = 'sending'"));
    if (!st || gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    return sqlite3_changes(db->h);
}

static char *col_dup(sqlite3_stmt *st, int col)
{
    const char *s = gz_col_text(st, col);
    return strdup(s);
}

int gz_store_outbox_claim(struct gz_db *db, long long now, int lease,
                          struct gz_outbox_item *it)
{
    /* Transactional mail (confirmations) goes before a mass mailing that
     * may be thousands of rows long. The ORDER BY is the index
     * outbox_claim of 0002, named so the plan is a walk of the index that
     * stops at the first due row, never a sort of every queued row. */
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE outbox SET status = 'sending',"
                   " attempts = attempts + 1, next_try_at = ?1 + ?2"
                   " WHERE id = (SELECT id FROM outbox INDEXED BY outbox_claim"
                   "   WHERE status IN ('queued', 'sending')"
                   "   AND next_try_at <= ?1"
                   "   ORDER BY kind = 'notify', next_try_at, id LIMIT 1)"
                   " RETURNING id, created_at, attempts, kind, recipient,"
                   " subject, body_text, body_html, headers"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int(st, 2, lease);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(it, 0, sizeof *it);
        it->id = sqlite3_column_int64(st, 0);
        it->created_at = sqlite3_column_int64(st, 1);
        it->attempts = sqlite3_column_int(st, 2);
        it->kind = col_dup(st, 3);
        it->recipient = col_dup(st, 4);
        it->subject = col_dup(st, 5);
        it->body_text = col_dup(st, 6);
        it->body_html = col_dup(st, 7);
        it->headers = col_dup(st, 8);
        /* RETURNING: the change is complete once the statement is run
         * to its end. */
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            gz_outbox_item_clear(it);
            return GZ_EDB;
        }
        if (!it->kind || !it->recipient || !it->subject || !it->body_text ||
            !it->body_html || !it->headers) {
            gz_outbox_item_clear(it);
            return GZ_ENOMEM;
        }
        return 0;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

int gz_store_outbox_sent(struct gz_db *db, long long id, const char *via)
{
    /* SECURITY: the bodies carried single-use tokens; once delivered the
     * database keeps only their hashes. */
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE outbox SET status = 'sent', sent_at = unixepoch(),"
                   " via = ?2, body_text = '', body_html = '', headers = ''"
                   " WHERE id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    gz_bind_text(st, 2, via);
    return gz_db_exec_stmt(db, st);
}

int gz_store_outbox_retry(struct gz_db *db, long long id, long long next_try_at,
                          const char *error, int failed)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE outbox SET status = CASE WHEN ?4 THEN 'failed'"
                   " ELSE 'queued' END, next_try_at = ?2, last_error = ?3"
                   " WHERE id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, next_try_at);
    gz_bind_text(st, 3, error);
    sqlite3_bind_int(st, 4, failed);
    return gz_db_exec_stmt(db, st);
}

/* The oldest published story not yet announced, as {id, slug, title,
 * excerpt, url}; NULL with *err 0 when there is none. */
static json_t *unannounced(struct gz_db *db, int *err)
{
    *err = 0;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, slug, title, excerpt, substr(plain, 1, 2000)"
                   " FROM articles WHERE notified = 0"
                   " AND status = 'published'"
                   " ORDER BY published_at, id LIMIT 1"));
    if (!st) {
        *err = GZ_EDB;
        return NULL;
    }
    int rc = sqlite3_step(st);
    json_t *a = NULL;
    if (rc == SQLITE_ROW) {
        char url[320];
        snprintf(url, sizeof url, "/articles/%s", gz_col_text(st, 1));
        const char *excerpt = gz_col_text(st, 3);
        char *cut =
            excerpt[0] ? NULL : gz_text_excerpt(gz_col_text(st, 4), 300);
        a = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id",
                      (json_int_t)sqlite3_column_int64(st, 0), "slug",
                      gz_col_text(st, 1), "title", gz_col_text(st, 2),
                      "excerpt", excerpt[0] ? excerpt : (cut ? cut : ""), "url",
                      url);
        free(cut);
        if (!a)
            *err = GZ_ENOMEM;
    } else if (rc != SQLITE_DONE) {
        *err = GZ_EDB;
    }
    sqlite3_reset(st);
    return a;
}

int gz_store_outbox_fanout(struct gz_db *db,
                           int (*compose)(void *ctx, json_t *article,
                                          const char *email, const char *name,
                                          const char *token,
                                          struct gz_mail_msg *msg),
                           void *ctx, long long *article_id)
{
    int err = 0, queued = 0, rc = GZ_EDB;
    json_t *a = NULL;
    sqlite3_stmt *subs = NULL;
    *article_id = 0;
    /* A cheap look first, so an idle sender takes no write lock. */
    json_t *peek = unannounced(db, &err);
    if (!peek)
        return err;
    json_decref(peek);
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    /* Again inside the transaction: what it finds is what it marks. */
    a = unannounced(db, &err);
    if (!a) {
        rc = err;
        goto out;
    }
    long long id = json_integer_value(json_object_get(a, "id"));
    subs = gz_db_stmt(db, GZ_SQL("SELECT id, email, name FROM subscribers"
                                 " WHERE status = 'active' ORDER BY id"));
    if (!subs)
        goto out;
    int step;
    while ((step = sqlite3_step(subs)) == SQLITE_ROW) {
        char token[65], hash[65], email[256], name[256];
        struct gz_mail_msg msg = {0};
        long long sid = sqlite3_column_int64(subs, 0);
        snprintf(email, sizeof email, "%s", gz_col_text(subs, 1));
        snprintf(name, sizeof name, "%s", gz_col_text(subs, 2));
        if (gz_random_token(token) != 0) {
            rc = GZ_EIO;
            goto out;
        }
        gz_store_token_hash(token, hash);
        if (compose(ctx, a, email, name, token, &msg) != 0) {
            gz_mail_msg_clear(&msg);
            rc = GZ_ENOMEM;
            goto out;
        }
        int added =
            gz_store_outbox_add(db, "notify", email, &msg, id, sid, hash);
        gz_mail_msg_clear(&msg);
        if (added != 0)
            goto out;
        queued++;
    }
    if (step != SQLITE_DONE)
        goto out;
    sqlite3_reset(subs);
    subs = NULL;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE articles SET notified = 1 WHERE id = ?1"));
    if (!st)
        goto out;
    sqlite3_bind_int64(st, 1, id);
    if (gz_db_exec_stmt(db, st) != 0 || gz_db_tx_commit(db) != 0)
        goto out;
    *article_id = id;
    json_decref(a);
    return queued;
out:
    if (subs)
        sqlite3_reset(subs);
    gz_db_tx_rollback(db);
    json_decref(a);
    return rc;
}

json_t *gz_store_outbox_progress(struct gz_db *db, int limit)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT o.article_id, a.title, a.slug, count(*),"
                   " sum(o.status = 'sent'),"
                   " sum(o.status IN ('queued', 'sending')),"
                   " sum(o.status = 'failed'),"
                   " max(CASE WHEN o.status != 'sent' THEN o.last_error END),"
                   " min(o.created_at), max(o.sent_at)"
                   " FROM outbox o JOIN articles a ON a.id = o.article_id"
                   " WHERE o.kind = 'notify' GROUP BY o.article_id"
                   " ORDER BY min(o.id) DESC LIMIT ?1"));
    if (!st)
        return NULL;
    sqlite3_bind_int(st, 1, limit);
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char url[320], first[32], first_h[40], last[32] = "";
        snprintf(url, sizeof url, "/articles/%s", gz_col_text(st, 2));
        gz_time_rfc3339(sqlite3_column_int64(st, 8), first);
        gz_time_human(sqlite3_column_int64(st, 8), first_h);
        if (sqlite3_column_type(st, 9) != SQLITE_NULL)
            gz_time_rfc3339(sqlite3_column_int64(st, 9), last);
        long long total = sqlite3_column_int64(st, 3);
        long long sent = sqlite3_column_int64(st, 4);
        json_t *p = json_pack(
            "{s:I, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s, s:s, s:s, s:I,"
            " s:b}",
            "article_id", (json_int_t)sqlite3_column_int64(st, 0), "title",
            gz_col_text(st, 1), "url", url, "total", (json_int_t)total, "sent",
            (json_int_t)sent, "queued", (json_int_t)sqlite3_column_int64(st, 5),
            "failed", (json_int_t)sqlite3_column_int64(st, 6), "last_error",
            gz_col_json_str(st, 7), "first_at", first, "first_human", first_h,
            "last_sent_at", last, "percent",
            (json_int_t)(total ? sent * 100 / total : 100), "done",
            sqlite3_column_int64(st, 5) == 0);
        json_array_append_new(list, p);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *gz_store_outbox_counts(struct gz_db *db)
{
    json_t *counts = json_pack("{s:i, s:i, s:i, s:i}", "queued", 0, "sending",
                               0, "sent", 0, "failed", 0);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT status, count(*) FROM outbox GROUP BY status"));
    if (!st)
        return counts;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(counts, gz_col_text(st, 0),
                            json_integer(sqlite3_column_int64(st, 1)));
    sqlite3_reset(st);
    return counts;
}
