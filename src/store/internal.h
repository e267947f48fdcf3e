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

/* One row as {column name: value}: integers, reals, strings, null. A
 * column named "x_json" holds JSON text and becomes "x", parsed. The
 * rows the resource layer takes (gazette/store.h, rows.c). Owned. */
json_t *gz_row_json(sqlite3_stmt *st);
/* Steps st to the end (then resets it), collecting gz_row_json rows; NULL
 * on an error. Owned. */
json_t *gz_store_all_rows(sqlite3_stmt *st);
/* The OFFSET of a 1-based page, clamped so it cannot overflow. */
long long gz_store_offset(long long page, int limit);

/* The columns of a story row, for SELECT ... FROM articles a JOIN users u
 * ON u.id = a.author_id (gz_store_story_rows documents the names). */
#define GZ_STORY_COLS                                                      \
    "a.id, a.slug, a.title, a.status, a.excerpt AS custom_excerpt,"        \
    " CASE WHEN a.excerpt != '' THEN a.excerpt"                            \
    "      ELSE substr(a.plain, 1, 600) END AS excerpt_source,"            \
    " a.published_at, a.updated_at, a.created_at, a.reading_time,"        \
    " a.comments_open, a.image_url, a.image_alt, a.image_caption,"        \
    " a.image_width, a.image_height, a.author_id, u.name AS author_name,"  \
    " u.slug AS author_slug, u.bio AS author_bio,"                         \
    " u.avatar_url AS author_avatar,"                                      \
    " (SELECT json_group_array(json_object('id', t.id, 'name', t.name,"    \
    "   'slug', t.slug)) FROM (SELECT t.id, t.name, t.slug"                \
    "   FROM article_tags x JOIN tags t ON t.id = x.tag_id"                \
    "   WHERE x.article_id = a.id ORDER BY x.position, t.name) t)"         \
    "   AS tags_json,"                                                     \
    " (SELECT count(*) FROM comments c WHERE c.article_id = a.id"          \
    "   AND c.status = 'approved') AS comment_count"

/*
 * Prepares SQL that was assembled at run time (the API's list filters),
 * uncached: the caller finalizes it. SECURITY: such SQL is built only
 * from GZ_SQL literal fragments chosen by code, never from input; every
 * value is bound. NULL (logged) when it does not prepare.
 */
sqlite3_stmt *gz_db_prepare_built(struct gz_db *db, const char *sql);

/* The reader's words as an FTS5 query of quoted terms (never FTS5
 * syntax), at most 12 words: a word of three characters or more that is
 * not a term of db's index (any such word when db is NULL) is a prefix
 * ("telesc"*), others are exact ("harbour", "wo"). Bit i of *prefixes
 * (may be NULL) is set when word i is a prefix. Returns the number of
 * terms (0: nothing to search). */
int gz_store_fts_query(struct gz_db *db, const char *q, struct gz_buf *out,
                       unsigned *prefixes);

/* ---- bounded searches (articles.c; docs/DECISIONS.md) ---- */

/* One search under way: its slot among the searches running at once and
 * what is left of its budget (SQLite VM steps, thread CPU time). */
struct gz_search_run {
    long long steps_left;
    long long cpu_deadline_ns;
    int tripped; /* the budget ran out: the statement was interrupted */
    int held;    /* a slot is taken and the progress handler set */
    int slot;    /* gz_store_search_acquire's */
};
/* Takes a slot for client (gz_store_search_acquire) and sets the
 * budget's progress handler on db: 0, or GZ_SEARCH_BUSY or
 * GZ_SEARCH_SHARE (nothing taken). */
int gz_store_search_begin(struct gz_db *db, struct gz_search_run *run,
                          const char *client);
/* Removes the handler and gives the slot back (nothing when begin
 * failed): 0, or GZ_SEARCH_TOO_BROAD when the budget ran out, which made
 * a statement fail with SQLITE_INTERRUPT. */
int gz_store_search_end(struct gz_db *db, struct gz_search_run *run);

/* The column of a search's page holding the start of the body that
 * snippets are made from (gz_store_snippet_rows replaces it). */
#define GZ_SNIPPET_BODY_CHARS 16384 /* the number in the SQL below */
#define GZ_SNIPPET_BODY_COL "substr(a.plain, 1, 16384) AS snippet_body"

/* Snippets: the query's words tokenized as the index does them, word i
 * a prefix when bit i of prefixes is set (gz_store_fts_query's). NULL
 * when the tokenizer cannot be had (rows then get an empty snippet).
 * Owned: gz_store_snippet_free. */
struct gz_snippet_q;
struct gz_snippet_q *gz_store_snippet_prepare(struct gz_db *db,
                                              const char *q,
                                              unsigned prefixes);
void gz_store_snippet_free(struct gz_snippet_q *sq);
/* The snippet of one story as escaped HTML with <mark> around the words
 * that match: SNIPPET_TOKENS tokens of the body's start, the excerpt or
 * the title, whichever window holds the most distinct words. body_cut:
 * body is the start of a longer text. Owned; NULL when out of memory. */
char *gz_store_snippet_make(struct gz_snippet_q *sq, const char *title,
                            const char *excerpt, const char *body,
                            int body_cut);
/* In each row (title, custom_excerpt, snippet_body) sets snippet_html and
 * drops snippet_body. sq may be NULL. */
void gz_store_snippet_rows(struct gz_snippet_q *sq, json_t *rows);

#endif
