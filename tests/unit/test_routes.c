/*
 * test_routes.c - unit tests for the route table and matcher of
 * src/http/routes.c.
 *
 * The table itself (sorted by pattern, unique, well-formed entries, HEAD
 * wherever GET, unsafe methods only on writing routes) and the matcher:
 * every route matches a path made from its own pattern, captures land in
 * the caller's scratch buffer, wrong methods give the 405 'allowed' set,
 * and unknown paths, trailing slashes, empty captures and near misses do
 * not match. Then gz_methods_str. Pure: single-threaded, no setup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "gazette/http.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define GET_HEAD (GZ_GET | GZ_HEAD)
#define ALL_METHODS                                                        \
    (GZ_GET | GZ_HEAD | GZ_POST | GZ_PUT | GZ_PATCH | GZ_DELETE | GZ_OPTIONS)

static size_t route_count(void)
{
    size_t n = 0;
    while (gz_routes[n].pattern)
        n++;
    return n;
}

static const struct gz_route *route_by_pattern(const char *pattern)
{
    for (const struct gz_route *r = gz_routes; r->pattern; r++)
        if (strcmp(r->pattern, pattern) == 0)
            return r;
    fail_msg("no route %s", pattern);
    return NULL;
}

/* A concrete path for a pattern: ":name" becomes "x<i>", '*' "a/b.css". */
static void sample_path(const char *pattern, char *out, size_t outlen)
{
    size_t o = 0;
    int cap = 0;
    for (const char *p = pattern; *p;) {
        if (*p == ':') {
            o += (size_t)snprintf(out + o, outlen - o, "x%d", cap++);
            while (*p && *p != '/')
                p++;
        } else if (*p == '*') {
            o += (size_t)snprintf(out + o, outlen - o, "a/b.css");
            p++;
        } else {
            out[o++] = *p++;
        }
        assert_true(o < outlen);
    }
    out[o] = '\0';
}

/* ---- the table ------------------------------------------------------- */

static void test_table_sorted_unique(void **state)
{
    (void)state;
    size_t n = route_count();
    assert_true(n >= 10);
    for (size_t i = 1; i < n; i++) {
        int c = strcmp(gz_routes[i - 1].pattern, gz_routes[i].pattern);
        if (c > 0)
            fail_msg("%s is listed after %s", gz_routes[i].pattern,
                     gz_routes[i - 1].pattern);
    }
    /* A pattern appears once per method: a second entry for the same
     * pattern (GET page, POST form) must not share a method with the
     * first, or one of them could never be reached. */
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(gz_routes[i].pattern, gz_routes[j].pattern) == 0 &&
                (gz_routes[i].methods & gz_routes[j].methods))
                fail_msg("pattern %s is listed twice for the same method",
                         gz_routes[i].pattern);
    /* The terminator is all zero. */
    const struct gz_route *end = &gz_routes[n];
    assert_int_equal(end->methods, 0);
    assert_null(end->handler);
    assert_null(end->about);
}

