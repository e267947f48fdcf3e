/*
 * internal.h - what the files of src/http share and nothing outside it
 * sees: the request object, the shared answer bodies of the page cache,
 * and the functions one http file offers another. Every name here starts
 * with gz_http_ (or is a struct of this layer); handlers use http.h only.
 *
 * The files and their jobs:
 *   server.c   daemon options, start, signals, graceful stop, scheduler
 *   request.c  the request object's life, accessors, query/form/path
 *              decoding, the three-phase access handler, the access log
 *   respond.c  finishing answers: headers, gzip, ETag, 304, errors
 *   cache.c    the page cache of finished answers
 *   guard.c    who is asking: session, API token, role, origin, CSRF, CORS
 *   upload.c   streamed uploads and their magic-byte check
 *   metrics.c  counters and the Prometheus text
 *   dbpool.c   per-thread SQLite connections
 */
#ifndef GAZETTE_HTTP_INTERNAL_H
#define GAZETTE_HTTP_INTERNAL_H

#include <microhttpd.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "gazette/http.h"

/* How the request proved who it is (gz_req_auth). */
enum gz_http_auth {
    GZ_AUTH_NONE = 0,
    GZ_AUTH_SESSION = 1, /* the gz_session cookie */
    GZ_AUTH_BEARER = 2,  /* Authorization: Bearer <API token> */
};

/* Which CORS headers an answer carries (decided by guard.c). */
enum gz_http_cors {
    GZ_CORS_NONE = 0,
    GZ_CORS_ANY,    /* Access-Control-Allow-Origin: * */
    GZ_CORS_ORIGIN, /* the request's Origin, listed in api.cors_origins */
};

/*
 * One request, from MHD's first callback (on_uri) to NOTIFY_COMPLETED.
 * Owned by request.c: created in gz_http_on_uri, freed in
 * gz_http_on_completed, nothing else frees it. Touched only by the worker
 * thread serving the connection.
 */
struct gz_req {
    struct gz_app *app;
    struct MHD_Connection *conn;
    int fd; /* the connection's socket (server.c's table), or -1 */
    char id[20];
    struct timespec start;
    char *uri;     /* raw request target, as sent */
    char *path;    /* decoded path */
    char *scratch; /* route captures point in here */
    const char *params[4];
    unsigned method;
    const char *method_name;
    const struct gz_route *route;
    unsigned allowed;        /* methods the path accepts (the 405's Allow) */
    int api;                 /* the path is under /api/ */
    int phase;               /* 0: first call seen, 1: body phase */
    int early_status;        /* error decided before the body was read */
    int must_close;          /* the connection closes after this answer */
    char early_message[160]; /* what early_status says, or "" */
    long long body_limit;
    long long body_seen;
    struct gz_buf body; /* JSON bodies */
    struct MHD_PostProcessor *pp;
    json_t *form;
    char *field_key; /* the form field being collected */
    struct gz_buf field_val;
    json_t *query; /* decoded query parameters, built lazily */
    struct gz_user user;
    int have_user;
    enum gz_http_auth auth;
    enum gz_http_cors cors;
    int preflight;        /* an OPTIONS preflight of an /api/v1 path */
    const char *www_auth; /* WWW-Authenticate of a 401 (a literal) */
    char client[64];
    int forwarded_https; /* a trusted proxy said X-Forwarded-Proto: https */
    /* The upload of a GZ_R_UPLOAD route, streamed to a temporary file. */
    struct gz_upload upload;
    int have_upload;
    int upload_error; /* 413 or 415, decided while streaming */
    FILE *upload_file;
    unsigned char upload_head[32];
    crypto_hash_sha256_state upload_sha;
    int status; /* for the access log */
    size_t bytes;
    int cache_hit;
    int route_index;
};

/* ---- finished answers (respond.c), kept by the page cache (cache.c) ------ */

/* A body shared by the cache and the responses MHD is still sending:
 * whoever lets go last frees it. */
struct gz_http_blob {
    atomic_int refs;
    size_t len;
    unsigned char data[];
};

/* A finished answer: what the cache keeps, and what a hit is built from.
 * Every response gets its own headers (so its own X-Request-Id); only the
 * body bytes are shared. */
struct gz_http_answer {
    struct gz_http_blob *plain, *gzip; /* in the cache: plain is NULL when
                                          there is a gzip body */
    const char *content_type;
    enum gz_cache cache;
    char etag[40]; /* of the plain body; the gzip one adds -gz */
    long long last_modified;
    /* The dependency keys it was built from ("\n"-separated; NULL: every
     * change), for the Surrogate-Key of a public answer. Borrowed for the
     * send only: the cache keeps its own copy (cache_entry.deps). */
    const char *deps;
};

