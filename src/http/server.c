/*
 * server.c - the daemon's life: the listening socket and the thread that
 * accepts on it, the connections' limits and deadlines (the table of
 * connections, the per-address and total limits answered 503 at once, the
 * sweeper that closes connections past their header or body deadline),
 * libmicrohttpd's options (thread pool, timeout and memory pool, TLS),
 * start, the stop signals, the graceful stop (stop accepting, close the
 * connections waiting for headers, let answers in flight finish, close the
 * databases), and the background thread that publishes scheduled stories.
 * The request path itself is request.c and the files it names (see
 * internal.h).
 *
 * NOTE: Gazette accepts connections itself and hands each to MHD with
 * MHD_add_connection (MHD runs with MHD_USE_NO_LISTEN_SOCKET), so that
 * stopping to accept is closing our own socket. MHD_quiesce_daemon, the
 * usual way, races with the epoll workers of libmicrohttpd 0.9.75 over
 * removing the listen socket from their epoll sets; the loser's
 * epoll_ctl fails with ENOENT and MHD aborts the process (the panic
 * "Failed to remove listen FD from epoll set" at SIGTERM, seen in the
 * HTTP tests now and then).
 *
 * Threads: gz_server_run runs on the main thread, which blocks SIGINT and
 * SIGTERM before any other thread starts and then waits for them with
 * sigwait. MHD runs an epoll thread pool; the accept thread accepts and,
 * every SWEEP_MS, sweeps the table of connections (one mutex guards it;
 * the workers take it briefly as requests change phase); the scheduler has
 * its own thread and its own connection; the mail sender is mail.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gazette/backup.h"
#include "gazette/cdn.h"
#include "gazette/mail.h"
#include "gazette/revisions.h"
#include "gazette/store.h"
#include "internal.h"

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
    long long pruned = 0, next_trash_purge = 0;
    pthread_mutex_lock(&bg_lock);
    while (!stop_requested) {
        pthread_mutex_unlock(&bg_lock);
        int n = gz_store_publish_due(db);
        if (n > 0) {
            gz_log_info(1102, "published %d scheduled stories", n);
            gz_cdn_wake();
        }
        /* The page changes the cache has read, and the purgers of caches
         * in front have delivered, are of no more use. */
        long long synced =
            app->cache ? gz_http_cache_synced(app->cache) : LLONG_MAX;
        long long last = 0, changed_at = 0;
        if (gz_store_changes_last(db, &last, &changed_at) == 0) {
            long long floor = gz_cdn_prune_floor(last);
            if (floor < synced)
                synced = floor;
        }
        if (synced == LLONG_MAX)
            synced = last;
        if (synced > pruned && gz_store_changes_prune(db, synced) == 0)
            pruned = synced;
        /* The trash (issue 10): stories deleted GZ_TRASH_DAYS ago go for
         * good, checked at start and then every ten minutes. */
        if (gz_now() >= next_trash_purge) {
            long long gone = 0;
            if (gz_store_trash_purge(db, gz_now() - GZ_TRASH_DAYS * 86400LL,
                                     &gone) == 0 &&
                gone > 0) {
                gz_log_info(4800, "purged %lld stories from the trash", gone);
                gz_cdn_wake();
            }
            next_trash_purge = gz_now() + 600;
        }
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

/* ---- connections: limits, deadlines, eviction ---------------------------
 *
 * Every connection Gazette accepts has a slot, indexed by its socket, in
 * one table under one lock: its client address, its phase (waiting for a
 * request's headers, receiving a body, being answered) and the deadline of
 * that phase. The accept thread fills a slot before handing the socket to
 * MHD and refuses (503, at once) what would pass the limits; MHD's
 * connection notifications confirm a slot (STARTED) and empty it (CLOSED,
 * which MHD sends before it closes the socket, so a socket in a confirmed
 * slot is always still MHD's and never a number reused by someone else);
 * request.c moves a slot from phase to phase. Every SWEEP_MS the accept
 * thread shuts down (shutdown(2), SHUT_RDWR) the confirmed connections
 * past their deadline; MHD sees the end of the stream and closes them.
 *
 * SECURITY: this is what keeps slow clients (slowloris, slow bodies) and
 * connection floods from taking every connection: a connection cannot
 * hold a place by trickling bytes, which each reset MHD's idle timeout.
 */

