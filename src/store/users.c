/*
 * users.c - accounts and sessions: Argon2id password hashes (libsodium
 * crypto_pwhash_str), random session tokens stored only as their SHA-256,
 * a CSRF token per session, expiry.
 */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "gazette/html.h"
#include "internal.h"

void gz_store_token_hash(const char *token, char out[static 65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
    gz_hex(h, sizeof h, out);
}

static long long count(struct gz_db *db, sqlite3_stmt *st)
{
    if (!st)
        return 0;
    long long n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0)
                                                 : 0;
    sqlite3_reset(st);
    return n;
}

long long gz_store_login_users(struct gz_db *db)
{
    return count(db, gz_db_stmt(db, GZ_SQL("SELECT count(*) FROM users"
                                           " WHERE password_hash IS NOT NULL"
                                           " AND disabled = 0")));
}

long long gz_store_admin_count(struct gz_db *db)
{
    return count(db, gz_db_stmt(db, GZ_SQL("SELECT count(*) FROM users"
                                           " WHERE password_hash IS NOT NULL"
                                           " AND disabled = 0"
                                           " AND role = 'admin'")));
}

static int email_ok(const char *e)
{
    size_t n = strlen(e);
    const char *at = strchr(e, '@');
    return n >= 3 && n <= 254 && at && at != e && at[1] && !strchr(at + 1, '@') &&
           !strpbrk(e, " \t\r\n<>\"',;()[]\\") && gz_utf8_valid_text(e, n);
}

