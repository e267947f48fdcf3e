/*
 * cache.c - the page cache: finished answers (plain and gzip bodies with
 * their ETag) of cacheable GET/HEAD routes, in a fixed table of
 * CACHE_SLOTS slots keyed by the canonical form of the request (its
 * decoded path, its known parameters sorted and re-encoded, and JSON or
 * HTML), holding at most a byte budget of bodies. An entry is valid for
 * one content version (store.h); a newer version makes it a miss, and the
 * next render replaces it. request.c decides what may be looked up and
 * kept (anonymous requests only); this file knows which parameters each
 * cacheable route reads, makes the key and keeps.
 *
 * SECURITY: only a canonical request has a key. A target with parameters
 * its route does not read, a parameter twice, or a value in a spelling
 * that means the same as another (page=02) is answered and not kept, so a
 * client cannot fill the cache with copies of one large page; and the
 * slot of a key comes from a keyed hash, so nobody can aim many keys at
 * the slot of a popular page.
 *
 * Threads: one mutex guards the table. A hit takes references to the
 * bodies under the lock and builds its MHD response outside it, so MHD can
 * send one body on many connections at once. The gauges are atomics.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/store.h"
#include "internal.h"

#define CACHE_SLOTS 4096
#define DEFAULT_MAX_BYTES (8LL << 20)

struct cache_entry {
    char *key;
    long long built; /* the last page change read before it was built */
    char *deps;      /* its dependency keys, "\n"-separated; NULL: every
                        change makes it stale */
    size_t plain_len; /* of the plain body, which is not kept when there is
                         a gzip one: a client without gzip gets it inflated
                         (rare), and the budget holds 4-5 times the pages */
    size_t bytes;    /* key, deps and bodies */
    struct gz_http_answer a;
};

/* The last change of each dependency key seen (key -> change id), in an
 * open-addressing table that doubles when 3/4 full. */
struct dep_seen {
    char *key;
    long long id;
};

struct gz_page_cache {
    pthread_mutex_t lock;
    long long max_bytes;
    long long bytes;
    unsigned hand; /* the next slot to empty when room is needed */
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    struct cache_entry slots[CACHE_SLOTS];
    /* Dependencies (under lock; sync_lock serializes the reading of new
     * changes, which happens outside lock). */
    pthread_mutex_t sync_lock;
    long long synced;  /* the last change read; -1: none read yet */
    long long flushed; /* entries built before this change are stale */
    struct dep_seen *seen;
    size_t nseen, capseen;
};

/* The whole process's cache, for /metrics (there is one cache). */
static atomic_llong gauge_entries, gauge_bytes;

/* ---- canonical keys ------------------------------------------------------ */

/* How a parameter's value must be spelled to be canonical. */
enum value_kind {
    V_NUMBER = 1, /* a whole number 1..999999 without leading zeros */
    V_TEXT,       /* any text (valid UTF-8) */
    V_NOTICE,     /* "held" or "posted" (the article's comment notice) */
};

struct param_rule {
    const char *name;
    enum value_kind kind;
};

/* The parameters each cacheable route reads (docs/API.md, src/site and
 * src/api), sorted by name: the key lists them in this order. A cacheable
 * route not listed takes none. NOTE: a parameter a handler starts to read
 * must be added here, or requests with it are never kept (which is safe:
 * slower, never wrong). */
#define MAX_PARAMS 10
static const struct {
    const char *pattern;
    struct param_rule params[MAX_PARAMS];
} route_params[] = {
    {"/", {{"page", V_NUMBER}}},
    {"/api/v1/articles",
     {{"author", V_TEXT},
      {"fields", V_TEXT},
      {"filter", V_TEXT},
      {"include", V_TEXT},
      {"limit", V_NUMBER},
      {"order", V_TEXT},
      {"page", V_NUMBER},
      {"q", V_TEXT},
      {"tag", V_TEXT}}},
    {"/api/v1/articles/:slug", {{"fields", V_TEXT}}},
    {"/api/v1/articles/:slug/comments",
     {{"fields", V_TEXT}, {"limit", V_NUMBER}, {"page", V_NUMBER}}},
    {"/api/v1/authors",
     {{"fields", V_TEXT}, {"limit", V_NUMBER}, {"page", V_NUMBER}}},
    {"/api/v1/search",
     {{"author", V_TEXT},
      {"fields", V_TEXT},
      {"filter", V_TEXT},
      {"include", V_TEXT},
      {"limit", V_NUMBER},
      {"order", V_TEXT},
      {"page", V_NUMBER},
      {"q", V_TEXT},
      {"tag", V_TEXT}}},
    {"/api/v1/tags",
     {{"fields", V_TEXT}, {"limit", V_NUMBER}, {"page", V_NUMBER}}},
    {"/articles/:slug", {{"comment", V_NOTICE}, {"reply", V_NUMBER}}},
    {"/authors/:slug", {{"page", V_NUMBER}}},
    {"/search", {{"page", V_NUMBER}, {"q", V_TEXT}}},
    {"/tags/:slug", {{"page", V_NUMBER}}},
};

