/*
 * articles.c - the reading side of the store: story lists, one story with
 * its comments, tags, authors, search, sitemap, settings and the content
 * version. Every function returns owned jansson objects in the shape of
 * the view model (docs/THEME.md) and the JSON API.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gazette/tz.h"
#include "gazette/html.h"
#include "gazette/markdown.h"
#include "internal.h"

static json_t *link_obj(const char *kind, const char *name, const char *slug)
{
    char url[320];
    snprintf(url, sizeof url, "/%s/%s", kind, slug);
    return json_pack("{s:s, s:s, s:s}", "name", name, "slug", slug, "url",
                     url);
}


json_t *gz_store_articles_list(struct gz_db *db, const struct gz_list_query *q,
                               long long *total)
{
    sqlite3_stmt *st;
    if (total) {
        /* Counting touches only indexed columns (status, id, author_id),
         * never the story rows themselves; a tag's page reads the count
         * the triggers of 0004 keep (a tag of 5,000 stories took 20 ms to
         * count at 100,000). */
        st = !q->tag_slug && !q->author_slug && !q->exclude_id
                 ? gz_db_stmt(db, GZ_SQL("SELECT published FROM story_count"
                                         " WHERE id = 1"))
             : q->tag_slug && !q->author_slug && !q->exclude_id
                 ? gz_db_stmt(db, GZ_SQL("SELECT coalesce((SELECT"
                                         " published_count FROM tags"
                                         " WHERE slug = ?1), 0)"))
             : q->author_slug
                 ? gz_db_stmt(
                       db, GZ_SQL("SELECT count(*) FROM articles a"
                                  " WHERE a.status = 'published'"
                                  " AND a.author_id = (SELECT id FROM users"
                                  "   WHERE slug = ?2)"
                                  " AND (?1 IS NULL OR a.id IN (SELECT"
                                  "   x.article_id FROM article_tags x"
                                  "   JOIN tags t ON t.id = x.tag_id"
                                  "   WHERE t.slug = ?1)) AND a.id != ?3"))
                 : gz_db_stmt(
                       db, GZ_SQL("SELECT count(*) FROM articles a"
                                  " WHERE a.status = 'published'"
                                  " AND (?1 IS NULL OR a.id IN (SELECT"
                                  "   x.article_id FROM article_tags x"
                                  "   JOIN tags t ON t.id = x.tag_id"
                                  "   WHERE t.slug = ?1)) AND a.id != ?3"));
        if (!st)
            return NULL;
        if (sqlite3_bind_parameter_count(st) >= 1)
            gz_bind_text(st, 1, q->tag_slug);
        if (q->author_slug)
            gz_bind_text(st, 2, q->author_slug);
        if (sqlite3_bind_parameter_count(st) >= 3)
            sqlite3_bind_int64(st, 3, q->exclude_id);
        if (sqlite3_step(st) != SQLITE_ROW) {
            sqlite3_reset(st);
            return NULL;
        }
        *total = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
    }

    /* Bodies only for the feeds: a list never reads them otherwise. */
    st = q->with_body
             ? gz_db_stmt(
                   db, GZ_SQL("SELECT " GZ_STORY_COLS ", a.html FROM articles"
                              " a JOIN users u ON u.id = a.author_id"
                              " WHERE a.status = 'published'"
                              " AND (?1 IS NULL OR a.id IN (SELECT"
                              "   x.article_id FROM article_tags x JOIN tags"
                              "   t ON t.id = x.tag_id WHERE t.slug = ?1))"
                              " AND (?2 IS NULL OR u.slug = ?2) AND a.id != ?3"
                              " ORDER BY a.published_at DESC, a.id DESC"
                              " LIMIT ?4 OFFSET ?5"))
             : gz_db_stmt(
                   db, GZ_SQL("SELECT " GZ_STORY_COLS " FROM articles a"
                              " JOIN users u ON u.id = a.author_id"
                              " WHERE a.status = 'published'"
                              " AND (?1 IS NULL OR a.id IN (SELECT"
                              "   x.article_id FROM article_tags x JOIN tags"
                              "   t ON t.id = x.tag_id WHERE t.slug = ?1))"
                              " AND (?2 IS NULL OR u.slug = ?2) AND a.id != ?3"
                              " ORDER BY a.published_at DESC, a.id DESC"
                              " LIMIT ?4 OFFSET ?5"));
    if (!st)
        return NULL;
    gz_bind_text(st, 1, q->tag_slug);
    gz_bind_text(st, 2, q->author_slug);
    sqlite3_bind_int64(st, 3, q->exclude_id);
    sqlite3_bind_int(st, 4, q->limit);
    sqlite3_bind_int64(st, 5, gz_store_offset(q->page, q->limit));
    return gz_store_all_rows(st);
}

