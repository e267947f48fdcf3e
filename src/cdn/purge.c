/*
 * purge.c - the purge thread: tells the caches in front (Varnish, nginx,
 * a CDN through a webhook) which pages changed, by the same dependency
 * keys the page cache uses (include/gazette/cdn.h says the protocol).
 *
 * The queue is the page_changes table itself: each purger has a cursor
 * (purge_cursors), the id of the last change it accepted. A round reads
 * up to BATCH changes after a cursor, turns them into one purge (distinct
 * keys; `all` when the batch is too varied, names a site-wide key or
 * follows a gap left by pruned rows), sends it, and moves the cursor only
 * when the purger said yes. A purger that fails waits 1 s, 2 s, 4 s ... up
 * to MAX_BACKOFF_MS before the next try, and is logged once when it fails
 * and once when it is through again.
 */
#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gazette/cdn.h"
#include "gazette/store.h"

#define BATCH 500
#define MAX_KEYS 64          /* distinct keys in one purge; more: `all` */
#define MAX_BACKOFF_MS 300000
#define POLL_MS 1000         /* writes by other processes are seen this late */
#define CONNECT_TIMEOUT_MS 2000
#define REQUEST_TIMEOUT_MS 5000

enum kind { P_VARNISH, P_NGINX, P_WEBHOOK };
static const char *const kind_names[] = {"varnish", "nginx", "webhook"};

struct purger {
    enum kind kind;
    char url[512];
    char name[528];       /* "varnish http://127.0.0.1:6081" */
    char label[300];      /* for /metrics: kind and origin, no user or path */
    long long after;      /* the last change delivered (under S.lock) */
    long long retry_at;   /* monotonic ms; 0: now */
    int backoff_ms;
    int failing;          /* the last try failed (under S.lock) */
};

static struct {
    pthread_t thread;
    int running, stop, kicked;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* the thread waits on it */
    pthread_cond_t done; /* flushers wait on it */
    struct purger *p;
    int n;
    struct gz_app *app;
    atomic_ullong requests, failures;
} S = {.lock = PTHREAD_MUTEX_INITIALIZER,
       .wake = PTHREAD_COND_INITIALIZER,
       .done = PTHREAD_COND_INITIALIZER};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the keys ------------------------------------------------------------ */

void gz_cdn_surrogate_keys(const char *deps, char *out, size_t size)
{
    size_t n = 0;
    if (!deps || !deps[0]) {
        snprintf(out, size, "any all");
        return;
    }
    for (const char *d = deps; *d && n + 1 < size; d++)
        out[n++] = *d == '\n' ? ' ' : *d;
    out[n] = '\0';
    /* every page shows the navigation and the settings: `all` is theirs */
    if (n + 4 < size)
        memcpy(out + n, " all", 5);
}

/* One purge: the distinct keys of a batch, or everything. */
struct purge {
    char *keys[MAX_KEYS];
    int nkeys;
    int everything;
    long long last;   /* the last change id read */
    long long expect; /* the next id, when none was pruned */
};

