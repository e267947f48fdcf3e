/*
 * request.c - the life of one request, as libmicrohttpd drives it: the
 * struct gz_req made when the request line arrives (gz_http_on_uri), the
 * three-phase access handler (headers: path decoding, limits, routing and
 * guard.c's checks; body: the form, upload or JSON bytes; last call: the
 * page cache, the handler and the answer), and its end
 * (gz_http_on_completed: metrics, the access log line, freeing). Also the
 * accessors handlers read it through, query decoding, form field
 * collection and the method bits.
 *
 * MHD is told not to decode the URL (gz_http_on_unescape): the path is
 * decoded here and judged after decoding, the query per value on demand.
 *
 * Limits decided before any handler (docs/ARCHITECTURE.md, "Limits and
 * deadlines"): too many query parameters (431, judged in gz_http_on_uri
 * before MHD splits them) or a target too long (414), header fields too
 * large (431), and a body whose framing is ambiguous (400 or 501, and the
 * connection closed). Each phase change is told to server.c, which holds
 * the connection's deadline.
 *
 * Threads: a request belongs to the worker thread serving its connection;
 * only the id counter and metrics are shared (atomics), and server.c's
 * table of connections (its lock).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gazette/cdn.h"
#include "gazette/html.h"
#include "gazette/store.h"
#include "internal.h"

/* ---- accessors ----------------------------------------------------------- */

const char *gz_req_path(const struct gz_req *req)
{
    return req->path;
}

unsigned gz_req_method(const struct gz_req *req)
{
    return req->method;
}

const char *gz_req_id(const struct gz_req *req)
{
    return req->id;
}

struct gz_app *gz_req_app(const struct gz_req *req)
{
    return req->app;
}

int gz_req_auth(const struct gz_req *req)
{
    return (int)req->auth;
}

struct gz_db *gz_req_db(struct gz_req *req)
{
    int write = (req->route && (req->route->flags & GZ_R_WRITE)) ||
                !(req->method & (GZ_GET | GZ_HEAD));
    return gz_http_thread_db(req->app, write);
}

const char *gz_req_param(const struct gz_req *req, int i)
{
    return i >= 0 && i < 4 ? req->params[i] : NULL;
}

const char *gz_req_header(const struct gz_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

int gz_req_wants_json(const struct gz_req *req)
{
    if (strncmp(req->path, "/api/", 5) == 0)
        return 1;
    const char *accept = gz_req_header(req, "Accept");
    return accept && strstr(accept, "application/json") &&
           !strstr(accept, "text/html");
}

json_t *gz_req_form(const struct gz_req *req)
{
    return req->form;
}

void gz_req_set_form(struct gz_req *req, json_t *form)
{
    json_decref(req->form);
    req->form = form;
}

const struct gz_user *gz_req_user(const struct gz_req *req)
{
    return req->have_user ? &req->user : NULL;
}

const char *gz_req_cookie(const struct gz_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *gz_req_client(const struct gz_req *req)
{
    return req->client;
}

int gz_req_secure(const struct gz_req *req)
{
    return req->app->cfg.tls_cert[0] || req->forwarded_https ||
           strncmp(req->app->base_url, "https://", 8) == 0;
}

struct gz_upload *gz_req_upload(struct gz_req *req)
{
    return req->have_upload ? &req->upload : NULL;
}

const char *gz_req_body(const struct gz_req *req, size_t *len)
{
    if (len)
        *len = req->body.len;
    return gz_buf_cstr(&req->body);
}

const char *gz_req_base_url(const struct gz_req *req)
{
    return req->app->base_url;
}

/* ---- the query ----------------------------------------------------------- */

/* Query values arrive undecoded (see gz_http_on_unescape); decode them
 * here into a per-request JSON object so repeated lookups are cheap. A
 * value that is not valid UTF-8 text is kept as false. */
struct query_ctx {
    json_t *obj;
};

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *value)
{
    struct query_ctx *q = cls;
    size_t kl = strlen(key), vl = value ? strlen(value) : 0;
    char *k = strndup(key, kl), *v = strndup(value ? value : "", vl);
    if (k && v) {
        long kn = gz_url_decode(k, kl, 1), vn = gz_url_decode(v, vl, 1);
        if (kn >= 0 && !json_object_getn(q->obj, k, (size_t)kn)) {
            if (vn >= 0 && gz_utf8_valid_text(v, (size_t)vn))
                json_object_setn_new(q->obj, k, (size_t)kn,
                                     json_stringn(v, (size_t)vn));
            else
                json_object_setn_new(q->obj, k, (size_t)kn, json_false());
        }
    }
    free(k);
    free(v);
    return MHD_YES;
}

static json_t *query_obj(struct gz_req *req)
{
    if (!req->query) {
        req->query = json_object();
        struct query_ctx q = {req->query};
        MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
                                  collect_query, &q);
    }
    return req->query;
}

