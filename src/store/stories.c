/*
 * stories.c - the write side of the store (include/gazette/newsroom.h):
 * stories with their tags, slugs and status changes, the newsroom's story
 * list, media rows, user administration with last-admin protection, and
 * settings.
 *
 * Each write opens its own BEGIN IMMEDIATE transaction, so the checks it
 * makes (is this slug free? is this the last admin?) and the write that
 * relies on them cannot be split by another writer. Markdown is rendered
 * here, once, when a story is saved; pages serve the stored HTML.
 *
 * Threads: every function uses only the connection it is given.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/markdown.h"
#include "gazette/newsroom.h"
#include "gazette/revisions.h"
#include "internal.h"

/* ---- small helpers ----------------------------------------------------- */

static const char *nz(const char *s)
{
    return s ? s : "";
}

static void add_error(json_t *errors, const char *field, const char *msg)
{
    /* The first problem of a field is the one shown beside it. */
    if (!json_object_get(errors, field))
        json_object_set_new(errors, field, json_string(msg));
}

/* Checks free text: valid UTF-8, at most max code points, on one line
 * when single_line. Adds msg under field otherwise. */
static void check_text(json_t *errors, const char *field, const char *s,
                       size_t max, int single_line, const char *msg)
{
    size_t n = strlen(s);
    if (!gz_utf8_valid_text(s, n) || gz_utf8_len(s, n) > max ||
        (single_line && strpbrk(s, "\r\n")))
        add_error(errors, field, msg);
}

static int has_ascii_alnum(const char *s)
{
    for (; *s; s++)
        if ((*s >= '0' && *s <= '9') ||
            ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
            return 1;
    return 0;
}

/* A tag's slug: gz_slugify of the name, or, for a name without any ASCII
 * letter or digit ("日本"), "tag-" and a hash of the name, so that such
 * tags do not all become "story". */
static void tag_slug(const char *name, char *out, size_t outlen)
{
    if (has_ascii_alnum(name)) {
        gz_slugify(name, out, outlen);
        return;
    }
    unsigned long h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 16777619u;
    snprintf(out, outlen, "tag-%08lx", h & 0xffffffffu);
}

struct tag_in {
    char name[256];
    char slug[96];
};

/* Splits the comma list into at most GZ_STORY_TAGS_MAX tags. Returns the
 * count; adds errors.tags when a name is too long or there are too many. */
static int parse_tags(const char *list, struct tag_in *tags, json_t *errors)
{
    int n = 0;
    const char *p = list;
    while (*p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (len && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')) {
            s++;
            len--;
        }
        while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' ||
                       s[len - 1] == '\r' || s[len - 1] == '\n'))
            len--;
        p = end ? end + 1 : p + strlen(p);
        if (len == 0)
            continue;
        if (len >= sizeof tags[0].name || !gz_utf8_valid_text(s, len) ||
            gz_utf8_len(s, len) > GZ_TAG_NAME_MAX || memchr(s, '\n', len)) {
            add_error(errors, "tags",
                      "Each tag can be at most 60 characters long.");
            return n;
        }
        struct tag_in t;
        memcpy(t.name, s, len);
        t.name[len] = '\0';
        tag_slug(t.name, t.slug, sizeof t.slug);
        int dup = 0;
        for (int i = 0; i < n; i++)
            dup |= strcmp(tags[i].slug, t.slug) == 0;
        if (dup)
            continue;
        if (n == GZ_STORY_TAGS_MAX) {
            add_error(errors, "tags", "Use at most 10 tags.");
            return n;
        }
        tags[n++] = t;
    }
    return n;
}

/* The id of the story holding slug (0: free) and its title into title. */
static long long slug_owner(struct gz_db *db, const char *slug, char *title,
                            size_t titlelen)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT id, title FROM articles WHERE slug = ?1"));
    if (!st)
        return -1;
    gz_bind_text(st, 1, slug);
    long long id = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        if (title)
            snprintf(title, titlelen, "%s", gz_col_text(st, 1));
    } else if (rc != SQLITE_DONE) {
        id = -1;
    }
    sqlite3_reset(st);
    return id;
}

