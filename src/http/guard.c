/*
 * guard.c - who is asking, decided as soon as a request's headers are in
 * and before any of its body is read (SECURITY: nobody can make Gazette
 * store an upload or a large form without the right to send it), then the
 * few rules that need the body. In order:
 *
 *   1. credentials: for /api/ routes (GZ_R_API) an `Authorization: Bearer`
 *      API token (a bad one is always 401), else the gz_session cookie;
 *      other routes read the session of admin and role-bearing routes;
 *   2. sign-in (HTML: 303 to the login page; JSON: 401) and the route's
 *      least role (403);
 *   3. the origin of unsafe requests (Sec-Fetch-Site, Origin against
 *      Host), except for bearer tokens, which are not ambient credentials;
 *   4. API calls with a session cookie need X-CSRF-Token on unsafe methods;
 *   5. the Content-Type of GZ_R_JSON bodies (and of API uploads): 415;
 *   6. once the body is in: the CSRF token of HTML forms (GZ_R_CSRF), then
 *      the upload's own checks (upload.c).
 *
 * It also decides the CORS headers of /api/ answers: GET/HEAD get
 * `Access-Control-Allow-Origin: *`, OPTIONS on /api/v1 paths is a
 * preflight, and origins listed in api.cors_origins may also write.
 *
 * Threads: reads the request and the app (read-only); database work goes
 * through the calling worker's own connections.
 */
#include <string.h>
#include <strings.h>

#include "gazette/html.h"
#include "gazette/store.h"
#include "internal.h"

/* Longest Authorization value looked at ("gzt_" and 64 hex digits fit
 * many times over). */
#define MAX_TOKEN 200

static int unsafe_method(const struct gz_req *req)
{
    return !(req->method & (GZ_GET | GZ_HEAD | GZ_OPTIONS));
}

/* SECURITY: a browser says where an unsafe request came from; anything
 * but this site is refused (the first CSRF level, before the token). */
static int cross_origin(struct gz_req *req)
{
    const char *site = gz_req_header(req, "Sec-Fetch-Site");
    if (site && strcmp(site, "cross-site") == 0)
        return 1;
    const char *origin = gz_req_header(req, "Origin");
    const char *host = gz_req_header(req, "Host");
    if (!origin || strcmp(origin, "null") == 0)
        return origin != NULL;
    const char *o = strstr(origin, "://");
    return !host || !o || strcmp(o + 3, host) != 0;
}

static void set_user(struct gz_req *req, const struct gz_session_user *su,
                     enum gz_http_auth how)
{
    req->user.id = su->id;
    snprintf(req->user.email, sizeof req->user.email, "%s", su->email);
    snprintf(req->user.name, sizeof req->user.name, "%s", su->name);
    snprintf(req->user.slug, sizeof req->user.slug, "%s", su->slug);
    snprintf(req->user.csrf, sizeof req->user.csrf, "%s", su->csrf);
    req->user.role = strcmp(su->role, "admin") == 0    ? GZ_ROLE_ADMIN
                     : strcmp(su->role, "editor") == 0 ? GZ_ROLE_EDITOR
                                                       : GZ_ROLE_AUTHOR;
    req->have_user = 1;
    req->auth = how;
}

/* The session of the cookie, if any, into req->user. */
static void load_session(struct gz_req *req)
{
    const char *token = gz_req_cookie(req, "gz_session");
    if (!token || strlen(token) != 64)
        return;
    struct gz_db *db = gz_req_db(req);
    struct gz_session_user su;
    if (!db || gz_store_session_get(db, token, &su) != 0)
        return;
    set_user(req, &su, GZ_AUTH_SESSION);
}

/* The API token of an Authorization header into req->user. 0, 401 (not a
 * Bearer token we know: req->www_auth says why) or 503. */
