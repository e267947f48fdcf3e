/*
 * config.c - the configuration table and its three loaders (INI through
 * libinih, environment, flags). One table describes every key once: its
 * section, name, environment variable, type, range and help text, so the
 * loaders, the checks and `gazette --help-config` cannot drift apart.
 */
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/config.h"
#include "gazette/html.h"
#include "gazette/proxies.h"
#include "gazette/util.h"

enum kind { K_INT, K_BOOL, K_STR, K_SIZE, K_SECONDS };

struct key {
    const char *section;
    const char *name;
    const char *env;
    enum kind kind;
    size_t offset;
    size_t size; /* for strings: buffer size */
    long long min, max;
    const char *help;
};

#define OFF(f) offsetof(struct gz_config, f)
#define STR(sec, nm, env, f, help)                                          \
    {sec, nm, env, K_STR, OFF(f), sizeof(((struct gz_config *)0)->f), 0, 0,  \
     help}
#define INT(sec, nm, env, f, lo, hi, help)                                  \
    {sec, nm, env, K_INT, OFF(f), 0, lo, hi, help}
#define SIZE(sec, nm, env, f, lo, hi, help)                                 \
    {sec, nm, env, K_SIZE, OFF(f), 0, lo, hi, help}
#define BOOL(sec, nm, env, f, help) {sec, nm, env, K_BOOL, OFF(f), 0, 0, 1, help}
/* A duration into an int of seconds: 3600, 90s, 30m, 6h or 1d. */
#define SECONDS(sec, nm, env, f, lo, hi, help)                              \
    {sec, nm, env, K_SECONDS, OFF(f), 0, lo, hi, help}