struct key_scan {
    const struct param_rule *rules;
    int seen[MAX_PARAMS];
    int bad; /* an unknown parameter, or one twice */
};

static enum MHD_Result scan_param(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    struct key_scan *k = cls;
    char name[32];
    size_t n = strlen(key);
    if (n >= sizeof name) {
        k->bad = 1;
        return MHD_NO;
    }
    memcpy(name, key, n + 1);
    long dn = gz_url_decode(name, n, 1);
    int found = 0;
    for (int i = 0;
         dn >= 0 && i < MAX_PARAMS && k->rules && k->rules[i].name && !found;
         i++) {
        if ((size_t)dn == strlen(k->rules[i].name) &&
            memcmp(name, k->rules[i].name, (size_t)dn) == 0) {
            found = 1;
            k->seen[i]++;
            if (k->seen[i] > 1)
                k->bad = 1;
        }
    }
    if (!found)
        k->bad = 1;
    return k->bad ? MHD_NO : MHD_YES;
}

static int canonical_value(enum value_kind kind, const char *v)
{
    size_t n = strlen(v);
    switch (kind) {
    case V_NUMBER:
        return n >= 1 && n <= 6 && v[0] >= '1' && v[0] <= '9' &&
               strspn(v, "0123456789") == n;
    case V_NOTICE:
        return strcmp(v, "held") == 0 || strcmp(v, "posted") == 0;
    case V_TEXT:
        return 1;
    }
    return 0;
}

/* Appends s percent-encoded (all but unreserved characters, and '/' when
 * keep_slash) to out at *o; 0, or -1 when it does not fit. */
static int put_encoded(char *out, size_t len, size_t *o, const char *s,
                       int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || strchr("-._~", *p) ||
                    (keep_slash && *p == '/');
        if (*o + (plain ? 1 : 3) >= len)
            return -1;
        if (plain) {
            out[(*o)++] = (char)*p;
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[*p >> 4];
            out[(*o)++] = hex[*p & 15];
        }
    }
    out[*o] = '\0';
    return 0;
}

static int put_raw(char *out, size_t len, size_t *o, const char *s)
{
    size_t n = strlen(s);
    if (*o + n >= len)
        return -1;
    memcpy(out + *o, s, n + 1);
    *o += n;
    return 0;
}

int gz_http_cache_key(struct gz_req *req, char *key, size_t keylen)
{
    struct key_scan k = {0};
    for (size_t i = 0; i < sizeof route_params / sizeof route_params[0]; i++)
        if (req->route &&
            strcmp(route_params[i].pattern, req->route->pattern) == 0)
            k.rules = route_params[i].params;
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, scan_param, &k);
    if (k.bad)
        return 0;
    size_t o = 0;
    if (put_raw(key, keylen, &o, gz_req_wants_json(req) ? "j " : "h ") ||
        put_encoded(key, keylen, &o, req->path, 1))
        return 0;
    int first = 1;
    for (int i = 0; k.rules && i < MAX_PARAMS && k.rules[i].name; i++) {
        if (!k.seen[i])
            continue;
        int bad = 0;
        const char *v = gz_req_query(req, k.rules[i].name, &bad);
        if (bad || !v || !canonical_value(k.rules[i].kind, v))
            return 0;
        if (put_raw(key, keylen, &o, first ? "?" : "&") ||
            put_raw(key, keylen, &o, k.rules[i].name) ||
            put_raw(key, keylen, &o, "=") || put_encoded(key, keylen, &o, v, 0))
            return 0;
        first = 0;
    }
    return 1;
}

/* ---- the table ----------------------------------------------------------- */

static unsigned slot_of(const struct gz_page_cache *c, const char *key)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)key,
                     strlen(key), c->hash_key);
    return (unsigned)(h % CACHE_SLOTS);
}

/* Empties e (the lock held). */
static void entry_clear(struct gz_page_cache *c, struct cache_entry *e)
{
    if (e->key) {
        c->bytes -= (long long)e->bytes;
        atomic_fetch_sub(&gauge_entries, 1);
        atomic_fetch_sub(&gauge_bytes, (long long)e->bytes);
    }
    free(e->key);
    free(e->deps);
    gz_http_blob_unref(e->a.plain);
    gz_http_blob_unref(e->a.gzip);
    memset(e, 0, sizeof *e);
}

struct gz_page_cache *gz_http_cache_new(void)
{
    struct gz_page_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->sync_lock, NULL);
    c->synced = -1;
    c->max_bytes = DEFAULT_MAX_BYTES;
    crypto_shorthash_keygen(c->hash_key);
    return c;
}

