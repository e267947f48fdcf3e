/*
 * respond.c - turning a filled struct gz_resp into what goes on the wire:
 * the gz_resp_* helpers handlers fill it with, the security headers every
 * answer carries, Cache-Control / ETag / Last-Modified and the 304 answer
 * to a current copy, gzip of text bodies, Vary, the CORS and
 * WWW-Authenticate headers guard.c decided, and the error answers of the
 * server, which go through app->render_error so that this layer knows
 * nothing of pages or JSON error shapes.
 *
 * Answers from a file (gz_resp.file_open: media, large static files) go
 * out through MHD_create_response_from_fd64, which sends from the file
 * descriptor (sendfile) without holding the file in memory: what an answer
 * costs does not depend on the file's size or on how many clients are
 * receiving it. They carry the handler's ETag, answer 304 like the rest,
 * and never enter the page cache.
 *
 * Threads: everything works on the calling worker's own request; the only
 * shared data are the reference-counted bodies of the page cache.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libdeflate.h>
#include <pthread.h>

#include "gazette/cdn.h"
#include "internal.h"

#define GZIP_MIN 1024

/* ---- the handlers' helpers ----------------------------------------------- */

void gz_resp_dep(struct gz_resp *resp, const char *fmt, ...)
{
    char k[120];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(k, sizeof k, fmt, ap);
    va_end(ap);
    size_t have = strlen(resp->deps);
    if (n <= 0 || (size_t)n >= sizeof k || strchr(k, '\n') ||
        have + (have > 0) + (size_t)n >= sizeof resp->deps) {
        resp->deps_over = 1; /* kept as depending on everything */
        return;
    }
    if (have)
        resp->deps[have++] = '\n';
    memcpy(resp->deps + have, k, (size_t)n + 1);
}

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

/* ---- shared bodies ------------------------------------------------------- */

struct gz_http_blob *gz_http_blob_new(const void *data, size_t len)
{
    struct gz_http_blob *b = malloc(sizeof *b + len);
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    memcpy(b->data, data, len);
    return b;
}

struct gz_http_blob *gz_http_gunzip(const struct gz_http_blob *z,
                                    size_t plain_len)
{
    struct gz_http_blob *b = malloc(sizeof *b + plain_len);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t got = 0;
    if (!b || !d ||
        libdeflate_gzip_decompress(d, z->data, z->len, b->data, plain_len,
                                   &got) != LIBDEFLATE_SUCCESS ||
        got != plain_len) {
        libdeflate_free_decompressor(d);
        free(b);
        return NULL;
    }
    libdeflate_free_decompressor(d);
    atomic_init(&b->refs, 1);
    b->len = plain_len;
    return b;
}

