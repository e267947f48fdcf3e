/*
 * rows.c - raw rows for the resource layer (src/view/resource.c): story,
 * tag, author, comment, subscriber and media rows as JSON objects keyed by
 * column name, with the values as stored.
 *
 * Story lists take the API's filters: status, tag, author, words, an NQL
 * tree (gazette/nql.h) and a whitelisted order. Their SQL is put together
 * at run time, but only from the literal fragments in this file; every
 * value from the request is bound as a parameter (SECURITY).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/nql.h"
#include "internal.h"


/* ---- generic ---------------------------------------------------------- */

json_t *gz_row_json(sqlite3_stmt *st)
{
    json_t *o = json_object();
    int n = sqlite3_column_count(st);
    for (int i = 0; i < n; i++) {
        const char *name = sqlite3_column_name(st, i);
        size_t nl = strlen(name);
        json_t *v;
        switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
            v = json_integer(sqlite3_column_int64(st, i));
            break;
        case SQLITE_FLOAT:
            v = json_real(sqlite3_column_double(st, i));
            break;
        case SQLITE_NULL:
            v = json_null();
            break;
        default:
            if (nl > 5 && strcmp(name + nl - 5, "_json") == 0) {
                v = json_loads(gz_col_text(st, i), 0, NULL);
                if (!v)
                    v = json_null();
                json_object_setn_new(o, name, nl - 5, v);
                continue;
            }
            v = gz_col_json_str(st, i);
            break;
        }
        json_object_set_new(o, name, v);
    }
    return o;
}

json_t *gz_store_all_rows(sqlite3_stmt *st)
{
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, gz_row_json(st));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static long long count_of(sqlite3_stmt *st)
{
    long long n =
        sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return n;
}

long long gz_store_offset(long long page, int limit)
{
    /* Past any real page: clamp so the multiplication cannot overflow
     * (an overflowed negative OFFSET would read as 0: page 1 again). */
    if (page < 1)
        page = 1;
    if (page > 1000000000LL)
        page = 1000000000LL;
    return (page - 1) * (long long)limit;
}

/* ---- stories ---------------------------------------------------------- */

/* SQL under construction and the values to bind, in order. */
struct built {
    struct gz_buf sql;
    json_t *binds; /* strings and integers */
    char *err;
    size_t errlen;
    int bad;
};

static void bind_str(struct built *b, const char *v)
{
    json_array_append_new(b->binds, json_string_nocheck(v) /* bytes as given */);
}

static void bind_int(struct built *b, long long v)
{
    json_array_append_new(b->binds, json_integer(v));
}

static int bind_all(sqlite3_stmt *st, json_t *binds, int first)
{
    size_t i;
    json_t *v;
    json_array_foreach(binds, i, v)
    {
        int idx = first + (int)i;
        if (json_is_integer(v))
            sqlite3_bind_int64(st, idx, json_integer_value(v));
        else
            gz_bind_text(st, idx, json_string_value(v));
    }
    return first + (int)json_array_size(binds);
}

static void bad_filter(struct built *b, const char *fmt, const char *key)
{
    if (!b->bad)
        snprintf(b->err, b->errlen, fmt, key);
    b->bad = 1;
}

/* A date ("2026-01-01", midnight UTC) or RFC 3339 time; -1 if neither. */
static long long filter_time(const char *v)
{
    char full[40];
    if (strlen(v) == 10) {
        snprintf(full, sizeof full, "%sT00:00:00Z", v);
        return gz_time_parse_rfc3339(full);
    }
    return gz_time_parse_rfc3339(v);
}

static const char *op_sql(enum gz_nql_op op)
{
    switch (op) {
    case GZ_NQL_EQ:
        return " = ?";
    case GZ_NQL_NE:
        return " != ?";
    case GZ_NQL_GT:
        return " > ?";
    case GZ_NQL_GE:
        return " >= ?";
    case GZ_NQL_LT:
        return " < ?";
    case GZ_NQL_LE:
        return " <= ?";
    default:
        return NULL;
    }
}

/* "(?, ?, ?)" for n values, binding them. */
static void value_list(struct built *b, const struct gz_nql *n)
{
    gz_buf_puts(&b->sql, " IN (");
    for (size_t i = 0; i < n->nvalues; i++) {
        gz_buf_puts(&b->sql, i ? ", ?" : "?");
        bind_str(b, n->values[i]);
    }
    gz_buf_puts(&b->sql, ")");
}