#define SWEEP_MS 250
/* At max_connections, a new connection may take the place of one waiting
 * for its request's headers (conns_admit): of the address holding the most
 * connections, when that holds at least EVICT_HEAVIER more than the new
 * connection's address; else the one waiting longest, when it has waited
 * EVICT_MIN_WAIT_MS (a fresh connection is given its chance to speak). */
#define EVICT_HEAVIER 2
#define EVICT_MIN_WAIT_MS 1000
/* A slot MHD never confirmed after this long: MHD dropped the socket
 * without a notification (out of memory); the slot is forgotten. */
#define STALE_MS 10000
/* Descriptors kept aside from connections: for the process (mail, the
 * scheduler, files answered with sendfile) and for each worker (its two
 * SQLite connections with their WAL files, MHD's epoll and wake-up). */
#define FD_RESERVE 64
#define FD_PER_WORKER 8
/* The most sockets the table covers (one slot each, touched lazily). */
#define MAX_SLOTS (1 << 20)

/* A client address as the per-address limit counts it: IPv4 as an
 * IPv4-mapped IPv6 address, IPv6 by its /64 (one host usually has the
 * whole /64). */
struct ip_key {
    unsigned char a[16];
};

struct ip_count {
    struct ip_key key;
    int count; /* 0: free */
};

struct conn_slot {
    unsigned char used;    /* a connection we accepted (or MHD started) */
    unsigned char started; /* MHD confirmed it: safe to shut down */
    unsigned char cut;     /* shut down, closing */
    unsigned char phase;   /* enum gz_http_conn_phase */
    unsigned char proxy;   /* from a trusted proxy (proxy.c) */
    struct ip_key ip;
    long long since;    /* monotonic ms: the phase began */
    long long deadline; /* monotonic ms; 0: none */
    struct gz_req *req; /* the request in progress, if any */
};

static struct {
    pthread_mutex_t lock;
    struct conn_slot *slots;
    int nslots;
    int top; /* slots at or past top are unused */
    struct ip_count *ips;
    unsigned ipmask; /* ips has ipmask + 1 entries, a power of two */
    unsigned char hash_key[crypto_shorthash_KEYBYTES];
    int used, cut;
    /* the limits, from the configuration */
    int max, per_ip;
    long long header_ms, body_ms, body_rate;
} conns = {.lock = PTHREAD_MUTEX_INITIALIZER};

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void ip_key_of(const struct sockaddr *sa, struct ip_key *k)
{
    memset(k, 0, sizeof *k);
    if (sa && sa->sa_family == AF_INET) {
        k->a[10] = k->a[11] = 0xff;
        memcpy(k->a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa && sa->sa_family == AF_INET6) {
        const unsigned char *b =
            ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
        static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                                 0, 0, 0, 0, 0xff, 0xff};
        if (memcmp(b, mapped, 12) == 0)
            memcpy(k->a, b, 16); /* an IPv4 client of an IPv6 socket */
        else
            memcpy(k->a, b, 8);
    }
}

/* The entry of key in the address table, or the free entry where it would
 * go. The table is never more than half full (conns_init sizes it for
 * twice the connections that can exist), so the probe ends. */
static struct ip_count *ip_find(const struct ip_key *k)
{
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, k->a, sizeof k->a, conns.hash_key);
    for (unsigned i = (unsigned)h & conns.ipmask;; i = (i + 1) & conns.ipmask) {
        struct ip_count *e = &conns.ips[i];
        if (e->count == 0 || memcmp(&e->key, k, sizeof *k) == 0)
            return e;
    }
}

static int ip_count(const struct ip_key *k)
{
    return ip_find(k)->count;
}

static void ip_add(const struct ip_key *k)
{
    struct ip_count *e = ip_find(k);
    e->key = *k;
    e->count++;
}

/* One connection fewer for k; an entry reaching 0 is removed by shifting
 * back the entries after it that probed past it (linear probing without
 * tombstones). */
static void ip_del(const struct ip_key *k)
{
    struct ip_count *e = ip_find(k);
    if (e->count == 0 || --e->count > 0)
        return;
    unsigned hole = (unsigned)(e - conns.ips);
    for (unsigned j = (hole + 1) & conns.ipmask; conns.ips[j].count;
         j = (j + 1) & conns.ipmask) {
        uint64_t h;
        crypto_shorthash((unsigned char *)&h, conns.ips[j].key.a, 16,
                         conns.hash_key);
        unsigned home = (unsigned)h & conns.ipmask;
        /* j may move to the hole unless its home lies in (hole, j]. */
        int stays =
            hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!stays) {
            conns.ips[hole] = conns.ips[j];
            conns.ips[j].count = 0;
            hole = j;
        }
    }
}

