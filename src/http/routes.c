/*
 * routes.c - the whole URL space of Gazette in one table, and the matcher.
 *
 * Patterns are literal segments, ":name" segments (one path segment of any
 * text, captured) and a final "*" for prefix routes. The table is sorted
 * by pattern; a unit test checks that, and that every pattern is unique.
 * HEAD is accepted wherever GET is.
 */
#include <stdio.h>
#include <string.h>

#include "gazette/admin.h"
#include "gazette/api.h"
#include "gazette/http.h"
#include "gazette/site.h"

#define GET GZ_GET | GZ_HEAD
#define POST GZ_POST
/* Flag sets: C = cacheable public page; F = form that writes; A = admin
 * page; AF = admin form that writes, with CSRF. */
#define C GZ_R_CACHEABLE
#define F (GZ_R_FORM | GZ_R_WRITE)
#define A GZ_R_ADMIN
#define AF (GZ_R_ADMIN | GZ_R_FORM | GZ_R_WRITE | GZ_R_CSRF)
/* API: R = public read (kept in the page cache when asked without
 * credentials); RA = read that needs a role; W = JSON write; U = upload. */
#define R (GZ_R_API | GZ_R_CACHEABLE)
#define RA GZ_R_API
#define W (GZ_R_API | GZ_R_JSON | GZ_R_WRITE)
#define U (GZ_R_API | GZ_R_FORM | GZ_R_UPLOAD | GZ_R_WRITE)
#define PATCH GZ_PATCH
#define DELETE GZ_DELETE
#define STORY_BODY (3 << 20) /* a 1 MiB story, escaped as JSON */
#define NONE GZ_ROLE_NONE
#define AUTHOR GZ_ROLE_AUTHOR
#define EDITOR GZ_ROLE_EDITOR
#define ADMIN GZ_ROLE_ADMIN