const char *gz_req_query(struct gz_req *req, const char *name, int *bad)
{
    json_t *v = json_object_get(query_obj(req), name);
    if (bad)
        *bad = json_is_false(v);
    return json_string_value(v);
}

int gz_req_query_int(struct gz_req *req, const char *name, long long min,
                     long long max, long long dflt, long long *out)
{
    int bad = 0;
    const char *v = gz_req_query(req, name, &bad);
    *out = dflt;
    if (bad)
        return GZ_EINVAL;
    if (!v)
        return 0;
    return gz_parse_int(v, min, max, out);
}

/* ---- form fields --------------------------------------------------------- */

void gz_http_flush_field(struct gz_req *req)
{
    /* The first value of a name wins, as with query parameters. */
    if (!req->field_key)
        return;
    if (!req->form)
        req->form = json_object();
    if (req->form && !json_object_get(req->form, req->field_key))
        json_object_set_new(
            req->form, req->field_key,
            json_stringn(gz_buf_cstr(&req->field_val), req->field_val.len));
    free(req->field_key);
    req->field_key = NULL;
    gz_buf_reset(&req->field_val);
}

static enum MHD_Result on_post_field(void *cls, enum MHD_ValueKind kind,
                                     const char *key, const char *filename,
                                     const char *content_type,
                                     const char *transfer_encoding,
                                     const char *data, uint64_t off,
                                     size_t size)
{
    struct gz_req *req = cls;
    /* A part without a name (no name= in its Content-Disposition) is no
     * field: dropped, file or not (MHD passes a NULL key). */
    if (!key)
        return MHD_YES;
    if (filename && req->route && (req->route->flags & GZ_R_UPLOAD))
        return gz_http_upload_data(req, key, filename, data, off, size);
    if (filename)
        return MHD_YES; /* files where none is expected are dropped */
    /* A value may arrive in several pieces, in order: collect them in a
     * buffer (linear, not re-copied per piece) and store the field when
     * the next one starts or the body ends. */
    if (off == 0 || !req->field_key || strcmp(req->field_key, key) != 0) {
        gz_http_flush_field(req);
        req->field_key = strdup(key);
        if (!req->field_key)
            return MHD_NO;
    }
    if (gz_buf_append(&req->field_val, data, size) != 0)
        return MHD_NO;
    return MHD_YES;
}

/* ---- method and path ----------------------------------------------------- */

static unsigned method_bit(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } map[] = {{"GET", GZ_GET},        {"HEAD", GZ_HEAD},
               {"POST", GZ_POST},      {"PUT", GZ_PUT},
               {"PATCH", GZ_PATCH},    {"DELETE", GZ_DELETE},
               {"OPTIONS", GZ_OPTIONS}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(m, map[i].name) == 0)
            return map[i].bit;
    return 0;
}

/* Decodes the raw path. SECURITY: rejects NUL, control characters,
 * invalid UTF-8 and dot segments after decoding, so "/static/%2e%2e/"
 * and friends never reach a handler. Returns 0, 400 or 503. */
static int decode_path(struct gz_req *req)
{
    const char *q = strchr(req->uri, '?');
    size_t n = q ? (size_t)(q - req->uri) : strlen(req->uri);
    req->path = strndup(req->uri, n);
    req->scratch = malloc(n + 1);
    if (!req->path || !req->scratch)
        return 503;
    long dn = gz_url_decode(req->path, n, 0);
    if (dn < 0 || (size_t)dn != strlen(req->path) || req->path[0] != '/' ||
        !gz_utf8_valid_text(req->path, (size_t)dn) ||
        strpbrk(req->path, "\r\n\t\\"))
        return 400;
    for (const char *p = req->path; (p = strstr(p, "/.")) != NULL; p++) {
        if (p[2] == '/' || p[2] == '\0' ||
            (p[2] == '.' && (p[3] == '/' || p[3] == '\0')))
            return 400;
    }
    return 0;
}

