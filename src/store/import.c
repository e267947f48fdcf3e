/*
 * import.c - `gazette import` / `init --demo` and `gazette export`: a whole
 * site as one JSON document
 *
 *   {settings, authors, tags, media, articles, subscribers}
 *
 * "authors" lists every user (admins and editors too; the name is that of
 * the demo/demo.json format, which is the same format). No secret leaves:
 * no password hashes, sessions, API tokens, confirmation or unsubscribe
 * tokens, and no outbox. Imported users have no password (they cannot
 * sign in until given one); imported pending subscribers have no
 * confirmation link (signing up again sends a new one); unsubscribe
 * tokens are made per mail by the sender (outbox.c), so none is needed.
 *
 * Import runs in one transaction: a bad item anywhere leaves the database
 * as it was, and the error names the item. It is idempotent: users are
 * matched by email, tags and stories by slug, media by SHA-256,
 * subscribers by email, comments by (story, parent, name, body,
 * created_at). Matched rows are updated from the file, except that a
 * subscriber already in the database keeps their status (the reader's
 * latest word) unless the file says they unsubscribed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/tz.h"
#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/import.h"
#include "gazette/markdown.h"
#include "internal.h"

#define FAIL(...)                                                          \
    do {                                                                   \
        snprintf(im->err, im->errlen, __VA_ARGS__);                        \
        rc = GZ_EINVAL;                                                    \
        goto out;                                                          \
    } while (0)

/* What every step of one import shares. */
struct imp {
    struct gz_db *db;
    char *err;
    size_t errlen;
    json_t *seen; /* ids of comments matched or made by this import */
    void (*progress)(void *ctx, size_t done, size_t total); /* or NULL */
    void *progress_ctx;
};

static const char *str_or(json_t *o, const char *key, const char *dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

static int text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n <= max && gz_utf8_valid_text(s, n);
}

static long long time_or(json_t *o, const char *key, long long dflt)
{
    const char *s = str_or(o, key, NULL);
    return s ? gz_time_parse_rfc3339(s) : dflt;
}

/* An optional time: 0 when absent or null, -1 when not RFC 3339. */
static long long opt_time(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return -1;
    long long t = gz_time_parse_rfc3339(json_string_value(v));
    return t < 0 ? -1 : t;
}

static void bind_time(sqlite3_stmt *st, int idx, long long t)
{
    if (t > 0)
        sqlite3_bind_int64(st, idx, t);
}

static void set_time(json_t *o, const char *key, sqlite3_stmt *st, int col)
{
    if (sqlite3_column_type(st, col) == SQLITE_NULL)
        return;
    char iso[32];
    gz_time_rfc3339(sqlite3_column_int64(st, col), iso);
    json_object_set_new(o, key, json_string(iso));
}

/* The first column of the one row of st after binding text ?1; 0 when
 * there is none, -1 when st is NULL. */
static long long id_by_slug(sqlite3_stmt *st, const char *slug)
{
    if (!st)
        return -1;
    gz_bind_text(st, 1, slug);
    long long id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0)
                                                  : 0;
    sqlite3_reset(st);
    return id;
}