static void test_table_entries_well_formed(void **state)
{
    (void)state;
    for (const struct gz_route *r = gz_routes; r->pattern; r++) {
        const char *p = r->pattern;
        size_t len = strlen(p);
        if (p[0] != '/')
            fail_msg("%s does not start with /", p);
        assert_non_null(r->handler);
        if (!r->about || !r->about[0])
            fail_msg("%s has no description", p);
        if (r->methods == 0 || (r->methods & ~(unsigned)ALL_METHODS))
            fail_msg("%s has bad methods %#x", p, r->methods);
        assert_true(r->body_limit >= 0);
        /* A '*' only as the last character, and then with GZ_R_PREFIX. */
        const char *star = strchr(p, '*');
        if (star && (star != p + len - 1 || !(r->flags & GZ_R_PREFIX)))
            fail_msg("%s: '*' must end a GZ_R_PREFIX pattern", p);
        if ((r->flags & GZ_R_PREFIX) && !star)
            fail_msg("%s: GZ_R_PREFIX without a '*'", p);
        /* No empty segments, no trailing slash (except "/" and prefixes),
         * captures that fill a whole segment, at most 4 of them. */
        if (strstr(p, "//"))
            fail_msg("%s has an empty segment", p);
        if (len > 1 && p[len - 1] == '/')
            fail_msg("%s ends with a slash", p);
        int caps = 0;
        for (const char *c = strchr(p, ':'); c; c = strchr(c + 1, ':')) {
            caps++;
            if (c[-1] != '/' || c[1] == '\0' || c[1] == '/')
                fail_msg("%s: a capture must be a whole named segment", p);
        }
        assert_true(caps <= 4);
        /* GET-only routes do not write or take bodies. */
        if (!(r->methods & ~(unsigned)GET_HEAD) &&
            (r->flags & (GZ_R_WRITE | GZ_R_FORM | GZ_R_JSON)))
            fail_msg("%s: a GET route with write/body flags", p);
        /* Only anonymous GET/HEAD answers can be cached. */
        if ((r->flags & GZ_R_CACHEABLE) && !(r->methods & GZ_GET))
            fail_msg("%s: cacheable but not GET", p);
        if ((r->flags & GZ_R_CACHEABLE) &&
            ((r->flags & GZ_R_ADMIN) || r->role != GZ_ROLE_NONE))
            fail_msg("%s: cacheable but needs a session", p);
        /* The newsroom lives under /admin and nowhere else. */
        int admin_path = strcmp(p, "/admin") == 0 ||
                         strncmp(p, "/admin/", 7) == 0;
        if (admin_path != !!(r->flags & GZ_R_ADMIN))
            fail_msg("%s: GZ_R_ADMIN must match the /admin prefix", p);
        /* Roles belong to the newsroom and the API, nowhere else; the
         * API lives under /api/v1 and only there. */
        int api_path = strncmp(p, "/api/v1/", 8) == 0;
        if (api_path != !!(r->flags & GZ_R_API))
            fail_msg("%s: GZ_R_API must match the /api/v1 prefix", p);
        if (r->role != GZ_ROLE_NONE && !admin_path && !api_path)
            fail_msg("%s: a role outside /admin and /api/v1", p);
        if (r->role < GZ_ROLE_NONE || r->role > GZ_ROLE_ADMIN)
            fail_msg("%s: bad role %d", p, (int)r->role);
        /* Uploads are forms. */
        if ((r->flags & GZ_R_UPLOAD) && !(r->flags & GZ_R_FORM))
            fail_msg("%s: GZ_R_UPLOAD without GZ_R_FORM", p);
    }
}

static void test_table_get_allows_head(void **state)
{
    (void)state;
    for (const struct gz_route *r = gz_routes; r->pattern; r++)
        if ((r->methods & GZ_GET) && !(r->methods & GZ_HEAD))
            fail_msg("%s allows GET but not HEAD", r->pattern);
}

static void test_table_unsafe_methods(void **state)
{
    (void)state;
    /* POST, PUT, PATCH and DELETE go through the writable connection and
     * the router's same-origin check, declare how their body is read, and
     * are never cached. Those that act for a signed-in user also need the
     * session's CSRF token (GZ_R_CSRF); only the public forms and the
     * sign-in / first-run forms (no session yet) go without. */
    const unsigned unsafe = GZ_POST | GZ_PUT | GZ_PATCH | GZ_DELETE;
    int n_unsafe = 0;
    for (const struct gz_route *r = gz_routes; r->pattern; r++) {
        if (!(r->methods & unsafe))
            continue;
        n_unsafe++;
        if (!(r->flags & GZ_R_WRITE))
            fail_msg("%s takes unsafe methods without GZ_R_WRITE",
                     r->pattern);
        if (!(r->flags & (GZ_R_FORM | GZ_R_JSON)))
            fail_msg("%s takes a body but names no body kind", r->pattern);
        if (r->flags & GZ_R_CACHEABLE)
            fail_msg("%s takes unsafe methods but is cacheable", r->pattern);
        /* API routes check X-CSRF-Token for sessions in the guard (a
         * bearer token needs none). */
        if (r->role != GZ_ROLE_NONE &&
            !(r->flags & (GZ_R_CSRF | GZ_R_API)))
            fail_msg("%s writes for a signed-in user without GZ_R_CSRF",
                     r->pattern);
        /* An unsafe method is never mixed with GET on one entry. */
        if (r->methods & GET_HEAD)
            fail_msg("%s mixes GET and unsafe methods", r->pattern);
    }
    /* Some CSRF-checked routes exist, so the check above is not vacuous. */
    int n_csrf = 0;
    for (const struct gz_route *r = gz_routes; r->pattern; r++)
        n_csrf += !!(r->flags & GZ_R_CSRF);
    if (n_unsafe > 0)
        assert_true(n_csrf > 0);
}

