/*
 * subscribers.c - the store side of email subscriptions: signing up with
 * or without double opt-in (the confirmation mail is queued in the same
 * transaction), confirming, unsubscribing, and the admin's list, counts,
 * CSV rows and delete. Also the email address check shared with comments.
 *
 * Tokens: a confirmation token lives in subscribers.confirm_hash (its
 * SHA-256; the newest one only, valid GZ_CONFIRM_TTL seconds). Unsubscribe
 * tokens are one per new-story mail and live as the SHA-256 in the outbox
 * row of that mail (see outbox.c), so a token of one kind can never act
 * as the other. subscribers.unsub_hash of 0001 is left unused.
 *
 * Threads: each call uses the caller's connection (see store.h).
 */
#include <stdio.h>
#include <string.h>

#include "gazette/engage.h"
#include "internal.h"

/* ---- the address check -------------------------------------------------- */

static int label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-';
}

const char *gz_email_problem(const char *email)
{
    size_t n = strlen(email);
    if (n == 0)
        return "Enter an email address.";
    if (strpbrk(email, "\r\n"))
        return "Enter a valid email address on one line (no line breaks).";
    if (n > GZ_EMAIL_MAX)
        return "Enter a valid email address of at most 254 characters.";
    const char *at = strrchr(email, '@');
    if (!at)
        return "Enter a valid email address, with an @ in it.";
    if (strpbrk(email, " \t"))
        return "Enter a valid email address without spaces.";
    /* SECURITY: the address goes into SMTP commands and the To: header,
     * so only printable ASCII without the characters that have meaning
     * there (<>, quotes, commas, brackets, backslash) is accepted. */
    for (const unsigned char *p = (const unsigned char *)email; *p; p++)
        if (*p < 0x21 || *p > 0x7e || strchr("<>()[]\\,;:\"", *p))
            return "Enter a valid email address.";
    size_t local = (size_t)(at - email);
    if (local == 0 || local > 64 || memchr(email, '@', local))
        return "Enter a valid email address.";
    const char *d = at + 1;
    if (!strchr(d, '.'))
        return "Enter a valid email address.";
    /* Labels: 1-63 of [A-Za-z0-9-], not starting or ending with '-'. */
    const char *label = d;
    for (const char *p = d;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t ln = (size_t)(p - label);
            if (ln == 0 || ln > 63 || label[0] == '-' || p[-1] == '-')
                return "Enter a valid email address.";
            if (*p == '\0')
                break;
            label = p + 1;
        } else if (!label_char((unsigned char)*p)) {
            return "Enter a valid email address.";
        }
    }
    return NULL;
}

/* ---- signing up ---------------------------------------------------------- */

int gz_store_subscribe(struct gz_db *db, const char *email, const char *name,
                       int double_opt_in, const char *confirm_hash,
                       const struct gz_mail_msg *mail,
                       enum gz_sub_outcome *outcome, int *queued)
{
    long long now = gz_now(), id = 0, sent_at = 0;
    char status[16] = "";
    int found = 0, send = 0, rc;
    const char *new_status = "pending";
    *queued = 0;
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT id, status, coalesce(confirm_sent_at, 0)"
                              " FROM subscribers WHERE email = ?1"));
    if (!st)
        goto fail;
    gz_bind_text(st, 1, email);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        found = 1;
        id = sqlite3_column_int64(st, 0);
        snprintf(status, sizeof status, "%s", gz_col_text(st, 1));
        sent_at = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        goto fail;

    if (!found) {
        *outcome = GZ_SUB_CREATED;
        new_status = double_opt_in ? "pending" : "active";
        send = double_opt_in;
        st = gz_db_stmt(
            db, GZ_SQL("INSERT INTO subscribers (email, name, status,"
                       " confirm_hash, confirm_sent_at, created_at,"
                       " confirmed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
        if (!st)
            goto fail;
        gz_bind_text(st, 1, email);
        gz_bind_text(st, 2, name ? name : "");
        gz_bind_text(st, 3, new_status);
        gz_bind_text(st, 4, send ? confirm_hash : NULL);
        if (send)
            sqlite3_bind_int64(st, 5, now);
        sqlite3_bind_int64(st, 6, now);
        if (!double_opt_in)
            sqlite3_bind_int64(st, 7, now);
        if (gz_db_exec_stmt(db, st) != 0)
            goto fail;
        id = sqlite3_last_insert_rowid(db->h);
    } else if (strcmp(status, "active") == 0) {
        /* NOTE: nothing changes and nothing is sent, but the reader gets
         * the same answer as for a new address (no enumeration). */
        *outcome = GZ_SUB_ALREADY;
    } else {
        if (!double_opt_in) {
            *outcome = GZ_SUB_REACTIVATED;
            new_status = "active";
        } else if (sent_at && now - sent_at < GZ_CONFIRM_RESEND) {
            /* SECURITY: one confirmation mail per address per day, so the
             * form cannot flood someone's inbox. The earlier mail's link
             * still works. */
            *outcome = GZ_SUB_THROTTLED;
            new_status = "pending";
        } else {
            *outcome = GZ_SUB_RESENT;
            new_status = "pending";
            send = 1;
        }
        st = gz_db_stmt(
            db, GZ_SQL("UPDATE subscribers SET status = ?2,"
                       " confirm_hash = coalesce(?3, confirm_hash),"
                       " confirm_sent_at = coalesce(?4, confirm_sent_at),"
                       " confirmed_at = CASE WHEN ?2 = 'active'"
                       "   THEN ?5 ELSE confirmed_at END"
                       " WHERE id = ?1"));
        if (!st)
            goto fail;
        sqlite3_bind_int64(st, 1, id);
        gz_bind_text(st, 2, new_status);
        gz_bind_text(st, 3, send ? confirm_hash : NULL);
        if (send)
            sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, now);
        /* SECURITY: a known address keeps the name it has: a stranger
         * re-submitting it must not choose the words of its next mail. */
        if (gz_db_exec_stmt(db, st) != 0)
            goto fail;
    }
    if (send) {
        if (gz_store_outbox_add(db, "confirm", email, mail, 0, id, NULL) != 0)
            goto fail;
        *queued = 1;
    }
    if (gz_db_tx_commit(db) != 0)
        goto fail;
    return 0;
fail:
    gz_db_tx_rollback(db);
    *queued = 0;
    return GZ_EDB;
}