/* Fills slot fd (the lock held). */
static void slot_fill(int fd, const struct ip_key *k, long long now)
{
    struct conn_slot *s = &conns.slots[fd];
    memset(s, 0, sizeof *s);
    s->used = 1;
    s->ip = *k;
    s->phase = GZ_CONN_WAIT;
    s->since = now;
    s->deadline = now + conns.header_ms;
    ip_add(k);
    conns.used++;
    if (fd >= conns.top)
        conns.top = fd + 1;
}

/* Empties slot fd (the lock held); the request in progress, if any, is
 * the caller's. */
static struct gz_req *slot_clear(int fd)
{
    struct conn_slot *s = &conns.slots[fd];
    struct gz_req *req = s->req;
    if (!s->used)
        return NULL;
    ip_del(&s->ip);
    conns.used--;
    if (s->cut)
        conns.cut--;
    memset(s, 0, sizeof *s);
    while (conns.top > 0 && !conns.slots[conns.top - 1].used)
        conns.top--;
    return req;
}

/* Shuts down the confirmed connection of slot fd (the lock held). */
static void slot_cut(int fd)
{
    struct conn_slot *s = &conns.slots[fd];
    shutdown(fd, SHUT_RDWR);
    s->cut = 1;
    conns.cut++;
}

/* Raises the open-file limit to its hard limit and sizes the table;
 * lowers max_connections when even that cannot hold it (with threads
 * workers). 0 or -1. */
static int conns_init(const struct gz_config *cfg, unsigned threads)
{
    struct rlimit rl;
    long long files = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        if (rl.rlim_cur < rl.rlim_max) {
            rlim_t want = rl.rlim_max;
            if (want == RLIM_INFINITY || want > MAX_SLOTS)
                want = MAX_SLOTS;
            if (want > rl.rlim_cur) {
                rl.rlim_cur = want;
                setrlimit(RLIMIT_NOFILE, &rl);
                getrlimit(RLIMIT_NOFILE, &rl);
            }
        }
        files =
            rl.rlim_cur == RLIM_INFINITY ? MAX_SLOTS : (long long)rl.rlim_cur;
    }
    if (files > MAX_SLOTS)
        files = MAX_SLOTS;
    long long reserve = FD_RESERVE + FD_PER_WORKER * (long long)threads;
    conns.max = cfg->max_connections;
    if (conns.max > files - reserve) {
        conns.max =
            files > 2 * reserve ? (int)(files - reserve) : (int)(files / 2);
        gz_log_err(1111,
                   "server.max_connections %d is more than the open-file "
                   "limit (%lld) allows: %d",
                   cfg->max_connections, files, conns.max);
    }
    conns.per_ip = cfg->per_ip_connections;
    gz_store_search_set_limits(cfg->search_slots, 0, 0,
                               cfg->search_wait_ms > 0 ? cfg->search_wait_ms
                                                       : -1);
    conns.header_ms = cfg->header_timeout * 1000LL;
    conns.body_ms = cfg->body_timeout * 1000LL;
    conns.body_rate = cfg->body_rate;
    conns.nslots = (int)files;
    conns.slots = calloc((size_t)conns.nslots, sizeof *conns.slots);
    /* At most 2 * max slots are ever used (admit), so at most that many
     * addresses: a table of 4 * max keeps it half empty. */
    unsigned n = 16;
    while (n < 4u * (unsigned)conns.max)
        n *= 2;
    conns.ips = calloc(n, sizeof *conns.ips);
    conns.ipmask = n - 1;
    crypto_shorthash_keygen(conns.hash_key);
    conns.used = conns.cut = conns.top = 0;
    return conns.slots && conns.ips ? 0 : -1;
}

static void conns_free(void)
{
    free(conns.slots);
    free(conns.ips);
    conns.slots = NULL;
    conns.ips = NULL;
}

/* Why a connection is refused. */
enum refusal { ADMITTED = 0, REFUSE_FULL, REFUSE_ADDRESS };