static void test_table_has_site_routes(void **state)
{
    (void)state;
    /* The URL space SPEC section 2 promises readers. */
    static const char *const must[] = {
        "/", "/articles/:slug", "/authors/:slug", "/feed.xml", "/healthz",
        "/robots.txt", "/search", "/sitemap.xml", "/tags/:slug",
        "/tags/:slug/feed.xml",
    };
    for (size_t i = 0; i < N(must); i++) {
        const struct gz_route *r = route_by_pattern(must[i]);
        assert_true(r->methods & GZ_GET);
    }
}

/* ---- matching -------------------------------------------------------- */

static void test_each_route_matches_itself(void **state)
{
    (void)state;
    for (const struct gz_route *r = gz_routes; r->pattern; r++) {
        char path[256], scratch[256];
        sample_path(r->pattern, path, sizeof path);
        unsigned methods[] = {GZ_GET, GZ_HEAD, GZ_POST, GZ_PUT, GZ_PATCH,
                              GZ_DELETE, GZ_OPTIONS};
        for (size_t m = 0; m < N(methods); m++) {
            if (!(r->methods & methods[m]))
                continue;
            const char *params[4] = {"junk", "junk", "junk", "junk"};
            unsigned allowed = 0;
            const struct gz_route *got = gz_route_match(
                path, methods[m], &allowed, scratch, sizeof scratch, params);
            if (got != r)
                fail_msg("%s (from %s) matched %s", path, r->pattern,
                         got ? got->pattern : "nothing");
            assert_true(allowed & methods[m]);
            /* Captures come out in order as x0, x1, ...; the rest NULL. */
            int caps = 0;
            for (const char *c = strchr(r->pattern, ':'); c;
                 c = strchr(c + 1, ':'))
                caps++;
            for (int i = 0; i < 4; i++) {
                if (i < caps) {
                    char want[8];
                    snprintf(want, sizeof want, "x%d", i);
                    assert_non_null(params[i]);
                    assert_string_equal(params[i], want);
                    /* ...pointing into the caller's scratch copy. */
                    assert_true(params[i] >= scratch &&
                                params[i] < scratch + sizeof scratch);
                } else {
                    assert_null(params[i]);
                }
            }
        }
    }
}

struct match_case {
    const char *path;
    unsigned method;
    const char *pattern; /* expected route, or NULL */
    const char *param0;  /* first capture, or NULL */
    unsigned allowed;    /* expected *allowed when no route is returned */
};

