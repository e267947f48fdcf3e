/*
 * cache.c - the page cache: finished answers (plain and gzip bodies with
 * their ETag) of cacheable GET/HEAD routes, in a fixed table of
 * CACHE_SLOTS slots keyed by the request target plus JSON-or-HTML. An
 * entry is valid for one content version (store.h); a newer version makes
 * it a miss, and the next render replaces it. request.c decides what may
 * be looked up and kept (anonymous requests only); this file only keeps.
 *
 * Threads: one mutex guards the table. A hit takes references to the
 * bodies under the lock and builds its MHD response outside it, so MHD can
 * send one body on many connections at once.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CACHE_SLOTS 1024

struct cache_entry {
    char *key;
    long long version;
    struct gz_http_answer a;
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
    gz_http_blob_unref(e->a.plain);
    gz_http_blob_unref(e->a.gzip);
    memset(e, 0, sizeof *e);
}

struct gz_page_cache *gz_http_cache_new(void)
{
    struct gz_page_cache *c = calloc(1, sizeof *c);
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

void gz_http_cache_free(struct gz_page_cache *c)
{
    if (!c)
        return;
    for (int i = 0; i < CACHE_SLOTS; i++)
        entry_clear(&c->slots[i]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void gz_http_cache_put(struct gz_page_cache *c, const char *key,
                       long long version, const struct gz_http_answer *a)
{
    struct cache_entry *e = &c->slots[hash_str(key) % CACHE_SLOTS];
    pthread_mutex_lock(&c->lock);
    entry_clear(e);
    e->key = strdup(key);
    e->version = version;
    e->a = *a; /* the cache takes the caller's references */
    pthread_mutex_unlock(&c->lock);
}

int gz_http_cache_serve(struct gz_req *req, const char *key, long long version,
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
    struct gz_http_answer a = e->a;
    atomic_fetch_add(&a.plain->refs, 1);
    if (a.gzip)
        atomic_fetch_add(&a.gzip->refs, 1);
    pthread_mutex_unlock(&c->lock);
    *ret = gz_http_send_answer(req, 200, &a, NULL);
    gz_http_blob_unref(a.plain);
    gz_http_blob_unref(a.gzip);
    req->cache_hit = 1;
    gz_http_metrics_cache_hit();
    return 1;
}