static int load_bearer(struct gz_req *req, const char *authz)
{
    if (strncasecmp(authz, "Bearer ", 7) != 0) {
        /* Another scheme (Basic...): the challenge names ours. */
        req->www_auth = "Bearer";
        return 401;
    }
    const char *token = authz + 7;
    token += strspn(token, " ");
    size_t n = strlen(token);
    while (n && token[n - 1] == ' ')
        n--;
    req->www_auth = "Bearer error=\"invalid_token\"";
    if (n == 0 || n > MAX_TOKEN)
        return 401;
    char tok[MAX_TOKEN + 1];
    snprintf(tok, sizeof tok, "%.*s", (int)n, token);
    struct gz_db *db = gz_req_db(req);
    if (!db)
        return 503;
    struct gz_session_user su;
    long long token_id = 0;
    int rc = gz_store_api_token_user(db, tok, &su, &token_id);
    sodium_memzero(tok, sizeof tok);
    if (rc == GZ_ENOTFOUND)
        return 401;
    if (rc != 0)
        return 503;
    req->www_auth = NULL;
    set_user(req, &su, GZ_AUTH_BEARER);
    /* GET and HEAD hold the read-only connection; the last use is
     * written through the thread's read-write one. */
    struct gz_db *rw = gz_http_thread_db(req->app, 1);
    if (rw)
        gz_store_api_token_touch(rw, token_id);
    return 0;
}

/* "application/json", any case, alone or with parameters. */
static int is_json_type(const char *ct)
{
    static const char want[] = "application/json";
    ct += strspn(ct, " \t");
    size_t n = sizeof want - 1;
    return strncasecmp(ct, want, n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}

static int is_multipart(const char *ct)
{
    static const char want[] = "multipart/form-data";
    ct += strspn(ct, " \t");
    return strncasecmp(ct, want, sizeof want - 1) == 0;
}

/* Does the request announce a body (HTTP/1.1: a non-zero Content-Length
 * or any Transfer-Encoding)? */
static int has_body(struct gz_req *req)
{
    if (gz_req_header(req, "Transfer-Encoding"))
        return 1;
    const char *cl = gz_req_header(req, "Content-Length");
    long long n = 0;
    return cl && gz_parse_int(cl, 0, 1LL << 62, &n) == 0 && n > 0;
}

/* The API's rules on credentials and what is sent (steps 1, 4, 5; the
 * role and origin of step 2 and 3 are shared). 0 or fills resp. */
static int guard_api_credentials(struct gz_req *req, struct gz_resp *resp)
{
    const char *authz = gz_req_header(req, "Authorization");
    if (authz) {
        int st = load_bearer(req, authz);
        if (st == 401) {
            gz_http_error(req, resp, 401,
                          "The API token is not valid: unknown, revoked, "
                          "or its user is disabled.");
            return 401;
        }
        if (st) {
            gz_http_error(req, resp, st, NULL);
            return st;
        }
    } else {
        load_session(req);
    }
    return 0;
}

static int guard_api_body_rules(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_route *r = req->route;
    if (unsafe_method(req) && req->auth == GZ_AUTH_SESSION) {
        /* SECURITY: a session cookie rides along with any request the
         * browser makes, so a session call must prove it came from a page
         * of ours, which alone can read the token. */
        const char *token = gz_req_header(req, "X-CSRF-Token");
        if (!token || strlen(token) != 64 ||
            sodium_memcmp(token, req->user.csrf, 64) != 0) {
            gz_http_error(req, resp, 403,
                          "X-CSRF-Token is missing or does not match the "
                          "session's CSRF token.");
            return 403;
        }
    }
    const char *ct = gz_req_header(req, "Content-Type");
    if ((r->flags & GZ_R_JSON) && has_body(req) && (!ct || !is_json_type(ct))) {
        gz_http_error(req, resp, 415,
                      "Send the body as JSON, with Content-Type: "
                      "application/json.");
        return 415;
    }
    if ((r->flags & GZ_R_UPLOAD) && (!ct || !is_multipart(ct))) {
        gz_http_error(req, resp, 415, "Send the file as multipart/form-data.");
        return 415;
    }
    return 0;
}

int gz_http_guard_identity(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_route *r = req->route;
    int api = (r->flags & GZ_R_API) != 0;
    int unsafe = unsafe_method(req);
    if (api) {
        int st = guard_api_credentials(req, resp);
        if (st)
            return st;
    } else if ((r->flags & GZ_R_ADMIN) || r->role > GZ_ROLE_NONE) {
        load_session(req);
    }
    if (r->role > GZ_ROLE_NONE && !req->have_user) {
        if (api) {
            req->www_auth = "Bearer";
            gz_http_error(req, resp, 401,
                          "This needs credentials: an API token "
                          "(Authorization: Bearer) or a newsroom session.");
            return 401;
        }
        if (gz_req_wants_json(req)) {
            gz_http_error(req, resp, 401, "Sign in first.");
            return 401;
        }
        struct gz_buf loc;
        gz_buf_init(&loc);
        gz_buf_puts(&loc, "/admin/login?next=");
        gz_url_encode(&loc, req->path, strlen(req->path));
        gz_resp_redirect(resp, 303, gz_buf_cstr(&loc));
        gz_buf_free(&loc);
        return 303;
    }
    if (r->role > GZ_ROLE_NONE && req->user.role < r->role) {
        gz_http_error(req, resp, 403,
                      r->role == GZ_ROLE_ADMIN
                          ? "Only an admin can do that."
                          : "Only an editor or admin can do that.");
        return 403;
    }
    /* SECURITY: a bearer token is sent only by a program that holds it,
     * never added by a browser on its own, so where the request came
     * from does not matter; cookies and anonymous writes keep the check. */
    if (unsafe && req->auth != GZ_AUTH_BEARER && cross_origin(req)) {
        gz_http_error(req, resp, 403,
                      "This form was sent from another site, so it was "
                      "refused.");
        return 403;
    }
    if (api)
        return guard_api_body_rules(req, resp);
    return 0;
}

int gz_http_guard_body(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_route *r = req->route;
    int unsafe = unsafe_method(req);
    gz_http_flush_field(req);
    /* API routes checked their header token (or bearer) already. */
    if (unsafe && (r->flags & GZ_R_CSRF) && !(r->flags & GZ_R_API)) {
        const char *token =
            json_string_value(json_object_get(req->form, "csrf"));
        if (!token)
            token = gz_req_header(req, "X-CSRF-Token");
        if (!req->have_user || !token || strlen(token) != 64 ||
            sodium_memcmp(token, req->user.csrf, 64) != 0) {
            gz_http_error(req, resp, 403,
                          "The form has expired or did not come from this "
                          "site. Reload the page and try again.");
            return 403;
        }
    }
    int st = gz_http_upload_finish(req);
    if (st) {
        /* the limit in the words of the form (gz_size_human) */
        char limit[32], too_large[96];
        gz_size_human(req->app->cfg.max_upload_bytes, limit);
        snprintf(too_large, sizeof too_large,
                 "The file is larger than the upload limit of %s.", limit);
        gz_http_error(req, resp, st,
                      st == 415   ? "Only JPEG, PNG, WebP and GIF images "
                                    "are accepted."
                      : st == 413 ? too_large
                                  : NULL);
        return st;
    }
    return 0;
}

/* ---- CORS ---------------------------------------------------------------- */

/* Is origin one of api.cors_origins (compared without case, as hosts
 * and schemes are)? */
static int origin_listed(const struct gz_app *app, const char *origin)
{
    size_t olen = strlen(origin);
    const char *p = app->cfg.api_cors_origins;
    while (*p) {
        p += strspn(p, " ,");
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m && p[m - 1] == ' ')
            m--;
        if (m && m == olen && strncasecmp(p, origin, m) == 0)
            return 1;
        p += n;
    }
    return 0;
}