static const struct match_case match_cases[] = {
    {"/", GZ_GET, "/", NULL, 0},
    {"/", GZ_HEAD, "/", NULL, 0},
    {"/articles/hello-world", GZ_GET, "/articles/:slug", "hello-world", 0},
    {"/articles/a", GZ_HEAD, "/articles/:slug", "a", 0},
    {"/authors/bea-ploom", GZ_GET, "/authors/:slug", "bea-ploom", 0},
    {"/tags/politics", GZ_GET, "/tags/:slug", "politics", 0},
    {"/tags/politics/feed.xml", GZ_GET, "/tags/:slug/feed.xml", "politics",
     0},
    {"/tags/feed.xml", GZ_GET, "/tags/:slug", "feed.xml", 0},
    {"/tags/feed.xml/feed.xml", GZ_GET, "/tags/:slug/feed.xml", "feed.xml",
     0},
    {"/feed.xml", GZ_GET, "/feed.xml", NULL, 0},
    {"/static/css/site.css", GZ_GET, "/static/*", NULL, 0},
    {"/static/", GZ_GET, "/static/*", NULL, 0},
    {"/static/a/b/c/d.js", GZ_HEAD, "/static/*", NULL, 0},
    /* Captures are raw segments: decoding and checks are the handler's. */
    {"/articles/a%2Fb", GZ_GET, "/articles/:slug", "a%2Fb", 0},
    {"/articles/..", GZ_GET, "/articles/:slug", "..", 0},
    /* Wrong method: no route, but the methods the path allows (405). */
    {"/", GZ_POST, NULL, NULL, GET_HEAD},
    {"/articles/x", GZ_DELETE, NULL, NULL, GET_HEAD},
    {"/tags/x/feed.xml", GZ_PUT, NULL, NULL, GET_HEAD},
    {"/search", GZ_OPTIONS, NULL, NULL, GET_HEAD},
    {"/static/x.css", GZ_POST, NULL, NULL, GET_HEAD},
    /* No path match at all (404). */
    {"", GZ_GET, NULL, NULL, 0},
    {"nope", GZ_GET, NULL, NULL, 0},
    {"/nope", GZ_GET, NULL, NULL, 0},
    {"/articles", GZ_GET, NULL, NULL, 0},
    {"/articles/", GZ_GET, NULL, NULL, 0},            /* empty capture */
    {"/articles//", GZ_GET, NULL, NULL, 0},
    {"/articles/a/", GZ_GET, NULL, NULL, 0},          /* trailing slash */
    {"/articles/a/b", GZ_GET, NULL, NULL, 0},
    {"/tags/x/", GZ_GET, NULL, NULL, 0},
    {"/tags//feed.xml", GZ_GET, NULL, NULL, 0},       /* empty capture */
    {"/tags/x/feed.xml/", GZ_GET, NULL, NULL, 0},
    {"/tags/x/feed.xmlx", GZ_GET, NULL, NULL, 0},
    {"/tags/x/feed", GZ_GET, NULL, NULL, 0},
    {"/tags/x/y/feed.xml", GZ_GET, NULL, NULL, 0},
    {"/feed.xml/", GZ_GET, NULL, NULL, 0},
    {"/feed.xmlx", GZ_GET, NULL, NULL, 0},
    {"/healthz/", GZ_GET, NULL, NULL, 0},
    {"/HEALTHZ", GZ_GET, NULL, NULL, 0},
    {"//", GZ_GET, NULL, NULL, 0},
    {"//articles/x", GZ_GET, NULL, NULL, 0},
    {"/static", GZ_GET, NULL, NULL, 0},
    {"/staticx/a.css", GZ_GET, NULL, NULL, 0},
    {"/search?q=x", GZ_GET, NULL, NULL, 0}, /* the query is not the path */
    /* A literal segment beats a capture, whatever the table order. */
    {"/admin/stories/new", GZ_GET, "/admin/stories/new", NULL, 0},
    {"/admin/stories/12", GZ_GET, "/admin/stories/:id", "12", 0},
    {"/admin/stories/12", GZ_POST, "/admin/stories/:id", "12", 0},
    {"/admin/stories/12/delete", GZ_POST, "/admin/stories/:id/delete", "12",
     0},
    {"/admin/comments", GZ_POST, "/admin/comments", NULL, 0},
    {"/admin/comments", GZ_GET, "/admin/comments", NULL, 0},
    /* 405: the union of every matching entry's methods. */
    {"/admin/comments", GZ_DELETE, NULL, NULL, GET_HEAD | GZ_POST},
    {"/admin/stories/new", GZ_DELETE, NULL, NULL, GET_HEAD | GZ_POST},
    {"/admin/stories/12/delete", GZ_PUT, NULL, NULL, GET_HEAD | GZ_POST},
    {"/admin/stories/", GZ_GET, NULL, NULL, 0},
    {"/admin/", GZ_GET, NULL, NULL, 0},
};