static int raw_is_api(const struct gz_req *req)
{
    return strncmp(req->uri, "/api/", 5) == 0;
}

/* ---- the answer ---------------------------------------------------------- */

/* The last call: the error decided early, or the page cache, the body's
 * checks and the handler; then the answer is finished and sent. */
static enum MHD_Result answer(struct gz_req *req)
{
    struct gz_resp resp = {0};
    resp.status = 200;
    enum MHD_Result ret;
    char key[1100];
    const char *cache_key = NULL;
    long long built = 0, last = 0, changed_at = 0;

    gz_http_conn_phase(req, GZ_CONN_ANSWER, 0);
    if (req->must_close) {
        /* SECURITY: MHD keeps a connection open unless the request says
         * "Connection: close" (it reads the request's headers, all of
         * them, when it decides); adding one is how an answer closes it,
         * so bytes after a refused request are never read as another. */
        MHD_set_connection_value(req->conn, MHD_HEADER_KIND, "Connection",
                                 "close");
    }
    /* An old URL of an imported site (redirect.c): only where no route
     * matched, and the WordPress short link "/?p=N". */
    if ((req->early_status == 404 || (!req->early_status && req->path &&
                                      strcmp(req->path, "/") == 0)) &&
        gz_http_redirect_answer(req, &resp))
        goto send;
    if (req->early_status) {
        gz_http_error(req, &resp, req->early_status,
                      req->early_message[0] ? req->early_message : NULL);
        goto send;
    }
    if (req->preflight) {
        resp.status = 204; /* the CORS headers say it all */
        goto send;
    }
    const struct gz_route *r = req->route;
    /* The page cache: GET/HEAD of cacheable routes, without credentials
     * (SECURITY: an API caller's token or session may see drafts). */
    if ((r->flags & GZ_R_CACHEABLE) && req->app->cache &&
        req->auth == GZ_AUTH_NONE) {
        struct gz_db *db = gz_req_db(req);
        if (db && gz_store_changes_last(db, &last, &changed_at) == 0) {
            /* The changes since the last request first (cache.c): what is
             * built from here on is built after them. */
            built = gz_http_cache_sync(req->app->cache, db, last);
            /* Only a canonical target has a key (cache.c): junk or repeated
             * parameters are answered, never kept, so clients cannot fill
             * the cache with copies of one page. */
            if (gz_http_cache_key(req, key, sizeof key)) {
                cache_key = key;
                if (gz_http_cache_serve(req, key, &ret))
                    return ret;
            }
            gz_http_metrics_cache_miss();
        }
    }
    if (gz_http_guard_body(req, &resp) != 0)
        goto send;
    /* A write: its purges reach the caches in front before the writer
     * hears back, so their next request shows the change (cdn.h). */
    int write = !(req->method & (GZ_GET | GZ_HEAD)) &&
                req->app->cfg.cdn_purge_wait_ms > 0;
    struct gz_db *wdb = write ? gz_req_db(req) : NULL;
    long long mark = wdb ? gz_cdn_mark(wdb) : -1;
    int status = r->handler(req, &resp);
    /* A page that is not there may have moved: a renamed story, an old
     * URL of an imported site (redirect.c). */
    if (status == 404 && gz_http_redirect_answer(req, &resp))
        status = 0;
    if (mark >= 0 && status < 400)
        gz_cdn_flush(wdb, mark, req->app->cfg.cdn_purge_wait_ms);
    if (status >= 400) {
        gz_http_error(req, &resp, status, NULL);
    } else if ((r->flags & GZ_R_CACHEABLE) && resp.status == 200 &&
               req->auth == GZ_AUTH_NONE) {
        if (resp.cache == GZ_CACHE_NO_STORE)
            resp.cache = GZ_CACHE_PUBLIC;
        resp.cacheable = 1;
        if (!resp.last_modified)
            resp.last_modified = changed_at;
    }
send:
    ret =
        gz_http_finish(req, &resp, resp.cacheable ? cache_key : NULL, built);
    free(resp.body);
    return ret;
}

