/*
 * test_store.c - unit tests for src/store/ (db.c, articles.c, import.c)
 * through db.h and store.h, on real SQLite files with the real migrations.
 *
 * Each test gets a fresh database in a mkdtemp directory, migrated, and
 * (for most) a small newsroom imported from a document built with
 * json_pack: two authors, three tags, published, draft, scheduled and
 * due stories, comments with a reply, a pending and a spam comment, and a
 * story with hostile text. The tests then read it back through every
 * store call: lists (order, pagination, filters), one story with nested
 * comments, tags, authors, navigation, search (FTS syntax in the input,
 * escaping in snippets), the sitemap, settings, the content version,
 * scheduled publishing, all-or-nothing import with the failing item
 * named, export/import round trips, backups and the demo content.
 *
 * Single-threaded: each test owns its connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "gazette/db.h"
#include "gazette/engage.h"
#include "gazette/store.h"
#include "gazette/site.h"
#include "gazette/util.h"

/* The store answers rows; pages see them through the resource builders
 * and their decor (gz_site_*). These tests check what pages see. */
static json_t *cards(json_t *rows)
{
    json_t *l = rows ? gz_site_stories(rows) : NULL;
    json_decref(rows);
    return l;
}

static json_t *cards_list(struct gz_db *db, const struct gz_list_query *q,
                          long long *total)
{
    return cards(gz_store_articles_list(db, q, total));
}

static json_t *cards_search(struct gz_db *db, const char *q, long long page,
                            int limit, long long *total)
{
    return cards(gz_store_search(db, q, page, limit, total));
}

static json_t *tag_page(struct gz_db *db, const char *slug, int *err)
{
    json_t *row = gz_store_tag_load(db, slug, err);
    json_t *t = row ? gz_site_tag(row) : NULL;
    json_decref(row);
    return t;
}

static json_t *author_page(struct gz_db *db, const char *slug, int *err)
{
    json_t *row = gz_store_author_load(db, slug, err);
    json_t *a = row ? gz_site_author(row) : NULL;
    json_decref(row);
    return a;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HOUR 3600
#define DAY 86400

struct fixture {
    char dir[64];
    char path[128];
    struct gz_db *db;
    int64_t now;
};

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static struct gz_db *open_db(const char *path)
{
    struct gz_db *db = gz_db_open(path, GZ_DB_READWRITE, "FULL");
    assert_non_null(db);
    assert_true(gz_db_migrate(db) >= 0);
    return db;
}

static int setup_empty(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/gz_test_store_XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/test.db", f->dir);
    f->db = gz_db_open(f->path, GZ_DB_READWRITE, "FULL");
    if (!f->db || gz_db_migrate(f->db) < 1)
        return -1;
    f->now = gz_now();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    gz_db_close(f->db);
    rm_dir(f->dir);
    free(f);
    return 0;
}

/* An RFC 3339 time `delta` seconds from now, in a static ring. */
static const char *at(struct fixture *f, int64_t delta)
{
    static char ring[16][32];
    static int next;
    char *s = ring[next++ % 16];
    gz_time_rfc3339(f->now + delta, s);
    return s;
}

/* The newsroom most tests read. Owned: json_decref. */
static json_t *newsroom(struct fixture *f)
{
    json_t *doc = json_pack(
        "{s:{s:s, s:s},"
        " s:[{s:s, s:s, s:s, s:s, s:s},"
        "    {s:s, s:s, s:s}],"
        " s:[{s:s, s:s, s:s}, {s:s, s:s}, {s:s, s:s}],"
        " s:[]}",
        "settings", "title", "The Test Times", "description", "Tests daily.",
        "authors",
        "name", "Bea Ploom", "slug", "bea-ploom", "email", "bea@example.com",
        "bio", "Writes about <b>councils</b> & harbours.", "role", "editor",
        "name", "\xc3\x89lodie \xc3\x91\xc3\xba\xc3\xb1" "ez", "slug",
        "elodie", "email", "elodie@example.com",
        "tags",
        "name", "Politics", "slug", "politics", "description",
        "Councils and <votes>.",
        "name", "Science", "slug", "science",
        "name", "Empty", "slug", "empty",
        "articles");
    assert_non_null(doc);
    json_t *arts = json_object_get(doc, "articles");

    /* articles[0]: oldest published, with comments. */
    json_t *first = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s],"
        " s:[{s:s, s:s, s:s, s:[{s:s, s:s, s:s}]},"
        "    {s:s, s:s, s:s, s:s},"
        "    {s:s, s:s, s:s, s:s}]}",
        "slug", "first-story", "title", "First story",
        "markdown",
        "## Budget\n\nThe council approved the zebra crossing on Tuesday.\n\n"
        "> We waited years.\n\n- one\n- two",
        "status", "published", "author", "bea-ploom", "published_at",
        at(f, -3 * DAY), "tags", "politics",
        "comments",
        "name", "Reader One", "body",
        "Great <script>alert(1)</script>\nsecond line", "created_at",
        at(f, -3 * DAY + HOUR),
        "replies", "name", "Bea Ploom", "body", "Thanks!", "created_at",
        at(f, -3 * DAY + 2 * HOUR),
        "name", "Spammer", "body", "buy pills", "status", "spam",
        "created_at", at(f, -3 * DAY + 3 * HOUR),
        "name", "Waiting", "body", "held for review", "status", "pending",
        "created_at", at(f, -3 * DAY + 4 * HOUR));
    json_t *second = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s],"
        " s:{s:s, s:s, s:s, s:i, s:i}}",
        "slug", "second-story", "title", "Second story", "excerpt",
        "A standfirst written by hand.", "markdown",
        "Telescopes and *stars* tonight.", "status", "published", "author",
        "elodie", "published_at", at(f, -2 * DAY), "tags", "science",
        "politics", "feature_image", "url", "/media/sky.jpg", "alt",
        "The night sky", "caption", "Stars", "width", 1200, "height", 800);
    json_t *third = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:b}", "slug", "third-story",
        "title", "Third story",
        "markdown",
        "A zebra escaped. &lt;script&gt;alert(1)&lt;/script&gt; was "
        "printed on its sign. <img src=x onerror=alert(1)>",
        "status", "published", "author", "bea-ploom", "published_at",
        at(f, -1 * DAY), "tags", "science", "comments_open", 0);
    json_t *draft = json_pack("{s:s, s:s, s:s, s:s, s:s}", "slug",
                              "draft-story", "title", "Draft story",
                              "markdown", "A secret zebra plan.", "status",
                              "draft", "author", "bea-ploom");
    json_t *future = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s]}", "slug", "future-story",
        "title", "Future story", "markdown", "Tomorrow's zebra news.",
        "status", "scheduled", "author", "elodie", "published_at",
        at(f, DAY), "tags", "politics");
    json_t *due = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s}", "slug", "due-story", "title",
        "Due story", "markdown", "Waiting for its hour.", "status",
        "scheduled", "author", "elodie", "published_at", at(f, -HOUR));
    assert_non_null(first);
    assert_non_null(second);
    assert_non_null(third);
    assert_non_null(draft);
    assert_non_null(future);
    assert_non_null(due);
    json_array_append_new(arts, first);
    json_array_append_new(arts, second);
    json_array_append_new(arts, third);
    json_array_append_new(arts, draft);
    json_array_append_new(arts, future);
    json_array_append_new(arts, due);
    return doc;
}

static void import_ok(struct gz_db *db, json_t *doc)
{
    char err[512] = "";
    int rc = gz_store_import(db, doc, err, sizeof err);
    if (rc != 0)
        fail_msg("import failed (%d): %s", rc, err);
}

static int setup_newsroom(void **state)
{
    if (setup_empty(state) != 0)
        return -1;
    struct fixture *f = *state;
    json_t *doc = newsroom(f);
    char err[512] = "";
    int rc = gz_store_import(f->db, doc, err, sizeof err);
    json_decref(doc);
    if (rc != 0) {
        fprintf(stderr, "newsroom import failed: %s\n", err);
        return -1;
    }
    return 0;
}

/* Slugs of a list of cards, joined by spaces, into out. */
static const char *slugs(json_t *list, char *out, size_t outlen)
{
    size_t i, o = 0;
    json_t *c;
    out[0] = '\0';
    json_array_foreach(list, i, c)
    {
        o += (size_t)snprintf(out + o, outlen - o, "%s%s", i ? " " : "",
                              json_string_value(json_object_get(c, "slug")));
        assert_true(o < outlen);
    }
    return out;
}

static const char *str(json_t *o, const char *path)
{
    /* "a.b.c" through nested objects; borrowed. */
    char key[64];
    const char *p = path;
    json_t *v = o;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        snprintf(key, sizeof key, "%.*s", (int)n, p);
        v = json_object_get(v, key);
        p += n + (dot ? 1 : 0);
    }
    const char *s = json_string_value(v);
    if (!s)
        fail_msg("no string at %s", path);
    return s;
}

static long long num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("no integer at %s", key);
    return json_integer_value(v);
}

static long long list_total(struct gz_db *db, const char *tag,
                            const char *author)
{
    struct gz_list_query q = {tag, author, 0, 1, 100, 0};
    long long total = -1;
    json_t *l = cards_list(db, &q, &total);
    assert_non_null(l);
    assert_int_equal((long long)json_array_size(l), total);
    json_decref(l);
    return total;
}

static long long count_of(json_t *(*load)(struct gz_db *, const char *,
                                          int *),
                          struct gz_db *db, const char *slug)
{
    int err = 0;
    json_t *o = load(db, slug, &err);
    if (!o)
        return -1;
    long long n = num(o, "article_count");
    json_decref(o);
    return n;
}

/* ---- the statement cache ---------------------------------------------- */

/* Every GZ_SQL literal in src/store/ gets a slot in a connection's
 * statement cache, and a long-lived worker connection eventually runs them
 * all; one more than GZ_STMT_CACHE hits the GZ_ASSERT in gz_db_stmt and
 * aborts the server. Counts the call sites against the limit. */