/* ---- confirming and unsubscribing --------------------------------------- */

/* Steps st (columns id, status, email) to its one row and reads it; 0,
 * GZ_ENOTFOUND or GZ_EDB. The statement is reset. */
static int read_subscriber(sqlite3_stmt *st, long long *id,
                           char status[static 16], char email[static 256])
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        snprintf(status, 16, "%s", gz_col_text(st, 1));
        snprintf(email, 256, "%s", gz_col_text(st, 2));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

/* The subscriber of a confirmation token: 0 with id, status and email,
 * GZ_ENOTFOUND (unknown or expired) or GZ_EDB. */
static int by_confirm(struct gz_db *db, const char *token, long long *id,
                      char status[static 16], char email[static 256])
{
    char hash[65];
    if (strlen(token) != 64)
        return GZ_ENOTFOUND;
    gz_store_token_hash(token, hash);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, status, email FROM subscribers"
                   " WHERE confirm_hash = ?1 AND confirm_sent_at > ?2"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, gz_now() - GZ_CONFIRM_TTL);
    return read_subscriber(st, id, status, email);
}

int gz_store_subscriber_by_confirm(struct gz_db *db, const char *token,
                                   char status[static 16],
                                   char email[static 256])
{
    long long id;
    return by_confirm(db, token, &id, status, email);
}

/* Drops the mail still queued for subscriber id (inside a transaction). */
static int drop_queued(struct gz_db *db, long long id)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("DELETE FROM outbox WHERE subscriber_id = ?1"
                              " AND status = 'queued'"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    return gz_db_exec_stmt(db, st);
}

/* Sets the status of subscriber id; when unsubscribing, the new-story
 * mail still queued for them is dropped in the same transaction. */
static int set_status(struct gz_db *db, long long id, const char *status)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("UPDATE subscribers SET status = ?2,"
                              " confirmed_at = CASE WHEN ?2 = 'active'"
                              "   THEN unixepoch() ELSE confirmed_at END"
                              " WHERE id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    gz_bind_text(st, 2, status);
    if (gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    return strcmp(status, "unsubscribed") == 0 ? drop_queued(db, id) : 0;
}

int gz_store_subscriber_confirm(struct gz_db *db, const char *token)
{
    long long id;
    char status[16], email[256];
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    int rc = by_confirm(db, token, &id, status, email);
    if (rc == 0 && strcmp(status, "pending") == 0)
        rc = set_status(db, id, "active");
    else if (rc == 0 && strcmp(status, "active") != 0)
        rc = GZ_ENOTFOUND; /* unsubscribed since: sign up again */
    if (rc != 0 || gz_db_tx_commit(db) != 0) {
        gz_db_tx_rollback(db);
        return rc ? rc : GZ_EDB;
    }
    return 0;
}

static int by_unsub(struct gz_db *db, const char *token, long long *id,
                    char status[static 16], char email[static 256])
{
    char hash[65];
    if (strlen(token) != 64)
        return GZ_ENOTFOUND;
    gz_store_token_hash(token, hash);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT s.id, s.status, s.email FROM outbox o"
                   " JOIN subscribers s ON s.id = o.subscriber_id"
                   " WHERE o.token_hash = ?1 AND o.kind = 'notify'"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    return read_subscriber(st, id, status, email);
}

int gz_store_subscriber_by_unsub(struct gz_db *db, const char *token,
                                 char status[static 16], char email[static 256])
{
    long long id;
    return by_unsub(db, token, &id, status, email);
}

int gz_store_subscriber_unsubscribe(struct gz_db *db, const char *token)
{
    long long id;
    char status[16], email[256];
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    int rc = by_unsub(db, token, &id, status, email);
    if (rc == 0)
        rc = set_status(db, id, "unsubscribed");
    if (rc != 0 || gz_db_tx_commit(db) != 0) {
        gz_db_tx_rollback(db);
        return rc ? rc : GZ_EDB;
    }
    return 0;
}

/* ---- the admin's view ---------------------------------------------------- */

/* The one listing statement: filters ?1 status and ?2 words, newest first,
 * ?3 rows from ?4 (LIMIT -1 for all). instr() rather than LIKE, so % and _
 * typed in the search box are plain characters. */
static sqlite3_stmt *list_stmt(struct gz_db *db, const char *status,
                               const char *q, long long limit, long long offset)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, email, name, status, created_at, confirmed_at"
                   " FROM subscribers"
                   " WHERE (?1 IS NULL OR status = ?1)"
                   " AND (?2 IS NULL OR instr(lower(email), lower(?2)) > 0"
                   "      OR instr(lower(name), lower(?2)) > 0)"
                   " ORDER BY created_at DESC, id DESC LIMIT ?3 OFFSET ?4"));
    if (!st)
        return NULL;
    gz_bind_text(st, 1, status && *status ? status : NULL);
    gz_bind_text(st, 2, q && *q ? q : NULL);
    sqlite3_bind_int64(st, 3, limit);
    sqlite3_bind_int64(st, 4, offset);
    return st;
}