/* Decides the slug. 0, or GZ_EDB; a problem goes to errors.slug. */
static int choose_slug(struct gz_db *db, long long id, const char *typed,
                       const char *title, char *out, size_t outlen,
                       json_t *errors)
{
    char other[120];
    if (*typed) {
        if (!gz_slug_valid(typed)) {
            add_error(errors, "slug",
                      "Use lowercase letters, digits and hyphens only, like "
                      "harbour-night-market.");
            return 0;
        }
        long long owner = slug_owner(db, typed, other, sizeof other);
        if (owner < 0)
            return GZ_EDB;
        if (owner && owner != id) {
            char msg[300];
            snprintf(msg, sizeof msg,
                     "This slug is already used by \xe2\x80\x9c%s\xe2\x80\x9d."
                     " Choose another, or clear the field to have one made "
                     "from the title.",
                     other);
            add_error(errors, "slug", msg);
            return 0;
        }
        snprintf(out, outlen, "%s", typed);
        return 0;
    }
    char base[96];
    gz_slugify(title, base, sizeof base);
    snprintf(out, outlen, "%s", base);
    for (int n = 2;; n++) {
        long long owner = slug_owner(db, out, NULL, 0);
        if (owner < 0)
            return GZ_EDB;
        if (owner == 0 || owner == id)
            return 0;
        if (n > 10000)
            return GZ_EDB;
        snprintf(out, outlen, "%s-%d", base, n);
    }
}

/* ---- loading a story --------------------------------------------------- */

json_t *gz_store_story_load(struct gz_db *db, long long id, int *err)
{
    sqlite3_stmt *st = gz_db_stmt(
        db,
        GZ_SQL("SELECT a.id, a.slug, a.title, a.excerpt, a.markdown,"
               " a.status, a.author_id, u.name, a.image_url, a.image_alt,"
               " a.image_caption, a.image_width, a.image_height,"
               " a.comments_open, a.created_at, a.updated_at,"
               " a.published_at, a.notified, u.slug,"
               " (SELECT json_group_array(json_object('name', t.name,"
               "   'slug', t.slug)) FROM (SELECT t.name, t.slug"
               "   FROM article_tags x JOIN tags t ON t.id = x.tag_id"
               "   WHERE x.article_id = a.id ORDER BY x.position, t.name) t)"
               " FROM articles a JOIN users u ON u.id = a.author_id"
               " WHERE a.id = ?1 AND a.deleted_at IS NULL"));
    if (!st) {
        *err = GZ_EDB;
        return NULL;
    }
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        *err = rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
        return NULL;
    }
    char url[320];
    snprintf(url, sizeof url, "/articles/%s", gz_col_text(st, 1));
    json_t *s = json_object();
    json_object_set_new(s, "id", json_integer(sqlite3_column_int64(st, 0)));
    json_object_set_new(s, "slug", json_string(gz_col_text(st, 1)));
    json_object_set_new(s, "url", json_string(url));
    json_object_set_new(s, "title", json_string(gz_col_text(st, 2)));
    json_object_set_new(s, "excerpt", json_string(gz_col_text(st, 3)));
    json_object_set_new(s, "markdown", json_string(gz_col_text(st, 4)));
    json_object_set_new(s, "status", json_string(gz_col_text(st, 5)));
    json_object_set_new(s, "author_id",
                        json_integer(sqlite3_column_int64(st, 6)));
    json_object_set_new(s, "author_name", json_string(gz_col_text(st, 7)));
    json_object_set_new(s, "image_url", json_string(gz_col_text(st, 8)));
    json_object_set_new(s, "image_alt", json_string(gz_col_text(st, 9)));
    json_object_set_new(s, "image_caption", json_string(gz_col_text(st, 10)));
    json_object_set_new(s, "image_width",
                        json_integer(sqlite3_column_int64(st, 11)));
    json_object_set_new(s, "image_height",
                        json_integer(sqlite3_column_int64(st, 12)));
    json_object_set_new(s, "comments_open",
                        json_boolean(sqlite3_column_int(st, 13)));
    json_object_set_new(s, "created_at",
                        json_integer(sqlite3_column_int64(st, 14)));
    json_object_set_new(s, "updated_at",
                        json_integer(sqlite3_column_int64(st, 15)));
    json_object_set_new(s, "published_at",
                        json_integer(sqlite3_column_int64(st, 16)));
    json_object_set_new(s, "notified",
                        json_boolean(sqlite3_column_int(st, 17)));
    json_object_set_new(s, "author_slug", json_string(gz_col_text(st, 18)));
    json_t *tags = json_loads(gz_col_text(st, 19), 0, NULL);
    sqlite3_reset(st);
    if (!json_is_array(tags)) {
        json_decref(tags);
        tags = json_array();
    }
    struct gz_buf names;
    gz_buf_init(&names);
    size_t i;
    json_t *t;
    json_array_foreach(tags, i, t)
    {
        if (i)
            gz_buf_puts(&names, ", ");
        gz_buf_puts(&names, nz(json_string_value(json_object_get(t, "name"))));
    }
    json_object_set_new(s, "tags", json_string(gz_buf_cstr(&names)));
    json_object_set_new(s, "tag_list", tags);
    gz_buf_free(&names);
    return s;
}

