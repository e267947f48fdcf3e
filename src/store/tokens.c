/*
 * tokens.c - API tokens: made for a user (shown once: the database keeps
 * only the SHA-256 of the token, as it does for session cookies), looked
 * up on every API call with a Bearer header, listed and revoked. A token
 * acts with its user's role, so disabling the user or lowering the role
 * takes effect on the next call.
 *
 * Tokens are "gzt_" and 64 hex digits (256 random bits): the prefix lets
 * secret scanners and people tell them from session cookies.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define TOKEN_NAME_MAX 80
#define TOUCH_EVERY 60 /* seconds between last_used_at writes */

int gz_store_api_token_create(struct gz_db *db, const char *name,
                              const char *email, char token[static 69],
                              long long *id)
{
    if (!name || !name[0] || gz_utf8_len(name, strlen(name)) > TOKEN_NAME_MAX ||
        !gz_utf8_valid_text(name, strlen(name)))
        return GZ_EINVAL;
    sqlite3_stmt *st =
        email ? gz_db_stmt(db, GZ_SQL("SELECT id FROM users WHERE email = ?1"
                                      " AND disabled = 0"))
              : gz_db_stmt(db, GZ_SQL("SELECT id FROM users WHERE role ="
                                      " 'admin' AND disabled = 0"
                                      " ORDER BY id LIMIT 1"));
    if (!st)
        return GZ_EDB;
    if (email)
        gz_bind_text(st, 1, email);
    int rc = sqlite3_step(st);
    long long user_id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;

    char secret[65], hash[65];
    if (gz_random_token(secret) != 0)
        return GZ_EIO;
    snprintf(token, 69, "gzt_%s", secret);
    gz_store_token_hash(token, hash);
    st = gz_db_stmt(db, GZ_SQL("INSERT INTO api_tokens (token_hash, user_id,"
                               " name, created_at) VALUES (?1, ?2, ?3,"
                               " unixepoch())"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, user_id);
    gz_bind_text(st, 3, name);
    if (gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    *id = sqlite3_last_insert_rowid(db->h);
    return 0;
}

int gz_store_api_token_user(struct gz_db *db, const char *token,
                            struct gz_session_user *out, long long *token_id)
{
    /* Anything not shaped like a token is not looked up at all. */
    if (!token || strlen(token) != 68 || strncmp(token, "gzt_", 4) != 0)
        return GZ_ENOTFOUND;
    char hash[65];
    gz_store_token_hash(token, hash);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT t.id, u.id, u.email, u.name, u.slug, u.role"
                   " FROM api_tokens t JOIN users u ON u.id = t.user_id"
                   " WHERE t.token_hash = ?1 AND t.revoked = 0"
                   " AND u.disabled = 0"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        *token_id = sqlite3_column_int64(st, 0);
        out->id = sqlite3_column_int64(st, 1);
        snprintf(out->email, sizeof out->email, "%s", gz_col_text(st, 2));
        snprintf(out->name, sizeof out->name, "%s", gz_col_text(st, 3));
        snprintf(out->slug, sizeof out->slug, "%s", gz_col_text(st, 4));
        snprintf(out->role, sizeof out->role, "%s", gz_col_text(st, 5));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

void gz_store_api_token_touch(struct gz_db *db, long long token_id)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("UPDATE api_tokens SET last_used_at = unixepoch()"
                              " WHERE id = ?1 AND (last_used_at IS NULL"
                              " OR last_used_at < unixepoch() - ?2)"));
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, token_id);
    sqlite3_bind_int(st, 2, TOUCH_EVERY);
    gz_db_exec_stmt(db, st);
}

json_t *gz_store_api_tokens_list(struct gz_db *db)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT t.id, t.name, u.email, u.name, u.role,"
                   " t.created_at, t.last_used_at, t.revoked"
                   " FROM api_tokens t JOIN users u ON u.id = t.user_id"
                   " ORDER BY t.id DESC"));
    if (!st)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *t = json_pack(
            "{s:I, s:o, s:o, s:o, s:o, s:I, s:b}", "id",
            (json_int_t)sqlite3_column_int64(st, 0), "name",
            gz_col_json_str(st, 1), "user_email", gz_col_json_str(st, 2),
            "user_name", gz_col_json_str(st, 3), "role", gz_col_json_str(st, 4),
            "created_at", (json_int_t)sqlite3_column_int64(st, 5), "revoked",
            sqlite3_column_int(st, 7));
        json_object_set_new(t, "last_used_at",
                            sqlite3_column_type(st, 6) == SQLITE_NULL
                                ? json_null()
                                : json_integer(sqlite3_column_int64(st, 6)));
        json_array_append_new(list, t);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

int gz_store_api_token_revoke(struct gz_db *db, long long id)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE api_tokens SET revoked = 1 WHERE id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    if (gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    return sqlite3_changes(db->h) ? 0 : GZ_ENOTFOUND;
}