/* The connection to shut down so that a new one, from an address that
 * already holds mine connections, can have a place; or -1 (the lock
 * held). Only a connection
 * waiting for its request's headers gives way: one with a request in
 * progress is never cut for another. Preferably one of the address that
 * holds the most (so a few addresses cannot keep the others out), the one
 * waiting longest of those; else the one waiting longest of all, if it
 * has waited a while. */
static int eviction_victim(int mine, long long now)
{
    int heavy = -1, heavy_count = 0, old = -1;
    for (int i = 0; i < conns.top; i++) {
        const struct conn_slot *s = &conns.slots[i];
        if (!s->used || !s->started || s->cut || s->phase != GZ_CONN_WAIT)
            continue;
        /* A trusted proxy's many connections are many clients: it is
         * never "the address holding the most". */
        int n = s->proxy ? 0 : ip_count(&s->ip);
        if (n > 0 &&
            (n > heavy_count ||
             (n == heavy_count && s->since < conns.slots[heavy].since))) {
            heavy = i;
            heavy_count = n;
        }
        if (old < 0 || s->since < conns.slots[old].since)
            old = i;
    }
    if (heavy >= 0 && heavy_count >= mine + EVICT_HEAVIER)
        return heavy;
    if (old >= 0 && now - conns.slots[old].since >= EVICT_MIN_WAIT_MS)
        return old;
    return -1;
}

/* May fd (just accepted from sa) have a place? Fills its slot when so.
 * At max_connections a connection waiting for its headers may give way
 * (eviction_victim). */
static enum refusal conns_admit(int fd, const struct sockaddr *sa)
{
    struct ip_key k;
    ip_key_of(sa, &k);
    long long now = now_ms();
    enum refusal r = ADMITTED;
    pthread_mutex_lock(&conns.lock);
    int mine = ip_count(&k);
    /* A trusted proxy carries every client: not capped as one address
     * (it still counts toward max_connections). */
    int proxy = gz_http_proxy_trusted(sa);
    if (fd < 0 || fd >= conns.nslots) {
        r = REFUSE_FULL;
    } else if (conns.per_ip > 0 && mine >= conns.per_ip && !proxy) {
        r = REFUSE_ADDRESS;
    } else if (conns.used - conns.cut >= conns.max) {
        /* Full. The ones being shut down still hold sockets until MHD
         * closes them: never more than twice max at once. */
        int victim =
            conns.used < 2 * conns.max ? eviction_victim(mine, now) : -1;
        if (victim >= 0)
            slot_cut(victim);
        else
            r = REFUSE_FULL;
    }
    if (r == ADMITTED) {
        /* A slot still used here was a socket MHD closed without telling
         * (only an unconfirmed one can be: a confirmed socket is closed
         * after its CLOSED notification): forget it. */
        slot_clear(fd);
        slot_fill(fd, &k, now);
        conns.slots[fd].proxy = (unsigned char)proxy;
    }
    pthread_mutex_unlock(&conns.lock);
    return r;
}

void gz_http_conn_gauges(long long *open)
{
    pthread_mutex_lock(&conns.lock);
    *open = conns.used - conns.cut;
    pthread_mutex_unlock(&conns.lock);
}

/* MHD refused fd (and closed it): its slot goes. */
static void conns_forget(int fd)
{
    pthread_mutex_lock(&conns.lock);
    if (fd >= 0 && fd < conns.nslots && !conns.slots[fd].started)
        slot_clear(fd);
    pthread_mutex_unlock(&conns.lock);
}

/* Shuts down the connections past their deadline; forgets slots MHD never
 * confirmed. With all set, also every connection waiting for headers (the
 * graceful stop: they have no answer to finish). */
static void conns_sweep(int all_waiting)
{
    long long now = now_ms();
    int n = 0;
    pthread_mutex_lock(&conns.lock);
    for (int i = 0; i < conns.top; i++) {
        struct conn_slot *s = &conns.slots[i];
        if (!s->used || s->cut)
            continue;
        if (!s->started) {
            if (now - s->since > STALE_MS)
                slot_clear(i);
            continue;
        }
        if ((s->deadline && now >= s->deadline) ||
            (all_waiting && s->phase == GZ_CONN_WAIT)) {
            slot_cut(i);
            n++;
        }
    }
    pthread_mutex_unlock(&conns.lock);
    if (n && !all_waiting)
        gz_log_info(1112, "closed %d connection%s past their deadline", n,
                    n == 1 ? "" : "s");
}