/* ---- saving a story ---------------------------------------------------- */

/* 1 when the story's tags are already tags[0..n) in that order. */
static int tags_unchanged(struct gz_db *db, long long article_id,
                          const struct tag_in *tags, int n)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT t.slug FROM article_tags x JOIN tags t"
                   " ON t.id = x.tag_id WHERE x.article_id = ?1"
                   " ORDER BY x.position"));
    if (!st)
        return 0;
    sqlite3_bind_int64(st, 1, article_id);
    int i = 0, same = 1;
    while (same && sqlite3_step(st) == SQLITE_ROW) {
        same = i < n && strcmp(gz_col_text(st, 0), tags[i].slug) == 0;
        i++;
    }
    sqlite3_reset(st);
    return same && i == n;
}

/* Sets the story's tags. Unchanged tags are not written again: every tag
 * link written logs its tag's pages as changed (the page cache,
 * sql/0005_page_changes.sql), and a count that dips and comes back can
 * move the navigation. */
static int save_tags(struct gz_db *db, long long article_id,
                     const struct tag_in *tags, int n)
{
    if (tags_unchanged(db, article_id, tags, n))
        return 0;
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("DELETE FROM article_tags WHERE article_id = ?1"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, article_id);
    int rc = gz_db_exec_stmt(db, st);
    for (int i = 0; i < n && rc == 0; i++) {
        /* A new tag gets the name as typed; an existing one keeps its
         * own name and description. */
        st = gz_db_stmt(db, GZ_SQL("INSERT INTO tags (slug, name, created_at)"
                                   " VALUES (?1, ?2, unixepoch())"
                                   " ON CONFLICT(slug) DO NOTHING"));
        if (!st)
            return GZ_EDB;
        gz_bind_text(st, 1, tags[i].slug);
        gz_bind_text(st, 2, tags[i].name);
        if ((rc = gz_db_exec_stmt(db, st)) != 0)
            break;
        st = gz_db_stmt(db, GZ_SQL("INSERT OR IGNORE INTO article_tags"
                                   " (article_id, tag_id, position)"
                                   " SELECT ?1, id, ?3 FROM tags"
                                   " WHERE slug = ?2"));
        if (!st)
            return GZ_EDB;
        sqlite3_bind_int64(st, 1, article_id);
        gz_bind_text(st, 2, tags[i].slug);
        sqlite3_bind_int(st, 3, i);
        rc = gz_db_exec_stmt(db, st);
    }
    return rc;
}

/* Unpublishing withdraws the story's notifications not yet sent: the
 * rows are marked failed with the reason (so the admin's progress shows
 * them), in the same transaction as the unpublish. */
static int withdraw_mail(struct gz_db *db, long long article_id)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("UPDATE outbox SET status = 'failed', body_text = '',"
                   " body_html = '', last_error = 'withdrawn: the story was"
                   " unpublished before this was sent' WHERE article_id = ?1"
                   " AND kind = 'notify' AND status = 'queued'"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, article_id);
    return gz_db_exec_stmt(db, st);
}