/* A blob holding a copy of data (refs 1), or NULL when out of memory. */
struct gz_http_blob *gz_http_blob_new(const void *data, size_t len);
/* The plain bytes (plain_len of them) of the gzip body z, in a new blob
 * (refs 1); NULL when out of memory or z is not that. */
struct gz_http_blob *gz_http_gunzip(const struct gz_http_blob *z,
                                    size_t plain_len);
/* 1 when req's Accept-Encoding takes gzip. */
int gz_http_accepts_gzip(struct gz_req *req);
/* Drops one reference (NULL is fine); an MHD free callback too. */
void gz_http_blob_unref(void *blob);

/* Queues one answer for req: the gzip or plain body with its own headers,
 * or a 304 when the client's copy is current. extra (may be NULL) adds
 * Location, Set-Cookie, Allow, Content-Disposition and Retry-After.
 * Borrows a (takes its own body reference). */
enum MHD_Result gz_http_send_answer(struct gz_req *req, int status,
                                    const struct gz_http_answer *a,
                                    const struct gz_resp *extra);
/* Sends resp (the caller still frees resp->body); when key is set and the
 * answer may be cached, the page cache keeps it, built after change
 * `built` from the keys resp->deps names. */
enum MHD_Result gz_http_finish(struct gz_req *req, struct gz_resp *resp,
                               const char *key, long long built);
/* Fills resp with the error answer of status through app->render_error,
 * never cacheable; 405 gets its Allow. message may be NULL. */
void gz_http_error(struct gz_req *req, struct gz_resp *resp, int status,
                   const char *message);

/* ---- the page cache (cache.c) -------------------------------------------- */

/* A cache of 64 MiB of bodies; set_limit changes that (server.c, from
 * server.page_cache_bytes). */
struct gz_page_cache *gz_http_cache_new(void);
void gz_http_cache_set_limit(struct gz_page_cache *c, long long max_bytes);
void gz_http_cache_free(struct gz_page_cache *c);
/* Reads the page changes logged since the last read (db's), when `last`
 * (gz_store_changes_last) is newer: afterwards an entry is fresh while no
 * key it was built from changed. Returns the last change read: what an
 * answer built from now on was built after. Thread-safe. */
long long gz_http_cache_sync(struct gz_page_cache *c, struct gz_db *db,
                             long long last);
/* The last change read (for pruning the ones read). */
long long gz_http_cache_synced(struct gz_page_cache *c);
/* Serves the entry of key when it is fresh: 1 (and *ret), or 0 when there
 * is none. Counts the hit. */
int gz_http_cache_serve(struct gz_req *req, const char *key,
                        enum MHD_Result *ret);
/* Keeps a under key; the cache takes the caller's references of a. It
 * keeps at most max_bytes of bodies: older entries make room, and an
 * answer larger than an eighth of it is not kept (its references are
 * dropped). */
void gz_http_cache_put(struct gz_page_cache *c, const char *key,
                       long long built, const char *deps,
                       const struct gz_http_answer *a);
/* The cache key of req (a cacheable route, headers in) into key: 1 when
 * the target is canonical for its route (known parameters, each once,
 * with canonical values; any order), 0 when the answer must not be kept.
 * The key is the decoded path and the parameters sorted by name and
 * re-encoded, so one meaning has one entry whatever the spelling. */
int gz_http_cache_key(struct gz_req *req, char *key, size_t keylen);
/* Entries and bytes (keys and bodies) the page cache holds now. */
void gz_http_cache_gauges(long long *entries, long long *bytes);
/* Connections accepted and not closed (the one asking among them). */
void gz_http_conn_gauges(long long *open);

/* ---- who is asking (guard.c) --------------------------------------------- */

/* The rules checked as soon as the headers are in, before any body is
 * read. 0 to go on, or an error/redirect status with resp filled. */
int gz_http_guard_identity(struct gz_req *req, struct gz_resp *resp);
/* The rules checked once the body is in (form CSRF token, upload).
 * 0 or an error status with resp filled. */
int gz_http_guard_body(struct gz_req *req, struct gz_resp *resp);
/* Decides req->cors (and req->preflight for OPTIONS under /api/v1). */
void gz_http_cors_decide(struct gz_req *req);
/* Adds the CORS headers req->cors and req->preflight call for. */
void gz_http_cors_headers(const struct gz_req *req, struct MHD_Response *r);

/* ---- uploads (upload.c) -------------------------------------------------- */