static void on_change(void *cls, long long id, const char *key)
{
    struct purge *pg = cls;
    if (id != pg->expect)
        pg->everything = 1; /* rows were pruned unread (an import, a lag) */
    pg->expect = id + 1;
    pg->last = id;
    if (pg->everything)
        return;
    if (strcmp(key, "nav") == 0 || strcmp(key, "settings") == 0) {
        pg->everything = 1;
        return;
    }
    for (int i = 0; i < pg->nkeys; i++)
        if (strcmp(pg->keys[i], key) == 0)
            return;
    /* keys are made by triggers from ids and slugs ([a-z0-9-]); anything
     * else could not be put in a header or a ban safely: purge it all */
    int safe = key[0] != '\0' && strlen(key) < 120;
    for (const char *k = key; *k && safe; k++)
        safe = (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
               *k == '-';
    char *copy = safe && pg->nkeys < MAX_KEYS ? strdup(key) : NULL;
    if (!copy) {
        pg->everything = 1;
        return;
    }
    pg->keys[pg->nkeys++] = copy;
}

static void purge_clear(struct purge *pg)
{
    for (int i = 0; i < pg->nkeys; i++)
        free(pg->keys[i]);
    pg->nkeys = 0;
}

static void add_path(json_t *paths, const char *fmt, const char *slug)
{
    char buf[300];
    snprintf(buf, sizeof buf, fmt, slug);
    json_array_append_new(paths, json_string(buf));
}

/* The site paths of one key, for purgers that purge by URL. */
static void paths_of_key(struct gz_db *db, const char *key, json_t *paths)
{
    char s[256];
    const char *slug = NULL;
    long long id;
    if (strncmp(key, "story-", 6) == 0 &&
        gz_parse_int(key + 6, 1, LLONG_MAX, &id) == 0 &&
        gz_store_story_slug(db, id, s, sizeof s) == 0)
        slug = s; /* deleted: its slug-SLUG change names its address */
    else if (strncmp(key, "slug-", 5) == 0)
        slug = key + 5; /* the address a story had (renamed, deleted) */
    if (slug && slug[0]) {
        add_path(paths, "/articles/%s", slug);
        add_path(paths, "/api/v1/articles/%s", slug);
        add_path(paths, "/api/v1/articles/%s/comments", slug);
    } else if (strcmp(key, "home") == 0) {
        add_path(paths, "%s", "/");
        add_path(paths, "%s", "/api/v1/articles");
    } else if (strcmp(key, "feeds") == 0) {
        add_path(paths, "%s", "/feed.xml");
        add_path(paths, "%s", "/sitemap.xml");
    } else if (strncmp(key, "tag-", 4) == 0 && key[4]) {
        add_path(paths, "/tags/%s", key + 4);
        add_path(paths, "/tags/%s/feed.xml", key + 4);
        add_path(paths, "/api/v1/tags/%s", key + 4);
    } else if (strncmp(key, "author-", 7) == 0 && key[7]) {
        add_path(paths, "/authors/%s", key + 7);
        add_path(paths, "/api/v1/authors/%s", key + 7);
    }
}

/* ---- sending ------------------------------------------------------------- */

static size_t discard(char *ptr, size_t size, size_t n, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * n;
}

/* One HTTP request; 0 when the answer is one of the accepted statuses
 * (2xx, and 404 for an nginx purge of a page it did not hold). */
static int send_one(CURL *c, const char *method, const char *url,
                    struct curl_slist *headers, const char *body,
                    int accept_404, char *err, size_t errlen)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)REQUEST_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_USERAGENT, "Gazette-purge");
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode res = curl_easy_perform(c);
    atomic_fetch_add(&S.requests, 1);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (res == CURLE_OK &&
        ((code >= 200 && code < 300) || (accept_404 && code == 404)))
        return 0;
    if (res != CURLE_OK)
        snprintf(err, errlen, "%s %s: %s", method, url,
                 errbuf[0] ? errbuf : curl_easy_strerror(res));
    else
        snprintf(err, errlen, "%s %s: HTTP %ld", method, url, code);
    return -1;
}

static int send_varnish(CURL *c, struct purger *p, const struct purge *pg,
                        char *err, size_t errlen)
{
    char hdr[MAX_KEYS * 121 + 40] = "X-Purge-Keys: ";
    size_t n = strlen(hdr);
    if (pg->everything) {
        snprintf(hdr + n, sizeof hdr - n, "all");
    } else {
        /* the answers built from "any change" go with every purge */
        n += (size_t)snprintf(hdr + n, sizeof hdr - n, "any");
        for (int i = 0; i < pg->nkeys && n < sizeof hdr; i++)
            n += (size_t)snprintf(hdr + n, sizeof hdr - n, " %s",
                                  pg->keys[i]);
    }
    struct curl_slist *h = curl_slist_append(NULL, hdr);
    char url[600];
    snprintf(url, sizeof url, "%s/", p->url);
    int rc = h ? send_one(c, "BAN", url, h, NULL, 0, err, errlen) : -1;
    curl_slist_free_all(h);
    return rc;
}

static int send_nginx(CURL *c, struct purger *p, json_t *paths, char *err,
                      size_t errlen, int *sent)
{
    size_t i;
    json_t *v;
    /* A page is kept twice, as HTML and as JSON for Accept:
     * application/json (config/nginx-cache.conf keys on the variant); the
     * API is JSON whatever the Accept. */
    struct curl_slist *json =
        curl_slist_append(NULL, "Accept: application/json");
    int rc = json ? 0 : -1;
    json_array_foreach(paths, i, v)
    {
        const char *path = json_string_value(v);
        char url[1024];
        snprintf(url, sizeof url, "%s%s", p->url, path);
        if (rc == 0)
            rc = send_one(c, "PURGE", url, NULL, NULL, 1, err, errlen);
        if (rc == 0 && strncmp(path, "/api/", 5) != 0)
            rc = send_one(c, "PURGE", url, json, NULL, 1, err, errlen);
        if (rc == 0)
            (*sent)++;
    }
    curl_slist_free_all(json);
    return rc;
}

