/*
 * store.h - the content store: every query the site makes, answered as
 * jansson objects ready to be a view model (the same objects the JSON API
 * returns). Objects returned are owned by the caller (json_decref).
 *
 * URLs in returned objects are site-relative ("/articles/slug"); the site
 * layer adds the base URL where an absolute one is needed. Times are RFC
 * 3339 UTC strings plus a "..._human" form for pages.
 *
 * Threads: each call uses the connection it is given, which belongs to the
 * calling thread.
 */
#ifndef GAZETTE_STORE_H
#define GAZETTE_STORE_H

#include <jansson.h>

#include "gazette/db.h"

struct gz_list_query {
    const char *tag_slug;    /* NULL: any tag */
    const char *author_slug; /* NULL: any author */
    long long exclude_id;    /* 0: none */
    long long page;          /* 1-based */
    int limit;
    int with_body;           /* add html (feeds) */
};

/* Published stories, newest first, as story rows (gz_store_story_rows
 * below names the columns; pages and the API build resources from them,
 * gazette/view.h). *total gets the number of matching stories (total may
 * be NULL: no count is made). NULL on a database error. */
json_t *gz_store_articles_list(struct gz_db *db, const struct gz_list_query *q,
                               long long *total);

/* One published story's row with html (its comments come from
 * gz_store_comment_rows). NULL and *err = GZ_ENOTFOUND or GZ_EDB. */
json_t *gz_store_article_load(struct gz_db *db, const char *slug, int *err);

/* A tag row {id, slug, name, description, article_count}; NULL as above. */
json_t *gz_store_tag_load(struct gz_db *db, const char *slug, int *err);
/* An author row {id, slug, name, bio, article_count} (disabled users
 * too: their stories stay); NULL as above. */
json_t *gz_store_author_load(struct gz_db *db, const char *slug, int *err);

/* The tags with the most published stories, for navigation. */
json_t *gz_store_nav_tags(struct gz_db *db, int n);

/* Full-text search over published stories: story rows plus snippet_html with
 * matches in <mark>. `q` is free text: it is turned into an FTS5 query of
 * quoted terms, never passed through as FTS5 syntax; words of one or two
 * characters are exact, longer ones prefixes. NULL on a database error or
 * when the search is refused (gz_store_search_bounded says which). */
json_t *gz_store_search(struct gz_db *db, const char *q, long long page,
                        int limit, long long *total);

/* A search returns at most this many stories: all of them by relevance
 * when no more match, else the newest this many, newest first
 * (docs/DECISIONS.md, "Search: relevance when matches are few, newest
 * first when they are many"). */
#define GZ_SEARCH_MAX_RESULTS 1000

/* Why a bounded search gave no rows (gz_store_search_bounded's *why, and
 * *bad of gz_store_story_rows with q); docs/DECISIONS.md has the rules. */
enum gz_search_refusal {
    GZ_SEARCH_TOO_BROAD = 2, /* over its work budget: the reader should
                                add words (503) */
    GZ_SEARCH_BUSY = 3,      /* every slot busy and the wait for one full
                                or over: try again in a second (503,
                                Retry-After) */
    GZ_SEARCH_SHARE = 4,     /* this client has as many searches waiting
                                as one may: 429, Retry-After */
};
/* What a story list found beside its rows. */
struct gz_found {
    long long total;  /* the matches (a capped search: the cap) */
    int newest_first; /* a search of more than GZ_SEARCH_MAX_RESULTS
                         matches: the newest of them, newest first */
};
/* The search behind gz_store_search, telling why it returned NULL: *why
 * is GZ_SEARCH_TOO_BROAD, GZ_SEARCH_BUSY, GZ_SEARCH_SHARE, or 0 for a
 * database error. client (an address, may be NULL) is whom the search is
 * for: the share of the wait for a slot is per client. found as
 * gz_store_story_rows's. Snippets come from the title, the excerpt and
 * the first 16,384 characters of the body. Thread-safe. */
json_t *gz_store_search_bounded(struct gz_db *db, const char *q,
                                long long page, int limit,
                                const char *client, struct gz_found *found,
                                int *why);
/* Changes the bounds of every later search: searches at once, VM steps
 * and CPU milliseconds each, and how long a search waits for a slot (ms);
 * 0 keeps (or restores) the default, wait_ms < 0 means no wait. */
