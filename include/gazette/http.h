/*
 * http.h - the HTTP layer: the application object, the request and
 * response as handlers see them, the route table and the server.
 *
 * Only src/http/ includes microhttpd.h. Handlers get a struct gz_req
 * (read through the accessors below) and fill a struct gz_resp; they never
 * build headers: status, content type, caching, security headers, ETag,
 * 304, gzip, HEAD and the access log are done by the server.
 *
 * Threads: struct gz_app is built before the daemon starts and read-only
 * afterwards (the page cache and counters inside it have their own locks
 * and atomics). A gz_req belongs to the thread serving it.
 */
#ifndef GAZETTE_HTTP_H
#define GAZETTE_HTTP_H

#include <jansson.h>

#include "gazette/config.h"
#include "gazette/db.h"
#include "gazette/tpl.h"
#include "gazette/util.h"

enum gz_method {
    GZ_GET = 1,
    GZ_HEAD = 2,
    GZ_POST = 4,
    GZ_PUT = 8,
    GZ_PATCH = 16,
    GZ_DELETE = 32,
    GZ_OPTIONS = 64,
};

enum gz_cache {
    GZ_CACHE_NO_STORE = 0, /* admin, API with auth, errors */
    GZ_CACHE_PUBLIC,       /* public pages: max-age from config */
    GZ_CACHE_IMMUTABLE,    /* fingerprinted static assets */
    GZ_CACHE_REVALIDATE,   /* unfingerprinted static files */
};

struct gz_req;
struct gz_static;
struct gz_page_cache;

struct gz_app {
    struct gz_config cfg;
    struct gz_tpl_set *tpl;
    struct gz_static *statics;
    struct gz_page_cache *cache;
    json_t *assets;          /* {css_url, js_url, favicon_url}: read-only */
    char base_url[512];      /* from config, or http://host:port */
    long long started_at;
};

struct gz_resp {
    int status;
    const char *content_type; /* a literal */
    char *body;               /* malloc'd; the server frees it */
    size_t len;
    enum gz_cache cache;
    int cacheable;            /* may be kept in the page cache */
    long long last_modified;  /* 0: none */
    const unsigned char *static_body; /* instead of body: app-lifetime data */
    char location[1024];      /* for redirects */
    char allow[96];           /* for 405 */
    int retry_after;          /* seconds, for 429/503 */
};

/* A handler fills resp and returns 0, or returns an HTTP error status
 * (400-599) and the server answers with the error page or JSON error. */
typedef int (*gz_handler)(struct gz_req *req, struct gz_resp *resp);

enum gz_route_flags {
    GZ_R_CACHEABLE = 1, /* anonymous GET/HEAD may be served from the cache */
    GZ_R_WRITE = 2,     /* needs a read-write database connection */
    GZ_R_FORM = 4,      /* body is a form (urlencoded or multipart) */
    GZ_R_JSON = 8,      /* body is JSON */
    GZ_R_PREFIX = 16,   /* pattern ending in '*' matches any rest */
};

struct gz_route {
    unsigned methods;
    const char *pattern; /* "/articles/:slug", or "/static/" then a star */
    gz_handler handler;
    unsigned flags;
    long long body_limit; /* 0: the configured form limit */
    const char *about;
};

/* The table (src/http/routes.c), ending with a zeroed entry. */
extern const struct gz_route gz_routes[];

/*
 * Matches path against the table. Returns the route (NULL: no path match).
 * *allowed gets the methods the path accepts; a route is returned only
 * when `method` is among them. Captured ":name" segments (at most 4) are
 * written to params as pointers into `scratch` (a copy of the path).
 */
const struct gz_route *gz_route_match(const char *path, unsigned method,
                                      unsigned *allowed, char *scratch,
                                      size_t scratch_len,
                                      const char *params[4]);

/* "GET, HEAD" style list of methods into out. */
void gz_methods_str(unsigned methods, char *out, size_t outlen);

/* Request accessors. Strings live as long as the request. */
const char *gz_req_path(const struct gz_req *req);
unsigned gz_req_method(const struct gz_req *req);
const char *gz_req_id(const struct gz_req *req);
struct gz_app *gz_req_app(const struct gz_req *req);
/* The thread's database connection (read-only for GET and HEAD). */
struct gz_db *gz_req_db(struct gz_req *req);
/* Route capture i (0-based) or NULL. */
const char *gz_req_param(const struct gz_req *req, int i);
/* Query parameter, percent-decoded; NULL when absent. Values that are not
 * valid UTF-8 text come back as NULL with *bad set (when bad != NULL). */
const char *gz_req_query(struct gz_req *req, const char *name, int *bad);
/* Query parameter as an integer in [min, max]; dflt when absent. Returns 0
 * or GZ_EINVAL when present but not a number in range. */
int gz_req_query_int(struct gz_req *req, const char *name, long long min,
                     long long max, long long dflt, long long *out);
const char *gz_req_header(const struct gz_req *req, const char *name);
/* 1 for /api/ paths or an Accept header preferring application/json. */
int gz_req_wants_json(const struct gz_req *req);
/* Form fields (urlencoded or multipart) as a JSON object of strings.
 * Borrowed; NULL when the request had no form body. */
json_t *gz_req_form(const struct gz_req *req);
/* The absolute base URL for links (settings, config, or derived). */
const char *gz_req_base_url(const struct gz_req *req);

/* Response helpers. */
/* Renders template `name` with model into resp as text/html. Adds the
 * common keys (site, assets) first. model is borrowed. Returns 0 or 500. */
int gz_resp_page(struct gz_req *req, struct gz_resp *resp, const char *name,
                 json_t *model);
/* Serialises json into resp as application/json. json is borrowed. */
int gz_resp_json(struct gz_resp *resp, int status, json_t *json);
/* Takes ownership of body (malloc'd). */
void gz_resp_take(struct gz_resp *resp, int status, const char *ctype,
                  char *body, size_t len);
void gz_resp_redirect(struct gz_resp *resp, int status, const char *location);

/* Runs the server until SIGINT/SIGTERM. Returns the exit status. */
int gz_server_run(struct gz_app *app);

/* Static files: loads every file under dir into memory with its gzip form
 * and fingerprint. NULL on error (logged). */
struct gz_static *gz_static_load(const char *dir);
void gz_static_free(struct gz_static *s);
/* The fingerprinted URL of "css/site.css" ("/static/css/site.1a2b3c4d.css"),
 * or NULL. Borrowed for the life of s. */
const char *gz_static_url(const struct gz_static *s, const char *rel);
/* Fills resp with the file at URL path ("/static/css/site.css" or its
 * fingerprinted name). Returns 0 or 404. */
int gz_static_serve(const struct gz_static *s, const char *path,
                    struct gz_resp *resp);

#endif