void gz_http_blob_unref(void *cls)
{
    struct gz_http_blob *b = cls;
    if (b && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

/* ---- headers ------------------------------------------------------------- */

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
    return ctype && (strncmp(ctype, "text/", 5) == 0 || strstr(ctype, "json") ||
                     strstr(ctype, "xml") || strstr(ctype, "javascript") ||
                     strstr(ctype, "svg"));
}

int gz_http_accepts_gzip(struct gz_req *req)
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
/* gzip at libdeflate's level 4: on a 27 KB story page 118 us where its
 * level 6 takes 180 us (and zlib's more) for 1.8% more bytes (issue 8:
 * every cache miss pays it; a hit sends the kept bytes).
 * A compressor is not thread-safe and costs a few hundred KiB to set up,
 * so each thread keeps one, freed when the thread ends. */
static pthread_key_t deflater_key;
static pthread_once_t deflater_once = PTHREAD_ONCE_INIT;

static void deflater_free(void *p)
{
    libdeflate_free_compressor(p);
}

static void deflater_init(void)
{
    pthread_key_create(&deflater_key, deflater_free);
}

static unsigned char *gzip_bytes(const void *data, size_t len, size_t *out_len)
{
    pthread_once(&deflater_once, deflater_init);
    struct libdeflate_compressor *z = pthread_getspecific(deflater_key);
    if (!z) {
        z = libdeflate_alloc_compressor(4);
        if (!z || pthread_setspecific(deflater_key, z) != 0) {
            libdeflate_free_compressor(z);
            return NULL;
        }
    }
    size_t cap = libdeflate_gzip_compress_bound(z, len);
    unsigned char *out = malloc(cap);
    if (!out)
        return NULL;
    *out_len = libdeflate_gzip_compress(z, data, len, out, cap);
    if (*out_len == 0 || *out_len >= len) {
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
/* The Last-Modified an answer may show: none while its second is not
 * over. Two versions of a page made within one second would share a date
 * (HTTP dates are whole seconds), and a client holding the older one
 * would be told by If-Modified-Since that it is current; a version made
 * in the second of its last change goes without a date, so no client
 * holds a date that two versions share (docs/DECISIONS.md). */
static long long shown_lm(long long lm)
{
    return lm > 0 && lm < (long long)time(NULL) ? lm : 0;
}

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
    char buf[160];
    switch (cache) {
    case GZ_CACHE_PUBLIC: {
        /* max-age 0 (the default): browsers revalidate with the ETag on
         * every view, so a correction reaches a reader at once, at the
         * cost of a 304. A cache in front may keep the page for s-maxage
         * (cdn.s_maxage) because it is told when the page changes
         * (src/cdn/purge.c); its stale-while-revalidate goes in the
         * headers only such caches read (RFC 9213's CDN-Cache-Control,
         * and Surrogate-Control), never to browsers, which must not show
         * an old copy. */
        int n = snprintf(buf, sizeof buf, "public, max-age=%d%s",
                         app->cfg.cache_max_age,
                         app->cfg.cache_max_age == 0 ? ", must-revalidate"
                                                     : "");
        if (app->cfg.cdn_s_maxage)
            snprintf(buf + n, sizeof buf - (size_t)n, ", s-maxage=%d",
                     app->cfg.cdn_s_maxage);
        MHD_add_response_header(r, "Cache-Control", buf);
        if (app->cfg.cdn_s_maxage && app->cfg.cdn_stale_while_revalidate) {
            snprintf(buf, sizeof buf, "max-age=%d, stale-while-revalidate=%d",
                     app->cfg.cdn_s_maxage,
                     app->cfg.cdn_stale_while_revalidate);
            MHD_add_response_header(r, "CDN-Cache-Control", buf);
            MHD_add_response_header(r, "Surrogate-Control", buf);
        }
        break;
    }
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

/* What a public answer was built from, for the caches in front: one list
 * (cdn.h), space-separated as Surrogate-Key (Varnish, Fastly) and
 * comma-separated as Cache-Tag (Cloudflare, Akamai). */
static void add_surrogate_keys(struct MHD_Response *r, const char *deps)
{
    char keys[sizeof((struct gz_resp *)0)->deps + 16];
    gz_cdn_surrogate_keys(deps, keys, sizeof keys);
    MHD_add_response_header(r, "Surrogate-Key", keys);
    for (char *k = keys; *k; k++)
        if (*k == ' ')
            *k = ',';
    MHD_add_response_header(r, "Cache-Tag", keys);
}

/* One Vary header for what the answer depends on besides the URL. */
static void add_vary(const struct gz_req *req, struct MHD_Response *r,
                     const char *ctype)
{
    char vary[96] = "";
    if (req->api) {
        /* The API answers JSON whatever Accept says; what a caller may
         * see depends on its credentials, and with listed CORS origins
         * the headers depend on Origin. */
        if (is_text(ctype))
            snprintf(vary, sizeof vary,
                     "Accept-Encoding, Authorization, "
                     "Cookie");
        if (req->app->cfg.api_cors_origins[0])
            snprintf(vary + strlen(vary), sizeof vary - strlen(vary), "%s",
                     vary[0] ? ", Origin" : "Origin");
    } else if (is_text(ctype)) {
        /* Pages answer JSON to Accept: application/json, so caches must
         * key on Accept as well as on Accept-Encoding. */
        snprintf(vary, sizeof vary, "Accept, Accept-Encoding");
    }
    if (vary[0])
        MHD_add_response_header(r, "Vary", vary);
}

/* The headers that depend on this request rather than on the body:
 * the request id, CORS, and the challenge of a 401 under /api/. */
static void add_request_headers(struct gz_req *req, struct MHD_Response *r,
                                int status)
{
    MHD_add_response_header(r, "X-Request-Id", req->id);
    gz_http_cors_headers(req, r);
    if (status == 401 && (req->www_auth || req->api))
        MHD_add_response_header(r, "WWW-Authenticate",
                                req->www_auth ? req->www_auth : "Bearer");
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

static enum MHD_Result queue_304(struct gz_req *req, const char *etag,
                                 const char *ctype, enum gz_cache cache,
                                 long long lm)
{
    /* NOTE: libmicrohttpd 0.9.75 always writes "Content-Length: 0" on a
     * response with no body, 304 included (RFC 9110 8.6 wants it absent
     * or equal to the 200's); setting it by hand only adds a second
     * header, and a body of unknown size turns on chunked encoding, which
     * a 304 must not have. Clients ignore it, as a 304 never has a body.
     * Newer libmicrohttpd leaves it out. */
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    add_common_headers(r);
    add_cache_headers(req->app, r, cache, etag, lm);
    add_vary(req, r, ctype);
    add_request_headers(req, r, 304);
    enum MHD_Result ret = queue(req, 304, r, 0);
    MHD_destroy_response(r);
    return ret;
}

/* Allow (a 405's from the route table), Location, Set-Cookie,
 * Content-Disposition and Retry-After from extra (may be NULL). */
static void add_extra_headers(struct gz_req *req, struct MHD_Response *r,
                              int status, const struct gz_resp *extra)
{
    char allow[96] = "";
    if (extra && extra->allow[0])
        snprintf(allow, sizeof allow, "%s", extra->allow);
    else if (status == 405)
        gz_methods_str(req->allowed, allow, sizeof allow);
    if (allow[0])
        MHD_add_response_header(r, "Allow", allow);
    if (extra) {
        if (extra->location[0])
            MHD_add_response_header(r, "Location", extra->location);
        for (int c = 0; c < 2; c++)
            if (extra->cookies[c][0])
                MHD_add_response_header(r, "Set-Cookie", extra->cookies[c]);
        if (extra->disposition[0])
            MHD_add_response_header(r, "Content-Disposition",
                                    extra->disposition);
        if (extra->retry_after > 0) {
            char ra[16];
            snprintf(ra, sizeof ra, "%d", extra->retry_after);
            MHD_add_response_header(r, "Retry-After", ra);
        }
    }
}

enum MHD_Result gz_http_send_answer(struct gz_req *req, int status,
                                    const struct gz_http_answer *a,
                                    const struct gz_resp *extra)
{
    int gz = a->gzip && gz_http_accepts_gzip(req);
    char etag[48] = "";
    if (a->etag[0])
        variant_etag(a->etag, gz, etag);
    long long lm = shown_lm(a->last_modified);
    if (status == 200 && etag[0] && not_modified(req, etag, lm))
        return queue_304(req, etag, a->content_type, a->cache, lm);
    struct gz_http_blob *b = gz ? a->gzip : a->plain;
    atomic_fetch_add(&b->refs, 1);
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback_cls(
            b->len, b->data, gz_http_blob_unref, b);
    if (!r) {
        gz_http_blob_unref(b);
        return MHD_NO;
    }
    add_common_headers(r);
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    if (a->content_type)
        MHD_add_response_header(r, "Content-Type", a->content_type);
    add_cache_headers(req->app, r, a->cache, etag, lm);
    if (a->cache == GZ_CACHE_PUBLIC)
        add_surrogate_keys(r, a->deps);
    add_vary(req, r, a->content_type);
    add_request_headers(req, r, status);
    add_extra_headers(req, r, status, extra);
    enum MHD_Result ret = queue(req, status, r, b->len);
    MHD_destroy_response(r);
    return ret;
}

/* Closes the file of a file answer that will not be sent (NOTE: 0 is a
 * valid descriptor, so file_open says whether there is one). */
static void drop_file(struct gz_resp *resp)
{
    if (resp->file_open) {
        close(resp->file_fd);
        resp->file_open = 0;
        resp->file_fd = -1;
    }
}

/* A file answer: the handler's ETag and a 304 for a current copy, else
 * the file itself, sent from its descriptor. Consumes resp's file. */
static enum MHD_Result send_file(struct gz_req *req, struct gz_resp *resp)
{
    const char *etag = resp->cache != GZ_CACHE_NO_STORE ? resp->etag : "";
    if (resp->status == 200 && etag[0] &&
        not_modified(req, etag, shown_lm(resp->last_modified))) {
        drop_file(resp);
        return queue_304(req, etag, resp->content_type, resp->cache,
                         shown_lm(resp->last_modified));
    }
    uint64_t size = resp->file_size > 0 ? (uint64_t)resp->file_size : 0;
    /* MHD owns the descriptor from here: it closes it when the response
     * is destroyed, after the last byte went out (or the client left). */
    struct MHD_Response *r = MHD_create_response_from_fd64(size, resp->file_fd);
    if (!r) {
        drop_file(resp);
        return MHD_NO;
    }
    resp->file_open = 0;
    resp->file_fd = -1;
    add_common_headers(r);
    if (resp->content_type)
        MHD_add_response_header(r, "Content-Type", resp->content_type);
    add_cache_headers(req->app, r, resp->cache, etag,
                      shown_lm(resp->last_modified));
    add_vary(req, r, resp->content_type);
    add_request_headers(req, r, resp->status);
    add_extra_headers(req, r, resp->status, resp);
    enum MHD_Result ret = queue(req, resp->status, r, (size_t)size);
    MHD_destroy_response(r);
    return ret;
}

enum MHD_Result gz_http_finish(struct gz_req *req, struct gz_resp *resp,
                               const char *key, long long built)
{
    /* SECURITY: what an API caller sees with credentials (drafts, the
     * moderation queue) is theirs: never kept here nor by any cache. */
    if (req->api && req->auth != GZ_AUTH_NONE) {
        resp->cache = GZ_CACHE_NO_STORE;
        resp->cacheable = 0;
    }
    if (resp->file_open)
        return send_file(req, resp);
    struct gz_http_answer a = {0};
    const void *data = resp->static_body ? (const void *)resp->static_body
                                         : (const void *)resp->body;
    a.plain = gz_http_blob_new(data ? data : "", resp->len);
    if (!a.plain)
        return MHD_NO;
    a.content_type = resp->content_type;
    a.cache = resp->cache;
    a.last_modified = resp->last_modified;
    a.deps = resp->deps[0] && !resp->deps_over ? resp->deps : NULL;
    if (resp->status == 200 && resp->cache != GZ_CACHE_NO_STORE) {
        size_t n = strlen(resp->etag);
        if (n > 0 && n < sizeof a.etag)
            memcpy(a.etag, resp->etag, n + 1);
        else
            etag_of(a.plain->data, a.plain->len, a.etag);
    }
    if (req->app->cfg.gzip && resp->len >= GZIP_MIN &&
        is_text(resp->content_type)) {
        size_t zlen;
        unsigned char *z = gzip_bytes(a.plain->data, a.plain->len, &zlen);
        if (z) {
            a.gzip = gz_http_blob_new(z, zlen);
            free(z);
        }
    }
    enum MHD_Result ret = gz_http_send_answer(req, resp->status, &a, resp);
    struct gz_page_cache *c = req->app->cache;
    if (key && c && resp->status == 200 && resp->cacheable) {
        /* takes our references; a page that named no keys, or more than
         * fit, is stale after any change */
        gz_http_cache_put(c, key, built,
                          resp->deps[0] && !resp->deps_over ? resp->deps
                                                            : NULL,
                          &a);
        return ret;
    }
    gz_http_blob_unref(a.plain);
    gz_http_blob_unref(a.gzip);
    return ret;
}

void gz_http_error(struct gz_req *req, struct gz_resp *resp, int status,
                   const char *message)
{
    drop_file(resp); /* a handler that opened a file, then failed */
    if (req->app->render_error) {
        req->app->render_error(req, resp, status, message, NULL);
    } else {
        /* No renderer (a test harness): the status line says it all. */
        char *body = strdup(message ? message : "error\n");
        gz_resp_take(resp, status, "text/plain; charset=utf-8", body,
                     body ? strlen(body) : 0);
    }
    resp->cache = GZ_CACHE_NO_STORE;
    resp->cacheable = 0;
}
