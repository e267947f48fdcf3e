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
struct gz_resp;
struct gz_static;
struct gz_page_cache;

struct gz_app {
    struct gz_config cfg;
    struct gz_tpl_set *tpl;
    struct gz_static *statics;
    struct gz_page_cache *cache;
    json_t *assets;          /* {css_url, js_url, favicon_url}: read-only */
    char base_url[512];      /* from config, or http://host:port */
    /* The health probes' own daemon (server.c probe_daemon): each of its
     * connections answers one request and closes, so none can hold the
     * probes' thread with other work. */
    const void *probe_daemon;
    /* Fills resp with the answer of an error status (>= 400) the server
     * decided or a handler returned: the JSON error object or the error
     * page (gz_view_error). message and field may be NULL. The server
     * keeps the answer out of every cache. */
    void (*render_error)(struct gz_req *req, struct gz_resp *resp, int status,
                         const char *message, const char *field);
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
    char cookies[2][300];     /* Set-Cookie values */
    char disposition[160];    /* Content-Disposition, e.g. a download */
    char allow[96];           /* for 405 */
    int retry_after;          /* seconds, for 429/503 */
    /* Instead of body: the bytes [0, file_size) of the open file file_fd
     * (when file_open is set), sent by the server straight from the file
     * (sendfile), so the memory of an answer does not depend on the size
     * of the file or the number of clients. The server owns the
     * descriptor from then on and closes it whatever happens (sent, 304,
     * HEAD, an error status instead). Never kept in the page cache. */
    int file_open;
    int file_fd;
    long long file_size;
    /* A strong ETag the handler knows (quoted, e.g. from a content hash
     * in the name), used instead of hashing the body; a file answer has
     * no body to hash and goes without an ETag unless this is set. */
    char etag[72];
    /* The page-change keys the answer was built from ("story-12\nhome";
     * gz_resp_dep adds them; sql/0005_page_changes.sql has the list): the
     * page cache keeps it until one of them (or nav, or settings)
     * changes. None named, or more than fit (deps_over): any change. */
    char deps[240];
    int deps_over;
};

/* Adds a key (printf-style: "story-%lld") to resp->deps. */
void gz_resp_dep(struct gz_resp *resp, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A handler fills resp and returns 0, or returns an HTTP error status
 * (400-599) and the server answers with the error page or JSON error. */
typedef int (*gz_handler)(struct gz_req *req, struct gz_resp *resp);

enum gz_route_flags {
    GZ_R_CACHEABLE = 1, /* anonymous GET/HEAD may be served from the cache */
    GZ_R_WRITE = 2,     /* needs a read-write database connection */
    GZ_R_FORM = 4,      /* body is a form (urlencoded or multipart) */
    GZ_R_JSON = 8,      /* body is JSON */
    GZ_R_PREFIX = 16,   /* pattern ending in '*' matches any rest */
    GZ_R_CSRF = 32,     /* unsafe methods need the session's CSRF token */
    GZ_R_UPLOAD = 64,   /* multipart with one file, limit max_upload_bytes */
    GZ_R_ADMIN = 128,   /* an /admin page: never cached, session looked up */
    GZ_R_API = 256,     /* /api/v1: bearer token or session + X-CSRF-Token,
                           JSON errors, CORS */
};

/* Roles, in order of power. A route names the least it needs. */
enum gz_role {
    GZ_ROLE_NONE = 0,
    GZ_ROLE_AUTHOR = 1,
    GZ_ROLE_EDITOR = 2,
    GZ_ROLE_ADMIN = 3,
};

struct gz_route {
    unsigned methods;
    const char *pattern; /* "/articles/:slug", or "/static/" then a star */
    gz_handler handler;
    unsigned flags;
    enum gz_role role;    /* least role needed; NONE: public */
    long long body_limit; /* 0: the configured form limit */
    const char *about;
};

/* The signed-in user of a request (from the session cookie). */
struct gz_user {
    long long id;
    char email[256];
    char name[128];
    char slug[128];
    enum gz_role role;
    char csrf[65];  /* the session's CSRF token, for forms */
};

/* An uploaded file of a GZ_R_UPLOAD route, already checked: the type comes
 * from the magic bytes, the size stayed within the limit while streaming,
 * and the content sits in a temporary file under data_dir that the server
 * deletes after the request unless the handler moved it. */
struct gz_upload {
    char field[64];
    char filename[256];  /* as the client named it; for display only */
    char tmp_path[1100];
    char sha256[65];
    long long size;
    const char *mime;    /* "image/png"... a literal */
    const char *ext;     /* "png"... a literal */
    int width, height;   /* 0 when not read from the header */
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
/* Gives the request form fields (an object of strings, stolen): how the
 * API hands a JSON body to a form handler of the site. */
void gz_req_set_form(struct gz_req *req, json_t *form);
/* The absolute base URL for links (settings, config, or derived). */
const char *gz_req_base_url(const struct gz_req *req);
/* The signed-in user, or NULL. */
const struct gz_user *gz_req_user(const struct gz_req *req);
/* How the user proved who they are: 0 none, 1 the session cookie, 2 an
 * API token (Authorization: Bearer). */
int gz_req_auth(const struct gz_req *req);
/* Cookie value or NULL. */
const char *gz_req_cookie(const struct gz_req *req, const char *name);
/* The client's address as text ("127.0.0.1"): the socket's peer, or,
 * when that is a trusted proxy (server.trusted_proxies), the client its
 * X-Forwarded-For names. Everything keyed by client address uses this. */
const char *gz_req_client(const struct gz_req *req);
/* 1 when the request came over TLS, through a trusted proxy that said
 * X-Forwarded-Proto: https, or the base URL is https. */
int gz_req_secure(const struct gz_req *req);
/* The uploaded file, or NULL. */
struct gz_upload *gz_req_upload(struct gz_req *req);
/* Raw body of a GZ_R_JSON route (NUL-terminated), or "" . */
const char *gz_req_body(const struct gz_req *req, size_t *len);

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
/* Adds a Set-Cookie header value (at most 2 per response). The caller
 * builds it with gz_cookie_session / gz_cookie_clear. */
void gz_resp_cookie(struct gz_resp *resp, const char *value);

/* Rate limits, in memory, per key ("login-ip:127.0.0.1"): records one
 * event and returns 0 while the key has had at most `max` events in the
 * last `window` seconds, else the seconds until the next is allowed.
 * gz_ratelimit_peek checks without recording; gz_ratelimit_clear forgets
 * a key (a successful login). Thread-safe. */
int gz_ratelimit_hit(const char *key, int max, int window);
int gz_ratelimit_peek(const char *key, int max, int window);
void gz_ratelimit_clear(const char *key);

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
 * fingerprinted name): its bytes in memory, or for a file over 256 KiB a
 * duplicate of its descriptor (resp->file_open). Returns 0, 404, or 503
 * when no descriptor is left. */
int gz_static_serve(const struct gz_static *s, const char *path,
                    struct gz_resp *resp);

#endif
