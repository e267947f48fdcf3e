/*
 * ratelimit.c - in-memory sliding-window rate limits (login attempts,
 * comments, sign-ups), keyed by strings such as "login-ip:127.0.0.1".
 *
 * A fixed table of sets of slots, each slot holding the times of a key's
 * recent events in a small ring; a new key takes the least recently used
 * slot of its set (so memory is bounded whatever clients send). Limits reset when
 * the process restarts: they slow down abuse, they are not accounting.
 * One mutex guards the table; the work under it is tiny.
 */
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "gazette/http.h"

#define SETS 1024
#define WAYS 4
#define RING 32

struct slot {
    char key[96];
    long long at[RING]; /* event times, newest at (head - 1) */
    int head, count;
};

static struct slot table[SETS][WAYS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char hash_key[crypto_shorthash_KEYBYTES];
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    randombytes_buf(hash_key, sizeof hash_key);
}

static long long newest(const struct slot *s)
{
    return s->count ? s->at[(s->head - 1 + RING) % RING] : 0;
}

/* Events of s in the last `window` seconds before now. */
static int recent(const struct slot *s, long long now, int window)
{
    int n = 0;
    for (int i = 0; i < s->count; i++)
        n += s->at[(s->head - 1 - i + RING) % RING] > now - window;
    return n;
}

/* Which slot a newcomer takes: the one with the fewest recent events
 * (an empty or expired one first), the least recently used among equals.
 * A key that is being limited has many recent events, so a flood of
 * one-off keys cannot push it out. */
static int worse(const struct slot *a, const struct slot *b, long long now)
{
    int ra = recent(a, now, 3600), rb = recent(b, now, 3600);
    return ra != rb ? ra < rb : newest(a) < newest(b);
}

/*
 * SECURITY: the set comes from a keyed hash (SipHash, random key per
 * process), so a client cannot pick keys that land on someone else's
 * entry; within a set, a new key replaces the entry with the fewest
 * recent events (see worse()).
 */
static struct slot *find(const char *key, int create, long long now)
{
    pthread_once(&key_once, make_key);
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, (const unsigned char *)key, strlen(key), hash_key);
    unsigned long idx = ((unsigned long)h[0] | (unsigned long)h[1] << 8) % SETS;
    struct slot *set = table[idx], *victim = &set[0];
    for (int w = 0; w < WAYS; w++) {
        if (strncmp(set[w].key, key, sizeof set[w].key - 1) == 0 &&
            set[w].key[0])
            return &set[w];
        if (worse(&set[w], victim, now))
            victim = &set[w];
    }
    if (!create)
        return NULL;
    memset(victim, 0, sizeof *victim);
    strncpy(victim->key, key, sizeof victim->key - 1);
    return victim;
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
    struct slot *s = find(key, 1, now);
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
    struct slot *s = find(key, 0, now);
    int wait = s ? wait_for(s, max, window, now) : 0;
    pthread_mutex_unlock(&lock);
    return wait;
}

void gz_ratelimit_clear(const char *key)
{
    pthread_mutex_lock(&lock);
    struct slot *s = find(key, 0, gz_now());
    if (s)
        memset(s, 0, sizeof *s);
    pthread_mutex_unlock(&lock);
}