void gz_store_search_set_limits(int max_running, long long max_steps,
                                int max_cpu_ms, int wait_ms);
/* A slot among the searches running at once, for client (NULL: any):
 * its number (> 0) once taken, waiting for one up to the wait limit in
 * order of arrival; else -GZ_SEARCH_BUSY (every slot busy, and the queue
 * of waiting searches full or the wait over) or -GZ_SEARCH_SHARE (this
 * client already has half of the queue). Searches take one themselves;
 * these are for tests that hold one. Thread-safe. */
int gz_store_search_acquire(const char *client);
void gz_store_search_release(int slot);

/* Every published story, tag and author with their last change, for the
 * sitemap: {"articles": [{loc, lastmod}], "tags": [...], "authors": [...]}. */
json_t *gz_store_sitemap(struct gz_db *db);

/* Site settings as an object of strings (title, description, base_url...),
 * defaults filled in. */
json_t *gz_store_settings_load(struct gz_db *db);

/* The base URL for absolute links (canonical, feeds, sitemap, mail): the
 * admin's base_url setting when set, else `fallback` (the configured or
 * derived one). Borrowed from settings or fallback. */
const char *gz_store_base_url(json_t *settings, const char *fallback);

/* The content version: n changes on every change readers could see;
 * changed_at is when. 0 or GZ_EDB. */
int gz_store_content_version(struct gz_db *db, long long *n,
                             long long *changed_at);

/* The page changes (sql/0005_page_changes.sql): every write readers
 * could see logs the keys of what it changed (story-ID, home, feeds,
 * tag-SLUG, author-SLUG, nav, settings) under growing ids.
 * gz_store_changes_last: the last id ever given (0: none) and when the
 * content last changed; 0 or GZ_EDB. gz_store_changes_since calls fn with
 * every change after id `after`, in order; 0 or GZ_EDB.
 * gz_store_changes_prune deletes the changes up to id upto (read ones). */
int gz_store_changes_last(struct gz_db *db, long long *last,
                          long long *changed_at);
int gz_store_changes_since(struct gz_db *db, long long after,
                           void (*fn)(void *cls, long long id,
                                      const char *key),
                           void *cls);
int gz_store_changes_prune(struct gz_db *db, long long upto);
/* At most limit changes after id `after`, in order, through fn (a
 * purger's batch); 0 or GZ_EDB. */
int gz_store_changes_batch(struct gz_db *db, long long after, int limit,
                           void (*fn)(void *cls, long long id,
                                      const char *key),
                           void *cls);

/* A purger's cursor (sql/0009_purges.sql): the last page change it
 * delivered. gz_store_purge_cursor: 0, GZ_ENOTFOUND (a new purger) or
 * GZ_EDB. gz_store_purge_cursor_set records a delivery (error NULL; the
 * cursor only grows, sent counts requests) or a failure (error says
 * what); 0 or GZ_EDB. */
int gz_store_purge_cursor(struct gz_db *db, const char *purger,
                          long long *after);
int gz_store_purge_cursor_set(struct gz_db *db, const char *purger,
                              long long after, int sent, const char *error);
/* Logs a change of every page (after a restore: the caches in front
 * hold pages of the database that was replaced); 0 or GZ_EDB. */
int gz_store_changes_all(struct gz_db *db);
/* The slug of story id, whatever its status; 0, GZ_ENOTFOUND or GZ_EDB. */
int gz_store_story_slug(struct gz_db *db, long long id, char *slug,
                        size_t size);

/* Publishes scheduled stories whose time has come; returns how many. */
int gz_store_publish_due(struct gz_db *db);

/* 1 when no story exists yet (decides whether `init --demo` seeds). */
int gz_store_is_empty(struct gz_db *db);

/*
 * Imports a document of the `gazette export` / demo/demo.json form
 * ({settings, authors, tags, media, articles, subscribers}, every part
 * optional) in one transaction: all or nothing. Markdown is rendered
 * here. Idempotent: users match by email, tags and stories by slug, media
 * by sha256, subscribers by email, comments by (story, parent, name,
 * body, created_at); matched rows are updated, except that a known
 * subscriber's status only ever changes to unsubscribed. Imported users
 * get no password (they cannot sign in until given one); no token is
 * imported. On bad input returns GZ_EINVAL with a message naming the item
 * in err ("articles[3].author: ...").
 */