static void test_stmt_cache_fits(void **state)
{
    (void)state;
    const char *root = getenv("GZ_SOURCE_ROOT");
    char dir[1024], path[1200];
    snprintf(dir, sizeof dir, "%s/src/store", root && *root ? root : ".");
    snprintf(path, sizeof path, "%s/internal.h", dir);
    char *h = gz_read_file(path, NULL);
    assert_non_null(h);
    const char *def = strstr(h, "#define GZ_STMT_CACHE");
    assert_non_null(def);
    long limit = strtol(def + strlen("#define GZ_STMT_CACHE"), NULL, 10);
    free(h);
    assert_true(limit > 0);

    DIR *d = opendir(dir);
    assert_non_null(d);
    long sites = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *src = gz_read_file(path, NULL);
        assert_non_null(src);
        for (const char *p = strstr(src, "GZ_SQL("); p;
             p = strstr(p + 1, "GZ_SQL("))
            sites++;
        free(src);
    }
    closedir(d);
    assert_true(sites > 10);
    if (sites > limit)
        fail_msg("%ld GZ_SQL statements in src/store/ but GZ_STMT_CACHE is "
                 "%ld: a connection that runs them all aborts",
                 sites, limit);
}

/* ---- opening and migrations ------------------------------------------ */

static void test_migrate(void **state)
{
    struct fixture *f = *state;
    /* setup applied everything; a second run applies nothing. */
    assert_int_equal(gz_db_migrate(f->db), 0);
    assert_int_equal(gz_db_ping(f->db), 1);
    int n = 0;
    for (const struct gz_migration *m = gz_migrations; m->version; m++) {
        assert_non_null(m->name);
        assert_non_null(m->sql);
        if (n)
            assert_true(m->version > m[-1].version);
        n++;
    }
    assert_true(n >= 1);
    /* A fresh connection to the same file also finds nothing to do. */
    struct gz_db *again = gz_db_open(f->path, GZ_DB_READWRITE, "NORMAL");
    assert_non_null(again);
    assert_int_equal(gz_db_migrate(again), 0);
    gz_db_close(again);

    /* A brand-new file gets every migration. */
    char path[160];
    snprintf(path, sizeof path, "%s/fresh.db", f->dir);
    struct gz_db *fresh = gz_db_open(path, GZ_DB_READWRITE, "FULL");
    assert_non_null(fresh);
    assert_int_equal(gz_db_migrate(fresh), n);
    assert_int_equal(gz_db_migrate(fresh), 0);
    gz_db_close(fresh);
    gz_db_close(NULL);
}

static void test_open_readonly(void **state)
{
    struct fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/missing.db", f->dir);
    /* Read-only never creates a file. */
    assert_null(gz_db_open(path, GZ_DB_READONLY, NULL));
    assert_int_equal(access(path, F_OK), -1);
    /* A directory that does not exist cannot hold a database. */
    snprintf(path, sizeof path, "%s/no/such/dir/x.db", f->dir);
    assert_null(gz_db_open(path, GZ_DB_READWRITE, "FULL"));

    json_t *doc = newsroom(f);
    import_ok(f->db, doc);
    struct gz_db *ro = gz_db_open(f->path, GZ_DB_READONLY, NULL);
    assert_non_null(ro);
    assert_int_equal(gz_db_ping(ro), 1);
    assert_int_equal(list_total(ro, NULL, NULL), 3);
    /* Writes fail on a read-only connection and say so. */
    char err[256] = "";
    assert_int_equal(gz_store_import(ro, doc, err, sizeof err), GZ_EDB);
    assert_true(err[0] != '\0');
    assert_true(gz_store_publish_due(ro) < 0);
    gz_db_close(ro);
    json_decref(doc);
}

static void test_empty_store(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(gz_store_is_empty(f->db), 1);
    assert_int_equal(list_total(f->db, NULL, NULL), 0);
    long long total = -1;
    json_t *r = cards_search(f->db, "anything", 1, 10, &total);
    assert_non_null(r);
    assert_int_equal(json_array_size(r), 0);
    assert_int_equal(total, 0);
    json_decref(r);
    json_t *nav = gz_store_nav_tags(f->db, 5);
    assert_int_equal(json_array_size(nav), 0);
    json_decref(nav);
    json_t *map = gz_store_sitemap(f->db);
    assert_int_equal(json_array_size(json_object_get(map, "articles")), 0);
    assert_int_equal(json_array_size(json_object_get(map, "tags")), 0);
    assert_int_equal(json_array_size(json_object_get(map, "authors")), 0);
    json_decref(map);
    assert_int_equal(gz_store_publish_due(f->db), 0);
}

/* ---- lists ----------------------------------------------------------- */

/* The kept counts (0004, 0006) follow a story becoming published: the
 * home page's total and the tag's count, as counting would give them. */
static void test_kept_counts_follow_publishing(void **state)
{
    struct fixture *f = *state;
    struct gz_list_query home = {NULL, NULL, 0, 1, 10, 0};
    long long before = -1, after = -1;
    json_t *l = gz_store_articles_list(f->db, &home, &before);
    assert_non_null(l);
    json_decref(l);
    assert_int_equal(before, 3);
    /* The fixture's due story is published by the scheduler's call. */
    assert_true(gz_store_publish_due(f->db) > 0);
    l = gz_store_articles_list(f->db, &home, &after);
    assert_non_null(l);
    assert_int_equal(after, (long long)before + 1);
    assert_int_equal((long long)json_array_size(l), after);
    json_decref(l);
    /* Each tag's kept count is its stories counted. */
    json_t *tags = gz_store_tag_rows(f->db, NULL, 1, 100, NULL);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        const char *slug = json_string_value(json_object_get(t, "slug"));
        struct gz_list_query q = {slug, NULL, 0, 1, 100, 0};
        long long kept = -1;
        json_t *rows = gz_store_articles_list(f->db, &q, &kept);
        assert_non_null(rows);
        if ((long long)json_array_size(rows) != kept)
            fail_msg("tag %s: kept count %lld, %zu stories", slug, kept,
                     json_array_size(rows));
        json_decref(rows);
    }
    json_decref(tags);
}

static void test_list_order_and_cards(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(gz_store_is_empty(f->db), 0);
    struct gz_list_query q = {NULL, NULL, 0, 1, 10, 0};
    long long total = -1;
    char buf[256];
    json_t *l = cards_list(f->db, &q, &total);
    assert_non_null(l);
    /* Published only, newest first: no draft, scheduled or due story. */
    assert_int_equal(total, 3);
    assert_string_equal(slugs(l, buf, sizeof buf),
                        "third-story second-story first-story");

    json_t *third = json_array_get(l, 0);
    assert_string_equal(str(third, "url"), "/articles/third-story");
    assert_string_equal(str(third, "title"), "Third story");
    assert_string_equal(str(third, "published_at"), at(f, -DAY));
    assert_true(strlen(str(third, "published_human")) > 0);
    assert_string_equal(str(third, "author.name"), "Bea Ploom");
    assert_string_equal(str(third, "author.url"), "/authors/bea-ploom");
    assert_string_equal(str(third, "author.initials"), "BP");
    assert_string_equal(str(third, "primary_tag.slug"), "science");
    assert_string_equal(str(third, "primary_tag.url"), "/tags/science");
    assert_true(json_is_null(json_object_get(third, "feature_image")));
    assert_null(json_object_get(third, "body_html"));
    assert_int_equal(num(third, "reading_time"), 1);
    /* With no hand-written excerpt, the card uses the text: the story's
     * excerpt is the automatic one, and there is no standfirst. */
    assert_string_equal(str(third, "standfirst"), "");
    assert_string_equal(str(third, "excerpt"), str(third, "card_excerpt"));
    assert_true(strncmp(str(third, "card_excerpt"), "A zebra escaped.", 16) ==
                0);

    json_t *second = json_array_get(l, 1);
    assert_string_equal(str(second, "card_excerpt"),
                        "A standfirst written by hand.");
    assert_string_equal(str(second, "author.initials"),
                        "\xc3\x89\xc3\x91");
    json_t *tags = json_object_get(second, "tags");
    assert_int_equal(json_array_size(tags), 2);
    /* Tags keep the order the story gave them; the first is primary. */
    assert_string_equal(str(json_array_get(tags, 0), "slug"), "science");
    assert_string_equal(str(json_array_get(tags, 1), "slug"), "politics");
    assert_string_equal(str(json_array_get(tags, 1), "url"), "/tags/politics");
    json_t *img = json_object_get(second, "feature_image");
    assert_true(json_is_object(img));
    assert_string_equal(str(img, "url"), "/media/sky.jpg");
    assert_string_equal(str(img, "alt"), "The night sky");
    assert_int_equal(num(img, "width"), 1200);
    assert_int_equal(num(img, "height"), 800);

    json_t *first = json_array_get(l, 2);
    /* Approved comments only: the comment and its reply. */
    assert_int_equal(num(first, "comment_count"), 2);
    assert_int_equal(num(second, "comment_count"), 0);
    json_decref(l);
}

static void test_list_pagination(void **state)
{
    struct fixture *f = *state;
    char buf[256];
    static const struct {
        long long page;
        int limit;
        const char *want;
    } cases[] = {
        {1, 2, "third-story second-story"},
        {2, 2, "first-story"},
        {3, 2, ""},
        {0, 2, "third-story second-story"},  /* page < 1 is page 1 */
        {-5, 2, "third-story second-story"},
        {1, 1, "third-story"},
        {2, 1, "second-story"},
        {3, 1, "first-story"},
        {4, 1, ""},
        {1, 3, "third-story second-story first-story"},
        {1000000, 10, ""},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct gz_list_query q = {NULL, NULL, 0, cases[i].page,
                                  cases[i].limit, 0};
        long long total = -1;
        json_t *l = cards_list(f->db, &q, &total);
        assert_non_null(l);
        assert_int_equal(total, 3); /* the total ignores the page */
        if (strcmp(slugs(l, buf, sizeof buf), cases[i].want) != 0)
            fail_msg("page %lld limit %d: \"%s\", want \"%s\"", cases[i].page,
                     cases[i].limit, buf, cases[i].want);
        json_decref(l);
    }
}

/* A page far past the end is empty, however large the number: the
 * offset (page - 1) * limit must not overflow into a negative OFFSET,
 * which SQLite reads as 0 and so serves page 1 again. store.h puts no
 * upper bound on `page`. */
