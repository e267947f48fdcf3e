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

#include "gazette/http.h"
#include "gazette/site.h"

#define GET GZ_GET | GZ_HEAD

const struct gz_route gz_routes[] = {
    {GET, "/", gz_page_site_home, GZ_R_CACHEABLE, 0,
     "home: newest stories, ?page=N"},
    {GET, "/articles/:slug", gz_page_site_article, GZ_R_CACHEABLE, 0,
     "one story with comments"},
    {GET, "/authors/:slug", gz_page_site_author, GZ_R_CACHEABLE, 0,
     "an author's stories, ?page=N"},
    {GET, "/favicon.ico", gz_page_site_favicon, 0, 0, "the site icon"},
    {GET, "/feed.xml", gz_page_site_feed, GZ_R_CACHEABLE, 0,
     "RSS 2.0 feed of the newest 20 stories"},
    {GET, "/healthz", gz_page_site_healthz, 0, 0,
     "200 ok when the database answers"},
    {GET, "/metrics", gz_page_site_metrics, 0, 0, "Prometheus metrics"},
    {GET, "/robots.txt", gz_page_site_robots, GZ_R_CACHEABLE, 0,
     "robots rules pointing at the sitemap"},
    {GET, "/search", gz_page_site_search, GZ_R_CACHEABLE, 0,
     "full-text search, ?q=&page="},
    {GET, "/sitemap.xml", gz_page_site_sitemap, GZ_R_CACHEABLE, 0,
     "sitemap of stories, tags and authors"},
    {GET, "/static/*", gz_page_site_static, GZ_R_PREFIX | GZ_R_CACHEABLE, 0,
     "CSS, JS and images shipped in static/"},
    {GET, "/tags/:slug", gz_page_site_tag, GZ_R_CACHEABLE, 0,
     "a tag's stories, ?page=N"},
    {GET, "/tags/:slug/feed.xml", gz_page_site_tag_feed, GZ_R_CACHEABLE, 0,
     "RSS 2.0 feed of a tag"},
    {0, NULL, NULL, 0, 0, NULL},
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
    const struct gz_route *found = NULL;
    *allowed = 0;
    size_t n = strlen(path);
    if (n >= scratch_len)
        return NULL;
    for (const struct gz_route *r = gz_routes; r->pattern; r++) {
        const char *caps[4] = {0};
        memcpy(scratch, path, n + 1);
        if (!match_one(r->pattern, scratch, caps))
            continue;
        *allowed |= r->methods;
        if ((r->methods & method) && !found) {
            found = r;
            /* Keep this match's captures: redo it in the scratch buffer
             * the caller keeps, and stop (later routes only add to
             * *allowed, which no longer matters once found). */
            memcpy(params, caps, sizeof caps);
            return found;
        }
    }
    return NULL;
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