/* Binds slug to ?1 and steps to the one row. 1 on a row; 0 with *err set
 * (GZ_ENOTFOUND, or GZ_EDB also when st is NULL) and st reset. */
static int row_by_slug(sqlite3_stmt *st, const char *slug, int *err)
{
    if (!st) {
        *err = GZ_EDB;
        return 0;
    }
    gz_bind_text(st, 1, slug);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    sqlite3_reset(st);
    *err = rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
    return 0;
}

json_t *gz_store_article_load(struct gz_db *db, const char *slug, int *err)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT " GZ_STORY_COLS ", a.html"
                   " FROM articles a JOIN users u ON u.id = a.author_id"
                   " WHERE a.slug = ?1 AND a.status = 'published'"));
    if (!row_by_slug(st, slug, err))
        return NULL;
    json_t *a = gz_row_json(st);
    sqlite3_reset(st);
    return a;
}

/* The one row of a rows function's answer, or NULL with *err. */
static json_t *only_row(json_t *rows, int *err)
{
    json_t *row = json_incref(json_array_get(rows, 0));
    if (!row)
        *err = rows ? GZ_ENOTFOUND : GZ_EDB;
    json_decref(rows);
    return row;
}

json_t *gz_store_tag_load(struct gz_db *db, const char *slug, int *err)
{
    return only_row(gz_store_tag_rows(db, slug, 1, 1, NULL), err);
}

json_t *gz_store_author_load(struct gz_db *db, const char *slug, int *err)
{
    /* An author page lists published stories, so a disabled user who
     * wrote some still has one: not gz_store_author_rows (enabled). */
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT u.id, u.slug, u.name, u.bio, u.avatar_url,"
                   " (SELECT count(*) FROM articles a WHERE a.author_id = u.id"
                   "  AND a.status = 'published') AS article_count"
                   " FROM users u WHERE u.slug = ?1"));
    if (!row_by_slug(st, slug, err))
        return NULL;
    json_t *a = gz_row_json(st);
    sqlite3_reset(st);
    return a;
}

json_t *gz_store_nav_tags(struct gz_db *db, int n)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT name, slug FROM tags WHERE published_count > 0"
                   " ORDER BY published_count DESC, name LIMIT ?1"));
    json_t *list = json_array();
    if (!st)
        return list;
    sqlite3_bind_int(st, 1, n);
    while (sqlite3_step(st) == SQLITE_ROW)
        json_array_append_new(list, link_obj("tags", gz_col_text(st, 0),
                                             gz_col_text(st, 1)));
    sqlite3_reset(st);
    return list;
}

/* ---- search ------------------------------------------------------------
 *
 * Every search is bounded (docs/DECISIONS.md, "Search has bounded work"):
 *
 * - At most max(1, cores / 2) searches run at once in the process. One
 *   more waits for a slot, in order of arrival, at most SEARCH_WAIT_MS
 *   and with at most SEARCH_QUEUE others; a client (an address) may hold
 *   half of that queue (GZ_SEARCH_SHARE, 429). Over the queue or the wait
 *   the search is refused (GZ_SEARCH_BUSY, 503): a worker never waits
 *   long, since every other connection it serves waits with it.
 * - The statements of one search (the count and the page) share a budget
 *   of SEARCH_STEPS SQLite VM steps and SEARCH_CPU_MS of the thread's CPU
 *   time, checked by a progress handler every SEARCH_TICK steps; over it
 *   the search is abandoned (TOO_BROAD).
 * - Which matches a search shows is rows.c's (gz_store_story_rows): all of
 *   them by bm25 when at most GZ_SEARCH_MAX_RESULTS match, else the newest
 *   that many; only the page's rows are built.
 * - Snippets are made here, not by FTS5's snippet(), whose cost grows with
 *   the square of the matches in a row: from the title, the excerpt and
 *   the first GZ_SNIPPET_BODY_CHARS characters of the body, tokenized by the
 *   index's own tokenizer, so what is marked is what the index matched.
 * - Words of one or two characters are exact terms; longer ones are
 *   prefixes ("telesc" finds "telescopes").
 */

