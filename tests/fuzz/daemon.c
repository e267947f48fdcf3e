/*
 * daemon.c - Gazette's request machinery in-process, for the harnesses
 * that fuzz whole requests (fuzz_req, fuzz_api): see fz_daemon_exchange
 * in fuzz.h.
 *
 * The daemon is libmicrohttpd with the callbacks and limits of
 * src/http/server.c, but driven from this thread (MHD_run, no internal
 * polling thread) and with no listening socket: each input is one
 * connection handed over with MHD_add_connection, the way server.c hands
 * over the ones it accepts. One thread means the coverage libFuzzer sees
 * is the input's own and a crash reproduces alone.
 *
 * NOTE: this includes src/http/internal.h for the MHD callbacks, the
 * page cache and the request ids. When server.c's daemon options change,
 * mirror them in start_mhd() below.
 *
 * Threads: none of its own; everything runs on the caller's thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/http/internal.h"
#include "fuzz.h"
#include "gazette/db.h"
#include "gazette/store.h"
#include "gazette/view.h"

#define PASSWORD "fuzz-password-1"

struct who {
    char session[65];
    char csrf[65];
    char token[69];
};

static struct gz_app app;
static struct MHD_Daemon *daemon_;
static struct who admin, author;

/* ---- seeding ------------------------------------------------------------- */

static void make_user(struct gz_db *db, const char *email, const char *name,
                      const char *role, struct who *w)
{
    char err[200];
    const char *field = NULL;
    long long id = 0, tid = 0;
    struct gz_session_user su;
    if (gz_store_user_create(db, email, name, role, PASSWORD, &id, err,
                             sizeof err, &field) != 0 ||
        gz_store_session_create(db, id, 10 * 365 * 86400, w->session) != 0 ||
        gz_store_session_get(db, w->session, &su) != 0 ||
        gz_store_api_token_create(db, "fuzz", email, w->token, &tid) != 0)
        fz_die("cannot make the users");
    snprintf(w->csrf, sizeof w->csrf, "%s", su.csrf);
}

static void seed(const char *db_path)
{
    fz_seed_demo(db_path);
    struct gz_db *db = gz_db_open(db_path, GZ_DB_READWRITE, "NORMAL");
    if (!db)
        fz_die("cannot open the database");
    make_user(db, "admin@example.com", "Ada Admin", "admin", &admin);
    make_user(db, "author@example.com", "Abe Author", "author", &author);
    gz_db_close(db);
}

/* ---- the application and the daemon ------------------------------------- */

static void build_app(const char *dir)
{
    struct gz_config *cfg = &app.cfg;
    gz_config_defaults(cfg);
    snprintf(cfg->db_path, sizeof cfg->db_path, "%s/gazette.db", dir);
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "%s/data", dir);
    snprintf(cfg->templates_dir, sizeof cfg->templates_dir, "%s",
             fz_source_path("templates"));
    snprintf(cfg->static_dir, sizeof cfg->static_dir, "%s",
             fz_source_path("static"));
    snprintf(cfg->demo_file, sizeof cfg->demo_file, "%s",
             fz_source_path("demo/demo.json"));
    snprintf(cfg->synchronous, sizeof cfg->synchronous, "NORMAL");
    cfg->access_log = 0;
    cfg->page_cache = 1;
    cfg->threads = 1;
    mkdir(cfg->data_dir, 0755);
    snprintf(app.base_url, sizeof app.base_url, "http://127.0.0.1:8080");
    app.render_error = gz_view_error;

    char err[600];
    app.tpl = gz_tpl_set_new();
    if (!app.tpl ||
        gz_tpl_add_dir(app.tpl, cfg->templates_dir, err, sizeof err) != 0)
        fz_die("cannot load the templates");
    app.statics = gz_static_load(cfg->static_dir);
    if (!app.statics)
        fz_die("cannot load the static files");
    /* As cmd_serve (src/main.c) does. */
    const char *css = gz_static_url(app.statics, "css/site.css");
    const char *js = gz_static_url(app.statics, "js/site.js");
    const char *icon = gz_static_url(app.statics, "img/favicon.svg");
    const char *admin_css = gz_static_url(app.statics, "css/admin.css");
    const char *admin_js = gz_static_url(app.statics, "js/admin.js");
    app.assets =
        json_pack("{s:s, s:s, s:s, s:s, s:s}", "css_url",
                  css ? css : "/static/css/site.css", "js_url",
                  js ? js : "/static/js/site.js", "favicon_url",
                  icon ? icon : "/favicon.ico", "admin_css_url",
                  admin_css ? admin_css : "/static/css/admin.css",
                  "admin_js_url", admin_js ? admin_js : "/static/js/admin.js");
}

