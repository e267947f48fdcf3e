/*
 * internal.h - what the files of src/store/ share: the connection struct,
 * the statement cache and the typed binding helpers. Only src/store/
 * includes this file (and sqlite3.h).
 */
#ifndef GAZETTE_STORE_INTERNAL_H
#define GAZETTE_STORE_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "gazette/db.h"
#include "gazette/store.h"

/* SQL text must be a string literal: a variable will not compile. */
#define GZ_SQL(x) ("" x "")

#define GZ_STMT_CACHE 256

struct gz_db {
    sqlite3 *h;
    int readonly;
    struct {
        const char *sql; /* the literal's address is the key */
        sqlite3_stmt *stmt;
    } cache[GZ_STMT_CACHE];
    int ncache;
};

/*
 * Returns the cached prepared statement for the literal `sql`, reset and
 * with bindings cleared; NULL (logged) if it does not prepare or has
 * anything but whitespace after the first statement. Borrowed: never
 * finalize it.
 */
sqlite3_stmt *gz_db_stmt(struct gz_db *db, const char *sql);

/* Runs a statement with no result rows; 0 or GZ_EDB (logged). */
int gz_db_exec_stmt(struct gz_db *db, sqlite3_stmt *st);

/* Column as a JSON string (NULL column -> JSON null). Owned. */
json_t *gz_col_json_str(sqlite3_stmt *st, int col);
/* Column text, "" for NULL. Borrowed until the next step. */
const char *gz_col_text(sqlite3_stmt *st, int col);

/* Binds text (NULL binds SQL NULL). SQLITE_TRANSIENT copies. */
int gz_bind_text(sqlite3_stmt *st, int idx, const char *s);

/*
 * Prepares SQL that was assembled at run time (the API's list filters),
 * uncached: the caller finalizes it. SECURITY: such SQL is built only
 * from GZ_SQL literal fragments chosen by code, never from input; every
 * value is bound. NULL (logged) when it does not prepare.
 */
sqlite3_stmt *gz_db_prepare_built(struct gz_db *db, const char *sql);

/* The reader's words as an FTS5 query of quoted prefix terms (never FTS5
 * syntax); returns the number of terms (0: nothing to search). */
int gz_store_fts_query(const char *q, struct gz_buf *out);
/* An FTS5 snippet with \x01/\x02 around matches as escaped HTML with
 * <mark>. Owned. */
char *gz_store_snippet_html(const char *raw);

#endif
