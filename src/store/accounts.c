/*
 * accounts.c - the store half of each user's own account (gazette/
 * accounts.h): profile rows, password changes that end the other
 * sessions, password reset tokens (only their SHA-256 is stored, as for
 * sessions and API tokens; a token works once, until it expires), the
 * last sign-in time, and the operator's list of accounts.
 *
 * Threads: no state of its own; every call uses the caller's connection.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "gazette/accounts.h"
#include "internal.h"

json_t *gz_store_profile_load(struct gz_db *db, long long user_id, int *err)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, email, name, slug, bio, avatar_url"
                   " FROM users WHERE id = ?1"));
    *err = GZ_EDB;
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, user_id);
    int rc = sqlite3_step(st);
    json_t *row = rc == SQLITE_ROW ? gz_row_json(st) : NULL;
    sqlite3_reset(st);
    if (!row && rc == SQLITE_DONE)
        *err = GZ_ENOTFOUND;
    return row;
}

int gz_store_profile_save(struct gz_db *db, long long user_id,
                          const char *name, const char *bio,
                          const char *avatar_url, json_t *errors)
{
    size_t nl = strlen(name), bl = strlen(bio);
    if (nl == 0 || !gz_utf8_valid_text(name, nl) ||
        gz_utf8_len(name, nl) > 80 || strpbrk(name, "\r\n\t"))
        json_object_set_new(errors, "name",
                            json_string("Enter a name of 1 to 80 characters."));
    if (!gz_utf8_valid_text(bio, bl) || gz_utf8_len(bio, bl) > GZ_BIO_MAX)
        json_object_set_new(errors, "bio",
                            json_string("Keep the bio to 2,000 characters of "
                                        "plain text."));
    if (json_object_size(errors))
        return GZ_EINVAL;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE users SET name = ?2, bio = ?3,"
                   " avatar_url = coalesce(?4, avatar_url) WHERE id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, user_id);
    gz_bind_text(st, 2, name);
    gz_bind_text(st, 3, bio);
    gz_bind_text(st, 4, avatar_url); /* NULL binds NULL: kept */
    if (gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    return sqlite3_changes(db->h) ? 0 : GZ_ENOTFOUND;
}

const char *gz_store_password_problem(const char *password,
                                      const char *password2,
                                      const char **field)
{
    size_t pl = strlen(password);
    *field = "password";
    if (pl < 10 || pl > 1024)
        return "Use a password of at least 10 characters.";
    if (password2 && strcmp(password, password2) != 0) {
        *field = "password2";
        return "The two passwords differ.";
    }
    *field = NULL;
    return NULL;
}