#define SEARCH_TERMS 12         /* words of a query at most */
#define SEARCH_PREFIX_MIN 3     /* characters for a word to be a prefix */
#define SEARCH_STEPS 4000000LL  /* VM steps of one search */
#define SEARCH_CPU_MS 250       /* thread CPU time of one search */
#define SEARCH_TICK 1000        /* VM steps between budget checks */
#define SEARCH_WAIT_MS 100      /* a search waits this long for a slot */
#define SEARCH_QUEUE 8          /* searches waiting for a slot at most */
#define SNIPPET_TOKENS 28       /* tokens a snippet shows */
#define SNIPPET_LEAD 6          /* tokens of context before a match */
#define SNIPPET_MAX_TOKENS 8192 /* of one column, for the window */

#define SEARCH_MAX_SLOTS 64

/* A search waiting for a slot; release() hands its slot to the oldest. */
struct search_waiter {
    pthread_cond_t cv;
    int slot;           /* set by release(): the slot is now this one's */
    const char *client; /* NULL: nobody's in particular */
    struct search_waiter *next;
};

static pthread_mutex_t search_lock = PTHREAD_MUTEX_INITIALIZER;
static int search_busy[SEARCH_MAX_SLOTS];
static struct search_waiter *search_head, *search_tail;
static int search_waiting;
static atomic_int search_max_running; /* 0: max(1, cores / 2) */
static atomic_llong search_max_steps; /* 0: SEARCH_STEPS */
static atomic_int search_max_cpu_ms;  /* 0: SEARCH_CPU_MS */
static atomic_int search_wait_ms;     /* 0: SEARCH_WAIT_MS; < 0: none */

void gz_store_search_set_limits(int max_running, long long max_steps,
                                int max_cpu_ms, int wait_ms)
{
    if (max_running > SEARCH_MAX_SLOTS)
        max_running = SEARCH_MAX_SLOTS;
    atomic_store(&search_max_running, max_running > 0 ? max_running : 0);
    atomic_store(&search_max_steps, max_steps > 0 ? max_steps : 0);
    atomic_store(&search_max_cpu_ms, max_cpu_ms > 0 ? max_cpu_ms : 0);
    atomic_store(&search_wait_ms, wait_ms);
}

static int search_slots(void)
{
    static atomic_int by_cores; /* max(1, cores / 2), counted once */
    int n = atomic_load(&search_max_running);
    if (n > 0)
        return n;
    n = atomic_load(&by_cores);
    if (n == 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        n = cores >= 4 ? (int)(cores / 2) : 1;
        if (n > SEARCH_MAX_SLOTS)
            n = SEARCH_MAX_SLOTS;
        atomic_store(&by_cores, n);
    }
    return n;
}

static int same_client(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

int gz_store_search_acquire(const char *client)
{
    int limit = search_slots();
    int wait_ms = atomic_load(&search_wait_ms);
    if (wait_ms == 0)
        wait_ms = SEARCH_WAIT_MS;
    pthread_mutex_lock(&search_lock);
    for (int i = 0; i < limit; i++) {
        if (!search_busy[i]) {
            search_busy[i] = 1;
            pthread_mutex_unlock(&search_lock);
            return i + 1;
        }
    }
    int mine = 0;
    for (struct search_waiter *w = search_head; w; w = w->next)
        mine += same_client(w->client, client);
    int got = -GZ_SEARCH_BUSY;
    if (client && mine >= SEARCH_QUEUE / 2) {
        got = -GZ_SEARCH_SHARE;
    } else if (wait_ms > 0 && search_waiting < SEARCH_QUEUE) {
        struct search_waiter me = {.slot = 0, .client = client, .next = NULL};
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&me.cv, &ca);
        pthread_condattr_destroy(&ca);
        if (search_tail)
            search_tail->next = &me;
        else
            search_head = &me;
        search_tail = &me;
        search_waiting++;
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += wait_ms / 1000;
        until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!me.slot &&
               pthread_cond_timedwait(&me.cv, &search_lock, &until) == 0)
            ;
        if (me.slot) {
            got = me.slot; /* release() took it off the queue */
        } else {
            struct search_waiter **pp = &search_head, *prev = NULL;
            while (*pp != &me) {
                prev = *pp;
                pp = &(*pp)->next;
            }
            *pp = me.next;
            if (search_tail == &me)
                search_tail = prev;
            search_waiting--;
        }
        pthread_cond_destroy(&me.cv);
    }
    pthread_mutex_unlock(&search_lock);
    return got;
}