int gz_store_story_save(struct gz_db *db, long long id, long long author_id,
                        const struct gz_story_in *in,
                        enum gz_story_action action, long long publish_at,
                        long long own_draft_of, long long *out_id,
                        json_t *errors)
{
    int rc = 0, in_tx = 0, err = 0;
    json_t *cur = NULL;
    struct gz_md md = {0};
    struct tag_in tags[GZ_STORY_TAGS_MAX];
    char slug[128] = "";
    const char *title = nz(in->title), *excerpt = nz(in->excerpt);
    const char *markdown = nz(in->markdown), *img = nz(in->image_url);
    const char *alt = nz(in->image_alt), *caption = nz(in->image_caption);
    long long now = gz_now();
    int width = 0, height = 0;

    /* Checks that need no database. */
    if (strspn(title, " \t") == strlen(title))
        add_error(errors, "title", "Give the story a title.");
    check_text(errors, "title", title, GZ_STORY_TITLE_MAX, 1,
               "Use at most 300 characters, on one line.");
    check_text(errors, "excerpt", excerpt, GZ_STORY_EXCERPT_MAX, 0,
               "Use at most 1000 characters.");
    if (strlen(markdown) > GZ_STORY_MARKDOWN_MAX ||
        !gz_utf8_valid_text(markdown, strlen(markdown)))
        add_error(errors, "markdown",
                  "The body must be text of at most 1 MiB.");
    check_text(errors, "image_alt", alt, GZ_STORY_ALT_MAX, 1,
               "Use at most 300 characters, on one line.");
    check_text(errors, "image_caption", caption, GZ_STORY_CAPTION_MAX, 0,
               "Use at most 500 characters.");
    int ntags = parse_tags(nz(in->tags), tags, errors);
    if (action == GZ_STORY_SCHEDULE && !json_object_get(errors, "publish_at") &&
        publish_at <= now)
        add_error(errors, "publish_at",
                  "Choose a time in the future (UTC) to schedule the story.");

    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    in_tx = 1;
    if (id > 0) {
        cur = gz_store_story_load(db, id, &err);
        if (!cur) {
            rc = err;
            goto out;
        }
    }
    const char *cur_status =
        cur ? json_string_value(json_object_get(cur, "status")) : "draft";
    /* SECURITY: the author's right is checked again here, inside the
     * transaction, against the story as it is now. */
    if (cur && own_draft_of > 0 &&
        (strcmp(cur_status, "draft") != 0 ||
         json_integer_value(json_object_get(cur, "author_id")) !=
             own_draft_of)) {
        rc = GZ_EFORBIDDEN;
        goto out;
    }
    long long cur_pub =
        cur ? json_integer_value(json_object_get(cur, "published_at")) : 0;
    if (action == GZ_STORY_SCHEDULE && strcmp(cur_status, "published") == 0)
        add_error(errors, "publish_at",
                  "This story is already published. Unpublish it first to "
                  "schedule it.");

    /* The feature image: nothing, the one the story has, or an upload
     * this site stored (SECURITY: never an arbitrary URL from the form). */
    if (*img) {
        const char *cur_img =
            cur ? json_string_value(json_object_get(cur, "image_url")) : "";
        if (cur && strcmp(img, cur_img) == 0) {
            width =
                (int)json_integer_value(json_object_get(cur, "image_width"));
            height =
                (int)json_integer_value(json_object_get(cur, "image_height"));
        } else {
            int frc = gz_store_media_find(db, img, &width, &height);
            if (frc == GZ_EDB) {
                rc = GZ_EDB;
                goto out;
            }
            if (frc != 0)
                add_error(errors, "image",
                          "That image is not in the media library. Upload it "
                          "again.");
            else if (width <= 0 || height <= 0)
                add_error(errors, "image",
                          "The size of that image could not be read. Save it "
                          "as PNG or JPEG and upload it again.");
        }
    }

    if (!json_object_get(errors, "title") || *nz(in->slug)) {
        if ((rc = choose_slug(db, id, nz(in->slug), title, slug, sizeof slug,
                              errors)) != 0)
            goto out;
    }
    if (json_object_size(errors) > 0) {
        rc = GZ_EINVAL;
        goto out;
    }

    /* The status after the action. */
    const char *status = cur_status;
    long long pub = cur_pub;
    switch (action) {
    case GZ_STORY_PUBLISH:
        if (strcmp(cur_status, "published") != 0) {
            status = "published";
            /* A story published before keeps its first date. */
            pub = cur_pub == 0 || cur_pub > now ? now : cur_pub;
        }
        break;
    case GZ_STORY_SCHEDULE:
        status = "scheduled";
        pub = publish_at;
        break;
    case GZ_STORY_UNPUBLISH:
        status = "draft";
        break;
    case GZ_STORY_SAVE:
        break;
    }

    if (gz_md_render(markdown, strlen(markdown), &md) != 0) {
        rc = GZ_ENOMEM;
        goto out;
    }
    sqlite3_stmt *st;
    if (cur)
        st = gz_db_stmt(
            db, GZ_SQL("UPDATE articles SET slug = ?2, title = ?3,"
                       " excerpt = ?4, markdown = ?5, html = ?6, plain = ?7,"
                       " reading_time = ?8, image_url = ?9, image_alt = ?10,"
                       " image_caption = ?11, image_width = ?12,"
                       " image_height = ?13, comments_open = ?14,"
                       " status = ?15, published_at = ?16,"
                       " updated_at = ?17 WHERE id = ?1"));
    else
        st = gz_db_stmt(
            db, GZ_SQL("INSERT INTO articles (id, author_id, slug, title,"
                       " excerpt, markdown, html, plain, reading_time,"
                       " image_url, image_alt, image_caption, image_width,"
                       " image_height, comments_open, status, published_at,"
                       " notified, created_at, updated_at) VALUES ("
                       /* never a purged story's id (0012_revisions.sql) */
                       " (SELECT max(high, (SELECT coalesce(max(id), 0)"
                       "  FROM articles)) + 1 FROM article_id_high), ?1, ?2,"
                       " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
                       " ?15, ?16, 0, ?17, ?17)"));
    if (!st) {
        rc = GZ_EDB;
        goto out;
    }
    sqlite3_bind_int64(st, 1, cur ? id : author_id);
    gz_bind_text(st, 2, slug);
    gz_bind_text(st, 3, title);
    gz_bind_text(st, 4, excerpt);
    gz_bind_text(st, 5, markdown);
    gz_bind_text(st, 6, md.html);
    gz_bind_text(st, 7, md.plain);
    sqlite3_bind_int(st, 8, md.reading_time);
    gz_bind_text(st, 9, *img ? img : NULL);
    gz_bind_text(st, 10, *img ? alt : "");
    gz_bind_text(st, 11, *img ? caption : "");
    if (*img && width > 0 && height > 0) {
        sqlite3_bind_int(st, 12, width);
        sqlite3_bind_int(st, 13, height);
    }
    sqlite3_bind_int(st, 14, in->comments_open ? 1 : 0);
    gz_bind_text(st, 15, status);
    if (pub > 0)
        sqlite3_bind_int64(st, 16, pub);
    sqlite3_bind_int64(st, 17, now);
    rc = gz_db_exec_stmt(db, st);
    if (rc == GZ_ECONFLICT) {
        /* Only the slug is unique; another writer took it a moment ago
         * (cannot happen under BEGIN IMMEDIATE, but say so clearly). */
        add_error(errors, "slug", "This slug was just taken. Choose another.");
        rc = GZ_EINVAL;
        goto out;
    }
    if (rc != 0)
        goto out;
    long long story_id = cur ? id : sqlite3_last_insert_rowid(db->h);
    if ((rc = save_tags(db, story_id, tags, ntags)) != 0)
        goto out;
    /* The revision of this save, in the same transaction (issue 10). */
    if ((rc = gz_store_revision_record(db, story_id, author_id, now)) != 0)
        goto out;
    if (action == GZ_STORY_UNPUBLISH && (rc = withdraw_mail(db, id)) != 0)
        goto out;
    if ((rc = gz_db_tx_commit(db)) != 0)
        goto out;
    in_tx = 0;
    *out_id = story_id;
out:
    if (in_tx)
        gz_db_tx_rollback(db);
    gz_md_free(&md);
    json_decref(cur);
    return rc;
}

