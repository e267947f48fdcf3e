/*
 * server.c - the daemon's life: the listening socket and the thread that
 * accepts on it, libmicrohttpd's options and limits (thread pool,
 * connection, per-address, timeout and memory limits, TLS), start, the
 * stop signals, the graceful stop (stop accepting, let answers in flight
 * finish, close the databases), and the background thread that publishes
 * scheduled stories. The request path itself is request.c and the files
 * it names (see internal.h).
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
 * sigwait. MHD runs an epoll thread pool; the accept thread only accepts;
 * the scheduler has its own thread and its own connection; the mail
 * sender is mail.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gazette/mail.h"
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

/* ---- the listening socket and the accept thread ------------------------- */

struct listener {
    int fd;      /* listening, non-blocking */
    int stop[2]; /* a pipe: a byte on it ends the accept thread */
    struct MHD_Daemon *d;
};

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

/* Accepts every pending connection and gives it to MHD, which spreads
 * them over its workers and enforces the connection and per-address
 * limits (closing what it refuses). */
static void accept_pending(struct listener *l)
{
    for (;;) {
        struct sockaddr_storage sa;
        socklen_t slen = sizeof sa;
        int c = accept4(l->fd, (struct sockaddr *)&sa, &slen,
                        SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            MHD_add_connection(l->d, c, (const struct sockaddr *)&sa, slen);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
            errno == ENOMEM) {
            /* Out of descriptors or memory: the connections being served
             * will free some; the waiting ones stay in the backlog. */
            gz_log_err(1108, "cannot accept a connection: %s", strerror(errno));
            pause_ms(50);
        }
        return; /* EAGAIN: nothing more for now */
    }
}

static void *accept_loop(void *arg)
{
    struct listener *l = arg;
    struct pollfd p[2] = {{l->fd, POLLIN, 0}, {l->stop[0], POLLIN, 0}};
    for (;;) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            gz_log_err(1109, "poll on the listening socket: %s",
                       strerror(errno));
            pause_ms(50);
            continue;
        }
        if (p[1].revents)
            return NULL;
        if (p[0].revents & POLLIN)
            accept_pending(l);
        else if (p[0].revents)
            pause_ms(50); /* an error state: do not spin */
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
    struct listener l = {-1, {-1, -1}, NULL};
    gz_http_request_ids_init();
    if (cfg->page_cache)
        app->cache = gz_http_cache_new();
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
        {MHD_OPTION_THREAD_POOL_SIZE, threads, NULL},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->per_ip_connections,
         NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->timeout, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, 32 * 1024, NULL},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)gz_http_on_uri, app},
        {MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)gz_http_on_unescape, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)gz_http_on_completed, NULL},
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
    pthread_t acceptor;
    if (pthread_create(&acceptor, NULL, accept_loop, &l) != 0) {
        fprintf(stderr, "gazette: cannot start the accept thread\n");
        MHD_stop_daemon(l.d);
        goto out;
    }
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
    /* Stop accepting (new clients are refused at once), then let answers
     * in flight finish: wait (up to 10 seconds) until no request is
     * between its first byte and its last response byte, so a long
     * response is not cut off; idle keep-alive connections are then
     * closed by MHD_stop_daemon. */
    if (write(l.stop[1], "x", 1) != 1)
        gz_log_err(1110, "cannot signal the accept thread: %s",
                   strerror(errno));
    pthread_join(acceptor, NULL);
    close(l.fd);
    l.fd = -1;
    for (int waited = 0; waited < 200; waited++) {
        if (gz_http_in_flight() == 0)
            break;
        pause_ms(50);
    }
    MHD_stop_daemon(l.d);
    pthread_mutex_lock(&bg_lock);
    stop_requested = 1;
    pthread_cond_broadcast(&bg_cond);
    pthread_mutex_unlock(&bg_lock);
    if (bg_ok)
        pthread_join(bg, NULL);
    gz_mail_stop();
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
    gz_http_cache_free(app->cache);
    app->cache = NULL;
    free(cert);
    free(key);
    return rc;
}
