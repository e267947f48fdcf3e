/*
 * newsroom.h - the write side of the store, used by the editor pages
 * (src/admin/) and meant to be reused by the JSON API: stories (create,
 * update, publish, schedule, unpublish, delete), tags made on the fly,
 * slugs kept unique, the admin story list, media rows, users (list, role,
 * disable, password) with last-admin protection, and settings.
 *
 * Validation lives here, not in the handlers, so every writer gets the
 * same rules: functions that take user input fill an `errors` object of
 * {field: message} strings and write nothing when any check fails.
 *
 * Every write runs in one BEGIN IMMEDIATE transaction that the function
 * opens and closes itself, so callers must not hold one. Objects returned
 * are owned by the caller (json_decref).
 *
 * Threads: each call uses the connection it is given, which belongs to the
 * calling thread (a read-write connection for the writes).
 */
#ifndef GAZETTE_NEWSROOM_H
#define GAZETTE_NEWSROOM_H

#include <jansson.h>

#include "gazette/db.h"

/* ---- stories --------------------------------------------------------- */

/* What a writer typed. Strings are borrowed for the call; NULL is "". */
struct gz_story_in {
    const char *title;         /* required, at most 300 characters */
    const char *slug;          /* "": made from the title, numbered */
    const char *excerpt;       /* at most 1000 characters */
    const char *markdown;      /* at most 1 MiB */
    const char *tags;          /* "Harbour, City life": names, comma list */
    const char *image_url;     /* "": none; else a known /media/ path or
                                  the story's current image URL */
    const char *image_alt;     /* at most 300 characters */
    const char *image_caption; /* at most 500 characters */
    int comments_open;
};

enum gz_story_action {
    GZ_STORY_SAVE = 0,  /* keep the status (edits of a published story go
                           live at once) */
    GZ_STORY_PUBLISH,   /* published now; a story published before and
                           unpublished keeps its first date */
    GZ_STORY_SCHEDULE,  /* scheduled for publish_at, which must be later
                           than now; the server's background thread
                           publishes it (gz_store_publish_due) */
    GZ_STORY_UNPUBLISH, /* back to draft (also "unschedule") */
};

/* Longest inputs, in characters (code points), and the tag count. */
#define GZ_STORY_TITLE_MAX 300
#define GZ_STORY_EXCERPT_MAX 1000
#define GZ_STORY_MARKDOWN_MAX (1 << 20) /* bytes */
#define GZ_STORY_ALT_MAX 300
#define GZ_STORY_CAPTION_MAX 500
#define GZ_STORY_TAGS_MAX 10
#define GZ_TAG_NAME_MAX 60

/*
 * Creates (id 0, by author_id) or updates (id > 0) a story from `in`,
 * then applies `action`, in one transaction.
 *
 * Slugs: an empty slug field gets gz_slugify(title), with "-2", "-3"...
 * added while another story has it; a slug typed by the writer must be a
 * valid slug and free, else errors.slug explains (nothing is renamed
 * behind the writer's back).
 *
 * Tags: each name of the comma list is trimmed; empty names and repeats
 * are dropped; a tag whose slug does not exist yet is created with the
 * name as typed. The first is the primary tag.
 *
 * Mail hook (SPEC section 5): stories made here start with notified = 0
 * and nothing here ever sets it, so the first time a story is published
 * (now, or later by the scheduler) it is a published story with
 * notified = 0. The mail side picks such stories up, queues the outbox
 * rows for the active subscribers and sets notified = 1 in one
 * transaction. Imported stories come in with notified = 1.
 *
 * errors: a JSON object the caller owns, possibly holding errors the
 * caller found already (a publish_at it could not parse). Checks add
 * {field: message} for title, slug, excerpt, markdown, tags, image,
 * image_alt, image_caption, publish_at. When it is non-empty afterwards
 * nothing is written and GZ_EINVAL is returned.
 *
 * own_draft_of: when > 0 (an author acting), an existing story must,
 * inside the same transaction, still be a draft by that user, else
 * GZ_EFORBIDDEN and nothing changes (an editor may have published it
 * since the handler looked).
 *
 * Returns 0 with *out_id set, GZ_EINVAL, GZ_ENOTFOUND (no story `id`),
 * GZ_EFORBIDDEN, GZ_ENOMEM or GZ_EDB.
 */