/* MHD's connection notifications, on the worker serving the connection. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    int fd = ci ? ci->connect_fd : -1;
    if (fd < 0 || fd >= conns.nslots)
        return;
    struct gz_req *orphan = NULL;
    pthread_mutex_lock(&conns.lock);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        if (!conns.slots[fd].used) {
            /* Forgotten as stale while MHD was busy: counted again. */
            const union MHD_ConnectionInfo *ai = MHD_get_connection_info(
                conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
            struct ip_key k;
            ip_key_of(ai ? ai->client_addr : NULL, &k);
            slot_fill(fd, &k, now_ms());
        }
        conns.slots[fd].started = 1;
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
        orphan = slot_clear(fd);
    }
    pthread_mutex_unlock(&conns.lock);
    /* A request MHD never reported complete (it does not, on some of its
     * own error paths): freed here, so nothing leaks and the in-flight
     * count comes down. */
    if (orphan)
        gz_http_request_abandoned(orphan);
}

void gz_http_conn_begin(struct gz_req *req)
{
    if (req->fd < 0 || req->fd >= conns.nslots)
        return;
    struct gz_req *lost = NULL;
    pthread_mutex_lock(&conns.lock);
    struct conn_slot *s = &conns.slots[req->fd];
    if (s->used) {
        /* MHD starts a connection's next request only once the last one
         * is over; one still here was never reported complete, and MHD
         * no longer holds it. */
        if (s->req && s->req != req)
            lost = s->req;
        s->req = req;
    }
    pthread_mutex_unlock(&conns.lock);
    if (lost)
        gz_http_request_abandoned(lost);
}

void gz_http_conn_phase(struct gz_req *req, enum gz_http_conn_phase phase,
                        long long body_bytes)
{
    if (req->fd < 0 || req->fd >= conns.nslots)
        return;
    long long now = now_ms();
    pthread_mutex_lock(&conns.lock);
    struct conn_slot *s = &conns.slots[req->fd];
    if (s->used && s->phase != phase) {
        s->phase = (unsigned char)phase;
        s->since = now;
        if (phase == GZ_CONN_BODY)
            s->deadline =
                now + conns.body_ms +
                (body_bytes > 0 ? body_bytes / conns.body_rate * 1000 : 0);
        else if (phase == GZ_CONN_WAIT)
            s->deadline = now + conns.header_ms;
        else
            s->deadline = 0;
    }
    pthread_mutex_unlock(&conns.lock);
}

void gz_http_conn_end(struct gz_req *req)
{
    if (req->fd < 0 || req->fd >= conns.nslots)
        return;
    long long now = now_ms();
    pthread_mutex_lock(&conns.lock);
    struct conn_slot *s = &conns.slots[req->fd];
    if (s->used && s->req == req) {
        s->req = NULL;
        s->phase = GZ_CONN_WAIT;
        s->since = now;
        s->deadline = now + conns.header_ms;
    }
    pthread_mutex_unlock(&conns.lock);
}

/* ---- the listening socket and the accept thread ------------------------- */

struct listener {
    int fd;      /* listening, non-blocking */
    int stop[2]; /* a pipe: a byte on it ends the accept thread */
    int spare;   /* a descriptor kept to accept-and-refuse at EMFILE */
    int tls;     /* HTTPS: a refusal is a close (no plain-text 503) */
    struct MHD_Daemon *d;
    struct MHD_Daemon *ops; /* one thread for health probes (probe_daemon) */
};

/* The accept thread may wait for a new connection's first bytes at most
 * PEEK_WAITS times a second (a millisecond each), so connections that
 * never speak cannot slow the accepting of others by more than 5%. */
#define PEEK_WAITS 50
static int peek_wait_allowed(void)
{
    static long long window; /* the second being counted (accept thread) */
    static int used;
    long long now = now_ms() / 1000;
    if (now != window) {
        window = now;
        used = 0;
    }
    return used++ < PEEK_WAITS;
}

/* The daemon for connection c: the health probe's own thread when the
 * request already waiting on it is a GET of /healthz, else the workers.
 * A load balancer's probe must not wait behind the pages queued on a busy
 * worker (the soak run's probe waited up to 229 ms on two saturated
 * cores); a thread that is otherwise asleep is scheduled at once. Only a
 * peek: bytes not yet arrived (or TLS, whose bytes are not readable here)
 * go to the workers as any request does. */