void gz_store_search_release(int slot)
{
    if (slot < 1 || slot > SEARCH_MAX_SLOTS)
        return;
    pthread_mutex_lock(&search_lock);
    struct search_waiter *w = search_head;
    if (w && slot <= search_slots()) {
        /* the slot goes to the oldest waiting search, still busy */
        search_head = w->next;
        if (!search_head)
            search_tail = NULL;
        search_waiting--;
        w->slot = slot;
        pthread_cond_signal(&w->cv);
    } else {
        search_busy[slot - 1] = 0;
    }
    pthread_mutex_unlock(&search_lock);
}

static long long thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The progress handler: 1 (interrupt) once the budget is spent. */
static int search_progress(void *cls)
{
    struct gz_search_run *run = cls;
    run->steps_left -= SEARCH_TICK;
    if (run->steps_left < 0 || thread_cpu_ns() > run->cpu_deadline_ns) {
        run->tripped = 1;
        return 1;
    }
    return 0;
}

int gz_store_search_begin(struct gz_db *db, struct gz_search_run *run,
                          const char *client)
{
    memset(run, 0, sizeof *run);
    int slot = gz_store_search_acquire(client);
    if (slot < 0)
        return -slot;
    run->slot = slot;
    long long steps = atomic_load(&search_max_steps);
    int cpu_ms = atomic_load(&search_max_cpu_ms);
    run->steps_left = steps > 0 ? steps : SEARCH_STEPS;
    run->cpu_deadline_ns =
        thread_cpu_ns() + (cpu_ms > 0 ? cpu_ms : SEARCH_CPU_MS) * 1000000LL;
    run->held = 1;
    sqlite3_progress_handler(db->h, SEARCH_TICK, search_progress, run);
    return 0;
}

int gz_store_search_end(struct gz_db *db, struct gz_search_run *run)
{
    if (!run->held)
        return 0;
    sqlite3_progress_handler(db->h, 0, NULL, NULL);
    gz_store_search_release(run->slot);
    run->held = 0;
    return run->tripped ? GZ_SEARCH_TOO_BROAD : 0;
}

static int word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') ||
           ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The next word of q from *p: its start and length; 0 at the end. */
static size_t next_word(const unsigned char **p, const unsigned char **start)
{
    while (**p && !word_byte(**p))
        (*p)++;
    *start = *p;
    while (**p && word_byte(**p))
        (*p)++;
    return (size_t)(*p - *start);
}

/* Words of fewer than SEARCH_PREFIX_MIN characters are exact terms. */
static int word_is_prefix(const unsigned char *w, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++)
        if ((w[i] & 0xc0) != 0x80)
            chars++;
    return chars >= SEARCH_PREFIX_MIN;
}

/* 1 when the index has word as a whole term (or phrase of terms): one
 * row of a MATCH that stops at the first. */
static int word_in_index(struct gz_db *db, const unsigned char *w, size_t n)
{
    struct gz_buf t;
    gz_buf_init(&t);
    gz_buf_putc(&t, '"');
    gz_buf_append(&t, w, n);
    gz_buf_putc(&t, '"');
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT 1 FROM articles_fts WHERE articles_fts MATCH ?1"
                   " LIMIT 1"));
    int found = 0;
    if (st && gz_buf_cstr(&t)) {
        gz_bind_text(st, 1, gz_buf_cstr(&t));
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
    }
    gz_buf_free(&t);
    return found;
}