static void test_list_huge_page(void **state)
{
    struct fixture *f = *state;
    static const long long pages[] = {LLONG_MAX, LLONG_MAX / 2 + 2,
                                      LLONG_MAX / 10 + 1};
    for (size_t i = 0; i < N(pages); i++) {
        struct gz_list_query q = {NULL, NULL, 0, pages[i], 10, 0};
        long long total = -1;
        json_t *l = cards_list(f->db, &q, &total);
        assert_non_null(l);
        assert_int_equal(total, 3);
        size_t got = json_array_size(l);
        json_decref(l);
        if (got != 0)
            fail_msg("articles_list page %lld gave %zu stories, want 0",
                     pages[i], got);
        json_t *r = cards_search(f->db, "zebra", pages[i], 10, &total);
        assert_non_null(r);
        got = json_array_size(r);
        json_decref(r);
        if (got != 0)
            fail_msg("search page %lld gave %zu results, want 0", pages[i],
                     got);
    }
}

static void test_list_filters(void **state)
{
    struct fixture *f = *state;
    char buf[256];
    /* exclude_id of the third story, read from a card. */
    struct gz_list_query q0 = {NULL, NULL, 0, 1, 1, 0};
    long long total;
    json_t *l = cards_list(f->db, &q0, &total);
    long long third_id = num(json_array_get(l, 0), "id");
    json_decref(l);

    static const struct {
        const char *tag, *author;
        int exclude_third;
        long long total;
        const char *want;
    } cases[] = {
        {"politics", NULL, 0, 2, "second-story first-story"},
        {"science", NULL, 0, 2, "third-story second-story"},
        {"empty", NULL, 0, 0, ""},
        {"no-such-tag", NULL, 0, 0, ""},
        {NULL, "bea-ploom", 0, 2, "third-story first-story"},
        {NULL, "elodie", 0, 1, "second-story"},
        {NULL, "nobody", 0, 0, ""},
        {"science", "bea-ploom", 0, 1, "third-story"},
        {"politics", "bea-ploom", 0, 1, "first-story"},
        {NULL, NULL, 1, 2, "second-story first-story"},
        {"science", NULL, 1, 1, "second-story"},
        {"' OR 1=1 --", NULL, 0, 0, ""},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct gz_list_query q = {cases[i].tag, cases[i].author,
                                  cases[i].exclude_third ? third_id : 0, 1,
                                  10, 0};
        total = -1;
        l = cards_list(f->db, &q, &total);
        assert_non_null(l);
        if (total != cases[i].total ||
            strcmp(slugs(l, buf, sizeof buf), cases[i].want) != 0)
            fail_msg("case %zu: total %lld \"%s\", want %lld \"%s\"", i,
                     total, buf, cases[i].total, cases[i].want);
        json_decref(l);
    }
}

static void test_list_with_body(void **state)
{
    struct fixture *f = *state;
    struct gz_list_query q = {"politics", NULL, 0, 1, 10, 1};
    long long total;
    json_t *l = cards_list(f->db, &q, &total);
    assert_non_null(l);
    size_t i;
    json_t *c;
    json_array_foreach(l, i, c)
    {
        assert_true(strlen(str(c, "body_html")) > 0);
    }
    assert_non_null(
        strstr(str(json_array_get(l, 1), "body_html"), "<h2>Budget</h2>"));
    json_decref(l);
}

/* ---- one story ------------------------------------------------------- */