static int send_webhook(CURL *c, struct purger *p, const struct purge *pg,
                        json_t *paths, const char *base, char *err,
                        size_t errlen)
{
    json_t *keys = json_array(), *urls = json_array();
    if (pg->everything) {
        json_array_append_new(keys, json_string("all"));
    } else {
        json_array_append_new(keys, json_string("any"));
        for (int i = 0; i < pg->nkeys; i++)
            json_array_append_new(keys, json_string(pg->keys[i]));
    }
    size_t i;
    json_t *v;
    json_array_foreach(paths, i, v)
    {
        char u[1024];
        snprintf(u, sizeof u, "%s%s", base, json_string_value(v));
        json_array_append_new(urls, json_string(u));
    }
    json_t *doc = json_pack("{s:s, s:o, s:o, s:b}", "site", base, "keys", keys,
                            "urls", urls, "everything", pg->everything);
    char *body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    if (!body) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    struct curl_slist *h =
        curl_slist_append(NULL, "Content-Type: application/json");
    const char *secret = S.app->cfg.cdn_webhook_secret;
    if (secret[0]) {
        /* X-Gazette-Signature: sha256=HMAC-SHA256(secret, body) in hex */
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret,
                                    strlen(secret));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)body,
                                      strlen(body));
        crypto_auth_hmacsha256_final(&st, mac);
        char hex[2 * sizeof mac + 1], line[128];
        sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
        snprintf(line, sizeof line, "X-Gazette-Signature: sha256=%s", hex);
        h = curl_slist_append(h, line);
    }
    int rc = h ? send_one(c, "POST", p->url, h, body, 0, err, errlen) : -1;
    curl_slist_free_all(h);
    free(body);
    return rc;
}

/* Reads the next batch after p's cursor and delivers it. 1 when more
 * changes wait, 0 when p is up to date, -1 when it failed. */
static int deliver(struct gz_db *db, CURL *c, struct purger *p)
{
    struct purge pg = {.expect = p->after + 1, .last = p->after};
    if (gz_store_changes_batch(db, p->after, BATCH, on_change, &pg) != 0) {
        purge_clear(&pg);
        return -1;
    }
    if (pg.last == p->after) {
        /* No row after the cursor, yet ids were given after it: they were
         * deleted unread (an import drops its own), so anything may have
         * changed. */
        long long last = 0, changed_at = 0;
        if (gz_store_changes_last(db, &last, &changed_at) != 0 ||
            last <= p->after)
            return 0;
        pg.everything = 1;
        pg.last = last;
    }
    char err[600] = "";
    int rc, sent = 1;
    json_t *paths = json_array();
    if (p->kind != P_VARNISH) {
        if (pg.everything) {
            /* by URL, "everything" is the pages everyone sees first */
            paths_of_key(db, "home", paths);
            paths_of_key(db, "feeds", paths);
        } else {
            for (int i = 0; i < pg.nkeys; i++)
                paths_of_key(db, pg.keys[i], paths);
        }
    }
    if (p->kind == P_VARNISH) {
        rc = send_varnish(c, p, &pg, err, sizeof err);
    } else if (p->kind == P_NGINX) {
        sent = 0;
        rc = send_nginx(c, p, paths, err, sizeof err, &sent);
    } else {
        json_t *settings = gz_store_settings_load(db);
        const char *base = gz_store_base_url(settings, S.app->base_url);
        rc = send_webhook(c, p, &pg, paths, base, err, sizeof err);
        json_decref(settings);
    }
    json_decref(paths);
    int full = pg.last - p->after >= BATCH;
    purge_clear(&pg);
    if (rc != 0) {
        atomic_fetch_add(&S.failures, 1);
        gz_store_purge_cursor_set(db, p->name, p->after, 0, err);
        if (!p->failing)
            gz_log_err(4401, "purge to %s failed (will retry): %s", p->name,
                       err);
        pthread_mutex_lock(&S.lock);
        p->failing = 1;
        pthread_mutex_unlock(&S.lock);
        p->backoff_ms = p->backoff_ms ? p->backoff_ms * 2 : 1000;
        if (p->backoff_ms > MAX_BACKOFF_MS)
            p->backoff_ms = MAX_BACKOFF_MS;
        p->retry_at = now_ms() + p->backoff_ms;
        return -1;
    }
    if (gz_store_purge_cursor_set(db, p->name, pg.last, sent, NULL) != 0)
        gz_log_err(4402, "purge to %s: cannot record its cursor", p->name);
    if (p->failing)
        gz_log_info(4403, "purges to %s are through again", p->name);
    pthread_mutex_lock(&S.lock);
    p->after = pg.last;
    p->failing = 0;
    pthread_mutex_unlock(&S.lock);
    p->backoff_ms = 0;
    p->retry_at = 0;
    return full;
}