const struct gz_route gz_routes[] = {
    {GET, "/", gz_page_site_home, C, NONE, 0,
     "home: newest stories, ?page=N"},
    {GET, "/admin", gz_page_admin_home, A, AUTHOR, 0,
     "the newsroom's front page"},
    {GET, "/admin/comments", gz_page_admin_comments, A, EDITOR, 0,
     "moderation queue, ?status="},
    {POST, "/admin/comments", gz_page_admin_comments_bulk, AF, EDITOR, 0,
     "approve, mark spam or delete comments"},
    {GET, "/admin/login", gz_page_admin_login_form, A, NONE, 0,
     "sign-in form"},
    {POST, "/admin/login", gz_page_admin_login,
     GZ_R_ADMIN | GZ_R_FORM | GZ_R_WRITE, NONE, 0,
     "sign in (rate-limited)"},
    {POST, "/admin/logout", gz_page_admin_logout, AF, AUTHOR, 0,
     "sign out"},
    {POST, "/admin/media", gz_page_admin_media_upload,
     AF | GZ_R_UPLOAD, AUTHOR, 0, "upload an image"},
    {POST, "/admin/preview", gz_page_admin_preview, AF, AUTHOR, 0,
     "render Markdown exactly as the story page will"},
    {GET, "/admin/profile", gz_page_admin_profile, A, AUTHOR, 0,
     "your own name, bio, avatar and password"},
    {POST, "/admin/profile", gz_page_admin_profile_save, AF | GZ_R_UPLOAD,
     AUTHOR, 0, "save your name, bio and avatar"},
    {POST, "/admin/profile/password", gz_page_admin_profile_password, AF,
     AUTHOR, 0, "change your password (needs the current one)"},
    {GET, "/admin/reset", gz_page_admin_reset_form, A, NONE, 0,
     "forgot password: ask for a reset link"},
    {POST, "/admin/reset", gz_page_admin_reset,
     GZ_R_ADMIN | GZ_R_FORM | GZ_R_WRITE, NONE, 0,
     "mail a reset link (same answer for unknown addresses; rate-limited)"},
    {GET, "/admin/reset/confirm", gz_page_admin_reset_confirm_form, A, NONE,
     0, "the reset link: new password form, ?token="},
    {POST, "/admin/reset/confirm", gz_page_admin_reset_confirm,
     GZ_R_ADMIN | GZ_R_FORM | GZ_R_WRITE, NONE, 0,
     "set a new password with a reset token (once)"},
    {GET, "/admin/settings", gz_page_admin_settings, A, ADMIN, 0,
     "site settings"},
    {POST, "/admin/settings", gz_page_admin_settings_save, AF, ADMIN, 0,
     "save site settings"},
    {POST, "/admin/settings/tokens", gz_page_admin_token_create, AF, ADMIN, 0,
     "make an API token (shown once)"},
    {POST, "/admin/settings/tokens/:id/revoke", gz_page_admin_token_revoke,
     AF, ADMIN, 0, "revoke an API token"},
    {GET, "/admin/setup", gz_page_admin_setup_form, A, NONE, 0,
     "first run: create the first admin"},
    {POST, "/admin/setup", gz_page_admin_setup,
     GZ_R_ADMIN | GZ_R_FORM | GZ_R_WRITE, NONE, 0,
     "first run: create the first admin"},
    {GET, "/admin/stories", gz_page_admin_stories, A, AUTHOR, 0,
     "stories, ?status=&q=&page="},
    {POST, "/admin/stories", gz_page_admin_story_create,
     AF | GZ_R_UPLOAD, AUTHOR, 0, "create a story"},
    {GET, "/admin/stories/:id", gz_page_admin_story_edit, A, AUTHOR, 0,
     "edit form of a story"},
    {POST, "/admin/stories/:id", gz_page_admin_story_update,
     AF | GZ_R_UPLOAD, AUTHOR, 0,
     "save, preview, publish, schedule or unpublish a story"},
    {GET, "/admin/stories/:id/delete", gz_page_admin_story_delete_confirm, A,
     AUTHOR, 0, "confirm deleting a story"},
    {POST, "/admin/stories/:id/delete", gz_page_admin_story_delete, AF,
     AUTHOR, 0, "delete a story"},
    {GET, "/admin/stories/:id/history", gz_page_admin_story_history, A,
     AUTHOR, 0, "a story's revisions, ?from=N&to=M compares two"},
    {POST, "/admin/stories/:id/history/:n/restore",
     gz_page_admin_story_revision_restore, AF, AUTHOR, 0,
     "restore a revision (saved as a new one)"},
    {GET, "/admin/stories/new", gz_page_admin_story_new, A, AUTHOR, 0,
     "new story form"},
    {GET, "/admin/subscribers", gz_page_admin_subscribers, A, EDITOR, 0,
     "subscribers, ?status=&q=&page=, and mailing progress"},
    {GET, "/admin/subscribers.csv", gz_page_admin_subscribers_csv, A, EDITOR,
     0, "subscribers as CSV"},
    {POST, "/admin/subscribers/:id/delete", gz_page_admin_subscriber_delete,
     AF, EDITOR, 0, "remove a subscriber"},
    {GET, "/admin/trash", gz_page_admin_trash, A, AUTHOR, 0,
     "deleted stories, kept 30 days"},
    {POST, "/admin/trash/:id/restore", gz_page_admin_trash_restore, AF,
     EDITOR, 0, "restore a deleted story"},
    {GET, "/admin/users", gz_page_admin_users, A, ADMIN, 0, "users"},
    {POST, "/admin/users", gz_page_admin_user_create, AF, ADMIN, 0,
     "add a user"},
    {POST, "/admin/users/:id", gz_page_admin_user_update, AF, ADMIN, 0,
     "change a user's role, disable or enable"},
    {GET, "/api/v1/articles", gz_api_articles_list, R, NONE, 0,
     "stories: ?page=&limit=&tag=&author=&q=&order=&fields=&include="
     "&filter=&status="},
    {POST, "/api/v1/articles", gz_api_article_create, W, AUTHOR, STORY_BODY,
     "create a story (draft, published or scheduled)"},
    {PATCH | DELETE, "/api/v1/articles/:id", gz_api_article_change, W, AUTHOR, STORY_BODY,
     "change or delete a story (by id)"},
    {GET, "/api/v1/articles/:slug", gz_api_article_get, R, NONE, 0,
     "one story with html, tags and authors"},
    {GET, "/api/v1/articles/:slug/comments", gz_api_article_comments, R, NONE,
     0, "a story's approved comments, oldest first"},
    {POST, "/api/v1/articles/:slug/comments", gz_api_comment_post, W, NONE, 0,
     "post a comment (the form's rules)"},
    {GET, "/api/v1/authors", gz_api_authors_list, R, NONE, 0, "authors"},
    {GET, "/api/v1/authors/:slug", gz_api_author_get, R, NONE, 0,
     "one author"},
    {GET, "/api/v1/comments", gz_api_comments_list, RA, EDITOR, 0,
     "moderation list, ?status=pending|approved|spam|all"},
    {PATCH | DELETE, "/api/v1/comments/:id", gz_api_comment_change, W, EDITOR, 0,
     "moderate or delete a comment"},
    {POST, "/api/v1/media", gz_api_media_upload, U, AUTHOR, 0,
     "upload an image (multipart field file)"},
    {GET, "/api/v1/openapi.json", gz_api_openapi, R, NONE, 0,
     "the OpenAPI 3.1 description of /api/v1"},
    {GET, "/api/v1/search", gz_api_search, R, NONE, 0,
     "search with snippets, ?q=&page=&limit="},
    {GET, "/api/v1/subscribers", gz_api_subscribers_list, RA, EDITOR, 0,
     "subscribers, ?status=active|pending|unsubscribed|all"},
    {POST, "/api/v1/subscribers", gz_api_subscriber_create, W, NONE, 0,
     "sign up for new-story mail (the form's rules)"},
    {DELETE, "/api/v1/subscribers/:id", gz_api_subscriber_delete, W, EDITOR,
     0, "remove a subscriber"},
    {GET, "/api/v1/tags", gz_api_tags_list, R, NONE, 0, "tags"},
    {GET, "/api/v1/tags/:slug", gz_api_tag_get, R, NONE, 0, "one tag"},
    {GET, "/articles/:slug", gz_page_site_article, C, NONE, 0,
     "one story with comments"},
    {POST, "/articles/:slug/comments", gz_page_site_comment_post, F, NONE, 0,
     "post a comment (form, or JSON with Accept: application/json)"},
    {GET, "/authors/:slug", gz_page_site_author, C, NONE, 0,
     "an author's stories, ?page=N"},
    {GET, "/authors/:slug/feed.xml", gz_page_site_author_feed, C, NONE, 0,
     "RSS 2.0 feed of an author's stories"},
    {GET, "/favicon.ico", gz_page_site_favicon, 0, NONE, 0, "the site icon"},
    {GET, "/feed.xml", gz_page_site_feed, C, NONE, 0,
     "RSS 2.0 feed of the newest 20 stories"},
    {GET, "/healthz", gz_page_site_healthz, 0, NONE, 0,
     "200 ok when the database answers"},
    {GET, "/media/*", gz_page_site_media, GZ_R_PREFIX, NONE, 0,
     "uploaded images"},
    {GET, "/metrics", gz_page_site_metrics, 0, NONE, 0, "Prometheus metrics"},
    {GET, "/robots.txt", gz_page_site_robots, C, NONE, 0,
     "robots rules pointing at the sitemap"},
    {GET, "/search", gz_page_site_search, C, NONE, 0,
     "full-text search, ?q=&page="},
    {GET, "/sitemap.xml", gz_page_site_sitemap, C, NONE, 0,
     "sitemap of stories, tags and authors"},
    {GET, "/static/*", gz_page_site_static, GZ_R_PREFIX | C, NONE, 0,
     "CSS, JS and images shipped in static/"},
    {POST, "/subscribe", gz_page_site_subscribe, F, NONE, 0,
     "sign up for new-story mail (form, or JSON)"},
    {GET, "/subscribe/confirm", gz_page_site_confirm_form, 0, NONE, 0,
     "double opt-in: a page with a confirm button, ?token="},
    {POST, "/subscribe/confirm", gz_page_site_confirm, F, NONE, 0,
     "double opt-in: confirm"},
    {GET, "/tags/:slug", gz_page_site_tag, C, NONE, 0,
     "a tag's stories, ?page=N"},
    {GET, "/tags/:slug/feed.xml", gz_page_site_tag_feed, C, NONE, 0,
     "RSS 2.0 feed of a tag"},
    {GET, "/unsubscribe", gz_page_site_unsubscribe_form, 0, NONE, 0,
     "unsubscribe page, ?token="},
    {POST, "/unsubscribe", gz_page_site_unsubscribe, F, NONE, 0,
     "unsubscribe, also RFC 8058 one-click"},
    {0, NULL, NULL, 0, NONE, 0, NULL},
};