int gz_store_story_delete(struct gz_db *db, long long id,
                          long long own_draft_of)
{
    return gz_store_story_trash(db, id, own_draft_of, own_draft_of);
}

int gz_store_story_trash(struct gz_db *db, long long id,
                         long long own_draft_of, long long deleted_by)
{
    sqlite3_stmt *st = gz_db_stmt(
        /* To the trash (sql/0012_revisions.sql): a draft that remembers
         * its status; the background thread purges it after 30 days. */
        db, GZ_SQL("UPDATE articles SET deleted_at = ?3,"
                   " trashed_status = status, deleted_by = ?4,"
                   " status = 'draft'"
                   " WHERE id = ?1 AND deleted_at IS NULL AND (?2 = 0 OR"
                   " (status = 'draft' AND author_id = ?2))"));
    if (!st)
        return GZ_EDB;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, own_draft_of);
    sqlite3_bind_int64(st, 3, gz_now());
    if (deleted_by > 0)
        sqlite3_bind_int64(st, 4, deleted_by);
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    int rc = gz_db_exec_stmt(db, st);
    if (rc == 0 && sqlite3_changes(db->h) == 0)
        rc = own_draft_of > 0 ? GZ_EFORBIDDEN : GZ_ENOTFOUND;
    /* As an unpublish: new-story mail not sent yet is withdrawn. */
    if (rc == 0)
        rc = withdraw_mail(db, id);
    if (rc == 0)
        rc = gz_db_tx_commit(db);
    if (rc != 0)
        gz_db_tx_rollback(db);
    return rc;
}