static struct MHD_Daemon *probe_daemon(const struct listener *l, int c)
{
    static const char probe[] = "GET /healthz";
    char head[sizeof probe];
    if (!l->ops || l->tls)
        return l->d;
    ssize_t n = recv(c, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && errno == EAGAIN && peek_wait_allowed()) {
        /* Accepted before the client's first bytes (they follow the
         * handshake by microseconds): a millisecond for them at most. */
        struct pollfd p = {c, POLLIN, 0};
        if (poll(&p, 1, 1) == 1)
            n = recv(c, head, sizeof head, MSG_PEEK | MSG_DONTWAIT);
    }
    if (n == (ssize_t)sizeof head && memcmp(head, probe, sizeof probe - 1) == 0 &&
        (head[sizeof probe - 1] == ' ' || head[sizeof probe - 1] == '?'))
        return l->ops;
    return l->d;
}

/* Binds and listens on sa. The socket, or -1 (errno set). */
static int listen_on(const struct sockaddr *sa, socklen_t slen)
{
    int fd =
        socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* As libmicrohttpd does: a restart may bind while old connections of
     * the previous process sit in TIME_WAIT; an IPv6 address means IPv6
     * only. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (sa->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, sa, slen) != 0 || listen(fd, SOMAXCONN) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void pause_ms(long ms)
{
    struct timespec t = {0, ms * 1000 * 1000};
    nanosleep(&t, NULL);
}

/* Answers a refused connection at once (it would otherwise wait in the
 * kernel's queue, or be closed without a word) and closes it. What the
 * client already sent is read first, so the close is a FIN, not a reset
 * that could destroy the answer in flight. Over TLS there is no answer
 * before a handshake: the connection is only closed. */
static void refuse(const struct listener *l, int fd, enum refusal why)
{
    if (l->tls) {
        close(fd);
        return;
    }
    const char *text = why == REFUSE_ADDRESS
                           ? "Too many connections from your address. Try "
                             "again in a few seconds.\n"
                           : "The server is busy. Try again in a few "
                             "seconds.\n";
    char msg[400];
    int len = snprintf(msg, sizeof msg,
                       "HTTP/1.1 503 Service Unavailable\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n"
                       "Retry-After: 5\r\n"
                       "Connection: close\r\n"
                       "Content-Length: %zu\r\n"
                       "\r\n%s",
                       strlen(text), text);
    char sink[4096];
    for (int i = 0; i < 16 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0;
         i++)
        ;
    if (send(fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
        /* the client is gone: nothing to tell */
    }
    shutdown(fd, SHUT_WR);
    close(fd);
}

/* Accepts the pending connections (at most ACCEPT_BATCH, so that a flood
 * cannot keep the sweep from running): refused ones are answered 503 and
 * closed here; the others go to MHD, which spreads them over its workers
 * (its own limits are set above ours, so it refuses none). */
#define ACCEPT_BATCH 256
static void accept_pending(struct listener *l)
{
    for (int batch = 0; batch < ACCEPT_BATCH; batch++) {
        struct sockaddr_storage sa;
        socklen_t slen = sizeof sa;
        int c = accept4(l->fd, (struct sockaddr *)&sa, &slen,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            enum refusal r = conns_admit(c, (const struct sockaddr *)&sa);
            if (r != ADMITTED) {
                refuse(l, c, r);
                continue;
            }
            if (MHD_add_connection(probe_daemon(l, c), c,
                                   (const struct sockaddr *)&sa,
                                   slen) != MHD_YES)
                conns_forget(c); /* MHD closed it */
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
            /* Out of descriptors: give back the spare one to accept the
             * next connection and refuse it, rather than leave clients
             * waiting in the backlog. */
            int e = errno;
            if (l->spare >= 0 && (e == EMFILE || e == ENFILE)) {
                close(l->spare);
                l->spare = -1;
                c = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
                if (c >= 0)
                    refuse(l, c, REFUSE_FULL);
                l->spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (c >= 0)
                    continue;
            }
            gz_log_err(1108, "cannot accept a connection: %s", strerror(e));
            pause_ms(50);
        }
        return; /* EAGAIN: nothing more for now */
    }
}

static void *accept_loop(void *arg)
{
    struct listener *l = arg;
    struct pollfd p[2] = {{l->fd, POLLIN, 0}, {l->stop[0], POLLIN, 0}};
    long long next_sweep = now_ms() + SWEEP_MS;
    for (;;) {
        long long wait = next_sweep - now_ms();
        int n = poll(p, 2, wait < 0 ? 0 : (int)wait);
        if (n < 0 && errno != EINTR) {
            gz_log_err(1109, "poll on the listening socket: %s",
                       strerror(errno));
            pause_ms(50);
        }
        if (n > 0 && p[1].revents)
            return NULL;
        if (n > 0 && (p[0].revents & POLLIN))
            accept_pending(l);
        else if (n > 0 && p[0].revents)
            pause_ms(50); /* an error state: do not spin */
        if (now_ms() >= next_sweep) {
            conns_sweep(0);
            next_sweep = now_ms() + SWEEP_MS;
        }
    }
}

/* ---- start and stop ------------------------------------------------------ */

/* The address of server.host and server.port. 0, or -1 (not an IP). */
static int server_address(const struct gz_config *cfg,
                          struct sockaddr_storage *ss, socklen_t *slen)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    if (inet_pton(AF_INET, cfg->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->port);
        *slen = sizeof *sin;
        return 0;
    }
    if (inet_pton(AF_INET6, cfg->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->port);
        *slen = sizeof *sin6;
        return 0;
    }
    return -1;
}

static int bound_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t slen = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &slen) != 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