/*
 * SECURITY: the reader's words become FTS5 string literals ("word"*, or
 * "word"), joined by spaces (AND). Quotes are doubled per FTS5 rules and
 * every character FTS5 treats as syntax ends up inside a literal, so no
 * input can form an FTS5 expression.
 *
 * A word is a prefix ("telesc" finds "telescopes") when it has
 * SEARCH_PREFIX_MIN characters or more and, with db, is not itself a term
 * of the index: "harbour" is searched as the word (the stemmer already
 * finds "harbours"), since a prefix reads the postings of every term it
 * starts ("the"* is "the", "them", "there", "their"...: a hundred times
 * the work of "the").
 */
int gz_store_fts_query(struct gz_db *db, const char *q, struct gz_buf *out,
                       unsigned *prefixes)
{
    int terms = 0;
    const unsigned char *p = (const unsigned char *)q, *start;
    size_t n;
    if (prefixes)
        *prefixes = 0;
    while (terms < SEARCH_TERMS && (n = next_word(&p, &start)) > 0) {
        int prefix =
            word_is_prefix(start, n) && !(db && word_in_index(db, start, n));
        if (prefix && prefixes)
            *prefixes |= 1u << terms;
        if (terms++)
            gz_buf_putc(out, ' ');
        gz_buf_putc(out, '"');
        gz_buf_append(out, start, n);
        if (gz_buf_puts(out, prefix ? "\"*" : "\"") != 0)
            return GZ_ENOMEM;
    }
    return terms;
}

/* ---- snippets ---- */

struct qtok {
    char *text; /* as the tokenizer gives it (folded, stemmed) */
    int len;
    int prefix; /* matches tokens it starts */
    int term;   /* the query word it comes from */
};

struct gz_snippet_q {
    fts5_tokenizer api;
    Fts5Tokenizer *tok;
    struct qtok q[SEARCH_TERMS * 4];
    int nq;
    int term; /* the word being tokenized */
};

struct dtok {
    int start, end; /* bytes of the text */
    unsigned mask;  /* query words it matches */
};

struct doc {
    struct gz_snippet_q *sq;
    struct dtok *t;
    int n, cap;
    int full; /* stopped at cap (SNIPPET_MAX_TOKENS at most) */
};

static int on_query_token(void *cls, int flags, const char *tok, int n,
                          int start, int end)
{
    (void)start;
    (void)end;
    struct gz_snippet_q *sq = cls;
    if ((flags & FTS5_TOKEN_COLOCATED) || n <= 0 ||
        sq->nq >= (int)(sizeof sq->q / sizeof sq->q[0]))
        return SQLITE_OK;
    struct qtok *t = &sq->q[sq->nq];
    t->text = malloc((size_t)n);
    if (!t->text)
        return SQLITE_NOMEM;
    memcpy(t->text, tok, (size_t)n);
    t->len = n;
    t->prefix = 0;
    t->term = sq->term;
    sq->nq++;
    return SQLITE_OK;
}

static int on_doc_token(void *cls, int flags, const char *tok, int n, int start,
                        int end)
{
    struct doc *d = cls;
    if (flags & FTS5_TOKEN_COLOCATED)
        return SQLITE_OK;
    if (d->n >= d->cap) {
        d->full = 1;
        return SQLITE_DONE; /* ends the tokenizing: the window is enough */
    }
    unsigned mask = 0;
    for (int i = 0; i < d->sq->nq; i++) {
        const struct qtok *q = &d->sq->q[i];
        if ((q->prefix ? n >= q->len : n == q->len) &&
            memcmp(tok, q->text, (size_t)q->len) == 0)
            mask |= 1u << q->term;
    }
    d->t[d->n].start = start;
    d->t[d->n].end = end;
    d->t[d->n].mask = mask;
    d->n++;
    return SQLITE_OK;
}

void gz_store_snippet_free(struct gz_snippet_q *sq)
{
    if (!sq)
        return;
    for (int i = 0; i < sq->nq; i++)
        free(sq->q[i].text);
    if (sq->tok)
        sq->api.xDelete(sq->tok);
    free(sq);
}