static void *purge_thread(void *arg)
{
    (void)arg;
    struct gz_db *db = gz_db_open(S.app->cfg.db_path, GZ_DB_READWRITE,
                                  S.app->cfg.synchronous);
    CURL *c = curl_easy_init();
    if (!db || !c) {
        gz_log_err(4404, "purge thread: cannot open the database or curl");
        goto out;
    }
    pthread_mutex_lock(&S.lock);
    while (!S.stop) {
        S.kicked = 0;
        pthread_mutex_unlock(&S.lock);
        long long next = now_ms() + POLL_MS;
        int more = 0;
        for (int i = 0; i < S.n; i++) {
            struct purger *p = &S.p[i];
            long long t = now_ms();
            if (p->retry_at > t) {
                if (p->retry_at < next)
                    next = p->retry_at;
                continue;
            }
            if (deliver(db, c, p) == 1)
                more = 1;
        }
        pthread_mutex_lock(&S.lock);
        pthread_cond_broadcast(&S.done);
        if (more || S.kicked || S.stop)
            continue;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        long long wait = next - now_ms();
        if (wait < 1)
            wait = 1;
        until.tv_sec += wait / 1000;
        until.tv_nsec += (wait % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&S.wake, &S.lock, &until);
    }
    pthread_mutex_unlock(&S.lock);
out:
    if (c)
        curl_easy_cleanup(c);
    gz_db_close(db);
    return NULL;
}

/* ---- start, stop, flush -------------------------------------------------- */

/* "scheme://host[:port]" of url, without user info: /metrics is public
 * on Gazette's own port, and a webhook URL may carry a secret. */
static void origin_of(const char *url, char *out, size_t size)
{
    const char *sep = strstr(url, "://");
    size_t scheme = sep ? (size_t)(sep + 3 - url) : 0;
    const char *host = url + scheme;
    size_t n = strcspn(host, "/?#");
    const char *at = memchr(host, '@', n);
    if (at) {
        n -= (size_t)(at + 1 - host);
        host = at + 1;
    }
    snprintf(out, size, "%.*s%.*s", (int)scheme, url, (int)n, host);
}

/* Adds one purger per entry of a comma list. */
static int add_list(const char *list, enum kind kind)
{
    const char *o = list;
    while (*o) {
        o += strspn(o, " ,");
        size_t n = strcspn(o, ",");
        size_t len = n;
        while (len && o[len - 1] == ' ')
            len--;
        while (len && o[len - 1] == '/')
            len--; /* "http://varnish:6081/" and without are one */
        if (len && len < sizeof S.p[0].url) {
            struct purger *grown = realloc(S.p, (size_t)(S.n + 1) * sizeof *grown);
            if (!grown)
                return GZ_ENOMEM;
            S.p = grown;
            struct purger *p = &S.p[S.n++];
            memset(p, 0, sizeof *p);
            p->kind = kind;
            snprintf(p->url, sizeof p->url, "%.*s", (int)len, o);
            snprintf(p->name, sizeof p->name, "%s %s", kind_names[kind],
                     p->url);
            origin_of(p->url, p->label, sizeof p->label);
        }
        o += n;
    }
    return 0;
}

int gz_cdn_start(struct gz_app *app)
{
    S.app = app;
    S.n = 0;
    if (add_list(app->cfg.cdn_varnish, P_VARNISH) ||
        add_list(app->cfg.cdn_nginx, P_NGINX) ||
        add_list(app->cfg.cdn_webhook, P_WEBHOOK))
        return GZ_ENOMEM;
    if (S.n == 0)
        return 0;
    /* Cursors: a purger seen before goes on where it stopped; a new one
     * starts at the present (what changed before it was configured is in
     * no cache it serves). */
    struct gz_db *db = gz_db_open(app->cfg.db_path, GZ_DB_READWRITE,
                                  app->cfg.synchronous);
    long long last = 0, changed_at = 0;
    if (!db || gz_store_changes_last(db, &last, &changed_at) != 0) {
        gz_db_close(db);
        return GZ_EIO;
    }
    for (int i = 0; i < S.n; i++) {
        int rc = gz_store_purge_cursor(db, S.p[i].name, &S.p[i].after);
        if (rc == GZ_ENOTFOUND) {
            S.p[i].after = last;
            rc = gz_store_purge_cursor_set(db, S.p[i].name, last, 0, NULL);
        }
        if (rc != 0) {
            gz_db_close(db);
            return GZ_EIO;
        }
        gz_log_info(4405, "purging %s from page change %lld", S.p[i].name,
                    S.p[i].after);
    }
    gz_db_close(db);
    /* Once, before the thread: curl_global_init is not thread-safe (it
     * counts its calls, so the mail sender's own is fine). */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return GZ_EIO;
    S.stop = 0;
    if (pthread_create(&S.thread, NULL, purge_thread, NULL) != 0) {
        curl_global_cleanup();
        return GZ_EIO;
    }
    S.running = 1;
    return 0;
}