void gz_http_cache_set_limit(struct gz_page_cache *c, long long max_bytes)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->max_bytes = max_bytes;
    pthread_mutex_unlock(&c->lock);
}

void gz_http_cache_free(struct gz_page_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        entry_clear(c, &c->slots[i]);
    for (size_t i = 0; i < c->capseen; i++)
        free(c->seen[i].key);
    free(c->seen);
    pthread_mutex_destroy(&c->lock);
    pthread_mutex_destroy(&c->sync_lock);
    free(c);
}

/* ---- dependencies -------------------------------------------------------
 *
 * Writes log the keys of what they changed (sql/0005_page_changes.sql).
 * Before a lookup the cache reads the changes logged since the last it
 * read (gz_http_cache_sync) and remembers, per key, the id of its last
 * change. An entry remembers the last change read before it was built and
 * the keys it was built from (the handler's gz_resp_dep calls, plus nav
 * and settings, which every page shows); it is fresh while none of those
 * keys changed after it. An entry without keys is stale after any change,
 * as is every entry when changes were pruned before the cache read them.
 */

static uint64_t dep_hash(const char *k)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a: the keys are ours */
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ULL;
    return h;
}

/* The last change of key k (n bytes), 0 when none was seen. Lock held. */
static long long dep_last(const struct gz_page_cache *c, const char *k,
                          size_t n)
{
    if (!c->capseen || n >= 200)
        return n >= 200 ? LLONG_MAX : 0;
    char z[200];
    memcpy(z, k, n);
    z[n] = 0;
    size_t i = dep_hash(z) & (c->capseen - 1);
    while (c->seen[i].key) {
        if (strcmp(c->seen[i].key, z) == 0)
            return c->seen[i].id;
        i = (i + 1) & (c->capseen - 1);
    }
    return 0;
}

/* Records that key changed at id. Lock held. -1 when out of memory. */
static int dep_set(struct gz_page_cache *c, const char *key, long long id)
{
    if ((c->nseen + 1) * 4 > c->capseen * 3) {
        size_t cap = c->capseen ? c->capseen * 2 : 256;
        struct dep_seen *t = calloc(cap, sizeof *t);
        if (!t)
            return -1;
        for (size_t j = 0; j < c->capseen; j++) {
            if (!c->seen[j].key)
                continue;
            size_t i = dep_hash(c->seen[j].key) & (cap - 1);
            while (t[i].key)
                i = (i + 1) & (cap - 1);
            t[i] = c->seen[j];
        }
        free(c->seen);
        c->seen = t;
        c->capseen = cap;
    }
    size_t i = dep_hash(key) & (c->capseen - 1);
    while (c->seen[i].key && strcmp(c->seen[i].key, key) != 0)
        i = (i + 1) & (c->capseen - 1);
    if (!c->seen[i].key) {
        if (!(c->seen[i].key = strdup(key)))
            return -1;
        c->nseen++;
    }
    c->seen[i].id = id;
    return 0;
}

/* Fresh: nothing e was built from changed after it. Lock held. */
static int entry_fresh(const struct gz_page_cache *c,
                       const struct cache_entry *e)
{
    if (e->built == c->synced)
        return 1; /* nothing changed at all */
    if (!e->deps || e->built < c->flushed)
        return 0;
    static const char always[] = "nav\nsettings";
    for (int pass = 0; pass < 2; pass++) {
        const char *p = pass ? e->deps : always;
        while (*p) {
            const char *nl = strchr(p, '\n');
            size_t n = nl ? (size_t)(nl - p) : strlen(p);
            if (n && dep_last(c, p, n) > e->built)
                return 0;
            p += n + (nl != NULL);
        }
    }
    return 1;
}

struct sync_read {
    struct gz_page_cache *c;
    long long expect; /* the next id, when none was pruned */
    int gap;
    int oom;
};

static void on_change(void *cls, long long id, const char *key)
{
    struct sync_read *r = cls;
    if (id != r->expect)
        r->gap = 1;
    r->expect = id + 1;
    if (dep_set(r->c, key, id) != 0)
        r->oom = 1;
}