static void test_article_load(void **state)
{
    struct fixture *f = *state;
    int err = 0;
    json_t *a = gz_site_article(f->db, "first-story", &err);
    assert_non_null(a);
    assert_string_equal(str(a, "slug"), "first-story");
    assert_string_equal(str(a, "title"), "First story");
    const char *body = str(a, "body_html");
    assert_non_null(strstr(body, "<h2>Budget</h2>"));
    assert_non_null(strstr(body, "<blockquote>"));
    assert_non_null(strstr(body, "<li>one</li>"));
    assert_string_equal(str(a, "author.bio"),
                        "Writes about <b>councils</b> & harbours.");
    assert_true(json_is_true(json_object_get(a, "comments_open")));

    /* Approved comments only, the reply nested under its parent. */
    json_t *comments = json_object_get(a, "comments");
    assert_int_equal(json_array_size(comments), 1);
    json_t *c = json_array_get(comments, 0);
    assert_string_equal(str(c, "name"), "Reader One");
    assert_string_equal(str(c, "initials"), "RO");
    assert_string_equal(str(c, "created_at"), at(f, -3 * DAY + HOUR));
    char anchor[40];
    snprintf(anchor, sizeof anchor, "comment-%lld", num(c, "id"));
    assert_string_equal(str(c, "anchor"), anchor);
    /* The body is escaped, with a <br> for the line break. */
    assert_string_equal(str(c, "body_html"),
                        "<p>Great &lt;script&gt;alert(1)&lt;/script&gt;<br>"
                        "second line</p>");
    json_t *replies = json_object_get(c, "replies");
    assert_int_equal(json_array_size(replies), 1);
    json_t *r = json_array_get(replies, 0);
    assert_string_equal(str(r, "name"), "Bea Ploom");
    assert_string_equal(str(r, "body_html"), "<p>Thanks!</p>");
    char *dump = json_dumps(a, 0);
    assert_null(strstr(dump, "buy pills"));
    assert_null(strstr(dump, "held for review"));
    free(dump);
    json_decref(a);

    /* The hostile story: raw HTML sanitized (the image stays, without its
     * handler), the entity text escaped. */
    a = gz_site_article(f->db, "third-story", &err);
    assert_non_null(a);
    body = str(a, "body_html");
    assert_null(strstr(body, "<script"));
    assert_null(strstr(body, "onerror"));
    assert_null(strstr(body, "alert(1)>"));
    assert_non_null(strstr(body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert_int_equal(json_array_size(json_object_get(a, "comments")), 0);
    assert_true(json_is_false(json_object_get(a, "comments_open")));
    json_decref(a);
}

static void test_article_not_found(void **state)
{
    struct fixture *f = *state;
    static const char *const slugs_[] = {
        "no-such-story", "draft-story", "future-story", "due-story", "",
        "first-story' OR '1'='1", "FIRST-STORY", "first-story/",
    };
    for (size_t i = 0; i < N(slugs_); i++) {
        int err = 0;
        json_t *a = gz_site_article(f->db, slugs_[i], &err);
        if (a) {
            json_decref(a);
            fail_msg("\"%s\" was found", slugs_[i]);
        }
        assert_int_equal(err, GZ_ENOTFOUND);
    }
}

/* ---- tags, authors, navigation --------------------------------------- */

static void test_tag_and_author_load(void **state)
{
    struct fixture *f = *state;
    int err = 0;
    json_t *t = tag_page(f->db, "politics", &err);
    assert_non_null(t);
    assert_string_equal(str(t, "name"), "Politics");
    assert_string_equal(str(t, "url"), "/tags/politics");
    assert_string_equal(str(t, "feed_url"), "/tags/politics/feed.xml");
    assert_string_equal(str(t, "description"), "Councils and <votes>.");
    /* Published stories only: not the scheduled future story. */
    assert_int_equal(num(t, "article_count"), 2);
    json_decref(t);
    assert_int_equal(count_of(tag_page, f->db, "science"), 2);
    assert_int_equal(count_of(tag_page, f->db, "empty"), 0);
    err = 0;
    assert_null(tag_page(f->db, "nope", &err));
    assert_int_equal(err, GZ_ENOTFOUND);

    json_t *a = author_page(f->db, "bea-ploom", &err);
    assert_non_null(a);
    assert_string_equal(str(a, "name"), "Bea Ploom");
    assert_string_equal(str(a, "url"), "/authors/bea-ploom");
    assert_string_equal(str(a, "initials"), "BP");
    assert_string_equal(str(a, "bio"), "Writes about <b>councils</b> & "
                                       "harbours.");
    assert_int_equal(num(a, "article_count"), 2); /* not the draft */
    json_decref(a);
    a = author_page(f->db, "elodie", &err);
    assert_non_null(a);
    assert_string_equal(str(a, "initials"), "\xc3\x89\xc3\x91");
    assert_int_equal(num(a, "article_count"), 1); /* not scheduled ones */
    json_decref(a);
    err = 0;
    assert_null(author_page(f->db, "nobody", &err));
    assert_int_equal(err, GZ_ENOTFOUND);
}

static void test_nav_tags(void **state)
{
    struct fixture *f = *state;
    json_t *nav = gz_store_nav_tags(f->db, 10);
    assert_non_null(nav);
    char buf[128];
    /* Tags with published stories, most used first, then by name. */
    assert_string_equal(slugs(nav, buf, sizeof buf), "politics science");
    assert_string_equal(str(json_array_get(nav, 0), "url"), "/tags/politics");
    json_decref(nav);
    nav = gz_store_nav_tags(f->db, 1);
    assert_int_equal(json_array_size(nav), 1);
    json_decref(nav);
}

/* ---- search ---------------------------------------------------------- */

static void test_search_finds(void **state)
{
    struct fixture *f = *state;
    long long total = -1;
    char buf[256];
    json_t *r = cards_search(f->db, "zebra", 1, 10, &total);
    assert_non_null(r);
    /* Published stories only: not the draft or the scheduled ones. */
    assert_int_equal(total, 2);
    slugs(r, buf, sizeof buf);
    assert_true(strcmp(buf, "first-story third-story") == 0 ||
                strcmp(buf, "third-story first-story") == 0);
    size_t i;
    json_t *c;
    json_array_foreach(r, i, c)
    {
        const char *snip = str(c, "snippet_html");
        if (!strstr(snip, "<mark>zebra</mark>"))
            fail_msg("snippet without a mark: %s", snip);
    }
    json_decref(r);

    /* Case, a prefix, and a word only in the title. */
    r = cards_search(f->db, "ZEBRA", 1, 10, &total);
    assert_int_equal(total, 2);
    json_decref(r);
    r = cards_search(f->db, "telesc", 1, 10, &total);
    assert_int_equal(total, 1);
    assert_string_equal(str(json_array_get(r, 0), "slug"), "second-story");
    json_decref(r);
    r = cards_search(f->db, "second", 1, 10, &total);
    assert_int_equal(total, 1);
    json_decref(r);
    /* Every word must match. */
    r = cards_search(f->db, "zebra council", 1, 10, &total);
    assert_int_equal(total, 1);
    assert_string_equal(str(json_array_get(r, 0), "slug"), "first-story");
    json_decref(r);
    r = cards_search(f->db, "zebra telescopes", 1, 10, &total);
    assert_int_equal(total, 0);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    /* Pagination: the total stays, the page moves. */
    r = cards_search(f->db, "zebra", 2, 1, &total);
    assert_int_equal(total, 2);
    assert_int_equal(json_array_size(r), 1);
    json_decref(r);
    r = cards_search(f->db, "zebra", 3, 1, &total);
    assert_int_equal(total, 2);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
}

static void test_search_hostile_input(void **state)
{
    struct fixture *f = *state;
    /* FTS5 syntax in the query is text, never an error. */
    static const char *const queries[] = {
        "\"", "\"\"", "\"zebra", "zebra\"", "AND", "OR", "NOT", "zebra AND",
        "AND zebra", "zebra OR", "NOT zebra", "NEAR(", "NEAR(zebra",
        "NEAR(zebra council, 2)", "*", "zebra*", "*zebra", "-", "-zebra",
        "zebra -council", "(", ")", "(zebra", "^zebra", ":", "title:zebra",
        "plain:zebra", "{title}:zebra", "+", "zebra + council", "'",
        "' OR 1=1 --", "%", "_", "\\", "\\\"", "\x7f", "", "   ", "\t\n",
        "zeb\"ra", "z\"\"ebra", "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
        "\xff\xfe", "a b c d e f g h i j k l m n o p q r s t u v w x y z",
    };
    for (size_t i = 0; i < N(queries); i++) {
        long long total = -1;
        json_t *r = cards_search(f->db, queries[i], 1, 10, &total);
        if (!r)
            fail_msg("search for \"%s\" failed", queries[i]);
        if (total < 0 || (long long)json_array_size(r) > total)
            fail_msg("search for \"%s\": total %lld, %zu rows", queries[i],
                     total, json_array_size(r));
        json_decref(r);
    }
    /* Syntax around a real word still finds it. */
    static const char *const finds[] = {"\"zebra\"", "zebra*", "-zebra",
                                        "(zebra)", "zebra:", "{zebra}"};
    for (size_t i = 0; i < N(finds); i++) {
        long long total = -1;
        json_t *r = cards_search(f->db, finds[i], 1, 10, &total);
        assert_non_null(r);
        if (total != 2)
            fail_msg("search for \"%s\": %lld results, want 2", finds[i],
                     total);
        json_decref(r);
    }
}

static void test_search_snippet_escaped(void **state)
{
    struct fixture *f = *state;
    long long total = -1;
    json_t *r = cards_search(f->db, "script", 1, 10, &total);
    assert_non_null(r);
    assert_int_equal(total, 1);
    const char *snip = str(json_array_get(r, 0), "snippet_html");
    /* The story's "<script>alert(1)</script>" text is escaped around the
     * mark; only <mark> tags are markup. */
    assert_non_null(strstr(snip, "&lt;<mark>script</mark>&gt;"));
    for (const char *p = strchr(snip, '<'); p; p = strchr(p + 1, '<'))
        if (strncmp(p, "<mark>", 6) != 0 && strncmp(p, "</mark>", 7) != 0)
            fail_msg("raw tag in snippet: %s", snip);
    assert_null(strchr(snip, '\x01'));
    assert_null(strchr(snip, '\x02'));
    json_decref(r);
}

/* ---- sitemap, settings, version -------------------------------------- */

static void test_sitemap(void **state)
{
    struct fixture *f = *state;
    json_t *map = gz_store_sitemap(f->db);
    assert_non_null(map);
    json_t *arts = json_object_get(map, "articles");
    json_t *tags = json_object_get(map, "tags");
    json_t *authors = json_object_get(map, "authors");
    assert_int_equal(json_array_size(arts), 3);
    assert_string_equal(str(json_array_get(arts, 0), "loc"),
                        "/articles/third-story");
    assert_string_equal(str(json_array_get(arts, 2), "loc"),
                        "/articles/first-story");
    assert_true(gz_time_parse_rfc3339(str(json_array_get(arts, 0),
                                          "lastmod")) > 0);
    /* Tags and authors with published stories only. */
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(str(json_array_get(tags, 0), "loc"),
                        "/tags/politics");
    assert_string_equal(str(json_array_get(tags, 1), "loc"), "/tags/science");
    assert_int_equal(json_array_size(authors), 2);
    assert_string_equal(str(json_array_get(authors, 0), "loc"),
                        "/authors/bea-ploom");
    assert_string_equal(str(json_array_get(authors, 1), "loc"),
                        "/authors/elodie");
    char *dump = json_dumps(map, 0);
    assert_null(strstr(dump, "draft-story"));
    assert_null(strstr(dump, "future-story"));
    assert_null(strstr(dump, "/tags/empty"));
    free(dump);
    json_decref(map);
}

static void test_settings(void **state)
{
    struct fixture *f = *state;
    json_t *s = gz_store_settings_load(f->db);
    assert_non_null(s);
    assert_string_equal(str(s, "title"), "Gazette");
    assert_string_equal(str(s, "base_url"), "");
    assert_string_equal(str(s, "comment_policy"), "first");
    /* "" means automatic: on when mail is configured (docs/DECISIONS.md). */
    assert_string_equal(str(s, "double_opt_in"), "");
    assert_true(strlen(str(s, "description")) > 0);
    json_decref(s);

    json_t *doc = json_pack("{s:{s:s, s:s}}", "settings", "title",
                            "The <Daily> & Co", "base_url",
                            "https://news.example.com");
    import_ok(f->db, doc);
    json_decref(doc);
    s = gz_store_settings_load(f->db);
    assert_string_equal(str(s, "title"), "The <Daily> & Co");
    assert_string_equal(str(s, "base_url"), "https://news.example.com");
    assert_string_equal(str(s, "comment_policy"), "first"); /* default kept */
    json_decref(s);

    /* Non-string settings are refused and name the key. */
    char err[256] = "";
    doc = json_pack("{s:{s:i}}", "settings", "title", 5);
    assert_int_equal(gz_store_import(f->db, doc, err, sizeof err), GZ_EINVAL);
    assert_non_null(strstr(err, "settings.title"));
    json_decref(doc);
}

static void test_content_version(void **state)
{
    struct fixture *f = *state;
    long long n0 = -1, at0 = -1, n1, at1, n2, at2;
    assert_int_equal(gz_store_content_version(f->db, &n0, &at0), 0);
    assert_true(n0 >= 1);
    assert_true(at0 > 0);
    json_t *doc = newsroom(f);
    import_ok(f->db, doc);
    assert_int_equal(gz_store_content_version(f->db, &n1, &at1), 0);
    assert_true(n1 > n0);
    assert_true(at1 >= at0);
    /* Reading changes nothing. */
    long long total;
    struct gz_list_query q = {NULL, NULL, 0, 1, 10, 0};
    json_decref(cards_list(f->db, &q, &total));
    assert_int_equal(gz_store_content_version(f->db, &n2, &at2), 0);
    assert_int_equal(n2, n1);
    /* A settings change is visible to readers too. */
    json_t *s = json_pack("{s:{s:s}}", "settings", "title", "New name");
    import_ok(f->db, s);
    json_decref(s);
    assert_int_equal(gz_store_content_version(f->db, &n2, &at2), 0);
    assert_true(n2 > n1);
    json_decref(doc);
}

/* ---- scheduled publishing -------------------------------------------- */

static void test_publish_due(void **state)
{
    struct fixture *f = *state;
    int err = 0;
    assert_null(gz_site_article(f->db, "due-story", &err));
    long long v0, v1, t;
    assert_int_equal(gz_store_content_version(f->db, &v0, &t), 0);

    assert_int_equal(gz_store_publish_due(f->db), 1);
    json_t *a = gz_site_article(f->db, "due-story", &err);
    assert_non_null(a);
    assert_string_equal(str(a, "published_at"), at(f, -HOUR));
    json_decref(a);
    assert_int_equal(gz_store_content_version(f->db, &v1, &t), 0);
    assert_true(v1 > v0);

    /* The future one waits; nothing is left to do. */
    assert_null(gz_site_article(f->db, "future-story", &err));
    assert_int_equal(err, GZ_ENOTFOUND);
    assert_int_equal(gz_store_publish_due(f->db), 0);
    assert_int_equal(list_total(f->db, NULL, NULL), 4);
    assert_int_equal(list_total(f->db, NULL, "elodie"), 2);
    /* The draft is never published by the scheduler. */
    assert_null(gz_site_article(f->db, "draft-story", &err));
}

/* ---- import ---------------------------------------------------------- */

struct counts {
    long long all, politics, science, bea, elodie, comments;
};

static void get_counts(struct gz_db *db, struct counts *c)
{
    c->all = list_total(db, NULL, NULL);
    c->politics = count_of(tag_page, db, "politics");
    c->science = count_of(tag_page, db, "science");
    c->bea = count_of(author_page, db, "bea-ploom");
    c->elodie = count_of(author_page, db, "elodie");
    int err;
    json_t *a = gz_site_article(db, "first-story", &err);
    c->comments = a ? num(a, "comment_count") : -1;
    json_decref(a);
}

static void assert_counts_equal(const struct counts *a,
                                const struct counts *b)
{
    assert_int_equal(a->all, b->all);
    assert_int_equal(a->politics, b->politics);
    assert_int_equal(a->science, b->science);
    assert_int_equal(a->bea, b->bea);
    assert_int_equal(a->elodie, b->elodie);
    assert_int_equal(a->comments, b->comments);
}

static void test_import_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    struct counts before, after;
    get_counts(f->db, &before);
    long long v0, v1, t;
    assert_int_equal(gz_store_content_version(f->db, &v0, &t), 0);

    /* A new author, tag and good story, then a bad story at the end. */
    json_t *doc = json_pack(
        "{s:{s:s}, s:[{s:s, s:s, s:s}], s:[{s:s, s:s}],"
        " s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:[s, s]},"
        "    {s:s, s:s, s:s, s:s}]}",
        "settings", "title", "Changed",
        "authors", "name", "New Writer", "slug", "new-writer", "email",
        "new@example.com",
        "tags", "name", "Sport", "slug", "sport",
        "articles",
        "slug", "good-one", "title", "Good", "markdown", "zebra again",
        "status", "published", "author", "new-writer", "published_at",
        at(f, -60), "tags", "sport", "politics",
        "slug", "Bad Slug!", "title", "Bad", "status", "draft", "author",
        "bea-ploom");
    char err[256] = "";
    assert_int_equal(gz_store_import(f->db, doc, err, sizeof err), GZ_EINVAL);
    if (!strstr(err, "articles[1].slug"))
        fail_msg("error \"%s\" does not name articles[1].slug", err);
    json_decref(doc);

    get_counts(f->db, &after);
    assert_counts_equal(&before, &after);
    int e;
    assert_null(author_page(f->db, "new-writer", &e));
    assert_null(tag_page(f->db, "sport", &e));
    assert_null(gz_site_article(f->db, "good-one", &e));
    json_t *s = gz_store_settings_load(f->db);
    assert_string_equal(str(s, "title"), "The Test Times");
    json_decref(s);
    long long total;
    json_t *r = cards_search(f->db, "zebra", 1, 10, &total);
    assert_int_equal(total, 2);
    json_decref(r);
    assert_int_equal(gz_store_content_version(f->db, &v1, &t), 0);
    assert_int_equal(v1, v0);
    /* The connection is usable afterwards (no transaction left open). */
    json_t *ok = json_pack("{s:{s:s}}", "settings", "title", "After");
    import_ok(f->db, ok);
    json_decref(ok);
}

struct bad_import {
    const char *json; /* the document, as JSON text */
    const char *need; /* in the error message */
};

static const struct bad_import bad_imports[] = {
    {"[]", "object"},
    {"{\"authors\": {}}", "authors"},
    {"{\"tags\": \"x\"}", "tags"},
    {"{\"articles\": 5}", "articles"},
    {"{\"settings\": []}", "settings"},
    {"{\"settings\": {\"title\": null}}", "settings.title"},
    {"{\"authors\": [{\"name\": \"A\", \"slug\": \"a\"}]}",
     "authors[0].email"},
    {"{\"authors\": [{\"name\": \"A\", \"slug\": \"a\", \"email\": \"no-at\"}]}",
     "authors[0].email"},
    {"{\"authors\": [{\"slug\": \"a\", \"email\": \"a@x\"}]}",
     "authors[0].name"},
    {"{\"authors\": [{\"name\": \"A\", \"slug\": \"A B\", \"email\": "
     "\"a@x\"}]}",
     "authors[0].slug"},
    {"{\"authors\": [{\"name\": \"A\", \"slug\": \"a\", \"email\": \"a@x\", "
     "\"role\": \"root\"}]}",
     "authors[0].role"},
    {"{\"authors\": [{\"name\": \"A\\u0001\", \"slug\": \"a\", \"email\": "
     "\"a@x\"}]}",
     "authors[0].name"},
    {"{\"tags\": [{\"name\": \"T\", \"slug\": \"t\"}, {\"name\": \"\", "
     "\"slug\": \"u\"}]}",
     "tags[1].name"},
    {"{\"tags\": [{\"name\": \"T\", \"slug\": \"-t\"}]}", "tags[0].slug"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"nobody\"}]}",
     "articles[0].author"},
    {"{\"articles\": [{\"slug\": \"a\", \"author\": \"bea-ploom\"}]}",
     "articles[0].title"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"status\": \"live\"}]}",
     "articles[0].status"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"status\": \"published\"}]}",
     "articles[0].published_at"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"status\": \"published\", \"published_at\": "
     "\"2026-02-31T00:00:00Z\"}]}",
     "articles[0].published_at"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"tags\": [\"nope\"]}]}",
     "articles[0].tags[0]"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"feature_image\": {\"url\": "
     "\"javascript:alert(1)\"}}]}",
     "articles[0].feature_image.url"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"feature_image\": {\"url\": \"//evil.example/x.png\"}}]}",
     "articles[0].feature_image.url"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"comments\": [{\"body\": \"hi\"}]}]}",
     "articles[0].comments[0].name"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"comments\": [{\"name\": \"N\", \"body\": \"\"}]}]}",
     "articles[0].comments[0].body"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"comments\": [{\"name\": \"N\", \"body\": \"b\", "
     "\"status\": \"shown\"}]}]}",
     "articles[0].comments[0].status"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"comments\": [{\"name\": \"N\", \"body\": \"b\", "
     "\"created_at\": \"yesterday\"}]}]}",
     "articles[0].comments[0].created_at"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"feature_image\": \"/media/x.png\"}]}",
     "articles[0].feature_image.url"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"comments\": [{\"name\": \"N\", \"body\": \"b\", "
     "\"replies\": [{\"name\": \"M\", \"body\": \"c\", \"replies\": "
     "[{\"name\": \"O\", \"body\": \"d\"}]}]}]}]}",
     "articles[0].comments[0].replies[0].replies"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"comments\": [{\"name\": \"N\", \"body\": \"b\", "
     "\"replies\": [{\"name\": \"\", \"body\": \"c\"}]}]}]}",
     "articles[0].comments[0].replies[0].name"},
};

static void test_import_errors(void **state)
{
    struct fixture *f = *state;
    struct counts before, after;
    get_counts(f->db, &before);
    for (size_t i = 0; i < N(bad_imports); i++) {
        json_error_t je;
        json_t *doc = json_loads(bad_imports[i].json, 0, &je);
        if (!doc)
            fail_msg("case %zu: bad test JSON: %s", i, je.text);
        char err[512] = "";
        int rc = gz_store_import(f->db, doc, err, sizeof err);
        json_decref(doc);
        if (rc != GZ_EINVAL)
            fail_msg("case %zu (%s): rc %d, want GZ_EINVAL", i,
                     bad_imports[i].json, rc);
        if (!strstr(err, bad_imports[i].need))
            fail_msg("case %zu: error \"%s\" does not name %s", i, err,
                     bad_imports[i].need);
    }
    get_counts(f->db, &after);
    assert_counts_equal(&before, &after);
    int e;
    assert_null(author_page(f->db, "a", &e));
    assert_null(tag_page(f->db, "t", &e));
}

static void test_import_twice(void **state)
{
    struct fixture *f = *state;
    struct counts before, after;
    get_counts(f->db, &before);
    json_t *doc = newsroom(f);
    import_ok(f->db, doc);
    json_decref(doc);
    get_counts(f->db, &after);
    /* Same slugs are updated in place; comments are not doubled. */
    assert_counts_equal(&before, &after);
    int err;
    json_t *a = gz_site_article(f->db, "first-story", &err);
    assert_int_equal(json_array_size(json_object_get(a, "comments")), 1);
    json_decref(a);

    /* An update changes the story and re-renders it. */
    doc = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s, s:[]}]}", "articles",
                    "slug", "first-story", "title", "First story, updated",
                    "markdown", "### New body", "status", "published",
                    "author", "elodie", "published_at", at(f, -3 * DAY),
                    "tags");
    import_ok(f->db, doc);
    json_decref(doc);
    a = gz_site_article(f->db, "first-story", &err);
    assert_non_null(a);
    assert_string_equal(str(a, "title"), "First story, updated");
    assert_string_equal(str(a, "body_html"), "<h3>New body</h3>\n");
    assert_string_equal(str(a, "author.slug"), "elodie");
    assert_true(json_is_null(json_object_get(a, "primary_tag")));
    assert_int_equal(json_array_size(json_object_get(a, "comments")), 1);
    json_decref(a);
    assert_int_equal(count_of(tag_page, f->db, "politics"), 1);
    long long total;
    json_t *r = cards_search(f->db, "budget", 1, 10, &total);
    assert_int_equal(total, 0); /* the search index followed the update */
    json_decref(r);
}