struct gz_snippet_q *gz_store_snippet_prepare(struct gz_db *db, const char *q,
                                              unsigned prefixes)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = gz_db_stmt(db, GZ_SQL("SELECT fts5(?1)"));
    if (!st)
        return NULL;
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_reset(st);
    if (!api)
        return NULL;
    struct gz_snippet_q *sq = calloc(1, sizeof *sq);
    if (!sq)
        return NULL;
    void *ud = NULL;
    /* NOTE: the tokenizer of articles_fts (sql/0001_init.sql): a snippet
     * marks what the index matched only while the two agree. */
    static const char *args[] = {"unicode61", "remove_diacritics", "2"};
    if (api->xFindTokenizer(api, "porter", &ud, &sq->api) != SQLITE_OK ||
        sq->api.xCreate(ud, args, 3, &sq->tok) != SQLITE_OK) {
        sq->tok = NULL;
        gz_store_snippet_free(sq);
        return NULL;
    }
    const unsigned char *p = (const unsigned char *)q, *start;
    size_t n;
    for (int term = 0; term < SEARCH_TERMS && (n = next_word(&p, &start)) > 0;
         term++) {
        int prefix = (prefixes >> term) & 1;
        int first = sq->nq;
        sq->term = term;
        if (sq->api.xTokenize(
                sq->tok, sq,
                FTS5_TOKENIZE_QUERY | (prefix ? FTS5_TOKENIZE_PREFIX : 0),
                (const char *)start, (int)n, on_query_token) != SQLITE_OK) {
            gz_store_snippet_free(sq);
            return NULL;
        }
        /* As in FTS5, only the last token of a phrase is a prefix. */
        if (prefix && sq->nq > first)
            sq->q[sq->nq - 1].prefix = 1;
    }
    return sq;
}

/* The best window of d: the start of the SNIPPET_TOKENS tokens holding
 * the most distinct query words (then the most matches, then the
 * earliest). *score gets 1000 per distinct word plus 1 per match; 0 when
 * nothing matches (the window then starts at 0). */
static int best_window(const struct doc *d, int *score)
{
    int best = 0, best_score = 0;
    for (int i = 0; i < d->n; i++) {
        if (!d->t[i].mask)
            continue;
        int s = i - SNIPPET_LEAD;
        if (s > d->n - SNIPPET_TOKENS)
            s = d->n - SNIPPET_TOKENS;
        if (s < 0)
            s = 0;
        unsigned seen = 0;
        int hits = 0;
        for (int j = s; j < d->n && j < s + SNIPPET_TOKENS; j++) {
            if (d->t[j].mask) {
                seen |= d->t[j].mask;
                hits++;
            }
        }
        int sc = __builtin_popcount(seen) * 1000 + hits;
        if (sc > best_score) {
            best_score = sc;
            best = s;
        }
    }
    *score = best_score;
    return best;
}

/* Appends the window of d starting at token s of text (len bytes) as
 * escaped HTML with <mark> around the matching tokens; "…" where text
 * was left out. cut: the text itself is the start of something longer. */
static void window_html(struct gz_buf *b, const struct doc *d, int s,
                        const char *text, size_t len, int cut)
{
    int e = s + SNIPPET_TOKENS < d->n ? s + SNIPPET_TOKENS : d->n;
    size_t from = s > 0 ? (size_t)d->t[s].start : 0;
    int all_to_end = e == d->n && !cut && !d->full;
    size_t to = all_to_end || e == 0 ? len : (size_t)d->t[e - 1].end;
    if (s > 0)
        gz_buf_puts(b, "\xe2\x80\xa6");
    size_t at = from;
    for (int i = s; i < e; i++) {
        if (!d->t[i].mask)
            continue;
        size_t ts = (size_t)d->t[i].start, te = (size_t)d->t[i].end;
        if (ts < at || te > to)
            continue;
        gz_html_escape(b, text + at, ts - at);
        gz_buf_puts(b, "<mark>");
        gz_html_escape(b, text + ts, te - ts);
        gz_buf_puts(b, "</mark>");
        at = te;
    }
    if (to > at)
        gz_html_escape(b, text + at, to - at);
    if (!all_to_end && e > 0)
        gz_buf_puts(b, "\xe2\x80\xa6");
}