/* ---- the story list ---------------------------------------------------- */

json_t *gz_store_stories_list(struct gz_db *db, const struct gz_story_query *q,
                              long long *total)
{
    json_t *list = NULL;
    struct gz_buf like;
    gz_buf_init(&like);
    /* The search words as a LIKE pattern: % and _ and the escape char
     * itself are escaped, so they match only themselves. */
    if (q->q && *q->q) {
        gz_buf_putc(&like, '%');
        for (const char *p = q->q; *p; p++) {
            if (*p == '%' || *p == '_' || *p == '\\')
                gz_buf_putc(&like, '\\');
            gz_buf_putc(&like, *p);
        }
        if (gz_buf_putc(&like, '%') != 0)
            goto out;
    }
    const char *pattern = like.len ? gz_buf_cstr(&like) : NULL;
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT count(*) FROM articles a"
                              " WHERE a.deleted_at IS NULL"
                              " AND (?1 IS NULL OR a.status = ?1)"
                              " AND (?2 IS NULL OR a.title LIKE ?2 ESCAPE '\\')"
                              " AND (?3 = 0 OR a.author_id = ?3)"));
    if (!st)
        goto out;
    gz_bind_text(st, 1, q->status);
    gz_bind_text(st, 2, pattern);
    sqlite3_bind_int64(st, 3, q->author_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        goto out;
    }
    *total = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);

    st = gz_db_stmt(db,
                    GZ_SQL("SELECT a.id, a.slug, a.title, a.status, u.name,"
                           " a.author_id, a.updated_at, a.published_at,"
                           " a.image_url, (SELECT t.name FROM article_tags x"
                           "   JOIN tags t ON t.id = x.tag_id"
                           "   WHERE x.article_id = a.id"
                           "   ORDER BY x.position, t.name LIMIT 1)"
                           " FROM articles a JOIN users u ON u.id = a.author_id"
                           " WHERE a.deleted_at IS NULL"
                           " AND (?1 IS NULL OR a.status = ?1)"
                           " AND (?2 IS NULL OR a.title LIKE ?2 ESCAPE '\\')"
                           " AND (?3 = 0 OR a.author_id = ?3)"
                           " ORDER BY a.updated_at DESC, a.id DESC"
                           " LIMIT ?4 OFFSET ?5"));
    if (!st)
        goto out;
    gz_bind_text(st, 1, q->status);
    gz_bind_text(st, 2, pattern);
    sqlite3_bind_int64(st, 3, q->author_id);
    sqlite3_bind_int(st, 4, q->limit);
    sqlite3_bind_int64(st, 5,
                       (q->page < 1 ? 0 : q->page - 1) * (long long)q->limit);
    list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *s = json_object();
        json_object_set_new(s, "id", json_integer(sqlite3_column_int64(st, 0)));
        json_object_set_new(s, "slug", json_string(gz_col_text(st, 1)));
        json_object_set_new(s, "title", json_string(gz_col_text(st, 2)));
        json_object_set_new(s, "status", json_string(gz_col_text(st, 3)));
        json_object_set_new(s, "author_name", json_string(gz_col_text(st, 4)));
        json_object_set_new(s, "author_id",
                            json_integer(sqlite3_column_int64(st, 5)));
        json_object_set_new(s, "updated_at",
                            json_integer(sqlite3_column_int64(st, 6)));
        json_object_set_new(s, "published_at",
                            json_integer(sqlite3_column_int64(st, 7)));
        json_object_set_new(s, "image_url", json_string(gz_col_text(st, 8)));
        json_object_set_new(s, "primary_tag", json_string(gz_col_text(st, 9)));
        json_array_append_new(list, s);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        list = NULL;
    }
out:
    gz_buf_free(&like);
    return list;
}