int gz_store_import(struct gz_db *db, json_t *doc, char *err, size_t errlen);
/* The same, calling progress (when not NULL) after each story. */
int gz_store_import_progress(struct gz_db *db, json_t *doc, char *err,
                             size_t errlen,
                             void (*progress)(void *ctx, size_t done,
                                              size_t total),
                             void *progress_ctx);

/* The whole site as a document gz_store_import reads back: settings,
 * every user ("authors": name, slug, email, bio, role, disabled,
 * created_at), tags, media rows, stories of every status with their tags
 * and comments (replies nested), subscribers (email, name, status,
 * created_at, confirmed_at). Never password hashes, sessions, API tokens,
 * confirmation or unsubscribe tokens, or the outbox. */
json_t *gz_store_export(struct gz_db *db);

/* ---- users and sessions (users.c) ----------------------------------- */

struct gz_session_user {
    long long id;
    char email[256];
    char name[128];
    char slug[128];
    char role[16];   /* "admin", "editor", "author" */
    char csrf[65];
};

/* Number of users who can sign in (a password set, not disabled). */
long long gz_store_login_users(struct gz_db *db);
/* Number of enabled admins who can sign in. */
long long gz_store_admin_count(struct gz_db *db);

/*
 * Creates a user with an Argon2id hash of password (libsodium
 * crypto_pwhash_str). Checks: email (has @, no spaces, <= 254), name
 * (1-80 chars), role, password (10-1024 bytes). The slug comes from the
 * name, numbered when taken. When a user with that email exists without a
 * password (a demo or imported author) it is given the password and role.
 * Returns 0 and *id, GZ_ECONFLICT (email taken) or GZ_EINVAL with the
 * problem and the field name ("email", "name", "password", "role") in
 * err / field.
 */
int gz_store_user_create(struct gz_db *db, const char *email,
                         const char *name, const char *role,
                         const char *password, long long *id, char *err,
                         size_t errlen, const char **field);

/* Checks email + password. Returns the user id (> 0) or 0 when they do not
 * match (unknown email, wrong password and disabled account look the
 * same; the time spent is the same too). GZ_EDB on error. */
long long gz_store_user_verify(struct gz_db *db, const char *email,
                               const char *password);

/* Starts a session: a random token (for the cookie, never stored: the
 * database keeps its SHA-256) and a random CSRF token, valid ttl seconds. */
int gz_store_session_create(struct gz_db *db, long long user_id, int ttl,
                            char token[static 65]);
/* Looks up an unexpired session of an enabled user by cookie token.
 * 0, GZ_ENOTFOUND or GZ_EDB. */
int gz_store_session_get(struct gz_db *db, const char *token,
                         struct gz_session_user *out);
int gz_store_session_delete(struct gz_db *db, const char *token);
/*
 * Trusted devices (sign-in limits, docs/NEWSROOM.md): after a successful
 * sign-in the browser gets a cookie that names a random device id and
 * carries a MAC of it and the account's email under a key only the
 * database holds (table secrets, made on first use; needs a read-write
 * connection). gz_store_device_cookie writes "<id>.<mac>" (at most 130
 * bytes with the NUL) into out; gz_store_device_check returns 1 when
 * value is such a cookie for email (case-insensitive) and copies its id
 * into id_out (33 bytes). 0 otherwise, also on any error.
 */
int gz_store_device_cookie(struct gz_db *db, const char *email,
                           char out[static 130]);
int gz_store_device_check(struct gz_db *db, const char *email,
                          const char *value, char id_out[static 33]);

/* SHA-256 hex of a token (what the database stores). */
void gz_store_token_hash(const char *token, char out[static 65]);

/* ---- API tokens (tokens.c) ------------------------------------------ */

/* Makes a token for the user with that email (NULL: the first enabled
 * admin): "gzt_" and 64 hex digits, written to token (shown once; the
 * database keeps its SHA-256). 0 and *id, GZ_ENOTFOUND (no such user),
 * GZ_EINVAL (name empty or over 80 characters) or GZ_EDB. */
int gz_store_api_token_create(struct gz_db *db, const char *name,
                              const char *email, char token[static 69],
                              long long *id);
/* The user of an unrevoked token of an enabled user, as a session user
 * (csrf left empty). 0, GZ_ENOTFOUND or GZ_EDB. */