int gz_store_password_set(struct gz_db *db, long long user_id,
                          const char *password, const char *keep_token)
{
    char hash[crypto_pwhash_STRBYTES], keep[65] = "";
    if (crypto_pwhash_str(hash, password, strlen(password),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return GZ_ENOMEM;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE users SET password_hash = ?2 WHERE id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, user_id);
    gz_bind_text(st, 2, hash);
    if (gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    if (!sqlite3_changes(db->h))
        return GZ_ENOTFOUND;
    /* SECURITY: a new password ends every other session, so whoever knew
     * the old one is signed out too. */
    if (keep_token)
        gz_store_token_hash(keep_token, keep);
    st = gz_db_stmt(db, GZ_SQL("DELETE FROM sessions WHERE user_id = ?1"
                               " AND token_hash != ?2"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, user_id);
    gz_bind_text(st, 2, keep);
    return gz_db_exec_stmt(db, st);
}

int gz_store_password_check(struct gz_db *db, long long user_id,
                            const char *password)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT password_hash FROM users WHERE id = ?1"
                   " AND password_hash IS NOT NULL"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, user_id);
    char hash[crypto_pwhash_STRBYTES] = "";
    if (sqlite3_step(st) == SQLITE_ROW)
        snprintf(hash, sizeof hash, "%s", gz_col_text(st, 0));
    sqlite3_reset(st);
    if (!hash[0])
        return 0;
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

int gz_store_reset_create(struct gz_db *db, const char *email,
                          const char *token, int ttl, long long *user_id,
                          char name[static 128], char stored[static 256])
{
    *user_id = 0;
    name[0] = stored[0] = '\0';
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, name, email FROM users WHERE email = ?1"
                   " AND password_hash IS NOT NULL AND disabled = 0"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, email);
    long long id = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        snprintf(name, 128, "%s", gz_col_text(st, 1));
        snprintf(stored, 256, "%s", gz_col_text(st, 2));
    }
    sqlite3_reset(st);
    /* Spent and expired links are swept as new ones are made. */
    st = gz_db_stmt(db, GZ_SQL("DELETE FROM password_resets"
                               " WHERE expires_at < unixepoch() - 86400"
                               " OR used_at < unixepoch() - 86400"));
    if (st)
        gz_db_exec_stmt(db, st);
    if (!id)
        return 0;
    char hash[65];
    gz_store_token_hash(token, hash);
    st = gz_db_stmt(db, GZ_SQL("INSERT INTO password_resets (token_hash,"
                               " user_id, created_at, expires_at)"
                               " VALUES (?1, ?2, unixepoch(),"
                               " unixepoch() + ?3)"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_int(st, 3, ttl);
    if (gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    *user_id = id;
    return 0;
}

long long gz_store_reset_user(struct gz_db *db, const char *token)
{
    if (!token || strlen(token) != 64 ||
        strspn(token, "0123456789abcdef") != 64)
        return 0;
    char hash[65];
    gz_store_token_hash(token, hash);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT r.user_id FROM password_resets r"
                   " JOIN users u ON u.id = r.user_id"
                   " WHERE r.token_hash = ?1 AND r.used_at IS NULL"
                   " AND r.expires_at > unixepoch() AND u.disabled = 0"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    int rc = sqlite3_step(st);
    long long id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : GZ_EDB;
}

int gz_store_reset_use(struct gz_db *db, const char *token,
                       const char *password, long long *user_id)
{
    long long id = gz_store_reset_user(db, token);
    if (id < 0)
        return GZ_EDB;
    if (id == 0)
        return GZ_ENOTFOUND;
    int rc = gz_store_password_set(db, id, password, NULL);
    if (rc != 0)
        return rc;
    /* Single use: this link and any other open one of the user's. */
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE password_resets SET used_at = unixepoch()"
                   " WHERE user_id = ?1 AND used_at IS NULL"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    if (gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    *user_id = id;
    return 0;
}

void gz_store_user_signed_in(struct gz_db *db, long long user_id)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE users SET last_login_at = unixepoch()"
                   " WHERE id = ?1"));
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, user_id);
    gz_db_exec_stmt(db, st);
}

json_t *gz_store_accounts_list(struct gz_db *db)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, email, name, role, disabled,"
                   " password_hash IS NOT NULL, last_login_at"
                   " FROM users ORDER BY id"));
    if (!st)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *u = json_pack(
            "{s:I, s:o, s:o, s:o, s:b, s:b}", "id",
            (json_int_t)sqlite3_column_int64(st, 0), "email",
            gz_col_json_str(st, 1), "name", gz_col_json_str(st, 2), "role",
            gz_col_json_str(st, 3), "disabled", sqlite3_column_int(st, 4),
            "can_sign_in", sqlite3_column_int(st, 5));
        json_object_set_new(u, "last_login_at",
                            sqlite3_column_type(st, 6) == SQLITE_NULL
                                ? json_null()
                                : json_integer(sqlite3_column_int64(st, 6)));
        json_array_append_new(list, u);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

long long gz_store_user_by_email(struct gz_db *db, const char *email)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT id FROM users WHERE email = ?1"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, email);
    int rc = sqlite3_step(st);
    long long id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? id : GZ_EDB;
}