static const struct key keys[] = {
    STR("server", "host", "GAZETTE_HOST", host,
        "address to listen on (IPv4 or IPv6 literal)"),
    INT("server", "port", "GAZETTE_PORT", port, 0, 65535,
        "TCP port (0 picks a free one and logs it)"),
    STR("server", "base_url", "GAZETTE_BASE_URL", base_url,
        "public URL for canonical links, feeds and mail; empty: "
        "http://host:port"),
    INT("server", "threads", "GAZETTE_THREADS", threads, 0, 256,
        "worker threads; 0: four per CPU core"),
    INT("server", "max_connections", "GAZETTE_MAX_CONNECTIONS",
        max_connections, 1, 100000,
        "concurrent connections at most (503 beyond)"),
    INT("server", "per_ip_connections", "GAZETTE_PER_IP_CONNECTIONS",
        per_ip_connections, 0, 100000,
        "concurrent connections per client address, IPv6 per /64 "
        "(0: no limit)"),
    STR("server", "trusted_proxies", "GAZETTE_TRUSTED_PROXIES",
        trusted_proxies,
        "addresses or CIDR ranges of proxies in front (127.0.0.1, ::1, "
        "10.0.0.0/8; commas or spaces) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed, and which per_ip_connections does "
        "not cap; empty: none"),
    INT("server", "search_slots", "GAZETTE_SEARCH_SLOTS", search_slots, 0,
        64, "searches running at once; 0: max(1, cores / 2)"),
    INT("server", "search_wait_ms", "GAZETTE_SEARCH_WAIT_MS", search_wait_ms,
        0, 10000,
        "milliseconds a search waits for a slot (0: refused at once)"),
    INT("server", "timeout", "GAZETTE_TIMEOUT", timeout, 1, 3600,
        "seconds an idle or slow connection is kept"),
    INT("server", "header_timeout", "GAZETTE_HEADER_TIMEOUT", header_timeout,
        1, 3600,
        "seconds from accept, or from the previous answer, to a request's "
        "complete headers"),
    INT("server", "body_timeout", "GAZETTE_BODY_TIMEOUT", body_timeout, 1,
        3600, "seconds to receive a request body, plus one per body_rate"),
    SIZE("server", "body_rate", "GAZETTE_BODY_RATE", body_rate, 1024,
         1LL << 30, "body bytes that earn one more second of body_timeout"),
    SIZE("server", "max_header_bytes", "GAZETTE_MAX_HEADER_BYTES",
         max_header_bytes, 1024, 256 * 1024,
         "largest request header fields, all together (431 beyond)"),
    INT("server", "max_query_params", "GAZETTE_MAX_QUERY_PARAMS",
        max_query_params, 1, 1000, "most query parameters (431 beyond)"),
    SIZE("server", "max_form_bytes", "GAZETTE_MAX_FORM_BYTES", max_form_bytes,
         1024, 1LL << 30, "largest form or JSON body (413 beyond)"),
    SIZE("server", "max_upload_bytes", "GAZETTE_MAX_UPLOAD_BYTES",
         max_upload_bytes, 1024, 1LL << 32, "largest upload (413 beyond)"),
    INT("server", "max_url_bytes", "GAZETTE_MAX_URL_BYTES", max_url_bytes, 256,
        16384, "longest request URL (414 beyond)"),
    INT("server", "cache_max_age", "GAZETTE_CACHE_MAX_AGE", cache_max_age, 0,
        31536000, "Cache-Control max-age (seconds) of public pages"),
    BOOL("server", "page_cache", "GAZETTE_PAGE_CACHE", page_cache,
         "keep rendered public pages in memory until content changes"),
    SIZE("server", "page_cache_bytes", "GAZETTE_PAGE_CACHE_BYTES",
         page_cache_bytes, 1024 * 1024, 1LL << 36,
         "the page cache's bodies at most; older entries make room"),
    BOOL("server", "gzip", "GAZETTE_GZIP", gzip,
         "gzip text answers over 1 KiB when the client accepts it"),
    STR("server", "tls_cert", "GAZETTE_TLS_CERT", tls_cert,
        "PEM certificate file; with tls_key turns on HTTPS"),
    STR("server", "tls_key", "GAZETTE_TLS_KEY", tls_key, "PEM private key file"),
    STR("paths", "db", "GAZETTE_DB", db_path, "SQLite database file"),
    STR("paths", "data_dir", "GAZETTE_DATA_DIR", data_dir,
        "directory for uploaded media"),
    STR("paths", "templates", "GAZETTE_TEMPLATES", templates_dir,
        "directory of Mustache templates"),
    STR("paths", "static", "GAZETTE_STATIC", static_dir,
        "directory served under /static/"),
    STR("paths", "demo", "GAZETTE_DEMO", demo_file,
        "demo content that `gazette init --demo` imports"),
    STR("database", "synchronous", "GAZETTE_SYNCHRONOUS", synchronous,
        "FULL (every answered write survives power loss) or NORMAL"),
    INT("site", "page_size", "GAZETTE_PAGE_SIZE", page_size, 1, 100,
        "stories per page on home, tag, author and search pages"),
    STR("mail", "smtp_url", "GAZETTE_SMTP_URL", smtp_url,
        "SMTP server as smtp://host:port or smtps://host:port; empty: mail "
        "is recorded in the outbox and logged, not sent"),
    BOOL("mail", "smtp_starttls", "GAZETTE_SMTP_STARTTLS", smtp_starttls,
         "require STARTTLS on smtp:// connections"),
    STR("mail", "smtp_user", "GAZETTE_SMTP_USER", smtp_user,
        "SMTP user name (empty: no authentication)"),
    STR("mail", "smtp_password", "GAZETTE_SMTP_PASSWORD", smtp_password,
        "SMTP password"),
    STR("mail", "from", "GAZETTE_MAIL_FROM", mail_from,
        "the From: address of Gazette's mail"),
    INT("mail", "max_tries", "GAZETTE_MAIL_MAX_TRIES", mail_max_tries, 1, 100,
        "delivery attempts before a message is marked failed"),
    INT("mail", "reset_ttl", "GAZETTE_RESET_TTL", reset_ttl, 1, 86400,
        "seconds a mailed password reset link works"),
    BOOL("log", "access_log", "GAZETTE_ACCESS_LOG", access_log,
         "one line per request on stdout"),
    STR("api", "cors_origins", "GAZETTE_API_CORS_ORIGINS", api_cors_origins,
        "comma list of origins (https://app.example.org) whose pages may "
        "write through /api/v1 with a token; empty: reads only"),
    STR("cdn", "varnish", "GAZETTE_CDN_VARNISH", cdn_varnish,
        "comma list of Varnish purge listeners (http://127.0.0.1:6091) "
        "sent a BAN "
        "with the changed keys (config/varnish.vcl); empty: none"),
    STR("cdn", "nginx", "GAZETTE_CDN_NGINX", cdn_nginx,
        "comma list of nginx purge URLs (http://127.0.0.1:6091/purge, "
        "config/nginx-cache.conf) sent PURGE + each changed path; empty: "
        "none"),
    STR("cdn", "webhook", "GAZETTE_CDN_WEBHOOK", cdn_webhook,
        "comma list of URLs POSTed the changed keys and URLs as JSON (a "
        "CDN's purge API behind a small adapter); empty: none"),
    STR("cdn", "webhook_secret", "GAZETTE_CDN_WEBHOOK_SECRET",
        cdn_webhook_secret,
        "key of the X-Gazette-Signature (HMAC-SHA256) of webhook bodies"),
    INT("cdn", "s_maxage", "GAZETTE_CDN_S_MAXAGE", cdn_s_maxage, 0, 31536000,
        "Cache-Control s-maxage (seconds) of public pages for shared caches; "
        "0: none"),
    INT("cdn", "stale_while_revalidate", "GAZETTE_CDN_STALE_WHILE_REVALIDATE",
        cdn_stale_while_revalidate, 0, 31536000,
        "Cache-Control stale-while-revalidate (seconds) of public pages; "
        "0: none"),
    INT("cdn", "purge_wait_ms", "GAZETTE_CDN_PURGE_WAIT_MS", cdn_purge_wait_ms,
        0, 30000,
        "milliseconds a write waits for its purges before answering"),
    STR("backup", "dir", "GAZETTE_BACKUP_DIR", backup_dir,
        "directory of unattended backups (gazette-YYYYMMDDTHHMMSSZ.db); "
        "empty: off"),
    SECONDS("backup", "interval", "GAZETTE_BACKUP_INTERVAL", backup_interval,
            1, 31 * 86400,
            "time between backups: seconds, or a number with s, m, h or d "
            "(6h); 1 second to 31 days"),
    INT("backup", "keep", "GAZETTE_BACKUP_KEEP", backup_keep, 1, 1000,
        "newest backups kept in dir; older ones are deleted"),
};