void gz_http_cors_decide(struct gz_req *req)
{
    req->cors = GZ_CORS_NONE;
    req->preflight = 0;
    if (!req->api)
        return;
    req->preflight =
        req->method == GZ_OPTIONS && (strcmp(req->path, "/api/v1") == 0 ||
                                      strncmp(req->path, "/api/v1/", 8) == 0);
    const char *origin = gz_req_header(req, "Origin");
    if (origin && origin_listed(req->app, origin))
        req->cors = GZ_CORS_ORIGIN;
    else if ((req->method & (GZ_GET | GZ_HEAD)) || req->preflight)
        req->cors = GZ_CORS_ANY;
}

void gz_http_cors_headers(const struct gz_req *req, struct MHD_Response *r)
{
    if (req->cors == GZ_CORS_NONE)
        return;
    const char *origin =
        req->cors == GZ_CORS_ORIGIN ? gz_req_header(req, "Origin") : NULL;
    /* Vary: Origin comes with add_vary (respond.c) whenever origins are
     * listed, so both kinds of answer are keyed on it. */
    MHD_add_response_header(r, "Access-Control-Allow-Origin",
                            origin ? origin : "*");
    if (!req->preflight)
        return;
    MHD_add_response_header(r, "Access-Control-Allow-Methods",
                            origin ? "GET, HEAD, OPTIONS, POST, PATCH, DELETE"
                                   : "GET, HEAD, OPTIONS");
    MHD_add_response_header(r, "Access-Control-Allow-Headers",
                            origin ? "Authorization, Content-Type, "
                                     "X-CSRF-Token"
                                   : "Content-Type");
    MHD_add_response_header(r, "Access-Control-Max-Age", "86400");
}
