/*
 * db.c - opening SQLite connections, migrations, the per-connection
 * statement cache, transactions and online backup.
 *
 * A connection (struct gz_db) belongs to one thread at a time. Statements
 * are prepared once per connection and kept: the SQL literal's address is
 * the cache key, which GZ_SQL guarantees is a literal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/backup.h"
#include "internal.h"

struct gz_db *gz_db_open(const char *path, enum gz_db_mode mode,
                         const char *synchronous)
{
    struct gz_db *db = calloc(1, sizeof *db);
    if (!db)
        return NULL;
    int flags = mode == GZ_DB_READONLY
                    ? SQLITE_OPEN_READONLY
                    : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    flags |= SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        gz_log_err(1001, "cannot open database %s: %s", path,
                   db->h ? sqlite3_errmsg(db->h) : "out of memory");
        sqlite3_close(db->h);
        free(db);
        return NULL;
    }
    db->readonly = mode == GZ_DB_READONLY;
    sqlite3_busy_timeout(db->h, 5000);
    sqlite3_extended_result_codes(db->h, 1);
    char *errmsg = NULL;
    int rc;
    /* Page caches sized on purpose (issue 8: memory): every worker thread
     * holds a connection, so the default 2 MiB each is tens of MiB in
     * all; the stories' pages come from the OS's cache either way, and
     * the hot ones (indexes, the small tables) fit in 256 KiB (512 KiB for
     * the writing connection). */
    if (db->readonly) {
        rc = sqlite3_exec(db->h,
                          "PRAGMA foreign_keys=ON; PRAGMA cache_size=-256;",
                          NULL, NULL, &errmsg);
    } else {
        /* synchronous is checked by gz_config_check to be FULL or NORMAL;
         * it is chosen here between two literals, never pasted. */
        rc = sqlite3_exec(db->h,
                          "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
                          " PRAGMA cache_size=-512;",
                          NULL, NULL, &errmsg);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db->h,
                              synchronous && strcmp(synchronous, "NORMAL") == 0
                                  ? "PRAGMA synchronous=NORMAL;"
                                  : "PRAGMA synchronous=FULL;",
                              NULL, NULL, &errmsg);
    }
    if (rc != SQLITE_OK) {
        gz_log_err(1002, "cannot set up database %s: %s", path,
                   errmsg ? errmsg : sqlite3_errmsg(db->h));
        sqlite3_free(errmsg);
        gz_db_close(db);
        return NULL;
    }
    return db;
}

void gz_db_close(struct gz_db *db)
{
    if (!db)
        return;
    for (int i = 0; i < db->ncache; i++)
        sqlite3_finalize(db->cache[i].stmt);
    sqlite3_close(db->h);
    free(db);
}

sqlite3_stmt *gz_db_prepare_built(struct gz_db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v3(db->h, sql, -1, 0, &st, &tail) != SQLITE_OK) {
        gz_log_err(1011, "prepare failed: %s", sqlite3_errmsg(db->h));
        return NULL;
    }
    if (tail && *tail) {
        gz_log_err(1012, "more than one statement in built SQL");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

sqlite3_stmt *gz_db_stmt(struct gz_db *db, const char *sql)
{
    for (int i = 0; i < db->ncache; i++) {
        if (db->cache[i].sql == sql) {
            sqlite3_stmt *st = db->cache[i].stmt;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
    }
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           &tail) != SQLITE_OK) {
        gz_log_err(1003, "prepare failed: %s", sqlite3_errmsg(db->h));
        return NULL;
    }
    /* SECURITY: one statement per call, as Fossil checks. */
    while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' ||
                    *tail == ';'))
        tail++;
    if (tail && *tail) {
        gz_log_err(1004, "more than one statement in SQL text");
        sqlite3_finalize(st);
        return NULL;
    }
    if (db->ncache < GZ_STMT_CACHE) {
        db->cache[db->ncache].sql = sql;
        db->cache[db->ncache].stmt = st;
        db->ncache++;
    } else {
        GZ_ASSERT(!"statement cache full: raise GZ_STMT_CACHE");
    }
    return st;
}