/* A story whose body has no text (raw HTML only) must not fill its card
 * excerpt or the search index with garbage. */
static void test_import_textless_story(void **state)
{
    struct fixture *f = *state;
    json_t *doc = json_pack(
        "{s:[{s:s, s:s, s:s}], s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}",
        "authors", "name", "A", "slug", "a", "email", "a@example.com",
        "articles", "slug", "html-only", "title", "Html only", "markdown",
        "<script>raw</script>", "status", "published", "author", "a",
        "published_at", at(f, -10));
    import_ok(f->db, doc);
    json_decref(doc);
    struct gz_list_query q = {NULL, "a", 0, 1, 10, 0};
    long long total;
    json_t *l = cards_list(f->db, &q, &total);
    assert_int_equal(total, 1);
    const char *ex = str(json_array_get(l, 0), "card_excerpt");
    if (ex[0] != '\0')
        fail_msg("card_excerpt of a story without text is \"%s\"", ex);
    json_decref(l);
}

/* ---- export, backup, demo -------------------------------------------- */

static void test_export_roundtrip(void **state)
{
    struct fixture *f = *state;
    json_t *exp1 = gz_store_export(f->db);
    assert_non_null(exp1);
    assert_int_equal(json_array_size(json_object_get(exp1, "authors")), 2);
    assert_int_equal(json_array_size(json_object_get(exp1, "tags")), 3);
    assert_int_equal(json_array_size(json_object_get(exp1, "articles")), 6);
    assert_string_equal(str(json_object_get(exp1, "settings"), "title"),
                        "The Test Times");

    char path[160];
    snprintf(path, sizeof path, "%s/copy.db", f->dir);
    struct gz_db *db2 = open_db(path);
    import_ok(db2, exp1);

    struct counts a, b;
    get_counts(f->db, &a);
    get_counts(db2, &b);
    assert_counts_equal(&a, &b);
    /* Drafts and scheduled stories came along and are still hidden. */
    int err;
    assert_null(gz_site_article(db2, "draft-story", &err));
    /* The scheduler on both, back to back: publishing sets updated_at,
     * which the exports compare to the second. */
    assert_int_equal(gz_store_publish_due(db2), 1);
    assert_int_equal(gz_store_publish_due(f->db), 1);

    /* The stories read the same (ids aside). */
    json_t *x = gz_site_article(f->db, "first-story", &err);
    json_t *y = gz_site_article(db2, "first-story", &err);
    assert_non_null(x);
    assert_non_null(y);
    assert_string_equal(str(x, "body_html"), str(y, "body_html"));
    assert_string_equal(str(x, "published_at"), str(y, "published_at"));
    json_t *cx = json_array_get(json_object_get(x, "comments"), 0);
    json_t *cy = json_array_get(json_object_get(y, "comments"), 0);
    assert_string_equal(str(cx, "body_html"), str(cy, "body_html"));
    assert_string_equal(str(cx, "created_at"), str(cy, "created_at"));
    assert_int_equal(json_array_size(json_object_get(cy, "replies")), 1);
    json_decref(x);
    json_decref(y);

    /* Exporting the copy gives the same document back, pending and spam
     * comments included (before the scheduler ran on db2 it was equal;
     * compare after both published it). */
    json_t *exp2 = gz_store_export(db2);
    json_t *exp1b = gz_store_export(f->db);
    if (!json_equal(exp1b, exp2)) {
        char *s1 = json_dumps(exp1b, JSON_SORT_KEYS);
        char *s2 = json_dumps(exp2, JSON_SORT_KEYS);
        print_error("export 1: %s\nexport 2: %s\n", s1, s2);
        free(s1);
        free(s2);
        fail_msg("exports differ");
    }
    json_decref(exp1);
    json_decref(exp1b);
    json_decref(exp2);
    gz_db_close(db2);
}