void gz_config_defaults(struct gz_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->host, sizeof cfg->host, "127.0.0.1");
    cfg->port = 8080;
    cfg->threads = 0;
    cfg->max_connections = 1024;
    cfg->per_ip_connections = 32;
    cfg->search_slots = 0;
    cfg->search_wait_ms = 100;
    cfg->cdn_purge_wait_ms = 2000;
    cfg->timeout = 15;
    cfg->header_timeout = 10;
    cfg->body_timeout = 30;
    cfg->body_rate = 64 * 1024;
    cfg->max_header_bytes = 16 * 1024;
    cfg->max_query_params = 100;
    cfg->max_form_bytes = 1 << 20;
    cfg->max_upload_bytes = 10 << 20;
    cfg->max_url_bytes = 8192;
    cfg->cache_max_age = 0;
    cfg->page_cache = 1;
    cfg->page_cache_bytes = 8 << 20;
    cfg->gzip = 1;
    snprintf(cfg->db_path, sizeof cfg->db_path, "data/gazette.db");
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "data");
    snprintf(cfg->templates_dir, sizeof cfg->templates_dir, "templates");
    snprintf(cfg->static_dir, sizeof cfg->static_dir, "static");
    snprintf(cfg->demo_file, sizeof cfg->demo_file, "demo/demo.json");
    snprintf(cfg->synchronous, sizeof cfg->synchronous, "FULL");
    cfg->page_size = 15;
    cfg->access_log = 1;
    snprintf(cfg->mail_from, sizeof cfg->mail_from, "gazette@localhost");
    cfg->mail_max_tries = 8;
    cfg->reset_ttl = 3600;
    cfg->backup_interval = 86400;
    cfg->backup_keep = 7;
}