long long gz_http_cache_sync(struct gz_page_cache *c, struct gz_db *db,
                             long long last)
{
    pthread_mutex_lock(&c->lock);
    long long synced = c->synced;
    pthread_mutex_unlock(&c->lock);
    if (synced == last)
        return last;
    pthread_mutex_lock(&c->sync_lock);
    pthread_mutex_lock(&c->lock);
    synced = c->synced;
    pthread_mutex_unlock(&c->lock);
    if (synced < 0) {
        /* The first look: no entry yet, nothing to read. */
        pthread_mutex_lock(&c->lock);
        c->synced = last;
        pthread_mutex_unlock(&c->lock);
    } else if (last > synced) {
        /* The rows are read under lock, one short query per batch of
         * writes: dep_set must not race with lookups. */
        pthread_mutex_lock(&c->lock);
        struct sync_read r = {c, synced + 1, 0, 0};
        int rc = gz_store_changes_since(db, synced, on_change, &r);
        long long upto = r.expect - 1 > last ? r.expect - 1 : last;
        if (rc != 0 || r.gap || r.oom || r.expect - 1 < last)
            c->flushed = upto; /* what was missed: everything is stale */
        c->synced = upto;
        pthread_mutex_unlock(&c->lock);
    }
    pthread_mutex_lock(&c->lock);
    synced = c->synced;
    pthread_mutex_unlock(&c->lock);
    pthread_mutex_unlock(&c->sync_lock);
    return synced;
}

long long gz_http_cache_synced(struct gz_page_cache *c)
{
    pthread_mutex_lock(&c->lock);
    long long synced = c->synced;
    pthread_mutex_unlock(&c->lock);
    return synced;
}

void gz_http_cache_put(struct gz_page_cache *c, const char *key,
                       long long built, const char *deps,
                       const struct gz_http_answer *given)
{
    struct gz_http_answer kept = *given, *a = &kept;
    size_t plain_len = a->plain ? a->plain->len : 0;
    if (a->gzip && a->plain) {
        gz_http_blob_unref(a->plain);
        a->plain = NULL;
    }
    size_t bytes = strlen(key) + 1 + (deps ? strlen(deps) + 1 : 0) +
                   (a->plain ? a->plain->len : 0) +
                   (a->gzip ? a->gzip->len : 0);
    char *k = strdup(key);
    char *d = deps ? strdup(deps) : NULL;
    pthread_mutex_lock(&c->lock);
    if (!k || (deps && !d) || (long long)bytes > c->max_bytes / 8) {
        /* One answer may not take more than an eighth of the budget. */
        pthread_mutex_unlock(&c->lock);
        free(k);
        free(d);
        gz_http_blob_unref(a->plain);
        gz_http_blob_unref(a->gzip);
        return;
    }
    struct cache_entry *e = &c->slots[slot_of(c, key)];
    entry_clear(c, e);
    /* Room: empty slots in turn (the hand goes round the table, so the
     * entries longest unreplaced go first) until the answer fits. */
    for (int i = 0;
         i < CACHE_SLOTS && c->bytes + (long long)bytes > c->max_bytes; i++) {
        entry_clear(c, &c->slots[c->hand]);
        c->hand = (c->hand + 1) % CACHE_SLOTS;
    }
    e->key = k;
    e->built = built;
    e->deps = d;
    e->plain_len = plain_len;
    e->bytes = bytes;
    e->a = *a; /* the cache takes the caller's references */
    e->a.deps = NULL; /* the caller's; e->deps is the cache's copy */
    c->bytes += (long long)bytes;
    atomic_fetch_add(&gauge_entries, 1);
    atomic_fetch_add(&gauge_bytes, (long long)bytes);
    pthread_mutex_unlock(&c->lock);
}

int gz_http_cache_serve(struct gz_req *req, const char *key,
                        enum MHD_Result *ret)
{
    struct gz_page_cache *c = req->app->cache;
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = &c->slots[slot_of(c, key)];
    if (!e->key || strcmp(e->key, key) != 0 || !entry_fresh(c, e)) {
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    e->built = c->synced; /* still fresh now: the next check is one compare */
    /* Take references under the lock; build and queue outside it. */
    struct gz_http_answer a = e->a;
    size_t plain_len = e->plain_len;
    /* its keys for the Surrogate-Key header, copied: e may go once the
     * lock is let go (the bodies are held by their references) */
    char deps[sizeof((struct gz_resp *)0)->deps];
    if (e->deps)
        snprintf(deps, sizeof deps, "%s", e->deps);
    a.deps = e->deps ? deps : NULL;
    if (a.plain)
        atomic_fetch_add(&a.plain->refs, 1);
    if (a.gzip)
        atomic_fetch_add(&a.gzip->refs, 1);
    pthread_mutex_unlock(&c->lock);
    if (!a.plain && !gz_http_accepts_gzip(req) &&
        !(a.plain = gz_http_gunzip(a.gzip, plain_len))) {
        gz_http_blob_unref(a.gzip);
        return 0; /* out of memory: rendered again */
    }
    *ret = gz_http_send_answer(req, 200, &a, NULL);
    gz_http_blob_unref(a.plain);
    gz_http_blob_unref(a.gzip);
    req->cache_hit = 1;
    gz_http_metrics_cache_hit();
    return 1;
}

void gz_http_cache_gauges(long long *entries, long long *bytes)
{
    *entries = atomic_load(&gauge_entries);
    *bytes = atomic_load(&gauge_bytes);
}