/* Matches one pattern; fills params. 1 on a match. */
static int match_one(const char *pattern, char *path, const char *params[4])
{
    int np = 0;
    const char *p = pattern;
    char *s = path;
    while (*p) {
        if (*p == '*')
            return 1; /* prefix route: the rest is the handler's */
        if (*p == ':') {
            /* A capture runs to the next '/' in both. */
            char *end = strchr(s, '/');
            size_t n = end ? (size_t)(end - s) : strlen(s);
            if (n == 0 || np >= 4)
                return 0;
            params[np++] = s;
            while (*p && *p != '/')
                p++;
            s += n;
            if (*p == '/' && *s == '/') {
                *s = '\0'; /* terminate the capture in the scratch copy */
                s++;
                p++;
            } else if (*p || *s) {
                return 0;
            }
            continue;
        }
        if (*p != *s)
            return 0;
        p++;
        s++;
    }
    return *s == '\0';
}

const struct gz_route *gz_route_match(const char *path, unsigned method,
                                      unsigned *allowed, char *scratch,
                                      size_t scratch_len,
                                      const char *params[4])
{
    const struct gz_route *best = NULL;
    int best_caps = 99;
    *allowed = 0;
    size_t n = strlen(path);
    if (n >= scratch_len)
        return NULL;
    /* The most specific match wins: "/admin/stories/new" (no capture)
     * over "/admin/stories/:id". Captures point into scratch, so a
     * better match is re-run last into it. */
    for (const struct gz_route *r = gz_routes; r->pattern; r++) {
        const char *caps[4] = {0};
        memcpy(scratch, path, n + 1);
        if (!match_one(r->pattern, scratch, caps))
            continue;
        *allowed |= r->methods;
        int ncaps = 0;
        for (const char *p = r->pattern; *p; p++)
            ncaps += *p == ':' || *p == '*';
        if ((r->methods & method) && ncaps < best_caps) {
            best = r;
            best_caps = ncaps;
        }
    }
    if (best) {
        memcpy(scratch, path, n + 1);
        params[0] = params[1] = params[2] = params[3] = NULL;
        match_one(best->pattern, scratch, params);
    }
    return best;
}

void gz_methods_str(unsigned methods, char *out, size_t outlen)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{GZ_GET, "GET"},     {GZ_HEAD, "HEAD"},
                 {GZ_POST, "POST"},   {GZ_PUT, "PUT"},
                 {GZ_PATCH, "PATCH"}, {GZ_DELETE, "DELETE"},
                 {GZ_OPTIONS, "OPTIONS"}};
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (methods & names[i].bit)
            o += (size_t)snprintf(out + o, outlen > o ? outlen - o : 0,
                                  "%s%s", o ? ", " : "", names[i].name);
}