static const char *const SHA_A =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* What the newsroom fixture lacks for a whole site: users of every kind,
 * subscribers, media rows, a held comment on an existing story. */
static json_t *whole_site_doc(struct fixture *f)
{
    char media_path[96];
    snprintf(media_path, sizeof media_path, "/media/%s.png", SHA_A);
    json_t *doc = json_pack(
        "{s:[{s:s, s:s, s:s, s:s, s:b, s:s}, {s:s, s:s, s:s, s:s}],"
        " s:[{s:s, s:s, s:s, s:I, s:i, s:i, s:s}],"
        " s:[{s:s, s:s, s:s, s:s, s:s}, {s:s, s:s, s:s},"
        "    {s:s, s:s, s:s}],"
        " s:[{s:s, s:s, s:s, s:s, s:s, s:s,"
        "     s:[{s:s, s:s, s:s, s:s, s:s}]}]}",
        "authors",
        "name", "Gone Writer", "slug", "gone-writer", "email",
        "gone@example.com", "role", "author", "disabled", 1, "created_at",
        at(f, -30 * DAY),
        "name", "Ad Min", "slug", "ad-min", "email", "admin@example.com",
        "role", "admin",
        "media",
        "sha256", SHA_A, "path", media_path, "mime", "image/png", "bytes",
        (json_int_t)4321, "width", 10, "height", 20, "created_at",
        at(f, -DAY),
        "subscribers",
        "email", "active@example.com", "name", "Act Ive", "status", "active",
        "created_at", at(f, -5 * DAY), "confirmed_at", at(f, -4 * DAY),
        "email", "pending@example.com", "status", "pending", "created_at",
        at(f, -3 * DAY),
        "email", "left@example.com", "status", "unsubscribed", "created_at",
        at(f, -2 * DAY),
        "articles",
        "slug", "first-story", "title", "First story", "markdown", "Again.",
        "status", "published", "author", "bea-ploom", "published_at",
        at(f, -3 * DAY), "comments", "name", "Late Comer", "email",
        "late@example.com", "body", "Held for later.", "status", "pending",
        "created_at", at(f, -HOUR));
    assert_non_null(doc);
    return doc;
}

static void assert_json_equal(json_t *a, json_t *b, const char *what)
{
    if (!json_equal(a, b)) {
        char *s1 = json_dumps(a, JSON_SORT_KEYS | JSON_INDENT(1));
        char *s2 = json_dumps(b, JSON_SORT_KEYS | JSON_INDENT(1));
        print_error("first: %s\nsecond: %s\n", s1, s2);
        free(s1);
        free(s2);
        fail_msg("%s: the documents differ", what);
    }
}

/* Finds the object in list whose key is value; borrowed or NULL. */
static json_t *find_by(json_t *list, const char *key, const char *value)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        if (strcmp(str(x, key), value) == 0)
            return x;
    }
    return NULL;
}

static void test_export_whole_site(void **state)
{
    struct fixture *f = *state;
    json_t *doc = whole_site_doc(f);
    import_ok(f->db, doc);
    /* A password, a session: secrets the export must leave behind. */
    char err[200];
    const char *field = NULL;
    long long uid = 0;
    assert_int_equal(gz_store_user_create(f->db, "admin@example.com",
                                          "Ad Min", "admin",
                                          "correct horse battery", &uid, err,
                                          sizeof err, &field),
                     0);
    char token[65];
    assert_int_equal(gz_store_session_create(f->db, uid, 3600, token), 0);

    json_t *exp1 = gz_store_export(f->db);
    char *text = json_dumps(exp1, JSON_SORT_KEYS);
    assert_non_null(text);
    assert_null(strstr(text, "$argon2"));
    assert_null(strstr(text, "hash"));
    assert_null(strstr(text, "password"));
    assert_null(strstr(text, token));
    free(text);

    json_t *u = find_by(json_object_get(exp1, "authors"), "email",
                        "gone@example.com");
    assert_non_null(u);
    assert_true(json_is_true(json_object_get(u, "disabled")));
    assert_string_equal(str(u, "created_at"), at(f, -30 * DAY));
    u = find_by(json_object_get(exp1, "authors"), "email",
                "admin@example.com");
    assert_string_equal(str(u, "role"), "admin");
    assert_true(json_is_false(json_object_get(u, "disabled")));
    json_t *m = json_array_get(json_object_get(exp1, "media"), 0);
    assert_string_equal(str(m, "sha256"), SHA_A);
    assert_int_equal(num(m, "bytes"), 4321);
    assert_int_equal(num(m, "height"), 20);
    json_t *subs = json_object_get(exp1, "subscribers");
    assert_int_equal(json_array_size(subs), 3);
    json_t *s = find_by(subs, "email", "active@example.com");
    assert_string_equal(str(s, "status"), "active");
    assert_string_equal(str(s, "confirmed_at"), at(f, -4 * DAY));
    s = find_by(subs, "email", "pending@example.com");
    assert_string_equal(str(s, "status"), "pending");
    assert_null(json_object_get(s, "confirmed_at"));
    json_t *a = find_by(json_object_get(exp1, "articles"), "slug",
                        "first-story");
    /* The newsroom's three comments and the held one added to the
     * existing story (none doubled). */
    assert_int_equal(json_array_size(json_object_get(a, "comments")), 4);
    assert_non_null(str(a, "created_at"));
    assert_non_null(str(a, "updated_at"));
    a = find_by(json_object_get(exp1, "articles"), "slug", "draft-story");
    assert_string_equal(str(a, "status"), "draft");

    /* Into a fresh database and out again: the same document. */
    char path[160];
    snprintf(path, sizeof path, "%s/whole.db", f->dir);
    struct gz_db *db2 = open_db(path);
    import_ok(db2, exp1);
    json_t *exp2 = gz_store_export(db2);
    assert_json_equal(exp1, exp2, "export(import(export))");
    /* Twice: nothing doubles, nothing changes. */
    import_ok(db2, exp1);
    json_t *exp3 = gz_store_export(db2);
    assert_json_equal(exp2, exp3, "a second import");
    json_t *c = gz_store_subscriber_counts(db2);
    assert_int_equal(num(c, "total"), 3);
    assert_int_equal(num(c, "active"), 1);
    json_decref(c);
    /* Imported users have no password: they cannot sign in. */
    assert_int_equal(gz_store_login_users(db2), 0);
    /* And back into the site it came from: no change either. */
    import_ok(f->db, exp1);
    json_t *exp4 = gz_store_export(f->db);
    assert_json_equal(exp1, exp4, "import into the source");
    assert_int_equal(gz_store_login_users(f->db), 1);
    json_decref(exp1);
    json_decref(exp2);
    json_decref(exp3);
    json_decref(exp4);
    json_decref(doc);
    gz_db_close(db2);
}

/* Users match by email (a new slug renames them); a slug of another
 * user, or an import that would lock the admins out, is refused. */
static void test_import_users_by_email(void **state)
{
    struct fixture *f = *state;
    json_t *doc = json_pack("{s:[{s:s, s:s, s:s, s:s}]}", "authors", "name",
                            "Bea P. Ploom", "slug", "bea-p", "email",
                            "BEA@example.com", "role", "admin");
    import_ok(f->db, doc);
    json_decref(doc);
    int err;
    assert_null(author_page(f->db, "bea-ploom", &err));
    json_t *a = author_page(f->db, "bea-p", &err);
    assert_non_null(a);
    assert_string_equal(str(a, "name"), "Bea P. Ploom");
    json_decref(a);
    json_t *exp = gz_store_export(f->db);
    assert_int_equal(json_array_size(json_object_get(exp, "authors")), 2);
    json_decref(exp);

    char msg[512] = "";
    doc = json_pack("{s:[{s:s, s:s, s:s}]}", "authors", "name", "Other",
                    "slug", "elodie", "email", "other@example.com");
    assert_int_equal(gz_store_import(f->db, doc, msg, sizeof msg), GZ_EINVAL);
    if (!strstr(msg, "authors[0].slug"))
        fail_msg("error \"%s\" does not name authors[0].slug", msg);
    json_decref(doc);

    char e2[200];
    const char *field = NULL;
    long long uid;
    assert_int_equal(gz_store_user_create(f->db, "bea@example.com", "Bea",
                                          "admin", "correct horse battery",
                                          &uid, e2, sizeof e2, &field),
                     0);
    assert_int_equal(gz_store_admin_count(f->db), 1);
    doc = json_pack("{s:[{s:s, s:s, s:s, s:b}]}", "authors", "name", "Bea",
                    "slug", "bea-p", "email", "bea@example.com", "disabled",
                    1);
    assert_int_equal(gz_store_import(f->db, doc, msg, sizeof msg), GZ_EINVAL);
    if (!strstr(msg, "authors[0]") || !strstr(msg, "admin"))
        fail_msg("error \"%s\" does not explain the lock-out", msg);
    json_decref(doc);
    assert_int_equal(gz_store_admin_count(f->db), 1);
}

