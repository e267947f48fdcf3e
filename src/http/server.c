/*
 * server.c - libmicrohttpd glue: the request life cycle, limits, body and
 * form parsing, routing, response finishing (security headers, caching,
 * ETag and 304, gzip), the page cache, metrics, the access log, per-thread
 * database connections, the background scheduler and graceful shutdown.
 *
 * Threads: MHD runs an epoll thread pool; each worker keeps its own two
 * SQLite connections (read-only for GET/HEAD, read-write otherwise) in
 * thread-local storage. The page cache is a mutex-protected table of
 * finished MHD responses, which MHD lets many connections queue at once.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "gazette/html.h"
#include "gazette/http.h"
#include "gazette/mail.h"
#include "gazette/site.h"
#include "gazette/store.h"

#define GZIP_MIN 1024
#define CACHE_SLOTS 1024
#define MAX_DBS 512

struct gz_req {
    struct gz_app *app;
    struct MHD_Connection *conn;
    char id[20];
    struct timespec start;
    char *uri;          /* raw request target, as sent */
    char *path;         /* decoded path */
    char *scratch;      /* route captures point in here */
    const char *params[4];
    unsigned method;
    const char *method_name;
    const struct gz_route *route;
    int phase;          /* 0: first call seen, 1: body phase */
    int early_status;   /* error decided before the body was read */
    long long body_limit;
    long long body_seen;
    struct gz_buf body; /* JSON bodies */
    struct MHD_PostProcessor *pp;
    json_t *form;
    char *field_key;          /* the form field being collected */
    struct gz_buf field_val;
    json_t *query;      /* decoded query parameters, built lazily */
    struct gz_user user;
    int have_user;
    char client[64];
    /* The upload of a GZ_R_UPLOAD route, streamed to a temporary file. */
    struct gz_upload upload;
    int have_upload;
    int upload_error;   /* 413 or 415, decided while streaming */
    FILE *upload_file;
    unsigned char upload_head[32];
    crypto_hash_sha256_state upload_sha;
    int status;         /* for the access log */
    size_t bytes;
    int cache_hit;
    int route_index;
};

/* ---- metrics ---------------------------------------------------------- */

#define NBUCKETS 10
static const double buckets[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                         0.025,  0.05,  0.1,    0.5,   1.0};
#define NROUTES 64
static atomic_ullong m_requests[NROUTES + 1][6]; /* by route, status class */
static atomic_ullong m_latency[NBUCKETS + 1];
static atomic_ullong m_latency_sum_us;
static atomic_ullong m_latency_count;
static atomic_ullong m_cache_hits, m_cache_misses;
static atomic_int in_flight; /* requests begun and not completed */

int gz_metrics_render(struct gz_buf *out)
{
    gz_buf_puts(out, "# HELP gazette_http_requests_total Requests by route"
                     " and status class.\n"
                     "# TYPE gazette_http_requests_total counter\n");
    for (int r = 0; r <= NROUTES; r++) {
        const char *pattern = "unmatched";
        if (r < NROUTES) {
            if (!gz_routes[r].pattern)
                r = NROUTES;
            else
                pattern = gz_routes[r].pattern;
        }
        if (r == NROUTES)
            pattern = "unmatched";
        for (int c = 1; c <= 5; c++) {
            unsigned long long v = atomic_load(&m_requests[r][c]);
            if (v)
                gz_buf_printf(out,
                              "gazette_http_requests_total{route=\"%s\","
                              "status=\"%dxx\"} %llu\n",
                              pattern, c, v);
        }
    }
    gz_buf_puts(out, "# HELP gazette_http_request_duration_seconds Time to"
                     " answer.\n"
                     "# TYPE gazette_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int i = 0; i < NBUCKETS; i++) {
        cum += atomic_load(&m_latency[i]);
        gz_buf_printf(out,
                      "gazette_http_request_duration_seconds_bucket{le=\"%g\"}"
                      " %llu\n",
                      buckets[i], cum);
    }
    cum += atomic_load(&m_latency[NBUCKETS]);
    gz_buf_printf(out,
                  "gazette_http_request_duration_seconds_bucket{le=\"+Inf\"}"
                  " %llu\n"
                  "gazette_http_request_duration_seconds_sum %.6f\n"
                  "gazette_http_request_duration_seconds_count %llu\n",
                  cum, atomic_load(&m_latency_sum_us) / 1e6,
                  atomic_load(&m_latency_count));
    gz_buf_printf(out,
                  "# HELP gazette_page_cache_hits_total Pages served from the"
                  " page cache.\n# TYPE gazette_page_cache_hits_total counter\n"
                  "gazette_page_cache_hits_total %llu\n"
                  "# HELP gazette_page_cache_misses_total Cacheable pages"
                  " rendered.\n"
                  "# TYPE gazette_page_cache_misses_total counter\n"
                  "gazette_page_cache_misses_total %llu\n",
                  atomic_load(&m_cache_hits), atomic_load(&m_cache_misses));
    gz_buf_printf(out,
                  "# HELP gazette_http_requests_in_flight Requests begun and"
                  " not yet answered.\n"
                  "# TYPE gazette_http_requests_in_flight gauge\n"
                  "gazette_http_requests_in_flight %d\n",
                  atomic_load(&in_flight));
    return 0;
}