/* A fresh page cache with the configured limit, as server.c makes it. */
static void new_cache(void)
{
    app.cache = gz_http_cache_new();
    if (!app.cache)
        fz_die("cannot make the page cache");
    gz_http_cache_set_limit(app.cache, app.cfg.page_cache_bytes);
}

/* The request of the one connection, from the URI callback until MHD
 * reports it complete: server.c's connection table does this job there. */
static struct gz_req *in_progress;

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    in_progress = gz_http_on_uri(cls, uri, conn);
    return in_progress;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    if (*req_cls == in_progress)
        in_progress = NULL;
    gz_http_on_completed(cls, conn, req_cls, toe);
}

/* As server.c's on_connection: a request MHD never reported complete
 * (the client left before the end of the headers) is freed when its
 * connection closes. */
static void on_connection(void *cls, struct MHD_Connection *conn,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    if (code == MHD_CONNECTION_NOTIFY_CLOSED && in_progress) {
        gz_http_request_abandoned(in_progress);
        in_progress = NULL;
    }
}

static void start_mhd(void)
{
    const struct gz_config *cfg = &app.cfg;
    gz_http_request_ids_init();
    new_cache();
    gz_http_dbpool_start(&app);
    /* server.c's options and memory pool, minus the thread pool, the
     * connection limits (one connection at a time here) and TLS. */
    size_t pool =
        (size_t)cfg->max_url_bytes + (size_t)cfg->max_header_bytes + 32 * 1024;
    if (pool < 64 * 1024)
        pool = 64 * 1024;
    /* clang-format off */
    daemon_ = MHD_start_daemon(
        MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL, gz_http_on_request, &app,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->timeout,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, &app,
        MHD_OPTION_UNESCAPE_CALLBACK, gz_http_on_unescape, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
        MHD_OPTION_END);
    /* clang-format on */
    if (!daemon_)
        fz_die("cannot start libmicrohttpd");
}

static void fz_daemon_start(void)
{
    fz_quiet();
    if (sodium_init() < 0)
        fz_die("libsodium failed to initialise");
    /* A client that goes away mid-answer must not kill the process. */
    signal(SIGPIPE, SIG_IGN);
    const char *dir = fz_temp_dir();
    build_app(dir);
    seed(app.cfg.db_path);
    fz_db_snapshot(app.cfg.db_path);
    start_mhd();
}

/* ---- placeholders ------------------------------------------------------- */

static const char *placeholder(const char *p, size_t left, size_t *used)
{
    struct {
        const char *name;
        const char *value;
    } map[] = {
        {"$ASESSION", author.session}, {"$ACSRF", author.csrf},
        {"$ATOKEN", author.token},     {"$SESSION", admin.session},
        {"$CSRF", admin.csrf},         {"$TOKEN", admin.token},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        size_t n = strlen(map[i].name);
        if (n <= left && memcmp(p, map[i].name, n) == 0) {
            *used = n;
            return map[i].value;
        }
    }
    return NULL;
}