static const struct key *find_key(const char *section, const char *name)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].section, section) == 0 &&
            strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int parse_size(const char *v, long long *out)
{
    char num[32];
    size_t n = strlen(v);
    long long mult = 1;
    if (n == 0 || n >= sizeof num)
        return GZ_EINVAL;
    memcpy(num, v, n + 1);
    char last = num[n - 1];
    if (last == 'K' || last == 'k')
        mult = 1024;
    else if (last == 'M' || last == 'm')
        mult = 1024 * 1024;
    else if (last == 'G' || last == 'g')
        mult = 1024LL * 1024 * 1024;
    if (mult != 1)
        num[n - 1] = '\0';
    long long base;
    if (gz_parse_int(num, 0, (1LL << 40), &base) != 0)
        return GZ_EINVAL;
    if (base > (1LL << 40) / mult)
        return GZ_EINVAL; /* would overflow: certainly out of range */
    *out = base * mult;
    return 0;
}

/* "3600", "90s", "30m", "6h" or "1d" as seconds in [lo, hi]. */
static int parse_seconds(const char *v, long long lo, long long hi,
                         long long *out)
{
    char num[24];
    size_t n = strlen(v);
    long long mult = 1;
    if (n == 0 || n >= sizeof num)
        return GZ_EINVAL;
    memcpy(num, v, n + 1);
    static const char units[] = "smhd";
    static const long long unit_secs[] = {1, 60, 3600, 86400};
    const char *unit = strchr(units, num[n - 1]);
    if (unit && *unit) {
        mult = unit_secs[unit - units];
        num[n - 1] = '\0';
    }
    long long base;
    if (gz_parse_int(num, 0, hi, &base) != 0 || base > hi / mult ||
        base * mult < lo)
        return GZ_EINVAL;
    *out = base * mult;
    return 0;
}

/* Sets one key from text; on error writes "key: problem" into err. */
static int set_value(struct gz_config *cfg, const struct key *k,
                     const char *v, char *err, size_t errlen)
{
    char *field = (char *)cfg + k->offset;
    long long n;
    switch (k->kind) {
    case K_STR:
        if (strlen(v) >= k->size) {
            snprintf(err, errlen, "%s.%s: value longer than %zu characters",
                     k->section, k->name, k->size - 1);
            return GZ_EINVAL;
        }
        if (!gz_utf8_valid_text(v, strlen(v)) || strpbrk(v, "\r\n")) {
            snprintf(err, errlen, "%s.%s: control characters not allowed",
                     k->section, k->name);
            return GZ_EINVAL;
        }
        memcpy(field, v, strlen(v) + 1);
        if (field == cfg->base_url) {
            /* "https://news.example.org/": the slash is dropped, not
             * refused (issue 10); "https://" alone stays for the check */
            const char *host = strstr(field, "://");
            size_t len = strlen(field);
            while (host && len > (size_t)(host - field) + 4 &&
                   field[len - 1] == '/')
                field[--len] = '\0';
        }
        return 0;
    case K_BOOL:
        if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes") ||
            !strcmp(v, "on"))
            n = 1;
        else if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no") ||
                 !strcmp(v, "off"))
            n = 0;
        else {
            snprintf(err, errlen, "%s.%s: expected true or false, got \"%.40s\"",
                     k->section, k->name, v);
            return GZ_EINVAL;
        }
        *(int *)field = (int)n;
        return 0;
    case K_INT:
        if (gz_parse_int(v, k->min, k->max, &n) != 0) {
            snprintf(err, errlen,
                     "%s.%s: expected a whole number from %lld to %lld, got "
                     "\"%.40s\"",
                     k->section, k->name, k->min, k->max, v);
            return GZ_EINVAL;
        }
        *(int *)field = (int)n;
        return 0;
    case K_SIZE:
        if (parse_size(v, &n) != 0 || n < k->min || n > k->max) {
            snprintf(err, errlen,
                     "%s.%s: expected a size such as 1048576, 512K or 10M "
                     "from %lld to %lld bytes, got \"%.40s\"",
                     k->section, k->name, k->min, k->max, v);
            return GZ_EINVAL;
        }
        *(long long *)field = n;
        return 0;
    case K_SECONDS:
        if (parse_seconds(v, k->min, k->max, &n) != 0) {
            snprintf(err, errlen,
                     "%s.%s: expected a duration such as 3600, 90s, 30m, 6h "
                     "or 1d, from %lld seconds to %lld days, got \"%.40s\"",
                     k->section, k->name, k->min, k->max / 86400, v);
            return GZ_EINVAL;
        }
        *(int *)field = (int)n;
        return 0;
    }
    return GZ_EINVAL;
}