/* An error decided from the headers alone: answered now, so the body is
 * never read. When the path was not decoded (414) or failed to (400,
 * 503) it becomes "/" or "/api/", which keeps API answers JSON. */
static enum MHD_Result answer_early(struct gz_req *req, int status, int path_ok)
{
    if (!path_ok) {
        free(req->path);
        req->path = strdup(raw_is_api(req) ? "/api/" : "/");
        if (!req->path)
            return MHD_NO;
        req->api = raw_is_api(req);
        gz_http_cors_decide(req);
    }
    req->early_status = status;
    return answer(req);
}

/* What the header fields say about the framing of the body, and their
 * size, gathered in one pass. */
struct header_scan {
    size_t bytes;        /* names, values and the ": " and CRLF of each */
    int content_length;  /* Content-Length fields */
    int transfer_coding; /* Transfer-Encoding fields */
    int chunked;         /* the one Transfer-Encoding is exactly chunked */
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct header_scan *h = cls;
    h->bytes += strlen(key) + (value ? strlen(value) : 0) + 4;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
        h->content_length++;
    if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        h->transfer_coding++;
        h->chunked = value && strcasecmp(value, "chunked") == 0;
    }
    return MHD_YES;
}

/* SECURITY: the framing of the body must mean one thing to every reader,
 * or a proxy in front and Gazette disagree on where a request ends and
 * the rest runs as a second request (request smuggling). MHD reads the
 * first Content-Length and ignores the others, and lets Transfer-Encoding
 * win over Content-Length. Refused here, and the connection closed after
 * the answer (RFC 9112 6.1, 6.3): two Content-Length fields, or
 * Transfer-Encoding with Content-Length, or twice, or in HTTP/1.0: 400;
 * a transfer coding other than chunked: 501. 0 when the framing is sound. */
static int framing_status(const struct header_scan *h, const char *version)
{
    if (h->content_length > 1)
        return 400;
    if (h->transfer_coding == 0)
        return 0;
    if (h->content_length || h->transfer_coding > 1 ||
        strcmp(version, "HTTP/1.1") != 0)
        return 400;
    return h->chunked ? 0 : 501;
}