/* A text column compared with =, !=, IN, NOT IN. */
static void text_cmp(struct built *b, const char *column,
                     const struct gz_nql *n)
{
    if (n->op != GZ_NQL_EQ && n->op != GZ_NQL_NE && n->op != GZ_NQL_IN &&
        n->op != GZ_NQL_NIN) {
        bad_filter(b, "%s takes only :value, :-value and :[a,b]", n->key);
        return;
    }
    gz_buf_puts(&b->sql, column);
    if (n->op == GZ_NQL_IN || n->op == GZ_NQL_NIN) {
        if (n->op == GZ_NQL_NIN)
            gz_buf_puts(&b->sql, " NOT");
        value_list(b, n);
    } else {
        gz_buf_puts(&b->sql, op_sql(n->op));
        bind_str(b, n->values[0]);
    }
}

static void compile(struct built *b, const struct gz_nql *n, int allow_status)
{
    if (b->bad)
        return;
    if (n->kind != GZ_NQL_CMP) {
        gz_buf_puts(&b->sql, "(");
        compile(b, n->left, allow_status);
        gz_buf_puts(&b->sql, n->kind == GZ_NQL_AND ? " AND " : " OR ");
        compile(b, n->right, allow_status);
        gz_buf_puts(&b->sql, ")");
        return;
    }
    const char *k = n->key;
    if (strcmp(k, "tag") == 0) {
        if (n->op != GZ_NQL_EQ && n->op != GZ_NQL_NE && n->op != GZ_NQL_IN &&
            n->op != GZ_NQL_NIN) {
            bad_filter(b, "%s takes only :value, :-value and :[a,b]", k);
            return;
        }
        gz_buf_puts(&b->sql, n->op == GZ_NQL_NE || n->op == GZ_NQL_NIN
                                 ? "a.id NOT IN"
                                 : "a.id IN");
        gz_buf_puts(&b->sql, " (SELECT x.article_id FROM article_tags x"
                             " JOIN tags t ON t.id = x.tag_id WHERE t.slug");
        value_list(b, n);
        gz_buf_puts(&b->sql, ")");
    } else if (strcmp(k, "author") == 0) {
        text_cmp(b, "u.slug", n);
    } else if (strcmp(k, "slug") == 0) {
        text_cmp(b, "a.slug", n);
    } else if (strcmp(k, "status") == 0) {
        if (!allow_status) {
            bad_filter(b, "%s is for signed-in callers only", k);
            return;
        }
        text_cmp(b, "a.status", n);
    } else if (strcmp(k, "id") == 0 || strcmp(k, "published_at") == 0 ||
               strcmp(k, "updated_at") == 0 || strcmp(k, "created_at") == 0) {
        int is_id = k[0] == 'i';
        const char *col = is_id         ? "a.id"
                          : k[0] == 'p' ? "a.published_at"
                          : k[0] == 'u' ? "a.updated_at"
                                        : "a.created_at";
        if (n->op == GZ_NQL_IN || n->op == GZ_NQL_NIN) {
            bad_filter(b, "%s takes no [list]", k);
            return;
        }
        long long v;
        if (is_id ? gz_parse_int(n->values[0], 0, 1LL << 62, &v) != 0
                  : (v = filter_time(n->values[0])) < 0) {
            bad_filter(b,
                       is_id ? "%s needs a whole number"
                             : "%s needs a date (2026-01-01) or an RFC 3339 "
                               "time",
                       k);
            return;
        }
        gz_buf_puts(&b->sql, col);
        gz_buf_puts(&b->sql, op_sql(n->op));
        bind_int(b, v);
    } else {
        bad_filter(b,
                   "unknown key '%s' (known: tag, author, slug, id, "
                   "published_at, updated_at, created_at, status)",
                   k);
    }
}

/* The WHERE part shared by the count and the page. With fts_join the
 * statement reads from articles_fts f joined to the stories (a search:
 * matches in the index's order, or ranked), else words are a filter. */