/* The input with the placeholders replaced, in out. */
static void expand(const unsigned char *data, size_t n, struct gz_buf *out)
{
    gz_buf_reset(out);
    size_t i = 0;
    while (i < n) {
        const char *v;
        size_t used;
        if (data[i] == '$' &&
            (v = placeholder((const char *)data + i, n - i, &used)) != NULL) {
            gz_buf_puts(out, v);
            i += used;
        } else {
            gz_buf_append(out, data + i, 1);
            i++;
        }
    }
    /* $LEN: the body length from the end of its header block, replaced
     * from the last one back, so each counts the final bytes after it. */
    for (;;) {
        char *s = NULL;
        for (char *p = out->data; p;) {
            p = memmem(p, out->len - (size_t)(p - out->data), "$LEN", 4);
            if (p)
                s = p++;
        }
        if (!s)
            break;
        size_t at = (size_t)(s - out->data);
        char *end = memmem(s, out->len - at, "\r\n\r\n", 4);
        size_t body = end ? out->len - (size_t)(end + 4 - out->data) : 0;
        char num[24];
        int k = snprintf(num, sizeof num, "%zu", body);
        struct gz_buf tmp = {0};
        gz_buf_append(&tmp, out->data, at);
        gz_buf_append(&tmp, num, (size_t)k);
        gz_buf_append(&tmp, s + 4, out->len - at - 4);
        gz_buf_free(out);
        *out = tmp;
    }
}

/* ---- one connection ----------------------------------------------------- */

static unsigned connections(void)
{
    const union MHD_DaemonInfo *i =
        MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
    return i ? i->num_connections : 0;
}

/* Reads what the server wrote; -1 once it closed its end. With
 * $GZ_FUZZ_SHOW set, the answers go to stdout (to write seeds). */
static ssize_t drain(int fd, size_t *total)
{
    static int show = -1;
    if (show < 0)
        show = getenv("GZ_FUZZ_SHOW") != NULL;
    char buf[65536];
    ssize_t got = 0;
    for (;;) {
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r > 0) {
            got += r;
            *total += (size_t)r;
            if (show)
                fwrite(buf, 1, (size_t)r, stdout);
            continue;
        }
        if (r == 0)
            return -1;
        return got; /* EAGAIN (or an error: the server is gone) */
    }
}

size_t fz_daemon_exchange(const unsigned char *data, size_t n)
{
    static int started;
    static struct gz_buf in;
    if (!started) {
        fz_daemon_start();
        started = 1;
    }
    expand(data, n, &in);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
                   sv) != 0)
        fz_die("socketpair failed");
    /* The server end is handed over as if it came from 127.0.0.1 (the
     * address request.c logs and the rate limits key on). */
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons(40000);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (MHD_add_connection(daemon_, sv[1], (const struct sockaddr *)&sa,
                           sizeof sa) != MHD_YES)
        fz_die("MHD_add_connection failed");

    size_t sent = 0, answered = 0;
    int idle = 0;
    for (int round = 0; round < 100000; round++) {
        if (sent < in.len) {
            ssize_t w =
                send(sv[0], in.data + sent, in.len - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                break; /* the server closed its end */
        }
        MHD_run(daemon_);
        ssize_t got = drain(sv[0], &answered);
        if (got < 0)
            break; /* the server closed the connection */
        /* Done when everything was sent and read by the server, and
         * nothing more came back for a few rounds: it waits for more. */
        int unread = 0;
        if (ioctl(sv[1], FIONREAD, &unread) != 0)
            unread = 0;
        if (sent == in.len && unread == 0 && got == 0)
            idle++;
        else
            idle = 0;
        if (idle >= 3)
            break;
    }
    /* The client leaves; the server notices, ends the request (the
     * completion callback frees it) and closes the connection. */
    close(sv[0]);
    for (int round = 0; round < 1000 && connections() > 0; round++)
        MHD_run(daemon_);
    if (connections() > 0)
        fz_die("a connection outlived its client");

    /* The next input starts from the same state. */
    gz_http_cache_free(app.cache);
    new_cache();
    fz_db_restore();
    return answered;
}