struct ini_ctx {
    struct gz_config *cfg;
    const char *path;
    char *err;
    size_t errlen;
    int failed;
};

/* Debian's inih is built without line numbers in the callback; a handler
 * returning 0 makes ini_parse_file return the line, so the error text gets
 * a placeholder that gz_config_load_file fills in. */
static int on_ini_value(void *user, const char *section, const char *name,
                        const char *value)
{
    struct ini_ctx *c = user;
    if (c->failed)
        return 0;
    const struct key *k = find_key(section, name);
    char why[512];
    if (!k) {
        snprintf(c->err, c->errlen, "%s.%s: unknown key", section, name);
        c->failed = 1;
        return 0;
    }
    if (set_value(c->cfg, k, value, why, sizeof why) != 0) {
        snprintf(c->err, c->errlen, "%s", why);
        c->failed = 1;
        return 0;
    }
    return 1;
}

int gz_config_load_file(struct gz_config *cfg, const char *path, int required,
                        char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!required)
            return 0;
        snprintf(err, errlen, "%s: cannot open the configuration file", path);
        return GZ_EIO;
    }
    struct ini_ctx c = {cfg, path, err, errlen, 0};
    int rc = ini_parse_file(f, on_ini_value, &c);
    fclose(f);
    if (c.failed) {
        char why[600];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s:%d: %s", path, rc, why);
        return GZ_EINVAL;
    }
    if (rc != 0) {
        snprintf(err, errlen, "%s:%d: syntax error (expected key = value)",
                 path, rc);
        return GZ_EINVAL;
    }
    return 0;
}

int gz_config_load_env(struct gz_config *cfg, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = getenv(keys[i].env);
        if (!v)
            continue;
        char why[512];
        if (set_value(cfg, &keys[i], v, why, sizeof why) != 0) {
            snprintf(err, errlen, "%s: %s", keys[i].env, why);
            return GZ_EINVAL;
        }
    }
    return 0;
}

int gz_config_set(struct gz_config *cfg, const char *name, const char *value,
                  char *err, size_t errlen)
{
    const struct key *k = NULL;
    const char *dot = strchr(name, '.');
    if (dot) {
        char section[32];
        size_t n = (size_t)(dot - name);
        if (n < sizeof section) {
            memcpy(section, name, n);
            section[n] = '\0';
            k = find_key(section, dot + 1);
        }
    } else {
        /* Short flag names: --port, --db, --host ... match a unique key. */
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            if (strcmp(keys[i].name, name) == 0)
                k = &keys[i];
    }
    if (!k) {
        snprintf(err, errlen, "--%s: unknown setting", name);
        return GZ_EINVAL;
    }
    return set_value(cfg, k, value, err, errlen);
}