static void count_request(struct gz_req *req, double seconds)
{
    int r = req->route_index >= 0 && req->route_index < NROUTES
                ? req->route_index
                : NROUTES;
    int c = req->status / 100;
    if (c < 1 || c > 5)
        c = 5;
    atomic_fetch_add(&m_requests[r][c], 1);
    int b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add(&m_latency[b], 1);
    atomic_fetch_add(&m_latency_sum_us, (unsigned long long)(seconds * 1e6));
    atomic_fetch_add(&m_latency_count, 1);
}

/* ---- per-thread database connections ---------------------------------- */

static pthread_mutex_t dbs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gz_db *all_dbs[MAX_DBS];
static int n_dbs;
static _Thread_local struct gz_db *tls_ro, *tls_rw;

static struct gz_db *thread_db(struct gz_app *app, int write)
{
    struct gz_db **slot = write ? &tls_rw : &tls_ro;
    if (*slot)
        return *slot;
    struct gz_db *db = gz_db_open(app->cfg.db_path,
                                  write ? GZ_DB_READWRITE : GZ_DB_READONLY,
                                  app->cfg.synchronous);
    if (!db)
        return NULL;
    pthread_mutex_lock(&dbs_lock);
    if (n_dbs < MAX_DBS)
        all_dbs[n_dbs++] = db;
    pthread_mutex_unlock(&dbs_lock);
    *slot = db;
    return db;
}

static void close_all_dbs(void)
{
    pthread_mutex_lock(&dbs_lock);
    for (int i = 0; i < n_dbs; i++)
        gz_db_close(all_dbs[i]);
    n_dbs = 0;
    pthread_mutex_unlock(&dbs_lock);
}

/* ---- the page cache --------------------------------------------------- */

/* A body shared by the cache and the responses MHD is still sending:
 * whoever lets go last frees it. */
struct blob {
    atomic_int refs;
    size_t len;
    unsigned char data[];
};

static struct blob *blob_new(const void *data, size_t len)
{
    struct blob *b = malloc(sizeof *b + len);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    memcpy(b->data, data, len);
    return b;
}