static const struct bad_import bad_site_imports[] = {
    {"{\"subscribers\": {}}", "subscribers"},
    {"{\"media\": [5]}", "media[0]"},
    {"{\"subscribers\": [{\"email\": \"a@example.com\", \"status\": "
     "\"active\"}, {\"email\": \"nope\", \"status\": \"active\"}]}",
     "subscribers[1].email"},
    {"{\"subscribers\": [{\"email\": \"a@example.com\"}]}",
     "subscribers[0].status"},
    {"{\"subscribers\": [{\"email\": \"a@example.com\", \"status\": "
     "\"active\", \"created_at\": \"soon\"}]}",
     "subscribers[0].created_at"},
    {"{\"subscribers\": [{\"email\": \"a@example.com\", \"name\": "
     "\"a\\nb\", \"status\": \"active\"}]}",
     "subscribers[0].name"},
    {"{\"media\": [{\"sha256\": \"xyz\", \"path\": \"/media/x.png\", "
     "\"mime\": \"image/png\", \"bytes\": 1}]}",
     "media[0].sha256"},
    {"{\"media\": [{\"sha256\": \"0123456789abcdef0123456789abcdef0123456789"
     "abcdef0123456789abcdef\", \"path\": \"/media/../../etc/passwd\", "
     "\"mime\": \"image/png\", \"bytes\": 1}]}",
     "media[0].path"},
    {"{\"media\": [{\"sha256\": \"0123456789abcdef0123456789abcdef0123456789"
     "abcdef0123456789abcdef\", \"path\": \"/media/0123456789abcdef0123456789"
     "abcdef0123456789abcdef0123456789abcdef.png\", \"mime\": \"text/html\", "
     "\"bytes\": 1}]}",
     "media[0].mime"},
    {"{\"media\": [{\"sha256\": \"0123456789abcdef0123456789abcdef0123456789"
     "abcdef0123456789abcdef\", \"path\": \"/media/0123456789abcdef0123456789"
     "abcdef0123456789abcdef0123456789abcdef.png\", \"mime\": \"image/png\"}"
     "]}",
     "media[0].bytes"},
    {"{\"authors\": [{\"name\": \"A\", \"slug\": \"a\", \"email\": "
     "\"a@example.com\", \"disabled\": \"no\"}]}",
     "authors[0].disabled"},
    {"{\"authors\": [{\"name\": \"A\", \"slug\": \"a\", \"email\": "
     "\"a@example.com\", \"created_at\": 5}]}",
     "authors[0].created_at"},
    {"{\"articles\": [{\"slug\": \"a\", \"title\": \"A\", \"author\": "
     "\"bea-ploom\", \"updated_at\": \"later\"}]}",
     "articles[0].updated_at"},
};

static void test_import_site_errors(void **state)
{
    struct fixture *f = *state;
    json_t *before = gz_store_export(f->db);
    for (size_t i = 0; i < N(bad_site_imports); i++) {
        json_error_t je;
        json_t *doc = json_loads(bad_site_imports[i].json, 0, &je);
        if (!doc)
            fail_msg("case %zu: bad test JSON: %s", i, je.text);
        char err[512] = "";
        int rc = gz_store_import(f->db, doc, err, sizeof err);
        json_decref(doc);
        if (rc != GZ_EINVAL)
            fail_msg("case %zu (%s): rc %d, want GZ_EINVAL", i,
                     bad_site_imports[i].json, rc);
        if (!strstr(err, bad_site_imports[i].need))
            fail_msg("case %zu: error \"%s\" does not name %s", i, err,
                     bad_site_imports[i].need);
    }
    json_t *after = gz_store_export(f->db);
    assert_json_equal(before, after, "failed imports");
    json_decref(before);
    json_decref(after);
}

/* An import takes consent away, never gives it: a known address keeps its
 * status unless the file says the reader left. */
static void test_import_subscriber_consent(void **state)
{
    struct fixture *f = *state;
    json_t *doc = json_pack("{s:[{s:s, s:s}, {s:s, s:s}]}", "subscribers",
                            "email", "stay@example.com", "status",
                            "unsubscribed", "email", "go@example.com",
                            "status", "active");
    import_ok(f->db, doc);
    json_decref(doc);
    doc = json_pack("{s:[{s:s, s:s}, {s:s, s:s}]}", "subscribers", "email",
                    "STAY@example.com", "status", "active", "email",
                    "go@example.com", "status", "unsubscribed");
    import_ok(f->db, doc);
    json_decref(doc);
    json_t *c = gz_store_subscriber_counts(f->db);
    assert_int_equal(num(c, "total"), 2);
    assert_int_equal(num(c, "unsubscribed"), 2);
    json_decref(c);
}

static void test_backup(void **state)
{
    struct fixture *f = *state;
    char path[160];
    snprintf(path, sizeof path, "%s/backup.db", f->dir);
    assert_int_equal(gz_db_backup(f->db, path), 0);
    struct gz_db *copy = gz_db_open(path, GZ_DB_READWRITE, "FULL");
    assert_non_null(copy);
    assert_int_equal(gz_db_migrate(copy), 0); /* schema came along */
    struct counts a, b;
    get_counts(f->db, &a);
    get_counts(copy, &b);
    assert_counts_equal(&a, &b);
    json_t *e1 = gz_store_export(f->db), *e2 = gz_store_export(copy);
    assert_true(json_equal(e1, e2));
    json_decref(e1);
    json_decref(e2);
    long long total;
    json_t *r = cards_search(copy, "zebra", 1, 10, &total);
    assert_int_equal(total, 2);
    json_decref(r);
    gz_db_close(copy);

    /* An unwritable destination is an error. */
    snprintf(path, sizeof path, "%s/no/such/dir/b.db", f->dir);
    assert_true(gz_db_backup(f->db, path) < 0);
}

static void test_demo_import(void **state)
{
    struct fixture *f = *state;
    const char *root = getenv("GZ_SOURCE_ROOT");
    char path[1024];
    snprintf(path, sizeof path, "%s/demo/demo.json",
             root && *root ? root : ".");
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!doc)
        fail_msg("%s: %s", path, je.text);
    import_ok(f->db, doc);
    long long n = (long long)json_array_size(json_object_get(doc, "articles"));
    json_decref(doc);
    assert_int_equal(gz_store_is_empty(f->db), 0);
    long long published = list_total(f->db, NULL, NULL);
    assert_true(published > 0 && published <= n);
    /* Every published demo story loads, with body HTML and no raw tags
     * that safe mode would have dropped. */
    struct gz_list_query q = {NULL, NULL, 0, 1, 100, 0};
    long long total;
    json_t *l = cards_list(f->db, &q, &total);
    size_t i;
    json_t *c;
    json_array_foreach(l, i, c)
    {
        int err;
        json_t *a = gz_site_article(f->db, str(c, "slug"), &err);
        assert_non_null(a);
        const char *body = str(a, "body_html");
        assert_true(strlen(body) > 0);
        assert_null(strstr(body, "<script"));
        assert_true(gz_utf8_valid_text(str(c, "card_excerpt"),
                                       strlen(str(c, "card_excerpt"))));
        json_decref(a);
    }
    json_decref(l);
}

/* ---- bounded search (issue 9; docs/DECISIONS.md) ---------------------- */

/* Words of one or two characters are exact terms, longer ones prefixes. */
static void test_search_short_words_are_exact(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *q;
        long long want;
    } cases[] = {
        {"ze", 0}, /* not "zebra": a two-letter word is a whole word */
        {"z", 0},  {"zeb", 2}, /* three letters: a prefix */
        {"on", 2}, /* "...crossing on Tuesday", "printed on its sign" */
        {"ON", 2}, {"zeb on", 2}, {"ze on", 0},
    };
    for (size_t i = 0; i < N(cases); i++) {
        long long total = -1;
        json_t *r = cards_search(f->db, cases[i].q, 1, 10, &total);
        assert_non_null(r);
        if (total != cases[i].want)
            fail_msg("search for \"%s\": %lld results, want %lld", cases[i].q,
                     total, cases[i].want);
        json_decref(r);
    }
}

/* When every slot is taken and there is no wait, a search is refused
 * (BUSY), the site's and the API's alike; a freed slot serves the next. */
static void test_search_busy_when_slots_are_taken(void **state)
{
    struct fixture *f = *state;
    gz_store_search_set_limits(1, 0, 0, -1);
    int slot = gz_store_search_acquire(NULL);
    assert_int_equal(slot, 1);
    assert_int_equal(gz_store_search_acquire(NULL), -GZ_SEARCH_BUSY);
    struct gz_found found = {-1, -1};
    int why = 0;
    json_t *r =
        gz_store_search_bounded(f->db, "zebra", 1, 10, NULL, &found, &why);
    assert_null(r);
    assert_int_equal(why, GZ_SEARCH_BUSY);
    struct gz_story_filter sf = {0};
    sf.q = "zebra";
    sf.rank = 1;
    sf.page = 1;
    sf.limit = 10;
    int bad = 0;
    char err[100];
    r = gz_store_story_rows(f->db, &sf, &found, &bad, err, sizeof err);
    assert_null(r);
    assert_int_equal(bad, GZ_SEARCH_BUSY);
    gz_store_search_release(slot);
    r = gz_store_search_bounded(f->db, "zebra", 1, 10, NULL, &found, &why);
    assert_non_null(r);
    assert_int_equal(found.total, 2);
    assert_int_equal(found.newest_first, 0);
    json_decref(r);
    r = gz_store_story_rows(f->db, &sf, &found, &bad, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(json_array_size(r), 2);
    json_decref(r);
    gz_store_search_set_limits(0, 0, 0, 0);
}

struct waiter_arg {
    const char *client;
    int got;
};

static void *wait_for_slot(void *p)
{
    struct waiter_arg *w = p;
    w->got = gz_store_search_acquire(w->client);
    if (w->got > 0)
        gz_store_search_release(w->got);
    return NULL;
}

/* A search waits for a busy slot in order of arrival; one client may
 * hold half of the queue (SHARE), another still gets in. */
static void test_search_waits_its_turn_and_one_client_its_share(void **state)
{
    (void)state;
    gz_store_search_set_limits(1, 0, 0, 5000);
    int slot = gz_store_search_acquire("10.0.0.1");
    assert_int_equal(slot, 1);
    struct waiter_arg w[5] = {{"10.0.0.1", 0}, {"10.0.0.1", 0},
                              {"10.0.0.1", 0}, {"10.0.0.1", 0},
                              {"10.0.0.2", 0}};
    pthread_t t[5];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&t[i], NULL, wait_for_slot, &w[i]), 0);
        usleep(20000); /* in the queue in this order */
    }
    /* The fifth of one client's is over its share: refused at once. */
    assert_int_equal(gz_store_search_acquire("10.0.0.1"), -GZ_SEARCH_SHARE);
    assert_int_equal(pthread_create(&t[4], NULL, wait_for_slot, &w[4]), 0);
    usleep(20000);
    for (int i = 0; i < 5; i++)
        assert_int_equal(w[i].got, 0); /* all still waiting */
    gz_store_search_release(slot);
    for (int i = 0; i < 5; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].got, 1);
    }
    /* A wait that runs out is BUSY. */
    gz_store_search_set_limits(1, 0, 0, 50);
    slot = gz_store_search_acquire(NULL);
    assert_int_equal(gz_store_search_acquire("10.0.0.3"), -GZ_SEARCH_BUSY);
    gz_store_search_release(slot);
    assert_int_equal(gz_store_search_acquire(NULL), 1);
    gz_store_search_release(1);
    gz_store_search_set_limits(0, 0, 0, 0);
}