int gz_server_run(struct gz_app *app)
{
    struct gz_config *cfg = &app->cfg;
    int rc = 1;
    char *cert = NULL, *key = NULL;
    struct listener l = {-1, {-1, -1}, -1, 0, NULL, NULL};
    int conns_ok = 0;
    gz_http_request_ids_init();
    if (cfg->page_cache) {
        app->cache = gz_http_cache_new();
        gz_http_cache_set_limit(app->cache, cfg->page_cache_bytes);
    }
    gz_http_dbpool_start(app);

    struct sockaddr_storage ss;
    socklen_t slen;
    if (server_address(cfg, &ss, &slen) != 0) {
        fprintf(stderr, "gazette: server.host: \"%s\" is not an IP address\n",
                cfg->host);
        goto out;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
    if (cfg->tls_cert[0]) {
        cert = gz_read_file(cfg->tls_cert, NULL);
        key = gz_read_file(cfg->tls_key, NULL);
        if (!cert || !key) {
            fprintf(stderr,
                    "gazette: server.tls_cert/tls_key: cannot read "
                    "%s or %s\n",
                    cfg->tls_cert, cfg->tls_key);
            goto out;
        }
        flags |= MHD_USE_TLS;
        l.tls = 1;
    }
    /* Default: four workers per core. A worker serves its connections one
     * request at a time, so a few extra keep a slow query (a rare search)
     * from holding up the cached pages behind it. */
    unsigned threads = cfg->threads > 0
                           ? (unsigned)cfg->threads
                           : 4 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    l.fd = listen_on((const struct sockaddr *)&ss, slen);
    if (l.fd < 0 || pipe2(l.stop, O_CLOEXEC) != 0) {
        fprintf(stderr,
                "gazette: cannot listen on %s:%d (in use, or not allowed): "
                "%s\n",
                cfg->host, cfg->port, strerror(errno));
        goto out;
    }
    if (conns_init(cfg, threads + 1) != 0) { /* + the probes' thread */
        fprintf(stderr, "gazette: out of memory for the connection table\n");
        goto out;
    }
    if (gz_http_proxies_init(cfg) != 0)
        goto out;
    conns_ok = 1;
    l.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
    MHD_set_panic_func(on_panic, NULL);
    /* Block the stop signals before any thread starts, so every thread
     * inherits the mask and the main thread alone takes them (sigwait). */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The connection limits are ours (conns_admit, which answers 503
     * where MHD would close without a word); MHD's own limit is set well
     * above them, as its per-worker share is checked before a worker has
     * counted the connections queued to it. Its per-address limit is off.
     * The memory pool of a connection holds the request line, the header
     * fields and their records, then the answer's headers: sized so that
     * our own limits (414, 431) are met before MHD's. */
    unsigned mhd_limit = 4u * (unsigned)conns.max + 16u * threads;
    size_t pool =
        (size_t)cfg->max_url_bytes + (size_t)cfg->max_header_bytes + 32 * 1024;
    if (pool < 64 * 1024)
        pool = 64 * 1024;
    struct MHD_OptionItem opts[] = {
        {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)mhd_limit, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)pool, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)gz_http_on_uri, app},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)gz_http_on_unescape, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)gz_http_on_completed, NULL},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, NULL},
        {cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_ARRAY, 0, cert},
        {cert ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_ARRAY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    /* Without TLS the two TLS slots become an empty MHD_OPTION_ARRAY. */
    struct MHD_OptionItem empty[] = {{MHD_OPTION_END, 0, NULL}};
    if (!cert) {
        opts[8].ptr_value = empty;
        opts[9].ptr_value = empty;
    }
    l.d = MHD_start_daemon(flags, 0, NULL, NULL, gz_http_on_request, app,
                           MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    /* The probes' daemon: the same server on one thread of its own. */
    opts[0].value = 1;
    l.ops = l.d ? MHD_start_daemon(flags, 0, NULL, NULL, gz_http_on_request,
                                   app, MHD_OPTION_ARRAY, opts, MHD_OPTION_END)
                : NULL;
    app->probe_daemon = l.ops;
    if (!l.d) {
        fprintf(stderr, "gazette: cannot start the HTTP server on %s:%d\n",
                cfg->host, cfg->port);
        goto out;
    }
    int port = bound_port(l.fd);
    if (port < 0)
        port = cfg->port;
    if (!cfg->base_url[0])
        snprintf(app->base_url, sizeof app->base_url, "%s://%s:%d",
                 cert ? "https" : "http", cfg->host, port);
    /* The purgers' cursors are loaded before any thread that could prune
     * the page changes they still need (the background thread, and the
     * first request's cache sync). */
    if (gz_cdn_start(app) != 0)
        gz_log_err(1113, "the purge thread did not start; caches in front "
                         "keep pages until they expire");
    pthread_t acceptor;
    if (pthread_create(&acceptor, NULL, accept_loop, &l) != 0) {
        fprintf(stderr, "gazette: cannot start the accept thread\n");
        MHD_stop_daemon(l.d);
        if (l.ops)
            MHD_stop_daemon(l.ops);
        goto out;
    }
    gz_log_info(1103, "Gazette %s listening on %s://%s:%d (%u threads)",
                GZ_VERSION, cert ? "https" : "http", cfg->host, port, threads);

    pthread_t bg;
    int bg_ok = pthread_create(&bg, NULL, background, app) == 0;
    if (gz_mail_start(app) != 0)
        gz_log_err(1107, "the mail sender did not start; mail stays queued");
    gz_backup_start(cfg); /* logs its own failure */
    int sig = 0;
    sigwait(&stop_set, &sig);
    gz_log_info(1104, "%s: shutting down, finishing requests in flight",
                sig == SIGINT ? "SIGINT" : "SIGTERM");
    /* Stop accepting (new clients are refused at once), shut down the
     * connections still waiting for a request's headers (they have no
     * answer to finish, and a slow one would hold the stop), then let
     * answers in flight finish: wait (up to 10 seconds) until no request
     * is between its first byte and its last response byte, so a long
     * response is not cut off; idle keep-alive connections are then
     * closed by MHD_stop_daemon. */
    if (write(l.stop[1], "x", 1) != 1)
        gz_log_err(1110, "cannot signal the accept thread: %s",
                   strerror(errno));
    pthread_join(acceptor, NULL);
    close(l.fd);
    l.fd = -1;
    for (int waited = 0; waited < 200; waited++) {
        conns_sweep(1);
        if (gz_http_in_flight() == 0)
            break;
        pause_ms(50);
    }
    MHD_stop_daemon(l.d);
    if (l.ops)
        MHD_stop_daemon(l.ops);
    pthread_mutex_lock(&bg_lock);
    stop_requested = 1;
    pthread_cond_broadcast(&bg_cond);
    pthread_mutex_unlock(&bg_lock);
    if (bg_ok)
        pthread_join(bg, NULL);
    gz_mail_stop();
    gz_cdn_stop();
    gz_backup_stop(); /* abandons a backup in progress at once */
    gz_http_dbpool_close_all();
    gz_log_info(1105, "stopped cleanly");
    rc = 0;
out:
    if (l.fd >= 0)
        close(l.fd);
    if (l.stop[0] >= 0) {
        close(l.stop[0]);
        close(l.stop[1]);
    }
    if (l.spare >= 0)
        close(l.spare);
    if (conns_ok)
        conns_free();
    gz_http_cache_free(app->cache);
    app->cache = NULL;
    free(cert);
    free(key);
    return rc;
}