/* An http(s) URL with a host and no space, quote or control byte. */
static int url_ok(const char *u)
{
    const char *rest = strncmp(u, "https://", 8) == 0  ? u + 8
                       : strncmp(u, "http://", 7) == 0 ? u + 7
                                                        : NULL;
    if (!rest || !*rest || *rest == '/')
        return 0;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '"' || *p == '\\' ||
            *p == 0x7f)
            return 0;
    return 1;
}

/* Checks each entry of a comma list with ok; names the first bad one. */
static int list_check(const char *list, int (*ok)(const char *),
                      const char *name, const char *expected, char *err,
                      size_t errlen)
{
    const char *o = list;
    while (*o) {
        o += strspn(o, " ,");
        size_t n = strcspn(o, ",");
        while (n && o[n - 1] == ' ')
            n--;
        char one[512];
        if (n && (n >= sizeof one ||
                  (snprintf(one, sizeof one, "%.*s", (int)n, o), !ok(one)))) {
            snprintf(err, errlen,
                     "%s: expected %s separated by commas, got \"%.*s\"",
                     name, expected, (int)(n > 80 ? 80 : n), o);
            return GZ_EINVAL;
        }
        o += strcspn(o, ",");
    }
    return 0;
}

int gz_config_check(const struct gz_config *cfg, char *err, size_t errlen)
{
    if (!!cfg->tls_cert[0] != !!cfg->tls_key[0]) {
        snprintf(err, errlen,
                 "server.tls_cert and server.tls_key: set both or neither");
        return GZ_EINVAL;
    }
    if (cfg->base_url[0]) {
        /* Scheme and host only: links in pages are root-relative, so
         * Gazette serves from the root of its host (a proxy may map a
         * whole host to it, not a sub-path). */
        if (!gz_url_is_origin(cfg->base_url)) {
            snprintf(err, errlen,
                     "server.base_url: expected http(s)://host[:port] with no "
                     "path, got \"%.80s\"",
                     cfg->base_url);
            return GZ_EINVAL;
        }
    }
    if (strcmp(cfg->synchronous, "FULL") != 0 &&
        strcmp(cfg->synchronous, "NORMAL") != 0) {
        snprintf(err, errlen,
                 "database.synchronous: expected FULL or NORMAL, got \"%s\"",
                 cfg->synchronous);
        return GZ_EINVAL;
    }
    if (!cfg->db_path[0]) {
        snprintf(err, errlen, "paths.db: must not be empty");
        return GZ_EINVAL;
    }
    struct gz_proxies proxies;
    if (gz_proxies_parse(cfg->trusted_proxies, &proxies, err, errlen) != 0)
        return GZ_EINVAL;
    /* Each listed origin is scheme://host[:port], as browsers send it in
     * Origin, else it could never match. */
    if (list_check(cfg->api_cors_origins, gz_url_is_origin, "api.cors_origins",
                   "http(s)://host[:port] origins", err, errlen) ||
        list_check(cfg->cdn_varnish, gz_url_is_origin, "cdn.varnish",
                   "http://host:port addresses", err, errlen) ||
        list_check(cfg->cdn_nginx, url_ok, "cdn.nginx",
                   "http(s):// URLs", err, errlen) ||
        list_check(cfg->cdn_webhook, url_ok, "cdn.webhook",
                   "http(s):// URLs", err, errlen))
        return GZ_EINVAL;
    return 0;
}

void gz_config_print_help(FILE *f)
{
    const char *section = "";
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strcmp(section, keys[i].section) != 0) {
            section = keys[i].section;
            fprintf(f, "[%s]\n", section);
        }
        fprintf(f, "  %-20s %-28s %s\n", keys[i].name, keys[i].env,
                keys[i].help);
    }
}