int gz_store_story_save(struct gz_db *db, long long id, long long author_id,
                        const struct gz_story_in *in,
                        enum gz_story_action action, long long publish_at,
                        long long own_draft_of, long long *out_id,
                        json_t *errors);

/*
 * One story of any status, for the edit form: {id, slug, title, excerpt,
 * markdown, status, author_id, author_name, author_slug, tags ("A, B" as
 * typed), tag_list [{name, slug}], image_url, image_alt, image_caption,
 * image_width, image_height (0 when unknown), comments_open (bool),
 * created_at, updated_at, published_at (epoch seconds, 0 when none),
 * notified (bool), url ("/articles/slug")}. NULL with *err GZ_ENOTFOUND
 * or GZ_EDB.
 */
json_t *gz_store_story_load(struct gz_db *db, long long id, int *err);

/* Deletes a story (to the trash, below). With
 * own_draft_of > 0 only while it is a draft by that user (checked in the
 * same statement). 0, GZ_ENOTFOUND, GZ_EFORBIDDEN or GZ_EDB. */
int gz_store_story_delete(struct gz_db *db, long long id,
                          long long own_draft_of);

/* The same, saying who deleted it (deleted_by, a user id; 0: unknown).
 * Deleting moves the story to the trash (sql/0012_revisions.sql): it
 * becomes a draft that remembers its status, gone from every public page,
 * until gz_store_trash_restore or the purge after 30 days. */
int gz_store_story_trash(struct gz_db *db, long long id,
                         long long own_draft_of, long long deleted_by);

struct gz_story_query {
    const char *status;  /* "draft", "scheduled", "published" or NULL */
    const char *q;       /* words in the title, or NULL */
    long long author_id; /* 0: everyone's */
    long long page;      /* 1-based */
    int limit;
};

/*
 * The newsroom's story list, most recently changed first: [{id, slug,
 * title, status, author_name, author_id, primary_tag (name or ""),
 * updated_at, published_at (epoch seconds, 0 when none), image_url}].
 * *total gets the number of matches. The title search is a plain
 * case-insensitive substring match (LIKE with % and _ escaped). NULL on a
 * database error.
 */
json_t *gz_store_stories_list(struct gz_db *db, const struct gz_story_query *q,
                              long long *total);

/* {all, draft, scheduled, published}: story counts (of one author when
 * author_id > 0). NULL on a database error. */
json_t *gz_store_stories_counts(struct gz_db *db, long long author_id);

/* ---- media ----------------------------------------------------------- */

/*
 * Records an uploaded image stored at /media/<sha256>.<ext> (once per
 * content: a second upload of the same bytes finds the first row). Fills
 * url (at least 80 bytes) and *width / *height from the row, which keeps
 * the first non-zero size seen. 0 or GZ_EDB.
 */
int gz_store_media_add(struct gz_db *db, const char *sha256, const char *ext,
                       const char *mime, long long bytes, int width, int height,
                       long long user_id, char *url, size_t urllen,
                       int *width_out, int *height_out);

/* Looks up a media row by URL path ("/media/<sha>.png"). 0 (sizes filled,
 * 0 when unknown; either pointer may be NULL), GZ_ENOTFOUND or GZ_EDB. */
int gz_store_media_find(struct gz_db *db, const char *url, int *width,
                        int *height);

/* ---- users ----------------------------------------------------------- */

/* Every account, admins first: [{id, name, email, slug, role, disabled
 * (bool), can_sign_in (bool: has a password), stories (count),
 * created_at}]. NULL on a database error. */
json_t *gz_store_users_list(struct gz_db *db);

/*
 * Changes a user's role (role NULL: keep) and/or disabled flag (-1: keep)
 * and/or password (NULL: keep; 10-1024 bytes, hashed with Argon2id). In
 * one transaction that refuses to leave no enabled admin who can sign
 * in: GZ_ECONFLICT with the reason in err. A disabled user or a new
 * password ends that user's sessions. Returns 0, GZ_ENOTFOUND,
 * GZ_EINVAL (bad role or password, reason in err), GZ_ECONFLICT or
 * GZ_EDB.
 */
int gz_store_user_update(struct gz_db *db, long long id, const char *role,
                         int disabled, const char *password, char *err,
                         size_t errlen);

/* ---- settings -------------------------------------------------------- */

/* Writes each string member of `values` as a setting, in one
 * transaction. The caller validates. 0 or GZ_EDB. */
int gz_store_settings_save(struct gz_db *db, json_t *values);

#endif