/* The first call, headers in: limits, path, routing, who is asking. */
static enum MHD_Result begin(struct gz_req *req, struct MHD_Connection *conn,
                             const char *method, const char *version)
{
    req->phase = 1;
    req->method_name = method;
    req->method = method_bit(method);
    struct gz_app *app = req->app;
    /* The client and scheme a trusted proxy names (proxy.c), before
     * anything that reads them (guard, limits, handler, access log). */
    gz_http_forwarded(req, conn);
    struct header_scan h = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_header, &h);
    const union MHD_ConnectionInfo *di =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
    if (di && app->probe_daemon && (const void *)di->daemon == app->probe_daemon)
        req->must_close = 1; /* one request on the probes' thread */
    int st = framing_status(&h, version);
    if (st) {
        req->must_close = 1;
        snprintf(req->early_message, sizeof req->early_message, "%s",
                 st == 501 ? "The request's Transfer-Encoding is not one "
                             "this site accepts: only chunked is."
                           : "The request's length is given twice, or in "
                             "two ways at once.");
        return answer_early(req, st, 0);
    }
    if (req->early_status) /* the target, judged in gz_http_on_uri */
        return answer_early(req, req->early_status, 0);
    if (h.bytes > (size_t)app->cfg.max_header_bytes) {
        snprintf(req->early_message, sizeof req->early_message,
                 "The request's header fields are larger than this site "
                 "accepts (%lld bytes at most).",
                 app->cfg.max_header_bytes);
        return answer_early(req, 431, 0);
    }
    if (strlen(req->uri) > (size_t)app->cfg.max_url_bytes)
        return answer_early(req, 414, 0);
    st = decode_path(req);
    if (st)
        return answer_early(req, st, 0);
    req->api = strncmp(req->path, "/api/", 5) == 0;
    gz_http_cors_decide(req);
    /* RFC 9112: an HTTP/1.1 request without Host is a 400. */
    if (strcmp(version, "HTTP/1.1") == 0 &&
        !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"))
        return answer_early(req, 400, 1);
    if (req->preflight)
        return answer(req); /* 204, whatever the path names */
    req->route =
        gz_route_match(req->path, req->method, &req->allowed, req->scratch,
                       strlen(req->path) + 1, req->params);
    if (!req->route)
        return answer_early(req, req->allowed ? 405 : 404, 1);
    req->route_index = (int)(req->route - gz_routes);
    struct gz_resp early = {0};
    early.status = 200;
    if (gz_http_guard_identity(req, &early) != 0) {
        enum MHD_Result ret = gz_http_finish(req, &early, NULL, 0);
        free(early.body);
        return ret;
    }
    req->body_limit = req->route->body_limit ? req->route->body_limit
                                             : app->cfg.max_form_bytes;
    if (req->route->flags & GZ_R_UPLOAD)
        req->body_limit += app->cfg.max_upload_bytes;
    const char *cl = MHD_lookup_connection_value(
        conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    long long clen;
    if (cl && gz_parse_int(cl, 0, 1LL << 62, &clen) == 0 &&
        clen > req->body_limit) {
        if (req->route->flags & GZ_R_UPLOAD) {
            char limit[32];
            gz_size_human(app->cfg.max_upload_bytes, limit);
            snprintf(req->early_message, sizeof req->early_message,
                     "The file is larger than the upload limit of %s.",
                     limit);
        }
        return answer_early(req, 413, 1);
    }
    if (req->route->flags & (GZ_R_FORM | GZ_R_UPLOAD)) {
        req->pp = MHD_create_post_processor(conn, 16384, on_post_field, req);
        /* No form content type: fields stay empty, handlers say what
         * is missing. But a multipart body MHD cannot split (no boundary)
         * is as malformed as one with broken parts: 400, not "the field
         * is missing" to a client that sent it. */
        const char *ct = MHD_lookup_connection_value(
            conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!req->pp && ct && strncasecmp(ct, "multipart/form-data", 19) == 0) {
            snprintf(req->early_message, sizeof req->early_message,
                     "The multipart body cannot be split into parts: its "
                     "Content-Type names no boundary.");
            return answer_early(req, 400, 1);
        }
    }
    /* The body's deadline is sized by its length; a chunked body by the
     * most the route takes. */
    if (h.chunked)
        gz_http_conn_phase(req, GZ_CONN_BODY, req->body_limit);
    else if (cl && gz_parse_int(cl, 1, 1LL << 62, &clen) == 0)
        gz_http_conn_phase(req, GZ_CONN_BODY, clen);
    else
        gz_http_conn_phase(req, GZ_CONN_ANSWER, 0);
    return MHD_YES;
}

/* A piece of the body: counted against the limit, then fed to the form
 * parser or kept (JSON). Past the limit it is read and dropped. */
static void body_piece(struct gz_req *req, const char *data, size_t size)
{
    req->body_seen += (long long)size;
    if (!req->early_status && req->body_seen > req->body_limit)
        req->early_status = 413;
    if (req->early_status)
        return;
    if (req->pp) {
        if (MHD_post_process(req->pp, data, size) != MHD_YES)
            req->early_status = 400;
    } else if (req->route && (req->route->flags & GZ_R_JSON)) {
        if (gz_buf_append(&req->body, data, size))
            req->early_status = 503;
    }
}

enum MHD_Result gz_http_on_request(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **req_cls)
{
    struct gz_req *req = *req_cls;
    if (!req)
        return MHD_NO;
    if (req->phase == 0)
        return begin(req, conn, method, version);
    if (*upload_data_size > 0) {
        body_piece(req, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(req);
}

/* ---- birth and end ------------------------------------------------------- */

static atomic_ullong req_counter;
static unsigned req_prefix;

void gz_http_request_ids_init(void)
{
    unsigned char rnd[4];
    gz_random(rnd, sizeof rnd);
    memcpy(&req_prefix, rnd, sizeof req_prefix);
}

/* Too many query parameters for the configuration, or a target longer
 * than it takes: the status to answer (431, 414), or 0. */
static int target_status(const struct gz_config *cfg, const char *uri)
{
    size_t n = strlen(uri);
    if (n > (size_t)cfg->max_url_bytes)
        return 414;
    const char *q = strchr(uri, '?');
    if (!q || !q[1])
        return 0;
    /* MHD makes one record per '&'-separated piece, empty ones too. */
    long params = 1;
    for (const char *p = q + 1; (p = strchr(p, '&')) != NULL; p++)
        params++;
    return params > cfg->max_query_params ? 431 : 0;
}

void *gz_http_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct gz_req *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    gz_http_in_flight_add(1);
    req->app = cls;
    req->conn = conn;
    req->route_index = -1;
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    req->fd = fi ? fi->connect_fd : -1;
    gz_http_conn_begin(req);
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    snprintf(req->id, sizeof req->id, "%08x%08llx", req_prefix,
             (unsigned long long)atomic_fetch_add(&req_counter, 1));
    req->uri = strdup(uri ? uri : "");
    int st = uri ? target_status(&req->app->cfg, uri) : 0;
    if (st) {
        /* NOTE: right after this callback MHD splits the query into one
         * record per parameter, in the connection's memory pool. Past the
         * pool, libmicrohttpd 0.9.75 queues its own 431 and then loses it
         * (the state it sets is overwritten: the connection hangs until
         * its timeout and the request is never reported complete). The
         * query is therefore cut here, in MHD's own copy of the request
         * line (the URI points into it; the '?' MHD found is the first),
         * so it has nothing to split; the 431 or 414 is ours, answered
         * when the headers are in (begin). req->uri keeps the original. */
        char *q = strchr((char *)uri, '?');
        if (q)
            q[1] = '\0';
        req->early_status = st;
        if (st == 431)
            snprintf(req->early_message, sizeof req->early_message,
                     "The address has more query parameters than this site "
                     "accepts (%d at most).",
                     req->app->cfg.max_query_params);
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                      req->client, sizeof req->client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                      req->client, sizeof req->client);
    }
    return req;
}

/* MHD would decode the path and query in place; we keep them raw and
 * decode ourselves, so that %00 and %2f are seen and judged, not lost. */
size_t gz_http_on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

/* One line per answered request: method, path (no query: it may hold a
 * token), status, bytes, microseconds, request id, " hit" from the cache,
 * then the client's address (gz_req_client: behind a trusted proxy, the
 * one X-Forwarded-For names). */
static void access_log(const struct gz_req *req, long long us)
{
    char line[1400];
    const char *q = strchr(req->uri, '?');
    int plen = (int)(q ? q - req->uri : (long)strlen(req->uri));
    snprintf(line, sizeof line, "%s %.*s %d %zu %lldus %s%s %s",
             req->method_name ? req->method_name : "-",
             plen > 1024 ? 1024 : plen, req->uri, req->status, req->bytes, us,
             req->id, req->cache_hit ? " hit" : "",
             req->client[0] ? req->client : "-");
    /* The path is the client's: keep the log line one line. */
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = '?';
    gz_log_access(line);
}

/* Logs and counts an answered request and frees it. */
static void request_end(struct gz_req *req)
{
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long us = (end.tv_sec - req->start.tv_sec) * 1000000LL +
                   (end.tv_nsec - req->start.tv_nsec) / 1000;
    if (req->status) {
        gz_http_metrics_count(req->route_index, req->status, us / 1e6);
        if (req->app->cfg.access_log)
            access_log(req, us);
    }
    if (req->pp)
        MHD_destroy_post_processor(req->pp);
    gz_http_upload_cleanup(req);
    json_decref(req->form);
    json_decref(req->query);
    free(req->field_key);
    gz_buf_free(&req->field_val);
    gz_buf_free(&req->body);
    free(req->uri);
    free(req->path);
    free(req->scratch);
    free(req);
    gz_http_in_flight_add(-1);
}

void gz_http_on_completed(void *cls, struct MHD_Connection *conn,
                          void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct gz_req *req = *req_cls;
    if (!req)
        return;
    *req_cls = NULL;
    gz_http_conn_end(req);
    request_end(req);
}

void gz_http_request_abandoned(struct gz_req *req)
{
    request_end(req);
}