json_t *gz_store_stories_counts(struct gz_db *db, long long author_id)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT count(*), coalesce(sum(status = 'draft'), 0),"
                   " coalesce(sum(status = 'scheduled'), 0),"
                   " coalesce(sum(status = 'published'), 0)"
                   " FROM articles WHERE deleted_at IS NULL"
                   " AND (?1 = 0 OR author_id = ?1)"));
    if (!st)
        return NULL;
    sqlite3_bind_int64(st, 1, author_id);
    json_t *c = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        c = json_pack("{s:I, s:I, s:I, s:I}", "all",
                      (json_int_t)sqlite3_column_int64(st, 0), "draft",
                      (json_int_t)sqlite3_column_int64(st, 1), "scheduled",
                      (json_int_t)sqlite3_column_int64(st, 2), "published",
                      (json_int_t)sqlite3_column_int64(st, 3));
    sqlite3_reset(st);
    return c;
}

/* ---- media ------------------------------------------------------------- */

int gz_store_media_add(struct gz_db *db, const char *sha256, const char *ext,
                       const char *mime, long long bytes, int width, int height,
                       long long user_id, char *url, size_t urllen,
                       int *width_out, int *height_out)
{
    char path[96];
    snprintf(path, sizeof path, "/media/%.64s.%.8s", sha256, ext);
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("INSERT INTO media (sha256, path, mime, bytes, width,"
                   " height, user_id, created_at)"
                   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, unixepoch())"
                   " ON CONFLICT(sha256) DO UPDATE SET"
                   " width = coalesce(width, excluded.width),"
                   " height = coalesce(height, excluded.height)"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, sha256);
    gz_bind_text(st, 2, path);
    gz_bind_text(st, 3, mime);
    sqlite3_bind_int64(st, 4, bytes);
    if (width > 0 && height > 0) {
        sqlite3_bind_int(st, 5, width);
        sqlite3_bind_int(st, 6, height);
    }
    if (user_id > 0)
        sqlite3_bind_int64(st, 7, user_id);
    int rc = gz_db_exec_stmt(db, st);
    if (rc != 0)
        return rc;
    snprintf(url, urllen, "%s", path);
    return gz_store_media_find(db, path, width_out, height_out);
}

int gz_store_media_find(struct gz_db *db, const char *url, int *width,
                        int *height)
{
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT coalesce(width, 0), coalesce(height, 0)"
                              " FROM media WHERE path = ?1"));
    if (!st)
        return GZ_EDB;
    gz_bind_text(st, 1, url);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (width)
            *width = sqlite3_column_int(st, 0);
        if (height)
            *height = sqlite3_column_int(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
}

/* ---- users ------------------------------------------------------------- */