static void story_where(struct built *b, const struct gz_story_filter *f,
                        const char *fts, int fts_join)
{
    gz_buf_puts(&b->sql, " WHERE 1");
    const char *status = f->status ? f->status : "published";
    if (strcmp(status, "all") != 0) {
        gz_buf_puts(&b->sql, " AND a.status = ?");
        bind_str(b, status);
    }
    /* A story in the trash is in no list (sql/0012_revisions.sql). The
     * trash makes it a draft, so only lists that can hold drafts ask:
     * the public lists and search keep reading their covering index
     * (articles_id_status, 0007) instead of every match's row. */
    if (strcmp(status, "published") != 0 && strcmp(status, "scheduled") != 0)
        gz_buf_puts(&b->sql, " AND a.deleted_at IS NULL");
    if (f->own_author_id > 0) {
        gz_buf_puts(&b->sql,
                    " AND (a.status = 'published' OR a.author_id = ?)");
        bind_int(b, f->own_author_id);
    }
    if (f->slug) {
        gz_buf_puts(&b->sql, " AND a.slug = ?");
        bind_str(b, f->slug);
    }
    if (f->id > 0) {
        gz_buf_puts(&b->sql, " AND a.id = ?");
        bind_int(b, f->id);
    }
    if (f->tag_slug) {
        gz_buf_puts(&b->sql, " AND a.id IN (SELECT x.article_id FROM"
                             " article_tags x JOIN tags t ON t.id = x.tag_id"
                             " WHERE t.slug = ?)");
        bind_str(b, f->tag_slug);
    }
    if (f->author_slug) {
        gz_buf_puts(&b->sql, " AND u.slug = ?");
        bind_str(b, f->author_slug);
    }
    if (fts) {
        gz_buf_puts(&b->sql, fts_join ? " AND articles_fts MATCH ?"
                                      : " AND a.id IN (SELECT rowid FROM"
                                        " articles_fts WHERE articles_fts"
                                        " MATCH ?)");
        bind_str(b, fts);
    }
    if (f->filter) {
        gz_buf_puts(&b->sql, " AND ");
        compile(b, f->filter, f->allow_status_key);
    }
}

/* Runs the count statement in b (one integer) and empties b for the
 * next: 0, or -1 on an error. */