/* More matches than GZ_SEARCH_MAX_RESULTS: the newest that many, newest
 * first, with their snippets; the count is the cap; a page past it is
 * empty. Fewer: every match by relevance. */
static void test_search_of_many_matches_is_newest_first(void **state)
{
    struct fixture *f = *state;
    json_t *doc = json_pack("{s:[]}", "articles");
    json_t *arts = json_object_get(doc, "articles");
    int n = GZ_SEARCH_MAX_RESULTS + 5;
    for (int i = 0; i < n; i++) {
        char slug[32], title[48];
        snprintf(slug, sizeof slug, "gnu-%d", i);
        snprintf(title, sizeof title, "Gnu census %d", i);
        json_array_append_new(
            arts, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "slug", slug,
                            "title", title, "markdown",
                            i == 3 ? "Gnu gnu gnu gnu: the wildebeest."
                                   : "The gnu herd crossed the plain.",
                            "status", "published", "author", "bea-ploom",
                            "published_at", at(f, -DAY * 30 + i)));
    }
    import_ok(f->db, doc);
    json_decref(doc);
    struct gz_found found = {0, 0};
    int why = -1;
    json_t *r =
        gz_store_search_bounded(f->db, "gnu", 1, 10, NULL, &found, &why);
    assert_non_null(r);
    assert_int_equal(found.total, GZ_SEARCH_MAX_RESULTS);
    assert_int_equal(found.newest_first, 1);
    assert_int_equal(json_array_size(r), 10);
    char want[32];
    snprintf(want, sizeof want, "gnu-%d", n - 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(r, 0), "slug")),
        want);
    const char *snip = json_string_value(
        json_object_get(json_array_get(r, 0), "snippet_html"));
    assert_non_null(snip);
    assert_non_null(strstr(snip, "<mark>gnu</mark>"));
    json_decref(r);
    r = gz_store_search_bounded(f->db, "gnu", GZ_SEARCH_MAX_RESULTS / 10, 10,
                                NULL, &found, &why);
    assert_int_equal(json_array_size(r), 10);
    json_decref(r);
    r = gz_store_search_bounded(f->db, "gnu",
                                GZ_SEARCH_MAX_RESULTS / 10 + 1, 10, NULL,
                                &found, &why);
    assert_int_equal(json_array_size(r), 0);
    json_decref(r);
    /* Two words that only one story has: ranked, exact count. */
    r = gz_store_search_bounded(f->db, "gnu wildebeest", 1, 10, NULL, &found,
                                &why);
    assert_int_equal(found.total, 1);
    assert_int_equal(found.newest_first, 0);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(r, 0), "slug")),
        "gnu-3");
    json_decref(r);
}

/* Over its step budget a search is abandoned (TOO_BROAD), and the
 * connection serves the next search as usual. */
static void test_search_over_budget_is_too_broad(void **state)
{
    struct fixture *f = *state;
    json_t *doc = json_pack("{s:[]}", "articles");
    json_t *arts = json_object_get(doc, "articles");
    for (int i = 0; i < 300; i++) {
        char slug[32], title[48];
        snprintf(slug, sizeof slug, "herd-%d", i);
        snprintf(title, sizeof title, "Zebra herd %d", i);
        json_array_append_new(
            arts,
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "slug", slug, "title",
                      title, "markdown", "The zebra herd crossed the river.",
                      "status", "published", "author", "bea-ploom",
                      "published_at", at(f, -DAY - i)));
    }
    import_ok(f->db, doc);
    json_decref(doc);

    gz_store_search_set_limits(0, 1, 0, 0);
    struct gz_found found = {-1, -1};
    int why = 0;
    json_t *r =
        gz_store_search_bounded(f->db, "zebra", 1, 10, NULL, &found, &why);
    assert_null(r);
    assert_int_equal(why, GZ_SEARCH_TOO_BROAD);
    struct gz_story_filter sf = {0};
    sf.q = "zebra";
    sf.page = 1;
    sf.limit = 10;
    int bad = 0;
    char err[100];
    r = gz_store_story_rows(f->db, &sf, &found, &bad, err, sizeof err);
    assert_null(r);
    assert_int_equal(bad, GZ_SEARCH_TOO_BROAD);

    gz_store_search_set_limits(0, 0, 0, 0);
    r = gz_store_search_bounded(f->db, "zebra", 1, 10, NULL, &found, &why);
    assert_non_null(r);
    assert_int_equal(found.total, 302);
    assert_int_equal(json_array_size(r), 10);
    json_decref(r);
    /* The slot was given back each time. */
    gz_store_search_set_limits(1, 0, 0, -1);
    int slot = gz_store_search_acquire(NULL);
    assert_int_equal(slot, 1);
    gz_store_search_release(slot);
    gz_store_search_set_limits(0, 0, 0, 0);
}

/* A snippet is one short window of the title, the excerpt or the start
 * of the body, however often the word occurs; a match past the start of
 * a long body finds the story, and its snippet is the body's start. */
static void test_search_snippet_is_one_window(void **state)
{
    struct fixture *f = *state;
    struct gz_buf md;
    gz_buf_init(&md);
    for (int i = 0; i < 3000; i++)
        gz_buf_puts(&md, "okapi ");
    gz_buf_puts(&md, "\n\nThe end of a quagga.");
    json_t *doc = json_pack("{s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}", "articles",
                            "slug", "okapis", "title", "Okapis", "markdown",
                            gz_buf_cstr(&md), "status", "published", "author",
                            "bea-ploom", "published_at", at(f, -DAY));
    gz_buf_free(&md);
    import_ok(f->db, doc);
    json_decref(doc);

    long long total = -1;
    json_t *r = cards_search(f->db, "okapi", 1, 10, &total);
    assert_int_equal(total, 1);
    const char *snip = str(json_array_get(r, 0), "snippet_html");
    /* 28 tokens, each marked: far from the 3000 there are. */
    if (strlen(snip) > 800 || !strstr(snip, "<mark>okapi</mark>"))
        fail_msg("snippet of %zu bytes: %.200s", strlen(snip), snip);
    json_decref(r);

    r = cards_search(f->db, "quagga", 1, 10, &total);
    assert_int_equal(total, 1);
    snip = str(json_array_get(r, 0), "snippet_html");
    if (strlen(snip) > 400 || strncmp(snip, "okapi okapi", 11) != 0 ||
        strstr(snip, "<mark>"))
        fail_msg("snippet of %zu bytes: %.200s", strlen(snip), snip);
    json_decref(r);
}

int main(void)
{
    gz_log_set_quiet(1);
    /* Fresh heap memory is filled with a pattern, so a read of bytes
     * nobody wrote shows up as wrong output rather than passing by luck. */
    mallopt(M_PERTURB, 0xa5);
#define T(fn, setup) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stmt_cache_fits),
        T(test_migrate, setup_empty),
        T(test_open_readonly, setup_empty),
        T(test_empty_store, setup_empty),
        T(test_list_order_and_cards, setup_newsroom),
        T(test_list_pagination, setup_newsroom),
        T(test_list_huge_page, setup_newsroom),
        T(test_list_filters, setup_newsroom),
        T(test_list_with_body, setup_newsroom),
        T(test_article_load, setup_newsroom),
        T(test_article_not_found, setup_newsroom),
        T(test_tag_and_author_load, setup_newsroom),
        T(test_nav_tags, setup_newsroom),
        T(test_search_finds, setup_newsroom),
        T(test_search_hostile_input, setup_newsroom),
        T(test_search_snippet_escaped, setup_newsroom),
        T(test_sitemap, setup_newsroom),
        T(test_settings, setup_empty),
        T(test_content_version, setup_empty),
        T(test_publish_due, setup_newsroom),
        T(test_import_all_or_nothing, setup_newsroom),
        T(test_import_errors, setup_newsroom),
        T(test_import_twice, setup_newsroom),
        T(test_import_textless_story, setup_empty),
        T(test_export_roundtrip, setup_newsroom),
        T(test_export_whole_site, setup_newsroom),
        T(test_import_users_by_email, setup_newsroom),
        T(test_import_site_errors, setup_newsroom),
        T(test_import_subscriber_consent, setup_empty),
        T(test_backup, setup_newsroom),
        T(test_demo_import, setup_empty),
        T(test_search_short_words_are_exact, setup_newsroom),
        T(test_kept_counts_follow_publishing, setup_newsroom),
        T(test_search_busy_when_slots_are_taken, setup_newsroom),
        T(test_search_waits_its_turn_and_one_client_its_share, setup_newsroom),
        T(test_search_of_many_matches_is_newest_first, setup_newsroom),
        T(test_search_over_budget_is_too_broad, setup_newsroom),
        T(test_search_snippet_is_one_window, setup_newsroom),
    };
#undef T
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