static int import_settings(struct imp *im, json_t *settings)
{
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(settings, key, v)
    {
        if (!json_is_string(v) || !text_ok(json_string_value(v), 2000))
            FAIL("settings.%s: expected a string of at most 2000 characters",
                 key);
        if (strcmp(key, "base_url") == 0 && *json_string_value(v) &&
            !gz_url_is_origin(json_string_value(v)))
            FAIL("settings.base_url: expected http(s)://host[:port] with no "
                 "path or trailing slash");
        if (strcmp(key, "timezone") == 0 && !gz_tz_get(json_string_value(v)))
            FAIL("settings.timezone: expected a time zone of the tz database, "
                 "like Europe/Berlin or UTC");
        sqlite3_stmt *st = gz_db_stmt(
            im->db, GZ_SQL("INSERT INTO settings (key, value) VALUES (?1, ?2)"
                           " ON CONFLICT(key) DO UPDATE SET value = ?2"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 1, key);
        gz_bind_text(st, 2, json_string_value(v));
        if ((rc = gz_db_exec_stmt(im->db, st)) != 0)
            goto out;
    }
out:
    return rc;
}

/* ---- users ----------------------------------------------------------- */

static int import_author(struct imp *im, json_t *a, size_t i)
{
    int rc = 0;
    const char *name = str_or(a, "name", ""), *slug = str_or(a, "slug", "");
    const char *email = str_or(a, "email", "");
    const char *bio = str_or(a, "bio", NULL);
    const char *role = str_or(a, "role", NULL);
    json_t *disabled = json_object_get(a, "disabled");
    long long created = opt_time(a, "created_at");
    if (!*name || !text_ok(name, 80))
        FAIL("authors[%zu].name: required, at most 80 characters", i);
    if (!gz_slug_valid(slug))
        FAIL("authors[%zu].slug: expected lowercase letters, digits and '-'",
             i);
    if (!*email || !strchr(email, '@') || strpbrk(email, " \t\r\n") ||
        !text_ok(email, 254))
        FAIL("authors[%zu].email: a valid address is required", i);
    if (bio && !text_ok(bio, 2000))
        FAIL("authors[%zu].bio: at most 2000 characters", i);
    if (role && strcmp(role, "admin") && strcmp(role, "editor") &&
        strcmp(role, "author"))
        FAIL("authors[%zu].role: expected admin, editor or author", i);
    if (disabled && !json_is_boolean(disabled))
        FAIL("authors[%zu].disabled: expected true or false", i);
    if (created < 0)
        FAIL("authors[%zu].created_at: expected an RFC 3339 time", i);

    struct gz_db *db = im->db;
    long long by_email = id_by_slug(
        gz_db_stmt(db, GZ_SQL("SELECT id FROM users WHERE email = ?1")),
        email);
    long long by_slug = id_by_slug(
        gz_db_stmt(db, GZ_SQL("SELECT id FROM users WHERE slug = ?1")), slug);
    if (by_email < 0 || by_slug < 0)
        return GZ_EDB;
    if (by_slug > 0 && by_slug != by_email)
        FAIL("authors[%zu].slug: \"%.80s\" belongs to another user (with "
             "another email)", i, slug);
    long long admins = gz_store_admin_count(db);
    sqlite3_stmt *st;
    if (by_email > 0) {
        /* Absent fields keep what the user has; the password, sessions
         * and tokens are never touched. */
        st = gz_db_stmt(
            db, GZ_SQL("UPDATE users SET name = ?2, slug = ?3,"
                       " bio = coalesce(?4, bio), role = coalesce(?5, role),"
                       " disabled = coalesce(?6, disabled),"
                       " created_at = coalesce(?7, created_at)"
                       " WHERE id = ?1"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_int64(st, 1, by_email);
    } else {
        st = gz_db_stmt(
            db, GZ_SQL("INSERT INTO users (email, name, slug, bio, role,"
                       " disabled, created_at) VALUES (?8, ?2, ?3,"
                       " coalesce(?4, ''), coalesce(?5, 'author'),"
                       " coalesce(?6, 0), coalesce(?7, unixepoch()))"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 8, email);
    }
    gz_bind_text(st, 2, name);
    gz_bind_text(st, 3, slug);
    gz_bind_text(st, 4, bio);
    gz_bind_text(st, 5, role);
    if (disabled)
        sqlite3_bind_int(st, 6, json_is_true(disabled));
    bind_time(st, 7, created);
    if (gz_db_exec_stmt(db, st) != 0)
        FAIL("authors[%zu]: could not be saved", i);
    /* SECURITY: an import must not lock the admins out of their site. */
    if (admins > 0 && gz_store_admin_count(db) == 0)
        FAIL("authors[%zu]: would leave no enabled admin who can sign in "
             "(%.80s)", i, email);
out:
    return rc;
}

static int import_tag(struct imp *im, json_t *t, size_t i)
{
    int rc = 0;
    const char *name = str_or(t, "name", ""), *slug = str_or(t, "slug", "");
    const char *desc = str_or(t, "description", "");
    long long created = opt_time(t, "created_at");
    if (!*name || !text_ok(name, 60))
        FAIL("tags[%zu].name: required, at most 60 characters", i);
    if (!gz_slug_valid(slug))
        FAIL("tags[%zu].slug: expected lowercase letters, digits and '-'", i);
    if (!text_ok(desc, 500))
        FAIL("tags[%zu].description: at most 500 characters", i);
    if (created < 0)
        FAIL("tags[%zu].created_at: expected an RFC 3339 time", i);
    sqlite3_stmt *st = gz_db_stmt(
        im->db,
        GZ_SQL("INSERT INTO tags (slug, name, description, created_at)"
               " VALUES (?1, ?2, ?3, coalesce(?4, unixepoch()))"
               " ON CONFLICT(slug) DO UPDATE SET name = ?2, description = ?3,"
               " created_at = coalesce(?4, created_at)"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, slug);
    gz_bind_text(st, 2, name);
    gz_bind_text(st, 3, desc);
    bind_time(st, 4, created);
    rc = gz_db_exec_stmt(im->db, st);
out:
    return rc;
}

/* ---- media ------------------------------------------------------------ */

static int import_media(struct imp *im, json_t *m, size_t i)
{
    static const struct {
        const char *ext, *mime;
    } types[] = {{"jpg", "image/jpeg"},
                 {"png", "image/png"},
                 {"webp", "image/webp"},
                 {"gif", "image/gif"}};
    int rc = 0;
    const char *sha = str_or(m, "sha256", ""), *path = str_or(m, "path", "");
    const char *mime = str_or(m, "mime", "");
    json_t *bytes = json_object_get(m, "bytes");
    json_t *w = json_object_get(m, "width"), *h = json_object_get(m, "height");
    long long created = opt_time(m, "created_at");
    if (strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64)
        FAIL("media[%zu].sha256: expected 64 lowercase hex digits", i);
    /* SECURITY: the path names a file under the data directory, so only
     * the one shape uploads have is accepted (as the media route does). */
    const char *type = NULL;
    if (strncmp(path, "/media/", 7) == 0 && strncmp(path + 7, sha, 64) == 0 &&
        path[71] == '.')
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
            if (strcmp(path + 72, types[k].ext) == 0)
                type = types[k].mime;
    if (!type)
        FAIL("media[%zu].path: expected /media/<sha256>.jpg, .png, .webp or "
             ".gif", i);
    if (strcmp(mime, type) != 0)
        FAIL("media[%zu].mime: expected %s for %s", i, type, path + 72);
    if (!json_is_integer(bytes) || json_integer_value(bytes) < 0)
        FAIL("media[%zu].bytes: expected a whole number", i);
    if ((w && !json_is_null(w) &&
         (!json_is_integer(w) || json_integer_value(w) <= 0)) ||
        (h && !json_is_null(h) &&
         (!json_is_integer(h) || json_integer_value(h) <= 0)))
        FAIL("media[%zu].width: width and height are positive whole numbers "
             "or null", i);
    if (created < 0)
        FAIL("media[%zu].created_at: expected an RFC 3339 time", i);
    sqlite3_stmt *st = gz_db_stmt(
        im->db, GZ_SQL("INSERT INTO media (sha256, path, mime, bytes, width,"
                       " height, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                       " coalesce(?7, unixepoch())) ON CONFLICT(sha256) DO"
                       " UPDATE SET path = ?2, mime = ?3, bytes = ?4,"
                       " width = coalesce(?5, width),"
                       " height = coalesce(?6, height),"
                       " created_at = coalesce(?7, created_at)"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, sha);
    gz_bind_text(st, 2, path);
    gz_bind_text(st, 3, mime);
    sqlite3_bind_int64(st, 4, json_integer_value(bytes));
    if (json_is_integer(w))
        sqlite3_bind_int64(st, 5, json_integer_value(w));
    if (json_is_integer(h))
        sqlite3_bind_int64(st, 6, json_integer_value(h));
    bind_time(st, 7, created);
    rc = gz_db_exec_stmt(im->db, st);
out:
    return rc;
}

/* ---- comments --------------------------------------------------------- */

/* The oldest comment with this key that this import has not matched yet;
 * at 0 matches any time. 0 when there is none, GZ_EDB on error. */
static long long find_comment(struct imp *im, long long article_id,
                              long long parent_id, const char *name,
                              const char *body, long long at)
{
    sqlite3_stmt *st = gz_db_stmt(
        im->db, GZ_SQL("SELECT id FROM comments WHERE article_id = ?1"
                       " AND parent_id IS ?2 AND name = ?3 AND body = ?4"
                       " AND (?5 IS NULL OR created_at = ?5) ORDER BY id"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, article_id);
    if (parent_id)
        sqlite3_bind_int64(st, 2, parent_id);
    gz_bind_text(st, 3, name);
    gz_bind_text(st, 4, body);
    bind_time(st, 5, at);
    long long found = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char key[24];
        snprintf(key, sizeof key, "%lld", sqlite3_column_int64(st, 0));
        if (!json_object_get(im->seen, key)) {
            found = sqlite3_column_int64(st, 0);
            break;
        }
    }
    sqlite3_reset(st);
    return step == SQLITE_ROW || step == SQLITE_DONE ? found : GZ_EDB;
}

static int import_comment(struct imp *im, long long article_id,
                          long long parent_id, json_t *c, const char *where)
{
    int rc = 0;
    const char *name = str_or(c, "name", ""), *body = str_or(c, "body", "");
    const char *email = str_or(c, "email", NULL);
    const char *status = str_or(c, "status", NULL);
    long long at = time_or(c, "created_at", 0);
    if (!*name || !text_ok(name, 80) || gz_utf8_len(name, strlen(name)) > 80)
        FAIL("%s.name: required, at most 80 characters", where);
    if (!*body || !text_ok(body, 20000) ||
        gz_utf8_len(body, strlen(body)) > 5000)
        FAIL("%s.body: required, at most 5000 characters", where);
    if (email && (!strchr(email, '@') || !text_ok(email, 254)))
        FAIL("%s.email: not a valid address", where);
    if (status && strcmp(status, "approved") && strcmp(status, "pending") &&
        strcmp(status, "spam"))
        FAIL("%s.status: expected approved, pending or spam", where);
    if (at < 0)
        FAIL("%s.created_at: expected an RFC 3339 time", where);

    long long id = find_comment(im, article_id, parent_id, name, body, at);
    if (id < 0)
        return GZ_EDB;
    sqlite3_stmt *st;
    if (id > 0) {
        /* Seen before: only a moderation decision in the file changes it. */
        if (status) {
            st = gz_db_stmt(im->db, GZ_SQL("UPDATE comments SET status = ?2"
                                           " WHERE id = ?1 AND status != ?2"));
            if (!st)
                return GZ_EDB;
            sqlite3_bind_int64(st, 1, id);
            gz_bind_text(st, 2, status);
            if ((rc = gz_db_exec_stmt(im->db, st)) != 0)
                goto out;
        }
    } else {
        st = gz_db_stmt(
            im->db,
            GZ_SQL("INSERT INTO comments (article_id, parent_id, name, email,"
                   " body, status, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_int64(st, 1, article_id);
        if (parent_id)
            sqlite3_bind_int64(st, 2, parent_id);
        gz_bind_text(st, 3, name);
        gz_bind_text(st, 4, email);
        gz_bind_text(st, 5, body);
        gz_bind_text(st, 6, status ? status : "approved");
        sqlite3_bind_int64(st, 7, at ? at : gz_now());
        if ((rc = gz_db_exec_stmt(im->db, st)) != 0)
            goto out;
        id = sqlite3_last_insert_rowid(im->db->h);
    }
    char key[24];
    snprintf(key, sizeof key, "%lld", id);
    json_object_set_new(im->seen, key, json_true());

    json_t *replies = json_object_get(c, "replies");
    size_t i;
    json_t *r;
    json_array_foreach(replies, i, r)
    {
        if (parent_id)
            FAIL("%s.replies: replies cannot have replies", where);
        char sub[160];
        snprintf(sub, sizeof sub, "%s.replies[%zu]", where, i);
        if ((rc = import_comment(im, article_id, id, r, sub)))
            goto out;
    }
out:
    return rc;
}

/* ---- stories ---------------------------------------------------------- */

static int import_article(struct imp *im, json_t *a, size_t i)
{
    int rc = 0;
    struct gz_db *db = im->db;
    struct gz_md md = {0};
    const char *slug = str_or(a, "slug", ""), *title = str_or(a, "title", "");
    const char *excerpt = str_or(a, "excerpt", "");
    const char *markdown = str_or(a, "markdown", "");
    const char *status = str_or(a, "status", "draft");
    const char *author = str_or(a, "author", "");
    long long published = time_or(a, "published_at", 0);
    long long created = opt_time(a, "created_at");
    long long updated = opt_time(a, "updated_at");
    json_t *img = json_object_get(a, "feature_image");
    json_t *open = json_object_get(a, "comments_open");

    if (!gz_slug_valid(slug))
        FAIL("articles[%zu].slug: expected lowercase letters, digits and '-'",
             i);
    if (!*title || !text_ok(title, 300))
        FAIL("articles[%zu].title: required, at most 300 characters", i);
    if (!text_ok(excerpt, 1000))
        FAIL("articles[%zu].excerpt: at most 1000 characters", i);
    if (!text_ok(markdown, 1 << 20))
        FAIL("articles[%zu].markdown: at most 1 MiB of text", i);
    if (strcmp(status, "draft") && strcmp(status, "scheduled") &&
        strcmp(status, "published"))
        FAIL("articles[%zu].status: expected draft, scheduled or published",
             i);
    if (published < 0 || (strcmp(status, "draft") && published == 0))
        FAIL("articles[%zu].published_at: an RFC 3339 time is required", i);
    if (created < 0)
        FAIL("articles[%zu].created_at: expected an RFC 3339 time", i);
    if (updated < 0)
        FAIL("articles[%zu].updated_at: expected an RFC 3339 time", i);
    const char *img_url = img ? str_or(img, "url", NULL) : NULL;
    if (img && !json_is_null(img) && (!img_url || !gz_url_is_safe(img_url)))
        FAIL("articles[%zu].feature_image.url: expected a / or http(s) URL",
             i);
    long long author_id = id_by_slug(
        gz_db_stmt(db, GZ_SQL("SELECT id FROM users WHERE slug = ?1")),
        author);
    if (author_id < 0)
        return GZ_EDB;
    if (author_id == 0)
        FAIL("articles[%zu].author: no author with slug \"%.80s\"", i, author);
    if (gz_md_render(markdown, strlen(markdown), &md) != 0)
        return GZ_ENOMEM;

    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO articles (id, slug, title, excerpt,"
                   " markdown, html, plain, reading_time, status, author_id,"
                   " image_url, image_alt, image_caption, image_width,"
                   " image_height, comments_open, notified, created_at,"
                   " updated_at, published_at) VALUES ("
                   /* never a purged story's id (sql/0012_revisions.sql) */
                   " (SELECT max(high, (SELECT coalesce(max(id), 0)"
                   "  FROM articles)) + 1 FROM article_id_high),"
                   " ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                   " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
                   " coalesce(?19, ?17), ?18)"
                   " ON CONFLICT(slug) DO UPDATE SET title = ?2,"
                   /* a story in the trash that is imported again is
                    * back (its status is the imported one) */
                   " deleted_at = NULL, trashed_status = NULL,"
                   " deleted_by = NULL,"
                   " excerpt = ?3, markdown = ?4, html = ?5, plain = ?6,"
                   " reading_time = ?7, status = ?8, author_id = ?9,"
                   " image_url = ?10, image_alt = ?11, image_caption = ?12,"
                   " image_width = ?13, image_height = ?14,"
                   " comments_open = ?15,"
                   " notified = CASE WHEN ?16 THEN 1 ELSE notified END,"
                   " created_at = coalesce(?20, created_at),"
                   " updated_at = coalesce(?19, unixepoch()),"
                   " published_at = ?18"));
    if (!st) {
        rc = GZ_EDB;
        goto out;
    }
    long long now = gz_now();
    gz_bind_text(st, 1, slug);
    gz_bind_text(st, 2, title);
    gz_bind_text(st, 3, excerpt);
    gz_bind_text(st, 4, markdown);
    gz_bind_text(st, 5, md.html);
    gz_bind_text(st, 6, md.plain);
    sqlite3_bind_int(st, 7, md.reading_time);
    gz_bind_text(st, 8, status);
    sqlite3_bind_int64(st, 9, author_id);
    gz_bind_text(st, 10, img_url);
    gz_bind_text(st, 11, img ? str_or(img, "alt", "") : "");
    gz_bind_text(st, 12, img ? str_or(img, "caption", "") : "");
    json_t *w = img ? json_object_get(img, "width") : NULL;
    json_t *h = img ? json_object_get(img, "height") : NULL;
    if (json_is_integer(w) && json_is_integer(h)) {
        sqlite3_bind_int64(st, 13, json_integer_value(w));
        sqlite3_bind_int64(st, 14, json_integer_value(h));
    }
    sqlite3_bind_int(st, 15, open ? json_is_true(open) : 1);
    /* Imported published stories count as already announced: importing
     * must not mail every subscriber about old news. Drafts and scheduled
     * stories are announced when they come out, as on the site they left. */
    sqlite3_bind_int(st, 16, strcmp(status, "published") == 0);
    /* A new story without a creation time was made when it came out. */
    long long made = created                         ? created
                     : published && published < now ? published
                                                    : now;
    sqlite3_bind_int64(st, 17, made);
    if (published)
        sqlite3_bind_int64(st, 18, published);
    bind_time(st, 19, updated);
    bind_time(st, 20, created);
    if ((rc = gz_db_exec_stmt(db, st)) != 0) {
        snprintf(im->err, im->errlen, "articles[%zu]: could not be saved", i);
        goto out;
    }
    long long article_id = id_by_slug(
        gz_db_stmt(db, GZ_SQL("SELECT id FROM articles WHERE slug = ?1")),
        slug);
    if (article_id <= 0) {
        rc = GZ_EDB;
        goto out;
    }

    st = gz_db_stmt(db,
                    GZ_SQL("DELETE FROM article_tags WHERE article_id = ?1"));
    if (!st) {
        rc = GZ_EDB;
        goto out;
    }
    sqlite3_bind_int64(st, 1, article_id);
    if ((rc = gz_db_exec_stmt(db, st)) != 0)
        goto out;
    size_t k;
    json_t *t;
    json_array_foreach(json_object_get(a, "tags"), k, t)
    {
        const char *ts = json_is_string(t) ? json_string_value(t) : "";
        long long tag_id = id_by_slug(
            gz_db_stmt(db, GZ_SQL("SELECT id FROM tags WHERE slug = ?1")), ts);
        if (tag_id < 0) {
            rc = GZ_EDB;
            goto out;
        }
        if (tag_id == 0)
            FAIL("articles[%zu].tags[%zu]: no tag with slug \"%.80s\"", i, k,
                 ts);
        st = gz_db_stmt(db, GZ_SQL("INSERT OR IGNORE INTO article_tags"
                                   " (article_id, tag_id, position)"
                                   " VALUES (?1, ?2, ?3)"));
        if (!st) {
            rc = GZ_EDB;
            goto out;
        }
        sqlite3_bind_int64(st, 1, article_id);
        sqlite3_bind_int64(st, 2, tag_id);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)k);
        if ((rc = gz_db_exec_stmt(db, st)) != 0)
            goto out;
    }
    json_t *c;
    json_array_foreach(json_object_get(a, "comments"), k, c)
    {
        char where[64];
        snprintf(where, sizeof where, "articles[%zu].comments[%zu]", i, k);
        if ((rc = import_comment(im, article_id, 0, c, where)))
            goto out;
    }
out:
    gz_md_free(&md);
    return rc;
}

/* ---- subscribers ------------------------------------------------------ */

static int import_subscriber(struct imp *im, json_t *s, size_t i)
{
    int rc = 0;
    const char *email = str_or(s, "email", "");
    const char *name = str_or(s, "name", "");
    const char *status = str_or(s, "status", "");
    long long created = opt_time(s, "created_at");
    long long confirmed = opt_time(s, "confirmed_at");
    const char *problem = gz_email_problem(email);
    if (problem)
        FAIL("subscribers[%zu].email: %s", i, problem);
    if (!text_ok(name, 4 * GZ_SUBSCRIBER_NAME_MAX) ||
        strpbrk(name, "\r\n") ||
        gz_utf8_len(name, strlen(name)) > GZ_SUBSCRIBER_NAME_MAX)
        FAIL("subscribers[%zu].name: at most %d characters on one line", i,
             GZ_SUBSCRIBER_NAME_MAX);
    if (strcmp(status, "pending") && strcmp(status, "active") &&
        strcmp(status, "unsubscribed"))
        FAIL("subscribers[%zu].status: expected pending, active or "
             "unsubscribed", i);
    if (created < 0)
        FAIL("subscribers[%zu].created_at: expected an RFC 3339 time", i);
    if (confirmed < 0)
        FAIL("subscribers[%zu].confirmed_at: expected an RFC 3339 time", i);

    struct gz_db *db = im->db;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, status FROM subscribers WHERE email = ?1"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, email);
    long long id = 0;
    char was[16] = "";
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        snprintf(was, sizeof was, "%s", gz_col_text(st, 1));
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return GZ_EDB;

    if (id == 0) {
        /* No confirmation or unsubscribe token comes along: a pending
         * reader signs up again for a new link; each new-story mail
         * carries its own unsubscribe token (outbox.c). */
        st = gz_db_stmt(
            db, GZ_SQL("INSERT INTO subscribers (email, name, status,"
                       " created_at, confirmed_at)"
                       " VALUES (?1, ?2, ?3, coalesce(?4, unixepoch()), ?5)"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 1, email);
        gz_bind_text(st, 2, name);
        gz_bind_text(st, 3, status);
        bind_time(st, 4, created);
        bind_time(st, 5, confirmed);
        if (gz_db_exec_stmt(db, st) != 0)
            FAIL("subscribers[%zu]: could not be saved", i);
    } else if (strcmp(status, "unsubscribed") == 0 &&
               strcmp(was, "unsubscribed") != 0) {
        /* SECURITY: an import can only take consent away, never give it:
         * a known address keeps its status unless the file says the
         * reader left. Their queued mail goes too (as on unsubscribing). */
        st = gz_db_stmt(db, GZ_SQL("UPDATE subscribers SET status ="
                                   " 'unsubscribed' WHERE id = ?1"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_int64(st, 1, id);
        if ((rc = gz_db_exec_stmt(db, st)) != 0)
            goto out;
        st = gz_db_stmt(db, GZ_SQL("DELETE FROM outbox WHERE subscriber_id"
                                   " = ?1 AND status = 'queued'"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_int64(st, 1, id);
        rc = gz_db_exec_stmt(db, st);
    }
out:
    return rc;
}

/* ---- the document ----------------------------------------------------- */

int gz_store_import(struct gz_db *db, json_t *doc, char *err, size_t errlen)
{
    return gz_store_import_progress(db, doc, err, errlen, NULL, NULL);
}

int gz_store_import_progress(struct gz_db *db, json_t *doc, char *err,
                             size_t errlen,
                             void (*progress)(void *ctx, size_t done,
                                              size_t total),
                             void *progress_ctx)
{
    int rc = 0;
    err[0] = '\0';
    if (!json_is_object(doc)) {
        snprintf(err, errlen, "expected a JSON object at the top");
        return GZ_EINVAL;
    }
    static const char *const lists[] = {"authors",     "tags",
                                        "media",       "articles",
                                        "subscribers", "redirects"};
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++) {
        json_t *v = json_object_get(doc, lists[l]);
        if (v && !json_is_array(v)) {
            snprintf(err, errlen, "%s: expected an array", lists[l]);
            return GZ_EINVAL;
        }
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            if (!json_is_object(item)) {
                snprintf(err, errlen, "%s[%zu]: expected an object", lists[l],
                         i);
                return GZ_EINVAL;
            }
        }
    }
    json_t *settings = json_object_get(doc, "settings");
    if (settings && !json_is_object(settings)) {
        snprintf(err, errlen, "settings: expected an object");
        return GZ_EINVAL;
    }
    struct imp ctx = {db, err, errlen, json_object(), progress, progress_ctx},
               *im = &ctx;
    if (!ctx.seen)
        return GZ_ENOMEM;
    if (gz_db_tx_begin(db) != 0) {
        json_decref(ctx.seen);
        snprintf(err, errlen, "the database is busy or read-only");
        return GZ_EDB;
    }
    size_t i;
    json_t *item;
    if (settings && (rc = import_settings(im, settings)))
        goto out;
    json_array_foreach(json_object_get(doc, "authors"), i, item)
    if ((rc = import_author(im, item, i)))
        goto out;
    json_array_foreach(json_object_get(doc, "tags"), i, item)
    if ((rc = import_tag(im, item, i)))
        goto out;
    json_array_foreach(json_object_get(doc, "media"), i, item)
    if ((rc = import_media(im, item, i)))
        goto out;
    json_t *articles = json_object_get(doc, "articles");
    json_array_foreach(articles, i, item)
    {
        if ((rc = import_article(im, item, i)))
            goto out;
        if (im->progress)
            im->progress(im->progress_ctx, i + 1, json_array_size(articles));
    }
    json_array_foreach(json_object_get(doc, "subscribers"), i, item)
    if ((rc = import_subscriber(im, item, i)))
        goto out;
    /* Old URLs of a site moved in (store/redirects.c). */
    json_array_foreach(json_object_get(doc, "redirects"), i, item)
    if ((rc = gz_store_redirect_import(db, item, i, err, errlen)))
        goto out;
    /* An import changes too much for its page changes to be worth
     * keeping (a story logs about six): they go with the transaction, and
     * a running server, seeing their ids missing, treats every cached
     * page as stale (sql/0005_page_changes.sql). */
    if ((rc = gz_store_changes_prune(db, LLONG_MAX)))
        goto out;
    rc = gz_db_tx_commit(db);
out:
    json_decref(ctx.seen);
    if (rc != 0) {
        gz_db_tx_rollback(db);
        if (!err[0])
            snprintf(err, errlen, "database error");
    }
    return rc;
}

/* ---- export ----------------------------------------------------------- */

static void export_comments(struct gz_db *db, json_t *articles)
{
    size_t i;
    json_t *a;
    json_array_foreach(articles, i, a)
    {
        json_t *top = json_array(), *by_id = json_object();
        sqlite3_stmt *st =
            gz_db_stmt(db, GZ_SQL("SELECT id, parent_id, name, email, body,"
                                  " status, created_at FROM comments"
                                  " WHERE article_id = ?1 ORDER BY id"));
        if (!st) {
            json_decref(top);
            json_decref(by_id);
            break;
        }
        sqlite3_bind_int64(st, 1, json_integer_value(json_object_get(a, "id")));
        while (sqlite3_step(st) == SQLITE_ROW) {
            char iso[32], key[24];
            gz_time_rfc3339(sqlite3_column_int64(st, 6), iso);
            json_t *c = json_pack("{s:s, s:o, s:s, s:s, s:s}", "name",
                                  gz_col_text(st, 2), "email",
                                  gz_col_json_str(st, 3), "body",
                                  gz_col_text(st, 4), "status",
                                  gz_col_text(st, 5), "created_at", iso);
            json_t *parent = NULL;
            if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
                snprintf(key, sizeof key, "%lld", sqlite3_column_int64(st, 1));
                parent = json_object_get(by_id, key);
            }
            if (json_is_null(json_object_get(c, "email")))
                json_object_del(c, "email");
            if (parent) {
                json_array_append_new(json_object_get(parent, "replies"), c);
            } else {
                json_object_set_new(c, "replies", json_array());
                snprintf(key, sizeof key, "%lld", sqlite3_column_int64(st, 0));
                json_object_set(by_id, key, c);
                json_array_append_new(top, c);
            }
        }
        sqlite3_reset(st);
        json_decref(by_id);
        json_object_set_new(a, "comments", top);
        json_object_del(a, "id");
    }
}

json_t *gz_store_export(struct gz_db *db)
{
    json_t *doc = json_pack("{s:o, s:[], s:[], s:[], s:[], s:[]}", "settings",
                            json_object(), "authors", "tags", "media",
                            "articles", "subscribers");
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT key, value FROM settings ORDER BY key"));
    while (st && sqlite3_step(st) == SQLITE_ROW)
        json_object_set_new(json_object_get(doc, "settings"),
                            gz_col_text(st, 0), gz_col_json_str(st, 1));

    /* SECURITY: users without password_hash; sessions and API tokens
     * never leave the database. */
    st = gz_db_stmt(db, GZ_SQL("SELECT name, slug, email, bio, role,"
                               " disabled, created_at FROM users"
                               " ORDER BY id"));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        json_t *u = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:b}", "name", gz_col_text(st, 0),
            "slug", gz_col_text(st, 1), "email", gz_col_text(st, 2), "bio",
            gz_col_text(st, 3), "role", gz_col_text(st, 4), "disabled",
            sqlite3_column_int(st, 5));
        set_time(u, "created_at", st, 6);
        json_array_append_new(json_object_get(doc, "authors"), u);
    }

    st = gz_db_stmt(db, GZ_SQL("SELECT name, slug, description, created_at"
                               " FROM tags ORDER BY id"));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        json_t *t = json_pack("{s:s, s:s, s:s}", "name", gz_col_text(st, 0),
                              "slug", gz_col_text(st, 1), "description",
                              gz_col_text(st, 2));
        set_time(t, "created_at", st, 3);
        json_array_append_new(json_object_get(doc, "tags"), t);
    }

    st = gz_db_stmt(db, GZ_SQL("SELECT sha256, path, mime, bytes, width,"
                               " height, created_at FROM media ORDER BY id"));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        json_t *m = json_pack("{s:s, s:s, s:s, s:I}", "sha256",
                              gz_col_text(st, 0), "path", gz_col_text(st, 1),
                              "mime", gz_col_text(st, 2), "bytes",
                              (json_int_t)sqlite3_column_int64(st, 3));
        if (sqlite3_column_type(st, 4) != SQLITE_NULL)
            json_object_set_new(m, "width",
                                json_integer(sqlite3_column_int64(st, 4)));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            json_object_set_new(m, "height",
                                json_integer(sqlite3_column_int64(st, 5)));
        set_time(m, "created_at", st, 6);
        json_array_append_new(json_object_get(doc, "media"), m);
    }

    st = gz_db_stmt(
        db, GZ_SQL("SELECT a.id, a.slug, a.title, a.excerpt, a.markdown,"
                   " a.status, u.slug, a.published_at, a.image_url,"
                   " a.image_alt, a.image_caption, a.image_width,"
                   " a.image_height, a.comments_open,"
                   " (SELECT json_group_array(slug) FROM (SELECT t.slug FROM"
                   "  article_tags x JOIN tags t ON t.id = x.tag_id"
                   "  WHERE x.article_id = a.id ORDER BY x.position)),"
                   " a.created_at, a.updated_at"
                   " FROM articles a JOIN users u ON u.id = a.author_id"
                   " ORDER BY a.id"));
    json_t *articles = json_object_get(doc, "articles");
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        json_t *a = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "slug",
            gz_col_text(st, 1), "title", gz_col_text(st, 2), "excerpt",
            gz_col_text(st, 3), "markdown", gz_col_text(st, 4), "status",
            gz_col_text(st, 5), "author", gz_col_text(st, 6), "comments_open",
            sqlite3_column_int(st, 13), "tags",
            json_loads(gz_col_text(st, 14), 0, NULL));
        json_object_set_new(a, "id",
                            json_integer(sqlite3_column_int64(st, 0)));
        set_time(a, "published_at", st, 7);
        set_time(a, "created_at", st, 15);
        set_time(a, "updated_at", st, 16);
        if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
            json_t *img = json_pack("{s:s, s:s, s:s}", "url",
                                    gz_col_text(st, 8), "alt",
                                    gz_col_text(st, 9), "caption",
                                    gz_col_text(st, 10));
            /* Unknown sizes stay unknown (no 0 x 0 image). */
            if (sqlite3_column_type(st, 11) != SQLITE_NULL &&
                sqlite3_column_type(st, 12) != SQLITE_NULL) {
                json_object_set_new(
                    img, "width", json_integer(sqlite3_column_int64(st, 11)));
                json_object_set_new(
                    img, "height", json_integer(sqlite3_column_int64(st, 12)));
            }
            json_object_set_new(a, "feature_image", img);
        }
        json_array_append_new(articles, a);
    }
    /* Comments, with replies under their parents. */
    export_comments(db, articles);

    /* SECURITY: no confirm_hash or unsub_hash (tokens that act for the
     * reader). */
    st = gz_db_stmt(db, GZ_SQL("SELECT email, name, status, created_at,"
                               " confirmed_at FROM subscribers ORDER BY id"));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        json_t *s = json_pack("{s:s, s:s, s:s}", "email", gz_col_text(st, 0),
                              "name", gz_col_text(st, 1), "status",
                              gz_col_text(st, 2));
        set_time(s, "created_at", st, 3);
        set_time(s, "confirmed_at", st, 4);
        json_array_append_new(json_object_get(doc, "subscribers"), s);
    }
    /* Old URLs of a site moved in, when there are any. */
    json_t *redirects = gz_store_redirects_export(db);
    if (json_array_size(redirects))
        json_object_set_new(doc, "redirects", redirects);
    else
        json_decref(redirects);
    return doc;
}
