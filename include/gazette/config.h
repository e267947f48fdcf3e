/*
 * config.h - Gazette's configuration (SPEC section 9).
 *
 * Sources, each overriding the one before: built-in defaults, the INI file
 * (config/gazette.conf, or --config FILE / GAZETTE_CONFIG), environment
 * variables (GAZETTE_PORT, GAZETTE_DB, ... one per key, listed by
 * `gazette --help-config`), then command-line flags (--port N, --db PATH,
 * or --set section.key=value for any key).
 *
 * Every key lives in one table in config.c with its type, range and help
 * text; config/gazette.conf documents the same keys. A bad value stops
 * start-up with one line naming the key and the problem.
 *
 * The struct is filled once at start-up and read-only afterwards.
 */
#ifndef GAZETTE_CONFIG_H
#define GAZETTE_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#define GZ_PATH_MAX 1024

struct gz_config {
    /* [server] */
    char host[64];
    int port;
    char base_url[512]; /* "" means http://host:port */
    int threads;        /* 0: one per core */
    int max_connections;
    int per_ip_connections;
    /* addresses and CIDR ranges whose X-Forwarded-For/-Proto are believed
     * (gazette/proxies.h); "" trusts none */
    char trusted_proxies[1024];
    int search_slots;   /* searches at once; 0: max(1, cores / 2) */
    int search_wait_ms; /* a search's wait for a slot; 0: none */
    int timeout;        /* seconds a connection may idle */
    int header_timeout; /* seconds from accept (or the last answer) to a
                           request's complete headers */
    int body_timeout;   /* seconds for a body, plus one per body_rate
                           bytes of its length */
    long long body_rate;
    long long max_header_bytes; /* request header fields (431 beyond) */
    int max_query_params;       /* query parameters (431 beyond) */
    long long max_form_bytes;
    long long max_upload_bytes;
    int max_url_bytes;
    int cache_max_age;  /* Cache-Control max-age of public pages */
    int page_cache;     /* 1: keep rendered pages in memory */
    long long page_cache_bytes; /* the page cache's bodies at most */
    int gzip;
    char tls_cert[GZ_PATH_MAX];
    char tls_key[GZ_PATH_MAX];
    /* [paths] */
    char db_path[GZ_PATH_MAX];
    char data_dir[GZ_PATH_MAX];
    char templates_dir[GZ_PATH_MAX];
    char static_dir[GZ_PATH_MAX];
    char demo_file[GZ_PATH_MAX];
    /* [database] */
    char synchronous[8]; /* FULL or NORMAL */
    /* [site] */
    int page_size;
    /* [mail] */
    char smtp_url[256];   /* smtp://host:port or smtps://host:port */
    int smtp_starttls;    /* require STARTTLS on smtp:// */
    char smtp_user[256];
    char smtp_password[256];
    char mail_from[256];
    int mail_max_tries;
    int reset_ttl;        /* seconds a password reset link works */
    /* [log] */
    int access_log;
    /* [api] */
    char api_cors_origins[1024]; /* comma list of origins; "" none */
    /* [cdn]: a cache or CDN in front (src/http/purge.c) */
    char cdn_varnish[1024];     /* comma list of Varnish addresses; "" none */
    char cdn_nginx[1024];       /* comma list of nginx cache-purge bases */
    char cdn_webhook[1024];     /* comma list of URLs told by JSON POST */
    char cdn_webhook_secret[256]; /* HMAC-SHA256 key of the webhook body */
    int cdn_s_maxage;           /* Cache-Control s-maxage; 0: none */
    int cdn_stale_while_revalidate; /* seconds; 0: none */
    int cdn_purge_wait_ms;      /* a write waits this long for its purges */
    /* [backup]: unattended backups (src/store/backup.c) */
    char backup_dir[GZ_PATH_MAX]; /* "" off */
    int backup_interval;          /* seconds between backups */
    int backup_keep;              /* newest backups kept */
};

/* Fills cfg with the defaults. */
void gz_config_defaults(struct gz_config *cfg);

/*
 * Loads `path` (INI). When `required` is 0 a missing file is not an error.
 * On a bad key or value writes one line "FILE:LINE: key: problem" into err
 * and returns GZ_EINVAL.
 */
int gz_config_load_file(struct gz_config *cfg, const char *path, int required,
                        char *err, size_t errlen);

/* Applies GAZETTE_* environment variables. Errors as above. */
int gz_config_load_env(struct gz_config *cfg, char *err, size_t errlen);

/* Sets "section.key" (or a short flag alias such as "port") to value. */
int gz_config_set(struct gz_config *cfg, const char *name, const char *value,
                  char *err, size_t errlen);

/* Checks relations between keys (tls pair, base URL form). */
int gz_config_check(const struct gz_config *cfg, char *err, size_t errlen);

/* Writes every key with its env name and help (gazette --help-config). */
void gz_config_print_help(FILE *f);

#endif