json_t *gz_store_users_list(struct gz_db *db)
{
    sqlite3_stmt *st = gz_db_stmt(
        db, GZ_SQL("SELECT u.id, u.name, u.email, u.slug, u.role,"
                   " u.disabled, u.password_hash IS NOT NULL, u.created_at,"
                   " (SELECT count(*) FROM articles a"
                   "  WHERE a.author_id = u.id)"
                   " FROM users u ORDER BY CASE u.role WHEN 'admin' THEN 0"
                   " WHEN 'editor' THEN 1 ELSE 2 END, u.name COLLATE NOCASE,"
                   " u.id"));
    if (!st)
        return NULL;
    json_t *list = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *u = json_object();
        json_object_set_new(u, "id", json_integer(sqlite3_column_int64(st, 0)));
        json_object_set_new(u, "name", json_string(gz_col_text(st, 1)));
        json_object_set_new(u, "email", json_string(gz_col_text(st, 2)));
        json_object_set_new(u, "slug", json_string(gz_col_text(st, 3)));
        json_object_set_new(u, "role", json_string(gz_col_text(st, 4)));
        json_object_set_new(u, "disabled",
                            json_boolean(sqlite3_column_int(st, 5)));
        json_object_set_new(u, "can_sign_in",
                            json_boolean(sqlite3_column_int(st, 6)));
        json_object_set_new(u, "created_at",
                            json_integer(sqlite3_column_int64(st, 7)));
        json_object_set_new(u, "stories",
                            json_integer(sqlite3_column_int64(st, 8)));
        json_array_append_new(list, u);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

int gz_store_user_update(struct gz_db *db, long long id, const char *role,
                         int disabled, const char *password, char *err,
                         size_t errlen)
{
    int rc = 0;
    char hash[crypto_pwhash_STRBYTES];
    snprintf(err, errlen, "%s", "");
    if (role && strcmp(role, "admin") && strcmp(role, "editor") &&
        strcmp(role, "author")) {
        snprintf(err, errlen, "Choose admin, editor or author.");
        return GZ_EINVAL;
    }
    if (password) {
        size_t pl = strlen(password);
        if (pl < 10 || pl > 1024) {
            snprintf(err, errlen, "Use a password of at least 10 characters.");
            return GZ_EINVAL;
        }
        /* Hashing takes a while: do it before taking the write lock. */
        if (crypto_pwhash_str(hash, password, pl,
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            snprintf(err, errlen, "Out of memory while hashing the password.");
            return GZ_ENOMEM;
        }
    }
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    sqlite3_stmt *st =
        gz_db_stmt(db, GZ_SQL("SELECT role, disabled, password_hash IS NOT NULL"
                              " FROM users WHERE id = ?1"));
    if (!st) {
        rc = GZ_EDB;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    char cur_role[16] = "";
    int cur_disabled = 0, has_pw = 0;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        snprintf(cur_role, sizeof cur_role, "%s", gz_col_text(st, 0));
        cur_disabled = sqlite3_column_int(st, 1);
        has_pw = sqlite3_column_int(st, 2);
    }
    sqlite3_reset(st);
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE ? GZ_ENOTFOUND : GZ_EDB;
        goto out;
    }
    const char *new_role = role ? role : cur_role;
    int new_disabled = disabled < 0 ? cur_disabled : disabled != 0;
    int was_admin = strcmp(cur_role, "admin") == 0 && !cur_disabled && has_pw;
    int stays_admin =
        strcmp(new_role, "admin") == 0 && !new_disabled && (has_pw || password);
    /* SECURITY: the site must keep at least one admin who can sign in,
     * or nobody could ever manage users and settings again. */
    if (was_admin && !stays_admin && gz_store_admin_count(db) <= 1) {
        snprintf(err, errlen,
                 "This is the last admin. Make another user an admin first, "
                 "then try again.");
        rc = GZ_ECONFLICT;
        goto out;
    }
    st = gz_db_stmt(db, GZ_SQL("UPDATE users SET role = ?2, disabled = ?3,"
                               " password_hash = coalesce(?4, password_hash)"
                               " WHERE id = ?1"));
    if (!st) {
        rc = GZ_EDB;
        goto out;
    }
    sqlite3_bind_int64(st, 1, id);
    gz_bind_text(st, 2, new_role);
    sqlite3_bind_int(st, 3, new_disabled);
    gz_bind_text(st, 4, password ? hash : NULL);
    if ((rc = gz_db_exec_stmt(db, st)) != 0)
        goto out;
    if ((new_disabled && !cur_disabled) || password) {
        /* A disabled account or a changed password signs that user out
         * everywhere. */
        st = gz_db_stmt(db, GZ_SQL("DELETE FROM sessions WHERE user_id = ?1"));
        if (!st) {
            rc = GZ_EDB;
            goto out;
        }
        sqlite3_bind_int64(st, 1, id);
        if ((rc = gz_db_exec_stmt(db, st)) != 0)
            goto out;
    }
    rc = gz_db_tx_commit(db);
out:
    if (rc != 0)
        gz_db_tx_rollback(db);
    sodium_memzero(hash, sizeof hash);
    return rc;
}

/* ---- settings ---------------------------------------------------------- */

int gz_store_settings_save(struct gz_db *db, json_t *values)
{
    if (gz_db_tx_begin(db) != 0)
        return GZ_EDB;
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(values, key, v)
    {
        if (!json_is_string(v))
            continue;
        sqlite3_stmt *st = gz_db_stmt(
            db, GZ_SQL("INSERT INTO settings (key, value) VALUES (?1, ?2)"
                       " ON CONFLICT(key) DO UPDATE SET value = ?2"
                       " WHERE value IS NOT ?2"));
        if (!st) {
            rc = GZ_EDB;
            break;
        }
        gz_bind_text(st, 1, key);
        gz_bind_text(st, 2, json_string_value(v));
        if ((rc = gz_db_exec_stmt(db, st)) != 0)
            break;
    }
    if (rc == 0)
        rc = gz_db_tx_commit(db);
    if (rc != 0)
        gz_db_tx_rollback(db);
    return rc;
}
