/*
 * ratelimit.c - in-memory sliding-window rate limits (login attempts,
 * comments, sign-ups), keyed by strings such as "login-ip:127.0.0.1".
 *
 * A fixed table of slots, each holding the times of a key's recent events
 * in a small ring; a new key takes the slot of its hash, evicting what was
 * there (so memory is bounded whatever clients send). Limits reset when
 * the process restarts: they slow down abuse, they are not accounting.
 * One mutex guards the table; the work under it is tiny.
 */
#include <pthread.h>
#include <string.h>

#include "gazette/http.h"

#define SLOTS 4096
#define RING 32

struct slot {
    char key[96];
    long long at[RING]; /* event times, newest at (head - 1) */
    int head, count;
};

static struct slot table[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct slot *find(const char *key, int create)
{
    unsigned long h = 5381;
    for (const char *p = key; *p; p++)
        h = h * 33 + (unsigned char)*p;
    struct slot *s = &table[h % SLOTS];
    if (strncmp(s->key, key, sizeof s->key - 1) != 0) {
        if (!create)
            return NULL;
        memset(s, 0, sizeof *s);
        strncpy(s->key, key, sizeof s->key - 1);
    }
    return s;
}

/* Seconds until an event is allowed again, 0 when one is allowed now. */
static int wait_for(struct slot *s, int max, int window, long long now)
{
    if (max > RING)
        max = RING;
    int recent = 0;
    long long oldest_recent = now;
    for (int i = 0; i < s->count; i++) {
        long long t = s->at[(s->head - 1 - i + RING) % RING];
        if (t > now - window) {
            recent++;
            oldest_recent = t;
        }
    }
    if (recent < max)
        return 0;
    int wait = (int)(oldest_recent + window - now);
    return wait > 0 ? wait : 1;
}

int gz_ratelimit_hit(const char *key, int max, int window)
{
    long long now = gz_now();
    pthread_mutex_lock(&lock);
    struct slot *s = find(key, 1);
    int wait = wait_for(s, max, window, now);
    if (!wait) {
        s->at[s->head] = now;
        s->head = (s->head + 1) % RING;
        if (s->count < RING)
            s->count++;
    }
    pthread_mutex_unlock(&lock);
    return wait;
}

int gz_ratelimit_peek(const char *key, int max, int window)
{
    long long now = gz_now();
    pthread_mutex_lock(&lock);
    struct slot *s = find(key, 0);
    int wait = s ? wait_for(s, max, window, now) : 0;
    pthread_mutex_unlock(&lock);
    return wait;
}

void gz_ratelimit_clear(const char *key)
{
    pthread_mutex_lock(&lock);
    struct slot *s = find(key, 0);
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&lock);
}