int gz_db_exec_stmt(struct gz_db *db, sqlite3_stmt *st)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        ;
    if (rc != SQLITE_DONE) {
        gz_log_err(1005, "statement failed: %s", sqlite3_errmsg(db->h));
        sqlite3_reset(st);
        return rc == SQLITE_CONSTRAINT || (rc & 0xff) == SQLITE_CONSTRAINT
                   ? GZ_ECONFLICT
                   : GZ_EDB;
    }
    sqlite3_reset(st);
    return 0;
}

json_t *gz_col_json_str(sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return json_null();
    const char *s = (const char *)sqlite3_column_text(st, col);
    return json_stringn(s ? s : "", (size_t)sqlite3_column_bytes(st, col));
}

const char *gz_col_text(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);
    return s ? s : "";
}

int gz_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
    if (!s)
        return sqlite3_bind_null(st, idx);
    return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

static int exec_plain(struct gz_db *db, const char *sql)
{
    char *errmsg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &errmsg) != SQLITE_OK) {
        gz_log_err(1006, "%s", errmsg ? errmsg : sqlite3_errmsg(db->h));
        sqlite3_free(errmsg);
        return GZ_EDB;
    }
    return 0;
}

int gz_db_tx_begin(struct gz_db *db)
{
    return exec_plain(db, "BEGIN IMMEDIATE");
}

int gz_db_tx_commit(struct gz_db *db)
{
    return exec_plain(db, "COMMIT");
}

void gz_db_tx_rollback(struct gz_db *db)
{
    if (!sqlite3_get_autocommit(db->h))
        exec_plain(db, "ROLLBACK");
}

int gz_db_migrate(struct gz_db *db)
{
    if (exec_plain(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                       " version INTEGER PRIMARY KEY,"
                       " name TEXT NOT NULL,"
                       " applied_at INTEGER NOT NULL)") != 0)
        return GZ_EDB;
    int applied = 0;
    for (const struct gz_migration *m = gz_migrations; m->version; m++) {
        sqlite3_stmt *st = gz_db_stmt(
            db, GZ_SQL("SELECT 1 FROM schema_migrations WHERE version = ?1"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_int(st, 1, m->version);
        int done = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        if (done)
            continue;
        if (gz_db_tx_begin(db) != 0)
            return GZ_EDB;
        /* Migration files hold several statements: they are our own
         * embedded text, never input, so sqlite3_exec is right here. */
        if (exec_plain(db, m->sql) != 0) {
            gz_log_err(1007, "migration %s failed", m->name);
            gz_db_tx_rollback(db);
            return GZ_EDB;
        }
        st = gz_db_stmt(db, GZ_SQL("INSERT INTO schema_migrations"
                                   " (version, name, applied_at)"
                                   " VALUES (?1, ?2, unixepoch())"));
        if (!st) {
            gz_db_tx_rollback(db);
            return GZ_EDB;
        }
        sqlite3_bind_int(st, 1, m->version);
        gz_bind_text(st, 2, m->name);
        if (gz_db_exec_stmt(db, st) != 0 || gz_db_tx_commit(db) != 0) {
            gz_db_tx_rollback(db);
            return GZ_EDB;
        }
        gz_log_info(1008, "applied migration %s", m->name);
        applied++;
    }
    return applied;
}

int gz_db_ping(struct gz_db *db)
{
    sqlite3_stmt *st = gz_db_stmt(db, GZ_SQL("SELECT 1"));
    if (!st)
        return 0;
    int ok = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_reset(st);
    return ok;
}

int gz_db_backup(struct gz_db *db, const char *dest)
{
    /* One read snapshot for the whole copy (backup.c): a copy in steps
     * that each take a new one restarts whenever another connection
     * writes, which on a busy site is forever. */
    char err[600];
    int rc = gz_backup_copy(db, dest, NULL, NULL, err, sizeof err);
    if (rc != 0)
        gz_log_err(1010, "backup to %s failed: %s", dest, err);
    return rc;
}
