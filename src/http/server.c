/*
 * server.c - the daemon's life: libmicrohttpd's options and limits (thread
 * pool, connection, per-address, timeout and memory limits, TLS), start,
 * the stop signals, the graceful stop (stop accepting, let answers in
 * flight finish, close the databases), and the background thread that
 * publishes scheduled stories. The request path itself is request.c and
 * the files it names (see internal.h).
 *
 * Threads: gz_server_run runs on the main thread, which blocks SIGINT and
 * SIGTERM before any other thread starts and then waits for them with
 * sigwait. MHD runs an epoll thread pool; the scheduler has its own
 * thread and its own connection; the mail sender is mail.c's.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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

/* ---- the background thread: scheduled publishing ------------------------- */

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

/* ---- start and stop ------------------------------------------------------ */

int gz_server_run(struct gz_app *app)
{
    struct gz_config *cfg = &app->cfg;
    gz_http_request_ids_init();
    if (cfg->page_cache)
        app->cache = gz_http_cache_new();
    gz_http_dbpool_start(app);

    struct sockaddr_storage ss = {0};
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                     MHD_USE_ERROR_LOG | MHD_USE_ITC;
    if (inet_pton(AF_INET, cfg->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "gazette: server.host: \"%s\" is not an IP address\n",
                cfg->host);
        gz_http_cache_free(app->cache);
        app->cache = NULL;
        return 1;
    }
    char *cert = NULL, *key = NULL;
    if (cfg->tls_cert[0]) {
        cert = gz_read_file(cfg->tls_cert, NULL);
        key = gz_read_file(cfg->tls_key, NULL);
        if (!cert || !key) {
            fprintf(stderr,
                    "gazette: server.tls_cert/tls_key: cannot read "
                    "%s or %s\n",
                    cfg->tls_cert, cfg->tls_key);
            free(cert);
            free(key);
            gz_http_cache_free(app->cache);
            app->cache = NULL;
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
        opts[9].ptr_value = empty;
        opts[10].ptr_value = empty;
    }
    struct MHD_Daemon *d =
        MHD_start_daemon(flags, 0, NULL, NULL, gz_http_on_request, app,
                         MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr,
                "gazette: cannot listen on %s:%d (in use, or not allowed)\n",
                cfg->host, cfg->port);
        free(cert);
        free(key);
        gz_http_cache_free(app->cache);
        app->cache = NULL;
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
        if (gz_http_in_flight() == 0)
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
    gz_http_dbpool_close_all();
    gz_http_cache_free(app->cache);
    app->cache = NULL;
    free(cert);
    free(key);
    gz_log_info(1105, "stopped cleanly");
    return 0;
}