int gz_store_user_create(struct gz_db *db, const char *email,
                         const char *name, const char *role,
                         const char *password, long long *id, char *err,
                         size_t errlen, const char **field)
{
    size_t nl = strlen(name), pl = strlen(password);
    *field = NULL;
    if (!email_ok(email)) {
        *field = "email";
        snprintf(err, errlen, "Enter a valid email address.");
        return GZ_EINVAL;
    }
    if (nl == 0 || !gz_utf8_valid_text(name, nl) || gz_utf8_len(name, nl) > 80 ||
        strpbrk(name, "\r\n")) {
        *field = "name";
        snprintf(err, errlen, "Enter a name of 1 to 80 characters.");
        return GZ_EINVAL;
    }
    if (strcmp(role, "admin") && strcmp(role, "editor") &&
        strcmp(role, "author")) {
        *field = "role";
        snprintf(err, errlen, "Choose admin, editor or author.");
        return GZ_EINVAL;
    }
    if (pl < 10 || pl > 1024) {
        *field = "password";
        snprintf(err, errlen, "Use a password of at least 10 characters.");
        return GZ_EINVAL;
    }
    char hash[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(hash, password, pl, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        snprintf(err, errlen, "Out of memory while hashing the password.");
        return GZ_ENOMEM;
    }
    /* An author known from an import, without a password, becomes a real
     * account; an account that can already sign in is a conflict. */
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, password_hash IS NOT NULL FROM users"
                   " WHERE email = ?1"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, email);
    long long existing = 0;
    int has_pw = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        existing = sqlite3_column_int64(st, 0);
        has_pw = sqlite3_column_int(st, 1);
    }
    sqlite3_reset(st);
    if (existing && has_pw) {
        *field = "email";
        snprintf(err, errlen, "A user with this email already exists.");
        return GZ_ECONFLICT;
    }
    if (existing) {
        st = gz_db_stmt(db, GZ_SQL("UPDATE users SET password_hash = ?2,"
                                   " role = ?3, name = ?4, disabled = 0"
                                   " WHERE id = ?1"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_int64(st, 1, existing);
        gz_bind_text(st, 2, hash);
        gz_bind_text(st, 3, role);
        gz_bind_text(st, 4, name);
        int rc = gz_db_exec_stmt(db, st);
        *id = existing;
        return rc;
    }
    char base[96], slug[112];
    gz_slugify(name, base, sizeof base);
    snprintf(slug, sizeof slug, "%s", base);
    for (int n = 2; n < 1000; n++) {
        st = gz_db_stmt(db, GZ_SQL("SELECT 1 FROM users WHERE slug = ?1"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 1, slug);
        int taken = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        if (!taken)
            break;
        snprintf(slug, sizeof slug, "%s-%d", base, n);
    }
    st = gz_db_stmt(db, GZ_SQL("INSERT INTO users (email, name, slug, role,"
                               " password_hash, created_at)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, unixepoch())"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, email);
    gz_bind_text(st, 2, name);
    gz_bind_text(st, 3, slug);
    gz_bind_text(st, 4, role);
    gz_bind_text(st, 5, hash);
    int rc = gz_db_exec_stmt(db, st);
    if (rc == GZ_ECONFLICT) {
        *field = "email";
        snprintf(err, errlen, "A user with this email already exists.");
        return rc;
    }
    *id = sqlite3_last_insert_rowid(db->h);
    return rc;
}

static char dummy[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy(void)
{
    if (crypto_pwhash_str(dummy, "not a password", 14,
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        dummy[0] = '\0';
}

long long gz_store_user_verify(struct gz_db *db, const char *email,
                               const char *password)
{
    /* A hash to verify against when the email is unknown, so that an
     * unknown address takes as long as a wrong password. Made once. */
    pthread_once(&dummy_once, make_dummy);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, password_hash, disabled FROM users"
                   " WHERE email = ?1 AND password_hash IS NOT NULL"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, email);
    char hash[crypto_pwhash_STRBYTES] = "";
    long long id = 0;
    int disabled = 1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        snprintf(hash, sizeof hash, "%s", gz_col_text(st, 1));
        disabled = sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    int ok = crypto_pwhash_str_verify(id ? hash : dummy, password,
                                      strlen(password)) == 0;
    return ok && id && !disabled ? id : 0;
}

int gz_store_session_create(struct gz_db *db, long long user_id, int ttl,
                            char token[static 65])
{
    char csrf[65], hash[65];
    if (gz_random_token(token) != 0 || gz_random_token(csrf) != 0)
        return GZ_EIO;
    gz_store_token_hash(token, hash);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO sessions (token_hash, user_id, csrf,"
                   " created_at, expires_at)"
                   " VALUES (?1, ?2, ?3, unixepoch(), unixepoch() + ?4)"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, user_id);
    gz_bind_text(st, 3, csrf);
    sqlite3_bind_int(st, 4, ttl);
    int rc = gz_db_exec_stmt(db, st);
    /* Expired sessions are swept as new ones start. */
    st = gz_db_stmt(db, GZ_SQL("DELETE FROM sessions"
                               " WHERE expires_at < unixepoch()"));
    if (st)
        gz_db_exec_stmt(db, st);
    return rc;
}

int gz_store_session_get(struct gz_db *db, const char *token,
                         struct gz_session_user *out)
{
    char hash[65];
    gz_store_token_hash(token, hash);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT u.id, u.email, u.name, u.slug, u.role, s.csrf"
                   " FROM sessions s JOIN users u ON u.id = s.user_id"
                   " WHERE s.token_hash = ?1 AND s.expires_at > unixepoch()"
                   " AND u.disabled = 0 AND u.password_hash IS NOT NULL"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        snprintf(out->email, sizeof out->email, "%s", gz_col_text(st, 1));
        snprintf(out->name, sizeof out->name, "%s", gz_col_text(st, 2));
        snprintf(out->slug, sizeof out->slug, "%s", gz_col_text(st, 3));
        snprintf(out->role, sizeof out->role, "%s", gz_col_text(st, 4));
        snprintf(out->csrf, sizeof out->csrf, "%s", gz_col_text(st, 5));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

int gz_store_session_delete(struct gz_db *db, const char *token)
{
    char hash[65];
    gz_store_token_hash(token, hash);
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("DELETE FROM sessions WHERE token_hash = ?1"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, hash);
    return gz_db_exec_stmt(db, st);
}

/* ---- trusted devices ---------------------------------------------------- */

/* The device key, made on first use. 0 or GZ_EDB. */
static int device_key(struct gz_db *db,
                      unsigned char key[crypto_auth_KEYBYTES])
{
    for (int pass = 0; pass < 2; pass++) {
        sqlite3_stmt *st = gz_db_stmt(
            db, GZ_SQL("SELECT value FROM secrets WHERE name = 'device'"));
        if (!st)
            return GZ_EDB;
        int found = sqlite3_step(st) == SQLITE_ROW &&
                    sqlite3_column_bytes(st, 0) == crypto_auth_KEYBYTES;
        if (found)
            memcpy(key, sqlite3_column_blob(st, 0), crypto_auth_KEYBYTES);
        sqlite3_reset(st);
        if (found)
            return 0;
        if (pass)
            break;
        /* INSERT OR IGNORE: two first sign-ins at once both end up with
         * the one key that won. */
        crypto_auth_keygen(key);
        st = gz_db_stmt(db, GZ_SQL("INSERT OR IGNORE INTO secrets (name,"
                                   " value, created_at) VALUES ('device', ?1,"
                                   " unixepoch())"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_blob(st, 1, key, crypto_auth_KEYBYTES, SQLITE_TRANSIENT);
        if (gz_db_exec_stmt(db, st) != 0)
            return GZ_EDB;
    }
    return GZ_EDB;
}

/* The MAC of "device|<id>|<lowercase email>" as hex into mac (65). */
static int device_mac(struct gz_db *db, const char *id, const char *email,
                      char mac[65])
{
    unsigned char key[crypto_auth_KEYBYTES], tag[crypto_auth_BYTES];
    if (device_key(db, key) != 0)
        return GZ_EDB;
    struct gz_buf msg;
    gz_buf_init(&msg);
    gz_buf_printf(&msg, "device|%s|", id);
    for (const char *p = email; *p; p++) {
        char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
        gz_buf_append(&msg, &c, 1);
    }
    crypto_auth(tag, (const unsigned char *)gz_buf_cstr(&msg), msg.len, key);
    gz_buf_free(&msg);
    sodium_memzero(key, sizeof key);
    gz_hex(tag, sizeof tag, mac);
    return 0;
}

int gz_store_device_cookie(struct gz_db *db, const char *email,
                           char out[static 130])
{
    unsigned char raw[16];
    char id[33], mac[65];
    if (gz_random(raw, sizeof raw) != 0)
        return GZ_EIO;
    gz_hex(raw, sizeof raw, id);
    if (device_mac(db, id, email, mac) != 0)
        return GZ_EDB;
    snprintf(out, 130, "%s.%s", id, mac);
    return 0;
}

int gz_store_device_check(struct gz_db *db, const char *email,
                          const char *value, char id_out[static 33])
{
    char id[33], mac[65];
    if (!value || strlen(value) != 32 + 1 + 64 || value[32] != '.' ||
        strspn(value, "0123456789abcdef") != 32)
        return 0;
    memcpy(id, value, 32);
    id[32] = '\0';
    if (device_mac(db, id, email, mac) != 0)
        return 0;
    if (sodium_memcmp(mac, value + 33, 64) != 0)
        return 0;
    memcpy(id_out, id, 33);
    return 1;
}