char *gz_store_snippet_make(struct gz_snippet_q *sq, const char *title,
                            const char *excerpt, const char *body, int body_cut)
{
    /* Body first: on a tie it says the most beside the title shown. */
    const char *texts[3] = {body ? body : "", excerpt ? excerpt : "",
                            title ? title : ""};
    struct dtok *toks[3] = {NULL, NULL, NULL};
    struct doc docs[3];
    int starts[3], best = -1, best_score = -1;
    char *out = NULL;
    for (int c = 0; c < 3; c++) {
        docs[c] = (struct doc){sq, NULL, 0, 0, 0};
        starts[c] = 0;
        if (!texts[c][0])
            continue;
        /* Tokens are separated, so a text of n bytes has at most n / 2 + 1
         * of them: titles take a few entries, not SNIPPET_MAX_TOKENS. */
        size_t n = strlen(texts[c]);
        docs[c].cap = n / 2 + 1 < SNIPPET_MAX_TOKENS ? (int)(n / 2 + 1)
                                                     : SNIPPET_MAX_TOKENS;
        toks[c] = malloc((size_t)docs[c].cap * sizeof *toks[c]);
        if (!toks[c])
            goto out;
        docs[c].t = toks[c];
        int rc = sq->api.xTokenize(sq->tok, &docs[c], FTS5_TOKENIZE_DOCUMENT,
                                   texts[c], (int)(n < INT32_MAX ? n : 0),
                                   on_doc_token);
        if (rc != SQLITE_OK && rc != SQLITE_DONE)
            goto out;
        if (docs[c].n == 0)
            continue; /* no words at all: nothing to show */
        int score;
        starts[c] = best_window(&docs[c], &score);
        if (score > best_score) {
            best_score = score;
            best = c;
        }
    }
    struct gz_buf b;
    gz_buf_init(&b);
    if (best >= 0)
        window_html(&b, &docs[best], starts[best], texts[best],
                    strlen(texts[best]), best == 0 && body_cut);
    out = gz_buf_steal(&b, NULL);
    if (!out)
        out = strdup("");
out:
    for (int c = 0; c < 3; c++)
        free(toks[c]);
    return out;
}

/* Replaces the snippet_body column of each row (the start of the body,
 * GZ_SNIPPET_BODY_CHARS characters at most) by snippet_html. */
void gz_store_snippet_rows(struct gz_snippet_q *sq, json_t *rows)
{
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        const char *body =
            json_string_value(json_object_get(row, "snippet_body"));
        char *h = NULL;
        if (sq) {
            int cut = body &&
                      gz_utf8_len(body, strlen(body)) >= GZ_SNIPPET_BODY_CHARS;
            h = gz_store_snippet_make(
                sq, json_string_value(json_object_get(row, "title")),
                json_string_value(json_object_get(row, "custom_excerpt")), body,
                cut);
        }
        json_object_set_new(row, "snippet_html", json_string(h ? h : ""));
        free(h);
        json_object_del(row, "snippet_body");
    }
}

json_t *gz_store_search_bounded(struct gz_db *db, const char *q, long long page,
                                int limit, const char *client,
                                struct gz_found *found, int *why)
{
    struct gz_story_filter f = {0};
    f.q = q;
    f.rank = 1;
    f.client = client;
    f.page = page;
    f.limit = limit;
    char err[100];
    int bad = 0;
    json_t *rows = gz_store_story_rows(db, &f, found, &bad, err, sizeof err);
    *why = rows ? 0 : bad;
    return rows;
}

json_t *gz_store_search(struct gz_db *db, const char *q, long long page,
                        int limit, long long *total)
{
    int why;
    struct gz_found found;
    json_t *rows =
        gz_store_search_bounded(db, q, page, limit, NULL, &found, &why);
    *total = found.total;
    return rows;
}