static void test_match_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(match_cases); i++) {
        const struct match_case *c = &match_cases[i];
        char scratch[256];
        const char *params[4] = {NULL, NULL, NULL, NULL};
        unsigned allowed = 12345;
        const struct gz_route *r = gz_route_match(
            c->path, c->method, &allowed, scratch, sizeof scratch, params);
        if (c->pattern) {
            if (!r || strcmp(r->pattern, c->pattern) != 0)
                fail_msg("%s: matched %s, want %s", c->path,
                         r ? r->pattern : "nothing", c->pattern);
            /* The entry returned is the one for this method. */
            assert_true(r->methods & c->method);
            assert_true(allowed & c->method);
            if (c->param0)
                assert_string_equal(params[0], c->param0);
            else
                assert_null(params[0]);
        } else {
            if (r)
                fail_msg("%s: matched %s, want nothing", c->path, r->pattern);
            if (allowed != c->allowed)
                fail_msg("%s: allowed %#x, want %#x", c->path, allowed,
                         c->allowed);
        }
    }
}

static void test_match_leaves_path_alone(void **state)
{
    (void)state;
    const char path[] = "/tags/science/feed.xml";
    char copy[sizeof path];
    memcpy(copy, path, sizeof path);
    char scratch[64];
    const char *params[4] = {0};
    unsigned allowed;
    const struct gz_route *r = gz_route_match(copy, GZ_GET, &allowed, scratch,
                                              sizeof scratch, params);
    assert_non_null(r);
    assert_string_equal(copy, path);
    assert_string_equal(params[0], "science");
}

static void test_match_scratch_too_small(void **state)
{
    (void)state;
    const char *params[4] = {0};
    unsigned allowed = 7;
    char scratch[8];
    /* "/healthz" needs 9 bytes with its NUL. */
    assert_null(gz_route_match("/healthz", GZ_GET, &allowed, scratch,
                               sizeof scratch, params));
    assert_int_equal(allowed, 0);
    char scratch9[9];
    assert_non_null(gz_route_match("/healthz", GZ_GET, &allowed, scratch9,
                                   sizeof scratch9, params));
    /* A very long path is refused, not overrun. */
    char longp[4096];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = '\0';
    char s2[256];
    assert_null(gz_route_match(longp, GZ_GET, &allowed, s2, sizeof s2,
                               params));
}

/* ---- gz_methods_str -------------------------------------------------- */

static void test_methods_str(void **state)
{
    (void)state;
    static const struct {
        unsigned m;
        const char *want;
    } cases[] = {
        {0, ""},
        {GZ_GET, "GET"},
        {GET_HEAD, "GET, HEAD"},
        {GZ_POST, "POST"},
        {GZ_GET | GZ_HEAD | GZ_POST, "GET, HEAD, POST"},
        {GZ_DELETE | GZ_GET, "GET, DELETE"},
        {ALL_METHODS, "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"},
        {1u << 20, ""}, /* unknown bits are ignored */
    };
    for (size_t i = 0; i < N(cases); i++) {
        char out[96];
        memset(out, 'Z', sizeof out);
        gz_methods_str(cases[i].m, out, sizeof out);
        assert_string_equal(out, cases[i].want);
    }
    /* Every route's methods fit the resp->allow buffer. */
    struct gz_resp resp;
    for (const struct gz_route *r = gz_routes; r->pattern; r++) {
        gz_methods_str(r->methods, resp.allow, sizeof resp.allow);
        assert_true(strlen(resp.allow) > 0);
    }
    /* A small buffer truncates and stays terminated. */
    char small[8];
    memset(small, 'Z', sizeof small);
    gz_methods_str(ALL_METHODS, small, sizeof small);
    assert_string_equal(small, "GET, HE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_sorted_unique),
        cmocka_unit_test(test_table_entries_well_formed),
        cmocka_unit_test(test_table_get_allows_head),
        cmocka_unit_test(test_table_unsafe_methods),
        cmocka_unit_test(test_table_has_site_routes),
        cmocka_unit_test(test_each_route_matches_itself),
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_match_leaves_path_alone),
        cmocka_unit_test(test_match_scratch_too_small),
        cmocka_unit_test(test_methods_str),
    };
    return cmocka_run_group_tests_name("routes", tests, NULL, NULL);
}