void gz_cdn_stop(void)
{
    if (S.running) {
        pthread_mutex_lock(&S.lock);
        S.stop = 1;
        pthread_cond_signal(&S.wake);
        pthread_cond_broadcast(&S.done);
        pthread_mutex_unlock(&S.lock);
        pthread_join(S.thread, NULL);
        curl_global_cleanup();
        S.running = 0;
    }
    free(S.p);
    S.p = NULL;
    S.n = 0;
}

void gz_cdn_wake(void)
{
    if (!S.running)
        return;
    pthread_mutex_lock(&S.lock);
    S.kicked = 1;
    pthread_cond_signal(&S.wake);
    pthread_mutex_unlock(&S.lock);
}

/* 1 when every purger that is not failing has delivered up to last. */
static int caught_up(long long last)
{
    for (int i = 0; i < S.n; i++)
        if (!S.p[i].failing && S.p[i].after < last)
            return 0;
    return 1;
}

long long gz_cdn_mark(struct gz_db *db)
{
    long long last = 0, changed_at = 0;
    if (!S.running || gz_store_changes_last(db, &last, &changed_at) != 0)
        return -1;
    return last;
}

void gz_cdn_flush(struct gz_db *db, long long mark, int timeout_ms)
{
    long long last = 0, changed_at = 0;
    if (!S.running || mark < 0 || timeout_ms <= 0 ||
        gz_store_changes_last(db, &last, &changed_at) != 0 || last <= mark)
        return; /* the request changed no page */
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&S.lock);
    if (!caught_up(last)) {
        S.kicked = 1;
        pthread_cond_signal(&S.wake);
        while (!S.stop && !caught_up(last))
            if (pthread_cond_timedwait(&S.done, &S.lock, &until) != 0)
                break;
    }
    pthread_mutex_unlock(&S.lock);
}

long long gz_cdn_prune_floor(long long last)
{
    if (!S.running)
        return LLONG_MAX;
    long long floor = LLONG_MAX;
    pthread_mutex_lock(&S.lock);
    for (int i = 0; i < S.n; i++)
        if (S.p[i].after < floor)
            floor = S.p[i].after;
    pthread_mutex_unlock(&S.lock);
    if (floor < last - GZ_CDN_MAX_LAG)
        floor = last - GZ_CDN_MAX_LAG;
    return floor;
}

void gz_cdn_metrics(struct gz_buf *out)
{
    if (!S.running)
        return;
    gz_buf_printf(out,
                  "# HELP gazette_cdn_purge_requests_total Purge requests"
                  " sent to caches in front.\n"
                  "# TYPE gazette_cdn_purge_requests_total counter\n"
                  "gazette_cdn_purge_requests_total %llu\n"
                  "# HELP gazette_cdn_purge_failures_total Purge requests"
                  " that failed (retried).\n"
                  "# TYPE gazette_cdn_purge_failures_total counter\n"
                  "gazette_cdn_purge_failures_total %llu\n"
                  "# HELP gazette_cdn_purge_cursor The last page change each"
                  " purger accepted.\n"
                  "# TYPE gazette_cdn_purge_cursor gauge\n",
                  atomic_load(&S.requests), atomic_load(&S.failures));
    pthread_mutex_lock(&S.lock);
    for (int i = 0; i < S.n; i++)
        gz_buf_printf(out,
                      "gazette_cdn_purge_cursor{purger=\"%s %s\"} %lld\n",
                      kind_names[S.p[i].kind], S.p[i].label, S.p[i].after);
    gz_buf_puts(out, "# HELP gazette_cdn_purger_failing 1 while a purger's"
                     " last try failed.\n"
                     "# TYPE gazette_cdn_purger_failing gauge\n");
    for (int i = 0; i < S.n; i++)
        gz_buf_printf(out,
                      "gazette_cdn_purger_failing{purger=\"%s %s\"} %d\n",
                      kind_names[S.p[i].kind], S.p[i].label, S.p[i].failing);
    pthread_mutex_unlock(&S.lock);
}