static void blob_unref(void *cls)
{
    struct blob *b = cls;
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* A finished answer: what the cache keeps, and what a hit is built from.
 * Every response gets its own headers (so its own X-Request-Id); only the
 * body bytes are shared. */
struct answer_body {
    struct blob *plain, *gzip;
    const char *content_type;
    enum gz_cache cache;
    char etag[40];     /* of the plain body; the gzip one adds -gz */
    long long last_modified;
};

struct cache_entry {
    char *key;
    long long version;
    struct answer_body a;
};

struct gz_page_cache {
    pthread_mutex_t lock;
    struct cache_entry slots[CACHE_SLOTS];
};

static unsigned long hash_str(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static void entry_clear(struct cache_entry *e)
{
    free(e->key);
    blob_unref(e->a.plain);
    blob_unref(e->a.gzip);
    memset(e, 0, sizeof *e);
}

static struct gz_page_cache *cache_new(void)
{
    struct gz_page_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void cache_free(struct gz_page_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&c->slots[i]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- request accessors ------------------------------------------------ */

const char *gz_req_path(const struct gz_req *req) { return req->path; }
unsigned gz_req_method(const struct gz_req *req) { return req->method; }
const char *gz_req_id(const struct gz_req *req) { return req->id; }
struct gz_app *gz_req_app(const struct gz_req *req) { return req->app; }

struct gz_db *gz_req_db(struct gz_req *req)
{
    int write = (req->route && (req->route->flags & GZ_R_WRITE)) ||
                !(req->method & (GZ_GET | GZ_HEAD));
    return thread_db(req->app, write);
}

const char *gz_req_param(const struct gz_req *req, int i)
{
    return i >= 0 && i < 4 ? req->params[i] : NULL;
}

const char *gz_req_header(const struct gz_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* Query values arrive undecoded (see on_unescape); decode them here into
 * a per-request JSON object so repeated lookups are cheap. */
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

int gz_req_wants_json(const struct gz_req *req)
{
    if (strncmp(req->path, "/api/", 5) == 0)
        return 1;
    const char *accept = gz_req_header(req, "Accept");
    return accept && strstr(accept, "application/json") &&
           !strstr(accept, "text/html");
}

json_t *gz_req_form(const struct gz_req *req) { return req->form; }

const struct gz_user *gz_req_user(const struct gz_req *req)
{
    return req->have_user ? &req->user : NULL;
}

const char *gz_req_cookie(const struct gz_req *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *gz_req_client(const struct gz_req *req) { return req->client; }

int gz_req_secure(const struct gz_req *req)
{
    return req->app->cfg.tls_cert[0] ||
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

/* ---- responses -------------------------------------------------------- */

void gz_resp_take(struct gz_resp *resp, int status, const char *ctype,
                  char *body, size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->content_type = ctype;
    resp->body = body;
    resp->len = len;
}

int gz_resp_json(struct gz_resp *resp, int status, json_t *json)
{
    char *s = json_dumps(json, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!s)
        return 500;
    gz_resp_take(resp, status, "application/json", s, strlen(s));
    return 0;
}

void gz_resp_redirect(struct gz_resp *resp, int status, const char *location)
{
    resp->status = status;
    snprintf(resp->location, sizeof resp->location, "%s", location);
}

void gz_resp_cookie(struct gz_resp *resp, const char *value)
{
    for (int i = 0; i < 2; i++) {
        if (!resp->cookies[i][0]) {
            snprintf(resp->cookies[i], sizeof resp->cookies[i], "%s", value);
            return;
        }
    }
}

static const char *csp =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' https: data:; font-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'";

static void add_common_headers(struct MHD_Response *r)
{
    MHD_add_response_header(r, "Content-Security-Policy", csp);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Referrer-Policy",
                            "strict-origin-when-cross-origin");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static int is_text(const char *ctype)
{
    return ctype && (strncmp(ctype, "text/", 5) == 0 ||
                     strstr(ctype, "json") || strstr(ctype, "xml") ||
                     strstr(ctype, "javascript") || strstr(ctype, "svg"));
}

static int accepts_gzip(struct gz_req *req)
{
    const char *ae = gz_req_header(req, "Accept-Encoding");
    if (!ae)
        return 0;
    const char *g = strstr(ae, "gzip");
    if (!g)
        return 0;
    /* "gzip;q=0" refuses it. */
    const char *q = g + 4;
    while (*q == ' ')
        q++;
    if (*q == ';') {
        q++;
        while (*q == ' ')
            q++;
        if (strncmp(q, "q=0", 3) == 0 && (q[3] == '\0' || q[3] == ',' ||
                                          (q[3] == '.' && strspn(q + 4, "0") &&
                                           !strpbrk(q + 4, "123456789"))))
            return 0;
    }
    return 1;
}

/* gzip of data into a malloc'd buffer; NULL when it does not pay. */
static unsigned char *gzip_bytes(const void *data, size_t len, size_t *out_len)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, len);
    unsigned char *out = malloc(cap);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = deflate(&z, Z_FINISH);
    *out_len = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END || *out_len >= len) {
        free(out);
        return NULL;
    }
    return out;
}

static void etag_of(const void *data, size_t len, char out[40])
{
    unsigned char h[12];
    char hex[25];
    crypto_generichash(h, sizeof h, data, len, NULL, 0);
    gz_hex(h, sizeof h, hex);
    snprintf(out, 40, "\"%s\"", hex);
}

/* Does the request's If-None-Match / If-Modified-Since match? */
static int not_modified(struct gz_req *req, const char *etag, long long lm)
{
    const char *inm = gz_req_header(req, "If-None-Match");
    if (inm) {
        if (strcmp(inm, "*") == 0)
            return 1;
        /* A list of tags; a weak W/ prefix still names the same body. */
        return etag[0] && strstr(inm, etag) != NULL;
    }
    const char *ims = gz_req_header(req, "If-Modified-Since");
    if (ims && lm > 0) {
        long long t = gz_time_parse_http(ims);
        return t >= 0 && lm <= t;
    }
    return 0;
}

static void add_cache_headers(struct gz_app *app, struct MHD_Response *r,
                              enum gz_cache cache, const char *etag,
                              long long lm)
{
    char buf[80];
    switch (cache) {
    case GZ_CACHE_PUBLIC:
        /* max-age 0 (the default): browsers revalidate with the ETag on
         * every view, so a correction reaches a reader at once, at the
         * cost of a 304. */
        if (app->cfg.cache_max_age == 0)
            snprintf(buf, sizeof buf, "public, max-age=0, must-revalidate");
        else
            snprintf(buf, sizeof buf, "public, max-age=%d",
                     app->cfg.cache_max_age);
        MHD_add_response_header(r, "Cache-Control", buf);
        break;
    case GZ_CACHE_IMMUTABLE:
        MHD_add_response_header(r, "Cache-Control",
                                "public, max-age=31536000, immutable");
        break;
    case GZ_CACHE_REVALIDATE:
        MHD_add_response_header(r, "Cache-Control", "public, no-cache");
        break;
    default:
        MHD_add_response_header(r, "Cache-Control", "no-store");
        break;
    }
    if (etag && etag[0])
        MHD_add_response_header(r, "ETag", etag);
    if (lm > 0) {
        gz_time_http(lm, buf);
        MHD_add_response_header(r, "Last-Modified", buf);
    }
}

static enum MHD_Result queue(struct gz_req *req, int status,
                             struct MHD_Response *r, size_t bytes)
{
    req->status = status;
    req->bytes = (req->method & GZ_HEAD) ? 0 : bytes;
    return MHD_queue_response(req->conn, (unsigned)status, r);
}

/* The ETag of the variant sent: the gzip bytes are another body, so they
 * get another strong tag ("...-gz"). */
static void variant_etag(const char *etag, int gz, char out[48])
{
    size_t n = strlen(etag);
    if (gz && n >= 2)
        snprintf(out, 48, "%.*s-gz\"", (int)(n - 1), etag);
    else
        snprintf(out, 48, "%s", etag);
}

static void add_vary(struct MHD_Response *r, const char *ctype)
{
    /* Pages answer JSON to Accept: application/json, so caches must key
     * on Accept as well as on Accept-Encoding. */
    if (is_text(ctype))
        MHD_add_response_header(r, "Vary", "Accept, Accept-Encoding");
}

static enum MHD_Result queue_304(struct gz_req *req, const char *etag,
                                 const char *ctype, enum gz_cache cache,
                                 long long lm, size_t full_len)
{
    /* NOTE: libmicrohttpd 0.9.75 always writes "Content-Length: 0" on a
     * response with no body, 304 included (RFC 9110 8.6 wants it absent
     * or equal to the 200's); setting it by hand only adds a second
     * header, and a body of unknown size turns on chunked encoding, which
     * a 304 must not have. Clients ignore it, as a 304 never has a body.
     * Newer libmicrohttpd leaves it out. */
    (void)full_len;
    struct MHD_Response *r = MHD_create_response_from_buffer(
        0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    add_common_headers(r);
    add_cache_headers(req->app, r, cache, etag, lm);
    add_vary(r, ctype);
    MHD_add_response_header(r, "X-Request-Id", req->id);
    enum MHD_Result ret = queue(req, 304, r, 0);
    MHD_destroy_response(r);
    return ret;
}

/* Queues one answer for this request: the gzip or plain body, its own
 * headers, or a 304 when the client's copy is current. */
static enum MHD_Result send_answer(struct gz_req *req, int status,
                                   const struct answer_body *a,
                                   const struct gz_resp *extra)
{
    int gz = a->gzip && accepts_gzip(req);
    char etag[48] = "";
    if (a->etag[0])
        variant_etag(a->etag, gz, etag);
    if (status == 200 && etag[0] && not_modified(req, etag, a->last_modified))
        return queue_304(req, etag, a->content_type, a->cache,
                         a->last_modified, gz ? a->gzip->len : a->plain->len);
    struct blob *b = gz ? a->gzip : a->plain;
    atomic_fetch_add(&b->refs, 1);
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback_cls(
        b->len, b->data, blob_unref, b);
    if (!r) {
        blob_unref(b);
        return MHD_NO;
    }
    add_common_headers(r);
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    if (a->content_type)
        MHD_add_response_header(r, "Content-Type", a->content_type);
    add_cache_headers(req->app, r, a->cache, etag, a->last_modified);
    add_vary(r, a->content_type);
    MHD_add_response_header(r, "X-Request-Id", req->id);
    if (extra) {
        if (extra->location[0])
            MHD_add_response_header(r, "Location", extra->location);
        for (int c = 0; c < 2; c++)
            if (extra->cookies[c][0])
                MHD_add_response_header(r, "Set-Cookie", extra->cookies[c]);
        if (extra->allow[0])
            MHD_add_response_header(r, "Allow", extra->allow);
        if (extra->disposition[0])
            MHD_add_response_header(r, "Content-Disposition",
                                    extra->disposition);
        if (extra->retry_after > 0) {
            char ra[16];
            snprintf(ra, sizeof ra, "%d", extra->retry_after);
            MHD_add_response_header(r, "Retry-After", ra);
        }
    }
    enum MHD_Result ret = queue(req, status, r, b->len);
    MHD_destroy_response(r);
    return ret;
}

/* Sends resp; when key is set and the answer may be cached, keeps it. */
static enum MHD_Result finish(struct gz_req *req, struct gz_resp *resp,
                              const char *key, long long version)
{
    struct answer_body a = {0};
    const void *data = resp->static_body ? (const void *)resp->static_body
                                         : (const void *)resp->body;
    a.plain = blob_new(data ? data : "", resp->len);
    if (!a.plain)
        return MHD_NO;
    a.content_type = resp->content_type;
    a.cache = resp->cache;
    a.last_modified = resp->last_modified;
    if (resp->status == 200 && resp->cache != GZ_CACHE_NO_STORE)
        etag_of(a.plain->data, a.plain->len, a.etag);
    if (req->app->cfg.gzip && resp->len >= GZIP_MIN &&
        is_text(resp->content_type)) {
        size_t zlen;
        unsigned char *z = gzip_bytes(a.plain->data, a.plain->len, &zlen);
        if (z) {
            a.gzip = blob_new(z, zlen);
            free(z);
        }
    }
    enum MHD_Result ret = send_answer(req, resp->status, &a, resp);
    struct gz_page_cache *c = req->app->cache;
    if (key && c && resp->status == 200 && resp->cacheable) {
        struct cache_entry *e = &c->slots[hash_str(key) % CACHE_SLOTS];
        pthread_mutex_lock(&c->lock);
        entry_clear(e);
        e->key = strdup(key);
        e->version = version;
        e->a = a; /* the cache takes our references */
        pthread_mutex_unlock(&c->lock);
        return ret;
    }
    blob_unref(a.plain);
    blob_unref(a.gzip);
    return ret;
}

/* Serves a cached page if there is a current one. */
static int serve_cached(struct gz_req *req, const char *key, long long version,
                        enum MHD_Result *ret)
{
    struct gz_page_cache *c = req->app->cache;
    struct cache_entry *e = &c->slots[hash_str(key) % CACHE_SLOTS];
    pthread_mutex_lock(&c->lock);
    if (!e->key || e->version != version || strcmp(e->key, key) != 0) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    /* Take references under the lock; build and queue outside it. */
    struct answer_body a = e->a;
    atomic_fetch_add(&a.plain->refs, 1);
    if (a.gzip)
        atomic_fetch_add(&a.gzip->refs, 1);
    pthread_mutex_unlock(&c->lock);
    *ret = send_answer(req, 200, &a, NULL);
    blob_unref(a.plain);
    blob_unref(a.gzip);
    req->cache_hit = 1;
    atomic_fetch_add(&m_cache_hits, 1);
    return 1;
}

/* ---- request life cycle ----------------------------------------------- */

static atomic_ullong req_counter;
static unsigned req_prefix;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct gz_req *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    atomic_fetch_add(&in_flight, 1);
    req->app = cls;
    req->conn = conn;
    req->route_index = -1;
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    snprintf(req->id, sizeof req->id, "%08x%08llx", req_prefix,
             (unsigned long long)atomic_fetch_add(&req_counter, 1));
    req->uri = strdup(uri ? uri : "");
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
static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    return strlen(s);
}

/* ---- uploads ---------------------------------------------------------- */

static const struct {
    const char *mime, *ext;
    size_t off, len;
    const char *magic;
} image_types[] = {
    {"image/jpeg", "jpg", 0, 3, "\xff\xd8\xff"},
    {"image/png", "png", 0, 8, "\x89PNG\r\n\x1a\n"},
    {"image/gif", "gif", 0, 6, "GIF87a"},
    {"image/gif", "gif", 0, 6, "GIF89a"},
    {"image/webp", "webp", 8, 4, "WEBP"},
};

/* Decides the type from the first bytes (SECURITY: never from the name or
 * the client's Content-Type). 0, or 415. */
static int sniff_image(struct gz_upload *u, const unsigned char *h, size_t n)
{
    for (size_t i = 0; i < sizeof image_types / sizeof image_types[0]; i++) {
        size_t end = image_types[i].off + image_types[i].len;
        if (n >= end &&
            memcmp(h + image_types[i].off, image_types[i].magic,
                   image_types[i].len) == 0 &&
            (strcmp(image_types[i].ext, "webp") != 0 ||
             memcmp(h, "RIFF", 4) == 0)) {
            u->mime = image_types[i].mime;
            u->ext = image_types[i].ext;
            if (strcmp(u->ext, "png") == 0 && n >= 24) {
                u->width = (h[16] << 24) | (h[17] << 16) | (h[18] << 8) | h[19];
                u->height = (h[20] << 24) | (h[21] << 16) | (h[22] << 8) | h[23];
            } else if (strcmp(u->ext, "gif") == 0 && n >= 10) {
                u->width = h[6] | (h[7] << 8);
                u->height = h[8] | (h[9] << 8);
            }
            return 0;
        }
    }
    return 415;
}

static void upload_fail(struct gz_req *req, int status)
{
    if (!req->upload_error)
        req->upload_error = status;
    if (req->upload_file) {
        fclose(req->upload_file);
        req->upload_file = NULL;
    }
    if (req->upload.tmp_path[0]) {
        unlink(req->upload.tmp_path);
        req->upload.tmp_path[0] = '\0';
    }
    req->have_upload = 0;
}

static enum MHD_Result on_upload_data(struct gz_req *req, const char *key,
                                      const char *filename, const char *data,
                                      uint64_t off, size_t size)
{
    struct gz_upload *u = &req->upload;
    if (req->upload_error)
        return MHD_YES; /* keep reading (and dropping) the rest */
    if (off == 0 && req->upload_file &&
        (u->size > 0 || strcmp(u->field, key) != 0)) {
        /* A new file part while one is open: a second file, refused (one
         * file per request), never appended to the first. */
        upload_fail(req, 400);
        return MHD_YES;
    }
    if (off == 0 && !req->upload_file) {
        if (size == 0 && !filename[0])
            return MHD_YES; /* the file input was left empty */
        char dir[1040];
        snprintf(dir, sizeof dir, "%.1024s/media", req->app->cfg.data_dir);
        mkdir(req->app->cfg.data_dir, 0755);
        mkdir(dir, 0755);
        snprintf(u->tmp_path, sizeof u->tmp_path, "%s/.upload-XXXXXX", dir);
        int fd = mkstemp(u->tmp_path);
        if (fd < 0 || !(req->upload_file = fdopen(fd, "wb"))) {
            gz_log_err(1106, "request %s: cannot create %s: %s", req->id,
                       u->tmp_path, strerror(errno));
            if (fd >= 0)
                close(fd);
            u->tmp_path[0] = '\0';
            upload_fail(req, 500);
            return MHD_YES;
        }
        snprintf(u->field, sizeof u->field, "%s", key);
        snprintf(u->filename, sizeof u->filename, "%s", filename);
        crypto_hash_sha256_init(&req->upload_sha);
        req->have_upload = 1;
    }
    if (!req->upload_file)
        return MHD_YES;
    /* Keep the first bytes to decide the type once there are enough. */
    if (u->size < (long long)sizeof req->upload_head) {
        size_t take = sizeof req->upload_head - (size_t)u->size;
        if (take > size)
            take = size;
        memcpy(req->upload_head + u->size, data, take);
    }
    u->size += (long long)size;
    if (u->size > req->app->cfg.max_upload_bytes) {
        upload_fail(req, 413); /* decided while streaming, nothing kept */
        return MHD_YES;
    }
    crypto_hash_sha256_update(&req->upload_sha, (const unsigned char *)data,
                              size);
    if (size && fwrite(data, 1, size, req->upload_file) != size) {
        upload_fail(req, 500);
        return MHD_YES;
    }
    return MHD_YES;
}

/* After the body: type check, hash, close. 0 or an error status. */
static int upload_finish(struct gz_req *req)
{
    struct gz_upload *u = &req->upload;
    if (req->upload_error)
        return req->upload_error;
    if (!req->upload_file)
        return 0;
    int bad = fclose(req->upload_file) != 0;
    req->upload_file = NULL;
    if (bad) {
        upload_fail(req, 500);
        return 500;
    }
    size_t n = u->size < (long long)sizeof req->upload_head
                   ? (size_t)u->size
                   : sizeof req->upload_head;
    int st = u->size == 0 ? 400 : sniff_image(u, req->upload_head, n);
    if (st) {
        upload_fail(req, st);
        return st;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&req->upload_sha, h);
    gz_hex(h, sizeof h, u->sha256);
    return 0;
}

/* Stores the field being collected into req->form (the first value of a
 * name wins, as with query parameters). */
static void flush_field(struct gz_req *req)
{
    if (!req->field_key)
        return;
    if (!req->form)
        req->form = json_object();
    if (req->form && !json_object_get(req->form, req->field_key))
        json_object_set_new(req->form, req->field_key,
                            json_stringn(gz_buf_cstr(&req->field_val),
                                         req->field_val.len));
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
    if (filename && req->route && (req->route->flags & GZ_R_UPLOAD))
        return on_upload_data(req, key, filename, data, off, size);
    if (filename)
        return MHD_YES; /* files where none is expected are dropped */
    /* A value may arrive in several pieces, in order: collect them in a
     * buffer (linear, not re-copied per piece) and store the field when
     * the next one starts or the body ends. */
    if (off == 0 || !req->field_key || strcmp(req->field_key, key) != 0) {
        flush_field(req);
        req->field_key = strdup(key);
        if (!req->field_key)
            return MHD_NO;
    }
    if (gz_buf_append(&req->field_val, data, size) != 0)
        return MHD_NO;
    return MHD_YES;
}

static unsigned method_bit(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } map[] = {{"GET", GZ_GET},     {"HEAD", GZ_HEAD},
               {"POST", GZ_POST},   {"PUT", GZ_PUT},
               {"PATCH", GZ_PATCH}, {"DELETE", GZ_DELETE},
               {"OPTIONS", GZ_OPTIONS}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(m, map[i].name) == 0)
            return map[i].bit;
    return 0;
}

/* Decodes the raw path. SECURITY: rejects NUL, control characters,
 * invalid UTF-8 and dot segments after decoding, so "/static/%2e%2e/"
 * and friends never reach a handler. Returns 0 or 400. */
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

static void error_resp(struct gz_req *req, struct gz_resp *resp, int status,
                       const char *msg)
{
    gz_respond_error(req, resp, status, msg);
    resp->cache = GZ_CACHE_NO_STORE;
    resp->cacheable = 0;
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

/* The session of the cookie, if any, into req->user. */
static void load_user(struct gz_req *req)
{
    const char *token = gz_req_cookie(req, "gz_session");
    if (!token || strlen(token) != 64)
        return;
    struct gz_db *db = gz_req_db(req);
    struct gz_session_user su;
    if (!db || gz_store_session_get(db, token, &su) != 0)
        return;
    req->user.id = su.id;
    snprintf(req->user.email, sizeof req->user.email, "%s", su.email);
    snprintf(req->user.name, sizeof req->user.name, "%s", su.name);
    snprintf(req->user.slug, sizeof req->user.slug, "%s", su.slug);
    snprintf(req->user.csrf, sizeof req->user.csrf, "%s", su.csrf);
    req->user.role = strcmp(su.role, "admin") == 0    ? GZ_ROLE_ADMIN
                     : strcmp(su.role, "editor") == 0 ? GZ_ROLE_EDITOR
                                                      : GZ_ROLE_AUTHOR;
    req->have_user = 1;
}

/* The rules about who is asking, checked as soon as the headers are in
 * (SECURITY: before any body is read, so nobody can make Gazette store
 * an upload or a large form without the right to send it): session,
 * sign-in, the route's role, the origin of unsafe requests. Returns 0 to
 * go on, or fills resp. */
static int guard_identity(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_route *r = req->route;
    int unsafe = !(req->method & (GZ_GET | GZ_HEAD));
    if ((r->flags & GZ_R_ADMIN) || r->role > GZ_ROLE_NONE)
        load_user(req);
    if (r->role > GZ_ROLE_NONE && !req->have_user) {
        if (gz_req_wants_json(req)) {
            gz_respond_error(req, resp, 401, "Sign in first.");
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
        gz_respond_error(req, resp, 403,
                         r->role == GZ_ROLE_ADMIN
                             ? "Only an admin can do that."
                             : "Only an editor or admin can do that.");
        return 403;
    }
    if (unsafe && cross_origin(req)) {
        gz_respond_error(req, resp, 403,
                         "This form was sent from another site, so it was "
                         "refused.");
        return 403;
    }
    return 0;
}

/* The rules about what was sent, once the body is in: the CSRF token of
 * admin forms, then the upload's checks. Returns 0 or fills resp. */
static int guard_body(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_route *r = req->route;
    int unsafe = !(req->method & (GZ_GET | GZ_HEAD));
    flush_field(req);
    if (unsafe && (r->flags & GZ_R_CSRF)) {
        const char *token = json_string_value(json_object_get(req->form, "csrf"));
        if (!token)
            token = gz_req_header(req, "X-CSRF-Token");
        if (!req->have_user || !token || strlen(token) != 64 ||
            sodium_memcmp(token, req->user.csrf, 64) != 0) {
            gz_respond_error(req, resp, 403,
                             "The form has expired or did not come from this "
                             "site. Reload the page and try again.");
            return 403;
        }
    }
    int st = upload_finish(req);
    if (st) {
        gz_respond_error(req, resp, st,
                         st == 415 ? "Only JPEG, PNG, WebP and GIF images "
                                     "are accepted."
                         : st == 413 ? "The file is larger than the upload "
                                       "limit."
                                     : NULL);
        return st;
    }
    return 0;
}

static enum MHD_Result answer(struct gz_req *req)
{
    struct gz_resp resp = {0};
    resp.status = 200;
    enum MHD_Result ret;
    char key[1100];
    const char *cache_key = NULL;
    long long version = 0, changed_at = 0;

    if (req->early_status) {
        error_resp(req, &resp, req->early_status, NULL);
        goto send;
    }
    const struct gz_route *r = req->route;
    /* The page cache: anonymous GET/HEAD of cacheable routes. */
    if ((r->flags & GZ_R_CACHEABLE) && req->app->cache &&
        strlen(req->uri) < 1000) {
        struct gz_db *db = gz_req_db(req);
        if (db && gz_store_content_version(db, &version, &changed_at) == 0) {
            /* JSON and HTML of one URL are two entries. */
            snprintf(key, sizeof key, "%s|%c", req->uri,
                     gz_req_wants_json(req) ? 'j' : 'h');
            cache_key = key;
            if (serve_cached(req, key, version, &ret))
                return ret;
            atomic_fetch_add(&m_cache_misses, 1);
        }
    }
    if (guard_body(req, &resp) != 0)
        goto send;
    int status = r->handler(req, &resp);
    if (status >= 400) {
        error_resp(req, &resp, status, NULL);
    } else if ((r->flags & GZ_R_CACHEABLE) && resp.status == 200) {
        if (resp.cache == GZ_CACHE_NO_STORE)
            resp.cache = GZ_CACHE_PUBLIC;
        resp.cacheable = 1;
        if (!resp.last_modified)
            resp.last_modified = changed_at;
    }
send:
    ret = finish(req, &resp, resp.cacheable ? cache_key : NULL, version);
    free(resp.body);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct gz_req *req = *req_cls;
    if (!req)
        return MHD_NO;
    if (req->phase == 0) {
        req->phase = 1;
        req->method_name = method;
        req->method = method_bit(method);
        struct gz_app *app = req->app;
        if (strlen(req->uri) > (size_t)app->cfg.max_url_bytes) {
            req->path = strdup("/");
            req->early_status = 414;
            return answer(req); /* now: the body is never read */
        }
        int st = decode_path(req);
        /* RFC 9112: an HTTP/1.1 request without Host is a 400. */
        if (!st && strcmp(version, "HTTP/1.1") == 0 &&
            !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host"))
            st = 400;
        if (st) {
            if (!req->path)
                req->path = strdup("/");
            req->early_status = st;
            return answer(req); /* now: the body is never read */
        }
        unsigned allowed = 0;
        req->route = gz_route_match(req->path, req->method, &allowed,
                                    req->scratch, strlen(req->path) + 1,
                                    req->params);
        if (req->route)
            req->route_index = (int)(req->route - gz_routes);
        if (!req->route) {
            req->early_status = allowed ? 405 : 404;
            return answer(req); /* now: the body is never read */
        }
        struct gz_resp early = {0};
        early.status = 200;
        if (guard_identity(req, &early) != 0) {
            enum MHD_Result ret = finish(req, &early, NULL, 0);
            free(early.body);
            return ret;
        }
        req->body_limit = req->route->body_limit
                              ? req->route->body_limit
                              : app->cfg.max_form_bytes;
        if (req->route->flags & GZ_R_UPLOAD)
            req->body_limit += app->cfg.max_upload_bytes;
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                        MHD_HTTP_HEADER_CONTENT_LENGTH);
        long long clen;
        if (cl && gz_parse_int(cl, 0, 1LL << 62, &clen) == 0 &&
            clen > req->body_limit) {
            req->early_status = 413;
            return answer(req); /* now: the body is never read */
        }
        if (req->route->flags & GZ_R_FORM) {
            req->pp = MHD_create_post_processor(conn, 16384, on_post_field,
                                                req);
            /* No form content type: fields stay empty, handlers say what
             * is missing. */
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        req->body_seen += (long long)*upload_data_size;
        if (!req->early_status && req->body_seen > req->body_limit)
            req->early_status = 413;
        if (!req->early_status) {
            if (req->pp) {
                if (MHD_post_process(req->pp, upload_data,
                                     *upload_data_size) != MHD_YES)
                    req->early_status = 400;
            } else if (req->route && (req->route->flags & GZ_R_JSON)) {
                if (gz_buf_append(&req->body, upload_data, *upload_data_size))
                    req->early_status = 503;
            }
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return answer(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **req_cls, enum MHD_RequestTerminationCode toe)
{
    struct gz_req *req = *req_cls;
    if (!req)
        return;
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    long long us = (end.tv_sec - req->start.tv_sec) * 1000000LL +
                   (end.tv_nsec - req->start.tv_nsec) / 1000;
    if (req->status) {
        count_request(req, us / 1e6);
        if (req->app->cfg.access_log) {
            char line[1400];
            const char *q = strchr(req->uri, '?');
            snprintf(line, sizeof line, "%s %.*s %d %zu %lldus %s%s",
                     req->method_name ? req->method_name : "-",
                     (int)(q ? q - req->uri : (long)strlen(req->uri)) > 1024
                         ? 1024
                         : (int)(q ? q - req->uri : (long)strlen(req->uri)),
                     req->uri, req->status, req->bytes, us, req->id,
                     req->cache_hit ? " hit" : "");
            /* The path is the client's: keep the log line one line. */
            for (char *p = line; *p; p++)
                if ((unsigned char)*p < 0x20)
                    *p = '?';
            gz_log_access(line);
        }
    }
    if (req->pp)
        MHD_destroy_post_processor(req->pp);
    if (req->upload_file)
        fclose(req->upload_file);
    if (req->upload.tmp_path[0])
        unlink(req->upload.tmp_path); /* not taken by the handler */
    json_decref(req->form);
    json_decref(req->query);
    free(req->field_key);
    gz_buf_free(&req->field_val);
    gz_buf_free(&req->body);
    free(req->uri);
    free(req->path);
    free(req->scratch);
    free(req);
    *req_cls = NULL;
    atomic_fetch_sub(&in_flight, 1);
}

static void on_panic(void *cls, const char *file, unsigned int line,
                     const char *reason)
{
    gz_log_err(1101, "libmicrohttpd failure at %s:%u: %s", file, line,
               reason ? reason : "");
    abort();
}

/* ---- the background thread: scheduled publishing ---------------------- */

static int stop_requested; /* under bg_lock */
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_cond = PTHREAD_COND_INITIALIZER;

static void *background(void *arg)
{
    struct gz_app *app = arg;
    struct gz_db *db =
        gz_db_open(app->cfg.db_path, GZ_DB_READWRITE, app->cfg.synchronous);
    if (!db)
        return NULL;
    pthread_mutex_lock(&bg_lock);
    while (!stop_requested) {
        pthread_mutex_unlock(&bg_lock);
        int n = gz_store_publish_due(db);
        if (n > 0)
            gz_log_info(1102, "published %d scheduled stories", n);
        pthread_mutex_lock(&bg_lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 2;
        if (!stop_requested)
            pthread_cond_timedwait(&bg_cond, &bg_lock, &until);
    }
    pthread_mutex_unlock(&bg_lock);
    gz_db_close(db);
    return NULL;
}

int gz_server_run(struct gz_app *app)
{
    struct gz_config *cfg = &app->cfg;
    unsigned char rnd[4];
    gz_random(rnd, sizeof rnd);
    memcpy(&req_prefix, rnd, sizeof req_prefix);
    if (cfg->page_cache)
        app->cache = cache_new();

    struct sockaddr_storage ss = {0};
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    socklen_t slen;
    if (inet_pton(AF_INET, cfg->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->port);
        slen = sizeof *sin;
    } else if (inet_pton(AF_INET6, cfg->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
        slen = sizeof *sin6;
    } else {
        fprintf(stderr, "gazette: server.host: \"%s\" is not an IP address\n",
                cfg->host);
        return 1;
    }
    (void)slen;
    char *cert = NULL, *key = NULL;
    if (cfg->tls_cert[0]) {
        cert = gz_read_file(cfg->tls_cert, NULL);
        key = gz_read_file(cfg->tls_key, NULL);
        if (!cert || !key) {
            fprintf(stderr, "gazette: server.tls_cert/tls_key: cannot read "
                            "%s or %s\n",
                    cfg->tls_cert, cfg->tls_key);
            free(cert);
            free(key);
            return 1;
        }
        flags |= MHD_USE_TLS;
    }
    /* Default: four workers per core. A worker serves its connections one
     * request at a time, so a few extra keep a slow query (a rare search)
     * from holding up the cached pages behind it. */
    unsigned threads = cfg->threads > 0
                           ? (unsigned)cfg->threads
                           : 4 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    MHD_set_panic_func(on_panic, NULL);
    /* Block the stop signals before any thread starts, so every thread
     * inherits the mask and the main thread alone takes them (sigwait). */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_SOCK_ADDR, 0, &ss},
        {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT,
         (intptr_t)cfg->per_ip_connections, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, app},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)on_unescape, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, NULL},
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_ARRAY, 0, cert},
        {cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_ARRAY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    /* Without TLS the two TLS slots become an empty MHD_OPTION_ARRAY. */
    struct MHD_OptionItem empty[] = {{MHD_OPTION_END, 0, NULL}};
    if (!cert) {
        opts[9].ptr_value = empty;
        opts[10].ptr_value = empty;
    }
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, on_request, app,
                         MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr,
                "gazette: cannot listen on %s:%d (in use, or not allowed)\n",
                cfg->host, cfg->port);
        free(cert);
        free(key);
        cache_free(app->cache);
        return 1;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info ? info->port : cfg->port;
    if (!cfg->base_url[0])
        snprintf(app->base_url, sizeof app->base_url, "%s://%s:%d",
                 cert ? "https" : "http", cfg->host, port);
    gz_log_info(1103, "Gazette %s listening on %s://%s:%d (%u threads)",
                GZ_VERSION, cert ? "https" : "http", cfg->host, port, threads);

    pthread_t bg;
    int bg_ok = pthread_create(&bg, NULL, background, app) == 0;
    if (gz_mail_start(app) != 0)
        gz_log_err(1107, "the mail sender did not start; mail stays queued");
    int sig = 0;
    sigwait(&stop_set, &sig);
    gz_log_info(1104, "%s: shutting down, finishing requests in flight",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    /* Stop accepting, then let answers in flight finish: wait (up to 10
     * seconds) until no request is between its first byte and its last
     * response byte, so a long response is not cut off; idle keep-alive
     * connections are then closed by MHD_stop_daemon. */
    MHD_quiesce_daemon(d);
    for (int waited = 0; waited < 200; waited++) {
        if (atomic_load(&in_flight) == 0)
            break;
        struct timespec ms50 = {0, 50 * 1000 * 1000};
        nanosleep(&ms50, NULL);
    }
    MHD_stop_daemon(d);
    pthread_mutex_lock(&bg_lock);
    stop_requested = 1;
    pthread_cond_broadcast(&bg_cond);
    pthread_mutex_unlock(&bg_lock);
    if (bg_ok)
        pthread_join(bg, NULL);
    gz_mail_stop();
    close_all_dbs();
    cache_free(app->cache);
    app->cache = NULL;
    free(cert);
    free(key);
    gz_log_info(1105, "stopped cleanly");
    return 0;
}