int gz_store_api_token_user(struct gz_db *db, const char *token,
                            struct gz_session_user *out, long long *token_id);
/* Records a use (at most once a minute per token). Needs a read-write
 * connection. */
void gz_store_api_token_touch(struct gz_db *db, long long token_id);
/* [{id, name, user_email, user_name, role, created_at, last_used_at,
 * revoked}], newest first. */
json_t *gz_store_api_tokens_list(struct gz_db *db);
/* 0, GZ_ENOTFOUND or GZ_EDB. */
int gz_store_api_token_revoke(struct gz_db *db, long long id);

/* ---- rows for the resource layer (rows.c) ---------------------------- */
/*
 * These return raw rows: JSON objects with the columns' names and values
 * as stored (integers for ids, flags and unix times; strings; null), for
 * the resource builders of src/view/resource.c to turn into the public
 * objects. Lists are owned arrays; NULL on a database error.
 */

struct gz_nql;

enum gz_story_order {
    GZ_ORDER_PUBLISHED = 0, GZ_ORDER_UPDATED, GZ_ORDER_CREATED, GZ_ORDER_TITLE
};

struct gz_story_filter {
    const char *status;      /* "published" (NULL too), "draft",
                                "scheduled" or "all" */
    long long own_author_id; /* > 0: stories not published are seen only
                                when this user wrote them (an author) */
    const char *slug;        /* one story, by slug ... */
    long long id;            /* ... or by id (0: any) */
    const char *tag_slug, *author_slug;
    const char *q;           /* words: only stories that match */
    int rank;                /* with q: best matches first, snippet */
    const char *client;      /* with q: whom the search is for (an
                                address; its share of the wait) */
    const struct gz_nql *filter;
    int allow_status_key;    /* the filter may use status */
    enum gz_story_order order;
    int ascending;
    long long page;
    int limit;
    int with_body;           /* html and markdown columns */
};

/*
 * Story rows: {id, slug, title, status, custom_excerpt, excerpt_source,
 * published_at, updated_at, created_at, reading_time, comments_open,
 * image_url, image_alt, image_caption, image_width, image_height,
 * author_id, author_name, author_slug, author_bio, tags [{id, name,
 * slug}], comment_count} (+ html, markdown; + snippet_html when ranked).
 * *found (may be NULL) gets the count of matches; a search (q) of more
 * than GZ_SEARCH_MAX_RESULTS stories in the default order, or ranked,
 * gives the newest of them, newest first (found->newest_first). A filter using an
 * unknown key, an operator a key does not take or a bad date returns
 * NULL with *bad = 1 and the problem in err. With q the search is
 * bounded as gz_store_search_bounded's: NULL with *bad =
 * GZ_SEARCH_TOO_BROAD or GZ_SEARCH_BUSY when it is refused.
 */
json_t *gz_store_story_rows(struct gz_db *db, const struct gz_story_filter *f,
                            struct gz_found *found, int *bad, char *err,
                            size_t errlen);

/* Tag rows {id, slug, name, description, article_count} (published
 * stories); slug NULL: the page of all tags by name. */
json_t *gz_store_tag_rows(struct gz_db *db, const char *slug, long long page,
                          int limit, long long *total);
/* Author rows {id, slug, name, bio, article_count}: enabled users; slug
 * NULL: the page of all by name. */
json_t *gz_store_author_rows(struct gz_db *db, const char *slug,
                             long long page, int limit, long long *total);
/* Comment rows {id, article_id, article_slug, parent_id, name, email,
 * body, status, created_at}. article_id 0: every story's; status NULL:
 * any; id > 0: that one comment. Oldest first for a story, else newest
 * first. */
json_t *gz_store_comment_rows(struct gz_db *db, long long article_id,
                              const char *status, long long id,
                              long long page, int limit, long long *total);
/* Subscriber rows {id, email, name, status, created_at, confirmed_at};
 * status NULL: any. */
json_t *gz_store_subscriber_rows(struct gz_db *db, const char *status,
                                 long long page, int limit, long long *total);
/* The media row {id, path, mime, bytes, width, height, created_at} of a
 * "/media/..." URL path; NULL when unknown. */
json_t *gz_store_media_row(struct gz_db *db, const char *path);

#endif