json_t *gz_store_sitemap(struct gz_db *db)
{
    json_t *doc = json_pack("{s:[], s:[], s:[]}", "articles", "tags",
                            "authors");
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT '/articles/' || slug, updated_at FROM articles"
                   " WHERE status = 'published' ORDER BY published_at DESC"));
    for (int pass = 0; pass < 3 && st; pass++) {
        json_t *list = json_object_get(
            doc, pass == 0 ? "articles" : pass == 1 ? "tags" : "authors");
        while (sqlite3_step(st) == SQLITE_ROW) {
            char iso[32];
            gz_time_rfc3339(sqlite3_column_int64(st, 1), iso);
            json_array_append_new(list, json_pack("{s:s, s:s}", "loc",
                                                  gz_col_text(st, 0),
                                                  "lastmod", iso));
        }
        sqlite3_reset(st);
        if (pass == 0)
            st = gz_db_stmt(
                db, GZ_SQL("SELECT '/tags/' || t.slug, max(a.updated_at)"
                           " FROM tags t JOIN article_tags x ON x.tag_id = t.id"
                           " JOIN articles a ON a.id = x.article_id"
                           " WHERE a.status = 'published' GROUP BY t.id"
                           " ORDER BY t.slug"));
        else if (pass == 1)
            st = gz_db_stmt(
                db, GZ_SQL("SELECT '/authors/' || u.slug, max(a.updated_at)"
                           " FROM users u JOIN articles a ON a.author_id = u.id"
                           " WHERE a.status = 'published' GROUP BY u.id"
                           " ORDER BY u.slug"));
    }
    return doc;
}

json_t *gz_store_settings_load(struct gz_db *db)
{
    json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "title",
                          "Gazette", "description",
                          "News, written and served lightly.", "base_url", "",
                          "comment_policy", "first", "double_opt_in", "",
                          "timezone", "UTC");
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT key, value FROM settings"));
    if (!st)
        return s;
    while (sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(s, gz_col_text(st, 0), gz_col_json_str(st, 1));
    sqlite3_reset(st);
    /* The site zone follows the setting as last read (tz.h): cheap when
     * it did not change, and right after `gazette import` or a restart. */
    gz_tz_site_set(json_string_value(json_object_get(s, "timezone")));
    return s;
}

const char *gz_store_base_url(json_t *settings, const char *fallback)
{
    const char *s = json_string_value(json_object_get(settings, "base_url"));
    return s && *s ? s : fallback;
}

/* The two integers of the one row st answers (reset after): 0, or GZ_EDB
 * (st NULL, or no row). */
static int one_row_two_ints(sqlite3_stmt *st, long long *a, long long *b)
{
    if (!st)
        return GZ_EDB;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *a = sqlite3_column_int64(st, 0);
        *b = sqlite3_column_int64(st, 1); /* NULL: 0 */
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : GZ_EDB;
}

int gz_store_content_version(struct gz_db *db, long long *n,
                             long long *changed_at)
{
    return one_row_two_ints(
        gz_db_stmt(db, GZ_SQL("SELECT n, changed_at FROM content_version"
                              " WHERE id = 1")),
        n, changed_at);
}

int gz_store_changes_last(struct gz_db *db, long long *last,
                          long long *changed_at)
{
    /* no page change yet: seq is NULL, read as 0 */
    return one_row_two_ints(
        gz_db_stmt(db, GZ_SQL("SELECT (SELECT seq FROM sqlite_sequence"
                              " WHERE name = 'page_changes'), changed_at"
                              " FROM content_version WHERE id = 1")),
        last, changed_at);
}

int gz_store_changes_since(struct gz_db *db, long long after,
                           void (*fn)(void *cls, long long id,
                                      const char *key),
                           void *cls)
{
    return gz_store_changes_batch(db, after, -1, fn, cls); /* no limit */
}

int gz_store_changes_prune(struct gz_db *db, long long upto)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("DELETE FROM page_changes WHERE id <= ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, upto);
    return gz_db_exec_stmt(db, st) == 0 ? 0 : GZ_EDB;
}

int gz_store_publish_due(struct gz_db *db)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE articles SET status = 'published',"
                   " updated_at = unixepoch() WHERE status = 'scheduled'"
                   " AND published_at <= unixepoch()"));
    if (!st || gz_db_exec_stmt(db, st) != 0)
        return GZ_EDB;
    return sqlite3_changes(db->h);
}

int gz_store_is_empty(struct gz_db *db)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT NOT EXISTS (SELECT 1 FROM articles)"));
    if (!st)
        return 0;
    int empty = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return empty;
}