static int run_count(struct gz_db *db, struct built *b, long long *n)
{
    sqlite3_stmt *st = gz_db_prepare_built(db, gz_buf_cstr(&b->sql));
    if (!st)
        return -1;
    bind_all(st, b->binds, 1);
    int rc = sqlite3_step(st);
    *n = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    gz_buf_reset(&b->sql);
    json_array_clear(b->binds);
    return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * A search (q) has three plans (docs/DECISIONS.md, "Search: relevance
 * when matches are few, newest first when they are many"):
 * - RANKED: at most GZ_SEARCH_MAX_RESULTS stories match: all of them, by
 *   bm25 (a ranked search), total exact;
 * - NEWEST: more match, and the caller ranks or keeps the default order
 *   (newest first): the GZ_SEARCH_MAX_RESULTS newest matches, newest
 *   first, in the index's rowid order, which costs the page and not the
 *   matches; total is the cap and found->newest_first says so;
 * - FILTER: more match and another order was asked for: every match in
 *   that order (within the search's budget).
 * Which one is known from a count of the matches that stops one past the
 * cap, so a word in every story costs a thousand rows and not all.
 */
enum plan { PLAN_LIST, PLAN_RANKED, PLAN_NEWEST, PLAN_FILTER };

json_t *gz_store_story_rows(struct gz_db *db, const struct gz_story_filter *f,
                            struct gz_found *found, int *bad, char *err,
                            size_t errlen)
{
    *bad = 0;
    if (found)
        *found = (struct gz_found){0, 0};
    struct gz_buf fq;
    gz_buf_init(&fq);
    const char *fts = NULL;
    unsigned prefixes = 0;
    struct gz_search_run run = {0};
    struct gz_snippet_q *sq = NULL;
    if (f->q) {
        if (gz_store_fts_query(db, f->q, &fq, &prefixes) <= 0) {
            /* No searchable words: nothing matches. */
            gz_buf_free(&fq);
            return json_array();
        }
        fts = gz_buf_cstr(&fq);
    }
    /* CROSS JOIN keeps the index the outer loop: left to itself the
     * planner may walk every published story and run the MATCH once for
     * each (seconds at 100,000 stories, where this takes milliseconds). */
    static const char fts_from[] = " FROM articles_fts f CROSS JOIN"
                                   " articles a ON a.id = f.rowid CROSS JOIN"
                                   " users u ON u.id = a.author_id";
    static const char story_from[] = " FROM articles a JOIN users u"
                                     " ON u.id = a.author_id";
    /* The count and the ranking read only id, status and published_at of
     * each match: from the index of 0007, not the story's row. The users
     * join only when the author is asked for (every story has one). */
    int by_author = f->author_slug ||
                    (f->filter && gz_nql_uses(f->filter, "author"));
    const char *match_from =
        by_author ? GZ_SQL(" FROM articles_fts f CROSS JOIN articles a"
                           " INDEXED BY articles_id_status ON a.id = f.rowid"
                           " CROSS JOIN users u ON u.id = a.author_id")
                  : GZ_SQL(" FROM articles_fts f CROSS JOIN articles a"
                           " INDEXED BY articles_id_status"
                           " ON a.id = f.rowid");
    struct built b = {{0}, json_array(), err, errlen, 0};
    gz_buf_init(&b.sql);
    json_t *list = NULL;
    sqlite3_stmt *st = NULL;
    enum plan plan = PLAN_LIST;
    long long total = 0, offset = gz_store_offset(f->page, f->limit);
    int limit = f->limit;
    /* A search is bounded (articles.c): a slot among the searches running
     * at once, and a budget for the count and the page together. */
    if (fts) {
        int why = gz_store_search_begin(db, &run, f->client);
        if (why) {
            *bad = why;
            snprintf(err, errlen, why == GZ_SEARCH_SHARE
                                      ? "too many searches from one client"
                                      : "too many searches are running");
            goto out;
        }
        gz_buf_puts(&b.sql, "SELECT count(*) FROM (SELECT 1");
        gz_buf_puts(&b.sql, match_from);
        story_where(&b, f, fts, 1);
        if (b.bad)
            goto out;
        gz_buf_puts(&b.sql, " LIMIT ?)");
        bind_int(&b, GZ_SEARCH_MAX_RESULTS + 1);
        if (run_count(db, &b, &total) != 0)
            goto out;
        int newest_ok = f->rank || (f->order == GZ_ORDER_PUBLISHED &&
                                    !f->ascending);
        plan = total <= GZ_SEARCH_MAX_RESULTS ? (f->rank ? PLAN_RANKED
                                                         : PLAN_FILTER)
               : newest_ok ? PLAN_NEWEST
                           : PLAN_FILTER;
        if (plan == PLAN_NEWEST) {
            total = GZ_SEARCH_MAX_RESULTS;
            if (found)
                found->newest_first = 1;
            if (offset >= total) {
                list = json_array(); /* past the last page */
                goto out;
            }
            if (offset + limit > total)
                limit = (int)(total - offset);
        } else if (plan == PLAN_FILTER && total > GZ_SEARCH_MAX_RESULTS) {
            total = -1; /* counted below */
        }
    }
    if (!fts || total < 0) {
        if (found || total < 0) {
            /* Every story has its author: the join only filters when the
             * author is asked for, and otherwise makes the count read
             * every story's row (120 ms at 100,000 stories; the index
             * alone takes 5). */
            /* Every published story, unfiltered: the count 0006 keeps. */
            int all_published =
                !fts && !f->filter && !f->slug && !f->id && !f->tag_slug &&
                !f->author_slug && f->own_author_id <= 0 &&
                (!f->status || strcmp(f->status, "published") == 0);
            if (all_published) {
                gz_buf_puts(&b.sql,
                            "SELECT published FROM story_count WHERE id = 1");
            } else {
                gz_buf_puts(&b.sql, "SELECT count(*)");
                gz_buf_puts(&b.sql, by_author ? story_from
                                              : " FROM articles a");
                story_where(&b, f, fts, 0);
            }
            if (b.bad || run_count(db, &b, &total) != 0)
                goto out;
        }
    }
    if (found)
        found->total = total;

    gz_buf_puts(&b.sql, "SELECT " GZ_STORY_COLS);
    if (f->with_body)
        gz_buf_puts(&b.sql, ", a.html, a.markdown");
    if (plan == PLAN_RANKED) {
        /* The page's ids by rank first, then the columns of those alone:
         * only the rows shown cost more than their rank. */
        gz_buf_puts(&b.sql,
                    ", " GZ_SNIPPET_BODY_COL " FROM (SELECT a.id AS r_id,"
                    " bm25(articles_fts, 10.0, 4.0, 1.0) AS r_score,"
                    " a.published_at AS r_pa");
    } else if (plan == PLAN_NEWEST && f->rank) {
        gz_buf_puts(&b.sql, ", " GZ_SNIPPET_BODY_COL);
    }
    int fts_join = plan == PLAN_RANKED || plan == PLAN_NEWEST;
    gz_buf_puts(&b.sql, plan == PLAN_RANKED ? match_from
                        : fts_join          ? fts_from
                                            : story_from);
    story_where(&b, f, fts, fts_join);
    if (b.bad)
        goto out;
    static const char *const order_cols[] = {
        " ORDER BY a.published_at", " ORDER BY a.updated_at",
        " ORDER BY a.created_at", " ORDER BY a.title COLLATE NOCASE"};
    if (plan == PLAN_RANKED) {
        gz_buf_puts(&b.sql, " ORDER BY r_score, r_pa DESC, r_id DESC");
    } else if (plan == PLAN_NEWEST) {
        gz_buf_puts(&b.sql, " ORDER BY f.rowid DESC");
    } else {
        int o = f->order >= GZ_ORDER_PUBLISHED && f->order <= GZ_ORDER_TITLE
                    ? (int)f->order
                    : 0;
        gz_buf_puts(&b.sql, order_cols[o]);
        gz_buf_puts(&b.sql,
                    f->ascending ? " ASC, a.id ASC" : " DESC, a.id DESC");
    }
    gz_buf_puts(&b.sql, " LIMIT ? OFFSET ?");
    bind_int(&b, limit);
    bind_int(&b, offset);
    if (plan == PLAN_RANKED)
        gz_buf_puts(&b.sql, ") r JOIN articles a ON a.id = r.r_id"
                            " JOIN users u ON u.id = a.author_id"
                            " ORDER BY r.r_score, r.r_pa DESC, r.r_id DESC");
    st = gz_db_prepare_built(db, gz_buf_cstr(&b.sql));
    if (!st)
        goto out;
    bind_all(st, b.binds, 1);
    list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, gz_row_json(st));
    if (rc != SQLITE_DONE) {
        json_decref(list);
        list = NULL;
    }
out:
    if (b.bad)
        *bad = 1;
    sqlite3_finalize(st);
    if (gz_store_search_end(db, &run) != 0) {
        *bad = GZ_SEARCH_TOO_BROAD;
        snprintf(err, errlen, "the search is too broad");
        json_decref(list);
        list = NULL;
    }
    if (list && f->rank && fts) {
        sq = gz_store_snippet_prepare(db, f->q, prefixes);
        gz_store_snippet_rows(sq, list);
        gz_store_snippet_free(sq);
    }
    gz_buf_free(&b.sql);
    json_decref(b.binds);
    gz_buf_free(&fq);
    return list;
}

/* ---- tags, authors ---------------------------------------------------- */

/* A page of rows from `sel` (?1 a text key or NULL, ?2 limit, ?3
 * offset), and into *total (when not NULL) the one number `cnt` (?1)
 * counts. Both statements come from gz_db_stmt; NULL on an error. */
static json_t *keyed_page(sqlite3_stmt *cnt, sqlite3_stmt *sel, const char *key,
                          long long page, int limit, long long *total)
{
    if (!cnt || !sel)
        return NULL;
    if (total) {
        gz_bind_text(cnt, 1, key);
        *total = count_of(cnt);
    }
    gz_bind_text(sel, 1, key);
    sqlite3_bind_int(sel, 2, limit);
    sqlite3_bind_int64(sel, 3, gz_store_offset(page, limit));
    return gz_store_all_rows(sel);
}

json_t *gz_store_tag_rows(struct gz_db *db, const char *slug, long long page,
                          int limit, long long *total)
{
    return keyed_page(
        gz_db_stmt(db, GZ_SQL("SELECT count(*) FROM tags"
                              " WHERE ?1 IS NULL OR slug = ?1")),
        gz_db_stmt(db, GZ_SQL("SELECT t.id, t.slug, t.name, t.description,"
                              " t.published_count AS article_count"
                              " FROM tags t WHERE ?1 IS NULL OR t.slug = ?1"
                              " ORDER BY t.name COLLATE NOCASE, t.id"
                              " LIMIT ?2 OFFSET ?3")),
        slug, page, limit, total);
}

json_t *gz_store_author_rows(struct gz_db *db, const char *slug, long long page,
                             int limit, long long *total)
{
    return keyed_page(
        gz_db_stmt(db, GZ_SQL("SELECT count(*) FROM users WHERE"
                              " disabled = 0 AND (?1 IS NULL OR slug = ?1)")),
        gz_db_stmt(db, GZ_SQL("SELECT u.id, u.slug, u.name, u.bio,"
                              " (SELECT count(*) FROM articles a"
                              "   WHERE a.author_id = u.id"
                              "   AND a.status = 'published') AS article_count"
                              " FROM users u WHERE u.disabled = 0"
                              " AND (?1 IS NULL OR u.slug = ?1)"
                              " ORDER BY u.name COLLATE NOCASE, u.id"
                              " LIMIT ?2 OFFSET ?3")),
        slug, page, limit, total);
}

/* ---- comments, subscribers, media ------------------------------------- */

json_t *gz_store_comment_rows(struct gz_db *db, long long article_id,
                              const char *status, long long id, long long page,
                              int limit, long long *total)
{
    sqlite3_stmt *st;
    if (total) {
        st = gz_db_stmt(db, GZ_SQL("SELECT count(*) FROM comments"
                                   " WHERE (?1 = 0 OR article_id = ?1)"
                                   " AND (?2 IS NULL OR status = ?2)"
                                   " AND (?3 = 0 OR id = ?3)"));
        if (!st)
            return NULL;
        sqlite3_bind_int64(st, 1, article_id);
        gz_bind_text(st, 2, status);
        sqlite3_bind_int64(st, 3, id);
        *total = count_of(st);
    }
    st = article_id
             ? gz_db_stmt(
                   db,
                   GZ_SQL("SELECT c.id, c.article_id, a.slug AS article_slug,"
                          " c.parent_id, c.name, c.email, c.body, c.status,"
                          " c.created_at FROM comments c JOIN articles a"
                          " ON a.id = c.article_id WHERE c.article_id = ?1"
                          " AND (?2 IS NULL OR c.status = ?2)"
                          " AND (?3 = 0 OR c.id = ?3)"
                          " ORDER BY c.created_at, c.id LIMIT ?4 OFFSET ?5"))
             : gz_db_stmt(
                   db,
                   GZ_SQL("SELECT c.id, c.article_id, a.slug AS article_slug,"
                          " c.parent_id, c.name, c.email, c.body, c.status,"
                          " c.created_at FROM comments c JOIN articles a"
                          " ON a.id = c.article_id WHERE ?1 = 0"
                          " AND (?2 IS NULL OR c.status = ?2)"
                          " AND (?3 = 0 OR c.id = ?3)"
                          " ORDER BY c.created_at DESC, c.id DESC"
                          " LIMIT ?4 OFFSET ?5"));
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, article_id);
    gz_bind_text(st, 2, status);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int(st, 4, limit);
    sqlite3_bind_int64(st, 5, gz_store_offset(page, limit));
    return gz_store_all_rows(st);
}

json_t *gz_store_subscriber_rows(struct gz_db *db, const char *status,
                                 long long page, int limit, long long *total)
{
    return keyed_page(
        gz_db_stmt(db, GZ_SQL("SELECT count(*) FROM subscribers"
                              " WHERE ?1 IS NULL OR status = ?1")),
        gz_db_stmt(db, GZ_SQL("SELECT id, email, name, status, created_at,"
                              " confirmed_at FROM subscribers"
                              " WHERE ?1 IS NULL OR status = ?1"
                              " ORDER BY created_at DESC, id DESC"
                              " LIMIT ?2 OFFSET ?3")),
        status, page, limit, total);
}

json_t *gz_store_media_row(struct gz_db *db, const char *path)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, path, mime, bytes, width, height, created_at"
                   " FROM media WHERE path = ?1"));
    if (!st)
        return NULL;
    gz_bind_text(st, 1, path);
    json_t *list = gz_store_all_rows(st);
    json_t *row = json_incref(json_array_get(list, 0));
    json_decref(list);
    return row;
}