/* One piece of a file part of a GZ_R_UPLOAD route's multipart body. */
enum MHD_Result gz_http_upload_data(struct gz_req *req, const char *key,
                                    const char *filename, const char *data,
                                    uint64_t off, size_t size);
/* After the body: type check, hash, close. 0 or an error status. */
int gz_http_upload_finish(struct gz_req *req);
/* Closes and deletes what the handler did not take (request end). */
void gz_http_upload_cleanup(struct gz_req *req);

/* ---- form fields (request.c) --------------------------------------------- */

/* Stores the form field being collected into req->form. */
void gz_http_flush_field(struct gz_req *req);

/* ---- metrics (metrics.c) ------------------------------------------------- */

void gz_http_metrics_count(int route_index, int status, double seconds);
void gz_http_metrics_cache_hit(void);
void gz_http_metrics_cache_miss(void);
/* Requests begun and not completed (the graceful stop waits for 0). */
void gz_http_in_flight_add(int delta);
int gz_http_in_flight(void);

/* ---- per-thread database connections (dbpool.c) -------------------------- */

/* Remembers app for gz_http_thread_db_current (before the daemon). */
void gz_http_dbpool_start(struct gz_app *app);
/* The calling thread's connection (read-only or read-write), opened on
 * first use; owned by the pool. NULL when it cannot be opened. */
struct gz_db *gz_http_thread_db(struct gz_app *app, int write);
/* The same for code without a request (metrics): NULL outside a server. */
struct gz_db *gz_http_thread_db_current(int write);
/* Closes every connection the pool opened (after the daemon stopped). */
void gz_http_dbpool_close_all(void);

/* ---- connections: limits and deadlines (server.c) ------------------------ */

/* What a connection is doing, for its deadline (docs/ARCHITECTURE.md,
 * "Limits and deadlines"). */
enum gz_http_conn_phase {
    GZ_CONN_WAIT = 0, /* waiting for a request's headers: header_timeout */
    GZ_CONN_BODY,     /* receiving a body: body_timeout + length/body_rate */
    GZ_CONN_ANSWER,   /* ours to answer: no deadline of ours */
};

/* From request.c, on the worker serving req (each takes the table's lock
 * briefly). begin: req is the connection's request in progress (so that a
 * connection closed without MHD's completion still frees it); phase: the
 * request enters phase, body_bytes sizing a body's deadline; end: the
 * request is done, the connection waits for the next one's headers (from
 * now). */
void gz_http_conn_begin(struct gz_req *req);
void gz_http_conn_phase(struct gz_req *req, enum gz_http_conn_phase phase,
                        long long body_bytes);
void gz_http_conn_end(struct gz_req *req);

/* ---- the MHD callbacks (request.c), for server.c ------------------------- */

void gz_http_request_ids_init(void);
void *gz_http_on_uri(void *cls, const char *uri, struct MHD_Connection *conn);
size_t gz_http_on_unescape(void *cls, struct MHD_Connection *c, char *s);
enum MHD_Result gz_http_on_request(void *cls, struct MHD_Connection *conn,
                                   const char *url, const char *method,
                                   const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **req_cls);
void gz_http_on_completed(void *cls, struct MHD_Connection *conn,
                          void **req_cls, enum MHD_RequestTerminationCode toe);
/* Frees a request whose connection closed without MHD reporting its
 * completion (server.c, from the connection-closed notification). */
void gz_http_request_abandoned(struct gz_req *req);

/* ---- trusted proxies (proxy.c) ------------------------------------------ */

/* Reads server.trusted_proxies (already checked by gz_config_check) before
 * the daemon starts. 0, or -1 with a log line. */
int gz_http_proxies_init(const struct gz_config *cfg);
/* 1 when sa is a trusted proxy's address (exempt from the per-address
 * connection limit: it carries every client). */
int gz_http_proxy_trusted(const struct sockaddr *sa);
/* From a trusted peer: req's client from X-Forwarded-For, and whether
 * X-Forwarded-Proto said https. Nothing from any other peer. */
void gz_http_forwarded(struct gz_req *req, struct MHD_Connection *conn);
/* Requests whose X-Forwarded-For could not be read, since start. */
long long gz_http_proxy_malformed(void);

/* ---- old URLs of an imported site (redirect.c) ----------------------- */

/* When the request is a GET/HEAD of an old path recorded by an import
 * (or "/?p=N"), fills resp with a 301 to the current URL and returns 1;
 * 0 otherwise. */
int gz_http_redirect_answer(struct gz_req *req, struct gz_resp *resp);

#endif