json_t *gz_store_subscribers_list(struct gz_db *db, const char *status,
                                  const char *q, long long page, int limit,
                                  long long *total)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT count(*) FROM subscribers"
                   " WHERE (?1 IS NULL OR status = ?1)"
                   " AND (?2 IS NULL OR instr(lower(email), lower(?2)) > 0"
                   "      OR instr(lower(name), lower(?2)) > 0)"));
    if (!st)
        return NULL;
    gz_bind_text(st, 1, status && *status ? status : NULL);
    gz_bind_text(st, 2, q && *q ? q : NULL);
    *total = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (page < 1)
        page = 1;
    st = list_stmt(db, status, q, limit, (page - 1) * (long long)limit);
    if (!st)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char iso[32], human[40], conf[32] = "";
        gz_time_rfc3339(sqlite3_column_int64(st, 4), iso);
        gz_time_human(sqlite3_column_int64(st, 4), human);
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            gz_time_rfc3339(sqlite3_column_int64(st, 5), conf);
        json_array_append_new(
            list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id",
                            (json_int_t)sqlite3_column_int64(st, 0), "email",
                            gz_col_text(st, 1), "name", gz_col_text(st, 2),
                            "status", gz_col_text(st, 3), "created_at", iso,
                            "created_human", human, "confirmed_at", conf));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

json_t *gz_store_subscriber_counts(struct gz_db *db)
{
    json_t *counts = json_pack("{s:i, s:i, s:i}", "pending", 0, "active", 0,
                               "unsubscribed", 0);
    long long total = 0;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT status, count(*) FROM subscribers GROUP BY status"));
    if (st) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_object_set_new(counts, gz_col_text(st, 0),
                                json_integer(sqlite3_column_int64(st, 1)));
            total += sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
    }
    json_object_set_new(counts, "total", json_integer(total));
    return counts;
}

int gz_store_subscribers_each(struct gz_db *db, const char *status,
                              const char *q,
                              void (*fn)(void *ctx, const char *const *cols),
                              void *ctx)
{
    sqlite3_stmt *st = list_stmt(db, status, q, -1, 0);
    if (!st)
        return GZ_EDB;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char created[32], confirmed[32] = "";
        gz_time_rfc3339(sqlite3_column_int64(st, 4), created);
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            gz_time_rfc3339(sqlite3_column_int64(st, 5), confirmed);
        const char *cols[5] = {gz_col_text(st, 1), gz_col_text(st, 2),
                               gz_col_text(st, 3), created, confirmed};
        fn(ctx, cols);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : GZ_EDB;
}

int gz_store_subscriber_delete(struct gz_db *db, long long id)
{
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    /* Mail not yet sent to them goes too; sent rows stay (with the
     * subscriber forgotten) so the mailing progress still adds up. */
    int n = 0;
    sqlite3_stmt *st;
    if (drop_queued(db, id) != 0)
        goto fail;
    st = gz_db_stmt(db, GZ_SQL("DELETE FROM subscribers WHERE id = ?1"));
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    if (gz_db_exec_stmt(db, st) != 0)
        goto fail;
    n = sqlite3_changes(db->h);
    if (gz_db_tx_commit(db) != 0)
        goto fail;
    return n ? 0 : GZ_ENOTFOUND;
fail:
    gz_db_tx_rollback(db);
    return GZ_EDB;
}
